#!/usr/bin/env python3
"""Issue 17, section 3, items 7 and 8: records that cannot be forged or
lost. The real master and simulator on loopback; the LAN's clients stand
on their own 127.0.0.x source addresses. A name with a line feed writes
no forged line into the master's log (the line shows \\n), and a failed
login, é included, is still logged as it is; an event cut in the middle
of a UTF-8 character, and rows that hold invalid UTF-8 from before, still
come back from GET /api/events and /api/sessions, beside normal ones; the
console shows such a text escaped. Each refusal has its positive twin."""

import http.client
import json
import os
import re
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402
import test_site as ts  # noqa: E402
import test_api as ta  # noqa: E402
import test_tui as tt  # noqa: E402

FORGED = "x\n1.000 evgroup-master: FORGED"
ESC = "esc\x1b[2Jape\u009b31m"


class LanClient(ta.Client):
    """A client of the LAN at its own source address (127.0.0.x)."""

    def __init__(self, port, addr):
        super().__init__(port, src=addr)
        self.addr = addr

    def raw_get(self, path):
        """The body's bytes as they came (Client.call forgives them)."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10,
                                       source_address=(self.addr, 0))
        c.request("GET", path, headers={"Cookie": self.cookie})
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body


class RecordsTest(ts.SiteTest):
    def site(self):
        m = self.start_site(n=2, web=True, fuse=100)
        m.wait_for(r"web UI on http://127.0.0.1:%d/" % self.web_port)

    def lan(self, n):
        return LanClient(self.web_port, "127.0.0.%d" % n)

    def failed_login(self, n, user):
        st, j = self.lan(n).login(user, "not-the-password")
        self.assertEqual(st, 401, j)

    def log_bytes(self):
        with open(self.procs[-1].log_path, "rb") as f:
            return f.read()

    def wait_log(self, needle, timeout=10):
        deadline = time.monotonic() + timeout
        while needle not in self.log_bytes():
            if time.monotonic() > deadline:
                self.fail("no %r in the master's log:\n%s" % (
                    needle, self.log_bytes()[-3000:].decode(errors="replace")))
            time.sleep(0.05)

    def strict_json(self, c, path):
        """GET path: must be 200 and valid UTF-8 JSON, strictly."""
        st, body = c.raw_get(path)
        self.assertEqual(st, 200, body[:300])
        return json.loads(body.decode("utf-8"))

    def all_events(self, c):
        return self.strict_json(c, "/api/events?limit=10000")["events"]

    def wait_events(self, c, pred, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            ev = self.all_events(c)
            if pred(ev):
                return ev
            if time.monotonic() > deadline:
                self.fail("the events never matched: %s" % ev[:10])
            time.sleep(0.2)

    def installer_at(self, n):
        c = self.lan(n)
        st, j = c.login("installer", "installer")
        self.assertEqual(st, 200, j)
        st, j, _ = c.call("POST", "/api/password",
                          {"old": "installer", "new": "correct-horse-7"})
        self.assertEqual(st, 200, j)
        return c

    # --- item 7 -----------------------------------------------------------

    def test_name_with_a_line_feed_forges_no_log_line(self):
        self.site()
        inst = self.installer_at(2)
        self.failed_login(3, FORGED)
        self.failed_login(4, ESC)
        # the positive twins: a plain wrong name and one with é, logged
        # as they are, from their own addresses
        self.failed_login(5, "mallory")
        self.failed_login(6, "zoé")
        self.wait_log("failed login from 127.0.0.6 as 'zoé'".encode())
        self.wait_log(b"failed login from 127.0.0.5 as 'mallory'")
        log = self.log_bytes()
        # one line each, the line feed shown as \n: nothing at the start
        # of a line but the master's own timestamp and name
        self.assertIn(b"failed login from 127.0.0.3 as 'x\\n1.000 "
                      b"evgroup-master: FORGED'", log)
        for line in log.split(b"\n"):
            self.assertNotIn(b"FORGED", line.split(b"failed login")[0],
                             line)
        self.assertFalse(re.search(rb"^1\.000 ", log, re.M))
        # no raw control character in the log at all: ESC and C1 CSI
        # escaped too
        self.assertIn(b"failed login from 127.0.0.4 as "
                      b"'esc\\x1b[2Jape\\u009b31m'", log)
        self.assertFalse(re.search(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]",
                                   log), log[-2000:])
        self.assertEqual(log.decode("utf-8").count("zoé"), 1)
        # the event written is escaped the same way
        ev = self.wait_events(inst, lambda ev: any(
            "zoé" in e["text"] for e in ev))
        texts = [e["text"] for e in ev if e["code"] == "login-failed"]
        self.assertIn("failed login from 127.0.0.3 as 'x\\n1.000 "
                      "evgroup-master: FORGED'", texts)
        self.assertIn("failed login from 127.0.0.4 as "
                      "'esc\\x1b[2Jape\\u009b31m'", texts)
        self.assertIn("failed login from 127.0.0.6 as 'zoé'", texts)
        self.assertIn("failed login from 127.0.0.5 as 'mallory'", texts)
        # a name of 32 control characters (128 bytes escaped) leaves the
        # address whole: it comes first
        self.failed_login(7, "\x01" * 32)
        ev = self.wait_events(inst, lambda ev: any(
            "127.0.0.7" in e["text"] for e in ev))
        self.assertTrue(any(e["text"].startswith(
            "failed login from 127.0.0.7 as '\\x01\\x01")
            for e in ev), [e["text"] for e in ev])

    # --- item 8 -----------------------------------------------------------

    def test_event_cut_mid_character_is_still_listed(self):
        self.site()
        inst = self.installer_at(2)
        before = self.wait_events(inst, lambda ev: any(
            e["code"] == "password" for e in ev))
        # 63 bytes: 'x' and 31 é; the event keeps 32 bytes of a name,
        # which would end in the middle of the 16th é
        self.failed_login(3, "x" + "é" * 31)
        self.failed_login(4, "bob")         # a normal event beside it
        after = self.wait_events(inst, lambda ev: any(
            "127.0.0.4 as 'bob'" in e["text"] for e in ev))
        new = [e for e in after if e["id"] not in
               set(x["id"] for x in before)]
        self.assertEqual(len(new), 2, new)
        cut = [e for e in new if "127.0.0.3" in e["text"]]
        self.assertEqual(len(cut), 1, new)
        # cut between characters: 'x' and 15 é, no replacement character
        self.assertEqual(cut[0]["text"], "failed login from 127.0.0.3 as "
                         "'x%s'" % ("é" * 15))
        # the status's newest events carry it as well; the status is
        # published once per round, so it may be a round or two behind
        # the events table on a loaded machine: wait for it, bounded
        deadline = time.monotonic() + 10
        while True:
            st = self.strict_json(inst, "/api/status")
            if any(e["text"] == cut[0]["text"] for e in st["events"]):
                break
            if time.monotonic() > deadline:
                self.fail("the status never listed %r: %s" % (
                    cut[0]["text"], st["events"]))
            time.sleep(0.2)

    def test_rows_that_are_not_utf8_are_still_returned(self):
        """Rows written before this fix (or by anything else) may hold
        invalid UTF-8 and raw controls: each comes back, replaced and
        escaped, beside the normal rows."""
        self.site()
        inst = self.installer_at(2)
        self.failed_login(3, "carol")       # a normal row
        self.wait_events(inst, lambda ev: any("carol" in e["text"]
                                              for e in ev))
        now = int(time.time() * 1000)
        db = sqlite3.connect(self.db, timeout=10)
        with db:
            db.execute("INSERT INTO events (time_ms, severity, source, code,"
                       " text) VALUES (?, 1, CAST(? AS TEXT), 'legacy',"
                       " CAST(? AS TEXT))", (now, b"bay-\xc3", b"cut \xc3\xa9"
                                             b"\xc3 and\nraw \x1b[2J"))
            db.execute("INSERT INTO sessions (charger, connector, number,"
                       " start_ms, end_ms, energy_wh, reason, updated_ms,"
                       " tag) VALUES (CAST(? AS TEXT), 1, 1, ?, ?, 1000,"
                       " 'unplug', ?, CAST(? AS TEXT))",
                       (b"bay-\xff", now - 60000, now - 1000, now,
                        b"04\xa1\xb2"))
            db.execute("INSERT INTO sessions (charger, connector, number,"
                       " start_ms, end_ms, energy_wh, reason, updated_ms,"
                       " tag) VALUES ('bay-001', 1, 2, ?, ?, 2000,"
                       " 'unplug', ?, '04A1B2C3')",
                       (now - 50000, now - 2000, now))
        db.close()
        ev = self.all_events(inst)
        legacy = [e for e in ev if e["code"] == "legacy"]
        self.assertEqual(len(legacy), 1, ev[:5])
        self.assertEqual(legacy[0]["source"], "bay-\ufffd")
        self.assertEqual(legacy[0]["text"],
                         "cut é\ufffd and\\nraw \\x1b[2J")
        self.assertTrue(any("carol" in e["text"] for e in ev))
        ss = self.strict_json(inst, "/api/sessions")["sessions"]
        self.assertEqual(sorted((s["charger"], s["tag"]) for s in ss),
                         [("bay-001", "04A1B2C3"),
                          ("bay-\ufffd", "04\ufffd\ufffd")])
        # a tag made to be a formula in a spreadsheet that splits on
        # semicolons: the field is quoted whole (the twin: a plain tag
        # is not quoted)
        with sqlite3.connect(self.db, timeout=10) as db:
            db.execute("INSERT INTO sessions (charger, connector, number,"
                       " start_ms, end_ms, energy_wh, reason, updated_ms,"
                       " tag) VALUES ('bay-002', 1, 3, ?, ?, 10, 'unplug',"
                       " ?, 'A;=HYPERLINK(1)')", (now - 40000, now - 3000,
                                                 now))
        st, text, _ = inst.call("GET", "/api/sessions.csv")
        self.assertEqual(st, 200)
        self.assertIn(',"A;=HYPERLINK(1)"', text)
        self.assertIn(",04A1B2C3", text)


class ConsoleTest(tt.TuiTest):
    """The console shows such texts escaped, never as raw controls."""

    def test_console_shows_names_escaped(self):
        m = self.start_site(n=2, web=True, fuse=100)
        m.wait_for(r"web UI on")
        c = LanClient(self.web_port, "127.0.0.2")
        c.login("installer", "installer")
        st, j, _ = c.call("POST", "/api/password", {
            "old": "installer", "new": tt.PASSWORD})
        self.assertEqual(st, 200, j)
        for n, user in ((3, FORGED), (5, ESC), (4, "zoé")):
            st, j = LanClient(self.web_port, "127.0.0.%d" % n).login(
                user, "not-the-password")
            self.assertEqual(st, 401, j)
        # in the database (the console reads the events from there)
        deadline = time.monotonic() + 10
        while not any("zoé" in e["text"] for e in c.call(
                "GET", "/api/events")[1]["events"]):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)
        self.console("main", 160, 40, "env TERM=xterm-256color "
                     "LANG=C.UTF-8 LC_ALL=C.UTF-8")
        self.wait_screen(lambda s: "master ok" in s)
        self.tmux("send-keys", "-t", "tui", "e")
        # the positive twin too: é shown as é
        s = self.wait_screen(lambda s: "Events (newest first)" in s and
                             "as 'zoé'" in s and
                             "127.0.0.3" in s and "127.0.0.5" in s)
        line = [ln for ln in s.splitlines() if "127.0.0.3" in ln][0]
        self.assertIn("failed login from 127.0.0.3 as 'x\\n1.000 "
                      "evgroup-master: FORGED'", line)
        line = [ln for ln in s.splitlines() if "127.0.0.5" in ln][0]
        self.assertIn("as 'esc\\x1b[2Jape\\u009b31m'", line)
        self.assertFalse(any(ch < " " or "\x7f" <= ch <= "\x9f"
                             for ch in s.replace("\n", "")), s)


ts.own_tests_only(RecordsTest)
ts.own_tests_only(ConsoleTest)
ConsoleTest.test_console = None


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
