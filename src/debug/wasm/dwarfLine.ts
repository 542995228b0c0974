// A reader for DWARF's .debug_line as clang emits it for wasm32: code offsets to file:line and back.
import { ByteReader, WasmFormatError } from './bytes';
import { customSection, type WasmModule } from './module';

/**
 * A reader for DWARF's `.debug_line` (versions 2 to 5, 32- and 64-bit DWARF) as clang emits it for
 * wasm32: addresses are offsets into the module's code section payload.
 */

export interface LineRow {
  /** Code offset (from the start of the code section's payload). */
  address: number;
  file: string;
  line: number;
  column: number;
  isStmt: boolean;
  /** The first address after a sequence; not a location itself. */
  endSequence: boolean;
}

/** String sections v5 line headers refer to. */
export interface DwarfStrings {
  debugStr?: Uint8Array;
  debugLineStr?: Uint8Array;
}

const DW_LNS = { copy: 1, advancePc: 2, advanceLine: 3, setFile: 4, setColumn: 5, negateStmt: 6, setBasicBlock: 7, constAddPc: 8, fixedAdvancePc: 9, setPrologueEnd: 10, setEpilogueBegin: 11, setIsa: 12 };
const DW_LNE = { endSequence: 1, setAddress: 2, defineFile: 3, setDiscriminator: 4 };
const DW_LNCT = { path: 1, directoryIndex: 2 };
const DW_FORM = { block: 0x09, data1: 0x0b, data2: 0x05, data4: 0x06, data8: 0x07, data16: 0x1e, string: 0x08, strp: 0x0e, lineStrp: 0x1f, udata: 0x0f };

/** A sequence's address range and its place in the table (the first sequence covering an address wins). */
interface Span {
  start: number;
  end: number;
  order: number;
}

export class LineTable {
  /** Non-empty sequences by start address, for lookups in logarithmic time (a Rust module has thousands). */
  private readonly spans: Span[];
  /** The largest `end` of spans[0..i]: a backward scan for covering spans stops below it. */
  private readonly reach: number[] = [];

  /** Rows by sequence, each sequence in address order as the program produced them. */
  private constructor(readonly sequences: LineRow[][]) {
    this.spans = sequences.flatMap((seq, order) => (seq.length ? [{ start: seq[0].address, end: seq[seq.length - 1].address, order }] : []));
    this.spans.sort((a, b) => a.start - b.start || a.order - b.order);
    this.spans.forEach((span, i) => this.reach.push(Math.max(span.end, i ? this.reach[i - 1] : 0)));
  }

  /** The module's line table, or undefined when it carries no `.debug_line`. */
  static fromModule(module: WasmModule): LineTable | undefined {
    const lines = customSection(module, '.debug_line');
    if (!lines) return undefined;
    return LineTable.parse(lines, { debugStr: customSection(module, '.debug_str'), debugLineStr: customSection(module, '.debug_line_str') });
  }

  static parse(section: Uint8Array, strings: DwarfStrings = {}): LineTable {
    const sequences: LineRow[][] = [];
    const r = new ByteReader(section);
    while (!r.atEnd) sequences.push(...readUnit(r, strings));
    return new LineTable(sequences);
  }

  /** Every row (end-of-sequence markers included). */
  get rows(): LineRow[] {
    return this.sequences.flat();
  }

  /** The row whose range covers `address`: the last row at or below it in its sequence. */
  lookup(address: number): LineRow | undefined {
    let covering: Span | undefined;
    for (let i = lastAtOrBelow(this.spans.length, (k) => this.spans[k].start <= address); i >= 0 && this.reach[i] > address; i--) {
      const span = this.spans[i];
      if (span.end > address && (!covering || span.order < covering.order)) covering = span;
    }
    if (!covering) return undefined;
    const seq = this.sequences[covering.order];
    for (let i = lastAtOrBelow(seq.length, (k) => seq[k].address <= address); i >= 0; i--) if (!seq[i].endSequence) return seq[i];
    return undefined;
  }

  /** Statement addresses of `line` in the file whose path ends with `file` (a path, or just its base name). */
  addressesFor(file: string, line: number): number[] {
    const wanted = file.replaceAll('\\', '/');
    const matches = (path: string) => path === wanted || path.endsWith(`/${wanted}`) || wanted.endsWith(`/${path}`);
    const out = new Set<number>();
    for (const row of this.rows) if (row.isStmt && !row.endSequence && row.line === line && matches(row.file)) out.add(row.address);
    return [...out].sort((a, b) => a - b);
  }

  /** The source files the table names. */
  files(): string[] {
    return [...new Set(this.rows.map((r) => r.file))];
  }
}

/** The last index below `length` for which `atOrBelow` holds, given it holds for a prefix; -1 for none. */
function lastAtOrBelow(length: number, atOrBelow: (index: number) => boolean): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (atOrBelow(mid)) low = mid + 1;
    else high = mid;
  }
  return low - 1;
}

function readUnit(r: ByteReader, strings: DwarfStrings): LineRow[][] {
  const unitStart = r.offset;
  const { end: unitEnd, offsetSize } = r.dwarfUnitLength();
  if (unitEnd > r.end) r.fail('.debug_line unit runs past the section', unitStart);
  const u = new ByteReader(r.bytes, r.offset, unitEnd);
  r.offset = unitEnd;

  const version = u.u16();
  if (version < 2 || version > 5) u.fail(`unsupported .debug_line version ${version}`);
  let addressSize = 4;
  if (version >= 5) {
    addressSize = u.u8();
    u.u8(); // segment selector size
  }
  const headerLength = offsetSize === 8 ? Number(u.u64le()) : u.u32le();
  const programStart = u.offset + headerLength;
  const minInstLength = u.u8();
  if (version >= 4) u.u8(); // maximum operations per instruction: 1 outside VLIW
  const defaultIsStmt = u.u8() !== 0;
  const lineBase = (u.u8() << 24) >> 24;
  const lineRange = u.u8();
  if (lineRange === 0) u.fail('.debug_line line_range is 0');
  const opcodeBase = u.u8();
  const standardLengths = [0];
  for (let i = 1; i < opcodeBase; i++) standardLengths.push(u.u8());

  let directories: string[];
  let files: { name: string; dir: number }[];
  if (version >= 5) {
    directories = readEntries(u, offsetSize, strings).map((e) => e.name);
    files = readEntries(u, offsetSize, strings);
  } else {
    // v2–4: directory 0 is the compilation directory, not listed here; file numbers start at 1.
    directories = [''];
    for (let dir = u.cstring(); dir !== ''; dir = u.cstring()) directories.push(dir);
    files = [{ name: '', dir: 0 }];
    for (let name = u.cstring(); name !== ''; name = u.cstring()) {
      const dir = Number(u.uleb());
      u.uleb(); // modification time
      u.uleb(); // length
      files.push({ name, dir });
    }
  }
  const pathOf = (index: number): string => {
    const file = files[index];
    if (!file) return `<file ${index}>`;
    const dir = directories[file.dir] ?? '';
    return file.name.startsWith('/') || dir === '' ? file.name : `${dir.replace(/\/$/, '')}/${file.name}`;
  };

  u.offset = programStart;
  const sequences: LineRow[][] = [];
  let rows: LineRow[] = [];
  const initial = () => ({ address: 0, file: 1, line: 1, column: 0, isStmt: defaultIsStmt });
  let st = initial();
  const emit = (endSequence: boolean) => {
    rows.push({ address: st.address, file: pathOf(st.file), line: st.line, column: st.column, isStmt: st.isStmt, endSequence });
  };
  while (!u.atEnd) {
    const opcode = u.u8();
    if (opcode >= opcodeBase) {
      const adjusted = opcode - opcodeBase;
      st.address += Math.floor(adjusted / lineRange) * minInstLength;
      st.line += lineBase + (adjusted % lineRange);
      emit(false);
    } else if (opcode === 0) {
      const length = Number(u.uleb());
      const end = u.offset + length;
      const sub = u.u8();
      if (sub === DW_LNE.endSequence) {
        emit(true);
        sequences.push(rows);
        rows = [];
        st = initial();
      } else if (sub === DW_LNE.setAddress) {
        const size = length - 1 || addressSize;
        st.address = size === 8 ? Number(u.u64le()) : u.u32le();
      } else if (sub === DW_LNE.defineFile) {
        files.push({ name: u.cstring(), dir: Number(u.uleb()) });
      }
      // set_discriminator and vendor extensions: skipped by their length.
      u.offset = end;
    } else {
      switch (opcode) {
        case DW_LNS.copy: emit(false); break;
        case DW_LNS.advancePc: st.address += Number(u.uleb()) * minInstLength; break;
        case DW_LNS.advanceLine: st.line += Number(u.sleb()); break;
        case DW_LNS.setFile: st.file = Number(u.uleb()); break;
        case DW_LNS.setColumn: st.column = Number(u.uleb()); break;
        case DW_LNS.negateStmt: st.isStmt = !st.isStmt; break;
        case DW_LNS.constAddPc: st.address += Math.floor((255 - opcodeBase) / lineRange) * minInstLength; break;
        case DW_LNS.fixedAdvancePc: st.address += u.u16(); break;
        case DW_LNS.setBasicBlock: case DW_LNS.setPrologueEnd: case DW_LNS.setEpilogueBegin: break;
        default:
          // Unknown standard opcodes carry the number of ULEB operands the header declared.
          for (let i = 0; i < standardLengths[opcode]; i++) u.uleb();
      }
    }
  }
  if (rows.length) sequences.push(rows);
  return sequences;
}

/** A v5 directory or file list: a format description, then entries in that format. */
function readEntries(u: ByteReader, offsetSize: number, strings: DwarfStrings): { name: string; dir: number }[] {
  const formatCount = u.u8();
  const format: [number, number][] = [];
  for (let i = 0; i < formatCount; i++) format.push([Number(u.uleb()), Number(u.uleb())]);
  const count = Number(u.uleb());
  const entries: { name: string; dir: number }[] = [];
  for (let i = 0; i < count; i++) {
    const entry = { name: '', dir: 0 };
    for (const [contentType, form] of format) {
      const value = readForm(u, form, offsetSize, strings);
      if (contentType === DW_LNCT.path) entry.name = String(value);
      else if (contentType === DW_LNCT.directoryIndex) entry.dir = Number(value);
    }
    entries.push(entry);
  }
  return entries;
}

function readForm(u: ByteReader, form: number, offsetSize: number, strings: DwarfStrings): string | number {
  switch (form) {
    case DW_FORM.string: return u.cstring();
    case DW_FORM.lineStrp: return stringAt(strings.debugLineStr, offsetSize === 8 ? Number(u.u64le()) : u.u32le(), '.debug_line_str', u.offset);
    case DW_FORM.strp: return stringAt(strings.debugStr, offsetSize === 8 ? Number(u.u64le()) : u.u32le(), '.debug_str', u.offset);
    case DW_FORM.udata: return Number(u.uleb());
    case DW_FORM.data1: return u.u8();
    case DW_FORM.data2: return u.u16();
    case DW_FORM.data4: return u.u32le();
    case DW_FORM.data8: return Number(u.u64le());
    case DW_FORM.data16: u.skip(16); return 0;
    case DW_FORM.block: u.skip(Number(u.uleb())); return 0;
    default: return u.fail(`unsupported DWARF form 0x${form.toString(16)} in a line table header`);
  }
}

function stringAt(section: Uint8Array | undefined, offset: number, name: string, at: number): string {
  if (!section) throw new WasmFormatError(`line table refers to ${name}, which the module lacks`, at);
  const s = new ByteReader(section, offset);
  return s.cstring();
}
