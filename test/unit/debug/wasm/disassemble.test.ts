// The disassembler against wasm-objdump -d, instruction by instruction, for every function of the
// demo's debug build and of a module of every kind of immediate (test/fixtures/debug/disassembly.wat);
// then paging by module-wide index and file offset.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildApp } from '../../../../src/builder/app';
import { Disassembler, floatText } from '../../../../src/debug/wasm/disassemble';
import { parseModule } from '../../../../src/debug/wasm/module';
import { opcodeName } from '../../../../src/debug/wasm/opcodeNames';
import { productRoot } from '../../../../src/util/paths';
import { objdumpText, wat } from '../../../fixtures/debug/wasmTools';

const FIXTURE = join(productRoot(), 'test', 'fixtures', 'debug', 'disassembly.wat');

/**
 * Our text in wasm-objdump's words, where the two differ on purpose: memory arguments
 * (`offset=8 align=2` → `1 8`, alignment as a power of two), i32 constants (objdump prints them
 * unsigned), floats (decimal here, hexadecimal there: both read as numbers).
 */
function asObjdump(text: string): string {
  const indent = /^ */.exec(text)![0];
  const [name, ...rest] = text.trim().split(' ');
  const size = memorySize(name);
  if (size) {
    const offset = rest.find((p) => p.startsWith('offset='))?.slice(7) ?? '0';
    const align = Number(rest.find((p) => p.startsWith('align='))?.slice(6) ?? size);
    const others = rest.filter((p) => !p.startsWith('offset=') && !p.startsWith('align='));
    return `${indent}${[name, Math.log2(align), offset, ...others].join(' ')}`;
  }
  if (name === 'i32.const') return `${indent}${name} ${BigInt.asUintN(32, BigInt(rest[0]))}`;
  return text;
}

/** The access size of a memory instruction named `name`, from our opcode table. */
function memorySize(name: string): number {
  for (const prefix of [undefined, 0xfd, 0xfe]) {
    for (let code = 0; code < 0x120; code++) {
      const op = prefix === undefined ? opcodeName(code) : opcodeName(prefix, code);
      if (op?.name === name) return op.size;
    }
  }
  return 0;
}

/** A wabt hexadecimal float (`0x1.8p+0`, `-0x1p-2`, `0x1.p-1074`) as a number. */
function hexFloat(text: string): number {
  const m = /^(-?)0x([0-9a-f]+)(?:\.([0-9a-f]*))?p([+-]\d+)$/.exec(text);
  assert.ok(m, `a hex float: ${text}`);
  const fraction = m[3] ?? '';
  const mantissa = parseInt(m[2] + fraction, 16) / 16 ** fraction.length;
  return (m[1] ? -1 : 1) * mantissa * 2 ** Number(m[4]);
}

/** Removes wasm-objdump's ` <name>` annotations. */
function bare(text: string): string {
  return text.replace(/ <[^>]*>/g, '');
}

/** Compares every instruction with wasm-objdump's line at the same offset; returns how many. */
function compareWithObjdump(bytes: Uint8Array): number {
  const module = parseModule(bytes);
  const disassembler = new Disassembler(module);
  const theirs = objdumpText(bytes);
  let compared = 0;
  for (let i = 0; i < module.bodies.length; i++) {
    for (const ins of disassembler.function(i)) {
      const expected = theirs.get(ins.offset);
      assert.ok(expected !== undefined, `wasm-objdump has an instruction at 0x${ins.offset.toString(16)}`);
      const ours = asObjdump(ins.text);
      const where = `func[${ins.funcIndex}] at 0x${ins.offset.toString(16)}: ours "${ins.text}", wasm-objdump "${expected}"`;
      const float = /^( *)f(32|64)\.const (.+)$/.exec(expected);
      if (float && !/nan|inf/.test(float[3])) {
        const [, value] = ins.text.trim().split(' ');
        const read = float[2] === '32' ? Math.fround(Number(value)) : Number(value);
        assert.equal(read, hexFloat(float[3]), where);
        assert.equal(ins.text.replace(/ \S+$/, ''), expected.replace(/ \S+$/, ''), where);
      } else if (expected.includes(' <') && ours.includes(' <')) {
        // Both name it: the same name (functions, globals, locals from the name section).
        assert.equal(ours, expected, where);
      } else {
        // Names objdump prints and we do not (tables, types, tags, data segments) or the reverse (local.tee, ref.func, return_call).
        assert.equal(bare(ours), bare(expected), where);
      }
      compared++;
    }
  }
  assert.equal(compared, theirs.size, 'as many instructions as wasm-objdump lists');
  return compared;
}

test('every instruction of the demo\'s debug build reads as wasm-objdump -d prints it', async () => {
  const wasm = await buildApp(join(productRoot(), 'examples', 'http-server-demo'), {}, 'debug');
  const count = compareWithObjdump(readFileSync(wasm));
  assert.ok(count > 10_000, `the whole code section: ${count} instructions`);
});

test('every kind of immediate: blocks, br_table, calls, memargs, constants, bulk memory, tables, SIMD, atomics, exceptions', () => {
  const bytes = wat(readFileSync(FIXTURE, 'utf8'), ['--enable-all', '--no-check']);
  compareWithObjdump(bytes);
  const texts = new Disassembler(parseModule(bytes)).function(0).map((i) => i.text);
  // The forms that differ from wasm-objdump's, as wasm2wat writes them.
  for (const line of ['i32.const -5', 'f64.const 1.5', 'f32.const -0.25', 'f64.const nan', 'f32.const inf', 'i32.load offset=4 align=2',
    'i64.store32 offset=3 align=1', 'i64.load8_s offset=100', 'local.tee 1 <y>', 'call_indirect 0 (type 0)', 'call 0 <ext>', 'global.set 1 <counter>']) {
    assert.ok(texts.some((t) => t.trim() === line), `${line} in:\n${texts.join('\n')}`);
  }
  assert.ok(texts.includes('  loop') && texts.includes('    br_table 0 1 0 1'), 'blocks indent what they hold');
});

test('float constants: the shortest decimal that reads back, NaN payloads, signed zero', () => {
  const f32 = (bits: number) => floatText(Uint8Array.from(Buffer.from(Uint32Array.of(bits).buffer)));
  const f64 = (value: number) => floatText(new Uint8Array(Float64Array.of(value).buffer));
  assert.equal(f32(0x3dcccccd), '0.1');
  assert.equal(f32(0x7f7fffff), '3.4028235e+38');
  assert.equal(f32(0x7fa00000), 'nan:0x200000');
  assert.equal(f32(0xffc00000), '-nan');
  assert.equal(f32(0xff800000), '-inf');
  assert.equal(f64(-0), '-0');
  assert.equal(f64(0.1), '0.1');
  assert.equal(f64(5e-324), '5e-324');
});

test('paging: module-wide indices and file offsets, both ways, and the ends', () => {
  const module = parseModule(wat(readFileSync(FIXTURE, 'utf8'), ['--enable-all', '--no-check']));
  const d = new Disassembler(module);
  assert.equal(d.count, module.bodies.reduce((n, b) => n + b.instructions.length, 0));
  for (let i = 0; i < d.count; i++) {
    assert.equal(d.indexAt(d.at(i)!.offset), i);
    assert.equal(d.instructionStart(d.at(i)!.offset + 1), d.at(i)!.bytes.length > 1 ? d.at(i)!.offset : d.at(i + 1)?.offset);
  }
  const second = module.bodies[1];
  assert.equal(d.indexAt(second.bodyStart), d.indexAt(second.codeStart), 'the locals declaration belongs to the first instruction');
  assert.equal(d.at(d.indexAt(second.codeStart)!)!.first, true);
  assert.equal(d.indexAt(second.instructions[1].offset + 1), d.indexAt(second.instructions[1].offset), 'inside an instruction');
  assert.equal(d.at(-1), undefined);
  assert.equal(d.at(d.count), undefined);
  assert.equal(d.indexAt(0), undefined);
  assert.equal(d.indexAt(module.bytes.length + 10), undefined);
});
