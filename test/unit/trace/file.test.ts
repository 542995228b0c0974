// Tests trace/file.ts: the `uniwasm run --trace FILE` writer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceFile } from '../../../src/trace/file';

test('the trace file: created or truncated at open, one line each, everything written by close()', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'uniwasm-tracefile-'));
  try {
    const path = join(dir, 'trace.jsonl');
    const errors: Error[] = [];
    const old = TraceFile.open(path, (e) => errors.push(e));
    old.write('stale');
    old.close();
    const f = TraceFile.open(path, (e) => errors.push(e));
    assert.equal(readFileSync(path, 'utf8'), '', 'truncated at open');
    f.write('{"type":"hello","v":1}');
    await new Promise((r) => setImmediate(r));
    assert.equal(readFileSync(path, 'utf8'), '{"type":"hello","v":1}\n', 'written on the next turn');
    f.write('{"a":1}');
    f.write('');
    f.close(); // no turn of the event loop in between: close writes them
    f.write('after close');
    assert.equal(readFileSync(path, 'utf8'), '{"type":"hello","v":1}\n{"a":1}\n\n');
    assert.deepEqual(errors, []);

    assert.throws(() => TraceFile.open(join(dir, 'no/such/dir/t.jsonl'), () => {}), /cannot write the trace file: ENOENT.*no\/such\/dir/);
    assert.throws(() => TraceFile.open(dir, () => {}), /cannot write the trace file: EISDIR/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
