// `uniwasm run --trace FILE`: the guest's trace lines as JSON lines in a file, exactly as received.
// Lines that arrive together are written with one system call, on the next turn of the event loop;
// close() writes what is left synchronously, so nothing is lost when the CLI ends on a signal.
import { closeSync, openSync, writeSync } from 'node:fs';

export class TraceFile {
  private pending: string[] = [];
  private scheduled = false;
  private closed = false;
  private failed = false;

  private constructor(
    private readonly fd: number,
    readonly path: string,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Creates or truncates `path` now, so a bad path fails before anything boots. */
  static open(path: string, onError: (err: Error) => void): TraceFile {
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (err) {
      throw new Error(`cannot write the trace file: ${(err as Error).message}`);
    }
    return new TraceFile(fd, path, onError);
  }

  /** Appends one line (a newline is added). */
  write(line: string): void {
    if (this.closed) return;
    this.pending.push(line);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Writes what is pending and closes the file. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.closed || !this.pending.length) return;
    const data = Buffer.from(`${this.pending.join('\n')}\n`);
    this.pending = [];
    if (this.failed) return;
    try {
      // A regular file takes all of it in one call unless the disk is full; loop for the rest anyway.
      for (let off = 0; off < data.length; ) off += writeSync(this.fd, data, off);
    } catch (err) {
      this.failed = true; // reported once; the run goes on without its trace file
      this.onError(new Error(`writing the trace file ${this.path} failed: ${(err as Error).message}`));
    }
  }
}
