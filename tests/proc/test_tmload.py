#!/usr/bin/env python3
"""Issue 18, section 3 (the audit's F1): the phase check against a
building whose load moves during the test, end to end over the JSON API
against evgroup-sim. A single-phase car on bay-001, whose connector is
wired as configured; one second into the step, 8 A of the building's
load moves off L1 onto L2. Taken from the rise alone, the car "drew on
L2": a confident mismatch with a wrong wiring to set. Now inconclusive,
with the reason; the twin, the building still, a match. Bounded waits;
processes stopped."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402
import test_site as ts  # noqa: E402
import test_tmsafety as tms  # noqa: E402  (its helpers)

PATH = tms.PATH % 1


class TestModeLoadTest(tms.TestModeSafetyTest):
    def run_check(self, c, move):
        """A test at 16 A; move (the simulator's meter step) one second
        into the step; its end."""
        st, j, _ = c.call("POST", PATH, {"current": 16, "seconds": 60})
        self.assertEqual(st, 200, j)
        moved, states = False, []
        deadline = time.monotonic() + 75
        while time.monotonic() < deadline:
            st, j, _ = c.call("GET", PATH)
            self.assertEqual(st, 200, j)
            if not states or states[-1] != j["state"]:
                states.append(j["state"])
            if not moved and j["state"] == "step":
                time.sleep(1.0)
                self.simc("meter step " + move)
                moved = True
            if j["state"] in tms.ENDED:
                print("%s: %s: %s" % (move, states, j["result"]["text"]),
                      file=sys.stderr)
                return j
            time.sleep(0.2)
        self.fail("the test did not end: %s" % j)

    def test_load_moved_during_the_step(self):
        self.site(n=2, simargs=("--set", "connector1.max_current=16"))
        self.simc("meter base 10 10 10")
        self.simc("bay-001 car 1 phases 1")
        self.simc("bay-001 plug 1")
        c = self.installer()
        self.wait_status(c, lambda s: s["connectors"][0]["state"] ==
                         "charging", timeout=20)
        j = self.run_check(c, "-8 8 0")
        self.assertEqual(j["state"], "done", j)
        r = j["result"]
        self.assertEqual((r["verdict"], r["suggested"]),
                         ("inconclusive", None), r)
        self.assertIn(r["why"], ("noise", "load_changed"), r)
        self.assertIn("inconclusive: the building's load", r["text"])
        # the twin, the building still and a match on the same site, is
        # proc_testmode's first check (kept apart: each takes 30 s)


# test_tmsafety's tests are its own
ts.own_tests_only(TestModeLoadTest, base=tms.TestModeSafetyTest)


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
