#!/usr/bin/env python3
"""Benchmark of the master-slave link: evgroup-master polling N chargers
simulated by evgroup-sim on loopback at 1 Hz, for DURATION seconds each:
poll-cycle duration p50/p99 (time from the cycle's start until the last
charger that answered had answered), master CPU % of one core, master peak
RSS. Then the same with 10 % of the chargers blackholed (accept, never
answer). Prints figures; passes or fails nothing.

Usage: bench_link.py BUILD_DIR [DURATION] [N ...]"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "proc"))
from test_link import free_port, free_ports  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def peak_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def control(path, line):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        s.sendall((line + "\n").encode())
        return s.recv(65536).decode().strip()


def start_sim(build, n, tmp):
    """evgroup-sim with n chargers in tmp: (process, control socket, the
    master configuration it wrote, a stats file path)."""
    base = free_ports(n)
    simsock = os.path.join(tmp, "sim.sock")
    mconf = os.path.join(tmp, "master.ini")
    sim = subprocess.Popen([os.path.join(build, "sim/evgroup-sim"),
                            "--slaves", str(n), "--base-port", str(base),
                            "--control", simsock, "--master-config",
                            mconf], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not os.path.exists(simsock) and time.monotonic() < deadline:
        time.sleep(0.05)
    return sim, simsock, mconf, os.path.join(tmp, "stats.json")


def run(build, n, duration, blackhole_pct=0):
    with tempfile.TemporaryDirectory(prefix="evg-bench-") as tmp:
        sim, simsock, mconf, stats = start_sim(build, n, tmp)
        nblack = n * blackhole_pct // 100
        for i in range(nblack):
            # spread over the range: every 10th charger
            control(simsock, "bay-%03d blackhole on" % (i * (n // nblack) + 1))
        master = subprocess.Popen([os.path.join(build,
                                                "master/evgroup-master"),
                                   "--config", mconf,
                                   "--set", "site.stats_file=" + stats,
                                   # the web UI on, as the appliance ships
                                   "--set", "web.port=%d" % free_port(),
                                   "--set", "site.database=" +
                                   os.path.join(tmp, "evgroup.db"),
                                   "--log-level", "warning"],
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            time.sleep(5)       # connect, first polls
            c0, t0 = cpu_s(master.pid), time.monotonic()
            time.sleep(duration)
            cpu = (cpu_s(master.pid) - c0) / (time.monotonic() - t0) * 100
            rss = peak_rss_kb(master.pid)
            sim_cpu = cpu_s(sim.pid)
        finally:
            master.send_signal(signal.SIGTERM)
            master.wait(timeout=10)
            sim.send_signal(signal.SIGTERM)
            sim.wait(timeout=10)
        with open(stats) as f:
            st = json.load(f)
    return dict(n=n, blackholed=nblack, cycles=st["cycles"],
                p50=st["cycle_p50_ms"], p99=st["cycle_p99_ms"],
                max=st["cycle_max_ms"], online=st["online"], cpu=cpu,
                rss_mb=rss / 1024, sim_cpu_s=sim_cpu)


def main():
    build = sys.argv[1]
    duration = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    sizes = [int(a) for a in sys.argv[3:]] or [10, 100, 1000]
    print("evgroup-master polling N simulated chargers at 1 Hz, %d s each "
          "(after 5 s of warm-up)" % duration)
    print("%6s %10s %8s %12s %12s %12s %10s %12s" % (
        "N", "blackholed", "online", "cycle p50", "cycle p99", "cycle max",
        "CPU %", "peak RSS"))
    runs = [(n, 0) for n in sizes] + [(sizes[-1], 10)]
    for n, pct in runs:
        r = run(build, n, duration, pct)
        print("%6d %10d %8d %9d ms %9d ms %9d ms %9.2f %9.1f MB" % (
            r["n"], r["blackholed"], r["online"], r["p50"], r["p99"],
            r["max"], r["cpu"], r["rss_mb"]), flush=True)
    print("cycle: from the cycle's start to the last answering charger's "
          "answer; percentiles over every cycle of the run, warm-up included")


if __name__ == "__main__":
    main()
