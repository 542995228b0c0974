// Bounded, pausable logs of traffic rows with newest-first listing and filters. No `vscode` here.
import type { HttpEvent } from '../trace/format';

/** A fixed-capacity ring: pushing beyond the cap overwrites the oldest entry. */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly cap: number) {
    if (!(Number.isInteger(cap) && cap > 0)) throw new Error(`ring capacity must be a positive integer, got ${cap}`);
    this.items = new Array(cap);
  }

  get size(): number {
    return this.count;
  }

  /** Adds `item`; returns the entry it evicted, if any. */
  push(item: T): T | undefined {
    const evicted = this.count === this.cap ? this.items[this.next] : undefined;
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.cap;
    if (this.count < this.cap) this.count++;
    return evicted;
  }

  /** Newest first. */
  *newestFirst(): IterableIterator<T> {
    for (let i = 1; i <= this.count; i++) yield this.items[(this.next - i + this.cap) % this.cap]!;
  }

  clear(): void {
    this.items.fill(undefined);
    this.next = 0;
    this.count = 0;
  }
}

/** A ring with pause (new rows are dropped and counted, so what the user looks at stays put) and change listeners. */
export class TrafficLog<T> {
  private readonly ring: Ring<T>;
  private listeners: ((added: T | undefined) => void)[] = [];
  paused = false;
  /** Rows dropped while paused since the last clear. */
  droppedWhilePaused = 0;

  constructor(cap: number) {
    this.ring = new Ring(cap);
  }

  get size(): number {
    return this.ring.size;
  }

  get cap(): number {
    return this.ring.cap;
  }

  /** Records `row` unless paused; returns whether it was recorded. */
  add(row: T): boolean {
    if (this.paused) {
      this.droppedWhilePaused++;
      return false;
    }
    this.ring.push(row);
    this.emit(row);
    return true;
  }

  clear(): void {
    this.ring.clear();
    this.droppedWhilePaused = 0;
    this.emit(undefined);
  }

  /** Newest first, those `keep` accepts, at most `limit`. */
  list(keep: (row: T) => boolean = () => true, limit = Infinity): T[] {
    const out: T[] = [];
    for (const row of this.ring.newestFirst()) {
      if (out.length >= limit) break;
      if (keep(row)) out.push(row);
    }
    return out;
  }

  /** Called with each recorded row, and with undefined after a clear. Returns an unsubscribe function. */
  onChange(listener: (added: T | undefined) => void): () => void {
    this.listeners.push(listener);
    return () => (this.listeners = this.listeners.filter((l) => l !== listener));
  }

  private emit(row: T | undefined): void {
    for (const l of this.listeners) l(row);
  }
}

const HTTP_METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);

export interface HttpFilter {
  method?: string;
  /** Substring of the path. */
  path?: string;
  /** Lowest and highest status accepted. */
  status?: [number, number];
}

/**
 * Parses the filter box text: space-separated words, each a method (`GET`), a status (`404`), a
 * status class (`4xx`), or else a path substring (`/items`). Empty text: no filter.
 */
export function parseHttpFilter(text: string): HttpFilter {
  const f: HttpFilter = {};
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    const upper = word.toUpperCase();
    if (HTTP_METHODS.has(upper)) f.method = upper;
    else if (/^[1-5]\d\d$/.test(word)) f.status = [Number(word), Number(word)];
    else if (/^[1-5]xx$/i.test(word)) f.status = [Number(word[0]) * 100, Number(word[0]) * 100 + 99];
    else f.path = word;
  }
  return f;
}

/** Whether a request passes the filter; one not answered yet (no status) fails a status filter. */
export function matchesHttp(f: HttpFilter, e: Pick<HttpEvent, 'method' | 'path'> & { status?: number }): boolean {
  return (
    (f.method === undefined || e.method.toUpperCase() === f.method) &&
    (f.path === undefined || e.path.includes(f.path)) &&
    (f.status === undefined || (e.status !== undefined && e.status >= f.status[0] && e.status <= f.status[1]))
  );
}

export interface KvFilter {
  container?: string;
  key?: string;
  /** Substring of either, for a bare word. */
  any?: string;
}

/** `container:NAME`, `key:TEXT` (substring), or a bare word matching either as a substring. */
export function parseKvFilter(text: string): KvFilter {
  const f: KvFilter = {};
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    const m = /^(container|key):(.*)$/.exec(word);
    if (m) f[m[1] as 'container' | 'key'] = m[2];
    else f.any = word;
  }
  return f;
}

/** What a KeyValue row is filtered on: the WIT call's container and key, or a Redis key `container:key`. */
export interface KvSubject {
  container?: string;
  key?: string;
}

export function matchesKv(f: KvFilter, s: KvSubject): boolean {
  return (
    (f.container === undefined || s.container === f.container) &&
    (f.key === undefined || (s.key ?? '').includes(f.key)) &&
    (f.any === undefined || (s.container ?? '').includes(f.any) || (s.key ?? '').includes(f.any))
  );
}

