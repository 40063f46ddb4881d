#!/usr/bin/env python3
"""Security of the charger network (issue 17, section 4): the charger's
Modbus TCP server against idle and crowding connections, the master
against writes by someone else, and the link settings' defaults. The real
evgroup-slave, evgroup-sim and evgroup-master on loopback; 127.0.0.1 is
the master (and in every charger's link.masters), 127.0.0.2x stand for
other machines on the charger network (a socket bound to that source
address). Each refusal has its positive twin: the same thing done right
succeeds. Bounded waits; every process is stopped."""

import configparser
import os
import re
import socket
import struct
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402
import test_site as ts  # noqa: E402
import test_api as ta  # noqa: E402

# slave/mbguard.h: MBG_IDLE_MS, MBG_PER_ADDR
IDLE_S = 5.0
PER_ADDR = 2


def connect(port, src, timeout=3):
    """A TCP connection to the charger from source address src."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def recvn(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionResetError("closed")
        data += chunk
    return data


def request(s, pdu, tid=1, unit=1):
    """One Modbus TCP request; the answer's PDU."""
    s.sendall(struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu)
    hdr = recvn(s, 7)
    t, proto, length, _ = struct.unpack(">HHHB", hdr)
    if (t, proto) != (tid, 0) or length < 2:
        raise AssertionError("not our answer: %r" % hdr)
    return recvn(s, length - 1)


def read_inputs(s, addr, count):
    pdu = request(s, struct.pack(">BHH", 4, addr, count))
    if pdu[0] != 4:
        raise AssertionError("exception %r" % pdu)
    return struct.unpack(">%dH" % count, pdu[2:])


def write_reg(s, addr, value):
    """Function 06; 0 when taken, else the exception code."""
    pdu = request(s, struct.pack(">BHH", 6, addr, value))
    return 0 if pdu[0] == 6 else pdu[1]


def write_regs(s, addr, values):
    """Function 16; 0 when taken, else the exception code."""
    pdu = request(s, struct.pack(">BHHB%dH" % len(values), 16, addr,
                                 len(values), 2 * len(values), *values))
    return 0 if pdu[0] == 16 else pdu[1]


def read_holding(s, addr, count):
    pdu = request(s, struct.pack(">BHH", 3, addr, count))
    if pdu[0] != 3:
        raise AssertionError("exception %r" % pdu)
    return struct.unpack(">%dH" % count, pdu[2:])


def answers(s):
    """Does the charger answer a read on this connection?"""
    try:
        return read_inputs(s, 0, 1) == (2,)     # map version
    except (OSError, AssertionError):
        return False


def closed_within(s, timeout):
    """Does the charger close this connection within timeout s?"""
    s.settimeout(timeout)
    try:
        return s.recv(64) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def junk_flood(port, src, n):
    """n connections from src, each sending an HTTP request (not Modbus)
    and waiting until the server closes it."""
    for _ in range(n):
        with connect(port, src, timeout=10) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            try:
                while s.recv(64):
                    pass
            except ConnectionResetError:
                pass


def check_junk_flood(test, proc, port, name, n=1000):
    """A flood of junk connections: the first closing logged, the rest
    counted in one line at the stop; the twin: a good read after it."""
    pos = len(proc.text())
    t0 = time.monotonic()
    junk_flood(port, "127.0.0.23", n)
    took = time.monotonic() - t0
    with connect(port, "127.0.0.23") as s:
        test.assertEqual(len(read_inputs(s, 0, 1)), 1)
    lines = [x for x in proc.text()[pos:].splitlines()
             if "127.0.0.23" in x]
    test.assertEqual(len(lines), 1, lines[:5])
    test.assertRegex(lines[0], r"%s: 127\.0\.0\.23: not a Modbus TCP "
                     r"frame, closing$" % name)
    proc.stop()
    tail = proc.text()[pos:]
    mm = re.search(r"%s: (\d+) more connections closed since the last "
                   r"line of their kind, the last: 127\.0\.0\.23: not a Modbus TCP frame, "
                   r"closing" % name, tail)
    test.assertIsNotNone(mm, tail[-2000:])
    test.assertEqual(int(mm.group(1)), n - 1)
    print("\n%d junk connections in %.2f s: %d log lines in all, to the "
          "stop" % (n, took, len(tail.splitlines())), file=sys.stderr)


def charger_port(cfg):
    c = configparser.ConfigParser()
    c.read(cfg)
    return int(c["charger1"]["port"])


def foreign_write(port, addr, value):
    """Another program on an allowed address (127.0.0.1) writes once."""
    with connect(port, "127.0.0.1") as s:
        return write_reg(s, addr, value)


def fallback_settings(port):
    """The charger's holding registers 1-2, read from another address."""
    with connect(port, "127.0.0.21") as s:
        return read_holding(s, 1, 2)


class ServerTest(tl.Base):
    """The charger's server: who gets a connection, and for how long."""

    def test_connections_per_address(self):
        port = tl.free_port()
        self.slave("slave", port)
        first = [connect(port, "127.0.0.21") for _ in range(PER_ADDR)]
        for s in first:
            self.assertTrue(answers(s))
        # One more from the same address: closed on accept.
        extra = connect(port, "127.0.0.21")
        self.assertTrue(closed_within(extra, 2))
        # Positive twin: another address gets its connection, and the
        # first ones are still served.
        other = connect(port, "127.0.0.22")
        self.assertTrue(answers(other))
        for s in first:
            self.assertTrue(answers(s))
        # The master's address holds as many (its poll and the web
        # UI's charger test); a third takes the place of its quietest
        # (one it lost half-open), not refused.
        mine = [connect(port, "127.0.0.1") for _ in range(PER_ADDR)]
        for s in mine:
            self.assertTrue(answers(s))
        mine.append(connect(port, "127.0.0.1"))
        self.assertTrue(closed_within(mine[0], 2))
        for s in mine[1:]:
            self.assertTrue(answers(s))
        for s in first + [extra, other] + mine:
            s.close()

    def test_one_master_cannot_take_anothers_slots(self):
        # Two masters (an appliance and its standby). One of them opens
        # every slot the charger has and leaves them idle.
        port = tl.free_port()
        self.slave("slave", port, "--set",
                   "link.masters=127.0.0.1,127.0.0.2")
        crowd = []
        for _ in range(8):
            crowd.append(connect(port, "127.0.0.2"))
            time.sleep(0.02)        # accepted in this order
        # The other master still gets in, at once and after the idle
        # timeout of other addresses.
        first = connect(port, "127.0.0.1")
        self.assertTrue(answers(first))
        time.sleep(IDLE_S + 1)
        later = connect(port, "127.0.0.1")
        self.assertTrue(answers(later))
        self.assertTrue(answers(first))
        # Positive twin: the crowding master keeps its newest two,
        # served; its older ones made room for them.
        for s in crowd[-PER_ADDR:]:
            self.assertTrue(answers(s))
        for s in crowd[:-PER_ADDR]:
            self.assertTrue(closed_within(s, 1))
        for s in crowd + [first, later]:
            s.close()

    def test_junk_flood_does_not_flood_the_log(self):
        port = tl.free_port()
        s = self.slave("slave", port)
        check_junk_flood(self, s, port, r"\S+")

    def test_idle_connections_dropped_but_not_the_masters(self):
        port = tl.free_port()
        s = self.slave("slave", port)
        t0 = time.monotonic()
        idle = connect(port, "127.0.0.21")
        busy = connect(port, "127.0.0.22")
        master_idle = connect(port, "127.0.0.1")
        # The idle one from another address is dropped after IDLE_S, not
        # before; the busy one (a request every second) is kept.
        closed_at = None
        while time.monotonic() - t0 < IDLE_S + 3:
            self.assertTrue(answers(busy))
            if closed_at is None and closed_within(idle, 1.0):
                closed_at = time.monotonic() - t0
        self.assertIsNotNone(closed_at, "idle connection never dropped")
        self.assertGreaterEqual(closed_at, IDLE_S - 0.5)
        s.wait_for(r"127\.0\.0\.21: idle for 5000 ms, closing")
        # Positive twin: the master's address keeps its idle connection.
        self.assertTrue(answers(master_idle))
        for c in (idle, busy, master_idle):
            c.close()


@ts.own_tests_only
class CrowdTest(ts.SiteTest):
    """Connections from other addresses made while a charger restarts
    must not keep its master out."""

    def test_idle_crowd_does_not_keep_the_master_off(self):
        m = self.start_site(n=1)
        port = charger_port(self.cfg)
        pos = m.wait_for(r"charger bay-001 \(127\.0\.0\.1:%d\): online"
                         % port)
        self.assertEqual(tl.control(self.simsock, "bay-001 kill"), "ok")
        pos = m.wait_for(r"bay-001 .*: offline after", after=pos, timeout=10)
        deadline = time.monotonic() + 5
        while tl.control(self.simsock, "bay-001 revive") != "ok":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        # Every slot the charger has, taken at once from four other
        # addresses (two each, the most an address may have).
        crowd = []
        for i in range(4):
            for _ in range(PER_ADDR):
                crowd.append(connect(port, "127.0.0.%d" % (21 + i)))
        t0 = time.monotonic()
        # The master gets in at its next attempt (back-off 1-4 s here).
        m.wait_for(r"charger bay-001 \(127\.0\.0\.1:%d\): online" % port,
                   after=pos, timeout=10)
        # ...and the crowd is gone once idle: none is left open.
        for c in crowd:
            self.assertTrue(closed_within(
                c, max(0.1, IDLE_S + 2 - (time.monotonic() - t0))))
            c.close()
        # A restart is no one else's write: no foreign event.
        self.assertNotIn("changed by someone else", m.text())


@ts.own_tests_only
class ForeignWriteTest(ts.SiteTest):
    """What another writer changes, the master notices and undoes; what
    the master decided (an operator's lock or pause) stays."""

    def setUp(self):
        super().setUp()
        self.m = self.start_site(n=1, poll=300)
        self.port = charger_port(self.cfg)
        self.pos = self.m.wait_for(r"charger bay-001 \(127\.0\.0\.1:\d+\): "
                                   r"online")

    def state(self):
        return self.sim_status("bay-001")["connectors"][0]["state"]

    def wait_state(self, pred, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.state()
            if pred(st):
                return st
            time.sleep(0.05)
        return self.state()

    def test_foreign_lock_kept_foreign_unlock_undone(self):
        # Another writer locks: the connector stays out of service (never
        # unlocked automatically), the master now holds it locked, and
        # says so.
        self.assertEqual(foreign_write(self.port, 101, 3), 0)
        pos = self.m.wait_for(r"bay-001: connector 1 locked: changed by "
                              r"someone else, kept locked \(an operator "
                              r"unlocks it through the appliance\)",
                              timeout=5, after=self.pos)
        self.assertEqual(self.wait_state(lambda s: s == "locked", 5),
                         "locked")
        time.sleep(1.5)          # several polls
        self.assertEqual(self.state(), "locked")
        # Someone else unlocks it: a lock the master holds, so locked
        # again, and said.
        self.assertEqual(foreign_write(self.port, 101, 4), 0)
        pos = self.m.wait_for(r"bay-001: connector 1 unlocked: changed by "
                              r"someone else, locking it again", timeout=5,
                              after=pos)
        self.assertEqual(self.wait_state(lambda s: s == "locked", 5),
                         "locked")
        # Positive twin: the operator's unlock through the master puts
        # it back into service, and that stays.
        self.assertEqual(tl.control(self.master_ctl, "unlock bay-001 1"),
                         "ok")
        self.assertNotEqual(self.wait_state(lambda s: s != "locked", 5),
                            "locked")
        time.sleep(1.5)
        self.assertNotEqual(self.state(), "locked")
        # A lock made at the charger itself (its console) is kept too.
        self.assertEqual(tl.control(self.simsock, "bay-001 lock 1"), "ok")
        pos = self.m.wait_for(r"bay-001: connector 1 locked: changed by "
                              r"someone else, kept locked", timeout=5,
                              after=pos)
        time.sleep(1.5)
        self.assertEqual(self.state(), "locked")
        # The operator's lock and unlock through the master are not
        # someone else's, and both stay.
        self.assertEqual(tl.control(self.master_ctl, "unlock bay-001 1"),
                         "ok")
        self.assertNotEqual(self.wait_state(lambda s: s != "locked", 5),
                            "locked")
        self.assertEqual(tl.control(self.master_ctl, "lock bay-001 1"), "ok")
        self.assertEqual(self.wait_state(lambda s: s == "locked", 5),
                         "locked")
        time.sleep(1.5)
        self.assertEqual(self.state(), "locked")
        self.assertEqual(self.m.text().count("changed by someone else"), 3)

    def test_restarts_are_nobody_elses(self):
        # The operator locks connector 1; the charger restarts twice,
        # the second time just after the master locked it again (its
        # uptime does not go back between the two reads).
        self.assertEqual(tl.control(self.master_ctl, "lock bay-001 1"), "ok")
        self.assertEqual(self.wait_state(lambda s: s == "locked", 5),
                         "locked")
        for pause in (0, 1.5):
            self.assertEqual(tl.control(self.simsock, "bay-001 kill"), "ok")
            time.sleep(pause)
            self.assertEqual(tl.control(self.simsock, "bay-001 revive"),
                             "ok")
            self.assertEqual(self.wait_state(lambda s: s == "locked", 8),
                             "locked")
        time.sleep(1.0)
        self.assertEqual(self.state(), "locked")
        self.assertNotIn("changed by someone else", self.m.text())

    def test_foreign_fallback_undone(self):
        # The master's fallback settings (site.fallback_current 0,
        # fallback_timeout 5 s) are in the charger, read at every poll
        # and not reported; written again with the same values, nothing
        # to say (positive twin).
        deadline = time.monotonic() + 5
        while fallback_settings(self.port) != (0, 5):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        with connect(self.port, "127.0.0.1") as s:
            self.assertEqual(write_regs(s, 1, [0, 5]), 0)
        time.sleep(1.0)
        self.assertNotIn("changed by someone else", self.m.text())
        # Another writer on an allowed address: 80 A after 600 s at the
        # next outage instead of a pause after 5 s. Undone, and said.
        with connect(self.port, "127.0.0.1") as s:
            self.assertEqual(write_reg(s, 1, 800), 0)
            self.assertEqual(write_reg(s, 2, 600), 0)
        self.m.wait_for(r"bay-001: fallback 80\.0 A after 600 s, not "
                        r"0\.0 A after 5 s: changed by someone else, "
                        r"writing 0\.0 A after 5 s", timeout=5,
                        after=self.pos)
        deadline = time.monotonic() + 5
        while fallback_settings(self.port) != (0, 5):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.1)
        self.assertEqual(self.m.text().count("changed by someone else"), 1)

    def test_foreign_setpoint_and_pause_undone_operator_pause_kept(self):
        tl.control(self.simsock, "meter base 0 0 0")
        tl.control(self.simsock, "bay-001 car 1 max 32")
        tl.control(self.simsock, "bay-001 plug 1")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.in_force(1) != [32.0]:
            time.sleep(0.1)
        self.assertEqual(self.in_force(1), [32.0])
        # Another writer lowers it (a pause): put back, and said.
        self.assertEqual(foreign_write(self.port, 100, 0), 0)
        pos = self.m.wait_for(r"bay-001: connector 1 setpoint 0\.0 A, not "
                              r"32\.0 A: changed by someone else, writing "
                              r"32\.0 A\n", timeout=5, after=self.pos)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.in_force(1) != [32.0]:
            time.sleep(0.05)
        self.assertEqual(self.in_force(1), [32.0])
        # Positive twin: the operator's pause through the master stays.
        self.assertEqual(tl.control(self.master_ctl, "pause bay-001 1"), "ok")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.in_force(1) != [0.0]:
            time.sleep(0.05)
        self.assertEqual(self.in_force(1), [0.0])
        time.sleep(1.5)
        self.assertEqual(self.in_force(1), [0.0])
        # Someone else resumes it at 16 A, then writes it at 10 Hz for
        # 2 s: every write undone (paused again), but no more warnings
        # within the minute (they would push the real events out).
        self.assertEqual(foreign_write(self.port, 100, 160), 0)
        with connect(self.port, "127.0.0.1") as s:
            t0 = time.monotonic()
            while time.monotonic() - t0 < 2.0:
                self.assertEqual(write_reg(s, 100, 160), 0)
                time.sleep(0.1)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and self.in_force(1) != [0.0]:
            time.sleep(0.05)
        self.assertEqual(self.in_force(1), [0.0])
        time.sleep(1.0)
        self.assertEqual(self.in_force(1), [0.0])
        self.assertEqual(self.m.text().count("changed by someone else"), 1)


class LinkDefaultsTest(tl.Base):
    """link.listen and link.masters: safe by default, and a charger that
    refuses the appliance's writes says how to allow them."""

    def check(self, *sets):
        argv = [os.path.join(tl.BIN, "slave/evgroup-slave"), "--check-config"]
        for s in sets:
            argv += ["--set", s]
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=20)

    def test_defaults_and_masters_for_a_network_address(self):
        # The defaults: loopback only, until the installer sets both.
        r = self.check("link.enabled=yes")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("listen = 127.0.0.1\n", r.stdout)
        self.assertIn("masters = 127.0.0.1\n", r.stdout)
        # Listening on a network address with only loopback masters: no
        # master could write; refused, saying what to set.
        r = self.check("link.enabled=yes", "link.listen=192.168.10.21")
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("link.masters", r.stderr)
        self.assertIn("appliance's address on the charger network",
                      r.stderr)
        # Positive twin: the appliance's address in link.masters.
        r = self.check("link.enabled=yes", "link.listen=192.168.10.21",
                       "link.masters=192.168.10.1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_masters_are_machines(self):
        # No machine connects from the unspecified address, a broadcast
        # or a multicast one: such a list lets no master write. Refused,
        # naming the file, the line and the key.
        ini = os.path.join(self.tmp, "slave.ini")
        for bad in ("0.0.0.0", "255.255.255.255", "224.0.0.1",
                    "192.168.10.1, 0.0.0.0"):
            with open(ini, "w") as f:
                f.write("[link]\nenabled = yes\nmasters = %s\n"
                        "listen = 192.168.10.21\n" % bad)
            r = subprocess.run([os.path.join(tl.BIN, "slave/evgroup-slave"),
                                "--config", ini, "--check-config"],
                               capture_output=True, text=True, timeout=20)
            self.assertEqual(r.returncode, 2, bad + r.stdout + r.stderr)
            self.assertIn("%s:3: link.masters: '%s' is not one machine's "
                          "address" % (ini, bad.split(", ")[-1]), r.stderr)
            r = self.check("link.masters=" + bad)
            self.assertEqual(r.returncode, 2, bad + r.stdout + r.stderr)
            self.assertIn("--set link.masters: ", r.stderr)
        # Positive twin: the appliance's real address, in the same file.
        with open(ini, "w") as f:
            f.write("[link]\nenabled = yes\nmasters = 192.168.10.1, "
                    "192.168.10.2\nlisten = 192.168.10.21\n")
        r = subprocess.run([os.path.join(tl.BIN, "slave/evgroup-slave"),
                            "--config", ini, "--check-config"],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("masters = 192.168.10.1, 192.168.10.2\n", r.stdout)

    def test_charger_test_says_how_to_allow_writes(self):
        p_ok, p_no = tl.free_port(), tl.free_port()
        self.slave("ok", p_ok)
        self.slave("no", p_no, "--set", "link.masters=127.0.0.2")
        cfg = self.master_config([("bay-ok", p_ok, "connectors = 2\n"),
                                  ("bay-no", p_no, "connectors = 2\n")])
        m = self.master(cfg, web=True)
        m.wait_for(r"web UI on http://127.0.0.1:%d/" % self.web_port)
        c = ta.Client(self.web_port)
        self.assertEqual(c.login("installer", "installer")[0], 200)
        self.assertEqual(c.call("POST", "/api/password", {
            "old": "installer", "new": ta.PASSWORD})[0], 200)
        st, j, _ = c.call("POST", "/api/chargers/2/test")
        self.assertEqual(st, 200, j)
        self.assertTrue(j["reachable"], j)
        self.assertFalse(j["writable"], j)
        self.assertEqual(j["appliance_address"], "127.0.0.1")
        self.assertIn("link.masters", j["write_error"])
        self.assertIn("127.0.0.1", j["write_error"])
        # Positive twin: a charger that lists the appliance.
        st, j, _ = c.call("POST", "/api/chargers/1/test")
        self.assertEqual(st, 200, j)
        self.assertTrue(j["reachable"] and j["writable"], j)
        # The web UI shows the hint it is given.
        with open(os.path.join(tl.SRC, "webui/app.js")) as f:
            self.assertIn("write_error", f.read())


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
