// The run's HTTP port on 127.0.0.1: our listener with a real backlog, piping each client to one of QEMU's hostfwd ports, one connect per port at a time.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { listenError } from '../util/ports';
import { SourcePorts } from './sourcePorts';

/** Clients the kernel queues for us while we accept (QEMU's own hostfwd listens with a backlog of 1). */
const BACKLOG = 1024;
/**
 * QEMU's hostfwd listeners, all forwarded to the guest's port: QEMU accepts at most one connection
 * per listener each turn of its main loop, so under load one listener alone opened ~200 connections
 * a second; several take turns.
 */
export const QEMU_LISTENERS = 8;
/**
 * Connections open to the guest at most; more clients wait for one to close. The kernel's HTTP pool
 * holds 512 (MAX_SOCKETS in kernel/platform/src/http.rs) and resets a client beyond them.
 */
const MAX_OPEN = 512;
/**
 * A loopback handshake takes microseconds unless QEMU's accept queue (two places) was full and the
 * SYN dropped: then Linux would resend it after 1 s. We connect anew after this long instead.
 */
const SYN_RETRY_MS = 20;
/** When every source port is in use or resting, the next look for one is this much later. */
const WAIT_FOR_SOURCE_PORT_MS = 100;

/**
 * Listens on 127.0.0.1:`port` and forwards every connection to one of `qemuPorts` on 127.0.0.1,
 * where QEMU's hostfwd listens. At most one connect per QEMU port is under way, so QEMU's accept
 * queues never overflow and a burst of clients waits in our backlog instead of being dropped or reset.
 */
export class HostForward {
  private readonly waiting: Socket[] = [];
  private readonly sockets = new Set<Socket>();
  /** QEMU ports with no connect under way. */
  private readonly idlePorts: number[];
  /** Each connect's own source port: slirp must never see two connections from one port at once. */
  private readonly sourcePorts = SourcePorts.ephemeral();
  private open = 0;
  private closed = false;
  /** Set while next() waits for a source port to rest. */
  private wake: NodeJS.Timeout | undefined;

  private constructor(
    private readonly server: Server,
    /** The loopback ports QEMU's hostfwd rules are to listen on. */
    readonly qemuPorts: readonly number[],
  ) {
    this.idlePorts = [...qemuPorts];
    server.on('connection', (client) => this.accepted(client));
  }

  /** Listens on 127.0.0.1:`port`; rejects with "port N on 127.0.0.1 is already in use" when it is taken. */
  static async open(port: number, qemuPorts: readonly number[]): Promise<HostForward> {
    const server = createServer({ allowHalfOpen: true, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(listenError(err, port, 'host port')));
      server.listen({ host: '127.0.0.1', port, backlog: BACKLOG }, resolve);
    });
    return new HostForward(server, qemuPorts);
  }

  /** Stops listening and ends every connection. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.wake);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accepted(client: Socket): void {
    this.track(client);
    client.on('error', () => client.destroy());
    this.waiting.push(client);
    this.next();
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** Starts connects for waiting clients while a QEMU port is idle, the guest has room and a source port is rested. */
  private next(): void {
    while (!this.closed && this.idlePorts.length > 0 && this.open + this.qemuPorts.length - this.idlePorts.length < MAX_OPEN) {
      let client: Socket | undefined;
      do client = this.waiting.shift();
      while (client?.destroyed);
      if (!client) return;
      const source = this.sourcePorts.take();
      if (source === undefined) {
        // Every source port is in use or resting (thousands of connections a second): wait for one.
        this.waiting.unshift(client);
        this.wake ??= setTimeout(() => {
          this.wake = undefined;
          this.next();
        }, WAIT_FOR_SOURCE_PORT_MS);
        return;
      }
      this.connectToQemu(client, this.idlePorts.pop()!, source);
    }
  }

  private connectToQemu(client: Socket, port: number, source: number): void {
    const qemu = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1', localPort: source, allowHalfOpen: true, noDelay: true });
    qemu.once('close', () => this.sourcePorts.release(source));
    // Timers run before I/O callbacks in Node's loop: a connect that completed while the loop was
    // busy is delivered before setImmediate's callback, and is not mistaken for a dropped SYN.
    const retry = setTimeout(() => setImmediate(() => {
      if (!qemu.connecting) return;
      qemu.destroy();
      this.again(client, port);
    }), SYN_RETRY_MS);
    const failed = (err: NodeJS.ErrnoException) => {
      clearTimeout(retry);
      // The source port is held by another socket on this host: the client tries another.
      if (err.code === 'EADDRINUSE' || err.code === 'EADDRNOTAVAIL') return this.again(client, port);
      // QEMU not listening (not yet, or no more): the client gets a reset, as it would from QEMU.
      client.resetAndDestroy();
      this.connected(port);
    };
    qemu.once('error', failed);
    qemu.once('connect', () => {
      clearTimeout(retry);
      qemu.off('error', failed);
      this.open++;
      this.track(qemu);
      qemu.on('close', () => {
        this.open--;
        this.next();
      });
      if (client.destroyed) qemu.destroy();
      else pipeBoth(client, qemu);
      this.connected(port);
    });
  }

  /** The connect for `client` did not happen: it goes first in line again, from a fresh source port. */
  private again(client: Socket, port: number): void {
    if (!client.destroyed) this.waiting.unshift(client);
    this.connected(port);
  }

  /** The connect under way on `port` has ended one way or another: the port takes the next client. */
  private connected(port: number): void {
    this.idlePorts.push(port);
    this.next();
  }
}

/** Bytes and half-closes both ways; a reset on one side resets the other. */
function pipeBoth(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  a.on('error', () => b.resetAndDestroy());
  b.on('error', () => a.resetAndDestroy());
  // Both halves closed: pipe() has flushed what it could; nothing more goes either way.
  a.on('close', () => b.end());
  b.on('close', () => a.end());
}
