#!/usr/bin/env node
/*
 * A building management system's login in the web UI (issue 14): its
 * first login changes its password like any, then the page says what
 * the login is for, with no menu (the pages' calls would all be
 * refused); at 1280 px and 360 px: screenshot, no horizontal scroll.
 * Started by tests/proc/test_circuits_run.py, which adds the login
 * bms-1 with the first password first-pass-1:
 *   node circrun.js URL SIM_SOCKET SCREENSHOT_DIR
 */
'use strict';

const assert = require('assert');
const path = require('path');
const lib = require('./lib');
const { step, atWidth, checks } = lib;

const [url, , shots] = process.argv.slice(2);

(async () => {
  const { browser, page, errors } = await lib.open(shots);
  await checks(browser, page, errors, path.join(shots, 'bms-failure.png'), async () => {
    await step('bms: the first login, its password changed', async () => {
      await lib.login(page, url, 'bms-1', 'first-pass-1', 'bms-own-pass-2',
        '#page h1:has-text("building management system")');
    });
    await step('bms: what the login is for, no menu', async () => {
      assert.match(await page.textContent('#page'), /PUT \/api\/external-limit/);
      assert(await page.isHidden('#nav'), 'the menu shows for a bms login');
      assert.match(await page.textContent('#who-name'), /bms-1 \(building management system\)/);
    });
    await step('bms: at 1280 and 360 px', async () => {
      await atWidth(page, shots, 'bms', 1280);
      await atWidth(page, shots, 'bms', 360);
    });
  });
})();
