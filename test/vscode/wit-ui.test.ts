// WIT in a real VS Code (code-server + Chromium): a file with an unclosed `{` and a misspelt type shows
// both problems (the brace where it opens, "did you mean"), and the Outline lists the file's items.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CodeServer, packageWithKernel, problemsPanelEntries, runCommand, RUNS, screenshot, startCodeServer, withWorkbench } from './harness';

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
