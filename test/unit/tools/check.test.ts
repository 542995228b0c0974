// Tests tools/check.ts: every tool an app build needs is checked, with the line that installs it, and
// the walkthrough and scripts/setup.sh say the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkTools, installLines, tools, WIT_BINDGEN_VERSION } from '../../../src/tools/check';
import { productRoot } from '../../../src/util/paths';

test('the list holds what the app build needs besides the compiler: wasm-objdump, the wasm32 compiler-rt, wit-bindgen', () => {
  const byName = new Map(tools().map((t) => [t.tool, t]));
  assert.equal(byName.get('wasm-objdump')?.apt, 'wabt');
  assert.equal(byName.get('compiler-rt (wasm32)')?.apt, 'libclang-rt-dev-wasm32');
  assert.equal(byName.get('wasi-libc')?.apt, 'wasi-libc');
  assert.equal(byName.get('wit-bindgen')?.install, `cargo install --locked wit-bindgen-cli --version ${WIT_BINDGEN_VERSION} --no-default-features --features c`);
});

test('the install lines: one apt line for the Debian packages, then one line for each other tool', () => {
  const missing = tools().filter((t) => ['wasm-objdump', 'compiler-rt (wasm32)', 'wit-bindgen'].includes(t.tool));
  assert.deepEqual(installLines(missing), [
    'sudo apt-get install -y libclang-rt-dev-wasm32 wabt',
    `cargo install --locked wit-bindgen-cli --version ${WIT_BINDGEN_VERSION} --no-default-features --features c`,
  ]);
  assert.deepEqual(installLines([]), []);
});

test('the walkthrough gives the apt line and the wit-bindgen line of every Debian tool; setup installs the same wit-bindgen', () => {
  const walkthrough = readFileSync(join(productRoot(), 'media/walkthrough/tools.md'), 'utf8');
  const [apt, ...others] = installLines(tools());
  assert.ok(walkthrough.includes(apt!), `${apt} in tools.md`);
  assert.ok(walkthrough.includes(others.find((l) => l.startsWith('cargo install'))!), 'the wit-bindgen line in tools.md');
  const setup = readFileSync(join(productRoot(), 'scripts/setup.sh'), 'utf8');
  assert.match(setup, new RegExp(`^WIT_BINDGEN_VERSION=${WIT_BINDGEN_VERSION.replace(/\./g, '\\.')}$`, 'm'));
});

test('on this machine every tool is found (setup installed them), each with what it found', async () => {
  const checks = await checkTools();
  assert.deepEqual(checks.filter((c) => !c.ok).map((c) => `${c.tool}: ${c.detail}`), []);
  const rt = checks.find((c) => c.tool === 'compiler-rt (wasm32)')!;
  assert.match(rt.detail, /libclang_rt\.builtins-wasm32\.a$/);
});

test('a tool that is not there is "not found", with its install line', async () => {
  const [qemu] = await checkTools('/nonexistent/qemu-system-x86_64');
  assert.deepEqual([qemu!.ok, qemu!.detail, installLines([qemu!])], [false, 'not found', ['sudo apt-get install -y qemu-system-x86']]);
});
