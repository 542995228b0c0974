// Debug-test helpers: the demo app's source and handler line, a Wasm-level launch of the standalone adapter, C apps built with DWARF.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { productRoot } from '../../src/util/paths';
import { freePort } from '../../src/util/ports';
import { scratchDir } from '../fixtures/debug/scratch';

export const DEMO = join(productRoot(), 'examples', 'http-server-demo');
export const DEMO_SOURCE = join(DEMO, 'src', 'app.c');

/** The 1-based line of the first statement of handle-hello's body in the demo's app.c. */
export function helloBodyLine(): number {
  const lines = readFileSync(DEMO_SOURCE, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.startsWith('bool exports_http_server_demo_handle_hello('));
  const body = lines.findIndex((l, i) => i > start && l.includes('http_server_demo_request_free(req);'));
  if (start < 0 || body <= start) throw new Error(`handle-hello and its first call not found in ${DEMO_SOURCE}`);
  return body + 1;
}

/** The 1-based line of the demo's app.c that starts with `text` (after indentation) inside handle_bar. */
export function barLine(text: string): number {
  const lines = readFileSync(DEMO_SOURCE, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.startsWith('bool exports_http_server_demo_handle_bar('));
  const index = lines.findIndex((l, i) => i > start && l.trim().startsWith(text));
  assert.ok(start >= 0 && index > start, `app.c's handle_bar has a line ${text}`);
  return index + 1;
}

/**
 * Starts the standalone adapter (`node dist/debugAdapter.js`) and launches `app` at the Wasm level:
 * `configure` sets breakpoints before the guest runs; resolves once the guest answers HTTP (the
 * adapter's `ready` line).
 */
export async function launchWasmDebug(
  app: string,
  configure: (dc: DebugClient) => Promise<unknown>,
): Promise<{ dc: DebugClient; output: string[]; url: string; port: number }> {
  const port = await freePort();
  const dc = new DebugClient('node', join(productRoot(), 'dist', 'debugAdapter.js'), 'uniwasm');
  dc.defaultTimeout = 120_000;
  await dc.start();
  const output: string[] = [];
  dc.on('output', (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
  await dc.initializeRequest({ adapterID: 'uniwasm', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const initialized = dc.waitForEvent('initialized');
  const launched = dc.launchRequest({ app, port } as DebugProtocol.LaunchRequestArguments);
  await initialized;
  await configure(dc);
  await dc.configurationDoneRequest();
  await launched;
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60_000; !output.join('').includes(`ready ${url}`); ) {
    if (Date.now() > deadline) throw new Error(`the debugged guest did not answer HTTP:\n${output.join('')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { dc, output, url, port };
}

/**
 * A C app built with DWARF (`-g`, at `-O0` unless `optimize` says otherwise): the hello example's
 * source with `statement` (one or more lines, the first at `line`) in handle-hello, and
 * `functions` before the handler; `answer` (a C expression of a NUL-terminated string) is the body
 * GET /hello answers instead of the hello text.
 */
export function debugApp(
  name: string,
  statement: string,
  options: { functions?: string; optimize?: string; answer?: string } = {},
): { dir: string; source: string; line: number } {
  const dir = join(scratchDir(), name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'src'), { recursive: true });
  const original = readFileSync(join(productRoot(), 'examples', 'hello', 'src', 'app.c'), 'utf8');
  const marker = '  hello_request_free(req);\n';
  const handler = 'bool exports_hello_handle_hello(';
  assert.ok(original.includes(marker) && original.includes(handler), 'the hello example changed: no handle-hello to add to');
  const hello = '"hello from Uniwasm\\n"';
  assert.ok(original.includes(hello), 'the hello example changed: no hello text to replace');
  const source = original
    .replace(handler, `${options.functions ?? ''}\n${handler}`)
    .replace(marker, `${marker}  ${statement}\n`)
    .replace(hello, options.answer ?? hello);
  const line = source.split('\n').indexOf(`  ${statement.split('\n')[0]}`) + 1;
  writeFileSync(join(dir, 'src', 'app.c'), source);
  const root = productRoot();
  // The examples' build flags, minus -Os and --strip-debug: this module keeps its DWARF.
  writeFileSync(join(dir, 'build.sh'), `set -euo pipefail
mkdir -p build/gen
${root}/.uniwasm/tools/bin/wit-bindgen c ${root}/wit --world hello --out-dir build/gen >/dev/null
clang --target=wasm32-wasi ${options.optimize ?? '-O0'} -g -std=c11 -I build/gen -nostartfiles -Wl,--no-entry -Wl,--stack-first \\
  ${join(dir, 'src', 'app.c')} build/gen/hello.c build/gen/hello_component_type.o -o build/app.wasm
`);
  writeFileSync(join(dir, 'uniwasm.json'), JSON.stringify({ name, build: ['bash', 'build.sh'], wasm: 'build/app.wasm' }));
  return { dir, source: join(dir, 'src', 'app.c'), line };
}

/** GET `url`: status and body (connection: close). */
export function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}
