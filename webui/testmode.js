/*
 * evgroup web UI: the phase check on the chargers page (issue 18,
 * section 3). Each connector gets a "Phase check" panel: choose the test
 * current, start, watch each phase rise, read the result and, when the
 * meter saw another wiring than the configured one, apply the suggested
 * one through the chargers' normal settings (with its confirmation).
 * The API is docs/api.md, "Test mode"; the helpers are app.js's.
 */
'use strict';

const TM_RUNNING = ['baseline', 'step', 'measure', 'return'];

/* "+10.0 A" with its sign, in the browser's locale */
const tmSigned = (v) => (v >= 0 ? '+' : '\u2212') + fmtNum(Math.abs(v), 1) + ' A';

/* Each phase's rise, as a line with a bar scaled to the test current. */
function tmRises(rise, full) {
  if (!rise) return h('p', { class: 'hint' }, t('testmode.risesLater'));
  return h('div', { class: 'tm-rises' }, rise.map((v, p) => {
    /* through the CSSOM: the page's policy allows no inline style */
    const ev = h('span', { class: 'ev' });
    ev.style.left = '0';
    ev.style.width = Math.max(0, Math.min(100, (v / full) * 100)).toFixed(0) + '%';
    return h('div', { class: 'tm-rise', 'data-phase': 'L' + (p + 1) }, h('span', {}, 'L' + (p + 1)),
      h('span', { class: 'bar' }, ev), h('span', { class: 'tm-num' }, tmSigned(v)));
  }));
}

/*
 * A finished check's figures, named as both pages name them (the
 * chargers page's panel and the wizard's report): the car's own
 * conductors it draws on (result.car_phases), the site phases they land
 * on (result.site_phases), each clamp's rise, the wiring configured and
 * suggested, the readings. {name: text}, in the browser's words.
 */
function tmFigures(r) {
  const f = {};
  const list = (a) => (Array.isArray(a) && a.length ? a.join(', ') : t('testmode.none'));
  if (Array.isArray(r.car_phases)) f[t('testmode.car')] = list(r.car_phases);
  if (Array.isArray(r.site_phases)) f[t('testmode.site')] = list(r.site_phases);
  if (Array.isArray(r.rise_a)) f[t('testmode.rise')] = r.rise_a.map((v, i) => 'L' + (i + 1) + ' ' + tmSigned(Number(v))).join(', ');
  if (r.configured) f[t('testmode.configured')] = r.configured;
  if (r.suggested) f[t('testmode.suggested')] = r.suggested;
  if (Array.isArray(r.readings)) f[t('testmode.readings')] = t('testmode.readingsText', r.readings[0], r.readings[1]);
  return f;
}

/* The figures as a list. */
const tmFigureList = (f) => h('ul', { class: 'hint tm-figures' },
  Object.entries(f).map(([k, v]) => h('li', {}, t('testmode.figure', k, v))));

/* The panel of one connector of one charger (c: from GET /api/chargers). */
function tmPanel(c, n) {
  const id = 'tm-' + c.id + '-' + n;
  const max = Number(c['max_current' + n]) || 16;
  const min = Number(c['min_current' + n]) || 6;
  const current = h('input', { id: id + '-current', name: 'current', inputmode: 'decimal',
    value: numShown(String(Math.min(16, max))), 'aria-describedby': id + '-help' });
  const start = h('button', { type: 'button' }, t('testmode.start'));
  const stop = h('button', { type: 'button', class: 'secondary', hidden: true }, t('testmode.stop'));
  const out = h('div', { 'aria-live': 'polite', id: id + '-out' });
  const panel = h('section', { class: 'tm-panel', id, 'data-connector': String(n), hidden: true },
    h('h3', {}, t('testmode.head', n, c['phase' + n])),
    h('p', { class: 'hint', id: id + '-help' }, t('testmode.help', fmtA(min + 4), fmtA(max))),
    isInstaller() ? [h('label', { for: id + '-current' }, t('testmode.current')), current,
      h('div', { class: 'actions' }, start, stop)] : null,
    out);
  let timer = null;

  const show = (j) => {
    stop.hidden = !TM_RUNNING.includes(j.state);
    start.disabled = !stop.hidden;
    if (j.state === 'idle') {
      put(out, j.busy ? h('p', { class: 'hint' }, t('testmode.busy', j.busy.connector, j.busy.charger, j.busy.who)) : null);
      return;
    }
    if (TM_RUNNING.includes(j.state)) {
      const l = j.live || {};
      put(out, h('p', { class: 'msg' }, t('testmode.running', t('testmode.step.' + j.state), fmtA(l.offer), l.elapsed_s || 0,
        j.seconds)), tmRises(l.rise_a, j.current),
      l.car_a ? h('p', { class: 'hint' }, t('testmode.carDraws', tmSigned(l.car_a[0]), tmSigned(l.car_a[1]),
        tmSigned(l.car_a[2]))) : null);
      return;
    }
    const r = j.result;
    const apply = r.suggested && isInstaller() ? h('button', { type: 'button', class: 'secondary' },
      t('testmode.setWiring', n, r.suggested)) : null;
    const applied = h('div', { 'aria-live': 'polite' });
    if (apply) apply.addEventListener('click', async () => {
      if (!confirm(t('testmode.setAsk', n, c.name, r.configured, r.suggested, r.site_phases.join(', ')))) return;
      const x = await sendConfirmed('PUT', '/api/chargers/' + c.id, { ['phase' + n]: r.suggested });
      if (x.status === 0) { message(applied, t('save.cancelled')); return; }
      message(applied, x.status === 200 ? savedText(x.body) : x.body.error, x.status !== 200);
      if (x.status === 200) { apply.disabled = true; if (x.body.pending) setPending(x.body.pending); }
    });
    put(out, h('p', { class: 'msg' + (r.verdict === 'match' ? '' : ' bad'), role: r.verdict === 'mismatch' ? 'alert' : 'status',
      'data-verdict': r.verdict }, t('testmode.verdict.' + r.verdict,
      r.text.replace(/^connector \d+ of [^:]*?: inconclusive: /, ''))),
    r.verdict !== 'inconclusive' || j.state === 'done' ? tmRises(r.rise_a, j.current) : null,
    r.verdict !== 'inconclusive' ? tmFigureList(tmFigures(r)) : null,
    apply ? h('div', { class: 'actions' }, apply) : null, applied);
  };

  const poll = async () => {
    timer = null;
    if (!document.body.contains(panel) || panel.hidden) return;
    const j = await api('GET', '/api/chargers/' + c.id + '/connectors/' + n + '/test-mode');
    if (j.status !== 200) { message(out, j.body.error, true); return; }
    show(j.body);
    if (TM_RUNNING.includes(j.body.state)) timer = setTimeout(poll, 1000);
  };

  start.addEventListener('click', async () => {
    current.classList.remove('invalid');
    current.removeAttribute('aria-invalid');
    const typed = typedNum(current.value);
    const a = Number(typed);
    if (!typed || !Number.isFinite(a)) {
      current.classList.add('invalid');
      current.setAttribute('aria-invalid', 'true');
      message(out, t('testmode.badCurrent'), true);
      current.focus();
      return;
    }
    const x = await api('POST', '/api/chargers/' + c.id + '/connectors/' + n + '/test-mode', { current: a, seconds: 60 });
    if (x.status !== 200) {
      if (x.body.field === 'current') { current.classList.add('invalid'); current.setAttribute('aria-invalid', 'true'); current.focus(); }
      message(out, x.body.error, true);
      return;
    }
    show(x.body);
    if (!timer) timer = setTimeout(poll, 1000);
  });
  stop.addEventListener('click', async () => {
    const x = await api('DELETE', '/api/chargers/' + c.id + '/connectors/' + n + '/test-mode');
    if (x.status !== 200) message(out, x.body.error, true); else show(x.body);
  });
  panel.open = () => { panel.hidden = !panel.hidden; if (!panel.hidden && !timer) poll(); };
  return panel;
}

/* The chargers page as app.js draws it, with a panel per connector. */
const tmChargersPage = pages.chargers;
pages.chargers = async () => {
  await tmChargersPage();
  const r = await api('GET', '/api/chargers');
  if (r.status !== 200) return;
  for (const c of r.body.chargers) {
    const card = document.querySelector('article[data-charger="' + CSS.escape(c.name) + '"]');
    if (!card) continue;
    const bar = h('div', { class: 'actions tm-actions' });
    const panels = [];
    for (let n = 1; n <= Number(c.connectors); n++) {
      const p = tmPanel(c, n);
      const b = h('button', { type: 'button', class: 'secondary', 'aria-controls': p.id, 'aria-expanded': 'false' },
        Number(c.connectors) > 1 ? t('testmode.buttonN', n) : t('testmode.button'));
      b.addEventListener('click', () => { p.open(); b.setAttribute('aria-expanded', String(!p.hidden)); });
      bar.append(b);
      panels.push(p);
      /* a test running here (its reason in the status): open at once */
      if (S.status && S.status.connectors.some((x) => x.charger === c.name && x.connector === n && x.reason === 'test_mode'))
        b.click();
    }
    card.append(bar, ...panels);
  }
};
