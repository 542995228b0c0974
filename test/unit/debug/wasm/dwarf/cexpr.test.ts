// C expressions and setValue over vars.c's variables in run(), from the memory the running program had at a checkpoint.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DwarfInfo, evaluateExpression, evaluateValue, ExpressionError, scopeVariables, setValue, type ExpressionScope } from '../../../../../src/debug/wasm/dwarf';
import { LineTable } from '../../../../../src/debug/wasm/dwarfLine';
import { parseModule } from '../../../../../src/debug/wasm/module';
import { buildVars, dwarfdumpDies, fakeFrame, lineOf, runVars } from '../../../../fixtures/debug/dwarf/programs';

/** run()'s scope at `checkpoint(3, &inner)`, -O0: the frame base from &inner and inner's DW_OP_fbreg offset (llvm-dwarfdump's). */
async function runScope(): Promise<ExpressionScope & { frameBase: number }> {
  const bytes = buildVars(['-O0', '-g']);
  const module = parseModule(bytes);
  const info = DwarfInfo.fromModule(module)!;
  const { checkpoints } = await runVars(bytes, 10);
  const at = checkpoints.find((c) => c.id === 3)!;
  const dies = dwarfdumpDies(bytes);
  const inner = dies.find((d) => d.attrs.get('DW_AT_name') === '"inner"')!;
  const frameBase = at.pointer - Number(/\+(\d+)/.exec(inner.attrs.get('DW_AT_location')!)![1]);
  const run = dies.find((d) => d.tag === 'DW_TAG_subprogram' && d.attrs.get('DW_AT_name') === '"run"')!;
  const local = Number(/DW_OP_WASM_location 0x0 (0x[0-9a-f]+)/.exec(run.attrs.get('DW_AT_frame_base')!)![1]);
  const pc = LineTable.fromModule(module)!.addressesFor('vars.c', lineOf('checkpoint(3, &inner)'))[0];
  return { info, frame: fakeFrame(at.memory, { [local]: BigInt(frameBase) }), variables: scopeVariables(info.scopes(pc)), frameBase };
}

test('expressions: names, members, pointers, indexing, casts, arithmetic, comparisons, sizeof, enumerators', async () => {
  const scope = await runScope();
  const value = async (text: string) => (await evaluateExpression(text, scope)).value;
  const cases: [string, string][] = [
    ['inner', '68'],
    ['p.x + pp->y', '-1'],
    ['*pp', '{x = 11, y = -12}'],
    ['values[2] * 2', '24'],
    ['*(values + 3)', '13'],
    ['&values[3] - &values[1]', '2'],
    ['list->next->at.x == 10', '1'],
    ['list->next->color', 'BLUE'],
    ['(char)byte', "-56 '\\xc8'"],
    ['(unsigned char)-1', "255 '\\xff'"],
    ['(unsigned short)-1', '65535'],
    ['sizeof(struct node)', '32'],
    ['sizeof values', '20'],
    ['sizeof(point_t)', '8'],
    ['sizeof(unsigned long long)', '8'],
    ['c == BLUE', '1'],
    ['GREEN', 'GREEN'],
    ['GREEN + 1', '6'],
    ['text[0]', "104 'h'"],
    ['word[1]', "97 'a'"],
    ['table[2][1]', '6'],
    ['ratio * 4', '3'],
    ['(int)(third * 30)', '10'],
    ['fl.level', '-3'],
    ['counter + 1', '8'],
    ['10 / 3', '3'],
    ['-7 % 3', '-1'],
    ['1 << 4', '16'],
    ['0x10 | 1', '17'],
    ['5 > 3 && 2 > 1', '1'],
    ['!yes', '0'],
    ['yes ? 1 : 2', '1'],
    ['4000000000u + 1', '4000000001'],
    ['(long long)counter * 1000000000000', '7000000000000'],
    ['big', '-1234567890123'],
    ["'a' + 1", '98'],
  ];
  for (const [text, expected] of cases) assert.equal(await value(text), expected, text);

  const address = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
  const p = await evaluateExpression('&p', scope);
  assert.equal(p.type, 'point_t *');
  assert.equal(p.value, (await evaluateExpression('pp', scope)).value);
  assert.equal(p.value, address(scope.frameBase + 64));
  assert.match(await value('list->next->name'), /^0x[0-9a-f]{8} "second"$/);
  assert.equal((await evaluateExpression('(struct node *)list', scope)).type, 'struct node *');
  assert.equal((await evaluateExpression('*list', scope)).type, 'struct node');
  assert.equal(await value('*(int *)0xfffff0'), '<cannot read memory at 0xfffff0>');
  assert.equal((await evaluateValue('values', scope)).place.kind, 'memory');
});

test('wrong expressions get short errors', async () => {
  const scope = await runScope();
  const errors: [string, RegExp][] = [
    ['nothing', /^no variable named 'nothing' here$/],
    ['p.z', /^no member named 'z' in point_t$/],
    ['*inner', /^cannot dereference a value of type int$/],
    ['1 / 0', /^division by zero$/],
    ['p +', /^unexpected end of the expression$/],
    ['(struct nope *)0', /^no type named 'struct nope'$/],
    ['&1', /^cannot take the address of a value that is not in memory$/],
    ['@', /^unexpected '@' at column 1$/],
    ['inner inner', /^unexpected 'inner' at column 7$/],
    ['p * 2', /^a point_t is not a number$/],
    ['', /^empty expression$/],
    ['(values[1]', /^expected '\)' at the end$/],
    ['*(void *)pp', /^cannot dereference a void pointer/],
    ['&fl.mode', /^cannot take the address of a bitfield$/],
  ];
  for (const [text, message] of errors) await assert.rejects(evaluateExpression(text, scope), (e) => e instanceof ExpressionError && message.test(e.message), text);
});

test('setValue: memory writes for scalars, pointers, enums, floats and bitfields, checked against the type', async () => {
  const scope = await runScope();
  const set = async (lvalue: string, text: string) => setValue(await evaluateValue(lvalue, scope), text, scope);
  const fb = scope.frameBase;
  assert.deepEqual(await set('inner', 'inner + 1'), { kind: 'memory', address: fb + 12, bytes: Uint8Array.of(69, 0, 0, 0) });
  assert.deepEqual(await set('p.y', '-1'), { kind: 'memory', address: fb + 64 + 4, bytes: Uint8Array.of(0xff, 0xff) });
  assert.deepEqual(await set('c', 'RED'), { kind: 'memory', address: fb + 44, bytes: Uint8Array.of(0, 0, 0, 0) });
  assert.deepEqual(await set('ratio', '1.5'), { kind: 'memory', address: fb + 32, bytes: Uint8Array.of(0, 0, 0, 0, 0, 0, 0xf8, 0x3f) });
  assert.deepEqual(await set('pp', '&p'), { kind: 'memory', address: fb + 60, bytes: Uint8Array.from([fb + 64, (fb + 64) >> 8, (fb + 64) >> 16, 0].map((b) => b & 0xff)) });
  assert.deepEqual(await set('pp', '0'), { kind: 'memory', address: fb + 60, bytes: Uint8Array.of(0, 0, 0, 0) });
  assert.deepEqual(await set('yes', '0'), { kind: 'memory', address: fb + 43, bytes: Uint8Array.of(0) });
  assert.deepEqual(await set('byte', '-1'), { kind: 'memory', address: fb + 42, bytes: Uint8Array.of(255) });
  assert.deepEqual(await set('values[4]', "'A'"), { kind: 'memory', address: fb + 80 + 16, bytes: Uint8Array.of(65, 0, 0, 0) });
  // fl's byte is 0xdb (ready 1, mode 5, level -3): mode = 2 keeps the other fields.
  assert.deepEqual(await set('fl.mode', '2'), { kind: 'memory', address: fb + 48, bytes: Uint8Array.of(0xd5) });
  assert.deepEqual(await set('fl.level', '-8'), { kind: 'memory', address: fb + 48, bytes: Uint8Array.of(0x8b) });

  const refused: [string, string, RegExp][] = [
    ['p', '1', /^only scalars and pointers can be set, not point_t$/],
    ['values', '1', /^only scalars and pointers can be set, not int\[5\]$/],
    ['pp', '1.5', /^cannot assign a double to a pointer$/],
    ['inner', 'pp', /^cannot assign a pointer to a int$/],
    ['byte', '300', /^300 does not fit in unsigned char$/],
    ['inner', 'nothing', /^no variable named 'nothing' here$/],
    ['inner', '*p', /^cannot dereference a value of type point_t$/],
  ];
  for (const [lvalue, text, message] of refused) await assert.rejects(set(lvalue, text), (e) => e instanceof ExpressionError && message.test(e.message), `${lvalue} = ${text}`);
});

/** run()'s scope at `checkpoint(3, &inner)`, -O2: seed in local 0 (10), nothing in memory. */
function optimizedScope(): ExpressionScope {
  const module = parseModule(buildVars(['-O2', '-g']));
  const info = DwarfInfo.fromModule(module)!;
  const scopes = info.scopes(LineTable.fromModule(module)!.addressesFor('vars.c', lineOf('checkpoint(3, &inner)'))[0]);
  return { info, frame: fakeFrame(new Uint8Array(16), { 0: 10n }), variables: scopeVariables(scopes) };
}

test('setValue at -O2: a Wasm local, or a refusal for a value the compiler computes', async () => {
  const scope = optimizedScope();
  assert.deepEqual(await setValue(await evaluateValue('seed', scope), '42', scope), { kind: 'local', index: 0, value: 42n });
  assert.deepEqual(await setValue(await evaluateValue('seed', scope), '-1', scope), { kind: 'local', index: 0, value: 0xffffffffn });
  await assert.rejects(setValue(await evaluateValue('c', scope), 'RED', scope), /cannot set it: the compiler computes this value, it is not stored/);
  await assert.rejects(setValue(await evaluateValue('pp', scope), '0', scope), /cannot set it: optimized out/);
  assert.equal((await evaluateExpression('p.x * 2 + c', scope)).value, '28');
});

test('-O2: an optimized-out variable, a global the compiler folded away too, says so, and sizeof (which does not evaluate its operand) gives its size', async () => {
  const scope = optimizedScope();
  const optimizedOut = (e: unknown) => e instanceof ExpressionError && e.message === 'optimized out';
  // pp has no location at this offset, big (a static never written) none at all.
  const value = async (text: string) => (await evaluateExpression(text, scope)).value;
  await assert.rejects(evaluateExpression('pp->x', scope), optimizedOut);
  assert.equal(await value('big'), '<optimized out>');
  await assert.rejects(evaluateExpression('big + 1', scope), optimizedOut);
  assert.equal(await value('sizeof(*pp)'), '8');
  assert.equal(await value('sizeof pp->y + sizeof big'), '10');
  assert.equal(await value('sizeof((short)big / 0)'), '4', 'unevaluated: no division by zero either');
  assert.equal(await value('sizeof(pp->x) * seed'), '40', 'evaluated again after sizeof');
});
