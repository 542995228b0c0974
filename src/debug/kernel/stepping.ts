// Kernel-level stepping through the gdbstub: one instruction (past a breakpoint at rip), step out, run to the entry.
import type { BreakpointType, GdbClient } from '../gdb/client';
import type { StopReply } from '../gdb/stopReply';
import type { BreakpointTable } from './breakpoints';
import type { ElfSymbol } from './elf';

/** The longest a single-instruction step may take before we call the target running. */
const STEP_TIMEOUT_MS = 10_000;
/** Where an x86 CPU starts after reset (cs=0xf000, ip=0xfff0). */
const RESET_VECTOR = 0xfff0n;
/** The firmware reaches the kernel's entry in well under a second even under TCG. */
const ENTRY_TIMEOUT_MS = 30_000;
/** Step-out single-steps until the frame returns; beyond this many instructions it gives up. */
export const STEP_OUT_LIMIT = 20_000;

/** What a step must lift at rip: the machine breakpoints, and the Wasm level's hardware breakpoint on its trap function. */
export interface StepContext {
  client: GdbClient;
  breakpoints: BreakpointTable;
  trapAddress: bigint | undefined;
}

/**
 * QEMU reports a breakpoint again at the very instruction it resumes from. As GDB does, lift the
 * breakpoint, step one instruction, and put it back. Returns that step's stop, or undefined when
 * rip holds no breakpoint.
 */
export async function stepOffBreakpoint({ client, breakpoints, trapAddress }: StepContext, thread: number): Promise<StopReply | undefined> {
  await client.selectThread('g', thread);
  const rip = await client.readRegister('rip');
  const lifted: BreakpointType[] = [];
  if (breakpoints.addresses().has(rip)) lifted.push('software');
  if (trapAddress === rip) lifted.push('hardware');
  if (!lifted.length) return undefined;
  for (const type of lifted) await client.removeBreakpoint(rip, type);
  try {
    return await client.step(thread, STEP_TIMEOUT_MS);
  } finally {
    if (client.state === 'stopped') for (const type of lifted) await client.setBreakpoint(rip, type);
  }
}

/** One instruction on `thread`, past a breakpoint at rip if there is one. */
export async function singleStep(context: StepContext, thread: number): Promise<StopReply> {
  return (await stepOffBreakpoint(context, thread)) ?? context.client.step(thread, STEP_TIMEOUT_MS);
}

export interface StepOutResult {
  /** The last stop on the way (undefined when the first step failed). */
  last: StopReply | undefined;
  /** It ended on a breakpoint met on the way, which wins, as with GDB's `finish`. */
  atBreakpoint: boolean;
  /** STEP_OUT_LIMIT instructions went by without a return. */
  gaveUp: boolean;
  error?: Error;
}

/**
 * Step out at kernel level: single-steps until the stack pointer rises above `startSp` (its value
 * when the step began) and rip has left `fn` (the function it began in), i.e. the function returned.
 */
export async function stepOut(context: StepContext, thread: number, startSp: bigint, fn: ElfSymbol | undefined): Promise<StepOutResult> {
  const result: StepOutResult = { last: undefined, atBreakpoint: false, gaveUp: false };
  try {
    for (let i = 0; i < STEP_OUT_LIMIT; i++) {
      result.last = await singleStep(context, thread);
      if (result.last.kind !== 'signal') return result;
      const rip = await context.client.readRegister('rip');
      if (context.breakpoints.at(rip).length) return { ...result, atBreakpoint: true };
      const inside = fn && rip >= fn.address && rip < fn.address + fn.size;
      if ((await context.client.readRegister('rsp')) > startSp && !inside) return result;
    }
    result.gaveUp = true;
  } catch (err) {
    result.error = err as Error;
  }
  return result;
}

/**
 * A QEMU started halted (-S) sits at the reset vector, in the firmware: "entry" means the kernel's
 * first instruction, so run there on a temporary breakpoint. A guest that ran already stays where it is.
 */
export async function runToEntry({ client, breakpoints }: StepContext, thread: number, entry: bigint): Promise<void> {
  await client.selectThread('g', thread);
  if ((await client.readRegister('rip')) !== RESET_VECTOR) return;
  const temporary = !breakpoints.addresses().has(entry);
  if (temporary) await client.setBreakpoint(entry, 'software');
  await client.continue();
  await client.waitForStop(ENTRY_TIMEOUT_MS);
  if (temporary) await client.removeBreakpoint(entry, 'software');
}
