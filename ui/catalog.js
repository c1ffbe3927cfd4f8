// catalog.js — every asset: group, kind, partitions, a health bar of its
// partitions by state, its last materialization; a filter box.
import { get } from './api.js';
import {
  el, clear, errorBox, emptyBox, healthBar, barCounts, fmtInt, fmtAgo, fmtTs, assetHref, runHref, every, STATE_LABEL, add, fill,
} from './util.js';

let lastFilter = '';

export async function render(ctx) {
  const { main } = ctx;
  const filter = el('input#asset-filter', {
    type: 'search', placeholder: 'Filter by name, group, kind or partitions…', value: lastFilter,
    'aria-label': 'Filter assets', autocomplete: 'off',
  });
  const summary = el('p.muted#catalog-summary', { 'aria-live': 'polite' });
  const body = el('div#catalog-body', emptyBox('Loading assets…'));
  add(main, 
    el('div.page-head', el('h1', 'Assets'), el('div.head-tools', filter)),
    summary,
    body,
  );
  let assets = null;

  const draw = () => {
    if (!assets) return;
    const q = filter.value.trim().toLowerCase();
    lastFilter = filter.value;
    const shown = assets.filter((a) => !q || [a.name, a.group, a.kind, a.table, a.description,
      a.partitions && a.partitions.type].some((v) => v && String(v).toLowerCase().includes(q)));
    // materialized as the fresh ones, then the stale ones (shown when there are some)
    const totals = { materialized: 0, stale: 0, failed: 0, in_progress: 0, missing: 0 };
    for (const a of assets) { const c = barCounts(countsOf(a)); for (const s of Object.keys(totals)) totals[s] += c[s]; }
    summary.textContent = `${fmtInt(assets.length)} assets` + (q ? `, ${fmtInt(shown.length)} shown` : '') +
      ` · partitions: ${Object.entries(totals).filter(([s, n]) => s !== 'stale' || n).map(([s, n]) => `${fmtInt(n)} ${STATE_LABEL[s]}`).join(', ')}`;
    clear(body);
    if (!assets.length) { add(body, emptyBox('This project declares no assets yet (tranche.yaml, assets:).')); return; }
    if (!shown.length) { add(body, emptyBox(`No asset matches “${filter.value}”.`)); return; }
    const rows = shown.map((a) => {
      const c = countsOf(a);
      const total = a.partitions ? a.partitions.total : 1;
      const lm = a.last_materialization;
      const checks = a.checks || {};
      return el('tr', { dataset: { asset: a.name } },
        el('td', el('a.asset-link', { href: assetHref(a.name) }, a.name),
          a.description ? el('div.desc', a.description) : null),
        el('td', a.group ? el('span.tag', a.group) : '–'),
        el('td', el('span.kind', a.kind || '–')),
        el('td', a.partitions ? el('span', `${a.partitions.type}`, el('span.muted', ` · ${fmtInt(total)}`)) : el('span.muted', 'unpartitioned')),
        el('td.health', healthBar(c, total), el('div.small.muted', healthText(c, total))),
        el('td', lm ? el('span', { title: fmtTs(lm.ts) }, fmtAgo(lm.ts),
          lm.partition ? el('div.small.muted', lm.partition) : null,
          lm.run_id ? el('div.small', el('a', { href: runHref(lm.run_id) }, `run ${lm.run_id}`)) : null) : el('span.muted', 'never')),
        el('td', (checks.passed || checks.failed) ? el('span',
          checks.failed ? el('span.badge.bad', `${checks.failed} failed`) : null, ' ',
          checks.passed ? el('span.badge.ok', `${checks.passed} passed`) : null) : el('span.muted', '–')),
      );
    });
    add(body, el('table.table.catalog',
      el('thead', el('tr', ['Asset', 'Group', 'Kind', 'Partitions', 'Health', 'Last materialization', 'Checks'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', rows)));
  };

  filter.addEventListener('input', draw);
  const load = async () => {
    try {
      const r = await get('/api/assets');
      if (!ctx.alive) return;
      assets = r.assets || [];
      draw();
    } catch (e) {
      if (!ctx.alive) return;
      fill(body, errorBox(e, 'Loading the assets'));
    }
  };
  await load();
  every(5000, load, ctx.onLeave);
}

// Counts of an asset's partitions; an unpartitioned asset counts as one.
export function countsOf(a) {
  if (a.partitions) return a.partitions;
  if (a.status && typeof a.status === 'object') return a.status;
  const lm = a.last_materialization;
  const st = a.status || (lm ? 'materialized' : 'missing');
  return { materialized: st === 'materialized' || st === 'stale' ? 1 : 0, failed: st === 'failed' ? 1 : 0,
    in_progress: st === 'in_progress' || st === 'running' ? 1 : 0, missing: st === 'missing' ? 1 : 0,
    stale: st === 'stale' ? 1 : 0 };
}

// "58 ok · 2 stale · …": ok is materialized and not stale, so the parts add up
function healthText(counts, total) {
  const c = barCounts(counts);
  const parts = [];
  if (c.materialized) parts.push(`${fmtInt(c.materialized)} ok`);
  if (c.stale) parts.push(`${fmtInt(c.stale)} stale`);
  if (c.failed) parts.push(`${fmtInt(c.failed)} failed`);
  if (c.in_progress) parts.push(`${fmtInt(c.in_progress)} running`);
  if (c.missing) parts.push(`${fmtInt(c.missing)} missing`);
  return parts.length ? parts.join(' · ') : (total ? '' : 'no partitions yet');
}
