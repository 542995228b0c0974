// Stop replies of the GDB remote protocol (src/debug/gdb/stopReply.ts): T with thread and registers, S, W, X.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStopReply, parseThreadId } from '../../../../src/debug/gdb/stopReply';

test('stop replies: T with thread and registers, S, W, X, and non-stop packets', () => {
  const t = parseStopReply('T05thread:p01.02;core:1;10:f0ff000000000000;swbreak:;library:;newthing:7;');
  assert.ok(t && t.kind === 'signal');
  assert.equal(t.signal, 5);
  assert.equal(t.thread, 2);
  assert.equal(t.core, 1);
  assert.equal(t.reason, 'swbreak');
  assert.equal(t.registers.get(0x10)?.toString('hex'), 'f0ff000000000000');
  const w = parseStopReply('T05watch:1000;thread:01;');
  assert.ok(w && w.kind === 'signal');
  assert.equal(w.watchAddress, 0x1000n);
  // QEMU 7.2's form for each kind of watchpoint: thread first, the kind with the watched address.
  for (const kind of ['watch', 'rwatch', 'awatch']) {
    const q = parseStopReply(`T05thread:p01.01;${kind}:3d2a10c;`);
    assert.ok(q && q.kind === 'signal');
    assert.equal(q.reason, kind);
    assert.equal(q.watchAddress, 0x3d2a10cn);
    assert.equal(q.thread, 1);
  }
  assert.deepEqual(parseStopReply('S02'), { kind: 'signal', signal: 2, registers: new Map() });
  assert.deepEqual(parseStopReply('W00'), { kind: 'exited', code: 0 });
  assert.deepEqual(parseStopReply('X09;process:1'), { kind: 'terminated', signal: 9 });
  assert.equal(parseStopReply('OK'), undefined);
  assert.equal(parseStopReply('E01'), undefined);
  assert.equal(parseThreadId('p01.0a'), 10);
  assert.equal(parseThreadId('-1'), -1);
});
