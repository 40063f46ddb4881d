#!/usr/bin/env python3
"""make demo: a live simulated site to watch in the browser and the
console. Starts evgroup-sim with config/demo-site.ini (12 double chargers
on two 63 A boards under a 3 x 100 A supply, one board with its own meter,
an office's load, PV on the roof, cars arriving, single-phase ones among
them, a 20 A imbalance limit at the supply)
and evgroup-master with its web UI, prints where to look, and stops both
on Ctrl-C. SPEED=10 makes the site's clock run ten times faster.

Usage: demo.py BUILD_DIR [DATA_DIR]"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "proc"))
from test_link import free_port, free_ports  # noqa: E402


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def control(path, line):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(path)
        s.sendall((line + "\n").encode())
        return s.recv(65536).decode().strip()


def main():
    build = os.path.abspath(sys.argv[1])
    data = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "demo-data")
    speed = os.environ.get("SPEED", "1")
    site = os.path.join(HERE, "..", "config", "demo-site.ini")
    os.makedirs(data, exist_ok=True)
    web = 8080 if port_free(8080) else free_port()
    # 12 chargers from base, the supply's meter at base + 24 and row A's
    # board meter after it
    base = free_ports(26)
    simsock = os.path.join(data, "sim.sock")
    conf = os.path.join(data, "site.ini")
    procs = []

    def stop(*_):
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        print("\nstopped; the records stay in %s" % data)
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    simlog = open(os.path.join(data, "sim.log"), "w")
    procs.append(subprocess.Popen(
        [os.path.join(build, "sim/evgroup-sim"), "--site", site, "--speed",
         speed, "--base-port", str(base), "--meter-port", str(base + 24),
         "--control", simsock, "--master-config", conf],
        stdout=simlog, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 20
    while not os.path.exists(conf) and time.monotonic() < deadline:
        time.sleep(0.1)
    masterlog = os.path.join(data, "master.log")
    procs.append(subprocess.Popen(
        [os.path.join(build, "master/evgroup-master"), "--config", conf,
         "--set", "site.database=" + os.path.join(data, "evgroup.db"),
         "--set", "site.stats_file=" + os.path.join(data, "stats.json"),
         "--set", "web.listen=127.0.0.1", "--set", "web.port=%d" % web],
        stdout=open(masterlog, "w"), stderr=subprocess.STDOUT))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with open(masterlog) as f:
            if "web UI on" in f.read():
                break
        if procs[1].poll() is not None:
            print("evgroup-master stopped: see " + masterlog)
            stop()
        time.sleep(0.2)
    url = "http://127.0.0.1:%d/" % web
    print("""
A simulated office car park is running: 12 double chargers (24 connectors)
on two 63 A boards under a 3 x 100 A supply: row-a (bays 1-6, its own
meter) and row-b (bays 7-12, its fuse only); a 20 A imbalance limit at the
supply; the building's load, PV on the roof, cars arriving, single-phase
ones among them (site clock x%s).

  Web UI:   %s
            log in as installer / installer (the first login asks you to
            choose a new password)
  Console:  %s/tui/evgroup-tui --url %s --user installer
  The site: echo site | socat - UNIX-CONNECT:%s
            (echo circuits | ... : each board's current; load steps,
            faults, plug/unplug: docs/simulator.md)
  Logs:     %s/master.log, %s/sim.log

Ctrl-C stops everything.
""" % (speed, url, build, url.rstrip("/"), simsock, data, data), flush=True)
    while True:
        time.sleep(10)
        for p in procs:
            if p.poll() is not None:
                print("a program stopped: see the logs in " + data)
                stop()
        try:
            s = json.loads(control(simsock, "site"))
            boards = "".join(
                "  %s %3.0f %3.0f %3.0f A" % (c["name"], *c["current"])
                for c in json.loads(control(simsock, "circuits")))
            print("%s  building %4.0f %4.0f %4.0f A  PV %4.0f A  cars %2d "
                  "(arrived %d, left %d)%s" % (
                      s["time"], *s["building"], s["pv"][0], s["cars"],
                      s["arrived"], s["left"], boards), flush=True)
        except (OSError, ValueError):
            pass


if __name__ == "__main__":
    main()
