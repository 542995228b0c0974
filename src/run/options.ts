// What a run can be asked for, its defaults and its limits: the one owner the CLI, the settings and
// launch.json take them from.

export const MACHINES = ['microvm', 'q35'] as const;
export type Machine = (typeof MACHINES)[number];

/** `auto` takes KVM only after a probe boot succeeds (see accel.ts). */
export const ACCELS = ['tcg', 'kvm', 'auto'] as const;
export type AccelChoice = (typeof ACCELS)[number];

/** Every default a run falls back to when neither a flag, a setting nor launch.json says otherwise. */
export const RUN_DEFAULTS = {
  /** Host port on 127.0.0.1 forwarded to the guest's HTTP port. */
  port: 3000,
  memoryMiB: 128,
  accel: 'tcg' as AccelChoice,
  machine: 'microvm' as Machine,
  qemuPath: 'qemu-system-x86_64',
  /** How long a run waits for the guest's first HTTP answer. */
  readyTimeoutMs: 60_000,
} as const;

/** Inclusive bounds of the numeric options. */
export const RUN_LIMITS = {
  port: { min: 1, max: 65535 },
  memoryMiB: { min: 16, max: 65536 },
} as const;

/** A `--kernel-arg` / `uniwasm.kernelArgs` entry: `key=value` without spaces (kernel/README.md). */
export const KERNEL_ARG = /^[a-z_][a-z0-9_]*=\S*$/;
