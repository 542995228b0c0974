// One Wasm frame at a stop as a variable renderer (the DWARF module) reads it: its captured locals, the globals, linear memory.

/**
 * What a variable's location can name in a Wasm frame (DWARF's `DW_OP_WASM_location` local and
 * global, `DW_OP_fbreg` through a frame-base local, addresses in linear memory). Locals and globals
 * are raw bits (i32/f32 zero-extended to 64); undefined when the frame does not have them: a local
 * the instrumenter did not capture, a global out of range.
 */
export interface FrameAccess {
  local(index: number): bigint | undefined;
  global(index: number): bigint | undefined;
  /** `length` bytes of linear memory at the app's address `address`; rejects outside the memory. */
  readMemory(address: number | bigint, length: number): Promise<Uint8Array>;
}

/** A frame's values as read at one stop (the Wasm level builds it: WasmLevel.frameAccess). */
export class StopFrameAccess implements FrameAccess {
  constructor(
    private readonly locals: ReadonlyMap<number, bigint>,
    private readonly globals: readonly bigint[],
    private readonly memory: (address: bigint, length: number) => Promise<Uint8Array>,
  ) {}

  local(index: number): bigint | undefined {
    return this.locals.get(index);
  }

  global(index: number): bigint | undefined {
    return this.globals[index];
  }

  readMemory(address: number | bigint, length: number): Promise<Uint8Array> {
    return this.memory(BigInt(address), length);
  }
}
