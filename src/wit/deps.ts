// Reads the `deps/` folder of a WIT package (the wit-bindgen / wasm-tools layout: `deps/<name>/*.wit`
// a folder per package, or `deps/<name>.wit` a single file), parsed and cached until a file changes.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { WitFile } from './ast';
import { parseWit } from './parser';

/** Where the package of a .wit file lives and which deps folder serves it. */
export interface WitPackageLayout {
  /** The package's folder. */
  folder: string;
  /** Set when the package is this one file (`deps/<name>.wit`), not the whole folder. */
  only?: string;
  depsDir: string;
  /** The dep (folder or file) the package itself is, left out of its own deps. */
  self?: string;
}

/** The package `file` belongs to: its folder, or the file alone when it is a single-file dep. */
export function packageOf(file: string): WitPackageLayout {
  const folder = dirname(file);
  // A package inside deps/ resolves its own dependencies among its siblings, as wit-parser does.
  if (basename(folder) === 'deps') return { folder, only: file, depsDir: folder, self: file };
  if (basename(dirname(folder)) === 'deps') return { folder, depsDir: dirname(folder), self: folder };
  return { folder, depsDir: join(folder, 'deps') };
}

/** Parsed packages per deps folder, with the files' sizes and times they were parsed from. */
const cache = new Map<string, { stamp: string; packages: { path: string; files: WitFile[] }[] }>();

/**
 * The packages of `depsDir`, one list of parsed files each (`self`, a package folder, left out);
 * undefined when there is no deps folder. Files are re-read when one is added, removed or changed.
 */
export async function readDeps(depsDir: string, self?: string): Promise<WitFile[][] | undefined> {
  const entries = await readdir(depsDir, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return undefined;
  entries.sort((a, b) => a.name.localeCompare(b.name)); // the same order on every file system
  const groups = await Promise.all(entries.map(async (e) => {
    const path = join(depsDir, e.name);
    if (e.isDirectory()) return { path, files: (await readdir(path)).filter((n) => n.endsWith('.wit')).sort().map((n) => join(path, n)) };
    return { path, files: e.name.endsWith('.wit') ? [path] : [] };
  }));
  const all = groups.flatMap((g) => g.files);
  const stamps = await Promise.all(all.map(async (f) => {
    const s = await stat(f);
    return `${f}:${s.size}:${s.mtimeMs}`;
  }));
  const stamp = stamps.join('\n');
  let cached = cache.get(depsDir);
  if (cached?.stamp !== stamp) {
    const packages = await Promise.all(groups.filter((g) => g.files.length > 0).map(async (g) => ({
      path: g.path,
      files: await Promise.all(g.files.map(async (f) => parseWit(await readFile(f, 'utf8'), f).ast)),
    })));
    cached = { stamp, packages };
    cache.set(depsDir, cached);
  }
  return cached.packages.filter((p) => p.path !== self).map((p) => p.files);
}
