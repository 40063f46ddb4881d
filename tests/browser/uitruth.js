#!/usr/bin/env node
/*
 * Issue 18 in the web UI, as an installer and an operator see it, in
 * headless Chromium (playwright-core), the installer's browser set to
 * German (de-DE) for numbers and dates:
 *  - item 4: a car waiting for authorisation on an RFID site, authorised
 *    from its card;
 *  - item 6: an error next to its field, in the installer's words, the
 *    field marked invalid and focused; a duplicate address on the
 *    address field;
 *  - item 8: decommissioning a charger with a car charging names the
 *    car, and its session ends (reason "decommissioned");
 *  - item 11: a hybrid site exporting 25 A shows the export, the surplus
 *    and what the cars may take; a green site its start and stop timers;
 *  - item 12: the edit form's labels in words, no connector 2 on a
 *    one-connector charger, a password reset with its confirmation (a
 *    mismatch said next to it, nothing sent), the metering fields the
 *    driver uses, unsaved edits kept when another section is saved;
 *    settings read-only for an operator;
 *  - locale: numbers in the browser's locale ("64,0 A"), a decimal comma
 *    accepted ("6,5").
 * Pages at 360 px: no horizontal scroll. Started by
 * tests/proc/test_uitruth.py:  node uitruth.js URL SIM_SOCKET SHOTS
 */
'use strict';

const assert = require('assert');
const path = require('path');
const lib = require('./lib');
const { step, open, newPage, simAt, checks, atWidth } = lib;

const [url, simsock, shots] = process.argv.slice(2);
const PASSWORD = 'site-owner-pass-1';
const sim = (line) => simAt(simsock, line);

/* The appliance's API from inside the page (its session, its token). */
const call = (page, method, p, body) => page.evaluate(([m, q, b]) => api(m, q, b), [method, p, body]);

async function login(page, user, password, newPassword) {
  await lib.login(page, url, user, password, newPassword);
  await page.waitForSelector('#phases .phase');
}

(async () => {
  const { browser, page, errors } = await open(shots, { locale: 'de-DE' });
  await checks(browser, page, errors, path.join(shots, 'uitruth-failure.png'), async () => {
    await step('login in a German browser: numbers with a decimal comma', async () => {
      await login(page, 'installer', 'installer', PASSWORD);
      await page.waitForSelector('#dash-summary:has-text("group limit 64,0 A")');
      assert.strictEqual(await page.getAttribute('html', 'lang'), 'en', 'words in English');
      assert.strictEqual(await page.textContent('nav a[href="#/chargers"]'), 'Chargers');
    });
    await step('item 4: a car waiting for authorisation, authorised from its card', async () => {
      await sim('bay-001 car 1 max 16');
      await sim('bay-001 plug 1');
      await page.waitForSelector('#conn-1-1[data-state=waiting-for-authorisation] button[data-action=authorise]', { timeout: 15000 });
      await page.screenshot({ path: path.join(shots, 'authorise-1280.png') });
      await page.click('#conn-1-1 button[data-action=authorise]');
      await page.waitForSelector('#dash-msg .msg:text("bay-001 1: authorise done")');
      await page.waitForSelector('#conn-1-1[data-state=charging]', { timeout: 15000 });
      assert(!(await page.$('#conn-1-1 button[data-action=authorise]')), 'nothing left to authorise');
    });
    await step('item 12: the edit form in words, no connector 2 on a one-connector charger', async () => {
      await page.click('nav a[href="#/chargers"]');
      await page.click('article[data-charger=bay-002] button:text("Edit")');
      const f = 'form[data-section=charger2]';
      await page.waitForSelector(f + ' #set-charger2-max_current1');
      assert.strictEqual(await page.textContent('label[for=set-charger2-max_current1]'), 'Connector 1: maximum current (A)');
      assert.strictEqual(await page.textContent('label[for=set-charger2-min_current1]'), 'Connector 1: minimum current (A)');
      assert.strictEqual(await page.inputValue('#set-charger2-max_current1'), '32,0');
      for (const k of ['phase2', 'max_current2', 'min_current2', 'priority2'])
        assert(await page.isHidden(f + ' .setting[data-key=' + k + ']'), k + ' shown');
      // the twin: two connectors typed, connector 2 appears
      await page.fill('#set-charger2-connectors', '2');
      assert(await page.isVisible(f + ' .setting[data-key=max_current2]'));
      await page.fill('#set-charger2-connectors', '1');
    });
    await step('item 6: an error next to its field, in the installer\'s words', async () => {
      const f = 'form[data-section=charger2]';
      await page.fill('#set-charger2-min_current1', '40');
      await page.click(f + ' button[type=submit]');
      const e = f + ' .setting[data-key=min_current1] .field-error';
      await page.waitForSelector(e);
      const said = await page.textContent(e);
      assert(said.includes("charger 'bay-002': connector 1: minimum current: must be 6.0 A up to connector 1: maximum current"), said);
      assert(!said.includes('min_current1'), said);
      assert.strictEqual(await page.getAttribute('#set-charger2-min_current1', 'aria-invalid'), 'true');
      assert.strictEqual(await page.evaluate(() => document.activeElement.id), 'set-charger2-min_current1');
      assert((await page.getAttribute('#set-charger2-min_current1', 'aria-describedby')).includes('set-charger2-min_current1-error'));
      assert.strictEqual(await page.textContent('#chargers-msg'), '', 'nothing at the top');
      assert.strictEqual(await page.evaluate((s) => { const r = document.querySelector(s).getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }, e), true, 'in view');
      await page.screenshot({ path: path.join(shots, 'field-error-1280.png') });
    });
    await step('locale: a decimal comma is taken ("6,5" A)', async () => {
      const f = 'form[data-section=charger2]';
      await page.fill('#set-charger2-min_current1', '6,5');
      await page.click(f + ' button[type=submit]');
      await page.waitForSelector(f + ' .msg:text("In force now: charger \'bay-002\': connector 1: minimum current.")');
      assert.strictEqual(await page.$(f + ' .field-error'), null, 'the error gone');
      assert.strictEqual(await page.getAttribute('#set-charger2-min_current1', 'aria-invalid'), null);
      const c = await call(page, 'GET', '/api/config/charger2');
      assert.strictEqual(c.body.min_current1, '6.5');
      // the API itself takes a point only, as documented (the page turns
      // the comma into one)
      const x = await call(page, 'PUT', '/api/config/charger2', { min_current1: '6,0' });
      assert.strictEqual(x.status, 400);
      assert(x.body.error.includes("'6,0' is not a number"), x.body.error);
    });
    await step('item 6: a duplicate address marks the address field', async () => {
      const list = (await call(page, 'GET', '/api/chargers')).body.chargers;
      await page.fill('#add-name', 'bay-009');
      await page.fill('#add-host', list[2].host);
      await page.fill('#add-port', String(list[2].port));
      await page.selectOption('#add-connectors', '1');
      assert(await page.isHidden('#add-charger .setting[data-key=connector2]'));
      await page.click('#add-charger button[type=submit]');
      await page.waitForSelector('#add-charger .field-error');
      const said = await page.textContent('#add-charger .field-error');
      assert(said.startsWith('new charger: address: ') && said.includes("is also charger 'bay-003'"), said);
      assert.strictEqual(await page.getAttribute('#add-host', 'aria-invalid'), 'true');
      assert.strictEqual(await page.evaluate(() => document.activeElement.id), 'add-host');
      assert.strictEqual((await call(page, 'GET', '/api/chargers')).body.chargers.length, 3, 'nothing added');
    });
    await step('item 8: decommissioning with a car charging names it; the session ends', async () => {
      const said = [];
      page.on('dialog', (d) => { said.push(d.message()); d.accept(); });
      await page.click('article[data-charger=bay-001] button:text("Decommission")');
      await page.waitForSelector('#chargers-msg .msg:text("bay-001 removed")');
      page.removeAllListeners('dialog');
      assert.strictEqual(said.length, 2, said.join('\n'));
      assert(said[1].startsWith('bay-001 has a car plugged in: connector 1 (charging, '), said[1]);
      assert(said[1].includes('Stop the charging and decommission bay-001?'), said[1]);
      await page.waitForFunction(async () => {
        const s = (await api('GET', '/api/sessions?charger=bay-001')).body.sessions;
        return s.length === 1 && s[0].end_ms && s[0].reason === 'decommissioned';
      }, null, { timeout: 15000, polling: 300 });
      // the charger itself: no session, and nothing to fall back to
      let s;
      for (const t0 = Date.now(); Date.now() - t0 < 10000; await new Promise((r) => setTimeout(r, 200))) {
        s = JSON.parse(await sim('bay-001 status'));
        if (!s.connectors[0].session.active && s.link.fallback_current === 0) break;
      }
      assert.strictEqual(s.connectors[0].session.active, false, JSON.stringify(s));
      assert.strictEqual(s.link.fallback_current, 0);
    });
    await step('item 12: a password reset asks twice; a mismatch is said next to it', async () => {
      assert.strictEqual((await call(page, 'POST', '/api/users', { name: 'olivia', role: 'operator', password: 'first-pass-1' })).status, 201);
      await page.click('nav a[href="#/users"]');
      let puts = 0;
      page.on('request', (r) => { if (r.method() === 'PUT' && r.url().includes('/api/users/')) puts++; });
      const resetTo = async (pw, again) => {
        await page.click('button[data-user=olivia]');
        await page.waitForSelector('#reset-password:not([hidden]) h2:text("New password for olivia")');
        await page.fill('#reset-new', pw);
        await page.fill('#reset-again', again);
        await page.click('#reset-password button[type=submit]');
      };
      await resetTo('olivias-first-2', 'olivias-first-3');
      await page.waitForSelector('#reset-password .field-error:text("not the same as the new password")');
      assert.strictEqual(await page.getAttribute('#reset-again', 'aria-invalid'), 'true');
      assert.strictEqual(puts, 0, 'sent although they differ');
      await page.screenshot({ path: path.join(shots, 'password-mismatch-1280.png') });
      await page.fill('#reset-again', 'olivias-first-2');
      await page.click('#reset-password button[type=submit]');
      await page.waitForSelector('#users-msg .msg');
      assert(await page.isHidden('#reset-password'));
      assert.strictEqual(puts, 1);
      // the appliance's own refusal, next to the new password
      await resetTo('short', 'short');
      await page.waitForSelector('#reset-password .field-error:text("8-128 characters")');
      assert.strictEqual(await page.getAttribute('#reset-new', 'aria-invalid'), 'true');
      // a login's bad name, next to the name
      await page.fill('#nu-name', 'bad name');
      await page.fill('#nu-pw', 'first-pass-9');
      await page.click('#add-user button[type=submit]');
      await page.waitForSelector('#add-user .field-error');
      assert.strictEqual(await page.getAttribute('#nu-name', 'aria-invalid'), 'true');
      assert.strictEqual(await page.$('#users-msg .msg.bad'), null, 'an error at the top');
      page.removeAllListeners('request');
    });
    await step('item 12: metering shows what the driver uses; unsaved edits stay', async () => {
      await page.click('nav a[href="#/metering"]');
      const m = 'form[data-section=meter]';
      await page.waitForSelector(m + ' #set-meter-driver');
      assert.strictEqual(await page.inputValue('#set-meter-driver'), 'sense');
      for (const k of ['device', 'baud', 'parity']) assert(await page.isHidden(m + ' .setting[data-key=' + k + ']'), k + ' shown over TCP');
      for (const k of ['host', 'port']) assert(await page.isVisible(m + ' .setting[data-key=' + k + ']'), k + ' hidden over TCP');
      for (const k of ['register', 'type', 'word_swap', 'scale'])
        assert(await page.isHidden('form[data-section=clamp1] .setting[data-key=' + k + ']'), k + ' shown for a Sense kit');
      assert(await page.isVisible('form[data-section=clamp1] .setting[data-key=ct_rating]'));
      await page.screenshot({ path: path.join(shots, 'metering-sense-1280.png'), fullPage: true });
      // the twins: generic shows the register layout, RTU the serial line
      await page.selectOption('#set-meter-driver', 'generic');
      assert(await page.isVisible('form[data-section=clamp1] .setting[data-key=register]'));
      await page.selectOption('#set-meter-transport', 'rtu');
      assert(await page.isVisible(m + ' .setting[data-key=device]'));
      assert(await page.isHidden(m + ' .setting[data-key=host]'));
      await page.selectOption('#set-meter-driver', 'sdm120');
      assert(await page.isHidden('form[data-section=clamp2]'), 'a single-phase meter with clamp L2');
      assert(await page.isVisible('form[data-section=clamp1]'));
      await page.selectOption('#set-meter-driver', 'sense');
      await page.selectOption('#set-meter-transport', 'tcp');
      assert(await page.isVisible('form[data-section=clamp2]'));
      // an edit of clamp L2, not saved, outlives a save of the meter and
      // the status stream's updates
      await page.fill('#set-clamp2-ct_rating', '150,0');
      await page.fill('#set-meter-poll_period', '600');
      await page.click(m + ' button[type=submit]');
      await page.waitForSelector(m + ' .msg:text("takes effect after a restart: meter poll period")');
      const t0 = await page.evaluate(() => S.status.time_ms);
      await page.waitForFunction((t) => S.status.time_ms > t + 1500, t0);
      assert.strictEqual(await page.inputValue('#set-clamp2-ct_rating'), '150,0');
      await page.fill('#set-meter-poll_period', '500');
      await page.click(m + ' button[type=submit]');
      await page.waitForFunction(() => ![...document.querySelectorAll('#pending li')].some((l) => l.textContent.includes('meter poll period')));
      assert.strictEqual(await page.inputValue('#set-clamp2-ct_rating'), '150,0');
    });
    await step('item 11: a hybrid site exporting 25 A: the export, the surplus, what the cars may take', async () => {
      assert.strictEqual((await call(page, 'PUT', '/api/config/site', { mode: 'hybrid' })).status, 200);
      await sim('meter base -25 -25 -25');
      await page.click('nav a[href="#/dashboard"]');
      const n = '#phases .phase:first-child .nums';
      await page.waitForSelector(n + ':has-text("exporting 25,0 A")', { timeout: 15000 });
      const said = await page.textContent(n);
      assert(!said.includes('building'), said);
      assert(said.includes('surplus 25,0 A') && said.includes('cars may take 25,0 A'), said);
      assert(said.includes('the fuse would allow'), said);
      await page.screenshot({ path: path.join(shots, 'dashboard-hybrid-1280.png') });
    });
    await step('item 11: green: the start timer, then the stop timer', async () => {
      assert.strictEqual((await call(page, 'PUT', '/api/config/site', { mode: 'green', green_start: 4, green_stop: 300 })).status, 200);
      await sim('bay-002 car 1 max 16');
      await sim('bay-002 plug 1');
      await page.waitForSelector('#conn-2-1[data-state=waiting-for-authorisation]', { timeout: 15000 });
      assert.strictEqual((await call(page, 'POST', '/api/chargers/2/connectors/1/authorise')).status, 200);
      await page.waitForSelector('#dash-green:text-matches("the next car starts in 0:0[0-4] if the surplus holds")', { timeout: 15000 });
      await page.waitForSelector('#conn-2-1[data-state=charging]', { timeout: 20000 });
      await sim('meter base 0 0 0');
      await page.waitForSelector('#dash-green:text-matches("a car stops in [45]:[0-9][0-9] unless the surplus comes back")', { timeout: 15000 });
      await page.screenshot({ path: path.join(shots, 'dashboard-green-1280.png') });
    });
    for (const p of ['chargers', 'metering', 'users', 'dashboard']) {
      await step(p + ' at 360 px: no horizontal scroll', async () => {
        await page.goto(url + '#/' + p);
        await page.waitForSelector('#page > h1');
        await atWidth(page, shots, 'uitruth-' + p, 360);
      });
    }
    await step('locale: a translation is one more dictionary', async () => {
      // text.js with a French dictionary for two words after it, as a
      // text-fr.js would add: the rest falls back to English
      const fr = await newPage(browser, errors, { locale: 'fr-FR' });
      await fr.route('**/text.js', async (route) => {
        const r = await route.fetch();
        await route.fulfill({ response: r, body: (await r.text()) +
          "\nTEXTS.fr = { 'nav.chargers': 'Bornes', 'dashboard.title': 'Tableau de bord' };\n" });
      });
      await login(fr, 'installer', PASSWORD);
      assert.strictEqual(await fr.getAttribute('html', 'lang'), 'fr-FR');
      assert.strictEqual(await fr.textContent('nav a[href="#/chargers"]'), 'Bornes');
      assert.strictEqual(await fr.textContent('#page > h1'), 'Tableau de bord');
      assert.strictEqual(await fr.textContent('nav a[href="#/users"]'), 'Users');
      await fr.waitForSelector('#dash-summary:has-text("group limit 64,0 A")');
      await fr.context().close();
    });
    await step('item 12: an operator sees the settings, read-only', async () => {
      const op = await newPage(browser, errors, { locale: 'en-GB' });
      await login(op, 'olivia', 'olivias-first-2', 'olivias-own-pass-3');
      assert.strictEqual(await op.getAttribute('html', 'lang'), 'en-GB');
      for (const p of ['balancing', 'metering', 'smart', 'authorisation']) {
        await op.goto(url + '#/' + p);
        await op.waitForSelector('#page form[data-section] .setting');
        const editable = await op.$$eval('#page form[data-section] input:not([disabled]), #page form[data-section] select:not([disabled])',
          (e) => e.map((x) => x.id));
        assert.deepStrictEqual(editable, [], p + ': editable for an operator');
        assert.strictEqual(await op.$('#page form[data-section] button[type=submit]'), null, p + ': a Save button');
        await op.waitForSelector('#page form[data-section] .hint:text("only installers change settings")');
      }
      assert.strictEqual(await op.inputValue('#set-site-authorisation'), 'rfid');
      await op.goto(url + '#/balancing');
      await op.waitForSelector('#set-site-group_limit');
      assert.strictEqual(await op.inputValue('#set-site-group_limit'), '64.0', 'en-GB: a decimal point');
      await op.screenshot({ path: path.join(shots, 'operator-readonly-1280.png'), fullPage: true });
      // the twin: the installer's form has its inputs and its Save
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(url + '#/balancing');
      await page.waitForSelector('form[data-section=site] button[type=submit]');
      assert(await page.isEnabled('#set-site-group_limit'));
      await op.context().close();
    });
    console.log('all uitruth browser checks passed');
  });
})();
