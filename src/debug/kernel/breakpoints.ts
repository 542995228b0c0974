// The kernel level's breakpoints: owners per address (the gdbstub's Z0 set) and how names and addresses resolve.
import type { BreakpointAnswer } from '../model';
import type { ElfSymbols } from './elf';
import { parseAddress } from './memory';

export type BreakpointKind = 'function' | 'instruction';

export interface MachineBreakpoint {
  id: number;
  kind: BreakpointKind;
  address: bigint;
}

export interface BreakpointChanges {
  insert: bigint[];
  remove: bigint[];
}

/**
 * The breakpoints at machine level. Each kind (function, instruction) comes as a whole new list;
 * several of them may name the same address, while the stub holds one Z0 per address. This table
 * keeps the owners per address and tells which Z0/z0 packets a new list needs.
 */
export class BreakpointTable {
  private byKind = new Map<BreakpointKind, MachineBreakpoint[]>();
  private nextId = 1;

  newId(): number {
    return this.nextId++;
  }

  /** Every address with at least one breakpoint. */
  addresses(): Set<bigint> {
    return new Set([...this.byKind.values()].flat().map((b) => b.address));
  }

  /** Replaces one kind's list; returns the addresses that gain their first owner or lose their last. */
  replace(kind: BreakpointKind, list: MachineBreakpoint[]): BreakpointChanges {
    const before = this.addresses();
    this.byKind.set(kind, list);
    const after = this.addresses();
    return {
      insert: [...after].filter((a) => !before.has(a)),
      remove: [...before].filter((a) => !after.has(a)),
    };
  }

  /** The breakpoints at `address` (what a stop there hit). */
  at(address: bigint): MachineBreakpoint[] {
    return [...this.byKind.values()].flat().filter((b) => b.address === address);
  }
}

/** A breakpoint the user asked for: the answer, and the machine breakpoints it takes (none when not verified). */
export interface ResolvedBreakpoint {
  answer: BreakpointAnswer;
  machine: MachineBreakpoint[];
}

/** A function breakpoint on kernel symbols: one machine breakpoint per function of that name. */
export function kernelFunctionBreakpoint(id: number, name: string, symbols: ElfSymbols | undefined): ResolvedBreakpoint {
  const found = symbols?.lookup(name.trim()).filter((s) => s.kind === 'function') ?? [];
  if (found.length === 0) {
    const why = symbols ? `no kernel function "${name}"` : 'no kernel symbols (attach with "kernel")';
    return { answer: { id, verified: false, message: why }, machine: [] };
  }
  const where = found.map((s) => `${s.name} @ 0x${s.address.toString(16)}`).join(', ');
  return {
    answer: { id, verified: true, message: where, instructionReference: `0x${found[0].address.toString(16)}` },
    machine: found.map((symbol) => ({ id, kind: 'function', address: symbol.address })),
  };
}

/** An instruction breakpoint at `reference` (an address) + `offset`. */
export function instructionBreakpoint(id: number, reference: string, offset: number | undefined, symbols: ElfSymbols | undefined): ResolvedBreakpoint {
  let address: bigint;
  try {
    address = parseAddress(reference) + BigInt(offset ?? 0);
  } catch (err) {
    return { answer: { id, verified: false, message: (err as Error).message }, machine: [] };
  }
  return {
    answer: { id, verified: true, instructionReference: `0x${address.toString(16)}`, message: symbols?.describe(address) },
    machine: [{ id, kind: 'instruction', address }],
  };
}
