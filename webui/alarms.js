/*
 * Alarms page: what is wrong now, each acknowledged by an operator (who
 * and when shown), what cleared lately, and for installers the webhook
 * that gets each new alarm (docs/api.md, "Active alarms"). Uses app.js's
 * helpers; registered into its pages table.
 */
'use strict';

/* Who acknowledged an alarm and when, or that nobody has. */
function ackText(a) {
  return a.acknowledged ? t('alarms.ackedBy', a.ack_by, fmtTime(a.ack_ms)) : t('alarms.notAcked');
}

/* The key of the alarms and their acknowledgements: the page reloads
 * the list when the status's changes. */
function alarmsKey(st) {
  return (st.alarms_total || 0) + JSON.stringify((st.alarms || []).map((a) => [a.code, a.source, a.connector, a.ack_by]));
}

async function pageAlarms() {
  const out = h('div', { 'aria-live': 'polite', id: 'alarms-msg' });
  const active = h('section', { class: 'card', id: 'alarms-active' });
  const cleared = h('section', { class: 'card', id: 'alarms-cleared' });
  const cfg = isInstaller() ? await loadConfig() : null;
  let key = null;
  const ack = (a) => async () => {
    const r = await api('POST', '/api/alarms/ack', { code: a.code, source: a.source, connector: a.connector });
    if (r.status === 200) message(out, t('alarms.acknowledged', r.body.alarm.text, ackText(r.body.alarm)));
    else if (r.status === 409) message(out, t('alarms.already', ackText(r.body.alarm)), true);
    else message(out, r.body.error, true);
    load();
  };
  const load = async () => {
    const r = await api('GET', '/api/alarms');
    if (r.status !== 200) { message(out, r.body.error, true); return; }
    const act = r.body.active;
    put(active, h('h2', {}, t('alarms.now', r.body.total)),
      act.length ? table(t('alarms.cols'), act.map((a) => [
        h('span', {}, h('strong', { class: 'sev' + a.severity }, t('alarms.sev', t('events.sev')[a.severity])), a.text),
        a.since_ms ? fmtTime(a.since_ms) : '-',
        h('span', { class: 'actions' }, h('span', { class: 'ack', 'data-acked': a.acknowledged ? 'yes' : 'no' }, ackText(a)),
          a.acknowledged ? null : h('button', { type: 'button', class: 'secondary', 'data-code': a.code,
            'data-source': a.source, 'data-connector': a.connector, onclick: ack(a) }, t('alarms.ack')))]))
        : h('p', { class: 'hint' }, t('alarms.nothing')));
    const cl = r.body.cleared;
    put(cleared, h('h2', {}, t('alarms.cleared')),
      cl.length ? table(t('alarms.clearedCols'), cl.map((a) => [
        a.text, fmtTime(a.since_ms), fmtTime(a.cleared_ms), ackText(a)]))
        : h('p', { class: 'hint' }, t('alarms.noneCleared')));
  };
  put($('page'), h('h1', {}, t('alarms.title')), h('p', { class: 'hint' }, t('alarms.help')),
    out, active, cleared, cfg ? webhookForm(cfg) : null);
  /* a change reloads the list, and again a little later: a cleared
   * alarm's record is written within a second */
  S.page = { live: (st) => {
    const k = alarmsKey(st);
    if (key !== null && k !== key) { load(); setTimeout(() => { if (active.isConnected) load(); }, 1500); }
    key = k;
  } };
  if (S.status) key = alarmsKey(S.status);
  await load();
}

/* The webhook's settings (installers), with a test sent to the saved
 * address and the receiver's answer. */
function webhookForm(cfg) {
  const form = settingsForm(cfg, 'alarms', ['webhook_url', 'webhook_token', 'webhook_cleared'], t('alarms.webhook'));
  const res = h('div', { 'aria-live': 'polite', id: 'webhook-test-msg' });
  const test = async () => {
    message(res, t('alarms.sending'));
    const r = await api('POST', '/api/alarms/test');
    if (r.status !== 200) message(res, r.body.error, true);
    else if (r.body.delivered) message(res, t('alarms.delivered', r.body.http_status));
    else message(res, t('alarms.notDelivered', r.body.url, r.body.error), true);
  };
  form.append(h('p', { class: 'hint' }, t('alarms.webhookHelp')),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', id: 'webhook-test', onclick: test },
      t('alarms.sendTest'))), res);
  return form;
}

pages.alarms = pageAlarms;
