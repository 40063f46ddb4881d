#!/usr/bin/env python3
"""Process-level tests of the master-slave link: evgroup-slave's register
map driven by mbpoll, evgroup-master against a charger emulated with
pymodbus, and the faults a car park's network produces (a charger killed
and restarted, a blackholed port, the master killed, garbage on the
wire). Loopback only; every wait is bounded; every process is stopped."""

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

BIN = None          # build directory
SRC = None          # source directory
PY = "/usr/bin/python3"


def free_port():
    """A free port for a server, outside the range the kernel picks
    outgoing connections' ports from: make test runs many tests at once,
    and one's connection could take the port between our look and its
    server's bind (EADDRINUSE)."""
    return free_ports(1)


def free_ports(n):
    """n consecutive free ports (for evgroup-sim's base port), below the
    kernel's range for outgoing connections, which a site's worth of
    recently closed ones would riddle with TIME_WAIT."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
    rnd = random.Random()
    for _ in range(500):
        base = rnd.randrange(10000, max(10001, low - n))
        socks = []
        try:
            for i in range(n):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                socks.append(s)
                s.bind(("127.0.0.1", base + i))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")


SANITIZER_RX = re.compile(r"(ERROR: (Address|Leak|Thread|Memory)Sanitizer.*|"
                          r"\S+:\d+:\d+: runtime error: .*)")


def sanitizer_reports(text):
    """The sanitizers' reports in a program's output (first line of each)."""
    return [m.group(0)[:300] for m in SANITIZER_RX.finditer(text)]


class Proc:
    """A program under test, its output in a file we can wait on."""

    def __init__(self, tmp, name, argv):
        self.name = name
        self.log_path = os.path.join(tmp, name + ".log")
        self.log = open(self.log_path, "w")
        self.p = subprocess.Popen(argv, stdout=self.log,
                                  stderr=subprocess.STDOUT)

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_for(self, pattern, timeout=10.0, after=0):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            t = self.text()
            m = rx.search(t, after)
            if m:
                return m.end()
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError("%s: no /%s/ within %.1f s:\n%s"
                             % (self.name, pattern, timeout, self.text()[-3000:]))

    def stop(self, sig=signal.SIGTERM):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(timeout=5)
        self.log.close()
        return self.p.returncode


def control(path, line, timeout=5):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall((line + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode().strip()


def wait_control(path, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            control(path, "help")
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("control socket %s did not appear" % path)


def mbpoll(port, *args):
    """mbpoll OPTIONS 127.0.0.1 [VALUES]: a trailing number is a value."""
    opts, values = list(args), []
    if opts and len(opts) % 2 == 1:
        values = [opts.pop()]
    return subprocess.run(["mbpoll", "-m", "tcp", "-0", "-a", "1", "-1",
                           "-p", str(port), *opts, "127.0.0.1", *values],
                          capture_output=True, text=True, timeout=20)


def mbpoll_regs(out):
    return {int(k): int(v) for k, v in re.findall(r"\[(\d+)\]:\s+(-?\d+)", out)}


class Base(unittest.TestCase):
    def setUp(self):
        self.tmpdir = tempfile.TemporaryDirectory(prefix="evg-link-")
        self.tmp = self.tmpdir.name
        self.procs = []

    def tearDown(self):
        for p in reversed(self.procs):
            p.stop()
        # In the sanitizer builds, a program that ends with a report
        # (memory error, leak, undefined behaviour) fails the test that
        # ran it, whatever the test itself checked.
        reports = ["%s: %s" % (p.name, r) for p in self.procs
                   for r in sanitizer_reports(p.text())]
        self.tmpdir.cleanup()
        if reports:
            self.fail("sanitizer reports:\n" + "\n".join(reports))

    def start(self, name, argv):
        p = Proc(self.tmp, name, argv)
        self.procs.append(p)
        return p

    def slave(self, name, port, *extra):
        sock = os.path.join(self.tmp, name + ".sock")
        p = self.start(name, [os.path.join(BIN, "slave/evgroup-slave"),
                              "--hal", "sim", "--control", sock,
                              "--set", "link.enabled=yes",
                              "--set", "link.listen=127.0.0.1",
                              "--set", "link.port=%d" % port, *extra])
        p.sock = sock
        wait_control(sock)
        return p

    def master(self, config, *extra, web=False, same_port=False):
        """The master; with web=True its web UI on a free port (web_port;
        same_port: the one it had before), otherwise none, so that tests
        never share a port."""
        self.db = os.path.join(self.tmp, "evgroup.db")
        if web:
            if not same_port:
                self.web_port = free_port()
            webset = ["--set", "web.port=%d" % self.web_port]
        else:
            webset = ["--set", "web.enabled=no"]
        return self.start("master", [os.path.join(BIN, "master/evgroup-master"),
                                     "--config", config, "--set",
                                     "site.database=" + self.db, *webset,
                                     *extra])

    def master_config(self, chargers, **site):
        path = os.path.join(self.tmp, "master.ini")
        with open(path, "w") as f:
            f.write("[site]\nname = test\n")
            for k, v in dict(dict(poll_period=300, response_timeout=300,
                                  offline_after=2, fallback_timeout=3),
                             **site).items():
                f.write("%s = %s\n" % (k, v))
            for i, (name, port, extra) in enumerate(chargers, 1):
                f.write("\n[charger%d]\nname = %s\nhost = 127.0.0.1\n"
                        "port = %d\n%s" % (i, name, port, extra))
        return path


class MbpollTest(Base):
    """The register map from mbpoll, a Modbus master we did not write."""

    def test_read_write_and_exceptions(self):
        port = free_port()
        s = self.slave("slave", port)
        r = mbpoll(port, "-r", "0", "-c", "20", "-t", "3")
        self.assertEqual(r.returncode, 0, r.stderr)
        regs = mbpoll_regs(r.stdout)
        self.assertEqual(regs[0], 2)          # map version
        self.assertEqual(regs[1], 2)          # connectors
        self.assertEqual(regs[3], 0)          # normal
        self.assertEqual(regs[8], 2300)       # 230.0 V
        self.assertEqual(regs[11], 320)       # 32.0 A
        self.assertEqual(regs[12], ord("S") << 8 | ord("I"))
        # A setpoint of 16.0 A, read back as the setpoint in force.
        r = mbpoll(port, "-r", "100", "-t", "4", "160")
        self.assertEqual(r.returncode, 0, r.stderr)
        st = json.loads(control(s.sock, "status"))
        self.assertEqual(st["connectors"][0]["setpoint"], 16.0)
        r = mbpoll(port, "-r", "100", "-c", "28", "-t", "3")
        self.assertEqual(mbpoll_regs(r.stdout)[119], 160)
        # 5.0 A: exception 03, nothing changes.
        r = mbpoll(port, "-r", "100", "-t", "4", "50")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Illegal data value", r.stderr)
        # An unknown command, a timeout out of range: exception 03.
        for reg, val in (("101", "9"), ("2", "601"), ("2", "1")):
            r = mbpoll(port, "-r", reg, "-t", "4", val)
            self.assertIn("Illegal data value", r.stderr)
        # Outside the map: exception 02.
        for reg, count in (("20", "1"), ("50", "2"), ("300", "1"),
                           ("90", "20")):
            r = mbpoll(port, "-r", reg, "-c", count, "-t", "3")
            self.assertIn("Illegal data address", r.stderr, (reg, count))
        st = json.loads(control(s.sock, "status"))
        self.assertEqual(st["connectors"][0]["setpoint"], 16.0)
        self.assertEqual(st["link"]["fallback_timeout_s"], 10)

    def test_writes_only_from_masters(self):
        port = free_port()
        s = self.slave("slave", port, "--set", "link.masters=127.0.0.2")
        r = mbpoll(port, "-r", "0", "-c", "4", "-t", "3")
        self.assertEqual(r.returncode, 0, r.stderr)       # reads are fine
        r = mbpoll(port, "-r", "100", "-t", "4", "160")
        self.assertIn("Illegal function", r.stderr)
        st = json.loads(control(s.sock, "status"))
        self.assertEqual(st["connectors"][0]["setpoint"], 0.0)


class EmulatedChargerTest(Base):
    """evgroup-master against a charger emulated with pymodbus."""

    def test_master_reads_states_and_writes_setpoints(self):
        port = free_port()
        emu = self.start("emu", [PY, os.path.join(SRC, "tests/proc/mbemu.py"),
                                 str(port)])
        emu.wait_for("listening")
        time.sleep(0.3)
        cfg = self.master_config([("emu", port, "connectors = 1\n")],
                                 fallback_current=6.0, fallback_timeout=20,
                                 group_limit=12.5)
        m = self.master(cfg)
        m.wait_for(r"charger emu \(127\.0\.0\.1:%d\): online" % port)
        m.wait_for(r"charger emu connector 1: charging \(offer 16\.0 A")
        # What the master wrote: heartbeats that change, the fallback
        # settings once, the setpoint once (then it is in force).
        emu.wait_for(r"write 100 125\n")
        emu.wait_for(r"write 0 3\n", timeout=5)
        log = emu.text()
        self.assertIn("write 1 60 20\n", log)
        self.assertEqual(log.count("write 100 125"), 1)
        beats = [int(v) for v in re.findall(r"write 0 (\d+)\n", log)]
        self.assertEqual(beats, list(range(1, len(beats) + 1)))


class FaultTest(Base):
    def test_charger_killed_and_restarted(self):
        port = free_port()
        s = self.slave("slave", port)
        control(s.sock, "plug 1")
        m = self.master(self.master_config([("bay-1", port, "")],
                                           group_limit=16))
        pos = m.wait_for(r"bay-1 \(127\.0\.0\.1:%d\): online" % port)
        s.stop(signal.SIGKILL)
        pos = m.wait_for(r"bay-1 .*: offline after 2 failed polls", after=pos)
        self.procs.remove(s)
        s = self.slave("slave2", port)
        control(s.sock, "plug 1")
        pos = m.wait_for(r"bay-1 \(127\.0\.0\.1:%d\): online" % port,
                         timeout=15, after=pos)
        # The fresh charger gets its current again.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            st = json.loads(control(s.sock, "status"))
            if st["connectors"][0]["setpoint"] == 16.0:
                break
            time.sleep(0.1)
        self.assertEqual(st["connectors"][0]["setpoint"], 16.0)
        self.assertIsNone(m.p.poll())      # no master restart needed

    def test_blackholed_port_and_master_killed(self):
        base = free_ports(3)
        simsock = os.path.join(self.tmp, "sim.sock")
        cfg = os.path.join(self.tmp, "sim-master.ini")
        sim = self.start("sim", [os.path.join(BIN, "sim/evgroup-sim"),
                                 "--slaves", "3", "--base-port", str(base),
                                 "--control", simsock, "--master-config", cfg])
        wait_control(simsock)
        stats = os.path.join(self.tmp, "stats.json")
        m = self.master(cfg, "--set", "site.poll_period=300",
                        "--set", "site.response_timeout=300",
                        "--set", "site.offline_after=2",
                        "--set", "site.fallback_timeout=3",
                        "--set", "site.stats_file=" + stats)
        for n in (1, 2, 3):
            m.wait_for(r"bay-00%d \(127.0.0.1:%d\): online" % (n, base + n - 1))
        control(simsock, "bay-002 plug 1")
        pos = m.wait_for(r"bay-002 connector 1: charging")
        # bay-003 accepts but never answers: offline, the others go on.
        self.assertEqual(control(simsock, "bay-003 blackhole on"), "ok")
        pos = m.wait_for(r"bay-003 .*offline after 2 failed polls: no answer "
                         r"in time", after=pos)
        st = json.loads(control(simsock, "bay-003 status"))
        deadline = time.monotonic() + 8
        while st["status"] != "fallback" and time.monotonic() < deadline:
            time.sleep(0.2)
            st = json.loads(control(simsock, "bay-003 status"))
        self.assertEqual(st["status"], "fallback")
        st = json.loads(control(simsock, "bay-001 status"))
        self.assertEqual(st["status"], "normal")
        self.assertEqual(control(simsock, "bay-003 blackhole off"), "ok")
        pos = m.wait_for(r"bay-003 \(127.0.0.1:\d+\): online", after=pos,
                         timeout=15)
        # The master dies: every charger falls back within its 3 s.
        m.stop(signal.SIGKILL)
        self.procs.remove(m)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 6:
            sts = [json.loads(control(simsock, "bay-00%d status" % n))
                   for n in (1, 2, 3)]
            if all(s["status"] == "fallback" for s in sts):
                break
            time.sleep(0.1)
        self.assertTrue(all(s["status"] == "fallback" for s in sts))
        self.assertLess(time.monotonic() - t0, 4.5)
        c = sts[1]["connectors"][0]
        self.assertEqual(c["offer"], 0.0)           # fallback 0 A
        self.assertEqual(c["state"], "waiting-for-current")
        # ... and resume when it is back: normal, and the one car gets
        # all it can take of the 48 A group limit (its 32 A maximum).
        m = self.master(cfg, "--set", "site.poll_period=300")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            st = json.loads(control(simsock, "bay-002 status"))
            if (st["status"] == "normal" and
                    st["connectors"][0]["setpoint"] == 32.0):
                break
            time.sleep(0.1)
        self.assertEqual(st["status"], "normal")
        self.assertEqual(st["connectors"][0]["setpoint"], 32.0)

    def test_garbage_on_the_wire(self):
        port = free_port()
        s = self.slave("slave", port)

        def raw(data, wait_close=True):
            c = socket.create_connection(("127.0.0.1", port), timeout=3)
            c.sendall(data)
            if not wait_close:
                return c
            try:
                c.settimeout(3)
                while c.recv(1024):
                    pass
            except (socket.timeout, ConnectionResetError):
                pass
            c.close()
            return None

        raw(os.urandom(2000))                               # noise
        raw(b"\x00\x01\x12\x34\x00\x06\x01\x04\x00")        # protocol id != 0
        raw(b"\x00\x01\x00\x00\x01\x00\x01\x04\x00")        # length 256
        # A frame cut short, left hanging: dropped after 2 s.
        hung = raw(b"\x00\x01\x00\x00\x00\x06\x01\x04\x00", wait_close=False)
        # An unknown function and a short PDU get exceptions, not silence.
        c = socket.create_connection(("127.0.0.1", port), timeout=3)
        c.sendall(b"\x00\x07\x00\x00\x00\x02\x01\x2b")
        self.assertEqual(c.recv(64), b"\x00\x07\x00\x00\x00\x03\x01\xab\x01")
        c.sendall(b"\x00\x08\x00\x00\x00\x03\x01\x04\x00")
        self.assertEqual(c.recv(64)[7:], b"\x84\x03")
        c.close()
        # More connections than it serves, from other machines (not in
        # link.masters): the extra ones are refused. (From a master's
        # address they would make room instead: test_security_net.py.)
        crowd = [socket.create_connection(("127.0.0.1", port), timeout=3,
                                          source_address=("127.0.0.%d"
                                                          % (31 + i % 6), 0))
                 for i in range(12)]
        for x in crowd:
            x.close()
        # A client hanging mid-frame does not hold the firmware up: the
        # 10 ms tick keeps its pace (at least 80 ticks a second).
        t0, k0 = time.monotonic(), json.loads(control(s.sock, "status"))["ticks"]
        time.sleep(1.0)
        k1 = json.loads(control(s.sock, "status"))["ticks"]
        self.assertGreaterEqual((k1 - k0) / (time.monotonic() - t0), 80)
        # Still serving, still ticking.
        r = mbpoll(port, "-r", "0", "-c", "4", "-t", "3")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(mbpoll_regs(r.stdout)[0], 2)
        st = json.loads(control(s.sock, "status"))
        self.assertGreater(st["uptime_ms"], 0)
        hung.settimeout(5)
        self.assertEqual(hung.recv(64), b"")     # closed by the charger
        hung.close()
        s.wait_for(r"frame incomplete for 2000 ms, closing")


class MasterConfigTest(unittest.TestCase):
    def run_master(self, *args):
        return subprocess.run([os.path.join(BIN, "master/evgroup-master"),
                               *args], capture_output=True, text=True,
                              timeout=20)

    def test_example_config(self):
        r = self.run_master("--config", os.path.join(SRC, "config/master.ini"),
                            "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration OK", r.stdout)

    def test_errors_exit_2(self):
        cases = [
            ("[site]\npoll_period = 50\n",
             ":2: site.poll_period: must be 100-60000 ms"),
            ("[charger1]\nhost = 10.0.0.300\n",
             "charger1.host: '10.0.0.300' is not an IPv4 address"),
            ("[site]\nmode = dynamic\n",
             "site.mode: dynamic needs a meter (meter.enabled = yes)"),
            ("[meter]\nenabled = yes\n", "meter.host: must be set for tcp"),
            ("[clamp2]\nct_rating = 0.5\n",
             ":2: clamp2.ct_rating: must be 1.0-5000.0 A"),
            ("[charger1]\nhost = 127.0.0.1\nmin_current1 = 20\n"
             "max_current1 = 16\n",
             "charger1.min_current1: must be 6.0 A up to charger1.max_current1"),
            ("[smart]\ndays = weekends\n",
             "smart.days: 'weekends': expected mon-fri, all"),
            ("[smart]\nno_charge1 = 8-11\n",
             "smart.no_charge1: '8-11': expected HH:MM-HH:MM or off"),
            ("[smart]\nrandom_delay = 3600\n",
             ":2: smart.random_delay: must be 0-1800 s"),
            ("[charger1]\nhost = 127.0.0.1\n[charger2]\nhost = 127.0.0.1\n",
             "charger2.host: 127.0.0.1:502 is also charger 'charger1'"),
            ("[charger1]\nhost = 127.0.0.1\nphase1 = L4\n",
             ":3: charger1.phase1: must be one of"),
            ("[charger1]\nname = x\n", "charger1.host: must be set"),
            ("[site]\nfallback_current = 3\n",
             "site.fallback_current: must be 0 or 6.0-80.0 A"),
            # no limit above what it sits under (safety review, item 4)
            ("[site]\nsite_limit = 100\ngroup_limit = 150\n",
             "site.group_limit: 150.0 A is above site.site_limit 100.0 A"),
            ("[site]\nsite_limit = 100\ngroup_limit = 100\n"
             "meter_offline_limit = 200\n",
             "site.meter_offline_limit: 200.0 A is above site.site_limit "
             "100.0 A"),
            ("[site]\nsite_limit = 10\ngroup_limit = 10\nmargin = 10\n"
             "meter_offline_limit = 5\n",
             "site.margin: 10.0 A leaves nothing of site.site_limit"),
            ("[site]\nmode = dynamic\ngroup_limit = 100\n"
             "meter_offline_limit = 20\nfallback_current = 8\n"
             "[meter]\nenabled = yes\nhost = 127.0.0.1\n"
             "[charger1]\nhost = 127.0.0.1\nport = 1\n"
             "[charger2]\nhost = 127.0.0.1\nport = 2\nconnectors = 1\n"
             "phase1 = L1\n",
             "site.fallback_current: 8.0 A on each of the 3 connectors on "
             "L1 is 24.0 A when the appliance stops (chargers that lose it "
             "fall back together), above site.meter_offline_limit 20.0 A on a 100.0 A "
             "fuse: at most 6.6 A each"),
            ("[site]\ngroup_limit = 20\nfallback_current = 8\n"
             "[charger1]\nhost = 127.0.0.1\nport = 1\n"
             "[charger2]\nhost = 127.0.0.1\nport = 2\nconnectors = 1\n"
             "phase1 = L1\n",
             "site.fallback_current: 8.0 A on each of the 3 connectors on "
             "L1 is 24.0 A when the appliance stops (chargers that lose it "
             "fall back together), above site.group_limit 20.0 A on a 100.0 A "
             "fuse: at most 6.6 A each"),
            # the margin covers what the deadband may hide (issue 13)
            ("[site]\nmargin = 0\n",
             "site.deadband: 0.5 A is more than site.margin 0.0 A"),
            ("[site]\nmargin = 1\ndeadband = 1.5\n",
             "site.deadband: 1.5 A is more than site.margin 1.0 A"),
        ]
        # their positive twins: the same limits, each within what it sits
        # under, are a good configuration
        for text in ("[site]\nsite_limit = 150\ngroup_limit = 150\n",
                     "[site]\nsite_limit = 100\ngroup_limit = 100\n"
                     "meter_offline_limit = 100\n",
                     "[site]\nsite_limit = 10\ngroup_limit = 10\n"
                     "margin = 9.9\nmeter_offline_limit = 5\n",
                     "[site]\nmode = dynamic\ngroup_limit = 100\n"
                     "meter_offline_limit = 24\nfallback_current = 8\n"
                     "[meter]\nenabled = yes\nhost = 127.0.0.1\n"
                     "[charger1]\nhost = 127.0.0.1\nport = 1\n"
                     "[charger2]\nhost = 127.0.0.1\nport = 2\n"
                     "connectors = 1\nphase1 = L1\n",
                     "[site]\ngroup_limit = 24\nfallback_current = 8\n"
                     "[charger1]\nhost = 127.0.0.1\nport = 1\n"
                     "[charger2]\nhost = 127.0.0.1\nport = 2\n"
                     "connectors = 1\nphase1 = L1\n",
                     "[site]\nmargin = 0\ndeadband = 0\n",
                     "[site]\nmargin = 1.5\ndeadband = 1.5\n"):
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "m.ini")
                with open(path, "w") as f:
                    f.write(text)
                r = self.run_master("--config", path, "--check-config")
                self.assertEqual(r.returncode, 0, (text, r.stderr))
                self.assertIn("configuration OK", r.stdout)
        with tempfile.TemporaryDirectory() as d:
            for text, want in cases:
                path = os.path.join(d, "m.ini")
                with open(path, "w") as f:
                    f.write(text)
                r = self.run_master("--config", path, "--check-config")
                self.assertEqual(r.returncode, 2, text)
                self.assertIn(want, r.stderr, text)
        r = self.run_master("--check-config")
        self.assertEqual(r.returncode, 2)


class ProtocolDocTest(unittest.TestCase):
    def test_doc_is_the_table(self):
        gen = subprocess.run([os.path.join(BIN, "shared/regmap-doc")],
                             capture_output=True, text=True, timeout=10)
        with open(os.path.join(SRC, "docs/protocol.md")) as f:
            doc = f.read()
        m = re.search(r"<!-- regmap:begin -->\n(.*)<!-- regmap:end -->", doc,
                      re.S)
        self.assertIsNotNone(m, "docs/protocol.md lacks the regmap markers")
        self.assertEqual(m.group(1), gen.stdout,
                         "docs/protocol.md differs from the register table: "
                         "paste the output of build/.../shared/regmap-doc")


if __name__ == "__main__":
    BIN = os.path.abspath(sys.argv.pop(1))
    SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
