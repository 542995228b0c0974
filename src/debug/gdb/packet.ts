// GDB remote protocol framing: checksums, `}` escapes and run-length encoding, on Buffers.
/**
 * GDB remote serial protocol framing: `$payload#cs` with a modulo-256 checksum over the bytes as sent,
 * `}` escapes (next byte XOR 0x20) and `*` run-length encoding. Everything is a Buffer so binary
 * payloads (qXfer data, binary memory) survive untouched.
 */

const DOLLAR = 0x24;
const HASH = 0x23;
const ESCAPE = 0x7d; // '}'
const RUN = 0x2a; // '*'
const ACK = 0x2b; // '+'
const NAK = 0x2d; // '-'

export function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return sum;
}

/** Escapes the four bytes that may not appear raw in a packet body. */
export function escapeBody(payload: Uint8Array): Buffer {
  const out: number[] = [];
  for (const b of payload) {
    if (b === HASH || b === DOLLAR || b === ESCAPE || b === RUN) out.push(ESCAPE, b ^ 0x20);
    else out.push(b);
  }
  return Buffer.from(out);
}

/** A complete frame `$<escaped payload>#<checksum>` ready for the wire. */
export function encodePacket(payload: string | Uint8Array): Buffer {
  const body = escapeBody(typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload);
  const cs = checksum(body).toString(16).padStart(2, '0');
  return Buffer.concat([Buffer.from('$', 'latin1'), body, Buffer.from(`#${cs}`, 'latin1')]);
}

/**
 * Expands run-length encoding and then escapes, in that order: a sender run-length-encodes the already
 * escaped body, so `X*N` repeats the raw byte X (N - 29) more times.
 */
export function decodeBody(raw: Uint8Array): Buffer {
  const expanded: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === RUN && expanded.length > 0 && i + 1 < raw.length) {
      const repeat = raw[++i] - 29;
      const previous = expanded[expanded.length - 1];
      for (let r = 0; r < repeat; r++) expanded.push(previous);
    } else {
      expanded.push(raw[i]);
    }
  }
  const out: number[] = [];
  for (let i = 0; i < expanded.length; i++) {
    if (expanded[i] === ESCAPE && i + 1 < expanded.length) out.push(expanded[++i] ^ 0x20);
    else out.push(expanded[i]);
  }
  return Buffer.from(out);
}

export type FrameEvent =
  | { type: 'ack' }
  | { type: 'nak' }
  | { type: 'packet'; payload: Buffer }
  /** A packet whose checksum did not match: the receiver answers `-` so the sender retransmits. */
  | { type: 'corrupt'; raw: Buffer };

/**
 * Incremental parser for the byte stream from the stub. Feed it TCP chunks of any size: a frame may be
 * split anywhere, and one chunk may hold several frames and acks. Bytes outside a frame other than
 * `+`/`-` are noise and dropped, as GDB does.
 */
export class PacketDecoder {
  private state: 'idle' | 'body' | 'cs1' | 'cs2' = 'idle';
  private body: number[] = [];
  private cs = '';

  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    for (const b of chunk) {
      switch (this.state) {
        case 'idle':
          if (b === DOLLAR) {
            this.body = [];
            this.state = 'body';
          } else if (b === ACK) events.push({ type: 'ack' });
          else if (b === NAK) events.push({ type: 'nak' });
          break;
        case 'body':
          // '#' can only end the body: an escaped '#' travels as '}' 0x03, and a run count never uses '#'.
          if (b === HASH) this.state = 'cs1';
          else this.body.push(b);
          break;
        case 'cs1':
          this.cs = String.fromCharCode(b);
          this.state = 'cs2';
          break;
        case 'cs2': {
          this.cs += String.fromCharCode(b);
          this.state = 'idle';
          const raw = Buffer.from(this.body);
          const expected = /^[0-9a-fA-F]{2}$/.test(this.cs) ? parseInt(this.cs, 16) : -1;
          events.push(expected === checksum(raw) ? { type: 'packet', payload: decodeBody(raw) } : { type: 'corrupt', raw });
          break;
        }
      }
    }
    return events;
  }
}
