// Registers as the kernel level shows them (src/debug/kernel/registers.ts): groups, formats, eflags, CPU mode, values and addresses as users type them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAddress } from '../../../../src/debug/kernel/memory';
import { cpuMode, describeEflags, formatRegister, parseRegisterValue, registerGroup } from '../../../../src/debug/kernel/registers';

test('registers: groups, formatting, eflags, CPU mode', () => {
  assert.deepEqual(['rax', 'r15', 'rip', 'eflags', 'cs', 'fs_base', 'cr3', 'efer', 'st0', 'fop', 'xmm15', 'mxcsr', 'orig_rax'].map(registerGroup),
    ['general', 'general', 'general', 'general', 'segment', 'segment', 'control', 'control', 'x87', 'x87', 'sse', 'sse', 'other']);
  assert.equal(formatRegister({ name: 'rip', bitsize: 64, regnum: 16 }, 0x1000n), '0x0000000000001000');
  assert.equal(formatRegister({ name: 'cs', bitsize: 32, regnum: 18 }, 0x10n), '0x00000010');
  assert.equal(describeEflags(0x246n), '[ PF ZF IF ]');
  assert.equal(cpuMode(new Map([['cr0', 0x60000010n]])), 'real mode');
  assert.equal(cpuMode(new Map([['cr0', 0x11n]])), 'protected mode (32-bit, paging off)');
  assert.equal(cpuMode(new Map([['cr0', 0x80000011n], ['efer', 0x500n]])), 'long mode (64-bit, paging on)');
});

test('register values and addresses as users type them', () => {
  const rax = { name: 'rax', bitsize: 64, regnum: 0 };
  const cs = { name: 'cs', bitsize: 32, regnum: 18 };
  assert.equal(parseRegisterValue('0x10', rax), 16n);
  assert.equal(parseRegisterValue(' 42 ', rax), 42n);
  assert.equal(parseRegisterValue('-1', rax), 0xffffffffffffffffn);
  assert.throws(() => parseRegisterValue('0x100000000', cs), /does not fit cs/);
  assert.throws(() => parseRegisterValue('rip+1', rax), /not a number/);
  assert.equal(parseAddress('0x101000'), 0x101000n);
  assert.equal(parseAddress('4096'), 4096n);
  assert.throws(() => parseAddress('main'), /not an address/);
});
