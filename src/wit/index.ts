// WIT language support without `vscode`: parser, checker and signature lookup.
export * from './ast';
export { parseWit, type ParseResult } from './parser';
export { analyzeWit, type Entry, type PackageModel, type Scope, type TypeResolver, type TypeTarget, type WitAnalysis, type WitSource } from './analyze';
export {
  functionSignature, functionSignatures, resolveType, resolvedText, typeText,
  type FunctionSignature, type ResolvedType, type SignatureParam, type TypedValue,
} from './signature';
export { closestName } from './suggest';
export { packageOf, readDeps, type WitPackageLayout } from './deps';
export {
  allDefinitions, allReferences, definitionAt, documentSymbols, hoverText, referencesTo,
  type Definition, type Reference, type SymbolKind, type WitSymbol,
} from './navigate';
