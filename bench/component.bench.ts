// What the component model costs: the same kernel serving the SpiderLightning core-module demo and the
// same routes as wasi:http components (C, Rust), interleaved run by run — boot → first 200 on /hello
// and GET /hello requests/s (wrk, closed loop) — and, for scale, the C component under `wasmtime serve`
// on the host (no QEMU in its path).
// usage: node out/bench/component.bench.js KERNEL CORE_APP.wasm C_COMPONENT.wasm RUST_COMPONENT.wasm [--runs N] [--seconds S]
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startEmbeddedRedis } from '../src/redis/embedded';
import { freePort } from '../src/util/ports';
import { median, round1, start, stopChild, httpStatus } from './lib';
import { wrk } from './load';

const [kernel, coreApp, cComponent, rustComponent] = process.argv.slice(2, 6);
const flag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
if (!kernel || !coreApp || !cComponent || !rustComponent) {
  console.error('usage: component.bench.js KERNEL CORE_APP.wasm C_COMPONENT.wasm RUST_COMPONENT.wasm [--runs N] [--seconds S]');
  process.exit(2);
}
const runs = flag('runs', 5);
const seconds = flag('seconds', 3);
const connections = 8;
const apps = { core: coreApp, componentC: cComponent, componentRust: rustComponent };

/** One boot of `app`: its boot → first 200, then its /hello requests/s after a warm-up. */
async function once(app: string, redisPort: number): Promise<{ bootMs: number; requestsPerSec: number }> {
  const run = await start({ kind: 'unikernel', kernel }, { app, redisPort });
  try {
    await wrk(`${run.url}/hello`, connections, 1); // warm-up: QEMU's translation, wasmi's lazy compilation
    const load = await wrk(`${run.url}/hello`, connections, seconds);
    if (load.errors) throw new Error(`${load.errors} failed requests serving ${app}`);
    return { bootMs: run.readyMs, requestsPerSec: load.requestsPerSec };
  } finally {
    await run.stop();
  }
}

/** The C component under `wasmtime serve` on the host: /hello requests/s. */
async function wasmtime(component: string): Promise<number> {
  const port = await freePort();
  const child = spawn(join('.uniwasm', 'tools', 'bin', 'wasmtime'), ['serve', '--addr', `127.0.0.1:${port}`, '-S', 'cli=y', component], {
    stdio: 'ignore',
  });
  try {
    while ((await httpStatus(`http://127.0.0.1:${port}/hello`, 100)) !== 200) {
      if (child.exitCode !== null) throw new Error('wasmtime serve exited');
      await new Promise((r) => setTimeout(r, 20));
    }
    await wrk(`http://127.0.0.1:${port}/hello`, connections, 1);
    return (await wrk(`http://127.0.0.1:${port}/hello`, connections, seconds)).requestsPerSec;
  } finally {
    await stopChild(child);
  }
}

async function main(): Promise<void> {
  const redis = await startEmbeddedRedis();
  const samples: Record<keyof typeof apps, { bootMs: number[]; requestsPerSec: number[] }> = {
    core: { bootMs: [], requestsPerSec: [] },
    componentC: { bootMs: [], requestsPerSec: [] },
    componentRust: { bootMs: [], requestsPerSec: [] },
  };
  try {
    // Interleaved, the order turned each run: a slow spell of the machine hits every app alike.
    const names = Object.keys(apps) as (keyof typeof apps)[];
    for (let i = 0; i < runs; i++) {
      for (const name of i % 2 ? [...names].reverse() : names) {
        const r = await once(apps[name], redis.port);
        samples[name].bootMs.push(r.bootMs);
        samples[name].requestsPerSec.push(r.requestsPerSec);
      }
    }
  } finally {
    await redis.stop();
  }
  const names = Object.keys(samples) as (keyof typeof apps)[];
  const summary = {} as Record<keyof typeof apps, { bootMs: number; requestsPerSec: number; runs: number[] }>;
  for (const name of names) {
    const s = samples[name];
    summary[name] = { bootMs: round1(median(s.bootMs)), requestsPerSec: Math.round(median(s.requestsPerSec)), runs: s.requestsPerSec.map(Math.round) };
  }
  const ratio = (name: keyof typeof apps) => +(summary[name].requestsPerSec / summary.core.requestsPerSec).toFixed(2);
  console.log(JSON.stringify({
    runs, seconds, connections, kernel, ...summary,
    componentCVsCore: ratio('componentC'),
    componentRustVsCore: ratio('componentRust'),
    wasmtimeServeComponentC: Math.round(await wasmtime(cComponent)),
  }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
