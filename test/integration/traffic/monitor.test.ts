// MONITOR capture and correlation against a real redis-server on 127.0.0.1 (started and stopped here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { TrafficCore } from '../../../src/traffic/core';
import { RedisMonitor, type MonitorState } from '../../../src/traffic/monitor';
import { freePort } from '../../../src/util/ports';

function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('Ready to accept connections')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-300)}`)));
  });
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const IFACE = 'spiderlightning:slight/keyvalue';
const kvLine = (fields: Record<string, unknown>) => JSON.stringify({ type: 'kv', iface: IFACE, container: 'my-container', ok: true, dur_us: 100, ...fields });

test('MONITOR captures a client’s SET/GET/DEL/SCAN, correlates them to trace events, and survives a Redis restart', async () => {
  const port = await freePort();
  let redis = await startRedis(port);
  const states: MonitorState[] = [];
  const core = new TrafficCore({ signatures: () => undefined, report: (m) => assert.fail(m) });
  let seenEcho = false;
  const monitor = new RedisMonitor({ host: '127.0.0.1', port }, {
    onCommand: (c) => {
      seenEcho ||= c.args[0] === 'echo';
      core.addCommand(c);
    },
    onState: (s) => states.push(s),
  });
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, lazyConnect: true });
  try {
    monitor.start();
    await monitor.waitMonitoring();
    await client.connect();
    const hostile = '<img src=x onerror=alert(1)>';
    // The order the guest would send them for: set, set, get, keys, delete, get of a missing key.
    await client.set('my-container:key', 'hello');
    await client.set('my-container:b', Buffer.from([0, 1, 0xff]));
    await client.set('other:key', hostile);
    assert.equal(await client.get('my-container:key'), 'hello');
    const [, found] = await client.scan('0', 'MATCH', 'my-container:*', 'COUNT', '100');
    await client.del('my-container:key');
    await client.get('my-container:key');
    await client.echo('done');
    await until('MONITOR to see the last command', () => core.correlator.held > 0 && seenEcho);

    // The trace lines arrive after the calls returned (as in a real run); their guest clock is far off.
    const recv = performance.now();
    core.onTrace(kvLine({ req: 1, fn: '[method]keyvalue.set', key: 'key', value_bytes: 5, value_b64: 'aGVsbG8=', redis: ['SET my-container:key <5 bytes>'], ts_us: 1 }), recv);
    core.onTrace(kvLine({ req: 1, fn: '[method]keyvalue.set', key: 'b', value_bytes: 3, value_b64: 'AAH/', redis: ['SET my-container:b <3 bytes>'], ts_us: 2 }), recv);
    core.onTrace(kvLine({ req: 2, fn: '[method]keyvalue.get', key: 'key', value_bytes: 5, value_b64: 'aGVsbG8=', redis: ['GET my-container:key'] }), recv);
    core.onTrace(kvLine({ req: 3, fn: '[method]keyvalue.keys', keys: found.map((k) => k.slice('my-container:'.length)), redis: ['SCAN 0 MATCH my-container:* COUNT 100'] }), recv);
    core.onTrace(kvLine({ req: 4, fn: '[method]keyvalue.delete', key: 'key', redis: ['DEL my-container:key'] }), recv);
    core.onTrace(kvLine({ req: 5, fn: '[method]keyvalue.get', key: 'key', ok: false, err: 'key-not-found', err_msg: 'key', redis: ['GET my-container:key'] }), recv);
    const calls = core.kv.list((r) => r.call !== undefined).reverse();
    assert.deepEqual(calls.map((r) => [r.call!.fn, r.commands.map((c) => c.args.join(' '))]), [
      ['[method]keyvalue.set', ['set my-container:key hello']],
      ['[method]keyvalue.set', ['set my-container:b \\x00\\x01\\xff']],
      ['[method]keyvalue.get', ['get my-container:key']],
      ['[method]keyvalue.keys', ['scan 0 MATCH my-container:* COUNT 100']],
      ['[method]keyvalue.delete', ['del my-container:key']],
      ['[method]keyvalue.get', ['get my-container:key']],
    ]);
    // The command no call claimed becomes a row of its own once the window has passed; its value stays text.
    core.tick(performance.now() + 2000);
    const orphans = core.kv.list((r) => r.call === undefined).map((r) => r.commands[0]!.args);
    assert.deepEqual(orphans.filter((a) => a[1]?.startsWith('other:')), [['set', 'other:key', hostile]]);
    assert.ok(!orphans.some((a) => a[1]?.startsWith('my-container:')), 'every my-container command was claimed');

    // Redis goes away: the monitor notices and reconnects once it is back on the same port.
    await stopRedis(redis);
    await until('the monitor to notice', () => states.includes('reconnecting'));
    redis = await startRedis(port);
    await until('MONITOR again', () => monitor.current === 'monitoring', 10_000);
    const seen = monitor.received;
    await until('the client to reconnect', () => client.status === 'ready', 10_000);
    await client.set('my-container:after', 'x');
    await until('the command after the restart', () => monitor.received > seen);
    assert.deepEqual(states.filter((s, i) => s !== states[i - 1]).slice(0, 4), ['connecting', 'monitoring', 'reconnecting', 'monitoring']);
  } finally {
    client.disconnect();
    await monitor.stop();
    await stopRedis(redis);
  }
  assert.equal(monitor.current, 'stopped');
});

test('a monitor started before Redis is up connects once it is', async () => {
  const port = await freePort();
  const monitor = new RedisMonitor({ host: '127.0.0.1', port }, { onCommand: () => {} });
  monitor.start();
  await sleep(300);
  assert.notEqual(monitor.current, 'monitoring');
  const redis = await startRedis(port);
  try {
    await monitor.waitMonitoring(10_000);
  } finally {
    await monitor.stop();
    await stopRedis(redis);
  }
});

test('stop() of a monitor whose Redis never came up ends promptly', async () => {
  const monitor = new RedisMonitor({ host: '127.0.0.1', port: await freePort() }, { onCommand: () => {} });
  monitor.start();
  await sleep(200);
  const t0 = performance.now();
  await monitor.stop();
  assert.ok(performance.now() - t0 < 1000);
  assert.equal(monitor.current, 'stopped');
});
