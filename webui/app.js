/*
 * evgroup web UI: one page, no framework, no CDN. Every value from the
 * appliance is put into the page as text (never as HTML). The API is
 * documented in docs/api.md.
 */
'use strict';

const S = { session: null, status: null, es: null, page: null, schema: null,
  pending: [], pendingCount: 0 };

/* --- helpers ------------------------------------------------------------ */

function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}
const $ = (id) => document.getElementById(id);
/* Replaces a node's children, leaving out the absent ones. */
const put = (el, ...kids) => el.replaceChildren(...kids.flat().filter((k) => k !== null && k !== undefined && k !== false));
const fmtA = (v) => (v === undefined || v === null ? '-' : Number(v).toFixed(1) + ' A');
const fmtTime = (ms) => (ms ? new Date(ms).toLocaleString() : '');
function fmtDur(s) {
  s = Math.floor(s || 0);
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60);
  return hh + ' h ' + String(mm).padStart(2, '0') + ' min';
}
/* What is left of a wait: m:ss, or h:mm:ss from an hour; '' when none. */
function fmtLeft(ms) {
  if (!(ms > 0)) return '';
  const s = Math.ceil(ms / 1000), mm = String(Math.floor((s % 3600) / 60)), ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? Math.floor(s / 3600) + ':' + mm.padStart(2, '0') + ':' + ss : mm + ':' + ss;
}
const isInstaller = () => S.session && S.session.role === 'installer';

async function api(method, path, body) {
  const opt = { method, headers: {}, credentials: 'same-origin' };
  if (method !== 'GET' && S.session) opt.headers['X-CSRF-Token'] = S.session.csrf;
  if (body !== undefined) {
    opt.headers['Content-Type'] = 'application/json';
    opt.body = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(path, opt);
  } catch (e) {
    return { status: 0, body: { error: 'the appliance does not answer' } };
  }
  let j = null;
  const t = await r.text();
  try { j = JSON.parse(t); } catch (e) { j = { text: t }; }
  if (r.status === 401 && path !== '/api/login') { showLogin(); }
  return { status: r.status, body: j };
}

function message(where, text, bad) {
  const m = h('p', { class: 'msg' + (bad ? ' bad' : ''), role: bad ? 'alert' : 'status' }, text);
  where.replaceChildren(m);
}

function table(cols, rows) {
  return h('table', {},
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((v, i) =>
      h('td', { 'data-label': cols[i] }, v))))));
}

/* --- login and session ---------------------------------------------------- */

function showLogin() {
  if (S.es) { S.es.close(); S.es = null; }
  S.session = null;
  $('login').hidden = false;
  put($('page'), );
  $('nav').hidden = true;
  $('who').hidden = true;
  $('login-user').focus();
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const r = await api('POST', '/api/login', {
    user: $('login-user').value, password: $('login-password').value });
  if (r.status !== 200) {
    $('login-error').textContent = r.body.error || 'cannot log in';
    return;
  }
  $('login-password').value = '';
  $('login-error').textContent = '';
  startSession(r.body);
});

$('logout').addEventListener('click', async () => {
  await api('POST', '/api/logout');
  showLogin();
});

$('nav-toggle').addEventListener('click', () => {
  const open = !$('nav').classList.contains('open');
  $('nav').classList.toggle('open', open);
  $('nav-toggle').setAttribute('aria-expanded', open);
});

function startSession(s) {
  S.session = s;
  $('login').hidden = true;
  $('who').hidden = false;
  $('who-name').textContent = s.user + ' (' + s.role + ')';
  if (s.must_change) { pageForcedPassword(); return; }
  $('nav').hidden = false;
  startStream();
  route();
}

function startStream() {
  if (S.es) S.es.close();
  S.es = new EventSource('/api/events/stream');
  S.es.addEventListener('status', (e) => {
    S.status = JSON.parse(e.data);
    $('site-name').textContent = S.status.site;
    banner();
    if (S.page && S.page.live) S.page.live(S.status);
  });
  S.es.addEventListener('event', (e) => {
    if (S.page && S.page.event) S.page.event(JSON.parse(e.data));
  });
  S.es.onerror = () => {
    if (S.status) banner('The appliance does not answer: reconnecting…');
  };
}

function banner(lost) {
  const b = $('banner');
  b.replaceChildren();
  b.className = 'banner';
  if (S.status && !S.status.restart_needed) { S.pending = []; S.pendingCount = 0; }
  if (lost) {
    b.classList.add('bad');
    b.append(lost);
  } else if (S.status && S.status.restart_needed) {
    /* what waits, listed: fetched again whenever its count changes */
    if (S.pendingCount !== S.status.pending) loadPending();
    b.append('Saved settings wait for a restart of the appliance:');
    b.append(h('ul', { id: 'pending' }, (S.pending || []).map((p) => h('li', {}, pendingText(p)))));
    if (isInstaller())
      b.append(h('button', { type: 'button', class: 'secondary', onclick: restart }, 'Restart now'));
  } else if (S.status && !S.status.meter_online && S.status.mode !== 'static') {
    b.classList.add('bad');
    b.append('Meter offline: the chargers share ' + fmtA(S.status.offline_limit) + ' per phase.');
  }
  b.hidden = b.childNodes.length === 0;
}

/* A pending setting in words: what is in force, what the restart brings. */
function pendingText(p) {
  if (p.in_force === '') return p.setting + ': ' + p.after_restart;
  if (p.after_restart === 'decommissioned') return p.setting + ': decommissioned';
  return p.setting + ': ' + p.in_force + ' now, ' + p.after_restart + ' after the restart';
}

async function loadPending() {
  S.pendingCount = S.status.pending;
  const r = await api('GET', '/api/config');
  if (r.status !== 200) return;
  S.pending = r.body.pending;
  banner();
}

function setPending(list) {
  S.pending = list;
  S.pendingCount = list.length;
  if (S.status) S.status.restart_needed = list.length > 0;
  banner();
}

/*
 * A change that raises a limit is made only when confirmed: the
 * appliance answers 409 with the figures, shown here; "OK" sends it
 * again with confirm. Returns the final answer (status 0: cancelled).
 */
async function sendConfirmed(method, path, body) {
  let r = await api(method, path, body);
  if (r.status === 409 && r.body.field === 'confirm' && Array.isArray(r.body.confirm)) {
    const lines = r.body.confirm.map((c) => c.setting + ': ' + c.from + ' \u2192 ' + c.to + '\n  ' + c.consequence + '.');
    if (!confirm('This raises a limit. Check the figures:\n\n' + lines.join('\n\n') + '\n\nSave it?'))
      return { status: 0, body: { result: 'cancelled' } };
    r = await api(method, path, Object.assign({}, body, { confirm: true }));
  }
  return r;
}

/* What a saved change did: in force now, and what waits for a restart. */
function savedText(b) {
  const parts = [];
  if (b.in_force && b.in_force.length) parts.push('In force now: ' + b.in_force.join(', ') + '.');
  if (b.after_restart && b.after_restart.length) parts.push('Saved; takes effect after a restart: ' + b.after_restart.join(', ') + '.');
  return parts.length ? parts.join(' ') : 'Saved: ' + b.result;
}

async function restart() {
  if (!confirm('Restart the appliance now?\n\n'
    + 'Interrupted for a few seconds: the control of the chargers (they keep their current, then their fallback current), '
    + 'this page and the console (they reconnect). Cars go on charging; sessions go on.\n\n'
    + 'Kept: the configuration (pending settings take effect), sessions, events, users and logins (nobody logs in again), '
    + 'RFID tags, pauses, boosts and locks.\n\n'
    + 'A card swiped before the restart is not used after it: a car waiting for authorisation needs a new swipe.')) return;
  await api('POST', '/api/restart');
  banner('Restarting…');
  setTimeout(() => location.reload(), 5000);
}

/* --- pages ----------------------------------------------------------------- */

const pages = {
  dashboard: pageDashboard, history: pageHistory, chargers: pageChargers,
  balancing: () => pageSettings('Load balancing', ['site'], BALANCING),
  metering: pageMetering, authorisation: pageAuthorisation,
  smart: () => pageSettings('Smart charging', ['smart'], null),
  sessions: pageSessions, events: pageEvents, users: pageUsers,
};

function route() {
  if (!S.session || S.session.must_change) return;
  const name = (location.hash.replace(/^#\//, '') || 'dashboard').split('?')[0];
  const fn = pages[name] || pageDashboard;
  for (const a of document.querySelectorAll('nav a'))
    a.toggleAttribute('aria-current', a.getAttribute('href') === '#/' + name);
  document.querySelectorAll('nav a[aria-current]').forEach((a) => a.setAttribute('aria-current', 'page'));
  $('nav').classList.remove('open');
  S.page = null;
  put($('page'), );
  fn();
}
window.addEventListener('hashchange', route);

function pageForcedPassword() {
  const p = $('page');
  const err = h('p', { class: 'error', role: 'alert' });
  const f = h('form', { class: 'card narrow', id: 'password-form' },
    h('h1', {}, 'Choose a new password'),
    h('p', {}, 'This is the first login with the default password. Choose your own before anything else.'),
    h('label', { for: 'pw-old' }, 'Current password'),
    h('input', { id: 'pw-old', type: 'password', autocomplete: 'current-password', required: true }),
    h('label', { for: 'pw-new' }, 'New password (8 characters or more)'),
    h('input', { id: 'pw-new', type: 'password', autocomplete: 'new-password', required: true }),
    err, h('button', { type: 'submit' }, 'Save password'));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await api('POST', '/api/password', { old: $('pw-old').value, new: $('pw-new').value });
    if (r.status !== 200) { err.textContent = r.body.error; return; }
    S.session.must_change = false;
    startSession(S.session);
  });
  put(p, f);
  $('pw-old').focus();
}

/* Dashboard: a bar per phase and a card per connector, live. */
function pageDashboard() {
  const p = $('page');
  const phases = h('div', { class: 'phases', id: 'phases' });
  const conns = h('div', { class: 'conns', id: 'conns' });
  const out = h('div', { id: 'dash-msg', 'aria-live': 'polite' });
  const alarms = h('section', { class: 'card alarms', id: 'alarms', 'aria-live': 'polite', hidden: true });
  put(p, h('h1', {}, 'Dashboard'), alarms,
    h('section', { class: 'card', 'aria-labelledby': 'ph-h' },
      h('h2', { id: 'ph-h' }, 'Supply per phase'), phases,
      h('p', { class: 'legend' },
        h('span', {}, h('span', { class: 'sw nonev' }), 'building'),
        h('span', {}, h('span', { class: 'sw ev' }), 'cars'),
        h('span', {}, h('span', { class: 'sw limit' }), 'limit in force'),
        h('span', {}, h('span', { class: 'sw fuse' }), 'main fuse'))),
    out, h('h2', {}, 'Connectors'), conns);
  S.page = { live: (st) => { drawAlarms(st, alarms); drawDashboard(st, phases, conns, out); } };
  if (S.status) S.page.live(S.status);
}

/* What is wrong now (status "alarms"): shown while it lasts. */
function drawAlarms(st, el) {
  const a = st.alarms || [];
  el.hidden = a.length === 0;
  put(el, h('h2', {}, 'Alarms now (' + (st.alarms_total || a.length) + ')'),
    h('ul', {}, a.map((x) => h('li', { class: 'sev' + x.severity, 'data-code': x.code, 'data-acked': x.acknowledged ? 'yes' : 'no' },
      x.text + (x.since_ms ? ' (since ' + fmtTime(x.since_ms) + ')' : '') +
      (x.acknowledged ? ' · acknowledged by ' + x.ack_by + ', ' + fmtTime(x.ack_ms) : '')))),
    h('p', {}, h('a', { href: '#/alarms' }, 'Acknowledge on the Alarms page')));
}

function drawDashboard(st, phases, conns, out) {
  const scale = Math.max(st.site_limit, ...st.clamp, 1) * 1.1;
  phases.replaceChildren(...[0, 1, 2].map((i) => {
    const nonev = Math.max(0, st.non_ev[i]), ev = Math.max(0, st.ev[i]);
    const total = nonev + ev, lim = st.limit[i];
    const bar = h('div', { class: 'bar' + (total > 0.9 * lim ? ' warn' : ''), role: 'img',
      'aria-label': 'L' + (i + 1) + ': building ' + nonev.toFixed(1) + ' A, cars ' + ev.toFixed(1) + ' A, limit ' + lim.toFixed(1) + ' A' });
    const a = h('div', { class: 'nonev' }), b = h('div', { class: 'ev' }), l = h('div', { class: 'limit', 'data-limit': lim });
    const f = h('div', { class: 'fuse', title: 'main fuse ' + fmtA(st.site_limit) });
    f.style.left = 'calc(' + (100 * st.site_limit / scale) + '% - 1px)';
    a.style.width = (100 * nonev / scale) + '%';
    b.style.left = (100 * nonev / scale) + '%';
    b.style.width = (100 * ev / scale) + '%';
    l.style.left = 'calc(' + (100 * lim / scale) + '% - 1px)';
    bar.append(a, b, f, l);
    return h('div', { class: 'phase' }, h('strong', {}, 'L' + (i + 1)), bar,
      h('div', { class: 'nums' }, 'building ' + fmtA(nonev) + ' · cars ' + fmtA(ev) +
        ' · measured ' + fmtA(st.clamp[i]) + ' · limit ' + fmtA(lim) + ' · cars may take ' + fmtA(st.available[i])));
  }));
  const sum = h('p', { class: 'hint', id: 'dash-summary' }, 'Mode ' + st.mode + ' · group limit ' + fmtA(st.group_limit) +
    ' · meter ' + (st.meter_online ? 'online' : 'offline') + ' · ' + st.charging + ' charging, ' + st.waiting + ' waiting');
  phases.append(sum);
  conns.replaceChildren(...st.connectors.map((c) => connCard(c, out, st.time_ms)));
}

/* Why a connector is offered what it is, with the time left on the
 * appliance's clock ("rotation rest 2:30"). */
function whyText(c, now) {
  const left = c.until_ms ? fmtLeft(c.until_ms - now) : '';
  return (c.reason_text || '-') + (left ? ' ' + left : '');
}

function connCard(c, out, now) {
  const id = c.charger_id + '-' + c.connector;
  const act = (verb) => async () => {
    if (verb === 'reset' && !confirm('Reset the latched fault of ' + c.charger + ' connector ' + c.connector + '? Only after the cause is fixed.')) return;
    const r = await api('POST', '/api/chargers/' + c.charger_id + '/connectors/' + c.connector + '/' + verb);
    /* the answer is the charger's: done, or refused and why */
    message(out, r.status === 200 ? c.charger + ' ' + c.connector + ': ' + verb + ' done' : r.body.error, r.status !== 200);
  };
  const btn = (verb, label) => h('button', { type: 'button', class: 'secondary', onclick: act(verb), 'data-action': verb }, label);
  return h('article', { class: 'card conn' + (c.online ? '' : ' offline'), id: 'conn-' + id, 'data-state': c.state },
    h('h3', {}, h('span', { class: 'led led-' + (c.online ? c.led_colour : 'off'), title: 'LED: ' + c.led }),
      c.charger + ' · ' + c.connector),
    h('dl', {},
      h('dt', {}, 'State'), h('dd', { class: 'state' }, c.online ? c.state + (c.paused ? ' (paused by operator)' : '') : 'charger offline'),
      h('dt', {}, 'Offer'), h('dd', {}, fmtA(c.offer) + ' (allowed ' + fmtA(c.setpoint) + ')'),
      h('dt', {}, 'Why'), h('dd', { class: 'why', 'data-reason': c.reason }, whyText(c, now)),
      h('dt', {}, 'Draw'), h('dd', {}, c.current.map((v) => v.toFixed(1)).join(' / ') + ' A'),
      h('dt', {}, 'Session'), h('dd', {}, (c.session_wh / 1000).toFixed(2) + ' kWh · ' + fmtDur(c.session_s)),
      h('dt', {}, 'Wiring'), h('dd', {}, c.phase + ' · max ' + fmtA(c.max_current)),
      c.faults.length ? [h('dt', {}, 'Faults'), h('dd', { class: 'sev2' }, c.faults.join(', '))] : null),
    h('div', { class: 'actions' },
      c.paused ? btn('resume', 'Resume') : btn('pause', 'Pause'),
      c.state === 'locked' ? btn('unlock', 'Unlock') : btn('lock', 'Lock'),
      btn('boost', 'Boost'),
      c.state === 'waiting-for-authorisation' ? btn('authorise', 'Authorise') : null,
      c.faults.length ? btn('reset', 'Reset fault') : null));
}

/* History: per-phase site and car current, with the limit. */
async function pageHistory() {
  const p = $('page');
  const sel = h('select', { id: 'hist-range' },
    h('option', { value: '1' }, 'Last 24 hours'), h('option', { value: '7' }, 'Last 7 days'));
  const plot = h('div', { id: 'hist-plot' });
  put(p, h('h1', {}, 'History'),
    h('div', { class: 'filters' }, h('label', { for: 'hist-range' }, 'Range', sel)), plot);
  const load = async () => {
    const days = Number(sel.value), to = Date.now();
    const r = await api('GET', '/api/history?from=' + (to - days * 86400000) + '&to=' + to + '&step=' + (days === 1 ? 1 : 10));
    if (r.status !== 200) { message(plot, r.body.error, true); return; }
    drawHistory(plot, r.body, to - days * 86400000, to);
  };
  sel.addEventListener('change', load);
  await load();
}

function drawHistory(where, d, from, to) {
  const W = 900, H = 320, L = 44, B = 24, T = 10, R = 10;
  const NS = 'http://www.w3.org/2000/svg';
  const s = (tag, a) => { const e = document.createElementNS(NS, tag); for (const k in a) e.setAttribute(k, a[k]); return e; };
  const lim = S.status ? S.status.site_limit : 0;
  let max = lim;
  d.max.forEach((v) => { max = Math.max(max, ...v); });
  max = Math.max(10, max * 1.1);
  const x = (t) => L + (W - L - R) * (t - from) / (to - from);
  const y = (a) => T + (H - T - B) * (1 - a / max);
  const svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'plot', role: 'img',
    'aria-label': 'Current per phase over time, with the limit' });
  for (let a = 0; a <= max; a += Math.max(10, Math.round(max / 50) * 10)) {
    svg.append(s('line', { x1: L, x2: W - R, y1: y(a), y2: y(a), stroke: '#e3e7eb' }));
    const t = s('text', { x: 4, y: y(a) + 4 }); t.textContent = a + ' A'; svg.append(t);
  }
  const colours = ['#7a4b00', '#111', '#6a6a6a'];
  for (let p = 0; p < 3; p++) {
    const pts = d.time_ms.map((t, i) => x(t).toFixed(1) + ',' + y(d.avg[i][p]).toFixed(1)).join(' ');
    svg.append(s('polyline', { points: pts, fill: 'none', stroke: colours[p], 'stroke-width': 1.5, class: 'site-l' + (p + 1) }));
    const ev = d.time_ms.map((t, i) => x(t).toFixed(1) + ',' + y(d.ev[i][p]).toFixed(1)).join(' ');
    svg.append(s('polyline', { points: ev, fill: 'none', stroke: '#2f7de1', 'stroke-width': 1, 'stroke-dasharray': '4 2', class: 'ev-l' + (p + 1) }));
  }
  if (lim) svg.append(s('line', { x1: L, x2: W - R, y1: y(lim), y2: y(lim), stroke: '#b3261e', 'stroke-width': 2, class: 'limit' }));
  for (let i = 0; i <= 4; i++) {
    const t = from + (to - from) * i / 4;
    const tx = s('text', { x: Math.min(x(t), W - 120), y: H - 6 });
    tx.textContent = new Date(t).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
    svg.append(tx);
  }
  put(where, svg,
    h('p', { class: 'legend' }, h('span', {}, 'solid: site current L1 (brown), L2 (black), L3 (grey)'),
      h('span', {}, 'dashed blue: cars'), h('span', {}, h('span', { class: 'sw limit' }), 'site limit')),
    d.time_ms.length ? null : h('p', { class: 'hint' }, 'No history yet: a point is recorded at the end of each minute.'));
}

/* Settings pages: forms made from the appliance's own rules. */
const BALANCING = ['mode', 'site_limit', 'group_limit', 'meter_offline_limit', 'margin',
  'offline_strategy', 'fallback_current', 'fallback_timeout', 'min_run', 'min_pause',
  'green_start', 'green_stop', 'poll_period'];

async function loadConfig() {
  const r = await api('GET', '/api/config');
  if (r.status !== 200) return null;
  S.schema = r.body.schema;
  return r.body;
}

function settingInput(sec, k, value) {
  const id = 'set-' + sec + '-' + k.key;
  let input;
  if (k.type === 'enum') {
    input = h('select', { id, name: k.key }, k.choices.map((c) => h('option', { value: c, selected: c === value }, c)));
  } else if (k.type === 'bool') {
    input = h('select', { id, name: k.key }, h('option', { value: 'yes', selected: value === 'yes' }, 'yes'),
      h('option', { value: 'no', selected: value === 'no' }, 'no'));
  } else {
    input = h('input', { id, name: k.key, value, inputmode: k.type === 'string' ? null : 'decimal' });
  }
  input.dataset.orig = value;
  const range = k.min !== undefined ? ' (' + k.min + '-' + k.max + (k.unit ? ' ' + k.unit : '') + ')' : '';
  return h('div', { class: 'setting' },
    h('label', { for: id }, k.key.replace(/_/g, ' ')),
    h('div', { class: 'row' }, input, k.unit ? h('span', { class: 'unit' }, k.unit) : null),
    h('p', { class: 'hint', id: id + '-help' }, k.help + range));
}

function settingsForm(cfg, section, keyNames, title) {
  const keys = cfg.schema.filter((k) => k.section === section.replace(/[0-9]+$/, '') &&
    (!keyNames || keyNames.includes(k.key)));
  if (keyNames) keys.sort((a, b) => keyNames.indexOf(a.key) - keyNames.indexOf(b.key));
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card', 'data-section': section },
    title ? h('h2', {}, title) : null,
    keys.map((k) => settingInput(section, k, cfg.config[section][k.key])),
    out, h('div', { class: 'actions' }, isInstaller() ? h('button', { type: 'submit' }, 'Save') : h('p', { class: 'hint' }, 'Only installers change settings.')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const el of form.querySelectorAll('input, select')) {
      el.classList.remove('invalid');
      if (el.value !== el.dataset.orig) body[el.name] = el.value;
    }
    if (!Object.keys(body).length) { message(out, 'Nothing changed.'); return; }
    const r = await sendConfirmed('PUT', '/api/config/' + section, body);
    if (r.status === 0) { message(out, 'Not saved: nothing changed.'); return; }
    if (r.status !== 200) {
      const f = r.body.field && form.querySelector('[name="' + r.body.field.split('.').pop() + '"]');
      if (f) { f.classList.add('invalid'); f.setAttribute('aria-invalid', 'true'); f.focus(); }
      message(out, r.body.error, true);
      return;
    }
    for (const el of form.querySelectorAll('input, select')) { el.dataset.orig = el.value; el.removeAttribute('aria-invalid'); }
    message(out, savedText(r.body));
    if (r.body.pending) setPending(r.body.pending);
  });
  return form;
}

async function pageSettings(title, sections, keyNames) {
  const cfg = await loadConfig();
  if (!cfg) return;
  put($('page'), h('h1', {}, title), ...sections.map((s) => settingsForm(cfg, s, keyNames)));
}

async function pageMetering() {
  const cfg = await loadConfig();
  if (!cfg) return;
  const live = h('p', { id: 'meter-live', 'aria-live': 'polite' });
  put($('page'), h('h1', {}, 'Metering'),
    h('section', { class: 'card' }, h('h2', {}, 'Live readings'), live),
    settingsForm(cfg, 'meter', null, 'Meter'),
    ...[1, 2, 3].map((i) => settingsForm(cfg, 'clamp' + i, ['enabled', 'ct_rating', 'register', 'type', 'word_swap', 'scale'], 'Clamp L' + i)));
  S.page = { live: (st) => {
    live.textContent = 'Meter ' + (st.meter_online ? 'online' : 'offline' + (st.meter_why ? ' (' + st.meter_why + ')' : '')) +
      ': L1 ' + fmtA(st.clamp[0]) + ', L2 ' + fmtA(st.clamp[1]) + ', L3 ' + fmtA(st.clamp[2]);
  } };
  if (S.status) S.page.live(S.status);
}

/* Chargers: list, add, edit, test, decommission. */
async function pageChargers() {
  const r = await api('GET', '/api/chargers');
  const cfg = await loadConfig();
  if (r.status !== 200 || !cfg) return;
  const out = h('div', { 'aria-live': 'polite', id: 'chargers-msg' });
  const list = r.body.chargers.map((c) => {
    const test = async () => {
      message(out, 'Reaching ' + c.name + '…');
      const t = await api('POST', '/api/chargers/' + c.id + '/test');
      if (t.status !== 200) message(out, t.body.error, true);
      else if (!t.body.reachable) message(out, c.name + ' (' + t.body.host + ':' + t.body.port + ') does not answer: ' + t.body.error, true);
      else {
        const said = c.name + ' answers: register map v' + t.body.map_version + ', ' + t.body.connectors + ' connector(s), firmware ' + t.body.firmware + ', serial ' + t.body.serial + ', ' + t.body.temperature + ' °C';
        // A charger that will not take this appliance's writes cannot be
        // balanced: say how to allow them (its link.masters).
        if (t.body.writable) message(out, said + '; it takes this appliance\'s writes.');
        else message(out, said + '. But ' + t.body.write_error, true);
      }
    };
    const remove = async () => {
      if (!confirm('Decommission ' + c.name + '? It is paused now (its fallback current set to 0 A) and leaves the group at the next restart; its sessions and events stay.')) return;
      let d = await api('DELETE', '/api/chargers/' + c.id);
      /* a car there: say so, and end its session only when asked */
      if (d.status === 409 && d.body.field === 'stop') {
        if (!confirm(d.body.error.replace(/; send stop=yes to go on$/, '') + '.\n\nStop the charging and decommission ' + c.name + '?')) return;
        d = await api('DELETE', '/api/chargers/' + c.id + '?stop=yes');
      }
      message(out, d.status === 200 ? c.name + ' removed: ' + d.body.result : d.body.error, d.status !== 200);
      if (d.status === 200) setTimeout(route, 800);
    };
    const edit = settingsForm(cfg, 'charger' + c.id, null, 'Edit ' + c.name);
    edit.hidden = true;
    return h('article', { class: 'card', 'data-charger': c.name },
      h('h2', {}, c.name),
      h('p', {}, c.host + ':' + c.port + ' · unit ' + c.unit_id + ' · ' + c.connectors + ' connector(s) · ' +
        'connector 1 ' + c.phase1 + ' max ' + c.max_current1 + ' A' +
        (c.connectors === '2' ? ' · connector 2 ' + c.phase2 + ' max ' + c.max_current2 + ' A' : '')),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: test }, 'Test connection'),
        isInstaller() ? h('button', { type: 'button', class: 'secondary', onclick: () => { edit.hidden = !edit.hidden; } }, 'Edit') : null,
        isInstaller() ? h('button', { type: 'button', class: 'danger', onclick: remove }, 'Decommission') : null),
      edit);
  });
  const add = h('form', { class: 'card', id: 'add-charger' }, h('h2', {}, 'Add a charger'),
    ...[['name', 'Name', 'bay-013'], ['host', 'IPv4 address', '192.168.10.23'], ['port', 'Modbus TCP port', '502'],
      ['unit_id', 'Unit id', '1']].map(([k, l, ph]) => [h('label', { for: 'add-' + k }, l), h('input', { id: 'add-' + k, name: k, placeholder: ph })]),
    h('label', { for: 'add-connectors' }, 'Connectors'),
    h('select', { id: 'add-connectors', name: 'connectors' }, h('option', { value: '2' }, '2'), h('option', { value: '1' }, '1')),
    ...[1, 2].map((n) => [
      h('label', { for: 'add-phase' + n }, 'Connector ' + n + ' wiring'),
      h('select', { id: 'add-phase' + n, name: 'phase' + n }, ['L1L2L3', 'L2L3L1', 'L3L1L2', 'L1', 'L2', 'L3'].map((p) => h('option', {}, p))),
      h('label', { for: 'add-max' + n }, 'Connector ' + n + ' max current (A)'),
      h('input', { id: 'add-max' + n, name: 'max_current' + n, value: '32', inputmode: 'decimal' })]),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add charger')));
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const el of add.querySelectorAll('input, select')) { el.classList.remove('invalid'); if (el.value !== '') body[el.name] = el.value; }
    const a = await api('POST', '/api/chargers', body);
    if (a.status !== 201) {
      const f = a.body.field && add.querySelector('[name="' + a.body.field.split('.').pop() + '"]');
      if (f) { f.classList.add('invalid'); f.focus(); }
      message(out, a.body.error, true);
      return;
    }
    message(out, 'Added as charger ' + a.body.id + ': ' + a.body.result);
    setTimeout(route, 800);
  });
  put($('page'), h('h1', {}, 'Chargers'),
    r.body.restart_needed ? h('p', { class: 'msg' }, 'Changes to the chargers take effect after a restart (banner above).') : null,
    out, ...list, isInstaller() ? add : null);
}

/* Authorisation: plug and charge, or the RFID whitelist. */
async function pageAuthorisation() {
  const cfg = await loadConfig();
  const r = await api('GET', '/api/rfid');
  if (!cfg || r.status !== 200) return;
  const out = h('div', { 'aria-live': 'polite' });
  const rows = r.body.tags.map((t) => [t.tag, t.name, t.status || (t.enabled ? 'enabled' : 'disabled'),
    t.valid_until_ms ? fmtTime(t.valid_until_ms) : 'no end',
    isInstaller() ? h('span', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', onclick: async () => {
        const x = await api('POST', '/api/rfid', { tag: t.tag, name: t.name, enabled: !t.enabled, valid_until_ms: t.valid_until_ms, replace: true });
        if (x.status >= 300) message(out, x.body.error, true); else route();
      } }, t.enabled ? 'Disable' : 'Enable'),
      h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!confirm('Remove tag ' + t.tag + '?')) return;
        const x = await api('DELETE', '/api/rfid/' + encodeURIComponent(t.tag));
        if (x.status !== 200) message(out, x.body.error, true); else route();
      } }, 'Remove')) : '']);
  const add = h('form', { class: 'card', id: 'add-tag' }, h('h2', {}, 'Add a tag'),
    h('label', { for: 'tag-uid' }, 'Tag (the card\'s UID)'), h('input', { id: 'tag-uid', name: 'tag', required: true }),
    h('label', { for: 'tag-name' }, 'Name'), h('input', { id: 'tag-name', name: 'name' }),
    h('label', { for: 'tag-until' }, 'Valid until (optional)'), h('input', { id: 'tag-until', name: 'until', type: 'date' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add tag')));
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { tag: $('tag-uid').value.trim(), name: $('tag-name').value, enabled: true };
    if ($('tag-until').value) body.valid_until_ms = new Date($('tag-until').value + 'T23:59:59').getTime();
    let x = await api('POST', '/api/rfid', body);
    /* a tag on the list already: overwrite it only when asked */
    if (x.status === 409 && confirm(x.body.error.replace(/: send .*$/, '') + '. Overwrite it with \'' + body.name + '\'?')) {
      body.replace = true;
      x = await api('POST', '/api/rfid', body);
    }
    if (x.status >= 300) { message(out, x.body.error, true); return; }
    route();
  });
  put($('page'), h('h1', {}, 'Authorisation'),
    settingsForm(cfg, 'site', ['authorisation'], 'Mode'),
    h('section', { class: 'card' }, h('h2', {}, 'RFID whitelist'), out,
      rows.length ? table(['Tag', 'Name', 'State', 'Valid until', ''], rows) : h('p', { class: 'hint' }, 'No tags yet.')),
    isInstaller() ? add : null);
}

function dayInput(id, label, ms) {
  const d = new Date(ms);
  const v = d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0') + '-' + String(d.getDate()).padStart(2, '0');
  return h('label', { for: id }, label, h('input', { id, type: 'date', value: v }));
}

function rangeQuery(fromId, toId) {
  const from = new Date($(fromId).value + 'T00:00:00').getTime();
  const to = new Date($(toId).value + 'T00:00:00').getTime() + 86400000;
  return 'from=' + from + '&to=' + to;
}

/* Sessions: filter and CSV. */
async function pageSessions() {
  const now = Date.now();
  const list = h('div', { id: 'sessions-list' });
  const charger = h('input', { id: 'ses-charger', placeholder: 'all' });
  const conn = h('select', { id: 'ses-conn' }, h('option', { value: '' }, 'all'), h('option', { value: '1' }, '1'), h('option', { value: '2' }, '2'));
  const tag = h('input', { id: 'ses-tag', placeholder: 'all', autocomplete: 'off' });
  const csv = h('a', { id: 'sessions-csv', href: '/api/sessions.csv', download: 'sessions.csv' }, 'Download CSV');
  const load = async () => {
    const q = rangeQuery('ses-from', 'ses-to') + (charger.value ? '&charger=' + encodeURIComponent(charger.value) : '') +
      (conn.value ? '&connector=' + conn.value : '') + (tag.value ? '&tag=' + encodeURIComponent(tag.value) : '');
    csv.href = '/api/sessions.csv?' + q;
    const r = await api('GET', '/api/sessions?' + q);
    if (r.status !== 200) { message(list, r.body.error, true); return; }
    list.replaceChildren(r.body.sessions.length ? table(['Charger', 'Connector', 'Start', 'End', 'Energy', 'Peak', 'Tag', 'Stop reason'],
      r.body.sessions.map((s) => [s.charger, s.connector, fmtTime(s.start_ms), s.end_ms ? fmtTime(s.end_ms) : 'in progress',
        (s.energy_wh / 1000).toFixed(2) + ' kWh', fmtA(s.peak_current), s.tag_name ? s.tag + ' (' + s.tag_name + ')' : s.tag, s.reason])) : h('p', { class: 'hint' }, 'No sessions in this range.'));
  };
  const f = h('form', { class: 'filters card' }, dayInput('ses-from', 'From', now - 30 * 86400000), dayInput('ses-to', 'To', now),
    h('label', { for: 'ses-charger' }, 'Charger', charger), h('label', { for: 'ses-conn' }, 'Connector', conn),
    h('label', { for: 'ses-tag' }, 'RFID tag', tag), h('button', { type: 'submit' }, 'Show'), csv);
  f.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  put($('page'), h('h1', {}, 'Sessions'), f, list);
  await load();
}

async function pageEvents() {
  const now = Date.now();
  const list = h('div', { id: 'events-list' });
  const sev = h('select', { id: 'ev-sev' }, h('option', { value: 'info' }, 'all'), h('option', { value: 'warning' }, 'warnings and alarms'), h('option', { value: 'alarm' }, 'alarms'));
  const load = async () => {
    const r = await api('GET', '/api/events?' + rangeQuery('ev-from', 'ev-to') + '&severity=' + sev.value + '&limit=500');
    if (r.status !== 200) { message(list, r.body.error, true); return; }
    list.replaceChildren(table(['Time', 'Severity', 'Source', 'Event'], r.body.events.map((e) =>
      [fmtTime(e.time_ms), h('span', { class: 'sev' + e.severity }, ['info', 'warning', 'alarm'][e.severity]), e.source, e.text])));
  };
  const f = h('form', { class: 'filters card' }, dayInput('ev-from', 'From', now - 7 * 86400000), dayInput('ev-to', 'To', now),
    h('label', { for: 'ev-sev' }, 'Severity', sev), h('button', { type: 'submit' }, 'Show'));
  f.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  put($('page'), h('h1', {}, 'Events'), f, list);
  S.page = { event: () => load() };
  await load();
}

/* Users: your password; installers manage logins. */
async function pageUsers() {
  const out = h('div', { 'aria-live': 'polite', id: 'users-msg' });
  const pw = h('form', { class: 'card', id: 'own-password' }, h('h2', {}, 'Your password'),
    h('label', { for: 'own-old' }, 'Current password'), h('input', { id: 'own-old', type: 'password', autocomplete: 'current-password' }),
    h('label', { for: 'own-new' }, 'New password'), h('input', { id: 'own-new', type: 'password', autocomplete: 'new-password' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Change password')));
  pw.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await api('POST', '/api/password', { old: $('own-old').value, new: $('own-new').value });
    message(out, r.status === 200 ? 'Password changed.' : r.body.error, r.status !== 200);
  });
  const parts = [h('h1', {}, 'Users'), out, pw];
  if (isInstaller()) {
    const r = await api('GET', '/api/users');
    if (r.status === 200) parts.push(h('section', { class: 'card' }, h('h2', {}, 'Logins'),
      table(['Name', 'Role', ''], r.body.users.map((u) => [u.name, u.role + (u.must_change ? ' (to choose a password)' : ''),
        u.name === S.session.user ? '' : h('span', { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', onclick: async () => {
            const p = prompt('New password for ' + u.name + ' (they choose their own at the next login):');
            if (!p) return;
            const x = await api('PUT', '/api/users/' + encodeURIComponent(u.name), { password: p });
            message(out, x.status === 200 ? x.body.result : x.body.error, x.status !== 200);
          } }, 'Reset password'),
          h('button', { type: 'button', class: 'danger', onclick: async () => {
            if (!confirm('Remove ' + u.name + '?')) return;
            const x = await api('DELETE', '/api/users/' + encodeURIComponent(u.name));
            if (x.status !== 200) message(out, x.body.error, true); else route();
          } }, 'Remove'))]))));
    const add = h('form', { class: 'card', id: 'add-user' }, h('h2', {}, 'Add a login'),
      h('label', { for: 'nu-name' }, 'Name'), h('input', { id: 'nu-name', autocomplete: 'off' }),
      h('label', { for: 'nu-role' }, 'Role'), h('select', { id: 'nu-role' }, h('option', { value: 'operator' }, 'operator'), h('option', { value: 'installer' }, 'installer')),
      h('label', { for: 'nu-pw' }, 'First password'), h('input', { id: 'nu-pw', type: 'password', autocomplete: 'new-password' }),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add login')));
    add.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const x = await api('POST', '/api/users', { name: $('nu-name').value, role: $('nu-role').value, password: $('nu-pw').value });
      if (x.status !== 201) { message(out, x.body.error, true); return; }
      route();
    });
    parts.push(add);
  }
  put($('page'), ...parts);
}

/* --- start ------------------------------------------------------------------ */

(async () => {
  const r = await api('GET', '/api/session');
  if (r.status === 200) startSession(r.body); else showLogin();
})();
