// Tests builder/summary.ts: the one line saying what a build made (sizes, times) or what failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuildError, describeBuild, describeFailure, formatBytes, formatDuration } from '../../../src/builder/summary';
import type { Diagnostic } from '../../../src/builder/diagnostics';

test('sizes and durations read as people write them', () => {
  assert.deepEqual([512, 23_900, 2_712_345].map(formatBytes), ['512 B', '23.9 KB', '2.7 MB']);
  assert.deepEqual([412, 1_234, 41_200, 125_000].map(formatDuration), ['0.4 s', '1.2 s', '41 s', '2 min 5 s']);
});

test('a build says what it built, how big and how long it took', () => {
  assert.equal(describeBuild([
    { what: 'kernel', path: '/k/uniwasm-kernel', bytes: 2_712_345, ms: 41_200, prebuilt: false },
    { what: 'app', path: '/a/build/http-server-demo.wasm', bytes: 23_912, ms: 1_234, prebuilt: false },
  ]), 'Built kernel (2.7 MB, 41 s) and app http-server-demo.wasm (23.9 KB, 1.2 s)');
  const packaged = { what: 'kernel', path: '/ext/dist/kernel/uniwasm-kernel', bytes: 2_700_000, ms: 0.1, prebuilt: true } as const;
  assert.equal(describeBuild([packaged, { what: 'app', path: '/a/build/hello.wasm', bytes: 1_100, ms: 900, prebuilt: false }]),
    'Built app hello.wasm (1.1 KB, 0.9 s), with the prebuilt kernel (2.7 MB)');
  assert.equal(describeBuild([packaged, { what: 'app', path: '/a/app.wasm', bytes: 900, ms: 0.1, prebuilt: true }]),
    'Nothing to build: the prebuilt kernel (2.7 MB) and app app.wasm (900 B)');
});

const error = (file: string, line: number, message: string): Diagnostic =>
  ({ file, line, column: 30, endLine: line, endColumn: 31, severity: 'error', message });

test('a failure is a few words: what failed and how many errors, never the command line', () => {
  const failed = new BuildError('app', 'app build failed (bash /long/path/build-c-app.sh hello .): lots\nof output');
  assert.equal(describeFailure(failed, []), 'app build failed');
  const warning: Diagnostic = { ...error('/a/src/app.c', 1, 'unused'), severity: 'warning' };
  assert.equal(describeFailure(failed, [warning, error('/a/src/app.c', 3, "use of undeclared identifier 'x'")]), 'app build failed (1 error)');
  assert.equal(describeFailure(new BuildError('kernel', 'kernel build failed: …'), [error('/k/src/main.rs', 4, 'mismatched types'), error('/k/src/net.rs', 9, 'x')]),
    'kernel build failed (2 errors)');
  assert.equal(describeFailure(new Error('/w has no uniwasm.json: pass a .wasm file or an app folder\nmore'), []),
    '/w has no uniwasm.json: pass a .wasm file or an app folder');
});
