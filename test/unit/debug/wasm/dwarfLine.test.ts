// The .debug_line reader on modules clang builds here (DWARF 4, clang 14's default for wasm32, and
// DWARF 5), cross-checked row by row with llvm-dwarfdump; lookups both ways.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WasmFormatError } from '../../../../src/debug/wasm/bytes';
import { LineTable } from '../../../../src/debug/wasm/dwarfLine';
import { codeSectionStart, parseModule } from '../../../../src/debug/wasm/module';
import { clangWasm, dwarfdumpRows, FACT_C } from '../../../fixtures/debug/wasmTools';

for (const version of ['4', '5']) {
  test(`DWARF ${version}: every row agrees with llvm-dwarfdump`, () => {
    const bytes = clangWasm(FACT_C, ['-O0', `-gdwarf-${version}`]);
    const table = LineTable.fromModule(parseModule(bytes))!;
    assert.ok(table, 'the module has a line table');
    const ours = table.rows.map(({ address, line, column, isStmt, endSequence }) => ({ address, line, column, isStmt, endSequence }));
    assert.deepEqual(ours, dwarfdumpRows(bytes));
    assert.deepEqual(table.files().map((f) => f.split('/').pop()), ['prog.c']);
  });
}

test('lookups: code offset → file:line and file:line → statement offsets', () => {
  const m = parseModule(clangWasm(FACT_C, ['-O0', '-g']));
  const table = LineTable.fromModule(m)!;
  const fact = m.bodies.find((b) => m.names.functions.get(b.funcIndex) === 'fact')!;
  const start = fact.bodyStart - codeSectionStart(m);
  assert.equal(table.lookup(start)?.line, 6, 'the function starts at its declaration line');
  const [line9] = table.addressesFor('prog.c', 9);
  assert.equal(table.lookup(line9)?.line, 9);
  assert.equal(table.lookup(line9 + 1)?.line, 9, 'inside the row');
  assert.ok(table.addressesFor('/some/where/prog.c', 9).length > 0, 'a full path matches the relative name');
  assert.deepEqual(table.addressesFor('prog.c', 4), [], 'a blank line has no code');
  assert.deepEqual(table.addressesFor('other.c', 9), []);
  assert.equal(table.lookup(0xfffff), undefined);
  assert.equal(LineTable.fromModule(parseModule(clangWasm(FACT_C, ['-O0']))), undefined, 'no -g, no table');
});

test('clear errors on a malformed line table', () => {
  assert.throws(() => LineTable.parse(Uint8Array.from([0xff, 0, 0, 0, 4, 0])), (err) => err instanceof WasmFormatError && /runs past the section/.test(err.message));
  assert.throws(() => LineTable.parse(Uint8Array.from([2, 0, 0, 0, 9, 0])), /unsupported .debug_line version 9/);
});
