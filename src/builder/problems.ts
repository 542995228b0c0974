// Puts build diagnostics into VS Code's Problems panel, replacing the previous build's.
import * as vscode from 'vscode';
import type { Diagnostic } from './diagnostics';

const SEVERITY = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
} as const;

/** Collects build diagnostics into the Problems panel, replacing those of the previous build. */
export class Problems implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('uniwasm');
  private pending = new Map<string, vscode.Diagnostic[]>();

  /** Starts a new build: its diagnostics replace the old ones when `publish` is called. */
  begin(): void {
    this.pending = new Map();
  }

  add(d: Diagnostic): void {
    const range = new vscode.Range(d.line - 1, Math.max(d.column - 1, 0), d.endLine - 1, Math.max(d.endColumn - 1, 0));
    const diagnostic = new vscode.Diagnostic(range, d.message, SEVERITY[d.severity]);
    diagnostic.source = 'uniwasm';
    diagnostic.relatedInformation = d.related?.map((n) => new vscode.DiagnosticRelatedInformation(
      new vscode.Location(vscode.Uri.file(n.file), new vscode.Position(n.line - 1, Math.max(n.column - 1, 0))), n.message));
    const list = this.pending.get(d.file) ?? [];
    list.push(diagnostic);
    this.pending.set(d.file, list);
  }

  publish(): void {
    this.collection.clear();
    for (const [file, list] of this.pending) this.collection.set(vscode.Uri.file(file), list);
  }

  dispose(): void {
    this.collection.dispose();
  }
}
