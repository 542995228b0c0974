// The run session's readiness probe marks its request, and the traffic views leave that request out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpAnswers } from '../../../src/run/session';
import { TrafficCore } from '../../../src/traffic/core';
import { PROBE_HEADER } from '../../../src/trace/format';

function httpLine(id: number, path: string, headers: string[]): string {
  return JSON.stringify({
    type: 'http', id, method: 'GET', path, status: 404, req_bytes: 0, resp_bytes: 10, dur_us: 500, handler: '', req_headers: headers,
  });
}

test('the readiness probe sends its header and still sees any HTTP answer as ready', async () => {
  let seen: IncomingHttpHeaders | undefined;
  const server = createServer((req, res) => {
    seen = req.headers;
    res.writeHead(404).end();
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    assert.equal(await httpAnswers(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), true);
    assert.equal(seen?.[PROBE_HEADER], '1');
  } finally {
    server.close();
  }
});

test('the probe request is kept out of the HTTP requests; other requests, and the same path without the header, are not', () => {
  const reports: string[] = [];
  const core = new TrafficCore({ signatures: () => undefined, report: (m) => reports.push(m) });
  core.onTrace(JSON.stringify({ type: 'hello', v: 1 }));
  core.onTrace(httpLine(1, '/', ['connection', 'close', 'X-Uniwasm-Probe', '1', 'host', '127.0.0.1:3000']));
  core.onTrace(httpLine(2, '/', ['host', '127.0.0.1:3000']));
  core.onTrace(httpLine(3, '/hello', ['host', '127.0.0.1:3000', 'x-uniwasm-probe-not', 'x']));
  assert.deepEqual(core.http.list().map((e) => e.id), [3, 2]);
  assert.deepEqual(reports, [], 'a probe is not a malformed or unknown line');
});
