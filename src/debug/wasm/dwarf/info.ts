// .debug_info and .debug_abbrev (DWARF 2 to 5) read into trees of entries, with the string and address sections they index.
import { ByteReader, WasmFormatError } from '../bytes';
import { DW_AT, DW_FORM, DW_TAG, DW_UT, formName } from './constants';

/** DWARF the reader cannot read, naming what (a version, a form, an operation, a section). */
export class DwarfError extends Error {
  override name = 'DwarfError';
}

/** The module's DWARF sections by name (".debug_info", ".debug_abbrev", ...). */
export type DwarfSections = ReadonlyMap<string, Uint8Array>;

/** An attribute's value as read; indexed forms (strx, addrx, loclistx, rnglistx) are resolved by `Die`'s accessors. */
export type AttrValue =
  /** A constant: a number when it fits one exactly, else a bigint. */
  | { kind: 'const'; value: number | bigint; signed: boolean }
  | { kind: 'address'; value: number }
  | { kind: 'addrx'; index: number }
  | { kind: 'ref'; offset: number }
  | { kind: 'string'; value: string }
  /** A string in .debug_str or .debug_line_str, decoded when asked for. */
  | { kind: 'strp'; section: '.debug_str' | '.debug_line_str'; offset: number }
  | { kind: 'strx'; index: number }
  | { kind: 'block'; bytes: Uint8Array }
  | { kind: 'flag'; value: boolean }
  | { kind: 'section'; offset: number }
  | { kind: 'loclistx' | 'rnglistx'; index: number };

export interface Abbrev {
  tag: number;
  hasChildren: boolean;
  attrs: { at: number; form: number; implicit?: bigint }[];
}

/** What the units of one .debug_info share: entries by offset (references may cross units), decoded strings. */
export class UnitSet {
  readonly dies = new Map<number, Die>();
  readonly strings = new Map<string, string>();
  readonly units: Unit[] = [];

  /** The entry at a .debug_info offset, its unit's entries read first when they were not yet. */
  dieAt(offset: number): Die | undefined {
    const known = this.dies.get(offset);
    if (known) return known;
    const unit = this.units.find((u) => u.offset <= offset && offset < u.end);
    if (!unit || unit.parsed) return undefined;
    unit.parse();
    return this.dies.get(offset);
  }
}

/**
 * One compilation unit: its header, the bases its indexed forms count from, and its root entry. The other entries
 * are read on first use (`children` of the root, `parse()`): a Rust module has hundreds of units and most stay unread.
 */
export class Unit {
  root!: Die;
  parsed = false;
  /** Where the entries after the root start and the unit ends. */
  entriesStart = 0;
  end = 0;
  abbrevs!: Map<number, Abbrev>;
  all!: UnitSet;
  strOffsetsBase = 8;
  addrBase = 8;
  rnglistsBase?: number;
  loclistsBase?: number;
  /** The unit's base address (its DW_AT_low_pc), which v4 lists and v5 offset pairs count from. */
  baseAddress = 0;

  constructor(
    readonly sections: DwarfSections,
    readonly offset: number,
    readonly version: number,
    readonly addressSize: number,
    readonly offsetSize: number,
  ) {}

  /** Reads the unit's entries below its root, once. */
  parse(): void {
    if (this.parsed) return;
    this.parsed = true;
    const info = this.section('.debug_info');
    try {
      readEntries(new ByteReader(info, this.entriesStart, this.end), this, this.abbrevs, this.root);
    } catch (err) {
      if (err instanceof WasmFormatError) throw new DwarfError(`malformed .debug_info unit at 0x${this.offset.toString(16)}: ${err.message}`);
      throw err;
    }
  }

  string(index: number): string {
    const r = this.indexed('.debug_str_offsets', this.strOffsetsBase, index, this.offsetSize);
    return this.stringAt('.debug_str', this.offsetSize === 8 ? Number(r.u64le()) : r.u32le());
  }

  /** A string of a string section, decoded once for all units (types repeat their names thousands of times). */
  stringAt(name: '.debug_str' | '.debug_line_str', offset: number): string {
    const key = `${name}:${offset}`;
    let text = this.all.strings.get(key);
    if (text === undefined) this.all.strings.set(key, (text = cString(this.section(name), offset, name)));
    return text;
  }

  address(index: number): number {
    const r = this.indexed('.debug_addr', this.addrBase, index, this.addressSize);
    return this.addressSize === 8 ? Number(r.u64le()) : r.u32le();
  }

  /** A reader at entry `index` of a v5 table (strx, addrx), checked against the section's end. */
  private indexed(name: string, base: number, index: number, size: number): ByteReader {
    const section = this.section(name);
    const at = base + index * size;
    if (at + size > section.length) throw new DwarfError(`index ${index} is past the end of ${name}`);
    return new ByteReader(section, at);
  }

  section(name: string): Uint8Array {
    const bytes = this.sections.get(name);
    if (!bytes) throw new DwarfError(`the DWARF refers to ${name}, which the module lacks`);
    return bytes;
  }
}

/** A debugging information entry. */
export class Die {
  /** Filled when the unit is parsed (see `children`). */
  readonly childList: Die[] = [];

  constructor(
    readonly unit: Unit,
    readonly offset: number,
    readonly tag: number,
    readonly attrs: Map<number, AttrValue>,
    readonly parent: Die | undefined,
  ) {}

  /** The entries below this one (reading the unit's entries the first time). */
  get children(): Die[] {
    if (!this.unit.parsed) this.unit.parse();
    return this.childList;
  }

  has(at: number): boolean {
    return this.attrs.has(at);
  }

  /** A string attribute (any string form). */
  str(at: number): string | undefined {
    const v = this.attrs.get(at);
    if (v?.kind === 'string') return v.value;
    if (v?.kind === 'strp') return this.unit.stringAt(v.section, v.offset);
    if (v?.kind === 'strx') return this.unit.string(v.index);
    return undefined;
  }

  /** A constant attribute as a number (sizes, counts, offsets, lines). */
  num(at: number): number | undefined {
    const v = this.attrs.get(at);
    return v?.kind === 'const' ? Number(v.value) : undefined;
  }

  /** A constant attribute with its signedness (`const_value`, enumerator values). */
  constant(at: number): { value: bigint; signed: boolean } | undefined {
    const v = this.attrs.get(at);
    return v?.kind === 'const' ? { value: BigInt(v.value), signed: v.signed } : undefined;
  }

  address(at: number): number | undefined {
    const v = this.attrs.get(at);
    if (v?.kind === 'address') return v.value;
    if (v?.kind === 'addrx') return this.unit.address(v.index);
    return undefined;
  }

  flag(at: number): boolean {
    const v = this.attrs.get(at);
    return v?.kind === 'flag' && v.value;
  }

  /** The entry another attribute refers to (types, origins, specifications). */
  ref(at: number): Die | undefined {
    const v = this.attrs.get(at);
    return v?.kind === 'ref' ? this.unit.all.dieAt(v.offset) : undefined;
  }

  block(at: number): Uint8Array | undefined {
    const v = this.attrs.get(at);
    return v?.kind === 'block' ? v.bytes : undefined;
  }

  /** The name, from the entry an abstract origin or specification names when the entry has none itself. */
  get name(): string | undefined {
    return this.str(DW_AT.name) ?? this.origin?.name;
  }

  /** The entry this one completes (an inlined or out-of-line instance, a definition of a declaration). */
  get origin(): Die | undefined {
    return this.ref(DW_AT.abstractOrigin) ?? this.ref(DW_AT.specification);
  }

  /** An attribute of this entry or, failing that, of its origin. */
  inherited<T>(read: (die: Die) => T | undefined): T | undefined {
    for (let die: Die | undefined = this, hops = 0; die && hops < 8; die = die.origin, hops++) {
      const value = read(die);
      if (value !== undefined) return value;
    }
    return undefined;
  }
}

/** Reads the header and root entry of every unit of .debug_info (the rest on first use). */
export function readUnits(sections: DwarfSections): Unit[] {
  const info = sections.get('.debug_info');
  if (!info) throw new DwarfError('the module has no .debug_info');
  const abbrevSection = sections.get('.debug_abbrev');
  if (!abbrevSection) throw new DwarfError('the module has .debug_info but no .debug_abbrev');
  const all = new UnitSet();
  const abbrevCache = new Map<number, Map<number, Abbrev>>();
  const r = new ByteReader(info);
  while (!r.atEnd) {
    const unitOffset = r.offset;
    const { end, offsetSize } = r.dwarfUnitLength();
    if (end > info.length) throw new DwarfError(`the unit at .debug_info+0x${unitOffset.toString(16)} runs past the section`);
    const version = r.u16();
    if (version < 2 || version > 5) throw new DwarfError(`DWARF version ${version} is not supported (2 to 5 are)`);
    let unitType: number = DW_UT.compile;
    let addressSize: number;
    let abbrevOffset: number;
    const readOffset = () => (offsetSize === 8 ? Number(r.u64le()) : r.u32le());
    if (version === 5) {
      unitType = r.u8();
      addressSize = r.u8();
      abbrevOffset = readOffset();
      if (unitType === DW_UT.skeleton || unitType === DW_UT.splitCompile) r.skip(8);
      else if (unitType === DW_UT.type || unitType === DW_UT.splitType) r.skip(8 + offsetSize);
    } else {
      abbrevOffset = readOffset();
      addressSize = r.u8();
    }
    if (addressSize !== 4 && addressSize !== 8) throw new DwarfError(`address size ${addressSize} is not supported`);
    let abbrevs = abbrevCache.get(abbrevOffset);
    if (!abbrevs) abbrevCache.set(abbrevOffset, (abbrevs = readAbbrevs(abbrevSection, abbrevOffset)));
    const unit = new Unit(sections, unitOffset, version, addressSize, offsetSize);
    Object.assign(unit, { all, abbrevs, end });
    // The root entry now (its ranges say which code the unit covers), the others when asked for.
    const entries = new ByteReader(info, r.offset, end);
    readEntries(entries, unit, abbrevs, undefined, true);
    unit.entriesStart = entries.offset;
    if (!unit.root) unit.parsed = true;
    r.offset = end;
    all.units.push(unit);
  }
  return all.units.filter((u) => u.root && (u.root.tag === DW_TAG.compileUnit || u.root.tag === DW_TAG.partialUnit));
}

function readAbbrevs(section: Uint8Array, offset: number): Map<number, Abbrev> {
  const r = new ByteReader(section, offset);
  const out = new Map<number, Abbrev>();
  for (;;) {
    const code = Number(r.uleb());
    if (code === 0) return out;
    const tag = Number(r.uleb());
    const hasChildren = r.u8() !== 0;
    const attrs: Abbrev['attrs'] = [];
    for (;;) {
      const at = Number(r.uleb());
      const form = Number(r.uleb());
      if (at === 0 && form === 0) break;
      attrs.push(form === DW_FORM.implicitConst ? { at, form, implicit: r.sleb() } : { at, form });
    }
    out.set(code, { tag, hasChildren, attrs });
  }
}

/** Reads entries into the unit's tree: below `root` when given, else the root itself (and only it, with `rootOnly`). */
function readEntries(r: ByteReader, unit: Unit, abbrevs: Map<number, Abbrev>, root: Die | undefined, rootOnly = false): void {
  const stack: Die[] = root ? [root] : [];
  while (!r.atEnd) {
    const offset = r.offset;
    const code = Number(r.ulebNumber());
    if (code === 0) {
      stack.pop();
      continue;
    }
    const abbrev = abbrevs.get(code);
    if (!abbrev) throw new DwarfError(`abbreviation ${code} at .debug_info+0x${offset.toString(16)} is not in .debug_abbrev`);
    const attrs = new Map<number, AttrValue>();
    for (const spec of abbrev.attrs) attrs.set(spec.at, readForm(r, unit, spec.form, spec.implicit));
    const parent = stack[stack.length - 1];
    const die = new Die(unit, offset, abbrev.tag, attrs, parent);
    unit.all.dies.set(offset, die);
    if (parent) parent.childList.push(die);
    else if (!unit.root) setRoot(unit, die);
    if (rootOnly) return;
    if (abbrev.hasChildren) stack.push(die);
  }
}

function setRoot(unit: Unit, root: Die): void {
  unit.root = root;
  if (root.tag !== DW_TAG.compileUnit && root.tag !== DW_TAG.partialUnit) return;
  const base = (at: number) => {
    const v = root.attrs.get(at);
    return v?.kind === 'section' || v?.kind === 'const' ? Number(v.kind === 'section' ? v.offset : v.value) : undefined;
  };
  unit.strOffsetsBase = base(DW_AT.strOffsetsBase) ?? unit.strOffsetsBase;
  unit.addrBase = base(DW_AT.addrBase) ?? unit.addrBase;
  unit.rnglistsBase = base(DW_AT.rnglistsBase);
  unit.loclistsBase = base(DW_AT.loclistsBase);
  unit.baseAddress = root.address(DW_AT.lowPc) ?? 0;
}

function readForm(r: ByteReader, unit: Unit, form: number, implicit?: bigint): AttrValue {
  const unsigned = (value: number | bigint): AttrValue => ({ kind: 'const', value, signed: false });
  const offset = () => (unit.offsetSize === 8 ? Number(r.u64le()) : r.u32le());
  const local = (value: number): AttrValue => ({ kind: 'ref', offset: unit.offset + value });
  switch (form) {
    case DW_FORM.addr: return { kind: 'address', value: unit.addressSize === 8 ? Number(r.u64le()) : r.u32le() };
    case DW_FORM.data1: return unsigned(r.u8());
    case DW_FORM.data2: return unsigned(r.u16());
    case DW_FORM.data4: return unsigned(r.u32le());
    case DW_FORM.data8: { const v = r.u64le(); return unsigned(v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v); }
    case DW_FORM.data16: r.skip(16); return unsigned(0);
    case DW_FORM.sdata: { const v = r.sleb(); return { kind: 'const', value: v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v, signed: true }; }
    case DW_FORM.udata: return unsigned(r.ulebNumber());
    case DW_FORM.implicitConst: return { kind: 'const', value: implicit ?? 0n, signed: true };
    case DW_FORM.string: return { kind: 'string', value: r.cstring() };
    case DW_FORM.strp: return { kind: 'strp', section: '.debug_str', offset: offset() };
    case DW_FORM.lineStrp: return { kind: 'strp', section: '.debug_line_str', offset: offset() };
    case DW_FORM.strx: return { kind: 'strx', index: Number(r.ulebNumber()) };
    case DW_FORM.strx1: return { kind: 'strx', index: r.u8() };
    case DW_FORM.strx2: return { kind: 'strx', index: r.u16() };
    case DW_FORM.strx3: return { kind: 'strx', index: r.u16() + r.u8() * 0x10000 };
    case DW_FORM.strx4: return { kind: 'strx', index: r.u32le() };
    case DW_FORM.addrx: return { kind: 'addrx', index: Number(r.ulebNumber()) };
    case DW_FORM.addrx1: return { kind: 'addrx', index: r.u8() };
    case DW_FORM.addrx2: return { kind: 'addrx', index: r.u16() };
    case DW_FORM.addrx3: return { kind: 'addrx', index: r.u16() + r.u8() * 0x10000 };
    case DW_FORM.addrx4: return { kind: 'addrx', index: r.u32le() };
    case DW_FORM.ref1: return local(r.u8());
    case DW_FORM.ref2: return local(r.u16());
    case DW_FORM.ref4: return local(r.u32le());
    case DW_FORM.ref8: return local(Number(r.u64le()));
    case DW_FORM.refUdata: return local(Number(r.ulebNumber()));
    case DW_FORM.refAddr: return { kind: 'ref', offset: unit.version === 2 ? (unit.addressSize === 8 ? Number(r.u64le()) : r.u32le()) : offset() };
    case DW_FORM.refSig8: r.skip(8); return { kind: 'ref', offset: -1 };
    case DW_FORM.exprloc: case DW_FORM.block: return { kind: 'block', bytes: r.bytesOf(Number(r.ulebNumber())) };
    case DW_FORM.block1: return { kind: 'block', bytes: r.bytesOf(r.u8()) };
    case DW_FORM.block2: return { kind: 'block', bytes: r.bytesOf(r.u16()) };
    case DW_FORM.block4: return { kind: 'block', bytes: r.bytesOf(r.u32le()) };
    case DW_FORM.flag: return { kind: 'flag', value: r.u8() !== 0 };
    case DW_FORM.flagPresent: return { kind: 'flag', value: true };
    // v2/3 use data4/data8 for section offsets; DWARF 4 introduced sec_offset.
    case DW_FORM.secOffset: return { kind: 'section', offset: offset() };
    case DW_FORM.loclistx: return { kind: 'loclistx', index: Number(r.ulebNumber()) };
    case DW_FORM.rnglistx: return { kind: 'rnglistx', index: Number(r.ulebNumber()) };
    case DW_FORM.indirect: return readForm(r, unit, Number(r.ulebNumber()));
    default: throw new DwarfError(`${formName(form)} is not supported (at .debug_info+0x${r.offset.toString(16)})`);
  }
}

function cString(section: Uint8Array, offset: number, name: string): string {
  if (offset >= section.length) throw new DwarfError(`string offset 0x${offset.toString(16)} is past the end of ${name}`);
  return new ByteReader(section, offset).cstring();
}
