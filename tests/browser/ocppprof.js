#!/usr/bin/env node
/*
 * OCPP Smart Charging on the dashboard (issue 15): the connector the
 * CSMS's charging profile caps says so on its card (CSMS cap 10.0 A, why:
 * capped by the charging profile); the twin, a connector without a cap,
 * has no such line. An operator sees it too (read-only). At 1280 and
 * 360 px: screenshot, no horizontal scroll. Started by
 * tests/proc/test_ocpp_prof.py, with bay-001 capped at 10 A:
 *   node ocppprof.js URL SIM_SOCKET SCREENSHOT_DIR PASSWORD
 */
'use strict';

const assert = require('assert');
const path = require('path');
const lib = require('./lib');
const [url, , shots, password] = process.argv.slice(2);
const card = (id, what) => '#conn-' + id + ' ' + what;

(async () => {
  const { browser, page, errors } = await lib.open(shots);
  await lib.checks(browser, page, errors, path.join(shots, 'ocppprof-failure.png'), async () => {
    await lib.step('the capped connector says its cap and why', async () => {
      await lib.login(page, url, 'olivia', password);
      await page.waitForSelector(card('1-1', '.ocpp-cap'));
      assert.match(await page.textContent(card('1-1', '.ocpp-cap')), /10(\.|,)0 A \(OCPP charging profile\)/);
      assert.match(await page.textContent(card('1-1', 'dt:has(+ .ocpp-cap)')), /CSMS cap/);
      await page.waitForSelector(card('1-1', '.why[data-reason=ocpp_profile]'));
      assert.match(await page.textContent(card('1-1', '.why')), /capped at 10\.0 A by the CSMS/);
    });
    await lib.step('the twin without a cap has none', async () => {
      await page.waitForSelector('#conn-2-1');
      assert.strictEqual(await page.$(card('2-1', '.ocpp-cap')), null);
    });
    await lib.step('dashboard with the cap: at 1280 and 360 px', async () => {
      await lib.atWidth(page, shots, 'ocppprof-dashboard', 1280);
      await lib.atWidth(page, shots, 'ocppprof-dashboard', 360);
    });
  });
})();
