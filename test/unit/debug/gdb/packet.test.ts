// The GDB remote protocol's framing (src/debug/gdb/packet.ts): checksums, escapes, run-length encoding, frames split or batched. No sockets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checksum, decodeBody, encodePacket, PacketDecoder, type FrameEvent } from '../../../../src/debug/gdb/packet';

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
