// The little-endian hex helpers of the GDB client (src/debug/gdb/hex.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bigintToLittleEndian, littleEndianToBigint } from '../../../../src/debug/gdb/hex';

test('little-endian helpers', () => {
  assert.equal(littleEndianToBigint(Buffer.from('f0ff000000000000', 'hex')), 0xfff0n);
  assert.equal(bigintToLittleEndian(0x1122n, 4).toString('hex'), '22110000');
  assert.equal(bigintToLittleEndian(-1n, 2).toString('hex'), 'ffff');
});
