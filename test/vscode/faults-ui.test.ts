// Faults around a run in a real VS Code (code-server + Chromium): QEMU killed under Run (the status bar
// and a message say so, its Redis ends, the next Run and a Restart serve), Run with the host port taken (a message
// names the port, nothing starts), and the `uniwasm: run` task (it feeds the HTTP Requests view without
// the readiness probe's request; QEMU killed ends the task and its Redis).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../../src/util/ports';
import { pidsMatching, qemuOfRun } from '../support/processes';
import {
  type CodeServer, exampleWorkspace, packageWithKernel, type Page, pickInQuickInput, runCommand, RUNS, screenshot, startCodeServer,
  statusBarText, waitForNotification, withWorkbench,
} from './harness';

let server: CodeServer;
let port: number;
const workspace = join(RUNS, 'faults-ui-app');

before(async () => {
  const vsix = packageWithKernel();
  exampleWorkspace(workspace, 'http-server-demo');
  mkdirSync(join(workspace, '.vscode'));
  writeFileSync(join(workspace, '.vscode/tasks.json'), JSON.stringify({
    version: '2.0.0', tasks: [{ type: 'uniwasm', command: 'run', label: 'serve the demo' }],
  }));
  port = await freePort();
  // xterm's DOM renderer (no GPU canvas), so the terminal's text can be read.
  const settings = { 'uniwasm.hostPort': port, 'terminal.integrated.gpuAcceleration': 'off' };
  server = await startCodeServer({ name: 'faults-ui', workspace, vsix: [vsix], settings });
});

after(() => server?.stop());

const qemuNeedle = () => qemuOfRun(port);

/** Processes the code-server started (its extension hosts' children included) whose command line has `name`. */
function started(name: string): number[] {
  return server.processes().filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name);
    } catch {
      return false; // ended while we looked
    }
  });
}

async function eventually(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !check(); await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
  }
}

/** The text the visible terminal shows (xterm's DOM rows). */
async function terminalText(page: Page, text: string | RegExp): Promise<string> {
  const rows = page.locator('.terminal-wrapper.active .xterm-rows', { hasText: text }).first();
  await rows.waitFor({ timeout: 30_000 });
  return rows.innerText();
}

function killQemu(): void {
  const pids = pidsMatching('qemu-system-x86_64', qemuNeedle());
  assert.equal(pids.length, 1, 'one QEMU serves the port');
  process.kill(pids[0]!, 'SIGKILL');
}

test('QEMU killed under Run: the status bar and a message say so, its Redis ends; the next Run and a Restart serve', async () => {
  await withWorkbench(server.workbenchUrl, 'faults-ui-killed', async (page) => {
    await statusBarText(page, 'Uniwasm: stopped', 60_000);
    await runCommand(page, 'Uniwasm: Run Unikernel');
    await statusBarText(page, `serving http://127.0.0.1:${port}`, 180_000);
    assert.equal(started('redis-server').length, 1, 'the run has its embedded Redis');

    killQemu();
    await statusBarText(page, 'Uniwasm: failed', 30_000);
    const message = await waitForNotification(page, 'QEMU killed by SIGKILL', 30_000);
    assert.match(message, /Uniwasm: the guest stopped: QEMU killed by SIGKILL/);
    await terminalText(page, 'uniwasm: the guest stopped: QEMU killed by SIGKILL');
    await screenshot(page, 'faults-qemu-killed');
    await eventually('the embedded Redis ends', () => started('redis-server').length === 0);
    assert.deepEqual(started('qemu-system-x86_64'), []);

    await runCommand(page, 'Uniwasm: Run Unikernel');
    await statusBarText(page, `serving http://127.0.0.1:${port}`, 180_000);
    const res = await fetch(`http://127.0.0.1:${port}/hello`);
    assert.equal(await res.text(), 'hello, world\n');
    // Restart replaces the run's terminal too: closing the old one must not cancel the new run.
    const [before] = started('qemu-system-x86_64');
    await runCommand(page, 'Uniwasm: Restart Unikernel');
    await eventually('a new QEMU serves', () => started('qemu-system-x86_64').some((pid) => pid !== before), 60_000);
    await statusBarText(page, `serving http://127.0.0.1:${port}`, 180_000);
    assert.equal((await fetch(`http://127.0.0.1:${port}/hello`)).status, 200);
    await runCommand(page, 'Uniwasm: Stop Unikernel');
    await statusBarText(page, 'Uniwasm: stopped', 30_000);
    await eventually('nothing left running', () => started('qemu-system-x86_64').length + started('redis-server').length === 0);
  });
});

test('Run with the host port taken: a message names the port, the status bar says failed, nothing starts', async () => {
  const blocker = createServer().listen(port, '127.0.0.1');
  await once(blocker, 'listening');
  try {
    await withWorkbench(server.workbenchUrl, 'faults-ui-port', async (page) => {
      await statusBarText(page, 'Uniwasm: stopped', 60_000);
      await runCommand(page, 'Uniwasm: Run Unikernel');
      const message = await waitForNotification(page, `port ${port} on 127.0.0.1 is already in use`, 60_000);
      assert.match(message, new RegExp(`Uniwasm: host port: port ${port} on 127\\.0\\.0\\.1 is already in use`));
      await statusBarText(page, 'Uniwasm: failed', 10_000);
      await terminalText(page, `port ${port} on 127.0.0.1 is already in use`);
      await screenshot(page, 'faults-port-taken');
      assert.deepEqual(started('qemu-system-x86_64'), [], 'no QEMU started');
      assert.deepEqual(started('redis-server'), [], 'no Redis started');
    });
  } finally {
    blocker.close();
  }
});

/** Runs the task labelled `label` through "Tasks: Run Task" (two quick picks in a row). */
async function runTask(page: Page, label: string): Promise<void> {
  await page.keyboard.press('F1');
  await pickInQuickInput(page, '>Tasks: Run Task', /^Tasks: Run Task/);
  await pickInQuickInput(page, label, new RegExp(label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

test('the uniwasm: run task feeds HTTP Requests (no probe row); QEMU killed ends the task and its Redis', async () => {
  await withWorkbench(server.workbenchUrl, 'faults-ui-task', async (page) => {
    await statusBarText(page, 'Uniwasm: stopped', 60_000);
    await runTask(page, 'serve the demo');
    const url = `http://127.0.0.1:${port}`;
    for (const deadline = Date.now() + 180_000; !(await fetch(`${url}/hello`).then((r) => r.ok, () => false)); ) {
      assert.ok(Date.now() < deadline, 'the task serves /hello');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal((await fetch(`${url}/nothing-here`)).status, 404);

    await runCommand(page, 'Uniwasm: Focus on HTTP Requests View');
    const rows = page.locator('.pane-body .monaco-list-row');
    await page.locator('.monaco-list-row', { hasText: 'GET /nothing-here' }).first().waitFor({ timeout: 30_000 });
    const labels = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? ''));
    const requests = labels.filter((l) => /^(GET|PUT|POST) \//.test(l));
    // The readiness probe (GET / with x-uniwasm-probe) and the wait's own GET /hello requests: only those are GET /…
    assert.ok(requests.some((l) => l.startsWith('GET /nothing-here')), labels.join(' | '));
    assert.ok(!requests.some((l) => /^GET \/(,|$| )/.test(l)), `no probe row: ${requests.join(' | ')}`);
    await screenshot(page, 'faults-task-requests');

    assert.equal(started('redis-server').length, 1, 'the task has its embedded Redis');
    killQemu();
    await terminalText(page, 'uniwasm: the guest stopped: QEMU killed by SIGKILL');
    await eventually('the task ends its Redis', () => started('redis-server').length === 0);
    assert.deepEqual(started('qemu-system-x86_64'), []);
    await screenshot(page, 'faults-task-qemu-killed');
  });
});
