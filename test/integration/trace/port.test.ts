// The guest's trace port end to end under TCG: the real kernel with the demo app writes docs/TRACE.md
// lines on COM2, QEMU carries them to the run session's Unix socket, and the traffic core decodes them
// and pairs the KeyValue calls with what a real MONITOR on the embedded Redis saw. Also `uniwasm run
// --trace FILE`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RunSession, type RunOptions } from '../../../src/run/session';
import { TrafficCore } from '../../../src/traffic/core';
import { RedisMonitor } from '../../../src/traffic/monitor';
import { witSignaturesFromDir } from '../../../src/traffic/signature';
import type { HttpEvent, KvEvent } from '../../../src/trace/format';
import { productRoot } from '../../../src/util/paths';
import { freePort } from '../../../src/util/ports';
import { startCli, waitForReady } from '../../support/cli';
import { pidsMatching, qemuOfRun } from '../../support/processes';

const DEMO = join(productRoot(), 'examples', 'http-server-demo');
const IFACE = 'spiderlightning:slight/keyvalue';

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Run options for the demo under TCG; `log` collects the session's messages (the QEMU command line). */
function options(app: string, port: number, onTrace: (line: string) => void, log: string[]): RunOptions {
  return {
    app, port, accel: 'tcg', memoryMiB: 128, machine: 'microvm', qemuBinary: 'qemu-system-x86_64',
    extraKernelArgs: [], readyTimeoutMs: 90_000, observers: [{ traceLine: onTrace }], onLog: (m) => log.push(m),
  };
}

/** The trace socket folder named in the logged QEMU command line. */
function traceDir(log: string[]): string {
  const dir = log.map((m) => /path=(\/\S+?)\/trace\.sock,server=off/.exec(m)?.[1]).find((d) => d !== undefined);
  assert.ok(dir, `QEMU was given a trace socket:\n${log.join('\n')}`);
  return dir;
}

test('the demo’s HTTP and KeyValue events arrive on the trace port and pair with MONITOR’s SET', async () => {
  const port = await freePort();
  const lines: string[] = [];
  const reports: string[] = [];
  const core = new TrafficCore({ signatures: witSignaturesFromDir(join(productRoot(), 'wit'), (m) => reports.push(m)), report: (m) => reports.push(m) });
  const log: string[] = [];
  const session = await RunSession.start(options(DEMO, port, (line) => {
    lines.push(line);
    core.onTrace(line);
  }, log));
  let monitor: RedisMonitor | undefined;
  try {
    monitor = new RedisMonitor(session.redisServer, { onCommand: (c) => core.addCommand(c) });
    monitor.start();
    await monitor.waitMonitoring();

    const hello = await fetch(`${session.url}/hello`);
    assert.equal(hello.status, 200);
    assert.equal(await hello.text(), 'hello, world\n');
    const put = await fetch(`${session.url}/bar`, { method: 'PUT', body: 'hello' });
    assert.equal(put.status, 200);
    await put.arrayBuffer();
    const foo = await fetch(`${session.url}/foo`);
    assert.equal(await foo.text(), 'hello');

    const http = () => core.http.list().reverse();
    const mine = (e: HttpEvent) => ['/hello', '/bar', '/foo'].includes(e.path);
    await until('the three requests on the trace port', () => http().filter(mine).length === 3);

    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(events[0], { type: 'hello', v: 1, kernel: events[0]!.kernel }, 'hello comes first');
    assert.match(String(events[0]!.kernel), /^uniwasm /);
    assert.ok(events.some((e) => e.type === 'heap'), 'the boot-time heap event');
    // Each request opens with its http_start (same id, method and path) before its http event; none is left in flight.
    for (const e of http().filter(mine)) {
      const start = events.findIndex((x) => x.type === 'http_start' && x.id === e.id);
      assert.ok(start >= 0 && start < events.findIndex((x) => x.type === 'http' && x.id === e.id), `http_start of #${e.id} first`);
      assert.deepEqual([events[start]!.method, events[start]!.path], [e.method, e.path]);
    }
    assert.deepEqual(core.inFlight(), []);

    assert.deepEqual(http().filter(mine).map((e) => [e.method, e.path, e.status, e.handler, e.reqBody.toString()]), [
      ['GET', '/hello', 200, 'handle-hello', ''],
      ['PUT', '/bar', 200, 'handle-bar', 'hello'],
      ['GET', '/foo', 200, 'handle-foo', ''],
    ]);
    const [, bar, fooEvent] = http().filter(mine);
    assert.equal(bar!.reqBytes, 5);
    assert.equal(fooEvent!.respBody.toString(), 'hello');

    // The KeyValue calls, as the guest reported them: init's open, then set in PUT /bar, get in GET /foo.
    const kvEvents = events.filter((e) => e.type === 'kv');
    const set = kvEvents.find((e) => e.fn === '[method]keyvalue.set');
    assert.ok(set, `a set event among ${JSON.stringify(kvEvents)}`);
    assert.equal(set.iface, IFACE);
    assert.equal(set.container, 'my-container');
    assert.equal(set.key, 'key');
    assert.equal(set.value_bytes, 5);
    assert.equal(Buffer.from(String(set.value_b64), 'base64').toString(), 'hello');
    assert.equal(set.ok, true);
    assert.equal(set.req, bar!.id, 'the set happened in PUT /bar');
    const get = kvEvents.find((e) => e.fn === '[method]keyvalue.get');
    assert.equal(get?.req, fooEvent!.id);
    assert.equal(Buffer.from(String(get?.value_b64), 'base64').toString(), 'hello');
    assert.ok(kvEvents.some((e) => e.fn === '[static]keyvalue.open' && e.container === 'my-container' && e.req === undefined));
    assert.deepEqual(core.kv.list((r) => r.call !== undefined).reverse().map((r) => r.call!.fn),
      ['[static]keyvalue.open', '[method]keyvalue.set', '[method]keyvalue.get'], 'a row per call');

    // The set row pairs with the SET MONITOR saw (the trace line and the command race; tick settles it).
    const setRow = () => core.kv.list((r) => r.call?.fn === '[method]keyvalue.set')[0];
    await until('the set row to get its Redis command', () => {
      core.tick();
      return (setRow()?.commands.length ?? 0) > 0;
    }, 5000);
    const cmd = setRow()!.commands.map((c) => c.args);
    assert.equal(cmd.length, 1);
    assert.deepEqual([cmd[0]![0]!.toUpperCase(), ...cmd[0]!.slice(1)], ['SET', 'my-container:key', 'hello']);
    assert.equal((setRow()!.call as KvEvent).container, 'my-container');
    const getRow = core.kv.list((r) => r.call?.fn === '[method]keyvalue.get')[0];
    await until('the get row to get its Redis command', () => {
      core.tick();
      return (getRow?.commands.length ?? 0) > 0;
    }, 5000);
    assert.deepEqual(getRow!.commands.map((c) => [c.args[0]!.toUpperCase(), ...c.args.slice(1)]), [['GET', 'my-container:key']]);
    assert.deepEqual(reports, [], 'every line decoded');
  } finally {
    await monitor?.stop();
    await session.stop();
  }
  assert.equal(existsSync(traceDir(log)), false, 'the trace socket folder is removed');
  assert.deepEqual(pidsMatching('qemu-system-x86_64', qemuOfRun(port)), []);
});

test('a guest that ends its boot at once still delivers its trace lines, and the socket folder goes', async () => {
  // A module the kernel refuses: it says hello on the trace port, then ends the boot at once.
  const work = mkdtempSync(join(tmpdir(), 'uniwasm-trace-it-'));
  try {
    const junk = join(work, 'junk.wasm');
    writeFileSync(junk, 'this is not wasm at all');
    const lines: string[] = [];
    const log: string[] = [];
    await assert.rejects(RunSession.start(options(junk, await freePort(), (l) => lines.push(l), log)), /the guest failed to boot/);
    const types = lines.map((l) => (JSON.parse(l) as { type: string }).type);
    assert.deepEqual(types.slice(0, 2), ['hello', 'heap']);
    assert.equal(existsSync(traceDir(log)), false);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('uniwasm run --trace FILE writes the events as JSON lines and keeps them through SIGINT', async () => {
  const work = mkdtempSync(join(tmpdir(), 'uniwasm-trace-cli-'));
  try {
    const file = join(work, 'trace.jsonl');
    writeFileSync(file, 'stale line from an earlier run\n');
    const port = await freePort();
    const cli = startCli(['run', '--app', DEMO, '--port', String(port), '--trace', file]);
    const url = await waitForReady(cli);
    assert.equal((await fetch(`${url}/hello`)).status, 200);
    assert.equal((await fetch(`${url}/bar`, { method: 'PUT', body: 'hello' })).status, 200);
    assert.equal(await (await fetch(`${url}/foo`)).text(), 'hello');
    await until('GET /foo in the trace file', () => readFileSync(file, 'utf8').includes('"path":"/foo"'));

    cli.child.kill('SIGINT');
    assert.equal(await cli.exited, 0, cli.stderr());
    const text = readFileSync(file, 'utf8');
    assert.ok(text.endsWith('\n'));
    const events = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(events[0]!.type, 'hello', 'truncated at start: the stale line is gone');
    const http = events.filter((e) => e.type === 'http' && e.path !== '/');
    assert.deepEqual(http.map((e) => [e.method, e.path, e.status, e.handler]), [
      ['GET', '/hello', 200, 'handle-hello'],
      ['PUT', '/bar', 200, 'handle-bar'],
      ['GET', '/foo', 200, 'handle-foo'],
    ]);
    const set = events.find((e) => e.type === 'kv' && e.fn === '[method]keyvalue.set');
    assert.deepEqual([set?.container, set?.key, set?.value_b64], ['my-container', 'key', Buffer.from('hello').toString('base64')]);
    assert.deepEqual(pidsMatching('qemu-system-x86_64', qemuOfRun(port)), [], 'no QEMU left');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('uniwasm run --trace with a path it cannot write fails before booting', async () => {
  const port = await freePort();
  const cli = startCli(['run', '--app', DEMO, '--port', String(port), '--trace', '/nonexistent-uniwasm-dir/trace.jsonl']);
  assert.equal(await cli.exited, 1);
  assert.match(cli.stderr(), /uniwasm: cannot write the trace file: ENOENT.*\/nonexistent-uniwasm-dir\/trace\.jsonl/);
  assert.doesNotMatch(cli.stderr(), /redis-server|qemu-system/, 'nothing was started');
});
