// App edit → serving again: change the demo's C source, then `uniwasm run` (what Restart does:
// build what is stale, boot) until GET /hello answers the new text. The kernel must not be
// rebuilt: its ELF is checked to be untouched. Medians of N runs, each on a fresh edit.
// usage: node out/bench/edit.bench.js [RUNS]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { productRoot } from '../src/util/paths';
import { freePort } from '../src/util/ports';
import { median } from './lib';

const runs = Number(process.argv[2] ?? 10);
const root = productRoot();
const cli = join(root, 'dist', 'cli.js');

/** A copy of the demo app whose build script uses the repository's C app builder. */
function copyDemo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'uniwasm-edit-'));
  cpSync(join(root, 'examples', 'http-server-demo', 'src'), join(dir, 'src'), { recursive: true });
  cpSync(join(root, 'examples', 'http-server-demo', 'uniwasm.json'), join(dir, 'uniwasm.json'));
  writeFileSync(join(dir, 'build.sh'), `exec bash ${JSON.stringify(join(root, 'examples', 'build-c-app.sh'))} http-server-demo "$(dirname "$0")"\n`);
  return dir;
}

/** Starts `uniwasm run` and resolves when /hello answers `expected`; returns the wall time and the CLI. */
async function runUntil(app: string, expected: string) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, 'run', '--app', app, '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`uniwasm run ended: ${stderr}`);
    if (performance.now() - t0 > 120_000) {
      child.kill('SIGTERM');
      throw new Error(`/hello did not answer ${JSON.stringify(expected)} within 120 s: ${stderr}`);
    }
    // A connection made while the guest boots may never be answered: each try gets 1 s.
    const body = await fetch(`http://127.0.0.1:${port}/hello`, { signal: AbortSignal.timeout(1000) }).then((r) => r.text(), () => '');
    if (body.includes(expected)) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = performance.now() - t0;
  child.kill('SIGTERM');
  await once(child, 'exit');
  return ms;
}

async function main(): Promise<void> {
  const app = copyDemo();
  const source = join(app, 'src', 'app.c');
  const original = readFileSync(source, 'utf8');
  if (!original.includes('hello, world')) throw new Error(`${source} no longer says "hello, world"`);
  await runUntil(app, 'hello, world'); // the first build of the copy, and a warm kernel build check
  const kernel = JSON.parse(
    await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [cli, 'build', '--json', '--app', app], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', () => resolve(out));
    }),
  ).kernel as string;
  const kernelMtime = statSync(kernel).mtimeMs;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const text = `hello, edit ${i}`;
    writeFileSync(source, original.replaceAll('hello, world', text));
    times.push(await runUntil(app, text));
  }
  if (statSync(kernel).mtimeMs !== kernelMtime) throw new Error('the kernel was rebuilt by an app edit');
  console.log(JSON.stringify({ runs, editToServingMedianMs: +median(times).toFixed(1), kernelRebuilt: false, ms: times.map((t) => +t.toFixed(1)) }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
