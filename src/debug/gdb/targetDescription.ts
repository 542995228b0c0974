// QEMU's target description (target.xml and its includes) as a register list, and `g` replies decoded with it.
import { littleEndianToBigint } from './hex';
import { childElements, parseXml, textContent, type XmlElement } from './xml';

/** One register as the target description declares it. */
export interface RegisterInfo {
  name: string;
  bitsize: number;
  /** The number `p`/`P` use and the register's position in the `g` packet order. */
  regnum: number;
  type?: string;
  group?: string;
  /** The `<feature name>` it came from, e.g. org.gnu.gdb.i386.core. */
  feature?: string;
}

export interface TargetDescription {
  architecture?: string;
  /** Sorted by regnum. */
  registers: RegisterInfo[];
  /** Every document read, by annex: target.xml and the files it includes (i386-64bit.xml …). */
  documents: Map<string, string>;
}

/** Reads one annex (`qXfer:features:read:<annex>`) from the stub. */
export type AnnexReader = (annex: string) => Promise<string>;

/** Includes nest only a little in practice; the cap stops a cycle of includes. */
const MAX_INCLUDE_DEPTH = 8;

/**
 * Fetches target.xml and every `xi:include` it pulls in, and collects the registers in document order.
 * A `reg` without `regnum` takes the previous register's number plus one (the first defaults to 0),
 * across features and included files, as GDB's gdb-target.dtd specifies.
 */
export async function loadTargetDescription(read: AnnexReader, annex = 'target.xml'): Promise<TargetDescription> {
  const result: TargetDescription = { registers: [], documents: new Map() };
  let nextRegnum = 0;

  const visit = async (element: XmlElement, feature: string | undefined, depth: number): Promise<void> => {
    for (const child of childElements(element)) {
      switch (child.name) {
        case 'architecture':
          result.architecture = textContent(child).trim();
          break;
        case 'xi:include': {
          const href = child.attributes.href;
          if (!href) throw new Error('target description: xi:include without href');
          await visitDocument(href, feature, depth + 1);
          break;
        }
        case 'feature':
          await visit(child, child.attributes.name, depth);
          break;
        case 'reg': {
          const reg = parseReg(child, nextRegnum, feature);
          nextRegnum = reg.regnum + 1;
          result.registers.push(reg);
          break;
        }
        // flags, vector, union, struct, osabi, compatible: types and metadata a register list does not need.
      }
    }
  };

  const visitDocument = async (name: string, feature: string | undefined, depth: number): Promise<void> => {
    if (depth > MAX_INCLUDE_DEPTH) throw new Error(`target description: includes nested deeper than ${MAX_INCLUDE_DEPTH} (${name})`);
    const text = await read(name);
    result.documents.set(name, text);
    const root = parseXml(text);
    // An included file is a <feature> (or a whole <target>): visit the root itself, not just its children.
    if (root.name === 'feature') await visit(root, root.attributes.name, depth);
    else await visit(root, feature, depth);
  };

  await visitDocument(annex, undefined, 0);
  result.registers.sort((a, b) => a.regnum - b.regnum);
  return result;
}

function parseReg(element: XmlElement, defaultRegnum: number, feature: string | undefined): RegisterInfo {
  const { name, bitsize, regnum, type, group } = element.attributes;
  const bits = Number(bitsize);
  if (!name || !Number.isInteger(bits) || bits <= 0) throw new Error(`target description: bad <reg name="${name}" bitsize="${bitsize}">`);
  const num = regnum === undefined ? defaultRegnum : Number(regnum);
  if (!Number.isInteger(num) || num < 0) throw new Error(`target description: bad regnum "${regnum}" for ${name}`);
  return { name, bitsize: bits, regnum: num, type, group, feature };
}

/**
 * Splits a `g` reply (hex, with `xx` for bytes the stub cannot supply) into named values. Registers
 * sit back to back in regnum order, each bitsize/8 bytes, little-endian on x86. The stub may stop
 * before the last register; unavailable registers are left out.
 */
export function decodeRegisterBlock(description: TargetDescription, hex: string): Map<string, bigint> {
  const values = new Map<string, bigint>();
  let offset = 0;
  for (const reg of description.registers) {
    const chars = Math.ceil(reg.bitsize / 8) * 2;
    if (offset + chars > hex.length) break;
    const field = hex.slice(offset, offset + chars);
    offset += chars;
    if (!/^[0-9a-fA-F]+$/.test(field)) continue;
    values.set(reg.name, littleEndianToBigint(Buffer.from(field, 'hex')));
  }
  return values;
}
