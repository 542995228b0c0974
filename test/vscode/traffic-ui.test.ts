// The traffic views in a real VS Code (code-server + Chromium), fed by the guest's trace port: Run the
// demo from the palette, request /hello, PUT /bar and GET /foo, send a Redis-only DEL, then the Uniwasm
// sidebar lists the requests under HTTP Requests and the KeyValue Traffic webview shows the calls with
// the commands MONITOR saw, readable at the side bar's default width, in time order, linked to their
// requests, with codicon Pause/Clear in its title bar.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort } from '../../src/util/ports';
import { pidsMatching, qemuOfRun } from '../support/processes';
import { TestRedis } from '../support/redis';
import {
  type CodeServer, exampleWorkspace, kvFrame, packageWithKernel, type Page, runCommand, RUNS, screenshot, SCREENSHOTS, startCodeServer,
  statusBarText, withWorkbench,
} from './harness';

let server: CodeServer;
let port: number;
let redis: TestRedis;
const workspace = join(RUNS, 'traffic-ui-app');

before(async () => {
  const vsix = packageWithKernel();
  exampleWorkspace(workspace, 'http-server-demo');
  port = await freePort();
  // A Redis of the test's own, so it can send a command no WIT call makes.
  redis = new TestRedis(await freePort());
  await redis.start();
  server = await startCodeServer({
    name: 'traffic-ui', workspace, vsix: [vsix], settings: { 'uniwasm.hostPort': port, 'uniwasm.redisUrl': `redis://127.0.0.1:${redis.port}` },
  });
});

after(async () => {
  await server?.stop();
  await redis?.kill();
});

/** Drags the side bar's edge to the right, so the KeyValue table shows its wide layout in the screenshot. */
async function widenSideBar(page: Page): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box) throw new Error('no side bar');
  const edge = { x: box.x + box.width + 1, y: box.y + box.height / 2 };
  await page.mouse.move(edge.x, edge.y);
  await page.mouse.down();
  await page.mouse.move(1300, edge.y, { steps: 5 });
  await page.mouse.up();
}

/** The page's own, for code evaluated in the browser (the tests compile without the DOM library). */
declare const getComputedStyle: (e: unknown, pseudo?: string) => { fontFamily: string; content: string; lineHeight: string };

interface Cell {
  row: string;
  cls: string;
  text: string;
  width: number;
  scroll: number;
  height: number;
  line: number;
}

test('run the demo, then its requests and KeyValue calls show in the Uniwasm sidebar, readable at its default width', async () => {
  await withWorkbench(server.workbenchUrl, 'traffic-ui', async (page) => {
    await statusBarText(page, 'Uniwasm: stopped', 60_000);
    await runCommand(page, 'Uniwasm: Run Unikernel');
    await statusBarText(page, `serving http://127.0.0.1:${port}`, 180_000);

    // The KeyValue view gets rows only while visible; its stats line says when MONITOR is on, so the
    // commands below are seen by it.
    await runCommand(page, 'Uniwasm: Focus on KeyValue Traffic View');
    const kv = await kvFrame(page);
    await kv.locator('#stats', { hasText: 'MONITOR monitoring' }).waitFor({ timeout: 30_000 });

    const url = `http://127.0.0.1:${port}`;
    const hello = await fetch(`${url}/hello`);
    assert.equal(await hello.text(), 'hello, world\n');
    // A Redis-only DEL before the PUT: its row reaches the view late (once no call claimed it), yet sits below the PUT's.
    assert.equal(redis.cli('DEL', 'other:gone'), '0');
    const put = await fetch(`${url}/bar`, { method: 'PUT', body: 'hello' });
    assert.equal(put.status, 200);
    const foo = await fetch(`${url}/foo`);
    assert.equal(await foo.text(), 'hello');

    // HTTP Requests: a tree row per request, labelled "METHOD path".
    await runCommand(page, 'Uniwasm: Focus on HTTP Requests View');
    const requests = page.locator('.monaco-list-row', { hasText: 'GET /hello' }).first();
    await requests.waitFor({ timeout: 30_000 });
    await page.locator('.monaco-list-row', { hasText: 'PUT /bar' }).first().waitFor({ timeout: 30_000 });
    assert.match(await requests.innerText(), /200/);

    // KeyValue Traffic: the set call on my-container, with the Redis command MONITOR saw for it.
    const setRow = kv.locator('tbody tr.call', { has: kv.locator('td.wit', { hasText: /^keyvalue\.set\(/ }) }).first();
    await setRow.waitFor({ timeout: 30_000 });
    assert.equal(await setRow.locator('td.container').innerText(), 'my-container');
    await setRow.locator('td.redis .cmd', { hasText: /^SET my-container:key\b/i }).waitFor({ timeout: 10_000 });
    // Narrow: the values only; the WIT parameter names and types are in the tooltip (and the details).
    assert.equal(await setRow.locator('td.wit').innerText(), 'keyvalue.set("key", <5 bytes>)');
    assert.match((await setRow.locator('td.wit').getAttribute('title')) ?? '', /key: string = "key"/);
    // init's open, traced during the boot (before the view was ever shown), is kept too.
    await kv.locator('tbody tr.call td.wit', { hasText: 'keyvalue.open(name: string = "my-container")' }).waitFor({ timeout: 10_000 });
    await kv.locator('tbody tr.call td.wit', { hasText: /^keyvalue\.get\("key"\)/ }).waitFor({ timeout: 10_000 });
    const delRow = kv.locator('tbody tr.orphan', { has: kv.locator('.cmd', { hasText: /^DEL other:gone$/ }) });
    await delRow.waitFor({ timeout: 30_000 });

    // Time order, newest on top: the DEL (sent before the PUT) below the set call.
    const rowIds = await kv.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
    const times = await kv.locator('tbody tr td.time').allInnerTexts();
    assert.deepEqual(times, [...times].sort().reverse(), `rows in time order: ${times.join(' ')}`);
    const setId = await setRow.getAttribute('data-id');
    const delId = await delRow.getAttribute('data-id');
    assert.ok(rowIds.indexOf(delId!) > rowIds.indexOf(setId!), `the DEL (row ${delId}) is below the set (row ${setId}): ${rowIds.join(' ')}`);

    // The side bar at its default width, and every cell of the view on one line, as wide as its text.
    const sideBar = (await page.locator('.part.sidebar').boundingBox())!;
    assert.ok(sideBar.width < 400, `the side bar has its default width (${sideBar.width} px)`);
    const cells: Cell[] = await kv.locator('tbody tr').evaluateAll((trs) => trs.flatMap((tr) =>
      [...tr.querySelectorAll('td:not(.redis), .cmd')].filter((c) => c.getClientRects().length > 0).map((c) => ({
        row: tr.getAttribute('data-id') ?? '', cls: c.className, text: c.innerText, width: c.clientWidth, scroll: c.scrollWidth,
        height: c.getBoundingClientRect().height, line: parseFloat(getComputedStyle(c).lineHeight),
      }))));
    assert.ok(cells.length >= 12, `cells measured: ${cells.length}`);
    const cut = cells.filter((c) => c.scroll > c.width || c.height > c.line * 1.5);
    assert.deepEqual(cut, [], `at ${sideBar.width} px every cell shows all its text on one line`);
    const list = await kv.locator('.table-wrap').evaluate((e) => ({ width: e.clientWidth, scroll: e.scrollWidth }));
    assert.ok(list.scroll <= list.width, `no sideways scrolling (${list.scroll} > ${list.width})`);

    // Pause and Clear: one of each, in the view's title bar, drawn with the codicon font.
    const header = page.locator('.pane-header', { has: page.locator('h3.title', { hasText: /^KeyValue Traffic$/i }) });
    await header.hover();
    const pause = header.locator('.action-label[aria-label="Pause Recording KeyValue Traffic"]');
    await pause.waitFor({ state: 'visible' });
    const glyph = await pause.evaluate((e) => ({ cls: e.className, font: getComputedStyle(e, '::before').fontFamily, content: getComputedStyle(e, '::before').content }));
    assert.match(glyph.cls, /\bcodicon-debug-pause\b/);
    assert.match(glyph.font, /codicon/i, 'the glyph comes from the codicon font, not a fallback (an empty box)');
    assert.notEqual(glyph.content, 'none');
    assert.equal(await header.locator('.action-label[aria-label="Clear KeyValue Traffic"]').count(), 1, 'one Clear');
    assert.equal(await kv.locator('button').filter({ hasText: /clear|pause/i }).count(), 0, 'no second Clear or Pause in the webview');
    await screenshot(page, 'traffic-kv-default-width');
    await page.locator('.part.sidebar').screenshot({ path: join(SCREENSHOTS, 'traffic-kv-default-width-sidebar.png') });
    await pause.click();
    await kv.locator('#stats', { hasText: /paused \(\d+ dropped\)/ }).waitFor({ timeout: 10_000 });
    await header.hover();
    const resume = header.locator('.action-label[aria-label="Resume Recording KeyValue Traffic"]');
    assert.match((await resume.getAttribute('class')) ?? '', /\bcodicon-debug-continue\b/);
    await resume.click();
    await kv.locator('#stats', { hasText: 'paused' }).waitFor({ state: 'detached', timeout: 10_000 });

    // The set call's #req opens its request: selected under HTTP Requests, its details in an editor.
    await setRow.locator('td.req a').click();
    await page.locator('.monaco-list-row.selected', { hasText: 'PUT /bar' }).waitFor({ timeout: 30_000 });
    await page.locator('.editor-instance .view-lines', { hasText: /PUT\s+\S*\/bar/ }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'traffic-kv-request-link');

    await widenSideBar(page);
    await kv.locator('thead').waitFor({ state: 'visible' }); // the wide layout: columns under heads
    await screenshot(page, 'traffic-requests-and-kv');

    await runCommand(page, 'Uniwasm: Stop Unikernel');
    await statusBarText(page, 'Uniwasm: stopped', 30_000);
    assert.deepEqual(pidsMatching('qemu-system-x86_64', qemuOfRun(port)), [], 'no QEMU left');
  }, { width: 1600, height: 1000 });
});
