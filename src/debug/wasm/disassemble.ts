// The Wasm disassembler: each instruction of the original module as text (wasm-objdump's and wasm2wat's forms), and paging through them.
import { ByteReader } from './bytes';
import { OP, readInstruction, type Instruction, type Operands } from './instructions';
import type { FunctionBody, WasmModule } from './module';
import { opcodeName } from './opcodeNames';
import { valueTypeName } from './program';

/** One instruction as the disassembly shows it. */
export interface TextInstruction {
  /** File offset of the opcode in the module (what wasm-objdump prints). */
  offset: number;
  bytes: Uint8Array;
  /** Indented two spaces per enclosing block, as wasm-objdump does. */
  text: string;
  funcIndex: number;
  /** Its function's first instruction. */
  first: boolean;
}

/**
 * The instructions of a module's code section as text, in module order: each one as wasm-objdump
 * -d prints it (names in `<…>` from the `name` section), except for constants and memory
 * arguments, which read as wasm2wat writes them (`i32.const -5`, `f64.const 1.5`,
 * `i32.load offset=8 align=1`). A function is disassembled when first asked for and kept.
 */
export class Disassembler {
  /** Index of the first instruction of each body in the module-wide numbering. */
  private readonly firstIndex: number[] = [];
  private readonly cache = new Map<number, TextInstruction[]>();
  readonly count: number;

  constructor(private readonly module: WasmModule) {
    let index = 0;
    for (const body of module.bodies) {
      this.firstIndex.push(index);
      index += body.instructions.length;
    }
    this.count = index;
  }

  /** The text of every instruction of one function, by defined-function position (`bodies` index). */
  function(bodyIndex: number): TextInstruction[] {
    let text = this.cache.get(bodyIndex);
    if (!text) {
      text = disassembleBody(this.module, this.module.bodies[bodyIndex]);
      this.cache.set(bodyIndex, text);
    }
    return text;
  }

  /** The module-wide index of the instruction at (or, in the locals declaration, just after) file offset `offset`; undefined outside the code. */
  indexAt(offset: number): number | undefined {
    const found = this.locate(offset);
    return found && this.firstIndex[found.body] + found.position;
  }

  /** The file offset where that instruction starts, without disassembling anything. */
  instructionStart(offset: number): number | undefined {
    const found = this.locate(offset);
    return found && this.module.bodies[found.body].instructions[found.position].offset;
  }

  /** The decoded instructions of the function holding `offset`, from the one there to the function's end. */
  following(offset: number): Instruction[] {
    const found = this.locate(offset);
    return found ? this.module.bodies[found.body].instructions.slice(found.position) : [];
  }

  private locate(offset: number): { body: number; position: number } | undefined {
    const bodies = this.module.bodies;
    let low = 0;
    let high = bodies.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (offset < bodies[mid].offset) high = mid - 1;
      else if (offset >= bodies[mid].end) low = mid + 1;
      else return { body: mid, position: indexInBody(bodies[mid], offset) };
    }
    return undefined;
  }

  /** The instruction with module-wide index `index`, or undefined outside 0 … count-1. */
  at(index: number): TextInstruction | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) return undefined;
    let low = 0;
    let high = this.firstIndex.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.firstIndex[mid] <= index) low = mid;
      else high = mid - 1;
    }
    return this.function(low)[index - this.firstIndex[low]];
  }
}

/** The position in `body` of the instruction that covers `offset` (the first one for the body's header). */
function indexInBody(body: FunctionBody, offset: number): number {
  const list = body.instructions;
  let low = 0;
  let high = list.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (list[mid].offset <= offset) low = mid;
    else high = mid - 1;
  }
  return low;
}

function disassembleBody(module: WasmModule, body: FunctionBody): TextInstruction[] {
  const locals = module.names.locals.get(body.funcIndex);
  let depth = 0;
  return body.instructions.map((ins, i) => {
    const operands: Operands = { indices: [] };
    readInstruction(new ByteReader(module.bytes, ins.offset, ins.end), operands);
    // else, catch and the final end sit at their block's level; the others inside it.
    if (ins.opcode === OP.end || ins.opcode === OP.else || ins.opcode === OP.catch || ins.opcode === OP.catchAll || ins.opcode === OP.delegate) {
      depth = Math.max(0, depth - 1);
    }
    const text = '  '.repeat(depth) + instructionText(module, ins, operands, locals);
    if (ins.opcode === OP.block || ins.opcode === OP.loop || ins.opcode === OP.if || ins.opcode === OP.try
      || ins.opcode === OP.else || ins.opcode === OP.catch || ins.opcode === OP.catchAll) depth++;
    return { offset: ins.offset, bytes: module.bytes.subarray(ins.offset, ins.end), text, funcIndex: body.funcIndex, first: i === 0 };
  });
}

/** One instruction's text, without indentation. */
export function instructionText(module: WasmModule, ins: Instruction, operands: Operands, locals?: Map<number, string>): string {
  const op = opcodeName(ins.opcode, ins.subOpcode);
  const name = op?.name ?? (ins.subOpcode === undefined
    ? `unknown_0x${hex(ins.opcode)}`
    : `unknown_0x${hex(ins.opcode)}_${ins.subOpcode}`);
  const [first, second] = operands.indices;
  const named = (index: number, label: string | undefined) => (label ? `${index} <${label}>` : String(index));
  const parts: string[] = [];
  switch (ins.opcode) {
    case OP.block: case OP.loop: case OP.if: case OP.try:
      if (operands.blockTypeIndex !== undefined) parts.push(`type[${operands.blockTypeIndex}]`);
      else if (operands.blockType !== 0x40) parts.push(valueTypeName(operands.blockType!));
      break;
    case OP.call: case OP.returnCall: case OP.refFunc:
      parts.push(named(first, module.names.functions.get(first) ?? module.exports.find((e) => e.kind === 'func' && e.index === first)?.name));
      break;
    case OP.callIndirect: case OP.returnCallIndirect:
      // Encoded type then table; written table first, as wasm-objdump does.
      parts.push(String(second), `(type ${first})`);
      break;
    case 0x20: case 0x21: case 0x22:
      parts.push(named(first, locals?.get(first)));
      break;
    case 0x23: case 0x24:
      parts.push(named(first, module.names.globals.get(first)));
      break;
    case OP.i32Const: case 0x42:
      parts.push(String(operands.value));
      break;
    case 0x43: case 0x44:
      parts.push(floatText(operands.bytes!));
      break;
    case 0x1c: case 0xd0:
      parts.push(...operands.types!.map(referenceOrValueType));
      break;
    default:
      if (operands.bytes) parts.push(...words(operands.bytes)); // v128.const, i8x16.shuffle
      if (operands.memarg) parts.push(...memargText(operands.memarg, op?.size ?? 0));
      parts.push(...operands.indices.map(String));
  }
  return [name, ...parts].join(' ');
}

/** `offset=N align=M`, each left out when it is the default (0, the natural alignment), as wasm2wat writes it. */
function memargText(memarg: { alignLog2: number; offset: number }, natural: number): string[] {
  const out: string[] = [];
  if (memarg.offset) out.push(`offset=${memarg.offset}`);
  if (2 ** memarg.alignLog2 !== natural) out.push(`align=${2 ** memarg.alignLog2}`);
  return out;
}

function referenceOrValueType(type: number): string {
  return type === 0x70 ? 'func' : type === 0x6f ? 'extern' : valueTypeName(type);
}

/** 16 bytes as four little-endian 32-bit words, as wasm-objdump prints v128.const and i8x16.shuffle. */
function words(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return [0, 4, 8, 12].map((at) => `0x${view.getUint32(at, true).toString(16).padStart(8, '0')}`);
}

/** A float constant in decimal, the shortest text that reads back to the same value; NaNs and infinities as the text format writes them. */
export function floatText(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const single = bytes.length === 4;
  const value = single ? view.getFloat32(0, true) : view.getFloat64(0, true);
  const negative = single ? (view.getUint32(0, true) >>> 31) === 1 : view.getBigUint64(0, true) >> 63n === 1n;
  const sign = negative ? '-' : '';
  if (Number.isNaN(value)) {
    const payload = single ? BigInt(view.getUint32(0, true) & 0x7f_ffff) : view.getBigUint64(0, true) & 0xf_ffff_ffff_ffffn;
    const canonical = single ? 0x40_0000n : 0x8_0000_0000_0000n;
    return payload === canonical ? `${sign}nan` : `${sign}nan:0x${payload.toString(16)}`;
  }
  if (!Number.isFinite(value)) return `${sign}inf`;
  if (value === 0) return `${sign}0`;
  if (!single) return String(value);
  for (let digits = 1; ; digits++) {
    const text = value.toPrecision(digits);
    if (Math.fround(Number(text)) === value) return String(Number(text));
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
