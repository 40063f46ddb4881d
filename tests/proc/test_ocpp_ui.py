#!/usr/bin/env python3
"""What installers and operators see and set of OCPP (issue 15): the
[ocpp] settings and each charger's OCPP keys over the JSON API (every
refusal with its words and nothing changed, its twin taken; passwords
only ever said to be set, in the API, the events and --check-config),
against a real evgroup-master and evgroup-sim on loopback."""

import json
import os
import re
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402
import test_api as ta  # noqa: E402
import test_site as ts  # noqa: E402
import test_tui as tt  # noqa: E402
import test_webui as tw  # noqa: E402

SECRET = "Ocpp-Secret-0123"


@ta.own_tests_only
class OcppSettingsTest(ta.ApiTest):
    def ocpp_conf(self, c):
        st, j, _ = c.call("GET", "/api/config/ocpp")
        self.assertEqual(st, 200, j)
        return j

    def refused(self, c, path, body, field, words):
        before = c.call("GET", "/api/config")[1]["config"]
        st, j, _ = c.call("PUT", path, body)
        self.assertEqual(st, 400, (body, j))
        self.assertEqual(j.get("field"), field, j)
        self.assertIn(words, j["error"])
        self.assertEqual(c.call("GET", "/api/config")[1]["config"], before)

    def test_settings_refused_with_words_and_taken(self):
        self.site()
        c = self.installer()
        conf = self.ocpp_conf(c)
        self.assertEqual((conf["enabled"], conf["url"], conf["password"]),
                         ("no", "", ""))
        dead = "ws://127.0.0.1:%d/ocpp/" % tl.free_port()
        for body, field, words in (
                ({"url": "http://127.0.0.1/ocpp"}, "ocpp.url",
                 "must start with ws:// or wss://"),
                ({"url": "ws://cp:pw@127.0.0.1/"}, "ocpp.url",
                 "no user or password"),
                ({"enabled": True}, "ocpp.url", "must be set"),
                ({"enabled": True, "url": dead, "security_profile": 2},
                 "ocpp.url", "wss://"),
                ({"enabled": True, "url": dead, "security_profile": 1},
                 "ocpp.password", "needs a password"),
                ({"security_profile": 3}, "ocpp.security_profile", "0-2"),
                ({"password": "(set)"}, "ocpp.password", "(set)")):
            self.refused(c, "/api/config/ocpp", body, field, words)
        self.refused(c, "/api/config/site", {"authorisation": "csms"},
                     "site.authorisation", "OCPP is off")
        # the twin: profile 1 with the site's password, taken for the
        # next start; the password only said to be set
        st, j, _ = c.call("PUT", "/api/config/ocpp", {
            "enabled": True, "url": dead, "security_profile": 1,
            "password": SECRET})
        self.assertEqual(st, 200, j)
        self.assertTrue(j["restart_needed"], j)
        conf = self.ocpp_conf(c)
        self.assertEqual((conf["enabled"], conf["url"], conf["password"]),
                         ("yes", dead, "(set)"))
        st, j, _ = c.call("PUT", "/api/config/site",
                          {"authorisation": "rfid+csms"})
        self.assertEqual(st, 200, j)
        # chargers: an identity used twice refused, its twin taken
        self.refused(c, "/api/chargers/2", {"ocpp_identity": "bay-001"},
                     "charger2.ocpp_identity", "also charger 'bay-001'")
        self.refused(c, "/api/chargers/2", {"ocpp_identity": "CP\u0007"},
                     "charger2.ocpp_identity", "control characters")
        st, j, _ = c.call("PUT", "/api/chargers/2", {
            "ocpp_identity": "CP-02", "ocpp_password": SECRET + "-2"})
        self.assertEqual(st, 200, j)
        st, j, _ = c.call("PUT", "/api/chargers/1", {"ocpp": False})
        self.assertEqual(st, 200, j)
        st, j, _ = c.call("GET", "/api/chargers")
        ch = j["chargers"]
        self.assertEqual([(x["ocpp"], x["ocpp_identity"], x["ocpp_password"])
                          for x in ch],
                         [("no", "", ""), ("yes", "CP-02", "(set)")])
        # never shown back: not in any answer, not in the events
        for path in ("/api/config", "/api/chargers", "/api/events",
                     "/api/status"):
            st, j, _ = c.call("GET", path)
            self.assertEqual(st, 200, path)
            self.assertNotIn(SECRET, json.dumps(j), path)

    def ocpp_site(self, n=3, url=None):
        """A site with OCPP on against url (default: a loopback port where
        nothing listens): charger 1 as CP-01, charger 2 left out."""
        url = url or "ws://127.0.0.1:%d/ocpp/" % tl.free_port()
        self.site(n=n, extra="\n[ocpp]\nenabled = yes\nurl = %s\n" % url,
                  charger_extra={1: "ocpp_identity = CP-01\n",
                                 2: "ocpp = no\n"})
        return url

    def test_status_and_metrics(self):
        url = self.ocpp_site()
        c = self.installer()
        st = self.wait_status(c, lambda s: len(s["chargers"]) == 3)
        self.assertEqual(st["ocpp"], {"enabled": True, "url": url,
                                      "connected": 0, "total": 2})
        ch = st["chargers"]
        self.assertIsNone(ch[1]["ocpp"])
        self.assertEqual((ch[0]["ocpp"]["identity"], ch[2]["ocpp"]["identity"]),
                         ("CP-01", "bay-003"))
        for o in (ch[0]["ocpp"], ch[2]["ocpp"]):
            self.assertEqual(o["link"], "connecting", o)
            self.assertEqual((o["last_msg_ms"], o["queued"]), (None, 0), o)
        # the failed attempt says why (nothing listens at the address)
        self.wait_status(c, lambda s: s["chargers"][0]["ocpp"]["why"],
                         timeout=30)
        st, text, _ = c.call("GET", "/metrics")
        self.assertEqual(st, 200)
        self.assertIn('evgroup_ocpp_link{charger="bay-001"} 0\n', text)
        self.assertIn('evgroup_ocpp_queued_messages{charger="bay-003"} 0\n',
                      text)
        self.assertNotIn('evgroup_ocpp_link{charger="bay-002"}', text)

    def test_status_ocpp_off(self):
        # the twin: OCPP off, no charger is a charge point, no metrics
        self.site(n=2)
        c = self.installer()
        st = self.api_status(c)
        self.assertEqual(st["ocpp"], {"enabled": False, "url": "",
                                      "connected": 0, "total": 0})
        self.assertEqual([x["ocpp"] for x in st["chargers"]], [None, None])
        self.assertNotIn("evgroup_ocpp_", c.call("GET", "/metrics")[1])

    def test_web_ui(self):
        """tests/browser/ocpp.js: the OCPP page with the chargers'
        identities and links (connecting: the CSMS is a loopback port
        where nothing listens), a bad address refused and nothing
        changed, the good one saved; the dashboard, the charger form, an
        operator's read-only view; 1280 and 360 px."""
        self.ocpp_site()
        c = self.installer()
        self.operator(c)
        tw.run_browser(self, "ocpp.js", ta.PASSWORD, "olivias-own-2",
                       "connecting",
                       "wss://127.0.0.1:%d/csms/" % tl.free_port(),
                       timeout=180)

    def test_web_ui_real_csms(self):
        """Against the strict test CSMS (tests/ocpp/csms.js): both charge
        points accepted, as the status, /metrics, the OCPP page (with
        its ocpp-connected events) and the events say."""
        import ocpp_csms
        csms = ocpp_csms.Csms(self)
        self.ocpp_site(url=csms.url)
        c = self.installer()
        self.operator(c)
        csms.wait_clients(["CP-01", "bay-003"], timeout=60)
        st = self.wait_status(c, lambda s: s["ocpp"]["connected"] == 2,
                              timeout=60)
        self.assertEqual([x["ocpp"] and x["ocpp"]["link"]
                          for x in st["chargers"]],
                         ["accepted", None, "accepted"])
        self.assertIsNotNone(st["chargers"][0]["ocpp"]["last_msg_ms"])
        self.wait_event(c, "ocpp-connected", "CP-01", timeout=30)
        self.assertIn('evgroup_ocpp_link{charger="bay-003"} 1\n',
                      c.call("GET", "/metrics")[1])
        tw.run_browser(self, "ocpp.js", ta.PASSWORD, "olivias-own-2",
                       "accepted", "wss://127.0.0.1:%d/csms/" %
                       tl.free_port(), "ocpp-connected", timeout=180)

    def check_config(self, text):
        """evgroup-master --check-config on a file of text: its result,
        and the file's path."""
        ini = os.path.join(self.tmp, "ocpp.ini")
        with open(ini, "w") as f:
            f.write("[site]\ndatabase =\n" + text)
        return subprocess.run([os.path.join(tl.BIN, "master/evgroup-master"),
                               "--config", ini, "--check-config"],
                              capture_output=True, text=True, timeout=30), ini

    def test_check_config_hides_passwords(self):
        r, _ = self.check_config(
            "[ocpp]\nenabled = yes\nurl = wss://127.0.0.1:9/ocpp\n"
            "security_profile = 2\npassword = %s\n[charger1]\n"
            "host = 127.0.0.1\nocpp_password = %s-1\n" % (SECRET, SECRET))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("configuration OK", r.stdout)
        self.assertNotIn(SECRET, r.stdout + r.stderr)
        self.assertIn("[ocpp]\nenabled = yes\n", r.stdout)
        self.assertIn("password = (set)\n", r.stdout)
        self.assertIn("ocpp_password = (set)\n", r.stdout)
        # refusals name the file, the line and the key
        r, ini = self.check_config("[ocpp]\nenabled = yes\n"
                                   "url = ws://127.0.0.1:9/ocpp\n"
                                   "security_profile = 9\n")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("%s:6: ocpp.security_profile: " % ini, r.stderr)
        r, ini = self.check_config("authorisation = csms\n")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("%s: site.authorisation: csms asks the CSMS about "
                      "tags, and OCPP is off" % ini, r.stderr)

MARKS = {"accepted": "+", "connecting": "~", "booting": "~", "pending": "~",
         "rejected": "!"}


class OcppConsoleTest(tt.TuiTest):
    def test_console_marks_links(self):
        """The console's O column marks each charger's link as the status
        says it (its key in the help); OCPP off: no column."""
        url = "ws://127.0.0.1:%d/ocpp/" % tl.free_port()
        m = self.start_site(n=3, web=True, fuse=110, group=100,
                            extra="\n[ocpp]\nenabled = yes\nurl = %s\n" % url,
                            charger_extra={2: "ocpp = no\n"})
        m.wait_for(r"web UI on")
        c = ta.Client(self.web_port)
        c.login("installer", "installer")
        c.call("POST", "/api/password", {"old": "installer",
                                         "new": tt.PASSWORD})
        # tall enough for the whole help (it scrolls only as far as the
        # events list loaded goes)
        self.console("ocpp", 100, 80, "env TERM=xterm-256color "
                     "LANG=C.UTF-8 LC_ALL=C.UTF-8")
        s = self.wait_screen(lambda s: s.count("bay-00") >= 3 and
                             "Charger  " in s)
        self.assertRegex(s, r"Charger +O C Phase")
        st = self.master_status()
        for ch in st["chargers"]:
            want = MARKS.get(ch["ocpp"]["link"], "-") if ch["ocpp"] else "-"
            self.assertRegex(s, r"(?m)^%s +%s 1 " % (ch["name"],
                                                     re.escape(want)), s)
        self.keep("ocpp-main", s)
        self.tmux("send-keys", "-t", "tui", "?")
        s = self.wait_screen(lambda s: "Keys" in s)
        s = self.wait_screen(lambda s: "accepted by the CSMS" in s)
        self.assertIn("+  accepted by the CSMS", s)


ts.own_tests_only(OcppConsoleTest, base=tt.TuiTest)


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
