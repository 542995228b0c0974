// .debug_info and .debug_abbrev (DWARF 2 to 5) read into trees of entries, with the string and address sections they index.
import { ByteReader } from '../bytes';
import { DW_AT, DW_FORM, DW_TAG, DW_UT, formName } from './constants';

/** DWARF the reader cannot read, naming what (a version, a form, an operation, a section). */
export class DwarfError extends Error {
  override name = 'DwarfError';
}

/** The module's DWARF sections by name (".debug_info", ".debug_abbrev", ...). */
export type DwarfSections = ReadonlyMap<string, Uint8Array>;

/** An attribute's value as read; indexed forms (strx, addrx, loclistx, rnglistx) are resolved by `Die`'s accessors. */
export type AttrValue =
  | { kind: 'const'; value: bigint; signed: boolean }
  | { kind: 'address'; value: number }
  | { kind: 'addrx'; index: number }
  | { kind: 'ref'; offset: number }
  | { kind: 'string'; value: string }
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

/** One compilation unit: its header and the bases its indexed forms count from. */
export class Unit {
  root!: Die;
  /** Every entry of the whole .debug_info by section offset (references may cross units). */
  dies!: Map<number, Die>;
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

  string(index: number): string {
    const r = this.indexed('.debug_str_offsets', this.strOffsetsBase, index, this.offsetSize);
    return cString(this.section('.debug_str'), this.offsetSize === 8 ? Number(r.u64le()) : r.u32le(), '.debug_str');
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
  readonly children: Die[] = [];

  constructor(
    readonly unit: Unit,
    readonly offset: number,
    readonly tag: number,
    readonly attrs: Map<number, AttrValue>,
    readonly parent: Die | undefined,
  ) {}

  has(at: number): boolean {
    return this.attrs.has(at);
  }

  /** A string attribute (any string form). */
  str(at: number): string | undefined {
    const v = this.attrs.get(at);
    if (v?.kind === 'string') return v.value;
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
    return v?.kind === 'const' ? v : undefined;
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
    return v?.kind === 'ref' ? this.unit.dies.get(v.offset) : undefined;
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

/** Reads every unit of .debug_info. */
export function readUnits(sections: DwarfSections): Unit[] {
  const info = sections.get('.debug_info');
  if (!info) throw new DwarfError('the module has no .debug_info');
  const abbrevSection = sections.get('.debug_abbrev');
  if (!abbrevSection) throw new DwarfError('the module has .debug_info but no .debug_abbrev');
  const dies = new Map<number, Die>();
  const abbrevCache = new Map<number, Map<number, Abbrev>>();
  const units: Unit[] = [];
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
    unit.dies = dies;
    readEntries(new ByteReader(info, r.offset, end), unit, abbrevs);
    r.offset = end;
    if (unitType === DW_UT.compile || unitType === DW_UT.partial) units.push(unit);
  }
  return units;
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

function readEntries(r: ByteReader, unit: Unit, abbrevs: Map<number, Abbrev>): void {
  const stack: Die[] = [];
  while (!r.atEnd) {
    const offset = r.offset;
    const code = Number(r.uleb());
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
    unit.dies.set(offset, die);
    if (parent) parent.children.push(die);
    else if (!unit.root) setRoot(unit, die);
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
  const unsigned = (value: number | bigint): AttrValue => ({ kind: 'const', value: BigInt(value), signed: false });
  const offset = () => (unit.offsetSize === 8 ? Number(r.u64le()) : r.u32le());
  const local = (value: number): AttrValue => ({ kind: 'ref', offset: unit.offset + value });
  switch (form) {
    case DW_FORM.addr: return { kind: 'address', value: unit.addressSize === 8 ? Number(r.u64le()) : r.u32le() };
    case DW_FORM.data1: return unsigned(r.u8());
    case DW_FORM.data2: return unsigned(r.u16());
    case DW_FORM.data4: return unsigned(r.u32le());
    case DW_FORM.data8: return unsigned(r.u64le());
    case DW_FORM.data16: r.skip(16); return unsigned(0);
    case DW_FORM.sdata: return { kind: 'const', value: r.sleb(), signed: true };
    case DW_FORM.udata: return unsigned(r.uleb());
    case DW_FORM.implicitConst: return { kind: 'const', value: implicit ?? 0n, signed: true };
    case DW_FORM.string: return { kind: 'string', value: r.cstring() };
    case DW_FORM.strp: return { kind: 'string', value: cString(unit.section('.debug_str'), offset(), '.debug_str') };
    case DW_FORM.lineStrp: return { kind: 'string', value: cString(unit.section('.debug_line_str'), offset(), '.debug_line_str') };
    case DW_FORM.strx: return { kind: 'strx', index: Number(r.uleb()) };
    case DW_FORM.strx1: return { kind: 'strx', index: r.u8() };
    case DW_FORM.strx2: return { kind: 'strx', index: r.u16() };
    case DW_FORM.strx3: return { kind: 'strx', index: r.u16() + r.u8() * 0x10000 };
    case DW_FORM.strx4: return { kind: 'strx', index: r.u32le() };
    case DW_FORM.addrx: return { kind: 'addrx', index: Number(r.uleb()) };
    case DW_FORM.addrx1: return { kind: 'addrx', index: r.u8() };
    case DW_FORM.addrx2: return { kind: 'addrx', index: r.u16() };
    case DW_FORM.addrx3: return { kind: 'addrx', index: r.u16() + r.u8() * 0x10000 };
    case DW_FORM.addrx4: return { kind: 'addrx', index: r.u32le() };
    case DW_FORM.ref1: return local(r.u8());
    case DW_FORM.ref2: return local(r.u16());
    case DW_FORM.ref4: return local(r.u32le());
    case DW_FORM.ref8: return local(Number(r.u64le()));
    case DW_FORM.refUdata: return local(Number(r.uleb()));
    case DW_FORM.refAddr: return { kind: 'ref', offset: unit.version === 2 ? (unit.addressSize === 8 ? Number(r.u64le()) : r.u32le()) : offset() };
    case DW_FORM.refSig8: r.skip(8); return { kind: 'ref', offset: -1 };
    case DW_FORM.exprloc: case DW_FORM.block: return { kind: 'block', bytes: r.bytesOf(Number(r.uleb())) };
    case DW_FORM.block1: return { kind: 'block', bytes: r.bytesOf(r.u8()) };
    case DW_FORM.block2: return { kind: 'block', bytes: r.bytesOf(r.u16()) };
    case DW_FORM.block4: return { kind: 'block', bytes: r.bytesOf(r.u32le()) };
    case DW_FORM.flag: return { kind: 'flag', value: r.u8() !== 0 };
    case DW_FORM.flagPresent: return { kind: 'flag', value: true };
    // v2/3 use data4/data8 for section offsets; DWARF 4 introduced sec_offset.
    case DW_FORM.secOffset: return { kind: 'section', offset: offset() };
    case DW_FORM.loclistx: return { kind: 'loclistx', index: Number(r.uleb()) };
    case DW_FORM.rnglistx: return { kind: 'rnglistx', index: Number(r.uleb()) };
    case DW_FORM.indirect: return readForm(r, unit, Number(r.uleb()));
    default: throw new DwarfError(`${formName(form)} is not supported (at .debug_info+0x${r.offset.toString(16)})`);
  }
}

function cString(section: Uint8Array, offset: number, name: string): string {
  if (offset >= section.length) throw new DwarfError(`string offset 0x${offset.toString(16)} is past the end of ${name}`);
  return new ByteReader(section, offset).cstring();
}
