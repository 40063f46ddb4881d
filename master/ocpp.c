/*
 * ocpp.c: the glue of OCPP into the master (ocpp.h). Each second (and at
 * every text from the CSMS) the charge points get what their chargers
 * last said and their timers; nothing here waits on the network or the
 * disk: ocppnet queues, ocppstore queues, and a transaction message goes
 * out only once it is on disk (ocppcore_stored).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "master.h"
#include "ocpp.h"
#include "ocppcore.h"
#include "ocppnet.h"
#include "ocppcap.h"
#include "ocppstore.h"

/*
 * Each charge point is fed once a second, a twentieth of them every
 * 50 ms: the meter values of every connector fall due at once at each
 * ClockAlignedDataInterval (about 0.1 ms of JSON each, 100 ms of loop
 * for 1000 connectors in one go; a twentieth is 5 ms).
 */
#define OCPP_TICK_MS	50
#define OCPP_SLICES	20

struct ocpp_one {
	struct ocpp	*o;
	int		 index;		/* among the charge points */
	int		 peer;		/* among the chargers */
	char		 identity[49];
	struct ocpp_cp	 cp;
	struct ocppcap	 cap;		/* its charging profiles, their cap */
	bool		 was_up, told_up;
	char		 close_why[96];	/* the reconnection's, for the event */
};

struct ocpp {
	struct master	*m;
	int		 n;
	struct ocpp_one	*one;
	int		*by_peer;	/* charge point of each charger, -1 */
	int		 npeers;
	struct ocppnet	*net;
	struct ocppstore *st;
	uv_timer_t	 timer;
	int		 slice;		/* fed at the next tick (on_tick) */
	/* what ocpp_status() reads, any thread */
	uv_mutex_t	 mu;
	struct ocpp_cp_status *status;
};

static const char *const link_names[] = {
	"off", "connecting", "booting", "accepted", "pending", "rejected",
};

const char *
ocpp_link_name(int link)
{
	if (link < 0 || link > OCPP_REJECTED)
		return "";
	return link_names[link];
}

static int
link_of(const struct ocpp_one *x)
{
	if (!x->cp.up)
		return OCPP_CONNECTING;
	switch (x->cp.boot) {
	case OCPP_BOOT_ACCEPTED:
		return OCPP_ACCEPTED;
	case OCPP_BOOT_PENDING:
		return OCPP_PENDING;
	case OCPP_BOOT_REJECTED:
		return OCPP_REJECTED;
	default:
		return OCPP_BOOTING;
	}
}

static void
publish_status(struct ocpp *o)
{
	uv_mutex_lock(&o->mu);
	for (int i = 0; i < o->n; i++) {
		const struct ocpp_one *x = &o->one[i];
		struct ocpp_cp_status *s = &o->status[i];

		s->link = link_of(x);
		s->last_msg_ms = x->cp.last_msg_wall_ms;
		s->queued = (int)x->cp.ntxq;
		snprintf(s->why, sizeof(s->why), "%s", x->cp.why);
	}
	uv_mutex_unlock(&o->mu);
}

int
ocpp_status(const struct ocpp *co, int charger, struct ocpp_cp_status *out)
{
	struct ocpp *o = (struct ocpp *)co;

	memset(out, 0, sizeof(*out));
	if (o == NULL || charger < 0 || charger >= o->npeers)
		return o == NULL ? 0 : -1;
	if (o->by_peer[charger] < 0)
		return 0;
	uv_mutex_lock(&o->mu);
	*out = o->status[o->by_peer[charger]];
	uv_mutex_unlock(&o->mu);
	return 0;
}

/* The charger as its last poll said it. */
static void
input_of(const struct peer *pe, struct ocpp_cp_in *in)
{
	const struct link_peer *l = &pe->link;

	memset(in, 0, sizeof(*in));
	in->online = l->online;
	in->nconn = l->nconn < OCPP_MAX_CONN ? l->nconn : OCPP_MAX_CONN;
	for (int p = 0; p < 3; p++)
		in->voltage_dv[p] = l->unit.ln_dv[p];
	for (int k = 0; k < in->nconn; k++) {
		const struct reg_conn *rc = &l->conn[k];
		struct ocpp_conn_in *c = &in->c[k];

		c->state = rc->state;
		c->cp_state = rc->cp_state;
		c->faults = rc->faults;
		c->session_no = rc->session_no;
		c->offer_da = rc->offer_da;
		for (int p = 0; p < 3; p++)
			c->current_da[p] = rc->current_da[p];
		c->total_wh = rc->total_wh;
		snprintf(c->tag, sizeof(c->tag), "%s", rc->tag);
	}
}

static int
op_send(void *arg, const char *text, size_t len)
{
	struct ocpp_one *x = arg;

	return ocppnet_send(x->o->net, x->index, text, len);
}

static void
op_store(void *arg, const struct ocpp_rec *r)
{
	struct ocpp_one *x = arg;

	ocppstore_put(x->o->st, x->index, x->identity, r);
}

/* An operation of the CSMS, as an operator's command of the site. */
static int
site_do(struct ocpp_one *x, const char *verb, int k, char *why, size_t len)
{
	struct master *m = x->o->m;
	const struct site_writes *w;
	uint64_t now = clock_now_ms();
	char	 line[64], *r;
	int	 rc;

	snprintf(line, sizeof(line), "%s #%d %d", verb, x->peer + 1, k);
	r = site_command(&m->site, "CSMS", line, now, &w, NULL);
	rc = r != NULL && strncmp(r, "ok", 2) == 0 ? 0 : -1;
	snprintf(why, len, "%s", r ? r : "out of memory");
	free(r);
	if (rc == 0)
		master_write_now(m, w, now);
	return rc;
}

static int
op_act(void *arg, const struct ocpp_act *a, char *why, size_t len)
{
	struct ocpp_one *x = arg;
	struct master *m = x->o->m;
	const char *name = m->peers[x->peer].cc->name;
	int	 rc = 0;

	switch (a->kind) {
	case OCPP_ACT_AUTHORISE:
		rc = site_do(x, "authorise", a->connector, why, len);
		if (rc == 0 && a->tag != NULL)
			master_event(m, SEV_INFO, name, "rfid-accepted",
			    "RFID %s authorised connector %d by the CSMS (%s)",
			    a->tag, a->connector, a->text ? a->text : "");
		break;
	case OCPP_ACT_REFUSE:
		master_event(m, SEV_WARNING, name, "rfid-refused", "RFID %s "
		    "refused at connector %d: CSMS: %s", a->tag ? a->tag : "",
		    a->connector, a->text ? a->text : "");
		break;
	case OCPP_ACT_STOP:
		rc = site_do(x, "stop", a->connector, why, len);
		break;
	case OCPP_ACT_LOCK:
	case OCPP_ACT_UNLOCK:
		for (int k = a->connector ? a->connector : 1; k <= (a->connector ?
		    a->connector : m->peers[x->peer].link.nconn) && rc == 0; k++)
			rc = site_do(x, a->kind == OCPP_ACT_LOCK ? "lock" :
			    "unlock", k, why, len);
		break;
	case OCPP_ACT_RECONNECT:
		/* what is queued (the answer to the Reset) goes out first */
		ocppnet_close(x->o->net, x->index);
		snprintf(x->close_why, sizeof(x->close_why), "%s",
		    a->text ? a->text : "");
		if (strcmp(x->close_why, "Reset") != 0)
			log_warnx("ocpp: %s: %s", x->identity, x->close_why);
		break;
	case OCPP_ACT_BOOTED:
		/* once a connection (a BootNotification the CSMS triggered
		 * is accepted again on the same one) */
		if (!x->told_up)
			master_event(m, SEV_INFO, name, "ocpp-connected",
			    "charge point %s accepted by the CSMS", x->identity);
		x->told_up = true;
		break;
	case OCPP_ACT_REJECTED:
		master_event(m, SEV_WARNING, name, "ocpp-boot-rejected",
		    "charge point %s: %s", x->identity, a->text ? a->text : "");
		break;
	case OCPP_ACT_TX_STARTED:
		ocppcap_tx_started(&x->cap, a->connector, a->txid,
		    a->wall_ms != 0 ? a->wall_ms : clock_wall_ms());
		break;
	case OCPP_ACT_TX_ENDED:
		ocppcap_tx_ended(&x->cap, a->connector);
		break;
	case OCPP_ACT_TX_DROPPED:
		master_event(m, SEV_WARNING, name, "ocpp-transaction-dropped",
		    "connector %d, tag %s, %u Wh so far: %s; the CSMS does "
		    "not know this transaction: its messages are kept and "
		    "sent again after the next restart", a->connector,
		    a->tag ? a->tag : "", (unsigned)a->wh,
		    a->text ? a->text : "");
		break;
	}
	return rc;
}

/* Smart charging: ocppprof decides, ocppcap keeps the profiles and puts
 * their cap on the site (docs/ocpp.md, Smart charging). */
static json_t *
op_profile(void *arg, const char *action, const json_t *req, int32_t txid,
    int64_t wall)
{
	struct ocpp_one *x = arg;

	return ocppcap_call(&x->cap, action, req, txid, wall);
}

static void
on_net(void *arg, int i, enum ocppnet_ev ev, const char *text, size_t len,
    const char *why)
{
	struct ocpp *o = arg;
	struct ocpp_one *x;
	uint64_t now = clock_now_ms();

	if (i < 0 || i >= o->n)
		return;
	x = &o->one[i];
	switch (ev) {
	case OCPPNET_UP: {
		const struct reg_unit *u = &o->m->peers[x->peer].link.unit;

		/* the charger's own serial and firmware, once polled */
		if (o->m->peers[x->peer].link.ever_online) {
			snprintf(x->cp.conf.serial, sizeof(x->cp.conf.serial),
			    "%s", u->serial);
			snprintf(x->cp.conf.firmware,
			    sizeof(x->cp.conf.firmware), "%d.%d",
			    u->firmware >> 8, u->firmware & 0xff);
		}
		x->was_up = true;
		ocppcore_up(&x->cp, now);
		break;
	}
	case OCPPNET_DOWN:
		if (x->told_up)
			master_event(o->m, SEV_WARNING, o->m->peers[x->peer].cc->
			    name, "ocpp-disconnected", "charge point %s: "
			    "connection to the CSMS lost: %s", x->identity,
			    x->close_why[0] ? x->close_why : why ? why : "");
		x->close_why[0] = '\0';
		x->told_up = false;
		x->was_up = false;
		ocppcore_down(&x->cp, why, now);
		break;
	case OCPPNET_TEXT:
		ocppcore_receive(&x->cp, text, len, now, clock_wall_ms());
		break;
	}
	publish_status(o);
}

static void
on_stored(void *arg, int i, uint64_t seq)
{
	struct ocpp *o = arg;

	if (i >= 0 && i < o->n)
		ocppcore_stored(&o->one[i].cp, seq, clock_now_ms());
}

/* Smart charging learns each transaction's start (Relative schedules
 * count from it) from the charge point, every tick: also one not yet
 * numbered by the CSMS, and one found going on after a restart. */
static void
tx_sync(struct ocpp_one *x, int64_t wall)
{
	for (int k = 1; k <= x->cp.in.nconn; k++) {
		const struct ocpp_tx *t = ocppcore_tx_of(&x->cp, k);

		if (t != NULL)
			ocppcap_tx_started(&x->cap, k, t->txid,
			    t->start_wall_ms != 0 ? t->start_wall_ms : wall);
	}
}

static void
on_tick(uv_timer_t *t)
{
	struct ocpp *o = t->data;
	uint64_t now = clock_now_ms();
	int64_t	 wall = clock_wall_ms();
	struct ocpp_cp_in in;
	int	 slice = o->slice;

	o->slice = (o->slice + 1) % OCPP_SLICES;
	for (int i = slice; i < o->n; i += OCPP_SLICES) {
		input_of(&o->m->peers[o->one[i].peer], &in);
		ocppcore_input(&o->one[i].cp, &in, now, wall);
		tx_sync(&o->one[i], wall);
		ocppcap_apply(&o->one[i].cap, wall);
	}
	if (slice == 0)
		publish_status(o);
}

bool
ocpp_authorize(struct ocpp *o, int peer, int k, const char *tag)
{
	if (o == NULL || peer < 0 || peer >= o->npeers || o->by_peer[peer] < 0)
		return false;
	ocppcore_authorize(&o->one[o->by_peer[peer]].cp, k, tag,
	    clock_now_ms(), clock_wall_ms());
	return true;
}

static void
conf_of(const struct master_config *mc, struct ocpp_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->vendor, sizeof(c->vendor), "%s", mc->ocpp.vendor);
	snprintf(c->model, sizeof(c->model), "%s", mc->ocpp.model);
	c->heartbeat_s = mc->ocpp.heartbeat_interval;
	c->meter_sample_s = mc->ocpp.meter_sample_interval;
	c->clock_aligned_s = mc->ocpp.clock_aligned_interval;
	c->call_timeout_s = mc->ocpp.call_timeout;
	c->ping_interval_s = mc->ocpp.ping_interval;
	c->local_authorize_offline = mc->ocpp.local_authorize_offline;
	c->local_pre_authorize = mc->ocpp.local_pre_authorize;
	c->allow_offline_tx_for_unknown_id =
	    mc->ocpp.allow_offline_tx_for_unknown_id;
	c->authorization_cache_enabled = mc->ocpp.authorization_cache_enabled;
	c->site_whitelist = mc->site.authorisation == SITE_AUTH_RFID_CSMS;
}

/* At the start: what charger p left queued under the identity it had
 * before (an installer changed its ocpp_identity, or its name) goes out
 * under the one it has now, told (docs/ocpp.md, Transactions). */
static void
adopt_old(struct ocpp *o, int p, const char *identity)
{
	struct master *m = o->m;
	const struct charger_conf *cc = m->peers[p].cc;
	const char **current = calloc((size_t)m->npeers + 1, sizeof(char *));
	char	 address[64], old[64];
	int	 n = 0, moved;

	if (current == NULL)
		return;
	for (int q = 0; q < m->npeers; q++)
		if (m->peers[q].cc->ocpp)
			current[n++] = master_config_ocpp_identity(
			    m->peers[q].cc);
	snprintf(address, sizeof(address), "%s:%d/%d", cc->host, cc->port,
	    cc->unit_id);
	moved = ocppstore_adopt(o->st, identity, address, current, n, old,
	    sizeof(old));
	free(current);
	if (moved < 0)
		log_warnx("ocpp: %s: its earlier identity could not be looked "
		    "up", identity);
	else if (old[0] != '\0' && moved == 0)
		log_info("ocpp: charge point %s was %s: nothing was queued",
		    identity, old);
	else if (old[0] != '\0')
		master_event(m, SEV_WARNING, cc->name, "ocpp-identity-changed",
		    "charge point %s was %s: %d transaction messages queued "
		    "as %s are sent as %s", identity, old, moved, old,
		    identity);
}

static int
start_net(struct ocpp *o, uv_loop_t *loop)
{
	const struct master_config *mc = o->m->conf;
	struct ocppnet_cp_conf *cc = calloc((size_t)o->n + 1, sizeof(*cc));
	struct ocppnet_conf nc = { .security_profile =
	    mc->ocpp.security_profile, .ping_interval_s = mc->ocpp.ping_interval,
	    .ncp = o->n, .cp = cc, .on_event = on_net, .arg = o };
	int	 rc;

	if (cc == NULL)
		return -1;
	snprintf(nc.url, sizeof(nc.url), "%s", mc->ocpp.url);
	snprintf(nc.ca_file, sizeof(nc.ca_file), "%s", mc->ocpp.ca_file);
	for (int i = 0; i < o->n; i++) {
		snprintf(cc[i].identity, sizeof(cc[i].identity), "%s",
		    o->one[i].identity);
		snprintf(cc[i].password, sizeof(cc[i].password), "%s",
		    master_config_ocpp_password(mc, o->m->peers[o->one[i].peer].
		    cc));
	}
	rc = ocppnet_start(&o->net, &nc, loop);
	memset(cc, 0, (size_t)o->n * sizeof(*cc));	/* the passwords */
	free(cc);
	return rc;
}

int
ocpp_start(struct master *m, uv_loop_t *loop)
{
	const struct master_config *mc = m->conf;
	struct ocpp *o;
	struct ocpp_conf conf;
	char	 err[256];
	uint64_t seed = (uint64_t)clock_wall_ms();

	m->ocpp = NULL;
	if (!mc->ocpp.enabled)
		return 0;
	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->one = calloc((size_t)m->npeers + 1, sizeof(*o->one))) == NULL ||
	    (o->by_peer = calloc((size_t)m->npeers + 1, sizeof(int))) == NULL ||
	    (o->status = calloc((size_t)m->npeers + 1,
	    sizeof(*o->status))) == NULL)
		goto fail;
	o->m = m;
	o->npeers = m->npeers;
	uv_mutex_init(&o->mu);
	if (m->store != NULL && m->store->db != NULL &&
	    ocppstore_open(&o->st, m->store->path, loop, on_stored, o, err,
	    sizeof(err)) != 0) {
		log_warnx("ocpp: database: %s", err);
		goto fail;
	}
	conf_of(mc, &conf);
	for (int p = 0; p < m->npeers; p++) {
		struct ocpp_one *x = &o->one[o->n];

		o->by_peer[p] = -1;
		if (!m->peers[p].cc->ocpp)
			continue;
		o->by_peer[p] = o->n;
		x->o = o;
		x->index = o->n;
		x->peer = p;
		snprintf(x->identity, sizeof(x->identity), "%s",
		    master_config_ocpp_identity(m->peers[p].cc));
		ocppcore_init(&x->cp, &conf, &(struct ocpp_ops){ x, op_send,
		    op_store, op_act, o->st != NULL, op_profile }, seed);
		ocppcap_init(&x->cap, m, p, x->identity);
		if (o->st != NULL)
			adopt_old(o, p, x->identity);
		if (o->st != NULL && ocppstore_load(o->st, x->identity,
		    &x->cp) != 0)
			log_warnx("ocpp: %s: its records could not be read",
			    x->identity);
		snprintf(o->status[o->n].identity,
		    sizeof(o->status[o->n].identity), "%s", x->identity);
		o->n++;
	}
	if ((o->st != NULL && ocppstore_start(o->st) != 0) ||
	    start_net(o, loop) != 0)
		goto fail;
	uv_timer_init(loop, &o->timer);
	o->timer.data = o;
	uv_timer_start(&o->timer, on_tick, OCPP_TICK_MS, OCPP_TICK_MS);
	publish_status(o);
	m->ocpp = o;
	return 0;
fail:
	if (o != NULL) {
		ocppstore_close(o->st);
		for (int i = 0; i < o->n; i++)
			ocppcore_free(&o->one[i].cp);
		free(o->one);
		free(o->by_peer);
		free(o->status);
		free(o);
	}
	return -1;
}

static void
timer_closed(uv_handle_t *h)
{
	struct ocpp *o = h->data;

	for (int i = 0; i < o->n; i++)
		ocppcore_free(&o->one[i].cp);
	uv_mutex_destroy(&o->mu);
	free(o->one);
	free(o->by_peer);
	free(o->status);
	free(o);
}

void
ocpp_stop(struct master *m)
{
	struct ocpp *o = m->ocpp;

	if (o == NULL)
		return;
	m->ocpp = NULL;
	for (int i = 0; i < o->n; i++)
		ocppcap_stop(&o->one[i].cap);
	ocppnet_stop(o->net);
	/* what is queued reaches the disk before the thread ends */
	ocppstore_close(o->st);
	uv_timer_stop(&o->timer);
	uv_close((uv_handle_t *)&o->timer, timer_closed);
}
