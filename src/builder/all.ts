// Builds the kernel and the app side by side: what `uniwasm build`, runs and F5 start with.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildApp, type BuildOutput, type BuildProfile } from './app';
import type { Diagnostic } from './diagnostics';
import { kernelFromSource, kernelImage } from './kernel';
import type { BuiltPart } from './summary';

/** Times `build` and measures what it made. */
async function measured(what: BuiltPart['what'], prebuilt: boolean, build: Promise<string>): Promise<BuiltPart> {
  const start = performance.now();
  const path = await build;
  return { what, path, bytes: statSync(path).size, ms: Math.round(performance.now() - start), prebuilt };
}

/**
 * Builds (or finds) the kernel and builds the app (with `profile`, see BuildProfile), side by side;
 * `parts` says what each is, its size and how long it took (describeBuild words it).
 */
export async function buildAll(app: string, out: BuildOutput = {}, profile: BuildProfile = 'release'): Promise<{ kernel: string; app: string; parts: BuiltPart[] }> {
  const appIsModule = existsSync(resolve(app)) && statSync(resolve(app)).isFile();
  const parts = await Promise.all([
    measured('kernel', !kernelFromSource(), kernelImage(out)),
    measured('app', appIsModule, buildApp(app, out, profile)),
  ]);
  return { kernel: parts[0].path, app: parts[1].path, parts };
}

/**
 * One diagnostic in the `file:line:col: severity: message` form problem matchers read; its notes
 * follow on indented lines, which the matcher leaves alone (they belong to the diagnostic above).
 */
export function diagnosticLine(d: Pick<Diagnostic, 'file' | 'line' | 'column' | 'severity' | 'message' | 'related'>): string {
  const notes = (d.related ?? []).map((n) => `\n  ${n.file}:${n.line}:${n.column}: note: ${n.message.split('\n')[0]}`);
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message.split('\n')[0]}${notes.join('')}`;
}
