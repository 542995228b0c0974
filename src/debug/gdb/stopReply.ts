// Stop replies of the GDB remote protocol (T/S/W/X packets) and its thread ids.
import { fromHex } from './hex';

/** Why the target stopped or ended, from a `T`/`S`/`W`/`X` packet. */
export type StopReply =
  | {
      kind: 'signal';
      /** GDB signal number: 5 (SIGTRAP) after a step or breakpoint, 2 (SIGINT) after an interrupt. */
      signal: number;
      /** The thread (vCPU index + 1 on QEMU) that stopped, when the stub says. */
      thread?: number;
      core?: number;
      /** swbreak, hwbreak, watch, rwatch, awatch … when the stub reports a reason (QEMU 7.2 does not). */
      reason?: string;
      /** Data address of a watchpoint hit. */
      watchAddress?: bigint;
      /** Registers the stub sent along, by regnum, as raw little-endian bytes. */
      registers: Map<number, Buffer>;
    }
  | { kind: 'exited'; code: number }
  | { kind: 'terminated'; signal: number };

const WATCH_REASONS = new Set(['watch', 'rwatch', 'awatch']);
const OTHER_REASONS = new Set(['swbreak', 'hwbreak', 'library', 'replaylog', 'syscall_entry', 'syscall_return', 'fork', 'vfork', 'vforkdone', 'exec', 'create']);

/** Thread ids come as `01`, `-1`, or in multiprocess form `p01.02`; this returns the thread part. */
export function parseThreadId(text: string): number {
  const tid = text.startsWith('p') ? text.slice(text.indexOf('.') + 1) : text;
  if (tid === '-1') return -1;
  if (!/^[0-9a-fA-F]+$/.test(tid)) throw new Error(`bad thread id "${text}"`);
  return parseInt(tid, 16);
}

export function formatThreadId(tid: number): string {
  return tid < 0 ? '-1' : tid.toString(16);
}

/** Parses a stop reply, or returns undefined when `payload` is not one. */
export function parseStopReply(payload: string): StopReply | undefined {
  if (!/^[TSWX][0-9a-fA-F]{2}/.test(payload)) return undefined;
  const letter = payload[0];
  const number = parseInt(payload.slice(1, 3), 16);
  if (letter === 'W') return { kind: 'exited', code: number };
  if (letter === 'X') return { kind: 'terminated', signal: number };
  const reply: StopReply = { kind: 'signal', signal: number, registers: new Map() };
  if (letter === 'S') return reply;
  for (const field of payload.slice(3).split(';')) {
    if (!field) continue;
    const colon = field.indexOf(':');
    const key = colon < 0 ? field : field.slice(0, colon);
    const value = colon < 0 ? '' : field.slice(colon + 1);
    if (key === 'thread') reply.thread = parseThreadId(value);
    else if (key === 'core') reply.core = parseInt(value, 16);
    else if (/^[0-9a-fA-F]+$/.test(key)) reply.registers.set(parseInt(key, 16), fromHex(value));
    else if (WATCH_REASONS.has(key)) {
      reply.reason ??= key;
      reply.watchAddress = BigInt(`0x${value}`);
    } else if (OTHER_REASONS.has(key)) reply.reason ??= key;
    // Any other key is an extension this client does not know; the protocol says to ignore it.
  }
  return reply;
}
