#!/usr/bin/env python3
"""evgroup-sim's circuits: a site file's boards each carry their own load
and their children's, a CT kit per metered board on the ports after
--meter-port reads it, the control socket takes a board's meter off and
back and steps a board's own load (seen by its parents' meters and the
supply's too); bad commands and a bad site file are refused, each next to
its accepted twin. Loopback only; bounded waits; processes stopped."""

import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402  (shared process helpers)

SITE = """[site]
name = circuits test
supply = 100
chargers = 4
connectors = 2
[load]
profile = flat
peak = 20
steps_per_hour = 0
[cars]
arrivals = 0
[circuit1]
name = row-a1
parent = row-a
fuse = 16
chargers = 2
meter = yes
[circuit2]
name = row-a
fuse = 32
chargers = 1
meter = yes
load_peak = 5
[circuit4]
name = row-b
fuse = 32
chargers = 3
"""


def amps(port):
    """The CT kit's currents L1-L3 in A, or None when it does not
    answer."""
    r = tl.mbpoll(port, "-r", "0", "-c", "8", "-t", "3", "-o", "2")
    if r.returncode != 0:
        return None
    regs = tl.mbpoll_regs(r.stdout)
    return [regs[1 + p] / 10.0 for p in range(3)]


class SimCircuitTest(tl.Base):
    def write_site(self, text):
        site = os.path.join(self.tmp, "site.ini")
        with open(site, "w") as f:
            f.write(text)
        return site

    def sim_argv(self, site, base):
        self.simsock = os.path.join(self.tmp, "sim.sock")
        self.mconf = os.path.join(self.tmp, "master.ini")
        return [os.path.join(tl.BIN, "sim/evgroup-sim"), "--site", site,
                "--base-port", str(base), "--meter-port", str(base + 4),
                "--control", self.simsock, "--master-config", self.mconf]

    def ctl(self, line):
        return tl.control(self.simsock, line)

    def wait_amps(self, port, want, timeout=10):
        """Bounded: the kit's reading once it is want (within 0.5 A)."""
        deadline = time.monotonic() + timeout
        got = None
        while time.monotonic() < deadline:
            got = amps(port)
            if got is not None and all(abs(a - b) <= 0.5
                                       for a, b in zip(got, want)):
                return got
            time.sleep(0.2)
        self.fail("port %d reads %s, expected %s" % (port, got, want))

    def test_boards_meters_and_commands(self):
        base = tl.free_ports(7)
        self.start("sim", self.sim_argv(self.write_site(SITE), base))
        tl.wait_control(self.simsock)
        circ = json.loads(self.ctl("circuits"))
        # a parent before its child; meters after --meter-port in that order
        self.assertEqual([c["name"] for c in circ], ["row-a", "row-b",
                                                     "row-a1"])
        self.assertEqual([c["parent"] for c in circ], ["supply", "supply",
                                                       "row-a"])
        self.assertEqual([c["meter_port"] for c in circ],
                         [base + 5, 0, base + 6])
        # a flat 20 A building (100 / 85 / 93 %), row-a's share: 5 A of it
        self.wait_amps(base + 5, [5.0, 4.3, 4.7])
        self.wait_amps(base + 6, [0, 0, 0])
        self.wait_amps(base + 4, [20.0, 17.0, 18.6])
        # a step on the child board: its parent and the supply see it
        self.assertEqual(self.ctl("circuit row-a1 load 10 0 2.5"), "ok")
        self.wait_amps(base + 6, [10.0, 0, 2.5])
        self.wait_amps(base + 5, [15.0, 4.3, 7.2])
        self.wait_amps(base + 4, [30.0, 17.0, 21.1])
        circ = json.loads(self.ctl("circuits"))
        self.assertEqual(circ[1]["current"], [0, 0, 0])
        self.assertEqual(self.ctl("circuit row-a1 load 0"), "ok")
        self.wait_amps(base + 5, [5.0, 4.3, 4.7])
        # a board's meter off: the others still answer; then back
        self.assertEqual(self.ctl("circuit row-a meter off"), "ok")
        self.assertIsNone(amps(base + 5))
        self.assertIsNotNone(amps(base + 6))
        self.assertIsNotNone(amps(base + 4))
        self.assertFalse(json.loads(self.ctl("circuits"))[0]["meter_online"])
        self.assertEqual(self.ctl("circuit row-a meter on"), "ok")
        self.wait_amps(base + 5, [5.0, 4.3, 4.7])
        # refusals, each with its twin
        self.assertTrue(self.ctl("circuit nope load 1").startswith(
            "error: circuit: no circuit"))
        self.assertEqual(self.ctl("circuit row-b load 1"), "ok")
        self.assertTrue(self.ctl("circuit row-b meter off").startswith(
            "error: circuit meter: that circuit has no meter"))
        self.assertEqual(self.ctl("circuit row-a1 meter off"), "ok")
        self.assertTrue(self.ctl("circuit row-a load x").startswith(
            "error: circuit load"))
        self.assertTrue(self.ctl("circuit row-a load 1 2").startswith(
            "error"))
        self.assertEqual(self.ctl("circuit row-a load 1 2 3"), "ok")
        self.assertTrue(self.ctl("circuit row-a").startswith("error"))

    def test_master_config_has_the_circuits(self):
        base = tl.free_ports(7)
        site = SITE.replace("[site]\n", "[site]\nimbalance = 20\n").replace(
            "chargers = 3\n", "chargers = 3\nload_peak = 3\n") + \
            "[demand]\nwindow = 30\ntarget = 40\nunit = kva\n"
        self.start("sim", self.sim_argv(self.write_site(site), base))
        tl.wait_control(self.simsock)
        with open(self.mconf) as f:
            conf = f.read()
        self.assertIn("imbalance = 20.0\n", conf)
        self.assertIn("[demand]\nenabled = yes\nwindow = 30\n"
                      "target = 40.0\nunit = kva\n", conf)
        self.assertIn("[circuit1]\nname = row-a\nparent = supply\n"
                      "limit = 32.0\nmeter = sense\nmeter_transport = tcp\n"
                      "meter_host = 127.0.0.1\nmeter_port = %d\n" % (base + 5),
                      conf)
        # no meter: its own load kept free
        self.assertIn("[circuit2]\nname = row-b\nparent = supply\n"
                      "limit = 32.0\nmargin = 3.0\n\n", conf)
        self.assertIn("[circuit3]\nname = row-a1\nparent = row-a\n"
                      "limit = 16.0\nmeter = sense\n", conf)
        self.assertIn("name = bay-002\n", conf)
        self.assertEqual(conf.count("circuit = row-a1\n"), 1)
        self.assertEqual(conf.count("circuit = "), 3)
        # the master takes it as written
        r = subprocess.run([os.path.join(tl.BIN, "master/evgroup-master"),
                            "--config", self.mconf, "--check-config"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_master_keeps_each_board(self):
        """The real master on the simulated site: a load step on one
        board brings its cars down until its real current is within its
        fuse; its meter silent, its chargers get its offline limit."""
        site = """[site]
name = boards end to end
supply = 100
margin = 2
chargers = 4
connectors = 2
max_current = 16
[load]
profile = flat
peak = 10
steps_per_hour = 0
[cars]
arrivals = 0
present = 8
dwell = 600
single_16 = 0
single_32 = 0
three_16 = 100
three_32 = 0
[circuit1]
name = row-a
fuse = 32
chargers = 1-2
meter = yes
[circuit2]
name = row-b
fuse = 32
chargers = 3-4
"""
        base = tl.free_ports(6)
        status = os.path.join(self.tmp, "status.json")
        self.start("sim", self.sim_argv(self.write_site(site), base))
        tl.wait_control(self.simsock)
        m = self.master(self.mconf, "--set", "site.status_file=" + status)
        m.wait_for(r"circuit row-a: its meter is online", timeout=30)

        def board(name):
            return next(c for c in json.loads(self.ctl("circuits"))
                        if c["name"] == name)

        def master_circuit(name):
            try:
                with open(status) as f:
                    st = json.load(f)
            except (OSError, ValueError):
                return None
            return next((c for c in st.get("circuits", [])
                         if c["name"] == name), None)

        def until(what, cond, timeout=60):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if cond():
                    return
                time.sleep(0.3)
            self.fail("%s: row-a %s, master %s" % (
                what, board("row-a"), master_circuit("row-a")))

        # four 16 A cars on each 32 A board: both boards full, within
        until("cars charging", lambda: min(board("row-a")["current"]) > 25
              and min(board("row-b")["current"]) > 25)
        until("both boards within their fuse", lambda: all(
            max(board(name)["current"]) <= 32.0
            for name in ("row-a", "row-b")), timeout=30)
        # 15 A more of row-a's own load: its cars come down, row-b's not
        self.assertEqual(self.ctl("circuit row-a load 15"), "ok")
        until("row-a within its fuse after the step",
              lambda: max(board("row-a")["current"]) <= 32.0, timeout=30)
        self.assertGreater(min(board("row-b")["current"]), 25)
        # ... and what is left goes to row-a's cars (two at 6 A or more)
        until("row-a's cars share what the step left", lambda: 27.0 <= min(
            board("row-a")["current"]) and max(board("row-a")["current"])
            <= 32.0, timeout=30)
        # its meter silent: its chargers get its offline limit (10 A)
        self.assertEqual(self.ctl("circuit row-a meter off"), "ok")
        until("row-a's meter offline in the master",
              lambda: (master_circuit("row-a") or {}).get("meter", {})
              .get("online") is False, timeout=30)
        until("row-a's cars within its offline limit",
              lambda: max(board("row-a")["current"]) <= 15.0 + 10.0,
              timeout=30)
        self.assertEqual(self.ctl("circuit row-a meter on"), "ok")
        until("row-a's meter back", lambda: (master_circuit("row-a") or {})
              .get("meter", {}).get("online") is True, timeout=30)

    def refused(self, text, base, why):
        r = subprocess.run(self.sim_argv(self.write_site(text), base),
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(why, r.stderr)
        self.assertFalse(os.path.exists(self.mconf))

    def test_bad_site_file_refused(self):
        base = tl.free_ports(7)
        self.refused(SITE.replace("parent = row-a", "parent = row-c"), base,
                     "circuit1.parent: 'row-c': no circuit of that name")
        self.refused(SITE.replace("fuse = 16", "fuse = 40"), base,
                     "circuit1.fuse: 40.0 A is above its parent's 32.0 A")
        # the twin: the same file as it should be starts
        self.start("sim", self.sim_argv(self.write_site(SITE), base))
        tl.wait_control(self.simsock)
        self.assertEqual(len(json.loads(self.ctl("circuits"))), 3)


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
