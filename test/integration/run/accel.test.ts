// The probe boot behind `--accel auto`, run under TCG (the accelerator every machine has).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { kernelImage } from '../../../src/builder/kernel';
import { probeBoot } from '../../../src/run/accel';
import { productRoot } from '../../../src/util/paths';

const log = () => {};

test('the kernel passes its probe boot', async () => {
  assert.equal(await probeBoot({ qemuBinary: 'qemu-system-x86_64', kernel: await kernelImage(), log }, 'tcg'), true);
});

test('a kernel that exits with status 0 but never says probe: ok fails it', async () => {
  const floor = join(productRoot(), 'kernel/target/floor/floor.elf');
  execFileSync('bash', [join(productRoot(), 'bench/floor/build.sh')], { stdio: 'ignore' });
  assert.equal(await probeBoot({ qemuBinary: 'qemu-system-x86_64', kernel: floor, log }, 'tcg'), false);
});
