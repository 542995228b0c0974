// A run: builds, Redis, QEMU booting the kernel with the app, the host port's forward, the trace port, readiness, and the stop
// that ends every process it started.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { execa, type ResultPromise } from 'execa';
import { buildAll } from '../builder/all';
import type { Diagnostic } from '../builder/diagnostics';
import { GUEST_IP, guestExitValue, HOST_FROM_GUEST, qemuArgs } from '../qemu/args';
import { startEmbeddedRedis, type EmbeddedRedis } from '../redis/embedded';
import { redisKernelArgs, redisTarget, type RedisTarget } from '../redis/target';
import { PROBE_HEADER } from '../trace/format';
import { TracePort } from '../trace/port';
import { forEachLine } from '../util/lines';
import { commandNotFound, diesWithUs } from '../util/parentDeath';
import { assertPortFree, freePorts } from '../util/ports';
import { chooseAccel } from './accel';
import { HostForward, QEMU_LISTENERS } from './forward';
import { notifyAll, type RunObserver } from './observer';
import { consoleLine } from './stopLine';
import { RUN_LIMITS, type AccelChoice, type Machine } from './options';
import { routeFromConsole, type AppRoute } from './routes';

/** The URL a run on host port `port` serves (the forward listens on loopback only). */
export function runUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

export interface RunOptions {
  /** An app folder (with uniwasm.json) or a .wasm file. */
  app: string;
  /** Host port forwarded to the guest's HTTP port. */
  port: number;
  /** redis://… of an existing server; undefined starts an embedded one. */
  redisUrl?: string;
  accel: AccelChoice;
  memoryMiB: number;
  machine: Machine;
  qemuBinary: string;
  /** QEMU's gdbstub on 127.0.0.1:gdbPort (the guest runs; attach any time). */
  gdbPort?: number;
  /**
   * Start QEMU halted before the first instruction (needs gdbPort): start() then returns at once,
   * and the debugger resumes the guest and calls waitForHttp() itself.
   */
  halted?: boolean;
  extraKernelArgs: string[];
  /** Give up when the guest has not answered HTTP after this long. */
  readyTimeoutMs: number;
  onConsole?: (line: string) => void;
  /**
   * Who follows the run (views, a trace file). When one takes trace lines, the session listens on a
   * private Unix socket that QEMU connects COM2 to; every line the guest wrote is delivered before
   * `runEnded` and before `ended` settles. A throw from an observer is logged, never raised.
   */
  observers?: readonly RunObserver[];
  onLog?: (message: string) => void;
  /** Build output and diagnostics, as `uniwasm build` gives them. */
  onBuildOutput?: (text: string) => void;
  onDiagnostic?: (d: Diagnostic) => void;
  onPhase?: (phase: 'building' | 'booting') => void;
  signal?: AbortSignal;
}

/** The guest's HTTP port inside the VM unless a `port=` kernel argument names another. */
const DEFAULT_GUEST_PORT = 3000;

/**
 * The guest's HTTP port, which the host forward targets: a `port=N` kernel argument, else 3000. The
 * kernel listens there, and an app's `server.serve` must name it (docs/ABI.md), so an app serving
 * 0.0.0.0:8080 runs with `--kernel-arg port=8080`.
 */
export function guestPort(kernelArgs: readonly string[]): number {
  const given = kernelArgs.find((a) => a.startsWith('port='));
  if (given === undefined) return DEFAULT_GUEST_PORT;
  const port = /^\d{1,5}$/.test(given.slice('port='.length)) ? Number(given.slice('port='.length)) : NaN;
  if (!(port >= RUN_LIMITS.port.min && port <= RUN_LIMITS.port.max)) throw new Error(`kernel argument ${given}: the port must be 1-65535`);
  return port;
}

/** A booted guest and the processes that serve it; stop() ends them all. */
export class RunSession {
  private stopping = false;
  /**
   * Settles when QEMU has ended, its trace lines have been delivered, the observers told and the
   * embedded Redis stopped, with a description of why QEMU ended.
   */
  readonly ended: Promise<string>;

  private constructor(
    readonly url: string,
    /** The kernel ELF and the app module this session booted. */
    readonly image: { kernel: string; app: string },
    /** The Redis the guest uses, as the host reaches it. */
    readonly redisServer: RedisTarget,
    /** The app's routes, as the kernel logs them at boot (filled while it boots). */
    readonly routes: readonly AppRoute[],
    private readonly qemu: ResultPromise,
    private readonly redis: EmbeddedRedis | undefined,
    private readonly forward: HostForward,
    private readonly console: string[],
    qemuBinary: string,
    trace: TracePort | undefined,
    observers: readonly RunObserver[],
    log: (message: string) => void,
  ) {
    this.ended = qemu.then(async (r) => {
      if (trace) {
        await trace.drained();
        await trace.close().catch(() => {}); // a folder left in the temp dir is no reason to fail
      }
      const why = commandNotFound(r as { code?: string; exitCode?: number }, this.console.join('\n'))
        ? `${qemuBinary} not found: install qemu-system-x86 (npm run setup does it)`
        : describeExit(r.exitCode, r.signal, this.console);
      notifyAll(observers, (o) => o.runEnded?.(why), (err) => log(`run observer: ${err.message}`));
      await this.forward.close();
      await this.redis?.stop();
      return why;
    });
  }

  /** True once stop() was called: QEMU's end was asked for, not a failure. */
  get stopRequested(): boolean {
    return this.stopping;
  }

  get qemuPid(): number | undefined {
    return this.qemu.pid;
  }

  get redisPid(): number | undefined {
    return this.redis?.pid;
  }

  static async start(o: RunOptions): Promise<RunSession> {
    const log = o.onLog ?? (() => {});
    await assertPortFree(o.port, 'host port');
    const guest = guestPort(o.extraKernelArgs);
    o.onPhase?.('building');
    const build = { signal: o.signal, onOutput: o.onBuildOutput, onDiagnostic: o.onDiagnostic };
    const { kernel, app } = await buildAll(o.app, build);
    o.onPhase?.('booting');
    const accel = await chooseAccel(o.accel, { qemuBinary: o.qemuBinary, kernel, log });
    let redis: EmbeddedRedis | undefined;
    let redisServer: RedisTarget;
    if (o.redisUrl) {
      redisServer = await redisTarget(o.redisUrl);
    } else {
      redis = await startEmbeddedRedis();
      log(`embedded redis-server on 127.0.0.1:${redis.port}`);
      redisServer = await redisTarget(`redis://127.0.0.1:${redis.port}`);
    }
    const redisArgs = redisKernelArgs(redisServer);
    // The guest has no clock of the date and may have no RDRAND: the host gives it the time and a seed.
    const hostArgs = [`epoch=${Math.floor(Date.now() / 1000)}`, `seed=${randomBytes(32).toString('hex')}`];
    const otherArgs = o.extraKernelArgs.filter((a) => !a.startsWith('port='));
    const cmdline = [`ip=${GUEST_IP}/24`, `gw=${HOST_FROM_GUEST}`, `port=${guest}`, ...redisArgs, ...hostArgs, ...otherArgs].join(' ');
    const observers = o.observers ?? [];
    const observerFailed = (err: Error) => log(`run observer: ${err.message}`);
    // Listening before QEMU starts: QEMU connects at startup, so the guest's first line has a reader.
    let trace: TracePort | undefined;
    let forward: HostForward | undefined;
    try {
      forward = await HostForward.open(o.port, await freePorts(QEMU_LISTENERS));
      if (observers.some((obs) => obs.traceLine)) {
        const onLine = (line: string) => notifyAll(observers, (obs) => obs.traceLine?.(line), observerFailed);
        trace = await TracePort.open(onLine, (err) => log(`trace port: ${err.message}`));
      }
    } catch (err) {
      await forward?.close();
      await redis?.stop();
      throw err;
    }
    const args = qemuArgs({
      qemuBinary: o.qemuBinary, kernel, app, machine: o.machine, accel, memoryMiB: o.memoryMiB,
      hostPorts: forward.qemuPorts, name: `uniwasm:${o.port}`, guestPort: guest, cmdline, gdbPort: o.gdbPort, halted: o.halted, traceSocket: trace?.path,
    });
    log(`${o.qemuBinary} ${args.join(' ').replace(/\bseed=[0-9a-f]{64}\b/, 'seed=<64 hex digits>')}`); // the seed stays out of logs
    const qemu = execa(...diesWithUs(o.qemuBinary, args), { reject: false, cleanup: true, stdin: 'ignore', stderr: 'pipe', buffer: false });
    const console: string[] = [];
    const routes: AppRoute[] = [];
    const onLine = (said: string) => {
      const line = consoleLine(said);
      console.push(line);
      if (console.length > 200) console.shift();
      o.onConsole?.(line);
      const route = routeFromConsole(line);
      if (route) routes.push(route);
    };
    forEachLine(qemu.stdout!, onLine);
    forEachLine(qemu.stderr!, onLine);
    const url = runUrl(o.port);
    const session = new RunSession(url, { kernel, app }, redisServer, routes, qemu, redis, forward, console, o.qemuBinary, trace, observers, log);
    notifyAll(observers, (obs) => obs.runStarted?.({ url, redis: redisServer, routes }), observerFailed);
    if (o.halted) return session;
    try {
      await session.waitForHttp(o.readyTimeoutMs, o.signal);
      // Cancelled just as the guest answered: the caller gets no session to stop, so stop it here.
      if (o.signal?.aborted) throw new Error('cancelled while booting');
    } catch (err) {
      await session.stop();
      throw err;
    }
    return session;
  }

  /** Polls the forwarded port until the guest answers any HTTP response. */
  async waitForHttp(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited: string | undefined;
    void this.ended.then((why) => (exited = why));
    while (!(await httpAnswers(this.url))) {
      if (exited !== undefined) throw new Error(`the guest failed to boot: ${exited}`);
      if (signal?.aborted) throw new Error('cancelled while booting');
      if (Date.now() > deadline) {
        throw new Error(`the guest did not answer HTTP within ${timeoutMs} ms; its console ended with:\n${this.console.slice(-10).join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Stops QEMU and the embedded Redis; waits until both are gone and the trace lines are delivered. */
  async stop(): Promise<void> {
    if (this.stopping) return void (await this.ended);
    this.stopping = true;
    if (this.qemu.exitCode === null) {
      this.qemu.kill('SIGTERM');
      const killer = setTimeout(() => this.qemu.kill('SIGKILL'), 3000);
      await this.qemu;
      clearTimeout(killer);
    }
    await this.ended;
  }
}

/**
 * True when something at `url` answered with an HTTP status line. The request carries PROBE_HEADER:
 * the guest traces it like any other, and the traffic views leave it out.
 */
export function httpAnswers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: 1000, headers: { connection: 'close', [PROBE_HEADER]: '1' } }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Why QEMU ended, in the guest's own words when it said something. */
function describeExit(code: number | undefined, signal: string | undefined, console: string[]): string {
  const errors = console.filter((l) => /\b(ERROR|panic)/.test(l));
  const said = errors.length ? errors.join('\n') : console.slice(-5).join('\n');
  const value = guestExitValue(code);
  const how = signal ? `QEMU killed by ${signal}` : value !== undefined ? `guest exit status ${value}` : `QEMU exit status ${code}`;
  return said ? `${how}\n${said}` : how;
}
