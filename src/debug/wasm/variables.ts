// The program's C variables at a Wasm stop (DWARF): a frame's Arguments, Locals and Globals, expressions over them, setting and watching them.
import type { DataBreakpointInfo, Reference, Variable } from '../model';
import {
  DwarfError, evaluateExpression, evaluateValue, ExpressionError, renderVariable, scopeVariables, setValue,
  type DwarfInfo, type ExpressionScope, type FrameAccess, type Scopes, type TypedValue, type ValueNode, type Write,
} from './dwarf';
import { resolve, sizeOf } from './dwarf/types';
import { addressInfo } from './watch';

/** Which of a frame's DWARF scopes. */
export type DwarfScopeKind = 'args' | 'locals' | 'globals';

/** The DWARF scopes of a Wasm frame, in the order the Variables pane shows them. */
export const DWARF_SCOPES: { name: string; which: DwarfScopeKind }[] = [
  { name: 'Arguments', which: 'args' },
  { name: 'Locals', which: 'locals' },
  { name: 'Globals', which: 'globals' },
];

/** A node of the Variables tree behind a variables reference: its children, and the expression that names it. */
export interface DwarfValue {
  kind: 'dwarfValue';
  /** The frame it was read in (0 = outermost). */
  depth: number;
  node: ValueNode;
  evaluateName?: string;
}

/** Arrays longer than this page in the Variables pane (indexedVariables). */
const PAGED_ABOVE = 100;

/** A frame of the stop as the DWARF module sees it: the variables in scope at its code offset, and its values. */
export class DwarfFrame {
  readonly scopes: Scopes;
  /** Each scope's nodes, rendered once (the frame lives as long as its stop's StopRenders). */
  private readonly rendered = new Map<DwarfScopeKind, Promise<ValueNode[]>>();

  constructor(readonly info: DwarfInfo, readonly depth: number, readonly pc: number, readonly access: FrameAccess) {
    this.scopes = info.scopes(pc);
  }

  /** The variables of one scope, as tree nodes; a line saying why when there are none to show. */
  async variables(which: DwarfScopeKind, reference: Reference): Promise<Variable[]> {
    if (!this.info.functionAt(this.pc)) return [note(`no DWARF describes the function at code offset 0x${this.pc.toString(16)}`)];
    try {
      return (await this.nodes(which)).map((node) => toVariable(node, node.name, this.depth, reference));
    } catch (err) {
      if (err instanceof DwarfError) return [note(err.message)];
      throw err;
    }
  }

  /** The variables of one scope as tree nodes. */
  nodes(which: DwarfScopeKind): Promise<ValueNode[]> {
    return remember(this.rendered, which, () => Promise.all(this.scopes[which].map((v) => renderVariable(v, this.access))));
  }

  private expressionScope(): ExpressionScope {
    return { variables: scopeVariables(this.scopes), frame: this.access, info: this.info };
  }

  /** A C expression over the variables in scope (hover, watch, the debug console); ExpressionError for a wrong one. */
  async evaluate(text: string, reference: Reference): Promise<Variable> {
    return toVariable(await evaluateExpression(text, this.expressionScope()), text, this.depth, reference);
  }

  /** The object an expression designates (setExpression's target); ExpressionError for a wrong one. */
  object(text: string): Promise<TypedValue> {
    return evaluateValue(text, this.expressionScope());
  }

  /** What to write so that the object `target` holds the value of `text`. */
  assignment(target: TypedValue, text: string): Promise<Write> {
    return setValue(target, text, this.expressionScope());
  }

  /** A data breakpoint on what an expression designates: its bytes in linear memory. */
  async watch(text: string, bytes: number | undefined): Promise<DataBreakpointInfo> {
    try {
      return watchInfo(await evaluateValue(text, this.expressionScope()), text, bytes);
    } catch (err) {
      if (err instanceof ExpressionError) return { dataId: null, description: `${text}: ${err.message}` };
      throw err;
    }
  }
}

/** The dataId of an object's bytes (or `bytes` of them), when it lies in linear memory. */
export function watchInfo(object: TypedValue, what: string, bytes: number | undefined): DataBreakpointInfo {
  const place = object.place;
  if (place.kind !== 'memory') return { dataId: null, description: `${what} is not in linear memory (a Wasm local or a computed value): it cannot be watched` };
  return addressInfo(place.address, bytes ?? Math.max(1, sizeOf(object.type)), `${what}: linear memory 0x${place.address.toString(16)}`);
}

/**
 * What the Variables pane was shown at one stop: each Wasm frame's DwarfFrame (with its scopes'
 * nodes) and the children of the nodes expanded. VS Code asks again for rows it has shown (another
 * frame selected and back, a node expanded again, the scopes after a step of the UI); they are read
 * from the guest once. The stop keeps it, so resuming drops it; a write to memory drops it too
 * (setVariable, setExpression, the Memory view), since any value may have changed.
 */
export class StopRenders {
  private readonly frames = new Map<number, Promise<DwarfFrame | string>>();
  private readonly expanded = new Map<ValueNode, Map<string, Promise<ValueNode[]>>>();

  /** Frame `depth`'s DwarfFrame, made by `make` the first time. */
  frame(depth: number, make: () => Promise<DwarfFrame | string>): Promise<DwarfFrame | string> {
    return remember(this.frames, depth, make);
  }

  /** A node's children (a page of them for an array). */
  childrenOf(node: ValueNode, start?: number, count?: number): Promise<ValueNode[]> {
    let pages = this.expanded.get(node);
    if (!pages) this.expanded.set(node, (pages = new Map()));
    return remember(pages, `${start}:${count}`, async () => (await node.children?.(start, count)) ?? []);
  }
}

/** The promise kept under `key`, else `make`'s, kept unless it fails (a failed read of the gdbstub is tried again). */
function remember<K, V>(kept: Map<K, Promise<V>>, key: K, make: () => Promise<V>): Promise<V> {
  const known = kept.get(key);
  if (known) return known;
  const made = make();
  kept.set(key, made);
  made.catch(() => kept.get(key) === made && kept.delete(key));
  return made;
}

/** The children of an expanded node, paged for arrays, each with the expression that names it. */
export async function children(container: DwarfValue, reference: Reference, renders: StopRenders, start?: number, count?: number): Promise<Variable[]> {
  const nodes = await renders.childrenOf(container.node, start, count);
  return nodes.map((child) => toVariable(child, childExpression(container.evaluateName, child.name), container.depth, reference));
}

/** A node as a row of the Variables pane. */
function toVariable(node: ValueNode, evaluateName: string | undefined, depth: number, reference: Reference): Variable {
  return {
    name: node.name,
    value: node.value,
    type: node.type,
    evaluateName,
    variablesReference: node.children ? reference({ kind: 'dwarfValue', depth, node, evaluateName }) : 0,
    indexedVariables: (node.indexedCount ?? 0) > PAGED_ABOVE ? node.indexedCount : undefined,
    memoryReference: memoryReference(node),
  };
}

/** A pointer opens the memory it points at; an object in memory opens itself. */
function memoryReference(node: ValueNode): string | undefined {
  const pointer = /^(0x[0-9a-f]+)/i.exec(node.value);
  const address = resolve(node.object.type).kind === 'pointer' && pointer ? Number(pointer[1]) : node.address;
  return address === undefined ? undefined : `wasm:0x${address.toString(16)}`;
}

/** The C expression of a child node (`s.x`, `a[3]`, `*p`), from its parent's and the child's name in the tree. */
function childExpression(parent: string | undefined, child: string): string | undefined {
  if (parent === undefined) return undefined;
  const p = /^[A-Za-z_]\w*(?:\.\w+|->\w+|\[\d+\])*$/.test(parent) ? parent : `(${parent})`;
  if (child.startsWith('*')) return `*${p}`;
  if (child.startsWith('[') && /^\[\d+\]$/.test(child)) return `${p}${child}`;
  // A `{ptr, len}` struct's elements are its `ptr`'s.
  if (child === '[elements]') return `${p}.ptr`;
  if (child.startsWith('<')) return undefined;
  return `${p}.${child}`;
}

/** A row that only says something. */
export function note(text: string): Variable {
  return { name: '(unavailable)', value: text, variablesReference: 0 };
}
