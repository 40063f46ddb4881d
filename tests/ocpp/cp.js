#!/usr/bin/env node
// A charge point for the tests of the test CSMS itself: connects to URL
// as IDENTITY (subprotocol ocpp1.6, not strict, so that it can send what
// a strict CSMS must refuse), sends each MESSAGE (a raw OCPP-J text) in
// turn, waits for its answer, and prints every message received as one
// line. Exit 0 when every message was answered, 2 when the connection
// was refused (the reason on stderr), 1 otherwise.
//
//   node cp.js URL IDENTITY [--password P] MESSAGE...
'use strict';

const { RPCClient } = require('ocpp-rpc');

async function main() {
    const argv = process.argv.slice(2);
    const [endpoint, identity] = argv.splice(0, 2);
    let password;
    const pw = argv.indexOf('--password');
    if (pw >= 0)
        password = argv.splice(pw, 2)[1];
    const cli = new RPCClient({ endpoint, identity, password,
        protocols: ['ocpp1.6'], strictMode: false, reconnect: false });
    const waiting = new Map();
    cli.on('message', ({ message, outbound }) => {
        if (outbound)
            return;
        console.log(message.toString());
        let m;
        try { m = JSON.parse(message.toString()); } catch (e) { return; }
        const done = waiting.get(m[1]);
        if (done && (m[0] === 3 || m[0] === 4))
            done();
    });
    cli.on('badMessage', () => {});
    try {
        await cli.connect();
    } catch (e) {
        console.error(`refused: ${e.message}`);
        process.exit(2);
    }
    for (const text of argv) {
        const id = JSON.parse(text)[1];
        const answered = new Promise((resolve, reject) => {
            waiting.set(id, resolve);
            setTimeout(() => reject(new Error(`no answer to ${id}`)), 10000);
        });
        cli.sendRaw(text);
        await answered;
    }
    await cli.close({ force: true });
    process.exit(0);
}

main().catch((e) => {
    console.error(e.message);
    process.exit(1);
});
