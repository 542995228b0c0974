// Components (the Component Model's binary format) as far as the debugger needs them: the main core module inside, and the component re-emitted with it replaced.
import { ByteReader, ByteWriter, encode, WasmFormatError } from './bytes';
import { PROBE_FIELD, PROBE_MODULE } from './instrument';

/**
 * A small section walker rather than a library: `@bytecodealliance/jco` brings wasm-tools as a
 * multi-megabyte Wasm binary to re-create components from a core module and its adapter, which is
 * not what the debugger does. Here nothing is re-created: the component keeps every section as it
 * was except the ones the replacement touches (the Component Model's Binary.md).
 */

/** Component section ids. */
const SECTION = { custom: 0, coreModule: 1, coreInstance: 2, alias: 6 } as const;
/** `core:sort` bytes of the index spaces a re-emission shifts. */
const CORE_SORT = { module: 0x11, instance: 0x12 } as const;
/** `sort` 0x00: a core sort follows. */
const CORE = 0x00;
/** The interface whose `handle` a wasi:http component lifts from its main module. */
const HANDLER = /^wasi:http\/incoming-handler@[^#]*#handle$/;

interface Section {
  id: number;
  /** Offset of the id byte. */
  offset: number;
  /** Offset of the payload. */
  start: number;
  end: number;
  /** A custom section's name. */
  name?: string;
}

/** True for a component binary (version 0x0d, layer 1), false for a core module (or anything else). */
export function isComponent(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d
    && bytes[4] === 0x0d && bytes[5] === 0 && bytes[6] === 1 && bytes[7] === 0;
}

/** The top-level sections of a component. */
function sections(bytes: Uint8Array): Section[] {
  if (!isComponent(bytes)) throw new WasmFormatError('not a component (bad preamble)', 0);
  const r = new ByteReader(bytes, 8);
  const out: Section[] = [];
  while (!r.atEnd) {
    const offset = r.offset;
    const id = r.u8('section id');
    const size = r.u32('section size');
    const section: Section = { id, offset, start: r.offset, end: r.offset + size };
    if (section.end > bytes.length) r.fail(`section ${id} runs past the end of the component`, offset);
    if (id === SECTION.custom) section.name = new ByteReader(bytes, section.start, section.end).name();
    out.push(section);
    r.offset = section.end;
  }
  return out;
}

/**
 * The component's core modules in index order. Components that import or alias core modules
 * (which the kernel refuses) number them differently: they are not supported.
 */
function coreModules(bytes: Uint8Array): Uint8Array[] {
  return sections(bytes).filter((s) => s.id === SECTION.coreModule).map((s) => bytes.subarray(s.start, s.end));
}

/** A core module's export names (a light read: the module is parsed in full only once chosen). */
function exportNames(module: Uint8Array): string[] {
  const r = new ByteReader(module, 8);
  while (!r.atEnd) {
    const id = r.u8();
    const end = r.u32() + r.offset;
    if (id === 7) {
      const s = new ByteReader(module, r.offset, end);
      return Array.from({ length: s.u32() }, () => {
        const name = s.name();
        s.u8();
        s.u32();
        return name;
      });
    }
    r.offset = end;
  }
  return [];
}

/**
 * The component's main core module: the one that exports `wasi:http/incoming-handler@…#handle`,
 * which the component lifts (wit-component's other modules are the WASI adapter, its shim and fixup).
 */
export function mainModule(component: Uint8Array): { index: number; bytes: Uint8Array } {
  const modules = coreModules(component);
  const index = modules.findIndex((m) => exportNames(m).some((name) => HANDLER.test(name)));
  if (index < 0) throw new Error(`none of the component's ${modules.length} core modules exports wasi:http/incoming-handler#handle: not a wasi:http/proxy component`);
  return { index, bytes: modules[index] };
}

/**
 * The component with core module `index` replaced by `module`: the module section's size changes,
 * every other byte stays as it was.
 */
export function replaceModule(component: Uint8Array, index: number, module: Uint8Array): Uint8Array {
  return reemit(component, index, module, false);
}

/**
 * The component with core module `index` replaced by its instrumented copy `module`, which imports
 * the debugger's probe. No instance of the component gives that import, and a component whose core
 * import is not given does not validate, in the kernel either: a stand-in module that exports a
 * `probe` that traps is instantiated just before the instrumented module and passed to it as
 * `uniwasm:debug`. The kernel links its real probe in the stand-in's place under `wasm_debug`
 * and refuses the component without it; another runtime traps at the first probe. The core module
 * and core instance indices from the stand-in on move up by one: the later core instance and alias
 * sections, and the `component-name` section, are rewritten for that; everything else is as it was.
 */
export function withInstrumentedModule(component: Uint8Array, index: number, module: Uint8Array): Uint8Array {
  return reemit(component, index, module, true);
}

/** The stand-in for the probe import: `(module (func (export "probe") (param i32) (result i32) unreachable))`. */
const PROBE_STAND_IN = encode((w) => {
  w.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const section = (id: number, payload: Uint8Array) => w.byte(id).u32(payload.length).bytes(payload);
  section(1, encode((s) => s.u32(1).byte(0x60).u32(1).byte(0x7f).u32(1).byte(0x7f)));
  section(3, encode((s) => s.u32(1).u32(0)));
  section(7, encode((s) => s.u32(1).name(PROBE_FIELD).byte(0x00).u32(0)));
  section(10, encode((s) => s.u32(1).u32(3).u32(0).byte(0x00).byte(0x0b)));
});

/** Index shifts from the stand-in on: core modules at or after `module`, core instances at or after `instance`. */
interface Shift {
  module: number;
  instance: number;
}

function reemit(component: Uint8Array, index: number, module: Uint8Array, standIn: boolean): Uint8Array {
  const out = new ByteWriter().bytes(component.subarray(0, 8));
  const emit = (id: number, payload: Uint8Array) => out.byte(id).u32(payload.length).bytes(payload);
  let modules = 0;
  let instances = 0;
  let shift: Shift | undefined;
  for (const section of sections(component)) {
    switch (section.id) {
      case SECTION.coreModule:
        if (modules++ === index) emit(section.id, module);
        else out.bytes(component.subarray(section.offset, section.end));
        break;
      case SECTION.coreInstance: {
        const entries = readCoreInstances(component, section);
        const main = entries.find((e) => e.module === index);
        const first = standIn && !shift && main !== undefined;
        if (first) {
          // The stand-in goes right before the section that instantiates the module.
          shift = { module: modules, instance: instances };
          emit(SECTION.coreModule, PROBE_STAND_IN);
          emit(SECTION.coreInstance, encode((w) => w.u32(1).byte(0x00).u32(shift!.module).u32(0)));
        }
        instances += entries.length;
        if (!shift) {
          out.bytes(component.subarray(section.offset, section.end));
          break;
        }
        for (const e of entries) shiftIndices(e, shift);
        if (first) main.args!.push({ name: PROBE_MODULE, instance: shift.instance });
        emit(section.id, writeCoreInstances(entries));
        break;
      }
      case SECTION.alias: {
        // Before the stand-in nothing shifts, but an alias of a core module is refused all the same.
        const aliases = rewriteAliases(component, section, shift ?? { module: Infinity, instance: Infinity });
        if (shift) emit(section.id, aliases);
        else out.bytes(component.subarray(section.offset, section.end));
        break;
      }
      case SECTION.custom:
        if (shift && section.name === 'component-name') emit(section.id, rewriteNames(component, section, shift));
        else out.bytes(component.subarray(section.offset, section.end));
        break;
      default:
        out.bytes(component.subarray(section.offset, section.end));
    }
  }
  if (modules <= index) throw new Error(`the component has ${modules} core modules, no module ${index}`);
  if (standIn && !shift) throw new Error(`the component never instantiates its core module ${index}`);
  return out.toBytes();
}

/** A core instance: an instantiation of `module` with `args`, or a bundle of exports (`exports`, kept as bytes). */
interface CoreInstance {
  module?: number;
  args?: { name: string; instance: number }[];
  exports?: Uint8Array;
}

function readCoreInstances(bytes: Uint8Array, section: Section): CoreInstance[] {
  const r = new ByteReader(bytes, section.start, section.end);
  return Array.from({ length: r.u32('core instance count') }, (): CoreInstance => {
    const form = r.u8();
    if (form === 0x00) {
      const module = r.u32('module index');
      const args = Array.from({ length: r.u32('argument count') }, () => {
        const name = r.name();
        if (r.u8() !== CORE_SORT.instance) r.fail('a core instantiation argument that is not an instance');
        return { name, instance: r.u32('instance index') };
      });
      return { module, args };
    }
    if (form !== 0x01) r.fail(`unknown core instance form 0x${form.toString(16)}`);
    // Inline exports name functions, tables, memories and globals: no index a re-emission shifts.
    const start = r.offset;
    for (let count = r.u32('export count'), i = 0; i < count; i++) {
      r.name();
      const sort = r.u8();
      if (sort === CORE_SORT.module || sort === CORE_SORT.instance) r.fail('a core instance exporting a module or an instance');
      r.u32();
    }
    return { exports: bytes.subarray(start, r.offset) };
  });
}

function shiftIndices(e: CoreInstance, shift: Shift): void {
  if (e.module !== undefined) e.module = shifted(e.module, shift.module);
  for (const a of e.args ?? []) a.instance = shifted(a.instance, shift.instance);
}

function writeCoreInstances(entries: CoreInstance[]): Uint8Array {
  return encode((w) => {
    w.u32(entries.length);
    for (const e of entries) {
      if (e.exports) w.byte(0x01).bytes(e.exports);
      else {
        w.byte(0x00).u32(e.module!).u32(e.args!.length);
        for (const a of e.args!) w.name(a.name).byte(CORE_SORT.instance).u32(a.instance);
      }
    }
  });
}

function shifted(index: number, from: number): number {
  return index >= from ? index + 1 : index;
}

/** An alias section with the core instance of each `core export` alias shifted; an alias of a core module is refused. */
function rewriteAliases(bytes: Uint8Array, section: Section, shift: Shift): Uint8Array {
  const r = new ByteReader(bytes, section.start, section.end);
  const w = new ByteWriter();
  const count = r.u32('alias count');
  w.u32(count);
  for (let i = 0; i < count; i++) {
    const sort = r.u8();
    w.byte(sort);
    if (sort === CORE) {
      const coreSort = r.u8();
      if (coreSort === CORE_SORT.module) r.fail('an alias of a core module (not supported: it renumbers the modules)');
      w.byte(coreSort);
    }
    const target = r.u8();
    w.byte(target);
    if (target === 0x00) w.u32(r.u32()).name(r.name());
    else if (target === 0x01) w.u32(shifted(r.u32(), shift.instance)).name(r.name());
    else if (target === 0x02) w.u32(r.u32()).u32(r.u32());
    else r.fail(`unknown alias target 0x${target.toString(16)}`);
  }
  return w.toBytes();
}

/**
 * The `component-name` section with the names of core modules and core instances shifted, and the
 * stand-in named `uniwasm:debug` in both.
 */
function rewriteNames(bytes: Uint8Array, section: Section, shift: Shift): Uint8Array {
  const r = new ByteReader(bytes, section.start, section.end);
  const w = new ByteWriter().name(r.name());
  while (!r.atEnd) {
    const id = r.u8();
    const size = r.u32();
    const s = new ByteReader(bytes, r.offset, r.offset + size);
    r.offset += size;
    const coreSort = id === 1 && s.bytes[s.offset] === CORE ? s.bytes[s.offset + 1] : undefined;
    const from = coreSort === CORE_SORT.module ? shift.module : coreSort === CORE_SORT.instance ? shift.instance : undefined;
    if (from === undefined) {
      w.byte(id).u32(size).bytes(bytes.subarray(s.offset, s.end));
      continue;
    }
    s.skip(2);
    const names = Array.from({ length: s.u32() }, () => ({ index: shifted(s.u32(), from), name: s.name() }));
    names.push({ index: from, name: PROBE_MODULE });
    names.sort((a, b) => a.index - b.index);
    const payload = encode((p) => {
      p.byte(CORE).byte(coreSort!).u32(names.length);
      for (const n of names) p.u32(n.index).name(n.name);
    });
    w.byte(id).u32(payload.length).bytes(payload);
  }
  return w.toBytes();
}
