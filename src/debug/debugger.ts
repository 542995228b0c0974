// The debugger behind the DAP session: the launch, the GDB client, breakpoints, run control and inspection at both levels, told as events.
import { EventEmitter } from 'node:events';
import type { RunObserver } from '../run/observer';
import type { RunSession } from '../run/session';
import { portInUse } from '../util/ports';
import { Breakpoints } from './breakpoints';
import { GdbClient } from './gdb/client';
import { ElfSymbols } from './kernel/elf';
import { evaluate, kernelFrame, kernelScopes, kernelVariables, setRegister } from './kernel/inspect';
import { parseAddress, readReadable } from './kernel/memory';
import { bootHalted, type AttachOptions, type LaunchOptions } from './launch';
import type {
  DataBreakpointInfo, DebuggerEvents, Evaluation, DisassembledInstruction, ExceptionInfo, Frame, MemoryRead, OutputCategory, Reference, Scope, Thread, Variable, VariableContainer,
} from './model';
import { RunControl, type Target } from './runControl';
import { WASM_FRAME_BASE, WasmLevel } from './wasm/level';
import { addressInfo, globalAddressInfo, parseWasmAddress } from './wasm/watch';
import { ExpressionError } from './wasm/dwarf';
import { watchInfo, type DwarfFrame } from './wasm/variables';

/** The kernel's console line once it serves HTTP (kernel/README.md). */
const KERNEL_LISTENING = /\bINFO +ready: listening on /;

/**
 * Debugs a Uniwasm guest through QEMU's gdbstub. Kernel level: threads are vCPUs, a frame is the
 * instruction at rip named by the kernel's ELF symbols, breakpoints are function (kernel symbol)
 * and instruction breakpoints. Wasm level (wasm/level.ts, with `launch`): stops in the trap
 * function become Wasm frames, scopes, steps and function/line breakpoints. Emits `stopped`,
 * `output` and `ended` (model.ts); plain Node, no protocol types.
 */
export class Debugger extends EventEmitter<DebuggerEvents> {
  private target: Target | undefined;
  private runControl: RunControl | undefined;
  private launched: RunSession | undefined;
  /** The user's breakpoints, set at both levels. */
  readonly breakpoints = new Breakpoints({
    symbols: () => this.target?.symbols,
    wasm: () => this.target?.wasm,
    withTargetStopped: (job) => this.control.withTargetStopped(job),
  });
  private terminated = false;
  private disconnecting = false;
  /** Stop at Wasm traps (else they resume at once and the app's request gets its error). */
  stopAtTraps = true;

  /** `observers` follow a launch's run (the extension's views and status bar); none for `node dist/debugAdapter.js`. */
  constructor(private readonly observers: readonly RunObserver[] = []) {
    super();
  }

  /** The run a launch started (QEMU, Redis, the trace port); undefined when attached. */
  get run(): RunSession | undefined {
    return this.launched;
  }

  // ---- launch / attach / end ----

  /**
   * Builds and boots the app halted, connects, then lets `configure` set the breakpoints (DAP:
   * `initialized` … `configurationDone`) before the guest starts. A failure stops what it started.
   */
  async launch(options: LaunchOptions, configure: () => Promise<void>): Promise<void> {
    try {
      let listening = () => {};
      const serving = new Promise<void>((resolve) => (listening = resolve));
      const boot = await bootHalted(options, (text, category) => {
        if (category === 'stdout' && KERNEL_LISTENING.test(text)) listening();
        this.output(text, category);
      }, this.observers);
      const run = (this.launched = boot.run);
      void run.ended.then((why) => this.terminate(run.stopRequested ? undefined : `QEMU ended: ${why}`));
      const target = await this.connect('127.0.0.1', boot.gdbPort, run.image.kernel);
      if (boot.program) {
        target.wasm = new WasmLevel(boot.program, target.symbols!, boot.sourceRoot);
        await target.wasm.install(target.client);
      }
      await configure();
      await this.control.start(options.stopOnEntry);
      // Ready once the kernel says it listens, not at an HTTP answer as `uniwasm run` does: that
      // request would run the app's handler (every request does, in a component) and stop at a
      // breakpoint there. Until the user resumes the guest (stopOnEntry, breakpoints) this waits.
      const late = options.readyTimeoutMs === undefined ? undefined : setTimeout(() => {
        this.output(`uniwasm: the guest did not listen for HTTP within ${options.readyTimeoutMs} ms\n`, 'stderr');
      }, options.readyTimeoutMs).unref();
      void serving.then(() => {
        clearTimeout(late);
        this.output(`ready ${run.url}\n`);
      });
    } catch (err) {
      await this.launched?.stop();
      throw err;
    }
  }

  async attach(options: AttachOptions, configure: () => Promise<void>): Promise<void> {
    if (!options.port) throw new Error('attach needs "port": the gdbstub port of a running QEMU');
    await this.connect(options.host ?? '127.0.0.1', options.port, options.kernel);
    await configure();
    await this.control.start(options.stopOnEntry);
  }

  /** Connects the GDB client (QEMU stops the guest while a debugger connects) and loads the symbols. */
  private async connect(host: string, port: number, kernel: string | undefined): Promise<Target> {
    const symbols = kernel ? ElfSymbols.fromFile(kernel) : undefined;
    const client = await GdbClient.connect(host, port, { timeoutMs: 5000, waitForListenerMs: 10_000 });
    client.on('exit', (reply) => {
      const how = reply.kind === 'exited' ? `exit status ${reply.code}` : `signal ${reply.kind === 'terminated' ? reply.signal : '?'}`;
      this.output(`uniwasm: the guest ended (${how})\n`);
    });
    client.on('close', (error) => {
      if (this.disconnecting) return;
      // Launched: QEMU's own end (with the guest's last words) usually follows right away; prefer it.
      // Attached: a dying QEMU closes its listener along with the connection; give it a moment.
      const settled = this.launched ? Promise.race([this.launched.ended.then(() => undefined), delay(2000)]) : delay(300);
      void settled
        .then(async () => error?.message ?? (await closedReason(host, port, this.launched !== undefined)))
        .then((why) => this.terminate(`uniwasm: ${why}`));
    });
    client.on('console', (text) => this.output(text, 'stdout'));
    const target: Target = { client, threadIds: await client.threads(), symbols, kernelPath: kernel, wasm: undefined };
    this.target = target;
    this.runControl = new RunControl(target, this.breakpoints.machine, {
      stopped: (stop) => this.emit('stopped', stop),
      output: (text, category) => this.output(text, category),
      stopAtTraps: () => this.stopAtTraps,
    });
    return target;
  }

  /** Ends the session once: says why (when it was not asked for) and emits `ended`. */
  private terminate(reason: string | undefined): void {
    if (this.terminated || this.disconnecting) return;
    this.terminated = true;
    if (reason) this.output(`${reason}\n`, 'stderr');
    this.emit('ended');
  }

  /** The user ends the session: a launched guest always ends with it; an attached one only when asked. */
  disconnect(terminateDebuggee: boolean): Promise<void> {
    return this.end(this.launched !== undefined || terminateDebuggee);
  }

  /** Stops QEMU and Redis (terminate) or detaches and lets the guest run on. */
  async end(terminate: boolean): Promise<void> {
    if (this.disconnecting) return;
    this.disconnecting = true;
    const client = this.target?.client;
    try {
      if (client && client.state !== 'closed') {
        if (terminate && !this.launched) {
          await this.runControl!.stopQuietly();
          // Without a RunSession, the only way to end an attached QEMU is its monitor.
          await client.monitor('quit').catch(() => undefined);
        } else if (!terminate) {
          await this.runControl!.stopQuietly();
          await this.breakpoints.removeAll(client);
          await client.detach();
        }
        client.close();
      }
    } catch (err) {
      this.output(`uniwasm: ${(err as Error).message}\n`, 'stderr');
      client?.close();
    }
    if (terminate) await this.launched?.stop();
  }

  private connected(): Target {
    if (!this.target || this.target.client.state === 'closed') throw new Error('not connected to a guest');
    return this.target;
  }

  /** Continue, pause and steps of the connected guest. */
  get control(): RunControl {
    this.connected();
    return this.runControl!;
  }

  // ---- threads, stack, scopes, variables, memory ----

  /** Threads are vCPUs (QEMU numbers them from 1). */
  get threads(): Thread[] {
    return (this.target?.threadIds ?? []).map((id) => ({ id, name: `vCPU ${id - 1}` }));
  }

  /** Wasm frames (at a Wasm stop) above the kernel frame of `thread`. */
  async stackFrames(thread: number): Promise<Frame[]> {
    const target = this.connected();
    const wasmStop = target.wasm?.stop;
    const kernel = await kernelFrame(target, thread, wasmStop !== undefined && !wasmStop.watch);
    const wasmFrames = wasmStop ? await target.wasm!.stackFrames(target.client, wasmStop) : [];
    return [...wasmFrames, kernel];
  }

  scopes(frameId: number, reference: Reference): Scope[] {
    const wasm = this.target?.wasm;
    if (wasm && frameId >= WASM_FRAME_BASE) return wasm.scopes(frameId, reference);
    return kernelScopes(frameId, reference);
  }

  /** A scope's or an expanded variable's rows; `page` selects elements of a large array. */
  async variables(container: VariableContainer, reference: Reference, page?: { start?: number; count?: number }): Promise<Variable[]> {
    const target = this.connected();
    if ('thread' in container) return kernelVariables(target, container, reference);
    if (!target.wasm?.stop) throw new Error('Wasm variables exist only at a Wasm stop');
    return target.wasm.variables(target.client, target.wasm.stop, container, reference, page);
  }

  /** Registers, and the program's C scalars and pointers (DWARF); returns the new value as shown. */
  async setVariable(container: VariableContainer | undefined, name: string, value: string): Promise<string> {
    if (container && (container.kind === 'registers' || container.kind === 'registerGroup')) return setRegister(this.connected().client, container.thread, name, value);
    const { client, wasm } = this.connected();
    if (!container || 'thread' in container || !wasm?.stop) throw new Error('only registers and the program\'s variables can be changed');
    return wasm.setDwarfVariable(client, wasm.stop, container, name, value);
  }

  /** A C expression that designates storage in a Wasm frame (a watch, a variable with an evaluateName) takes a new value. */
  async setExpression(expression: string, value: string, frameId: number | undefined): Promise<string> {
    const { client, wasm } = this.connected();
    if (!wasm?.stop || frameId === undefined || frameId < WASM_FRAME_BASE) throw new Error('expressions can be set at a Wasm frame only');
    return wasm.setDwarfExpression(client, wasm.stop, frameId - WASM_FRAME_BASE, expression, value);
  }

  /**
   * Debug console, hovers and watches: at a Wasm frame a C expression over its variables (DWARF),
   * else (or when that names nothing) a register of the frame's vCPU, or a kernel symbol.
   */
  async evaluate(expression: string, frameId: number | undefined, reference: Reference): Promise<Evaluation> {
    const target = this.connected();
    const kernel = async () => ({ ...(await evaluate(target, expression, frameId)), variablesReference: 0 });
    const frame = await this.dwarfFrame(frameId);
    if (typeof frame !== 'object') return kernel();
    try {
      const v = await frame.evaluate(expression, reference);
      return { result: v.value, type: v.type, variablesReference: v.variablesReference, memoryReference: v.memoryReference, indexedVariables: v.indexedVariables };
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      // `$rsp` or a kernel symbol at a Wasm frame; else the expression's own error.
      return kernel().catch(() => Promise.reject(new Error(err.message)));
    }
  }

  /** The DWARF view of Wasm frame `frameId` at the current stop, or why there is none. */
  private async dwarfFrame(frameId: number | undefined): Promise<DwarfFrame | string | undefined> {
    const { client, wasm } = this.connected();
    if (!wasm?.stop || frameId === undefined || frameId < WASM_FRAME_BASE) return undefined;
    return wasm.dwarfFrame(client, wasm.stop, frameId - WASM_FRAME_BASE);
  }

  exceptionInfo(): ExceptionInfo | undefined {
    return this.target?.wasm?.exceptionInfo();
  }

  /** `count` bytes at a kernel address, or in linear memory for a `wasm:OFFSET` reference (the Memory scope's). */
  async readMemory(reference: string, offset: number, count: number): Promise<MemoryRead> {
    const { client, wasm } = this.connected();
    // Linear memory: addresses as the app sees them, bounded by its size.
    const linear = wasm?.linearMemory(reference, offset, count);
    const address = linear?.address ?? parseAddress(reference) + BigInt(offset);
    const readable = linear?.inside ?? count;
    const { data, unreadable } = readable ? await readReadable(client, address, readable) : { data: Buffer.alloc(0), unreadable: 0 };
    return { address: `0x${(linear?.wasmOffset ?? address).toString(16)}`, data, unreadableBytes: unreadable + count - readable };
  }

  async writeMemory(reference: string, offset: number, data: Buffer): Promise<void> {
    const { client, wasm } = this.connected();
    const linear = wasm?.linearMemory(reference, offset, data.length);
    if (linear && linear.inside < data.length) throw new Error(`the write runs past the end of linear memory`);
    await client.writeMemory(linear?.address ?? parseAddress(reference) + BigInt(offset), data);
    wasm?.memoryWritten();
  }

  /**
   * Whether `name` can be watched: a linear-memory address (`0x1234`, `&mem[0x1234]`, `wasm:0x1234`),
   * or in the Globals scope a global that holds one (the memory it points at). `bytes` long (4 when not given).
   */
  async dataBreakpointInfo(name: string, container: VariableContainer | undefined, bytes: number | undefined, frameId?: number): Promise<DataBreakpointInfo> {
    const { client, wasm } = this.connected();
    if (!wasm) return { dataId: null, description: 'data breakpoints watch linear memory: launch with Wasm debugging ("debugWasm": true)' };
    if (container?.kind === 'wasmGlobals' && wasm.stop) return globalAddressInfo(wasm.program, client, wasm.stop.mailbox, name, bytes);
    if ((container?.kind === 'dwarfScope' || container?.kind === 'dwarfValue') && wasm.stop) {
      return watchInfo((await wasm.dwarfNode(client, wasm.stop, container, name)).node.object, name, bytes);
    }
    const address = parseWasmAddress(name);
    if (address !== undefined) return addressInfo(address, bytes);
    const frame = await this.dwarfFrame(frameId);
    if (typeof frame === 'object') return frame.watch(name, bytes);
    return { dataId: null, description: `${name}: name a variable, an expression with an address, or a linear-memory address (0x1234, &mem[0x1234])` };
  }

  /** The Disassembly view: Wasm code of the original module by `wasm-code:` references (the kernel's machine code is not disassembled). */
  disassemble(reference: string, offset: number, instructionOffset: number, count: number): DisassembledInstruction[] {
    const wasm = this.connected().wasm;
    if (!wasm) throw new Error('disassembly is of Wasm code: launch with Wasm debugging ("debugWasm": true)');
    return wasm.code.disassemble(reference, offset, instructionOffset, count);
  }

  private output(text: string, category: OutputCategory = 'console'): void {
    this.emit('output', text, category);
  }
}

/** Why the gdbstub connection closed without an error: QEMU ended, or only the connection dropped. */
async function closedReason(host: string, port: number, launched: boolean): Promise<string> {
  const local = host === '127.0.0.1' || host === 'localhost';
  const listening = local ? await portInUse(port).catch(() => undefined) : undefined;
  if (listening === undefined) return 'QEMU closed the GDB connection (it exited or was killed, or the connection dropped)';
  if (!listening) return `QEMU closed the GDB connection: nothing listens on ${host}:${port} any more (it exited or was killed)`;
  return launched
    ? 'the GDB connection to QEMU dropped while QEMU runs; the session ends and stops it'
    : `the GDB connection dropped, but ${host}:${port} still listens: QEMU runs on (attach again to go on debugging)`;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
