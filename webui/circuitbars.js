/*
 * The dashboard's circuits and site limits: under the supply's bars, the
 * external limit in force (its value, until when, by whom), the supply's
 * phase balance, the demand window, and each circuit's bars per phase,
 * nested like the tree (a board under its parent). From the status
 * (GET /api/status: circuits, imbalance, external_limit, demand;
 * docs/api.md). Loaded after app.js, whose helpers it uses; app.js's
 * dashboard calls drawSiteLimits() on every status. Read-only: the
 * circuits are set on the Circuits page.
 */
'use strict';

/* Its words are in text.js, under 'circuits.'. */

const cbClockFormat = new Intl.DateTimeFormat(LOCALE, { timeStyle: 'short' });
const cbClock = (ms) => cbClockFormat.format(new Date(ms));
const cbKw = (v, unit) => fmtNum(v, 1) + ' ' + (unit || 'kW');
const cbNum = (v) => (typeof v === 'number' && isFinite(v) ? v : 0);

/* "40.0 A", or "40.0 / 40.0 / 35.0 A" when the phases differ. */
function cbA3(a) {
  return a[0] === a[1] && a[1] === a[2] ? fmtA(a[0]) : a.map((v) => fmtNum(v, 1)).join(' / ') + ' A';
}

/* The site has something to show here. */
function cbHas(st) {
  return (st.circuits && st.circuits.length > 0) || typeof st.imbalance_limit === 'number' ||
    !!st.external_limit || !!st.demand;
}

/*
 * Draws into el (a part of the supply's card): the site's limits, then
 * the circuits' tree. Hidden on a site that has none of them.
 */
function drawSiteLimits(st, el) {
  el.hidden = !cbHas(st);
  if (el.hidden) { el.replaceChildren(); return; }
  put(el, cbExternal(st), cbImbalance(st), cbDemand(st), cbTree(st));
}

/* "External limit 40.0 A per phase, set by bms, until 10:47 (4:59 left)" */
function cbExternal(st) {
  const x = st.external_limit;
  if (!x) return null;
  return h('p', { id: 'dash-external', class: 'site-limit warn' },
    t('cbar.external', cbA3(x.limit), x.by || '?', cbClock(x.until), fmtLeft(x.until - st.time_ms)));
}

function cbImbalance(st) {
  if (typeof st.imbalance_limit !== 'number') return null;
  const now = typeof st.imbalance === 'number' ? st.imbalance : null;
  const over = now !== null && now > st.imbalance_limit;
  return h('p', { id: 'dash-imbalance', class: 'site-limit' + (over ? ' bad' : '') },
    now === null ? t('cbar.imbalanceNoMeter', fmtA(st.imbalance_limit))
      : t('cbar.imbalance', fmtA(now), fmtA(st.imbalance_limit)));
}

/*
 * The demand window: its average so far, where it ends if the present
 * power holds, the target, the chargers' share now; a bar of the
 * projection against the target. Heading over the target: a warning;
 * over it: bad, said in words too (not by colour alone).
 */
function cbDemand(st) {
  const d = st.demand;
  if (!d) return null;
  /* heading over: the projection above the target (the appliance's
   * "over"); over already: the energy so far past the window's budget */
  const heading = d.over || cbNum(d.projected) > cbNum(d.target);
  const spent = cbNum(d.average) * (st.time_ms - d.start) > cbNum(d.target) * (d.end - d.start);
  const cls = spent ? ' bad' : heading ? ' warn' : '';
  const scale = Math.max(cbNum(d.target), cbNum(d.projected), cbNum(d.average), 1) * 1.1;
  const bar = h('div', { class: 'bar demand-bar' + cls, role: 'img',
    'aria-label': t('cbar.demandBar', cbKw(d.average, d.unit), cbKw(d.projected, d.unit), cbKw(d.target, d.unit)) });
  const avg = h('div', { class: 'nonev' }), proj = h('div', { class: 'projected' }), lim = h('div', { class: 'limit' });
  avg.style.width = (100 * Math.max(0, cbNum(d.average)) / scale) + '%';
  proj.style.width = (100 * Math.max(0, cbNum(d.projected)) / scale) + '%';
  lim.style.left = 'calc(' + (100 * cbNum(d.target) / scale) + '% - 1px)';
  bar.append(proj, avg, lim);
  return h('div', { id: 'dash-demand', class: 'site-limit' + cls, 'data-over': spent ? 'yes' : heading ? 'heading' : 'no' },
    h('h3', {}, t('cbar.demandTitle', cbClock(d.start), cbClock(d.end), Math.round(cbNum(d.window) / 60))),
    bar,
    h('p', { class: 'legend' },
      h('span', {}, h('span', { class: 'sw nonev' }), t('cbar.legendAverage')),
      h('span', {}, h('span', { class: 'sw projected' }), t('cbar.legendProjected')),
      h('span', {}, h('span', { class: 'sw limit' }), t('cbar.legendTarget'))),
    h('p', { class: 'nums' }, t('cbar.demandNums', cbKw(d.average, d.unit), cbKw(d.projected, d.unit),
      cbKw(d.target, d.unit), cbKw(d.ev_cap, d.unit), fmtLeft(d.end - st.time_ms))),
    spent ? h('p', { class: 'sev2' }, t('cbar.demandOver')) : heading ? h('p', { class: 'sev1' }, t('cbar.demandHeading')) : null);
}

/* The circuits as nested lists: those under the supply, each with its
 * children under it. A parent the list does not have counts as the
 * supply, so that every circuit shows. */
function cbTree(st) {
  const cs = st.circuits || [];
  if (cs.length === 0) return null;
  const names = new Set(cs.map((c) => c.name));
  const under = (name) => cs.filter((c) => (name === 'supply'
    ? !c.parent || c.parent === 'supply' || !names.has(c.parent) : c.parent === name) && c.name !== name);
  const seen = new Set();
  const list = (name) => {
    const kids = under(name).filter((c) => !seen.has(c.name));
    kids.forEach((c) => seen.add(c.name));
    return kids.length ? h('ul', { class: 'circuits' }, kids.map((c) => cbItem(c, list(c.name)))) : null;
  };
  return h('div', { id: 'dash-circuits' }, h('h3', {}, t('cbar.title')),
    h('p', { class: 'legend' },
      h('span', {}, h('span', { class: 'sw nonev' }), t('cbar.legendOwn')),
      h('span', {}, h('span', { class: 'sw ev' }), t('dashboard.cars')),
      h('span', {}, h('span', { class: 'sw avail' }), t('cbar.legendFree')),
      h('span', {}, h('span', { class: 'sw limit' }), t('cbar.legendLimit'))),
    list('supply'));
}

function cbMeter(c) {
  if (!c.meter) return { cls: 'none', text: t('cbar.noMeter') };
  if (c.meter.online) return { cls: 'online', text: t('cbar.meterOnline') };
  return { cls: 'offline', text: t('cbar.meterOffline', fmtA(c.offline_limit)) + (c.meter.why ? ' (' + c.meter.why + ')' : '') };
}

function cbItem(c, children) {
  const m = cbMeter(c);
  const imb = typeof c.imbalance_limit === 'number'
    ? (typeof c.imbalance === 'number' ? t('cbar.imbalanceShort', fmtA(c.imbalance), fmtA(c.imbalance_limit))
      : t('cbar.imbalanceLimit', fmtA(c.imbalance_limit))) : null;
  return h('li', { class: 'circuit', 'data-circuit': c.name, 'data-meter': m.cls },
    h('h4', {}, c.name, ' ', h('span', { class: 'hint' }, t('cbar.limit', fmtA(c.limit)))),
    h('p', { class: 'meter' + (m.cls === 'offline' ? ' sev2' : '') }, m.text),
    h('div', { class: 'phases' }, [0, 1, 2].map((i) => cbPhase(c, i))),
    h('p', { class: 'hint' }, (c.chargers && c.chargers.length ? t('cbar.chargers', c.chargers.join(', ')) : t('cbar.noChargers')) +
      (imb ? ' \u00b7 ' + imb : '')),
    children);
}

/*
 * A circuit's phase: its own load (metered), what its chargers are
 * counted at, what they may still take (shaded), against its limit (a
 * red line); outlined above 90 % of the limit.
 */
function cbPhase(c, i) {
  const b = c.building ? Math.max(0, cbNum(c.building[i])) : 0;
  const u = Math.max(0, cbNum(c.used && c.used[i])), a = Math.max(0, cbNum(c.available && c.available[i]));
  const meas = c.measured ? cbNum(c.measured[i]) : null;
  const lim = cbNum(c.limit), scale = Math.max(lim, b + u, b + a, meas || 0, 1) * 1.05;
  const total = meas !== null ? Math.max(meas, b + u) : b + u;
  const bar = h('div', { class: 'bar' + (total > lim ? ' bad' : total > 0.9 * lim ? ' warn' : ''), role: 'img', 'data-phase': i + 1,
    'aria-label': t('cbar.barLabel', c.name, i + 1, fmtA(b), fmtA(u), fmtA(a), fmtA(lim)) });
  const nb = h('div', { class: 'nonev' }), ne = h('div', { class: 'ev' }), av = h('div', { class: 'avail' });
  const l = h('div', { class: 'limit', 'data-limit': lim });
  nb.style.width = (100 * b / scale) + '%';
  ne.style.left = (100 * b / scale) + '%';
  ne.style.width = (100 * u / scale) + '%';
  av.style.left = (100 * (b + u) / scale) + '%';
  av.style.width = (100 * Math.max(0, a - u) / scale) + '%';
  l.style.left = 'calc(' + (100 * lim / scale) + '% - 1px)';
  bar.append(nb, ne, av, l);
  return h('div', { class: 'phase' }, h('strong', {}, 'L' + (i + 1)), bar,
    h('div', { class: 'nums' }, (c.building ? t('dashboard.buildingA', fmtA(b)) + ' \u00b7 ' : '') +
      t('cbar.nums', fmtA(u), fmtA(a), fmtA(lim)) + (meas !== null ? t('cbar.measured', fmtA(meas)) : '')));
}
