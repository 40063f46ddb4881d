#!/usr/bin/env python3
"""Benchmark of MQTT's cost to the control loop: evgroup-master with N
simulated chargers of 2 connectors (evgroup-sim, loopback) polled at 1 Hz,
its web UI on, first with MQTT off, then publishing to Debian's mosquitto
on a loopback port (discovery and commands on) while mosquitto_sub reads
every topic. Prints the control loop's period jitter (p50/p99/max, from
the master's stats) in both runs and the messages the broker passed on.
Passes or fails nothing.

Usage: bench_mqtt.py BUILD_DIR [CHARGERS] [SECONDS]"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "proc"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_link import free_port  # noqa: E402
from bench_link import start_sim  # noqa: E402
from bench_web import loop_jitter  # noqa: E402


def broker(tmp):
    port = free_port()
    conf = os.path.join(tmp, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\n"
                "persistence false\nmax_queued_messages 0\n" % port)
    b = subprocess.Popen(["/usr/sbin/mosquitto", "-c", conf],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return b, port
        except OSError:
            time.sleep(0.05)
    b.kill()
    raise RuntimeError("mosquitto did not start")


def run(build, n, seconds, mqtt):
    with tempfile.TemporaryDirectory(prefix="evg-bench-mqtt-") as tmp:
        os.chmod(tmp, 0o755)
        sim, _, mconf, stats = start_sim(build, n, tmp)
        procs = [sim]
        sets = ["site.stats_file=" + stats, "web.port=%d" % free_port(),
                "site.database=" + os.path.join(tmp, "evgroup.db")]
        out = {}
        if mqtt:
            b, port = broker(tmp)
            procs.insert(0, b)
            sets += ["mqtt.enabled=yes", "mqtt.host=127.0.0.1",
                     "mqtt.port=%d" % port, "mqtt.commands=yes"]
            subf = open(os.path.join(tmp, "sub.txt"), "w")
            sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p",
                                    str(port), "-t", "#", "-v"],
                                   stdout=subf, stderr=subprocess.DEVNULL)
            procs.insert(0, sub)
        args = [os.path.join(build, "master/evgroup-master"), "--config",
                mconf, "--log-level", "warning"]
        for s in sets:
            args += ["--set", s]
        master = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        procs.insert(0, master)
        try:
            time.sleep(5)
            time.sleep(seconds)
            out.update(loop_jitter(stats))
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=20)
        if mqtt:
            subf.close()
            with open(os.path.join(tmp, "sub.txt")) as f:
                out["messages"] = sum(1 for _ in f)
    return out


def main():
    build = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    print("MQTT: evgroup-master with %d chargers (%d connectors), polled "
          "at 1 Hz, %d s each run" % (n, 2 * n, seconds))
    for name, on in (("MQTT off", False), ("MQTT on", True)):
        r = run(build, n, seconds, on)
        print("control loop period jitter %-8s: p50 %.1f ms, p99 %.1f ms, "
              "max %.1f ms (%d cycles)%s" % (
                  name, r["jp50"], r["jp99"], r["jmax"], r["cycles"],
                  "; %d messages passed on" % r["messages"]
                  if "messages" in r else ""))


if __name__ == "__main__":
    main()
