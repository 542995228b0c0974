// Tests builder/diagnostics.ts and the problem-matcher line of builder/all.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
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

test('diagnostic lines round-trip through the problem matcher’s form', () => {
  const line = diagnosticLine({ file: '/k/src/main.rs', line: 4, column: 9, severity: 'error', message: 'mismatched types\nmore' });
  assert.equal(line, '/k/src/main.rs:4:9: error: mismatched types');
  const [d] = parseClangDiagnostics(line, '/');
  assert.deepEqual([d!.file, d!.line, d!.column, d!.severity, d!.message], ['/k/src/main.rs', 4, 9, 'error', 'mismatched types']);
});
