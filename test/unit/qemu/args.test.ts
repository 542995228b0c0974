// Tests qemu/args.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guestExitValue, qemuArgs } from '../../../src/qemu/args';

const base = {
  qemuBinary: 'qemu-system-x86_64', kernel: '/k', app: '/a.wasm', machine: 'microvm' as const, accel: 'tcg' as const,
  memoryMiB: 64, hostPorts: [8080], guestPort: 3000, cmdline: 'ip=dhcp',
};

test('forwards only the loopback port and passes the app as the boot module', () => {
  const args = qemuArgs(base);
  assert.ok(args.includes('user,id=n0,hostfwd=tcp:127.0.0.1:8080-:3000'));
  assert.deepEqual(args.slice(args.indexOf('-initrd'), args.indexOf('-initrd') + 2), ['-initrd', '/a.wasm']);
  assert.ok(args.includes('virtio-net-device,netdev=n0'));
  assert.ok(!args.includes('-gdb'));
  assert.ok(!args.includes('-name'));
});

test('one hostfwd rule per host port, each to the guest port', () => {
  const args = qemuArgs({ ...base, hostPorts: [8080, 8081] });
  assert.ok(args.includes('user,id=n0,hostfwd=tcp:127.0.0.1:8080-:3000,hostfwd=tcp:127.0.0.1:8081-:3000'));
});

test('names the guest when asked (tests find a run\'s QEMU by it)', () => {
  const args = qemuArgs({ ...base, name: 'uniwasm:3000' });
  assert.deepEqual(args.slice(args.indexOf('-name'), args.indexOf('-name') + 2), ['-name', 'uniwasm:3000']);
});

test('q35 uses virtio-net over PCI; the gdbstub binds to loopback', () => {
  const args = qemuArgs({ ...base, machine: 'q35', gdbPort: 1234 });
  assert.ok(args.includes('virtio-net-pci,netdev=n0'));
  assert.deepEqual(args.slice(args.indexOf('-gdb'), args.indexOf('-gdb') + 2), ['-gdb', 'tcp:127.0.0.1:1234']);
});

test('isa-debug-exit statuses decode to the guest’s value', () => {
  assert.equal(guestExitValue(1), 0);
  assert.equal(guestExitValue(7), 3);
  assert.equal(guestExitValue(0), undefined);
  assert.equal(guestExitValue(undefined), undefined);
});

test('a trace socket becomes COM2 on a socket chardev QEMU connects to as a client', () => {
  assert.ok(!qemuArgs(base).includes('-chardev'), 'no trace port unless asked');
  for (const machine of ['microvm', 'q35'] as const) {
    const args = qemuArgs({ ...base, machine, traceSocket: '/tmp/uniwasm-trace-x/trace.sock' });
    // COM1 stays the console, first; COM2 is an explicit device (microvm ignores a second -serial).
    assert.deepEqual(args.slice(args.indexOf('-serial'), args.indexOf('-serial') + 6), [
      '-serial', 'stdio',
      '-chardev', 'socket,id=trace,path=/tmp/uniwasm-trace-x/trace.sock,server=off',
      '-device', 'isa-serial,chardev=trace,iobase=0x2f8,irq=3',
    ]);
    assert.equal(args.filter((a) => a === '-serial').length, 1);
  }
});

test('a comma in the trace socket path is escaped the QEMU way', () => {
  const args = qemuArgs({ ...base, traceSocket: '/tmp/a,b/trace.sock' });
  assert.ok(args.includes('socket,id=trace,path=/tmp/a,,b/trace.sock,server=off'));
});
