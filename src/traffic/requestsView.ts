// The "HTTP Requests" tree: the guest's requests newest first, live, the ones the app is still in
// (stopped at a breakpoint) on top, under a separator per boot; the guest heap in the view's description.
// Selecting one opens a read-only document with its request, response, and the KeyValue calls it made;
// Replay opens it for editing (replayEditor.ts) and the replay's row is marked when it comes.
import * as vscode from 'vscode';
import { requestKey as key, type TrafficCore } from './core';
import { clockText, durationText, requestDetails } from './format';
import { historyRows, type BootRow, type HistoryRow } from './history';
import { replayedFrom } from './replay';
import type { ReplayEditor } from './replayEditor';
import { matchesHttp, parseHttpFilter, type HttpFilter } from './store';
import type { HttpEvent, HttpStartEvent } from '../trace/format';

export const REQUESTS_VIEW = 'uniwasm.requests';
export const DETAILS_SCHEME = 'uniwasm-request';
/** Selects a request (`{ boot, id }`) in the tree and opens its details: the KeyValue view's `#id` links. */
export const REVEAL_REQUEST = 'uniwasm.traffic.revealRequest';
/** Items the tree shows at most (the store keeps more; the filter reaches all of them). */
const SHOWN = 1000;
/** The tree refreshes at most this often, however fast requests come. */
const REFRESH_MS = 300;

/** A row: a boot's separator, a request answered, or one the app is still in. */
type Row = HistoryRow;

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
    replays: ReplayEditor,
  ) {
    this.view = vscode.window.createTreeView(REQUESTS_VIEW, { treeDataProvider: this, showCollapseAll: false });
    const unsubscribe = core.http.onChange(() => this.scheduleRefresh());
    core.onHeap(() => this.updateMessage());
    core.onInFlightChange(() => this.scheduleRefresh());
    core.onBoot(() => this.scheduleRefresh());
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
      vscode.commands.registerCommand(REVEAL_REQUEST, (r: { boot: number; id: number }) => this.reveal(r)),
      vscode.commands.registerCommand('uniwasm.traffic.replayRequest', (e?: HttpEvent) => {
        const row = e ?? this.view.selection.find((r): r is HttpEvent => r.type === 'http');
        if (row) void replays.open(row);
      }),
      vscode.commands.registerCommand('uniwasm.traffic.clearRequests', () => core.http.clear()),
      vscode.commands.registerCommand('uniwasm.traffic.filterRequests', () => this.askFilter()),
      vscode.commands.registerCommand('uniwasm.traffic.pauseRequests', () => this.setPaused(true)),
      vscode.commands.registerCommand('uniwasm.traffic.resumeRequests', () => this.setPaused(false)),
    );
    void this.setPaused(false);
    this.updateMessage();
  }

  getTreeItem(e: Row): vscode.TreeItem {
    if (e.type === 'boot') return bootItem(e);
    if (e.type === 'http_start') return inFlightItem(e, guestPaused());
    const item = new vscode.TreeItem(`${e.method} ${e.path}`, vscode.TreeItemCollapsibleState.None);
    item.id = key(e);
    const replayOf = replayedFrom(e);
    item.description = `${replayOf === undefined ? '' : 'replay · '}${e.status} · ${durationText(e.durUs)}`;
    item.tooltip = `${e.method} ${e.path} → ${e.status}\n${e.reqBytes} B in, ${e.respBytes} B out, ${durationText(e.durUs)}\nhandler ${e.handler || '(none)'} · request #${e.id}`
      + (replayOf === undefined ? '' : `\nsent from a .http document${replayOf ? `: a replay of request #${replayOf.split('-').pop()}` : ''}`);
    item.iconPath = e.status >= 500
      ? new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'))
      : e.status >= 400
        ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('editorWarning.foreground'))
        : new vscode.ThemeIcon(replayOf === undefined ? 'arrow-swap' : 'debug-rerun');
    item.contextValue = 'uniwasm.request';
    item.command = { command: 'uniwasm.traffic.showRequest', title: 'Show Request', arguments: [e] };
    return item;
  }

  getChildren(parent?: Row): Row[] {
    if (parent) return [];
    const inFlight = this.core.inFlight().filter((e) => matchesHttp(this.filter, e));
    return historyRows(inFlight, this.core.http.list((e) => matchesHttp(this.filter, e), SHOWN), this.core.boots, this.core.currentBoot);
  }

  /** Rows have no parent (a flat list); TreeView.reveal needs to be told so. */
  getParent(): undefined {
    return undefined;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const id = uri.path.split('/')[1]!.replace(/\.http$/, ''); // `/KEY/METHOD path.http`, or `/KEY.http`
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

  /** The message above the rows says what hides rows (filter, pause); the description counts them and tells the guest heap. */
  private updateMessage(): void {
    const parts: string[] = [];
    if (this.filterText) parts.push(`filter: ${this.filterText}`);
    if (this.core.http.paused) parts.push(`paused (${this.core.http.droppedWhilePaused} not recorded)`);
    this.view.message = parts.join(' · ') || undefined;
    const h = this.core.heap;
    const about = [this.core.http.size ? String(this.core.http.size) : '', h ? `heap ${mib(h.used)}/${mib(h.total, 0)} MiB` : ''];
    this.view.description = about.filter(Boolean).join(' · ') || undefined;
  }

  private async show(e: HttpEvent): Promise<void> {
    // The tab reads "PUT bar.http", its folder the request's key.
    const uri = vscode.Uri.from({ scheme: DETAILS_SCHEME, path: `/${key(e)}/${e.method} ${e.path.replace(/[/?#]+/g, ' ').trim() || 'root'}.http` });
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true, preserveFocus: true });
  }

  private async reveal(r: { boot: number; id: number }): Promise<void> {
    const wanted = key(r);
    const e = this.core.http.list((x) => key(x) === wanted, 1)[0] ?? this.core.inFlight().find((x) => key(x) === wanted);
    if (!e) return void vscode.window.showInformationMessage(`Uniwasm: request #${r.id} is no longer kept (the view keeps the newest ${this.core.http.cap}).`);
    // Not in the tree when a filter hides it or it is past the rows shown: the details still open.
    await this.view.reveal(e, { select: true, focus: false }).then(undefined, () => undefined);
    if (e.type === 'http') await this.show(e);
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

function mib(bytes: number, digits = 1): string {
  return (bytes / 1048576).toFixed(digits);
}

/** The separator above a boot's requests: when it began, and whether it serves now. */
function bootItem(row: BootRow): vscode.TreeItem {
  const item = new vscode.TreeItem(`booted ${clockText(row.boot.recvMs).slice(0, 8)}`, vscode.TreeItemCollapsibleState.None);
  item.id = `boot-${row.boot.boot}`;
  item.description = [row.boot.app, row.current ? 'serving' : 'ended'].filter(Boolean).join(' · ');
  item.tooltip = `Boot ${row.boot.boot} of the guest${row.boot.app ? ` (${row.boot.app})` : ''}, at ${clockText(row.boot.recvMs)}: its requests are below, newest first`;
  item.iconPath = new vscode.ThemeIcon(row.current ? 'vm-running' : 'vm');
  item.contextValue = 'uniwasm.boot';
  return item;
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
