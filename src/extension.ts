// Wires the capabilities together; each lives in its own folder.
import * as vscode from 'vscode';
import { checkTools } from './app/tools';
import { buildUnikernel } from './build/command';
import { Problems } from './build/problems';
import { readSettings } from './config/read';
import { RunController } from './run/controller';
import { RunStatusBar } from './run/statusBar';
import { registerDebugging } from './debug/provider';
import { registerTraffic } from './traffic/register';
import { UniwasmTaskProvider } from './tasks/provider';
import { WitProblems } from './wit/problems';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Uniwasm', { log: true });
  const problems = new Problems();
  const status = new RunStatusBar();
  const traffic = registerTraffic(context, log, { currentUrl: () => runner.url });
  const runner = new RunController(log, status, problems, traffic);
  registerDebugging(context, log);

  context.subscriptions.push(
    log,
    problems,
    status,
    runner,
    new WitProblems(log),
    vscode.commands.registerCommand('uniwasm.build', () => buildUnikernel(log, problems)),
    vscode.commands.registerCommand('uniwasm.run', () => runner.run()),
    vscode.commands.registerCommand('uniwasm.stop', () => runner.stop()),
    vscode.commands.registerCommand('uniwasm.restart', () => runner.restart()),
    vscode.commands.registerCommand('uniwasm.showLog', () => log.show()),
    vscode.commands.registerCommand('uniwasm.openHello', () => {
      if (!runner.url) return void vscode.window.showWarningMessage('Uniwasm: nothing is running; run the unikernel first.');
      return vscode.env.openExternal(vscode.Uri.parse(`${runner.url}/hello`));
    }),
    vscode.commands.registerCommand('uniwasm.checkTools', async () => {
      const checks = await checkTools(readSettings(log).qemuPath);
      for (const c of checks) log.info(`tools: ${c.tool} (${c.purpose}): ${c.ok ? 'ok' : 'MISSING'} ${c.detail}`);
      const missing = checks.filter((c) => !c.ok);
      if (missing.length) {
        void vscode.window.showWarningMessage(`Uniwasm: missing ${missing.map((c) => `${c.tool} (${c.purpose})`).join(', ')}. Run "npm run setup" in the Uniwasm folder, or install them.`, 'Show Log').then((p) => p && log.show());
      } else {
        void vscode.window.showInformationMessage(`Uniwasm: all tools found (${checks.map((c) => c.tool).join(', ')})`);
      }
      return checks;
    }),
    vscode.tasks.registerTaskProvider(UniwasmTaskProvider.type, new UniwasmTaskProvider(log, traffic)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('uniwasm')) readSettings(log);
    }),
  );
}

export function deactivate(): void {}
