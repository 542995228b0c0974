// Starts the `uniwasm` CLI in tests and waits for its `ready` line or its end.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { productRoot } from '../../src/util/paths';

/** A running `uniwasm` CLI process with its output collected. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
}

export function startCli(args: string[]): CliProcess {
  const child = spawn(process.execPath, [join(productRoot(), 'dist', 'cli.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Waits for the `ready URL` line; rejects with the CLI's output when it exits first or takes too long. */
export async function waitForReady(cli: CliProcess, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let exitedWith: number | string | undefined;
  void cli.exited.then((c) => (exitedWith = c));
  for (;;) {
    const match = /^ready (http:\/\/127\.0\.0\.1:\d+)$/m.exec(cli.stdout());
    if (match) return match[1]!;
    if (exitedWith !== undefined || Date.now() > deadline) {
      cli.child.kill('SIGTERM');
      throw new Error(`uniwasm run did not get ready (exit ${exitedWith}):\n${cli.stderr()}\n${cli.stdout()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs the CLI to its end. */
export async function runCli(args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const cli = startCli(args);
  const code = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}
