// WIT in a real VS Code (code-server + Chromium): a file with an unclosed `{` and a misspelt type shows
// both problems (the brace where it opens, "did you mean"), the Outline lists the file's items, and go
// to definition on a world's `import wasi:…` opens the package in deps/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CodeServer, packageWithKernel, problemsPanelEntries, REPO, runCommand, RUNS, screenshot, startCodeServer, statusBarText, withWorkbench,
} from './harness';

let server: CodeServer;
const workspace = join(RUNS, 'wit-ui-workspace');

before(async () => {
  rmSync(workspace, { recursive: true, force: true });
  mkdirSync(join(workspace, 'wit'), { recursive: true });
  writeFileSync(join(workspace, 'wit', 'types.wit'), 'package demo:app;\n\ninterface types {\n  /// A stored value.\n  record entry {\n    key: string,\n    value: list<u8>,\n  }\n}\n');
  writeFileSync(join(workspace, 'wit', 'api.wit'), [
    'package demo:app;', '', 'interface api {', '  use types.{entry};', '  put: func(e: entry);', '  get: func(key: strng) -> option<entry>;', '',
    'world app {', '  export api;', '}', '',
  ].join('\n'));
  // A component's WIT: its world, and WASI's io and clocks packages in deps/.
  cpSync(join(REPO, 'test/fixtures/wit-deps/wit'), join(workspace, 'component/wit'), { recursive: true });
  server = await startCodeServer({ name: 'wit-ui', workspace, vsix: [packageWithKernel()] });
});

after(() => server?.stop());

test('an unclosed brace and a misspelt type are both reported; the Outline shows the file', async () => {
  await withWorkbench(server.workbenchUrl, 'wit-ui', async (page) => {
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('api.wit');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'api.wit' }).first().click();
    await page.locator('.editor-instance .monaco-editor').first().waitFor();

    const problems = await problemsPanelEntries(page, 2, 60_000);
    assert.ok(problems.some((p) => /this `\{` is not closed: `\}` expected before `world` on line 8/.test(p)), problems.join('\n'));
    assert.ok(problems.some((p) => /unknown type `strng` in interface `api`; did you mean `string`\?/.test(p)), problems.join('\n'));
    await screenshot(page, 'wit-problems');

    await runCommand(page, 'Explorer: Focus on Outline View');
    const outline = page.locator('.outline-tree .monaco-list-row');
    await outline.filter({ hasText: 'app' }).first().waitFor({ timeout: 60_000 });
    const rows = await outline.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? ''));
    for (const name of ['api', 'put', 'get', 'app']) assert.ok(rows.some((r) => r.startsWith(name)), `${name} in the Outline: ${rows.join(' | ')}`);
    await screenshot(page, 'wit-outline');
  });
});

test('go to definition on a world\'s `import wasi:io/poll` opens the interface in deps/io.wit', async () => {
  const world = join(workspace, 'component/wit/world.wit');
  const line = readFileSync(world, 'utf8').split('\n').findIndex((l) => l.includes('import wasi:io/poll')) + 1;
  const io = readFileSync(join(workspace, 'component/wit/deps/io.wit'), 'utf8').split('\n');
  const pollLine = io.findIndex((l) => l.startsWith('interface poll')) + 1;
  await withWorkbench(server.workbenchUrl, 'wit-ui-deps', async (page) => {
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('world.wit');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'world.wit' }).first().click();
    await page.locator('.editor-instance .monaco-editor').first().waitFor();
    // The cursor on `poll` (Ctrl+G takes `:line:column`), then Go to Definition (the palette: the page may not get F12).
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget input').fill(`:${line}:20`);
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
    await statusBarText(page, new RegExp(`Ln ${line}, Col 20`));
    await runCommand(page, 'Go to Definition');
    await page.locator('.tabs-container .tab.active', { hasText: 'io.wit' }).waitFor({ timeout: 60_000 });
    await statusBarText(page, new RegExp(`Ln ${pollLine}, Col 11`), 60_000);
    await screenshot(page, 'wit-definition-in-deps');
  });
});
