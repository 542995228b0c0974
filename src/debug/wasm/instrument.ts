// The instrumenter: a copy of the module that calls the debug probe at every function entry, exit and statement, and keeps the values of locals.
import { ByteReader, ByteWriter, encode } from './bytes';
import { LineTable } from './dwarfLine';
import { OP, opensBlock, readInstruction, type Instruction } from './instructions';
import { codeSectionStart, functionName, functionType, parseModule, SECTION, SECTION_ORDER, type FunctionBody, type WasmModule } from './module';
import { FrameSlots, localTypes, planSlots, reloadBody, VALUES_EXPORT, valuesMemoryType, type CaptureChoice, type ValueSlots } from './values';

/**
 * Rewrites a module for Wasm-level debugging: one imported probe function `(i32 site) -> (i32)` is
 * called at every function entry, every exit and every statement boundary, with a site number
 * the debugger looks up in the returned site table; the locals each function captures are kept
 * in value slots (values.ts). See docs/DEBUGGING.md.
 */

export const PROBE_MODULE = 'uniwasm:debug';
export const PROBE_FIELD = 'probe';

export type SiteKind = 'entry' | 'exit' | 'statement';

/**
 * The probe's argument encodes the kind in its low two bits, so the kernel keeps the shadow call
 * stack without a table: `site = index << 2 | kind`, with `index` the position in the site table.
 */
export const SITE_KIND_CODE: Record<SiteKind, number> = { entry: 0, exit: 1, statement: 2 };
/** The probe's argument for the stop an entry deferred until its parameters are stored: the entry site with kind 3. */
const ENTRY_STOP = 3;
/**
 * The probe's argument right after each `memory.grow`: no site (all bits set), it tells the kernel
 * to note where linear memory lies now, which a grow may have moved (the data breakpoints follow it).
 */
export const MEMORY_GROWN = -1;

export function siteIndex(site: number): number {
  return site >>> 2;
}

/** The export name under which the instrumented module exposes global N (for the kernel to read at a stop). */
export function globalExportName(index: number): string {
  return `${PROBE_MODULE}.global.${index}`;
}

export interface ProbeSite {
  /** The probe's argument: `index << 2 | kind code`. */
  site: number;
  /** Position in the site table (and bit in the kernel's breakpoint bitmap). */
  index: number;
  kind: SiteKind;
  /** Function index in the original module. */
  funcIndex: number;
  function: string;
  /**
   * Offset in the original module's code section payload (DWARF's address space): the body start
   * for an entry, the `return`/`return_call*`/final `end` for an exit, the instruction for a statement.
   */
  codeOffset: number;
  file?: string;
  line?: number;
  column?: number;
}

export interface InstrumentResult {
  module: Uint8Array;
  /** By index (`siteIndex(site)`). */
  sites: ProbeSite[];
  /** The probe's function index in the rewritten module. */
  probeFunction: number;
  /** How statement boundaries were chosen: DWARF line rows, or the call/block heuristic. */
  statements: 'dwarf' | 'structure';
  /** Original function index → index in the rewritten module. */
  remap(funcIndex: number): number;
  /** Where each function keeps the values of its captured locals. */
  values: ValueSlots;
}

export interface InstrumentOptions {
  /** The locals each function hands to the debugger (default: its first DEFAULT_CAPTURE_LIMIT numeric params and locals). */
  captureLocals?: CaptureChoice;
}

/** Known sections that follow the export section. */
const AFTER_EXPORTS = new Set<number>([SECTION.start, SECTION.element, SECTION.dataCount, SECTION.code, SECTION.data]);

/** Custom sections whose contents point at code offsets that instrumentation moves: dropped. */
const STALE_CUSTOM = /^(\.debug_|sourceMappingURL$|external_debug_info$)/;

export function instrument(bytes: Uint8Array, options: InstrumentOptions = {}): InstrumentResult {
  const module = parseModule(bytes);
  for (const section of module.sections) {
    if (section.name === 'linking' || section.name?.startsWith('reloc.')) {
      throw new Error('cannot instrument a relocatable object file (it has a linking section): link it first');
    }
  }
  if (module.imports.some((i) => i.module === PROBE_MODULE && i.field === PROBE_FIELD)) {
    throw new Error(`the module imports ${PROBE_MODULE}.${PROBE_FIELD} already: it is instrumented`);
  }
  const lines = LineTable.fromModule(module);
  const codeBase = codeSectionStart(module);
  const probe = module.importedFunctionCount;
  const remap = (f: number) => (f >= probe ? f + 1 : f);
  const types = module.types.map((t) => ({ params: [...t.params], results: [...t.results] }));
  const typeIndexOf = (params: number[], results: number[]): number => {
    const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);
    let index = types.findIndex((t) => same(t.params, params) && same(t.results, results));
    if (index < 0) index = types.push({ params, results }) - 1;
    return index;
  };
  const probeType = typeIndexOf([0x7f], [0x7f]);
  const values = planSlots(module, options.captureLocals);

  const sites: ProbeSite[] = [];
  const addSite = (kind: SiteKind, body: FunctionBody, fileOffset: number): number => {
    const codeOffset = fileOffset - codeBase;
    const row = lines?.lookup(codeOffset);
    const index = sites.length;
    const site: ProbeSite = {
      site: (index << 2) | SITE_KIND_CODE[kind], index, kind, funcIndex: body.funcIndex, function: functionName(module, body.funcIndex), codeOffset,
    };
    if (row) Object.assign(site, { file: row.file, line: row.line, column: row.column });
    sites.push(site);
    return site.site;
  };
  const statementAddresses = lines
    ? new Set(lines.rows.filter((r) => r.isStmt && !r.endSequence).map((r) => r.address + codeBase))
    : undefined;

  // Each capturing function gets a reloader, appended after the defined functions: (i32 row) -> its captured locals.
  const reloaders = module.bodies.filter((body) => values.captured.has(body.funcIndex)).map((body, i) => {
    const locals = values.captured.get(body.funcIndex)!;
    return { funcIndex: body.funcIndex, index: probe + 1 + module.bodies.length + i, type: typeIndexOf([0x7f], locals.map((l) => l.type)), body: reloadBody(values, locals) };
  });
  const reloaderOf = new Map(reloaders.map((r) => [r.funcIndex, r.index]));
  const bodies = module.bodies.map((body) => {
    const results = functionType(module, body.funcIndex).results;
    const blockType = results.length === 0 ? [0x40] : results.length === 1 ? results : encode((w) => w.s32(typeIndexOf([], results)));
    const types = localTypes(module, body);
    const slots = new FrameSlots(values, values.captured.get(body.funcIndex) ?? [], types.length, functionType(module, body.funcIndex).params.length, reloaderOf.get(body.funcIndex));
    return rewriteBody(module, body, { probe, remap, blockType, addSite, isStatement: statementChooser(body, statementAddresses), slots });
  });
  bodies.push(...reloaders.map((r) => encode((w) => w.u32(r.body.length).bytes(r.body))));

  const out = new ByteWriter().bytes(module.bytes.subarray(0, 8));
  const emit = (id: number, payload: Uint8Array) => out.byte(id).u32(payload.length).bytes(payload);
  const typeSection = () => encode((w) => {
    w.u32(types.length);
    for (const t of types) w.byte(0x60).u32(t.params.length).bytes(t.params).u32(t.results.length).bytes(t.results);
  });
  const probeImport = encode((w) => w.name(PROBE_MODULE).name(PROBE_FIELD).byte(0x00).u32(probeType));
  let wroteImports = module.sections.some((s) => s.id === SECTION.import);
  let wroteTypes = false;
  let wroteExports = false;
  let wroteMemory = values.memory === undefined;
  // Every global is exported too, so that the kernel can read them all at a stop (wasmi reads exported globals only); so is the value slots' memory.
  const exportSection = () => encode((w) => {
    w.u32(module.exports.length + module.globals.length + (values.memory === undefined ? 0 : 1));
    for (const e of module.exports) {
      w.name(e.name).byte(['func', 'table', 'memory', 'global', 'tag'].indexOf(e.kind)).u32(e.kind === 'func' ? remap(e.index) : e.index);
    }
    module.globals.forEach((_, i) => w.name(globalExportName(i)).byte(3).u32(i));
    if (values.memory !== undefined) w.name(VALUES_EXPORT).byte(2).u32(values.memory);
  });
  for (const section of module.sections) {
    // The value slots' memory joins the memory section, or makes one where it belongs.
    if (!wroteMemory && section.id !== SECTION.custom && SECTION_ORDER[section.id] > SECTION_ORDER[SECTION.memory]) {
      emit(SECTION.memory, encode((w) => { w.u32(1); valuesMemoryType(values, w); }));
      wroteMemory = true;
    }
    // The type and import sections must exist for the probe: create them where they belong when absent.
    if (!wroteTypes && section.id !== SECTION.custom && section.id !== SECTION.type) {
      emit(SECTION.type, typeSection());
      wroteTypes = true;
    }
    if (!wroteImports && section.id !== SECTION.custom && section.id > SECTION.import) {
      emit(SECTION.import, encode((w) => w.u32(1).bytes(probeImport)));
      wroteImports = true;
    }
    // The export section goes after globals (6) and before start (8), in the known-section order.
    if (!wroteExports && AFTER_EXPORTS.has(section.id)) {
      emit(SECTION.export, exportSection());
      wroteExports = true;
    }
    switch (section.id) {
      case SECTION.custom:
        // A name section we could not read cannot be re-indexed either: leave it out.
        if (section.name === 'name') {
          if (!module.warnings.length) emit(SECTION.custom, rewriteNames(module, section.start, section.end, probe, remap));
        }
        else if (!STALE_CUSTOM.test(section.name ?? '')) out.bytes(module.bytes.subarray(section.offset, section.end));
        break;
      case SECTION.type:
        emit(SECTION.type, typeSection());
        wroteTypes = true;
        break;
      case SECTION.import: {
        const r = new ByteReader(module.bytes, section.start, section.end);
        const count = r.u32();
        emit(SECTION.import, encode((w) => w.u32(count + 1).bytes(module.bytes.subarray(r.offset, section.end)).bytes(probeImport)));
        break;
      }
      case SECTION.memory: {
        const r = new ByteReader(module.bytes, section.start, section.end);
        const count = r.u32();
        emit(section.id, encode((w) => {
          w.u32(count + (wroteMemory ? 0 : 1)).bytes(module.bytes.subarray(r.offset, section.end));
          if (!wroteMemory) valuesMemoryType(values, w);
        }));
        wroteMemory = true;
        break;
      }
      case SECTION.function: {
        const r = new ByteReader(module.bytes, section.start, section.end);
        const count = r.u32();
        emit(section.id, encode((w) => {
          w.u32(count + reloaders.length).bytes(module.bytes.subarray(r.offset, section.end));
          for (const reloader of reloaders) w.u32(reloader.type);
        }));
        break;
      }
      case SECTION.global:
        emit(section.id, rewriteGlobals(module.bytes, section.start, section.end, remap));
        break;
      case SECTION.export:
        emit(section.id, exportSection());
        wroteExports = true;
        break;
      case SECTION.start:
        emit(section.id, encode((w) => w.u32(remap(module.start!))));
        break;
      case SECTION.element:
        emit(section.id, rewriteElements(module.bytes, section.start, section.end, remap));
        break;
      case SECTION.code:
        emit(section.id, encode((w) => w.vector(bodies)));
        break;
      default:
        out.bytes(module.bytes.subarray(section.offset, section.end));
    }
  }
  if (!wroteTypes) emit(SECTION.type, typeSection());
  if (!wroteImports) emit(SECTION.import, encode((w) => w.u32(1).bytes(probeImport)));
  if (!wroteMemory) emit(SECTION.memory, encode((w) => { w.u32(1); valuesMemoryType(values, w); }));
  if (!wroteExports) emit(SECTION.export, exportSection());
  return { module: out.toBytes(), sites, probeFunction: probe, statements: lines ? 'dwarf' : 'structure', remap, values };
}

/**
 * Which instructions of a body start a statement. With DWARF: those at an `is_stmt` line row.
 * Without: the first instruction, and each one that follows a call or a block boundary
 * (block, loop, if, else, end) — where a source statement usually begins — except `else`/`end`.
 */
function statementChooser(body: FunctionBody, dwarf: Set<number> | undefined): (index: number) => boolean {
  const ins = body.instructions;
  if (dwarf) return (i) => dwarf.has(ins[i].offset);
  const boundary = (op: number) => op === OP.call || op === OP.callIndirect || opensBlock(op) || op === OP.else || op === OP.end;
  return (i) => ins[i].opcode !== OP.end && ins[i].opcode !== OP.else && (i === 0 || boundary(ins[i - 1].opcode));
}

interface BodyContext {
  probe: number;
  remap: (f: number) => number;
  /** Block type of the wrapper block: the function's results. */
  blockType: ArrayLike<number>;
  addSite: (kind: SiteKind, body: FunctionBody, fileOffset: number) => number;
  isStatement: (index: number) => boolean;
  slots: FrameSlots;
}

/**
 * Entry probe, then the original body inside a block typed with the function's results, so that a
 * branch to the function's own label (br, br_if, br_table at the outermost depth) lands before the
 * exit probe. `return` and tail calls leave directly: each gets an exit probe of its own.
 * The entry stores the captured parameters before its deferred stop (`if … call probe(entry | 3)`),
 * each write of a captured local is followed by the store of its slot, and each `memory.grow` by
 * the probe's MEMORY_GROWN (the grow's result stays on the stack under it). After a statement's
 * or the entry's stop the function reloads its captured locals when the probe answers 1.
 */
function rewriteBody(module: WasmModule, body: FunctionBody, c: BodyContext): Uint8Array {
  const w = new ByteWriter();
  const callProbe = (site: number) => w.byte(OP.i32Const).s32(site).byte(OP.call).u32(c.probe);
  const probeStatement = (site: number) => callProbe(site).byte(OP.drop);
  // A statement's or an entry's stop answers 1 when the debugger changed a local of this frame: reload them.
  const probeStop = (site: number) => { callProbe(site); c.slots.afterStop(w); };
  if (c.slots.captures) {
    w.u32(body.locals.length + 1);
    for (const group of body.locals) w.u32(group.count).byte(group.type);
    w.u32(1).byte(0x7f);
  } else w.bytes(module.bytes.subarray(body.bodyStart, body.codeStart));
  const entry = c.addSite('entry', body, body.bodyStart);
  callProbe(entry);
  c.slots.enter(w);
  w.byte(OP.if).byte(0x40);
  probeStop(entry | ENTRY_STOP);
  w.byte(OP.end);
  w.byte(OP.block).bytes(c.blockType);
  const last = body.instructions.length - 1;
  body.instructions.forEach((ins, i) => {
    if (c.isStatement(i)) probeStop(c.addSite('statement', body, ins.offset));
    if (i === last) {
      w.byte(OP.end);
      probeStatement(c.addSite('exit', body, ins.offset));
      w.byte(OP.end);
      return;
    }
    if (ins.opcode === OP.return || ins.opcode === OP.returnCall || ins.opcode === OP.returnCallIndirect) {
      probeStatement(c.addSite('exit', body, ins.offset));
    }
    writeInstruction(w, module.bytes, ins, c.remap);
    if (ins.opcode === OP.localSet || ins.opcode === OP.localTee) c.slots.written(w, ins.localIndex!);
    if (ins.opcode === OP.memoryGrow) probeStatement(MEMORY_GROWN);
  });
  return encode((out) => out.u32(w.length).bytes(w.toBytes()));
}

/** Copies an instruction, re-encoding the function index of call, return_call and ref.func. */
function writeInstruction(w: ByteWriter, bytes: Uint8Array, ins: Instruction, remap: (f: number) => number): void {
  if (ins.funcIndex === undefined) w.bytes(bytes.subarray(ins.offset, ins.end));
  else w.byte(ins.opcode).u32(remap(ins.funcIndex));
}

/** A constant expression (global init, element offset or item) up to its `end`, re-indexed. */
function rewriteExpression(r: ByteReader, w: ByteWriter, remap: (f: number) => number): void {
  for (;;) {
    const ins = readInstruction(r);
    writeInstruction(w, r.bytes, ins, remap);
    if (ins.opcode === OP.end) return;
  }
}

function rewriteGlobals(bytes: Uint8Array, start: number, end: number, remap: (f: number) => number): Uint8Array {
  const r = new ByteReader(bytes, start, end);
  const w = new ByteWriter();
  const count = r.u32('global count');
  w.u32(count);
  for (let i = 0; i < count; i++) {
    w.bytes(r.bytesOf(2, 'global type'));
    rewriteExpression(r, w, remap);
  }
  return w.toBytes();
}

/** Element segments in all eight encodings (flags: bit 0 passive/declarative, bit 1 table index or declarative, bit 2 expressions). */
function rewriteElements(bytes: Uint8Array, start: number, end: number, remap: (f: number) => number): Uint8Array {
  const r = new ByteReader(bytes, start, end);
  const w = new ByteWriter();
  const count = r.u32('element segment count');
  w.u32(count);
  for (let i = 0; i < count; i++) {
    const flags = r.u32('element flags');
    if (flags > 7) r.fail(`bad element segment flags ${flags}`);
    w.u32(flags);
    const active = (flags & 1) === 0;
    const explicitTable = (flags & 2) !== 0;
    const expressions = (flags & 4) !== 0;
    if (active && explicitTable) w.u32(r.u32('table index'));
    if (active) rewriteExpression(r, w, remap);
    if (!active || explicitTable) w.byte(r.u8()); // elemkind (0x00 funcref) or reference type
    const items = r.u32('element count');
    w.u32(items);
    for (let j = 0; j < items; j++) {
      if (expressions) rewriteExpression(r, w, remap);
      else w.u32(remap(r.u32('function index')));
    }
  }
  return w.toBytes();
}

/** The name section with function indices shifted past the probe, which gets a name too. */
function rewriteNames(module: WasmModule, start: number, end: number, probe: number, remap: (f: number) => number): Uint8Array {
  const r = new ByteReader(module.bytes, start, end);
  const w = new ByteWriter().name('name');
  while (!r.atEnd) {
    const id = r.u8();
    const size = r.u32();
    const sub = new ByteReader(module.bytes, r.offset, r.offset + size);
    r.offset += size;
    let payload: Uint8Array;
    if (id === 1) {
      const names = [...module.names.functions].map(([f, name]) => [remap(f), name] as const);
      names.push([probe, `${PROBE_MODULE}.${PROBE_FIELD}`]);
      names.sort((a, b) => a[0] - b[0]);
      payload = encode((p) => {
        p.u32(names.length);
        for (const [f, name] of names) p.u32(f).name(name);
      });
    } else if (id === 2 || id === 3) {
      // Local names and label names: both are maps keyed by function index, each holding a name map.
      payload = encode((p) => {
        const count = sub.u32();
        p.u32(count);
        for (let i = 0; i < count; i++) {
          p.u32(remap(sub.u32()));
          const inner = sub.u32();
          p.u32(inner);
          for (let j = 0; j < inner; j++) p.u32(sub.u32()).name(sub.name());
        }
      });
    } else payload = module.bytes.subarray(sub.offset, sub.end);
    w.byte(id).u32(payload.length).bytes(payload);
  }
  return w.toBytes();
}
