#!/usr/bin/env python3
"""The master's meter drivers against meters emulated with pymodbus, over
Modbus TCP and over RTU on a socat pty pair: readings (with the sign of
export), and every bad reading that takes a meter offline (a Modbus
error, NaN, beyond 1.5 x the CT rating, a frame counter that stops), and
back online. Loopback and ptys only; bounded waits."""

import json
import re
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402

GENERIC = ("\n[clamp1]\nregister = 10\ntype = int16\nscale = 1000\n"
           "[clamp2]\nregister = 20\ntype = float32\nword_swap = yes\n"
           "scale = 10000\n[clamp3]\nregister = 30\ntype = uint32\n"
           "scale = 10\n")


class MeterTest(tl.Base):
    def values(self, **v):
        base = {"current": [12.5, -4.0, 30.0], "voltage": 231.0}
        base.update(v)
        tmp = self.vals + ".new"
        with open(tmp, "w") as f:
            json.dump(base, f)
        os.replace(tmp, self.vals)

    def start_meter(self, driver, transport):
        self.vals = os.path.join(self.tmp, "values.json")
        self.values()
        if transport == "tcp":
            port = tl.free_port()
            where, conf = str(port), "host = 127.0.0.1\nport = %d\n" % port
        else:
            a, b = os.path.join(self.tmp, "a"), os.path.join(self.tmp, "b")
            self.socat = self.start("socat", [
                "socat", "pty,raw,echo=0,link=" + a,
                "pty,raw,echo=0,link=" + b])
            deadline = time.monotonic() + 5
            while not (os.path.exists(a) and os.path.exists(b)):
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
            where, conf = b, "transport = rtu\ndevice = %s\n" % a
        emu = self.start("emu", [tl.PY, os.path.join(
            tl.SRC, "tests/proc/meteremu.py"), driver, transport, where,
            self.vals])
        emu.wait_for("listening")
        time.sleep(0.3)
        self.status = os.path.join(self.tmp, "status.json")
        cfg = os.path.join(self.tmp, "m.ini")
        with open(cfg, "w") as f:
            f.write("[site]\nmode = dynamic\nsite_limit = 100\n"
                    "poll_period = 200\nstatus_file = %s\n[meter]\n"
                    "enabled = yes\ndriver = %s\npoll_period = 200\n%s%s"
                    % (self.status, driver, conf,
                       GENERIC if driver == "generic" else ""))
        return self.master(cfg)

    def clamp(self):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                with open(self.status) as f:
                    return json.load(f)["clamp"]
            except (OSError, ValueError):
                time.sleep(0.05)
        raise AssertionError("no status file")

    def wait_clamp(self, want):
        deadline = time.monotonic() + 5
        got = None
        while time.monotonic() < deadline:
            got = self.clamp()
            if got == want:
                return
            time.sleep(0.05)
        self.assertEqual(got, want)

    def cycle(self, m, bad, why):
        """A bad reading takes it offline; good ones bring it back. On a
        loaded machine the emulator (Python) may answer so late that the
        readings' age takes the meter offline first ("no reading for
        1195 ms"): both are right, and the status then says why."""
        pos = len(m.text())
        self.values(**bad)
        pos = m.wait_for(r"meter: offline after 3 faulty readings: "
                         r".*(%s|no reading for)" % why, after=pos)
        # the status says why too (it once kept a pointer to a reason
        # that lived on the meter thread's stack: an empty reason)
        deadline = time.monotonic() + 5
        st = {}
        while time.monotonic() < deadline:
            try:
                with open(self.status) as f:
                    st = json.load(f)
            except (OSError, ValueError):
                pass
            if not st.get("meter_online", True) and re.search(
                    why, st.get("meter_why", "")):
                break
            time.sleep(0.05)
        self.assertRegex(st.get("meter_why", ""), why, st)
        self.values()
        m.wait_for(r"meter: online", after=pos)

    def check_driver(self, driver, transport, expect):
        m = self.start_meter(driver, transport)
        m.wait_for(r"meter: online")
        self.wait_clamp(expect)
        self.cycle(m, {"fail": True}, "read failed")
        self.cycle(m, {"current": [200.0, 0, 0]},
                   r"current beyond 1\.5 x the CT rating")
        if driver != "sense":
            self.cycle(m, {"nan": True}, r"not a number")
        else:
            self.cycle(m, {"frame_stop": True}, "frame counter stopped")

    def test_sense_tcp(self):
        self.check_driver("sense", "tcp", [12.5, -4.0, 30.0])

    def test_sdm630_tcp(self):
        # currents are magnitudes; export comes from the power's sign
        self.check_driver("sdm630", "tcp", [12.5, -4.0, 30.0])

    def test_sdm120_tcp(self):
        self.check_driver("sdm120", "tcp", [12.5, 0.0, 0.0])

    def test_generic_tcp(self):
        self.check_driver("generic", "tcp", [12.5, -4.0, 30.0])

    def test_sdm630_rtu(self):
        self.check_driver("sdm630", "rtu", [12.5, -4.0, 30.0])

    def test_sdm120_rtu(self):
        self.check_driver("sdm120", "rtu", [12.5, 0.0, 0.0])

    def test_generic_rtu(self):
        self.check_driver("generic", "rtu", [12.5, -4.0, 30.0])

    def test_sense_rtu(self):
        self.check_driver("sense", "rtu", [12.5, -4.0, 30.0])


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
