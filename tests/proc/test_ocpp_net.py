#!/usr/bin/env python3
"""Issue 15, the OCPP transport: the strict test CSMS (tests/ocpp/csms.js)
answers, validates and refuses as the OCPP tests expect. Loopback only;
bounded waits; processes stopped."""

import json
import os
import subprocess
import sys
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


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
