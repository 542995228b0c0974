// The "Check Tools" command: runs each tool Uniwasm needs and says what is missing.
import * as vscode from 'vscode';
import { readSettings } from '../config/read';
import { checkTools, type ToolCheck } from './check';

export async function checkToolsCommand(log: vscode.LogOutputChannel): Promise<ToolCheck[]> {
  const checks = await checkTools(readSettings(log).qemuPath);
  for (const c of checks) log.info(`tools: ${c.tool} (${c.purpose}): ${c.ok ? 'ok' : 'MISSING'} ${c.detail}`);
  const missing = checks.filter((c) => !c.ok);
  if (missing.length) {
    void vscode.window.showWarningMessage(`Uniwasm: missing ${missing.map((c) => `${c.tool} (${c.purpose})`).join(', ')}. Run "npm run setup" in the Uniwasm folder, or install them.`, 'Show Log').then((p) => p && log.show());
  } else {
    void vscode.window.showInformationMessage(`Uniwasm: all tools found (${checks.map((c) => c.tool).join(', ')})`);
  }
  return checks;
}
