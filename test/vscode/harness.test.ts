// Proves the real-VS-Code harness on a tiny fixture extension (test/fixtures/hello-ext): a .vsix installed
// into a fresh profile, a palette command with its notification, the Problems panel, the status bar,
// extension-host test modules that pass and fail, and a stop() that leaves no process behind.
// One code-server serves every test of the file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  REPO, RUNS, alive, type CodeServer, packageExtension, problemsPanelEntries, runCommand, runExtensionHostTests,
  screenshot, startCodeServer, statusBarText, waitForNotification, withWorkbench,
} from './harness';

const FIXTURE = join(REPO, 'test/fixtures/hello-ext');
// UI tests and extension-host tests need servers in different modes (see CodeServerOptions.hostTests).
let server: CodeServer;
let hostServer: CodeServer;

before(async () => {
  let t = Date.now();
  const vsix = packageExtension(FIXTURE);
  const packaged = Date.now() - t;
  // A copy: the workbench and the tests may write into the folder they open.
  const workspace = join(RUNS, 'harness-workspace');
  rmSync(workspace, { recursive: true, force: true });
  cpSync(join(REPO, 'test/fixtures/hello-workspace'), workspace, { recursive: true });
  t = Date.now();
  server = await startCodeServer({
    name: 'harness', workspace, vsix: [vsix], settings: { 'uniwasmFixture.greeting': 'Howdy' },
  });
  const started = Date.now() - t;
  t = Date.now();
  hostServer = await startCodeServer({ name: 'harness-host', workspace, hostTests: true });
  console.log(`# vsce package ${packaged} ms; profile + vsix install + start ${started} ms; start for host tests ${Date.now() - t} ms`);
});

after(() => Promise.all([server?.stop(), hostServer?.stop()]));

test('runs a palette command of the installed extension and sees its notification, problem and status item', async () => {
  await withWorkbench(server.workbenchUrl, 'harness-palette', async (page) => {
    // The status item appears once the extension host has activated the extension.
    assert.equal(await statusBarText(page, 'Fixture ready', 60_000), 'Fixture ready');
    await runCommand(page, 'Uniwasm Fixture: Say Hello');
    // "Howdy" comes from the settings passed to startCodeServer.
    assert.match(await waitForNotification(page, 'from the Uniwasm fixture'), /Howdy from the Uniwasm fixture/);
    await runCommand(page, 'Uniwasm Fixture: Add Problem');
    const problems = await problemsPanelEntries(page, 1);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^Error.*fixture problem: unknown import/);
    assert.ok(existsSync(await screenshot(page, 'harness-palette')));
  });
});

test('an extension-host test module that passes exits 0 and forwards its console', async () => {
  const result = await runExtensionHostTests({
    server: hostServer, testsModule: 'test/vscode/host/fixture-commands.host.ts', extensionDevelopmentPath: FIXTURE,
  });
  assert.equal(result.code, 0, result.logs.join('\n'));
  assert.ok(result.logs.some((l) => l.includes('uniwasmFixture.sayHello is registered')), result.logs.join('\n'));
});

test('an extension-host test module that fails exits 1 with its assertion message', async () => {
  const result = await runExtensionHostTests({
    server: hostServer, testsModule: 'test/vscode/host/fixture-failing.host.ts', extensionDevelopmentPath: FIXTURE,
  });
  assert.equal(result.code, 1);
  assert.ok(result.logs.some((l) => l.includes('uniwasmFixture.noSuchCommand is registered')), result.logs.join('\n'));
});

test('stop() ends code-server and every process it started', async () => {
  for (const s of [server, hostServer]) {
    const pids = s.processes();
    // code-server's entry process and its server always run; extension hosts may already have ended
    // with the browser window that used them.
    assert.ok(pids.length >= 2, `code-server and its server process: ${pids}`);
    await s.stop();
    assert.deepEqual(pids.filter(alive), []);
  }
});
