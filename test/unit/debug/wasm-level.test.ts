// The debugger's Wasm level (src/debug/wasm/level.ts) without a guest: decoding the kernel's mailbox (laid out as
// kernel/runtime/src/debug.rs lays it out), the breakpoint bitmap and step words, the program
// model on modules built here by clang (with and without DWARF), and WasmLevel's reads and writes
// against an in-memory stand-in for the gdbstub, with symbols from a real ELF built by cc.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { GdbClient } from '../../../src/debug/gdb/client';
import { ElfSymbols } from '../../../src/debug/kernel/elf';
import { WASM_FRAME_BASE, WasmLevel } from '../../../src/debug/wasm/level';
import {
  breakpointBitmap, decodeFrames, decodeMailbox, encodeStep, MAILBOX_MAGIC, MAILBOX_SIZE, mailboxProblem, storedFrames, trapName, type Mailbox,
} from '../../../src/debug/wasm/mailbox';
import { formatValue, WasmProgram } from '../../../src/debug/wasm/program';
import { clangWasm, FACT_C, validate } from '../../fixtures/debug/wasmTools';
import { scratchDir } from '../../fixtures/debug/scratch';

/** The mailbox bytes for `fields`, at the offsets of the #[repr(C)] struct (asserted in debug.rs). */
function mailboxBytes(fields: Partial<Mailbox>): Buffer {
  const b = Buffer.alloc(MAILBOX_SIZE);
  const u32 = { magic: 0, version: 4, siteCount: 8, frameCapacity: 12, depth: 32, currentSite: 36, stepMode: 40, stepDepth: 44, reason: 48, trapCode: 52, globalCount: 72 };
  const u64 = { breakpoints: 16, frames: 24, memoryBase: 56, memorySize: 64, globals: 80, stops: 88 };
  for (const [k, at] of Object.entries(u32)) b.writeUInt32LE((fields[k as keyof Mailbox] as number | undefined) ?? 0, at);
  for (const [k, at] of Object.entries(u64)) b.writeBigUInt64LE((fields[k as keyof Mailbox] as bigint | undefined) ?? 0n, at);
  b.writeUInt32LE(fields.inWasm ? 1 : 0, 76);
  return b;
}

const READY: Partial<Mailbox> = {
  magic: MAILBOX_MAGIC, version: 1, frameCapacity: 1024, breakpoints: 0x20_0000n, frames: 0x21_0000n, globals: 0x22_0000n, globalCount: 1,
  memoryBase: 0x40_0000n, memorySize: 0x2_0000n,
};

test('mailbox: every field at its offset; problems named', () => {
  const m = decodeMailbox(mailboxBytes({ ...READY, siteCount: 17, depth: 1030, currentSite: 0x2e, stepMode: 2, stepDepth: 3, reason: 4, trapCode: 9, inWasm: true, stops: 12n }));
  assert.equal(m.magic, 0x4244_5755);
  assert.equal(Buffer.from('UWDB').readUInt32LE(0), m.magic, 'the magic reads "UWDB" in memory');
  assert.deepEqual(
    [m.siteCount, m.frameCapacity, m.breakpoints, m.frames, m.depth, m.currentSite, m.stepMode, m.stepDepth, m.reason, m.trapCode],
    [17, 1024, 0x20_0000n, 0x21_0000n, 1030, 0x2e, 2, 3, 4, 9],
  );
  assert.deepEqual([m.memoryBase, m.memorySize, m.globalCount, m.inWasm, m.globals, m.stops], [0x40_0000n, 0x2_0000n, 1, true, 0x22_0000n, 12n]);
  assert.equal(storedFrames(m), 1024, 'deeper frames are counted, not stored');
  assert.throws(() => decodeMailbox(Buffer.alloc(95)), /96 bytes/);

  assert.equal(mailboxProblem(m, 17), undefined);
  assert.match(mailboxProblem(decodeMailbox(mailboxBytes({})), 17)!, /not set up/);
  assert.match(mailboxProblem({ ...m, version: 2 }, 17)!, /version 2/);
  assert.match(mailboxProblem(m, 18)!, /17 probe sites, the instrumented module has 18/);
  assert.equal(trapName(1), 'out-of-bounds memory access');
  assert.equal(trapName(0xffff_ffff), 'host function failed');
  assert.equal(trapName(77), 'trap code 77');
});

test('mailbox: bitmap bits, step words, frames', () => {
  assert.deepEqual([...breakpointBitmap(17, [0, 9, 16])], [0b1, 0b10, 0b1]);
  assert.deepEqual([...breakpointBitmap(8, [])], [0]);
  assert.throws(() => breakpointBitmap(8, [8]), /outside the 8 sites/);
  assert.deepEqual([...encodeStep('over', 3)], [2, 0, 0, 0, 3, 0, 0, 0]);
  assert.deepEqual([...encodeStep('pause', 0)], [4, 0, 0, 0, 0, 0, 0, 0]);
  const frames = Buffer.alloc(16);
  frames.writeUInt32LE(0x10, 0);
  frames.writeUInt32LE(0x16, 4);
  frames.writeUInt32LE(0x20, 8);
  frames.writeUInt32LE(0x21, 12);
  assert.deepEqual(decodeFrames(frames), [{ entrySite: 0x10, site: 0x16 }, { entrySite: 0x20, site: 0x21 }]);
});

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

test('values: globals as the debugger shows them', () => {
  assert.equal(formatValue(0x7f, 0xffff_ffffn), '-1 (0xffffffff)');
  assert.equal(formatValue(0x7e, 0x10n), '16 (0x10)');
  assert.equal(formatValue(0x7d, 0x3fc0_0000n), '1.5');
  assert.equal(formatValue(0x7c, 0x4004_0000_0000_0000n), '2.5');
});

/** An ELF with the two symbols the Wasm level looks up, built with cc like the kernel's would be named. */
function kernelSymbols(): ElfSymbols {
  const dir = scratchDir();
  writeFileSync(join(dir, 'k.c'), `
    struct mailbox { unsigned char bytes[96]; };
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
  const program = new WasmProgram(clangWasm(FACT_C, ['-O0', '-g']));
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
  memory.write(mailboxAt, mailboxBytes({ ...READY, siteCount: program.sites.length, reason: 2, depth: 2, currentSite: factLine9.site }));
  wasm.stop = { mailbox: await wasm.read(client) };
  assert.deepEqual(wasm.describeStop(wasm.stop), { reason: 'breakpoint', hit: [3] });
  const stack = await wasm.stackFrames(client, wasm.stop);
  assert.deepEqual(stack.map((f) => [f.id, f.name, f.source?.path, f.line]), [
    [WASM_FRAME_BASE + 1, 'mul', 'prog.c', 2],
    [WASM_FRAME_BASE, 'fact', 'prog.c', 9],
  ]);
  const scopes = wasm.scopes(WASM_FRAME_BASE, (s) => (s.kind === 'wasmGlobals' ? 1 : s.kind === 'wasmMemory' ? 2 : 3));
  assert.deepEqual(scopes.map((s) => s.name), ['Frame', 'Globals', 'Memory']);
  const globals = await wasm.variables(client, wasm.stop, { kind: 'wasmGlobals' });
  assert.deepEqual(globals.map((v) => [v.name, v.value, v.type]), [['__stack_pointer', '4096 (0x1000)', 'mut i32']]);
  const frame = await wasm.variables(client, wasm.stop, { kind: 'wasmFrame', depth: 0 });
  assert.equal(frame.find((v) => v.name === 'location')?.value.startsWith('prog.c:9:'), true);

  // The Memory scope's reference reads linear memory by the app's own addresses, bounded by its size.
  const mem = await wasm.variables(client, wasm.stop, { kind: 'wasmMemory' });
  assert.equal(mem[0].memoryReference, 'wasm:0');
  assert.deepEqual(wasm.linearMemory('wasm:0', 0x10, 16), { address: 0x40_0010n, inside: 16, wasmOffset: 0x10n });
  assert.deepEqual(wasm.linearMemory('wasm:0x1fff8', 0, 16), { address: 0x41_fff8n, inside: 8, wasmOffset: 0x1fff8n });
  assert.equal(wasm.linearMemory('0x1000', 0, 16), undefined, 'kernel addresses are not linear memory');

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
