// The app in the original module's terms (src/debug/wasm/program.ts), on modules clang builds here with and without DWARF: names, lines, sites, values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_DWARF } from '../../../../src/debug/wasm/dwarf';
import { formatValue, WasmProgram } from '../../../../src/debug/wasm/program';
import { clangWasm, FACT_C, validate, wat } from '../../../fixtures/debug/wasmTools';

test('program with DWARF: names, lines, a line without code moves to the next', () => {
  const program = new WasmProgram(clangWasm(FACT_C, ['-O0', '-g']));
  validate(program.instrumented);
  assert.ok(program.lines);
  const [fact] = program.functionsNamed('fact');
  assert.equal(program.functionName(fact), 'fact');
  assert.deepEqual(program.functionsNamed('mul').length, 1, 'name-section names count too');
  assert.deepEqual(program.functionsNamed('nothing'), []);
  const entry = program.entrySite(fact)!;
  assert.deepEqual(program.location(entry), { name: 'fact', file: 'prog.c', line: 6, column: entry.column || 1 });

  const at7 = program.statementsAt('prog.c', 7)!;
  assert.equal(at7.line, 7);
  assert.ok(at7.sites.length > 0 && at7.sites.every((s) => s.kind === 'statement' && s.line === 7 && s.function === 'fact'));
  // Line 4 is blank: the breakpoint goes to the next line with a statement.
  const at4 = program.statementsAt('/some/dir/prog.c', 4)!;
  assert.ok(at4.line > 4 && at4.sites.every((s) => s.line === at4.line));
  assert.equal(program.statementsAt('prog.c', 500), undefined);
  assert.equal(program.statementsAt('other.c', 7), undefined);
  assert.equal(program.globalName(0), '__stack_pointer');
});

test('program without DWARF: function+offset locations, no line breakpoints', () => {
  const program = new WasmProgram(clangWasm(FACT_C, ['-O1']));
  assert.equal(program.lines, undefined);
  const [fact] = program.functionsNamed('fact');
  const entry = program.entrySite(fact)!;
  assert.deepEqual(program.location(entry), { name: 'fact', line: 0, column: 0 });
  const statement = program.sites[entry.index + 1];
  assert.equal(statement.kind, 'statement');
  assert.match(program.location(statement).name, /^fact\+0x[0-9a-f]+$/);
  assert.equal(program.statementsAt('prog.c', 7), undefined);
  assert.equal(program.site(entry.site), entry);
  assert.equal(program.site(entry.site + 1), undefined, 'the kind bits must match the table');
});

test('Rust names: frames show them demangled; a breakpoint finds them by raw, demangled or path-suffix name', () => {
  const program = new WasmProgram(wat(`(module
    (func $_RNvCsjHkml8O10JS_19http_component_rust4text (result i32) i32.const 1)
    (func $_RNvCsjHkml8O10JS_19http_component_rust4main (result i32) call $_RNvCsjHkml8O10JS_19http_component_rust4text)
    (func $plain_c_name))`));
  assert.equal(program.functionName(0), 'http_component_rust::text');
  assert.equal(program.functionName(2), 'plain_c_name');
  assert.deepEqual(program.functionsNamed('_RNvCsjHkml8O10JS_19http_component_rust4text'), [0]);
  assert.deepEqual(program.functionsNamed('http_component_rust::text'), [0]);
  assert.deepEqual(program.functionsNamed('text'), [0]);
  assert.deepEqual(program.functionsNamed('main'), [1]);
  assert.deepEqual(program.functionsNamed('rust::text'), [], 'a suffix at a path boundary only');
  assert.deepEqual(program.functionsNamed('ext'), []);
});

test('with DWARF each function captures its params and the locals its variables use; without, the first locals', () => {
  const withDwarf = new WasmProgram(clangWasm(FACT_C, ['-O0', '-g']));
  const dwarf = withDwarf.dwarf;
  assert.ok(typeof dwarf !== 'string', 'the module has DWARF');
  const [fact] = withDwarf.functionsNamed('fact');
  const used = dwarf.localsUsed(withDwarf.functionStart(fact));
  assert.equal(used.length, 1, 'at -O0 the frame base only');
  assert.deepEqual(withDwarf.capturedLocals(fact).map((l) => l.index), [0, ...used], 'the param n, then the frame base');
  const plain = new WasmProgram(clangWasm(FACT_C, ['-O0']));
  assert.equal(plain.dwarf, NO_DWARF);
  assert.ok(plain.capturedLocals(fact).length > 2, 'the default: every numeric local up to the limit');
});

test('values: globals as the debugger shows them', () => {
  assert.equal(formatValue(0x7f, 0xffff_ffffn), '-1 (0xffffffff)');
  assert.equal(formatValue(0x7e, 0x10n), '16 (0x10)');
  assert.equal(formatValue(0x7d, 0x3fc0_0000n), '1.5');
  assert.equal(formatValue(0x7c, 0x4004_0000_0000_0000n), '2.5');
});
