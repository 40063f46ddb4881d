#!/usr/bin/env node
// The strict test CSMS of the OCPP tests: an ocpp-rpc server in strict mode
// (OCPP 1.6J schemas on every message both ways) on 127.0.0.1, with a
// control HTTP port the tests drive and a log of every message.
//
//   node csms.js --port P --control CP [--tls CERT KEY]
//                [--password-file F] [--log FILE]
//
// --password-file F: a JSON object {"identity": "password", "*": "..."}:
// a charge point must then give its identity's password ("*": any other
// identity's) by HTTP basic auth, or it is refused with 401. Without it
// no authentication is asked (security profile 0).
//
// The log: one JSON line per message in and out
//   {"t":ms,"dir":"in"|"out","identity":"CP-01","type":"call"|"result"|
//    "error","action":"StartTransaction","id":"..","payload":{..}}
// and one per connection event: type "open", "close" (with "why") or
// "refused" (with "status" and "why").
//
// Control (JSON over HTTP on 127.0.0.1:CP):
//   POST /call {"identity","action","payload"[,"timeout_ms"]}
//        -> {"result": {...}} or {"error": {"code","message","details"}}
//   POST /config {...}   any of:
//        "boot": {"CP-01": {"status": "Pending", "interval": 10}, "*": ...}
//        "blocked": ["TAG1", ...]       Authorize/Start answers Blocked
//        "silent": true|false           never answer anything
//        "drop": "CP-01"                close that charge point's socket
//        "passwords": {...}             as in --password-file; null: none
//        "answers": {"Action": {payload}}   answer Action with this
//        "errors": {"Action": "InternalError"} answer Action with CALLERROR
//        "delay_ms": N                  answer every CALL N ms late
//        "no_subprotocol": true         take connections without ocpp1.6
//   POST /raw {"identity","text"}   send text as it is (a malformed or
//        unknown message: the charge point's answer is in the log)
//   GET /log       the log so far (a JSON array)
//   GET /clients   the identities connected (a JSON array)
//   GET /pings     websocket pings received, per identity ({"CP-01": 3})
//   GET /config    the behaviour in force
'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');
const { RPCServer, createRPCError, NOREPLY } = require('ocpp-rpc');

function args(argv) {
    const a = { tls: null, passwordFile: null, log: null };
    for (let i = 2; i < argv.length; i++) {
        const k = argv[i];
        if (k === '--port') a.port = Number(argv[++i]);
        else if (k === '--control') a.control = Number(argv[++i]);
        else if (k === '--tls') a.tls = { cert: argv[++i], key: argv[++i] };
        else if (k === '--password-file') a.passwordFile = argv[++i];
        else if (k === '--log') a.log = argv[++i];
        else throw new Error(`unknown argument ${k}`);
    }
    if (!Number.isInteger(a.port) || !Number.isInteger(a.control))
        throw new Error('usage: csms.js --port P --control CP [--tls CERT KEY] ' +
            '[--password-file F] [--log FILE]');
    return a;
}

const opt = args(process.argv);
const conf = {
    boot: {},
    blocked: [],
    silent: false,
    no_subprotocol: false,
    passwords: opt.passwordFile
        ? JSON.parse(fs.readFileSync(opt.passwordFile, 'utf8')) : null,
    answers: {},
    errors: {},
    delay_ms: 0,
};
const log = [];
const logFile = opt.log ? fs.openSync(opt.log, 'a') : null;
const clients = new Map();     // identity -> RPCServerClient
const pings = new Map();       // identity -> websocket pings received
let nextTx = 1;

function record(entry) {
    entry = { t: Date.now(), ...entry };
    log.push(entry);
    if (logFile !== null)
        fs.writeSync(logFile, JSON.stringify(entry) + '\n');
}

// One websocket message as a log entry; actions of results and errors
// come from the CALL they answer (pending: id -> action, per direction).
function logMessage(identity, pending, raw, outbound) {
    const dir = outbound ? 'out' : 'in';
    let m;
    try {
        m = JSON.parse(raw.toString());
    } catch (e) {
        record({ dir, identity, type: 'bad', raw: raw.toString().slice(0, 500) });
        return;
    }
    if (!Array.isArray(m)) {
        record({ dir, identity, type: 'bad', raw: m });
        return;
    }
    const id = m[1];
    if (m[0] === 2) {
        pending.set(dir + id, m[2]);
        record({ dir, identity, type: 'call', action: m[2], id, payload: m[3] });
    } else if (m[0] === 3 || m[0] === 4) {
        // an answer goes the other way from its CALL
        const key = (outbound ? 'in' : 'out') + id;
        const action = pending.get(key) ?? null;
        pending.delete(key);
        if (m[0] === 3)
            record({ dir, identity, type: 'result', action, id, payload: m[2] });
        else
            record({ dir, identity, type: 'error', action, id,
                payload: { code: m[2], description: m[3], details: m[4] } });
    } else {
        record({ dir, identity, type: 'bad', raw: m });
    }
}

function idTagInfo(tag) {
    return { status: conf.blocked.includes(tag) ? 'Blocked' : 'Accepted' };
}

const defaults = {
    BootNotification: (id) => {
        const b = conf.boot[id] ?? conf.boot['*'] ?? {};
        return { status: b.status ?? 'Accepted', interval: b.interval ?? 300,
            currentTime: new Date().toISOString() };
    },
    Heartbeat: () => ({ currentTime: new Date().toISOString() }),
    StatusNotification: () => ({}),
    Authorize: (id, p) => ({ idTagInfo: idTagInfo(p.idTag) }),
    StartTransaction: (id, p) => ({ transactionId: nextTx++,
        idTagInfo: idTagInfo(p.idTag) }),
    StopTransaction: (id, p) => (p.idTag ? { idTagInfo: idTagInfo(p.idTag) } : {}),
    MeterValues: () => ({}),
    DataTransfer: () => ({ status: 'Accepted' }),
    DiagnosticsStatusNotification: () => ({}),
    FirmwareStatusNotification: () => ({}),
};

const server = new RPCServer({
    protocols: ['ocpp1.6'],
    strictMode: true,
    callTimeoutMs: 30000,
    pingIntervalMs: 30000,
});

server.auth((accept, reject, hs) => {
    const why = (status, text) => {
        record({ dir: 'in', identity: hs.identity, type: 'refused', status, why: text });
        reject(status, text);
    };
    if (!hs.protocols.has('ocpp1.6'))
        return why(400, 'no ocpp1.6 subprotocol offered');
    if (conf.passwords) {
        const want = conf.passwords[hs.identity] ?? conf.passwords['*'];
        if (want === undefined)
            return why(401, 'unknown charge point');
        if (hs.password === undefined)
            return why(401, 'no basic auth');
        if (hs.password.toString('utf8') !== want)
            return why(401, 'wrong password');
    }
    // no_subprotocol: the upgrade answered without Sec-WebSocket-Protocol,
    // as a server that does not speak OCPP 1.6 would
    accept({}, conf.no_subprotocol ? false : 'ocpp1.6');
});

server.on('client', (client) => {
    const id = client.identity;
    const pending = new Map();
    const old = clients.get(id);
    clients.set(id, client);
    if (old)
        old.close({ force: true });
    record({ dir: 'in', identity: id, type: 'open', protocol: client.protocol });
    // the charge point's websocket pings (WebSocketPingInterval), counted
    client._ws?.on('ping', () => pings.set(id, (pings.get(id) ?? 0) + 1));
    client.on('message', ({ message, outbound }) =>
        logMessage(id, pending, message, outbound));
    client.on('strictValidationFailure', (ev) =>
        record({ dir: ev.outbound ? 'out' : 'in', identity: id, type: 'invalid',
            action: ev.method, id: ev.messageId, why: String(ev.error?.message ?? ev.error) }));
    client.on('close', ({ code, reason }) => {
        if (clients.get(id) === client)
            clients.delete(id);
        record({ dir: 'in', identity: id, type: 'close', why: `${code} ${reason ?? ''}`.trim() });
    });
    client.handle(async ({ method, params }) => {
        if (conf.silent)
            return NOREPLY;
        if (conf.delay_ms > 0)
            await new Promise((r) => setTimeout(r, conf.delay_ms));
        if (conf.errors[method])
            throw createRPCError(conf.errors[method], 'as configured');
        if (conf.answers[method])
            return conf.answers[method];
        if (defaults[method])
            return defaults[method](id, params);
        throw createRPCError('NotImplemented', `no answer for ${method}`);
    });
});

function body(req) {
    return new Promise((resolve, reject) => {
        let s = '';
        req.on('data', (c) => { s += c; if (s.length > 1e6) reject(new Error('too long')); });
        req.on('end', () => {
            try { resolve(s ? JSON.parse(s) : {}); } catch (e) { reject(e); }
        });
    });
}

async function control(req, res) {
    const send = (status, j) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(j));
    };
    try {
        if (req.method === 'GET' && req.url === '/log') return send(200, log);
        if (req.method === 'GET' && req.url === '/clients') return send(200, [...clients.keys()].sort());
        if (req.method === 'GET' && req.url === '/pings') return send(200, Object.fromEntries(pings));
        if (req.method === 'GET' && req.url === '/config') return send(200, { ...conf, passwords: undefined });
        if (req.method === 'POST' && req.url === '/config') {
            const j = await body(req);
            for (const k of ['boot', 'answers', 'errors'])
                if (j[k] !== undefined) conf[k] = { ...conf[k], ...j[k] };
            if (j.blocked !== undefined) conf.blocked = j.blocked;
            if (j.silent !== undefined) conf.silent = !!j.silent;
            if (j.no_subprotocol !== undefined) conf.no_subprotocol = !!j.no_subprotocol;
            if (j.delay_ms !== undefined) conf.delay_ms = Number(j.delay_ms);
            if (j.passwords !== undefined) conf.passwords = j.passwords;
            if (j.drop !== undefined) {
                const c = clients.get(j.drop);
                if (!c) return send(404, { error: `${j.drop} not connected` });
                c.close({ force: true });
            }
            return send(200, { ok: true });
        }
        if (req.method === 'POST' && req.url === '/raw') {
            const j = await body(req);
            const c = clients.get(j.identity);
            if (!c) return send(404, { error: `${j.identity} not connected` });
            c.sendRaw(String(j.text));
            return send(200, { ok: true });
        }
        if (req.method === 'POST' && req.url === '/call') {
            const j = await body(req);
            const c = clients.get(j.identity);
            if (!c) return send(404, { error: `${j.identity} not connected` });
            try {
                const result = await c.call(j.action, j.payload ?? {},
                    { callTimeoutMs: j.timeout_ms ?? 30000 });
                return send(200, { result });
            } catch (e) {
                return send(200, { error: { code: e.rpcErrorCode ?? e.name,
                    message: e.message, details: e.details ?? {} } });
            }
        }
        return send(404, { error: 'no such request' });
    } catch (e) {
        return send(400, { error: String(e.message ?? e) });
    }
}

async function main() {
    let ws;
    if (opt.tls) {
        ws = https.createServer({ cert: fs.readFileSync(opt.tls.cert),
            key: fs.readFileSync(opt.tls.key), minVersion: 'TLSv1.2' });
        ws.on('upgrade', server.handleUpgrade);
        await new Promise((resolve, reject) => {
            ws.once('error', reject);
            ws.listen(opt.port, '127.0.0.1', resolve);
        });
    } else {
        ws = await server.listen(opt.port, '127.0.0.1');
    }
    const ctl = http.createServer((req, res) => { control(req, res); });
    await new Promise((resolve, reject) => {
        ctl.once('error', reject);
        ctl.listen(opt.control, '127.0.0.1', resolve);
    });
    const stop = () => {
        for (const c of clients.values()) c.close({ force: true });
        ws.close();
        ctl.close();
        process.exit(0);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    console.log(`csms: listening on ${opt.tls ? 'wss' : 'ws'}://127.0.0.1:${opt.port} ` +
        `control 127.0.0.1:${opt.control}`);
}

main().catch((e) => {
    console.error(`csms: ${e.message}`);
    process.exit(1);
});
