// Bundles the extension, the CLI, the debug adapter and every test file with esbuild.
// Product bundles go to dist/, test bundles to out/test/ (run by node --test), benchmarks to out/bench/.
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

function tsFiles(dir, suffix) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path, suffix);
    return name.endsWith(suffix) ? [path] : [];
  });
}

const products = ['src/extension.ts', 'src/cli.ts', 'src/debugAdapter.ts'].filter(existsSync);
rmSync('out', { recursive: true, force: true });
await Promise.all([
  // Products without whitespace (the source maps keep stack traces readable): the split debug adapter's
  // extra layer must not make the shipped bundles bigger.
  esbuild.build({ ...common, minifyWhitespace: true, entryPoints: products, outdir: 'dist' }),
  // esbuild cannot be bundled (it finds its native binary next to its package): tests load it as it is.
  esbuild.build({ ...common, external: [...common.external, 'esbuild'], entryPoints: tsFiles('test', '.test.ts'), outdir: 'out/test', outbase: 'test' }),
  esbuild.build({ ...common, entryPoints: tsFiles('bench', '.bench.ts'), outdir: 'out/bench', outbase: 'bench' }),
]);
