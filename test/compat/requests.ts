// The requests a wasi:http component is checked with, and how answers are put side by side: one list
// for the wasmtime reference test and for comparing the unikernel's answers with wasmtime's.
import { request as httpRequest } from 'node:http';

export interface CompatRequest {
  name: string;
  method: string;
  path: string;
  /** Sent in this order, repeated names included (`host` is added first). */
  headers?: [string, string][];
  /** Streamed in 64 KiB writes with chunked transfer-encoding. */
  body?: Buffer;
  /**
   * What two runtimes serving the same component must agree on: `all` (status, headers, body bytes),
   * `lines` (all, with the body's lines compared as a multiset: the host decides the order in which it
   * hands request headers over), `status` (the body and headers are the runtime's own error page),
   * or `none` (the answer depends on how long the runtime keeps an instance).
   */
  compare: 'all' | 'lines' | 'status' | 'none';
}

/** A deterministic 1 MiB body, so a failed echo is reproducible. */
export const echoBody: Buffer = (() => {
  const bytes = Buffer.alloc(1 << 20);
  let x = 0x12345678;
  for (let i = 0; i < bytes.length; i++) {
    // xorshift32: every byte value occurs, no repeating short pattern.
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
})();

export const storedValue = 'value \u00e9\u4e2d';

/** In order: `PUT /bar` comes before the `GET /foo` that may read it. */
export const compatRequests: CompatRequest[] = [
  { name: 'GET /hello', method: 'GET', path: '/hello', compare: 'all' },
  { name: 'HEAD /hello', method: 'HEAD', path: '/hello', compare: 'all' },
  {
    name: 'PUT /bar',
    method: 'PUT',
    path: '/bar',
    headers: [['content-type', 'text/plain; charset=utf-8']],
    body: Buffer.from(storedValue),
    compare: 'all',
  },
  { name: 'GET /foo after PUT /bar', method: 'GET', path: '/foo', compare: 'none' },
  {
    name: 'POST /echo, 1 MiB streamed',
    method: 'POST',
    path: '/echo',
    headers: [['content-type', 'application/x-uniwasm-test']],
    body: echoBody,
    compare: 'all',
  },
  {
    name: 'GET /headers with a repeated name',
    method: 'GET',
    path: '/headers',
    headers: [
      ['x-first', 'one'],
      ['x-dup', 'a'],
      ['x-second', 'two'],
      ['x-dup', 'b'],
    ],
    compare: 'lines',
  },
  { name: 'GET /no/such/route', method: 'GET', path: '/no/such/route', compare: 'all' },
  { name: 'DELETE /hello', method: 'DELETE', path: '/hello', compare: 'all' },
  { name: 'GET /trap', method: 'GET', path: '/trap', compare: 'status' },
];

export interface NormalizedResponse {
  status: number;
  /** Lower-case names in the order received, without `date` and the connection's own headers. */
  headers: [string, string][];
  body: Buffer;
}

/**
 * Headers that describe the connection or the moment, not the component's answer: framing
 * (content-length or chunked is the runtime's choice; the body bytes are compared instead),
 * connection management, and the date.
 */
const runtimeHeaders = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

export function normalize(status: number, rawHeaders: string[], body: Buffer): NormalizedResponse {
  const headers: [string, string][] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (!runtimeHeaders.has(name)) headers.push([name, rawHeaders[i + 1]!]);
  }
  return { status, headers, body };
}

/** Sends `req` to `origin` (http://host:port) on a connection of its own and normalizes the answer. */
export function send(origin: string, req: CompatRequest): Promise<NormalizedResponse> {
  const url = new URL(req.path, origin);
  const headers = [['host', url.host], ...(req.headers ?? [])].flat();
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: url.hostname, port: url.port, method: req.method, path: url.pathname, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(normalize(res.statusCode!, res.rawHeaders, Buffer.concat(chunks))));
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    const body = req.body;
    if (body) {
      // No content-length: the body goes chunked, and the guest reads it as it comes.
      for (let at = 0; at < body.length; at += 64 * 1024) outgoing.write(body.subarray(at, at + 64 * 1024));
    }
    outgoing.end();
  });
}

/** The body's lines, sorted: for `compare: 'lines'`. */
function sortedLines(body: Buffer): string[] {
  return body.toString('latin1').split('\n').sort();
}

/** What of `res` two runtimes must agree on for `req` (see CompatRequest.compare). */
export function comparable(req: CompatRequest, res: NormalizedResponse): unknown {
  switch (req.compare) {
    case 'all':
      return res;
    case 'lines':
      return { ...res, body: sortedLines(res.body) };
    case 'status':
      return { status: res.status };
    case 'none':
      return {};
  }
}
