// Tests traffic/replay.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseRequestAt, requestToHttpText } from '../../../src/traffic/httpFile';
import { bodyComplete, REPLAY_HEADER, replayedFrom, responseText, sendRequest, type SentResponse } from '../../../src/traffic/replay';
import { decodeTraceLine, type HttpEvent } from '../../../src/trace/format';

function httpEvent(fields: Record<string, unknown>): HttpEvent {
  const line = JSON.stringify({ type: 'http', id: 1, method: 'GET', path: '/', status: 200, req_bytes: 0, resp_bytes: 0, dur_us: 1, handler: 'h', ...fields });
  return (decodeTraceLine(line, 0, 1) as { event: HttpEvent }).event;
}

test('a replay re-sends method, path, headers and the kept body to the app, marked as a replay, and reads the answer', async () => {
  const got: { req: IncomingMessage; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ req, body });
      res.setHeader('X-Answer', '42');
      res.end('done');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const e = httpEvent({
      method: 'PUT', path: '/items/7?x=1', req_bytes: 5,
      req_headers: ['Host', 'old:3000', 'Content-Length', '5', 'X-Trace', 'yes', 'Connection', 'keep-alive'], req_body_b64: Buffer.from('hello').toString('base64'),
    });
    assert.equal(bodyComplete(e), true);
    // The text names the old address: the request goes to the running app all the same.
    const parsed = parseRequestAt(requestToHttpText(e, 'http://127.0.0.1:1'));
    assert.ok(parsed.ok);
    const r = await sendRequest(base, parsed.request, '1-1');
    assert.equal(r.status, 200);
    assert.equal(r.bytes, 4);
    assert.equal(r.body.toString(), 'done');
    assert.deepEqual(r.headers.find(([n]) => n === 'X-Answer'), ['X-Answer', '42']);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.req.method, 'PUT');
    assert.equal(got[0]!.req.url, '/items/7?x=1');
    assert.equal(got[0]!.req.headers['x-trace'], 'yes');
    assert.equal(got[0]!.req.headers[REPLAY_HEADER], '1-1');
    assert.equal(got[0]!.req.headers.host, `127.0.0.1:${(server.address() as AddressInfo).port}`);
    assert.equal(got[0]!.body, 'hello');
    assert.equal(bodyComplete({ ...e, reqBytes: 9 }), false);
  } finally {
    server.close();
  }
  await assert.rejects(sendRequest('http://127.0.0.1:1', { method: 'GET', target: '/', headers: [], body: '', line: 0 }, ''), /ECONNREFUSED/);
});

test('the replay row is told by its header; an ordinary request is not a replay', () => {
  assert.equal(replayedFrom(httpEvent({ req_headers: ['X-Uniwasm-Replay', '2-7'] })), '2-7');
  assert.equal(replayedFrom(httpEvent({ req_headers: ['host', 'a'] })), undefined);
});

test('the response document has the status line, the headers and the body; a binary body is summarized', () => {
  const base: SentResponse = {
    url: 'http://127.0.0.1:3000/hello', method: 'GET', status: 200, statusMessage: 'OK', httpVersion: '1.1',
    headers: [['Content-Length', '13'], ['Connection', 'keep-alive']], body: Buffer.from('hello, world\n'), bytes: 13, ms: 2.25,
  };
  assert.equal(responseText(base), '# GET http://127.0.0.1:3000/hello answered in 2.3 ms\nHTTP/1.1 200 OK\nContent-Length: 13\nConnection: keep-alive\n\nhello, world\n\n');
  const binary = responseText({ ...base, statusMessage: '', status: 404, body: Buffer.alloc(600, 0xff), bytes: 2000 });
  assert.match(binary, /^HTTP\/1\.1 404 Not Found$/m);
  assert.match(binary, /^\(2000 bytes of binary data\)\n00000000 {2}ff ff/m);
  assert.match(binary, /… \(512 of 2000 bytes shown\)\n$/);
  assert.match(responseText({ ...base, body: Buffer.alloc(0), bytes: 0 }), /\n\n\(no body\)\n$/);
});
