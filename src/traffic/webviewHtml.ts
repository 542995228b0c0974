// The KeyValue webview's HTML shell. It carries no data: rows arrive as messages and the script
// renders them with textContent. Pause and Clear are the view's title-bar commands (codicons), not
// buttons here. No `vscode` here, so the CSP can be tested.
import { randomBytes } from 'node:crypto';

export function nonce(): string {
  return randomBytes(18).toString('base64');
}

/** Scripts only with `nonce`, styles and fonts only from the extension, nothing else at all. */
export function contentSecurityPolicy(cspSource: string, nonceValue: string): string {
  return `default-src 'none'; script-src 'nonce-${nonceValue}'; style-src ${cspSource}; font-src ${cspSource}; img-src ${cspSource}`;
}

export function kvHtml(o: { cspSource: string; nonce: string; scriptUri: string; styleUri: string }): string {
  const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${attr(o.styleUri)}">
<title>KeyValue traffic</title>
</head>
<body>
<div class="toolbar">
  <input id="filter" type="search" placeholder="Filter: container:NAME key:TEXT or text" aria-label="Filter rows by container or key">
  <span id="stats" class="stats" aria-live="polite"></span>
</div>
<div class="table-wrap">
<table id="rows">
  <thead><tr><th class="time">time</th><th class="req">req</th><th class="container">container</th><th class="wit">WIT call</th><th class="result">result</th><th class="dur">took</th><th class="redis">Redis commands</th></tr></thead>
  <tbody></tbody>
</table>
<p id="empty" class="empty">No KeyValue traffic yet. Rows appear while an app runs and calls keyvalue.</p>
</div>
<section id="details" class="details" hidden>
  <div class="details-head"><span id="details-title"></span>
    <span class="modes" role="tablist">
      <button type="button" data-mode="utf8" role="tab">UTF-8</button>
      <button type="button" data-mode="hex" role="tab">Hex</button>
      <button type="button" data-mode="json" role="tab">JSON</button>
    </span>
  </div>
  <pre id="details-meta"></pre>
  <pre id="value"></pre>
</section>
<script nonce="${attr(o.nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>
`;
}
