#!/usr/bin/env node
/*
 * The dashboard's circuits and site limits (webui/circuitbars.js) in
 * headless Chromium (issue 14, section 5). First what the appliance
 * sends: with EXPECT (comma-separated circuit names) the tree lists those
 * circuits, nested as their parents say, each with three bars and its
 * meter; without, a site without circuits shows none of it. Then the
 * cases a live site seldom shows, put into the appliance's own status
 * (the page's live() is wrapped to add them to every status it gets): an
 * external limit (value, by whom, until when), a demand window heading
 * over its target and one over it (a warning, then bad, in words too),
 * a circuit whose meter went offline (said plainly), a board over its
 * limit (outlined). At 1280 px and 360 px: screenshot, no horizontal
 * scroll. Started by tests/proc/test_webui.py:
 *   node circuitbars.js URL SIM_SOCKET SCREENSHOT_DIR [EXPECT]
 */
'use strict';

const assert = require('assert');
const path = require('path');
const lib = require('./lib');
const { step, atWidth, checks } = lib;

const [url, , shots, expect] = process.argv.slice(2);
const expected = expect ? expect.split(',') : [];

/* What the injected status adds: two boards under the supply, one with
 * a board under it; see docs/api.md for the fields. */
function injected(now) {
  return {
    imbalance_limit: 20.0, imbalance: 24.5,
    external_limit: { limit: [40.0, 40.0, 35.0], until: now + 299000, by: 'bms-1' },
    demand: { window: 900, start: now - 360000, end: now + 540000, target: 100.0, unit: 'kW',
      average: 61.2, projected: 97.0, ev_cap: 38.0, over: false },
    circuits: [
      { id: 1, name: 'board-a', parent: 'supply', depth: 1, limit: 63.0, margin: 0, offline_limit: 10.0,
        meter: { online: true, why: '' }, measured: [31.5, 37.0, 5.0], building: [8.0, 5.0, 5.0],
        available: [55.0, 58.0, 58.0], used: [23.5, 32.0, 0.0], imbalance_limit: null, imbalance: null,
        chargers: ['bay-001'] },
      { id: 2, name: 'board-b', parent: 'supply', depth: 1, limit: 63.0, margin: 0, offline_limit: 10.0,
        meter: null, measured: null, building: null, available: [63.0, 63.0, 63.0], used: [23.5, 0.0, 32.0],
        imbalance_limit: null, imbalance: null, chargers: ['bay-002'] },
      { id: 3, name: 'board-b-east-wing-lower-level', parent: 'board-b', depth: 2, limit: 32.0, margin: 0,
        offline_limit: 10.0, meter: null, measured: null, building: null, available: [32.0, 32.0, 32.0],
        used: [16.0, 0.0, 0.0], imbalance_limit: 16.0, imbalance: 16.0, chargers: ['bay-003'] },
    ],
  };
}

/* Adds x to every status the dashboard draws from now on (and redraws). */
function inject(page, x) {
  return page.evaluate((add) => {
    if (!window.cbReal) window.cbReal = S.page.live;
    const real = window.cbReal;
    S.page.live = (st) => real(Object.assign({}, st, add));
    S.page.live(S.status);
  }, x);
}

const text = (page, sel) => page.textContent(sel);

(async () => {
  const { browser, page, errors } = await lib.open(shots);
  await checks(browser, page, errors, path.join(shots, 'circuitbars-failure.png'), async () => {
    await step('the dashboard shows what the appliance sends', async () => {
      await lib.login(page, url, 'installer', 'circuit-owner-pass-1');
      await page.waitForSelector('#phases .phase');
      const st = await page.evaluate(() => S.status);
      if (expected.length === 0) {
        assert(!st.circuits || st.circuits.length === 0, 'no circuits configured, yet: ' + JSON.stringify(st.circuits));
        assert(await page.isHidden('#site-limits'), 'a site without circuits or limits shows none');
        return;
      }
      await page.waitForSelector('#dash-circuits');
      const names = await page.$$eval('li.circuit', (l) => l.map((e) => e.dataset.circuit));
      assert.deepStrictEqual(names.slice().sort(), expected.slice().sort(), 'the tree lists the configured circuits');
      /* the site's limits as the appliance has them: the external limit
       * the test set (capped at the site's limit), the balance, the window */
      assert(st.external_limit, 'the external limit set through the API is in the status');
      const x = await text(page, '#dash-external');
      assert(x.includes('set by installer') && x.includes(st.external_limit.limit.map((v) => v.toFixed(1)).join(' / ')), x);
      assert(/limit 20.0 A/.test(await text(page, '#dash-imbalance')));
      assert(st.demand, 'a demand window');
      const d = await text(page, '#dash-demand');
      assert(d.includes('target 100.0 kW') && /\(15 min\)/.test(d), d);
      /* board-a's meter online, its own load as its CT kit reads it */
      await page.waitForSelector('li.circuit[data-circuit="board-a"][data-meter="online"]', { timeout: 20000 });
      const a = await text(page, 'li.circuit[data-circuit="board-a"] > .phases');
      assert(/building 8.0 A/.test(a) && /limit 63.0 A/.test(a), a);
      for (const c of (await page.evaluate(() => S.status)).circuits) {
        const li = 'li.circuit[data-circuit="' + c.name + '"]';
        assert.strictEqual((await page.$$(li + ' > .phases .bar')).length, 3, c.name + ': three bars');
        assert.strictEqual(await page.getAttribute(li, 'data-meter'), !c.meter ? 'none' : c.meter.online ? 'online' : 'offline');
        if (c.parent && c.parent !== 'supply')
          assert(await page.$('li.circuit[data-circuit="' + c.parent + '"] ' + li), c.name + ' nested under ' + c.parent);
      }
      await atWidth(page, shots, 'circuitbars-real', 1280);
    });
    await step('limits and circuits: the tree nested, bars per phase, the meter', async () => {
      await page.setViewportSize({ width: 1280, height: 900 });
      const now = await page.evaluate(() => S.status.time_ms);
      await inject(page, injected(now));
      await page.waitForSelector('#dash-circuits');
      const names = await page.$$eval('#dash-circuits > ul > li.circuit', (l) => l.map((e) => e.dataset.circuit));
      assert.deepStrictEqual(names, ['board-a', 'board-b']);
      assert(await page.$('li.circuit[data-circuit="board-b"] li.circuit[data-circuit="board-b-east-wing-lower-level"]'),
        'the sub-board under its parent');
      assert.strictEqual((await page.$$('li.circuit[data-circuit="board-a"] > .phases .bar')).length, 3);
      const a = await text(page, 'li.circuit[data-circuit="board-a"]');
      assert(/its meter: online/.test(a) && /measured 31.5 A/.test(a) && /may take 55.0 A/.test(a) &&
        /building 8.0 A/.test(a) && /limit 63.0 A/.test(a), a);
      const label = await page.getAttribute('li.circuit[data-circuit="board-a"] .bar[data-phase="1"]', 'aria-label');
      assert.strictEqual(label, 'board-a L1: building 8.0 A, cars 23.5 A, cars may take 55.0 A, limit 63.0 A');
      const b = await text(page, 'li.circuit[data-circuit="board-b"] > .meter');
      assert(/no meter/.test(b), b);
      /* the positive twin of the warnings below: none yet */
      assert.strictEqual(await page.$('li.circuit .bar.bad'), null);
      const sub = await text(page, 'li.circuit[data-circuit="board-b-east-wing-lower-level"]');
      assert(/phase balance 16.0 A \(limit 16.0 A\)/.test(sub), sub);
    });
    await step('the external limit: its value, by whom, until when', async () => {
      const x = await text(page, '#dash-external');
      assert(/External limit in force: 40.0 \/ 40.0 \/ 35.0 A per phase, set by bms-1, until .*\(4:\d\d left\)/.test(x), x);
      const i = await text(page, '#dash-imbalance');
      assert(/Phase balance: 24.5 A between the phases now \(limit 20.0 A\)/.test(i), i);
      assert(await page.$('#dash-imbalance.bad'), 'over its limit: bad');
    });
    await step('the demand window: under target, heading over, over', async () => {
      let d = await text(page, '#dash-demand');
      assert(/average so far 61.2 kW · projected 97.0 kW · target 100.0 kW · the chargers may take 38.0 kW now · \d:\d\d left/.test(d), d);
      assert.strictEqual(await page.getAttribute('#dash-demand', 'data-over'), 'no');
      assert.strictEqual(await page.$('#dash-demand .sev1, #dash-demand .sev2'), null, 'under target: no warning');
      await atWidth(page, shots, 'circuitbars', 1280);
      await atWidth(page, shots, 'circuitbars', 360);
      await page.setViewportSize({ width: 1280, height: 900 });
      const now = await page.evaluate(() => S.status.time_ms);
      /* the appliance's "over": the projection above the target */
      const heading = injected(now);
      heading.demand.projected = 104.0;
      heading.demand.over = true;
      await inject(page, heading);
      await page.waitForSelector('#dash-demand[data-over="heading"] .sev1');
      d = await text(page, '#dash-demand');
      assert(/ends over its target/.test(d), d);
      /* 160 kW for 6 of its 15 minutes: 16 of 25 kWh, not over yet;
       * 260 kW: 26 kWh, over already */
      const over = injected(now);
      over.demand.over = true;
      over.demand.average = over.demand.projected = 160.0;
      await inject(page, over);
      await page.waitForSelector('#dash-demand[data-over="heading"] .sev1');
      over.demand.average = over.demand.projected = 260.0;
      await inject(page, over);
      await page.waitForSelector('#dash-demand[data-over="yes"] .sev2');
      d = await text(page, '#dash-demand');
      assert(/over its target/.test(d), d);
    });
    await step('a circuit meter offline, a board over its limit', async () => {
      const now = await page.evaluate(() => S.status.time_ms);
      const x = injected(now);
      x.circuits[0].meter = { online: false, why: 'no answer' };
      x.circuits[0].measured = null;
      x.circuits[0].building = null;
      x.circuits[1].used = [70.0, 0.0, 0.0];
      await inject(page, x);
      await page.waitForSelector('li.circuit[data-circuit="board-a"][data-meter="offline"]');
      const m = await text(page, 'li.circuit[data-circuit="board-a"] > .meter');
      assert(/OFFLINE .* offline limit of 10.0 A \(no answer\)/.test(m), m);
      assert(await page.$('li.circuit[data-circuit="board-b"] .bar[data-phase="1"].bad'), 'over its limit: outlined');
      assert.strictEqual(await page.$('li.circuit[data-circuit="board-b"] .bar[data-phase="2"].bad'), null);
      await atWidth(page, shots, 'circuitbars-offline', 360);
    });
  });
})();
