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
const fmtA = (v) => (v === undefined || v === null ? '-' : fmtNum(v, 1) + ' A');
const fmtTime = fmtDate;
function fmtDur(s) {
  s = Math.floor(s || 0);
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60);
  return t('conn.duration', hh, String(mm).padStart(2, '0'));
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
    return { status: 0, body: { error: t('common.noAnswer') } };
  }
  let j = null;
  const txt = await r.text();
  try { j = JSON.parse(txt); } catch (e) { j = { text: txt }; }
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
    $('login-error').textContent = r.body.error || t('login.failed');
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
  $('who-name').textContent = t('login.who', s.user, t('common.role.' + s.role));
  if (s.must_change) { pageForcedPassword(); return; }
  /* a building management system's login: the API's external limit only */
  if (s.role === 'bms') { put($('page'), h('div', { class: 'card narrow' }, h('h1', {}, t('bms.title')), h('p', {}, t('bms.text')))); return; }
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
    if (S.status) banner(t('banner.lost'));
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
    b.append(t('banner.pending'));
    b.append(h('ul', { id: 'pending' }, (S.pending || []).map((p) => h('li', {}, pendingText(p)))));
    if (isInstaller())
      b.append(h('button', { type: 'button', class: 'secondary', onclick: restart }, t('banner.restartNow')));
  } else if (S.status && !S.status.meter_online && S.status.mode !== 'static') {
    b.classList.add('bad');
    b.append(t('banner.meterOffline', fmtA(S.status.offline_limit)));
  }
  b.hidden = b.childNodes.length === 0;
}

/* A pending setting in words (the installer's, not its key): what is in
 * force, what the restart brings. */
function pendingText(p) {
  const name = p.words || p.setting;
  if (p.in_force === '') return t('pending.added', name, p.after_restart);
  if (p.after_restart === 'decommissioned') return t('pending.decommissioned', name);
  return t('pending.change', name, p.in_force, p.after_restart);
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
    const lines = r.body.confirm.map((c) => t('save.raiseLine', c.words || c.setting, c.from, c.to, c.consequence));
    if (!confirm(t('save.raiseAsk', lines.join('\n\n'))))
      return { status: 0, body: { result: 'cancelled' } };
    r = await api(method, path, Object.assign({}, body, { confirm: true }));
  }
  return r;
}

/* What a saved change did, in the installer's words: in force now, and
 * what waits for a restart. */
function savedText(b) {
  const parts = [];
  const now = b.in_force_words || b.in_force, later = b.after_restart_words || b.after_restart;
  if (now && now.length) parts.push(t('save.inForce', now.join(', ')));
  if (later && later.length) parts.push(t('save.afterRestart', later.join(', ')));
  return parts.length ? parts.join(' ') : t('save.saved', b.result);
}

async function restart() {
  if (!confirm(t('restart.ask'))) return;
  await api('POST', '/api/restart');
  banner(t('banner.restarting'));
  setTimeout(() => location.reload(), 5000);
}

/* --- pages ----------------------------------------------------------------- */

const pages = {
  dashboard: pageDashboard, history: pageHistory, chargers: pageChargers,
  balancing: () => pageSettings(t('settings.balancing'), ['site'], BALANCING),
  metering: pageMetering, authorisation: pageAuthorisation,
  smart: () => pageSettings(t('settings.smart'), ['smart'], null),
  mqtt: () => pageSettings(t('settings.mqtt'), ['mqtt'], null),
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
    h('h1', {}, t('password.title')),
    h('p', {}, t('password.why')),
    h('label', { for: 'pw-old' }, t('password.current')),
    h('input', { id: 'pw-old', type: 'password', autocomplete: 'current-password', required: true }),
    h('label', { for: 'pw-new' }, t('password.new')),
    h('input', { id: 'pw-new', type: 'password', autocomplete: 'new-password', required: true }),
    err, h('button', { type: 'submit' }, t('password.save')));
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
  /* the circuits and the site's limits (circuitbars.js) */
  const limits = h('div', { id: 'site-limits', hidden: true });
  put(p, h('h1', {}, t('dashboard.title')), alarms,
    h('section', { class: 'card', 'aria-labelledby': 'ph-h' },
      h('h2', { id: 'ph-h' }, t('dashboard.supply')), phases,
      h('p', { class: 'legend' },
        h('span', {}, h('span', { class: 'sw nonev' }), t('dashboard.building')),
        h('span', {}, h('span', { class: 'sw ev' }), t('dashboard.cars')),
        h('span', {}, h('span', { class: 'sw limit' }), t('dashboard.limit')),
        h('span', {}, h('span', { class: 'sw fuse' }), t('dashboard.fuse'))), limits),
    out, h('h2', {}, t('dashboard.connectors')), conns);
  S.page = { live: (st) => { drawAlarms(st, alarms); drawDashboard(st, phases, conns, out); drawSiteLimits(st, limits); } };
  if (S.status) S.page.live(S.status);
}

/* What is wrong now (status "alarms"): shown while it lasts. */
function drawAlarms(st, el) {
  const a = st.alarms || [];
  el.hidden = a.length === 0;
  put(el, h('h2', {}, t('dashboard.alarms', st.alarms_total || a.length)),
    h('ul', {}, a.map((x) => h('li', { class: 'sev' + x.severity, 'data-code': x.code, 'data-acked': x.acknowledged ? 'yes' : 'no' },
      (x.since_ms ? t('dashboard.since', x.text, fmtTime(x.since_ms)) : x.text) +
      (x.acknowledged ? t('dashboard.acked', x.ack_by, fmtTime(x.ack_ms)) : '')))),
    h('p', {}, h('a', { href: '#/alarms' }, t('dashboard.ackLink'))));
}

function drawDashboard(st, phases, conns, out) {
  const scale = Math.max(st.site_limit, ...st.clamp, 1) * 1.1;
  phases.replaceChildren(...[0, 1, 2].map((i) => {
    const nonev = Math.max(0, st.non_ev[i]), ev = Math.max(0, st.ev[i]);
    const total = nonev + ev, lim = st.limit[i], exp = st.export ? st.export[i] : 0;
    const bar = h('div', { class: 'bar' + (total > 0.9 * lim ? ' warn' : ''), role: 'img',
      'aria-label': t(exp > 0 ? 'dashboard.barLabelExport' : 'dashboard.barLabel', i + 1, fmtA(exp > 0 ? exp : nonev), fmtA(ev), fmtA(lim)) });
    const a = h('div', { class: 'nonev' }), b = h('div', { class: 'ev' }), l = h('div', { class: 'limit', 'data-limit': lim });
    const f = h('div', { class: 'fuse', title: t('dashboard.fuseTitle', fmtA(st.site_limit)) });
    f.style.left = 'calc(' + (100 * st.site_limit / scale) + '% - 1px)';
    a.style.width = (100 * nonev / scale) + '%';
    b.style.left = (100 * nonev / scale) + '%';
    b.style.width = (100 * ev / scale) + '%';
    l.style.left = 'calc(' + (100 * lim / scale) + '% - 1px)';
    bar.append(a, b, f, l);
    return h('div', { class: 'phase' }, h('strong', {}, 'L' + (i + 1)), bar,
      h('div', { class: 'nums' }, phaseNums(st, i, nonev, ev, lim, exp)));
  }));
  const sum = h('p', { class: 'hint', id: 'dash-summary' }, t('dashboard.summary', st.mode, fmtA(st.group_limit),
    st.meter_online ? t('dashboard.meterOnline') : t('dashboard.meterOffline'), st.charging, st.waiting), greenText(st));
  phases.append(sum);
  conns.replaceChildren(...st.connectors.map((c) => connCard(c, out, st.time_ms)));
}

/*
 * A phase in figures. On a solar site (hybrid, green) what the cars
 * really share is the surplus, not what the fuse leaves: the export
 * ("exporting 25.0 A", not "building 0.0 A"), the surplus and what the
 * cars may take (may_take; the fuse's share stays, as what it leaves).
 */
function phaseNums(st, i, nonev, ev, lim, exp) {
  const load = exp > 0 ? t('dashboard.exporting', fmtA(exp)) : t('dashboard.buildingA', fmtA(nonev));
  if (st.mode !== 'hybrid' && st.mode !== 'green')
    return load + t('dashboard.nums', fmtA(ev), fmtA(st.clamp[i]), fmtA(lim), fmtA(st.available[i]));
  return load + t('dashboard.numsSolar', fmtA(ev), fmtA(st.clamp[i]), fmtA(st.surplus[i]), fmtA(st.may_take[i]),
    fmtA(st.available[i]));
}

/* Green mode's timers, counted down on the appliance's clock. */
function greenText(st) {
  if (st.mode !== 'green') return null;
  const left = (ms) => fmtLeft(ms - st.time_ms);
  return h('span', { id: 'dash-green' },
    st.green_stop_ms ? t('dashboard.greenStop', left(st.green_stop_ms))
      : st.green_start_ms ? t('dashboard.greenStart', left(st.green_start_ms)) : t('dashboard.greenWait'));
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
    if (verb === 'reset' && !confirm(t('conn.resetAsk', c.charger, c.connector))) return;
    const r = await api('POST', '/api/chargers/' + c.charger_id + '/connectors/' + c.connector + '/' + verb);
    /* the answer is the charger's: done, or refused and why */
    message(out, r.status === 200 ? t('conn.done', c.charger, c.connector, verb) : r.body.error, r.status !== 200);
  };
  const btn = (verb, label) => h('button', { type: 'button', class: 'secondary', onclick: act(verb), 'data-action': verb }, label);
  return h('article', { class: 'card conn' + (c.online ? '' : ' offline'), id: 'conn-' + id, 'data-state': c.state },
    h('h3', {}, h('span', { class: 'led led-' + (c.online ? c.led_colour : 'off'), title: t('conn.led', c.led) }),
      t('conn.title', c.charger, c.connector)),
    h('dl', {},
      h('dt', {}, t('conn.state')), h('dd', { class: 'state' }, c.online ? (c.paused ? t('conn.pausedByOperator', tOr('state.' + c.state, c.state)) : tOr('state.' + c.state, c.state)) : t('conn.offline')),
      h('dt', {}, t('conn.offer')), h('dd', {}, t('conn.offerText', fmtA(c.offer), fmtA(c.setpoint))),
      h('dt', {}, t('conn.why')), h('dd', { class: 'why', 'data-reason': c.reason }, whyText(c, now)),
      c.ocpp_cap != null ? [h('dt', {}, t('conn.ocppCap')), h('dd', { class: 'ocpp-cap' }, t('conn.ocppCapText', fmtA(c.ocpp_cap)))] : null,
      h('dt', {}, t('conn.draw')), h('dd', {}, c.current.map((v) => fmtNum(v, 1)).join(' / ') + ' A'),
      h('dt', {}, t('conn.session')), h('dd', {}, t('conn.sessionText', fmtNum(c.session_wh / 1000, 2), fmtDur(c.session_s))),
      h('dt', {}, t('conn.wiring')), h('dd', {}, t('conn.wiringText', c.phase, fmtA(c.max_current))),
      c.faults.length ? [h('dt', {}, t('conn.faults')), h('dd', { class: 'sev2' }, c.faults.join(', '))] : null,
      ocppConnLine(c)),
    h('div', { class: 'actions' },
      c.paused ? btn('resume', t('conn.resume')) : btn('pause', t('conn.pause')),
      c.state === 'locked' ? btn('unlock', t('conn.unlock')) : btn('lock', t('conn.lock')),
      btn('boost', t('conn.boost')),
      c.state === 'waiting-for-authorisation' ? btn('authorise', t('conn.authorise')) : null,
      c.faults.length ? btn('reset', t('conn.reset')) : null));
}

/* History: per-phase site and car current, with the limit. */
async function pageHistory() {
  const p = $('page');
  const sel = h('select', { id: 'hist-range' },
    h('option', { value: '1' }, t('history.day')), h('option', { value: '7' }, t('history.week')));
  const plot = h('div', { id: 'hist-plot' });
  put(p, h('h1', {}, t('history.title')),
    h('div', { class: 'filters' }, h('label', { for: 'hist-range' }, t('history.range'), sel)), plot);
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
    'aria-label': t('history.plotLabel') });
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
    tx.textContent = new Date(t).toLocaleString(LOCALE, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
    svg.append(tx);
  }
  put(where, svg,
    h('p', { class: 'legend' }, h('span', {}, t('history.legendSite')),
      h('span', {}, t('history.legendCars')), h('span', {}, h('span', { class: 'sw limit' }), t('history.legendLimit'))),
    d.time_ms.length ? null : h('p', { class: 'hint' }, t('history.empty')));
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

/* A setting's name for people: a translation's, else the appliance's
 * (schema "label"), with its unit: "Connector 1: maximum current (A)". */
function settingLabel(k) {
  const key = 'setting.' + k.section + '.' + k.key, own = t(key);
  const w = own !== key ? own : k.label || k.key.replace(/_/g, ' ');
  const cap = w.charAt(0).toUpperCase() + w.slice(1);
  return k.unit ? t('common.unit', cap, k.unit) : cap;
}

const isNumber = (k) => k.type === 'int' || k.type === 'decimal';

function settingInput(sec, k, value) {
  const id = 'set-' + sec + '-' + k.key, ro = !isInstaller();
  let input;
  if (k.type === 'enum') {
    input = h('select', { id, name: k.key, disabled: ro }, k.choices.map((c) => h('option', { value: c, selected: c === value }, tOr('choice.' + c, c))));
  } else if (k.type === 'bool') {
    input = h('select', { id, name: k.key, disabled: ro }, h('option', { value: 'yes', selected: value === 'yes' }, t('common.yes')),
      h('option', { value: 'no', selected: value === 'no' }, t('common.no')));
  } else {
    input = h('input', { id, name: k.key, value: isNumber(k) ? numShown(value) : value, readonly: ro, disabled: ro,
      inputmode: isNumber(k) ? 'decimal' : null, 'aria-describedby': id + '-help' });
  }
  input.dataset.orig = input.value;
  const lo = k.type === 'decimal' ? fmtNum(k.min, 1) : k.min, hi = k.type === 'decimal' ? fmtNum(k.max, 1) : k.max;
  const range = k.min !== undefined ? ' (' + lo + '-' + hi + (k.unit ? ' ' + k.unit : '') + ')' : '';
  return h('div', { class: 'setting', 'data-key': k.key },
    h('label', { for: id }, settingLabel(k)),
    h('div', { class: 'row' }, input, k.unit ? h('span', { class: 'unit' }, k.unit) : null),
    h('p', { class: 'hint', id: id + '-help' }, k.help + range));
}

/* The appliance's error where it belongs: next to its field (marked
 * invalid, focused, in view), else in out. Errors shown before go. */
function fieldError(form, out, r) {
  clearErrors(form);
  const name = r.body.field ? r.body.field.split('.').pop() : '';
  const f = name && form.querySelector('[name="' + name + '"]');
  if (!f) { message(out, r.body.error, true); return; }
  const id = (f.id || 'field-' + name) + '-error';
  f.classList.add('invalid');
  f.setAttribute('aria-invalid', 'true');
  f.setAttribute('aria-describedby', id + (f.getAttribute('aria-describedby') ? ' ' + f.getAttribute('aria-describedby') : ''));
  (f.closest('.row') || f).after(h('p', { class: 'msg bad field-error', id, role: 'alert' }, r.body.error));
  f.scrollIntoView({ block: 'center' });
  f.focus();
  out.replaceChildren();
}

function clearErrors(form) {
  for (const e of form.querySelectorAll('.field-error')) e.remove();
  for (const el of form.querySelectorAll('[aria-invalid]')) {
    el.classList.remove('invalid');
    el.removeAttribute('aria-invalid');
    el.setAttribute('aria-describedby', (el.getAttribute('aria-describedby') || '').split(' ')
      .filter((d) => !d.endsWith('-error')).join(' '));
  }
}

/* What the form would send: each changed value, numbers with a point. */
function formChanges(form) {
  const body = {};
  for (const el of form.querySelectorAll('input, select')) {
    if (el.value === el.dataset.orig || el.disabled) continue;
    body[el.name] = el.inputMode === 'decimal' ? typedNum(el.value) : el.value;
  }
  return body;
}

/* A charger's connector 2 settings show only when it has two. */
function connectorRows(form) {
  const n = form.querySelector('[name="connectors"]');
  if (!n) return;
  const show = () => {
    for (const row of form.querySelectorAll('.setting[data-key$="2"]')) row.hidden = typedNum(n.value) === '1';
  };
  n.addEventListener('input', show);
  show();
}

function settingsForm(cfg, section, keyNames, title, onSaved) {
  const keys = cfg.schema.filter((k) => k.section === section.replace(/[0-9]+$/, '') &&
    (!keyNames || keyNames.includes(k.key)));
  if (keyNames) keys.sort((a, b) => keyNames.indexOf(a.key) - keyNames.indexOf(b.key));
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'card' + (isInstaller() ? '' : ' readonly'), 'data-section': section, novalidate: true },
    title ? h('h2', {}, title) : null,
    isInstaller() ? null : h('p', { class: 'hint' }, t('settings.readOnly')),
    keys.map((k) => settingInput(section, k, cfg.config[section][k.key])),
    out, isInstaller() ? h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('common.save'))) : null);
  if (section.startsWith('charger')) connectorRows(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = formChanges(form);
    if (!Object.keys(body).length) { message(out, t('save.nothing')); return; }
    const r = await sendConfirmed('PUT', '/api/config/' + section, body);
    if (r.status === 0) { message(out, t('save.cancelled')); return; }
    if (r.status !== 200) { fieldError(form, out, r); return; }
    for (const el of form.querySelectorAll('input, select')) el.dataset.orig = el.value;
    message(out, savedText(r.body));
    if (r.body.pending) setPending(r.body.pending);
    if (onSaved) onSaved(r.body);
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
  put($('page'), h('h1', {}, t('metering.title')),
    h('section', { class: 'card' }, h('h2', {}, t('metering.live')), live),
    h('p', { class: 'hint' }, t('metering.notUsed')),
    settingsForm(cfg, 'meter', null, t('metering.meter')),
    ...[1, 2, 3].map((i) => settingsForm(cfg, 'clamp' + i, ['enabled', 'ct_rating', 'register', 'type', 'word_swap', 'scale'], t('metering.clamp', i))));
  meterFields($('page'));
  $('page').querySelector('form[data-section=meter]').addEventListener('input', () => meterFields($('page')));
  S.page = { live: (st) => {
    live.textContent = t('metering.liveText', st.meter_online ? t('metering.online') : st.meter_why ? t('metering.offlineWhy', st.meter_why) : t('metering.offline'),
      fmtA(st.clamp[0]), fmtA(st.clamp[1]), fmtA(st.clamp[2]));
  } };
  if (S.status) S.page.live(S.status);
}

/*
 * The metering fields the chosen meter uses, as chosen in the form (not
 * yet saved): the address and port over TCP, the serial line's over RTU;
 * a clamp's register layout for the generic driver only (the Sense kit
 * and the SDM meters have theirs built in), clamp L1 only for the
 * single-phase SDM120; nothing but "fitted" without a meter. Hidden, not cleared: a change of mind brings them back.
 */
const METER_RTU = ['device', 'baud', 'parity'], METER_TCP = ['host', 'port'];
const CLAMP_GENERIC = ['register', 'type', 'word_swap', 'scale'];
function meterFields(page) {
  const mf = page.querySelector('form[data-section=meter]');
  const val = (n) => mf.querySelector('[name="' + n + '"]').value;
  const on = val('enabled') === 'yes', tcp = val('transport') === 'tcp', generic = val('driver') === 'generic';
  const onePhase = val('driver') === 'sdm120';
  for (const row of mf.querySelectorAll('.setting')) {
    const k = row.dataset.key;
    row.hidden = k !== 'enabled' && (!on || (METER_RTU.includes(k) && tcp) || (METER_TCP.includes(k) && !tcp));
  }
  for (const f of page.querySelectorAll('form[data-section^=clamp]')) {
    f.hidden = !on || (onePhase && f.dataset.section !== 'clamp1');
    for (const row of f.querySelectorAll('.setting')) row.hidden = CLAMP_GENERIC.includes(row.dataset.key) && !generic;
  }
}

/* Chargers: list, add, edit, test, decommission. */
async function pageChargers() {
  const r = await api('GET', '/api/chargers');
  const cfg = await loadConfig();
  if (r.status !== 200 || !cfg) return;
  const out = h('div', { 'aria-live': 'polite', id: 'chargers-msg' });
  const list = r.body.chargers.map((c) => {
    const test = async () => {
      message(out, t('chargers.reaching', c.name));
      const tr = await api('POST', '/api/chargers/' + c.id + '/test');
      if (tr.status !== 200) message(out, tr.body.error, true);
      else if (!tr.body.reachable) message(out, t('chargers.noAnswer', c.name, tr.body.host, tr.body.port, tr.body.error), true);
      else {
        const said = t('chargers.answers', c.name, tr.body.map_version, tr.body.connectors, tr.body.firmware, tr.body.serial, fmtNum(tr.body.temperature, 1));
        // A charger that will not take this appliance's writes cannot be
        // balanced: say how to allow them (its link.masters).
        if (tr.body.writable) message(out, t('chargers.writable', said));
        else message(out, t('chargers.notWritable', said, tr.body.write_error), true);
      }
    };
    const remove = async () => {
      if (!confirm(t('chargers.decommissionAsk', c.name))) return;
      let d = await api('DELETE', '/api/chargers/' + c.id);
      /* a car there: say so, and end its session only when asked */
      if (d.status === 409 && d.body.field === 'stop') {
        if (!confirm(t('chargers.stopAsk', d.body.error.replace(/; send stop=yes to go on$/, ''), c.name))) return;
        d = await api('DELETE', '/api/chargers/' + c.id + '?stop=yes');
      }
      message(out, d.status === 200 ? t('chargers.removed', c.name, d.body.result) : d.body.error, d.status !== 200);
      if (d.status === 200) setTimeout(route, 800);
    };
    const edit = ocppWriteOnly(settingsForm(cfg, 'charger' + c.id, null, t('chargers.edit', c.name)));
    edit.hidden = true;
    return h('article', { class: 'card', 'data-charger': c.name },
      h('h2', {}, c.name),
      h('p', {}, t('chargers.summary', c.host, c.port, c.unit_id, c.connectors, c.phase1, numShown(c.max_current1)) +
        (c.connectors === '2' ? t('chargers.summary2', c.phase2, numShown(c.max_current2)) : '')),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: test }, t('chargers.test')),
        isInstaller() ? h('button', { type: 'button', class: 'secondary', onclick: () => { edit.hidden = !edit.hidden; } }, t('chargers.editButton')) : null,
        isInstaller() ? h('button', { type: 'button', class: 'danger', onclick: remove }, t('chargers.decommission')) : null),
      edit);
  });
  const add = h('form', { class: 'card', id: 'add-charger' }, h('h2', {}, t('chargers.add')),
    ...[['name', t('chargers.name'), 'bay-013'], ['host', t('chargers.host'), '192.168.10.23'], ['port', t('chargers.port'), '502'],
      ['unit_id', t('chargers.unit'), '1']].map(([k, l, ph]) => [h('label', { for: 'add-' + k }, l), h('input', { id: 'add-' + k, name: k, placeholder: ph })]),
    h('label', { for: 'add-connectors' }, t('chargers.connectors')),
    h('select', { id: 'add-connectors', name: 'connectors' }, h('option', { value: '2' }, '2'), h('option', { value: '1' }, '1')),
    ...[1, 2].map((n) => h('div', { class: 'setting', 'data-key': 'connector' + n },
      h('label', { for: 'add-phase' + n }, t('chargers.wiring', n)),
      h('select', { id: 'add-phase' + n, name: 'phase' + n }, ['L1L2L3', 'L2L3L1', 'L3L1L2', 'L1', 'L2', 'L3'].map((p) => h('option', {}, p))),
      h('label', { for: 'add-max' + n }, t('chargers.max', n)),
      h('div', { class: 'row' }, h('input', { id: 'add-max' + n, name: 'max_current' + n, value: numShown('32.0'), inputmode: 'decimal' })))),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('chargers.addButton'))));
  connectorRows(add);
  const addOut = h('div', { 'aria-live': 'polite', id: 'add-charger-msg' });
  add.querySelector('.actions').before(addOut);
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(add);
    const body = {};
    for (const el of add.querySelectorAll('input, select')) if (el.value !== '' && !el.closest('[hidden]')) body[el.name] = typedNum(el.value);
    const a = await api('POST', '/api/chargers', body);
    if (a.status !== 201) { fieldError(add, addOut, a); return; }
    message(addOut, t('chargers.added', a.body.id, a.body.result));
    setTimeout(route, 800);
  });
  put($('page'), h('h1', {}, t('chargers.title')),
    r.body.restart_needed ? h('p', { class: 'msg' }, t('chargers.restartNote')) : null,
    out, ...list, isInstaller() ? add : null);
}

/* Authorisation: plug and charge, or the RFID whitelist. */
async function pageAuthorisation() {
  const cfg = await loadConfig();
  const r = await api('GET', '/api/rfid');
  if (!cfg || r.status !== 200) return;
  const out = h('div', { 'aria-live': 'polite' });
  const rows = r.body.tags.map((g) => [g.tag, g.name, g.status || (g.enabled ? t('auth.enabled') : t('auth.disabled')),
    g.valid_until_ms ? fmtTime(g.valid_until_ms) : t('auth.noEnd'),
    isInstaller() ? h('span', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', onclick: async () => {
        const x = await api('POST', '/api/rfid', { tag: g.tag, name: g.name, enabled: !g.enabled, valid_until_ms: g.valid_until_ms, replace: true });
        if (x.status >= 300) message(out, x.body.error, true); else route();
      } }, g.enabled ? t('auth.disable') : t('auth.enable')),
      h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!confirm(t('auth.removeAsk', g.tag))) return;
        const x = await api('DELETE', '/api/rfid/' + encodeURIComponent(g.tag));
        if (x.status !== 200) message(out, x.body.error, true); else route();
      } }, t('common.remove'))) : '']);
  const add = h('form', { class: 'card', id: 'add-tag' }, h('h2', {}, t('auth.add')),
    h('label', { for: 'tag-uid' }, t('auth.tag')), h('input', { id: 'tag-uid', name: 'tag', required: true }),
    h('label', { for: 'tag-name' }, t('auth.name')), h('input', { id: 'tag-name', name: 'name' }),
    h('label', { for: 'tag-until' }, t('auth.until')), h('input', { id: 'tag-until', name: 'until', type: 'date' }),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('auth.addButton'))));
  const addOut = h('div', { 'aria-live': 'polite' });
  add.querySelector('.actions').before(addOut);
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(add);
    const body = { tag: $('tag-uid').value.trim(), name: $('tag-name').value, enabled: true };
    if ($('tag-until').value) body.valid_until_ms = new Date($('tag-until').value + 'T23:59:59').getTime();
    let x = await api('POST', '/api/rfid', body);
    /* a tag on the list already: overwrite it only when asked */
    if (x.status === 409 && confirm(t('auth.overwriteAsk', x.body.error.replace(/: send .*$/, ''), body.name))) {
      body.replace = true;
      x = await api('POST', '/api/rfid', body);
    }
    if (x.status >= 300) { fieldError(add, addOut, x); return; }
    route();
  });
  put($('page'), h('h1', {}, t('auth.title')),
    settingsForm(cfg, 'site', ['authorisation'], t('auth.mode')),
    h('section', { class: 'card' }, h('h2', {}, t('auth.whitelist')), out,
      rows.length ? table(t('auth.cols'), rows) : h('p', { class: 'hint' }, t('auth.none'))),
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
  const charger = h('input', { id: 'ses-charger', placeholder: t('common.all') });
  const conn = h('select', { id: 'ses-conn' }, h('option', { value: '' }, t('common.all')), h('option', { value: '1' }, '1'), h('option', { value: '2' }, '2'));
  const tag = h('input', { id: 'ses-tag', placeholder: t('common.all'), autocomplete: 'off' });
  const csv = h('a', { id: 'sessions-csv', href: '/api/sessions.csv', download: 'sessions.csv' }, t('sessions.csv'));
  const load = async () => {
    const q = rangeQuery('ses-from', 'ses-to') + (charger.value ? '&charger=' + encodeURIComponent(charger.value) : '') +
      (conn.value ? '&connector=' + conn.value : '') + (tag.value ? '&tag=' + encodeURIComponent(tag.value) : '');
    csv.href = '/api/sessions.csv?' + q;
    const r = await api('GET', '/api/sessions?' + q);
    if (r.status !== 200) { message(list, r.body.error, true); return; }
    list.replaceChildren(r.body.sessions.length ? table(t('sessions.cols'),
      r.body.sessions.map((s) => [s.charger, s.connector, fmtTime(s.start_ms), s.end_ms ? fmtTime(s.end_ms) : t('sessions.inProgress'),
        t('sessions.kwh', fmtNum(s.energy_wh / 1000, 2)), fmtA(s.peak_current), s.tag_name ? t('sessions.tagNamed', s.tag, s.tag_name) : s.tag,
        s.reason])) : h('p', { class: 'hint' }, t('sessions.none')));
  };
  const f = h('form', { class: 'filters card' }, dayInput('ses-from', t('common.from'), now - 30 * 86400000), dayInput('ses-to', t('common.to'), now),
    h('label', { for: 'ses-charger' }, t('sessions.charger'), charger), h('label', { for: 'ses-conn' }, t('sessions.connector'), conn),
    h('label', { for: 'ses-tag' }, t('sessions.tag'), tag), h('button', { type: 'submit' }, t('common.show')), csv);
  f.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  put($('page'), h('h1', {}, t('sessions.title')), f, list);
  await load();
}

async function pageEvents() {
  const now = Date.now();
  const list = h('div', { id: 'events-list' });
  const sev = h('select', { id: 'ev-sev' }, h('option', { value: 'info' }, t('events.all')), h('option', { value: 'warning' }, t('events.warnings')), h('option', { value: 'alarm' }, t('events.alarms')));
  const load = async () => {
    const r = await api('GET', '/api/events?' + rangeQuery('ev-from', 'ev-to') + '&severity=' + sev.value + '&limit=500');
    if (r.status !== 200) { message(list, r.body.error, true); return; }
    list.replaceChildren(table(t('events.cols'), r.body.events.map((e) =>
      [fmtTime(e.time_ms), h('span', { class: 'sev' + e.severity }, t('events.sev')[e.severity]), e.source, e.text])));
  };
  const f = h('form', { class: 'filters card' }, dayInput('ev-from', t('common.from'), now - 7 * 86400000), dayInput('ev-to', t('common.to'), now),
    h('label', { for: 'ev-sev' }, t('events.severity'), sev), h('button', { type: 'submit' }, t('common.show')));
  f.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  put($('page'), h('h1', {}, t('events.title')), f, list);
  S.page = { event: () => load() };
  await load();
}

/* Users: your password; installers manage logins. */
function passwordFields(prefix, current) {
  return [
    ...(current ? [h('label', { for: prefix + '-old' }, t('users.current')),
      h('div', { class: 'row' }, h('input', { id: prefix + '-old', name: 'old', type: 'password', autocomplete: 'current-password' }))] : []),
    h('label', { for: prefix + '-new' }, t('users.new')),
    h('div', { class: 'row' }, h('input', { id: prefix + '-new', name: 'new', type: 'password', autocomplete: 'new-password' })),
    h('label', { for: prefix + '-again' }, t('users.confirm')),
    h('div', { class: 'row' }, h('input', { id: prefix + '-again', name: 'again', type: 'password', autocomplete: 'new-password' }))];
}

/* The new password typed twice the same, or the mismatch said next to
 * the second (nothing sent). */
function passwordsMatch(form, out, prefix) {
  clearErrors(form);
  if ($(prefix + '-new').value === $(prefix + '-again').value) return true;
  fieldError(form, out, { body: { field: 'again', error: t('settings.mismatch') } });
  return false;
}

async function pageUsers() {
  const out = h('div', { 'aria-live': 'polite', id: 'users-msg' });
  const pwOut = h('div', { 'aria-live': 'polite' });
  const pw = h('form', { class: 'card', id: 'own-password', novalidate: true }, h('h2', {}, t('users.yours')),
    passwordFields('own', true), pwOut,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('users.change'))));
  pw.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!passwordsMatch(pw, pwOut, 'own')) return;
    const r = await api('POST', '/api/password', { old: $('own-old').value, new: $('own-new').value });
    if (r.status !== 200) { fieldError(pw, pwOut, r); return; }
    for (const el of pw.querySelectorAll('input')) el.value = '';
    message(pwOut, t('users.changed'));
  });
  const parts = [h('h1', {}, t('users.title')), out, pw];
  if (isInstaller()) {
    const r = await api('GET', '/api/users');
    const reset = h('form', { class: 'card', id: 'reset-password', hidden: true, novalidate: true });
    const resetOut = h('div', { 'aria-live': 'polite' });
    let who = '';
    const openReset = (u) => {
      who = u.name;
      put(reset, h('h2', {}, t('users.resetTitle', u.name)), h('p', { class: 'hint' }, t('users.resetHint')),
        passwordFields('reset', false), resetOut,
        h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('users.reset')),
          h('button', { type: 'button', class: 'secondary', onclick: () => { reset.hidden = true; } }, t('common.cancel'))));
      reset.hidden = false;
      $('reset-new').focus();
    };
    reset.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      if (!passwordsMatch(reset, resetOut, 'reset')) return;
      const x = await api('PUT', '/api/users/' + encodeURIComponent(who), { password: $('reset-new').value });
      if (x.status !== 200) { fieldError(reset, resetOut, { body: { field: 'new', error: x.body.error } }); return; }
      reset.hidden = true;
      message(out, x.body.result);
    });
    if (r.status === 200) parts.push(h('section', { class: 'card' }, h('h2', {}, t('users.logins')),
      table(t('users.cols'), r.body.users.map((u) => [u.name, u.must_change ? t('users.toChoose', t('common.role.' + u.role)) : t('common.role.' + u.role),
        u.name === S.session.user ? '' : h('span', { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', 'data-user': u.name, onclick: () => openReset(u) }, t('users.reset')),
          h('button', { type: 'button', class: 'danger', onclick: async () => {
            if (!confirm(t('users.removeAsk', u.name))) return;
            const x = await api('DELETE', '/api/users/' + encodeURIComponent(u.name));
            if (x.status !== 200) message(out, x.body.error, true); else route();
          } }, t('common.remove')))]))), reset);
    const add = h('form', { class: 'card', id: 'add-user' }, h('h2', {}, t('users.add')),
      h('label', { for: 'nu-name' }, t('users.name')), h('input', { id: 'nu-name', name: 'name', autocomplete: 'off' }),
      h('label', { for: 'nu-role' }, t('users.role')), h('select', { id: 'nu-role', name: 'role' }, h('option', { value: 'operator' }, t('common.role.operator')),
        h('option', { value: 'installer' }, t('common.role.installer')), h('option', { value: 'bms' }, t('common.role.bms'))),
      h('label', { for: 'nu-pw' }, t('users.first')), h('input', { id: 'nu-pw', name: 'password', type: 'password', autocomplete: 'new-password' }),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('users.addButton'))));
    const addOut = h('div', { 'aria-live': 'polite' });
    add.querySelector('.actions').before(addOut);
    add.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(add);
      const x = await api('POST', '/api/users', { name: $('nu-name').value, role: $('nu-role').value, password: $('nu-pw').value });
      if (x.status !== 201) { fieldError(add, addOut, x); return; }
      route();
    });
    parts.push(add);
  }
  put($('page'), ...parts);
}

/* --- start ------------------------------------------------------------------ */

/* Once every script of index.html has run: the page files after this one
 * (energy.js, alarms.js, ...) have put their pages into the table before
 * the first route, whatever the network's order. */
document.addEventListener('DOMContentLoaded', async () => {
  textPage();
  const r = await api('GET', '/api/session');
  if (r.status === 200) startSession(r.body); else showLogin();
});
