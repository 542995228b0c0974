// The "Build Unikernel" command of VS Code: progress, cancel, Problems, the log and what was built.
import * as vscode from 'vscode';
import { locateApp } from '../config/locateApp';
import { readSettings } from '../config/read';
import { buildAll } from './all';
import type { Diagnostic } from './diagnostics';
import type { Problems } from './problems';
import { describeBuild, describeFailure } from './summary';

/** Set once a build succeeded in this window: the walkthrough's Build step ticks on it. */
export const BUILT_CONTEXT = 'uniwasm.built';

/**
 * The "Build Unikernel" command: progress with cancel, diagnostics in Problems, full output in the
 * log, then one short toast saying what was built (sizes, times) or what failed. Neither toast has
 * buttons: VS Code keeps an error toast with buttons until it is closed by hand, which left a stale
 * failure beside the next build's success; links in the text open Problems and the log instead.
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
        void vscode.commands.executeCommand('setContext', BUILT_CONTEXT, true);
        void vscode.window.showInformationMessage(`Uniwasm: ${summary}`);
        return built;
      } catch (err) {
        log.error(`build: ${(err as Error).message}`);
        if (!controller.signal.aborted) {
          const links = `${diagnostics.length ? '[Show Problems](command:workbench.actions.view.problems) · ' : ''}[Show Output](command:uniwasm.showLog)`;
          void vscode.window.showErrorMessage(`Uniwasm: ${describeFailure(err as Error, diagnostics)}. ${links}`);
        }
        return undefined;
      } finally {
        problems.publish();
      }
    },
  );
}
