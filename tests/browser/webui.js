#!/usr/bin/env node
/*
 * The web UI in headless Chromium (Debian's), driven by playwright-core:
 * first login and the forced password change (by keyboard), the group
 * limit changed and the dashboard's limit line moving, a raise asked for
 * with its figures, a fallback refused, the restart banner's list, an
 * RFID tag added,
 * a day of history plotted,
 * a connector paused and its card changing (and saying why: the
 * operator's pause, a no-charge period with the time left counting
 * down), the sessions CSV downloaded;
 * every page at 1280 px and 360 px: screenshot saved, no horizontal
 * scroll. Started by tests/proc/test_webui.py, which runs the appliance:
 *   node webui.js URL SIM_SOCKET SCREENSHOT_DIR
 */
'use strict';

const { step, open, watch, simAt, checks, noSideScroll, shot } = require('./lib');
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const [url, simsock, shots] = process.argv.slice(2);
const PASSWORD = 'site-owner-pass-1';
const PAGES = ['dashboard', 'alarms', 'history', 'energy', 'chargers', 'balancing', 'metering',
  'authorisation', 'smart', 'commissioning', 'sessions', 'events', 'users'];

const sim = (line) => simAt(simsock, line);

async function limitLeft(page) {
  return page.$eval('#phases .phase:first-child .limit', (e) => e.style.left);
}

(async () => {
  const { browser, page, errors } = await open(shots);
  await checks(browser, page, errors, path.join(shots, 'failure.png'), async () => {
    await step('login page', async () => {
      await page.goto(url);
      await page.waitForSelector('#login:not([hidden])');
      await page.screenshot({ path: path.join(shots, 'login-1280.png') });
    });
    await step('first login by keyboard, forced password change', async () => {
      await page.focus('#login-user');
      await page.keyboard.type('installer');
      await page.keyboard.press('Tab');
      await page.keyboard.type('installer');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#password-form');
      assert(await page.isHidden('#nav'), 'nothing else before the change');
      await page.screenshot({ path: path.join(shots, 'password-1280.png') });
      await page.fill('#pw-old', 'installer');
      await page.fill('#pw-new', 'short');
      await page.click('#password-form button[type=submit]');
      await page.waitForSelector('#password-form .error:text("8-128 characters")');
      await page.fill('#pw-new', PASSWORD);
      await page.click('#password-form button[type=submit]');
      await page.waitForSelector('#phases .phase');
    });
    await step('group limit changed, the limit line moves', async () => {
      const before = await limitLeft(page);
      await page.click('nav a[href="#/balancing"]');
      await page.waitForSelector('#set-site-group_limit');
      await page.fill('#set-site-group_limit', '5000');
      await page.click('form[data-section=site] button[type=submit]');
      await page.waitForSelector('form[data-section=site] .msg.bad:text("0.0-2000.0 A")');
      assert(await page.$eval('#set-site-group_limit', (e) => e.classList.contains('invalid')));
      await page.fill('#set-site-group_limit', '20');
      await page.click('form[data-section=site] button[type=submit]');
      await page.waitForSelector('form[data-section=site] .msg:text("In force now: group limit.")');
      await page.click('nav a[href="#/dashboard"]');
      await page.waitForFunction((b) => {
        const e = document.querySelector('#phases .phase:first-child .limit');
        return e && e.style.left !== b;
      }, before);
      const after = await limitLeft(page);
      console.log('     limit line: ' + before + ' -> ' + after);
      const txt = await page.textContent('#dash-summary');
      assert(txt.includes('group limit 20.0 A'), txt);
    });
    await step('raising a limit asks first, with the figures', async () => {
      const status = async () => (await page.evaluate(() => fetch('/api/config/site').then((r) => r.json())));
      await page.click('nav a[href="#/balancing"]');
      await page.waitForSelector('#set-site-group_limit');
      await page.fill('#set-site-group_limit', '30');
      let said = '';
      page.once('dialog', (d) => { said = d.message(); d.dismiss(); });
      await page.click('form[data-section=site] button[type=submit]');
      await page.waitForSelector('form[data-section=site] .msg:text("Not saved")');
      assert(said.includes('group limit: 20.0 A \u2192 30.0 A'), said);
      assert(!said.includes('site.group_limit'), 'a setting\'s key shown: ' + said);
      assert(said.includes('may draw up to 30.0 A per phase together'), said);
      assert.strictEqual((await status()).group_limit, '20.0');
      page.once('dialog', (d) => d.accept());
      await page.click('form[data-section=site] button[type=submit]');
      await page.waitForSelector('form[data-section=site] .msg:text("In force now: group limit.")');
      assert.strictEqual((await status()).group_limit, '30.0');
      // lowering asks nothing
      let asked = null;
      page.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
      await page.fill('#set-site-group_limit', '20');
      await page.click('form[data-section=site] button[type=submit]');
      await page.waitForFunction(async () => (await fetch('/api/config/site').then((r) => r.json())).group_limit === '20.0');
      assert.strictEqual(asked, null, 'asked to lower a limit');
      page.removeAllListeners('dialog');
      // a fallback the supply cannot take when the appliance stops
      await page.fill('#set-site-fallback_current', '6');
      await page.click('form[data-section=site] button[type=submit]');
      await page.waitForSelector('form[data-section=site] .msg.bad:text("on a 40.0 A fuse")');
      assert(await page.$eval('#set-site-fallback_current', (e) => e.classList.contains('invalid')));
      await page.screenshot({ path: path.join(shots, 'balancing-refused-1280.png') });
      await page.fill('#set-site-fallback_current', '0.0');
    });
    await step('what waits for a restart is listed, and gone when reverted', async () => {
      await page.fill('#set-site-poll_period', '700');
      await page.click('form[data-section=site] button[type=submit]');
      await page.waitForSelector('form[data-section=site] .msg:text("takes effect after a restart: charger poll period")');
      await page.waitForSelector('#banner #pending li:text("charger poll period: 500 now, 700 after the restart")');
      // the restart dialog says what a restart does (dismissed: no restart)
      let told = '';
      page.once('dialog', (d) => { told = d.message(); d.dismiss(); });
      await page.click('#banner button:text("Restart now")');
      await page.waitForFunction(() => true);
      for (const w of ['control of the chargers', 'Cars go on charging', 'Kept: the configuration',
        'logins (nobody logs in again)', 'pauses, boosts and locks', 'needs a new swipe'])
        assert(told.includes(w), told);
      await page.screenshot({ path: path.join(shots, 'pending-1280.png') });
      await page.fill('#set-site-poll_period', '500');
      await page.click('form[data-section=site] button[type=submit]');
      await page.waitForSelector('form[data-section=site] .msg:text("In force now: charger poll period.")');
      await page.waitForSelector('#banner', { state: 'hidden' });
      await page.click('nav a[href="#/dashboard"]');
    });
    await step('a car charges and shows on its card', async () => {
      await sim('bay-001 car 1 max 16');
      await sim('bay-001 plug 1');
      await page.waitForSelector('#conn-1-1[data-state=charging]', { timeout: 20000 });
    });
    await step('pause a connector: its card changes', async () => {
      await page.click('#conn-1-1 button[data-action=pause]');
      await page.waitForSelector('#conn-1-1 .state:text("paused by operator")');
      await page.waitForSelector('#conn-1-1 .why[data-reason=operator_pause]:text-is("paused by operator (installer)")');
      await page.waitForSelector('#conn-1-1 button[data-action=resume]');
      await page.click('#conn-1-1 button[data-action=resume]');
      await page.waitForSelector('#conn-1-1 button[data-action=pause]');
    });
    await step('a car held by a no-charge period says so, with the time left', async () => {
      const pad = (n) => String(n).padStart(2, '0');
      const hm = (ms) => { const d = new Date(ms); return pad(d.getHours()) + ':' + pad(d.getMinutes()); };
      const t = Date.now();
      const smart = (body) => page.evaluate(async (b) => (await api('PUT', '/api/config/smart', b)).status, body);
      assert.strictEqual(await smart({ enabled: true, days: 'all', no_charge1: hm(t - 60000) + '-' + hm(t + 600000),
        no_charge2: 'off' }), 200);
      const sel = '#conn-1-1 .why[data-reason=smart_no_charge_period]';
      await page.waitForSelector(sel);
      const left = (text) => {
        const m = /^smart charging: no-charge period (\d+):(\d\d)$/.exec(text);
        assert(m, 'no countdown in: ' + text);
        return Number(m[1]) * 60 + Number(m[2]);
      };
      const first = left(await page.textContent(sel));
      assert(first >= 480 && first <= 600, 'left: ' + first + ' s');
      // it counts down
      await page.waitForFunction(([s, a]) => {
        const m = /(\d+):(\d\d)$/.exec(document.querySelector(s).textContent);
        return m && Number(m[1]) * 60 + Number(m[2]) < a;
      }, [sel, first], { timeout: 5000 });
      await page.screenshot({ path: path.join(shots, 'dashboard-why-1280.png') });
      assert.strictEqual(await smart({ enabled: false }), 200);
      await page.waitForSelector('#conn-1-1 .why:not([data-reason=smart_no_charge_period])');
    });
    await step('add an RFID tag', async () => {
      await page.click('nav a[href="#/authorisation"]');
      await page.fill('#tag-uid', 'bad tag!');
      await page.click('#add-tag button[type=submit]');
      await page.waitForSelector('.msg.bad:text("letters or digits")');
      await page.fill('#tag-uid', '04A1B2C3');
      await page.fill('#tag-name', 'Fleet van 1');
      await page.click('#add-tag button[type=submit]');
      await page.waitForSelector('td:text("04A1B2C3")');
      await page.waitForSelector('td:text("Fleet van 1")');
    });
    await step('download the sessions CSV', async () => {
      await sim('bay-001 unplug 1');
      await page.click('nav a[href="#/sessions"]');
      await page.waitForSelector('#sessions-list td:text("bay-001")', { timeout: 15000 });
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#sessions-csv')]);
      const text = fs.readFileSync(await dl.path(), 'utf8');
      assert(text.startsWith('id,charger,connector,number,start,end,energy_kwh'), text);
      assert(text.includes(',bay-001,1,'), text);
      fs.writeFileSync(path.join(shots, 'sessions.csv'), text);
    });
    await step('history: a day of the site per phase, with the limit', async () => {
      await page.click('nav a[href="#/history"]');
      await page.waitForSelector('svg.plot polyline.site-l1');
      const n = await page.$eval('svg.plot polyline.site-l1', (e) => e.getAttribute('points').split(' ').length);
      assert(n >= 1000, 'a day has ' + n + ' points');
      assert(await page.$('svg.plot line.limit'), 'limit drawn');
      await page.selectOption('#hist-range', '7');
      await page.waitForFunction(() => {
        const e = document.querySelector('svg.plot polyline.site-l1');
        return e && e.getAttribute('points').split(' ').length < 300;
      });
    });
    await step('two more cars charge (for the screenshots)', async () => {
      await sim('bay-002 car 1 max 32');
      await sim('bay-002 plug 1');
      await sim('bay-003 car 1 max 16');
      await sim('bay-003 car 1 phases 1');
      await sim('bay-003 plug 1');
      await page.goto(url + '#/dashboard');
      await page.waitForSelector('#conn-2-1[data-state=charging]', { timeout: 20000 });
      await page.waitForSelector('#conn-3-1[data-state=charging]', { timeout: 20000 });
    });
    for (const width of [1280, 360]) {
      await step('every page at ' + width + ' px: screenshot, no horizontal scroll', async () => {
        await page.setViewportSize({ width, height: width === 360 ? 740 : 900 });
        for (const p of PAGES) {
          await page.goto(url + '#/' + p);
          await page.waitForSelector('#page > h1');
          await page.waitForTimeout(p === 'dashboard' || p === 'metering' ? 1500 : 300);
          await noSideScroll(page, width, p);
          await shot(page, shots, p + '-' + width + '.png');
        }
      });
    }
    await step('a page whose file arrives late is still the page shown', async () => {
      // alarms.js held back 1 s: the first route waits for it (it used to
      // show the dashboard when the session's answer came first)
      const late = await page.context().newPage();
      watch(late, errors);
      await late.route('**/alarms.js', async (r) => { await new Promise((res) => setTimeout(res, 1000)); await r.continue(); });
      await late.goto(url + '#/alarms');
      await late.waitForSelector('#page > h1');
      assert.strictEqual(await late.textContent('#page > h1'), 'Alarms');
      // its twin: a page of app.js's own, at once
      await late.goto(url + '#/events');
      await late.waitForSelector('#page > h1:text("Events")');
      await late.close();
    });
    await step('keyboard: every control reachable by Tab', async () => {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(url + '#/dashboard');
      await page.waitForSelector('#conn-1-1 button');
      const seen = new Set();
      for (let i = 0; i < 60; i++) {
        await page.keyboard.press('Tab');
        seen.add(await page.evaluate(() => document.activeElement.id ||
          document.activeElement.getAttribute('href') || document.activeElement.dataset.action || ''));
      }
      for (const want of ['#/chargers', '#/users', 'pause'])
        assert(seen.has(want), 'Tab never reaches ' + want);
    });
    console.log('all browser checks passed');
  });
})();
