// Load generators for the throughput benchmark: Debian's `wrk` for peak load (closed loop: each
// connection sends its next request when the previous answer arrives), and an open-loop,
// fixed-rate generator in C (bench/rate/rate.c; wrk2 is not packaged in Debian): requests are due
// at fixed times whether or not earlier ones were answered, and a latency counts from when its
// request was due, so queueing behind a slow answer is measured, not hidden (no coordinated omission).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

export interface LoadResult {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests that got no answer, an answer other than 2xx, or a socket error. */
  errors: number;
  /** Fixed-rate load only: how late the generator itself sent a due request, at worst. */
  generatorLateMaxMs?: number;
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

let rateBinary: string | undefined;
/** bench/rate/rate.c, compiled when missing or older than its source. */
function rateGenerator(): string {
  if (!rateBinary) {
    const source = 'bench/rate/rate.c';
    const binary = 'kernel/target/bench/rate';
    if (!existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs) {
      mkdirSync(dirname(binary), { recursive: true });
      execFileSync('cc', ['-O2', '-Wall', '-o', binary, source, '-lm'], { stdio: 'inherit' });
    }
    rateBinary = binary;
  }
  return rateBinary;
}

/**
 * Open-loop load: `rate` GET `path` requests a second for `seconds`, over `connections` keep-alive
 * connections to 127.0.0.1:`port`, by bench/rate/rate.c. Latencies are from each request's due time
 * to its whole answer; answers still missing 5 s after the end count as errors.
 */
export async function fixedRate(port: number, path: string, rate: number, seconds: number, connections: number): Promise<LoadResult> {
  const args = [String(port), path, String(rate), String(seconds), String(connections)];
  const { stdout } = await promisify(execFile)(rateGenerator(), args);
  const r = JSON.parse(stdout) as LoadResult & { lateMaxMs: number };
  return { requestsPerSec: r.requestsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms, errors: r.errors, generatorLateMaxMs: r.lateMaxMs };
}
