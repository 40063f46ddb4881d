#!/usr/bin/env node
/*
 * The commissioning wizard in headless Chromium (Debian's), driven by
 * playwright-core, on a simulated site of three chargers: the first
 * login, then each step (supply and limits with the fallback
 * arithmetic, the meter and its clamps live, each charger tested and
 * its phase check run with the real test mode: a single-phase car on
 * bay-001 wired as configured, a match (pass); bay-002 rewired L2L3L1 in
 * the simulator, a mismatch (fail) with the wiring it suggests, set
 * through the chargers' settings (a pending change, in the restart
 * banner); bay-003 with no car, inconclusive (a warning)), a reload that
 * resumes where it was, the summary saved as a report with hostile
 * notes, the report opened (escaped, no script run, the three phase
 * checks listed) and listed; screenshots at 1280 px and 360 px, no
 * horizontal scroll. Started by tests/proc/test_wizard.py, which runs
 * the appliance:
 *   node wizard.js URL SIM_SOCKET SCREENSHOT_DIR
 */
'use strict';

const assert = require('assert');
const path = require('path');
const lib = require('./lib');
const { step, open, newPage, login, simAt, checks } = lib;

const [url, simsock, shots] = process.argv.slice(2);
const PASSWORD = 'site-owner-pass-1';
const NOTES = '</div><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">\nline two & "quotes"';

const sim = async (line) => assert.strictEqual(await simAt(simsock, line), 'ok', line);
const noSideScroll = lib.noSideScroll;
const shot = (page, name) => lib.shot(page, shots, name);

/* The badge of a recorded result: pass, warn, fail or skipped. */
async function badge(page, key, timeout) {
  const sel = '[data-result="' + key + '"] .wiz-badge';
  await page.waitForSelector(sel + ':not(.wiz-none)', { timeout });
  return page.textContent(sel);
}

/* The dashboard's state of a charger's connector 1, from the page's
 * status stream, is state. */
function connState(page, charger, state) {
  return page.waitForFunction(([c, s]) => S.status && S.status.connectors.some((x) => x.charger === c &&
    x.connector === 1 && x.state === s), [charger, state], { timeout: 20000 });
}

/* The phase check of name's connector 1 at 16 A (typed with a decimal
 * comma) once its car charges, run to its end: its badge is status and
 * its finding says each of wants. */
async function phaseCheck(page, name, status, wants) {
  await connState(page, name, 'charging');
  await page.fill('#wiz-amps-' + name.slice(-1) + '-1', '16,0');
  await page.click('article[data-charger="' + name + '"] button[data-action=phase]');
  const key = 'phase-rotation|' + name + '|1';
  assert.strictEqual(await badge(page, key, 45000), status, name);
  const t = await page.textContent('[data-result="' + key + '"]');
  for (const want of wants) assert(t.includes(want), 'lacks ' + want + ': ' + t);
}

(async () => {
  const { browser, page, errors } = await open(shots);
  page.setDefaultTimeout(15000);
  await checks(browser, page, errors, path.join(shots, 'wizard-failure.png'), async () => {
    await step('first login and the forced password change; a car on bay-001', async () => {
      // a single-phase car, on bay-001 wired L1L2L3 as configured; it
      // follows its offer in 0.2 s (the phase check's steps are shorter)
      await sim('bay-001 car 1 phases 1');
      await sim('bay-001 car 1 lag 200');
      await sim('bay-001 plug 1');
      await login(page, url, 'installer', 'installer', PASSWORD);
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
      await page.waitForSelector('form[data-section=site] .msg:text("In force now: group limit.")');
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
    await step('each charger tested', async () => {
      await page.click('#wiz-next');
      await page.waitForSelector('article[data-charger="bay-003"]');
      for (const name of ['bay-001', 'bay-002', 'bay-003']) {
        await page.click('article[data-charger="' + name + '"] button[data-action=test]');
        for (const check of ['charger-test', 'charger-ratings', 'charger-authorisation'])
          assert.strictEqual(await badge(page, check + '|' + name + '|'), 'pass', name + ' ' + check);
      }
      const r = await page.textContent('[data-result="charger-ratings|bay-001|"]');
      assert(r.includes('within the charger'), r);
    });
    await step('bay-001: a car, wired as configured: a match (pass)', async () => {
      await phaseCheck(page, 'bay-001', 'pass', ['draws on L1, as configured (L1L2L3)', 'The car\u2019s conductors: L1',
        'The site phases they land on: L1', 'Configured wiring: L1L2L3']);
      assert.strictEqual(await page.$('article[data-charger="bay-001"] button[data-action=wiring]'), null, 'nothing to set');
    });
    await step('bay-002 rewired: a mismatch (fail), the wiring it saw set as a pending change', async () => {
      await sim('bay-001 unplug 1');
      await sim('bay-002 car 1 phases 1');
      await sim('bay-002 car 1 lag 200');
      await sim('bay-002 wiring 1 L2L3L1');
      await sim('bay-002 plug 1');
      await phaseCheck(page, 'bay-002', 'fail', ['set phase rotation to L2L3L1', 'The car\u2019s conductors: L1',
        'The site phases they land on: L2', 'Suggested wiring: L2L3L1']);
      const set = 'article[data-charger="bay-002"] button[data-action=wiring]';
      assert.strictEqual(await page.textContent(set), 'Set the wiring to L2L3L1');
      await page.click(set);
      await page.waitForSelector('article[data-charger="bay-002"] .msg:text("Saved; takes effect after a restart: '
        + 'charger \'bay-002\': connector 1: wiring. Run the phase check again after the restart.")');
      await page.waitForSelector('#banner #pending li:text("charger \'bay-002\': connector 1: wiring: L1L2L3 now, L2L3L1 after the restart")');
      const cfg = await page.evaluate(() => fetch('/api/chargers').then((r) => r.json()));
      assert.strictEqual(cfg.chargers.find((c) => c.name === 'bay-002').phase1, 'L2L3L1');
      assert(await page.isDisabled(set), 'set once');
      await sim('bay-002 unplug 1');
    });
    await step('bay-003 with no car: inconclusive (a warning)', async () => {
      await page.click('article[data-charger="bay-003"] button[data-action=phase]');
      await page.waitForSelector('[data-result="phase-rotation|bay-003|1"]:has-text("no car is plugged in")');
      assert.strictEqual(await badge(page, 'phase-rotation|bay-003|1'), 'warn');
      await shot(page, 'wizard-chargers-1280.png');
    });
    await step('a reload resumes where it was', async () => {
      await page.reload();
      await page.waitForSelector('article[data-charger="bay-003"]');
      assert.strictEqual(await badge(page, 'charger-test|bay-002|'), 'pass');
      assert.strictEqual(await badge(page, 'phase-rotation|bay-001|1'), 'pass');
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
      const rp = await page.context().newPage();
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
        for (const want of ['Zoë Martin', 'bay-003 connector 1', 'no car is plugged in', 'group_limit', '30.0', '18.0 A on L1',
          'The site phases they land on: L2', 'Suggested wiring: L2L3L1',
          'charger \'bay-002\': connector 1: wiring: L1L2L3 now, L2L3L1 after the restart'])
          assert(body.includes(want), 'report lacks ' + want);
        // the three phase checks, each with its result
        const phases = await rp.$$eval('table.steps tr', (rows) => rows.map((r) => [...r.children].map((c) => c.textContent))
          .filter((c) => c[0] === 'Phase rotation').map((c) => c[1] + ': ' + c[2]));
        assert.deepStrictEqual(phases, ['bay-001 connector 1: pass', 'bay-002 connector 1: fail', 'bay-003 connector 1: warn']);
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
      const op = await newPage(browser, errors);
      await login(op, url, 'olivia', 'first-pass-1', 'olivias-own-pass-2');
      await op.click('nav a[href="#/commissioning"]');
      await op.waitForSelector('#wiz-reports td:has-text("Zoë Martin")');
      assert.strictEqual(await op.$$eval('#wiz-save, .wiz-steps, #page form', (e) => e.length), 0);
      await op.context().close();
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
    console.log('all wizard checks passed');
  });
})();
