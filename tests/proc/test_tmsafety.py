#!/usr/bin/env python3
"""Issue 18, section 3: the phase check's safety findings, end to end
over the JSON API against evgroup-sim's chargers and CT kit.

- A single-phase connector configured L1 and really wired L2 (the very
  case the check exists for), the building high on L2: the test current
  is counted on all three phases, so a test that does not fit on L2 is
  refused with the figures; its twin, a current that fits, runs, and
  what the simulated meter measured on L2 never went over the limit.
- The meter offline during a test ends it at once, saying so (not "no
  room" twenty seconds later).
- A restart during a test ends it with an event.

Bounded waits; processes stopped."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safety  # noqa: E402
import test_api as ta  # noqa: E402
import test_link as tl  # noqa: E402

PATH = "/api/chargers/%d/connectors/1/test-mode"
ENDED = ("done", "failed", "stopped")


class TestModeSafetyTest(ta.ApiTest):
    def simc(self, line):
        self.assertEqual(tl.control(self.simsock, line), "ok", line)

    def wait_state(self, c, charger, states, timeout=45):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st, j, _ = c.call("GET", PATH % charger)
            self.assertEqual(st, 200, j)
            if j["state"] in states:
                return j
            time.sleep(0.2)
        self.fail("the test never reached %s: %s" % (states, j))

    def single_car(self, charger=1):
        self.simc("bay-%03d car 1 phases 1" % charger)
        self.simc("bay-%03d plug 1" % charger)

    def start_test(self):
        """One charger, a single-phase car charging, a test at 16 A
        started: the site, its master, and the installer's client."""
        m = self.site(n=1)
        self.simc("meter base 10 10 10")
        self.single_car()
        c = self.installer()
        self.wait_status(c, lambda s: s["connectors"][0]["state"] ==
                         "charging", timeout=20)
        st, j, _ = c.call("POST", PATH % 1, {"current": 16})
        self.assertEqual(st, 200, j)
        return m, c

    def test_miswired_connector_counted_on_every_phase(self):
        rec = os.path.join(self.tmp, "record.csv")
        # bay-001's connector: single-phase, configured L1, wired L2; its
        # car waits for the end of a no-charge period (a test does not)
        self.site(n=2, simargs=("--record", rec),
                  extra="\n[smart]\nenabled = yes\ndays = all\n"
                  "no_charge1 = 00:00-24:00\nno_charge2 = off\n"
                  "random_delay = 0\n\n[charger1]\nphase1 = L1\n")
        self.simc("bay-001 wiring 1 L2")
        self.simc("meter base 10 75 10")
        self.single_car()
        c = self.installer()
        st, j, _ = c.call("GET", "/api/chargers")
        self.assertEqual(j["chargers"][0]["phase1"], "L1", j)
        self.wait_status(c, lambda s: s["connectors"][0]["reason"]
                         .startswith("smart") and s["meter_online"],
                         timeout=20)
        # L2 carries 100 A less the building's 75 A and the 2 A margin:
        # 32 A does not fit there, though L1 has room for it
        st, j, _ = c.call("POST", PATH % 1, {"current": 32, "seconds": 60})
        self.assertEqual((st, j.get("field")), (409, "current"), j)
        self.assertIn("L2 can carry 23.0 A for the chargers now",
                      j["error"])
        self.assertIn("a test at 32.0 A does not fit", j["error"])
        # the twin: a current that fits on every phase runs
        st, j, _ = c.call("POST", PATH % 1, {"current": 16, "seconds": 60})
        self.assertEqual((st, j.get("state")), (200, "baseline"), j)
        self.wait_state(c, 1, ("measure",) + ENDED, timeout=40)
        time.sleep(3)
        st, j, _ = c.call("DELETE", PATH % 1)
        self.assertEqual(st, 200, j)
        self.sim.stop()
        fig, bad = safety.check(rec, 100.0)
        print("miswired: %s" % fig, file=sys.stderr)
        self.assertEqual(bad, [])
        self.assertGreater(fig["peak_a"][1], 85.0)   # the car was on L2

    def test_meter_offline_ends_the_test_at_once(self):
        _, c = self.start_test()
        self.wait_state(c, 1, ("step",) + ENDED, timeout=20)
        self.simc("meter offline on")
        t0 = time.monotonic()
        j = self.wait_state(c, 1, ENDED, timeout=20)
        took = time.monotonic() - t0
        print("meter offline: the test ended in %.1f s" % took,
              file=sys.stderr)
        self.assertEqual(j["state"], "failed", j)
        r = j["result"]
        self.assertEqual((r["verdict"], r["why"]), ("inconclusive",
                                                    "no_meter"), r)
        self.assertIn("the meter went offline: the check needs its "
                      "readings", r["text"])
        self.assertNotIn("no room", r["text"])
        self.assertLess(took, 10.0)
        self.wait_event(c, "phase-check", "the meter went offline")
        # the twin: the meter back, a test starts again
        self.simc("meter offline off")
        self.wait_status(c, lambda s: s["meter_online"])
        st, j, _ = c.call("POST", PATH % 1, {"current": 16})
        self.assertEqual((st, j.get("state")), (200, "baseline"), j)

    def test_restart_ends_the_test_with_an_event(self):
        m, c = self.start_test()
        st, j, _ = c.call("POST", "/api/restart", {"confirm": True})
        self.assertEqual(st, 202, j)
        at = m.wait_for(r"restarting", timeout=15)
        m.wait_for(r"web UI on http://127.0.0.1:%d/" % self.web_port,
                   timeout=20, after=at)
        c = ta.Client(self.web_port)
        deadline = time.monotonic() + 20
        while c.login("installer", ta.PASSWORD)[0] != 200:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.3)
        e = self.wait_event(c, "phase-check", "ended by a restart")
        self.assertIn("phase check on connector 1 ended by a restart",
                      e["text"])
        self.assertEqual(e["source"], "bay-001")
        st, j, _ = c.call("GET", PATH % 1)
        self.assertEqual((st, j["state"]), (200, "idle"), j)


ta.own_tests_only(TestModeSafetyTest)


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
