// The host end of the guest's trace port (docs/TRACE.md): a Unix socket in a private temporary folder
// that QEMU connects its COM2 to. Lines go to a callback as they arrive. No `vscode` here: the run
// session (src/run/session.ts) owns it.
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineSplitter } from '../util/lines';
import { MAX_LINE_CHARS } from './format';

/**
 * Longest line kept whole before the splitter cuts it. Well above the format's limit, so the decoder
 * still reports a too-long line with its true length; it only bounds memory against a runaway guest.
 */
const SPLIT_MAX_CHARS = 16 * MAX_LINE_CHARS;
/** Longest Unix socket path Linux accepts (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

export class TracePort {
  /** Open connections, each with a promise that settles when it has closed (never rejects). */
  private readonly connections = new Map<Socket, Promise<void>>();
  private accepted = 0;
  private closing: Promise<void> | undefined;
  /** A process that ends without close() (a crash, an extension host going down) still removes the folder. */
  private readonly removeOnExit = () => rmSync(this.dir, { recursive: true, force: true });

  private constructor(
    private readonly server: Server,
    private readonly dir: string,
    /** The socket QEMU connects to. */
    readonly path: string,
  ) {
    process.on('exit', this.removeOnExit);
  }

  /**
   * Listens on a socket in a new folder of mode 0700 (mkdtemp), so only this user can connect. `onLine`
   * gets every line without its line end, the last one even when the guest did not end it; an error it
   * throws goes to `onError` and the next line is delivered as usual.
   */
  static async open(onLine: (line: string) => void, onError: (err: Error) => void = () => {}): Promise<TracePort> {
    const dir = await mkdtemp(join(tmpdir(), 'uniwasm-trace-'));
    const path = join(dir, 'trace.sock');
    try {
      if (Buffer.byteLength(path) > MAX_SOCKET_PATH) throw new Error(`the trace socket path ${path} is too long for a Unix socket: set TMPDIR to a shorter folder`);
      const server = createServer();
      const channel = new TracePort(server, dir, path);
      const deliver = (line: string) => {
        try {
          onLine(line);
        } catch (err) {
          onError(err as Error);
        }
      };
      server.on('connection', (socket) => channel.accept(socket, deliver, onError));
      server.listen(path);
      await once(server, 'listening'); // rejects on 'error'
      server.on('error', onError); // later ones (a failed accept) must not end the process
      return channel;
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Resolves once every line QEMU wrote has been delivered: when its connection has ended (QEMU is
   * gone). `graceMs` covers a connection QEMU made just before it ended that is not accepted yet;
   * `capMs` bounds the wait whatever happens.
   */
  async drained(graceMs = 100, capMs = 2000): Promise<void> {
    const timers: NodeJS.Timeout[] = [];
    const after = (ms: number) => new Promise<void>((resolve) => timers.push(setTimeout(resolve, ms)));
    const ends = async () => {
      if (this.accepted === 0) {
        let onConnection = () => {};
        await Promise.race([new Promise<void>((resolve) => this.server.once('connection', (onConnection = resolve))), after(graceMs)]);
        this.server.off('connection', onConnection);
      }
      while (this.connections.size) await Promise.all(this.connections.values());
    };
    await Promise.race([ends(), after(capMs)]);
    timers.forEach(clearTimeout);
  }

  /** Stops listening, drops any connection left and removes the folder. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const s of this.connections.keys()) s.destroy();
      await closed;
      await rm(this.dir, { recursive: true, force: true });
      process.off('exit', this.removeOnExit);
    })());
  }

  private accept(socket: Socket, onLine: (line: string) => void, onError: (err: Error) => void): void {
    this.accepted++;
    this.connections.set(socket, new Promise((resolve) => socket.once('close', () => resolve())));
    const splitter = new LineSplitter(onLine, SPLIT_MAX_CHARS);
    socket.setEncoding('utf8'); // a character split between two reads is decoded whole
    socket.on('data', (chunk: string) => splitter.push(chunk));
    socket.on('end', () => splitter.end());
    // A reset (QEMU killed) still ends the stream: deliver what was there, then report nothing more.
    socket.on('error', (err) => {
      splitter.end();
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') onError(err);
    });
    socket.on('close', () => this.connections.delete(socket));
  }
}
