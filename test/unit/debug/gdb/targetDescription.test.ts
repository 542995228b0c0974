// The target description (src/debug/gdb/targetDescription.ts): includes, commented-out registers, regnums, `g` decoding.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeRegisterBlock, loadTargetDescription } from '../../../../src/debug/gdb/targetDescription';

test('target description: includes, commented-out registers, default and explicit regnums, g decoding', async () => {
  const files: Record<string, string> = {
    'target.xml': '<?xml version="1.0"?><!DOCTYPE target SYSTEM "gdb-target.dtd"><target><architecture>i386:x86-64</architecture><xi:include href="core.xml"/><xi:include href="sse.xml"/></target>',
    'core.xml': '<?xml version="1.0"?>\n<!-- core -->\n<feature name="org.gnu.gdb.i386.core">\n<flags id="f" size="4"><field name="CF" start="0" end="0"/></flags>\n<reg name="rax" bitsize="64" type="int64"/>\n<!--reg name="cs_base" bitsize="64"/-->\n<reg name="rip" bitsize="64" type="code_ptr"/>\n<reg name="eflags" bitsize="32" type="f"/>\n</feature>',
    'sse.xml': '<feature name="org.gnu.gdb.i386.sse"><reg name="xmm0" bitsize="128" regnum="3" group="vector"/><reg name="mxcsr" bitsize="32"/></feature>',
  };
  const read: string[] = [];
  const description = await loadTargetDescription(async (annex) => {
    read.push(annex);
    const text = files[annex];
    if (text === undefined) throw new Error(`no ${annex}`);
    return text;
  });
  assert.deepEqual(read, ['target.xml', 'core.xml', 'sse.xml']);
  assert.equal(description.architecture, 'i386:x86-64');
  assert.deepEqual(
    description.registers.map((r) => [r.name, r.bitsize, r.regnum, r.feature]),
    [
      ['rax', 64, 0, 'org.gnu.gdb.i386.core'],
      ['rip', 64, 1, 'org.gnu.gdb.i386.core'],
      ['eflags', 32, 2, 'org.gnu.gdb.i386.core'],
      ['xmm0', 128, 3, 'org.gnu.gdb.i386.sse'],
      ['mxcsr', 32, 4, 'org.gnu.gdb.i386.sse'],
    ],
  );
  assert.equal(description.documents.size, 3);
  const g = '8877665544332211' + 'f0ff000000000000' + '02000000' + 'xx'.repeat(16) + '801f0000';
  const values = decodeRegisterBlock(description, g);
  assert.deepEqual([...values], [
    ['rax', 0x1122334455667788n],
    ['rip', 0xfff0n],
    ['eflags', 2n],
    ['mxcsr', 0x1f80n],
  ]);
  // A short g reply (the stub stops early) leaves the missing registers out.
  assert.deepEqual([...decodeRegisterBlock(description, g.slice(0, 32)).keys()], ['rax', 'rip']);
});
