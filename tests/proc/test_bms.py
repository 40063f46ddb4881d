#!/usr/bin/env python3
"""Issue 16, sections 3 and 4: the Modbus TCP server for a building
management system, read and written with mbpoll (a client we did not
write) against the real master and evgroup-sim on loopback; and an
operator's pause, lock and boost kept across a restart of the master.
Each refusal has its positive twin. Bounded waits; processes stopped."""

import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as ta  # noqa: E402
import test_link as tl  # noqa: E402
import test_security_net as tsn  # noqa: E402
import test_webui as twebui  # noqa: E402


def mbpoll(port, table, start, count=1, values=()):
    """One request: table 3 input registers, 4 holding registers; values
    written with one request (function 16 for more than one, 06 for
    one)."""
    return subprocess.run(
        ["mbpoll", "-m", "tcp", "-0", "-1", "-a", "1", "-t", str(table),
         "-r", str(start), *([] if values else ["-c", str(count)]), "-p",
         str(port), "-o", "5", "127.0.0.1", *[str(v) for v in values]],
        capture_output=True, text=True, timeout=20)


def regs(out):
    return {int(k): int(v)
            for k, v in re.findall(r"\[(\d+)\]:\s+(-?\d+)", out)}


class BmsTest(ta.ApiTest):
    def bms_site(self, writers, n=2):
        self.bms_port = tl.free_port()
        m = self.site(n=n, extra="\n[bms]\nenabled = yes\nport = %d\n"
                      "writers = %s\n" % (self.bms_port, writers))
        m.wait_for(r"bms: Modbus TCP server on 127.0.0.1:%d"
                   % self.bms_port)
        return m

    def read(self, table, start, count):
        r = mbpoll(self.bms_port, table, start, count)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        v = regs(r.stdout)
        self.assertEqual(len(v), count, r.stdout)
        return [v[start + i] for i in range(count)]

    def write(self, start, *values):
        return mbpoll(self.bms_port, 4, start, values=values)

    def charging(self, c, name="bay-001", amps=32):
        tl.control(self.simsock, "%s car 1 max %d" % (name, amps))
        tl.control(self.simsock, "%s plug 1" % name)

    def test_reads_match_the_status(self):
        self.bms_site("")
        c = self.installer()
        self.charging(c)
        s = self.wait_status(c, lambda s: s["charging"] == 1 and
                             s["connectors"][0]["offer"] > 0, timeout=20)
        # the figures settle (the car at its offer) before comparing
        time.sleep(1.5)
        s = self.api_status(c)
        site = self.read(3, 0, 29)
        conn = self.read(3, 100, 20)
        s2 = self.api_status(c)

        def deci(v):
            return [round(x * 10) for x in v]

        self.assertEqual(site[0:5], [1, 2, 1, 0, 0], site)
        for name, first in (("clamp", 10), ("non_ev", 13),
                            ("available", 16), ("limit", 19)):
            got = [x - 65536 if x > 32767 else x
                   for x in site[first:first + 3]]
            self.assertIn(got, (deci(s[name]), deci(s2[name])), name)
        ev = sum(deci(s["ev"]))
        self.assertEqual(site[22] << 16 | site[23], ev * 23, site)
        self.assertEqual(site[26:29], [s["charging"], 0, 0])
        for k, x in enumerate(s["connectors"]):
            b = conn[10 * k:10 * k + 10]
            self.assertEqual(b[0:3], [x["charger_id"], x["connector"],
                                      3 if x["state"] == "charging" else 0])
            self.assertEqual(b[3], round(x["offer"] * 10), x)
            self.assertEqual(b[4:7], deci(x["current"]), x)
        # reads are anyone's (the writers' list is empty); outside the
        # map: exception 02
        r = mbpoll(self.bms_port, 3, 100, 21)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Illegal data address", r.stdout + r.stderr)

    def test_limit_lowers_offers_and_expiry_restores_them(self):
        self.bms_site("127.0.0.0/8")
        c = self.installer()
        self.charging(c)
        self.wait_status(c, lambda s: s["connectors"][0]["offer"] == 32.0,
                         timeout=20)
        # refused: a validity under 10 s, a limit without its validity,
        # a pause of 2: exception 03, nothing changes
        for start, vals in ((0, (100, 100, 100, 5)), (0, (100, 100, 100)),
                            (4, (2,))):
            r = self.write(start, *vals)
            self.assertNotEqual(r.returncode, 0, r.stdout)
            self.assertIn("Illegal data value", r.stdout + r.stderr)
        s = self.api_status(c)
        self.assertIsNone(s["external_limit"])
        self.assertFalse(s["connectors"][0]["paused"])
        # the twin: three limits and the validity in one request
        t0 = time.monotonic()
        r = self.write(0, 100, 120, 140, 10)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        s = self.wait_status(c, lambda s: s["connectors"][0]["offer"] <= 10.0,
                             timeout=5)
        took = time.monotonic() - t0
        self.assertEqual(s["external_limit"]["by"], "bms")
        self.assertEqual(s["external_limit"]["limit"], [10.0, 12.0, 14.0])
        held = self.read(4, 0, 4)
        self.assertEqual(held[0:3], [100, 120, 140])
        self.assertTrue(1 <= held[3] <= 10, held)
        self.assertEqual(self.read(3, 3, 1), [1])
        # expiry restores the configured limit (an event says so)
        self.wait_status(c, lambda s: s["external_limit"] is None and
                         s["connectors"][0]["offer"] == 32.0, timeout=30)
        self.wait_event(c, "external-limit-expired")
        self.assertEqual(self.read(4, 0, 4), [0, 0, 0, 0])
        # set again, then ended by a 0 validity alone
        self.assertEqual(self.write(0, 100, 100, 100, 600).returncode, 0)
        self.wait_status(c, lambda s: s["external_limit"] is not None)
        self.assertEqual(self.write(3, 0).returncode, 0)
        self.wait_status(c, lambda s: s["external_limit"] is None)
        print("limit in force %.2f s after the write" % took)

    def test_small_changes_counted_not_each_an_event(self):
        """A writer sending 400 limits alternating 50.0 and 50.1 A in one
        burst: the first is an event, the others are in force at once
        but counted; the twin: a change of more than 1 A is an event,
        with the count."""
        self.bms_site("127.0.0.1")
        c = self.installer()
        with tsn.connect(self.bms_port, "127.0.0.1", timeout=10) as s:
            for i in range(400):
                v = 500 + i % 2
                self.assertEqual(tsn.write_regs(s, 0, [v, v, v, 60]), 0)
            self.assertEqual(tsn.read_holding(s, 0, 3), (501, 501, 501))
        # (the status is written once a cycle: one from the middle of the
        # burst may come first)
        self.wait_status(c, lambda s: s["external_limit"] is not None and
                         s["external_limit"]["limit"] == [50.1, 50.1, 50.1])
        told = [e for e in self.events(c) if e["code"] == "external-limit"]
        self.assertEqual(len(told), 1, told)
        self.assertIn("external limit set by bms: L1 50.0 A", told[0]["text"])
        with tsn.connect(self.bms_port, "127.0.0.1", timeout=10) as s:
            self.assertEqual(tsn.write_regs(s, 0, [400, 400, 400, 60]), 0)
        e = self.wait_event(c, "external-limit", "L1 40.0 A")
        self.assertIn("changed by bms", e["text"])
        self.assertIn("399 smaller changes since the last told", e["text"])

    def test_pause_all_through_the_operators_path(self):
        self.bms_site("127.0.0.1")
        c = self.installer()
        self.charging(c)
        self.wait_status(c, lambda s: s["connectors"][0]["offer"] > 0,
                         timeout=20)
        # an operator's own pause stays when the BMS resumes
        st, j, _ = c.call("POST", "/api/chargers/2/connectors/1/pause")
        self.assertEqual(st, 200, j)
        self.assertEqual(self.write(4, 1).returncode, 0)
        s = self.wait_status(c, lambda s: all(x["paused"]
                                              for x in s["connectors"]) and
                             s["connectors"][0]["offer"] == 0.0, timeout=20)
        self.assertEqual(s["connectors"][0]["reason"], "operator_pause")
        self.assertIn("bms", s["connectors"][0]["reason_text"])
        self.wait_event(c, "pause", "bms: pause bay-001 connector 1")
        self.assertEqual(self.read(4, 4, 1), [1])
        self.assertEqual(self.read(3, 27, 1), [2])
        self.assertEqual(self.write(4, 0).returncode, 0)
        s = self.wait_status(c, lambda s: not s["connectors"][0]["paused"]
                             and s["connectors"][0]["offer"] > 0, timeout=20)
        self.assertTrue(s["connectors"][1]["paused"])
        self.assertEqual(self.read(4, 4, 1), [0])

    def test_page_in_the_web_ui(self):
        """tests/browser/bms.js: the page shows the limit the BMS set,
        and edits the [bms] settings (a bad list refused, a good one
        saved)."""
        self.bms_site("127.0.0.1")
        c = self.installer()
        self.assertEqual(self.write(0, 100, 120, 140, 600).returncode, 0)
        self.wait_status(c, lambda s: s["external_limit"] is not None)
        twebui.run_browser(self, "bms.js", ta.PASSWORD, timeout=120)

    def test_writes_from_outside_the_allow_list(self):
        """127.0.0.1 not among the writers: exception 01, nothing
        changes; reads still work (the twin is the writes above)."""
        m = self.bms_site("127.0.0.9, 10.0.0.0/8")
        c = self.installer()
        self.wait_status(c, lambda s: all(x["online"]
                                          for x in s["chargers"]))
        for start, vals in ((0, (100, 100, 100, 60)), (4, (1,)), (3, (0,))):
            r = self.write(start, *vals)
            self.assertNotEqual(r.returncode, 0, r.stdout)
            self.assertIn("Illegal function", r.stdout + r.stderr)
        s = self.api_status(c)
        self.assertIsNone(s["external_limit"])
        self.assertFalse(any(x["paused"] for x in s["connectors"]))
        self.assertEqual(self.read(3, 0, 2), [1, 2])
        # writers listed one by one: no warning (its twin below)
        self.assertNotIn("lets any address", m.text())

    def test_any_address_may_write_is_warned(self):
        """bms.writers = 0.0.0.0/0: taken (a write works), and the log
        says at the start that anyone who can connect may write."""
        m = self.bms_site("0.0.0.0/0")
        m.wait_for(r"warning: bms: bms\.writers: 0\.0\.0\.0/0 lets any "
                   r"address that can connect write")
        c = self.installer()
        self.wait_status(c, lambda s: all(x["online"]
                                          for x in s["chargers"]))
        r = self.write(4, 1)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.wait_status(c, lambda s: all(x["paused"]
                                          for x in s["connectors"]))

    def test_reads_served_from_a_view(self):
        """A BMS reading in a loop: its reads come from a view of the
        status taken at most every 100 ms (it copied the whole status for
        each, about 0.7 ms at 1000 connectors); the twin: what changes
        (an operator's pause) is in the reads within that time."""
        m = self.bms_site("")
        c = self.installer()
        self.wait_status(c, lambda s: all(x["online"]
                                          for x in s["chargers"]))
        with tsn.connect(self.bms_port, "127.0.0.1", timeout=10) as s:
            t0 = time.monotonic()
            for i in range(500):
                self.assertEqual(len(tsn.read_inputs(s, 0, 29)), 29)
            took = time.monotonic() - t0
            self.assertEqual(tsn.read_inputs(s, 27, 1), (0,))
            st, j, _ = c.call("POST", "/api/chargers/1/connectors/1/pause")
            self.assertEqual(st, 200, j)
            t1 = time.monotonic()
            while tsn.read_inputs(s, 27, 1) != (1,):
                self.assertLess(time.monotonic() - t1, 5)
            seen = time.monotonic() - t1
        m.stop()
        r = re.search(r"bms: (\d+) requests served, from (\d+) views",
                      m.text())
        self.assertIsNotNone(r, m.text()[-2000:])
        requests, views = int(r.group(1)), int(r.group(2))
        self.assertGreaterEqual(requests, 502)
        # one a 100 ms at most while read in a loop (and the few before
        # and after it)
        self.assertLessEqual(views, 10 * (took + seen) + 10, (took, seen))
        print("500 reads in %.2f s from %d views in all; a pause seen by "
              "the BMS %.0f ms after the API's answer"
              % (took, views, seen * 1000))

    def test_junk_flood_does_not_flood_the_log(self):
        """A thousand connections sending HTTP: one line when it starts,
        one with the count (at the stop here, else within the minute);
        a good read after it."""
        m = self.bms_site("127.0.0.1")
        tsn.check_junk_flood(self, m, self.bms_port, "bms")

    def test_a_writer_takes_the_quietest_connection(self):
        """Every connection taken: another reader is refused (the twin),
        a writer's connection takes the quietest one, and the log says
        so as it is (it said "to make room for the master")."""
        m = self.bms_site("127.0.0.9")
        socks = []
        try:
            for i in range(8):      # 2 an address, 8 in all
                s = tsn.connect(self.bms_port, "127.0.0.%d" % (2 + i // 2),
                                timeout=10)
                socks.append(s)
                tsn.read_inputs(s, 0, 1)
            # the quietest: 127.0.0.2's first, read from before the others
            for s in socks[1:]:
                tsn.read_inputs(s, 0, 1)
            refused = tsn.connect(self.bms_port, "127.0.0.6", timeout=10)
            self.assertTrue(tsn.closed_within(refused, 10))
            refused.close()
            m.wait_for(r"bms: 127\.0\.0\.6: connection refused: every "
                       r"connection is taken")
            w = tsn.connect(self.bms_port, "127.0.0.9", timeout=10)
            socks.append(w)
            tsn.read_inputs(w, 0, 1)
            m.wait_for(r"bms: 127\.0\.0\.9: every connection taken: "
                       r"closing 127\.0\.0\.2's, quiet longest \(no request "
                       r"for \d+ ms\), to make room for a writer "
                       r"\(bms\.writers\)")
            self.assertNotIn("room for the master", m.text())
            self.assertTrue(tsn.closed_within(socks[0], 10))
            tsn.read_inputs(socks[1], 0, 1)     # the others still served
        finally:
            for s in socks:
                s.close()


ta.own_tests_only(BmsTest)


class OpsRestartTest(ta.ApiTest):
    def master_again(self, c):
        """The master started again on the same database and port,
        once it has a status (503 until its first cycle)."""
        m = self.master(self.cfg, web=True, same_port=True)
        m.wait_for(r"web UI on", timeout=15)
        deadline = time.monotonic() + 15
        while c.call("GET", "/api/status")[0] == 503:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        return m

    def test_pause_lock_boost_kept_across_a_restart(self):
        """Paused, locked, boosted: back after a restart, an event each;
        the twin: a connector paused then resumed stays resumed."""
        m = self.site(n=3)
        c = self.installer()
        tl.control(self.simsock, "bay-002 car 1 max 32")
        tl.control(self.simsock, "bay-002 plug 1")
        self.wait_status(c, lambda s: all(x["online"]
                                          for x in s["chargers"]) and
                         s["connectors"][1]["state"] != "available",
                         timeout=20)
        for path in ("1/connectors/1/pause", "2/connectors/1/pause",
                     "2/connectors/1/resume", "2/connectors/1/boost",
                     "3/connectors/1/lock"):
            st, j, _ = c.call("POST", "/api/chargers/" + path)
            self.assertEqual(st, 200, (path, j))
        self.wait_status(c, lambda s: s["connectors"][2]["state"] ==
                         "locked")
        # the master stopped; bay-003 restarts meanwhile and forgets its
        # lock: only the master's database has it
        self.assertEqual(m.stop(), 0, m.text()[-3000:])
        tl.control(self.simsock, "bay-003 kill")
        deadline = time.monotonic() + 15
        while tl.control(self.simsock, "bay-003 revive") != "ok":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)
        self.assertEqual(self.sim_status("bay-003")["connectors"][0]
                         ["state"], "available")
        m = self.master_again(c)
        # the chargers answer again, and the cycle has seen them
        s = self.wait_status(c, lambda s: all(x["online"]
                                              for x in s["chargers"]) and
                             s["connectors"][0]["reason"] != "charger_offline"
                             and s["connectors"][2]["state"] == "locked",
                             timeout=20)
        x = s["connectors"]
        self.assertEqual((x[0]["paused"], x[0]["reason"]),
                         (True, "operator_pause"))
        self.assertIn("installer", x[0]["reason_text"])
        self.assertEqual((x[1]["paused"], x[1]["boost"]), (False, True))
        self.assertFalse(x[2]["paused"])
        self.assertEqual(x[2]["state"], "locked")
        e = self.wait_event(c, "operator-state-restored", "bay-001")
        self.assertIn("paused by installer", e["text"])
        self.assertIn("boost", self.wait_event(
            c, "operator-state-restored", "bay-002")["text"])
        self.assertIn("locked", self.wait_event(
            c, "operator-state-restored", "bay-003")["text"])
        # the charger's answer to the lock written again is the site's
        e = self.wait_event(c, "command", "site: bay-003 connector 1 lock")
        self.assertEqual(e["source"], "site")


    def test_pause_kept_when_the_master_dies_at_once(self):
        """A pause the API answered "ok" is on disk at once: the master
        killed (SIGKILL, a crash, a watchdog restart) right after it
        comes back with it (the store's writer is woken for it, not
        left to its next second); the twin: the connector not paused
        comes back not paused."""
        m = self.site(n=2)
        c = self.installer()
        self.wait_status(c, lambda s: all(x["online"]
                                          for x in s["chargers"]))
        st, j, _ = c.call("POST", "/api/chargers/1/connectors/1/pause")
        self.assertEqual(st, 200, j)
        time.sleep(0.1)
        m.stop(signal.SIGKILL)
        self.master_again(c)
        s = self.api_status(c)
        self.assertTrue(s["connectors"][0]["paused"])
        self.assertFalse(s["connectors"][1]["paused"])


ta.own_tests_only(OpsRestartTest)


class BmsDocTest(unittest.TestCase):
    def test_doc_is_the_table(self):
        gen = subprocess.run([os.path.join(tl.BIN, "master/bms-doc")],
                             capture_output=True, text=True, timeout=10)
        with open(os.path.join(tl.SRC, "docs/bms.md")) as f:
            doc = f.read()
        m = re.search(r"<!-- bmsmap:begin -->\n(.*)<!-- bmsmap:end -->",
                      doc, re.S)
        self.assertIsNotNone(m, "docs/bms.md lacks the bmsmap markers")
        self.assertEqual(m.group(1), gen.stdout,
                         "docs/bms.md differs from the register table: "
                         "paste the output of build/.../master/bms-doc")


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main()
