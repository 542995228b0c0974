// QEMU's command line for a run: machine, kernel, app, networking, gdbstub and the trace port.
import type { Machine } from '../run/options';

/** Everything that decides how QEMU boots the unikernel. */
export interface QemuConfig {
  qemuBinary: string;
  kernel: string;
  app: string;
  machine: Machine;
  accel: 'tcg' | 'kvm';
  memoryMiB: number;
  /** Loopback ports QEMU's hostfwd rules listen on, each forwarded to the guest's HTTP port. */
  hostPorts: readonly number[];
  /** QEMU's name for the guest (`-name`): tells one run's QEMU from another's. */
  name?: string;
  guestPort: number;
  /** Kernel command line (see kernel/README.md). */
  cmdline: string;
  /** QEMU's gdbstub on 127.0.0.1:gdbPort. */
  gdbPort?: number;
  /** Wait for a debugger before the first instruction. */
  halted?: boolean;
  /**
   * A Unix socket the host listens on: the guest's second serial port (COM2, the trace port of
   * docs/TRACE.md) is connected to it, QEMU being the client.
   */
  traceSocket?: string;
}

/** The guest's address under QEMU user networking, and the host's loopback as the guest sees it. */
export const GUEST_IP = '10.0.2.15';
export const HOST_FROM_GUEST = '10.0.2.2';

/** QEMU's argument array (never a shell string). */
export function qemuArgs(c: QemuConfig): string[] {
  const netDevice = c.machine === 'microvm' ? 'virtio-net-device' : 'virtio-net-pci';
  const args = [
    ...(c.name === undefined ? [] : ['-name', c.name]),
    '-M', c.machine,
    '-accel', c.accel,
    '-m', String(c.memoryMiB),
    '-nodefaults', '-no-user-config', '-nographic', '-no-reboot',
    '-serial', 'stdio',
    ...(c.traceSocket === undefined ? [] : traceSerial(c.traceSocket)),
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-netdev', ['user,id=n0', ...c.hostPorts.map((port) => `hostfwd=tcp:127.0.0.1:${port}-:${c.guestPort}`)].join(','),
    '-device', `${netDevice},netdev=n0`,
    '-kernel', c.kernel,
    '-initrd', c.app,
    '-append', c.cmdline,
  ];
  if (c.gdbPort !== undefined) args.push('-gdb', `tcp:127.0.0.1:${c.gdbPort}`);
  if (c.halted) args.push('-S');
  return args;
}

/**
 * COM2 (0x2f8, IRQ 3) on a socket chardev. An explicit isa-serial device, because a second `-serial`
 * is ignored by microvm (it creates COM1 only); q35 takes the device the same way. `server=off`: QEMU
 * connects to the host's listener at startup, before the guest runs, so no line is lost.
 */
function traceSerial(socket: string): string[] {
  // In QEMU's option syntax a comma inside a value is written twice.
  const path = socket.replaceAll(',', ',,');
  return ['-chardev', `socket,id=trace,path=${path},server=off`, '-device', 'isa-serial,chardev=trace,iobase=0x2f8,irq=3'];
}

/**
 * QEMU's exit status when the guest wrote `value` to isa-debug-exit is (value << 1) | 1.
 * Returns the guest's value, or undefined when QEMU ended for another reason.
 */
export function guestExitValue(qemuExitCode: number | undefined): number | undefined {
  if (qemuExitCode === undefined || (qemuExitCode & 1) === 0) return undefined;
  return qemuExitCode >> 1;
}
