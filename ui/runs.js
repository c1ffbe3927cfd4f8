// runs.js — the runs list, and one run: its steps on a timeline (one bar per
// step, coloured by outcome; a run of more steps than one answer lists, one
// row per asset from the server's summed-up timeline), its live log (SSE),
// and a cancel button.
import { get, post, enc, streamUrl } from './api.js';
import {
  el, clear, errorBox, emptyBox, badge, fmtInt, fmtTs, fmtDuration, plural, stepCounts, isActive,
  runHref, backfillHref, assetHref, every, toast, COLORS, add, fill,
} from './util.js';

export async function renderList(ctx) {
  const { main } = ctx;
  const body = el('div#runs-body', emptyBox('Loading runs…'));
  add(main, el('div.page-head', el('h1', 'Runs')), body);
  let before = null;
  let older = [];
  const load = async () => {
    let r;
    try {
      r = await get('/api/runs?limit=50');
    } catch (e) {
      if (ctx.alive) fill(body, errorBox(e, 'Loading the runs'));
      return;
    }
    if (!ctx.alive) return;
    const runs = (r.runs || []).concat(older);
    clear(body);
    if (!runs.length) { add(body, emptyBox('No runs yet. Launch one from an asset page, or with tranche materialize.')); return; }
    add(body, runsTable(runs));
    const last = runs[runs.length - 1];
    if ((r.runs || []).length === 50 || older.length) {
      before = last.id;
      add(body, el('div.btn-row', el('button.btn', { type: 'button', onclick: async () => {
        try {
          const o = await get(`/api/runs?limit=50&before=${enc(before)}`);
          older = older.concat(o.runs || []);
          load();
        } catch (e) { add(body, errorBox(e)); }
      } }, 'Older runs')));
    }
  };
  await load();
  every(3000, load, ctx.onLeave);
}

export function runsTable(runs) {
  return el('table.table.runs',
    el('thead', el('tr', ['Run', 'Status', 'Selection', 'Partitions', 'Steps', 'Duration', 'Launched by', 'Started', 'Backfill'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', runs.map((r) => {
      const c = stepCounts(r);
      const end = r.ended_at || (isActive(r.status) ? Date.now() : null);
      return el('tr', { dataset: { run: r.id } },
        el('td', el('a', { href: runHref(r.id) }, String(r.id))),
        el('td', badge(r.status)),
        el('td', el('code', r.selection || '–')),
        el('td', r.partitions || el('span.muted', '–')),
        el('td.num', `${fmtInt(c.succeeded)}/${fmtInt(c.total)}`, c.failed ? el('span.st-text-failed', ` · ${fmtInt(c.failed)} failed`) : null),
        el('td.num', end && r.created_at ? fmtDuration(end - r.created_at) : '–'),
        el('td', r.launched_by || '–'),
        el('td', fmtTs(r.created_at)),
        el('td', r.backfill_id !== null && r.backfill_id !== undefined ? el('a', { href: backfillHref(r.backfill_id) }, String(r.backfill_id)) : el('span.muted', '–')));
    })));
}

const EVENT_TYPES = ['run_start', 'run_success', 'run_failure', 'run_canceled', 'run_canceling', 'step_start', 'step_success',
  'step_failure', 'step_skipped', 'step_retry', 'step_canceled', 'materialization', 'check', 'log', 'output', 'waiting', 'message'];

export async function renderRun(ctx, id) {
  const { main } = ctx;
  add(main, el('div.crumbs', el('a', { href: '#/runs' }, 'Runs'), ' / ', `run ${id}`));
  const head = el('div#run-head', emptyBox('Loading…'));
  const msg = el('div#run-msg', { 'aria-live': 'polite' });
  const timeline = el('section.card#run-timeline', el('h2', 'Steps'));
  const logCard = el('section.card#run-log-card', el('h2', 'Log'));
  const log = el('div.log#run-log', { role: 'log', 'aria-live': 'off', tabindex: '0' });
  add(logCard, log);
  add(main, head, msg, timeline, logCard);
  let run = null;
  let tl = null;

  let inFlight = false;
  // a run of more steps than a page is drawn from its timeline summary: no step list then
  let big = false;
  const load = async () => {
    if (inFlight) return;
    inFlight = true;
    try {
      run = await get(`/api/runs/${enc(id)}${big ? '?steps_limit=0' : ''}`);
      if (run.steps_truncated) big = true;
    } catch (e) {
      if (ctx.alive) fill(head, errorBox(e, `Run ${id}`));
      return;
    } finally {
      inFlight = false;
    }
    if (!ctx.alive) return;
    drawHead();
    if (!tl) tl = new Timeline(timeline);
    tl.set(run);
  };

  const drawHead = () => {
    const c = stepCounts(run);
    // a run of another process has its counters once it ends: until then its steps say more
    const by = timelineCounts(run);
    if (by) {
      c.succeeded = Math.max(c.succeeded, by.success || 0);
      c.failed = Math.max(c.failed, by.failed || 0);
      c.skipped = Math.max(c.skipped, by.skipped || 0);
    }
    const active = isActive(run.status);
    const cancel = el('button.btn.danger#cancel-run', { type: 'button', disabled: !active || run.status === 'canceling' }, run.status === 'canceling' ? 'Canceling…' : 'Cancel run');
    cancel.addEventListener('click', async () => {
      cancel.disabled = true;
      try {
        const r = await post(`/api/runs/${enc(id)}/cancel`);
        toast(`Run ${id}: ${r.status || 'canceling'}`);
        load();
      } catch (e) {
        fill(msg, errorBox(e, 'Canceling'));
        cancel.disabled = false;
      }
    });
    const end = run.ended_at || (active ? Date.now() : null);
    fill(head, 
      el('div.title-row', el('h1', `Run ${run.id ?? id}`), badge(run.status), el('span.spacer'), active ? cancel : null),
      el('dl.facts',
        el('div', el('dt', 'Selection'), el('dd', el('code', run.selection || '–'))),
        el('div', el('dt', 'Partitions'), el('dd', run.partitions || '–')),
        el('div', el('dt', 'Steps'), el('dd', `${fmtInt(c.succeeded)} succeeded, ${fmtInt(c.failed)} failed, ${fmtInt(c.skipped)} skipped of ${fmtInt(c.total)}`)),
        el('div', el('dt', 'Launched by'), el('dd', run.launched_by || '–')),
        el('div', el('dt', 'Started'), el('dd', fmtTs(run.created_at))),
        el('div', el('dt', 'Duration'), el('dd', end && run.created_at ? fmtDuration(end - run.created_at) : '–')),
        run.backfill_id !== null && run.backfill_id !== undefined ? el('div', el('dt', 'Backfill'), el('dd', el('a', { href: backfillHref(run.backfill_id) }, String(run.backfill_id)))) : null),
      run.error ? el('div.error', { role: 'alert' }, el('strong', 'Error: '), el('span.msg', run.error)) : null);
  };

  await load();
  // the live log: SSE, which replays the run's events from the start
  startLog(ctx, id, log, () => load());
  every(2000, async () => { if (run && isActive(run.status)) await load(); }, ctx.onLeave);
}

// The run's log: its events as they come (SSE), drawn in batches (a big
// backfill sends thousands a second), the newest MAX_LOG lines kept.
const MAX_LOG = 2000;

function startLog(ctx, id, log, onChange) {
  let n = 0;
  let hidden = 0;
  let pending = [];
  let flushTimer = null;
  const notice = el('div.log-line.end');
  const line = (ev) => {
    let d = {};
    try { d = JSON.parse(ev.data); } catch (e) { d = { message: ev.data }; }
    const type = d.type || ev.type;
    const cls = /failure|failed|error/.test(type) || (type === 'check' && d.data && d.data.passed === false) ? 'bad'
      : /success|materialization/.test(type) ? 'ok' : /start|retry|waiting/.test(type) ? 'run' : '';
    return [type, el('div.log-line' + (cls ? '.' + cls : ''),
      el('span.log-ts', d.ts ? fmtTs(d.ts).slice(11) : ''),
      el('span.log-type', type),
      d.asset ? el('a.log-asset', { href: assetHref(d.asset) }, d.asset) : null,
      d.partition ? el('span.log-part', d.partition) : null,
      d.check ? el('span.log-part', `check ${d.check}`) : null,
      d.message ? el('span.log-msg', d.message) : null)];
  };
  const flush = () => {
    flushTimer = null;
    const batch = pending;
    pending = [];
    if (!batch.length || !ctx.alive) return;
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 30;
    const skip = Math.max(0, batch.length - MAX_LOG);
    hidden += skip;
    const frag = document.createDocumentFragment();
    let changed = false;
    for (let i = skip; i < batch.length; i++) {
      const [type, node] = line(batch[i]);
      frag.append(node);
      if (/^(step_|run_)/.test(type)) changed = true;
    }
    if (skip) changed = true;
    log.append(frag);
    let excess = log.childElementCount - (notice.isConnected ? 1 : 0) - MAX_LOG;
    while (excess-- > 0) {
      const first = notice.isConnected ? notice.nextSibling : log.firstChild;
      if (!first) break;
      first.remove();
      hidden++;
    }
    if (hidden) {
      notice.textContent = `… ${fmtInt(hidden)} earlier events are not shown (tranche logs ${id} has them all)`;
      if (!notice.isConnected) log.prepend(notice);
    }
    if (atBottom) log.scrollTop = log.scrollHeight;
    if (changed) scheduleChange();
  };
  // the server replays at most its last events of the past: it says how many it left out
  const onReplay = (ev) => {
    let d = {};
    try { d = JSON.parse(ev.data); } catch (e) { /* nothing to say */ }
    if (!d.skipped) return;
    hidden += d.skipped;
    notice.textContent = `… ${fmtInt(hidden)} earlier events are not shown (tranche logs ${id} has them all)`;
    if (!notice.isConnected) log.prepend(notice);
  };
  const onEvent = (ev) => {
    if (ev.type === 'end') return;
    n++;
    pending.push(ev);
    if (!flushTimer) flushTimer = setTimeout(flush, 100);
  };
  let t = null;
  const scheduleChange = () => { if (!t) t = setTimeout(() => { t = null; onChange(); }, 500); };
  const es = new EventSource(streamUrl(`/api/runs/${enc(id)}/stream`));
  es.onmessage = onEvent;
  for (const type of EVENT_TYPES) es.addEventListener(type, onEvent);
  es.addEventListener('replay', onReplay);
  es.addEventListener('end', () => {
    es.close();
    clearTimeout(flushTimer);
    flush();
    add(log, el('div.log-line.end', n ? '— end of the run —' : 'This run has no events.'));
    onChange();
  });
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED && ctx.alive) add(log, el('div.log-line.bad', 'The log stream was closed by the server.'));
  };
  ctx.onLeave(() => { es.close(); clearTimeout(t); clearTimeout(flushTimer); });
}

// Counts by state of every step of the run (the timeline summary covers them
// all; the step list may be a page), or null for an older server.
function timelineCounts(run) {
  if (!run.timeline || !Array.isArray(run.timeline.assets)) return null;
  const c = {};
  for (const a of run.timeline.assets) {
    for (const st of STEP_STATES) c[st] = (c[st] || 0) + (a[st] || 0);
  }
  return c;
}

const STEP_STATES = ['success', 'failed', 'skipped', 'running', 'pending', 'canceled'];

// One bar per step from its start to its end, coloured by outcome, on a canvas
// (a backfill can have thousands of steps). A run with more steps than the
// answer lists (steps_truncated) is drawn from the server's summary instead:
// one row per asset, a bar from its first start to its last end, shaded by
// how many of its steps ended in each slice of time (red where some failed).
class Timeline {
  constructor(card) {
    this.summary = el('p.muted#timeline-summary');
    this.canvas = el('canvas.timeline', { role: 'img', tabindex: '0' });
    this.tip = el('div.hm-tooltip', { hidden: true, role: 'tooltip' });
    this.wrap = el('div.hm-wrap', this.canvas, this.tip);
    add(card, this.summary, this.wrap);
    this.canvas.addEventListener('mousemove', (e) => this.hover(e));
    this.canvas.addEventListener('mouseleave', () => { this.tip.hidden = true; });
    this.ro = new ResizeObserver(() => this.draw());
    this.ro.observe(this.wrap);
  }

  set(run) {
    this.run = run;
    this.perAsset = !!(run.steps_truncated && run.timeline && Array.isArray(run.timeline.assets));
    this.steps = (run.steps && Array.isArray(run.steps) ? run.steps : []).slice()
      .sort((a, b) => (a.start_ts || Infinity) - (b.start_ts || Infinity));
    this.draw();
  }

  describe() {
    let counts = timelineCounts(this.run);
    let n;
    if (counts) {
      n = Object.values(counts).reduce((a, b) => a + b, 0);
    } else {
      counts = {};
      for (const s of this.steps) counts[s.state] = (counts[s.state] || 0) + 1;
      n = this.steps.length;
    }
    const parts = Object.entries(counts).filter(([, v]) => v).map(([k, v]) => `${fmtInt(v)} ${k}`);
    let text = n ? `${plural(n, 'step')}: ${parts.join(', ')}.` : 'No steps recorded yet.';
    if (this.perAsset) text += ` Too many to draw one by one: each row is an asset, shaded by the steps that ended when.`;
    this.summary.textContent = text;
    this.canvas.setAttribute('aria-label', `Timeline of run ${this.run.id}: ${text}`);
  }

  draw() {
    if (!this.run) return;
    this.describe();
    if (this.perAsset) { this.drawAssets(); return; }
    const steps = this.steps;
    const W = Math.max(200, this.wrap.clientWidth || 600);
    const rowH = steps.length <= 60 ? 18 : steps.length <= 200 ? 6 : Math.min(3, 600 / steps.length);
    const labelW = rowH >= 14 ? Math.min(260, Math.floor(W * 0.32)) : 0;
    const H = Math.max(30, Math.ceil(steps.length * rowH)) + 22;
    const ctx = this.prepare(W, H);
    const now = Date.now();
    let t0 = this.run.created_at || Infinity;
    let t1 = this.run.ended_at || 0;
    for (const s of steps) {
      if (s.start_ts && s.start_ts < t0) t0 = s.start_ts;
      const e = s.end_ts || (s.state === 'running' ? now : s.start_ts || 0);
      if (e > t1) t1 = e;
    }
    const span = Math.max(1, (Number.isFinite(t0) ? t1 - t0 : 1));
    const X = (t) => labelW + ((t - t0) / span) * (W - labelW - 8);
    this.geo = { labelW, rowH, t0, span, W };
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    steps.forEach((s, i) => {
      const y = i * rowH;
      if (rowH >= 14) {
        ctx.fillStyle = '#374151';
        const label = s.asset + (s.partition ? ' ' + s.partition : '');
        let t = label;
        while (t.length > 3 && ctx.measureText(t).width > labelW - 10) t = t.slice(0, -2);
        ctx.fillText(t === label ? t : t + '…', 0, y + rowH / 2);
      }
      const a = s.start_ts || t0;
      const b = s.end_ts || (s.state === 'running' ? now : a);
      const x0 = X(a);
      ctx.fillStyle = stepColor(s.state);
      ctx.fillRect(x0, y + (rowH >= 8 ? 2 : 0), Math.max(2, X(b) - x0), Math.max(rowH < 1 ? rowH : 1, rowH - (rowH >= 8 ? 4 : 0)));
    });
    this.axis(ctx, W, H, labelW, t0, span);
  }

  prepare(W, H) {
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = W * dpr; this.canvas.height = H * dpr;
    this.canvas.style.width = W + 'px'; this.canvas.style.height = H + 'px';
    const ctx = this.canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    return ctx;
  }

  axis(ctx, W, H, labelW, t0, span) {
    ctx.fillStyle = '#6b7280';
    ctx.font = '11px system-ui, sans-serif';
    const yAxis = H - 11;
    ctx.fillText(Number.isFinite(t0) && t0 ? fmtTs(t0).slice(11) : '', labelW, yAxis);
    const endText = `+${fmtDuration(span)}`;
    ctx.fillText(endText, W - 8 - ctx.measureText(endText).width, yAxis);
  }

  // the per-asset view of a big run, from run.timeline
  drawAssets() {
    const tl = this.run.timeline;
    const assets = tl.assets;
    const W = Math.max(200, this.wrap.clientWidth || 600);
    const rowH = 22;
    const labelW = Math.min(220, Math.floor(W * 0.28));
    const H = Math.max(1, assets.length) * rowH + 22;
    const ctx = this.prepare(W, H);
    const t0 = tl.start_ts || this.run.created_at || 0;
    const t1 = Math.max(tl.end_ts || 0, t0 + 1);
    const span = t1 - t0;
    const X = (t) => labelW + ((t - t0) / span) * (W - labelW - 8);
    const nb = tl.buckets || 1;
    const bms = tl.bucket_ms || Math.ceil(span / nb);
    this.geo = { labelW, rowH, t0, span, W, bms, nb, X };
    let max = 1;
    for (const a of assets) for (const v of a.ended || []) max = Math.max(max, v[0] + v[1] + v[2]);
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    assets.forEach((a, i) => {
      const y = i * rowH;
      ctx.fillStyle = '#374151';
      let t = a.asset;
      while (t.length > 3 && ctx.measureText(t).width > labelW - 10) t = t.slice(0, -2);
      ctx.fillText(t === a.asset ? t : t + '…', 0, y + rowH / 2);
      if (!a.first_start_ts && !a.last_end_ts) return;
      // the asset's span: from its first start to its last end (now, while steps run)
      const from = a.first_start_ts || a.last_end_ts;
      const to = a.running ? t1 : (a.last_end_ts || from);
      ctx.fillStyle = a.running ? '#dbe7fb' : '#eef0f3';
      ctx.fillRect(X(from), y + 3, Math.max(2, X(to) - X(from)), rowH - 6);
      (a.ended || []).forEach((v, b) => {
        const n = v[0] + v[1] + v[2];
        if (!n) return;
        const x0 = X(t0 + b * bms);
        const x1 = X(Math.min(t1, t0 + (b + 1) * bms));
        ctx.globalAlpha = v[1] ? 1 : 0.35 + 0.65 * (n / max);
        ctx.fillStyle = v[1] ? COLORS.failed : v[0] ? COLORS.materialized : stepColor('skipped');
        ctx.fillRect(x0, y + 3, Math.max(1, x1 - x0), rowH - 6);
        ctx.globalAlpha = 1;
      });
    });
    this.axis(ctx, W, H, labelW, t0, span);
  }

  hover(e) {
    if (!this.geo) return;
    const i = Math.floor(e.offsetY / this.geo.rowH);
    if (this.perAsset) {
      const a = this.run.timeline.assets[i];
      if (!a) { this.tip.hidden = true; return; }
      const g = this.geo;
      const b = Math.floor((((e.offsetX - g.labelW) / Math.max(1, g.W - g.labelW - 8)) * g.span) / g.bms);
      const v = b >= 0 && a.ended ? a.ended[b] : null;
      const counts = STEP_STATES.filter((st) => a[st]).map((st) => `${fmtInt(a[st])} ${st}`).join(', ');
      const span = a.first_start_ts && a.last_end_ts ? fmtDuration(a.last_end_ts - a.first_start_ts) : '–';
      fill(this.tip, el('div.tt-key', a.asset),
        el('div', `${plural(a.steps, 'step')}: ${counts}`),
        el('div.muted', `${fmtTs(a.first_start_ts)} · ${span}`),
        v && (v[0] + v[1] + v[2]) ? el('div', `+${fmtDuration(b * g.bms)}–${fmtDuration((b + 1) * g.bms)}: ${fmtInt(v[0])} succeeded${v[1] ? `, ${fmtInt(v[1])} failed` : ''}${v[2] ? `, ${fmtInt(v[2])} skipped` : ''}`) : null);
    } else {
      const s = this.steps[i];
      if (!s) { this.tip.hidden = true; return; }
      const dur = s.end_ts && s.start_ts ? fmtDuration(s.end_ts - s.start_ts) : (s.state === 'running' ? 'running' : '–');
      fill(this.tip, el('div.tt-key', `${s.asset}${s.partition ? ' · ' + s.partition : ''}`),
        el('div', `${s.state} · ${dur}`), s.error ? el('div.error-inline', s.error) : null);
    }
    this.tip.hidden = false;
    this.tip.style.left = Math.max(0, Math.min(this.geo.W - 240, e.offsetX + 12)) + 'px';
    this.tip.style.top = (e.offsetY + 14) + 'px';
  }
}

function stepColor(state) {
  return {
    success: COLORS.materialized, failed: COLORS.failed, failure: COLORS.failed, running: COLORS.in_progress,
    skipped: '#b8bec7', canceled: '#9ca3af',
  }[state] || '#9ca3af';
}
