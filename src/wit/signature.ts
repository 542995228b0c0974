// Function signatures with type aliases resolved, for UIs that show calls with their
// argument names and types (e.g. the traffic panel decoding `keyvalue.set`).

import type { FuncType, PrimitiveName, Range, ResourceMethod, TypeDef, TypeRef } from './ast';
import type { PackageModel, Scope, WitAnalysis } from './analyze';

/** A type with every alias expanded; records, variants, enums and flags stay named. */
export type ResolvedType =
  | { kind: 'primitive'; name: PrimitiveName }
  | { kind: 'list'; element: ResolvedType; length?: number }
  | { kind: 'option'; inner: ResolvedType }
  | { kind: 'result'; ok?: ResolvedType; err?: ResolvedType }
  | { kind: 'tuple'; items: ResolvedType[] }
  | { kind: 'map'; key: ResolvedType; value: ResolvedType }
  | { kind: 'future' | 'stream'; inner?: ResolvedType }
  /** A resource handle; a bare resource name is an owned handle. */
  | { kind: 'handle'; mode: 'borrow' | 'own'; resource: string; interface: string }
  | { kind: 'defined'; name: string; interface: string; def: TypeDef }
  /** Defined in a package that was not analyzed, or not defined at all. */
  | { kind: 'unresolved'; name: string };

export interface TypedValue {
  /** The type as written in the WIT (`payload`); undefined for the implicit `self`. */
  type?: TypeRef;
  /** `payload` as written, or `borrow<r>` for `self`. */
  text: string;
  resolved: ResolvedType;
  /** The resolved type printed in WIT syntax: `list<u8>`. */
  resolvedText: string;
}

export interface SignatureParam extends TypedValue {
  name: string;
}

export interface FunctionSignature {
  /** The interface or world that holds the function. */
  owner: string;
  /** The component-level name: `get`, `[method]r.get`, `[static]r.open`, `[constructor]r`. */
  name: string;
  kind: 'freestanding' | 'method' | 'static' | 'constructor';
  resource?: string;
  async: boolean;
  /** Methods start with their implicit `self: borrow<r>`. */
  params: SignatureParam[];
  result?: TypedValue;
  docs?: string;
  file: string;
  range: Range;
}

/**
 * The signature of `name` (component-level: `[method]keyvalue.set`, or plain `f`) in the
 * interface or world `owner` (`keyvalue`, or qualified `ns:pkg/keyvalue`).
 */
export function functionSignature(analysis: WitAnalysis, owner: string, name: string): FunctionSignature | undefined {
  return functionSignatures(analysis, owner).find((s) => s.name === name);
}

/** Every function of an interface (with resource methods) or every function a world imports or exports. */
export function functionSignatures(analysis: WitAnalysis, owner: string): FunctionSignature[] {
  const scope = findScope(analysis, owner);
  if (!scope) return [];
  const sig = (name: string, kind: FunctionSignature['kind'], type: FuncType, meta: { docs?: string; range: Range }, resource?: TypeDef) =>
    signature(analysis, scope, name, kind, type, meta, resource);
  const out: FunctionSignature[] = [];
  for (const item of scope.def.items) {
    if (item.kind === 'func') out.push(sig(item.name.name, 'freestanding', item.type, item));
    else if ((item.kind === 'import' || item.kind === 'export') && item.target.kind === 'func') {
      out.push(sig(item.target.name.name, 'freestanding', item.target.func, item));
    } else if (item.kind === 'resource') {
      for (const m of item.methods) out.push(sig(methodName(item.name.name, m), m.kind, m.type, m, item));
    }
  }
  return out;
}

function methodName(resource: string, m: ResourceMethod): string {
  return m.kind === 'constructor' ? `[constructor]${resource}` : `[${m.kind}]${resource}.${m.name.name}`;
}

function findScope(analysis: WitAnalysis, owner: string): Scope | undefined {
  const slash = owner.lastIndexOf('/');
  const [pkgName, name] = slash < 0 ? [undefined, owner] : [owner.slice(0, slash).split('@')[0], owner.slice(slash + 1)];
  const packages: PackageModel[] = pkgName === undefined ? [analysis.root] : [analysis.root, ...analysis.nested].filter((p) => p.name === pkgName);
  for (const p of packages) {
    const scope = p.items.get(name.toLowerCase());
    if (scope) return scope;
  }
  return undefined;
}

function signature(
  analysis: WitAnalysis, scope: Scope, name: string, kind: FunctionSignature['kind'], type: FuncType,
  meta: { docs?: string; range: Range }, resource?: TypeDef,
): FunctionSignature {
  const value = (t: TypeRef): TypedValue => {
    const resolved = resolveType(analysis, scope, t);
    return { type: t, text: typeText(t), resolved, resolvedText: resolvedText(resolved) };
  };
  const params: SignatureParam[] = type.params.map((p) => ({ name: p.name.name, ...value(p.type) }));
  if (kind === 'method' && resource) {
    const self: ResolvedType = { kind: 'handle', mode: 'borrow', resource: resource.name.name, interface: scope.name };
    params.unshift({ name: 'self', text: `borrow<${resource.name.name}>`, resolved: self, resolvedText: resolvedText(self) });
  }
  let result = type.result ? value(type.result) : undefined;
  if (kind === 'constructor' && resource && !result) {
    const own: ResolvedType = { kind: 'handle', mode: 'own', resource: resource.name.name, interface: scope.name };
    result = { text: resource.name.name, resolved: own, resolvedText: resolvedText(own) };
  }
  return {
    owner: scope.name, name, kind, resource: resource?.name.name, async: type.async, params, result,
    docs: meta.docs, file: scope.file, range: meta.range,
  };
}

/** Expands aliases (also across `use`), guarding against alias cycles. */
export function resolveType(analysis: WitAnalysis, scope: Scope, t: TypeRef, seen = new Set<TypeDef>()): ResolvedType {
  const r = (inner: TypeRef) => resolveType(analysis, scope, inner, seen);
  switch (t.kind) {
    case 'primitive':
      return { kind: 'primitive', name: t.name };
    case 'list':
      return { kind: 'list', element: r(t.element), length: t.length };
    case 'option':
      return { kind: 'option', inner: r(t.inner) };
    case 'result':
      return { kind: 'result', ok: t.ok && r(t.ok), err: t.err && r(t.err) };
    case 'tuple':
      return { kind: 'tuple', items: t.items.map(r) };
    case 'map':
      return { kind: 'map', key: r(t.key), value: r(t.value) };
    case 'future':
    case 'stream':
      return { kind: t.kind, inner: t.inner && r(t.inner) };
    case 'handle':
    case 'named': {
      const name = t.kind === 'named' ? t.name : t.resource.name;
      const target = analysis.resolver.lookupType(scope, name);
      if (typeof target !== 'object' || seen.has(target.def)) return { kind: 'unresolved', name };
      const { def, scope: owner } = target;
      if (def.kind === 'alias') {
        const inner = new Set(seen).add(def);
        const expanded = resolveType(analysis, owner, def.type, inner);
        // `borrow<alias-of-resource>` borrows the aliased resource.
        return t.kind === 'handle' && expanded.kind === 'handle' ? { ...expanded, mode: t.mode } : expanded;
      }
      if (def.kind === 'resource') return { kind: 'handle', mode: t.kind === 'handle' ? t.mode : 'own', resource: def.name.name, interface: owner.name };
      return { kind: 'defined', name: def.name.name, interface: owner.name, def };
    }
  }
}

/** A type as WIT source text. */
export function typeText(t: TypeRef): string {
  switch (t.kind) {
    case 'primitive':
    case 'named':
      return t.name;
    case 'handle':
      return `${t.mode}<${t.resource.name}>`;
    default:
      return structuredText(t, typeText);
  }
}

export function resolvedText(t: ResolvedType): string {
  switch (t.kind) {
    case 'primitive':
    case 'defined':
    case 'unresolved':
      return t.name;
    case 'handle':
      return t.mode === 'own' ? t.resource : `borrow<${t.resource}>`;
    default:
      return structuredText(t, resolvedText);
  }
}

type Structured<T> =
  | { kind: 'list'; element: T; length?: number }
  | { kind: 'option'; inner: T }
  | { kind: 'result'; ok?: T; err?: T }
  | { kind: 'tuple'; items: T[] }
  | { kind: 'map'; key: T; value: T }
  | { kind: 'future' | 'stream'; inner?: T };

// One printer for the container types of both TypeRef and ResolvedType.
function structuredText<T>(t: Structured<T>, text: (t: T) => string): string {
  switch (t.kind) {
    case 'list':
      return `list<${text(t.element)}${t.length !== undefined ? `, ${t.length}` : ''}>`;
    case 'option':
      return `option<${text(t.inner)}>`;
    case 'result':
      if (!t.ok && !t.err) return 'result';
      return `result<${t.ok ? text(t.ok) : '_'}${t.err ? `, ${text(t.err)}` : ''}>`;
    case 'tuple':
      return `tuple<${t.items.map(text).join(', ')}>`;
    case 'map':
      return `map<${text(t.key)}, ${text(t.value)}>`;
    case 'future':
    case 'stream':
      return t.inner ? `${t.kind}<${text(t.inner)}>` : t.kind;
  }
}
