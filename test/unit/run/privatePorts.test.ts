// Tests run/privatePorts.ts: a run's Redis, gdbstub and QEMU hostfwd ports are private, the app's port and anyone else's are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPrivatePort } from '../../../src/run/privatePorts';

test("a run's Redis, QEMU's gdbstub and hostfwd listeners are private; the app's port (the run's forward) and other processes' ports are not", () => {
  const qemu = 'qemu-system-x86_64 -M microvm -netdev user,id=n0,hostfwd=tcp:127.0.0.1:38080-:3000,hostfwd=tcp:127.0.0.1:38081-:3000 -gdb tcp:127.0.0.1:41234 -S';
  const redis = new Set([40001]);
  assert.ok(isPrivatePort(41234, qemu, redis), 'the gdbstub');
  assert.ok(isPrivatePort(40001, 'redis-server 127.0.0.1:40001', redis), 'the Redis a run uses');
  assert.ok(isPrivatePort(38080, qemu, redis), "QEMU's first hostfwd listener");
  assert.ok(isPrivatePort(38081, qemu, redis), "QEMU's second hostfwd listener");
  assert.ok(!isPrivatePort(3000, 'node dist/cli.js run --port 3000', redis), "the app's port, the forward's");
  assert.ok(!isPrivatePort(41234, 'python3 -m http.server 41234', new Set()), 'someone else on that port');
  assert.ok(!isPrivatePort(38080, undefined, redis), 'no command line known');
});
