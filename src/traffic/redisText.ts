// Redis MONITOR argument text: Redis prints each argument with sdscatrepr (printable ASCII as is,
// `\\ \" \n \r \t \a \b`, other bytes `\xhh`), and ioredis then turns `\"` back into `"`.
// These helpers go between that text, the bytes it stands for, and what the views show.

const SIMPLE_ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, a: 7, b: 8, '\\': 92, '"': 34 };

/** The bytes a MONITOR argument stands for. */
export function unescapeMonitorArg(text: string): Buffer {
  if (!text.includes('\\')) return Buffer.from(text, 'latin1'); // only printable ASCII then: latin1 is exact
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 92 || i + 1 >= text.length) {
      out.push(c & 0xff);
      continue;
    }
    const next = text[i + 1]!;
    if (next === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
      out.push(parseInt(text.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (next in SIMPLE_ESCAPES) {
      out.push(SIMPLE_ESCAPES[next]!);
      i += 1;
    } else {
      out.push(c);
    }
  }
  return Buffer.from(out);
}

/** `bytes` as a MONITOR argument reads after ioredis (the inverse of unescapeMonitorArg). */
export function escapeMonitorArg(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) {
    if (b === 92) s += '\\\\';
    else if (b === 10) s += '\\n';
    else if (b === 13) s += '\\r';
    else if (b === 9) s += '\\t';
    else if (b === 7) s += '\\a';
    else if (b === 8) s += '\\b';
    else if (b >= 0x20 && b <= 0x7e) s += String.fromCharCode(b);
    else s += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return s;
}

/** Byte size of a MONITOR argument without decoding it when it has no escapes. */
export function monitorArgBytes(text: string): number {
  return text.includes('\\') ? unescapeMonitorArg(text).length : text.length;
}

/** Index of the value argument of the commands that write one (shown as `<n bytes>`). */
const VALUE_ARG: Record<string, number> = { SET: 2, SETNX: 2, GETSET: 2, APPEND: 2, SETEX: 3, PSETEX: 3 };
/** Longer arguments are shown by their size only. */
const SHOWN_ARG_CHARS = 64;

/** Index of the value argument of command `name`, if it writes one. */
export function valueArgIndex(name: string): number | undefined {
  return VALUE_ARG[name.toUpperCase()];
}

/** One command for display: `SET my-container:key <5 bytes>`; arguments with spaces or quotes are JSON-quoted. */
export function formatCommand(args: readonly string[]): string {
  if (!args.length) return '';
  const name = args[0]!.toUpperCase();
  const valueIndex = valueArgIndex(name);
  const parts = [name];
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (i === valueIndex || a.length > SHOWN_ARG_CHARS) parts.push(`<${monitorArgBytes(a)} bytes>`);
    else parts.push(a === '' || /[\s"]/.test(a) ? JSON.stringify(a) : a);
  }
  return parts.join(' ');
}

/** The value a writing command carries, if it is one. */
export function commandValue(args: readonly string[]): string | undefined {
  const i = valueArgIndex(args[0] ?? '');
  return i === undefined ? undefined : args[i];
}

/** Container and key of a Redis key `container:key` (the guest's layout, wit/keyvalue.wit), for filtering. */
export function splitRedisKey(redisKey: string): { container?: string; key: string } {
  const i = redisKey.indexOf(':');
  return i < 0 ? { key: redisKey } : { container: redisKey.slice(0, i), key: redisKey.slice(i + 1) };
}
