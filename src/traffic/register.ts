// Puts the traffic views into VS Code; they follow each run as one of its observers (run/observer.ts):
// trace lines in, MONITOR on the run's Redis while it lives.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { RunObserver } from '../run/observer';
import { TrafficCore } from './core';
import { KvPanel } from './kvPanel';
import { RedisMonitor } from './monitor';
import { ReplayEditor } from './replayEditor';
import { RequestsView } from './requestsView';
import { witSignaturesFromDir } from './signature';

export interface TrafficOptions {
  /** The URL the guest serves now (where replays go); undefined when nothing runs. */
  currentUrl: () => string | undefined;
  /** HTTP requests kept (default 5,000). */
  httpCap?: number;
  /** KeyValue rows kept (default 20,000). */
  kvCap?: number;
  /** Rows the KeyValue view shows at most (default 2,000). */
  viewRows?: number;
}

/**
 * The views as a run observer: `traceLine` never throws; `runStarted` starts MONITOR capture on the
 * run's Redis (replacing an earlier one); `runEnded` stops capture, the rows stay for inspection.
 */
export type Traffic = Required<RunObserver>;

/** Context key true while a run feeds the views (viewsWelcome says so when false). */
const RUNNING = 'uniwasm.traffic.running';

export function registerTraffic(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, options: TrafficOptions): Traffic {
  const core = new TrafficCore({
    signatures: witSignaturesFromDir(join(context.extensionPath, 'wit'), (m) => log.warn(m)),
    report: (m) => log.warn(m),
    httpCap: options.httpCap,
    kvCap: options.kvCap,
    viewRows: options.viewRows,
  });
  const replays = new ReplayEditor(options.currentUrl, log);
  const requests = new RequestsView(core, replays);
  const kv = new KvPanel(context.extensionUri, core);
  let monitor: RedisMonitor | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let running = false;
  const setRunning = (r: boolean) => {
    running = r;
    void vscode.commands.executeCommand('setContext', RUNNING, r);
  };
  setRunning(false);

  /** Forgets the current monitor at once (a new one may start right away); resolves when it is closed. */
  const stopMonitor = (): Promise<void> => {
    clearInterval(ticker);
    ticker = undefined;
    const m = monitor;
    monitor = undefined;
    core.correlator.flush();
    core.monitorState = 'off';
    return m?.stop() ?? Promise.resolve();
  };

  context.subscriptions.push(
    replays,
    requests,
    kv,
    { dispose: () => void stopMonitor() },
  );

  return {
    traceLine(line) {
      try {
        core.onTrace(line, performance.now());
        if (!running) setRunning(true);
      } catch (err) {
        log.error(`traffic: trace line dropped: ${(err as Error).message}`);
      }
    },
    runStarted({ redis: target }) {
      void stopMonitor();
      const where = `${target.host}:${target.port}`;
      const m = new RedisMonitor(target, {
        onCommand: (cmd) => core.addCommand(cmd),
        onState: (state, detail) => {
          if (monitor !== m) return; // a replaced monitor reporting its stop
          core.monitorState = state;
          if (state === 'reconnecting') log.warn(`traffic: Redis ${where} went away${detail ? ` (${detail})` : ''}; reconnecting`);
          else log.info(`traffic: MONITOR ${where}: ${state}`);
        },
      });
      monitor = m;
      m.start();
      ticker = setInterval(() => core.tick(), 100);
      setRunning(true);
    },
    runEnded() {
      setRunning(false);
      core.endRun();
      void stopMonitor();
    },
  };
}
