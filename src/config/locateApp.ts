// Finds the app to build and run in the workspace: the `uniwasm.app` setting, else the first uniwasm.json.
import * as vscode from 'vscode';
import { dirname, isAbsolute, join } from 'node:path';

/** The app to build and run: `uniwasm.app`, or the first folder of the workspace with a uniwasm.json. */
export async function locateApp(configured: string): Promise<string> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (configured) {
    if (isAbsolute(configured)) return configured;
    if (!folder) throw new Error(`uniwasm.app is relative ("${configured}") but no folder is open`);
    return join(folder.uri.fsPath, configured);
  }
  const [manifest] = await vscode.workspace.findFiles('**/uniwasm.json', '**/node_modules/**', 1);
  if (!manifest) throw new Error('no Uniwasm app in this workspace: add a uniwasm.json or set uniwasm.app');
  return dirname(manifest.fsPath);
}
