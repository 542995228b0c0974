// The "KeyValue Traffic" webview view: a live table of WIT KeyValue calls next to the Redis commands
// they caused, with Pause/Resume and Clear in its title bar. Rows reach the webview in batches
// (TrafficCore.connectView) only while it is visible.
import * as vscode from 'vscode';
import type { TrafficCore } from './core';
import { REVEAL_REQUEST } from './requestsView';
import { kvHtml, nonce } from './webviewHtml';

export const KV_VIEW = 'uniwasm.kv';

/** Context key true while recording is paused (the title bar shows Resume then). */
const PAUSED = 'uniwasm.traffic.kvPaused';

type FromWebview = { type: 'ready' } | { type: 'filter'; text: string } | { type: 'openRequest'; boot: number; req: number };

export class KvPanel implements vscode.WebviewViewProvider, vscode.Disposable {
  private statsTimer: NodeJS.Timeout | undefined;
  private readonly registrations: vscode.Disposable[];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly core: TrafficCore,
  ) {
    this.registrations = [
      vscode.window.registerWebviewViewProvider(KV_VIEW, this),
      vscode.commands.registerCommand('uniwasm.traffic.pauseKv', () => this.setPaused(true)),
      vscode.commands.registerCommand('uniwasm.traffic.resumeKv', () => this.setPaused(false)),
      vscode.commands.registerCommand('uniwasm.traffic.clearKv', () => core.clearKv()),
    ];
    void this.setPaused(false);
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    const media = vscode.Uri.joinPath(this.extensionUri, 'media', 'traffic');
    const webview = view.webview;
    webview.options = { enableScripts: true, localResourceRoots: [media] };
    webview.html = kvHtml({
      cspSource: webview.cspSource,
      nonce: nonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'kv.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'kv.css')).toString(),
    });
    const post = (m: unknown) => void webview.postMessage(m);
    const connect = () => {
      this.core.connectView(post);
      clearInterval(this.statsTimer);
      this.statsTimer = setInterval(() => this.core.postStats(), 1000);
    };
    const disconnect = () => {
      clearInterval(this.statsTimer);
      this.core.disconnectView();
    };
    const subscriptions = [
      webview.onDidReceiveMessage((m: FromWebview) => {
        if (m.type === 'ready') connect();
        else if (m.type === 'filter') this.core.setKvFilter(String(m.text));
        else if (m.type === 'openRequest') void vscode.commands.executeCommand(REVEAL_REQUEST, { boot: Number(m.boot), id: Number(m.req) });
      }),
      // A hidden view gets nothing; made visible again, it gets the newest rows at once.
      view.onDidChangeVisibility(() => (view.visible ? connect() : disconnect())),
    ];
    view.onDidDispose(() => {
      disconnect();
      for (const s of subscriptions) s.dispose();
    });
  }

  private async setPaused(paused: boolean): Promise<void> {
    this.core.setKvPaused(paused);
    await vscode.commands.executeCommand('setContext', PAUSED, paused);
  }

  dispose(): void {
    clearInterval(this.statsTimer);
    this.core.disconnectView();
    for (const r of this.registrations) r.dispose();
  }
}
