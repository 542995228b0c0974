// Splits byte streams into lines, with a bound on a line's length.
import type { Readable } from 'node:stream';

/**
 * Splits text that arrives in chunks into lines (without their `\n` or `\r\n`). Only the new chunk is
 * searched for line ends, so a long line arriving in many chunks costs linear time.
 */
export class LineSplitter {
  private pending = '';
  /** True while the rest of an over-long line is being dropped. */
  private skipping = false;

  /**
   * @param maxChars A line longer than this is delivered as its first `maxChars + 1` characters (so a
   *   consumer with the same limit still sees it is too long) and the rest of it is dropped: a producer
   *   that never ends a line cannot grow this buffer without bound.
   */
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxChars = Infinity,
  ) {}

  push(chunk: string): void {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, nl);
      start = nl + 1;
      if (this.skipping) {
        this.skipping = false;
        continue;
      }
      const line = this.pending + piece;
      this.pending = '';
      this.deliver(line.endsWith('\r') ? line.slice(0, -1) : line);
    }
    if (this.skipping) return;
    this.pending += chunk.slice(start);
    if (this.pending.length > this.maxChars) {
      this.onLine(this.pending.slice(0, this.maxChars + 1));
      this.pending = '';
      this.skipping = true;
    }
  }

  /** The end of the input: a last line without a line end is delivered too. */
  end(): void {
    if (this.pending && !this.skipping) this.deliver(this.pending);
    this.pending = '';
    this.skipping = false;
  }

  private deliver(line: string): void {
    this.onLine(line.length > this.maxChars ? line.slice(0, this.maxChars + 1) : line);
  }
}

/**
 * Calls `onLine` for every complete line of `stream` (without its line ending), and for a last partial
 * line at the end. `maxChars`: see LineSplitter.
 */
export function forEachLine(stream: Readable, onLine: (line: string) => void, maxChars?: number): void {
  const splitter = new LineSplitter(onLine, maxChars);
  stream.setEncoding('utf8'); // decodes a character split between chunks correctly
  stream.on('data', (chunk: string) => splitter.push(chunk));
  stream.on('end', () => splitter.end());
}
