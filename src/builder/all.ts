// Builds the kernel and the app side by side: what `uniwasm build`, runs and F5 start with.
import { buildApp, type BuildOutput, type BuildProfile } from './app';
import { kernelImage } from './kernel';

/** Builds (or finds) the kernel and builds the app (with `profile`, see BuildProfile), side by side. */
export async function buildAll(app: string, out: BuildOutput = {}, profile: BuildProfile = 'release'): Promise<{ kernel: string; app: string }> {
  const [kernel, wasm] = await Promise.all([kernelImage(out), buildApp(app, out, profile)]);
  return { kernel, app: wasm };
}

/** One diagnostic in the `file:line:col: severity: message` form problem matchers read. */
export function diagnosticLine(d: { file: string; line: number; column: number; severity: string; message: string }): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message.split('\n')[0]}`;
}
