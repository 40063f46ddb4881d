/*
 * What the browser scenarios share: a line to the simulator's control
 * socket, and a named step that prints its time.
 */
'use strict';

const net = require('net');

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

async function step(name, fn) {
  const t0 = Date.now();
  await fn();
  console.log('ok   ' + name + ' (' + (Date.now() - t0) + ' ms)');
}

module.exports = { simLine, step };
