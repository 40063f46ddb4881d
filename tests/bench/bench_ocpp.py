#!/usr/bin/env python3
"""Benchmark of OCPP at a car park's size, against the strict test CSMS
(tests/ocpp/csms.js) on loopback. Passes or fails nothing.

transport: tests/ocpp_probe (master/ocppnet.c alone) with N charge
  points: how long until all are connected and booted, its CPU and RSS
  while they stay connected (pings every 30 s), how long until all are
  back after the CSMS restarts.
master: evgroup-master with N simulated chargers (evgroup-sim, 1 Hz
  polls), without OCPP and then with every charger a charge point of the
  CSMS: the master's CPU and peak RSS and the control loop's period
  jitter (from its stats file), and how many charge points the CSMS saw.
  Skipped when this master has no [ocpp] settings.

Usage: bench_ocpp.py BUILD_DIR [N] [SECONDS] [transport|master|both]"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "proc"))
sys.path.insert(0, HERE)
import test_link as tl  # noqa: E402
from bench_link import cpu_s, peak_rss_kb, start_sim  # noqa: E402
from bench_web import loop_jitter  # noqa: E402
from ocpp_csms import ocpp_dir  # noqa: E402


class Csms:
    """The test CSMS on free ports, its output in tmp."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.port, self.control = tl.free_port(), tl.free_port()
        self.start()

    def start(self):
        self.out = open(os.path.join(self.tmp, "csms.out"), "a")
        self.p = subprocess.Popen(
            ["node", os.path.join(ocpp_dir(), "csms.js"), "--port",
             str(self.port), "--control", str(self.control)],
            stdout=self.out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.clients()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the CSMS did not start")

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        self.p.wait(timeout=20)
        self.out.close()

    def clients(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/clients"
                                    % self.control, timeout=30) as r:
            return json.loads(r.read())

    def wait_count(self, n, timeout):
        """Seconds until n charge points are connected (None: never)."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if len(self.clients()) >= n:
                return time.monotonic() - t0
            time.sleep(0.2)
        return None

    @property
    def url(self):
        return "ws://127.0.0.1:%d/ocpp/" % self.port


def stop(*procs):
    for p in procs:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)


def transport(build, n, seconds):
    with tempfile.TemporaryDirectory(prefix="evg-bench-ocpp-") as tmp:
        csms = Csms(tmp)
        out = open(os.path.join(tmp, "probe.out"), "w")
        t0 = time.monotonic()
        probe = subprocess.Popen([os.path.join(build, "tests/ocpp_probe"),
                                  csms.url, str(n), "--quiet", "--ping",
                                  "30"], stdout=out,
                                 stderr=subprocess.STDOUT)
        try:
            up = csms.wait_count(n, 120)
            connect_s = time.monotonic() - t0 if up is not None else None
            time.sleep(2)
            c0, t1 = cpu_s(probe.pid), time.monotonic()
            time.sleep(seconds)
            cpu = (cpu_s(probe.pid) - c0) / (time.monotonic() - t1) * 100
            rss = peak_rss_kb(probe.pid)
            csms.stop()
            time.sleep(1)
            t2 = time.monotonic()
            csms.start()
            back = csms.wait_count(n, 180)
            back_s = time.monotonic() - t2 if back is not None else None
        finally:
            stop(probe)
            out.close()
            csms.stop()
        with open(os.path.join(tmp, "probe.out")) as f:
            stats = [x for x in f.read().splitlines()
                     if x.startswith("stats")]
    return dict(connect_s=connect_s, cpu=cpu, rss_mb=rss / 1024,
                back_s=back_s, last=stats[-1] if stats else "")


def master_has_ocpp(build):
    """Whether this evgroup-master knows the [ocpp] settings."""
    if not os.path.exists(os.path.join(build, "master/evgroup-master")):
        return False
    r = subprocess.run([os.path.join(build, "master/evgroup-master"),
                        "--config", os.path.join(HERE, "..", "..", "config",
                                                 "master.ini"),
                        "--set", "ocpp.enabled=no", "--check-config"],
                       capture_output=True, text=True, timeout=30)
    return r.returncode == 0


def master(build, n, seconds, with_ocpp):
    with tempfile.TemporaryDirectory(prefix="evg-bench-ocpp-") as tmp:
        sim, _, mconf, stats = start_sim(build, n, tmp)
        csms = Csms(tmp) if with_ocpp else None
        sets = ["--set", "site.stats_file=" + stats,
                "--set", "web.port=%d" % tl.free_port(),
                "--set", "site.database=" + os.path.join(tmp, "evgroup.db"),
                "--log-level", "warning"]
        if with_ocpp:
            sets += ["--set", "ocpp.enabled=yes", "--set",
                     "ocpp.url=" + csms.url]
        m = subprocess.Popen([os.path.join(build, "master/evgroup-master"),
                              "--config", mconf, *sets],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            up = csms.wait_count(n, 120) if with_ocpp else None
            time.sleep(5)
            c0, t0 = cpu_s(m.pid), time.monotonic()
            time.sleep(seconds)
            cpu = (cpu_s(m.pid) - c0) / (time.monotonic() - t0) * 100
            out = dict(cpu=cpu, rss_mb=peak_rss_kb(m.pid) / 1024,
                       connected=len(csms.clients()) if with_ocpp else 0,
                       connect_s=up)
            out.update(loop_jitter(stats))
        finally:
            stop(m, sim)
            if csms:
                csms.stop()
    return out


def main():
    build = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    what = sys.argv[4] if len(sys.argv) > 4 else "both"
    if what in ("transport", "both"):
        r = transport(build, n, seconds)
        print("transport alone (ocpp_probe), %d charge points:" % n)
        print("  all connected in %s s" % (
            "%.1f" % r["connect_s"] if r["connect_s"] is not None
            else "(not all)"))
        print("  connected, idle: CPU %.1f %%, peak RSS %.1f MB"
              % (r["cpu"], r["rss_mb"]))
        print("  all back after the CSMS restarted in %s s" % (
            "%.1f" % r["back_s"] if r["back_s"] is not None
            else "(not all)"))
        print("  " + r["last"])
    if what in ("master", "both"):
        if not master_has_ocpp(build):
            print("master: no evgroup-master with [ocpp] settings in %s"
                  % build)
            return
        for label, on in (("without OCPP", False), ("with OCPP", True)):
            r = master(build, n, seconds, on)
            print("master, %d chargers %s: CPU %.1f %%, peak RSS %.1f MB, "
                  "loop jitter p50 %.1f ms, p99 %.1f ms, max %.1f ms%s"
                  % (n, label, r["cpu"], r["rss_mb"], r["jp50"], r["jp99"],
                     r["jmax"], "; %d charge points connected (all in %s s)"
                     % (r["connected"], "%.1f" % r["connect_s"]
                        if r["connect_s"] is not None else "-")
                     if on else ""), flush=True)


if __name__ == "__main__":
    main()
