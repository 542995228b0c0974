// Replay as REST Client users know it: a traced request opens as an editable `.http` document with a
// "Send Request" CodeLens; Send reads the edited text, sends it to the running app and shows the response
// in a read-only document beside it. The HTTP Requests view marks the replay's row (replay.ts REPLAY_HEADER).
import { join } from 'node:path';
import * as vscode from 'vscode';
import { requestKey } from './core';
import { parseRequestAt, requestBlocks, requestToHttpText } from './httpFile';
import { responseText, sendRequest } from './replay';
import type { HttpEvent } from '../trace/format';

export const RESPONSE_SCHEME = 'uniwasm-response';
const SEND = 'uniwasm.traffic.sendRequest';

export class ReplayEditor implements vscode.CodeLensProvider, vscode.TextDocumentContentProvider, vscode.Disposable {
  /** The replay documents opened here (by URI) and the key of the request each replays. */
  private readonly replays = new Map<string, string>();
  /** Response documents' text, by URI. */
  private readonly responses = new Map<string, string>();
  private readonly responseChanged = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.responseChanged.event;
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('uniwasm-replay');
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly currentUrl: () => string | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables = [
      this.responseChanged, this.lensesChanged, this.diagnostics,
      vscode.languages.registerCodeLensProvider({ language: 'http' }, this),
      vscode.workspace.registerTextDocumentContentProvider(RESPONSE_SCHEME, this),
      vscode.commands.registerCommand(SEND, (uri?: vscode.Uri, line?: number) => this.send(uri, line)),
      // The errors of a Send stay until the text changes: they are about the text as it was.
      vscode.workspace.onDidChangeTextDocument((e) => this.diagnostics.delete(e.document.uri)),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        this.diagnostics.delete(doc.uri);
        this.replays.delete(doc.uri.toString());
        this.responses.delete(doc.uri.toString());
      }),
    ];
  }

  /**
   * Opens request `e` as an untitled `.http` document aimed at the running app. A replay of the same
   * request still open comes back as the user left it: their edits are never overwritten.
   */
  async open(e: HttpEvent): Promise<void> {
    const name = `replay-${requestKey(e)}${`-${e.method}${e.path}`.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 40).replace(/-$/, '')}.http`;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const uri = vscode.Uri.from({ scheme: 'untitled', path: folder ? join(folder, name) : name });
    const doc = await vscode.workspace.openTextDocument(uri);
    if (!doc.getText()) {
      const edit = new vscode.WorkspaceEdit();
      edit.replace(uri, new vscode.Range(0, 0, doc.lineCount, 0), requestToHttpText(e, this.currentUrl()));
      await vscode.workspace.applyEdit(edit);
    }
    this.replays.set(uri.toString(), requestKey(e));
    this.lensesChanged.fire();
    await vscode.window.showTextDocument(doc, { preview: false });
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.replays.has(doc.uri.toString())) return []; // other .http files belong to other tools
    return requestBlocks(doc.getText()).map((b) => new vscode.CodeLens(new vscode.Range(b.requestLine, 0, b.requestLine, 0), {
      title: '$(send) Send Request', tooltip: 'Send this request to the running app and show its response beside', command: SEND,
      arguments: [doc.uri, b.requestLine],
    }));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.responses.get(uri.toString()) ?? 'No response yet: Send the request.\n';
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  /** Sends the request at `line` of `uri` (default: the active editor's, at its cursor). The text is only read, never changed. */
  private async send(uri?: vscode.Uri, line?: number): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const doc = uri ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) : editor?.document;
    if (!doc) return void vscode.window.showWarningMessage('Uniwasm: open a .http request to send.');
    const parsed = parseRequestAt(doc.getText(), line ?? (editor?.document === doc ? editor.selection.active.line : 0));
    if (!parsed.ok) {
      this.diagnostics.set(doc.uri, parsed.errors.map((err) => new vscode.Diagnostic(doc.lineAt(err.line).range, err.message, vscode.DiagnosticSeverity.Error)));
      const more = parsed.errors.length > 1 ? ` (and ${parsed.errors.length - 1} more, in Problems)` : '';
      return void vscode.window.showErrorMessage(`Uniwasm: not sent: ${parsed.errors[0]!.message}${more}`);
    }
    this.diagnostics.delete(doc.uri);
    const url = this.currentUrl();
    if (!url) return void vscode.window.showWarningMessage('Uniwasm: nothing is running; run the unikernel, then Send.', 'Run Unikernel')
      .then((go) => go && vscode.commands.executeCommand('uniwasm.run'));
    const r = parsed.request;
    try {
      const response = await sendRequest(url, r, this.replays.get(doc.uri.toString()) ?? '');
      this.log.info(`traffic: sent ${r.method} ${r.target} → ${response.status}, ${response.bytes} bytes in ${response.ms.toFixed(1)} ms`);
      const shown = vscode.Uri.from({ scheme: RESPONSE_SCHEME, path: `/Response to ${doc.uri.path.split('/').pop()!.replace(/\.http$/, '')}.http` });
      this.responses.set(shown.toString(), responseText(response));
      this.responseChanged.fire(shown);
      const responseDoc = await vscode.workspace.openTextDocument(shown);
      await vscode.window.showTextDocument(responseDoc, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: false });
    } catch (err) {
      void vscode.window.showErrorMessage(`Uniwasm: ${r.method} ${r.target} failed: ${(err as Error).message}`);
    }
  }
}
