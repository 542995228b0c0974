// Tests util/lines.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { forEachLine, LineSplitter } from '../../../src/util/lines';

function split(chunks: string[], maxChars?: number): string[] {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l), maxChars);
  for (const c of chunks) s.push(c);
  s.end();
  return lines;
}

test('lines across chunk boundaries, CRLF and LF, empty lines, a last line without its end', () => {
  assert.deepEqual(split(['a\nb', 'c\r', '\n\nd\r\ne', 'f']), ['a', 'bc', '', 'd', 'ef']);
  assert.deepEqual(split(['x\n']), ['x']);
  assert.deepEqual(split(['']), []);
  // A lone CR inside a line is content; only the one before LF is part of the line end.
  assert.deepEqual(split(['a\rb\n']), ['a\rb']);
});

test('every byte of a one-byte-at-a-time stream lands in the right line', () => {
  const text = '{"type":"hello","v":1}\n{"type":"heap","used":1,"total":2}\r\npartial';
  assert.deepEqual(split([...text]), ['{"type":"hello","v":1}', '{"type":"heap","used":1,"total":2}', 'partial']);
});

test('an over-long line is cut to maxChars + 1 and its rest dropped; the next line is whole', () => {
  assert.deepEqual(split(['0123456789\nok\n'], 4), ['01234', 'ok']);
  // The same when the long line arrives in pieces without a line end for a while.
  assert.deepEqual(split(['012', '345', '678', '9\nok', '\n'], 4), ['01234', 'ok']);
  assert.deepEqual(split(['0123456789'], 4), ['01234']);
  assert.deepEqual(split(['0123\n'], 4), ['0123']);
});

test('forEachLine decodes a UTF-8 character split between two chunks', async () => {
  const stream = new PassThrough();
  const lines: string[] = [];
  forEachLine(stream, (l) => lines.push(l));
  const bytes = Buffer.from('é€\nlast');
  stream.write(bytes.subarray(0, 1));
  stream.write(bytes.subarray(1, 3));
  stream.end(bytes.subarray(3));
  await once(stream, 'end');
  assert.deepEqual(lines, ['é€', 'last']);
});
