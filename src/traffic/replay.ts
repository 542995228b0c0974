// Sends a request read from `.http` text to the running app with Node's http, and writes its response
// as text. No `vscode` here.
import { request, STATUS_CODES } from 'node:http';
import { isText, previewText } from './format';
import { NOT_RESENT, type HttpRequestText } from './httpFile';
import type { Headers, HttpEvent } from '../trace/format';

/**
 * The header a replay carries, valued with the replayed request's key (`boot-id`): the trace shows it
 * in `req_headers`, so the HTTP Requests view marks the row of the replay when it arrives.
 */
export const REPLAY_HEADER = 'x-uniwasm-replay';
/** Response bytes kept for the response document; the size is told in full. */
const KEPT_BYTES = 1024 * 1024;
/** Bytes of a binary body shown as a hex dump. */
const HEX_BYTES = 512;

export interface SentResponse {
  /** Where it went: the app's origin and the request target. */
  url: string;
  method: string;
  status: number;
  statusMessage: string;
  httpVersion: string;
  headers: Headers;
  /** The first KEPT_BYTES of the body; `bytes` is its whole size. */
  body: Buffer;
  bytes: number;
  ms: number;
}

/** Whether the trace kept the whole request body. */
export function bodyComplete(e: HttpEvent): boolean {
  return e.reqBody.length >= e.reqBytes;
}

/** The key of the request `e` replays, when it is a replay ('' when the key was not given). */
export function replayedFrom(e: HttpEvent): string | undefined {
  return e.reqHeaders.find(([name]) => name.toLowerCase() === REPLAY_HEADER)?.[1];
}

/** Sends `r` to the app at `baseUrl` (its own host and port, whatever the text named), marked as a replay of `replayOf`. */
export function sendRequest(baseUrl: string, r: HttpRequestText, replayOf: string, timeoutMs = 10_000): Promise<SentResponse> {
  const url = new URL(r.target, baseUrl);
  const headers: Record<string, string> = { [REPLAY_HEADER]: replayOf };
  for (const [name, value] of r.headers) if (!NOT_RESENT.has(name.toLowerCase())) headers[name] = value;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: r.method, headers, timeout: timeoutMs }, (res) => {
      const kept: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        if (bytes < KEPT_BYTES) kept.push(chunk.subarray(0, KEPT_BYTES - bytes));
        bytes += chunk.length;
      });
      res.on('end', () => {
        const raw = res.rawHeaders;
        const pairs: Headers = [];
        for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
        resolve({
          url: url.href, method: r.method, status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', httpVersion: res.httpVersion,
          headers: pairs, body: Buffer.concat(kept), bytes, ms: performance.now() - t0,
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(r.body || undefined);
  });
}

/** The response document: status line, headers, a blank line and the body (a binary one as a short hex dump). */
export function responseText(r: SentResponse): string {
  const reason = r.statusMessage || STATUS_CODES[r.status] || '';
  const out = [
    `# ${r.method} ${r.url} answered in ${r.ms.toFixed(1)} ms`,
    `HTTP/${r.httpVersion} ${r.status} ${reason}`.trimEnd(),
    ...r.headers.map(([n, v]) => `${n}: ${v}`),
    '',
  ];
  if (!r.bytes) out.push('(no body)');
  else if (isText(r.body)) out.push(previewText(r.body, r.bytes));
  else out.push(`(${r.bytes} bytes of binary data)`, previewText(r.body.subarray(0, HEX_BYTES), r.bytes));
  return out.join('\n') + '\n';
}
