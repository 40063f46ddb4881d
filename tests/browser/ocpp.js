#!/usr/bin/env node
/*
 * The OCPP page (issue 15): with OCPP on, the chargers' identities and
 * links in words, as the status says them (LINK: the state every charge
 * point must show, "any" for whatever the status says); the [ocpp]
 * settings with the password write-only: a bad address refused with the
 * setting's words and nothing changed, the twin, a good one, saved for
 * the restart; the dashboard's cards say the link; the charger form has
 * the charger's OCPP settings; an operator sees the page read-only. At
 * 1280 and 360 px: screenshot, no horizontal scroll. Started by
 * tests/proc/test_ocpp_ui.py:
 *   node ocpp.js URL SIM_SOCKET SCREENSHOT_DIR PASSWORD OPERATOR_PW LINK GOOD_URL [EVENT]
 * (EVENT: an event code the page's latest OCPP events must list).
 */
'use strict';

const assert = require('assert');
const path = require('path');
const lib = require('./lib');
const { step, atWidth, checks, newPage } = lib;

const [url, , shots, password, opPass, wantLink, goodUrl, wantEvent] = process.argv.slice(2);

(async () => {
  const { browser, page, errors } = await lib.open(shots);
  const get = (p) => page.evaluate((q) => fetch(q).then((r) => r.json()), p);
  await checks(browser, page, errors, path.join(shots, 'ocpp-page-failure.png'), async () => {
    await step('ocpp page: identities and links', async () => {
      await lib.login(page, url, 'installer', password);
      await page.click('nav a[href="#/ocpp"]');
      await page.waitForSelector('#ocpp-links tbody tr');
      const st = await get('/api/status');
      const rows = await page.$$eval('#ocpp-links tbody tr', (trs) => trs.map((tr) =>
        [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      assert.strictEqual(rows.length, st.chargers.length);
      st.chargers.forEach((c, i) => {
        assert.strictEqual(rows[i][0], c.name);
        if (!c.ocpp) {
          assert.match(rows[i][2], /not a charge point/);
          return;
        }
        assert.strictEqual(rows[i][1], c.ocpp.identity);
        if (wantLink !== 'any') assert.strictEqual(c.ocpp.link, wantLink, c.name);
      });
      /* the words of each link, as the page says them */
      const said = await page.$$eval('#ocpp-links .ocpp-link', (s) => s.map((x) => [x.dataset.link, x.textContent]));
      for (const [link, text] of said) {
        const words = { off: 'off', connecting: 'connecting', booting: 'connected, booting', accepted: 'accepted',
          pending: 'pending at the CSMS', rejected: 'rejected by the CSMS', none: 'not a charge point' }[link];
        assert.ok(words && text.startsWith(words), link + ': ' + text);
      }
      assert.deepStrictEqual(rows.map((r) => r[1]), st.chargers.map((c) => (c.ocpp ? c.ocpp.identity : '-')));
      assert.match(await page.textContent('#ocpp-summary'), new RegExp('of ' + st.ocpp.total + ' chargers connected'));
      if (wantEvent) {
        await page.waitForSelector('#ocpp-events li[data-code="' + wantEvent + '"]');
        assert.match(await page.textContent('#ocpp-events'), /: connected - /);
      }
      /* the password is never shown: an empty password field */
      assert.strictEqual(await page.getAttribute('#set-ocpp-password', 'type'), 'password');
      assert.strictEqual(await page.inputValue('#set-ocpp-password'), '');
    });
    await step('ocpp page: a bad address refused, the good one taken', async () => {
      const before = await get('/api/config/ocpp');
      await page.fill('#set-ocpp-url', 'http://127.0.0.1/csms');
      await page.click('form[data-section=ocpp] button[type=submit]');
      await page.waitForSelector('form[data-section=ocpp] .msg.bad');
      assert.match(await page.textContent('form[data-section=ocpp] .msg.bad'),
        /CSMS address: 'http:\/\/127.0.0.1\/csms': must start with ws:\/\/ or wss:\/\//);
      assert.deepStrictEqual(await get('/api/config/ocpp'), before);
      await page.fill('#set-ocpp-url', goodUrl);
      await page.fill('#set-ocpp-password', 'a-CSMS-password-1');
      await page.click('form[data-section=ocpp] button[type=submit]');
      await page.waitForFunction(() => /restart/.test(
        document.querySelector('form[data-section=ocpp] [aria-live]').textContent));
      const after = await get('/api/config/ocpp');
      assert.strictEqual(after.url, goodUrl);
      assert.strictEqual(after.password, '(set)');
    });
    await step('ocpp page: at 1280 and 360 px', async () => {
      await atWidth(page, shots, 'ocpp-page', 1280);
      await atWidth(page, shots, 'ocpp-page', 360);
      await page.setViewportSize({ width: 1280, height: 900 });
    });
    await step('dashboard and charger form: the link, the charger settings', async () => {
      await page.click('nav a[href="#/dashboard"]');
      await page.waitForSelector('.conn dd.ocpp-link');
      const links = await page.$$eval('.conn dd.ocpp-link', (d) => d.map((x) => x.dataset.link));
      assert.ok(links.includes('none') && links.some((l) => l !== 'none'), links.join());
      await atWidth(page, shots, 'ocpp-dashboard', 360);
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.click('nav a[href="#/chargers"]');
      await page.waitForSelector('#set-charger1-ocpp_identity', { state: 'attached' });
      assert.strictEqual(await page.inputValue('#set-charger1-ocpp_identity'), 'CP-01');
      assert.strictEqual(await page.getAttribute('#set-charger1-ocpp_password', 'type'), 'password');
      assert.strictEqual(await page.inputValue('#set-charger2-ocpp'), 'no');
    });
    const op = await newPage(browser, errors);
    await step('operator: the page read-only', async () => {
      await lib.login(op, url, 'olivia', opPass);
      await op.goto(url + '#/ocpp');
      await op.waitForSelector('form[data-section=ocpp].readonly');
      await op.waitForSelector('#ocpp-links tbody tr');
      assert.strictEqual(await op.$('form[data-section=ocpp] button[type=submit]'), null);
      assert.strictEqual(await op.inputValue('#set-ocpp-password'), '');
      await atWidth(op, shots, 'ocpp-operator', 360);
    });
  });
})();
