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

/** Every immediate of one instruction, for the disassembler (readInstruction fills it when given one). */
export interface Operands {
  /** Integer immediates in encoding order: indices, labels (br_table's default last), memory and table indices, lanes. */
  indices: number[];
  /** Loads, stores, atomics: alignment as a power of two, and the offset. */
  memarg?: { alignLog2: number; offset: number };
  /** block/loop/if/try: 0x40 (no result) or a value type byte … */
  blockType?: number;
  /** … or a type index. */
  blockTypeIndex?: number;
  /** i32.const, i64.const. */
  value?: bigint;
  /** The raw bytes of f32.const, f64.const, v128.const and i8x16.shuffle. */
  bytes?: Uint8Array;
  /** Value types of a typed select, the type of ref.null. */
  types?: number[];
}

export const OP = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, try: 0x06, catch: 0x07, throw: 0x08, rethrow: 0x09,
  end: 0x0b, br: 0x0c, brIf: 0x0d, brTable: 0x0e, return: 0x0f, call: 0x10, callIndirect: 0x11, returnCall: 0x12,
  returnCallIndirect: 0x13, delegate: 0x18, catchAll: 0x19, drop: 0x1a, localGet: 0x20, localSet: 0x21, localTee: 0x22,
  memoryGrow: 0x40, i32Const: 0x41, i32And: 0x71, i32Mul: 0x6c, refFunc: 0xd2, prefixFC: 0xfc,
} as const;

/** Opcodes that open a block (their end is an `end`). */
export function opensBlock(op: number): boolean {
  return op === OP.block || op === OP.loop || op === OP.if || op === OP.try;
}

/** Reads immediates into an Operands when the caller wants them (the disassembler), else only past them. */
class Immediates {
  constructor(private readonly r: ByteReader, private readonly out: Operands | undefined) {}

  index(what?: string): number {
    const value = this.r.u32(what);
    this.out?.indices.push(value);
    return value;
  }

  byte(): number {
    const value = this.r.u8();
    this.out?.indices.push(value);
    return value;
  }

  memarg(): void {
    const flags = this.r.u32('memarg align');
    // Bit 6 says a memory index follows (multi-memory, as the value slots' stores use).
    if (flags & 0x40) this.r.u32('memarg memory');
    const offset = this.r.u32('memarg offset');
    if (this.out) this.out.memarg = { alignLog2: flags & ~0x40, offset };
  }

  blockType(): void {
    // 0x40 (empty) or a value type (one byte, negative as s33), else a type index (s33 ≥ 0).
    const first = this.r.bytes[this.r.offset];
    if (first === 0x40 || (first >= 0x6f && first <= 0x7f)) {
      this.r.offset++;
      if (this.out) this.out.blockType = first;
      return;
    }
    const index = this.r.sleb('block type');
    if (index < 0n) this.r.fail('bad block type');
    if (this.out) this.out.blockTypeIndex = Number(index);
  }

  value(what: string): void {
    const value = this.r.sleb(what);
    if (this.out) this.out.value = value;
  }

  bytes(count: number): void {
    const start = this.r.offset;
    this.r.skip(count);
    if (this.out) this.out.bytes = this.r.bytes.subarray(start, start + count);
  }

  types(count: number): void {
    const start = this.r.offset;
    this.r.skip(count);
    if (this.out) this.out.types = Array.from(this.r.bytes.subarray(start, start + count));
  }
}

/**
 * Decodes the instruction at the reader's position (MVP, sign-extension, saturating, bulk memory,
 * reference types, SIMD, threads, tail calls, exceptions); its immediates go to `operands` when given.
 */
export function readInstruction(r: ByteReader, operands?: Operands): Instruction {
  const offset = r.offset;
  const opcode = r.u8('instruction');
  const ins: Instruction = { offset, end: offset, opcode };
  const imm = new Immediates(r, operands);
  switch (opcode) {
    case OP.block: case OP.loop: case OP.if: case OP.try:
      imm.blockType();
      break;
    case OP.localGet: case OP.localSet: case OP.localTee:
      ins.localIndex = imm.index('local index');
      break;
    case OP.br: case OP.brIf: case OP.catch: case OP.throw: case OP.rethrow: case OP.delegate:
    case 0x23: case 0x24: case 0x25: case 0x26: // global/table get/set
      imm.index();
      break;
    case OP.brTable: {
      const count = r.u32('br_table count');
      for (let i = 0; i <= count; i++) imm.index('br_table label');
      break;
    }
    case OP.call: case OP.returnCall: case OP.refFunc:
      ins.funcIndex = imm.index('function index');
      break;
    case OP.callIndirect: case OP.returnCallIndirect:
      imm.index('type index');
      imm.index('table index');
      break;
    case 0x1c: // select with types
      imm.types(r.u32());
      break;
    case 0x3f: case 0x40: // memory.size, memory.grow
      imm.byte();
      break;
    case OP.i32Const:
      imm.value('i32.const');
      break;
    case 0x42:
      imm.value('i64.const');
      break;
    case 0x43:
      imm.bytes(4);
      break;
    case 0x44:
      imm.bytes(8);
      break;
    case 0xd0: // ref.null t
      imm.types(1);
      break;
    case 0xfc:
      ins.subOpcode = r.u32('0xfc sub-opcode');
      prefixedFC(r, imm, ins.subOpcode);
      break;
    case 0xfd:
      ins.subOpcode = r.u32('0xfd sub-opcode');
      prefixedFD(imm, ins.subOpcode);
      break;
    case 0xfe:
      ins.subOpcode = r.u32('0xfe sub-opcode');
      if (ins.subOpcode === 0x03) imm.byte(); // atomic.fence
      else imm.memarg();
      break;
    default:
      if (opcode >= 0x28 && opcode <= 0x3e) imm.memarg();
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

function prefixedFC(r: ByteReader, imm: Immediates, sub: number): void {
  if (sub <= 7) return; // saturating truncations
  switch (sub) {
    case 8: imm.index(); imm.byte(); break; // memory.init data, mem
    case 9: imm.index(); break; // data.drop
    case 10: imm.byte(); imm.byte(); break; // memory.copy
    case 11: imm.byte(); break; // memory.fill
    case 12: imm.index(); imm.index(); break; // table.init elem, table
    case 13: imm.index(); break; // elem.drop
    case 14: imm.index(); imm.index(); break; // table.copy
    case 15: case 16: case 17: imm.index(); break; // table.grow, size, fill
    default: r.fail(`unknown 0xfc sub-opcode ${sub}`);
  }
}

function prefixedFD(imm: Immediates, sub: number): void {
  if (sub <= 11 || sub === 92 || sub === 93) imm.memarg(); // loads, stores, load32_zero, load64_zero
  else if (sub === 12 || sub === 13) imm.bytes(16); // v128.const, i8x16.shuffle
  else if (sub >= 21 && sub <= 34) imm.byte(); // extract/replace lane
  else if (sub >= 84 && sub <= 91) {
    imm.memarg(); // load/store lane
    imm.byte();
  }
  // Every other SIMD instruction has no immediate.
}
