// Wasm locals end to end (docs/DEBUGGING.md, "Values of locals"): on the real kernel under QEMU, the Locals (Wasm) scope of every Wasm frame holds the values the program has — the demo's frame base at -O0, and a recursion under a loop at -O0 and -O2.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DEMO, DEMO_SOURCE, debugApp, get, helloBodyLine, launchWasmDebug } from '../support/debug';

/** The variables of scope `name` in frame `frameId`: name → value as shown. */
async function scope(dc: DebugClient, frameId: number, name: string): Promise<Map<string, string>> {
  const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
  const found = scopes.find((s) => s.name === name);
  assert.ok(found, `frame ${frameId} has a ${name} scope: ${scopes.map((s) => s.name)}`);
  const variables = (await dc.variablesRequest({ variablesReference: found.variablesReference })).body.variables;
  return new Map(variables.map((v) => [v.name, v.value]));
}

/** An integer as the Locals and Globals scopes show it (`42 (0x2a)`). */
function int(shown: string | undefined): number {
  assert.ok(shown !== undefined && /^-?\d+ \(0x[0-9a-f]+\)$/.test(shown), `an integer: ${shown}`);
  return Number(shown.split(' ')[0]);
}

/** The integer values of a scope (a `(not captured)` line is not one). */
function integers(variables: Map<string, string>): number[] {
  return [...variables.values()].filter((v) => /^-?\d+ \(0x/.test(v)).map(int);
}

async function waitStop(dc: DebugClient): Promise<{ thread: number; stack: DebugProtocol.StackFrame[] }> {
  const stopped = (await dc.waitForEvent('stopped', 60_000)) as DebugProtocol.StoppedEvent;
  const thread = stopped.body.threadId!;
  return { thread, stack: (await dc.stackTraceRequest({ threadId: thread })).body.stackFrames };
}

test('the demo at -O0: the handler\'s frame base is __stack_pointer, its caller\'s lies above, where its params point', async () => {
  const session = await launchWasmDebug(DEMO, (dc) => dc.setBreakpointsRequest({ source: { path: DEMO_SOURCE }, breakpoints: [{ line: helloBodyLine() }] }));
  const { dc, url } = session;
  try {
    const answer = get(`${url}/hello`);
    const { thread, stack } = await waitStop(dc);
    assert.deepEqual(stack.slice(0, 2).map((f) => f.name), ['exports_http_server_demo_handle_hello', 'handle-hello']);
    const sp = int((await scope(dc, stack[0].id, 'Globals (Wasm)')).get('__stack_pointer'));
    const top = await scope(dc, stack[0].id, 'Locals (Wasm)');
    // clang -O0's prologue: __stack_pointer - frame size, kept in a local (DWARF's frame base) and written back to the global.
    assert.ok(integers(top).includes(sp), `a local of the handler holds __stack_pointer ${sp}: ${[...top]}`);
    // The params: (req, ret, err), pointers into the caller's frame, above the handler's.
    const params = ['$local 0', '$local 1', '$local 2'].map((n) => int(top.get(n)));
    assert.ok(params.every((p) => p > sp), `the handler's pointer params point above its frame: ${params} > ${sp}`);
    // The wrapper's frame base: above the handler's, and the pointers it passed point into its frame.
    const caller = await scope(dc, stack[1].id, 'Locals (Wasm)');
    const base = integers(caller).filter((v) => v > sp && v <= Math.min(...params) && Math.max(...params) < v + 4096);
    assert.ok(base.length, `a local of the wrapper is its frame base, above ${sp} and just below ${params}: ${[...caller]}`);
    await dc.continueRequest({ threadId: thread });
    assert.equal((await answer).status, 200);
    await dc.disconnectRequest({});
  } finally {
    await dc.stop();
  }
});

/** A loop calling a recursion that ends in a leaf: a function breakpoint on `leaf` stops with five Wasm frames of known values. */
const WALK = `
__attribute__((noinline)) int leaf(int i, int depth) { return i * 10 + depth; }
__attribute__((noinline)) int descend(int depth, int i) {
  if (depth == 0) return leaf(i, depth);
  return descend(depth - 1, i) * 3 + depth;
}
__attribute__((noinline)) int walk(int n) {
  int total = 0;
  for (int i = 0; i < n; i++) total += descend(2, i);
  return total;
}
`;

for (const optimize of ['-O0', '-O2']) {
  test(`a recursion under a loop at ${optimize}: each frame its own params, the loop counter in the caller`, async () => {
    const app = debugApp(`walk${optimize}`, 'volatile int n = 3; volatile int walked = walk(n); (void)walked;', { functions: WALK, optimize });
    const { dc, url } = await launchWasmDebug(app.dir, (dc) => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'leaf' }] }));
    try {
      const answer = get(`${url}/hello`);
      let stopped = waitStop(dc);
      for (let i = 0; i < 3; i++) {
        const { thread, stack } = await stopped;
        assert.deepEqual(stack.slice(0, 5).map((f) => f.name), ['leaf', 'descend', 'descend', 'descend', 'walk']);
        const leaf = await scope(dc, stack[0].id, 'Locals (Wasm)');
        assert.deepEqual([int(leaf.get('$local 0')), int(leaf.get('$local 1'))], [i, 0], 'leaf(i, 0)');
        for (const depth of [0, 1, 2]) {
          const frame = await scope(dc, stack[1 + depth].id, 'Locals (Wasm)');
          assert.deepEqual([int(frame.get('$local 0')), int(frame.get('$local 1'))], [depth, i], `descend(${depth}, ${i})`);
        }
        const walk = await scope(dc, stack[4].id, 'Locals (Wasm)');
        assert.equal(int(walk.get('$local 0')), 3, 'walk(3)');
        // At -O2 the loop counter is a Wasm local (at -O0 it lives in the frame, in linear memory).
        if (optimize === '-O2' && i > 0) assert.ok(integers(walk).includes(i), `walk's loop counter ${i}: ${[...walk]}`);
        // Waiting for the next stop before continuing: the stopped event may come in the same read as the response.
        if (i < 2) stopped = waitStop(dc);
        await dc.continueRequest({ threadId: thread });
      }
      assert.equal((await answer).status, 200);
      await dc.disconnectRequest({});
    } finally {
      await dc.stop();
    }
  });
}
