// The status bar item of a run: building, booting, serving or debugging at a clickable URL, stopped or failed.
import * as vscode from 'vscode';
import { markStepDone } from '../tools/walkthrough';

export type RunState =
  | { kind: 'stopped' }
  | { kind: 'building' }
  | { kind: 'booting' }
  | { kind: 'serving'; url: string }
  /** An F5 session's run (the guest may be held at a breakpoint). */
  | { kind: 'debugging'; url: string }
  | { kind: 'failed'; reason: string };

/** The status bar item of the run: building / booting / serving or debugging at a clickable URL / stopped / failed. */
export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('uniwasm.run', vscode.StatusBarAlignment.Left, 50);

  constructor() {
    this.item.name = 'Uniwasm';
    this.show({ kind: 'stopped' });
    this.item.show();
  }

  show(state: RunState): void {
    const item = this.item;
    item.backgroundColor = undefined;
    void vscode.commands.executeCommand('setContext', 'uniwasm.serving', state.kind === 'serving');
    void vscode.commands.executeCommand('setContext', 'uniwasm.debugging', state.kind === 'debugging');
    if (state.kind === 'serving' || state.kind === 'debugging') markStepDone('uniwasm.served');
    switch (state.kind) {
      case 'stopped':
        item.text = '$(debug-stop) Uniwasm: stopped';
        item.tooltip = 'Run the unikernel';
        item.command = 'uniwasm.run';
        break;
      case 'building':
        item.text = '$(loading~spin) Uniwasm: building';
        item.tooltip = 'Building the kernel and the app';
        item.command = 'uniwasm.showLog';
        break;
      case 'booting':
        item.text = '$(loading~spin) Uniwasm: booting';
        item.tooltip = 'Booting the unikernel in QEMU';
        item.command = 'uniwasm.showLog';
        break;
      case 'serving':
        item.text = `$(globe) Uniwasm: serving ${state.url}`;
        item.tooltip = `Open the app at ${state.url} in the browser (its first GET route)`;
        item.command = 'uniwasm.openApp';
        break;
      case 'debugging':
        item.text = `$(debug) Uniwasm: debugging ${state.url}`;
        item.tooltip = `The app runs under the debugger: open it at ${state.url} in the browser (its first GET route)`;
        item.command = 'uniwasm.openApp';
        break;
      case 'failed':
        item.text = '$(error) Uniwasm: failed';
        item.tooltip = state.reason;
        item.command = 'uniwasm.showLog';
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        break;
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}
