// Tests trace/format.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTraceLine, MAX_LINE_CHARS, MAX_PREVIEW_BYTES, TraceDecoder, type HttpEvent, type KvEvent } from '../../../src/trace/format';

const KV_SET = '{"type":"kv","req":1,"iface":"spiderlightning:slight/keyvalue","fn":"[method]keyvalue.set","container":"my-container","key":"key","value_bytes":5,"value_b64":"aGVsbG8=","ok":true,"dur_us":812,"redis":["SET my-container:key <5 bytes>"]}';
const HTTP = '{"type":"http","id":1,"method":"PUT","path":"/foo","status":200,"req_bytes":5,"resp_bytes":0,"dur_us":1430,"handler":"handle-foo","req_headers":["host","127.0.0.1:3000","content-length","5"],"req_body_b64":"aGVsbG8=","resp_body_b64":""}';

function event(line: string) {
  const d = decodeTraceLine(line, 42);
  assert.equal(d.kind, 'event', JSON.stringify(d));
  return (d as { event: unknown }).event;
}

test('the examples of docs/TRACE.md decode to typed events', () => {
  const hello = event('{"type":"hello","v":1,"kernel":"uniwasm 0.1.0","app":"demo"}');
  assert.deepEqual(hello, { type: 'hello', recvMs: 42, guestUs: undefined, boot: 1, version: 1, kernel: 'uniwasm 0.1.0', app: 'demo' });
  const kv = event(KV_SET) as KvEvent;
  assert.equal(kv.fn, '[method]keyvalue.set');
  assert.equal(kv.container, 'my-container');
  assert.equal(kv.key, 'key');
  assert.equal(kv.value?.toString(), 'hello');
  assert.equal(kv.valueBytes, 5);
  assert.deepEqual(kv.redis, ['SET my-container:key <5 bytes>']);
  assert.equal(kv.ok, true);
  assert.equal(kv.err, undefined);
  const http = event(HTTP) as HttpEvent;
  assert.deepEqual(http.reqHeaders, [['host', '127.0.0.1:3000'], ['content-length', '5']]);
  assert.equal(http.reqBody.toString(), 'hello');
  assert.equal(http.respBody.length, 0);
  assert.deepEqual(http.respHeaders, []);
  assert.deepEqual(event('{"type":"http_start","id":1,"method":"PUT","path":"/foo"}'), { type: 'http_start', recvMs: 42, guestUs: undefined, boot: 0, id: 1, method: 'PUT', path: '/foo' });
  assert.deepEqual(event('{"type":"heap","used":10,"total":100,"ts_us":5}'), { type: 'heap', recvMs: 42, guestUs: 5, boot: 0, used: 10, total: 100 });
});

test('a keyvalue-error carries its case and string', () => {
  const kv = event('{"type":"kv","iface":"spiderlightning:slight/keyvalue","fn":"[method]keyvalue.get","container":"c","key":"nope","ok":false,"err":"key-not-found","err_msg":"nope","dur_us":1}') as KvEvent;
  assert.equal(kv.ok, false);
  assert.equal(kv.err, 'key-not-found');
  assert.equal(kv.errMsg, 'nope');
  assert.equal(kv.req, undefined);
  assert.deepEqual(kv.redis, []);
});

test('unknown fields are ignored and unknown event types are reported as unknown', () => {
  const kv = event(KV_SET.replace('"ok":true', '"ok":true,"future_field":{"nested":[1,2]}')) as KvEvent;
  assert.equal(kv.key, 'key');
  assert.deepEqual(decodeTraceLine('{"type":"gc-pause","us":3}', 0), { kind: 'unknown', type: 'gc-pause' });
});

test('malformed lines are results, never exceptions', () => {
  const cases: [string, RegExp][] = [
    ['not json', /not JSON/],
    ['{"type":"http"', /not JSON/],
    ['[1,2]', /not a JSON object/],
    ['"hello"', /not a JSON object/],
    ['{"v":1}', /missing "type"/],
    ['{"type":"heap","used":-1,"total":5}', /non-negative integer/],
    ['{"type":"heap","used":1.5,"total":5}', /non-negative integer/],
    ['{"type":"heap","used":9,"total":5}', /exceeds/],
    ['{"type":"heap","used":"1","total":5}', /must be a number/],
    [HTTP.replace('"req_headers":["host","127.0.0.1:3000","content-length","5"]', '"req_headers":["host"]'), /pairs/],
    [HTTP.replace('"req_headers":["host"', '"req_headers":[7'), /array of strings/],
    [HTTP.replace('"aGVsbG8="', '"<not base64>"'), /not base64/],
    [KV_SET.replace('"ok":true', '"ok":false'), /missing "err"/],
    [KV_SET.replace('"ok":true', '"ok":"yes"'), /must be a boolean/],
    ['{"type":"kv"}', /missing/],
    [`{"type":"heap","pad":"${'x'.repeat(MAX_LINE_CHARS)}"}`, /limit/],
  ];
  for (const [line, why] of cases) {
    const d = decodeTraceLine(line, 0);
    assert.equal(d.kind, 'malformed', line.slice(0, 80));
    assert.match((d as { error: string }).error, why, line.slice(0, 80));
  }
  assert.deepEqual(decodeTraceLine('  \r', 0), { kind: 'empty' });
});

test('previews and strings are bounded whatever the guest sends', () => {
  const big = Buffer.alloc(MAX_PREVIEW_BYTES * 2, 7).toString('base64');
  const kv = event(KV_SET.replace('"aGVsbG8="', `"${big}"`)) as KvEvent;
  assert.equal(kv.value?.length, MAX_PREVIEW_BYTES);
  const long = event(KV_SET.replace('"key":"key"', `"key":"${'k'.repeat(5000)}"`)) as KvEvent;
  assert.ok(long.key!.length < 2100);
});

test('the decoder counts, reports once per unknown type, and numbers boots', () => {
  const reports: string[] = [];
  const d = new TraceDecoder((m) => reports.push(m));
  assert.equal(d.decode('{"type":"hello","v":1}', 0)?.boot, 1);
  assert.equal(d.decode(KV_SET, 1)?.boot, 1);
  d.decode('{"type":"new-thing"}', 2);
  d.decode('{"type":"new-thing"}', 3);
  d.decode('garbage', 4);
  d.decode('', 5);
  assert.equal(d.decode('{"type":"hello","v":2}', 6)?.boot, 2);
  assert.equal(d.decode(HTTP, 7)?.boot, 2);
  assert.deepEqual(d.counts, { events: 4, malformed: 1, unknown: 2 });
  assert.equal(reports.filter((r) => r.includes('new-thing')).length, 1);
  assert.ok(reports.some((r) => /malformed.*garbage/.test(r)));
  assert.ok(reports.some((r) => /v2.*v1/.test(r)));
});
