// Recursive-descent parser for one WIT file, following the EBNF of component-model
// design/mvp/WIT.md. It never throws: a syntax error becomes a diagnostic, the parser
// skips to the end of the broken item (`;` or its closing `}`) and carries on, so one
// typo does not hide the rest of the file from the editor.

import type {
  Case, Diagnostic, ExternTarget, Field, Func, FuncType, Gate, Ident, Include, Interface, InterfaceItem,
  ItemMeta, NestedPackage, PackageName, Param, Position, PrimitiveName, Range, ResourceMethod, TopLevelUse,
  TypeDef, TypeRef, UseItem, UseName, UsePath, WitFile, World, WorldItem,
} from './ast';
import { PRIMITIVES } from './ast';
import { KEYWORDS, Lexer, type Token } from './lexer';

export interface ParseResult {
  ast: WitFile;
  diagnostics: Diagnostic[];
}

export function parseWit(source: string, file = '<input>'): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const parser = new Parser(source, file, (d) => diagnostics.push(d));
  return { ast: parser.file(), diagnostics };
}

/** Thrown to abandon the current item; the diagnostic is already recorded. */
class ParseAbort extends Error {}

const PRIMITIVE_SET = new Set<string>(PRIMITIVES);
// Nesting bound: WIT types and blocks are shallow, and deep garbage must not overflow the stack.
const MAX_DEPTH = 200;

class Parser {
  private readonly lexer: Lexer;
  private tok: Token;
  private prevEnd: Position;
  private depth = 0;
  /** Braces consumed so far, for error recovery. */
  private braces = 0;

  constructor(
    source: string,
    private readonly fileName: string,
    private readonly report: (d: Diagnostic) => void,
  ) {
    this.lexer = new Lexer(source, report);
    this.tok = this.lexer.next();
    this.prevEnd = this.tok.range.start;
  }

  file(): WitFile {
    const ast: WitFile = { file: this.fileName, items: [] };
    // `package a:b;` at the top names the file's package; `package a:b { … }` is a nested one.
    if (this.isKeyword('package')) {
      this.item(() => {
        const meta = this.meta();
        const start = this.tok.range.start;
        this.advance();
        const name = this.packageName();
        if (this.isOp('{')) {
          ast.items.push(this.nestedPackage(meta, start, name));
        } else {
          this.expectOp(';');
          ast.package = name;
        }
      }, true);
    }
    while (this.tok.kind !== 'eof') {
      this.item(() => {
        const meta = this.meta();
        if (this.isKeyword('package')) {
          const start = this.tok.range.start;
          this.advance();
          const name = this.packageName();
          if (!this.isOp('{')) this.fail('a `package name;` declaration must come first in the file; here only `package name { … }` may appear');
          ast.items.push(this.nestedPackage(meta, start, name));
        } else {
          ast.items.push(this.packageItem(meta));
        }
      }, true);
    }
    return ast;
  }

  private nestedPackage(meta: ItemMeta, start: Position, name: PackageName): NestedPackage {
    const items: NestedPackage['items'] = [];
    this.block(() => items.push(this.packageItem(this.meta())), ['package']);
    return { ...meta, kind: 'package', name, items, range: this.rangeFrom(start) };
  }

  private packageItem(meta: ItemMeta): Interface | World | TopLevelUse {
    const start = this.tok.range.start;
    if (this.isKeyword('interface')) {
      this.advance();
      const name = this.ident();
      const items: InterfaceItem[] = [];
      this.block(() => items.push(this.interfaceItem()));
      return { ...meta, kind: 'interface', name, items, range: this.rangeFrom(start) };
    }
    if (this.isKeyword('world')) {
      this.advance();
      const name = this.ident();
      const items: WorldItem[] = [];
      this.block(() => items.push(this.worldItem()));
      return { ...meta, kind: 'world', name, items, range: this.rangeFrom(start) };
    }
    if (this.isKeyword('use')) {
      this.advance();
      const path = this.usePath();
      const as = this.eatKeyword('as') ? this.ident() : undefined;
      this.expectOp(';');
      return { ...meta, kind: 'top-use', path, as, range: this.rangeFrom(start) };
    }
    this.fail('expected `interface`, `world`, `use` or `package`');
  }

  private interfaceItem(): InterfaceItem {
    const meta = this.meta();
    const start = this.tok.range.start;
    if (this.isKeyword('use')) return this.useItem(meta);
    const typedef = this.typedef(meta);
    if (typedef) return typedef;
    const name = this.ident();
    this.expectOp(':');
    const type = this.funcType();
    this.expectOp(';');
    return { ...meta, kind: 'func', name, type, range: this.rangeFrom(start) } satisfies Func;
  }

  private worldItem(): WorldItem {
    const meta = this.meta();
    const start = this.tok.range.start;
    if (this.isKeyword('use')) return this.useItem(meta);
    if (this.isKeyword('import') || this.isKeyword('export')) {
      const kind = this.tok.value as 'import' | 'export';
      this.advance();
      const target = this.externTarget();
      return { ...meta, kind, target, range: this.rangeFrom(start) };
    }
    if (this.isKeyword('include')) {
      this.advance();
      const path = this.usePath();
      const renames: Include['with'] = [];
      if (this.eatKeyword('with')) {
        this.expectOp('{');
        do {
          if (this.isOp('}')) break;
          const from = this.ident();
          this.expectKeyword('as');
          renames.push({ from, to: this.ident() });
        } while (this.eatOp(','));
        this.expectOp('}');
      } else {
        this.expectOp(';');
      }
      return { ...meta, kind: 'include', path, with: renames, range: this.rangeFrom(start) };
    }
    const typedef = this.typedef(meta);
    if (typedef) return typedef;
    this.fail('expected `import`, `export`, `include`, `use` or a type definition');
  }

  private externTarget(): ExternTarget {
    const first = this.ident();
    // `a: b` names an import `a` of type `b`; `a:b/c` (no spaces round `:`) is a package path.
    const src = this.lexer.source;
    const colon = this.tok.range.start.offset;
    const separated = this.isOp(':') && (colon > first.range.end.offset || /\s/.test(src[colon + 1] ?? ''));
    if (separated) {
      this.advance();
      if (this.isKeyword('func') || this.isKeyword('async')) {
        const func = this.funcType();
        this.expectOp(';');
        return { kind: 'func', name: first, func };
      }
      if (this.eatKeyword('interface')) {
        const items: InterfaceItem[] = [];
        this.block(() => items.push(this.interfaceItem()));
        return { kind: 'interface', name: first, items };
      }
      const path = this.usePath();
      this.expectOp(';');
      return { kind: 'named-path', name: first, path };
    }
    const path = this.usePathAfter(first);
    this.expectOp(';');
    return { kind: 'path', path };
  }

  private useItem(meta: ItemMeta): UseItem {
    const start = this.tok.range.start;
    this.expectKeyword('use');
    const path = this.usePath();
    this.expectOp('.');
    this.expectOp('{');
    const names: UseName[] = [];
    do {
      if (this.isOp('}') && names.length > 0) break;
      const name = this.ident();
      names.push(this.eatKeyword('as') ? { name, as: this.ident() } : { name });
    } while (this.eatOp(','));
    this.expectOp('}');
    this.expectOp(';');
    return { ...meta, kind: 'use', path, names, range: this.rangeFrom(start) };
  }

  private usePath(): UsePath {
    return this.usePathAfter(this.ident());
  }

  // use-path ::= id | (id ':')+ id ('/' id)+ ('@' semver)?
  private usePathAfter(first: Ident): UsePath {
    const start = first.range.start;
    if (!this.isOp(':')) return { name: first, range: first.range };
    const segments = [first.name];
    while (this.eatOp(':')) segments.push(this.ident().name);
    let name: Ident | undefined;
    const nested: string[] = [];
    while (this.eatOp('/')) {
      if (name) nested.push(name.name);
      name = this.ident();
    }
    if (!name) this.fail(`expected \`/\` and an interface name after the package \`${segments.join(':')}\``);
    const version = this.eatOp('@') ? this.version() : undefined;
    const pkg = [segments.join(':'), ...nested].join('/');
    return { package: pkg, name, version, range: this.rangeFrom(start) };
  }

  // package-decl ::= 'package' (id ':')+ id ('/' id)* ('@' semver)?
  private packageName(): PackageName {
    const start = this.tok.range.start;
    const parts = [this.ident().name];
    this.expectOp(':');
    parts.push(this.ident().name);
    while (this.eatOp(':')) parts.push(this.ident().name);
    let name = parts.join(':');
    while (this.eatOp('/')) name += '/' + this.ident().name;
    const version = this.eatOp('@') ? this.version() : undefined;
    return { name, version, range: this.rangeFrom(start) };
  }

  /** A version after `@` or `=`: re-scanned from the raw text where the current token starts. */
  private version(): string {
    const v = this.lexer.readVersion(this.tok.range.start);
    if (!v) this.fail('expected a semantic version such as `1.0.0`', this.tok.range);
    this.prevEnd = v.range.end;
    this.tok = this.lexer.next();
    return v.value;
  }

  /** Docs, `@since`/`@unstable`/`@deprecated` gates and `@external-id` before an item. */
  private meta(): ItemMeta {
    const docs = this.tok.docs.length > 0 ? this.tok.docs.join('\n') : undefined;
    const gates: Gate[] = [];
    let externalId: string | undefined;
    const start = this.tok.range.start;
    while (this.isOp('@')) {
      const at = this.tok.range.start;
      this.advance();
      const kind = this.ident();
      this.expectOp('(');
      if (kind.name === 'external-id') {
        if (this.tok.kind !== 'string') this.fail('expected a string literal in `@external-id(…)`');
        externalId = this.tok.value;
        this.advance();
        this.expectOp(')');
        continue;
      }
      if (kind.name !== 'since' && kind.name !== 'unstable' && kind.name !== 'deprecated') {
        this.fail(`unknown annotation \`@${kind.name}\`: expected \`@since\`, \`@unstable\`, \`@deprecated\` or \`@external-id\``, kind.range);
      }
      const gate: Gate = { kind: kind.name, range: kind.range };
      do {
        if (this.isOp(')')) break;
        const key = this.ident();
        this.expectOp('=');
        if (key.name === 'version') gate.version = this.version();
        else if (key.name === 'feature') gate.feature = this.ident().name;
        else this.fail(`unknown field \`${key.name}\`: expected \`version\` or \`feature\``, key.range);
      } while (this.eatOp(','));
      this.expectOp(')');
      gate.range = this.rangeFrom(at);
      const needs = gate.kind === 'unstable' ? 'feature' : 'version';
      if (gate[needs] === undefined) this.error('syntax', `\`@${gate.kind}\` needs \`${needs} = …\``, gate.range);
      gates.push(gate);
    }
    return { docs, gates, externalId, range: { start, end: start } };
  }

  /** A type definition, or undefined when the current token does not start one. */
  private typedef(meta: ItemMeta): TypeDef | undefined {
    const start = this.tok.range.start;
    if (this.eatKeyword('type')) {
      const name = this.ident();
      this.expectOp('=');
      const type = this.type();
      this.expectOp(';');
      return { ...meta, kind: 'alias', name, type, range: this.rangeFrom(start) };
    }
    if (this.eatKeyword('record')) {
      const name = this.ident();
      const fields: Field[] = this.list('{', '}', () => {
        const docs = this.docsHere();
        const field = this.ident();
        this.expectOp(':');
        return { name: field, type: this.type(), docs };
      });
      return { ...meta, kind: 'record', name, fields, range: this.rangeFrom(start) };
    }
    if (this.eatKeyword('variant')) {
      const name = this.ident();
      const cases: Case[] = this.list('{', '}', () => {
        const docs = this.docsHere();
        const caseName = this.ident();
        let type: TypeRef | undefined;
        if (this.eatOp('(')) {
          type = this.type();
          this.expectOp(')');
        }
        return { name: caseName, type, docs };
      });
      if (cases.length === 0) this.error('syntax', `variant \`${name.name}\` needs at least one case`, name.range);
      return { ...meta, kind: 'variant', name, cases, range: this.rangeFrom(start) };
    }
    if (this.isKeyword('enum') || this.isKeyword('flags')) {
      const kind = this.tok.value;
      this.advance();
      const name = this.ident();
      const cases: Case[] = this.list('{', '}', () => ({ docs: this.docsHere(), name: this.ident() }));
      if (kind === 'flags') return { ...meta, kind: 'flags', name, flags: cases, range: this.rangeFrom(start) };
      if (cases.length === 0) this.error('syntax', `enum \`${name.name}\` needs at least one case`, name.range);
      return { ...meta, kind: 'enum', name, cases, range: this.rangeFrom(start) };
    }
    if (this.eatKeyword('resource')) {
      const name = this.ident();
      const methods: ResourceMethod[] = [];
      if (this.eatOp(';')) return { ...meta, kind: 'resource', name, methods, bodyless: true, range: this.rangeFrom(start) };
      this.block(() => methods.push(this.resourceMethod()));
      return { ...meta, kind: 'resource', name, methods, bodyless: false, range: this.rangeFrom(start) };
    }
    return undefined;
  }

  private resourceMethod(): ResourceMethod {
    const meta = this.meta();
    const start = this.tok.range.start;
    if (this.isKeyword('constructor')) {
      const name: Ident = { name: 'constructor', range: this.tok.range };
      this.advance();
      const typeStart = this.tok.range.start;
      const params = this.params();
      const result = this.eatOp('->') ? this.type() : undefined;
      this.expectOp(';');
      const type: FuncType = { async: false, params, result, range: this.rangeFrom(typeStart) };
      return { ...meta, kind: 'constructor', name, type, range: this.rangeFrom(start) };
    }
    const name = this.ident();
    this.expectOp(':');
    const kind = this.eatKeyword('static') ? 'static' : 'method';
    const type = this.funcType();
    this.expectOp(';');
    return { ...meta, kind, name, type, range: this.rangeFrom(start) };
  }

  // func-type ::= 'async'? 'func' param-list ('->' ty)?
  private funcType(): FuncType {
    const start = this.tok.range.start;
    const isAsync = this.eatKeyword('async');
    this.expectKeyword('func');
    const params = this.params();
    const result = this.eatOp('->') ? this.type() : undefined;
    return { async: isAsync, params, result, range: this.rangeFrom(start) };
  }

  private params(): Param[] {
    return this.list('(', ')', () => {
      const name = this.ident();
      this.expectOp(':');
      return { name, type: this.type() };
    });
  }

  private type(): TypeRef {
    if (++this.depth > MAX_DEPTH) this.fail('type nested too deeply');
    try {
      return this.typeInner();
    } finally {
      this.depth--;
    }
  }

  private typeInner(): TypeRef {
    const start = this.tok.range.start;
    const t = this.tok;
    if (t.kind === 'explicit') {
      this.advance();
      return { kind: 'named', name: t.value, range: t.range };
    }
    if (t.kind !== 'ident') this.fail(`expected a type, found ${describe(t)}`);
    if (PRIMITIVE_SET.has(t.value)) {
      this.advance();
      return { kind: 'primitive', name: t.value as PrimitiveName, range: t.range };
    }
    switch (t.value) {
      case 'list': {
        this.advance();
        this.expectOp('<');
        const element = this.type();
        let length: number | undefined;
        if (this.eatOp(',')) {
          if (this.tok.kind !== 'integer' || /^0/.test(this.tok.value)) this.fail('expected a list length (a positive integer)');
          length = Number(this.tok.value);
          this.advance();
        }
        this.expectOp('>');
        return { kind: 'list', element, length, range: this.rangeFrom(start) };
      }
      case 'option': {
        this.advance();
        this.expectOp('<');
        const inner = this.type();
        this.expectOp('>');
        return { kind: 'option', inner, range: this.rangeFrom(start) };
      }
      case 'result': {
        this.advance();
        if (!this.eatOp('<')) return { kind: 'result', range: t.range };
        const ok = this.eatOp('_') ? undefined : this.type();
        const err = this.eatOp(',') ? this.type() : undefined;
        if (!ok && !err) this.fail('`result<_>` is not valid: write `result`');
        this.expectOp('>');
        return { kind: 'result', ok, err, range: this.rangeFrom(start) };
      }
      case 'tuple': {
        this.advance();
        const items = this.list('<', '>', () => this.type());
        if (items.length === 0) this.fail('a tuple needs at least one type');
        return { kind: 'tuple', items, range: this.rangeFrom(start) };
      }
      case 'map': {
        this.advance();
        this.expectOp('<');
        const key = this.type();
        this.expectOp(',');
        const value = this.type();
        this.expectOp('>');
        return { kind: 'map', key, value, range: this.rangeFrom(start) };
      }
      case 'borrow':
      case 'own': {
        this.advance();
        this.expectOp('<');
        const resource = this.ident();
        this.expectOp('>');
        return { kind: 'handle', mode: t.value, resource, range: this.rangeFrom(start) };
      }
      case 'future':
      case 'stream': {
        this.advance();
        if (!this.eatOp('<')) return { kind: t.value, range: t.range };
        const inner = this.type();
        this.expectOp('>');
        return { kind: t.value, inner, range: this.rangeFrom(start) };
      }
    }
    if (KEYWORDS.has(t.value)) this.fail(`expected a type, found keyword \`${t.value}\` (write \`%${t.value}\` to use it as a name)`);
    this.advance();
    return { kind: 'named', name: t.value, range: t.range };
  }

  /** `open item (',' item)* ','? close`; an empty list is allowed. */
  private list<T>(open: string, close: string, item: () => T): T[] {
    this.expectOp(open);
    const items: T[] = [];
    while (!this.isOp(close)) {
      items.push(item());
      if (!this.eatOp(',')) break;
    }
    this.expectOp(close);
    return items;
  }

  /**
   * `{ item* }` where each item recovers on its own. A block still open when the file ends or when
   * a keyword that cannot start one of its items begins a line's item (`stopAt`) is reported at its
   * `{` and closed there, so the items after it are parsed and checked as usual.
   */
  private block(item: () => void, stopAt: readonly string[] = ['interface', 'world', 'package']): void {
    if (++this.depth > MAX_DEPTH) this.fail('blocks nested too deeply');
    try {
      const open = this.tok.range;
      this.expectOp('{');
      while (!this.isOp('}') && this.tok.kind !== 'eof' && !stopAt.some((kw) => this.isKeyword(kw))) this.item(item, false);
      if (this.eatOp('}')) return;
      const before = this.tok.kind === 'eof' ? 'the end of the file' : `\`${this.tok.value}\` on line ${this.tok.range.start.line}`;
      this.error('syntax', `this \`{\` is not closed: \`}\` expected before ${before}`, open);
      this.braces = Math.max(0, this.braces - 1);
    } finally {
      this.depth--;
    }
  }

  /**
   * Runs one item's parser; on a syntax error skips to the end of that item: past the
   * next `;` or balanced `{…}` group, or up to (not past) a `}` that closes the container.
   */
  private item(parse: () => void, topLevel: boolean): void {
    const base = this.braces;
    try {
      parse();
    } catch (e) {
      if (!(e instanceof ParseAbort)) throw e;
      let skipped = 0;
      while (this.tok.kind !== 'eof') {
        if (this.isOp('}') && this.braces === base && !topLevel) break; // closes the container
        // At top level, resynchronise on the next item keyword (after skipping something).
        if (topLevel && skipped > 0 && this.braces === base && this.startsTopLevelItem()) break;
        skipped++;
        const ends = (this.isOp(';') && this.braces === base) || (this.isOp('}') && this.braces === base + 1);
        this.advance();
        if (ends) break;
      }
    }
  }

  private startsTopLevelItem(): boolean {
    return ['interface', 'world', 'use', 'package'].some((kw) => this.isKeyword(kw)) || this.isOp('@');
  }

  // --- token helpers ---------------------------------------------------------

  private advance(): void {
    if (this.isOp('{')) this.braces++;
    // A stray `}` at top level must not make the count negative.
    else if (this.isOp('}')) this.braces = Math.max(0, this.braces - 1);
    this.prevEnd = this.tok.range.end;
    this.tok = this.lexer.next();
  }

  private docsHere(): string | undefined {
    return this.tok.docs.length > 0 ? this.tok.docs.join('\n') : undefined;
  }

  private isOp(op: string): boolean {
    return this.tok.kind === 'op' && this.tok.value === op;
  }

  private isKeyword(kw: string): boolean {
    return this.tok.kind === 'ident' && this.tok.value === kw;
  }

  private eatOp(op: string): boolean {
    if (!this.isOp(op)) return false;
    this.advance();
    return true;
  }

  private eatKeyword(kw: string): boolean {
    if (!this.isKeyword(kw)) return false;
    this.advance();
    return true;
  }

  private expectOp(op: string): void {
    if (!this.eatOp(op)) this.fail(`expected \`${op}\`, found ${describe(this.tok)}`);
  }

  private expectKeyword(kw: string): void {
    if (!this.eatKeyword(kw)) this.fail(`expected \`${kw}\`, found ${describe(this.tok)}`);
  }

  private ident(): Ident {
    const t = this.tok;
    if (t.kind === 'explicit' || (t.kind === 'ident' && !KEYWORDS.has(t.value))) {
      this.advance();
      return { name: t.value, range: t.range };
    }
    if (t.kind === 'ident') this.fail(`expected an identifier, found keyword \`${t.value}\` (write \`%${t.value}\` to use it as a name)`);
    this.fail(`expected an identifier, found ${describe(t)}`);
  }

  private rangeFrom(start: Position): Range {
    return { start, end: this.prevEnd };
  }

  private error(kind: Diagnostic['kind'], message: string, range: Range): void {
    this.report({ kind, message, range });
  }

  private fail(message: string, range: Range = this.tok.range): never {
    this.error('syntax', message, range);
    throw new ParseAbort(message);
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of file';
    case 'string':
      return 'a string';
    case 'integer':
      return `\`${t.value}\``;
    case 'explicit':
      return `\`%${t.value}\``;
    default:
      return `\`${t.value}\``;
  }
}
