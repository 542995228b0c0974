// The Wasm level end to end (docs/DEBUGGING.md): the adapter (dist/debugAdapter.js) builds the app
// with UNIWASM_PROFILE=debug, boots an instrumented copy with `wasm_debug=N` on the real kernel under
// QEMU's gdbstub, and stops in Wasm terms — a function breakpoint on an export, steps over, into and
// out, Wasm frames above the kernel frame, globals and linear memory, a line breakpoint in the demo's
// app.c through the DWARF of its debug build, a trap as an exception (and not, with the filter off) —
// while requests from Node get their answers once resumed. A run without the debugger boots the
// release module exactly as built. No QEMU is left behind.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildApp } from '../../src/builder/app';
import { parseModule } from '../../src/debug/wasm/module';
import { WasmProgram } from '../../src/debug/wasm/program';
import { RunSession } from '../../src/run/session';
import { productRoot } from '../../src/util/paths';
import { freePort } from '../../src/util/ports';
import { DEMO, DEMO_SOURCE, debugApp, get, helloBodyLine, launchWasmDebug } from '../support/debug';
import { pidsMatching, qemuOfRun } from '../support/processes';

/** wit-bindgen's C bindings of the demo, where its exports' wrappers (`handle-hello`) live. */
const DEMO_BINDINGS = join(DEMO, 'build', 'gen', 'http_server_demo.c');

async function stopAfter(dc: DebugClient, action: () => Promise<unknown>, timeout = 60_000): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped', timeout);
  await action();
  return (await stopped) as DebugProtocol.StoppedEvent;
}

async function frames(dc: DebugClient, threadId: number): Promise<DebugProtocol.StackFrame[]> {
  return (await dc.stackTraceRequest({ threadId })).body.stackFrames;
}

/** The QEMU serving host port `port`, and its command line. */
function qemuOf(port: number): { pid: number; args: string[] } {
  const [pid] = pidsMatching('qemu-system-x86_64', qemuOfRun(port));
  assert.ok(pid, `a QEMU forwards port ${port}`);
  return { pid, args: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0') };
}

async function disconnect(dc: DebugClient, port: number): Promise<void> {
  await dc.disconnectRequest({});
  assert.deepEqual(pidsMatching('qemu-system-x86_64', qemuOfRun(port)), [], 'no QEMU left');
}

test('Wasm level: function breakpoint on handle-hello, next, step in and out, continue → 200; pause; clean disconnect', async () => {
  const session = await launchWasmDebug(DEMO, async (dc) => {
    const bps = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'handle-hello' }] });
    assert.equal(bps.body.breakpoints[0].verified, true, bps.body.breakpoints[0].message);
    assert.match(bps.body.breakpoints[0].message!, /^Wasm handle-hello \(func\[\d+\]\)/);
  });
  const { dc, url, port } = session;
  try {
    // The guest booted the instrumented copy of the debug build, with the site count on its command line.
    assert.match(session.output.join(''), /bytes, debug\)/);
    const program = new WasmProgram(readFileSync(join(DEMO, 'build', 'http-server-demo.wasm')));
    assert.ok(program.lines, 'the debug build keeps its DWARF');
    const sites = program.sites.length;
    const { args } = qemuOf(port);
    const initrd = args[args.indexOf('-initrd') + 1];
    assert.equal(initrd, join(DEMO, '.uniwasm', 'debug', 'http-server-demo.debug.wasm'));
    assert.ok(parseModule(readFileSync(initrd)).imports.some((i) => i.module === 'uniwasm:debug' && i.field === 'probe'));
    assert.match(args[args.indexOf('-append') + 1], new RegExp(`(^| )wasm_debug=${sites}( |$)`));

    const hello = dc.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
    const answer = get(`${url}/hello`);
    answer.catch(() => undefined); // awaited below; a failure must not surface as unhandled first
    const hit = await hello;
    assert.equal(hit.body.reason, 'function breakpoint');
    assert.equal(hit.body.hitBreakpointIds?.length, 1);
    const thread = hit.body.threadId!;
    const atEntry = await frames(dc, thread);
    assert.equal(atEntry[0].name, 'handle-hello');
    assert.equal(atEntry[0].source?.path, DEMO_BINDINGS, 'the export wrapper wit-bindgen generated');
    assert.ok(atEntry.length >= 2, 'Wasm frames, then the kernel frame');
    const kernel = atEntry[atEntry.length - 1];
    // The probe's caller in the kernel, named by its Rust symbol (wasmi's host-function glue).
    assert.match(kernel.name, /::/, `the last frame is the kernel's: ${kernel.name}`);
    assert.match(kernel.instructionPointerReference!, /^0x[0-9a-f]+$/);
    assert.equal(kernel.id, thread);

    // Scopes of a Wasm frame: the frame, the globals (the C stack pointer), linear memory.
    const scopes = (await dc.scopesRequest({ frameId: atEntry[0].id })).body.scopes;
    assert.deepEqual(scopes.map((s) => s.name), ['Arguments', 'Locals', 'Globals', 'Locals (Wasm)', 'Frame', 'Globals (Wasm)', 'Memory']);
    const globals = (await dc.variablesRequest({ variablesReference: scopes.find((s) => s.name === 'Globals (Wasm)')!.variablesReference })).body.variables;
    assert.equal(globals[0].name, '__stack_pointer');
    assert.match(globals[0].value, /^\d+ \(0x[0-9a-f]+\)$/);
    const memory = (await dc.variablesRequest({ variablesReference: scopes.find((s) => s.name === 'Memory')!.variablesReference })).body.variables;
    assert.match(memory[0].value, /^\d+ bytes \(\d+ pages\)$/);
    // The data segment holds the route strings the app registered: read them by the app's own addresses.
    const read = await dc.customRequest('readMemory', { memoryReference: memory[0].memoryReference, offset: 0, count: 256 * 1024 });
    const bytes = Buffer.from(read.body.data, 'base64');
    assert.ok(bytes.includes('handle-hello'), 'linear memory holds the handler names');
    assert.equal(read.body.address, '0x0');

    // next: the next statement of handle-hello, same depth.
    const t0 = performance.now();
    const next = await stopAfter(dc, () => dc.nextRequest({ threadId: thread }));
    console.log(`Wasm next: ${(performance.now() - t0).toFixed(1)} ms`);
    assert.equal(next.body.reason, 'step');
    const afterNext = await frames(dc, thread);
    assert.equal(afterNext[0].name, 'handle-hello');
    assert.equal(afterNext[0].source?.path, DEMO_BINDINGS);
    assert.ok(afterNext[0].line >= atEntry[0].line, `a later line: ${afterNext[0].line} after ${atEntry[0].line}`);
    assert.equal(afterNext.length, atEntry.length);

    // Step in until a callee runs: one Wasm frame more; step out: back in handle-hello.
    let inner = afterNext;
    for (let i = 0; i < 50 && inner.length === afterNext.length; i++) {
      assert.equal((await stopAfter(dc, () => dc.stepInRequest({ threadId: thread }))).body.reason, 'step');
      inner = await frames(dc, thread);
    }
    assert.equal(inner.length, afterNext.length + 1, `stepped into a callee: ${inner.map((f) => f.name).join(' < ')}`);
    assert.match(inner[1].name, /^handle-hello/);
    assert.equal((await stopAfter(dc, () => dc.stepOutRequest({ threadId: thread }))).body.reason, 'step');
    const out = await frames(dc, thread);
    assert.equal(out.length, afterNext.length);
    assert.equal(out[0].name, 'handle-hello');
    assert.equal(out[0].source?.path, DEMO_BINDINGS);

    await dc.continueRequest({ threadId: thread });
    assert.deepEqual(await answer, { status: 200, body: 'hello, world\n' });

    // Idle in the kernel's poll loop: a pause stops at the kernel level.
    const paused = await stopAfter(dc, () => dc.pauseRequest({ threadId: thread }));
    assert.equal(paused.body.reason, 'pause');
    const idle = await frames(dc, thread);
    assert.equal(idle.length, 1);
    assert.equal(idle[0].id, thread);
    // Breakpoints removed while stopped; then running freely, /hello answers without a stop.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc.continueRequest({ threadId: thread });
    let stoppedAgain = false;
    dc.once('stopped', () => (stoppedAgain = true));
    assert.equal((await get(`${url}/hello`)).status, 200);
    assert.equal(stoppedAgain, false);
    await disconnect(dc, port);
  } finally {
    await dc.stop();
  }
});

test('Wasm level, debug profile: a line breakpoint in the demo\'s app.c binds, /hello stops there, frames show app.c:LINE', async () => {
  const line = helloBodyLine();
  const session = await launchWasmDebug(DEMO, async (dc) => {
    const bps = await dc.setBreakpointsRequest({ source: { path: DEMO_SOURCE }, breakpoints: [{ line }] });
    assert.equal(bps.body.breakpoints[0].verified, true, bps.body.breakpoints[0].message);
    assert.equal(bps.body.breakpoints[0].line, line);
  });
  const { dc, url, port, output } = session;
  try {
    assert.match(output.join(''), /bytes, debug\)/, 'the adapter built the debug profile');
    assert.match(output.join(''), /probe sites; DWARF lines\)/);
    const stopped = dc.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
    const answer = get(`${url}/hello`);
    answer.catch(() => undefined); // awaited below
    const hit = await stopped;
    assert.equal(hit.body.reason, 'breakpoint');
    assert.equal(hit.body.hitBreakpointIds?.length, 1);
    const stack = await frames(dc, hit.body.threadId!);
    // The C handler at the breakpoint's line, called by the export wrapper the route names.
    assert.equal(stack[0].name, 'exports_http_server_demo_handle_hello');
    assert.ok(stack[0].source?.path?.endsWith('/app.c'), `top frame in app.c: ${stack[0].source?.path}`);
    assert.equal(stack[0].source?.path, DEMO_SOURCE);
    assert.equal(stack[0].line, line);
    assert.equal(stack[1].name, 'handle-hello');
    await dc.continueRequest({ threadId: hit.body.threadId! });
    assert.deepEqual(await answer, { status: 200, body: 'hello, world\n' });
    await disconnect(dc, port);
  } finally {
    await dc.stop();
  }
});

test('Wasm level with DWARF: a line breakpoint, a trap as an exception, then no stop with the filter off', async () => {
  const app = debugApp('trap-app', '__builtin_trap();');
  const { dc, url, port, output } = await launchWasmDebug(app.dir, async (dc) => {
    const bps = await dc.setBreakpointsRequest({ source: { path: app.source }, breakpoints: [{ line: app.line }] });
    assert.equal(bps.body.breakpoints[0].verified, true, bps.body.breakpoints[0].message);
    assert.equal(bps.body.breakpoints[0].line, app.line);
    await dc.setExceptionBreakpointsRequest({ filters: ['wasm-traps'] });
  });
  try {
    assert.match(output.join(''), /probe sites; DWARF lines\)/);
    const atLine = dc.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
    const answer = get(`${url}/hello`);
    answer.catch(() => undefined); // awaited below
    const line = await atLine;
    assert.equal(line.body.reason, 'breakpoint');
    const thread = line.body.threadId!;
    const top = (await frames(dc, thread))[0];
    assert.equal(top.source?.path, app.source);
    assert.equal(top.line, app.line);

    const trap = await stopAfter(dc, () => dc.continueRequest({ threadId: thread }));
    assert.equal(trap.body.reason, 'exception');
    assert.equal(trap.body.text, 'unreachable executed');
    const info = await dc.customRequest('exceptionInfo', { threadId: thread });
    assert.equal(info.body.exceptionId, 'unreachable executed');
    const trapped = await frames(dc, thread);
    assert.equal(trapped[0].line, app.line, 'the trapping frame is on the stack, at its last statement');
    await dc.continueRequest({ threadId: thread });
    assert.equal((await answer).status, 500);

    // Filter off and no breakpoints: the next trap is only an HTTP 500.
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    await dc.setBreakpointsRequest({ source: { path: app.source }, breakpoints: [] });
    let stopped = false;
    dc.once('stopped', () => (stopped = true));
    assert.equal((await get(`${url}/hello`)).status, 500);
    assert.equal(stopped, false);
    await disconnect(dc, port);
  } finally {
    await dc.stop();
  }
});

test('a run without the debugger boots the module exactly as built, without wasm_debug', async () => {
  const built = await buildApp(DEMO);
  const bytes = readFileSync(built);
  const port = await freePort();
  const lines: string[] = [];
  const run = await RunSession.start({
    app: DEMO, port, accel: 'tcg', memoryMiB: 128, machine: 'microvm', qemuBinary: 'qemu-system-x86_64',
    extraKernelArgs: [], readyTimeoutMs: 60_000, onConsole: (line) => lines.push(line),
  });
  try {
    const { args } = qemuOf(port);
    const initrd = args[args.indexOf('-initrd') + 1];
    assert.equal(initrd, built);
    assert.equal(run.image.app, built);
    // What QEMU loads is the build's output byte for byte: no probe import anywhere.
    assert.ok(readFileSync(initrd).equals(bytes));
    assert.ok(!parseModule(bytes).imports.some((i) => i.module === 'uniwasm:debug'));
    assert.equal(new WasmProgram(bytes).lines, undefined, 'a run builds the release profile: no DWARF');
    assert.doesNotMatch(args[args.indexOf('-append') + 1], /wasm_debug/);
    assert.ok(lines.some((l) => l.includes(`${bytes.length} bytes`)), `the kernel reports the module's size:\n${lines.join('\n')}`);
    assert.deepEqual(await get(`${run.url}/hello`), { status: 200, body: 'hello, world\n' });
  } finally {
    await run.stop();
  }
  assert.deepEqual(pidsMatching('qemu-system-x86_64', qemuOfRun(port)), []);
});

test('Wasm level: stopOnEntry stops in the app\'s first function; a pause while Wasm runs stops in Wasm', async () => {
  // handle-hello spins until its fuel runs out (HTTP 504). The body has a line of its own: a
  // one-line loop has its only statement before the loop, so it would run without probes.
  const app = debugApp('spin-app', 'for (volatile int i = 0;; i++) {\n    i += 2;\n  }');
  const port = await freePort();
  const dc = new DebugClient('node', join(productRoot(), 'dist', 'debugAdapter.js'), 'uniwasm');
  dc.defaultTimeout = 120_000;
  await dc.start();
  try {
    await dc.initializeRequest({ adapterID: 'uniwasm', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    const initialized = dc.waitForEvent('initialized');
    const launched = dc.launchRequest({ app: app.dir, port, stopOnEntry: true } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    const entry = dc.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
    await dc.configurationDoneRequest();
    await launched;
    assert.equal((await entry).body.reason, 'entry');
    const first = await frames(dc, 1);
    assert.equal(first[0].name, 'init', 'the runtime calls the init export first');
    // wit-bindgen's export wrapper, in the generated bindings the app compiled.
    assert.equal(first[0].source?.path, join(app.dir, 'build', 'gen', 'hello.c'));
    await dc.continueRequest({ threadId: 1 });
    const url = `http://127.0.0.1:${port}`;
    for (const deadline = Date.now() + 60_000; !(await fetch(`${url}/`).then(() => true, () => false)); ) {
      assert.ok(Date.now() < deadline, 'the guest never answered');
      await new Promise((r) => setTimeout(r, 50));
    }

    // The loop runs only until its fuel is gone (a fraction of a second): pause after a growing
    // delay until the pause lands inside it. A pause outside Wasm stops in the kernel (one frame).
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    let inWasm: DebugProtocol.StackFrame[] | undefined;
    for (let attempt = 0; attempt < 20 && !inWasm; attempt++) {
      const answer = get(`${url}/hello`);
      answer.catch(() => undefined); // awaited below
      await new Promise((r) => setTimeout(r, 50 + attempt * 50));
      const paused = await stopAfter(dc, () => dc.pauseRequest({ threadId: 1 }));
      assert.equal(paused.body.reason, 'pause');
      const stack = await frames(dc, 1);
      // Earlier or later, the pause may land in the kernel or in other Wasm (cabi_realloc lowering the request).
      if (stack[0].source?.path === app.source) inWasm = stack;
      await dc.continueRequest({ threadId: 1 });
      assert.equal((await answer).status, 504, 'the loop runs out of fuel');
    }
    assert.ok(inWasm, 'a pause landed while the handler ran');
    // The C function, under the export wrapper wit-bindgen made for handle-hello, above the kernel frame.
    assert.deepEqual(inWasm.slice(0, 2).map((f) => f.name), ['exports_hello_handle_hello', 'handle-hello']);
    assert.ok([app.line, app.line + 1].includes(inWasm[0].line), `in the loop, not at line ${inWasm[0].line}`);
    await disconnect(dc, port);
  } finally {
    await dc.stop();
  }
});
