// A KeyValue call waiting for Redis stalls no other request: with Redis paused (SIGSTOP) and GET /foo
// waiting for its reply, GET /hello is answered; once Redis goes on, /foo gets its value. Real QEMU
// under TCG, the demo app, a real redis-server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { productRoot } from '../../src/util/paths';
import { freePort } from '../../src/util/ports';
import { startCli, waitForReady } from '../support/cli';
import { TestRedis } from '../support/redis';

const demo = join(productRoot(), 'examples', 'http-server-demo');

test('Redis paused: /hello is answered while /foo waits for its reply; resumed: /foo gets the value', async () => {
  const redis = new TestRedis(await freePort());
  await redis.start();
  const cli = startCli(['run', '--app', demo, '--port', String(await freePort()), '--redis', `redis://127.0.0.1:${redis.port}`]);
  try {
    const url = await waitForReady(cli);
    const value = `stored at ${Date.now()}`;
    assert.equal((await fetch(`${url}/bar`, { method: 'PUT', body: value })).status, 200);

    redis.pause();
    const order: string[] = [];
    const foo = fetch(`${url}/foo`).then(async (r) => {
      order.push('foo');
      return { status: r.status, body: await r.text() };
    });
    // /foo is in the guest, suspended in its GET, once that GET waits unread at the paused Redis.
    while (!redis.hasUnreadCommand()) await new Promise((r) => setTimeout(r, 10));
    const hello = await fetch(`${url}/hello`);
    order.push('hello');
    assert.equal(hello.status, 200);
    assert.match(await hello.text(), /hello/i);
    assert.deepEqual(order, ['hello'], '/hello is answered while /foo still waits for Redis');

    redis.resume();
    assert.deepEqual(await foo, { status: 200, body: value }, '/foo gets the value once Redis goes on');
    assert.deepEqual(order, ['hello', 'foo']);
  } finally {
    redis.resume();
    cli.child.kill('SIGTERM');
    await cli.exited;
    await redis.kill();
  }
});
