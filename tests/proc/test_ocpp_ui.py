#!/usr/bin/env python3
"""What installers and operators see and set of OCPP (issue 15): the
[ocpp] settings and each charger's OCPP keys over the JSON API (every
refusal with its words and nothing changed, its twin taken; passwords
only ever said to be set, in the API, the events and --check-config),
against a real evgroup-master and evgroup-sim on loopback."""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402
import test_api as ta  # noqa: E402

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

if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
