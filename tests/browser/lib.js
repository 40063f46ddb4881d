/*
 * What the browser scenarios share: Debian's Chromium through
 * playwright-core, a page that collects its errors, steps that print
 * their time, and a line to the simulator's control socket.
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

/* A headless browser at 1280 x 900 that takes downloads, and its page,
 * whose script and console errors land in errors[]. */
async function open(shots) {
  fs.mkdirSync(shots, { recursive: true });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    // refused requests (401, 400) are answers the page handles, not errors
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  page.setDefaultTimeout(10000);
  return { browser, page, errors };
}

/* One line to evgroup-sim's control socket, its answer (5 s at most). */
function simLine(simsock, line) {
  return new Promise((resolve, reject) => {
    const c = net.connect(simsock);
    let out = '';
    c.setTimeout(5000, () => { c.destroy(); reject(new Error('sim: timeout')); });
    c.on('data', (d) => { out += d; if (out.endsWith('\n')) { c.end(); resolve(out.trim()); } });
    c.on('error', reject);
    c.write(line + '\n');
  });
}

module.exports = { step, open, simLine };
