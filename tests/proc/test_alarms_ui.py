#!/usr/bin/env python3
"""Issue 18, section 3: active alarms in the web UI and the console. The
browser scenario (tests/browser/alarms.js: headless Chromium with
playwright-core) acknowledges an alarm from the Alarms page and sends a
webhook test; the console (evgroup-tui in tmux) acknowledges one with A
after y/n, and says so truthfully when it cleared meanwhile. Against a
real evgroup-master and evgroup-sim on loopback; screenshots in
BUILD/screenshots/, captures in BUILD/tui-captures/."""

import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as ta  # noqa: E402
import test_link as tl  # noqa: E402
import test_site as ts  # noqa: E402
import test_tui as tt  # noqa: E402
import test_webui as tw  # noqa: E402


class AlarmsUiTest(tt.TuiTest):
    def setup_site(self):
        m = self.start_site(n=2, web=True, fuse=100)
        m.wait_for(r"web UI on")
        c = ta.Client(self.web_port)
        self.assertEqual(c.login("installer", "installer")[0], 200)
        st, j, _ = c.call("POST", "/api/password", {"old": "installer",
                                                    "new": tt.PASSWORD})
        self.assertEqual(st, 200, j)
        return c

    def alarm(self, c, code, source, acked=None, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st, j, _ = c.call("GET", "/api/alarms")
            for a in j["active"]:
                if a["code"] == code and a["source"] == source and (
                        acked is None or a["acknowledged"] == acked):
                    return a
            time.sleep(0.1)
        self.fail("no alarm %s of %s: %s" % (code, source, j))

    def no_alarms(self, c, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not c.call("GET", "/api/alarms")[1]["active"]:
                return
            time.sleep(0.1)
        self.fail("alarms still active")

    def test_browser(self):
        browser = tw.browser_dir()
        c = self.setup_site()
        st, j, _ = c.call("POST", "/api/users", {
            "name": "olivia", "role": "operator", "password": "first-pass-1"})
        self.assertEqual(st, 201, j)
        o = ta.Client(self.web_port)
        self.assertEqual(o.login("olivia", "first-pass-1")[0], 200)
        st, j, _ = o.call("POST", "/api/password", {"old": "first-pass-1",
                                                    "new": "olivias-own-2"})
        self.assertEqual(st, 200, j)
        tl.control(self.simsock, "bay-002 kill")
        self.alarm(c, "charger-offline", "bay-002")
        shots = os.path.join(tl.BIN, "screenshots")
        r = subprocess.run(["node", os.path.join(browser, "alarms.js"),
                            "http://127.0.0.1:%d/" % self.web_port,
                            self.simsock, shots, "olivias-own-2",
                            tt.PASSWORD],
                           capture_output=True, text=True, timeout=180)
        print(r.stdout, file=sys.stderr)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_console_ack(self):
        c = self.setup_site()
        tl.control(self.simsock, "bay-002 kill")
        self.alarm(c, "charger-offline", "bay-002")
        self.console("alarms", 120, 36, "env TERM=xterm-256color "
                     "LANG=C.UTF-8 LC_ALL=C.UTF-8")
        self.wait_screen(lambda s: "ALARM bay-002" in s)
        # asked, and answered no: nothing done
        self.tmux("send-keys", "-t", "tui", "A")
        s = self.wait_screen(lambda s: "Acknowledge this alarm? y/n: bay-002" in s)
        self.tmux("send-keys", "-t", "tui", "n")
        self.wait_screen(lambda s: "alarm not acknowledged" in s)
        self.alarm(c, "charger-offline", "bay-002", acked=False)
        # asked; the alarm clears before the y: the master's answer shown
        self.tmux("send-keys", "-t", "tui", "A")
        self.wait_screen(lambda s: "Acknowledge this alarm? y/n: bay-002" in s)
        tl.control(self.simsock, "bay-002 revive")
        self.no_alarms(c)
        self.tmux("send-keys", "-t", "tui", "y")
        s = self.wait_screen(lambda s: "no such active alarm" in s)
        # back: a new alarm; A and y acknowledge it, shown with who
        tl.control(self.simsock, "bay-002 kill")
        self.alarm(c, "charger-offline", "bay-002")
        self.wait_screen(lambda s: "ALARM bay-002" in s)
        self.tmux("send-keys", "-t", "tui", "A")
        self.wait_screen(lambda s: "Acknowledge this alarm? y/n: bay-002" in s)
        self.tmux("send-keys", "-t", "tui", "y")
        s = self.wait_screen(lambda s: "acknowledged" in s and
                             "ALARM (ack installer " in s)
        self.keep("alarms-ack-120x36", s)
        a = self.alarm(c, "charger-offline", "bay-002", acked=True)
        self.assertEqual(a["ack_by"], "installer")
        # nothing left to acknowledge: said
        self.tmux("send-keys", "-t", "tui", "A")
        self.wait_screen(lambda s: "no alarm to acknowledge" in s)


ts.own_tests_only(AlarmsUiTest)
for _name in dir(tt.TuiTest):
    if _name.startswith("test_") and _name not in AlarmsUiTest.__dict__:
        setattr(AlarmsUiTest, _name, None)


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
