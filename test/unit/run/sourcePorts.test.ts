// Tests run/sourcePorts.ts: the forward's source ports go in turn, never one in use or resting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REST_MS, SourcePorts } from '../../../src/run/sourcePorts';

test('ports in use are not handed out again; a released one rests REST_MS first', () => {
  let now = 0;
  const ports = new SourcePorts(40000, 40002, () => now);
  const taken = [ports.take(), ports.take(), ports.take()];
  assert.deepEqual([...taken].sort(), [40000, 40001, 40002]);
  assert.equal(ports.take(), undefined, 'all three in use');
  ports.release(taken[1]!);
  assert.equal(ports.take(), undefined, 'released just now: resting');
  now += REST_MS - 1;
  assert.equal(ports.take(), undefined, 'still resting');
  now += 1;
  assert.equal(ports.take(), taken[1]);
});

test('ports go in turn: the one released longest ago comes first', () => {
  let now = 0;
  const ports = new SourcePorts(40000, 40003, () => now);
  const first = ports.take()!;
  ports.release(first);
  now += REST_MS;
  const next = [ports.take(), ports.take(), ports.take(), ports.take()];
  assert.equal(next[3], first, 'the rested port comes after the never-used ones');
  assert.equal(new Set(next).size, 4);
});
