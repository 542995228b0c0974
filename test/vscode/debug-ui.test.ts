// Source-level Wasm debugging in a real VS Code (code-server + Chromium): a workspace with the demo
// app's sources, its app.c open, a breakpoint set with F9 on the first line of handle-hello's body,
// F5 (the adapter builds the app with UNIWASM_PROFILE=debug, so the module has DWARF), GET /hello
// from Node stops the app, and the editor shows the stop: the paused-line highlight on that line,
// the Call Stack with the C handler in app.c under the `handle-hello` export. F5 again lets the
// answer out, Shift+F5 ends the session and its QEMU. While stopped, the Uniwasm sidebar shows the
// request as in flight, paused in the debugger (and the demo's KeyValue calls), the status bar says
// "debugging"; once continued the request is answered there. The same in a workspace with the C
// component's sources (examples/http-component-c): the stop in `hello`, under `dispatch`. F9 in
// handle-bar and PUT /bar: the Variables pane shows `req` and its `uri`, a watch expression the body,
// the mouse on `req` in the editor its value; "Break on Value Change" on the local `value.len` stops
// at the line that writes it, where a hover shows the value written.
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

/** A row of a view's tree (a Locator). */
type Row = ReturnType<Page['locator']>;

/** Opens a row of the Variables pane unless it is open (selects it, then ArrowRight expands it). */
async function expandRow(page: Page, row: Row): Promise<void> {
  await row.waitFor({ timeout: 30_000 });
  if (await row.getAttribute('aria-expanded') === 'true') return;
  await row.click();
  await page.keyboard.press('ArrowRight');
  await row.and(page.locator('[aria-expanded="true"]')).waitFor({ timeout: 30_000 });
}

/** Opens the Variables pane's row named `name`. */
const expandVariable = (page: Page, name: string) => expandRow(page, variableRow(page, name));

/** Opens the Variables pane's scope row `name` (Arguments, Locals, ...). */
const expandScope = (page: Page, name: string) =>
  expandRow(page, page.locator('.debug-variables .monaco-list-row', { hasText: new RegExp(`^\\s*${name}\\s*$`) }).first());

/** Waits until the editor's paused-line highlight is on `line` alone (a continue takes it off the old line first). */
async function pausedAt(page: Page, line: number): Promise<void> {
  for (const deadline = Date.now() + 60_000; ; await page.waitForTimeout(100)) {
    const lines = await decoratedLines(page, 'debug-top-stack-frame-line');
    if (lines.length === 1 && lines[0] === line) return;
    assert.ok(Date.now() < deadline, `the paused line is ${lines.join(', ') || 'nowhere'}, not ${line}`);
  }
}

/**
 * Puts the mouse on the first `word` of `line` in the open editor (where Monaco renders its text) and
 * resolves with the debug hover widget that opens there, once it shows the value `shows`.
 */
async function hoverWord(page: Page, line: number, word: string, shows: string) {
  // Read in one go in the page, as Monaco reuses its line elements when it renders again (and read
  // again while it renders). The view line sits at the same `top` as its number in the margin; the
  // editor's font is monospaced, so the word's place is its column times the width of a character.
  const find = () => page.locator('.editor-instance .monaco-editor').first().evaluate((editor, [line, word]) => {
    const top = (row: { getAttribute(name: string): string | null }) => /top:\s*(-?[\d.]+)px/.exec(row.getAttribute('style') ?? '')?.[1];
    const number = [...editor.querySelectorAll('.margin-view-overlays > div')].find((row) => row.querySelector('.line-numbers')?.textContent?.trim() === line);
    const text = [...editor.querySelectorAll('.view-lines > .view-line')].find((row) => number && top(row) === top(number))?.querySelector(':scope > span');
    const at = text?.textContent?.indexOf(word) ?? -1;
    if (!text || at < 0) return undefined;
    const box = text.getBoundingClientRect();
    return { x: box.x + ((at + word.length / 2) * box.width) / text.textContent!.length, y: box.y + box.height / 2 };
  }, [String(line), word]);
  let point = await find();
  for (const deadline = Date.now() + 30_000; !point; point = await find()) {
    assert.ok(Date.now() < deadline, `${word} is not shown on line ${line}`);
    await page.waitForTimeout(100);
  }
  await page.mouse.move(point.x, point.y);
  // The value is the hover's title (over the tree of an expandable one) or its only line; a tree once shown stays in the widget, hidden.
  const widget = page.locator('.debug-hover-widget');
  const escaped = shows.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await widget.locator('.value:visible', { hasText: new RegExp(`^\\s*${escaped}\\s*$`) }).first().waitFor({ timeout: 30_000 });
  return widget;
}

/** Moves the mouse out of the editor, onto the panel's output, and waits until the debug hover is gone. */
async function leaveHover(page: Page): Promise<void> {
  await page.locator('.part.panel').hover();
  await page.locator('.debug-hover-widget').waitFor({ state: 'hidden', timeout: 30_000 });
}

/**
 * Right-clicks `row` and runs the context menu's item `item`: the mouse on the item gives it the menu's
 * focus, Enter runs it (a click straight after the menu opened was sometimes not taken, on a loaded machine).
 */
async function contextMenu(page: Page, row: Row, item: string): Promise<void> {
  await row.click({ button: 'right' });
  const menuItem = page.locator('.context-view .monaco-menu .action-item', { hasText: item }).first();
  await menuItem.hover();
  await menuItem.and(page.locator('.focused')).waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
  await page.locator('.context-view .monaco-menu').waitFor({ state: 'hidden', timeout: 30_000 });
}

test('F9 in handle-bar, F5, PUT /bar: Variables show req and its uri, a watch the body, a hover req; a data breakpoint on value.len stops where it is written; continue answers 200', async () => {
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

    // Hover: the mouse on `req` in the stopped line shows its value (the address it holds), and what it points at.
    // First the toasts go (on a busy machine code-server says it forwards many ports), so the picture shows the panel.
    await runCommand(page, 'Notifications: Clear All Notifications');
    const reqValue = (await variableRow(page, 'req').innerText()).replace(/^\s*req\s*=\s*/, '').trim();
    const reqHover = await hoverWord(page, line, 'req', reqValue);
    // Opened in the hover, *req shows the request's uri.
    const pointee = reqHover.locator('.monaco-list-row', { hasText: '*req' }).first();
    if (await pointee.getAttribute('aria-expanded') !== 'true') await pointee.click();
    await reqHover.locator('.monaco-list-row', { hasText: /uri\s*=\s*"\/bar"/ }).first().waitFor({ timeout: 30_000 });
    await screenshot(page, 'debug-ui-hover');
    await leaveHover(page);

    // A data breakpoint the way a user sets one: Locals, value, right-click its len, "Break on Value Change".
    await expandScope(page, 'Locals');
    await expandVariable(page, 'value');
    await contextMenu(page, variableRow(page, 'len'), 'Break on Value Change');
    // The Breakpoints view lists it by what it watches.
    const dataBreakpoint = page.locator('.debug-breakpoints .monaco-list-row', { hasText: /len: linear memory 0x[0-9a-f]+/ }).first();
    await dataBreakpoint.waitFor({ timeout: 30_000 });

    // Continue: the stop is on the line that wrote value.len, paused "on data breakpoint".
    await page.keyboard.press('F5');
    const written = barLine('value.len =');
    await page.locator('.pane-header', { hasText: /^\s*Call Stack/ }).filter({ hasText: /Paused on data breakpoint/i }).first().waitFor({ timeout: 60_000 });
    await pausedAt(page, written);
    const rows = await callStack(page);
    const top = rows.find((r) => /exports_http_server_demo_handle_bar/.test(r)) ?? '';
    assert.ok(/app\.c/.test(top) && new RegExp(`\\b${written}\\b`).test(top), rows.join('\n'));
    // The value written: value.len holds the body's length, in the Variables pane and in a hover on it.
    await variableRow(page, 'len').filter({ hasText: /=\s*10\b/ }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'debug-ui-data-breakpoint');
    await hoverWord(page, written, 'len', '10');
    await leaveHover(page);

    // Removed from the Breakpoints view (the stack slot it watches is reused once handle-bar returns), continue answers.
    await contextMenu(page, dataBreakpoint, 'Remove Breakpoint');
    await dataBreakpoint.waitFor({ state: 'detached', timeout: 30_000 });
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
