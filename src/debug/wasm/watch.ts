// Data breakpoints on linear memory: addresses from expressions, gdbstub watchpoints where linear memory lies, moved with it when it moves.
import type { GdbClient, WatchpointType } from '../gdb/client';
import type { BreakpointAnswer, DataAccess, DataBreakpointInfo } from '../model';
import type { Mailbox } from './mailbox';
import type { WasmProgram } from './program';

/** A data breakpoint's id: `wasm-data:0xADDRESS:SIZE`, an address in linear memory (the app's own) and a length. */
const DATA_ID = /^wasm-data:(0x[0-9a-f]+):(\d+)$/i;
/** How many bytes a data breakpoint watches when the client does not say. */
const DEFAULT_SIZE = 4;
const Z_TYPE: Record<DataAccess, WatchpointType> = { write: 'write', read: 'read', readWrite: 'access' };
/** What the gdbstub under TCG takes: Z2, Z3 and Z4. */
const ACCESS_TYPES: DataAccess[] = ['write', 'read', 'readWrite'];
/**
 * The mailbox's memory_base, watched alone: a grow that leaves linear memory where it is stops
 * nothing (its new size matters only to a watch past the end, which waits for the next Wasm stop),
 * and 8 bytes is also what an x86 debug register can watch.
 */
const MEMORY_BASE_SIZE = 8;

/**
 * A linear-memory address written as the user would: `0x1234`, `4660`, `&mem[0x1234]` or the
 * Memory scope's reference `wasm:0x1234`. Undefined for anything else.
 */
export function parseWasmAddress(expression: string): number | undefined {
  const text = expression.trim();
  const match = /^(?:&\s*mem\s*\[\s*(0x[0-9a-f]+|\d+)\s*\]|wasm:(0x[0-9a-f]+|\d+)|(0x[0-9a-f]+|\d+))$/i.exec(text);
  const number = match && (match[1] ?? match[2] ?? match[3]);
  return number ? Number(number) : undefined;
}

/** The dataId and description of `size` bytes at `address` in linear memory. */
export function addressInfo(address: number, size = DEFAULT_SIZE, what = `linear memory 0x${address.toString(16)}`): DataBreakpointInfo {
  if (!Number.isSafeInteger(address) || address < 0 || address > 0xffff_ffff) {
    return { dataId: null, description: `0x${address.toString(16)} is not a 32-bit linear-memory address` };
  }
  if (!Number.isInteger(size) || size < 1) return { dataId: null, description: `cannot watch ${size} bytes` };
  return { dataId: `wasm-data:0x${address.toString(16)}:${size}`, description: `${what} (${size} bytes)`, accessTypes: ACCESS_TYPES };
}

/** A global of the Globals scope that holds an address (an i32, like `__stack_pointer`): the linear memory it points at now. */
export async function globalAddressInfo(program: WasmProgram, client: GdbClient, mailbox: Mailbox, name: string, size?: number): Promise<DataBreakpointInfo> {
  const index = program.module.globals.findIndex((_, i) => program.globalName(i) === name);
  if (index < 0 || index >= mailbox.globalCount) return { dataId: null, description: `no global ${name}` };
  if (program.module.globals[index].type !== 0x7f) return { dataId: null, description: `${name} is not an i32: it holds no linear-memory address` };
  const value = (await client.readMemory(mailbox.globals + BigInt(index * 8), 4)).readUInt32LE(0);
  return addressInfo(value, size, `*${name}: linear memory 0x${value.toString(16)}`);
}

interface Watch {
  id: number;
  address: number;
  size: number;
  access: DataAccess;
  /** The kernel address it is set at in the stub, when armed. */
  armedAt?: bigint;
}

/** Where linear memory lies now (the mailbox's memory_base and memory_size, refreshed at each probe stop and memory.grow). */
export interface LinearMemory {
  base: bigint;
  size: bigint;
}

/**
 * The data breakpoints: each a gdbstub watchpoint (Z2 write, Z3 read, Z4 either) over its bytes
 * at `memory_base + address`, the kernel address where the interpreter keeps linear memory.
 * memory.grow may move linear memory. The kernel rewrites the mailbox's `memory_size` and
 * `memory_base` whenever, and only when, they change (after each grow, and at stops): while any
 * data breakpoint is set, a write watchpoint on `memory_base` stops the guest when linear memory
 * moved (`moved`), and `follow` puts the watchpoints where it is now. Before linear memory exists
 * (base 0: the instance is not there yet), they wait unarmed.
 */
export class WasmWatchpoints {
  private watches: Watch[] = [];
  /** Whether the watchpoint on the mailbox's memory_base is in the stub. */
  private watchingMemory = false;

  /** `memoryBase`: the kernel address of the mailbox's memory_base. */
  constructor(private readonly memoryBase: bigint) {}

  /** Replaces every data breakpoint; answers each request in order. */
  async replace(client: GdbClient, requests: { id: number; dataId: string; accessType?: DataAccess }[], memory: LinearMemory): Promise<BreakpointAnswer[]> {
    await this.disarm(client);
    this.watches = [];
    const answers: BreakpointAnswer[] = [];
    for (const { id, dataId, accessType } of requests) {
      const match = DATA_ID.exec(dataId);
      if (!match) {
        answers.push({ id, verified: false, message: `not a Wasm data breakpoint: ${dataId}` });
        continue;
      }
      const watch: Watch = { id, address: Number(match[1]), size: Number(match[2]), access: accessType ?? 'write' };
      this.watches.push(watch);
      answers.push(await this.arm(client, watch, memory));
    }
    if (this.watches.length) await this.watchMemory(client);
    return answers;
  }

  /** Puts the watchpoints where linear memory is now (it may have moved since they were set, or be there at last). */
  async follow(client: GdbClient, memory: LinearMemory): Promise<void> {
    for (const watch of this.watches) {
      if (watch.armedAt === memory.base + BigInt(watch.address)) continue;
      await this.arm(client, watch, memory).catch(() => undefined);
    }
  }

  /** Whether a watchpoint stop at kernel address `hit` is the kernel writing where linear memory lies: it moved. */
  moved(hit: bigint | undefined): boolean {
    return this.watchingMemory && hit !== undefined && hit >= this.memoryBase && hit < this.memoryBase + BigInt(MEMORY_BASE_SIZE);
  }

  /** The ids of the data breakpoints a watchpoint stop at kernel address `hit` belongs to. */
  hit(hit: bigint | undefined): number[] {
    return this.watches
      .filter((w) => w.armedAt !== undefined && (hit === undefined || (hit >= w.armedAt && hit < w.armedAt + BigInt(w.size))))
      .map((w) => w.id);
  }

  get size(): number {
    return this.watches.length;
  }

  /** Takes every watchpoint out of the stub. */
  async disarm(client: GdbClient): Promise<void> {
    if (this.watchingMemory) {
      await client.removeWatchpoint(this.memoryBase, MEMORY_BASE_SIZE, 'write').catch(() => undefined);
      this.watchingMemory = false;
    }
    for (const watch of this.watches) {
      if (watch.armedAt === undefined) continue;
      await client.removeWatchpoint(watch.armedAt, watch.size, Z_TYPE[watch.access]).catch(() => undefined);
      watch.armedAt = undefined;
    }
  }

  /**
   * The watchpoint on the mailbox's memory_base: only while data breakpoints are set, since it
   * slows every access to the mailbox's page (each probe's). Without it (the stub refused it) the
   * watchpoints still follow linear memory at each Wasm stop.
   */
  private async watchMemory(client: GdbClient): Promise<void> {
    await client.setWatchpoint(this.memoryBase, MEMORY_BASE_SIZE, 'write').then(() => (this.watchingMemory = true), () => undefined);
  }

  private async arm(client: GdbClient, watch: Watch, memory: LinearMemory): Promise<BreakpointAnswer> {
    const where = `linear memory 0x${watch.address.toString(16)} (${watch.size} bytes, ${watch.access})`;
    if (watch.armedAt !== undefined) {
      await client.removeWatchpoint(watch.armedAt, watch.size, Z_TYPE[watch.access]);
      watch.armedAt = undefined;
    }
    if (memory.base === 0n) return { id: watch.id, verified: false, message: `${where}: set at the first Wasm stop, once linear memory exists` };
    if (BigInt(watch.address + watch.size) > memory.size) {
      return { id: watch.id, verified: false, message: `${where} lies past the end of linear memory (${memory.size} bytes)` };
    }
    const at = memory.base + BigInt(watch.address);
    try {
      await client.setWatchpoint(at, watch.size, Z_TYPE[watch.access]);
    } catch (err) {
      return { id: watch.id, verified: false, message: `${where}: the gdbstub refused the watchpoint (${(err as Error).message})` };
    }
    watch.armedAt = at;
    return { id: watch.id, verified: true, message: `${where}, at kernel address 0x${at.toString(16)}` };
  }
}
