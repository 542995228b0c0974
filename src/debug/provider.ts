// The VS Code side of the `uniwasm` debugger: F5 without launch.json, launch defaults from the settings, the inline adapter.
import * as vscode from 'vscode';
import { isAbsolute, join } from 'node:path';
import { locateApp } from '../config/locateApp';
import { readSettings } from '../config/read';
import type { RunObserver } from '../run/observer';
import { UniwasmDebugSession, type UniwasmAttachArguments, type UniwasmLaunchArguments } from './session';

/** What the rest of the extension gives F5. */
export interface DebugWiring {
  /** Who follows a launch's run, as they follow Run's: the traffic views, the status bar. */
  observers: readonly RunObserver[];
  /** Before a launch on host port `port`: ends what serves there (asking the user); false to not debug. */
  makeWay(port: number): Promise<boolean>;
}

/**
 * The VS Code side of the `uniwasm` debugger (the only debug file that imports `vscode`): F5 without
 * a launch.json debugs the workspace's app with the `uniwasm.*` settings; launch configurations get
 * the same defaults; the adapter runs inline in the extension host (no separate Node needed), its
 * run followed by `wiring.observers`. `node dist/debugAdapter.js` is the same adapter for other DAP clients.
 */
export function registerDebugging(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, wiring: DebugWiring): void {
  const provider = new UniwasmConfigurationProvider(log, wiring);
  context.subscriptions.push(
    // Initial: fills a new launch.json. Dynamic: lists the configurations in the Run view without one.
    vscode.debug.registerDebugConfigurationProvider('uniwasm', provider),
    vscode.debug.registerDebugConfigurationProvider('uniwasm', provider, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.debug.registerDebugAdapterDescriptorFactory('uniwasm', {
      createDebugAdapterDescriptor: () => new vscode.DebugAdapterInlineImplementation(new UniwasmDebugSession(wiring.observers)),
    }),
  );
}

type UniwasmConfiguration = vscode.DebugConfiguration & Partial<UniwasmLaunchArguments> & Partial<UniwasmAttachArguments>;

class UniwasmConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly log: vscode.LogOutputChannel, private readonly wiring: DebugWiring) {}

  /** What "add configuration" / the dynamic list in the Run view offers. */
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [
      { type: 'uniwasm', request: 'launch', name: 'Uniwasm: debug the app', stopOnEntry: false },
      { type: 'uniwasm', request: 'launch', name: 'Uniwasm: debug the app, stop at its first function', stopOnEntry: true },
      { type: 'uniwasm', request: 'launch', name: 'Uniwasm: debug the kernel, stop at its entry', debugWasm: false, stopOnEntry: true },
      { type: 'uniwasm', request: 'attach', name: 'Uniwasm: attach to a gdbstub (uniwasm run --gdb 1234)', port: 1234 },
    ];
  }

  /** Fills what launch.json leaves out from the settings; an empty configuration (F5, no launch.json) becomes a launch. */
  async resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: UniwasmConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    if (!config.type && !config.request && !config.name) {
      Object.assign(config, { type: 'uniwasm', request: 'launch', name: 'Uniwasm: debug the app', stopOnEntry: false });
    }
    const base = folder?.uri.fsPath ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (config.request === 'attach') {
      if (config.kernel && !isAbsolute(config.kernel) && base) config.kernel = join(base, config.kernel);
      return config;
    }
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage('Uniwasm: debugging builds and runs the workspace\'s app, which needs a trusted workspace.');
      return undefined;
    }
    const settings = readSettings(this.log);
    try {
      config.app = config.app ? (isAbsolute(config.app) || !base ? config.app : join(base, config.app)) : await locateApp(settings.app);
    } catch (err) {
      void vscode.window.showErrorMessage(`Uniwasm: ${(err as Error).message}`);
      return undefined;
    }
    config.cwd ??= base;
    config.port ??= settings.hostPort;
    config.redis ??= settings.redisUrl;
    config.accel ??= settings.accel;
    config.memoryMiB ??= settings.memoryMiB;
    config.machine ??= settings.machine;
    config.qemuPath ??= settings.qemuPath;
    config.kernelArgs ??= settings.kernelArgs;
    return (await this.wiring.makeWay(config.port)) ? config : undefined;
  }
}
