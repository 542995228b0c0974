// The small XML parser that reads QEMU's target description (src/debug/gdb/xml.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseXml, textContent } from '../../../../src/debug/gdb/xml';

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
