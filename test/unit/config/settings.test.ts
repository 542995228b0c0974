// Tests config/settings.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SETTINGS, validateSettings } from '../../../src/config/settings';

test('no settings give the defaults and no errors', () => {
  assert.deepEqual(validateSettings({}), { settings: DEFAULT_SETTINGS, errors: [] });
});

test('valid settings are taken as they are', () => {
  const raw = { app: 'apps/x', qemuPath: '/opt/qemu', machine: 'q35', memoryMiB: 64, accel: 'auto', hostPort: 8080,
    redisUrl: 'redis://10.1.2.3:6380', kernelArgs: ['log=debug'] } as const;
  const { settings, errors } = validateSettings(raw);
  assert.deepEqual(errors, []);
  assert.deepEqual(settings, { ...raw, kernelArgs: ['log=debug'] });
});

test('each bad value is named, and its default used', () => {
  const { settings, errors } = validateSettings({
    qemuPath: '  ', machine: 'pc', memoryMiB: 8, accel: 1, hostPort: 70000, redisUrl: 'http://x', kernelArgs: ['log=debug', 'two words'],
  });
  assert.deepEqual(settings, DEFAULT_SETTINGS);
  assert.equal(errors.length, 7);
  for (const key of ['qemuPath', 'machine', 'memoryMiB', 'accel', 'hostPort', 'redisUrl', 'kernelArgs']) {
    assert.ok(errors.some((e) => e.startsWith(`uniwasm.${key}:`)), `${key} reported: ${errors.join('\n')}`);
  }
  assert.match(errors.find((e) => e.includes('hostPort'))!, /from 1 to 65535, not 70000/);
  assert.match(errors.find((e) => e.includes('kernelArgs'))!, /"two words"/);
});
