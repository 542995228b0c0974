// Puts the diagnostics of the workspace's .wit files into VS Code's Problems panel.
import * as vscode from 'vscode';
import { dirname } from 'node:path';
import { packageOf, type WitPackageLayout } from './deps';
import { analyzeFolder } from './folder';

/**
 * WIT diagnostics in the Problems panel. A WIT package is a folder of .wit files, so a change to one
 * file re-checks every .wit file of its folder (open editors' unsaved text included); a change in a
 * deps package also re-checks the folder that depends on it.
 */
export class WitProblems implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('wit');
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly log: vscode.LogOutputChannel) {
    const schedule = (doc: vscode.TextDocument) => {
      if (doc.languageId !== 'wit' || doc.uri.scheme !== 'file') return;
      const layout = packageOf(doc.uri.fsPath);
      this.schedule(layout);
      if (layout.self) this.schedule({ folder: dirname(layout.depsDir), depsDir: layout.depsDir });
    };
    this.subscriptions.push(
      vscode.workspace.onDidOpenTextDocument(schedule),
      vscode.workspace.onDidChangeTextDocument((e) => schedule(e.document)),
      vscode.workspace.onDidSaveTextDocument(schedule),
    );
    vscode.workspace.textDocuments.forEach(schedule);
  }

  private schedule(layout: WitPackageLayout): void {
    const key = layout.only ?? layout.folder;
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      this.check(layout).catch((err: unknown) => this.log.error(`wit: checking ${key}: ${(err as Error).message}`));
    }, 250));
  }

  /** Analyzes the package's .wit files and replaces their diagnostics. */
  async check(layout: WitPackageLayout): Promise<void> {
    const { sources, analysis } = await analyzeFolder(layout);
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
