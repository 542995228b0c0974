// Runs inside the extension host (see runExtensionHostTests): the fixture extension's command is registered.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension('uniwasm-test.uniwasm-fixture');
  assert.ok(extension, 'fixture extension is loaded');
  await extension.activate();
  const commands = await vscode.commands.getCommands(true);
  assert.ok(commands.includes('uniwasmFixture.sayHello'));
  console.log('fixture-commands: uniwasmFixture.sayHello is registered');
}
