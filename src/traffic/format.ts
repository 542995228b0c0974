// Text the traffic views show: WIT calls with typed arguments, results, rows for the KeyValue
// webview, and the details document of an HTTP request. No `vscode` here.
import { STATUS_CODES } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { KvRow } from './correlate';
import { commandValue, formatCommand, splitRedisKey, unescapeMonitorArg } from './redisText';
import type { CallShape } from './signature';
import type { HttpEvent, KvEvent } from '../trace/format';

/** Bytes of a value the webview gets for its viewer. */
export const VIEW_VALUE_BYTES = 1024;
const SHOWN_STRING_CHARS = 80;

/** A string argument as WIT-ish source text, cut when long. */
export function quote(s: string): string {
  const q = JSON.stringify(s.length > SHOWN_STRING_CHARS ? s.slice(0, SHOWN_STRING_CHARS) : s);
  return s.length > SHOWN_STRING_CHARS ? `${q.slice(0, -1)}…"` : q;
}

/** `[method]keyvalue.set` → `keyvalue.set`; `[constructor]r` → `r`. */
export function callName(fn: string): string {
  return fn.replace(/^\[(?:method|static|constructor)\]/, '');
}

/** Where the event keeps a parameter that is not under its own name (docs/TRACE.md). */
const PARAM_ALIASES: Record<string, string> = { name: 'container' };

function argText(call: KvEvent, name: string): string {
  for (const field of [name, PARAM_ALIASES[name]]) {
    if (field === undefined) continue;
    const v = call.fields[field];
    if (typeof v === 'string') return quote(v);
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    const size = call.fields[`${field}_bytes`];
    if (typeof size === 'number') return `<${size} bytes>`;
  }
  return '?';
}

/** The parameters of `shape` (from the WIT) with the values of the event; without a shape, the key and value fields the event has. */
function callArgs(call: KvEvent, shape: CallShape | undefined): { name: string; type?: string; value: string }[] {
  if (shape) return shape.params.map((p) => ({ name: p.name, type: p.type, value: argText(call, p.name) }));
  return ['key', 'value'].filter((n) => call.fields[n] !== undefined || call.fields[`${n}_bytes`] !== undefined).map((n) => ({ name: n, value: argText(call, n) }));
}

/** `keyvalue.set(key: string = "key", value: payload = <5 bytes>)`, or untyped (`key = "key"`) without a shape. */
export function formatCall(call: KvEvent, shape: CallShape | undefined): string {
  const params = callArgs(call, shape).map((a) => `${a.name}${a.type === undefined ? '' : `: ${a.type}`} = ${a.value}`);
  return `${callName(call.fn)}(${params.join(', ')})`;
}

/** `keyvalue.set("key", <5 bytes>)`: the values only, short enough for a narrow view. */
export function formatCallBrief(call: KvEvent, shape: CallShape | undefined): string {
  return `${callName(call.fn)}(${callArgs(call, shape).map((a) => a.value).join(', ')})`;
}

/** `ok`, `ok(<5 bytes>)`, `ok(["a", "b"])`, `err(key-not-found("k"))`. */
export function formatResult(call: KvEvent): string {
  if (!call.ok) return `err(${call.err}(${quote(call.errMsg ?? '')}))`;
  if (call.keys) {
    const count = call.keyCount ?? call.keys.length;
    const shown = call.keys.slice(0, 5).map(quote);
    if (count > shown.length) shown.push(`… ${count} keys`);
    return `ok([${shown.join(', ')}])`;
  }
  if (call.fn.endsWith('.get') && call.valueBytes !== undefined) return `ok(<${call.valueBytes} bytes>)`;
  if (call.fn.startsWith('[static]') || call.fn.startsWith('[constructor]')) return `ok(${callName(call.fn).split('.')[0]})`;
  return 'ok';
}

/** Host wall-clock time of a `performance.now()` stamp: `14:03:07.123`. */
export function clockText(recvMs: number): string {
  const d = new Date(performance.timeOrigin + recvMs);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function durationText(us: number): string {
  return us < 1000 ? `${us} µs` : us < 1_000_000 ? `${(us / 1000).toFixed(1)} ms` : `${(us / 1e6).toFixed(2)} s`;
}

/** A row as the KeyValue webview gets it: plain strings and numbers only (it renders them as text). */
export interface ViewRow {
  id: number;
  /** When it happened (host receive time, ms): the view sorts on it. */
  t: number;
  time: string;
  /** The HTTP request it served and that request's boot (ids restart with each boot). */
  req?: number;
  boot?: number;
  container?: string;
  key?: string;
  /** The WIT call (typed, and values only), its result and type; absent for a Redis command no call claimed. */
  call?: string;
  brief?: string;
  result?: string;
  resultType?: string;
  ok?: boolean;
  dur?: string;
  /** The commands the guest says it sent. */
  guest: string[];
  /** The commands MONITOR saw, formatted, with their client. */
  redis: { text: string; source: string }[];
  /** The value for the viewer (base64, at most VIEW_VALUE_BYTES) and its full size. */
  value?: string;
  valueBytes?: number;
}

export function toViewRow(row: KvRow, shape: (call: KvEvent) => CallShape | undefined): ViewRow {
  const redis = row.commands.map((c) => ({ text: formatCommand(c.args), source: c.source }));
  const base = { id: row.id, t: row.recvMs, time: clockText(row.recvMs), redis };
  const call = row.call;
  if (!call) {
    const cmd = row.commands[0]!;
    const value = commandValue(cmd.args);
    const bytes = value === undefined ? undefined : unescapeMonitorArg(value);
    return {
      ...base, ...splitRedisKey(cmd.args[1] === undefined ? '' : unescapeMonitorArg(cmd.args[1]).toString('utf8')), guest: [],
      value: bytes?.subarray(0, VIEW_VALUE_BYTES).toString('base64'), valueBytes: bytes?.length,
    };
  }
  const s = shape(call);
  return {
    ...base, req: call.req, boot: call.boot, container: call.container, key: call.key,
    call: formatCall(call, s), brief: formatCallBrief(call, s), result: formatResult(call), resultType: s?.result, ok: call.ok, dur: durationText(call.durUs),
    guest: call.redis, value: call.value?.subarray(0, VIEW_VALUE_BYTES).toString('base64'), valueBytes: call.valueBytes,
  };
}

/** The subject a row is filtered on. */
export function rowSubject(row: KvRow): { container?: string; key?: string } {
  if (row.call) return { container: row.call.container, key: row.call.key };
  const k = row.commands[0]?.args[1];
  return k === undefined ? {} : splitRedisKey(unescapeMonitorArg(k).toString('utf8'));
}

/** Bytes as text when they are printable UTF-8, else a hex dump. */
export function previewText(bytes: Buffer, total: number): string {
  if (!total) return '(empty)';
  const cut = bytes.length < total ? `\n… (${bytes.length} of ${total} bytes shown)` : '';
  return (isText(bytes) ? bytes.toString('utf8') : hexDump(bytes)) + cut;
}

/** Whether `bytes` are printable UTF-8 (control characters other than whitespace make them binary). */
export function isText(bytes: Buffer): boolean {
  const text = bytes.toString('utf8');
  return !text.includes('\uFFFD') && !/[\x00-\x08\x0e-\x1f\x7f]/.test(text);
}

/** `00000000  68 65 6c 6c 6f                                   |hello|` */
export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const chunk = [...bytes.subarray(off, off + 16)];
    const hex = chunk.map((b) => b.toString(16).padStart(2, '0')).join(' ').padEnd(47);
    const ascii = chunk.map((b) => (b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex}  |${ascii}|`);
  }
  return lines.join('\n');
}

/** The read-only details document of one HTTP request, with the KeyValue calls made while serving it. */
export function requestDetails(e: HttpEvent, calls: KvRow[], shape: (call: KvEvent) => CallShape | undefined): string {
  const headers = (h: HttpEvent['reqHeaders']) => h.map(([n, v]) => `${n}: ${v}`).join('\n');
  const out = [
    `${e.method} ${e.path} HTTP/1.1`,
    headers(e.reqHeaders),
    '',
    previewText(e.reqBody, e.reqBytes),
    '',
    `### response ${e.status}: ${e.respBytes} bytes in ${durationText(e.durUs)}, handler ${e.handler || '(none)'}, request #${e.id} of boot ${e.boot}, received ${clockText(e.recvMs)}`,
    `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? ''}`.trimEnd(),
    // The trace has the headers the app set; the guest's HTTP writer adds the framing ones as it sends.
    ...(e.respHeaders.length ? [headers(e.respHeaders)] : []),
    `# ${e.respHeaders.length ? '' : 'the app set no headers; '}the guest adds Content-Length and Connection as it sends`,
  ];
  out.push('', previewText(e.respBody, e.respBytes));
  if (calls.length) {
    out.push('', `### KeyValue calls (${calls.length})`);
    for (const r of calls) {
      out.push(`${r.call!.container}: ${formatCall(r.call!, shape(r.call!))} -> ${formatResult(r.call!)}  [${durationText(r.call!.durUs)}]`);
      for (const c of r.commands) out.push(`    redis ${formatCommand(c.args)}`);
    }
  }
  return out.join('\n') + '\n';
}
