// The private redis-server a run starts when no Redis URL is given.
import { execa, type ResultPromise } from 'execa';
import { commandNotFound, diesWithUs } from '../util/parentDeath';
import { freePort } from '../util/ports';

/** A private redis-server on a free loopback port, for one run. */
export interface EmbeddedRedis {
  port: number;
  pid: number | undefined;
  stop(): Promise<void>;
}

const READY = 'Ready to accept connections';

async function startOnce(port: number, redisBinary: string): Promise<EmbeddedRedis> {
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes'];
  const child: ResultPromise = execa(...diesWithUs(redisBinary, args), { reject: false, cleanup: true, stdin: 'ignore' });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(READY)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.then((r) => {
      const spawnError = commandNotFound(r as { code?: string; exitCode?: number }, output) ? 'ENOENT' : (r as { code?: string }).code;
      const why = spawnError ?? `status ${r.exitCode ?? r.signal}`;
      const err = new Error(`redis-server ended (${why}): ${output.trim().split('\n').slice(-3).join(' | ')}`);
      reject(Object.assign(err, { code: spawnError }));
    });
  });
  return {
    port,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await child;
    },
  };
}

/** Starts redis-server on 127.0.0.1 (a free port), retrying if another process took the port first. */
export async function startEmbeddedRedis(redisBinary = 'redis-server'): Promise<EmbeddedRedis> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(await freePort(), redisBinary);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new Error(`${redisBinary} not found: install redis-server (npm run setup does it)`);
      }
      lastError = err;
    }
  }
  throw lastError;
}
