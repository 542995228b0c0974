// Setting a C variable that lives in a Wasm local (docs/DEBUGGING.md, "Variables in the adapter"): on the real kernel under QEMU, an app built at -O2 -g stopped where a scalar and a pointer are Wasm locals per DWARF; setVariable and setExpression change them, and the program's answer shows it went on with the new values; a caller's local is refused.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { debugApp, get, launchWasmDebug } from '../support/debug';

/**
 * At -O2, clang keeps `factor` and `p` in Wasm locals 0 and 1 of `scaled` at its return statement
 * (`DW_OP_WASM_location 0x0 N, DW_OP_stack_value`), and `base` in a local of `run` across its call.
 * The answer is run()'s result: r + base * 10000, r = factor * 100 + *p.
 */
const FUNCTIONS = `
static volatile int seed = 4;
static volatile int sink;
static char letters[] = "abcdefgh";
static int result;
static char text[16];
__attribute__((noinline)) void touch(int v) { sink = v; }
__attribute__((noinline)) const char *pick(const char *s, int at) { return s + (at & 3); }
__attribute__((noinline)) int combine(int factor, const char *p) { return factor * 100 + *p; }
__attribute__((noinline)) int scaled(int base, const char *s) {
  int factor = base * 3;
  const char *p = pick(s, base);
  touch(factor);
  return combine(factor, p);
}
__attribute__((noinline)) int run(void) {
  int base = seed;
  touch(base);
  int r = scaled(base, letters);
  touch(r);
  return r + base * 10000;
}
static const char *answer_text(void) {
  int v = result, n = 0;
  char digits[12];
  do digits[n++] = (char)('0' + v % 10); while (v /= 10);
  for (int i = 0; i < n; i++) text[i] = digits[n - 1 - i];
  text[n] = 0;
  return text;
}
`;

test('-O2: setVariable and setExpression of a scalar and a pointer in Wasm locals of the top frame change what the program computes; a caller\'s local is refused', async () => {
  const app = debugApp('setlocal-O2', 'result = run();', { functions: FUNCTIONS, optimize: '-O2', answer: 'answer_text()' });
  const line = readFileSync(app.source, 'utf8').split('\n').indexOf('  return combine(factor, p);') + 1;
  assert.ok(line > 0);
  const { dc, url } = await launchWasmDebug(app.dir, (dc) => dc.setBreakpointsRequest({ source: { path: app.source }, breakpoints: [{ line }] }));
  try {
    const stopped = dc.waitForEvent('stopped', 60_000) as Promise<DebugProtocol.StoppedEvent>;
    const answer = get(`${url}/hello`);
    answer.catch(() => undefined);
    const thread = (await stopped).body.threadId!;
    const stack = (await dc.stackTraceRequest({ threadId: thread })).body.stackFrames;
    assert.deepEqual(stack.slice(0, 2).map((f) => f.name), ['scaled', 'run']);
    const evaluate = async (expression: string, frameId = stack[0].id) => (await dc.evaluateRequest({ expression, frameId, context: 'watch' })).body.result;
    assert.equal(await evaluate('factor'), '12');
    assert.equal(await evaluate('*p'), "97 'a'");

    // setVariable on the Locals row of `factor`, a Wasm local per DWARF.
    const scopes = (await dc.scopesRequest({ frameId: stack[0].id })).body.scopes;
    const locals = scopes.find((s) => s.name === 'Locals')!;
    const rows = (await dc.variablesRequest({ variablesReference: locals.variablesReference })).body.variables;
    assert.ok(rows.some((r) => r.name === 'factor'), `factor is a local: ${rows.map((r) => r.name)}`);
    const set = await dc.setVariableRequest({ variablesReference: locals.variablesReference, name: 'factor', value: '5 + 2' });
    assert.equal(set.body.value, '7');
    assert.equal(await evaluate('factor'), '7', 'read back from the slot');
    // The type check stays: an int does not take a pointer's text.
    await assert.rejects(dc.setVariableRequest({ variablesReference: locals.variablesReference, name: 'factor', value: 'nonsense' }));

    // setExpression of the pointer `p`, another Wasm local.
    const setP = (await dc.customRequest('setExpression', { expression: 'p', value: 'p + 2', frameId: stack[0].id })) as DebugProtocol.SetExpressionResponse;
    assert.match(setP.body.value, /"cdefgh"/);
    assert.equal(await evaluate('*p'), "99 'c'");

    // `base` of the caller lives in a Wasm local of run: refused, with why.
    assert.equal(await evaluate('base', stack[1].id), '4');
    await assert.rejects(
      dc.customRequest('setExpression', { expression: 'base', value: '5', frameId: stack[1].id }),
      /Wasm local \d+ of a caller's frame: set it when that frame is on top/,
    );

    await dc.continueRequest({ threadId: thread });
    // r = 7 * 100 + 'c' (99), plus base 4 * 10000: the program went on with both new values.
    assert.deepEqual(await answer, { status: 200, body: '40799' });
    await dc.disconnectRequest({});
  } finally {
    await dc.stop();
  }
});
