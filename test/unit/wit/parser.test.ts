// Tests the WIT lexer, parser and checker (wit/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeWit, functionSignature, functionSignatures, parseWit, type Diagnostic, type WitSource } from '../../../src/wit';
import { productRoot } from '../../../src/util/paths';

const root = productRoot();

function witFiles(dir: string): WitSource[] {
  return readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.wit'))
    .map((f) => ({ file: join(dir, f), text: readFileSync(join(root, dir, f), 'utf8') }));
}

function diagnose(text: string): Diagnostic[] {
  return analyzeWit([{ file: 'test.wit', text }]).diagnostics;
}

/** `line:column kind` of each diagnostic, to compare positions compactly. */
function where(ds: Diagnostic[]): string[] {
  return ds.map((d) => `${d.range.start.line}:${d.range.start.column} ${d.kind}`);
}

test("the project's wit/ package has no diagnostics", () => {
  const files = witFiles('wit');
  assert.ok(files.length >= 3);
  const a = analyzeWit(files);
  assert.deepEqual(a.diagnostics, []);
  assert.equal(a.root.name, 'spiderlightning:slight');
  assert.deepEqual([...a.root.items.keys()].sort(), ['app', 'handle-http', 'hello', 'http-server', 'http-server-demo', 'http-types', 'keyvalue'].sort());
});

test('the grammar test files are valid WIT', () => {
  for (const file of witFiles('test/grammar')) {
    assert.deepEqual(analyzeWit([file]).diagnostics, [], file.file);
  }
});

test('keyvalue.set: parameter names and types with aliases resolved', () => {
  const a = analyzeWit(witFiles('wit'));
  const set = functionSignature(a, 'keyvalue', '[method]keyvalue.set');
  assert.ok(set);
  assert.equal(set.kind, 'method');
  assert.equal(set.resource, 'keyvalue');
  assert.deepEqual(
    set.params.map((p) => [p.name, p.text, p.resolvedText]),
    [['self', 'borrow<keyvalue>', 'borrow<keyvalue>'], ['key', 'string', 'string'], ['value', 'payload', 'list<u8>']],
  );
  assert.deepEqual(set.params[2].resolved, { kind: 'list', element: { kind: 'primitive', name: 'u8' }, length: undefined });
  assert.equal(set.result?.resolvedText, 'result<_, keyvalue-error>');
  assert.match(set.docs ?? '', /^Sets `key` to `value`/);
  assert.equal(set.range.start.line, 29);

  const open = functionSignature(a, 'spiderlightning:slight/keyvalue', '[static]keyvalue.open');
  assert.deepEqual(open?.params.map((p) => p.name), ['name']);
  assert.equal(open?.result?.resolvedText, 'result<keyvalue, keyvalue-error>');
  assert.equal(functionSignature(a, 'keyvalue', '[method]keyvalue.get')?.result?.resolvedText, 'result<list<u8>, keyvalue-error>');
  assert.deepEqual(
    functionSignatures(a, 'keyvalue').map((s) => s.name),
    ['[static]keyvalue.open', '[method]keyvalue.get', '[method]keyvalue.set', '[method]keyvalue.keys', '[method]keyvalue.delete'],
  );
  assert.equal(functionSignature(a, 'keyvalue', 'set'), undefined);
  assert.equal(functionSignature(a, 'no-such-interface', 'set'), undefined);
});

test('world exports and types used from another interface resolve', () => {
  const a = analyzeWit(witFiles('wit'));
  const hello = functionSignature(a, 'http-server-demo', 'handle-hello');
  assert.equal(hello?.params[0].text, 'request');
  assert.equal(hello?.params[0].resolved.kind, 'defined');
  assert.equal(hello?.params[0].resolved.kind === 'defined' && hello.params[0].resolved.interface, 'http-types');
  const serve = functionSignature(a, 'http-server', '[static]server.serve');
  assert.deepEqual(serve?.params.map((p) => `${p.name}: ${p.resolvedText}`), ['address: string', 'router: borrow<router>']);
});

test('aliases resolve through renamed uses, borrow of an alias, constructors and async', () => {
  const a = analyzeWit([{
    file: 'x.wit',
    text: `package t:x;
interface base { resource file; type bytes = list<u8>; type chunk = bytes; }
interface api {
  use base.{file as handle, chunk};
  type h = handle;
  resource cursor { constructor(start: u64); next: async func() -> stream<chunk>; }
  write: func(f: borrow<h>, data: chunk, rest: option<tuple<chunk, map<string, chunk>>>);
}`,
  }]);
  assert.deepEqual(a.diagnostics, []);
  const write = functionSignature(a, 'api', 'write');
  assert.deepEqual(write?.params.map((p) => p.resolvedText), ['borrow<file>', 'list<u8>', 'option<tuple<list<u8>, map<string, list<u8>>>>']);
  const ctor = functionSignature(a, 'api', '[constructor]cursor');
  assert.equal(ctor?.result?.resolvedText, 'cursor');
  const next = functionSignature(a, 'api', '[method]cursor.next');
  assert.equal(next?.async, true);
  assert.equal(next?.result?.resolvedText, 'stream<list<u8>>');
});

test('types from packages that were not analyzed stay unresolved, without diagnostics', () => {
  const a = analyzeWit([{ file: 'x.wit', text: 'package t:x;\ninterface i { use wasi:io/streams@0.2.0.{input-stream}; f: func(s: input-stream); }' }]);
  assert.deepEqual(a.diagnostics, []);
  assert.deepEqual(functionSignature(a, 'i', 'f')?.params[0].resolved, { kind: 'unresolved', name: 'input-stream' });
});

test('syntax errors: position, message, and the parser carries on after them', () => {
  const text = `package t:x;
interface a {
  f: func(x: u32;
  g: func() -> u64;
  record r { x: , y: u32 }
}
interface b { h: func(); }
world w { import a; export nope nope; }
`;
  const { ast, diagnostics } = parseWit(text);
  assert.deepEqual(where(diagnostics), ['3:17 syntax', '5:17 syntax', '8:33 syntax']);
  assert.match(diagnostics[0].message, /expected `\)`, found `;`/);
  const [a, b, w] = ast.items;
  assert.equal(a.kind === 'interface' && a.items.map((i) => i.kind).join(), 'func');
  assert.equal(b.kind === 'interface' && b.items.length, 1);
  assert.equal(w.kind === 'world' && w.items.length, 1);
});

test('syntax errors: keywords as names, bad identifiers, strings and comments', () => {
  assert.deepEqual(where(diagnose('package t:x;\ninterface i { record: func(); }')), ['2:21 syntax']);
  assert.deepEqual(where(diagnose('package t:x;\ninterface i { %record: func(); }')), []);
  assert.deepEqual(where(diagnose('package t:x;\ninterface i { foo_bar: func(); }')), ['2:15 syntax']);
  assert.match(diagnose('package t:x;\ninterface i { foo_bar: func(); }')[0].message, /invalid identifier `foo_bar`/);
  assert.deepEqual(where(diagnose('package t:x;\ninterface i { a--b: func(); }')), ['2:15 syntax']);
  assert.deepEqual(where(diagnose('package t:x;\n/* open /* nested */ \ninterface i {}')), ['2:1 syntax']);
  assert.deepEqual(where(diagnose('package t:x;\nworld w { @external-id("unterminated\n import f: func(); }')), ['2:24 syntax', '3:2 syntax']);
  assert.deepEqual(where(diagnose('package t:x;\ninterface i { type t = list<u8, 0>; }')), ['2:33 syntax']);
  assert.deepEqual(where(diagnose('package t:x;\ninterface i { enum e {} }')), ['2:20 syntax']);
  assert.deepEqual(where(diagnose('package t:x;\n@since(version = 1.0) interface i {}')), ['2:18 syntax']);
  assert.deepEqual(where(diagnose('package t:x@1.0.0;\n@unstable(version = 1.0.0) interface i {}')), ['2:1 syntax']);
  assert.deepEqual(where(diagnose('package t:x;\ninterface i {}\npackage t:y;')), ['3:12 syntax']);
  assert.deepEqual(where(diagnose('package t:x;\nworld w { import a:b; }')), ['2:21 syntax']);
});

test('unknown types, in every place a type can appear', () => {
  const ds = diagnose(`package t:x;
interface i {
  type a = nope1;
  record r { f: list<nope2> }
  variant v { c(nope3) }
  resource res { constructor(x: nope4); m: func() -> result<_, nope5>; }
  f: func(h: borrow<nope6>) -> future<nope7>;
}
world w { import g: func(x: nope8); }`);
  assert.deepEqual(where(ds), ['3:12 unknown-type', '4:22 unknown-type', '5:17 unknown-type', '6:33 unknown-type', '6:64 unknown-type', '7:21 unknown-type', '7:39 unknown-type', '9:29 unknown-type']);
  assert.equal(ds[0].message, 'unknown type `nope1` in interface `i`');
  assert.equal(ds[0].file, 'test.wit');
});

test('unknown names in use, import, export and include', () => {
  const ds = diagnose(`package t:x;
interface i { type t = u32; }
interface j { use i.{t, missing}; use gone.{x}; }
world v { import e: func(); }
world w { import nope; export i; include none; include v with { f as g } }`);
  assert.deepEqual(where(ds), ['3:25 unknown-name', '3:39 unknown-name', '5:18 unknown-name', '5:42 unknown-name', '5:65 unknown-name']);
  assert.equal(ds[0].message, 'interface `i` has no type `missing`');
  assert.equal(ds[1].message, 'no interface or world `gone` in package `t:x`');
});

test('duplicate names, compared case-insensitively', () => {
  const ds = diagnose(`package t:x;
interface i {
  type a = u32; type A = u64;
  record r { x: u32, x: u32 }
  enum e { p, q, p }
  flags fl { p, P }
  variant v { c, c(u32) }
  resource res { constructor(); constructor(x: u32); m: func(); m: static func(); }
  f: func(p: u32, p: u32);
  f: func();
}
interface I {}
world w { import f: func(); import f: func(); export f: func(); use i.{a}; import a: func(); }`);
  assert.deepEqual(where(ds), [
    '3:22 duplicate', '4:22 duplicate', '5:18 duplicate', '6:17 duplicate', '7:18 duplicate', '8:33 duplicate', '8:65 duplicate',
    '9:19 duplicate', '10:3 duplicate', '12:11 duplicate', '13:36 duplicate', '13:83 duplicate',
  ]);
  assert.equal(ds[0].message, '`A` is defined more than once in interface `i`');
});

test('a world that uses names its included world already imports (wit-parser: "shadows previously imported items")', () => {
  const ds = diagnose(`package t:x;
interface types { record request { id: u32 } }
world app { use types.{request}; export init: func(); }
world demo { include app; use types.{request}; export init: func(); }`);
  assert.deepEqual(where(ds), ['4:22 duplicate', '4:22 duplicate']);
  assert.equal(ds[0].message, '`request` is already imported into world `demo` by `include app`');
  assert.equal(ds[1].message, '`init` is already exported from world `demo` by `include app`');
  // Renaming with `with` resolves a plain-name clash.
  assert.deepEqual(diagnose(`package t:x;
world app { export init: func(); }
world demo { include app with { init as start } export init: func(); }`), []);
});

test('invalid: wrong kind of item, handles of non-resources, cycles, gates, constructors, packages', () => {
  const ds = diagnose(`package t:x;
interface i { f: func(); type t = t; type n = u32; g: func(x: borrow<n>); resource r { constructor() -> u32; } }
interface j { use i.{f}; use w.{x}; }
world w { import w; include i; }
interface k { @since(version = 1.0.0) @unstable(feature = y) h: func(); }`);
  assert.deepEqual(where(ds), ['2:31 invalid', '2:70 invalid', '2:105 invalid', '3:22 invalid', '3:30 invalid', '4:18 invalid', '4:29 invalid', '5:15 invalid', '5:15 invalid']);
  assert.equal(ds[0].message, 'type `t` refers to itself');
  assert.match(ds[1].message, /`borrow<n>` needs a resource/);
  assert.match(ds[6].message, /`include` needs a world/);
  assert.match(ds[7].message, /`@since` or `@unstable`, not both/);
  assert.match(ds[8].message, /needs a version/);

  const pkgs = analyzeWit([{ file: 'a.wit', text: 'package t:x;\ninterface i {}' }, { file: 'b.wit', text: 'package t:y;\ninterface j {}' }]);
  assert.deepEqual(where(pkgs.diagnostics), ['1:9 invalid']);
  assert.equal(pkgs.diagnostics[0].file, 'b.wit');
  assert.deepEqual(where(diagnose('interface i {}')), ['1:1 invalid']);
});

test('nested packages, top-level use aliases and versions', () => {
  const a = analyzeWit([{
    file: 'x.wit',
    text: `package t:x@1.0.0;
use wasi:clocks/clock@0.3.0 as wall;
interface i { use wall.{instant}; now: func() -> instant; }
world w { import wasi:clocks/clock@0.3.0; import wasi:clocks/clock@9.9.9; }
package wasi:clocks@0.3.0 { interface clock { type instant = u64; } }`,
  }]);
  assert.deepEqual(a.diagnostics, []);
  assert.equal(functionSignature(a, 'i', 'now')?.result?.resolvedText, 'u64');
  assert.equal(a.nested[0].name, 'wasi:clocks');
  // A known package without that interface is an error; an unknown version is another package.
  const ds = diagnose('package t:x;\ninterface i { use wasi:clocks/nope@0.3.0.{x}; }\npackage wasi:clocks@0.3.0 { interface clock {} }');
  assert.deepEqual(where(ds), ['2:31 unknown-name']);
});

test('docs attach to items; //// and /**/ are plain comments', () => {
  const { ast, diagnostics } = parseWit(`package t:x;
/// Line one.
/// Line two.
interface i {
  /** Block
   *  doc. */
  f: func();
  //// not a doc
  /**/
  g: func();
}`);
  assert.deepEqual(diagnostics, []);
  const i = ast.items[0];
  assert.ok(i.kind === 'interface');
  assert.equal(i.docs, 'Line one.\nLine two.');
  assert.equal(i.items[0].docs, 'Block\n doc.');
  assert.equal(i.items[1].docs, undefined);
});

test('ranges: lines and columns are 1-based, offsets index the text', () => {
  const text = 'package t:x;\r\ninterface i {\r\n    %type: func();\r\n}';
  const { ast } = parseWit(text);
  const i = ast.items[0];
  assert.ok(i.kind === 'interface' && i.items[0].kind === 'func');
  const name = i.items[0].name;
  assert.equal(name.name, 'type');
  assert.deepEqual(name.range.start, { offset: text.indexOf('%type'), line: 3, column: 5 });
  assert.equal(text.slice(name.range.start.offset, name.range.end.offset), '%type');
  assert.equal(text.slice(i.range.start.offset, i.range.end.offset), text.slice(text.indexOf('interface')));
});

// xorshift32: a fixed seed keeps failures reproducible.
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

test('no crash and sane positions on random and mutated input', () => {
  const corpus = [...witFiles('wit'), ...witFiles('test/grammar')].map((f) => f.text);
  const pieces = ['{', '}', '(', ')', '<', '>', ';', ':', ',', '.', '/', '@', '=', '->', '_', '%', '"', '/*', '*/', '//', '///', '\n', ' ',
    'interface', 'world', 'package', 'use', 'import', 'export', 'include', 'with', 'as', 'func', 'async', 'static', 'constructor',
    'resource', 'record', 'variant', 'enum', 'flags', 'type', 'list', 'option', 'result', 'tuple', 'borrow', 'own', 'stream',
    'future', 'map', 'u8', 'string', 'a', 'b-c', 'X', '0', '1.0.0', '@since(version = 0.2.0)', '\u00e9', '\ud83d\ude00', '\0'];
  const next = rng(0x5eed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)];
  for (let round = 0; round < 1500; round++) {
    let text: string;
    if (round % 3 === 0) {
      text = Array.from({ length: Math.floor(next() * 80) }, () => pick(pieces)).join(pick(['', ' ']));
    } else {
      // Delete, duplicate or insert slices of a real file.
      const chars = [...pick(corpus)];
      for (let m = 0; m < 1 + Math.floor(next() * 6); m++) {
        const at = Math.floor(next() * chars.length);
        const len = Math.floor(next() * 20);
        const op = next();
        if (op < 0.4) chars.splice(at, len);
        else if (op < 0.7) chars.splice(at, 0, ...chars.slice(at, at + len));
        else chars.splice(at, 0, pick(pieces));
      }
      text = chars.join('');
    }
    const a = analyzeWit([{ file: 'fuzz.wit', text }]);
    for (const d of a.diagnostics) {
      const { start, end } = d.range;
      assert.ok(start.offset >= 0 && start.offset <= end.offset && end.offset <= text.length, `${d.message} at ${JSON.stringify(d.range)}`);
      const before = text.slice(0, start.offset);
      assert.equal(start.line, before.split('\n').length, d.message);
      assert.equal(start.column, start.offset - (before.lastIndexOf('\n') + 1) + 1, d.message);
    }
    for (const owner of a.root.items.keys()) functionSignatures(a, owner);
  }
  // Deep nesting is reported, not a stack overflow.
  const deep = 'package t:x;\ninterface i { type t = ' + 'list<'.repeat(5000) + 'u8' + '>'.repeat(5000) + '; }';
  assert.match(diagnose(deep)[0].message, /nested too deeply/);
});
