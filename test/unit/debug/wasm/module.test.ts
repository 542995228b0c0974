// The Wasm binary reader on modules built here with wat2wasm and clang: sections, types, imports,
// exports, start, code bodies (instruction offsets cross-checked with wasm-objdump), the name
// section, and clear errors on malformed input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WasmFormatError } from '../../../../src/debug/wasm/bytes';
import { codeSectionStart, functionName, functionType, parseModule, SECTION } from '../../../../src/debug/wasm/module';
import { clangWasm, objdumpInstructionOffsets, wat } from '../../../fixtures/debug/wasmTools';

const KITCHEN_SINK = `
(module
  (type $binop (func (param i32 i32) (result i32)))
  (import "env" "log" (func $log (param i32)))
  (import "env" "mem" (memory 1))
  (import "env" "base" (global $base i32))
  (table 2 funcref)
  (elem (i32.const 0) $add $sub)
  (global $counter (mut i32) (i32.const 0))
  (func $add (type $binop) (param $a i32) (param $b i32) (result i32)
    local.get $a local.get $b i32.add)
  (func $sub (type $binop) (local.get 0) (local.get 1) (i32.sub))
  (func $dispatch (export "dispatch") (param $op i32) (param $x i32) (result i32)
    (local $tmp i64) (local $f f64)
    i64.const -123456789012 local.set $tmp
    f64.const 2.5 local.set $f
    f32.const 1.5 drop
    (block $out
      (block $one
        (br_table $out $one (local.get $op)))
      (call $log (local.get $x)))
    (if (result i32) (i32.eqz (local.get $op))
      (then (call_indirect (type $binop) (local.get $x) (i32.const 1) (i32.const 0)))
      (else (select (local.get $x) (i32.const 7) (local.get $op)))))
  (func $init
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 16))
    (drop (i8x16.extract_lane_u 3 (v128.const i32x4 1 2 3 4)))
    (global.set $counter (global.get $base)))
  (start $init)
  (export "add" (func $add))
  (export "memory" (memory 0)))
`;

test('sections, types, imports, exports, start and names of a WAT module', () => {
  const bytes = wat(KITCHEN_SINK);
  const m = parseModule(bytes);
  assert.deepEqual(m.sections.filter((s) => s.id !== SECTION.custom).map((s) => s.id), [1, 2, 3, 4, 6, 7, 8, 9, 10]);
  assert.equal(m.sections.at(-1)!.name, 'name');
  assert.deepEqual(m.imports.map((i) => `${i.module}.${i.field}:${i.kind}`), ['env.log:func', 'env.mem:memory', 'env.base:global']);
  assert.equal(m.importedFunctionCount, 1);
  assert.deepEqual(functionType(m, 0), { params: [0x7f], results: [] });
  assert.deepEqual(functionType(m, 1), { params: [0x7f, 0x7f], results: [0x7f] });
  assert.deepEqual(m.exports, [
    { name: 'dispatch', kind: 'func', index: 3 },
    { name: 'add', kind: 'func', index: 1 },
    { name: 'memory', kind: 'memory', index: 0 },
  ]);
  assert.equal(m.start, 4);
  assert.deepEqual(m.bodies.map((b) => b.funcIndex), [1, 2, 3, 4]);
  assert.deepEqual(m.globals, [{ type: 0x7f, mutable: false, imported: true }, { type: 0x7f, mutable: true, imported: false }]);
  assert.deepEqual([...m.names.functions.values()], ['log', 'add', 'sub', 'dispatch', 'init']);
  assert.deepEqual([...m.names.locals.get(3)!], [[0, 'op'], [1, 'x'], [2, 'tmp'], [3, 'f']]);
  assert.equal(functionName(m, 2), 'sub');
  assert.deepEqual(m.bodies[2].locals, [{ count: 1, type: 0x7e }, { count: 1, type: 0x7c }]);
  assert.deepEqual(m.warnings, []);
});

test('instruction offsets agree with wasm-objdump, for WAT and for clang output', () => {
  for (const bytes of [wat(KITCHEN_SINK), clangWasm('int sq(int x) { return x * x; }\nint f(int n) { int s = 0; for (int i = 0; i < n; i++) s += sq(i); return s; }\n', ['-O2'])]) {
    const m = parseModule(bytes);
    assert.deepEqual(m.bodies.map((b) => b.instructions.map((i) => i.offset)), objdumpInstructionOffsets(bytes));
    for (const body of m.bodies) {
      assert.equal(body.instructions.at(-1)!.end, body.end, 'the final end closes the body');
      assert.ok(body.bodyStart < body.codeStart);
    }
  }
});

test('calls carry their function index; code offsets count from the code section payload', () => {
  const m = parseModule(wat(KITCHEN_SINK));
  const dispatch = m.bodies.find((b) => b.funcIndex === 3)!;
  assert.deepEqual(dispatch.instructions.filter((i) => i.funcIndex !== undefined).map((i) => i.funcIndex), [0]);
  const code = m.sections.find((s) => s.id === SECTION.code)!;
  assert.equal(codeSectionStart(m), code.start);
  assert.equal(m.bytes[code.start], 4, 'the payload starts with the body count');
});

/** A valid module to break: one function `(func (result i32) i32.const 42)`. */
function tiny(): Uint8Array {
  return wat('(module (func (export "f") (result i32) i32.const 42))');
}

function expectError(bytes: Uint8Array, pattern: RegExp): WasmFormatError {
  let caught: unknown;
  try {
    parseModule(bytes);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof WasmFormatError, `expected a WasmFormatError matching ${pattern}, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  assert.match(caught.message, /\(at offset 0x[0-9a-f]+\)/);
  return caught;
}

test('clear errors on malformed modules', () => {
  const good = tiny();
  parseModule(good);
  expectError(Buffer.from('\0asn\x01\0\0\0'), /bad magic/);
  const v2 = Uint8Array.from(good);
  v2[4] = 2;
  expectError(v2, /unsupported Wasm version 2/);
  expectError(good.subarray(0, good.length - 3), /runs past the end of the module/);

  const m = parseModule(good);
  const code = m.sections.find((s) => s.id === SECTION.code)!;
  // An unknown opcode in place of i32.const.
  const badOp = Uint8Array.from(good);
  badOp[m.bodies[0].codeStart] = 0xff;
  assert.equal(expectError(badOp, /unknown opcode 0xff/).offset, m.bodies[0].codeStart);
  // The final end replaced by nop: the body does not end.
  const noEnd = Uint8Array.from(good);
  noEnd[m.bodies[0].end - 1] = 0x01;
  expectError(noEnd, /does not end with end|unexpected end/);
  // Sections out of order: put the code section's id where the type section's is.
  const order = Uint8Array.from(good);
  order[m.sections[0].offset] = SECTION.code;
  expectError(order, /out of order|bodies for|unexpected end|left over/);
  // A function declared without a body: drop the code section.
  const noCode = Buffer.concat([good.subarray(0, code.offset), good.subarray(code.end)]);
  expectError(noCode, /1 functions declared but 0 bodies/);
});

test('a broken name section is ignored with a warning, not fatal', () => {
  const good = tiny();
  const names = parseModule(good).sections.find((s) => s.name === 'name')!;
  const broken = Uint8Array.from(good);
  broken[names.start + 1] = 0x7f; // the first subsection's size now runs past the section
  const m = parseModule(broken);
  assert.equal(m.warnings.length, 1);
  assert.match(m.warnings[0], /name section ignored/);
  assert.equal(functionName(m, 0), 'f', 'falls back to the export name');
});
