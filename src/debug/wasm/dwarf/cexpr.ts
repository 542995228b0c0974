// C expressions over the variables in scope (hover, watch, the debug console) and setting a scalar or pointer from one.
import { DW_ATE } from './constants';
import { NotAvailable, type FrameAccess } from './expression';
import type { DwarfInfo, Scopes, Variable } from './index';
import { isFloat, isInteger, isSigned, resolve, sizeOf, typeName, VOID, type CType } from './types';
import { element, locate, member, readBytes, readScalar, render, toBytes, Unreadable, type TypedValue, type ValueNode } from './values';

/** A wrong expression or assignment, with a short message for the user. */
export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

/** What names in an expression mean: the variables in scope (innermost first), the frame, the module's types. */
export interface ExpressionScope {
  variables: Variable[];
  frame: FrameAccess;
  info: DwarfInfo;
}

/** Where a setValue writes: bytes in linear memory, or the new raw bits of a Wasm local. */
export type Write = { kind: 'memory'; address: number; bytes: Uint8Array } | { kind: 'local'; index: number; value: bigint };

/** The variables names resolve to, innermost first: block locals, then arguments, then globals. */
export function scopeVariables(scopes: Scopes): Variable[] {
  return [...scopes.locals, ...scopes.args, ...scopes.globals];
}

/** Evaluates `text` and renders the result as a tree node named after the expression. */
export async function evaluateExpression(text: string, scope: ExpressionScope): Promise<ValueNode> {
  return render(text, await evaluateValue(text, scope), scope.frame);
}

/** Evaluates `text` to a typed value (an lvalue when it designates storage). */
export async function evaluateValue(text: string, scope: ExpressionScope): Promise<TypedValue> {
  const parser = new Parser(tokenize(text), scope);
  try {
    const value = await parser.expression();
    parser.expectEnd();
    return value;
  } catch (err) {
    if (err instanceof NotAvailable || err instanceof Unreadable) throw new ExpressionError(err.message);
    throw err;
  }
}

/** Where and what to write so that `target` (a scalar or pointer) holds the value of expression `text`, checked against its type. */
export async function setValue(target: TypedValue, text: string, scope: ExpressionScope): Promise<Write> {
  const t = resolve(target.type);
  if (t.kind !== 'base' && t.kind !== 'enum' && t.kind !== 'pointer') throw new ExpressionError(`only scalars and pointers can be set, not ${typeName(target.type)}`);
  const converted = await convert(await evaluateValue(text, scope), target.type, scope.frame, 'assign');
  let bytes = await readBytes(converted, scope.frame);
  const place = target.place;
  if (target.bits) {
    // A bitfield: its bits spliced into the bytes that hold it.
    const storage = await readBytes(target, scope.frame);
    const mask = ((1n << BigInt(target.bits.size)) - 1n) << BigInt(target.bits.offset);
    const old = storage.reduceRight((v, b) => (v << 8n) | BigInt(b), 0n);
    const value = (old & ~mask) | ((bytesValue(bytes) << BigInt(target.bits.offset)) & mask);
    bytes = toBytes(value, storage.length);
  }
  if (place.kind === 'memory') return { kind: 'memory', address: place.address, bytes };
  if (place.kind === 'bytes' && place.local !== undefined && !target.bits) return { kind: 'local', index: place.local, value: bytesValue(bytes) };
  throw new ExpressionError(place.kind === 'unavailable' ? `cannot set it: ${place.reason}` : 'cannot set it: the compiler computes this value, it is not stored');
}

function bytesValue(bytes: Uint8Array): bigint {
  return bytes.reduceRight((v, b) => (v << 8n) | BigInt(b), 0n);
}

type Token = { kind: 'name' | 'number' | 'char' | 'op'; text: string; at: number };

const OPERATORS = ['->', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '.', '[', ']', '(', ')', '*', '&', '+', '-', '/', '%', '<', '>', '!', '~', '^', '|', '?', ':'];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) { i += space[0].length; continue; }
    const m = /^[A-Za-z_$][\w$]*/.exec(rest) ?? /^(0[xX][0-9a-fA-F]+|\d+\.\d*(?:[eE][-+]?\d+)?[fF]?|\.\d+(?:[eE][-+]?\d+)?[fF]?|\d+[eE][-+]?\d+[fF]?|\d+)[uUlL]*/.exec(rest) ?? /^'(\\.|[^'\\])'/.exec(rest);
    if (m) {
      tokens.push({ kind: /^[A-Za-z_$]/.test(m[0]) ? 'name' : m[0].startsWith("'") ? 'char' : 'number', text: m[0], at: i });
      i += m[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (!op) throw new ExpressionError(`unexpected '${text[i]}' at column ${i + 1}`);
    tokens.push({ kind: 'op', text: op, at: i });
    i += op.length;
  }
  return tokens;
}

/** Binary operators by precedence, loosest first (C's, without assignment and the comma). */
const BINARY: string[][] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '<=', '>', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

const base = (name: string, size: number, encoding: number): CType => ({ kind: 'base', name, size, encoding });
const INT = base('int', 4, DW_ATE.signed);
const UINT = base('unsigned int', 4, DW_ATE.unsigned);
const LONGLONG = base('long long', 8, DW_ATE.signed);
const ULONGLONG = base('unsigned long long', 8, DW_ATE.unsigned);
const DOUBLE = base('double', 8, DW_ATE.float);
const SIZE_T = base('unsigned long', 4, DW_ATE.unsigned);

/** C's base types on wasm32, for casts to a type the program's DWARF does not mention. */
const C_TYPES: Record<string, CType> = {
  char: base('char', 1, DW_ATE.signedChar), 'signed char': base('signed char', 1, DW_ATE.signedChar), 'unsigned char': base('unsigned char', 1, DW_ATE.unsignedChar),
  short: base('short', 2, DW_ATE.signed), 'unsigned short': base('unsigned short', 2, DW_ATE.unsigned), int: INT, 'unsigned int': UINT,
  long: base('long', 4, DW_ATE.signed), 'unsigned long': SIZE_T, 'long long': LONGLONG, 'unsigned long long': ULONGLONG,
  float: base('float', 4, DW_ATE.float), double: DOUBLE, _Bool: base('_Bool', 1, DW_ATE.boolean), void: VOID,
};
const TYPE_WORDS = new Set(['char', 'short', 'int', 'long', 'signed', 'unsigned', 'float', 'double', '_Bool', 'void', 'const', 'volatile', 'struct', 'union', 'enum']);

/** `unsigned long int` → `unsigned long`, `signed` → `int`: the spelling clang gives base types in DWARF. */
function baseTypeName(words: string[]): string {
  const w = words.filter((x) => x !== 'int' || words.length === 1 || (words.length === 2 && words[0] === 'unsigned'));
  if (w.length === 1 && w[0] === 'signed') return 'int';
  if (w[0] === 'signed' && w[1] !== 'char') w.shift();
  if (w.length === 1 && w[0] === 'unsigned') return 'unsigned int';
  return w.join(' ');
}

class Parser {
  private i = 0;
  /** False inside sizeof, whose operand C does not evaluate: no variable or memory is read there. */
  private evaluated = true;

  constructor(
    private readonly tokens: Token[],
    private readonly scope: ExpressionScope,
  ) {
    if (tokens.length === 0) throw new ExpressionError('empty expression');
  }

  expectEnd(): void {
    const t = this.tokens[this.i];
    if (t) throw new ExpressionError(`unexpected '${t.text}' at column ${t.at + 1}`);
  }

  private peek(text?: string): Token | undefined {
    const t = this.tokens[this.i];
    return !text || t?.text === text ? t : undefined;
  }

  private take(text?: string): Token {
    const t = this.tokens[this.i];
    if (!t) throw new ExpressionError(text ? `expected '${text}' at the end` : 'unexpected end of the expression');
    if (text && t.text !== text) throw new ExpressionError(`expected '${text}' at column ${t.at + 1}, not '${t.text}'`);
    this.i++;
    return t;
  }

  async expression(): Promise<TypedValue> {
    const condition = await this.binary(0);
    if (!this.peek('?')) return condition;
    this.take('?');
    const yes = await this.expression();
    this.take(':');
    const no = await this.expression();
    return (await this.truth(condition)) ? yes : no;
  }

  private async binary(level: number): Promise<TypedValue> {
    if (level === BINARY.length) return this.unary();
    let left = await this.binary(level + 1);
    for (let t = this.peek(); t && t.kind === 'op' && BINARY[level].includes(t.text); t = this.peek()) {
      this.take();
      const right = await this.binary(level + 1);
      left = await this.apply(t.text, left, right);
    }
    return left;
  }

  private async unary(): Promise<TypedValue> {
    const t = this.peek();
    if (t?.kind === 'op' && ['*', '&', '-', '+', '!', '~'].includes(t.text)) {
      this.take();
      const operand = await this.unary();
      switch (t.text) {
        case '*': return this.deref(operand);
        case '&': return addressOf(operand);
        case '!': return intValue(BigInt(!(await this.truth(operand))));
        case '+': return operand;
        case '-': case '~': {
          const v = await this.number(operand);
          if (typeof v === 'number') return t.text === '-' ? floatValue(-v) : fail('~ needs an integer');
          return integer(t.text === '-' ? -v : ~v, promoted(operand.type));
        }
      }
    }
    if (t?.kind === 'name' && t.text === 'sizeof') {
      this.take();
      if (this.peek('(') && this.isTypeAhead(1)) {
        this.take('(');
        const type = this.typeName();
        this.take(')');
        return integer(BigInt(sizeOf(type)), SIZE_T);
      }
      // C does not evaluate sizeof's operand: only its type counts, so an optimized-out variable has a size too.
      const evaluated = this.evaluated;
      this.evaluated = false;
      try {
        return integer(BigInt(sizeOf((await this.unary()).type)), SIZE_T);
      } finally {
        this.evaluated = evaluated;
      }
    }
    if (t?.text === '(' && this.isTypeAhead(1)) {
      this.take('(');
      const type = this.typeName();
      this.take(')');
      return convert(await this.unary(), type, this.scope.frame, 'cast');
    }
    return this.postfix(await this.primary());
  }

  private async postfix(value: TypedValue): Promise<TypedValue> {
    for (;;) {
      const t = this.peek();
      if (t?.text === '.' || t?.text === '->') {
        this.take();
        const name = this.take().text;
        value = memberNamed(t.text === '->' ? await this.deref(value) : value, name);
      } else if (t?.text === '[') {
        this.take();
        const index = await this.expression();
        this.take(']');
        value = await this.deref(await this.apply('+', value, index));
      } else return value;
    }
  }

  private async primary(): Promise<TypedValue> {
    const t = this.take();
    if (t.text === '(') {
      const value = await this.expression();
      this.take(')');
      return value;
    }
    if (t.kind === 'number') return numberLiteral(t.text);
    if (t.kind === 'char') return integer(BigInt(charCode(t.text.slice(1, -1))), INT);
    if (t.kind === 'name') {
      const variable = this.scope.variables.find((v) => v.name === t.text);
      // Unevaluated, a variable is only its type (placed at address 0, which a cast can read).
      if (variable) return this.evaluated ? locate(variable, this.scope.frame) : { type: variable.type, place: { kind: 'memory', address: 0 } };
      const enumerator = this.scope.info.enumerator(t.text);
      if (enumerator) return integer(enumerator.value, enumerator.type);
      throw new ExpressionError(`no variable named '${t.text}' here`);
    }
    throw new ExpressionError(`unexpected '${t.text}' at column ${t.at + 1}`);
  }

  /** Whether a type name starts `offset` tokens ahead (for casts and sizeof). */
  private isTypeAhead(offset: number): boolean {
    const t = this.tokens[this.i + offset];
    if (t?.kind !== 'name') return false;
    return TYPE_WORDS.has(t.text) || (!this.scope.variables.some((v) => v.name === t.text) && this.scope.info.typeNamed(t.text) !== undefined);
  }

  private typeName(): CType {
    const words: string[] = [];
    let type: CType | undefined;
    while (this.peek()?.kind === 'name') {
      const word = this.take().text;
      if (word === 'const' || word === 'volatile') continue;
      if (word === 'struct' || word === 'union' || word === 'enum') {
        const tag = this.take().text;
        type = this.scope.info.typeNamed(tag, word);
        if (!type) throw new ExpressionError(`no type named '${word} ${tag}'`);
        continue;
      }
      if (type || (words.length && !TYPE_WORDS.has(word))) throw new ExpressionError(`unexpected '${word}' in a type name`);
      words.push(word);
    }
    if (!type) {
      const name = TYPE_WORDS.has(words[0]) ? baseTypeName(words) : words.join(' ');
      type = this.scope.info.typeNamed(name) ?? C_TYPES[name];
      if (!type) throw new ExpressionError(`no type named '${name}'`);
    }
    while (this.peek('*')) {
      this.take();
      type = { kind: 'pointer', size: 4, target: type };
    }
    return type;
  }

  private async deref(value: TypedValue): Promise<TypedValue> {
    const t = resolve(value.type);
    if (t.kind === 'array') {
      if (value.place.kind !== 'memory') return element(value, 0);
      return { type: t.element, place: value.place };
    }
    if (t.kind !== 'pointer') throw new ExpressionError(`cannot dereference a value of type ${typeName(value.type)}`);
    const target = resolve(t.target);
    if (target.kind === 'void') throw new ExpressionError('cannot dereference a void pointer (cast it first)');
    const address = Number(BigInt.asUintN(32, (await this.number(value)) as bigint));
    return { type: t.target, place: { kind: 'memory', address } };
  }

  private async number(value: TypedValue): Promise<bigint | number> {
    // Unevaluated, any number does (1: no division by zero, a pointer to readable memory).
    if (!this.evaluated) return isFloat(value.type) ? 1 : 1n;
    return numberOf(value, this.scope.frame);
  }

  private async truth(value: TypedValue): Promise<boolean> {
    const v = await this.number(value);
    return typeof v === 'number' ? v !== 0 : v !== 0n;
  }

  private async apply(op: string, left: TypedValue, right: TypedValue): Promise<TypedValue> {
    if (op === '&&') return intValue(BigInt((await this.truth(left)) && (await this.truth(right))));
    if (op === '||') return intValue(BigInt((await this.truth(left)) || (await this.truth(right))));
    const lt = pointerLike(left.type);
    const rt = pointerLike(right.type);
    if (lt || rt) return this.pointerArithmetic(op, left, right);
    const x = await this.number(left);
    const y = await this.number(right);
    if (typeof x === 'number' || typeof y === 'number') {
      const a = Number(x);
      const b = Number(y);
      switch (op) {
        case '+': return floatValue(a + b);
        case '-': return floatValue(a - b);
        case '*': return floatValue(a * b);
        case '/': return floatValue(a / b);
        default: return comparison(op, a, b) ?? fail(`'${op}' needs integers`);
      }
    }
    const type = common(left.type, right.type);
    const bits = sizeOf(type) * 8;
    const norm = (v: bigint) => (isSigned(type) ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v));
    const [a, b] = [norm(x), norm(y)];
    switch (op) {
      case '+': return integer(a + b, type);
      case '-': return integer(a - b, type);
      case '*': return integer(a * b, type);
      case '/': case '%':
        if (b === 0n) throw new ExpressionError('division by zero');
        return integer(op === '/' ? a / b : a % b, type);
      case '<<': return integer(a << BigInt.asUintN(6, b), type);
      case '>>': return integer(a >> BigInt.asUintN(6, b), type);
      case '&': return integer(a & b, type);
      case '|': return integer(a | b, type);
      case '^': return integer(a ^ b, type);
    }
    return comparison(op, a, b) ?? fail(`unknown operator '${op}'`);
  }

  private async pointerArithmetic(op: string, left: TypedValue, right: TypedValue): Promise<TypedValue> {
    const lp = pointerLike(left.type);
    const rp = pointerLike(right.type);
    const x = await this.number(left);
    const y = await this.number(right);
    if (typeof x === 'number' || typeof y === 'number') throw new ExpressionError('pointer arithmetic needs integers');
    if (lp && rp) {
      if (op === '-') return integer((x - y) / BigInt(Math.max(1, sizeOf(lp.target))), INT);
      if (['==', '!=', '<', '<=', '>', '>='].includes(op)) return this.apply(op, integer(x, UINT), integer(y, UINT));
      throw new ExpressionError(`'${op}' does not take two pointers`);
    }
    const [pointer, offset, value] = lp ? [lp, y, x] : [rp!, x, y];
    if (op === '+' || (op === '-' && lp)) {
      const step = BigInt(Math.max(1, sizeOf(pointer.target))) * (op === '-' ? -offset : offset);
      return integer(value + step, pointer);
    }
    if (['==', '!='].includes(op)) return this.apply(op, integer(x, UINT), integer(y, UINT));
    throw new ExpressionError(`'${op}' does not take a pointer`);
  }
}

const COMPARISONS: Record<string, (order: number) => boolean> = {
  '<': (o) => o < 0, '<=': (o) => o <= 0, '>': (o) => o > 0, '>=': (o) => o >= 0, '==': (o) => o === 0, '!=': (o) => o !== 0,
};

/** `a op b` as C's int 0 or 1, for a comparison operator; undefined for any other. */
function comparison<T extends number | bigint>(op: string, a: T, b: T): TypedValue | undefined {
  const holds = COMPARISONS[op];
  return holds && intValue(BigInt(holds(a < b ? -1 : a > b ? 1 : 0)));
}

function fail(message: string): never {
  throw new ExpressionError(message);
}

/** A pointer type, or an array's decayed pointer. */
function pointerLike(type: CType): (CType & { kind: 'pointer' }) | undefined {
  const t = resolve(type);
  if (t.kind === 'pointer') return t;
  if (t.kind === 'array') return { kind: 'pointer', size: 4, target: t.element };
  return undefined;
}

/** A scalar's number; an array in memory is its address (C's decay). */
async function numberOf(value: TypedValue, frame: FrameAccess): Promise<bigint | number> {
  const t = resolve(value.type);
  if (t.kind === 'array') {
    if (value.place.kind !== 'memory') throw new ExpressionError('this array is not in memory: it has no address');
    return BigInt(value.place.address);
  }
  if (t.kind === 'struct' || t.kind === 'union' || t.kind === 'class') throw new ExpressionError(`a ${typeName(value.type)} is not a number`);
  if (t.kind === 'void' || t.kind === 'function') throw new ExpressionError(`a ${typeName(value.type)} has no value`);
  return readScalar(value, frame);
}

function addressOf(value: TypedValue): TypedValue {
  if (value.bits) throw new ExpressionError('cannot take the address of a bitfield');
  if (value.place.kind !== 'memory') throw new ExpressionError('cannot take the address of a value that is not in memory');
  return integer(BigInt(value.place.address), { kind: 'pointer', size: 4, target: value.type });
}

function memberNamed(value: TypedValue, name: string): TypedValue {
  const t = resolve(value.type);
  if (t.kind !== 'struct' && t.kind !== 'union' && t.kind !== 'class') throw new ExpressionError(`a ${typeName(value.type)} has no members`);
  const m = t.members.find((x) => x.name === name);
  if (!m) throw new ExpressionError(`no member named '${name}' in ${typeName(value.type)}`);
  return member(value, m);
}

/** C's integer promotion: anything narrower than int becomes int. */
function promoted(type: CType): CType {
  const t = resolve(type);
  if (t.kind === 'enum') return INT;
  if (t.kind === 'base' && t.size >= 4) return t;
  return INT;
}

/** The usual arithmetic conversions for two integers. */
function common(a: CType, b: CType): CType {
  const [x, y] = [promoted(a), promoted(b)];
  const wide = sizeOf(x) === 8 || sizeOf(y) === 8;
  const unsigned = [x, y].some((t) => !isSigned(t) && sizeOf(t) === (wide ? 8 : 4));
  return wide ? (unsigned ? ULONGLONG : LONGLONG) : unsigned ? UINT : INT;
}

function integer(value: bigint, type: CType): TypedValue {
  return { type, place: { kind: 'bytes', bytes: toBytes(value, sizeOf(type)) } };
}

function intValue(value: bigint): TypedValue {
  return integer(value, INT);
}

function floatValue(value: number, type: CType = DOUBLE): TypedValue {
  const bytes = new Uint8Array(sizeOf(type));
  const view = new DataView(bytes.buffer);
  if (bytes.length === 4) view.setFloat32(0, value, true);
  else view.setFloat64(0, value, true);
  return { type, place: { kind: 'bytes', bytes } };
}

function numberLiteral(text: string): TypedValue {
  if (/[.eE]/.test(text) && !/^0[xX]/.test(text)) {
    const isFloat32 = /[fF]$/.test(text);
    return floatValue(Number(text.replace(/[fF]$/, '')), isFloat32 ? C_TYPES.float : DOUBLE);
  }
  const digits = text.replace(/[uUlL]+$/, '');
  const value = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  const unsigned = /[uU]/.test(text);
  const long = /[lL]{2}/.test(text) || value > 0xffffffffn;
  const type = long ? (unsigned ? ULONGLONG : LONGLONG) : unsigned || value > 0x7fffffffn ? UINT : INT;
  return integer(value, type);
}

function charCode(body: string): number {
  if (!body.startsWith('\\')) return body.charCodeAt(0);
  const escapes: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, a: 7, b: 8, f: 12, v: 11, '\\': 92, "'": 39, '"': 34 };
  return escapes[body[1]] ?? body.charCodeAt(1);
}

/** `value` as type `type`: a C cast, or the conversion of an assignment (which refuses what C would not convert silently). */
async function convert(value: TypedValue, type: CType, frame: FrameAccess, how: 'cast' | 'assign'): Promise<TypedValue> {
  const to = resolve(type);
  if (to.kind === 'void') return { type, place: { kind: 'bytes', bytes: new Uint8Array() } };
  if (to.kind !== 'base' && to.kind !== 'enum' && to.kind !== 'pointer') throw new ExpressionError(`cannot convert to ${typeName(type)}`);
  const v = await numberOf(value, frame);
  const from = resolve(value.type);
  if (how === 'assign' && to.kind === 'pointer' && from.kind !== 'pointer' && from.kind !== 'array' && v !== 0n) {
    if (!isInteger(from)) throw new ExpressionError(`cannot assign a ${typeName(value.type)} to a pointer`);
  }
  if (how === 'assign' && to.kind !== 'pointer' && (from.kind === 'pointer' || from.kind === 'array')) {
    throw new ExpressionError(`cannot assign a pointer to a ${typeName(type)}`);
  }
  if (isFloat(to)) return floatValue(Number(v), to);
  if (typeof v === 'number') {
    if (to.kind === 'pointer') throw new ExpressionError('cannot convert a floating-point value to a pointer');
    if (!Number.isFinite(v)) throw new ExpressionError(`${v} does not fit in ${typeName(type)}`);
    return integer(BigInt(Math.trunc(v)), type);
  }
  if (to.kind === 'base' && to.encoding === DW_ATE.boolean) return integer(BigInt(v !== 0n), type);
  const bits = BigInt(sizeOf(type) * 8);
  if (how === 'assign' && (v < -(1n << (bits - 1n)) || v >= 1n << bits)) throw new ExpressionError(`${v} does not fit in ${typeName(type)}`);
  return integer(v, type);
}
