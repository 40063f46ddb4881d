#!/usr/bin/env node
/*
 * The commissioning wizard in headless Chromium (Debian's), driven by
 * playwright-core, on a simulated site of three chargers: the first
 * login, then each step (supply and limits with the fallback
 * arithmetic, the meter and its clamps live, each charger tested and
 * its phase check run with no car plugged in: inconclusive, a warning),
 * a reload that resumes where it was, the summary saved as a report
 * with hostile notes, the report opened (escaped, no script run) and
 * listed; screenshots at 1280 px and 360 px, no horizontal scroll.
 * Started by tests/proc/test_wizard.py, which runs the appliance:
 *   node wizard.js URL SIM_SOCKET SCREENSHOT_DIR (the socket unused)
 */
'use strict';

const { chromium } = require('playwright-core');
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const [url, , shots] = process.argv.slice(2);
const PASSWORD = 'site-owner-pass-1';
const NOTES = '</div><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">\nline two & "quotes"';

async function step(name, fn) {
  const t0 = Date.now();
  await fn();
  console.log('ok   ' + name + ' (' + (Date.now() - t0) + ' ms)');
}

async function noSideScroll(page, width, what) {
  const sw = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(sw <= width, what + ' at ' + width + ' px scrolls sideways: ' + sw + ' px');
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, name), fullPage: true });
}

/* The badge of a recorded result: pass, warn, fail or skipped. */
async function badge(page, key) {
  const sel = '[data-result="' + key + '"] .wiz-badge';
  await page.waitForSelector(sel + ':not(.wiz-none)');
  return page.textContent(sel);
}

(async () => {
  fs.mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  page.setDefaultTimeout(15000);
  try {
    await step('first login and the forced password change', async () => {
      await page.goto(url);
      await page.fill('#login-user', 'installer');
      await page.fill('#login-password', 'installer');
      await page.click('#login-form button[type=submit]');
      await page.waitForSelector('#password-form');
      await page.fill('#pw-old', 'installer');
      await page.fill('#pw-new', PASSWORD);
      await page.click('#password-form button[type=submit]');
      await page.waitForSelector('#phases .phase');
    });
    await step('supply and limits, the fallback arithmetic with figures', async () => {
      await page.click('nav a[href="#/commissioning"]');
      await page.waitForSelector('.wiz-steps button[aria-current]');
      assert.strictEqual(await badge(page, 'site||'), 'pass');
      assert.strictEqual(await badge(page, 'fallback||'), 'pass');
      const fb = await page.textContent('[data-result="fallback||"]');
      assert(fb.includes('0 A') && fb.includes('pauses by itself'), fb);
      // a change goes through the settings form (the API's rules)
      await page.fill('#set-site-group_limit', '30');
      await page.click('form[data-section=site] button[type=submit]');
      await page.waitForSelector('form[data-section=site] .msg:text("In force now: site.group_limit.")');
      await page.waitForSelector('[data-result="site||"]:has-text("at most 30.0 A")');
      // a fallback current the supply cannot take: refused with the
      // figures, and nothing changes
      page.on('dialog', (d) => d.accept());	// raises: confirmed
      await page.fill('#set-site-fallback_current', '6');
      await page.click('form[data-section=site] button[type=submit]');
      await page.waitForSelector('form[data-section=site] .msg.bad:has-text("above meter offline limit 10.0 A")');
      assert((await page.textContent('[data-result="fallback||"]')).includes('pauses by itself'));
      // its twin: with room under the meter-offline limit, taken, and
      // the arithmetic shown again with its figures
      await page.fill('#set-site-meter_offline_limit', '20');
      await page.click('form[data-section=site] button[type=submit]');
      await page.waitForSelector('[data-result="fallback||"]:has-text("falls back to 6.0 A")');
      page.removeAllListeners('dialog');
      const t = await page.textContent('[data-result="fallback||"]');
      assert(t.includes('18.0 A on L1') && t.includes('L1: 18.0 A (3 connectors)') &&
        t.includes('meter-offline limit 20.0 A'), t);
      await noSideScroll(page, 1280, 'site step');
      await shot(page, 'wizard-site-1280.png');
    });
    await step('meter and clamps, live', async () => {
      await page.click('#wiz-next');
      await page.waitForSelector('#wiz-meter-live:has-text("Meter online")');
      assert.strictEqual(await badge(page, 'meter||'), 'pass');
      assert.strictEqual(await badge(page, 'clamps||'), 'pass');
      const m = await page.textContent('[data-result="clamps||"]');
      assert(m.includes('L1: 5.0 A') || m.includes('L1:'), m);
      await shot(page, 'wizard-meter-1280.png');
    });
    await step('each charger tested; a phase check with no car: inconclusive', async () => {
      await page.click('#wiz-next');
      await page.waitForSelector('article[data-charger="bay-003"]');
      for (const name of ['bay-001', 'bay-002', 'bay-003']) {
        const card = 'article[data-charger="' + name + '"]';
        await page.click(card + ' button[data-action=test]');
        assert.strictEqual(await badge(page, 'charger-test|' + name + '|'), 'pass');
        assert.strictEqual(await badge(page, 'charger-ratings|' + name + '|'), 'pass');
        assert.strictEqual(await badge(page, 'charger-authorisation|' + name + '|'), 'pass');
        // no car plugged in: the check ends at once, inconclusive (a warning)
        await page.click(card + ' button[data-action=phase]');
        await page.waitForSelector('[data-result="phase-rotation|' + name + '|1"]:has-text("no car is plugged in")');
        assert.strictEqual(await badge(page, 'phase-rotation|' + name + '|1'), 'warn');
      }
      const r = await page.textContent('[data-result="charger-ratings|bay-001|"]');
      assert(r.includes('within the charger'), r);
      await shot(page, 'wizard-chargers-1280.png');
    });
    await step('a reload resumes where it was', async () => {
      await page.reload();
      await page.waitForSelector('article[data-charger="bay-003"]');
      assert.strictEqual(await badge(page, 'charger-test|bay-002|'), 'pass');
      assert.strictEqual(await badge(page, 'phase-rotation|bay-003|1'), 'warn');
    });
    let reportUrl;
    await step('summary saved as a report', async () => {
      await page.click('#wiz-next');
      await page.waitForSelector('#wiz-installer');
      assert.strictEqual(await page.inputValue('#wiz-installer'), 'installer');
      assert.strictEqual(await badge(page, 'fallback||'), 'pass');
      await page.fill('#wiz-installer', 'Zoë Martin');
      await page.fill('#wiz-notes', 'Clamps checked with a 2 kW heater on each phase.\nPhase checks to be done with the first cars.');
      await noSideScroll(page, 1280, 'summary');
      await shot(page, 'wizard-summary-1280.png');
      await page.fill('#wiz-notes', NOTES);
      await page.click('#wiz-save');
      await page.waitForSelector('#wiz-open');
      reportUrl = new URL(await page.getAttribute('#wiz-open', 'href'), url).href;
      await page.waitForSelector('#wiz-reports td:has-text("Zoë Martin")');
      const kept = await page.evaluate(() => localStorage.getItem('evg-wizard'));
      assert.strictEqual(kept, null, 'progress forgotten once saved');
    });
    await step('the report: escaped, printable, at 1280 and 360 px', async () => {
      const rp = await ctx.newPage();
      rp.on('dialog', (d) => { errors.push('dialog in the report: ' + d.message()); d.dismiss(); });
      for (const width of [1280, 360]) {
        await rp.setViewportSize({ width, height: width === 360 ? 740 : 900 });
        await rp.goto(reportUrl);
        await rp.waitForSelector('h1:text("Commissioning report")');
        assert.strictEqual(await rp.evaluate(() => window.pwned), undefined, 'a script of the notes ran');
        assert.strictEqual(await rp.$$eval('script, img', (e) => e.length), 0);
        const notes = await rp.textContent('.notes');
        assert.strictEqual(notes, NOTES);
        const body = await rp.textContent('body');
        const order = await rp.$$eval('table.steps td:first-child', (e) => e.map((x) => x.textContent));
        assert.deepStrictEqual(order.slice(0, 4), ['Supply and limits', 'Meter', 'Clamps', 'Charger test'], order.join());
        assert.deepStrictEqual(order.slice(-2), ['Fallback arithmetic', 'Alarms'], order.join());
        for (const want of ['Zoë Martin', 'bay-003 connector 1', 'no car is plugged in', 'group_limit', '30.0', '18.0 A on L1'])
          assert(body.includes(want), 'report lacks ' + want);
        await noSideScroll(rp, width, 'report');
        await shot(rp, 'report-' + width + '.png');
      }
      await rp.close();
    });
    await step('an operator reads the reports, and commissions nothing', async () => {
      const st = await page.evaluate(async () => {
        const s = await (await fetch('/api/session')).json();
        const r = await fetch('/api/users', { method: 'POST', body: JSON.stringify({ name: 'olivia', role: 'operator', password: 'first-pass-1' }),
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf } });
        return r.status;
      });
      assert.strictEqual(st, 201);
      const oc = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const op = await oc.newPage();
      op.on('pageerror', (e) => errors.push(String(e)));
      await op.goto(url);
      await op.fill('#login-user', 'olivia');
      await op.fill('#login-password', 'first-pass-1');
      await op.click('#login-form button[type=submit]');
      await op.fill('#pw-old', 'first-pass-1');
      await op.fill('#pw-new', 'olivias-own-pass-2');
      await op.click('#password-form button[type=submit]');
      await op.waitForSelector('#phases .phase');
      await op.click('nav a[href="#/commissioning"]');
      await op.waitForSelector('#wiz-reports td:has-text("Zoë Martin")');
      assert.strictEqual(await op.$$eval('#wiz-save, .wiz-steps, #page form', (e) => e.length), 0);
      await oc.close();
    });
    await step('the wizard at 360 px', async () => {
      await page.setViewportSize({ width: 360, height: 740 });
      await page.goto(url + '#/commissioning');
      await page.waitForSelector('.wiz-steps button[aria-current]');
      await page.click('.wiz-steps li:nth-child(1) button');
      await page.waitForSelector('#set-site-group_limit');
      await noSideScroll(page, 360, 'site step');
      await page.click('.wiz-steps li:nth-child(2) button');
      await page.waitForSelector('#wiz-meter-live:has-text("Meter online")');
      await noSideScroll(page, 360, 'meter step');
      await page.click('.wiz-steps li:nth-child(3) button');
      await page.waitForSelector('article[data-charger="bay-003"]');
      await noSideScroll(page, 360, 'chargers step');
      await shot(page, 'wizard-chargers-360.png');
      await page.click('.wiz-steps li:nth-child(4) button');
      await page.waitForSelector('#wiz-save');
      await noSideScroll(page, 360, 'summary');
      await shot(page, 'wizard-summary-360.png');
    });
    assert.deepStrictEqual(errors, [], 'errors in the page');
    console.log('all wizard checks passed');
  } catch (e) {
    await page.screenshot({ path: path.join(shots, 'wizard-failure.png'), fullPage: true }).catch(() => {});
    console.error('FAILED: ' + (e && e.stack ? e.stack : e));
    if (errors.length) console.error('page errors: ' + errors.join('\n'));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
})();
