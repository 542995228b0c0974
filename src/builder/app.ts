// An app folder's contract (uniwasm.json) and its build with the profile asked for.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { execa } from 'execa';
import { parseClangDiagnostics } from './diagnostics';
import type { Diagnostic } from './diagnostics';
import { BuildError } from './summary';

/** The contract of an app folder: `uniwasm.json`, with paths relative to the folder. */
export interface AppManifest {
  name: string;
  /** The build command, as an argument array; it runs in the folder with `UNIWASM_PROFILE` set (BuildProfile). */
  build: string[];
  /** The module the build produces. */
  wasm: string;
}

export function readAppManifest(appDir: string): AppManifest {
  const file = join(appDir, 'uniwasm.json');
  if (!existsSync(file)) throw new Error(`${appDir} has no uniwasm.json: pass a .wasm file or an app folder`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  const m = raw as Partial<AppManifest>;
  if (typeof m !== 'object' || m === null) throw new Error(`${file}: expected a JSON object`);
  if (typeof m.name !== 'string' || !m.name) throw new Error(`${file}: "name" must be a non-empty string`);
  if (!Array.isArray(m.build) || m.build.length === 0 || !m.build.every((a) => typeof a === 'string')) {
    throw new Error(`${file}: "build" must be a non-empty array of strings (the command and its arguments)`);
  }
  if (typeof m.wasm !== 'string' || !m.wasm) throw new Error(`${file}: "wasm" must be the path of the built module`);
  return { name: m.name, build: m.build, wasm: m.wasm };
}

export interface BuildOutput {
  /** Receives the build's output, line by line or in chunks. */
  onOutput?: (text: string) => void;
  /** Receives each compiler diagnostic with an absolute path. */
  onDiagnostic?: (d: Diagnostic) => void;
  signal?: AbortSignal;
}

/**
 * What the app's build command is asked for, through `UNIWASM_PROFILE`: `release` for runs,
 * `debug` when the debugger boots it (source-level DWARF kept, little or no optimization).
 * Both write the manifest's `wasm`; the build runs before every boot, so a run after a debug
 * session gets a release module again.
 */
export type BuildProfile = 'release' | 'debug';

/** Builds an app folder (or takes a .wasm as it is) and returns the absolute path of its module. */
export async function buildApp(app: string, out: BuildOutput = {}, profile: BuildProfile = 'release'): Promise<string> {
  const path = resolve(app);
  if (!existsSync(path)) throw new Error(`app not found: ${path}`);
  if (statSync(path).isFile()) return path;
  const manifest = readAppManifest(path);
  const [command, ...args] = manifest.build;
  // Always set, so a UNIWASM_PROFILE in our own environment never leaks into a build.
  const env = { UNIWASM_PROFILE: profile };
  const child = execa(command!, args, { cwd: path, env, all: true, reject: false, cancelSignal: out.signal });
  child.all?.on('data', (chunk: Buffer) => out.onOutput?.(chunk.toString()));
  const result = await child;
  if (out.onDiagnostic) parseClangDiagnostics(result.all ?? '', path).forEach(out.onDiagnostic);
  if (result.isCanceled) throw new Error('app build cancelled');
  if (result.failed) throw new BuildError('app', `app build failed (${manifest.build.join(' ')}): ${lastLines(result.all ?? '')}`);
  const wasm = isAbsolute(manifest.wasm) ? manifest.wasm : join(path, manifest.wasm);
  if (!existsSync(wasm)) throw new Error(`app build succeeded but ${wasm} is missing (see "wasm" in uniwasm.json)`);
  return wasm;
}

export function lastLines(text: string, count = 20): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}
