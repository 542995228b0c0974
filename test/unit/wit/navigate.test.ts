// Tests WIT navigation (wit/navigate.ts), "did you mean" (wit/suggest.ts) and the parser's recovery from an unclosed `{`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  analyzeWit, closestName, definitionAt, documentSymbols, hoverText, referencesTo, type WitSymbol,
} from '../../../src/wit';

const TYPES = `package demo:app@0.1.0;

interface types {
  /// A stored value.
  record entry {
    key: string,
    value: list<u8>,
  }
  resource store {
    constructor(name: string);
    get: func(key: string) -> option<entry>;
  }
}
`;

const API = `package demo:app@0.1.0;

interface api {
  use types.{entry, store};
  put: func(s: borrow<store>, e: entry);
}

world app {
  export api;
}
`;

const sources = [{ file: 'types.wit', text: TYPES }, { file: 'api.wit', text: API }];

function outline(symbols: WitSymbol[], depth = 0): string[] {
  return symbols.flatMap((s) => [`${'  '.repeat(depth)}${s.kind} ${s.name}${s.detail ? ` ${s.detail}` : ''}`, ...outline(s.children, depth + 1)]);
}

test('the outline lists interfaces, worlds, types, members and functions with their signatures', () => {
  const analysis = analyzeWit(sources);
  assert.deepEqual(analysis.diagnostics, []);
  assert.deepEqual(outline(documentSymbols(analysis.files[0])), [
    'interface types',
    '  record entry',
    '    field key string',
    '    field value list<u8>',
    '  resource store',
    '    method constructor func(name: string)',
    '    method get func(key: string) -> option<entry>',
  ]);
  assert.deepEqual(outline(documentSymbols(analysis.files[1])), [
    'interface api',
    '  use entry types',
    '  use store types',
    '  function put func(s: borrow<store>, e: entry)',
    'world app',
    '  export api',
  ]);
});

test('go to definition follows a `use` into the sibling file, and works on the definition itself', () => {
  const analysis = analyzeWit(sources);
  const at = (file: string, text: string, needle: string, skip = 0) => definitionAt(analysis, file, text.indexOf(needle, skip) + 1);
  // `entry` in put's parameter list → the record in types.wit.
  const entry = at('api.wit', API, 'entry)');
  assert.equal(entry?.file, 'types.wit');
  assert.equal(entry?.name.range.start.line, 5);
  // `borrow<store>` → the resource.
  assert.equal(at('api.wit', API, 'store>')?.name.name, 'store');
  // The interface path of `use types.{…}` and of `export api` → the interfaces.
  assert.equal(at('api.wit', API, 'types.')?.what.kind, 'scope');
  assert.equal(at('api.wit', API, 'api;')?.name.range.start.line, 3);
  // On a definition's own name; nothing on a keyword.
  assert.equal(at('types.wit', TYPES, 'entry {')?.name.name, 'entry');
  assert.equal(at('types.wit', TYPES, 'record'), undefined);
});

test('find references returns every use of a type across files, with or without its declaration', () => {
  const analysis = analyzeWit(sources);
  const entry = definitionAt(analysis, 'types.wit', TYPES.indexOf('entry {') + 1);
  assert.ok(entry);
  const where = (includeDeclaration: boolean) =>
    referencesTo(analysis, entry, includeDeclaration).map((r) => `${r.file}:${r.range.start.line}:${r.range.start.column}`);
  // The declaration, `option<entry>` in `get`, `use types.{entry, …}`, `e: entry`.
  assert.deepEqual(where(true), ['types.wit:5:10', 'types.wit:11:38', 'api.wit:4:14', 'api.wit:5:34']);
  assert.deepEqual(where(false), ['types.wit:11:38', 'api.wit:4:14', 'api.wit:5:34']);
});

test('a hover shows the definition as WIT, where it lives and its docs', () => {
  const analysis = analyzeWit(sources);
  const entry = definitionAt(analysis, 'api.wit', API.indexOf('entry)') + 1);
  assert.ok(entry);
  assert.equal(hoverText(entry), '```wit\nrecord entry {\n    key: string,\n    value: list<u8>,\n}\n```\n\nrecord in interface `types`\n\nA stored value.');
  const store = definitionAt(analysis, 'api.wit', API.indexOf('store>') + 1);
  assert.ok(store);
  assert.match(hoverText(store), /resource store \{\n {4}constructor\(name: string\);\n {4}get: func\(key: string\) -> option<entry>;\n\}/);
  const api = definitionAt(analysis, 'api.wit', API.indexOf('api;') + 1);
  assert.ok(api);
  assert.equal(hoverText(api), 'interface `api` in package `demo:app@0.1.0`');
});

test('an unknown name gets the closest known one, when it is close', () => {
  assert.equal(closestName('strng', ['string', 'u8']), 'string');
  assert.equal(closestName('Entyr', ['entry']), 'entry'); // a swap counts once
  assert.equal(closestName('nope', ['entry', 'string']), undefined);
  const messages = analyzeWit([{ file: 't.wit', text: `package a:b;
interface i {
  use typs.{entry};
  record entry { x: u32 }
  f: func(a: entyr, b: strng, c: borrow<entri>);
}
interface types { record thing { x: u32 } }
interface j { use types.{thin}; }
` }]).diagnostics.map((d) => d.message);
  assert.deepEqual(messages, [
    'no interface or world `typs` in package `a:b`; did you mean `types`?',
    '`entry` is defined more than once in interface `i`',
    'unknown type `entyr` in interface `i`; did you mean `entry`?',
    'unknown type `strng` in interface `i`; did you mean `string`?',
    'unknown type `entri` in interface `i`; did you mean `entry`?',
    'interface `types` has no type `thin`; did you mean `thing`?',
  ]);
});

test('an unclosed `{` is reported at the brace, and the items after it are still checked', () => {
  const text = `package a:b;

interface one {
  f: func(a: strng);

interface two {
  g: func() -> nope;
}

world w {
  export one;
  export missing;
`;
  const ds = analyzeWit([{ file: 't.wit', text }]).diagnostics;
  assert.deepEqual(ds.map((d) => `${d.range.start.line}:${d.range.start.column} ${d.message}`), [
    '3:15 this `{` is not closed: `}` expected before `interface` on line 6',
    '4:14 unknown type `strng` in interface `one`; did you mean `string`?',
    '7:16 unknown type `nope` in interface `two`',
    '10:9 this `{` is not closed: `}` expected before the end of the file',
    '12:10 no interface or world `missing` in package `a:b`',
  ]);
  // The outline still has all three.
  assert.deepEqual(documentSymbols(parseFile(text)).map((s) => s.name), ['one', 'two', 'w']);
});

function parseFile(text: string) {
  return analyzeWit([{ file: 't.wit', text }]).files[0];
}
