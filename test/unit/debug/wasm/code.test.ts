// The Disassembly view's Wasm code (src/debug/wasm/code.ts): references, paging both ways with
// fillers at the ends, source lines from DWARF, and a frame's reference at its probe site.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WasmCode } from '../../../../src/debug/wasm/code';
import { codeSectionStart } from '../../../../src/debug/wasm/module';
import { WasmProgram } from '../../../../src/debug/wasm/program';
import { clangWasm, FACT_C, objdumpText } from '../../../fixtures/debug/wasmTools';

test('pages of instructions around a reference, with their lines, fillers past both ends', () => {
  const bytes = clangWasm(FACT_C, ['-O0', '-g']);
  const program = new WasmProgram(bytes);
  const code = new WasmCode(program, (file) => `/src/${file}`);
  const objdump = objdumpText(bytes);
  const offsets = [...objdump.keys()];
  // mul comes after fact: instructions of fact lie before its first one.
  const mul = program.module.bodies.find((b) => program.functionName(b.funcIndex) === 'mul')!;
  const base = codeSectionStart(program.module);

  // A frame at mul's entry site (its body start) points at its first instruction.
  const entry = code.reference(mul.bodyStart - base);
  assert.equal(entry, `wasm-code:0x${mul.codeStart.toString(16)}`);
  const page = code.disassemble(entry, 0, -3, 8);
  assert.equal(page.length, 8);
  const first = offsets.indexOf(mul.codeStart);
  assert.deepEqual(page.map((i) => i.address), offsets.slice(first - 3, first + 5).map((o) => `0x${o.toString(16)}`));
  assert.equal(page[3].instruction, objdump.get(mul.codeStart));
  assert.equal(page[3].symbol, 'mul');
  assert.equal(page[2].symbol, 'fact');
  assert.equal(page[3].source?.path, '/src/prog.c');
  assert.equal(page[3].line, 1, 'the function starts at its declaration line');
  assert.equal(page[2].line, 10, "fact's final end, on its return line");
  assert.ok(page.every((i) => /^[0-9a-f]{2}( [0-9a-f]{2})*$/.test(i.instructionBytes!)));

  // Byte offsets move the reference; the ends are padded with invalid fillers.
  const length = page[3].instructionBytes!.split(' ').length;
  assert.equal(code.disassemble(entry, length - 1, 0, 1)[0].address, page[3].address, 'inside the instruction');
  assert.equal(code.disassemble(entry, length + 1, 0, 1)[0].address, page[4].address, 'inside the next instruction');
  const start = code.disassemble(`wasm-code:0x${offsets[0].toString(16)}`, 0, -2, 3);
  assert.deepEqual(start.map((i) => i.invalid ?? false), [true, true, false]);
  assert.equal(start[0].address, '-1');
  const end = code.disassemble(`wasm-code:0x${offsets.at(-1)!.toString(16)}`, 0, 0, 3);
  assert.deepEqual(end.map((i) => i.invalid ?? false), [false, true, true]);
  // Where instruction breakpoints can stop: mul's entry at its first instruction, its statement at the statement's.
  assert.deepEqual(code.sitesAt(mul.codeStart).map((s) => s.kind), ['entry']);
  const statement = program.sites.find((s) => s.funcIndex === mul.funcIndex && s.kind === 'statement')!;
  assert.deepEqual(code.sitesAt(statement.codeOffset + base), [statement]);
  assert.deepEqual(code.sitesAt(parseInt(page[4].address, 16)), [], 'no probe in the prologue');
  // fact's frame while mul runs: the call of mul in the statement that holds it.
  const call = program.sites.find((s) => s.kind === 'statement' && s.line === 9)!;
  const callAt = WasmCode.offsetOf(code.callReference(call.codeOffset, mul.funcIndex))!;
  assert.equal(objdump.get(callAt)!.trim(), `call ${mul.funcIndex} <mul>`);
  assert.equal(code.callReference(call.codeOffset, 99), code.reference(call.codeOffset), 'no call of it: the statement');
  assert.equal(WasmCode.offsetOf('wasm-code:0x10', 4), 0x14);
  assert.equal(WasmCode.offsetOf('0x10'), undefined);
  assert.throws(() => code.disassemble('0xffffffff81000000', 0, 0, 1), /not a Wasm instruction reference/);
  assert.throws(() => code.disassemble('wasm-code:0x1', 0, 0, 1), /not in the module's code/);
});
