// Rate limiting between a fast producer (10k+ rows/s) and a webview: rows are collected and sent
// at most every `intervalMs`, deduplicated by id (an updated row is sent once, as it is now), and
// only the newest `maxItems` of a batch are kept, since the view shows no more than that anyway.

export interface BatcherOptions<T> {
  intervalMs: number;
  maxItems: number;
  idOf: (item: T) => number;
  /** Merges an item into the one with the same id still waiting (default: the new one wins). */
  merge?: (older: T, newer: T) => T;
  /** The items in arrival order, and how many were dropped from this batch. */
  send: (items: T[], skipped: number) => void;
}

export class Batcher<T> {
  private pending = new Map<number, T>();
  private skipped = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastSent = -Infinity;

  constructor(private readonly o: BatcherOptions<T>) {}

  push(item: T): void {
    const id = this.o.idOf(item);
    const older = this.pending.get(id);
    this.pending.set(id, older !== undefined && this.o.merge ? this.o.merge(older, item) : item);
    // Trimmed in one go at twice the cap (amortized O(1) under a flood); Maps iterate in insertion order.
    if (this.pending.size >= 2 * this.o.maxItems) this.trim();
    if (!this.timer) {
      const wait = Math.max(0, this.lastSent + this.o.intervalMs - performance.now());
      this.timer = setTimeout(() => this.flush(), wait);
    }
  }

  /** Sends what is waiting now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.size && !this.skipped) return;
    this.trim();
    const items = [...this.pending.values()];
    const skipped = this.skipped;
    this.pending = new Map();
    this.skipped = 0;
    this.lastSent = performance.now();
    this.o.send(items, skipped);
  }

  /** Keeps the newest maxItems. */
  private trim(): void {
    const excess = this.pending.size - this.o.maxItems;
    if (excess <= 0) return;
    this.pending = new Map([...this.pending].slice(excess));
    this.skipped += excess;
  }

  /** Drops what is waiting (e.g. the view was cleared or hidden). */
  discard(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
    this.skipped = 0;
  }
}

/** Events per second over the last second, in 100 ms buckets. */
export class RateMeter {
  private readonly buckets = new Array<number>(10).fill(0);
  private bucketStart = 0;
  total = 0;

  mark(now: number, n = 1): void {
    this.advance(now);
    this.buckets[this.buckets.length - 1]! += n;
    this.total += n;
  }

  perSecond(now: number): number {
    this.advance(now);
    return this.buckets.reduce((a, b) => a + b, 0);
  }

  private advance(now: number): void {
    const steps = Math.floor((now - this.bucketStart) / 100);
    if (steps <= 0) return;
    const n = Math.min(steps, this.buckets.length);
    this.buckets.splice(0, n);
    for (let i = 0; i < n; i++) this.buckets.push(0);
    this.bucketStart += steps * 100;
  }
}
