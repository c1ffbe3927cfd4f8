// heatmap.js — an asset's partitions on a <canvas>, aggregated by the server.
//
// One dimension (time, static, dynamic): a strip, one column per bucket of
// partitions; the view [from, to] zooms from the whole range down to single
// partitions, and each view asks GET /api/assets/NAME/partitions/grid for
// exactly the visible index range with cols = the canvas width in CSS pixels.
// Two dimensions with a time one (time × symbol): one row per key of the other
// dimension, columns over the time dimension. Nothing here is per partition:
// 1,000,000 partitions cost what 1,000 do.
//
// A bucket is the counts [materialized, failed, in_progress, missing, stale]:
// stale partitions are a part of the materialized ones, drawn amber, the rest
// of them green (so the bands add up to the bucket).
//
// Each answer carries the first and last key of every column (bucket_keys=1),
// so that the hover tooltip and a selection's keys need no request of their own.
//
// Mouse: wheel zooms around the pointer (shift+wheel or a sideways wheel pans),
// drag selects a range (rows too, in a grid), a click selects one bucket,
// a double click zooms into it. Keyboard on the focused canvas: + and - zoom,
// arrows pan, 0 shows the whole range, Enter selects what is in view, Escape
// clears the selection.
import { get, enc } from './api.js';
import { el, clear, COLORS, BAR_STATES, STATE_LABEL, fmtInt, add, fill } from './util.js';

const TIME_TYPES = ['daily', 'hourly', 'weekly', 'monthly', 'cron', 'time', 'time_window'];
const STRIP_H = 44;
const ROW_H = 18;
const AXIS_H = 20;
const ROWS_PAGE = 40;
const LABEL_W = 96;
const NONE = [0, 0, 0, 0, 0];

// A bucket's counts in the order of BAR_STATES: fresh materialized, stale,
// failed, in progress, missing (disjoint, adding up to the bucket).
function barParts(v) {
  const stale = Math.min(v[4] || 0, v[0] || 0);
  return [(v[0] || 0) - stale, stale, v[1] || 0, v[2] || 0, v[3] || 0];
}

export function isTimeType(t) { return TIME_TYPES.includes(t); }

// How an asset's partitions are laid out: a strip over all keys, or (a multi
// definition) a grid whose columns are the time dimension (else the last one)
// and whose rows are the keys of the other dimensions, as the server does.
export function layoutOf(detail) {
  const dims = detail.dimensions || [];
  const total = (detail.partitions && detail.partitions.total) || 0;
  if (dims.length >= 2) {
    let ti = dims.findIndex((d) => isTimeType(d.type));
    if (ti < 0) ti = dims.length - 1;
    const others = dims.filter((d, i) => i !== ti);
    return {
      kind: 'grid', n: dims[ti].count, timeIndex: ti, timeDim: dims[ti].name,
      rowDim: others.map((d) => d.name).join(' × '),
      rowsTotal: others.reduce((a, d) => a * (d.count || 0), 1), dims,
    };
  }
  return { kind: 'strip', n: total, dims };
}

export class Heatmap {
  constructor(container, detail, opts) {
    this.detail = detail;
    this.name = detail.name;
    this.opts = opts || {};
    this.layout = layoutOf(detail);
    this.n = this.layout.n;
    this.from = 0;
    this.to = Math.max(0, this.n - 1);
    this.rowsFrom = 0;
    this.data = null;         // the last grid answer
    this.selection = null;    // {type:'range', from, to, rowFrom?, rowTo?} | {type:'state', state}
    this.keyCache = new Map();
    this.seq = 0;

    this.root = el('div.heatmap');
    this.toolbar = el('div.hm-toolbar',
      el('div.btn-group', { role: 'group', 'aria-label': 'Zoom' },
        this.btn('−', 'Zoom out', () => this.zoom(2)),
        this.btn('+', 'Zoom in', () => this.zoom(0.5)),
        this.btn('◀', 'Earlier', () => this.pan(-0.5)),
        this.btn('▶', 'Later', () => this.pan(0.5)),
        this.btn('Whole range', 'Show every partition', () => this.showAll(), 'hm-all')),
      this.rangeLabel = el('span.hm-range.muted', { 'aria-live': 'polite' }),
      el('span.spacer'),
      this.legend());
    this.canvas = el('canvas.hm-canvas', {
      tabindex: '0', role: 'img',
      'aria-label': `Partitions of ${this.name}`,
    });
    this.tooltip = el('div.hm-tooltip', { role: 'tooltip', hidden: true });
    this.rowPager = el('div.hm-rows');
    this.summary = el('p.hm-summary#heatmap-summary', { 'aria-live': 'polite' });
    this.wrap = el('div.hm-wrap', this.canvas, this.tooltip);
    add(this.root, this.toolbar, this.wrap, this.rowPager, this.summary);
    add(container, this.root);

    this.bind();
    this.ro = new ResizeObserver(() => this.schedule());
    this.ro.observe(this.wrap);
  }

  btn(text, label, fn, cls) {
    return el('button.btn.small' + (cls ? '.' + cls : ''), { type: 'button', title: label, 'aria-label': label, onclick: fn }, text);
  }

  // stale is in the legend only while the view shows some (see describe())
  legend() {
    this.legendItems = {};
    return el('div.legend', { 'aria-hidden': 'true' }, BAR_STATES.map((s) => {
      const item = el('span.lg', { hidden: s === 'stale', dataset: { state: s } }, el('i.sw.st-' + s), STATE_LABEL[s]);
      this.legendItems[s] = item;
      return item;
    }));
  }

  destroy() {
    this.ro.disconnect();
    window.removeEventListener('mousemove', this.onMove);
    window.removeEventListener('mouseup', this.onUp);
    if (this.abort) this.abort.abort();
    clearTimeout(this.timer);
  }

  // ---- view -----------------------------------------------------------------

  get span() { return this.to - this.from + 1; }

  setView(from, to) {
    const n = this.n;
    let span = Math.max(1, Math.min(n, Math.round(to - from + 1)));
    from = Math.round(from);
    if (from < 0) from = 0;
    if (from + span > n) from = Math.max(0, n - span);
    this.from = from;
    this.to = Math.max(from, from + span - 1);
    this.schedule();
  }

  zoom(factor, centerFrac) {
    const c = centerFrac === undefined ? 0.5 : centerFrac;
    const mid = this.from + c * this.span;
    const span = Math.max(1, Math.min(this.n, Math.round(this.span * factor)));
    if (span === this.span && factor < 1 && span > 1) return this.setView(this.from, this.from + span - 2);
    this.setView(mid - c * span, mid - c * span + span - 1);
  }

  pan(frac) {
    const d = Math.max(1, Math.round(Math.abs(frac) * this.span)) * Math.sign(frac);
    this.setView(this.from + d, this.to + d);
  }

  showAll() { this.setView(0, this.n - 1); }

  cssWidth() { return Math.max(50, Math.floor(this.wrap.clientWidth || 600)); }
  plotX() { return this.layout.kind === 'grid' ? LABEL_W : 0; }
  plotW() { return this.cssWidth() - this.plotX(); }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.load(), 40);
  }

  refresh() { return this.load(); }

  async load() {
    if (!this.n) { this.drawEmpty(); return; }
    const cols = Math.max(1, Math.min(this.plotW(), this.span, 4000));
    let q = `/api/assets/${enc(this.name)}/partitions/grid?from=${this.from}&to=${this.to}&cols=${cols}&bucket_keys=1`;
    if (this.layout.kind === 'grid') {
      const rowsTotal = (this.data && this.data.rows_total) || this.layout.rowsTotal || ROWS_PAGE;
      if (this.rowsFrom >= rowsTotal) this.rowsFrom = Math.max(0, rowsTotal - ROWS_PAGE);
      q += `&rows_from=${this.rowsFrom}&rows_to=${Math.max(this.rowsFrom, Math.min(rowsTotal, this.rowsFrom + ROWS_PAGE) - 1)}`;
    }
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    const seq = ++this.seq;
    try {
      const d = await get(q, this.abort.signal);
      if (seq !== this.seq) return;
      this.data = d;
      this.error = null;
      this.resynced = false;
      // partitions appear as time passes: a view of the whole range follows
      if (d.kind === 'strip' && typeof d.total === 'number' && d.total !== this.n) {
        const whole = this.from === 0 && this.to === this.n - 1;
        this.n = d.total;
        if (whole || this.to > this.n - 1) { this.setView(whole ? 0 : this.from, this.n - 1); return; }
      }
      this.draw();
      if (this.opts.onView) this.opts.onView(this);
      // the keys of both ends of the view, when the answer did not carry them
      const cols = this.cols();
      if (cols && (this.keyOfCol(0, 0) === null || this.keyOfCol(cols - 1, 1) === null)) {
        Promise.all([this.keyAt(this.colRange(0)[0]), this.keyAt(this.colRange(cols - 1)[1])])
          .then(() => { if (seq === this.seq && this.data) this.describe(); })
          .catch(() => {});
      }
    } catch (e) {
      if (e.name === 'AbortError') return;
      // the view may be out of date (a dynamic key deleted, the project
      // reloaded): read the definition again, once, and retry
      if (e.status === 400 && !this.resynced) {
        this.resynced = true;
        try {
          const det = await get(`/api/assets/${enc(this.name)}`);
          this.detail = Object.assign(det, { name: this.name });
          this.layout = layoutOf(this.detail);
          this.n = this.layout.n;
          this.rowsFrom = 0;
          this.data = null;
          this.setView(0, this.n - 1);
          return;
        } catch (e2) { /* show the first error */ }
      }
      this.error = e;
      this.summary.textContent = '';
      add(this.summary, el('span.error-inline', `Could not load the partitions: ${e.message}`));
    }
  }

  // ---- geometry ---------------------------------------------------------------

  cols() { return this.data ? (this.data.cols || (this.data.buckets || this.data.cells[0] || []).length) : 0; }
  bucketSize() { return this.data ? (this.data.bucket_size || Math.ceil(this.span / Math.max(1, this.cols()))) : 1; }
  dataFrom() { return this.data && this.data.from !== undefined ? this.data.from : this.from; }
  dataTo() { return this.data && this.data.to !== undefined ? this.data.to : this.to; }

  // the index range [a, b] of column c
  colRange(c) {
    const s = this.bucketSize();
    const a = this.dataFrom() + c * s;
    return [a, Math.min(this.dataTo(), a + s - 1)];
  }

  colAt(x) {
    const cols = this.cols();
    if (!cols) return -1;
    const c = Math.floor(((x - this.plotX()) / this.plotW()) * cols);
    return Math.max(0, Math.min(cols - 1, c));
  }

  rows() { return (this.data && this.data.rows) || []; }

  rowAt(y) {
    if (this.layout.kind !== 'grid') return 0;
    const r = Math.floor((y - AXIS_H) / ROW_H);
    return Math.max(0, Math.min(this.rows().length - 1, r));
  }

  // the counts of column c (of one row of a grid, or of all its rows), as the
  // server gives a bucket: [materialized, failed, in_progress, missing, stale]
  countsOfCol(c, row) {
    if (!this.data) return NONE;
    if (this.data.kind === 'grid' || this.data.cells) {
      if (row !== undefined) return (this.data.cells[row] || [])[c] || NONE;
      const t = [0, 0, 0, 0, 0];
      for (const r of this.data.cells) { const v = r[c] || NONE; for (let i = 0; i < 5; i++) t[i] += v[i] || 0; }
      return t;
    }
    return this.data.buckets[c] || NONE;
  }

  // ---- drawing ----------------------------------------------------------------

  drawEmpty() {
    const ctx = this.prepare(STRIP_H + AXIS_H);
    ctx.fillStyle = '#6b7280';
    ctx.font = '13px system-ui, sans-serif';
    ctx.fillText('No partitions exist yet.', 8, 26);
    this.summary.textContent = 'No partitions exist yet.';
    this.canvas.setAttribute('aria-label', `Partitions of ${this.name}: none exist yet.`);
  }

  prepare(h) {
    const w = this.cssWidth();
    const dpr = window.devicePixelRatio || 1;
    if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(h * dpr)) {
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
      this.canvas.style.width = w + 'px';
      this.canvas.style.height = h + 'px';
    }
    const ctx = this.canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    return ctx;
  }

  stripes(ctx) {
    if (this.pattern) return this.pattern;
    const p = document.createElement('canvas');
    p.width = 8; p.height = 8;
    const c = p.getContext('2d');
    c.fillStyle = COLORS.in_progress; c.fillRect(0, 0, 8, 8);
    c.strokeStyle = 'rgba(255,255,255,0.35)'; c.lineWidth = 2;
    c.beginPath(); c.moveTo(-2, 10); c.lineTo(10, -2); c.moveTo(-2, 2); c.lineTo(2, -2); c.moveTo(6, 10); c.lineTo(10, 6); c.stroke();
    this.pattern = ctx.createPattern(p, 'repeat');
    return this.pattern;
  }

  // one bucket: stacked bands in proportion to its counts (a bucket of one
  // state is one colour; a little failure or staleness stays visible: at
  // least 2 px)
  drawCell(ctx, x, y, w, h, v) {
    const parts = barParts(v); // in BAR_STATES order
    const total = parts.reduce((a, n) => a + n, 0);
    if (!total) { ctx.fillStyle = '#f3f4f6'; ctx.fillRect(x, y, w, h); return; }
    const order = [2, 3, 4, 1, 0]; // failed, in progress, missing, stale on top of fresh materialized
    let yy = y;
    let left = h;
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      if (!parts[i]) continue;
      let hh = (k === order.length - 1) ? left : Math.max(2, Math.round((h * parts[i]) / total));
      hh = Math.min(hh, left);
      const last = order.slice(k + 1).every((j) => !parts[j]);
      if (last) hh = left;
      ctx.fillStyle = BAR_STATES[i] === 'in_progress' ? this.stripes(ctx) : COLORS[BAR_STATES[i]];
      ctx.fillRect(x, yy, w, hh);
      yy += hh;
      left -= hh;
      if (left <= 0) break;
    }
  }

  draw() {
    const d = this.data;
    if (!d) return;
    const grid = this.layout.kind === 'grid' && d.cells;
    const rows = grid ? this.rows() : [];
    const h = grid ? AXIS_H + Math.max(1, rows.length) * ROW_H : STRIP_H + AXIS_H;
    const ctx = this.prepare(h);
    const cols = this.cols();
    const px0 = this.plotX();
    const pw = this.plotW();
    const cw = pw / Math.max(1, cols);
    const gap = cw >= 6 ? 1 : 0;
    if (grid) {
      ctx.font = '12px system-ui, sans-serif';
      ctx.textBaseline = 'middle';
      for (let r = 0; r < rows.length; r++) {
        const y = AXIS_H + r * ROW_H;
        ctx.fillStyle = '#374151';
        ctx.fillText(clip(ctx, String(rows[r]), LABEL_W - 8), 0, y + ROW_H / 2);
        const line = d.cells[r] || [];
        for (let c = 0; c < cols; c++) {
          const x0 = px0 + Math.floor(c * cw);
          const x1 = px0 + Math.floor((c + 1) * cw);
          this.drawCell(ctx, x0, y + 1, Math.max(1, x1 - x0 - gap), ROW_H - 2, line[c] || NONE);
        }
      }
    } else {
      const b = d.buckets || [];
      for (let c = 0; c < cols; c++) {
        const x0 = Math.floor(c * cw);
        const x1 = Math.floor((c + 1) * cw);
        this.drawCell(ctx, x0, 0, Math.max(1, x1 - x0 - gap), STRIP_H, b[c] || NONE);
      }
    }
    this.drawSelection(ctx, h);
    this.drawAxis(ctx, grid ? 0 : STRIP_H, grid);
    this.drawHover(ctx, h);
    this.describe();
  }

  drawAxis(ctx, y, grid) {
    const d = this.data;
    const cols = this.cols();
    const pw = this.plotW();
    const px0 = this.plotX();
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = '#4b5563';
    const labels = [];
    if (d.bucket_keys) {
      const step = Math.max(1, Math.ceil(cols / Math.max(1, Math.floor(pw / 110))));
      for (let c = 0; c < cols; c += step) labels.push({ col: c, key: d.bucket_keys[c] && d.bucket_keys[c][0] });
    } else {
      for (const l of d.labels || []) labels.push(l);
    }
    let lastEnd = -1;
    for (const l of labels) {
      if (!l || l.key === undefined || l.key === null) continue;
      const x = px0 + (l.col / Math.max(1, cols)) * pw;
      const text = String(l.key);
      const w = ctx.measureText(text).width;
      if (x < lastEnd + 8 || x + 3 + w > px0 + pw) continue;
      ctx.fillStyle = '#9ca3af';
      ctx.fillRect(Math.round(x), y + 1, 1, 5);
      ctx.fillStyle = '#4b5563';
      ctx.fillText(text, x + 3, y + AXIS_H / 2 + 2);
      lastEnd = x + 3 + w;
    }
    if (grid) {
      ctx.fillStyle = '#6b7280';
      ctx.fillText(this.layout.rowDim + ' ↓', 0, y + AXIS_H / 2 + 2);
    }
  }

  selCols() {
    // the columns a range selection covers in the current view
    const s = this.selection;
    if (!s || s.type !== 'range' || !this.data) return null;
    const from = this.dataFrom();
    const size = this.bucketSize();
    const c0 = Math.floor((s.from - from) / size);
    const c1 = Math.floor((s.to - from) / size);
    if (c1 < 0 || c0 >= this.cols()) return null;
    return [Math.max(0, c0), Math.min(this.cols() - 1, c1)];
  }

  drawSelection(ctx, h) {
    const s = this.selection;
    if (!s) return;
    const cols = this.cols();
    const px0 = this.plotX();
    const cw = this.plotW() / Math.max(1, cols);
    const grid = this.layout.kind === 'grid';
    ctx.save();
    if (s.type === 'range') {
      const sc = this.selCols();
      if (!sc) { ctx.restore(); return; }
      let y0 = grid ? AXIS_H : 0;
      let y1 = grid ? h : STRIP_H;
      if (grid && s.rowFrom !== undefined && s.rowFrom !== null) {
        const r0 = s.rowFrom - this.rowsFrom;
        const r1 = s.rowTo - this.rowsFrom;
        y0 = AXIS_H + Math.max(0, r0) * ROW_H;
        y1 = AXIS_H + Math.min(this.rows().length, r1 + 1) * ROW_H;
      }
      const x0 = px0 + sc[0] * cw;
      const x1 = px0 + (sc[1] + 1) * cw;
      ctx.fillStyle = 'rgba(17, 24, 39, 0.12)';
      ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
      ctx.strokeStyle = '#111827';
      ctx.lineWidth = 2;
      ctx.strokeRect(x0 + 1, y0 + 1, Math.max(2, x1 - x0 - 2), Math.max(2, y1 - y0 - 2));
    } else if (s.type === 'state') {
      // mark the buckets that hold partitions in the selected state(s)
      // (bucket indexes: 1 failed, 3 missing, 4 stale)
      const idx = { failed: [1], missing: [1, 3], stale: [4], missing_stale: [1, 3, 4] }[s.state] || [1, 3];
      ctx.fillStyle = '#111827';
      const rowsN = grid ? this.rows().length : 1;
      for (let r = 0; r < rowsN; r++) {
        for (let c = 0; c < cols; c++) {
          const v = grid ? ((this.data.cells[r] || [])[c] || NONE) : this.countsOfCol(c);
          if (!idx.some((i) => v[i] > 0)) continue;
          const x = px0 + c * cw;
          const y = grid ? AXIS_H + r * ROW_H + ROW_H - 3 : STRIP_H - 4;
          ctx.fillRect(x, y, Math.max(1, cw - (cw >= 6 ? 1 : 0)), 3);
        }
      }
    }
    ctx.restore();
  }

  drawHover(ctx) {
    if (this.hoverCol === undefined || this.hoverCol < 0 || this.dragging) return;
    const cols = this.cols();
    const cw = this.plotW() / Math.max(1, cols);
    const x = this.plotX() + this.hoverCol * cw;
    const grid = this.layout.kind === 'grid';
    const y = grid ? AXIS_H + this.hoverRow * ROW_H : 0;
    ctx.strokeStyle = 'rgba(17,24,39,0.7)';
    ctx.lineWidth = 1;
    ctx.strokeRect(Math.round(x) + 0.5, y + 0.5, Math.max(2, cw - 1), (grid ? ROW_H : STRIP_H) - 1);
  }

  // the text alternative of the canvas, and the visible summary line; its
  // data-* attributes count as the server does (data-materialized includes
  // data-stale), the text as the colours do (materialized, then stale)
  describe() {
    const d = this.data;
    const t = [0, 0, 0, 0, 0];
    const cols = this.cols();
    if (d.cells) for (const r of d.cells) for (let c = 0; c < cols; c++) { const v = r[c] || NONE; for (let i = 0; i < 5; i++) t[i] += v[i] || 0; }
    else for (const v of d.buckets || []) for (let i = 0; i < 5; i++) t[i] += v[i] || 0;
    const shown = t[0] + t[1] + t[2] + t[3];
    const parts = barParts(t);
    const first = this.keyOfCol(0, 0);
    const last = this.keyOfCol(cols - 1, 1);
    const whole = this.from === 0 && this.to === this.n - 1;
    const range = first && last ? `${first} … ${last}` : `#${this.from + 1} … #${this.to + 1}`;
    const what = this.layout.kind === 'grid'
      ? `${whole ? 'all' : fmtInt(this.span)} of ${fmtInt(this.n)} ${this.layout.timeDim} keys × ${fmtInt(this.rows().length)}${d.rows_total && d.rows_total > this.rows().length ? ' of ' + fmtInt(d.rows_total) : ''} ${this.layout.rowDim} rows`
      : `${whole ? 'all ' : ''}${fmtInt(this.span)}${whole ? '' : ' of ' + fmtInt(this.n)} partitions`;
    const counts = BAR_STATES.map((s, i) => (s === 'stale' && !parts[i] ? null : `${fmtInt(parts[i])} ${STATE_LABEL[s]}`))
      .filter(Boolean).join(', ');
    const text = `Showing ${range} (${what}): ${counts}.`;
    this.summary.textContent = text + (this.bucketSize() > 1 ? ` Each column is ${fmtInt(this.bucketSize())} partitions.` : '');
    this.summary.dataset.materialized = t[0];
    this.summary.dataset.failed = t[1];
    this.summary.dataset.inProgress = t[2];
    this.summary.dataset.missing = t[3];
    this.summary.dataset.stale = t[4];
    this.summary.dataset.total = shown;
    if (this.legendItems) this.legendItems.stale.hidden = !t[4];
    this.canvas.setAttribute('aria-label', `Partitions of ${this.name}. ${text}`);
    this.rangeLabel.textContent = range;
    this.toolbar.querySelector('.hm-all').disabled = whole;
    this.drawRowPager();
  }

  drawRowPager() {
    clear(this.rowPager);
    if (this.layout.kind !== 'grid' || !this.data) return;
    const total = this.data.rows_total || this.layout.rowsTotal || this.rows().length;
    if (total <= ROWS_PAGE) return;
    const a = this.rowsFrom;
    const b = Math.min(total, a + ROWS_PAGE);
    add(this.rowPager, 
      this.btn('▲', 'Previous rows', () => { this.rowsFrom = Math.max(0, a - ROWS_PAGE); this.load(); }),
      el('span.muted', ` rows ${fmtInt(a + 1)}–${fmtInt(b)} of ${fmtInt(total)} `),
      this.btn('▼', 'Next rows', () => { if (b < total) { this.rowsFrom = b; this.load(); } }));
  }

  // the first (end 0) or last (end 1) key of column c, when the answer says
  keyOfCol(c, end) {
    const d = this.data;
    if (!d || c < 0) return null;
    if (d.bucket_keys && d.bucket_keys[c]) return d.bucket_keys[c][end] ?? d.bucket_keys[c][0];
    const [a, b] = this.colRange(c);
    const idx = end ? b : a;
    if (this.keyCache.has(idx)) return this.keyCache.get(idx);
    if (end === 0 || this.bucketSize() === 1) {
      const l = (d.labels || []).find((x) => x.col === c);
      if (l) return l.key;
    }
    return null;
  }

  // the key at index i (asks the server when the last answer does not say)
  async keyAt(i) {
    if (this.keyCache.has(i)) return this.keyCache.get(i);
    const d = await get(`/api/assets/${enc(this.name)}/partitions/grid?from=${i}&to=${i}&cols=1&bucket_keys=1`);
    let key = null;
    if (d.bucket_keys && d.bucket_keys[0]) key = d.bucket_keys[0][0];
    else if (d.labels && d.labels.length) key = d.labels[0].key;
    if (key !== null) this.keyCache.set(i, key);
    return key;
  }

  // ---- interaction --------------------------------------------------------------

  bind() {
    const cv = this.canvas;
    cv.addEventListener('wheel', (e) => {
      if (!this.data) return;
      e.preventDefault();
      const frac = Math.max(0, Math.min(1, (e.offsetX - this.plotX()) / this.plotW()));
      if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        const dx = e.deltaX || e.deltaY;
        this.pan(Math.sign(dx) * 0.1);
      } else {
        this.zoom(e.deltaY < 0 ? 0.8 : 1.25, frac);
      }
    }, { passive: false });
    cv.addEventListener('mousedown', (e) => {
      if (e.button !== 0 || !this.data || e.offsetX < this.plotX()) return;
      this.dragStart = { x: e.offsetX, y: e.offsetY, c: this.colAt(e.offsetX), r: this.rowAt(e.offsetY) };
      this.dragging = false;
      e.preventDefault();
      cv.focus();
    });
    window.addEventListener('mousemove', this.onMove = (e) => {
      const r = cv.getBoundingClientRect();
      const x = e.clientX - r.left;
      const y = e.clientY - r.top;
      if (this.dragStart) {
        if (Math.abs(x - this.dragStart.x) > 3) this.dragging = true;
        if (this.dragging) {
          this.setSelectionCols(this.dragStart.c, this.colAt(x), this.dragStart.r, this.rowAt(y), false);
          this.hideTip();
        }
        return;
      }
      if (e.target !== cv) return;
      this.hover(x, y, e);
    });
    window.addEventListener('mouseup', this.onUp = (e) => {
      if (!this.dragStart) return;
      const r = cv.getBoundingClientRect();
      const x = e.clientX - r.left;
      const y = e.clientY - r.top;
      const st = this.dragStart;
      this.dragStart = null;
      const c = this.dragging ? this.colAt(x) : st.c;
      const row = this.dragging ? this.rowAt(y) : st.r;
      this.dragging = false;
      this.setSelectionCols(st.c, c, st.r, row, true);
    });
    cv.addEventListener('mouseleave', () => { this.hoverCol = undefined; this.hideTip(); if (this.data) this.draw(); });
    cv.addEventListener('dblclick', (e) => {
      const c = this.colAt(e.offsetX);
      const [a, b] = this.colRange(c);
      if (b > a) this.setView(a - Math.floor((b - a) / 2), b + Math.ceil((b - a) / 2));
    });
    cv.addEventListener('keydown', (e) => {
      const k = e.key;
      if (k === '+' || k === '=') this.zoom(0.5);
      else if (k === '-' || k === '_') this.zoom(2);
      else if (k === 'ArrowLeft') this.pan(-0.25);
      else if (k === 'ArrowRight') this.pan(0.25);
      else if (k === '0' || k === 'Home') this.showAll();
      else if (k === 'Escape') this.setSelection(null, true);
      else if (k === 'Enter' && this.data) this.setSelectionCols(0, this.cols() - 1, 0, Math.max(0, this.rows().length - 1), true);
      else return;
      e.preventDefault();
    });
  }

  setSelectionCols(c0, c1, r0, r1, done) {
    const a = Math.min(c0, c1);
    const b = Math.max(c0, c1);
    const sel = { type: 'range', from: this.colRange(a)[0], to: this.colRange(b)[1],
      fromKey: this.keyOfCol(a, 0), toKey: this.keyOfCol(b, 1) };
    if (this.layout.kind === 'grid') {
      // a drag over every row shown (or a click on a column's axis) takes all rows
      const rr0 = Math.min(r0, r1) + this.rowsFrom;
      const rr1 = Math.max(r0, r1) + this.rowsFrom;
      const all = this.rows().length;
      const rowsTotal = (this.data && this.data.rows_total) || all;
      if (!(rr0 === this.rowsFrom && rr1 === this.rowsFrom + all - 1 && rowsTotal === all)) {
        sel.rowFrom = rr0;
        sel.rowTo = rr1;
        sel.rowKeys = this.rows().slice(rr0 - this.rowsFrom, rr1 - this.rowsFrom + 1);
      }
    }
    this.setSelection(sel, done);
  }

  setSelection(sel, done) {
    this.selection = sel;
    if (this.data) this.draw();
    if (done && this.opts.onSelect) this.opts.onSelect(sel);
  }

  hideTip() { this.tooltip.hidden = true; }

  hover(x, y) {
    if (!this.data || x < this.plotX()) { this.hideTip(); return; }
    const c = this.colAt(x);
    const r = this.rowAt(y);
    if (c !== this.hoverCol || r !== this.hoverRow) {
      this.hoverCol = c;
      this.hoverRow = r;
      this.draw();
    }
    const grid = this.layout.kind === 'grid';
    const v = this.countsOfCol(c, grid ? r : undefined);
    const [a, b] = this.colRange(c);
    const k0 = this.keyOfCol(c, 0);
    const k1 = this.keyOfCol(c, 1);
    const keyText = (k0 !== null && (a === b || k1 !== null))
      ? (a === b ? k0 : `${k0} … ${k1}`)
      : (a === b ? `partition #${fmtInt(a + 1)}` : `partitions #${fmtInt(a + 1)} … #${fmtInt(b + 1)}`);
    fill(this.tooltip, 
      el('div.tt-key', keyText + (grid ? ` · ${this.rows()[r]}` : '')),
      a !== b ? el('div.tt-n.muted', `${fmtInt(b - a + 1)} ${grid ? this.layout.timeDim + ' keys' : 'partitions'}`) : null,
      el('div.tt-counts', barParts(v).map((k, i) => (k ? el('div', el('i.sw.st-' + BAR_STATES[i]), ` ${fmtInt(k)} ${STATE_LABEL[BAR_STATES[i]]}`) : null))));
    this.tooltip.hidden = false;
    const w = this.wrap.clientWidth;
    const tw = this.tooltip.offsetWidth || 180;
    this.tooltip.style.left = Math.max(0, Math.min(w - tw, x + 12)) + 'px';
    this.tooltip.style.top = (y + 16) + 'px';
    // fill in keys the answer did not carry (a server without bucket_keys: one small request, cached)
    if ((k0 === null || (a !== b && k1 === null)) && !this.pendingKey) {
      this.pendingKey = true;
      Promise.all([this.keyAt(a), a !== b ? this.keyAt(b) : null])
        .then(() => { this.pendingKey = false; if (this.hoverCol === c && !this.tooltip.hidden) this.hover(x, y); })
        .catch(() => { this.pendingKey = false; });
    }
  }

  // zoom so that the selection fills the view
  zoomToSelection() {
    const s = this.selection;
    if (s && s.type === 'range') this.setView(s.from, s.to);
  }
}

function clip(ctx, text, w) {
  if (ctx.measureText(text).width <= w) return text;
  while (text.length > 1 && ctx.measureText(text + '…').width > w) text = text.slice(0, -1);
  return text + '…';
}
