// Runs inside the extension host with the repository's extension loaded: its commands, its task
// provider, the validation of its settings as the extension itself applies them, and the WIT
// editor features (Outline, definition, references, hover) as VS Code's own commands ask for them.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';

interface ToolCheck { tool: string; ok: boolean; detail: string }

async function checkTools(): Promise<ToolCheck[]> {
  return (await vscode.commands.executeCommand<ToolCheck[]>('uniwasm.checkTools'))!;
}

export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension('uniwasm.uniwasm');
  assert.ok(extension, 'the Uniwasm extension is loaded');
  await extension.activate();

  const commands = await vscode.commands.getCommands(true);
  for (const id of ['uniwasm.build', 'uniwasm.run', 'uniwasm.stop', 'uniwasm.restart', 'uniwasm.checkTools', 'uniwasm.openApp', 'uniwasm.openWalkthrough',
    'uniwasm.traffic.clearRequests', 'uniwasm.traffic.clearKv']) {
    assert.ok(commands.includes(id), `${id} is registered`);
  }
  const build = extension.packageJSON.contributes.commands.find((c: { command: string }) => c.command === 'uniwasm.build');
  assert.deepEqual([build.title, build.category], ['Build Unikernel', 'Uniwasm']);

  const tasks = await vscode.tasks.fetchTasks({ type: 'uniwasm' });
  const byName = new Map(tasks.map((t) => [t.name, t]));
  assert.deepEqual([...byName.keys()].sort(), ['build', 'run']);
  assert.equal(byName.get('build')!.group?.id, vscode.TaskGroup.Build.id);
  assert.equal(byName.get('run')!.isBackground, true);
  assert.deepEqual(byName.get('run')!.problemMatchers, ['$uniwasm-run']);
  assert.deepEqual(byName.get('build')!.problemMatchers, ['$uniwasm']);

  const config = vscode.workspace.getConfiguration('uniwasm');
  const qemuOk = (checks: ToolCheck[]) => checks.find((c) => c.tool.includes('qemu'))!;
  assert.equal(qemuOk(await checkTools()).ok, true, 'QEMU is found with the default setting');
  await config.update('qemuPath', '/nonexistent/qemu-system-x86_64', vscode.ConfigurationTarget.Global);
  const missing = qemuOk(await checkTools());
  assert.deepEqual([missing.tool, missing.ok, missing.detail], ['/nonexistent/qemu-system-x86_64', false, 'not found']);
  // A blank path is rejected by validation and the default takes its place.
  await config.update('qemuPath', '   ', vscode.ConfigurationTarget.Global);
  assert.deepEqual([qemuOk(await checkTools()).tool, qemuOk(await checkTools()).ok], ['qemu-system-x86_64', true]);
  await config.update('qemuPath', undefined, vscode.ConfigurationTarget.Global);
  await checkWitLanguage();
  console.log('extension-host: commands, tasks and settings validation checked');
}

/** A two-file WIT package: the Outline of one, and a name `use`d from the other resolved across files. */
async function checkWitLanguage(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'uniwasm-wit-'));
  writeFileSync(join(folder, 'types.wit'), 'package demo:app;\n\ninterface types {\n  /// A stored value.\n  record entry { key: string }\n}\n');
  const api = join(folder, 'api.wit');
  writeFileSync(api, 'package demo:app;\n\ninterface api {\n  use types.{entry};\n  put: func(e: entry);\n}\n');
  const doc = await vscode.workspace.openTextDocument(api);
  assert.equal(doc.languageId, 'wit');
  const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri);
  assert.deepEqual(symbols?.map((s) => [s.name, s.children.map((c) => `${c.name} ${c.detail}`)]), [['api', ['entry types', 'put func(e: entry)']]]);
  const at = doc.positionAt(doc.getText().indexOf('entry)') + 1);
  const definitions = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeDefinitionProvider', doc.uri, at);
  assert.deepEqual(definitions?.map((d) => [d.uri.fsPath, d.range.start.line]), [[join(folder, 'types.wit'), 4]]);
  const references = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeReferenceProvider', doc.uri, at);
  assert.equal(references?.length, 3, 'the declaration, the `use` and the parameter');
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, at);
  const text = hovers?.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
  assert.match(text ?? '', /record entry \{\n {4}key: string,\n\}[\s\S]*A stored value\./);
}
