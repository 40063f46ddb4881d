#!/usr/bin/env python3
"""Issue 15, section 5: the master's chargers as OCPP 1.6J charge points of
the strict test CSMS (tests/ocpp/csms.js, ocpp-rpc in strict mode: every
message checked against the 1.6 schemas both ways), with evgroup-sim's
chargers and cars: the boot and status of 3 chargers; an RFID tag asked
of the CSMS, the transaction and its meter values, the stop with the
right meter; remote start and stop; the CSMS away during a session with a
master restart in the middle (every transaction message delivered
afterwards, in order, once); a CSMS that answers late (one
StartTransaction); a CSMS that never answers. Bounded waits;
every process stopped."""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ocpp_csms as oc  # noqa: E402
import test_link as tl  # noqa: E402
import test_site as ts  # noqa: E402

TX_ACTIONS = ("StartTransaction", "MeterValues", "StopTransaction")


class OcppTest(ts.SiteTest):
    def ocpp_site(self, n=1, authorisation=None, boot=None, **ocpp):
        """The CSMS, the simulated site and the master with [ocpp] on (short
        intervals: samples every 2 s, calls unanswered after 5 s)."""
        self.csms = oc.Csms(self)
        if boot is not None:
            self.csms.config(**boot)
        keys = dict(enabled="yes", url=self.csms.url,
                    meter_sample_interval=2, clock_aligned_interval=0,
                    call_timeout=5, heartbeat_interval=300)
        keys.update(ocpp)
        extra = "\n[ocpp]\n" + "".join("%s = %s\n" % kv for kv in
                                       keys.items())
        site = {}
        simargs = ()
        if authorisation:
            site["authorisation"] = authorisation
            simargs = ("--set", "unit.authorisation=remote")
        self.ids = ["bay-%03d" % (i + 1) for i in range(n)]
        return self.start_site(n=n, extra=extra, simargs=simargs, **site)

    def simc(self, name, line):
        return tl.control(self.simsock, "%s %s" % (name, line))

    def calls(self, action, identity="bay-001"):
        return self.csms.log(identity=identity, dir="in", type="call",
                             action=action)

    def wait_call(self, action, pred=lambda p: True, identity="bay-001",
                  timeout=30):
        """The first CALL of action from identity whose payload pred
        takes, waited for."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in self.calls(action, identity):
                if pred(e["payload"]):
                    return e
            time.sleep(0.2)
        self.fail("no %s from %s as expected within %d s; log: %s" % (
            action, identity, timeout, "\n".join(
                "%s %s %s %s" % (e["dir"], e["type"], e.get("action"),
                                 json.dumps(e.get("payload"))[:200])
                for e in self.csms.log(identity=identity)
                if e.get("action") != "MeterValues")))

    def txid_of(self, start):
        """The transactionId the CSMS gave the StartTransaction start."""
        for e in self.csms.log(dir="out", type="result", id=start["id"]):
            return e["payload"]["transactionId"]
        self.fail("StartTransaction %s not answered" % start["id"])

    def energy(self, name="bay-001"):
        return self.sim_status(name)["connectors"][0]["total_energy_wh"]

    def charging_session(self, tag=None):
        """A car charging at bay-001 (with tag swiped when given): its
        StartTransaction, delivered."""
        self.simc("bay-001", "car 1 max 16")
        self.simc("bay-001", "plug 1")
        if tag:
            self.wait_call("StatusNotification",
                           lambda p: p["status"] == "Preparing")
            self.simc("bay-001", "rfid 1 " + tag)
        return self.wait_call("StartTransaction")

    def test_boot_and_status_of_three_chargers(self):
        self.ocpp_site(n=3)
        self.csms.wait_clients(self.ids)
        for cp in self.ids:
            boot = self.wait_call("BootNotification", identity=cp)
            self.assertEqual(boot["payload"]["chargePointVendor"], "evgroup")
            self.assertEqual(boot["payload"]["chargePointModel"],
                             "evgroup-slave")
            for k in (0, 1):
                self.wait_call("StatusNotification",
                               lambda p: p["connectorId"] == k and
                               p["status"] == "Available" and
                               p["errorCode"] == "NoError", identity=cp)
        # a fault is told with its code (PEN: OtherError, PENFault)
        self.simc("bay-002", "fault 1 pen")
        self.wait_call("StatusNotification",
                       lambda p: p["status"] == "Faulted" and
                       p.get("vendorErrorCode") == "PENFault" and
                       p["errorCode"] == "OtherError", identity="bay-002")
        self.assertEqual(self.csms.log(type="bad"), [])

    def test_rfid_session_with_its_meter_values(self):
        self.ocpp_site(authorisation="csms")
        self.csms.wait_clients(self.ids)
        self.csms.config(blocked=["BADCAFE"])
        self.simc("bay-001", "car 1 max 16")
        self.simc("bay-001", "plug 1")
        self.wait_call("StatusNotification",
                       lambda p: p["status"] == "Preparing")
        # a tag the CSMS blocks is refused: no transaction
        self.simc("bay-001", "rfid 1 BADCAFE")
        self.wait_call("Authorize", lambda p: p["idTag"] == "BADCAFE")
        time.sleep(2)
        self.assertEqual(self.calls("StartTransaction"), [])
        # the twin: a tag it accepts starts one
        self.simc("bay-001", "rfid 1 CAFE01")
        self.wait_call("Authorize", lambda p: p["idTag"] == "CAFE01")
        start = self.wait_call("StartTransaction")
        self.assertEqual(start["payload"]["idTag"], "CAFE01")
        self.assertEqual(start["payload"]["connectorId"], 1)
        txid = self.txid_of(start)
        self.wait_call("MeterValues", lambda p: p.get("transactionId") ==
                       txid and any(
                           s["measurand"] == "Energy.Active.Import.Register"
                           and int(s["value"]) > start["payload"]["meterStart"]
                           for s in p["meterValue"][0]["sampledValue"]))
        self.simc("bay-001", "unplug 1")
        stop = self.wait_call("StopTransaction")
        self.assertEqual(stop["payload"]["transactionId"], txid)
        self.assertEqual(stop["payload"]["reason"], "EVDisconnected")
        # the meter as the charger's register says, in Wh
        self.assertEqual(stop["payload"]["meterStop"], self.energy())
        sess = self.sim_status("bay-001")["connectors"][0]["session"]
        self.assertEqual(stop["payload"]["meterStop"] -
                         start["payload"]["meterStart"], sess["energy_wh"])
        self.assertEqual(self.csms.log(type="bad"), [])

    def test_remote_start_and_stop(self):
        self.ocpp_site(authorisation="csms")
        self.csms.wait_clients(self.ids)
        # Available: the boot may come before the charger's first poll
        # (then Unavailable, and a remote start is rightly Rejected)
        self.wait_call("StatusNotification",
                       lambda p: p["connectorId"] == 1 and
                       p["status"] == "Available")
        # a connector the charger does not have: Rejected, nothing done
        r = self.csms.call("bay-001", "RemoteStartTransaction",
                           {"connectorId": 2, "idTag": "REMOTE1"})
        self.assertEqual(r, {"result": {"status": "Rejected"}})
        r = self.csms.call("bay-001", "RemoteStartTransaction",
                           {"connectorId": 1, "idTag": "REMOTE1"})
        self.assertEqual(r, {"result": {"status": "Accepted"}})
        self.simc("bay-001", "car 1 max 16")
        self.simc("bay-001", "plug 1")
        start = self.wait_call("StartTransaction")
        self.assertEqual(start["payload"]["idTag"], "REMOTE1")
        txid = self.txid_of(start)
        r = self.csms.call("bay-001", "RemoteStopTransaction",
                           {"transactionId": txid + 100})
        self.assertEqual(r, {"result": {"status": "Rejected"}})
        r = self.csms.call("bay-001", "RemoteStopTransaction",
                           {"transactionId": txid})
        self.assertEqual(r, {"result": {"status": "Accepted"}})
        stop = self.wait_call("StopTransaction")
        self.assertEqual(stop["payload"]["reason"], "Remote")
        self.assertEqual(stop["payload"]["transactionId"], txid)
        # no cable lock the master drives; a key's value checked
        r = self.csms.call("bay-001", "UnlockConnector", {"connectorId": 1})
        self.assertEqual(r, {"result": {"status": "NotSupported"}})
        r = self.csms.call("bay-001", "ChangeConfiguration",
                           {"key": "HeartbeatInterval", "value": "soon"})
        self.assertEqual(r, {"result": {"status": "Rejected"}})
        r = self.csms.call("bay-001", "ChangeConfiguration",
                           {"key": "HeartbeatInterval", "value": "60"})
        self.assertEqual(r, {"result": {"status": "Accepted"}})
        # Reset: accepted, the connection made again, a new boot
        r = self.csms.call("bay-001", "Reset", {"type": "Soft"})
        self.assertEqual(r, {"result": {"status": "Accepted"}})
        deadline = time.monotonic() + 20
        while len(self.calls("BootNotification")) < 2 and \
                time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(len(self.calls("BootNotification")), 2)

    def setpoint_becomes(self, pred, timeout=20):
        deadline = time.monotonic() + timeout
        sp = None
        while time.monotonic() < deadline:
            sp = self.sim_status("bay-001")["connectors"][0]["setpoint"]
            if pred(sp):
                return sp
            time.sleep(0.2)
        self.fail("setpoint %r, not as expected within %d s" % (sp, timeout))

    def test_tx_default_profile_lowers_the_offer(self):
        self.ocpp_site()
        self.csms.wait_clients(self.ids)
        self.charging_session()
        self.setpoint_becomes(lambda sp: sp >= 16.0)
        profile = {"chargingProfileId": 1, "stackLevel": 0,
                   "chargingProfilePurpose": "TxDefaultProfile",
                   "chargingProfileKind": "Relative",
                   "chargingSchedule": {"chargingRateUnit": "A",
                                        "chargingSchedulePeriod": [
                                            {"startPeriod": 0,
                                             "limit": 10.0}]}}
        r = self.csms.call("bay-001", "SetChargingProfile",
                           {"connectorId": 0, "csChargingProfiles": profile})
        self.assertEqual(r, {"result": {"status": "Accepted"}})
        self.setpoint_becomes(lambda sp: sp == 10.0)
        r = self.csms.call("bay-001", "ClearChargingProfile", {"id": 1})
        self.assertEqual(r, {"result": {"status": "Accepted"}})
        self.setpoint_becomes(lambda sp: sp >= 16.0)

    def test_csms_away_and_master_restarted_nothing_lost(self):
        m = self.ocpp_site()
        self.csms.wait_clients(self.ids)
        start = self.charging_session()
        txid = self.txid_of(start)
        before = self.csms.log(identity="bay-001", dir="in", type="call")
        self.csms.stop()
        time.sleep(5)                   # samples queue meanwhile
        m.stop()                        # the master restarts meanwhile
        m = self.master(self.cfg)
        m.wait_for(r"ocpp|charger", timeout=20)
        time.sleep(4)
        self.simc("bay-001", "unplug 1")
        time.sleep(3)
        self.csms.restart()
        stop = self.wait_call("StopTransaction", timeout=60)
        self.assertEqual(stop["payload"]["transactionId"], txid)
        self.assertEqual(stop["payload"]["reason"], "EVDisconnected")
        self.assertEqual(stop["payload"]["meterStop"], self.energy())
        # every transaction message once, in order: the samples' times
        # rise, the stop last, no StartTransaction again
        # (the CSMS's log starts again with it)
        tx = [e for e in before + self.csms.log(identity="bay-001",
                                                dir="in", type="call")
              if e["action"] in TX_ACTIONS]
        self.assertEqual([e["action"] for e in tx].count("StartTransaction"),
                         1)
        self.assertEqual(tx[-1]["action"], "StopTransaction")
        samples = [e["payload"]["meterValue"][0]["timestamp"]
                   for e in tx if e["action"] == "MeterValues"]
        self.assertGreaterEqual(len(samples), 3)
        self.assertEqual(samples, sorted(samples))
        self.assertEqual(len(samples), len(set(samples)))
        self.assertTrue(all(e["payload"]["transactionId"] == txid
                            for e in tx[1:]))
        self.assertEqual(self.csms.log(type="bad"), [])

    def test_malformed_and_unknown_from_the_csms(self):
        self.ocpp_site()
        self.csms.wait_clients(self.ids)
        self.wait_call("StatusNotification", lambda p: p["connectorId"] == 1)
        cases = [
            ('[2,"m1","Reset",', "-1", "FormationViolation"),
            ('[2,"m2","FlyToTheMoon",{}]', "m2", "NotImplemented"),
            ('[2,"m3","RemoteStopTransaction",{"transactionId":"7"}]', "m3",
             "TypeConstraintViolation"),
            ('[2,"m4","Reset",{"type":"Warm"}]', "m4",
             "PropertyConstraintViolation"),
            ('[2,"m5","ChangeAvailability",{"connectorId":1}]', "m5",
             "OccurenceConstraintViolation"),
            ('[2,"m6","Reset",{"type":"Hard","now":true}]', "m6",
             "FormationViolation"),
        ]
        for text, mid, code in cases:
            st, j = self.csms.request("POST", "/raw", {"identity": "bay-001",
                                                       "text": text})
            self.assertEqual(st, 200, j)
            deadline = time.monotonic() + 10
            got = []
            while not got and time.monotonic() < deadline:
                got = self.csms.log(identity="bay-001", dir="in",
                                    type="error", id=mid)
                time.sleep(0.1)
            self.assertTrue(got, text)
            self.assertEqual(got[-1]["payload"]["code"], code, text)
        # nothing changed: the same connection, no new boot, the connector
        # neither reset nor locked
        self.assertEqual(self.csms.clients(), ["bay-001"])
        self.assertEqual(len(self.calls("BootNotification")), 1)
        self.assertEqual(self.sim_status("bay-001")["connectors"][0]["state"],
                         "available")
        # the twin: the same requests, right, are carried out
        r = self.csms.call("bay-001", "ChangeAvailability",
                           {"connectorId": 1, "type": "Inoperative"})
        self.assertEqual(r, {"result": {"status": "Accepted"}})
        self.wait_call("StatusNotification",
                       lambda p: p["status"] == "Unavailable")

    def test_late_csms_gets_one_start_transaction(self):
        """A CSMS answering 7 s late (call_timeout 5 s): one
        StartTransaction only, the transactionId of its late answer used
        (the twin, a reconnection sending it again, is a unit test)."""
        self.ocpp_site()
        self.csms.wait_clients(self.ids)
        self.wait_call("StatusNotification",
                       lambda p: p["connectorId"] == 1 and
                       p["status"] == "Available")
        self.csms.config(delay_ms=7000)
        start = self.charging_session()
        meter = self.wait_call("MeterValues", lambda p: "transactionId" in p,
                               timeout=60)
        self.assertEqual(meter["payload"]["transactionId"],
                         self.txid_of(start))
        self.assertEqual(len(self.calls("StartTransaction")), 1)
        self.assertEqual(self.csms.log(type="bad"), [])

    def test_csms_that_never_answers(self):
        self.ocpp_site(boot={"silent": True})
        self.csms.wait_clients(self.ids)
        # the boot is asked again after the call timeout; nothing else
        # goes out meanwhile, and the site charges as ever
        deadline = time.monotonic() + 40
        while len(self.calls("BootNotification")) < 2 and \
                time.monotonic() < deadline:
            time.sleep(0.5)
        self.assertGreaterEqual(len(self.calls("BootNotification")), 2)
        self.assertEqual(self.calls("StatusNotification"), [])
        self.simc("bay-001", "car 1 max 16")
        self.simc("bay-001", "plug 1")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and \
                self.sim_status("bay-001")["connectors"][0]["setpoint"] == 0:
            time.sleep(0.2)
        self.assertGreater(self.sim_status("bay-001")["connectors"][0]
                           ["setpoint"], 0)
        # the twin: once it answers, the boot, the status and the
        # transaction go out
        self.csms.config(silent=False)
        self.wait_call("StartTransaction", timeout=40)
        self.wait_call("StatusNotification",
                       lambda p: p["status"] == "Charging")


ts.own_tests_only(OcppTest)

if __name__ == "__main__":
    tl.BIN = os.path.abspath(sys.argv.pop(1))
    tl.SRC = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
