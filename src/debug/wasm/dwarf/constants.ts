// DWARF 5 codes (tags, attributes, forms, operations, list entries) the variable reader uses, with names for messages.

export const DW_TAG = {
  arrayType: 0x01, classType: 0x02, enumerationType: 0x04, formalParameter: 0x05, lexicalBlock: 0x0b, member: 0x0d,
  pointerType: 0x0f, referenceType: 0x10, compileUnit: 0x11, structureType: 0x13, subroutineType: 0x15, typedef: 0x16,
  unionType: 0x17, inlinedSubroutine: 0x1d, subrangeType: 0x21, baseType: 0x24, constType: 0x26, enumerator: 0x28,
  subprogram: 0x2e, variable: 0x34, volatileType: 0x35, restrictType: 0x37, unspecifiedType: 0x3b, partialUnit: 0x3c,
  rvalueReferenceType: 0x42, atomicType: 0x47, skeletonUnit: 0x4a,
} as const;

export const DW_AT = {
  sibling: 0x01, location: 0x02, name: 0x03, byteSize: 0x0b, bitOffset: 0x0c, bitSize: 0x0d, lowPc: 0x11, highPc: 0x12,
  constValue: 0x1c, upperBound: 0x2f, abstractOrigin: 0x31, count: 0x37, dataMemberLocation: 0x38, declLine: 0x3b,
  declaration: 0x3c, encoding: 0x3e, frameBase: 0x40, specification: 0x47, type: 0x49, ranges: 0x55,
  dataBitOffset: 0x6b, strOffsetsBase: 0x72, addrBase: 0x73, rnglistsBase: 0x74, loclistsBase: 0x8c,
} as const;

export const DW_FORM = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08, block: 0x09, block1: 0x0a,
  data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f, refAddr: 0x10, ref1: 0x11, ref2: 0x12, ref4: 0x13,
  ref8: 0x14, refUdata: 0x15, indirect: 0x16, secOffset: 0x17, exprloc: 0x18, flagPresent: 0x19, strx: 0x1a, addrx: 0x1b,
  refSup4: 0x1c, strpSup: 0x1d, data16: 0x1e, lineStrp: 0x1f, refSig8: 0x20, implicitConst: 0x21, loclistx: 0x22,
  rnglistx: 0x23, refSup8: 0x24, strx1: 0x25, strx2: 0x26, strx3: 0x27, strx4: 0x28, addrx1: 0x29, addrx2: 0x2a,
  addrx3: 0x2b, addrx4: 0x2c,
} as const;

export const DW_ATE = {
  address: 0x01, boolean: 0x02, float: 0x04, signed: 0x05, signedChar: 0x06, unsigned: 0x07, unsignedChar: 0x08, utf: 0x10,
} as const;

export const DW_OP = {
  addr: 0x03, deref: 0x06, const1u: 0x08, const1s: 0x09, const2u: 0x0a, const2s: 0x0b, const4u: 0x0c, const4s: 0x0d,
  const8u: 0x0e, const8s: 0x0f, constu: 0x10, consts: 0x11, dup: 0x12, drop: 0x13, over: 0x14, pick: 0x15, swap: 0x16,
  rot: 0x17, abs: 0x19, and: 0x1a, div: 0x1b, minus: 0x1c, mod: 0x1d, mul: 0x1e, neg: 0x1f, not: 0x20, or: 0x21,
  plus: 0x22, plusUconst: 0x23, shl: 0x24, shr: 0x25, shra: 0x26, xor: 0x27, bra: 0x28, eq: 0x29, ge: 0x2a, gt: 0x2b,
  le: 0x2c, lt: 0x2d, ne: 0x2e, skip: 0x2f, lit0: 0x30, lit31: 0x4f, fbreg: 0x91, piece: 0x93, derefSize: 0x94,
  nop: 0x96, formTlsAddress: 0x9b, implicitValue: 0x9e, stackValue: 0x9f, addrx: 0xa1, constx: 0xa2, gnuPushTlsAddress: 0xe0, wasmLocation: 0xed,
} as const;

/** DW_OP_WASM_location's first operand (WebAssembly tool-conventions, Dwarf.md). */
export const WASM_LOCATION = { local: 0, global: 1, operandStack: 2, globalU32: 3 } as const;

/** DWARF 5 location list entries (.debug_loclists); range list entries use the same numbers up to offset_pair. */
export const DW_LLE = {
  endOfList: 0, baseAddressx: 1, startxEndx: 2, startxLength: 3, offsetPair: 4, defaultLocation: 5, baseAddress: 6,
  startEnd: 7, startLength: 8,
} as const;

export const DW_RLE = {
  endOfList: 0, baseAddressx: 1, startxEndx: 2, startxLength: 3, offsetPair: 4, baseAddress: 5, startEnd: 6, startLength: 7,
} as const;

/** DWARF unit types of version 5 headers. */
export const DW_UT = { compile: 1, type: 2, partial: 3, skeleton: 4, splitCompile: 5, splitType: 6 } as const;

/** wasm-ld writes these for the code addresses of functions it dropped (--gc-sections): nothing lives there. */
export function isTombstone(address: number): boolean {
  return address >= 0xfffffffe;
}

const OP_NAMES = new Map<number, string>(Object.entries(DW_OP).map(([name, code]) => [code, `DW_OP_${snake(name)}`]));
OP_NAMES.set(DW_OP.wasmLocation, 'DW_OP_WASM_location');
OP_NAMES.set(DW_OP.gnuPushTlsAddress, 'DW_OP_GNU_push_tls_address');
const FORM_NAMES = new Map<number, string>(Object.entries(DW_FORM).map(([name, code]) => [code, `DW_FORM_${snake(name)}`]));

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `DW_OP_plus_uconst`, or the code in hex for one this module does not know. */
export function opName(code: number): string {
  if (code > DW_OP.lit0 && code <= DW_OP.lit31) return `DW_OP_lit${code - DW_OP.lit0}`;
  return OP_NAMES.get(code) ?? `DW_OP_0x${code.toString(16)}`;
}

export function formName(code: number): string {
  return FORM_NAMES.get(code) ?? `DW_FORM_0x${code.toString(16)}`;
}
