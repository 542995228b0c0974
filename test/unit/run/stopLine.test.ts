// Tests run/stopLine.ts: QEMU's note of our own Stop becomes "stopped"; anyone else's signal stays as QEMU said it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consoleLine } from '../../../src/run/stopLine';

test('QEMU ended by this process reads "stopped"; ended by another process, or any other line, is shown as said', () => {
  assert.equal(consoleLine(`qemu-system-x86_64: terminating on signal 15 from pid ${process.pid} (node)`), 'uniwasm: stopped');
  assert.equal(consoleLine('qemu-system-x86_64: terminating on signal 15 from pid 4242 (node)', 4242), 'uniwasm: stopped');
  const other = 'qemu-system-x86_64: terminating on signal 15 from pid 4243 (kill)';
  assert.equal(consoleLine(other, 4242), other);
  assert.equal(consoleLine('[INFO ] ready: listening on 10.0.2.15:3000', 4242), '[INFO ] ready: listening on 10.0.2.15:3000');
});
