// Makes processes die with the one that started them: children (QEMU, Redis) through setpriv's
// parent-death signal, and the CLI itself by watching its parent.
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

/**
 * Calls `onDeath` once the process that started this one has ended, however it ended: its parent
 * id changes when the orphan is adopted (by init or a subreaper). Polled, because Linux only sends a
 * parent-death signal to a process that asked for it itself, which Node cannot do (no prctl). A
 * SIGTERM to `npx uniwasm run` ends npx and its `sh -c`, not the CLI they started.
 */
export function whenParentDies(onDeath: () => void, everyMs = 250): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onDeath();
  }, everyMs);
  timer.unref(); // the watch alone keeps no process alive
}
