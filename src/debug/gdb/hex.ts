// Hex and little-endian helpers shared by the RSP packets (which carry addresses, lengths and values in hex).

/** A memory address or register value: bigint because x86_64 kernel addresses exceed 2^53. */
export type Address = bigint | number;

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Decodes an even-length hex string; throws on anything else, so a garbled reply cannot pass as data. */
export function fromHex(text: string): Buffer {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw new Error(`not a hex byte string: ${JSON.stringify(text.slice(0, 40))}`);
  return Buffer.from(text, 'hex');
}

/** Address or length as the bare lowercase hex the stub expects (`m1000,40`). */
export function hexNumber(value: Address): string {
  const n = BigInt(value);
  if (n < 0n) throw new Error(`negative address or length: ${n}`);
  return n.toString(16);
}

export function littleEndianToBigint(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

/** `value` as `size` little-endian bytes (two's complement for negative values). */
export function bigintToLittleEndian(value: bigint, size: number): Buffer {
  const out = Buffer.alloc(size);
  let rest = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}
