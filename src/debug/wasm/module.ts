// A reader for the Wasm binary format: the structure the debugger needs, with file offsets kept.
import { ByteReader, WasmFormatError } from './bytes';
import { OP, opensBlock, readInstruction, type Instruction } from './instructions';

export type ExternalKind = 'func' | 'table' | 'memory' | 'global' | 'tag';
const EXTERNAL_KINDS: ExternalKind[] = ['func', 'table', 'memory', 'global', 'tag'];

export const SECTION = {
  custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7, start: 8, element: 9, code: 10,
  data: 11, dataCount: 12, tag: 13,
} as const;

/** Known sections in their required order (the data count comes before code, tags after memory). */
export const SECTION_ORDER: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };

export interface WasmSection {
  id: number;
  /** A custom section's name. */
  name?: string;
  /** File offset of the section id byte. */
  offset: number;
  /** File offset of the payload (after the size; for custom sections, after the name too). */
  start: number;
  /** File offset just past the section. */
  end: number;
}

/** Value types as their encoding byte (0x7f i32, 0x7e i64, 0x7d f32, 0x7c f64, 0x7b v128, 0x70 funcref, 0x6f externref). */
export interface FuncType {
  params: number[];
  results: number[];
}

export interface WasmImport {
  module: string;
  field: string;
  kind: ExternalKind;
  /** For function imports. */
  typeIndex?: number;
}

export interface WasmExport {
  name: string;
  kind: ExternalKind;
  index: number;
}

export interface FunctionBody {
  /** The function's index (imports first). */
  funcIndex: number;
  typeIndex: number;
  /** File offset of the body's size field. */
  offset: number;
  /** File offset of the locals declaration (right after the size): DWARF's function start. */
  bodyStart: number;
  /** File offset of the first instruction. */
  codeStart: number;
  /** File offset just past the final `end`. */
  end: number;
  locals: { count: number; type: number }[];
  instructions: Instruction[];
}

export interface WasmGlobal {
  /** Value type byte. */
  type: number;
  mutable: boolean;
  imported: boolean;
}

export interface NameSection {
  moduleName?: string;
  functions: Map<number, string>;
  /** Function index → local index → name. */
  locals: Map<number, Map<number, string>>;
  /** Global index → name (the extended name section's subsection 7, which wasm-ld writes). */
  globals: Map<number, string>;
}

export interface WasmModule {
  bytes: Uint8Array;
  sections: WasmSection[];
  types: FuncType[];
  imports: WasmImport[];
  importedFunctionCount: number;
  /** Type index of each defined function, in order. */
  functionTypes: number[];
  exports: WasmExport[];
  /** Every global, imported ones first (the global index space). */
  globals: WasmGlobal[];
  start?: number;
  bodies: FunctionBody[];
  names: NameSection;
  /** Problems in optional parts (the name section) that did not stop the read. */
  warnings: string[];
}

/** The code section's payload start: DWARF code offsets in Wasm count from there. */
export function codeSectionStart(module: WasmModule): number {
  const code = module.sections.find((s) => s.id === SECTION.code);
  if (!code) throw new Error('the module has no code section');
  return code.start;
}

export function customSection(module: WasmModule, name: string): Uint8Array | undefined {
  const section = module.sections.find((s) => s.id === SECTION.custom && s.name === name);
  return section && module.bytes.subarray(section.start, section.end);
}

export function functionType(module: WasmModule, funcIndex: number): FuncType {
  const typeIndex = funcIndex < module.importedFunctionCount
    ? module.imports.filter((i) => i.kind === 'func')[funcIndex].typeIndex!
    : module.functionTypes[funcIndex - module.importedFunctionCount];
  const type = module.types[typeIndex];
  if (!type) throw new Error(`function ${funcIndex} has no type ${typeIndex}`);
  return type;
}

/**
 * A display name for a function: the name section's, else an export's, else `func[N]`.
 */
export function functionName(module: WasmModule, funcIndex: number): string {
  return module.names.functions.get(funcIndex)
    ?? module.exports.find((e) => e.kind === 'func' && e.index === funcIndex)?.name
    ?? `func[${funcIndex}]`;
}

export function parseModule(bytes: Uint8Array): WasmModule {
  const r = new ByteReader(bytes);
  if (bytes.length < 8 || r.u32le() !== 0x6d736100) throw new WasmFormatError('not a Wasm module (bad magic)', 0);
  const version = r.u32le();
  if (version !== 1) throw new WasmFormatError(`unsupported Wasm version ${version} (components are not modules)`, 4);
  const module: WasmModule = {
    bytes, sections: [], types: [], imports: [], importedFunctionCount: 0, functionTypes: [], exports: [], globals: [], bodies: [],
    names: { functions: new Map(), locals: new Map(), globals: new Map() }, warnings: [],
  };
  let lastOrder = 0;
  while (!r.atEnd) {
    const offset = r.offset;
    const id = r.u8('section id');
    const size = r.u32('section size');
    const start = r.offset;
    const end = start + size;
    if (end > bytes.length) r.fail(`section ${id} runs past the end of the module (size ${size})`, offset);
    const section: WasmSection = { id, offset, start, end };
    const s = new ByteReader(bytes, start, end);
    if (id === SECTION.custom) {
      section.name = s.name();
      section.start = s.offset;
    } else {
      const order = SECTION_ORDER[id];
      if (order === undefined) r.fail(`unknown section id ${id}`, offset);
      if (order <= lastOrder) r.fail(`section ${id} out of order or repeated`, offset);
      lastOrder = order;
      readSection(module, id, s);
      if (s.offset !== end) s.fail(`section ${id} has ${end - s.offset} bytes left over`);
    }
    module.sections.push(section);
    r.offset = end;
  }
  if (module.bodies.length !== module.functionTypes.length) {
    throw new WasmFormatError(`${module.functionTypes.length} functions declared but ${module.bodies.length} bodies`, bytes.length);
  }
  const names = module.sections.find((s) => s.id === SECTION.custom && s.name === 'name');
  if (names) {
    try {
      module.names = readNames(new ByteReader(bytes, names.start, names.end));
    } catch (err) {
      // Engines ignore a bad name section; so do we, but say so.
      module.warnings.push(`name section ignored: ${(err as Error).message}`);
    }
  }
  return module;
}

function vec<T>(r: ByteReader, item: () => T, what: string): T[] {
  const count = r.u32(`${what} count`);
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(item());
  return out;
}

function readSection(m: WasmModule, id: number, r: ByteReader): void {
  switch (id) {
    case SECTION.type:
      m.types = vec(r, () => {
        const form = r.u8();
        if (form !== 0x60) r.fail(`type form 0x${form.toString(16)} is not a function type`, r.offset - 1);
        const params = Array.from(r.bytesOf(r.u32('param count'), 'params'));
        const results = Array.from(r.bytesOf(r.u32('result count'), 'results'));
        return { params, results };
      }, 'type');
      break;
    case SECTION.import:
      m.imports = vec(r, () => {
        const module = r.name();
        const field = r.name();
        const kindByte = r.u8();
        const kind = EXTERNAL_KINDS[kindByte];
        if (!kind) r.fail(`bad import kind ${kindByte}`, r.offset - 1);
        const imp: WasmImport = { module, field, kind };
        if (kind === 'func') imp.typeIndex = r.u32('type index');
        else if (kind === 'table') {
          r.u8();
          limits(r);
        } else if (kind === 'memory') limits(r);
        else if (kind === 'global') m.globals.push({ type: r.u8(), mutable: r.u8() === 1, imported: true });
        else {
          r.u8(); // tag attribute
          r.u32('tag type');
        }
        return imp;
      }, 'import');
      m.importedFunctionCount = m.imports.filter((i) => i.kind === 'func').length;
      break;
    case SECTION.function:
      m.functionTypes = vec(r, () => r.u32('type index'), 'function');
      break;
    case SECTION.global:
      m.globals.push(...vec(r, () => {
        const global = { type: r.u8(), mutable: r.u8() === 1, imported: false };
        // The initializer: a constant expression up to its end.
        while (readInstruction(r).opcode !== OP.end);
        return global;
      }, 'global'));
      break;
    case SECTION.export:
      m.exports = vec(r, () => {
        const name = r.name();
        const kindByte = r.u8();
        const kind = EXTERNAL_KINDS[kindByte];
        if (!kind) r.fail(`bad export kind ${kindByte}`, r.offset - 1);
        return { name, kind, index: r.u32('export index') };
      }, 'export');
      break;
    case SECTION.start:
      m.start = r.u32('start function');
      break;
    case SECTION.code: {
      const count = r.u32('body count');
      if (count !== m.functionTypes.length) r.fail(`${count} bodies for ${m.functionTypes.length} declared functions`);
      for (let i = 0; i < count; i++) m.bodies.push(readBody(r, m.importedFunctionCount + i, m.functionTypes[i]));
      break;
    }
    default:
      // Tables, memories, elements, data, tags: their contents do not matter to reading; the instrumenter re-reads what it rewrites.
      r.offset = r.end;
  }
}

function limits(r: ByteReader): void {
  const flags = r.u8();
  r.u32();
  if (flags & 1) r.u32();
}

function readBody(r: ByteReader, funcIndex: number, typeIndex: number): FunctionBody {
  const offset = r.offset;
  const size = r.u32('body size');
  const bodyStart = r.offset;
  const end = bodyStart + size;
  if (end > r.end) r.fail(`body of function ${funcIndex} runs past the code section`, offset);
  const b = new ByteReader(r.bytes, bodyStart, end);
  const locals = vec(b, () => ({ count: b.u32('local count'), type: b.u8() }), 'local group');
  const codeStart = b.offset;
  const instructions: Instruction[] = [];
  let depth = 0;
  while (!b.atEnd) {
    const ins = readInstruction(b);
    instructions.push(ins);
    if (opensBlock(ins.opcode)) depth++;
    else if (ins.opcode === OP.end) {
      if (depth === 0) {
        if (!b.atEnd) b.fail(`function ${funcIndex} has bytes after its final end`);
        break;
      }
      depth--;
    }
  }
  const last = instructions[instructions.length - 1];
  if (!last || last.opcode !== OP.end || depth !== 0) r.fail(`body of function ${funcIndex} does not end with end`, offset);
  r.offset = end;
  return { funcIndex, typeIndex, offset, bodyStart, codeStart, end, locals, instructions };
}

function readNames(r: ByteReader): NameSection {
  const names: NameSection = { functions: new Map(), locals: new Map(), globals: new Map() };
  const nameMap = (s: ByteReader) => {
    const map = new Map<number, string>();
    for (const [index, name] of vec(s, () => [s.u32('name index'), s.name()] as const, 'name')) map.set(index, name);
    return map;
  };
  while (!r.atEnd) {
    const id = r.u8('name subsection id');
    const size = r.u32('name subsection size');
    const s = new ByteReader(r.bytes, r.offset, r.offset + size);
    if (s.end > r.end) r.fail(`name subsection ${id} runs past the name section`);
    if (id === 0) names.moduleName = s.name();
    else if (id === 1) names.functions = nameMap(s);
    else if (id === 2) for (const [f, locals] of vec(s, () => [s.u32('function index'), nameMap(s)] as const, 'local map')) names.locals.set(f, locals);
    else if (id === 7) names.globals = nameMap(s);
    r.offset = s.end;
  }
  return names;
}
