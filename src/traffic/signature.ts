// Parameter names and types of the WIT functions a trace names, from the WIT parser in src/wit.
// This is the one place the traffic views depend on it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeWit, functionSignature, type WitSource } from '../wit';

export interface CallShape {
  /** Parameters without the implicit `self` of methods: name and type as written (`payload`). */
  params: { name: string; type: string }[];
  /** Result type as written, e.g. `result<_, keyvalue-error>`. */
  result?: string;
}

/** (interface, canonical function name) → shape; undefined when the WIT does not define it. */
export type SignatureLookup = (iface: string, fn: string) => CallShape | undefined;

export function witSignatures(sources: WitSource[]): SignatureLookup {
  const analysis = analyzeWit(sources);
  const cache = new Map<string, CallShape | undefined>();
  return (iface, fn) => {
    const k = `${iface}#${fn}`;
    if (!cache.has(k)) {
      const sig = functionSignature(analysis, iface, fn);
      cache.set(k, sig && {
        params: sig.params.filter((p) => p.type !== undefined).map((p) => ({ name: p.name, type: p.text })),
        result: sig.result?.text,
      });
    }
    return cache.get(k);
  };
}

/** The lookup over every `.wit` file of `dir`; one that knows nothing when the folder cannot be read. */
export function witSignaturesFromDir(dir: string, report: (message: string) => void): SignatureLookup {
  try {
    const files = readdirSync(dir).filter((f) => f.endsWith('.wit'));
    return witSignatures(files.map((f) => ({ file: join(dir, f), text: readFileSync(join(dir, f), 'utf8') })));
  } catch (err) {
    report(`traffic: no WIT signatures (${(err as Error).message}); calls are shown without parameter types`);
    return () => undefined;
  }
}
