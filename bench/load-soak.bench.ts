// Load soak of the run's host port: ApacheBench against the demo app booted by RunSession (the run
// core of the CLI, Run and F5), with and without keep-alive, at 100 and 300 concurrent clients,
// several rounds in a row. PASS when no request failed or got a non-2xx answer and none took over
// `--max-ms` (1 s): the host port must neither lose nor stall a connection under a burst.
// usage: node out/bench/load-soak.bench.js [--requests N] [--rounds R] [--max-ms M] [--path P]
// Exit status 1 when a round fails.
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RunSession } from '../src/run/session';
import { productRoot } from '../src/util/paths';
import { freePort } from '../src/util/ports';

interface AbResult {
  command: string;
  /** ab's own words when it gave up (a reset, its 30 s timeout): the round failed. */
  aborted?: string;
  complete: number;
  failed: number;
  non2xx: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  longestMs: number;
}

const LOADS = [
  { keepAlive: true, concurrency: 100 },
  { keepAlive: false, concurrency: 100 },
  { keepAlive: true, concurrency: 300 },
  { keepAlive: false, concurrency: 300 },
];

function options(argv: string[]): { requests: number; rounds: number; maxMs: number; path: string } {
  const o = { requests: 20_000, rounds: 3, maxMs: 1000, path: '/hello' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[++i]!;
    if (flag === '--requests') o.requests = Number(value);
    else if (flag === '--rounds') o.rounds = Number(value);
    else if (flag === '--max-ms') o.maxMs = Number(value);
    else if (flag === '--path') o.path = value;
    else throw new Error('usage: load-soak.bench.js [--requests N] [--rounds R] [--max-ms M] [--path P]');
  }
  return o;
}

/** The figure after `label` in ab's output (0 when ab leaves the line out, as it does for no non-2xx). */
function figure(out: string, label: RegExp): number {
  const m = new RegExp(`${label.source}\\s+([\\d.]+)`, 'm').exec(out);
  return m ? Number(m[1]) : 0;
}

async function ab(url: string, requests: number, concurrency: number, keepAlive: boolean): Promise<AbResult> {
  const args = [...(keepAlive ? ['-k'] : []), '-n', String(requests), '-c', String(concurrency), url];
  const command = `ab ${args.join(' ')}`;
  // ab exits non-zero on a reset or its 30 s timeout: a failed round, with ab's words.
  let aborted: string | undefined;
  const out = await promisify(execFile)('ab', args, { maxBuffer: 1 << 20 }).then(
    (r) => r.stdout,
    (err: { stdout?: string; stderr?: string }) => {
      aborted = `${err.stderr ?? ''}`.trim() + ` (${/Total of (\d+) requests completed/.exec(err.stdout ?? '')?.[0] ?? 'no count'})`;
      return err.stdout ?? '';
    },
  );
  return {
    command,
    ...(aborted === undefined ? {} : { aborted }),
    complete: figure(out, /^Complete requests:/),
    failed: figure(out, /^Failed requests:/),
    non2xx: figure(out, /^Non-2xx responses:/),
    requestsPerSec: figure(out, /^Requests per second:/),
    p50Ms: figure(out, /^\s+50%/),
    p99Ms: figure(out, /^\s+99%/),
    longestMs: figure(out, /^\s+100%/),
  };
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const session = await RunSession.start({
    app: join(productRoot(), 'examples', 'http-server-demo'), port: await freePort(), accel: 'tcg', memoryMiB: 128,
    machine: 'microvm', qemuBinary: 'qemu-system-x86_64', extraKernelArgs: [], readyTimeoutMs: 60_000,
  });
  const results: (AbResult & { round: number; pass: boolean; loadBefore: string })[] = [];
  try {
    for (let round = 1; round <= o.rounds; round++) {
      for (const load of LOADS) {
        // Other work on the machine starves TCG: a stall then is not the network's fault.
        const loadBefore = loadavg().map((l) => l.toFixed(2)).join(' ');
        const r = await ab(`${session.url}${o.path}`, o.requests, load.concurrency, load.keepAlive);
        const pass = r.aborted === undefined && r.complete === o.requests && r.failed === 0 && r.non2xx === 0 && r.longestMs <= o.maxMs;
        results.push({ round, ...r, pass, loadBefore });
        console.error(`round ${round} (load average ${loadBefore}): ${r.command}: ${r.requestsPerSec} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, longest ${r.longestMs} ms, failed ${r.failed}, non-2xx ${r.non2xx}${r.aborted ? `, ab gave up: ${r.aborted}` : ''} ${pass ? 'PASS' : 'FAIL'}`);
      }
    }
  } finally {
    await session.stop();
  }
  const pass = results.every((r) => r.pass);
  console.log(JSON.stringify({ requests: o.requests, rounds: o.rounds, maxMs: o.maxMs, path: o.path, pass, results }, null, 2));
  if (!pass) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
