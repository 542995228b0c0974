// The extension's settings, validated without `vscode` so the rules are unit-tested in plain Node.
import { ACCELS, KERNEL_ARG, MACHINES, RUN_DEFAULTS, RUN_LIMITS, type AccelChoice, type Machine } from '../run/options';

export interface Settings {
  /** App folder (with uniwasm.json) or .wasm, relative to the workspace folder; empty = find uniwasm.json. */
  app: string;
  qemuPath: string;
  machine: Machine;
  memoryMiB: number;
  accel: AccelChoice;
  hostPort: number;
  /** redis://… of an existing server; empty = an embedded redis-server. */
  redisUrl: string;
  kernelArgs: string[];
}

export const DEFAULT_SETTINGS: Settings = {
  app: '',
  qemuPath: RUN_DEFAULTS.qemuPath,
  machine: RUN_DEFAULTS.machine,
  memoryMiB: RUN_DEFAULTS.memoryMiB,
  accel: RUN_DEFAULTS.accel,
  hostPort: RUN_DEFAULTS.port,
  redisUrl: '',
  kernelArgs: [],
};

export interface SettingsResult {
  settings: Settings;
  /** One message per rejected setting; its default is used instead. */
  errors: string[];
}

/** Validates raw values (as read from the configuration) key by key, falling back to defaults. */
export function validateSettings(raw: Partial<Record<keyof Settings, unknown>>): SettingsResult {
  const errors: string[] = [];
  const settings: Settings = { ...DEFAULT_SETTINGS, kernelArgs: [] };
  const reject = (key: keyof Settings, why: string) => errors.push(`uniwasm.${key}: ${why}; using the default`);

  const str = (key: 'app' | 'qemuPath' | 'redisUrl', allowEmpty: boolean) => {
    const v = raw[key];
    if (v === undefined) return;
    if (typeof v !== 'string' || (!allowEmpty && !v.trim())) reject(key, allowEmpty ? 'must be a string' : 'must be a non-empty string');
    else settings[key] = v.trim();
  };
  str('app', true);
  str('qemuPath', false);
  str('redisUrl', true);
  if (settings.redisUrl && !/^redis:\/\/[^\s]+$/.test(settings.redisUrl)) {
    reject('redisUrl', `"${settings.redisUrl}" is not a redis:// URL (leave it empty for an embedded Redis)`);
    settings.redisUrl = '';
  }

  const choice = <K extends 'machine' | 'accel'>(key: K, allowed: readonly Settings[K][]) => {
    const v = raw[key];
    if (v === undefined) return;
    if (!allowed.includes(v as Settings[K])) reject(key, `must be one of ${allowed.join(', ')}, not ${JSON.stringify(v)}`);
    else settings[key] = v as Settings[K];
  };
  choice('machine', MACHINES);
  choice('accel', ACCELS);

  const int = (key: 'memoryMiB' | 'hostPort', min: number, max: number) => {
    const v = raw[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) reject(key, `must be an integer from ${min} to ${max}, not ${JSON.stringify(v)}`);
    else settings[key] = v;
  };
  int('memoryMiB', RUN_LIMITS.memoryMiB.min, RUN_LIMITS.memoryMiB.max);
  int('hostPort', RUN_LIMITS.port.min, RUN_LIMITS.port.max);

  const args = raw.kernelArgs;
  if (args !== undefined) {
    if (!Array.isArray(args)) reject('kernelArgs', 'must be an array of "key=value" strings');
    else {
      const bad = args.filter((a) => typeof a !== 'string' || !KERNEL_ARG.test(a));
      if (bad.length) reject('kernelArgs', `not "key=value" without spaces: ${bad.map((b) => JSON.stringify(b)).join(', ')}`);
      else settings.kernelArgs = args as string[];
    }
  }
  return { settings, errors };
}
