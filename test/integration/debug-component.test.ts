// The Wasm level on a component end to end (docs/DEBUGGING.md, "Components"): the adapter builds
// examples/http-component-c with UNIWASM_PROFILE=debug, boots the component with its main core module
// instrumented under QEMU's gdbstub, and stops in that module's terms — a function breakpoint on the
// C handler, a line breakpoint in app.c, a step, a trap — while requests from Node get their answers
// once resumed. Without the debugger the component boots as built, and its instrumented copy is refused.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { buildApp } from '../../src/builder/app';
import { isComponent, mainModule } from '../../src/debug/wasm/component';
import { parseModule } from '../../src/debug/wasm/module';
import { WasmProgram } from '../../src/debug/wasm/program';
import { RunSession } from '../../src/run/session';
import { productRoot } from '../../src/util/paths';
import { freePort } from '../../src/util/ports';
import { scratchDir } from '../fixtures/debug/scratch';
import { launchWasmDebug } from '../support/debug';
import { pidsMatching, qemuOfRun } from '../support/processes';

const COMPONENT = join(productRoot(), 'examples', 'http-component-c');
const SOURCE = join(COMPONENT, 'src', 'app.c');
/** wit-bindgen's C bindings, where the export wrapper the component lifts lives. */
const BINDINGS = join(COMPONENT, 'build', 'gen', 'proxy.c');
const INSTRUMENTED = join(COMPONENT, '.uniwasm', 'debug', 'http-component-c.debug.wasm');

/** The 1-based line of the one statement of `hello` (GET /hello) in app.c. */
function helloLine(): number {
  const lines = readFileSync(SOURCE, 'utf8').split('\n');
  const start = lines.indexOf('static void hello(exchange_t *x) {');
  assert.ok(start >= 0 && lines[start + 1].includes('reply_text(x, 200'), `hello() not found in ${SOURCE}`);
  return start + 2;
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { headers: { connection: 'close' } });
  return { status: res.status, body: await res.text() };
}

async function stopAfter(dc: DebugClient, action: () => unknown): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped', 60_000);
  await action();
  return (await stopped) as DebugProtocol.StoppedEvent;
}

/** Sends a request that stops the guest; resolves at the stop, with the answer to await after resuming. */
async function stopAtRequest(dc: DebugClient, url: string): Promise<{ stop: DebugProtocol.StoppedEvent; answer: Promise<{ status: number; body: string }> }> {
  let answer!: Promise<{ status: number; body: string }>;
  const stop = await stopAfter(dc, () => {
    answer = get(url);
    answer.catch(() => undefined); // awaited later; a failure must not surface as unhandled first
  });
  return { stop, answer };
}

function qemuArgs(port: number): string[] {
  const [pid] = pidsMatching('qemu-system-x86_64', qemuOfRun(port));
  assert.ok(pid, `a QEMU forwards port ${port}`);
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
}

test('component: a function breakpoint on the C handler, a line breakpoint in app.c, next, a trap; requests answer once resumed', async () => {
  const line = helloLine();
  const session = await launchWasmDebug(COMPONENT, async (dc) => {
    const fn = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'exports_wasi_http_incoming_handler_handle' }] });
    assert.equal(fn.body.breakpoints[0].verified, true, fn.body.breakpoints[0].message);
    assert.match(fn.body.breakpoints[0].message!, /^Wasm exports_wasi_http_incoming_handler_handle \(func\[\d+\]\)/);
    const bps = await dc.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [{ line }] });
    assert.equal(bps.body.breakpoints[0].verified, true, bps.body.breakpoints[0].message);
    assert.equal(bps.body.breakpoints[0].line, line);
    await dc.setExceptionBreakpointsRequest({ filters: ['wasm-traps'] });
  });
  const { dc, url, port, output } = session;
  try {
    // The debug build, instrumented in its core module 0, booted with the site count.
    assert.match(output.join(''), /bytes, debug\)/);
    assert.match(output.join(''), /probe sites in the component's core module 0; DWARF lines\)/);
    const args = qemuArgs(port);
    assert.equal(args[args.indexOf('-initrd') + 1], INSTRUMENTED);
    const booted = readFileSync(INSTRUMENTED);
    assert.ok(isComponent(booted));
    assert.ok(parseModule(mainModule(booted).bytes).imports.some((i) => i.module === 'uniwasm:debug' && i.field === 'probe'));
    const sites = new WasmProgram(readFileSync(join(COMPONENT, 'build', 'http-component-c.wasm'))).sites.length;
    assert.match(args[args.indexOf('-append') + 1], new RegExp(`(^| )wasm_debug=${sites}( |$)`));

    // The handler's entry: the C function under the export wrapper the component lifts.
    const { stop: atHandler, answer: hello } = await stopAtRequest(dc, `${url}/hello`);
    assert.equal(atHandler.body.reason, 'function breakpoint');
    const thread = atHandler.body.threadId!;
    const handler = (await dc.stackTraceRequest({ threadId: thread })).body.stackFrames;
    assert.equal(handler[0].name, 'exports_wasi_http_incoming_handler_handle');
    assert.equal(handler[0].source?.path, SOURCE);
    assert.equal(handler[1].name, 'wasi:http/incoming-handler@0.2.12#handle');
    assert.equal(handler[1].source?.path, BINDINGS);
    assert.equal(handler[handler.length - 1].id, thread, 'the kernel frame last');

    // On to the line breakpoint: hello at its line, under dispatch and the handler.
    const atLine = await stopAfter(dc, () => dc.continueRequest({ threadId: thread }));
    assert.equal(atLine.body.reason, 'breakpoint');
    assert.equal(atLine.body.hitBreakpointIds?.length, 1);
    const stack = (await dc.stackTraceRequest({ threadId: thread })).body.stackFrames;
    assert.deepEqual(stack.slice(0, 4).map((f) => f.name), ['hello', 'dispatch', 'exports_wasi_http_incoming_handler_handle', 'wasi:http/incoming-handler@0.2.12#handle']);
    assert.equal(stack[0].source?.path, SOURCE);
    assert.equal(stack[0].line, line);
    // The main module's globals (the C stack pointer) and linear memory, at the component's stop.
    const scopes = (await dc.scopesRequest({ frameId: stack[0].id })).body.scopes;
    const globals = (await dc.variablesRequest({ variablesReference: scopes.find((s) => s.name === 'Globals (Wasm)')!.variablesReference })).body.variables;
    assert.equal(globals[0].name, '__stack_pointer');
    assert.match(globals[0].value, /^\d+ \(0x[0-9a-f]+\)$/);
    // The main module's Wasm locals: at -O0, hello's frame base is the C stack pointer.
    const locals = (await dc.variablesRequest({ variablesReference: scopes.find((s) => s.name === 'Locals (Wasm)')!.variablesReference })).body.variables;
    const sp = globals[0].value.split(' ')[0];
    assert.ok(locals.some((v) => v.value.startsWith(`${sp} `)), `a local of hello holds __stack_pointer ${sp}: ${locals.map((v) => `${v.name}=${v.value}`)}`);
    const memory = (await dc.variablesRequest({ variablesReference: scopes.find((s) => s.name === 'Memory')!.variablesReference })).body.variables;
    const text = await dc.customRequest('readMemory', { memoryReference: memory[0].memoryReference, offset: 0, count: 64 * 1024 });
    assert.ok(Buffer.from(text.body.data, 'base64').includes('hello, world'), 'linear memory holds the reply text');

    // next: past hello's call of reply_text, still in app.c at a shallower or equal depth.
    const next = await stopAfter(dc, () => dc.nextRequest({ threadId: thread }));
    assert.equal(next.body.reason, 'step');
    const after = (await dc.stackTraceRequest({ threadId: thread })).body.stackFrames;
    assert.equal(after[0].source?.path, SOURCE);
    assert.ok((after[0].name === 'hello' && after[0].line > line) || after[0].name === 'dispatch', `after next: ${after[0].name}:${after[0].line}`);
    assert.ok(after.length <= stack.length);

    await dc.continueRequest({ threadId: thread });
    assert.deepEqual(await hello, { status: 200, body: 'hello, world\n' });

    // A trap in the handler: an exception stop in trap(), then the 500; the fresh instance serves on.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc.setBreakpointsRequest({ source: { path: SOURCE }, breakpoints: [] });
    const { stop: trap, answer: trapped } = await stopAtRequest(dc, `${url}/trap`);
    assert.equal(trap.body.reason, 'exception');
    assert.equal(trap.body.text, 'unreachable executed');
    const trapStack = (await dc.stackTraceRequest({ threadId: thread })).body.stackFrames;
    assert.deepEqual(trapStack.slice(0, 2).map((f) => f.name), ['trap', 'dispatch']);
    assert.equal(trapStack[0].source?.path, SOURCE);
    await dc.continueRequest({ threadId: thread });
    assert.equal((await trapped).status, 500);
    assert.deepEqual(await get(`${url}/hello`), { status: 200, body: 'hello, world\n' });

    await dc.disconnectRequest({});
    assert.deepEqual(pidsMatching('qemu-system-x86_64', qemuOfRun(port)), [], 'no QEMU left');
  } finally {
    await dc.stop();
  }
});

test('a component runs without the debugger as built; its instrumented copy is refused without wasm_debug', async () => {
  const built = await buildApp(COMPONENT);
  const bytes = readFileSync(built);
  assert.ok(!parseModule(mainModule(bytes).bytes).imports.some((i) => i.module === 'uniwasm:debug'));
  const boot = async (app: string, port: number, onConsole?: (line: string) => void) => RunSession.start({
    app, port, accel: 'tcg', memoryMiB: 128, machine: 'microvm', qemuBinary: 'qemu-system-x86_64', extraKernelArgs: [], readyTimeoutMs: 60_000, onConsole,
  });
  const port = await freePort();
  const run = await boot(COMPONENT, port);
  try {
    const args = qemuArgs(port);
    assert.equal(args[args.indexOf('-initrd') + 1], built);
    assert.ok(readFileSync(built).equals(bytes), 'QEMU loads the build byte for byte');
    assert.doesNotMatch(args[args.indexOf('-append') + 1], /wasm_debug/);
    assert.deepEqual(await get(`${run.url}/hello`), { status: 200, body: 'hello, world\n' });
  } finally {
    await run.stop();
  }

  // Its instrumented copy, booted as a plain app.
  const copy = join(scratchDir(), 'http-component-c.debug.wasm');
  writeFileSync(copy, new WasmProgram(bytes).instrumented);
  const lines: string[] = [];
  await assert.rejects(boot(copy, await freePort(), (line) => lines.push(line)), /failed to boot/);
  assert.ok(lines.some((l) => l.includes('uniwasm:debug#probe') && l.includes('wasm_debug')), `the kernel names the probe:\n${lines.join('\n')}`);
});
