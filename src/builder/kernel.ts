// Builds the unikernel with cargo (diagnostics from its JSON messages), or finds the prebuilt image.
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { execa } from 'execa';
import { forEachLine } from '../util/lines';
import { productRoot } from '../util/paths';
import { lastLines, type BuildOutput } from './app';
import { BuildError } from './summary';

interface CargoSpan { file_name: string; line_start: number; column_start: number; line_end: number; column_end: number; is_primary: boolean }

interface CargoMessage {
  reason: string;
  executable?: string | null;
  target?: { kind: string[]; name: string };
  message?: {
    level: string;
    message: string;
    rendered?: string;
    spans: CargoSpan[];
    /** rustc's notes and help on the message; those with a place become its related information. */
    children?: { level: string; message: string; spans: CargoSpan[] }[];
  };
}

/** The crate folder of the kernel; its .cargo/config.toml sets the freestanding target and flags. */
export function kernelCrateDir(): string {
  return join(productRoot(), 'kernel', 'platform');
}

/** Builds the unikernel with cargo and returns the path of its ELF image. */
export async function buildKernel(out: BuildOutput = {}): Promise<string> {
  const cwd = kernelCrateDir();
  const child = execa('cargo', ['build', '--release', '--message-format=json'], {
    cwd,
    reject: false,
    cancelSignal: out.signal,
    stderr: 'pipe',
  });
  let executable: string | undefined;
  const stderr: string[] = [];
  forEachLine(child.stdout!, (line) => {
    let msg: CargoMessage;
    try {
      msg = JSON.parse(line) as CargoMessage;
    } catch {
      out.onOutput?.(line + '\n');
      return;
    }
    if (msg.reason === 'compiler-artifact' && msg.executable && msg.target?.kind.includes('bin')) executable = msg.executable;
    if (msg.reason === 'compiler-message' && msg.message) {
      if (msg.message.rendered) out.onOutput?.(msg.message.rendered);
      const span = msg.message.spans.find((s) => s.is_primary);
      const file = (s: CargoSpan) => (isAbsolute(s.file_name) ? s.file_name : join(cwd, s.file_name));
      if (span && out.onDiagnostic) {
        const related = (msg.message.children ?? []).flatMap((c) => c.spans.filter((s) => s.is_primary).map((s) => (
          { file: file(s), line: s.line_start, column: s.column_start, message: `${c.level}: ${c.message}` })));
        out.onDiagnostic({
          file: file(span),
          line: span.line_start,
          column: span.column_start,
          endLine: span.line_end,
          endColumn: span.column_end,
          severity: msg.message.level === 'error' ? 'error' : msg.message.level === 'warning' ? 'warning' : 'info',
          message: msg.message.message,
          related,
        });
      }
    }
  });
  forEachLine(child.stderr!, (line) => {
    stderr.push(line);
    out.onOutput?.(line + '\n');
  });
  const result = await child;
  if (result.isCanceled) throw new Error('kernel build cancelled');
  if (result.failed) throw new BuildError('kernel', `kernel build failed: ${lastLines(stderr.join('\n'))}`);
  if (!executable || !existsSync(executable)) throw new Error('kernel build succeeded but cargo reported no kernel image');
  return executable;
}

/** The kernel image shipped inside the packaged extension (no Rust toolchain needed). */
export function prebuiltKernel(): string {
  return join(productRoot(), 'dist', 'kernel', 'uniwasm-kernel');
}

/** True when the kernel's sources are here (a checkout), false in the packaged extension. */
export function kernelFromSource(): boolean {
  return existsSync(join(kernelCrateDir(), 'Cargo.toml'));
}

/** Builds the kernel from source when its sources are here; otherwise takes the prebuilt image. */
export async function kernelImage(out: BuildOutput = {}): Promise<string> {
  if (kernelFromSource()) return buildKernel(out);
  const image = prebuiltKernel();
  if (!existsSync(image)) throw new Error(`no kernel sources and no prebuilt kernel at ${image}`);
  return image;
}
