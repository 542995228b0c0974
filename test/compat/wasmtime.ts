// `wasmtime serve`, the reference runtime of wasi:http components, started and stopped for the compat tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { productRoot } from '../../src/util/paths';
import { freePort } from '../../src/util/ports';

const wasmtime = join(productRoot(), '.uniwasm', 'tools', 'bin', 'wasmtime');

export interface Wasmtime {
  child: ChildProcess;
  origin: string;
  log: () => string;
}

/** `wasmtime serve` on a free loopback port, ready once it says it is serving. */
export async function serve(component: string): Promise<Wasmtime> {
  const port = await freePort();
  // -S cli=y: the reactor adapter (C) and Rust's std import wasi:cli and wasi:filesystem, which
  // `serve` only links when asked.
  const child = spawn(wasmtime, ['serve', '--addr', `127.0.0.1:${port}`, '-S', 'cli=y', component], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_BACKTRACE: '0' },
  });
  let log = '';
  const serving = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer): void => {
      log += d.toString();
      if (log.includes('Serving HTTP on')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => reject(new Error(`wasmtime serve exited (${code ?? signal}):\n${log}`)));
    child.once('error', reject);
  });
  try {
    await serving;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return { child, origin: `http://127.0.0.1:${port}`, log: () => log };
}

/** Ends a `serve` and waits until it has. */
export async function stop(server: Wasmtime): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = once(server.child, 'exit');
  server.child.kill('SIGTERM');
  await exited;
}
