"""The strict test CSMS (tests/ocpp/csms.js) for the OCPP process tests:
started on free loopback ports, driven through its control port, stopped
with the test. Installs ocpp-rpc from tests/ocpp/package-lock.json
(npm ci) when it is missing.

    csms = Csms(test)                 # test: a test_link.Base
    csms = Csms(test, tls=(cert, key), passwords={"CP-01": "secret"})
    csms.url                          # ws://127.0.0.1:P/ocpp/
    csms.call("CP-01", "Reset", {"type": "Soft"})  # {"result": ..} / {"error": ..}
    csms.config(boot={"*": {"status": "Pending", "interval": 5}})
    csms.log(identity="CP-01", type="call", action="BootNotification")
    csms.clients()                    # ["CP-01", ...]
    csms.wait_clients(["CP-01"])      # bounded wait
    csms.stop(); csms.restart()       # the same ports again
"""

import fcntl
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402


def ocpp_dir():
    """tests/ocpp, with ocpp-rpc installed from its lock file when it is
    missing: once, under a lock, since several tests may start at once
    (ctest -j) and two npm ci in one folder spoil each other."""
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                     "ocpp")
    d = os.path.normpath(d)
    mark = os.path.join(d, "node_modules", "ocpp-rpc", "package.json")
    if os.path.exists(mark):
        return d
    with open(os.path.join(tempfile.gettempdir(), "evg-ocpp-npm.lock"),
              "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(mark):
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"],
                           cwd=d, check=True, timeout=300)
    return d


class Csms:
    """One test CSMS, a process of test (stopped by its tearDown)."""

    def __init__(self, test, tls=None, passwords=None, name="csms"):
        self.test = test
        self.name = name
        self.tls = tls
        self.port = tl.free_port()
        self.control_port = tl.free_port()
        self.log_path = os.path.join(test.tmp, name + "-messages.jsonl")
        self.pw_path = None
        if passwords is not None:
            self.pw_path = os.path.join(test.tmp, name + "-passwords.json")
            with open(self.pw_path, "w") as f:
                json.dump(passwords, f)
        self.dir = ocpp_dir()
        self.proc = None
        self.restart()

    @property
    def url(self):
        """The CSMS's url; the charge point's identity goes after it."""
        return "%s://127.0.0.1:%d/ocpp/" % ("wss" if self.tls else "ws",
                                            self.port)

    def restart(self, timeout=30):
        """Starts it (again: the same ports) and waits until it listens."""
        argv = ["node", os.path.join(self.dir, "csms.js"),
                "--port", str(self.port), "--control", str(self.control_port),
                "--log", self.log_path]
        if self.tls:
            argv += ["--tls", self.tls[0], self.tls[1]]
        if self.pw_path:
            argv += ["--password-file", self.pw_path]
        self.proc = self.test.start(self.name, argv)
        self.proc.wait_for(r"csms: listening on .* control", timeout=timeout)
        return self

    def stop(self):
        return self.proc.stop()

    def request(self, method, path, body=None, timeout=40):
        """(status, JSON answer) of the control port."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            "http://127.0.0.1:%d%s" % (self.control_port, path), data=data,
            method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def call(self, identity, action, payload=None, timeout_ms=30000):
        """Sends a CALL to identity: {"result": ...} or {"error": {"code",
        "message", "details"}}; {"error": "... not connected"} (404)."""
        st, j = self.request("POST", "/call", {
            "identity": identity, "action": action, "payload": payload or {},
            "timeout_ms": timeout_ms}, timeout=timeout_ms / 1000 + 10)
        return j

    def config(self, **conf):
        """Changes its behaviour: boot, blocked, silent, drop, passwords,
        answers, errors, delay_ms (tests/ocpp/csms.js)."""
        st, j = self.request("POST", "/config", conf)
        if st != 200:
            raise AssertionError("csms config %r: %s" % (conf, j))
        return j

    def log(self, **match):
        """The log's entries whose fields equal match's."""
        st, j = self.request("GET", "/log")
        return [e for e in j if all(e.get(k) == v for k, v in match.items())]

    def clients(self):
        return self.request("GET", "/clients")[1]

    def pings(self):
        """Websocket pings received, per identity."""
        return self.request("GET", "/pings")[1]

    def wait_clients(self, identities, timeout=30):
        """Waits until exactly identities (any order) are connected."""
        want = sorted(identities)
        deadline = time.monotonic() + timeout
        got = None
        while time.monotonic() < deadline:
            got = self.clients()
            if got == want:
                return got
            time.sleep(0.1)
        raise AssertionError("csms clients %r, not %r within %.0f s"
                             % (got, want, timeout))

    def wait_log(self, timeout=30, count=1, **match):
        """Waits until at least count entries match; returns them."""
        deadline = time.monotonic() + timeout
        got = []
        while time.monotonic() < deadline:
            got = self.log(**match)
            if len(got) >= count:
                return got
            time.sleep(0.1)
        raise AssertionError("csms log: %d of %d %r within %.0f s"
                             % (len(got), count, match, timeout))


def make_ca(tmp, name="ca", host="127.0.0.1"):
    """A self-signed CA and a server certificate it signs for host (an IP
    address or a name), made by openssl: (ca_cert, server_cert,
    server_key) paths in tmp."""
    ca_key = os.path.join(tmp, name + "-key.pem")
    ca = os.path.join(tmp, name + ".pem")
    key = os.path.join(tmp, name + "-server-key.pem")
    csr = os.path.join(tmp, name + "-server.csr")
    crt = os.path.join(tmp, name + "-server.pem")
    ext = os.path.join(tmp, name + "-server.ext")
    san = ("IP:" if host.replace(".", "").isdigit() else "DNS:") + host

    def ssl(*a):
        subprocess.run(["openssl", *a], check=True, capture_output=True,
                       timeout=60)
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=evgroup test CA " + name, "-keyout", ca_key, "-out", ca)
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + host,
        "-keyout", key, "-out", csr)
    with open(ext, "w") as f:
        f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\n" % san)
    ssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
        "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", crt)
    return ca, crt, key
