// What a debug launch or attach is asked for, and the launch's boot: the debug build, the instrumented copy, and a halted RunSession.
import { statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { buildAll } from '../builder/all';
import { readAppManifest } from '../builder/app';
import { RUN_DEFAULTS, type AccelChoice, type Machine } from '../run/options';
import type { RunObserver } from '../run/observer';
import { RunSession } from '../run/session';
import { freePort } from '../util/ports';
import type { OutputCategory } from './model';
import type { WasmProgram } from './wasm/program';
import { WasmLevel } from './wasm/level';

/** `launch`: boot the app under the debugger. Defaults come from RUN_DEFAULTS. */
export interface LaunchOptions {
  /** App folder (with uniwasm.json) or a .wasm file; relative paths resolve against `cwd`. */
  app: string;
  cwd?: string;
  /** Host port forwarded to the guest's HTTP port. Default RUN_DEFAULTS.port. */
  port?: number;
  /** redis://… to use; empty starts an embedded redis-server. */
  redis?: string;
  /**
   * Stop at the start: at the first Wasm probe (the app's first function) when debugging at the
   * Wasm level, else at the kernel's first instruction.
   */
  stopOnEntry?: boolean;
  /**
   * Debug the app at the Wasm level (default true): boot an instrumented copy of the module with
   * `wasm_debug=N`. False debugs the kernel only and boots the module as built.
   */
  debugWasm?: boolean;
  accel?: AccelChoice;
  memoryMiB?: number;
  machine?: Machine;
  qemuPath?: string;
  kernelArgs?: string[];
  /** How long the guest may take to listen for HTTP once running (for the `ready` line). Default none. */
  readyTimeoutMs?: number;
}

/** `attach`: a QEMU gdbstub that runs already (e.g. `uniwasm run --gdb 1234`). */
export interface AttachOptions {
  host?: string;
  port: number;
  /** The kernel ELF, for symbols (function breakpoints, frame names). */
  kernel?: string;
  stopOnEntry?: boolean;
}

/** A launch's guest, halted before its first instruction with its gdbstub on `gdbPort`. */
export interface HaltedBoot {
  run: RunSession;
  gdbPort: number;
  /** The app in Wasm terms, when debugging at the Wasm level. */
  program: WasmProgram | undefined;
  /** Where the app was built (DWARF paths relative to the compilation directory resolve there). */
  sourceRoot: string;
}

type Say = (text: string, category?: OutputCategory) => void;

/**
 * Builds what is stale and boots the app (its instrumented copy at the Wasm level) halted, exactly as
 * `uniwasm run` would otherwise; `observers` follow the run as they follow `uniwasm run` (the views).
 */
export async function bootHalted(options: LaunchOptions, say: Say, observers: readonly RunObserver[] = []): Promise<HaltedBoot> {
  if (!options.app) throw new Error('launch needs "app": an app folder with a uniwasm.json or a .wasm file');
  const app = isAbsolute(options.app) ? options.app : resolve(options.cwd ?? process.cwd(), options.app);
  const boot = (options.debugWasm ?? true) ? await prepareWasm(app, options.cwd, say) : { app, kernelArgs: [], program: undefined, sourceRoot: app };
  const gdbPort = await freePort();
  const run = await RunSession.start({
    app: boot.app,
    port: options.port ?? RUN_DEFAULTS.port,
    redisUrl: options.redis || undefined,
    accel: options.accel ?? RUN_DEFAULTS.accel,
    memoryMiB: options.memoryMiB ?? RUN_DEFAULTS.memoryMiB,
    machine: options.machine ?? RUN_DEFAULTS.machine,
    qemuBinary: options.qemuPath ?? RUN_DEFAULTS.qemuPath,
    extraKernelArgs: [...boot.kernelArgs, ...(options.kernelArgs ?? [])],
    readyTimeoutMs: options.readyTimeoutMs ?? Infinity,
    gdbPort,
    halted: true,
    onConsole: (line) => say(`${line}\n`, 'stdout'),
    onLog: (message) => say(`uniwasm: ${message}\n`),
    onBuildOutput: (text) => say(text),
    observers,
  });
  return { run, gdbPort, program: boot.program, sourceRoot: boot.sourceRoot };
}

/**
 * Builds the app with the debug profile (DWARF for line breakpoints and source frames) and writes
 * its instrumented copy to `.uniwasm/debug/<app>.debug.wasm` (under `cwd`, else the app's
 * folder): RunSession boots that file as it is, with `wasm_debug=N`.
 */
async function prepareWasm(app: string, cwd: string | undefined, say: Say): Promise<{ app: string; kernelArgs: string[]; program: WasmProgram; sourceRoot: string }> {
  const built = await buildAll(app, { onOutput: (text) => say(text) }, 'debug');
  const folder = statSync(app).isDirectory();
  const name = folder ? readAppManifest(app).name : basename(app, extname(app));
  const appDir = folder ? app : dirname(app);
  const { program, path } = WasmLevel.prepare(built.app, join(cwd ?? appDir, '.uniwasm', 'debug'), name);
  const how = program.lines
    ? 'DWARF lines'
    : `no DWARF${folder ? ' (does its build honour UNIWASM_PROFILE=debug with -g?)' : ''}: function breakpoints, statements after calls and blocks`;
  const where = program.componentModule === undefined ? '' : ` in the component's core module ${program.componentModule}`;
  say(`uniwasm: Wasm debugging with ${path} (${program.sites.length} probe sites${where}; ${how})\n`);
  return { app: path, kernelArgs: [WasmLevel.kernelArgument(program)], program, sourceRoot: appDir };
}
