#!/usr/bin/env python3
"""Issue 18, section 1: commands and settings that tell the truth, end to
end over the JSON API on loopback, against evgroup-sim's chargers: a
charger's own rating caps and checks a connector's limit, a refused
write is an event and an alarm, a command's answer is the charger's,
the chargers' authorisation mode follows the master's, decommissioning
ends a session properly, and RFID tags are normalised. Each refusal has
its positive twin. Bounded waits; processes stopped."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as ta  # noqa: E402
import test_link as tl  # noqa: E402


class CmdTest(ta.ApiTest):
    def simc(self, name, line):
        return tl.control(self.simsock, "%s %s" % (name, line))

    def alarms(self, c, code):
        return [a for a in self.api_status(c)["alarms"] if a["code"] == code]

    # --- item 1: the charger's rating, refused writes --------------------

    def test_limit_above_the_chargers_rating(self):
        # both chargers rated 16 A; bay-002 keeps the default 32 A setting
        self.site(simargs=("--set", "connector1.max_current=16"))
        c = self.installer()
        self.wait_status(c, lambda s: all(x["online"]
                                          for x in s["chargers"]))
        st, j, _ = c.call("PUT", "/api/chargers/1", {"max_current1": 20})
        self.assertEqual((st, j.get("field")),
                         (400, "charger1.max_current1"), j)
        self.assertIn("rated 16.0 A", j["error"])
        st, j, _ = c.call("GET", "/api/chargers")
        self.assertEqual(j["chargers"][0]["max_current1"], "32.0")
        # the positive twin: the rating itself is taken, and in force
        st, j, _ = c.call("PUT", "/api/chargers/1", {"max_current1": 16})
        self.assertEqual(st, 200, j)
        # a setting above the rating from the file is an alarm: the
        # master keeps to the rating (it never writes above it)
        s = self.wait_status(c, lambda s: [a["source"] for a in s["alarms"]
                                           if a["code"] == "above-rating"]
                             == ["bay-002"])
        self.assertIn("rated 16.0 A", s["alarms"][0]["text"])
        self.simc("bay-002", "car 1 max 32")
        self.simc("bay-002", "plug 1")
        self.wait_status(c, lambda s: s["connectors"][1]["in_force"] == 16.0)
        self.assertEqual(self.alarms(c, "write-refused"), [])
        self.assertEqual(self.events(c, source="bay-002", severity="warning"),
                         [])

    def test_refused_writes_are_an_event_and_an_alarm(self):
        # the chargers take writes from another address only
        self.site(n=1, simargs=("--set", "link.masters=127.0.0.9"))
        c = self.installer()
        s = self.wait_status(c, lambda s: len(s["alarms"]) > 0)
        a = s["alarms"][0]
        self.assertEqual((a["code"], a["source"], a["severity"]),
                         ("write-refused", "bay-001", 1), a)
        self.assertIn("link.masters", a["text"])
        self.assertIsInstance(a["since_ms"], int)
        time.sleep(2)       # several polls: still one event, not one each
        ev = [e for e in self.events(c, source="bay-001")
              if e["code"] == "write-refused" and "heartbeat" in e["text"]]
        self.assertEqual(len(ev), 1, ev)
        self.assertEqual(ev[0]["severity"], 1)

    # --- item 2: a command's answer is the charger's ---------------------

    def test_refused_reset_is_not_done(self):
        self.site(n=1)
        c = self.installer()
        self.wait_status(c, lambda s: s["chargers"][0]["online"])
        self.simc("bay-001", "car 1 max 16")
        self.simc("bay-001", "plug 1")
        self.simc("bay-001", "fault 1 pen")
        self.wait_status(c, lambda s: s["connectors"][0]["state"] == "fault")
        st, j, _ = c.call("POST", "/api/chargers/1/connectors/1/reset")
        self.assertEqual(st, 409, j)
        self.assertIn("refused", j["error"])
        self.assertIn("pen", j["error"])
        e = self.wait_event(c, "command-refused", "reset")
        self.assertEqual(e["severity"], 1)
        # the positive twin: the fault gone, the reset is done
        self.simc("bay-001", "clear 1 pen")
        time.sleep(1)
        st, j, _ = c.call("POST", "/api/chargers/1/connectors/1/reset")
        self.assertEqual((st, j), (200, {"result": "done"}))
        self.assertEqual(self.wait_event(c, "command", "reset")["severity"],
                         0)
        self.wait_status(c, lambda s: s["connectors"][0]["state"] != "fault")
        # an offline charger cannot be told anything: said at once
        self.simc("bay-001", "kill")
        self.wait_status(c, lambda s: not s["chargers"][0]["online"],
                         timeout=15)
        st, j, _ = c.call("POST", "/api/chargers/1/connectors/1/stop")
        self.assertEqual(st, 409, j)
        self.assertIn("offline", j["error"])

    # --- item 4: the chargers' authorisation mode is the master's -------

    def test_rfid_master_sets_free_chargers_to_remote(self):
        # the chargers are in free mode (their default), the master rfid
        self.site(n=1, authorisation="rfid")
        c = self.installer()
        self.wait_status(c, lambda s: s["chargers"][0]["online"])
        self.simc("bay-001", "car 1 max 16")
        self.simc("bay-001", "plug 1")
        time.sleep(2)
        # no tag, no charge
        s = self.wait_status(c, lambda s: s["connectors"][0]["state"] ==
                             "waiting-for-authorisation")
        self.assertEqual(s["alarms"], [])
        self.assertEqual(self.sim_status("bay-001")["connectors"][0]
                         ["session"]["active"], False)
        # an operator authorises it (the web UI's and console's action)
        o = self.operator(c)
        st, j, _ = o.call("POST", "/api/chargers/1/connectors/1/authorise")
        self.assertEqual((st, j), (200, {"result": "done"}))
        self.wait_status(c, lambda s: s["connectors"][0]["state"] ==
                         "charging")
        self.assertIn("olivia", self.wait_event(c, "command",
                                                "authorise")["text"])

    def test_free_master_sets_remote_chargers_to_free(self):
        # the positive twin: chargers left in remote on a free site
        # would keep cars waiting for ever
        self.site(n=1, simargs=("--set", "unit.authorisation=remote"))
        c = self.installer()
        self.simc("bay-001", "car 1 max 16")
        self.simc("bay-001", "plug 1")
        self.wait_status(c, lambda s: s["connectors"][0]["state"] ==
                         "charging", timeout=15)
        # and it follows the master's setting, live
        st, j, _ = c.call("PUT", "/api/config/site",
                          {"authorisation": "rfid"})
        self.assertEqual(st, 200, j)
        self.simc("bay-001", "unplug 1")
        time.sleep(1.5)
        self.simc("bay-001", "plug 1")
        self.wait_status(c, lambda s: s["connectors"][0]["state"] ==
                         "waiting-for-authorisation")

    # --- item 8: decommissioning a charger with a car charging ----------

    def test_decommission_with_a_car_charging(self):
        self.site(n=2, fallback_current=6, meter_offline_limit=20)
        c = self.installer()
        self.simc("bay-001", "car 1 max 16")
        self.simc("bay-001", "plug 1")
        self.wait_status(c, lambda s: s["connectors"][0]["state"] ==
                         "charging", timeout=15)
        self.assertEqual(self.sim_status("bay-001")["link"]
                         ["fallback_current"], 6.0)
        # the car is named, and nothing changes without a yes
        st, j, _ = c.call("DELETE", "/api/chargers/1")
        self.assertEqual((st, j.get("field")), (409, "stop"), j)
        self.assertIn("connector 1 (charging", j["error"])
        self.assertEqual(len(c.call("GET", "/api/chargers")[1]["chargers"]),
                         2)
        self.assertTrue(self.sim_status("bay-001")["connectors"][0]
                        ["session"]["active"])
        st, j, _ = c.call("DELETE", "/api/chargers/1?stop=yes")
        self.assertEqual(st, 200, j)
        # the session ends properly, the charger is left paused
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            b1 = self.sim_status("bay-001")
            if (not b1["connectors"][0]["session"]["active"] and
                    b1["link"]["fallback_current"] == 0.0):
                break
            time.sleep(0.1)
        self.assertFalse(b1["connectors"][0]["session"]["active"], b1)
        self.assertEqual(b1["link"]["fallback_current"], 0.0)
        self.assertEqual(b1["connectors"][0]["setpoint"], 0.0)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ses = c.call("GET", "/api/sessions?charger=bay-001")[1]["sessions"]
            if ses and ses[0]["end_ms"] is not None:
                break
            time.sleep(0.2)
        self.assertEqual(ses[0]["reason"], "decommissioned", ses)
        # the positive twin: the other charger keeps its fallback
        self.assertEqual(self.sim_status("bay-002")["link"]
                         ["fallback_current"], 6.0)
        # and one with no car goes at once
        st, j, _ = c.call("DELETE", "/api/chargers/1")
        self.assertEqual(st, 200, j)

    # --- item 10: RFID tags ----------------------------------------------

    def test_rfid_tags_normalised_overwrites_confirmed(self):
        self.site(n=1, simargs=("--set", "unit.authorisation=remote"),
                  authorisation="rfid")
        c = self.installer()
        # separators and case: the reader's "DEADBEEF" is "deadbeef"
        for tag in ("deadbeef", "04:a1:B2:c3"):
            st, j, _ = c.call("POST", "/api/rfid", {"tag": tag,
                                                     "name": "van " + tag})
            self.assertEqual(st, 201, j)
        for tag in ("04:A1:B2:C3!", ":-:", "0" * 17):
            st, j, _ = c.call("POST", "/api/rfid", {"tag": tag})
            self.assertEqual((st, j.get("field")), (400, "tag"), tag)
        st, j, _ = c.call("GET", "/api/rfid")
        self.assertEqual(sorted(t["tag"] for t in j["tags"]),
                         ["04A1B2C3", "DEADBEEF"])
        # re-adding a tag does not rename it quietly
        st, j, _ = c.call("POST", "/api/rfid", {"tag": "DeadBeef",
                                                 "name": "Someone else"})
        self.assertEqual((st, j.get("field")), (409, "tag"), j)
        self.assertIn("van deadbeef", j["error"])
        names = {t["tag"]: t["name"] for t in
                 c.call("GET", "/api/rfid")[1]["tags"]}
        self.assertEqual(names["DEADBEEF"], "van deadbeef")
        # the positive twin: asked to, it is overwritten
        st, j, _ = c.call("POST", "/api/rfid", {"tag": "DEAD-BEEF",
                                                 "name": "Someone else",
                                                 "replace": True})
        self.assertEqual(st, 200, j)
        # an expired tag is listed as expired, a valid one as enabled
        now = int(time.time() * 1000)
        for tag, until in (("0A0A", now - 60000), ("0B0B", now + 3600000)):
            st, j, _ = c.call("POST", "/api/rfid", {
                "tag": tag, "name": tag, "valid_until_ms": until})
            self.assertEqual(st, 201, j)
        tags = {t["tag"]: t for t in c.call("GET", "/api/rfid")[1]["tags"]}
        self.assertEqual(tags["0A0A"]["status"], "expired")
        self.assertEqual(tags["0B0B"]["status"], "enabled")
        self.assertEqual(tags["DEADBEEF"]["name"], "Someone else")
        # the reader's upper case matches the tag added in lower case
        self.simc("bay-001", "car 1 max 16")
        self.simc("bay-001", "plug 1")
        self.wait_status(c, lambda s: s["connectors"][0]["state"] ==
                         "waiting-for-authorisation")
        self.simc("bay-001", "rfid 1 0A0A")
        self.assertIn("tag expired",
                      self.wait_event(c, "rfid-refused", "0A0A")["text"])
        self.simc("bay-001", "rfid 1 DEADBEEF")
        self.wait_event(c, "rfid-accepted", "Someone else")
        self.assertEqual(c.call("DELETE", "/api/rfid/de:ad:be:ef")[0], 200)
        self.assertEqual(c.call("DELETE", "/api/rfid/DEADBEEF")[0], 404)


    # --- item 9: what a restart keeps, a swipe used once -----------------

    def restart_master(self, m):
        """POST /api/restart and log in again once the master is back."""
        st, j, _ = self.installer_c.call("POST", "/api/restart")
        self.assertEqual(st, 202, j)
        m.wait_for(r"restarting", timeout=10)
        m.wait_for(r"web UI on", timeout=15, after=1)
        c = ta.Client(self.web_port)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if c.login("installer", ta.PASSWORD)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        self.installer_c = c
        return c

    def test_old_swipe_not_used_again_after_fault_and_restart(self):
        m = self.site(n=1, simargs=("--set", "unit.authorisation=remote"),
                      authorisation="rfid")
        c = self.installer_c = self.installer()
        for tag in ("DEADBEEF", "0B0B"):
            st, j, _ = c.call("POST", "/api/rfid", {"tag": tag, "name": tag})
            self.assertEqual(st, 201, j)
        self.wait_status(c, lambda s: s["chargers"][0]["online"])
        self.simc("bay-001", "car 1 max 16")
        self.simc("bay-001", "plug 1")
        self.wait_status(c, lambda s: s["connectors"][0]["state"] ==
                         "waiting-for-authorisation")
        self.simc("bay-001", "rfid 1 DEADBEEF")
        self.wait_status(c, lambda s: s["connectors"][0]["state"] ==
                         "charging")
        # a fault ends the session; the master restarts meanwhile
        self.simc("bay-001", "fault 1 pen")
        self.wait_status(c, lambda s: s["connectors"][0]["state"] == "fault")
        c = self.restart_master(m)
        self.wait_status(c, lambda s: s["chargers"][0]["online"] and
                         s["connectors"][0]["state"] == "fault", timeout=15)
        self.simc("bay-001", "clear 1 pen")
        time.sleep(1)
        st, j, _ = c.call("POST", "/api/chargers/1/connectors/1/reset")
        self.assertEqual((st, j), (200, {"result": "done"}))
        # the old swipe (still in the charger's tag register) is not used
        self.wait_status(c, lambda s: s["connectors"][0]["state"] ==
                         "waiting-for-authorisation")
        time.sleep(3)
        s = self.api_status(c)
        self.assertEqual(s["connectors"][0]["state"],
                         "waiting-for-authorisation")
        self.assertFalse(self.sim_status("bay-001")["connectors"][0]
                         ["session"]["active"])
        # the twin: a new swipe authorises
        self.simc("bay-001", "rfid 1 0B0B")
        self.wait_status(c, lambda s: s["connectors"][0]["state"] ==
                         "charging")
        self.wait_event(c, "rfid-accepted", "0B0B")


    def test_pause_and_boost_kept_across_a_restart(self):
        m = self.site(n=2)
        c = self.installer_c = self.installer()
        self.wait_status(c, lambda s: all(x["online"] for x in
                                          s["chargers"]))
        for b in ("bay-001", "bay-002"):
            self.simc(b, "car 1 max 16")
            self.simc(b, "plug 1")
        self.wait_status(c, lambda s: all(x["state"] == "charging" for x in
                                          s["connectors"]))
        o = self.operator(c)
        for path in ("/api/chargers/1/connectors/1/pause",
                     "/api/chargers/2/connectors/1/boost"):
            st, j, _ = o.call("POST", path)
            self.assertEqual(st, 200, (path, j))
        s = self.wait_status(c, lambda s: s["connectors"][0]["paused"] and
                             s["connectors"][1]["boost"])
        c = self.restart_master(m)
        s = self.wait_status(c, lambda s: all(x["online"] for x in
                                              s["chargers"]) and
                             "offline" not in s["connectors"][0]
                             ["reason_text"], timeout=15)
        self.assertTrue(s["connectors"][0]["paused"], s["connectors"][0])
        self.assertIn("olivia", s["connectors"][0]["reason_text"])
        self.assertFalse(s["connectors"][1]["paused"])
        self.assertTrue(s["connectors"][1]["boost"], s["connectors"][1])
        time.sleep(2)
        f = self.in_force()
        self.assertEqual(f[0], 0)
        self.assertGreater(f[1], 0)
        # the twin: resumed after the restart, it charges, and stays so
        # (once its charger's minimum pause and the car's response are
        # over: up to some 15 s on a loaded machine)
        st, j, _ = c.call("POST", "/api/chargers/1/connectors/1/resume")
        self.assertEqual(st, 200, j)
        self.wait_status(c, lambda s: not s["connectors"][0]["paused"] and
                         s["connectors"][0]["state"] == "charging",
                         timeout=30)
        c = self.restart_master(m)
        s = self.wait_status(c, lambda s: s["chargers"][0]["online"],
                             timeout=15)
        self.assertFalse(s["connectors"][0]["paused"])


    def test_logins_kept_across_a_restart(self):
        m = self.site(n=1)
        c = self.installer_c = self.installer()
        o = self.operator(c)
        p = self.operator(c, "peter")
        # peter logs out; olivia stays logged in
        old = ta.Client(self.web_port)
        old.cookie, old.csrf = p.cookie, p.csrf
        self.assertEqual(p.call("POST", "/api/logout")[0], 200)
        self.restart_master(m)
        # the same cookie still works, its CSRF token too
        st, j, _ = o.call("GET", "/api/session")
        self.assertEqual(st, 200, j)
        self.assertEqual(j.get("user"), "olivia", j)
        st, j, _ = o.call("POST", "/api/chargers/1/connectors/1/pause")
        self.assertEqual(st, 200, j)
        # logged out before the restart: still out
        self.assertEqual(old.call("GET", "/api/status")[0], 401)
        # a password change still ends the other sessions, across a
        # restart too
        o2 = ta.Client(self.web_port)
        self.assertEqual(o2.login("olivia", "olivias-own-2")[0], 200)
        st, j, _ = o2.call("POST", "/api/password", {
            "old": "olivias-own-2", "new": "olivias-new-3"})
        self.assertEqual(st, 200, j)
        self.assertEqual(o.call("GET", "/api/status")[0], 401)
        self.restart_master(m)
        self.assertEqual(o.call("GET", "/api/status")[0], 401)
        self.assertEqual(o2.call("GET", "/api/status")[0], 200)


# The site's and the API's tests are theirs, not ours.
for _name in dir(ta.ApiTest):
    if _name.startswith("test_") and _name not in CmdTest.__dict__:
        setattr(CmdTest, _name, None)


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
