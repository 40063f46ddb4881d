#!/usr/bin/env python3
"""Configuration changes that tell the truth (issue 18, items 5 and 7),
end to end over the JSON API against evgroup-master and evgroup-sim:
a raise of a limit is made only when confirmed (409 with the figures
otherwise, and nothing changed); a lowering needs no confirmation; a
fallback current that would overload the supply when the appliance stops
is refused naming the figures; each answer says what is in force now and
what waits for a restart; the pending list appears for a setting that
needs a restart and is gone when the change is reverted."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402
import test_site as ts  # noqa: E402
import test_api as ta  # noqa: E402


class CfgFlowTest(ta.ApiTest):
    def config(self, c, section="site"):
        st, j, _ = c.call("GET", "/api/config")
        self.assertEqual(st, 200, j)
        return j["config"][section], j

    def refused_unconfirmed(self, c, path, body, setting, frm, to, words):
        """409 with the figures; nothing changed, nothing recorded."""
        before = self.config(c)[1]["config"]
        st, j, _ = c.call("PUT", path, body)
        self.assertEqual(st, 409, j)
        self.assertEqual(j["field"], "confirm", j)
        self.assertIn('send "confirm": true', j["error"])
        r = j["confirm"][0]
        self.assertEqual((r["setting"], r["from"], r["to"]),
                         (setting, frm, to), j)
        # the installer's words beside the key, in the message too
        self.assertTrue(r["words"] and "." not in r["words"], r)
        self.assertIn(r["words"], j["error"], j)
        self.assertNotIn(setting, j["error"], j)
        self.assertIn(words, r["consequence"], j)
        self.assertIn(words, j["error"], j)
        self.assertEqual(self.config(c)[1]["config"], before)
        st, j2, _ = c.call("PUT", path, dict(body, confirm=True))
        self.assertEqual(st, 200, j2)
        return j2

    def test_raises_confirmed_lowering_not(self):
        self.site()
        c = self.installer()
        # the fuse 100 -> 2000 A in one Save: asked, then made
        j = self.refused_unconfirmed(
            c, "/api/config/site", {"site_limit": 2000}, "site.site_limit",
            "100.0 A", "2000.0 A", "up to 1998.0 A per phase")
        self.assertEqual(j["result"], "in force now: main fuse")
        self.assertEqual((j["in_force"], j["after_restart"]),
                         (["site.site_limit"], []))
        self.assertEqual((j["in_force_words"], j["after_restart_words"]),
                         (["main fuse"], []))
        self.assertFalse(j["restart_needed"])
        self.wait_status(c, lambda s: s["site_limit"] == 2000.0)
        self.wait_event(c, "config", "site.site_limit: 100.0 -> 2000.0")
        # back down: no question
        st, j, _ = c.call("PUT", "/api/config/site", {"site_limit": 100})
        self.assertEqual(st, 200, j)
        st, j, _ = c.call("PUT", "/api/config/site", {"group_limit": 50})
        self.assertEqual(st, 200, j)
        self.refused_unconfirmed(
            c, "/api/config/site", {"group_limit": 60}, "site.group_limit",
            "50.0 A", "60.0 A", "may draw up to 60.0 A per phase together")
        self.wait_status(c, lambda s: s["group_limit"] == 60.0)
        # the whole-configuration form takes "confirm" at the top
        st, j, _ = c.call("PUT", "/api/config",
                          {"site": {"meter_offline_limit": 20}})
        self.assertEqual(st, 409, j)
        self.assertEqual(j["confirm"][0]["setting"],
                         "site.meter_offline_limit")
        st, j, _ = c.call("PUT", "/api/config",
                          {"site": {"meter_offline_limit": 20},
                           "confirm": True})
        self.assertEqual(st, 200, j)
        st, j, _ = c.call("PUT", "/api/config/site", {"confirm": "yes",
                                                      "group_limit": 70})
        self.assertEqual((st, j["field"]), (400, "confirm"), j)
        # a connector's maximum: lower at once, higher when confirmed
        st, j, _ = c.call("PUT", "/api/chargers/1", {"max_current1": 16})
        self.assertEqual(st, 200, j)
        self.assertEqual(j["in_force"], ["charger1.max_current1"])
        self.assertEqual(j["in_force_words"],
                         ["charger 'bay-001': connector 1: maximum current"])
        self.refused_unconfirmed(
            c, "/api/chargers/1", {"max_current1": 20},
            "charger1.max_current1", "16.0 A", "20.0 A",
            "bay-001 connector 1 may be offered up to 20.0 A")
        # the fallback arithmetic: 2 three-phase connectors at 12 A are
        # 24 A per phase when the appliance stops, over the 20 A the
        # meter-offline limit allows; refused even when confirmed
        st, j, _ = c.call("PUT", "/api/config/site",
                          {"fallback_current": 12, "confirm": True})
        self.assertEqual((st, j["field"]), (400, "site.fallback_current"), j)
        for words in ("12.0 A on each of the 2 connectors on L1 is 24.0 A",
                      "above meter offline limit 20.0 A on a 100.0 A "
                      "fuse", "at most 10.0 A each"):
            self.assertIn(words, j["error"])
        self.assertEqual(self.config(c)[0]["fallback_current"], "0.0")
        # its twin: 6 A (12 A in all) is safe, and a raise
        j = self.refused_unconfirmed(
            c, "/api/config/site", {"fallback_current": 6},
            "site.fallback_current", "0.0 A", "6.0 A",
            "12.0 A on L1 (2 connectors)")
        self.assertEqual((j["in_force"], j["after_restart"]),
                         ([], ["site.fallback_current"]))
        self.assertIn("takes effect at the next start", j["result"])
        self.assertNotIn("in force now", j["result"])

    def test_pending_list_and_what_is_in_force(self):
        self.site()
        c = self.installer()
        st, j, _ = c.call("GET", "/api/config")
        self.assertEqual((j["pending"], j["restart_needed"]), ([], False))
        self.assertEqual(self.api_status(c)["pending"], 0)
        # one in force, one for the restart, in the same change
        st, j, _ = c.call("PUT", "/api/config/site",
                          {"group_limit": 40, "poll_period": 700})
        self.assertEqual(st, 200, j)
        self.assertEqual(j["in_force"], ["site.group_limit"])
        self.assertEqual(j["after_restart"], ["site.poll_period"])
        self.assertEqual(j["result"], "in force now: group limit; "
                         "saved; takes effect at the next start (restart "
                         "the appliance): charger poll period")
        self.assertEqual((j["in_force_words"], j["after_restart_words"]),
                         (["group limit"], ["charger poll period"]))
        self.assertEqual(j["pending"], [{
            "setting": "site.poll_period", "words": "charger poll period",
            "in_force": "500", "after_restart": "700"}])
        st, j, _ = c.call("GET", "/api/config")
        self.assertTrue(j["restart_needed"])
        self.assertEqual([p["setting"] for p in j["pending"]],
                         ["site.poll_period"])
        self.wait_status(c, lambda s: s["restart_needed"] and
                         s["pending"] == 1 and s["group_limit"] == 40.0)
        # reverted before the restart: nothing pending any more
        st, j, _ = c.call("PUT", "/api/config/site", {"poll_period": 500})
        self.assertEqual(st, 200, j)
        self.assertEqual((j["pending"], j["restart_needed"]), ([], False))
        self.assertEqual(j["in_force"], ["site.poll_period"])
        self.wait_status(c, lambda s: not s["restart_needed"] and
                         s["pending"] == 0)
        # a charger not running yet: nothing of it is in force
        dead = tl.free_port()
        st, j, _ = c.call("POST", "/api/chargers", {
            "name": "bay-003", "host": "127.0.0.1", "port": dead,
            "connectors": 1})
        self.assertEqual(st, 201, j)
        st, j, _ = c.call("PUT", "/api/chargers/3", {"priority1": 2})
        self.assertEqual(st, 200, j)
        self.assertEqual((j["in_force"], j["after_restart"]),
                         ([], ["charger3.priority1"]))
        self.assertNotIn("in force", j["result"])
        self.assertIn({"setting": "charger3", "words": "charger 'bay-003'",
                       "in_force": "",
                       "after_restart": "'bay-003' (127.0.0.1:%d) added"
                       % dead}, j["pending"])
        # decommissioned: bay-002 is charger 1 in the saved list, and a
        # change to it is in force on the running bay-002
        st, j, _ = c.call("DELETE", "/api/chargers/1")
        self.assertEqual(st, 200, j)
        st, j, _ = c.call("PUT", "/api/chargers/1", {"max_current1": 16})
        self.assertEqual(st, 200, j)
        self.assertEqual(j["in_force"], ["charger1.max_current1"])
        self.assertIn(("bay-001", "charger 'bay-001'"), [
            (p["setting"], p["words"]) for p in j["pending"]])
        self.wait_status(c, lambda s: [
            x for x in s["connectors"] if x["charger"] == "bay-002"][0]
            ["max_current"] == 16.0 and [
            x for x in s["connectors"] if x["charger"] == "bay-001"][0]
            ["max_current"] == 32.0)


ts.own_tests_only(CfgFlowTest, base=ta.ApiTest)


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
