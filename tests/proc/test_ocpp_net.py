#!/usr/bin/env python3
"""Issue 15, the OCPP transport: the strict test CSMS (tests/ocpp/csms.js)
answers, validates and refuses as the OCPP tests expect; then the
transport (master/ocppnet.c) alone through tests/ocpp_probe: charge
points connect and boot, basic auth (profile 1), TLS with the server's
certificate checked (profile 2), reconnection after the CSMS restarts,
pings. Loopback only; bounded waits; processes stopped."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ocpp_csms as oc  # noqa: E402
import test_link as tl  # noqa: E402

BOOT = [2, "b1", "BootNotification",
        {"chargePointVendor": "evgroup", "chargePointModel": "evgroup-slave"}]


def cp_js(csms, identity, *messages, password=None):
    """tests/ocpp/cp.js: (exit code, messages received, stderr)."""
    argv = ["node", os.path.join(csms.dir, "cp.js"), csms.url, identity]
    if password is not None:
        argv += ["--password", password]
    r = subprocess.run(argv + [json.dumps(m) for m in messages],
                       capture_output=True, text=True, timeout=60)
    return (r.returncode, [json.loads(x) for x in r.stdout.splitlines()],
            r.stderr)


class CsmsTest(tl.Base):
    def test_control_port_and_answers(self):
        csms = oc.Csms(self)
        self.assertEqual(csms.clients(), [])
        self.assertEqual(csms.log(), [])
        self.assertEqual(csms.call("CP-01", "Reset", {"type": "Soft"}),
                         {"error": "CP-01 not connected"})
        csms.config(boot={"CP-02": {"status": "Pending", "interval": 7}})
        rc, got, err = cp_js(csms, "CP-01", BOOT)
        self.assertEqual(rc, 0, err)
        self.assertEqual(got[0][0:2], [3, "b1"])
        self.assertEqual((got[0][2]["status"], got[0][2]["interval"]),
                         ("Accepted", 300))
        # configured per identity
        rc, got, err = cp_js(csms, "CP-02", BOOT)
        self.assertEqual((got[0][2]["status"], got[0][2]["interval"]),
                         ("Pending", 7))
        calls = csms.log(type="call", action="BootNotification")
        self.assertEqual([c["identity"] for c in calls], ["CP-01", "CP-02"])
        self.assertEqual(calls[0]["payload"]["chargePointVendor"], "evgroup")
        res = csms.log(type="result", identity="CP-01")
        self.assertEqual((res[0]["dir"], res[0]["action"], res[0]["id"]),
                         ("out", "BootNotification", "b1"))
        with open(csms.log_path) as f:
            self.assertEqual(len([json.loads(x) for x in f]),
                             len(csms.log()))

    def test_strict_mode_refuses_an_invalid_payload(self):
        csms = oc.Csms(self)
        # chargePointModel missing, and a connector id that is a string
        rc, got, err = cp_js(
            csms, "CP-01",
            [2, "b1", "BootNotification", {"chargePointVendor": "evgroup"}],
            [2, "s1", "StatusNotification",
             {"connectorId": "one", "errorCode": "NoError",
              "status": "Available"}])
        self.assertEqual(rc, 0, err)
        self.assertEqual([m[0:2] for m in got], [[4, "b1"], [4, "s1"]])
        self.assertIn(got[0][2], ("OccurenceConstraintViolation",
                                  "OccurrenceConstraintViolation",
                                  "FormationViolation"))
        self.assertEqual(got[1][2], "TypeConstraintViolation")
        self.assertEqual(len(csms.log(type="invalid", dir="in")), 2)
        # the positive twin: the same messages, valid, are answered
        rc, got, err = cp_js(csms, "CP-01", BOOT, [
            2, "s1", "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Available"}])
        self.assertEqual([m[0:2] for m in got], [[3, "b1"], [3, "s1"]])

    def test_basic_auth(self):
        csms = oc.Csms(self, passwords={"CP-01": "right one", "*": "other"})
        rc, got, err = cp_js(csms, "CP-01", BOOT, password="wrong")
        self.assertEqual(rc, 2)
        self.assertIn("Unauthorized", err)
        rc, got, err = cp_js(csms, "CP-01", BOOT)
        self.assertEqual(rc, 2)
        refused = csms.log(type="refused")
        self.assertEqual([(r["status"], r["why"]) for r in refused],
                         [(401, "wrong password"), (401, "no basic auth")])
        # the positive twins: its own password, and the default one
        rc, got, err = cp_js(csms, "CP-01", BOOT, password="right one")
        self.assertEqual((rc, got[0][0]), (0, 3), err)
        rc, got, err = cp_js(csms, "CP-07", BOOT, password="other")
        self.assertEqual((rc, got[0][0]), (0, 3), err)
        # no password ever lands in its log
        with open(csms.log_path) as f:
            self.assertNotIn("right one", f.read())


class NetTest(tl.Base):
    def probe(self, csms, n, *extra, url=None, name="probe"):
        return self.start(name, [os.path.join(tl.BIN, "tests/ocpp_probe"),
                                 url or csms.url, str(n), *extra])

    def ids(self, n, prefix="CP-"):
        return ["%s%02d" % (prefix, i + 1) for i in range(n)]

    def test_charge_points_connect_and_boot(self):
        csms = oc.Csms(self)
        p = self.probe(csms, 5)
        csms.wait_clients(self.ids(5))
        for cp in self.ids(5):
            p.wait_for(r"text %s: \[3,\"boot-1\",\{\"status\":\"Accepted\"" % cp,
                       timeout=20)
        opened = csms.log(type="open")
        self.assertEqual(sorted(o["identity"] for o in opened), self.ids(5))
        self.assertEqual({o["protocol"] for o in opened}, {"ocpp1.6"})
        boots = csms.log(type="call", action="BootNotification")
        self.assertEqual(sorted(b["identity"] for b in boots), self.ids(5))
        self.assertEqual(csms.log(type="invalid"), [])
        # the CSMS calls a charge point: the text reaches the probe
        r = csms.call("CP-03", "ChangeAvailability",
                      {"connectorId": 0, "type": "Inoperative"},
                      timeout_ms=2000)
        p.wait_for(r"text CP-03: \[2,\"[^\"]+\",\"ChangeAvailability\"")
        # (the probe answers nothing: the CSMS's call times out)
        self.assertIn("error", r)
        self.assertNotIn("send refused", p.text())
        self.assertNotIn("send taken while down", p.text())
        # stopped, each charge point says goodbye with a close frame
        p.stop()
        closes = csms.wait_log(count=5, type="close")
        self.assertEqual(sorted(c["identity"] for c in closes), self.ids(5))
        self.assertEqual({c["why"] for c in closes}, {"1000 bye"})

    def test_identity_is_percent_encoded(self):
        csms = oc.Csms(self)
        self.probe(csms, 2, "--prefix", "bay 1/")
        csms.wait_clients(["bay 1/01", "bay 1/02"])

    def test_basic_auth_profile_1(self):
        csms = oc.Csms(self, passwords={"*": "s3cret pw"})
        p = self.probe(csms, 2, "--profile", "1", "--password", "wrong pw")
        p.wait_for(r"down CP-01: refused by the CSMS: 401", timeout=20)
        p.wait_for(r"down CP-02: refused by the CSMS: 401", timeout=20)
        self.assertNotIn("up CP-", p.text())
        self.assertEqual(csms.clients(), [])
        self.assertEqual({r["why"] for r in csms.log(type="refused")},
                         {"wrong password"})
        p.stop()
        # the positive twin: the right password
        p = self.probe(csms, 2, "--profile", "1", "--password", "s3cret pw",
                       name="probe-right")
        csms.wait_clients(self.ids(2))
        p.wait_for(r"text CP-02: \[3,\"boot-1\"")
        # profile 1 with no password is refused at start
        bad = self.probe(csms, 1, "--profile", "1", name="probe-nopw")
        bad.wait_for("start refused")
        # no password in any line the transport printed or logged
        for q in self.procs:
            self.assertNotIn("s3cret", q.text())
            self.assertNotIn("wrong pw", q.text())

    def test_tls_profile_2_checks_the_certificate(self):
        ca, crt, key = oc.make_ca(self.tmp, "ca-a")
        other, _, _ = oc.make_ca(self.tmp, "ca-b")
        csms = oc.Csms(self, tls=(crt, key), passwords={"*": "pw"})
        self.assertTrue(csms.url.startswith("wss://127.0.0.1:"))
        # another CA: the certificate is refused, never connected
        p = self.probe(csms, 1, "--profile", "2", "--password", "pw",
                       "--ca", other, name="probe-other-ca")
        p.wait_for(r"down CP-01: the CSMS's certificate is refused: "
                   r"unable to get local issuer certificate", timeout=20)
        self.assertEqual(csms.clients(), [])
        p.stop()
        # its own CA, but not the name the certificate was made for
        p = self.probe(csms, 1, "--profile", "2", "--password", "pw",
                       "--ca", ca, url=csms.url.replace("127.0.0.1",
                                                         "localhost"),
                       name="probe-other-name")
        p.wait_for(r"down CP-01: the CSMS's certificate is refused: "
                   r"hostname mismatch", timeout=20)
        self.assertNotIn("up CP-01", p.text())
        p.stop()
        # a CA file that is not there: refused at start
        bad = self.probe(csms, 1, "--profile", "2", "--password", "pw",
                         "--ca", os.path.join(self.tmp, "none.pem"),
                         name="probe-no-ca")
        bad.wait_for("start refused")
        # the positive twin: its own CA
        p = self.probe(csms, 2, "--profile", "2", "--password", "pw",
                       "--ca", ca)
        csms.wait_clients(self.ids(2))
        p.wait_for(r"text CP-02: \[3,\"boot-1\"")
        # profile 2 needs wss://
        bad = self.probe(csms, 1, "--profile", "2", "--password", "pw",
                         url=csms.url.replace("wss://", "ws://"),
                         name="probe-ws")
        bad.wait_for("start refused")

    def test_reconnect_after_the_csms_restarts(self):
        csms = oc.Csms(self)
        p = self.probe(csms, 5)
        csms.wait_clients(self.ids(5))
        csms.stop()
        for cp in self.ids(5):
            p.wait_for(r"down %s: " % cp, timeout=20)
        csms.restart()
        csms.wait_clients(self.ids(5), timeout=40)
        for cp in self.ids(5):
            p.wait_for(r"text %s: \[3,\"boot-2\"" % cp, timeout=20)
        # a charge point closed by the master (e.g. after Reset) comes back
        # by itself too
        q = self.probe(csms, 1, "--prefix", "R-", "--close-after-boot",
                       name="probe-close")
        q.wait_for(r"down R-01: closed by the charge point", timeout=20)
        q.wait_for(r"text R-01: \[3,\"boot-2\"", timeout=20)

    def test_subprotocol_ocpp16_required(self):
        csms = oc.Csms(self)
        csms.config(no_subprotocol=True)
        p = self.probe(csms, 1)
        p.wait_for(r"down CP-01: the CSMS did not accept the subprotocol "
                   r"ocpp1\.6", timeout=20)
        self.assertNotIn("up CP-01", p.text())
        # the positive twin: the CSMS takes it again, and the charge point
        # connects by itself at its next attempt
        csms.config(no_subprotocol=False)
        p.wait_for(r"text CP-01: \[3,\"boot-1\"", timeout=30)

    def test_long_messages(self):
        csms = oc.Csms(self)
        p = self.probe(csms, 1)
        after = p.wait_for(r"text CP-01: \[3,\"boot-1\"", timeout=20)
        # 100 kB in many reads: one whole message
        csms.call("CP-01", "DataTransfer",
                  {"vendorId": "evgroup", "data": "x" * 100000},
                  timeout_ms=1000)
        p.wait_for(r"text CP-01: \[2,\"[^\"]+\",\"DataTransfer\",.*"
                   r"\(1000\d\d bytes\)", after=after)
        self.assertNotIn("down CP-01", p.text())
        # longer than the transport takes: the connection is dropped and
        # made again
        csms.call("CP-01", "DataTransfer",
                  {"vendorId": "evgroup", "data": "x" * 300000},
                  timeout_ms=1000)
        p.wait_for(r"down CP-01: message longer than 262144 bytes",
                   timeout=20)
        p.wait_for(r"text CP-01: \[3,\"boot-2\"", timeout=30)

    def test_send_queue_is_bounded(self):
        csms = oc.Csms(self)
        # a burst far over the queue: some refused, every one taken
        # reaches the CSMS, in order
        p = self.probe(csms, 2, "--burst", "3000", "--quiet")
        for cp in self.ids(2):
            p.wait_for(r"burst %s sent=\d+ refused=\d+" % cp, timeout=20)
        got = {m.group(1): (int(m.group(2)), int(m.group(3))) for m in
               re.finditer(r"burst (\S+) sent=(\d+) refused=(\d+)",
                           p.text())}
        for cp in self.ids(2):
            sent, refused = got[cp]
            self.assertEqual(sent + refused, 3000)
            self.assertGreaterEqual(sent, 63)   # 64 queued, less the boot
            self.assertGreater(refused, 0)
            hbs = csms.wait_log(count=sent, identity=cp, type="call",
                                action="Heartbeat")
            self.assertEqual(len(hbs), sent)
            ks = [int(h["id"].split("-")[2]) for h in hbs]
            self.assertEqual(ks, sorted(ks))
        stats = p.wait_for(r"stats .*tx_dropped=%d"
                           % sum(r for _, r in got.values()), timeout=10)
        self.assertTrue(stats)
        self.assertIn("ev_dropped=0", p.text())
        p.stop()
        # the positive twin: a burst the queue holds goes whole
        q = self.probe(csms, 1, "--prefix", "B-", "--burst", "20",
                       "--quiet", name="probe-small")
        q.wait_for(r"burst B-01 sent=20 refused=0", timeout=20)
        csms.wait_log(count=20, identity="B-01", type="call",
                      action="Heartbeat")

    def test_close_sends_what_was_queued_first(self):
        """A close asked (as after a Reset) goes after what was queued:
        the 20 Heartbeats queued at the boot's answer all reach the CSMS,
        in order; a send after the ask is refused; the charge point comes
        back."""
        csms = oc.Csms(self)
        p = self.probe(csms, 1, "--prefix", "C-", "--burst", "20",
                       "--close-after-burst", name="probe-close")
        p.wait_for(r"burst C-01 sent=20 refused=0", timeout=20)
        p.wait_for(r"after close C-01: refused", timeout=20)
        p.wait_for(r"down C-01: closed by the charge point", timeout=20)
        hbs = csms.wait_log(count=20, identity="C-01", type="call",
                            action="Heartbeat", timeout=20)
        self.assertEqual([h["id"] for h in hbs],
                         ["hb-1-%d" % k for k in range(1, 21)])
        self.assertEqual(len(csms.log(identity="C-01", type="call",
                                      action="BootNotification",
                                      id="boot-1")), 1)
        p.wait_for(r"text C-01: \[3,\"boot-2\"", timeout=30)

    def test_stop_closes_cleanly_while_the_csms_talks(self):
        """The master stopping closes every connection with a close frame
        (1000) at once, also while the CSMS keeps sending: the wait for
        the CSMS's quiet (a close the charge point asks) is not for a
        stop, which gives up after 1 s (the CSMS saw 1006 then)."""
        csms = oc.Csms(self)
        p = self.probe(csms, 1, name="probe-stop")
        p.wait_for(r"text CP-01: \[3,\"boot-1\"", timeout=20)
        done = threading.Event()

        def talk():
            k = 0
            while not done.is_set():
                k += 1
                csms.request("POST", "/raw", {
                    "identity": "CP-01",
                    "text": '[2,"chat-%d","Heartbeat",{}]' % k},
                    timeout=5)
                time.sleep(0.05)
        t = threading.Thread(target=talk, daemon=True)
        t.start()
        try:
            p.wait_for(r"text CP-01: \[2,\"chat-5\"", timeout=20)
            p.stop()
        finally:
            done.set()
            t.join(timeout=10)
        closes = csms.wait_log(identity="CP-01", type="close")
        self.assertEqual(closes[0]["why"].split()[0], "1000", closes)

    def test_pings_keep_an_idle_connection_up(self):
        csms = oc.Csms(self)
        p = self.probe(csms, 1, "--ping", "1")
        csms.wait_clients(["CP-01"])
        after = p.wait_for(r"text CP-01: ")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and \
                csms.pings().get("CP-01", 0) < 3:
            time.sleep(0.2)
        self.assertGreaterEqual(csms.pings().get("CP-01", 0), 3)
        self.assertNotIn("down CP-01", p.text()[after:])
        # a CSMS that answers no more (stopped): the charge point gives
        # up on it after the ping interval and its grace (1 + 5 s)
        csms.proc.p.send_signal(signal.SIGSTOP)
        try:
            p.wait_for(r"down CP-01: ", timeout=30, after=after)
        finally:
            csms.proc.p.send_signal(signal.SIGCONT)
        csms.wait_clients(["CP-01"], timeout=40)


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
