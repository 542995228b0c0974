// Chooses QEMU's accelerator: TCG, KVM, or KVM only after a probe boot succeeds (`auto`).
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { execa } from 'execa';
import { guestExitValue } from '../qemu/args';
import type { AccelChoice } from './options';

export interface ProbeContext {
  qemuBinary: string;
  kernel: string;
  log: (message: string) => void;
}

/**
 * `auto` takes KVM only when a probe boot under KVM reaches the kernel's Rust code and exits
 * cleanly: on some hosts /dev/kvm exists but the guest dies at its first SSE instruction.
 */
export async function chooseAccel(choice: AccelChoice, ctx: ProbeContext): Promise<'tcg' | 'kvm'> {
  if (choice !== 'auto') return choice;
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    ctx.log('accel auto: /dev/kvm is not usable, using TCG');
    return 'tcg';
  }
  const ok = await probeBoot(ctx, 'kvm');
  ctx.log(ok ? 'accel auto: KVM probe boot succeeded, using KVM' : 'accel auto: KVM probe boot failed, using TCG');
  return ok ? 'kvm' : 'tcg';
}

/** Boots the kernel with `probe=1` (it exits with status 0 right after its early init) under `accel`. */
export async function probeBoot(ctx: ProbeContext, accel: 'tcg' | 'kvm'): Promise<boolean> {
  const result = await execa(
    ctx.qemuBinary,
    ['-M', 'microvm', '-accel', accel, '-m', '64', '-nodefaults', '-no-user-config', '-nographic',
      '-serial', 'stdio', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-kernel', ctx.kernel, '-append', 'probe=1'],
    { reject: false, timeout: 10_000, stdin: 'ignore' },
  );
  return guestExitValue(result.exitCode) === 0 && result.stdout.includes('probe: ok');
}
