// Tests WIT resolution into the packages of a deps/ folder (wit/deps.ts, wit/analyze.ts) on real WASI 0.2 WIT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeWit, definitionAt, documentSymbols, hoverText, packageOf, readDeps, referencesTo, type WitSource } from '../../../src/wit';

// out/test/unit/wit → the checkout's fixture.
const WIT = join(__dirname, '../../../../test/fixtures/wit-deps/wit');
const WORLD = join(WIT, 'world.wit');
const IO = join(WIT, 'deps/io.wit');
const CLOCKS = join(WIT, 'deps/clocks/clocks.wit');

async function analyze(text: string, file = WORLD) {
  const layout = packageOf(file);
  return analyzeWit([{ file, text }], await readDeps(layout.depsDir, layout.self));
}

test('use, import and include of deps packages resolve, through a dep that uses another dep', async () => {
  const text = readFileSync(WORLD, 'utf8');
  const analysis = await analyze(text);
  assert.deepEqual(analysis.diagnostics, []);
  assert.deepEqual(analysis.deps.map((p) => `${p.name}@${p.version}`).sort(), ['wasi:clocks@0.2.12', 'wasi:io@0.2.12']);
  // `instant` is a `u64` alias in wasi:clocks; `borrow<output-stream>` needs wasi:io's resource.
  const instant = definitionAt(analysis, WORLD, text.indexOf('instant,') + 1);
  assert.equal(instant?.file, CLOCKS);
  assert.equal(instant && hoverText(instant).split('\n')[1], 'type instant = u64;');
});

test('go to definition from a world\'s import jumps into the deps file; hover names the package', async () => {
  const text = readFileSync(WORLD, 'utf8');
  const analysis = await analyze(text);
  const poll = definitionAt(analysis, WORLD, text.indexOf('poll@') + 1);
  assert.equal(poll?.file, IO);
  assert.equal(poll?.name.name, 'poll');
  assert.equal(poll && hoverText(poll).split('\n')[0], 'interface `poll` in package `wasi:io@0.2.12`');
  const stream = definitionAt(analysis, WORLD, text.indexOf('output-stream>') + 1);
  assert.equal(stream?.file, IO);
  assert.match(stream ? hoverText(stream) : '', /^```wit\nresource output-stream \{/);
  // Find references of the deps resource from the app's files: the `use` and the `borrow<…>`.
  assert.ok(stream);
  assert.deepEqual(referencesTo(analysis, stream, false).map((r) => `${r.range.start.line}:${r.range.start.column}`), ['5:31', '11:25']);
  const include = definitionAt(analysis, WORLD, text.indexOf('imports@') + 1);
  assert.equal(include?.file, CLOCKS);
});

test('unknown packages, interfaces, types and versions in deps are errors at the path, with suggestions', async () => {
  const text = `package demo:bad;

interface i {
  use wasi:clock/monotonic-clock@0.2.12.{instant};
  use wasi:clocks/monotonic-clok@0.2.12.{duration};
  use wasi:io/streams@0.2.12.{input-stram};
  use wasi:io/poll@0.2.0.{pollable};
}

world w {
  import wasi:http/types@0.2.12;
}
`;
  const analysis = await analyze(text);
  assert.deepEqual(analysis.diagnostics.map((d) => `${d.range.start.line}:${d.range.start.column} ${d.message}`), [
    '4:7 unknown package `wasi:clock` (the known packages are `demo:bad`, `wasi:clocks`, `wasi:io`); did you mean `wasi:clocks`?',
    '5:19 no interface or world `monotonic-clok` in package `wasi:clocks@0.2.12`; did you mean `monotonic-clock`?',
    '6:31 interface `streams` has no type `input-stram`; did you mean `input-stream`?',
    '7:7 no package `wasi:io@0.2.0`: the deps folder has `wasi:io@0.2.12`',
    '11:10 unknown package `wasi:http` (the known packages are `demo:bad`, `wasi:clocks`, `wasi:io`)',
  ]);
});

test('without a deps folder, other packages stay unchecked as before', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wit-nodeps-'));
  try {
    const file = join(dir, 'app.wit');
    const layout = packageOf(file);
    assert.equal(await readDeps(layout.depsDir, layout.self), undefined);
    const sources: WitSource[] = [{ file, text: 'package a:b;\nworld w { import wasi:http/types@0.2.0; }\n' }];
    assert.deepEqual(analyzeWit(sources, undefined).diagnostics, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file inside deps/ resolves among its sibling packages and has an outline', async () => {
  const text = readFileSync(CLOCKS, 'utf8');
  const analysis = await analyze(text, CLOCKS);
  assert.deepEqual(analysis.diagnostics, []);
  assert.equal(definitionAt(analysis, CLOCKS, text.indexOf('pollable}') + 1)?.file, IO);
  assert.ok(documentSymbols(analysis.files[0]).some((s) => s.kind === 'world' && s.name === 'imports'));
  // A single-file dep is a package of its own, not one with every file of deps/.
  const io = await analyze(readFileSync(IO, 'utf8'), IO);
  assert.deepEqual(io.diagnostics, []);
  assert.deepEqual(io.files.map((f) => f.file), [IO]);
});

test('the deps are re-read when a file changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wit-deps-'));
  try {
    cpSync(WIT, dir, { recursive: true });
    const io = join(dir, 'deps/io.wit');
    // Unchanged files are not parsed again: the same syntax trees come back.
    const first = await readDeps(join(dir, 'deps'));
    assert.ok(first?.[0][0]);
    assert.equal((await readDeps(join(dir, 'deps')))?.[0][0], first[0][0]);
    writeFileSync(io, readFileSync(io, 'utf8').replace('package wasi:io@0.2.12;', 'package wasi:io@0.2.13;\n'));
    const names = (await readDeps(join(dir, 'deps')))?.map((files) => files[0].package?.version).sort();
    assert.deepEqual(names, ['0.2.12', '0.2.13']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
