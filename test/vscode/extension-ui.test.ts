// The extension's everyday loop in a real VS Code (code-server + Chromium): Build Unikernel from the
// palette, a compile error in the Problems panel, Run → the status bar's URL answers /hello, Stop → no QEMU.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/util/ports';
import { pidsMatching, qemuOfRun } from '../support/processes';
import {
  type CodeServer, exampleWorkspace, packageWithKernel, problemsPanelEntries, runCommand, RUNS, screenshot,
  startCodeServer, statusBarText, waitForNotification, withWorkbench,
} from './harness';

let server: CodeServer;
let port: number;
const workspace = join(RUNS, 'extension-ui-app');
const source = join(workspace, 'src', 'app.c');

before(async () => {
  const vsix = packageWithKernel();
  exampleWorkspace(workspace, 'hello', 'ui-app');
  port = await freePort();
  server = await startCodeServer({ name: 'extension-ui', workspace, vsix: [vsix], settings: { 'uniwasm.hostPort': port } });
});

after(() => server?.stop());

test('build, a compile error in Problems, run serving /hello, stop', async () => {
  await withWorkbench(server.workbenchUrl, 'extension-ui', async (page) => {
    await statusBarText(page, 'Uniwasm: stopped', 60_000);

    await runCommand(page, 'Uniwasm: Build Unikernel');
    await waitForNotification(page, 'Uniwasm: Built app', 120_000);
    await screenshot(page, 'extension-build-succeeded');

    await runCommand(page, 'Uniwasm: Run Unikernel');
    const serving = await statusBarText(page, `serving http://127.0.0.1:${port}`, 120_000);
    assert.match(serving, new RegExp(`Uniwasm: serving http://127\\.0\\.0\\.1:${port}`));
    const res = await fetch(`http://127.0.0.1:${port}/hello`);
    assert.equal(res.status, 200);
    assert.equal(pidsMatching('qemu-system-x86_64', qemuOfRun(port)).length, 1);
    await screenshot(page, 'extension-serving');

    await runCommand(page, 'Uniwasm: Stop Unikernel');
    await statusBarText(page, 'Uniwasm: stopped', 30_000);
    assert.deepEqual(pidsMatching('qemu-system-x86_64', qemuOfRun(port)), [], 'no QEMU left');

    writeFileSync(source, readFileSync(source, 'utf8') + '\nint broken(void) { return undeclared_name; }\n');
    await runCommand(page, 'Uniwasm: Build Unikernel');
    await waitForNotification(page, 'Uniwasm: app build failed', 120_000);
    const problems = await problemsPanelEntries(page, 1, 30_000);
    assert.ok(problems.some((p) => /undeclared_name/.test(p)), problems.join('\n'));
    await screenshot(page, 'extension-build-problem');
  });
});
