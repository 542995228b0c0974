// Soak: the demo app under a long mixed load, with the guest's heap watched through its trace port.
// Boots examples/http-server-demo with RunSession (embedded Redis, trace on), sends GET /hello,
// PUT /bar, GET /foo and GET of unknown paths (404) over a few keep-alive connections (1 request in
// 100 asks the server to close, so connections are opened and closed too), and collects the
// `heap` events (docs/TRACE.md, one a second).
//
// Flat heap: the load runs in segments; after each, with the connections idle and every request
// traced, the next `heap` event is a checkpoint. Checkpoints compare like with like (no request in
// flight, the same connections open), so the noise of whatever a request holds while it runs stays
// out. The first checkpoint (after the warm-up) is the baseline; PASS when the last checkpoint is
// at most `toleranceBytes` above it and the least-squares trend over the checkpoints, extrapolated
// over the measured requests, is too.
// usage: node out/bench/soak.bench.js [--requests N] [--connections C] [--segments S] [--tolerance-kib K]
// Exit status 1 when the heap is not flat or a request failed.
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { RunSession } from '../src/run/session';
import { isReadinessProbe, TraceDecoder } from '../src/trace/format';
import { productRoot } from '../src/util/paths';
import { freePort } from '../src/util/ports';

export interface SoakOptions {
  requests: number;
  connections: number;
  /** Requests before the baseline checkpoint. */
  warmup: number;
  /** Measured segments after the warm-up, each ending with a checkpoint. */
  segments: number;
  toleranceBytes: number;
  log?: (message: string) => void;
}

export interface HeapSample {
  used: number;
  total: number;
  /** Requests answered when the sample arrived. */
  requests: number;
  ms: number;
}

export interface SoakReport {
  requests: number;
  errors: number;
  /** Up to 10 failures, for the message. */
  failures: string[];
  seconds: number;
  requestsPerSec: number;
  /** The guest's own count of the requests it answered (trace `http` events, probe excluded). */
  traced: number;
  byStatus: Record<string, number>;
  malformedTraceLines: number;
  /** The guest console's WARN and ERROR lines (the kernel says there when it stopped tracing). */
  guestWarnings: string[];
  checkpoints: HeapSample[];
  samples: HeapSample[];
  heap: { baseline: number; end: number; max: number; growth: number; trendBytesPerRequest: number; trendGrowth: number; total: number };
  toleranceBytes: number;
  flat: boolean;
  pass: boolean;
}

interface Req {
  method: 'GET' | 'PUT';
  path: string;
  body: string;
  expect: number;
  close: boolean;
}

/** Request `i` of the mix: half GET /hello, 2 in 10 PUT /bar (1–1000 bytes), 2 GET /foo, 1 a 404. */
export function mixRequest(i: number): Req {
  const close = i % 100 === 99;
  switch (i % 10) {
    case 5: case 6:
      return { method: 'PUT', path: '/bar', body: 'v'.repeat(((i * 37) % 1000) + 1), expect: 200, close };
    case 7: case 8:
      return { method: 'GET', path: '/foo', body: '', expect: 200, close };
    case 9:
      return { method: 'GET', path: `/missing/${i % 1000}`, body: '', expect: 404, close };
    default:
      return { method: 'GET', path: '/hello', body: '', expect: 200, close };
  }
}

function send(agent: Agent, url: string, r: Req): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(r.body) };
    if (r.close) headers.connection = 'close';
    const req = request(`${url}${r.path}`, { method: r.method, agent, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.end(r.body);
  });
}

/** Least-squares slope of y over x. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

/** The verdict on checkpoints (baseline first) taken `requests` apart. */
export function judgeHeap(checkpoints: HeapSample[], samples: HeapSample[], toleranceBytes: number): SoakReport['heap'] & { flat: boolean } {
  const baseline = checkpoints[0]!.used;
  const end = checkpoints.at(-1)!.used;
  const trendBytesPerRequest = slope(checkpoints.map((c) => ({ x: c.requests, y: c.used })));
  const trendGrowth = trendBytesPerRequest * (checkpoints.at(-1)!.requests - checkpoints[0]!.requests);
  const growth = end - baseline;
  return {
    baseline, end, growth, trendBytesPerRequest: +trendBytesPerRequest.toFixed(3), trendGrowth: Math.round(trendGrowth),
    max: Math.max(...samples.map((s) => s.used), ...checkpoints.map((c) => c.used)),
    total: checkpoints[0]!.total,
    flat: growth <= toleranceBytes && trendGrowth <= toleranceBytes,
  };
}

export async function soak(o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? (() => {});
  const decoder = new TraceDecoder(() => {});
  const samples: HeapSample[] = [];
  const byStatus: Record<string, number> = {};
  const guestWarnings: string[] = [];
  let traced = 0;
  let answered = 0;
  let heapWaiter: ((s: HeapSample) => void) | undefined;
  const t0 = performance.now();
  const onTrace = (line: string) => {
    const e = decoder.decode(line, performance.now());
    if (e?.type === 'http' && !isReadinessProbe(e)) {
      traced++;
      byStatus[e.status] = (byStatus[e.status] ?? 0) + 1;
    } else if (e?.type === 'heap') {
      const s = { used: e.used, total: e.total, requests: answered, ms: Math.round(e.recvMs - t0) };
      samples.push(s);
      heapWaiter?.(s);
    }
  };
  const session = await RunSession.start({
    app: join(productRoot(), 'examples', 'http-server-demo'), port: await freePort(), accel: 'tcg', memoryMiB: 128,
    machine: 'microvm', qemuBinary: 'qemu-system-x86_64', extraKernelArgs: [], readyTimeoutMs: 60_000, observers: [{ traceLine: onTrace }],
    onLog: (m) => log(m),
    onConsole: (line) => {
      if (/\b(WARN|ERROR)\b/.test(line) && guestWarnings.length < 20) guestWarnings.push(line);
    },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections });
  const failures: string[] = [];
  let errors = 0;
  let sent = 0;
  const fail = (what: string) => {
    errors++;
    if (failures.length < 10) failures.push(what);
  };
  /** Sends requests until `upTo` have gone out, `connections` at a time, each waiting for its answer. */
  const segment = (upTo: number) => Promise.all(Array.from({ length: o.connections }, async () => {
    while (sent < upTo) {
      const i = sent++;
      const r = mixRequest(i);
      try {
        const res = await send(agent, session.url, r);
        const ok = res.status === r.expect && (r.path !== '/hello' || res.body === 'hello, world\n');
        if (!ok) fail(`#${i} ${r.method} ${r.path}: ${res.status} ${res.body.slice(0, 80)}`);
      } catch (err) {
        fail(`#${i} ${r.method} ${r.path}: ${(err as Error).message}`);
      }
      answered++;
    }
  }));
  /** The first heap event written once every request sent so far has been traced: the guest was idle. */
  const checkpoint = async (): Promise<HeapSample> => {
    // A request that failed may never have reached the guest.
    for (const deadline = Date.now() + 10_000; traced < sent - errors; await new Promise((r) => setTimeout(r, 10))) {
      if (Date.now() > deadline) throw new Error(`${sent} requests sent, the guest traced ${traced}; its warnings: ${guestWarnings.join(' | ') || 'none'}`);
    }
    let timer: NodeJS.Timeout | undefined;
    const sample = await Promise.race([
      new Promise<HeapSample>((resolve) => (heapWaiter = resolve)),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no heap event within 5 s')), 5000))),
    ]);
    clearTimeout(timer);
    heapWaiter = undefined;
    return sample;
  };
  const checkpoints: HeapSample[] = [];
  let started = 0;
  let seconds = 0;
  try {
    // The value GET /foo reads, so no request of the mix depends on the order of the others.
    const first = await send(agent, session.url, { method: 'PUT', path: '/bar', body: 'seed', expect: 200, close: false });
    if (first.status !== 200) throw new Error(`PUT /bar answered ${first.status}`);
    sent = 1; // traced by the guest like the others; `answered` counts the mix only
    started = performance.now();
    await segment(1 + o.warmup);
    checkpoints.push(await checkpoint());
    log(`warm-up: ${o.warmup} requests, heap ${checkpoints[0]!.used} bytes`);
    for (let s = 1; s <= o.segments; s++) {
      await segment(1 + o.warmup + Math.round(((o.requests - o.warmup) * s) / o.segments));
      const c = await checkpoint();
      checkpoints.push(c);
      log(`${c.requests} requests, ${errors} errors, heap ${c.used} bytes (${c.used - checkpoints[0]!.used >= 0 ? '+' : ''}${c.used - checkpoints[0]!.used})`);
    }
    seconds = (performance.now() - started) / 1000;
  } finally {
    agent.destroy();
    await session.stop();
  }
  // The seed PUT is not part of the mix.
  const requests = answered;
  byStatus[200]--;
  const { flat, ...heap } = judgeHeap(checkpoints, samples, o.toleranceBytes);
  return {
    requests, errors, failures, seconds: +seconds.toFixed(1), requestsPerSec: Math.round(requests / seconds),
    traced: traced - 1, byStatus, malformedTraceLines: decoder.counts.malformed, guestWarnings, checkpoints, samples, heap,
    toleranceBytes: o.toleranceBytes, flat, pass: flat && errors === 0,
  };
}

function options(argv: string[]): SoakOptions {
  const o = { requests: 100_000, connections: 4, segments: 9, toleranceKib: 64 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const key = { '--requests': 'requests', '--connections': 'connections', '--segments': 'segments', '--tolerance-kib': 'toleranceKib' }[flag];
    const value = Number(argv[++i]);
    if (!key || !(Number.isInteger(value) && value > 0)) throw new Error('usage: soak.bench.js [--requests N] [--connections C] [--segments S] [--tolerance-kib K]');
    o[key as keyof typeof o] = value;
  }
  return { requests: o.requests, connections: o.connections, warmup: Math.round(o.requests / 10), segments: o.segments, toleranceBytes: o.toleranceKib * 1024 };
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const report = await soak({ ...o, log: (m) => console.error(`soak: ${m}`) });
  console.log(JSON.stringify({ ...report, samples: report.samples.length }, null, 2));
  console.error(`soak: ${report.pass ? 'PASS' : 'FAIL'}: ${report.requests} requests, ${report.errors} errors, ${report.seconds} s; heap ${report.heap.baseline} → ${report.heap.end} bytes (max ${report.heap.max}, trend ${report.heap.trendBytesPerRequest} B/request)`);
  process.exitCode = report.pass ? 0 : 1;
}

// Run as a program (out/bench/soak.bench.js); the e2e test imports soak() instead.
if (/soak\.bench\.[jt]s$/.test(process.argv[1] ?? '')) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
