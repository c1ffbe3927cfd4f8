// backfills.js — the backfills with their progress (cancel, resume), and one
// backfill: per asset, the partitions requested, succeeded, failed, skipped.
import { get, post, enc } from './api.js';
import {
  el, clear, errorBox, emptyBox, badge, fmtInt, fmtTs, fmtDuration, isActive, every, toast,
  runHref, backfillHref, assetHref, healthBar, add, fill,
} from './util.js';

function progress(b) {
  const c = b.counts || {};
  const total = c.total || 0;
  const bar = healthBar({ materialized: c.succeeded || 0, failed: c.failed || 0, skipped: c.skipped || 0,
    missing: Math.max(0, total - (c.succeeded || 0) - (c.failed || 0) - (c.skipped || 0)) }, total,
  { states: ['materialized', 'failed', 'skipped', 'missing'] });
  bar.classList.add('progress-bar');
  bar.setAttribute('aria-label', `${fmtInt(c.succeeded || 0)} of ${fmtInt(total)} partitions succeeded, ${fmtInt(c.failed || 0)} failed, ${fmtInt(c.skipped || 0)} skipped`);
  return el('div.progress-cell', bar,
    el('div.small', `${fmtInt(c.succeeded || 0)}/${fmtInt(total)}`,
      c.failed ? el('span.st-text-failed', ` · ${fmtInt(c.failed)} failed`) : null,
      c.skipped ? el('span.muted', ` · ${fmtInt(c.skipped)} skipped`) : null));
}

function actions(b, onDone, errBox) {
  const out = [];
  const act = async (what, btn) => {
    btn.disabled = true;
    if (errBox) clear(errBox);
    try {
      const r = await post(`/api/backfills/${enc(b.id)}/${what}`);
      toast(`Backfill ${b.id}: ${what === 'cancel' ? 'canceling' : 'resumed'}` + (r.run_id ? ` (run ${r.run_id})` : ''));
    } catch (e) {
      if (errBox) fill(errBox, errorBox(e, `${what === 'cancel' ? 'Canceling' : 'Resuming'} backfill ${b.id}`));
    }
    btn.disabled = false;
    onDone();
  };
  if (isActive(b.status)) {
    const c = el('button.btn.small.danger', { type: 'button', 'data-action': 'cancel' }, b.status === 'canceling' ? 'Canceling…' : 'Cancel');
    c.disabled = b.status === 'canceling';
    c.addEventListener('click', () => act('cancel', c));
    out.push(c);
  } else if (b.status !== 'success' && b.status !== 'succeeded' && b.status !== 'completed') {
    const r = el('button.btn.small', { type: 'button', 'data-action': 'resume' }, 'Resume');
    r.addEventListener('click', () => act('resume', r));
    out.push(r);
  }
  return out;
}

export async function renderList(ctx) {
  const { main } = ctx;
  const body = el('div#backfills-body', emptyBox('Loading backfills…'));
  const msg = el('div#backfills-msg', { 'aria-live': 'polite' });
  add(main, el('div.page-head', el('h1', 'Backfills')),
    el('p.muted', 'A backfill is a request over many partitions; cancel one and resume it later: it runs only what did not succeed.'),
    msg, body);
  const load = async () => {
    let r;
    try {
      r = await get('/api/backfills?limit=50');
    } catch (e) {
      if (ctx.alive) fill(body, errorBox(e, 'Loading the backfills'));
      return;
    }
    if (!ctx.alive) return;
    const list = Array.isArray(r) ? r : (r.backfills || []);
    clear(body);
    if (!list.length) { add(body, emptyBox('No backfills yet. Select partitions on an asset page and launch one.')); return; }
    add(body, el('table.table.backfills',
      el('thead', el('tr', ['Backfill', 'Status', 'Selection', 'Partitions', 'Progress', 'Created', 'Duration', 'Runs', ''].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', list.map((b) => {
        const end = b.ended_at || (isActive(b.status) ? Date.now() : null);
        return el('tr', { dataset: { backfill: b.id } },
          el('td', el('a', { href: backfillHref(b.id) }, String(b.id))),
          el('td', badge(b.status)),
          el('td', el('code', b.selection || '–')),
          el('td', b.partitions || '–'),
          el('td', progress(b)),
          el('td', fmtTs(b.created_at)),
          el('td.num', end && b.created_at ? fmtDuration(end - b.created_at) : '–'),
          el('td', b.last_run_id !== undefined && b.last_run_id !== null ? el('a', { href: runHref(b.last_run_id) }, `run ${b.last_run_id}`) : '–'),
          el('td.actions', actions(b, load, msg)));
      }))));
  };
  await load();
  every(2000, load, ctx.onLeave);
}

export async function renderOne(ctx, id) {
  const { main } = ctx;
  add(main, el('div.crumbs', el('a', { href: '#/backfills' }, 'Backfills'), ' / ', `backfill ${id}`));
  const body = el('div#backfill-body', emptyBox('Loading…'));
  const msg = el('div#backfill-msg', { 'aria-live': 'polite' });
  add(main, msg, body);
  const load = async () => {
    let b;
    try {
      b = await get(`/api/backfills/${enc(id)}`);
    } catch (e) {
      if (ctx.alive) fill(body, errorBox(e, `Backfill ${id}`));
      return;
    }
    if (!ctx.alive) return;
    const end = b.ended_at || (isActive(b.status) ? Date.now() : null);
    const rangeList = (x) => (x && x.ranges && x.ranges.length ? x.ranges.join(', ') : '–');
    fill(body, 
      el('div.title-row', el('h1', `Backfill ${b.id ?? id}`), badge(b.status), el('span.spacer'), actions(b, load, msg)),
      el('dl.facts',
        el('div', el('dt', 'Selection'), el('dd', el('code', b.selection || '–'))),
        el('div', el('dt', 'Partitions'), el('dd', b.partitions || '–')),
        el('div', el('dt', 'Launched by'), el('dd', b.launched_by || '–')),
        el('div', el('dt', 'Created'), el('dd', fmtTs(b.created_at))),
        el('div', el('dt', 'Duration'), el('dd', end && b.created_at ? fmtDuration(end - b.created_at) : '–')),
        el('div', el('dt', 'Runs'), el('dd', (b.runs || (b.last_run_id ? [b.last_run_id] : [])).map((r, i) => [i ? ', ' : '', el('a', { href: runHref(r) }, String(r))])))),
      el('section.card', el('h2', 'Progress'), progress(b)),
      b.error ? el('div.error', { role: 'alert' }, el('strong', 'Error: '), el('span.msg', b.error)) : null,
      b.assets && b.assets.length ? el('section.card', el('h2', 'Assets'), el('table.table',
        el('thead', el('tr', ['Asset', 'Requested', 'Succeeded', 'Failed', 'Skipped'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', b.assets.map((a) => el('tr',
          el('td', el('a', { href: assetHref(a.asset) }, a.asset)),
          el('td', el('div.num', fmtInt(a.requested && a.requested.count)), el('div.small.muted', rangeList(a.requested))),
          el('td', el('div.num', fmtInt(a.succeeded && a.succeeded.count)), el('div.small.muted', rangeList(a.succeeded))),
          el('td', el('div.num', fmtInt(a.failed && a.failed.count)), el('div.small.muted', rangeList(a.failed))),
          el('td', el('div.num', fmtInt(a.skipped && a.skipped.count)), el('div.small.muted', rangeList(a.skipped)))))))) : null,
      b.resume && b.resume.partitions ? el('p.muted', `Resuming would run ${fmtInt(b.resume.partitions)} partitions in ${fmtInt(b.resume.steps)} steps.`) : null);
  };
  await load();
  every(1500, load, ctx.onLeave);
}
