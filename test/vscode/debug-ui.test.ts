// Source-level Wasm debugging in a real VS Code (code-server + Chromium): a workspace with the demo
// app's sources, its app.c open, a breakpoint set with F9 on the first line of handle-hello's body,
// F5 (the adapter builds the app with UNIWASM_PROFILE=debug, so the module has DWARF), GET /hello
// from Node stops the app, and the editor shows the stop: the paused-line highlight on that line,
// the Call Stack with the C handler in app.c under the `handle-hello` export. F5 again lets the
// answer out, Shift+F5 ends the session and its QEMU. The same in a workspace with the C component's
// sources (examples/http-component-c): the stop in `hello`, under `dispatch`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/util/ports';
import { helloBodyLine } from '../support/debug';
import { pidsMatching, qemuOfRun } from '../support/processes';
import { REPO, RUNS, type CodeServer, type Page, screenshot, startCodeServer, statusBarText, withWorkbench, exampleWorkspace, packageWithKernel } from './harness';

let server: CodeServer;
let port: number;
const workspace = join(RUNS, 'debug-ui-app');
const componentWorkspace = join(RUNS, 'debug-ui-component');
before(async () => {
  const vsix = packageWithKernel();
  exampleWorkspace(workspace, 'http-server-demo', 'debug-ui-app');
  copyComponent(componentWorkspace);
  port = await freePort();
  server = await startCodeServer({ name: 'debug-ui', workspace, vsix: [vsix], settings: { 'uniwasm.hostPort': port } });
});

/**
 * A copy of examples/http-component-c (its sources and build script, which finds the component
 * tools two folders up: here they are the repository's), so that this test's builds never race
 * another test's build of the example.
 */
function copyComponent(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const example = join(REPO, 'examples', 'http-component-c');
  cpSync(join(example, 'src'), join(dir, 'src'), { recursive: true });
  cpSync(join(example, 'uniwasm.json'), join(dir, 'uniwasm.json'));
  const script = readFileSync(join(example, 'build.sh'), 'utf8');
  const tools = 'tools=$(cd "$app_dir/../.." && pwd)/.uniwasm/tools';
  assert.ok(script.includes(tools), `build.sh finds its tools otherwise: update this copy (${tools})`);
  writeFileSync(join(dir, 'build.sh'), script.replace(tools, `tools=${join(REPO, '.uniwasm', 'tools')}`));
}

/** The 1-based line of the one statement of `hello` in the component's app.c. */
function componentHelloLine(): number {
  const lines = readFileSync(join(componentWorkspace, 'src', 'app.c'), 'utf8').split('\n');
  const start = lines.indexOf('static void hello(exchange_t *x) {');
  assert.ok(start >= 0, 'hello() in the component\'s app.c');
  return start + 2;
}

after(() => server?.stop());

/** The Call Stack view's rows (thread, frames), as VS Code labels them. */
async function callStack(page: Page): Promise<string[]> {
  return page.locator('.debug-call-stack .monaco-list-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''));
}

/**
 * The editor lines (1-based) that carry `className` as a whole-line decoration. Monaco draws such a
 * decoration in the view overlay row of its line, at the same `top` as that line's number in the
 * margin: the line number is read from there.
 */
async function decoratedLines(page: Page, className: string): Promise<number[]> {
  const editor = page.locator('.editor-instance .monaco-editor').first();
  const top = (style: string | null) => /top:\s*(-?[\d.]+)px/.exec(style ?? '')?.[1];
  const margin = await editor.locator('.margin-view-overlays > div').evaluateAll((rows) =>
    rows.map((r) => ({ style: r.getAttribute('style'), number: r.querySelector('.line-numbers')?.textContent?.trim() ?? '' })));
  const decorated = await editor.locator(`.view-overlays > div:has(.${className})`).evaluateAll((rows) => rows.map((r) => r.getAttribute('style')));
  return decorated.map((style) => Number(margin.find((m) => m.number && top(m.style) === top(style))?.number ?? NaN));
}

/** What one F9 / F5 / GET /hello scenario expects of the stop. */
interface Expected {
  /** The breakpoint's line in app.c. */
  line: number;
  /** The Call Stack row of the stopped C function (at app.c:line), and a row under it. */
  top: RegExp;
  caller: RegExp;
  /** Names the screenshots. */
  name: string;
}

/** F9 on `line` of app.c, F5, GET /hello: the stop in the editor and the Call Stack; continue → 200; Stop → no QEMU. */
async function breakpointAtLine(page: Page, e: Expected): Promise<void> {
  const { line } = e;
  await statusBarText(page, 'Uniwasm: stopped', 60_000);
  // The app's source in the editor: F5 without a launch.json picks the debugger for C (ours).
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').fill('app.c');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'app.c' }).first().click();
  await page.locator('.editor-instance .monaco-editor').first().waitFor();
  await page.locator('.editor-instance .monaco-editor .view-lines').first().click();

  // Go to the line (Ctrl+G) and toggle a breakpoint there (F9).
  await page.keyboard.press('Control+G');
  await page.locator('.quick-input-widget input').fill(`:${line}`);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  await statusBarText(page, new RegExp(`Ln ${line},`));
  await page.keyboard.press('F9');
  // The Breakpoints section of the Run and Debug view lists it as app.c at that line.
  await page.keyboard.press('Control+Shift+D');
  const bpRow = page.locator('.debug-breakpoints .monaco-list-row', { hasText: 'app.c' }).first();
  await bpRow.waitFor();
  assert.match(await bpRow.innerText(), new RegExp(`\\b${line}\\b`));

  await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
  await page.keyboard.press('F5');
  const url = `http://127.0.0.1:${port}`;
  // Launching builds (debug profile), instruments and boots; the guest answers (404 on /) once it serves.
  for (const deadline = Date.now() + 180_000; !(await fetch(`${url}/`).then(() => true, () => false)); ) {
    assert.ok(Date.now() < deadline, 'the debugged guest never answered HTTP');
    await page.waitForTimeout(250);
  }
  const answer = fetch(`${url}/hello`);
  answer.catch(() => undefined); // awaited below

  // The stop in the editor: the paused-line highlight on the breakpoint's line of app.c.
  await page.locator('.editor-instance .monaco-editor .debug-top-stack-frame-line').first().waitFor({ timeout: 60_000 });
  assert.deepEqual(await decoratedLines(page, 'debug-top-stack-frame-line'), [line]);
  assert.match(await page.locator('.tabs-container .tab.active').getAttribute('aria-label') ?? '', /^app\.c\b/);
  // The Call Stack: the C function in app.c, under its caller.
  await page.locator('.debug-call-stack .monaco-list-row', { hasText: e.caller }).first().waitFor({ timeout: 30_000 });
  const rows = await callStack(page);
  const top = rows.findIndex((r) => e.top.test(r));
  assert.ok(top >= 0 && new RegExp(`app\\.c.*\\b${line}\\b|\\b${line}\\b.*app\\.c`).test(rows[top]!), rows.join('\n'));
  assert.ok(rows.slice(top + 1).some((r) => e.caller.test(r)), rows.join('\n'));
  assert.equal(pidsMatching('qemu-system-x86_64', qemuOfRun(port), 'wasm_debug=').length, 1, 'the instrumented app runs');
  await screenshot(page, `${e.name}-stopped-at-line-in-app-c`);

  await page.keyboard.press('F5');
  const res = await answer;
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'hello, world\n');
  await screenshot(page, `${e.name}-continued`);

  await page.keyboard.press('Shift+F5');
  for (const deadline = Date.now() + 30_000; pidsMatching('qemu-system-x86_64', qemuOfRun(port)).length; ) {
    assert.ok(Date.now() < deadline, 'QEMU still runs after Stop');
    await page.waitForTimeout(200);
  }
}

test('F9 on a line of handle-hello in app.c, F5, GET /hello stops there in the editor, continue answers 200, stop leaves no QEMU', async () => {
  await withWorkbench(server.workbenchUrl, 'debug-ui', (page) =>
    breakpointAtLine(page, { line: helloBodyLine(), top: /exports_http_server_demo_handle_hello/, caller: /handle-hello/, name: 'debug-ui' }));
});

test('a component: F9 in hello() of its app.c, F5, GET /hello stops there under dispatch, continue answers 200', async () => {
  const url = `${server.url}/?folder=${encodeURIComponent(componentWorkspace)}`;
  await withWorkbench(url, 'debug-ui-component', (page) =>
    breakpointAtLine(page, { line: componentHelloLine(), top: /^hello\b|\bhello\b.*app\.c/, caller: /dispatch/, name: 'debug-ui-component' }));
});
