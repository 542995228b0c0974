// WIT editor features in VS Code: the Outline, go to definition, find references and hovers, answered
// from the analysis of the file's package folder (so names `use`d from sibling files and deps/ resolve).
import * as vscode from 'vscode';
import type { Range } from './ast';
import { packageOf } from './deps';
import { analyzeFolder } from './folder';
import { definitionAt, documentSymbols, hoverText, referencesTo, type SymbolKind, type WitSymbol } from './navigate';

const SELECTOR: vscode.DocumentSelector = { language: 'wit', scheme: 'file' };

const KINDS: Record<SymbolKind, vscode.SymbolKind> = {
  package: vscode.SymbolKind.Package,
  interface: vscode.SymbolKind.Interface,
  world: vscode.SymbolKind.Module,
  function: vscode.SymbolKind.Function,
  method: vscode.SymbolKind.Method,
  field: vscode.SymbolKind.Field,
  case: vscode.SymbolKind.EnumMember,
  import: vscode.SymbolKind.Namespace,
  export: vscode.SymbolKind.Namespace,
  use: vscode.SymbolKind.TypeParameter,
  record: vscode.SymbolKind.Struct,
  variant: vscode.SymbolKind.Enum,
  enum: vscode.SymbolKind.Enum,
  flags: vscode.SymbolKind.Enum,
  resource: vscode.SymbolKind.Class,
  alias: vscode.SymbolKind.TypeParameter,
};

function toRange(r: Range): vscode.Range {
  return new vscode.Range(r.start.line - 1, r.start.column - 1, r.end.line - 1, r.end.column - 1);
}

function toSymbol(s: WitSymbol): vscode.DocumentSymbol {
  const symbol = new vscode.DocumentSymbol(s.name, s.detail ?? '', KINDS[s.kind], toRange(s.range), toRange(s.selectionRange));
  symbol.children = s.children.map(toSymbol);
  return symbol;
}

/** The definition under the cursor, from the analysis of the document's folder. */
async function definitionUnder(doc: vscode.TextDocument, position: vscode.Position) {
  const { analysis } = await analyzeFolder(packageOf(doc.uri.fsPath));
  const def = definitionAt(analysis, doc.uri.fsPath, doc.offsetAt(position));
  return def && { analysis, def };
}

/** Registers the WIT language features; dispose the result to remove them. */
export function registerWitLanguage(): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.languages.registerDocumentSymbolProvider(SELECTOR, {
      async provideDocumentSymbols(doc) {
        const { analysis } = await analyzeFolder(packageOf(doc.uri.fsPath));
        const file = analysis.files.find((f) => f.file === doc.uri.fsPath);
        return file ? documentSymbols(file).map(toSymbol) : [];
      },
    }),
    vscode.languages.registerDefinitionProvider(SELECTOR, {
      async provideDefinition(doc, position) {
        const found = await definitionUnder(doc, position);
        return found && new vscode.Location(vscode.Uri.file(found.def.file), toRange(found.def.name.range));
      },
    }),
    vscode.languages.registerReferenceProvider(SELECTOR, {
      async provideReferences(doc, position, context) {
        const found = await definitionUnder(doc, position);
        if (!found) return [];
        return referencesTo(found.analysis, found.def, context.includeDeclaration).map((r) => new vscode.Location(vscode.Uri.file(r.file), toRange(r.range)));
      },
    }),
    vscode.languages.registerHoverProvider(SELECTOR, {
      async provideHover(doc, position) {
        const found = await definitionUnder(doc, position);
        return found && new vscode.Hover(new vscode.MarkdownString(hoverText(found.def)));
      },
    }),
  );
}
