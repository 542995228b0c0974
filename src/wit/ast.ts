// Typed syntax tree of a WIT file. Every node keeps its source range so editors can
// point at it. Lines and columns are 1-based; columns and offsets count UTF-16 code
// units (JavaScript string indices), so `offset` feeds `TextDocument.positionAt` directly.

export interface Position {
  offset: number;
  line: number;
  column: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export type DiagnosticKind =
  | 'syntax' // the text does not follow the WIT grammar
  | 'unknown-type' // a type name that is not defined or `use`d in scope
  | 'unknown-name' // a `use`, `import`, `export` or `include` that names nothing known
  | 'duplicate' // a name defined twice in one scope (names compare case-insensitively)
  | 'invalid'; // well-formed but not valid WIT (e.g. `borrow` of a non-resource)

export interface Diagnostic {
  kind: DiagnosticKind;
  message: string;
  range: Range;
  /** Set by `analyzeWit` to the file the range is in. */
  file?: string;
}

/** An identifier as written, with `%` removed. */
export interface Ident {
  name: string;
  range: Range;
}

export interface Gate {
  kind: 'since' | 'unstable' | 'deprecated';
  version?: string;
  feature?: string;
  range: Range;
}

/** What every item that can carry docs, gates and `@external-id` has. */
export interface ItemMeta {
  range: Range;
  docs?: string;
  gates: Gate[];
  externalId?: string;
}

export const PRIMITIVES = ['u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64', 'f32', 'f64', 'char', 'bool', 'string', 'error-context'] as const;
export type PrimitiveName = (typeof PRIMITIVES)[number];

export type TypeRef =
  | { kind: 'primitive'; name: PrimitiveName; range: Range }
  | { kind: 'named'; name: string; range: Range }
  | { kind: 'list'; element: TypeRef; length?: number; range: Range }
  | { kind: 'option'; inner: TypeRef; range: Range }
  | { kind: 'result'; ok?: TypeRef; err?: TypeRef; range: Range }
  | { kind: 'tuple'; items: TypeRef[]; range: Range }
  | { kind: 'map'; key: TypeRef; value: TypeRef; range: Range }
  | { kind: 'handle'; mode: 'borrow' | 'own'; resource: Ident; range: Range }
  | { kind: 'future' | 'stream'; inner?: TypeRef; range: Range };

export interface Param {
  name: Ident;
  type: TypeRef;
}

export interface FuncType {
  async: boolean;
  params: Param[];
  result?: TypeRef;
  range: Range;
}

export interface Func extends ItemMeta {
  kind: 'func';
  name: Ident;
  type: FuncType;
}

export interface ResourceMethod extends ItemMeta {
  /** `method` takes an implicit `self: borrow<R>`; a constructor's name is `constructor`. */
  kind: 'method' | 'static' | 'constructor';
  name: Ident;
  type: FuncType;
}

export interface Field {
  name: Ident;
  type: TypeRef;
  docs?: string;
}

export interface Case {
  name: Ident;
  type?: TypeRef;
  docs?: string;
}

export type TypeDef = ItemMeta & { name: Ident } & (
    | { kind: 'alias'; type: TypeRef }
    | { kind: 'record'; fields: Field[] }
    | { kind: 'variant'; cases: Case[] }
    | { kind: 'enum'; cases: Case[] }
    | { kind: 'flags'; flags: Case[] }
    | { kind: 'resource'; methods: ResourceMethod[]; /** `resource r;` without a body */ bodyless: boolean }
  );

/** `id`, `ns:pkg/id@1.0.0`, or with nested namespaces `a:b:c/d/e`. */
export interface UsePath {
  /** `ns:pkg` for a qualified path, undefined for a bare interface name. */
  package?: string;
  /** The interface (or world) name: the last `/` segment. */
  name: Ident;
  version?: string;
  range: Range;
}

export interface UseName {
  name: Ident;
  as?: Ident;
}

export interface UseItem extends ItemMeta {
  kind: 'use';
  path: UsePath;
  names: UseName[];
}

export type InterfaceItem = UseItem | TypeDef | Func;

export interface Interface extends ItemMeta {
  kind: 'interface';
  name: Ident;
  items: InterfaceItem[];
}

export type ExternTarget =
  | { kind: 'path'; path: UsePath } // `import wasi:io/streams;`
  | { kind: 'func'; name: Ident; func: FuncType } // `import f: func();`
  | { kind: 'interface'; name: Ident; items: InterfaceItem[] } // `import x: interface { … }`
  | { kind: 'named-path'; name: Ident; path: UsePath }; // `import primary: wasi:keyvalue/store;`

export interface ImportExport extends ItemMeta {
  kind: 'import' | 'export';
  target: ExternTarget;
}

export interface Include extends ItemMeta {
  kind: 'include';
  path: UsePath;
  with: { from: Ident; to: Ident }[];
}

export type WorldItem = ImportExport | UseItem | TypeDef | Include;

export interface World extends ItemMeta {
  kind: 'world';
  name: Ident;
  items: WorldItem[];
}

export interface TopLevelUse extends ItemMeta {
  kind: 'top-use';
  path: UsePath;
  as?: Ident;
}

export interface PackageName {
  /** `ns:pkg` (nested: `a:b:c/d`), without the version. */
  name: string;
  version?: string;
  range: Range;
}

export interface NestedPackage extends ItemMeta {
  kind: 'package';
  name: PackageName;
  items: (Interface | World | TopLevelUse)[];
}

export interface WitFile {
  file: string;
  package?: PackageName;
  items: (Interface | World | TopLevelUse | NestedPackage)[];
}
