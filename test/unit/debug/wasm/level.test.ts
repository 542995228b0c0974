// The Wasm level (src/debug/wasm/level.ts) without a guest: its reads and writes against an in-memory stand-in for the gdbstub, with symbols from a real ELF built by cc.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { GdbClient } from '../../../../src/debug/gdb/client';
import { ElfSymbols } from '../../../../src/debug/kernel/elf';
import { WASM_FRAME_BASE, WasmLevel } from '../../../../src/debug/wasm/level';
import { WasmProgram } from '../../../../src/debug/wasm/program';
import { mailboxBytes, READY } from '../../../fixtures/debug/mailbox';
import { scratchDir } from '../../../fixtures/debug/scratch';
import { clangWasm, FACT_C } from '../../../fixtures/debug/wasmTools';

/** Scalars only here: nothing to expand. */
const noReference = () => 0;

/** An ELF with the two symbols the Wasm level looks up, built with cc like the kernel's would be named. */
function kernelSymbols(): ElfSymbols {
  const dir = scratchDir();
  writeFileSync(join(dir, 'k.c'), `
    struct mailbox { unsigned char bytes[120]; };
    struct mailbox UNIWASM_DEBUG;
    __attribute__((noinline)) void uniwasm_debug_trap(void) { __asm__ volatile("" ::: "memory"); }
    int main(void) { uniwasm_debug_trap(); return UNIWASM_DEBUG.bytes[0]; }
  `);
  execFileSync('cc', ['-O1', '-o', join(dir, 'k'), join(dir, 'k.c')]);
  assert.ok(existsSync(join(dir, 'k')));
  return ElfSymbols.parse(readFileSync(join(dir, 'k')));
}

/** Guest memory for WasmLevel: what readMemory/writeMemory/setBreakpoint would reach through the gdbstub. */
class Memory {
  readonly bytes = new Map<bigint, number>();
  readonly breakpoints: string[] = [];
  write(address: bigint, data: Uint8Array): void {
    data.forEach((v, i) => this.bytes.set(address + BigInt(i), v));
  }
  read(address: bigint, length: number): Buffer {
    return Buffer.from(Array.from({ length }, (_, i) => this.bytes.get(address + BigInt(i)) ?? 0));
  }
  client(): GdbClient {
    return {
      readMemory: async (address: bigint, length: number) => this.read(address, length),
      writeMemory: async (address: bigint, data: Uint8Array) => this.write(address, data),
      setBreakpoint: async (address: bigint, type: string) => void this.breakpoints.push(`${type}@0x${address.toString(16)}`),
    } as unknown as GdbClient;
  }
}

test('WasmLevel: the ready stop writes breakpoints and step mode; a stop becomes frames, scopes and a reason', async () => {
  const symbols = kernelSymbols();
  const mailboxAt = symbols.lookup('UNIWASM_DEBUG')[0].address;
  const trapAt = symbols.lookup('uniwasm_debug_trap')[0].address;
  // Every local captured (not only DWARF's choice), so that each one's row is known here.
  const program = new WasmProgram(clangWasm(FACT_C, ['-O0', '-g']), { captureLocals: () => Array.from({ length: 64 }, (_, i) => i) });
  const wasm = new WasmLevel(program, symbols, scratchDir());
  const memory = new Memory();
  const client = memory.client();
  await wasm.install(client);
  assert.deepEqual(memory.breakpoints, [`hardware@0x${trapAt.toString(16)}`]);

  const [fact] = program.functionsNamed('fact');
  const entry = program.entrySite(fact)!;
  const answers = wasm.setFunctionBreakpoints([{ id: 1, name: 'fact' }, { id: 2, name: 'Net::poll' }]);
  assert.equal(answers[0]?.verified, true);
  assert.equal(answers[0]?.line, 6);
  assert.equal(answers[1], undefined, 'not a Wasm function: left to the kernel level');
  const lines = wasm.setLineBreakpoints('prog.c', [{ id: 3, line: 9 }, { id: 4, line: 900 }]);
  assert.deepEqual(lines.map((b) => b.verified), [true, false]);

  // The kernel's ready stop: mailbox filled, nothing run yet.
  memory.write(mailboxAt, mailboxBytes({ ...READY, siteCount: program.sites.length, reason: 5 }));
  const ready = await wasm.read(client);
  await wasm.ready(client, ready, true);
  assert.ok(wasm.isReady);
  const bitmap = memory.read(READY.breakpoints!, Math.ceil(program.sites.length / 8));
  const set = [...bitmap].flatMap((byte, i) => [0, 1, 2, 3, 4, 5, 6, 7].filter((b) => byte & (1 << b)).map((b) => i * 8 + b));
  const line9 = program.statementsAt('prog.c', 9)!.sites.map((s) => s.index);
  assert.deepEqual(set, [entry.index, ...line9].sort((a, b) => a - b));
  assert.deepEqual([...memory.read(mailboxAt + 40n, 8)], [1, 0, 0, 0, 0, 0, 0, 0], 'stopOnEntry: step into');
  await assert.rejects(wasm.ready(client, { ...ready, siteCount: 3 }, false), /3 probe sites/);

  // A breakpoint stop in mul, called from fact: frames innermost first, with source lines.
  const [mul] = program.functionsNamed('mul');
  const mulStatement = program.sites.find((s) => s.funcIndex === mul && s.kind === 'statement')!;
  const factLine9 = program.statementsAt('prog.c', 9)!.sites[0];
  const frames = Buffer.alloc(16);
  frames.writeUInt32LE(entry.site, 0);
  frames.writeUInt32LE(factLine9.site, 4);
  frames.writeUInt32LE(program.entrySite(mul)!.site, 8);
  frames.writeUInt32LE(mulStatement.site, 12);
  memory.write(READY.frames!, frames);
  memory.write(READY.globals!, Buffer.from([0x00, 0x10, 0, 0, 0, 0, 0, 0]));
  // The value slots: row 0 is fact's (n = 4 in its first slot), row 1 mul's (a = 6, b = 4).
  const { rowSize } = program.values;
  const values = Buffer.alloc(2 * rowSize);
  values.writeUInt32LE(4, 0);
  values.writeUInt32LE(6, rowSize);
  values.writeUInt32LE(4, rowSize + 8);
  memory.write(0x50_0000n, values);
  memory.write(mailboxAt, mailboxBytes({ ...READY, siteCount: program.sites.length, reason: 2, depth: 2, currentSite: factLine9.site, values: 0x50_0000n, valuesSize: BigInt(1025 * rowSize) }));
  wasm.stop = { mailbox: await wasm.read(client) };
  assert.deepEqual(wasm.describeStop(wasm.stop), { reason: 'breakpoint', hit: [3] });
  const stack = await wasm.stackFrames(client, wasm.stop);
  assert.deepEqual(stack.map((f) => [f.id, f.name, f.source?.path, f.line]), [
    [WASM_FRAME_BASE + 1, 'mul', 'prog.c', 2],
    [WASM_FRAME_BASE, 'fact', 'prog.c', 9],
  ]);
  const scopes = wasm.scopes(WASM_FRAME_BASE, (s) => (s.kind === 'wasmGlobals' ? 1 : s.kind === 'wasmMemory' ? 2 : 3));
  assert.deepEqual(scopes.map((s) => s.name), ['Arguments', 'Locals', 'Globals', 'Locals (Wasm)', 'Frame', 'Globals (Wasm)', 'Memory']);
  // Every frame's captured locals, by name-section name or index, typed.
  const factLocals = await wasm.variables(client, wasm.stop, { kind: 'wasmLocals', depth: 0 }, noReference);
  assert.deepEqual([factLocals[0].name, factLocals[0].value, factLocals[0].type], ['$local 0', '4 (0x4)', 'param i32']);
  assert.ok(factLocals.slice(1).every((v) => v.type === 'i32' && v.value === '0 (0x0)'), 'fact\'s other locals: zero');
  const mulLocals = await wasm.variables(client, wasm.stop, { kind: 'wasmLocals', depth: 1 }, noReference);
  assert.deepEqual(mulLocals.slice(0, 2).map((v) => [v.name, v.value, v.type]), [['$local 0', '6 (0x6)', 'param i32'], ['$local 1', '4 (0x4)', 'param i32']]);
  // The same values for a renderer, with the globals and linear memory.
  const access = await wasm.frameAccess(client, wasm.stop, 1);
  assert.deepEqual([access.local(0), access.local(1), access.local(999), access.global(0), access.global(1)], [6n, 4n, undefined, 0x1000n, undefined]);
  memory.write(0x40_0010n, Buffer.from('abcd'));
  assert.equal(Buffer.from(await access.readMemory(0x10, 4)).toString(), 'abcd');
  assert.equal((await access.readMemory(0x1fffe, 4)).length, 2, 'fewer bytes past the end of linear memory');
  const globals = await wasm.variables(client, wasm.stop, { kind: 'wasmGlobals' }, noReference);
  assert.deepEqual(globals.map((v) => [v.name, v.value, v.type]), [['__stack_pointer', '4096 (0x1000)', 'mut i32']]);
  const frame = await wasm.variables(client, wasm.stop, { kind: 'wasmFrame', depth: 0 }, noReference);
  assert.equal(frame.find((v) => v.name === 'location')?.value.startsWith('prog.c:9:'), true);

  // The Memory scope's reference reads linear memory by the app's own addresses, bounded by its size.
  const mem = await wasm.variables(client, wasm.stop, { kind: 'wasmMemory' }, noReference);
  assert.equal(mem[0].memoryReference, 'wasm:0');
  assert.deepEqual(wasm.linearMemory('wasm:0', 0x10, 16), { address: 0x40_0010n, inside: 16, wasmOffset: 0x10n });
  assert.deepEqual(wasm.linearMemory('wasm:0x1fff8', 0, 16), { address: 0x41_fff8n, inside: 8, wasmOffset: 0x1fff8n });
  assert.equal(wasm.linearMemory('0x1000', 0, 16), undefined, 'kernel addresses are not linear memory');

  // A kernel without value slots: a clear text, no crash.
  wasm.stop = { mailbox: { ...wasm.stop.mailbox, values: 0n, valuesSize: 0n } };
  const none = await wasm.variables(client, wasm.stop, { kind: 'wasmLocals', depth: 0 }, noReference);
  assert.deepEqual(none.map((v) => v.name), ['(unavailable)']);
  assert.match(none[0].value, /no value slots/);
  assert.equal((await wasm.frameAccess(client, wasm.stop, 0)).local(0), undefined);

  // A function breakpoint stop, then a trap.
  memory.write(mailboxAt, mailboxBytes({ ...READY, siteCount: program.sites.length, reason: 2, depth: 1, currentSite: entry.site }));
  wasm.stop = { mailbox: await wasm.read(client) };
  assert.deepEqual(wasm.describeStop(wasm.stop), { reason: 'function breakpoint', hit: [1] });
  assert.equal(wasm.exceptionInfo(), undefined);
  memory.write(mailboxAt, mailboxBytes({ ...READY, siteCount: program.sites.length, reason: 4, trapCode: 4, depth: 1, currentSite: entry.site }));
  wasm.stop = { mailbox: await wasm.read(client) };
  assert.deepEqual(wasm.describeStop(wasm.stop), { reason: 'exception', hit: [], text: 'integer division by zero' });
  assert.match(wasm.exceptionInfo()!.description!, /Wasm trap: integer division by zero after fact/);
  await wasm.setStep(client, 'out', 4);
  assert.deepEqual([...memory.read(mailboxAt + 40n, 8)], [3, 0, 0, 0, 4, 0, 0, 0]);

  // DWARF paths relative to the compilation directory open from the app's folder when the file is there.
  const root = scratchDir();
  writeFileSync(join(root, 'prog.c'), FACT_C);
  const rooted = new WasmLevel(program, symbols, root);
  assert.equal(rooted.sourcePath('prog.c'), join(root, 'prog.c'));
  assert.equal(rooted.sourcePath('missing.c'), 'missing.c');
  assert.equal(rooted.sourcePath('/abs/prog.c'), '/abs/prog.c');
});

/** The Wasm level of FACT_C built at `optimize` -g, on a kernel ELF's symbols, with an empty guest memory. */
function factLevel(optimize: string): { mailboxAt: bigint; program: WasmProgram; wasm: WasmLevel; memory: Memory } {
  const symbols = kernelSymbols();
  const program = new WasmProgram(clangWasm(FACT_C, [optimize, '-g']));
  return { mailboxAt: symbols.lookup('UNIWASM_DEBUG')[0].address, program, wasm: new WasmLevel(program, symbols, scratchDir()), memory: new Memory() };
}

test('WasmLevel: a stop\'s DWARF rows are read from the guest once; after a setVariable, a setExpression or a memory write they show the new value', async () => {
  // DWARF's capture: fact's params and its frame base (-O0 keeps r and i in linear memory).
  const { mailboxAt, program, wasm, memory } = factLevel('-O0');
  let reads = 0;
  const client = { ...memory.client(), readMemory: (address: bigint, length: number) => (reads++, memory.read(address, length)) } as unknown as GdbClient;

  // A stop at `r = mul(r, i);` in fact (n and r in scope there), its frame base 0x1000 in each of its value slots.
  const [fact] = program.functionsNamed('fact');
  const frames = Buffer.alloc(8);
  frames.writeUInt32LE(program.entrySite(fact)!.site, 0);
  frames.writeUInt32LE(program.statementsAt('prog.c', 7)!.sites[0].site, 4);
  memory.write(READY.frames!, frames);
  const { rowSize } = program.values;
  const values = Buffer.alloc(rowSize);
  program.capturedLocals(fact).forEach((_, slot) => values.writeUInt32LE(0x1000, slot * 8));
  memory.write(0x50_0000n, values);
  const stopped = mailboxBytes({ ...READY, siteCount: program.sites.length, reason: 2, depth: 1, values: 0x50_0000n, valuesSize: BigInt(1025 * rowSize) });
  memory.write(mailboxAt, stopped);
  wasm.stop = { mailbox: await wasm.read(client) };

  const locals = { kind: 'dwarfScope', depth: 0, which: 'locals' } as const;
  const args = { kind: 'dwarfScope', depth: 0, which: 'args' } as const;
  const rows = async () => [...await wasm.variables(client, wasm.stop!, args, noReference), ...await wasm.variables(client, wasm.stop!, locals, noReference)];
  const shown = async () => Object.fromEntries((await rows()).map((v) => [v.name, v.value]));
  reads = 0;
  assert.deepEqual(await shown(), { n: '0', r: '0' });
  assert.ok(reads > 0, 'the first rows are read from the guest');
  reads = 0;
  assert.deepEqual(await shown(), { n: '0', r: '0' });
  assert.ok((await wasm.dwarfFrame(client, wasm.stop, 0)) === (await wasm.dwarfFrame(client, wasm.stop, 0)), 'one DwarfFrame per frame and stop');
  assert.equal(reads, 0, 'asked again at the same stop: nothing read');

  assert.equal(await wasm.setDwarfVariable(client, wasm.stop, locals, 'r', '6 * 7'), '42');
  assert.deepEqual(await shown(), { n: '0', r: '42' }, 'setVariable\'s value, not the rows kept before');
  assert.equal(await wasm.setDwarfExpression(client, wasm.stop, 0, 'n', 'r + 1'), '43');
  assert.deepEqual(await shown(), { n: '43', r: '42' }, 'setExpression\'s value');
  // A write of the Memory view (Debugger.writeMemory): r's bytes at its address in linear memory.
  const r = (await rows()).find((v) => v.name === 'r')!;
  memory.write(READY.memoryBase! + BigInt(r.memoryReference!.slice('wasm:'.length)), Buffer.from([7, 0, 0, 0]));
  wasm.memoryWritten();
  assert.deepEqual(await shown(), { n: '43', r: '7' });

  // The next stop reads again.
  reads = 0;
  wasm.stop = { mailbox: wasm.stop.mailbox };
  await shown();
  assert.ok(reads > 0, 'a new stop reads its rows');
});

test('WasmLevel: setting a variable in a Wasm local writes its value slot and locals_written; a caller\'s is refused', async () => {
  // At -O2, fact's `n` is Wasm local 0 at its entry.
  const { mailboxAt, program, wasm, memory } = factLevel('-O2');
  const client = memory.client() as unknown as GdbClient;
  const [fact] = program.functionsNamed('fact');
  const entry = program.entrySite(fact)!.site;
  // Two frames of fact, both at the entry (as a recursion would be), n = 5 in the top one's slot 0 and 6 in the caller's.
  const frames = Buffer.alloc(16);
  for (const at of [0, 4, 8, 12]) frames.writeUInt32LE(entry, at);
  memory.write(READY.frames!, frames);
  const { rowSize } = program.values;
  const slot = program.capturedLocals(fact).findIndex((l) => l.index === 0);
  assert.ok(slot >= 0, 'n (local 0) is captured');
  const values = Buffer.alloc(2 * rowSize);
  values.writeUInt32LE(6, slot * 8);
  values.writeUInt32LE(5, rowSize + slot * 8);
  memory.write(0x50_0000n, values);
  memory.write(mailboxAt, mailboxBytes({ ...READY, siteCount: program.sites.length, reason: 2, depth: 2, values: 0x50_0000n, valuesSize: BigInt(1025 * rowSize) }));
  wasm.stop = { mailbox: await wasm.read(client) };

  const args = (depth: number) => ({ kind: 'dwarfScope', depth, which: 'args' } as const);
  assert.equal(await wasm.setDwarfVariable(client, wasm.stop, args(1), 'n', '2 * 21'), '42');
  assert.equal(memory.read(0x50_0000n + BigInt(rowSize + slot * 8), 4).readUInt32LE(0), 42, 'the top frame\'s slot');
  assert.equal(memory.read(mailboxAt + 112n, 4).readUInt32LE(0), 1, 'locals_written');
  const shown = await wasm.variables(client, wasm.stop, args(1), noReference);
  assert.equal(shown.find((v) => v.name === 'n')?.value, '42', 'read back');
  await assert.rejects(wasm.setDwarfExpression(client, wasm.stop, 0, 'n', '1'), /n lives in Wasm local 0 of a caller's frame: set it when that frame is on top/);
  assert.equal(memory.read(0x50_0000n + BigInt(slot * 8), 4).readUInt32LE(0), 6, 'the caller\'s slot unchanged');
});
