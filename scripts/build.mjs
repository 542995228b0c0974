// Bundles the extension, the CLI, the debug adapter and every test file with esbuild.
// Product bundles go to dist/, test bundles to out/test/ (run by node --test).
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  external: ['vscode'],
  logLevel: 'warning',
};

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const products = ['src/extension.ts', 'src/cli.ts', 'src/debugAdapter.ts'].filter(existsSync);
rmSync('out/test', { recursive: true, force: true });
await Promise.all([
  esbuild.build({ ...common, entryPoints: products, outdir: 'dist' }),
  esbuild.build({ ...common, entryPoints: testFiles('test'), outdir: 'out/test', outbase: 'test' }),
]);
