// The Run, Stop, Restart and Open App commands of VS Code over the run core, with the guest console in a terminal.
import * as vscode from 'vscode';
import { closeBuildFailure } from '../builder/command';
import type { Problems } from '../builder/problems';
import { readSettings } from '../config/read';
import { runOptionsFromSettings } from '../config/runOptions';
import type { RunObserver } from './observer';
import { pathToOpen, type AppRoute } from './routes';
import { RunSession, runUrl } from './session';
import type { RunStatusBar } from './statusBar';
import { LineTerminal } from './terminal';
import { markStepDone } from '../tools/walkthrough';

/** Run, Stop and Restart of the unikernel from VS Code: one session at a time, console in a terminal. */
export class RunController implements vscode.Disposable {
  private session: RunSession | undefined;
  private starting: AbortController | undefined;
  private terminal: vscode.Terminal | undefined;
  /** The URL an F5 session's run serves, while it lives, and its app's routes. */
  private debugUrl: string | undefined;
  private debugRoutes: readonly AppRoute[] = [];

  /** Follows F5 sessions' runs: the status bar says "debugging", Open App and replays reach the debugged guest. */
  readonly debugObserver: RunObserver = {
    runStarted: ({ url, routes }) => {
      this.debugUrl = url;
      this.debugRoutes = routes;
      this.status.show({ kind: 'debugging', url });
    },
    runEnded: () => {
      this.debugUrl = undefined;
      if (!this.session && !this.starting) this.status.show({ kind: 'stopped' });
    },
  };

  private readonly debugSessions: vscode.Disposable[];

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly status: RunStatusBar,
    private readonly problems: Problems,
    /** Who follows each run (the traffic views). */
    private readonly observers: readonly RunObserver[],
  ) {
    // An F5 launch builds before its run starts (debugObserver), and may fail before: the status bar follows the session too.
    const launch = (s: vscode.DebugSession) => s.type === 'uniwasm' && s.configuration.request === 'launch';
    const idle = () => !this.session && !this.starting && !this.debugUrl;
    this.debugSessions = [
      vscode.debug.onDidStartDebugSession((s) => launch(s) && idle() && this.status.show({ kind: 'building' })),
      vscode.debug.onDidTerminateDebugSession((s) => launch(s) && idle() && this.status.show({ kind: 'stopped' })),
    ];
  }

  /** Where the guest serves now: Run's, else an F5 session's. */
  get url(): string | undefined {
    return this.session?.url ?? this.debugUrl;
  }

  /**
   * Before F5 boots on `port`: a Run serving there must end first (one port, one guest), so this asks
   * the user to stop it. False: the user keeps the run, do not debug.
   */
  async makeWayForDebugging(port: number): Promise<boolean> {
    const url = this.session?.url;
    if (!url || url !== runUrl(port)) return true;
    const stopAndDebug = 'Stop Run and Debug';
    const pick = await vscode.window.showWarningMessage(
      `Uniwasm: the app is running on ${url}, the port the debugger needs.`,
      { modal: true, detail: 'Stop the run and start debugging? The debugger boots its own copy of the app on that port.' },
      stopAndDebug,
    );
    if (pick !== stopAndDebug) return false;
    await this.stop();
    return true;
  }

  async run(): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Uniwasm: running is disabled in an untrusted workspace.');
      return;
    }
    if (this.session || this.starting) {
      void vscode.window.showInformationMessage(`Uniwasm: already ${this.session ? `serving ${this.session.url}` : 'starting'}`);
      return;
    }
    if (this.debugUrl === runUrl(readSettings(this.log).hostPort)) {
      void vscode.window.showInformationMessage(`Uniwasm: the debugger's guest serves ${this.debugUrl}; stop debugging to run the app.`);
      return;
    }
    const controller = new AbortController();
    this.starting = controller;
    // Closing this run's terminal stops the run; the old terminal, disposed here, must not stop this one.
    const console = new LineTerminal(() => {
      if (this.terminal === terminal) void this.stop();
    });
    const terminal = vscode.window.createTerminal({ name: 'Uniwasm guest', pty: console });
    this.terminal?.dispose();
    this.terminal = terminal;
    terminal.show(true);
    this.problems.begin();
    try {
      const session = await RunSession.start({
        ...(await runOptionsFromSettings(this.log)),
        signal: controller.signal,
        onPhase: (phase) => this.status.show({ kind: phase }),
        onBuildOutput: (text) => this.log.info(text.trimEnd()),
        onDiagnostic: (d) => this.problems.add(d),
        onLog: (message) => {
          this.log.info(message);
          console.writeLine(`\x1b[2muniwasm: ${message}\x1b[0m`);
        },
        onConsole: (line) => console.writeLine(line),
        observers: this.observers,
      });
      this.session = session;
      closeBuildFailure(); // its build succeeded
      this.status.show({ kind: 'serving', url: session.url });
      this.log.info(`serving ${session.url}`);
      console.writeLine(`ready ${session.url}`);
      void session.ended.then((why) => {
        const requested = session.stopRequested;
        if (this.session !== session) return;
        this.session = undefined;
        if (requested) {
          this.status.show({ kind: 'stopped' });
        } else {
          console.writeLine(`uniwasm: the guest stopped: ${why}`);
          this.status.show({ kind: 'failed', reason: why });
          this.log.error(`the guest stopped: ${why}`);
          void vscode.window.showErrorMessage(`Uniwasm: the guest stopped: ${why.split('\n').slice(0, 2).join(' — ')}`);
        }
      });
    } catch (err) {
      const reason = (err as Error).message;
      this.log.error(`run: ${reason}`);
      if (controller.signal.aborted) {
        this.status.show({ kind: 'stopped' });
      } else {
        console.writeLine(`uniwasm: ${reason}`);
        this.status.show({ kind: 'failed', reason });
        void vscode.window.showErrorMessage(`Uniwasm: ${reason.split('\n').slice(0, 3).join(' — ')}`, 'Show Log').then((pick) => pick && this.log.show());
      }
    } finally {
      this.problems.publish();
      this.starting = undefined;
    }
  }

  async stop(): Promise<void> {
    this.starting?.abort();
    const session = this.session;
    if (!session) return;
    this.session = undefined;
    await session.stop();
    this.status.show({ kind: 'stopped' });
    this.log.info('stopped');
  }

  /**
   * The "Open App in Browser" command: the running (or debugged) app's first GET route (pathToOpen).
   * While nothing runs it offers to run the app, and opens it once it serves.
   */
  async openApp(): Promise<void> {
    if (!this.url) {
      const run = 'Run Unikernel';
      if ((await vscode.window.showWarningMessage('Uniwasm: nothing is running.', run)) !== run) return;
      await this.run();
      if (!this.url) return;
    }
    const routes = this.session?.routes ?? this.debugRoutes;
    await vscode.env.openExternal(vscode.Uri.parse(`${this.url}${pathToOpen(routes)}`));
    markStepDone('uniwasm.appOpened');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.run();
  }

  dispose(): void {
    for (const d of this.debugSessions) d.dispose();
    void this.stop();
    this.terminal?.dispose();
  }
}
