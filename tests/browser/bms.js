#!/usr/bin/env node
/*
 * The building management page (issue 16): an installer sees what the
 * BMS set now (its external limit, set over Modbus TCP by the test
 * first), and the [bms] settings: a writers' list that is not one is
 * refused with the setting's words and changes nothing; the twin, a
 * good list, is saved for the next restart. At 1280 and 360 px:
 * screenshot, no horizontal scroll. Started by tests/proc/test_bms.py:
 *   node bms.js URL SIM_SOCKET SCREENSHOT_DIR PASSWORD
 */
'use strict';

const assert = require('assert');
const path = require('path');
const lib = require('./lib');
const { step, atWidth, checks } = lib;

const [url, , shots, password] = process.argv.slice(2);

(async () => {
  const { browser, page, errors } = await lib.open(shots);
  const saved = async () => (await page.evaluate(() => fetch('/api/config/bms').then((r) => r.json())));
  await checks(browser, page, errors, path.join(shots, 'bms-page-failure.png'), async () => {
    await step('bms page: what the BMS set', async () => {
      await lib.login(page, url, 'installer', password);
      await page.click('nav a[href="#/bms"]');
      await page.waitForSelector('#set-bms-writers');
      const now = await page.textContent('#bms-limit');
      assert.match(now, /External limit: 10(\.|,)0 \/ 12(\.|,)0 \/ 14(\.|,)0 A/);
    });
    await step('bms page: a bad writers list refused, a good one saved', async () => {
      const before = (await saved()).writers;
      await page.fill('#set-bms-writers', '10.0.0.300');
      await page.click('form[data-section=bms] button[type=submit]');
      await page.waitForSelector('form[data-section=bms] .msg.bad');
      assert.strictEqual((await saved()).writers, before);
      await page.fill('#set-bms-writers', '127.0.0.1, 192.168.20.0/24');
      await page.click('form[data-section=bms] button[type=submit]');
      await page.waitForSelector('form[data-section=bms] .msg:not(.bad)');
      assert.strictEqual((await saved()).writers, '127.0.0.1, 192.168.20.0/24');
    });
    await step('bms page: at 1280 and 360 px', async () => {
      await atWidth(page, shots, 'bms-page', 1280);
      await atWidth(page, shots, 'bms-page', 360);
    });
  });
})();
