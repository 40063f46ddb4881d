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
const TM_STEPS = {
  baseline: 'Step 1 of 3: the connector at its minimum, the site read as it is',
  step: 'Step 2 of 3: the test current offered, the car follows (5 s)',
  measure: 'Step 3 of 3: the site read at the test current',
  return: 'Step 3 of 3: back at the minimum, the site read again (the fall must mirror the rise)',
};

/* "+10.0 A" with its sign */
const tmSigned = (v) => (v >= 0 ? '+' : '\u2212') + Math.abs(v).toFixed(1) + ' A';

/* Each phase's rise, as a line with a bar scaled to the test current. */
function tmRises(rise, full) {
  if (!rise) return h('p', { class: 'hint' }, 'Each phase\'s rise shows once the site has been read at the minimum.');
  return h('div', { class: 'tm-rises' }, rise.map((v, p) => {
    /* through the CSSOM: the page's policy allows no inline style */
    const ev = h('span', { class: 'ev' });
    ev.style.left = '0';
    ev.style.width = Math.max(0, Math.min(100, (v / full) * 100)).toFixed(0) + '%';
    return h('div', { class: 'tm-rise', 'data-phase': 'L' + (p + 1) }, h('span', {}, 'L' + (p + 1)),
      h('span', { class: 'bar' }, ev), h('span', { class: 'tm-num' }, tmSigned(v)));
  }));
}

/* The panel of one connector of one charger (c: from GET /api/chargers). */
function tmPanel(c, n) {
  const id = 'tm-' + c.id + '-' + n;
  const max = Number(c['max_current' + n]) || 16;
  const min = Number(c['min_current' + n]) || 6;
  const current = h('input', { id: id + '-current', name: 'current', inputmode: 'decimal',
    value: String(Math.min(16, max)), 'aria-describedby': id + '-help' });
  const start = h('button', { type: 'button' }, 'Start phase check');
  const stop = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Stop');
  const out = h('div', { 'aria-live': 'polite', id: id + '-out' });
  const panel = h('section', { class: 'tm-panel', id, 'data-connector': String(n), hidden: true },
    h('h3', {}, 'Phase check, connector ' + n + ' (configured ' + c['phase' + n] + ')'),
    h('p', { class: 'hint', id: id + '-help' }, 'The connector is offered its minimum, then the test current, while the meter ' +
      'reads each phase; the other cars are held steady meanwhile. A car must be plugged in and charging; a single-phase car ' +
      'shows the rotation. Test current: from ' + (min + 4).toFixed(1) + ' A (4 A above the minimum) to the connector\'s ' +
      max.toFixed(1) + ' A or its charger\'s rating, if lower; it takes about 20 s.'),
    isInstaller() ? [h('label', { for: id + '-current' }, 'Test current (A)'), current,
      h('div', { class: 'actions' }, start, stop)] : null,
    out);
  let timer = null;

  const show = (j) => {
    stop.hidden = !TM_RUNNING.includes(j.state);
    start.disabled = !stop.hidden;
    if (j.state === 'idle') {
      put(out, j.busy ? h('p', { class: 'hint' }, 'A phase check runs on connector ' + j.busy.connector + ' of ' +
        j.busy.charger + ' (' + j.busy.who + '); one at a time.') : null);
      return;
    }
    if (TM_RUNNING.includes(j.state)) {
      const l = j.live || {};
      put(out, h('p', { class: 'msg' }, TM_STEPS[j.state] + ' · offered ' + fmtA(l.offer) + ' · ' + (l.elapsed_s || 0) +
        ' s of at most ' + j.seconds + ' s'), tmRises(l.rise_a, j.current),
      l.car_a ? h('p', { class: 'hint' }, 'The car draws more on its L1 ' + tmSigned(l.car_a[0]) + ', L2 ' + tmSigned(l.car_a[1]) +
        ', L3 ' + tmSigned(l.car_a[2]) + ' (as its charger measures).') : null);
      return;
    }
    const r = j.result;
    const apply = r.suggested && isInstaller() ? h('button', { type: 'button', class: 'secondary' },
      'Set connector ' + n + ' wiring to ' + r.suggested) : null;
    const applied = h('div', { 'aria-live': 'polite' });
    if (apply) apply.addEventListener('click', async () => {
      if (!confirm('Change the wiring setting of connector ' + n + ' of ' + c.name + ' from ' + r.configured + ' to ' +
        r.suggested + '?\n\nThe meter saw the car on ' + r.site_phases.join(', ') + '. The change takes effect after a restart.')) return;
      const x = await sendConfirmed('PUT', '/api/chargers/' + c.id, { ['phase' + n]: r.suggested });
      if (x.status === 0) { message(applied, 'Not saved: nothing changed.'); return; }
      message(applied, x.status === 200 ? savedText(x.body) : x.body.error, x.status !== 200);
      if (x.status === 200) { apply.disabled = true; if (x.body.pending) setPending(x.body.pending); }
    });
    put(out, h('p', { class: 'msg' + (r.verdict === 'match' ? '' : ' bad'), role: r.verdict === 'mismatch' ? 'alert' : 'status',
      'data-verdict': r.verdict }, (r.verdict === 'match' ? 'Match: ' : r.verdict === 'mismatch' ? 'Mismatch: ' : 'Inconclusive: ') +
      r.text.replace(/^connector \d+ of [^:]*?: inconclusive: /, '')),
    r.verdict !== 'inconclusive' || j.state === 'done' ? tmRises(r.rise_a, j.current) : null,
    r.verdict !== 'inconclusive' ? h('p', { class: 'hint' }, 'The car draws on its ' + (r.car_phases.join(', ') || 'none') +
      '; the meter saw ' + (r.site_phases.join(', ') || 'no phase') + ' rise' + (r.suggested ? '; suggested wiring ' + r.suggested : '') +
      '. Readings: ' + r.readings[0] + ' before, ' + r.readings[1] + ' during.') : null,
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
    const a = Number(current.value.trim().replace(',', '.'));
    if (!current.value.trim() || !Number.isFinite(a)) {
      current.classList.add('invalid');
      current.setAttribute('aria-invalid', 'true');
      message(out, 'Test current: a number of amperes, for example 16', true);
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
        'Phase check' + (Number(c.connectors) > 1 ? ' ' + n : ''));
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
