// The kernel's mailbox as the debugger reads it (src/debug/wasm/mailbox.ts): every field at its offset, problems named, bitmap bits, step words, frames.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  breakpointBitmap, decodeFrames, decodeMailbox, encodeStep, mailboxProblem, storedFrames, trapName,
} from '../../../../src/debug/wasm/mailbox';
import { mailboxBytes, READY } from '../../../fixtures/debug/mailbox';

test('mailbox: every field at its offset; problems named', () => {
  const m = decodeMailbox(mailboxBytes({ ...READY, siteCount: 17, depth: 1030, currentSite: 0x2e, stepMode: 2, stepDepth: 3, reason: 4, trapCode: 9, inWasm: true, stops: 12n, values: 0x50_0000n, valuesSize: 0x5_0000n }));
  assert.equal(m.magic, 0x4244_5755);
  assert.equal(Buffer.from('UWDB').readUInt32LE(0), m.magic, 'the magic reads "UWDB" in memory');
  assert.deepEqual(
    [m.siteCount, m.frameCapacity, m.breakpoints, m.frames, m.depth, m.currentSite, m.stepMode, m.stepDepth, m.reason, m.trapCode],
    [17, 1024, 0x20_0000n, 0x21_0000n, 1030, 0x2e, 2, 3, 4, 9],
  );
  assert.deepEqual([m.memoryBase, m.memorySize, m.globalCount, m.inWasm, m.globals, m.stops], [0x40_0000n, 0x2_0000n, 1, true, 0x22_0000n, 12n]);
  assert.deepEqual([m.values, m.valuesSize], [0x50_0000n, 0x5_0000n]);
  assert.equal(storedFrames(m), 1024, 'deeper frames are counted, not stored');
  assert.throws(() => decodeMailbox(Buffer.alloc(119)), /120 bytes/);

  assert.equal(mailboxProblem(m, 17), undefined);
  assert.match(mailboxProblem(decodeMailbox(mailboxBytes({})), 17)!, /not set up/);
  assert.match(mailboxProblem({ ...m, version: 1 }, 17)!, /version 1; this adapter reads version 4/);
  assert.match(mailboxProblem({ ...m, version: 2 }, 17)!, /version 2; this adapter reads version 4/, 'version 2 knows no MEMORY_GROWN');
  assert.match(mailboxProblem({ ...m, version: 3 }, 17)!, /version 3; this adapter reads version 4/, 'version 3 never answers locals_written');
  assert.match(mailboxProblem(m, 18)!, /17 probe sites, the instrumented module has 18/);
  assert.equal(trapName(1), 'out-of-bounds memory access');
  assert.equal(trapName(0xffff_ffff), 'host function failed');
  assert.equal(trapName(77), 'trap code 77');
});

test('mailbox: bitmap bits, step words, frames', () => {
  assert.deepEqual([...breakpointBitmap(17, [0, 9, 16])], [0b1, 0b10, 0b1]);
  assert.deepEqual([...breakpointBitmap(8, [])], [0]);
  assert.throws(() => breakpointBitmap(8, [8]), /outside the 8 sites/);
  assert.deepEqual([...encodeStep('over', 3)], [2, 0, 0, 0, 3, 0, 0, 0]);
  assert.deepEqual([...encodeStep('pause', 0)], [4, 0, 0, 0, 0, 0, 0, 0]);
  const frames = Buffer.alloc(16);
  frames.writeUInt32LE(0x10, 0);
  frames.writeUInt32LE(0x16, 4);
  frames.writeUInt32LE(0x20, 8);
  frames.writeUInt32LE(0x21, 12);
  assert.deepEqual(decodeFrames(frames), [{ entrySite: 0x10, site: 0x16 }, { entrySite: 0x20, site: 0x21 }]);
});
