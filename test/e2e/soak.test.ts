// A short soak (bench/soak.bench.ts is the long one): 5,000 mixed requests to the demo app under
// TCG with its embedded Redis, every one answered as expected, and the guest's heap flat between
// idle checkpoints (after a 1,000-request warm-up, then every 1,000 requests).
//
// How long it takes is the benchmark's to say (bench/soak.bench.ts), not this test's.
//
// Tolerance: 64 KiB over the 4,000 measured requests. Checkpoints are taken with no request in
// flight, so what a request holds while it runs is not in them; a leak of 100 bytes a request
// would show as ~400 KB, one of 20 bytes a request still as ~80 KB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { soak } from '../../bench/soak.bench';

test('5,000 mixed requests: no error, every one traced, the heap stays flat', { timeout: 600_000 }, async () => {
  const r = await soak({ requests: 5000, connections: 4, warmup: 1000, segments: 4, toleranceBytes: 64 * 1024 });
  console.log(JSON.stringify({ ...r, samples: r.samples.length }));
  assert.equal(r.errors, 0, r.failures.join('\n'));
  assert.equal(r.requests, 5000);
  assert.equal(r.traced, 5000, 'the guest traced every request');
  assert.deepEqual(r.byStatus, { 200: 4500, 404: 500 });
  assert.ok(r.flat, `heap not flat: ${JSON.stringify(r.heap)} over checkpoints ${r.checkpoints.map((c) => c.used).join(', ')}`);
});
