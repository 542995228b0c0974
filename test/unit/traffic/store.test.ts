// Tests traffic/store.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesHttp, matchesKv, parseHttpFilter, parseKvFilter, Ring, TrafficLog } from '../../../src/traffic/store';
import type { HttpEvent } from '../../../src/trace/format';

test('a ring keeps the newest `cap` items, newest first', () => {
  const r = new Ring<number>(3);
  assert.equal(r.push(1), undefined);
  r.push(2);
  r.push(3);
  assert.equal(r.push(4), 1);
  assert.deepEqual([...r.newestFirst()], [4, 3, 2]);
  assert.equal(r.size, 3);
  r.clear();
  assert.deepEqual([...r.newestFirst()], []);
  assert.throws(() => new Ring(0), /positive integer/);
});

test('a traffic log stays bounded under a flood', () => {
  const log = new TrafficLog<number>(5000);
  for (let i = 0; i < 100_000; i++) log.add(i);
  assert.equal(log.size, 5000);
  assert.deepEqual(log.list(undefined, 2), [99_999, 99_998]);
  assert.deepEqual(log.list((n) => n % 1000 === 0), [99_000, 98_000, 97_000, 96_000, 95_000]);
});

test('pause drops and counts; clear empties and notifies', () => {
  const log = new TrafficLog<string>(10);
  const seen: (string | undefined)[] = [];
  const off = log.onChange((r) => seen.push(r));
  log.add('a');
  log.paused = true;
  assert.equal(log.add('b'), false);
  assert.equal(log.droppedWhilePaused, 1);
  log.paused = false;
  log.add('c');
  assert.deepEqual(log.list(), ['c', 'a']);
  log.clear();
  assert.equal(log.size, 0);
  assert.equal(log.droppedWhilePaused, 0);
  off();
  log.add('d');
  assert.deepEqual(seen, ['a', 'c', undefined]);
});

const req = (method: string, path: string, status: number) => ({ method, path, status }) as HttpEvent;

test('HTTP filters: method, path part, status and status class', () => {
  assert.deepEqual(parseHttpFilter(''), {});
  assert.deepEqual(parseHttpFilter(' get  /items 4xx '), { method: 'GET', path: '/items', status: [400, 499] });
  assert.deepEqual(parseHttpFilter('404'), { status: [404, 404] });
  const rows = [req('GET', '/hello', 200), req('PUT', '/items/1', 404), req('GET', '/items/2', 500)];
  const pick = (text: string) => rows.filter((r) => matchesHttp(parseHttpFilter(text), r)).map((r) => `${r.method} ${r.path}`);
  assert.deepEqual(pick('GET'), ['GET /hello', 'GET /items/2']);
  assert.deepEqual(pick('/items'), ['PUT /items/1', 'GET /items/2']);
  assert.deepEqual(pick('4xx'), ['PUT /items/1']);
  assert.deepEqual(pick('GET 5xx'), ['GET /items/2']);
  assert.deepEqual(pick(''), ['GET /hello', 'PUT /items/1', 'GET /items/2']);
  // A request in flight has no status yet: method and path filters see it, a status filter does not.
  const inFlight = { method: 'GET', path: '/items/3' };
  assert.ok(matchesHttp(parseHttpFilter('GET /items'), inFlight));
  assert.ok(!matchesHttp(parseHttpFilter('2xx'), inFlight));
});

test('KeyValue filters: container exact, key part, or either', () => {
  assert.deepEqual(parseKvFilter('container:c1 key:user'), { container: 'c1', key: 'user' });
  const rows = [{ container: 'c1', key: 'user:1' }, { container: 'c2', key: 'user:2' }, { container: 'c10', key: 'cart' }, {}];
  const pick = (text: string) => rows.filter((r) => matchesKv(parseKvFilter(text), r));
  assert.equal(pick('container:c1').length, 1);
  assert.equal(pick('key:user').length, 2);
  assert.equal(pick('c1').length, 2);
  assert.equal(pick('cart').length, 1);
  assert.equal(pick('').length, 4);
});
