// Runs build/hello.wasm against the in-memory host of ../fake-host.mjs.
// Build first: bash examples/hello/build.sh
// Run: node --test examples/hello/abi.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instantiate, METHOD } from '../fake-host.mjs';

test('hello serves GET /hello', async () => {
  const { host, inst, call } = await instantiate(new URL('./build/hello.wasm', import.meta.url));
  const ret = inst.exports.init();
  assert.equal(new DataView(inst.exports.memory.buffer).getUint8(ret), 0, 'init returned ok');
  inst.exports.cabi_post_init(ret);
  assert.deepEqual(host.routes, [['GET', '/hello', 'handle-hello', 1]]);
  assert.deepEqual(host.served, [['0.0.0.0:3000', 1]]);
  assert.deepEqual(call('handle-hello', METHOD.get, '/hello'), { status: 200, headers: null, body: 'hello from Uniwasm\n' });
});
