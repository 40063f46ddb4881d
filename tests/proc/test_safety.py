#!/usr/bin/env python3
"""End-to-end safety scenarios: the real evgroup-master against
evgroup-sim on loopback, the simulator recording the CT kit's phases and
every connector's offer and draw every 100 ms, and after each scenario
the invariants of safety.py: no phase over the site limit longer than one
meter period, one poll and the cars' 5 s; no offer outside {0} or
[6 A, max]. Bounded waits; processes stopped."""

import json
import os
import random
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safety  # noqa: E402
import test_link as tl  # noqa: E402


class SafetyTest(tl.Base):
    def site(self, n, limit, *sets, connectors=2, site_file=None,
             speed=1):
        """n chargers (or a site file), their master at `limit` A a
        phase; the recording in self.rec."""
        base = tl.free_ports(n + 1)
        self.simsock = os.path.join(self.tmp, "sim.sock")
        self.rec = os.path.join(self.tmp, "record.csv")
        self.status_path = os.path.join(self.tmp, "status.json")
        self.limit = limit
        mconf = os.path.join(self.tmp, "master.ini")
        args = [os.path.join(tl.BIN, "sim/evgroup-sim"), "--base-port",
                str(base), "--meter-port", str(base + n), "--control",
                self.simsock, "--master-config", mconf, "--record", self.rec]
        if site_file:
            args += ["--site", site_file, "--speed", str(speed)]
        else:
            args += ["--slaves", str(n), "--connectors", str(connectors)]
        self.sim = self.start("sim", args)
        tl.wait_control(self.simsock)
        # Rotation's timers at their defaults (5 min): a start is no
        # longer misread as the building (docs/load-balancing.md,
        # "Readings in time"), and a car cut by the fuse rests no pause.
        sets = ["site.site_limit=%s" % limit, "site.group_limit=%s" % limit,
                "site.margin=2",
                "site.poll_period=500", "site.fallback_timeout=5",
                "site.status_file=" + self.status_path, "meter.poll_period=500",
                *sets]
        extra = []
        for s in sets:
            extra += ["--set", s]
        self.m = self.master(mconf, *extra)
        self.m.wait_for(r"meter: online", timeout=20)

    def ctl(self, line):
        r = tl.control(self.simsock, line)
        self.assertFalse(r.startswith("error"), (line, r))
        return r

    def cars(self, names, conns=(1, 2), max_a=32, phases=3):
        """Cars plugged in one after another: cars that all start within
        one poll are read by the meter before the chargers report them,
        and the master takes them for the building (a known follow-up:
        readings in time)."""
        for name in names:
            for k in conns:
                self.ctl("%s car %d max %d" % (name, k, max_a))
                self.ctl("%s car %d phases %d" % (name, k, phases))
                self.ctl("%s plug %d" % (name, k))
                time.sleep(1.2)

    def status(self):
        for _ in range(20):
            try:
                with open(self.status_path) as f:
                    return json.load(f)
            except (OSError, ValueError):
                time.sleep(0.1)
        self.fail("no status")

    def wait(self, pred, timeout=20, what="condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.status()
            if pred(st):
                return st
            time.sleep(0.2)
        self.fail("%s not reached: %s\nmaster log:\n%s" % (
            what, json.dumps(self.status())[:1500],
            "\n".join(self.m.text().splitlines()[-25:])))

    def verify(self, window_s=None):
        """Stops the programs and checks the recording."""
        self.m.stop()
        self.sim.stop()
        fig, bad = safety.check(self.rec, self.limit,
                                *([window_s] if window_s else []))
        print("%s: %s" % (self.id().split(".")[-1], fig), file=sys.stderr)
        self.assertGreater(fig["samples"], 30)
        self.assertGreater(fig["offers_nonzero"], 0)
        self.assertEqual(bad, [])
        return fig

    @staticmethod
    def offers(st, charger=None):
        return [c["offer"] for c in st["connectors"]
                if charger is None or c["charger"] == charger]

    # --- scenarios -------------------------------------------------------

    def test_load_steps_up_and_down(self):
        self.site(4, 100, "site.mode=dynamic")
        self.ctl("meter base 20 20 20")
        self.cars(["bay-001", "bay-002", "bay-003", "bay-004"])
        # 100 - 2 - 20 = 78 A a phase for 8 cars
        self.wait(lambda s: sum(c["state"] == "charging"
                                for c in s["connectors"]) == 8,
                  what="8 cars charging")
        for step in (40, 0, 60, 10, 70, 0):
            self.ctl("meter step %d %d %d" % (step, step, step))
            time.sleep(7)
        st = self.status()
        self.assertLessEqual(sum(st["ev"]) / 3, 98 - 20 + 1)
        self.verify()

    def pv_cloud(self, mode, floor):
        self.site(2, 63, "site.mode=" + mode, "site.green_start=2",
                  "site.green_stop=3")
        # the sun: the building exports 40 A a phase
        self.ctl("meter base -40 -40 -40")
        self.cars(["bay-001", "bay-002"])
        self.wait(lambda s: sum(self.offers(s)) >= 24,
                  what="cars on surplus")
        # a cloud: no surplus, the building draws 10 A
        self.ctl("meter base 10 10 10")
        st = self.wait(lambda s: max(self.offers(s)) <= floor and
                       all(o in (0.0, floor) for o in self.offers(s)),
                       what="the cloud answered")
        if mode == "hybrid":
            self.assertIn(floor, self.offers(st))
        time.sleep(5)       # and it stays so
        st = self.status()
        self.assertTrue(all(o in (0.0, floor)
                            for o in self.offers(st)), st)
        self.verify()

    # One scenario a test method, so that make test can run them side by
    # side (tests/CMakeLists.txt: proc_safety_*); each starts its own site.
    def test_pv_cloud_in_green(self):
        self.pv_cloud("green", 0.0)

    def test_pv_cloud_in_hybrid(self):
        self.pv_cloud("hybrid", 6.0)

    # The charger loses power ("kill": its car stops at once) or its
    # network hangs ("blackhole": its car charges on until its own
    # fallback); either way for 25 s, long enough that the master's count
    # of it (not its last reading) must keep the fuse.
    def charger_killed(self, strategy, how, ok):
        self.site(3, 40, "site.mode=dynamic",
                  "site.offline_strategy=" + strategy,
                  "site.offline_after=2")
        self.ctl("meter base 5 5 5")
        self.cars(["bay-001", "bay-002", "bay-003"], conns=(1,))
        self.wait(lambda s: sum(c["state"] == "charging"
                                for c in s["connectors"]) == 3,
                  what="3 cars charging")
        self.ctl("bay-002 " + ("kill" if how == "kill" else "blackhole on"))
        self.wait(lambda s: not [c for c in s["chargers"]
                                 if c["name"] == "bay-002"][0]
                  ["online"], what="bay-002 offline")
        # once its fallback timeout (5 s) and the car's 5 s are over, the
        # others follow the strategy
        time.sleep(25)
        st = self.status()
        live = [c["offer"] for c in st["connectors"]
                if c["charger"] != "bay-002" and c["connector"] == 1]
        self.assertTrue(ok(live), (strategy, live))
        self.ctl("bay-002 " + ("revive" if how == "kill" else
                               "blackhole off"))
        self.wait(lambda s: [c for c in s["chargers"]
                             if c["name"] == "bay-002"][0]["online"],
                  what="bay-002 back")
        self.verify()

    def test_charger_killed_zero(self):
        self.charger_killed("zero", "kill", lambda o: max(o) == 0)

    def test_charger_killed_minimise(self):
        self.charger_killed("minimise", "kill", lambda o: max(o) <= 6.0)

    def test_charger_killed_maximise(self):
        self.charger_killed("maximise", "kill", lambda o: max(o) > 6.0)

    def test_charger_blackholed_maximise(self):
        self.charger_killed("maximise", "blackhole", lambda o: max(o) > 6.0)

    def test_single_phase_car_and_a_car_that_ignores_its_offer(self):
        self.site(1, 40, "site.mode=dynamic")
        self.ctl("meter base 5 5 5")
        # connector 1: a single-phase car on a three-phase connector
        self.cars(["bay-001"], conns=(1,), max_a=32, phases=1)
        # connector 2: a car that keeps drawing when told less
        self.cars(["bay-001"], conns=(2,), max_a=32, phases=3)
        self.wait(lambda s: all(c["state"] == "charging"
                                for c in s["connectors"]), what="charging")
        self.ctl("bay-001 car 2 stubborn on")
        # the building rises: the offers drop, the stubborn car does not
        self.ctl("meter step 15 15 15")
        st = self.wait(lambda s: "overcurrent" in
                       s["connectors"][1]["faults"], timeout=30,
                       what="overcurrent fault")
        self.assertEqual(st["connectors"][1]["state"], "fault")
        self.assertEqual(st["connectors"][1]["offer"], 0.0)
        # the single-phase car goes on, on its one phase (it may have
        # been cut while the other drew more than it was offered)
        st = self.wait(lambda s: s["connectors"][0]["state"] == "charging"
                       and s["connectors"][0]["offer"] > 9.0,
                       what="the single-phase car back")
        self.assertEqual(st["connectors"][0]["current"][1:], [0.0, 0.0])
        # A car that ignores its offer is out of the master's hands: the
        # charger's own protection stops it, 5 s after the cut (IEC
        # 61851-1) and 1 s of filtering (slave/fw.h), the cut itself one
        # meter period after the step.
        self.verify(window_s=0.5 + 5.0 + 1.0 + 1.0)

    def test_meter_unplugged_and_back(self):
        self.site(3, 63, "site.mode=dynamic", "site.meter_offline_limit=12",
                  "meter.offline_after=2")
        self.ctl("meter base 10 10 10")
        self.cars(["bay-001", "bay-002", "bay-003"], conns=(1,))
        self.wait(lambda s: sum(self.offers(s)) > 36, what="sharing 51 A")
        self.ctl("meter offline on")
        # the chargers together keep to the offline limit per phase
        st = self.wait(lambda s: not s["meter_online"] and
                       sum(self.offers(s)) <= 12.0, what="offline limit")
        self.ctl("meter offline off")
        self.wait(lambda s: s["meter_online"] and sum(self.offers(s)) > 36,
                  what="online limit again")
        self.verify()

    def test_master_killed_then_restarted(self):
        self.site(2, 63, "site.mode=dynamic", "site.fallback_current=0")
        self.ctl("meter base 10 10 10")
        self.cars(["bay-001", "bay-002"])
        self.wait(lambda s: sum(c["state"] == "charging"
                                for c in s["connectors"]) == 4,
                  what="4 cars charging")
        t_kill = time.time()
        self.m.stop(tl.signal.SIGKILL)
        # every charger at its fallback (0 A) within its 5 s timeout
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline:
            offers = [json.loads(tl.control(self.simsock, "bay-00%d status"
                                            % c))["connectors"][k]["offer"]
                      for c in (1, 2) for k in (0, 1)]
            if max(offers) == 0:
                break
            time.sleep(0.2)
        took = time.time() - t_kill
        self.assertEqual(max(offers), 0, offers)
        self.assertLess(took, 5 + 2)       # the timeout, a poll, a tick
        # restarted on the same database: control resumes
        self.m = self.master(os.path.join(self.tmp, "master.ini"),
                             "--set", "site.site_limit=63",
                             "--set", "site.group_limit=63",
                             "--set", "site.status_file=" +
                             self.status_path, "--set",
                             "site.fallback_timeout=5")
        self.wait(lambda s: sum(self.offers(s)) > 24, timeout=30,
                  what="control again")
        self.verify()

    def test_200_connectors_with_random_events(self):
        site = os.path.join(self.tmp, "site.ini")
        with open(site, "w") as f:
            f.write("[site]\nname = busy\nsupply = 250\nchargers = 100\n"
                    "connectors = 2\nstart = mon 08:00\n[load]\n"
                    "profile = office\npeak = 80\nsteps_per_hour = 30\n"
                    "step_max = 30\n[pv]\nshape = cloudy\nkwp = 50\n"
                    "[cars]\narrivals = 3000\ndwell = 60\nseed = 5\n")
        self.site(100, 250, site_file=site, speed=10)
        rnd = random.Random(5)
        end = time.monotonic() + 60      # 10 site minutes at SPEED=10
        killed = []
        while time.monotonic() < end:
            bay = "bay-%03d" % rnd.randint(1, 100)
            event = rnd.choice(["kill", "revive", "step", "fault", "clear",
                                "unplug", "plug"])
            if event == "kill" and len(killed) < 5:
                tl.control(self.simsock, bay + " kill")
                killed.append(bay)
            elif event == "revive" and killed:
                tl.control(self.simsock, killed.pop() + " revive")
            elif event == "step":
                a = rnd.choice([0, 20, 40, -10])
                tl.control(self.simsock, "meter step %d %d %d" % (a, a, a))
            elif event == "fault":
                tl.control(self.simsock, bay + " fault %d rcm-dc" %
                           rnd.randint(1, 2))
            elif event == "clear":
                tl.control(self.simsock, bay + " clear %d rcm-dc" %
                           rnd.randint(1, 2))
            elif event in ("unplug", "plug"):
                tl.control(self.simsock, "%s %s %d" % (bay, event,
                                                       rnd.randint(1, 2)))
            time.sleep(0.5)
        st = self.status()
        self.assertEqual(len(st["connectors"]), 200)
        fig = self.verify()
        self.assertEqual(fig["connectors"], 200)


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    # make test runs the scenarios side by side, a few to a ctest test
    # (tests/CMakeLists.txt): "--not NAME..." runs every scenario but
    # those, so that one added later runs whatever the split.
    if sys.argv[1:2] == ["--not"]:
        loader = unittest.TestLoader()
        names = [n for n in loader.getTestCaseNames(SafetyTest)
                 if n not in sys.argv[2:]]
        suite = unittest.TestSuite(SafetyTest(n) for n in names)
        result = unittest.TextTestRunner(verbosity=2).run(suite)
        sys.exit(not result.wasSuccessful())
    unittest.main(verbosity=2)
