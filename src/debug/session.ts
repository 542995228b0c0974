import { statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import {
  Handles, InitializedEvent, Logger, logger, LoggingDebugSession, OutputEvent, Scope, StoppedEvent, TerminatedEvent, Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildAll } from '../builder/all';
import { readAppManifest } from '../builder/app';
import { RunSession } from '../run/session';
import { RUN_DEFAULTS, type AccelChoice, type Machine } from '../run/options';
import { freePort, portInUse } from '../util/ports';
import { BreakpointTable, type BreakpointKind, type MachineBreakpoint } from './breakpoints';
import { ElfSymbols } from './elf';
import { GdbClient, type BreakpointType } from './gdb/client';
import type { StopReply } from './gdb/stopReply';
import type { RegisterInfo } from './gdb/targetDescription';
import {
  cpuMode, describeEflags, formatRegister, NESTED_GROUPS, parseRegisterValue, registerGroup, TOP_LEVEL_GROUPS, type RegisterGroup,
} from './registers';
import { stopReason } from './wasm/mailbox';
import type { WasmProgram } from './wasm/program';
import { WASM_FRAME_BASE, WasmLevel, type WasmScope } from './wasmLevel';

/** `launch` in launch.json (or from the configuration provider): boot the app under the debugger. */
export interface UniwasmLaunchArguments extends DebugProtocol.LaunchRequestArguments {
  /** App folder (with uniwasm.json) or a .wasm file; relative paths resolve against `cwd`. */
  app: string;
  cwd?: string;
  /** Host port forwarded to the guest's HTTP port. Default RUN_DEFAULTS.port. */
  port?: number;
  /** redis://… to use; empty starts an embedded redis-server. */
  redis?: string;
  /**
   * Stop at the start: at the first Wasm probe (the app's first function) when debugging at the
   * Wasm level, else at the kernel's first instruction.
   */
  stopOnEntry?: boolean;
  /**
   * Debug the app at the Wasm level (default true): boot an instrumented copy of the module with
   * `wasm_debug=N`. False debugs the kernel only and boots the module as built.
   */
  debugWasm?: boolean;
  accel?: AccelChoice;
  memoryMiB?: number;
  machine?: Machine;
  qemuPath?: string;
  kernelArgs?: string[];
  /** How long the guest may take to answer HTTP once running (for the `ready` line). Default none. */
  readyTimeoutMs?: number;
  /** Log the DAP traffic to the debug console. */
  trace?: boolean;
}

/** `attach`: a QEMU gdbstub that runs already (e.g. `uniwasm run --gdb 1234`). */
export interface UniwasmAttachArguments extends DebugProtocol.AttachRequestArguments {
  host?: string;
  port: number;
  /** The kernel ELF, for symbols (function breakpoints, frame names). */
  kernel?: string;
  stopOnEntry?: boolean;
  trace?: boolean;
}

/** What one variablesReference stands for. */
type VariableContainer =
  | { kind: 'registers'; thread: number }
  | { kind: 'registerGroup'; thread: number; group: RegisterGroup }
  | { kind: 'kernel'; thread: number }
  | WasmScope;

/** Why the next stop happens, for the stopped event's reason. */
type StopIntent = 'step' | 'pause' | undefined;

/** The longest a single-instruction step may take before we call the target running. */
const STEP_TIMEOUT_MS = 10_000;
/** Where an x86 CPU starts after reset (cs=0xf000, ip=0xfff0). */
const RESET_VECTOR = 0xfff0n;
/** The firmware reaches the kernel's entry in well under a second even under TCG. */
const ENTRY_TIMEOUT_MS = 30_000;
/** Step-out single-steps until the frame returns; beyond this many instructions it gives up. */
const STEP_OUT_LIMIT = 20_000;
/** How long a pause waits for the running Wasm to reach its next probe before stopping in the kernel. */
const PAUSE_AT_PROBE_MS = 1000;
/** The exception filter that stops at Wasm traps. */
const WASM_TRAPS = 'wasm-traps';

/**
 * The Uniwasm debug adapter. Kernel level: threads are vCPUs, a frame is the instruction at rip
 * named by the kernel's ELF symbols, scopes show registers, breakpoints are function (kernel symbol)
 * and instruction breakpoints set through QEMU's gdbstub. Wasm level (wasmLevel.ts, with `launch`):
 * stops in the trap function become Wasm frames, scopes, steps and function/line breakpoints.
 * Plain Node: no `vscode` import.
 */
export class UniwasmDebugSession extends LoggingDebugSession {
  private client: GdbClient | undefined;
  private run: RunSession | undefined;
  private symbols: ElfSymbols | undefined;
  private kernelPath: string | undefined;
  private threadIds: number[] = [];
  private readonly breakpoints = new BreakpointTable();
  private readonly variables = new Handles<VariableContainer>();
  private stopIntent: StopIntent;
  /** >0 while the adapter stops the target for itself (stepping out, changing breakpoints): no stopped event. */
  private quietStops = 0;
  private terminated = false;
  private disconnecting = false;
  /** The Wasm level, when launched with Wasm debugging (wasmLevel.ts). */
  private wasm: WasmLevel | undefined;
  /** The next Wasm stop is the one stopOnEntry asked for. */
  private wasmEntryPending = false;
  private stopAtTraps = true;
  private configurationDone!: () => void;
  private readonly configured = new Promise<void>((resolve) => (this.configurationDone = resolve));

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsInstructionBreakpoints: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsTerminateRequest: true,
      supportsSetVariable: true,
      supportsEvaluateForHovers: true,
      supportTerminateDebuggee: true,
      supportsExceptionInfoRequest: true,
      exceptionBreakpointFilters: [{ filter: WASM_TRAPS, label: 'Wasm traps', default: true, description: 'Stop when the app traps (unreachable, out-of-bounds access, division by zero, out of fuel …)' }],
    };
    this.sendResponse(response);
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configurationDone();
    this.sendResponse(response);
  }

  // ---- launch / attach / end ----

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: UniwasmLaunchArguments): Promise<void> {
    this.setupLogging(args.trace);
    try {
      if (!args.app) throw new Error('launch needs "app": an app folder with a uniwasm.json or a .wasm file');
      const app = isAbsolute(args.app) ? args.app : resolve(args.cwd ?? process.cwd(), args.app);
      const debugWasm = args.debugWasm ?? true;
      const boot = debugWasm ? await this.prepareWasm(app, args.cwd) : { app, kernelArgs: [], program: undefined, sourceRoot: app };
      const gdbPort = await freePort();
      this.run = await RunSession.start({
        app: boot.app,
        port: args.port ?? RUN_DEFAULTS.port,
        redisUrl: args.redis || undefined,
        accel: args.accel ?? RUN_DEFAULTS.accel,
        memoryMiB: args.memoryMiB ?? RUN_DEFAULTS.memoryMiB,
        machine: args.machine ?? RUN_DEFAULTS.machine,
        qemuBinary: args.qemuPath ?? RUN_DEFAULTS.qemuPath,
        extraKernelArgs: [...boot.kernelArgs, ...(args.kernelArgs ?? [])],
        readyTimeoutMs: args.readyTimeoutMs ?? Infinity,
        gdbPort,
        halted: true,
        onConsole: (line) => this.output(`${line}\n`, 'stdout'),
        onLog: (message) => this.output(`uniwasm: ${message}\n`),
        onBuildOutput: (text) => this.output(text),
      });
      const run = this.run;
      void run.ended.then((why) => this.terminate(run.stopRequested ? undefined : `QEMU ended: ${why}`));
      await this.connect('127.0.0.1', gdbPort, run.image.kernel);
      if (boot.program) {
        this.wasm = new WasmLevel(boot.program, this.symbols!, boot.sourceRoot);
        await this.wasm.install(this.connected());
      }
      await this.configure(args.stopOnEntry);
      // The guest answers HTTP once it runs; until the user resumes it (stopOnEntry, breakpoints) this just waits.
      run.waitForHttp(args.readyTimeoutMs ?? Infinity).then(
        () => this.output(`ready ${run.url}\n`),
        (err: Error) => run.stopRequested || this.output(`uniwasm: ${err.message}\n`, 'stderr'),
      );
      this.sendResponse(response);
    } catch (err) {
      await this.run?.stop();
      this.sendErrorResponse(response, 1001, `Uniwasm launch failed: ${(err as Error).message}`);
    }
  }

  protected override async attachRequest(response: DebugProtocol.AttachResponse, args: UniwasmAttachArguments): Promise<void> {
    this.setupLogging(args.trace);
    try {
      if (!args.port) throw new Error('attach needs "port": the gdbstub port of a running QEMU');
      await this.connect(args.host ?? '127.0.0.1', args.port, args.kernel);
      await this.configure(args.stopOnEntry);
      this.sendResponse(response);
    } catch (err) {
      this.sendErrorResponse(response, 1002, `Uniwasm attach failed: ${(err as Error).message}`);
    }
  }

  /**
   * Builds the app with the debug profile (DWARF for line breakpoints and source frames) and writes
   * its instrumented copy to `.uniwasm/debug/<app>.debug.wasm` (under `cwd`, else the app's
   * folder): RunSession boots that file as it is, with `wasm_debug=N`.
   */
  private async prepareWasm(app: string, cwd: string | undefined): Promise<{ app: string; kernelArgs: string[]; program: WasmProgram; sourceRoot: string }> {
    const built = await buildAll(app, { onOutput: (text) => this.output(text) }, 'debug');
    const folder = statSync(app).isDirectory();
    const name = folder ? readAppManifest(app).name : basename(app, extname(app));
    const appDir = folder ? app : dirname(app);
    const { program, path } = WasmLevel.prepare(built.app, join(cwd ?? appDir, '.uniwasm', 'debug'), name);
    const how = program.lines
      ? 'DWARF lines'
      : `no DWARF${folder ? ' (does its build honour UNIWASM_PROFILE=debug with -g?)' : ''}: function breakpoints, statements after calls and blocks`;
    this.output(`uniwasm: Wasm debugging with ${path} (${program.sites.length} probe sites; ${how})\n`);
    return { app: path, kernelArgs: [WasmLevel.kernelArgument(program)], program, sourceRoot: appDir };
  }

  private setupLogging(trace: boolean | undefined): void {
    logger.setup(trace ? Logger.LogLevel.Verbose : Logger.LogLevel.Stop, false);
  }

  /** Connects the GDB client (QEMU stops the guest while a debugger connects) and loads the symbols. */
  private async connect(host: string, port: number, kernel: string | undefined): Promise<void> {
    if (kernel) {
      this.symbols = ElfSymbols.fromFile(kernel);
      this.kernelPath = kernel;
    }
    const client = await GdbClient.connect(host, port, { timeoutMs: 5000, waitForListenerMs: 10_000 });
    this.client = client;
    client.on('stop', (reply) => {
      if (this.quietStops === 0) void this.reportStop(reply);
    });
    client.on('exit', (reply) => {
      const how = reply.kind === 'exited' ? `exit status ${reply.code}` : `signal ${reply.kind === 'terminated' ? reply.signal : '?'}`;
      this.output(`uniwasm: the guest ended (${how})\n`);
    });
    client.on('close', (error) => {
      if (this.disconnecting) return;
      // Launched: QEMU's own end (with the guest's last words) usually follows right away; prefer it.
      // Attached: a dying QEMU closes its listener along with the connection; give it a moment.
      const settled = this.run ? Promise.race([this.run.ended.then(() => undefined), delay(2000)]) : delay(300);
      void settled
        .then(async () => error?.message ?? (await closedReason(host, port, this.run !== undefined)))
        .then((why) => this.terminate(`uniwasm: ${why}`));
    });
    client.on('console', (text) => this.output(text, 'stdout'));
    this.threadIds = await client.threads();
  }

  /** Lets the client send its breakpoints, then stops on entry or lets the guest run. */
  private async configure(stopOnEntry: boolean | undefined): Promise<void> {
    this.sendEvent(new InitializedEvent());
    await this.configured;
    const client = this.connected();
    // At the Wasm level the entry is the first probe: the ready stop asks for it (reportWasmStop).
    if (this.wasm) this.wasmEntryPending = stopOnEntry === true;
    if (!stopOnEntry || this.wasm) return client.continue();
    await this.runToEntry(client);
    this.sendEvent(new StoppedEvent('entry', this.threadIds[0]));
  }

  /**
   * A QEMU started halted (-S) sits at the reset vector, in the firmware: "entry" means the kernel's
   * first instruction, so run there on a temporary breakpoint. A guest that ran already stops where it is.
   */
  private async runToEntry(client: GdbClient): Promise<void> {
    const entry = this.symbols?.entry;
    if (!entry) return;
    await client.selectThread('g', this.threadIds[0]);
    if ((await client.readRegister('rip')) !== RESET_VECTOR) return;
    const temporary = !this.breakpoints.addresses().has(entry);
    await this.quietly(async () => {
      if (temporary) await client.setBreakpoint(entry, 'software');
      await client.continue();
      await client.waitForStop(ENTRY_TIMEOUT_MS);
      if (temporary) await client.removeBreakpoint(entry, 'software');
    });
  }

  /** Ends the session once: says why (when it was not asked for) and sends `terminated`. */
  private terminate(reason: string | undefined): void {
    if (this.terminated || this.disconnecting) return;
    this.terminated = true;
    if (reason) this.output(`${reason}\n`, 'stderr');
    this.sendEvent(new TerminatedEvent());
  }

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    await this.end(true);
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments | undefined): Promise<void> {
    // Launched: QEMU and Redis belong to this process, so they always end with it. Attached: detach unless asked to end it.
    await this.end(this.run !== undefined || args?.terminateDebuggee === true);
    this.sendResponse(response);
  }

  /** Stops QEMU and Redis (terminate) or detaches and lets the guest run on. */
  private async end(terminate: boolean): Promise<void> {
    if (this.disconnecting) return;
    this.disconnecting = true;
    const client = this.client;
    try {
      if (client && client.state !== 'closed') {
        if (terminate && !this.run) {
          await this.stopTarget(client);
          // Without a RunSession, the only way to end an attached QEMU is its monitor.
          await client.monitor('quit').catch(() => undefined);
        } else if (!terminate) {
          await this.stopTarget(client);
          await this.setBreakpointsInStub(client, { insert: [], remove: [...this.breakpoints.addresses()] });
          await client.detach();
        }
        client.close();
      }
    } catch (err) {
      this.output(`uniwasm: ${(err as Error).message}\n`, 'stderr');
      client?.close();
    }
    if (terminate) await this.run?.stop();
  }

  private async stopTarget(client: GdbClient): Promise<void> {
    if (client.state === 'running') await this.quietly(() => client.interrupt());
  }

  // ---- running and stopping ----

  private connected(): GdbClient {
    if (!this.client || this.client.state === 'closed') throw new Error('not connected to a guest');
    return this.client;
  }

  /** Turns a stop the user should see into a stopped event with the right reason and breakpoint ids. */
  private async reportStop(reply: StopReply): Promise<void> {
    if (reply.kind !== 'signal') return;
    if (this.wasm && reply.signal === 5 && (await this.atWasmTrap(reply).catch(() => false))) return this.reportWasmStop(reply);
    const intent = this.stopIntent;
    this.stopIntent = undefined;
    const thread = reply.thread ?? this.threadIds[0];
    let reason = intent ?? (reply.signal === 2 ? 'pause' : 'breakpoint');
    let hit: MachineBreakpoint[] = [];
    if (intent === undefined && reply.signal === 5) {
      try {
        await this.client!.selectThread('g', thread);
        hit = this.breakpoints.at(await this.client!.readRegister('rip'));
      } catch {
        // The target went away between the stop and this read; the close handler reports it.
      }
      if (hit.length) reason = hit[0].kind === 'function' ? 'function breakpoint' : 'instruction breakpoint';
    }
    const event = new StoppedEvent(reason, thread) as DebugProtocol.StoppedEvent;
    event.body.allThreadsStopped = true;
    if (hit.length) event.body.hitBreakpointIds = hit.map((b) => b.id);
    this.sendEvent(event);
  }

  protected override async continueRequest(response: DebugProtocol.ContinueResponse, args: DebugProtocol.ContinueArguments): Promise<void> {
    let landed: StopReply | undefined;
    await this.respond(response, async () => {
      response.body = { allThreadsContinued: true };
      landed = await this.resume(this.connected(), args.threadId, 'run');
    });
    // The instruction stepped over led straight onto another breakpoint: that is the next stop.
    if (landed) await this.reportStop(landed);
  }

  /**
   * Resumes the guest: from a Wasm stop with `mode` written to the mailbox first (the kernel stops
   * again where that step mode says), stepping off a breakpoint at rip. Returns the stop of that
   * step when it landed on another breakpoint (not resumed then).
   */
  private async resume(client: GdbClient, thread: number, mode: 'run' | 'into' | 'over' | 'out'): Promise<StopReply | undefined> {
    const stop = this.wasm?.stop;
    if (stop) {
      this.wasm!.stop = undefined;
      await this.wasm!.setStep(client, mode, stop.mailbox.depth);
    }
    const stepped = await this.quietly(() => this.stepOffBreakpoint(client, thread));
    if (stepped && stepped.kind !== 'signal') return undefined;
    if (stepped && this.breakpoints.at(await client.readRegister('rip')).length) return stepped;
    await client.continue();
    return undefined;
  }

  /** A SIGTRAP at the trap function is a Wasm stop (the kernel called it from the probe or a trap). */
  private async atWasmTrap(reply: StopReply): Promise<boolean> {
    const client = this.connected();
    await client.selectThread('g', (reply.kind === 'signal' && reply.thread) || this.threadIds[0]);
    return (await client.readRegister('rip')) === this.wasm!.trapAddress;
  }

  /**
   * A stop in `uniwasm_debug_trap`: the ready stop is the adapter's own (breakpoints in, resume);
   * a trap with the "Wasm traps" filter off resumes at once; the rest is reported in Wasm terms.
   */
  private async reportWasmStop(reply: StopReply): Promise<void> {
    const client = this.connected();
    const wasm = this.wasm!;
    const thread = (reply.kind === 'signal' && reply.thread) || this.threadIds[0];
    this.stopIntent = undefined;
    try {
      const mailbox = await wasm.read(client);
      const why = stopReason(mailbox);
      if (why === 'ready') {
        await wasm.ready(client, mailbox, this.wasmEntryPending).catch((err: Error) => {
          this.wasmEntryPending = false;
          this.output(`uniwasm: Wasm debugging is off: ${err.message}\n`, 'stderr');
        });
        await this.resume(client, thread, 'run');
        return;
      }
      if (why === 'trap' && !this.stopAtTraps) {
        await this.resume(client, thread, 'run');
        return;
      }
      // The step mode asked for is done: a kernel-level resume from here must not stop again.
      if (mailbox.stepMode !== 0) await wasm.setStep(client, 'run', 0);
      wasm.stop = { mailbox };
    } catch (err) {
      if (client.state !== 'closed') this.output(`uniwasm: reading the Wasm stop failed: ${(err as Error).message}\n`, 'stderr');
      return;
    }
    const { reason, hit, text } = wasm.describeStop(wasm.stop);
    const event = new StoppedEvent(this.wasmEntryPending && reason === 'step' ? 'entry' : reason, thread, text) as DebugProtocol.StoppedEvent;
    this.wasmEntryPending = false;
    event.body.allThreadsStopped = true;
    if (text) event.body.description = `Wasm trap: ${text}`;
    if (hit.length) event.body.hitBreakpointIds = hit;
    this.sendEvent(event);
  }

  protected override async pauseRequest(response: DebugProtocol.PauseResponse): Promise<void> {
    await this.respond(response, async () => {
      const client = this.connected();
      if (client.state !== 'running') return;
      if (this.wasm?.isReady) return this.pauseWasm(client);
      this.stopIntent = 'pause';
      void client.interrupt().catch((err: Error) => this.output(`uniwasm: pause failed: ${err.message}\n`, 'stderr'));
    });
  }

  /**
   * Pause with a Wasm level: a guest running Wasm (in_wasm) gets step mode "pause" and goes on to
   * its next probe, so the pause lands in Wasm terms; a guest in the kernel stays stopped there. A
   * call that ends before another probe (or waits long in a host function) is stopped where it is.
   */
  private async pauseWasm(client: GdbClient): Promise<void> {
    let stop = await this.quietly(() => client.interrupt());
    if (stop.kind !== 'signal') return;
    if ((await this.wasm!.read(client)).inWasm && !(await this.atWasmTrap(stop))) {
      await this.wasm!.setStep(client, 'pause', 0);
      await client.continue();
      // A probe stop is reported by the stop handler, like any Wasm stop.
      const probed = await client.waitForStop(PAUSE_AT_PROBE_MS).then(() => true, () => false);
      if (probed) return;
      stop = await this.quietly(() => client.interrupt());
      if (stop.kind !== 'signal') return;
      await this.wasm!.setStep(client, 'run', 0);
    }
    this.stopIntent = 'pause';
    void this.reportStop(stop);
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): Promise<void> {
    if (this.wasm?.stop) return this.stepWasm(response, args.threadId, 'over');
    return this.stepInstruction(response, args.threadId);
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): Promise<void> {
    if (this.wasm?.stop) return this.stepWasm(response, args.threadId, 'into');
    return this.stepInstruction(response, args.threadId);
  }

  /** A Wasm step: the step mode goes to the mailbox and the guest runs to the probe that satisfies it. */
  private async stepWasm(response: DebugProtocol.Response, thread: number, mode: 'into' | 'over' | 'out'): Promise<void> {
    let landed: StopReply | undefined;
    await this.respond(response, async () => {
      landed = await this.resume(this.connected(), thread, mode);
    });
    if (landed) await this.reportStop(landed);
  }

  /** Kernel level has no source lines: a step is one machine instruction of that vCPU. */
  private async stepInstruction(response: DebugProtocol.Response, thread: number): Promise<void> {
    await this.respond(response, async () => {
      const client = this.connected();
      // Answer first: the stopped event must follow the response.
      this.sendResponse(response);
      let stop: StopReply;
      try {
        stop = await this.quietly(() => this.singleStep(client, thread));
      } catch (err) {
        this.output(`uniwasm: step did not finish: ${(err as Error).message}\n`, 'stderr');
        return;
      }
      this.stopIntent = 'step';
      await this.reportStop(stop);
    }, false);
  }

  /** One instruction on `thread`, past a breakpoint at rip if there is one. */
  private async singleStep(client: GdbClient, thread: number): Promise<StopReply> {
    return (await this.stepOffBreakpoint(client, thread)) ?? client.step(thread, STEP_TIMEOUT_MS);
  }

  /**
   * QEMU reports a breakpoint again at the very instruction it resumes from. As GDB does, lift the
   * breakpoint, step one instruction, and put it back. Returns that step's stop, or undefined when
   * rip holds no breakpoint.
   */
  private async stepOffBreakpoint(client: GdbClient, thread: number): Promise<StopReply | undefined> {
    await client.selectThread('g', thread);
    const rip = await client.readRegister('rip');
    const lifted: BreakpointType[] = [];
    if (this.breakpoints.addresses().has(rip)) lifted.push('software');
    if (this.wasm?.trapAddress === rip) lifted.push('hardware');
    if (!lifted.length) return undefined;
    for (const type of lifted) await client.removeBreakpoint(rip, type);
    try {
      return await client.step(thread, STEP_TIMEOUT_MS);
    } finally {
      if (client.state === 'stopped') for (const type of lifted) await client.setBreakpoint(rip, type);
    }
  }

  /** Runs an operation whose stops the adapter handles itself (no stopped event from the stop handler). */
  private async quietly<T>(job: () => Promise<T>): Promise<T> {
    this.quietStops++;
    try {
      return await job();
    } finally {
      this.quietStops--;
    }
  }

  /**
   * Step out at kernel level: single-steps (quietly) until the stack pointer rises above where it
   * was and rip has left the current function, i.e. the function returned.
   */
  protected override async stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): Promise<void> {
    if (this.wasm?.stop) return this.stepWasm(response, args.threadId, 'out');
    await this.respond(response, async () => {
      const client = this.connected();
      await client.selectThread('g', args.threadId);
      const startSp = await client.readRegister('rsp');
      const fn = this.symbols?.symbolAt(await client.readRegister('rip'));
      this.sendResponse(response);
      let last: StopReply | undefined;
      // A breakpoint met on the way wins, as with GDB's `finish`.
      let intent: StopIntent = 'step';
      await this.quietly(async () => {
        for (let i = 0; i < STEP_OUT_LIMIT; i++) {
          last = await this.singleStep(client, args.threadId);
          if (last.kind !== 'signal') return;
          const rip = await client.readRegister('rip');
          if (this.breakpoints.at(rip).length) return void (intent = undefined);
          const inside = fn && rip >= fn.address && rip < fn.address + fn.size;
          if ((await client.readRegister('rsp')) > startSp && !inside) return;
        }
        this.output(`uniwasm: step out gave up after ${STEP_OUT_LIMIT} instructions\n`);
      }).catch((err: Error) => this.output(`uniwasm: step out failed: ${err.message}\n`, 'stderr'));
      if (last?.kind === 'signal') {
        this.stopIntent = intent;
        await this.reportStop(last);
      }
    }, false);
  }

  // ---- threads, stack, scopes, variables ----

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: this.threadIds.map((id) => new Thread(id, `vCPU ${id - 1}`)) };
    this.sendResponse(response);
  }

  protected override async stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): Promise<void> {
    await this.respond(response, async () => {
      const client = this.connected();
      await client.selectThread('g', args.threadId);
      let rip = await client.readRegister('rip');
      const wasmStop = this.wasm?.stop;
      const wasmFrames = wasmStop ? await this.wasm!.stackFrames(client, wasmStop) : [];
      // At a Wasm stop the kernel frame is the trap function's caller: its return address tops the stack.
      if (wasmStop) rip = (await client.readMemory(await client.readRegister('rsp'), 8)).readBigUInt64LE(0);
      const name = this.symbols?.describe(rip) ?? `0x${rip.toString(16)}`;
      // One frame per vCPU: the kernel is built without frame pointers, so there is nothing reliable to unwind.
      const frame: DebugProtocol.StackFrame = {
        id: args.threadId,
        name,
        line: 0,
        column: 0,
        instructionPointerReference: `0x${rip.toString(16)}`,
        presentationHint: 'normal',
      };
      const all = [...wasmFrames, frame];
      const start = args.startFrame ?? 0;
      response.body = { stackFrames: all.slice(start, args.levels ? start + args.levels : undefined), totalFrames: all.length };
    });
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    if (this.wasm && args.frameId >= WASM_FRAME_BASE) {
      response.body = { scopes: this.wasm.scopes(args.frameId, (scope) => this.variables.create(scope)) };
      return this.sendResponse(response);
    }
    // A kernel frame id is its thread id (one frame per vCPU).
    const thread = args.frameId;
    response.body = {
      scopes: [
        new Scope('Registers', this.variables.create({ kind: 'registers', thread }), false),
        new Scope('Kernel', this.variables.create({ kind: 'kernel', thread }), false),
      ],
    };
    this.sendResponse(response);
  }

  protected override async variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): Promise<void> {
    await this.respond(response, async () => {
      const container = this.variables.get(args.variablesReference);
      if (!container) throw new Error(`unknown variables reference ${args.variablesReference}`);
      const client = this.connected();
      if (!('thread' in container)) {
        if (!this.wasm?.stop) throw new Error('Wasm variables exist only at a Wasm stop');
        response.body = { variables: await this.wasm.variables(client, this.wasm.stop, container) };
        return;
      }
      await client.selectThread('g', container.thread);
      const regs = await client.readRegisters();
      response.body = { variables: this.variablesOf(container, regs) };
    });
  }

  private variablesOf(container: Exclude<VariableContainer, WasmScope>, regs: Map<string, bigint>): DebugProtocol.Variable[] {
    const described = this.connected().target?.registers ?? [];
    const registerVariable = (reg: RegisterInfo): DebugProtocol.Variable => {
      const value = regs.get(reg.name) ?? 0n;
      const text = formatRegister(reg, value);
      return {
        name: reg.name,
        value: reg.name === 'eflags' ? `${text} ${describeEflags(value)}` : text,
        variablesReference: 0,
        // Lets VS Code open the memory view at what a register points to.
        memoryReference: reg.bitsize === 64 || reg.name === 'rip' ? text : undefined,
      };
    };
    switch (container.kind) {
      case 'registers':
        return [
          ...described.filter((r) => TOP_LEVEL_GROUPS.includes(registerGroup(r.name)) && regs.has(r.name)).map(registerVariable),
          ...NESTED_GROUPS.filter(({ group }) => described.some((r) => registerGroup(r.name) === group)).map(({ group, label }) => ({
            name: label,
            value: '',
            variablesReference: this.variables.create({ kind: 'registerGroup', thread: container.thread, group }),
          })),
        ];
      case 'registerGroup':
        return described.filter((r) => registerGroup(r.name) === container.group && regs.has(r.name)).map(registerVariable);
      case 'kernel': {
        const rip = regs.get('rip') ?? 0n;
        const string = (name: string, value: string): DebugProtocol.Variable => ({ name, value, variablesReference: 0 });
        return [
          string('location', this.symbols?.describe(rip) ?? `0x${rip.toString(16)} (no symbol)`),
          string('cpu mode', cpuMode(regs)),
          string('interrupts', (regs.get('eflags') ?? 0n) & (1n << 9n) ? 'enabled' : 'disabled'),
          string('vCPU', String(container.thread - 1)),
          string('kernel ELF', this.kernelPath ?? '(none: attach with "kernel" for symbols)'),
          string('symbols', String(this.symbols?.symbols.length ?? 0)),
        ];
      }
    }
  }

  protected override async setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): Promise<void> {
    await this.respond(response, async () => {
      const container = this.variables.get(args.variablesReference);
      if (!container || (container.kind !== 'registers' && container.kind !== 'registerGroup')) throw new Error('only registers can be changed');
      const client = this.connected();
      const reg = client.target?.registers.find((r) => r.name === args.name);
      if (!reg) throw new Error(`unknown register ${args.name}`);
      const value = parseRegisterValue(args.value, reg);
      await client.selectThread('g', container.thread);
      await client.writeRegister(reg.name, value);
      response.body = { value: formatRegister(reg, await client.readRegister(reg.name)) };
    });
  }

  /** Debug console and hovers: a register name (`rip`, `$rsp`) or a kernel symbol (its address, for the memory view). */
  protected override async evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): Promise<void> {
    await this.respond(response, async () => {
      const client = this.connected();
      const expression = args.expression.trim().replace(/^\$/, '');
      const reg = client.target?.registers.find((r) => r.name === expression);
      if (reg) {
        if (args.frameId !== undefined) await client.selectThread('g', args.frameId);
        const text = formatRegister(reg, await client.readRegister(reg.name));
        response.body = { result: text, variablesReference: 0, memoryReference: text };
        return;
      }
      const symbol = this.symbols?.lookup(expression)[0];
      if (!symbol) throw new Error(`"${expression}" is neither a register nor a kernel symbol`);
      const address = `0x${symbol.address.toString(16)}`;
      response.body = { result: `${address} <${symbol.name}> (${symbol.kind}, ${symbol.size} bytes)`, variablesReference: 0, memoryReference: address };
    });
  }

  // ---- memory ----

  protected override async readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): Promise<void> {
    await this.respond(response, async () => {
      // `wasm:OFFSET` (the Memory scope) reads linear memory: addresses as the app sees them, bounded by its size.
      const linear = this.wasm?.linearMemory(args.memoryReference, args.offset ?? 0, args.count);
      if (linear) {
        const { data, unreadable } = linear.inside ? await this.readReadable(linear.address, linear.inside) : { data: Buffer.alloc(0), unreadable: 0 };
        const rest = unreadable + args.count - linear.inside;
        response.body = { address: `0x${linear.wasmOffset.toString(16)}`, data: data.toString('base64'), unreadableBytes: rest };
        return;
      }
      const address = parseAddress(args.memoryReference) + BigInt(args.offset ?? 0);
      const { data, unreadable } = await this.readReadable(address, args.count);
      response.body = { address: `0x${address.toString(16)}`, data: data.toString('base64'), unreadableBytes: unreadable };
    });
  }

  /** Reads what it can from the start: an unmapped page ends the data, the rest counts as unreadable. */
  private async readReadable(address: bigint, count: number): Promise<{ data: Buffer; unreadable: number }> {
    const client = this.connected();
    try {
      return { data: await client.readMemory(address, count), unreadable: 0 };
    } catch {
      const parts: Buffer[] = [];
      let at = address;
      const end = address + BigInt(count);
      while (at < end) {
        const pageEnd = (at | 0xfffn) + 1n;
        const length = Number((pageEnd < end ? pageEnd : end) - at);
        try {
          parts.push(await client.readMemory(at, length));
        } catch {
          break;
        }
        at += BigInt(length);
      }
      return { data: Buffer.concat(parts), unreadable: Number(end - at) };
    }
  }

  protected override async writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): Promise<void> {
    await this.respond(response, async () => {
      const data = Buffer.from(args.data, 'base64');
      const linear = this.wasm?.linearMemory(args.memoryReference, args.offset ?? 0, data.length);
      if (linear && linear.inside < data.length) throw new Error(`the write runs past the end of linear memory`);
      const address = linear?.address ?? parseAddress(args.memoryReference) + BigInt(args.offset ?? 0);
      await this.connected().writeMemory(address, data);
      response.body = { bytesWritten: data.length };
    });
  }

  // ---- breakpoints ----

  protected override async setFunctionBreakPointsRequest(
    response: DebugProtocol.SetFunctionBreakpointsResponse,
    args: DebugProtocol.SetFunctionBreakpointsArguments,
  ): Promise<void> {
    await this.respond(response, async () => {
      const answers: DebugProtocol.Breakpoint[] = [];
      const list: MachineBreakpoint[] = [];
      const requests = args.breakpoints.map(({ name }) => ({ id: this.breakpoints.newId(), name }));
      // A Wasm function of that name wins; kernel symbols serve the names no Wasm function has.
      const wasmAnswers = this.wasm?.setFunctionBreakpoints(requests) ?? [];
      for (const [i, { id, name }] of requests.entries()) {
        if (wasmAnswers[i]) {
          answers.push(wasmAnswers[i]);
          continue;
        }
        const found = this.symbols?.lookup(name.trim()).filter((s) => s.kind === 'function') ?? [];
        if (found.length === 0) {
          const why = this.symbols ? `no kernel function "${name}"` : 'no kernel symbols (attach with "kernel")';
          answers.push({ id, verified: false, message: why });
          continue;
        }
        for (const symbol of found) list.push({ id, kind: 'function', address: symbol.address });
        const where = found.map((s) => `${s.name} @ 0x${s.address.toString(16)}`).join(', ');
        answers.push({ id, verified: true, message: where, instructionReference: `0x${found[0].address.toString(16)}` });
      }
      await this.replaceBreakpoints('function', list);
      await this.writeWasmBreakpoints();
      response.body = { breakpoints: answers };
    });
  }

  /** The bitmap in the kernel follows the Wasm breakpoints (once the mailbox is ready; the ready stop writes it first). */
  private async writeWasmBreakpoints(): Promise<void> {
    const wasm = this.wasm;
    if (wasm?.isReady) await this.withTargetStopped((client) => wasm.writeBitmap(client));
  }

  protected override async setInstructionBreakpointsRequest(
    response: DebugProtocol.SetInstructionBreakpointsResponse,
    args: DebugProtocol.SetInstructionBreakpointsArguments,
  ): Promise<void> {
    await this.respond(response, async () => {
      const answers: DebugProtocol.Breakpoint[] = [];
      const list: MachineBreakpoint[] = [];
      for (const bp of args.breakpoints) {
        const id = this.breakpoints.newId();
        let address: bigint;
        try {
          address = parseAddress(bp.instructionReference) + BigInt(bp.offset ?? 0);
        } catch (err) {
          answers.push({ id, verified: false, message: (err as Error).message });
          continue;
        }
        list.push({ id, kind: 'instruction', address });
        answers.push({ id, verified: true, instructionReference: `0x${address.toString(16)}`, message: this.symbols?.describe(address) });
      }
      await this.replaceBreakpoints('instruction', list);
      response.body = { breakpoints: answers };
    });
  }

  /** Source breakpoints belong to the Wasm level (DWARF lines of the app); the kernel has no line table here. */
  protected override async setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): Promise<void> {
    await this.respond(response, async () => {
      const lines = (args.breakpoints ?? []).map(({ line }) => ({ id: this.breakpoints.newId(), line }));
      const path = args.source.path ?? args.source.name ?? '';
      if (!this.wasm) {
        const message = 'line breakpoints need Wasm-level debugging (launch with "debugWasm": true)';
        response.body = { breakpoints: lines.map(({ id }) => ({ id, verified: false, message })) };
        return;
      }
      response.body = { breakpoints: this.wasm.setLineBreakpoints(path, lines) };
      await this.writeWasmBreakpoints();
    });
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.stopAtTraps = args.filters.includes(WASM_TRAPS);
    this.sendResponse(response);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const info = this.wasm?.exceptionInfo();
    if (!info) return this.sendErrorResponse(response, 2001, 'not stopped at a Wasm trap');
    response.body = info;
    this.sendResponse(response);
  }

  private async replaceBreakpoints(kind: BreakpointKind, list: MachineBreakpoint[]): Promise<void> {
    const changes = this.breakpoints.replace(kind, list);
    if (!changes.insert.length && !changes.remove.length) return;
    await this.withTargetStopped((client) => this.setBreakpointsInStub(client, changes));
  }

  private async setBreakpointsInStub(client: GdbClient, changes: { insert: bigint[]; remove: bigint[] }): Promise<void> {
    for (const address of changes.remove) await client.removeBreakpoint(address, 'software');
    for (const address of changes.insert) await client.setBreakpoint(address, 'software');
  }

  /**
   * Runs `job` with the target stopped: the stub takes Z/z only then. A running guest is interrupted
   * quietly and resumed afterwards, unless it had stopped on its own meanwhile (a breakpoint), which
   * is then reported instead.
   */
  private async withTargetStopped(job: (client: GdbClient) => Promise<void>): Promise<void> {
    const client = this.connected();
    if (client.state !== 'running') return job(client);
    const stop = await this.quietly(() => client.interrupt());
    await job(client);
    if (stop.kind === 'signal' && stop.signal === 2) await client.continue();
    else await this.reportStop(stop);
  }

  // ---- plumbing ----

  /** Runs a request handler and answers it, or answers with the error it threw. */
  private async respond(response: DebugProtocol.Response, job: () => Promise<void>, send = true): Promise<void> {
    try {
      await job();
      if (send) this.sendResponse(response);
    } catch (err) {
      this.sendErrorResponse(response, 2000, (err as Error).message);
    }
  }

  private output(text: string, category: 'console' | 'stdout' | 'stderr' = 'console'): void {
    this.sendEvent(new OutputEvent(text, category));
  }
}

/** A memory or instruction reference: `0x…` hex or decimal. */
export function parseAddress(reference: string): bigint {
  const text = reference.trim();
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text)) throw new Error(`"${reference}" is not an address (0x-hex or decimal)`);
  return BigInt(text);
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
