// Guest memory through the gdbstub: addresses as users type them, and reads that stop at an unmapped page.
import type { GdbClient } from '../gdb/client';

/** A memory or instruction reference: `0x…` hex or decimal. */
export function parseAddress(reference: string): bigint {
  const text = reference.trim();
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text)) throw new Error(`"${reference}" is not an address (0x-hex or decimal)`);
  return BigInt(text);
}

/** Reads what it can from the start: an unmapped page ends the data, the rest counts as unreadable. */
export async function readReadable(client: GdbClient, address: bigint, count: number): Promise<{ data: Buffer; unreadable: number }> {
  try {
    return { data: await client.readMemory(address, count), unreadable: 0 };
  } catch {
    const parts: Buffer[] = [];
    let at = address;
    const end = address + BigInt(count);
    while (at < end) {
      const pageEnd = (at | 0xfffn) + 1n;
      const length = Number((pageEnd < end ? pageEnd : end) - at);
      try {
        parts.push(await client.readMemory(at, length));
      } catch {
        break;
      }
      at += BigInt(length);
    }
    return { data: Buffer.concat(parts), unreadable: Number(end - at) };
  }
}
