// Register groups, formats and value parsing for the Registers scope, from QEMU's target description.
import type { RegisterInfo } from '../gdb/targetDescription';

/**
 * How the Registers scope groups the registers of QEMU's target.xml. Names come from the target
 * description, so a register QEMU adds lands in "other" instead of disappearing.
 */
export type RegisterGroup = 'general' | 'segment' | 'control' | 'x87' | 'sse' | 'other';

const GENERAL = /^(r[a-d]x|r[sd]i|r[bs]p|r(8|9|1[0-5])|rip|eflags)$/;
const SEGMENT = /^([c-gs]s|[fg]s_base|k_gs_base)$/;
const CONTROL = /^(cr\d|efer)$/;
const X87 = /^(st\d|f(ctrl|stat|tag|iseg|ioff|oseg|ooff|op))$/;
const SSE = /^(xmm\d+|ymm\d+h?|mxcsr)$/;

export function registerGroup(name: string): RegisterGroup {
  if (GENERAL.test(name)) return 'general';
  if (SEGMENT.test(name)) return 'segment';
  if (CONTROL.test(name)) return 'control';
  if (X87.test(name)) return 'x87';
  if (SSE.test(name)) return 'sse';
  return 'other';
}

/** The groups shown at the top of the Registers scope; the rest sit in expandable children. */
export const TOP_LEVEL_GROUPS: readonly RegisterGroup[] = ['general', 'segment', 'control'];
export const NESTED_GROUPS: readonly { group: RegisterGroup; label: string }[] = [
  { group: 'x87', label: 'x87' },
  { group: 'sse', label: 'SSE' },
  { group: 'other', label: 'other' },
];

/** Fixed-width hex, as wide as the register. */
export function formatRegister(reg: RegisterInfo, value: bigint): string {
  return `0x${value.toString(16).padStart(Math.ceil(reg.bitsize / 4), '0')}`;
}

const EFLAGS_BITS: [number, string][] = [
  [0, 'CF'], [2, 'PF'], [4, 'AF'], [6, 'ZF'], [7, 'SF'], [8, 'TF'], [9, 'IF'], [10, 'DF'], [11, 'OF'],
];

/** `[ ZF IF ]`-style flag list, as gdb prints eflags. */
export function describeEflags(value: bigint): string {
  const set = EFLAGS_BITS.filter(([bit]) => (value >> BigInt(bit)) & 1n).map(([, name]) => name);
  return `[ ${set.join(' ')} ]`;
}

/** The CPU mode from cr0 (PE), efer (LMA) and cs's long-mode bit as QEMU exposes them. */
export function cpuMode(regs: Map<string, bigint>): string {
  const cr0 = regs.get('cr0') ?? 0n;
  const efer = regs.get('efer') ?? 0n;
  if ((cr0 & 1n) === 0n) return 'real mode';
  if (efer & (1n << 10n)) return (cr0 & (1n << 31n)) ? 'long mode (64-bit, paging on)' : 'long mode';
  return (cr0 & (1n << 31n)) ? 'protected mode (32-bit, paging on)' : 'protected mode (32-bit, paging off)';
}

/** Parses what a user types for a register value: decimal, 0x-hex, or negative decimal. */
export function parseRegisterValue(text: string, reg: RegisterInfo): bigint {
  const trimmed = text.trim();
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(trimmed)) throw new Error(`"${text}" is not a number (decimal or 0x-hex)`);
  const negative = trimmed.startsWith('-');
  const magnitude = BigInt(negative ? trimmed.slice(1) : trimmed);
  const value = negative ? -magnitude : magnitude;
  const bits = BigInt(reg.bitsize);
  if (value >= 1n << bits || value < -(1n << (bits - 1n))) throw new Error(`${text} does not fit ${reg.name} (${reg.bitsize} bits)`);
  return BigInt.asUintN(reg.bitsize, value);
}
