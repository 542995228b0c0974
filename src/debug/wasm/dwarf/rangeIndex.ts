// Code offset → the entries whose code ranges contain it, built once: sorted range boundaries and a binary search.
import type { CodeRange } from './lists';

/**
 * Entries (units, functions) by the code they cover. The range boundaries cut the code into
 * segments; each segment keeps the entries covering it in the order they were given, so the
 * first answer is the one a linear search in that order finds. Ranges may overlap (wasm-ld before
 * tombstones put dropped functions at 0) and an entry may have several.
 */
export class RangeIndex<T> {
  /** Sorted distinct starts and ends; segment i is [bounds[i], bounds[i + 1]). */
  private readonly bounds: number[];
  /** The entries covering each segment, in the order given; a gap has none. */
  private readonly covering: (T[] | undefined)[];

  constructor(entries: Iterable<{ value: T; ranges: readonly CodeRange[] }>) {
    const list = [...entries].map((e) => ({ value: e.value, ranges: e.ranges.filter((r) => r.start < r.end) }));
    const points = new Set<number>();
    for (const { ranges } of list) for (const r of ranges) points.add(r.start).add(r.end);
    this.bounds = [...points].sort((a, b) => a - b);
    this.covering = new Array(this.bounds.length);
    for (const { value, ranges } of list) {
      for (const r of ranges) {
        for (let i = this.segment(r.start); this.bounds[i] < r.end; i++) {
          const here = (this.covering[i] ??= []);
          // An entry whose own ranges overlap is listed once.
          if (here[here.length - 1] !== value) here.push(value);
        }
      }
    }
  }

  /** The entries whose ranges contain `pc`, in the order given. */
  at(pc: number): readonly T[] {
    return this.covering[this.segment(pc)] ?? [];
  }

  /** The last segment starting at or before `pc` (-1 before the first). */
  private segment(pc: number): number {
    let low = 0;
    let high = this.bounds.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (this.bounds[mid] <= pc) low = mid + 1;
      else high = mid - 1;
    }
    return high;
  }
}
