import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guestExitValue, qemuArgs } from '../../src/qemu/args';

const base = {
  qemuBinary: 'qemu-system-x86_64', kernel: '/k', app: '/a.wasm', machine: 'microvm' as const, accel: 'tcg' as const,
  memoryMiB: 64, hostPort: 8080, guestPort: 3000, cmdline: 'ip=dhcp',
};

test('forwards only the loopback port and passes the app as the boot module', () => {
  const args = qemuArgs(base);
  assert.ok(args.includes('user,id=n0,hostfwd=tcp:127.0.0.1:8080-:3000'));
  assert.deepEqual(args.slice(args.indexOf('-initrd'), args.indexOf('-initrd') + 2), ['-initrd', '/a.wasm']);
  assert.ok(args.includes('virtio-net-device,netdev=n0'));
  assert.ok(!args.includes('-gdb'));
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
