// Compiler diagnostics: their shape, and clang's `file:line:col: severity: message` lines read into it.
import { isAbsolute, join } from 'node:path';

/** A place in a source file with what the compiler says about it (a `note:` of a diagnostic). */
export interface RelatedNote {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** A compiler diagnostic with an absolute file path and 1-based positions. */
export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** The compiler's notes on it ("previous declaration is here"), in the order given. */
  related?: RelatedNote[];
}

const GCC_STYLE = /^(.+?):(\d+):(\d+): (fatal error|error|warning|note): (.*)$/;

/**
 * Diagnostics in clang's (and gcc's) `file:line:col: severity: message` form; paths made absolute
 * against `cwd`. A `note:` belongs to the error or warning before it (clang prints it right after),
 * so it becomes that diagnostic's related information; only a note with nothing before it stands alone.
 */
export function parseClangDiagnostics(output: string, cwd: string): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (const line of output.split(/\r?\n/)) {
    const m = GCC_STYLE.exec(line.replace(/\x1b\[[0-9;]*m/g, ''));
    if (!m) continue;
    const [, file, l, c, level, message] = m;
    const at = { file: isAbsolute(file!) ? file! : join(cwd, file!), line: Number(l), column: Number(c), message: message! };
    const owner = found[found.length - 1];
    if (level === 'note' && owner) {
      (owner.related ??= []).push(at);
      continue;
    }
    found.push({
      ...at,
      endLine: at.line,
      endColumn: at.column + 1,
      severity: level === 'warning' ? 'warning' : level === 'note' ? 'info' : 'error',
    });
  }
  return found;
}
