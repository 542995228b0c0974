// Tests traffic/httpFile.ts: traced requests written as `.http` text, and edited text read back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestAt, requestBlocks, requestToHttpText } from '../../../src/traffic/httpFile';
import { decodeTraceLine, type HttpEvent } from '../../../src/trace/format';

function httpEvent(fields: Record<string, unknown>): HttpEvent {
  const line = JSON.stringify({ type: 'http', id: 4, method: 'GET', path: '/', status: 200, req_bytes: 0, resp_bytes: 0, dur_us: 1, handler: 'h', ...fields });
  return (decodeTraceLine(line, 0, 1) as { event: HttpEvent }).event;
}

const put = httpEvent({
  method: 'PUT', path: '/bar?x=1', req_bytes: 11,
  req_headers: ['Host', '127.0.0.1:3000', 'Content-Length', '11', 'Content-Type', 'text/plain', 'x-uniwasm-replay', '1-2'],
  req_body_b64: Buffer.from('hello\nworld').toString('base64'),
});

test('a traced request becomes REST Client text aimed at the running app, without the headers the sender sets', () => {
  assert.equal(requestToHttpText(put, 'http://127.0.0.1:38080'), [
    '# PUT /bar?x=1 as the app got it (request #4): edit it, then Send.',
    'PUT http://127.0.0.1:38080/bar?x=1 HTTP/1.1',
    'Content-Type: text/plain',
    '',
    'hello',
    'world',
    '',
  ].join('\n'));
  assert.match(requestToHttpText(put, undefined), /^PUT \/bar\?x=1 HTTP\/1\.1$/m);
});

test('the text reads back as the request it was written from', () => {
  const parsed = parseRequestAt(requestToHttpText(put, 'http://127.0.0.1:38080'));
  assert.deepEqual(parsed, { ok: true, request: { method: 'PUT', target: '/bar?x=1', headers: [['Content-Type', 'text/plain']], body: 'hello\nworld', line: 1 } });
});

test('a cut or binary body is said so in a comment, above the request', () => {
  const cut = requestToHttpText({ ...put, reqBytes: 500 }, 'http://a:1');
  assert.match(cut, /^# The trace kept 11 of its 500 body bytes: the body below is cut\.$/m);
  assert.match(cut, /\n\nhello\nworld\n$/);
  const binary = requestToHttpText({ ...put, reqBody: Buffer.from([0, 1, 2]), reqBytes: 3 }, 'http://a:1');
  assert.match(binary, /^# Its body \(3 bytes\) is not text and is left out/m);
  assert.ok(binary.endsWith('Content-Type: text/plain\n'));
  const parsed = parseRequestAt(binary);
  assert.ok(parsed.ok && parsed.request.body === '');
});

test('edited text: a path alone, query lines, comments, CRLF, no version, a lower-case method', () => {
  const text = '// note\r\ndelete /items/7\r\n  ?a=1\r\n  &b=2\r\n# a comment among headers\r\nX-A:  one \r\n\r\n{"k": 1}\r\n\r\n\r\n';
  assert.deepEqual(parseRequestAt(text), { ok: true, request: { method: 'DELETE', target: '/items/7?a=1&b=2', headers: [['X-A', 'one']], body: '{"k": 1}', line: 1 } });
  assert.deepEqual(parseRequestAt('/hello'), { ok: true, request: { method: 'GET', target: '/hello', headers: [], body: '', line: 0 } });
});

test('`###` separates requests: each block is found, and the one at a line is parsed', () => {
  const text = '# first\nGET /a HTTP/1.1\n\n###\n### comments only\n\n###\nPOST /b\n\nbody b\n';
  assert.deepEqual(requestBlocks(text), [{ start: 0, end: 3, requestLine: 1 }, { start: 7, end: 11, requestLine: 7 }]);
  const at = (line: number) => { const p = parseRequestAt(text, line); return p.ok ? `${p.request.method} ${p.request.target} ${p.request.body}` : p.errors; };
  assert.equal(at(0), 'GET /a ');
  assert.equal(at(9), 'POST /b body b');
  assert.equal(at(4), 'GET /a ', 'a line in no request block: the first request');
});

test('malformed lines are each named with their line number and what to write instead', () => {
  const bad = parseRequestAt('PUT /bar HTTP/2\nContent-Type text/plain\nX-Ok: 1\nnot a header\n\nbody');
  assert.equal(bad.ok, false);
  assert.deepEqual(!bad.ok && bad.errors.map((e) => [e.line, e.message]), [
    [0, 'line 1: `HTTP/2`: requests are sent as HTTP/1.1'],
    [1, 'line 2: `Content-Type text/plain` is not a header: write `Name: value`, and a blank line before the body'],
    [3, 'line 4: `not a header` is not a header: write `Name: value`, and a blank line before the body'],
  ]);
  const message = (text: string) => { const p = parseRequestAt(text); return p.ok ? 'ok' : p.errors[0]!.message; };
  assert.equal(message('GET https://127.0.0.1/x'), 'line 1: `https://127.0.0.1/x`: the app serves plain http://, not https://');
  assert.equal(message('GET hello'), 'line 1: `hello` is not a URL: write a path (`/hello`) or `http://127.0.0.1:PORT/hello`');
  assert.equal(message('GET /a b c d'), 'line 1: `GET /a b c d` is not a request line: write `METHOD URL HTTP/1.1`');
  assert.equal(message('# only a comment\n'), 'no request here: write `METHOD URL HTTP/1.1`, e.g. `GET /hello HTTP/1.1`');
  assert.equal(message('GET http://[bad/x'), 'line 1: `http://[bad/x` is not a valid URL');
});
