// What a build made and what it cost, or what failed, in one short line for notifications, the log and the CLI.
import { basename } from 'node:path';
import type { Diagnostic } from './diagnostics';

/** One product of a build: the kernel image or the app module. */
export interface BuiltPart {
  what: 'kernel' | 'app';
  path: string;
  bytes: number;
  /** How long building it took (0 when it was taken as it was). */
  ms: number;
  /** Taken as it was: the packaged kernel, or an app given as a .wasm. */
  prebuilt: boolean;
}

/** A build step's failure, naming what failed; the message goes on with the command's last output lines. */
export class BuildError extends Error {
  constructor(readonly what: 'kernel' | 'app', message: string) {
    super(message);
  }
}

/** `2.7 MB`, `23.9 KB`, `512 B` (decimal units, as file managers show them). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} KB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** `0.4 s`, `41 s`, `2 min 5 s`. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

function describePart(p: BuiltPart): string {
  const name = p.what === 'app' ? `app ${basename(p.path)}` : 'kernel';
  return p.prebuilt ? `${name} (${formatBytes(p.bytes)})` : `${name} (${formatBytes(p.bytes)}, ${formatDuration(p.ms)})`;
}

/**
 * "Built kernel (2.7 MB, 41 s) and app http-server-demo.wasm (23.9 KB, 1.2 s)"; what was taken as
 * it was comes after: "Built app hello.wasm (1.1 KB, 0.9 s), with the prebuilt kernel (2.7 MB)".
 */
export function describeBuild(parts: readonly BuiltPart[]): string {
  const built = parts.filter((p) => !p.prebuilt).map(describePart).join(' and ');
  const taken = parts.filter((p) => p.prebuilt).map(describePart).join(' and ');
  if (!built) return `Nothing to build: the prebuilt ${taken}`;
  return taken ? `Built ${built}, with the prebuilt ${taken}` : `Built ${built}`;
}

/**
 * The failure in a few words, to fit a notification's one line: what failed and how many errors, e.g.
 * "app build failed (2 errors)"; the errors are in Problems, the command line and its output in the
 * log. Other failures (no uniwasm.json, app not found) keep their own first line.
 */
export function describeFailure(err: Error, diagnostics: readonly Diagnostic[]): string {
  if (!(err instanceof BuildError)) return err.message.split('\n')[0]!;
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (!errors) return `${err.what} build failed`;
  return `${err.what} build failed (${errors} error${errors === 1 ? '' : 's'})`;
}
