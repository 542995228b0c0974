// The code-range index behind DwarfInfo.functionAt: entries with several ranges, overlaps answered in order; and
// functionAt against llvm-dwarfdump's functions at every code offset of vars.c at -O2 (inlined calls, blocks) and of the demo.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DwarfInfo } from '../../../../../src/debug/wasm/dwarf';
import { RangeIndex } from '../../../../../src/debug/wasm/dwarf/rangeIndex';
import { SECTION, parseModule } from '../../../../../src/debug/wasm/module';
import { buildDemoDebug, buildVars, dwarfdumpDies } from '../../../../fixtures/debug/dwarf/programs';

test('RangeIndex: several ranges per entry, gaps, half-open ends, overlaps in the order given, empty ranges ignored', () => {
  const index = new RangeIndex([
    { value: 'a', ranges: [{ start: 10, end: 20 }, { start: 40, end: 50 }] },
    { value: 'b', ranges: [{ start: 20, end: 30 }, { start: 5, end: 5 }] },
    // Overlaps a's second range and itself: listed once, after a.
    { value: 'c', ranges: [{ start: 45, end: 60 }, { start: 48, end: 55 }] },
    { value: 'd', ranges: [{ start: 30, end: 20 }] },
  ]);
  const at = (pc: number) => index.at(pc).join(',');
  assert.deepEqual([0, 5, 9, 10, 19, 20, 29, 30, 39].map(at), ['', '', '', 'a', 'a', 'b', 'b', '', '']);
  assert.deepEqual([40, 44, 45, 49, 50, 54, 59, 60, 1e9].map(at), ['a', 'a', 'a,c', 'a,c', 'c', 'c', 'c', '', '']);

  const everywhere = new RangeIndex([{ value: 'x', ranges: [{ start: 100, end: 200 }] }, { value: 'all', ranges: [{ start: 0, end: Infinity }] }]);
  assert.deepEqual([0, 100, 199, 200, 2 ** 32].map((pc) => everywhere.at(pc).join(',')), ['all', 'x,all', 'x,all', 'all', 'all']);
  assert.deepEqual(new RangeIndex<string>([]).at(0), []);
});

/** llvm-dwarfdump's answer: the first function in .debug_info whose [low_pc, high_pc) contains `pc`. */
function dumpedFunctions(bytes: Uint8Array): { offset: number; low: number; high: number }[] {
  return dwarfdumpDies(bytes)
    .filter((d) => d.tag === 'DW_TAG_subprogram' && /^0x/.test(d.attrs.get('DW_AT_low_pc') ?? '') && d.attrs.has('DW_AT_high_pc'))
    .map((d) => ({ offset: d.offset, low: parseInt(d.attrs.get('DW_AT_low_pc')!, 16), high: parseInt(d.attrs.get('DW_AT_high_pc')!, 16) }))
    .filter((f) => f.low < 0xfffffffe);
}

/** Each build with how many functions its code has at least. */
const builds: [string, () => Uint8Array, number][] = [
  ['vars.c -O2 -gdwarf-4 (sum inlined into run, blocks in .debug_ranges)', () => buildVars(['-O2', '-gdwarf-4']), 2],
  ['vars.c -O2 -gdwarf-5 (.debug_rnglists)', () => buildVars(['-O2', '-gdwarf-5']), 2],
  ['the demo as F5 builds it (9 units, libc\'s among them)', () => buildDemoDebug().bytes, 40],
];

for (const [name, build, least] of builds) {
  test(`functionAt agrees with llvm-dwarfdump at every code offset: ${name}`, () => {
    const bytes = build();
    const module = parseModule(bytes);
    const info = DwarfInfo.fromModule(module)!;
    const code = module.sections.find((s) => s.id === SECTION.code)!;
    const functions = dumpedFunctions(bytes);
    assert.ok(functions.length >= least, `${functions.length} functions`);
    let inside = 0;
    for (let pc = 0; pc <= code.end - code.start; pc++) {
      const expected = functions.find((f) => f.low <= pc && pc < f.high)?.offset;
      assert.equal(info.functionAt(pc)?.offset, expected, `function at code offset 0x${pc.toString(16)}`);
      if (expected !== undefined) inside++;
    }
    assert.ok(inside > (code.end - code.start) / 2, `${inside} offsets inside functions`);
  });
}
