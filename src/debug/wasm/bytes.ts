// Byte-level reading and writing for the Wasm binary format and DWARF (both little-endian, LEB128).

/** Malformed input, with the file offset where reading failed. */
export class WasmFormatError extends Error {
  override name = 'WasmFormatError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at offset 0x${offset.toString(16)})`);
  }
}

/** A cursor over a byte range; every read checks the end of the range. */
export class ByteReader {
  constructor(
    readonly bytes: Uint8Array,
    public offset = 0,
    readonly end = bytes.length,
  ) {}

  get atEnd(): boolean {
    return this.offset >= this.end;
  }

  fail(message: string, at = this.offset): never {
    throw new WasmFormatError(message, at);
  }

  private need(count: number, what: string): void {
    if (this.offset + count > this.end) this.fail(`unexpected end of ${what}`);
  }

  u8(what = 'data'): number {
    this.need(1, what);
    return this.bytes[this.offset++];
  }

  u16(): number {
    this.need(2, 'data');
    const v = this.bytes[this.offset] | (this.bytes[this.offset + 1] << 8);
    this.offset += 2;
    return v;
  }

  u32le(): number {
    this.need(4, 'data');
    const b = this.bytes;
    const v = (b[this.offset] | (b[this.offset + 1] << 8) | (b[this.offset + 2] << 16)) + b[this.offset + 3] * 0x1000000;
    this.offset += 4;
    return v;
  }

  u64le(): bigint {
    const lo = BigInt(this.u32le());
    const hi = BigInt(this.u32le());
    return (hi << 32n) | lo;
  }

  /** Unsigned LEB128 up to 32 bits. */
  u32(what = 'LEB128 integer'): number {
    const start = this.offset;
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      if (shift > 28) this.fail(`${what} longer than 5 bytes`, start);
      const byte = this.u8(what);
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
    }
    if (result > 0xffffffff) this.fail(`${what} exceeds 32 bits`, start);
    return result;
  }

  /** Unsigned LEB128 of any length (DWARF's ULEB128). */
  uleb(): bigint {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = this.u8('ULEB128');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  }

  /** Unsigned LEB128 as a number below 2^49 (DWARF's codes, sizes, offsets, indices: no bigint to allocate), a bigint beyond. */
  ulebNumber(): number | bigint {
    const start = this.offset;
    let result = 0;
    for (let scale = 1; scale < 2 ** 49; scale *= 128) {
      const byte = this.u8('ULEB128');
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
    }
    this.offset = start;
    return this.uleb();
  }

  /** Signed LEB128 of any length (s32, s33, s64, DWARF's SLEB128). */
  sleb(what = 'signed LEB128'): bigint {
    let result = 0n;
    let shift = 0n;
    let byte: number;
    do {
      byte = this.u8(what);
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (shift > 70n) this.fail(`${what} too long`);
    } while (byte & 0x80);
    if (byte & 0x40) result -= 1n << shift;
    return result;
  }

  /** A DWARF unit's initial length (32- or 64-bit DWARF): where the unit ends, and how wide its section offsets are. */
  dwarfUnitLength(): { end: number; offsetSize: 4 | 8 } {
    const length = this.u32le();
    if (length === 0xffffffff) return { end: this.offset + 8 + Number(this.u64le()), offsetSize: 8 };
    if (length >= 0xfffffff0) this.fail('reserved DWARF unit length', this.offset - 4);
    return { end: this.offset + length, offsetSize: 4 };
  }

  bytesOf(count: number, what = 'data'): Uint8Array {
    this.need(count, what);
    const out = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }

  /** A Wasm name: u32 length + UTF-8. */
  name(): string {
    const length = this.u32('name length');
    return new TextDecoder('utf-8', { fatal: false }).decode(this.bytesOf(length, 'name'));
  }

  /** A NUL-terminated string (DWARF). */
  cstring(): string {
    const start = this.offset;
    while (this.u8('string') !== 0);
    return new TextDecoder().decode(this.bytes.subarray(start, this.offset - 1));
  }

  skip(count: number): void {
    this.need(count, 'data');
    this.offset += count;
  }
}

/** A growable output buffer with the Wasm encodings. */
export class ByteWriter {
  private chunks: number[] = [];

  get length(): number {
    return this.chunks.length;
  }

  byte(value: number): this {
    this.chunks.push(value & 0xff);
    return this;
  }

  bytes(data: ArrayLike<number>): this {
    for (let i = 0; i < data.length; i++) this.chunks.push(data[i]);
    return this;
  }

  u32(value: number): this {
    let v = value >>> 0;
    do {
      let byte = v & 0x7f;
      v >>>= 7;
      if (v !== 0) byte |= 0x80;
      this.chunks.push(byte);
    } while (v !== 0);
    return this;
  }

  s32(value: number): this {
    let v = value | 0;
    for (;;) {
      const byte = v & 0x7f;
      v >>= 7;
      const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
      this.chunks.push(done ? byte : byte | 0x80);
      if (done) return this;
    }
  }

  name(text: string): this {
    const utf8 = new TextEncoder().encode(text);
    return this.u32(utf8.length).bytes(utf8);
  }

  /** A length-prefixed vector of already-encoded parts (`u32 count` then the parts). */
  vector(parts: Uint8Array[]): this {
    this.u32(parts.length);
    for (const part of parts) this.bytes(part);
    return this;
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

/** Encodes one value with a fresh writer. */
export function encode(write: (w: ByteWriter) => unknown): Uint8Array {
  const w = new ByteWriter();
  write(w);
  return w.toBytes();
}
