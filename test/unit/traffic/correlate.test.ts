// Tests traffic/correlate.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anchorOf, Correlator, expectedCommands, type KvRow, type MonitorCommand } from '../../../src/traffic/correlate';
import { escapeMonitorArg, formatCommand, monitorArgBytes, splitRedisKey, unescapeMonitorArg } from '../../../src/traffic/redisText';
import { decodeTraceLine, type KvEvent } from '../../../src/trace/format';

const IFACE = 'spiderlightning:slight/keyvalue';

/** A kv event as the guest writes it, received at host time `recvMs`; `ts_us` is the guest's (skewed) clock. */
function call(recvMs: number, method: string, container: string, key?: string, extra: Record<string, unknown> = {}): KvEvent {
  const line = JSON.stringify({ type: 'kv', iface: IFACE, fn: `[method]keyvalue.${method}`, container, key, ok: true, dur_us: 500, ts_us: 9_000_000_000 + recvMs * 1000, ...extra });
  const d = decodeTraceLine(line, recvMs);
  assert.equal(d.kind, 'event');
  return (d as { event: KvEvent }).event;
}

function cmd(recvMs: number, args: string[], source = '127.0.0.1:40000'): MonitorCommand {
  return { recvMs, time: '1.0', args, source, db: '0' };
}

function setup(o: { backMs?: number; aheadMs?: number; maxRecent?: number } = {}) {
  const events: { row: KvRow; isNew: boolean; commands: string[] }[] = [];
  const c = new Correlator({ ...o, onRow: (row, isNew) => events.push({ row, isNew, commands: row.commands.map((x) => x.args.join(' ')) }) });
  return { c, events };
}

test('calls pair with their commands by key, whatever order the keys interleave in', () => {
  const { c } = setup();
  c.addCommand(cmd(100, ['SET', 'c:a', '1']));
  c.addCommand(cmd(101, ['SET', 'c:b', '22']));
  c.addCommand(cmd(102, ['GET', 'c:a']));
  c.addCommand(cmd(103, ['GET', 'c:b']));
  const rows = [call(110, 'set', 'c', 'b'), call(111, 'get', 'c', 'b'), call(112, 'set', 'c', 'a'), call(113, 'get', 'c', 'a')].map((e) => c.addCall(e));
  assert.deepEqual(rows.map((r) => r.commands.map((x) => x.args.join(' '))), [['SET c:b 22'], ['GET c:b'], ['SET c:a 1'], ['GET c:a']]);
});

test('the guest clock plays no part: a skewed ts_us does not change the pairing', () => {
  const { c } = setup();
  c.addCommand(cmd(1000, ['SET', 'c:k', 'v']));
  const e = call(1005, 'set', 'c', 'k', { ts_us: 5 }); // guest thinks it is at boot + 5 µs
  assert.equal(e.guestUs, 5);
  assert.equal(c.addCall(e).commands.length, 1);
});

test('repeated calls on one key take their commands in order (FIFO)', () => {
  const { c } = setup();
  for (let i = 0; i < 3; i++) c.addCommand(cmd(100 + i, ['SET', 'c:k', `v${i}`]));
  const got = [0, 1, 2].map((i) => c.addCall(call(200 + i, 'set', 'c', 'k')).commands[0]!.args[2]);
  assert.deepEqual(got, ['v0', 'v1', 'v2']);
});

test('a command that arrives after its call updates the row; one past the wait does not', () => {
  const { c, events } = setup({ aheadMs: 500 });
  const row = c.addCall(call(1000, 'get', 'c', 'k'));
  assert.equal(row.commands.length, 0);
  c.addCommand(cmd(1200, ['GET', 'c:k']));
  assert.deepEqual(events.map((e) => [e.row.id, e.isNew, e.commands]), [[row.id, true, []], [row.id, false, ['GET c:k']]]);
  const late = c.addCall(call(2000, 'get', 'c', 'late'));
  c.tick(2600);
  c.addCommand(cmd(2700, ['GET', 'c:late']));
  assert.equal(late.commands.length, 0);
});

test('commands older than the window are not claimed and become rows of their own', () => {
  const { c, events } = setup({ backMs: 1000 });
  c.addCommand(cmd(0, ['SET', 'c:k', 'old']));
  c.addCommand(cmd(1500, ['SET', 'c:k', 'new']));
  const row = c.addCall(call(1600, 'set', 'c', 'k'));
  assert.equal(row.commands[0]!.args[2], 'new');
  c.tick(1700);
  const orphan = events.find((e) => !e.row.call);
  assert.deepEqual(orphan?.commands, ['SET c:k old']);
  assert.equal(c.held, 1);
  c.flush();
  assert.equal(c.held, 0);
  assert.equal(events.filter((e) => !e.row.call).length, 1, 'the claimed command is no orphan');
});

test('keys pairs with every SCAN of its pattern, glob characters escaped', () => {
  const { c } = setup();
  const e = call(100, 'keys', 'a*b', undefined, { keys: ['x'], redis: ['SCAN 0 MATCH a\\*b:* COUNT 100', 'SCAN 17 MATCH a\\*b:* COUNT 100'] });
  assert.equal(anchorOf(e), 'a\\\\*b:*'); // MONITOR shows the pattern's backslash escaped
  assert.deepEqual(expectedCommands(e), ['SCAN', 'SCAN']);
  c.addCommand(cmd(90, ['scan', '0', 'MATCH', 'a\\\\*b:*', 'COUNT', '100']));
  c.addCommand(cmd(91, ['scan', '0', 'MATCH', 'other:*', 'COUNT', '100']));
  c.addCommand(cmd(92, ['scan', '17', 'MATCH', 'a\\\\*b:*', 'COUNT', '100']));
  assert.deepEqual(c.addCall(e).commands.map((x) => x.args[1]), ['0', '17']);
});

test('without a redis list the call expects the usual command of its function', () => {
  assert.deepEqual(expectedCommands(call(0, 'delete', 'c', 'k')), ['DEL']);
  assert.deepEqual(expectedCommands(call(0, 'set', 'c', 'k', { redis: ['SET c:k <1 bytes>', 'EXPIRE c:k 10'] })), ['SET', 'EXPIRE']);
  const { c } = setup();
  c.addCommand(cmd(1, ['UNLINK', 'c:k']));
  c.addCommand(cmd(2, ['del', 'c:k']));
  assert.deepEqual(c.addCall(call(3, 'delete', 'c', 'k')).commands.map((x) => x.args[0]), ['del']);
});

test('once the guest connection is known, its commands win over another client on the same key', () => {
  const { c } = setup();
  c.addCommand(cmd(1, ['SET', 'c:first', 'x'], 'guest:1'));
  c.addCall(call(2, 'set', 'c', 'first'));
  c.addCommand(cmd(10, ['GET', 'c:k'], 'redis-cli:9'));
  c.addCommand(cmd(11, ['GET', 'c:k'], 'guest:1'));
  assert.equal(c.addCall(call(12, 'get', 'c', 'k')).commands[0]!.source, 'guest:1');
});

test('keys with bytes MONITOR escapes still match', () => {
  const { c } = setup();
  const key = 'ключ "q" \\ \n';
  c.addCommand(cmd(1, ['SET', escapeMonitorArg(Buffer.from(`c:${key}`)), 'v']));
  assert.equal(c.addCall(call(2, 'set', 'c', key)).commands.length, 1);
});

test('memory stays bounded when nothing claims commands', () => {
  const { c, events } = setup({ maxRecent: 1000 });
  for (let i = 0; i < 10_000; i++) c.addCommand(cmd(i / 100, ['SET', `k:${i}`, 'v']));
  assert.equal(c.held, 1000);
  assert.equal(events.length, 9000);
});

test('MONITOR text escaping round-trips every byte', () => {
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const text = escapeMonitorArg(all);
  assert.match(text, /^\\x00\\x01/);
  assert.ok(text.includes('\\n') && text.includes('\\\\') && text.includes('"') && text.includes('\\xff'));
  assert.deepEqual(unescapeMonitorArg(text), all);
  assert.equal(monitorArgBytes(text), 256);
  assert.equal(monitorArgBytes('plain'), 5);
  // As ioredis delivers what Redis printed for "\x00\x01\"\\\n\xc8 \" \"" (seen on a real server).
  assert.deepEqual([...unescapeMonitorArg('\\x00\\x01"\\\\\\n\\xc8 " "')], [0, 1, 34, 92, 10, 200, 32, 34, 32, 34]);
  assert.deepEqual(unescapeMonitorArg('\\"'), Buffer.from('"'));
});

test('commands are shown with values as sizes', () => {
  assert.equal(formatCommand(['set', 'my-container:key', 'hello']), 'SET my-container:key <5 bytes>');
  assert.equal(formatCommand(['SETEX', 'k', '10', '\\x00\\x01']), 'SETEX k 10 <2 bytes>');
  assert.equal(formatCommand(['get', 'has space']), 'GET "has space"');
  assert.equal(formatCommand(['get', 'x'.repeat(100)]), 'GET <100 bytes>');
  assert.equal(formatCommand(['get', '']), 'GET ""');
  assert.deepEqual(splitRedisKey('c:a:b'), { container: 'c', key: 'a:b' });
  assert.deepEqual(splitRedisKey('plain'), { key: 'plain' });
});
