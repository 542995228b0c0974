// The Wasm level's instructions and data through the real adapter on QEMU (docs/DEBUGGING.md):
// the Disassembly view's requests at a stop in the demo (the frame's instruction, pages both ways,
// wasm-objdump's text, source lines), a step at instruction granularity, an instruction breakpoint
// on a statement's instruction, and data breakpoints
// (gdbstub watchpoints on linear memory) on C apps of our own that stop at the line that wrote
// or read the watched bytes, also after memory.grow moved linear memory.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { objdumpText } from '../fixtures/debug/wasmTools';
import { DEMO, debugApp, get, launchWasmDebug } from '../support/debug';
import { pidsMatching, qemuOfRun } from '../support/processes';

async function stopAfter(dc: DebugClient, action: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped', 60_000);
  await action();
  return (await stopped) as DebugProtocol.StoppedEvent;
}

async function frames(dc: DebugClient, threadId: number): Promise<DebugProtocol.StackFrame[]> {
  return (await dc.stackTraceRequest({ threadId })).body.stackFrames;
}

async function disassemble(dc: DebugClient, memoryReference: string, instructionOffset: number, instructionCount: number): Promise<DebugProtocol.DisassembledInstruction[]> {
  return (await dc.disassembleRequest({ memoryReference, offset: 0, instructionOffset, instructionCount, resolveSymbols: true })).body!.instructions;
}

async function disconnect(dc: DebugClient, port: number): Promise<void> {
  await dc.disconnectRequest({});
  assert.deepEqual(pidsMatching('qemu-system-x86_64', qemuOfRun(port)), [], 'no QEMU left');
}

/** GET /hello until the guest stops: the stop, and the answer to await once resumed. */
async function helloUntilStop(dc: DebugClient, url: string): Promise<{ stop: DebugProtocol.StoppedEvent; answer: Promise<{ status: number }> }> {
  const stopped = dc.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
  const answer = get(`${url}/hello`);
  answer.catch(() => undefined); // awaited by the caller
  return { stop: await stopped, answer };
}

/** One of our apps launched with a line breakpoint on its inserted statement, and a request stopped there. */
async function stoppedAtLine(app: { dir: string; source: string; line: number }): Promise<{ dc: DebugClient; port: number; thread: number; answer: Promise<{ status: number }> }> {
  const { dc, url, port } = await launchWasmDebug(app.dir, async (dc) => {
    const bps = await dc.setBreakpointsRequest({ source: { path: app.source }, breakpoints: [{ line: app.line }] });
    assert.equal(bps.body.breakpoints[0].verified, true, bps.body.breakpoints[0].message);
  });
  try {
    const { stop, answer } = await helloUntilStop(dc, url);
    assert.equal((await frames(dc, stop.body.threadId!))[0].line, app.line);
    return { dc, port, thread: stop.body.threadId!, answer };
  } catch (err) {
    await dc.stop();
    throw err;
  }
}

/** Every breakpoint of `source` and every data breakpoint out, the request answered, the session ended. */
async function finish(dc: DebugClient, port: number, thread: number, answer: Promise<{ status: number }>, source: string): Promise<void> {
  await dc.setDataBreakpointsRequest({ breakpoints: [] });
  await dc.setBreakpointsRequest({ source: { path: source }, breakpoints: [] });
  await dc.continueRequest({ threadId: thread });
  assert.equal((await answer).status, 200);
  await disconnect(dc, port);
}

/** wasm-objdump's line without its ` <name>` annotations, for the instructions whose text is the same in both (no constants or memory arguments). */
function comparable(text: string): string | undefined {
  return /const|load|store/.test(text) ? undefined : text.replace(/ <[^>]*>/g, '');
}

test('Wasm disassembly at a stop: the frame\'s instruction, pages both ways as wasm-objdump prints them, lines; an instruction step and breakpoint', async () => {
  const { dc, url, port } = await launchWasmDebug(DEMO, async (dc) => {
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'handle-hello' }] });
  });
  try {
    const objdump = objdumpText(readFileSync(join(DEMO, 'build', 'http-server-demo.wasm')));
    const offsets = [...objdump.keys()];
    const { stop: hello, answer } = await helloUntilStop(dc, url);
    const thread = hello.body.threadId!;
    const [top] = await frames(dc, thread);
    assert.equal(top.name, 'handle-hello');
    const reference = top.instructionPointerReference!;
    assert.match(reference, /^wasm-code:0x[0-9a-f]+$/);
    const at = parseInt(reference.slice('wasm-code:'.length), 16);
    assert.ok(objdump.has(at), 'the frame points at an instruction wasm-objdump lists');

    // Ten instructions back, twenty on: wasm-objdump's consecutive instructions, the frame's in the middle.
    const page = await disassemble(dc, reference, -10, 30);
    assert.equal(page.length, 30);
    const index = offsets.indexOf(at);
    assert.deepEqual(page.map((i) => i.address), offsets.slice(index - 10, index + 20).map((o) => `0x${o.toString(16)}`));
    for (const ins of page) {
      const theirs = comparable(objdump.get(parseInt(ins.address, 16))!);
      if (theirs !== undefined) assert.equal(ins.instruction.replace(/ <[^>]*>/g, ''), theirs, `at ${ins.address}`);
    }
    assert.equal(page[10].symbol, 'handle-hello');
    assert.equal(page[10].location?.path, top.source?.path, 'the instruction is in the frame\'s source file');
    assert.ok(page[10].line! > 0 && page[10].line! <= top.line, `a line of handle-hello: ${page[10].line}`);
    assert.notEqual(page[9].symbol, 'handle-hello', 'the instruction before is the previous function\'s');
    // Far before the module's first instruction: fillers only, as many as asked for.
    const before = await disassemble(dc, reference, -1_000_000, 5);
    assert.deepEqual(before.map((i) => [i.address, i.presentationHint]), Array(5).fill(['-1', 'invalid']));

    // An instruction step: the next probe, here handle-hello's first statement.
    const step = await stopAfter(dc, () => dc.nextRequest({ threadId: thread, granularity: 'instruction' }));
    assert.equal(step.body.reason, 'step');
    const [after] = await frames(dc, thread);
    assert.notEqual(after.instructionPointerReference, reference);
    assert.ok(parseInt(after.instructionPointerReference!.slice('wasm-code:'.length), 16) > at, 'further on in the code');

    // An instruction breakpoint from the Disassembly view on that statement's instruction (the one
    // after it has no probe): the next request stops there, as an instruction breakpoint.
    const [second] = await disassemble(dc, after.instructionPointerReference!, 1, 1);
    const set = (await dc.customRequest('setInstructionBreakpoints', { breakpoints: [
      { instructionReference: after.instructionPointerReference! },
      { instructionReference: `wasm-code:${second.address}` },
    ] })) as DebugProtocol.SetInstructionBreakpointsResponse;
    assert.deepEqual(set.body.breakpoints.map((b) => b.verified), [true, false]);
    assert.match(set.body.breakpoints[1].message!, /no probe here/);
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc.continueRequest({ threadId: thread });
    assert.equal((await answer).status, 200);
    const { stop: hit, answer: second200 } = await helloUntilStop(dc, url);
    assert.equal(hit.body.reason, 'instruction breakpoint');
    assert.deepEqual(hit.body.hitBreakpointIds, [set.body.breakpoints[0].id]);
    assert.equal((await frames(dc, thread))[0].instructionPointerReference, after.instructionPointerReference);
    await dc.customRequest('setInstructionBreakpoints', { breakpoints: [] });
    await dc.continueRequest({ threadId: thread });
    assert.equal((await second200).status, 200);
    await disconnect(dc, port);
  } finally {
    await dc.stop();
  }
});

test('data breakpoints on linear memory: a write, then a read, each stops at the line that did it', async () => {
  const app = debugApp('watch-app', 'volatile int *watched = (volatile int *)1024;\n  *watched = 42;\n  int seen = *watched;\n  (void)seen;');
  const { dc, port, thread, answer } = await stoppedAtLine(app);
  try {

    const info = await dc.dataBreakpointInfoRequest({ name: '&mem[1024]' });
    assert.equal(info.body.dataId, 'wasm-data:0x400:4');
    assert.deepEqual(info.body.accessTypes, ['write', 'read', 'readWrite']);
    const none = await dc.dataBreakpointInfoRequest({ name: 'req->uri' });
    assert.equal(none.body.dataId, null);
    // A global that holds an address: the memory it points at (the C stack pointer's).
    const globals = (await dc.scopesRequest({ frameId: (await frames(dc, thread))[0].id })).body.scopes.find((s) => s.name === 'Globals (Wasm)')!;
    const sp = await dc.dataBreakpointInfoRequest({ name: '__stack_pointer', variablesReference: globals.variablesReference });
    assert.match(sp.body.dataId!, /^wasm-data:0x[0-9a-f]+:4$/);
    assert.match(sp.body.description, /^\*__stack_pointer: linear memory 0x/);

    const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
    assert.equal(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
    const written = await stopAfter(dc, () => dc.continueRequest({ threadId: thread }));
    assert.equal(written.body.reason, 'data breakpoint');
    assert.deepEqual(written.body.hitBreakpointIds, [set.body.breakpoints[0].id]);
    const writer = await frames(dc, thread);
    assert.equal(writer[0].name, 'exports_hello_handle_hello');
    assert.equal(writer[0].source?.path, app.source);
    assert.equal(writer[0].line, app.line + 1, 'the line that wrote');
    assert.equal(writer[1].name, 'handle-hello');
    const [call] = await disassemble(dc, writer[1].instructionPointerReference!, 0, 1);
    assert.match(call.instruction, /^\s*call \d+ <exports_hello_handle_hello>$/, 'the caller\'s frame is at its call');
    assert.equal(writer.at(-1)!.id, thread, 'then the kernel frame, in the interpreter');
    const memory = await dc.customRequest('readMemory', { memoryReference: 'wasm:0x400', offset: 0, count: 4 });
    assert.equal(Buffer.from(memory.body.data, 'base64').readInt32LE(0), 42, 'the write is done when it stops');

    // A read watchpoint (Z3): the next line reads the value back.
    const read = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'read' }] });
    assert.equal(read.body.breakpoints[0].verified, true, read.body.breakpoints[0].message);
    const reader = await stopAfter(dc, () => dc.continueRequest({ threadId: thread }));
    assert.equal(reader.body.reason, 'data breakpoint');
    assert.equal((await frames(dc, thread))[0].line, app.line + 2, 'the line that read');

    // Either access (Z4), over a length of the client's choosing, the address given as one ("Add Data Breakpoint at Address").
    const either = await dc.dataBreakpointInfoRequest({ name: '0x400', asAddress: true, bytes: 2 });
    assert.equal(either.body.dataId, 'wasm-data:0x400:2');
    const access = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: either.body.dataId!, accessType: 'readWrite' }] });
    assert.equal(access.body.breakpoints[0].verified, true, access.body.breakpoints[0].message);
    await finish(dc, port, thread, answer, app.source);
  } finally {
    await dc.stop();
  }
});

test('a data breakpoint follows linear memory when memory.grow moves it, running or stepped', async () => {
  // 256 pages (16 MiB) more, twice: the interpreter reallocates linear memory elsewhere in the kernel's heap.
  const grow = '__builtin_wasm_memory_grow(0, 256);';
  const app = debugApp('grow-app', `volatile int *watched = (volatile int *)1024;\n  ${grow}\n  *watched = 7;\n  ${grow}\n  *watched = 8;`);
  const { dc, port, thread, answer } = await stoppedAtLine(app);
  /** The kernel address of linear memory at the current stop (the Memory scope's). */
  const memoryBase = async (): Promise<string> => {
    const memory = (await dc.scopesRequest({ frameId: (await frames(dc, thread))[0].id })).body.scopes.find((s) => s.name === 'Memory')!;
    const variables = (await dc.variablesRequest({ variablesReference: memory.variablesReference })).body.variables;
    return variables.find((v) => v.name === 'kernel address')!.value;
  };
  const watched = async (): Promise<number> => {
    const memory = await dc.customRequest('readMemory', { memoryReference: 'wasm:0x400', offset: 0, count: 4 });
    return Buffer.from(memory.body.data, 'base64').readInt32LE(0);
  };
  try {
    const before = await memoryBase();
    const info = await dc.dataBreakpointInfoRequest({ name: '&mem[1024]' });
    const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
    assert.equal(set.body.breakpoints[0].verified, true, set.body.breakpoints[0].message);
    assert.ok(set.body.breakpoints[0].message!.endsWith(`at kernel address 0x${(BigInt(before) + 1024n).toString(16)}`), set.body.breakpoints[0].message);

    // Running across the grow: no stop until the write, in the moved memory (the kernel tells the
    // adapter at the grow, through a watchpoint on the mailbox's memory_base, and the watchpoint follows).
    const written = await stopAfter(dc, () => dc.continueRequest({ threadId: thread }));
    assert.equal(written.body.reason, 'data breakpoint');
    assert.deepEqual(written.body.hitBreakpointIds, [set.body.breakpoints[0].id]);
    assert.equal((await frames(dc, thread))[0].line, app.line + 2, 'the line that wrote, in the moved memory');
    assert.notEqual(await memoryBase(), before, 'memory.grow moved linear memory');
    assert.equal(await watched(), 7);

    // Stepped over the second grow: the watchpoint is where linear memory is at the next statement.
    await stopAfter(dc, () => dc.nextRequest({ threadId: thread }));
    await stopAfter(dc, () => dc.nextRequest({ threadId: thread }));
    assert.equal((await frames(dc, thread))[0].line, app.line + 4);
    const again = await stopAfter(dc, () => dc.continueRequest({ threadId: thread }));
    assert.equal(again.body.reason, 'data breakpoint');
    assert.deepEqual(again.body.hitBreakpointIds, [set.body.breakpoints[0].id]);
    assert.equal((await frames(dc, thread))[0].line, app.line + 4, 'the line that wrote after the second grow');
    assert.equal(await watched(), 8);
    await finish(dc, port, thread, answer, app.source);
  } finally {
    await dc.stop();
  }
});
