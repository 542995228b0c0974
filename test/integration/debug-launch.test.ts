// `launch` end to end at the kernel level (`debugWasm: false`; debug-wasm.test.ts covers the Wasm
// level): the adapter (dist/debugAdapter.js) builds what is stale, boots the real kernel with
// examples/hello halted under QEMU's gdbstub with an embedded Redis, stops on the kernel's PVH
// entry, steps, hits a function breakpoint on a kernel symbol, serves HTTP once resumed, pauses,
// reads memory, and leaves no QEMU or Redis behind after disconnect.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { productRoot } from '../../src/util/paths';
import { freePort } from '../../src/util/ports';
import { pidsMatching, qemuOfRun } from '../support/processes';
import { get } from '../support/debug';

async function frameName(dc: DebugClient): Promise<{ name: string; ip: string }> {
  const trace = await dc.stackTraceRequest({ threadId: 1 });
  const frame = trace.body.stackFrames[0];
  return { name: frame.name, ip: frame.instructionPointerReference! };
}

async function stopAfter(dc: DebugClient, action: () => Promise<unknown>, timeout = 60_000): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped', timeout);
  await action();
  return (await stopped) as DebugProtocol.StoppedEvent;
}

/** The standalone adapter over stdio, with its output events collected. */
async function startClient(): Promise<{ dc: DebugClient; output: string[] }> {
  const dc = new DebugClient('node', join(productRoot(), 'dist', 'debugAdapter.js'), 'uniwasm');
  dc.defaultTimeout = 120_000;
  await dc.start();
  const output: string[] = [];
  dc.on('output', (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
  return { dc, output };
}

test('launch: entry, step, kernel function breakpoint, HTTP after continue, pause, memory, clean disconnect', async () => {
  const port = await freePort();
  const { dc, output } = await startClient();
  try {
    const started = Date.now();
    await dc.initializeRequest({ adapterID: 'uniwasm', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    const initialized = dc.waitForEvent('initialized');
    const launched = dc.launchRequest({ app: join(productRoot(), 'examples', 'hello'), port, stopOnEntry: true, debugWasm: false } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    const entry = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await dc.configurationDoneRequest();
    await launched;
    assert.equal((await entry).body.reason, 'entry');
    console.log(`launch to the kernel entry: ${Date.now() - started} ms`);
    assert.deepEqual(await frameName(dc), { name: 'pvh_start', ip: '0x101000' }, 'stopped on the PVH entry, past the firmware');
    const redisPort = /embedded redis-server on 127\.0\.0\.1:(\d+)/.exec(output.join(''))?.[1];
    assert.ok(redisPort, `the adapter names its Redis:\n${output.join('')}`);

    const step = await stopAfter(dc, () => dc.nextRequest({ threadId: 1 }));
    assert.equal(step.body.reason, 'step');
    assert.notEqual((await frameName(dc)).ip, '0x101000');

    // A kernel function on the poll loop's path, named as a user would: no crate, no generics.
    const bps = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'Net::poll' }] });
    assert.equal(bps.body.breakpoints[0].verified, true, bps.body.breakpoints[0].message);
    const hit = await stopAfter(dc, () => dc.continueRequest({ threadId: 1 }));
    assert.equal(hit.body.reason, 'function breakpoint');
    assert.equal((await frameName(dc)).name, 'uniwasm_kernel::net::Net::poll');

    // Without breakpoints the guest boots on and answers HTTP; the adapter says `ready URL`.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc.continueRequest({ threadId: 1 });
    const url = `http://127.0.0.1:${port}`;
    for (const deadline = Date.now() + 60_000; !output.join('').includes(`ready ${url}`); ) {
      assert.ok(Date.now() < deadline, `no ready line:\n${output.join('')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // A plain request with no timeout of its own: on a loaded machine the answer may take seconds.
    assert.equal((await get(`${url}/hello`)).status, 200);
    assert.match(output.join(''), /INFO\s+ready: listening/, 'the guest console reaches the debug console');

    const paused = await stopAfter(dc, () => dc.pauseRequest({ threadId: 1 }));
    assert.equal(paused.body.reason, 'pause');
    const scopes = await dc.scopesRequest({ frameId: 1 });
    const regs = await dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
    const rsp = regs.body.variables.find((v) => v.name === 'rsp')!;
    const stack = await dc.customRequest('readMemory', { memoryReference: rsp.memoryReference, count: 64 });
    assert.equal(Buffer.from(stack.body.data, 'base64').length, 64);
    const kernel = await dc.variablesRequest({ variablesReference: scopes.body.scopes[1].variablesReference });
    assert.equal(kernel.body.variables.find((v) => v.name === 'cpu mode')?.value, 'long mode (64-bit, paging on)');

    await dc.disconnectRequest({});
    assert.deepEqual(pidsMatching('qemu-system-x86_64', qemuOfRun(port)), [], 'no QEMU left');
    assert.deepEqual(pidsMatching('redis-server', `:${redisPort}`), [], 'no Redis left');
  } finally {
    await dc.stop();
  }
});

test('launch: QEMU dying ends the session with terminated, the reason, and no Redis left', async () => {
  const port = await freePort();
  const { dc, output } = await startClient();
  try {
    await dc.initializeRequest({ adapterID: 'uniwasm', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    const initialized = dc.waitForEvent('initialized');
    const launched = dc.launchRequest({ app: join(productRoot(), 'examples', 'hello'), port, debugWasm: false } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    await dc.configurationDoneRequest();
    await launched;
    for (const deadline = Date.now() + 60_000; !output.join('').includes(`ready http://127.0.0.1:${port}`); ) {
      assert.ok(Date.now() < deadline, `no ready line:\n${output.join('')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const redisPort = /embedded redis-server on 127\.0\.0\.1:(\d+)/.exec(output.join(''))?.[1];
    const [qemu] = pidsMatching('qemu-system-x86_64', qemuOfRun(port));
    assert.ok(qemu, 'QEMU runs');
    const terminated = dc.waitForEvent('terminated');
    process.kill(qemu, 'SIGKILL');
    await terminated;
    assert.match(output.join(''), /QEMU ended: QEMU killed by SIGKILL/);
    await dc.disconnectRequest({});
    assert.deepEqual(pidsMatching('redis-server', `:${redisPort}`), [], 'no Redis left');
  } finally {
    await dc.stop();
  }
});

test('launch: a taken host port fails the launch with a clear message', async () => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const dc = new DebugClient('node', join(productRoot(), 'dist', 'debugAdapter.js'), 'uniwasm');
  await dc.start();
  try {
    await dc.initializeRequest({ adapterID: 'uniwasm', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    await assert.rejects(
      dc.launchRequest({ app: join(productRoot(), 'examples', 'hello'), port } as DebugProtocol.LaunchRequestArguments),
      new RegExp(`Uniwasm launch failed: host port: port ${port} on 127.0.0.1 is already in use`),
    );
  } finally {
    await dc.stop();
    server.close();
  }
});
