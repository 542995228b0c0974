// The program's variables from DWARF .debug_info: functions and scopes by code offset, the Wasm locals they live in, their types.
import { WasmFormatError } from '../bytes';
import { SECTION, type WasmModule } from '../module';
import { DW_AT, DW_OP, DW_TAG, isTombstone } from './constants';
import { decode, localsRead } from './expression';
import { DwarfError, readUnits, type Die, type DwarfSections, type Unit } from './info';
import { allExpressions, covers, expressionAt, locationOf, rangesOf, type CodeRange } from './lists';
import { RangeIndex } from './rangeIndex';
import { TypeTable, type CType } from './types';

export { DwarfError } from './info';
export { NotAvailable, type FrameAccess } from './expression';
export { typeName, type CType } from './types';
export { locate, render, renderVariable, toBytes, type TypedValue, type ValueNode } from './values';
export { evaluateExpression, evaluateValue, ExpressionError, scopeVariables, setValue, type ExpressionScope, type Write } from './cexpr';

/** A variable in scope at a code offset, pinned to that offset's location. */
export interface Variable {
  name: string;
  type: CType;
  /** The location expression at the code offset asked for; undefined when the variable has none there (optimized out). */
  location?: Uint8Array;
  /** DW_AT_const_value: the value itself, when the compiler kept no location. */
  constValue?: bigint | Uint8Array;
  /** The enclosing function's DW_AT_frame_base, for DW_OP_fbreg. */
  frameBase?: Uint8Array;
  unit: Unit;
  declLine?: number;
  /** Why its location could not be read (malformed DWARF): shown in its place. */
  error?: string;
}

export interface Scopes {
  args: Variable[];
  /** Innermost block first; only the blocks that contain the code offset. */
  locals: Variable[];
  /** The compile unit's globals and file statics. */
  globals: Variable[];
}

interface FunctionEntry {
  die: Die;
  ranges: CodeRange[];
}

/** What to tell a user whose module has no DWARF variables. */
export const NO_DWARF = 'no variables: the module has no DWARF .debug_info (build it with -g, and do not strip it)';

/** The module's `.debug_*` custom sections by name. */
export function dwarfSections(module: WasmModule): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const s of module.sections) if (s.id === SECTION.custom && s.name?.startsWith('.debug_')) out.set(s.name, module.bytes.subarray(s.start, s.end));
  return out;
}

const VARIABLE_TAGS = new Set<number>([DW_TAG.variable, DW_TAG.formalParameter]);
const SCOPE_TAGS = new Set<number>([DW_TAG.lexicalBlock, DW_TAG.inlinedSubroutine]);

export class DwarfInfo {
  readonly types = new TypeTable();
  /** The units by the code their roots say they cover, built on the first look-up (the capture choice makes one per function). */
  private unitIndex: RangeIndex<Unit> | undefined;
  /** Each unit's functions by code offset (functionsOf). */
  private readonly functions = new Map<Unit, RangeIndex<Die>>();

  private constructor(readonly units: Unit[]) {}

  /** From the module's custom sections by name; throws DwarfError naming what it cannot read (version, form, op). */
  static read(sections: DwarfSections): DwarfInfo {
    try {
      return new DwarfInfo(readUnits(sections));
    } catch (err) {
      if (err instanceof WasmFormatError) throw new DwarfError(`malformed DWARF: ${err.message}`);
      throw err;
    }
  }

  /** The module's DWARF, or undefined for a module built without -g or stripped (`NO_DWARF` says so to the user). */
  static fromModule(module: WasmModule): DwarfInfo | undefined {
    const sections = dwarfSections(module);
    return sections.has('.debug_info') ? DwarfInfo.read(sections) : undefined;
  }

  /** A named type: a typedef or base type by name, or a struct, union or enum by its tag. */
  typeNamed(name: string, tag?: 'struct' | 'union' | 'enum'): CType | undefined {
    const die = this.search((index) => index.types.get(`${tag ?? ''} ${name}`));
    return die && this.types.fromDie(die);
  }

  /** An enumerator of any enum of the program, with its value and enum type. */
  enumerator(name: string): { value: bigint; type: CType } | undefined {
    const die = this.search((index) => index.enumerators.get(name));
    if (!die) return undefined;
    return { value: die.constant(DW_AT.constValue)?.value ?? 0n, type: this.types.fromDie(die.parent!) };
  }

  private readonly indexes = new Map<Unit, NameIndex>();

  /**
   * The first unit's answer: units already read first (the ones of the stopped code). Reading every unit of a large
   * module (a Rust one: hundreds, seconds) for a name that is nowhere is too slow for a hover, so beyond
   * SEARCH_ALL_BELOW bytes of .debug_info only units already read are searched.
   */
  private search(find: (index: NameIndex) => Die | undefined): Die | undefined {
    const all = (this.units[0]?.section('.debug_info').length ?? 0) < SEARCH_ALL_BELOW;
    const units = [...this.units.filter((u) => u.parsed), ...(all ? this.units.filter((u) => !u.parsed) : [])];
    for (const unit of units) {
      let index = this.indexes.get(unit);
      if (!index) this.indexes.set(unit, (index = nameIndex(unit)));
      const found = find(index);
      if (found) return found;
    }
    return undefined;
  }

  /** The function (DW_TAG_subprogram) whose code contains `pc`: the first one, searching the units in order. */
  functionAt(pc: number): Die | undefined {
    this.unitIndex ??= new RangeIndex(this.units.map((unit) => ({ value: unit, ranges: unitRanges(unit) })));
    for (const unit of this.unitIndex.at(pc)) {
      const found = this.functionsOf(unit).at(pc)[0];
      if (found) return found;
    }
    return undefined;
  }

  /** A unit's functions by code offset, indexed when a code offset first falls in the unit (its entries read then). */
  private functionsOf(unit: Unit): RangeIndex<Die> {
    let functions = this.functions.get(unit);
    if (!functions) {
      const found: FunctionEntry[] = [];
      collectFunctions(unit.root, found);
      this.functions.set(unit, (functions = new RangeIndex(found.map((f) => ({ value: f.die, ranges: f.ranges })))));
    }
    return functions;
  }

  /** The entry at a .debug_info offset (its unit read if it was not yet). */
  dieAt(offset: number): Die | undefined {
    return this.units[0]?.all.dieAt(offset);
  }

  /** Wasm locals that some variable or frame base of the function containing code offset `pc` lives in (what the instrumenter must capture). */
  localsUsed(pc: number): number[] {
    const fn = this.functionAt(pc);
    return fn ? this.localsOf(fn) : [];
  }

  /** Wasm locals that some variable or the frame base of function `fn` (from functionAt) lives in. */
  localsOf(fn: Die): number[] {
    const used = new Set<number>();
    const add = (expr: Uint8Array) => {
      const ops = orError(() => decode(expr, fn.unit.addressSize));
      if (!(ops instanceof DwarfError)) for (const index of localsRead(ops)) used.add(index);
    };
    const base = fn.block(DW_AT.frameBase);
    if (base) add(base);
    const walk = (die: Die) => {
      for (const child of die.children) {
        if (VARIABLE_TAGS.has(child.tag)) {
          const source = orError(() => locationOf(child));
          if (source && !(source instanceof DwarfError)) allExpressions(source).forEach(add);
        }
        if (SCOPE_TAGS.has(child.tag)) walk(child);
      }
    };
    walk(fn);
    return [...used].sort((a, b) => a - b);
  }

  /** Variables in scope at code offset pc (DWARF's address space: offset in the code section payload), by scope. */
  scopes(pc: number): Scopes {
    const fn = this.functionAt(pc);
    if (!fn) return { args: [], locals: [], globals: [] };
    const frameBase = fn.block(DW_AT.frameBase);
    const pin = (die: Die) => this.variable(die, pc, frameBase);
    // The chain of blocks and inlined calls that contain pc, outermost first.
    const chain: Die[] = [];
    for (let scope: Die | undefined = fn; scope; ) {
      chain.push(scope);
      scope = scope.children.find((c) => {
        const ranges = SCOPE_TAGS.has(c.tag) && orError(() => rangesOf(c));
        return ranges && !(ranges instanceof DwarfError) && covers(ranges, pc);
      });
    }
    const args = fn.children.filter((c) => c.tag === DW_TAG.formalParameter).map(pin);
    const locals = chain.reverse().flatMap((scope) =>
      scope.children.filter((c) => c.tag === DW_TAG.variable || (scope !== fn && c.tag === DW_TAG.formalParameter)).map(pin));
    return { args, locals, globals: this.globalsOf(fn.unit) };
  }

  /**
   * The unit's variables at file scope (declarations left out); a definition without a location is one the
   * compiler folded away (a static never written, at -O2): it shows as optimized out rather than missing.
   */
  private globalsOf(unit: Unit): Variable[] {
    return unit.root.children
      .filter((c) => c.tag === DW_TAG.variable && !c.flag(DW_AT.declaration))
      .map((c) => this.variable(c, 0, undefined))
      .filter((v) => !isDropped(v));
  }

  private variable(die: Die, pc: number, frameBase: Uint8Array | undefined): Variable {
    const source = orError(() => locationOf(die));
    const constant = die.constant(DW_AT.constValue);
    return {
      name: die.name ?? '<anonymous>',
      type: this.types.typeOf(die),
      location: source instanceof DwarfError ? undefined : source && expressionAt(source, pc),
      error: source instanceof DwarfError ? source.message : undefined,
      constValue: constant ? constant.value : die.block(DW_AT.constValue),
      frameBase,
      unit: die.unit,
      declLine: die.inherited((d) => d.num(DW_AT.declLine)),
    };
  }
}

/** .debug_info sizes below which a name is looked for in every unit (the demo's is 22 KB, a Rust component's 4 MB). */
const SEARCH_ALL_BELOW = 1 << 20;

interface NameIndex {
  types: Map<string, Die>;
  enumerators: Map<string, Die>;
}

const TYPE_TAGS = new Map<number, string>([
  [DW_TAG.structureType, 'struct'], [DW_TAG.classType, 'struct'], [DW_TAG.unionType, 'union'], [DW_TAG.enumerationType, 'enum'], [DW_TAG.typedef, ''], [DW_TAG.baseType, ''],
]);

/** A unit's named types (complete definitions win over declarations) and enumerators. */
function nameIndex(unit: Unit): NameIndex {
  const index: NameIndex = { types: new Map(), enumerators: new Map() };
  const walk = (die: Die) => {
    for (const child of die.children) {
      const tag = TYPE_TAGS.get(child.tag);
      const name = child.str(DW_AT.name);
      if (tag !== undefined && name) {
        const key = `${tag} ${name}`;
        const known = index.types.get(key);
        if (!known || (known.flag(DW_AT.declaration) && !child.flag(DW_AT.declaration))) index.types.set(key, child);
      }
      if (child.tag === DW_TAG.enumerator && name && !index.enumerators.has(name)) index.enumerators.set(name, child);
      if (child.children.length) walk(child);
    }
  };
  walk(unit.root);
  return index;
}

/** The code a unit may contain: its root's ranges, or all of it when the root has none to say (or unreadable ones). */
function unitRanges(unit: Unit): CodeRange[] {
  const root = unit.root;
  const everywhere = [{ start: 0, end: Infinity }];
  if (!root.has(DW_AT.ranges) && !root.has(DW_AT.highPc)) return everywhere;
  const ranges = orError(() => rangesOf(root));
  return ranges instanceof DwarfError ? everywhere : ranges;
}

/** The result, or the DwarfError that reading it threw (one bad entry does not hide the others). */
function orError<T>(read: () => T): T | DwarfError {
  try {
    return read();
  } catch (err) {
    if (err instanceof DwarfError) return err;
    throw err;
  }
}

/** A global whose data wasm-ld dropped: DW_OP_addr of a tombstone. */
function isDropped(v: Variable): boolean {
  const ops = v.location && orError(() => decode(v.location!, v.unit.addressSize));
  if (ops instanceof DwarfError) return false;
  return !!ops && ops.length === 1 && ops[0].code === DW_OP.addr && isTombstone(Number(ops[0].args[0]));
}

function collectFunctions(die: Die, out: FunctionEntry[]): void {
  for (const child of die.children) {
    if (child.tag === DW_TAG.subprogram) {
      const ranges = rangesOf(child);
      if (ranges.length) out.push({ die: child, ranges });
    } else if (child.children.length && !VARIABLE_TAGS.has(child.tag)) collectFunctions(child, out);
  }
}
