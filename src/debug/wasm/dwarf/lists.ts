// Code ranges (low_pc/high_pc, .debug_ranges, .debug_rnglists) and location lists (.debug_loc, .debug_loclists) of an entry.
import { ByteReader, WasmFormatError } from '../bytes';
import { DW_AT, DW_LLE, DW_RLE, isTombstone } from './constants';
import { DwarfError, type Die, type Unit } from './info';

/** A half-open range of code offsets. */
export interface CodeRange {
  start: number;
  end: number;
}

/** Where a variable is over a range of code: a DWARF expression. */
export interface LocationEntry extends CodeRange {
  expr: Uint8Array;
}

/** An entry's location: one expression valid everywhere, or a list by code range (with an optional default). */
export type LocationSource =
  | { kind: 'expr'; expr: Uint8Array }
  | { kind: 'list'; entries: LocationEntry[]; fallback?: Uint8Array };

/** The code ranges an entry covers (a function, a lexical block, an inlined call); none for dropped code. */
export function rangesOf(die: Die): CodeRange[] {
  return malformedAsDwarfError(() => readRangesOf(die));
}

function readRangesOf(die: Die): CodeRange[] {
  const unit = die.unit;
  const low = die.address(DW_AT.lowPc);
  if (low !== undefined && die.has(DW_AT.highPc)) {
    if (isTombstone(low)) return [];
    const high = die.address(DW_AT.highPc) ?? low + (die.num(DW_AT.highPc) ?? 0);
    return [{ start: low, end: high }];
  }
  const attr = die.attrs.get(DW_AT.ranges);
  if (!attr) return [];
  if (unit.version < 5) return readRanges(unit, sectionOffset(attr, '.debug_ranges'));
  const offset = attr.kind === 'rnglistx' ? indexedOffset(unit, '.debug_rnglists', unit.rnglistsBase, attr.index) : sectionOffset(attr, '.debug_rnglists');
  return readRngLists(unit, offset);
}

export function covers(ranges: CodeRange[], pc: number): boolean {
  return ranges.some((r) => r.start <= pc && pc < r.end);
}

/** DW_AT_location (or another location attribute) of an entry; undefined when it has none. */
export function locationOf(die: Die, at: number = DW_AT.location): LocationSource | undefined {
  return malformedAsDwarfError(() => readLocationOf(die, at));
}

/** Lists are read when asked for: a list that runs past its section is a DwarfError then, like any other. */
function malformedAsDwarfError<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof WasmFormatError) throw new DwarfError(`malformed DWARF list: ${err.message}`);
    throw err;
  }
}

function readLocationOf(die: Die, at: number): LocationSource | undefined {
  const attr = die.attrs.get(at);
  if (!attr) return undefined;
  if (attr.kind === 'block') return { kind: 'expr', expr: attr.bytes };
  const unit = die.unit;
  if (unit.version < 5) return { kind: 'list', entries: readLoc(unit, sectionOffset(attr, '.debug_loc')) };
  const offset = attr.kind === 'loclistx' ? indexedOffset(unit, '.debug_loclists', unit.loclistsBase, attr.index) : sectionOffset(attr, '.debug_loclists');
  return readLocLists(unit, offset);
}

/** The expression of a location at `pc`; undefined where the variable has no location (optimized out there). */
export function expressionAt(source: LocationSource, pc: number): Uint8Array | undefined {
  if (source.kind === 'expr') return source.expr;
  return source.entries.find((e) => e.start <= pc && pc < e.end)?.expr ?? source.fallback;
}

/** Every expression a location may use, whatever the code offset. */
export function allExpressions(source: LocationSource): Uint8Array[] {
  if (source.kind === 'expr') return [source.expr];
  return [...source.entries.map((e) => e.expr), ...(source.fallback ? [source.fallback] : [])];
}

function sectionOffset(attr: NonNullable<ReturnType<Die['attrs']['get']>>, section: string): number {
  if (attr.kind === 'section') return attr.offset;
  if (attr.kind === 'const') return Number(attr.value); // DWARF 2/3: data4/data8
  throw new DwarfError(`a ${attr.kind} value cannot point into ${section}`);
}

/** The offset of list `index` of a v5 lists section: the offset table at the unit's base, relative to it. */
function indexedOffset(unit: Unit, section: string, base: number | undefined, index: number): number {
  if (base === undefined) throw new DwarfError(`an indexed list needs the unit's base into ${section}, which it lacks`);
  const r = new ByteReader(unit.section(section), base + index * unit.offsetSize);
  return base + (unit.offsetSize === 8 ? Number(r.u64le()) : r.u32le());
}

function readAddress(r: ByteReader, unit: Unit): number {
  return unit.addressSize === 8 ? Number(r.u64le()) : r.u32le();
}

/** Keeps a range unless it lies in code wasm-ld dropped (tombstone addresses, which may wrap past 2^32). */
function live<T extends CodeRange>(range: T, out: T[]): void {
  if (!isTombstone(range.start) && range.end >= range.start && range.end <= 0xffffffff) out.push(range);
}

/** v2–4 pairs of addresses relative to the unit's base, with base selection entries, until (0, 0). */
function walkPairs(unit: Unit, section: string, offset: number, entry: (r: ByteReader, start: number, end: number) => void): void {
  const r = new ByteReader(unit.section(section), offset);
  const max = unit.addressSize === 8 ? 2 ** 64 - 1 : 0xffffffff;
  let base = unit.baseAddress;
  for (;;) {
    const start = readAddress(r, unit);
    const end = readAddress(r, unit);
    if (start === 0 && end === 0) return;
    if (start === max) base = end;
    else entry(r, base + start, base + end);
  }
}

function readRanges(unit: Unit, offset: number): CodeRange[] {
  const out: CodeRange[] = [];
  walkPairs(unit, '.debug_ranges', offset, (_r, start, end) => live({ start, end }, out));
  return out;
}

function readLoc(unit: Unit, offset: number): LocationEntry[] {
  const out: LocationEntry[] = [];
  walkPairs(unit, '.debug_loc', offset, (r, start, end) => live({ start, end, expr: r.bytesOf(r.u16()) }, out));
  return out;
}

/**
 * A v5 list: entries whose first byte says how their range is given. Range lists and location lists share
 * every kind but two (loclists' default_location, which rnglists do not have, shifts base_address and the rest).
 */
function walkV5List(unit: Unit, section: string, offset: number, isLoc: boolean, entry: (range: CodeRange | undefined, r: ByteReader) => void): void {
  const r = new ByteReader(unit.section(section), offset);
  const K = isLoc ? DW_LLE : { ...DW_RLE, defaultLocation: -1 };
  let base = unit.baseAddress;
  for (;;) {
    const kind = r.u8();
    const uleb = () => Number(r.uleb());
    let range: CodeRange | undefined;
    switch (kind) {
      case K.endOfList: return;
      case K.baseAddressx: base = unit.address(uleb()); continue;
      case K.baseAddress: base = readAddress(r, unit); continue;
      case K.startxEndx: range = { start: unit.address(uleb()), end: unit.address(uleb()) }; break;
      case K.startxLength: { const start = unit.address(uleb()); range = { start, end: start + uleb() }; break; }
      case K.offsetPair: range = { start: base + uleb(), end: base + uleb() }; break;
      case K.startEnd: range = { start: readAddress(r, unit), end: readAddress(r, unit) }; break;
      case K.startLength: { const start = readAddress(r, unit); range = { start, end: start + uleb() }; break; }
      case K.defaultLocation: range = undefined; break;
      default: throw new DwarfError(`${isLoc ? 'DW_LLE' : 'DW_RLE'} kind ${kind} is not supported (${section}+0x${(r.offset - 1).toString(16)})`);
    }
    // An offset pair over a dropped function's tombstone base is dropped with it.
    entry(range && isTombstone(base) && kind === K.offsetPair ? { start: base, end: base } : range, r);
  }
}

function readRngLists(unit: Unit, offset: number): CodeRange[] {
  const out: CodeRange[] = [];
  walkV5List(unit, '.debug_rnglists', offset, false, (range) => range && live(range, out));
  return out;
}

function readLocLists(unit: Unit, offset: number): LocationSource {
  const entries: LocationEntry[] = [];
  let fallback: Uint8Array | undefined;
  walkV5List(unit, '.debug_loclists', offset, true, (range, r) => {
    const expr = r.bytesOf(Number(r.uleb()));
    if (range) live({ ...range, expr }, entries);
    else fallback = expr;
  });
  return { kind: 'list', entries, fallback };
}
