// Finds the tools Uniwasm needs (QEMU, Redis, the C guest toolchain, cargo) by running each with --version.
import { execa } from 'execa';
import { RUN_DEFAULTS } from '../run/options';

export interface ToolCheck {
  tool: string;
  purpose: string;
  ok: boolean;
  /** The version line, or why the tool is unusable. */
  detail: string;
}

const TOOLS: { tool: string; args: string[]; purpose: string }[] = [
  { tool: RUN_DEFAULTS.qemuPath, args: ['--version'], purpose: 'boots the unikernel' },
  { tool: 'redis-server', args: ['--version'], purpose: 'the embedded Redis' },
  { tool: 'clang', args: ['--version'], purpose: 'builds C apps to wasm32' },
  { tool: 'wasm-ld', args: ['--version'], purpose: 'links wasm32 apps' },
  { tool: 'cargo', args: ['--version'], purpose: 'builds the kernel from source' },
];

/** Runs each tool Uniwasm needs with --version. */
export async function checkTools(qemuBinary: string = RUN_DEFAULTS.qemuPath): Promise<ToolCheck[]> {
  return Promise.all(
    TOOLS.map(async ({ tool, args, purpose }) => {
      const binary = tool === RUN_DEFAULTS.qemuPath ? qemuBinary : tool;
      const r = await execa(binary, args, { reject: false, timeout: 10_000 });
      const firstLine = (r.stdout || r.stderr || '').split('\n')[0] ?? '';
      const ok = !r.failed;
      return { tool: binary, purpose, ok, detail: ok ? firstLine : (r as { code?: string }).code === 'ENOENT' ? 'not found' : firstLine || (r.shortMessage ?? 'failed') };
    }),
  );
}
