#!/usr/bin/env node
/*
 * The Alarms page in headless Chromium (Debian's), driven by
 * playwright-core (issue 18, section 3): an operator acknowledges a
 * charger that went offline and sees her name and the time, on the
 * Alarms page and the dashboard; the alarm, cleared, is listed among the
 * cleared ones with its acknowledgement; an installer saves a webhook
 * and "Send test" reports the receiver's HTTP status (a receiver run
 * here on 127.0.0.1); operators get no webhook form. At 1280 px and
 * 360 px: screenshot, no horizontal scroll. Started by
 * tests/proc/test_alarms_ui.py, which runs the appliance with bay-002
 * killed:
 *   node alarms.js URL SIM_SOCKET SCREENSHOT_DIR OPERATOR_PW INSTALLER_PW
 */
'use strict';

const assert = require('assert');
const http = require('http');
const path = require('path');
const lib = require('./lib');
const { simAt, step, newPage, atWidth, checks } = lib;

const [url, simsock, shots, opPass, instPass] = process.argv.slice(2);

const sim = (line) => simAt(simsock, line);

/* A webhook receiver on loopback: answers 200, keeps the bodies. */
function receiver() {
  const got = [];
  const srv = http.createServer((rq, rs) => {
    let b = '';
    rq.on('data', (d) => { b += d; });
    rq.on('end', () => { got.push(JSON.parse(b)); rs.writeHead(200); rs.end(); });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({ srv, got, port: srv.address().port })));
}

const login = (page, user, pw) => lib.login(page, url, user, pw);
const noSideScroll = (page, width, name) => atWidth(page, shots, name, width);

(async () => {
  const rec = await receiver();
  const { browser, page: op, errors } = await lib.open(shots);
  let inst = null;
  await checks(browser, op, errors, path.join(shots, 'alarms-failure.png'), async () => {
    await step('operator: the Alarms page lists the offline charger, not acknowledged', async () => {
      await login(op, 'olivia', opPass);
      await op.click('nav a[href="#/alarms"]');
      await op.waitForSelector('#alarms-active button[data-code="charger-offline"][data-source="bay-002"]');
      const row = await op.textContent('#alarms-active tbody');
      assert(row.includes('bay-002') && row.includes('not acknowledged'), row);
      assert.strictEqual(await op.$('#webhook-test'), null, 'operators get no webhook form');
      await noSideScroll(op, 1280, 'alarms');
    });
    await step('operator acknowledges: her name and the time shown', async () => {
      await op.setViewportSize({ width: 1280, height: 900 });
      await op.click('#alarms-active button[data-code="charger-offline"]');
      await op.waitForSelector('#alarms-active .ack[data-acked=yes]');
      const t = await op.textContent('#alarms-active .ack[data-acked=yes]');
      assert(/^acknowledged by olivia, .*\d/.test(t), t);
      assert.strictEqual(await op.$('#alarms-active button[data-code="charger-offline"]'), null,
        'no Acknowledge button once acknowledged');
      const msg = await op.textContent('#alarms-msg');
      assert(msg.startsWith('Acknowledged: bay-002'), msg);
      await noSideScroll(op, 360, 'alarms');
      await op.setViewportSize({ width: 1280, height: 900 });
    });
    await step('the dashboard shows the acknowledgement', async () => {
      await op.click('nav a[href="#/dashboard"]');
      await op.waitForSelector('#alarms li[data-code="charger-offline"][data-acked=yes]');
      const t = await op.textContent('#alarms li[data-code="charger-offline"]');
      assert(t.includes('acknowledged by olivia'), t);
    });
    await step('installer: webhook saved, Send test reports HTTP 200', async () => {
      inst = await newPage(browser, errors);
      await login(inst, 'installer', instPass);
      await inst.goto(url + '#/alarms');
      await inst.waitForSelector('#set-alarms-webhook_url');
      await inst.fill('#set-alarms-webhook_url', 'ftp://127.0.0.1/x');
      await inst.click('form[data-section=alarms] button[type=submit]');
      await inst.waitForSelector('form[data-section=alarms] .msg.bad');
      const bad = await inst.textContent('form[data-section=alarms] .msg.bad');
      assert(bad.includes('http:// or https://'), bad);
      await inst.fill('#set-alarms-webhook_url', 'http://127.0.0.1:' + rec.port + '/hook');
      await inst.click('form[data-section=alarms] button[type=submit]');
      await inst.waitForFunction(() => {
        const m = document.querySelector('form[data-section=alarms] .msg');
        return m && !m.classList.contains('bad') && m.textContent.includes('In force now: webhook address.');
      });
      await inst.click('#webhook-test');
      await inst.waitForFunction(() => document.querySelector('#webhook-test-msg').textContent.includes('HTTP 200'));
      assert.strictEqual(rec.got.length, 1);
      assert.strictEqual(rec.got[0].state, 'test');
      await noSideScroll(inst, 1280, 'alarms-installer');
      await noSideScroll(inst, 360, 'alarms-installer');
    });
    await step('cleared: listed with its acknowledgement, nothing active', async () => {
      await op.click('nav a[href="#/alarms"]');
      await op.waitForSelector('#alarms-active');
      await sim('bay-002 revive');
      await op.waitForFunction(() => document.querySelector('#alarms-active').textContent.includes('Nothing is wrong now'),
        null, { timeout: 20000 });
      /* the records are written within a second: the page reads them again */
      await op.waitForFunction(() => document.querySelector('#alarms-cleared').textContent.includes('acknowledged by olivia'),
        null, { timeout: 10000 });
      await op.screenshot({ path: path.join(shots, 'alarms-cleared-1280.png'), fullPage: true });
    });
    console.log('all alarm browser checks passed');
  });
  rec.srv.close();
})();
