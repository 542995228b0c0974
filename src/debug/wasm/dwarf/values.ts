// Typed values of a stopped Wasm frame: where a variable's bytes are, read and rendered as a tree of plain objects.
import { DW_ATE } from './constants';
import { evaluate, littleEndian, NotAvailable, type FrameAccess, type Location } from './expression';
import { DwarfError } from './info';
import type { Variable } from './index';
import { isCharLike, isFloat, isInteger, isTextChar, isSigned, resolve, sizeOf, typeName, type CType, type Member } from './types';

/** Where an object's bytes are. */
export type Place =
  | { kind: 'memory'; address: number }
  /** Bytes the debugger already has (a value in a local, a constant, pieces); `missing` byte ranges it has not; `local` when the whole object is that Wasm local. */
  | { kind: 'bytes'; bytes: Uint8Array; missing?: Missing[]; local?: number }
  | { kind: 'unavailable'; reason: string };

/** Bytes [start, end) of an object that are not available, and why. */
export interface Missing {
  start: number;
  end: number;
  reason: string;
}

/** An object of a C type somewhere in the frame; `bits` for a bitfield member within its bytes. */
export interface TypedValue {
  type: CType;
  place: Place;
  bits?: { offset: number; size: number };
}

/** A node of the Variables tree: plain data, children read on demand. */
export interface ValueNode {
  name: string;
  type: string;
  value: string;
  /** The object's address in linear memory, when it is in memory. */
  address?: number;
  /** Child nodes (members, elements, the pointee); arrays page with `start` and `count`. */
  children?: (start?: number, count?: number) => Promise<ValueNode[]>;
  /** Element count of an array, for paging. */
  indexedCount?: number;
  /** The object behind the node, for expressions and setValue. */
  object: TypedValue;
}

/** Memory the frame cannot read (out of linear memory's bounds). */
export class Unreadable extends Error {
  override name = 'Unreadable';
}

/** Objects larger than this are not read whole (a corrupt byte size must not allocate gigabytes). */
const MAX_OBJECT = 1 << 24;

function checkSize(size: number): void {
  if (!(size >= 0 && size <= MAX_OBJECT)) throw new NotAvailable(`a ${size}-byte object is too large to read`);
}

/** Characters of a C string read before it is cut. */
export const STRING_BOUND = 256;
/** Elements and members shown in a one-line preview. */
const PREVIEW_ITEMS = 8;

/** Where the variable is at its pinned code offset. */
export async function locate(variable: Variable, frame: FrameAccess): Promise<TypedValue> {
  const type = variable.type;
  if (variable.error) return { type, place: { kind: 'unavailable', reason: variable.error } };
  if (variable.constValue !== undefined) {
    const bytes = typeof variable.constValue === 'bigint' ? toBytes(variable.constValue, sizeOf(type)) : variable.constValue;
    return { type, place: { kind: 'bytes', bytes } };
  }
  if (!variable.location) return { type, place: { kind: 'unavailable', reason: 'optimized out' } };
  try {
    const location = await evaluate(variable.location, { frame, unit: variable.unit, frameBase: variable.frameBase });
    return { type, place: await placeOf(location, sizeOf(type), frame) };
  } catch (err) {
    if (err instanceof NotAvailable || err instanceof DwarfError) return { type, place: { kind: 'unavailable', reason: err.message } };
    throw err;
  }
}

async function placeOf(location: Location, size: number, frame: FrameAccess): Promise<Place> {
  checkSize(size);
  if (location.length === 1 && location[0].size === undefined) {
    const where = location[0].where;
    switch (where.kind) {
      case 'memory': return where;
      case 'value': return { kind: 'bytes', bytes: toBytes(where.value, size), local: where.local };
      case 'bytes': return { kind: 'bytes', bytes: where.bytes };
      case 'unavailable': return where;
    }
  }
  const bytes = new Uint8Array(Math.max(size, location.reduce((n, p) => n + (p.size ?? 0), 0)));
  const missing: Missing[] = [];
  let at = 0;
  for (const { where, size: pieceSize = 0 } of location) {
    const end = at + pieceSize;
    if (where.kind === 'memory') {
      const read = await frame.readMemory(where.address, pieceSize);
      bytes.set(read, at);
      if (read.length < pieceSize) missing.push({ start: at + read.length, end, reason: `cannot read memory at 0x${(where.address + read.length).toString(16)}` });
    } else if (where.kind === 'value') bytes.set(toBytes(where.value, pieceSize), at);
    else if (where.kind === 'bytes') bytes.set(where.bytes.subarray(0, pieceSize), at);
    else missing.push({ start: at, end, reason: where.reason });
    at = end;
  }
  if (at < bytes.length) missing.push({ start: at, end: bytes.length, reason: 'optimized out' });
  return { kind: 'bytes', bytes, missing };
}

/** `value` as `size` little-endian bytes (two's complement). */
export function toBytes(value: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = BigInt.asUintN(Math.max(size, 1) * 8, value);
  for (let i = 0; i < size; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/** The object `offset` bytes into `value`, of type `type`. */
export function at(value: TypedValue, offset: number, type: CType): TypedValue {
  const place = value.place;
  switch (place.kind) {
    case 'memory': return { type, place: { kind: 'memory', address: place.address + offset } };
    case 'unavailable': return { type, place };
    case 'bytes': {
      const size = sizeOf(type);
      const missing = place.missing?.map((m) => ({ ...m, start: m.start - offset, end: m.end - offset })).filter((m) => m.end > 0 && m.start < size);
      const bytes = place.bytes.subarray(offset, offset + size);
      if (bytes.length < size) return { type, place: { kind: 'unavailable', reason: 'past the end of the value' } };
      return { type, place: { kind: 'bytes', bytes, missing } };
    }
  }
}

export function member(value: TypedValue, m: Member): TypedValue {
  if (m.bitSize === undefined) return at(value, m.offset, m.type);
  // A bitfield: the bytes that hold its bits, then the bits within them.
  const bits = { offset: m.bitOffset ?? 0, size: m.bitSize };
  const storage: CType = { kind: 'array', element: BYTE, count: Math.ceil((bits.offset + bits.size) / 8) };
  return { ...at(value, m.offset, storage), type: m.type, bits };
}

const BYTE: CType = { kind: 'base', name: 'unsigned char', size: 1, encoding: DW_ATE.unsignedChar };

/** Element `index` of an array, or the object `index` elements past a pointer's target. */
export function element(value: TypedValue, index: number): TypedValue {
  const t = resolve(value.type);
  if (t.kind !== 'array') throw new Error('not an array');
  return at(value, index * sizeOf(t.element), t.element);
}

/** The bytes of an object (its storage bytes for a bitfield). */
export async function readBytes(value: TypedValue, frame: FrameAccess): Promise<Uint8Array> {
  const size = value.bits ? Math.ceil((value.bits.offset + value.bits.size) / 8) : sizeOf(value.type);
  checkSize(size);
  const place = value.place;
  switch (place.kind) {
    case 'unavailable': throw new NotAvailable(place.reason);
    case 'bytes':
      const gap = place.missing?.find((m) => m.start < size && m.end > 0);
      if (gap) throw new NotAvailable(gap.reason);
      return place.bytes.subarray(0, size);
    case 'memory': {
      const bytes = await frame.readMemory(place.address, size);
      if (bytes.length < size) throw new Unreadable(`cannot read memory at 0x${(place.address + bytes.length).toString(16)}`);
      return bytes;
    }
  }
}

/** A scalar's value: integers and pointers as bigint (signed by type), floats as number. */
export async function readScalar(value: TypedValue, frame: FrameAccess): Promise<bigint | number> {
  const bytes = await readBytes(value, frame);
  let raw = littleEndian(bytes);
  let bits = bytes.length * 8;
  if (value.bits) {
    raw = (raw >> BigInt(value.bits.offset)) & ((1n << BigInt(value.bits.size)) - 1n);
    bits = value.bits.size;
  }
  if (isFloat(value.type)) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    return bytes.length === 4 ? view.getFloat32(0, true) : bytes.length === 8 ? view.getFloat64(0, true) : Number.NaN;
  }
  return isSigned(value.type) && bits > 0 ? BigInt.asIntN(bits, raw) : raw;
}

/** The text of a scalar of type `type`. */
export function scalarText(type: CType, v: bigint | number): string {
  const t = resolve(type);
  if (typeof v === 'number') return formatFloat(v, t.kind === 'base' ? t.size : 8);
  if (t.kind === 'pointer') return v === 0n ? '0x0' : `0x${v.toString(16).padStart(8, '0')}`;
  if (t.kind === 'enum') return t.enumerators.find((e) => e.value === v || BigInt.asUintN(t.size * 8, e.value) === v)?.name ?? `${v}`;
  if (t.kind === 'base' && t.encoding === DW_ATE.boolean) return v === 0n ? 'false' : v === 1n ? 'true' : `true (${v})`;
  if (isCharLike(t)) return `${v} ${charLiteral(Number(BigInt.asUintN(8, v)))}`;
  return `${v}`;
}

/** The shortest decimal that reads back as the same float (a float32 needs at most 9 digits). */
function formatFloat(v: number, size: number): string {
  if (size !== 4 || !Number.isFinite(v)) return `${v}`;
  for (let digits = 1; digits < 9; digits++) if (Math.fround(Number(v.toPrecision(digits))) === v) return `${Number(v.toPrecision(digits))}`;
  return `${Number(v.toPrecision(9))}`;
}

const ESCAPES: Record<number, string> = { 0: '\\0', 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 34: '\\"', 39: "\\'", 92: '\\\\' };

function charLiteral(code: number): string {
  return `'${escapeChar(code, "'")}'`;
}

function escapeChar(code: number, quote: string): string {
  if (ESCAPES[code] && (code !== 34 && code !== 39 ? true : String.fromCharCode(code) === quote)) return ESCAPES[code];
  if (code >= 0x20 && code < 0x7f) return String.fromCharCode(code);
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

/**
 * Bytes as a C string literal, cut at the first NUL (`…` when none came within the bytes); with `length`, a counted
 * string: all `length` bytes, `…` when fewer were read.
 */
export function cString(bytes: Uint8Array, length?: number): string {
  const nul = length === undefined ? bytes.indexOf(0) : bytes.length < length ? -1 : bytes.length;
  const text = bytes.subarray(0, nul < 0 ? bytes.length : nul);
  // UTF-8 when it decodes, byte escapes otherwise.
  let body: string;
  try {
    body = [...new TextDecoder('utf-8', { fatal: true }).decode(text)].map((c) => (c.length === 1 && c.charCodeAt(0) < 0x80 ? escapeChar(c.charCodeAt(0), '"') : c)).join('');
  } catch {
    body = [...text].map((b) => escapeChar(b, '"')).join('');
  }
  return `"${body}"${nul < 0 ? '…' : ''}`;
}

/** Reads a C string at `address`, at most STRING_BOUND bytes. */
export async function readCString(frame: FrameAccess, address: number): Promise<string> {
  const bytes = await frame.readMemory(address, STRING_BOUND);
  if (bytes.length === 0) return `<cannot read memory at 0x${address.toString(16)}>`;
  return cString(bytes);
}

/** A variable as a tree node. */
export async function renderVariable(variable: Variable, frame: FrameAccess): Promise<ValueNode> {
  return render(variable.name, await locate(variable, frame), frame);
}

/** An object as a tree node: its value text, and children for pointers, arrays, structs and unions. */
export async function render(name: string, value: TypedValue, frame: FrameAccess): Promise<ValueNode> {
  const node: ValueNode = { name, type: typeName(value.type), value: '', object: value };
  if (value.place.kind === 'memory') node.address = value.place.address;
  const t = resolve(value.type);
  if (value.place.kind === 'unavailable') {
    node.value = unavailableText(new NotAvailable(value.place.reason));
    return node;
  }
  try {
    switch (t.kind) {
      case 'struct': case 'union': case 'class': {
        const members = async () => Promise.all(t.members.map((m, i) => render(m.name || `<anonymous ${i}>`, member(value, m), frame)));
        node.children = members;
        node.value = t.declaration ? `${typeName(t)} (incomplete)` : await preview(value, frame);
        const span = await spanOf(value, frame);
        if (span && isTextChar(span.type.element, true)) node.value = cString(await frame.readMemory(span.address, Math.min(span.type.count ?? 0, STRING_BOUND)), span.type.count);
        else if (span) node.children = async () => [...(await members()), await render('[elements]', { type: span.type, place: { kind: 'memory', address: span.address } }, frame)];
        break;
      }
      case 'array': {
        node.indexedCount = t.count ?? 0;
        node.children = async (start = 0, count = node.indexedCount! - start) => {
          const end = Math.min(node.indexedCount!, start + count);
          const out: ValueNode[] = [];
          for (let i = start; i < end; i++) out.push(await render(`[${i}]`, element(value, i), frame));
          return out;
        };
        node.value = isTextChar(t.element) ? await textOrPreview(value, frame) : await preview(value, frame);
        break;
      }
      case 'void': node.value = 'void'; break;
      case 'function': node.value = typeName(t); break;
      default: {
        const v = await readScalar(value, frame);
        node.value = await scalarValueText(t, v, frame);
        if (t.kind === 'pointer' && typeof v === 'bigint') pointerParts(node, t, Number(BigInt.asUintN(32, v)), frame);
      }
    }
  } catch (err) {
    if (!(err instanceof NotAvailable || err instanceof Unreadable)) throw err;
    node.value = unavailableText(err);
    delete node.children;
  }
  return node;
}

/** A `char[]` as a string, or element by element when some of its bytes are not available. */
async function textOrPreview(value: TypedValue, frame: FrameAccess): Promise<string> {
  const t = resolve(value.type) as CType & { kind: 'array' };
  const head: CType = { ...t, count: Math.min(t.count ?? 0, STRING_BOUND) };
  try {
    return cString(await readBytes(at(value, 0, head), frame));
  } catch (err) {
    if (!(err instanceof NotAvailable)) throw err;
    return preview(value, frame);
  }
}

/**
 * A `{ptr, len}` struct (wit-bindgen's strings and lists, the demo's `string_t`): the `len` objects at `ptr`, as an
 * array type; undefined for any other struct or when its fields cannot be read.
 */
async function spanOf(value: TypedValue, frame: FrameAccess): Promise<{ address: number; type: CType & { kind: 'array' } } | undefined> {
  const t = resolve(value.type);
  if (t.kind !== 'struct' || t.members.length !== 2) return undefined;
  const [ptr, len] = t.members;
  const pointer = resolve(ptr.type);
  if (ptr.name !== 'ptr' || len.name !== 'len' || pointer.kind !== 'pointer' || !isInteger(len.type)) return undefined;
  try {
    const address = Number(await readScalar(member(value, ptr), frame));
    const count = Number(await readScalar(member(value, len), frame));
    return { address, type: { kind: 'array', element: pointer.target, count } };
  } catch (err) {
    if (err instanceof NotAvailable || err instanceof Unreadable) return undefined;
    throw err;
  }
}

/** A scalar's text; a `char *` adds the string it points to. */
async function scalarValueText(type: CType, v: bigint | number, frame: FrameAccess): Promise<string> {
  const t = resolve(type);
  const text = scalarText(t, v);
  if (t.kind === 'pointer' && typeof v === 'bigint' && v !== 0n && isTextChar(t.target)) return `${text} ${await readCString(frame, Number(v))}`;
  return text;
}

function unavailableText(err: NotAvailable | Unreadable): string {
  if (err instanceof Unreadable) return `<${err.message}>`;
  return err.message === 'optimized out' ? '<optimized out>' : `<not available: ${err.message}>`;
}

function pointerParts(node: ValueNode, t: CType & { kind: 'pointer' }, address: number, frame: FrameAccess): void {
  const target = resolve(t.target);
  if (address === 0 || target.kind === 'void' || target.kind === 'function') return;
  node.children = async () => [await render(`*${node.name}`, { type: t.target, place: { kind: 'memory', address } }, frame)];
}

/** `{x = 1, y = 2}` / `{1, 2, 3, …}`: a one-line summary of the first scalar members or elements. */
async function preview(value: TypedValue, frame: FrameAccess): Promise<string> {
  const t = resolve(value.type);
  const parts: string[] = [];
  const items = t.kind === 'array' ? Math.min(t.count ?? 0, PREVIEW_ITEMS) : t.kind === 'struct' || t.kind === 'union' || t.kind === 'class' ? Math.min(t.members.length, PREVIEW_ITEMS) : 0;
  for (let i = 0; i < items; i++) {
    const [label, item] = t.kind === 'array' ? ['', element(value, i)] : [`${(t as { members: Member[] }).members[i].name} = `, member(value, (t as { members: Member[] }).members[i])];
    const it = resolve(item.type);
    let text = '{…}';
    if (it.kind === 'array' && isTextChar(it.element)) text = await textOrPreview(item, frame);
    else if (it.kind !== 'struct' && it.kind !== 'union' && it.kind !== 'class' && it.kind !== 'array') {
      try {
        text = await scalarValueText(it, await readScalar(item, frame), frame);
      } catch (err) {
        if (!(err instanceof NotAvailable || err instanceof Unreadable)) throw err;
        text = unavailableText(err);
      }
    }
    parts.push(label + text);
  }
  const total = t.kind === 'array' ? t.count ?? 0 : (t as { members?: Member[] }).members?.length ?? 0;
  if (total > items) parts.push('…');
  return `{${parts.join(', ')}}`;
}
