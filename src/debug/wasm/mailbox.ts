// The kernel's debug mailbox (UNIWASM_DEBUG) as the debugger reads and writes it: layout, bitmap, step words, trap names.
/**
 * The kernel's debug mailbox (`UNIWASM_DEBUG`, kernel/runtime/src/debug.rs) as the adapter reads
 * and writes it through the gdbstub: a 120-byte little-endian #[repr(C)] struct, the shadow call
 * stack it points at, and the breakpoint bitmap. Layout and values: docs/DEBUGGING.md.
 */

export const MAILBOX_SIZE = 120;
export const MAILBOX_MAGIC = 0x4244_5755;
export const MAILBOX_VERSION = 4;
export const FRAME_SIZE = 8;

/** Byte offsets of the fields the adapter writes, and of memory_base, which it watches. */
export const OFFSET = { stepMode: 40, stepDepth: 44, memoryBase: 56, localsWritten: 112 } as const;

export const STEP_MODE = { run: 0, into: 1, over: 2, out: 3, pause: 4 } as const;
export type StepMode = keyof typeof STEP_MODE;

export const STOP_REASON = { 1: 'step', 2: 'breakpoint', 3: 'pause', 4: 'trap', 5: 'ready' } as const;
export type MailboxStopReason = (typeof STOP_REASON)[keyof typeof STOP_REASON];

/** The mailbox's trap codes (wasmi 1.1's TrapCode numbers, kept by the runtime since wasmi 2.0 shifted its own; 11 is new in 2.0), plus the runtime's code for a failing host function. */
const TRAP_CODES: Record<number, string> = {
  0: 'unreachable executed',
  1: 'out-of-bounds memory access',
  2: 'out-of-bounds table access',
  3: 'indirect call to null',
  4: 'integer division by zero',
  5: 'integer overflow',
  6: 'invalid conversion to integer',
  7: 'call stack exhausted',
  8: 'indirect call signature mismatch',
  9: 'out of fuel',
  10: 'growth operation limited',
  11: 'out of system memory',
  0xffff_ffff: 'host function failed',
};

export function trapName(code: number): string {
  return TRAP_CODES[code] ?? `trap code ${code}`;
}

export interface Mailbox {
  magic: number;
  version: number;
  siteCount: number;
  frameCapacity: number;
  /** Address of the breakpoint bitmap. */
  breakpoints: bigint;
  /** Address of the frames, outermost first. */
  frames: bigint;
  depth: number;
  currentSite: number;
  stepMode: number;
  stepDepth: number;
  reason: number;
  trapCode: number;
  memoryBase: bigint;
  memorySize: bigint;
  globalCount: number;
  inWasm: boolean;
  /** Address of `globalCount` u64. */
  globals: bigint;
  stops: bigint;
  /** Address and size of the instrumented module's value slots (`uniwasm:debug.values`), refreshed at each stop; 0 without. */
  values: bigint;
  valuesSize: bigint;
}

export function decodeMailbox(bytes: Uint8Array): Mailbox {
  if (bytes.length < MAILBOX_SIZE) throw new Error(`the debug mailbox is ${MAILBOX_SIZE} bytes, got ${bytes.length}`);
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  return {
    magic: b.readUInt32LE(0),
    version: b.readUInt32LE(4),
    siteCount: b.readUInt32LE(8),
    frameCapacity: b.readUInt32LE(12),
    breakpoints: b.readBigUInt64LE(16),
    frames: b.readBigUInt64LE(24),
    depth: b.readUInt32LE(32),
    currentSite: b.readUInt32LE(36),
    stepMode: b.readUInt32LE(40),
    stepDepth: b.readUInt32LE(44),
    reason: b.readUInt32LE(48),
    trapCode: b.readUInt32LE(52),
    memoryBase: b.readBigUInt64LE(56),
    memorySize: b.readBigUInt64LE(64),
    globalCount: b.readUInt32LE(72),
    inWasm: b.readUInt32LE(76) !== 0,
    globals: b.readBigUInt64LE(80),
    stops: b.readBigUInt64LE(88),
    values: b.readBigUInt64LE(96),
    valuesSize: b.readBigUInt64LE(104),
  };
}

/** Why the mailbox cannot be used, or undefined when it is ready and of a version this adapter reads. */
export function mailboxProblem(m: Mailbox, expectedSites: number): string | undefined {
  if (m.magic !== MAILBOX_MAGIC) return `the kernel's debug mailbox is not set up (magic 0x${m.magic.toString(16)})`;
  if (m.version !== MAILBOX_VERSION) return `the kernel's debug mailbox has version ${m.version}; this adapter reads version ${MAILBOX_VERSION}`;
  if (m.siteCount !== expectedSites) return `the kernel counts ${m.siteCount} probe sites, the instrumented module has ${expectedSites}`;
  return undefined;
}

export function stopReason(m: Mailbox): MailboxStopReason | undefined {
  return STOP_REASON[m.reason as keyof typeof STOP_REASON];
}

export interface MailboxFrame {
  /** The entry site of the frame's function. */
  entrySite: number;
  /** The last site the frame reached. */
  site: number;
}

/** How many frames are stored (deeper ones are only counted in `depth`). */
export function storedFrames(m: Mailbox): number {
  return Math.min(m.depth, m.frameCapacity);
}

/** Frames as read from `frames` (outermost first). */
export function decodeFrames(bytes: Uint8Array): MailboxFrame[] {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const frames: MailboxFrame[] = [];
  for (let at = 0; at + FRAME_SIZE <= b.length; at += FRAME_SIZE) frames.push({ entrySite: b.readUInt32LE(at), site: b.readUInt32LE(at + 4) });
  return frames;
}

/** The bitmap for `siteCount` sites with a stop at each index of `indices`: bit (i % 8) of byte i / 8. */
export function breakpointBitmap(siteCount: number, indices: Iterable<number>): Buffer {
  const bitmap = Buffer.alloc(Math.ceil(siteCount / 8));
  for (const i of indices) {
    if (i < 0 || i >= siteCount) throw new Error(`site index ${i} outside the ${siteCount} sites`);
    bitmap[i >> 3] |= 1 << (i & 7);
  }
  return bitmap;
}

/** The 8 bytes at `OFFSET.stepMode`: step_mode then step_depth. */
export function encodeStep(mode: StepMode, depth: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(STEP_MODE[mode], 0);
  b.writeUInt32LE(depth, 4);
  return b;
}
