// The machine breakpoint table (src/debug/kernel/breakpoints.ts): owners per address → Z0/z0 changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BreakpointTable } from '../../../../src/debug/kernel/breakpoints';

test('breakpoint table: one stub breakpoint per address, whatever the kinds owning it', () => {
  const table = new BreakpointTable();
  const fn = (address: bigint) => ({ id: table.newId(), kind: 'function' as const, address });
  const ins = (address: bigint) => ({ id: table.newId(), kind: 'instruction' as const, address });
  assert.deepEqual(table.replace('function', [fn(0x10n), fn(0x20n)]), { insert: [0x10n, 0x20n], remove: [] });
  assert.deepEqual(table.replace('instruction', [ins(0x20n), ins(0x30n)]), { insert: [0x30n], remove: [] }, '0x20 is set already');
  assert.deepEqual(table.at(0x20n).map((b) => b.kind), ['function', 'instruction']);
  assert.deepEqual(table.replace('function', []), { insert: [], remove: [0x10n] }, '0x20 still has an owner');
  assert.deepEqual(table.replace('instruction', []), { insert: [], remove: [0x20n, 0x30n] });
  assert.equal(table.addresses().size, 0);
});
