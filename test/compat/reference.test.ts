// The example wasi:http components under the reference runtime, `wasmtime serve`: each is built by the
// CLI, served, and sent the compat requests; the answers are wasmtime's, which the unikernel must match.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { productRoot } from '../../src/util/paths';
import { runCli } from '../support/cli';
import { comparable, compatRequests, echoBody, send, type CompatRequest, type NormalizedResponse } from './requests';
import { serve, stop } from './wasmtime';
const text: [string, string] = ['content-type', 'text/plain; charset=utf-8'];

/** What wasmtime answers each compat request with; both components must give exactly this. */
const expected: Record<string, (res: NormalizedResponse) => void> = {
  'GET /hello': (res) => assert.deepEqual(res, { status: 200, headers: [text], body: Buffer.from('hello, world\n') }),
  'HEAD /hello': (res) => assert.deepEqual(res, { status: 200, headers: [text], body: Buffer.alloc(0) }),
  'PUT /bar': (res) => assert.deepEqual(res, { status: 200, headers: [], body: Buffer.alloc(0) }),
  // wasmtime serve instantiates the component afresh for every request: the PUT's value is gone.
  'GET /foo after PUT /bar': (res) =>
    assert.deepEqual(res, { status: 404, headers: [text], body: Buffer.from('key not found\n') }),
  'POST /echo, 1 MiB streamed': (res) => {
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers, [['content-type', 'application/x-uniwasm-test']]);
    assert.equal(res.body.length, echoBody.length);
    assert.ok(res.body.equals(echoBody), 'the echoed body differs from the one sent');
  },
  // Sent: host, x-first, x-dup: a, x-second, x-dup: b, connection. wasmtime removes `host` and
  // `connection` before the guest sees them, each by moving the last header into its slot, and keeps
  // the values of a name together (artifacts of its header map, not something to imitate).
  'GET /headers with a repeated name': (res) =>
    assert.deepEqual(
      { ...res, body: res.body.toString() },
      {
        status: 200,
        headers: [text, ['x-repeat', 'one'], ['x-repeat', 'two']],
        body: 'x-second: two\nx-first: one\nx-dup: a\nx-dup: b\n',
      },
    ),
  'GET /no/such/route': (res) => assert.deepEqual(res, { status: 404, headers: [text], body: Buffer.from('Not Found\n') }),
  'DELETE /hello': (res) =>
    assert.deepEqual(res, {
      status: 405,
      headers: [text, ['allow', 'GET, HEAD']],
      body: Buffer.from('Method Not Allowed\n'),
    }),
  // The body is wasmtime's own HTML page (`500 Internal Server Error … wasmtime`): not the guest's,
  // so only the status is part of the reference.
  'GET /trap': (res) => assert.equal(res.status, 500),
};

/** The answers of each component, by request name, to compare the two at the end. */
const answers = new Map<string, Map<string, NormalizedResponse>>();

for (const example of ['http-component-c', 'http-component-rust']) {
  describe(`${example} under wasmtime serve`, () => {
    let server: Awaited<ReturnType<typeof serve>> | undefined;
    const mine = new Map<string, NormalizedResponse>();
    answers.set(example, mine);

    before(async () => {
      const built = await runCli(['build', '--json', '--app', join(productRoot(), 'examples', example)]);
      assert.equal(built.code, 0, `uniwasm build failed:\n${built.stderr}`);
      const { app } = JSON.parse(built.stdout) as { app: string };
      server = await serve(app);
    });

    after(() => server && stop(server));

    // In list order: GET /foo must come after PUT /bar.
    for (const req of compatRequests) {
      test(req.name, async () => {
        const res = await send(server!.origin, req);
        mine.set(req.name, res);
        try {
          expected[req.name]!(res);
        } catch (err) {
          (err as Error).message += `\nwasmtime's log:\n${server!.log()}`;
          throw err;
        }
      });
    }
  });
}

test('every compat request has an expected reference answer', () => {
  assert.deepEqual(Object.keys(expected).sort(), compatRequests.map((r: CompatRequest) => r.name).sort());
});

test('the C and the Rust component answer alike where two runtimes must', () => {
  const [c, rust] = [answers.get('http-component-c')!, answers.get('http-component-rust')!];
  for (const req of compatRequests) {
    assert.ok(c.has(req.name) && rust.has(req.name), `${req.name} was not answered by both`);
    assert.deepEqual(comparable(req, rust.get(req.name)!), comparable(req, c.get(req.name)!), req.name);
  }
});
