// Runs build/http-server-demo.wasm against the in-memory host of ../fake-host.mjs.
// Build first: bash examples/http-server-demo/build.sh
// Run: node --test examples/http-server-demo/abi.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { instantiate as instantiateAt, utf8, text, KV_CONNECTION_ERROR, HTTP_UNEXPECTED_ERROR, METHOD } from '../fake-host.mjs';

const wasmPath = new URL('./build/http-server-demo.wasm', import.meta.url);
const instantiate = () => instantiateAt(wasmPath);

test('imports and exports match EXPECTED_ABI.txt', async () => {
  const expected = readFileSync(new URL('./EXPECTED_ABI.txt', import.meta.url), 'utf8').split('\n');
  const listed = (kind) => expected.filter((l) => l.startsWith(`${kind} `)).map((l) => l.split(' ')[1]).sort();
  const mod = await WebAssembly.compile(readFileSync(wasmPath));
  assert.deepEqual(WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`).sort(), listed('import'));
  assert.deepEqual(WebAssembly.Module.exports(mod).map((e) => e.name).sort(), listed('export'));
  assert.ok(listed('import').every((name) => name.startsWith('spiderlightning:slight/')));
});

test('init opens the container, registers the routes and serves', async () => {
  const { host, inst } = await instantiate();
  const ret = inst.exports.init();
  assert.equal(new DataView(inst.exports.memory.buffer).getUint8(ret), 0, 'init returned ok');
  inst.exports.cabi_post_init(ret);
  assert.deepEqual(host.containers, ['my-container']);
  assert.deepEqual(host.routes, [
    ['GET', '/hello', 'handle-hello', 1],
    ['GET', '/foo', 'handle-foo', 1],
    ['PUT', '/bar', 'handle-bar', 1],
  ]);
  assert.deepEqual(host.served, [['0.0.0.0:3000', 1]]);
});

test('the three routes behave like the SpiderLightning demo', async () => {
  const { host, inst, call } = await instantiate();
  inst.exports.init();
  assert.deepEqual(call('handle-hello', METHOD.get, '/hello'), { status: 200, headers: null, body: 'hello, world\n' });
  assert.deepEqual(call('handle-foo', METHOD.get, '/foo'), { status: 404, headers: null, body: 'key not found\n' });
  assert.deepEqual(call('handle-bar', METHOD.put, '/bar', utf8.encode('bar value')), { status: 200, headers: null, body: null });
  assert.equal(text.decode(host.store.get('my-container:key')), 'bar value');
  assert.deepEqual(call('handle-foo', METHOD.get, '/foo'), { status: 200, headers: null, body: 'bar value' });
  assert.deepEqual(call('handle-bar', METHOD.put, '/bar'), { status: 200, headers: null, body: null });
  assert.equal(host.store.get('my-container:key').length, 0, 'no body sets the empty value');
});

test('a keyvalue failure other than key-not-found becomes an http-error', async () => {
  const { host, inst, call } = await instantiate();
  inst.exports.init();
  host.failGetWith = [KV_CONNECTION_ERROR, 'connection refused'];
  assert.deepEqual(call('handle-foo', METHOD.get, '/foo'), { error: HTTP_UNEXPECTED_ERROR, message: 'connection refused' });
});

test('requests do not leak guest memory', async () => {
  const { inst, call } = await instantiate();
  inst.exports.init();
  const body = new Uint8Array(64 * 1024).fill(0x61);
  call('handle-bar', METHOD.put, '/bar', body);
  call('handle-foo', METHOD.get, '/foo');
  const pages = inst.exports.memory.buffer.byteLength;
  for (let i = 0; i < 500; i++) {
    call('handle-bar', METHOD.put, '/bar', body);
    assert.equal(call('handle-foo', METHOD.get, '/foo').status, 200);
    call('handle-hello', METHOD.get, '/hello');
  }
  assert.equal(inst.exports.memory.buffer.byteLength, pages, 'memory did not grow');
});
