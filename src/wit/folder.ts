// Reads a WIT package folder as the editor sees it (open editors' unsaved text first) and analyses it.
import * as vscode from 'vscode';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { analyzeWit, type WitAnalysis, type WitSource } from './analyze';

/** The analysis of every .wit file of `folder`, a WIT package. */
export async function analyzeFolder(folder: string): Promise<{ sources: WitSource[]; analysis: WitAnalysis }> {
  const open = new Map(vscode.workspace.textDocuments.filter((d) => d.languageId === 'wit').map((d) => [d.uri.fsPath, d.getText()]));
  const names = (await readdir(folder)).filter((n) => n.endsWith('.wit'));
  const sources: WitSource[] = await Promise.all(names.map(async (n) => {
    const file = join(folder, n);
    return { file, text: open.get(file) ?? (await readFile(file, 'utf8')) };
  }));
  return { sources, analysis: analyzeWit(sources) };
}
