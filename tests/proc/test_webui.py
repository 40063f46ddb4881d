#!/usr/bin/env python3
"""Runs the browser tests (tests/browser/webui.js: headless Chromium with
playwright-core) against a real evgroup-master and evgroup-sim on
loopback. The screenshots land in BUILD/screenshots/. Installs
playwright-core from tests/browser/package.json when it is missing."""

import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402
import test_site as ts  # noqa: E402
from test_api import Client  # noqa: E402


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


def circuit_site(test):
    """Three chargers on a 100 A supply under two boards, one with a
    board under it: board-a (63 A, its own CT kit, emulated by
    meteremu.py: 8 / 5 / 5 A of its own load) with bay-001, board-b
    (63 A, no meter) with bay-002, board-b-sub (32 A) under it with
    bay-003; a 20 A phase-balance limit, a 15-minute 100 kW demand
    limit. Its web UI and the supply's meter up."""
    vals = os.path.join(test.tmp, "board-a.json")
    with open(vals, "w") as f:
        json.dump({"current": [8.0, 5.0, 5.0], "voltage": 230.0}, f)
    port = tl.free_port()
    emu = test.start("board-a-meter", [tl.PY, os.path.join(
        tl.SRC, "tests/proc/meteremu.py"), "sense", "tcp", str(port), vals])
    emu.wait_for("listening")
    m = test.start_site(
        n=3, web=True, fuse=100, extra="imbalance = 20\n"
        "\n[circuit1]\nname = board-a\nlimit = 63\nmeter = sense\n"
        "meter_host = 127.0.0.1\nmeter_port = %d\nmeter_poll_period = 300\n"
        "meter_chargers_included = no\nct_rating = 100\n"
        "\n[circuit2]\nname = board-b\nlimit = 63\n"
        "\n[circuit3]\nname = board-b-sub\nparent = board-b\nlimit = 32\n"
        "\n[demand]\nenabled = yes\nwindow = 15\ntarget = 100\n" % port,
        charger_extra={1: "circuit = board-a\n", 2: "circuit = board-b\n",
                       3: "circuit = board-b-sub\n"})
    m.wait_for(r"web UI on")
    m.wait_for(r"meter: online", timeout=15)
    tl.control(test.simsock, "meter base 5 6 7")
    return m


def run_browser(test, script, *extra, timeout=240):
    """tests/browser/SCRIPT URL SIM_SOCKET SHOTS [EXTRA...] against
    test's appliance and simulator; its output on stderr, its screenshots
    in BUILD/screenshots/; fails test unless it passed."""
    shots = os.path.join(tl.BIN, "screenshots")
    t0 = time.monotonic()
    r = subprocess.run(["node", os.path.join(browser_dir(), script),
                        "http://127.0.0.1:%d/" % test.web_port,
                        test.simsock, shots, *extra],
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
        (tests/browser/circuitbars.js): the real appliance's boards,
        nested, with their meters, its phase balance, its demand window
        and an external limit set through the API; then the cases a live
        site seldom shows, added to its status in the page (a window
        over its target, a board's meter offline, a board over its
        limit). The site without circuits is the twin: test_browser's
        dashboard shows none of it (webui.js)."""
        circuit_site(self)
        c = Client(self.web_port)
        self.assertEqual(c.login("installer", "installer")[0], 200)
        st, j, _ = c.call("POST", "/api/password", {
            "old": "installer", "new": "circuit-owner-pass-1"})
        self.assertEqual(st, 200, j)
        st, j, _ = c.call("PUT", "/api/external-limit",
                          {"limit": [90.0, 90.0, 80.0], "valid": 600})
        self.assertEqual(st, 200, j)
        run_browser(self, "circuitbars.js", "board-a,board-b,board-b-sub")

    def test_text_keys_unique(self):
        """Every key of webui/text.js is defined once: a second
        definition silently replaces the first page's words (two pages
        once both defined circuits.imbalance). The twin: the keys the
        pages use are all there, none defined twice."""
        import re
        with open(os.path.join(tl.SRC, "webui", "text.js")) as f:
            src = f.read()
        # any quoted key, dashes included ('wizard.name.charger-test'),
        # and every line that defines one is read as one
        keys = re.findall(r"^\s+'([^'\n]+)'\s*:", src, re.M)
        defs = re.findall(r"^\s+['\"][^'\"\n]+['\"]\s*:", src, re.M)
        self.assertEqual(len(keys), len(defs))
        self.assertIn("wizard.name.charger-test", keys)
        self.assertGreater(len(keys), 100)
        dup = sorted({k for k in keys if keys.count(k) > 1})
        self.assertEqual(dup, [], "defined twice in text.js")

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
