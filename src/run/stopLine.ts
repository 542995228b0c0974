// QEMU's last words when this process stops it ("terminating on signal 15 from pid …") read like a
// crash in the guest console; the run's console shows the stop in its own words instead.

/** The console line to show for `line`: "uniwasm: stopped" for QEMU's note that process `stopper` (us) ended it. */
export function consoleLine(line: string, stopper = process.pid): string {
  const m = /^\S+: terminating on signal \d+ from pid (\d+)\b/.exec(line);
  return m && Number(m[1]) === stopper ? 'uniwasm: stopped' : line;
}
