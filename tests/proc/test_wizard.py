#!/usr/bin/env python3
"""Runs the commissioning wizard's browser scenario (tests/browser/
wizard.js: headless Chromium with playwright-core) against a real
evgroup-master and a simulated site of three chargers on loopback, as
test_webui.py runs the web UI's. The screenshots land in
BUILD/screenshots/."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402
import test_site as ts  # noqa: E402
import test_webui as tw  # noqa: E402


class WizardTest(ts.SiteTest):
    def test_wizard(self):
        tw.browser_site(self)
        tw.run_browser(self, "wizard.js", timeout=180)


ts.own_tests_only(WizardTest, keep=("test_wizard",))


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
