// Re-sends a traced HTTP request to the guest with Node's http. No `vscode` here.
import { request } from 'node:http';
import type { HttpEvent } from '../trace/format';

/** Headers Node sets itself or that describe the old connection. */
const NOT_REPLAYED = new Set(['host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

export interface ReplayResult {
  status: number;
  bytes: number;
  ms: number;
}

/** Whether the trace kept the whole request body (replay sends only what it kept). */
export function bodyComplete(e: HttpEvent): boolean {
  return e.reqBody.length >= e.reqBytes;
}

export function replayRequest(baseUrl: string, e: HttpEvent, timeoutMs = 10_000): Promise<ReplayResult> {
  const url = new URL(e.path, baseUrl);
  const headers: Record<string, string> = {};
  for (const [name, value] of e.reqHeaders) if (!NOT_REPLAYED.has(name.toLowerCase())) headers[name] = value;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: e.method, headers, timeout: timeoutMs }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(e.reqBody.length ? e.reqBody : undefined);
  });
}
