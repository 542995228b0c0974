// The loopback port helpers: what the run session and the debug adapter say about a port.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { assertPortFree, freePort, portInUse } from '../../../src/util/ports';

test('portInUse tells a listened port from a free one, and assertPortFree names the taken port', async () => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  assert.equal(await portInUse(port), true);
  await assert.rejects(assertPortFree(port, 'QEMU'), new RegExp(`QEMU: port ${port} on 127\\.0\\.0\\.1 is already in use`));
  server.close();
  await once(server, 'close');
  assert.equal(await portInUse(port), false);
  await assertPortFree(port, 'QEMU');
  assert.equal(await portInUse(await freePort()), false);
});
