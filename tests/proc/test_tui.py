#!/usr/bin/env python3
"""evgroup-tui end to end, in tmux: the real console against a real
master and evgroup-sim on loopback, keys sent with send-keys, the screen
read with capture-pane. The right number of connectors, a plug-in shown
within 2 s, a pause reaching the master, 80x24 after a resize, the master
killed and restarted, a monochrome UTF-8-less terminal; a waiting car
says why, with the time left. The captures are kept in
BUILD/tui-captures/ (docs/operator-guide.md shows them)."""

import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402
import test_site as ts  # noqa: E402
from test_api import Client  # noqa: E402
import test_webui as tw  # noqa: E402

PASSWORD = "operator-console-1"


class TuiTest(ts.SiteTest):
    def setUp(self):
        super().setUp()
        self.sock = "evgtest-%d" % os.getpid()
        self.caps = os.path.join(tl.BIN, "tui-captures")
        os.makedirs(self.caps, exist_ok=True)

    def tearDown(self):
        subprocess.run(["tmux", "-L", self.sock, "kill-server"],
                       capture_output=True, timeout=10)
        super().tearDown()

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.sock, *args],
                              capture_output=True, text=True, timeout=10)

    def screen(self, target="tui"):
        return self.tmux("capture-pane", "-p", "-t", target).stdout

    def wait_screen(self, pred, timeout=10, target="tui"):
        deadline = time.monotonic() + timeout
        while True:
            s = self.screen(target)
            if pred(s):
                return s
            if time.monotonic() > deadline:
                self.fail("the screen never showed it:\n" + s)
            time.sleep(0.1)

    def keep(self, name, text):
        with open(os.path.join(self.caps, name + ".txt"), "w") as f:
            f.write(text)

    def console(self, name, cols, rows, env=""):
        pwfile = os.path.join(self.tmp, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        cmd = ("%s %s --url http://127.0.0.1:%d --user installer "
               "--password-file %s 2>%s" % (
                   env, os.path.join(tl.BIN, "tui/evgroup-tui"),
                   self.web_port, pwfile,
                   os.path.join(self.tmp, name + ".err")))
        if self.tmux("has-session", "-t", "tui").returncode != 0:
            r = self.tmux("new-session", "-d", "-s", "tui", "-n", name,
                          "-x", str(cols), "-y", str(rows), cmd)
        else:
            r = self.tmux("new-window", "-d", "-t", "tui", "-n", name, cmd)
        self.assertEqual(r.returncode, 0, r.stderr)

    def master_status(self):
        c = Client(self.web_port)
        c.login("installer", PASSWORD)
        st, j, _ = c.call("GET", "/api/status")
        return j

    def test_console(self):
        m = self.start_site(n=3, web=True, fuse=110, group=100)
        m.wait_for(r"web UI on")
        c = Client(self.web_port)
        c.login("installer", "installer")
        c.call("POST", "/api/password", {"old": "installer",
                                         "new": PASSWORD})
        tl.control(self.simsock, "meter base 12 8 10")
        self.console("main", 120, 36, "env TERM=xterm-256color "
                     "LANG=C.UTF-8 LC_ALL=C.UTF-8")
        # every connector, once the first status has come
        s = self.wait_screen(lambda s: s.count("bay-00") >= 3 and
                             "master ok" in s and "meter online" in s and
                             " offline " not in s)
        rows = [ln for ln in s.splitlines() if ln.startswith("bay-00")]
        self.assertEqual(len(rows), 3, s)
        self.assertIn("meter online", s)
        self.assertIn("L1 [", s)
        # a plug-in on the site shows within 2 s
        tl.control(self.simsock, "bay-002 car 1 max 16")
        t0 = time.monotonic()
        tl.control(self.simsock, "bay-002 plug 1")

        def bay2(s):
            return [ln for ln in s.splitlines() if ln.startswith("bay-002")]
        s = self.wait_screen(lambda s: bay2(s) and "available" not in
                             bay2(s)[0], timeout=5)
        took = time.monotonic() - t0
        print("plug-in shown after %.0f ms" % (took * 1000), file=sys.stderr)
        self.assertLess(took, 2.0)
        s = self.wait_screen(lambda s: "charging" in bay2(s)[0], timeout=15)
        self.keep("main-120x36", s)
        # pause it from the console: the master has it paused
        self.tmux("send-keys", "-t", "tui", "j")
        self.tmux("send-keys", "-t", "tui", "p")
        s = self.wait_screen(lambda s: "pause done" in s)
        self.assertIn("bay-002 connector 1: pause done", s)
        # the status is published once per round: on a loaded machine
        # it may be a round or two behind the command's answer (bounded)
        deadline = time.monotonic() + 10
        while True:
            j = self.master_status()
            paused = [x for x in j["connectors"] if x["charger"] ==
                      "bay-002"][0]["paused"]
            ev = any(e["code"] == "pause" and "installer" in e["text"]
                     for e in j["events"])
            if (paused and ev) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertTrue(paused, j["connectors"])
        self.assertTrue(ev, j["events"])
        s = self.wait_screen(lambda s: "paused (op)" in bay2(s)[0])
        self.keep("paused", s)
        # the detail of a connector, the events, the help (the records
        # reach the database within a second)
        time.sleep(1.5)
        self.tmux("send-keys", "-t", "tui", "Enter")
        s = self.wait_screen(lambda s: "bay-002 connector 1" in s and
                             "Recent events of bay-002" in s and
                             "loading" not in s)
        self.keep("detail", s)
        self.tmux("send-keys", "-t", "tui", "Escape")
        self.tmux("send-keys", "-t", "tui", "e")
        s = self.wait_screen(lambda s: "Events (newest first)" in s and
                             "pause bay-002" in s)
        self.keep("events", s)
        self.tmux("send-keys", "-t", "tui", "Escape")
        self.tmux("send-keys", "-t", "tui", "?")
        s = self.wait_screen(lambda s: "States" in s)
        self.keep("help", s)
        self.tmux("send-keys", "-t", "tui", "Escape")
        # the group limit is on screen; + asks first with the figures, n
        # changes nothing, y changes it
        s = self.wait_screen(lambda s: "group 100.0 A" in s.splitlines()[0])
        self.tmux("send-keys", "-t", "tui", "+")
        s = self.wait_screen(lambda s: "Group limit 100.0 A -> 101.0 A per "
                             "phase" in s and "y/n" in s)
        self.keep("limit-ask", s)
        self.tmux("send-keys", "-t", "tui", "n")
        s = self.wait_screen(lambda s: "group limit unchanged" in s)
        time.sleep(0.5)
        self.assertEqual(self.master_status()["group_limit"], 100.0)
        self.tmux("send-keys", "-t", "tui", "+")
        self.wait_screen(lambda s: "y/n" in s)
        self.tmux("send-keys", "-t", "tui", "y")
        s = self.wait_screen(lambda s: "group limit 101.0 A set" in s)
        deadline = time.monotonic() + 5
        while self.master_status()["group_limit"] != 101.0:
            self.assertLess(time.monotonic(), deadline, "limit not set")
            time.sleep(0.2)
        self.wait_screen(lambda s: "group 101.0 A" in s.splitlines()[0])
        # a filter
        self.tmux("send-keys", "-t", "tui", "/", "0", "0", "3", "Enter")
        s = self.wait_screen(lambda s: "filter: 003" in s)
        self.assertEqual(len([ln for ln in s.splitlines()
                              if ln.startswith("bay-00")]), 1)
        self.tmux("send-keys", "-t", "tui", "Escape")
        # resized to 80x24: the layout holds
        self.tmux("resize-window", "-t", "tui", "-x", "80", "-y", "24")
        s = self.wait_screen(lambda s: len(s.splitlines()) <= 24 and
                             s.count("bay-00") >= 3 and "Charger" in s)
        lines = s.splitlines()
        self.assertTrue(all(len(ln) <= 80 for ln in lines), s)
        self.assertIn("master ok", lines[0])
        self.assertIn("? q", s)
        self.keep("main-80x24", s)
        # the master killed: the console says so, keeps the last status,
        # and recovers by itself when the master is back
        m.stop()
        s = self.wait_screen(lambda s: "MASTER UNREACHABLE" in s, timeout=10)
        self.assertIn("bay-001", s)
        self.keep("unreachable", s)
        self.master(self.cfg, web=True, same_port=True).wait_for(
            r"web UI on")
        s = self.wait_screen(lambda s: "master ok" in s and
                             "UNREACHABLE" not in s, timeout=20)
        self.assertEqual(len([ln for ln in s.splitlines()
                              if ln.startswith("bay-00")]), 3)
        # a monochrome terminal without UTF-8: plain ASCII, still whole
        self.console("mono", 80, 24, "env TERM=vt100 LANG=C LC_ALL=C")
        self.tmux("resize-window", "-t", "tui:mono", "-x", "80", "-y", "24")
        s = self.wait_screen(lambda s: s.count("bay-00") >= 3 and
                             len(s.splitlines()[0]) <= 80,
                             target="tui:mono")
        self.assertTrue(all(ord(ch) < 128 for ch in s), s)
        self.assertIn("L1 [", s)
        self.keep("vt100", s)
        self.tmux("send-keys", "-t", "tui:mono", "q")
        time.sleep(0.5)

    def test_why(self):
        """Issue 18, section 2: a car held back by a no-charge period says
        so in the Why column with the time left, counting down, cut
        cleanly on 80 columns; the detail says until when; an operator's
        pause names the operator."""
        t = time.time()
        start = time.strftime("%H:%M", time.localtime(t - 60))
        end = time.strftime("%H:%M", time.localtime(t + 10 * 60))
        m = self.start_site(n=2, web=True, fuse=110, group=100, extra=(
            "\n[smart]\nenabled = yes\ndays = all\nno_charge1 = %s-%s\n"
            "no_charge2 = off\n" % (start, end)))
        m.wait_for(r"web UI on")
        c = Client(self.web_port)
        c.login("installer", "installer")
        c.call("POST", "/api/password", {"old": "installer",
                                         "new": PASSWORD})
        for b in ("bay-001", "bay-002"):
            tl.control(self.simsock, "%s car 1 max 16" % b)
            tl.control(self.simsock, "%s plug 1" % b)
        self.console("why", 120, 30, "env TERM=xterm-256color "
                     "LANG=C.UTF-8 LC_ALL=C.UTF-8")

        def row(s, name):
            r = [ln for ln in s.splitlines() if ln.startswith(name)]
            return r[0] if r else ""
        left = re.compile(r"smart charging: no-charge period (\d+):(\d\d)$")
        s = self.wait_screen(lambda s: left.search(row(s, "bay-001")),
                             timeout=15)
        self.assertIn("Why", s)
        mm, ss = left.search(row(s, "bay-001")).groups()
        first = int(mm) * 60 + int(ss)
        self.assertTrue(8 * 60 <= first <= 10 * 60, row(s, "bay-001"))
        self.keep("why", s)
        # it counts down
        s = self.wait_screen(lambda s: left.search(row(s, "bay-001")) and
                             int(left.search(row(s, "bay-001")).group(1)) *
                             60 + int(left.search(row(s, "bay-001"))
                                      .group(2)) < first, timeout=5)
        # the detail: in full, until when
        self.tmux("send-keys", "-t", "tui", "Enter")
        s = self.wait_screen(lambda s: "bay-001 connector 1" in s and
                             "why       smart charging: no-charge period, "
                             in s)
        self.assertRegex(s, r"why       smart charging: no-charge period, "
                         r"\d+:\d\d left, until %s:00" % end)
        self.keep("why-detail", s)
        self.tmux("send-keys", "-t", "tui", "Escape")
        # an operator's pause names the operator
        self.tmux("send-keys", "-t", "tui", "j")
        self.tmux("send-keys", "-t", "tui", "p")
        s = self.wait_screen(lambda s: "paused by operator (installer)" in
                             row(s, "bay-002"))
        # 80 columns: the words cut and marked, the time kept
        self.tmux("resize-window", "-t", "tui", "-x", "80", "-y", "24")
        s = self.wait_screen(lambda s: len(s.splitlines()[0]) <= 80 and
                             re.search(r"\u2026 \d+:\d\d$", row(s, "bay-001")))
        self.assertTrue(all(len(ln) <= 80 for ln in s.splitlines()), s)
        self.assertTrue(row(s, "bay-002").endswith("\u2026"), s)

    def test_circuit_view(self):
        """Issue 14, section 5: on a site with boards (test_webui's
        circuit_site), the site line shows the external limit set through
        the API, the demand window and the phase balance; c groups the
        rows by circuit: the supply, each board (its meter: board-a's
        online, board-b none), board-b-sub under board-b, each charger
        under its own; c again: the plain table (the twin)."""
        tw.circuit_site(self)
        c = Client(self.web_port)
        c.login("installer", "installer")
        c.call("POST", "/api/password", {"old": "installer",
                                         "new": PASSWORD})
        st, j, _ = c.call("PUT", "/api/external-limit",
                          {"limit": 90.0, "valid": 600})
        self.assertEqual(st, 200, j)
        self.console("circuits", 132, 30, "env TERM=xterm-256color "
                     "LANG=C.UTF-8 LC_ALL=C.UTF-8")
        s = self.wait_screen(lambda s: "ext. limit 90 A installer" in s and
                             "demand " in s and "imbalance " in s and
                             s.count("bay-00") >= 3, timeout=15)
        lines = s.splitlines()
        site = [ln for ln in lines if ln.startswith("ext. limit")][0]
        self.assertRegex(site, r"demand \d+\.\d\u2192\d+\.\d/100 kW cars "
                         r"[\d.]+ \d+:\d\d \| imbalance [\d.]+/20\.0 A \| "
                         r"3 circuits \(c: circuit view\)")
        self.assertFalse([ln for ln in lines if "board-a " in ln], s)
        self.tmux("send-keys", "-t", "tui", "c")
        s = self.wait_screen(lambda s: "board-b-sub" in s and
                             "meter ok" in s.split("board-a")[-1], timeout=15)
        rows = [ln for ln in s.splitlines()[6:] if ln.strip()]
        order = [r.split()[0] for r in rows[:7]]
        self.assertEqual(order, ["supply", "board-a", "bay-001", "board-b",
                                 "bay-002", "board-b-sub", "bay-003"], s)
        self.assertRegex(rows[1], r"^  board-a +63A meter ok  L1\[")
        self.assertRegex(rows[3], r"^  board-b +63A no meter  L1\[")
        self.assertRegex(rows[5], r"^    board-b-sub +32A no meter")
        self.assertIn("c: connectors", s)
        self.keep("circuits-132x30", s)
        # c again: the connectors alone
        self.tmux("send-keys", "-t", "tui", "c")
        s = self.wait_screen(lambda s: "board-b-sub" not in s)
        self.assertEqual([ln.split()[0] for ln in s.splitlines()
                          if ln.startswith("bay-00")],
                         ["bay-001", "bay-002", "bay-003"])

    # Failed while master/cycle.c's conn_from() did not hand each
    # connector's circuit to the allocator (every car under the supply).
    def test_circuit_load(self):
        """A car on board-b-sub is counted on it and on board-b above it
        (at its offer, 32 A), not on board-a: the circuit view's rows."""
        tw.circuit_site(self)
        c = Client(self.web_port)
        c.login("installer", "installer")
        c.call("POST", "/api/password", {"old": "installer",
                                         "new": PASSWORD})
        tl.control(self.simsock, "bay-003 car 1 max 16")
        tl.control(self.simsock, "bay-003 plug 1")
        self.console("load", 132, 30, "env TERM=xterm-256color "
                     "LANG=C.UTF-8 LC_ALL=C.UTF-8")
        self.wait_screen(lambda s: "bay-003" in s and "charging" in
                         [ln for ln in s.splitlines()
                          if ln.startswith("bay-003")][0], timeout=30)
        self.tmux("send-keys", "-t", "tui", "c")

        def board(s, name):
            r = [ln for ln in s.splitlines() if ln.lstrip().startswith(
                name + " ")]
            return r[0] if r else ""
        s = self.wait_screen(lambda s: " 32/32 " in board(s, "board-b-sub")
                             and " 32/63 " in board(s, "board-b"),
                             timeout=5)
        self.assertIn("  0/55 ", board(s, "board-a"))
        self.keep("circuits-load-132x30", s)


ts.own_tests_only(TuiTest, keep=("test_console", "test_why",
                                 "test_circuit_view", "test_circuit_load"))


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
