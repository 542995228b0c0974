// A read-only VS Code terminal that shows lines (the guest console, a task's output).
import * as vscode from 'vscode';

/** A read-only terminal that shows lines (the guest console, a task's output); closing it calls `onClose`. */
export class LineTerminal implements vscode.Pseudoterminal {
  private readonly writer = new vscode.EventEmitter<string>();
  private readonly closer = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writer.event;
  readonly onDidClose = this.closer.event;
  private backlog: string[] | undefined = [];

  constructor(private readonly onClose: () => void = () => {}) {}

  open(): void {
    for (const text of this.backlog ?? []) this.writer.fire(text);
    this.backlog = undefined;
  }

  close(): void {
    this.onClose();
  }

  /** Writes text, turning line feeds into the CRLF a terminal needs; buffers until the terminal opens. */
  write(text: string): void {
    const crlf = text.replace(/\r?\n/g, '\r\n');
    if (this.backlog) this.backlog.push(crlf);
    else this.writer.fire(crlf);
  }

  writeLine(line: string): void {
    this.write(line + '\n');
  }

  /** Ends the terminal's process with an exit code (tasks read it). */
  exit(code: number): void {
    this.closer.fire(code);
  }
}
