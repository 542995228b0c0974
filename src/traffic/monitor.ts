// Redis MONITOR capture: every command the server executes, stamped with the host receive time.
// Reconnects (and re-enters MONITOR) while Redis is away; stop() ends it for good. No `vscode` here.
// MONITOR slows a busy server down: this is for the development Redis of a run.
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import type { MonitorCommand } from './correlate';

export interface RedisEndpoint {
  host: string;
  port: number;
  user?: string;
  password?: string;
}

export type MonitorState = 'connecting' | 'monitoring' | 'reconnecting' | 'stopped';

export interface MonitorHandlers {
  onCommand: (cmd: MonitorCommand) => void;
  /** State changes; `detail` says why Redis went away (the last connection error), once per change. */
  onState?: (state: MonitorState, detail?: string) => void;
}

/** Delay before reconnect attempt `n` (1-based): quick at first, then every 2 s. */
export function reconnectDelayMs(n: number): number {
  return Math.min(100 * 2 ** (n - 1), 2000);
}

export class RedisMonitor {
  private readonly redis: Redis;
  private state: MonitorState = 'stopped';
  private stopping = false;
  private lastError: string | undefined;
  /** Commands received since start (for the benchmark and the tests). */
  received = 0;

  constructor(
    readonly endpoint: RedisEndpoint,
    private readonly handlers: MonitorHandlers,
  ) {
    // What `redis.monitor()` does (a connection with `monitor: true`), built directly so the
    // instance is ours even when Redis is not up yet: monitor() rejects on the first connection
    // error while its instance keeps retrying out of reach.
    this.redis = new Redis({
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      password: endpoint.password,
      monitor: true,
      lazyConnect: true,
      connectTimeout: 2000,
      maxRetriesPerRequest: null,
      retryStrategy: reconnectDelayMs,
    });
    this.redis.on('monitor', (time: string, args: string[], source: string, db: string) => {
      this.received++;
      this.handlers.onCommand({ recvMs: performance.now(), time, args, source, db });
    });
    this.redis.on('monitoring', () => this.setState('monitoring'));
    this.redis.on('reconnecting', () => this.setState('reconnecting', this.lastError));
    this.redis.on('error', (err: Error) => (this.lastError = err.message));
  }

  get current(): MonitorState {
    return this.state;
  }

  /** Connects; resolves at once (a Redis that is not up yet is retried in the background). */
  start(): void {
    this.setState('connecting');
    this.redis.connect().catch(() => {}); // failures go through 'error' and the retry strategy
  }

  /** Resolves once in MONITOR mode (for tests and the benchmark). */
  waitMonitoring(timeoutMs = 5000): Promise<void> {
    if (this.state === 'monitoring') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`MONITOR on ${this.endpoint.host}:${this.endpoint.port} not active after ${timeoutMs} ms: ${this.lastError ?? 'no error'}`)), timeoutMs);
      this.redis.once('monitoring', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Closes the connection and stops reconnecting. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    // Only an open socket emits 'end' when closed; between reconnect attempts there is none.
    const open = ['connecting', 'connect', 'ready', 'monitoring'].includes(this.redis.status);
    const ended = open ? once(this.redis, 'end') : Promise.resolve();
    this.redis.disconnect(false);
    await ended;
    this.setState('stopped');
  }

  private setState(state: MonitorState, detail?: string): void {
    if (state === this.state) return;
    this.state = state;
    this.handlers.onState?.(state, detail);
  }
}
