// A small, strict XML parser for GDB target descriptions.
/**
 * A small, strict XML parser for GDB target descriptions: elements, attributes, text, comments,
 * CDATA, processing instructions and DOCTYPE. No DTD validation and no namespaces beyond keeping
 * prefixed names (`xi:include`) as they are. Comments are dropped, which matters: QEMU's
 * i386-64bit.xml keeps disabled registers (`<!--reg name="cs_base" …/-->`) inside comments.
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
}

export type XmlNode = XmlElement | string;

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const named = ENTITIES[ref];
    if (named === undefined) throw new Error(`XML: unknown entity ${whole}`);
    return named;
  });
}

/** Parses a document and returns its root element. */
export function parseXml(text: string): XmlElement {
  let pos = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const fail = (what: string): never => {
    const line = text.slice(0, pos).split('\n').length;
    throw new Error(`XML: ${what} at line ${line}`);
  };
  const skipPast = (end: string, what: string): void => {
    const at = text.indexOf(end, pos);
    if (at < 0) fail(`unterminated ${what}`);
    pos = at + end.length;
  };
  const readName = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(text);
    if (!m) return fail('expected a name');
    pos += m[0].length;
    return m[0];
  };
  const skipSpace = (): void => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const addChild = (node: XmlNode): void => {
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(node);
    else if (typeof node === 'string') {
      if (node.trim()) fail('text outside the root element');
    } else if (root) fail('a second root element');
    else root = node;
  };

  while (pos < text.length) {
    if (text[pos] !== '<') {
      const end = text.indexOf('<', pos);
      const raw = text.slice(pos, end < 0 ? text.length : end);
      pos += raw.length;
      addChild(decodeEntities(raw));
    } else if (text.startsWith('<!--', pos)) {
      skipPast('-->', 'comment');
    } else if (text.startsWith('<![CDATA[', pos)) {
      const start = pos + 9;
      skipPast(']]>', 'CDATA section');
      addChild(text.slice(start, pos - 3));
    } else if (text.startsWith('<?', pos)) {
      skipPast('?>', 'processing instruction');
    } else if (text.startsWith('<!', pos)) {
      // DOCTYPE: an internal subset in brackets may hold '>' characters.
      const bracket = text.indexOf('[', pos);
      const close = text.indexOf('>', pos);
      if (bracket >= 0 && bracket < close) skipPast(']', 'DOCTYPE');
      skipPast('>', 'DOCTYPE');
    } else if (text[pos + 1] === '/') {
      pos += 2;
      const name = readName();
      skipSpace();
      if (text[pos] !== '>') fail(`expected '>' after </${name}`);
      pos++;
      const open = stack.pop();
      if (!open || open.name !== name) fail(`</${name}> does not close <${open?.name ?? 'nothing'}>`);
    } else {
      pos++;
      const element: XmlElement = { name: readName(), attributes: {}, children: [] };
      for (;;) {
        skipSpace();
        if (text.startsWith('/>', pos)) {
          pos += 2;
          addChild(element);
          break;
        }
        if (text[pos] === '>') {
          pos++;
          addChild(element);
          stack.push(element);
          break;
        }
        const attr = readName();
        skipSpace();
        if (text[pos] !== '=') fail(`expected '=' after attribute ${attr}`);
        pos++;
        skipSpace();
        const quote = text[pos];
        if (quote !== '"' && quote !== "'") fail(`expected a quoted value for attribute ${attr}`);
        const end = text.indexOf(quote, pos + 1);
        if (end < 0) fail(`unterminated value of attribute ${attr}`);
        element.attributes[attr] = decodeEntities(text.slice(pos + 1, end));
        pos = end + 1;
      }
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1].name}> is never closed`);
  if (!root) return fail('no root element');
  return root;
}

/** The element children of `element`, optionally only those called `name`. */
export function childElements(element: XmlElement, name?: string): XmlElement[] {
  return element.children.filter((c): c is XmlElement => typeof c !== 'string' && (name === undefined || c.name === name));
}

export function textContent(element: XmlElement): string {
  return element.children.map((c) => (typeof c === 'string' ? c : textContent(c))).join('');
}
