#!/usr/bin/env python3
"""Benchmark of the site's reaction to a load step: evgroup-master
(dynamic mode, meter read every 500 ms, chargers polled every 1000 ms)
with N simulated chargers of one connector, a three-phase car charging at
each; the building's load steps up (the cars must be cut) and back down
(they may rise) on the emulated CT kit; the simulator times each step to
the last connector whose offer changed (`reaction`). Prints p50/p99/max
for cuts and raises for each N. Target: cuts' p99 under 1 s at 1000
chargers (one meter period plus one poll). Passes or fails nothing.

Usage: bench_react.py BUILD_DIR [STEPS] [N ...]"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "proc"))
from test_link import control, free_ports  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round((len(xs) - 1) * p / 100)))]


def run(build, n, steps):
    # each car gets about 8 A: the fuse is the building plus that
    limit = min(2000, 20 + 8 * n)
    with tempfile.TemporaryDirectory(prefix="evg-bench-react-") as tmp:
        base = free_ports(n + 1)
        simsock = os.path.join(tmp, "sim.sock")
        mconf = os.path.join(tmp, "master.ini")
        sim = subprocess.Popen([os.path.join(build, "sim/evgroup-sim"),
                                "--slaves", str(n), "--connectors", "1",
                                "--base-port", str(base), "--meter-port",
                                str(base + n), "--control", simsock,
                                "--master-config", mconf],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not os.path.exists(mconf) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        master = subprocess.Popen(
            [os.path.join(build, "master/evgroup-master"), "--config", mconf,
             "--set", "site.database=" + os.path.join(tmp, "evgroup.db"),
             "--set", "web.enabled=no", "--set", "site.mode=dynamic",
             "--set", "site.site_limit=%d" % limit, "--set",
             "site.group_limit=2000", "--set", "site.min_run=0", "--set",
             "site.min_pause=0", "--set", "meter.poll_period=500",
             "--log-level", "error"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times = {"cut": [], "raise": []}
        try:
            control(simsock, "meter base 10 10 10")
            for i in range(n):
                control(simsock, "bay-%03d car 1 max 16" % (i + 1))
                control(simsock, "bay-%03d plug 1" % (i + 1))
            time.sleep(15)      # every car charging, the shares settled
            for k in range(steps):
                up = k % 2 == 0
                a = max(5, limit // 10)
                control(simsock, "meter step %d %d %d" % ((a,) * 3 if up
                                                          else (0, 0, 0)))
                time.sleep(4)
                r = json.loads(control(simsock, "reaction"))
                if r["ms"] >= 0:
                    times["cut" if up else "raise"].append(r["ms"])
        finally:
            master.send_signal(signal.SIGTERM)
            master.wait(timeout=20)
            sim.send_signal(signal.SIGTERM)
            sim.wait(timeout=20)
    return times


def main():
    build = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    sizes = [int(a) for a in sys.argv[3:]] or [10, 100, 1000]
    print("load step on the CT kit -> the last changed offer, %d steps "
          "(meter 500 ms, poll 1000 ms)" % steps)
    print("%6s %-8s %6s %10s %10s %10s" % ("N", "step", "count", "p50", "p99",
                                           "max"))
    for n in sizes:
        res = run(build, n, steps)
        for kind, t in res.items():
            if not t:
                print("%6d %-8s      0 (no offer changed)" % (n, kind))
                continue
            print("%6d %-8s %6d %7d ms %7d ms %7d ms" % (
                n, kind, len(t), pct(t, 50), pct(t, 99), max(t)),
                flush=True)


if __name__ == "__main__":
    main()
