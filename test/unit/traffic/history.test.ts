// Tests traffic/history.ts and the boots and heap TrafficCore keeps for the HTTP Requests view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrafficCore } from '../../../src/traffic/core';
import { historyRows, type HistoryRow } from '../../../src/traffic/history';

const http = (id: number, path = `/p${id}`) => JSON.stringify({ type: 'http', id, method: 'GET', path, status: 200, req_bytes: 0, resp_bytes: 0, dur_us: 1, handler: 'h' });
const show = (rows: HistoryRow[]) => rows.map((r) => (r.type === 'boot' ? `boot ${r.boot.boot}${r.current ? ' (current)' : ''} @${r.boot.recvMs}` : `${r.type === 'http' ? '' : '…'}${r.boot}-${r.id}`));

function twoBoots(): TrafficCore {
  const core = new TrafficCore({ signatures: () => undefined, report: () => {} });
  core.onTrace(http(9), 1); // traced before any hello: no boot to name
  core.onTrace('{"type":"hello","v":1,"app":"demo"}', 10);
  core.onTrace(http(1), 11);
  core.onTrace(http(2), 12);
  core.onTrace('{"type":"hello","v":1,"app":"demo"}', 20);
  core.onTrace(http(1), 21);
  core.onTrace('{"type":"http_start","id":2,"method":"GET","path":"/slow"}', 22);
  return core;
}

const rowsOf = (core: TrafficCore, keep: (path: string) => boolean = () => true) =>
  show(historyRows(core.inFlight().filter((e) => keep(e.path)), core.http.list((e) => keep(e.path)), core.boots, core.currentBoot));

test('the history has a separator above each boot, newest boot first, in-flight requests on top of theirs', () => {
  const core = twoBoots();
  assert.deepEqual(rowsOf(core), ['boot 2 (current) @20', '…2-2', '2-1', 'boot 1 @10', '1-2', '1-1', '0-9']);
  assert.equal(core.boots.get(2)?.app, 'demo');
});

test('the serving boot shows at once; a filter keeps the separators of the boots it shows', () => {
  const core = twoBoots();
  core.onTrace('{"type":"hello","v":1}', 30);
  assert.deepEqual(rowsOf(core).slice(0, 3), ['boot 3 (current) @30', 'boot 2 @20', '2-1'], 'a reboot: its separator on top, the last boot\'s below');
  assert.deepEqual(rowsOf(core, (p) => p === '/p2'), ['boot 3 (current) @30', 'boot 1 @10', '1-2']);
  core.http.clear();
  assert.deepEqual(rowsOf(core), ['boot 3 (current) @30']);
});

test('the end of the run ends the current boot and forgets the heap; listeners are told', () => {
  const core = twoBoots();
  const heaps: unknown[] = [];
  let boots = 0;
  core.onHeap((h) => heaps.push(h));
  core.onBoot(() => boots++);
  core.onTrace('{"type":"heap","used":5,"total":10}', 23);
  core.endRun();
  assert.deepEqual(heaps, [{ used: 5, total: 10, recvMs: 23 }, undefined]);
  assert.equal(core.heap, undefined);
  assert.equal(boots, 1);
  assert.deepEqual(core.inFlight(), []);
  assert.deepEqual(rowsOf(core), ['boot 2 @20', '2-1', 'boot 1 @10', '1-2', '1-1', '0-9']);
});

test('the boots remembered are bounded', () => {
  const core = new TrafficCore({ signatures: () => undefined, report: () => {} });
  for (let i = 0; i < 150; i++) core.onTrace('{"type":"hello","v":1}', i);
  assert.equal(core.boots.size, 100);
  assert.equal(core.boots.has(150) && !core.boots.has(50), true);
});
