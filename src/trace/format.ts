// Decoding of the guest's trace lines (docs/TRACE.md) into typed events. No `vscode` here: the CLI,
// the tests and the benchmark use it too. Decoding never throws: a bad line becomes a `malformed`
// result the caller reports, an event of a type this version does not know becomes `unknown`.

/** The trace format version this host speaks (docs/TRACE.md). */
export const TRACE_VERSION = 1;

/** Longest line decoded; longer ones are reported, not parsed (a runaway guest must not stall the host). */
export const MAX_LINE_CHARS = 64 * 1024;
/** Bound on decoded previews and strings, whatever the guest sends. */
export const MAX_PREVIEW_BYTES = 4096;
const MAX_STRING_CHARS = 2048;
const MAX_HEADERS = 64;
const MAX_LIST = 256;

interface Received {
  /** Host receive time (ms, `performance.now()` clock): the only clock used to relate events to MONITOR. */
  recvMs: number;
  /** Guest monotonic time in µs, when the guest sent `ts_us`; informational (its offset to the host is unknown). */
  guestUs?: number;
  /** Counts `hello` events: request ids restart with each boot, (boot, id) does not. */
  boot: number;
}

export interface HelloEvent extends Received {
  type: 'hello';
  version: number;
  kernel?: string;
  app?: string;
}

export type Headers = [name: string, value: string][];

export interface HttpEvent extends Received {
  type: 'http';
  id: number;
  method: string;
  path: string;
  status: number;
  reqBytes: number;
  respBytes: number;
  durUs: number;
  /** The app export that handled it (empty when no route matched). */
  handler: string;
  reqHeaders: Headers;
  respHeaders: Headers;
  /** First bytes of the bodies; shorter than reqBytes/respBytes when truncated. */
  reqBody: Buffer;
  respBody: Buffer;
}

/** A request the app begins: in flight until the `http` event of the same boot and id. */
export interface HttpStartEvent extends Received {
  type: 'http_start';
  id: number;
  method: string;
  path: string;
}

export interface KvEvent extends Received {
  type: 'kv';
  /** The HTTP request id the call happened in; undefined outside a request (e.g. in `init`). */
  req?: number;
  /** e.g. `spiderlightning:slight/keyvalue` */
  iface: string;
  /** Canonical ABI name, e.g. `[method]keyvalue.set`, `[static]keyvalue.open`. */
  fn: string;
  container: string;
  key?: string;
  /** The call's payload: the argument of `set`, the result of `get`. Preview bounded, size exact. */
  valueBytes?: number;
  value?: Buffer;
  /** Result of `keys` (possibly cut; `keyCount` is exact). */
  keys?: string[];
  keyCount?: number;
  ok: boolean;
  /** `keyvalue-error` case and its string when !ok. */
  err?: string;
  errMsg?: string;
  durUs: number;
  /** The Redis commands the guest sent for the call, as it reports them (display text). */
  redis: string[];
  /** The whole decoded object: WIT parameters are looked up here by name (forward compatible). */
  fields: Readonly<Record<string, unknown>>;
}

export interface HeapEvent extends Received {
  type: 'heap';
  used: number;
  total: number;
}

export type TraceEvent = HelloEvent | HttpStartEvent | HttpEvent | KvEvent | HeapEvent;

/**
 * The header the host's readiness probe (src/run/session.ts) sends, so its request, which every run
 * makes, can be told apart from the app's own traffic.
 */
export const PROBE_HEADER = 'x-uniwasm-probe';

/** True for the request of the host's readiness probe. */
export function isReadinessProbe(e: HttpEvent): boolean {
  return e.reqHeaders.some(([name]) => name.toLowerCase() === PROBE_HEADER);
}

export type Decoded =
  | { kind: 'event'; event: TraceEvent }
  | { kind: 'unknown'; type: string }
  | { kind: 'empty' }
  | { kind: 'malformed'; error: string };

class Malformed extends Error {}

/** Typed access to the fields of one decoded object; a wrong type or missing required field is `Malformed`. */
class Fields {
  constructor(readonly raw: Record<string, unknown>) {}

  private get(name: string, required: boolean, want: string): unknown {
    const v = this.raw[name];
    if (v === undefined || v === null) {
      if (required) throw new Malformed(`missing "${name}"`);
      return undefined;
    }
    if (typeof v !== want) throw new Malformed(`"${name}" must be a ${want}`);
    return v;
  }

  str(name: string): string;
  str(name: string, required: false): string | undefined;
  str(name: string, required = true): string | undefined {
    const v = this.get(name, required, 'string') as string | undefined;
    return v === undefined ? undefined : clip(v);
  }

  /** A non-negative safe integer (sizes, ids, durations). */
  uint(name: string): number;
  uint(name: string, required: false): number | undefined;
  uint(name: string, required = true): number | undefined {
    const v = this.get(name, required, 'number') as number | undefined;
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw new Malformed(`"${name}" must be a non-negative integer`);
    return v;
  }

  bool(name: string): boolean {
    return this.get(name, true, 'boolean') as boolean;
  }

  strings(name: string, max = MAX_LIST): string[] {
    const v = this.raw[name];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new Malformed(`"${name}" must be an array of strings`);
    return (v as string[]).slice(0, max).map(clip);
  }

  /** `["name","value",…]` pairs. */
  headers(name: string): Headers {
    const flat = this.strings(name, 2 * MAX_HEADERS);
    if (flat.length % 2) throw new Malformed(`"${name}" must hold name, value pairs`);
    const out: Headers = [];
    for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
    return out;
  }

  /** Standard base64 (padding optional), decoded and bounded. */
  base64(name: string): Buffer {
    const s = (this.get(name, false, 'string') as string | undefined) ?? ''; // not clipped: cut below, by bytes
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new Malformed(`"${name}" is not base64`);
    // Decode only what the bound keeps: 4 chars → 3 bytes.
    return Buffer.from(s.slice(0, Math.ceil(MAX_PREVIEW_BYTES / 3) * 4), 'base64').subarray(0, MAX_PREVIEW_BYTES);
  }
}

function clip(s: string): string {
  return s.length > MAX_STRING_CHARS ? `${s.slice(0, MAX_STRING_CHARS)}…` : s;
}

/**
 * Decodes one trace line. `boot` is the number of `hello` events seen before this line
 * (TraceDecoder keeps it); `recvMs` the host time the line arrived.
 */
export function decodeTraceLine(line: string, recvMs: number, boot = 0): Decoded {
  const text = line.trim();
  if (!text) return { kind: 'empty' };
  if (text.length > MAX_LINE_CHARS) return { kind: 'malformed', error: `line of ${text.length} characters (limit ${MAX_LINE_CHARS})` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { kind: 'malformed', error: `not JSON: ${(err as Error).message}` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { kind: 'malformed', error: 'not a JSON object' };
  const f = new Fields(raw as Record<string, unknown>);
  try {
    const type = f.str('type');
    const base = { recvMs, guestUs: f.uint('ts_us', false), boot };
    switch (type) {
      case 'hello':
        return { kind: 'event', event: { type, ...base, boot: boot + 1, version: f.uint('v'), kernel: f.str('kernel', false), app: f.str('app', false) } };
      case 'http_start':
        return { kind: 'event', event: { type, ...base, id: f.uint('id'), method: f.str('method'), path: f.str('path') } };
      case 'http':
        return {
          kind: 'event',
          event: {
            type, ...base,
            id: f.uint('id'), method: f.str('method'), path: f.str('path'), status: f.uint('status'),
            reqBytes: f.uint('req_bytes'), respBytes: f.uint('resp_bytes'), durUs: f.uint('dur_us'),
            handler: f.str('handler', false) ?? '',
            reqHeaders: f.headers('req_headers'), respHeaders: f.headers('resp_headers'),
            reqBody: f.base64('req_body_b64'), respBody: f.base64('resp_body_b64'),
          },
        };
      case 'kv': {
        const ok = f.bool('ok');
        const hasValue = f.raw.value_bytes !== undefined;
        return {
          kind: 'event',
          event: {
            type, ...base,
            req: f.uint('req', false), iface: f.str('iface'), fn: f.str('fn'), container: f.str('container'),
            key: f.str('key', false), valueBytes: f.uint('value_bytes', false),
            value: hasValue ? f.base64('value_b64') : undefined,
            keys: f.raw.keys === undefined ? undefined : f.strings('keys'), keyCount: f.uint('key_count', false),
            ok, err: ok ? undefined : f.str('err'), errMsg: ok ? undefined : (f.str('err_msg', false) ?? ''),
            durUs: f.uint('dur_us'), redis: f.strings('redis', 64), fields: f.raw,
          },
        };
      }
      case 'heap': {
        const used = f.uint('used');
        const total = f.uint('total');
        if (used > total) throw new Malformed('"used" exceeds "total"');
        return { kind: 'event', event: { type, ...base, used, total } };
      }
      default:
        return { kind: 'unknown', type };
    }
  } catch (err) {
    if (err instanceof Malformed) return { kind: 'malformed', error: err.message };
    throw err;
  }
}

/** Counts what was decoded; keeps the boot number across lines. */
export class TraceDecoder {
  boot = 0;
  version: number | undefined;
  readonly counts = { events: 0, malformed: 0, unknown: 0 };
  private readonly unknownTypes = new Set<string>();

  constructor(
    /** Told about each malformed line, about each unknown event type once, and about a newer format once per boot. */
    private readonly report: (message: string) => void,
  ) {}

  decode(line: string, recvMs: number): TraceEvent | undefined {
    const d = decodeTraceLine(line, recvMs, this.boot);
    switch (d.kind) {
      case 'empty':
        return undefined;
      case 'malformed':
        this.counts.malformed++;
        this.report(`trace: malformed line (${d.error}): ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`);
        return undefined;
      case 'unknown':
        this.counts.unknown++;
        if (!this.unknownTypes.has(d.type) && this.unknownTypes.size < 100) {
          this.unknownTypes.add(d.type);
          this.report(`trace: ignoring events of unknown type "${d.type}" (newer guest?)`);
        }
        return undefined;
      case 'event':
        this.counts.events++;
        if (d.event.type === 'hello') {
          this.boot = d.event.boot;
          this.version = d.event.version;
          if (d.event.version > TRACE_VERSION) {
            this.report(`trace: the guest speaks format v${d.event.version}, this host v${TRACE_VERSION}: decoding what it knows`);
          }
        }
        return d.event;
    }
  }
}
