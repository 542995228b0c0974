// The unikernel serving real apps end to end under TCG: the demo app on a Redis this test owns
// (so it can stop and restart it), a hand-written WAT guest that traps and spins, and modules
// the boot must refuse. Real QEMU, real redis-server, real HTTP over TCP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { productRoot } from '../../src/util/paths';
import { freePort } from '../../src/util/ports';
import { runCli, startCli, waitForReady, type CliProcess } from '../support/cli';
import { TestRedis } from '../support/redis';

const work = mkdtempSync(join(tmpdir(), 'uniwasm-app-'));
const demo = join(productRoot(), 'examples', 'http-server-demo');

/** Sends `bytes` on a fresh connection and returns everything the guest sent back until it closed. */
function rawExchange(url: string, bytes: Buffer | string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let reply = '';
    socket.setTimeout(15_000, () => socket.destroy(new Error(`no answer after 15 s, got: ${reply}`)));
    socket.on('data', (d) => (reply += d.toString('latin1')));
    socket.on('end', () => resolve(reply));
    socket.on('error', reject);
  });
}

async function stopCli(cli: CliProcess): Promise<void> {
  cli.child.kill('SIGTERM');
  await cli.exited;
}

let redis: TestRedis;
let cli: CliProcess;
let url: string;

before(async () => {
  redis = new TestRedis(await freePort());
  await redis.start();
  cli = startCli(['run', '--app', demo, '--port', String(await freePort()), '--redis', `redis://127.0.0.1:${redis.port}`]);
  url = await waitForReady(cli);
});

after(async () => {
  await stopCli(cli);
  await redis.kill();
});

test('the demo answers GET /hello', async () => {
  const res = await fetch(`${url}/hello`);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /hello/i);
});

test('PUT /bar stores the body in Redis; GET /foo reads it back, and redis-cli agrees', async () => {
  const body = `value at ${Date.now()} \u00e9\u4e2d`;
  const put = await fetch(`${url}/bar`, { method: 'PUT', body });
  assert.equal(put.status, 200, await put.text());
  assert.equal(redis.cli('GET', 'my-container:key'), body, 'the write is in Redis once the PUT answered');
  const get = await fetch(`${url}/foo`);
  assert.equal(get.status, 200);
  assert.equal(await get.text(), body);
});

test('a 2 MiB body, over the old 1 MiB limit, is stored and read back whole', async () => {
  const body = Buffer.alloc(2 << 20, 'uniwasm ');
  const put = await fetch(`${url}/bar`, { method: 'PUT', body });
  assert.equal(put.status, 200, await put.text());
  const get = await fetch(`${url}/foo`);
  assert.equal(get.status, 200);
  assert.ok(Buffer.from(await get.arrayBuffer()).equals(body), 'GET /foo returns the 2 MiB byte for byte');
});

test('two Host headers get 400 (RFC 9112 §3.2), and the server goes on answering', async () => {
  const reply = await rawExchange(url, 'GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n');
  assert.match(reply, /^HTTP\/1\.1 400 /);
  assert.equal((await fetch(`${url}/hello`)).status, 200);
});

test('an unknown route is 404 and a wrong method 405', async () => {
  assert.equal((await fetch(`${url}/no/such/route`)).status, 404);
  assert.equal((await fetch(`${url}/hello`, { method: 'DELETE' })).status, 405);
});

test('junk bytes on the socket get 400, and the server goes on answering', async () => {
  const reply = await rawExchange(url, Buffer.from([0x16, 0x03, 0x01, 0xde, 0xad, 0xbe, 0xef, 0x0d, 0x0a, 0x0d, 0x0a]));
  assert.match(reply, /^HTTP\/1\.1 400 /);
  const oversized = await rawExchange(url, `GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  assert.match(oversized, /^HTTP\/1\.1 431 /);
  assert.equal((await fetch(`${url}/hello`)).status, 200);
});

test('keep-alive: pipelined requests on one connection are answered in order', async () => {
  const reply = await rawExchange(url, 'GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  const statuses = [...reply.matchAll(/^HTTP\/1\.1 (\d+)/gm)].map((m) => m[1]);
  assert.deepEqual(statuses, ['200', '404']);
});

test('Redis stopped: 503; restarted: 200 again without a reboot', async () => {
  await redis.kill();
  const down = await fetch(`${url}/foo`);
  assert.equal(down.status, 503, await down.text());
  assert.equal((await fetch(`${url}/bar`, { method: 'PUT', body: 'lost' })).status, 503, 'a PUT Redis did not acknowledge is not a success');
  assert.equal((await fetch(`${url}/hello`)).status, 200, 'routes without KeyValue still answer');

  await redis.start();
  const deadline = Date.now() + 10_000; // the client's reconnect backoff is at most 5 s
  let status = 0;
  while (Date.now() < deadline) {
    status = (await fetch(`${url}/bar`, { method: 'PUT', body: 'back' })).status;
    if (status === 200) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(status, 200, 'PUT /bar succeeds once Redis is back');
  assert.equal(await (await fetch(`${url}/foo`)).text(), 'back');
});

test('a handler that traps gets 500 and the next request succeeds; one out of fuel gets 504', async () => {
  const wasm = join(work, 'guest.wasm');
  execFileSync('wat2wasm', [join(productRoot(), 'kernel', 'runtime', 'tests', 'guests', 'demo.wat'), '-o', wasm]);
  const guest = startCli(['run', '--app', wasm, '--port', String(await freePort())]);
  try {
    const guestUrl = await waitForReady(guest);
    const trapped = await fetch(`${guestUrl}/trap`);
    assert.equal(trapped.status, 500);
    assert.match(await trapped.text(), /trapped/);
    assert.equal((await fetch(`${guestUrl}/hello`)).status, 200);
    assert.equal((await fetch(`${guestUrl}/spin`)).status, 504);
    assert.equal((await fetch(`${guestUrl}/hello`)).status, 200);
  } finally {
    await stopCli(guest);
  }
});

test('an app serving 0.0.0.0:8080 fails the boot naming the kernel\'s port, and runs with --kernel-arg port=8080', async () => {
  const wat = readFileSync(join(productRoot(), 'kernel', 'runtime', 'tests', 'guests', 'demo.wat'), 'utf8');
  assert.ok(wat.includes('"0.0.0.0:3000"'));
  writeFileSync(join(work, 'on-8080.wat'), wat.replace('"0.0.0.0:3000"', '"0.0.0.0:8080"'));
  const wasm = join(work, 'on-8080.wasm');
  execFileSync('wat2wasm', [join(work, 'on-8080.wat'), '-o', wasm]);
  const refused = await runCli(['run', '--app', wasm, '--port', String(await freePort())]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /the guest failed to boot/);
  assert.match(refused.stderr, /cannot serve 0\.0\.0\.0:8080: the kernel listens on port 3000; serve on port 3000, or boot with the kernel argument port=8080/, refused.stderr);
  const guest = startCli(['run', '--app', wasm, '--port', String(await freePort()), '--kernel-arg', 'port=8080']);
  try {
    const guestUrl = await waitForReady(guest);
    assert.equal(await (await fetch(`${guestUrl}/hello`)).text(), 'hello, world');
    assert.match(guest.stdout(), /ready: listening on 10\.0\.2\.15:8080/);
  } finally {
    await stopCli(guest);
  }
});

test('modules the runtime cannot run fail the boot with a message that names the problem', async () => {
  const cases: [string, string, RegExp][] = [
    ['random.wasm', '', /app module is not a WebAssembly module: starts with/],
    [
      'bad-import.wasm',
      '(module (import "spiderlightning:slight/keyvalue" "[method]keyvalue.frobnicate" (func (param i32))))',
      /unknown import spiderlightning:slight\/keyvalue#\[method\]keyvalue\.frobnicate/,
    ],
    ['no-init.wasm', '(module (memory (export "memory") 1))', /missing export/],
  ];
  for (const [name, wat, expected] of cases) {
    const file = join(work, name);
    if (wat) {
      writeFileSync(`${file}.wat`, wat);
      execFileSync('wat2wasm', [`${file}.wat`, '-o', file]);
    } else {
      writeFileSync(file, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff)));
    }
    const { code, stderr } = await runCli(['run', '--app', file, '--port', String(await freePort())]);
    assert.notEqual(code, 0, name);
    assert.match(stderr, /the guest failed to boot/, name);
    assert.match(stderr, expected, `${name}:\n${stderr}`);
  }
});
