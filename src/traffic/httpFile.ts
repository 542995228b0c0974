// The `.http` request text of REST Client and Thunder Client (`METHOD URL HTTP/1.1`, headers, a blank line,
// the body; `###` between requests): a traced request written as one, and the user's edited text read back.
// No `vscode` here. A hand parser, not httpyac: that library is a whole client (variables, scripts,
// its own senders) and http-string-parser is unmaintained and reports no line numbers; this subset is
// small, and each malformed line must be named to the user.
import { isText } from './format';
import type { Headers, HttpEvent } from '../trace/format';

/** Headers the sender sets itself, or that describe the old connection or the host's own marks: not written out. */
export const NOT_RESENT = new Set([
  'host', 'content-length', 'connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'te', 'trailer',
  'x-uniwasm-probe', 'x-uniwasm-replay',
]);

export interface HttpRequestText {
  method: string;
  /** Path and query (origin form): the host and port are the running app's, whatever the text says. */
  target: string;
  headers: Headers;
  body: string;
  /** 0-based line of the request line. */
  line: number;
}

export interface HttpTextError {
  /** 0-based. */
  line: number;
  message: string;
}

export type ParsedRequest = { ok: true; request: HttpRequestText } | { ok: false; errors: HttpTextError[] };

/** A request block: its lines `[start, end)` and the 0-based line of its request line. */
export interface RequestBlock {
  start: number;
  end: number;
  requestLine: number;
}

const SEPARATOR = /^###/;
const COMMENT = /^\s*(#|\/\/)/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The request `e` as `.http` text aimed at `baseUrl` (the running app), with notes on what the trace did not keep. */
export function requestToHttpText(e: HttpEvent, baseUrl: string | undefined): string {
  const out: string[] = [`# ${e.method} ${e.path} as the app got it (request #${e.id}): edit it, then Send.`];
  const text = e.reqBody.length && isText(e.reqBody) ? e.reqBody.toString('utf8') : undefined;
  if (e.reqBytes && !text) out.push(`# Its body (${e.reqBytes} bytes) is not text and is left out; write a text body below the headers.`);
  else if (e.reqBody.length < e.reqBytes) out.push(`# The trace kept ${e.reqBody.length} of its ${e.reqBytes} body bytes: the body below is cut.`);
  out.push(`${e.method} ${baseUrl ? new URL(e.path, baseUrl).href : e.path} HTTP/1.1`);
  for (const [name, value] of e.reqHeaders) if (!NOT_RESENT.has(name.toLowerCase())) out.push(`${name}: ${value}`);
  if (text) out.push('', text);
  return out.join('\n') + '\n';
}

function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

/** The blocks of `text` that hold a request line (blocks of comments alone are left out). */
export function requestBlocks(text: string): RequestBlock[] {
  const lines = splitLines(text);
  const blocks: RequestBlock[] = [];
  let start = 0;
  for (let i = 0; i <= lines.length; i++) {
    if (i < lines.length && !SEPARATOR.test(lines[i]!)) continue;
    const requestLine = lines.slice(start, i).findIndex((l) => l.trim() && !COMMENT.test(l));
    if (requestLine >= 0) blocks.push({ start, end: i, requestLine: start + requestLine });
    start = i + 1;
  }
  return blocks;
}

/** Parses the request of the block holding `line` (the first block when `line` is in none). */
export function parseRequestAt(text: string, line = 0): ParsedRequest {
  const blocks = requestBlocks(text);
  const block = blocks.find((b) => line >= b.start && line < b.end) ?? blocks[0];
  if (!block) return { ok: false, errors: [{ line: 0, message: 'no request here: write `METHOD URL HTTP/1.1`, e.g. `GET /hello HTTP/1.1`' }] };
  return parseBlock(splitLines(text), block);
}

function parseBlock(lines: string[], block: RequestBlock): ParsedRequest {
  const errors: HttpTextError[] = [];
  const fail = (line: number, message: string) => errors.push({ line, message: `line ${line + 1}: ${message}` });
  let i = block.requestLine;
  const m = /^([A-Za-z]+)\s+(\S+)(?:\s+(\S+))?\s*$/.exec(lines[i]!.trim()) ?? /^()(\S+)$/.exec(lines[i]!.trim());
  let method = 'GET';
  let target = '/';
  if (!m) {
    fail(i, `\`${lines[i]!.trim()}\` is not a request line: write \`METHOD URL HTTP/1.1\``);
  } else {
    method = (m[1] || 'GET').toUpperCase();
    if (m[3] !== undefined && m[3] !== 'HTTP/1.1') fail(i, `\`${m[3]}\`: requests are sent as HTTP/1.1`);
    let url = m[2]!;
    // REST Client's long query strings: lines starting with `?` or `&` right after the request line.
    while (i + 1 < block.end && /^\s*[?&]/.test(lines[i + 1]!)) url += lines[++i]!.trim();
    const t = requestTarget(url);
    if ('error' in t) fail(block.requestLine, t.error);
    else target = t.target;
  }
  const headers: Headers = [];
  for (i++; i < block.end && lines[i]!.trim(); i++) {
    if (COMMENT.test(lines[i]!)) continue;
    const h = /^([^:]*):\s*(.*?)\s*$/.exec(lines[i]!);
    if (h && TOKEN.test(h[1]!.trim())) headers.push([h[1]!.trim(), h[2]!]);
    else fail(i, `\`${lines[i]!.trim()}\` is not a header: write \`Name: value\`, and a blank line before the body`);
  }
  const body = lines.slice(i + 1, block.end);
  while (body.length && !body[body.length - 1]!.trim()) body.pop();
  if (errors.length) return { ok: false, errors };
  return { ok: true, request: { method, target, headers, body: body.join('\n'), line: block.requestLine } };
}

/** The origin form of a request line's URL: `/path?q` as is, `http://host:port/path?q` without its origin. */
function requestTarget(url: string): { target: string } | { error: string } {
  if (url.startsWith('/')) return { target: url };
  if (/^https:/i.test(url)) return { error: `\`${url}\`: the app serves plain http://, not https://` };
  if (!/^http:\/\//i.test(url)) return { error: `\`${url}\` is not a URL: write a path (\`/hello\`) or \`http://127.0.0.1:PORT/hello\`` };
  try {
    const u = new URL(url);
    return { target: `${u.pathname}${u.search}` };
  } catch {
    return { error: `\`${url}\` is not a valid URL` };
  }
}
