#!/usr/bin/env python3
"""Issue 18, section 3: active alarms, end to end over the JSON API on
loopback against evgroup-sim's chargers and meter. An operator
acknowledges an alarm (name and time kept across a restart of the
master; cleared and back, it is new); webhooks reach a small HTTP
receiver on 127.0.0.1 (the body, the token, retries after HTTP 500, a
delivery that finally fails as an event, a receiver that never answers
not holding the control cycle). Every refusal has its positive twin.
Bounded waits; processes and the receiver stopped."""

import http.server
import json
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as ta  # noqa: E402
import test_link as tl  # noqa: E402


class Receiver:
    """An HTTP receiver on 127.0.0.1: records every POST (its time,
    headers and JSON body) and answers from a script: a list of status
    codes used one a request (the last one repeats), or "hang": read the
    request, answer nothing for up to hang_s seconds."""

    def __init__(self):
        rec = self
        self.lock = threading.Lock()
        self.got = []
        self.script = [200]
        self.hang_s = 8

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with rec.lock:
                    rec.got.append((time.monotonic(), dict(self.headers),
                                    json.loads(body)))
                    code = rec.script[0]
                    if len(rec.script) > 1:
                        rec.script.pop(0)
                if code == "hang":
                    time.sleep(rec.hang_s)
                    return
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.srv.daemon_threads = True
        self.port = self.srv.server_address[1]
        self.url = "http://127.0.0.1:%d/hook" % self.port
        self.thread = threading.Thread(target=self.srv.serve_forever,
                                       daemon=True)
        self.thread.start()

    def answer(self, *script):
        with self.lock:
            self.script = list(script)

    def posts(self, code=None):
        with self.lock:
            return [g for g in self.got if code is None or
                    g[2].get("code") == code]

    def wait(self, code, n=1, timeout=15, state="raised"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            p = [g for g in self.posts(code) if g[2]["state"] == state]
            if len(p) >= n:
                return p
            time.sleep(0.05)
        raise AssertionError("receiver: %d %s %s in %d s, got %s" % (
            n, state, code, timeout, [g[2] for g in self.posts()]))

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


class AlarmsTest(ta.ApiTest):
    def simc(self, line):
        return tl.control(self.simsock, line)

    def alarms(self, c):
        st, j, _ = c.call("GET", "/api/alarms")
        self.assertEqual(st, 200, j)
        return j

    def wait_alarm(self, c, code, source, pred=lambda a: True, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for a in self.alarms(c)["active"]:
                if a["code"] == code and a["source"] == source and pred(a):
                    return a
            time.sleep(0.1)
        self.fail("no alarm %s of %s: %s" % (code, source,
                                            self.alarms(c)["active"]))

    def restart_process(self, m):
        """The master stopped (SIGTERM) and started again on its database
        and port: a real restart, not the API's."""
        self.assertEqual(m.stop(), 0, m.text()[-3000:])
        m = self.master(self.cfg, web=True, same_port=True)
        m.wait_for(r"web UI on", timeout=15)
        return m

    def test_ack_kept_across_a_restart_and_new_when_back(self):
        m = self.site(n=2)
        c = self.installer()
        o = self.operator(c)
        self.wait_status(c, lambda s: all(x["online"]
                                          for x in s["chargers"]))
        self.assertEqual(self.alarms(o)["active"], [])
        self.simc("bay-002 kill")
        a = self.wait_alarm(o, "charger-offline", "bay-002")
        self.assertEqual((a["severity"], a["connector"], a["acknowledged"],
                          a["ack_by"]), (2, 0, False, None), a)
        self.assertIn("does not answer", a["text"])
        since = a["since_ms"]
        self.assertIsInstance(since, int)
        key = {"code": "charger-offline", "source": "bay-002",
               "connector": 0}
        # refusals: an alarm that is not active, bad input, no CSRF
        # token; each changes nothing
        for body, status, field in (
                (dict(key, source="bay-001"), 404, None),
                (dict(key, connector=1), 404, None),
                (dict(key, code="meter-offline"), 404, None),
                (dict(key, connector="0"), 400, "connector"),
                (dict(key, connector=9), 400, "connector"),
                ({"source": "bay-002"}, 400, "code"),
                (dict(key, code=7), 400, "code")):
            st, j, _ = o.call("POST", "/api/alarms/ack", body)
            self.assertEqual((st, j.get("field")), (status, field), j)
            self.assertTrue(j["error"])
        self.assertIn("no such active alarm", o.call(
            "POST", "/api/alarms/ack", dict(key, source="bay-001"))[1]
            ["error"])
        st, j, _ = o.call("POST", "/api/alarms/ack", key, csrf=False)
        self.assertEqual(st, 403, j)
        self.assertFalse(self.alarms(o)["active"][0]["acknowledged"])
        # the meter goes offline too: unacknowledged, it is listed first
        self.simc("meter offline on")
        self.wait_alarm(o, "meter-offline", "meter")
        # the positive twin: the operator acknowledges
        t0 = int(time.time() * 1000)
        st, j, _ = o.call("POST", "/api/alarms/ack", key)
        self.assertEqual(st, 200, j)
        self.assertEqual((j["result"], j["alarm"]["ack_by"]),
                         ("acknowledged", "olivia"), j)
        self.assertGreaterEqual(j["alarm"]["ack_ms"], t0 - 1000)
        ack_ms = j["alarm"]["ack_ms"]
        # twice: 409, saying who did
        st, j, _ = c.call("POST", "/api/alarms/ack", key)
        self.assertEqual((st, j["alarm"]["ack_by"]), (409, "olivia"), j)
        # shown acknowledged, after the unacknowledged one, in the API
        # and the status; an event says who
        act = self.alarms(o)["active"]
        self.assertEqual([(a["code"], a["acknowledged"]) for a in act],
                         [("meter-offline", False),
                          ("charger-offline", True)], act)
        # (the status is the loop's snapshot: the next one shows it)
        want = [("meter-offline", None), ("charger-offline", "olivia")]
        deadline = time.monotonic() + 10
        while True:
            got = [(a["code"], a["ack_by"]) for a in
                   self.api_status(o)["alarms"]]
            if got == want or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(got, want)
        self.assertIn("olivia acknowledged",
                      self.wait_event(c, "alarm-ack")["text"])
        # the master restarts: still active, still acknowledged by
        # olivia at the same time, the same since
        self.simc("meter offline off")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and "meter-offline" in [
                a["code"] for a in self.alarms(o)["active"]]:
            time.sleep(0.1)
        m = self.restart_process(m)
        a = self.wait_alarm(o, "charger-offline", "bay-002", timeout=20)
        self.assertEqual((a["ack_by"], a["ack_ms"], a["since_ms"]),
                         ("olivia", ack_ms, since), a)
        # the meter's alarm cleared before the restart: in the recent
        # list, not active
        j = self.alarms(o)
        self.assertNotIn("meter-offline", [a["code"] for a in j["active"]])
        self.assertEqual(self.alarms(o)["total"], 1)
        self.assertIn("meter-offline", [a["code"] for a in j["cleared"]])
        # its cause clears: it is listed among the cleared, with its ack
        self.simc("bay-002 revive")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            j = self.alarms(o)
            if not j["active"]:
                break
            time.sleep(0.2)
        self.assertEqual(j["active"], [])
        # the records are written within a second
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            cl = [a for a in self.alarms(o)["cleared"]
                  if a["code"] == "charger-offline"]
            if cl:
                break
            time.sleep(0.2)
        self.assertEqual(cl[0]["ack_by"], "olivia", cl)
        self.assertGreaterEqual(cl[0]["cleared_ms"], cl[0]["since_ms"])
        # back later: a new alarm, nobody's
        self.simc("bay-002 kill")
        a = self.wait_alarm(o, "charger-offline", "bay-002")
        self.assertEqual((a["acknowledged"], a["ack_by"]), (False, None))
        self.assertGreater(a["since_ms"], since)

    def test_fault_and_over_limit_are_alarms(self):
        self.site(n=1)
        c = self.installer()
        self.wait_status(c, lambda s: s["chargers"][0]["online"])
        self.assertEqual(self.alarms(c)["active"], [])
        self.simc("bay-001 car 1 max 16")
        self.simc("bay-001 plug 1")
        self.simc("bay-001 fault 1 pen")
        a = self.wait_alarm(c, "charger-fault", "bay-001")
        self.assertEqual(a["connector"], 1)
        self.assertIn("pen", a["text"])
        # the building alone above the 100 A fuse: after the cars' 5 s
        t0 = time.monotonic()
        self.simc("meter base 120 10 10")
        a = self.wait_alarm(c, "over-limit", "site", timeout=20)
        self.assertGreaterEqual(time.monotonic() - t0, 4.5)
        self.assertEqual(a["connector"], 1)     # L1
        self.assertIn("L1: 120.0 A measured", a["text"])
        self.simc("meter base 10 10 10")
        # a PEN fault latches: cleared, then reset by a person
        self.simc("bay-001 clear 1 pen")
        time.sleep(1)
        st, j, _ = c.call("POST", "/api/chargers/1/connectors/1/reset")
        self.assertEqual(st, 200, j)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and self.alarms(c)["active"]:
            time.sleep(0.2)
        self.assertEqual(self.alarms(c)["active"], [])

    def test_webhooks(self):
        r = Receiver()
        self.addCleanup(r.close)
        m = self.site(n=2, poll=500)
        c = self.installer()
        self.wait_status(c, lambda s: all(x["online"]
                                          for x in s["chargers"]))
        # refused: a scheme other than http(s), a token with a space;
        # nothing changes
        for body, field in (({"webhook_url": "ftp://127.0.0.1/x"},
                             "alarms.webhook_url"),
                            ({"webhook_url": "file:///etc/passwd"},
                             "alarms.webhook_url"),
                            # a password in the address would be shown
                            ({"webhook_url": "http://u:URLPW@127.0.0.1/h"},
                             "alarms.webhook_url"),
                            ({"webhook_token": "two words"},
                             "alarms.webhook_token")):
            st, j, _ = c.call("PUT", "/api/config/alarms", body)
            self.assertEqual((st, j.get("field")), (400, field), j)
        st, j, _ = c.call("POST", "/api/alarms/test")
        self.assertEqual((st, j.get("field")), (400, "alarms.webhook_url"),
                         j)
        # an operator may not set it
        o = self.operator(c)
        st, j, _ = o.call("PUT", "/api/config/alarms",
                          {"webhook_url": r.url})
        self.assertEqual(st, 403, j)
        # the positive twin, in force at once; the token never shown back
        # (the path and query, where many receivers keep their secret,
        # are never shown: only the scheme and host)
        secret_url = r.url + "/PATHSECRET?key=QSECRET"
        st, j, _ = c.call("PUT", "/api/config/alarms", {
            "webhook_url": secret_url, "webhook_token": "tok-123.abc"})
        self.assertEqual(st, 200, j)
        self.assertEqual(j["after_restart"], [], j)
        st, j, _ = c.call("GET", "/api/config/alarms")
        self.assertEqual((j["webhook_url"], j["webhook_token"]),
                         ("http://127.0.0.1:%d/..." % r.port, "(set)"), j)
        st, j, _ = c.call("GET", "/api/config")
        for secret in ("tok-123", "PATHSECRET", "QSECRET", "URLPW"):
            self.assertNotIn(secret, json.dumps(j))
            self.assertNotIn(secret, json.dumps(self.events(c)))
            self.assertNotIn(secret, m.text())
        # "Send test": the receiver's answer reported
        st, j, _ = c.call("POST", "/api/alarms/test")
        self.assertEqual((st, j["delivered"], j["http_status"]),
                         (200, True, 200), j)
        t = r.wait("test", state="test")[0]
        self.assertEqual(t[1].get("Authorization"), "Bearer tok-123.abc")
        self.assertEqual(j["url"], "http://127.0.0.1:%d/..." % r.port)
        for secret in ("PATHSECRET", "QSECRET"):
            self.assertNotIn(secret, json.dumps(self.events(c)))
            self.assertNotIn(secret, m.text())
        # a new alarm arrives as a POST with its body
        self.simc("meter offline on")
        p = r.wait("meter-offline")[0]
        b = p[2]
        self.assertEqual((b["site"], b["code"], b["source"], b["connector"],
                          b["severity"], b["state"]),
                         ("e2e", "meter-offline", "meter", 0, "alarm",
                          "raised"), b)
        self.assertIn("meter is offline", b["text"])
        self.assertRegex(b["since"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertIsInstance(b["since_ms"], int)
        self.assertEqual(p[1].get("Authorization"), "Bearer tok-123.abc")
        self.assertEqual(p[1].get("Content-Type"), "application/json")
        time.sleep(1.5)         # one POST an alarm, not one a cycle
        self.assertEqual(len(r.posts("meter-offline")), 1)
        # 500 twice, then 200: delivered at the third attempt, after the
        # back-off (1 s, then 2 s)
        r.answer(500, 500, 200)
        self.simc("bay-001 kill")
        p = r.wait("charger-offline", n=3, timeout=20)
        self.assertEqual(len(p), 3)
        self.assertEqual(p[2][2]["source"], "bay-001")
        self.assertGreaterEqual(p[1][0] - p[0][0], 0.9)
        self.assertGreaterEqual(p[2][0] - p[1][0], 1.9)
        time.sleep(2.5)
        self.assertEqual(len(r.posts("charger-offline")), 3)
        self.assertEqual([e for e in self.events(c)
                          if e["code"] == "webhook-failed"], [])
        # a receiver that is not there: after its attempts, a warning
        # (1 + 2 + 4 + 8 s of back-off)
        st, j, _ = c.call("PUT", "/api/config/alarms", {
            "webhook_url": "http://127.0.0.1:%d/gone" % tl.free_port()})
        self.assertEqual(st, 200, j)
        self.simc("bay-001 revive")
        self.simc("bay-002 car 1 max 16")
        self.simc("bay-002 plug 1")
        self.simc("bay-002 fault 1 pen")
        e = self.wait_event(c, "webhook-failed", "charger-fault",
                            timeout=30)
        self.assertEqual(e["severity"], 1, e)
        self.assertIn("after 5 attempts", e["text"])
        # a receiver that never answers: the control cycle goes on, one
        # status a poll period
        r.answer("hang")
        st, j, _ = c.call("PUT", "/api/config/alarms",
                          {"webhook_url": r.url})
        self.assertEqual(st, 200, j)
        self.simc("bay-002 kill")
        r.wait("charger-offline", n=4, timeout=10)
        seen, gap, last = [], 0.0, None
        t_end = time.monotonic() + 5
        while time.monotonic() < t_end:
            s = self.api_status(c)
            if last is None or s["allocations"] != last[1]:
                now = time.monotonic()
                if last is not None:
                    gap = max(gap, now - last[0])
                last = (now, s["allocations"])
                seen.append(s["allocations"])
            time.sleep(0.05)
        print("cycles while the receiver hangs: %d in 5 s, longest gap "
              "%.0f ms" % (len(seen), gap * 1000), file=sys.stderr)
        self.assertGreaterEqual(len(seen), 6)
        self.assertLess(gap, 2.0)
        # nor a stop: the attempt under way is cut short
        t0 = time.monotonic()
        self.assertEqual(m.stop(), 0, m.text()[-3000:])
        self.assertLess(time.monotonic() - t0, 5.0)


# The site's and the API's tests are theirs, not ours.
for _name in dir(ta.ApiTest):
    if _name.startswith("test_") and _name not in AlarmsTest.__dict__:
        setattr(AlarmsTest, _name, None)


if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
