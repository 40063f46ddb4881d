#!/usr/bin/env python3
"""Issue 15, section 2 (never lose a transaction), in real time: the CSMS
down for a full two minutes during a charging session, the master
restarted in the middle of it and the car unplugged before the CSMS is
back: every StartTransaction, MeterValues and StopTransaction delivered
afterwards once, in order, with the CSMS's transactionId and the car's
energy. And a CSMS that stays connected but does not answer a
StartTransaction: the charge point connects again and sends it once more
there, the queue moves on when it is answered. The strict test CSMS
(tests/ocpp/csms.js); bounded waits polling twice a second; every process
stopped."""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_link as tl  # noqa: E402
import test_ocpp as to  # noqa: E402
import test_site as ts  # noqa: E402

OUTAGE_S = 120
SAMPLE_S = 10


class OcppOutageTest(to.OcppTest):
    def wait_until(self, t):
        """Sleeps (in steps of a second at most) until monotonic t."""
        while time.monotonic() < t:
            time.sleep(min(1.0, max(0.0, t - time.monotonic())))

    def tx_calls(self, log):
        return [e for e in log if e.get("dir") == "in" and
                e.get("type") == "call" and e.get("identity") == "bay-001"
                and e.get("action") in to.TX_ACTIONS]

    def test_csms_down_two_minutes_master_restarted(self):
        m = self.ocpp_site(meter_sample_interval=SAMPLE_S)
        self.csms.wait_clients(self.ids)
        start = self.charging_session()
        txid = self.txid_of(start)
        # a sample delivered before the outage
        self.wait_call("MeterValues", lambda p: "transactionId" in p,
                       timeout=3 * SAMPLE_S)
        before = self.csms.log()
        self.csms.stop()
        down = time.monotonic()
        # samples queue; the master restarts in the middle of the outage
        self.wait_until(down + OUTAGE_S * 0.4)
        m.stop()
        m = self.master(self.cfg)
        m.wait_for(r"ocpp|charger", timeout=20)
        # the car leaves before the CSMS is back: the stop queues too
        self.wait_until(down + OUTAGE_S * 0.8)
        self.simc("bay-001", "unplug 1")
        self.wait_until(down + OUTAGE_S)
        outage = time.monotonic() - down
        self.assertGreaterEqual(outage, OUTAGE_S)
        self.csms.restart()
        # the reconnection's back-off reaches 60 s during the outage
        stop = self.wait_call("StopTransaction", timeout=150)
        after = self.csms.log()
        energy = self.energy()

        tx = self.tx_calls(before) + self.tx_calls(after)
        actions = [e["action"] for e in tx]
        self.assertEqual(actions.count("StartTransaction"), 1, actions)
        self.assertEqual(actions.count("StopTransaction"), 1, actions)
        self.assertEqual(actions[0], "StartTransaction")
        self.assertEqual(actions[-1], "StopTransaction")
        # once: no message id nor payload twice
        self.assertEqual(len({e["id"] for e in tx}), len(tx))
        payloads = [json.dumps(e["payload"], sort_keys=True) for e in tx]
        self.assertEqual(len(set(payloads)), len(payloads))
        # in order, every one with the CSMS's transactionId
        self.assertTrue(all(e["payload"]["transactionId"] == txid
                            for e in tx[1:]), tx)
        samples = [e["payload"]["meterValue"][0] for e in tx
                   if e["action"] == "MeterValues"]
        stamps = [s["timestamp"] for s in samples]
        self.assertEqual(stamps, sorted(stamps))
        self.assertEqual(len(set(stamps)), len(stamps))
        # the samples queued during the outage (about one every SAMPLE_S
        # while the car was plugged, less the master's restart) all came
        queued = [e for e in self.tx_calls(after)
                  if e["action"] == "MeterValues"]
        self.assertGreaterEqual(len(queued), int(OUTAGE_S * 0.8 / SAMPLE_S)
                                - 3, stamps)
        wh = [int(float(v["value"])) for s in samples
              for v in s["sampledValue"]
              if v.get("measurand") == "Energy.Active.Import.Register"]
        self.assertEqual(wh, sorted(wh))
        # the stop: the car's energy, the session's reason
        self.assertEqual(stop["payload"]["transactionId"], txid)
        self.assertEqual(stop["payload"]["reason"], "EVDisconnected")
        self.assertEqual(stop["payload"]["meterStop"], energy)
        self.assertGreaterEqual(stop["payload"]["meterStop"], max(wh))
        self.assertGreater(stop["payload"]["meterStop"],
                           start["payload"]["meterStart"])
        # every one answered, none refused by the strict CSMS
        self.assertEqual(self.csms.log(type="bad"), [])
        self.assertEqual(self.csms.log(type="invalid"), [])
        # nothing left queued at the master
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.queued() != 0:
            time.sleep(0.5)
        self.assertEqual(self.queued(), 0)

    def queued(self):
        """The master's transaction messages still queued for bay-001."""
        st = json.load(open(self.status))
        for c in st.get("chargers", []):
            if c.get("name") == "bay-001":
                return (c.get("ocpp") or {}).get("queued", 0)
        return None

    def test_silent_csms_reconnected_then_answering(self):
        """No answer to a StartTransaction on a connection that stays up:
        after twice call_timeout (5 s) the charge point connects again and
        sends it there once more; with the CSMS answering again the queue
        moves (its MeterValues with the transactionId). Once a
        connection."""
        m = self.ocpp_site(meter_sample_interval=2, call_timeout=5)
        self.csms.wait_clients(self.ids)
        self.wait_call("StatusNotification",
                       lambda p: p["connectorId"] == 1 and
                       p["status"] == "Available")
        self.csms.config(silent=True)
        self.charging_session()
        m.wait_for(r"no answer to StartTransaction in 10 s: reconnecting",
                   timeout=30)
        self.csms.wait_log(timeout=30, count=2, identity="bay-001",
                           type="open")
        self.csms.config(silent=False)
        meter = self.wait_call("MeterValues", lambda p: "transactionId" in p,
                               timeout=60)
        log = self.csms.log(identity="bay-001")
        starts = [i for i, e in enumerate(log)
                  if e.get("action") == "StartTransaction" and
                  e["type"] == "call"]
        opens = [i for i, e in enumerate(log) if e["type"] == "open"]
        self.assertEqual(len(starts), 2)
        # one a connection: an open between them
        self.assertTrue(any(starts[0] < i < starts[1] for i in opens))
        answered = [e for e in log if e["type"] == "result" and
                    e["id"] == log[starts[1]]["id"]]
        self.assertEqual(len(answered), 1)
        self.assertEqual(meter["payload"]["transactionId"],
                         answered[0]["payload"]["transactionId"])
        self.assertEqual(self.csms.log(type="bad"), [])

    def test_identity_changed_while_messages_wait(self):
        """The installer changes the charger's ocpp_identity while its
        transaction messages wait (the CSMS away): after the restart they
        go out under the new identity, with the transactionId the CSMS
        gave, told by an event; nothing is left under the old one."""
        m = self.ocpp_site()
        self.csms.wait_clients(self.ids)
        start = self.charging_session()
        txid = self.txid_of(start)
        self.csms.stop()
        time.sleep(5)                   # samples queue meanwhile
        m.stop()
        m = self.master(self.cfg, "--set", "charger1.ocpp_identity=CP-NEW")
        m.wait_for(r"charge point CP-NEW was bay-001: [1-9]\d* "
                   r"transaction messages queued as bay-001 are sent as "
                   r"CP-NEW", timeout=20)
        self.simc("bay-001", "unplug 1")
        time.sleep(2)
        self.csms.restart()
        stop = self.wait_call("StopTransaction", identity="CP-NEW",
                              timeout=90)
        self.assertEqual(stop["payload"]["transactionId"], txid)
        self.assertEqual(stop["payload"]["meterStop"], self.energy())
        tx = self.tx_calls_of("CP-NEW")
        self.assertNotIn("StartTransaction", [e["action"] for e in tx])
        self.assertGreaterEqual(len(tx), 3)     # samples, then the stop
        self.assertEqual(tx[-1]["action"], "StopTransaction")
        self.assertTrue(all(e["payload"]["transactionId"] == txid
                            for e in tx))
        self.assertEqual(self.calls("MeterValues", "bay-001"), [])
        self.assertEqual(self.csms.clients(), ["CP-NEW"])
        self.assertEqual(self.csms.log(type="bad"), [])

    def tx_calls_of(self, identity):
        return [e for e in self.csms.log(identity=identity, dir="in",
                                         type="call")
                if e["action"] in to.TX_ACTIONS]


ts.own_tests_only(OcppOutageTest, base=to.OcppTest)

if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
