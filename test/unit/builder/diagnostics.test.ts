// Tests builder/diagnostics.ts (on clang's real output too) and the problem-matcher line of builder/all.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diagnosticLine } from '../../../src/builder/all';
import { parseClangDiagnostics } from '../../../src/builder/diagnostics';

test('clang diagnostics become absolute-path diagnostics; other lines are ignored', () => {
  const output = [
    'src/main.c:12:5: error: use of undeclared identifier \'x\'',
    '    x = 1;',
    '    ^',
    '/abs/inc.h:3:1: warning: unused function',
    '\x1b[1mlib.c:7:2: \x1b[0;1;31mfatal error: \x1b[0mfile not found',
    'In file included from a.c:1:',
    'clang: error: linker command failed',
  ].join('\n');
  const ds = parseClangDiagnostics(output, '/app');
  assert.deepEqual(ds.map((d) => [d.file, d.line, d.column, d.severity]), [
    ['/app/src/main.c', 12, 5, 'error'],
    ['/abs/inc.h', 3, 1, 'warning'],
    ['/app/lib.c', 7, 2, 'error'],
  ]);
  assert.equal(ds[0]!.message, "use of undeclared identifier 'x'");
});

test("clang's notes become related information of the error or warning they follow, not entries of their own", () => {
  const dir = mkdtempSync(join(tmpdir(), 'uniwasm-notes-'));
  try {
    const source = join(dir, 'broken.c');
    writeFileSync(source, [
      'int twice(int a);',
      'int twice(int a, int b) { return a + b; }',
      'int check(int x) {',
      '  if (x = 1) return 2;',
      '  return 0;',
      '}',
    ].join('\n'));
    // The compiler the apps build with, asked for its own words (relative path: made absolute against cwd).
    const clang = spawnSync('clang', ['--target=wasm32-wasi', '-fsyntax-only', 'broken.c'], { cwd: dir, encoding: 'utf8' });
    assert.equal(clang.status, 1, clang.stderr);
    const ds = parseClangDiagnostics(clang.stderr, dir);
    assert.deepEqual(ds.map((d) => [d.severity, d.line, d.column, d.message]), [
      ['error', 2, 5, "conflicting types for 'twice'"],
      ['warning', 4, 9, 'using the result of an assignment as a condition without parentheses [-Wparentheses]'],
    ]);
    assert.deepEqual(ds[0]!.related, [{ file: source, line: 1, column: 5, message: 'previous declaration is here' }]);
    assert.deepEqual(ds[1]!.related?.map((n) => [n.file, n.line, n.message]), [
      [source, 4, 'place parentheses around the assignment to silence this warning'],
      [source, 4, "use '==' to turn this assignment into an equality comparison"],
    ]);
    // A task's terminal: the matcher's line, the notes indented below it (the matcher skips them).
    assert.equal(diagnosticLine(ds[0]!), `${source}:2:5: error: conflicting types for 'twice'\n  ${source}:1:5: note: previous declaration is here`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a note with no diagnostic before it stands alone, as an info entry', () => {
  const [d] = parseClangDiagnostics('/a.c:1:1: note: something to know', '/');
  assert.deepEqual([d!.severity, d!.message, d!.related], ['info', 'something to know', undefined]);
});

test('diagnostic lines round-trip through the problem matcher’s form', () => {
  const line = diagnosticLine({ file: '/k/src/main.rs', line: 4, column: 9, severity: 'error', message: 'mismatched types\nmore' });
  assert.equal(line, '/k/src/main.rs:4:9: error: mismatched types');
  const [d] = parseClangDiagnostics(line, '/');
  assert.deepEqual([d!.file, d!.line, d!.column, d!.severity, d!.message], ['/k/src/main.rs', 4, 9, 'error', 'mismatched types']);
});
