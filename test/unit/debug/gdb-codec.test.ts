// Pure codec tests for the GDB remote serial protocol layer: framing, escapes, run-length encoding,
// stop replies, the XML parser and the target description. No sockets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bigintToLittleEndian, littleEndianToBigint } from '../../../src/debug/gdb/hex';
import { checksum, decodeBody, encodePacket, PacketDecoder, type FrameEvent } from '../../../src/debug/gdb/packet';
import { parseStopReply, parseThreadId } from '../../../src/debug/gdb/stopReply';
import { decodeRegisterBlock, loadTargetDescription } from '../../../src/debug/gdb/targetDescription';
import { parseXml, textContent } from '../../../src/debug/gdb/xml';

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

function packets(events: FrameEvent[]): string[] {
  return events.map((e) => (e.type === 'packet' ? e.payload.toString('latin1') : `<${e.type}>`));
}

test('checksum and framing of a plain packet', () => {
  assert.equal(checksum(latin1('g')), 0x67);
  assert.equal(encodePacket('g').toString('latin1'), '$g#67');
  assert.equal(encodePacket('qSupported').toString('latin1'), '$qSupported#37');
});

test('the four special bytes are escaped on the way out and restored on the way in', () => {
  const payload = latin1('a#b$c}d*e');
  const frame = encodePacket(payload).toString('latin1');
  assert.equal(frame.slice(1, frame.lastIndexOf('#')), 'a}\x03b}\x04c}]d}\x0ae');
  const events = new PacketDecoder().push(encodePacket(payload));
  assert.deepEqual(packets(events), ['a#b$c}d*e']);
});

test('binary payloads with every byte value survive a round trip', () => {
  const payload = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const events = new PacketDecoder().push(encodePacket(payload));
  assert.equal(events.length, 1);
  assert.equal(events[0].type, 'packet');
  assert.deepEqual(events[0].type === 'packet' && events[0].payload, payload);
});

test('run-length encoding expands before unescaping', () => {
  // 'X*c' repeats X (c - 29) more times: ' ' is 3, '"' is 5, '%' is 8.
  assert.equal(decodeBody(latin1('0* ')).toString('latin1'), '0000');
  assert.equal(decodeBody(latin1('ab*"c')).toString('latin1'), 'abbbbbbc');
  assert.equal(decodeBody(latin1('}]x')).toString('latin1'), '}x');
  // A whole frame as a stub would send it, checksum over the encoded bytes.
  const body = latin1('e9*%ff');
  const frame = Buffer.concat([latin1('$'), body, latin1(`#${checksum(body).toString(16).padStart(2, '0')}`)]);
  assert.deepEqual(packets(new PacketDecoder().push(frame)), ['e999999999ff']);
});

test('a frame split at every byte position decodes the same', () => {
  const stream = Buffer.concat([latin1('+'), encodePacket('T05thread:01;'), latin1('-'), encodePacket(latin1('x}#y')), encodePacket('OK')]);
  const expected = ['<ack>', 'T05thread:01;', '<nak>', 'x}#y', 'OK'];
  for (let cut = 0; cut <= stream.length; cut++) {
    const decoder = new PacketDecoder();
    const events = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
    assert.deepEqual(packets(events), expected, `cut at ${cut}`);
  }
  const decoder = new PacketDecoder();
  const oneByOne = [...stream].flatMap((b) => decoder.push(Buffer.from([b])));
  assert.deepEqual(packets(oneByOne), expected);
});

test('several frames in one chunk, noise between them, and a corrupt checksum', () => {
  const chunk = Buffer.concat([encodePacket('OK'), latin1('\x00junk'), latin1('$OK#00'), encodePacket('S05'), latin1('$OK#zz')]);
  const events = new PacketDecoder().push(chunk);
  assert.deepEqual(packets(events), ['OK', '<corrupt>', 'S05', '<corrupt>']);
});

test('little-endian helpers', () => {
  assert.equal(littleEndianToBigint(Buffer.from('f0ff000000000000', 'hex')), 0xfff0n);
  assert.equal(bigintToLittleEndian(0x1122n, 4).toString('hex'), '22110000');
  assert.equal(bigintToLittleEndian(-1n, 2).toString('hex'), 'ffff');
});

test('stop replies: T with thread and registers, S, W, X, and non-stop packets', () => {
  const t = parseStopReply('T05thread:p01.02;core:1;10:f0ff000000000000;swbreak:;library:;newthing:7;');
  assert.ok(t && t.kind === 'signal');
  assert.equal(t.signal, 5);
  assert.equal(t.thread, 2);
  assert.equal(t.core, 1);
  assert.equal(t.reason, 'swbreak');
  assert.equal(t.registers.get(0x10)?.toString('hex'), 'f0ff000000000000');
  const w = parseStopReply('T05watch:1000;thread:01;');
  assert.ok(w && w.kind === 'signal');
  assert.equal(w.watchAddress, 0x1000n);
  assert.deepEqual(parseStopReply('S02'), { kind: 'signal', signal: 2, registers: new Map() });
  assert.deepEqual(parseStopReply('W00'), { kind: 'exited', code: 0 });
  assert.deepEqual(parseStopReply('X09;process:1'), { kind: 'terminated', signal: 9 });
  assert.equal(parseStopReply('OK'), undefined);
  assert.equal(parseStopReply('E01'), undefined);
  assert.equal(parseThreadId('p01.0a'), 10);
  assert.equal(parseThreadId('-1'), -1);
});

test('XML parser: prolog, DOCTYPE, comments, entities, CDATA, nesting', () => {
  const root = parseXml(`<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd" [ <!ENTITY x "y"> ]>
<!-- a comment with <reg name="no"/> inside -->
<target version='1.0'>
  <architecture>i386:x86-64</architecture>
  <!--reg name="cs_base" bitsize="64" type="int64"/-->
  <feature name="a&amp;b"><reg name="r&lt;0" bitsize="8"/></feature>
  <note><![CDATA[<not an element>]]> &#65;&#x42;</note>
</target>`);
  assert.equal(root.name, 'target');
  assert.equal(root.attributes.version, '1.0');
  const elements = root.children.filter((c) => typeof c !== 'string');
  assert.deepEqual(elements.map((e) => typeof e !== 'string' && e.name), ['architecture', 'feature', 'note']);
  const feature = elements[1];
  assert.ok(typeof feature !== 'string');
  assert.equal(feature.attributes.name, 'a&b');
  const reg = feature.children[0];
  assert.ok(typeof reg !== 'string');
  assert.equal(reg.attributes.name, 'r<0');
  const note = elements[2];
  assert.ok(typeof note !== 'string');
  assert.equal(textContent(note), '<not an element> AB');
});

test('XML parser rejects malformed documents', () => {
  assert.throws(() => parseXml('<a><b></a>'), /does not close/);
  assert.throws(() => parseXml('<a>'), /never closed/);
  assert.throws(() => parseXml('<a x=1/>'), /quoted value/);
  assert.throws(() => parseXml('<a/><b/>'), /second root/);
  assert.throws(() => parseXml('<!-- open'), /unterminated comment/);
});

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
