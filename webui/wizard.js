/*
 * evgroup web UI: the commissioning wizard (issue 18, section 3). A
 * guided pass through the site: supply and limits, meter and clamps,
 * each charger (test, ratings, authorisation, phase rotation), then a
 * summary saved as a report (POST /api/reports; docs/api.md). Progress
 * stays in this browser (localStorage) until the report is saved, so a
 * reload resumes it. Nothing is changed on the site except through the
 * settings forms of app.js, with their confirmations. Uses app.js's
 * helpers (h, put, api, message, table, settingsForm, loadConfig), its
 * words are text.js's ('wizard.'), a phase check's figures testmode.js's.
 */
'use strict';

/* The checks, in the order of the report (their names: text.js's
 * 'wizard.name.STEP'). */
const WIZ_STEPS = ['site', 'meter', 'clamps', 'charger-test', 'charger-ratings', 'charger-authorisation',
  'phase-rotation', 'fallback', 'alarms'];
/* The wizard's pages (their names: text.js's 'wizard.steps'). */
const WIZ_PAGES = 4;

const WIZ_KEY = 'evg-wizard';

/* Progress: {step, results: {key: result}, installer, notes}. */
function wizLoad() {
  try {
    const w = JSON.parse(localStorage.getItem(WIZ_KEY));
    if (w && typeof w === 'object' && w.results) return w;
  } catch (e) { /* a broken copy starts afresh */ }
  return { step: 0, results: {}, installer: '', notes: '' };
}
const wizSave = (w) => localStorage.setItem(WIZ_KEY, JSON.stringify(w));
const wizKey = (r) => r.step + '|' + (r.charger || '') + '|' + (r.connector || '');

/* The results in the wizard's order: the site's, then charger by
 * charger (bay-2 before bay-10), then the summary's. */
function wizOrdered(w) {
  const names = WIZ_STEPS;
  const group = (r) => (r.charger ? 3 : ['site', 'meter', 'clamps'].includes(r.step) ? names.indexOf(r.step) : 4 + names.indexOf(r.step));
  return Object.values(w.results).sort((a, b) => group(a) - group(b) ||
    String(a.charger || '').localeCompare(String(b.charger || ''), undefined, { numeric: true }) ||
    names.indexOf(a.step) - names.indexOf(b.step) || (a.connector || 0) - (b.connector || 0));
}

/* A text as the report takes it: plain (no control character, nothing
 * that reorders a line) and at most max bytes of UTF-8. */
function wizClip(text, max) {
  let s = String(text).replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g, ' ');
  const enc = new TextEncoder();
  while (enc.encode(s).length > max) s = s.slice(0, -1);
  return s;
}

/* Records a result (as the API takes it) and shows it in el. */
function wizRecord(w, r, el) {
  r.text = wizClip(r.text, 400);
  if (r.figures) for (const k of Object.keys(r.figures)) r.figures[k] = wizClip(r.figures[k], 120);
  w.results[wizKey(r)] = r;
  wizSave(w);
  if (el) wizShow(el, r);
}

function wizBadge(status) {
  return h('span', { class: 'wiz-badge wiz-' + (status || 'none') }, t('wizard.' + (status || 'none')));
}

function wizShow(el, r) {
  put(el, r ? [wizBadge(r.status), ' ', r.text,
    r.figures ? h('ul', { class: 'hint' }, Object.entries(r.figures).map(([k, v]) => h('li', {}, t('wizard.figure', k, v)))) : null]
    : wizBadge(null));
}

/* Each connector's phases on the supply: 'L2L3L1' reaches L2, L3, L1. */
const wizPhases = (wiring) => (String(wiring).match(/L[123]/g) || []).map((p) => Number(p[1]) - 1);

/*
 * What the chargers take per phase when the appliance stops and each
 * falls back by itself (master_config.c, limits_check): the fallback
 * current, at most each connector's maximum, on every phase it reaches;
 * held against the group limit, and with a meter the meter-offline
 * limit too.
 */
function wizFallback(cfg) {
  const s = cfg.site, fall = [0, 0, 0], n = [0, 0, 0];
  const f = Number(s.fallback_current);
  for (const [sec, c] of Object.entries(cfg)) {
    if (!/^charger[0-9]+$/.test(sec)) continue;
    for (let k = 1; k <= Number(c.connectors); k++)
      for (const p of wizPhases(c['phase' + k])) { fall[p] += Math.min(f, Number(c['max_current' + k])); n[p]++; }
  }
  const metered = cfg.meter && cfg.meter.enabled === 'yes' && s.mode !== 'static' &&
    Number(s.meter_offline_limit) < Number(s.group_limit);
  const lim = metered ? Number(s.meter_offline_limit) : Number(s.group_limit);
  const limName = t(metered ? 'wizard.fb.offlineLimit' : 'wizard.fb.groupLimit');
  const worst = fall.indexOf(Math.max(...fall));
  const ok = fall.every((x) => x <= lim + 1e-9);
  const text = f === 0 ? t('wizard.fb.none')
    : t('wizard.fb.text', n[worst], worst + 1, fmtA(f), fmtA(fall[worst]), limName, fmtA(lim), fmtA(Number(s.site_limit)),
      t(ok ? 'wizard.fb.fits' : 'wizard.fb.tooMuch'));
  const figures = { [t('wizard.fb.current')]: fmtA(f) };
  for (let p = 0; p < 3; p++) figures['L' + (p + 1)] = t('wizard.fb.phase', fmtA(fall[p]), n[p]);
  figures[t('wizard.fb.against')] = t('wizard.fb.againstText', limName, fmtA(lim));
  figures[t('wizard.fb.siteLimit')] = fmtA(Number(s.site_limit));
  return { step: 'fallback', status: ok ? 'pass' : 'fail', text, figures };
}

function wizSiteResult(cfg) {
  const s = cfg.site;
  const head = Number(s.site_limit) - Number(s.margin);
  /* a group limit above the fuse less the margin is common (group =
   * fuse) and safe: the fuse's figure binds first, as said */
  return { step: 'site', status: Number(s.group_limit) <= Number(s.site_limit) ? 'pass' : 'fail',
    text: t('wizard.siteText', fmtA(Number(s.site_limit)), fmtA(Number(s.margin)), fmtA(head), fmtA(Number(s.group_limit)),
      s.mode) + (Number(s.group_limit) <= head ? '' : t('wizard.siteBinds')),
    figures: { [t('wizard.fig.siteLimit')]: fmtA(Number(s.site_limit)), [t('wizard.fig.groupLimit')]: fmtA(Number(s.group_limit)),
      [t('wizard.fig.margin')]: fmtA(Number(s.margin)), [t('wizard.fig.mode')]: s.mode } };
}

/* The meter and the clamps, from the live status: pass, warn or fail
 * with a sentence. */
function wizMeterResults(cfg, st) {
  const m = cfg.meter || {};
  const solar = st.mode === 'hybrid' || st.mode === 'green';
  if (m.enabled !== 'yes')
    return [{ step: 'meter', status: st.mode === 'static' ? 'pass' : 'fail',
      text: st.mode === 'static' ? t('wizard.meter.none') : t('wizard.meter.needed', st.mode) }];
  const where = m.transport === 'rtu' ? t('wizard.meter.rtu', m.driver, m.device, m.unit_id)
    : t('wizard.meter.tcp', m.driver, m.host, m.port, m.unit_id);
  const meter = st.meter_online
    ? { step: 'meter', status: 'pass', text: t('wizard.meter.answers', where,
        fmtNum(Number(m.poll_period) * Number(m.offline_after) / 1000, 1), m.poll_period) }
    : { step: 'meter', status: 'fail', text: st.meter_why ? t('wizard.meter.silentWhy', where, st.meter_why)
        : t('wizard.meter.silent', where) };
  const figures = {};
  st.clamp.forEach((v, i) => { figures['L' + (i + 1)] = fmtA(v); });
  let clamps;
  if (!st.meter_online) clamps = { status: 'fail', text: t('wizard.clamps.offline') };
  else {
    const neg = st.clamp.map((v, i) => [v, i]).filter(([v]) => v < -0.5);
    const off = [1, 2, 3].filter((i) => cfg['clamp' + i] && cfg['clamp' + i].enabled === 'no');
    const high = st.clamp.map((v, i) => [v, i]).filter(([v]) => v > 1.2 * st.site_limit);
    const zero = st.clamp.map((v, i) => [v, i]).filter(([v]) => Math.abs(v) < 0.05);
    if (high.length) clamps = { status: 'fail', text: t('wizard.clamps.high', high[0][1] + 1, fmtA(high[0][0])) };
    else if (neg.length && !solar) clamps = { status: 'warn', text: t('wizard.clamps.negative', neg[0][1] + 1, fmtA(neg[0][0])) };
    else if (off.length) clamps = { status: 'warn', text: t('wizard.clamps.off', off[0]) };
    else if (zero.length && zero.length < 3) clamps = { status: 'warn', text: t('wizard.clamps.zero', zero[0][1] + 1, fmtA(0)) };
    else clamps = { status: 'pass', text: t(neg.length ? 'wizard.clamps.okSolar' : 'wizard.clamps.ok') };
  }
  return [meter, Object.assign({ step: 'clamps', figures }, clamps)];
}

/* A charger's test answer as three results: reached, ratings, mode. */
function wizChargerResults(c, r, siteAuth) {
  const name = c.name, out = [];
  if (!r.reachable)
    return [{ step: 'charger-test', charger: name, status: 'fail', text: t('wizard.charger.silent', name, r.host, r.port, r.error) }];
  const said = t('wizard.charger.answers', name, r.map_version, r.firmware, r.serial);
  const fewer = Number(r.connectors) < Number(c.connectors);
  out.push(r.writable
    ? { step: 'charger-test', charger: name, status: fewer ? 'warn' : 'pass',
        text: fewer ? t('wizard.charger.fewer', said, r.connectors, c.connectors) : t('wizard.charger.writable', said) }
    : { step: 'charger-test', charger: name, status: 'fail', text: t('wizard.charger.notWritable', said, r.write_error) });
  const figures = {}, over = [];
  for (let k = 1; k <= Number(c.connectors); k++) {
    const rated = (r.ratings || [])[k - 1], max = Number(c['max_current' + k]);
    figures[t('wizard.ratings.conn', k)] = t('wizard.ratings.fig', fmtA(max), rated === undefined ? t('wizard.ratings.unknown') : fmtA(rated));
    if (rated !== undefined && max > rated) over.push(k);
  }
  const told = r.ratings && r.ratings.length;
  out.push({ step: 'charger-ratings', charger: name, figures,
    status: over.length ? 'fail' : (told ? 'pass' : 'warn'),
    text: over.length ? t('wizard.ratings.over', over.join(', ')) : t(told ? 'wizard.ratings.ok' : 'wizard.ratings.unsaid') });
  const want = siteAuth === 'rfid' ? 'remote' : 'free';
  out.push({ step: 'charger-authorisation', charger: name,
    status: r.authorisation === want ? 'pass' : (r.authorisation ? 'warn' : (siteAuth === 'rfid' ? 'fail' : 'warn')),
    text: r.authorisation === want ? t('wizard.auth.ok', want, siteAuth)
      : r.authorisation ? t('wizard.auth.other', r.authorisation, siteAuth, want)
      : t('wizard.auth.unknown', r.map_version, want) });
  return out;
}

/* The result of a finished phase check (testmode API) as a report row:
 * its figures as the chargers page names them (testmode.js). */
function wizPhaseResult(c, n, g) {
  const res = g.result || {};
  const status = g.state === 'done' ? ({ match: 'pass', mismatch: 'fail', inconclusive: 'warn' }[res.verdict] || 'warn') : 'warn';
  return { step: 'phase-rotation', charger: c.name, connector: n, status, figures: tmFigures(res),
    text: (res.text || t('wizard.phaseState', g.state)).slice(0, 400) };
}

function wizPhaseCheck(w, c, n) {
  const key = { step: 'phase-rotation', charger: c.name, connector: n };
  const out = h('div', { class: 'wiz-result', 'data-result': wizKey(key) });
  const msg = h('div', { 'aria-live': 'polite' });
  const amps = h('input', { id: 'wiz-amps-' + c.id + '-' + n, value: numShown('10.0'), inputmode: 'decimal' });
  const secs = h('input', { id: 'wiz-secs-' + c.id + '-' + n, value: '60', inputmode: 'numeric' });
  const reason = h('input', { id: 'wiz-reason-' + c.id + '-' + n, value: t('wizard.phaseNone') });
  const skip = h('div', { class: 'wiz-skip', hidden: true },
    h('label', { for: reason.id }, t('wizard.reason')), reason,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => {
      if (!reason.value.trim()) { message(msg, t('wizard.reasonRequired'), true); return; }
      wizRecord(w, Object.assign({ status: 'skipped', text: reason.value.trim().slice(0, 400) }, key), out);
    } }, t('wizard.skip'))));
  const base = '/api/chargers/' + c.id + '/connectors/' + n + '/test-mode';
  const fix = h('div', { class: 'actions' });
  let stop = false;
  /* the wiring the check suggests, as any setting: the API's rules, a
   * pending change listed in the restart banner */
  const setWiring = (sug) => async (ev) => {
    const button = ev.currentTarget;
    const x = await sendConfirmed('PUT', '/api/chargers/' + c.id, { ['phase' + n]: sug });
    if (x.status === 0) { message(msg, t('save.cancelled')); return; }
    message(msg, x.status === 200 ? t('wizard.phaseAgain', savedText(x.body)) : x.body.error, x.status !== 200);
    if (x.status !== 200) return;
    button.disabled = true;
    if (x.body.pending) setPending(x.body.pending);
  };
  const run = async () => {
    stop = false;
    fix.replaceChildren();
    /* the API's rules for both numbers: a decimal comma taken, anything
     * else sent as typed for the appliance to refuse with its reason */
    const num = (e) => { const v = typedNum(e.value); return v !== '' && Number.isFinite(Number(v)) ? Number(v) : v; };
    const r = await api('POST', base, { current: num(amps), seconds: num(secs) });
    if (r.status === 404 || r.status === 405) { message(msg, t('wizard.phaseNoneDot'), true); skip.hidden = false; return; }
    if (r.status >= 300) { message(msg, r.body.error, true); skip.hidden = false; return; }
    const until = Date.now() + ((Number(r.body.seconds) || 600) + 60) * 1000;
    while (!stop && Date.now() < until) {
      const g = await api('GET', base);
      if (g.status !== 200) { message(msg, g.body.error || t('wizard.phaseNoneDot'), true); skip.hidden = false; return; }
      message(msg, g.body.result && g.body.result.text ? t('wizard.phaseStateText', g.body.state, g.body.result.text)
        : t('wizard.phaseState', g.body.state));
      if (['done', 'failed', 'stopped'].includes(g.body.state)) {
        wizRecord(w, wizPhaseResult(c, n, g.body), out);
        const sug = g.body.result && g.body.result.suggested;
        if (sug) put(fix, h('button', { type: 'button', class: 'secondary', 'data-action': 'wiring', onclick: setWiring(sug) },
          t('wizard.phaseFix', sug)));
        return;
      }
      await new Promise((res) => setTimeout(res, 1000));
    }
  };
  wizShow(out, w.results[wizKey(key)]);
  return h('div', { class: 'wiz-conn', 'data-connector': c.name + '-' + n },
    h('h4', {}, t('wizard.connHead', n, c['phase' + n])), out,
    h('p', { class: 'hint' }, t('wizard.phaseNeedsCar')),
    h('div', { class: 'filters' }, h('label', { for: amps.id }, t('wizard.phaseAmps'), amps),
      h('label', { for: secs.id }, t('wizard.phaseSecs'), secs),
      h('button', { type: 'button', class: 'secondary', 'data-action': 'phase', onclick: run }, t('wizard.phaseRun')),
      h('button', { type: 'button', class: 'secondary', onclick: async () => { stop = true; await api('DELETE', base); } },
        t('wizard.phaseStop'))),
    msg, fix, skip);
}

function wizCharger(w, c, siteAuth) {
  const out = h('div', { class: 'wiz-result' });
  const msg = h('div', { 'aria-live': 'polite' });
  const keys = ['charger-test', 'charger-ratings', 'charger-authorisation'].map((s) => wizKey({ step: s, charger: c.name }));
  const show = () => put(out, keys.map((k) => h('div', { 'data-result': k }, w.results[k] ? [wizBadge(w.results[k].status), ' ', w.results[k].text] : null)));
  const test = async () => {
    message(msg, t('wizard.reaching', c.name));
    const x = await api('POST', '/api/chargers/' + c.id + '/test');
    if (x.status !== 200) { message(msg, x.body.error, true); return; }
    msg.replaceChildren();
    for (const r of wizChargerResults(c, x.body, siteAuth)) wizRecord(w, r, null);
    show();
  };
  show();
  const conns = [];
  for (let n = 1; n <= Number(c.connectors); n++) conns.push(wizPhaseCheck(w, c, n));
  return h('article', { class: 'card', 'data-charger': c.name },
    h('h3', {}, t('wizard.chargerHead', c.name, c.host, c.port)),
    h('div', { class: 'actions' }, h('button', { type: 'button', 'data-action': 'test', onclick: test }, t('wizard.test', c.name))),
    msg, out, conns);
}

/* The saved reports: operators read them too. */
async function wizReports() {
  const r = await api('GET', '/api/reports');
  if (r.status !== 200) return h('p', { class: 'error' }, r.body.error);
  const n = (x, k) => (x.counts ? x.counts[k] : 0);
  return h('section', { class: 'card', id: 'wiz-reports' }, h('h2', {}, t('wizard.reports')),
    r.body.reports.length ? table(t('wizard.reportCols'), r.body.reports.map((x) => [
      String(x.id), fmtTime(x.time_ms), x.site, x.installer,
      t('wizard.counts', n(x, 'pass'), n(x, 'warn'), n(x, 'fail'), n(x, 'skipped')),
      h('span', { class: 'actions' }, h('a', { href: '/api/reports/' + x.id + '.html', target: '_blank', rel: 'noopener' },
        t('wizard.open')), h('a', { href: '/api/reports/' + x.id + '.html?download=yes' }, t('wizard.download')))]))
      : h('p', { class: 'hint' }, t('wizard.noReports')),
    h('p', { class: 'hint' }, t('wizard.print')));
}

async function wizSummary(w, cfg) {
  const st = S.status || { alarms: [] };
  const fb = wizFallback(cfg.config);
  wizRecord(w, fb, null);
  const alarms = st.alarms || [];
  wizRecord(w, { step: 'alarms', status: alarms.length ? 'warn' : 'pass',
    text: alarms.length ? t('wizard.alarmsSome', alarms.length, alarms.map((a) => a.text).join('; ').slice(0, 300))
      : t('wizard.alarmsNone') }, null);
  const who = h('input', { id: 'wiz-installer', value: w.installer || S.session.user, maxlength: 64 });
  const notes = h('textarea', { id: 'wiz-notes', rows: 5, maxlength: 4000 });
  notes.value = w.notes || '';
  who.addEventListener('input', () => { w.installer = who.value; wizSave(w); });
  notes.addEventListener('input', () => { w.notes = notes.value; wizSave(w); });
  const out = h('div', { 'aria-live': 'polite', id: 'wiz-saved' });
  const rows = wizOrdered(w).map((r) => [t('wizard.name.' + r.step),
    r.charger ? (r.connector ? t('wizard.where', r.charger, r.connector) : r.charger) : t('wizard.site'),
    wizBadge(r.status), r.text]);
  const save = async () => {
    const body = { installer: who.value.trim(), notes: notes.value.replace(/\t/g, ' '), steps: wizOrdered(w) };
    const r = await api('POST', '/api/reports', body);
    if (r.status !== 201) { message(out, r.body.error, true); return; }
    /* saved: the next pass starts afresh */
    localStorage.removeItem(WIZ_KEY);
    Object.assign(w, { step: 0, results: {}, installer: '', notes: '' });
    put(out, h('p', { class: 'msg' }, t('wizard.saved') + ' ',
      h('a', { href: r.body.html, target: '_blank', rel: 'noopener', id: 'wiz-open' }, t('wizard.openReport', r.body.id)), ' · ',
      h('a', { href: r.body.html + '?download=yes' }, t('wizard.download'))));
    const list = document.getElementById('wiz-reports');
    if (list) list.replaceWith(await wizReports());
  };
  const fbOut = h('div', { class: 'wiz-result', 'data-result': 'fallback||' });
  wizShow(fbOut, fb);
  return [h('section', { class: 'card' }, h('h2', {}, t('wizard.fallbackTitle')), fbOut),
    h('section', { class: 'card' }, h('h2', {}, t('wizard.alarms')), alarms.length
      ? h('ul', {}, alarms.map((a) => h('li', { class: 'sev' + a.severity }, a.text))) : h('p', {}, t('wizard.alarmsNone'))),
    h('section', { class: 'card' }, h('h2', {}, t('wizard.results')),
      rows.length ? table(t('wizard.resultCols'), rows) : h('p', { class: 'hint' }, t('wizard.none')),
      h('label', { for: 'wiz-installer' }, t('wizard.installer')), who,
      h('label', { for: 'wiz-notes' }, t('wizard.notes')), notes,
      h('div', { class: 'actions' }, h('button', { type: 'button', id: 'wiz-save', onclick: save }, t('wizard.save'))), out)];
}

async function wizStep(w, cfg, body) {
  const live = h('p', { id: 'wiz-meter-live', 'aria-live': 'polite' });
  const meterOut = h('div', { class: 'wiz-result', 'data-result': 'meter||' });
  const clampOut = h('div', { class: 'wiz-result', 'data-result': 'clamps||' });
  S.page = null;
  if (w.step === 0) {
    const fbOut = h('div', { class: 'wiz-result', 'data-result': 'fallback||' });
    const siteOut = h('div', { class: 'wiz-result', 'data-result': 'site||' });
    const redo = async () => {
      const c = await loadConfig();
      if (!c) return;
      wizRecord(w, wizSiteResult(c.config), siteOut);
      wizRecord(w, wizFallback(c.config), fbOut);
    };
    const form = settingsForm(cfg, 'site', ['name', 'site_limit', 'group_limit', 'margin', 'meter_offline_limit', 'fallback_current'],
      t('wizard.steps')[0]);
    /* once a save has answered (its message shown), the figures again */
    new MutationObserver(redo).observe(form.querySelector('[aria-live]'), { childList: true });
    put(body, h('p', { class: 'hint' }, t('wizard.siteHelp')), form,
      h('section', { class: 'card' }, h('h2', {}, t('wizard.steps')[0]), siteOut, h('h2', {}, t('wizard.fallbackTitle')), fbOut));
    wizRecord(w, wizSiteResult(cfg.config), siteOut);
    wizRecord(w, wizFallback(cfg.config), fbOut);
  } else if (w.step === 1) {
    put(body, h('p', { class: 'hint' }, t('wizard.meterHelp')),
      h('section', { class: 'card' }, h('h2', {}, t('wizard.meterLive')), live, h('h3', {}, t('wizard.meterCheck')), meterOut,
        h('h3', {}, t('wizard.clampCheck')), clampOut),
      settingsForm(cfg, 'meter', ['enabled', 'driver', 'transport', 'host', 'port', 'device', 'unit_id'], t('wizard.meterForm')));
    S.page = { live: (st) => {
      live.textContent = t('wizard.liveText', t(st.meter_online ? 'wizard.online' : 'wizard.offline'), fmtA(st.clamp[0]),
        fmtA(st.clamp[1]), fmtA(st.clamp[2]), new Date().toLocaleTimeString(LOCALE));
      const [m, c] = wizMeterResults(cfg.config, st);
      wizRecord(w, m, meterOut);
      if (c) wizRecord(w, c, clampOut);
    } };
    if (S.status) S.page.live(S.status);
  } else if (w.step === 2) {
    const r = await api('GET', '/api/chargers');
    if (r.status !== 200) { message(body, r.body.error, true); return; }
    put(body, h('p', { class: 'hint' }, t('wizard.chargerHelp')), r.body.chargers.map((c) => wizCharger(w, c, cfg.config.site.authorisation)));
  } else {
    put(body, await wizSummary(w, cfg));
  }
}

async function pageCommissioning() {
  const parts = [h('h1', {}, t('wizard.title'))];
  if (!isInstaller()) {
    put($('page'), ...parts, h('p', { class: 'hint' }, t('wizard.operator')), await wizReports());
    return;
  }
  const cfg = await loadConfig();
  if (!cfg) return;
  const w = wizLoad();
  const body = h('div', { id: 'wiz-body' });
  const nav = h('ol', { class: 'wiz-steps' });
  const go = async (i) => {
    w.step = Math.max(0, Math.min(WIZ_PAGES - 1, i));
    wizSave(w);
    put(nav, t('wizard.steps').map((name, k) => h('li', {}, h('button', { type: 'button', class: 'link',
      'aria-current': k === w.step ? 'step' : null, onclick: () => go(k) }, t('wizard.stepButton', k + 1, name)))));
    put(body, h('p', { class: 'hint' }, '…'));
    await wizStep(w, await loadConfig() || cfg, body);
    back.disabled = w.step === 0;
    next.disabled = w.step === WIZ_PAGES - 1;
  };
  const back = h('button', { type: 'button', class: 'secondary', id: 'wiz-back', onclick: () => go(w.step - 1) }, t('wizard.back'));
  const next = h('button', { type: 'button', id: 'wiz-next', onclick: () => go(w.step + 1) }, t('wizard.next'));
  const again = h('button', { type: 'button', class: 'link', onclick: () => {
    if (!confirm(t('wizard.restartAsk'))) return;
    localStorage.removeItem(WIZ_KEY);
    route();
  } }, t('wizard.restart'));
  put($('page'), ...parts, h('p', { class: 'hint' }, t('wizard.intro'), ' ', again), nav, body,
    h('div', { class: 'actions wiz-move' }, back, next), await wizReports());
  await go(w.step);
}

pages.commissioning = pageCommissioning;
