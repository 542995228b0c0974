// Run control at both levels: start, continue, pause and steps, and the gdbstub's stops turned into Stop events.
import type { GdbClient } from './gdb/client';
import type { StopReply } from './gdb/stopReply';
import type { BreakpointTable, MachineBreakpoint } from './kernel/breakpoints';
import type { ElfSymbols } from './kernel/elf';
import { runToEntry, singleStep, stepOffBreakpoint, stepOut, STEP_OUT_LIMIT, type StepContext } from './kernel/stepping';
import type { OutputCategory, Stop, StopReason } from './model';
import { stopReason } from './wasm/mailbox';
import type { WasmLevel } from './wasm/level';

/** The guest the debugger is connected to. */
export interface Target {
  client: GdbClient;
  /** vCPUs, as the stub numbers them (from 1). */
  threadIds: number[];
  symbols: ElfSymbols | undefined;
  kernelPath: string | undefined;
  /** The Wasm level, when launched with Wasm debugging. */
  wasm: WasmLevel | undefined;
}

/** Where run control reports to (the debugger's events) and what it asks of the user's settings. */
export interface RunControlHost {
  stopped(stop: Stop): void;
  output(text: string, category?: OutputCategory): void;
  /** Stop at Wasm traps (else they resume at once and the app's request gets its error). */
  stopAtTraps(): boolean;
}

/** Why the next stop happens, when run control asked for it. */
type StopIntent = 'step' | 'pause' | undefined;

/** How long a pause waits for the running Wasm to reach its next probe before stopping in the kernel. */
const PAUSE_AT_PROBE_MS = 1000;

/**
 * Runs and stops the target. Kernel level: a step is one machine instruction, step out single-steps
 * until the function returned, a stop at a machine breakpoint names it. Wasm level: a step is a
 * step mode written to the kernel's mailbox, and a stop in the trap function is a Wasm stop
 * (wasm/level.ts). Stops it makes for itself (quietly) are not reported.
 */
export class RunControl {
  private stopIntent: StopIntent;
  /** >0 while stopping the target for itself (stepping out, changing breakpoints): no stop reported. */
  private quietStops = 0;
  /** The next Wasm stop is the one stopOnEntry asked for. */
  private wasmEntryPending = false;

  constructor(
    private readonly target: Target,
    private readonly breakpoints: BreakpointTable,
    private readonly host: RunControlHost,
  ) {
    target.client.on('stop', (reply) => {
      if (this.quietStops === 0) void this.reportStop(reply);
    });
  }

  /** Once the client set its breakpoints: stops on entry or lets the guest run. */
  async start(stopOnEntry: boolean | undefined): Promise<void> {
    const { client, threadIds, symbols, wasm } = this.target;
    // At the Wasm level the entry is the first probe: the ready stop asks for it (reportWasmStop).
    if (wasm) this.wasmEntryPending = stopOnEntry === true;
    if (!stopOnEntry || wasm) return client.continue();
    const entry = symbols?.entry;
    if (entry) await this.quietly(() => runToEntry(this.stepContext(), threadIds[0], entry));
    this.host.stopped({ reason: 'entry', thread: threadIds[0], hitBreakpointIds: [] });
  }

  /** Stops a running target without reporting it (before a detach or a quit). */
  async stopQuietly(): Promise<void> {
    const client = this.target.client;
    if (client.state === 'running') await this.quietly(() => client.interrupt());
  }

  async continue(thread: number): Promise<void> {
    // The instruction stepped over led straight onto another breakpoint: that is the next stop.
    const landed = await this.resume(thread, 'run');
    if (landed) await this.reportStop(landed);
  }

  async pause(): Promise<void> {
    const client = this.target.client;
    if (client.state !== 'running') return;
    if (this.target.wasm?.isReady) return this.pauseWasm(client, this.target.wasm);
    this.stopIntent = 'pause';
    void client.interrupt().catch((err: Error) => this.host.output(`uniwasm: pause failed: ${err.message}\n`, 'stderr'));
  }

  /**
   * Over: the next statement; into: the next probe, a call's entry included (at a Wasm stop). With
   * `instruction` granularity both are "into" at a Wasm stop: the next probe of any depth is the
   * finest stop the instrumentation has (it probes statements, not each instruction). At kernel
   * level both are one machine instruction: it resolves before that step ends.
   */
  async step(thread: number, mode: 'over' | 'into', granularity?: 'statement' | 'line' | 'instruction'): Promise<void> {
    if (this.target.wasm?.stop) return this.stepWasm(thread, granularity === 'instruction' ? 'into' : mode);
    void this.quietly(() => singleStep(this.stepContext(), thread)).then(
      async (stop) => {
        this.stopIntent = 'step';
        await this.reportStop(stop);
      },
      (err: Error) => this.host.output(`uniwasm: step did not finish: ${err.message}\n`, 'stderr'),
    );
  }

  /**
   * Step out: at a Wasm stop, to the caller's next probe; at kernel level, single steps (quietly)
   * until the function returned. Resolves once the step is under way.
   */
  async stepOut(thread: number): Promise<void> {
    if (this.target.wasm?.stop) return this.stepWasm(thread, 'out');
    const { client, symbols } = this.target;
    await client.selectThread('g', thread);
    const startSp = await client.readRegister('rsp');
    const fn = symbols?.symbolAt(await client.readRegister('rip'));
    void this.quietly(() => stepOut(this.stepContext(), thread, startSp, fn)).then(async (result) => {
      if (result.gaveUp) this.host.output(`uniwasm: step out gave up after ${STEP_OUT_LIMIT} instructions\n`);
      if (result.error) this.host.output(`uniwasm: step out failed: ${result.error.message}\n`, 'stderr');
      if (result.last?.kind !== 'signal') return;
      this.stopIntent = result.atBreakpoint ? undefined : 'step';
      await this.reportStop(result.last);
    });
  }

  /**
   * Runs `job` with the target stopped: the stub takes Z/z only then. A running guest is interrupted
   * quietly and resumed afterwards, unless it had stopped on its own meanwhile (a breakpoint), which
   * is then reported instead.
   */
  async withTargetStopped(job: (client: GdbClient) => Promise<void>): Promise<void> {
    const client = this.target.client;
    if (client.state !== 'running') return job(client);
    const stop = await this.quietly(() => client.interrupt());
    await job(client);
    if (stop.kind === 'signal' && stop.signal === 2) await client.continue();
    else await this.reportStop(stop);
  }

  /** A Wasm step: the step mode goes to the mailbox and the guest runs to the probe that satisfies it. */
  private async stepWasm(thread: number, mode: 'into' | 'over' | 'out'): Promise<void> {
    const landed = await this.resume(thread, mode);
    if (landed) await this.reportStop(landed);
  }

  /**
   * Resumes the guest: from a Wasm stop with `mode` written to the mailbox first (the kernel stops
   * again where that step mode says), stepping off a breakpoint at rip. Returns the stop of that
   * step when it landed on another breakpoint (not resumed then).
   */
  private async resume(thread: number, mode: 'run' | 'into' | 'over' | 'out'): Promise<StopReply | undefined> {
    const { client, wasm } = this.target;
    const stop = wasm?.stop;
    if (stop) {
      wasm.stop = undefined;
      await wasm.setStep(client, mode, stop.mailbox.depth);
    }
    const stepped = await this.quietly(() => stepOffBreakpoint(this.stepContext(), thread));
    if (stepped && stepped.kind !== 'signal') return undefined;
    if (stepped && this.breakpoints.at(await client.readRegister('rip')).length) return stepped;
    await client.continue();
    return undefined;
  }

  /**
   * Pause with a Wasm level: a guest running Wasm (in_wasm) gets step mode "pause" and goes on to
   * its next probe, so the pause lands in Wasm terms; a guest in the kernel stays stopped there. A
   * call that ends before another probe (or waits long in a host function) is stopped where it is.
   */
  private async pauseWasm(client: GdbClient, wasm: WasmLevel): Promise<void> {
    let stop = await this.quietly(() => client.interrupt());
    if (stop.kind !== 'signal') return;
    if ((await wasm.read(client)).inWasm && !(await this.atWasmTrap(stop))) {
      await wasm.setStep(client, 'pause', 0);
      await client.continue();
      // A probe stop is reported by the stop handler, like any Wasm stop.
      const probed = await client.waitForStop(PAUSE_AT_PROBE_MS).then(() => true, () => false);
      if (probed) return;
      stop = await this.quietly(() => client.interrupt());
      if (stop.kind !== 'signal') return;
      await wasm.setStep(client, 'run', 0);
    }
    this.stopIntent = 'pause';
    void this.reportStop(stop);
  }

  /** Reports a stop the user should see, with the right reason and breakpoint ids. */
  private async reportStop(reply: StopReply): Promise<void> {
    if (reply.kind !== 'signal') return;
    const wasm = this.target.wasm;
    if (wasm && reply.reason === 'watch' && wasm.watchpoints.moved(reply.watchAddress)) return this.followMemory(reply, wasm);
    const watched = reply.reason?.endsWith('watch') ? wasm?.watchpoints.hit(reply.watchAddress) : undefined;
    if (wasm && watched?.length) return this.reportDataStop(reply, wasm, watched);
    if (wasm && reply.signal === 5 && (await this.atWasmTrap(reply).catch(() => false))) return this.reportWasmStop(reply, wasm);
    const intent = this.stopIntent;
    this.stopIntent = undefined;
    const thread = reply.thread ?? this.target.threadIds[0];
    let reason: StopReason = intent ?? (reply.signal === 2 ? 'pause' : 'breakpoint');
    let hit: MachineBreakpoint[] = [];
    if (intent === undefined && reply.signal === 5) {
      try {
        await this.target.client.selectThread('g', thread);
        hit = this.breakpoints.at(await this.target.client.readRegister('rip'));
      } catch {
        // The target went away between the stop and this read; the close handler reports it.
      }
      if (hit.length) reason = hit[0].kind === 'function' ? 'function breakpoint' : 'instruction breakpoint';
    }
    this.host.stopped({ reason, thread, hitBreakpointIds: hit.map((b) => b.id) });
  }

  /** A SIGTRAP at the trap function is a Wasm stop (the kernel called it from the probe or a trap). */
  private async atWasmTrap(reply: StopReply): Promise<boolean> {
    const { client, threadIds, wasm } = this.target;
    await client.selectThread('g', (reply.kind === 'signal' && reply.thread) || threadIds[0]);
    return (await client.readRegister('rip')) === wasm!.trapAddress;
  }

  /**
   * A stop in `uniwasm_debug_trap`: the ready stop is run control's own (breakpoints in, resume);
   * a trap with stopAtTraps off resumes at once; the rest is reported in Wasm terms.
   */
  private async reportWasmStop(reply: StopReply, wasm: WasmLevel): Promise<void> {
    const client = this.target.client;
    const thread = (reply.kind === 'signal' && reply.thread) || this.target.threadIds[0];
    this.stopIntent = undefined;
    try {
      const mailbox = await wasm.read(client);
      const why = stopReason(mailbox);
      if (why === 'ready') {
        await wasm.ready(client, mailbox, this.wasmEntryPending).catch((err: Error) => {
          this.wasmEntryPending = false;
          this.host.output(`uniwasm: Wasm debugging is off: ${err.message}\n`, 'stderr');
        });
        await this.resume(thread, 'run');
        return;
      }
      if (why === 'trap' && !this.host.stopAtTraps()) {
        await this.resume(thread, 'run');
        return;
      }
      // The step mode asked for is done: a kernel-level resume from here must not stop again.
      if (mailbox.stepMode !== 0) await wasm.setStep(client, 'run', 0);
      // Linear memory may have moved (memory.grow): the data breakpoints follow it.
      if (wasm.watchpoints.size) await wasm.watchpoints.follow(client, { base: mailbox.memoryBase, size: mailbox.memorySize });
      wasm.stop = { mailbox };
    } catch (err) {
      if (client.state !== 'closed') this.host.output(`uniwasm: reading the Wasm stop failed: ${(err as Error).message}\n`, 'stderr');
      return;
    }
    const { reason, hit, text } = wasm.describeStop(wasm.stop);
    const stop: Stop = { reason: this.wasmEntryPending && reason === 'step' ? 'entry' : reason, thread, hitBreakpointIds: hit, trap: text };
    this.wasmEntryPending = false;
    this.host.stopped(stop);
  }

  /**
   * A watchpoint on linear memory fired, in the interpreter's load or store (or a host function's
   * access): the Wasm frames are the shadow stack as it is, the top one at the last statement it
   * reached, the one that made the access.
   */
  private async reportDataStop(reply: StopReply & { kind: 'signal' }, wasm: WasmLevel, hit: number[]): Promise<void> {
    const client = this.target.client;
    this.stopIntent = undefined;
    try {
      wasm.stop = { mailbox: await wasm.read(client), watch: true };
    } catch (err) {
      if (client.state !== 'closed') this.host.output(`uniwasm: reading the Wasm stop failed: ${(err as Error).message}\n`, 'stderr');
      return;
    }
    this.host.stopped({ reason: 'data breakpoint', thread: reply.thread ?? this.target.threadIds[0], hitBreakpointIds: hit });
  }

  /**
   * The kernel wrote where linear memory lies while the guest ran (a memory.grow moved it):
   * the data breakpoints follow it, and the guest runs on without the user seeing a stop.
   */
  private async followMemory(reply: StopReply & { kind: 'signal' }, wasm: WasmLevel): Promise<void> {
    const client = this.target.client;
    try {
      const { memoryBase, memorySize } = await wasm.read(client);
      await wasm.watchpoints.follow(client, { base: memoryBase, size: memorySize });
      const landed = await this.resume(reply.thread ?? this.target.threadIds[0], 'run');
      if (landed) await this.reportStop(landed);
    } catch (err) {
      if (client.state !== 'closed') this.host.output(`uniwasm: following linear memory failed: ${(err as Error).message}\n`, 'stderr');
    }
  }

  private stepContext(): StepContext {
    return { client: this.target.client, breakpoints: this.breakpoints, trapAddress: this.target.wasm?.trapAddress };
  }

  /** Runs an operation whose stops run control handles itself (not reported by the stop handler). */
  private async quietly<T>(job: () => Promise<T>): Promise<T> {
    this.quietStops++;
    try {
      return await job();
    } finally {
      this.quietStops--;
    }
  }
}
