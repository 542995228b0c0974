// A new user's first steps in a real VS Code (code-server + Chromium): Check Tools without wit-bindgen
// names its install line; a build says what it built, how big and how long it took; a failed build is
// one short toast with links, its clang note under its error; the sidebar's welcome offers Run, Build,
// F5 and the walkthrough, whose Build and Run steps tick; Open App while nothing runs offers Run and
// opens the app's first GET route.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { freePort } from '../../src/util/ports';
import {
  type CodeServer, exampleWorkspace, packageWithKernel, type Page, runCommand, RUNS, screenshot, startCodeServer,
  statusBarText, waitForNotification, withWorkbench,
} from './harness';

let server: CodeServer;
let port: number;
const workspace = join(RUNS, 'tools-ui-app');
const source = join(workspace, 'src', 'app.c');
let fixed: string;

/** PATH without the folders that hold a wit-bindgen: this machine as a user who has not installed it. */
function pathWithoutWitBindgen(): string {
  const holds = (dir: string) => {
    try {
      accessSync(join(dir, 'wit-bindgen'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  return (process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !holds(dir)).join(delimiter);
}

before(async () => {
  const vsix = packageWithKernel();
  exampleWorkspace(workspace, 'hello', 'tools-ui-app');
  // The app's only route is not the demo's /hello: Open App must take it from the kernel's route list.
  fixed = readFileSync(source, 'utf8').replace('hello_string_set(&route, "/hello")', 'hello_string_set(&route, "/greeting")');
  assert.match(fixed, /"\/greeting"/);
  writeFileSync(source, fixed);
  port = await freePort();
  // The packaged extension has no wit-bindgen of its own (setup puts one in a checkout's .uniwasm);
  // the app's build script still takes the checkout's, so the build works while Check Tools misses it.
  server = await startCodeServer({ name: 'tools-ui', workspace, vsix: [vsix], settings: { 'uniwasm.hostPort': port }, path: pathWithoutWitBindgen() });
});

after(() => server?.stop());

/** The window the views are designed for (issue 16). */
const WINDOW = { width: 1600, height: 1000 };

/** Runs Build Unikernel and waits until its progress notification is gone (the build is over). */
async function build(page: Page): Promise<void> {
  await runCommand(page, 'Uniwasm: Build Unikernel');
  const progress = page.locator('.notification-toast', { hasText: 'building the unikernel and the app' });
  await progress.waitFor({ timeout: 60_000 });
  await progress.waitFor({ state: 'detached', timeout: 300_000 });
}

/** The walkthrough step titled so, once it shows its tick. */
const ticked = (page: Page, title: string) => page.locator('.getting-started-step', { hasText: title, has: page.locator('.codicon.complete') });

test('Check Tools on a machine without wit-bindgen names it and the line that installs it', async () => {
  await withWorkbench(server.workbenchUrl, 'tools-check', async (page) => {
    await statusBarText(page, 'Uniwasm: stopped', 60_000);
    await runCommand(page, 'Uniwasm: Check Tools');
    const toast = await waitForNotification(page, 'Uniwasm: missing', 60_000);
    await screenshot(page, 'tools-check-missing-wit-bindgen');
    assert.match(toast, /missing wit-bindgen \(generates an app's C bindings from WIT\)\./);
    assert.ok(toast.includes('Install with: cargo install --locked wit-bindgen-cli --version 0.63.0 --no-default-features --features c'), toast);
    // Everything else is installed here: only wit-bindgen is named.
    assert.doesNotMatch(toast, /wasm-objdump|compiler-rt|qemu|apt-get/, toast);
  }, WINDOW);
});

test('a build says what it built, its size and time; a failure is one short toast with links, its note under its error', async () => {
  await withWorkbench(server.workbenchUrl, 'tools-build', async (page) => {
    await statusBarText(page, 'Uniwasm: stopped', 60_000);
    await build(page);
    const built = await waitForNotification(page, 'Built app', 10_000);
    await screenshot(page, 'tools-build-summary');
    assert.match(built, /Uniwasm: Built app hello\.wasm \(\d+(\.\d)? K?B, \d+(\.\d)? s\), with the prebuilt kernel \(\d+\.\d MB\)/);

    // A conflicting declaration: clang's error, then its note "previous declaration is here".
    writeFileSync(source, `${fixed}\nint twice(int a);\nint twice(int a, int b) { return a + b; }\n`);
    await build(page);
    const failed = await waitForNotification(page, 'app build failed', 10_000);
    assert.match(failed, /Uniwasm: app build failed \(1 error\): Problems · Output/);
    assert.doesNotMatch(failed, /build-c-app\.sh|bash/, 'no command line in the toast');
    const toast = page.locator('.notification-toast', { hasText: 'app build failed' });
    assert.equal(await toast.locator('.monaco-button').count(), 0, 'links, no buttons');
    await screenshot(page, 'tools-build-failed-toast');
    await toast.locator('a', { hasText: 'Problems' }).click();
    const rows = page.locator('.markers-panel .monaco-list-row');
    await rows.filter({ hasText: 'previous declaration is here' }).first().waitFor({ timeout: 30_000 });
    const labels = await rows.evaluateAll((els) => els.map((el) => `${el.getAttribute('aria-label') ?? ''} | ${el.textContent ?? ''}`));
    assert.equal(labels.filter((l) => /^Error/.test(l) && l.includes("conflicting types for 'twice'")).length, 1, labels.join('\n'));
    assert.deepEqual(labels.filter((l) => /^Info/.test(l)), [], 'the note is no entry of its own');
    await screenshot(page, 'tools-build-failed');

    // The next build replaces the failure's notification: no stale failure beside its success.
    writeFileSync(source, fixed);
    await build(page);
    await toast.waitFor({ state: 'detached', timeout: 10_000 });
    await waitForNotification(page, 'Built app', 10_000);
    await screenshot(page, 'tools-build-fixed');
  }, WINDOW);
});

test('the welcome view offers Run, Build, F5 and the walkthrough; Open App while nothing runs offers Run, then opens the first GET route', async () => {
  await withWorkbench(server.workbenchUrl, 'tools-welcome', async (page) => {
    await statusBarText(page, 'Uniwasm: stopped', 60_000);
    await runCommand(page, 'Uniwasm: Focus on HTTP Requests View');
    const welcome = page.locator('.welcome-view-content', { hasText: 'Nothing is running.' });
    await welcome.waitFor({ timeout: 30_000 });
    const buttons = await welcome.locator('.monaco-button').allInnerTexts();
    assert.deepEqual(buttons.map((b) => b.trim()), ['Run Unikernel', 'Build Unikernel', 'Start Debugging (F5)']);
    await screenshot(page, 'tools-welcome-view');

    // This window has not built yet: a build ticks the walkthrough's Build step.
    await build(page);
    await welcome.locator('a', { hasText: 'Get Started' }).click();
    const buildStep = page.locator('.getting-started-step', { hasText: 'Build the unikernel and the app' });
    await buildStep.waitFor({ timeout: 30_000 });
    await ticked(page, 'Build the unikernel and the app').waitFor({ timeout: 30_000 });
    await screenshot(page, 'tools-walkthrough-built');

    await runCommand(page, 'Uniwasm: Open App in Browser');
    const offer = page.locator('.notification-toast', { hasText: 'Uniwasm: nothing is running.' });
    await offer.waitFor({ timeout: 30_000 });
    const opened = page.context().waitForEvent('page', { timeout: 300_000 });
    await offer.locator('.monaco-button', { hasText: 'Run Unikernel' }).click();
    await statusBarText(page, `serving http://127.0.0.1:${port}`, 300_000);
    const browserTab = await opened;
    assert.match(browserTab.url(), /\/greeting$/, 'the app’s first GET route, from the kernel’s route list');
    const res = await fetch(`http://127.0.0.1:${port}/greeting`);
    assert.equal(res.status, 200);
    await ticked(page, 'Run it').waitFor({ timeout: 30_000 });
    await ticked(page, 'Open your app in the browser').waitFor({ timeout: 30_000 });
    await runCommand(page, 'View: Hide Panel'); // the guest terminal would cover the steps
    await buildStep.scrollIntoViewIfNeeded();
    await screenshot(page, 'tools-walkthrough-served');
    await runCommand(page, 'Uniwasm: Stop Unikernel');
    await statusBarText(page, 'Uniwasm: stopped', 60_000);
  }, WINDOW);
});
