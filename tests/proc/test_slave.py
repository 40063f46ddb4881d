#!/usr/bin/env python3
"""Process-level tests of evgroup-slave: the real program, its control
socket and its configuration handling. Every wait is bounded; every
process started is stopped in tearDown."""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

SLAVE = None        # path to evgroup-slave, from the command line
CONFIG_DIR = None   # the project's config/ folder


class Slave:
    """One evgroup-slave process with a connection to its control socket."""

    def __init__(self, *args):
        self.dir = tempfile.TemporaryDirectory(prefix="evg-slave-")
        self.sock_path = os.path.join(self.dir.name, "ctl.sock")
        self.proc = subprocess.Popen(
            [SLAVE, "--hal", "sim", "--control", self.sock_path, *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.sock = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("slave exited: " + self.proc.stderr.read())
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(5)
                s.connect(self.sock_path)
                self.sock = s
                break
            except OSError:
                s.close()
                time.sleep(0.05)
        if self.sock is None:
            self.stop()
            raise RuntimeError("control socket did not appear")
        self.rfile = self.sock.makefile("r")

    def cmd(self, line):
        self.sock.sendall((line + "\n").encode())
        return self.rfile.readline().rstrip("\n")

    def status(self):
        return json.loads(self.cmd("status"))

    def conn(self, n=1):
        return self.status()["connectors"][n - 1]

    def wait_for(self, pred, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.status()
            if pred(st):
                return st
            time.sleep(0.05)
        raise AssertionError("condition not met within %.1f s: %s"
                             % (timeout, json.dumps(self.status())))

    def stop(self):
        if self.sock is not None:
            self.sock.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        out, err = self.proc.communicate()
        self.dir.cleanup()
        return self.proc.returncode, out, err


class SessionTest(unittest.TestCase):
    def setUp(self):
        self.slave = Slave("--set", "unit.connectors=2")

    def tearDown(self):
        # a sanitizer's report at exit fails the test (ASan/UBSan build)
        _, out, err = self.slave.stop()
        self.assertNotRegex(out + err, r"ERROR: \w+Sanitizer|runtime error:")

    def test_whole_session(self):
        s = self.slave
        self.assertEqual(s.cmd("setpoint 1 16.0"), "ok")
        self.assertEqual(s.cmd("car 1 lag 500"), "ok")
        self.assertEqual(s.cmd("plug 1"), "ok")
        st = s.wait_for(lambda st: st["connectors"][0]["contactor"])
        c = st["connectors"][0]
        self.assertEqual(c["state"], "charging")
        self.assertEqual(c["cp"], "C")
        self.assertEqual(c["offer"], 16.0)
        self.assertEqual(c["duty"], 26.6)
        self.assertEqual(c["pilot"], "pwm")
        self.assertEqual(c["led"]["code"], "charging")
        self.assertTrue(c["session"]["active"])
        self.assertEqual(c["session"]["number"], 1)
        # The default car draws 16 A on three phases: 11 kW, 3 Wh a second.
        e0 = c["session"]["energy_wh"]
        st = s.wait_for(lambda st: st["connectors"][0]["session"]
                        ["energy_wh"] >= e0 + 6, timeout=10)
        self.assertEqual(st["connectors"][0]["current"], [16.0, 16.0, 16.0])
        # Lower the offer: the duty cycle follows at once.
        self.assertEqual(s.cmd("setpoint 1 10"), "ok")
        st = s.wait_for(lambda st: st["connectors"][0]["duty"] == 16.6)
        # Pause and resume.
        self.assertEqual(s.cmd("setpoint 1 0"), "ok")
        st = s.wait_for(lambda st: not st["connectors"][0]["contactor"])
        self.assertEqual(st["connectors"][0]["state"], "waiting-for-current")
        self.assertEqual(st["connectors"][0]["pilot"], "+12V")
        # Unplug ends the session with its reason.
        self.assertEqual(s.cmd("unplug 1"), "ok")
        st = s.wait_for(lambda st: not st["connectors"][0]["session"]
                        ["active"])
        c = st["connectors"][0]
        self.assertEqual(c["session"]["stop_reason"], "unplug")
        self.assertGreaterEqual(c["session"]["energy_wh"], e0 + 6)
        self.assertEqual(c["state"], "available")
        self.assertEqual(st["connectors"][1]["state"], "available")

    def test_fault_and_reset(self):
        s = self.slave
        s.cmd("plug 2")
        s.wait_for(lambda st: st["connectors"][1]["contactor"])
        self.assertEqual(s.cmd("fault 2 weld"), "ok")
        self.assertEqual(s.cmd("car 2 stop"), "ok")
        st = s.wait_for(lambda st: "welded" in st["connectors"][1]["latched"])
        c = st["connectors"][1]
        self.assertEqual(c["state"], "fault")
        self.assertEqual(c["pilot"], "-12V")
        self.assertEqual(c["led"]["colours"], ["red", "yellow"])
        self.assertTrue(s.cmd("reset 2").startswith("error: reset"))
        self.assertEqual(s.cmd("clear 2 weld"), "ok")
        time.sleep(0.2)
        self.assertEqual(s.cmd("reset 2"), "ok")
        s.wait_for(lambda st: st["connectors"][1]["faults"] == [])

    def test_bad_input_changes_nothing(self):
        s = self.slave
        before = s.conn(1)
        for line in ["bogus", "setpoint 1 3.0", "setpoint 1 40", "plug 9",
                     "car 1 max 100", "fault 1 fire", "temp", "rfid 1 zz",
                     "\x7f\x01\x02", "a " * 40]:
            reply = s.cmd(line)
            self.assertTrue(reply.startswith("error: "), (line, reply))
        reply = s.cmd("x" * 5000)
        self.assertEqual(reply, "error: line too long")
        # Raw bytes that are not UTF-8 at all.
        s.sock.sendall(b"\xff\xfe\x00\x80 plug 1\n")
        self.assertTrue(s.rfile.readline().startswith("error: "))
        after = s.conn(1)
        for key in ("setpoint", "state", "offer", "faults"):
            self.assertEqual(before[key], after[key])
        self.assertFalse(after["car"]["plugged"])
        # A client that leaves mid-line does not disturb the others.
        other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        other.connect(s.sock_path)
        other.sendall(b"plug 1")
        other.close()
        self.assertEqual(s.status()["connectors"][0]["car"]["plugged"], False)
        self.assertEqual(s.cmd("help")[:9], "commands:")


class ProgramTest(unittest.TestCase):
    def run_slave(self, *args):
        return subprocess.run([SLAVE, *args], capture_output=True, text=True,
                              timeout=20)

    def test_check_config_example(self):
        r = self.run_slave("--config", os.path.join(CONFIG_DIR, "slave.ini"),
                           "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration OK", r.stdout)
        self.assertIn("[connector2]", r.stdout)

    def test_config_errors_exit_2(self):
        with tempfile.NamedTemporaryFile("w", suffix=".ini") as f:
            f.write("[unit]\nconnectors = 2\nmax_current = 90\n")
            f.flush()
            r = self.run_slave("--config", f.name, "--check-config")
            self.assertEqual(r.returncode, 2)
            self.assertIn("%s:3: unit.max_current: must be 6.0-80.0 A"
                          % f.name, r.stderr)
        r = self.run_slave("--set", "unit.tick_ms=0", "--check-config")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unit.tick_ms: must be 1-20 ms", r.stderr)
        r = self.run_slave("--set", "connector1.max_current=40",
                           "--check-config")
        self.assertEqual(r.returncode, 2)
        self.assertIn("connector1.max_current", r.stderr)
        r = self.run_slave("--hal", "gpio")
        self.assertEqual(r.returncode, 2)
        r = self.run_slave("--config", "/nonexistent.ini")
        self.assertEqual(r.returncode, 2)
        self.assertIn("No such file", r.stderr)

    def test_sigterm_stops_cleanly(self):
        s = Slave()
        path = s.sock_path
        # the control socket is up before the first tick has read the
        # pilot (a loaded machine): the line below comes with that read
        s.wait_for(lambda st: st["connectors"][0]["cp"] == "A")
        rc, out, err = s.stop()
        self.assertEqual(rc, 0, err)
        self.assertFalse(os.path.exists(path))
        self.assertIn("pilot invalid -> A", out)


if __name__ == "__main__":
    SLAVE = os.path.abspath(sys.argv.pop(1))
    CONFIG_DIR = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
