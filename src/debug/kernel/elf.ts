// The kernel ELF's symbols (functions, objects) and its PVH entry, for frame names and breakpoints.
import { readFileSync } from 'node:fs';
import { demangleRust } from './demangle';

/** A function (or object) symbol of an ELF file. */
export interface ElfSymbol {
  /** The symbol as the linker saw it (`_ZN…E` for Rust). */
  raw: string;
  /** Demangled without hashes (`uniwasm_kernel::net::poll`), or `raw` when not a Rust symbol. */
  name: string;
  address: bigint;
  size: bigint;
  kind: 'function' | 'object';
}

const SHT_SYMTAB = 2;
const SHT_NOTE = 7;
const XEN_ELFNOTE_PHYS32_ENTRY = 18;
const STT_NOTYPE = 0;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const SHF_EXECINSTR = 0x4;
/** Section indices at and above this are special (absolute, common …), not real sections. */
const SHN_LORESERVE = 0xff00;

/**
 * The symbol table of an ELF64 little-endian file (.symtab with its linked string table), sorted by
 * address. Only defined functions and objects count: they are what a stack frame or a breakpoint names.
 */
export class ElfSymbols {
  private constructor(
    readonly symbols: ElfSymbol[],
    /** Where the guest starts: the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) if any, else e_entry. */
    readonly entry: bigint,
  ) {}

  static fromFile(path: string): ElfSymbols {
    return ElfSymbols.parse(readFileSync(path));
  }

  static parse(file: Buffer): ElfSymbols {
    if (file.length < 64 || file.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file (bad magic)');
    if (file[4] !== 2) throw new Error('not an ELF64 file (only 64-bit kernels are supported)');
    if (file[5] !== 1) throw new Error('not a little-endian ELF file');
    const shoff = Number(file.readBigUInt64LE(0x28));
    const shentsize = file.readUInt16LE(0x3a);
    const shnum = file.readUInt16LE(0x3c);
    if (shoff === 0 || shoff + shnum * shentsize > file.length) throw new Error('ELF section headers are missing or truncated');
    const section = (i: number) => {
      const at = shoff + i * shentsize;
      return {
        type: file.readUInt32LE(at + 4),
        flags: Number(file.readBigUInt64LE(at + 8)),
        offset: Number(file.readBigUInt64LE(at + 0x18)),
        size: Number(file.readBigUInt64LE(at + 0x20)),
        link: file.readUInt32LE(at + 0x28),
        entsize: Number(file.readBigUInt64LE(at + 0x38)),
      };
    };
    const symbols: ElfSymbol[] = [];
    let entry = file.readBigUInt64LE(0x18);
    for (let i = 0; i < shnum; i++) {
      const note = section(i);
      if (note.type === SHT_NOTE) entry = pvhEntry(file, note.offset, note.size) ?? entry;
    }
    for (let i = 0; i < shnum; i++) {
      const symtab = section(i);
      if (symtab.type !== SHT_SYMTAB) continue;
      const strtab = section(symtab.link);
      if (symtab.offset + symtab.size > file.length || strtab.offset + strtab.size > file.length) {
        throw new Error('ELF symbol or string table runs past the end of the file');
      }
      const entsize = symtab.entsize || 24;
      for (let at = symtab.offset + entsize; at + entsize <= symtab.offset + symtab.size; at += entsize) {
        const type = file[at + 4] & 0xf;
        const shndx = file.readUInt16LE(at + 6);
        if (shndx === 0 || shndx >= SHN_LORESERVE) continue;
        // Assembly entry points (pvh_start, long_mode …) are untyped labels in code: count them as functions.
        const label = type === STT_NOTYPE && (section(shndx).flags & SHF_EXECINSTR) !== 0;
        if (type !== STT_FUNC && type !== STT_OBJECT && !label) continue;
        const nameOffset = strtab.offset + file.readUInt32LE(at);
        const end = file.indexOf(0, nameOffset);
        const raw = file.toString('utf8', nameOffset, end < 0 ? strtab.offset + strtab.size : end);
        if (raw === '' || raw.startsWith('.L')) continue;
        symbols.push({
          raw,
          name: demangleRust(raw) ?? raw,
          address: file.readBigUInt64LE(at + 8),
          size: file.readBigUInt64LE(at + 16),
          kind: type === STT_OBJECT ? 'object' : 'function',
        });
      }
    }
    symbols.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    return new ElfSymbols(symbols, entry);
  }

  /**
   * Symbols matching `query`: the raw name, the demangled name, or a path suffix of it
   * (`net::poll` finds `uniwasm_kernel::net::poll`), also with generic arguments and impl brackets
   * left out (`Net::poll` finds `<uniwasm_kernel::net::Net<4>>::poll`). Exact matches win.
   */
  lookup(query: string): ElfSymbol[] {
    const q = query.trim();
    const exact = this.symbols.filter((s) => s.raw === q || s.name === q || plainPath(s.name) === q);
    if (exact.length) return exact;
    return this.symbols.filter((s) => s.name.endsWith(`::${q}`) || plainPath(s.name).endsWith(`::${q}`));
  }

  /**
   * The symbol covering `address`: inside [address, address+size), or for a sized-0 label, anywhere
   * up to the next symbol (as gdb names code after an assembly label).
   */
  symbolAt(address: bigint): ElfSymbol | undefined {
    // Binary search for the last symbol starting at or below the address.
    let lo = 0;
    let hi = this.symbols.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.symbols[mid].address <= address) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // Several symbols may share a start (aliases, zero-sized labels): take any that covers the address.
    for (let i = found; i >= 0 && i > found - 8; i--) {
      const s = this.symbols[i];
      if (address === s.address || address < s.address + s.size) return s;
    }
    const last = this.symbols[found];
    return last?.size === 0n && last.kind === 'function' ? last : undefined;
  }

  /** `name+0x12` for an address, or undefined when no symbol covers it. */
  describe(address: bigint): string | undefined {
    const s = this.symbolAt(address);
    if (!s) return undefined;
    const offset = address - s.address;
    return offset === 0n ? s.name : `${s.name}+0x${offset.toString(16)}`;
  }
}

/** A demangled name without generic arguments and without the brackets of an inherent impl. */
export function plainPath(name: string): string {
  let out = name;
  for (let before = ''; before !== out; ) {
    before = out;
    out = out.replace(/(\w)(?:::)?<[^<>]*>/g, '$1');
  }
  return out.replace(/^<([^<>]*)>::/, (whole, inner: string) => (inner.includes(' as ') ? whole : `${inner}::`));
}

/** The entry of a Xen PVH note ("Xen", type 18) in a note section; QEMU reads it as 64 bits in an ELF64. */
function pvhEntry(file: Buffer, offset: number, size: number): bigint | undefined {
  const align4 = (n: number) => (n + 3) & ~3;
  for (let at = offset; at + 12 <= offset + size; ) {
    const namesz = file.readUInt32LE(at);
    const descsz = file.readUInt32LE(at + 4);
    const type = file.readUInt32LE(at + 8);
    const name = file.toString('latin1', at + 12, at + 12 + namesz);
    const desc = at + 12 + align4(namesz);
    if (desc + descsz > offset + size) return undefined;
    if (name === 'Xen\0' && type === XEN_ELFNOTE_PHYS32_ENTRY) {
      return descsz >= 8 ? file.readBigUInt64LE(desc) : descsz >= 4 ? BigInt(file.readUInt32LE(desc)) : undefined;
    }
    at = desc + align4(descsz);
  }
  return undefined;
}
