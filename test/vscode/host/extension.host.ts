// Runs inside the extension host with the repository's extension loaded: its commands, its task
// provider, and the validation of its settings as the extension itself applies them.
import assert from 'node:assert/strict';
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
  for (const id of ['uniwasm.build', 'uniwasm.run', 'uniwasm.stop', 'uniwasm.restart', 'uniwasm.checkTools', 'uniwasm.openHello',
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
  console.log('extension-host: commands, tasks and settings validation checked');
}
