// The `uniwasm: build` and `uniwasm: run` tasks (tasks.json, preLaunchTask) over the same core as the commands.
import * as vscode from 'vscode';
import { buildAll, diagnosticLine } from '../builder/all';
import { describeBuild } from '../builder/summary';
import { locateApp } from '../config/locateApp';
import { readSettings } from '../config/read';
import { runOptionsFromSettings } from '../config/runOptions';
import type { RunObserver } from '../run/observer';
import { RunSession } from '../run/session';
import { LineTerminal } from '../run/terminal';

/** tasks.json: `{ "type": "uniwasm", "command": "build" | "run" }`. */
interface UniwasmTaskDefinition extends vscode.TaskDefinition {
  command: 'build' | 'run';
}

const MATCHERS = { build: ['$uniwasm'], run: ['$uniwasm-run'] };

/** Provides `uniwasm: build` and `uniwasm: run` tasks; run is a background task that ends its "ready" phase on `ready URL`. */
export class UniwasmTaskProvider implements vscode.TaskProvider {
  static readonly type = 'uniwasm';

  constructor(
    private readonly log: vscode.LogOutputChannel,
    /** Who follows a run task's run, as for the Run command (the traffic views). */
    private readonly observers: readonly RunObserver[],
  ) {}

  provideTasks(): vscode.Task[] {
    if (!vscode.workspace.isTrusted) return [];
    return (['build', 'run'] as const).map((command) => this.task({ type: UniwasmTaskProvider.type, command }));
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const command = (task.definition as Partial<UniwasmTaskDefinition>).command;
    if (command !== 'build' && command !== 'run') return undefined;
    return this.task(task.definition as UniwasmTaskDefinition, task.scope);
  }

  private task(definition: UniwasmTaskDefinition, scope: vscode.TaskScope | vscode.WorkspaceFolder = vscode.TaskScope.Workspace): vscode.Task {
    const execution = new vscode.CustomExecution(async () => (definition.command === 'build' ? this.buildTerminal() : this.runTerminal()));
    const task = new vscode.Task(definition, scope, definition.command, UniwasmTaskProvider.type, execution, MATCHERS[definition.command]);
    if (definition.command === 'build') task.group = vscode.TaskGroup.Build;
    else task.isBackground = true;
    return task;
  }

  private buildTerminal(): LineTerminal {
    const terminal = new LineTerminal(() => controller.abort());
    const controller = new AbortController();
    void (async () => {
      const problems: string[] = [];
      try {
        const built = await buildAll(await locateApp(readSettings(this.log).app), {
          signal: controller.signal,
          onOutput: (text) => terminal.write(text),
          onDiagnostic: (d) => problems.push(diagnosticLine(d)),
        });
        terminal.writeLine(`kernel ${built.kernel}\napp ${built.app}\n${describeBuild(built.parts)}`);
        terminal.exit(0);
      } catch (err) {
        problems.forEach((line) => terminal.writeLine(line));
        terminal.writeLine(`uniwasm: ${(err as Error).message}`);
        terminal.exit(1);
      }
    })();
    return terminal;
  }

  private runTerminal(): LineTerminal {
    let session: RunSession | undefined;
    const controller = new AbortController();
    const terminal = new LineTerminal(() => {
      controller.abort();
      void session?.stop();
    });
    void (async () => {
      terminal.writeLine('uniwasm: building');
      const problems: string[] = [];
      try {
        session = await RunSession.start({
          ...(await runOptionsFromSettings(this.log)),
          signal: controller.signal,
          onBuildOutput: (text) => terminal.write(text),
          onDiagnostic: (d) => problems.push(diagnosticLine(d)),
          onLog: (message) => terminal.writeLine(`uniwasm: ${message}`),
          onConsole: (line) => terminal.writeLine(line),
          observers: this.observers,
        });
        terminal.writeLine(`ready ${session.url}`);
        const why = await session.ended;
        const requested = session.stopRequested;
        terminal.writeLine(`uniwasm: the guest stopped: ${why}`);
        terminal.exit(requested ? 0 : 1);
      } catch (err) {
        problems.forEach((line) => terminal.writeLine(line));
        terminal.writeLine(`uniwasm: ${(err as Error).message}`);
        terminal.exit(1);
      }
    })();
    return terminal;
  }
}
