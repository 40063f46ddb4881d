#!/usr/bin/env node
/*
 * The Energy page in headless Chromium (Debian's), driven by
 * playwright-core: September 2026 per day for the whole site (one bar a
 * day), then per RFID tag (the tags' names in the legend), the CSV
 * downloaded and its total against the one the test summed itself, per
 * month (one bar), the table under the chart; at 1280 px and 360 px a
 * screenshot and no horizontal scroll; the sessions list filtered by tag
 * with the tag's name. Started by tests/proc/test_history.py, which runs
 * the appliance (in Europe/London, as this browser) and seeds the
 * sessions:
 *   node history.js URL INSTALLER_PASSWORD SCREENSHOT_DIR SEPTEMBER_WH
 */
'use strict';

const { step, open, login, atWidth, checks } = require('./lib');
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const [url, password, shots, septWh] = process.argv.slice(2);

const bars = (page) => page.$$eval('#energy-chart g.bar', (g) => g.length);

async function show(page) {
  await page.evaluate(() => { document.getElementById('energy-out').replaceChildren(); });
  await page.click('#energy-form button[type=submit]');
  await page.waitForSelector('#energy-chart');
}

(async () => {
  const { browser, page, errors } = await open(shots);
  await checks(browser, page, errors, path.join(shots, 'history-failure.png'), async () => {
    await step('login, the Energy page from the menu', async () => {
      await login(page, url, 'installer', password);
      await page.click('nav a[href="#/energy"]');
      await page.waitForSelector('#energy-chart');
    });
    await step('September per day, whole site: 30 bars', async () => {
      await page.fill('#en-from', '2026-09-01');
      await page.fill('#en-to', '2026-09-30');
      await show(page);
      assert.strictEqual(await bars(page), 30);
      const rects = await page.$$eval('#energy-chart g.bar rect', (r) => r.length);
      assert(rects > 20 && rects <= 30, rects + ' bars with energy');
      const total = await page.$eval('#energy-out tbody tr:last-child', (r) => r.textContent);
      assert(total.startsWith('Total'), total);
    });
    await step('per RFID tag: the same days, stacked, the names in the legend', async () => {
      await page.evaluate(() => { document.getElementById('energy-out').replaceChildren(); });
      await page.selectOption('#en-view', 'tag');
      await page.waitForSelector('#energy-legend');
      assert.strictEqual(await bars(page), 30);
      const legend = await page.textContent('#energy-legend');
      assert(legend.includes('Fleet van 1 (04A1B2C3): '), legend);
      assert(legend.includes('no tag'), legend);
      const opts = await page.$$eval('#en-which option', (o) => o.map((x) => x.textContent));
      assert(opts.includes('Night shift (DEADBEEF)'), opts.join('|'));
      await page.screenshot({ path: path.join(shots, 'energy-1280.png') });
    });
    await step('the CSV per tag adds up to the sum of the sessions', async () => {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#energy-csv')]);
      const text = fs.readFileSync(await dl.path(), 'utf8');
      const lines = text.trim().split('\r\n');
      assert.strictEqual(lines[0], 'period,tag,tag_name,energy_kwh,sessions');
      let wh = 0;
      for (const l of lines.slice(1)) {
        const f = l.split(',');
        assert(f[0].startsWith('2026-09-'), l);
        wh += Math.round(Number(f[f.length - 2]) * 1000);
      }
      assert.strictEqual(wh, Number(septWh));
      fs.writeFileSync(path.join(shots, 'energy.csv'), text);
    });
    await step('one tag, then per month: one bar', async () => {
      await page.selectOption('#en-which', 'DEADBEEF');
      await show(page);
      const legend = await page.textContent('#energy-legend');
      assert(/^Night shift \(DEADBEEF\): [0-9.,\s]+ kWh$/.test(legend), legend);
      await page.selectOption('#en-group', 'month');
      await show(page);
      assert.strictEqual(await bars(page), 1);
    });
    await step('360 px: no horizontal scroll', async () => {
      await page.selectOption('#en-group', 'day');
      await page.selectOption('#en-view', 'connector');
      await page.waitForSelector('#energy-legend');
      await atWidth(page, shots, 'energy', 360);
      await page.setViewportSize({ width: 1280, height: 900 });
    });
    await step('sessions filtered by tag, with its name', async () => {
      await page.click('nav a[href="#/sessions"]');
      await page.waitForSelector('#sessions-list table, #sessions-list p');
      await page.evaluate(() => { document.getElementById('sessions-list').replaceChildren(); });
      await page.fill('#ses-from', '2026-09-01');
      await page.fill('#ses-to', '2026-11-30');
      await page.fill('#ses-tag', '04-a1-b2-c3');
      await page.click('form.filters button[type=submit]');
      await page.waitForSelector('#sessions-list td:text("Fleet van 1")');
      const tags = await page.$$eval('#sessions-list td[data-label="Tag"]', (t) => t.map((x) => x.textContent));
      assert(tags.length > 10 && tags.every((t) => t.endsWith(' (Fleet van 1)')), tags.join('|'));
    });
  });
})();
