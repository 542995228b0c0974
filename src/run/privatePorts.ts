// Which loopback ports a run opens for itself (its Redis, QEMU's gdbstub and hostfwd listeners), as
// opposed to the app's port: VS Code's Ports view should not offer them (run/portAttributes.ts asks it not to).

/**
 * True for `port` when it is one of a run's own: a Redis a run uses on loopback, or the gdbstub or
 * a hostfwd listener on QEMU's command line (the app's port is the run's forward in front of those:
 * run/forward.ts).
 */
export function isPrivatePort(port: number, commandLine: string | undefined, redisPorts: ReadonlySet<number>): boolean {
  if (redisPorts.has(port)) return true;
  const line = commandLine ?? '';
  const gdb = /(?:^|\s)-gdb tcp:127\.0\.0\.1:(\d+)(?:\s|$)/.exec(line);
  if (gdb !== null && Number(gdb[1]) === port) return true;
  return [...line.matchAll(/hostfwd=tcp:127\.0\.0\.1:(\d+)-/g)].some((m) => Number(m[1]) === port);
}
