// Pairs each KeyValue call of the trace with the Redis commands MONITOR saw it cause.
//
// Both streams are stamped with the host's receive time (`performance.now()`), so the guest's clock
// and its offset do not matter. A call's trace line is written after the call returned, so its
// commands usually arrive first; a command stays claimable for `backMs` after it arrived, and a call
// whose commands are not all there yet waits `aheadMs` for them. A command matches a call when its
// name is one the call expects (the guest lists them in `redis`) and one of its arguments is the
// call's Redis key `container:key` (for `keys`: the SCAN pattern `container:*`). Among candidates the
// oldest wins (FIFO keeps repeated calls on one key in order), preferring the connection the guest
// used before. Commands nobody claims become rows of their own: raw Redis traffic.
import { escapeMonitorArg, valueArgIndex } from './redisText';
import type { KvEvent } from '../trace/format';

export interface MonitorCommand {
  /** Host receive time (ms, `performance.now()` clock). */
  recvMs: number;
  /** Redis's own `seconds.micros` timestamp, as MONITOR printed it. */
  time: string;
  /** Command name and arguments, in MONITOR's escaped text (see redisText.ts). */
  args: string[];
  /** Client `ip:port` (or `unix:…`, `lua`). */
  source: string;
  db: string;
}

/** One row of KeyValue traffic: a call with the commands it caused, or a command no call claimed. */
export interface KvRow {
  id: number;
  recvMs: number;
  call?: KvEvent;
  commands: MonitorCommand[];
}

interface Entry {
  cmd: MonitorCommand;
  claimed: boolean;
  /** The distinct arguments it is indexed under. */
  keys: string[];
}

interface Pending {
  row: KvRow;
  anchor: string | undefined;
  /** Command names (upper case) still expected. */
  remaining: string[];
  deadline: number;
}

/** A FIFO queue with O(1) amortized shift. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
  }
}

export interface CorrelatorOptions {
  /** How long a command stays claimable by a call that arrives after it. */
  backMs?: number;
  /** How long a call waits for commands that arrive after it. */
  aheadMs?: number;
  /** Commands kept for matching; beyond it the oldest become unclaimed rows early (bounded memory). */
  maxRecent?: number;
  /** A new row (isNew) or a row that gained commands. */
  onRow: (row: KvRow, isNew: boolean) => void;
}

/** Arguments this long are values, not keys: not indexed. */
const MAX_INDEXED_ARG = 1024;

/** Commands a call sends when the guest does not list them. */
const DEFAULT_COMMANDS: Record<string, string[]> = { get: ['GET'], set: ['SET'], delete: ['DEL'], keys: ['SCAN'] };

/** The arguments a command is found by: all but its name and its value, distinct, not too long (hot path: no extra arrays). */
function indexKeys(args: readonly string[]): string[] {
  const valueIndex = valueArgIndex(args[0] ?? '');
  const keys: string[] = [];
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (i !== valueIndex && a.length <= MAX_INDEXED_ARG && !keys.includes(a)) keys.push(a);
  }
  return keys;
}

/** The MONITOR argument that ties `call` to its commands, if it has one. */
export function anchorOf(call: KvEvent): string | undefined {
  if (call.key !== undefined) return escapeMonitorArg(Buffer.from(`${call.container}:${call.key}`));
  // SCAN's MATCH pattern: glob characters of the container escaped, as docs/TRACE.md asks of the guest.
  if (call.fn.endsWith('.keys')) return escapeMonitorArg(Buffer.from(`${call.container.replace(/[*?[\]\\]/g, '\\$&')}:*`));
  return undefined;
}

/** Upper-case names of the commands `call` caused. */
export function expectedCommands(call: KvEvent): string[] {
  if (call.redis.length) return call.redis.map((c) => c.trim().split(/\s+/, 1)[0]!.toUpperCase()).filter(Boolean);
  return [...(DEFAULT_COMMANDS[call.fn.slice(call.fn.lastIndexOf('.') + 1)] ?? [])]; // a copy: claims splice it
}

export class Correlator {
  private readonly backMs: number;
  private readonly aheadMs: number;
  private readonly maxRecent: number;
  private readonly recent = new Fifo<Entry>();
  private readonly index = new Map<string, Fifo<Entry>>();
  /** Pending calls by anchor ('' for calls without one). */
  private readonly waiting = new Map<string, Pending[]>();
  private waitingCount = 0;
  private nextId = 1;
  /** Source (`ip:port`) of the last command claimed through a key: the guest's connection. */
  private guestSource: string | undefined;

  constructor(private readonly options: CorrelatorOptions) {
    this.backMs = options.backMs ?? 1000;
    this.aheadMs = options.aheadMs ?? 500;
    this.maxRecent = options.maxRecent ?? 50_000;
  }

  /** Commands held for matching (for tests and the benchmark). */
  get held(): number {
    return this.recent.length;
  }

  addCommand(cmd: MonitorCommand): void {
    const entry: Entry = { cmd, claimed: false, keys: indexKeys(cmd.args) };
    this.recent.push(entry);
    for (const k of entry.keys) {
      let q = this.index.get(k);
      if (!q) this.index.set(k, (q = new Fifo()));
      q.push(entry);
    }
    if (this.waitingCount) this.offerToWaiting(entry);
    if (this.recent.length > this.maxRecent) this.expireOldest();
  }

  addCall(call: KvEvent): KvRow {
    const row: KvRow = { id: this.nextId++, recvMs: call.recvMs, call, commands: [] };
    const p: Pending = { row, anchor: anchorOf(call), remaining: expectedCommands(call), deadline: call.recvMs + this.aheadMs };
    const since = call.recvMs - this.backMs;
    const candidates = p.anchor === undefined ? this.recent : this.prunedIndex(p.anchor, since);
    // Two passes: the guest's known connection first, then anyone's.
    for (const preferred of this.guestSource ? [true, false] : [false]) {
      for (const e of candidates ?? []) {
        if (!p.remaining.length) break;
        if (e.cmd.recvMs < since || (preferred && e.cmd.source !== this.guestSource)) continue;
        this.tryClaim(p, e);
      }
    }
    this.options.onRow(row, true);
    if (p.remaining.length) {
      const k = p.anchor ?? '';
      const list = this.waiting.get(k);
      if (list) list.push(p);
      else this.waiting.set(k, [p]);
      this.waitingCount++;
    }
    return row;
  }

  /** Ends waits past their deadline and turns commands past `backMs` into rows of their own. Call it periodically. */
  tick(now: number): void {
    if (this.waitingCount) {
      for (const [k, list] of this.waiting) {
        const kept = list.filter((p) => p.deadline >= now && p.remaining.length);
        this.waitingCount -= list.length - kept.length;
        if (kept.length) this.waiting.set(k, kept);
        else this.waiting.delete(k);
      }
    }
    for (let e = this.recent.peek(); e && e.cmd.recvMs < now - this.backMs; e = this.recent.peek()) this.expireOldest();
  }

  /** Emits every unclaimed command as a row and forgets all state (the session ended). */
  flush(): void {
    while (this.recent.length) this.expireOldest();
    this.waiting.clear();
    this.waitingCount = 0;
  }

  /** The index queue of `key` without its claimed or too old head entries (they can match nothing any more). */
  private prunedIndex(key: string, since: number): Fifo<Entry> | undefined {
    const q = this.index.get(key);
    if (!q) return undefined;
    for (let e = q.peek(); e && (e.claimed || e.cmd.recvMs < since); e = q.peek()) q.shift();
    if (q.length) return q;
    this.index.delete(key);
    return undefined;
  }

  private tryClaim(p: Pending, e: Entry): boolean {
    if (e.claimed) return false;
    const i = p.remaining.indexOf(e.cmd.args[0]?.toUpperCase() ?? '');
    if (i < 0 || (p.anchor !== undefined && !e.keys.includes(p.anchor))) return false;
    e.claimed = true;
    p.remaining.splice(i, 1);
    p.row.commands.push(e.cmd);
    if (p.anchor !== undefined) this.guestSource = e.cmd.source;
    return true;
  }

  private offerToWaiting(e: Entry): void {
    for (const k of ['', ...e.keys]) {
      const list = this.waiting.get(k);
      if (!list) continue;
      for (const p of list) {
        if (p.deadline < e.cmd.recvMs || !this.tryClaim(p, e)) continue;
        this.options.onRow(p.row, false);
        if (!p.remaining.length) {
          list.splice(list.indexOf(p), 1);
          this.waitingCount--;
          if (!list.length) this.waiting.delete(k);
        }
        return;
      }
    }
  }

  private expireOldest(): void {
    const e = this.recent.shift();
    if (!e) return;
    for (const k of e.keys) {
      const q = this.index.get(k);
      // Index queues are in arrival order too: `e` is their head unless prunedIndex dropped it already.
      if (q?.peek() !== e) continue;
      q.shift();
      if (!q.length) this.index.delete(k);
    }
    if (!e.claimed) this.options.onRow({ id: this.nextId++, recvMs: e.cmd.recvMs, commands: [e.cmd] }, true);
  }
}
