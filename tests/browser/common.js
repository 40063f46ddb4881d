/*
 * What the browser tests share: a line to evgroup-sim's control socket
 * (its answer), a named step with its time, and what a failure leaves.
 */
'use strict';

const net = require('net');

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

async function step(name, fn) {
  const t0 = Date.now();
  await fn();
  console.log('ok   ' + name + ' (' + (Date.now() - t0) + ' ms)');
}

/* A run that failed: the page as it was (NAME.png), why, and the page's
 * own errors; the exit status says so. */
async function failed(page, file, e, errors) {
  await page.screenshot({ path: file, fullPage: true }).catch(() => {});
  console.error('FAILED: ' + (e && e.stack ? e.stack : e));
  if (errors.length) console.error('page errors: ' + errors.join('\n'));
  process.exitCode = 1;
}

/* Runs the checks (fn); then no error may have shown in the page. A
 * failure leaves failFile; the browser is closed in any case. */
async function checks(browser, page, errors, failFile, fn) {
  try {
    await fn();
    if (errors.length) throw new Error('errors in the page: ' + errors.join('\n'));
  } catch (e) {
    await failed(page, failFile, e, errors);
  } finally {
    await browser.close();
  }
}

module.exports = { simAt, step, checks };
