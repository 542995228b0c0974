// Puts the diagnostics of the workspace's .wit files into VS Code's Problems panel.
import * as vscode from 'vscode';
import { dirname } from 'node:path';
import { analyzeFolder } from './folder';

/**
 * WIT diagnostics in the Problems panel. A WIT package is a folder of .wit files, so a change to one
 * file re-checks every .wit file of its folder (open editors' unsaved text included).
 */
export class WitProblems implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('wit');
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly log: vscode.LogOutputChannel) {
    const schedule = (doc: vscode.TextDocument) => doc.languageId === 'wit' && doc.uri.scheme === 'file' && this.schedule(dirname(doc.uri.fsPath));
    this.subscriptions.push(
      vscode.workspace.onDidOpenTextDocument(schedule),
      vscode.workspace.onDidChangeTextDocument((e) => schedule(e.document)),
      vscode.workspace.onDidSaveTextDocument(schedule),
    );
    vscode.workspace.textDocuments.forEach(schedule);
  }

  private schedule(folder: string): void {
    clearTimeout(this.timers.get(folder));
    this.timers.set(folder, setTimeout(() => {
      this.timers.delete(folder);
      this.check(folder).catch((err: unknown) => this.log.error(`wit: checking ${folder}: ${(err as Error).message}`));
    }, 250));
  }

  /** Analyzes the folder's .wit files and replaces their diagnostics. */
  async check(folder: string): Promise<void> {
    const { sources, analysis } = await analyzeFolder(folder);
    const byFile = new Map<string, vscode.Diagnostic[]>(sources.map((s) => [s.file, []]));
    for (const d of analysis.diagnostics) {
      const { start, end } = d.range;
      const range = new vscode.Range(start.line - 1, start.column - 1, end.line - 1, end.column - 1);
      const diagnostic = new vscode.Diagnostic(range, d.message, vscode.DiagnosticSeverity.Error);
      diagnostic.source = 'wit';
      diagnostic.code = d.kind;
      byFile.get(d.file ?? '')?.push(diagnostic);
    }
    for (const [file, list] of byFile) this.collection.set(vscode.Uri.file(file), list);
  }

  dispose(): void {
    this.timers.forEach(clearTimeout);
    this.subscriptions.forEach((s) => s.dispose());
    this.collection.dispose();
  }
}
