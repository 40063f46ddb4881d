/*
 * Building management: the appliance's Modbus TCP server for a BMS
 * ([bms] settings: installers edit, operators see them), and what the
 * BMS has set now (GET /api/status: external_limit; the connectors it
 * paused). Loaded after app.js, whose helpers it uses; it adds its page
 * to app.js's pages. Its words are in text.js, under 'bmspage.'.
 */
'use strict';

function bmsNow(st) {
  const e = st && st.external_limit;
  const paused = st ? st.connectors.filter((c) => c.reason === 'operator_pause' && /\(bms\)/.test(c.reason_text)).length : 0;
  return h('section', { class: 'card', id: 'bms-now' },
    h('h2', {}, t('bmspage.now')),
    h('p', { id: 'bms-limit' }, e && e.by === 'bms'
      ? t('bmspage.limit', e.limit.map((a) => fmtNum(a, 1)).join(' / '), fmtDate(e.until))
      : t('bmspage.noLimit')),
    h('p', { id: 'bms-paused' }, t('bmspage.paused', paused)));
}

async function pageBms() {
  const cfg = await loadConfig();
  if (!cfg) return;
  const r = await api('GET', '/api/status');
  put($('page'), h('h1', {}, t('bmspage.title')),
    h('p', { class: 'hint' }, t('bmspage.intro')),
    bmsNow(r.status === 200 ? r.body : null),
    settingsForm(cfg, 'bms', ['enabled', 'listen', 'port', 'writers']));
}

pages.bms = pageBms;
