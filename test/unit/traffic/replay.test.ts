// Tests traffic/replay.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bodyComplete, replayRequest } from '../../../src/traffic/replay';
import { decodeTraceLine, type HttpEvent } from '../../../src/trace/format';

test('replay re-sends method, path, headers and the kept body to the current URL', async () => {
  const got: { req: IncomingMessage; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ req, body });
      res.end('done');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const line = JSON.stringify({
      type: 'http', id: 1, method: 'PUT', path: '/items/7?x=1', status: 200, req_bytes: 5, resp_bytes: 0, dur_us: 1, handler: 'h',
      req_headers: ['Host', 'old:3000', 'Content-Length', '5', 'X-Trace', 'yes', 'Connection', 'keep-alive'], req_body_b64: Buffer.from('hello').toString('base64'),
    });
    const e = (decodeTraceLine(line, 0) as { event: HttpEvent }).event;
    assert.equal(bodyComplete(e), true);
    const r = await replayRequest(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, e);
    assert.equal(r.status, 200);
    assert.equal(r.bytes, 4);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.req.method, 'PUT');
    assert.equal(got[0]!.req.url, '/items/7?x=1');
    assert.equal(got[0]!.req.headers['x-trace'], 'yes');
    assert.equal(got[0]!.req.headers.host, `127.0.0.1:${(server.address() as AddressInfo).port}`);
    assert.equal(got[0]!.body, 'hello');
    assert.equal(bodyComplete({ ...e, reqBytes: 9 }), false);
  } finally {
    server.close();
  }
  await assert.rejects(replayRequest('http://127.0.0.1:1', { method: 'GET', path: '/', reqHeaders: [], reqBody: Buffer.alloc(0) } as unknown as HttpEvent), /ECONNREFUSED/);
});
