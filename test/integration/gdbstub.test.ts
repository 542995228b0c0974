// GdbClient against a real QEMU 7.2 gdbstub (microvm, TCG, halted at reset with -S), cross-checked with GNU gdb.
// No guest image is needed: the test writes a tiny real-mode program into guest RAM through the stub.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { GdbClient } from '../../src/debug/gdb/client';
import { GdbClosedError } from '../../src/debug/gdb/errors';
import { freePort } from '../../src/util/ports';
import { pidsMatching } from '../support/processes';

interface Qemu {
  child: ChildProcess;
  port: number;
  exited: Promise<unknown>;
  stderr(): string;
}

const started: Qemu[] = [];

async function startQemu(): Promise<Qemu> {
  const port = await freePort();
  const child = spawn(
    'qemu-system-x86_64',
    ['-M', 'microvm', '-accel', 'tcg', '-nodefaults', '-no-user-config', '-display', 'none', '-S', '-gdb', `tcp:127.0.0.1:${port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const qemu = { child, port, exited: once(child, 'exit'), stderr: () => stderr };
  started.push(qemu);
  return qemu;
}

async function stopQemu(qemu: Qemu): Promise<void> {
  if (qemu.child.exitCode === null && qemu.child.signalCode === null) qemu.child.kill('SIGKILL');
  await qemu.exited;
}

function connect(qemu: Qemu): Promise<GdbClient> {
  return GdbClient.connect('127.0.0.1', qemu.port, { timeoutMs: 5000, waitForListenerMs: 10_000 });
}

after(async () => {
  for (const qemu of started) await stopQemu(qemu);
  for (const qemu of started) {
    assert.deepEqual(pidsMatching('qemu-system-x86_64', `tcp:127.0.0.1:${qemu.port}`), [], 'no QEMU left behind');
  }
});

// Real mode at 0x1000: inc ax; inc ax; nop; inc bx; loop: inc cx; jmp loop
const PROGRAM = Buffer.from([0x40, 0x40, 0x90, 0x43, 0x41, 0xeb, 0xfd]);
const BASE = 0x1000;

test('target.xml, registers, steps, breakpoints, interrupt, memory, monitor and detach on a real QEMU', async () => {
  const qemu = await startQemu();
  const client = await connect(qemu);

  // Target description: QEMU serves target.xml which includes i386-64bit.xml; cs_base etc. sit in comments.
  const target = client.target!;
  assert.equal(target.architecture, 'i386:x86-64');
  assert.ok(target.documents.has('i386-64bit.xml'));
  const names = target.registers.map((r) => r.name);
  assert.equal(target.registers.find((r) => r.name === 'rip')?.regnum, 0x10);
  for (const name of ['rax', 'rsp', 'r15', 'eflags', 'cs', 'fs_base', 'cr0', 'cr3', 'efer', 'st7', 'fop', 'xmm15', 'mxcsr']) {
    assert.ok(names.includes(name), `target.xml declares ${name}`);
  }
  assert.ok(!names.includes('cs_base'), 'registers inside XML comments are not registers');
  assert.equal(target.registers.reduce((bytes, r) => bytes + r.bitsize / 8, 0), 608, 'the g packet is 608 bytes');

  assert.deepEqual(await client.threads(), [1]);
  await client.selectThread('g', 1);
  const regs = await client.readRegisters();
  assert.equal(regs.size, target.registers.length, 'g carries every register');
  assert.equal(regs.get('rip'), 0xfff0n, 'reset vector');
  assert.equal(regs.get('rsp'), 0n);
  assert.equal(regs.get('cs'), 0xf000n);
  assert.equal(regs.get('cr0'), 0x60000010n);
  assert.equal(await client.readRegister('rip'), 0xfff0n, 'p agrees with g');

  // A few single steps through the firmware's reset code move rip.
  let rip = 0xfff0n;
  for (let i = 0; i < 3; i++) {
    const stop = await client.step(1);
    assert.ok(stop.kind === 'signal' && stop.signal === 5, 'a step stops with SIGTRAP');
    const next = await client.readRegister('rip');
    assert.notEqual(next, rip, `step ${i + 1} moved rip`);
    rip = next;
  }

  // Load our program into RAM and point cs:ip at it (real mode: base = cs << 4).
  await client.writeMemory(BASE, PROGRAM);
  assert.deepEqual(await client.readMemory(BASE, PROGRAM.length), PROGRAM);
  await client.setPhysicalMemoryMode(true);
  assert.deepEqual(await client.readMemory(BASE, PROGRAM.length), PROGRAM, 'physical and virtual agree without paging');
  await client.setPhysicalMemoryMode(false);
  assert.equal((await client.readMemory(0, 5000)).length, 5000, 'reads larger than one packet are chunked');
  await client.writeRegister('cs', 0n);
  await client.writeRegister('rip', BigInt(BASE));
  await client.writeRegister('rcx', 0n);
  assert.equal(await client.readRegister('rip'), BigInt(BASE));

  // Software breakpoint (Z0) on `inc bx`.
  await client.setBreakpoint(BASE + 3, 'software');
  await client.continue();
  const atBreak = await client.waitForStop(5000);
  assert.ok(atBreak.kind === 'signal' && atBreak.signal === 5);
  assert.equal(await client.readRegister('rip'), BigInt(BASE + 3));
  assert.equal((await client.readRegisters()).get('rax'), 2n, 'both inc ax ran before the breakpoint');
  await client.removeBreakpoint(BASE + 3, 'software');

  // Hardware breakpoint (Z1) on `inc cx`.
  await client.setBreakpoint(BASE + 4, 'hardware');
  await client.continue();
  await client.waitForStop(5000);
  assert.equal(await client.readRegister('rip'), BigInt(BASE + 4));
  await client.removeBreakpoint(BASE + 4, 'hardware');

  // Free-running loop, then the 0x03 interrupt; again until the loop has visibly run (a loaded
  // machine may give QEMU little time between continue and interrupt).
  const stops: number[] = [];
  client.on('stop', (s) => s.kind === 'signal' && stops.push(s.signal));
  let loops = 0n;
  for (let round = 1; loops <= 1000n; round++) {
    assert.ok(round <= 200, `the loop ran only ${loops} times in 200 rounds`);
    await client.continue();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(client.state, 'running');
    const interrupted = await client.interrupt();
    assert.ok(interrupted.kind === 'signal' && interrupted.signal === 2, 'QEMU reports SIGINT after 0x03');
    assert.equal(interrupted.thread, 1);
    assert.deepEqual(stops, new Array(round).fill(2));
    const loopRip = await client.readRegister('rip');
    assert.ok(loopRip === BigInt(BASE + 4) || loopRip === BigInt(BASE + 5), `rip ${loopRip.toString(16)} is inside the loop`);
    loops = await client.readRegister('rcx');
  }

  assert.match(await client.monitor('info status'), /VM status: paused/);
  assert.deepEqual(await client.singleStepBits(), { ENABLE: 1, NOIRQ: 2, NOTIMER: 4 });

  const closed = new Promise<Error | undefined>((resolve) => client.once('close', resolve));
  await client.detach();
  assert.equal(await closed, undefined);
  assert.equal(client.state, 'closed');
  // Detached, the guest runs on and QEMU takes a new debugger.
  const again = await connect(qemu);
  assert.equal(again.state, 'stopped');
  again.close();
  await stopQemu(qemu);
});

/** A connected client whose guest is running our loop, so a stop can only come from QEMU ending. */
async function runningClient(qemu: Qemu): Promise<GdbClient> {
  const client = await connect(qemu);
  await client.writeMemory(BASE, PROGRAM);
  await client.writeRegister('cs', 0n);
  await client.writeRegister('rip', BigInt(BASE));
  await client.continue();
  return client;
}

test('when QEMU shuts down (SIGTERM) the client reports the exit (W00), then closes', async () => {
  const qemu = await startQemu();
  const client = await runningClient(qemu);
  const exited = new Promise((resolve) => client.once('exit', resolve));
  const closed = new Promise<Error | undefined>((resolve) => client.once('close', resolve));
  const waiting = client.waitForStop();
  qemu.child.kill('SIGTERM');
  assert.deepEqual(await waiting, { kind: 'exited', code: 0 });
  assert.deepEqual(await exited, { kind: 'exited', code: 0 });
  await closed;
  assert.equal(client.state, 'closed');
  await assert.rejects(client.readRegisters(), GdbClosedError);
  await qemu.exited;
});

test('when QEMU dies (SIGKILL) the client ends cleanly and rejects what was pending', async () => {
  const qemu = await startQemu();
  const client = await runningClient(qemu);
  const closed = new Promise<Error | undefined>((resolve) => client.once('close', resolve));
  const waiting = client.waitForStop();
  qemu.child.kill('SIGKILL');
  await assert.rejects(waiting, GdbClosedError);
  await closed;
  assert.equal(client.state, 'closed');
  await assert.rejects(client.readRegisters(), GdbClosedError);
  await qemu.exited;
});

/** `info registers` lines → name → value, e.g. "rip  0xfff0  0xfff0". */
function parseInfoRegisters(output: string): Map<string, bigint> {
  const values = new Map<string, bigint>();
  for (const match of output.matchAll(/^(\w+)\s+(0x[0-9a-f]+)\s/gm)) values.set(match[1], BigInt(match[2]));
  return values;
}

test('GNU gdb reads the same rip/rsp/eflags/cr0 from an identical QEMU, before and after a step', async () => {
  const ours = await startQemu();
  const theirs = await startQemu();
  const client = await connect(ours);
  const names = ['rip', 'rsp', 'eflags', 'cr0'];
  const pick = (values: Map<string, bigint>): bigint[] => names.map((n) => values.get(n)!);
  const before = pick(await client.readRegisters());
  await client.step();
  const afterStep = pick(await client.readRegisters());
  client.close();

  // Wait until the second QEMU listens, then let gdb drive it.
  (await connect(theirs)).close();
  const { stdout } = await promisify(execFile)(
    'gdb',
    [
      '-batch', '-nx',
      '-ex', `target remote 127.0.0.1:${theirs.port}`,
      '-ex', 'echo BEFORE\\n', '-ex', `info registers ${names.join(' ')}`,
      '-ex', 'stepi',
      '-ex', 'echo AFTER\\n', '-ex', `info registers ${names.join(' ')}`,
    ],
    { timeout: 30_000 },
  );
  const [, beforeText, afterText] = stdout.split(/^(?:BEFORE|AFTER)$/m);
  assert.deepEqual(pick(parseInfoRegisters(beforeText)), before, `gdb output:\n${stdout}`);
  assert.deepEqual(pick(parseInfoRegisters(afterText)), afterStep, `gdb output:\n${stdout}`);
  assert.notDeepEqual(before, afterStep);
  await stopQemu(ours);
  await stopQemu(theirs);
});
