/*
 * What the browser scenarios share: Debian's Chromium through
 * playwright-core, a page that collects its errors, steps that print
 * their time, a line to evgroup-sim's control socket, and what a failed
 * run leaves.
 */
'use strict';

const { chromium } = require('playwright-core');
const fs = require('fs');
const net = require('net');

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

/* A headless browser at 1280 x 900 that takes downloads (more context
 * options in ctxOptions: a locale), and its page, whose script and
 * console errors land in errors[]. */
async function open(shots, ctxOptions) {
  fs.mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const ctx = await browser.newContext(Object.assign({ viewport: { width: 1280, height: 900 }, acceptDownloads: true },
    ctxOptions || {}));
  const page = await ctx.newPage();
  const errors = [];
  watch(page, errors);
  return { browser, page, errors };
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

module.exports = { step, open, watch, simAt, checks };
