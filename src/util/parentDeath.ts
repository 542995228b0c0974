// Makes child processes (QEMU, Redis) die with the process that started them, even on SIGKILL.
import { existsSync } from 'node:fs';

const SETPRIV = '/usr/bin/setpriv';

/**
 * The command line that runs `command` so that it is killed when this process dies, even by
 * SIGKILL, which leaves no chance to clean up (a crashed extension host, a killed adapter):
 * util-linux's setpriv sets the child's parent-death signal, then executes the command in place.
 * Unchanged where setpriv is missing.
 */
export function diesWithUs(command: string, args: string[]): [string, string[]] {
  return existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', command, ...args]] : [command, args];
}

/** Whether a child started through `diesWithUs` ended because `command` does not exist. */
export function commandNotFound(result: { code?: string; exitCode?: number }, output: string): boolean {
  return result.code === 'ENOENT' || (result.exitCode === 127 && /failed to execute .*No such file/.test(output));
}
