// The Debugger (src/debug/debugger.ts) attached to a scripted fake gdbstub, without QEMU: the events it
// emits for a breakpoint hit, a step, a pause, console text, the guest's exit and the connection's end,
// and what a detach leaves in the stub.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { Debugger } from '../../../src/debug/debugger';
import type { OutputCategory, Stop } from '../../../src/debug/model';
import { FakeStub, type Script } from '../../fixtures/debug/fakeStub';

/** A one-vCPU guest whose rip the test sets; a step moves it one byte on. */
async function guest(): Promise<{ stub: FakeStub; rip: { value: bigint } }> {
  const rip = { value: 0x1000n };
  const script: Script = (packet) => {
    if (packet === 'qfThreadInfo') return 'm01';
    if (packet === 'qsThreadInfo') return 'l';
    if (packet.startsWith('Hg') || /^[Zz]0,/.test(packet) || packet === 'D') return 'OK';
    // rip is register 1 of the stub's target description.
    if (packet === 'p1') return Buffer.from(rip.value.toString(16).padStart(16, '0'), 'hex').reverse().toString('hex');
    if (packet.startsWith('vCont;s')) {
      rip.value += 1n;
      return 'T05thread:01;';
    }
    // Running: the stop comes when the test sends it.
    if (packet.startsWith('vCont;c')) return null;
    return undefined;
  };
  const stub = await FakeStub.start(script);
  stub.onInterrupt = (s) => s.reply('T02thread:01;');
  return { stub, rip };
}

/** The next `stopped` event after `action`. */
async function stopAfter(dbg: Debugger, action: () => unknown): Promise<Stop> {
  const stopped = once(dbg, 'stopped');
  await action();
  return (await stopped)[0] as Stop;
}

test('attached: a breakpoint hit, a step and a pause are stopped events; console text, the exit and the connection end are told', async () => {
  const { stub, rip } = await guest();
  const dbg = new Debugger();
  const output: [OutputCategory, string][] = [];
  dbg.on('output', (text, category) => output.push([category, text]));
  try {
    await dbg.attach({ port: stub.port }, async () => {
      const answers = await dbg.breakpoints.setInstructions([{ instructionReference: '0x2000' }, { instructionReference: 'main' }]);
      assert.deepEqual(answers.map((a) => [a.id, a.verified, a.instructionReference]), [[1, true, '0x2000'], [2, false, undefined]]);
    });
    assert.deepEqual(stub.packets.filter((p) => /^(Z0|vCont;c)/.test(p)), ['Z0,2000,1', 'vCont;c'], 'the breakpoint went in before the guest ran');
    assert.deepEqual(dbg.threads, [{ id: 1, name: 'vCPU 0' }]);

    const hit = await stopAfter(dbg, () => {
      rip.value = 0x2000n;
      stub.reply('T05thread:01;');
    });
    assert.deepEqual(hit, { reason: 'instruction breakpoint', thread: 1, hitBreakpointIds: [1] });

    const stepped = await stopAfter(dbg, () => dbg.control.step(1, 'over'));
    assert.deepEqual(stepped, { reason: 'step', thread: 1, hitBreakpointIds: [] });
    assert.equal(rip.value, 0x2001n);
    assert.deepEqual(stub.packets.filter((p) => /^[Zz]0|^vCont;s/.test(p)).slice(-3), ['z0,2000,1', 'vCont;s:1', 'Z0,2000,1'], 'stepped off the breakpoint, then put it back');

    await dbg.control.continue(1);
    const told = once(dbg, 'output');
    stub.reply(`O${Buffer.from('hello from the guest\n').toString('hex')}`);
    assert.deepEqual(await told, ['hello from the guest\n', 'stdout']);
    const paused = await stopAfter(dbg, () => dbg.control.pause());
    assert.deepEqual(paused, { reason: 'pause', thread: 1, hitBreakpointIds: [] });

    await dbg.control.continue(1);
    const exited = once(dbg, 'output');
    stub.reply('W00');
    assert.deepEqual(await exited, ['uniwasm: the guest ended (exit status 0)\n', 'console']);

    // The connection drops while the stub still listens: QEMU lives on, the session ends.
    const ended = once(dbg, 'ended');
    stub.socket!.end();
    await ended;
    assert.deepEqual(output.at(-1), ['stderr', `uniwasm: the GDB connection dropped, but 127.0.0.1:${stub.port} still listens: QEMU runs on (attach again to go on debugging)\n`]);
  } finally {
    await dbg.end(false);
    await stub.stop();
  }
});

test('attached with stopOnEntry: the entry stop; a detach takes the breakpoints out and lets the guest run on', async () => {
  const { stub } = await guest();
  const dbg = new Debugger();
  try {
    const entry = once(dbg, 'stopped');
    await dbg.attach({ port: stub.port, stopOnEntry: true }, async () => {
      await dbg.breakpoints.setInstructions([{ instructionReference: '0x3000', offset: 4 }]);
    });
    assert.deepEqual((await entry)[0], { reason: 'entry', thread: 1, hitBreakpointIds: [] });
    assert.ok(!stub.packets.includes('vCont;c'), 'stopped on entry: not resumed');
    await dbg.disconnect(false);
    assert.deepEqual(stub.packets.slice(-2), ['z0,3004,1', 'D']);
  } finally {
    await stub.stop();
  }
});
