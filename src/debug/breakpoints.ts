// The user's breakpoints at both levels: function names, instruction addresses and source lines, each kind a whole new list.
import type { GdbClient } from './gdb/client';
import {
  BreakpointTable, instructionBreakpoint, kernelFunctionBreakpoint, type BreakpointChanges, type BreakpointKind, type MachineBreakpoint,
} from './kernel/breakpoints';
import type { ElfSymbols } from './kernel/elf';
import type { BreakpointAnswer, DataAccess } from './model';
import type { WasmLevel } from './wasm/level';

/** What the breakpoints need of the debugger: the target's symbols and Wasm level, and a stopped target. */
export interface BreakpointHost {
  symbols(): ElfSymbols | undefined;
  wasm(): WasmLevel | undefined;
  /** Runs `job` with the target stopped: the stub takes Z/z only then. */
  withTargetStopped(job: (client: GdbClient) => Promise<void>): Promise<void>;
}

/**
 * Function breakpoints go to a Wasm function of that name, else to kernel symbols; kernel functions
 * and instruction addresses become the stub's Z0 set (`machine`), Wasm functions and source lines
 * the kernel's bitmap (wasm/level.ts), data breakpoints the stub's watchpoints (wasm/watch.ts).
 */
export class Breakpoints {
  /** The machine breakpoints: what a kernel stop at rip hit, what a step must lift. */
  readonly machine = new BreakpointTable();

  constructor(private readonly host: BreakpointHost) {}

  /** By name: a Wasm function of that name wins; kernel symbols serve the names no Wasm function has. */
  async setFunctions(names: string[]): Promise<BreakpointAnswer[]> {
    const requests = names.map((name) => ({ id: this.machine.newId(), name }));
    const wasmAnswers = this.host.wasm()?.setFunctionBreakpoints(requests) ?? [];
    const machine: MachineBreakpoint[] = [];
    const answers = requests.map(({ id, name }, i) => {
      if (wasmAnswers[i]) return wasmAnswers[i];
      const kernel = kernelFunctionBreakpoint(id, name, this.host.symbols());
      machine.push(...kernel.machine);
      return kernel.answer;
    });
    await this.replace('function', machine);
    await this.writeWasm();
    return answers;
  }

  /** By address: Wasm code (`wasm-code:` references of the Disassembly view) at its probe sites, kernel addresses as Z0. */
  async setInstructions(breakpoints: { instructionReference: string; offset?: number }[]): Promise<BreakpointAnswer[]> {
    const requests = breakpoints.map((bp) => ({ id: this.machine.newId(), ...bp }));
    const wasmAnswers = this.host.wasm()?.setInstructionBreakpoints(requests) ?? [];
    const kernel = requests.map((r, i) => (wasmAnswers[i] ? undefined : instructionBreakpoint(r.id, r.instructionReference, r.offset, this.host.symbols())));
    await this.replace('instruction', kernel.flatMap((r) => r?.machine ?? []));
    await this.writeWasm();
    return requests.map((_, i) => wasmAnswers[i] ?? kernel[i]!.answer);
  }

  /** Source breakpoints belong to the Wasm level (DWARF lines of the app); the kernel has no line table here. */
  async setLines(path: string, lines: number[]): Promise<BreakpointAnswer[]> {
    const requests = lines.map((line) => ({ id: this.machine.newId(), line }));
    const wasm = this.host.wasm();
    if (!wasm) {
      const message = 'line breakpoints need Wasm-level debugging (launch with "debugWasm": true)';
      return requests.map(({ id }) => ({ id, verified: false, message }));
    }
    const answers = wasm.setLineBreakpoints(path, requests);
    await this.writeWasm();
    return answers;
  }

  /** Data breakpoints (wasm/watch.ts): watchpoints on linear memory, where the current stop (or the mailbox) says it lies. */
  async setData(breakpoints: { dataId: string; accessType?: DataAccess }[]): Promise<BreakpointAnswer[]> {
    const requests = breakpoints.map((b) => ({ id: this.machine.newId(), ...b }));
    const wasm = this.host.wasm();
    if (!wasm) return requests.map(({ id }) => ({ id, verified: false, message: 'data breakpoints watch linear memory: they need Wasm-level debugging' }));
    let answers: BreakpointAnswer[] = [];
    await this.host.withTargetStopped(async (client) => {
      const { memoryBase, memorySize } = wasm.stop?.mailbox ?? (await wasm.read(client));
      answers = await wasm.watchpoints.replace(client, requests, { base: memoryBase, size: memorySize });
    });
    return answers;
  }

  /** Takes every machine breakpoint out of the stub (before a detach: the guest runs on without them). */
  removeAll(client: GdbClient): Promise<void> {
    return setInStub(client, { insert: [], remove: [...this.machine.addresses()] });
  }

  /** The bitmap in the kernel follows the Wasm breakpoints (once the mailbox is ready; the ready stop writes it first). */
  private async writeWasm(): Promise<void> {
    const wasm = this.host.wasm();
    if (wasm?.isReady) await this.host.withTargetStopped((client) => wasm.writeBitmap(client));
  }

  private async replace(kind: BreakpointKind, list: MachineBreakpoint[]): Promise<void> {
    const changes = this.machine.replace(kind, list);
    if (!changes.insert.length && !changes.remove.length) return;
    await this.host.withTargetStopped((client) => setInStub(client, changes));
  }
}

async function setInStub(client: GdbClient, changes: BreakpointChanges): Promise<void> {
  for (const address of changes.remove) await client.removeBreakpoint(address, 'software');
  for (const address of changes.insert) await client.setBreakpoint(address, 'software');
}
