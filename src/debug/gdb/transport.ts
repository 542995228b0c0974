// The GDB protocol's acknowledged packet layer over one TCP socket: acks, resends, the interrupt byte.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { GdbClosedError } from './errors';
import { encodePacket, PacketDecoder } from './packet';

/** How often one packet is resent after `-` before the link is declared broken. */
const MAX_RETRANSMITS = 5;

interface TransportEvents {
  /** A well-formed packet from the stub (already acknowledged, unescaped and expanded). */
  packet: [payload: Buffer];
  /** The socket is gone; `error` says why when it was not an orderly end. Emitted once. */
  close: [error: Error | undefined];
}

interface PendingAck {
  frame: Buffer;
  retransmits: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * The acknowledged packet layer over one TCP socket. QEMU 7.2 has no QStartNoAckMode, so every packet
 * in both directions is acknowledged: we answer `+` (or `-` on a bad checksum, which makes the stub
 * resend) and resend our own last packet when the stub answers `-`.
 */
export class RspTransport extends EventEmitter<TransportEvents> {
  private readonly decoder = new PacketDecoder();
  private pending: PendingAck | undefined;
  private closed = false;

  constructor(private readonly socket: Socket) {
    super();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.finish(err));
    socket.on('close', () => this.finish(undefined));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one packet and resolves once the stub acknowledged it. One packet at a time. */
  send(payload: string | Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new GdbClosedError('GDB connection is closed'));
    if (this.pending) return Promise.reject(new Error('RSP transport: a packet is still waiting for its acknowledgement'));
    return new Promise((resolve, reject) => {
      this.pending = { frame: encodePacket(payload), retransmits: 0, resolve, reject };
      this.socket.write(this.pending.frame);
    });
  }

  /** The out-of-band interrupt: a bare 0x03 byte, neither framed nor acknowledged. */
  sendInterrupt(): void {
    if (!this.closed) this.socket.write(Buffer.from([0x03]));
  }

  /** Ends the connection; `reason` reaches the `close` listeners and the pending send. */
  destroy(reason?: Error): void {
    this.finish(reason);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    for (const event of this.decoder.push(chunk)) {
      if (this.closed) return;
      switch (event.type) {
        case 'ack':
          this.settleAck();
          break;
        case 'nak':
          this.retransmit();
          break;
        case 'corrupt':
          this.socket.write('-');
          break;
        case 'packet':
          this.socket.write('+');
          // A reply implies the stub got our packet even if its `+` was lost in the noise.
          this.settleAck();
          this.emit('packet', event.payload);
          break;
      }
    }
  }

  private settleAck(): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve();
  }

  private retransmit(): void {
    const pending = this.pending;
    if (!pending) return;
    if (++pending.retransmits > MAX_RETRANSMITS) {
      this.destroy(new Error(`GDB stub rejected a packet ${MAX_RETRANSMITS + 1} times (bad checksums on the link)`));
      return;
    }
    this.socket.write(pending.frame);
  }

  private finish(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(new GdbClosedError(`GDB connection closed${error ? `: ${error.message}` : ''}`));
    this.emit('close', error);
  }
}
