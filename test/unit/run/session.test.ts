// RunSession.start cancelled while the guest answers its readiness probe: it must not hand back a
// session (the caller, cancelled, would never stop it) and must leave nothing running. QEMU is a
// stand-in here — a Node script that serves HTTP on the forwarded ports, says so when the probe
// arrives, and answers it 300 ms later — so the cancel lands while the probe is in flight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunSession } from '../../../src/run/session';
import { freePort } from '../../../src/util/ports';
import { pidsMatching, qemuOfRun } from '../../support/processes';

const work = mkdtempSync(join(tmpdir(), 'uniwasm-run-cancel-'));
const fakeQemu = join(work, 'fake-qemu');
writeFileSync(fakeQemu, `#!${process.execPath}
const answer = (req, res) => {
  console.log('probe received');
  setTimeout(() => res.end('ok'), 300);
};
for (const [, port] of process.argv.join(' ').matchAll(/hostfwd=tcp:127\\.0\\.0\\.1:(\\d+)-/g)) {
  require('node:http').createServer(answer).listen(Number(port), '127.0.0.1');
}
`);
chmodSync(fakeQemu, 0o755);
const app = join(work, 'empty.wasm');
writeFileSync(app, Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));

test('a start cancelled while the probe is answered throws and stops what it started', { timeout: 300_000 }, async () => {
  const port = await freePort();
  const controller = new AbortController();
  let redis: string | undefined;
  const outcome = await RunSession.start({
    app, port, accel: 'tcg', memoryMiB: 64, machine: 'microvm', qemuBinary: fakeQemu, extraKernelArgs: [], readyTimeoutMs: 60_000,
    signal: controller.signal,
    onLog: (m) => (redis ??= /embedded redis-server on 127\.0\.0\.1:(\d+)/.exec(m)?.[1]),
    onConsole: (line) => line === 'probe received' && controller.abort(),
  }).catch((err: Error) => err);
  if (outcome instanceof RunSession) {
    await outcome.stop(); // leave nothing running, then fail
    assert.fail('start handed back a session although it was cancelled');
  }
  assert.match(outcome.message, /cancelled while booting/);
  assert.ok(controller.signal.aborted, 'the probe reached the stand-in');
  assert.deepEqual(pidsMatching(fakeQemu, qemuOfRun(port)), [], 'the stand-in QEMU was stopped');
  assert.ok(redis);
  assert.deepEqual(pidsMatching('redis-server', `:${redis}`), [], 'its Redis was stopped');
});
