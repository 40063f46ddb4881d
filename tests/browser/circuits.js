#!/usr/bin/env node
/*
 * The Circuits page in headless Chromium (Debian's), driven by
 * playwright-core (issue 14): the tree (the supply on top, each circuit
 * indented under its parent, its chargers in it); an installer adds a
 * circuit (a limit above its parent's and a missing name refused next to
 * their fields, then accepted), raises a limit (asked first, with the
 * figures), moves a charger, removes a circuit (one with chargers
 * refused, an empty one asked first); the live bars of a circuit drawn
 * when the status has circuits[] and nothing broken when it has not;
 * an operator sees it read-only. At 1280 px and 360 px: screenshot, no
 * horizontal scroll. Started by tests/proc/test_circuits_cfg.py, which
 * runs the appliance with row-a (bay-001 in it) and row-b under row-a:
 *   node circuits.js URL SIM_SOCKET SCREENSHOT_DIR INSTALLER_PW OPERATOR_PW
 */
'use strict';

const assert = require('assert');
const path = require('path');
const lib = require('./lib');
const { step, newPage, atWidth, checks } = lib;

const [url, , shots, instPass, opPass] = process.argv.slice(2);

const login = (page, user, pw) => lib.login(page, url, user, pw);
const card = (name) => 'article.circuit[data-circuit="' + name + '"]';

/* The circuits' names in the tree, top to bottom, with their indent. */
async function tree(page) {
  return page.$$eval('#circuit-tree article.circuit', (as) => as.map((a) =>
    [a.dataset.circuit || 'supply', Math.round(a.getBoundingClientRect().left)]));
}

async function openCircuits(page) {
  await page.click('nav a[href="#/circuits"]');
  await page.waitForSelector('#circuit-tree ' + card('row-a'));
}

/* The page reloads itself after a change: wait for the new tree, drawn
 * whole (the supply and row-a on it, its live figures hooked up). */
async function reloaded(page, name, present) {
  await page.waitForFunction(([n, p]) => {
    const has = (c) => !!document.querySelector('#circuit-tree article.circuit[data-circuit="' + c + '"]');
    /* global S */
    return has('supply') && has('row-a') && has(n) === p && S.page && S.page.live;
  }, [name, present], { timeout: 10000 });
}

(async () => {
  const { browser, page, errors } = await lib.open(shots);
  let dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.accept(); });
  await checks(browser, page, errors, path.join(shots, 'circuits-failure.png'), async () => {
    await step('installer: the tree, parents above, children indented', async () => {
      await login(page, 'installer', instPass);
      await openCircuits(page);
      const tr = await tree(page);
      assert.deepStrictEqual(tr.map((x) => x[0]), ['supply', 'row-a', 'row-b'], JSON.stringify(tr));
      assert(tr[0][1] < tr[1][1] && tr[1][1] < tr[2][1], 'indented by depth: ' + JSON.stringify(tr));
      const a = await page.textContent(card('row-a'));
      assert(a.includes('Limit 63.0 A') && a.includes('no meter') && a.includes('bay-001'), a);
      assert(!(await page.textContent(card('row-b'))).includes('bay-001'));
      await atWidth(page, shots, 'circuits', 1280);
    });
    await step('add: refused next to its field, then added', async () => {
      await page.fill('#add-circuit-name', 'row-c');
      await page.selectOption('#add-circuit-parent', 'row-b');
      await page.fill('#add-circuit-limit', '70');
      await page.click('#add-circuit button[type=submit]');
      await page.waitForSelector('#add-circuit .field-error');
      const e = await page.textContent('#add-circuit .field-error');
      assert(e.includes("above circuit 'row-b': limit 63.0 A"), e);
      assert(await page.$eval('#add-circuit-limit', (x) => x.getAttribute('aria-invalid') === 'true'));
      await page.fill('#add-circuit-name', '');
      await page.fill('#add-circuit-limit', '20');
      await page.click('#add-circuit button[type=submit]');
      await page.waitForFunction(() => {
        const x = document.querySelector('#add-circuit .field-error');
        return x && x.textContent.includes('name: must be set');
      });
      assert(await page.$eval('#add-circuit-name', (x) => x.getAttribute('aria-invalid') === 'true'));
      await page.fill('#add-circuit-name', 'row-c');
      await page.fill('#add-circuit-limit', '20,5');
      await page.click('#add-circuit button[type=submit]');
      await page.waitForSelector('#add-circuit-msg .msg:text("row-c added")');
      await reloaded(page, 'row-c', true);
      const tr = await tree(page);
      assert.deepStrictEqual(tr.map((x) => x[0]), ['supply', 'row-a', 'row-b', 'row-c']);
      assert(tr[3][1] > tr[2][1], 'row-c under row-b');
      assert((await page.textContent(card('row-c'))).includes('Limit 20.5 A'));
    });
    await step('edit: a raise asked first with its figures', async () => {
      await page.click(card('row-a') + ' button[data-action=edit]');
      const f = card('row-a') + ' form[data-section=circuit1]';
      await page.waitForSelector(f + ' [name=limit]');
      assert(await page.isHidden(f + ' [name=meter_host]'), 'no meter: its fields hidden');
      await page.fill(f + ' [name=limit]', 'lots');
      await page.click(f + ' button[type=submit]');
      await page.waitForSelector(f + ' .field-error:text("not a number")');
      dialogs = [];
      await page.fill(f + ' [name=limit]', '80');
      await page.click(f + ' button[type=submit]');
      await page.waitForSelector(f + ' .msg:text("In force now")');
      assert(dialogs.length === 1 && dialogs[0].includes('63.0 A') && dialogs[0].includes('80.0 A'), dialogs.join('|'));
      await page.waitForFunction(() => {
        const a = document.querySelector('article.circuit[data-circuit="row-a"] .circuit-summary');
        return a && a.textContent.includes('Limit 80.0 A');
      }, null, { timeout: 10000 });
    });
    await step('a charger moved to another circuit', async () => {
      await page.selectOption(card('supply') + ' select[data-charger="bay-002"]', 'row-b');
      await page.waitForSelector(card('supply') + ' .msg:text("bay-002 moved to row-b")');
      const m = await page.textContent(card('supply') + ' .msg');
      assert(m.includes('restart'), m);
    });
    await step('remove: not with chargers in it; an empty one asked first', async () => {
      await page.click(card('row-a') + ' button[data-action=remove]');
      await page.waitForSelector(card('row-a') + ' .msg.bad:text("still has charger \'bay-001\'")');
      dialogs = [];
      await page.click(card('row-c') + ' button[data-action=remove]');
      await reloaded(page, 'row-c', false);
      assert(dialogs.length === 1 && dialogs[0].includes('removed'), dialogs.join('|'));
    });
    await step('live bars when the status has circuits, none when not', async () => {
      /* the status's own updates held while the figures are looked at */
      await page.evaluate(() => {
        window.heldLive = S.page.live;
        S.page.live = () => {};
        window.heldLive(Object.assign({}, S.status, { circuits: [{ name: 'row-a',
          available: [30, 31, 32], used: [10, 11, 12], measured: [25, 26, 27], building: [15, 15, 15],
          meter: { online: true, why: '' } }] }));
      });
      assert.strictEqual(await page.$$eval(card('row-a') + ' .circuit-bars .phase', (p) => p.length), 3);
      const n = await page.textContent(card('row-a') + ' .circuit-bars');
      assert(n.includes('chargers 10.0 A') && n.includes('may take 30.0 A more') && n.includes('measured 25.0 A'), n);
      await atWidth(page, shots, 'circuits-bars', 360);
      /* looked at in the same turn: the master's next status (with its
       * own circuits) may come in between two round trips */
      const gone = await page.evaluate((sel) => {
        S.page.live = window.heldLive;
        S.page.live(Object.assign({}, S.status, { circuits: undefined }));
        return document.querySelector(sel) === null;
      }, card('row-a') + ' .circuit-bars');
      assert.strictEqual(gone, true, 'bars without circuits in the status');
      await atWidth(page, shots, 'circuits', 360);
    });
    await step('operator: read-only', async () => {
      const op = await newPage(browser, errors);
      await login(op, 'olivia', opPass);
      await openCircuits(op);
      assert.strictEqual(await op.$('#add-circuit'), null, 'no add form');
      assert.strictEqual(await op.$('#circuit-tree button[data-action]'), null, 'no edit or remove');
      assert.strictEqual(await op.$('#circuit-tree select'), null, 'no moving chargers');
      assert((await op.textContent(card('row-a'))).includes('bay-001'));
      await atWidth(op, shots, 'circuits-operator', 360);
    });
  });
})();
