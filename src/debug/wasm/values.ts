// The instrumented module's value slots: which Wasm locals each function captures, their memory, and the code that stores them.
import { ByteReader, ByteWriter } from './bytes';
import { OP } from './instructions';
import { functionType, SECTION, type FunctionBody, type WasmModule } from './module';

/**
 * wasmi keeps Wasm locals in its own value stack, where the kernel cannot read them. So the
 * instrumented module keeps a copy of the locals the debugger wants in a memory of its own,
 * exported as `uniwasm:debug.values`: one row of 8-byte slots per frame of the kernel's shadow
 * stack, slot i of a row holding the function's i-th captured local. The entry probe answers the
 * frame's row; the function stores its parameters there, and each `local.set`/`local.tee` of a
 * captured local stores the new value. What a stop shows is thus always current, in every frame,
 * and the cost is a few Wasm instructions per write of a captured local, no host call.
 * See docs/DEBUGGING.md ("Values of locals").
 */

export const VALUES_EXPORT = 'uniwasm:debug.values';
/** Without a choice of the caller, a function captures its first this-many numeric params and locals. */
export const DEFAULT_CAPTURE_LIMIT = 32;
/** The kernel's shadow stack stores 1024 frames (kernel/runtime/src/debug.rs FRAME_CAPACITY); deeper ones share one more row. */
export const VALUE_ROWS = 1024 + 1;
export const SLOT_SIZE = 8;

/** The bits of a slot that hold a local of numeric `type`: i32 and f32 are stored with 4-byte stores, i64 and f64 with 8. */
export function slotBits(type: number): 32 | 64 {
  return type === 0x7f || type === 0x7d ? 32 : 64;
}

/** i32, i64, f32, f64: the types a slot holds (vectors and references are not captured). */
const NUMERIC = new Set([0x7f, 0x7e, 0x7d, 0x7c]);

export interface CapturedLocal {
  /** The local's index in the function (parameters first). */
  index: number;
  /** Value type byte. */
  type: number;
}

export interface ValueSlots {
  /** The memory's index in the instrumented module; undefined when no function captures a local. */
  memory: number | undefined;
  /** Bytes per row: SLOT_SIZE × the most locals a function captures. */
  rowSize: number;
  /** Original function index → its captured locals, slot i holding element i. */
  captured: Map<number, CapturedLocal[]>;
}

/** Which locals (by index, parameters first) function `funcIndex` hands to the debugger. */
export type CaptureChoice = (funcIndex: number) => number[];

/** The type of each local of a body, parameters first. */
export function localTypes(module: WasmModule, body: FunctionBody): number[] {
  const types = [...functionType(module, body.funcIndex).params];
  for (const group of body.locals) for (let i = 0; i < group.count; i++) types.push(group.type);
  return types;
}

/**
 * The slots of every function: `choose` when given (its indices that name no numeric local are
 * left out), else the first DEFAULT_CAPTURE_LIMIT numeric params and locals.
 */
export function planSlots(module: WasmModule, choose?: CaptureChoice): ValueSlots {
  const captured = new Map<number, CapturedLocal[]>();
  let widest = 0;
  for (const body of module.bodies) {
    const types = localTypes(module, body);
    const wanted = choose ? [...new Set(choose(body.funcIndex))].sort((a, b) => a - b) : types.map((_, i) => i);
    const locals = wanted.filter((i) => NUMERIC.has(types[i])).map((index) => ({ index, type: types[index] }));
    const kept = choose ? locals : locals.slice(0, DEFAULT_CAPTURE_LIMIT);
    if (kept.length) captured.set(body.funcIndex, kept);
    widest = Math.max(widest, kept.length);
  }
  return { memory: widest ? memoryCount(module) : undefined, rowSize: widest * SLOT_SIZE, captured };
}

/** Memories of the module, imported ones first: the new memory's index. */
function memoryCount(module: WasmModule): number {
  const imported = module.imports.filter((i) => i.kind === 'memory').length;
  const section = module.sections.find((s) => s.id === SECTION.memory);
  return imported + (section ? new ByteReader(module.bytes, section.start, section.end).u32('memory count') : 0);
}

/** The memory's limits entry: fixed size, enough for VALUE_ROWS rows. */
export function valuesMemoryType(slots: ValueSlots, w: ByteWriter): void {
  const pages = Math.ceil((VALUE_ROWS * slots.rowSize) / 65536);
  w.byte(0x01).u32(pages).u32(pages);
}

/** How one function's body stores its captured locals: the extra local that holds its row's address, and the stores. */
export class FrameSlots {
  /** Local index of the row's address (a new i32 local after all others). */
  readonly rowLocal: number;
  private readonly slotOf = new Map<number, number>();

  constructor(
    private readonly slots: ValueSlots,
    private readonly locals: CapturedLocal[],
    localCount: number,
    private readonly paramCount: number,
    /** The function that answers this function's slots (`reloadBody`), by index in the rewritten module; undefined when it captures nothing. */
    private readonly reloader?: number,
  ) {
    this.rowLocal = localCount;
    locals.forEach((l, slot) => this.slotOf.set(l.index, slot));
  }

  get captures(): boolean {
    return this.locals.length > 0;
  }

  /**
   * After the entry probe, whose answer `row << 1 | stop` is on the stack: leaves `stop` there,
   * sets the row's address, zeroes the row (Wasm locals start at zero) and stores the parameters.
   */
  enter(w: ByteWriter): void {
    if (!this.captures) {
      w.byte(OP.i32Const).s32(1).byte(OP.i32And);
      return;
    }
    const row = this.rowLocal;
    w.byte(OP.localTee).u32(row).byte(OP.i32Const).s32(1).byte(OP.i32And);
    // (answer & ~1) × rowSize / 2 = row × rowSize
    w.byte(OP.localGet).u32(row).byte(OP.i32Const).s32(-2).byte(OP.i32And).byte(OP.i32Const).s32(this.slots.rowSize / 2).byte(OP.i32Mul).byte(OP.localSet).u32(row);
    // memory.fill of the row's captured slots
    w.byte(OP.localGet).u32(row).byte(OP.i32Const).s32(0).byte(OP.i32Const).s32(this.locals.length * SLOT_SIZE);
    w.byte(OP.prefixFC).u32(11).u32(this.slots.memory!);
    for (const l of this.locals) if (l.index < this.paramCount) this.store(w, l.index);
  }

  /** After an instruction that writes local `index` (local.set, local.tee): its new value to its slot, if captured. */
  written(w: ByteWriter, index: number): void {
    if (this.slotOf.has(index)) this.store(w, index);
  }

  /**
   * After a probe that can stop, whose answer is on the stack: when it is 1 (the debugger wrote
   * a slot of this frame at the stop, mailbox v4), every captured local is reloaded from its slot
   * (the reloader answers them all, the last on top). A function that captures nothing drops the answer.
   */
  afterStop(w: ByteWriter): void {
    if (!this.captures) {
      w.byte(OP.drop);
      return;
    }
    w.byte(OP.if).byte(0x40).byte(OP.localGet).u32(this.rowLocal).byte(OP.call).u32(this.reloader!);
    for (const l of [...this.locals].reverse()) w.byte(OP.localSet).u32(l.index);
    w.byte(OP.end);
  }

  private store(w: ByteWriter, index: number): void {
    const slot = this.slotOf.get(index)!;
    w.byte(OP.localGet).u32(this.rowLocal).byte(OP.localGet).u32(index);
    slotAccess(w, STORES[this.locals[slot].type], this.slots.memory!, slot);
  }
}

/**
 * The body of a function's reloader, of type `(i32 row) -> (the captured locals' types)`: the
 * row's slots, in slot order. One per capturing function, so that each statement site carries a
 * call and the `local.set`s, not every load.
 */
export function reloadBody(slots: ValueSlots, locals: CapturedLocal[]): Uint8Array {
  const w = new ByteWriter().u32(0);
  locals.forEach((l, slot) => {
    w.byte(OP.localGet).u32(0);
    slotAccess(w, LOADS[l.type], slots.memory!, slot);
  });
  w.byte(OP.end);
  return w.toBytes();
}

/** A load or store of `slot` of a row: its opcode and memarg (bit 6 of the alignment field says a memory index follows: multi-memory). */
function slotAccess(w: ByteWriter, { opcode, align }: Access, memory: number, slot: number): void {
  w.byte(opcode);
  if (memory === 0) w.u32(align);
  else w.u32(align | 0x40).u32(memory);
  w.u32(slot * SLOT_SIZE);
}

interface Access {
  opcode: number;
  /** log2 of the natural alignment. */
  align: number;
}

/** The store of each numeric type: i32.store, i64.store, f32.store, f64.store with natural alignment. */
const STORES: Record<number, Access> = {
  0x7f: { opcode: 0x36, align: 2 }, 0x7e: { opcode: 0x37, align: 3 }, 0x7d: { opcode: 0x38, align: 2 }, 0x7c: { opcode: 0x39, align: 3 },
};

/** The load of each: i32.load, i64.load, f32.load, f64.load. */
const LOADS: Record<number, Access> = {
  0x7f: { opcode: 0x28, align: 2 }, 0x7e: { opcode: 0x29, align: 3 }, 0x7d: { opcode: 0x2a, align: 2 }, 0x7c: { opcode: 0x2b, align: 3 },
};
