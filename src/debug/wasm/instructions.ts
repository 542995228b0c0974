// Decoding one Wasm instruction: its offsets and the immediates the reader and the instrumenter need.
import type { ByteReader } from './bytes';

/** One decoded instruction: where it sits and the immediates the debugger tooling needs. */
export interface Instruction {
  /** File offset of the opcode. */
  offset: number;
  /** File offset just past the immediates. */
  end: number;
  /** The opcode byte; for prefixed instructions (0xfc, 0xfd, 0xfe) the prefix. */
  opcode: number;
  /** The sub-opcode after a 0xfc/0xfd/0xfe prefix. */
  subOpcode?: number;
  /** Function index of call, return_call, ref.func. */
  funcIndex?: number;
  /** Local index of local.get, local.set, local.tee. */
  localIndex?: number;
}

export const OP = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, try: 0x06, catch: 0x07, throw: 0x08, rethrow: 0x09,
  end: 0x0b, br: 0x0c, brIf: 0x0d, brTable: 0x0e, return: 0x0f, call: 0x10, callIndirect: 0x11, returnCall: 0x12,
  returnCallIndirect: 0x13, delegate: 0x18, catchAll: 0x19, drop: 0x1a, localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Const: 0x41, i32And: 0x71, i32Mul: 0x6c, refFunc: 0xd2, prefixFC: 0xfc,
} as const;

/** Opcodes that open a block (their end is an `end`). */
export function opensBlock(op: number): boolean {
  return op === OP.block || op === OP.loop || op === OP.if || op === OP.try;
}

function memarg(r: ByteReader): void {
  // Bit 6 of the alignment says a memory index follows (multi-memory, as the value slots' stores use).
  if (r.u32('memarg align') & 0x40) r.u32('memarg memory');
  r.u32('memarg offset');
}

function blockType(r: ByteReader): void {
  // 0x40 (empty) or a value type (one byte, negative as s33), else a type index (s33 ≥ 0).
  const first = r.bytes[r.offset];
  if (first === 0x40 || (first >= 0x6f && first <= 0x7f)) r.offset++;
  else if (r.sleb('block type') < 0n) r.fail('bad block type');
}

/** Decodes the instruction at the reader's position (MVP, sign-extension, saturating, bulk memory, reference types, SIMD, threads, tail calls, exceptions). */
export function readInstruction(r: ByteReader): Instruction {
  const offset = r.offset;
  const opcode = r.u8('instruction');
  const ins: Instruction = { offset, end: offset, opcode };
  switch (opcode) {
    case OP.block: case OP.loop: case OP.if: case OP.try:
      blockType(r);
      break;
    case OP.localGet: case OP.localSet: case OP.localTee:
      ins.localIndex = r.u32('local index');
      break;
    case OP.br: case OP.brIf: case OP.catch: case OP.throw: case OP.rethrow: case OP.delegate:
    case 0x23: case 0x24: case 0x25: case 0x26: // global/table get/set
      r.u32();
      break;
    case OP.brTable: {
      const count = r.u32('br_table count');
      for (let i = 0; i <= count; i++) r.u32('br_table label');
      break;
    }
    case OP.call: case OP.returnCall: case OP.refFunc:
      ins.funcIndex = r.u32('function index');
      break;
    case OP.callIndirect: case OP.returnCallIndirect:
      r.u32('type index');
      r.u32('table index');
      break;
    case 0x1c: { // select with types
      const count = r.u32();
      r.skip(count);
      break;
    }
    case 0x3f: case 0x40: // memory.size, memory.grow
      r.u8();
      break;
    case OP.i32Const:
      r.sleb('i32.const');
      break;
    case 0x42:
      r.sleb('i64.const');
      break;
    case 0x43:
      r.skip(4);
      break;
    case 0x44:
      r.skip(8);
      break;
    case 0xd0: // ref.null t
      r.u8();
      break;
    case 0xfc:
      ins.subOpcode = r.u32('0xfc sub-opcode');
      prefixedFC(r, ins.subOpcode);
      break;
    case 0xfd:
      ins.subOpcode = r.u32('0xfd sub-opcode');
      prefixedFD(r, ins.subOpcode);
      break;
    case 0xfe:
      ins.subOpcode = r.u32('0xfe sub-opcode');
      if (ins.subOpcode === 0x03) r.u8(); // atomic.fence
      else memarg(r);
      break;
    default:
      if (opcode >= 0x28 && opcode <= 0x3e) memarg(r);
      else if (!isPlainOpcode(opcode)) r.fail(`unknown opcode 0x${opcode.toString(16)}`, offset);
  }
  ins.end = r.offset;
  return ins;
}

/** Opcodes without immediates. */
function isPlainOpcode(op: number): boolean {
  return (
    op === 0x00 || op === 0x01 || op === OP.else || op === OP.catchAll || op === OP.end || op === OP.return ||
    op === 0x1a || op === 0x1b || // drop, select
    (op >= 0x45 && op <= 0xc4) || // numeric, conversions, sign extension
    op === 0xd1 // ref.is_null
  );
}

function prefixedFC(r: ByteReader, sub: number): void {
  if (sub <= 7) return; // saturating truncations
  switch (sub) {
    case 8: r.u32(); r.u32(); break; // memory.init data, mem
    case 9: r.u32(); break; // data.drop
    case 10: r.u32(); r.u32(); break; // memory.copy dst, src
    case 11: r.u32(); break; // memory.fill mem
    case 12: r.u32(); r.u32(); break; // table.init elem, table
    case 13: r.u32(); break; // elem.drop
    case 14: r.u32(); r.u32(); break; // table.copy
    case 15: case 16: case 17: r.u32(); break; // table.grow, size, fill
    default: r.fail(`unknown 0xfc sub-opcode ${sub}`);
  }
}

function prefixedFD(r: ByteReader, sub: number): void {
  if (sub <= 11 || sub === 92 || sub === 93) memarg(r); // loads, stores, load32_zero, load64_zero
  else if (sub === 12 || sub === 13) r.skip(16); // v128.const, i8x16.shuffle
  else if (sub >= 21 && sub <= 34) r.u8(); // extract/replace lane
  else if (sub >= 84 && sub <= 91) {
    memarg(r); // load/store lane
    r.u8();
  }
  // Every other SIMD instruction has no immediate.
}
