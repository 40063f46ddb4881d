#!/usr/bin/env python3
"""Issue 16, section 2: the site on MQTT, against Debian's mosquitto on a
loopback port with a password file, read and driven with mosquitto_sub
and mosquitto_pub only: the retained state of the site and of each
connector, Home Assistant's discovery payloads, commands (good and bad,
each refusal with its positive twin; disabled unless enabled), the last
will when the master is killed, reconnection after the broker restarts,
the entities of a charger taken out of the site removed. Bounded waits;
every process stopped."""

import json
import os
import pwd
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_api as ta  # noqa: E402
import test_link as tl  # noqa: E402
import test_site as ts  # noqa: E402
import test_webui as twebui  # noqa: E402

USER, PASSWORD = "evgroup", "s3cret pass"
BASE = "evgroup/e2e"


class MqttTest(ta.ApiTest):
    cafile = None       # the broker's CA: TLS (self.certs())

    def certs(self):
        """A CA and the broker's certificate for 127.0.0.1 signed by it,
        and another CA (not the broker's), made with openssl: their
        paths (ca, server cert, server key, the other CA)."""
        def ssl(*args):
            subprocess.run(["openssl", *args], check=True, timeout=60,
                           capture_output=True, cwd=self.tmp)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
              "-nodes"]
        ssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=evgroup test CA")
        ssl("req", "-x509", *ec, "-keyout", "other.key", "-out",
            "other.pem", "-days", "2", "-subj", "/CN=evgroup test CA")
        ssl("req", *ec, "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1")
        with open(os.path.join(self.tmp, "san.cnf"), "w") as f:
            f.write("subjectAltName = IP:127.0.0.1, DNS:localhost\n")
        ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey",
            "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2",
            "-extfile", "san.cnf")
        return [os.path.join(self.tmp, x) for x in
                ("ca.pem", "server.pem", "server.key", "other.pem")]

    def broker(self, port=None, start=True, tls=None):
        """mosquitto on a free loopback port (or the one it had), with a
        password file; anonymous clients refused (start: False, only its
        port chosen and its files written; tls: (ca, cert, key), TLS
        only)."""
        if port is None:
            self.bport = tl.free_port()
            pw = os.path.join(self.tmp, "passwd")
            subprocess.run(["mosquitto_passwd", "-b", "-c", pw, USER,
                            PASSWORD], check=True, timeout=20,
                           capture_output=True)
            os.chmod(pw, 0o600)
            if os.geteuid() == 0:
                # run as root, mosquitto drops to its own user: it must
                # reach its password file
                os.chown(pw, pwd.getpwnam("mosquitto").pw_uid, -1)
                os.chmod(self.tmp, 0o711)
            with open(os.path.join(self.tmp, "mosquitto.conf"), "w") as f:
                f.write("listener %d 127.0.0.1\nallow_anonymous false\n"
                        "password_file %s\npersistence false\n"
                        "log_dest stderr\n" % (self.bport, pw))
                if tls:
                    f.write("cafile %s\ncertfile %s\nkeyfile %s\n" % tls)
                    if os.geteuid() == 0:
                        os.chown(tls[2], pwd.getpwnam("mosquitto").pw_uid,
                                 -1)
        if not start:
            return None
        b = self.start("mosquitto", ["/usr/sbin/mosquitto", "-c",
                                     os.path.join(self.tmp,
                                                  "mosquitto.conf")])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.bport),
                                         timeout=1).close()
                return b
            except OSError:
                self.assertIsNone(b.p.poll(), b.text())
                time.sleep(0.05)
        self.fail("mosquitto did not listen:\n" + b.text())

    def mqtt_site(self, commands=True, connected=True, ca=None, **kw):
        extra = ("\n[mqtt]\nenabled = yes\nhost = 127.0.0.1\nport = %d\n"
                 "username = %s\npassword = %s\ncommands = %s\n"
                 % (self.bport, USER, PASSWORD,
                    "yes" if commands else "no"))
        if ca:
            extra += "tls = yes\nca_file = %s\n" % ca
        m = self.start_site(extra=extra, **kw)
        if connected:
            m.wait_for(r"mqtt: connected", timeout=30)
        if kw.get("web"):
            m.wait_for(r"web UI on http://127.0.0.1:%d/" % self.web_port)
        return m

    def cli(self, *args):
        return ["-h", "127.0.0.1", "-p", str(self.bport), "-u", USER,
                "-P", PASSWORD, *(["--cafile", self.cafile]
                                  if self.cafile else []), *args]

    def retained(self, topic, timeout=5):
        """Every retained message under topic: {topic: payload}."""
        r = subprocess.run(["mosquitto_sub", *self.cli(
            "-t", topic, "-v", "--retained-only", "-W", str(timeout))],
            capture_output=True, text=True, timeout=timeout + 20)
        out = {}
        for line in r.stdout.splitlines():
            t, _, p = line.partition(" ")
            out[t] = p
        return out

    def wait_retained(self, topic, pred, timeout=30):
        deadline = time.monotonic() + timeout
        got = {}
        while time.monotonic() < deadline:
            got = self.retained(topic, timeout=2)
            if pred(got):
                return got
            time.sleep(0.2)
        self.fail("%s: not as expected within %d s: %s"
                  % (topic, timeout, json.dumps(got)[:2000]))

    def pub(self, topic, payload, *extra):
        subprocess.run(["mosquitto_pub", *self.cli("-t", topic, "-m",
                                                   payload, *extra)],
                       check=True, timeout=20)

    def command(self, topic, payload):
        """A command and its reply on <base>/reply."""
        sub = subprocess.Popen(["mosquitto_sub", *self.cli(
            "-t", BASE + "/reply")], stdout=subprocess.PIPE)
        buf = b""

        def lines(wait):
            nonlocal buf
            r, _, _ = select.select([sub.stdout], [], [], wait)
            if r:
                buf += os.read(sub.stdout.fileno(), 65536)
            *done, buf = buf.split(b"\n")
            return [json.loads(x) for x in done if x]
        try:
            # the reply's subscription first: a marker of ours comes back
            deadline = time.monotonic() + 20
            seen = False
            while not seen and time.monotonic() < deadline:
                self.pub(BASE + "/reply", '{"topic": "marker"}')
                seen = bool(lines(0.5))
            self.assertTrue(seen, "the reply's subscription")
            self.pub(topic, payload)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                for j in lines(1):
                    if j["topic"] == topic:
                        return j
        finally:
            sub.kill()
            sub.wait(timeout=5)
            sub.stdout.close()
        self.fail("no reply to %s" % topic)

    def reply_log(self):
        """mosquitto_sub on <base>/reply writing to a file, once its
        subscription is up (a marker of ours came back): (file, sub)."""
        replies = open(os.path.join(self.tmp, "replies"), "w+")
        sub = subprocess.Popen(["mosquitto_sub", *self.cli(
            "-t", BASE + "/reply")], stdout=replies)
        deadline = time.monotonic() + 20
        while os.path.getsize(replies.name) == 0 and \
                time.monotonic() < deadline:
            self.pub(BASE + "/reply", '{"topic": "marker"}')
            time.sleep(0.3)
        return replies, sub

    def conn(self, i=0):
        with open(self.status) as f:
            return json.load(f)["connectors"][i]

    def site_status(self):
        with open(self.status) as f:
            return json.load(f)

    def wait_file(self, pred, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if pred(self.site_status()):
                    return
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        self.fail("status not as expected: %s" % self.site_status())

    def test_state_discovery_and_commands(self):
        self.broker()
        m = self.mqtt_site()
        self.assertEqual(self.wait_retained(
            BASE + "/availability", lambda g: g)[BASE + "/availability"],
            "online")
        st = self.wait_retained(BASE + "/#", lambda g: all(
            t in g for t in (BASE + "/site/state",
                             BASE + "/charger/bay_001/1/state",
                             BASE + "/charger/bay_002/1/state")))
        site = json.loads(st[BASE + "/site/state"])
        for k in ("measured", "building", "available", "limit"):
            self.assertEqual(len(site[k]), 3, site)
        self.assertEqual((site["mode"], site["group_limit"]),
                         ("dynamic", 40.0))
        self.assertIn("meter_online", site)
        c = json.loads(st[BASE + "/charger/bay_001/1/state"])
        for k in ("state", "offer", "current", "power", "session_wh",
                  "session_s", "faults"):
            self.assertIn(k, c)
        # Home Assistant's discovery: valid JSON with what it requires
        disc = self.wait_retained("homeassistant/#", lambda g: len(g) > 40)
        ids = set()
        for t, p in disc.items():
            self.assertTrue(t.startswith("homeassistant/") and
                            t.endswith("/config") and "/evgroup_e2e/" in t, t)
            j = json.loads(p)
            self.assertIn("unique_id", j)
            self.assertIn("device", j)
            self.assertIn("identifiers", j["device"])
            ids.add(j["unique_id"])
            if not t.startswith("homeassistant/button/"):
                self.assertIn("state_topic", j, t)
        self.assertEqual(len(ids), len(disc))
        e = json.loads(disc["homeassistant/sensor/evgroup_e2e/"
                            "bay_001_1_session_energy/config"])
        self.assertEqual((e["device_class"], e["state_class"],
                          e["unit_of_measurement"], e["state_topic"]),
                         ("energy", "total_increasing", "Wh",
                          BASE + "/charger/bay_001/1/state"))
        sw = json.loads(disc["homeassistant/switch/evgroup_e2e/"
                             "bay_001_1_pause/config"])
        self.assertEqual(sw["command_topic"],
                         BASE + "/charger/bay_001/1/pause/set")
        self.assertIn("homeassistant/number/evgroup_e2e/site_group_limit/"
                      "config", disc)
        self.assertIn("homeassistant/button/evgroup_e2e/bay_002_1_boost/"
                      "config", disc)
        self.assertIn("homeassistant/binary_sensor/evgroup_e2e/"
                      "bay_001_1_overcurrent/config", disc)

        # a bad connector, a bad value, an unknown charger: a reply, a
        # log line, nothing changes
        pause = BASE + "/charger/bay_001/%d/pause/set"
        r = self.command(pause % 3, "ON")
        self.assertFalse(r["ok"], r)
        self.assertEqual(r["message"], "error: connector: expected 1 "
                         "(bay-001 has one connector)")
        r = self.command(pause % 1, "MAYBE")
        self.assertEqual((r["ok"], r["message"]),
                         (False, "error: pause: expected ON or OFF"))
        r = self.command(BASE + "/charger/nobody/1/pause/set", "ON")
        self.assertFalse(r["ok"], r)
        # logged: the first of the burst (the others in a summary line)
        m.wait_for(r"warning: mqtt: .*/3/pause/set: error: connector: "
                   r"expected 1 \(bay-001 has one connector\)")
        self.assertFalse(self.conn(0)["paused"])
        # the positive twin: pause, then resume
        r = self.command(pause % 1, "ON")
        self.assertTrue(r["ok"], r)
        self.wait_file(lambda s: s["connectors"][0]["paused"])
        self.assertFalse(self.conn(1)["paused"])
        st = self.wait_retained(BASE + "/charger/bay_001/1/state",
                                lambda g: g and json.loads(
                                    list(g.values())[0])["paused"])
        r = self.command(pause % 1, "OFF")
        self.assertTrue(r["ok"], r)
        self.wait_file(lambda s: not s["connectors"][0]["paused"])
        # the generic command topic
        r = self.command(BASE + "/command", json.dumps(
            {"command": "pause", "charger": "bay-002", "connector": 1}))
        self.assertTrue(r["ok"], r)
        self.wait_file(lambda s: s["connectors"][1]["paused"])
        # numbers that are 1 as 32 bits: refused, never connector 1
        for t, p in ((BASE + "/command", json.dumps(
                {"command": "resume", "charger": "bay-002",
                 "connector": 4294967297})),
                (BASE + "/charger/bay_002/4294967297/pause/set", "OFF"),
                (BASE + "/charger/bay_002/-4294967295/pause/set", "OFF")):
            r = self.command(t, p)
            self.assertEqual((r["ok"], r["message"]),
                             (False, "error: connector: expected 1 "
                              "(bay-002 has one connector)"), t)
        time.sleep(1)
        self.assertTrue(self.conn(1)["paused"])
        r = self.command(BASE + "/command", '{"command": "jump"}')
        self.assertFalse(r["ok"], r)

        # the group limit: a raise needs "confirm": true as in the API;
        # a lower one does not
        lim = BASE + "/site/group_limit/set"
        r = self.command(lim, "30")
        self.assertTrue(r["ok"], r)
        self.wait_file(lambda s: s["group_limit"] == 30.0)
        r = self.command(lim, "35")
        self.assertEqual(r["ok"], False, r)
        self.assertIn("confirm", r["message"])
        r = self.command(lim, "lots")
        self.assertEqual(r["ok"], False, r)
        r = self.command(lim, "400")
        self.assertEqual(r["ok"], False, r)
        time.sleep(1.5)
        self.assertEqual(self.site_status()["group_limit"], 30.0)
        r = self.command(lim, '{"value": 35, "confirm": true}')
        self.assertTrue(r["ok"], r)
        self.wait_file(lambda s: s["group_limit"] == 35.0)
        self.wait_retained(BASE + "/site/state", lambda g: g and json.loads(
            list(g.values())[0])["group_limit"] == 35.0)

    def test_retained_commands_not_replayed(self):
        """A raise and a pause published retained: carried out once when
        sent (the master listening: the broker passes them on as live
        messages), then the installer lowers the limit and resumes; the
        master restarted gets them again from the broker, retained, and
        refuses them: the limit and the pause stay as the installer left
        them. The twin: the same commands not retained are carried out."""
        self.broker()
        m = self.mqtt_site(web=True, group=30)
        inst = self.installer()
        lim = BASE + "/site/group_limit/set"
        pause = BASE + "/charger/bay_001/1/pause/set"
        raise_ = '{"value": 35, "confirm": true}'
        self.pub(lim, raise_, "-r")
        self.pub(pause, "ON", "-r")
        self.wait_file(lambda s: s["group_limit"] == 35.0 and
                       s["connectors"][0]["paused"])
        st, j, _ = inst.call("PUT", "/api/config/site", {"group_limit": 30})
        self.assertEqual(st, 200, j)
        st, j, _ = inst.call("POST", "/api/chargers/1/connectors/1/resume")
        self.assertEqual(st, 200, j)
        self.wait_file(lambda s: s["group_limit"] == 30.0 and
                       not s["connectors"][0]["paused"])
        replies, sub = self.reply_log()
        try:
            st, j, _ = inst.call("POST", "/api/restart")
            self.assertEqual(st, 202, j)
            pos = m.wait_for(r"restarting", timeout=10)
            m.wait_for(r"mqtt: connected", timeout=30, after=pos)
            refused = []
            deadline = time.monotonic() + 20
            while len(refused) < 2 and time.monotonic() < deadline:
                replies.seek(0)
                refused = [json.loads(x) for x in replies.read().splitlines()
                           if "retained command ignored" in x]
                time.sleep(0.2)
        finally:
            sub.kill()
            sub.wait(timeout=5)
            replies.close()
        self.assertEqual(sorted((r["topic"], r["ok"], r["message"])
                                for r in refused),
                         [(t, False, "refused: retained command ignored")
                          for t in sorted((lim, pause))])
        m.wait_for(r"warning: mqtt: \S+: refused: retained command ignored",
                   after=pos)
        time.sleep(1.5)
        self.wait_file(lambda s: s["group_limit"] == 30.0 and
                       not s["connectors"][0]["paused"])
        # the twin: the same commands, not retained, are carried out
        r = self.command(lim, raise_)
        self.assertTrue(r["ok"], r)
        r = self.command(pause, "ON")
        self.assertTrue(r["ok"], r)
        self.wait_file(lambda s: s["group_limit"] == 35.0 and
                       s["connectors"][0]["paused"])

    def test_charger_names_differ_on_mqtt(self):
        """A charger added or renamed to a name with another's MQTT name
        (bay-001 and Bay 001 are both bay_001) is refused, nothing saved;
        the twins: names that differ on MQTT are taken."""
        self.broker()
        self.mqtt_site(web=True)
        c = self.installer()
        port = tl.free_port()
        for method, path, body, field in (
                ("POST", "/api/chargers", {"name": "Bay 001",
                                           "host": "127.0.0.1",
                                           "port": port}, "charger3.name"),
                ("PUT", "/api/chargers/2", {"name": "BAY_001"},
                 "charger2.name")):
            st, j, _ = c.call(method, path, body)
            self.assertEqual((st, j.get("field")), (400, field), j)
            self.assertIn("is bay_001 on MQTT, as charger 'bay-001' is",
                          j["error"])
        st, j, _ = c.call("GET", "/api/chargers")
        self.assertEqual([x["name"] for x in j["chargers"]],
                         ["bay-001", "bay-002"])
        self.assertFalse(j["restart_needed"])
        st, j, _ = c.call("POST", "/api/chargers", {
            "name": "Bay 003", "host": "127.0.0.1", "port": port})
        self.assertEqual(st, 201, j)
        st, j, _ = c.call("PUT", "/api/chargers/2", {"name": "Bay 02"})
        self.assertEqual(st, 200, j)
        st, j, _ = c.call("GET", "/api/chargers")
        self.assertEqual([x["name"] for x in j["chargers"]],
                         ["bay-001", "Bay 02", "Bay 003"])

    def test_commands_disabled_and_stale_entities(self):
        self.broker()
        # a charger the site had once (bay-009): its entity is cleared;
        # another system's is left alone
        stale = "homeassistant/sensor/evgroup_e2e/bay_009_1_state/config"
        other = "homeassistant/sensor/other_node/x/config"
        self.pub(stale, '{"unique_id": "old"}', "-r")
        self.pub(other, '{"unique_id": "other"}', "-r")
        self.mqtt_site(commands=False)
        self.wait_retained("homeassistant/#", lambda g: stale not in g and
                           other in g and "homeassistant/sensor/evgroup_e2e/"
                           "bay_001_1_state/config" in g)
        # no controls shown without commands
        disc = self.retained("homeassistant/#")
        self.assertNotIn("homeassistant/switch/evgroup_e2e/"
                         "bay_001_1_pause/config", disc)
        r = self.command(BASE + "/charger/bay_001/1/pause/set", "ON")
        self.assertEqual(r["ok"], False, r)
        self.assertIn("disabled", r["message"])
        time.sleep(1.5)
        self.assertFalse(self.conn(0)["paused"])

    def test_settings_in_the_api_and_the_web_ui(self):
        """The password never shown back, "(set)" refused as one; the
        web UI's page (tests/browser/mqtt.js)."""
        self.broker()
        self.mqtt_site(web=True)
        inst = self.installer()
        self.operator(inst)
        st, j, _ = inst.call("GET", "/api/config")
        self.assertEqual(st, 200, j)
        self.assertEqual((j["config"]["mqtt"]["password"],
                          j["config"]["mqtt"]["username"]), ("(set)", USER))
        self.assertNotIn(PASSWORD, json.dumps(j))
        st, j, _ = inst.call("PUT", "/api/config/mqtt",
                             {"password": "(set)"})
        self.assertEqual((st, j.get("field")), (400, "mqtt.password"), j)
        # its twin: a password, saved for the next start, never echoed
        st, j, _ = inst.call("PUT", "/api/config/mqtt",
                             {"password": "another-pass"})
        self.assertEqual(st, 200, j)
        self.assertNotIn("another-pass", json.dumps(j))
        self.assertEqual([(p["in_force"], p["after_restart"])
                          for p in j["pending"]], [("(set)", "(changed)")])
        st, j, _ = inst.call("GET", "/api/events")
        self.assertNotIn("another-pass", json.dumps(j))
        twebui.run_browser(self, "mqtt.js", ta.PASSWORD, "olivias-own-2",
                           timeout=120)

    def test_broker_restart_and_last_will(self):
        # the broker not there yet when the master starts: it is tried
        # again, and the chargers are controlled meanwhile
        self.broker(start=False)
        m = self.mqtt_site(connected=False)
        m.wait_for(r"mqtt: lost|mqtt: .*: Connection refused", timeout=30)
        tl.control(self.simsock, "bay-001 car 1 max 32")
        tl.control(self.simsock, "bay-001 plug 1")
        self.wait_file(lambda s: s["connectors"][0]["offer"] > 0)
        b = self.broker(port=self.bport)
        m.wait_for(r"mqtt: connected", timeout=60)
        self.wait_retained(BASE + "/site/state", lambda g: g)
        # the broker restarts (its retained messages lost): the master
        # reconnects with back-off and publishes it all again
        b.stop()
        pos = m.wait_for(r"mqtt: lost", timeout=30)
        self.broker(port=self.bport)
        t0 = time.monotonic()
        m.wait_for(r"mqtt: connected", timeout=60, after=pos)
        # within its back-off: libmosquitto's next attempt (1, 4, 9 s
        # after the loss), or ours 10 s after it (MQTT_CONNECT_WAIT_S);
        # a loaded machine's slowness on top
        self.assertLess(time.monotonic() - t0, 20)
        g = self.wait_retained(BASE + "/#", lambda g: all(
            t in g for t in (BASE + "/availability", BASE + "/site/state",
                             BASE + "/charger/bay_002/1/state")), timeout=60)
        self.assertEqual(g[BASE + "/availability"], "online")
        # killed: the broker gives its last will
        m.stop(signal.SIGKILL)
        self.wait_retained(BASE + "/availability", lambda g: g.get(
            BASE + "/availability") == "offline")

    def test_tls(self):
        """The broker on TLS only, its certificate from a CA made here:
        the master with mqtt.tls and that CA connects and publishes."""
        ca, cert, key, _ = self.certs()
        self.cafile = ca
        self.broker(tls=(ca, cert, key))
        self.mqtt_site(ca=ca)
        g = self.wait_retained(BASE + "/#", lambda g: all(
            t in g for t in (BASE + "/availability", BASE + "/site/state")))
        self.assertEqual(g[BASE + "/availability"], "online")

    def test_tls_with_another_ca(self):
        """Its twin: the master given a CA that did not sign the broker's
        certificate does not connect, and its log says why."""
        ca, cert, key, other = self.certs()
        self.cafile = ca
        self.broker(tls=(ca, cert, key))
        m = self.mqtt_site(ca=other, connected=False)
        pos = m.wait_for(r"mqtt: .*certificate verify failed", timeout=30)
        # and tried again with the back-off, whether the handshake failed
        # in the attempt or in libmosquitto's thread after it (which then
        # gives up by itself)
        pos = m.wait_for(r"mqtt: 127\.0\.0\.1:%d: (A TLS error occurred\.; "
                         r"trying again in \d+ s|no connection for \d+ s; "
                         r"trying again)" % self.bport, timeout=30, after=pos)
        m.wait_for(r"mqtt: .*certificate verify failed", timeout=30,
                   after=pos)
        self.assertNotIn("mqtt: connected", m.text())
        self.assertEqual(self.retained(BASE + "/#", timeout=2), {})
        # docs/integrations.md shows each kind of line logged here, as
        # it is logged (the broker's address as the doc's example)
        with open(os.path.join(tl.SRC, "docs/integrations.md")) as f:
            doc = f.read()
        for line in m.text().splitlines():
            if "warning: mqtt: " not in line:
                continue
            said = line.split("warning: ", 1)[1]
            said = re.sub(r"127\.0\.0\.1:%d" % self.bport,
                          "192.0.2.10:8883", said)
            said = re.sub(r"trying again in \d+ s", "trying again in N s",
                          said)
            self.assertIn(said, doc)

    def test_flood_of_bad_commands(self):
        """Tens of thousands of bad commands a second: the log gets the
        first and a summary (at the stop here: one a minute at most),
        not a line each; the replies stay bounded; the loop keeps its
        time; a good command after it is carried out."""
        self.broker()
        m = self.mqtt_site(web=True)
        inst = self.installer()
        a0 = self.api_status(inst)["allocations"]
        pause = BASE + "/charger/bay_001/1/pause/set"
        replies, sub = self.reply_log()
        try:
            pos = len(m.text())
            n = 40000
            t0 = time.monotonic()
            flood = subprocess.Popen(["mosquitto_pub", *self.cli(
                "-t", pause, "-l", "-q", "0")], stdin=subprocess.PIPE)
            flood.communicate(b"MAYBE\n" * n, timeout=120)
            took = time.monotonic() - t0
            # the loop meanwhile and after: the status answers at once
            # and the allocations go on
            worst = 0.0
            allocs = []
            while time.monotonic() < t0 + took + 3:
                s0 = time.monotonic()
                allocs.append(self.api_status(inst)["allocations"])
                worst = max(worst, time.monotonic() - s0)
                time.sleep(0.2)
            self.assertGreater(allocs[-1], a0)
            self.assertLess(worst, 2.0)
            # the positive twin: a good command still works (once the
            # broker has passed the flood on: until then it may find
            # the queue full, and is told so)
            deadline = time.monotonic() + 30
            r = self.command(pause, "ON")
            while not r["ok"] and "dropped" in r["message"] and \
                    time.monotonic() < deadline:
                time.sleep(0.5)
                r = self.command(pause, "ON")
            self.assertTrue(r["ok"], r)
            self.wait_file(lambda s: s["connectors"][0]["paused"])
            flood_log = m.text()[pos:]
        finally:
            sub.kill()
            sub.wait(timeout=5)
            replies.close()
        with open(os.path.join(self.tmp, "replies")) as f:
            nreplies = sum(1 for _ in f)
        refused = [x for x in flood_log.splitlines()
                   if "warning: mqtt: " in x]
        # the first refusal of the burst, nothing else while it lasted
        self.assertLessEqual(len(refused), 2, refused[:10])
        # (libmosquitto's thread may drop one before the loop answers
        # the first)
        self.assertRegex(refused[0], r"pause/set: (error: pause: expected "
                         r"ON or OFF|refused: too many commands at once; "
                         r"dropped)$")
        # stopped: the summary owed (else within the minute)
        m.stop()
        tail = m.text()[pos:]
        mm = re.search(r"mqtt: (\d+) commands refused since "
                       r"\d\d:\d\d:\d\d, the last: \S+/pause/set: "
                       r"(error: pause: expected ON or OFF|refused: too many "
                       r"commands at once; dropped)", tail)
        self.assertIsNotNone(mm, tail[-3000:])
        backlog = re.search(r"mqtt: at most (\d+) of our messages waited",
                            tail)
        self.assertIsNotNone(backlog, tail[-2000:])
        self.assertLessEqual(int(backlog.group(1)), 2048 + 64)
        print("\nflood: %d commands in %.2f s; %s refused in the summary; "
              "%d replies seen; at most %s messages waited for the broker; "
              "status at worst %.0f ms; %d log lines: %s"
              % (n, took, mm.group(1), nreplies, backlog.group(1),
                 worst * 1000, len(tail.splitlines()),
                 tail[mm.start():].splitlines()[0]), file=sys.stderr)


ts.own_tests_only(MqttTest, base=ta.ApiTest)


class CheckConfigSecretsTest(unittest.TestCase):
    """--check-config (docs/operations.md has installers run it, its
    output pasted into tickets): every secret as "(set)" or "(not set)",
    never its value; the other settings as they are."""

    def check(self, text):
        d = tempfile.mkdtemp(prefix="evg-i16-")
        try:
            path = os.path.join(d, "m.ini")
            with open(path, "w") as f:
                f.write(text)
            r = subprocess.run([os.path.join(tl.BIN, "master/evgroup-master"),
                                "--config", path, "--check-config"],
                               capture_output=True, text=True, timeout=30)
        finally:
            shutil.rmtree(d)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration OK", r.stdout)
        return r.stdout + r.stderr

    def test_secrets_never_printed(self):
        out = self.check("[site]\nname = Tickets Ltd\n"
                         "[mqtt]\nhost = broker.example\nusername = evg-user\n"
                         "password = Pw-0f-the-broker\n"
                         "[alarms]\nwebhook_url = https://hooks.example/"
                         "services/T0/B0/Hook-path-secret\n"
                         "webhook_token = Bearer-t0ken-value\n")
        for secret in ("Pw-0f-the-broker", "Bearer-t0ken-value",
                       "Hook-path-secret"):
            self.assertNotIn(secret, out)
        self.assertIn("password = (set)\n", out)
        self.assertIn("webhook_token = (set)\n", out)
        # the twin: what is no secret is shown as it is
        for shown in ("name = Tickets Ltd\n", "host = broker.example\n",
                      "username = evg-user\n",
                      "webhook_url = https://hooks.example/...\n"):
            self.assertIn(shown, out)

    def test_secrets_not_set(self):
        out = self.check("[mqtt]\nusername = evg-user\n")
        self.assertIn("password = (not set)\n", out)
        self.assertIn("webhook_token = (not set)\n", out)
        self.assertIn("username = evg-user\n", out)

if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
