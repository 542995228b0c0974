// Requests/s and latency of GET /hello and GET /foo (a Redis GET behind it) on each target given:
// the unikernel, the Linux guest (both under QEMU TCG, microvm, 128 MiB) and uniwasm-host on the
// host; each with its own fresh redis-server on 127.0.0.1. Per target and path: peak load with wrk
// (closed loop, 1 thread, C connections), then p50/p99 at half that peak with the fixed-rate,
// open-loop generator bench/rate/rate.c. Figures are medians over the runs.
// usage: node out/bench/throughput.bench.js [--runs N] [--seconds S] [--connections C] TARGET...
//   TARGET: unikernel=KERNEL | linux | host; two kernels compare (results named by their TARGET)
import { startEmbeddedRedis } from '../src/redis/embedded';
import { expect200, median, parseTarget, start, type Target } from './lib';
import { fixedRate, wrk, type LoadResult } from './load';

const PATHS = ['/hello', '/foo'];

function options(argv: string[]): { runs: number; seconds: number; connections: number; targets: Target[]; names: string[] } {
  const o = { runs: 10, seconds: 3, connections: 8, targets: [] as Target[], names: [] as string[] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--runs' || flag === '--seconds' || flag === '--connections') o[flag.slice(2) as 'runs'] = Number(argv[++i]);
    else {
      o.targets.push(parseTarget(flag));
      o.names.push(flag);
    }
  }
  if (o.targets.length === 0) throw new Error('usage: throughput.bench.js [--runs N] [--seconds S] [--connections C] unikernel=KERNEL|linux|host...');
  return o;
}

/** The median of each figure over `results`, with every run's requests/s. */
function summary(results: LoadResult[]) {
  const m = (f: (r: LoadResult) => number) => +median(results.map(f)).toFixed(3);
  return {
    requestsPerSec: m((r) => r.requestsPerSec),
    p50Ms: m((r) => r.p50Ms),
    p99Ms: m((r) => r.p99Ms),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    ...(results[0]?.generatorLateMaxMs === undefined ? {} : { generatorLateMaxMs: Math.max(...results.map((r) => r.generatorLateMaxMs ?? 0)) }),
    runsRequestsPerSec: results.map((r) => Math.round(r.requestsPerSec)),
  };
}

async function measure(target: Target, o: ReturnType<typeof options>) {
  const redis = await startEmbeddedRedis();
  try {
    const run = await start(target, { redisPort: redis.port });
    try {
      await expect200('PUT', `${run.url}/bar`, 'a value for GET /foo');
      const port = Number(new URL(run.url).port);
      const figures: Record<string, unknown> = {};
      for (const path of PATHS) {
        await wrk(`${run.url}${path}`, o.connections, 1); // warm-up: QEMU's translated code, page faults, the connection to Redis
        const peak: LoadResult[] = [];
        for (let i = 0; i < o.runs; i++) peak.push(await wrk(`${run.url}${path}`, o.connections, o.seconds));
        const halfRate = Math.max(1, Math.round(median(peak.map((r) => r.requestsPerSec)) / 2));
        const half: LoadResult[] = [];
        for (let i = 0; i < o.runs; i++) half.push(await fixedRate(port, path, halfRate, o.seconds, o.connections));
        figures[path] = { peak: summary(peak), halfPeak: { rate: halfRate, ...summary(half) } };
      }
      return figures;
    } finally {
      await run.stop();
    }
  } finally {
    await redis.stop();
  }
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const results: Record<string, unknown> = {};
  // Named by kind, or by the whole argument when two targets share a kind (two kernels).
  const name = (i: number) => (o.targets.filter((t) => t.kind === o.targets[i]!.kind).length > 1 ? o.names[i]! : o.targets[i]!.kind);
  for (const [i, target] of o.targets.entries()) results[name(i)] = await measure(target, o);
  console.log(JSON.stringify({ runs: o.runs, seconds: o.seconds, connections: o.connections, results }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
