// The "KeyValue Traffic" webview view: a live table of WIT KeyValue calls next to the Redis commands
// they caused. Rows reach the webview in batches (TrafficCore.connectView) only while it is visible.
import * as vscode from 'vscode';
import type { TrafficCore } from './core';
import { kvHtml, nonce } from './webviewHtml';

export const KV_VIEW = 'uniwasm.kv';

type FromWebview = { type: 'ready' } | { type: 'pause'; paused: boolean } | { type: 'clear' } | { type: 'filter'; text: string };

export class KvPanel implements vscode.WebviewViewProvider, vscode.Disposable {
  private statsTimer: NodeJS.Timeout | undefined;
  private readonly registration: vscode.Disposable;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly core: TrafficCore,
  ) {
    this.registration = vscode.window.registerWebviewViewProvider(KV_VIEW, this);
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
        else if (m.type === 'pause') this.core.setKvPaused(m.paused);
        else if (m.type === 'clear') this.core.clearKv();
        else if (m.type === 'filter') this.core.setKvFilter(String(m.text));
      }),
      // A hidden view gets nothing; made visible again, it gets the newest rows at once.
      view.onDidChangeVisibility(() => (view.visible ? connect() : disconnect())),
    ];
    view.onDidDispose(() => {
      disconnect();
      for (const s of subscriptions) s.dispose();
    });
  }

  /** For the view's title-bar Clear button. */
  clear(): void {
    this.core.clearKv();
  }

  dispose(): void {
    clearInterval(this.statsTimer);
    this.core.disconnectView();
    this.registration.dispose();
  }
}
