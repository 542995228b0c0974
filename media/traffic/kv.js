// KeyValue traffic view (webview side). Every value from the host is rendered with textContent,
// never parsed as HTML: a Redis value `<img src=x onerror=…>` shows as text.
// Rows arrive in batches (src/traffic/core.ts), not in time order (a Redis command no call claims
// comes a second late): each goes in its place by time, newest on top; the table keeps `maxRows`.
// The layout (kv.css) is a card per row in a narrow side bar and columns when wide.
// @ts-check
(function () {
  // @ts-ignore: provided by VS Code inside webviews
  const vscode = acquireVsCodeApi();
  const $ = (/** @type {string} */ sel) => /** @type {HTMLElement} */ (document.querySelector(sel));
  const tbody = $('#rows tbody');
  const empty = $('#empty');
  const stats = $('#stats');
  const filter = /** @type {HTMLInputElement} */ ($('#filter'));
  const details = $('#details');
  const state = vscode.getState() || { mode: 'utf8' };
  let maxRows = 2000;
  /** @type {number | undefined} */
  let selected;
  /** id → { data, tr } of the rows shown. */
  const rows = new Map();
  /** The same entries, newest first: the order of the table. */
  const order = [];

  /** @param {string} tag @param {string} [text] @param {string} [cls] */
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  /** Whether row `a` goes above row `b`: later first, and of two at the same time the one made later. */
  function newer(a, b) {
    return a.t > b.t || (a.t === b.t && a.id > b.id);
  }

  /** The index in `order` where `r` belongs (binary search; `order` is sorted). */
  function slotOf(r) {
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newer(order[mid].data, r)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The WIT call cell: values only when narrow, typed when wide (kv.css picks), all of it in the tooltip. */
  function witCell(r) {
    if (!r.call) {
      const td = el('td', 'Redis only', 'wit');
      td.title = 'No WIT call caused this command: another Redis client, or one no call claimed in time';
      return td;
    }
    const td = el('td', undefined, 'wit');
    td.append(el('span', r.brief ?? r.call, 'brief'), el('span', r.call, 'full'));
    td.title = r.resultType ? `${r.call} -> ${r.resultType}` : r.call;
    return td;
  }

  function reqCell(r) {
    const td = el('td', undefined, 'req');
    if (r.req === undefined) return td;
    const a = el('a', `#${r.req}`);
    a.setAttribute('href', '#');
    a.dataset.req = String(r.req);
    a.dataset.boot = String(r.boot ?? 0);
    a.title = `Show HTTP request #${r.req} in HTTP Requests`;
    td.append(a);
    return td;
  }

  function render(r) {
    const tr = el('tr', undefined, r.call ? (r.ok ? 'call' : 'call err') : 'orphan');
    tr.dataset.id = String(r.id);
    tr.tabIndex = 0;
    if (r.id === selected) tr.classList.add('selected');
    const redis = el('td', undefined, 'redis');
    for (const c of r.redis) {
      const d = el('div', c.text, 'cmd');
      d.title = `${c.text}\n(client ${c.source})`;
      redis.append(d);
    }
    // Commands the guest reports but MONITOR has not (yet) shown.
    if (r.call && r.redis.length < r.guest.length) {
      for (const g of r.guest.slice(r.redis.length)) {
        const d = el('div', `${g} (guest; not seen by MONITOR)`, 'cmd missing');
        d.title = d.textContent;
        redis.append(d);
      }
    }
    const container = el('td', r.container ?? '', 'container');
    container.title = container.textContent;
    const result = el('td', r.call ? r.result : '', 'result');
    result.title = result.textContent;
    tr.append(el('td', r.time, 'time'), reqCell(r), container, witCell(r), result, el('td', r.call ? r.dur ?? '' : '', 'dur'), redis);
    return tr;
  }

  /** Puts new rows in their place by time and replaces updated ones still shown; drops the oldest beyond maxRows. */
  function apply(items) {
    for (const r of items) {
      const old = rows.get(r.id);
      if (old) {
        const tr = render(r);
        old.tr.replaceWith(tr);
        old.tr = tr;
        old.data = r;
        if (r.id === selected) showDetails(r);
      } else if (r.isNew) {
        const entry = { data: r, tr: render(r) };
        const at = slotOf(r);
        tbody.insertBefore(entry.tr, at < order.length ? order[at].tr : null);
        order.splice(at, 0, entry);
        rows.set(r.id, entry);
      }
    }
    while (order.length > maxRows) {
      const { data, tr } = order.pop();
      tr.remove();
      rows.delete(data.id);
      if (data.id === selected) hideDetails();
    }
    empty.hidden = rows.size > 0;
  }

  function clearRows() {
    tbody.replaceChildren();
    rows.clear();
    order.length = 0;
    hideDetails();
    empty.hidden = false;
  }

  /** @param {string} b64 */
  function bytesOf(b64) {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  /** @param {Uint8Array} bytes */
  function hexDump(bytes) {
    const lines = [];
    for (let off = 0; off < bytes.length; off += 16) {
      const chunk = Array.from(bytes.subarray(off, off + 16));
      const hex = chunk.map((b) => b.toString(16).padStart(2, '0')).join(' ').padEnd(47);
      const ascii = chunk.map((b) => (b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '.')).join('');
      lines.push(`${off.toString(16).padStart(8, '0')}  ${hex}  |${ascii}|`);
    }
    return lines.join('\n');
  }

  /** The value in the chosen mode: UTF-8 text, hex dump, or pretty JSON. */
  function valueText(r) {
    if (r.value === undefined) return '(no value)';
    const bytes = bytesOf(r.value);
    const cut = r.valueBytes > bytes.length ? `\n… first ${bytes.length} of ${r.valueBytes} bytes` : '';
    if (state.mode === 'hex') return hexDump(bytes) + cut;
    const text = new TextDecoder('utf-8').decode(bytes);
    if (state.mode === 'json') {
      if (cut) return `cannot show as JSON: only ${bytes.length} of ${r.valueBytes} bytes were captured`;
      try {
        return JSON.stringify(JSON.parse(text), null, 2);
      } catch (err) {
        return `not JSON: ${err instanceof Error ? err.message : err}`;
      }
    }
    return text + cut;
  }

  function showDetails(r) {
    details.hidden = false;
    $('#details-title').textContent = r.call ?? r.redis.map((c) => c.text).join('; ');
    const meta = [];
    if (r.call) {
      meta.push(`container ${r.container}${r.req === undefined ? '' : `, HTTP request #${r.req}`}`);
      meta.push(`-> ${r.result}${r.resultType ? `   (${r.resultType})` : ''}${r.dur ? `   in ${r.dur}` : ''}`);
      for (const g of r.guest) meta.push(`guest sent: ${g}`);
    }
    for (const c of r.redis) meta.push(`MONITOR:    ${c.text}   (client ${c.source})`);
    $('#details-meta').textContent = meta.join('\n');
    $('#value').textContent = valueText(r);
    for (const b of details.querySelectorAll('[data-mode]')) b.setAttribute('aria-selected', String(b.getAttribute('data-mode') === state.mode));
  }

  function hideDetails() {
    selected = undefined;
    details.hidden = true;
  }

  function select(tr) {
    for (const s of tbody.querySelectorAll('tr.selected')) s.classList.remove('selected');
    const id = Number(tr.dataset.id);
    const row = rows.get(id);
    if (!row) return;
    selected = id;
    tr.classList.add('selected');
    showDetails(row.data);
  }

  tbody.addEventListener('click', (ev) => {
    const target = /** @type {HTMLElement} */ (ev.target);
    const link = target.closest('a');
    if (link) {
      ev.preventDefault();
      vscode.postMessage({ type: 'openRequest', boot: Number(link.dataset.boot), req: Number(link.dataset.req) });
      return;
    }
    const tr = target.closest('tr');
    if (tr) select(tr);
  });
  tbody.addEventListener('keydown', (ev) => {
    const tr = /** @type {HTMLElement} */ (ev.target).closest('tr');
    if (!tr) return;
    // Enter on the request link follows the link (its click), not the row.
    if ((ev.key === 'Enter' || ev.key === ' ') && !(/** @type {HTMLElement} */ (ev.target).closest('a'))) select(tr);
    const next = ev.key === 'ArrowDown' ? tr.nextElementSibling : ev.key === 'ArrowUp' ? tr.previousElementSibling : null;
    if (next) {
      /** @type {HTMLElement} */ (next).focus();
      select(next);
      ev.preventDefault();
    }
  });
  for (const b of details.querySelectorAll('[data-mode]')) {
    b.addEventListener('click', () => {
      state.mode = b.getAttribute('data-mode');
      vscode.setState(state);
      const row = selected === undefined ? undefined : rows.get(selected);
      if (row) showDetails(row.data);
    });
  }
  let filterTimer;
  filter.addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => vscode.postMessage({ type: 'filter', text: filter.value }), 200);
  });

  window.addEventListener('message', (ev) => {
    const m = ev.data;
    if (m.type === 'rows') apply(m.rows);
    else if (m.type === 'reset') {
      maxRows = m.maxRows;
      if (document.activeElement !== filter) filter.value = m.filter;
      clearRows();
      apply(m.rows);
    } else if (m.type === 'stats') {
      const parts = [`${m.callsPerSec} calls/s`, `${m.commandsPerSec} Redis cmds/s`, `${rows.size} shown of ${m.rows}`, `MONITOR ${m.monitor}`];
      if (m.paused) parts.push(`paused (${m.droppedWhilePaused} dropped)`);
      stats.textContent = parts.join(' · ');
    }
  });
  vscode.postMessage({ type: 'ready' });
})();
