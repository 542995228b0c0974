/**
 * The adapter's breakpoints at machine level. DAP sends each kind (function, instruction) as a
 * whole new list; several of them may name the same address, while the stub holds one Z0 per
 * address. This table keeps the owners per address and tells which Z0/z0 packets a new list needs.
 */
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
