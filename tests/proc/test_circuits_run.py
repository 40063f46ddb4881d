#!/usr/bin/env python3
"""Issue 14 at run time, end to end: the real master with evgroup-sim's
chargers and a circuit's own meter (meteremu.py): the status shows the
circuit, its meter, its readings and its chargers; its meter stopped is
that circuit's meter offline (an alarm, an event), the supply's meter
still online. The external limit: a bms user sets it (in force in the
status), an operator is refused, a bms user may do nothing else, bad
input changes nothing, and when it is not renewed the configured limits
return with an event. Loopback only; bounded waits; processes stopped.
(Offers under the new limits are the allocator's, tested with it.)"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_alarms as talarms  # noqa: E402
import test_api as ta  # noqa: E402
import test_link as tl  # noqa: E402
import test_webui as twebui  # noqa: E402


@ta.own_tests_only
class CircuitsRunTest(ta.ApiTest):
    def meter_values(self, current):
        """What the circuit's meter measures from its next reading on."""
        with open(self.vals + ".new", "w") as f:
            json.dump({"current": current, "voltage": 230.0}, f)
        os.replace(self.vals + ".new", self.vals)

    def circuit_meter(self, current, driver="sense"):
        """A meter for the circuit (a Sense CT kit), on its own port."""
        self.vals = os.path.join(self.tmp, "circuit.json")
        self.meter_values(current)
        port = tl.free_port()
        emu = self.start("circuit-meter", [tl.PY, os.path.join(
            tl.SRC, "tests/proc/meteremu.py"), driver, "tcp", str(port),
            self.vals])
        emu.wait_for("listening")
        return emu, port

    def test_circuit_meter_online_then_offline(self):
        emu, port = self.circuit_meter([12.0, 3.5, 0.0])
        self.site(extra="imbalance = 20\n"
                  "\n[circuit1]\nname = row-a\nlimit = 63\nmargin = 1\n"
                  "offline_limit = 8\nmeter = sense\nmeter_host = 127.0.0.1\n"
                  "meter_port = %d\nmeter_poll_period = 300\n"
                  "meter_chargers_included = no\nct_rating = 100\n"
                  "\n[demand]\nenabled = yes\nwindow = 15\ntarget = 100\n"
                  % port,
                  charger_extra={1: "circuit = row-a\n"})
        # the building's 20 A a phase at the supply: 13.8 kW of demand
        tl.control(self.simsock, "meter base 20 20 20")
        c = self.installer()
        j = self.wait_status(c, lambda j: j["circuits"] and j["circuits"][0]
                             ["meter"] and j["circuits"][0]["meter"]["online"],
                             timeout=20)
        ci = j["circuits"][0]
        self.assertEqual((ci["id"], ci["name"], ci["parent"], ci["depth"]),
                         (1, "row-a", "supply", 1))
        self.assertEqual((ci["limit"], ci["margin"], ci["offline_limit"]),
                         (63.0, 1.0, 8.0))
        self.assertEqual(ci["chargers"], ["bay-001"])
        self.assertIsNone(ci["imbalance_limit"])
        for k in ("available", "used"):
            self.assertEqual(len(ci[k]), 3)
        # never more than its limit less its margin and its building
        self.assertTrue(0 < ci["available"][0] <= 50.0, ci["available"])
        # its clamps do not count its chargers: measured is theirs added
        ev = [x for cn in j["connectors"] if cn["circuit"] == "row-a"
              for x in [cn["current"]]]
        self.assertEqual(ci["building"], [12.0, 3.5, 0.0])
        self.assertEqual(ci["measured"], [round(12.0 + ev[0][0], 1),
                                          round(3.5 + ev[0][1], 1),
                                          round(0.0 + ev[0][2], 1)])
        self.assertEqual(ci["imbalance"], round(max(ci["measured"]) -
                                               min(ci["measured"]), 1))
        self.assertEqual([cn["circuit"] for cn in j["connectors"]],
                         ["row-a", "supply"])
        self.assertEqual(j["imbalance_limit"], 20.0)
        self.assertIsNotNone(j["imbalance"])
        self.assertIsNone(j["external_limit"])
        d = j["demand"]
        self.assertEqual((d["window"], d["target"], d["unit"]),
                         (900, 100.0, "kW"))
        self.assertEqual(d["end"] - d["start"], 900000)
        # on a quarter hour (every time zone's offset is whole quarters)
        self.assertEqual(d["start"] % 900000, 0)
        self.assertTrue(d["start"] <= j["time_ms"] < d["end"])
        # the time before the master's first reading counts at that
        # reading's power (maybe before the 20 A): at most 13.8 kW so far,
        # the projection between that and 13.8
        d = self.wait_status(c, lambda j: j["demand"]["average"] > 0,
                             timeout=20)["demand"]
        self.assertTrue(0 < d["average"] <= d["projected"] <= 14.5, d)
        self.assertFalse(d["over"])
        self.assertGreater(d["ev_cap"], 0.0)
        st, metrics, _ = c.call("GET", "/metrics")
        self.assertEqual(st, 200)
        for line in ('evgroup_circuit_meter_online{circuit="row-a"} 1',
                     'evgroup_circuit_current_amperes{circuit="row-a",'
                     'phase="L1",kind="limit"} 63.0',
                     'evgroup_circuit_current_amperes{circuit="row-a",'
                     'phase="L1",kind="building"} 12.0',
                     "evgroup_demand_target_kilowatts 100.0"):
            self.assertIn(line, metrics)
        self.assertIn("evgroup_demand_projected_kilowatts ", metrics)
        # 70 A on its L1, above its 63 A less its 1 A margin, for more than
        # 5 s: an alarm naming the circuit and the phase (none before)
        self.assertFalse([a for a in j["alarms"]
                          if a["code"] == "circuit-over-limit"])
        self.meter_values([70.0, 3.5, 0.0])
        j = self.wait_status(c, lambda j: any(
            a["code"] == "circuit-over-limit" for a in j["alarms"]),
            timeout=20)
        a = [a for a in j["alarms"] if a["code"] == "circuit-over-limit"]
        self.assertEqual([(x["source"], x["connector"]) for x in a],
                         [("row-a", 1)])
        self.assertIn("row-a L1: 70.0 A measured, above the 62.0 A",
                      a[0]["text"])
        # its meter stopped: that circuit's meter offline, an alarm and an
        # event; the supply's meter still online
        emu.stop()
        j = self.wait_status(c, lambda j: not j["circuits"][0]["meter"]
                             ["online"] and any(a["code"] ==
                                                "circuit-meter-offline"
                                                for a in j["alarms"]),
                             timeout=20)
        ci = j["circuits"][0]
        self.assertNotEqual(ci["meter"]["why"], "")
        self.assertIsNone(ci["measured"])
        self.assertIsNone(ci["building"])
        self.assertTrue(j["meter_online"])
        a = [a for a in j["alarms"] if a["code"] == "circuit-meter-offline"]
        self.assertEqual(a[0]["source"], "row-a")
        self.assertIn("8.0 A per phase", a[0]["text"])
        self.assertFalse(any(a["code"] in ("meter-offline",
                                           "circuit-over-limit")
                             for a in j["alarms"]))   # nothing measured
        self.wait_event(c, "circuit-meter-offline", "row-a")
        st, metrics, _ = c.call("GET", "/metrics")
        self.assertIn('evgroup_circuit_meter_online{circuit="row-a"} 0',
                      metrics)
        # a circuit's limit lowered is in force at once; a charger moved
        # to another circuit waits for the restart (the tree is the
        # start's), so does a circuit's parent
        st, r, _ = c.call("PUT", "/api/config/circuit1", {"limit": 50})
        self.assertEqual((st, r["in_force"]), (200, ["circuit1.limit"]), r)
        self.wait_status(c, lambda j: j["circuits"][0]["limit"] == 50.0)
        st, r, _ = c.call("PUT", "/api/config/charger2", {"circuit": "row-a"})
        self.assertEqual((st, r["after_restart"]), (200, ["charger2.circuit"]),
                         r)
        j = self.wait_status(c, lambda j: j["restart_needed"])
        self.assertEqual([cn["circuit"] for cn in j["connectors"]],
                         ["row-a", "supply"])
        self.assertEqual(j["circuits"][0]["chargers"], ["bay-001"])

    def test_eastron_meter_plausible_up_to_its_circuit(self):
        """An SDM630 on a 90 A board (ct_rating, the Sense kit's, at 50):
        80 A is a reading (1.5 x 50 would refuse it); beyond 1.5 x the
        board's 90 A it is not, and the meter goes offline."""
        emu, port = self.circuit_meter([80.0, 10.0, 10.0], "sdm630")
        self.site(extra="\n[circuit1]\nname = row-b\nlimit = 90\n"
                  "meter = sdm630\nmeter_host = 127.0.0.1\n"
                  "meter_port = %d\nmeter_poll_period = 300\nct_rating = 50\n"
                  % port)
        c = self.installer()
        j = self.wait_status(c, lambda j: j["circuits"][0]["measured"] ==
                             [80.0, 10.0, 10.0], timeout=20)
        self.assertTrue(j["circuits"][0]["meter"]["online"])
        self.meter_values([140.0, 10.0, 10.0])
        j = self.wait_status(c, lambda j: not j["circuits"][0]["meter"]
                             ["online"], timeout=20)
        self.assertIn("1.5 x the CT rating", j["circuits"][0]["meter"]["why"])

    def test_external_limit_roles_input_and_expiry(self):
        self.site()      # a 100 A supply
        inst = self.installer()
        op = self.operator(inst)
        bms = self.operator(inst, name="bms-1", role="bms")
        j = self.api_status(bms)           # the twin of the 403s below
        self.assertIsNone(j["external_limit"])
        self.assertEqual(j["circuits"], [])
        self.assertIsNone(j["demand"])
        # the site's figures, not who did what: no events, alarms, tags
        # or reason texts (an installer's status has them: the twin)
        for k in ("events", "alarms"):
            self.assertNotIn(k, j)
            self.assertIn(k, self.api_status(inst))
        self.assertTrue(j["connectors"])
        for cn in j["connectors"]:
            self.assertNotIn("tag", cn)
            self.assertNotIn("reason_text", cn)
            self.assertIn("reason", cn)
        self.assertIn("tag", self.api_status(inst)["connectors"][0])
        # an operator may not; a bms user may: in force at once
        st, r, _ = op.call("PUT", "/api/external-limit",
                           {"limit": 60, "valid": 60})
        self.assertEqual(st, 403, r)
        st, r, _ = bms.call("PUT", "/api/external-limit",
                            {"limit": 60, "valid": 60})
        self.assertEqual(st, 200, r)
        self.assertEqual(r["external_limit"]["limit"], [60.0, 60.0, 60.0])
        self.assertEqual(r["external_limit"]["by"], "bms-1")
        # the status is published a moment later
        j = self.wait_status(bms, lambda j: j["external_limit"] is not None)
        self.assertEqual(j["external_limit"]["limit"], [60.0, 60.0, 60.0])
        self.assertTrue(all(x <= 58.0 for x in j["limit"]), j["limit"])
        self.assertEqual(j["site_limit"], 100.0)   # the setting unchanged
        self.wait_event(inst, "external-limit", "bms-1")
        # a bms user may do nothing else
        for method, path, body in (
                ("GET", "/api/config", None), ("GET", "/api/events", None),
                ("GET", "/metrics", None),
                ("PUT", "/api/config/site", {"site_limit": 50}),
                ("POST", "/api/chargers/1/connectors/1/pause", {})):
            st, r, _ = bms.call(method, path, body)
            self.assertEqual(st, 403, (method, path, r))
        # bad input is refused and changes nothing; each has its twin
        for body, field in (({"limit": 60}, "valid"),
                            ({"limit": 60, "valid": 5}, "valid"),
                            ({"limit": 60, "valid": 86401}, "valid"),
                            ({"limit": "60", "valid": 60}, "limit"),
                            ({"limit": -1, "valid": 60}, "limit"),
                            ({"limit": [50, 50], "valid": 60}, "limit"),
                            ({"valid": 60}, "limit")):
            st, r, _ = bms.call("PUT", "/api/external-limit", body)
            self.assertEqual((st, r.get("field")), (400, field), body)
        j = self.api_status(bms)
        self.assertEqual(j["external_limit"]["limit"], [60.0, 60.0, 60.0])
        # above the setting: capped (it only ever lowers); per phase
        st, r, _ = inst.call("PUT", "/api/external-limit",
                             {"limit": [150, 40.5, 70], "valid": 86400})
        self.assertEqual(st, 200, r)
        self.assertEqual(r["external_limit"]["limit"], [100.0, 40.5, 70.0])
        self.assertEqual(r["external_limit"]["by"], "installer")
        # cleared at once
        st, r, _ = bms.call("DELETE", "/api/external-limit")
        self.assertEqual((st, r["result"]), (200, "cleared"), r)
        self.assertIsNone(r["external_limit"])
        self.wait_status(bms, lambda j: j["external_limit"] is None)
        self.wait_event(inst, "external-limit-cleared", "bms-1")
        # not renewed: it ends by itself, with a warning
        st, r, _ = bms.call("PUT", "/api/external-limit",
                            {"limit": 50, "valid": 10})
        self.assertEqual(st, 200, r)
        self.wait_status(bms, lambda j: j["external_limit"] is not None)
        until = r["external_limit"]["until"]
        self.assertTrue(8000 <= until - time.time() * 1000 <= 10500, until)
        j = self.wait_status(bms, lambda j: j["external_limit"] is None,
                             timeout=30)
        self.assertGreaterEqual(j["time_ms"], until)
        self.assertTrue(all(x > 60.0 for x in j["limit"]), j["limit"])
        e = self.wait_event(inst, "external-limit-expired")
        self.assertEqual(e["severity"], 1)

    def status_after_start(self, c):
        """The new master's first status (503 until its first cycle)."""
        deadline = time.monotonic() + 15
        while c.call("GET", "/api/status")[0] == 503:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)

    def test_external_limit_kept_across_a_restart(self):
        """A restart keeps the external limit until its end; one that
        ended while the master was stopped is told when it starts."""
        m = self.site()
        inst = self.installer()
        bms = self.operator(inst, name="bms-1", role="bms")
        st, r, _ = bms.call("PUT", "/api/external-limit",
                            {"limit": [70, 65, 60], "valid": 300})
        self.assertEqual(st, 200, r)
        until = r["external_limit"]["until"]
        m = talarms.AlarmsTest.restart_process(self, m)
        self.status_after_start(inst)
        # the new master's status (the old one's web UI is gone)
        j = self.wait_status(inst, lambda j: j["external_limit"] is not None)
        e = j["external_limit"]
        self.assertEqual((e["limit"], e["by"]), ([70.0, 65.0, 60.0], "bms-1"))
        self.assertLessEqual(abs(e["until"] - until), 1000)
        self.wait_event(inst, "external-limit", "before the restart kept")
        # the twin: one that ends while the master is stopped
        st, r, _ = bms.call("PUT", "/api/external-limit",
                            {"limit": 50, "valid": 10})
        self.assertEqual(st, 200, r)
        self.assertEqual(m.stop(), 0, m.text()[-3000:])
        deadline = time.monotonic() + 15
        while time.time() * 1000 < r["external_limit"]["until"] + 500:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)
        m = self.master(self.cfg, web=True, same_port=True)
        m.wait_for(r"web UI on", timeout=15)
        self.status_after_start(inst)
        self.wait_status(inst, lambda j: j["external_limit"] is None)
        self.wait_event(inst, "external-limit-expired",
                        "while the appliance was stopped")

    def test_bms_login_in_the_web_ui(self):
        """tests/browser/circrun.js: a bms login's page."""
        self.site()
        inst = self.installer()
        st, j, _ = inst.call("POST", "/api/users", {
            "name": "bms-1", "role": "bms", "password": "first-pass-1"})
        self.assertEqual(st, 201, j)
        twebui.run_browser(self, "circrun.js", timeout=120)


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
