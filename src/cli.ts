#!/usr/bin/env node
// The `uniwasm` command: the same core the extension uses, for terminals and CI.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { buildAll } from './builder/all';
import { describeBuild } from './builder/summary';
import { RunSession } from './run/session';
import { TraceFile } from './trace/file';
import { whenParentDies } from './util/parentDeath';
import { productRoot } from './util/paths';
import { ACCELS, MACHINES, RUN_DEFAULTS, RUN_LIMITS, type AccelChoice, type Machine } from './run/options';

const USAGE = `usage:
  uniwasm build [--app FILE.wasm|DIR] [--json]
  uniwasm run [--app FILE.wasm|DIR] [--port N] [--redis URL] [--accel tcg|kvm|auto]
              [--memory MiB] [--machine microvm|q35] [--gdb PORT] [--trace FILE]
              [--kernel-arg KEY=VALUE]...

  --app      an app folder with uniwasm.json, or a built .wasm (default: the demo app)
  --port     host port on 127.0.0.1 forwarded to the guest's HTTP port (default ${RUN_DEFAULTS.port})
  --redis    redis://[user:password@]host[:port]; default: an embedded redis-server
  --accel    tcg (default), kvm, or auto (KVM only after a probe boot succeeds)
  --memory   guest RAM in MiB (default ${RUN_DEFAULTS.memoryMiB})
  --gdb      QEMU's gdbstub on 127.0.0.1:PORT
  --trace    write the guest's trace events (docs/TRACE.md), one JSON object a line, to FILE
             (created or truncated at start)
  --kernel-arg  extra kernel command-line argument (see kernel/README.md), repeatable`;

class UsageError extends Error {}

function integer(name: string, value: string | undefined, fallback: number, { min, max }: { min: number; max: number }): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not "${value}"`);
  return n;
}

function oneOf<T extends string>(name: string, value: string | undefined, fallback: T, allowed: readonly T[]): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, not "${value}"`);
  return value as T;
}

const defaultApp = () => resolve(productRoot(), 'examples', 'http-server-demo');

async function build(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { app: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  const echo = values.json ? undefined : (text: string) => process.stderr.write(text);
  const { kernel, app, parts } = await buildAll(values.app ?? defaultApp(), { onOutput: echo });
  if (values.json) console.log(JSON.stringify({ kernel, app, parts }));
  else console.log(`kernel ${kernel}\napp ${app}\n${describeBuild(parts)}`);
}

async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      app: { type: 'string' },
      port: { type: 'string' },
      redis: { type: 'string' },
      accel: { type: 'string' },
      memory: { type: 'string' },
      machine: { type: 'string' },
      gdb: { type: 'string' },
      trace: { type: 'string' },
      'kernel-arg': { type: 'string', multiple: true },
    },
  });
  // Every option is checked before the trace file is created, and the file before anything boots.
  const options = {
    app: values.app ?? defaultApp(),
    port: integer('port', values.port, RUN_DEFAULTS.port, RUN_LIMITS.port),
    redisUrl: values.redis,
    accel: oneOf<AccelChoice>('accel', values.accel, RUN_DEFAULTS.accel, ACCELS),
    memoryMiB: integer('memory', values.memory, RUN_DEFAULTS.memoryMiB, RUN_LIMITS.memoryMiB),
    machine: oneOf<Machine>('machine', values.machine, RUN_DEFAULTS.machine, MACHINES),
    qemuBinary: RUN_DEFAULTS.qemuPath,
    gdbPort: values.gdb === undefined ? undefined : integer('gdb', values.gdb, 0, RUN_LIMITS.port),
    extraKernelArgs: values['kernel-arg'] ?? [],
    readyTimeoutMs: RUN_DEFAULTS.readyTimeoutMs,
    onConsole: (line: string) => console.log(line),
    onLog: (message: string) => console.error(`uniwasm: ${message}`),
  };
  const traceFile = values.trace === undefined ? undefined : TraceFile.open(values.trace, (err) => console.error(`uniwasm: ${err.message}`));
  const controller = new AbortController();
  let session: RunSession | undefined;
  const onSignal = () => {
    controller.abort();
    void session?.stop();
  };
  process.on('SIGINT', onSignal); // 'on', not 'once': execa's signal-exit re-raises the signal when no other listener is left
  process.on('SIGTERM', onSignal);
  whenParentDies(() => {
    console.error('uniwasm: the process that started this run has ended; stopping');
    onSignal();
  });
  try {
    const observers = traceFile ? [{ traceLine: (line: string) => traceFile.write(line) }] : [];
    session = await RunSession.start({ ...options, observers, signal: controller.signal });
    if (!controller.signal.aborted) {
      console.log(`ready ${session.url}`);
      await session.ended;
    }
    await session.stop();
    if (!controller.signal.aborted) throw new Error(`the guest stopped: ${await session.ended}`);
  } finally {
    traceFile?.close(); // stop() has delivered every line the guest wrote by now
  }
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'build': return build(rest);
    case 'run': return run(rest);
    case undefined: case '-h': case '--help': case 'help':
      console.log(USAGE);
      return;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main().catch((err: unknown) => {
  const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  console.error(`uniwasm: ${(err as Error).message}`);
  if (usage) console.error(USAGE);
  process.exitCode = usage ? 2 : 1;
});
