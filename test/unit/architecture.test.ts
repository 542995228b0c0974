// Checks the walls of docs/ARCHITECTURE.md on the real import graph (esbuild's metafile, as the bundles
// are made): the views stay out of the core, the CLI and the debug adapter never reach `vscode`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as esbuild from 'esbuild';
import { productRoot } from '../../src/util/paths';

const root = productRoot();

function tsFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Each source file's direct imports (repository-relative paths, or the bare name of an external module). */
async function importGraph(entryPoints: string[]): Promise<Map<string, string[]>> {
  const { metafile } = await esbuild.build({
    absWorkingDir: root, entryPoints, bundle: true, write: false, metafile: true, outdir: 'unused',
    platform: 'node', format: 'cjs', external: ['vscode'], logLevel: 'silent',
  });
  return new Map(Object.entries(metafile.inputs).map(([file, input]) => [file, input.imports.map((i) => i.path)]));
}

const reaches = (graph: Map<string, string[]>, target: (path: string) => boolean) =>
  [...graph].flatMap(([file, imports]) => (target(file) ? [file] : imports.filter(target).map((i) => `${file} → ${i}`)));

test('only extension.ts and the traffic views themselves import src/traffic/', async () => {
  const graph = await importGraph(tsFiles('src'));
  const arrows = [...graph].flatMap(([file, imports]) =>
    file === 'src/extension.ts' || file.startsWith('src/traffic/') ? [] : imports.filter((i) => i.startsWith('src/traffic/')).map((i) => `${file} → ${i}`));
  assert.deepEqual(arrows, []);
});

test('the CLI and the debug adapter bundle neither the traffic views nor `vscode`', async () => {
  for (const entry of ['src/cli.ts', 'src/debugAdapter.ts']) {
    const graph = await importGraph([entry]);
    assert.ok(graph.has('src/run/session.ts'), `${entry}: the graph holds the run core`);
    assert.deepEqual(reaches(graph, (p) => p.startsWith('src/traffic/') || p === 'vscode'), [], entry);
  }
});

test('under src/debug/ only provider.ts imports `vscode`', async () => {
  const graph = await importGraph(tsFiles('src/debug'));
  const inDebug = [...graph].filter(([file]) => file.startsWith('src/debug/') && file !== 'src/debug/provider.ts');
  const arrows = inDebug.flatMap(([file, imports]) => (imports.includes('vscode') ? [file] : []));
  assert.deepEqual(arrows, []);
});

test('every TypeScript file opens with a comment line saying what it is for', () => {
  const silent = ['src', 'test', 'bench'].flatMap(tsFiles).filter((file) => {
    const first = readFileSync(join(root, file), 'utf8').split('\n').find((line) => !line.startsWith('#!')) ?? '';
    return !/^\/\/ \S.{10,}/.test(first);
  });
  assert.deepEqual(silent.map((f) => relative('.', f)), []);
});
