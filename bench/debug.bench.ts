// What Wasm-level debugging costs (docs/DEBUGGING.md): GET /hello requests/s of the demo app (or
// `--app DIR`, e.g. examples/http-component-c) on the unikernel (QEMU TCG, microvm): the release
// build as every run boots it, the debug build (what F5 builds: -O0 -g) as built, its instrumented
// copy (DWARF's capture choice) with `wasm_debug=N` but no debugger, and with the debug adapter
// (dist/debugAdapter.js) attached and idle (no breakpoint), and attached with one write data
// breakpoint set (on linear-memory address 0, C's NULL, never written: what watching costs while
// nothing fires). The five run side by side and are loaded
// in turn, one wrk run each per round, so each round's ratios share the machine's load. Then, at a
// function breakpoint (`--function`, default handle-hello): the round trip of a request to the
// stop and of a Wasm `next`, and what showing a stop costs: the stack, then every Wasm frame's
// scopes and the rows of Arguments, Locals, Globals (DWARF) and Locals (Wasm), the first time and
// again at the same stop.
// usage: node out/bench/debug.bench.js [--runs N] [--seconds S] [--connections C] [--steps K] [--app DIR] [--function NAME]
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { buildAll } from '../src/builder/all';
import { WasmLevel } from '../src/debug/wasm/level';
import { WasmProgram } from '../src/debug/wasm/program';
import { RunSession } from '../src/run/session';
import { freePort } from '../src/util/ports';
import { DEMO, launchWasmDebug } from '../test/support/debug';
import { median, percentile, round1 } from './lib';
import { wrk } from './load';

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

type Options = ReturnType<typeof options>;

/** The 1-minute load average, rounded. */
const load = () => round1(loadavg()[0]!);

/**
 * `o.runs` rounds of one wrk run against each target's /hello, in an order that turns each round
 * (after one warm-up each): each target's median requests/s and runs, and the median and range of
 * its per-round ratio to the first target.
 */
async function interleaved(targets: Record<string, string>, o: Options) {
  const names = Object.keys(targets);
  const runs = new Map<string, number[]>(names.map((n) => [n, []]));
  for (const name of names) await wrk(`${targets[name]}/hello`, o.connections, 1);
  const loads = [load()];
  for (let round = 0; round < o.runs; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length]!;
      const result = await wrk(`${targets[name]}/hello`, o.connections, o.seconds);
      if (result.errors) throw new Error(`${result.errors} failed requests on ${name}'s /hello`);
      runs.get(name)!.push(Math.round(result.requestsPerSec));
    }
    loads.push(load());
  }
  const base = runs.get(names[0]!)!;
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const mine = runs.get(name)!;
    const ratios = mine.map((r, i) => r / base[i]!);
    out[name] = {
      requestsPerSec: median(mine), runs: mine,
      vsFirst: { median: +median(ratios).toFixed(3), min: +Math.min(...ratios).toFixed(3), max: +Math.max(...ratios).toFixed(3) },
    };
  }
  return { loadAverage1m: { min: Math.min(...loads), max: Math.max(...loads), samples: loads }, ...out };
}

/** The app under `uniwasm run`'s own session (no debugger), booting module `app` with `kernelArgs`. */
function plainRun(app: string, kernelArgs: string[]): Promise<RunSession> {
  return freePort().then((port) => RunSession.start({
    app, port, accel: 'tcg', memoryMiB: 128, machine: 'microvm', qemuBinary: 'qemu-system-x86_64',
    extraKernelArgs: kernelArgs, readyTimeoutMs: 60_000,
  }));
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
 * The adapter launching `app` with one write data breakpoint on linear-memory address 0 (set at a
 * stop in `o.function`, where linear memory exists), the function breakpoint gone, running.
 */
async function withDataBreakpoint(app: string, o: Options) {
  const session = await debugSession(app, (dc) => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: o.function }] }));
  const { dc, url } = session;
  try {
    let answer: Promise<Response> | undefined;
    await roundTrip(dc, async () => void (answer = fetch(`${url}/hello`)));
    const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: 'wasm-data:0x0:4', accessType: 'write' }] });
    if (!set.body.breakpoints[0].verified) throw new Error(`the data breakpoint was not set: ${set.body.breakpoints[0].message}`);
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc.continueRequest({ threadId: 1 });
    if ((await answer!).status !== 200) throw new Error('/hello did not answer 200 after the stop');
    return session;
  } catch (err) {
    await session.end();
    throw err;
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

/** The scopes opened at a stop, in every Wasm frame: the program's variables (DWARF) and the captured Wasm locals. */
const SHOWN_SCOPES = ['Arguments', 'Locals', 'Globals', 'Locals (Wasm)'];

/**
 * What VS Code asks at a stop when every Wasm frame's SHOWN_SCOPES are opened: the stack, each
 * frame's scopes and their rows. Milliseconds, the Wasm frames, and the rows of each scope (all frames).
 */
async function showStop(dc: DebugClient): Promise<{ ms: number; frames: number; rows: Record<string, number> }> {
  const t0 = performance.now();
  const stack = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
  let frames = 0;
  const rows: Record<string, number> = {};
  for (const frame of stack) {
    const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes.filter((s) => SHOWN_SCOPES.includes(s.name));
    if (!scopes.length) continue;
    frames++;
    for (const scope of scopes) {
      const shown = (await dc.variablesRequest({ variablesReference: scope.variablesReference })).body.variables;
      rows[scope.name] = (rows[scope.name] ?? 0) + shown.length;
    }
  }
  return { ms: performance.now() - t0, frames, rows };
}

/**
 * Per sample: GET /hello stops at the function breakpoint on `o.function`; the stop is shown
 * (showStop) and shown again; one `next` is timed and its stop shown; continue lets the answer out.
 */
async function stepTimes(app: string, o: Options) {
  const session = await debugSession(app, (dc) => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: o.function }] }));
  const { dc, url } = session;
  const loads = [load()];
  try {
    const next: number[] = [];
    const hit: number[] = [];
    const shown: Awaited<ReturnType<typeof showStop>>[] = [];
    const again: number[] = [];
    const afterNext: number[] = [];
    for (let i = 0; i < o.steps; i++) {
      let answer: Promise<Response> | undefined;
      hit.push(await roundTrip(dc, async () => void (answer = fetch(`${url}/hello`))));
      shown.push(await showStop(dc));
      again.push((await showStop(dc)).ms);
      next.push(await roundTrip(dc, () => dc.nextRequest({ threadId: 1 })));
      afterNext.push((await showStop(dc)).ms);
      await dc.continueRequest({ threadId: 1 });
      const res = await answer!;
      if (res.status !== 200) throw new Error(`/hello answered ${res.status} after the steps`);
      loads.push(load());
    }
    const stats = (xs: number[]) => ({ medianMs: round1(median(xs)), p90Ms: round1(percentile(xs, 90)), samples: xs.length });
    return {
      loadAverage1m: { min: Math.min(...loads), max: Math.max(...loads) },
      requestToBreakpoint: stats(hit),
      showStop: { ...stats(shown.map((s) => s.ms)), wasmFrames: shown[0]?.frames, rows: shown[0]?.rows },
      showSameStopAgain: stats(again),
      next: stats(next),
      showStopAfterNext: stats(afterNext),
    };
  } finally {
    await session.end();
  }
}

/** The app built with `profile`, copied to `dir` (both profiles write the same path). */
async function built(app: string, profile: 'release' | 'debug', dir: string): Promise<string> {
  const path = join(dir, `${profile}.wasm`);
  copyFileSync((await buildAll(app, {}, profile)).app, path);
  return path;
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'debug-bench-'));
  const release = await built(o.app, 'release', dir);
  const debug = await built(o.app, 'debug', dir);
  const program = new WasmProgram(readFileSync(debug));
  const { path: instrumented } = WasmLevel.prepare(debug, dir, 'instrumented');
  const runs = [await plainRun(release, []), await plainRun(debug, []), await plainRun(instrumented, [WasmLevel.kernelArgument(program)])];
  const idle = await debugSession(debug, async () => undefined);
  const watching = await withDataBreakpoint(debug, o);
  let hello;
  try {
    hello = await interleaved({
      releaseAsBuilt: runs[0]!.url, debugAsBuilt: runs[1]!.url, debugInstrumentedNoDebugger: runs[2]!.url, debugInstrumentedAttachedIdle: idle.url,
      debugInstrumentedOneDataBreakpoint: watching.url,
    }, o);
  } finally {
    await idle.end();
    await watching.end();
    for (const run of runs) await run.stop();
  }
  const steps = await stepTimes(debug, o);
  console.log(JSON.stringify({
    app: o.app, runs: o.runs, seconds: o.seconds, connections: o.connections, probeSites: program.sites.length,
    capturedLocals: [...program.values.captured.values()].reduce((n, c) => n + c.length, 0), valueRowBytes: program.values.rowSize,
    hello,
    steps,
  }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
