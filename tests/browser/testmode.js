#!/usr/bin/env node
/*
 * The phase check in the web UI, in headless Chromium (Debian's) driven
 * by playwright-core: on the chargers page, a connector's "Phase check"
 * panel; a current that is not a number and one above the charger's
 * rating refused beside the field; a test at 16 A watched step by step
 * (each phase's rise); the result a mismatch (the simulator wires the
 * connector L2L3L1, the master has L1L2L3) with the suggested wiring,
 * applied through the chargers' settings with its confirmation (it waits
 * for a restart: the banner lists it). At 1280 px and 360 px: screenshots,
 * no horizontal scroll. Started by tests/proc/test_testmode_web.py:
 *   node testmode.js URL SIM_SOCKET SCREENSHOT_DIR (the socket unused)
 */
'use strict';

const assert = require('assert');
const path = require('path');
const { step, open, login, noSideScroll, shot, checks } = require('./lib');

const [url, , shots] = process.argv.slice(2);
const PASSWORD = 'site-owner-pass-1';
const PANEL = '#tm-1-1';

(async () => {
  const { browser, page, errors } = await open(shots);
  await checks(browser, page, errors, path.join(shots, 'phase-check-failure.png'), async () => {
    await step('login, password changed', async () => {
      await login(page, url, 'installer', 'installer', PASSWORD);
    });
    await step('the chargers page has a phase check per connector', async () => {
      await page.click('nav a[href="#/chargers"]');
      await page.click('article[data-charger="bay-001"] button[aria-controls="tm-1-1"]');
      await page.waitForSelector(PANEL + ':not([hidden])');
      const head = await page.textContent(PANEL + ' h3');
      assert(head.includes('configured L1L2L3'), head);
    });
    await step('bad currents refused beside the field', async () => {
      await page.fill('#tm-1-1-current', 'lots');
      await page.click(PANEL + ' button:text("Start phase check")');
      await page.waitForSelector('#tm-1-1-out .msg.bad:text("a number of amperes")');
      assert.strictEqual(await page.getAttribute('#tm-1-1-current', 'aria-invalid'), 'true');
      await page.fill('#tm-1-1-current', '20');
      await page.click(PANEL + ' button:text("Start phase check")');
      await page.waitForSelector('#tm-1-1-out .msg.bad:text("at most 16.0 A")');
    });
    await step('a test at 16 A, watched step by step', async () => {
      await page.fill('#tm-1-1-current', '16');
      await page.click(PANEL + ' button:text("Start phase check")');
      await page.waitForSelector('#tm-1-1-out .msg:text("Step 1 of 3")');
      assert.strictEqual(await page.getAttribute('#tm-1-1-current', 'aria-invalid'), null);
      await page.waitForSelector('#tm-1-1-out .msg:text("Step 3 of 3")', { timeout: 30000 });
      await page.waitForSelector(PANEL + ' .tm-rise[data-phase="L2"] .tm-num:text("+10")');
      await shot(page, shots, 'phase-check-running-1280.png');
    });
    await step('the result: a mismatch, and the wiring the meter saw', async () => {
      await page.waitForSelector(PANEL + ' [data-verdict]', { timeout: 30000 });
      const v = await page.getAttribute(PANEL + ' [data-verdict]', 'data-verdict');
      const text = await page.textContent(PANEL + ' [data-verdict]');
      assert.strictEqual(v, 'mismatch', text);
      assert(text.includes('draws on L2 (configured: L1); set phase rotation to L2L3L1'), text);
      await shot(page, shots, 'phase-check-1280.png');
      await page.setViewportSize({ width: 360, height: 740 });
      await noSideScroll(page, 360, 'the phase check');
      await shot(page, shots, 'phase-check-360.png');
      await page.setViewportSize({ width: 1280, height: 900 });
    });
    await step('the suggestion applied, asked first', async () => {
      let asked = '';
      page.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
      await page.click(PANEL + ' button:text("Set connector 1 wiring to L2L3L1")');
      await page.waitForTimeout(300);
      assert(asked.includes('from L1L2L3 to L2L3L1'), asked);
      let cfg = await page.evaluate(() => fetch('/api/chargers').then((r) => r.json()));
      assert.strictEqual(cfg.chargers[0].phase1, 'L1L2L3', 'dismissed: nothing changed');
      page.once('dialog', (d) => d.accept());
      await page.click(PANEL + ' button:text("Set connector 1 wiring to L2L3L1")');
      await page.waitForSelector(PANEL + ' .msg:text("takes effect after a restart")');
      cfg = await page.evaluate(() => fetch('/api/chargers').then((r) => r.json()));
      assert.strictEqual(cfg.chargers[0].phase1, 'L2L3L1');
      await page.waitForSelector('#banner #pending li');
    });
    console.log('all phase check browser checks passed');
  });
})();
