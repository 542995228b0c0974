// Where Uniwasm's own files are: the product root and the run state folder.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The folder holding Uniwasm's package.json: found by walking up from this bundle (dist/, out/test/…). */
export function productRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'uniwasm') return dir;
    if (dirname(dir) === dir) throw new Error(`cannot find Uniwasm's package.json above ${__dirname}`);
  }
}

/** Where Uniwasm keeps the state of a run (gitignored). */
export function stateDir(): string {
  return join(productRoot(), '.uniwasm');
}
