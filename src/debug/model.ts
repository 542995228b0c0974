// What the debugger hands out and tells (stops, frames, scopes, variables, breakpoint answers, its events): plain objects, no protocol types.
import type { RegisterGroup } from './kernel/registers';
import type { DwarfScopeKind, DwarfValue } from './wasm/variables';

/** Why the target stopped, in the words the stopped event uses. */
export type StopReason =
  | 'entry'
  | 'step'
  | 'pause'
  | 'breakpoint'
  | 'function breakpoint'
  | 'instruction breakpoint'
  /** A watchpoint on linear memory (gdbstub Z2/Z3/Z4, wasm/watch.ts). */
  | 'data breakpoint'
  | 'exception';

/** A stop the user should see. Every vCPU is stopped (the gdbstub runs all-stop). */
export interface Stop {
  reason: StopReason;
  /** The vCPU (thread id) that stopped. */
  thread: number;
  /** Ids (from the breakpoint answers) of the breakpoints it stopped at. */
  hitBreakpointIds: number[];
  /** The trap's name at a Wasm trap (`integer division by zero`). */
  trap?: string;
}

export type OutputCategory = 'console' | 'stdout' | 'stderr';

export interface DebuggerEvents {
  /** The target stopped where the user should see it (not the stops the debugger makes for itself). */
  stopped: [stop: Stop];
  /** Build output and the debugger's own messages (console), the guest's console (stdout), failures (stderr). */
  output: [text: string, category: OutputCategory];
  /** The target ended without being asked to (QEMU died, the connection dropped); the reason went out as output. Once. */
  ended: [];
}

export interface Thread {
  id: number;
  name: string;
}

/** One frame of the call stack: Wasm frames have a source line, the kernel frame an instruction pointer. */
export interface Frame {
  /** Kernel frames: the thread id (one frame per vCPU). Wasm frames: WASM_FRAME_BASE + depth (wasm/level.ts). */
  id: number;
  name: string;
  source?: { path: string };
  line: number;
  column: number;
  instructionPointerReference?: string;
  presentationHint?: 'normal' | 'label';
}

/** What the Wasm level's scopes show. */
export type WasmScope =
  | { kind: 'wasmGlobals' } | { kind: 'wasmMemory' } | { kind: 'wasmFrame'; depth: number } | { kind: 'wasmLocals'; depth: number }
  /** A frame's C variables (DWARF): its Arguments, Locals or Globals. */
  | { kind: 'dwarfScope'; depth: number; which: DwarfScopeKind }
  | DwarfValue;

/** What a scope or an expandable variable stands for; the session keeps these behind its variables references. */
export type VariableContainer =
  | { kind: 'registers'; thread: number }
  | { kind: 'registerGroup'; thread: number; group: RegisterGroup }
  | { kind: 'kernel'; thread: number }
  | WasmScope;

/** The number the session gives a container (its variablesReference). */
export type Reference = (container: VariableContainer) => number;

export interface Scope {
  name: string;
  /** From the caller's Reference. */
  variablesReference: number;
  expensive: boolean;
}

export interface Variable {
  name: string;
  value: string;
  type?: string;
  /** 0, or the caller's Reference for a variable with children. */
  variablesReference: number;
  /** An address the memory view can open (`0x…`, or `wasm:OFFSET` into linear memory). */
  memoryReference?: string;
  /** The C expression that names it (Add to Watch, Copy as Expression). */
  evaluateName?: string;
  /** Element count of a large array, which the client then pages. */
  indexedVariables?: number;
}

/** What an expression evaluates to (debug console, hover, watch). */
export interface Evaluation {
  result: string;
  type?: string;
  /** 0, or the caller's Reference when the value has children. */
  variablesReference: number;
  memoryReference?: string;
  indexedVariables?: number;
}

/** The answer to one breakpoint the user set: where it landed, or why it could not be set. */
export interface BreakpointAnswer {
  id: number;
  verified: boolean;
  message?: string;
  line?: number;
  source?: { path: string };
  instructionReference?: string;
}

/** What a data breakpoint watches for: writes (Z2), reads (Z3), either (Z4). */
export type DataAccess = 'write' | 'read' | 'readWrite';

/** Whether data can be watched: its id for setDataBreakpoints (null when it cannot), and what it is. */
export interface DataBreakpointInfo {
  dataId: string | null;
  description: string;
  accessTypes?: DataAccess[];
}

/** Details of the exception (Wasm trap) the target stopped at. */
export interface ExceptionInfo {
  exceptionId: string;
  description: string;
  breakMode: 'always';
}

/** One row of the Disassembly view (Wasm code of the original module). */
export interface DisassembledInstruction {
  /** `0x` + the instruction's file offset in the module; `-1` for a filler outside the code. */
  address: string;
  /** The bytes in hex, space-separated. */
  instructionBytes?: string;
  instruction: string;
  /** The function it belongs to. */
  symbol?: string;
  source?: { path: string };
  line?: number;
  column?: number;
  /** A filler before the first or after the last instruction. */
  invalid?: boolean;
}

/** Bytes read from the target: `unreadableBytes` past the end of `data` could not be read. */
export interface MemoryRead {
  address: string;
  data: Buffer;
  unreadableBytes: number;
}
