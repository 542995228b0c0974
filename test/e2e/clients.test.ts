// Real clients against the booted demo, as they speak HTTP/1.1: bursts of parallel connections with
// and without keep-alive (each request answered, none lost on the way), curl's upload with
// `Expect: 100-continue`, and Python's http.client sending a chunked request body. Real QEMU, Redis, curl and Python.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { productRoot } from '../../src/util/paths';
import { freePort } from '../../src/util/ports';
import { startCli, waitForReady, type CliProcess } from '../support/cli';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'uniwasm-clients-'));
const demo = join(productRoot(), 'examples', 'http-server-demo');

let cli: CliProcess;
let url: string;

before(async () => {
  cli = startCli(['run', '--app', demo, '--port', String(await freePort())]);
  url = await waitForReady(cli);
});

after(async () => {
  cli.child.kill('SIGTERM');
  await cli.exited;
});

/** GET `path` on a connection of its own (no keep-alive), or on one of `agent`'s: the status, or the error's code. */
function get(path: string, agent?: Agent): Promise<number | string> {
  const options = agent ? { agent } : { agent: false, headers: { connection: 'close' } };
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, options, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

async function getFoo(): Promise<string> {
  const res = await fetch(`${url}/foo`);
  assert.equal(res.status, 200);
  return res.text();
}

test('bursts of 300 parallel connections without keep-alive are answered 200, every one', async () => {
  for (let burst = 1; burst <= 3; burst++) {
    const answers = await Promise.all(Array.from({ length: 300 }, () => get('/hello')));
    assert.deepEqual(answers.filter((a) => a !== 200), [], `burst ${burst}: what the other connections got`);
  }
});

test('300 keep-alive connections at once, ten requests each, are answered 200, every one', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 300 });
  try {
    const tenInTurn = async () => {
      const answers: (number | string)[] = [];
      for (let i = 0; i < 10; i++) answers.push(await get('/hello', agent));
      return answers;
    };
    const answers = (await Promise.all(Array.from({ length: 300 }, tenInTurn))).flat();
    assert.deepEqual(answers.filter((a) => a !== 200), [], 'what the other requests got');
  } finally {
    agent.destroy();
  }
});

test('curl -T of a 2 KiB file: the server answers Expect: 100-continue, then stores the body', async () => {
  const body = 'x'.repeat(2048 - 5) + 'end.\n';
  const file = join(work, 'upload.txt');
  writeFileSync(file, body);
  const { stdout, stderr } = await run('curl', ['-sS', '-v', '-T', file, `${url}/bar`]);
  assert.match(stderr, /^> Expect: 100-continue\r?$/m, 'curl asked for 100 Continue');
  assert.match(stderr, /^< HTTP\/1\.1 100 Continue\r?$/m, 'the server answered it');
  assert.match(stderr, /^< HTTP\/1\.1 200 /m, stdout);
  assert.equal(await getFoo(), body);
});

test('Python http.client uploads a chunked body (a file object, encode_chunked=True); GET /foo returns it', async () => {
  const { port } = new URL(url);
  const script = `
import http.client, io, sys
conn = http.client.HTTPConnection('127.0.0.1', ${Number(port)})
conn.request('PUT', '/bar', body=io.BytesIO(b'chunked ' * 300 + b'body'), headers={'Transfer-Encoding': 'chunked'}, encode_chunked=True)
res = conn.getresponse()
res.read()
print(res.status)
`;
  const { stdout } = await run('python3', ['-c', script]);
  assert.equal(stdout.trim(), '200');
  assert.equal(await getFoo(), 'chunked '.repeat(300) + 'body');
});
