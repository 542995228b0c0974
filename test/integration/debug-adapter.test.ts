// The debug adapter (dist/debugAdapter.js, DAP over stdio) driven by DebugClient against a real
// QEMU 7.2 gdbstub: attach to the tiny PVH guest of test/fixtures/debug (symbols from its ELF), stop
// on entry, registers, steps, function and instruction breakpoints, pause/continue, memory, and the
// ends of a session (terminate, detach, QEMU dying). Needs `node scripts/build.mjs` first.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { productRoot } from '../../src/util/paths';
import { buildTinyGuest, startHaltedQemu, type TestQemu } from '../fixtures/debug/guest';
import { pidsMatching } from '../support/processes';

let kernel: string;
const qemus: TestQemu[] = [];
const clients: DebugClient[] = [];

before(() => {
  kernel = buildTinyGuest();
});

after(async () => {
  for (const dc of clients) await dc.stop().catch(() => undefined);
  for (const qemu of qemus) await qemu.stop();
  for (const qemu of qemus) assert.deepEqual(pidsMatching('qemu-system-x86_64', `tcp:127.0.0.1:${qemu.gdbPort}`), []);
});

async function newClient(): Promise<DebugClient> {
  const dc = new DebugClient('node', join(productRoot(), 'dist', 'debugAdapter.js'), 'uniwasm', {}, true);
  dc.defaultTimeout = 20_000;
  await dc.start();
  clients.push(dc);
  return dc;
}

async function newQemu(): Promise<TestQemu> {
  const qemu = await startHaltedQemu(kernel);
  qemus.push(qemu);
  return qemu;
}

/**
 * initialize → attach → initialized → (breakpoints) → configurationDone, as VS Code does. With
 * `expectStop`, waits for the first stopped event (entry, or a breakpoint set by `configure`).
 */
async function attach(dc: DebugClient, qemu: TestQemu, configure: () => Promise<unknown> = async () => {}, stopOnEntry = true, expectStop = stopOnEntry) {
  const init = await dc.initializeRequest({ adapterID: 'uniwasm', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const initialized = dc.waitForEvent('initialized');
  const attached = dc.attachRequest({ port: qemu.gdbPort, kernel, stopOnEntry } as DebugProtocol.AttachRequestArguments);
  await initialized;
  await configure();
  const stopped = expectStop ? (dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>) : undefined;
  await dc.configurationDoneRequest();
  await attached;
  return { capabilities: init.body!, stopped: await stopped };
}

async function frame(dc: DebugClient, threadId = 1): Promise<DebugProtocol.StackFrame> {
  const trace = await dc.stackTraceRequest({ threadId });
  assert.equal(trace.body.stackFrames.length, 1);
  return trace.body.stackFrames[0];
}

async function registers(dc: DebugClient): Promise<Map<string, string>> {
  const { body } = await dc.scopesRequest({ frameId: (await frame(dc)).id });
  const scope = body.scopes.find((s) => s.name === 'Registers')!;
  const vars = await dc.variablesRequest({ variablesReference: scope.variablesReference });
  return new Map(vars.body.variables.map((v) => [v.name, v.value]));
}

async function stopAfter(dc: DebugClient, action: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped');
  await action();
  return (await stopped) as DebugProtocol.StoppedEvent;
}

async function symbolAddress(dc: DebugClient, name: string): Promise<string> {
  const result = await dc.evaluateRequest({ expression: name, context: 'repl' });
  assert.ok(result.body.memoryReference, `${name} has an address`);
  return result.body.memoryReference!;
}

async function readWord(dc: DebugClient, name: string): Promise<number> {
  const read = await dc.customRequest('readMemory', { memoryReference: await symbolAddress(dc, name), count: 4 });
  return Buffer.from(read.body.data, 'base64').readUInt32LE(0);
}

test('attach, stop on entry, registers, step, function and instruction breakpoints, pause, memory, terminate', async () => {
  const qemu = await newQemu();
  const dc = await newClient();
  const started = Date.now();
  const { capabilities, stopped } = await attach(dc, qemu);
  for (const cap of ['supportsConfigurationDoneRequest', 'supportsFunctionBreakpoints', 'supportsInstructionBreakpoints',
    'supportsReadMemoryRequest', 'supportsWriteMemoryRequest', 'supportsTerminateRequest'] as const) {
    assert.equal(capabilities[cap], true, cap);
  }
  assert.equal(stopped!.body.reason, 'entry');
  assert.equal(stopped!.body.threadId, 1);
  console.log(`attach to stop on entry: ${Date.now() - started} ms`);

  const threads = await dc.threadsRequest();
  assert.deepEqual(threads.body.threads.map((t) => t.name), ['vCPU 0']);

  // Entry is the kernel's PVH entry (from its note), not the firmware's reset vector.
  let top = await frame(dc);
  assert.equal(top.name, 'pvh_entry');
  assert.equal(top.instructionPointerReference, '0x100000');
  let regs = await registers(dc);
  assert.equal(regs.get('rip'), '0x0000000000100000');
  for (const name of ['rax', 'rsp', 'eflags', 'cs', 'cr0', 'efer']) assert.ok(regs.has(name), name);
  assert.match(regs.get('eflags')!, /\[.*\]/);

  const scopes = await dc.scopesRequest({ frameId: top.id });
  assert.deepEqual(scopes.body.scopes.map((s) => s.name), ['Registers', 'Kernel']);
  const kernelVars = await dc.variablesRequest({ variablesReference: scopes.body.scopes[1].variablesReference });
  const location = kernelVars.body.variables.find((v) => v.name === 'cpu mode')!;
  assert.equal(location.value, 'protected mode (32-bit, paging off)');

  // One instruction: mov $stack_top, %esp is 5 bytes.
  const step = await stopAfter(dc, () => dc.nextRequest({ threadId: 1 }));
  assert.equal(step.body.reason, 'step');
  assert.equal((await frame(dc)).instructionPointerReference, '0x100005');
  assert.equal((await registers(dc)).get('rsp'), '0x0000000000102010', 'esp = stack_top');

  // Step in on `call fixture_tick` lands in fixture_tick; step out returns to the loop.
  await stopAfter(dc, () => dc.stepInRequest({ threadId: 1 }));
  assert.equal((await frame(dc)).name, 'fixture_tick');
  const out = await stopAfter(dc, () => dc.stepOutRequest({ threadId: 1 }));
  assert.equal(out.body.reason, 'step');
  assert.equal((await frame(dc)).name, 'pvh_entry+0xa', 'back after the call');

  // Function breakpoint on a kernel symbol.
  const fbp = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'fixture_add' }, { name: 'no_such_function' }] });
  assert.equal(fbp.body.breakpoints[0].verified, true);
  assert.equal(fbp.body.breakpoints[1].verified, false);
  const hit = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
  assert.equal(hit.body.reason, 'function breakpoint');
  assert.deepEqual(hit.body.hitBreakpointIds, [fbp.body.breakpoints[0].id]);
  top = await frame(dc);
  assert.equal(top.name, 'fixture_add');
  assert.equal(await readWord(dc, 'counter'), 1, 'fixture_tick ran once');

  // Memory: read an 8-byte string, write a word and read it back.
  const magic = await dc.customRequest('readMemory', { memoryReference: await symbolAddress(dc, 'magic'), count: 8 });
  assert.equal(Buffer.from(magic.body.data, 'base64').toString('latin1'), 'UNIWASM!');
  const word = Buffer.alloc(4);
  word.writeUInt32LE(1000);
  const written = await dc.customRequest('writeMemory', { memoryReference: await symbolAddress(dc, 'total'), data: word.toString('base64') });
  assert.equal(written.body.bytesWritten, 4);
  assert.equal(await readWord(dc, 'total'), 1000);
  const offset = await dc.customRequest('readMemory', { memoryReference: await symbolAddress(dc, 'magic'), offset: 4, count: 4 });
  assert.equal(Buffer.from(offset.body.data, 'base64').toString('latin1'), 'ASM!');

  // Second hit of the same breakpoint: counter 2, total 1000 + 1 (the first add) … the loop runs on.
  await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
  assert.equal(await readWord(dc, 'counter'), 2);

  // Instruction breakpoint at fixture_tick+0 replaces the function breakpoint.
  await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
  const tick = await symbolAddress(dc, 'fixture_tick');
  const ibp = await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: tick }] });
  assert.equal(ibp.body.breakpoints[0].verified, true);
  const ihit = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
  assert.equal(ihit.body.reason, 'instruction breakpoint');
  assert.equal((await frame(dc)).name, 'fixture_tick');
  assert.equal(await readWord(dc, 'counter'), 2, 'stopped before the increment');

  // Continuing from a breakpoint onto the next instruction, which has one too (incl counter is 6 bytes).
  await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: tick }, { instructionReference: tick, offset: 6 }] });
  const next = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
  assert.equal(next.body.reason, 'instruction breakpoint');
  assert.equal((await frame(dc)).name, 'fixture_tick+0x6');
  assert.equal(await readWord(dc, 'counter'), 3);

  // Registers can be written.
  const regsRef = (await dc.scopesRequest({ frameId: 1 })).body.scopes[0].variablesReference;
  const set = await dc.setVariableRequest({ variablesReference: regsRef, name: 'rax', value: '0x1234' });
  assert.equal(set.body.value, '0x0000000000001234');

  // No breakpoints: run free, then pause.
  await dc.customRequest('setInstructionBreakpoints', { breakpoints: [] });
  await dc.continueRequest({ threadId: 1 });
  await new Promise((r) => setTimeout(r, 300));
  const paused = await stopAfter(dc, () => dc.pauseRequest({ threadId: 1 }));
  assert.equal(paused.body.reason, 'pause');
  assert.ok((await readWord(dc, 'counter')) > 1000, 'the loop ran while continued');

  // A breakpoint set while the guest runs applies (the adapter interrupts and resumes quietly).
  await dc.continueRequest({ threadId: 1 });
  const late = await stopAfter(dc, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'fixture_tick' }] }));
  assert.equal(late.body.reason, 'function breakpoint');

  // terminate ends the attached QEMU (through its monitor): no QEMU left.
  const terminated = dc.waitForEvent('terminated');
  await dc.terminateRequest({});
  await terminated;
  await dc.disconnectRequest({});
  await qemu.exited;
  assert.deepEqual(pidsMatching('qemu-system-x86_64', `tcp:127.0.0.1:${qemu.gdbPort}`), []);
});

test('disconnect from an attached guest detaches: the guest runs on without its breakpoints', async () => {
  const qemu = await newQemu();
  const dc = await newClient();
  const { stopped } = await attach(dc, qemu, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'fixture_tick' }] }), false, true);
  assert.equal(stopped!.body.reason, 'function breakpoint');
  await dc.disconnectRequest({ terminateDebuggee: false });
  // A second session finds the guest still alive and far past that breakpoint.
  await new Promise((r) => setTimeout(r, 200));
  const again = await newClient();
  await attach(again, qemu);
  assert.ok((await readWord(again, 'counter')) > 100, 'the guest ran after the detach');
  await again.disconnectRequest({ terminateDebuggee: true });
  await qemu.exited;
});

test('QEMU dying ends the session with terminated and the reason', async () => {
  const qemu = await newQemu();
  const dc = await newClient();
  await attach(dc, qemu, async () => {}, false);
  const said: string[] = [];
  dc.on('output', (e: DebugProtocol.OutputEvent) => said.push(e.body.output));
  const terminated = dc.waitForEvent('terminated');
  qemu.child.kill('SIGKILL');
  await terminated;
  assert.match(said.join(''), /QEMU closed the GDB connection: nothing listens on 127\.0\.0\.1:\d+ any more/);
});
