// What the benchmarks share: statistics, HTTP probes, and starting each target the unikernel is
// compared with — the unikernel itself, the Linux guest (bench/linux/) and uniwasm-host on the host —
// the same way every time. Run the benchmarks from the repository's root.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { qemuArgs } from '../src/qemu/args';
import { forEachLine } from '../src/util/lines';
import { freePort } from '../src/util/ports';

export const QEMU = 'qemu-system-x86_64';

export const median = (xs: number[]): number => percentile(xs, 50);

/** The nearest-rank percentile `p` (0–100) of `xs`. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) throw new Error('percentile of nothing');
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const round1 = (x: number): number => +x.toFixed(1);

/** The status of GET `url` (connection: close), or undefined when nothing answered within `timeoutMs`. */
export function httpStatus(url: string, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Sends `method url` with `body`; rejects unless the answer is 200. */
export async function expect200(method: string, url: string, body = ''): Promise<void> {
  const status = await new Promise<number | undefined>((resolve, reject) => {
    const req = request(url, { method, headers: { connection: 'close', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.end(body);
  });
  if (status !== 200) throw new Error(`${method} ${url} answered ${status}`);
}

/** The Linux guest as bench/linux/build.sh made it (it builds what is stale). */
export interface LinuxGuest {
  /** The uncompressed vmlinux, booted by its PVH note like the unikernel. */
  kernel: string;
  /** The packaged, compressed kernel it comes from (the usual way to boot it, and ~3 s slower under TCG). */
  bzImage: string;
  initrd: string;
  /** Without the Redis address; see build.sh. */
  cmdline: string;
}

let demoAppBuilt: string | undefined;
/** The demo app (GET /hello, GET /foo, PUT /bar), built once per process. */
export function demoApp(): string {
  if (!demoAppBuilt) {
    execFileSync('bash', ['examples/http-server-demo/build.sh'], { stdio: ['ignore', 'ignore', 'inherit'] });
    demoAppBuilt = 'examples/http-server-demo/build/http-server-demo.wasm';
  }
  return demoAppBuilt;
}

let linuxGuestBuilt: LinuxGuest | undefined;
export function linuxGuest(): LinuxGuest {
  linuxGuestBuilt ??= JSON.parse(execFileSync('bash', ['bench/linux/build.sh'], { encoding: 'utf8' })) as LinuxGuest;
  return linuxGuestBuilt;
}

/** What serves the app: the unikernel (its kernel image), the Linux guest, or uniwasm-host on the host. */
export type Target = { kind: 'unikernel'; kernel: string } | { kind: 'linux'; bzImage?: boolean } | { kind: 'host' };

/** A target named on the command line: `unikernel=KERNEL`, `linux` or `host`. */
export function parseTarget(spec: string): Target {
  if (spec.startsWith('unikernel=') && spec.length > 'unikernel='.length) return { kind: 'unikernel', kernel: spec.slice('unikernel='.length) };
  if (spec === 'linux' || spec === 'host') return { kind: spec };
  throw new Error(`unknown target ${spec}: expected unikernel=KERNEL, linux or host`);
}

export interface StartOptions {
  app?: string;
  /** Guest RAM; ignored for the host. */
  memoryMiB?: number;
  /** A redis-server on 127.0.0.1; none: the unikernel has no store, the others keep it in memory. */
  redisPort?: number;
  /** Give up on the first 200 after this long. */
  timeoutMs?: number;
}

/** A started target, serving `url` (http://127.0.0.1:PORT). */
export interface Running {
  url: string;
  /** From spawning the process to the first 200 on /hello. */
  readyMs: number;
  /** From spawning to the console line that says the server listens, when the target prints one. */
  listeningMs?: number;
  console: string[];
  stop(): Promise<void>;
}

/** The QEMU or uniwasm-host command line of `target`, serving on 127.0.0.1:`port`. */
function command(target: Target, port: number, o: StartOptions): string[] {
  const memoryMiB = o.memoryMiB ?? 128;
  const redis = o.redisPort === undefined ? [] : [`redis=10.0.2.2:${o.redisPort}`];
  // Both guests boot with the unikernel's own QEMU arguments: same machine, accel, devices, forward.
  const qemu = (kernel: string, initrd: string, cmdline: string) =>
    qemuArgs({ qemuBinary: QEMU, kernel, app: initrd, machine: 'microvm', accel: 'tcg', memoryMiB, hostPorts: [port],
      guestPort: 3000, cmdline: [cmdline, ...redis].join(' ') });
  switch (target.kind) {
    case 'unikernel':
      return [QEMU, ...qemu(target.kernel, o.app ?? demoApp(), 'ip=10.0.2.15/24 gw=10.0.2.2 port=3000 log=warn')];
    case 'linux': {
      if (o.app) throw new Error('the Linux guest serves the app built into its initramfs (APP=… bench/linux/build.sh)');
      const g = linuxGuest();
      return [QEMU, ...qemu(target.bzImage ? g.bzImage : g.kernel, g.initrd, g.cmdline)];
    }
    case 'host': {
      const redisArgs = o.redisPort === undefined ? [] : ['--redis', `127.0.0.1:${o.redisPort}`];
      return [hostBinary(), '--app', o.app ?? demoApp(), '--listen', `127.0.0.1:${port}`, ...redisArgs];
    }
  }
}

let hostBinaryBuilt: string | undefined;
/** The static uniwasm-host (the same binary the Linux guest runs), built if stale. */
export function hostBinary(): string {
  if (!hostBinaryBuilt) {
    execFileSync('cargo', ['build', '--release', '--quiet'], { cwd: 'kernel/hostrun', stdio: 'inherit' });
    hostBinaryBuilt = 'kernel/target/hostrun/x86_64-unknown-linux-gnu/release/uniwasm-host';
  }
  return hostBinaryBuilt;
}

/** Starts `target` and waits for the first 200 on /hello. */
export async function start(target: Target, o: StartOptions = {}): Promise<Running> {
  const port = await freePort();
  const [binary, ...args] = command(target, port, o);
  const url = `http://127.0.0.1:${port}`;
  const lines: string[] = [];
  let listeningMs: number | undefined;
  const t0 = performance.now();
  const child = spawn(binary!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const onLine = (line: string) => {
    lines.push(line);
    if (listeningMs === undefined && /listening on|ready: listening/.test(line)) listeningMs = performance.now() - t0;
  };
  forEachLine(child.stdout!, onLine);
  forEachLine(child.stderr!, onLine);
  const stop = () => stopChild(child);
  const deadline = t0 + (o.timeoutMs ?? 60_000);
  // Short attempts: QEMU's user networking holds a connection made before the guest listens
  // until its own retransmission, which would blur the time of the first answer.
  while ((await httpStatus(`${url}/hello`, 100)) !== 200) {
    if (child.exitCode !== null || child.signalCode !== null || performance.now() > deadline) {
      await stop();
      const why = child.exitCode !== null ? `exited with ${child.exitCode}` : 'did not answer 200 on /hello in time';
      throw Object.assign(new Error(`${target.kind} ${why}; its output ended with:\n${lines.slice(-8).join('\n')}`), { lines });
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return { url, readyMs: performance.now() - t0, listeningMs, console: lines, stop };
}

/** Kills `child` (it holds no state worth a graceful stop) and waits until it is gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}
