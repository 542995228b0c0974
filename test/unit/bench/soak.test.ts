// The soak's verdict on the guest heap (bench/soak.bench.ts): idle checkpoints with a few KB of noise
// pass; a leak of 100 bytes a request fails, by the end point and by the trend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeHeap, mixRequest, slope, type HeapSample } from '../../../bench/soak.bench';

const TOLERANCE = 64 * 1024;

/** Checkpoints every 1,000 requests from 1,000 to 5,000, as the e2e soak takes them. */
function checkpoints(used: (requests: number, i: number) => number): HeapSample[] {
  return [1000, 2000, 3000, 4000, 5000].map((requests, i) => ({ used: used(requests, i), total: 1 << 27, requests, ms: i * 1000 }));
}

test('slope is the least-squares fit', () => {
  assert.equal(slope([{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 5 }]), 2);
  assert.equal(slope([{ x: 5, y: 9 }]), 0);
});

test('noise of a few KB around a flat heap passes; the max covers every sample', () => {
  const noise = [0, 3400, 3500, 4500, 2800];
  const c = checkpoints((_, i) => 500_000 + noise[i]!);
  const samples = [{ used: 560_000, total: 1 << 27, requests: 2500, ms: 0 }];
  const v = judgeHeap(c, samples, TOLERANCE);
  assert.equal(v.flat, true);
  assert.equal(v.growth, 2800);
  assert.equal(v.max, 560_000);
});

test('a leak of 100 bytes a request fails, and so does a steady climb that ends low', () => {
  assert.equal(judgeHeap(checkpoints((r) => 500_000 + 100 * r), [], TOLERANCE).flat, false);
  // Up 30 KB every 1,000 requests, down at the last checkpoint to below the tolerance: the trend still sees it.
  const climb = [0, 30_000, 60_000, 90_000, 60_000];
  const v = judgeHeap(checkpoints((_, i) => 500_000 + climb[i]!), [], TOLERANCE);
  assert.ok(v.growth <= TOLERANCE && v.trendGrowth > TOLERANCE, JSON.stringify(v));
  assert.equal(v.flat, false);
});

test('the mix: half /hello, 2 PUT, 2 GET /foo, 1 404 in 10; one request in 100 closes its connection', () => {
  const first = Array.from({ length: 100 }, (_, i) => mixRequest(i));
  const count = (f: (r: (typeof first)[number]) => boolean) => first.filter(f).length;
  assert.equal(count((r) => r.path === '/hello'), 50);
  assert.equal(count((r) => r.method === 'PUT'), 20);
  assert.equal(count((r) => r.path === '/foo'), 20);
  assert.equal(count((r) => r.expect === 404), 10);
  assert.equal(count((r) => r.close), 1);
});
