// The repository's extension inside a real VS Code extension host (code-server's smoke-test driver).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { RUNS, type CodeServer, runExtensionHostTests, startCodeServer } from './harness';

let server: CodeServer;

before(async () => {
  const workspace = join(RUNS, 'extension-host-workspace');
  mkdirSync(workspace, { recursive: true });
  server = await startCodeServer({ name: 'extension-host', workspace, hostTests: true });
});

after(() => server?.stop());

test('commands, the task provider and settings validation, inside the extension host', async () => {
  const result = await runExtensionHostTests({ server, testsModule: 'test/vscode/host/extension.host.ts' });
  assert.equal(result.code, 0, result.logs.join('\n'));
  assert.ok(result.logs.some((l) => l.includes('extension-host: commands, tasks and settings validation checked')), result.logs.join('\n'));
});
