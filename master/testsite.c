/*
 * testsite.c: the phase check in the master's loop. An installer starts
 * it on one connector (the API, through web_call); before each control
 * cycle its step (testmode.c) reads what the cycle reads and sets the
 * cycle's inputs: the test current for that connector, the others held
 * steady. Its start and its result are events; a restart or stop of
 * the master ends it with an event (it lives in memory only). One at a
 * time per site.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "charger.h"
#include "clock.h"
#include "cycle.h"
#include "master.h"
#include "siteapi.h"
#include "testsite.h"

static json_t *
amps(const int32_t v[EVG_PHASES])
{
	return json_pack("[f, f, f]", v[0] / 10.0, v[1] / 10.0, v[2] / 10.0);
}

static const char *
slot_charger(const struct site *s, size_t i)
{
	return s->m->peers[s->slot[i].peer].cc->name;
}

/* The connector the API names: "#id" as the connector commands (the
 * running charger's place), or -1. */
static int
test_slot(const struct site *s, int charger, int connector)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->slot[i].peer == charger - 1 &&
		    s->slot[i].k == connector - 1)
			return (int)i;
	return -1;
}

static enum testmode_car
car_of(const struct reg_conn *rc)
{
	if (rc->state == CS_AVAILABLE)
		return TESTMODE_CAR_NONE;
	if (rc->state == CS_WAIT_AUTH)
		return TESTMODE_CAR_WAIT_AUTH;
	if (rc->state == CS_FAULT || rc->state == CS_LOCKED)
		return TESTMODE_CAR_FAULT;
	return cycle_wants_current(rc) ? TESTMODE_CAR_READY :
	    TESTMODE_CAR_OTHER;
}

static void
ended(struct site *s)
{
	const struct testmode *t = &s->tm;
	char	 text[300];

	testmode_text(t, slot_charger(s, t->conn), s->slot[t->conn].k + 1,
	    text, sizeof(text));
	master_event(s->m, t->result.verdict == PHASECHECK_MISMATCH ?
	    SEV_WARNING : SEV_INFO, slot_charger(s, t->conn), "phase-check",
	    "%s", text);
}

void
testsite_cycle(struct site *s, uint64_t now)
{
	struct testmode *t = &s->tm;
	struct testmode_in in = { 0 };
	struct testmode_out out;
	const struct cycle_reading *r;
	size_t	 i = t->conn;

	for (size_t j = 0; j < s->n; j++) {
		s->op[j].test_da = 0;
		s->op[j].hold = false;
	}
	if (!testmode_running(t) || i >= s->n)
		return;
	r = &s->rd[i];
	in.online = r->online;
	in.car = car_of(&r->rc);
	in.paused = s->slot[i].op_paused ||
	    s->m->peers[s->slot[i].peer].link.retiring;
	/* offered: what the cycle wants and the charger says is in force
	 * (the car follows from then on) */
	in.offered_da = s->cy.told[i] < r->rc.setpoint_da ? s->cy.told[i] :
	    r->rc.setpoint_da;
	in.offered_hi_da = s->cy.told[i] > r->rc.setpoint_da ? s->cy.told[i] :
	    r->rc.setpoint_da;
	in.meter_ms = s->cy.meter_ms;
	in.sample.meter_online = s->cy.site.meter_online;
	in.sample.age_ms = s->cy.meter_ms == 0 || now < s->cy.meter_ms ?
	    UINT32_MAX : now - s->cy.meter_ms > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)(now - s->cy.meter_ms);
	in.sample.conn_ok = r->online;
	for (int p = 0; p < EVG_PHASES; p++) {
		in.sample.site_da[p] = s->cy.site.clamp_da[p];
		in.sample.conn_da[p] = r->rc.current_da[p];
		for (size_t j = 0; j < s->n; j++)
			if (j != i && s->rd[j].online)
				in.sample.others_da[p] +=
				    s->rd[j].rc.current_da[p];
	}
	testmode_step(t, &in, now, &out);
	if (out.ended)
		ended(s);
	if (!out.active)
		return;
	for (size_t j = 0; j < s->n; j++)
		s->op[j].hold = j != i && out.hold_others;
	s->op[i].test_da = out.offer_da;
	s->op[i].blocked = false;	/* an installer's test: no smart wait */
}

void
testsite_shutdown(struct site *s, bool restart, uint64_t now)
{
	struct testmode *t = &s->tm;

	if (!testmode_running(t) || t->conn >= s->n)
		return;
	testmode_stop(t, TESTMODE_END_RESTART, now);
	master_event(s->m, SEV_INFO, slot_charger(s, t->conn), "phase-check",
	    "phase check on connector %d ended by a %s of the master: "
	    "inconclusive; test again", s->slot[t->conn].k + 1, restart ?
	    "restart" : "stop");
}

/* Why a test cannot start on connector i now, or NULL (409). */
static const char *
not_now(const struct site *s, size_t i, char *buf, size_t len)
{
	const struct site_slot *sl = &s->slot[i];
	const struct peer *pe = &s->m->peers[sl->peer];
	const struct reg_conn *rc = &pe->link.conn[sl->k];

	if (testmode_running(&s->tm)) {
		snprintf(buf, len, "a phase check runs on connector %d of %s, "
		    "started by %s: wait for its end or stop it",
		    s->slot[s->tm.conn].k + 1, slot_charger(s, s->tm.conn),
		    s->tm_who);
		return buf;
	}
	if (!s->m->conf->meter.enabled)
		snprintf(buf, len, "the phase check reads the site's meter, and "
		    "none is set up: set it up under Metering first");
	else if (!s->cy.site.meter_online)
		snprintf(buf, len, "the meter is offline (%s): the phase check "
		    "needs its readings", s->mc.why[0] ? s->mc.why :
		    "no reading yet");
	else if (!pe->link.online)
		snprintf(buf, len, "%s is offline", pe->cc->name);
	else if (pe->link.retiring)
		snprintf(buf, len, "%s is being decommissioned", pe->cc->name);
	else if (sl->op_paused)
		snprintf(buf, len, "connector %d of %s is paused by %s: resume "
		    "it first", sl->k + 1, pe->cc->name, sl->paused_by);
	else if (rc->state == CS_FAULT || rc->state == CS_LOCKED)
		snprintf(buf, len, "connector %d of %s is %s", sl->k + 1,
		    pe->cc->name, conn_state_name((enum conn_state)rc->state));
	else
		return NULL;
	return buf;
}

/*
 * The test current against the connector: at most its maximum and its
 * charger's rating, at least TESTMODE_MIN_STEP_DA above its minimum (the
 * baseline); and against the supply: what each phase may carry for the
 * chargers now (the fuse less the building and the margin, or the group
 * limit). Every phase, not only the configured ones: the check exists
 * because the wiring may be other than configured, so the car may draw on
 * any of them (cycle.c counts the test current on all three the same
 * way). Returns the HTTP status (0: it fits) with the figures.
 */
static int
figures(const struct site *s, size_t i, int32_t da, int32_t *base,
    char *buf, size_t len)
{
	const struct site_slot *sl = &s->slot[i];
	const struct peer *pe = &s->m->peers[sl->peer];
	const struct charger_conf *cc = pe->cc;
	int32_t	 max = cc->conn[sl->k].max_current, min;
	int32_t	 rating = pe->link.conn[sl->k].max_da;
	const char *what = "its maximum";

	min = cc->conn[sl->k].min_current > ALLOC_MIN_DA ?
	    cc->conn[sl->k].min_current : ALLOC_MIN_DA;
	*base = min;
	if (rating >= ALLOC_MIN_DA && rating < max) {
		max = rating;
		what = "its charger's rating";
	}
	if (da > max) {
		snprintf(buf, len, "current: connector %d of %s may take at most "
		    "%d.%d A (%s): test at that or less", sl->k + 1, cc->name,
		    max / 10, max % 10, what);
		return 400;
	}
	if (da < min + TESTMODE_MIN_STEP_DA) {
		snprintf(buf, len, "current: at least %d.%d A: %d A above the "
		    "connector's minimum of %d.%d A, so that the rise shows",
		    (min + TESTMODE_MIN_STEP_DA) / 10,
		    (min + TESTMODE_MIN_STEP_DA) % 10, TESTMODE_MIN_STEP_DA / 10,
		    min / 10, min % 10);
		return 400;
	}
	for (int p = 0; p < EVG_PHASES; p++) {
		int32_t	 room = s->cy.out.hard_da[p];

		if (da <= room)
			continue;
		snprintf(buf, len, "L%d can carry %d.%d A for the chargers "
		    "now (site limit %d.%d A, building %d.%d A, margin %d.%d "
		    "A, group limit %d.%d A): a test at %d.%d A does not fit; "
		    "test at %d.%d A or less, or later", p + 1, room / 10, room % 10,
		    s->cy.site.site_limit_da / 10, s->cy.site.site_limit_da % 10,
		    s->cy.out.nonev_da[p] / 10, abs(s->cy.out.nonev_da[p] % 10),
		    s->cy.site.margin_da / 10, s->cy.site.margin_da % 10,
		    s->cy.site.group_limit_da / 10,
		    s->cy.site.group_limit_da % 10, da / 10, da % 10,
		    room / 10, room % 10);
		return 409;
	}
	return 0;
}

char *
sa_test_start(struct master *m, void *ctx)
{
	struct sa_test *q = ctx;
	struct site *s = &m->site;
	uint64_t now = clock_now_ms();
	const struct peer *pe;
	enum phase_conn conf, rep;
	char	 msg[400];
	int32_t	 base;
	int	 i, st;

	if ((i = test_slot(s, q->charger, q->connector)) < 0) {
		snprintf(msg, sizeof(msg), "no connector %d on charger %d",
		    q->connector, q->charger);
		return siteapi_error(404, "", msg);
	}
	if (not_now(s, (size_t)i, msg, sizeof(msg)) != NULL)
		return testmode_running(&s->tm) ?
		    siteapi_json(409, json_pack("{s:s, s:s}", "error", msg,
		    "who", s->tm_who)) : siteapi_error(409, "", msg);
	if ((st = figures(s, (size_t)i, q->current_da, &base, msg,
	    sizeof(msg))) != 0)
		return siteapi_error(st, "current", msg);
	pe = &m->peers[s->slot[i].peer];
	conf = (enum phase_conn)pe->cc->conn[s->slot[i].k].phase;
	rep = (enum phase_conn)pe->link.conn[s->slot[i].k].phase;
	if (rep < PHASE_L1 || rep > PHASE_L3L1L2)
		rep = conf;
	testmode_start(&s->tm, (size_t)i, q->current_da, base,
	    (unsigned)q->seconds, conf, rep, now);
	snprintf(s->tm_who, sizeof(s->tm_who), "%s", q->who);
	s->tm_wall_ms = clock_wall_ms();
	s->tm_seconds = q->seconds;
	master_event(m, SEV_INFO, pe->cc->name, "phase-check", "phase check "
	    "started on connector %d at %d.%d A for at most %d s by %s",
	    s->slot[i].k + 1, q->current_da / 10, q->current_da % 10,
	    q->seconds, q->who);
	master_write_now(m, site_allocate(s, now), now);
	master_publish_status(m);
	return sa_test_get(m, ctx);
}

static json_t *
result_json(const struct site *s)
{
	const struct testmode *t = &s->tm;
	const struct phasecheck_result *r = &t->result;
	static const char *const whys[] = { "", "no_meter", "no_charger",
	    "no_draw", "noise", "not_seen", "unexplained", "load_changed" };
	json_t	*cp = json_array(), *sp = json_array();
	char	 text[300];
	uint8_t	 site = r->fitted ? phasecheck_site_mask(r->fitted,
	    r->car_lines) : r->rose;

	for (int l = 0; l < EVG_PHASES; l++) {
		char	 name[16];

		snprintf(name, sizeof(name), "L%d", l + 1);
		if (r->car_lines >> l & 1)
			json_array_append_new(cp, json_string(name));
		if (site >> l & 1)
			json_array_append_new(sp, json_string(name));
	}
	testmode_text(t, slot_charger(s, t->conn), s->slot[t->conn].k + 1,
	    text, sizeof(text));
	return json_pack("{s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s, "
	    "s:o, s:o, s:b, s:[i, i, i]}",
	    "verdict", phasecheck_verdict_name(r->verdict),
	    "why", t->end == TESTMODE_END_NO_METER ? json_string("no_meter") :
	    t->end != TESTMODE_END_DECIDED ? json_string("ended_early") :
	    r->why == PHASECHECK_OK ? json_null() : json_string(whys[r->why]),
	    "text", text,
	    "rise_a", amps(r->rise_da), "fall_a", amps(r->fall_da),
	    "spread_a", amps(r->spread_da),
	    "car_a", amps(r->car_da), "car_phases", cp, "site_phases", sp,
	    "configured", phase_conn_name(t->configured),
	    "suggested", r->suggested ? json_string(phase_conn_name(
	    r->suggested)) : json_null(),
	    "fitted", r->fitted ? json_string(phase_conn_name(r->fitted)) :
	    json_null(), "rotation_shown", r->rotation_shown,
	    "readings", r->nbefore, r->nduring, r->nafter);
}

/* While it runs: what is offered, the site now, and each phase's rise
 * and the car's change per conductor against the baseline so far. */
static json_t *
live_json(const struct site *s, uint64_t now)
{
	const struct testmode *t = &s->tm;
	int32_t	 rise[EVG_PHASES], car[EVG_PHASES];
	bool	 have = testmode_live(t, rise, car);

	return json_pack("{s:f, s:I, s:o, s:o, s:o}",
	    "offer", s->cy.told[t->conn] / 10.0,
	    "elapsed_s", (json_int_t)((now - t->started_ms) / 1000),
	    "site_a", t->have_last ? amps(t->last.site_da) : json_null(),
	    "rise_a", have ? amps(rise) : json_null(),
	    "car_a", have ? amps(car) : json_null());
}

char *
sa_test_get(struct master *m, void *ctx)
{
	struct sa_test *q = ctx;
	const struct site *s = &m->site;
	const struct testmode *t = &s->tm;
	json_t	*j;
	int	 i;
	bool	 here;

	if ((i = test_slot(s, q->charger, q->connector)) < 0) {
		char	 msg[80];

		snprintf(msg, sizeof(msg), "no connector %d on charger %d",
		    q->connector, q->charger);
		return siteapi_error(404, "", msg);
	}
	here = t->state != TESTMODE_IDLE && t->conn == (size_t)i;
	j = json_pack("{s:s, s:s, s:i, s:o}", "state", here ?
	    testmode_state_name(t->state) : "idle", "charger",
	    slot_charger(s, (size_t)i), "connector", q->connector,
	    "result", here && t->have_result ? result_json(s) : json_null());
	if (here) {
		json_object_set_new(j, "who", json_string(s->tm_who));
		json_object_set_new(j, "current", json_real(t->test_da / 10.0));
		json_object_set_new(j, "seconds", json_integer(s->tm_seconds));
		json_object_set_new(j, "started_ms",
		    json_integer(s->tm_wall_ms));
		if (testmode_running(t))
			json_object_set_new(j, "live", live_json(s,
			    clock_now_ms()));
	} else if (testmode_running(t))
		json_object_set_new(j, "busy", json_pack("{s:s, s:i, s:s}",
		    "charger", slot_charger(s, t->conn), "connector",
		    s->slot[t->conn].k + 1, "who", s->tm_who));
	return siteapi_json(200, j);
}

char *
sa_test_stop(struct master *m, void *ctx)
{
	struct sa_test *q = ctx;
	struct site *s = &m->site;
	uint64_t now = clock_now_ms();
	int	 i;

	if ((i = test_slot(s, q->charger, q->connector)) < 0 ||
	    !testmode_running(&s->tm) || s->tm.conn != (size_t)i) {
		char	 msg[120];

		snprintf(msg, sizeof(msg), "no phase check runs on connector %d "
		    "of charger %d", q->connector, q->charger);
		return siteapi_error(409, "", msg);
	}
	testmode_stop(&s->tm, TESTMODE_END_STOPPED, now);
	master_event(m, SEV_INFO, slot_charger(s, (size_t)i), "phase-check",
	    "phase check on connector %d stopped by %s", q->connector, q->who);
	master_write_now(m, site_allocate(s, now), now);
	master_publish_status(m);
	return sa_test_get(m, ctx);
}
