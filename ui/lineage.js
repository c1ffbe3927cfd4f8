// lineage.js — the asset graph, laid out by Graphviz at the server
// (GET /api/lineage: node boxes and edge splines), drawn here as SVG so that
// each node shows its status colour and opens its asset when clicked.
// Falls back to the server's own picture (GET /api/lineage.svg).
import { get, token } from './api.js';
import { el, clear, errorBox, emptyBox, every, COLORS, STATE_LABEL, assetHref, add, fill } from './util.js';

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...kids) {
  const n = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) n.setAttribute(k, v);
  for (const k of kids) if (k !== null && k !== undefined) n.append(typeof k === 'string' ? document.createTextNode(k) : k);
  return n;
}

const STATUS_FILL = {
  materialized: '#e8f6ee', partial: '#eef7f1', failed: '#fdecea', missing: '#f5f6f8', running: '#e8f0fd',
  in_progress: '#e8f0fd', stale: '#fdf5e1',
};

export async function render(ctx) {
  const { main } = ctx;
  const legend = el('div.legend', ['materialized', 'partial', 'stale', 'failed', 'running', 'missing'].map((st) =>
    el('span.lg', el('i.sw.st-' + st), STATE_LABEL[st])));
  add(main, el('div.page-head', el('h1', 'Lineage'), legend),
    el('p.muted', 'Upstream on the left, downstream on the right. Click an asset to open it.'));
  const box = el('div.card.lineage#lineage', emptyBox('Laying out the graph…'));
  add(main, box);
  let lastSig = '';
  const load = async () => {
    let g;
    try {
      g = await get('/api/lineage');
    } catch (e) {
      if (!ctx.alive) return;
      if (!lastSig) await fallback(box, e);
      return;
    }
    if (!ctx.alive) return;
    const sig = JSON.stringify(g);
    if (sig === lastSig) return;
    lastSig = sig;
    clear(box);
    if (!g.nodes || !g.nodes.length) { add(box, emptyBox('No assets yet.')); return; }
    add(box, draw(g));
  };
  await load();
  every(5000, load, ctx.onLeave);
}

// Graphviz's layout, in points: a node's x, y are its centre (y pointing
// down), an edge's points a B-spline (1 + 3k points), maybe followed by the
// arrow's tip. Drawn 1.5 times larger (Graphviz sized the boxes for 12 pt text).
const SCALE = 1.5;

function draw(g) {
  const pad = 6;
  const box = (n) => ({ x: n.x - n.width / 2, y: n.y - n.height / 2, w: n.width, h: n.height });
  const W = (g.width || Math.max(...g.nodes.map((n) => n.x + n.width / 2))) + pad * 2;
  const H = (g.height || Math.max(...g.nodes.map((n) => n.y + n.height / 2))) + pad * 2;
  const svg = s('svg', { viewBox: `${-pad} ${-pad} ${W} ${H}`, width: Math.round(W * SCALE), height: Math.round(H * SCALE), class: 'lineage-svg',
    role: 'img', 'aria-label': `Asset graph: ${g.nodes.length} assets, ${(g.edges || []).length} dependencies` });
  svg.style.maxWidth = '100%';
  svg.style.height = 'auto';
  svg.append(s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse' },
    s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8b939e' }))));
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  for (const e of g.edges || []) {
    const pts = e.points && e.points.length >= 2 ? e.points : straight(byName.get(e.from), byName.get(e.to));
    if (!pts) continue;
    let d = `M${pts[0][0]},${pts[0][1]}`;
    const k = Math.floor((pts.length - 1) / 3);
    if (pts.length >= 4) {
      for (let i = 0; i < k; i++) {
        const a = pts[1 + 3 * i]; const b = pts[2 + 3 * i]; const c = pts[3 + 3 * i];
        d += ` C${a[0]},${a[1]} ${b[0]},${b[1]} ${c[0]},${c[1]}`;
      }
      for (let i = 1 + 3 * k; i < pts.length; i++) d += ` L${pts[i][0]},${pts[i][1]}`;
    } else {
      for (let i = 1; i < pts.length; i++) d += ` L${pts[i][0]},${pts[i][1]}`;
    }
    svg.append(s('path', { d, class: 'edge', fill: 'none', stroke: '#8b939e', 'stroke-width': 1, 'marker-end': 'url(#arrow)' },
      s('title', {}, `${e.from} → ${e.to}${e.mapping ? ` (${e.mapping})` : ''}`)));
  }
  for (const n of g.nodes) {
    const st = n.status || 'missing';
    const color = COLORS[st] || COLORS.missing;
    const b = box(n);
    const sub = n.partitions || n.group || n.kind;
    const a = s('a', { href: assetHref(n.name), class: 'node-link', 'aria-label': `${n.name}: ${STATE_LABEL[st] || st}` });
    const grp = s('g', { class: `node st-${st}`, 'data-asset': n.name, 'data-status': st });
    add(grp,
      s('rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: 5, fill: STATUS_FILL[st] || '#fff', stroke: st === 'missing' ? '#b8bfc8' : color, 'stroke-width': 1.2 }),
      s('rect', { x: b.x + 0.6, y: b.y + 4, width: 3, height: b.h - 8, rx: 1.5, fill: color }),
      s('text', { x: n.x + 1, y: n.y - (sub ? 2 : -4), 'text-anchor': 'middle', class: 'node-name' }, n.name),
      sub ? s('text', { x: n.x + 1, y: n.y + 11, 'text-anchor': 'middle', class: 'node-sub' }, sub) : null,
      s('title', {}, `${n.name}: ${STATE_LABEL[st] || st}${n.group ? ` · group ${n.group}` : ''}${n.kind ? ` · ${n.kind}` : ''}`));
    a.append(grp);
    svg.append(a);
  }
  return el('div.scroll-x', svg);
}

function straight(a, b) {
  if (!a || !b) return null;
  return [[a.x + a.width / 2, a.y], [b.x - b.width / 2, b.y]];
}

// the server's own SVG picture, made clickable
async function fallback(box, firstError) {
  try {
    const headers = { Accept: 'image/svg+xml' };
    if (token()) headers.Authorization = 'Bearer ' + token();
    const res = await fetch('/api/lineage.svg', { headers });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const text = await res.text();
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    const svg = doc.documentElement;
    if (svg.nodeName !== 'svg') throw new Error('not an SVG picture');
    svg.setAttribute('class', 'lineage-svg');
    svg.style.maxWidth = '100%';
    svg.style.height = 'auto';
    for (const g of svg.querySelectorAll('g.node[data-asset]')) {
      g.style.cursor = 'pointer';
      g.addEventListener('click', () => { location.hash = assetHref(g.getAttribute('data-asset')); });
    }
    fill(box, el('div.scroll-x', document.importNode(svg, true)));
    for (const g of box.querySelectorAll('g.node[data-asset]')) {
      g.style.cursor = 'pointer';
      g.addEventListener('click', () => { location.hash = assetHref(g.getAttribute('data-asset')); });
    }
  } catch (e) {
    fill(box, errorBox(firstError, 'The asset graph'));
  }
}
