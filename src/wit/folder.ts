// Reads a WIT package as the editor sees it (open editors' unsaved text first) and analyses it with
// the packages of its deps folder.
import * as vscode from 'vscode';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { analyzeWit, type WitAnalysis, type WitSource } from './analyze';
import { readDeps, type WitPackageLayout } from './deps';

/** The analysis of every .wit file of a package (normally a folder), resolved against its deps. */
export async function analyzeFolder(layout: WitPackageLayout): Promise<{ sources: WitSource[]; analysis: WitAnalysis }> {
  const open = new Map(vscode.workspace.textDocuments.filter((d) => d.languageId === 'wit').map((d) => [d.uri.fsPath, d.getText()]));
  const files = layout.only ? [layout.only] : (await readdir(layout.folder)).filter((n) => n.endsWith('.wit')).map((n) => join(layout.folder, n));
  const sources: WitSource[] = await Promise.all(files.map(async (file) => ({ file, text: open.get(file) ?? (await readFile(file, 'utf8')) })));
  return { sources, analysis: analyzeWit(sources, await readDeps(layout.depsDir, layout.self)) };
}
