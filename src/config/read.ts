// Reads the `uniwasm.*` settings from VS Code and reports each rejected value.
import * as vscode from 'vscode';
import { validateSettings, type Settings } from './settings';

/** Reads and validates `uniwasm.*`; each rejected value is reported once and replaced by its default. */
export function readSettings(log: vscode.LogOutputChannel): Settings {
  const c = vscode.workspace.getConfiguration('uniwasm');
  const { settings, errors } = validateSettings({
    app: c.get('app'),
    qemuPath: c.get('qemuPath'),
    machine: c.get('machine'),
    memoryMiB: c.get('memoryMiB'),
    accel: c.get('accel'),
    hostPort: c.get('hostPort'),
    redisUrl: c.get('redisUrl'),
    kernelArgs: c.get('kernelArgs'),
  });
  for (const error of errors) {
    log.warn(error);
    void vscode.window.showWarningMessage(`Uniwasm: ${error}`);
  }
  return settings;
}
