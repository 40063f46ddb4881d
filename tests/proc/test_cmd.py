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


# The site's and the API's tests are theirs, not ours.
for _name in dir(ta.ApiTest):
    if _name.startswith("test_") and _name not in CmdTest.__dict__:
        setattr(CmdTest, _name, None)


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
