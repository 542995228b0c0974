// The traffic views in a real VS Code (code-server + Chromium), fed by the guest's trace port: Run the
// demo from the palette, request /hello and PUT /bar, then the Uniwasm sidebar lists GET /hello under
// HTTP Requests and the KeyValue Traffic webview shows the set on my-container with the SET MONITOR saw.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { freePort } from '../../src/util/ports';
import { pidsMatching, qemuOfRun } from '../support/processes';
import {
  type CodeServer, exampleWorkspace, kvFrame, packageWithKernel, type Page, runCommand, RUNS, screenshot, startCodeServer,
  statusBarText, withWorkbench,
} from './harness';

let server: CodeServer;
let port: number;
const workspace = join(RUNS, 'traffic-ui-app');

before(async () => {
  const vsix = packageWithKernel();
  exampleWorkspace(workspace, 'http-server-demo');
  port = await freePort();
  server = await startCodeServer({ name: 'traffic-ui', workspace, vsix: [vsix], settings: { 'uniwasm.hostPort': port } });
});

after(() => server?.stop());

/** Drags the side bar's edge to the right, so the KeyValue table is readable in the screenshot. */
async function widenSideBar(page: Page): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box) throw new Error('no side bar');
  const edge = { x: box.x + box.width + 1, y: box.y + box.height / 2 };
  await page.mouse.move(edge.x, edge.y);
  await page.mouse.down();
  await page.mouse.move(900, edge.y, { steps: 5 });
  await page.mouse.up();
}

test('run the demo, then its requests and KeyValue calls show in the Uniwasm sidebar', async () => {
  await withWorkbench(server.workbenchUrl, 'traffic-ui', async (page) => {
    await statusBarText(page, 'Uniwasm: stopped', 60_000);
    await runCommand(page, 'Uniwasm: Run Unikernel');
    await statusBarText(page, `serving http://127.0.0.1:${port}`, 180_000);

    // The KeyValue view gets rows only while visible; its stats line says when MONITOR is on, so the
    // SET below is seen by it.
    await runCommand(page, 'Uniwasm: Focus on KeyValue Traffic View');
    const kv = await kvFrame(page);
    await kv.locator('#stats', { hasText: 'MONITOR monitoring' }).waitFor({ timeout: 30_000 });

    const url = `http://127.0.0.1:${port}`;
    const hello = await fetch(`${url}/hello`);
    assert.equal(await hello.text(), 'hello, world\n');
    const put = await fetch(`${url}/bar`, { method: 'PUT', body: 'hello' });
    assert.equal(put.status, 200);

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
    assert.match(await setRow.locator('td.wit').innerText(), /key: string = "key"/);
    // init's open, traced during the boot (before the view was ever shown), is kept too.
    await kv.locator('tbody tr.call td.wit', { hasText: 'keyvalue.open(name: string = "my-container")' }).waitFor({ timeout: 10_000 });
    await widenSideBar(page);
    await screenshot(page, 'traffic-requests-and-kv');

    await runCommand(page, 'Uniwasm: Stop Unikernel');
    await statusBarText(page, 'Uniwasm: stopped', 30_000);
    assert.deepEqual(pidsMatching('qemu-system-x86_64', qemuOfRun(port)), [], 'no QEMU left');
  });
});
