// Source-level Wasm debugging in a real VS Code (code-server + Chromium): a workspace with the demo
// app's sources, its app.c open, a breakpoint set with F9 on the first line of handle-hello's body,
// F5 (the adapter builds the app with UNIWASM_PROFILE=debug, so the module has DWARF), GET /hello
// from Node stops the app, and the editor shows the stop: the paused-line highlight on that line,
// the Call Stack with the C handler in app.c under the `handle-hello` export. F5 again lets the
// answer out, Shift+F5 ends the session and its QEMU. While stopped, the Uniwasm sidebar shows the
// request as in flight, paused in the debugger (and the demo's KeyValue calls), the status bar says
// "debugging"; once continued the request is answered there. The same in a workspace with the C
// component's sources (examples/http-component-c): the stop in `hello`, under `dispatch`. F9 in
// handle-bar and PUT /bar: the Variables pane shows `req` and its `uri`, a watch expression the body.
// And F5 while Run serves the port asks to stop the run, then debugs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/util/ports';
import { barLine, helloBodyLine } from '../support/debug';
import { pidsMatching, qemuOfRun } from '../support/processes';
import {
  REPO, RUNS, type CodeServer, type Page, kvFrame, runCommand, screenshot, startCodeServer, statusBarText, withWorkbench, exampleWorkspace,
  packageWithKernel,
} from './harness';

let server: CodeServer;
let port: number;
const workspace = join(RUNS, 'debug-ui-app');
const componentWorkspace = join(RUNS, 'debug-ui-component');
before(async () => {
  const vsix = packageWithKernel();
  exampleWorkspace(workspace, 'http-server-demo', 'debug-ui-app');
  copyComponent(componentWorkspace);
  port = await freePort();
  // The port attributes API is a proposal VS Code enables per extension: on, so the Ports view can be checked.
  server = await startCodeServer({ name: 'debug-ui', workspace, vsix: [vsix], settings: { 'uniwasm.hostPort': port }, proposedApiFor: ['uniwasm.uniwasm'] });
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
  /** A KeyValue call the app makes at boot, as the KeyValue Traffic view shows it; none for an app without KeyValue. */
  bootKv?: string;
}

/** Opens the app's app.c in the editor and puts the cursor in it (F5 without a launch.json picks the debugger for C: ours). */
async function openAppC(page: Page): Promise<void> {
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').fill('app.c');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'app.c' }).first().click();
  await page.locator('.editor-instance .monaco-editor').first().waitFor();
  await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
}

/** Waits until no QEMU serves the test's port. */
async function noQemuLeft(page: Page): Promise<void> {
  for (const deadline = Date.now() + 30_000; pidsMatching('qemu-system-x86_64', qemuOfRun(port)).length; ) {
    assert.ok(Date.now() < deadline, 'QEMU still runs after Stop');
    await page.waitForTimeout(200);
  }
}

/** The HTTP Requests row of GET /hello. */
const helloRow = (page: Page) => page.locator('.monaco-list-row', { hasText: 'GET /hello' }).first();

/** While the app is stopped in GET /hello: the sidebar shows that request in flight, paused, and the status bar says "debugging". */
async function sidebarWhileStopped(page: Page, e: Expected): Promise<void> {
  await statusBarText(page, `Uniwasm: debugging http://127.0.0.1:${port}`);
  await runCommand(page, 'Uniwasm: Focus on HTTP Requests View');
  await helloRow(page).waitFor({ timeout: 30_000 });
  await page.locator('.monaco-list-row', { hasText: 'GET /hello' }).filter({ hasText: 'in flight · paused' }).first().waitFor({ timeout: 30_000 });
  if (e.bootKv) {
    await runCommand(page, 'Uniwasm: Focus on KeyValue Traffic View');
    const kv = await kvFrame(page);
    await kv.locator('tbody tr.call td.wit', { hasText: e.bootKv }).first().waitFor({ timeout: 30_000 });
    await runCommand(page, 'Uniwasm: Focus on HTTP Requests View');
  }
  await screenshot(page, `${e.name}-request-in-flight-in-sidebar`);
}

/** F9 on `line` of app.c, F5: resolves with the debugged guest's URL once it answers HTTP. */
async function launchWithBreakpoint(page: Page, line: number): Promise<string> {
  await statusBarText(page, 'Uniwasm: stopped', 60_000);
  await openAppC(page);

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
  // From the start of the launch the status bar says what goes on: the debug build, then the debugged run.
  await statusBarText(page, /Uniwasm: (building|debugging)/);
  const url = `http://127.0.0.1:${port}`;
  // Launching builds (debug profile), instruments and boots; the guest answers (404 on /) once it serves.
  for (const deadline = Date.now() + 180_000; !(await fetch(`${url}/`).then(() => true, () => false)); ) {
    assert.ok(Date.now() < deadline, 'the debugged guest never answered HTTP');
    await page.waitForTimeout(250);
  }
  return url;
}

/** F9 on `line` of app.c, F5, GET /hello: the stop in the editor and the Call Stack; continue → 200; Stop → no QEMU. */
async function breakpointAtLine(page: Page, e: Expected): Promise<void> {
  const { line } = e;
  const url = await launchWithBreakpoint(page, line);
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
  await sidebarWhileStopped(page, e);

  await page.keyboard.press('F5');
  const res = await answer;
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'hello, world\n');
  // Answered: the row leaves "in flight" for its status.
  await page.locator('.monaco-list-row', { hasText: 'GET /hello' }).filter({ hasText: '200' }).first().waitFor({ timeout: 30_000 });
  assert.doesNotMatch(await helloRow(page).innerText(), /in flight/);
  await screenshot(page, `${e.name}-continued`);

  await page.keyboard.press('Shift+F5');
  await noQemuLeft(page);
  await statusBarText(page, 'Uniwasm: stopped');
}

test('F9 on a line of handle-hello in app.c, F5, GET /hello stops there in the editor, continue answers 200, stop leaves no QEMU', async () => {
  await withWorkbench(server.workbenchUrl, 'debug-ui', (page) =>
    breakpointAtLine(page, {
      line: helloBodyLine(), top: /exports_http_server_demo_handle_hello/, caller: /handle-hello/, name: 'debug-ui',
      bootKv: 'keyvalue.open(name: string = "my-container")',
    }));
});

/** The Variables or Watch pane's rows, as VS Code labels them. */
async function paneRows(page: Page, pane: 'variables' | 'watch'): Promise<string[]> {
  return page.locator(`.debug-${pane} .monaco-list-row`).evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? r.textContent ?? ''));
}

/** The Variables pane's row of the variable named `name` (a row reads `name = value`). */
function variableRow(page: Page, name: string) {
  const named = new RegExp(`^\\s*${name.replace(/[*]/g, '\\$&')}\\s*[=:]`);
  return page.locator('.debug-variables .monaco-list-row', { hasText: named }).first();
}

/** Opens the Variables pane's row named `name` (selects it, then ArrowRight expands it). */
async function expandVariable(page: Page, name: string): Promise<void> {
  await variableRow(page, name).waitFor({ timeout: 30_000 });
  await variableRow(page, name).click();
  await page.keyboard.press('ArrowRight');
  await variableRow(page, name).and(page.locator('[aria-expanded="true"]')).waitFor({ timeout: 30_000 });
}

test('F9 in handle-bar, F5, PUT /bar: the Variables pane shows req and its uri, a watch shows the body, continue answers 200', async () => {
  await withWorkbench(server.workbenchUrl, 'debug-ui-variables', async (page) => {
    const line = barLine('if (req->body.is_some)');
    const url = await launchWithBreakpoint(page, line);
    const answer = fetch(`${url}/bar`, { method: 'PUT', body: 'hello-vars' });
    answer.catch(() => undefined); // awaited below
    await page.locator('.editor-instance .monaco-editor .debug-top-stack-frame-line').first().waitFor({ timeout: 60_000 });
    assert.deepEqual(await decoratedLines(page, 'debug-top-stack-frame-line'), [line]);

    // Variables: the Arguments scope lists req; req opens to *req, whose uri is the request's path.
    await page.locator('.debug-variables .monaco-list-row', { hasText: 'Arguments' }).first().waitFor({ timeout: 30_000 });
    await expandVariable(page, 'req');
    await expandVariable(page, '*req');
    const uri = variableRow(page, 'uri');
    await uri.waitFor({ timeout: 30_000 });
    assert.match(await uri.innerText(), /"\/bar"/, (await paneRows(page, 'variables')).join('\n'));

    // Watch: a C expression over the stopped frame's variables.
    // The Watch pane's "Add Expression" button shows while its header is hovered; it opens an input in the pane.
    const watchHeader = page.locator('.pane-header', { hasText: /^\s*Watch/ }).first();
    await watchHeader.hover();
    await watchHeader.locator('.action-label[aria-label^="Add Expression"]').click();
    await page.locator('.debug-watch input').first().waitFor({ timeout: 30_000 });
    await page.keyboard.type('req->body.val');
    await page.keyboard.press('Enter');
    const watch = page.locator('.debug-watch .monaco-list-row', { hasText: 'req->body.val' }).first();
    await watch.filter({ hasText: 'hello-vars' }).waitFor({ timeout: 30_000 });
    assert.match(await watch.innerText(), /"hello-vars"/, (await paneRows(page, 'watch')).join('\n'));
    // The mouse leaves the Watch header, so its tooltip covers no value in the picture.
    await page.locator('.editor-instance .monaco-editor .view-lines').first().hover();
    await screenshot(page, 'debug-ui-variables-and-watch');

    await page.keyboard.press('F5');
    assert.equal((await answer).status, 200);
    await page.keyboard.press('Shift+F5');
    await noQemuLeft(page);
    await statusBarText(page, 'Uniwasm: stopped');
  }, { width: 1600, height: 1000 });
});

test('a component: F9 in hello() of its app.c, F5, GET /hello stops there under dispatch, continue answers 200', async () => {
  const url = `${server.url}/?folder=${encodeURIComponent(componentWorkspace)}`;
  await withWorkbench(url, 'debug-ui-component', (page) =>
    breakpointAtLine(page, { line: componentHelloLine(), top: /^hello\b|\bhello\b.*app\.c/, caller: /dispatch/, name: 'debug-ui-component' }));
});

test('F5 while Run serves the port asks to stop the run, then debugs on that port', async () => {
  await withWorkbench(server.workbenchUrl, 'debug-ui-while-running', async (page) => {
    await statusBarText(page, 'Uniwasm: stopped', 60_000);
    await runCommand(page, 'Uniwasm: Run Unikernel');
    await statusBarText(page, `serving http://127.0.0.1:${port}`, 180_000);
    const served = pidsMatching('qemu-system-x86_64', qemuOfRun(port));
    assert.equal(served.length, 1, 'Run serves');

    await openAppC(page);
    await page.keyboard.press('F5');
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'the port the debugger needs' });
    await dialog.waitFor({ timeout: 60_000 });
    await screenshot(page, 'debug-ui-while-running-asks');
    await dialog.locator('.monaco-button', { hasText: 'Stop Run and Debug' }).click();

    // The run's QEMU goes, the debugger's (the instrumented app) comes on the same port.
    await statusBarText(page, `Uniwasm: debugging http://127.0.0.1:${port}`, 180_000);
    assert.deepEqual(pidsMatching('qemu-system-x86_64', qemuOfRun(port)).filter((pid) => served.includes(pid)), [], 'the run stopped');
    const debugged = pidsMatching('qemu-system-x86_64', qemuOfRun(port), 'wasm_debug=');
    assert.equal(debugged.length, 1, 'the debugger boots the app');
    await screenshot(page, 'debug-ui-while-running-debugging');

    // The Ports view: VS Code forwards the app's port, not the run's own Redis and gdbstub. They all
    // listen from QEMU's start on, so once the app's port is listed the others would be too.
    const qemuLine = readFileSync(`/proc/${debugged[0]}/cmdline`, 'utf8').replaceAll('\0', ' ');
    const gdb = /-gdb tcp:127\.0\.0\.1:(\d+)/.exec(qemuLine)?.[1];
    const redis = /\bredis=10\.0\.2\.2:(\d+)/.exec(qemuLine)?.[1];
    assert.ok(gdb && redis, qemuLine);
    await runCommand(page, 'Ports: Focus on Ports View');
    const portRows = page.locator('.part.panel .monaco-list-row');
    await portRows.filter({ hasText: String(port) }).first().waitFor({ timeout: 60_000 });
    // A row opens with its port (its process column names QEMU's command line, which holds the others' numbers).
    const listed = await portRows.evaluateAll((rows) => rows.map((r) => (r.textContent ?? '').trim()));
    const forwarded = (p: string) => listed.some((r) => new RegExp(`^${p}\\b`).test(r));
    assert.ok(!forwarded(gdb) && !forwarded(redis), `gdbstub ${gdb} and Redis ${redis} are not forwarded:\n${listed.join('\n')}`);
    await screenshot(page, 'debug-ui-ports');

    await page.keyboard.press('Shift+F5');
    await noQemuLeft(page);
    await statusBarText(page, 'Uniwasm: stopped');
  });
});
