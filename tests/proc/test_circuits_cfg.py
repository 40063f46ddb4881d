#!/usr/bin/env python3
"""Circuit settings over the real master's JSON API (issue 14): a circuit
added, edited, renamed (its chargers and the circuits under it follow),
a charger moved between circuits, a circuit removed; each kind of bad
circuit refused with its field and the installer's words, and nothing
changed by a refusal (the configuration read before and after); each
refusal with its accepted twin. What is in force at once (a circuit's
limits) and what waits for the restart (the tree, a charger's circuit);
the circuits stored as the tree sorted them survive the restart."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402
import test_site as ts  # noqa: E402
import test_api as ta  # noqa: E402
import test_webui as tw  # noqa: E402

ROW_A = "\n[circuit1]\nname = row-a\nlimit = 63\n"
# row-b under row-a, bay-001 in row-a (its section is completed after)
TREE = ROW_A + ("\n[circuit2]\nname = row-b\nparent = row-a\nlimit = 63\n"
                "\n[charger1]\ncircuit = row-a\n")


class CircuitsCfgTest(ta.ApiTest):
    def circuits(self, c):
        st, j, _ = c.call("GET", "/api/circuits")
        self.assertEqual(st, 200, j)
        return j

    def config(self, c):
        st, j, _ = c.call("GET", "/api/config")
        self.assertEqual(st, 200, j)
        return j["config"]

    def refused(self, c, method, path, body, status, field, words):
        """Refused with its field and words; nothing changed."""
        before = self.config(c)
        st, j, _ = c.call(method, path, body)
        self.assertEqual((st, j.get("field")), (status, field), (body, j))
        self.assertIn(words, j["error"], j)
        self.assertEqual(self.config(c), before, (body, j))
        return j

    def login_again(self):
        """The installer's login once the restarted master answers
        (15 s at most)."""
        c = ta.Client(self.web_port)
        for _ in range(150):
            try:
                if c.login("installer", ta.PASSWORD)[0] == 200:
                    return c
            except OSError:
                time.sleep(0.1)
        self.fail("no login after the restart")

    def names(self, c):
        return [(x["name"], x["parent"], x["id"]) for x in
                self.circuits(c)["circuits"]]

    def test_add_refuse_edit_move_remove(self):
        m = self.site(extra=ROW_A)
        c = self.installer()
        j = self.circuits(c)
        self.assertEqual(j["supply"]["limit"], "100.0")
        self.assertEqual(self.names(c), [("row-a", "supply", 1)])
        self.assertEqual(j["circuits"][0]["limit"], "63.0")
        self.assertEqual(j["circuits"][0]["depth"], 1)
        self.assertEqual([x["name"] for x in j["supply"]["chargers"]],
                         ["bay-001", "bay-002"])
        # each kind of bad circuit, nothing changed
        for body, field, words in (
                ({"limit": 20}, "circuit2.name", "new circuit: name: must "
                 "be set"),
                ({"name": "row-b"}, "circuit2.limit", "must be set"),
                ({"name": "supply", "limit": 20}, "circuit2.name",
                 "letters, digits"),
                ({"name": "row-a", "limit": 20}, "circuit2.name",
                 "used twice"),
                ({"name": "row-b", "limit": 20, "parent": "nope"},
                 "circuit2.parent", "no circuit 'nope'"),
                ({"name": "row-b", "limit": 64, "parent": "row-a"},
                 "circuit2.limit", "above circuit 'row-a': limit 63.0 A"),
                ({"name": "row-b", "limit": 120}, "circuit2.limit",
                 "above main fuse 100.0 A"),
                ({"name": "row-b", "limit": "lots"}, "circuit2.limit",
                 "not a number"),
                ({"name": "row-b", "limit": 20, "meter": "sense"},
                 "circuit2.meter_host", "must be set for tcp")):
            self.refused(c, "POST", "/api/circuits", body, 400, field, words)
        # the twins: row-b under row-a, row-c under row-b (3 levels)
        st, j, _ = c.call("POST", "/api/circuits", {
            "name": "row-b", "limit": 63, "parent": "row-a"})
        self.assertEqual((st, j["id"]), (201, 2), j)
        self.assertEqual(j["after_restart"], ["circuit2.name",
                                              "circuit2.limit",
                                              "circuit2.parent"])
        self.assertIn({"setting": "circuit2", "words": "circuit 'row-b'",
                       "in_force": "", "after_restart": "'row-b' added"},
                      j["pending"])
        st, j, _ = c.call("POST", "/api/circuits", {
            "name": "row-c", "limit": 20, "parent": "row-b",
            "meter": "sense", "meter_host": "127.0.0.1"})
        self.assertEqual((st, j["id"]), (201, 3), j)
        self.assertEqual(self.names(c), [("row-a", "supply", 1),
                                         ("row-b", "row-a", 2),
                                         ("row-c", "row-b", 3)])
        self.assertEqual(self.circuits(c)["circuits"][2]["depth"], 3)
        # a cycle through an edit: row-a under row-c; its twin
        self.refused(c, "PUT", "/api/circuits/1", {"parent": "row-c"}, 400,
                     "circuit1.parent", "is under itself (row-a -> row-c "
                     "-> row-b -> row-a)")
        self.refused(c, "PUT", "/api/circuits/9", {"limit": 10}, 404, None,
                     "no such circuit")
        # a child above its parent through an edit; its twin
        self.refused(c, "PUT", "/api/circuits/1", {"limit": 40}, 400,
                     "circuit2.limit", "circuit 'row-b': limit: 63.0 A is "
                     "above circuit 'row-a': limit 40.0 A")
        st, j, _ = c.call("PUT", "/api/circuits/2", {"limit": 40})
        self.assertEqual(st, 200, j)
        # row-a is running: its limits are in force at once; lowering
        # asks nothing, raising is confirmed
        st, j, _ = c.call("PUT", "/api/circuits/1", {
            "limit": 50, "imbalance": 16, "margin": 1})
        self.assertEqual(st, 200, j)
        self.assertEqual((j["in_force"], j["after_restart"]), ([
            "circuit1.limit", "circuit1.imbalance", "circuit1.margin"], []))
        self.assertEqual(j["in_force_words"][0], "circuit 'row-a': limit")
        before = self.config(c)
        st, j, _ = c.call("PUT", "/api/circuits/1", {"limit": 60})
        self.assertEqual((st, j["field"]), (409, "confirm"), j)
        self.assertEqual(j["confirm"][0]["setting"], "circuit1.limit")
        self.assertIn("circuit 'row-a'", j["confirm"][0]["consequence"])
        self.assertEqual(self.config(c), before)
        st, j, _ = c.call("PUT", "/api/circuits/1", {"limit": 60,
                                                     "confirm": True})
        self.assertEqual((st, j["in_force"]), (200, ["circuit1.limit"]), j)
        self.wait_event(c, "config", "circuit1.limit: 50.0 -> 60.0")
        # a charger into a circuit that is not there; its twin waits for
        # the restart
        self.refused(c, "PUT", "/api/chargers/1", {"circuit": "nope"}, 400,
                     "charger1.circuit", "no circuit 'nope'")
        st, j, _ = c.call("PUT", "/api/chargers/1", {"circuit": "row-c"})
        self.assertEqual((st, j["after_restart"]), (200, [
            "charger1.circuit"]), j)
        st, j, _ = c.call("PUT", "/api/chargers/2", {"circuit": "row-a"})
        self.assertEqual(st, 200, j)
        # removing: not with chargers or circuits under it
        self.refused(c, "DELETE", "/api/circuits/3", None, 409, "circuit",
                     "circuit 'row-c' still has charger 'bay-001' under it")
        self.refused(c, "DELETE", "/api/circuits/2", None, 409, "circuit",
                     "still has circuit 'row-c' under it")
        st, j, _ = c.call("PUT", "/api/chargers/1", {"circuit": "supply"})
        self.assertEqual(st, 200, j)
        # ... and only when confirmed (nothing keeps its fuse any more)
        self.refused(c, "DELETE", "/api/circuits/3", None, 409, "confirm",
                     "circuit 'row-c' 20.0 A -> removed")
        st, j, _ = c.call("DELETE", "/api/circuits/3", {"confirm": "yes"})
        self.assertEqual((st, j["field"]), (400, "confirm"), j)
        st, j, _ = c.call("DELETE", "/api/circuits/3", {"confirm": True})
        self.assertEqual(st, 200, j)
        self.assertIn("takes effect at the next start", j["result"])
        self.wait_event(c, "circuit-removed", "circuit 'row-c' removed by")
        self.assertEqual(self.names(c), [("row-a", "supply", 1),
                                         ("row-b", "row-a", 2)])
        # a rename: the chargers and the circuits under it follow
        st, j, _ = c.call("PUT", "/api/circuits/1", {"name": "hall"})
        self.assertEqual((st, j["after_restart"]), (200, ["circuit1.name"]),
                         j)
        self.assertIn({"setting": "circuit1.name",
                       "words": "circuit 'hall': name",
                       "in_force": "row-a", "after_restart": "hall"},
                      j["pending"])
        self.assertEqual(self.names(c), [("hall", "supply", 1),
                                         ("row-b", "hall", 2)])
        cfg = self.config(c)
        self.assertEqual((cfg["charger1"]["circuit"],
                          cfg["charger2"]["circuit"]), ("supply", "hall"))
        # a new parent that comes later in the tree: sorted again
        st, j, _ = c.call("POST", "/api/circuits", {"name": "board",
                                                     "limit": 80})
        self.assertEqual((st, j["id"]), (201, 3), j)
        st, j, _ = c.call("PUT", "/api/circuits/1", {"parent": "board"})
        self.assertEqual(st, 200, j)
        self.assertEqual(j["after_restart"], ["circuit2.parent"])
        want = [("board", "supply", 1), ("hall", "board", 2),
                ("row-b", "hall", 3)]
        self.assertEqual(self.names(c), want)
        # hall runs as row-a until the restart (renamed, and its id moved
        # since): a lower limit on it is in force at once, on the circuit
        # that runs; row-b, added since the start, does not run yet: its
        # limit waits for the restart
        st, j, _ = c.call("PUT", "/api/circuits/2", {"limit": 45})
        self.assertEqual((st, j["in_force"], j["after_restart"]),
                         (200, ["circuit2.limit"], []), j)
        st, j, _ = c.call("PUT", "/api/circuits/3", {"limit": 35})
        self.assertEqual((st, j["in_force"], j["after_restart"]),
                         (200, [], ["circuit3.limit"]), j)
        for _ in range(100):
            st, s, _ = c.call("GET", "/api/status")
            lim = {x["name"]: x["limit"] for x in s["circuits"]}
            if lim == {"row-a": 45.0}:
                break
            time.sleep(0.1)
        self.assertEqual(lim, {"row-a": 45.0})
        # an operator reads, and changes nothing
        o = self.operator(c)
        self.assertEqual(self.names(o), want)
        self.assertEqual(o.call("POST", "/api/circuits", {
            "name": "x", "limit": 10})[0], 403)
        self.assertEqual(o.call("DELETE", "/api/circuits/3")[0], 403)
        # the restart brings the tree as saved
        st, j, _ = c.call("POST", "/api/restart")
        self.assertEqual(st, 202, j)
        m.wait_for(r"restarting", timeout=10)
        m.wait_for(r"web UI on", timeout=15, after=1)
        c2 = self.login_again()
        self.assertEqual(self.names(c2), want)
        j = self.circuits(c2)
        self.assertFalse(j["restart_needed"])
        self.assertEqual([x["name"] for x in j["circuits"][1]["chargers"]],
                         ["bay-002"])
        self.assertEqual(j["circuits"][1]["imbalance"], "16.0")

    def test_browser(self):
        """The Circuits page: tests/browser/circuits.js."""
        tw.browser_dir()
        self.site(extra=TREE)
        c = self.installer()
        self.operator(c)
        tw.run_browser(self, "circuits.js", ta.PASSWORD, "olivias-own-2",
                       timeout=180)


ts.own_tests_only(CircuitsCfgTest, base=ta.ApiTest)


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
