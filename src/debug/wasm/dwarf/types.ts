// C types from DWARF type entries: base, pointer, array, struct/union, enum, typedef, qualifiers; their names and sizes.
import { DW_AT, DW_ATE, DW_TAG } from './constants';
import type { Die } from './info';

export interface Member {
  name: string;
  type: CType;
  /** Byte offset in the enclosing object. */
  offset: number;
  /** For bitfields: width and offset in bits from `offset` (little-endian bit numbering). */
  bitSize?: number;
  bitOffset?: number;
}

export type CType =
  | { kind: 'void' }
  | { kind: 'base'; name: string; size: number; encoding: number }
  | { kind: 'pointer'; size: number; target: CType; reference?: boolean }
  | { kind: 'struct' | 'union' | 'class'; name?: string; size: number; members: Member[]; declaration: boolean }
  | { kind: 'enum'; name?: string; size: number; signed: boolean; enumerators: { name: string; value: bigint }[] }
  /** `count` undefined for an array of unknown bound (`int a[]`). */
  | { kind: 'array'; element: CType; count?: number }
  | { kind: 'typedef'; name: string; target: CType }
  | { kind: 'qualified'; qualifier: 'const' | 'volatile' | 'restrict' | '_Atomic'; target: CType }
  | { kind: 'function'; name: string };

export const VOID: CType = { kind: 'void' };

const QUALIFIERS = new Map<number, 'const' | 'volatile' | 'restrict' | '_Atomic'>([
  [DW_TAG.constType, 'const'], [DW_TAG.volatileType, 'volatile'], [DW_TAG.restrictType, 'restrict'], [DW_TAG.atomicType, '_Atomic'],
]);

/** Types by their entry, built once; a struct is cached before its members, so self-referring types end. */
export class TypeTable {
  private readonly cache = new Map<Die, CType>();

  /** The type an entry's DW_AT_type names (void when it names none). */
  typeOf(die: Die): CType {
    const ref = die.inherited((d) => d.ref(DW_AT.type));
    return ref ? this.fromDie(ref) : VOID;
  }

  fromDie(die: Die): CType {
    const cached = this.cache.get(die);
    if (cached) return cached;
    const name = die.name;
    const size = die.num(DW_AT.byteSize) ?? 0;
    const qualifier = QUALIFIERS.get(die.tag);
    let type: CType;
    switch (die.tag) {
      case DW_TAG.baseType:
        type = { kind: 'base', name: name ?? '?', size, encoding: die.num(DW_AT.encoding) ?? DW_ATE.signed };
        break;
      case DW_TAG.pointerType: case DW_TAG.referenceType: case DW_TAG.rvalueReferenceType: {
        const pointer: CType = { kind: 'pointer', size: size || die.unit.addressSize, target: VOID, reference: die.tag !== DW_TAG.pointerType || undefined };
        this.cache.set(die, pointer);
        pointer.target = this.typeOf(die);
        return pointer;
      }
      case DW_TAG.structureType: case DW_TAG.unionType: case DW_TAG.classType: {
        const kind = die.tag === DW_TAG.unionType ? 'union' : die.tag === DW_TAG.classType ? 'class' : 'struct';
        const record: CType & { members: Member[] } = { kind, name, size, members: [], declaration: die.flag(DW_AT.declaration) };
        this.cache.set(die, record);
        for (const child of die.children) if (child.tag === DW_TAG.member) record.members.push(this.member(child, kind === 'union'));
        return record;
      }
      case DW_TAG.enumerationType: {
        const enumerators = die.children.filter((c) => c.tag === DW_TAG.enumerator).map((c) => {
          const value = c.constant(DW_AT.constValue) ?? { value: 0n, signed: false };
          return { name: c.name ?? '?', value: value.value };
        });
        const base = die.ref(DW_AT.type) && this.typeOf(die);
        const signed = base ? isSigned(base) : enumerators.some((e) => e.value < 0n);
        type = { kind: 'enum', name, size: size || 4, signed, enumerators };
        break;
      }
      case DW_TAG.arrayType:
        type = this.array(die);
        break;
      case DW_TAG.typedef: {
        const typedef: CType = { kind: 'typedef', name: name ?? '?', target: VOID };
        this.cache.set(die, typedef);
        typedef.target = this.typeOf(die);
        return typedef;
      }
      case DW_TAG.subroutineType:
        type = { kind: 'function', name: 'function' };
        break;
      case DW_TAG.unspecifiedType:
        type = name ? { kind: 'base', name, size: 0, encoding: DW_ATE.unsigned } : VOID;
        break;
      default:
        if (qualifier) {
          const qualified: CType = { kind: 'qualified', qualifier, target: VOID };
          this.cache.set(die, qualified);
          qualified.target = this.typeOf(die);
          return qualified;
        }
        type = VOID;
    }
    this.cache.set(die, type);
    return type;
  }

  private member(die: Die, inUnion: boolean): Member {
    const type = this.typeOf(die);
    const location = die.num(DW_AT.dataMemberLocation) ?? 0;
    const bitSize = die.num(DW_AT.bitSize);
    if (bitSize === undefined) return { name: die.name ?? '', type, offset: inUnion ? 0 : location };
    const dataBitOffset = die.num(DW_AT.dataBitOffset);
    if (dataBitOffset !== undefined) {
      return { name: die.name ?? '', type, offset: Math.floor(dataBitOffset / 8), bitOffset: dataBitOffset % 8, bitSize };
    }
    // DWARF 2/3 bit_offset counts from the most significant bit of the storage unit (byte_size).
    const storage = (die.num(DW_AT.byteSize) ?? sizeOf(type)) * 8;
    const fromLsb = storage - (die.num(DW_AT.bitOffset) ?? 0) - bitSize;
    return { name: die.name ?? '', type, offset: location + Math.floor(fromLsb / 8), bitOffset: fromLsb % 8, bitSize };
  }

  /** Multi-dimensional arrays are arrays of arrays, the first subrange outermost. */
  private array(die: Die): CType {
    const element = this.typeOf(die);
    const dims = die.children.filter((c) => c.tag === DW_TAG.subrangeType).map((c) => {
      const count = c.num(DW_AT.count);
      if (count !== undefined) return count;
      const upper = c.constant(DW_AT.upperBound);
      return upper ? Number(upper.value) - (c.num(0x22 /* lower_bound */) ?? 0) + 1 : undefined;
    });
    if (dims.length === 0) dims.push(undefined);
    return dims.reduceRight<CType>((inner, count) => ({ kind: 'array', element: inner, count }), element);
  }
}

/** The type under typedefs and qualifiers. */
export function resolve(type: CType): CType {
  let t = type;
  for (let hops = 0; (t.kind === 'typedef' || t.kind === 'qualified') && hops < 64; hops++) t = t.target;
  return t;
}

export function sizeOf(type: CType): number {
  const t = resolve(type);
  switch (t.kind) {
    case 'void': case 'function': return 1;
    case 'array': return (t.count ?? 0) * sizeOf(t.element);
    case 'typedef': case 'qualified': return 0;
    default: return t.size;
  }
}

export function isSigned(type: CType): boolean {
  const t = resolve(type);
  if (t.kind === 'enum') return t.signed;
  return t.kind === 'base' && (t.encoding === DW_ATE.signed || t.encoding === DW_ATE.signedChar);
}

export function isFloat(type: CType): boolean {
  const t = resolve(type);
  return t.kind === 'base' && t.encoding === DW_ATE.float;
}

/** Integers, chars, bools, enums: what C arithmetic takes (pointers apart). */
export function isInteger(type: CType): boolean {
  const t = resolve(type);
  return t.kind === 'enum' || (t.kind === 'base' && t.encoding !== DW_ATE.float && t.size > 0);
}

/**
 * `char` (and UTF code units): arrays of and pointers to it are shown as strings; `unsigned char` is a byte, except
 * in a counted string (`anyByte`: wit-bindgen's `uint8_t *ptr` with a `len`).
 */
export function isTextChar(type: CType, anyByte = false): boolean {
  const t = resolve(type);
  return t.kind === 'base' && t.size === 1 && (t.name === 'char' || t.encoding === DW_ATE.utf || (anyByte && t.encoding !== DW_ATE.boolean));
}

export function isCharLike(type: CType): boolean {
  const t = resolve(type);
  return t.kind === 'base' && t.size === 1 && (t.encoding === DW_ATE.signedChar || t.encoding === DW_ATE.unsignedChar || t.encoding === DW_ATE.utf);
}

/** The C spelling of a type: `const char *`, `int[3][2]`, `struct node *`, `point_t`. */
export function typeName(type: CType): string {
  return declarator(type, '');
}

function declarator(type: CType, inner: string): string {
  const named = (base: string) => (!inner ? base : inner.startsWith('[') ? `${base}${inner}` : `${base} ${inner}`);
  switch (type.kind) {
    case 'void': return named('void');
    case 'base': case 'typedef': case 'function': return named(type.name);
    case 'struct': case 'union': case 'class': case 'enum': return named(`${type.kind} ${type.name ?? '<anonymous>'}`);
    // `const char`; on a pointer the qualifier follows the star: `char *const`.
    case 'qualified':
      return type.target.kind === 'pointer'
        ? declarator(type.target, inner ? `${type.qualifier} ${inner}` : type.qualifier)
        : `${type.qualifier} ${declarator(type.target, inner)}`;
    case 'pointer': {
      const star = `${type.reference ? '&' : '*'}${inner}`;
      const target = type.target;
      return declarator(target, target.kind === 'array' || target.kind === 'function' ? `(${star})` : star);
    }
    case 'array': return declarator(type.element, `${inner}[${type.count ?? ''}]`);
  }
}
