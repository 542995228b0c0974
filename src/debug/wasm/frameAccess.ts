// One Wasm frame at a stop as the DWARF renderer reads it (its FrameAccess): the frame's captured locals, the globals, linear memory.
import type { FrameAccess } from './dwarf/expression';

export type { FrameAccess };

/**
 * A frame's values as read at one stop (the Wasm level builds it: WasmLevel.frameAccess). Locals
 * the frame did not capture are undefined, as the DWARF module expects.
 */
export class StopFrameAccess implements FrameAccess {
  constructor(
    private readonly locals: ReadonlyMap<number, bigint>,
    private readonly globals: readonly bigint[],
    /** Linear memory at an app address, fewer bytes past its end. */
    private readonly memory: (address: bigint, length: number) => Promise<Uint8Array>,
  ) {}

  local(index: number): bigint | undefined {
    return this.locals.get(index);
  }

  global(index: number): bigint | undefined {
    return this.globals[index];
  }

  readMemory(address: number, length: number): Promise<Uint8Array> {
    return this.memory(BigInt(address), length);
  }
}
