// Faults around a running guest: Redis killed and restarted under write load (no acknowledged
// write lost), QEMU killed under `uniwasm run` (a clear message, nothing left running), and
// Redis refusing the guest's password. Real QEMU under TCG, real redis-server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { productRoot } from '../../src/util/paths';
import { freePort } from '../../src/util/ports';
import { startCli, waitForReady, type CliProcess } from '../support/cli';
import { pidsMatching, qemuOfRun } from '../support/processes';
import { TestRedis } from '../support/redis';

const work = mkdtempSync(join(tmpdir(), 'uniwasm-faults-'));
const demo = join(productRoot(), 'examples', 'http-server-demo');

async function stopCli(cli: CliProcess): Promise<void> {
  cli.child.kill('SIGTERM');
  await cli.exited;
}

test('Redis killed and restarted under load: 503 meanwhile, back within 5 s, every acknowledged PUT is in Redis', async () => {
  const port = await freePort();
  // Every write on disk before it is acknowledged, so a kill loses none of them.
  const durable = ['--dir', work, '--appendfilename', `ao-${port}.aof`, '--appendonly', 'yes', '--appendfsync', 'always'];
  const redis = new TestRedis(port, durable);
  await redis.start();
  const wasm = join(work, 'guest.wasm');
  // The WAT guest stores PUT /kv/:key under demo:<key>: one key per request, so each write can be checked.
  execFileSync('wat2wasm', [join(productRoot(), 'kernel', 'runtime', 'tests', 'guests', 'demo.wat'), '-o', wasm]);
  const cli = startCli(['run', '--app', wasm, '--port', String(await freePort()), '--redis', `redis://127.0.0.1:${redis.port}`]);
  try {
    const url = await waitForReady(cli);
    const acknowledged: string[] = [];
    const statuses: { at: number; status: number }[] = [];
    let running = true;
    let next = 0;
    const worker = async () => {
      while (running) {
        const key = `k${next++}`;
        const status = await fetch(`${url}/kv/${key}`, { method: 'PUT', body: `value of ${key}` }).then(
          (r) => r.status,
          () => 0, // a failed connection is no acknowledgement
        );
        statuses.push({ at: Date.now(), status });
        if (status >= 200 && status < 300) acknowledged.push(key);
      }
    };
    const workers = [worker(), worker(), worker()];
    await new Promise((r) => setTimeout(r, 1500));
    await redis.kill();
    const killedAt = Date.now();
    await new Promise((r) => setTimeout(r, 2000));
    await redis.start();
    const restartedAt = Date.now();
    await new Promise((r) => setTimeout(r, 6000));
    running = false;
    await Promise.all(workers);

    const during = statuses.filter((s) => s.at > killedAt + 200 && s.at < restartedAt);
    assert.ok(during.length > 0 && during.every((s) => s.status === 503), `503 during the outage: ${JSON.stringify(during.slice(0, 5))}`);
    const recovered = statuses.find((s) => s.at > restartedAt && s.status === 200);
    assert.ok(recovered, 'writes succeed again after the restart');
    assert.ok(recovered.at - restartedAt < 5000, `recovered ${recovered.at - restartedAt} ms after the restart`);
    assert.ok(acknowledged.length > 20, `${acknowledged.length} writes acknowledged`);
    const missing = acknowledged.filter((key) => redis.cli('GET', `demo:${key}`) !== `value of ${key}`);
    assert.deepEqual(missing, [], 'every PUT that got a 2xx is in Redis');
  } finally {
    await stopCli(cli);
    await redis.kill();
  }
});

test('QEMU killed under `uniwasm run`: the CLI says so, exits 1, and stops its Redis', async () => {
  const port = await freePort();
  const cli = startCli(['run', '--app', demo, '--port', String(port)]);
  await waitForReady(cli);
  const redisPort = /embedded redis-server on 127\.0\.0\.1:(\d+)/.exec(cli.stderr())?.[1];
  const [qemu] = pidsMatching('qemu-system-x86_64', qemuOfRun(port));
  assert.ok(qemu && redisPort);
  process.kill(qemu, 'SIGKILL');
  assert.equal(await cli.exited, 1);
  assert.match(cli.stderr(), /the guest stopped: QEMU killed by SIGKILL/);
  assert.deepEqual(pidsMatching('redis-server', `:${redisPort}`), [], 'no Redis left');
});

test('the CLI killed with SIGKILL takes QEMU and its Redis with it (no chance to clean up)', async () => {
  const port = await freePort();
  const cli = startCli(['run', '--app', demo, '--port', String(port)]);
  await waitForReady(cli);
  const redisPort = /embedded redis-server on 127\.0\.0\.1:(\d+)/.exec(cli.stderr())?.[1];
  assert.ok(redisPort);
  cli.child.kill('SIGKILL');
  await cli.exited;
  const deadline = Date.now() + 5000;
  const left = () => [...pidsMatching('qemu-system-x86_64', qemuOfRun(port)), ...pidsMatching('redis-server', `:${redisPort}`)];
  while (left().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(left(), [], 'no QEMU or Redis outlives the CLI');
});

test('Redis with a password: the guest AUTHs from the kernel command line; a wrong password is 503', async () => {
  const redis = new TestRedis(await freePort(), ['--requirepass', 's3cret-pass']);
  await redis.start();
  try {
    for (const [password, expected] of [['s3cret-pass', 200], ['wrong', 503]] as const) {
      const redisUrl = `redis://:${password}@127.0.0.1:${redis.port}`;
      const cli = startCli(['run', '--app', demo, '--port', String(await freePort()), '--redis', redisUrl]);
      try {
        const url = await waitForReady(cli);
        const res = await fetch(`${url}/bar`, { method: 'PUT', body: 'authenticated' });
        assert.equal(res.status, expected, `password ${password}: ${await res.text()}`);
      } finally {
        await stopCli(cli);
      }
    }
  } finally {
    await redis.kill();
  }
});
