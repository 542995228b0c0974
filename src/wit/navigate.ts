// What an editor asks of WIT source beyond diagnostics, without `vscode`: the outline of a file, the
// definition a name at a position refers to, every reference to a definition, and a hover text.
import type { Func, Ident, InterfaceItem, Range, ResourceMethod, TypeDef, TypeRef, WitFile, World } from './ast';
import { pathText, type Scope, type WitAnalysis } from './analyze';
import { typeText } from './signature';

export type SymbolKind = 'package' | 'interface' | 'world' | 'function' | 'method' | 'field' | 'case' | 'import' | 'export' | 'use'
  | 'record' | 'variant' | 'enum' | 'flags' | 'resource' | 'alias';

export interface WitSymbol {
  name: string;
  detail?: string;
  kind: SymbolKind;
  /** The whole item. */
  range: Range;
  /** Its name. */
  selectionRange: Range;
  children: WitSymbol[];
}

/** A named definition: where its name is written, and what it is. */
export interface Definition {
  file: string;
  name: Ident;
  what: { kind: 'type'; def: TypeDef; scope: Scope } | { kind: 'scope'; scope: Scope };
}

/** A name written in the source that refers to a definition. */
export interface Reference {
  file: string;
  range: Range;
  target: Definition | undefined;
}

// --- outline -----------------------------------------------------------------

/** The outline of one file: packages, interfaces and worlds, their types, functions and members. */
export function documentSymbols(file: WitFile): WitSymbol[] {
  return file.items.flatMap((item): WitSymbol[] => {
    switch (item.kind) {
      case 'package':
        return [symbol(item.name.name, 'package', item.range, item.name.range, item.items.flatMap((i) => (i.kind === 'top-use' ? [] : [scopeSymbol(i)])))];
      case 'top-use':
        return [];
      default:
        return [scopeSymbol(item)];
    }
  });
}

function scopeSymbol(item: { kind: 'interface' | 'world'; name: Ident; range: Range; items: (InterfaceItem | World['items'][number])[] }): WitSymbol {
  const children = item.items.flatMap((i): WitSymbol[] => {
    switch (i.kind) {
      case 'use':
        return i.names.map((n) => symbol((n.as ?? n.name).name, 'use', i.range, (n.as ?? n.name).range, [], pathText(i.path)));
      case 'func':
        return [funcSymbol(i)];
      case 'import':
      case 'export': {
        const t = i.target;
        if (t.kind === 'path') return [symbol(pathText(t.path), i.kind, i.range, t.path.range, [])];
        const detail = t.kind === 'func' ? funcDetail(t.func) : t.kind === 'named-path' ? pathText(t.path) : 'interface';
        const members = t.kind === 'interface' ? t.items.flatMap((m) => (m.kind === 'func' ? [funcSymbol(m)] : m.kind === 'use' ? [] : [typeSymbol(m)])) : [];
        return [symbol(t.name.name, i.kind, i.range, t.name.range, members, detail)];
      }
      case 'include':
        return [];
      default:
        return [typeSymbol(i)];
    }
  });
  return symbol(item.name.name, item.kind, item.range, item.name.range, children);
}

function funcSymbol(f: Func): WitSymbol {
  return symbol(f.name.name, 'function', f.range, f.name.range, [], funcDetail(f.type));
}

function typeSymbol(def: TypeDef): WitSymbol {
  const member = (kind: SymbolKind, items: { name: Ident; type?: TypeRef }[]) =>
    items.map((m) => symbol(m.name.name, kind, m.name.range, m.name.range, [], m.type ? typeText(m.type) : undefined));
  switch (def.kind) {
    case 'record':
      return symbol(def.name.name, 'record', def.range, def.name.range, member('field', def.fields));
    case 'variant':
      return symbol(def.name.name, 'variant', def.range, def.name.range, member('case', def.cases));
    case 'enum':
      return symbol(def.name.name, 'enum', def.range, def.name.range, member('case', def.cases));
    case 'flags':
      return symbol(def.name.name, 'flags', def.range, def.name.range, member('case', def.flags));
    case 'resource':
      return symbol(def.name.name, 'resource', def.range, def.name.range,
        def.methods.map((m) => symbol(m.name.name, 'method', m.range, m.name.range, [], funcDetail(m.type))));
    case 'alias':
      return symbol(def.name.name, 'alias', def.range, def.name.range, [], typeText(def.type));
  }
}

function symbol(name: string, kind: SymbolKind, range: Range, selectionRange: Range, children: WitSymbol[], detail?: string): WitSymbol {
  return { name, kind, range, selectionRange, children, detail };
}

function funcDetail(f: { params: { name: Ident; type: TypeRef }[]; result?: TypeRef }): string {
  const params = f.params.map((p) => `${p.name.name}: ${typeText(p.type)}`).join(', ');
  return `func(${params})${f.result ? ` -> ${typeText(f.result)}` : ''}`;
}

// --- references ----------------------------------------------------------------

/** Every name in the analysed files that refers to a type, an interface or a world, resolved. */
export function allReferences(analysis: WitAnalysis): Reference[] {
  const refs: Reference[] = [];
  const { resolver } = analysis;
  const scopeDef = (scope: Scope | undefined): Definition | undefined =>
    scope && 'name' in scope.def ? { file: scope.file, name: scope.def.name, what: { kind: 'scope', scope } } : undefined;
  const typeDef = (scope: Scope, name: string): Definition | undefined => {
    const t = resolver.lookupType(scope, name);
    return typeof t === 'object' ? { file: t.scope.file, name: t.def.name, what: { kind: 'type', def: t.def, scope: t.scope } } : undefined;
  };
  const typeRefs = (scope: Scope, t: TypeRef): void => {
    switch (t.kind) {
      case 'named': refs.push({ file: scope.file, range: t.range, target: typeDef(scope, t.name) }); return;
      case 'handle': refs.push({ file: scope.file, range: t.resource.range, target: typeDef(scope, t.resource.name) }); return;
      case 'list': typeRefs(scope, t.element); return;
      case 'option': typeRefs(scope, t.inner); return;
      case 'result': if (t.ok) typeRefs(scope, t.ok); if (t.err) typeRefs(scope, t.err); return;
      case 'tuple': t.items.forEach((i) => typeRefs(scope, i)); return;
      case 'map': typeRefs(scope, t.key); typeRefs(scope, t.value); return;
      case 'future': case 'stream': if (t.inner) typeRefs(scope, t.inner); return;
      case 'primitive': return;
    }
  };
  const funcRefs = (scope: Scope, f: { params: { type: TypeRef }[]; result?: TypeRef }) => {
    f.params.forEach((p) => typeRefs(scope, p.type));
    if (f.result) typeRefs(scope, f.result);
  };
  const items = (scope: Scope, list: readonly (InterfaceItem | World['items'][number])[]): void => {
    for (const item of list) {
      switch (item.kind) {
        case 'use': {
          const target = resolver.lookupPath(scope, item.path);
          refs.push({ file: scope.file, range: item.path.name.range, target: scopeDef(target) });
          for (const n of item.names) refs.push({ file: scope.file, range: n.name.range, target: target && typeDef(target, n.name.name) });
          break;
        }
        case 'func': funcRefs(scope, item.type); break;
        case 'include': refs.push({ file: scope.file, range: item.path.name.range, target: scopeDef(resolver.lookupPath(scope, item.path)) }); break;
        case 'import':
        case 'export': {
          const t = item.target;
          if (t.kind === 'path' || t.kind === 'named-path') refs.push({ file: scope.file, range: t.path.name.range, target: scopeDef(resolver.lookupPath(scope, t.path)) });
          else if (t.kind === 'func') funcRefs(scope, t.func);
          else items(scope, t.items);
          break;
        }
        case 'alias': typeRefs(scope, item.type); break;
        case 'record': item.fields.forEach((f) => typeRefs(scope, f.type)); break;
        case 'variant': item.cases.forEach((c) => c.type && typeRefs(scope, c.type)); break;
        case 'resource': item.methods.forEach((m) => funcRefs(scope, m.type)); break;
        default: break;
      }
    }
  };
  for (const pkg of [analysis.root, ...analysis.nested]) for (const scope of pkg.items.values()) items(scope, scope.def.items);
  return refs;
}

/** Every definition's name in the analysed files (types, interfaces, worlds). */
export function allDefinitions(analysis: WitAnalysis): Definition[] {
  const defs: Definition[] = [];
  for (const pkg of [analysis.root, ...analysis.nested]) {
    for (const scope of pkg.items.values()) {
      if ('name' in scope.def) defs.push({ file: scope.file, name: scope.def.name, what: { kind: 'scope', scope } });
      for (const entry of scope.entries.values()) {
        if (entry.kind === 'type') defs.push({ file: scope.file, name: entry.def.name, what: { kind: 'type', def: entry.def, scope } });
      }
    }
  }
  return defs;
}

/** The definition named at `offset` of `file`: by a reference to it, or by its own name. */
export function definitionAt(analysis: WitAnalysis, file: string, offset: number): Definition | undefined {
  const inside = (r: Range) => r.start.offset <= offset && offset <= r.end.offset;
  const ref = allReferences(analysis).find((r) => r.file === file && inside(r.range));
  if (ref) return ref.target;
  return allDefinitions(analysis).find((d) => d.file === file && inside(d.name.range));
}

/** Where `def` is referred to (and, with `includeDeclaration`, its own name). */
export function referencesTo(analysis: WitAnalysis, def: Definition, includeDeclaration: boolean): { file: string; range: Range }[] {
  const same = (d: Definition | undefined) => d !== undefined && d.file === def.file && d.name.range.start.offset === def.name.range.start.offset;
  const refs = allReferences(analysis).filter((r) => same(r.target)).map(({ file, range }) => ({ file, range }));
  return includeDeclaration ? [{ file: def.file, range: def.name.range }, ...refs] : refs;
}

/** A hover's text (Markdown): what the definition is, where it lives, its docs. */
export function hoverText(def: Definition): string {
  const { what } = def;
  if (what.kind === 'scope') {
    const { scope } = what;
    const where = scope.pkg.name ? ` in package \`${scope.pkg.name}${scope.pkg.version ? `@${scope.pkg.version}` : ''}\`` : '';
    return [`${scope.kind} \`${scope.name}\`${where}`, (scope.def as { docs?: string }).docs].filter(Boolean).join('\n\n');
  }
  const { def: t, scope } = what;
  return [`\`\`\`wit\n${typeDefText(t)}\n\`\`\``, `${t.kind === 'alias' ? 'type' : t.kind} in ${scope.kind} \`${scope.name}\``, t.docs].filter(Boolean).join('\n\n');
}

/** A definition as WIT, members one per line. */
function typeDefText(t: TypeDef): string {
  const body = (lines: string[], end: string) => (lines.length ? ` {\n${lines.map((l) => `    ${l}${end}`).join('\n')}\n}` : ' {}');
  switch (t.kind) {
    case 'alias': return `type ${t.name.name} = ${typeText(t.type)};`;
    case 'record': return `record ${t.name.name}${body(t.fields.map((f) => `${f.name.name}: ${typeText(f.type)}`), ',')}`;
    case 'variant': return `variant ${t.name.name}${body(t.cases.map((c) => (c.type ? `${c.name.name}(${typeText(c.type)})` : c.name.name)), ',')}`;
    case 'enum': return `enum ${t.name.name}${body(t.cases.map((c) => c.name.name), ',')}`;
    case 'flags': return `flags ${t.name.name}${body(t.flags.map((c) => c.name.name), ',')}`;
    case 'resource': {
      if (t.bodyless) return `resource ${t.name.name};`;
      const method = (m: ResourceMethod) =>
        m.kind === 'constructor' ? `constructor${funcDetail(m.type).slice('func'.length)}` : `${m.name.name}: ${m.kind === 'static' ? 'static ' : ''}${funcDetail(m.type)}`;
      return `resource ${t.name.name}${body(t.methods.map(method), ';')}`;
    }
  }
}
