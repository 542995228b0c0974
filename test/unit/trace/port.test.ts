// Tests trace/port.ts: the host end of the trace port with real Unix sockets (a client stands in for QEMU).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { TracePort } from '../../../src/trace/port';

async function connect(path: string): Promise<Socket> {
  const s = createConnection(path);
  await once(s, 'connect');
  return s;
}

test('a private socket: lines in order, the unfinished last one at the end, folder gone after close', async () => {
  const lines: string[] = [];
  const channel = await TracePort.open((l) => lines.push(l));
  const dir = dirname(channel.path);
  assert.equal(statSync(dir).mode & 0o777, 0o700, 'only this user may connect');
  assert.ok(statSync(channel.path).isSocket());

  const qemu = await connect(channel.path);
  qemu.write('{"type":"hello","v":1}\n{"type":"heap",');
  qemu.write('"used":1,"total":2}\r\n');
  // The guest's last words before QEMU ends, without a line end.
  qemu.end('{"type":"heap","used":3,"total":4}');
  await channel.drained();
  assert.deepEqual(lines, ['{"type":"hello","v":1}', '{"type":"heap","used":1,"total":2}', '{"type":"heap","used":3,"total":4}']);

  await channel.close();
  await channel.close();
  assert.equal(existsSync(dir), false);
});

test('an abrupt close (QEMU killed) still delivers what arrived; a throwing consumer does not stop delivery', async () => {
  const lines: string[] = [];
  const errors: string[] = [];
  const channel = await TracePort.open((l) => {
    if (l === 'bad') throw new Error('consumer failed');
    lines.push(l);
  }, (e) => errors.push(e.message));
  try {
    const qemu = await connect(channel.path);
    qemu.write('a\nbad\nb\n');
    await new Promise((r) => setTimeout(r, 50));
    qemu.destroy();
    await channel.drained();
    assert.deepEqual(lines, ['a', 'b']);
    assert.deepEqual(errors, ['consumer failed']);
  } finally {
    await channel.close();
  }
});

test('drained() waits out a connection not accepted yet, and returns after the grace when none comes', async () => {
  const lines: string[] = [];
  const channel = await TracePort.open((l) => lines.push(l));
  // Connect, write and end in one go, then ask at once: the accept may not have happened yet.
  const qemu = createConnection(channel.path, () => qemu.end('late\n'));
  await channel.drained(1000);
  assert.deepEqual(lines, ['late']);
  await channel.close();

  const idle = await TracePort.open(() => {});
  const t0 = Date.now();
  await idle.drained(50);
  assert.ok(Date.now() - t0 < 1000);
  await idle.close();
});

test('close() ends a connection QEMU still holds', async () => {
  const channel = await TracePort.open(() => {});
  const qemu = await connect(channel.path);
  const closed = once(qemu, 'close');
  await channel.close();
  await closed;
  assert.equal(existsSync(dirname(channel.path)), false);
});

test('a process that ends without close() still removes the folder (its exit hook)', async () => {
  const before = process.listeners('exit');
  const channel = await TracePort.open(() => {});
  const added = process.listeners('exit').filter((l) => !before.includes(l));
  assert.equal(added.length, 1);
  added[0]!.call(process, 0); // what 'exit' would run
  assert.equal(existsSync(dirname(channel.path)), false);
  await channel.close();
  assert.deepEqual(process.listeners('exit'), before, 'close() takes the hook away');
});
