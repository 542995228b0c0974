// The GDB remote protocol client for QEMU's gdbstub: queued requests with timeouts, run control, registers, memory, breakpoints.
import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { GdbClosedError, GdbStubError, GdbTimeoutError } from './errors';
import { bigintToLittleEndian, fromHex, hexNumber, littleEndianToBigint, toHex, type Address } from './hex';
import { formatThreadId, parseStopReply, parseThreadId, type StopReply } from './stopReply';
import { decodeRegisterBlock, loadTargetDescription, type RegisterInfo, type TargetDescription } from './targetDescription';
import { RspTransport } from './transport';

export interface GdbConnectOptions {
  /** How long one request may wait for its reply, and a step for its stop. Default 5000 ms. */
  timeoutMs?: number;
  /** Retry a refused connection this long: QEMU opens its gdb port a moment after it starts. Default 0. */
  waitForListenerMs?: number;
}

/** stopped: requests allowed. running: only interrupt(). exited: QEMU reported W/X. closed: the link is gone. */
export type TargetState = 'stopped' | 'running' | 'exited' | 'closed';

export type BreakpointType = 'software' | 'hardware';
/** Watchpoints: Z2 on writes, Z3 on reads, Z4 on either. */
export type WatchpointType = 'write' | 'read' | 'access';
const WATCHPOINT_CODE: Record<WatchpointType, number> = { write: 2, read: 3, access: 4 };

export interface GdbClientEvents {
  /** The target stopped after continue/step/interrupt (T or S reply). */
  stop: [reply: StopReply];
  /** The target exited (W) or was terminated (X). */
  exit: [reply: StopReply];
  /** The connection ended; `error` is set unless it was an orderly detach/close. Emitted once. */
  close: [error: Error | undefined];
  /** Text the target printed through `O` packets while running. */
  console: [text: string];
}

interface ReplyWaiter {
  resolve: (payload: Buffer) => void;
  reject: (err: Error) => void;
  /** Collects `O` output for qRcmd instead of emitting it as console text. */
  output?: Buffer[];
  /** The request is `?`, the only one (besides c/s, which wait elsewhere) answered by a stop reply. */
  wantsStop: boolean;
}

interface StopWaiter {
  resolve: (reply: StopReply) => void;
  reject: (err: Error) => void;
}

const DEFAULT_TIMEOUT_MS = 5000;
/** PacketSize to assume when qSupported does not say (GDB's own default). */
const DEFAULT_PACKET_SIZE = 400;
/** Room for the command letter, address, length and framing around the hex data of m/M packets. */
const MEMORY_PACKET_OVERHEAD = 32;

/** `O` + hex is console output; `OK` is not (K is no hex digit). */
function isConsoleOutput(text: string): boolean {
  return /^O(?:[0-9a-fA-F]{2})+$/.test(text);
}

function describe(payload: string): string {
  return payload.length > 40 ? `${payload.slice(0, 40)}…` : payload;
}

/** Throws on `Exx` and on the empty reply (packet not supported); otherwise returns the reply as text. */
function checkReply(reply: Buffer, request: string): string {
  const text = reply.toString('latin1');
  if (text === '') throw new GdbStubError(`GDB stub does not support "${describe(request)}" (empty reply)`);
  if (/^E[0-9a-fA-F]{2}$/.test(text)) {
    throw new GdbStubError(`GDB stub answered ${text} to "${describe(request)}"`, parseInt(text.slice(1), 16));
  }
  return text;
}

function expectOk(reply: Buffer, request: string): void {
  const text = checkReply(reply, request);
  if (text !== 'OK') throw new GdbStubError(`GDB stub answered "${describe(text)}" instead of OK to "${describe(request)}"`);
}

/**
 * A client for QEMU's gdbstub (GDB remote serial protocol, all-stop mode). Requests go out one at a
 * time from a queue, each with a timeout. While the target runs, only interrupt() may be used; the
 * stop arrives as an event and through waitForStop().
 */
export class GdbClient extends EventEmitter<GdbClientEvents> {
  /** qSupported answer: `name=value`, `name+` (true) or `name-` (false). */
  readonly features = new Map<string, string | boolean>();
  packetSize = DEFAULT_PACKET_SIZE;
  /** Registers from target.xml and its includes; undefined when the stub offers no qXfer:features:read. */
  target: TargetDescription | undefined;
  state: TargetState = 'stopped';
  /** The last stop (or exit) reported, starting with the answer to `?`. */
  lastStop: StopReply | undefined;

  private readonly vContActions = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private waiter: ReplyWaiter | undefined;
  private stopWaiters: StopWaiter[] = [];
  private closeReason = 'GDB connection closed';

  private constructor(
    private readonly transport: RspTransport,
    private readonly timeoutMs: number,
  ) {
    super();
    transport.on('packet', (payload) => this.onPacket(payload));
    transport.on('close', (error) => this.onClose(error));
  }

  /**
   * Connects to a gdbstub and runs the handshake: qSupported, vCont?, the target description, `?`.
   * QEMU stops the guest when a debugger connects, so the client starts in state `stopped`.
   */
  static async connect(host: string, port: number, options: GdbConnectOptions = {}): Promise<GdbClient> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const socket = await openSocket(host, port, timeoutMs, options.waitForListenerMs ?? 0);
    const client = new GdbClient(new RspTransport(socket), timeoutMs);
    try {
      await client.handshake();
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  // ---- generic request machinery ----

  /** Sends one packet and returns the stub's reply payload (raw; no error checking). Queued. Not for c/s/vCont: use continue()/step(). */
  request(payload: string, options: { timeoutMs?: number } = {}): Promise<Buffer> {
    return this.enqueue(() => this.exchange(payload, options.timeoutMs ?? this.timeoutMs));
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertStopped(request: string): void {
    if (this.state === 'closed') throw new GdbClosedError(`${this.closeReason} (cannot send "${describe(request)}")`);
    if (this.state === 'running') throw new Error(`target is running: interrupt it before sending "${describe(request)}"`);
    if (this.state === 'exited') throw new Error(`target has exited (cannot send "${describe(request)}")`);
  }

  private async exchange(payload: string, timeoutMs: number, output?: Buffer[]): Promise<Buffer> {
    this.assertStopped(payload);
    // Install the waiter before sending: the ack and the reply may arrive in one TCP chunk.
    const reply = new Promise<Buffer>((resolve, reject) => {
      this.waiter = { resolve, reject, output, wantsStop: payload === '?' };
    });
    const timer = setTimeout(() => {
      const err = new GdbTimeoutError(
        `GDB stub did not answer "${describe(payload)}" within ${timeoutMs} ms; closing the connection ` +
          'because later replies could no longer be matched to their requests',
      );
      this.waiter?.reject(err);
      this.waiter = undefined;
      this.transport.destroy(err);
    }, timeoutMs);
    this.transport.send(payload).catch((err: Error) => this.waiter?.reject(err));
    try {
      return await reply;
    } finally {
      clearTimeout(timer);
      this.waiter = undefined;
    }
  }

  private async query(payload: string): Promise<string> {
    return checkReply(await this.request(payload), payload);
  }

  private async command(payload: string): Promise<void> {
    expectOk(await this.request(payload), payload);
  }

  private onPacket(payload: Buffer): void {
    const text = payload.toString('latin1');
    if (isConsoleOutput(text)) {
      const bytes = fromHex(text.slice(1));
      if (this.waiter?.output) this.waiter.output.push(bytes);
      else this.emit('console', bytes.toString('utf8'));
      return;
    }
    // QEMU sends an unasked T02 when a debugger connects to a running guest (it pauses the VM): it
    // arrives before the answer to the first request. No other answer can parse as a stop reply.
    const unasked = this.waiter && !this.waiter.wantsStop ? parseStopReply(text) : undefined;
    if (unasked) {
      this.lastStop = unasked;
      return;
    }
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.resolve(payload);
      return;
    }
    // Nothing was asked: only a stop reply (after continue/step/interrupt) may arrive now. Anything else is dropped.
    const stop = parseStopReply(text);
    if (stop) this.onStop(stop);
  }

  private onStop(stop: StopReply): void {
    this.lastStop = stop;
    this.state = stop.kind === 'signal' ? 'stopped' : 'exited';
    for (const waiter of this.stopWaiters.splice(0)) waiter.resolve(stop);
    this.emit(stop.kind === 'signal' ? 'stop' : 'exit', stop);
  }

  private onClose(error: Error | undefined): void {
    this.state = 'closed';
    if (error) this.closeReason = `GDB connection closed: ${error.message}`;
    const closed = new GdbClosedError(this.closeReason);
    this.waiter?.reject(closed);
    this.waiter = undefined;
    for (const waiter of this.stopWaiters.splice(0)) waiter.reject(closed);
    this.emit('close', error);
  }

  /** A promise for the next stop reply; rejects after `timeoutMs` (the target keeps running) or on close. */
  private nextStop(timeoutMs: number | undefined): Promise<StopReply> {
    return new Promise((resolve, reject) => {
      const waiter: StopWaiter = { resolve, reject };
      this.stopWaiters.push(waiter);
      if (timeoutMs === undefined) return;
      const timer = setTimeout(() => {
        this.stopWaiters = this.stopWaiters.filter((w) => w !== waiter);
        reject(new GdbTimeoutError(`target did not stop within ${timeoutMs} ms; it is still running (use interrupt())`));
      }, timeoutMs);
      waiter.resolve = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
      waiter.reject = (err) => {
        clearTimeout(timer);
        reject(err);
      };
    });
  }

  // ---- handshake ----

  private async handshake(): Promise<void> {
    const supported = await this.query('qSupported:swbreak+;hwbreak+;vContSupported+');
    for (const item of supported.split(';')) {
      const eq = item.indexOf('=');
      if (eq >= 0) this.features.set(item.slice(0, eq), item.slice(eq + 1));
      else if (item.endsWith('+') || item.endsWith('-')) this.features.set(item.slice(0, -1), item.endsWith('+'));
    }
    const size = this.features.get('PacketSize');
    if (typeof size === 'string') this.packetSize = parseInt(size, 16);

    const vCont = (await this.request('vCont?')).toString('latin1');
    if (vCont.startsWith('vCont')) for (const action of vCont.split(';').slice(1)) this.vContActions.add(action);

    if (this.features.get('qXfer:features:read') === true) {
      this.target = await loadTargetDescription(async (annex) => (await this.readXfer('features', annex)).toString('utf8'));
    }
    const stop = parseStopReply(await this.query('?'));
    if (!stop) throw new GdbStubError('GDB stub sent no stop reply to "?"');
    this.lastStop = stop;
    if (stop.kind !== 'signal') this.state = 'exited';
  }

  /** Reads a whole qXfer object, page by page (`m` = more follows, `l` = last). */
  async readXfer(object: string, annex: string): Promise<Buffer> {
    const pages: Buffer[] = [];
    let offset = 0;
    // The reply carries one type letter plus framing; stay inside the stub's packet size.
    const pageSize = Math.max(1, this.packetSize - 5);
    for (;;) {
      const request = `qXfer:${object}:read:${annex}:${hexNumber(offset)},${hexNumber(pageSize)}`;
      const reply = await this.request(request);
      const kind = reply.toString('latin1', 0, 1);
      if (kind !== 'm' && kind !== 'l') {
        checkReply(reply, request);
        throw new GdbStubError(`unexpected qXfer reply "${describe(reply.toString('latin1'))}"`);
      }
      const data = reply.subarray(1);
      pages.push(data);
      offset += data.length;
      if (kind === 'l') return Buffer.concat(pages);
      if (data.length === 0) throw new GdbStubError(`qXfer ${object} ${annex}: stub sent an empty "more" page`);
    }
  }

  // ---- threads ----

  /** Thread ids (one per vCPU on QEMU), via qfThreadInfo/qsThreadInfo. */
  async threads(): Promise<number[]> {
    const ids: number[] = [];
    for (let reply = await this.query('qfThreadInfo'); reply !== 'l'; reply = await this.query('qsThreadInfo')) {
      if (!reply.startsWith('m')) throw new GdbStubError(`unexpected thread list reply "${describe(reply)}"`);
      for (const id of reply.slice(1).split(',')) ids.push(parseThreadId(id));
    }
    return ids;
  }

  /** Hg (registers and memory) or Hc (step/continue) thread selection; -1 means all, 0 any. */
  selectThread(operation: 'g' | 'c', thread: number): Promise<void> {
    return this.command(`H${operation}${formatThreadId(thread)}`);
  }

  // ---- registers ----

  private register(name: string): RegisterInfo {
    const reg = this.target?.registers.find((r) => r.name === name);
    if (!reg) throw new Error(`unknown register "${name}"${this.target ? '' : ' (the stub sent no target description)'}`);
    return reg;
  }

  /** All registers of the selected thread (`g`), by name in regnum order. */
  async readRegisters(): Promise<Map<string, bigint>> {
    if (!this.target) throw new Error('cannot decode registers: the stub sent no target description');
    return decodeRegisterBlock(this.target, await this.query('g'));
  }

  async readRegister(name: string): Promise<bigint> {
    return littleEndianToBigint(fromHex(await this.query(`p${hexNumber(this.register(name).regnum)}`)));
  }

  writeRegister(name: string, value: bigint): Promise<void> {
    const reg = this.register(name);
    return this.command(`P${hexNumber(reg.regnum)}=${toHex(bigintToLittleEndian(value, Math.ceil(reg.bitsize / 8)))}`);
  }

  // ---- memory ----

  /** Largest m/M data chunk that fits the stub's packet size as hex. */
  private get memoryChunk(): number {
    return Math.max(1, Math.floor((this.packetSize - MEMORY_PACKET_OVERHEAD) / 2));
  }

  /** Reads `length` bytes at `address` (virtual, or physical after setPhysicalMemoryMode(true)). */
  async readMemory(address: Address, length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let at = BigInt(address);
    let left = length;
    while (left > 0) {
      const bytes = fromHex(await this.query(`m${hexNumber(at)},${hexNumber(Math.min(left, this.memoryChunk))}`));
      // A stub may return fewer bytes than asked (end of a mapping); none at all would loop forever.
      if (bytes.length === 0) throw new GdbStubError(`GDB stub returned no bytes at 0x${hexNumber(at)}`);
      parts.push(bytes);
      at += BigInt(bytes.length);
      left -= bytes.length;
    }
    return Buffer.concat(parts);
  }

  async writeMemory(address: Address, data: Uint8Array): Promise<void> {
    const base = BigInt(address);
    for (let offset = 0; offset < data.length; offset += this.memoryChunk) {
      const chunk = data.subarray(offset, offset + this.memoryChunk);
      await this.command(`M${hexNumber(base + BigInt(offset))},${hexNumber(chunk.length)}:${toHex(chunk)}`);
    }
  }

  /** Qqemu.PhyMemMode: make m/M use physical instead of virtual addresses. */
  setPhysicalMemoryMode(physical: boolean): Promise<void> {
    return this.command(`Qqemu.PhyMemMode:${physical ? 1 : 0}`);
  }

  // ---- breakpoints ----

  /** Z0 (software) or Z1 (hardware) at `address`; `kind` is the breakpoint length, 1 on x86. */
  setBreakpoint(address: Address, type: BreakpointType = 'software', kind = 1): Promise<void> {
    return this.command(`Z${type === 'software' ? 0 : 1},${hexNumber(address)},${hexNumber(kind)}`);
  }

  removeBreakpoint(address: Address, type: BreakpointType = 'software', kind = 1): Promise<void> {
    return this.command(`z${type === 'software' ? 0 : 1},${hexNumber(address)},${hexNumber(kind)}`);
  }

  /** Z2/Z3/Z4 over `length` bytes at `address`; the stop reply names it (`watch:`, `rwatch:`, `awatch:`). */
  setWatchpoint(address: Address, length: number, type: WatchpointType): Promise<void> {
    return this.command(`Z${WATCHPOINT_CODE[type]},${hexNumber(address)},${hexNumber(length)}`);
  }

  removeWatchpoint(address: Address, length: number, type: WatchpointType): Promise<void> {
    return this.command(`z${WATCHPOINT_CODE[type]},${hexNumber(address)},${hexNumber(length)}`);
  }

  // ---- execution ----

  /** vCont when the stub offers the action, else the legacy c/s after Hc. */
  private async resume(action: 'c' | 's', thread: number | undefined): Promise<void> {
    let packet: string = action;
    if (this.vContActions.has(action)) packet = `vCont;${action}${thread === undefined ? '' : `:${formatThreadId(thread)}`}`;
    else if (thread !== undefined) {
      const select = `Hc${formatThreadId(thread)}`;
      expectOk(await this.exchange(select, this.timeoutMs), select);
    }
    this.assertStopped(packet);
    // Running from now on: the stop reply may follow the ack in the same chunk.
    this.state = 'running';
    await this.transport.send(packet);
  }

  /** Resumes the target (all threads, or `thread`); resolves once the stub took the packet. */
  continue(thread?: number): Promise<void> {
    return this.enqueue(() => this.resume('c', thread));
  }

  /** Single-steps one instruction and resolves with the stop reply. */
  step(thread?: number, timeoutMs = this.timeoutMs): Promise<StopReply> {
    return this.enqueue(async () => {
      const stopped = this.nextStop(timeoutMs);
      try {
        await this.resume('s', thread);
      } catch (err) {
        stopped.catch(() => undefined);
        throw err;
      }
      return stopped;
    });
  }

  /** The next stop while running; the last one when already stopped (or exited). */
  waitForStop(timeoutMs?: number): Promise<StopReply> {
    if (this.state === 'closed') return Promise.reject(new GdbClosedError(this.closeReason));
    if (this.state === 'running' || !this.lastStop) return this.nextStop(timeoutMs);
    return Promise.resolve(this.lastStop);
  }

  /** Stops a running target with the 0x03 byte and resolves with its stop reply (QEMU: signal 2). */
  interrupt(timeoutMs = this.timeoutMs): Promise<StopReply> {
    if (this.state !== 'running') return this.waitForStop();
    const stopped = this.nextStop(timeoutMs);
    this.transport.sendInterrupt();
    return stopped;
  }

  // ---- QEMU extras and session end ----

  /** Runs a QEMU monitor (HMP) command through qRcmd and returns what it printed. */
  monitor(commandLine: string): Promise<string> {
    const request = `qRcmd,${toHex(Buffer.from(commandLine, 'utf8'))}`;
    return this.enqueue(async () => {
      const output: Buffer[] = [];
      expectOk(await this.exchange(request, this.timeoutMs, output), request);
      return Buffer.concat(output).toString('utf8');
    });
  }

  /** qqemu.sstepbits: the flag values QEMU accepts for Qqemu.sstep, e.g. { ENABLE: 1, NOIRQ: 2, NOTIMER: 4 }. */
  async singleStepBits(): Promise<Record<string, number>> {
    const bits: Record<string, number> = {};
    for (const item of (await this.query('qqemu.sstepbits')).split(',')) {
      const [name, value] = item.split('=');
      bits[name] = parseInt(value, 16);
    }
    return bits;
  }

  /** Qqemu.sstep: what a single step lets happen (interrupts, timers), from singleStepBits(). */
  setSingleStepFlags(flags: number): Promise<void> {
    return this.command(`Qqemu.sstep=${hexNumber(flags)}`);
  }

  /** D: lets the guest run on without the debugger, then closes the connection. */
  async detach(): Promise<void> {
    await this.command('D');
    this.end('GDB connection closed after detach');
  }

  /** Drops the connection without detaching (QEMU keeps the guest as it is). */
  close(): void {
    this.end('GDB connection closed by the client');
  }

  private end(reason: string): void {
    if (this.state !== 'closed') this.closeReason = reason;
    this.transport.destroy();
  }
}

/** Connects with a timeout, retrying ECONNREFUSED until `waitForListenerMs` has passed. */
async function openSocket(host: string, port: number, timeoutMs: number, waitForListenerMs: number): Promise<Socket> {
  const deadline = Date.now() + waitForListenerMs;
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const socket = netConnect({ host, port });
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new GdbTimeoutError(`could not connect to the GDB stub at ${host}:${port} within ${timeoutMs} ms`));
        }, timeoutMs);
        socket.once('connect', () => {
          clearTimeout(timer);
          socket.removeAllListeners('error');
          resolve(socket);
        });
        socket.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
    } catch (err) {
      const refused = (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
      if (!refused || Date.now() >= deadline) {
        throw refused ? new Error(`no GDB stub listens on ${host}:${port} (connection refused)`, { cause: err }) : err;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
