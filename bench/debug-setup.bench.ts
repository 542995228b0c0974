// What F5 costs before the boot (docs/DEBUGGING.md): for each built module given, its DWARF read, the capture choice
// (each function's DWARF entry, which reads the units, and the Wasm locals its variables live in), the same entries
// looked up again (the search alone), and the whole setup, `new WasmProgram` (the read, the choice, the instrumentation).
// usage: node out/bench/debug-setup.bench.js [--runs N] MODULE.wasm...
import { readFileSync } from 'node:fs';
import { DwarfInfo } from '../src/debug/wasm/dwarf';
import { parseModule } from '../src/debug/wasm/module';
import { WasmProgram } from '../src/debug/wasm/program';
import { median, round1 } from './lib';

function options(argv: string[]): { runs: number; modules: string[] } {
  const o = { runs: 3, modules: [] as string[] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') o.runs = Number(argv[++i]);
    else if (argv[i]!.startsWith('--')) throw new Error('usage: debug-setup.bench.js [--runs N] MODULE.wasm...');
    else o.modules.push(argv[i]!);
  }
  if (!o.modules.length) throw new Error('usage: debug-setup.bench.js [--runs N] MODULE.wasm... (a debug build: -g, not stripped)');
  return o;
}

function timed<T>(job: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = job();
  return { ms: performance.now() - t0, value };
}

/** One run on a fresh DwarfInfo: the read, then the capture choice's look-ups over every function, as WasmProgram makes them. */
function phases(bytes: Uint8Array, program: WasmProgram) {
  const module = parseModule(bytes);
  const read = timed(() => DwarfInfo.fromModule(module));
  const dwarf = read.value;
  if (!dwarf) throw new Error('the module has no DWARF: give a debug build');
  const functions = module.bodies.map((_, i) => i + module.importedFunctionCount);
  const lookup = timed(() => functions.map((f) => dwarf.functionAt(program.functionStart(f))));
  const locals = timed(() => lookup.value.forEach((fn) => fn && dwarf.localsOf(fn)));
  // The same look-ups with every unit read: the search alone.
  const again = timed(() => functions.forEach((f) => dwarf.functionAt(program.functionStart(f))));
  return { readMs: read.ms, functionAtMs: lookup.ms, localsOfMs: locals.ms, functionAtAgainMs: again.ms, functions: functions.length, described: lookup.value.filter(Boolean).length };
}

function main(): void {
  const o = options(process.argv.slice(2));
  for (const path of o.modules) {
    const bytes = readFileSync(path);
    const runs: ReturnType<typeof phases>[] = [];
    const setups: number[] = [];
    let program: WasmProgram | undefined;
    for (let i = 0; i < o.runs; i++) {
      const setup = timed(() => new WasmProgram(bytes));
      setups.push(setup.ms);
      program = setup.value;
      runs.push(phases(program.module.bytes, program));
    }
    const med = (pick: (r: ReturnType<typeof phases>) => number) => round1(median(runs.map(pick)));
    console.log(JSON.stringify({
      module: path, bytes: bytes.length, runs: o.runs, functions: runs[0]!.functions, describedByDwarf: runs[0]!.described,
      probeSites: program!.sites.length,
      medianMs: { dwarfRead: med((r) => r.readMs), functionAt: med((r) => r.functionAtMs), localsOf: med((r) => r.localsOfMs), functionAtAgain: med((r) => r.functionAtAgainMs), wholeSetup: round1(median(setups)) },
      wholeSetupRunsMs: setups.map(Math.round),
    }));
  }
}

main();
