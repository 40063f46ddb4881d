/*
 * What the browser scenarios share: Debian's Chromium through
 * playwright-core, a page that collects its errors, steps that print
 * their time, a login (through the first login's forced password
 * change), the checks of a page at a width (no horizontal scroll, a
 * screenshot), a line to evgroup-sim's control socket, and what a failed
 * run leaves.
 */
'use strict';

const { chromium } = require('playwright-core');
const assert = require('assert');
const fs = require('fs');
const net = require('net');
const path = require('path');

async function step(name, fn) {
  const t0 = Date.now();
  await fn();
  console.log('ok   ' + name + ' (' + (Date.now() - t0) + ' ms)');
}

/* page's script and console errors land in errors[]. */
function watch(page, errors) {
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    // refused requests (401, 400) are answers the page handles, not errors
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  page.setDefaultTimeout(10000);
}

/* A page of a context of its own (another user, other options) at
 * 1280 x 900 that takes downloads; its errors land in errors[]. */
async function newPage(browser, errors, ctxOptions) {
  const ctx = await browser.newContext(Object.assign({ viewport: { width: 1280, height: 900 }, acceptDownloads: true },
    ctxOptions || {}));
  const page = await ctx.newPage();
  watch(page, errors);
  return page;
}

/* A headless browser (Debian's Chromium) and its page (newPage(), with
 * more context options in ctxOptions: a locale), whose script and
 * console errors land in errors[]. */
async function open(shots, ctxOptions) {
  fs.mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const errors = [];
  const page = await newPage(browser, errors, ctxOptions);
  return { browser, page, errors };
}

/* Logs user in at url; with newPassword, through the first login's
 * forced change (password the old one). Done when the menu shows (or
 * the selector ready). */
async function login(page, url, user, password, newPassword, ready) {
  await page.goto(url);
  await page.waitForSelector('#login:not([hidden])');
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-form button[type=submit]');
  if (newPassword) {
    await page.waitForSelector('#password-form');
    await page.fill('#pw-old', password);
    await page.fill('#pw-new', newPassword);
    await page.click('#password-form button[type=submit]');
  }
  await page.waitForSelector(ready || '#nav:not([hidden])');
}

/* The page as it is, whole, in shots/name. */
function shot(page, shots, name) {
  return page.screenshot({ path: path.join(shots, name), fullPage: true });
}

/* The page as shown now is no wider than width px (what: its name in
 * the failure). */
async function noSideScroll(page, width, what) {
  const sw = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(sw <= width, what + ' at ' + width + ' px scrolls sideways: ' + sw + ' px');
}

/* The page at width px (740 or 900 high): no horizontal scroll, and its
 * screenshot shots/name-width.png. */
async function atWidth(page, shots, name, width) {
  await page.setViewportSize({ width, height: width === 360 ? 740 : 900 });
  await page.waitForTimeout(300);
  await noSideScroll(page, width, name);
  await shot(page, shots, name + '-' + width + '.png');
}

/* A line to evgroup-sim's control socket: its answer. */
function simAt(simsock, line) {
  return new Promise((resolve, reject) => {
    const c = net.connect(simsock);
    let out = '';
    c.setTimeout(5000, () => { c.destroy(); reject(new Error('sim: timeout')); });
    c.on('data', (d) => { out += d; if (out.endsWith('\n')) { c.end(); resolve(out.trim()); } });
    c.on('error', reject);
    c.write(line + '\n');
  });
}

/* Runs the checks (fn); then no error may have shown in the page. A
 * failure leaves failFile (the page as it was), why, and the page's
 * errors, and the exit status says so; the browser is closed in any
 * case. */
async function checks(browser, page, errors, failFile, fn) {
  try {
    await fn();
    if (errors.length) throw new Error('errors in the page: ' + errors.join('\n'));
  } catch (e) {
    await page.screenshot({ path: failFile, fullPage: true }).catch(() => {});
    console.error('FAILED: ' + (e && e.stack ? e.stack : e));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

module.exports = { step, open, newPage, watch, login, shot, noSideScroll, atWidth, simAt, checks };
