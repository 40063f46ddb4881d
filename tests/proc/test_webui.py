#!/usr/bin/env python3
"""Runs the browser tests (tests/browser/webui.js: headless Chromium with
playwright-core) against a real evgroup-master and evgroup-sim on
loopback. The screenshots land in BUILD/screenshots/. Installs
playwright-core from tests/browser/package.json when it is missing."""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402
import test_site as ts  # noqa: E402


def browser_dir():
    """tests/browser, with playwright-core installed from its
    package.json when it is missing."""
    browser = os.path.join(tl.SRC, "tests/browser")
    if not os.path.isdir(os.path.join(browser, "node_modules",
                                      "playwright-core")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"],
                       cwd=browser, check=True, timeout=300)
    return browser


def browser_site(test):
    """A simulated site of three chargers with its web UI and meter up."""
    m = test.start_site(n=3, web=True)
    m.wait_for(r"web UI on")
    m.wait_for(r"meter: online", timeout=15)
    tl.control(test.simsock, "meter base 5 6 7")
    return m


def run_browser(test, script, timeout=240):
    """tests/browser/SCRIPT URL SIM_SOCKET SHOTS against test's appliance
    and simulator; its output on stderr, its screenshots in
    BUILD/screenshots/; fails test unless it passed."""
    shots = os.path.join(tl.BIN, "screenshots")
    t0 = time.monotonic()
    r = subprocess.run(["node", os.path.join(browser_dir(), script),
                        "http://127.0.0.1:%d/" % test.web_port,
                        test.simsock, shots],
                       capture_output=True, text=True, timeout=timeout)
    print(r.stdout, file=sys.stderr)
    print("%s took %.1f s" % (script, time.monotonic() - t0),
          file=sys.stderr)
    test.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class WebUiTest(ts.SiteTest):
    def test_browser(self):
        browser_site(self)
        self.seed_history()
        run_browser(self, "webui.js")

    def test_circuitbars(self):
        """The dashboard's circuits and site limits
        (tests/browser/circuitbars.js): a site without circuits shows
        none; the contract's fields, added to the appliance's status in
        the page, are drawn as the tree, the bars, the warnings."""
        browser_site(self)
        run_browser(self, "circuitbars.js")


    def seed_history(self):
        """24 h of per-minute history before now, written into the
        appliance's database beside its writer (WAL), so that the History
        page has a day to draw: an office's working-day shape."""
        import math
        import sqlite3
        now = int(time.time()) // 60
        rows = []
        for m in range(now - 1440, now):
            hour = (m % 1440) / 60.0
            day = max(0.0, math.sin(math.pi * (hour - 7) / 11)) if \
                7 <= hour <= 18 else 0.0
            base = [int(10 * (8 + 24 * day + k)) for k in range(3)]
            ev = [int(10 * 20 * day)] * 3
            rows.append((m, *[b - 15 for b in base], *base,
                         *[b + 25 for b in base], *ev))
        db = sqlite3.connect(self.db, timeout=10)
        with db:
            db.executemany("INSERT OR REPLACE INTO history VALUES "
                           "(?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        db.close()


ts.own_tests_only(WebUiTest, keep=("test_browser",))


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
