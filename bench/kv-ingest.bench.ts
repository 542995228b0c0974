// How many Redis MONITOR events per second the KeyValue pipeline ingests without loss:
// RedisMonitor → TrafficCore (correlator, bounded store, 100 ms batches serialized as the webview
// would get them), with redis-benchmark (Debian's redis-tools) as the load on a private redis-server.
// usage: node out/bench/kv-ingest.bench.js [REQUESTS=200000] [PIPELINE=16] [full|raw]
// `raw` only counts MONITOR events (ioredis alone): the reference the full pipeline is compared with.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrafficCore } from '../src/traffic/core';
import { RedisMonitor } from '../src/traffic/monitor';
import { freePort } from '../src/util/ports';

const requests = Number(process.argv[2] ?? 200_000);
const pipeline = Number(process.argv[3] ?? 16);
const raw = process.argv[4] === 'raw';

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  while (!out.includes('Ready to accept connections')) {
    if (child.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
    await sleep(10);
  }
  return child;
}

async function main(): Promise<void> {
  const port = await freePort();
  const redis = await startRedis(port);
  let loadCommands = 0;
  let first = 0;
  let last = 0;
  let batches = 0;
  let rowsSent = 0;
  let bytesSent = 0;
  const core = new TrafficCore({ signatures: () => undefined, report: console.error });
  core.connectView((m) => {
    // What postMessage would copy: the message as JSON.
    bytesSent += JSON.stringify(m).length;
    if (m.type === 'rows') {
      batches++;
      rowsSent += m.rows.length;
    }
  });
  const monitor = new RedisMonitor({ host: '127.0.0.1', port }, {
    onCommand: (c) => {
      if (!raw) core.addCommand(c);
      if (c.args[1]?.startsWith('key:')) {
        if (!loadCommands++) first = c.recvMs;
        last = c.recvMs;
      }
    },
  });
  const ticker = setInterval(() => core.tick(), 100);
  try {
    monitor.start();
    await monitor.waitMonitoring();
    const expected = requests * 2; // -t set,get: `requests` of each
    const t0 = performance.now();
    const bench = spawn('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-t', 'set,get', '-n', String(requests), '-P', String(pipeline), '-r', '100000', '-c', '8', '-q'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let report = '';
    bench.stdout!.on('data', (d: Buffer) => (report += d));
    await once(bench, 'exit');
    const loadDone = performance.now();
    const deadline = loadDone + 120_000;
    while (loadCommands < expected && performance.now() < deadline) await sleep(20);
    const ingestMs = last - first;
    console.log(JSON.stringify({
      mode: raw ? 'raw' : 'full', requests, pipeline,
      redisBenchmark: report.replace(/\r/g, '\n').split('\n').filter((l) => /requests per second/.test(l)).map((l) => l.trim()),
      expected, received: loadCommands, lost: expected - loadCommands,
      loadMs: +(loadDone - t0).toFixed(0), ingestMs: +ingestMs.toFixed(0),
      ingestPerSec: Math.round(loadCommands / (ingestMs / 1000)),
      lagAfterLoadMs: +(last - loadDone).toFixed(0),
      storeRows: core.kv.size, heldForCorrelation: core.correlator.held,
      batches, rowsSentToView: rowsSent, mbSentToView: +(bytesSent / 1e6).toFixed(1),
      rssMiB: Math.round(process.memoryUsage().rss / 1048576),
    }));
  } finally {
    clearInterval(ticker);
    core.disconnectView();
    await monitor.stop();
    redis.kill('SIGTERM');
    await once(redis, 'exit');
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
