/*
 * alarms.c: the site's active alarms, from the state of its links, its
 * connectors and its meters: chargers offline or in fault, the meter
 * offline, a circuit's meter offline, writes a charger refuses, a phase
 * (of the supply or a metered circuit) above its limit, connector limits
 * above what the charger says it is rated for, chargers whose
 * authorisation mode is not the master's. Once a cycle the book
 * (alarmbook.c) says which are new and which cleared: recorded, and sent
 * to the webhook.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "charger.h"
#include "alarms.h"
#include "master.h"
#include "text.h"

struct collect {
	struct alarm	*a;
	int		 max, n;
};

static struct alarm *
add(struct collect *c, int severity, const char *code, const char *source,
    int connector, int64_t since_ms)
{
	struct alarm *a;

	if (c->n++ >= c->max)
		return NULL;
	a = &c->a[c->n - 1];
	a->severity = severity;
	snprintf(a->code, sizeof(a->code), "%s", code);
	snprintf(a->source, sizeof(a->source), "%s", source);
	a->connector = connector;
	a->since_ms = since_ms;
	a->text[0] = '\0';
	return a;
}

/* Each charger's refused writes, while they last. */
static void
refused(struct collect *c, const struct peer *pe, uint64_t now, int64_t wall)
{
	for (int st = 0; st < STEP_DONE; st++) {
		const struct link_refusal *r = &pe->link.refusal[st];
		char	 what[64], why[160];
		struct alarm *a;
		int	 conn = r->addr / REGMAP_CONN_BASE;

		if (!r->active)
			continue;
		a = add(c, SEV_WARNING, "write-refused", pe->cc->name, conn,
		    wall - (int64_t)(now - r->since_ms));
		if (a == NULL)
			continue;
		link_write_name(r->addr, r->val, what, sizeof(what));
		link_refusal_why(r->addr, r->val, r->exc, &r->conn, why,
		    sizeof(why));
		snprintf(a->text, sizeof(a->text), "%s refuses %s: %s",
		    pe->cc->name, what, why);
	}
}

/* A charger that does not answer (once it has had offline_after polls
 * to, so that a start raises nothing), or a connector of it in fault
 * (the unit's own fault status is a connector's latched PEN fault). */
static void
charger_down(struct collect *c, const struct peer *pe, int offline_after)
{
	struct alarm *a;

	if (pe->link.retiring)
		return;
	if (!pe->link.online) {
		if ((pe->link.ever_online || pe->link.failures >=
		    offline_after) && (a = add(c, SEV_ALARM, "charger-offline",
		    pe->cc->name, 0, 0)) != NULL)
			snprintf(a->text, sizeof(a->text), "%s (%s:%d) does not "
			    "answer: it applies its fallback current until it "
			    "hears from the appliance again", pe->cc->name,
			    pe->cc->host, pe->cc->port);
		return;
	}
	for (int k = 0; k < pe->link.nconn && k < REGMAP_MAX_CONN; k++) {
		const struct reg_conn *rc = &pe->link.conn[k];
		char	 what[96] = "";

		if (rc->state != CS_FAULT && rc->faults == 0)
			continue;
		for (int f = 0; f < F_COUNT; f++)
			if (rc->faults & (1u << f))
				snprintf(what + strlen(what), sizeof(what) -
				    strlen(what), "%s%s", what[0] ? ", " : "",
				    fault_name((enum fault)f));
		if ((a = add(c, SEV_ALARM, "charger-fault", pe->cc->name, k + 1,
		    0)) != NULL)
			snprintf(a->text, sizeof(a->text), "%s connector %d is in "
			    "fault (%s): reset it once the cause is fixed",
			    pe->cc->name, k + 1, what[0] ? what : "no reason "
			    "given");
	}
}

/* The meter, once it has been judged offline (not before its first
 * reading: the start raises nothing). */
static void
meter_down(struct collect *c, const struct site *s)
{
	struct alarm *a;

	if (!s->meter_running || s->mc.online || (s->mc.readings == 0 &&
	    s->mc.faults < s->mp.offline_after))
		return;
	if ((a = add(c, SEV_ALARM, "meter-offline", "meter", 0, 0)) != NULL)
		snprintf(a->text, sizeof(a->text), "the meter is offline (%s): "
		    "the chargers share %d.%d A per phase until it is back",
		    s->mc.why[0] ? s->mc.why : "no reading",
		    s->cy.site.offline_limit_da / 10,
		    s->cy.site.offline_limit_da % 10);
}

/* A circuit's meter, once judged offline, and a circuit's phases over
 * its limit less its margin for longer than a car takes to follow (its
 * meter's measure: metered circuits only). */
static void
circuits_down(struct collect *c, const struct site *s, uint64_t now,
    int64_t wall)
{
	for (int k = 0; k < s->ncirc; k++) {
		const struct site_circuit *sc = &s->circ[k];
		const struct alloc_circuit *ac = &s->acirc[k];
		int32_t	 meas[EVG_PHASES], bld[EVG_PHASES];
		struct alarm *a;

		if (sc->running && !sc->mc.online && (sc->mc.readings > 0 ||
		    sc->mc.faults >= sc->mp.offline_after) &&
		    (a = add(c, SEV_ALARM, "circuit-meter-offline", sc->name,
		    0, 0)) != NULL)
			snprintf(a->text, sizeof(a->text), "the meter of circuit "
			    "%s is offline (%s): its chargers share %d.%d A per "
			    "phase until it is back", sc->name, sc->mc.why[0] ?
			    sc->mc.why : "no reading", ac->offline_limit_da / 10,
			    ac->offline_limit_da % 10);
		if (!site_circuit_measured(s, k + 1, meas, bld))
			continue;
		for (int p = 0; p < EVG_PHASES; p++) {
			int32_t	 lim = ac->limit_da - ac->margin_da;

			if (!(sc->over & (1u << p)) || (a = add(c, SEV_ALARM,
			    "circuit-over-limit", sc->name, p + 1, wall -
			    (int64_t)(now - sc->over_since_ms[p]))) == NULL)
				continue;
			snprintf(a->text, sizeof(a->text), "circuit %s L%d: %d.%d "
			    "A measured, above the %d.%d A in force for more "
			    "than %d s (its limit %d.%d A)", sc->name, p + 1,
			    meas[p] / 10, abs(meas[p] % 10), lim / 10,
			    abs(lim % 10), ALARM_OVER_MS / 1000,
			    ac->limit_da / 10, ac->limit_da % 10);
		}
	}
}

/* Each metered circuit's phases against its limit less its margin
 * (alarm_over), once a cycle. */
static void
circuits_over(struct site *s, uint64_t now)
{
	for (int k = 0; k < s->ncirc; k++) {
		struct site_circuit *sc = &s->circ[k];
		int32_t	 meas[EVG_PHASES], bld[EVG_PHASES], lim[EVG_PHASES];

		if (!site_circuit_measured(s, k + 1, meas, bld)) {
			/* no measure: nothing over, nothing since */
			memset(sc->over_since_ms, 0, sizeof(sc->over_since_ms));
			sc->over = 0;
			continue;
		}
		for (int p = 0; p < EVG_PHASES; p++)
			lim[p] = s->acirc[k].limit_da - s->acirc[k].margin_da;
		sc->over = alarm_over(sc->over_since_ms, meas, lim, now);
	}
}

/* Phases above the limit in force for longer than a car takes to
 * follow (over: a bit per phase, from alarm_over). */
static void
over_limit(struct collect *c, const struct site *s, unsigned over,
    const uint64_t since[EVG_PHASES], uint64_t now, int64_t wall)
{
	int32_t	 lim[EVG_PHASES], meas[EVG_PHASES];

	site_limit_in_force(s, lim, meas);
	for (int p = 0; p < EVG_PHASES; p++) {
		struct alarm *a;

		if (!(over & (1u << p)) || (a = add(c, SEV_ALARM, "over-limit",
		    "site", p + 1, wall - (int64_t)(now - since[p]))) == NULL)
			continue;
		snprintf(a->text, sizeof(a->text), "L%d: %d.%d A measured, above "
		    "the %d.%d A in force for more than %d s (main fuse %d.%d "
		    "A)", p + 1, meas[p] / 10, abs(meas[p] % 10), lim[p] / 10,
		    abs(lim[p] % 10), ALARM_OVER_MS / 1000,
		    s->cy.site.site_limit_da / 10, s->cy.site.site_limit_da % 10);
	}
}

int
alarms_collect(const struct site *s, uint64_t now, int64_t wall,
    struct alarm *out, int max, int *total)
{
	const struct master *m = s->m;
	struct collect c = { out, max, 0 };

	meter_down(&c, s);
	circuits_down(&c, s, now, wall);
	if (m->book != NULL)
		over_limit(&c, s, m->book->over, m->book->over_since_ms, now,
		    wall);
	for (int i = 0; i < m->npeers; i++) {
		const struct peer *pe = &m->peers[i];
		struct alarm *a;

		charger_down(&c, pe, m->conf->site.offline_after);
		refused(&c, pe, now, wall);
		/* A charger of register map 1 cannot be told the mode: on an
		 * RFID site, one left in free mode charges cars with no tag. */
		if (m->conf->site.authorisation && pe->link.ever_online &&
		    pe->link.unit.map_version < LINK_MAP_AUTH &&
		    (a = add(&c, SEV_WARNING, "authorisation-unknown",
		    pe->cc->name, 0, 0)) != NULL)
			snprintf(a->text, sizeof(a->text), "%s (register map "
			    "v%u) cannot be set to remote authorisation by the "
			    "appliance: set its unit.authorisation to remote, or "
			    "cars charge there without a tag", pe->cc->name,
			    pe->link.unit.map_version);
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct peer *pe = &m->peers[s->slot[i].peer];
		const struct reg_conn *rc = &pe->link.conn[s->slot[i].k];
		int	 k = s->slot[i].k;
		int32_t	 set = pe->cc->conn[k].max_current;
		struct alarm *a;

		/* The allocator keeps to the charger's rating (cycle.c);
		 * the setting saying more is still wrong. */
		if (!pe->link.ever_online || rc->max_da == 0 ||
		    set <= rc->max_da)
			continue;
		if ((a = add(&c, SEV_WARNING, "above-rating", pe->cc->name,
		    k + 1, 0)) != NULL)
			snprintf(a->text, sizeof(a->text), "%s connector %d is "
			    "set to %d.%d A, but the charger is rated %u.%u A: "
			    "it gets %u.%u A at most (lower the setting)",
			    pe->cc->name, k + 1, set / 10, set % 10,
			    rc->max_da / 10, rc->max_da % 10, rc->max_da / 10,
			    rc->max_da % 10);
	}
	*total = c.n;
	return c.n < max ? c.n : max;
}

/* --- once a cycle: the book, the records, the webhook -------------------- */

static const char *
severity_name(int sev)
{
	return sev >= SEV_ALARM ? "alarm" : sev == SEV_WARNING ? "warning" :
	    "info";
}

static void
iso_time(char *buf, size_t len, int64_t ms)
{
	time_t	 t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%s", "");
}

/*
 * The webhook's JSON body for an alarm (docs/api.md, "Webhooks"): state
 * is raised, cleared or test. NULL when out of memory.
 */
char *
alarms_hook_body(const char *site, const struct alarm *a, const char *state,
    int64_t wall)
{
	char	 since[32];
	json_t	*j;
	char	*t;

	iso_time(since, sizeof(since), a->since_ms);
	j = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:s, s:I, "
	    "s:I}", "site", site, "state", state, "code", a->code, "source",
	    a->source, "connector", a->connector, "severity",
	    severity_name(a->severity), "severity_level", a->severity, "text",
	    a->text, "since", since, "since_ms", (json_int_t)a->since_ms,
	    "time_ms", (json_int_t)wall);
	if (j != NULL && a->ack_by[0] != '\0') {
		json_object_set_new(j, "ack_by", json_string(a->ack_by));
		json_object_set_new(j, "ack_ms", json_integer(a->ack_ms));
	}
	t = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	return t;
}

struct step_ctx {
	struct master	*m;
	int64_t		 wall;
};

static void
store_alarm(struct master *m, enum store_kind kind, const struct alarm *a,
    int64_t wall)
{
	struct store_rec r = { .kind = kind, .wall_ms = wall };

	snprintf(r.u.al.code, sizeof(r.u.al.code), "%s", a->code);
	snprintf(r.u.al.source, sizeof(r.u.al.source), "%s", a->source);
	r.u.al.connector = a->connector;
	r.u.al.severity = a->severity;
	text_escape(r.u.al.text, sizeof(r.u.al.text), a->text);
	r.u.al.since_ms = a->since_ms;
	snprintf(r.u.al.by, sizeof(r.u.al.by), "%s", a->ack_by);
	r.u.al.ack_ms = a->ack_ms;
	store_put(m->store, &r);
}

static void
changed(void *arg, enum alarm_change ch, const struct alarm *a)
{
	struct step_ctx *x = arg;
	struct master *m = x->m;
	const struct master_config *mc = m->conf;
	char	 what[96], *body;

	store_alarm(m, ch == ALARM_RAISED ? STORE_ALARM_RAISE :
	    STORE_ALARM_CLEAR, a, x->wall);
	MLOG(m, LOG_INFO, "alarm %s: %s %s %d: %s", ch == ALARM_RAISED ?
	    "raised" : "cleared", a->code, a->source, a->connector, a->text);
	if (mc->alarms.webhook_url[0] == '\0' || (ch == ALARM_CLEARED &&
	    !mc->alarms.webhook_cleared))
		return;
	if ((body = alarms_hook_body(mc->site.name, a, ch == ALARM_RAISED ?
	    "raised" : "cleared", x->wall)) == NULL)
		return;
	snprintf(what, sizeof(what), "%s %s of %s%s", ch == ALARM_RAISED ?
	    "raised" : "cleared", a->code, a->source, a->connector == 0 ? "" :
	    a->connector == 1 ? " 1" : " 2");
	(void)webhook_send(&m->hook, mc->alarms.webhook_url,
	    mc->alarms.webhook_token, body, what);
	free(body);
}

/* What the webhook's thread could not deliver: warnings. */
static void
hook_news(struct master *m)
{
	struct hook_result r[HOOK_RESULTS_MAX];
	uint64_t dropped;
	int	 n = webhook_results(&m->hook, r, HOOK_RESULTS_MAX, &dropped);

	char	 url[HOOK_URL_LEN];

	hook_url_shown(m->conf->alarms.webhook_url, url, sizeof(url));
	for (int i = 0; i < n; i++)
		master_event(m, SEV_WARNING, "webhook", "webhook-failed",
		    "alarm (%s) not delivered to %s after %d attempts: %s",
		    r[i].what, url, r[i].attempts, r[i].error);
	if (dropped > 0)
		master_event(m, SEV_WARNING, "webhook", "webhook-dropped",
		    "%llu alarm delivery(ies) dropped: %d were already "
		    "waiting for the receiver", (unsigned long long)dropped,
		    HOOK_QUEUE_MAX);
}

/*
 * Once a cycle, in the loop: the alarms now against the book; those
 * raised and cleared recorded and sent to the webhook.
 */
void
alarms_step(struct master *m, uint64_t now, int64_t wall)
{
	struct site *s = &m->site;
	struct step_ctx x = { m, wall };
	struct alarm *cur;
	int32_t	 lim[EVG_PHASES], meas[EVG_PHASES];
	int	 n, total;

	if (m->book == NULL)
		return;
	site_limit_in_force(s, lim, meas);
	/* without a reading of the cars or the meter, nothing to judge */
	if (s->cy.cycles > 0)
		m->book->over = alarm_over(m->book->over_since_ms, meas, lim,
		    now);
	if (s->cy.cycles > 0)
		circuits_over(s, now);
	if ((cur = malloc(ALARM_BOOK_MAX * sizeof(*cur))) == NULL)
		return;
	n = alarms_collect(s, now, wall, cur, ALARM_BOOK_MAX, &total);
	alarmbook_update(m->book, cur, n, wall, now, changed, &x);
	m->book->untracked += total - n;
	free(cur);
	hook_news(m);
}

struct load_ctx {
	struct master	*m;
	uint64_t	 now;
};

static int
load_row(void *arg, int ncol, const char *const *c)
{
	struct load_ctx *x = arg;
	struct alarm a = { 0 };

	if (ncol != 8)
		return 0;
	if (c[0] == NULL || c[1] == NULL || c[4] == NULL || c[5] == NULL)
		return 0;
	snprintf(a.code, sizeof(a.code), "%s", c[0]);
	snprintf(a.source, sizeof(a.source), "%s", c[1]);
	a.connector = c[2] ? atoi(c[2]) : 0;
	a.severity = c[3] ? atoi(c[3]) : SEV_ALARM;
	snprintf(a.text, sizeof(a.text), "%s", c[4]);
	a.since_ms = strtoll(c[5], NULL, 10);
	snprintf(a.ack_by, sizeof(a.ack_by), "%s", c[6] ? c[6] : "");
	a.ack_ms = c[7] ? strtoll(c[7], NULL, 10) : 0;
	alarmbook_restore(x->m->book, &a, x->now);
	return 0;
}

/* The alarms open when the appliance stopped, with who acknowledged
 * them (before the store's writer starts). */
void
alarms_load(struct master *m, uint64_t now)
{
	struct load_ctx x = { m, now };

	if (m->book == NULL)
		return;
	(void)store_select(m->store, "SELECT code, source, connector, "
	    "severity, text, since_ms, ack_by, ack_ms FROM alarms WHERE "
	    "cleared_ms IS NULL ORDER BY id", load_row, &x);
}
