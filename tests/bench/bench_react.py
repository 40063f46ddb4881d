#!/usr/bin/env python3
"""Benchmark of the site's reaction to a load step: evgroup-master
(dynamic mode, meter read every 500 ms, chargers polled every 1000 ms)
with N simulated chargers of one connector, a three-phase car charging at
each of up to 200 of them (spread over the site; a fuse is at most
2000 A), about 10 A each; the building's load steps up by 4 A a car on
the emulated CT kit, from a site whose offers have not changed for 3 s,
and back down 4 s later; the
simulator times each step up to the last connector whose offer fell by
1 A or more, and to when 90 % of those had (`reaction`). Prints
p50/p99/max for each N. Target: p99
under 1 s at 1000 chargers (one meter period plus one poll). Passes or
fails nothing.

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
    # cars at up to 200 chargers (a fuse can be at most 2000 A), about
    # 10 A each: the fuse is the building plus that; a step takes 4 A
    # from every car
    cars = min(n, 200)
    limit = min(2000, 20 + 10 * cars)
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
             "site.group_limit=%d" % limit, "--set", "site.min_run=0", "--set",
             "site.min_pause=0", "--set", "meter.poll_period=500",
             # CTs sized to the fuse: a reading beyond 1.5 x their rating
             # is a fault, and the step must stay a reading
             "--set", "clamp1.ct_rating=%d" % limit,
             "--set", "clamp2.ct_rating=%d" % limit,
             "--set", "clamp3.ct_rating=%d" % limit,
             "--log-level", "error"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times = {"cut": [], "cut90": [], "changed": []}
        try:
            control(simsock, "meter base 10 10 10")
            for i in range(cars):
                control(simsock, "bay-%03d car 1 max 16" % (i * n // cars
                                                           + 1))
                control(simsock, "bay-%03d plug 1" % (i * n // cars + 1))
            for k in range(steps):
                # from a settled site: no offer changed for 3 s
                deadline = time.monotonic() + 60
                while int(control(simsock, "quiet")) < 3000 and \
                        time.monotonic() < deadline:
                    time.sleep(0.5)
                if int(control(simsock, "quiet")) < 3000:
                    times["unsettled"] = times.get("unsettled", 0) + 1
                # the load rises: every car must be cut by 4 A
                a = 4 * cars
                control(simsock, "meter step %d %d %d" % (a, a, a))
                time.sleep(4)
                r = json.loads(control(simsock, "reaction"))
                if r["ms"] >= 0:
                    times["cut"].append(r["ms"])
                    times["cut90"].append(r["ms90"])
                    times["changed"].append(r["changed"])
                # and falls back; the cars rise again (not timed: a rise
                # waits for the second reading and for the cut cars to
                # have followed or had their 5 s), before the quiet wait
                control(simsock, "meter step 0 0 0")
                time.sleep(6)
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
    print("%6s %-8s %6s %10s %10s %10s" % ("N", "cut of", "steps", "p50",
                                           "p99", "max"))
    for n in sizes:
        res = run(build, n, steps)
        t = res["cut"]
        if not t:
            print("%6d cut      0 (no offer changed)" % n)
            continue
        t90 = res["cut90"]
        if res.get("unsettled"):
            print("%6d (%d steps from a site that would not settle in 60 s)"
                  % (n, res["unsettled"]))
        print("%6d %-8s %6d %7d ms %7d ms %7d ms   (cars cut: %d-%d of %d)"
              % (n, "last", len(t), pct(t, 50), pct(t, 99), max(t),
                 min(res["changed"]), max(res["changed"]), min(n, 200)),
              flush=True)
        print("%6d %-8s %6d %7d ms %7d ms %7d ms" % (
            n, "90 %", len(t90), pct(t90, 50), pct(t90, 99), max(t90)),
            flush=True)


if __name__ == "__main__":
    main()
