#!/usr/bin/env node
// Browser test of tranche's web UI, against the real `tranche serve`.
//
//   node tests/browser/test_ui.mjs [path/to/tranche]
//
// Makes a small project in a temporary directory (daily partitions from
// 2024-01-01 with TRANCHE_NOW pinned to 2024-03-01, two assets with a
// dependency, one static-partitioned asset), starts `tranche serve` on a free
// loopback port with a token, and drives headless Chromium (Debian's
// /usr/bin/chromium, through playwright-core): the catalog, an asset's
// heatmap, selecting the missing partitions, a backfill launched from the UI
// until the heatmap is all materialized, a dragged range, stale partitions
// (an upstream partition rematerialized; "Select stale"), lineage, runs,
// backfills, errors and the project-file banner. Prints TAP; screenshots go
// to $TEST_OUTPUT or build/test-output/browser/. Any console error fails it.
//
// Without Chromium it prints "1..0 # skip ..." (tests/run.sh reports the skip).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const tranche = path.resolve(process.argv[2] || path.join(root, 'build', 'tranche'));
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const outDir = path.resolve(process.env.TEST_OUTPUT || path.join(root, 'build', 'test-output', 'browser'));
const NOW = '2024-03-01T12:00:00Z';
const TOKEN = 'ui-test-token-0123456789';

if (!fs.existsSync(chromiumPath)) {
  console.log(`1..0 # skip chromium is not installed (${chromiumPath}): scripts/install-deps.sh installs it`);
  process.exit(0);
}
let chromium;
try {
  ({ chromium } = await import(path.join(here, 'node_modules', 'playwright-core', 'index.mjs')));
} catch (e) {
  console.log('1..1');
  console.log(`not ok 1 - load playwright-core from tests/browser/node_modules (run scripts/install-deps.sh): ${e.message}`);
  process.exit(1);
}

// ---- TAP ------------------------------------------------------------------------
let n = 0;
let failed = 0;
const consoleErrors = [];
function ok(cond, name, detail) {
  n++;
  if (cond) console.log(`ok ${n} - ${name}`);
  else {
    failed++;
    console.log(`not ok ${n} - ${name}`);
    if (detail) for (const l of String(detail).split('\n')) console.log(`#   ${l}`);
  }
  return cond;
}
async function step(name, fn) {
  try {
    await fn();
    ok(true, name);
    return true;
  } catch (e) {
    ok(false, name, e && e.stack ? e.stack.split('\n').slice(0, 4).join('\n') : e);
    return false;
  }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }

// ---- the project --------------------------------------------------------------------
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tranche-ui-'));
const projectYaml = `name: uitest

partitions:
  days: {type: daily, start: 2024-01-01}

assets:
  events:
    group: raw
    description: One row per hour of each day, made up from the partition's window.
    partitions: days
    partition_expr: day
    sql: |
      SELECT CAST($partition_start AS DATE) AS day, h AS hour, (h * 7) % 13 AS value
      FROM range(24) t(h)
    metadata:
      total: SELECT sum(value) FROM events WHERE day = CAST($partition_start AS DATE)
    checks:
      - name: has_rows
        description: Every day has its 24 hours.
        sql: SELECT 1 WHERE (SELECT count(*) FROM events WHERE day = CAST($partition_start AS DATE)) <> 24

  daily_totals:
    group: marts
    description: The day's total of events.
    partitions: days
    partition_expr: day
    sql: |
      SELECT day, sum(value) AS total, count(*) AS n
      FROM events
      WHERE day >= $partition_start AND day < $partition_end
      GROUP BY day

  by_region:
    group: marts
    description: A static-partitioned asset, one partition per region.
    partitions: {type: static, keys: [north, south, east, west]}
    partition_expr: region
    sql: SELECT $partition_key AS region, 1 AS stores
`;
fs.writeFileSync(path.join(dir, 'tranche.yaml'), projectYaml);
const env = Object.assign({}, process.env, { TRANCHE_NOW: NOW });
delete env.TRANCHE_TOKEN;
fs.mkdirSync(outDir, { recursive: true });

let server = null;
let browser = null;
let serverLog = '';
const cleanup = () => {
  if (server && server.exitCode === null) server.kill('SIGTERM');
};
process.on('exit', cleanup);

async function main() {
  // history before the server starts (it owns the warehouse while it runs)
  const pre = await step('tranche materialize events for 2024-01-01...2024-01-20 (the CLI, before serve)', () => {
    execFileSync(tranche, ['materialize', 'events', '--from', '2024-01-01', '--to', '2024-01-20'],
      { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  });
  if (!pre) return;

  let base = null;
  const started = await step('tranche serve starts on a free loopback port', async () => {
    server = spawn(tranche, ['serve', '--port', '0', '--token', TOKEN], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout.on('data', (d) => { serverLog += d; });
    server.stderr.on('data', (d) => { serverLog += d; });
    const t0 = Date.now();
    while (Date.now() - t0 < 20000) {
      if (server.exitCode !== null) throw new Error(`tranche serve exited ${server.exitCode}: ${serverLog}`);
      const sj = path.join(dir, '.tranche', 'server.json');
      let url = null;
      if (fs.existsSync(sj)) {
        try { url = JSON.parse(fs.readFileSync(sj, 'utf8')).url; } catch (e) { url = null; }
      }
      if (!url) { const m = /http:\/\/127\.0\.0\.1:\d+/.exec(serverLog); if (m) url = m[0]; }
      if (url) {
        try {
          const r = await fetch(url.replace(/\/$/, '') + '/api/health', { headers: { Authorization: `Bearer ${TOKEN}` } });
          if (r.ok) { base = url.replace(/\/$/, ''); return; }
        } catch (e) { /* not yet */ }
      }
      await sleep(100);
    }
    throw new Error(`tranche serve did not answer within 20 s: ${serverLog}`);
  });
  if (!started) return;
  const api = async (p, opts) => {
    const r = await fetch(base + p, Object.assign({ headers: { Authorization: `Bearer ${TOKEN}` } }, opts || {}));
    const text = await r.text();
    try { return { status: r.status, body: JSON.parse(text) }; } catch (e) { return { status: r.status, body: text }; }
  };

  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const expectedErrors = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = (m.location() && m.location().url) || '';
    if (expectedErrors.some((re) => re.test(url) || re.test(m.text()))) return;
    consoleErrors.push(`${m.text()} ${url}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
  const authHeaders = [];
  page.on('request', (rq) => {
    if (rq.url().includes('/api/')) authHeaders.push(rq.headers().authorization || '');
  });
  const shot = async (name, selector) => {
    await page.evaluate(() => { const t = document.getElementById('toast'); if (t) t.textContent = ''; });
    if (selector) await page.locator(selector).screenshot({ path: path.join(outDir, name) });
    else await page.screenshot({ path: path.join(outDir, name), fullPage: true });
  };

  // ---- catalog ------------------------------------------------------------------
  await step('the catalog lists every asset with its group, kind, partitions and health', async () => {
    await page.goto(`${base}/?token=${TOKEN}#/`);
    await page.waitForSelector('tr[data-asset="events"]', { timeout: 15000 });
    const names = await page.$$eval('tr[data-asset]', (rows) => rows.map((r) => r.dataset.asset));
    assert(['events', 'daily_totals', 'by_region'].every((x) => names.includes(x)), `assets shown: ${names}`);
    const row = await page.textContent('tr[data-asset="events"]');
    assert(/raw/.test(row) && /sql/.test(row) && /daily/.test(row), `events row: ${row}`);
    assert(/20 ok/.test(row) && /40 missing/.test(row), `events health: ${row}`);
    const bar = await page.getAttribute('tr[data-asset="events"] .hbar', 'aria-label');
    assert(/20 materialized/.test(bar) && /40 missing/.test(bar), `health bar label: ${bar}`);
    await shot('catalog.png');
  });
  await step('the token from ?token= is kept and sent as Authorization: Bearer', async () => {
    const stored = await page.evaluate(() => sessionStorage.getItem('tranche.token'));
    assert(stored === TOKEN, `sessionStorage has ${stored}`);
    assert(authHeaders.length > 0 && authHeaders.every((h) => h === `Bearer ${TOKEN}`), `headers: ${[...new Set(authHeaders)]}`);
    assert(!page.url().includes('token='), `the token stays out of the address bar: ${page.url()}`);
  });
  await step('the filter box narrows the catalog', async () => {
    await page.fill('#asset-filter', 'region');
    await page.waitForFunction(() => document.querySelectorAll('tr[data-asset]').length === 1);
    assert(await page.$('tr[data-asset="by_region"]'), 'by_region is shown');
    await page.fill('#asset-filter', '');
    await page.waitForFunction(() => document.querySelectorAll('tr[data-asset]').length === 3);
  });

  // ---- an asset ---------------------------------------------------------------------
  const summary = () => page.$eval('#heatmap-summary', (e) => Object.assign({ text: e.textContent }, e.dataset));
  await step('clicking an asset opens its page: header, partitions in words, heatmap', async () => {
    await page.click('tr[data-asset="events"] a.asset-link');
    await page.waitForFunction(() => location.hash === '#/assets/events');
    await page.waitForFunction(() => /Showing/.test((document.querySelector('#heatmap-summary') || {}).textContent || ''), null, { timeout: 15000 });
    let s = await summary();
    assert(s.materialized === '20' && s.missing === '40', `summary: ${s.text}`);
    await page.waitForFunction(() => /2024-01-01 … 2024-02-29/.test(document.querySelector('#heatmap-summary').textContent), null, { timeout: 5000 })
      .catch(() => {});
    s = await summary();
    assert(/2024-01-01 … 2024-02-29/.test(s.text), `the keys of the range: ${s.text}`);
    const h1 = await page.textContent('h1');
    assert(h1.trim() === 'events', `h1: ${h1}`);
    const down = await page.textContent('dd.downstream');
    assert(/daily_totals/.test(down), `downstream: ${down}`);
    const label = await page.getAttribute('canvas.hm-canvas', 'aria-label');
    assert(/20 materialized/.test(label), `canvas text alternative: ${label}`);
  });
  await step('the heatmap zooms in and out, and its tooltip names the keys', async () => {
    await page.click('button[aria-label="Zoom in"]');
    await page.waitForFunction(() => !/all 60/.test(document.querySelector('#heatmap-summary').textContent));
    const zoomed = await summary();
    assert(Number(zoomed.total) < 60, `zoomed in: ${zoomed.text}`);
    const box = await (await page.$('canvas.hm-canvas')).boundingBox();
    await page.mouse.move(box.x + 5, box.y + 10);
    await page.waitForSelector('.hm-tooltip:not([hidden])');
    const tip = await page.textContent('.hm-tooltip');
    assert(/2024-01-\d\d/.test(tip), `tooltip: ${tip}`);
    await page.click('.hm-all');
    await page.waitForFunction(() => /all 60/.test(document.querySelector('#heatmap-summary').textContent));
    // the wheel zooms too
    await page.mouse.move(box.x + box.width / 2, box.y + 10);
    await page.mouse.wheel(0, -400);
    await page.waitForFunction(() => !/all 60/.test(document.querySelector('#heatmap-summary').textContent));
    await page.click('.hm-all');
    await page.waitForFunction(() => /all 60/.test(document.querySelector('#heatmap-summary').textContent));
  });
  await step('"Select missing" selects the 40 missing partitions', async () => {
    await page.click('#select-missing');
    await page.waitForFunction(() => document.querySelector('#selection-summary').dataset.count === '40');
    const t = await page.textContent('#selection-summary');
    assert(/40 partitions selected/.test(t) && /40 missing/.test(t), `selection: ${t}`);
  });
  await step('"Launch backfill" shows the dry run\'s plan first', async () => {
    await page.click('#launch-backfill');
    await page.waitForSelector('#confirm-backfill', { timeout: 15000 });
    const plan = await page.textContent('#backfill-plan');
    assert(/events/.test(plan) && /40/.test(plan), `plan: ${plan}`);
    const bf = await api('/api/backfills');
    const list = Array.isArray(bf.body) ? bf.body : bf.body.backfills;
    assert(list.length === 1, `the dry run launched nothing: ${JSON.stringify(bf.body).slice(0, 300)}`);
    await shot('asset-plan.png');
    await shot('asset-plan-card.png', '#partitions');
  });
  await step('confirming runs the backfill and the heatmap turns materialized', async () => {
    await page.click('#confirm-backfill');
    await page.waitForFunction(() => {
      const s = document.querySelector('#heatmap-summary').dataset;
      return s.materialized === '60' && s.missing === '0' && s.inProgress === '0';
    }, null, { timeout: 90000, polling: 250 });
    const st = await api('/api/assets/events/partitions');
    assert(st.body.counts.materialized === 60, `API counts: ${JSON.stringify(st.body.counts)}`);
    await page.waitForFunction(() => /60 of 60 partitions succeeded|40 of 40 partitions succeeded/.test(
      (document.querySelector('#follow-progress') || {}).textContent || ''), null, { timeout: 30000 });
    await page.waitForFunction(() => /\d/.test((document.querySelector('#row-count') || {}).textContent || ''), null, { timeout: 15000 });
    await shot('asset.png');
  });
  await step('the latest materialization, its metadata plot and the checks are shown', async () => {
    const rc = await page.textContent('#row-count');
    assert(rc.trim() === '24', `row count: ${rc}`);
    await page.waitForSelector('#metadata-plots svg', { timeout: 15000 });
    const caps = await page.$$eval('#metadata-plots figcaption', (f) => f.map((x) => x.textContent));
    assert(caps.includes('row_count'), `plots: ${caps}`);
    const checks = await page.textContent('#checks');
    assert(/has_rows/.test(checks), `checks: ${checks}`);
  });

  // ---- a dragged range, on the downstream asset ----------------------------------------
  await step('dragging across the heatmap selects a range; its backfill materializes exactly it', async () => {
    await page.click('dd.downstream a');
    await page.waitForFunction(() => location.hash === '#/assets/daily_totals');
    await page.waitForFunction(() => /Showing/.test((document.querySelector('#heatmap-summary') || {}).textContent || ''));
    const box = await (await page.$('canvas.hm-canvas')).boundingBox();
    await page.mouse.move(box.x + 2, box.y + 10);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.25, box.y + 12, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.5 - 4, box.y + 12, { steps: 5 });
    await page.mouse.up();
    await page.waitForFunction(() => Number(document.querySelector('#selection-summary').dataset.count || 0) > 0);
    const count = Number(await page.getAttribute('#selection-summary', 'data-count'));
    const text = await page.textContent('#selection-summary');
    assert(count >= 25 && count <= 31 && /2024-01-01 … 2024-01-/.test(text), `selection: ${text}`);
    await page.click('#launch-backfill');
    await page.waitForSelector('#confirm-backfill', { timeout: 15000 });
    await page.click('#confirm-backfill');
    await page.waitForFunction((c) => document.querySelector('#heatmap-summary').dataset.materialized === String(c),
      count, { timeout: 90000, polling: 250 });
    const st = await api('/api/assets/daily_totals/partitions');
    assert(st.body.counts.materialized === count, `API: ${JSON.stringify(st.body.counts)} for ${count} selected`);
  });
  await step('a static-partitioned asset: select all, backfill, all materialized', async () => {
    await page.goto(`${base}/#/assets/by_region`);
    await page.waitForFunction(() => /Showing/.test((document.querySelector('#heatmap-summary') || {}).textContent || ''));
    await page.click('#select-all');
    await page.waitForFunction(() => document.querySelector('#selection-summary').dataset.count === '4');
    await page.click('#launch-backfill');
    await page.waitForSelector('#confirm-backfill', { timeout: 15000 });
    await page.click('#confirm-backfill');
    await page.waitForFunction(() => document.querySelector('#heatmap-summary').dataset.materialized === '4', null, { timeout: 60000 });
  });
  // ---- stale partitions: an upstream partition rematerialized after its readers ---------
  const waitRun = async (r) => {
    assert(r.status === 202 && r.body.run_id, `launch: ${r.status} ${JSON.stringify(r.body)}`);
    const t0 = Date.now();
    while (Date.now() - t0 < 60000) {
      const st = (await api(`/api/runs/${r.body.run_id}`)).body.status;
      if (st !== 'running') { assert(st === 'success', `run ${r.body.run_id} ended ${st}`); return; }
      await sleep(100);
    }
    throw new Error(`run ${r.body.run_id} did not end within 60 s`);
  };
  const postJson = (p, body) => api(p, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const staleReady = await step('rematerializing events 2024-01-05...2024-01-06 (POST /api/materialize) makes 2 partitions of daily_totals stale', async () => {
    await waitRun(await postJson('/api/materialize', { selection: 'daily_totals', missing: true }));
    await waitRun(await postJson('/api/materialize', { selection: 'events', from: '2024-01-05', to: '2024-01-06' }));
    const st = await api('/api/assets/daily_totals/partitions');
    assert(st.body.counts.materialized === 60 && st.body.counts.stale === 2, `API counts: ${JSON.stringify(st.body.counts)}`);
  });
  if (staleReady) {
    await step('the catalog and the lineage show daily_totals stale', async () => {
      await page.goto(`${base}/#/`);
      await page.waitForFunction(() => /2 stale/.test((document.querySelector('tr[data-asset="daily_totals"]') || {}).textContent || ''), null, { timeout: 15000 });
      const row = await page.textContent('tr[data-asset="daily_totals"]');
      assert(/58 ok/.test(row) && /2 stale/.test(row), `daily_totals health: ${row}`);
      const bar = await page.getAttribute('tr[data-asset="daily_totals"] .hbar', 'aria-label');
      assert(/58 materialized, 2 stale/.test(bar), `health bar label: ${bar}`);
      assert(await page.$('tr[data-asset="daily_totals"] .hbar .seg.st-stale'), 'an amber segment in the health bar');
      await shot('catalog-stale.png');
      await page.goto(`${base}/#/lineage`);
      await page.waitForSelector('#lineage [data-asset="daily_totals"][data-status="stale"]', { timeout: 15000 });
      const fill = await page.$eval('#lineage [data-asset="daily_totals"] rect:nth-of-type(2)', (r) => r.getAttribute('fill'));
      assert(fill === '#e3a008', `the stale node's colour: ${fill}`);
      await shot('lineage-stale-card.png', '#lineage');
    });
    await step('the downstream asset shows its stale partitions: counts, heatmap, legend, tooltip', async () => {
      await page.goto(`${base}/#/assets/daily_totals`);
      await page.waitForFunction(() => (document.querySelector('#heatmap-summary') || { dataset: {} }).dataset.stale === '2', null, { timeout: 15000 });
      const s = await summary();
      assert(s.materialized === '60' && /58 materialized, 2 stale/.test(s.text), `summary: ${s.text}`);
      await page.waitForSelector('#partition-counts .count[data-state="stale"]', { timeout: 15000 });
      const counts = await page.$$eval('#partition-counts .count[data-state]', (c) => Object.fromEntries(c.map((x) => [x.dataset.state, x.textContent.trim()])));
      assert(/^2 stale$/.test(counts.stale) && /^58 materialized$/.test(counts.materialized), `counts: ${JSON.stringify(counts)}`);
      const legend = await page.$eval('.hm-toolbar .legend [data-state="stale"]', (e) => !e.hidden);
      assert(legend, 'the legend shows stale');
      const btn = await page.textContent('#select-stale');
      assert(btn.trim() === 'Select stale (2)' && !(await page.$eval('#select-stale', (b) => b.disabled)), `button: ${btn}`);
      // the heatmap's pixels: amber where 2024-01-05 is (the 5th of 60 columns)
      const px = await page.$eval('canvas.hm-canvas', (cv) => {
        const w = cv.width / 60;
        const d = cv.getContext('2d').getImageData(Math.floor(4.5 * w), Math.floor(cv.height * 0.2), 1, 1).data;
        return [d[0], d[1], d[2]];
      });
      assert(px[0] === 0xe3 && px[1] === 0xa0 && px[2] === 0x08, `the colour of 2024-01-05: ${px}`);
      const box = await (await page.$('canvas.hm-canvas')).boundingBox();
      await page.mouse.move(box.x + box.width * (4.5 / 60), box.y + 10);
      await page.waitForSelector('.hm-tooltip:not([hidden])');
      const tip = await page.textContent('.hm-tooltip');
      assert(/2024-01-05/.test(tip) && /1 stale/.test(tip), `tooltip: ${tip}`);
      await page.mouse.move(box.x + box.width / 2, box.y + box.height + 80);
    });
    await step('"Select stale" selects them; the dry run plans exactly them; the backfill leaves none stale', async () => {
      await page.click('#select-stale');
      await page.waitForFunction(() => document.querySelector('#selection-summary').dataset.count === '2');
      const t = await page.textContent('#selection-summary');
      assert(/2 partitions selected/.test(t) && /2 stale/.test(t), `selection: ${t}`);
      await page.click('#launch-backfill');
      await page.waitForSelector('#confirm-backfill', { timeout: 15000 });
      const plan = await page.textContent('#backfill-plan');
      assert(/daily_totals/.test(plan) && /2024-01-05\.\.\.2024-01-06/.test(plan) && /Run 2 partitions/.test(plan), `plan: ${plan}`);
      await shot('asset-stale-card.png', '#partitions');
      await page.click('#confirm-backfill');
      await page.waitForFunction(() => {
        const s = document.querySelector('#heatmap-summary').dataset;
        return s.stale === '0' && s.materialized === '60' && s.inProgress === '0';
      }, null, { timeout: 90000, polling: 250 });
      await page.waitForFunction(() => /2 of 2 partitions succeeded/.test((document.querySelector('#follow-progress') || {}).textContent || ''), null, { timeout: 30000 });
      await page.waitForFunction(() => !document.querySelector('#partition-counts .count[data-state="stale"]') &&
        document.querySelector('#select-stale').disabled, null, { timeout: 15000 });
      const s = await summary();
      assert(!/stale/.test(s.text), `summary: ${s.text}`);
      assert(await page.$eval('.hm-toolbar .legend [data-state="stale"]', (e) => e.hidden), 'the legend hides stale again');
      const st = await api('/api/assets/daily_totals/partitions');
      assert(st.body.counts.stale === 0 && st.body.counts.materialized === 60, `API counts: ${JSON.stringify(st.body.counts)}`);
      await shot('asset-stale-done.png');
    });
    await step('"Select missing" offers the stale ones too (missing and stale)', async () => {
      await waitRun(await postJson('/api/materialize', { selection: 'events', partitions: ['2024-01-09'] }));
      await postJson('/api/assets/daily_totals/wipe', { partitions: ['2024-02-29'] }).then((r) => assert(r.status === 200, `wipe: ${JSON.stringify(r.body)}`));
      await page.reload();
      await page.waitForFunction(() => /Select stale \(1\)/.test((document.querySelector('#select-stale') || {}).textContent || ''), null, { timeout: 15000 });
      await page.click('#select-missing');
      await page.waitForSelector('label.with-stale:not([hidden])');
      await page.check('#with-stale');
      await page.waitForFunction(() => document.querySelector('#selection-summary').dataset.count === '2');
      const t = await page.textContent('#selection-summary');
      assert(/1 missing/.test(t) && /1 stale/.test(t), `selection: ${t}`);
      await page.click('#launch-backfill');
      await page.waitForSelector('#confirm-backfill', { timeout: 15000 });
      await shot('asset-missing-stale-card.png', '#partitions');
      const plan = await page.textContent('#backfill-plan');
      assert(/2024-01-09/.test(plan) && /2024-02-29/.test(plan) && /Run 2 partitions/.test(plan), `plan: ${plan}`);
      await page.click('#confirm-backfill');
      await page.waitForFunction(() => {
        const s = document.querySelector('#heatmap-summary').dataset;
        return s.stale === '0' && s.materialized === '60' && s.missing === '0';
      }, null, { timeout: 90000, polling: 250 });
    });
  }
  await step('a refused request shows the server\'s message', async () => {
    expectedErrors.push(/\/api\/assets\/no_such_asset/);
    await page.goto(`${base}/#/assets/no_such_asset`);
    await page.waitForSelector('.error', { timeout: 15000 });
    const t = await page.textContent('.error');
    const r = await api('/api/assets/no_such_asset');
    const msg = r.body && r.body.error && r.body.error.message;
    assert(r.status === 404 && msg && t.includes(msg), `shown: ${t} / server: ${r.status} ${msg}`);
  });

  // ---- lineage, runs, backfills ------------------------------------------------------------
  await step('the lineage shows every asset with its status; a click opens the asset', async () => {
    await page.goto(`${base}/#/lineage`);
    await page.waitForSelector('#lineage [data-asset="events"]', { timeout: 15000 });
    const nodes = await page.$$eval('#lineage [data-asset]', (g) => g.map((x) => [x.dataset.asset || x.getAttribute('data-asset'), x.getAttribute('data-status')]));
    const names = nodes.map((x) => x[0]);
    assert(['events', 'daily_totals', 'by_region'].every((x) => names.includes(x)), `nodes: ${JSON.stringify(nodes)}`);
    const ev = nodes.find((x) => x[0] === 'events');
    assert(!ev[1] || ev[1] === 'materialized', `events is ${ev[1]}`);
    assert(await page.$('#lineage .edge, #lineage g.edge'), 'an edge is drawn');
    await shot('lineage.png');
    await shot('lineage-card.png', '#lineage');
    await page.click('#lineage [data-asset="daily_totals"]');
    await page.waitForFunction(() => location.hash === '#/assets/daily_totals');
  });
  await step('the runs page lists the runs; a run shows its steps and its log', async () => {
    await page.goto(`${base}/#/runs`);
    await page.waitForSelector('tr[data-run]', { timeout: 15000 });
    const runs = await page.$$eval('tr[data-run]', (r) => r.map((x) => x.textContent));
    assert(runs.length >= 4, `runs: ${runs.length}`);
    assert(/events/.test(runs.join(' ')), 'a run of events is listed');
    await shot('runs.png');
    const last = await page.$$eval('tr[data-run]', (r) => r.map((x) => x.dataset.run));
    const evRun = (await api('/api/runs')).body.runs.find((r) => r.selection === 'events' && String(r.partitions || '').length && r.id !== 1);
    const id = evRun ? evRun.id : last[0];
    await page.click(`tr[data-run="${id}"] a`);
    await page.waitForFunction((i) => location.hash === `#/runs/${i}`, id);
    await page.waitForFunction(() => /step/.test((document.querySelector('#timeline-summary') || {}).textContent || ''), null, { timeout: 15000 });
    const tl = await page.textContent('#timeline-summary');
    assert(/\d+ steps?: .*success/.test(tl), `timeline: ${tl}`);
    await page.waitForFunction(() => /end of the run/.test(document.querySelector('#run-log').textContent), null, { timeout: 15000 });
    const log = await page.textContent('#run-log');
    assert(/step_success/.test(log) && /materialization/.test(log), `log: ${log.slice(0, 300)}`);
    await shot('run.png');
  });
  await step('the backfills page shows each backfill with its progress', async () => {
    await page.goto(`${base}/#/backfills`);
    await page.waitForSelector('tr[data-backfill]', { timeout: 15000 });
    const rows = await page.$$eval('tr[data-backfill]', (r) => r.map((x) => x.textContent));
    assert(rows.length >= 4, `backfills: ${rows.length}`);
    assert(rows.some((r) => /40\/40/.test(r)), `progress: ${rows.join(' | ')}`);
    await shot('backfills.png');
  });

  // ---- a broken project file: a banner, the rest keeps working ---------------------------------
  await step('a project-file error is a banner with FILE:LINE; the catalog still works', async () => {
    fs.writeFileSync(path.join(dir, 'tranche.yaml'), projectYaml.replace('    partitions: days\n    partition_expr: day\n    sql: |\n      SELECT day, sum', '    partitions: no_such_partitions\n    partition_expr: day\n    sql: |\n      SELECT day, sum'));
    const r = await api('/api/reload', { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: '{}' });
    assert(r.status === 200, `reload: ${r.status} ${JSON.stringify(r.body)}`);
    await page.goto(`${base}/#/`);
    await page.waitForSelector('#banner:not([hidden])', { timeout: 15000 });
    const b = await page.textContent('#banner');
    assert(/tranche\.yaml:\d+/.test(b), `banner: ${b}`);
    await page.waitForSelector('tr[data-asset="events"]');
    await shot('project-error.png');
    fs.writeFileSync(path.join(dir, 'tranche.yaml'), projectYaml);
    await api('/api/reload', { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }, body: '{}' });
    await page.waitForSelector('#banner', { state: 'hidden', timeout: 15000 });
  });

  await step('no console error in the browser', async () => {
    assert(consoleErrors.length === 0, consoleErrors.join('\n'));
  });
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

try {
  await main();
} catch (e) {
  ok(false, 'the browser test ran to the end', e.stack);
} finally {
  if (browser) await browser.close().catch(() => {});
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => { const t = setTimeout(r, 5000); server.on('exit', () => { clearTimeout(t); r(); }); });
  }
  if (failed && serverLog) console.log(serverLog.split('\n').slice(-20).map((l) => `# server: ${l}`).join('\n'));
  if (!failed) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(`# the project is kept in ${dir}; screenshots in ${outDir}`);
  console.log(`1..${n}`);
  process.exitCode = failed ? 1 : 0;
}
