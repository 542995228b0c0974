// Load generators for the throughput benchmark: Debian's `wrk` for peak load (closed loop: each
// connection sends its next request when the previous answer arrives), and an open-loop,
// fixed-rate generator (wrk2 is not packaged in Debian): requests are due at fixed times whether
// or not earlier ones were answered, and a latency counts from when its request was due, so
// queueing behind a slow answer is measured, not hidden (no coordinated omission).
import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { percentile } from './lib';

export interface LoadResult {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests that got no answer, an answer other than 2xx, or a socket error. */
  errors: number;
}

const UNIT_MS: Record<string, number> = { us: 1e-3, ms: 1, s: 1000, m: 60_000 };

/** `wrk -t1 -c{connections} -d{seconds}s --latency url`. */
export async function wrk(url: string, connections: number, seconds: number): Promise<LoadResult> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url];
  const { stdout } = await promisify(execFile)('wrk', args);
  return parseWrk(stdout);
}

export function parseWrk(out: string): LoadResult {
  const latency = (p: number) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    if (!m) throw new Error(`no ${p}% latency in wrk's output:\n${out}`);
    return Number(m[1]) * UNIT_MS[m[2]!]!;
  };
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  if (!rps) throw new Error(`no Requests/sec in wrk's output:\n${out}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return { requestsPerSec: Number(rps[1]), p50Ms: latency(50), p99Ms: latency(99), errors: non2xx + socketErrors };
}

/** One keep-alive connection with at most one request in flight (HTTP/1.1 without pipelining). */
class Conn {
  private socket!: Socket;
  private buffer = Buffer.alloc(0);
  /** When the request in flight was due, or undefined when idle. */
  private due: number | undefined;
  private connected = false;
  private markOpened: () => void = () => {};
  /** Settles when the first connection is up. */
  readonly opened = new Promise<void>((resolve) => (this.markOpened = resolve));

  constructor(
    private readonly port: number,
    private readonly request: Buffer,
    /** An answer (or a lost request) to the request due at `dueAt`. */
    private readonly answered: (dueAt: number, ok: boolean) => void,
    /** The connection can take a request. */
    private readonly idle: () => void,
  ) {
    this.open();
  }

  get ready(): boolean {
    return this.connected && this.due === undefined;
  }

  send(dueAt: number): void {
    this.due = dueAt;
    this.socket.write(this.request);
  }

  close(): void {
    this.socket.removeAllListeners('close');
    this.socket.destroy();
  }

  private open(): void {
    this.connected = false;
    this.buffer = Buffer.alloc(0);
    this.socket = connect(this.port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      this.connected = true;
      this.markOpened();
      this.idle();
    });
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', () => {}); // 'close' follows
    // The server may close after any answer (Connection: close, or its own limits): reconnect.
    this.socket.on('close', () => {
      const lost = this.due;
      this.due = undefined;
      if (lost !== undefined) this.answered(lost, false);
      this.open();
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0 || this.due === undefined) return;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buffer.length < end + 4 + length) return;
    this.buffer = this.buffer.subarray(end + 4 + length);
    // The server closes after this answer: wait for the new connection ('close' opens it).
    if (/\r\nconnection:\s*close/i.test(head)) this.connected = false;
    const dueAt = this.due;
    this.due = undefined;
    this.answered(dueAt, /^HTTP\/1\.[01] 2/.test(head));
    this.idle();
  }
}

/**
 * Open-loop load: `rate` GET `path` requests a second for `seconds`, over `connections` keep-alive
 * connections to 127.0.0.1:`port`. Requests due while every connection is busy wait in a queue.
 * Latencies are from the due time to the whole answer; answers still missing 5 s after the end count as errors.
 */
export async function fixedRate(port: number, path: string, rate: number, seconds: number, connections: number): Promise<LoadResult> {
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  const latencies: number[] = [];
  const queue: number[] = [];
  let errors = 0;
  let answered = 0;
  const total = Math.round(rate * seconds);
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const dispatch = () => {
    for (const conn of conns) {
      if (queue.length === 0) return;
      if (conn.ready) conn.send(queue.shift()!);
    }
  };
  const onAnswer = (dueAt: number, ok: boolean) => {
    answered++;
    if (ok) latencies.push(performance.now() - dueAt);
    else errors++;
    if (answered === total) finish();
  };
  const conns = Array.from({ length: connections }, () => new Conn(port, request, onAnswer, dispatch));
  // The clock starts once every connection is up: QEMU's port forwarding listens with a backlog of
  // 1, so some of a burst of connects wait for a SYN retransmit (1 s), which is not the guest's latency.
  await Promise.race([Promise.all(conns.map((c) => c.opened)), new Promise((r) => setTimeout(r, 5000))]);
  const t0 = performance.now() + 50;
  let scheduled = 0;
  const dueAt = (i: number) => t0 + (i * 1000) / rate;
  const tick = () => {
    const now = performance.now();
    while (scheduled < total && dueAt(scheduled) <= now) queue.push(dueAt(scheduled++));
    dispatch();
    if (scheduled === total) return;
    // Node's timers fire ~1 ms late at best: spin through the event loop when the next request
    // is due sooner than that, so the generator's own lateness stays out of the latencies.
    const wait = dueAt(scheduled) - performance.now();
    if (wait < 2) setImmediate(tick);
    else setTimeout(tick, wait - 1);
  };
  setTimeout(tick, 50);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, 50 + seconds * 1000 + 5000)));
  await Promise.race([finished, timeout]);
  clearTimeout(timer);
  for (const conn of conns) conn.close();
  errors += total - answered;
  return {
    requestsPerSec: +(latencies.length / seconds).toFixed(1),
    p50Ms: latencies.length ? percentile(latencies, 50) : NaN,
    p99Ms: latencies.length ? percentile(latencies, 99) : NaN,
    errors,
  };
}
