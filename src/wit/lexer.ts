// Tokenizer for WIT (component-model design/mvp/WIT.md, "Lexical structure").
// Pull-based so the parser can re-scan the raw text for semantic versions, whose
// shape (`1.0.0-rc.1+build`) does not fit the ordinary token set.

import type { Diagnostic, Position, Range } from './ast';

export type TokenKind =
  | 'ident' // plain identifier or keyword (the parser decides which)
  | 'explicit' // %-escaped identifier: never a keyword
  | 'integer'
  | 'string'
  | 'op'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** The identifier without its `%`, the operator, the digits, or the decoded string. */
  value: string;
  range: Range;
  /** Doc comments (`///`, `/** *\/`) met between the previous token and this one, text only. */
  docs: string[];
}

export const KEYWORDS = new Set([
  'as', 'async', 'bool', 'borrow', 'char', 'constructor', 'enum', 'export', 'f32', 'f64', 'flags', 'from',
  'func', 'future', 'import', 'include', 'interface', 'list', 'map', 'option', 'own', 'package', 'record',
  'resource', 'result', 's16', 's32', 's64', 's8', 'static', 'stream', 'string', 'tuple', 'type', 'u16',
  'u32', 'u64', 'u8', 'use', 'variant', 'with', 'world', 'error-context',
]);

// Longest operators first so `->` wins over `-`.
const OPERATORS = ['->', '=', ',', ':', ';', '(', ')', '{', '}', '<', '>', '*', '/', '.', '@', '_'];

// A kebab-case label: fragments that are all-lowercase words or all-uppercase acronyms.
const LABEL = /^(?:[a-z][a-z0-9]*|[A-Z][A-Z0-9]*)(?:-(?:[a-z][a-z0-9]*|[A-Z][A-Z0-9]*))*$/;
// Semantic Versioning 2.0 (numeric parts without leading zeros are not enforced: tools accept them).
const SEMVER = /[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?/y;

export class Lexer {
  private offset = 0;
  private line = 1;
  private lineStart = 0;

  constructor(
    readonly source: string,
    private readonly report: (d: Diagnostic) => void,
  ) {}

  position(): Position {
    return { offset: this.offset, line: this.line, column: this.offset - this.lineStart + 1 };
  }

  /** Moves to a position previously returned by `position()` or a token's range. */
  seek(pos: Position): void {
    this.offset = pos.offset;
    this.line = pos.line;
    this.lineStart = pos.offset - (pos.column - 1);
  }

  /** Reads a semantic version right at `pos` (no whitespace skipped), or returns undefined. */
  readVersion(pos: Position): { value: string; range: Range } | undefined {
    SEMVER.lastIndex = pos.offset;
    const m = SEMVER.exec(this.source);
    if (!m) return undefined;
    this.seek(pos);
    this.offset += m[0].length; // a version never spans lines
    return { value: m[0], range: { start: pos, end: this.position() } };
  }

  next(): Token {
    const docs: string[] = [];
    this.skipTrivia(docs);
    const start = this.position();
    const src = this.source;
    if (this.offset >= src.length) return { kind: 'eof', value: '', range: { start, end: start }, docs };
    const c = src[this.offset];

    if (c === '%' || isIdentStart(c)) {
      const explicit = c === '%';
      if (explicit) this.offset++;
      const begin = this.offset;
      while (this.offset < src.length && isIdentPart(src[this.offset])) this.offset++;
      const value = src.slice(begin, this.offset);
      const range = { start, end: this.position() };
      if (!LABEL.test(value)) {
        this.report({
          kind: 'syntax',
          message: value === '' ? 'expected an identifier after `%`' : `invalid identifier \`${value}\`: WIT names are kebab-case (e.g. \`my-name\`, \`HTTP-error\`)`,
          range,
        });
      }
      return { kind: explicit ? 'explicit' : 'ident', value, range, docs };
    }
    if (isDigit(c)) {
      while (this.offset < src.length && isDigit(src[this.offset])) this.offset++;
      return { kind: 'integer', value: src.slice(start.offset, this.offset), range: { start, end: this.position() }, docs };
    }
    if (c === '"') return this.string(start, docs);
    for (const op of OPERATORS) {
      if (src.startsWith(op, this.offset)) {
        this.offset += op.length;
        return { kind: 'op', value: op, range: { start, end: this.position() }, docs };
      }
    }
    // Skip one whole code point so a surrogate pair gives one diagnostic, not two.
    this.offset += (src.codePointAt(this.offset) ?? 0) > 0xffff ? 2 : 1;
    const range = { start, end: this.position() };
    this.report({ kind: 'syntax', message: `unexpected character \`${src.slice(start.offset, this.offset)}\``, range });
    return this.next();
  }

  private string(start: Position, docs: string[]): Token {
    const src = this.source;
    this.offset++; // opening quote
    let value = '';
    while (this.offset < src.length && src[this.offset] !== '"' && src[this.offset] !== '\n') {
      if (src[this.offset] === '\\') {
        const m = /^\\(?:u\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{2})|([tnr"'\\]))/.exec(src.slice(this.offset, this.offset + 10));
        if (m) {
          const code = m[1] !== undefined ? parseInt(m[1], 16) : m[2] !== undefined ? parseInt(m[2], 16) : -1;
          value += code >= 0 ? String.fromCodePoint(Math.min(code, 0x10ffff)) : ({ t: '\t', n: '\n', r: '\r' } as Record<string, string>)[m[3]] ?? m[3];
          this.offset += m[0].length;
          continue;
        }
        const at = this.position();
        this.report({ kind: 'syntax', message: 'invalid escape in string', range: { start: at, end: { ...at, offset: at.offset + 1, column: at.column + 1 } } });
      }
      value += src[this.offset++];
    }
    if (src[this.offset] === '"') this.offset++;
    else this.report({ kind: 'syntax', message: 'unterminated string', range: { start, end: this.position() } });
    return { kind: 'string', value, range: { start, end: this.position() }, docs };
  }

  /** Skips whitespace and comments, collecting doc comments into `docs`. */
  private skipTrivia(docs: string[]): void {
    const src = this.source;
    while (this.offset < src.length) {
      const c = src[this.offset];
      if (c === '\n') {
        this.offset++;
        this.line++;
        this.lineStart = this.offset;
      } else if (c === ' ' || c === '\t' || c === '\r') {
        this.offset++;
      } else if (src.startsWith('//', this.offset)) {
        const end = src.indexOf('\n', this.offset);
        const text = src.slice(this.offset, end < 0 ? src.length : end);
        // `///` is documentation; `////…` is a plain comment (the Rust convention WIT follows).
        if (/^\/\/\/(?!\/)/.test(text)) docs.push(text.slice(3).replace(/^ /, '').trimEnd());
        this.offset += text.length;
      } else if (src.startsWith('/*', this.offset)) {
        const start = this.position();
        const begin = this.offset;
        this.blockComment(start);
        const text = src.slice(begin, this.offset);
        if (/^\/\*\*(?![*/])/.test(text)) docs.push(cleanBlockDoc(text));
      } else {
        return;
      }
    }
  }

  // Block comments nest and must be balanced.
  private blockComment(start: Position): void {
    const src = this.source;
    let depth = 0;
    while (this.offset < src.length) {
      if (src.startsWith('/*', this.offset)) {
        depth++;
        this.offset += 2;
      } else if (src.startsWith('*/', this.offset)) {
        depth--;
        this.offset += 2;
        if (depth === 0) return;
      } else {
        if (src[this.offset] === '\n') {
          this.line++;
          this.lineStart = this.offset + 1;
        }
        this.offset++;
      }
    }
    this.report({ kind: 'syntax', message: 'unterminated block comment', range: { start, end: this.position() } });
  }
}

function cleanBlockDoc(text: string): string {
  return text
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, '').trimEnd())
    .join('\n')
    .trim();
}

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// `_` is not valid inside a name, but taking it in gives one clear "invalid identifier" error.
function isIdentPart(c: string): boolean {
  return isIdentStart(c) || isDigit(c) || c === '-' || c === '_';
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}
