// The component walker (src/debug/wasm/component.ts) on components wasm-tools builds from text: the main module found, a byte-identical round trip, an instrumented component that validates.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isComponent, mainModule, replaceModule, withInstrumentedModule } from '../../../../src/debug/wasm/component';
import { instrument } from '../../../../src/debug/wasm/instrument';
import { parseModule } from '../../../../src/debug/wasm/module';
import { WasmProgram } from '../../../../src/debug/wasm/program';
import { printComponent, validateComponent, wasmToolsParse } from '../../../fixtures/debug/wasmTools';

/**
 * Shaped as wit-component makes them: a module whose instance the main module imports, the main
 * module lifted as `wasi:http/incoming-handler#handle`, then a fixup module defined and instantiated
 * after the main instance, and core export aliases of both sides of it.
 */
const COMPONENT = `(component
  (core module $libc
    (memory (export "memory") 1)
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) i32.const 64))
  (core instance $libc (instantiate $libc))
  (core module $main
    (import "libc" "memory" (memory 1))
    (global $count (mut i32) (i32.const 0))
    (func $bump (param i32) (result i32)
      (global.set $count (i32.add (global.get $count) (local.get 0)))
      (global.get $count))
    (func (export "wasi:http/incoming-handler@0.2.0#handle") (param i32 i32)
      (drop (call $bump (local.get 0))))
    (func (export "cabi_post_x") (param i32)))
  (core instance $main (instantiate $main (with "libc" (instance $libc))))
  (alias core export $main "wasi:http/incoming-handler@0.2.0#handle" (core func $handle))
  (core module $fixup
    (import "main" "cabi_post_x" (func (param i32)))
    (import "libc" "realloc" (func (param i32 i32 i32 i32) (result i32))))
  (core instance $fixup (instantiate $fixup (with "main" (instance $main)) (with "libc" (instance $libc))))
  (core instance $bundle (export "f" (func $handle)))
  (alias core export $bundle "f" (core func $again))
  (func $handle (param "a" u32) (param "b" u32) (canon lift (core func $handle)))
  (func $again (param "a" u32) (param "b" u32) (canon lift (core func $again)))
  (export "handle" (func $handle))
  (export "again" (func $again)))`;

test('the main module is the one that exports wasi:http/incoming-handler#handle', () => {
  const component = wasmToolsParse(COMPONENT);
  assert.equal(isComponent(component), true);
  const { index, bytes } = mainModule(component);
  assert.equal(index, 1);
  assert.ok(parseModule(bytes).exports.some((e) => e.name === 'wasi:http/incoming-handler@0.2.0#handle'));
  assert.equal(isComponent(bytes), false);
  assert.throws(() => mainModule(wasmToolsParse('(component (core module (func (export "run"))))')), /exports wasi:http\/incoming-handler#handle/);
});

test('a component re-emitted with its module unchanged is byte for byte the same', () => {
  const component = wasmToolsParse(COMPONENT);
  const { index, bytes } = mainModule(component);
  assert.ok(Buffer.from(replaceModule(component, index, bytes)).equals(component));
});

test('a component re-emitted with another module: that module, and it validates', () => {
  const component = wasmToolsParse(COMPONENT);
  const { index, bytes } = mainModule(component);
  // The same module with a custom section more: the module section grows.
  const grown = new Uint8Array([...bytes, 0x00, 0x05, 0x04, ...Buffer.from('note')]);
  const replaced = replaceModule(component, index, grown);
  validateComponent(replaced);
  // Around the module section (its id byte, size and payload), every byte as it was.
  const at = Buffer.from(component).indexOf(Buffer.from(bytes));
  const after = component.subarray(at + bytes.length);
  const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
  assert.ok(same(replaced.subarray(replaced.length - after.length), after));
  assert.ok(same(replaced.subarray(0, at - 3), component.subarray(0, at - 3)), 'the sections before, up to the id and the 2-byte size');
  assert.ok(same(mainModule(replaced).bytes, grown));
});

test('the instrumented component: the probe from a stand-in, indices after it shifted, names kept; it validates', () => {
  const component = wasmToolsParse(COMPONENT);
  const { index, bytes } = mainModule(component);
  const instrumented = instrument(bytes).module;
  const out = withInstrumentedModule(component, index, instrumented);
  validateComponent(out);
  assert.equal(mainModule(out).index, index);
  assert.ok(Buffer.from(mainModule(out).bytes).equals(instrumented));
  const text = printComponent(out);
  assert.match(text, /\(core module \$uniwasm:debug \(;2;\)/);
  assert.match(text, /\(core instance \$uniwasm:debug \(;1;\) \(instantiate \$uniwasm:debug\)\)/);
  assert.match(text, /\(core instance \$main \(;2;\) \(instantiate \$main\s+\(with "libc" \(instance \$libc\)\)\s+\(with "uniwasm:debug" \(instance \$uniwasm:debug\)\)/);
  // Defined after the stand-in: each moved up by one, and still named.
  assert.match(text, /\(core module \$fixup \(;3;\)/);
  assert.match(text, /\(core instance \$fixup \(;3;\) \(instantiate \$fixup\s+\(with "main" \(instance \$main\)\)/);
  assert.match(text, /\(alias core export \$bundle "f" \(core func \$again/);
  // A runtime other than the kernel traps at the first probe: the stand-in never runs code of the app.
  assert.match(text, /\(func \(;0;\) \(type 0\) \(param i32\) \(result i32\)\s+unreachable\s+\)/);
});

test('a component is debugged in its main module\'s terms', () => {
  const component = wasmToolsParse(COMPONENT);
  const program = new WasmProgram(component);
  assert.equal(program.componentModule, 1);
  assert.deepEqual(program.functionsNamed('bump').map((f) => program.functionName(f)), ['bump']);
  assert.equal(program.functionName(program.functionsNamed('wasi:http/incoming-handler@0.2.0#handle')[0]), 'wasi:http/incoming-handler@0.2.0#handle');
  validateComponent(program.instrumented);
  assert.ok(isComponent(program.instrumented));
  assert.ok(parseModule(mainModule(program.instrumented).bytes).imports.some((i) => i.module === 'uniwasm:debug' && i.field === 'probe'));
});

test('an alias of a core module is refused: it would renumber the modules', () => {
  const component = wasmToolsParse(`(component
    (import "m" (instance $i (export "m" (core module))))
    (alias export $i "m" (core module $m))
    (core module $main (func (export "wasi:http/incoming-handler@0.2.0#handle")))
    (core instance (instantiate $main)))`);
  assert.throws(() => withInstrumentedModule(component, 0, instrument(mainModule(component).bytes).module), /an alias of a core module/);
});
