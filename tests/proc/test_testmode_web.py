#!/usr/bin/env python3
"""Runs the phase check's browser scenario (tests/browser/testmode.js:
headless Chromium with playwright-core) against a real evgroup-master
and evgroup-sim on loopback: a single-phase car on bay-001, whose
connector the simulator wires L2L3L1 while the master has L1L2L3. The
screenshots land in BUILD/screenshots/. Installs playwright-core from
tests/browser/package.json when it is missing."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402
import test_site as ts  # noqa: E402


class TestModeWebTest(ts.SiteTest):
    def test_browser_phase_check(self):
        browser = os.path.join(tl.SRC, "tests/browser")
        if not os.path.isdir(os.path.join(browser, "node_modules",
                                          "playwright-core")):
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"],
                           cwd=browser, check=True, timeout=300)
        m = self.start_site(n=2, web=True, fuse=100,
                            simargs=("--set", "connector1.max_current=16"))
        m.wait_for(r"web UI on")
        m.wait_for(r"meter: online", timeout=15)
        for line in ("meter base 10 10 10", "bay-001 car 1 phases 1",
                     "bay-001 wiring 1 L2L3L1", "bay-001 plug 1"):
            self.assertEqual(tl.control(self.simsock, line), "ok", line)
        shots = os.path.join(tl.BIN, "screenshots")
        r = subprocess.run(["node", os.path.join(browser, "testmode.js"),
                            "http://127.0.0.1:%d/" % self.web_port, shots],
                           capture_output=True, text=True, timeout=150)
        print(r.stdout, file=sys.stderr)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


ts.own_tests_only(TestModeWebTest, keep=("test_browser_phase_check",))


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
