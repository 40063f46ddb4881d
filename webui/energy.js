/*
 * Energy: energy and sessions per day or month, for the whole site, per
 * connector or per RFID tag, as stacked SVG bars drawn here, a table
 * under them and the CSV (GET /api/energy, docs/api.md). Loaded after
 * app.js, whose helpers it uses; it adds its page to app.js's pages.
 */
'use strict';

/* Its words are in text.js, under 'energy.'. */
const energyNum = (wh) => fmtNum(wh / 1000, 1);

/* "2026-11-01" or "2026-11" in the browser's language, as the appliance
 * named it (not moved into the browser's time zone). */
function energyPeriod(label, short) {
  const [y, m, d] = label.split('-').map(Number);
  const t = new Date(Date.UTC(y, m - 1, d || 1));
  const o = d ? (short ? { day: 'numeric', month: 'numeric' } : { day: 'numeric', month: 'short', year: 'numeric' })
    : { month: 'short', year: short ? '2-digit' : 'numeric' };
  return t.toLocaleDateString(LOCALE, Object.assign({ timeZone: 'UTC' }, o));
}

function energySeriesName(by, s) {
  if (by === 'connector') return s.charger + ' · ' + s.connector;
  if (by === 'tag') return s.tag === '' ? t('energy.noTag') : s.tag_name ? s.tag_name + ' (' + s.tag + ')' : s.tag;
  return t('energy.site');
}

async function pageEnergy() {
  const now = Date.now();
  const view = h('select', { id: 'en-view' }, ['site', 'connector', 'tag'].map((v) => h('option', { value: v }, t('energy.' + v))));
  const which = h('select', { id: 'en-which' });
  const whichLabel = h('label', { for: 'en-which', hidden: true }, h('span', { id: 'en-which-text' }), which);
  const group = h('select', { id: 'en-group' }, h('option', { value: 'day' }, t('energy.day')), h('option', { value: 'month' }, t('energy.month')));
  const csv = h('a', { id: 'energy-csv', href: '/api/energy.csv', download: 'energy.csv' }, t('energy.csv'));
  const out = h('div', { id: 'energy-out' });
  const choices = { connector: [], tag: [] };
  const st = S.status || (await api('GET', '/api/status')).body || {};
  for (const c of st.connectors || []) choices.connector.push([c.charger + ':' + c.connector, c.charger + ' · ' + c.connector]);
  const rf = await api('GET', '/api/rfid');
  for (const t of (rf.status === 200 ? rf.body.tags : [])) choices.tag.push([t.tag, t.name ? t.name + ' (' + t.tag + ')' : t.tag]);
  const fillWhich = () => {
    const v = view.value;
    whichLabel.hidden = v === 'site';
    if (v === 'site') return;
    $('en-which-text').textContent = t('energy.which.' + v);
    put(which, h('option', { value: '' }, t('energy.all')), choices[v].map(([k, t]) => h('option', { value: k }, t)));
  };
  const load = async () => {
    const by = view.value;
    let q = 'by=' + by + '&group=' + group.value + '&' + rangeQuery('en-from', 'en-to');
    if (by === 'connector' && which.value) {
      const i = which.value.lastIndexOf(':');
      q += '&charger=' + encodeURIComponent(which.value.slice(0, i)) + '&connector=' + which.value.slice(i + 1);
    } else if (by === 'tag' && which.value) q += '&tag=' + encodeURIComponent(which.value);
    csv.href = '/api/energy.csv?' + q;
    const r = await api('GET', '/api/energy?' + q);
    if (r.status !== 200) { message(out, r.body.error, true); return; }
    drawEnergy(out, r.body);
  };
  view.addEventListener('change', () => { fillWhich(); load(); });
  const f = h('form', { class: 'filters card', id: 'energy-form' },
    h('label', { for: 'en-view' }, t('energy.view'), view), whichLabel,
    h('label', { for: 'en-group' }, t('energy.group'), group),
    dayInput('en-from', t('energy.from'), now - 29 * 86400000), dayInput('en-to', t('energy.to'), now),
    h('button', { type: 'submit' }, t('energy.go')), csv);
  f.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  put($('page'), h('h1', {}, t('energy.title')), f, out, h('p', { class: 'hint' }, t('energy.note')));
  fillWhich();
  await load();
}

/* Stacked bars, one group (g.bar) per period, one colour per series. */
function drawEnergy(where, d) {
  const W = 900, H = 300, L = 52, B = 26, T = 10, R = 10;
  const NS = 'http://www.w3.org/2000/svg';
  const s = (tag, a, text) => {
    const e = document.createElementNS(NS, tag);
    for (const k in a) e.setAttribute(k, a[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const colours = ['#0b5cad', '#e08a00', '#1e7b34', '#6a3d9a', '#b3261e', '#00838f', '#7a4b00', '#5b6570'];
  const n = d.periods.length;
  const max = Math.max(1, ...d.periods.map((p) => p.energy_wh / 1000)) * 1.1;
  const bw = (W - L - R) / Math.max(1, n);
  const y = (kwh) => T + (H - T - B) * (1 - kwh / max);
  const svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'plot', id: 'energy-chart', role: 'img',
    'aria-label': t('energy.chart') + ': ' + energyNum(d.energy_wh) + ' ' + t('energy.kwh') + ', ' + d.sessions + ' ' + t('energy.sessions') });
  const raw = max / 5, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const stepK = [1, 2, 5, 10].map((m) => m * mag).find((v) => v >= raw);
  for (let a = 0; a <= max; a += stepK) {
    svg.append(s('line', { x1: L, x2: W - R, y1: y(a), y2: y(a), stroke: '#e3e7eb' }));
    svg.append(s('text', { x: 4, y: y(a) + 4 }, fmtNum(a, 0) + ' ' + t('energy.kwh')));
  }
  const stack = d.periods.map(() => 0);
  const bars = d.periods.map((p) => {
    const g = s('g', { class: 'bar', 'data-period': p.period });
    g.append(s('title', {}, energyPeriod(p.period) + ': ' + energyNum(p.energy_wh) + ' ' + t('energy.kwh') + ', ' + p.sessions + ' ' + t('energy.sessions')));
    svg.append(g);
    return g;
  });
  d.series.forEach((se, k) => {
    for (const c of se.cells) {
      const kwh = c.energy_wh / 1000, y0 = y(stack[c.index]), y1 = y(stack[c.index] + kwh);
      stack[c.index] += kwh;
      bars[c.index].append(s('rect', { x: (L + c.index * bw + bw * 0.1).toFixed(1), width: Math.max(1, bw * 0.8).toFixed(1),
        y: y1.toFixed(1), height: Math.max(0, y0 - y1).toFixed(1), fill: colours[k % colours.length] }));
    }
  });
  const every = Math.max(1, Math.ceil(n / 8));
  d.periods.forEach((p, i) => {
    if (i % every) return;
    svg.append(s('text', { x: (L + i * bw + bw / 2).toFixed(1), y: H - 8, 'text-anchor': 'middle' }, energyPeriod(p.period, true)));
  });
  /* colours through the CSSOM: the page's policy refuses style attributes */
  const swatch = (k) => { const e = h('span', { class: 'sw' }); e.style.background = colours[k % colours.length]; return e; };
  const legend = d.by === 'site' ? null : h('p', { class: 'legend', id: 'energy-legend' }, d.series.map((se, k) =>
    h('span', {}, swatch(k), energySeriesName(d.by, se) + ': ' + energyNum(se.energy_wh) + ' ' + t('energy.kwh'))));
  const rows = [];
  for (const se of d.series)
    for (const c of se.cells)
      rows.push([energyPeriod(c.period), d.by === 'site' ? null : energySeriesName(d.by, se), energyNum(c.energy_wh), c.sessions]);
  const cols = [t('energy.period'), d.by === 'site' ? null : t('energy.which.' + d.by), t('energy.energy') + ' (' + t('energy.kwh') + ')', t('energy.sessions')];
  const keep = (r) => r.filter((v, i) => cols[i] !== null);
  rows.push([t('energy.total'), d.by === 'site' ? null : '', energyNum(d.energy_wh), d.sessions]);
  put(where, svg, legend, d.sessions ? table(keep(cols), rows.map(keep)) : h('p', { class: 'hint' }, t('energy.none')));
}

pages.energy = pageEnergy;
