// Runs media/traffic/kv.js against a minimal DOM: hostile values must end up as text, never as markup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import type { ViewItem } from '../../../src/traffic/core';
import { productRoot } from '../../../src/util/paths';

const script = readFileSync(join(productRoot(), 'media', 'traffic', 'kv.js'), 'utf8');
const XSS = '<img src=x onerror=alert(1)>';

/** Just the DOM kv.js uses. Elements have no HTML parser at all: any markup would have to come through innerHTML, which they lack. */
class El {
  children: El[] = [];
  parent: El | undefined;
  text = '';
  className = '';
  hidden = false;
  title = '';
  tabIndex = -1;
  dataset: Record<string, string> = {};
  attrs: Record<string, string> = {};
  listeners: Record<string, ((ev: unknown) => void)[]> = {};
  constructor(readonly tag: string, readonly id = '') {}
  get textContent(): string {
    return this.text + this.children.map((c) => c.textContent).join('');
  }
  set textContent(v: string) {
    this.text = String(v);
    this.children = [];
  }
  get classList() {
    const names = () => this.className.split(' ').filter(Boolean);
    return { add: (c: string) => void (this.className = [...names(), c].join(' ')), remove: (c: string) => void (this.className = names().filter((n) => n !== c).join(' ')) };
  }
  private adopt(nodes: El[]): El[] {
    return nodes.flatMap((n) => (n.tag === '#fragment' ? n.children.splice(0) : [n])).map((n) => (n.remove(), (n.parent = this), n));
  }
  append(...nodes: El[]) { this.children.push(...this.adopt(nodes)); }
  insertBefore(n: El, ref: El | null) {
    const [node] = this.adopt([n]);
    const i = ref ? this.children.indexOf(ref) : -1;
    this.children.splice(i < 0 ? this.children.length : i, 0, node!);
  }
  prepend(...nodes: El[]) { this.children.unshift(...this.adopt(nodes)); }
  replaceChildren() { this.children = []; }
  remove() {
    if (this.parent) this.parent.children = this.parent.children.filter((c) => c !== this);
    this.parent = undefined;
  }
  replaceWith(n: El) {
    const p = this.parent!;
    const i = p.children.indexOf(this);
    this.remove();
    n.remove();
    n.parent = p;
    p.children.splice(i, 0, n);
  }
  closest(tag: string): El | undefined {
    return this.tag === tag ? this : this.parent?.closest(tag);
  }
  all(): El[] {
    return this.children.flatMap((c) => [c, ...c.all()]);
  }
  querySelectorAll(sel: string): El[] {
    const m = /^(\w+)?(?:\.(\S+))?(?:\[([\w-]+)\])?$/.exec(sel)!;
    return this.all().filter((e) => (!m[1] || e.tag === m[1]) && (!m[2] || e.className.split(' ').includes(m[2])) && (!m[3] || m[3] in e.attrs));
  }
  setAttribute(k: string, v: string) { this.attrs[k] = v; }
  getAttribute(k: string) { return this.attrs[k] ?? null; }
  addEventListener(type: string, f: (ev: unknown) => void) { (this.listeners[type] ??= []).push(f); }
  focus() {}
}

function load() {
  const byId: Record<string, El> = {};
  const make = (tag: string, id: string) => (byId[id] = new El(tag, id));
  const details = make('section', 'details');
  for (const mode of ['utf8', 'hex', 'json']) {
    const b = new El('button');
    b.setAttribute('data-mode', mode);
    details.append(b);
  }
  for (const [tag, id] of [['tbody', 'rows tbody'], ['p', 'empty'], ['span', 'stats'], ['input', 'filter'], ['span', 'details-title'], ['pre', 'details-meta'], ['pre', 'value']]) make(tag!, id!);
  const created: El[] = [];
  const windowListeners: ((ev: { data: unknown }) => void)[] = [];
  const posted: string[] = []; // JSON: objects made in the script's realm fail deepEqual's prototype check
  const document = {
    querySelector: (sel: string) => byId[sel.replace(/^#/, '')],
    createElement: (tag: string) => { const e = new El(tag); created.push(e); return e; },
    createDocumentFragment: () => new El('#fragment'),
    activeElement: undefined,
  };
  const window = { addEventListener: (_: string, f: (ev: { data: unknown }) => void) => windowListeners.push(f) };
  const vscode = { getState: () => undefined, setState: () => {}, postMessage: (m: unknown) => posted.push(JSON.stringify(m)) };
  runInNewContext(script, { document, window, acquireVsCodeApi: () => vscode, atob, TextDecoder, setTimeout, clearTimeout, console });
  const send = (data: unknown) => windowListeners.forEach((f) => f({ data }));
  return { byId, created, posted, send, tbody: byId['rows tbody']! };
}

function row(id: number, over: Partial<ViewItem> = {}): ViewItem {
  return {
    id, t: 0, time: '12:00:00.000', container: 'c', key: XSS, call: `keyvalue.set(key: string = "${XSS}", value: payload = <28 bytes>)`,
    result: 'ok', ok: true, dur: '3 µs', guest: [`SET c:${XSS} <28 bytes>`], redis: [{ text: `SET "c:${XSS}" <28 bytes>`, source: XSS }],
    value: Buffer.from(XSS).toString('base64'), valueBytes: XSS.length, isNew: true, ...over,
  };
}

test('kv.js never builds markup from data', () => {
  assert.doesNotMatch(script, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
});

test('a hostile Redis value renders as text in the table and in every viewer mode', () => {
  const w = load();
  assert.deepEqual(w.posted, ['{"type":"ready"}']);
  w.send({ type: 'reset', rows: [row(1)], filter: '', paused: false, maxRows: 10 });
  assert.ok(!w.created.some((e) => e.tag === 'img'));
  const tr = w.tbody.children[0]!;
  assert.ok(tr.textContent.includes(XSS));
  assert.equal(w.byId.empty!.hidden, true);
  // Select the row: the details show the value as UTF-8 text.
  w.tbody.listeners.click![0]!({ target: tr.children[3] });
  assert.equal(w.byId.details!.hidden, false);
  assert.equal(w.byId.value!.textContent, XSS);
  assert.ok(w.byId['details-meta']!.textContent.includes(`client ${XSS}`));
  const modes = w.byId.details!.children;
  modes[1]!.listeners.click![0]!({});
  assert.match(w.byId.value!.textContent, /^00000000  3c 69 6d 67/);
  modes[2]!.listeners.click![0]!({});
  assert.match(w.byId.value!.textContent, /^not JSON/);
  assert.ok(!w.created.some((e) => e.tag === 'img'));
});

test('new rows go on top, updates replace in place, the table keeps at most maxRows', () => {
  const w = load();
  w.send({ type: 'reset', rows: [], filter: '', paused: false, maxRows: 3 });
  w.send({ type: 'rows', rows: [row(1), row(2)], skipped: 0 });
  w.send({ type: 'rows', rows: [row(3), row(1, { result: 'ok again', isNew: false }), row(9, { isNew: false })], skipped: 0 });
  assert.deepEqual(w.tbody.children.map((tr) => tr.dataset.id), ['3', '2', '1']);
  assert.ok(w.tbody.children[2]!.textContent.includes('ok again'));
  w.send({ type: 'rows', rows: [row(4), row(5)], skipped: 0 });
  assert.deepEqual(w.tbody.children.map((tr) => tr.dataset.id), ['5', '4', '3']);
  w.send({ type: 'stats', callsPerSec: 12, commandsPerSec: 30, rows: 5, held: 0, monitor: 'monitoring', paused: true, droppedWhilePaused: 4 });
  assert.equal(w.byId.stats!.textContent, '12 calls/s · 30 Redis cmds/s · 3 shown of 5 · MONITOR monitoring · paused (4 dropped)');
});

test('rows are in time order, newest on top, whatever order they arrive in', () => {
  const w = load();
  w.send({ type: 'reset', rows: [row(1, { t: 10 }), row(2, { t: 58 })], filter: '', paused: false, maxRows: 4 });
  // A Redis-only DEL at t 41 comes after the call at 58 (no call claimed it for a second): it goes below.
  w.send({ type: 'rows', rows: [row(3, { t: 41, call: undefined, req: undefined }), row(4, { t: 70 })], skipped: 0 });
  assert.deepEqual(w.tbody.children.map((tr) => tr.dataset.id), ['4', '2', '3', '1']);
  assert.equal(w.tbody.children[2]!.className, 'orphan');
  // Same time: the row made later is newer. Beyond maxRows the oldest by time goes, not the first to arrive.
  w.send({ type: 'rows', rows: [row(5, { t: 41 })], skipped: 0 });
  assert.deepEqual(w.tbody.children.map((tr) => tr.dataset.id), ['4', '2', '5', '3']);
  w.send({ type: 'rows', rows: [row(6, { t: 1 })], skipped: 0 });
  assert.deepEqual(w.tbody.children.map((tr) => tr.dataset.id), ['4', '2', '5', '3'], 'older than all it keeps: not shown');
});

test('a call shows its values when narrow, typed in full when wide, and links its request', () => {
  const w = load();
  w.send({ type: 'reset', rows: [row(1, { req: 12, boot: 2, brief: 'keyvalue.set("k", <28 bytes>)', resultType: 'result<_, keyvalue-error>' })], filter: '', paused: false, maxRows: 4 });
  const tr = w.tbody.children[0]!;
  const cell = (cls: string) => tr.children.find((c) => c.className === cls)!;
  assert.deepEqual(cell('wit').children.map((c) => [c.className, c.textContent]), [
    ['brief', 'keyvalue.set("k", <28 bytes>)'], ['full', `keyvalue.set(key: string = "${XSS}", value: payload = <28 bytes>)`],
  ]);
  assert.equal(cell('wit').title, `keyvalue.set(key: string = "${XSS}", value: payload = <28 bytes>) -> result<_, keyvalue-error>`);
  assert.deepEqual(tr.children.map((c) => c.className), ['time', 'req', 'container', 'wit', 'result', 'dur', 'redis']);
  const link = cell('req').children[0]!;
  assert.equal(link.tag, 'a');
  assert.equal(link.textContent, '#12');
  let prevented = false;
  w.tbody.listeners.click![0]!({ target: link, preventDefault: () => (prevented = true) });
  assert.equal(w.posted.at(-1), '{"type":"openRequest","boot":2,"req":12}');
  assert.ok(prevented, 'the link does not navigate the webview');
  assert.equal(w.byId.details!.hidden, true, 'following the link does not open the row details');
});
