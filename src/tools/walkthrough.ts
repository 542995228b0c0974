// The "Get started" walkthrough: its steps tick on context keys this module sets, and opening it says again what was done.
import * as vscode from 'vscode';

/** The context key each step completes on (package.json's completionEvents `onContext:…`). */
export type StepDone = 'uniwasm.toolsChecked' | 'uniwasm.built' | 'uniwasm.served' | 'uniwasm.appOpened';

const WALKTHROUGH = 'uniwasm.uniwasm#uniwasm.firstRun';
const done = new Set<StepDone>();

const setContext = (key: StepDone, value: boolean) => vscode.commands.executeCommand('setContext', key, value);

/** A step was done in this window: its key turns true (the walkthrough ticks it if it is listening). */
export function markStepDone(key: StepDone): void {
  done.add(key);
  void setContext(key, true);
}

/**
 * Opens the walkthrough. VS Code's walkthrough service may start only now, and it counts a step's
 * key only when the key turns true while it listens (a key already true when it starts never ticks),
 * so the keys of what was done are turned false before it opens and true again after.
 */
export async function openWalkthrough(): Promise<void> {
  for (const key of done) await setContext(key, false);
  await vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH, false);
  for (const key of done) await setContext(key, true);
}
