// The instrumenter: the rewritten module validates (wasm-validate), computes the same results in
// Node's own WebAssembly, and calls the probe in the expected entry/statement/exit order — with
// DWARF lines from clang -g, and with the structural statements of modules without DWARF.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  globalExportName, instrument, MEMORY_GROWN, PROBE_FIELD, PROBE_MODULE, SITE_KIND_CODE, siteIndex, type InstrumentResult, type ProbeSite,
} from '../../../../src/debug/wasm/instrument';
import { functionName, parseModule } from '../../../../src/debug/wasm/module';
import { clangObject, clangWasm, FACT_C, validate, wat } from '../../../fixtures/debug/wasmTools';

type Exports = Record<string, ((...args: number[]) => number) & { value?: unknown }>;
type Imports = Record<string, Record<string, (...args: number[]) => unknown>>;
/** Node's WebAssembly global (the project's TypeScript libs leave out its declarations). */
const wasm = (globalThis as unknown as {
  WebAssembly: { instantiate(bytes: Uint8Array, imports: Imports): Promise<{ instance: { exports: unknown } }> };
}).WebAssembly;

/**
 * Node 20's WebAssembly has no multi-memory, which the value slots' memory needs: the modules run
 * here capture no locals (values.test.ts runs the value slots in Node 24).
 */
const PROBES_ONLY = { captureLocals: () => [] };

/** Instantiates a module; the instrumented one gets a probe that records the sites it reports (and answers row 0, no stop). */
async function run(bytes: Uint8Array, imports: Imports = {}): Promise<{ exports: Exports; trace: number[] }> {
  const trace: number[] = [];
  const { instance } = await wasm.instantiate(bytes, { ...imports, [PROBE_MODULE]: { [PROBE_FIELD]: (site: number) => { trace.push(site); return 0; } } });
  return { exports: instance.exports as unknown as Exports, trace };
}

/** A trace as `kind function[:line]` strings. */
function describe(result: InstrumentResult, trace: number[]): string[] {
  return trace.map((id) => {
    const s: ProbeSite = result.sites[siteIndex(id)];
    assert.equal(s.site, id);
    assert.equal(id & 3, SITE_KIND_CODE[s.kind], 'the low bits carry the kind');
    return s.kind === 'statement' ? `${s.function}:${s.line ?? s.codeOffset}` : `${s.kind} ${s.function}`;
  });
}

test('C with DWARF: entry, line statements and exit in execution order; results unchanged', async () => {
  const original = clangWasm(FACT_C, ['-O0', '-g']);
  const result = instrument(original, PROBES_ONLY);
  assert.equal(result.statements, 'dwarf');
  validate(result.module);
  const plain = await run(original);
  const debug = await run(result.module);
  for (const n of [0, 1, 4, 10]) assert.equal(debug.exports.fact(n), plain.exports.fact(n));
  assert.equal(plain.trace.length, 0);

  debug.trace.length = 0;
  assert.equal(debug.exports.fact(4), 24);
  const iteration = ['fact:9', 'entry mul', 'mul:2', 'exit mul', 'fact:8'];
  assert.deepEqual(describe(result, debug.trace), ['entry fact', 'fact:7', 'fact:8', ...iteration, ...iteration, ...iteration, 'fact:10', 'exit fact']);

  const entry = result.sites.find((s) => s.kind === 'entry' && s.function === 'fact')!;
  assert.equal(entry.line, 6);
  assert.equal(entry.file, 'prog.c');
  // DWARF and debug sections would describe the old offsets: they are gone from the rewritten module.
  assert.ok(!parseModule(result.module).sections.some((s) => s.name?.startsWith('.debug_')));
});

test('C without DWARF: structural statements, same results', async () => {
  const original = clangWasm(FACT_C, ['-O1']);
  const result = instrument(original, PROBES_ONLY);
  assert.equal(result.statements, 'structure');
  validate(result.module);
  const plain = await run(original);
  const debug = await run(result.module);
  assert.equal(debug.exports.fact(6), plain.exports.fact(6));
  const kinds = describe(result, debug.trace);
  assert.equal(kinds[0], 'entry fact');
  assert.equal(kinds.at(-1), 'exit fact');
  assert.ok(kinds.some((k) => k.startsWith('fact:')), 'statement sites fire');
});

const RECURSIVE = `
(module
  (import "env" "log" (func $log (param i32)))
  (type $unop (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $double $fact)
  (elem declare func $twice)
  (global $last (mut i32) (i32.const 0))
  (global $fn (mut funcref) (ref.func $twice))
  (func $double (type $unop) (i32.mul (local.get 0) (i32.const 2)))
  ;; return from inside a loop, and an early br_if to the function label
  (func $fact (export "fact") (type $unop) (local $acc i32)
    (if (i32.le_s (local.get 0) (i32.const 1)) (then (return (i32.const 1))))
    (i32.mul (local.get 0) (call $fact (i32.sub (local.get 0) (i32.const 1)))))
  (func $clamp (export "clamp") (param i32) (result i32)
    (drop (br_if 0 (i32.const 100) (i32.gt_s (local.get 0) (i32.const 100))))
    (local.get 0))
  (func $twice (export "twice") (param i32) (result i32)
    (call_indirect (type $unop) (call_indirect (type $unop) (local.get 0) (i32.const 0)) (i32.const 0)))
  (func $pair (export "pair") (param i32) (result i32 i32)
    (local.get 0) (i32.add (local.get 0) (i32.const 1)))
  (func $sum_pair (export "sum_pair") (param i32) (result i32)
    (i32.add (call $pair (local.get 0))))
  (func $start (call $log (i32.const 7)) (global.set $last (i32.const 1)))
  (start $start))
`;

test('WAT: calls, call_indirect through the table, returns, function-level br_if, multi-value, start', async () => {
  const original = wat(RECURSIVE);
  const result = instrument(original, PROBES_ONLY);
  validate(result.module);
  const logged: number[][] = [[], []];
  const plain = await run(original, { env: { log: (v: number) => logged[0].push(v) } });
  const debug = await run(result.module, { env: { log: (v: number) => logged[1].push(v) } });
  assert.deepEqual(logged, [[7], [7]], 'the start function ran in both, calling the import');
  // Without DWARF a statement starts at the first instruction and after each call.
  const startFn = parseModule(original).bodies.find((b) => b.funcIndex === parseModule(original).start)!;
  const afterCall = startFn.instructions.findIndex((i) => i.opcode === 0x10) + 1;
  const codeBase = parseModule(original).sections.find((s) => s.id === 10)!.start;
  assert.deepEqual(describe(result, debug.trace), [
    'entry start', `start:${startFn.instructions[0].offset - codeBase}`, `start:${startFn.instructions[afterCall].offset - codeBase}`, 'exit start',
  ]);

  for (const [name, args] of [['fact', [5]], ['clamp', [5]], ['clamp', [500]], ['twice', [3]], ['sum_pair', [20]]] as const) {
    assert.equal(debug.exports[name](...args), plain.exports[name](...args), `${name}(${args})`);
  }

  const entriesAndExits = (fn: () => unknown) => {
    debug.trace.length = 0;
    fn();
    return describe(result, debug.trace).filter((k) => !k.includes(':'));
  };
  assert.deepEqual(entriesAndExits(() => debug.exports.fact(3)), ['entry fact', 'entry fact', 'entry fact', 'exit fact', 'exit fact', 'exit fact']);
  assert.deepEqual(entriesAndExits(() => debug.exports.clamp(500)), ['entry clamp', 'exit clamp'], 'br_if to the function label passes the exit probe');
  assert.deepEqual(entriesAndExits(() => debug.exports.twice(3)), ['entry twice', 'entry double', 'exit double', 'entry double', 'exit double', 'exit twice']);
  assert.deepEqual(entriesAndExits(() => debug.exports.sum_pair(1)), ['entry sum_pair', 'entry pair', 'exit pair', 'exit sum_pair']);

  // The early `return` has its own exit site at the return instruction.
  const exits = result.sites.filter((s) => s.kind === 'exit' && s.function === 'fact');
  assert.equal(exits.length, 2);

  // Every global is exported for the kernel, under a name of its own.
  assert.equal(debug.exports[globalExportName(0)].value, 1, '$last, set by the start function');
  assert.equal(typeof debug.exports[globalExportName(1)].value, 'function', '$fn holds a funcref');

  // Every function reference moved past the probe import: names, exports, table, start.
  const rewritten = parseModule(result.module);
  assert.equal(result.probeFunction, 1);
  assert.equal(rewritten.imports[1].module, PROBE_MODULE);
  assert.equal(functionName(rewritten, 1), 'uniwasm:debug.probe');
  assert.equal(functionName(rewritten, result.remap(1)), 'double');
  assert.equal(result.remap(0), 0, 'imports keep their index');
  assert.equal(rewritten.start, result.remap(parseModule(original).start!));
  const functionExports = rewritten.exports.filter((e) => e.kind === 'func');
  assert.deepEqual(functionExports.map((e) => functionName(rewritten, e.index)), ['fact', 'clamp', 'twice', 'pair', 'sum_pair']);
});

test('a module without imports, types or exports gains them in the right place', async () => {
  const original = wat('(module (memory 1) (global (mut i32) (i32.const 5)) (func $noop) (start $noop))');
  const result = instrument(original, PROBES_ONLY);
  validate(result.module);
  const debug = await run(result.module);
  assert.deepEqual(describe(result, debug.trace).filter((k) => !k.includes(':')), ['entry noop', 'exit noop'], 'the start function ran');
  assert.equal(debug.exports[globalExportName(0)].value, 5);
});

test('each memory.grow is followed by the probe\'s MEMORY_GROWN, its result kept', async () => {
  const original = wat(`(module (memory (export "memory") 1)
    (func (export "grow") (param $pages i32) (result i32) (memory.grow (local.get $pages))))`);
  const result = instrument(original, PROBES_ONLY);
  validate(result.module);
  const debug = await run(result.module);
  assert.equal(debug.exports.grow(2), 1, 'the old size in pages, as without the probe');
  assert.deepEqual(debug.trace.filter((site) => site === MEMORY_GROWN), [MEMORY_GROWN]);
  assert.equal(debug.trace.at(-2), MEMORY_GROWN, 'after the grow, the exit next');
  assert.equal(debug.exports.grow(1), 3);
  assert.equal((debug.exports.memory as unknown as { buffer: ArrayBuffer }).buffer.byteLength, 4 * 65536);
});

test('refuses an instrumented module and a relocatable object', () => {
  const once = instrument(wat('(module (func (export "f")))')).module;
  assert.throws(() => instrument(once), /it is instrumented/);
  assert.throws(() => instrument(clangObject('int f(void) { return 1; }')), /relocatable object/);
});
