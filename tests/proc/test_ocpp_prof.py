#!/usr/bin/env python3
"""Issue 15, Smart Charging end to end: the strict test CSMS (ocpp-rpc,
every message checked against the OCPP 1.6 schemas) sets a TxDefaultProfile
of 10 A on a charger whose car takes 32 A: the master's offer and the
simulated charger's setpoint come down to 10 A, the status says the cap
(ocpp_cap) and why (ocpp_profile); a ChargePointMaxProfile on a connector
is refused and changes nothing; GetCompositeSchedule answers the 10 A; the
profile survives a master restart; cleared, the offer comes back; a
ChargePointMaxProfile of 16 A caps the charger. Bounded
waits; every process stopped."""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as ta  # noqa: E402
import test_link as tl  # noqa: E402
import test_ocpp as to  # noqa: E402
import test_site as ts  # noqa: E402
import test_webui as twebui  # noqa: E402


def profile(pid, purpose, limit, stack=0):
    """A Relative profile of one period, in A."""
    return {"chargingProfileId": pid, "stackLevel": stack,
            "chargingProfilePurpose": purpose,
            "chargingProfileKind": "Relative",
            "chargingSchedule": {"chargingRateUnit": "A",
                                 "chargingSchedulePeriod": [
                                     {"startPeriod": 0, "limit": limit}]}}


class OcppProfTest(to.OcppTest):
    web_ui = False      # the site's web UI on (test_cap_on_screens)

    def start_site(self, *a, **kw):
        kw.setdefault("web", self.web_ui)
        return super().start_site(*a, **kw)

    def conn(self):
        """bay-001's connector as the master's status file says."""
        with open(self.status) as f:
            return json.load(f)["connectors"][0]

    def until(self, what, pred, timeout=30):
        """pred(connector) waited for; the last connector seen on failure."""
        deadline = time.monotonic() + timeout
        c = None
        while time.monotonic() < deadline:
            try:
                c = self.conn()
                if pred(c):
                    return c
            except (OSError, ValueError, KeyError, IndexError):
                pass
            time.sleep(0.2)
        self.fail("%s not within %d s: %s" % (what, timeout, c))

    def set_profile(self, connector, prof):
        return self.csms.call("bay-001", "SetChargingProfile",
                              {"connectorId": connector,
                               "csChargingProfiles": prof})

    def test_profile_caps_the_offer_and_survives_a_restart(self):
        self.m = self.ocpp_site()
        self.csms.wait_clients(self.ids)
        self.simc("bay-001", "car 1 max 32")
        self.simc("bay-001", "plug 1")
        self.wait_call("StartTransaction")
        self.until("the car offered more than 20 A",
                   lambda c: c["setpoint"] > 20 and c["ocpp_cap"] is None)
        # refused: a charge point's maximum on a connector; nothing changes
        r = self.set_profile(1, profile(1, "ChargePointMaxProfile", 10))
        self.assertEqual(r, {"result": {"status": "Rejected"}})
        time.sleep(1.5)
        self.assertIsNone(self.conn()["ocpp_cap"])
        self.assertGreater(self.conn()["setpoint"], 20)
        # the twin: a TxDefaultProfile of 10 A on connector 0 (every one)
        r = self.set_profile(0, profile(2, "TxDefaultProfile", 10))
        self.assertEqual(r, {"result": {"status": "Accepted"}})
        c = self.until("the cap in force",
                       lambda c: c["ocpp_cap"] == 10.0 and
                       c["setpoint"] == 10.0)
        self.assertEqual(c["reason"], "ocpp_profile")
        # the charger itself is told 10 A, and its car follows
        deadline = time.monotonic() + 15
        sim = None
        while time.monotonic() < deadline:
            sim = self.sim_status("bay-001")["connectors"][0]
            if sim["setpoint"] == 10 and max(self.conn()["current"]) <= 10:
                break
            time.sleep(0.2)
        self.assertEqual(sim["setpoint"], 10)
        self.assertLessEqual(max(self.conn()["current"]), 10)
        r = self.csms.call("bay-001", "GetCompositeSchedule",
                           {"connectorId": 1, "duration": 600})
        sched = r["result"]["chargingSchedule"]
        self.assertEqual(r["result"]["status"], "Accepted")
        self.assertEqual(sched["chargingRateUnit"], "A")
        self.assertEqual(sched["chargingSchedulePeriod"][0]["limit"], 10)
        # a master restart keeps the profile
        self.m.stop()
        self.m = self.master(self.cfg)
        self.csms.wait_clients(self.ids)
        self.until("the cap again after the restart",
                   lambda c: c["ocpp_cap"] == 10.0 and
                   c["setpoint"] == 10.0, timeout=40)
        # cleared: the cap goes and the offer comes back
        r = self.csms.call("bay-001", "ClearChargingProfile", {"id": 2})
        self.assertEqual(r, {"result": {"status": "Accepted"}})
        self.until("the offer back", lambda c: c["ocpp_cap"] is None and
                   c["setpoint"] > 20)
        r = self.csms.call("bay-001", "ClearChargingProfile", {"id": 2})
        self.assertEqual(r, {"result": {"status": "Unknown"}})
        # a ChargePointMaxProfile caps the charger (its one connector)
        r = self.set_profile(0, profile(3, "ChargePointMaxProfile", 16))
        self.assertEqual(r, {"result": {"status": "Accepted"}})
        self.until("the charger capped", lambda c: c["ocpp_cap"] == 16.0 and
                   c["setpoint"] == 16.0)
        r = self.csms.call("bay-001", "ClearChargingProfile", {})
        self.assertEqual(r, {"result": {"status": "Accepted"}})
        self.until("the offer back", lambda c: c["ocpp_cap"] is None and
                   c["setpoint"] > 20)
        self.assertEqual(self.csms.log(type="bad"), [])

    def test_cap_on_screens(self):
        """The cap in /metrics and on the web UI's dashboard
        (tests/browser/ocppprof.js, as an operator); bay-002, without a
        profile, is the twin."""
        self.web_ui = True
        self.m = self.ocpp_site(n=2)
        self.m.wait_for(r"web UI on")
        inst = ta.ApiTest.installer(self)
        ta.ApiTest.operator(self, inst)     # olivia, olivias-own-2
        self.csms.wait_clients(self.ids)
        for cp in self.ids:
            self.simc(cp, "car 1 max 32")
            self.simc(cp, "plug 1")
        r = self.set_profile(0, profile(2, "TxDefaultProfile", 10))
        self.assertEqual(r, {"result": {"status": "Accepted"}})
        self.until("the cap in force", lambda c: c["ocpp_cap"] == 10.0 and
                   c["reason"] == "ocpp_profile")
        st, text, _ = inst.call("GET", "/metrics")
        self.assertEqual(st, 200)
        self.assertIn('evgroup_connector_ocpp_cap_amperes{charger="bay-001",'
                      'connector="1"} 10.0', text)
        self.assertNotIn('evgroup_connector_ocpp_cap_amperes{charger='
                         '"bay-002"', text)
        twebui.run_browser(self, "ocppprof.js", "olivias-own-2",
                           timeout=120)


ts.own_tests_only(OcppProfTest, base=to.OcppTest)

if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
