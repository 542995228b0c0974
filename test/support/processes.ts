// Finds live processes by command line, to prove a run left nothing behind.
import { readdirSync, readFileSync } from 'node:fs';

/** PIDs of live processes whose command line contains every one of `needles`. */
export function pidsMatching(...needles: string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) continue;
    } catch {
      continue; // the process ended while we looked
    }
    if (needles.every((n) => cmdline.includes(n))) pids.push(Number(entry));
  }
  return pids;
}

/** The needle that finds the QEMU of the run serving 127.0.0.1:`port` (RunSession names it so). */
export function qemuOfRun(port: number): string {
  return `-name uniwasm:${port} `;
}
