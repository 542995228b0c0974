// `uniwasm run` end to end under TCG: real QEMU, real embedded Redis, real HTTP client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { productRoot } from '../../src/util/paths';
import { freePort } from '../../src/util/ports';
import { runCli, startCli, waitForReady } from '../support/cli';
import { pidsMatching, qemuOfRun } from '../support/processes';

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
  const qemuNeedle = qemuOfRun(port);
  assert.equal(pidsMatching('qemu-system-x86_64', qemuNeedle).length, 1, 'one QEMU runs');
  assert.equal(pidsMatching('redis-server', `:${redisPort}`).length, 1, 'one Redis runs');
  assert.match(cli.stdout(), /app: GET \/hello -> handle-hello/, 'the guest logs the routes the app registered');

  cli.child.kill('SIGTERM');
  assert.equal(await cli.exited, 0);
  assert.deepEqual(pidsMatching('qemu-system-x86_64', qemuNeedle), [], 'no QEMU left');
  assert.deepEqual(pidsMatching('redis-server', `:${redisPort}`), [], 'no Redis left');
  // The stop is told as one, not in QEMU's words ("terminating on signal 15 from pid …" reads like a crash).
  assert.match(cli.stdout(), /^uniwasm: stopped$/m);
  assert.doesNotMatch(cli.stdout() + cli.stderr(), /terminating on signal/);
});

/** Waits for the `ready URL` line on `child`'s stdout (a CLI started by another program). */
async function readyLine(child: ChildProcess): Promise<string> {
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /^ready (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited (${code}) before ready:\n${out}`)));
  });
}

/** Waits until no process runs whose command line has every needle; fails after `limitMs`. */
async function gone(limitMs: number, ...needles: string[]): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (pidsMatching(...needles).length) {
    assert.ok(Date.now() < deadline, `still running after ${limitMs} ms: ${needles.join(' ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a run started by npx ends, QEMU and Redis with it, when npx is sent SIGTERM', { timeout: 180_000 }, async () => {
  // A project that depends on uniwasm, as a user's would: npx finds its bin in node_modules/.bin.
  const project = mkdtempSync(join(tmpdir(), 'uniwasm-npx-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'npx-user', version: '1.0.0', private: true }));
  mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(productRoot(), join(project, 'node_modules', 'uniwasm'));
  const bin = join(project, 'node_modules', '.bin', 'uniwasm');
  writeFileSync(bin, `#!/bin/sh\nexec node ${join(productRoot(), 'dist', 'cli.js')} "$@"\n`);
  chmodSync(bin, 0o755);
  const port = await freePort();
  const npx = spawn('npx', ['--no-install', 'uniwasm', 'run', '--app', demo, '--port', String(port)], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
  await readyLine(npx);
  npx.kill('SIGTERM');
  await gone(30_000, 'dist/cli.js', 'run', `--port ${port}`);
  await gone(10_000, 'qemu-system-x86_64', qemuOfRun(port));
});

test('a run ends when the process that started it is SIGKILLed', { timeout: 180_000 }, async () => {
  const port = await freePort();
  // The shell stays the CLI's parent (`; true`: no exec), then dies without a word.
  const cli = `node ${join(productRoot(), 'dist', 'cli.js')} run --app ${demo} --port ${port}; true`;
  const shell = spawn('sh', ['-c', cli], { stdio: ['ignore', 'pipe', 'pipe'] });
  await readyLine(shell);
  shell.kill('SIGKILL');
  await gone(30_000, 'dist/cli.js', 'run', `--port ${port}`);
  await gone(10_000, 'qemu-system-x86_64', qemuOfRun(port));
});

test('a malformed kernel argument fails the boot with the guest’s own error', async () => {
  const port = await freePort();
  const { code, stderr } = await runCli(['run', '--app', emptyModule, '--port', String(port), '--kernel-arg', 'colour=blue']);
  assert.notEqual(code, 0);
  assert.match(stderr, /the guest failed to boot/);
  assert.match(stderr, /unknown kernel argument `colour`/);
  assert.deepEqual(pidsMatching('qemu-system-x86_64', qemuOfRun(port)), []);
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
