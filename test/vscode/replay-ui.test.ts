// Replay in a real VS Code (code-server + Chromium) at the default sidebar width of a 1600×1000 window:
// Run the demo, PUT /bar, open its details (request and response), Replay it as an editable .http
// document, break a line (Send names it, the text stays), fix it, change the body, Send: the response
// shows beside with its status line and headers, the app got the edited body, and the replay's row is
// marked. Stop forgets the guest heap; a second Run puts a new boot's separator above the first.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort } from '../../src/util/ports';
import {
  type CodeServer, exampleWorkspace, packageWithKernel, type Page, runCommand, RUNS, screenshot, startCodeServer,
  statusBarText, waitForNotification, withWorkbench,
} from './harness';

let server: CodeServer;
let port: number;
const workspace = join(RUNS, 'replay-ui-app');

before(async () => {
  const vsix = packageWithKernel();
  exampleWorkspace(workspace, 'http-server-demo');
  port = await freePort();
  server = await startCodeServer({ name: 'replay-ui', workspace, vsix: [vsix], settings: { 'uniwasm.hostPort': port } });
});

after(() => server?.stop());

/** The editor group whose active tab's label matches `tab`. */
function editorGroup(page: Page, tab: string | RegExp) {
  return page.locator('.editor-group-container', { has: page.locator('.tab.active', { hasText: tab }) });
}

/**
 * The visible text of the editor under the active tab `tab`. Monaco reuses line elements out of
 * order and places them by their `top`, and renders spaces as U+00A0.
 */
async function editorText(page: Page, tab: string | RegExp): Promise<string> {
  const lines = await editorGroup(page, tab).locator('.view-lines .view-line').evaluateAll((els) =>
    els.map((el) => ({ top: Number(/top:\s*(-?[\d.]+)px/.exec(el.getAttribute('style') ?? '')?.[1]), text: el.textContent ?? '' })));
  return lines.sort((a, b) => a.top - b.top).map((l) => l.text.replace(/\u00a0/g, ' ')).join('\n');
}

/** The HTTP Requests view's header (title, description with count and heap). */
function requestsHeader(page: Page) {
  return page.locator('.pane-header', { hasText: 'HTTP Requests' });
}

test('replay an edited request: the response beside it, the replay marked; boots apart; the heap gone at Stop', async () => {
  await withWorkbench(server.workbenchUrl, 'replay-ui', async (page) => {
    await statusBarText(page, 'Uniwasm: stopped', 60_000);
    await runCommand(page, 'Uniwasm: Run Unikernel');
    await statusBarText(page, `serving http://127.0.0.1:${port}`, 180_000);
    await runCommand(page, 'Uniwasm: Focus on HTTP Requests View');

    const url = `http://127.0.0.1:${port}`;
    const put = await fetch(`${url}/bar`, { method: 'PUT', body: 'hello', headers: { 'X-Demo': 'yes' } });
    assert.equal(put.status, 200);

    // The row under its boot's separator; the heap beside the view's title, not among the rows.
    const row = page.locator('.monaco-list-row', { hasText: 'PUT /bar' }).first();
    await row.waitFor({ timeout: 30_000 });
    const boots = page.locator('.monaco-list-row', { hasText: /booted \d\d:\d\d:\d\d/ });
    await boots.first().filter({ hasText: 'serving' }).waitFor({ timeout: 10_000 });
    await requestsHeader(page).locator('.description', { hasText: /heap \d+\.\d\/\d+ MiB/ }).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('.monaco-list-row', { hasText: 'guest heap' }).count(), 0);

    // Details: the request as .http, then the response's status line and headers.
    await row.click();
    const details = editorGroup(page, /\.http/).locator('.view-lines', { hasText: 'HTTP/1.1 200 OK' });
    await details.waitFor({ timeout: 30_000 });
    const detailText = await editorText(page, /\.http/);
    assert.match(detailText, /^PUT \/bar HTTP\/1\.1$/m);
    assert.match(detailText, /^X-Demo: yes$/im);
    assert.match(detailText, /guest adds Content-Length and Connection/);
    await screenshot(page, 'replay-1-details');

    // Replay: the inline action opens the request as an editable .http document aimed at the app.
    await row.hover();
    await row.locator('.action-label[aria-label="Edit and Replay Request"]').click();
    const replayTab = /^replay-.*PUT-bar\.http/;
    const replayLines = editorGroup(page, replayTab).locator('.view-lines');
    await replayLines.locator(`text=PUT ${url}/bar HTTP/1.1`).waitFor({ timeout: 30_000 });
    const lens = editorGroup(page, replayTab).locator('.codelens-decoration a', { hasText: 'Send Request' });
    await lens.waitFor({ timeout: 30_000 });

    // A malformed header line: Send says which line, sends nothing, and the text stays as typed.
    await replayLines.locator('text=X-Demo: yes').click();
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('oops no colon');
    await lens.click();
    await waitForNotification(page, /not sent: line \d+: `oops no colon` is not a header/);
    assert.match(await editorText(page, replayTab), /^oops no colon$/m);
    await screenshot(page, 'replay-2-malformed');

    // Fixed, and the body changed: Send shows the response beside the request.
    await replayLines.locator('text=oops no colon').click();
    await page.keyboard.press('End');
    await page.keyboard.press('Shift+Home');
    await page.keyboard.type('X-Edited: 1');
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Shift+Home');
    await page.keyboard.type('edited by replay');
    await page.keyboard.press('Escape'); // the word suggestions typing opened
    const edited = await editorText(page, replayTab);
    assert.match(edited, /^X-Edited: 1$/m);
    assert.match(edited, /\n\nedited by replay$/);
    await lens.click();
    const response = editorGroup(page, /^Response to replay-/).locator('.view-lines', { hasText: 'HTTP/1.1 200 OK' });
    await response.waitFor({ timeout: 30_000 });
    const responseDoc = await editorText(page, /^Response to replay-/);
    assert.match(responseDoc, new RegExp(`^# PUT ${url}/bar answered in \\d+\\.\\d ms$`, 'm'));
    assert.match(responseDoc, /^Content-Length: \d+$/m);
    assert.match(responseDoc, /^Connection: (keep-alive|close)$/m);
    assert.equal(await (await fetch(`${url}/foo`)).text(), 'edited by replay', 'the app got the edited body');

    // The replay's row, marked, on top of the same boot.
    const replayRow = page.locator('.monaco-list-row', { hasText: 'PUT /bar' }).filter({ hasText: 'replay' });
    await replayRow.waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('.monaco-list-row', { hasText: 'PUT /bar' }).count(), 2);
    await screenshot(page, 'replay-3-response');

    // Stop: the boot ended, the heap is no longer told; Run again: a new boot's separator on top.
    await runCommand(page, 'Uniwasm: Stop Unikernel');
    await statusBarText(page, 'Uniwasm: stopped', 30_000);
    await boots.first().filter({ hasText: 'ended' }).waitFor({ timeout: 10_000 });
    await requestsHeader(page).locator('.description', { hasText: /^\d+$/ }).waitFor({ timeout: 10_000 });
    await runCommand(page, 'Uniwasm: Run Unikernel');
    await statusBarText(page, `serving http://127.0.0.1:${port}`, 180_000);
    await boots.first().filter({ hasText: 'serving' }).waitFor({ timeout: 30_000 });
    assert.equal(await boots.count(), 2);
    assert.match(await boots.nth(1).innerText(), /ended/);
    await screenshot(page, 'replay-4-second-boot');
    await runCommand(page, 'Uniwasm: Stop Unikernel');
    await statusBarText(page, 'Uniwasm: stopped', 30_000);
  }, { width: 1600, height: 1000 });
});
