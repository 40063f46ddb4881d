/*
 * Circuits page: the supply and the circuits under it as a tree (each
 * circuit indented under its parent), each with its limit, margin,
 * unbalanced-load limit, meter and chargers, and, while the appliance
 * runs, its bars per phase from /api/status circuits[] when the status
 * has them. Installers add, edit and remove circuits and move chargers
 * between them (docs/api.md, "Circuits"); operators see it read-only.
 * Uses app.js's helpers; registered into its pages table.
 */
'use strict';

/* The settings an Edit form shows, in this order; the meter's only with
 * a meter, and those of its transport only. */
const CIRCUIT_KEYS = ['name', 'parent', 'limit', 'margin', 'imbalance', 'offline_limit', 'meter',
  'meter_transport', 'meter_host', 'meter_port', 'meter_device', 'meter_baud', 'meter_parity',
  'meter_unit_id', 'meter_poll_period', 'meter_offline_after', 'meter_chargers_included', 'ct_rating'];
const CIRCUIT_TCP = ['meter_host', 'meter_port'], CIRCUIT_RTU = ['meter_device', 'meter_baud', 'meter_parity'];

function circuitMeterFields(form) {
  const val = (n) => { const e = form.querySelector('[name="' + n + '"]'); return e ? e.value : ''; };
  const none = val('meter') === 'none', tcp = val('meter_transport') !== 'rtu';
  for (const row of form.querySelectorAll('.setting')) {
    const k = row.dataset.key;
    if (!k.startsWith('meter_') && k !== 'ct_rating') continue;
    row.hidden = none || (CIRCUIT_TCP.includes(k) && !tcp) || (CIRCUIT_RTU.includes(k) && tcp) ||
      (k === 'ct_rating' && val('meter') !== 'sense');
  }
}

/* A limit of 0 is none. */
const limitOrNone = (v) => (typedNum(v) === '0' || Number(v) === 0 ? t('circuits.none') : fmtA(Number(v)));

/* What a circuit's meter is, and whether it answers (status, when there). */
function circuitMeterText(c, live, st) {
  if (!c.id) return c.meter === 'none' ? t('circuits.noMeter') : st ? t(st.meter_online ? 'circuits.supplyMeterOnline' : 'circuits.supplyMeterOffline') : t('circuits.supplyMeter');
  if (!c.meter || c.meter === 'none') return t('circuits.noMeter');
  if (!live || !live.meter) return t('circuits.meter', c.meter);
  if (live.meter.online) return t('circuits.meterOnline', c.meter);
  return t('circuits.meterOffline', c.meter, live.meter.why || t('metering.offline'));
}

/*
 * One circuit's bars per phase, from its status: its other load
 * (building) where its meter measures it, what its chargers are counted
 * at (used), and a line where what they may take ends (available); the
 * black line is its limit. Nothing when the status has no figures.
 */
function circuitBars(live, limit) {
  if (!live || !Array.isArray(live.available) || !Array.isArray(live.used)) return null;
  const building = Array.isArray(live.building) ? live.building : [0, 0, 0];
  const scale = Math.max(limit, ...[0, 1, 2].map((i) => (building[i] || 0) + live.used[i] + live.available[i]), 1) * 1.1;
  return h('div', { class: 'phases circuit-bars' }, [0, 1, 2].map((i) => {
    const b = Math.max(0, building[i] || 0), u = Math.max(0, live.used[i]), avail = Math.max(0, live.available[i]);
    const bar = h('div', { class: 'bar' + (b + u > 0.9 * limit ? ' warn' : ''), role: 'img',
      'aria-label': t('circuits.barLabel', i + 1, fmtA(u), fmtA(avail), fmtA(limit)) });
    const nb = h('div', { class: 'nonev' }), ev = h('div', { class: 'ev' });
    const lim = h('div', { class: 'limit' }), fuse = h('div', { class: 'fuse' });
    nb.style.width = (100 * b / scale) + '%';
    ev.style.left = (100 * b / scale) + '%';
    ev.style.width = (100 * u / scale) + '%';
    lim.style.left = 'calc(' + Math.min(100, 100 * (b + avail) / scale) + '% - 1px)';
    fuse.style.left = 'calc(' + (100 * limit / scale) + '% - 1px)';
    bar.append(nb, ev, fuse, lim);
    const measured = Array.isArray(live.measured) ? t('circuits.measured', fmtA(live.measured[i])) : '';
    return h('div', { class: 'phase' }, h('strong', {}, 'L' + (i + 1)), bar,
      h('div', { class: 'nums' }, t('circuits.nums', fmtA(u), fmtA(avail)) + measured));
  }));
}

/* A charger's line: its name, and for installers where to move it. */
function chargerLine(ch, here, names, out) {
  if (!isInstaller()) return h('li', { 'data-charger': ch.name }, ch.name);
  const id = 'move-' + ch.id;
  const sel = h('select', { id, name: 'circuit', 'data-charger': ch.name },
    names.map((n) => h('option', { value: n, selected: n === here }, n === 'supply' ? t('circuits.supply') : n)));
  sel.addEventListener('change', async () => {
    const r = await api('PUT', '/api/chargers/' + ch.id, { circuit: sel.value });
    if (r.status !== 200) { message(out, r.body.error, true); sel.value = here; return; }
    message(out, t('circuits.moved', ch.name, sel.value === 'supply' ? t('circuits.supply') : sel.value, savedText(r.body)));
    if (r.body.pending) setPending(r.body.pending);
  });
  return h('li', { 'data-charger': ch.name }, h('label', { for: id }, t('circuits.moveLabel', ch.name)), sel);
}

/* Removing: refused while it has chargers or circuits under it; asked
 * first with the figures (nothing keeps its fuse any more). */
async function removeCircuit(c, out) {
  let r = await api('DELETE', '/api/circuits/' + c.id);
  if (r.status === 409 && r.body.field === 'confirm') {
    const ask = r.body.confirm.map((x) => t('save.raiseLine', x.words, x.from, x.to, x.consequence)).join('\n\n');
    if (!confirm(t('save.raiseAsk', ask))) { message(out, t('save.cancelled')); return; }
    r = await api('DELETE', '/api/circuits/' + c.id + '?confirm=yes');
  }
  if (r.status !== 200) { message(out, r.body.error, true); return; }
  message(out, t('circuits.removed', c.name, r.body.result));
  if (r.body.pending) setPending(r.body.pending);
  setTimeout(route, 800);
}

function circuitCard(cfg, c, names, out) {
  const here = h('div', { 'aria-live': 'polite' });
  const card = h('article', { class: 'card circuit', 'data-circuit': c.id ? c.name : 'supply', 'data-depth': c.depth || 0 });
  /* indented by depth, at most 4 steps: a deep tree still fits 360 px */
  card.style.marginInlineStart = (Math.min(c.depth || 0, 4) * 0.75) + 'rem';
  const live = h('div', { class: 'circuit-live' });
  const summary = h('p', { class: 'circuit-summary' });
  const draw = (st) => {
    const l = st && Array.isArray(st.circuits) ? st.circuits.find((x) => x.name === c.name) : null;
    summary.textContent = t(c.id ? 'circuits.summary' : 'circuits.supplySummary', fmtA(Number(c.limit)), fmtA(Number(c.margin)), limitOrNone(c.imbalance),
      c.offline_limit !== undefined ? fmtA(Number(c.offline_limit)) : '-', circuitMeterText(c, l, st));
    put(live, circuitBars(l, Number(c.limit)));
  };
  let edit = null;
  if (isInstaller() && c.id) {
    edit = settingsForm(cfg, 'circuit' + c.id, CIRCUIT_KEYS, t('circuits.edit', c.name), () => setTimeout(route, 800));
    edit.hidden = true;
    edit.addEventListener('input', () => circuitMeterFields(edit));
    circuitMeterFields(edit);
  }
  put(card, h('h2', {}, c.id ? c.name : t('circuits.supply')), summary, live,
    h('h3', {}, t('circuits.chargers')),
    c.chargers.length ? h('ul', { class: 'circuit-chargers' }, c.chargers.map((ch) => chargerLine(ch, c.id ? c.name : 'supply', names, here)))
      : h('p', { class: 'hint' }, t('circuits.noChargers')),
    here,
    edit ? h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', 'data-action': 'edit', onclick: () => { edit.hidden = !edit.hidden; } }, t('chargers.editButton')),
      h('button', { type: 'button', class: 'danger', 'data-action': 'remove', onclick: () => removeCircuit(c, here) }, t('common.remove'))) : null,
    edit);
  draw(S.status);
  return { card, draw };
}

/* The form of a new circuit: what it needs, its meter after (Edit). */
function circuitAddForm(names) {
  const field = (k, l, ph, extra) => [h('label', { for: 'add-circuit-' + k }, l),
    h('div', { class: 'row' }, h('input', Object.assign({ id: 'add-circuit-' + k, name: k, placeholder: ph }, extra || {})))];
  const num = { inputmode: 'decimal' };
  const form = h('form', { class: 'card', id: 'add-circuit', novalidate: true }, h('h2', {}, t('circuits.add')),
    field('name', t('circuits.name'), 'row-a'),
    h('label', { for: 'add-circuit-parent' }, t('circuits.parent')),
    h('div', { class: 'row' }, h('select', { id: 'add-circuit-parent', name: 'parent' },
      names.map((n) => h('option', { value: n }, n === 'supply' ? t('circuits.supply') : n)))),
    field('limit', t('circuits.limit'), '63', num), field('margin', t('circuits.margin'), '0', num),
    field('imbalance', t('circuits.imbalance'), '0', num), field('offline_limit', t('circuits.offlineLimit'), '10', num),
    h('label', { for: 'add-circuit-meter' }, t('circuits.meterType')),
    h('div', { class: 'row' }, h('select', { id: 'add-circuit-meter', name: 'meter' },
      ['none', 'sense', 'sdm630', 'sdm120'].map((m) => h('option', { value: m }, m)))),
    h('div', { class: 'setting', 'data-key': 'meter_host' }, field('meter_host', t('circuits.meterHost'), '192.168.10.201')),
    h('p', { class: 'hint' }, t('circuits.addHint')));
  const out = h('div', { 'aria-live': 'polite', id: 'add-circuit-msg' });
  form.append(out, h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('circuits.addButton'))));
  const meterHost = () => { form.querySelector('[data-key=meter_host]').hidden = form.querySelector('[name=meter]').value === 'none'; };
  form.querySelector('[name=meter]').addEventListener('change', meterHost);
  meterHost();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = {};
    for (const el of form.querySelectorAll('input, select'))
      if (el.value !== '' && !el.closest('[hidden]')) body[el.name] = el.inputMode === 'decimal' ? typedNum(el.value) : el.value;
    const r = await api('POST', '/api/circuits', body);
    if (r.status !== 201) { fieldError(form, out, r); return; }
    message(out, t('circuits.added', body.name, savedText(r.body)));
    if (r.body.pending) setPending(r.body.pending);
    setTimeout(route, 800);
  });
  return form;
}

async function pageCircuits() {
  const r = await api('GET', '/api/circuits');
  const cfg = await loadConfig();
  if (r.status !== 200 || !cfg) return;
  const out = h('div', { 'aria-live': 'polite', id: 'circuits-msg' });
  const names = ['supply', ...r.body.circuits.map((c) => c.name)];
  const cards = [circuitCard(cfg, Object.assign({ depth: 0 }, r.body.supply), names, out),
    ...r.body.circuits.map((c) => circuitCard(cfg, c, names, out))];
  put($('page'), h('h1', {}, t('circuits.title')),
    h('p', { class: 'hint' }, t(isInstaller() ? 'circuits.help' : 'circuits.helpOperator')),
    r.body.restart_needed ? h('p', { class: 'msg' }, t('circuits.restartNote')) : null,
    out, h('div', { id: 'circuit-tree' }, cards.map((x) => x.card)),
    r.body.circuits.length ? null : h('p', { class: 'hint', id: 'circuits-none' }, t('circuits.noneYet')),
    isInstaller() ? circuitAddForm(names) : null);
  S.page = { live: (st) => { for (const x of cards) x.draw(st); } };
}

pages.circuits = pageCircuits;
