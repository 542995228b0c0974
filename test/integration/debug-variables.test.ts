// The program's C variables end to end (docs/DEBUGGING.md, "Variables (DWARF)"): on the real kernel under QEMU, the demo's handle-bar stopped by a line breakpoint shows its Arguments and Locals from DWARF, evaluates C expressions, changes a variable the program then uses, and a data breakpoint on a variable stops at the line that writes it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DEMO, DEMO_SOURCE, barLine, get, launchWasmDebug } from '../support/debug';

async function waitStop(dc: DebugClient): Promise<{ thread: number; reason: string; stack: DebugProtocol.StackFrame[] }> {
  const stopped = (await dc.waitForEvent('stopped', 60_000)) as DebugProtocol.StoppedEvent;
  const thread = stopped.body.threadId!;
  return { thread, reason: stopped.body.reason, stack: (await dc.stackTraceRequest({ threadId: thread })).body.stackFrames };
}

/** The rows of scope `name` of a frame. */
async function scope(dc: DebugClient, frameId: number, name: string): Promise<DebugProtocol.Variable[]> {
  const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
  const found = scopes.find((s) => s.name === name);
  assert.ok(found, `frame ${frameId} has a ${name} scope: ${scopes.map((s) => s.name)}`);
  return (await dc.variablesRequest({ variablesReference: found.variablesReference })).body.variables;
}

function row(rows: DebugProtocol.Variable[], name: string): DebugProtocol.Variable {
  const found = rows.find((v) => v.name === name);
  assert.ok(found, `a row ${name}: ${rows.map((v) => `${v.name}=${v.value}`)}`);
  return found;
}

async function evaluate(dc: DebugClient, expression: string, frameId: number): Promise<DebugProtocol.EvaluateResponse['body']> {
  return (await dc.evaluateRequest({ expression, frameId, context: 'watch' })).body;
}

test('the demo\'s handle-bar: arguments, locals and a caller\'s variables from DWARF; expressions; setVariable and setExpression; a data breakpoint on a variable', async () => {
  const ifLine = barLine('if (req->body.is_some)');
  const setLine = barLine('bool ok =');
  const session = await launchWasmDebug(DEMO, (dc) => dc.setBreakpointsRequest({ source: { path: DEMO_SOURCE }, breakpoints: [{ line: ifLine }] }));
  const { dc, url } = session;
  try {
    const put = fetch(`${url}/bar`, { method: 'PUT', body: 'hello-vars' });
    // Failures show as the assertion that fails first, not as this request's end.
    put.catch(() => undefined);
    let { thread, stack } = await waitStop(dc);
    assert.equal(stack[0].line, ifLine);
    const top = stack[0].id;

    // Arguments: the handler's params, req a pointer that opens its request in the memory view.
    const args = await scope(dc, top, 'Arguments');
    assert.deepEqual(args.map((v) => v.name), ['req', 'ret', 'err']);
    const req = row(args, 'req');
    assert.match(req.memoryReference ?? '', /^wasm:0x[0-9a-f]+$/);
    assert.equal(req.evaluateName, 'req');
    const pointee = (await dc.variablesRequest({ variablesReference: req.variablesReference })).body.variables;
    assert.deepEqual(pointee.map((v) => v.name), ['*req']);
    const request = (await dc.variablesRequest({ variablesReference: pointee[0].variablesReference })).body.variables;
    assert.match(row(request, 'uri').value, /"\/bar"/, 'the request\'s uri, a (ptr, len) string');
    assert.equal(row(request, 'uri').evaluateName, '(*req).uri');

    // Locals in scope at the line: key and value (value = {NULL, 0} already ran).
    const locals = await scope(dc, top, 'Locals');
    const value = row(locals, 'value');
    const members = (await dc.variablesRequest({ variablesReference: value.variablesReference })).body.variables;
    assert.equal(row(members, 'len').value, '0');

    // A caller frame: the export's wrapper, with DWARF variables of its own.
    const callerRows = [...await scope(dc, stack[1].id, 'Arguments'), ...await scope(dc, stack[1].id, 'Locals')];
    assert.ok(callerRows.length && callerRows.every((v) => v.name !== '(unavailable)'), `${stack[1].name}'s variables: ${callerRows.map((v) => `${v.name}=${v.value}`)}`);

    // Expressions: a member access through a pointer, sizeof, and a wrong one (a short error, not a crash).
    assert.match((await evaluate(dc, 'req->body.val', top)).result, /"hello-vars"/);
    assert.equal((await evaluate(dc, 'req->body.is_some', top)).result, 'true');
    assert.equal((await evaluate(dc, 'sizeof(value)', top)).result, '8');
    const wrong = await dc.evaluateRequest({ expression: 'no_such_variable + 1', frameId: top, context: 'watch' }).then(() => undefined, (err: Error) => err);
    assert.ok(wrong, 'an unknown name is an error response');
    assert.match(wrong.message, /no_such_variable/);

    // A data breakpoint on value.len, by its row and by an expression: the same bytes.
    const info = (await dc.dataBreakpointInfoRequest({ variablesReference: value.variablesReference, name: 'len' })).body;
    assert.ok(info.dataId, info.description);
    assert.equal((await dc.dataBreakpointInfoRequest({ name: 'value.len', frameId: top })).body.dataId, info.dataId);
    const set = (await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.dataId, accessType: 'write' }] })).body.breakpoints;
    assert.equal(set[0].verified, true, set[0].message);
    // Waiting for the stop before continuing: the stopped event may come in the same read as the response.
    let stopped = waitStop(dc);
    await dc.continueRequest({ threadId: thread });
    let reason: string;
    ({ thread, reason, stack } = await stopped);
    assert.equal(reason, 'data breakpoint');
    assert.equal(stack[0].line, barLine('value.len ='), 'stopped at the line that wrote value.len');
    await dc.setDataBreakpointsRequest({ breakpoints: [] });

    // setVariable: the program stores 3 bytes of the body instead of 10.
    await dc.setBreakpointsRequest({ source: { path: DEMO_SOURCE }, breakpoints: [{ line: setLine }] });
    stopped = waitStop(dc);
    await dc.continueRequest({ threadId: thread });
    ({ thread, stack } = await stopped);
    assert.equal(stack[0].line, setLine);
    const valueNow = row(await scope(dc, stack[0].id, 'Locals'), 'value');
    // References start afresh at each stop (this one made fewer than the first stop), not growing over the session.
    assert.ok(valueNow.variablesReference < value.variablesReference, `${valueNow.variablesReference} < ${value.variablesReference}`);
    assert.equal(valueNow.value, '"hello-vars"', 'a (ptr, len) payload shows as its text');
    const valueMembers = async () => (await dc.variablesRequest({ variablesReference: valueNow.variablesReference })).body.variables;
    assert.equal(row(await valueMembers(), 'len').value, '10');
    const changed = await dc.setVariableRequest({ variablesReference: valueNow.variablesReference, name: 'len', value: '2 * 2' });
    assert.equal(changed.body.value, '4');
    // The rows asked for again at this stop (as VS Code does after a set) show the new value, not the ones shown before.
    assert.equal(row(await scope(dc, stack[0].id, 'Locals'), 'value').value, '"hell"');
    assert.equal(row(await valueMembers(), 'len').value, '4');
    // setExpression (what VS Code uses for a row with an evaluateName, and for a watch) has the last word.
    const setExpression: DebugProtocol.SetExpressionArguments = { expression: 'value.len', value: '1 + 2', frameId: stack[0].id };
    assert.equal(((await dc.customRequest('setExpression', setExpression)) as DebugProtocol.SetExpressionResponse).body.value, '3');
    assert.equal(row(await scope(dc, stack[0].id, 'Locals'), 'value').value, '"hel"');
    assert.equal(row(await valueMembers(), 'len').value, '3');
    const refused = await dc.setVariableRequest({ variablesReference: valueNow.variablesReference, name: 'len', value: 'nonsense' }).then(() => undefined, (err: Error) => err);
    assert.ok(refused, 'a wrong value is an error response');
    await dc.setBreakpointsRequest({ source: { path: DEMO_SOURCE }, breakpoints: [] });
    await dc.continueRequest({ threadId: thread });
    assert.equal((await put).status, 200);
    const stored = await get(`${url}/foo`);
    assert.deepEqual([stored.status, stored.body], [200, 'hel'], 'handle-foo returns what the changed len stored');
    await dc.disconnectRequest({});
  } finally {
    await dc.stop();
  }
});
