// The debugged app in the original module's terms: function names, probe sites, DWARF lines, values.
import { demangleRust } from '../kernel/demangle';
import { plainPath } from '../kernel/elf';
import { isComponent, mainModule, withInstrumentedModule } from './component';
import { LineTable } from './dwarfLine';
import { instrument, siteIndex, type InstrumentOptions, type InstrumentResult, type ProbeSite } from './instrument';
import { codeSectionStart, functionType, parseModule, type WasmModule } from './module';
import { DEFAULT_CAPTURE_LIMIT, type CaptureChoice, type CapturedLocal, type ValueSlots } from './values';
import { DwarfError, DwarfInfo, NO_DWARF } from './dwarf';

/**
 * The debugged app in the original module's terms: its functions and their names, the probe sites
 * of the instrumented copy, and DWARF lines when the module has them. Everything the user sees at
 * the Wasm level (frame names, source lines, breakpoints, globals) comes from here. For a
 * component, that module is its main core module, and the instrumented copy is the component with
 * that module instrumented.
 */
export class WasmProgram {
  /** The module debugged: the app, or the component's main core module. */
  readonly module: WasmModule;
  /** The component's index of `module`, when the app is a component. */
  readonly componentModule: number | undefined;
  readonly lines: LineTable | undefined;
  /** The module's DWARF variables, or why there are none (the Variables scopes say it). */
  readonly dwarf: DwarfInfo | string;
  readonly sites: ProbeSite[];
  /** The instrumented module (or component), to boot with `wasm_debug=<sites.length>`. */
  readonly instrumented: Uint8Array;
  /** Where each function keeps the values of the locals it captures. */
  readonly values: ValueSlots;
  private readonly entries = new Map<number, ProbeSite>();
  /** The `name` section's function names, Rust's demangled (`http_component_rust::text`). */
  private readonly names = new Map<number, string>();
  /** Code offset → statement sites there (several when one offset starts several statements). */
  private readonly statements = new Map<number, ProbeSite[]>();
  private readonly codeBase: number;

  constructor(original: Uint8Array, options: InstrumentOptions = {}) {
    const main = isComponent(original) ? mainModule(original) : undefined;
    const bytes = main?.bytes ?? original;
    this.module = parseModule(bytes);
    this.componentModule = main?.index;
    this.codeBase = codeSectionStart(this.module);
    this.dwarf = readDwarf(this.module);
    const dwarf = this.dwarf;
    const captureLocals = options.captureLocals ?? (typeof dwarf === 'string' ? undefined : this.dwarfCapture(dwarf));
    const result: InstrumentResult = instrument(bytes, { ...options, captureLocals });
    this.values = result.values;
    this.instrumented = main ? withInstrumentedModule(original, main.index, result.module) : result.module;
    this.sites = result.sites;
    this.lines = LineTable.fromModule(this.module);
    for (const [index, name] of this.module.names.functions) this.names.set(index, demangleRust(name) ?? name);
    for (const s of this.sites) {
      if (s.kind === 'entry') this.entries.set(s.funcIndex, s);
      if (s.kind === 'statement') this.statements.set(s.codeOffset, [...(this.statements.get(s.codeOffset) ?? []), s]);
    }
  }

  /** The site a probe argument names, or undefined for a number outside the table. */
  site(probeArgument: number): ProbeSite | undefined {
    const site = this.sites[siteIndex(probeArgument)];
    return site?.site === probeArgument ? site : undefined;
  }

  /**
   * A function as the user knows it: its export name (what routes and breakpoints name, e.g.
   * `handle-hello`), else its `name` section name (demangled), else `func[N]`.
   */
  functionName(funcIndex: number): string {
    return this.module.exports.find((e) => e.kind === 'func' && e.index === funcIndex)?.name
      ?? this.names.get(funcIndex)
      ?? `func[${funcIndex}]`;
  }

  /**
   * Functions named `name` by an export or by the `name` section: the raw name, the demangled one,
   * or, when none is exactly that, a path suffix of it (`text` finds `http_component_rust::text`).
   */
  functionsNamed(name: string): number[] {
    const wanted = name.trim();
    const found = new Set<number>();
    for (const e of this.module.exports) if (e.kind === 'func' && e.name === wanted) found.add(e.index);
    const named = (test: (n: string) => boolean) => {
      for (const [index, raw] of this.module.names.functions) {
        const shown = this.names.get(index)!;
        if (test(raw) || test(shown) || test(plainPath(shown))) found.add(index);
      }
    };
    named((n) => n === wanted);
    if (!found.size) named((n) => n.endsWith(`::${wanted}`));
    // Imports have no body, hence no probe: they cannot be stopped in.
    return [...found].filter((f) => this.entries.has(f)).sort((a, b) => a - b);
  }

  entrySite(funcIndex: number): ProbeSite | undefined {
    return this.entries.get(funcIndex);
  }

  /**
   * Where a site is, for a stack frame: file:line:column with DWARF, else the function name with
   * the offset from the start of its body (`handle-hello+0x1c`).
   */
  location(site: ProbeSite): { name: string; file?: string; line: number; column: number } {
    const fn = this.functionName(site.funcIndex);
    if (site.file && site.line) return { name: fn, file: site.file, line: site.line, column: site.column || 1 };
    const body = this.module.bodies[site.funcIndex - this.module.importedFunctionCount];
    const offset = site.codeOffset - (body.bodyStart - this.codeBase);
    return { name: offset === 0 ? fn : `${fn}+0x${offset.toString(16)}`, line: 0, column: 0 };
  }

  /**
   * The statement sites of `file`:`line` (file as a path or a path suffix). A line without code
   * moves to the next line that has some, as debuggers do; undefined when none follows, or
   * without DWARF.
   */
  statementsAt(file: string, line: number): { line: number; sites: ProbeSite[] } | undefined {
    if (!this.lines) return undefined;
    const last = Math.max(0, ...this.sites.filter((s) => s.line !== undefined && sameFile(s.file!, file)).map((s) => s.line!));
    for (let l = line; l <= last; l++) {
      const sites = this.lines.addressesFor(file, l).flatMap((offset) => this.statements.get(offset) ?? []);
      if (sites.length) return { line: l, sites };
    }
    return undefined;
  }

  /** A function's start as DWARF addresses code: the offset of its body in the code section. */
  functionStart(funcIndex: number): number {
    return this.module.bodies[funcIndex - this.module.importedFunctionCount].bodyStart - this.codeBase;
  }

  /**
   * What each function hands to the debugger with DWARF: the locals its variables and frame base
   * live in, and its params (the Locals (Wasm) scope shows them); a function DWARF does not
   * describe (libc built without -g) keeps the default choice.
   */
  private dwarfCapture(dwarf: DwarfInfo): CaptureChoice {
    return (funcIndex) => {
      const fn = dwarf.functionAt(this.functionStart(funcIndex));
      if (!fn) return Array.from({ length: DEFAULT_CAPTURE_LIMIT }, (_, i) => i);
      return [...functionType(this.module, funcIndex).params.map((_, i) => i), ...dwarf.localsOf(fn)];
    };
  }

  /** The locals function `funcIndex` captures, in slot order. */
  capturedLocals(funcIndex: number): CapturedLocal[] {
    return this.values.captured.get(funcIndex) ?? [];
  }

  /** A local by its `name` section name, else `$local N`. */
  localName(funcIndex: number, index: number): string {
    return this.module.names.locals.get(funcIndex)?.get(index) ?? `$local ${index}`;
  }

  globalName(index: number): string {
    return this.module.names.globals.get(index)
      ?? this.module.exports.find((e) => e.kind === 'global' && e.index === index)?.name
      ?? `global ${index}`;
  }
}

/** The module's DWARF, or the message that says why its variables cannot be shown. */
function readDwarf(module: WasmModule): DwarfInfo | string {
  try {
    return DwarfInfo.fromModule(module) ?? NO_DWARF;
  } catch (err) {
    if (err instanceof DwarfError) return `no variables: ${err.message}`;
    throw err;
  }
}

function sameFile(path: string, wanted: string): boolean {
  const w = wanted.replaceAll('\\', '/');
  return path === w || path.endsWith(`/${w}`) || w.endsWith(`/${path}`);
}

const VALUE_TYPES: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };

export function valueTypeName(type: number): string {
  return VALUE_TYPES[type] ?? `type 0x${type.toString(16)}`;
}

/** A global's raw bits (i32/f32 zero-extended to 64) as the debugger shows them. */
export function formatValue(type: number, bits: bigint): string {
  const buf = Buffer.alloc(8);
  buf.writeBigUInt64LE(BigInt.asUintN(64, bits));
  switch (type) {
    case 0x7f: return `${buf.readInt32LE(0)} (0x${buf.readUInt32LE(0).toString(16)})`;
    case 0x7e: return `${buf.readBigInt64LE(0)} (0x${buf.readBigUInt64LE(0).toString(16)})`;
    case 0x7d: return String(buf.readFloatLE(0));
    case 0x7c: return String(buf.readDoubleLE(0));
    default: return `0x${buf.readBigUInt64LE(0).toString(16)}`;
  }
}
