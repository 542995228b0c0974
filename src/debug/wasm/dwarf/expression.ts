// DWARF expressions: decoded, printed as llvm-dwarfdump prints them, and evaluated to where a variable's bytes are in a Wasm frame.
import { ByteReader, WasmFormatError } from '../bytes';
import { DW_OP, opName, WASM_LOCATION } from './constants';
import { DwarfError, type Unit } from './info';

/** What a frame of the stopped program offers the evaluator (the contract with the Wasm level). */
export interface FrameAccess {
  /** Wasm local `index` of this frame (params first), or undefined when it was not captured. */
  local(index: number): bigint | undefined;
  /** Wasm global `index` (raw bits), or undefined. */
  global(index: number): bigint | undefined;
  /** Reads linear memory 0 at `address`; fewer bytes when out of range. */
  readMemory(address: number, length: number): Promise<Uint8Array>;
}

/** A value the program has but the debugger cannot see here (the operand stack, a local not captured). */
export class NotAvailable extends Error {
  override name = 'NotAvailable';
}

export interface Op {
  code: number;
  /** Byte offset in the expression. */
  at: number;
  /** Byte offset of the next operation. */
  next: number;
  /** Numeric operands (signed ones already signed). */
  args: bigint[];
  /** DW_OP_implicit_value's bytes. */
  bytes?: Uint8Array;
}

/** Where one piece of a variable is. */
export type Where =
  | { kind: 'memory'; address: number }
  /** A value computed by the expression; `local` when it is exactly Wasm local `local` (so it can be set there). */
  | { kind: 'value'; value: bigint; local?: number }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'unavailable'; reason: string };

/** A variable's location: pieces in order; a single piece without `size` covers the whole object. */
export type Location = { where: Where; size?: number }[];

const SIGNED_IMMEDIATE = new Set<number>([DW_OP.const1s, DW_OP.const2s, DW_OP.const4s, DW_OP.const8s, DW_OP.consts, DW_OP.fbreg, DW_OP.skip, DW_OP.bra]);

/** Decodes an expression; a DwarfError names an operation this reader does not know. */
export function decode(expr: Uint8Array, addressSize = 4): Op[] {
  const r = new ByteReader(expr);
  const ops: Op[] = [];
  try {
    while (!r.atEnd) {
      const at = r.offset;
      const code = r.u8();
      const args: bigint[] = [];
      let bytes: Uint8Array | undefined;
      const signed = (n: bigint, bits: number) => BigInt.asIntN(bits, n);
      switch (code) {
        case DW_OP.addr: args.push(addressSize === 8 ? r.u64le() : BigInt(r.u32le())); break;
        case DW_OP.const1u: case DW_OP.pick: case DW_OP.derefSize: args.push(BigInt(r.u8())); break;
        case DW_OP.const1s: args.push(signed(BigInt(r.u8()), 8)); break;
        case DW_OP.const2u: args.push(BigInt(r.u16())); break;
        case DW_OP.const2s: case DW_OP.skip: case DW_OP.bra: args.push(signed(BigInt(r.u16()), 16)); break;
        case DW_OP.const4u: args.push(BigInt(r.u32le())); break;
        case DW_OP.const4s: args.push(signed(BigInt(r.u32le()), 32)); break;
        case DW_OP.const8u: args.push(r.u64le()); break;
        case DW_OP.const8s: args.push(signed(r.u64le(), 64)); break;
        case DW_OP.constu: case DW_OP.plusUconst: case DW_OP.piece: case DW_OP.addrx: case DW_OP.constx: args.push(r.uleb()); break;
        case DW_OP.consts: case DW_OP.fbreg: args.push(r.sleb()); break;
        case DW_OP.implicitValue: { const n = r.uleb(); args.push(n); bytes = r.bytesOf(Number(n)); break; }
        case DW_OP.wasmLocation: {
          const kind = r.u8();
          if (kind > WASM_LOCATION.globalU32) throw new DwarfError(`DW_OP_WASM_location kind ${kind} is not supported`);
          args.push(BigInt(kind), kind === WASM_LOCATION.globalU32 ? BigInt(r.u32le()) : r.uleb());
          break;
        }
        default:
          if (!isOperandless(code)) throw new DwarfError(`${opName(code)} is not supported`);
      }
      ops.push({ code, at, next: r.offset, args, bytes });
    }
  } catch (err) {
    if (err instanceof WasmFormatError) throw new DwarfError(`truncated DWARF expression: ${err.message}`);
    throw err;
  }
  return ops;
}

function isOperandless(code: number): boolean {
  return (code >= DW_OP.lit0 && code <= DW_OP.lit31)
    || [DW_OP.deref, DW_OP.dup, DW_OP.drop, DW_OP.over, DW_OP.swap, DW_OP.rot, DW_OP.abs, DW_OP.and, DW_OP.div, DW_OP.minus,
      DW_OP.mod, DW_OP.mul, DW_OP.neg, DW_OP.not, DW_OP.or, DW_OP.plus, DW_OP.shl, DW_OP.shr, DW_OP.shra, DW_OP.xor, DW_OP.eq,
      DW_OP.ge, DW_OP.gt, DW_OP.le, DW_OP.lt, DW_OP.ne, DW_OP.nop, DW_OP.stackValue, DW_OP.formTlsAddress, DW_OP.gnuPushTlsAddress].includes(code as never);
}

/** The expression as llvm-dwarfdump prints it ("DW_OP_fbreg +12", "DW_OP_WASM_location 0x0 0x3, DW_OP_stack_value"). */
export function format(ops: Op[]): string {
  return ops.map((op) => {
    const args = op.code === DW_OP.implicitValue
      ? [`0x${op.args[0].toString(16)}`, ...[...op.bytes!].map((b) => `0x${b.toString(16).padStart(2, '0')}`)]
      : op.args.map((a) => (SIGNED_IMMEDIATE.has(op.code) ? (a < 0n ? `${a}` : `+${a}`) : `0x${BigInt.asUintN(64, a).toString(16)}`));
    return [opName(op.code), ...args].join(' ');
  }).join(', ');
}

/** The Wasm locals an expression reads (DW_OP_WASM_location 0x0 N). */
export function localsRead(ops: Op[]): number[] {
  return ops.filter((op) => op.code === DW_OP.wasmLocation && op.args[0] === BigInt(WASM_LOCATION.local)).map((op) => Number(op.args[1]));
}

export interface EvalContext {
  frame: FrameAccess;
  unit: Unit;
  /** The function's DW_AT_frame_base expression, for DW_OP_fbreg. */
  frameBase?: Uint8Array;
}

interface Entry {
  value: bigint;
  /** The Wasm local this entry is the untouched value of. */
  local?: number;
}

const u32 = (v: bigint) => Number(BigInt.asUintN(32, v));

/** Evaluates a location expression (DWARF 5 §2.5–2.6, with the Wasm convention's DW_OP_WASM_location pushing a local's or global's value). */
export async function evaluate(expr: Uint8Array, ctx: EvalContext): Promise<Location> {
  const ops = decode(expr, ctx.unit.addressSize);
  if (ops.length === 0) return [{ where: { kind: 'unavailable', reason: 'optimized out' } }];
  const pieces: Location = [];
  const stack: Entry[] = [];
  let isValue = false;
  let implicit: Uint8Array | undefined;
  const pop = (op: Op): Entry => {
    const e = stack.pop();
    if (!e) throw new DwarfError(`${opName(op.code)} on an empty DWARF stack`);
    return e;
  };
  const push = (value: bigint, local?: number) => stack.push({ value: BigInt.asIntN(64, value), local });
  const current = (): Where | undefined => {
    if (implicit) return { kind: 'bytes', bytes: implicit };
    const top = stack[stack.length - 1];
    if (!top) return undefined;
    return isValue ? { kind: 'value', value: top.value, local: top.local } : { kind: 'memory', address: u32(top.value) };
  };
  const byOffset = new Map(ops.map((op, i) => [op.at, i]));
  const hasPieces = ops.some((op) => op.code === DW_OP.piece);
  /** Why the current piece is not available: its other operations are skipped up to its DW_OP_piece. */
  let missing: string | undefined;
  let steps = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    if (++steps > 1000) throw new DwarfError('a DWARF expression loops');
    if (missing !== undefined && op.code !== DW_OP.piece) continue;
    const [a0, a1] = op.args;
    const binary = (f: (x: bigint, y: bigint) => bigint) => {
      const y = pop(op).value;
      const x = pop(op).value;
      push(f(x, y));
    };
    if (op.code >= DW_OP.lit0 && op.code <= DW_OP.lit31) {
      push(BigInt(op.code - DW_OP.lit0));
      continue;
    }
    switch (op.code) {
      case DW_OP.addr: case DW_OP.const1u: case DW_OP.const1s: case DW_OP.const2u: case DW_OP.const2s: case DW_OP.const4u:
      case DW_OP.const4s: case DW_OP.const8u: case DW_OP.const8s: case DW_OP.constu: case DW_OP.consts:
        push(a0);
        break;
      case DW_OP.addrx: case DW_OP.constx: push(BigInt(ctx.unit.address(Number(a0)))); break;
      case DW_OP.dup: { const e = pop(op); stack.push(e, e); break; }
      case DW_OP.drop: pop(op); break;
      case DW_OP.over: { const y = pop(op); const x = pop(op); stack.push(x, y, x); break; }
      case DW_OP.pick: { const e = stack[stack.length - 1 - Number(a0)]; if (!e) throw new DwarfError('DW_OP_pick past the stack'); stack.push(e); break; }
      case DW_OP.swap: { const y = pop(op); const x = pop(op); stack.push(y, x); break; }
      case DW_OP.rot: { const z = pop(op); const y = pop(op); const x = pop(op); stack.push(z, x, y); break; }
      case DW_OP.deref: case DW_OP.derefSize: {
        const size = op.code === DW_OP.deref ? ctx.unit.addressSize : Number(a0);
        const address = u32(pop(op).value);
        const bytes = await ctx.frame.readMemory(address, size);
        if (bytes.length < size) throw new NotAvailable(`memory at 0x${address.toString(16)} is not readable`);
        push(littleEndian(bytes));
        break;
      }
      case DW_OP.abs: { const x = pop(op).value; push(x < 0n ? -x : x); break; }
      case DW_OP.neg: push(-pop(op).value); break;
      case DW_OP.not: push(~pop(op).value); break;
      case DW_OP.plusUconst: push(pop(op).value + a0); break;
      case DW_OP.and: binary((x, y) => x & y); break;
      case DW_OP.or: binary((x, y) => x | y); break;
      case DW_OP.xor: binary((x, y) => x ^ y); break;
      case DW_OP.plus: binary((x, y) => x + y); break;
      case DW_OP.minus: binary((x, y) => x - y); break;
      case DW_OP.mul: binary((x, y) => x * y); break;
      case DW_OP.div: case DW_OP.mod: binary((x, y) => {
        if (y === 0n) throw new DwarfError(`${opName(op.code)} by zero`);
        return op.code === DW_OP.div ? x / y : BigInt.asUintN(64, x) % BigInt.asUintN(64, y);
      }); break;
      case DW_OP.shl: binary((x, y) => x << y); break;
      case DW_OP.shr: binary((x, y) => BigInt.asUintN(64, x) >> y); break;
      case DW_OP.shra: binary((x, y) => x >> y); break;
      case DW_OP.eq: binary((x, y) => BigInt(x === y)); break;
      case DW_OP.ne: binary((x, y) => BigInt(x !== y)); break;
      case DW_OP.lt: binary((x, y) => BigInt(x < y)); break;
      case DW_OP.le: binary((x, y) => BigInt(x <= y)); break;
      case DW_OP.gt: binary((x, y) => BigInt(x > y)); break;
      case DW_OP.ge: binary((x, y) => BigInt(x >= y)); break;
      case DW_OP.skip: case DW_OP.bra: {
        if (op.code === DW_OP.bra && pop(op).value === 0n) break;
        const target = byOffset.get(op.next + Number(a0));
        if (target === undefined) {
          if (op.next + Number(a0) === expr.length) i = ops.length;
          else throw new DwarfError(`${opName(op.code)} into the middle of an operation`);
        } else i = target - 1;
        break;
      }
      case DW_OP.fbreg: {
        if (!ctx.frameBase) throw new DwarfError('DW_OP_fbreg in a function without DW_AT_frame_base');
        push(BigInt(await frameBaseOf(ctx)) + a0);
        break;
      }
      case DW_OP.wasmLocation: {
        const index = Number(a1);
        const isLocal = a0 === BigInt(WASM_LOCATION.local);
        const value = a0 === BigInt(WASM_LOCATION.operandStack) ? undefined : isLocal ? ctx.frame.local(index) : ctx.frame.global(index);
        if (value === undefined) {
          const reason = a0 === BigInt(WASM_LOCATION.operandStack) ? `on the Wasm operand stack (entry ${index})` : `Wasm ${isLocal ? 'local' : 'global'} ${index} was not captured`;
          // One piece that cannot be read leaves the others readable.
          if (!hasPieces) throw new NotAvailable(reason);
          missing = reason;
          break;
        }
        push(value, isLocal ? index : undefined);
        break;
      }
      case DW_OP.implicitValue: implicit = op.bytes; break;
      case DW_OP.stackValue: isValue = true; break;
      case DW_OP.nop: break;
      // Thread-local variables (libc's errno): without threads, wasm-ld lays TLS out as ordinary data at the address given.
      case DW_OP.formTlsAddress: case DW_OP.gnuPushTlsAddress: break;
      case DW_OP.piece: {
        pieces.push({ where: missing !== undefined ? { kind: 'unavailable', reason: missing } : current() ?? { kind: 'unavailable', reason: 'optimized out' }, size: Number(a0) });
        missing = undefined;
        stack.length = 0;
        isValue = false;
        implicit = undefined;
        break;
      }
      default: throw new DwarfError(`${opName(op.code)} is not supported here`);
    }
  }
  if (pieces.length) return pieces;
  const where = current();
  if (!where) throw new DwarfError('a DWARF expression left nothing on its stack');
  return [{ where }];
}

/** The frame base as an address: what its expression leaves on the stack (a local's value, with or without DW_OP_stack_value). */
async function frameBaseOf(ctx: EvalContext): Promise<number> {
  const [base] = await evaluate(ctx.frameBase!, { ...ctx, frameBase: undefined });
  if (base.where.kind === 'memory') return base.where.address;
  if (base.where.kind === 'value') return u32(base.where.value);
  throw new NotAvailable('the frame base is not available');
}

/** Little-endian bytes to an unsigned integer. */
export function littleEndian(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}
