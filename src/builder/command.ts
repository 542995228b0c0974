// The "Build Unikernel" command of VS Code: progress, cancel, Problems and the log.
import * as vscode from 'vscode';
import { locateApp } from '../config/locateApp';
import { readSettings } from '../config/read';
import { buildAll } from './all';
import type { Problems } from './problems';

/** The "Build Unikernel" command: progress with cancel, diagnostics in Problems, full output in the log. */
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
      try {
        const app = await locateApp(settings.app);
        log.info(`build: ${app}`);
        const built = await buildAll(app, {
          signal: controller.signal,
          onOutput: (text) => log.info(text.trimEnd()),
          onDiagnostic: (d) => problems.add(d),
        });
        log.info(`build: kernel ${built.kernel}, app ${built.app}`);
        void vscode.window.showInformationMessage('Uniwasm: build succeeded');
        return built;
      } catch (err) {
        const message = (err as Error).message;
        log.error(`build: ${message}`);
        if (!controller.signal.aborted) {
          void vscode.window.showErrorMessage(`Uniwasm: build failed: ${message.split('\n')[0]}`, 'Show Log').then((pick) => pick && log.show());
        }
        return undefined;
      } finally {
        problems.publish();
      }
    },
  );
}
