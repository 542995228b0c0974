// Finds what Uniwasm and the app builds need (QEMU, Redis, the wasm32 C toolchain, wit-bindgen, cargo)
// and the exact line that installs each one that is missing.
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { execa } from 'execa';
import { RUN_DEFAULTS } from '../run/options';
import { stateDir } from '../util/paths';

/** How a tool is installed: a Debian package, or a whole install line when apt has no package for it. */
export interface Installer {
  apt?: string;
  install?: string;
}

export interface ToolCheck extends Installer {
  tool: string;
  purpose: string;
  ok: boolean;
  /** The version line, or why the tool is unusable. */
  detail: string;
}

/** The wit-bindgen the examples' build scripts take (scripts/setup.sh installs the same one). */
export const WIT_BINDGEN_VERSION = '0.63.0';
/** Where scripts/setup.sh puts wit-bindgen; the build scripts look there first, then on PATH. */
const SETUP_WIT_BINDGEN = () => join(stateDir(), 'tools', 'bin', 'wit-bindgen');

/** How each tool is found: run with --version, or the file clang names for the wasm32 target when asked with this flag. */
type Probe = { run: string[] } | { clangPrints: string };

interface Tool extends Installer {
  tool: string;
  purpose: string;
  probe: Probe;
}

const WASM32 = '--target=wasm32-wasi';

/** Everything the kernel, the runs and the apps' builds (examples/build-c-app.sh) need, in the order a user meets them. */
export function tools(qemuBinary: string = RUN_DEFAULTS.qemuPath, witBindgen: string = 'wit-bindgen'): Tool[] {
  return [
    { tool: qemuBinary, purpose: 'boots the unikernel', probe: { run: [qemuBinary, '--version'] }, apt: 'qemu-system-x86' },
    { tool: 'redis-server', purpose: 'the embedded Redis', probe: { run: ['redis-server', '--version'] }, apt: 'redis-server' },
    { tool: 'clang', purpose: 'compiles C apps to wasm32', probe: { run: ['clang', '--version'] }, apt: 'clang' },
    { tool: 'wasm-ld', purpose: 'links wasm32 apps', probe: { run: ['wasm-ld', '--version'] }, apt: 'lld' },
    { tool: 'wasi-libc', purpose: 'malloc and friends for wasm32 apps', probe: { clangPrints: '-print-file-name=libc.a' }, apt: 'wasi-libc' },
    { tool: 'compiler-rt (wasm32)', purpose: "clang's wasm32 builtins", probe: { clangPrints: '-print-libgcc-file-name' }, apt: 'libclang-rt-dev-wasm32' },
    { tool: 'wasm-objdump', purpose: "checks an app's imports after its build", probe: { run: ['wasm-objdump', '--version'] }, apt: 'wabt' },
    {
      tool: 'wit-bindgen', purpose: "generates an app's C bindings from WIT", probe: { run: [witBindgen, '--version'] },
      install: `cargo install --locked wit-bindgen-cli --version ${WIT_BINDGEN_VERSION} --no-default-features --features c`,
    },
    { tool: 'cargo', purpose: 'builds the kernel from source', probe: { run: ['cargo', '--version'] }, install: 'rustup (the Rust toolchain installer); the packaged extension ships a prebuilt kernel' },
  ];
}

/**
 * The lines that install `missing`: one `sudo apt-get install` for every Debian package, then the
 * others, one line each.
 */
export function installLines(missing: readonly Installer[]): string[] {
  const packages = missing.flatMap((t) => (t.apt ? [t.apt] : []));
  const others = missing.flatMap((t) => (t.install ? [t.install] : []));
  return [...(packages.length ? [`sudo apt-get install -y ${packages.join(' ')}`] : []), ...others];
}

/** The wit-bindgen scripts/setup.sh installed, else the one on PATH. */
export function witBindgenBinary(): string {
  const fromSetup = SETUP_WIT_BINDGEN();
  return existsSync(fromSetup) ? fromSetup : 'wit-bindgen';
}

async function probe(p: Probe): Promise<{ ok: boolean; detail: string }> {
  if ('clangPrints' in p) {
    // clang prints a path it would use, or the bare name back when it cannot find the file.
    const r = await execa('clang', [WASM32, p.clangPrints], { reject: false, timeout: 10_000 });
    const path = r.stdout.trim();
    const ok = !r.failed && isAbsolute(path) && existsSync(path);
    return { ok, detail: ok ? path : r.failed ? 'clang not found' : 'not found' };
  }
  const [binary, ...args] = p.run;
  const r = await execa(binary!, args, { reject: false, timeout: 10_000 });
  const firstLine = (r.stdout || r.stderr || '').split('\n')[0] ?? '';
  if (!r.failed) return { ok: true, detail: firstLine };
  return { ok: false, detail: (r as { code?: string }).code === 'ENOENT' ? 'not found' : firstLine || (r.shortMessage ?? 'failed') };
}

/** Checks each tool; a missing one carries the line that installs it. */
export async function checkTools(qemuBinary: string = RUN_DEFAULTS.qemuPath): Promise<ToolCheck[]> {
  return Promise.all(tools(qemuBinary, witBindgenBinary()).map(async ({ probe: how, ...tool }) => ({ ...tool, ...(await probe(how)) })));
}
