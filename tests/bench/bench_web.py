#!/usr/bin/env python3
"""Benchmark of the JSON API under load: evgroup-master with N simulated
chargers of 2 connectors (evgroup-sim, loopback), wrk hammering
GET /api/status with a logged-in session, while the master polls at 1 Hz.
Prints requests/s, latency percentiles (wrk's), the status size, and the
control loop's period jitter (p50/p99/max, from the master's stats) with
and without the load. Passes or fails nothing.

Usage: bench_web.py BUILD_DIR [CHARGERS] [SECONDS] [CONNECTIONS]"""

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "proc"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_link import free_port  # noqa: E402
from bench_link import start_sim  # noqa: E402


def call(port, method, path, body=None, cookie=None, csrf=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {}
    if cookie:
        h["Cookie"] = cookie
    if csrf:
        h["X-CSRF-Token"] = csrf
    if body:
        h["Content-Type"] = "application/json"
    c.request(method, path, body=json.dumps(body) if body else None,
              headers=h)
    r = c.getresponse()
    data = r.read()
    sc = r.getheader("Set-Cookie")
    c.close()
    return r.status, data, sc.split(";")[0] if sc else None


def web_master(build, mconf, tmp, password, *sets):
    """evgroup-master with its web UI on a free port, logged in with the
    default password changed to password: (process, port, cookie)."""
    port = free_port()
    args = [os.path.join(build, "master/evgroup-master"), "--config", mconf,
            "--set", "site.database=" + os.path.join(tmp, "evgroup.db"),
            "--set", "web.port=%d" % port, "--log-level", "warning"]
    for s in sets:
        args += ["--set", s]
    master = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            st, body, cookie = call(port, "POST", "/api/login", {
                "user": "installer", "password": "installer"})
            break
        except OSError:
            if time.monotonic() > deadline:
                master.kill()
                raise
            time.sleep(0.2)
    call(port, "POST", "/api/password", {"old": "installer",
                                         "new": password},
         cookie, json.loads(body)["csrf"])
    return master, port, cookie


def loop_jitter(stats):
    """The control loop's period jitter (ms) from the master's stats
    file, once it has been written again (every 10 polls)."""
    time.sleep(10.5)
    with open(stats) as f:
        s = json.load(f)
    return dict(jp50=s["jitter_p50_us"] / 1000,
                jp99=s["jitter_p99_us"] / 1000,
                jmax=s["jitter_max_us"] / 1000, cycles=s["cycles"])


def run(build, n, seconds, conns, load):
    with tempfile.TemporaryDirectory(prefix="evg-bench-web-") as tmp:
        sim, _, mconf, stats = start_sim(build, n, tmp)
        master, port, cookie = web_master(build, mconf, tmp,
                                          "bench-password-1",
                                          "site.stats_file=" + stats)
        try:
            time.sleep(5)
            st, body, _ = call(port, "GET", "/api/status", cookie=cookie)
            size = len(body)
            ncon = len(json.loads(body)["connectors"])
            out = {"size": size, "connectors": ncon}
            if load:
                w = subprocess.run(
                    ["wrk", "-t2", "-c%d" % conns, "-d%ds" % seconds,
                     "--latency", "-H", "Cookie: " + cookie,
                     "http://127.0.0.1:%d/api/status" % port],
                    capture_output=True, text=True, timeout=seconds + 60)
                t = w.stdout
                out["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)",
                                             t).group(1))
                for pct in ("50", "99"):
                    m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)" % pct, t)
                    v = float(m.group(1)) * {"us": 0.001, "ms": 1,
                                             "s": 1000}[m.group(2)]
                    out["p" + pct] = v
                m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
                out["errors"] = int(m.group(1)) if m else 0
            else:
                time.sleep(seconds)
            out.update(loop_jitter(stats))
        finally:
            master.send_signal(signal.SIGTERM)
            master.wait(timeout=20)
            sim.send_signal(signal.SIGTERM)
            sim.wait(timeout=10)
    return out


def main():
    build = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    conns = int(sys.argv[4]) if len(sys.argv) > 4 else 32
    print("GET /api/status: evgroup-master with %d chargers (%d connectors),"
          " polled at 1 Hz; wrk -t2 -c%d for %d s" % (n, 2 * n, conns,
                                                      seconds))
    idle = run(build, n, seconds, conns, False)
    busy = run(build, n, seconds, conns, True)
    print("status: %d connectors, %.0f kB" % (busy["connectors"],
                                             busy["size"] / 1024))
    print("wrk: %.0f requests/s, latency p50 %.2f ms, p99 %.2f ms, "
          "%d non-2xx" % (busy["rps"], busy["p50"], busy["p99"],
                          busy["errors"]))
    for name, r in (("idle", idle), ("under load", busy)):
        print("control loop period jitter %-10s: p50 %.1f ms, p99 %.1f ms, "
              "max %.1f ms (%d cycles)" % (name, r["jp50"], r["jp99"],
                                           r["jmax"], r["cycles"]))


if __name__ == "__main__":
    main()
