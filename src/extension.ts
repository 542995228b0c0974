// Wires the capabilities together (each lives in its own folder); no logic of its own.
import * as vscode from 'vscode';
import { buildUnikernel } from './builder/command';
import { Problems } from './builder/problems';
import { readSettings } from './config/read';
import { registerDebugging } from './debug/provider';
import { RunController } from './run/controller';
import { registerPortAttributes } from './run/portAttributes';
import { RunStatusBar } from './run/statusBar';
import { UniwasmTaskProvider } from './tasks/provider';
import { checkToolsCommand } from './tools/command';
import { openWalkthrough } from './tools/walkthrough';
import { registerTraffic } from './traffic/register';
import { WitProblems } from './wit/problems';
import { registerWitLanguage } from './wit/language';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Uniwasm', { log: true });
  const problems = new Problems();
  const status = new RunStatusBar();
  const traffic = registerTraffic(context, log, { currentUrl: () => runner.url });
  const ports = registerPortAttributes(context, log);
  const runner = new RunController(log, status, problems, [traffic, ports]);
  registerDebugging(context, log, { observers: [traffic, runner.debugObserver, ports], makeWay: (port) => runner.makeWayForDebugging(port) });

  context.subscriptions.push(
    log,
    problems,
    status,
    runner,
    new WitProblems(log),
    registerWitLanguage(),
    vscode.commands.registerCommand('uniwasm.build', () => buildUnikernel(log, problems)),
    vscode.commands.registerCommand('uniwasm.run', () => runner.run()),
    vscode.commands.registerCommand('uniwasm.stop', () => runner.stop()),
    vscode.commands.registerCommand('uniwasm.restart', () => runner.restart()),
    vscode.commands.registerCommand('uniwasm.openApp', () => runner.openApp()),
    vscode.commands.registerCommand('uniwasm.showLog', () => log.show()),
    vscode.commands.registerCommand('uniwasm.checkTools', () => checkToolsCommand(log)),
    vscode.commands.registerCommand('uniwasm.openWalkthrough', () => openWalkthrough()),
    vscode.tasks.registerTaskProvider(UniwasmTaskProvider.type, new UniwasmTaskProvider(log, [traffic, ports])),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('uniwasm')) readSettings(log);
    }),
  );
}

export function deactivate(): void {}
