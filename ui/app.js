// app.js — the hash router, the health banner, and the page lifecycle.
//   #/                 catalog          #/runs            runs
//   #/assets/NAME      asset page       #/runs/ID         one run
//   #/lineage          asset graph      #/backfills       backfills
//                                       #/backfills/ID    one backfill
import { initToken, get } from './api.js';
import { el, clear, errorBox, add, fill } from './util.js';
import * as catalog from './catalog.js';
import * as asset from './asset.js';
import * as lineage from './lineage.js';
import * as runs from './runs.js';
import * as backfills from './backfills.js';

const routes = [
  [/^\/?$/, 'catalog', (m, ctx) => catalog.render(ctx)],
  [/^\/assets\/(.+)$/, 'catalog', (m, ctx) => asset.render(ctx, decodeURIComponent(m[1]))],
  [/^\/lineage\/?$/, 'lineage', (m, ctx) => lineage.render(ctx)],
  [/^\/runs\/?$/, 'runs', (m, ctx) => runs.renderList(ctx)],
  [/^\/runs\/([^/]+)$/, 'runs', (m, ctx) => runs.renderRun(ctx, decodeURIComponent(m[1]))],
  [/^\/backfills\/?$/, 'backfills', (m, ctx) => backfills.renderList(ctx)],
  [/^\/backfills\/([^/]+)$/, 'backfills', (m, ctx) => backfills.renderOne(ctx, decodeURIComponent(m[1]))],
];

let leaving = [];
export const health = { value: null, listeners: new Set() };

function route() {
  for (const fn of leaving) {
    try { fn(); } catch (e) { console.warn(e); }
  }
  leaving = [];
  const path = currentPath();
  const main = document.getElementById('main');
  clear(main);
  let found = false;
  for (const [re, nav, fn] of routes) {
    const m = re.exec(path);
    if (!m) continue;
    found = true;
    for (const a of document.querySelectorAll('nav a')) {
      if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    const ctx = {
      main,
      onLeave: (f) => leaving.push(f),
      alive: true,
      health,
    };
    leaving.push(() => { ctx.alive = false; });
    Promise.resolve()
      .then(() => fn(m, ctx))
      .catch((e) => { if (ctx.alive) add(main, errorBox(e)); });
    break;
  }
  if (!found) {
    add(main, el('h1', 'Not found'), el('p', `There is no page “${path}”. `, el('a', { href: '#/' }, 'Back to the assets.')));
  }
}

// /api/health every two seconds: the project's name, and a banner for a broken
// project file (the server keeps its old definitions, so everything else works).
// The server reloads the project by itself when its files change (tranche serve's
// file watch): the banner shows and clears without a click, and the pages that
// list the assets (the catalog, the lineage) are drawn again when the assets changed.
const HEALTH_POLL_MS = 2000;
let shownDefs = null;

function currentPath() {
  return (location.hash || '#/').replace(/^#/, '').split('?')[0];
}

async function pollHealth() {
  const banner = document.getElementById('banner');
  try {
    const h = await get('/api/health');
    const defs = `${h.project}|${h.assets}`;
    if (shownDefs !== null && defs !== shownDefs && /^\/?$|^\/lineage\/?$/.test(currentPath())) route();
    shownDefs = defs;
    health.value = h;
    document.getElementById('project-name').textContent = h.project ? `project ${h.project}` : '';
    if (h.project_error) {
      fill(banner, 
        el('strong', 'The project file has an error'),
        el('span', ' — tranche keeps the definitions it had before. '),
        el('code.msg', h.project_error));
      banner.className = 'banner-error';
      banner.hidden = false;
    } else {
      banner.hidden = true;
    }
    for (const f of health.listeners) f(h);
  } catch (e) {
    fill(banner, el('strong', 'The server does not answer: '), el('span.msg', e.message));
    banner.className = 'banner-error';
    banner.hidden = false;
  }
}

initToken();
window.addEventListener('hashchange', route);
route();
pollHealth();
setInterval(pollHealth, HEALTH_POLL_MS);
// a tab that comes back to the front learns at once (browsers slow down timers of hidden tabs)
document.addEventListener('visibilitychange', () => { if (!document.hidden) pollHealth(); });
