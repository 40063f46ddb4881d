#!/usr/bin/env python3
"""Commissioning reports (issue 18, section 3) end to end over the JSON
API against evgroup-master and evgroup-sim on loopback: an installer
saves one; the master fills in the settings (equal to GET /api/config),
its version and the alarms itself, and the browser cannot forge them;
the printable page escapes hostile notes; operators list and read but
do not save (403; the installer's positive twin); bad bodies are 400
and store nothing; the reports survive a restart of the master.
Bounded waits; processes stopped."""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as ta  # noqa: E402
import test_link as tl  # noqa: E402

HOSTILE = ("</div><script>alert(1)</script>\n"
           "<img src=x onerror=alert(2)> & \"quoted\" 'single'")


def body(notes="Clamps checked with a 2 kW heater on each phase."):
    return {"installer": "Zoë Électricienne", "notes": notes, "steps": [
        {"step": "site", "status": "pass", "text": "Fuse 100 A, margin 2 A.",
         "figures": {"site limit": "100.0 A", "margin": 2}},
        {"step": "meter", "status": "pass", "text": "The meter answers."},
        {"step": "charger-test", "status": "pass", "charger": "bay-001",
         "text": "bay-001 answers: firmware 0.1."},
        {"step": "phase-rotation", "status": "skipped", "charger": "bay-002",
         "connector": 1, "text": "phase check not available: no car"},
        {"step": "fallback", "status": "warn",
         "text": "0 A on 3 connectors: 0 A when the appliance stops."}]}


class ReportTest(ta.ApiTest):
    def reports(self, c):
        st, j, _ = c.call("GET", "/api/reports")
        self.assertEqual(st, 200, j)
        return j["reports"]

    def test_save_read_refuse_and_restart(self):
        m = self.site(n=3, simargs=("--set", "connector1.max_current=16"))
        c = self.installer()
        o = self.operator(c)
        self.wait_status(c, lambda s: all(x["online"] for x in s["chargers"]))
        self.assertEqual(self.reports(o), [])
        # what the wizard checks a charger against: its own ratings and
        # authorisation mode, as the test reads them from the charger
        st, j, _ = c.call("POST", "/api/chargers/2/test")
        self.assertEqual(st, 200, j)
        self.assertEqual((j["ratings"][0], len(j["ratings"]),
                          j["authorisation"]), (16.0, j["connectors"], "free"))
        # an operator reads but does not save; nothing stored
        st, j, _ = o.call("POST", "/api/reports", body())
        self.assertEqual(st, 403, j)
        # bad bodies: refused with the member at fault, nothing stored
        for bad, field in (
                ({"steps": [{"step": "wiring", "status": "pass",
                             "text": "x"}]}, "steps[0].step"),
                ({"steps": [{"step": "charger-test", "status": "pass",
                             "text": "x", "charger": "bay-009"}]},
                 "steps[0].charger"),
                ({"notes": "a\x1b[2J", "steps": []}, "notes"),
                ({"notes": "x" * 4001, "steps": []}, "notes"),
                ({"installer": "", "steps": []}, "installer"),
                # the settings are the master's to fill in
                ({"steps": [], "config": {"site": {"site_limit": "9"}}},
                 "config"),
                ({"steps": [], "version": "9.9"}, "version")):
            st, j, _ = c.call("POST", "/api/reports", bad)
            self.assertEqual((st, j.get("field")), (400, field), (bad, j))
        st, j, _ = c.call("POST", "/api/reports", raw=b"{\"steps\": [")
        self.assertEqual(st, 400, j)
        st, j, _ = c.call("POST", "/api/reports", body(), csrf=False)
        self.assertEqual(st, 403, j)
        self.assertEqual(self.reports(c), [])
        # the installer's positive twin, with hostile notes
        st, j, _ = c.call("POST", "/api/reports", body(HOSTILE))
        self.assertEqual(st, 201, j)
        self.assertEqual((j["id"], j["html"]), (1, "/api/reports/1.html"))
        st, cfg, _ = c.call("GET", "/api/config")
        st, r, _ = o.call("GET", "/api/reports/1")
        self.assertEqual(st, 200, r)
        self.assertEqual(r["config"], cfg["config"])
        self.assertEqual(r["pending"], cfg["pending"])
        self.assertEqual((r["site"], r["installer"], r["saved_by"],
                          r["notes"]), ("e2e", "Zoë Électricienne",
                                        "installer", HOSTILE))
        self.assertRegex(r["version"], r"^\d+\.\d+\.\d+$")
        self.assertEqual(r["counts"], {"pass": 3, "warn": 1, "fail": 0,
                                       "skipped": 1})
        self.assertEqual(r["steps"], body()["steps"])
        self.assertIsInstance(r["alarms"], list)
        self.assertAlmostEqual(r["time_ms"] / 1000, time.time(), delta=60)
        # no secret of any kind in it: the only "password"s are the MQTT,
        # OCPP and chargers' OCPP settings' names, their values never
        # shown (empty, or "(set)")
        text = str(r).lower()
        self.assertIn("'password': ''", text)
        self.assertIn("'ocpp_password': ''", text)
        text = re.sub(r"'(ocpp_)?password': '(|\(set\))'", "", text)
        for word in ("hash", "password", "csrf", "argon"):
            self.assertNotIn(word, text)
        # the list, for operators too
        lst = self.reports(o)
        self.assertEqual([(x["id"], x["site"], x["installer"])
                          for x in lst], [(1, "e2e", "Zoë Électricienne")])
        # the printable page: escaped, no script, its own file name
        day = r["day"]
        for path in ("/api/reports/1.html", "/api/reports/1?format=html"):
            st, page, h = o.call("GET", path)
            self.assertEqual(st, 200, page)
            self.assertTrue(h["content-type"].startswith("text/html"))
            self.assertIn("default-src 'none'",
                          h["content-security-policy"])
            self.assertNotIn("script-src", h["content-security-policy"])
            self.assertEqual(h["content-disposition"],
                             'inline; filename="commissioning-e2e-%s.html"'
                             % day)
            self.assertNotIn("<script", page)
            self.assertNotIn("<img", page)
            self.assertIn("&lt;/div&gt;&lt;script&gt;alert(1)&lt;/script"
                          "&gt;\n&lt;img src=x onerror=alert(2)&gt; &amp; "
                          "&quot;quoted&quot; &#39;single&#39;", page)
            self.assertIn("<td>Zoë Électricienne</td>", page)
            self.assertIn("@media print", page)
            self.assertIn("<td>%s</td>" % cfg["config"]["site"]["site_limit"],
                          page)
        st, page, h = o.call("GET", "/api/reports/1.html?download=yes")
        self.assertTrue(h["content-disposition"].startswith("attachment;"))
        for path, code in (("/api/reports/2", 404), ("/api/reports/x", 404),
                           ("/api/reports/1?format=pdf", 400)):
            self.assertEqual(o.call("GET", path)[0], code, path)
        self.wait_event(c, "report", "saved commissioning report 1")
        # kept across a restart of the master
        st, j, _ = c.call("POST", "/api/restart")
        self.assertEqual(st, 202, j)
        m.wait_for(r"restarting", timeout=10)
        m.wait_for(r"web UI on", timeout=15, after=1)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if self.reports(o):
                    break
            except OSError:
                pass
            time.sleep(0.2)
        st, r2, _ = o.call("GET", "/api/reports/1")
        self.assertEqual((st, r2), (200, r))
        # and a second one gets the next number
        st, j, _ = c.call("POST", "/api/reports", {"steps": []})
        self.assertEqual((st, j.get("id")), (201, 2), j)
        st, r3, _ = o.call("GET", "/api/reports/2")
        self.assertEqual(r3["installer"], "installer")  # the login's name
        self.assertEqual([x["id"] for x in self.reports(o)], [2, 1])


ta.own_tests_only(ReportTest)


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
