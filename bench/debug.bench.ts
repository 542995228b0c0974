// What Wasm-level debugging costs (docs/DEBUGGING.md): GET /hello requests/s of the demo app (or
// `--app DIR`, e.g. examples/http-component-c) on the unikernel (QEMU TCG, microvm) as built, as its
// instrumented copy with `wasm_debug=N` but no debugger, and with the debug adapter
// (dist/debugAdapter.js) attached and idle (no breakpoint), and attached with one data breakpoint set
// (on linear-memory address 0, C's NULL, never written: what watching costs while nothing fires); then the round trip of a Wasm `next`
// (DAP request → stopped event) at a function breakpoint (`--function`, default handle-hello), and
// what showing the stop costs: the stack, then the scopes and the Locals (Wasm) of every Wasm frame.
// usage: node out/bench/debug.bench.js [--runs N] [--seconds S] [--connections C] [--steps K] [--app DIR] [--function NAME]
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { buildAll } from '../src/builder/all';
import { WasmLevel } from '../src/debug/wasm/level';
import { WasmProgram } from '../src/debug/wasm/program';
import { RunSession } from '../src/run/session';
import { freePort } from '../src/util/ports';
import { DEMO, launchWasmDebug } from '../test/support/debug';
import { median, percentile, round1 } from './lib';
import { wrk, type LoadResult } from './load';


function options(argv: string[]): { runs: number; seconds: number; connections: number; steps: number; app: string; function: string } {
  const o = { runs: 5, seconds: 3, connections: 8, steps: 15, app: DEMO, function: 'handle-hello' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!.slice(2) as keyof typeof o;
    if (!(flag in o)) throw new Error('usage: debug.bench.js [--runs N] [--seconds S] [--connections C] [--steps K] [--app DIR] [--function NAME]');
    const value = argv[++i]!;
    Object.assign(o, { [flag]: typeof o[flag] === 'number' ? Number(value) : value });
  }
  return { ...o, app: resolve(o.app) };
}

/** wrk runs against `url`/hello after one warm-up: the median requests/s and each run's. */
async function throughput(url: string, o: ReturnType<typeof options>) {
  await wrk(`${url}/hello`, o.connections, 1);
  const runs: LoadResult[] = [];
  for (let i = 0; i < o.runs; i++) runs.push(await wrk(`${url}/hello`, o.connections, o.seconds));
  const errors = runs.reduce((sum, r) => sum + r.errors, 0);
  if (errors) throw new Error(`${errors} failed requests on ${url}/hello`);
  return { requestsPerSec: round1(median(runs.map((r) => r.requestsPerSec))), runs: runs.map((r) => Math.round(r.requestsPerSec)) };
}

/** The app under `uniwasm run`'s own session (no debugger), booting `app` with `kernelArgs`. */
async function plainRun(app: string, kernelArgs: string[], o: ReturnType<typeof options>) {
  const run = await RunSession.start({
    app, port: await freePort(), accel: 'tcg', memoryMiB: 128, machine: 'microvm', qemuBinary: 'qemu-system-x86_64',
    extraKernelArgs: kernelArgs, readyTimeoutMs: 60_000,
  });
  try {
    return await throughput(run.url, o);
  } finally {
    await run.stop();
  }
}

/** The adapter launching `app` at the Wasm level; `configure` sets breakpoints before it runs. */
async function debugSession(app: string, configure: (dc: DebugClient) => Promise<unknown>) {
  const { dc, url } = await launchWasmDebug(app, configure);
  return {
    dc, url,
    end: async () => {
      await dc.disconnectRequest({});
      await dc.stop();
    },
  };
}

/**
 * The adapter with one write data breakpoint on linear-memory address 0 (set at a stop in
 * `o.function`, where linear memory exists), the function breakpoint gone: requests/s.
 */
async function withDataBreakpoint(o: ReturnType<typeof options>) {
  const session = await debugSession(o.app, (dc) => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: o.function }] }));
  const { dc, url } = session;
  try {
    let answer: Promise<Response> | undefined;
    await roundTrip(dc, async () => void (answer = fetch(`${url}/hello`)));
    const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: 'wasm-data:0x0:4', accessType: 'write' }] });
    if (!set.body.breakpoints[0].verified) throw new Error(`the data breakpoint was not set: ${set.body.breakpoints[0].message}`);
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc.continueRequest({ threadId: 1 });
    if ((await answer!).status !== 200) throw new Error('/hello did not answer 200 after the stop');
    return await throughput(url, o);
  } finally {
    await session.end();
  }
}

/** Milliseconds from sending `request` to the stopped event it causes. */
async function roundTrip(dc: DebugClient, request: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  const stopped = dc.waitForEvent('stopped', 30_000);
  await request();
  await stopped;
  return performance.now() - t0;
}

/**
 * What VS Code asks at a stop when every Wasm frame's Locals (Wasm) is opened: the stack, each
 * frame's scopes and its locals. Milliseconds, and how many locals were shown.
 */
async function showStop(dc: DebugClient): Promise<{ ms: number; frames: number; locals: number }> {
  const t0 = performance.now();
  const stack = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
  let frames = 0;
  let locals = 0;
  for (const frame of stack) {
    const scope = (await dc.scopesRequest({ frameId: frame.id })).body.scopes.find((s) => s.name === 'Locals (Wasm)');
    if (!scope) continue;
    frames++;
    locals += (await dc.variablesRequest({ variablesReference: scope.variablesReference })).body.variables.length;
  }
  return { ms: performance.now() - t0, frames, locals };
}

/**
 * Per sample: GET /hello stops at the function breakpoint on `o.function`, the stop is shown
 * (showStop), one `next` is timed (entry → its first statement), then continue lets the answer out.
 */
async function stepTimes(o: ReturnType<typeof options>) {
  const session = await debugSession(o.app, (dc) => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: o.function }] }));
  const { dc, url } = session;
  try {
    const next: number[] = [];
    const hit: number[] = [];
    const shown: Awaited<ReturnType<typeof showStop>>[] = [];
    for (let i = 0; i < o.steps; i++) {
      let answer: Promise<Response> | undefined;
      hit.push(await roundTrip(dc, async () => void (answer = fetch(`${url}/hello`))));
      shown.push(await showStop(dc));
      next.push(await roundTrip(dc, () => dc.nextRequest({ threadId: 1 })));
      await dc.continueRequest({ threadId: 1 });
      const res = await answer!;
      if (res.status !== 200) throw new Error(`/hello answered ${res.status} after the steps`);
    }
    const stats = (xs: number[]) => ({ medianMs: round1(median(xs)), p90Ms: round1(percentile(xs, 90)), samples: xs.length });
    const show = { ...stats(shown.map((s) => s.ms)), wasmFrames: shown[0]?.frames, locals: shown[0]?.locals };
    return { next: stats(next), requestToBreakpoint: stats(hit), showStopWithAllLocals: show };
  } finally {
    await session.end();
  }
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const { app } = await buildAll(o.app);
  const program = new WasmProgram(readFileSync(app));
  const { path: instrumented } = WasmLevel.prepare(app, join(o.app, '.uniwasm', 'debug'), basename(o.app));
  const asBuilt = await plainRun(app, [], o);
  const instrumentedNoDebugger = await plainRun(instrumented, [WasmLevel.kernelArgument(program)], o);
  const idle = await debugSession(o.app, async () => undefined);
  let attachedIdle;
  try {
    attachedIdle = await throughput(idle.url, o);
  } finally {
    await idle.end();
  }
  const dataBreakpoint = await withDataBreakpoint(o);
  const steps = await stepTimes(o);
  const ratio = (x: { requestsPerSec: number }) => +(x.requestsPerSec / asBuilt.requestsPerSec).toFixed(3);
  console.log(JSON.stringify({
    app: o.app, runs: o.runs, seconds: o.seconds, connections: o.connections, probeSites: program.sites.length,
    hello: {
      asBuilt,
      instrumentedNoDebugger: { ...instrumentedNoDebugger, vsAsBuilt: ratio(instrumentedNoDebugger) },
      debuggerAttachedIdle: { ...attachedIdle, vsAsBuilt: ratio(attachedIdle) },
      debuggerWithDataBreakpoint: { ...dataBreakpoint, vsAsBuilt: ratio(dataBreakpoint) },
    },
    steps,
  }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
