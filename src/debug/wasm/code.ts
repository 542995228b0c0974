// The Wasm code as the Disassembly view pages through it: instruction references, text, source lines.
import type { DisassembledInstruction } from '../model';
import { Disassembler } from './disassemble';
import { OP } from './instructions';
import { codeSectionStart } from './module';
import type { ProbeSite } from './instrument';
import type { WasmProgram } from './program';

/** An instruction reference into the original module: `wasm-code:0x` + its file offset (what wasm-objdump prints). */
const CODE_REFERENCE = /^wasm-code:(0x[0-9a-f]+|\d+)$/i;

/**
 * The original module's code for the Disassembly view: instruction references are
 * `wasm-code:0xOFFSET` with OFFSET a file offset in the module (the addresses wasm-objdump -d
 * prints), each instruction carries its DWARF source line, and the whole code section is one run of
 * instructions to page through both ways. A stack frame's reference is the instruction of its probe
 * site: the statement's first instruction, the function's first instruction at its entry, the
 * `return` or final `end` at its exit.
 */
export class WasmCode {
  private disassembler: Disassembler | undefined;
  /** File offset of an instruction → the probe sites there, built on first use. */
  private sites: Map<number, ProbeSite[]> | undefined;
  private readonly codeBase: number;

  constructor(
    private readonly program: WasmProgram,
    /** A DWARF path as the editor opens it. */
    private readonly sourcePath: (file: string) => string,
  ) {
    this.codeBase = codeSectionStart(program.module);
  }

  /** Disassembled on first use: a large module is not disassembled until someone looks. */
  private get instructions(): Disassembler {
    this.disassembler ??= new Disassembler(this.program.module);
    return this.disassembler;
  }

  /** The reference of the instruction at a code offset (DWARF's, from the code section's payload), as a stack frame gives it. */
  reference(codeOffset: number): string {
    return `wasm-code:0x${this.instructionAt(codeOffset).toString(16)}`;
  }

  /**
   * A caller's frame: its site is the statement that holds the call, so the reference is the first
   * call of `callee` from there on (or the first indirect call, when no direct one names it), else
   * the statement's instruction.
   */
  callReference(codeOffset: number, callee: number): string {
    const from = this.instructions.following(this.instructionAt(codeOffset));
    const call = from.find((i) => (i.opcode === OP.call || i.opcode === OP.returnCall) && i.funcIndex === callee)
      ?? from.find((i) => i.opcode === OP.callIndirect || i.opcode === OP.returnCallIndirect);
    return call ? `wasm-code:0x${call.offset.toString(16)}` : this.reference(codeOffset);
  }

  /** The probe sites whose instruction (as reference() names it) is at file offset `offset`: where an instruction breakpoint can stop. */
  sitesAt(offset: number): ProbeSite[] {
    if (!this.sites) {
      this.sites = new Map();
      for (const site of this.program.sites) {
        const at = this.instructionAt(site.codeOffset);
        this.sites.set(at, [...(this.sites.get(at) ?? []), site]);
      }
    }
    return this.sites.get(offset) ?? [];
  }

  /** The file offset of the instruction at a code offset (a body's start belongs to its first instruction). */
  private instructionAt(codeOffset: number): number {
    return this.instructions.instructionStart(codeOffset + this.codeBase) ?? codeOffset + this.codeBase;
  }

  /** The file offset a `wasm-code:` reference (plus `offset` bytes) names; undefined for another kind of reference. */
  static offsetOf(reference: string, offset = 0): number | undefined {
    const match = CODE_REFERENCE.exec(reference.trim());
    return match ? Number(match[1]) + offset : undefined;
  }

  /**
   * `count` instructions from `instructionOffset` instructions after the one at the reference
   * (plus `offset` bytes; negative goes back). Places before the first instruction or after the
   * last are `invalid` fillers, so there are always `count`.
   */
  disassemble(reference: string, offset: number, instructionOffset: number, count: number): DisassembledInstruction[] {
    const fileOffset = WasmCode.offsetOf(reference, offset);
    if (fileOffset === undefined) throw new Error(`not a Wasm instruction reference: ${reference}`);
    const start = this.instructions.indexAt(fileOffset);
    if (start === undefined) throw new Error(`0x${fileOffset.toString(16)} is not in the module's code`);
    const out: DisassembledInstruction[] = [];
    for (let i = 0; i < count; i++) {
      const ins = this.instructions.at(start + instructionOffset + i);
      if (!ins) {
        out.push({ address: '-1', instruction: '', invalid: true });
        continue;
      }
      const row = this.program.lines?.lookup(ins.offset - this.codeBase);
      out.push({
        address: `0x${ins.offset.toString(16)}`,
        instructionBytes: Buffer.from(ins.bytes).toString('hex').replace(/(..)(?=.)/g, '$1 '),
        instruction: ins.text,
        symbol: this.program.functionName(ins.funcIndex),
        source: row ? { path: this.sourcePath(row.file) } : undefined,
        line: row?.line || undefined,
        column: row?.column || undefined,
      });
    }
    return out;
  }
}
