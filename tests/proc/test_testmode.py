#!/usr/bin/env python3
"""Issue 18, section 3: test mode per connector with a phase check, end
to end over the JSON API against evgroup-sim's chargers and CT kit. A
single-phase car on a three-phase connector wired as configured: match;
the simulator's wiring changed: mismatch with the right suggestion; no
car: inconclusive. Refusals with their twins: an operator may watch but
not start (an installer may); a second test while one runs (after it
ended: fine); a current above the charger's rating (within: fine); the
meter offline (back: fine); a current the limits cannot carry now, with
the figures (raised: fine). What
the meter measured never went over the site limit. Bounded waits;
processes stopped."""

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


class TestModeTest(ta.ApiTest):
    def simc(self, line):
        return tl.control(self.simsock, line)

    def wait_end(self, c, charger, seen=None, timeout=75):
        """Polls the test's state until it ended; collects the reasons the
        status gave the connectors and the test's states on the way."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st, j, _ = c.call("GET", PATH % charger)
            self.assertEqual(st, 200, j)
            if seen is not None:
                seen.add(("state", j["state"]))
            if j["state"] in ENDED:
                return j
            if seen is not None:
                for x in self.api_status(c)["connectors"]:
                    seen.add((x["charger"], x["reason"]))
            time.sleep(0.25)
        self.fail("the test did not end: %s" % j)

    def test_phase_check(self):
        t0 = time.monotonic()
        rec = os.path.join(self.tmp, "record.csv")
        # chargers rated 16 A; bay-001 connector 1 is wired L1L2L3 in
        # the simulator and in the master's configuration
        self.site(n=3, simargs=("--set", "connector1.max_current=16",
                                "--record", rec))
        self.simc("meter base 10 10 10")
        self.simc("bay-001 car 1 phases 1")
        self.simc("bay-001 plug 1")
        self.simc("bay-002 plug 1")         # a three-phase car, charging
        c = self.installer()
        o = self.operator(c)
        self.wait_status(c, lambda s: [x["state"] for x in
                                       s["connectors"]][:2] ==
                         ["charging", "charging"], timeout=20)

        # refusals, each with its twin below
        st, j, _ = o.call("POST", PATH % 1, {"current": 16})
        self.assertEqual(st, 403, j)
        st, j, _ = c.call("POST", PATH % 1, {"current": 20})
        self.assertEqual((st, j.get("field")), (400, "current"), j)
        self.assertIn("at most 16.0 A (its charger's rating)", j["error"])
        for bad in ({"current": 7}, {"current": "16"}, {"current": 16,
                                                          "seconds": 5},
                    {"current": 16, "phase": "L1"}, {}):
            st, j, _ = c.call("POST", PATH % 1, bad)
            self.assertEqual(st, 400, (bad, j))
        st, j, _ = c.call("GET", PATH % 1)
        self.assertEqual((st, j["state"], j["result"]), (200, "idle", None))
        # no meter, no phase check (its twin: the meter back, below)
        self.simc("meter offline on")
        self.wait_status(c, lambda s: not s["meter_online"])
        st, j, _ = c.call("POST", PATH % 1, {"current": 16})
        self.assertEqual(st, 409, j)
        self.assertIn("the meter is offline", j["error"])
        self.simc("meter offline off")
        self.wait_status(c, lambda s: s["meter_online"])
        # the limits first: a group limit of 13 A a phase leaves no room
        # for 16 A (the twin: raised again, below)
        st, j, _ = c.call("PUT", "/api/config/site", {"group_limit": 13})
        self.assertEqual(st, 200, j)
        self.wait_status(c, lambda s: s["available"][0] <= 13.0)
        st, j, _ = c.call("POST", PATH % 1, {"current": 16})
        self.assertEqual((st, j.get("field")), (409, "current"), j)
        self.assertIn("L1 can carry 13.0 A for the chargers now", j["error"])
        self.assertIn("a test at 16.0 A does not fit", j["error"])
        st, j, _ = c.call("PUT", "/api/config/site", {"group_limit": 100,
                                                      "confirm": True})
        self.assertEqual(st, 200, j)
        self.wait_status(c, lambda s: s["available"][0] > 80.0)
        self.wait_status(c, lambda s: [x["state"] for x in
                                       s["connectors"]][:2] ==
                         ["charging", "charging"], timeout=20)

        # 1. wired as configured: match
        st, j, _ = c.call("POST", PATH % 1, {"current": 16, "seconds": 60})
        self.assertEqual((st, j["state"]), (200, "baseline"), j)
        self.assertEqual((j["who"], j["current"]), ("installer", 16.0))
        st, j, _ = c.call("POST", PATH % 3, {"current": 16})
        self.assertEqual(st, 409, j)
        self.assertEqual(j["who"], "installer")
        self.assertIn("runs on connector 1 of bay-001", j["error"])
        st, j, _ = o.call("GET", PATH % 1)         # operators watch
        self.assertEqual(st, 200, j)
        st, j, _ = o.call("GET", PATH % 3)
        self.assertEqual(j["busy"]["charger"], "bay-001", j)
        seen = set()
        j = self.wait_end(c, 1, seen)
        self.assertEqual(j["state"], "done", j)
        r = j["result"]
        self.assertEqual(r["verdict"], "match", r)
        self.assertEqual((r["configured"], r["suggested"]), ("L1L2L3", None))
        self.assertEqual((r["car_phases"], r["site_phases"]),
                         (["L1"], ["L1"]))
        self.assertAlmostEqual(r["rise_a"][0], 10.0, delta=1.0)
        self.assertLess(abs(r["rise_a"][1]), 1.0)
        # back at the minimum, the fall mirrors the rise
        self.assertAlmostEqual(r["fall_a"][0], 10.0, delta=1.0)
        self.assertEqual(len(r["readings"]), 3, r)
        self.assertIn(("state", "return"), seen)
        self.assertIn("draws on L1, as configured (L1L2L3)", r["text"])
        self.assertIn(("bay-001", "test_mode"), seen)
        self.assertIn(("bay-002", "test_hold"), seen)
        e = self.wait_event(c, "phase-check", "as configured")
        self.assertEqual(e["severity"], 0)
        # back to normal: no connector says test any more
        s = self.wait_status(c, lambda s: all(
            not x["reason"].startswith("test") for x in s["connectors"]))

        # 2. wired L2L3L1 in fact: mismatch, and the right suggestion
        # (the twin of the 409: the first has ended)
        self.assertEqual(self.simc("bay-001 wiring 1 L2L3L1"), "ok")
        self.assertIn("L2L3L1 (set: L1L2L3)", self.simc("bay-001 wiring"))
        st, j, _ = c.call("POST", PATH % 1, {"current": 16})
        self.assertEqual(st, 200, j)
        j = self.wait_end(c, 1)
        r = j["result"]
        self.assertEqual((r["verdict"], r["suggested"]),
                         ("mismatch", "L2L3L1"), r)
        self.assertEqual(r["site_phases"], ["L2"])
        self.assertAlmostEqual(r["rise_a"][1], 10.0, delta=1.0)
        self.assertIn("connector 1 of bay-001 draws on L2 (configured: L1);"
                      " set phase rotation to L2L3L1", r["text"])
        e = self.wait_event(c, "phase-check", "set phase rotation")
        self.assertEqual(e["severity"], 1)

        # 3. no car: inconclusive, at once
        st, j, _ = c.call("POST", PATH % 3, {"current": 16})
        self.assertEqual(st, 200, j)
        j = self.wait_end(c, 3, timeout=10)
        self.assertEqual((j["state"], j["result"]["verdict"]),
                         ("done", "inconclusive"), j)
        self.assertIn("no car", j["result"]["text"])

        # stopping: nothing to stop, then a test stopped
        st, j, _ = c.call("DELETE", PATH % 1)
        self.assertEqual(st, 409, j)
        st, j, _ = c.call("POST", PATH % 1, {"current": 12})
        self.assertEqual(st, 200, j)
        st, j, _ = o.call("DELETE", PATH % 1)
        self.assertEqual(st, 403, j)
        st, j, _ = c.call("DELETE", PATH % 1)
        self.assertEqual((st, j["state"]), (200, "stopped"), j)
        self.wait_event(c, "phase-check", "stopped by installer")

        # the fuse: what the meter measured never went over the limit
        self.sim.stop()
        fig, bad = safety.check(rec, 100.0)
        print("phase check: %.0f s, %s" % (time.monotonic() - t0, fig),
              file=sys.stderr)
        self.assertEqual(bad, [])
        self.assertLessEqual(max(fig["peak_a"]), 100.0)


# The site's and the API's tests are theirs, not ours.
for _name in dir(ta.ApiTest):
    if _name.startswith("test_") and _name not in TestModeTest.__dict__:
        setattr(TestModeTest, _name, None)


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
