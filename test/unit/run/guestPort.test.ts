// The guest port a run forwards to: 3000, or the one a `port=` kernel argument names (docs/ABI.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guestPort } from '../../../src/run/session';

test('the guest port is 3000 unless a port= kernel argument names another', () => {
  assert.equal(guestPort([]), 3000);
  assert.equal(guestPort(['log=debug']), 3000);
  assert.equal(guestPort(['log=debug', 'port=8080']), 8080);
});

test('a port= kernel argument that is no port is refused before QEMU starts', () => {
  for (const bad of ['port=0', 'port=65536', 'port=abc', 'port=', 'port=0x50', 'port=-1']) {
    assert.throws(() => guestPort([bad]), /the port must be 1-65535/, bad);
  }
});
