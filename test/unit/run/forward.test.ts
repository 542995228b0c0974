// Tests run/forward.ts: the run's listener in front of QEMU's hostfwd, here in front of a plain TCP server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { HostForward } from '../../../src/run/forward';
import { freePort, freePorts } from '../../../src/util/ports';

/** Sends `text`, half-closes, and resolves with everything the other end sent until it closed. */
async function exchange(port: number, text: string): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.end(text);
  await once(socket, 'close');
  return Buffer.concat(chunks).toString();
}

test('bytes and half-closes go both ways, for a burst of 200 clients at once', async () => {
  // Echoes what it read once the client has half-closed, like a server answering a request; two
  // listeners with a backlog of 1 each, as QEMU's hostfwd rules.
  const echo = (s: Socket) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => s.end(Buffer.concat(chunks)));
  };
  const upstreamPorts = await freePorts(2);
  const upstreams = upstreamPorts.map((p) => createServer({ allowHalfOpen: true }, echo).listen({ host: '127.0.0.1', port: p, backlog: 1 }));
  await Promise.all(upstreams.map((u) => once(u, 'listening')));
  const port = await freePort();
  const forward = await HostForward.open(port, upstreamPorts);
  try {
    const texts = Array.from({ length: 200 }, (_, i) => `client ${i} `.repeat(i + 1));
    assert.deepEqual(await Promise.all(texts.map((t) => exchange(port, t))), texts);
  } finally {
    await forward.close();
    for (const u of upstreams) u.close();
  }
});

test('a client is reset when nothing listens behind the forward', async () => {
  const port = await freePort();
  const forward = await HostForward.open(port, [await freePort()]);
  try {
    const socket = connect({ host: '127.0.0.1', port });
    const [err] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    assert.equal(err.code, 'ECONNRESET');
  } finally {
    await forward.close();
  }
});

test('a taken port is said clearly', async () => {
  const port = await freePort();
  const first = await HostForward.open(port, [await freePort()]);
  try {
    await assert.rejects(HostForward.open(port, [await freePort()]), new RegExp(`host port: port ${port} on 127\\.0\\.0\\.1 is already in use`));
  } finally {
    await first.close();
  }
});
