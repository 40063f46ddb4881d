/*
 * OCPP: the site's link to a charge point management system (CSMS).
 * The [ocpp] settings (installers edit them, the passwords write-only;
 * operators see them), and per charger its charge point identity, the
 * state of its link, its last message and the transaction messages
 * waiting (GET /api/status: "ocpp" of the site and of each charger,
 * live). Also the dashboard's link line and the write-only password
 * fields of the charger forms. Loaded after app.js, whose helpers it
 * uses; it adds its page to app.js's pages. Its words are in text.js,
 * under 'ocpp.'.
 */
'use strict';

/* A link state in words ("connecting"), as the status names it. */
function ocppLinkText(link) {
  return tOr('ocpp.link.' + link, link);
}

/* How long ago, on the appliance's clock: "12 s ago", "never". */
function ocppAge(ms, now) {
  if (!ms) return t('ocpp.never');
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 120) return t('ocpp.secondsAgo', s);
  if (s < 7200) return t('ocpp.minutesAgo', Math.floor(s / 60));
  return fmtTime(ms);
}

/* The site's OCPP in one sentence. */
function ocppSummary(st) {
  const o = st && st.ocpp;
  if (!o || !o.enabled) return t('ocpp.off');
  return t('ocpp.summary', o.connected, o.total, o.url);
}

/* One row a charger: the one that is no charge point says so. */
function ocppRows(st) {
  return st.chargers.map((c) => {
    const o = c.ocpp;
    if (!o) return [c.name, '-', h('span', { class: 'ocpp-link', 'data-link': 'none' }, t('ocpp.notCp')), '-', '-'];
    const link = h('span', { class: 'ocpp-link', 'data-link': o.link }, ocppLinkText(o.link),
      o.why ? h('span', { class: 'hint' }, ' ' + t('ocpp.why', o.why)) : null);
    return [c.name, h('span', { class: 'ocpp-identity' }, o.identity), link, ocppAge(o.last_msg_ms, st.time_ms),
      h('span', { class: 'ocpp-queued' }, String(o.queued))];
  });
}

/* The newest OCPP events of the status, in its words. */
function ocppEvents(st) {
  const ev = (st.events || []).filter((e) => /^ocpp-/.test(e.code));
  if (!ev.length) return h('p', { class: 'hint' }, t('ocpp.noEvents'));
  return h('ul', { id: 'ocpp-events' }, ev.map((e) => h('li', { class: 'sev' + e.severity, 'data-code': e.code },
    fmtTime(e.time_ms) + ' ' + e.source + ': ' + tOr('ocpp.ev.' + e.code.slice(5).replace(/-/g, '_'), e.code) + ' - ' + e.text)));
}

/*
 * A password setting that is never shown back: an empty password field
 * whose placeholder says whether one is set; left empty, nothing is
 * sent. For the [ocpp] form and the chargers' forms.
 */
function ocppWriteOnly(form) {
  for (const el of form.querySelectorAll('input[name="password"], input[name="ocpp_password"]')) {
    if (form.dataset.section !== 'ocpp' && el.name === 'password') continue;
    const set = el.value === '(set)';
    el.type = 'password';
    el.autocomplete = 'new-password';
    el.value = '';
    el.dataset.orig = '';
    el.placeholder = !set ? t('ocpp.passwordNone') : isInstaller() ? t('ocpp.passwordSet') : t('ocpp.passwordIsSet');
  }
  return form;
}

/* The dashboard card's line: the charger's link, when OCPP is on. */
function ocppConnLine(c) {
  const st = S.status, ch = st && st.ocpp && st.ocpp.enabled ? st.chargers.find((x) => x.id === c.charger_id) : null;
  if (!ch) return null;
  return [h('dt', {}, t('ocpp.dashLink')), h('dd', { class: 'ocpp-link', 'data-link': ch.ocpp ? ch.ocpp.link : 'none' },
    ch.ocpp ? ocppLinkText(ch.ocpp.link) : t('ocpp.notCp'))];
}

async function pageOcpp() {
  const cfg = await loadConfig();
  if (!cfg) return;
  const sum = h('p', { id: 'ocpp-summary', 'aria-live': 'polite' });
  const links = h('div', { id: 'ocpp-links' });
  const events = h('div', { id: 'ocpp-recent' });
  put($('page'), h('h1', {}, t('ocpp.title')),
    h('p', { class: 'hint' }, t('ocpp.intro')),
    h('section', { class: 'card', id: 'ocpp-chargers' }, h('h2', {}, t('ocpp.links')), sum, links,
      h('h3', {}, t('ocpp.events')), events),
    ocppWriteOnly(settingsForm(cfg, 'ocpp', null, t('ocpp.settings'))));
  S.page = { live: (st) => {
    sum.textContent = ocppSummary(st);
    put(links, st.ocpp && st.ocpp.enabled ? table(t('ocpp.cols'), ocppRows(st)) : null);
    put(events, ocppEvents(st));
  } };
  if (S.status) S.page.live(S.status);
}

pages.ocpp = pageOcpp;
