// The run options the `uniwasm.*` settings and the workspace's app decide, for the Run command and the
// run task alike (the caller adds callbacks, observers and its signal).
import type * as vscode from 'vscode';
import { RUN_DEFAULTS } from '../run/options';
import type { RunOptions } from '../run/session';
import { locateApp } from './locateApp';
import { readSettings } from './read';

export async function runOptionsFromSettings(log: vscode.LogOutputChannel): Promise<RunOptions> {
  const s = readSettings(log);
  return {
    app: await locateApp(s.app),
    port: s.hostPort,
    redisUrl: s.redisUrl || undefined,
    accel: s.accel,
    memoryMiB: s.memoryMiB,
    machine: s.machine,
    qemuBinary: s.qemuPath,
    extraKernelArgs: s.kernelArgs,
    readyTimeoutMs: RUN_DEFAULTS.readyTimeoutMs,
  };
}
