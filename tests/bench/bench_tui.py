#!/usr/bin/env python3
"""Benchmark of the operator console: evgroup-tui in a tmux pane (120x40)
following a master with N simulated chargers of 2 connectors, at 1 Hz
status updates, for SECONDS; prints the console's CPU use (% of one core)
and peak RSS, and the same while a key scrolls the table 10 times a
second. Passes or fails nothing.

Usage: bench_tui.py BUILD_DIR [CHARGERS] [SECONDS]"""

import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "proc"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_link import start_sim, cpu_s, peak_rss_kb  # noqa: E402
from bench_web import web_master  # noqa: E402


def main():
    build = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 60
    sock = "evgbench-%d" % os.getpid()
    with tempfile.TemporaryDirectory(prefix="evg-bench-tui-") as tmp:
        sim, _, mconf, _ = start_sim(build, n, tmp)
        master, port, _ = web_master(build, mconf, tmp, "bench-console-1")
        try:
            pidfile = os.path.join(tmp, "tui.pid")
            subprocess.run(["tmux", "-L", sock, "new-session", "-d", "-x",
                            "120", "-y", "40",
                            "echo $$ > %s; exec env EVG_PASSWORD=bench-"
                            "console-1 %s --url http://127.0.0.1:%d --user "
                            "installer" % (pidfile, os.path.join(
                                build, "tui/evgroup-tui"), port)],
                           check=True, timeout=10)
            time.sleep(8)       # logged in, the first statuses drawn
            with open(pidfile) as f:
                pid = int(f.read())
            results = []
            for scrolling in (False, True):
                c0, t0 = cpu_s(pid), time.monotonic()
                while time.monotonic() - t0 < seconds:
                    if scrolling:
                        subprocess.run(["tmux", "-L", sock, "send-keys",
                                        "j"], timeout=5)
                    time.sleep(0.1)
                results.append((cpu_s(pid) - c0) /
                               (time.monotonic() - t0) * 100)
            rss = peak_rss_kb(pid)
        finally:
            subprocess.run(["tmux", "-L", sock, "kill-server"],
                           capture_output=True, timeout=10)
            master.send_signal(signal.SIGTERM)
            master.wait(timeout=20)
            sim.send_signal(signal.SIGTERM)
            sim.wait(timeout=10)
    print("evgroup-tui following %d connectors (status 1 Hz, %.0f s each), "
          "120x40 pane:" % (2 * n, seconds))
    print("  watching:                 CPU %.2f %% of a core" % results[0])
    print("  scrolling 10 keys/s:      CPU %.2f %% of a core" % results[1])
    print("  peak RSS:                 %.1f MB" % (rss / 1024))


if __name__ == "__main__":
    main()
