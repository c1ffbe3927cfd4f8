// util.js — small DOM and formatting helpers shared by the pages.

// el('div.card#x', {attrs}, children...) — a tiny hyperscript.
export function el(spec, attrs, ...children) {
  const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(spec) || [null, 'div', ''];
  const node = document.createElement(m[1] || 'div');
  for (const part of (m[2] || '').match(/[.#][\w-]+/g) || []) {
    if (part[0] === '.') node.classList.add(part.slice(1));
    else node.id = part.slice(1);
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'style' && typeof v === 'object') Object.assign(node.style, v);
    else if (k === 'text') node.textContent = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

// The partition states, in the order of the grid route's buckets
// [materialized, failed, in_progress, missing, stale]: the first four are
// disjoint, the fifth (stale) is a part of the first.
export const STATES = ['materialized', 'failed', 'in_progress', 'missing', 'stale'];
// What the bars and the heatmap draw: materialized split into fresh (green)
// and stale (amber), then the other states. See barCounts().
export const BAR_STATES = ['materialized', 'stale', 'failed', 'in_progress', 'missing'];
export const STATE_LABEL = {
  materialized: 'materialized', failed: 'failed', in_progress: 'in progress', missing: 'missing',
  stale: 'stale', partial: 'partly materialized', running: 'running', skipped: 'skipped',
};
// Same values as the CSS variables in style.css (canvas cannot read them cheaply).
export const COLORS = {
  materialized: '#2f9e5b', failed: '#d9403a', in_progress: '#2f74e0', missing: '#dde2e8',
  stale: '#e3a008', partial: '#8cc9a3', running: '#2f74e0', skipped: '#b8bec7',
  selection: 'rgba(17, 24, 39, 0.16)',
};

// The server's counts (materialized includes the stale ones) as the bars draw
// them: materialized is the fresh part, stale the rest, so that the parts add
// up to the total.
export function barCounts(counts) {
  const c = counts || {};
  const stale = Math.min(c.stale || 0, c.materialized || 0);
  return {
    materialized: (c.materialized || 0) - stale, stale,
    failed: c.failed || 0, in_progress: c.in_progress || 0, missing: c.missing || 0,
  };
}

export function fmtInt(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  return Number(n).toLocaleString('en-US');
}

export function fmtTs(ms) {
  if (!ms) return '–';
  const d = new Date(ms);
  const p = (x) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function fmtAgo(ms, now) {
  if (!ms) return 'never';
  const s = Math.round(((now || Date.now()) - ms) / 1000);
  if (s < 0) return fmtTs(ms);
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

export function fmtDuration(ms) {
  if (ms === null || ms === undefined || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function plural(n, word, words) {
  return `${fmtInt(n)} ${n === 1 ? word : (words || word + 's')}`;
}

// A coloured pill for a run/backfill/partition status.
export function badge(status) {
  const s = String(status || 'unknown');
  const cls = {
    success: 'ok', succeeded: 'ok', materialized: 'ok', passed: 'ok', completed: 'ok',
    failure: 'bad', failed: 'bad', error: 'bad',
    running: 'run', in_progress: 'run', canceling: 'warn', queued: 'run', requested: 'run',
    canceled: 'muted', cancelled: 'muted', skipped: 'muted', missing: 'muted',
    stale: 'warn', partial: 'part',
  }[s] || 'muted';
  return el('span.badge.' + cls, STATE_LABEL[s] || s.replace(/_/g, ' '));
}

// A horizontal bar of counts by state. Without opts.states, counts are a
// partition status from the server (the catalog's health bar, the asset's
// counts): materialized is drawn as its fresh part and its stale part. With
// opts.states (a backfill's progress), the counts are drawn as they are.
export function healthBar(counts, total, opts) {
  const bar = el('div.hbar', { role: 'img' });
  const parts = [];
  const states = (opts && opts.states) || BAR_STATES;
  const c = (opts && opts.states) ? counts : barCounts(counts);
  const t = total || states.reduce((a, s) => a + (c[s] || 0), 0);
  for (const s of states) {
    const n = c[s] || 0;
    if (!n) continue;
    parts.push(`${fmtInt(n)} ${STATE_LABEL[s] || s}`);
    if (t > 0) bar.append(el('span.seg.st-' + s, { style: { width: (100 * n / t) + '%' } }));
  }
  bar.setAttribute('aria-label', parts.length ? parts.join(', ') : 'no partitions');
  bar.title = parts.join(' · ');
  return bar;
}

export function errorBox(err, what) {
  const msg = err && err.message ? err.message : String(err);
  return el('div.error', { role: 'alert' },
    el('strong', what ? `${what}: ` : 'Error: '), el('span.msg', msg));
}

export function emptyBox(text) {
  return el('div.empty', text);
}

export function link(href, text, attrs) {
  return el('a', Object.assign({ href }, attrs || {}), text);
}

export const assetHref = (name) => '#/assets/' + encodeURIComponent(name);
export const runHref = (id) => '#/runs/' + encodeURIComponent(id);
export const backfillHref = (id) => '#/backfills/' + encodeURIComponent(id);

// Two steps of a run/backfill list need the counts under either field name.
export function stepCounts(run) {
  const s = run.steps && !Array.isArray(run.steps) ? run.steps : {};
  return {
    total: run.steps_total ?? s.total ?? (Array.isArray(run.steps) ? run.steps.length : 0),
    succeeded: run.steps_succeeded ?? s.succeeded ?? 0,
    failed: run.steps_failed ?? s.failed ?? 0,
    skipped: run.steps_skipped ?? s.skipped ?? 0,
  };
}

export function isActive(status) {
  return ['running', 'queued', 'canceling', 'requested', 'starting', 'in_progress'].includes(status);
}

// A repeating timer that stops when the page changes (see app.js: onLeave).
export function every(ms, fn, onLeave) {
  let stopped = false;
  let timer = null;
  const tick = async () => {
    if (stopped) return;
    try { await fn(); } catch (e) { /* the page shows its own errors */ }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  timer = setTimeout(tick, ms);
  const stop = () => { stopped = true; clearTimeout(timer); };
  if (onLeave) onLeave(stop);
  return stop;
}

// A short message at the bottom right (also read by screen readers).
export function toast(text, kind) {
  const t = document.getElementById('toast');
  if (!t) return;
  const item = el('div.toast' + (kind ? '.' + kind : ''), text);
  t.append(item);
  setTimeout(() => item.remove(), 4000);
}

// node.append() that skips null/undefined/false and flattens arrays.
export function add(node, ...children) {
  append(node, children);
  return node;
}

// Empties node, then add()s the children.
export function fill(node, ...children) {
  return add(clear(node), ...children);
}
