// Outgoing HTTP from a component in the unikernel, end to end under TCG: the C example's /fetch route
// asks an origin server on the host's loopback (10.0.2.2 from the guest) through the kernel's client,
// and the kernel's failures reach the component as wasi:http error-codes. Real QEMU, real sockets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { once } from 'node:events';
import { join } from 'node:path';
import { HOST_FROM_GUEST } from '../../src/qemu/args';
import { productRoot } from '../../src/util/paths';
import { freePort } from '../../src/util/ports';
import { startCli, waitForReady, type CliProcess } from '../support/cli';

const component = join(productRoot(), 'examples', 'http-component-c');
/** A body bigger than any of the kernel's socket buffers, in a pattern that shows a lost or moved byte. */
const big = Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 7) % 251));

/** What the origin server was asked, in order. */
const asked: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
let origin: Server;
let originPort: number;
let cli: CliProcess;
let url: string;

before(async () => {
  origin = createServer((req, res) => {
    asked.push({ method: req.method!, url: req.url!, headers: req.headers });
    if (req.url === '/chunked') {
      // No length: Node sends it chunked, in pieces that leave at different times.
      res.writeHead(200, { 'content-type': 'text/x-chunked' });
      res.write('part one, ');
      setImmediate(() => res.end('part two'));
    } else if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': big.length });
      res.end(big);
    } else if (req.url === '/teapot') {
      res.writeHead(418, { 'content-type': 'text/plain' }).end('short and stout\n');
    } else {
      res.writeHead(200, { 'content-type': 'text/x-origin' }).end(`origin saw ${req.method} ${req.url}\n`);
    }
  });
  origin.listen(0, '127.0.0.1');
  await once(origin, 'listening');
  originPort = (origin.address() as { port: number }).port;
  cli = startCli(['run', '--app', component, '--port', String(await freePort())]);
  url = await waitForReady(cli);
});

after(async () => {
  cli.child.kill('SIGTERM');
  await cli.exited;
  origin.close();
});

/** The component's answer to fetching `target` (a URL as the guest sees it). */
async function fetchThroughGuest(target: string): Promise<{ status: number; type: string | null; body: Buffer }> {
  const res = await fetch(`${url}/fetch?url=${target}`);
  return { status: res.status, type: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}

const fromGuest = (path: string): string => `http://${HOST_FROM_GUEST}:${originPort}${path}`;

test('a component fetches from a server on the host: status, content-type and body come back', async () => {
  const res = await fetchThroughGuest(fromGuest('/plain?x=1&y=2'));
  assert.deepEqual({ ...res, body: res.body.toString() }, { status: 200, type: 'text/x-origin', body: 'origin saw GET /plain?x=1&y=2\n' });
  const request = asked.find((a) => a.url === '/plain?x=1&y=2');
  assert.ok(request, `the origin was asked for /plain?x=1&y=2: ${JSON.stringify(asked)}`);
  assert.equal(request.method, 'GET');
  assert.equal(request.headers.host, `${HOST_FROM_GUEST}:${originPort}`, 'Host is the authority the component gave');
  assert.equal(request.headers.connection, 'close');
});

test('a chunked response is read whole, and the fetched status is passed on', async () => {
  const chunked = await fetchThroughGuest(fromGuest('/chunked'));
  assert.deepEqual({ ...chunked, body: chunked.body.toString() }, { status: 200, type: 'text/x-chunked', body: 'part one, part two' });
  const teapot = await fetchThroughGuest(fromGuest('/teapot'));
  assert.deepEqual({ ...teapot, body: teapot.body.toString() }, { status: 418, type: 'text/plain', body: 'short and stout\n' });
});

test('a 1 MiB response arrives byte for byte', async () => {
  const res = await fetchThroughGuest(fromGuest('/big'));
  assert.equal(res.status, 200);
  assert.equal(res.body.length, big.length);
  assert.ok(res.body.equals(big), 'the fetched body differs from the one served');
});

test('a port nobody listens on is connection-refused', async () => {
  const closed = await freePort();
  const res = await fetchThroughGuest(`http://${HOST_FROM_GUEST}:${closed}/`);
  assert.deepEqual({ status: res.status, body: res.body.toString() }, { status: 502, body: 'connection-refused\n' });
});

test('a name that does not resolve is a DNS error', async () => {
  // .invalid never resolves (RFC 6761): the name goes to QEMU's DNS at 10.0.2.3 and fails there.
  const res = await fetchThroughGuest(`http://no-such-host.invalid:${originPort}/`);
  assert.deepEqual({ status: res.status, body: res.body.toString() }, { status: 502, body: 'DNS-error\n' });
});

test('https is refused (no TLS in the kernel), and the guest goes on serving', async () => {
  const res = await fetchThroughGuest(`https://${HOST_FROM_GUEST}:${originPort}/`);
  assert.deepEqual({ status: res.status, body: res.body.toString() }, { status: 502, body: 'HTTP-request-denied\n' });
  assert.equal(asked.filter((a) => a.url === '/').length, 0, 'nothing reached the origin for the https URL');
  const hello = await fetch(`${url}/hello`);
  assert.equal(hello.status, 200);
  assert.equal(await hello.text(), 'hello, world\n');
});
