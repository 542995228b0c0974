// Name resolution and validation over a set of WIT files (normally one `wit/` folder) and the
// packages of its `deps/` folder: duplicate names, unknown types, `use`/`import`/`export`/`include`
// targets that do not exist, unknown packages and versions, handles of non-resources. Without a
// deps folder, references into other packages (e.g. `wasi:io/streams`) cannot be checked and are
// accepted silently.

import type {
  Diagnostic, DiagnosticKind, Func, FuncType, Ident, Include, Interface, InterfaceItem, Range, TopLevelUse,
  TypeDef, TypeRef, UseItem, UsePath, WitFile, World,
} from './ast';
import { PRIMITIVES } from './ast';
import { parseWit } from './parser';
import { withSuggestion } from './suggest';

export interface WitSource {
  file: string;
  text: string;
}

/** One interface, world or inline `import x: interface { … }` with its names. */
export interface Scope {
  kind: 'interface' | 'world';
  name: string;
  file: string;
  pkg: PackageModel;
  /** Lower-cased name → what it names. Types, functions and `use`d names share one namespace. */
  entries: Map<string, Entry>;
  def: Interface | World | { items: InterfaceItem[] };
}

export type Entry =
  | { kind: 'type'; def: TypeDef }
  | { kind: 'use'; item: UseItem; original: Ident; local: Ident }
  | { kind: 'func'; func: Func };

export interface PackageModel {
  /** `ns:pkg`, or undefined when no file declares one. */
  name?: string;
  version?: string;
  /** Interfaces and worlds share one namespace per package (lower-cased keys). */
  items: Map<string, Scope>;
}

export interface WitAnalysis {
  files: WitFile[];
  /** Syntax and semantic diagnostics of every file, each with `file` set. */
  diagnostics: Diagnostic[];
  /** The package of the top-level items (the "root package"). */
  root: PackageModel;
  /** Packages defined inline with `package a:b { … }`. */
  nested: PackageModel[];
  /** The packages of the deps folder (and those they define inline); not checked, only resolved into. */
  deps: PackageModel[];
  resolver: TypeResolver;
}

export interface TypeResolver {
  /** The definition the type name `name` denotes in `scope`, following `use` chains. */
  lookupType(scope: Scope, name: string): TypeTarget;
  /** The interface or world a `use`, `import`, `export` or `include` path names, when it is among the files. */
  lookupPath(scope: Scope, path: UsePath): Scope | undefined;
}

/**
 * Parses and checks the files of one package (plus any nested packages they define). `deps` are the
 * parsed packages of its deps folder, one list of files per package; without it (no deps folder),
 * references into other packages are not checked.
 */
export function analyzeWit(sources: WitSource[], deps?: WitFile[][]): WitAnalysis {
  const diagnostics: Diagnostic[] = [];
  const files = sources.map(({ file, text }) => {
    const { ast, diagnostics: ds } = parseWit(text, file);
    for (const d of ds) diagnostics.push({ ...d, file });
    return ast;
  });
  const fileIndex = new Map(sources.map((s, i) => [s.file, i]));
  // The deps' own mistakes are theirs: only the analysed files' diagnostics are kept.
  const analyzer = new Analyzer(files, deps, (d) => fileIndex.has(d.file ?? '') && diagnostics.push(d));
  analyzer.run();
  // In file order, then by position, as a problems list shows them.
  diagnostics.sort((a, b) => (fileIndex.get(a.file ?? '') ?? 0) - (fileIndex.get(b.file ?? '') ?? 0) || a.range.start.offset - b.range.start.offset);
  return { files, diagnostics, root: analyzer.root, nested: analyzer.nested, deps: analyzer.deps, resolver: analyzer };
}

/**
 * What a path names: a scope among the files; `external` when it cannot be checked (another package and
 * no deps folder); `no-package` or `no-version` when the deps folder lacks that package (or version).
 */
type InterfaceTarget =
  | { kind: 'local'; scope: Scope }
  | { kind: 'external' }
  | { kind: 'no-package' | 'no-version'; versions: string[] }
  | undefined;

export type TypeTarget = { def: TypeDef; scope: Scope } | 'external' | undefined;

class Analyzer implements TypeResolver {
  readonly root: PackageModel = { items: new Map() };
  readonly nested: PackageModel[] = [];
  readonly deps: PackageModel[] = [];
  /** Per file: lower-cased top-level `use … as x` name → the `use`. */
  private readonly aliases = new Map<string, Map<string, TopLevelUse>>();

  constructor(
    private readonly files: WitFile[],
    private readonly depFiles: WitFile[][] | undefined,
    private readonly report: (d: Diagnostic) => void,
  ) {}

  run(): void {
    this.collect(this.files, this.root, this.nested);
    for (const files of this.depFiles ?? []) {
      const pkg: PackageModel = { items: new Map() };
      this.deps.push(pkg);
      this.collect(files, pkg, this.deps);
    }
    for (const pkg of [this.root, ...this.nested]) for (const scope of pkg.items.values()) this.checkScope(scope);
  }

  // --- building the model ----------------------------------------------------

  /** Fills `pkg` from the files of one package; the packages they define inline go to `nested`. */
  private collect(files: WitFile[], pkg: PackageModel, nested: PackageModel[]): void {
    let rootDecl: { name: string; version?: string; file: string } | undefined;
    for (const f of files) {
      if (f.package) {
        const { name, version } = f.package;
        if (!rootDecl) {
          rootDecl = { name, version, file: f.file };
          Object.assign(pkg, { name, version });
        } else if (rootDecl.name !== name || rootDecl.version !== version) {
          const want = rootDecl.name + (rootDecl.version ? `@${rootDecl.version}` : '');
          this.error(f.file, 'invalid', `package \`${name}${version ? `@${version}` : ''}\` differs from \`${want}\` declared in ${rootDecl.file}`, f.package.range);
        }
      }
      const aliases = new Map<string, TopLevelUse>();
      this.aliases.set(f.file, aliases);
      for (const item of f.items) {
        if (item.kind === 'package') {
          const inner: PackageModel = { name: item.name.name, version: item.name.version, items: new Map() };
          nested.push(inner);
          for (const i of item.items) this.addPackageItem(f.file, inner, i, aliases);
        } else {
          this.addPackageItem(f.file, pkg, item, aliases);
        }
      }
    }
    const first = files.find((f) => f.items.length > 0);
    if (!rootDecl && first) {
      this.error(first.file, 'invalid', 'no file of this package declares it with `package namespace:name;`', first.items[0].range);
    }
  }

  private addPackageItem(file: string, pkg: PackageModel, item: Interface | World | TopLevelUse, aliases: Map<string, TopLevelUse>): void {
    if (item.kind === 'top-use') {
      const local = item.as ?? item.path.name;
      this.define(aliases, local, item, file, 'name');
      return;
    }
    const scope = this.scope(item.kind, item.name.name, file, pkg, item, item.items);
    this.define(pkg.items, item.name, scope, file, pkg.name ? `package \`${pkg.name}\`` : 'this package');
  }

  /** Builds a scope and reports duplicate names in it. */
  private scope(kind: Scope['kind'], name: string, file: string, pkg: PackageModel, def: Scope['def'], items: readonly (InterfaceItem | World['items'][number])[]): Scope {
    const scope: Scope = { kind, name, file, pkg, def, entries: new Map() };
    const where = `${kind} \`${name}\``;
    for (const item of items) {
      if (item.kind === 'use') {
        for (const n of item.names) this.define(scope.entries, n.as ?? n.name, { kind: 'use', item, original: n.name, local: n.as ?? n.name }, file, where);
      } else if (item.kind === 'func') {
        this.define(scope.entries, item.name, { kind: 'func', func: item }, file, where);
      } else if (isTypeDef(item)) {
        this.define(scope.entries, item.name, { kind: 'type', def: item }, file, where);
      }
      // World imports/exports have namespaces of their own: checked in checkWorld.
    }
    return scope;
  }

  /** Adds `name` to `map` unless a case-insensitively equal name is there already. */
  private define<T>(map: Map<string, T>, name: Ident, value: T, file: string, where: string): void {
    const key = name.name.toLowerCase();
    if (map.has(key)) this.error(file, 'duplicate', `\`${name.name}\` is defined more than once in ${where}`, name.range);
    else map.set(key, value);
  }

  // --- checking --------------------------------------------------------------

  private checkScope(scope: Scope): void {
    const items = scope.def.items;
    if (scope.kind === 'world') this.checkWorld(scope, scope.def as World);
    for (const item of items) {
      this.checkGates(scope, item);
      if (item.kind === 'use') this.checkUse(scope, item);
      else if (item.kind === 'func') this.checkFunc(scope, item.type);
      else if (isTypeDef(item)) this.checkTypeDef(scope, item);
    }
  }

  private checkGates(scope: Scope, item: { gates: { kind: string; range: Range }[] }): void {
    const kinds = new Set(item.gates.map((g) => g.kind));
    if (kinds.has('since') && kinds.has('unstable')) {
      this.error(scope.file, 'invalid', 'an item may have `@since` or `@unstable`, not both', item.gates[0].range);
    }
    if (item.gates.length > 0 && scope.pkg.name && !scope.pkg.version) {
      this.error(scope.file, 'invalid', `a package with feature gates needs a version (\`package ${scope.pkg.name}@x.y.z;\`)`, item.gates[0].range);
    }
  }

  private checkUse(scope: Scope, item: UseItem): void {
    const target = this.resolveInterface(scope.file, scope.pkg, item.path, true);
    if (target?.kind !== 'local') return;
    for (const n of item.names) {
      const entry = target.scope.entries.get(n.name.name.toLowerCase());
      if (!entry) {
        const message = `interface \`${target.scope.name}\` has no type \`${n.name.name}\``;
        this.error(scope.file, 'unknown-name', withSuggestion(message, n.name.name, typeNames(target.scope)), n.name.range);
      }
      else if (entry.kind === 'func') this.error(scope.file, 'invalid', `\`${n.name.name}\` is a function: only types can be used`, n.name.range);
    }
  }

  private checkTypeDef(scope: Scope, def: TypeDef): void {
    const where = `\`${def.name.name}\``;
    switch (def.kind) {
      case 'alias':
        this.checkType(scope, def.type);
        if (this.aliasCycle(scope, def)) this.error(scope.file, 'invalid', `type \`${def.name.name}\` refers to itself`, def.name.range);
        break;
      case 'record':
        this.unique(scope.file, def.fields, `record ${where}`);
        for (const f of def.fields) this.checkType(scope, f.type);
        break;
      case 'variant':
        this.unique(scope.file, def.cases, `variant ${where}`);
        for (const c of def.cases) if (c.type) this.checkType(scope, c.type);
        break;
      case 'enum':
        this.unique(scope.file, def.cases, `enum ${where}`);
        break;
      case 'flags':
        this.unique(scope.file, def.flags, `flags ${where}`);
        break;
      case 'resource': {
        this.unique(scope.file, def.methods, `resource ${where}`);
        for (const m of def.methods) {
          this.checkGates(scope, m);
          this.checkFunc(scope, m.type);
          if (m.kind === 'constructor' && m.type.result && !this.isResultOf(scope, m.type.result, def)) {
            this.error(scope.file, 'invalid', `a constructor returns nothing or \`result<${def.name.name}, …>\``, m.type.result.range);
          }
        }
        break;
      }
    }
  }

  private isResultOf(scope: Scope, t: TypeRef, resource: TypeDef): boolean {
    if (t.kind !== 'result' || t.ok?.kind !== 'named') return false;
    const target = this.lookupType(scope, t.ok.name);
    return typeof target === 'object' && target.def === resource;
  }

  private unique(file: string, items: { name: Ident }[], where: string): void {
    const seen = new Map<string, null>();
    for (const i of items) this.define(seen, i.name, null, file, where);
  }

  private checkFunc(scope: Scope, type: FuncType): void {
    const seen = new Map<string, null>();
    for (const p of type.params) {
      this.define(seen, p.name, null, scope.file, 'this parameter list');
      this.checkType(scope, p.type);
    }
    if (type.result) this.checkType(scope, type.result);
  }

  private checkType(scope: Scope, t: TypeRef): void {
    switch (t.kind) {
      case 'primitive':
        return;
      case 'named':
        if (this.lookupType(scope, t.name) === undefined) this.unknownType(scope, t.name, t.range);
        return;
      case 'handle': {
        const target = this.lookupType(scope, t.resource.name);
        if (target === undefined) this.unknownType(scope, t.resource.name, t.resource.range);
        else if (target !== 'external' && this.aliased(target).def.kind !== 'resource') {
          this.error(scope.file, 'invalid', `\`${t.mode}<${t.resource.name}>\` needs a resource, and \`${t.resource.name}\` is not one`, t.resource.range);
        }
        return;
      }
      case 'list':
        return this.checkType(scope, t.element);
      case 'option':
        return this.checkType(scope, t.inner);
      case 'result':
        if (t.ok) this.checkType(scope, t.ok);
        if (t.err) this.checkType(scope, t.err);
        return;
      case 'tuple':
        for (const i of t.items) this.checkType(scope, i);
        return;
      case 'map':
        this.checkType(scope, t.key);
        this.checkType(scope, t.value);
        return;
      case 'future':
      case 'stream':
        if (t.inner) this.checkType(scope, t.inner);
        return;
    }
  }

  private unknownType(scope: Scope, name: string, range: Range): void {
    const message = `unknown type \`${name}\` in ${scope.kind} \`${scope.name}\``;
    this.error(scope.file, 'unknown-type', withSuggestion(message, name, [...typeNames(scope), ...PRIMITIVES]), range);
  }

  /** Follows `type a = b;` aliases to the definition they name (stops on cycles). */
  private aliased(target: { def: TypeDef; scope: Scope }): { def: TypeDef; scope: Scope } {
    const seen = new Set<TypeDef>();
    let cur = target;
    while (cur.def.kind === 'alias' && cur.def.type.kind === 'named' && !seen.has(cur.def)) {
      seen.add(cur.def);
      const next = this.lookupType(cur.scope, cur.def.type.name);
      if (typeof next !== 'object') break;
      cur = next;
    }
    return cur;
  }

  private aliasCycle(scope: Scope, def: TypeDef): boolean {
    const seen = new Set<TypeDef>([def]);
    let cur: { def: TypeDef; scope: Scope } = { def, scope };
    while (cur.def.kind === 'alias' && cur.def.type.kind === 'named') {
      const next = this.lookupType(cur.scope, cur.def.type.name);
      if (typeof next !== 'object') return false;
      if (seen.has(next.def)) return next.def === def;
      seen.add(next.def);
      cur = next;
    }
    return false;
  }

  private checkWorld(scope: Scope, world: World): void {
    // Imports share their namespace with the world's types and `use`d names; exports have their own.
    const imports = new Map<string, unknown>(scope.entries);
    const exports = new Map<string, unknown>();
    const file = scope.file;
    for (const item of world.items) {
      if (item.kind !== 'import' && item.kind !== 'export') continue;
      const names = item.kind === 'import' ? imports : exports;
      const t = item.target;
      const where = `the ${item.kind}s of world \`${world.name.name}\``;
      if (t.kind === 'path') {
        const target = this.resolveInterface(file, scope.pkg, t.path, false);
        const id = target?.kind === 'local' ? this.interfaceId(target.scope) : pathText(t.path);
        this.define(names, { name: id, range: t.path.range }, null, file, where);
        continue;
      }
      this.define(names, t.name, null, file, where);
      if (t.kind === 'func') this.checkFunc(scope, t.func);
      else if (t.kind === 'named-path') this.resolveInterface(file, scope.pkg, t.path, false);
      else this.checkScope(this.scope('interface', t.name.name, file, scope.pkg, { items: t.items }, t.items));
    }
    for (const item of world.items) if (item.kind === 'include') this.checkInclude(scope, item, imports, exports);
  }

  /** The id an interface import de-duplicates on: `ns:pkg/name` or the bare name. */
  private interfaceId(s: Scope): string {
    return s.pkg.name ? `${s.pkg.name}/${s.name}` : s.name;
  }

  private checkInclude(scope: Scope, item: Include, imports: Map<string, unknown>, exports: Map<string, unknown>): void {
    const target = this.resolvePath(scope.file, scope.pkg, item.path);
    if (target?.kind !== 'local') return;
    if (target.scope.kind !== 'world') {
      this.error(scope.file, 'invalid', `\`include\` needs a world, and \`${target.scope.name}\` is an interface`, item.path.name.range);
      return;
    }
    const included = target.scope.def as World;
    const renames = new Map(item.with.map((w) => [w.from.name.toLowerCase(), w.to.name]));
    const plain = { imports: new Set<string>(), exports: new Set<string>() };
    for (const i of included.items) {
      if ((i.kind === 'import' || i.kind === 'export') && i.target.kind !== 'path') {
        plain[i.kind === 'import' ? 'imports' : 'exports'].add(i.target.name.name.toLowerCase());
      }
    }
    for (const w of item.with) {
      const from = w.from.name.toLowerCase();
      if (!plain.imports.has(from) && !plain.exports.has(from)) {
        this.error(scope.file, 'unknown-name', `world \`${included.name.name}\` has no plain-named import or export \`${w.from.name}\``, w.from.range);
      }
    }
    // Names the included world brings in clash with the including world's own names
    // (wit-parser: "import of `x` shadows previously imported items").
    const clash = (names: Map<string, unknown>, name: string, what: string) => {
      const local = renames.get(name.toLowerCase()) ?? name;
      if (names.has(local.toLowerCase())) {
        this.error(scope.file, 'duplicate', `\`${local}\` is already ${what} world \`${scope.name}\` by \`include ${included.name.name}\``, item.path.range);
      }
    };
    for (const e of target.scope.entries.values()) clash(imports, entryName(e).name, 'imported into');
    for (const name of plain.imports) clash(imports, name, 'imported into');
    for (const name of plain.exports) clash(exports, name, 'exported from');
  }

  // --- lookups ---------------------------------------------------------------

  /** Resolves an interface reference; `forUse` words the error for `use` items. */
  private resolveInterface(file: string, pkg: PackageModel, path: UsePath, forUse: boolean): InterfaceTarget {
    const target = this.resolvePath(file, pkg, path);
    if (target?.kind === 'local' && target.scope.kind !== 'interface') {
      this.error(file, 'invalid', `\`${target.scope.name}\` is a world; ${forUse ? '`use`' : '`import` and `export`'} need an interface`, path.name.range);
      return undefined;
    }
    return target;
  }

  private resolvePath(file: string, pkg: PackageModel, path: UsePath): InterfaceTarget {
    const found = this.findPath(file, pkg, path, true);
    if (found === undefined) {
      const target = (path.package && this.findPackage(path.package, path.version)) || pkg;
      const where = target.name ? `package \`${packageText(target)}\`` : 'this package';
      const names = [...target.items.values()].map((i) => i.name);
      this.error(file, 'unknown-name', withSuggestion(`no interface or world \`${path.name.name}\` in ${where}`, path.name.name, names), path.name.range);
    } else if (found.kind === 'no-version') {
      const have = found.versions.map((v) => `\`${path.package}${v ? `@${v}` : ''}\``).join(', ');
      this.error(file, 'unknown-name', `no package \`${path.package}${path.version ? `@${path.version}` : ''}\`: the deps folder has ${have}`, path.range);
    } else if (found.kind === 'no-package') {
      const names = this.packages().flatMap((p) => (p.name ? [p.name] : []));
      const known = names.length ? `the known packages are ${names.map((n) => `\`${n}\``).join(', ')}` : 'the deps folder has none';
      this.error(file, 'unknown-name', withSuggestion(`unknown package \`${path.package}\` (${known})`, path.package ?? '', names), path.range);
    }
    return found;
  }

  /** Every package a qualified path can name: the analysed ones and the deps. */
  private packages(): PackageModel[] {
    return [this.root, ...this.nested, ...this.deps];
  }

  /** As in wit-parser, a package is found by name and version, whatever its folder or file is called. */
  private findPackage(name: string, version: string | undefined): PackageModel | undefined {
    return this.packages().find((p) => p.name === name && p.version === version);
  }

  private findPath(file: string, pkg: PackageModel, path: UsePath, useAliases: boolean): InterfaceTarget {
    const key = path.name.name.toLowerCase();
    if (path.package === undefined) {
      // A file's top-level `use … as x` comes first, then the package's own items.
      const alias = useAliases ? this.aliases.get(file)?.get(key) : undefined;
      if (alias) return this.findPath(file, pkg, alias.path, false);
      const scope = pkg.items.get(key);
      return scope ? { kind: 'local', scope } : undefined;
    }
    const target = this.findPackage(path.package, path.version);
    if (!target) {
      if (!this.depFiles) return { kind: 'external' };
      const versions = this.packages().filter((p) => p.name === path.package).map((p) => p.version ?? '');
      return { kind: versions.length ? 'no-version' : 'no-package', versions };
    }
    const scope = target.items.get(key);
    return scope ? { kind: 'local', scope } : undefined;
  }

  lookupPath(scope: Scope, path: UsePath): Scope | undefined {
    const found = this.findPath(scope.file, scope.pkg, path, true);
    return found?.kind === 'local' ? found.scope : undefined;
  }

  /** The type `name` denotes in `scope`, following `use` chains; `seen` guards `use` cycles. */
  lookupType(scope: Scope, name: string, seen = new Set<Entry>()): TypeTarget {
    const entry = scope.entries.get(name.toLowerCase());
    if (!entry || entry.kind === 'func' || seen.has(entry)) return undefined;
    if (entry.kind === 'type') return { def: entry.def, scope };
    seen.add(entry);
    const target = this.findPath(scope.file, scope.pkg, entry.item.path, true);
    if (target?.kind !== 'local') return 'external'; // unchecked, or the `use` itself is reported as unknown
    return this.lookupType(target.scope, entry.original.name, seen);
  }

  private error(file: string, kind: DiagnosticKind, message: string, range: Range): void {
    this.report({ kind, message, range, file });
  }
}

/** A `use`/`import` path as written: `ns:pkg/name@version` or the bare name. */
export function pathText(p: UsePath): string {
  return p.package ? `${p.package}/${p.name.name}${p.version ? `@${p.version}` : ''}` : p.name.name;
}

/** `ns:pkg@version` of a named package. */
function packageText(p: PackageModel): string {
  return `${p.name ?? ''}${p.version ? `@${p.version}` : ''}`;
}

/** The names a scope defines or `use`s as types. */
function typeNames(scope: Scope): string[] {
  return [...scope.entries.values()].filter((e) => e.kind !== 'func').map((e) => entryName(e).name);
}

function entryName(e: Entry): Ident {
  return e.kind === 'type' ? e.def.name : e.kind === 'use' ? e.local : e.func.name;
}

function isTypeDef(item: InterfaceItem | World['items'][number]): item is TypeDef {
  return !['use', 'func', 'import', 'export', 'include'].includes(item.kind);
}
