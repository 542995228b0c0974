// What the kernel level shows at a stop: the kernel frame, the Registers and Kernel scopes, register edits and console expressions.
import type { GdbClient } from '../gdb/client';
import type { RegisterInfo } from '../gdb/targetDescription';
import type { Frame, Reference, Scope, Variable, VariableContainer } from '../model';
import type { ElfSymbols } from './elf';
import {
  cpuMode, describeEflags, formatRegister, NESTED_GROUPS, parseRegisterValue, registerGroup, TOP_LEVEL_GROUPS,
} from './registers';

/** The containers of the kernel level's scopes. */
export type KernelContainer = Extract<VariableContainer, { thread: number }>;

/** What the kernel level knows of its target: the GDB client, and the kernel ELF's symbols when there is one. */
export interface KernelTarget {
  client: GdbClient;
  symbols: ElfSymbols | undefined;
  kernelPath: string | undefined;
}

/**
 * The kernel frame of `thread`, named by the ELF's symbols. One frame per vCPU: the kernel is built
 * without frame pointers, so there is nothing reliable to unwind. At a Wasm stop the frame is the
 * trap function's caller: its return address tops the stack.
 */
export async function kernelFrame({ client, symbols }: KernelTarget, thread: number, atWasmStop: boolean): Promise<Frame> {
  await client.selectThread('g', thread);
  let rip = await client.readRegister('rip');
  if (atWasmStop) rip = (await client.readMemory(await client.readRegister('rsp'), 8)).readBigUInt64LE(0);
  return {
    id: thread,
    name: symbols?.describe(rip) ?? `0x${rip.toString(16)}`,
    line: 0,
    column: 0,
    instructionPointerReference: `0x${rip.toString(16)}`,
    presentationHint: 'normal',
  };
}

/** A kernel frame's id is its thread id (one frame per vCPU). */
export function kernelScopes(thread: number, reference: Reference): Scope[] {
  return [
    { name: 'Registers', variablesReference: reference({ kind: 'registers', thread }), expensive: false },
    { name: 'Kernel', variablesReference: reference({ kind: 'kernel', thread }), expensive: false },
  ];
}

export async function kernelVariables(target: KernelTarget, container: KernelContainer, reference: Reference): Promise<Variable[]> {
  const { client, symbols } = target;
  await client.selectThread('g', container.thread);
  const regs = await client.readRegisters();
  const described = client.target?.registers ?? [];
  const registerVariable = (reg: RegisterInfo): Variable => {
    const value = regs.get(reg.name) ?? 0n;
    const text = formatRegister(reg, value);
    return {
      name: reg.name,
      value: reg.name === 'eflags' ? `${text} ${describeEflags(value)}` : text,
      variablesReference: 0,
      // Lets VS Code open the memory view at what a register points to.
      memoryReference: reg.bitsize === 64 || reg.name === 'rip' ? text : undefined,
    };
  };
  switch (container.kind) {
    case 'registers':
      return [
        ...described.filter((r) => TOP_LEVEL_GROUPS.includes(registerGroup(r.name)) && regs.has(r.name)).map(registerVariable),
        ...NESTED_GROUPS.filter(({ group }) => described.some((r) => registerGroup(r.name) === group)).map(({ group, label }) => ({
          name: label,
          value: '',
          variablesReference: reference({ kind: 'registerGroup', thread: container.thread, group }),
        })),
      ];
    case 'registerGroup':
      return described.filter((r) => registerGroup(r.name) === container.group && regs.has(r.name)).map(registerVariable);
    case 'kernel': {
      const rip = regs.get('rip') ?? 0n;
      const string = (name: string, value: string): Variable => ({ name, value, variablesReference: 0 });
      return [
        string('location', symbols?.describe(rip) ?? `0x${rip.toString(16)}`),
        string('cpu mode', cpuMode(regs)),
        string('interrupts', (regs.get('eflags') ?? 0n) & (1n << 9n) ? 'enabled' : 'disabled'),
        string('vCPU', String(container.thread - 1)),
        string('kernel ELF', target.kernelPath ?? '(none: attach with "kernel" for symbols)'),
        string('symbols', String(symbols?.symbols.length ?? 0)),
      ];
    }
  }
}

/** Writes register `name` of `thread` from what the user typed; returns its new value as shown. */
export async function setRegister(client: GdbClient, thread: number, name: string, text: string): Promise<string> {
  const reg = client.target?.registers.find((r) => r.name === name);
  if (!reg) throw new Error(`unknown register ${name}`);
  const value = parseRegisterValue(text, reg);
  await client.selectThread('g', thread);
  await client.writeRegister(reg.name, value);
  return formatRegister(reg, await client.readRegister(reg.name));
}

/** A register name (`rip`, `$rsp`) of `thread`, or a kernel symbol (its address, for the memory view). */
export async function evaluate(
  { client, symbols }: KernelTarget, text: string, thread: number | undefined,
): Promise<{ result: string; memoryReference: string }> {
  const expression = text.trim().replace(/^\$/, '');
  const reg = client.target?.registers.find((r) => r.name === expression);
  if (reg) {
    if (thread !== undefined) await client.selectThread('g', thread);
    const value = formatRegister(reg, await client.readRegister(reg.name));
    return { result: value, memoryReference: value };
  }
  const symbol = symbols?.lookup(expression)[0];
  if (!symbol) throw new Error(`"${expression}" is neither a register nor a kernel symbol`);
  const address = `0x${symbol.address.toString(16)}`;
  return { result: `${address} <${symbol.name}> (${symbol.kind}, ${symbol.size} bytes)`, memoryReference: address };
}
