// Wasm-level debugging in a real VS Code (code-server + Chromium): the demo app's workspace, a
// function breakpoint on `handle-hello` (the demo is built without DWARF, so no line breakpoints),
// F5, GET /hello from Node stops the app, the Call Stack shows the Wasm frames, F5 again lets the
// answer out, Shift+F5 ends the session and its QEMU.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/util/ports';
import { pidsMatching } from '../support/processes';
import { REPO, RUNS, type CodeServer, packageExtension, runCommand, screenshot, startCodeServer, statusBarText, withWorkbench } from './harness';

let server: CodeServer;
let port: number;
const workspace = join(RUNS, 'debug-ui-app');

before(async () => {
  // The .vsix ships the prebuilt kernel staged in dist/kernel: it must have the debug mailbox.
  execFileSync('bash', [join(REPO, 'scripts/stage-kernel.sh')], { cwd: REPO, stdio: 'ignore' });
  const vsix = packageExtension(REPO);
  rmSync(workspace, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  cpSync(join(REPO, 'examples/http-server-demo/src'), join(workspace, 'src'), { recursive: true });
  writeFileSync(join(workspace, 'uniwasm.json'), JSON.stringify({
    name: 'debug-ui-app', build: ['bash', join(REPO, 'examples/build-c-app.sh'), 'http-server-demo', '.'], wasm: 'build/http-server-demo.wasm',
  }));
  port = await freePort();
  server = await startCodeServer({ name: 'debug-ui', workspace, vsix: [vsix], settings: { 'uniwasm.hostPort': port } });
});

after(() => server?.stop());

/** The Call Stack view's rows (thread, frames), as VS Code labels them. */
async function callStack(page: Parameters<Parameters<typeof withWorkbench>[2]>[0]): Promise<string[]> {
  return page.locator('.debug-call-stack .monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''));
}

test('function breakpoint on handle-hello, F5, GET /hello stops in Wasm, continue answers 200, stop leaves no QEMU', async () => {
  await withWorkbench(server.workbenchUrl, 'debug-ui', async (page) => {
    await statusBarText(page, 'Uniwasm: stopped', 60_000);
    // The app's source in the editor: F5 without a launch.json picks the debugger for C (ours).
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('app.c');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'app.c' }).first().click();
    await page.locator('.editor-instance .monaco-editor').first().waitFor();

    // An input in the Breakpoints section of the Run and Debug view.
    await runCommand(page, 'View: Show Run and Debug');
    await runCommand(page, 'Add Function Breakpoint');
    const input = page.locator('.debug-breakpoints input[aria-label="Type function breakpoint."]');
    await input.waitFor();
    await input.fill('handle-hello');
    await input.press('Enter');
    await page.locator('.debug-breakpoints .monaco-list-row', { hasText: 'handle-hello' }).first().waitFor();

    await page.locator('.editor-instance .monaco-editor').first().click();
    await page.keyboard.press('F5');
    const url = `http://127.0.0.1:${port}`;
    // Launching builds, instruments and boots; the guest answers (404 on /) once it serves.
    for (const deadline = Date.now() + 180_000; !(await fetch(`${url}/`).then(() => true, () => false)); ) {
      assert.ok(Date.now() < deadline, 'the debugged guest never answered HTTP');
      await page.waitForTimeout(250);
    }
    const answer = fetch(`${url}/hello`);
    await page.locator('.debug-call-stack .monaco-list-row', { hasText: 'handle-hello' }).first().waitFor({ timeout: 60_000 });
    const rows = await callStack(page);
    assert.ok(rows.some((r) => /handle-hello/.test(r)), rows.join('\n'));
    assert.equal(pidsMatching('qemu-system-x86_64', `hostfwd=tcp:127.0.0.1:${port}-`, 'wasm_debug=').length, 1, 'the instrumented app runs');
    await screenshot(page, 'debug-ui-stopped-in-handle-hello');

    await page.keyboard.press('F5');
    const res = await answer;
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello, world\n');
    await screenshot(page, 'debug-ui-continued');

    await page.keyboard.press('Shift+F5');
    for (const deadline = Date.now() + 30_000; pidsMatching('qemu-system-x86_64', `hostfwd=tcp:127.0.0.1:${port}-`).length; ) {
      assert.ok(Date.now() < deadline, 'QEMU still runs after Stop');
      await page.waitForTimeout(200);
    }
  });
});
