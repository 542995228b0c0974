// The local ports the host forward connects to QEMU from: each one used by one connection at a time, and rested after it.
import { readFileSync } from 'node:fs';

/**
 * How long a port rests after its connection closed. QEMU's user networking (slirp) shows the guest
 * each forwarded connection as coming from 10.0.2.2 and the host connection's source port, and
 * keeps a closed connection up to its TIME-WAIT of 10 s: a new connection from the same port within
 * that time is a second slirp connection with the same address, and the guest's answers reach the
 * wrong one (the client stalls for seconds or gets no answer).
 */
export const REST_MS = 15_000;

/** Linux's range for local ports of outgoing connections; the usual default elsewhere. */
function ephemeralRange(): [number, number] {
  try {
    const [first, last] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (first && last && first < last) return [first, last];
  } catch {
    // not Linux: the default below
  }
  return [32768, 60999];
}

/**
 * Source ports handed out in turn over the ephemeral range, none while in use or resting. Linux's own
 * choice would not do: it gives one local port to connects to different QEMU listeners at once,
 * and the same port again right after a close.
 */
export class SourcePorts {
  /** When each port handed out may be handed out again: Infinity while its connection is open. */
  private readonly restingUntil = new Map<number, number>();
  private cursor: number;

  constructor(
    private readonly first: number,
    private readonly last: number,
    private readonly now: () => number = Date.now,
  ) {
    this.cursor = first + Math.floor(Math.random() * (last - first + 1));
  }

  static ephemeral(): SourcePorts {
    return new SourcePorts(...ephemeralRange());
  }

  /** The next port in turn that is neither in use nor resting; undefined when none is. */
  take(): number | undefined {
    const now = this.now();
    for (let tried = this.first; tried <= this.last; tried++) {
      const port = this.cursor;
      this.cursor = port === this.last ? this.first : port + 1;
      if ((this.restingUntil.get(port) ?? 0) <= now) {
        this.restingUntil.set(port, Infinity);
        return port;
      }
    }
    return undefined;
  }

  /** `port`'s connection closed (or never opened): it rests for REST_MS. */
  release(port: number): void {
    this.restingUntil.set(port, this.now() + REST_MS);
  }
}
