// DWARF expressions by hand (DWARF 5 §2.5, the Wasm convention's DW_OP_WASM_location): the operations clang emits
// rarely or only in other programs, evaluated against a frame whose locals, globals and memory are known.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, evaluate, format, NotAvailable } from '../../../../../src/debug/wasm/dwarf/expression';
import { DwarfError, Unit } from '../../../../../src/debug/wasm/dwarf/info';
import { fakeFrame } from '../../../../fixtures/debug/dwarf/programs';

/** A DWARF 5 unit whose .debug_addr holds 0x1000 and 0x2000 (after its 8-byte header). */
const unit = new Unit(new Map([['.debug_addr', Uint8Array.of(0, 0, 0, 0, 5, 0, 4, 0, 0x00, 0x10, 0, 0, 0x00, 0x20, 0, 0)]]), 0, 5, 4, 4);
const memory = new Uint8Array(0x3000);
new DataView(memory.buffer).setUint32(0x1000, 0x2004, true);
new DataView(memory.buffer).setUint32(0x2004, 0xcafe, true);
const frame = fakeFrame(memory, { 0: 7n, 2: 0x1000n }, { 0: 0x2000n, 5: 42n });
const run = (bytes: number[], frameBase?: number[]) => evaluate(Uint8Array.from(bytes), { frame, unit, frameBase: frameBase && Uint8Array.from(frameBase) });

test('Wasm locations: locals, globals (uleb and u32 index), the operand stack', async () => {
  assert.deepEqual(await run([0xed, 0x00, 0x00, 0x9f]), [{ where: { kind: 'value', value: 7n, local: 0 } }]);
  assert.deepEqual(await run([0xed, 0x01, 0x05, 0x9f]), [{ where: { kind: 'value', value: 42n, local: undefined } }]);
  assert.deepEqual(await run([0xed, 0x03, 0x05, 0x00, 0x00, 0x00, 0x9f]), [{ where: { kind: 'value', value: 42n, local: undefined } }]);
  assert.deepEqual(await run([0xed, 0x00, 0x02, 0x23, 0x04]), [{ where: { kind: 'memory', address: 0x1004 } }], 'a local plus an offset is memory');
  await assert.rejects(run([0xed, 0x02, 0x01, 0x9f]), (e) => e instanceof NotAvailable && /operand stack \(entry 1\)/.test(e.message));
  await assert.rejects(run([0xed, 0x00, 0x09, 0x9f]), (e) => e instanceof NotAvailable && /local 9 was not captured/.test(e.message));
  assert.equal(format(decode(Uint8Array.of(0xed, 0x03, 0x05, 0, 0, 0, 0x9f))), 'DW_OP_WASM_location 0x3 0x5, DW_OP_stack_value');
});

test('frame base in a global (-O2 leaf functions), addrx, deref, arithmetic, branches, implicit values, pieces', async () => {
  // DW_OP_fbreg -8 with the frame base in global 0 (__stack_pointer).
  assert.deepEqual(await run([0x91, 0x78], [0xed, 0x03, 0, 0, 0, 0, 0x9f]), [{ where: { kind: 'memory', address: 0x1ff8 } }]);
  assert.deepEqual(await run([0xa1, 0x01]), [{ where: { kind: 'memory', address: 0x2000 } }], 'DW_OP_addrx 1 through .debug_addr');
  // *(*(local 2)) + 1 as a value: deref twice.
  assert.deepEqual(await run([0xed, 0x00, 0x02, 0x06, 0x06, 0x23, 0x01, 0x9f]), [{ where: { kind: 'value', value: 0xcaffn, local: undefined } }]);
  assert.deepEqual(await run([0x0c, 0x04, 0x20, 0, 0, 0x94, 0x01, 0x9f]), [{ where: { kind: 'value', value: 0xfen, local: undefined } }], 'deref_size 1');
  // lit5 lit3 minus lit2 mul → 4; lit1 bra +1 skips a lit31; result 4.
  assert.deepEqual(await run([0x35, 0x33, 0x1c, 0x32, 0x1e, 0x31, 0x28, 0x01, 0x00, 0x4f, 0x9f]), [{ where: { kind: 'value', value: 4n, local: undefined } }]);
  assert.deepEqual(await run([0x11, 0x7f, 0x9f]), [{ where: { kind: 'value', value: -1n, local: undefined } }], 'consts -1');
  assert.deepEqual(await run([0x9e, 0x02, 0xab, 0xcd]), [{ where: { kind: 'bytes', bytes: Uint8Array.of(0xab, 0xcd) } }]);
  assert.deepEqual(await run([0x93, 0x02, 0x0c, 0x00, 0x10, 0, 0, 0x93, 0x04, 0xed, 0x00, 0x00, 0x9f, 0x93, 0x04]), [
    { where: { kind: 'unavailable', reason: 'optimized out' }, size: 2 },
    { where: { kind: 'memory', address: 0x1000 }, size: 4 },
    { where: { kind: 'value', value: 7n, local: 0 }, size: 4 },
  ]);
  assert.deepEqual(await run([]), [{ where: { kind: 'unavailable', reason: 'optimized out' } }]);
  await assert.rejects(run([0x22]), (e) => e instanceof DwarfError && /DW_OP_plus on an empty DWARF stack/.test(e.message));
  await assert.rejects(run([0x2f, 0xfd, 0xff]), (e) => e instanceof DwarfError && /loops/.test(e.message), 'skip -3 jumps to itself');
  await assert.rejects(run([0x30, 0x30, 0x1b]), (e) => e instanceof DwarfError && /DW_OP_div by zero/.test(e.message));
  await assert.rejects(run([0x91, 0x00]), (e) => e instanceof DwarfError && /without DW_AT_frame_base/.test(e.message));
  assert.throws(() => decode(Uint8Array.of(0x0c, 0x01)), (e) => e instanceof DwarfError && /truncated DWARF expression/.test(e.message));
});
