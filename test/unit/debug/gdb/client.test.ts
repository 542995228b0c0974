// GdbClient (src/debug/gdb/client.ts) against a scripted fake gdbstub (test/fixtures/debug/fakeStub.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GdbClient } from '../../../../src/debug/gdb/client';
import { GdbClosedError, GdbStubError, GdbTimeoutError } from '../../../../src/debug/gdb/errors';
import { FakeStub, frame, G_REPLY, type Script } from '../../../fixtures/debug/fakeStub';

async function withStub(script: Script, body: (client: GdbClient, stub: FakeStub) => Promise<void>, packetSize?: string): Promise<void> {
  const stub = await FakeStub.start(script, packetSize);
  const client = await GdbClient.connect('127.0.0.1', stub.port, { timeoutMs: 1000 });
  try {
    await body(client, stub);
    assert.deepEqual(stub.badChecksums, [], 'every frame from the client had a good checksum');
  } finally {
    client.close();
    await stub.stop();
  }
}

test('handshake reads qSupported, vCont?, paged target.xml with its include, and ?', async () => {
  await withStub(
    () => undefined,
    async (client, stub) => {
      assert.equal(client.packetSize, 0x1000);
      assert.equal(client.features.get('qXfer:features:read'), true);
      assert.equal(client.state, 'stopped');
      assert.deepEqual(client.lastStop, { kind: 'signal', signal: 5, thread: 1, registers: new Map() });
      assert.deepEqual(client.target?.registers.map((r) => `${r.regnum}:${r.name}/${r.bitsize}`), ['0:rax/64', '1:rip/64', '2:eflags/32']);
      assert.ok(stub.packets.filter((p) => p.startsWith('qXfer:features:read:core.xml:')).length > 1, 'core.xml came in several pages');
      assert.deepEqual(
        [...(await client.readRegisters())],
        [['rax', 0x1122334455667788n], ['rip', 0xfff0n], ['eflags', 2n]],
      );
    },
  );
});

test('a reply with a corrupt checksum is NAKed and the retransmission accepted', async () => {
  await withStub(
    (packet, stub) => {
      if (packet !== 'm2000,4') return undefined;
      stub.replyCorrupted('cafef00d');
      return null;
    },
    async (client, stub) => {
      assert.equal((await client.readMemory(0x2000, 4)).toString('hex'), 'cafef00d');
      assert.equal(stub.naksReceived, 1);
    },
  );
});

test('a packet the stub NAKs is retransmitted', async () => {
  await withStub(
    (packet) => (packet === 'm3000,2' ? 'beef' : undefined),
    async (client, stub) => {
      stub.nakNext = 2;
      assert.equal((await client.readMemory(0x3000, 2)).toString('hex'), 'beef');
      assert.equal(stub.naksSent, 2);
      assert.equal(stub.packets.filter((p) => p === 'm3000,2').length, 1);
    },
  );
});

test('a reply dribbled one byte per TCP write is reassembled', async () => {
  await withStub(
    (packet, stub) => {
      if (packet !== 'g') return undefined;
      const bytes = frame(G_REPLY);
      void (async () => {
        for (const ch of bytes) {
          stub.write(ch);
          await new Promise((r) => setTimeout(r, 1));
        }
      })();
      return null;
    },
    async (client, stub) => {
      assert.equal((await client.readRegisters()).get('rip'), 0xfff0n);
      assert.equal(stub.naksReceived, 0, 'no frame was damaged, none needed resending');
    },
  );
});

test('several frames in one chunk: console output, the qRcmd result and its OK', async () => {
  await withStub(
    (packet, stub) => {
      if (!packet.startsWith('qRcmd,')) return undefined;
      assert.equal(Buffer.from(packet.slice(6), 'hex').toString(), 'info status');
      stub.write(frame(`O${Buffer.from('VM status: ').toString('hex')}`) + frame(`O${Buffer.from('paused\r\n').toString('hex')}`) + frame('OK'));
      return null;
    },
    async (client, stub) => {
      const consoleText: string[] = [];
      client.on('console', (text) => consoleText.push(text));
      assert.equal(await client.monitor('info status'), 'VM status: paused\r\n');
      assert.deepEqual(consoleText, [], 'qRcmd output is the command result, not console text');
      assert.equal(stub.naksReceived, 0);
    },
  );
});

test('escaped and run-length encoded replies, escaped requests', async () => {
  await withStub(
    (packet, stub) => {
      if (packet === 'm4000,8') {
        // '0*+' is '0' plus ('+' - 29 = 14) more, then one '0': 16 hex digits, 8 zero bytes.
        stub.write(frame('0*+0'));
        return null;
      }
      if (packet === 'qXfer:features:read:blob:0,ffb') {
        // Binary data: } escapes for # $ } * and a run of 'A'.
        stub.write(frame('l}\x03}\x04}]}\x0aA*"'));
        return null;
      }
      if (packet === 'qEcho:a#b$c}d*e') return 'OK';
      return undefined;
    },
    async (client, stub) => {
      assert.equal((await client.readMemory(0x4000, 8)).toString('hex'), '0000000000000000');
      assert.equal((await client.readXfer('features', 'blob')).toString('latin1'), '#$}*AAAAAA');
      assert.equal((await client.request('qEcho:a#b$c}d*e')).toString(), 'OK');
      assert.ok(stub.packets.includes('qEcho:a#b$c}d*e'));
    },
  );
});

test('memory reads and writes are chunked by PacketSize', async () => {
  const memory = Buffer.alloc(64, 0);
  await withStub(
    (packet) => {
      const read = /^m([0-9a-f]+),([0-9a-f]+)$/.exec(packet);
      if (read) {
        const at = parseInt(read[1], 16) - 0x1000;
        return memory.subarray(at, at + parseInt(read[2], 16)).toString('hex');
      }
      const write = /^M([0-9a-f]+),([0-9a-f]+):([0-9a-f]*)$/.exec(packet);
      if (write) {
        Buffer.from(write[3], 'hex').copy(memory, parseInt(write[1], 16) - 0x1000);
        return 'OK';
      }
      return undefined;
    },
    async (client, stub) => {
      // PacketSize 0x40 leaves (64 - 32) / 2 = 16 data bytes per packet.
      assert.equal(client.packetSize, 0x40);
      const data = Buffer.from(Array.from({ length: 40 }, (_, i) => i + 1));
      await client.writeMemory(0x1000, data);
      assert.deepEqual(await client.readMemory(0x1000, 40), data);
      assert.deepEqual(
        stub.packets.filter((p) => /^[mM]/.test(p)).map((p) => p.split(':')[0]),
        ['M1000,10', 'M1010,10', 'M1020,8', 'm1000,10', 'm1010,10', 'm1020,8'],
      );
    },
    '40',
  );
});

test('threads, registers by number, breakpoints, QEMU extras and stub errors', async () => {
  const answers: Record<string, string> = {
    qfThreadInfo: 'mp01.01,p01.02',
    qsThreadInfo: 'm03',
    Hg2: 'OK',
    p1: 'f0ff000000000000',
    'P1=0010000000000000': 'OK',
    'Z0,1004,1': 'OK',
    'z0,1004,1': 'OK',
    'Z1,ffffffff81000000,1': 'OK',
    'Qqemu.PhyMemMode:1': 'OK',
    'qqemu.sstepbits': 'ENABLE=1,NOIRQ=2,NOTIMER=4',
    'Qqemu.sstep=7': 'OK',
    'm0,1': 'E14',
    'z1,0,1': '',
    'Z2,3d2a10c,4': 'OK',
    'Z3,3d2a10c,1': 'OK',
    'Z4,3d2a10c,8': 'OK',
    'z2,3d2a10c,4': 'OK',
  };
  let listed = false;
  await withStub(
    (packet) => {
      if (packet === 'qsThreadInfo' && listed) return 'l';
      if (packet === 'qsThreadInfo') listed = true;
      return answers[packet];
    },
    async (client) => {
      assert.deepEqual(await client.threads(), [1, 2, 3]);
      await client.selectThread('g', 2);
      assert.equal(await client.readRegister('rip'), 0xfff0n);
      await client.writeRegister('rip', 0x1000n);
      await client.setBreakpoint(0x1004);
      await client.removeBreakpoint(0x1004n);
      await client.setBreakpoint(0xffffffff81000000n, 'hardware');
      await client.setWatchpoint(0x3d2a10cn, 4, 'write');
      await client.setWatchpoint(0x3d2a10cn, 1, 'read');
      await client.setWatchpoint(0x3d2a10cn, 8, 'access');
      await client.removeWatchpoint(0x3d2a10cn, 4, 'write');
      await client.setPhysicalMemoryMode(true);
      assert.deepEqual(await client.singleStepBits(), { ENABLE: 1, NOIRQ: 2, NOTIMER: 4 });
      await client.setSingleStepFlags(7);
      await assert.rejects(client.readMemory(0, 1), (err: unknown) => err instanceof GdbStubError && err.code === 0x14);
      await assert.rejects(client.removeBreakpoint(0, 'hardware'), /does not support "z1,0,1"/);
      await assert.rejects(client.readRegister('nope'), /unknown register "nope"/);
    },
  );
});

test('continue, console output while running, interrupt with 0x03, step', async () => {
  await withStub(
    (packet, stub) => {
      if (packet === 'vCont;c') {
        setTimeout(() => stub.reply(`O${Buffer.from('hello\n').toString('hex')}`), 5);
        return null;
      }
      if (packet === 'vCont;s:1') return 'T05thread:01;10:0010000000000000;';
      return undefined;
    },
    async (client, stub) => {
      stub.onInterrupt = (s) => s.reply('T02thread:01;');
      const stops: number[] = [];
      client.on('stop', (reply) => reply.kind === 'signal' && stops.push(reply.signal));
      const printed = new Promise<string>((resolve) => client.once('console', resolve));
      await client.continue();
      assert.equal(client.state, 'running');
      assert.equal(await printed, 'hello\n');
      await assert.rejects(client.readRegisters(), /target is running/);
      await assert.rejects(client.waitForStop(50), GdbTimeoutError);
      const stop = await client.interrupt();
      assert.equal(stub.interrupts, 1);
      assert.deepEqual(stop, { kind: 'signal', signal: 2, thread: 1, registers: new Map() });
      assert.equal(client.state, 'stopped');
      // Interrupting a stopped target sends nothing and returns the last stop.
      assert.equal(await client.interrupt(), stop);
      assert.equal(stub.interrupts, 1);
      const stepped = await client.step(1);
      assert.ok(stepped.kind === 'signal' && stepped.registers.get(0x10)?.readBigUInt64LE() === 0x1000n);
      assert.deepEqual(stops, [2, 5]);
    },
  );
});

test('a step whose stop never comes times out, leaves the target running, and interrupt recovers', async () => {
  await withStub(
    (packet) => (packet === 'vCont;s' ? '' : undefined),
    async (client, stub) => {
      stub.onInterrupt = (s) => s.reply('T02thread:01;');
      // The empty frame is not a stop reply: the client ignores it and keeps waiting.
      await assert.rejects(client.step(undefined, 100), (err: unknown) => err instanceof GdbTimeoutError && /still running/.test(err.message));
      assert.equal(client.state, 'running');
      assert.equal((await client.interrupt()).kind, 'signal');
    },
  );
});

test('a request without a reply times out with a clear error and ends the session', async () => {
  // The default script has no answer for m5000,1: the stub acks it and stays silent.
  await withStub(
    () => undefined,
    async (client) => {
      const closed = new Promise<Error | undefined>((resolve) => client.once('close', resolve));
      const started = Date.now();
      const timedOut = client.request('m5000,1', { timeoutMs: 150 });
      const queued = client.readRegisters();
      await assert.rejects(timedOut, (err: unknown) => err instanceof GdbTimeoutError && /did not answer "m5000,1" within 150 ms/.test(err.message));
      assert.ok(Date.now() - started >= 140);
      await assert.rejects(queued, GdbClosedError);
      assert.ok((await closed) instanceof GdbTimeoutError);
      assert.equal(client.state, 'closed');
    },
  );
});

test('a dropped socket rejects the request in flight, the queued ones and the stop waiters', async () => {
  await withStub(
    (packet, stub) => {
      if (packet !== 'm6000,1') return undefined;
      stub.socket?.destroy();
      return null;
    },
    async (client) => {
      const events: string[] = [];
      client.on('close', () => events.push('close'));
      const inFlight = client.readMemory(0x6000, 1);
      const queued = client.readRegisters();
      await assert.rejects(inFlight, GdbClosedError);
      await assert.rejects(queued, GdbClosedError);
      await assert.rejects(client.waitForStop(), GdbClosedError);
      await assert.rejects(client.readRegisters(), /GDB connection closed/);
      assert.deepEqual(events, ['close']);
      assert.equal(client.state, 'closed');
    },
  );
});

test('a stub that dies while the target runs ends waitForStop; W reports an exit', async () => {
  await withStub(
    (packet, stub) => {
      if (packet !== 'vCont;c') return undefined;
      setTimeout(() => stub.reply('W00'), 5);
      return null;
    },
    async (client) => {
      const exited = new Promise((resolve) => client.once('exit', resolve));
      await client.continue();
      assert.deepEqual(await client.waitForStop(1000), { kind: 'exited', code: 0 });
      assert.deepEqual(await exited, { kind: 'exited', code: 0 });
      assert.equal(client.state, 'exited');
      await assert.rejects(client.readRegisters(), /target has exited/);
    },
  );
  const stub = await FakeStub.start();
  const client = await GdbClient.connect('127.0.0.1', stub.port, { timeoutMs: 1000 });
  await client.continue();
  const waiting = client.waitForStop();
  await stub.stop();
  await assert.rejects(waiting, GdbClosedError);
});

test('detach sends D and closes cleanly; connect reports a refused port clearly', async () => {
  await withStub(
    (packet) => (packet === 'D' ? 'OK' : undefined),
    async (client, stub) => {
      const closed = new Promise<Error | undefined>((resolve) => client.once('close', resolve));
      await client.detach();
      assert.equal(await closed, undefined);
      assert.equal(stub.packets.at(-1), 'D');
      await assert.rejects(client.readRegisters(), /after detach/);
    },
  );
  const stub = await FakeStub.start();
  const port = stub.port;
  await stub.stop();
  await assert.rejects(GdbClient.connect('127.0.0.1', port, { timeoutMs: 500 }), /no GDB stub listens on 127.0.0.1:\d+/);
});
