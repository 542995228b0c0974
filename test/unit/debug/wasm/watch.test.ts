// Data breakpoints on linear memory (src/debug/wasm/watch.ts): addresses from expressions, data ids,
// and watchpoints set at memory_base + address, moved when linear memory moves, matched at a stop;
// while any is set, a watchpoint on the mailbox's memory_base tells a move.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GdbClient } from '../../../../src/debug/gdb/client';
import { addressInfo, parseWasmAddress, WasmWatchpoints } from '../../../../src/debug/wasm/watch';

test('addresses as the user writes them', () => {
  assert.equal(parseWasmAddress('0x400'), 0x400);
  assert.equal(parseWasmAddress(' 1024 '), 1024);
  assert.equal(parseWasmAddress('&mem[0x400]'), 0x400);
  assert.equal(parseWasmAddress('& mem[ 1024 ]'), 1024);
  assert.equal(parseWasmAddress('wasm:0x400'), 0x400);
  assert.equal(parseWasmAddress('req->uri'), undefined);
  assert.equal(parseWasmAddress('0x'), undefined);
  assert.deepEqual(addressInfo(0x400), {
    dataId: 'wasm-data:0x400:4', description: 'linear memory 0x400 (4 bytes)', accessTypes: ['write', 'read', 'readWrite'],
  });
  assert.equal(addressInfo(0x400, 8).dataId, 'wasm-data:0x400:8');
  assert.equal(addressInfo(2 ** 32).dataId, null);
  assert.equal(addressInfo(0x400, 0).dataId, null);
});

/** Where the mailbox's memory_base lies in the kernel. */
const MEMORY_BASE = 0x10_0038n;

/** The watchpoint packets a client would send, as text. */
function recordingClient(refuse = false): { client: GdbClient; sent: string[] } {
  const sent: string[] = [];
  const client = {
    setWatchpoint: async (address: bigint, length: number, type: string) => {
      if (refuse) throw new Error('GDB stub does not support "Z3,…" (empty reply)');
      sent.push(`set ${type} 0x${address.toString(16)} ${length}`);
    },
    removeWatchpoint: async (address: bigint, length: number, type: string) => {
      sent.push(`remove ${type} 0x${address.toString(16)} ${length}`);
    },
  } as unknown as GdbClient;
  return { client, sent };
}

test('watchpoints at memory_base + address, following linear memory when it moves', async () => {
  const { client, sent } = recordingClient();
  const watches = new WasmWatchpoints(MEMORY_BASE);
  const memory = { base: 0x20_0000n, size: 0x2_0000n };
  const answers = await watches.replace(client, [
    { id: 1, dataId: 'wasm-data:0x400:4', accessType: 'write' },
    { id: 2, dataId: 'wasm-data:0x800:1', accessType: 'readWrite' },
    { id: 3, dataId: 'wasm-data:0x1fffe:4' },
    { id: 4, dataId: 'x' },
  ], memory);
  assert.deepEqual(answers.map((a) => a.verified), [true, true, false, false]);
  assert.match(answers[0].message!, /linear memory 0x400 \(4 bytes, write\), at kernel address 0x200400/);
  assert.match(answers[2].message!, /past the end of linear memory/);
  assert.deepEqual(sent.splice(0), ['set write 0x200400 4', 'set access 0x200800 1', 'set write 0x100038 8'], 'and memory_base, written when linear memory moves');
  assert.deepEqual(watches.hit(0x200402n), [1]);
  assert.deepEqual(watches.hit(0x200404n), []);
  assert.deepEqual(watches.hit(undefined), [1, 2]);
  assert.deepEqual([watches.moved(0x100038n), watches.moved(0x10003fn), watches.moved(0x100040n), watches.moved(0x200400n)], [true, true, false, false]);
  assert.deepEqual(watches.hit(0x100038n), [], 'a move is no data breakpoint\'s hit');

  // memory.grow moved linear memory and made it larger: every watchpoint moves, the third fits now.
  await watches.follow(client, { base: 0x40_0000n, size: 0x3_0000n });
  assert.deepEqual(sent.splice(0), [
    'remove write 0x200400 4', 'set write 0x400400 4', 'remove access 0x200800 1', 'set access 0x400800 1', 'set write 0x41fffe 4',
  ]);
  await watches.follow(client, { base: 0x40_0000n, size: 0x3_0000n });
  assert.deepEqual(sent, [], 'nothing moved, nothing sent');
  await watches.replace(client, [], memory);
  assert.deepEqual(sent.splice(0), ['remove write 0x100038 8', 'remove write 0x400400 4', 'remove access 0x400800 1', 'remove write 0x41fffe 4']);
  assert.equal(watches.size, 0);
  assert.equal(watches.moved(0x100038n), false, 'no data breakpoint, no watch on memory_base');
});

test('before linear memory exists, and when the stub refuses', async () => {
  const early = new WasmWatchpoints(MEMORY_BASE);
  const { client, sent } = recordingClient();
  const [waiting] = await early.replace(client, [{ id: 1, dataId: 'wasm-data:0x400:4', accessType: 'write' }], { base: 0n, size: 0n });
  assert.equal(waiting.verified, false);
  assert.match(waiting.message!, /set at the first Wasm stop/);
  assert.deepEqual(sent.splice(0), ['set write 0x100038 8'], 'the kernel writes memory_base when linear memory comes');
  await early.follow(client, { base: 0x20_0000n, size: 0x1_0000n });
  assert.deepEqual(sent, ['set write 0x200400 4']);

  const refused = recordingClient(true);
  const refusing = new WasmWatchpoints(MEMORY_BASE);
  const [answer] = await refusing.replace(refused.client, [{ id: 1, dataId: 'wasm-data:0x400:4', accessType: 'read' }], { base: 0x1000n, size: 0x1_0000n });
  assert.equal(answer.verified, false);
  assert.match(answer.message!, /the gdbstub refused the watchpoint/);
  assert.equal(refusing.moved(0x100038n), false, 'memory_base unwatched: the watchpoints follow at Wasm stops only');
});
