// Rust symbol demangling (legacy and v0) for kernel frame and breakpoint names.
/**
 * Rust symbol demangling, enough to name kernel functions: the legacy scheme (`_ZN…E`, what stable
 * rustc gives our crates) and v0 (`_R…`, what the prebuilt core/alloc use). Output follows
 * rustc-demangle's plain form: no hashes or crate disambiguators.
 */
export function demangleRust(raw: string): string | undefined {
  if (raw.startsWith('_R')) return demangleV0(raw);
  return demangleLegacy(raw);
}

/** `$LT$`-style escapes of the legacy scheme. */
const LEGACY_ESCAPES: Record<string, string> = {
  SP: '@', BP: '*', RF: '&', LT: '<', GT: '>', LP: '(', RP: ')', C: ',',
};

/** `_ZN` length-prefixed path `E`; the trailing `h<16 hex>` hash is dropped. */
function demangleLegacy(raw: string): string | undefined {
  const start = raw.startsWith('_ZN') ? 3 : raw.startsWith('__ZN') ? 4 : -1;
  if (start < 0) return undefined;
  const parts: string[] = [];
  let at = start;
  while (at < raw.length && raw[at] !== 'E') {
    const digits = /^\d+/.exec(raw.slice(at));
    if (!digits) return undefined;
    at += digits[0].length;
    const length = Number(digits[0]);
    if (at + length > raw.length) return undefined;
    parts.push(raw.slice(at, at + length));
    at += length;
  }
  if (raw[at] !== 'E' || parts.length === 0) return undefined;
  if (parts.length > 1 && /^h[0-9a-f]{16}$/.test(parts[parts.length - 1])) parts.pop();
  return parts.map(unescapeLegacy).join('::');
}

function unescapeLegacy(part: string): string {
  let text = part.startsWith('_$') ? part.slice(1) : part;
  text = text.replace(/\$([A-Z]{1,2})\$/g, (whole, code: string) => LEGACY_ESCAPES[code] ?? whole);
  text = text.replace(/\$u([0-9a-f]+)\$/g, (_whole, hex: string) => String.fromCodePoint(parseInt(hex, 16)));
  return text.replaceAll('..', '::');
}

const BASIC_TYPES: Record<string, string> = {
  a: 'i8', b: 'bool', c: 'char', d: 'f64', e: 'str', f: 'f32', h: 'u8', i: 'isize', j: 'usize', l: 'i32', m: 'u32',
  n: 'i128', o: 'u128', s: 'i16', t: 'u16', u: '()', v: '...', x: 'i64', y: 'u64', z: '!', p: '_',
};
const SIGNED = new Set(['a', 'i', 'l', 'n', 's', 'x']);

class V0Error extends Error {}

/** The v0 grammar (RFC 2603), printed as rustc-demangle does without `{:#}`. */
function demangleV0(raw: string): string | undefined {
  if (!raw.startsWith('_R')) return undefined;
  // Strip an LLVM suffix such as `.llvm.123` that follows the symbol.
  const text = raw.slice(2).replace(/\.[A-Za-z0-9_.]*$/, '');
  const p = new V0Parser(text);
  try {
    if (/^[0-9]/.test(text)) p.decimal(); // encoding version
    const out = p.path(true);
    return out;
  } catch (err) {
    if (err instanceof V0Error) return undefined;
    throw err;
  }
}

class V0Parser {
  private at = 0;
  private depth = 0;
  /** Lifetimes bound by the enclosing `for<…>` binders: they are named 'a, 'b, … outward in. */
  private boundLifetimes = 0;

  constructor(private readonly s: string) {}

  private eat(c: string): boolean {
    if (this.s[this.at] !== c) return false;
    this.at++;
    return true;
  }

  private next(): string {
    if (this.at >= this.s.length) throw new V0Error('unexpected end');
    return this.s[this.at++];
  }

  decimal(): number {
    const m = /^(0|[1-9][0-9]*)/.exec(this.s.slice(this.at));
    if (!m) throw new V0Error('expected a decimal number');
    this.at += m[0].length;
    return Number(m[0]);
  }

  /** `_` is 0, else base-62 digits then `_`, plus one. */
  private base62(): number {
    if (this.eat('_')) return 0;
    let value = 0;
    for (;;) {
      const c = this.next();
      if (c === '_') return value + 1;
      const digit = c >= '0' && c <= '9' ? c.charCodeAt(0) - 48 : c >= 'a' && c <= 'z' ? c.charCodeAt(0) - 87 : c >= 'A' && c <= 'Z' ? c.charCodeAt(0) - 29 : -1;
      if (digit < 0) throw new V0Error('bad base-62 digit');
      value = value * 62 + digit;
    }
  }

  private disambiguator(): number {
    return this.eat('s') ? this.base62() + 1 : 0;
  }

  private identifier(): { name: string; disambiguator: number } {
    const disambiguator = this.disambiguator();
    return { name: this.undisambiguatedIdentifier(), disambiguator };
  }

  private undisambiguatedIdentifier(): string {
    const punycode = this.eat('u');
    const length = this.decimal();
    this.eat('_');
    if (this.at + length > this.s.length) throw new V0Error('identifier past the end');
    const name = this.s.slice(this.at, this.at + length);
    this.at += length;
    return punycode ? `punycode{${name}}` : name;
  }

  /** Follows a backref, parses with `parse` there, and comes back. */
  private backref<T>(parse: () => T): T {
    const target = this.base62();
    if (target >= this.at) throw new V0Error('forward backref');
    if (++this.depth > 100) throw new V0Error('backrefs nest too deep');
    const saved = this.at;
    this.at = target;
    try {
      return parse();
    } finally {
      this.at = saved;
      this.depth--;
    }
  }

  path(inValue: boolean): string {
    const tag = this.next();
    switch (tag) {
      case 'C':
        return this.identifier().name;
      case 'M': {
        this.disambiguator();
        this.path(false); // the impl's own path (its module): not printed
        return `<${this.type()}>`;
      }
      case 'X': {
        this.disambiguator();
        this.path(false);
        const self = this.type();
        return `<${self} as ${this.path(false)}>`;
      }
      case 'Y': {
        const self = this.type();
        return `<${self} as ${this.path(false)}>`;
      }
      case 'N': {
        const ns = this.next();
        const prefix = this.path(inValue);
        const { name, disambiguator } = this.identifier();
        if (ns === 'C') return `${prefix}::{closure${name ? `:${name}` : ''}#${disambiguator}}`;
        if (ns === 'S') return `${prefix}::{shim${name ? `:${name}` : ''}#${disambiguator}}`;
        if (ns >= 'A' && ns <= 'Z') return `${prefix}::{${ns}${name ? `:${name}` : ''}#${disambiguator}}`;
        return name ? `${prefix}::${name}` : prefix;
      }
      case 'I': {
        const prefix = this.path(inValue);
        const args = this.genericArgs();
        return `${prefix}${inValue ? '::' : ''}<${args.join(', ')}>`;
      }
      case 'B':
        return this.backref(() => this.path(inValue));
      default:
        throw new V0Error(`bad path tag ${tag}`);
    }
  }

  private genericArgs(): string[] {
    const args: string[] = [];
    while (!this.eat('E')) {
      if (this.eat('L')) args.push(this.lifetimeName(this.base62()));
      else if (this.eat('K')) args.push(this.constant());
      else args.push(this.type());
    }
    return args;
  }

  /** Index 0 is the erased lifetime; others count back from the innermost binder. */
  private lifetimeName(index: number): string {
    if (index === 0) return "'_";
    const depth = this.boundLifetimes - index;
    if (depth < 0) throw new V0Error('lifetime outside its binder');
    return depth < 26 ? `'${String.fromCharCode(97 + depth)}` : `'_${depth}`;
  }

  /** An optional `G` binder: `for<'a, …> ` before what `body` prints, its lifetimes bound meanwhile. */
  private binder(body: () => string): string {
    if (!this.eat('G')) return body();
    const count = this.base62() + 1;
    const names = Array.from({ length: count }, (_, i) => {
      const depth = this.boundLifetimes + i;
      return depth < 26 ? `'${String.fromCharCode(97 + depth)}` : `'_${depth}`;
    });
    this.boundLifetimes += count;
    try {
      return `for<${names.join(', ')}> ${body()}`;
    } finally {
      this.boundLifetimes -= count;
    }
  }

  type(): string {
    const tag = this.next();
    if (BASIC_TYPES[tag]) return BASIC_TYPES[tag];
    switch (tag) {
      case 'R': case 'Q': {
        const lifetime = this.eat('L') ? this.base62() : 0;
        return `&${lifetime ? `${this.lifetimeName(lifetime)} ` : ''}${tag === 'Q' ? 'mut ' : ''}${this.type()}`;
      }
      case 'P': return `*const ${this.type()}`;
      case 'O': return `*mut ${this.type()}`;
      case 'A': {
        const element = this.type();
        return `[${element}; ${this.constant()}]`;
      }
      case 'S': return `[${this.type()}]`;
      case 'T': {
        const items: string[] = [];
        while (!this.eat('E')) items.push(this.type());
        return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
      }
      case 'F': return this.fnSig();
      case 'D': {
        const bounds = this.binder(() => {
          const traits: string[] = [];
          while (!this.eat('E')) {
            let trait = this.path(false);
            const bindings: string[] = [];
            while (this.eat('p')) {
              const name = this.undisambiguatedIdentifier();
              bindings.push(`${name} = ${this.type()}`);
            }
            if (bindings.length) trait = trait.endsWith('>') ? `${trait.slice(0, -1)}, ${bindings.join(', ')}>` : `${trait}<${bindings.join(', ')}>`;
            traits.push(trait);
          }
          return traits.join(' + ');
        });
        const lifetime = this.eat('L') ? this.base62() : 0;
        return `dyn ${bounds}${lifetime ? ` + ${this.lifetimeName(lifetime)}` : ''}`;
      }
      case 'B':
        return this.backref(() => this.type());
      default:
        this.at--;
        return this.path(false);
    }
  }

  private fnSig(): string {
    return this.binder(() => this.fnSigBody());
  }

  private fnSigBody(): string {
    let prefix = this.eat('U') ? 'unsafe ' : '';
    if (this.eat('K')) prefix += `extern "${this.eat('C') ? 'C' : this.undisambiguatedIdentifier().replaceAll('_', '-')}" `;
    const params: string[] = [];
    while (!this.eat('E')) params.push(this.type());
    const result = this.type();
    return `${prefix}fn(${params.join(', ')})${result === '()' ? '' : ` -> ${result}`}`;
  }

  private constant(): string {
    if (this.eat('B')) return this.backref(() => this.constant());
    if (this.eat('p')) return '_';
    const type = this.next();
    if (!BASIC_TYPES[type]) throw new V0Error(`unsupported const type ${type}`);
    const negative = this.eat('n');
    const end = this.s.indexOf('_', this.at);
    if (end < 0) throw new V0Error('unterminated const');
    const hex = this.s.slice(this.at, end);
    this.at = end + 1;
    const value = hex ? BigInt(`0x${hex}`) : 0n;
    if (type === 'b') return value === 0n ? 'false' : 'true';
    if (type === 'c') return `'${String.fromCodePoint(Number(value))}'`;
    return `${negative && SIGNED.has(type) ? '-' : ''}${value}`;
  }
}
