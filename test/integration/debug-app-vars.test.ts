// The program's C variables in every frame of a deep stop (docs/DEBUGGING.md, "Variables (DWARF)"): on the real kernel under QEMU, an app of the test's own built at -O0 -g and -O2 -g (structs, arrays, pointers, a union, an enum, typedefs, nested scopes, a recursion) shows in its Arguments, Locals and Globals, and evaluates as watch and hover, the values the program itself answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { debugApp, get, launchWasmDebug } from '../support/debug';

/**
 * What the program tells about each of its frames: C expressions, each with the kind of value it
 * prints (`ptr`, `enum`, `vec` for a struct vec2, `str` for a char array, `cstr` for a char pointer; an
 * integer otherwise).
 * The program prints what each evaluates to, the test asks the debugger for the same at the stop.
 */
const FACTS = {
  handler: ['levels', 'str frame'],
  shapes: [
    'levels', 'str frame', 'enum root.kind', 'root.origin.x', 'root.origin.y', 'root.u.raw[0]', 'root.u.raw[5]', 'root.tags[3]',
    'ptr root.parent', 'ptr cursor', '*cursor', 'sizeof(root)', 'sizeof root.u', '(unsigned char)root.origin.y', 'root.u.raw[0] - root.tags[1]',
  ],
  descend: [
    'depth', 'str frame', 'ptr parent', 'parent->origin.x', 'parent->tags[0]', 'enum parent->kind', 'enum child.kind', 'child.origin.x',
    'child.origin.y', 'child.u.radius', 'child.u.size.x', 'child.u.size.y', 'child.u.raw[0]', 'child.tags[0]', 'child.tags[3]',
    'ptr child.parent', 'child.parent->origin.y', 'vec child.origin', 'twice', 'child.kind == SHAPE_BOX', '(int)child.kind', '(short)(child.origin.y * 1000)',
  ],
  /** Only in the block that calls leaf (depth 0). */
  bottom: ['area'],
  /** Only in the block that recurses (depth > 0). */
  deeper: ['next', 'child.tags[next]'],
  leaf: [
    'area', 'str frame', 'weight', 'scale', 'inner', 'ptr s', 'enum s->kind', 's->u.size.x', 's->u.size.y', 's->tags[area & 3]', 's->origin.y',
    's->parent->origin.x', 's->parent->parent->tags[2]', 'sizeof(*s)', 'sizeof(shape_t)', 'sizeof(payload_t)', '(*s).origin.x',
    '(unsigned short)s->origin.y', 'ptr &s->tags[1]', 'vec s->parent->origin',
  ],
  globals: [
    'visits', 'vec offset', 'offset.x', 'offset.y', 'cstr label', 'history[0]', 'history[3]', 'history[4]', 'ptr latest', 'latest->origin.x',
    'enum latest->kind', 'sizeof history', 'stops',
  ],
};

/** A fact's kind and C expression. */
function parseFact(fact: string): { kind: string; expression: string } {
  const [, kind = 'int', expression] = /^(?:(ptr|enum|vec|str|cstr) )?(.+)$/.exec(fact)!;
  return { kind, expression };
}

/** The C lines that print `facts` for frame `frame` (a C string expression). */
function show(frame: string, facts: string[]): string {
  return facts.map((fact) => {
    const { kind, expression } = parseFact(fact);
    const value = kind === 'int' ? `(long long)(${expression})` : kind === 'enum' ? `kind_name(${expression})` : expression;
    return `show_${kind}(${frame}, "${expression}", ${value});`;
  }).join('\n    ');
}

/** The app: a handler calls shapes(3), which recurses through descend down to leaf; leaf calls stop_here. */
const PROGRAM = `
typedef unsigned int u32;
typedef struct vec2 { int x; int y; } vec2_t;
typedef enum shape_kind { SHAPE_NONE, SHAPE_CIRCLE = 3, SHAPE_BOX } shape_kind_t;
typedef union payload { int radius; vec2_t size; unsigned char raw[8]; } payload_t;
typedef struct shape {
  shape_kind_t kind;
  vec2_t origin;
  payload_t u;
  short tags[4];
  const struct shape *parent;
} shape_t;

int visits;
static vec2_t offset = { -7, 9 };
const char *label = "shapes";
static int history[6] = { 1, 1 };
const shape_t *latest;
static volatile int stops;

/* The answer: a line per fact, "FRAME\\tEXPRESSION\\tVALUE", the value as the program computed it. */
static char answer[32768];
static u32 answer_len;

static void emit(const char *text) {
  while (*text && answer_len < sizeof answer - 1) answer[answer_len++] = *text++;
}

static void emit_int(long long v) {
  char digits[24];
  int n = 0;
  unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
  do digits[n++] = (char)('0' + u % 10); while (u /= 10);
  if (v < 0) digits[n++] = '-';
  while (n) {
    char c[2] = { digits[--n], 0 };
    emit(c);
  }
}

/* A pointer as the debugger shows one: 0x and eight hex digits, NULL as 0x0. */
static void emit_hex(const void *p) {
  u32 v = (u32)(unsigned long)p;
  char text[11] = "0x";
  if (!v) {
    emit("0x0");
    return;
  }
  for (int i = 0; i < 8; i++) text[2 + i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 15];
  text[10] = 0;
  emit(text);
}

static void fact(const char *frame, const char *expression) {
  emit(frame);
  emit("\\t");
  emit(expression);
  emit("\\t");
}

__attribute__((noinline)) static void show_int(const char *frame, const char *expression, long long v) {
  fact(frame, expression);
  emit_int(v);
  emit("\\n");
}

__attribute__((noinline)) static void show_ptr(const char *frame, const char *expression, const void *p) {
  fact(frame, expression);
  emit_hex(p);
  emit("\\n");
}

__attribute__((noinline)) static void show_str(const char *frame, const char *expression, const char *s) {
  fact(frame, expression);
  emit("\\"");
  emit(s);
  emit("\\"\\n");
}

__attribute__((noinline)) static void show_cstr(const char *frame, const char *expression, const char *s) {
  fact(frame, expression);
  emit_hex(s);
  emit(" \\"");
  emit(s);
  emit("\\"\\n");
}

/* A struct as the debugger previews one. */
__attribute__((noinline)) static void show_vec(const char *frame, const char *expression, vec2_t v) {
  fact(frame, expression);
  emit("{x = ");
  emit_int(v.x);
  emit(", y = ");
  emit_int(v.y);
  emit("}\\n");
}

static const char *kind_name(shape_kind_t kind) {
  return kind == SHAPE_NONE ? "SHAPE_NONE" : kind == SHAPE_CIRCLE ? "SHAPE_CIRCLE" : kind == SHAPE_BOX ? "SHAPE_BOX" : "?";
}

__attribute__((noinline)) static void show_enum(const char *frame, const char *expression, const char *name) {
  fact(frame, expression);
  emit(name);
  emit("\\n");
}

/* Where the test stops: every frame below has printed its facts. */
__attribute__((noinline)) void stop_here(void) { stops++; }

__attribute__((noinline)) int leaf(const shape_t *s, int area) {
  char frame[] = "leaf";
  int scale = 2;
  int weight = s->origin.x * scale + area;
  {
    int scale = 3;
    int inner = weight - scale * s->tags[1];
    ${show('frame', FACTS.leaf)}
    ${show('"globals"', FACTS.globals)}
    stop_here();
    return inner + scale;
  }
}

__attribute__((noinline)) int descend(const shape_t *parent, int depth) {
  char frame[] = "descend0";
  frame[7] = (char)('0' + depth);
  shape_t child;
  child.kind = depth % 2 ? SHAPE_CIRCLE : SHAPE_BOX;
  child.origin.x = parent->origin.x + depth;
  child.origin.y = parent->origin.y - 2 * depth;
  child.u.size.x = 0;
  child.u.size.y = 0;
  if (child.kind == SHAPE_CIRCLE) child.u.radius = 10 + depth;
  else {
    child.u.size.x = depth + 1;
    child.u.size.y = 3 * depth - 1;
  }
  for (int i = 0; i < 4; i++) child.tags[i] = (short)(depth * 100 - i);
  child.parent = parent;
  latest = &child;
  visits++;
  history[depth] = child.origin.x * child.origin.y;
  int sum;
  {
    int twice = depth * 2;
    if (depth == 0) {
      int area = child.u.size.x * child.u.size.y + twice;
      ${show('frame', [...FACTS.descend, ...FACTS.bottom])}
      sum = leaf(&child, area);
    } else {
      int next = depth - 1;
      ${show('frame', [...FACTS.descend, ...FACTS.deeper])}
      sum = descend(&child, next) * 3 + twice;
    }
  }
  {
    int after = sum % 7;
    visits += after;
  }
  return sum;
}

__attribute__((noinline)) int shapes(int levels) {
  char frame[] = "shapes";
  shape_t root = { SHAPE_NONE, { 100, -100 }, { .radius = 0 }, { 1, 2, 3, 4 }, 0 };
  root.u.size.y = 0;
  root.u.raw[0] = (unsigned char)('A' + levels);
  root.u.raw[5] = 200;
  int *cursor = &history[levels + 1];
  *cursor = levels * 11;
  ${show('frame', FACTS.shapes)}
  int total = descend(&root, levels);
  return total + *cursor;
}
`;

/** Inserted in handle-hello. */
const HANDLER = `char frame[] = "handler"; int levels = 3; ${show('frame', FACTS.handler)} int total = shapes(levels); show_int(frame, "total", total);`;

/**
 * The stack at stop_here, innermost first: each frame's tag (what the program prints its facts under), its
 * arguments, and the names in its Locals (its own blocks that contain the call it is at, not `i` of the loop nor
 * `after` of the block after the call; `area` only at depth 0, `next` only above).
 */
const STACK: { name: string; tag?: string; args?: string[]; locals?: string[]; facts: string[] }[] = [
  { name: 'stop_here', args: [], locals: [], facts: [] },
  { name: 'leaf', tag: 'leaf', args: ['s', 'area'], locals: ['frame', 'inner', 'scale', 'scale', 'weight'], facts: FACTS.leaf },
  ...[0, 1, 2, 3].map((depth) => ({
    name: 'descend', tag: `descend${depth}`, args: ['parent', 'depth'], locals: ['child', 'frame', depth ? 'next' : 'area', 'sum', 'twice'],
    facts: [...FACTS.descend, ...FACTS.bottom, ...FACTS.deeper],
  })),
  { name: 'shapes', tag: 'shapes', args: ['levels'], locals: ['cursor', 'frame', 'root', 'total'], facts: FACTS.shapes },
  { name: 'exports_hello_handle_hello', tag: 'handler', args: ['req', 'ret', 'err'], locals: ['body', 'frame', 'levels', 'total'], facts: FACTS.handler },
  // wit-bindgen's export wrapper, of another compile unit: the program prints nothing of it.
  { name: 'handle-hello', facts: [] },
];

/** The program's globals (its unit also has the hello example's router and server). */
const GLOBALS = ['answer', 'answer_len', 'history', 'label', 'latest', 'offset', 'stops', 'visits'];

/**
 * Variables whose address the program never takes: at -O2 the compiler keeps them in Wasm locals, for a part of
 * their lives only, or folds them (offset: a static never written), so where DWARF gives them no location a fact on
 * them may show `<optimized out>`. Facts on anything else (the structs and arrays in linear memory) must show.
 */
const REGISTER_HELD = ['depth', 'parent', 'twice', 'next', 'area', 's', 'inner', 'weight', 'scale', 'levels', 'offset'];

/** What the debugger showed for an expression in a frame: its row in the Variables tree (for a path), and evaluate's answers. */
interface Seen {
  row?: DebugProtocol.Variable;
  watch: string;
  hover: string;
}

async function waitStop(dc: DebugClient): Promise<{ thread: number; stack: DebugProtocol.StackFrame[] }> {
  const stopped = (await dc.waitForEvent('stopped', 60_000)) as DebugProtocol.StoppedEvent;
  const thread = stopped.body.threadId!;
  return { thread, stack: (await dc.stackTraceRequest({ threadId: thread })).body.stackFrames };
}

async function children(dc: DebugClient, row: DebugProtocol.Variable): Promise<DebugProtocol.Variable[]> {
  assert.ok(row.variablesReference > 0, `${row.evaluateName ?? row.name} = ${row.value} opens`);
  return (await dc.variablesRequest({ variablesReference: row.variablesReference })).body.variables;
}

function named(rows: DebugProtocol.Variable[], name: string, what: string): DebugProtocol.Variable {
  const found = rows.find((v) => v.name === name);
  assert.ok(found, `${what}: a row ${name} among ${rows.map((v) => `${v.name}=${v.value}`)}`);
  return found;
}

/**
 * The rows to open for a path expression, from the scope's row down: `s->u.raw[5]` is s, *s, u, raw, [5];
 * undefined for any other expression.
 */
function steps(expression: string): string[] | undefined {
  const path = /^(\*?)([A-Za-z_]\w*)((?:\.\w+|->\w+|\[\d+\])*)$/.exec(expression);
  if (!path) return undefined;
  const out = [path[2]];
  for (const [, member, through, index] of path[3].matchAll(/\.(\w+)|->(\w+)|(\[\d+\])/g)) out.push(...(through ? ['*', through] : [member ?? index]));
  return path[1] ? [...out, '*'] : out;
}

/** The row a path expression designates, opened down from `roots` (a frame's scopes, in C's lookup order). */
async function rowOf(dc: DebugClient, roots: DebugProtocol.Variable[], path: string[], what: string): Promise<DebugProtocol.Variable> {
  let row = named(roots, path[0], what);
  for (const step of path.slice(1)) {
    // What an optimized-out row holds is optimized out too.
    if (optimizedOut(row.value)) return row;
    const rows = await children(dc, row);
    // A pointer opens to one row, its pointee, named after it (`*s`, `*child.parent`).
    row = step === '*' ? (assert.equal(rows.length, 1, `${what}: one pointee`), rows[0]) : named(rows, step, what);
    assert.ok(step !== '*' || row.name.startsWith('*'), `${what}: the pointee row ${row.name}`);
  }
  return row;
}

/** evaluate's answer, or its error message in brackets. */
async function evaluate(dc: DebugClient, expression: string, frameId: number, context: 'watch' | 'hover'): Promise<string> {
  return dc.evaluateRequest({ expression, frameId, context }).then((r) => r.body.result, (err: Error) => `[${err.message}]`);
}

/** The rows of a frame's DWARF scopes: Arguments, Locals (innermost block first), Globals. */
async function scopeRows(dc: DebugClient, frameId: number): Promise<Record<'Arguments' | 'Locals' | 'Globals', DebugProtocol.Variable[]>> {
  const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
  const rows = async (name: string) => {
    const found = scopes.find((s) => s.name === name);
    assert.ok(found, `frame ${frameId} has a ${name} scope: ${scopes.map((s) => s.name)}`);
    return (await dc.variablesRequest({ variablesReference: found.variablesReference })).body.variables;
  };
  return { Arguments: await rows('Arguments'), Locals: await rows('Locals'), Globals: await rows('Globals') };
}

/** Whether the debugger's text shows the program's value: the same text, or a char's number with its literal. */
function same(shown: string, printed: string): boolean {
  return shown === printed || shown.startsWith(`${printed} '`);
}

/** The debugger's word that DWARF gives no location: in a row or a value, or as evaluate's error. */
function optimizedOut(shown: string): boolean {
  return shown === '<optimized out>' || shown === '[optimized out]';
}

const sorted = (names: string[]) => [...names].sort();

for (const optimize of ['-O0', '-O2']) {
  test(`an app of its own at ${optimize} -g, stopped deep in a recursion: every frame's Arguments, Locals and Globals, and expressions, hold what the program answers`, async () => {
    const app = debugApp(`appvars${optimize}`, HANDLER, { functions: PROGRAM, optimize, answer: 'answer' });
    const { dc, url } = await launchWasmDebug(app.dir, (dc) => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'stop_here' }] }));
    try {
      const answered = get(`${url}/hello`);
      // Failures show as the assertion that fails first, not as this request's end.
      answered.catch(() => undefined);
      const { thread, stack } = await waitStop(dc);
      assert.deepEqual(stack.slice(0, STACK.length).map((f) => f.name), STACK.map((f) => f.name));

      // Everything the program will answer about, read at the stop: "tag TAB expression" → what the debugger showed.
      const seen = new Map<string, Seen>();
      const look = async (key: string, frameId: number, roots: DebugProtocol.Variable[], expression: string) => {
        const path = steps(expression);
        seen.set(key, {
          row: path && roots.some((r) => r.name === path[0]) ? await rowOf(dc, roots, path, `${key} in frame ${frameId}`) : undefined,
          watch: await evaluate(dc, expression, frameId, 'watch'),
          hover: await evaluate(dc, expression, frameId, 'hover'),
        });
      };
      for (const [index, frame] of STACK.entries()) {
        const id = stack[index].id;
        const { Arguments: args, Locals: locals, Globals: globals } = await scopeRows(dc, id);
        for (const row of [...args, ...locals, ...globals]) assert.doesNotMatch(row.value, /malformed|not captured|no DWARF/, `${frame.name}: ${row.name}`);
        if (!frame.args) continue;
        assert.deepEqual(args.map((v) => v.name), frame.args, `${frame.tag ?? frame.name}'s arguments`);
        assert.deepEqual(sorted(locals.map((v) => v.name)), sorted(frame.locals!), `${frame.tag ?? frame.name}'s locals in scope`);
        assert.deepEqual(sorted(globals.map((v) => v.name)), sorted([...GLOBALS, 'router', 'server']), `${frame.tag ?? frame.name}'s globals`);
        // C's lookup order: the innermost block first (leaf's inner `scale` hides the outer), the arguments, the globals.
        for (const { expression } of frame.facts.map(parseFact)) await look(`${frame.tag}\t${expression}`, id, [...locals, ...args, ...globals], expression);
        for (const { expression } of FACTS.globals.map(parseFact)) await look(`globals@${index}\t${expression}`, id, globals, expression);
      }

      // The export wrapper passed the handler its request, its result and its error: the addresses of three of its
      // locals (at -O2 the handler's unused err, and req once freed, may be optimized out).
      const handler = STACK.findIndex((f) => f.tag === 'handler');
      let passedOn = 0;
      for (const [argument, local] of [['req', 'arg9'], ['ret', 'ok'], ['err', 'err']]) {
        const passed = await evaluate(dc, argument, stack[handler].id, 'watch');
        if (optimize !== '-O0' && optimizedOut(passed)) continue;
        passedOn++;
        assert.match(passed, /^0x[0-9a-f]{8}$/, `the handler's ${argument}`);
        assert.equal(await evaluate(dc, `&${local}`, stack[handler + 1].id, 'watch'), passed, `the wrapper's &${local} is the handler's ${argument}`);
      }
      assert.ok(passedOn > 0, 'some argument of the handler shows');

      await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
      await dc.continueRequest({ threadId: thread });
      const { status, body } = await answered;
      assert.equal(status, 200);

      // The program's own values, compared with what the debugger showed at the stop.
      const lines = body.split('\n').filter(Boolean).map((line) => line.split('\t'));
      const globalFacts = lines.filter(([tag]) => tag === 'globals');
      assert.equal(globalFacts.length, FACTS.globals.length, body);
      const checks = [
        ...lines.filter(([tag, expression]) => tag !== 'globals' && !(tag === 'handler' && expression === 'total')).map(([tag, expression, value]) => ({ key: `${tag}\t${expression}`, value })),
        ...STACK.flatMap((frame, index) => (frame.args ? globalFacts.map(([, expression, value]) => ({ key: `globals@${index}\t${expression}`, value })) : [])),
      ];
      const wrong: string[] = [];
      let right = 0;
      let out = 0;
      for (const { key, value } of checks) {
        const at = seen.get(key);
        if (!at) {
          wrong.push(`${key}: the program printed ${value}, the test did not look`);
          continue;
        }
        const expression = key.split('\t')[1];
        const mayBeOut = optimize !== '-O0' && REGISTER_HELD.some((name) => new RegExp(`\\b${name}\\b`).test(expression));
        for (const [how, text] of [['row', at.row?.value], ['watch', at.watch], ['hover', at.hover]] as const) {
          if (text === undefined) continue;
          if (same(text, value)) right++;
          else if (mayBeOut && optimizedOut(text)) out++;
          else wrong.push(`${key.replace('\t', ': ')} (${how}) shows ${text}, the program printed ${value}`);
        }
        // A pointer's row opens the memory it points at.
        if (at.row && /^0x[0-9a-f]{8}$/.test(value) && same(at.row.value, value)) assert.equal(at.row.memoryReference, `wasm:0x${Number(value).toString(16)}`, key);
      }
      assert.deepEqual(wrong, [], `${right} right, ${out} optimized out`);
      assert.ok(seen.size >= checks.length);
      console.log(`${optimize}: ${checks.length} facts the program printed; ${right} shown right (rows, watch, hover), ${out} optimized out`);
      await dc.disconnectRequest({});
    } finally {
      await dc.stop();
    }
  });
}
