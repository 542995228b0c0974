// `uniwasm run` end to end under TCG: real QEMU, real embedded Redis, real HTTP client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { productRoot } from '../../src/util/paths';
import { freePort } from '../../src/util/ports';
import { runCli, startCli, waitForReady } from '../support/cli';
import { pidsMatching } from '../support/processes';

const work = mkdtempSync(join(tmpdir(), 'uniwasm-e2e-'));
const demo = join(productRoot(), 'examples', 'http-server-demo');
/** The smallest valid module: for failures that come before the app is loaded. */
const emptyModule = join(work, 'empty.wasm');
writeFileSync(emptyModule, Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));

test('run boots, prints ready, answers HTTP, and SIGTERM leaves no QEMU or Redis behind', async () => {
  const port = await freePort();
  const cli = startCli(['run', '--app', demo, '--port', String(port)]);
  const url = await waitForReady(cli);
  assert.equal(url, `http://127.0.0.1:${port}`);

  const res = await fetch(`${url}/hello`);
  assert.equal(res.status, 200);

  const redisPort = /embedded redis-server on 127\.0\.0\.1:(\d+)/.exec(cli.stderr())?.[1];
  assert.ok(redisPort, `the CLI names its embedded Redis:\n${cli.stderr()}`);
  const qemuNeedle = `hostfwd=tcp:127.0.0.1:${port}-`;
  assert.equal(pidsMatching('qemu-system-x86_64', qemuNeedle).length, 1, 'one QEMU runs');
  assert.equal(pidsMatching('redis-server', `:${redisPort}`).length, 1, 'one Redis runs');
  assert.match(cli.stdout(), /app: GET \/hello -> handle-hello/, 'the guest logs the routes the app registered');

  cli.child.kill('SIGTERM');
  assert.equal(await cli.exited, 0);
  assert.deepEqual(pidsMatching('qemu-system-x86_64', qemuNeedle), [], 'no QEMU left');
  assert.deepEqual(pidsMatching('redis-server', `:${redisPort}`), [], 'no Redis left');
});

test('a malformed kernel argument fails the boot with the guest’s own error', async () => {
  const port = await freePort();
  const { code, stderr } = await runCli(['run', '--app', emptyModule, '--port', String(port), '--kernel-arg', 'colour=blue']);
  assert.notEqual(code, 0);
  assert.match(stderr, /the guest failed to boot/);
  assert.match(stderr, /unknown kernel argument `colour`/);
  assert.deepEqual(pidsMatching('qemu-system-x86_64', `hostfwd=tcp:127.0.0.1:${port}-`), []);
});

test('a host port already taken is a clear error before anything starts', async () => {
  const blocker = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    const { code, stderr } = await runCli(['run', '--app', emptyModule, '--port', String(port)]);
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
  } finally {
    blocker.close();
  }
});

test('bad options are usage errors', async () => {
  for (const args of [['--port', '0'], ['--accel', 'warp'], ['--memory', 'lots'], ['--frobnicate']]) {
    const { code, stderr } = await runCli(['run', ...args]);
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, /usage:/);
  }
});
