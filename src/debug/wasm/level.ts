// The debugger's Wasm level: the instrumented app, the kernel's mailbox, and Wasm frames, scopes and breakpoints.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { GdbClient } from '../gdb/client';
import type { ElfSymbols } from '../kernel/elf';
import type { BreakpointAnswer, ExceptionInfo, Frame, Reference, Scope, StopReason, Variable, WasmScope } from '../model';
import {
  breakpointBitmap, decodeFrames, decodeMailbox, encodeStep, FRAME_SIZE, MAILBOX_SIZE, mailboxProblem, OFFSET, storedFrames, stopReason, trapName,
  type Mailbox, type MailboxFrame, type StepMode,
} from './mailbox';
import { WasmCode } from './code';
import { WasmWatchpoints } from './watch';
import { formatValue, valueTypeName, WasmProgram } from './program';
import { StopFrameAccess, type FrameAccess } from './frameAccess';
import { functionType } from './module';
import { localTypes, SLOT_SIZE, slotBits } from './values';
import { DwarfError, ExpressionError, render, toBytes, type TypedValue, type ValueNode } from './dwarf';
import { children, DWARF_SCOPES, DwarfFrame, note, StopRenders } from './variables';

/** Frame ids of Wasm frames start here; a kernel frame's id is its thread id. */
export const WASM_FRAME_BASE = 1_000_000;
/** The symbols the kernel must have (kernel/platform/src/debug.rs). */
const MAILBOX_SYMBOL = 'UNIWASM_DEBUG';
const TRAP_SYMBOL = 'uniwasm_debug_trap';
/** A memory reference into linear memory: `wasm:` + offset, resolved at the current stop. */
const LINEAR_MEMORY = /^wasm:(0x[0-9a-f]+|\d+)$/i;

export interface WasmBreakpoint {
  id: number;
  kind: 'function' | 'line' | 'instruction';
  /** Site indices (bits of the bitmap). */
  sites: number[];
}

/** What the debugger knows at a Wasm stop. */
export interface WasmStop {
  mailbox: Mailbox;
  /** The shadow stack, read on first use (outermost first). */
  frames?: MailboxFrame[];
  /** The globals' raw bits, read on first use. */
  globals?: bigint[];
  /** Per frame (depth index), its captured locals (local index → raw bits), or why it has none; read on first use. */
  locals?: Map<number, Map<number, bigint> | string>;
  /** A data breakpoint's stop: the guest is in the interpreter's access, not in the trap function. */
  watch?: boolean;
  /** The DWARF rows shown at this stop, kept until the guest resumes or the debugger writes memory. */
  renders?: StopRenders;
}

/**
 * The Wasm level (docs/DEBUGGING.md, "Wasm level"): the instrumented copy of the app, the kernel's
 * mailbox read and written through the GDB client, and what it holds as frames, scopes and
 * breakpoints. The debugger (debugger.ts) decides when; this decides what.
 */
export class WasmLevel {
  readonly trapAddress: bigint;
  private readonly mailboxAddress: bigint;
  /** The mailbox as the ready stop showed it (bitmap, frames and globals addresses); undefined before. */
  private layout: Mailbox | undefined;
  private functionBreakpoints: WasmBreakpoint[] = [];
  private readonly lineBreakpoints = new Map<string, WasmBreakpoint[]>();
  private instructionBreakpoints: WasmBreakpoint[] = [];
  /** Set at a Wasm stop, cleared when the guest resumes. */
  stop: WasmStop | undefined;
  /** The module's code for the Disassembly view. */
  readonly code: WasmCode;
  /** Data breakpoints on linear memory. */
  readonly watchpoints: WasmWatchpoints;

  constructor(
    readonly program: WasmProgram,
    symbols: ElfSymbols,
    /** Where the app was built: DWARF paths relative to the compilation directory resolve here. */
    private readonly sourceRoot: string,
  ) {
    const find = (name: string) => symbols.symbols.find((s) => s.raw === name)?.address;
    const mailbox = find(MAILBOX_SYMBOL);
    const trap = find(TRAP_SYMBOL);
    if (mailbox === undefined || trap === undefined) {
      throw new Error(`the kernel has no ${MAILBOX_SYMBOL}/${TRAP_SYMBOL} symbols: it is too old for Wasm debugging (rebuild it)`);
    }
    this.mailboxAddress = mailbox;
    this.trapAddress = trap;
    this.watchpoints = new WasmWatchpoints(mailbox + BigInt(OFFSET.memoryBase));
    this.code = new WasmCode(program, (file) => this.sourcePath(file));
  }

  /**
   * Instruments the built module and writes the copy to `<dir>/<name>.debug.wasm`, the module to
   * boot with `wasm_debug=<site count>` (kernelArgument()).
   */
  static prepare(wasmPath: string, dir: string, name: string): { program: WasmProgram; path: string } {
    const program = new WasmProgram(readFileSync(wasmPath));
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${name}.debug.wasm`);
    writeFileSync(path, program.instrumented);
    return { program, path };
  }

  /**
   * A DWARF file path as the editor can open it. The line table's paths are relative to the
   * compilation directory (in .debug_info, which this adapter does not read): the app's build runs
   * in its folder, so a relative path that exists there is taken from there.
   */
  sourcePath(file: string): string {
    if (isAbsolute(file)) return file;
    const inRoot = resolve(this.sourceRoot, file);
    return existsSync(inRoot) ? inRoot : file;
  }

  static kernelArgument(program: WasmProgram): string {
    return `wasm_debug=${program.sites.length}`;
  }

  /** One hardware breakpoint on the trap function serves every Wasm stop. */
  install(client: GdbClient): Promise<void> {
    return client.setBreakpoint(this.trapAddress, 'hardware');
  }

  async read(client: GdbClient): Promise<Mailbox> {
    return decodeMailbox(await client.readMemory(this.mailboxAddress, MAILBOX_SIZE));
  }

  /**
   * The kernel's "ready" stop, before any Wasm runs: checks the mailbox, writes the breakpoints,
   * and the step mode that makes the first probe stop when `stopAtFirst`.
   */
  async ready(client: GdbClient, mailbox: Mailbox, stopAtFirst: boolean): Promise<void> {
    const problem = mailboxProblem(mailbox, this.program.sites.length);
    if (problem) throw new Error(problem);
    this.layout = mailbox;
    await this.writeBitmap(client);
    await this.setStep(client, stopAtFirst ? 'into' : 'run', 0);
  }

  get isReady(): boolean {
    return this.layout !== undefined;
  }

  /** Writes the breakpoint bitmap; before the ready stop there is none yet, and ready() writes it. */
  async writeBitmap(client: GdbClient): Promise<void> {
    if (!this.layout) return;
    await client.writeMemory(this.layout.breakpoints, breakpointBitmap(this.layout.siteCount, this.allBreakpoints().flatMap((b) => b.sites)));
  }

  setStep(client: GdbClient, mode: StepMode, depth: number): Promise<void> {
    return client.writeMemory(this.mailboxAddress + BigInt(OFFSET.stepMode), encodeStep(mode, depth));
  }

  // ---- breakpoints ----

  /**
   * Function breakpoints on Wasm functions, by export or `name` section name. Answers each request
   * that names one, in order; undefined leaves a name to the kernel level.
   */
  setFunctionBreakpoints(requests: { id: number; name: string }[]): (BreakpointAnswer | undefined)[] {
    this.functionBreakpoints = [];
    return requests.map(({ id, name }) => {
      const sites = this.program.functionsNamed(name).map((f) => this.program.entrySite(f)!);
      if (!sites.length) return undefined;
      this.functionBreakpoints.push({ id, kind: 'function', sites: sites.map((s) => s.index) });
      const where = sites.map((s) => `${this.program.functionName(s.funcIndex)} (func[${s.funcIndex}])`).join(', ');
      const first = this.program.location(sites[0]);
      return { id, verified: true, message: `Wasm ${where}`, line: first.line || undefined, source: first.file ? { path: this.sourcePath(first.file) } : undefined };
    });
  }

  /** Line breakpoints of one source file, through DWARF; unverified with a reason without it. */
  setLineBreakpoints(path: string, lines: { id: number; line: number }[]): BreakpointAnswer[] {
    const list: WasmBreakpoint[] = [];
    const answers = lines.map(({ id, line }): BreakpointAnswer => {
      if (!this.program.lines) {
        return { id, verified: false, message: 'the module has no DWARF line table (build it with -g): use a function breakpoint' };
      }
      const found = this.program.statementsAt(path, line);
      if (!found) return { id, verified: false, message: `no Wasm code at or after line ${line} of ${path}` };
      list.push({ id, kind: 'line', sites: found.sites.map((s) => s.index) });
      return { id, verified: true, line: found.line, source: { path } };
    });
    this.lineBreakpoints.set(path, list);
    return answers;
  }

  /**
   * Instruction breakpoints of the Disassembly view on `wasm-code:` references: they stop at the
   * probe sites of that instruction (a statement's first instruction, a function's first, a
   * `return` or final `end`). Answers each request in order; undefined leaves a reference to the kernel level.
   */
  setInstructionBreakpoints(requests: { id: number; instructionReference: string; offset?: number }[]): (BreakpointAnswer | undefined)[] {
    this.instructionBreakpoints = [];
    return requests.map(({ id, instructionReference, offset }) => {
      const at = WasmCode.offsetOf(instructionReference, offset);
      if (at === undefined) return undefined;
      const sites = this.code.sitesAt(at);
      const reference = `wasm-code:0x${at.toString(16)}`;
      if (!sites.length) {
        return { id, verified: false, instructionReference: reference, message: 'no probe here: Wasm instruction breakpoints stop at the first instruction of a statement or function' };
      }
      this.instructionBreakpoints.push({ id, kind: 'instruction', sites: sites.map((s) => s.index) });
      const where = this.program.location(sites[0]);
      return { id, verified: true, instructionReference: reference, message: `Wasm ${where.name}`, line: where.line || undefined, source: where.file ? { path: this.sourcePath(where.file) } : undefined };
    });
  }

  private allBreakpoints(): WasmBreakpoint[] {
    return [...this.functionBreakpoints, ...[...this.lineBreakpoints.values()].flat(), ...this.instructionBreakpoints];
  }

  /** The breakpoints at a site index (what a breakpoint stop hit). */
  hit(siteIndex: number): WasmBreakpoint[] {
    return this.allBreakpoints().filter((b) => b.sites.includes(siteIndex));
  }

  // ---- a stop ----

  /** The reason, the breakpoints hit and the trap's name of the current stop. */
  describeStop(stop: WasmStop): { reason: StopReason; hit: number[]; text?: string } {
    const m = stop.mailbox;
    const site = this.program.site(m.currentSite);
    switch (stopReason(m)) {
      case 'breakpoint': {
        const hit = site ? this.hit(site.index) : [];
        const reason = hit.some((b) => b.kind === 'function') ? 'function breakpoint' : hit.some((b) => b.kind === 'instruction') ? 'instruction breakpoint' : 'breakpoint';
        return { reason, hit: hit.map((b) => b.id) };
      }
      case 'pause': return { reason: 'pause', hit: [] };
      case 'trap': return { reason: 'exception', hit: [], text: trapName(m.trapCode) };
      default: return { reason: 'step', hit: [] };
    }
  }

  async frames(client: GdbClient, stop: WasmStop): Promise<MailboxFrame[]> {
    const count = storedFrames(stop.mailbox);
    stop.frames ??= count ? decodeFrames(await client.readMemory(stop.mailbox.frames, count * FRAME_SIZE)) : [];
    return stop.frames;
  }

  /** Wasm frames innermost first; frame ids are WASM_FRAME_BASE + depth index (0 = outermost). */
  async stackFrames(client: GdbClient, stop: WasmStop): Promise<Frame[]> {
    const frames = await this.frames(client, stop);
    const out: Frame[] = [];
    for (let depth = frames.length - 1; depth >= 0; depth--) {
      const site = this.program.site(frames[depth].site) ?? this.program.site(frames[depth].entrySite);
      if (!site) {
        out.push({ id: WASM_FRAME_BASE + depth, name: `<probe site 0x${frames[depth].site.toString(16)}>`, line: 0, column: 0 });
        continue;
      }
      const where = this.program.location(site);
      // A caller points at its call of the frame above (for the Disassembly view).
      const callee = depth + 1 < frames.length ? this.program.site(frames[depth + 1].entrySite)?.funcIndex : undefined;
      out.push({
        id: WASM_FRAME_BASE + depth,
        name: where.name,
        source: where.file ? { path: this.sourcePath(where.file) } : undefined,
        line: where.line,
        column: where.column,
        instructionPointerReference: callee === undefined ? this.code.reference(site.codeOffset) : this.code.callReference(site.codeOffset, callee),
        presentationHint: 'normal',
      });
    }
    if (stop.mailbox.depth > frames.length) {
      out.push({ id: WASM_FRAME_BASE - 1, name: `… ${stop.mailbox.depth - frames.length} deeper frames not recorded`, line: 0, column: 0, presentationHint: 'label' });
    }
    return out;
  }

  /** The C variables (DWARF) first, then the frame's Wasm view: its locals, where it is, the Wasm globals, linear memory. */
  scopes(frameId: number, reference: (scope: WasmScope) => number): Scope[] {
    const depth = frameId - WASM_FRAME_BASE;
    return [
      ...DWARF_SCOPES.map(({ name, which }) => ({ name, variablesReference: reference({ kind: 'dwarfScope', depth, which }), expensive: false })),
      { name: 'Locals (Wasm)', variablesReference: reference({ kind: 'wasmLocals', depth }), expensive: false },
      { name: 'Frame', variablesReference: reference({ kind: 'wasmFrame', depth }), expensive: false },
      { name: 'Globals (Wasm)', variablesReference: reference({ kind: 'wasmGlobals' }), expensive: false },
      { name: 'Memory', variablesReference: reference({ kind: 'wasmMemory' }), expensive: false },
    ];
  }

  async variables(client: GdbClient, stop: WasmStop, scope: WasmScope, reference: Reference, page: { start?: number; count?: number } = {}): Promise<Variable[]> {
    const m = stop.mailbox;
    const plain = (name: string, value: string, extra: Partial<Variable> = {}): Variable => ({ name, value, variablesReference: 0, ...extra });
    switch (scope.kind) {
      case 'dwarfScope': {
        const frame = await this.dwarfFrame(client, stop, scope.depth);
        return typeof frame === 'string' ? [note(frame)] : frame.variables(scope.which, reference);
      }
      case 'dwarfValue':
        return children(scope, reference, renders(stop), page.start, page.count);
      case 'wasmGlobals': {
        const bits = await this.globals(client, stop);
        return this.program.module.globals.slice(0, bits.length).map((g, i) =>
          plain(this.program.globalName(i), formatValue(g.type, bits[i]), { type: `${g.mutable ? 'mut ' : ''}${valueTypeName(g.type)}` }));
      }
      case 'wasmLocals': {
        const frame = (await this.frames(client, stop))[scope.depth];
        const site = frame && this.program.site(frame.entrySite);
        const values = await this.locals(client, stop, scope.depth);
        if (!site || typeof values === 'string') return [plain('(unavailable)', typeof values === 'string' ? values : 'no frame here')];
        const params = functionType(this.program.module, site.funcIndex).params.length;
        const shown = this.program.capturedLocals(site.funcIndex).map((l) =>
          plain(this.program.localName(site.funcIndex, l.index), formatValue(l.type, values.get(l.index)!), {
            type: `${l.index < params ? 'param ' : ''}${valueTypeName(l.type)}`,
          }));
        const total = localTypes(this.program.module, this.program.module.bodies[site.funcIndex - this.program.module.importedFunctionCount]).length;
        if (total > shown.length) shown.push(plain('(not captured)', `${total - shown.length} more locals (vectors, references, or past the capture limit)`));
        return shown;
      }
      case 'wasmMemory':
        return [
          plain('linear memory', `${m.memorySize} bytes (${m.memorySize / 65536n} pages)`, { memoryReference: 'wasm:0' }),
          plain('kernel address', `0x${m.memoryBase.toString(16)}`, { memoryReference: `0x${m.memoryBase.toString(16)}` }),
        ];
      case 'wasmFrame': {
        const frame = (await this.frames(client, stop))[scope.depth];
        const site = frame && this.program.site(frame.site);
        if (!site) return [];
        const where = this.program.location(site);
        return [
          plain('function', `${this.program.functionName(site.funcIndex)} (func[${site.funcIndex}])`),
          plain('location', where.file ? `${this.sourcePath(where.file)}:${where.line}:${where.column}` : where.name),
          plain('code offset', `0x${site.codeOffset.toString(16)}`),
          plain('probe', `${site.kind} site ${site.index}`),
          plain('depth', String(scope.depth + 1)),
        ];
      }
    }
  }

  /**
   * A memory reference into linear memory (`wasm:OFFSET`, from the Memory scope) as a kernel
   * address, with how many of `count` bytes lie inside the memory; undefined for other references.
   */
  linearMemory(reference: string, offset: number, count: number): { address: bigint; inside: number; wasmOffset: bigint } | undefined {
    const match = LINEAR_MEMORY.exec(reference.trim());
    if (!match) return undefined;
    const m = this.stop?.mailbox;
    if (!m) throw new Error('linear memory can only be read at a Wasm stop');
    return inLinearMemory(m, BigInt(match[1]) + BigInt(offset), count);
  }

  /**
   * Frame `depth` (0 = outermost) of a stop as the DWARF renderer reads it: its captured locals
   * from the value slots, the globals, and linear memory through the gdbstub (fewer bytes past its end).
   */
  async frameAccess(client: GdbClient, stop: WasmStop, depth: number): Promise<FrameAccess> {
    const locals = await this.locals(client, stop, depth);
    return new StopFrameAccess(typeof locals === 'string' ? new Map() : locals, await this.globals(client, stop), async (address, length) => {
      const at = inLinearMemory(stop.mailbox, address, length);
      return at.inside ? client.readMemory(at.address, at.inside) : new Uint8Array(0);
    });
  }

  private async globals(client: GdbClient, stop: WasmStop): Promise<bigint[]> {
    const count = Math.min(stop.mailbox.globalCount, this.program.module.globals.length);
    if (!stop.globals) {
      const bytes = count ? await client.readMemory(stop.mailbox.globals, count * 8) : Buffer.alloc(0);
      stop.globals = Array.from({ length: count }, (_, i) => bytes.readBigUInt64LE(i * 8));
    }
    return stop.globals;
  }

  /**
   * Frame `depth` (0 = outermost) as the DWARF module sees it, at its current site (a caller: its
   * call), or why its variables cannot be shown.
   */
  dwarfFrame(client: GdbClient, stop: WasmStop, depth: number): Promise<DwarfFrame | string> {
    return renders(stop).frame(depth, () => this.newDwarfFrame(client, stop, depth));
  }

  private async newDwarfFrame(client: GdbClient, stop: WasmStop, depth: number): Promise<DwarfFrame | string> {
    const info = this.program.dwarf;
    if (typeof info === 'string') return info;
    const frame = (await this.frames(client, stop))[depth];
    const site = frame && (this.program.site(frame.site) ?? this.program.site(frame.entrySite));
    if (!site) return 'no Wasm frame at this depth';
    try {
      return new DwarfFrame(info, depth, site.codeOffset, await this.frameAccess(client, stop, depth));
    } catch (err) {
      if (err instanceof DwarfError) return err.message;
      throw err;
    }
  }

  /** A row of a DWARF scope or of an expanded value, by its name, with its frame. */
  async dwarfNode(client: GdbClient, stop: WasmStop, container: WasmScope, name: string): Promise<{ frame: DwarfFrame; node: ValueNode }> {
    if (container.kind !== 'dwarfScope' && container.kind !== 'dwarfValue') throw new Error(`${name} is not a variable of the program`);
    const frame = await this.dwarfFrame(client, stop, container.depth);
    if (typeof frame === 'string') throw new Error(frame);
    const nodes = container.kind === 'dwarfScope' ? await frame.nodes(container.which) : await renders(stop).childrenOf(container.node);
    const node = nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no variable ${name} here`);
    return { frame, node };
  }

  /**
   * Sets a C variable (a scalar or pointer) to the value of expression `text`, through
   * linear memory; answers the value as shown after.
   */
  async setDwarfVariable(client: GdbClient, stop: WasmStop, container: WasmScope, name: string, text: string): Promise<string> {
    const { frame, node } = await this.dwarfNode(client, stop, container, name);
    return this.assign(client, stop, frame, node.object, name, text);
  }

  /** setExpression: what C expression `target` designates in Wasm frame `depth` takes the value of `text`. */
  async setDwarfExpression(client: GdbClient, stop: WasmStop, depth: number, target: string, text: string): Promise<string> {
    const frame = await this.dwarfFrame(client, stop, depth);
    if (typeof frame === 'string') throw new Error(frame);
    return this.assign(client, stop, frame, await expression(() => frame.object(target)), target, text);
  }

  private async assign(client: GdbClient, stop: WasmStop, frame: DwarfFrame, target: TypedValue, name: string, text: string): Promise<string> {
    const write = await expression(() => frame.assignment(target, text));
    if (write.kind === 'memory') {
      await this.writeLinearMemory(client, write.address, write.bytes);
      return (await render(name, target, frame.access)).value;
    }
    await this.writeLocal(client, stop, frame.depth, name, write.index, write.value);
    // Read back from the slot: the same bytes the variable had, now holding the local's new value.
    const access = await this.frameAccess(client, stop, frame.depth);
    const size = target.place.kind === 'bytes' ? target.place.bytes.length : 0;
    return (await render(name, { type: target.type, place: { kind: 'bytes', bytes: toBytes(access.local(write.index)!, size), local: write.index } }, access)).value;
  }

  /**
   * Sets Wasm local `index` of frame `depth` (mailbox v4): its value slot takes the new bits and
   * `locals_written` is set, so that when the stop ends the probe answers 1 and the function
   * reloads its captured locals from their slots. Only the frame the stop is in reloads: a
   * caller reads its locals again only after its callee returns, and no probe tells it then.
   */
  private async writeLocal(client: GdbClient, stop: WasmStop, depth: number, name: string, index: number, value: bigint): Promise<void> {
    const m = stop.mailbox;
    const frames = await this.frames(client, stop);
    const site = frames[depth] && this.program.site(frames[depth].site);
    const why = localWriteProblem(m, stop, depth, frames.length, site?.kind);
    if (why) throw new Error(`${name} lives in Wasm local ${index} ${why}`);
    const captured = this.program.capturedLocals(this.program.site(frames[depth].entrySite)!.funcIndex);
    const slot = captured.findIndex((l) => l.index === index);
    if (slot < 0) throw new Error(`${name} lives in Wasm local ${index}, which this function does not capture: it cannot be changed`);
    const width = slotBits(captured[slot].type);
    const bits = Buffer.alloc(SLOT_SIZE);
    bits.writeBigUInt64LE(BigInt.asUintN(width, value));
    await client.writeMemory(m.values + BigInt(depth * this.program.values.rowSize + slot * SLOT_SIZE), bits.subarray(0, width / 8));
    await client.writeMemory(this.mailboxAddress + BigInt(OFFSET.localsWritten), Buffer.from([1, 0, 0, 0]));
    stop.locals?.delete(depth);
    this.memoryWritten();
  }

  /** Writes bytes into linear memory at an app address. */
  async writeLinearMemory(client: GdbClient, address: number, bytes: Uint8Array): Promise<void> {
    const m = this.stop?.mailbox;
    if (!m) throw new Error('linear memory can only be written at a Wasm stop');
    const at = inLinearMemory(m, BigInt(address), bytes.length);
    if (at.inside < bytes.length) throw new Error(`0x${address.toString(16)} (${bytes.length} bytes) lies past the end of linear memory`);
    await client.writeMemory(at.address, Buffer.from(bytes));
    this.memoryWritten();
  }

  /** The debugger wrote guest memory: the values shown at this stop are read again. */
  memoryWritten(): void {
    if (this.stop) this.stop.renders = undefined;
  }

  /** The captured locals of frame `depth` (local index → raw bits), read from its row of value slots, or why there are none. */
  private async locals(client: GdbClient, stop: WasmStop, depth: number): Promise<Map<number, bigint> | string> {
    stop.locals ??= new Map();
    let found = stop.locals.get(depth);
    if (found === undefined) {
      found = await this.readLocals(client, stop, depth);
      stop.locals.set(depth, found);
    }
    return found;
  }

  private async readLocals(client: GdbClient, stop: WasmStop, depth: number): Promise<Map<number, bigint> | string> {
    const m = stop.mailbox;
    const frame = (await this.frames(client, stop))[depth];
    const site = frame && this.program.site(frame.entrySite);
    if (!site) return 'no Wasm frame at this depth';
    const captured = this.program.capturedLocals(site.funcIndex);
    if (!captured.length) return `${this.program.functionName(site.funcIndex)} captures no locals (none numeric, or none chosen)`;
    const { rowSize } = this.program.values;
    const end = BigInt((depth + 1) * rowSize);
    if (m.values === 0n || m.valuesSize < end) return `the kernel shows no value slots for this frame (${m.valuesSize} bytes at 0x${m.values.toString(16)})`;
    const row = await client.readMemory(m.values + BigInt(depth * rowSize), captured.length * SLOT_SIZE);
    // i32 and f32 slots were written with 4-byte stores; the upper half is the zero of the row's fill.
    return new Map(captured.map((l, slot) => [l.index, BigInt.asUintN(slotBits(l.type), row.readBigUInt64LE(slot * SLOT_SIZE))]));
  }

  exceptionInfo(): ExceptionInfo | undefined {
    const m = this.stop?.mailbox;
    if (!m || stopReason(m) !== 'trap') return undefined;
    const site = this.program.site(m.currentSite);
    const where = site ? ` after ${this.program.location(site).name}` : '';
    return { exceptionId: trapName(m.trapCode), description: `Wasm trap: ${trapName(m.trapCode)}${where}`, breakMode: 'always' };
  }
}

/**
 * Why a Wasm local of frame `depth` (0 = outermost) cannot be set at this stop, as the end of a
 * sentence naming it; undefined when it can: the frame must be the one the probe stopped in, at a
 * statement or its entry (the function goes on and reloads its locals), stored in the shadow stack.
 */
function localWriteProblem(m: Mailbox, stop: WasmStop, depth: number, stored: number, kind: string | undefined): string | undefined {
  if (stopReason(m) === 'trap') return 'of a function that trapped: it does not go on';
  if (stop.watch) return 'and the stop is a data breakpoint\'s, inside an instruction: step to a statement first';
  if (depth < stored - 1) return 'of a caller\'s frame: set it when that frame is on top';
  if (m.depth > m.frameCapacity) return `of a frame deeper than the ${m.frameCapacity} that have value slots of their own`;
  if (kind === 'exit') return 'and the function is returning: its locals are no longer read';
  return undefined;
}

/** The stop's StopRenders, made on first use. */
function renders(stop: WasmStop): StopRenders {
  return (stop.renders ??= new StopRenders());
}

/** The job's answer; its ExpressionError as a plain error with the short message. */
async function expression<T>(job: () => Promise<T>): Promise<T> {
  try {
    return await job();
  } catch (err) {
    if (err instanceof ExpressionError) throw new Error(err.message);
    throw err;
  }
}

/** A range of linear memory as a kernel address, with how many of its `count` bytes lie inside the memory. */
function inLinearMemory(m: Mailbox, wasmOffset: bigint, count: number): { address: bigint; inside: number; wasmOffset: bigint } {
  const left = m.memorySize > wasmOffset ? m.memorySize - wasmOffset : 0n;
  return { address: m.memoryBase + wasmOffset, inside: Number(left < BigInt(count) ? left : BigInt(count)), wasmOffset };
}
