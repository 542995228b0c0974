// Compiler diagnostics: their shape, and clang's `file:line:col: severity: message` lines read into it.
import { isAbsolute, join } from 'node:path';

/** A compiler diagnostic with an absolute file path and 1-based positions. */
export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: 'error' | 'warning' | 'info';
  message: string;
}

const GCC_STYLE = /^(.+?):(\d+):(\d+): (fatal error|error|warning|note): (.*)$/;

/** Diagnostics in clang's (and gcc's) `file:line:col: severity: message` form; paths made absolute against `cwd`. */
export function parseClangDiagnostics(output: string, cwd: string): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (const line of output.split(/\r?\n/)) {
    const m = GCC_STYLE.exec(line.replace(/\x1b\[[0-9;]*m/g, ''));
    if (!m) continue;
    const [, file, l, c, level, message] = m;
    const lineNo = Number(l);
    const col = Number(c);
    found.push({
      file: isAbsolute(file!) ? file! : join(cwd, file!),
      line: lineNo,
      column: col,
      endLine: lineNo,
      endColumn: col + 1,
      severity: level === 'warning' ? 'warning' : level === 'note' ? 'info' : 'error',
      message: message!,
    });
  }
  return found;
}
