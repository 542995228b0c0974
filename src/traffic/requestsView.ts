// The "HTTP Requests" tree: the guest's requests newest first, live, the ones the app is still in
// (stopped at a breakpoint) on top. Selecting one opens a read-only document with its headers, body
// previews and the KeyValue calls it made.
import * as vscode from 'vscode';
import { requestKey as key, type TrafficCore } from './core';
import { durationText, requestDetails } from './format';
import { bodyComplete, replayRequest } from './replay';
import { matchesHttp, parseHttpFilter, type HttpFilter } from './store';
import type { HttpEvent, HttpStartEvent } from '../trace/format';

export const REQUESTS_VIEW = 'uniwasm.requests';
export const DETAILS_SCHEME = 'uniwasm-request';
/** Items the tree shows at most (the store keeps more; the filter reaches all of them). */
const SHOWN = 1000;
/** The tree refreshes at most this often, however fast requests come. */
const REFRESH_MS = 300;

/** A row: a request answered, or one the app is still in. */
type Row = HttpEvent | HttpStartEvent;

export class RequestsView implements vscode.TreeDataProvider<Row>, vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Row | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<Row>;
  private filter: HttpFilter = {};
  private filterText = '';
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly core: TrafficCore,
    private readonly currentUrl: () => string | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.view = vscode.window.createTreeView(REQUESTS_VIEW, { treeDataProvider: this, showCollapseAll: false });
    const unsubscribe = core.http.onChange(() => this.scheduleRefresh());
    core.onHeap(() => this.updateMessage());
    core.onInFlightChange(() => this.scheduleRefresh());
    this.disposables.push(
      this.view,
      // A request in flight reads "paused" while the debugger holds the guest.
      vscode.debug.onDidChangeActiveStackItem(() => {
        if (core.inFlight().length) this.scheduleRefresh();
      }),
      this.changed,
      { dispose: unsubscribe },
      vscode.workspace.registerTextDocumentContentProvider(DETAILS_SCHEME, this),
      vscode.commands.registerCommand('uniwasm.traffic.showRequest', (e: HttpEvent) => this.show(e)),
      vscode.commands.registerCommand('uniwasm.traffic.replayRequest', (e?: HttpEvent) => this.replay(e ?? this.view.selection.find((r): r is HttpEvent => r.type === 'http'))),
      vscode.commands.registerCommand('uniwasm.traffic.clearRequests', () => core.http.clear()),
      vscode.commands.registerCommand('uniwasm.traffic.filterRequests', () => this.askFilter()),
      vscode.commands.registerCommand('uniwasm.traffic.pauseRequests', () => this.setPaused(true)),
      vscode.commands.registerCommand('uniwasm.traffic.resumeRequests', () => this.setPaused(false)),
    );
    void this.setPaused(false);
    this.updateMessage();
  }

  getTreeItem(e: Row): vscode.TreeItem {
    if (e.type === 'http_start') return inFlightItem(e, guestPaused());
    const item = new vscode.TreeItem(`${e.method} ${e.path}`, vscode.TreeItemCollapsibleState.None);
    item.id = key(e);
    item.description = `${e.status} · ${durationText(e.durUs)}`;
    item.tooltip = `${e.method} ${e.path} → ${e.status}\n${e.reqBytes} B in, ${e.respBytes} B out, ${durationText(e.durUs)}\nhandler ${e.handler || '(none)'} · request #${e.id}`;
    item.iconPath = e.status >= 500
      ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
      : e.status >= 400
        ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('editorWarning.foreground'))
        : new vscode.ThemeIcon('arrow-swap');
    item.contextValue = 'uniwasm.request';
    item.command = { command: 'uniwasm.traffic.showRequest', title: 'Show Request', arguments: [e] };
    return item;
  }

  getChildren(parent?: Row): Row[] {
    if (parent) return [];
    return [...this.core.inFlight().filter((e) => matchesHttp(this.filter, e)), ...this.core.http.list((e) => matchesHttp(this.filter, e), SHOWN)];
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const id = uri.path.replace(/^\//, '').replace(/\.http$/, '');
    const e = this.core.http.list((r) => key(r) === id, 1)[0];
    if (!e) return `Request ${id} is no longer kept (the view keeps the newest ${this.core.http.cap}).\n`;
    return requestDetails(e, this.core.kvCallsOf(e), (c) => this.core.signatures(c.iface, c.fn));
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    for (const d of this.disposables) d.dispose();
  }

  private scheduleRefresh(): void {
    this.refreshTimer ??= setTimeout(() => {
      this.refreshTimer = undefined;
      this.changed.fire(undefined);
      this.updateMessage();
    }, REFRESH_MS);
  }

  private updateMessage(): void {
    const parts: string[] = [];
    const h = this.core.heap;
    if (h) parts.push(`guest heap ${mib(h.used)} of ${mib(h.total)} MiB`);
    if (this.filterText) parts.push(`filter: ${this.filterText}`);
    if (this.core.http.paused) parts.push(`paused (${this.core.http.droppedWhilePaused} not recorded)`);
    this.view.message = parts.join(' · ') || undefined;
    this.view.description = this.core.http.size ? String(this.core.http.size) : undefined;
  }

  private async show(e: HttpEvent): Promise<void> {
    const uri = vscode.Uri.from({ scheme: DETAILS_SCHEME, path: `/${key(e)}.http` });
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true, preserveFocus: true });
  }

  private async replay(e: HttpEvent | undefined): Promise<void> {
    if (!e) return;
    const url = this.currentUrl();
    if (!url) return void vscode.window.showWarningMessage('Uniwasm: nothing is running; run the unikernel to replay requests.');
    if (!bodyComplete(e)) {
      const go = await vscode.window.showWarningMessage(
        `The trace kept ${e.reqBody.length} of the ${e.reqBytes} body bytes of ${e.method} ${e.path}. Replay with the cut body?`, 'Replay', 'Cancel');
      if (go !== 'Replay') return;
    }
    try {
      const r = await replayRequest(url, e);
      this.log.info(`traffic: replayed ${e.method} ${e.path} → ${r.status}, ${r.bytes} bytes in ${r.ms.toFixed(1)} ms`);
      vscode.window.setStatusBarMessage(`Uniwasm: replayed ${e.method} ${e.path} → ${r.status}`, 4000);
    } catch (err) {
      void vscode.window.showErrorMessage(`Uniwasm: replay of ${e.method} ${e.path} failed: ${(err as Error).message}`);
    }
  }

  private async askFilter(): Promise<void> {
    const text = await vscode.window.showInputBox({
      title: 'Filter HTTP requests',
      prompt: 'Words: a method (GET), a status (404) or class (4xx), a path part (/items). Empty: show all.',
      value: this.filterText,
    });
    if (text === undefined) return;
    this.filterText = text.trim();
    this.filter = parseHttpFilter(text);
    await vscode.commands.executeCommand('setContext', 'uniwasm.traffic.requestsFiltered', !!this.filterText);
    this.changed.fire(undefined);
    this.updateMessage();
  }

  private async setPaused(paused: boolean): Promise<void> {
    this.core.http.paused = paused;
    await vscode.commands.executeCommand('setContext', 'uniwasm.traffic.requestsPaused', paused);
    this.updateMessage();
  }
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

/** A request the app has begun and not answered: paused while the debugger holds the guest, else running. */
function inFlightItem(e: HttpStartEvent, paused: boolean): vscode.TreeItem {
  const item = new vscode.TreeItem(`${e.method} ${e.path}`, vscode.TreeItemCollapsibleState.None);
  item.id = `${key(e)}-in-flight`;
  item.description = paused ? 'in flight · paused' : 'in flight'; // short: the sidebar is narrow
  item.tooltip = `${e.method} ${e.path}: request #${e.id}, not answered yet${paused ? ': the guest is paused in the debugger; continue to let it answer' : ''}`;
  item.iconPath = new vscode.ThemeIcon(paused ? 'debug-pause' : 'loading~spin');
  item.contextValue = 'uniwasm.requestInFlight';
  return item;
}

/** True while a Uniwasm debug session is stopped (the guest holds still, its request with it). */
function guestPaused(): boolean {
  return vscode.debug.activeStackItem?.session.type === 'uniwasm';
}
