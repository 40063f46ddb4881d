/*
 * evgroup web UI: the commissioning wizard (issue 18, section 3). A
 * guided pass through the site: supply and limits, meter and clamps,
 * each charger (test, ratings, authorisation, phase rotation), then a
 * summary saved as a report (POST /api/reports; docs/api.md). Progress
 * stays in this browser (localStorage) until the report is saved, so a
 * reload resumes it. Nothing is changed on the site except through the
 * settings forms of app.js, with their confirmations. Uses app.js's
 * helpers (h, put, api, message, table, settingsForm, loadConfig).
 */
'use strict';

/* The wizard's words, in one place for a translation (webui/text.js). */
const WT = {
  title: 'Commissioning',
  intro: 'A guided pass through the site, ending in a report with every setting and every result. '
    + 'Progress is kept in this browser until the report is saved; you may leave and come back.',
  operator: 'Only installers commission a site. The saved reports:',
  steps: ['Supply and limits', 'Meter and clamps', 'Chargers', 'Summary and report'],
  back: 'Back', next: 'Next', restart: 'Start again',
  restartAsk: 'Forget the results recorded so far (nothing on the site changes)?',
  pass: 'pass', warn: 'warn', fail: 'fail', skipped: 'skipped', none: 'not checked yet',
  siteHelp: 'The main fuse (site limit), what all chargers together may take (group limit) and what is kept free below the fuse (margin). '
    + 'Saving here is the same as on the Load balancing page: a raise asks first, with the figures.',
  fallbackTitle: 'The fallback arithmetic',
  meterHelp: 'Switch on a known load (a heater on one phase) and watch that phase rise by about the right amount.',
  meterLive: 'Live readings', meterCheck: 'Meter check', clampCheck: 'Clamp check',
  chargerHelp: 'Test each charger: it must answer, take this appliance\'s writes, be rated for its configured maximum '
    + 'and be in the authorisation mode of the site. Then check each connector\'s phase rotation with a car.',
  test: 'Test', phaseRun: 'Run the phase check', phaseStop: 'Stop', skip: 'Record as skipped', reason: 'Why it is skipped',
  phaseNone: 'phase check not available on this appliance', phaseAmps: 'Test current (A)', phaseSecs: 'Seconds',
  phaseFix: 'Set the wiring to', phaseAgain: 'Run the phase check again after the restart.',
  phaseNeedsCar: 'Plug a car (or a test box) into the connector first; the check drives it at the test current.',
  installer: 'Installer\'s name', notes: 'Notes (plain text)', save: 'Save the report',
  saved: 'Report saved.', open: 'Open', download: 'Download', reports: 'Saved reports', noReports: 'No report saved yet.',
  print: 'Open it and print it, or choose "Save as PDF" in the print dialog.',
  alarmsNone: 'No alarm is active.',
  /* each check's name, in the order of the report */
  names: { site: 'Supply and limits', meter: 'Meter', clamps: 'Clamps', 'charger-test': 'Charger test',
    'charger-ratings': 'Ratings', 'charger-authorisation': 'Authorisation mode', 'phase-rotation': 'Phase rotation',
    fallback: 'Fallback arithmetic', alarms: 'Alarms' },
};

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
  const names = Object.keys(WT.names);
  const group = (r) => (r.charger ? 3 : ['site', 'meter', 'clamps'].includes(r.step) ? names.indexOf(r.step) : 4 + names.indexOf(r.step));
  return Object.values(w.results).sort((a, b) => group(a) - group(b) ||
    String(a.charger || '').localeCompare(String(b.charger || ''), undefined, { numeric: true }) ||
    names.indexOf(a.step) - names.indexOf(b.step) || (a.connector || 0) - (b.connector || 0));
}

/* A text as the report takes it: plain (no control character, nothing
 * that reorders a line) and at most max bytes of UTF-8. */
function wizClip(t, max) {
  let s = String(t).replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g, ' ');
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
  return h('span', { class: 'wiz-badge wiz-' + (status || 'none') }, WT[status] || WT.none);
}

function wizShow(el, r) {
  put(el, r ? [wizBadge(r.status), ' ', r.text,
    r.figures ? h('ul', { class: 'hint' }, Object.entries(r.figures).map(([k, v]) => h('li', {}, k + ': ' + v))) : null]
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
  const limName = metered ? 'the meter-offline limit' : 'the group limit';
  const worst = fall.indexOf(Math.max(...fall));
  const ok = fall.every((x) => x <= lim + 1e-9);
  const text = f === 0
    ? 'Fallback current 0 A: when the appliance stops, every charger pauses by itself; nothing is drawn unwatched.'
    : 'When the appliance stops, each of the ' + n[worst] + ' connectors on L' + (worst + 1) + ' falls back to ' + f.toFixed(1) +
      ' A by itself: ' + fall[worst].toFixed(1) + ' A on L' + (worst + 1) + ', against ' + limName + ' ' + lim.toFixed(1) +
      ' A on a ' + Number(s.site_limit).toFixed(1) + ' A fuse' + (ok ? ': it fits.' : ': too much.');
  return { step: 'fallback', status: ok ? 'pass' : 'fail', text,
    figures: { 'fallback current': f.toFixed(1) + ' A', 'L1': fall[0].toFixed(1) + ' A (' + n[0] + ' connectors)',
      'L2': fall[1].toFixed(1) + ' A (' + n[1] + ' connectors)', 'L3': fall[2].toFixed(1) + ' A (' + n[2] + ' connectors)',
      'held against': limName + ' ' + lim.toFixed(1) + ' A', 'site limit': Number(s.site_limit).toFixed(1) + ' A' } };
}

function wizSiteResult(cfg) {
  const s = cfg.site;
  const head = Number(s.site_limit) - Number(s.margin);
  /* a group limit above the fuse less the margin is common (group =
   * fuse) and safe: the fuse's figure binds first, as said */
  return { step: 'site', status: Number(s.group_limit) <= Number(s.site_limit) ? 'pass' : 'fail',
    text: 'Main fuse ' + Number(s.site_limit).toFixed(1) + ' A per phase, margin ' + Number(s.margin).toFixed(1) +
      ' A: the cars and the building may use up to ' + head.toFixed(1) + ' A; the chargers together at most ' +
      Number(s.group_limit).toFixed(1) + ' A (' + s.mode + ' mode).' +
      (Number(s.group_limit) <= head ? '' : ' The fuse less the margin binds before the group limit.'),
    figures: { 'site limit': s.site_limit + ' A', 'group limit': s.group_limit + ' A', margin: s.margin + ' A', mode: s.mode } };
}

/* The meter and the clamps, from the live status: pass, warn or fail
 * with a sentence. */
function wizMeterResults(cfg, st) {
  const m = cfg.meter || {};
  const solar = st.mode === 'hybrid' || st.mode === 'green';
  if (m.enabled !== 'yes')
    return [{ step: 'meter', status: st.mode === 'static' ? 'pass' : 'fail',
      text: st.mode === 'static' ? 'No meter: static mode shares the group limit without one.'
        : 'No meter enabled, but the ' + st.mode + ' mode needs one.' }];
  const where = m.driver + ' over ' + (m.transport === 'rtu' ? 'RTU ' + m.device : 'TCP ' + m.host + ':' + m.port) + ', unit ' + m.unit_id;
  const meter = st.meter_online
    ? { step: 'meter', status: 'pass', text: 'The meter answers (' + where + '); its readings are at most ' +
        (Number(m.poll_period) * Number(m.offline_after) / 1000).toFixed(1) + ' s old (polled every ' + m.poll_period + ' ms).' }
    : { step: 'meter', status: 'fail', text: 'The meter does not answer (' + where + ')' + (st.meter_why ? ': ' + st.meter_why : '') + '.' };
  const figures = {};
  st.clamp.forEach((v, i) => { figures['L' + (i + 1)] = v.toFixed(1) + ' A'; });
  let clamps;
  if (!st.meter_online) clamps = { status: 'fail', text: 'No readings: the meter is offline.' };
  else {
    const neg = st.clamp.map((v, i) => [v, i]).filter(([v]) => v < -0.5);
    const off = [1, 2, 3].filter((i) => cfg['clamp' + i] && cfg['clamp' + i].enabled === 'no');
    const high = st.clamp.map((v, i) => [v, i]).filter(([v]) => v > 1.2 * st.site_limit);
    const zero = st.clamp.map((v, i) => [v, i]).filter(([v]) => Math.abs(v) < 0.05);
    if (high.length) clamps = { status: 'fail', text: 'L' + (high[0][1] + 1) + ' reads ' + high[0][0].toFixed(1) +
      ' A, above the fuse: check the clamp\'s rating and scale.' };
    else if (neg.length && !solar) clamps = { status: 'warn', text: 'L' + (neg[0][1] + 1) + ' reads ' + neg[0][0].toFixed(1) +
      ' A: a clamp reversed (arrow towards the load) or on the wrong conductor; export is expected only in hybrid or green mode.' };
    else if (off.length) clamps = { status: 'warn', text: 'Clamp L' + off[0] + ' is not fitted: that phase is not measured.' };
    else if (zero.length && zero.length < 3) clamps = { status: 'warn', text: 'L' + (zero[0][1] + 1) +
      ' reads 0.0 A while another phase reads current: a clamp not connected, or no load on that phase yet.' };
    else clamps = { status: 'pass', text: 'All three phases read plausibly' + (neg.length ? ' (export on a solar site)' : '') + '.' };
  }
  return [meter, Object.assign({ step: 'clamps', figures }, clamps)];
}

/* A charger's test answer as three results: reached, ratings, mode. */
function wizChargerResults(c, t, siteAuth) {
  const name = c.name, r = [];
  if (!t.reachable)
    return [{ step: 'charger-test', charger: name, status: 'fail',
      text: name + ' (' + t.host + ':' + t.port + ') does not answer: ' + t.error + '.' }];
  const said = name + ' answers: register map v' + t.map_version + ', firmware ' + t.firmware + ', serial ' + t.serial;
  r.push(t.writable
    ? { step: 'charger-test', charger: name, status: Number(t.connectors) < Number(c.connectors) ? 'warn' : 'pass',
        text: said + (Number(t.connectors) < Number(c.connectors) ? '; it has ' + t.connectors + ' connector(s), ' + c.connectors + ' configured.' : '; it takes this appliance\'s writes.') }
    : { step: 'charger-test', charger: name, status: 'fail', text: said + ', but ' + t.write_error + '.' });
  const figures = {}, over = [];
  for (let k = 1; k <= Number(c.connectors); k++) {
    const rated = (t.ratings || [])[k - 1], max = Number(c['max_current' + k]);
    figures['connector ' + k] = 'set ' + max.toFixed(1) + ' A, rated ' + (rated === undefined ? '?' : rated.toFixed(1) + ' A');
    if (rated !== undefined && max > rated) over.push(k);
  }
  r.push({ step: 'charger-ratings', charger: name, figures,
    status: over.length ? 'fail' : (t.ratings && t.ratings.length ? 'pass' : 'warn'),
    text: over.length ? 'Connector ' + over.join(', ') + ' is set above what the charger is rated for: lower its maximum.'
      : (t.ratings && t.ratings.length ? 'Every connector\'s maximum is within the charger\'s own rating.' : 'The charger did not say its ratings.') });
  const want = siteAuth === 'rfid' ? 'remote' : 'free';
  r.push({ step: 'charger-authorisation', charger: name,
    status: t.authorisation === want ? 'pass' : (t.authorisation ? 'warn' : (siteAuth === 'rfid' ? 'fail' : 'warn')),
    text: t.authorisation === want ? 'The charger is in ' + want + ' mode, as the site\'s ' + siteAuth + ' authorisation needs.'
      : t.authorisation ? 'The charger is in ' + t.authorisation + ' mode; the site\'s ' + siteAuth + ' authorisation needs ' + want +
        ': the appliance sets it when it next connects (test again in a few seconds).'
      : 'The charger (register map v' + t.map_version + ') cannot say or take its mode: set its unit.authorisation to ' + want + ' at the charger.' });
  return r;
}

/* The result of a finished phase check (testmode API) as a report row. */
function wizPhaseResult(c, n, g) {
  const res = g.result || {};
  const status = g.state === 'done' ? ({ match: 'pass', mismatch: 'fail', inconclusive: 'warn' }[res.verdict] || 'warn') : 'warn';
  const figures = {};
  if (Array.isArray(res.rise_a)) figures['clamp rise'] = res.rise_a.map((v, i) => 'L' + (i + 1) + ' ' + Number(v).toFixed(1) + ' A').join(', ');
  if (Array.isArray(res.car_phases)) figures['car draws on'] = res.car_phases.join(', ') || '-';
  if (res.configured) figures.configured = res.configured;
  if (res.suggested) figures.suggested = res.suggested;
  return { step: 'phase-rotation', charger: c.name, connector: n, status, figures,
    text: (res.text || ('phase check ' + g.state)).slice(0, 400) };
}

function wizPhaseCheck(w, c, n) {
  const key = { step: 'phase-rotation', charger: c.name, connector: n };
  const out = h('div', { class: 'wiz-result', 'data-result': wizKey(key) });
  const msg = h('div', { 'aria-live': 'polite' });
  const amps = h('input', { id: 'wiz-amps-' + c.id + '-' + n, value: '10', inputmode: 'decimal' });
  const secs = h('input', { id: 'wiz-secs-' + c.id + '-' + n, value: '60', inputmode: 'numeric' });
  const reason = h('input', { id: 'wiz-reason-' + c.id + '-' + n, value: WT.phaseNone });
  const skip = h('div', { class: 'wiz-skip', hidden: true },
    h('label', { for: reason.id }, WT.reason), reason,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => {
      if (!reason.value.trim()) { message(msg, WT.reason + ': required.', true); return; }
      wizRecord(w, Object.assign({ status: 'skipped', text: reason.value.trim().slice(0, 400) }, key), out);
    } }, WT.skip)));
  const base = '/api/chargers/' + c.id + '/connectors/' + n + '/test-mode';
  const fix = h('div', { class: 'actions' });
  let stop = false;
  const run = async () => {
    stop = false;
    const r = await api('POST', base, { current: Number(String(amps.value).replace(',', '.')), seconds: Number(secs.value) });
    if (r.status === 404 || r.status === 405) { message(msg, WT.phaseNone + '.', true); skip.hidden = false; return; }
    if (r.status >= 300) { message(msg, r.body.error, true); skip.hidden = false; return; }
    const until = Date.now() + (Number(secs.value) + 60) * 1000;
    while (!stop && Date.now() < until) {
      const g = await api('GET', base);
      if (g.status !== 200) { message(msg, g.body.error || WT.phaseNone, true); skip.hidden = false; return; }
      message(msg, 'Phase check: ' + g.body.state + (g.body.result && g.body.result.text ? ': ' + g.body.result.text : ''));
      if (['done', 'failed', 'stopped'].includes(g.body.state)) {
        wizRecord(w, wizPhaseResult(c, n, g.body), out);
        const sug = g.body.result && g.body.result.suggested;
        if (sug) put(fix, h('button', { type: 'button', class: 'secondary', onclick: async () => {
          /* the wiring as any setting: the API's rules, a restart to apply */
          const x = await sendConfirmed('PUT', '/api/chargers/' + c.id, { ['phase' + n]: sug });
          message(msg, x.status === 200 ? savedText(x.body) + ' ' + WT.phaseAgain : x.body.error, x.status !== 200);
          if (x.status === 200 && x.body.pending) setPending(x.body.pending);
        } }, WT.phaseFix + ' ' + sug));
        return;
      }
      await new Promise((res) => setTimeout(res, 1000));
    }
  };
  wizShow(out, w.results[wizKey(key)]);
  return h('div', { class: 'wiz-conn', 'data-connector': c.name + '-' + n },
    h('h4', {}, 'Connector ' + n + ' · wired ' + c['phase' + n]), out,
    h('p', { class: 'hint' }, WT.phaseNeedsCar),
    h('div', { class: 'filters' }, h('label', { for: amps.id }, WT.phaseAmps, amps), h('label', { for: secs.id }, WT.phaseSecs, secs),
      h('button', { type: 'button', class: 'secondary', 'data-action': 'phase', onclick: run }, WT.phaseRun),
      h('button', { type: 'button', class: 'secondary', onclick: async () => { stop = true; await api('DELETE', base); } }, WT.phaseStop)),
    msg, fix, skip);
}

function wizCharger(w, c, siteAuth) {
  const out = h('div', { class: 'wiz-result' });
  const msg = h('div', { 'aria-live': 'polite' });
  const keys = ['charger-test', 'charger-ratings', 'charger-authorisation'].map((s) => wizKey({ step: s, charger: c.name }));
  const show = () => put(out, keys.map((k) => h('div', { 'data-result': k }, w.results[k] ? [wizBadge(w.results[k].status), ' ', w.results[k].text] : null)));
  const test = async () => {
    message(msg, 'Reaching ' + c.name + '…');
    const t = await api('POST', '/api/chargers/' + c.id + '/test');
    if (t.status !== 200) { message(msg, t.body.error, true); return; }
    msg.replaceChildren();
    for (const r of wizChargerResults(c, t.body, siteAuth)) wizRecord(w, r, null);
    show();
  };
  show();
  const conns = [];
  for (let n = 1; n <= Number(c.connectors); n++) conns.push(wizPhaseCheck(w, c, n));
  return h('article', { class: 'card', 'data-charger': c.name },
    h('h3', {}, c.name + ' · ' + c.host + ':' + c.port),
    h('div', { class: 'actions' }, h('button', { type: 'button', 'data-action': 'test', onclick: test }, WT.test + ' ' + c.name)),
    msg, out, conns);
}

/* The saved reports: operators read them too. */
async function wizReports() {
  const r = await api('GET', '/api/reports');
  if (r.status !== 200) return h('p', { class: 'error' }, r.body.error);
  return h('section', { class: 'card', id: 'wiz-reports' }, h('h2', {}, WT.reports),
    r.body.reports.length ? table(['Number', 'Date', 'Site', 'Installer', 'Results', ''], r.body.reports.map((x) => [
      String(x.id), fmtTime(x.time_ms), x.site, x.installer,
      ['pass', 'warn', 'fail', 'skipped'].map((k) => (x.counts ? x.counts[k] : 0) + ' ' + k).join(', '),
      h('span', { class: 'actions' }, h('a', { href: '/api/reports/' + x.id + '.html', target: '_blank', rel: 'noopener' }, WT.open),
        h('a', { href: '/api/reports/' + x.id + '.html?download=yes' }, WT.download))]))
      : h('p', { class: 'hint' }, WT.noReports),
    h('p', { class: 'hint' }, WT.print));
}

async function wizSummary(w, cfg) {
  const st = S.status || { alarms: [] };
  const fb = wizFallback(cfg.config);
  wizRecord(w, fb, null);
  const alarms = st.alarms || [];
  wizRecord(w, { step: 'alarms', status: alarms.length ? 'warn' : 'pass',
    text: alarms.length ? alarms.length + ' alarm(s) active: ' + alarms.map((a) => a.text).join('; ').slice(0, 300) : WT.alarmsNone }, null);
  const who = h('input', { id: 'wiz-installer', value: w.installer || S.session.user, maxlength: 64 });
  const notes = h('textarea', { id: 'wiz-notes', rows: 5, maxlength: 4000 });
  notes.value = w.notes || '';
  who.addEventListener('input', () => { w.installer = who.value; wizSave(w); });
  notes.addEventListener('input', () => { w.notes = notes.value; wizSave(w); });
  const out = h('div', { 'aria-live': 'polite', id: 'wiz-saved' });
  const rows = wizOrdered(w).map((r) => [WT.names[r.step], r.charger ? r.charger + (r.connector ? ' · ' + r.connector : '') : 'site',
    wizBadge(r.status), r.text]);
  const save = async () => {
    const body = { installer: who.value.trim(), notes: notes.value.replace(/\t/g, ' '), steps: wizOrdered(w) };
    const r = await api('POST', '/api/reports', body);
    if (r.status !== 201) { message(out, r.body.error, true); return; }
    /* saved: the next pass starts afresh */
    localStorage.removeItem(WIZ_KEY);
    Object.assign(w, { step: 0, results: {}, installer: '', notes: '' });
    put(out, h('p', { class: 'msg' }, WT.saved + ' ',
      h('a', { href: r.body.html, target: '_blank', rel: 'noopener', id: 'wiz-open' }, WT.open + ' report ' + r.body.id), ' · ',
      h('a', { href: r.body.html + '?download=yes' }, WT.download)));
    const list = document.getElementById('wiz-reports');
    if (list) list.replaceWith(await wizReports());
  };
  const fbOut = h('div', { class: 'wiz-result', 'data-result': 'fallback||' });
  wizShow(fbOut, fb);
  return [h('section', { class: 'card' }, h('h2', {}, WT.fallbackTitle), fbOut),
  h('section', { class: 'card' }, h('h2', {}, 'Alarms'), alarms.length
    ? h('ul', {}, alarms.map((a) => h('li', { class: 'sev' + a.severity }, a.text))) : h('p', {}, WT.alarmsNone)),
  h('section', { class: 'card' }, h('h2', {}, 'Results'), rows.length ? table(['Check', 'Where', 'Result', 'Finding'], rows) : h('p', { class: 'hint' }, WT.none),
    h('label', { for: 'wiz-installer' }, WT.installer), who,
    h('label', { for: 'wiz-notes' }, WT.notes), notes,
    h('div', { class: 'actions' }, h('button', { type: 'button', id: 'wiz-save', onclick: save }, WT.save)), out)];
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
    const form = settingsForm(cfg, 'site', ['name', 'site_limit', 'group_limit', 'margin', 'meter_offline_limit', 'fallback_current'], WT.steps[0]);
    /* once a save has answered (its message shown), the figures again */
    new MutationObserver(redo).observe(form.querySelector('[aria-live]'), { childList: true });
    put(body, h('p', { class: 'hint' }, WT.siteHelp), form,
      h('section', { class: 'card' }, h('h2', {}, WT.steps[0]), siteOut, h('h2', {}, WT.fallbackTitle), fbOut));
    wizRecord(w, wizSiteResult(cfg.config), siteOut);
    wizRecord(w, wizFallback(cfg.config), fbOut);
  } else if (w.step === 1) {
    put(body, h('p', { class: 'hint' }, WT.meterHelp),
      h('section', { class: 'card' }, h('h2', {}, WT.meterLive), live, h('h3', {}, WT.meterCheck), meterOut, h('h3', {}, WT.clampCheck), clampOut),
      settingsForm(cfg, 'meter', ['enabled', 'driver', 'transport', 'host', 'port', 'device', 'unit_id'], 'Meter'));
    S.page = { live: (st) => {
      live.textContent = 'Meter ' + (st.meter_online ? 'online' : 'offline') + ': L1 ' + fmtA(st.clamp[0]) + ', L2 ' + fmtA(st.clamp[1]) +
        ', L3 ' + fmtA(st.clamp[2]) + ' · as of ' + new Date().toLocaleTimeString();
      const [m, c] = wizMeterResults(cfg.config, st);
      wizRecord(w, m, meterOut);
      if (c) wizRecord(w, c, clampOut);
    } };
    if (S.status) S.page.live(S.status);
  } else if (w.step === 2) {
    const r = await api('GET', '/api/chargers');
    if (r.status !== 200) { message(body, r.body.error, true); return; }
    put(body, h('p', { class: 'hint' }, WT.chargerHelp), r.body.chargers.map((c) => wizCharger(w, c, cfg.config.site.authorisation)));
  } else {
    put(body, await wizSummary(w, cfg));
  }
}

async function pageCommissioning() {
  const parts = [h('h1', {}, WT.title)];
  if (!isInstaller()) {
    put($('page'), ...parts, h('p', { class: 'hint' }, WT.operator), await wizReports());
    return;
  }
  const cfg = await loadConfig();
  if (!cfg) return;
  const w = wizLoad();
  const body = h('div', { id: 'wiz-body' });
  const nav = h('ol', { class: 'wiz-steps' });
  const go = async (i) => {
    w.step = Math.max(0, Math.min(WT.steps.length - 1, i));
    wizSave(w);
    put(nav, WT.steps.map((t, k) => h('li', {}, h('button', { type: 'button', class: 'link', 'aria-current': k === w.step ? 'step' : null,
      onclick: () => go(k) }, (k + 1) + '. ' + t))));
    put(body, h('p', { class: 'hint' }, '…'));
    await wizStep(w, await loadConfig() || cfg, body);
    back.disabled = w.step === 0;
    next.disabled = w.step === WT.steps.length - 1;
  };
  const back = h('button', { type: 'button', class: 'secondary', id: 'wiz-back', onclick: () => go(w.step - 1) }, WT.back);
  const next = h('button', { type: 'button', id: 'wiz-next', onclick: () => go(w.step + 1) }, WT.next);
  const again = h('button', { type: 'button', class: 'link', onclick: () => {
    if (!confirm(WT.restartAsk)) return;
    localStorage.removeItem(WIZ_KEY);
    route();
  } }, WT.restart);
  put($('page'), ...parts, h('p', { class: 'hint' }, WT.intro, ' ', again), nav, body,
    h('div', { class: 'actions wiz-move' }, back, next), await wizReports());
  await go(w.step);
}

pages.commissioning = pageCommissioning;
/* app.js may have routed before this file arrived (it asks for the
 * session meanwhile): the dashboard stood in for this page then */
if (S.session && location.hash.startsWith('#/commissioning')) route();
