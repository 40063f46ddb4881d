/*
 * ocppcore.c: one OCPP 1.6J charge point as a pure state machine
 * (ocppcore.h): the framing of OCPP-J, the checks of what the CSMS sends,
 * the boot, heartbeats, status, transactions and their queue, and the
 * CSMS's operations. The local list, the cache and the configuration keys
 * and the CSMS's operations are in ocppops.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "charger.h"
#include "ocppcore.h"
#include "ocppint.h"

static const char *const action_names[] = {
	[OCPP_A_NONE] = "", [OCPP_A_BOOT] = "BootNotification",
	[OCPP_A_HEARTBEAT] = "Heartbeat", [OCPP_A_STATUS] = "StatusNotification",
	[OCPP_A_AUTHORIZE] = "Authorize", [OCPP_A_START] = "StartTransaction",
	[OCPP_A_STOP] = "StopTransaction", [OCPP_A_METER] = "MeterValues",
};

const char *
ocppcore_action_name(int action)
{
	if (action <= OCPP_A_NONE || action > OCPP_A_METER)
		return "";
	return action_names[action];
}

int
ocppcore_action_of(const char *name)
{
	for (int a = OCPP_A_BOOT; a <= OCPP_A_METER; a++)
		if (strcmp(action_names[a], name) == 0)
			return a;
	return OCPP_A_NONE;
}

/* ------------------------------------------------------------------ */
/* Status and error mapping (docs/ocpp.md, "Status and error mapping") */

/* The fault bits of docs/protocol.md, lowest first: the first set one
 * names the error. OCPP 1.6 has no code for some: OtherError with a
 * vendorErrorCode, or the nearest code with the vendorErrorCode saying
 * exactly which fault it is. */
static const struct {
	const char	*error, *vendor;
} fault_map[] = {
	{ "GroundFailure", "RCMAC" },		/* 0 RCM AC */
	{ "GroundFailure", "RCMDC" },		/* 1 RCM DC */
	{ "OtherError", "DiodeFault" },		/* 2 diode */
	{ "EVCommunicationError", "PilotFault" },	/* 3 pilot */
	{ "OverVoltage", "" },			/* 4 */
	{ "UnderVoltage", "" },			/* 5 */
	{ "OtherError", "PENFault" },		/* 6 PEN */
	{ "HighTemperature", "" },		/* 7 */
	{ "PowerSwitchFailure", "ContactorWelded" },	/* 8 */
	{ "PowerSwitchFailure", "ContactorNotClosed" },	/* 9 */
	{ "OverCurrentFailure", "" },		/* 10 */
	{ "PowerMeterFailure", "MeterTimeout" },	/* 11 */
	{ "GroundFailure", "RCMSelfTest" },	/* 12 */
};

void
ocppcore_status_of(bool online, const struct ocpp_conn_in *c,
    const char **status, const char **error, const char **vendor)
{
	bool	 plugged = c->cp_state >= 1 && c->cp_state <= 3;

	*error = "NoError";
	*vendor = "";
	if (!online) {
		*status = "Unavailable";
		*error = "OtherError";
		*vendor = "ChargerOffline";
		return;
	}
	switch (c->state) {
	case CS_AVAILABLE:
		/* a car still plugged after its session: Finishing */
		*status = plugged ? "Finishing" : "Available";
		break;
	case CS_WAIT_AUTH:
	case CS_AUTH_WAIT_CAR:
		*status = "Preparing";
		break;
	case CS_CHARGING:
		*status = "Charging";
		break;
	case CS_NO_CURRENT:
		*status = "SuspendedEVSE";
		break;
	case CS_SUSPENDED_EV:
		*status = "SuspendedEV";
		break;
	case CS_FAULT:
		*status = "Faulted";
		*error = "InternalError";
		break;
	case CS_LOCKED:
		*status = "Unavailable";
		break;
	default:
		*status = "Faulted";
		*error = "OtherError";
		*vendor = "UnknownState";
		return;
	}
	for (size_t b = 0; b < sizeof(fault_map) / sizeof(fault_map[0]); b++)
		if (c->faults & 1u << b) {
			*error = fault_map[b].error;
			*vendor = fault_map[b].vendor;
			return;
		}
	if (c->faults != 0) {
		*error = "OtherError";
		*vendor = "UnknownFault";
	}
}

/* ------------------------------------------------------------------ */
/* Framing (OCPP-J 1.6 section 4) */

static void
send_text(struct ocpp_cp *cp, json_t *frame)
{
	char	*t = json_dumps(frame, JSON_COMPACT);

	if (t != NULL) {
		(void)cp->ops.send(cp->ops.arg, t, strlen(t));
		free(t);
	}
	json_decref(frame);
}

void
ocpp_send_result(struct ocpp_cp *cp, const char *id, json_t *payload)
{
	send_text(cp, json_pack("[i s o]", 3, id, payload));
}

void
ocpp_send_error(struct ocpp_cp *cp, const char *id, const char *code,
    const char *desc)
{
	send_text(cp, json_pack("[i s s s {}]", 4, id, code, desc));
}

/* Send a CALL: the id is unique for this process's life (id_seed, the
 * wall time at start, tells one life from the next). */
static int
send_call(struct ocpp_cp *cp, int action, const char *payload, int32_t txid,
    uint64_t now)
{
	json_t	*p, *frame;
	char	*t;
	int	 rc;

	p = json_loads(payload, 0, NULL);
	if (p == NULL)
		return -1;
	if (txid != 0)
		json_object_set_new(p, "transactionId", json_integer(txid));
	snprintf(cp->call_id, sizeof(cp->call_id), "%" PRIx64 "-%" PRIu64,
	    cp->id_seed, ++cp->id_next);
	frame = json_pack("[i s s o]", 2, cp->call_id,
	    ocppcore_action_name(action), p);
	if (frame == NULL)
		return -1;
	t = json_dumps(frame, JSON_COMPACT);
	json_decref(frame);
	if (t == NULL)
		return -1;
	rc = cp->ops.send(cp->ops.arg, t, strlen(t));
	free(t);
	if (rc != 0)
		return -1;
	cp->busy = true;
	/* a transaction message's sender sets it after this; any other
	 * CALL's answer (a Heartbeat while the head waits out its retry
	 * interval) must never be taken for the head's */
	cp->call_durable = false;
	cp->call_action = action;
	cp->call_deadline_ms = now + (uint64_t)cp->conf.call_timeout_s * 1000;
	cp->last_call_ms = now;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Queues */

static void
msg_free(struct ocpp_msg *m)
{
	free(m->payload);
	m->payload = NULL;
}

/* A message that needs no store: lost with the link, and then told
 * again (the boot is followed by every connector's status). */
int
ocpp_mq_push(struct ocpp_cp *cp, int action, json_t *payload, int conn,
    const char *tag)
{
	struct ocpp_msg *m;
	char	*t = json_dumps(payload, JSON_COMPACT);

	json_decref(payload);
	if (t == NULL || cp->nmq == OCPP_MQ_MAX) {
		free(t);
		return -1;
	}
	m = &cp->mq[cp->nmq++];
	*m = (struct ocpp_msg){ .action = action, .payload = t,
	    .local_tx = conn };
	snprintf(m->tag, sizeof(m->tag), "%s", tag ? tag : "");
	return 0;
}

static void
mq_pop(struct ocpp_cp *cp)
{
	msg_free(&cp->mq[0]);
	memmove(cp->mq, cp->mq + 1, (size_t)(cp->nmq - 1) * sizeof(cp->mq[0]));
	cp->nmq--;
}

static int
txq_append(struct ocpp_cp *cp, uint64_t seq, int64_t local, int action,
    char *payload)
{
	if (cp->ntxq == cp->captxq) {
		size_t	 n = cp->captxq ? cp->captxq * 2 : 16;
		struct ocpp_msg *q = realloc(cp->txq, n * sizeof(*q));

		if (q == NULL)
			return -1;
		cp->txq = q;
		cp->captxq = n;
	}
	cp->txq[cp->ntxq++] = (struct ocpp_msg){ .action = action, .seq = seq,
	    .local_tx = local, .payload = payload };
	if (seq >= cp->next_seq)
		cp->next_seq = seq + 1;
	return 0;
}

/* A transaction message: to the store first, then the queue. */
static void
txq_push(struct ocpp_cp *cp, int action, int64_t local, json_t *payload)
{
	char	*t = json_dumps(payload, JSON_COMPACT);
	uint64_t seq = cp->next_seq;

	json_decref(payload);
	if (t == NULL)
		return;
	cp->ops.store(cp->ops.arg, &(struct ocpp_rec){ .kind =
	    OCPP_REC_MSG_PUT, .seq = seq, .local_tx = local,
	    .action = action, .payload = t });
	if (txq_append(cp, seq, local, action, t) != 0)
		free(t);
}

/* The head of txq changed, or the link did: no answer to its earlier
 * sends can come any more. */
static void
head_forget(struct ocpp_cp *cp)
{
	cp->nhead_ids = 0;
	cp->head_waiting = false;
	cp->head_reconnect = false;
}

/* The head leaves the queue: deleted from the store too, or (park) left
 * there, to be loaded and sent again at the next start. */
static void
txq_drop(struct ocpp_cp *cp, bool park)
{
	if (!park)
		cp->ops.store(cp->ops.arg, &(struct ocpp_rec){ .kind =
		    OCPP_REC_MSG_DEL, .seq = cp->txq[0].seq });
	msg_free(&cp->txq[0]);
	memmove(cp->txq, cp->txq + 1, (cp->ntxq - 1) * sizeof(cp->txq[0]));
	cp->ntxq--;
	head_forget(cp);
}

int
ocppcore_load_msg(struct ocpp_cp *cp, uint64_t seq, int64_t local_tx,
    int action, const char *payload)
{
	char	*t;

	if (seq >= cp->next_seq)
		cp->next_seq = seq + 1;	/* never reused, even when left */
	if (ocpp_tx_find(cp, local_tx) == NULL)
		return -1;	/* its transaction waits in the store */
	t = strdup(payload);
	if (t == NULL || (action != OCPP_A_START && action != OCPP_A_STOP &&
	    action != OCPP_A_METER) ||
	    txq_append(cp, seq, local_tx, action, t) != 0) {
		free(t);
		return -1;
	}
	if (seq > cp->stored_seq)
		cp->stored_seq = seq;	/* read from the disk */
	return 0;
}

/* ------------------------------------------------------------------ */
/* Transactions */

struct ocpp_tx *
ocpp_tx_find(struct ocpp_cp *cp, int64_t local)
{
	for (int i = 0; i < cp->ntx; i++)
		if (cp->tx[i].local == local)
			return &cp->tx[i];
	return NULL;
}

struct ocpp_tx *
ocpp_tx_open(struct ocpp_cp *cp, int connector)
{
	for (int i = 0; i < cp->ntx; i++)
		if (cp->tx[i].open && cp->tx[i].connector == connector)
			return &cp->tx[i];
	return NULL;
}

static void
tx_save(struct ocpp_cp *cp, const struct ocpp_tx *t)
{
	cp->ops.store(cp->ops.arg, &(struct ocpp_rec){ .kind = OCPP_REC_TX_PUT,
	    .local_tx = t->local, .tx = t });
}

/* A transaction closed whose last message was answered is forgotten. */
static void
tx_forget_done(struct ocpp_cp *cp)
{
	for (int i = 0; i < cp->ntx; i++) {
		bool	 waiting = cp->tx[i].open;

		for (size_t q = 0; q < cp->ntxq && !waiting; q++)
			waiting = cp->txq[q].local_tx == cp->tx[i].local;
		if (waiting)
			continue;
		/* a parked one stays in the store for the next start */
		if (!cp->tx[i].parked)
			cp->ops.store(cp->ops.arg, &(struct ocpp_rec){ .kind =
			    OCPP_REC_TX_DEL, .local_tx = cp->tx[i].local });
		cp->tx[i--] = cp->tx[--cp->ntx];
	}
}

/* Open ones fill the table; closed ones leave a slot for each connector's
 * session (OCPP_TX_MAX). */
int
ocppcore_load_tx(struct ocpp_cp *cp, const struct ocpp_tx *t)
{
	int	 closed = 0;

	if (t->local >= cp->next_local)
		cp->next_local = t->local + 1;	/* never reused, even when
						 * left in the store */
	for (int i = 0; i < cp->ntx; i++)
		closed += !cp->tx[i].open;
	if (cp->ntx == OCPP_TX_MAX || t->local == 0 ||
	    (!t->open && closed >= OCPP_TX_MAX - OCPP_MAX_CONN))
		return -1;
	cp->tx[cp->ntx] = *t;
	cp->tx[cp->ntx++].parked = false;	/* tried again at a start */
	return 0;
}

/* The table full at a session's start: the newest closed transaction
 * (not the head's, whose answer may be coming) leaves memory with its
 * messages; all of them stay in the store, loaded at a later start. */
static bool
tx_evict(struct ocpp_cp *cp)
{
	int64_t	 head = cp->ntxq > 0 ? cp->txq[0].local_tx : 0;
	int	 v = -1;
	size_t	 n = 0;

	for (int i = 0; i < cp->ntx; i++)
		if (!cp->tx[i].open && cp->tx[i].local != head &&
		    (v < 0 || cp->tx[i].local > cp->tx[v].local))
			v = i;
	if (v < 0)
		return false;
	for (size_t q = 0; q < cp->ntxq; q++) {
		if (cp->txq[q].local_tx == cp->tx[v].local)
			msg_free(&cp->txq[q]);
		else
			cp->txq[n++] = cp->txq[q];
	}
	cp->ntxq = n;
	cp->tx[v] = cp->tx[--cp->ntx];
	return true;
}

static void
iso_time(int64_t wall_ms, char *b, size_t len)
{
	time_t	 s = (time_t)(wall_ms / 1000);
	struct tm tm;

	size_t	 k;

	if (len == 0)
		return;
	b[0] = '\0';
	if (gmtime_r(&s, &tm) == NULL ||
	    (k = strftime(b, len, "%Y-%m-%dT%H:%M:%S", &tm)) == 0)
		return;
	snprintf(b + k, len - k, ".%03dZ",
	    (int)(wall_ms >= 0 ? wall_ms % 1000 : 0));
}

static json_t *
sampled(const char *measurand, const char *phase, const char *unit,
    const char *context, double v, int decimals)
{
	char	 b[32];
	json_t	*o;

	snprintf(b, sizeof(b), "%.*f", decimals, v);
	o = json_pack("{s s s s s s s s}", "value", b, "context", context,
	    "measurand", measurand, "unit", unit);
	if (phase != NULL)
		json_object_set_new(o, "phase", json_string(phase));
	return o;
}

static bool
has_measurand(const char *list, const char *m)
{
	size_t	 n = strlen(m);

	for (const char *p = list; (p = strstr(p, m)) != NULL; p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' ||
		    p[n] == '\0'))
			return true;
	return false;
}

/* One meterValue (OCPP 1.6 section 7.31) of a connector now. */
static json_t *
meter_value(const struct ocpp_cp *cp, const struct ocpp_conn_in *c,
    const char *list, const char *context, int64_t wall_ms)
{
	static const char *const ph[3] = { "L1", "L2", "L3" };
	json_t	*sv = json_array();
	char	 ts[32];
	double	 w = 0;

	iso_time(wall_ms, ts, sizeof(ts));
	if (has_measurand(list, "Energy.Active.Import.Register"))
		json_array_append_new(sv, sampled(
		    "Energy.Active.Import.Register", NULL, "Wh", context,
		    c->total_wh, 0));
	for (int p = 0; p < 3; p++) {
		if (has_measurand(list, "Current.Import"))
			json_array_append_new(sv, sampled("Current.Import",
			    ph[p], "A", context, c->current_da[p] / 10.0, 1));
		w += c->current_da[p] / 10.0 * (cp->in.voltage_dv[p] ?
		    cp->in.voltage_dv[p] / 10.0 : 230.0);
	}
	if (has_measurand(list, "Current.Offered"))
		json_array_append_new(sv, sampled("Current.Offered", NULL, "A",
		    context, c->offer_da / 10.0, 1));
	if (has_measurand(list, "Power.Active.Import"))
		json_array_append_new(sv, sampled("Power.Active.Import", NULL,
		    "W", context, w, 0));
	return json_pack("{s s s o}", "timestamp", ts, "sampledValue", sv);
}

json_t *
ocpp_meter_json(const struct ocpp_cp *cp, int connector, const char *list,
    const char *context, int64_t wall_ms)
{
	const struct ocpp_conn_in *c = &cp->in.c[connector - 1];

	return json_pack("{s i s [o]}", "connectorId", connector,
	    "meterValue", meter_value(cp, c, list, context, wall_ms));
}

/* A session goes on while the charger has it: authorised (the car may
 * pause between authorised and charging), charging, waiting for current,
 * suspended by the car. It is a transaction from the moment energy may
 * flow: charging, waiting or suspended, or authorised with the car
 * plugged (a RemoteStart before the car came starts nothing yet). */
static bool
in_tx_state(uint16_t state)
{
	return state == CS_AUTH_WAIT_CAR || state == CS_CHARGING ||
	    state == CS_NO_CURRENT || state == CS_SUSPENDED_EV;
}

static bool
tx_begins(const struct ocpp_conn_in *c)
{
	return in_tx_state(c->state) && (c->state != CS_AUTH_WAIT_CAR ||
	    (c->cp_state >= 1 && c->cp_state <= 3));
}

static void
tx_start(struct ocpp_cp *cp, int k, const struct ocpp_conn_in *c,
    uint64_t now, int64_t wall)
{
	struct ocpp_tx *t;
	const char *tag = c->tag;
	char	 ts[32];

	if (cp->ntx == OCPP_TX_MAX && !tx_evict(cp))
		return;		/* cannot be: at most one open a connector */
	if (cp->remote_tag[k][0] != '\0')
		tag = cp->remote_tag[k];
	else if (cp->auth_tag[k][0] != '\0')
		tag = cp->auth_tag[k];
	if (tag[0] == '\0')
		tag = "FREE";	/* a site without authorisation */
	t = &cp->tx[cp->ntx++];
	*t = (struct ocpp_tx){ .local = cp->next_local++, .connector = k,
	    .open = true, .session_no = c->session_no,
	    .meter_start = c->total_wh, .by_site = cp->conf.site_whitelist &&
	    tag == c->tag && tag[0] != '\0', .start_wall_ms = wall };
	snprintf(t->tag, sizeof(t->tag), "%s", tag);
	cp->remote_tag[k][0] = cp->auth_tag[k][0] = '\0';
	cp->stop_reason[k] = NULL;
	tx_save(cp, t);
	iso_time(wall, ts, sizeof(ts));
	txq_push(cp, OCPP_A_START, t->local, json_pack("{s i s s s I s s}",
	    "connectorId", k, "idTag", t->tag, "meterStart",
	    (json_int_t)t->meter_start, "timestamp", ts));
	cp->next_sample_ms[k] = cp->keys.meter_sample_s > 0 ?
	    now + (uint64_t)cp->keys.meter_sample_s * 1000 : 0;
}

void
ocpp_tx_stop(struct ocpp_cp *cp, struct ocpp_tx *t, uint32_t meter,
    const char *reason, int64_t wall)
{
	char	 ts[32];

	iso_time(wall, ts, sizeof(ts));
	t->open = false;
	tx_save(cp, t);
	txq_push(cp, OCPP_A_STOP, t->local, json_pack("{s s s I s s s s}",
	    "idTag", t->tag, "meterStop", (json_int_t)(meter < t->meter_start ?
	    t->meter_start : meter), "timestamp", ts, "reason", reason));
	cp->stop_reason[t->connector] = NULL;
	cp->next_sample_ms[t->connector] = 0;
	ocpp_act(cp, OCPP_ACT_TX_ENDED, t->connector, NULL, reason);
}

/* Why a session ended, as StopTransaction says (OCPP 1.6 section 7.41). */
static const char *
stop_reason(const struct ocpp_cp *cp, int k, const struct ocpp_conn_in *c)
{
	if (cp->stop_reason[k] != NULL)
		return cp->stop_reason[k];
	if (c->state == CS_FAULT)
		return "EmergencyStop";
	if (c->cp_state == 0)
		return "EVDisconnected";
	if (c->state == CS_AVAILABLE || c->state == CS_LOCKED)
		return "Local";
	return "Other";
}

static void
status_told(struct ocpp_cp *cp, int k, bool online,
    const struct ocpp_conn_in *c, int64_t wall, bool force)
{
	const char *st, *err, *ven;
	char	 key[64], ts[32];
	json_t	*p;

	if (k == 0) {
		st = online ? "Available" : "Unavailable";
		if (cp->inoperative[0])
			st = "Unavailable";
		err = online ? "NoError" : "OtherError";
		ven = online ? "" : "ChargerOffline";
	} else
		ocppcore_status_of(online, c, &st, &err, &ven);
	snprintf(key, sizeof(key), "%s|%s|%s", st, err, ven);
	if (!force && strcmp(key, cp->told[k]) == 0)
		return;
	if (cp->boot != OCPP_BOOT_ACCEPTED)
		return;		/* told once the boot is accepted */
	snprintf(cp->told[k], sizeof(cp->told[k]), "%s", key);
	iso_time(wall, ts, sizeof(ts));
	p = json_pack("{s i s s s s s s}", "connectorId", k, "errorCode", err,
	    "status", st, "timestamp", ts);
	if (ven[0] != '\0')
		json_object_set_new(p, "vendorErrorCode", json_string(ven));
	(void)ocpp_mq_push(cp, OCPP_A_STATUS, p, k, NULL);
}

void
ocpp_status_all(struct ocpp_cp *cp, int64_t wall)
{
	if (!cp->have_in)
		return;
	status_told(cp, 0, cp->in.online, NULL, wall, true);
	for (int k = 1; k <= cp->in.nconn; k++)
		status_told(cp, k, cp->in.online, &cp->in.c[k - 1], wall, true);
}

/* A transaction found open after a restart of the master: the session
 * that goes on is the same (the charger kept it); one that ended while
 * the master was away is stopped with PowerLoss. */
static void
tx_reconcile(struct ocpp_cp *cp, int64_t wall)
{
	for (int i = 0; i < cp->ntx; i++) {
		struct ocpp_tx *t = &cp->tx[i];
		const struct ocpp_conn_in *c;

		if (!t->open)
			continue;
		if (t->connector < 1 || t->connector > cp->in.nconn) {
			ocpp_tx_stop(cp, t, t->meter_start, "PowerLoss", wall);
			continue;
		}
		c = &cp->in.c[t->connector - 1];
		if (in_tx_state(c->state) && c->session_no == t->session_no) {
			if (t->start_wall_ms == 0)	/* a row of before */
				t->start_wall_ms = wall;
			continue;
		}
		ocpp_tx_stop(cp, t, c->total_wh, "PowerLoss", wall);
	}
}

void
ocppcore_input(struct ocpp_cp *cp, const struct ocpp_cp_in *in,
    uint64_t now, int64_t wall)
{
	if (!in->online) {
		/* what it last said stands, but it is unavailable now (a
		 * charger not heard since the start: its connectors only) */
		if (!cp->have_in) {
			cp->in = (struct ocpp_cp_in){ .nconn = in->nconn >
			    OCPP_MAX_CONN ? OCPP_MAX_CONN : in->nconn };
			cp->have_in = true;
		}
		cp->in.online = false;
		for (int k = 0; k <= cp->in.nconn; k++)
			status_told(cp, k, false, k ? &cp->in.c[k - 1] : NULL,
			    wall, false);
		ocppcore_tick(cp, now, wall);
		return;
	}
	cp->in = *in;
	if (cp->in.nconn > OCPP_MAX_CONN)
		cp->in.nconn = OCPP_MAX_CONN;
	cp->have_in = true;
	if (!cp->reconciled) {
		/* the first reading of the charger since the start */
		cp->reconciled = true;
		tx_reconcile(cp, wall);
	}
	status_told(cp, 0, true, NULL, wall, false);
	for (int k = 1; k <= cp->in.nconn; k++) {
		const struct ocpp_conn_in *c = &cp->in.c[k - 1];
		struct ocpp_tx *t = ocpp_tx_open(cp, k);

		if (t != NULL && (!in_tx_state(c->state) ||
		    c->session_no != t->session_no)) {
			ocpp_tx_stop(cp, t, c->total_wh, stop_reason(cp, k, c),
			    wall);
			cp->ended_session[k] = t->session_no;
		}
		t = ocpp_tx_open(cp, k);
		if (t == NULL && tx_begins(c) &&
		    cp->ended_session[k] != c->session_no)
			tx_start(cp, k, c, now, wall);
		if (!in_tx_state(c->state))
			cp->ended_session[k] = -1;
		if (c->state == CS_AVAILABLE && c->cp_state == 0)
			cp->auth_tag[k][0] = '\0';	/* its car left */
		status_told(cp, k, true, c, wall, false);
		if (!in_tx_state(c->state) && cp->avail_scheduled[k]) {
			/* ChangeAvailability Scheduled: now the session
			 * is over */
			cp->avail_scheduled[k] = false;
			ocpp_act(cp, cp->inoperative[k] ? OCPP_ACT_LOCK :
			    OCPP_ACT_UNLOCK, k, NULL, "ChangeAvailability");
		}
	}
	ocppcore_tick(cp, now, wall);
}

int
ocpp_act(struct ocpp_cp *cp, enum ocpp_act_kind kind, int connector,
    const char *tag, const char *text)
{
	char	 why[128] = "";

	return cp->ops.act(cp->ops.arg, &(struct ocpp_act){ kind, connector,
	    tag, text, 0, 0, 0 }, why, sizeof(why));
}

/* MeterValueSampleInterval during a transaction (transaction messages,
 * kept), ClockAlignedDataInterval on every connector at the wall clock's
 * multiples of it (kept too when a transaction runs there). */
void
ocpp_meter_tick(struct ocpp_cp *cp, uint64_t now, int64_t wall)
{
	int64_t	 step = (int64_t)cp->keys.clock_aligned_s * 1000;

	if (!cp->have_in || !cp->in.online)
		return;
	for (int k = 1; k <= cp->in.nconn; k++) {
		struct ocpp_tx *t = ocpp_tx_open(cp, k);

		if (t == NULL || cp->keys.meter_sample_s <= 0)
			continue;
		if (cp->next_sample_ms[k] == 0)
			cp->next_sample_ms[k] = now +
			    (uint64_t)cp->keys.meter_sample_s * 1000;
		if (now < cp->next_sample_ms[k])
			continue;
		cp->next_sample_ms[k] = now + (uint64_t)cp->keys.meter_sample_s *
		    1000;
		txq_push(cp, OCPP_A_METER, t->local, ocpp_meter_json(cp, k,
		    cp->keys.sampled, "Sample.Periodic", wall));
	}
	if (step <= 0) {
		cp->next_clock_wall_ms = 0;
		return;
	}
	if (cp->next_clock_wall_ms == 0 || cp->next_clock_wall_ms >
	    wall + step)
		cp->next_clock_wall_ms = (wall / step + 1) * step;
	if (wall < cp->next_clock_wall_ms)
		return;
	cp->next_clock_wall_ms = (wall / step + 1) * step;
	for (int k = 1; k <= cp->in.nconn; k++) {
		struct ocpp_tx *t = ocpp_tx_open(cp, k);
		json_t	*mv = ocpp_meter_json(cp, k, cp->keys.aligned,
		    "Sample.Clock", wall);

		if (t != NULL)
			txq_push(cp, OCPP_A_METER, t->local, mv);
		else if (cp->boot == OCPP_BOOT_ACCEPTED)
			(void)ocpp_mq_push(cp, OCPP_A_METER, mv, k, NULL);
		else
			json_decref(mv);
	}
}

/* ------------------------------------------------------------------ */
/* Sending: the boot first, then one CALL at a time */

/* Remembers id among the (at most 4) a message went under on this link;
 * the oldest gives way. */
static void
ids_add(char ids[][40], int *n, const char *id)
{
	if (*n == 4) {
		memmove(ids[0], ids[1], 3 * sizeof(ids[0]));
		*n = 3;
	}
	snprintf(ids[*n], sizeof(ids[0]), "%s", id);
	(*n)++;
}

static bool
ids_has(char ids[][40], int n, const char *id)
{
	for (int k = 0; k < n; k++)
		if (strcmp(ids[k], id) == 0)
			return true;
	return false;
}

static void
boot_send(struct ocpp_cp *cp, uint64_t now)
{
	json_t	*p = json_pack("{s s s s}", "chargePointVendor",
	    cp->conf.vendor, "chargePointModel", cp->conf.model);
	char	*t;

	if (cp->conf.serial[0] != '\0')
		json_object_set_new(p, "chargePointSerialNumber",
		    json_string(cp->conf.serial));
	if (cp->conf.firmware[0] != '\0')
		json_object_set_new(p, "firmwareVersion",
		    json_string(cp->conf.firmware));
	t = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	if (t != NULL && send_call(cp, OCPP_A_BOOT, t, 0, now) == 0) {
		cp->boot = OCPP_BOOT_SENT;
		ids_add(cp->boot_ids, &cp->nboot_ids, cp->call_id);
	}
	free(t);
}

/* The transactionId a queued message needs: 0 when its transaction has
 * none (yet). */
static int32_t
txid_of(struct ocpp_cp *cp, const struct ocpp_msg *m)
{
	struct ocpp_tx *t;

	if (m->action == OCPP_A_START)
		return 0;
	t = ocpp_tx_find(cp, m->local_tx);
	return t != NULL ? t->txid : 0;
}

static void
send_next(struct ocpp_cp *cp, uint64_t now)
{
	if (!cp->up || cp->busy || cp->hold)
		return;
	if (cp->boot == OCPP_BOOT_NONE || ((cp->boot == OCPP_BOOT_PENDING ||
	    cp->boot == OCPP_BOOT_REJECTED) && now >= cp->next_boot_ms)) {
		boot_send(cp, now);
		return;
	}
	if (cp->boot != OCPP_BOOT_ACCEPTED)
		return;		/* nothing but the boot until accepted */
	if (cp->trigger_boot) {
		cp->trigger_boot = false;
		boot_send(cp, now);
		return;
	}
	while (cp->nmq > 0) {
		struct ocpp_msg *m = &cp->mq[0];

		if (send_call(cp, m->action, m->payload, 0, now) == 0) {
			cp->call_durable = false;
			cp->call_conn = (int)m->local_tx;
			snprintf(cp->call_tag, sizeof(cp->call_tag), "%s",
			    m->tag);
			mq_pop(cp);
			return;
		}
		mq_pop(cp);
	}
	while (cp->ntxq > 0 && !cp->head_waiting &&
	    now >= cp->txq[0].not_before_ms && (!cp->ops.store_acks || cp->txq[0].seq <= cp->stored_seq)) {
		struct ocpp_msg *m = &cp->txq[0];
		int32_t	 txid = txid_of(cp, m);

		const struct ocpp_tx *t = ocpp_tx_find(cp, m->local_tx);

		if (t == NULL || (m->action != OCPP_A_START && txid == 0)) {
			/* its StartTransaction was never taken: the CSMS
			 * cannot know this transaction (3.8); parked with it.
			 * One whose transaction is not in memory is neither
			 * sent nor deleted: it stays in the store. */
			txq_drop(cp, t == NULL || t->parked);
			tx_forget_done(cp);
			continue;
		}
		if (send_call(cp, m->action, m->payload, txid, now) == 0) {
			cp->call_durable = true;
			ids_add(cp->head_ids, &cp->nhead_ids, cp->call_id);
		}
		return;
	}
	if (cp->keys.heartbeat_s > 0 && now >= cp->last_call_ms +
	    (uint64_t)cp->keys.heartbeat_s * 1000)
		(void)send_call(cp, OCPP_A_HEARTBEAT, "{}", 0, now);
}

void
ocppcore_stored(struct ocpp_cp *cp, uint64_t seq, uint64_t now)
{
	if (seq > cp->stored_seq)
		cp->stored_seq = seq;
	send_next(cp, now);
}

void
ocppcore_up(struct ocpp_cp *cp, uint64_t now)
{
	cp->up = true;
	cp->busy = false;
	cp->boot = OCPP_BOOT_NONE;
	cp->nboot_ids = 0;
	head_forget(cp);	/* may not have arrived: sent again */
	send_next(cp, now);
}

void
ocppcore_down(struct ocpp_cp *cp, const char *why, uint64_t now)
{
	(void)now;
	if (cp->busy && cp->call_action == OCPP_A_AUTHORIZE)
		ocpp_auth_offline(cp, cp->call_conn, cp->call_tag);
	/* an Authorize still queued is decided now too: dropped unanswered,
	 * its connector would wait for good (the same tag again reads as
	 * no new swipe) */
	for (int i = 0; i < cp->nmq; i++)
		if (cp->mq[i].action == OCPP_A_AUTHORIZE)
			ocpp_auth_offline(cp, (int)cp->mq[i].local_tx,
			    cp->mq[i].tag);
	cp->up = false;
	cp->busy = false;
	cp->boot = OCPP_BOOT_NONE;
	cp->nboot_ids = 0;
	head_forget(cp);
	while (cp->nmq > 0)
		mq_pop(cp);
	for (int k = 0; k <= OCPP_MAX_CONN; k++)
		cp->told[k][0] = '\0';	/* all told again after the boot */
	snprintf(cp->why, sizeof(cp->why), "%s", why ? why : "");
}

/* ------------------------------------------------------------------ */
/* Answers from the CSMS */

static void
boot_answer(struct ocpp_cp *cp, json_t *p, uint64_t now, int64_t wall)
{
	const char *st = json_string_value(json_object_get(p, "status"));
	json_t	*iv = json_object_get(p, "interval");
	int	 interval = json_is_integer(iv) ?
	    (int)json_integer_value(iv) : 0;

	if (st == NULL)
		st = "";
	if (strcmp(st, "Accepted") == 0) {
		cp->boot = OCPP_BOOT_ACCEPTED;
		cp->rejected_told = false;
		if (interval > 0)
			cp->keys.heartbeat_s = interval;
		cp->why[0] = '\0';
		ocpp_act(cp, OCPP_ACT_BOOTED, 0, NULL, "Accepted");
		ocpp_status_all(cp, wall);
		return;
	}
	/* Pending or Rejected: the interval is the least wait before the
	 * next BootNotification (1.6 section 4.2); none said: a minute. */
	cp->boot = strcmp(st, "Pending") == 0 ? OCPP_BOOT_PENDING :
	    OCPP_BOOT_REJECTED;
	cp->next_boot_ms = now + (uint64_t)(interval > 0 ? interval : 60) *
	    1000;
	if (cp->boot == OCPP_BOOT_REJECTED) {
		snprintf(cp->why, sizeof(cp->why), "boot rejected, next try "
		    "in %d s", interval > 0 ? interval : 60);
		/* told once, not at every try */
		if (!cp->rejected_told)
			ocpp_act(cp, OCPP_ACT_REJECTED, 0, NULL, cp->why);
		cp->rejected_told = true;
	}
}

static void
start_answer(struct ocpp_cp *cp, json_t *p, uint64_t now, int64_t wall)
{
	struct ocpp_tx *t = ocpp_tx_find(cp, cp->txq[0].local_tx);
	json_t	*id = json_object_get(p, "transactionId");
	json_t	*info = json_object_get(p, "idTagInfo");
	const char *st = json_string_value(json_object_get(info, "status"));

	(void)now;
	if (t == NULL)
		return;
	if (json_is_integer(id)) {
		t->txid = (int32_t)json_integer_value(id);
		tx_save(cp, t);
		if (t->open)
			(void)cp->ops.act(cp->ops.arg, &(struct ocpp_act){
			    .kind = OCPP_ACT_TX_STARTED, .connector =
			    t->connector, .txid = t->txid, .wall_ms =
			    t->start_wall_ms }, NULL, 0);
	}
	if (st != NULL) {
		ocpp_cache_put(cp, t->tag, st, info);
		if (strcmp(st, "Accepted") != 0 && t->open && !t->by_site) {
			/* 1.6 section 3.5.4 (StopTransactionOnInvalidId,
			 * read-only true): stop a transaction whose tag the
			 * CSMS refuses, unless the site's whitelist took it */
			cp->stop_reason[t->connector] = "DeAuthorized";
			ocpp_act(cp, OCPP_ACT_STOP, t->connector, t->tag,
			    "StartTransaction: idTag not accepted");
		}
	}
	(void)wall;
}

/* The energy of transaction t so far: to its StopTransaction when one is
 * queued, else to the connector's register as last seen. */
static uint32_t
tx_energy_wh(const struct ocpp_cp *cp, const struct ocpp_tx *t)
{
	uint32_t end = 0;

	for (size_t q = 0; q < cp->ntxq; q++)
		if (cp->txq[q].local_tx == t->local &&
		    cp->txq[q].action == OCPP_A_STOP) {
			json_t	*p = json_loads(cp->txq[q].payload, 0, NULL);

			end = (uint32_t)json_integer_value(json_object_get(p,
			    "meterStop"));
			json_decref(p);
		}
	if (end == 0 && t->open && cp->have_in && t->connector >= 1 &&
	    t->connector <= cp->in.nconn)
		end = cp->in.c[t->connector - 1].total_wh;
	return end > t->meter_start ? end - t->meter_start : 0;
}

/* The head, a StartTransaction, refused TransactionMessageAttempts times
 * (1.6 section 3.8): the CSMS does not know the transaction, and its
 * later messages cannot be sent (they need its transactionId). Told, not
 * dropped in silence: the session goes on at the site unbilled, and the
 * transaction is parked: its messages stay in the store, unsent, and are
 * tried again, in their order, at the next start (when the CSMS's
 * operator may have made it take the tag). */
static void
start_dropped(struct ocpp_cp *cp)
{
	struct ocpp_tx *t = ocpp_tx_find(cp, cp->txq[0].local_tx);
	char	 text[96];

	if (t == NULL)
		return;
	snprintf(text, sizeof(text), "StartTransaction refused %d times",
	    cp->txq[0].attempts);
	t->parked = true;
	(void)cp->ops.act(cp->ops.arg, &(struct ocpp_act){ .kind =
	    OCPP_ACT_TX_DROPPED, .connector = t->connector, .tag = t->tag,
	    .text = text, .wh = tx_energy_wh(cp, t) }, NULL, 0);
}

/* The answer to the head of txq (to its current CALL or, late, to an
 * earlier one on this link). */
static void
head_done(struct ocpp_cp *cp, bool ok, json_t *p, uint64_t now, int64_t wall)
{
	int	 action;

	if (cp->ntxq == 0)
		return;
	action = cp->txq[0].action;
	if (!ok && ++cp->txq[0].attempts < cp->keys.tx_attempts) {
		head_forget(cp);	/* answered: sent again */
		/* 1.6 section 3.8: TransactionMessageRetryInterval times
		 * the attempts so far */
		cp->txq[0].not_before_ms = now + (uint64_t)cp->keys.tx_retry_s *
		    (uint64_t)cp->txq[0].attempts * 1000;
		return;
	}
	if (ok && action == OCPP_A_START)
		start_answer(cp, p, now, wall);
	else if (action == OCPP_A_START)
		start_dropped(cp);
	txq_drop(cp, !ok && action == OCPP_A_START);
	tx_forget_done(cp);
}

static void
call_done(struct ocpp_cp *cp, bool ok, json_t *p, uint64_t now, int64_t wall)
{
	int	 action = cp->call_action;

	cp->busy = false;
	if (action == OCPP_A_BOOT) {
		if (ok) {
			/* the CSMS's word: an earlier boot's late answer
			 * no longer counts */
			cp->nboot_ids = 0;
			boot_answer(cp, p, now, wall);
		} else {
			/* no answer (or an error): asked again after the call
			 * timeout, at least 10 s, as a Pending would be */
			cp->boot = OCPP_BOOT_PENDING;
			cp->next_boot_ms = now + 1000 * (uint64_t)(
			    cp->conf.call_timeout_s > 10 ?
			    cp->conf.call_timeout_s : 10);
		}
		return;
	}
	if (action == OCPP_A_AUTHORIZE) {
		if (ok)
			ocpp_auth_answer(cp, cp->call_conn, cp->call_tag,
			    json_object_get(p, "idTagInfo"));
		else
			ocpp_auth_offline(cp, cp->call_conn, cp->call_tag);
		return;
	}
	if (cp->call_durable)
		head_done(cp, ok, p, now, wall);
}

/* The head without answer for twice the call timeout while the CSMS
 * stays connected: the link is taken for not working (OCPP-J 1.6, 4.1.1
 * leaves what to do after a timeout to the charge point). The queue would
 * wait for ever, so the connection is dropped and made again (with the
 * back-off), and the head goes out once more on the new one, where it
 * cannot be taken twice: an answer to the old connection's id never
 * comes. Asked once a connection. */
static void
head_dead(struct ocpp_cp *cp, uint64_t now)
{
	char	 why[96];

	if (!cp->up || !cp->head_waiting || cp->head_reconnect ||
	    now < cp->head_dead_ms || cp->ntxq == 0)
		return;
	cp->head_reconnect = true;
	snprintf(why, sizeof(why), "no answer to %s in %d s: reconnecting",
	    ocppcore_action_name(cp->txq[0].action),
	    2 * cp->conf.call_timeout_s);
	ocpp_act(cp, OCPP_ACT_RECONNECT, 0, NULL, why);
}

void
ocppcore_tick(struct ocpp_cp *cp, uint64_t now, int64_t wall)
{
	cp->wall_ms = wall;
	if (cp->busy && now >= cp->call_deadline_ms) {
		/* No answer. A transaction message stays at the head of
		 * the queue and waits for its answer, however late: sent
		 * again over the same link the CSMS would take it twice
		 * (a second transaction). It is sent again only after a
		 * reconnection, when it may not have arrived (OCPP-J
		 * 4.1.1). Any other message is given up. */
		if (cp->call_durable) {
			cp->busy = false;
			cp->head_waiting = true;
			cp->head_dead_ms = now +
			    (uint64_t)cp->conf.call_timeout_s * 1000;
		} else
			call_done(cp, false, NULL, now, wall);
	}
	head_dead(cp, now);
	ocpp_meter_tick(cp, now, wall);
	send_next(cp, now);
}

uint64_t
ocppcore_deadline(const struct ocpp_cp *cp, uint64_t now)
{
	uint64_t d = now + 1000;

	if (cp->busy && cp->call_deadline_ms < d)
		d = cp->call_deadline_ms;
	if (cp->head_waiting && !cp->head_reconnect && cp->head_dead_ms < d)
		d = cp->head_dead_ms > now ? cp->head_dead_ms : now;
	return d;
}

const struct ocpp_tx *
ocppcore_tx_of(const struct ocpp_cp *cp, int connector)
{
	return ocpp_tx_open((struct ocpp_cp *)cp, connector);
}

/* ------------------------------------------------------------------ */
/* Receiving */

static bool
answer_ok(json_t *f, int type)
{
	return type == 3 && json_array_size(f) == 3 &&
	    json_is_object(json_array_get(f, 2));
}

/* id: one the head of txq was sent under on this link (the CALL
 * outstanding is answered by call_done() first). */
static bool
head_sent_as(struct ocpp_cp *cp, const char *id)
{
	return ids_has(cp->head_ids, cp->nhead_ids, id);
}

/* A late answer to a BootNotification of this link that timed out (the
 * boot asked again meanwhile or not): taken as the boot's answer, as the
 * CSMS took the boot; the later boot's answer, if one is under way, is
 * then no longer waited for (dropped when it comes). A late CALLERROR
 * changes nothing: the boot is asked again as it would be. */
static void
boot_late(struct ocpp_cp *cp, const char *id, bool ok, json_t *p,
    uint64_t now, int64_t wall)
{
	if (!ok || cp->boot == OCPP_BOOT_ACCEPTED ||
	    !ids_has(cp->boot_ids, cp->nboot_ids, id))
		return;		/* an answer to no CALL of ours: dropped */
	cp->nboot_ids = 0;
	if (cp->busy && cp->call_action == OCPP_A_BOOT)
		cp->busy = false;
	boot_answer(cp, p, now, wall);
}

void
ocppcore_receive(struct ocpp_cp *cp, const char *text, size_t len,
    uint64_t now, int64_t wall)
{
	/* \u0000 parsed, so that a CALL with one is refused under its own
	 * id (field by field, ocppops.c) rather than as unreadable */
	json_t	*f = json_loadb(text, len, JSON_ALLOW_NUL, NULL);
	json_t	*jid;
	const char *id = "-1";
	int	 type;

	cp->last_msg_wall_ms = cp->wall_ms = wall;
	if (!json_is_array(f) || json_array_size(f) < 3 ||
	    !json_is_integer(json_array_get(f, 0))) {
		ocpp_send_error(cp, "-1", "FormationViolation",
		    "not an OCPP-J frame");
		goto out;
	}
	type = (int)json_integer_value(json_array_get(f, 0));
	jid = json_array_get(f, 1);
	if (json_is_string(jid) && json_string_length(jid) <= 36 &&
	    strlen(json_string_value(jid)) == json_string_length(jid))
		id = json_string_value(jid);
	else {
		ocpp_send_error(cp, "-1", "FormationViolation",
		    "no message id");
		goto out;
	}
	if (type == 2)
		ocpp_dispatch(cp, id, f, now, wall);
	else if ((type == 3 || type == 4) && cp->busy &&
	    strcmp(id, cp->call_id) == 0)
		call_done(cp, answer_ok(f, type), json_array_get(f, 2),
		    now, wall);
	else if ((type == 3 || type == 4) && head_sent_as(cp, id))
		head_done(cp, answer_ok(f, type), json_array_get(f, 2),
		    now, wall);
	else if (type == 3 || type == 4)
		boot_late(cp, id, answer_ok(f, type), json_array_get(f, 2),
		    now, wall);
	else
		ocpp_send_error(cp, id, "FormationViolation",
		    "unknown message type");
out:
	json_decref(f);
	send_next(cp, now);
}

/* ------------------------------------------------------------------ */

void
ocppcore_init(struct ocpp_cp *cp, const struct ocpp_conf *conf,
    const struct ocpp_ops *ops, uint64_t id_seed)
{
	memset(cp, 0, sizeof(*cp));
	cp->conf = *conf;
	cp->ops = *ops;
	cp->id_seed = id_seed;
	cp->next_seq = 1;
	cp->next_local = 1;
	for (int k = 0; k <= OCPP_MAX_CONN; k++)
		cp->ended_session[k] = -1;
	if (cp->conf.call_timeout_s <= 0)
		cp->conf.call_timeout_s = 30;
	ocpp_keys_init(cp);
}

void
ocppcore_free(struct ocpp_cp *cp)
{
	while (cp->nmq > 0)
		mq_pop(cp);
	for (size_t i = 0; i < cp->ntxq; i++)
		msg_free(&cp->txq[i]);
	free(cp->txq);
	free(cp->list);
	cp->txq = NULL;
	cp->list = NULL;
	cp->ntxq = cp->captxq = 0;
}
