#!/usr/bin/env node
/*
 * The MQTT settings page (issue 16, section 2) in headless Chromium:
 * an installer sees the [mqtt] settings with the broker's password only
 * said to be set, changes the broker's port and is told it waits for a
 * restart; a bad port is refused next to its field and nothing is
 * saved; an operator sees the page read-only. At 1280 px and 360 px:
 * screenshot, no horizontal scroll. Started by tests/proc/test_mqtt.py,
 * which runs the appliance with MQTT on, the installer's password
 * changed to INSTALLER_PW and the operator olivia's to OPERATOR_PW:
 *   node mqtt.js URL SIM_SOCKET SCREENSHOT_DIR INSTALLER_PW OPERATOR_PW
 */
'use strict';

const assert = require('assert');
const path = require('path');
const lib = require('./lib');
const { step, newPage, atWidth, checks } = lib;

const [url, , shots, instPass, opPass] = process.argv.slice(2);

(async () => {
  const { browser, page, errors } = await lib.open(shots);
  await checks(browser, page, errors, path.join(shots, 'mqtt-failure.png'), async () => {
    await step('installer: the MQTT page, the password only said to be set', async () => {
      await lib.login(page, url, 'installer', instPass);
      await page.click('nav a[href="#/mqtt"]');
      await page.waitForSelector('form[data-section=mqtt]');
      assert.strictEqual(await page.inputValue('#set-mqtt-password'), '(set)');
      assert.strictEqual(await page.inputValue('#set-mqtt-enabled'), 'yes');
      assert.strictEqual(await page.inputValue('#set-mqtt-commands'), 'yes');
      await atWidth(page, shots, 'mqtt', 1280);
      await atWidth(page, shots, 'mqtt', 360);
    });
    await step('installer: a bad port refused next to its field', async () => {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.fill('#set-mqtt-port', '70000');
      await page.click('form[data-section=mqtt] button[type=submit]');
      await page.waitForSelector('#set-mqtt-port[aria-invalid=true]');
    });
    await step('installer: its twin, a good port, waits for a restart', async () => {
      await page.fill('#set-mqtt-port', '8883');
      await page.click('form[data-section=mqtt] button[type=submit]');
      await page.waitForFunction(() => /restart/.test(
        document.querySelector('form[data-section=mqtt] [aria-live]').textContent));
    });
    const op = await newPage(browser, errors);
    await step('operator: the page read-only', async () => {
      await lib.login(op, url, 'olivia', opPass);
      await op.goto(url + '#/mqtt');
      await op.waitForSelector('form[data-section=mqtt].readonly');
      assert.strictEqual(await op.$('form[data-section=mqtt] button[type=submit]'), null);
      assert.strictEqual(await op.inputValue('#set-mqtt-password'), '(set)');
    });
  });
})();
