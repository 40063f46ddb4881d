#!/usr/bin/env python3
"""Runs the phase check's browser scenario (tests/browser/testmode.js:
headless Chromium with playwright-core) against a real evgroup-master
and evgroup-sim on loopback: a single-phase car on bay-001, whose
connector the simulator wires L2L3L1 while the master has L1L2L3. The
screenshots land in BUILD/screenshots/ (test_webui.py's run_browser,
which installs playwright-core when it is missing)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402
import test_site as ts  # noqa: E402
import test_webui as tw  # noqa: E402


class TestModeWebTest(ts.SiteTest):
    def test_browser_phase_check(self):
        m = self.start_site(n=2, web=True, fuse=100,
                            simargs=("--set", "connector1.max_current=16"))
        m.wait_for(r"web UI on")
        m.wait_for(r"meter: online", timeout=15)
        for line in ("meter base 10 10 10", "bay-001 car 1 phases 1",
                     "bay-001 wiring 1 L2L3L1", "bay-001 plug 1"):
            self.assertEqual(tl.control(self.simsock, line), "ok", line)
        tw.run_browser(self, "testmode.js", timeout=150)


ts.own_tests_only(TestModeWebTest, keep=("test_browser_phase_check",))


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
