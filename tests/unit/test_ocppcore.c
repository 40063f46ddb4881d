/*
 * test_ocppcore.c: one OCPP 1.6J charge point (master/ocppcore.c,
 * ocppops.c) alone, its sends, records and site actions captured: the
 * boot and its intervals, one CALL at a time, the status mapping, a
 * session from the tag to StopTransaction, transaction messages kept
 * across a restart and sent in order, timeouts and retries, the CSMS's
 * operations and the CALLERRORs for what breaks the 1.6 schemas (each
 * refusal with its positive twin, and nothing changed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "charger.h"
#include "ocppcore.h"

#define MAXSENT	256
#define WALL0	1767225600000LL		/* 2026-01-01T00:00:00Z */

struct fake_msg {
	bool		 used;
	uint64_t	 seq;
	int64_t		 local;
	int		 action;
	char		 payload[1024];
};

struct rig {
	char		*sent[MAXSENT];
	int		 nsent;
	bool		 down;
	struct ocpp_act	 act[64];
	char		 act_tag[64][24];
	char		 act_text[64][128];
	int		 nact;
	int		 refuse_acts;	/* act() answers -1 */
	struct fake_msg	 msg[64];	/* the store's queue */
	struct ocpp_tx	 tx[32];
	int		 ntx;
	int		 nconf, nlist, ncache;
	char		 cache_key[24], cache_value[48];	/* the last */
	char		 list[4096];
	int		 list_version;
};

static int
r_send(void *arg, const char *t, size_t len)
{
	struct rig *r = arg;

	if (r->down || r->nsent == MAXSENT)
		return -1;
	r->sent[r->nsent++] = strndup(t, len);
	return 0;
}

static void
r_store(void *arg, const struct ocpp_rec *rec)
{
	struct rig *r = arg;

	switch (rec->kind) {
	case OCPP_REC_MSG_PUT:
		for (int i = 0; i < 64; i++)
			if (!r->msg[i].used) {
				r->msg[i] = (struct fake_msg){ true, rec->seq,
				    rec->local_tx, rec->action, "" };
				snprintf(r->msg[i].payload,
				    sizeof(r->msg[i].payload), "%s",
				    rec->payload);
				return;
			}
		fail();
		break;
	case OCPP_REC_MSG_DEL:
		for (int i = 0; i < 64; i++)
			if (r->msg[i].used && r->msg[i].seq == rec->seq)
				r->msg[i].used = false;
		break;
	case OCPP_REC_TX_PUT:
		for (int i = 0; i < r->ntx; i++)
			if (r->tx[i].local == rec->tx->local) {
				r->tx[i] = *rec->tx;
				return;
			}
		r->tx[r->ntx++] = *rec->tx;
		break;
	case OCPP_REC_TX_DEL:
		for (int i = 0; i < r->ntx; i++)
			if (r->tx[i].local == rec->local_tx)
				r->tx[i--] = r->tx[--r->ntx];
		break;
	case OCPP_REC_CONF:
		r->nconf++;
		break;
	case OCPP_REC_LIST:
		r->nlist++;
		r->list_version = rec->version;
		snprintf(r->list, sizeof(r->list), "%s", rec->payload);
		break;
	case OCPP_REC_CACHE_PUT:
		r->ncache++;
		snprintf(r->cache_key, sizeof(r->cache_key), "%s", rec->key);
		snprintf(r->cache_value, sizeof(r->cache_value), "%s",
		    rec->value);
		break;
	case OCPP_REC_CACHE_CLEAR:
		r->ncache = 0;
		break;
	}
}

static int
r_act(void *arg, const struct ocpp_act *a, char *why, size_t len)
{
	struct rig *r = arg;

	(void)why;
	(void)len;
	if (r->nact < 64) {
		snprintf(r->act_tag[r->nact], sizeof(r->act_tag[0]), "%s",
		    a->tag ? a->tag : "");
		snprintf(r->act_text[r->nact], sizeof(r->act_text[0]), "%s",
		    a->text ? a->text : "");
		r->act[r->nact++] = *a;
	}
	return r->refuse_acts ? -1 : 0;
}

static const struct ocpp_conf conf = {
	"evgroup", "evgroup-slave", "SN1", "1.2", 300, 60, 0, 30,
	true, false, false, true, 30, false,
};

static struct rig R;
static struct ocpp_cp CP;
static uint64_t NOW;
static int64_t WALL;

static void
rig_clear(void)
{
	for (int i = 0; i < R.nsent; i++)
		free(R.sent[i]);
	R.nsent = 0;
	R.nact = 0;
	memset(R.act, 0, sizeof(R.act));
}

static int
setup(void **state)
{
	(void)state;
	memset(&R, 0, sizeof(R));
	NOW = 1000;
	WALL = WALL0;
	ocppcore_init(&CP, &conf, &(struct ocpp_ops){ &R, r_send, r_store,
	    r_act, false, NULL }, 7);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	rig_clear();
	ocppcore_free(&CP);
	return 0;
}

/* The i-th text sent (negative: from the end), parsed. */
static json_t *
sent(int i)
{
	json_t	*j;

	if (i < 0)
		i += R.nsent;
	assert_true(i >= 0 && i < R.nsent);
	j = json_loads(R.sent[i], 0, NULL);
	assert_non_null(j);
	return j;
}

/* The action of the i-th text sent when it is a CALL; "result" or the
 * error code otherwise. */
static const char *
what(int i)
{
	static char b[64];
	json_t	*j = sent(i);
	int	 type = (int)json_integer_value(json_array_get(j, 0));

	snprintf(b, sizeof(b), "%s", type == 2 ? json_string_value(
	    json_array_get(j, 2)) : type == 3 ? "result" :
	    json_string_value(json_array_get(j, 2)));
	json_decref(j);
	return b;
}

/* The payload's field of the i-th text (a string or a number as text). */
static const char *
field(int i, const char *name)
{
	static char b[256];
	json_t	*j = sent(i);
	int	 type = (int)json_integer_value(json_array_get(j, 0));
	json_t	*v = json_object_get(json_array_get(j, type == 2 ? 3 : 2),
	    name);

	if (json_is_string(v))
		snprintf(b, sizeof(b), "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(b, sizeof(b), "%lld", (long long)json_integer_value(v));
	else
		b[0] = '\0';
	json_decref(j);
	return b;
}

static void
answer(const char *payload)
{
	char	 t[512];

	assert_true(CP.busy);
	snprintf(t, sizeof(t), "[3,\"%s\",%s]", CP.call_id, payload);
	ocppcore_receive(&CP, t, strlen(t), NOW, WALL);
}

static void
answer_error(const char *code)
{
	char	 t[256];

	snprintf(t, sizeof(t), "[4,\"%s\",\"%s\",\"\",{}]", CP.call_id, code);
	ocppcore_receive(&CP, t, strlen(t), NOW, WALL);
}

static void
from_csms(const char *t)
{
	ocppcore_receive(&CP, t, strlen(t), NOW, WALL);
}

static void
tick(uint64_t ms)
{
	NOW += ms;
	WALL += (int64_t)ms;
	ocppcore_tick(&CP, NOW, WALL);
}

static struct ocpp_cp_in
site(uint16_t s1, uint16_t s2)
{
	struct ocpp_cp_in in = { .online = true, .nconn = 2,
	    .voltage_dv = { 2300, 2300, 2300 } };

	in.c[0] = (struct ocpp_conn_in){ .state = s1, .cp_state = s1 ? 1 : 0,
	    .total_wh = 1000, .session_no = 1 };
	in.c[1] = (struct ocpp_conn_in){ .state = s2, .cp_state = s2 ? 1 : 0,
	    .total_wh = 5000, .session_no = 1 };
	return in;
}

static void
feed(const struct ocpp_cp_in *in)
{
	ocppcore_input(&CP, in, NOW, WALL);
}

/* Up, the boot accepted, every status answered: nothing under way. */
static void
reboot(void)
{
	ocppcore_up(&CP, NOW);
	answer("{\"status\":\"Accepted\",\"currentTime\":"
	    "\"2026-01-01T00:00:00Z\",\"interval\":300}");
	while (CP.busy)
		answer("{}");
}

static void
booted(void)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);

	feed(&in);
	reboot();
	rig_clear();
}

/* Booted, then the site as in, every CALL answered with {}. */
static void
settle(const struct ocpp_cp_in *in)
{
	booted();
	feed(in);
	while (CP.busy)
		answer("{}");
}

static void
test_boot_first_and_pending_interval(void **state)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_WAIT_AUTH);

	(void)state;
	feed(&in);
	assert_int_equal(R.nsent, 0);		/* down: nothing */
	ocppcore_up(&CP, NOW);
	assert_int_equal(R.nsent, 1);
	assert_string_equal(what(0), "BootNotification");
	assert_string_equal(field(0, "chargePointVendor"), "evgroup");
	assert_string_equal(field(0, "chargePointSerialNumber"), "SN1");
	answer("{\"status\":\"Pending\",\"currentTime\":"
	    "\"2026-01-01T00:00:00Z\",\"interval\":20}");
	/* Pending: nothing else, not even a heartbeat or a status, and
	 * no new boot before the interval */
	in.c[0].state = CS_FAULT;
	in.c[0].faults = 1 << 6;
	feed(&in);
	tick(19000);
	assert_int_equal(R.nsent, 1);
	/* calls from the CSMS are answered meanwhile */
	from_csms("[2,\"a\",\"GetLocalListVersion\",{}]");
	assert_int_equal(R.nsent, 2);
	assert_string_equal(what(1), "result");
	tick(1000);
	assert_int_equal(R.nsent, 3);
	assert_string_equal(what(2), "BootNotification");
	answer("{\"status\":\"Accepted\",\"currentTime\":"
	    "\"2026-01-01T00:00:00Z\",\"interval\":120}");
	assert_int_equal(CP.boot, OCPP_BOOT_ACCEPTED);
	assert_int_equal(CP.keys.heartbeat_s, 120);
	/* then every connector's status, one CALL at a time */
	assert_int_equal(R.nsent, 4);
	assert_string_equal(what(3), "StatusNotification");
	assert_string_equal(field(3, "connectorId"), "0");
	answer("{}");
	assert_string_equal(field(4, "connectorId"), "1");
	assert_string_equal(field(4, "status"), "Faulted");
	assert_string_equal(field(4, "errorCode"), "OtherError");
	assert_string_equal(field(4, "vendorErrorCode"), "PENFault");
	answer("{}");
	assert_string_equal(field(5, "status"), "Preparing");
	answer("{}");
	assert_false(CP.busy);
	/* a heartbeat once the interval passed with no CALL */
	tick(119000);
	assert_int_equal(R.nsent, 6);
	tick(1000);
	assert_string_equal(what(6), "Heartbeat");
}

static void
test_boot_rejected_sends_nothing_else(void **state)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);
	int	 n;

	(void)state;
	feed(&in);
	ocppcore_up(&CP, NOW);
	answer("{\"status\":\"Rejected\",\"currentTime\":"
	    "\"2026-01-01T00:00:00Z\",\"interval\":60}");
	assert_int_equal(CP.boot, OCPP_BOOT_REJECTED);
	assert_int_equal(R.act[R.nact - 1].kind, OCPP_ACT_REJECTED);
	in.c[0].state = CS_CHARGING;	/* a session: queued, not sent */
	feed(&in);
	tick(59000);
	assert_int_equal(R.nsent, 1);
	assert_int_equal(CP.ntxq, 1);
	tick(1000);
	assert_string_equal(what(1), "BootNotification");
	/* rejected again: said once, not at every try */
	n = R.nact;
	answer("{\"status\":\"Rejected\",\"currentTime\":"
	    "\"2026-01-01T00:00:00Z\",\"interval\":60}");
	assert_int_equal(R.nact, n);
	tick(60000);
	answer("{\"status\":\"Accepted\",\"currentTime\":"
	    "\"2026-01-01T00:00:00Z\",\"interval\":60}");
	assert_int_equal(R.act[R.nact - 1].kind, OCPP_ACT_BOOTED);
}

static void
test_status_mapping(void **state)
{
	static const struct {
		uint16_t state, cp, faults;
		const char *st, *err, *ven;
	} t[] = {
		{ CS_AVAILABLE, 0, 0, "Available", "NoError", "" },
		{ CS_AVAILABLE, 1, 0, "Finishing", "NoError", "" },
		{ CS_WAIT_AUTH, 1, 0, "Preparing", "NoError", "" },
		{ CS_AUTH_WAIT_CAR, 0, 0, "Preparing", "NoError", "" },
		{ CS_CHARGING, 2, 0, "Charging", "NoError", "" },
		{ CS_NO_CURRENT, 1, 0, "SuspendedEVSE", "NoError", "" },
		{ CS_SUSPENDED_EV, 1, 0, "SuspendedEV", "NoError", "" },
		{ CS_LOCKED, 0, 0, "Unavailable", "NoError", "" },
		{ CS_FAULT, 1, 1 << 0, "Faulted", "GroundFailure", "RCMAC" },
		{ CS_FAULT, 1, 1 << 1, "Faulted", "GroundFailure", "RCMDC" },
		{ CS_FAULT, 1, 1 << 2, "Faulted", "OtherError", "DiodeFault" },
		{ CS_FAULT, 1, 1 << 3, "Faulted", "EVCommunicationError",
		    "PilotFault" },
		{ CS_FAULT, 1, 1 << 4, "Faulted", "OverVoltage", "" },
		{ CS_FAULT, 1, 1 << 5, "Faulted", "UnderVoltage", "" },
		{ CS_FAULT, 1, 1 << 6, "Faulted", "OtherError", "PENFault" },
		{ CS_FAULT, 1, 1 << 7, "Faulted", "HighTemperature", "" },
		{ CS_FAULT, 1, 1 << 8, "Faulted", "PowerSwitchFailure",
		    "ContactorWelded" },
		{ CS_FAULT, 1, 1 << 9, "Faulted", "PowerSwitchFailure",
		    "ContactorNotClosed" },
		{ CS_FAULT, 1, 1 << 10, "Faulted", "OverCurrentFailure", "" },
		{ CS_FAULT, 1, 1 << 11, "Faulted", "PowerMeterFailure",
		    "MeterTimeout" },
		{ CS_FAULT, 1, 1 << 12, "Faulted", "GroundFailure",
		    "RCMSelfTest" },
		{ CS_FAULT, 1, 0, "Faulted", "InternalError", "" },
		{ CS_FAULT, 1, 1 << 14, "Faulted", "OtherError",
		    "UnknownFault" },
		{ 9, 1, 0, "Faulted", "OtherError", "UnknownState" },
	};
	const char *st, *err, *ven;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ocpp_conn_in c = { .state = t[i].state,
		    .cp_state = t[i].cp, .faults = t[i].faults };

		ocppcore_status_of(true, &c, &st, &err, &ven);
		assert_string_equal(st, t[i].st);
		assert_string_equal(err, t[i].err);
		assert_string_equal(ven, t[i].ven);
	}
	ocppcore_status_of(false, &(struct ocpp_conn_in){ 0 }, &st, &err,
	    &ven);
	assert_string_equal(st, "Unavailable");
	assert_string_equal(ven, "ChargerOffline");
}

/* A status change is told once, and again only when it changes. */
static void
test_status_on_change_only(void **state)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);

	(void)state;
	booted();
	feed(&in);
	assert_int_equal(R.nsent, 0);
	in.c[1].state = CS_WAIT_AUTH;
	in.c[1].cp_state = 1;
	feed(&in);
	feed(&in);
	assert_int_equal(R.nsent, 1);
	assert_string_equal(field(0, "connectorId"), "2");
	assert_string_equal(field(0, "status"), "Preparing");
}

/* RFID -> Authorize -> StartTransaction -> MeterValues -> unplug ->
 * StopTransaction, with the CSMS's transactionId and the meter. */
static void
test_session(void **state)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);
	int	 n;

	(void)state;
	booted();
	in.c[0].state = CS_WAIT_AUTH;
	in.c[0].cp_state = 1;
	snprintf(in.c[0].tag, sizeof(in.c[0].tag), "CAFE01");
	feed(&in);
	answer("{}");				/* Preparing */
	ocppcore_authorize(&CP, 1, "CAFE01", NOW, WALL);
	assert_string_equal(what(-1), "Authorize");
	assert_string_equal(field(-1, "idTag"), "CAFE01");
	assert_int_equal(R.nact, 0);
	answer("{\"idTagInfo\":{\"status\":\"Accepted\"}}");
	assert_int_equal(R.nact, 1);
	assert_int_equal(R.act[0].kind, OCPP_ACT_AUTHORISE);
	assert_int_equal(R.act[0].connector, 1);
	assert_int_equal(R.ncache, 1);
	/* the car charges: the start is stored before it is sent */
	in.c[0].state = CS_CHARGING;
	in.c[0].cp_state = 2;
	in.c[0].current_da[0] = 160;
	in.c[0].offer_da = 160;
	n = R.nsent;
	feed(&in);
	assert_true(R.msg[0].used);
	assert_int_equal(R.msg[0].action, OCPP_A_START);
	assert_string_equal(what(n), "StatusNotification");	/* Charging */
	answer("{}");
	assert_string_equal(what(-1), "StartTransaction");
	assert_string_equal(field(-1, "meterStart"), "1000");
	assert_string_equal(field(-1, "idTag"), "CAFE01");
	answer("{\"transactionId\":42,\"idTagInfo\":{\"status\":"
	    "\"Accepted\"}}");
	assert_false(R.msg[0].used);		/* answered: forgotten */
	assert_int_equal(R.tx[0].txid, 42);
	assert_int_equal(R.act[R.nact - 1].kind, OCPP_ACT_TX_STARTED);
	assert_int_equal(R.act[R.nact - 1].txid, 42);
	/* the car pauses between authorised and charging: the same
	 * transaction */
	in.c[0].state = CS_AUTH_WAIT_CAR;
	feed(&in);
	answer("{}");
	in.c[0].state = CS_CHARGING;
	feed(&in);
	answer("{}");
	assert_int_equal(CP.ntxq, 0);
	assert_int_equal(CP.ntx, 1);
	/* a sample a minute later */
	in.c[0].total_wh = 1250;
	feed(&in);
	tick(60000);
	assert_string_equal(what(-1), "MeterValues");
	assert_string_equal(field(-1, "transactionId"), "42");
	assert_non_null(strstr(R.sent[R.nsent - 1],
	    "\"measurand\":\"Energy.Active.Import.Register\""));
	assert_non_null(strstr(R.sent[R.nsent - 1], "\"value\":\"1250\""));
	assert_non_null(strstr(R.sent[R.nsent - 1], "\"phase\":\"L1\""));
	assert_non_null(strstr(R.sent[R.nsent - 1], "\"value\":\"16.0\""));
	assert_non_null(strstr(R.sent[R.nsent - 1], "Power.Active.Import"));
	assert_non_null(strstr(R.sent[R.nsent - 1], "\"value\":\"3680\""));
	answer("{}");
	/* unplugged: EVDisconnected, meterStop */
	in.c[0].state = CS_AVAILABLE;
	in.c[0].cp_state = 0;
	in.c[0].total_wh = 1500;
	feed(&in);
	answer("{}");				/* Available */
	assert_string_equal(what(-1), "StopTransaction");
	assert_string_equal(field(-1, "transactionId"), "42");
	assert_string_equal(field(-1, "meterStop"), "1500");
	assert_string_equal(field(-1, "reason"), "EVDisconnected");
	answer("{}");
	assert_int_equal(R.ntx, 0);		/* all answered: forgotten */
	assert_int_equal(CP.ntx, 0);
}

/* One CALL outstanding at a time (OCPP-J 4.1.1). */
static void
test_one_call_at_a_time(void **state)
{
	struct ocpp_cp_in in = site(CS_WAIT_AUTH, CS_WAIT_AUTH);

	(void)state;
	booted();
	feed(&in);
	ocppcore_authorize(&CP, 1, "A", NOW, WALL);
	ocppcore_authorize(&CP, 2, "B", NOW, WALL);
	tick(1000);
	assert_int_equal(R.nsent, 1);
	answer("{}");
	assert_int_equal(R.nsent, 2);
	answer("{}");
	assert_int_equal(R.nsent, 3);
	assert_string_equal(what(2), "Authorize");
	assert_string_equal(field(2, "idTag"), "A");
	answer("{\"idTagInfo\":{\"status\":\"Blocked\"}}");
	assert_int_equal(R.act[0].kind, OCPP_ACT_REFUSE);
	assert_string_equal(field(3, "idTag"), "B");
}

/* The master stops and starts again: a new core from what the store
 * holds, transactions and messages in order. */
static void
restart_from_store(void)
{
	struct fake_msg saved[64];
	struct ocpp_tx stx[32];
	int	 nstx = R.ntx;

	memcpy(saved, R.msg, sizeof(saved));
	memcpy(stx, R.tx, sizeof(stx));
	ocppcore_free(&CP);
	ocppcore_init(&CP, &conf, &(struct ocpp_ops){ &R, r_send, r_store,
	    r_act, false, NULL }, 8);
	for (int i = 0; i < nstx; i++)
		assert_int_equal(ocppcore_load_tx(&CP, &stx[i]), 0);
	for (uint64_t seq = 1; seq < 100; seq++)
		for (int i = 0; i < 64; i++)
			if (saved[i].used && saved[i].seq == seq)
				assert_int_equal(ocppcore_load_msg(&CP, seq,
				    saved[i].local, saved[i].action,
				    saved[i].payload), 0);
}

/* The CSMS away during a session and the master restarted: everything
 * delivered afterwards, in order, once, the transactionId put into the
 * stop and the samples of a transaction started while it was away. */
static void
test_queue_survives_restart(void **state)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);
	int	 nstart = 0, nmeter = 0, nstop = 0, order = 0;

	(void)state;
	booted();
	ocppcore_down(&CP, "gone", NOW);
	in.c[0].state = CS_CHARGING;
	in.c[0].cp_state = 2;
	feed(&in);
	tick(60000);
	tick(60000);
	assert_int_equal(R.nsent, 0);
	assert_int_equal(CP.ntxq, 3);		/* start, 2 samples */
	/* the master stops: a new core from the store */
	restart_from_store();
	/* the session went on (same session number): no PowerLoss; then
	 * it ends while the CSMS is still away */
	feed(&in);
	in.c[0].state = CS_AVAILABLE;
	in.c[0].cp_state = 0;
	in.c[0].total_wh = 3000;
	feed(&in);
	assert_int_equal(CP.ntxq, 4);
	ocppcore_up(&CP, NOW);
	answer("{\"status\":\"Accepted\",\"currentTime\":"
	    "\"2026-01-01T00:00:00Z\",\"interval\":300}");
	for (int guard = 0; CP.busy && guard < 20; guard++) {
		const char *w = what(-1);

		if (strcmp(w, "StartTransaction") == 0) {
			assert_int_equal(order, 0);
			nstart++;
			answer("{\"transactionId\":7,\"idTagInfo\":"
			    "{\"status\":\"Accepted\"}}");
			continue;
		}
		if (strcmp(w, "MeterValues") == 0) {
			assert_int_equal(nstart, 1);
			assert_string_equal(field(-1, "transactionId"), "7");
			nmeter++;
		} else if (strcmp(w, "StopTransaction") == 0) {
			assert_int_equal(nmeter, 2);
			assert_string_equal(field(-1, "transactionId"), "7");
			assert_string_equal(field(-1, "meterStop"), "3000");
			nstop++;
		}
		answer("{}");
	}
	assert_int_equal(nstart, 1);
	assert_int_equal(nmeter, 2);
	assert_int_equal(nstop, 1);
	assert_int_equal(CP.ntxq, 0);
	for (int i = 0; i < 64; i++)
		assert_false(R.msg[i].used);
}

/* A charger offline from the start: its connectors Unavailable, and
 * the open transaction of the store judged only once it is heard. */
static void
test_offline_charger(void **state)
{
	struct ocpp_tx t = { .local = 5, .txid = 9, .connector = 1,
	    .open = true, .session_no = 1, .meter_start = 900 };
	struct ocpp_cp_in in = site(CS_CHARGING, CS_AVAILABLE);
	struct ocpp_cp_in off = { .online = false, .nconn = 2 };

	(void)state;
	assert_int_equal(ocppcore_load_tx(&CP, &t), 0);
	ocppcore_input(&CP, &off, NOW, WALL);
	ocppcore_up(&CP, NOW);
	answer("{\"status\":\"Accepted\",\"currentTime\":"
	    "\"2026-01-01T00:00:00Z\",\"interval\":300}");
	for (int k = 0; k <= 2; k++) {
		char	 c[16];

		snprintf(c, sizeof(c), "%d", k);
		assert_string_equal(field(-1, "connectorId"), c);
		assert_string_equal(field(-1, "status"), "Unavailable");
		assert_string_equal(field(-1, "vendorErrorCode"),
		    "ChargerOffline");
		answer("{}");
	}
	assert_int_equal(CP.ntxq, 0);		/* not judged yet */
	/* no answer while it is offline: the timeout still runs */
	ocppcore_authorize(&CP, 1, "T", NOW, WALL);
	assert_string_equal(what(-1), "Authorize");
	NOW += 30000;
	ocppcore_input(&CP, &off, NOW, WALL);
	assert_false(CP.busy);
	assert_int_equal(R.act[R.nact - 1].kind, OCPP_ACT_REFUSE);
	/* heard, the session going on: the same transaction */
	in.c[0].total_wh = 1000;
	feed(&in);
	assert_int_equal(CP.ntxq, 0);
	assert_non_null(CP.ntx == 1 && CP.tx[0].open ? &CP.tx[0] : NULL);
}

/* With the store's acknowledgements: a transaction message waits until
 * it is on disk; its twin (store_acks false) is every test above. */
static void
test_sent_once_on_disk(void **state)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);

	(void)state;
	CP.ops.store_acks = true;
	booted();
	in.c[0].state = CS_CHARGING;
	feed(&in);
	answer("{}");				/* Charging */
	assert_false(CP.busy);
	assert_int_equal(CP.ntxq, 1);
	ocppcore_stored(&CP, CP.txq[0].seq, NOW);
	assert_string_equal(what(-1), "StartTransaction");
}

/* A transaction open in the store whose session ended while the master
 * was stopped: PowerLoss. Its twin (the session goes on) is above. */
static void
test_power_loss(void **state)
{
	struct ocpp_tx t = { .local = 5, .txid = 9, .connector = 2,
	    .open = true, .session_no = 3, .meter_start = 4000 };
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);

	(void)state;
	snprintf(t.tag, sizeof(t.tag), "T");
	assert_int_equal(ocppcore_load_tx(&CP, &t), 0);
	feed(&in);
	assert_int_equal(CP.ntxq, 1);
	assert_non_null(strstr(CP.txq[0].payload, "\"PowerLoss\""));
	assert_non_null(strstr(CP.txq[0].payload, "\"meterStop\":5000"));
}

/* A StartTransaction sent and its answer late: the message is not sent
 * again over the same link (the CSMS would open a second transaction);
 * the late answer is taken, its transactionId used. A status without
 * answer is given up. */
static void
test_call_timeout(void **state)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);
	char	 first[40], t[160];

	(void)state;
	booted();
	in.c[0].state = CS_CHARGING;
	in.c[0].cp_state = 2;
	feed(&in);
	assert_string_equal(what(-1), "StatusNotification");
	tick(30000);				/* given up */
	assert_string_equal(what(-1), "StartTransaction");
	snprintf(first, sizeof(first), "%s", CP.call_id);
	tick(30000);				/* timed out */
	assert_false(CP.busy);
	for (int i = 0; i < 5; i++)
		tick(5000);
	assert_int_equal(R.nsent, 2);		/* not sent again */
	assert_int_equal(R.nact, 0);		/* nor the link dropped */
	assert_int_equal(CP.ntxq, 2);		/* the samples behind */
	snprintf(t, sizeof(t), "[3,\"%s\",{\"transactionId\":1,"
	    "\"idTagInfo\":{\"status\":\"Accepted\"}}]", first);
	from_csms(t);
	assert_int_equal(CP.tx[0].txid, 1);
	assert_int_equal(R.act[R.nact - 1].kind, OCPP_ACT_TX_STARTED);
	assert_int_equal(R.act[R.nact - 1].txid, 1);
	assert_string_equal(what(-1), "MeterValues");	/* the queue goes on */
	assert_string_equal(field(-1, "transactionId"), "1");
	assert_int_equal(CP.ntxq, 1);
}

/* Booted, a car charging at connector 1: its StartTransaction sent. */
static void
start_sent(void)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);

	booted();
	in.c[0].state = CS_CHARGING;
	in.c[0].cp_state = 2;
	feed(&in);
	answer("{}");				/* Charging */
	assert_string_equal(what(-1), "StartTransaction");
}

/* A new link, the boot accepted, the statuses answered: the head of the
 * queue is the CALL under way. */
static void
relink(void)
{
	ocppcore_down(&CP, "gone", NOW);
	ocppcore_up(&CP, NOW);
	answer("{\"status\":\"Accepted\",\"currentTime\":"
	    "\"2026-01-01T00:00:00Z\",\"interval\":300}");
	while (CP.busy && strcmp(what(-1), "StatusNotification") == 0)
		answer("{}");
}

/* The CALLs of action sent so far. */
static int
nsent_of(const char *action)
{
	int	 n = 0;

	for (int i = 0; i < R.nsent; i++)
		n += strcmp(what(i), action) == 0;
	return n;
}

/* Its twin: no answer at all while the CSMS stays connected. Twice the
 * call timeout after the send the link is taken for dead: a reconnection
 * asked, once; nothing sent again on the old link; on the new one the
 * head goes out once more, and the queue moves when it is answered. */
static void
test_call_timeout_link_dead(void **state)
{
	int	 nreconnect = 0;

	(void)state;
	start_sent();
	tick(30000);				/* timed out */
	tick(29000);
	assert_int_equal(R.nact, 0);		/* still waiting */
	assert_true(ocppcore_deadline(&CP, NOW) <= NOW + 1000);
	tick(1000);				/* 60 s: dead */
	assert_int_equal(R.nact, 1);
	assert_int_equal(R.act[0].kind, OCPP_ACT_RECONNECT);
	assert_non_null(strstr(R.act_text[R.nact - 1],
	    "no answer to StartTransaction"));
	for (int i = 0; i < 5; i++)
		tick(30000);
	for (int i = 0; i < R.nact; i++)
		nreconnect += R.act[i].kind == OCPP_ACT_RECONNECT;
	assert_int_equal(nreconnect, 1);	/* asked once */
	assert_int_equal(nsent_of("StartTransaction"), 1);
	relink();
	assert_string_equal(what(-1), "StartTransaction");
	answer("{\"transactionId\":4,\"idTagInfo\":{\"status\":"
	    "\"Accepted\"}}");
	assert_int_equal(CP.tx[0].txid, 4);
	assert_string_equal(what(-1), "MeterValues");	/* the queue moves */
	assert_string_equal(field(-1, "transactionId"), "4");
	assert_int_equal(nsent_of("StartTransaction"), 2);	/* once a link */
}

/* Its twin: a reconnection after the timeout, when the message may not
 * have arrived: sent once again, and an answer to the id of the old
 * link is not taken for it. */
static void
test_call_timeout_reconnect(void **state)
{
	char	 first[40], t[160];

	(void)state;
	start_sent();
	snprintf(first, sizeof(first), "%s", CP.call_id);
	tick(30000);
	assert_false(CP.busy);
	relink();
	assert_string_equal(what(-1), "StartTransaction");
	assert_string_not_equal(CP.call_id, first);
	snprintf(t, sizeof(t), "[3,\"%s\",{\"transactionId\":1,"
	    "\"idTagInfo\":{\"status\":\"Accepted\"}}]", first);
	from_csms(t);
	assert_true(CP.busy);			/* not taken */
	answer("{\"transactionId\":2,\"idTagInfo\":{\"status\":"
	    "\"Accepted\"}}");
	assert_int_equal(CP.tx[0].txid, 2);
	assert_int_equal(nsent_of("StartTransaction"), 2);	/* once a link */
}

/* A BootNotification answered after the call timeout: the late answer
 * (to the first boot, the boot asked again meanwhile) is the boot's
 * answer, and the second's answer is then dropped. Its twins: an answer
 * to an id never sent, or to a boot of an earlier link, changes
 * nothing. */
static void
test_boot_late_answer(void **state)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);
	const char *ok = "{\"status\":\"Accepted\",\"currentTime\":"
	    "\"2026-01-01T00:00:00Z\",\"interval\":300}";
	char	 first[40], second[40], t[200];

	(void)state;
	feed(&in);
	ocppcore_up(&CP, NOW);
	assert_string_equal(what(0), "BootNotification");
	snprintf(first, sizeof(first), "%s", CP.call_id);
	tick(30000);				/* timed out */
	assert_int_equal(CP.boot, OCPP_BOOT_PENDING);
	snprintf(t, sizeof(t), "[3,\"zz\",%s]", ok);
	from_csms(t);				/* never sent: dropped */
	assert_int_equal(CP.boot, OCPP_BOOT_PENDING);
	assert_int_equal(R.nsent, 1);
	tick(30000);				/* asked again */
	assert_int_equal(nsent_of("BootNotification"), 2);
	snprintf(second, sizeof(second), "%s", CP.call_id);
	snprintf(t, sizeof(t), "[3,\"%s\",%s]", first, ok);
	from_csms(t);				/* the first's, late */
	assert_int_equal(CP.boot, OCPP_BOOT_ACCEPTED);
	assert_string_equal(what(-1), "StatusNotification");
	snprintf(t, sizeof(t), "[3,\"%s\",%s]", second, ok);
	from_csms(t);				/* the second's: dropped */
	while (CP.busy)
		answer("{}");
	assert_int_equal(nsent_of("StatusNotification"), 3);
	assert_int_equal(nsent_of("BootNotification"), 2);
	/* a new link: the old link's boot is not this one's */
	ocppcore_down(&CP, "gone", NOW);
	ocppcore_up(&CP, NOW);
	snprintf(second, sizeof(second), "%s", CP.call_id);
	tick(30000);
	snprintf(t, sizeof(t), "[3,\"%s\",%s]", first, ok);
	from_csms(t);
	assert_int_equal(CP.boot, OCPP_BOOT_PENDING);
	/* nor one the CSMS has answered since, with Pending */
	tick(30000);
	answer("{\"status\":\"Pending\",\"currentTime\":"
	    "\"2026-01-01T00:00:00Z\",\"interval\":60}");
	snprintf(t, sizeof(t), "[3,\"%s\",%s]", second, ok);
	from_csms(t);
	assert_int_equal(CP.boot, OCPP_BOOT_PENDING);
}

/* A CALLERROR to a transaction message: retried after
 * TransactionMessageRetryInterval x attempts, then given up. */
static int
stored_msgs(void)
{
	int	 n = 0;

	for (int i = 0; i < 64; i++)
		n += R.msg[i].used;
	return n;
}

/* A session on connector 1 whose StartTransaction the CSMS refuses once
 * (a CALLERROR): it waits out TransactionMessageRetryInterval. */
static void
start_refused(struct ocpp_cp_in *in)
{
	in->c[0].state = CS_CHARGING;
	feed(in);
	answer("{}");
	assert_string_equal(what(-1), "StartTransaction");
	answer_error("InternalError");
}

static void
test_callerror_retries(void **state)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);
	int	 n;

	(void)state;
	booted();
	start_refused(&in);
	n = R.nsent;
	tick(59000);
	assert_int_equal(R.nsent, n);
	tick(1000);
	assert_string_equal(what(-1), "StartTransaction");
	answer_error("InternalError");
	tick(119000);
	assert_false(CP.busy);
	tick(1000);
	assert_string_equal(what(-1), "StartTransaction");
	for (int i = 0; i < R.nact; i++)	/* not before it is given up */
		assert_int_not_equal(R.act[i].kind, OCPP_ACT_TX_DROPPED);
	in.c[0].total_wh = 1400;
	feed(&in);
	answer_error("InternalError");		/* the third: given up */
	assert_int_equal(R.act[R.nact - 1].kind, OCPP_ACT_TX_DROPPED);
	assert_int_equal(R.act[R.nact - 1].connector, 1);
	assert_string_equal(R.act_tag[R.nact - 1], "FREE");
	assert_int_equal(R.act[R.nact - 1].wh, 400);
	/* its later messages are not sent (the CSMS cannot know them), but
	 * parked: kept in the store with their transaction */
	n = R.nsent;
	tick(60000);
	in.c[0].state = CS_AVAILABLE;
	in.c[0].cp_state = 0;
	feed(&in);
	while (CP.busy)
		answer("{}");
	for (int i = n; i < R.nsent; i++)
		assert_string_equal(what(i), "StatusNotification");
	assert_int_equal(CP.ntxq, 0);
	assert_int_equal(CP.ntx, 0);
	assert_int_equal(stored_msgs(), 5);	/* start, 3 samples, stop */
	assert_int_equal(R.ntx, 1);
	/* the next start: tried again, in order, and taken this time */
	restart_from_store();
	feed(&in);
	rig_clear();
	relink();
	assert_string_equal(what(-1), "StartTransaction");
	answer("{\"transactionId\":7,\"idTagInfo\":{\"status\":"
	    "\"Accepted\"}}");
	for (int i = 0; i < 3; i++) {
		assert_string_equal(what(-1), "MeterValues");
		assert_string_equal(field(-1, "transactionId"), "7");
		answer("{}");
	}
	assert_string_equal(what(-1), "StopTransaction");
	assert_string_equal(field(-1, "transactionId"), "7");
	assert_string_equal(field(-1, "meterStop"), "1400");
	answer("{}");
	assert_int_equal(stored_msgs(), 0);
	assert_int_equal(R.ntx, 0);
}

/* A Heartbeat sent while the head waits out its retry interval: its
 * answer is the Heartbeat's, never taken for the head's (the head was
 * deleted unsent: the CSMS never heard of the session). */
static void
test_heartbeat_while_head_waits(void **state)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);
	int	 n;

	(void)state;
	booted();
	CP.keys.heartbeat_s = 10;
	start_refused(&in);
	n = R.nsent;
	tick(10000);
	assert_int_equal(R.nsent, n + 1);
	assert_string_equal(what(-1), "Heartbeat");
	answer("{\"currentTime\":\"2026-11-27T09:00:00Z\"}");
	assert_int_equal(CP.ntxq, 1);		/* still waiting */
	for (int i = 0; i < R.nact; i++)
		assert_int_not_equal(R.act[i].kind, OCPP_ACT_TX_DROPPED);
	/* the twin: its retry after the interval, answered, is taken */
	while (strcmp(what(-1), "StartTransaction") != 0) {
		tick(10000);
		if (CP.busy && strcmp(what(-1), "Heartbeat") == 0)
			answer("{\"currentTime\":\"2026-11-27T09:00:00Z\"}");
	}
	answer("{\"transactionId\":9,\"idTagInfo\":{\"status\":"
	    "\"Accepted\"}}");
	/* taken: what follows (the samples meanwhile) goes under its id */
	assert_true(CP.ntxq == 0 || CP.txq[0].action != OCPP_A_START);
	if (CP.busy) {
		assert_string_equal(what(-1), "MeterValues");
		assert_string_equal(field(-1, "transactionId"), "9");
	}
	for (int i = 0; i < R.nact; i++)
		assert_int_not_equal(R.act[i].kind, OCPP_ACT_TX_DROPPED);
}

static void
expect_error(const char *frame, const char *code)
{
	int	 n = R.nsent, a = R.nact;

	from_csms(frame);
	assert_int_equal(R.nsent, n + 1);
	assert_string_equal(what(-1), code);
	assert_int_equal(R.nact, a);		/* nothing done */
}

static void
test_callerrors(void **state)
{
	(void)state;
	booted();
	CP.tx[CP.ntx++] = (struct ocpp_tx){ .local = 1, .txid = 5,
	    .connector = 1, .open = true };
	expect_error("[2,\"x\",", "FormationViolation");
	expect_error("{\"a\":1}", "FormationViolation");
	expect_error("[2,\"x\",\"Reset\"]", "FormationViolation");
	expect_error("[2,\"x\",\"Reset\",[]]", "FormationViolation");
	expect_error("[2,\"x\",\"FlyToMoon\",{}]", "NotImplemented");
	expect_error("[2,\"x\",\"ReserveNow\",{}]", "NotSupported");
	expect_error("[2,\"x\",\"RemoteStopTransaction\",{}]",
	    "OccurenceConstraintViolation");
	expect_error("[2,\"x\",\"RemoteStopTransaction\","
	    "{\"transactionId\":\"5\"}]", "TypeConstraintViolation");
	expect_error("[2,\"x\",\"RemoteStopTransaction\","
	    "{\"transactionId\":5.5}]", "TypeConstraintViolation");
	expect_error("[2,\"x\",\"RemoteStopTransaction\","
	    "{\"transactionId\":5,\"extra\":1}]", "FormationViolation");
	expect_error("[2,\"x\",\"Reset\",{\"type\":\"Warm\"}]",
	    "PropertyConstraintViolation");
	expect_error("[2,\"x\",\"RemoteStartTransaction\",{\"idTag\":"
	    "\"123456789012345678901\"}]", "PropertyConstraintViolation");
	expect_error("[2,\"x\",\"SendLocalList\",{\"listVersion\":1,"
	    "\"updateType\":\"Full\",\"localAuthorizationList\":[{\"idTag\":"
	    "\"A\",\"idTagInfo\":{\"status\":\"Maybe\"}}]}]",
	    "PropertyConstraintViolation");
	assert_int_equal(CP.nlist, 0);
	/* the positive twin: the same, right */
	from_csms("[2,\"y\",\"RemoteStopTransaction\",{\"transactionId\":5}]");
	assert_string_equal(what(-1), "result");
	assert_string_equal(field(-1, "status"), "Accepted");
	assert_int_equal(R.act[0].kind, OCPP_ACT_STOP);
	/* the id of the CALL is the answer's */
	{
		json_t	*j = sent(-1);

		assert_string_equal(json_string_value(json_array_get(j, 1)),
		    "y");
		json_decref(j);
	}
}

static void
test_remote_start_stop(void **state)
{
	struct ocpp_cp_in in = site(CS_WAIT_AUTH, CS_AVAILABLE);

	(void)state;
	booted();
	feed(&in);
	answer("{}");
	from_csms("[2,\"r1\",\"RemoteStartTransaction\",{\"connectorId\":3,"
	    "\"idTag\":\"R\"}]");
	assert_string_equal(field(-1, "status"), "Rejected");
	assert_int_equal(R.nact, 0);
	from_csms("[2,\"r2\",\"RemoteStartTransaction\",{\"idTag\":\"R\"}]");
	assert_string_equal(field(-1, "status"), "Accepted");
	assert_int_equal(R.act[0].kind, OCPP_ACT_AUTHORISE);
	assert_int_equal(R.act[0].connector, 1);	/* the car waits */
	/* authorised, no car plugged: no transaction yet */
	in.c[0].state = CS_AUTH_WAIT_CAR;
	in.c[0].cp_state = 0;
	feed(&in);
	assert_false(CP.busy);			/* still Preparing */
	assert_int_equal(CP.ntxq, 0);
	in.c[0].state = CS_CHARGING;
	in.c[0].cp_state = 2;
	feed(&in);
	answer("{}");
	assert_string_equal(what(-1), "StartTransaction");
	assert_string_equal(field(-1, "idTag"), "R");
	answer("{\"transactionId\":77,\"idTagInfo\":{\"status\":"
	    "\"Accepted\"}}");
	from_csms("[2,\"r3\",\"RemoteStopTransaction\","
	    "{\"transactionId\":78}]");
	assert_string_equal(field(-1, "status"), "Rejected");
	from_csms("[2,\"r4\",\"RemoteStopTransaction\","
	    "{\"transactionId\":77}]");
	assert_string_equal(field(-1, "status"), "Accepted");
	assert_int_equal(R.act[R.nact - 1].kind, OCPP_ACT_STOP);
	in.c[0].state = CS_AVAILABLE;		/* still plugged */
	feed(&in);
	answer("{}");
	assert_string_equal(what(-1), "StopTransaction");
	assert_string_equal(field(-1, "reason"), "Remote");
}

/* The answer to a RemoteStartTransaction on connector k. */
static const char *
remote_start(int k)
{
	char	 t[128];

	snprintf(t, sizeof(t), "[2,\"rs%d\",\"RemoteStartTransaction\","
	    "{\"connectorId\":%d,\"idTag\":\"R\"}]", R.nsent, k);
	from_csms(t);
	return field(-1, "status");
}

/* RemoteStartTransaction on a Faulted or Unavailable connector (out of
 * service, or made Inoperative by the CSMS): Rejected, nothing done; its
 * twin, the same connector Available again: Accepted. */
static void
test_remote_start_not_in_service(void **state)
{
	struct ocpp_cp_in in = site(CS_FAULT, CS_LOCKED);

	(void)state;
	settle(&in);
	assert_string_equal(remote_start(1), "Rejected");
	assert_string_equal(remote_start(2), "Rejected");
	assert_int_equal(R.nact, 0);
	/* the fault gone: Accepted */
	in.c[0].state = CS_AVAILABLE;
	feed(&in);
	while (CP.busy)
		answer("{}");
	assert_string_equal(remote_start(1), "Accepted");
	assert_int_equal(R.act[R.nact - 1].kind, OCPP_ACT_AUTHORISE);
	/* Inoperative by the CSMS, before the charger shows it locked */
	rig_clear();
	from_csms("[2,\"f4\",\"ChangeAvailability\",{\"connectorId\":0,"
	    "\"type\":\"Inoperative\"}]");
	assert_string_equal(remote_start(1), "Rejected");
	assert_int_not_equal(R.act[R.nact - 1].kind, OCPP_ACT_AUTHORISE);
	from_csms("[2,\"f6\",\"ChangeAvailability\",{\"connectorId\":0,"
	    "\"type\":\"Operative\"}]");
	assert_string_equal(remote_start(1), "Accepted");
	assert_int_equal(R.act[R.nact - 1].kind, OCPP_ACT_AUTHORISE);
}

static void
test_availability_reset_unlock(void **state)
{
	struct ocpp_cp_in in = site(CS_CHARGING, CS_AVAILABLE);

	(void)state;
	booted();
	feed(&in);
	while (CP.busy)
		answer("{\"transactionId\":3,\"idTagInfo\":{\"status\":"
		    "\"Accepted\"}}");
	rig_clear();
	from_csms("[2,\"c\",\"ChangeAvailability\",{\"connectorId\":3,"
	    "\"type\":\"Inoperative\"}]");
	assert_string_equal(field(-1, "status"), "Rejected");
	from_csms("[2,\"c\",\"ChangeAvailability\",{\"connectorId\":2,"
	    "\"type\":\"Inoperative\"}]");
	assert_string_equal(field(-1, "status"), "Accepted");
	assert_int_equal(R.act[0].kind, OCPP_ACT_LOCK);
	assert_int_equal(R.act[0].connector, 2);
	from_csms("[2,\"c\",\"ChangeAvailability\",{\"connectorId\":1,"
	    "\"type\":\"Inoperative\"}]");
	assert_string_equal(field(-1, "status"), "Scheduled");
	assert_int_equal(R.nact, 1);
	from_csms("[2,\"u\",\"UnlockConnector\",{\"connectorId\":1}]");
	assert_string_equal(field(-1, "status"), "NotSupported");
	/* Reset: the transaction stopped with its reason, then reconnect */
	from_csms("[2,\"r\",\"Reset\",{\"type\":\"Hard\"}]");
	assert_string_equal(field(-1, "status"), "Accepted");
	assert_false(CP.up);		/* nothing more on this connection */
	assert_int_equal(R.act[R.nact - 3].kind, OCPP_ACT_STOP);
	assert_int_equal(R.act[R.nact - 2].kind, OCPP_ACT_TX_ENDED);
	assert_int_equal(R.act[R.nact - 1].kind, OCPP_ACT_RECONNECT);
	assert_int_equal(CP.ntxq, 1);
	assert_non_null(strstr(CP.txq[0].payload, "\"HardReset\""));
	/* the charger still shows the session a moment: no new one */
	feed(&in);
	assert_int_equal(CP.ntxq, 1);
	/* once it is over, the scheduled lock */
	in.c[0].state = CS_AVAILABLE;
	feed(&in);
	assert_int_equal(R.act[R.nact - 1].kind, OCPP_ACT_LOCK);
	assert_int_equal(R.act[R.nact - 1].connector, 1);
}

/* The answer to ChangeConfiguration key = value. */
static const char *
change_conf(const char *key, const char *value)
{
	char	 t[256];

	snprintf(t, sizeof(t), "[2,\"c\",\"ChangeConfiguration\",{\"key\":"
	    "\"%s\",\"value\":\"%s\"}]", key, value);
	from_csms(t);
	return field(-1, "status");
}

static void
test_configuration(void **state)
{
	static const char *const bad[][3] = {
		{ "Nope", "1", "NotSupported" },
		{ "NumberOfConnectors", "1", "Rejected" },
		{ "HeartbeatInterval", "ten", "Rejected" },
		{ "HeartbeatInterval", " 60", "Rejected" },
		{ "HeartbeatInterval", "+60", "Rejected" },
		{ "HeartbeatInterval", "60 ", "Rejected" },
		{ "MeterValuesSampledData", "Voltage", "Rejected" },
		{ "MeterValuesSampledData", "", "Rejected" },
		{ "MeterValuesAlignedData", "", "Rejected" },
		{ "LocalPreAuthorize", "yes", "Rejected" },
	};

	(void)state;
	booted();
	from_csms("[2,\"g\",\"GetConfiguration\",{\"key\":[\"HeartbeatInterval\","
	    "\"NoSuchKey\"]}]");
	assert_non_null(strstr(R.sent[R.nsent - 1], "\"unknownKey\":"
	    "[\"NoSuchKey\"]"));
	assert_non_null(strstr(R.sent[R.nsent - 1], "\"value\":\"300\""));
	from_csms("[2,\"g\",\"GetConfiguration\",{}]");
	assert_non_null(strstr(R.sent[R.nsent - 1],
	    "\"key\":\"NumberOfConnectors\",\"readonly\":true,\"value\":\"2\""));
	/* refused, nothing changed: strict integers, no empty measurand
	 * list among them */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_string_equal(change_conf(bad[i][0], bad[i][1]),
		    bad[i][2]);
	assert_int_equal(CP.keys.heartbeat_s, 300);
	assert_string_not_equal(CP.keys.sampled, "");
	assert_string_not_equal(CP.keys.aligned, "");
	assert_int_equal(R.nconf, 0);
	assert_string_equal(change_conf("HeartbeatInterval", "60"), "Accepted");
	assert_int_equal(CP.keys.heartbeat_s, 60);
	assert_string_equal(change_conf("MeterValuesSampledData",
	    "Current.Import,Energy.Active.Import.Register"), "Accepted");
	assert_int_equal(R.nconf, 2);
	assert_int_equal(ocppcore_load_key(&CP, "LocalPreAuthorize", "true"),
	    0);
	assert_true(CP.keys.local_pre_authorize);
	assert_int_equal(ocppcore_load_key(&CP, "NumberOfConnectors", "1"),
	    -1);
}

static void
test_local_list_and_offline(void **state)
{
	struct ocpp_cp_in in = site(CS_WAIT_AUTH, CS_WAIT_AUTH);

	(void)state;
	settle(&in);
	from_csms("[2,\"l\",\"SendLocalList\",{\"listVersion\":3,"
	    "\"updateType\":\"Full\",\"localAuthorizationList\":["
	    "{\"idTag\":\"GOOD\",\"idTagInfo\":{\"status\":\"Accepted\"}},"
	    "{\"idTag\":\"OLD\",\"idTagInfo\":{\"status\":\"Accepted\","
	    "\"expiryDate\":\"2020-01-01T00:00:00Z\"}},"
	    "{\"idTag\":\"BAD\",\"idTagInfo\":{\"status\":\"Blocked\"}}]}]");
	assert_string_equal(field(-1, "status"), "Accepted");
	assert_int_equal(R.list_version, 3);
	from_csms("[2,\"l\",\"SendLocalList\",{\"listVersion\":3,"
	    "\"updateType\":\"Differential\",\"localAuthorizationList\":[]}]");
	assert_string_equal(field(-1, "status"), "VersionMismatch");
	from_csms("[2,\"l\",\"SendLocalList\",{\"listVersion\":4,"
	    "\"updateType\":\"Differential\",\"localAuthorizationList\":["
	    "{\"idTag\":\"BAD\"},{\"idTag\":\"NEW\",\"idTagInfo\":"
	    "{\"status\":\"Accepted\"}}]}]");
	assert_string_equal(field(-1, "status"), "Accepted");
	assert_int_equal(CP.nlist, 3);
	from_csms("[2,\"v\",\"GetLocalListVersion\",{}]");
	assert_string_equal(field(-1, "listVersion"), "4");
	/* offline: the list decides (LocalAuthorizeOffline) */
	ocppcore_down(&CP, "gone", NOW);
	rig_clear();
	ocppcore_authorize(&CP, 1, "good", NOW, WALL);	/* any case */
	assert_int_equal(R.act[0].kind, OCPP_ACT_AUTHORISE);
	ocppcore_authorize(&CP, 1, "OLD", NOW, WALL);
	assert_int_equal(R.act[1].kind, OCPP_ACT_REFUSE);
	ocppcore_authorize(&CP, 1, "STRANGER", NOW, WALL);
	assert_int_equal(R.act[2].kind, OCPP_ACT_REFUSE);
	CP.keys.allow_offline_tx_for_unknown_id = true;
	ocppcore_authorize(&CP, 1, "STRANGER", NOW, WALL);
	assert_int_equal(R.act[3].kind, OCPP_ACT_AUTHORISE);
	ocppcore_authorize(&CP, 1, "OLD", NOW, WALL);	/* known: not */
	assert_int_equal(R.act[4].kind, OCPP_ACT_REFUSE);
	CP.keys.local_authorize_offline = false;
	ocppcore_authorize(&CP, 1, "GOOD", NOW, WALL);
	assert_int_equal(R.act[5].kind, OCPP_ACT_REFUSE);
	assert_int_equal(R.nsent, 0);
	/* online with LocalPreAuthorize: no Authorize for a listed tag */
	reboot();
	rig_clear();
	CP.keys.local_pre_authorize = true;
	ocppcore_authorize(&CP, 2, "NEW", NOW, WALL);
	assert_int_equal(R.act[0].kind, OCPP_ACT_AUTHORISE);
	assert_int_equal(R.nsent, 0);
	ocppcore_authorize(&CP, 2, "STRANGER", NOW, WALL);
	assert_string_equal(what(-1), "Authorize");
	/* the list comes back from the store */
	assert_int_equal(ocppcore_load_list(&CP, R.list_version, R.list), 0);
	assert_int_equal(CP.nlist, 3);
	assert_int_equal(ocppcore_load_list(&CP, 1, "{]"), -1);
}

static void
test_cache(void **state)
{
	struct ocpp_cp_in in = site(CS_WAIT_AUTH, CS_AVAILABLE);

	(void)state;
	booted();
	feed(&in);
	answer("{}");
	ocppcore_authorize(&CP, 1, "C1", NOW, WALL);
	answer("{\"idTagInfo\":{\"status\":\"Accepted\"}}");
	ocppcore_down(&CP, "gone", NOW);
	rig_clear();
	ocppcore_authorize(&CP, 1, "C1", NOW, WALL);
	assert_int_equal(R.act[0].kind, OCPP_ACT_AUTHORISE);
	reboot();
	from_csms("[2,\"c\",\"ClearCache\",{}]");
	assert_string_equal(field(-1, "status"), "Accepted");
	assert_int_equal(CP.ncache, 0);
	ocppcore_down(&CP, "gone", NOW);
	ocppcore_authorize(&CP, 1, "C1", NOW, WALL);
	assert_int_equal(R.act[R.nact - 1].kind, OCPP_ACT_REFUSE);
}

static void
test_trigger_and_data_transfer(void **state)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);

	(void)state;
	booted();
	feed(&in);
	from_csms("[2,\"t\",\"TriggerMessage\",{\"requestedMessage\":"
	    "\"DiagnosticsStatusNotification\"}]");
	assert_string_equal(field(-1, "status"), "NotImplemented");
	from_csms("[2,\"t\",\"TriggerMessage\",{\"requestedMessage\":"
	    "\"MeterValues\",\"connectorId\":5}]");
	assert_string_equal(field(-1, "status"), "Rejected");
	assert_int_equal(R.nsent, 2);
	from_csms("[2,\"t\",\"TriggerMessage\",{\"requestedMessage\":"
	    "\"MeterValues\",\"connectorId\":2}]");
	assert_string_equal(what(-2), "result");
	assert_string_equal(what(-1), "MeterValues");
	assert_string_equal(field(-1, "connectorId"), "2");
	assert_non_null(strstr(R.sent[R.nsent - 1], "\"Trigger\""));
	answer("{}");
	from_csms("[2,\"t\",\"TriggerMessage\",{\"requestedMessage\":"
	    "\"Heartbeat\"}]");
	assert_string_equal(what(-1), "Heartbeat");
	answer("{\"currentTime\":\"2026-01-01T00:00:00Z\"}");
	from_csms("[2,\"t\",\"TriggerMessage\",{\"requestedMessage\":"
	    "\"StatusNotification\",\"connectorId\":1}]");
	assert_string_equal(what(-1), "StatusNotification");
	assert_string_equal(field(-1, "connectorId"), "1");
	answer("{}");
	from_csms("[2,\"t\",\"TriggerMessage\",{\"requestedMessage\":"
	    "\"BootNotification\"}]");
	assert_string_equal(what(-1), "BootNotification");
	answer("{\"status\":\"Accepted\",\"currentTime\":"
	    "\"2026-01-01T00:00:00Z\",\"interval\":300}");
	while (CP.busy)
		answer("{}");
	from_csms("[2,\"d\",\"DataTransfer\",{\"vendorId\":\"acme\"}]");
	assert_string_equal(field(-1, "status"), "UnknownVendorId");
	from_csms("[2,\"s\",\"SetChargingProfile\",{\"connectorId\":1,"
	    "\"csChargingProfiles\":{}}]");
	assert_string_equal(field(-1, "status"), "NotSupported");
}

/* The id of the last text sent (a CALLERROR's or CALLRESULT's). */
static const char *
sent_id(void)
{
	static char b[64];
	json_t	*j = sent(-1);

	snprintf(b, sizeof(b), "%s", json_string_value(json_array_get(j, 1)));
	json_decref(j);
	return b;
}

/* A CALL that is valid JSON but has a \u0000 in a string: refused under
 * its own id, the field named, nothing done; its twins without the NUL
 * are carried out. An id with a NUL cannot be answered under itself. */
static void
test_nul_in_call(void **state)
{
	(void)state;
	booted();
	expect_error("[2,\"n1\",\"DataTransfer\",{\"vendorId\":"
	    "\"ac\\u0000me\"}]", "PropertyConstraintViolation");
	assert_string_equal(sent_id(), "n1");
	from_csms("[2,\"n2\",\"DataTransfer\",{\"vendorId\":\"acme\"}]");
	assert_string_equal(sent_id(), "n2");
	assert_string_equal(field(-1, "status"), "UnknownVendorId");
	expect_error("[2,\"n3\",\"ChangeAvailability\",{\"connectorId\":1,"
	    "\"type\":\"Inoperative\\u0000x\"}]",
	    "PropertyConstraintViolation");
	assert_string_equal(sent_id(), "n3");
	expect_error("[2,\"n4\",\"SendLocalList\",{\"listVersion\":2,"
	    "\"updateType\":\"Full\",\"localAuthorizationList\":[{"
	    "\"idTag\":\"A\\u0000\",\"idTagInfo\":{\"status\":"
	    "\"Accepted\"}}]}]", "PropertyConstraintViolation");
	assert_string_equal(sent_id(), "n4");
	assert_int_equal(CP.nlist, 0);
	expect_error("[2,\"n5\",\"Reset\\u0000x\",{\"type\":\"Soft\"}]",
	    "FormationViolation");
	assert_string_equal(sent_id(), "n5");
	assert_true(CP.up);
	expect_error("[2,\"n\\u0000\",\"ClearCache\",{}]",
	    "FormationViolation");
	assert_string_equal(sent_id(), "-1");
	from_csms("[2,\"n6\",\"ChangeAvailability\",{\"connectorId\":1,"
	    "\"type\":\"Inoperative\"}]");
	assert_string_equal(sent_id(), "n6");
	assert_string_equal(field(-1, "status"), "Accepted");
	assert_int_equal(R.act[R.nact - 1].kind, OCPP_ACT_LOCK);
}

static json_t *
r_profile(void *arg, const char *action, const json_t *req, int32_t txid,
    int64_t wall)
{
	(void)arg;
	(void)req;
	(void)wall;
	return json_pack("{s s s i}", "status", strcmp(action,
	    "SetChargingProfile") == 0 ? "Accepted" : "Rejected", "txid",
	    txid);
}

/* Smart charging goes to ocppprof with the connector's transaction. */
static void
test_profiles_handed_over(void **state)
{
	struct ocpp_cp_in in = site(CS_CHARGING, CS_AVAILABLE);

	(void)state;
	CP.ops.profile = r_profile;
	booted();
	feed(&in);
	while (CP.busy)
		answer("{\"transactionId\":12,\"idTagInfo\":{\"status\":"
		    "\"Accepted\"}}");
	from_csms("[2,\"p\",\"SetChargingProfile\",{\"connectorId\":1,"
	    "\"csChargingProfiles\":{}}]");
	assert_string_equal(field(-1, "status"), "Accepted");
	assert_string_equal(field(-1, "txid"), "12");
	from_csms("[2,\"p\",\"SetChargingProfile\",{\"connectorId\":2,"
	    "\"csChargingProfiles\":{}}]");
	assert_string_equal(field(-1, "txid"), "0");
	/* its schema is checked first: nothing handed over */
	expect_error("[2,\"p\",\"GetCompositeSchedule\",{\"connectorId\":1,"
	    "\"duration\":\"60\"}]", "TypeConstraintViolation");
	from_csms("[2,\"p\",\"GetCompositeSchedule\",{\"connectorId\":1,"
	    "\"duration\":60}]");
	assert_string_equal(field(-1, "status"), "Rejected");
}

/* Clock-aligned samples at the wall clock's multiples. */
static void
test_clock_aligned(void **state)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);

	(void)state;
	booted();
	CP.keys.clock_aligned_s = 900;
	WALL = WALL0 + 899000;
	feed(&in);
	assert_int_equal(R.nsent, 0);
	tick(1000);
	assert_string_equal(what(-1), "MeterValues");
	assert_non_null(strstr(R.sent[R.nsent - 1], "\"Sample.Clock\""));
	assert_non_null(strstr(R.sent[R.nsent - 1], "T00:15:00.000Z"));
}

/* The kinds of the actions taken since the last rig_clear(), for one
 * connector, as letters: A authorise, R refuse, S stop. */
static const char *
acts_of(int k)
{
	static char b[65];
	int	 n = 0;

	for (int i = 0; i < R.nact; i++) {
		if (R.act[i].connector != k)
			continue;
		if (R.act[i].kind == OCPP_ACT_AUTHORISE)
			b[n++] = 'A';
		else if (R.act[i].kind == OCPP_ACT_REFUSE)
			b[n++] = 'R';
		else if (R.act[i].kind == OCPP_ACT_STOP)
			b[n++] = 'S';
	}
	b[n] = '\0';
	return b;
}

/* An Authorize still queued behind another CALL when the link drops is
 * decided by the offline rules, not dropped: dropped, the connector
 * waited for good (the same tag again is no new swipe). */
static void
test_authorize_queued_link_lost(void **state)
{
	struct ocpp_cp_in in = site(CS_WAIT_AUTH, CS_WAIT_AUTH);

	(void)state;
	booted();
	feed(&in);			/* two StatusNotifications: busy */
	assert_true(CP.busy);
	ocppcore_authorize(&CP, 2, "UNKNOWN1", NOW, WALL);
	assert_int_equal(R.nact, 0);	/* queued, not yet sent */
	CP.keys.allow_offline_tx_for_unknown_id = true;
	ocppcore_down(&CP, "gone", NOW);
	assert_string_equal(acts_of(2), "A");
	assert_string_equal(R.act_tag[R.nact - 1], "UNKNOWN1");
	/* the twin: the offline rules refuse it, still decided */
	reboot();
	rig_clear();
	CP.told[1][0] = CP.told[2][0] = '\0';
	feed(&in);
	assert_true(CP.busy);
	ocppcore_authorize(&CP, 2, "UNKNOWN2", NOW, WALL);
	CP.keys.allow_offline_tx_for_unknown_id = false;
	ocppcore_down(&CP, "gone", NOW);
	assert_string_equal(acts_of(2), "R");
}

/* 1.6, 3.5.3: a tag of the local list is not cached; once the list
 * drops it, the CSMS's old answer does not let it in offline. */
static void
test_cache_not_for_listed_tags(void **state)
{
	struct ocpp_cp_in in = site(CS_WAIT_AUTH, CS_AVAILABLE);

	(void)state;
	settle(&in);
	from_csms("[2,\"l\",\"SendLocalList\",{\"listVersion\":1,"
	    "\"updateType\":\"Full\",\"localAuthorizationList\":["
	    "{\"idTag\":\"LISTED\",\"idTagInfo\":{\"status\":\"Accepted\"}}]}]");
	ocppcore_authorize(&CP, 1, "LISTED", NOW, WALL);
	answer("{\"idTagInfo\":{\"status\":\"Accepted\"}}");
	assert_int_equal(CP.ncache, 0);
	ocppcore_authorize(&CP, 1, "OTHER", NOW, WALL);	/* the twin */
	answer("{\"idTagInfo\":{\"status\":\"Accepted\"}}");
	assert_int_equal(CP.ncache, 1);
	from_csms("[2,\"l\",\"SendLocalList\",{\"listVersion\":2,"
	    "\"updateType\":\"Differential\",\"localAuthorizationList\":["
	    "{\"idTag\":\"LISTED\"}]}]");
	ocppcore_down(&CP, "gone", NOW);
	rig_clear();
	ocppcore_authorize(&CP, 1, "LISTED", NOW, WALL);
	ocppcore_authorize(&CP, 1, "OTHER", NOW, WALL);
	assert_string_equal(acts_of(1), "RA");
}

/* GetLocalListVersion says 0 for an empty list (1.6, 5.9), and a
 * Differential is newer than that; a Full update with a tag without its
 * idTagInfo fails and changes nothing. */
static void
test_local_list_version_and_full(void **state)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);

	(void)state;
	settle(&in);
	from_csms("[2,\"l\",\"SendLocalList\",{\"listVersion\":5,"
	    "\"updateType\":\"Full\",\"localAuthorizationList\":["
	    "{\"idTag\":\"A1\",\"idTagInfo\":{\"status\":\"Accepted\"}},"
	    "{\"idTag\":\"A2\"}]}]");
	assert_string_equal(field(-1, "status"), "Failed");
	assert_int_equal(CP.nlist, 0);
	assert_int_equal(R.nlist, 0);
	from_csms("[2,\"l\",\"SendLocalList\",{\"listVersion\":5,"
	    "\"updateType\":\"Full\",\"localAuthorizationList\":["
	    "{\"idTag\":\"A1\",\"idTagInfo\":{\"status\":\"Accepted\"}}]}]");
	assert_string_equal(field(-1, "status"), "Accepted");
	from_csms("[2,\"v\",\"GetLocalListVersion\",{}]");
	assert_string_equal(field(-1, "listVersion"), "5");
	from_csms("[2,\"l\",\"SendLocalList\",{\"listVersion\":6,"
	    "\"updateType\":\"Full\",\"localAuthorizationList\":[]}]");
	assert_string_equal(field(-1, "status"), "Accepted");
	from_csms("[2,\"v\",\"GetLocalListVersion\",{}]");
	assert_string_equal(field(-1, "listVersion"), "0");
	from_csms("[2,\"l\",\"SendLocalList\",{\"listVersion\":1,"
	    "\"updateType\":\"Differential\",\"localAuthorizationList\":["
	    "{\"idTag\":\"B1\",\"idTagInfo\":{\"status\":\"Accepted\"}}]}]");
	assert_string_equal(field(-1, "status"), "Accepted");
	assert_int_equal(CP.nlist, 1);
}

/* SendLocalList of n tags (T<first>..) as version v, type Full or
 * Differential: its answer's status. */
static const char *
send_list(int first, int n, int v, const char *type)
{
	static char st[32];
	size_t	 cap = 128 + (size_t)n * 64, len;
	char	*t = malloc(cap);

	assert_non_null(t);
	len = (size_t)snprintf(t, cap, "[2,\"l\",\"SendLocalList\","
	    "{\"listVersion\":%d,\"updateType\":\"%s\","
	    "\"localAuthorizationList\":[", v, type);
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(t + len, cap - len, "%s{\"idTag\":"
		    "\"T%d\",\"idTagInfo\":{\"status\":\"Accepted\"}}",
		    i ? "," : "", first + i);
	snprintf(t + len, cap - len, "]}]");
	from_csms(t);
	free(t);
	snprintf(st, sizeof(st), "%s", field(-1, "status"));
	return st;
}

/* SendLocalListMaxLength (100 a message) and LocalAuthListMaxLength
 * (1000 in all): one more fails and changes nothing. */
static void
test_local_list_limits(void **state)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);

	(void)state;
	settle(&in);
	assert_string_equal(send_list(0, 101, 1, "Full"), "Failed");
	assert_int_equal(CP.nlist, 0);
	assert_string_equal(send_list(0, 100, 1, "Full"), "Accepted");
	for (int v = 2; v <= 10; v++)
		assert_string_equal(send_list((v - 1) * 100, 100, v,
		    "Differential"), "Accepted");
	assert_int_equal(CP.nlist, 1000);
	assert_string_equal(send_list(1000, 1, 11, "Differential"), "Failed");
	assert_int_equal(CP.nlist, 1000);
	assert_int_equal(CP.list_version, 10);
	/* the twin: a tag already listed is updated, not added */
	assert_string_equal(send_list(999, 1, 11, "Differential"),
	    "Accepted");
	assert_int_equal(CP.nlist, 1000);
}

/* A cached tag's expiryDate outlives a restart: expired, it is refused
 * offline (3.5.4); before it, accepted. */
static void
test_cache_expiry_kept(void **state)
{
	struct ocpp_cp_in in = site(CS_WAIT_AUTH, CS_AVAILABLE);
	char	 key[24], value[48];

	(void)state;
	settle(&in);
	ocppcore_authorize(&CP, 1, "TEMP", NOW, WALL);
	/* WALL0 + 1 h, with its offset */
	answer("{\"idTagInfo\":{\"status\":\"Accepted\",\"expiryDate\":"
	    "\"2026-01-01T06:00:00+05:00\"}}");
	snprintf(key, sizeof(key), "%s", R.cache_key);
	snprintf(value, sizeof(value), "%s", R.cache_value);
	assert_string_equal(key, "TEMP");
	/* the master restarts: the cache comes back from the store */
	ocppcore_free(&CP);
	ocppcore_init(&CP, &conf, &(struct ocpp_ops){ &R, r_send, r_store,
	    r_act, false, NULL }, 8);
	assert_int_equal(ocppcore_load_cache(&CP, key, value), 0);
	assert_int_equal(ocppcore_load_cache(&CP, "OLDROW", "Accepted"), 0);
	assert_int_equal(ocppcore_load_cache(&CP, "BADROW", "Accepted;x"),
	    -1);
	rig_clear();
	ocppcore_authorize(&CP, 1, "TEMP", NOW, WALL + 1800000);
	ocppcore_authorize(&CP, 1, "TEMP", NOW, WALL + 3600000);
	ocppcore_authorize(&CP, 1, "OLDROW", NOW, WALL + 3600000);
	assert_string_equal(acts_of(1), "ARA");
}

/* An expiryDate the master cannot read is taken as passed: the tag is
 * let in while the CSMS says Accepted, never later from the cache (it
 * was kept as never expiring: a tag of 2020 charged offline). */
static void
test_cache_expiry_unreadable(void **state)
{
	static const char *const odd[] = { "2020-01-01T00:00:00+0000",
	    "2020-01-01T00:00:00+00", "2020-01-01 00:00:00Z", "soon" };
	struct ocpp_cp_in in = site(CS_WAIT_AUTH, CS_AVAILABLE);
	char	 value[48];

	(void)state;
	settle(&in);
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		char	 a[160];

		rig_clear();
		ocppcore_authorize(&CP, 1, "ODD", NOW, WALL);
		snprintf(a, sizeof(a), "{\"idTagInfo\":{\"status\":"
		    "\"Accepted\",\"expiryDate\":\"%s\"}}", odd[i]);
		answer(a);
		assert_string_equal(acts_of(1), "A");	/* the CSMS's word */
		assert_string_equal(R.cache_value, "Accepted;1");
	}
	snprintf(value, sizeof(value), "%s", R.cache_value);
	ocppcore_free(&CP);
	ocppcore_init(&CP, &conf, &(struct ocpp_ops){ &R, r_send, r_store,
	    r_act, false, NULL }, 8);
	assert_int_equal(ocppcore_load_cache(&CP, "ODD", value), 0);
	/* the twin: no expiryDate at all is no expiry */
	assert_int_equal(ocppcore_load_cache(&CP, "NOEXP", "Accepted"), 0);
	rig_clear();
	ocppcore_authorize(&CP, 1, "ODD", NOW, WALL);
	ocppcore_authorize(&CP, 1, "NOEXP", NOW, WALL);
	assert_string_equal(acts_of(1), "RA");
}

/* Start a session on connector 1 whose tag the charger shows (tag) and
 * the core decided (decided: through ocppcore_authorize, offline), then
 * bring the link up: the StartTransaction is the CALL outstanding. */
static void
offline_session(struct ocpp_cp_in *in, const char *tag, bool decided)
{
	in->c[0].state = CS_WAIT_AUTH;
	in->c[0].cp_state = 1;
	snprintf(in->c[0].tag, sizeof(in->c[0].tag), "%s", tag);
	feed(in);
	if (decided)
		ocppcore_authorize(&CP, 1, tag, NOW, WALL);
	in->c[0].state = CS_CHARGING;
	in->c[0].cp_state = 2;
	feed(in);
	assert_int_equal(CP.ntxq, 1);
	ocppcore_up(&CP, NOW);
	answer("{\"status\":\"Accepted\",\"interval\":300}");
	while (CP.busy && strcmp(what(-1), "StartTransaction") != 0)
		answer("{}");
	assert_string_equal(what(-1), "StartTransaction");
	assert_string_equal(field(-1, "idTag"), tag);
}

/* From a fresh start with c: the link down, unknown tags allowed
 * offline, a session on connector 1 with tag (decided by the core or,
 * not, by the site), then the link up and its StartTransaction answered
 * with status: the actions taken then on connector 1 (acts_of). */
static const char *
start_answered(const struct ocpp_conf *c, const char *tag, bool decided,
    const char *status)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);
	char	 t[128];

	teardown(NULL);
	setup(NULL);
	ocppcore_free(&CP);
	ocppcore_init(&CP, c, &(struct ocpp_ops){ &R, r_send, r_store,
	    r_act, false, NULL }, 11);
	booted();
	ocppcore_down(&CP, "gone", NOW);
	CP.keys.allow_offline_tx_for_unknown_id = true;
	offline_session(&in, tag, decided);
	rig_clear();
	snprintf(t, sizeof(t), "{\"transactionId\":7,\"idTagInfo\":"
	    "{\"status\":\"%s\"}}", status);
	answer(t);
	return acts_of(1);
}

/* AllowOfflineTxForUnknownId: an unknown tag starts offline; the CSMS
 * refusing it in the StartTransaction's answer stops the transaction
 * (StopTransactionOnInvalidId, read-only true), Accepted lets it go on. */
static void
test_offline_unknown_then_refused(void **state)
{
	(void)state;
	assert_string_equal(start_answered(&conf, "STRANGER", true,
	    "Blocked"), "S");
	assert_string_equal(start_answered(&conf, "STRANGER", true,
	    "Accepted"), "");
	/* StopTransactionOnInvalidId cannot be set false */
	from_csms("[2,\"c\",\"ChangeConfiguration\",{\"key\":"
	    "\"StopTransactionOnInvalidId\",\"value\":\"false\"}]");
	assert_string_equal(field(-1, "status"), "Rejected");
	from_csms("[2,\"g\",\"GetConfiguration\",{\"key\":["
	    "\"StopTransactionOnInvalidId\"]}]");
	assert_non_null(strstr(R.sent[R.nsent - 1], "\"readonly\":true,"
	    "\"value\":\"true\""));
}

/* rfid+csms: a tag the site's whitelist took (no Authorize) is not
 * stopped by the CSMS's Invalid; one the core authorised is. */
static void
test_whitelist_tag_not_deauthorised(void **state)
{
	struct ocpp_conf wl = conf;

	(void)state;
	wl.site_whitelist = true;
	assert_string_equal(start_answered(&wl, "STAFF1", false, "Invalid"),
	    "");
	assert_string_equal(start_answered(&wl, "STRANGER", true, "Invalid"),
	    "S");
}

/* Connector 1 of in: state with the car (cp: its pilot), session no. */
static void
conn1(struct ocpp_cp_in *in, uint16_t state, uint16_t cp, uint16_t no)
{
	in->c[0].state = state;
	in->c[0].cp_state = cp;
	in->c[0].session_no = no;
	feed(in);
}

/* Answer until the CALL outstanding is action's. */
static void
answer_until(const char *action)
{
	while (CP.busy && strcmp(what(-1), action) != 0)
		answer("{}");
	assert_string_equal(what(-1), action);
}

/* The session numbered no charges now: the idTag of its StartTransaction
 * (answered Accepted). */
static const char *
start_tag(struct ocpp_cp_in *in, uint16_t no)
{
	static char tag[24];

	conn1(in, CS_CHARGING, 2, no);
	answer_until("StartTransaction");
	snprintf(tag, sizeof(tag), "%s", field(-1, "idTag"));
	answer("{\"transactionId\":1,\"idTagInfo\":{\"status\":"
	    "\"Accepted\"}}");
	return tag;
}

/* A tag presented at connector 1 (session no, the car waiting) that the
 * CSMS accepts. */
static void
accepted_tag(struct ocpp_cp_in *in, const char *tag, uint16_t no)
{
	conn1(in, CS_WAIT_AUTH, 1, no);
	ocppcore_authorize(&CP, 1, tag, NOW, WALL);
	answer_until("Authorize");
	answer("{\"idTagInfo\":{\"status\":\"Accepted\"}}");
}

/* A tag the CSMS accepted for a car that then left is not the idTag of
 * the connector's next session (an operator's authorise: FREE). */
static void
test_auth_tag_not_kept(void **state)
{
	struct ocpp_cp_in in = site(CS_WAIT_AUTH, CS_AVAILABLE);

	(void)state;
	settle(&in);
	R.refuse_acts = 1;		/* the car left: not authorised */
	accepted_tag(&in, "DRIVER1", 1);
	R.refuse_acts = 0;
	assert_string_equal(start_tag(&in, 1), "FREE");	/* an operator */
	/* accepted, then the car unplugged before it charged */
	accepted_tag(&in, "DRIVER2", 2);
	conn1(&in, CS_AVAILABLE, 0, 2);
	assert_string_equal(start_tag(&in, 3), "FREE");
	/* the twin: the car stays and charges: the tag is its idTag */
	accepted_tag(&in, "DRIVER3", 4);
	assert_string_equal(start_tag(&in, 4), "DRIVER3");
}

/* The master restarts: a new core with c, the rig's transactions and
 * what it did cleared. */
static void
restart_with(const struct ocpp_conf *c, uint64_t seed)
{
	ocppcore_free(&CP);
	ocppcore_init(&CP, c, &(struct ocpp_ops){ &R, r_send, r_store,
	    r_act, false, NULL }, seed);
	for (int i = 0; i < R.ntx; i++)
		assert_int_equal(ocppcore_load_tx(&CP, &R.tx[i]), 0);
	rig_clear();
}

/* The transaction open on connector 1 started at wall. */
static void
started_at(int64_t wall)
{
	const struct ocpp_tx *t = ocppcore_tx_of(&CP, 1);

	assert_non_null(t);
	assert_true(t->start_wall_ms == wall);
}

/* Smart charging reads the transaction's start (Relative profiles count
 * from it: ocppprof) when it starts, before the CSMS numbered it, and
 * after a restart of the master while it goes on; the CSMS's number
 * comes with it. */
static void
test_tx_start_known(void **state)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);
	int64_t	 start = WALL;

	(void)state;
	booted();
	assert_null(ocppcore_tx_of(&CP, 1));
	conn1(&in, CS_CHARGING, 2, 1);
	started_at(start);
	tick(5000);
	answer_until("StartTransaction");
	rig_clear();
	answer("{\"transactionId\":5,\"idTagInfo\":{\"status\":"
	    "\"Accepted\"}}");
	assert_int_equal(R.act[0].kind, OCPP_ACT_TX_STARTED);
	assert_true(R.act[0].wall_ms == start);
	/* the master restarts an hour later; the session goes on */
	restart_with(&conf, 8);
	WALL += 3600000;
	feed(&in);
	started_at(start);
	assert_int_equal(ocppcore_tx_of(&CP, 1)->txid, 5);
	/* the twin: one that ended meanwhile is stopped: none open */
	restart_with(&conf, 9);
	conn1(&in, CS_AVAILABLE, 0, 2);
	assert_null(ocppcore_tx_of(&CP, 1));
}

/* Whether local is in the core's table: 0 when it is, else -1 (what
 * ocppcore_load_msg() answers for one of its messages). */
static int
ocpp_tx_of_local(int64_t local)
{
	for (int i = 0; i < CP.ntx; i++)
		if (CP.tx[i].local == local)
			return 0;
	return -1;
}

static const struct ocpp_tx *
ocpp_tx_of_local_in(int64_t local)
{
	for (int i = 0; i < CP.ntx; i++)
		if (CP.tx[i].local == local)
			return &CP.tx[i];
	return NULL;
}

/* The master starts again from what the rig's store holds (transactions
 * in their order, then messages): how many transactions were taken. */
static int
load_store(void)
{
	int	 n = 0;

	ocppcore_free(&CP);
	ocppcore_init(&CP, &conf, &(struct ocpp_ops){ &R, r_send, r_store,
	    r_act, false, NULL }, 9);
	for (int64_t local = 1; local < 64; local++)
		for (int i = 0; i < R.ntx; i++)
			if (R.tx[i].local == local)
				n += ocppcore_load_tx(&CP, &R.tx[i]) == 0;
	for (uint64_t seq = 1; seq < 128; seq++)
		for (int i = 0; i < 64; i++)
			if (R.msg[i].used && R.msg[i].seq == seq)
				assert_int_equal(ocppcore_load_msg(&CP, seq,
				    R.msg[i].local, R.msg[i].action,
				    R.msg[i].payload),
				    ocpp_tx_of_local(R.msg[i].local));
	rig_clear();
	return n;
}

/* The rig's store holds n closed transactions (locals 1..n, meterStart
 * its local) unknown to the CSMS, each a Start and a Stop. */
static void
parked_in_store(int n)
{
	for (int i = 1; i <= n; i++) {
		char	 p[128];

		R.tx[R.ntx++] = (struct ocpp_tx){ .local = i, .connector = 1,
		    .meter_start = (uint32_t)i, .start_wall_ms = WALL };
		snprintf(R.tx[R.ntx - 1].tag, sizeof(R.tx[0].tag), "FREE");
		snprintf(p, sizeof(p), "{\"connectorId\":1,\"idTag\":\"FREE\","
		    "\"meterStart\":%d,\"timestamp\":\"2026-01-01T00:00:00Z\"}",
		    i);
		r_store(&R, &(struct ocpp_rec){ .kind = OCPP_REC_MSG_PUT,
		    .seq = (uint64_t)(2 * i - 1), .local_tx = i,
		    .action = OCPP_A_START, .payload = p });
		snprintf(p, sizeof(p), "{\"idTag\":\"FREE\",\"meterStop\":%d,"
		    "\"timestamp\":\"2026-01-01T00:00:00Z\",\"reason\":"
		    "\"EVDisconnected\"}", i + 10);
		r_store(&R, &(struct ocpp_rec){ .kind = OCPP_REC_MSG_PUT,
		    .seq = (uint64_t)(2 * i), .local_tx = i,
		    .action = OCPP_A_STOP, .payload = p });
	}
}

/* Up, and every CALL answered (a StartTransaction with the transactionId
 * 100 + its meterStart): the StartTransactions sent, whose meterStarts go
 * in order into starts[]; each Stop checked to carry its transactionId. */
static int
deliver(int *starts, int max)
{
	int	 n = 0;
	char	 a[128];

	ocppcore_up(&CP, NOW);
	answer("{\"status\":\"Accepted\",\"currentTime\":"
	    "\"2026-01-01T00:00:00Z\",\"interval\":300}");
	while (CP.busy) {
		if (strcmp(what(-1), "StartTransaction") == 0) {
			int	 m = atoi(field(-1, "meterStart"));

			assert_true(n < max);
			starts[n++] = m;
			snprintf(a, sizeof(a), "{\"transactionId\":%d,"
			    "\"idTagInfo\":{\"status\":\"Accepted\"}}", 100 + m);
			answer(a);
			continue;
		}
		if (strcmp(what(-1), "StopTransaction") == 0)
			assert_int_not_equal(atoi(field(-1, "transactionId")),
			    0);
		answer("{}");
	}
	return n;
}

/* More closed transactions in the store than the table takes: the oldest
 * OCPP_TX_MAX - OCPP_MAX_CONN are loaded and delivered, the others stay
 * in the store, their messages neither sent nor deleted, delivered at
 * the next start (the twin); local ids and seqs are never reused. */
static void
test_parked_beyond_table(void **state)
{
	int	 starts[32], n;
	bool	 in_store[21] = { false };

	(void)state;
	parked_in_store(20);
	assert_int_equal(load_store(), OCPP_TX_MAX - OCPP_MAX_CONN);
	assert_int_equal(CP.ntx, 14);
	assert_int_equal((int)CP.ntxq, 28);
	assert_true(CP.next_local == 21);
	assert_true(CP.next_seq == 41);
	n = deliver(starts, 32);
	assert_int_equal(n, 14);
	for (int i = 0; i < n; i++)
		assert_int_equal(starts[i], i + 1);	/* in order */
	/* the six left: all their messages and rows kept */
	assert_int_equal(stored_msgs(), 12);
	for (int i = 0; i < 64; i++)
		if (R.msg[i].used)
			in_store[R.msg[i].local] = true;
	for (int i = 15; i <= 20; i++)
		assert_true(in_store[i]);
	assert_int_equal(R.ntx, 6);
	/* the twin: the next start takes them all, in order */
	assert_int_equal(load_store(), 6);
	assert_int_equal((int)CP.ntxq, 12);
	n = deliver(starts, 32);
	assert_int_equal(n, 6);
	for (int i = 0; i < n; i++)
		assert_int_equal(starts[i], 15 + i);
	assert_int_equal(stored_msgs(), 0);
	assert_int_equal(R.ntx, 0);
}

/* A session starting while the table is full of closed transactions
 * still gets its transaction: the newest closed one waits in the store
 * instead, its messages kept, delivered at the next start. The twin: a
 * session while a slot is free takes it, nothing set aside. */
static void
test_session_when_table_full(void **state)
{
	struct ocpp_cp_in in = site(CS_AVAILABLE, CS_AVAILABLE);
	const struct ocpp_tx *t;
	int	 starts[32], n, kept = 0;

	(void)state;
	parked_in_store(14);
	assert_int_equal(load_store(), 14);
	feed(&in);
	conn1(&in, CS_CHARGING, 2, 2);		/* local 15: a free slot */
	t = ocppcore_tx_of(&CP, 1);
	assert_non_null(t);
	assert_true(t->local == 15);
	assert_int_equal(stored_msgs(), 29);	/* nothing set aside */
	conn1(&in, CS_AVAILABLE, 0, 2);		/* closed */
	in.c[1].state = CS_CHARGING;
	in.c[1].cp_state = 2;
	feed(&in);				/* 16: the table full */
	assert_int_equal(CP.ntx, OCPP_TX_MAX);
	in.c[0].total_wh = 1500;
	conn1(&in, CS_CHARGING, 2, 3);		/* 17: still recorded */
	t = ocppcore_tx_of(&CP, 1);
	assert_non_null(t);
	assert_true(t->local == 17);
	assert_int_equal(CP.ntx, OCPP_TX_MAX);
	assert_null(ocpp_tx_of_local_in(15));
	/* 15's start and stop stay in the store, with its row */
	for (int i = 0; i < 64; i++)
		kept += R.msg[i].used && R.msg[i].local == 15;
	assert_int_equal(kept, 2);
	for (int i = 0; i < R.ntx; i++)
		kept += R.tx[i].local == 15;
	assert_int_equal(kept, 3);
	/* delivered: 1..14, then 16 and 17 (starts 5000, 1500); 15 kept */
	n = deliver(starts, 32);
	assert_int_equal(n, 16);
	assert_int_equal(starts[14], 5000);
	assert_int_equal(starts[15], 1500);
	assert_int_equal(stored_msgs(), 2);
	/* the next start delivers it */
	conn1(&in, CS_AVAILABLE, 0, 3);
	in.c[1].state = CS_AVAILABLE;
	in.c[1].cp_state = 0;
	feed(&in);
	while (CP.busy)
		answer("{}");
	assert_int_equal(stored_msgs(), 2);	/* 15's alone */
	assert_int_equal(R.ntx, 1);
	assert_int_equal(load_store(), 1);
	n = deliver(starts, 32);
	assert_int_equal(n, 1);
	assert_int_equal(starts[0], 1000);
	assert_int_equal(stored_msgs(), 0);
	assert_int_equal(R.ntx, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_boot_first_and_pending_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_boot_rejected_sends_nothing_else, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_mapping, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_status_on_change_only,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_call_at_a_time, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_queue_survives_restart,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_offline_charger, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sent_once_on_disk, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_power_loss, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_call_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_call_timeout_link_dead,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_late_answer,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_timeout_reconnect,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_callerror_retries, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_heartbeat_while_head_waits,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_callerrors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_remote_start_stop, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_remote_start_not_in_service,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_nul_in_call, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_availability_reset_unlock,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_configuration, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_local_list_and_offline,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_authorize_queued_link_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_cache_not_for_listed_tags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_expiry_kept, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cache_expiry_unreadable,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_local_list_version_and_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_list_limits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_offline_unknown_then_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_whitelist_tag_not_deauthorised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_tag_not_kept, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tx_start_known, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_trigger_and_data_transfer,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_profiles_handed_over,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_parked_beyond_table,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_when_table_full,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_aligned, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
