// The "Build Unikernel" command of VS Code: progress, cancel, Problems, the log and what was built.
import * as vscode from 'vscode';
import { locateApp } from '../config/locateApp';
import { readSettings } from '../config/read';
import { buildAll } from './all';
import type { Diagnostic } from './diagnostics';
import type { Problems } from './problems';
import { describeBuild, describeFailure } from './summary';
import { markStepDone } from '../tools/walkthrough';

/** Closes the notification of the last build's failure (see showFailure). */
let closeLastFailure: (() => void) | undefined;

/** Closes the last build's failure notification: a later build (Build, or Run's) succeeded or started. */
export function closeBuildFailure(): void {
  closeLastFailure?.();
  closeLastFailure = undefined;
}

/**
 * Shows a build's failure until the next build starts. VS Code keeps an error toast with buttons until
 * it is closed by hand (an extension cannot close it), which left a stale failure beside the next
 * build's success; a progress notification is the one kind an extension can close. It has no buttons:
 * links in the text open Problems and the log.
 */
function showFailure(text: string): void {
  void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Uniwasm' }, (progress) => {
    progress.report({ increment: 100, message: text }); // a full bar: nothing is still going on
    return new Promise<void>((resolve) => (closeLastFailure = resolve));
  });
}

/**
 * The "Build Unikernel" command: progress with cancel, diagnostics in Problems, full output in the
 * log, then what was built (sizes, times) in a toast, or what failed in a notification that the next
 * build replaces.
 */
export async function buildUnikernel(log: vscode.LogOutputChannel, problems: Problems): Promise<{ kernel: string; app: string } | undefined> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Uniwasm: building is disabled in an untrusted workspace.');
    return undefined;
  }
  const settings = readSettings(log);
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Uniwasm: building the unikernel and the app', cancellable: true },
    async (_progress, token) => {
      closeBuildFailure();
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      problems.begin();
      const diagnostics: Diagnostic[] = [];
      try {
        const app = await locateApp(settings.app);
        log.info(`build: ${app}`);
        const built = await buildAll(app, {
          signal: controller.signal,
          onOutput: (text) => log.info(text.trimEnd()),
          onDiagnostic: (d) => {
            diagnostics.push(d);
            problems.add(d);
          },
        });
        const summary = describeBuild(built.parts);
        log.info(`build: ${summary}: kernel ${built.kernel}, app ${built.app}`);
        markStepDone('uniwasm.built');
        // A button makes VS Code show the whole line (a toast without one is cut to its first ~60 characters).
        void vscode.window.showInformationMessage(`Uniwasm: ${summary}`, 'Show Output').then((pick) => pick && log.show());
        return built;
      } catch (err) {
        log.error(`build: ${(err as Error).message}`);
        if (!controller.signal.aborted) {
          // Short enough for the toast's one line, links included.
          const links = `${diagnostics.length ? '[Problems](command:workbench.actions.view.problems) · ' : ''}[Output](command:uniwasm.showLog)`;
          showFailure(`${describeFailure(err as Error, diagnostics)}: ${links}`);
        }
        return undefined;
      } finally {
        problems.publish();
      }
    },
  );
}
