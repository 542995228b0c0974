// The rows of the HTTP Requests view: the requests newest first, in one group per boot of the guest,
// each group under a separator row that says when that boot began. No `vscode` here.
import type { HttpEvent, HttpStartEvent } from '../trace/format';

/** A boot of the guest, as its `hello` event told it. */
export interface Boot {
  /** The decoder's boot number (request ids restart with each). */
  boot: number;
  /** Host time of the `hello` (`performance.now()` clock). */
  recvMs: number;
  app?: string;
}

export interface BootRow {
  type: 'boot';
  boot: Boot;
  /** The boot that serves now. */
  current: boolean;
}

export type HistoryRow = BootRow | HttpEvent | HttpStartEvent;

/**
 * The view's rows: `inFlight` (of the current boot) then `requests`, both newest first, with a
 * separator above each boot's rows. The boot that serves now gets its separator even before its first
 * request, so a restart shows at once; rows of a boot never announced (the trace began mid-boot) have none.
 */
export function historyRows(inFlight: HttpStartEvent[], requests: HttpEvent[], boots: ReadonlyMap<number, Boot>, current: number | undefined): HistoryRow[] {
  const rows: HistoryRow[] = [];
  let group: number | undefined;
  const enter = (boot: number) => {
    if (boot === group) return;
    group = boot;
    const b = boots.get(boot);
    if (b) rows.push({ type: 'boot', boot: b, current: boot === current });
  };
  if (current !== undefined) enter(current);
  for (const e of [...inFlight, ...requests]) {
    enter(e.boot);
    rows.push(e);
  }
  return rows;
}
