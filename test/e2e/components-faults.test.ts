// Hostile wasi:http components under `uniwasm run`: components the kernel must refuse fail the boot
// naming the problem, and one that traps, runs out of fuel or never answers gets its status while the
// kernel keeps serving. The component is kernel/runtime/tests/guests/hostile-component.wat (the host
// tests' own), built with wasm-tools at test time. Real QEMU under TCG, real HTTP over TCP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { productRoot } from '../../src/util/paths';
import { freePort } from '../../src/util/ports';
import { runCli, startCli, waitForReady } from '../support/cli';

const work = mkdtempSync(join(tmpdir(), 'uniwasm-components-faults-'));
const wasmTools = join(productRoot(), '.uniwasm', 'tools', 'bin', 'wasm-tools');
const source = readFileSync(join(productRoot(), 'kernel', 'runtime', 'tests', 'guests', 'hostile-component.wat'), 'utf8');

/** The hostile component with `from` replaced by `to` in its source, built as `name`. */
function build(name: string, from = '', to = ''): string {
  assert.ok(source.includes(from), from);
  const wat = join(work, `${name}.wat`);
  const wasm = join(work, `${name}.wasm`);
  writeFileSync(wat, source.replace(from, to));
  execFileSync(wasmTools, ['parse', wat, '-o', wasm]);
  return wasm;
}

test('components the kernel cannot run fail the boot with a message that names the problem', async () => {
  const garbage = join(work, 'garbage.wasm');
  const header = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
  writeFileSync(garbage, Buffer.from([...header, ...Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff)]));
  const cases: [string, string, RegExp][] = [
    [garbage, 'garbage', /invalid component: /],
    [
      build('sockets', '(component $C\n', '(component $C\n  (import "wasi:sockets/tcp@0.2.0" (instance))\n'),
      'sockets',
      /the component imports wasi:sockets\/tcp@0\.2\.0, which this host does not offer/,
    ],
    [
      build('utf16', '(realloc $realloc) string-encoding=utf8', '(realloc $realloc) string-encoding=utf16'),
      'utf16',
      /unsupported component feature: string-encoding=utf16 \(only UTF-8 strings are\)/,
    ],
  ];
  for (const [file, name, expected] of cases) {
    const { code, stderr } = await runCli(['run', '--app', file, '--port', String(await freePort())]);
    assert.notEqual(code, 0, name);
    assert.match(stderr, /the guest failed to boot/, name);
    assert.match(stderr, expected, `${name}:\n${stderr}`);
  }
});

test('a component that traps, runs out of fuel or never answers gets 500, 504, 500, and the kernel keeps serving', async () => {
  const cli = startCli(['run', '--app', build('hostile'), '--port', String(await freePort())]);
  try {
    const url = await waitForReady(cli);
    const hello = async (): Promise<void> => {
      const r = await fetch(`${url}/hello`);
      assert.deepEqual([r.status, await r.text()], [200, 'hello from a component\n']);
    };
    await hello();
    const faults: [string, number, RegExp][] = [
      ['/trap', 500, /the handler trapped: .*unreachable/],
      ['/spin', 504, /the handler ran out of fuel/],
      ['/none', 500, /the component returned without setting a response/],
      ['/double', 500, /response-outparam\.set: unknown resource handle/],
    ];
    for (const [path, status, message] of faults) {
      const r = await fetch(`${url}${path}`);
      assert.equal(r.status, status, path);
      assert.match(await r.text(), message, path);
      await hello();
    }
    // The trap and the fuel cost the instance; /none did not: the count is of requests since the last trap.
    const count = Buffer.from(await (await fetch(`${url}/count`)).arrayBuffer()).readUInt32LE(0);
    assert.equal(count, 2, 'a fresh instance after /double, then /hello and /count');
  } finally {
    cli.child.kill('SIGTERM');
    await cli.exited;
  }
});
