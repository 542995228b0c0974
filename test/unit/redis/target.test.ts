// Tests redis/target.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redisKernelArgs, redisTarget } from '../../../src/redis/target';

test('loopback Redis is reached through the guest’s view of the host', async () => {
  const t = await redisTarget('redis://127.0.0.1:6400');
  assert.equal(t.guestAddress, '10.0.2.2:6400');
  assert.deepEqual(redisKernelArgs(t), ['redis=10.0.2.2:6400']);
  assert.equal((await redisTarget('redis://localhost')).guestAddress, '10.0.2.2:6379');
});

test('credentials become kernel arguments', async () => {
  const t = await redisTarget('redis://alice:s%3Acret@192.0.2.7:7000');
  assert.deepEqual(redisKernelArgs(t), ['redis=192.0.2.7:7000', 'redis_user=alice', 'redis_password=s:cret']);
});

test('bad URLs are clear errors', async () => {
  await assert.rejects(redisTarget('not a url'), /invalid Redis URL/);
  await assert.rejects(redisTarget('rediss://127.0.0.1'), /only redis:\/\//);
  await assert.rejects(redisTarget('redis://u:a%20b@127.0.0.1'), /white space/);
  await assert.rejects(redisTarget('redis://no-such-host.invalid'), /cannot resolve/);
});
