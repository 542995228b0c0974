// Asks VS Code not to auto-forward the ports a run opens for itself (Redis, the gdbstub, QEMU's hostfwd): in a remote
// window the Ports view would offer them beside the app's port, which stays as VS Code shows it.
import * as vscode from 'vscode';
import type { RunObserver } from './observer';
import { isPrivatePort } from './privatePorts';

/**
 * VS Code's port attributes API (`vscode.workspace.registerPortAttributesProvider`), still a proposal
 * in VS Code 1.139 (`portsAttributes`, package.json's enabledApiProposals): present only where the
 * proposal is enabled, so it is reached through this type and its absence is not an error.
 */
interface PortAttributesApi {
  registerPortAttributesProvider(
    selector: { portRange: [number, number] },
    provider: { providePortAttributes(attributes: { port: number; pid?: number; commandLine?: string }): unknown },
  ): vscode.Disposable;
}
interface PortAttributesTypes {
  PortAttributes: new (action: number) => unknown;
  PortAutoForwardAction: { Ignore: number };
}

/** Registers the provider when VS Code offers the API; returns the observer that learns each run's Redis port. */
export function registerPortAttributes(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): RunObserver {
  const redisPorts = new Set<number>();
  const api = vscode.workspace as unknown as Partial<PortAttributesApi>;
  const types = vscode as unknown as Partial<PortAttributesTypes>;
  try {
    const { PortAttributes, PortAutoForwardAction } = types;
    if (!api.registerPortAttributesProvider || !PortAttributes || !PortAutoForwardAction) throw new Error('not offered');
    context.subscriptions.push(api.registerPortAttributesProvider({ portRange: [1, 65535] }, {
      providePortAttributes: ({ port, commandLine }) =>
        isPrivatePort(port, commandLine, redisPorts) ? new PortAttributes(PortAutoForwardAction.Ignore) : undefined,
    }));
  } catch (err) {
    // VS Code throws when the proposal is not enabled for this extension (a stable build without --enable-proposed-api).
    log.info(`ports: VS Code's port attributes API is not available (${(err as Error).message}); the Ports view may offer Redis, gdbstub and hostfwd ports`);
  }
  return {
    runStarted({ redis }) {
      if (redis.host === '127.0.0.1' || redis.host === 'localhost') redisPorts.add(redis.port);
    },
  };
}
