// asset.js — one asset: what it is, its partitions (heatmap, selection,
// backfill), its latest materialization and metadata over partitions, checks.
import { get, post, enc } from './api.js';
import {
  el, clear, errorBox, emptyBox, badge, healthBar, fmtInt, fmtTs, fmtAgo, fmtDuration, plural,
  assetHref, runHref, backfillHref, isActive, toast, STATE_LABEL, BAR_STATES, barCounts, add, fill,
} from './util.js';
import { Heatmap, layoutOf } from './heatmap.js';

export async function render(ctx, name) {
  const { main } = ctx;
  add(main, el('div.crumbs', el('a', { href: '#/' }, 'Assets'), ' / ', name));
  const head = el('div.asset-head', emptyBox('Loading…'));
  add(main, head);
  let detail;
  try {
    detail = await get(`/api/assets/${enc(name)}`);
  } catch (e) {
    fill(head, errorBox(e, `Asset ${name}`));
    return;
  }
  if (!ctx.alive) return;
  detail.name = detail.name || name;
  fill(head, header(detail));

  const partCard = el('section.card#partitions', { 'aria-labelledby': 'h-partitions' });
  const matCard = el('section.card#materialization', { 'aria-labelledby': 'h-mat' });
  const plotCard = el('section.card#metadata-plots', { 'aria-labelledby': 'h-plots' });
  const checkCard = el('section.card#checks', { 'aria-labelledby': 'h-checks' });
  add(main, partCard, el('div.two', matCard, checkCard), plotCard);
  if (detail.sql) {
    add(main, el('section.card', el('details', el('summary', el('h2.inline', 'SQL')), el('pre.code', detail.sql))));
  }

  const refreshers = [];
  renderPartitions(ctx, partCard, detail, refreshers);
  const refreshMat = () => renderMaterialization(ctx, matCard, detail);
  const refreshChecks = () => renderChecks(ctx, checkCard, detail);
  const refreshPlots = () => renderPlots(ctx, plotCard, detail);
  refreshers.push(refreshMat, refreshChecks, refreshPlots);
  refreshMat();
  refreshChecks();
  refreshPlots();
}

function header(d) {
  const p = d.partitions;
  const links = (names) => names && names.length
    ? names.map((n, i) => [i ? ', ' : '', el('a', { href: assetHref(n) }, n)])
    : el('span.muted', 'none');
  return el('div',
    el('div.title-row',
      el('h1', d.name),
      d.kind ? el('span.kind', d.kind) : null,
      d.group ? el('span.tag', d.group) : null),
    d.description ? el('p.lead', d.description) : null,
    el('dl.facts',
      el('div', el('dt', 'Table'), el('dd', el('code', d.table || d.name))),
      el('div', el('dt', 'Group'), el('dd', d.group || '–')),
      el('div', el('dt', 'Kind'), el('dd', d.kind || '–')),
      el('div', el('dt', 'Partitions'), el('dd', p ? `${p.type} · ${fmtInt(p.total)}` : 'unpartitioned')),
      el('div', el('dt', 'Upstream'), el('dd.deps', links(d.deps))),
      el('div', el('dt', 'Downstream'), el('dd.downstream', links(d.downstream))),
      d.backfill_policy ? el('div', el('dt', 'Backfill policy'), el('dd', policyText(d.backfill_policy))) : null,
      d.pool ? el('div', el('dt', 'Pool'), el('dd', d.pool)) : null,
    ));
}

function policyText(p) {
  if (typeof p === 'string') return p;
  const t = p.policy || p.type || 'multi_run';
  const max = p.max_partitions_per_run || p.max_per_step;
  return t + (max && max > 1 ? ` (at most ${fmtInt(max)} partitions per step)` : '');
}

// ---- partitions --------------------------------------------------------------

function renderPartitions(ctx, card, detail, refreshers) {
  const name = detail.name;
  add(card, el('h2#h-partitions', 'Partitions'));
  if (!detail.partitions) {
    renderUnpartitioned(ctx, card, detail);
    return;
  }
  if (detail.description_of_partitions) {
    // the first line in view, the rest (windows, why the last key is the last) on demand
    const lines = String(detail.description_of_partitions).split('\n');
    const rest = lines.slice(1).join('\n').trim();
    add(card, rest
      ? el('details.defn', el('summary', lines[0]), el('div.defn-more', rest))
      : el('p.defn', lines[0]));
  }
  const dims = detail.dimensions || [];
  if (dims.length > 1) {
    add(card, el('ul.dims', dims.map((dm) => el('li', el('strong', dm.name), ` — ${dm.type}, ${plural(dm.count || 0, 'key')}`,
      dm.first ? el('span.muted', ` (${dm.first} … ${dm.last})`) : null))));
  }
  const counts = el('div.counts#partition-counts');
  add(card, counts);
  const hmBox = el('div');
  add(card, hmBox);

  const selBar = el('div.selbar');
  const NOTHING = 'Nothing selected: drag across the heatmap, or choose the missing, failed or stale partitions.';
  const selText = el('p.sel-summary#selection-summary', { 'aria-live': 'polite' }, NOTHING);
  const planBox = el('div.plan#backfill-plan');
  const followBox = el('div.follow#backfill-follow', { 'aria-live': 'polite' });
  let stats = null;
  let selection = null;
  let following = null;

  const hm = new Heatmap(hmBox, detail, {
    onSelect: (sel) => { selection = sel; clear(planBox); updateSelection(); },
  });
  ctx.onLeave(() => hm.destroy());

  const btnMissing = el('button.btn#select-missing', { type: 'button', onclick: () => pickState('missing') }, 'Select missing');
  const btnFailed = el('button.btn#select-failed', { type: 'button', onclick: () => pickState('failed') }, 'Select failed');
  const btnStale = el('button.btn#select-stale', {
    type: 'button', onclick: () => pickState('stale'),
    title: 'Materialized partitions that read an upstream partition materialized after them (--stale)',
  }, 'Select stale');
  // with "Select missing": the stale partitions too (--missing --stale)
  const withStale = el('input#with-stale', { type: 'checkbox' });
  const withStaleLabel = el('label.with-stale', { hidden: true }, withStale, ' and the stale partitions');
  withStale.addEventListener('change', () => pickState(withStale.checked ? 'missing_stale' : 'missing'));
  const btnAll = el('button.btn#select-all', { type: 'button', onclick: () => pickAll() }, 'Select all');
  const btnClear = el('button.btn.ghost#select-clear', { type: 'button', onclick: () => hm.setSelection(null, true) }, 'Clear');
  const btnZoom = el('button.btn.ghost', { type: 'button', onclick: () => hm.zoomToSelection() }, 'Zoom to selection');
  const btnLaunch = el('button.btn.primary#launch-backfill', { type: 'button', disabled: true, onclick: () => dryRun() }, 'Launch backfill…');
  add(selBar, el('div.btn-row', btnMissing, btnFailed, btnStale, btnAll, btnClear, btnZoom, el('span.spacer'), btnLaunch),
    withStaleLabel, selText);
  add(card, selBar, planBox, followBox);

  function pickState(state) {
    hm.setSelection({ type: 'state', state }, true);
  }
  function pickAll() {
    hm.setSelection({ type: 'all' }, true);
  }

  async function loadStats() {
    try {
      const s = await get(`/api/assets/${enc(name)}/partitions?max_ranges=20`);
      if (!ctx.alive) return;
      stats = s;
      const c = s.counts || {};
      // materialized as the fresh ones, then the stale ones: the row adds up to the total
      const shown = barCounts(c);
      fill(counts, 
        healthBar(c, s.total),
        el('div.count-row', BAR_STATES.map((st) =>
          (st === 'stale' && !c.stale) ? null : el('span.count', {
            dataset: { state: st, count: shown[st] },
            title: st === 'stale' ? 'materialized, but an upstream partition they read was materialized after them' : null,
          }, el('i.sw.st-' + st), ` ${fmtInt(shown[st])} ${STATE_LABEL[st]}`)),
        el('span.count.muted', `of ${fmtInt(s.total)}`)));
      btnMissing.textContent = `Select missing (${fmtInt((c.missing || 0) + (c.failed || 0))})`;
      btnFailed.textContent = `Select failed (${fmtInt(c.failed || 0)})`;
      btnStale.textContent = `Select stale (${fmtInt(c.stale || 0)})`;
      btnMissing.disabled = !((c.missing || 0) + (c.failed || 0));
      btnFailed.disabled = !c.failed;
      btnStale.disabled = !c.stale;
      btnAll.textContent = `Select all (${fmtInt(s.total)})`;
      if (selection && selection.type !== 'range') updateSelection();
    } catch (e) {
      if (ctx.alive) fill(counts, errorBox(e, 'Partition counts'));
    }
  }

  // how many partitions the selection holds, and in which states
  let selSeq = 0;
  async function updateSelection() {
    const seq = ++selSeq;
    btnLaunch.disabled = !selection;
    btnZoom.hidden = !(selection && selection.type === 'range');
    const sc = (stats && stats.counts) || {};
    const missingPick = !!selection && selection.type === 'state' && ['missing', 'missing_stale'].includes(selection.state);
    withStaleLabel.hidden = !(missingPick && (sc.stale || selection.state === 'missing_stale'));
    withStale.checked = missingPick && selection.state === 'missing_stale';
    if (!selection) { selText.textContent = NOTHING; return; }
    // c: [materialized, failed, in_progress, missing, stale] as the grid's buckets (stale within materialized)
    let c = null;
    let what = '';
    if (selection.type === 'state' || selection.type === 'all') {
      if (selection.type === 'all') {
        c = [sc.materialized || 0, sc.failed || 0, sc.in_progress || 0, sc.missing || 0, sc.stale || 0];
        what = 'every partition';
      } else if (selection.state === 'failed') {
        c = [0, sc.failed || 0, 0, 0, 0];
        what = 'the failed partitions';
      } else if (selection.state === 'stale') {
        c = [sc.stale || 0, 0, 0, 0, sc.stale || 0];
        what = 'the stale partitions (an upstream partition they read was materialized after them)';
      } else if (selection.state === 'missing_stale') {
        c = [sc.stale || 0, sc.failed || 0, 0, sc.missing || 0, sc.stale || 0];
        what = 'the missing partitions (failed ones included) and the stale ones';
      } else {
        c = [0, sc.failed || 0, 0, sc.missing || 0, 0];
        what = 'the missing partitions (failed ones included)';
      }
    } else {
      what = await rangeText(selection);
      try {
        c = await countRange(selection);
      } catch (e) {
        if (seq === selSeq) fill(selText, errorBox(e, 'Counting the selection'));
        return;
      }
    }
    if (seq !== selSeq || !ctx.alive) return;
    const n = c[0] + c[1] + c[2] + c[3];
    selText.dataset.count = n;
    selText.dataset.missing = c[3];
    selText.dataset.failed = c[1];
    selText.dataset.stale = c[4] || 0;
    const stale = Math.min(c[4] || 0, c[0]);
    fill(selText, 
      el('strong', `${plural(n, 'partition')} selected`), ` — ${what}: `,
      el('span.st-text-missing', `${fmtInt(c[3])} missing`), ', ',
      el('span.st-text-failed', `${fmtInt(c[1])} failed`), ', ',
      `${fmtInt(c[0] - stale)} materialized`, stale ? el('span.st-text-stale', `, ${fmtInt(stale)} stale`) : '',
      c[2] ? `, ${fmtInt(c[2])} in progress` : '', '.');
    btnLaunch.disabled = n === 0;
  }

  async function rangeText(sel) {
    const k0 = sel.fromKey ?? await hm.keyAt(sel.from).catch(() => null);
    const k1 = sel.toKey ?? await hm.keyAt(sel.to).catch(() => null);
    sel.fromKey = k0;
    sel.toKey = k1;
    const r = k0 !== null && k1 !== null ? (k0 === k1 ? k0 : `${k0} … ${k1}`) : `#${sel.from + 1} … #${sel.to + 1}`;
    if (sel.rowKeys) return `${r} × ${sel.rowKeys.length === 1 ? sel.rowKeys[0] : sel.rowKeys[0] + ' … ' + sel.rowKeys[sel.rowKeys.length - 1]}`;
    return r;
  }

  async function countRange(sel) {
    let q = `/api/assets/${enc(name)}/partitions/grid?from=${sel.from}&to=${sel.to}&cols=1`;
    if (sel.rowFrom !== undefined) q += `&rows_from=${sel.rowFrom}&rows_to=${sel.rowTo}`;
    const d = await get(q);
    const t = [0, 0, 0, 0, 0];
    for (const v of d.buckets ? [d.buckets[0]] : (d.cells || []).map((r) => r[0])) {
      for (let i = 0; i < 5; i++) t[i] += (v && v[i]) || 0;
    }
    return t;
  }

  // the body of POST /api/backfills for the selection
  async function body() {
    const b = { selection: name };
    const sel = selection;
    if (sel.type === 'all') { b.all = true; return b; }
    if (sel.type === 'state' && sel.state === 'missing_stale') { b.missing = true; b.stale = true; return b; }
    if (sel.type === 'state') { b[sel.state] = true; return b; }
    const k0 = sel.fromKey ?? await hm.keyAt(sel.from);
    const k1 = sel.toKey ?? await hm.keyAt(sel.to);
    if (k0 === null || k1 === null) throw new Error('the keys of the selection are not known (the server did not say): select with "missing" or "failed" instead');
    const layout = layoutOf(detail);
    if (layout.kind !== 'grid') {
      if (k0 === k1) b.partitions = [k0];
      else { b.from = k0; b.to = k1; }
      return b;
    }
    // a grid: time range × rows, as ranges in the multi definition's key
    // order (index = (p * T + t) * Q + q: the column dimension at position ti)
    const ti = layout.timeIndex;
    const nd = layout.dims.length;
    const join = (t, r) => { const parts = String(r).split('|'); parts.splice(ti, 0, t); return parts.join('|'); };
    const rows = sel.rowKeys || hm.rows();
    const allRows = !sel.rowKeys;
    if (ti === nd - 1) {
      b.partitions = rows.map((r) => (k0 === k1 ? join(k0, r) : `${join(k0, r)}...${join(k1, r)}`));
    } else if (ti === 0 && allRows) {
      b.partitions = [`${join(k0, rows[0])}...${join(k1, rows[rows.length - 1])}`];
    } else if (ti === 0 && k0 === k1) {
      b.partitions = [rows.length === 1 ? join(k0, rows[0]) : `${join(k0, rows[0])}...${join(k0, rows[rows.length - 1])}`];
    } else if (ti === 0) {
      const span = sel.to - sel.from + 1;
      if (span > 2000) throw new Error('select every row, or at most 2000 columns, for a range of some rows');
      const keys = [];
      for (let i = sel.from; i <= sel.to; i++) keys.push(await hm.keyAt(i));
      b.partitions = keys.map((t) => (rows.length === 1 ? join(t, rows[0]) : `${join(t, rows[0])}...${join(t, rows[rows.length - 1])}`));
    } else {
      throw new Error('a range of a grid whose time dimension is in the middle cannot be sent as key ranges: use "missing", "failed" or "all"');
    }
    return b;
  }

  async function dryRun() {
    fill(planBox, el('p.muted', 'Planning…'));
    let b;
    try {
      b = await body();
      const plan = await post('/api/backfills', Object.assign({}, b, { dry_run: true }));
      showPlan(plan, b);
    } catch (e) {
      fill(planBox, errorBox(e, 'The backfill was refused'));
    }
  }

  function showPlan(plan, b) {
    const entries = plan.plan || plan.assets || [];
    const total = plan.partitions ?? entries.reduce((a, p) => a + (p.partitions || 0), 0);
    const steps = plan.steps ?? entries.reduce((a, p) => a + (p.steps || 0), 0);
    const confirm = el('button.btn.primary#confirm-backfill', { type: 'button' }, `Run ${plural(total, 'partition')}`);
    const cancel = el('button.btn.ghost', { type: 'button', onclick: () => clear(planBox) }, 'Cancel');
    fill(planBox, el('div.plan-box', { role: 'region', 'aria-label': 'Backfill plan' },
      el('h3', 'Plan (dry run: nothing written yet)'),
      el('p', `${plural(total, 'partition')} in ${plural(steps, 'step')}.`),
      el('table.table.compact',
        el('thead', el('tr', ['Asset', 'Partitions', 'Steps', 'Ranges', 'Policy'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', entries.map((p) => el('tr',
          el('td', el('a', { href: assetHref(p.asset) }, p.asset)),
          el('td.num', fmtInt(p.partitions)),
          el('td.num', fmtInt(p.steps)),
          el('td', rangesText(p.ranges)),
          el('td', (p.policy || '–') + (p.max_per_step > 1 ? ` (≤ ${fmtInt(p.max_per_step)} per step)` : '')))))),
      el('div.btn-row', confirm, cancel)));
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      try {
        const r = await post('/api/backfills', b);
        clear(planBox);
        hm.setSelection(null, true);
        toast(`Backfill ${r.backfill_id} launched: ${plural(r.partitions || total, 'partition')}`);
        follow(r);
      } catch (e) {
        confirm.disabled = false;
        add(planBox, errorBox(e, 'Launching the backfill'));
      }
    });
    confirm.focus();
  }

  // follow a launched backfill: progress, and the heatmap turning green
  async function follow(r) {
    if (following) following.stop = true;
    const f = { stop: false, id: r.backfill_id, run: r.run_id };
    following = f;
    ctx.onLeave(() => { f.stop = true; });
    const line = el('div.follow-line');
    fill(followBox, line);
    const tick = async () => {
      if (f.stop || !ctx.alive) return;
      let b = null;
      try {
        if (f.id !== undefined && f.id !== null) b = await get(`/api/backfills/${enc(f.id)}`);
        else if (f.run !== undefined && f.run !== null) b = await get(`/api/runs/${enc(f.run)}`);
      } catch (e) {
        fill(line, errorBox(e, 'Following the backfill'));
      }
      await Promise.all([hm.refresh(), loadStats()]);
      if (b) {
        const c = b.counts || {};
        const total = c.total ?? r.partitions ?? 0;
        const done = (c.succeeded || 0) + (c.failed || 0) + (c.skipped || 0);
        const runId = f.run ?? b.last_run_id ?? (b.runs && b.runs[b.runs.length - 1]);
        fill(line, 
          el('span', 'Backfill ', el('a', { href: backfillHref(f.id) }, String(f.id)), ' '),
          badge(b.status), ' ',
          el('span.follow-bar', healthBar({ materialized: c.succeeded || 0, failed: c.failed || 0, skipped: c.skipped || 0,
            missing: Math.max(0, total - done) }, total, { states: ['materialized', 'failed', 'skipped', 'missing'] })), ' ',
          el('span#follow-progress', `${fmtInt(c.succeeded || 0)} of ${fmtInt(total)} partitions succeeded` +
            (c.failed ? `, ${fmtInt(c.failed)} failed` : '') + (c.skipped ? `, ${fmtInt(c.skipped)} skipped` : '')),
          runId !== undefined && runId !== null ? el('span', ' · ', el('a', { href: runHref(runId) }, `run ${runId}`)) : null,
          b.error ? el('div.error-inline', b.error) : null);
        followBox.dataset.status = b.status;
        if (!isActive(b.status) && done >= 0) {
          refreshers.forEach((fn) => fn());
          updateSelection();
          return;
        }
      }
      setTimeout(tick, 700);
    };
    tick();
  }

  loadStats();
  // keep the picture current while the page is open
  const timer = setInterval(() => { if (!following || following.stop) { hm.refresh(); loadStats(); } }, 5000);
  ctx.onLeave(() => clearInterval(timer));
}

function rangesText(ranges) {
  if (!ranges || !ranges.length) return '–';
  const txt = ranges.map((r) => (Array.isArray(r) ? (r[2] !== undefined ? (r[2] === r[3] ? r[2] : `${r[2]}...${r[3]}`) : r.join('...')) : String(r)));
  return txt.length > 6 ? txt.slice(0, 6).join(', ') + ` and ${txt.length - 6} more` : txt.join(', ');
}

function renderUnpartitioned(ctx, card, detail) {
  const lm = detail.last_materialization;
  let st = detail.status || (lm ? 'materialized' : 'missing');
  if (typeof st === 'object') st = ['failed', 'in_progress', 'stale', 'materialized'].find((k) => st[k] > 0) || 'missing';
  const out = el('div.follow#backfill-follow');
  const btn = el('button.btn.primary#materialize', { type: 'button' }, 'Materialize');
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try {
      const r = await post('/api/materialize', { selection: detail.name });
      fill(out, 'Run ', el('a', { href: runHref(r.run_id) }, String(r.run_id)), ' launched.');
    } catch (e) {
      fill(out, errorBox(e, 'Materializing'));
    }
    btn.disabled = false;
  });
  add(card, el('p', 'Unpartitioned: the asset is one table, replaced whole by each run. ', badge(st),
    lm ? ` last written ${fmtAgo(lm.ts)}` : ''), el('div.btn-row', btn), out);
}

// ---- latest materialization -----------------------------------------------------

async function renderMaterialization(ctx, card, detail) {
  let r;
  try {
    r = await get(`/api/assets/${enc(detail.name)}/materializations?limit=1`);
  } catch (e) {
    if (ctx.alive) fill(card, el('h2#h-mat', 'Latest materialization'), errorBox(e));
    return;
  }
  if (!ctx.alive) return;
  fill(card, el('h2#h-mat', 'Latest materialization'));
  const m = (r.materializations || [])[0];
  if (!m) { add(card, emptyBox('Not materialized yet.')); return; }
  const data = m.metadata || {};
  const rowCount = m.row_count ?? data.row_count;
  add(card, el('dl.facts',
    el('div', el('dt', 'When'), el('dd', { title: fmtTs(m.ts) }, fmtTs(m.ts))),
    m.partition ? el('div', el('dt', 'Partition'), el('dd', el('code', m.partition))) : null,
    el('div', el('dt', 'Rows'), el('dd#row-count', fmtInt(rowCount))),
    data.rows_deleted !== undefined ? el('div', el('dt', 'Rows replaced'), el('dd', fmtInt(data.rows_deleted))) : null,
    data.duration_ms !== undefined ? el('div', el('dt', 'Took'), el('dd', fmtDuration(data.duration_ms))) : null,
    m.run_id !== undefined ? el('div', el('dt', 'Run'), el('dd', el('a', { href: runHref(m.run_id) }, String(m.run_id)))) : null));
  const custom = data.metadata || {};
  if (Object.keys(custom).length) {
    add(card, el('h3', 'Metadata'), el('table.table.compact.kv', el('tbody',
      Object.entries(custom).map(([k, v]) => el('tr', el('th', { scope: 'row' }, k), el('td', fmtValue(v)))))));
  }
  const pv = data.preview;
  if (pv && pv.columns) {
    add(card, el('h3', 'Preview'), el('div.scroll-x', el('table.table.compact.preview',
      el('thead', el('tr', pv.columns.map((c) => el('th', { scope: 'col' }, typeof c === 'object' ? c.name : c)))),
      el('tbody', (pv.rows || []).map((row) => el('tr', (Array.isArray(row) ? row : pv.columns.map((c) => row[typeof c === 'object' ? c.name : c])).map((v) => el('td', fmtValue(v)))))))));
  }
}

function fmtValue(v) {
  if (v === null || v === undefined) return el('span.muted', 'NULL');
  if (typeof v === 'number') return fmtInt(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

// ---- checks ------------------------------------------------------------------------

async function renderChecks(ctx, card, detail) {
  const out = el('div');
  const defs = detail.checks && Array.isArray(detail.checks) ? detail.checks : [];
  let results = [];
  try {
    results = (await get(`/api/assets/${enc(detail.name)}/checks`)).checks || [];
  } catch (e) {
    add(out, errorBox(e, 'Check results'));
  }
  if (!ctx.alive) return;
  if (!defs.length && !results.length) add(out, emptyBox('No checks declared.'));
  const byName = new Map();
  for (const d of defs) byName.set(d.name, { def: d, results: [] });
  for (const r of results) {
    if (!byName.has(r.name)) byName.set(r.name, { def: { name: r.name, severity: r.severity }, results: [] });
    byName.get(r.name).results.push(r);
  }
  for (const [nm, { def, results: rs }] of byName) {
    const failed = rs.filter((r) => !r.passed);
    const st = !rs.length ? 'missing' : failed.length ? 'failed' : 'passed';
    add(out, el('div.check',
      el('div.check-head', el('strong', nm), ' ', st === 'missing' ? el('span.badge.muted', 'not run') : badge(st),
        def.severity ? el('span.muted.small', ` ${def.severity}${def.blocking ? ', blocking' : ''}`) : null),
      def.description ? el('div.small', def.description) : null,
      rs.length ? el('div.small.muted', `${plural(rs.length, 'result')}, ${failed.length} failed` +
        (rs[0].ts ? ` · latest ${fmtTs(Math.max(...rs.map((r) => r.ts || 0)))}` : '')) : null,
      failed.slice(0, 5).map((r) => el('div.small.error-inline', (r.partition ? `${r.partition}: ` : '') + (r.message || 'failed')))));
  }
  fill(card, el('h2#h-checks', 'Checks'), out);
}

// ---- metadata across partitions (small plots drawn as SVG) ----------------------

async function renderPlots(ctx, card, detail) {
  fill(card, el('h2#h-plots', 'Metadata across partitions'));
  const names = ['row_count', ...(detail.metadata_names || []).filter((n) => n !== 'row_count')];
  if (!detail.partitions) { add(card, emptyBox('Unpartitioned: one value per materialization, shown above.')); return; }
  const grid = el('div.plots');
  add(card, grid);
  for (const n of names) {
    const box = el('figure.plot', el('figcaption', n), el('div.muted.small', 'Loading…'));
    add(grid, box);
    get(`/api/assets/${enc(detail.name)}/metadata_series?name=${enc(n)}&limit=1000`).then((r) => {
      if (!ctx.alive) return;
      box.lastChild.remove();
      const pts = (r.points || []).filter((p) => typeof p.value === 'number' || (p.value !== null && !Number.isNaN(Number(p.value))));
      if (!pts.length) { add(box, el('div.muted.small', 'No numeric values yet.')); return; }
      add(box, plot(pts.map((p) => ({ x: p.index ?? 0, y: Number(p.value), key: p.partition }))));
    }).catch((e) => { if (ctx.alive) { box.lastChild.remove(); add(box, errorBox(e)); } });
  }
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...kids) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, v);
  for (const k of kids) if (k) add(n, k);
  return n;
}

function plot(pts) {
  pts.sort((a, b) => a.x - b.x);
  const W = 320; const H = 120; const L = 44; const B = 20; const T = 8; const R = 8;
  const xs = pts.map((p) => p.x); const ys = pts.map((p) => p.y);
  const x0 = Math.min(...xs); const x1 = Math.max(...xs);
  let y0 = Math.min(0, ...ys); let y1 = Math.max(...ys);
  if (y1 === y0) y1 = y0 + 1;
  const X = (x) => L + (x1 === x0 ? (W - L - R) / 2 : ((x - x0) / (x1 - x0)) * (W - L - R));
  const Y = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img',
    'aria-label': `${pts.length} values from ${fmtInt(Math.min(...ys))} to ${fmtInt(Math.max(...ys))}, partitions ${pts[0].key} to ${pts[pts.length - 1].key}` });
  svg.append(s('line', { x1: L, x2: W - R, y1: Y(y0), y2: Y(y0), stroke: '#d1d5db' }));
  svg.append(s('line', { x1: L, x2: L, y1: T, y2: H - B, stroke: '#d1d5db' }));
  const lbl = (x, y, t, anchor) => s('text', { x, y, 'font-size': 10, fill: '#6b7280', 'text-anchor': anchor || 'start' }, document.createTextNode(t));
  svg.append(lbl(L - 4, Y(y1) + 4, short(y1), 'end'), lbl(L - 4, Y(y0), short(y0), 'end'));
  svg.append(lbl(L, H - 6, String(pts[0].key)), lbl(W - R, H - 6, String(pts[pts.length - 1].key), 'end'));
  if (pts.length === 1) {
    svg.append(s('circle', { cx: X(pts[0].x), cy: Y(pts[0].y), r: 3, fill: '#2f74e0' }, s('title', {}, document.createTextNode(`${pts[0].key}: ${fmtInt(pts[0].y)}`))));
  } else {
    const d = pts.map((p, i) => `${i ? 'L' : 'M'}${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join('');
    svg.append(s('path', { d, fill: 'none', stroke: '#2f74e0', 'stroke-width': 1.5 }));
    if (pts.length <= 60) {
      for (const p of pts) svg.append(s('circle', { cx: X(p.x), cy: Y(p.y), r: 2.5, fill: '#2f74e0' }, s('title', {}, document.createTextNode(`${p.key}: ${fmtInt(p.y)}`))));
    }
  }
  return svg;
}

function short(v) {
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(1) + 'G';
  if (a >= 1e6) return (v / 1e6).toFixed(1) + 'M';
  if (a >= 1e4) return (v / 1e3).toFixed(0) + 'k';
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}
