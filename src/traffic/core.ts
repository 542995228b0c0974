// The traffic state of a run without `vscode`: trace lines and MONITOR commands in, bounded logs of
// HTTP requests and KeyValue rows out, plus the batched message stream of the KeyValue view.
// register.ts puts VS Code around it; the tests and the benchmark drive it directly.
import { performance } from 'node:perf_hooks';
import { Batcher, RateMeter } from './batch';
import { Correlator, type KvRow, type MonitorCommand } from './correlate';
import { rowSubject, toViewRow, type ViewRow } from './format';
import type { Boot } from './history';
import type { SignatureLookup } from './signature';
import { matchesKv, parseKvFilter, TrafficLog, type KvFilter } from './store';
import { isReadinessProbe, TraceDecoder, type HttpEvent, type HttpStartEvent, type KvEvent } from '../trace/format';

export interface TrafficCoreOptions {
  signatures: SignatureLookup;
  /** Malformed lines, unknown event types, format versions. */
  report: (message: string) => void;
  httpCap?: number;
  kvCap?: number;
  /** Rows the KeyValue view keeps (and the most a batch carries). */
  viewRows?: number;
  batchMs?: number;
  backMs?: number;
  aheadMs?: number;
}

/** A row for the view; `isNew` false: replace the row with this id if the view still has it. */
export type ViewItem = ViewRow & { isNew: boolean };

export type KvViewMessage =
  | { type: 'rows'; rows: ViewItem[]; skipped: number }
  | { type: 'reset'; rows: ViewItem[]; filter: string; paused: boolean; maxRows: number }
  | { type: 'stats'; callsPerSec: number; commandsPerSec: number; rows: number; held: number; monitor: string; paused: boolean; droppedWhilePaused: number };

interface Queued {
  row: KvRow;
  isNew: boolean;
}

export interface Heap {
  used: number;
  total: number;
  recvMs: number;
}

/** Boots remembered for the view's separators (a boot's requests outlive it in the history). */
const MAX_BOOTS = 100;

export class TrafficCore {
  readonly decoder: TraceDecoder;
  readonly http: TrafficLog<HttpEvent>;
  readonly kv: TrafficLog<KvRow>;
  readonly correlator: Correlator;
  readonly callRate = new RateMeter();
  readonly commandRate = new RateMeter();
  readonly viewRows: number;
  readonly signatures: SignatureLookup;
  /** The guest's last heap report; undefined when nothing runs. */
  heap: Heap | undefined;
  /** The boots the trace announced, by boot number (the newest MAX_BOOTS). */
  readonly boots = new Map<number, Boot>();
  /** The boot that serves now; undefined when nothing runs. */
  currentBoot: number | undefined;
  /** The MONITOR connection's state, for the view. */
  monitorState = 'off';
  private kvFilter: KvFilter = {};
  private kvFilterText = '';
  private view: { batcher: Batcher<Queued>; post: (m: KvViewMessage) => void } | undefined;
  private readonly heapListeners: ((h: Heap | undefined) => void)[] = [];
  private readonly bootListeners: (() => void)[] = [];
  /** Requests the app began and has not answered yet (by boot and id), oldest first. */
  private readonly started = new Map<string, HttpStartEvent>();
  private readonly inFlightListeners: (() => void)[] = [];

  constructor(private readonly o: TrafficCoreOptions) {
    this.decoder = new TraceDecoder(o.report);
    this.http = new TrafficLog(o.httpCap ?? 5000);
    this.kv = new TrafficLog(o.kvCap ?? 20_000);
    this.viewRows = o.viewRows ?? 2000;
    this.signatures = o.signatures;
    this.correlator = new Correlator({ backMs: o.backMs, aheadMs: o.aheadMs, onRow: (row, isNew) => this.onRow(row, isNew) });
  }

  /** One line of the guest's trace port, stamped with the host time it arrived. */
  onTrace(line: string, recvMs = performance.now()): void {
    const e = this.decoder.decode(line, recvMs);
    switch (e?.type) {
      case 'hello':
        this.endRequests(); // a new boot: the last one's requests will never be answered
        this.boots.set(e.boot, { boot: e.boot, recvMs, app: e.app });
        if (this.boots.size > MAX_BOOTS) this.boots.delete(this.boots.keys().next().value!);
        this.currentBoot = e.boot;
        for (const l of this.bootListeners) l();
        break;
      case 'http_start':
        this.started.set(requestKey(e), e);
        this.inFlightChanged();
        break;
      case 'http':
        if (this.started.delete(requestKey(e))) this.inFlightChanged();
        if (!isReadinessProbe(e)) this.http.add(e); // every run makes one: noise in the views
        break;
      case 'kv':
        this.callRate.mark(recvMs);
        this.correlator.addCall(e);
        break;
      case 'heap':
        this.heap = { used: e.used, total: e.total, recvMs };
        for (const l of this.heapListeners) l(this.heap);
        break;
    }
  }

  addCommand(cmd: MonitorCommand): void {
    this.commandRate.mark(cmd.recvMs);
    this.correlator.addCommand(cmd);
  }

  /** Periodic work: correlation deadlines (call every ~100 ms). */
  tick(now = performance.now()): void {
    this.correlator.tick(now);
  }

  onHeap(listener: (h: Heap | undefined) => void): void {
    this.heapListeners.push(listener);
  }

  /** Called when a boot begins, and when the run ends. */
  onBoot(listener: () => void): void {
    this.bootListeners.push(listener);
  }

  /** The run ended: no boot serves, its requests will never be answered, its heap report is stale. */
  endRun(): void {
    this.endRequests();
    this.currentBoot = undefined;
    this.heap = undefined;
    for (const l of this.heapListeners) l(undefined);
    for (const l of this.bootListeners) l();
  }

  /** The requests the app is in now (stopped at a breakpoint, or slow), newest first. */
  inFlight(): HttpStartEvent[] {
    return [...this.started.values()].reverse();
  }

  onInFlightChange(listener: () => void): void {
    this.inFlightListeners.push(listener);
  }

  /** The guest is gone (run ended) or rebooted: no request it began will be answered. */
  endRequests(): void {
    if (!this.started.size) return;
    this.started.clear();
    this.inFlightChanged();
  }

  /** KeyValue rows made while serving `e`. */
  kvCallsOf(e: HttpEvent): KvRow[] {
    return this.kv.list((r) => r.call?.req === e.id && r.call.boot === e.boot).reverse();
  }

  /** Starts feeding a view: it gets the newest rows now, then batches. */
  connectView(post: (m: KvViewMessage) => void, batchMs = this.o.batchMs ?? 100): void {
    this.view?.batcher.discard();
    // Rows are formatted when a batch goes out, so rows a batch drops cost nothing.
    const batcher = new Batcher<Queued>({
      intervalMs: batchMs,
      maxItems: this.viewRows,
      idOf: (q) => q.row.id,
      merge: (older, newer) => ({ row: newer.row, isNew: older.isNew || newer.isNew }),
      send: (queued, skipped) => post({ type: 'rows', rows: queued.map((q) => this.viewRow(q.row, q.isNew)), skipped }),
    });
    this.view = { batcher, post };
    this.reset();
  }

  disconnectView(): void {
    this.view?.batcher.discard();
    this.view = undefined;
  }

  setKvFilter(text: string): void {
    this.kvFilterText = text.trim();
    this.kvFilter = parseKvFilter(text);
    this.reset();
  }

  setKvPaused(paused: boolean): void {
    this.kv.paused = paused;
    this.reset();
  }

  clearKv(): void {
    this.kv.clear();
    this.reset();
  }

  /** Stats for the view (posted every second by the owner). */
  postStats(now = performance.now()): void {
    this.view?.post({
      type: 'stats', callsPerSec: this.callRate.perSecond(now), commandsPerSec: this.commandRate.perSecond(now),
      rows: this.kv.size, held: this.correlator.held, monitor: this.monitorState, paused: this.kv.paused,
      droppedWhilePaused: this.kv.droppedWhilePaused,
    });
  }

  private viewRow(row: KvRow, isNew: boolean): ViewItem {
    return { ...toViewRow(row, (c: KvEvent) => this.signatures(c.iface, c.fn)), isNew };
  }

  private reset(): void {
    if (!this.view) return;
    this.view.batcher.discard();
    const rows = this.kv.list((r) => matchesKv(this.kvFilter, rowSubject(r)), this.viewRows).reverse().map((r) => this.viewRow(r, true));
    this.view.post({ type: 'reset', rows, filter: this.kvFilterText, paused: this.kv.paused, maxRows: this.viewRows });
  }

  private inFlightChanged(): void {
    for (const l of this.inFlightListeners) l();
  }

  private onRow(row: KvRow, isNew: boolean): void {
    if (isNew && !this.kv.add(row)) return;
    if (this.view && (!this.kvFilterText || matchesKv(this.kvFilter, rowSubject(row)))) this.view.batcher.push({ row, isNew });
  }
}

/** A request's identity across boots: ids restart with each boot. */
export function requestKey(e: { boot: number; id: number }): string {
  return `${e.boot}-${e.id}`;
}
