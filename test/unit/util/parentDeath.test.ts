// Children started through diesWithUs: a missing command is still named as missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { startEmbeddedRedis } from '../../../src/redis/embedded';
import { commandNotFound, diesWithUs } from '../../../src/util/parentDeath';

test('a command that does not exist is reported as not found, through setpriv or not', async () => {
  const result = await execa(...diesWithUs('uniwasm-no-such-command', ['--x']), { reject: false, all: true });
  assert.ok(commandNotFound(result as { code?: string; exitCode?: number }, result.all ?? ''), JSON.stringify(result.all));
  const ok = await execa(...diesWithUs('true', []), { reject: false, all: true });
  assert.equal(commandNotFound(ok as { code?: string; exitCode?: number }, ok.all ?? ''), false);
});

test('a missing redis-server binary is a clear error', async () => {
  await assert.rejects(startEmbeddedRedis('uniwasm-no-such-redis-server'), /uniwasm-no-such-redis-server not found: install redis-server/);
});
