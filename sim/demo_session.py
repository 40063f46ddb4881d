#!/usr/bin/env python3
"""make demo: one simulated charger through a charging session.

Starts evgroup-slave with the simulated hardware, plays the part of the
car, the site and a fault, and prints what the charger reports as it
happens. Ctrl-C stops it cleanly."""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


def narrate(text):
    print("\n>>> " + text, flush=True)


class Charger:
    def __init__(self, binary, workdir):
        self.sock_path = os.path.join(workdir, "charger.sock")
        self.proc = subprocess.Popen(
            [binary, "--hal", "sim", "--control", self.sock_path,
             "--set", "unit.serial=DEMO000000000001"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._echo, daemon=True).start()
        deadline = time.monotonic() + 10
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(self.sock_path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise SystemExit("the charger did not start")
                time.sleep(0.05)
        self.rfile = self.sock.makefile("r")

    def _echo(self):
        for line in self.proc.stdout:
            print("    charger | " + line.rstrip(), flush=True)

    def cmd(self, line):
        self.sock.sendall((line + "\n").encode())
        reply = self.rfile.readline().strip()
        if reply.startswith("error"):
            print("    (%s -> %s)" % (line, reply))
        return reply

    def conn(self, n=1):
        return json.loads(self.cmd("status"))["connectors"][n - 1]

    def show(self, n=1):
        c = self.conn(n)
        s = c["session"]
        print("    status  | state %-26s pilot %-4s offer %4.1f A  duty %5.1f %%"
              "  contactor %-6s draw %s A  session %d: %d Wh, %d s  LED %s"
              % (c["state"], c["cp"], c["offer"], c["duty"],
                 "closed" if c["contactor"] else "open",
                 "/".join("%.1f" % a for a in c["current"]),
                 s["number"], s["energy_wh"], s["duration_s"],
                 "+".join(c["led"]["colours"])), flush=True)

    def wait(self, pred, timeout, n=1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred(self.conn(n)):
                return True
            time.sleep(0.1)
        return False

    def stop(self):
        try:
            self.sock.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def watch(ch, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(1)
        ch.show()


def run(ch):
    narrate("A charger with two Type 2 connectors boots; connector 1 is free.")
    time.sleep(0.5)
    ch.show()

    narrate("A car (16 A, three phases) plugs into connector 1. "
            "Plug and charge: the session starts, the residual current "
            "monitor tests itself, PWM offers 32 A (53.3 %), the car goes to C "
            "and the contactor closes.")
    ch.cmd("plug 1")
    ch.wait(lambda c: c["contactor"], 10)
    watch(ch, 3)

    narrate("The site gives this connector 10 A: the duty cycle drops to 16.6 % "
            "at once; the car follows within its 2 s response time.")
    ch.cmd("setpoint 1 10")
    watch(ch, 3)

    narrate("The site pauses the connector (0 A): PWM off first, the contactor "
            "opens when the car goes back to B, never under load unless the "
            "car ignores it for 6 s.")
    ch.cmd("setpoint 1 0")
    ch.wait(lambda c: not c["contactor"], 8)
    ch.show()

    narrate("The site offers 16 A again: the contactor stays open for its "
            "10 s minimum, then closes.")
    ch.cmd("setpoint 1 16")
    ch.wait(lambda c: c["contactor"], 15)
    watch(ch, 2)

    narrate("A 6 mA DC residual current: the contactor opens at once.")
    ch.cmd("fault 1 rcm-dc")
    time.sleep(0.5)
    ch.show()
    narrate("The leak is gone: the charger retries after 15 s, with a fresh "
            "self-test first.")
    ch.cmd("clear 1 rcm-dc")
    ch.wait(lambda c: c["contactor"], 20)
    watch(ch, 2)

    narrate("The driver unplugs: the session ends and is recorded.")
    ch.cmd("unplug 1")
    time.sleep(0.5)
    c = ch.conn()
    s = c["session"]
    print("    summary | session %d: %d Wh in %d s, peak %.1f A, stopped: %s"
          % (s["number"], s["energy_wh"], s["duration_s"], s["peak_current"],
             s["stop_reason"]))
    ch.show()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--slave", required=True, help="path to evgroup-slave")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="evgroup-demo-") as d:
        ch = Charger(args.slave, d)
        try:
            run(ch)
            narrate("Demo finished.")
        except KeyboardInterrupt:
            print("\nstopping")
        finally:
            ch.stop()
            time.sleep(0.2)


if __name__ == "__main__":
    main()
