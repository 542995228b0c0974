// Tests the KeyValue view's side of traffic/core.ts, traffic/format.ts and traffic/batch.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Batcher, RateMeter } from '../../../src/traffic/batch';
import { TrafficCore, type KvViewMessage } from '../../../src/traffic/core';
import { formatCall, formatCallBrief, formatResult, hexDump, previewText, quote, requestDetails } from '../../../src/traffic/format';
import { witSignatures } from '../../../src/traffic/signature';
import { decodeTraceLine, type HttpEvent, type KvEvent } from '../../../src/trace/format';
import { contentSecurityPolicy, kvHtml } from '../../../src/traffic/webviewHtml';
import { productRoot } from '../../../src/util/paths';

const witDir = join(productRoot(), 'wit');
const signatures = witSignatures(readdirSync(witDir).filter((f) => f.endsWith('.wit')).map((f) => ({ file: f, text: readFileSync(join(witDir, f), 'utf8') })));
const IFACE = 'spiderlightning:slight/keyvalue';

function kv(fields: Record<string, unknown>, recvMs = 0): KvEvent {
  const d = decodeTraceLine(JSON.stringify({ type: 'kv', iface: IFACE, ok: true, dur_us: 7, container: 'my-container', ...fields }), recvMs);
  assert.equal(d.kind, 'event', JSON.stringify(d));
  return (d as { event: KvEvent }).event;
}

test('calls show WIT parameter names and types from wit/keyvalue.wit', () => {
  const set = kv({ fn: '[method]keyvalue.set', key: 'key', value_bytes: 5, value_b64: 'aGVsbG8=' });
  assert.deepEqual(signatures(IFACE, '[method]keyvalue.set'), { params: [{ name: 'key', type: 'string' }, { name: 'value', type: 'payload' }], result: 'result<_, keyvalue-error>' });
  assert.equal(formatCall(set, signatures(IFACE, set.fn)), 'keyvalue.set(key: string = "key", value: payload = <5 bytes>)');
  assert.equal(formatResult(set), 'ok');
  const open = kv({ fn: '[static]keyvalue.open' });
  assert.equal(formatCall(open, signatures(IFACE, open.fn)), 'keyvalue.open(name: string = "my-container")');
  assert.equal(formatResult(open), 'ok(keyvalue)');
  const get = kv({ fn: '[method]keyvalue.get', key: 'k', value_bytes: 3, value_b64: 'YWJj' });
  assert.equal(formatResult(get), 'ok(<3 bytes>)');
  const miss = kv({ fn: '[method]keyvalue.get', key: 'k"\n', ok: false, err: 'key-not-found', err_msg: 'k' });
  assert.equal(formatCall(miss, signatures(IFACE, miss.fn)), 'keyvalue.get(key: string = "k\\"\\n")');
  assert.equal(formatResult(miss), 'err(key-not-found("k"))');
  const keys = kv({ fn: '[method]keyvalue.keys', keys: ['a', 'b', 'c', 'd', 'e', 'f'], key_count: 9 });
  assert.equal(formatResult(keys), 'ok(["a", "b", "c", "d", "e", … 9 keys])');
  // Without the WIT (an unknown interface), the fields the event has, untyped.
  assert.equal(formatCall(set, signatures('other:pkg/kv', set.fn)), 'keyvalue.set(key = "key", value = <5 bytes>)');
  // Brief, for the narrow side bar: the values only, in the WIT's parameter order.
  assert.equal(formatCallBrief(set, signatures(IFACE, set.fn)), 'keyvalue.set("key", <5 bytes>)');
  assert.equal(formatCallBrief(open, signatures(IFACE, open.fn)), 'keyvalue.open("my-container")');
  assert.equal(formatCallBrief(miss, signatures(IFACE, miss.fn)), 'keyvalue.get("k\\"\\n")');
  assert.equal(formatCallBrief(set, signatures('other:pkg/kv', set.fn)), 'keyvalue.set("key", <5 bytes>)');
  assert.equal(quote('x'.repeat(100)).length, 83);
});

test('previews: printable UTF-8 as text, anything else as a hex dump', () => {
  assert.equal(previewText(Buffer.from('héllo'), 6), 'héllo');
  assert.equal(previewText(Buffer.from('abc'), 10), 'abc\n… (3 of 10 bytes shown)');
  assert.equal(previewText(Buffer.alloc(0), 0), '(empty)');
  assert.equal(previewText(Buffer.from([0, 255, 65]), 3), `00000000  ${'00 ff 41'.padEnd(47)}  |..A|`);
  assert.equal(hexDump(Buffer.alloc(17)).split('\n').length, 2);
});

test('request details list headers, bodies and the KeyValue calls of the request', () => {
  const d = decodeTraceLine('{"type":"http","id":3,"method":"PUT","path":"/foo","status":200,"req_bytes":5,"resp_bytes":2,"dur_us":1500,"handler":"handle-foo","req_headers":["host","x"],"req_body_b64":"aGVsbG8=","resp_body_b64":"b2s="}', 0);
  const e = (d as { event: HttpEvent }).event;
  const call = kv({ fn: '[method]keyvalue.set', key: 'key', value_bytes: 5, value_b64: 'aGVsbG8=', req: 3 });
  const text = requestDetails(e, [{ id: 1, recvMs: 0, call, commands: [{ recvMs: 0, time: '1', args: ['SET', 'my-container:key', 'hello'], source: 's', db: '0' }] }], (c) => signatures(c.iface, c.fn));
  assert.match(text, /^PUT \/foo HTTP\/1\.1\nhost: x\n\nhello\n/);
  assert.match(text, /response 200: 2 bytes in 1\.5 ms, handler handle-foo/);
  assert.match(text, /my-container: keyvalue\.set\(key: string = "key", value: payload = <5 bytes>\) -> ok/);
  assert.match(text, / {4}redis SET my-container:key <5 bytes>/);
});

test('the webview HTML carries a strict CSP with a nonce and no data', () => {
  const csp = contentSecurityPolicy('vscode-webview://x', 'N0nce');
  assert.equal(csp, "default-src 'none'; script-src 'nonce-N0nce'; style-src vscode-webview://x; font-src vscode-webview://x; img-src vscode-webview://x");
  const html = kvHtml({ cspSource: 'vscode-webview://x', nonce: 'N0nce', scriptUri: 'https://file+.vscode-resource/kv.js?a=1&b="', styleUri: 's.css' });
  assert.ok(html.includes(`content="${csp.replace(/'/g, "'")}"`));
  assert.ok(html.includes('<script nonce="N0nce" src="https://file+.vscode-resource/kv.js?a=1&amp;b=&quot;"></script>'));
  assert.equal((html.match(/<script/g) ?? []).length, 1, 'one script, no inline code');
  assert.ok(!/ on[a-z]+=/.test(html), 'no inline event handlers');
});

test('the batcher sends at most every interval, newest rows only, updates merged', async () => {
  const sent: { items: { id: number; v: string; isNew: boolean }[]; skipped: number }[] = [];
  const b = new Batcher<{ id: number; v: string; isNew: boolean }>({
    intervalMs: 50, maxItems: 3, idOf: (x) => x.id,
    merge: (o, n) => ({ ...n, isNew: o.isNew || n.isNew }),
    send: (items, skipped) => sent.push({ items, skipped }),
  });
  for (let i = 1; i <= 5; i++) b.push({ id: i, v: 'a', isNew: true });
  b.push({ id: 5, v: 'b', isNew: false });
  assert.equal(sent.length, 0, 'nothing is sent synchronously');
  await sleep(20);
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0], { items: [{ id: 3, v: 'a', isNew: true }, { id: 4, v: 'a', isNew: true }, { id: 5, v: 'b', isNew: true }], skipped: 2 });
  b.push({ id: 6, v: 'c', isNew: true });
  await sleep(10);
  assert.equal(sent.length, 1, 'the next batch waits for the interval');
  await sleep(60);
  assert.equal(sent.length, 2);
  b.push({ id: 7, v: 'd', isNew: true });
  b.discard();
  await sleep(70);
  assert.equal(sent.length, 2);
});

test('the rate meter counts the last second', () => {
  const r = new RateMeter();
  for (let t = 0; t < 1000; t += 10) r.mark(t);
  assert.equal(r.perSecond(999), 100);
  assert.equal(r.perSecond(1550), 40); // buckets 600–1599: the marks at 600–990
  assert.equal(r.perSecond(5000), 0);
  assert.equal(r.total, 100);
});

test('the core feeds the view: reset, batched rows, correlation updates, filter, pause', async () => {
  const messages: KvViewMessage[] = [];
  const core = new TrafficCore({ signatures, report: () => {}, viewRows: 100, batchMs: 20 });
  const line = (key: string) => JSON.stringify({ type: 'kv', iface: IFACE, fn: '[method]keyvalue.set', container: 'c', key, value_bytes: 1, value_b64: 'eA==', ok: true, dur_us: 3 });
  core.onTrace(line('before'), 1);
  core.connectView((m) => messages.push(m), 20);
  assert.equal(messages[0]?.type, 'reset');
  assert.equal((messages[0] as { rows: unknown[] }).rows.length, 1);
  core.onTrace(line('k1'), 2);
  core.addCommand({ recvMs: 3, time: '1', args: ['SET', 'c:k1', 'x'], source: 's', db: '0' });
  core.addCommand({ recvMs: 4, time: '1', args: ['GET', 'other:k'], source: 's', db: '0' });
  await sleep(40);
  const batch = messages.find((m) => m.type === 'rows') as Extract<KvViewMessage, { type: 'rows' }>;
  assert.equal(batch.rows.length, 1, 'the late command updated the row inside the same batch');
  assert.deepEqual({ call: batch.rows[0]!.call, isNew: batch.rows[0]!.isNew, redis: batch.rows[0]!.redis }, {
    call: 'keyvalue.set(key: string = "k1", value: payload = <1 bytes>)', isNew: true, redis: [{ text: 'SET c:k1 <1 bytes>', source: 's' }],
  });
  core.tick(5000); // the unclaimed GET becomes a row of its own
  core.setKvFilter('key:k1');
  const reset = messages.at(-1) as Extract<KvViewMessage, { type: 'reset' }>;
  assert.deepEqual(reset.rows.map((r) => r.key), ['k1']);
  assert.equal(reset.filter, 'key:k1');
  core.setKvFilter('container:other');
  assert.deepEqual((messages.at(-1) as { rows: { key?: string; call?: string }[] }).rows.map((r) => [r.key, r.call]), [['k', undefined]]);
  core.setKvPaused(true);
  core.onTrace(line('dropped'), 6);
  assert.equal(core.kv.droppedWhilePaused, 1);
  core.postStats(6);
  const stats = messages.at(-1) as Extract<KvViewMessage, { type: 'stats' }>;
  assert.equal(stats.paused, true);
  assert.equal(stats.rows, 3);
  core.clearKv();
  assert.equal(core.kv.size, 0);
  core.disconnectView();
});

test('view rows carry their time to sort on and the request they served, with its boot', async () => {
  const messages: KvViewMessage[] = [];
  const core = new TrafficCore({ signatures, report: () => {}, batchMs: 5 });
  core.connectView((m) => messages.push(m), 5);
  core.onTrace('{"type":"hello","v":1}', 0);
  // A DEL no call claims, at 41, then call 1 of request 12 at 58: the DEL's row is made a second later.
  core.addCommand({ recvMs: 41, time: '1', args: ['DEL', 'other:gone'], source: 's', db: '0' });
  core.onTrace(JSON.stringify({ type: 'kv', req: 12, iface: IFACE, fn: '[method]keyvalue.get', container: 'c', key: 'k', value_bytes: 1, value_b64: 'eA==', ok: true, dur_us: 3 }), 58);
  core.tick(2000);
  const sent = () => messages.flatMap((m) => (m.type === 'rows' ? m.rows : []));
  while (sent().length < 2) await sleep(5); // the batch goes out on its timer
  const rows = sent();
  assert.deepEqual(rows.map((r) => [r.t, r.req, r.boot, r.brief ?? r.redis[0]!.text]), [
    [58, 12, 1, 'keyvalue.get("k")'],
    [41, undefined, undefined, 'DEL other:gone'],
  ], 'arrival order here; the webview puts each in its place by t');
  core.disconnectView();
});

test('the core keeps HTTP requests, heap samples and per-request KeyValue calls', () => {
  const core = new TrafficCore({ signatures, report: () => {}, httpCap: 2 });
  core.onTrace('{"type":"hello","v":1}', 0);
  core.onTrace(JSON.stringify({ type: 'kv', req: 1, iface: IFACE, fn: '[method]keyvalue.get', container: 'c', key: 'k', ok: false, err: 'key-not-found', err_msg: 'k', dur_us: 1 }), 1);
  for (let id = 1; id <= 3; id++) {
    core.onTrace(JSON.stringify({ type: 'http', id, method: 'GET', path: `/p${id}`, status: 200, req_bytes: 0, resp_bytes: 0, dur_us: 1, handler: 'h' }), 2);
  }
  core.onTrace('{"type":"heap","used":5,"total":10}', 3);
  assert.deepEqual(core.http.list().map((e) => e.path), ['/p3', '/p2']);
  assert.deepEqual(core.heap, { used: 5, total: 10, recvMs: 3 });
  const first = { id: 1, boot: 1 } as HttpEvent;
  assert.equal(core.kvCallsOf(first).length, 1);
  assert.equal(core.kvCallsOf({ id: 1, boot: 2 } as HttpEvent).length, 0);
});

test('a request the app began is in flight until its answer, a reboot or the end of the run', () => {
  const core = new TrafficCore({ signatures, report: () => {} });
  let changes = 0;
  core.onInFlightChange(() => changes++);
  const start = (id: number, path: string) => core.onTrace(JSON.stringify({ type: 'http_start', id, method: 'GET', path }), id);
  const answer = (id: number, path: string) =>
    core.onTrace(JSON.stringify({ type: 'http', id, method: 'GET', path, status: 200, req_bytes: 0, resp_bytes: 0, dur_us: 1, handler: 'h' }), id);
  core.onTrace('{"type":"hello","v":1}', 0);
  start(1, '/hello');
  assert.deepEqual(core.inFlight().map((e) => [e.boot, e.id, e.method, e.path]), [[1, 1, 'GET', '/hello']]);
  assert.equal(core.http.size, 0, 'not answered: not among the answered requests');
  answer(1, '/hello');
  assert.deepEqual(core.inFlight(), []);
  assert.deepEqual(core.http.list().map((e) => e.path), ['/hello']);
  start(2, '/a');
  start(3, '/b');
  assert.deepEqual(core.inFlight().map((e) => e.path), ['/b', '/a'], 'newest first');
  // The guest rebooted: the old boot's requests will never be answered; an answer of the new boot's id 2 is not theirs.
  core.onTrace('{"type":"hello","v":1}', 4);
  start(2, '/c');
  assert.deepEqual(core.inFlight().map((e) => [e.boot, e.path]), [[2, '/c']]);
  core.endRequests();
  assert.deepEqual(core.inFlight(), []);
  assert.equal(changes, 7);
});
