#!/usr/bin/env python3
"""Benchmark of the building management server's cost to the control
loop: evgroup-master with N simulated chargers of 2 connectors
(evgroup-sim, loopback) polled at 1 Hz, its Modbus TCP server on: left
alone, then read by a BMS client (one connection, the whole map again
and again: the site's registers, then every connector's blocks, 120
registers a request) at 200 requests a second, then with each request
sent as soon as the last is answered. Prints the master's CPU (and per
request), the control loop's period jitter (p50/p99/max, from the
master's stats) and the requests a second. Passes or fails nothing.

Usage: bench_bms.py BUILD_DIR [CHARGERS] [SECONDS]"""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "proc"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_link import free_port  # noqa: E402
from bench_link import cpu_s, start_sim  # noqa: E402
from bench_web import loop_jitter  # noqa: E402
from test_security_net import connect, read_inputs  # noqa: E402

SITE_REGS = 29          # the site's input registers (docs/bms.md)
CONN_BASE, CONN_STRIDE = 100, 10


def reader(port, connectors, stop, counts, rate):
    """The whole map in a loop until stop is set, each request when the
    last is answered (rate 0) or rate requests a second at most;
    counts[0] requests."""
    end = CONN_BASE + CONN_STRIDE * connectors
    reqs = [(0, SITE_REGS)] + [(a, min(120, end - a))
                               for a in range(CONN_BASE, end, 120)]
    with connect(port, "127.0.0.1", timeout=10) as s:
        tid = 0
        t0 = time.monotonic()
        while not stop.is_set():
            addr, count = reqs[tid % len(reqs)]
            read_inputs(s, addr, count)
            tid += 1
            counts[0] += 1
            if rate:
                ahead = t0 + tid / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)


def run(build, n, seconds, load, rate=0):
    with tempfile.TemporaryDirectory(prefix="evg-bench-bms-") as tmp:
        sim, _, mconf, stats = start_sim(build, n, tmp)
        port = free_port()
        master = subprocess.Popen(
            [os.path.join(build, "master/evgroup-master"), "--config", mconf,
             "--set", "site.stats_file=" + stats,
             "--set", "web.port=%d" % free_port(),
             "--set", "site.database=" + os.path.join(tmp, "evgroup.db"),
             "--set", "bms.enabled=yes", "--set", "bms.port=%d" % port,
             "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        stop = threading.Event()
        counts = [0]
        t = None
        try:
            time.sleep(5)       # connect, first polls
            if load:
                t = threading.Thread(target=reader, args=(
                    port, 2 * n, stop, counts, rate))
                t.start()
            c0, t0, r0 = cpu_s(master.pid), time.monotonic(), counts[0]
            time.sleep(seconds)
            dt = time.monotonic() - t0
            out = {"cpu": (cpu_s(master.pid) - c0) / dt * 100,
                   "rps": (counts[0] - r0) / dt}
            # loop_jitter waits for the stats file's next writing
            out.update(loop_jitter(stats))
        finally:
            stop.set()
            if t is not None:
                t.join(timeout=30)
            for p in (master, sim):
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=20)
    return out


def main():
    args = sys.argv[1:] + [None, None]
    build, n, seconds = args[0], int(args[1] or 500), int(args[2] or 30)
    print("BMS: evgroup-master with %d chargers (%d connectors), polled at "
          "1 Hz, %d s each run" % (n, 2 * n, seconds))
    for name, load, rate in (("not read", False, 0),
                             ("read at 200/s", True, 200),
                             ("read in a loop", True, 0)):
        r = run(build, n, seconds, load, rate)
        print("%-15s: master CPU %5.1f %%, loop period jitter p50 %.1f ms, "
              "p99 %.1f ms, max %.1f ms (%d cycles)%s" % (
                  name, r["cpu"], r["jp50"], r["jp99"], r["jmax"],
                  r["cycles"], "; %.0f requests/s, %.3f ms of CPU each" % (
                      r["rps"], r["cpu"] * 10 / r["rps"])
                  if load else ""))


if __name__ == "__main__":
    main()
