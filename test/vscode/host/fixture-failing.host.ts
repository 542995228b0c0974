// Must fail: proves that a failing extension-host test module is reported as a failure, with its message.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

export async function run(): Promise<void> {
  const commands = await vscode.commands.getCommands(true);
  assert.ok(commands.includes('uniwasmFixture.noSuchCommand'), 'uniwasmFixture.noSuchCommand is registered');
}
