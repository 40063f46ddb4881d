#!/usr/bin/env python3
"""The master's database under the things that happen to an appliance:
killed at random moments while writing (50 times), restarted with
sessions in progress, a full disk, a read-only database, a live backup.
Loopback only; bounded waits; every process stopped."""

import json
import os
import re
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402


def integrity(path):
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


def rows(path, sql):
    db = sqlite3.connect(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


class StoreTest(tl.Base):
    N = 4

    def start_site(self):
        base = tl.free_ports(self.N)
        self.simsock = os.path.join(self.tmp, "sim.sock")
        self.start("sim", [os.path.join(tl.BIN, "sim/evgroup-sim"),
                           "--slaves", str(self.N), "--base-port", str(base),
                           "--control", self.simsock,
                           "--set", "unit.min_open_time=0"])
        tl.wait_control(self.simsock)
        self.ctl = os.path.join(self.tmp, "master.sock")
        self.cfg = os.path.join(self.tmp, "site.ini")
        with open(self.cfg, "w") as f:
            f.write("[site]\npoll_period = 200\nsite_limit = 200\ngroup_limit = 200\n"
                    "min_run = 0\nmin_pause = 0\ncontrol_socket = %s\n"
                    % self.ctl)
            for i in range(self.N):
                f.write("\n[charger%d]\nname = bay-%03d\nhost = 127.0.0.1\n"
                        "port = %d\n" % (i + 1, i + 1, base + i))

    def run_master(self, *extra):
        return self.master(self.cfg, *extra)

    def sim(self, line):
        return tl.control(self.simsock, line)

    def sim_sessions(self):
        """(charger, connector) -> (live session number or 0, last number)"""
        out = {}
        for i in range(self.N):
            st = json.loads(self.sim("bay-%03d status" % (i + 1)))
            for c in st["connectors"]:
                s = c["session"]
                out[("bay-%03d" % (i + 1), c["connector"])] = (
                    s["number"] if s["active"] else 0, s["number"])
        return out

    def test_killed_while_writing_50_times(self):
        self.start_site()
        stop = threading.Event()
        rnd = random.Random(7)

        def churn():
            # cars come and go, operators act: sessions and events
            while not stop.is_set():
                n, k = rnd.randint(1, self.N), rnd.randint(1, 2)
                verb = rnd.choice(["plug", "unplug"])
                try:
                    self.sim("bay-%03d %s %d" % (n, verb, k))
                    tl.control(self.ctl, "%s bay-%03d %d" % (
                        rnd.choice(["pause", "resume"]), n, k), timeout=1)
                except OSError:
                    pass        # the master is down right now
                time.sleep(0.01)

        t = threading.Thread(target=churn)
        t.start()
        try:
            for kill in range(50):
                m = self.run_master()
                deadline = time.monotonic() + 10
                while not os.path.exists(self.ctl) and \
                        time.monotonic() < deadline:
                    time.sleep(0.02)
                time.sleep(rnd.uniform(0.3, 1.5))
                m.stop(signal.SIGKILL)
                self.procs.remove(m)
                os.unlink(self.ctl) if os.path.exists(self.ctl) else None
                self.assertEqual(integrity(self.db), "ok", "kill %d" % kill)
                dup = rows(self.db, "SELECT charger, connector, number, "
                           "count(*) FROM sessions GROUP BY charger, "
                           "connector, number HAVING count(*) > 1")
                self.assertEqual(dup, [], "kill %d: sessions twice" % kill)
        finally:
            stop.set()
            t.join(timeout=10)
        # A last, clean run: every session is where it should be.
        m = self.run_master()
        time.sleep(3)
        m.stop()
        self.procs.remove(m)
        live = self.sim_sessions()
        recorded = rows(self.db, "SELECT charger, connector, number, end_ms "
                        "FROM sessions")
        self.assertGreater(len(recorded), 50)
        for ch, conn, number, end in recorded:
            now_live, last = live[(ch, conn)]
            self.assertLessEqual(number, last)
            if number == now_live:
                self.assertIsNone(end, (ch, conn, number))
            else:
                self.assertIsNotNone(end, (ch, conn, number))
        for (ch, conn), (now_live, _) in live.items():
            if now_live:
                self.assertIn((ch, conn, now_live, None), recorded)
        events = rows(self.db, "SELECT count(*) FROM events")[0][0]
        print("50 kills: %d sessions, %d events recorded" % (
            len(recorded), events), file=sys.stderr)

    def test_sessions_resumed_or_closed_after_restart(self):
        self.start_site()
        self.sim("bay-001 plug 1")
        self.sim("bay-002 plug 1")
        m = self.run_master()
        m.wait_for(r"bay-002 .*online")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and rows(
                self.db, "SELECT count(*) FROM sessions")[0][0] < 2:
            time.sleep(0.1)
        m.stop(signal.SIGKILL)
        self.procs.remove(m)
        self.sim("bay-002 unplug 1")     # leaves while the master is down
        time.sleep(0.5)
        m = self.run_master()
        m.wait_for(r"charger bay-001 connector 1: session 1 resumed")
        time.sleep(1.5)
        m.stop()
        got = rows(self.db, "SELECT charger, end_ms IS NULL, reason FROM "
                   "sessions ORDER BY charger")
        self.assertEqual(got, [("bay-001", 1, None),
                               ("bay-002", 0, "master-restart")])

    def test_disk_full_then_space_again(self):
        self.start_site()
        self.sim("bay-001 plug 1")
        m = self.run_master()
        m.wait_for(r"appliance started")
        time.sleep(1.5)
        size = sum(os.path.getsize(self.db + s) for s in ("", "-wal")
                   if os.path.exists(self.db + s))
        # no file of the master may grow: the disk is full
        inf = resource.RLIM_INFINITY
        resource.prlimit(m.p.pid, resource.RLIMIT_FSIZE, (size, inf))
        for i in range(300):
            tl.control(self.ctl, "pause bay-002 1")
        pos = m.wait_for(r"cannot write the database .*charging goes on",
                         timeout=15)
        # control goes on: an operator's pause still reaches the charger
        self.assertEqual(tl.control(self.ctl, "pause bay-001 1"), "ok")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and json.loads(self.sim(
                "bay-001 status"))["connectors"][0]["setpoint"] != 0.0:
            time.sleep(0.1)
        self.assertEqual(json.loads(self.sim("bay-001 status"))
                         ["connectors"][0]["setpoint"], 0.0)
        resource.prlimit(m.p.pid, resource.RLIMIT_FSIZE, (inf, inf))
        m.wait_for(r"database writable again", after=pos, timeout=15)
        time.sleep(1.5)
        m.stop()
        n = rows(self.db, "SELECT count(*) FROM events WHERE text LIKE "
                 "'operator: pause bay-002%'")[0][0]
        self.assertEqual(n, 300)        # nothing lost
        self.assertEqual(integrity(self.db), "ok")

    def test_read_only_database(self):
        self.start_site()
        m = self.run_master()
        m.wait_for(r"appliance started")
        time.sleep(1.5)
        files = [self.db + s for s in ("", "-wal")
                 if os.path.exists(self.db + s)]
        if subprocess.run(["chattr", "+i", *files]).returncode != 0:
            self.skipTest("chattr +i is not permitted here")
        try:
            for i in range(50):
                tl.control(self.ctl, "resume bay-003 2")
            pos = m.wait_for(r"cannot write the database", timeout=15)
        finally:
            subprocess.run(["chattr", "-i", *files])
        m.wait_for(r"database writable again", after=pos, timeout=15)
        time.sleep(1.5)
        m.stop()
        n = rows(self.db, "SELECT count(*) FROM events WHERE text LIKE "
                 "'operator: resume bay-003 connector 2'")[0][0]
        self.assertEqual(n, 50)

    def test_live_backup(self):
        self.start_site()
        m = self.run_master()
        m.wait_for(r"appliance started")
        for i in range(100):
            tl.control(self.ctl, "pause bay-001 1")
        time.sleep(1.5)
        copy = os.path.join(self.tmp, "copy.db")
        r = subprocess.run([os.path.join(tl.BIN, "master/evgroup-master"),
                            "--config", self.cfg, "--set",
                            "site.database=" + self.db, "--backup", copy],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(integrity(copy), "ok")
        self.assertGreaterEqual(rows(copy, "SELECT count(*) FROM events")
                                [0][0], 100)


    def export(self):
        r = subprocess.run([os.path.join(tl.BIN, "master/evgroup-master"),
                            "--config", self.cfg, "--set",
                            "site.database=" + self.db, "--export-config"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_export_and_backup_from_another_folder(self):
        """A relative site.database is next to the configuration file:
        --export-config and --backup run from another folder (a cron job)
        reach the service's database and its configuration, not a new
        one made for the occasion; with no database there they refuse and
        create nothing."""
        exe = os.path.join(tl.BIN, "master/evgroup-master")
        cfgdir = os.path.join(self.tmp, "etc")
        elsewhere = os.path.join(self.tmp, "elsewhere")
        os.makedirs(cfgdir)
        os.makedirs(elsewhere)
        cfg = os.path.join(cfgdir, "master.ini")
        with open(cfg, "w") as f:
            f.write("[site]\ndatabase = evgroup.db\ngroup_limit = 30\n"
                    "site_limit = 100\n[web]\nenabled = no\n"
                    "[charger1]\nname = bay-001\nhost = 127.0.0.1\n"
                    "port = 1502\n")

        def run(*args, cwd=elsewhere, config=cfg):
            return subprocess.run([exe, "--config", config, *args],
                                  capture_output=True, text=True,
                                  timeout=60, cwd=cwd)

        # no database yet: refused, nothing created anywhere
        r = run("--export-config")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("no database at %s" % os.path.join(cfgdir,
                                                        "evgroup.db"),
                      r.stderr)
        r = run("--backup", os.path.join(self.tmp, "b0.db"))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(os.listdir(cfgdir), ["master.ini"])
        self.assertEqual(os.listdir(elsewhere), [])
        # the service runs once: the database lands next to the file,
        # not in the folder it was started from
        m = self.start("master", [exe, "--config", cfg,
                                  "--set", "site.control_socket=" +
                                  os.path.join(self.tmp, "m.sock")])
        m.wait_for(r"configuration seeded into %s" % re.escape(
            os.path.join(cfgdir, "evgroup.db")))
        m.wait_for(r"appliance started")
        m.stop()
        self.procs.remove(m)
        # the file changes afterwards: the export is still the database's
        with open(cfg) as f:
            text = f.read().replace("group_limit = 30", "group_limit = 20")
        with open(cfg, "w") as f:
            f.write(text)
        r = run("--export-config")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("group_limit = 30", r.stdout)
        copy = os.path.join(self.tmp, "b1.db")
        r = run("--backup", copy)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(integrity(copy), "ok")
        self.assertEqual(os.listdir(elsewhere), [])

    def test_configuration_lives_in_the_database(self):
        self.start_site()
        with open(self.cfg, "a") as f:
            f.write("\n[site]\ngroup_limit = 50\n".replace("[site]\n", ""))
        # the appended line lands in the last [chargerN] section: put it
        # where it belongs instead
        with open(self.cfg) as f:
            text = f.read().replace("\ngroup_limit = 50\n", "\n")
        text = text.replace("group_limit = 200", "group_limit = 50")
        with open(self.cfg, "w") as f:
            f.write(text)
        m = self.run_master()
        m.wait_for(r"configuration seeded into")
        m.wait_for(r"appliance started")
        m.stop()
        self.procs.remove(m)
        self.assertIn(("site", "group_limit", "50.0"),
                      rows(self.db, "SELECT * FROM config"))
        # the file changes: the database still rules
        with open(self.cfg, "w") as f:
            f.write(text.replace("group_limit = 50", "group_limit = 60"))
        self.assertIn("group_limit = 50.0\n", self.export())
        m = self.run_master()
        m.wait_for(r"configuration from .*only seeded it")
        m.wait_for(r"appliance started")
        # runtime changes: validated, recorded, applied, kept
        self.assertEqual(tl.control(self.ctl, "set site.group_limit 40"),
                         "ok")
        st = json.loads(tl.control(self.ctl, "status"))
        self.assertEqual(st["group_limit"], 40.0)
        for bad, why in (("set site.group_limit lots", "not a number"),
                         ("set site.mode dynamic", "needs a meter"),
                         ("set site.warp 9", "unknown setting"),
                         ("set charger9.port 1", "no such charger"),
                         ("set charger1.max_current1 90", "6.0-80.0 A"),
                         ("set site.group_limit", "expected")):
            reply = tl.control(self.ctl, bad)
            self.assertTrue(reply.startswith("error") and why in reply,
                            (bad, reply))
        self.assertEqual(json.loads(tl.control(self.ctl, "status"))
                         ["group_limit"], 40.0)
        self.assertTrue(tl.control(self.ctl, "set site.poll_period 300")
                        .startswith("saved; takes effect at the next "
                                    "start"))
        time.sleep(1.5)
        m.stop()
        out = self.export()
        self.assertIn("group_limit = 40.0\n", out)
        self.assertIn("poll_period = 300\n", out)
        ev = rows(self.db, "SELECT text FROM events WHERE code = 'config'")
        self.assertIn(("site.group_limit: 50.0 -> 40.0 (by operator)",), ev)


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
