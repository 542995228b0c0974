import type { Settings } from '../config/settings';
import { RUN_DEFAULTS } from './options';
import type { RunOptions } from './session';

/** The run options the extension's settings decide (the caller adds callbacks and the signal). */
export function runOptionsFrom(s: Settings, app: string): RunOptions {
  return {
    app,
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
