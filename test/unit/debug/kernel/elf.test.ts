// ElfSymbols on real ELF files built here with cc: function and object symbols, Rust legacy
// demangling (names given with asm labels), lookups by path suffix, address → symbol+offset.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { demangleRust } from '../../../../src/debug/kernel/demangle';
import { ElfSymbols, plainPath } from '../../../../src/debug/kernel/elf';
import { productRoot } from '../../../../src/util/paths';
import { buildTinyGuest } from '../../../fixtures/debug/guest';
import { scratchDir } from '../../../fixtures/debug/scratch';

const RUST_POLL = '_ZN14uniwasm_kernel3net4poll17h0123456789abcdefE';
const RUST_IMPL = '_ZN63_$LT$uniwasm_kernel..net..Iface$u20$as$u20$core..fmt..Debug$GT$3fmt17hfedcba9876543210E';

function buildCProgram(): string {
  const dir = scratchDir();
  writeFileSync(
    join(dir, 'p.c'),
    `int poll(int x) __asm__("${RUST_POLL}");
     int poll(int x) { return x + 1; }
     int fmt(int x) __asm__("${RUST_IMPL}");
     int fmt(int x) { return x * 3 + poll(x); }
     int table[16] = {1};
     int main(void) { return fmt(table[0]); }
    `,
  );
  execFileSync('cc', ['-O1', '-fno-inline', '-o', join(dir, 'p'), join(dir, 'p.c')]);
  return join(dir, 'p');
}

test('demangles Rust legacy names and leaves others alone', () => {
  assert.equal(demangleRust(RUST_POLL), 'uniwasm_kernel::net::poll');
  assert.equal(demangleRust(RUST_IMPL), '<uniwasm_kernel::net::Iface as core::fmt::Debug>::fmt');
  assert.equal(demangleRust('_ZN4core3ptr13drop_in_place17h0000000000000000E'), 'core::ptr::drop_in_place');
  assert.equal(demangleRust('main'), undefined);
  assert.equal(demangleRust('_ZN3foo'), undefined, 'truncated');
  assert.equal(demangleRust('_ZN99fooE'), undefined, 'length past the end');
});

test('reads functions and objects from a C program with Rust-named symbols', () => {
  const elf = ElfSymbols.fromFile(buildCProgram());
  const [poll] = elf.lookup('uniwasm_kernel::net::poll');
  assert.ok(poll, 'found by demangled name');
  assert.equal(poll.kind, 'function');
  assert.equal(poll.raw, RUST_POLL);
  assert.ok(poll.size > 0n);
  assert.deepEqual(elf.lookup('net::poll'), [poll], 'a path suffix finds it');
  assert.deepEqual(elf.lookup(RUST_POLL), [poll], 'the raw symbol finds it');
  assert.deepEqual(elf.lookup('et::poll'), [], 'suffixes match whole path segments');
  assert.equal(elf.lookup('<uniwasm_kernel::net::Iface as core::fmt::Debug>::fmt').length, 1);
  const [table] = elf.lookup('table');
  assert.equal(table.kind, 'object');
  assert.equal(table.size, 64n);
  assert.equal(elf.describe(poll.address), 'uniwasm_kernel::net::poll');
  assert.equal(elf.describe(poll.address + 1n), 'uniwasm_kernel::net::poll+0x1');
  assert.equal(elf.symbolAt(poll.address + poll.size - 1n), poll);
  assert.equal(elf.symbolAt(0n), undefined);
  assert.equal(elf.entry, elf.lookup('_start')[0].address, 'without a PVH note the entry is e_entry');
});

test('the tiny PVH guest: symbols at their link addresses', () => {
  const elf = ElfSymbols.fromFile(buildTinyGuest());
  const names = elf.symbols.map((s) => s.name);
  for (const name of ['pvh_entry', 'fixture_tick', 'fixture_add', 'counter', 'total', 'magic']) assert.ok(names.includes(name), name);
  const [start] = elf.lookup('pvh_entry');
  assert.equal(start.address, 0x100000n);
  assert.equal(elf.entry, start.address, 'the entry comes from the PVH note (e_entry is 0)');
  const [tick] = elf.lookup('fixture_tick');
  assert.equal(elf.describe(tick.address + 2n), 'fixture_tick+0x2');
});

test('plain paths leave out generic arguments and inherent impl brackets', () => {
  assert.equal(plainPath('<uniwasm_kernel::net::Net<4>>::poll'), 'uniwasm_kernel::net::Net::poll');
  assert.equal(plainPath('core::ptr::drop_in_place::<alloc::vec::Vec<u8>>'), 'core::ptr::drop_in_place');
  assert.equal(plainPath('<core::net::Ipv4Addr as core::fmt::Display>::fmt'), '<core::net::Ipv4Addr as core::fmt::Display>::fmt');
});

test('clear errors on files that are not ELF64', () => {
  assert.throws(() => ElfSymbols.parse(Buffer.from('#!/bin/sh\necho hi\n'.padEnd(80))), /not an ELF file/);
  const elf32 = Buffer.alloc(64);
  elf32.writeUInt32BE(0x7f454c46, 0);
  elf32[4] = 1;
  assert.throws(() => ElfSymbols.parse(elf32), /not an ELF64/);
  const truncated = Buffer.alloc(64);
  truncated.writeUInt32BE(0x7f454c46, 0);
  truncated[4] = 2;
  truncated[5] = 1;
  truncated.writeBigUInt64LE(1000n, 0x28);
  truncated.writeUInt16LE(64, 0x3a);
  truncated.writeUInt16LE(3, 0x3c);
  assert.throws(() => ElfSymbols.parse(truncated), /section headers are missing or truncated/);
});

/** `nm --defined-only` lines → name → demangled by binutils (`nm -C`). */
function nmDemangled(file: string): Map<string, string> {
  const names = (flags: string[]) => execFileSync('nm', ['--defined-only', ...flags, file], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.split(' ').slice(2).join(' '));
  const raw = names([]);
  const demangled = names(['-C']);
  return new Map(raw.map((r, i) => [r, demangled[i]]));
}

for (const scheme of ['legacy (our crates)', 'v0 (the prebuilt core and alloc, or -C symbol-mangling-version=v0)']) {
  test(`Rust ${scheme}: every symbol demangles as binutils does`, () => {
    const out = join(scratchDir(), 'mangling');
    const flags = scheme.startsWith('v0') ? ['-C', 'symbol-mangling-version=v0'] : [];
    execFileSync('rustc', ['-O', ...flags, '-o', out, join(productRoot(), 'test', 'fixtures', 'debug', 'mangling.rs')]);
    let rust = 0;
    for (const [raw, theirs] of nmDemangled(out)) {
      if (!raw.startsWith('_R') && !raw.startsWith('_ZN')) continue;
      rust++;
      assert.equal(demangleRust(raw), theirs.replace(/::h[0-9a-f]{16}$/, ''), raw);
    }
    assert.ok(rust > 300, `${rust} Rust symbols checked`);
    const elf = ElfSymbols.fromFile(out);
    const [poll] = elf.lookup('net::poll');
    assert.equal(poll.name, 'mangling::net::poll');
    const method = elf.lookup('Net::poll');
    assert.equal(method.length, 1, 'generic arguments and impl brackets do not get in the way');
    assert.match(method[0].name, scheme.startsWith('v0') ? /^<mangling::net::Net<4>>::poll$/ : /^mangling::net::Net<_>::poll$/);
  });
}
