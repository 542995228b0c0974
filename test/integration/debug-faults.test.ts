// Faults around debug sessions that debug-launch.test.ts and debug-adapter.test.ts do not cover
// (they cover: launched kernel-level guest running + QEMU killed, attached guest running + QEMU
// killed, launch with the host port taken). Here: QEMU killed while a Wasm-level launch is stopped
// on entry; the gdbstub connection dropped while QEMU lives on (through a loopback proxy of the
// test); and the adapter process ended by SIGTERM, as VS Code ends an adapter, while its guest runs.
// The adapter is dist/debugAdapter.js, driven by DebugClient; processes are checked in /proc.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { productRoot } from '../../src/util/paths';
import { freePort } from '../../src/util/ports';
import { buildTinyGuest, startHaltedQemu } from '../fixtures/debug/guest';
import { scratchDir } from '../fixtures/debug/scratch';
import { pidsMatching, qemuOfRun } from '../support/processes';

const ADAPTER = join(productRoot(), 'dist', 'debugAdapter.js');
const INIT = { adapterID: 'uniwasm', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' } as const;

/** Collects the output events of `dc`. */
function outputOf(dc: DebugClient): string[] {
  const output: string[] = [];
  dc.on('output', (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
  return output;
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !check(); await new Promise((r) => setTimeout(r, 50))) {
    assert.ok(Date.now() < deadline, `not within ${timeoutMs} ms: ${what}`);
  }
}

const redisPortIn = (output: string[]) => /embedded redis-server on 127\.0\.0\.1:(\d+)/.exec(output.join(''))?.[1];

test('launch at the Wasm level, stopped on entry: QEMU killed → terminated with the reason, nothing left after disconnect', { timeout: 300_000 }, async () => {
  const port = await freePort();
  const dc = new DebugClient('node', ADAPTER, 'uniwasm');
  dc.defaultTimeout = 120_000;
  await dc.start();
  const output = outputOf(dc);
  try {
    await dc.initializeRequest(INIT);
    const initialized = dc.waitForEvent('initialized');
    const app = join(productRoot(), 'examples', 'http-server-demo');
    const launched = dc.launchRequest({ app, port, stopOnEntry: true, cwd: scratchDir() } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    const entry = dc.waitForEvent('stopped', 120_000) as Promise<DebugProtocol.StoppedEvent>;
    await dc.configurationDoneRequest();
    await launched;
    assert.equal((await entry).body.reason, 'entry');
    const redisPort = redisPortIn(output);
    assert.ok(redisPort, `the adapter names its Redis:\n${output.join('')}`);
    const [qemu] = pidsMatching('qemu-system-x86_64', qemuOfRun(port));
    assert.ok(qemu, 'QEMU runs');

    const terminated = dc.waitForEvent('terminated', 30_000);
    process.kill(qemu, 'SIGKILL');
    await terminated;
    assert.match(output.join(''), /QEMU ended: QEMU killed by SIGKILL/);
    await dc.disconnectRequest({});
    assert.deepEqual(pidsMatching('qemu-system-x86_64', qemuOfRun(port)), [], 'no QEMU left');
    assert.deepEqual(pidsMatching('redis-server', `:${redisPort}`), [], 'no Redis left');
  } finally {
    await dc.stop();
  }
});

test('attach: the gdbstub connection dropped while QEMU lives → terminated with the reason; QEMU is not ended and takes a new attach', { timeout: 120_000 }, async () => {
  const kernel = buildTinyGuest();
  const qemu = await startHaltedQemu(kernel);
  // A loopback proxy between the adapter and the gdbstub: destroying its sockets drops the connection.
  const sockets: Socket[] = [];
  const proxy = createServer((client) => {
    const upstream = connect(qemu.gdbPort, '127.0.0.1');
    sockets.push(client, upstream);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  }).listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  const proxyPort = (proxy.address() as { port: number }).port;
  const clients: DebugClient[] = [];
  const attach = async (gdbPort: number, stopOnEntry: boolean) => {
    const dc = new DebugClient('node', ADAPTER, 'uniwasm');
    dc.defaultTimeout = 20_000;
    await dc.start();
    clients.push(dc);
    const output = outputOf(dc);
    await dc.initializeRequest(INIT);
    const initialized = dc.waitForEvent('initialized');
    const attached = dc.attachRequest({ port: gdbPort, kernel, stopOnEntry } as DebugProtocol.AttachRequestArguments);
    await initialized;
    const stopped = stopOnEntry ? dc.waitForEvent('stopped') : undefined;
    await dc.configurationDoneRequest();
    await attached;
    await stopped;
    return { dc, output };
  };
  try {
    const first = await attach(proxyPort, false);
    const terminated = first.dc.waitForEvent('terminated');
    for (const s of sockets) s.destroy();
    await terminated;
    assert.match(first.output.join(''), /GDB connection dropped, but 127\.0\.0\.1:\d+ still listens/, first.output.join(''));
    await first.dc.disconnectRequest({});
    assert.equal(qemu.child.exitCode, null, 'an attach does not own QEMU: it runs on');
    assert.equal(qemu.child.signalCode, null);

    const second = await attach(qemu.gdbPort, true);
    const trace = await second.dc.stackTraceRequest({ threadId: 1 });
    assert.equal(trace.body.stackFrames.length, 1, 'the new session reads the guest');
    await second.dc.disconnectRequest({ terminateDebuggee: true });
    await qemu.exited;
  } finally {
    for (const dc of clients) await dc.stop().catch(() => undefined);
    proxy.close();
    await qemu.stop();
  }
  assert.deepEqual(pidsMatching('qemu-system-x86_64', `tcp:127.0.0.1:${qemu.gdbPort}`), []);
});

test('launch: the adapter ended by SIGTERM (as VS Code ends it) while the guest runs takes its QEMU and Redis with it', { timeout: 300_000 }, async () => {
  // The adapter in server mode, so the test owns its process.
  const dapPort = await freePort();
  const adapter = spawn(process.execPath, [ADAPTER, `--server=${dapPort}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  const adapterExit = once(adapter, 'exit');
  const port = await freePort();
  const dc = new DebugClient('node', ADAPTER, 'uniwasm');
  let redisPort: string | undefined;
  try {
    for (let connected = false; !connected; ) {
      connected = await new Promise<boolean>((resolve) => {
        const probe = connect(dapPort, '127.0.0.1', () => (probe.end(), resolve(true)));
        probe.on('error', () => setTimeout(() => resolve(false), 50));
      });
    }
    await dc.start(dapPort);
    const output = outputOf(dc);
    await dc.initializeRequest(INIT);
    const initialized = dc.waitForEvent('initialized');
    const launched = dc.launchRequest({ app: join(productRoot(), 'examples', 'hello'), port, debugWasm: false } as DebugProtocol.LaunchRequestArguments);
    await initialized;
    await dc.configurationDoneRequest();
    await launched;
    await until('the adapter says ready', () => output.join('').includes(`ready http://127.0.0.1:${port}`), 120_000);
    redisPort = redisPortIn(output);
    assert.ok(redisPort, output.join(''));
    assert.equal(pidsMatching('qemu-system-x86_64', qemuOfRun(port)).length, 1);
    assert.equal(pidsMatching('redis-server', `:${redisPort}`).length, 1);

    adapter.kill('SIGTERM');
    await adapterExit;
    await until('QEMU and Redis end with the adapter', () =>
      pidsMatching('qemu-system-x86_64', qemuOfRun(port)).length + pidsMatching('redis-server', `:${redisPort}`).length === 0, 10_000);
  } finally {
    adapter.kill('SIGKILL'); // its end closes the DebugClient's socket too
    // Whatever the adapter left behind (this run's QEMU and Redis only), so a failure leaves nothing running.
    const left = [...pidsMatching('qemu-system-x86_64', qemuOfRun(port)), ...(redisPort ? pidsMatching('redis-server', `:${redisPort}`) : [])];
    for (const pid of left) process.kill(pid, 'SIGKILL');
  }
});
