// The "Check Tools" command: checks each tool Uniwasm needs and says what is missing and how to install it.
import * as vscode from 'vscode';
import { readSettings } from '../config/read';
import { checkTools, installLines, type ToolCheck } from './check';
import { markStepDone } from './walkthrough';

export async function checkToolsCommand(log: vscode.LogOutputChannel): Promise<ToolCheck[]> {
  const checks = await checkTools(readSettings(log).qemuPath);
  markStepDone('uniwasm.toolsChecked');
  for (const c of checks) log.info(`tools: ${c.tool} (${c.purpose}): ${c.ok ? `ok ${c.detail}` : `MISSING (${c.detail}); install: ${installLines([c]).join('')}`}`);
  const missing = checks.filter((c) => !c.ok);
  if (!missing.length) {
    void vscode.window.showInformationMessage(`Uniwasm: all tools found (${checks.map((c) => c.tool).join(', ')})`);
    return checks;
  }
  const lines = installLines(missing);
  const copy = 'Copy Install Lines';
  void vscode.window.showWarningMessage(
    `Uniwasm: missing ${missing.map((c) => `${c.tool} (${c.purpose})`).join(', ')}. Install with: ${lines.join(' ; ')}`,
    copy, 'Show Log',
  ).then((pick) => {
    if (pick === copy) void vscode.env.clipboard.writeText(lines.join('\n'));
    else if (pick) log.show();
  });
  return checks;
}
