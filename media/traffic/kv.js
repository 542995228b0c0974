// KeyValue traffic view (webview side). Every value from the host is rendered with textContent,
// never parsed as HTML: a Redis value `<img src=x onerror=…>` shows as text.
// Rows arrive in batches (src/traffic/core.ts); the table keeps at most `maxRows` of them.
// @ts-check
(function () {
  // @ts-ignore: provided by VS Code inside webviews
  const vscode = acquireVsCodeApi();
  const $ = (/** @type {string} */ sel) => /** @type {HTMLElement} */ (document.querySelector(sel));
  const tbody = $('#rows tbody');
  const empty = $('#empty');
  const stats = $('#stats');
  const pause = /** @type {HTMLButtonElement} */ ($('#pause'));
  const filter = /** @type {HTMLInputElement} */ ($('#filter'));
  const details = $('#details');
  const state = vscode.getState() || { mode: 'utf8' };
  let maxRows = 2000;
  let paused = false;
  /** @type {number | undefined} */
  let selected;
  /** id → { data, tr }, oldest first (Map keeps insertion order). */
  const rows = new Map();

  /** @param {string} tag @param {string} [text] @param {string} [cls] */
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function render(r) {
    const tr = el('tr', undefined, r.call ? (r.ok ? 'call' : 'call err') : 'orphan');
    tr.dataset.id = String(r.id);
    tr.tabIndex = 0;
    if (r.id === selected) tr.classList.add('selected');
    const redis = el('td', undefined, 'redis');
    for (const c of r.redis) {
      const d = el('div', c.text, 'cmd');
      d.title = `client ${c.source}`;
      redis.append(d);
    }
    // Commands the guest reports but MONITOR has not (yet) shown.
    if (r.call && r.redis.length < r.guest.length) {
      for (const g of r.guest.slice(r.redis.length)) redis.append(el('div', `${g} (guest; not seen by MONITOR)`, 'cmd missing'));
    }
    const call = el('td', r.call ?? '(no WIT call: Redis traffic)', 'wit');
    if (r.resultType) call.title = `-> ${r.resultType}`;
    tr.append(
      el('td', r.time, 'time'),
      el('td', r.req === undefined ? '' : `#${r.req}`, 'num'),
      el('td', r.container ?? '', 'container'),
      call,
      el('td', r.call ? `${r.result}${r.dur ? ` · ${r.dur}` : ''}` : '', 'result'),
      redis,
    );
    return tr;
  }

  /** Adds new rows (newest on top) and replaces updated ones still shown. */
  function apply(items) {
    const fresh = document.createDocumentFragment();
    for (const r of items) {
      const old = rows.get(r.id);
      if (old) {
        const tr = render(r);
        old.tr.replaceWith(tr);
        old.tr = tr;
        old.data = r;
        if (r.id === selected) showDetails(r);
      } else if (r.isNew) {
        const tr = render(r);
        fresh.prepend(tr);
        rows.set(r.id, { data: r, tr });
      }
    }
    tbody.prepend(fresh);
    for (const [id, v] of rows) {
      if (rows.size <= maxRows) break;
      v.tr.remove();
      rows.delete(id);
      if (id === selected) hideDetails();
    }
    empty.hidden = rows.size > 0;
  }

  function clearRows() {
    tbody.replaceChildren();
    rows.clear();
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
    const tr = /** @type {HTMLElement} */ (ev.target).closest('tr');
    if (tr) select(tr);
  });
  tbody.addEventListener('keydown', (ev) => {
    const tr = /** @type {HTMLElement} */ (ev.target).closest('tr');
    if (!tr) return;
    if (ev.key === 'Enter' || ev.key === ' ') select(tr);
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
  pause.addEventListener('click', () => vscode.postMessage({ type: 'pause', paused: !paused }));
  $('#clear').addEventListener('click', () => vscode.postMessage({ type: 'clear' }));
  let filterTimer;
  filter.addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => vscode.postMessage({ type: 'filter', text: filter.value }), 200);
  });

  function setPaused(p) {
    paused = p;
    pause.textContent = p ? '▶ Resume' : '⏸ Pause';
    pause.setAttribute('aria-pressed', String(p));
  }

  window.addEventListener('message', (ev) => {
    const m = ev.data;
    if (m.type === 'rows') apply(m.rows);
    else if (m.type === 'reset') {
      maxRows = m.maxRows;
      setPaused(m.paused);
      if (document.activeElement !== filter) filter.value = m.filter;
      clearRows();
      apply(m.rows);
    } else if (m.type === 'stats') {
      setPaused(m.paused);
      const parts = [`${m.callsPerSec} calls/s`, `${m.commandsPerSec} Redis cmds/s`, `${rows.size} shown of ${m.rows}`, `MONITOR ${m.monitor}`];
      if (m.paused) parts.push(`paused (${m.droppedWhilePaused} dropped)`);
      stats.textContent = parts.join(' · ');
    }
  });
  vscode.postMessage({ type: 'ready' });
})();
