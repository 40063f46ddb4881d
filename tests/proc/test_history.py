#!/usr/bin/env python3
"""Issue 18, section 3: energy and sessions per local day or month, per
connector and per RFID tag (GET /api/energy and its CSV), against
sessions seeded into the appliance's database beside its writer (WAL),
checked against an independent sum in Python (zoneinfo for the local
days); the sessions' tag and connector filters and the tags' names; the
refusals with their positive twins; and the Energy page in headless
Chromium (tests/browser/history.js). The appliance and the browser run
in Europe/London. Loopback only; bounded waits; processes stopped."""

import csv
import datetime
import io
import os
import random
import sqlite3
import subprocess
import sys
import time
import unittest
from collections import defaultdict
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as ta  # noqa: E402
import test_link as tl  # noqa: E402
import test_webui as tw  # noqa: E402

TZ = "Europe/London"
ZONE = ZoneInfo(TZ)
H = 3600 * 1000


def local_ms(y, mo, d, h=0, mi=0):
    return int(datetime.datetime(y, mo, d, h, mi, tzinfo=ZONE)
               .timestamp() * 1000)


SEP1, DEC1 = local_ms(2026, 9, 1), local_ms(2026, 12, 1)
# (tag as the charger wrote it, its normalised form, the name installed)
TAGS = [("04:a1:b2:c3", "04A1B2C3", "Fleet van 1"),
        ("04A1B2C3", "04A1B2C3", "Fleet van 1"),
        ("DEADBEEF", "DEADBEEF", "Night shift"),
        ("cafe01", "CAFE01", ""),
        ("", "", "")]
CHARGERS = [("bay-001", 1), ("bay-002", 1), ("bay-003", 1)]


def seed_sessions(db_path):
    """About 300 sessions from September to November 2026 (some over
    midnight, one over the night the clocks went back, one in
    progress); returns them as (charger, connector, norm tag, when,
    energy_wh), when being the end or, in progress, the last save."""
    rnd = random.Random(18)
    rows, seen = [], []
    for n in range(300):
        ch, k = rnd.choice(CHARGERS)
        raw, norm, _ = rnd.choice(TAGS)
        end = rnd.randrange(SEP1 + 15 * H, DEC1 - 1)
        start = end - rnd.randrange(H // 2, 14 * H)
        wh = rnd.randrange(500, 60000)
        rows.append((ch, k, n + 1, start, end, wh, raw, end))
        seen.append((ch, k, norm, end, wh))
    # 22:00 on the 24th to 02:00 on the 25th of October: the day it ended
    s, e = local_ms(2026, 10, 24, 22), local_ms(2026, 10, 25, 2)
    rows.append(("bay-002", 1, 900, s, e, 30000, "DEADBEEF", e))
    seen.append(("bay-002", 1, "DEADBEEF", e, 30000))
    # in progress: its energy so far, at its last save
    s, u = local_ms(2026, 11, 29, 20), local_ms(2026, 11, 30, 23, 59)
    rows.append(("bay-003", 1, 901, s, None, 12345, "04A1B2C3", u))
    seen.append(("bay-003", 1, "04A1B2C3", u, 12345))
    db = sqlite3.connect(db_path, timeout=10)
    with db:
        db.executemany("INSERT INTO sessions (charger, connector, number,"
                       " start_ms, end_ms, energy_wh, reason, tag,"
                       " updated_ms) VALUES (?, ?, ?, ?, ?, ?, 'unplug', ?,"
                       " ?)", rows)
    db.close()
    return seen


def label(ms, group):
    d = datetime.datetime.fromtimestamp(ms / 1000, ZONE)
    return d.strftime("%Y-%m-%d" if group == "day" else "%Y-%m")


def expected(seen, by, group, keep=lambda s: True):
    """{(key, period): [energy_wh, sessions]} summed in Python."""
    out = defaultdict(lambda: [0, 0])
    for s in seen:
        if not keep(s):
            continue
        key = {"site": (), "connector": (s[0], s[1]), "tag": (s[2],)}[by]
        cell = out[(key, label(s[3], group))]
        cell[0] += s[4]
        cell[1] += 1
    return dict(out)


def from_json(j, by):
    out = {}
    for se in j["series"]:
        key = {"site": (), "connector": (se.get("charger"),
                                         se.get("connector")),
               "tag": (se.get("tag"),)}[by]
        for c in se["cells"]:
            out[(key, c["period"])] = [c["energy_wh"], c["sessions"]]
    return out


def from_csv(text, by):
    rows = list(csv.reader(io.StringIO(text)))
    out = {}
    for r in rows[1:]:
        key = {"site": lambda: (), "connector": lambda: (r[1], int(r[2])),
               "tag": lambda: (r[1],)}[by]()
        out[(key, r[0])] = [round(float(r[-2]) * 1000), int(r[-1])]
    return rows[0], out


class HistoryTest(ta.ApiTest):
    def setUp(self):
        super().setUp()
        self.old_tz = os.environ.get("TZ")
        os.environ["TZ"] = TZ

    def tearDown(self):
        # the master's reads of the records leave nothing behind (the
        # sanitizers' report at exit, in the ASan build)
        try:
            for p in self.procs:
                if p.name == "master":
                    p.stop()
                    self.assertNotIn("Sanitizer", p.text())
        finally:
            super().tearDown()
            if self.old_tz is None:
                del os.environ["TZ"]
            else:
                os.environ["TZ"] = self.old_tz

    def seeded(self):
        self.site(n=3)
        inst = self.installer()
        for raw, norm, name in TAGS[:4]:
            if name and raw == norm:
                st, j, _ = inst.call("POST", "/api/rfid",
                                     {"tag": norm, "name": name})
                self.assertEqual(st, 201, j)
        # the store's writer saves them in its next batch
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.rfid_rows() < 2:
            time.sleep(0.1)
        self.assertEqual(self.rfid_rows(), 2)
        return inst, seed_sessions(self.db)

    def rfid_rows(self):
        db = sqlite3.connect(self.db, timeout=10)
        try:
            return db.execute("SELECT count(*) FROM rfid").fetchone()[0]
        finally:
            db.close()

    def energy(self, c, q, status=200):
        st, j, h = c.call("GET", "/api/energy?" + q)
        self.assertEqual(st, status, j)
        return j

    def test_energy_api(self):
        inst, seen = self.seeded()
        c = self.operator(inst)
        rng = "from=%d&to=%d" % (SEP1, DEC1)
        for by in ("site", "connector", "tag"):
            for group in ("day", "month"):
                q = "by=%s&group=%s&%s" % (by, group, rng)
                j = self.energy(c, q)
                want = expected(seen, by, group)
                self.assertEqual(from_json(j, by), want, q)
                self.assertEqual(j["energy_wh"], sum(s[4] for s in seen))
                self.assertEqual(j["sessions"], len(seen))
                self.assertEqual(len(j["periods"]),
                                 91 if group == "day" else 3)
                self.assertEqual(sum(p["energy_wh"] for p in j["periods"]),
                                 j["energy_wh"])
                st, text, h = c.call("GET", "/api/energy.csv?" + q)
                self.assertEqual(st, 200)
                self.assertTrue(h["content-type"].startswith("text/csv"))
                self.assertIn("energy.csv", h["content-disposition"])
                head, rows = from_csv(text, by)
                self.assertEqual(rows, want, q)
                self.assertEqual(head[0], "period")
                self.assertEqual(head[-2:], ["energy_kwh", "sessions"])
        # the tags' names, one series per normalised tag, "" for none
        j = self.energy(c, "by=tag&group=month&" + rng)
        names = {s["tag"]: s["tag_name"] for s in j["series"]}
        self.assertEqual(names, {"04A1B2C3": "Fleet van 1", "DEADBEEF":
                                 "Night shift", "CAFE01": "", "": ""})
        # the day the clocks went back lasts 25 hours; the session over
        # its midnight counts on the 25th
        p = [p for p in self.energy(c, "group=day&" + rng)["periods"]
             if p["period"] == "2026-10-25"][0]
        self.assertEqual(p["end_ms"] - p["start_ms"], 25 * H)
        self.assertEqual(p["start_ms"], local_ms(2026, 10, 25))
        # a range inside a day is widened to the whole day
        j = self.energy(c, "from=%d&to=%d" % (local_ms(2026, 10, 25, 1),
                                              local_ms(2026, 10, 25, 3)))
        self.assertEqual([x["period"] for x in j["periods"]],
                         ["2026-10-25"])
        self.assertEqual(j["energy_wh"], sum(
            v[0] for (k, d), v in expected(seen, "site", "day").items()
            if d == "2026-10-25"))
        # the session in progress counts on the day of its last save
        j = self.energy(c, "by=connector&charger=bay-003&connector=1&"
                        "from=%d&to=%d" % (local_ms(2026, 11, 30),
                                           local_ms(2026, 11, 30, 12)))
        want = expected(seen, "connector", "day",
                        lambda s: s[0] == "bay-003" and
                        label(s[3], "day") == "2026-11-30")
        self.assertEqual(from_json(j, "connector"), want)
        self.assertIn(((("bay-003", 1)), "2026-11-30"), want)
        # one connector, one tag (written as a person would)
        for q, keep in (("charger=bay-002&connector=1",
                         lambda s: s[0] == "bay-002"),
                        ("tag=04-a1-b2-c3", lambda s: s[2] == "04A1B2C3")):
            j = self.energy(c, "by=tag&group=day&%s&%s" % (q, rng))
            self.assertEqual(from_json(j, "tag"),
                             expected(seen, "tag", "day", keep), q)
        # refusals, and their positive twins
        for q, field in (("group=week", "group"), ("by=car", "by"),
                         ("connector=3", "connector"), ("tag=a%2Fb", "tag"),
                         ("from=x", "from"), ("from=20&to=10", "from"),
                         ("group=day&from=0&to=%d" % DEC1, "from")):
            st, j, _ = c.call("GET", "/api/energy?" + q)
            self.assertEqual((st, j.get("field")), (400, field), q)
            self.assertEqual(c.call("GET", "/api/energy.csv?" + q)[0], 400)
        for q in ("group=month", "by=site", "connector=2", "tag=a:b",
                  "from=20&to=30", "group=month&from=0&to=%d" % DEC1):
            self.assertEqual(c.call("GET", "/api/energy?" + q)[0], 200, q)
        anon = ta.Client(self.web_port)
        self.assertEqual(anon.call("GET", "/api/energy")[0], 401)

    def test_sessions_filters_and_names(self):
        inst, seen = self.seeded()
        rng = "from=%d&to=%d&limit=10000" % (SEP1 - 14 * H, DEC1)
        st, j, _ = inst.call("GET", "/api/sessions?tag=04a1b2c3&" + rng)
        self.assertEqual(st, 200, j)
        self.assertEqual(len(j["sessions"]),
                         sum(1 for s in seen if s[2] == "04A1B2C3"))
        self.assertEqual({s["tag_name"] for s in j["sessions"]},
                         {"Fleet van 1"})
        self.assertIn("04:a1:b2:c3", {s["tag"] for s in j["sessions"]})
        st, j, _ = inst.call("GET", "/api/sessions?charger=bay-001&"
                             "connector=1&" + rng)
        self.assertEqual(len(j["sessions"]),
                         sum(1 for s in seen if s[0] == "bay-001"))
        st, text, _ = inst.call("GET", "/api/sessions.csv?tag=DEADBEEF&" +
                                rng)
        rows = list(csv.reader(io.StringIO(text)))
        self.assertEqual(rows[0][-1], "tag_name")
        self.assertEqual({r[-1] for r in rows[1:]}, {"Night shift"})
        for q, field in (("tag=%21%21", "tag"), ("connector=0", "connector"),
                         ("connector=x", "connector")):
            st, j, _ = inst.call("GET", "/api/sessions?" + q)
            self.assertEqual((st, j.get("field")), (400, field), q)
        st, j, _ = inst.call("GET", "/api/sessions?connector=2&tag=CAFE01&"
                             + rng)
        self.assertEqual((st, j["sessions"]), (200, []))

    def test_browser(self):
        browser = tw.browser_dir()
        inst, seen = self.seeded()
        shots = os.path.join(tl.BIN, "screenshots")
        want = expected(seen, "tag", "day",
                        lambda s: SEP1 <= s[3] < local_ms(2026, 10, 1))
        r = subprocess.run(["node", os.path.join(browser, "history.js"),
                            "http://127.0.0.1:%d/" % self.web_port,
                            ta.PASSWORD, shots,
                            str(sum(v[0] for v in want.values()))],
                           capture_output=True, text=True, timeout=120)
        print(r.stdout, file=sys.stderr)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


# The site's and the API's tests are theirs, not ours.
for _name in dir(ta.ApiTest):
    if _name.startswith("test_") and _name not in HistoryTest.__dict__:
        setattr(HistoryTest, _name, None)


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
