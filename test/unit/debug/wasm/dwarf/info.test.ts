// The DWARF reader against llvm-dwarfdump on vars.c built four ways (-O0/-O2 × DWARF 4/5): every variable's name,
// type and location (expressions and location lists) the same; scopes by code offset; the locals the instrumenter needs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { DwarfError, DwarfInfo, NO_DWARF, dwarfSections, renderVariable } from '../../../../../src/debug/wasm/dwarf';
import { decode, format } from '../../../../../src/debug/wasm/dwarf/expression';
import type { Die } from '../../../../../src/debug/wasm/dwarf/info';
import { locationOf, rangesOf } from '../../../../../src/debug/wasm/dwarf/lists';
import { typeName } from '../../../../../src/debug/wasm/dwarf/types';
import { LineTable } from '../../../../../src/debug/wasm/dwarfLine';
import { parseModule } from '../../../../../src/debug/wasm/module';
import { buildDemoDebug, buildVars, dwarfdumpDies, fakeFrame, lineOf, type DumpedDie } from '../../../../fixtures/debug/dwarf/programs';

const BUILDS = [['-O0', '-gdwarf-4'], ['-O0', '-gdwarf-5'], ['-O2', '-gdwarf-4'], ['-O2', '-gdwarf-5']];

/** llvm-dwarfdump names records without their keyword ("node" for `struct node`), and prints `void *restrict` and `const void *restrict` as "restrict ". */
const dumpTypeName = (name: string) => (/^(const )?void \*restrict$/.test(name) ? 'restrict ' : name.replace(/\b(struct|union|enum) /g, ''));

/** Our view of a location in llvm-dwarfdump's words: one expression, or the live entries of a list. */
function locationText(die: Die): string {
  const source = locationOf(die)!;
  const text = (expr: Uint8Array) => format(decode(expr));
  if (source.kind === 'expr') return text(source.expr);
  const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
  return source.entries.map((e) => `[${hex(e.start)}, ${hex(e.end)}): ${text(e.expr)}`).join('\n');
}

/** llvm-dwarfdump's location text without the entries of dropped code (tombstone addresses) and the list's offset line. */
function dumpedLocation(text: string): string {
  const lines = text.split('\n');
  if (lines.length === 1 && !lines[0].startsWith('0x')) return lines[0];
  return lines.filter((l) => l.startsWith('[') && !/^\[0x(fffffff[ef]|1[0-9a-f]{8})/.test(l)).join('\n');
}

const RANGED = new Set(['DW_TAG_subprogram', 'DW_TAG_lexical_block', 'DW_TAG_inlined_subroutine']);
const hex8 = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

function rangesText(die: Die): string {
  return rangesOf(die).map((r) => `[${hex8(r.start)}, ${hex8(r.end)})`).join('\n');
}

/** llvm-dwarfdump's code ranges of an entry (low/high pc, or DW_AT_ranges' lines) without dropped code. */
function dumpedRanges(die: DumpedDie): string {
  const low = die.attrs.get('DW_AT_low_pc');
  const high = die.attrs.get('DW_AT_high_pc');
  if (low && high) return low === 'dead code' ? '' : `[${low}, ${high})`;
  const ranges = die.attrs.get('DW_AT_ranges');
  if (!ranges) return '';
  return [...ranges.matchAll(/\[(0x[0-9a-f]+), (0x[0-9a-f]+)\)/g)].filter((m) => Number(m[1]) < 0xfffffffe && Number(m[2]) <= 0xffffffff).map((m) => `[${m[1]}, ${m[2]})`).join('\n');
}

/** Every variable and parameter llvm-dwarfdump shows has our name, type and location, every function and block our code ranges; returns how many locations were compared. */
function assertAgreesWithDwarfdump(bytes: Uint8Array): number {
  const info = DwarfInfo.fromModule(parseModule(bytes))!;
  let checked = 0;
  let ranged = 0;
  for (const dumped of dwarfdumpDies(bytes)) {
    if (RANGED.has(dumped.tag)) {
      assert.equal(rangesText(info.dieAt(dumped.offset)!), dumpedRanges(dumped), `ranges of the ${dumped.tag} at 0x${dumped.offset.toString(16)}`);
      ranged++;
    }
    if (dumped.tag !== 'DW_TAG_variable' && dumped.tag !== 'DW_TAG_formal_parameter') continue;
    const die = info.dieAt(dumped.offset)!;
    assert.ok(die, `an entry at 0x${dumped.offset.toString(16)}`);
    const name = dumped.attrs.get('DW_AT_name') ?? /"(.*)"/.exec(dumped.attrs.get('DW_AT_abstract_origin') ?? '')?.[1];
    if (name) assert.equal(`"${die.name}"`, name.startsWith('"') ? name : `"${name}"`);
    const type = dumped.attrs.get('DW_AT_type');
    if (type) assert.equal(dumpTypeName(typeName(info.types.typeOf(die))), /"(.*)"/.exec(type)![1], `type of ${die.name}`);
    const location = dumped.attrs.get('DW_AT_location');
    if (location) {
      assert.equal(locationText(die), dumpedLocation(location), `location of ${die.name} at 0x${dumped.offset.toString(16)}`);
      checked++;
    }
  }
  assert.ok(ranged >= 5, `${ranged} code ranges compared`);
  return checked;
}

for (const flags of BUILDS) {
  test(`${flags.join(' ')}: every variable's name, type and location agree with llvm-dwarfdump`, () => {
    const checked = assertAgreesWithDwarfdump(buildVars(flags));
    assert.ok(checked >= 30, `${checked} locations compared`);
  });
}

test('the demo app as F5 builds it (-O0 -g, with libc\'s own DWARF): every unit agrees with llvm-dwarfdump; a handler\'s scopes', async () => {
  const { bytes, source } = buildDemoDebug();
  const checked = assertAgreesWithDwarfdump(bytes);
  assert.ok(checked >= 100, `${checked} locations compared`);
  const module = parseModule(bytes);
  const info = DwarfInfo.fromModule(module)!;
  assert.equal(info.units.length, 9, 'app.c, the bindings and seven of libc');
  assert.deepEqual(info.units.map((u) => u.parsed), Array(9).fill(false), 'only the units\' roots are read up front');
  const line = readFileSync(source, 'utf8').split('\n').findIndex((l) => l.includes('string_t key = key_name();')) + 1;
  const pc = LineTable.fromModule(module)!.addressesFor('app.c', line)[0];
  const scopes = info.scopes(pc);
  assert.equal(info.functionAt(pc)?.name, 'exports_http_server_demo_handle_foo');
  assert.deepEqual(info.units.map((u) => u.parsed), [true, ...Array(8).fill(false)], 'a stop in app.c reads app.c\'s unit');
  assert.deepEqual(scopes.args.map((v) => `${typeName(v.type)} ${v.name}`), ['http_server_demo_request_t * req', 'http_server_demo_response_t * ret', 'http_server_demo_http_error_t * err']);
  assert.deepEqual(scopes.locals.map((v) => `${typeName(v.type)} ${v.name}`), ['string_t key', 'spiderlightning_slight_keyvalue_payload_t value', 'kv_error_t kv_err']);
  assert.deepEqual(info.localsUsed(pc).length, 1, 'at -O0 only the frame base');

  // A (ptr, len) string in a memory image made by hand: key = {0x100, 5} in the frame, "hello" at 0x100.
  const key = scopes.locals[0];
  const offset = Number(decode(key.location!).find((op) => op.code === 0x91)!.args[0]);
  const memory = new Uint8Array(0x2000);
  const frameBase = 0x1000;
  new DataView(memory.buffer).setUint32(frameBase + offset, 0x100, true);
  new DataView(memory.buffer).setUint32(frameBase + offset + 4, 5, true);
  memory.set(new TextEncoder().encode('hello, world'), 0x100);
  const frame = fakeFrame(memory, { [info.localsUsed(pc)[0]]: BigInt(frameBase) });
  const node = await renderVariable(key, frame);
  assert.equal(node.value, '"hello"');
  assert.deepEqual((await node.children!()).map((c) => `${c.name}=${c.value}`), ['ptr=0x00000100', 'len=5']);
});

/** The dumped entry named `name` under the function `fn`. */
function dumpedVariable(dies: DumpedDie[], fn: string, name: string): DumpedDie {
  const found = dies.find((d) => d.attrs.get('DW_AT_name') === `"${name}"` && ancestors(d).some((a) => a.attrs.get('DW_AT_name') === `"${fn}"`));
  assert.ok(found, `${fn}.${name} in llvm-dwarfdump's output`);
  return found;
}

function ancestors(die: DumpedDie): DumpedDie[] {
  const out: DumpedDie[] = [];
  for (let d = die.parent; d; d = d.parent) out.push(d);
  return out;
}

for (const flags of [['-O0', '-gdwarf-4'], ['-O0', '-gdwarf-5']]) {
  test(`${flags.join(' ')}: scopes by code offset, block-scoped locals only inside their block`, () => {
    const bytes = buildVars(flags);
    const module = parseModule(bytes);
    const info = DwarfInfo.fromModule(module)!;
    const lines = LineTable.fromModule(module)!;
    const [inner] = lines.addressesFor('vars.c', lineOf('checkpoint(1, &last)'));
    const names = (vs: { name: string }[]) => vs.map((v) => v.name);
    const deep = info.scopes(inner);
    assert.deepEqual(names(deep.args), ['values', 'count']);
    assert.deepEqual(names(deep.locals), ['last', 'v', 'i', 'calls', 'total'], 'innermost block first');
    assert.deepEqual(names(deep.globals), ['counter', 'greeting', 'origin', 'table', 'second', 'first', 'levels', 'big']);
    assert.equal(info.functionAt(inner)?.name, 'sum');

    const [start] = lines.addressesFor('vars.c', lineOf('int total = 0;'));
    assert.deepEqual(names(info.scopes(start).locals), ['calls', 'total'], 'the loop variables are not in scope before the loop');
    // The block's own range from llvm-dwarfdump: its first offset is in, its end is out.
    const dumped = dwarfdumpDies(bytes);
    const block = dumpedVariable(dumped, 'sum', 'last').parent!;
    const low = parseInt(block.attrs.get('DW_AT_low_pc')!, 16);
    const high = parseInt(block.attrs.get('DW_AT_high_pc')!, 16);
    assert.ok(names(info.scopes(low).locals).includes('last'));
    assert.ok(!names(info.scopes(high).locals).includes('last'));

    const runPc = lines.addressesFor('vars.c', lineOf('checkpoint(3, &inner)'))[0];
    const run = info.scopes(runPc);
    assert.deepEqual(names(run.args), ['seed']);
    assert.deepEqual(names(run.locals), ['inner', 'values', 'word', 'p', 'pp', 'n', 'fl', 'c', 'yes', 'byte', 'ratio', 'third', 'list', 'text', 'total']);
    assert.equal(typeName(run.locals.find((v) => v.name === 'pp')!.type), 'point_t *');
    assert.equal(typeName(run.locals.find((v) => v.name === 'text')!.type), 'const char *');
    assert.equal(typeName(deep.globals.find((v) => v.name === 'table')!.type), 'int[3][2]');
    assert.equal(typeName(deep.globals.find((v) => v.name === 'levels')!.type), 'volatile int *[4]');
    assert.deepEqual(info.scopes(0xffffff), { args: [], locals: [], globals: [] }, 'no function there');

    // -O0 keeps every variable in memory at an offset from the frame base: the one local to capture.
    const frameBase = /DW_OP_WASM_location 0x0 (0x[0-9a-f]+)/.exec(dumpedVariable(dumped, 'sum', 'last').parent!.parent!.parent!.parent!.attrs.get('DW_AT_frame_base')!)!;
    assert.deepEqual(info.localsUsed(inner), [Number(frameBase[1])]);
    assert.deepEqual(info.localsUsed(0xffffff), []);
  });
}

test('-O2: locals used are every Wasm local a variable or the frame base of the function lives in', () => {
  const bytes = buildVars(['-O2', '-g']);
  const module = parseModule(bytes);
  const info = DwarfInfo.fromModule(module)!;
  const pc = LineTable.fromModule(module)!.addressesFor('vars.c', lineOf('checkpoint(3, &inner)'))[0];
  const fn = info.functionAt(pc)!;
  // From llvm-dwarfdump: every DW_OP_WASM_location 0x0 N in the function's subtree and its frame base.
  const dumped = dwarfdumpDies(bytes);
  const inFn = dumped.filter((d) => d.offset === fn.offset || ancestors(d).some((a) => a.offset === fn.offset));
  const expected = new Set<number>();
  for (const d of inFn) for (const [name, v] of d.attrs) if (name === 'DW_AT_location' || name === 'DW_AT_frame_base') for (const m of v.matchAll(/DW_OP_WASM_location 0x0 (0x[0-9a-f]+)/g)) expected.add(Number(m[1]));
  assert.deepEqual(info.localsUsed(pc), [...expected].sort((a, b) => a - b));
  assert.ok(info.localsUsed(pc).length >= 3);
  // sum is inlined into run: its variables are run's locals there, and ranges come from .debug_rnglists/.debug_ranges.
  const inlined = fn.children.find((c) => c.tag === 0x1d)!;
  assert.ok(rangesOf(inlined).length > 1);
});

test('-O2: a global the compiler folded away (no location in llvm-dwarfdump) is in the Globals, optimized out', async () => {
  const bytes = buildVars(['-O2', '-g']);
  const module = parseModule(bytes);
  const info = DwarfInfo.fromModule(module)!;
  const dumped = dwarfdumpDies(bytes).filter((d) => d.tag === 'DW_TAG_variable' && d.depth === 1);
  const folded = dumped.filter((d) => !d.attrs.has('DW_AT_location')).map((d) => d.attrs.get('DW_AT_name'));
  assert.deepEqual(folded, ['"big"']);
  const globals = info.scopes(LineTable.fromModule(module)!.addressesFor('vars.c', lineOf('checkpoint(3, &inner)'))[0]).globals;
  assert.deepEqual(globals.map((v) => `"${v.name}"`), dumped.map((d) => d.attrs.get('DW_AT_name')));
  const big = globals.find((v) => v.name === 'big')!;
  assert.equal((await renderVariable(big, fakeFrame(new Uint8Array(16), {}))).value, '<optimized out>');
});

test('stripped and foreign DWARF: no DwarfInfo, clear DwarfErrors', () => {
  const stripped = parseModule(buildVars(['-O0']));
  assert.equal(DwarfInfo.fromModule(stripped), undefined);
  assert.match(NO_DWARF, /no DWARF/);
  assert.throws(() => DwarfInfo.read(new Map()), (e) => e instanceof DwarfError && /no \.debug_info/.test(e.message));

  const sections = dwarfSections(parseModule(buildVars(['-O0', '-g'])));
  const info = sections.get('.debug_info')!;
  const withVersion = (version: number) => {
    const copy = Uint8Array.from(info);
    copy[4] = version;
    return new Map([...sections, ['.debug_info', copy]]);
  };
  assert.throws(() => DwarfInfo.read(withVersion(7)), (e) => e instanceof DwarfError && /DWARF version 7 is not supported/.test(e.message));
  // An abbreviation whose form is unknown (0x7f) is named.
  const abbrev = Uint8Array.from(sections.get('.debug_abbrev')!);
  abbrev[abbrev.indexOf(0x0e, 3)] = 0x7f;
  assert.throws(() => DwarfInfo.read(new Map([...sections, ['.debug_abbrev', abbrev]])), (e) => e instanceof DwarfError && /DW_FORM_0x7f is not supported/.test(e.message));
  assert.throws(() => decode(Uint8Array.of(0x96, 0xe1)), (e) => e instanceof DwarfError && /DW_OP_0xe1 is not supported/.test(e.message));
  assert.throws(() => DwarfInfo.read(new Map([...sections, ['.debug_info', info.subarray(0, 40)]])), DwarfError);
});

test('corrupt DWARF: DwarfErrors or readable texts, never another exception (120 seeded corruptions)', async () => {
  let seed = 0x5eed;
  const random = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const frame = fakeFrame(new Uint8Array(1 << 16), Object.fromEntries(Array.from({ length: 16 }, (_, i) => [i, BigInt(i * 100)])), { 0: 0x8000n });
  let read = 0;
  for (const flags of [['-O0', '-gdwarf-4'], ['-O2', '-gdwarf-5']]) {
    const module = parseModule(buildVars(flags));
    const sections = dwarfSections(module);
    const pcs = [...new Set(LineTable.fromModule(module)!.rows.map((r) => r.address))];
    const names = [...sections.keys()].filter((n) => n !== '.debug_line');
    for (let round = 0; round < 60; round++) {
      const name = names[Math.floor(random() * names.length)];
      const bytes = Uint8Array.from(sections.get(name)!);
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      try {
        const info = DwarfInfo.read(new Map([...sections, [name, bytes]]));
        read++;
        for (const pc of [0, 1, 2].map(() => pcs[Math.floor(random() * pcs.length)])) {
          info.localsUsed(pc);
          const { args, locals, globals } = info.scopes(pc);
          for (const v of [...args, ...locals, ...globals]) {
            const node = await renderVariable(v, frame);
            assert.equal(typeof node.value, 'string');
            if (node.children) await node.children(0, 4);
          }
        }
      } catch (err) {
        if (!(err instanceof DwarfError)) throw new Error(`${name} corrupted, round ${round}: ${(err as Error).stack}`);
      }
    }
  }
  assert.ok(read > 20, `${read} corrupted modules were read far enough to render`);
});
