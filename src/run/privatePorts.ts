// Which loopback ports a run opens for itself (its Redis, QEMU's gdbstub), as opposed to the app's
// port: VS Code's Ports view should not offer them (run/portAttributes.ts asks it not to).

/** True for `port` when it is one of a run's own: a Redis a run uses on loopback, or the gdbstub on QEMU's command line. */
export function isPrivatePort(port: number, commandLine: string | undefined, redisPorts: ReadonlySet<number>): boolean {
  if (redisPorts.has(port)) return true;
  const gdb = /(?:^|\s)-gdb tcp:127\.0\.0\.1:(\d+)(?:\s|$)/.exec(commandLine ?? '');
  return gdb !== null && Number(gdb[1]) === port;
}
