/*
 * site.c: the site in the master's loop. Each allocation takes what the
 * chargers reported at their last poll and what the meter last read,
 * runs the allocator and the planner, gives each charger's link the
 * setpoints to write, and returns the chargers whose cut must be written
 * at once, not at their next poll: the loop (master.c, link.c) polls
 * them. Also the status, and operators' commands.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>

#include "charger.h"
#include "clock.h"
#include "cycle.h"
#include "led.h"
#include "master.h"
#include "ocpp.h"
#include "site.h"
#include "siteapi.h"
#include "strnum.h"
#include "testsite.h"
#include "text.h"

static void meter_news(struct site *, unsigned, const struct meter_reading *);

static uint32_t
random_u32(void)
{
	uint32_t r = 0;

	/* Never blocks once the kernel's pool is ready (early boot only). */
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)clock_now_ms() * 2654435761u;
	return r;
}

/*
 * RFID authorisation: a tag swiped at a connector waiting for
 * authorisation is looked up once; a whitelisted, enabled, unexpired tag
 * authorises the connector, any other is refused with an event.
 *
 * A swipe is used at most once, for the wait it was made for. The
 * charger's rfid_tag register holds the tag of the current or last
 * session until the car leaves (docs/protocol.md), with no swipe counter
 * or time: after a session ended (a fault and its reset, a stop) the car
 * waits again with the old tag still there. So a tag is a swipe only when
 * this master saw it appear (from empty or from another tag); a tag seen
 * in a session is used. A tag already there at the first reading after
 * the master started (a restart) has an unknown age: it may be the swipe
 * of a session that a fault ended. Worst case, refused: the driver swipes
 * again (another card, or re-plugs) or an operator authorises; never a
 * car charged on a swipe made for another session.
 */
static bool
in_session(uint16_t state)
{
	return state == CS_AUTH_WAIT_CAR || state == CS_CHARGING ||
	    state == CS_NO_CURRENT || state == CS_SUSPENDED_EV;
}

static void
rfid_decide(struct site *s, size_t i, struct peer *pe, const struct reg_conn *rc)
{
	struct site_slot *sl = &s->slot[i];
	const struct rfid_entry *e;
	int64_t	 wall = (int64_t)time(NULL) * 1000;
	const char *why = NULL;
	bool	 first = !sl->rfid_looked;
	int	 auth = s->m->conf->site.authorisation;

	sl->rfid_looked = true;
	if (rc->tag[0] == '\0') {
		sl->rfid_seen[0] = '\0';	/* the same tag may come again */
		return;
	}
	if (strcmp(sl->rfid_seen, rc->tag) == 0)
		return;
	if (!first && rc->state != CS_WAIT_AUTH && !in_session(rc->state))
		return;	/* swiped before the car came, or during a fault */
	if (first || rc->state != CS_WAIT_AUTH) {
		/* Of unknown age, or used by a session: not a swipe. */
		snprintf(sl->rfid_seen, sizeof(sl->rfid_seen), "%s", rc->tag);
		if (first && rc->state == CS_WAIT_AUTH)
			master_event(s->m, SEV_WARNING, pe->cc->name,
			    "rfid-refused", "RFID %s refused at connector %d: "
			    "swiped before the master started, swipe again",
			    rc->tag, sl->k + 1);
		return;
	}
	snprintf(sl->rfid_seen, sizeof(sl->rfid_seen), "%s", rc->tag);
	e = rfid_lookup(s->m, rc->tag);
	if (e == NULL)
		why = "unknown tag";
	else if (strcmp(rfid_status(e, wall), "disabled") == 0)
		why = "tag disabled";
	else if (strcmp(rfid_status(e, wall), "expired") == 0)
		why = "tag expired";
	/* csms: the CSMS decides; rfid+csms: the whitelist first, then the
	 * CSMS for a tag not on it. A tag the whitelist has but refuses
	 * (disabled, expired: a lost card) stays refused, the CSMS is not
	 * asked (docs/ocpp.md, Authorisation) */
	if (auth == SITE_AUTH_CSMS || (auth == SITE_AUTH_RFID_CSMS &&
	    e == NULL)) {
		if (ocpp_authorize(s->m->ocpp, sl->peer, sl->k + 1, rc->tag))
			return;
		why = "this charger is not a charge point of the CSMS";
	}
	if (why != NULL) {
		master_event(s->m, SEV_WARNING, pe->cc->name, "rfid-refused",
		    "RFID %s refused at connector %d: %s", rc->tag, sl->k + 1,
		    why);
		return;
	}
	pe->link.cmd[sl->k] = REGMAP_CMD_AUTHORISE;
	master_event(s->m, SEV_INFO, pe->cc->name, "rfid-accepted", "RFID %s "
	    "(%s) authorised connector %d", rc->tag, e->name, sl->k + 1);
}

/*
 * The setpoint the charger refused, when it is still the one we want and
 * not in force (the link writes it again at every poll); 0: none. The
 * link keeps each write step's refusal while it lasts (linkcore.c).
 */
static int32_t
refused_setpoint(const struct link_peer *l, int k)
{
	const struct link_refusal *r = &l->refusal[STEP_SETPOINT1 + k];

	if (!r->active || r->addr != REGMAP_CONN_BASE * (k + 1) ||
	    r->val != l->want_da[k] || l->conn[k].setpoint_da == r->val)
		return 0;
	return r->val;
}

int
site_ocpp_cap_set(struct site *s, int charger, int connector, int32_t cap_da)
{
	size_t	 lo = 0, hi = s->n;
	int	 found = -1;

	if (cap_da < 0)
		return -1;
	/* slot[] is in the chargers' order: the charger's first slot */
	while (lo < hi) {
		size_t	 mid = lo + (hi - lo) / 2;

		if (s->slot[mid].peer < charger)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < s->n && s->slot[i].peer == charger; i++) {
		if (connector == 0) {
			s->slot[i].ocpp_charger_da = cap_da;
			found = 0;
		} else if (s->slot[i].k == connector - 1) {
			s->slot[i].ocpp_conn_da = cap_da;
			found = 0;
		}
	}
	return found;
}

/* Each connector's OCPP cap for this cycle: its own, and its share of its
 * charger's total among the charger's connectors that want current (a
 * charger's connectors are next to each other in slot[]). */
static void
ocpp_caps(struct site *s)
{
	for (size_t i = 0, j; i < s->n; i = j) {
		int	 wanting = 0;

		for (j = i; j < s->n && s->slot[j].peer == s->slot[i].peer; j++)
			wanting += s->rd[j].online &&
			    cycle_wants_current(&s->rd[j].rc) &&
			    !s->op[j].paused && !s->op[j].blocked;
		for (size_t k = i; k < j; k++) {
			int32_t	 cap = cycle_ocpp_cap(s->slot[k].ocpp_conn_da,
			    s->slot[k].ocpp_charger_da, wanting);

			s->op[k].capped = cap != INT32_MAX;
			s->op[k].cap_da = cap;
		}
	}
}

/* What each connector's charger last said, and what operators and the
 * smart-charging rules ask of it: the control cycle's inputs. */
static void
gather(struct site *s, uint64_t now)
{
	struct master *m = s->m;
	time_t	 wall = time(NULL);
	struct tm lt;
	int	 wday, second;

	localtime_r(&wall, &lt);
	wday = (lt.tm_wday + 6) % 7;	/* smart.h: 0 is Monday */
	second = lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec;

	/* The clamps as of the reading handed over (site_round_done). */
	if (!s->mc.online)
		s->meter_given = false;
	s->cy.site.meter_online = s->mc.online && s->meter_given;
	for (size_t i = 0; i < s->n; i++) {
		struct peer *pe = &m->peers[s->slot[i].peer];
		const struct charger_conf *cc = pe->cc;
		const struct reg_conn *rc = &pe->link.conn[s->slot[i].k];
		struct cycle_reading *r = &s->rd[i];
		struct cycle_op *op = &s->op[i];
		int	 k = s->slot[i].k;

		s->conf[i] = (struct cycle_conf){
			(enum phase_conn)cc->conn[k].phase,
			cc->conn[k].min_current, cc->conn[k].max_current,
			cc->conn[k].priority, (uint8_t)cc->circuit_id,
		};
		r->online = pe->link.online;
		r->heard = pe->link.ever_online;
		r->fallback_known = pe->link.fallback_known;
		r->fallback_da = pe->link.fallback_da;
		r->fallback_s = pe->link.fallback_s;
		r->read_ms = pe->link.last_ok_ms;
		r->taken_ms = pe->link.taken_ms;
		r->may_force_da = pe->link.may_force_da[k];
		r->rc = *rc;
		/* a charger decommissioned gets nothing any more */
		op->paused = s->slot[i].op_paused || pe->link.retiring;
		op->retired = pe->link.retiring;
		/* Smart charging: no-charge periods and random delays. */
		op->blocked = r->online && cycle_wants_current(rc) &&
		    !op->paused && !smart_allows(&m->conf->smart,
		    &s->slot[i].smart, rc->session_no, wday, second / 60, now,
		    random_u32());
		op->blocked_why = s->slot[i].smart.block == SMART_PERIOD ?
		    REASON_SMART_PERIOD : REASON_SMART_DELAY;
		op->blocked_until_ms = op->blocked ? smart_until(
		    &m->conf->smart, &s->slot[i].smart, wday, second, now) : 0;
		op->refused_da = r->online ? refused_setpoint(&pe->link, k) : 0;
		s->slot[i].smart_blocked = op->blocked;
		if (m->conf->site.authorisation != SITE_AUTH_FREE &&
		    pe->link.online)
			rfid_decide(s, i, pe, rc);
	}
	ocpp_caps(s);
}

/* A circuit whose phase now carries less than what is offered on it (its
 * board's load rose, its meter went silent, its limit was lowered): the
 * cut is made this cycle. */
static void
circuit_overload_news(struct site *s, uint64_t bits)
{
	for (int id = 1; bits != 0 && id <= s->ncirc; id++) {
		const int32_t *h = s->cy.out.c_hard_da[id];

		if (!(bits & (uint64_t)1 << id))
			continue;
		master_event(s->m, SEV_WARNING, s->circ[id - 1].name,
		    "overload-cut", "circuit %s: available fell to L1 %d.%d A, "
		    "L2 %d.%d A, L3 %d.%d A, below what was offered: the cut is "
		    "made now", s->circ[id - 1].name, h[0] / 10, h[0] % 10,
		    h[1] / 10, h[1] % 10, h[2] / 10, h[2] % 10);
	}
}

/*
 * An allocation with what the chargers and the meter last said. Returns
 * what must be written at once (the cuts, against what each charger was
 * told or says is in force); the caller polls those chargers out of turn
 * (master_write_now), the rest is written at their next poll.
 */
const struct site_writes *
site_allocate(struct site *s, uint64_t now)
{
	struct master *m = s->m;
	struct cycle_out out;

	/* A meter whose readings stopped arriving: its last one is too old
	 * to stand for the building now (ARCHITECTURE.md invariant 4). */
	if (s->meter_running)
		meter_news(s, meter_core_age(&s->mc, &s->mp, now), NULL);
	gather(s, now);
	site_circuits_cycle(s, now, clock_wall_ms());
	testsite_cycle(s, now);
	cycle_run(&s->cy, s->conf, s->rd, s->op, now, &out);
	/* An overload: a phase now carries less than what is offered on it
	 * (the building took more, the meter went silent, an operator
	 * lowered the limit). The cut is made this cycle. And a circuit's. */
	circuit_overload_news(s, out.overload_circuits);
	for (int p = 0; p < EVG_PHASES; p++)
		if (out.overload[p])
			master_event(m, SEV_WARNING, "site", "overload-cut",
			    "L%d: available fell from %d.%d A to %d.%d A, %d.%d A "
			    "was offered: %d connector(s) cut", p + 1,
			    out.before_da[p] / 10, out.before_da[p] % 10,
			    s->cy.out.hard_da[p] / 10, s->cy.out.hard_da[p] % 10,
			    out.offered_da[p] / 10, out.offered_da[p] % 10,
			    out.cut);
	s->writes.n = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct peer *pe = &m->peers[s->slot[i].peer];

		pe->link.want_da[s->slot[i].k] = (uint16_t)out.setpoint[i];
		if (out.write_now[i])
			s->writes.peer[s->writes.n++] = s->slot[i].peer;
	}
	return &s->writes;
}

/* One minute of the site: min, average and max per phase, and the cars'
 * average; written when the minute is over. */
static void
history_add(struct site *s, const struct meter_reading *r)
{
	int64_t	 minute = (int64_t)time(NULL) / 60;
	struct site_minute *h = &s->minute;

	if (h->n > 0 && minute != h->minute) {
		struct store_rec rec = { .kind = STORE_HISTORY };

		rec.u.h.minute = h->minute;
		for (int p = 0; p < EVG_PHASES; p++) {
			rec.u.h.min_da[p] = h->min[p];
			rec.u.h.max_da[p] = h->max[p];
			rec.u.h.avg_da[p] = (int32_t)(h->sum[p] / h->n);
			rec.u.h.ev_da[p] = (int32_t)(h->ev[p] / h->n);
		}
		store_put(s->m->store, &rec);
		h->n = 0;
	}
	if (h->n == 0) {
		h->minute = minute;
		memset(h->sum, 0, sizeof(h->sum));
		memset(h->ev, 0, sizeof(h->ev));
	}
	for (int p = 0; p < EVG_PHASES; p++) {
		int32_t ev = 0;

		for (size_t i = 0; i < s->n; i++)
			ev += s->cy.ac[i].draw_da[p];
		if (h->n == 0 || r->current_da[p] < h->min[p])
			h->min[p] = r->current_da[p];
		if (h->n == 0 || r->current_da[p] > h->max[p])
			h->max[p] = r->current_da[p];
		h->sum[p] += r->current_da[p];
		h->ev[p] += ev;
	}
	h->n++;
}

static void
meter_news(struct site *s, unsigned news, const struct meter_reading *r)
{
	struct master *m = s->m;

	if (news & METER_WENT_ONLINE)
		master_event(m, SEV_INFO, "meter", "online", "online (L1 %d.%d "
		    "A, L2 %d.%d A, L3 %d.%d A)", r->current_da[0] / 10,
		    abs(r->current_da[0] % 10), r->current_da[1] / 10,
		    abs(r->current_da[1] % 10), r->current_da[2] / 10,
		    abs(r->current_da[2] % 10));
	if (news & METER_WENT_OFFLINE)
		master_event(m, SEV_ALARM, "meter", "offline", "offline after "
		    "%d faulty readings: %s; %d.%d A per phase for the chargers "
		    "until it is back", s->mp.offline_after, s->mc.why,
		    s->cy.site.offline_limit_da / 10, s->cy.site.offline_limit_da % 10);
}

/*
 * A meter reading, or why there was none: judged, its news told, the
 * minute's history kept. A good one waits for the chargers' round
 * (site_round_done); the loop decides when that is (master.c).
 */
void
site_meter_result(struct site *s, bool ok, const struct meter_reading *r,
    const char *why, uint64_t now)
{
	meter_news(s, ok ? meter_core_good(&s->mc, &s->mp, r, now) :
	    meter_core_fault(&s->mc, &s->mp, why, now), r);
	if (ok)
		history_add(s, r);
	/* a reading the core took (plausible, new): the demand window's */
	if (ok && s->mc.online && s->mc.last_ok_ms == now)
		site_demand_reading(s, r, clock_wall_ms());
	if (!ok)
		MLOG(s->m, LOG_DEBUG, "meter: %s", why);
	if (ok)
		s->meter_fresh = true;
}

/* The chargers have answered (or the round's wait is over): the meter's
 * newest reading goes to the cycle with them, and the site is allocated;
 * what must be written at once, as site_allocate(). */
const struct site_writes *
site_round_done(struct site *s, uint64_t now)
{
	if (s->meter_fresh && s->mc.online) {
		for (int p = 0; p < EVG_PHASES; p++)
			s->cy.site.clamp_da[p] = s->mc.last.current_da[p];
		s->cy.meter_ms = s->mc.last_ok_ms;
		s->meter_given = true;
	}
	s->meter_fresh = false;
	return site_allocate(s, now);
}

/* The allocator's site parameters, from the configuration. */
void
site_apply_params(struct site *s)
{
	const struct master_config *mc = s->m->conf;

	s->cy.site.mode = (enum alloc_mode)mc->site.mode;
	s->cy.site.strategy = (enum alloc_strategy)mc->site.strategy;
	s->cy.site.group_limit_da = mc->site.group_limit;
	s->cy.site.site_limit_da = mc->site.site_limit;
	s->cy.site.margin_da = mc->site.margin;
	s->cy.deadband_da = mc->site.deadband;
	s->cy.site.offline_limit_da = mc->site.offline_limit;
	s->cy.site.chargers_in_clamps = mc->meter.chargers_included;
	s->cy.site.min_run_ms = (uint32_t)mc->site.min_run * 1000;
	s->cy.site.min_pause_ms = (uint32_t)mc->site.min_pause * 1000;
	s->cy.site.green_start_ms = (uint32_t)mc->site.green_start * 1000;
	s->cy.site.green_stop_ms = (uint32_t)mc->site.green_stop * 1000;
	s->cy.site.fallback_timeout_ms = (uint32_t)mc->site.fallback_timeout * 1000;
	/* The chargers' authorisation mode follows the master's: each
	 * poll reads it and writes the master's when it differs. */
	s->m->lp.authorisation = mc->site.authorisation ? 1 : 0;
	site_circuits_params(s);
}

/*
 * "set SECTION.KEY VALUE": validated like the file (the key's range, then
 * the cross-field rules on a copy, so that a refusal changes nothing),
 * stored, recorded with who did it, applied now where it can be.
 */
static char *
config_set(struct site *s, const char *who, const char *arg)
{
	const char *sp = strchr(arg, ' ');
	char	 section[24], key[32], msg[CFG_ERRLEN + 160], field[64];
	const char *sec = section, *k = key, *val;

	if (sp == NULL || sscanf(arg, "%23[a-z0-9].%31[a-z0-9_]", section,
	    key) != 2 || (size_t)(sp - arg) != strlen(section) + 1 +
	    strlen(key))
		return strdup("error: set: expected 'set SECTION.KEY VALUE'");
	val = sp + 1;
	/* the socket's user typed the figure: no confirmation asked */
	if (site_config_apply(s->m, who, 1, &sec, &k, &val, 0, true, NULL, msg,
	    sizeof(msg), field, sizeof(field)) != 0) {
		char	*out = NULL;

		return asprintf(&out, "error: %s", msg) < 0 ? NULL : out;
	}
	/* one setting: "ok" when it is in force (the socket's answer since
	 * its first release), else what waits for the restart */
	return strdup(strncmp(msg, "in force now: ", 14) == 0 ? "ok" : msg);
}

int
site_start(struct site *s, struct master *m)
{
	const struct master_config *mc = m->conf;
	size_t	 n = 0;

	memset(s, 0, sizeof(*s));
	s->m = m;
	for (int i = 0; i < m->npeers; i++)
		n += (size_t)m->peers[i].cc->connectors;
	s->n = n;
	s->slot = calloc(n + 1, sizeof(*s->slot));
	s->conf = calloc(n + 1, sizeof(*s->conf));
	s->rd = calloc(n + 1, sizeof(*s->rd));
	s->op = calloc(n + 1, sizeof(*s->op));
	/* every connector cut, and a command's charger */
	s->writes.peer = calloc(n + 1, sizeof(*s->writes.peer));
	if (!s->slot || !s->conf || !s->rd || !s->op || !s->writes.peer ||
	    cycle_init(&s->cy, n) != 0)
		return -1;
	n = 0;
	for (int i = 0; i < m->npeers; i++)
		for (int k = 0; k < m->peers[i].cc->connectors; k++)
			s->slot[n++] = (struct site_slot){ .peer = i, .k = k,
			    .ocpp_conn_da = INT32_MAX,
			    .ocpp_charger_da = INT32_MAX };
	meterio_params(&mc->meter, &s->mp);
	site_circuits_start(s);
	site_apply_params(s);
	for (int p = 0; p < EVG_PHASES; p++)
		s->cy.site.clamp_enabled[p] = s->mp.clamp_enabled[p];
	return 0;
}

void
site_free(struct site *s)
{
	free(s->slot);
	free(s->conf);
	free(s->rd);
	free(s->op);
	free(s->writes.peer);
	cycle_free(&s->cy);
}

static const char *
unit_status_name(int st)
{
	static const char *const names[] = { "normal", "fallback", "fault",
	    "booting" };

	return (unsigned)st < 4 ? names[st] : "unknown";
}

int
site_snap_alloc(struct site_snap *sn, size_t conns, int chargers)
{
	memset(sn, 0, sizeof(*sn));
	sn->conns = calloc(conns + 1, sizeof(*sn->conns));
	sn->chargers = calloc((size_t)chargers + 1, sizeof(*sn->chargers));
	sn->cap = conns;
	sn->chcap = chargers;
	return sn->conns && sn->chargers ? 0 : -1;
}

void
site_snap_free(struct site_snap *sn)
{
	free(sn->conns);
	free(sn->chargers);
	memset(sn, 0, sizeof(*sn));
}

/*
 * What each phase may carry in all under the settings in force: the
 * group limit alone without a meter, else the fuse less the margin or
 * the building plus the group limit, whichever is lower. With measured
 * (may be NULL), what is measured against it: the meter's clamps, or the
 * cars alone without a meter (static) or while it is silent (then
 * against the meter-offline limit, the chargers' share).
 */
void
site_limit_in_force(const struct site *s, int32_t limit[EVG_PHASES],
    int32_t measured[EVG_PHASES])
{
	bool	 cars = s->cy.site.mode == ALLOC_STATIC || !s->cy.site.meter_online;

	for (int p = 0; p < EVG_PHASES; p++) {
		int32_t	 g = s->cy.out.nonev_da[p] + s->cy.site.group_limit_da;
		/* an external limit lowers the fuse's */
		int32_t	 f = ext_limit_apply(&s->ext, p,
		    s->cy.site.site_limit_da) - s->cy.site.margin_da;

		/* without a measured building: the chargers' share as the
		 * allocator has it (the group or meter-offline limit, less
		 * what an external limit takes off the supply) */
		limit[p] = cars ? s->cy.out.hard_da[p] : g < f ? g : f;
		if (limit[p] < 0)	/* an external limit below the margin */
			limit[p] = 0;
		if (measured == NULL)
			continue;
		measured[p] = s->cy.site.clamp_da[p];
		if (!cars)
			continue;
		measured[p] = 0;
		for (size_t i = 0; i < s->n; i++)
			measured[p] += s->cy.ac[i].draw_da[p];
	}
}

/* The largest difference between two phases. */
static int32_t
spread(const int32_t v[EVG_PHASES])
{
	int32_t	 lo = v[0], hi = v[0];

	for (int p = 1; p < EVG_PHASES; p++) {
		lo = v[p] < lo ? v[p] : lo;
		hi = v[p] > hi ? v[p] : hi;
	}
	return hi - lo;
}

/* The circuits, the supply's imbalance, the external limit and the
 * demand window, as the status shows them. */
static void
snap_circuits(const struct site *s, uint64_t now, int64_t wall,
    struct site_snap *sn)
{
	const struct demand *d = &s->demand;
	bool	 cars = !s->cy.site.chargers_in_clamps;
	int32_t	 supply[EVG_PHASES];

	/* what the supply's phases carry: the clamps, and the cars when
	 * the clamps do not count them */
	for (int p = 0; p < EVG_PHASES; p++) {
		supply[p] = s->cy.site.clamp_da[p];
		for (size_t i = 0; cars && i < s->n; i++)
			supply[p] += s->cy.ac[i].draw_da[p];
	}
	sn->imbalance_limit = s->cy.site.imbalance_da;
	sn->has_imbalance = s->cy.site.meter_online;
	sn->imbalance = spread(supply);
	sn->ncircuits = s->ncirc;
	for (int k = 0; k < s->ncirc; k++) {
		const struct alloc_circuit *a = &s->acirc[k];
		struct snap_circuit *c = &sn->circuits[k];
		int	 depth = 1;

		for (int up = a->parent; up > 0 && up <= s->ncirc &&
		    depth < ALLOC_CIRCUITS_MAX; up = s->acirc[up - 1].parent)
			depth++;
		c->id = k + 1;
		c->depth = depth;
		memcpy(c->name, s->circ[k].name, sizeof(c->name));
		snprintf(c->parent, sizeof(c->parent), "%s",
		    site_circuit_name(s, a->parent));
		c->limit = a->limit_da;
		c->margin = a->margin_da;
		c->offline_limit = a->offline_limit_da;
		c->imbalance_limit = a->imbalance_da;
		c->metered = a->metered;
		c->meter_online = a->meter_online;
		snprintf(c->meter_why, sizeof(c->meter_why), "%s",
		    a->meter_online ? "" : s->circ[k].mc.why[0] ?
		    s->circ[k].mc.why : "no reading yet");
		c->measured_ok = site_circuit_measured(s, k + 1, c->measured,
		    c->building);
		c->imbalance = c->measured_ok ? spread(c->measured) : 0;
		memcpy(c->available, s->cy.out.c_hard_da[k + 1],
		    sizeof(c->available));
		memcpy(c->used, s->cy.out.c_used_da[k + 1], sizeof(c->used));
	}
	sn->ext = s->ext;
	sn->ext_until_ms = s->ext.on ? wall + (int64_t)(s->ext.until_ms - now) :
	    0;
	sn->demand_on = s->m->conf->demand.enabled;
	sn->demand_conf = s->dconf;
	sn->demand_start_ms = d->start_ms;
	sn->demand_end_ms = d->end_ms;
	sn->demand_average_w = demand_average_w(d, wall);
	sn->demand_projected_w = demand_projected_w(d, &s->dconf, wall);
	sn->demand_cap_w = (int64_t)s->cy.site.power_cap_da *
	    DEMAND_NOMINAL_V / 10;
}

/* The site at this moment: copies only, no allocation (the loop's part). */
void
site_snapshot(const struct site *s, uint64_t now, struct site_snap *sn)
{
	static const char *const modes[] = { "static", "dynamic", "hybrid",
	    "green" };
	const struct master *m = s->m;
	int64_t	 wall = clock_wall_ms();

	sn->n = s->n < sn->cap ? s->n : sn->cap;
	sn->charging = sn->waiting = 0;
	for (size_t i = 0; i < sn->n; i++) {
		const struct peer *pe = &m->peers[s->slot[i].peer];
		const struct reg_conn *rc = &pe->link.conn[s->slot[i].k];
		const struct led_look *led = led_look((enum led_code)rc->led);
		struct snap_conn *c = &sn->conns[i];
		int	 k = s->slot[i].k;

		memcpy(c->charger, pe->cc->name, sizeof(c->charger));
		snprintf(c->circuit, sizeof(c->circuit), "%s",
		    site_circuit_name(s, s->conf[i].circuit));
		snprintf(c->why_circuit, sizeof(c->why_circuit), "%s",
		    site_circuit_name(s, s->cy.why[i].circuit));
		c->charger_id = s->slot[i].peer + 1;
		c->connector = k + 1;
		c->online = pe->link.online;
		c->state = conn_state_name(rc->state);
		c->cp = pe->link.online ? cp_state_name(rc->cp_state) : "?";
		c->phase = phase_conn_name((enum phase_conn)pe->cc->conn[k].phase);
		c->demand = s->cy.ac[i].demand;
		c->paused = s->slot[i].op_paused;
		c->boost = s->slot[i].smart.boost;
		c->smart_waiting = s->slot[i].smart_blocked;
		c->target = s->cy.target[i];
		c->setpoint = s->cy.plan[i].setpoint_da;
		c->in_force = rc->setpoint_da;
		c->offer = rc->offer_da;
		memcpy(c->current, s->cy.ac[i].draw_da, sizeof(c->current));
		c->session_wh = rc->session_wh;
		c->session_s = rc->session_s;
		c->session_no = rc->session_no;
		c->faults = rc->faults;
		c->led = led->name;
		c->led_colour = led_colour_name(led->colour[0]);
		c->max_current = pe->cc->conn[k].max_current;
		memcpy(c->tag, rc->tag, sizeof(rc->tag));
		c->why = s->cy.why[i];
		memcpy(c->paused_by, s->slot[i].paused_by, sizeof(c->paused_by));
		c->ocpp_cap = s->op[i].capped ? s->op[i].cap_da : INT32_MAX;
		/* The summary counts cars as the chargers see them: one an
		 * operator paused waits too (the allocator's `paused` counts
		 * only cars it could have offered current). */
		if (c->online && rc->state == CS_CHARGING)
			sn->charging++;
		else if (c->online && (rc->state == CS_WAIT_AUTH ||
		    rc->state == CS_NO_CURRENT))
			sn->waiting++;
		/* The cycle's clock into the epoch's, for the API. */
		c->until_ms = c->why.until_ms > now ? wall +
		    (int64_t)(c->why.until_ms - now) : 0;
	}
	sn->nch = m->npeers < sn->chcap ? m->npeers : sn->chcap;
	for (int i = 0; i < sn->nch; i++) {
		const struct peer *pe = &m->peers[i];
		struct snap_charger *c = &sn->chargers[i];

		c->id = i + 1;
		memcpy(c->name, pe->cc->name, sizeof(c->name));
		memcpy(c->host, pe->cc->host, sizeof(c->host));
		c->port = pe->cc->port;
		c->online = pe->link.online;
		c->status = pe->link.online ? unit_status_name(
		    pe->link.unit.status) : "offline";
		c->connectors = pe->cc->connectors;
		c->ocpp_cp = ocppview_charger(m, i, &c->ocpp);
		memcpy(c->serial, pe->link.unit.serial,
		    sizeof(pe->link.unit.serial));
		c->temp_ddeg = pe->link.unit.temp_ddeg;
		c->circuit_id = pe->cc->circuit_id;
	}
	ocppview_site(m, sn);
	snap_circuits(s, now, wall, sn);
	sn->nevents = m->nrecent;
	for (int i = 0; i < m->nrecent; i++)
		sn->events[i] = m->recent[(m->recent_head + MASTER_RECENT - 1 -
		    i) % MASTER_RECENT];
	snprintf(sn->site, sizeof(sn->site), "%s", m->conf->site.name);
	snprintf(sn->meter_why, sizeof(sn->meter_why), "%s", s->mc.online ?
	    "" : s->mc.why);
	sn->mode = modes[s->cy.site.mode];
	sn->authorisation = master_config_auth_name(m->conf->site.authorisation);
	sn->meter_online = s->cy.site.meter_online;
	sn->restart_needed = m->restart_pending;
	sn->npending = m->npending;
	site_limit_in_force(s, sn->limit, NULL);
	for (int p = 0; p < EVG_PHASES; p++) {
		sn->clamp[p] = s->cy.site.clamp_da[p];
		sn->non_ev[p] = s->cy.out.nonev_da[p];
		sn->available[p] = s->cy.out.hard_da[p];
		sn->used[p] = s->cy.out.used_da[p];
		sn->ev[p] = 0;
		for (size_t i = 0; i < s->n; i++)
			sn->ev[p] += s->cy.ac[i].draw_da[p];
		sn->exported[p] = s->cy.out.nonev_da[p] < 0 ?
		    -s->cy.out.nonev_da[p] : 0;
		sn->surplus[p] = s->cy.site.mode == ALLOC_HYBRID ||
		    s->cy.site.mode == ALLOC_GREEN ? s->cy.out.soft_da[p] : 0;
		sn->may_take[p] = s->cy.out.fill_da[p];
	}
	{
		uint64_t start, stop;

		alloc_green_timers(&s->cy.site, s->cy.ac, s->cy.memo, s->n,
		    &start, &stop);
		sn->green_start_ms = start > now ? wall +
		    (int64_t)(start - now) : start ? wall : 0;
		sn->green_stop_ms = stop > now ? wall +
		    (int64_t)(stop - now) : stop ? wall : 0;
	}
	sn->group_limit = s->cy.site.group_limit_da;
	sn->site_limit = s->cy.site.site_limit_da;
	sn->margin = s->cy.site.margin_da;
	sn->offline_limit = s->cy.site.offline_limit_da;
	sn->allocations = s->cy.cycles;
	sn->running = s->cy.out.running;
	sn->paused = s->cy.out.paused;
	sn->uptime_ms = now;
	sn->time_ms = wall;
	/* what alarms_step() found this cycle, acknowledged ones last */
	sn->nalarms = m->book != NULL ? alarmbook_list(m->book, sn->alarms,
	    ALARMS_MAX) : 0;
	sn->alarms_total = m->book != NULL ? m->book->n -
	    alarmbook_restored(m->book) + m->book->untracked : 0;
}

/*
 * The status's JSON is written into a growing buffer by hand, not with
 * stdio: through open_memstream and fprintf, 2000 connectors took 15-20
 * ms (a format parsed and a lock taken for every field and character),
 * 1.5-2 % of a core at one status a second; this way about 2 ms.
 */
struct jbuf {
	char	*p;
	size_t	 len, cap;
	bool	 oom;
};

static void
jb_put(struct jbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t	 cap = b->cap ? b->cap : 4096;
		char	*np;

		while (b->len + n + 1 > cap)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
jb_s(struct jbuf *b, const char *s)
{
	jb_put(b, s, strlen(s));
}

static void
jb_c(struct jbuf *b, char c)
{
	jb_put(b, &c, 1);
}

static void
jb_u(struct jbuf *b, uint64_t v)
{
	char	 d[24];
	int	 i = sizeof(d);

	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	jb_put(b, d + i, sizeof(d) - (size_t)i);
}

static void
jb_i(struct jbuf *b, int64_t v)
{
	if (v < 0) {
		jb_c(b, '-');
		jb_u(b, (uint64_t)0 - (uint64_t)v);
	} else
		jb_u(b, (uint64_t)v);
}

/* ,"name": */
static void
jb_name(struct jbuf *b, const char *name)
{
	jb_s(b, ",\"");
	jb_s(b, name);
	jb_s(b, "\":");
}

static void
put_bool(struct jbuf *b, const char *name, bool v)
{
	jb_name(b, name);
	jb_s(b, v ? "true" : "false");
}

static void
put_uint(struct jbuf *b, const char *name, uint64_t v)
{
	jb_name(b, name);
	jb_u(b, v);
}

static void
put_int(struct jbuf *b, const char *name, int64_t v)
{
	jb_name(b, name);
	jb_i(b, v);
}

/* A time since the epoch, or null for none (0). */
static void
put_epoch(struct jbuf *b, const char *name, int64_t v)
{
	if (v > 0)
		put_int(b, name, v);
	else {
		jb_name(b, name);
		jb_s(b, "null");
	}
}

/* A tenth-unit value as a JSON number, named when name is set. */
static void
put_deci(struct jbuf *b, const char *name, int32_t v)
{
	int64_t	 w = v;

	if (name != NULL)
		jb_name(b, name);
	if (w < 0) {
		jb_c(b, '-');
		w = -w;
	}
	jb_u(b, (uint64_t)w / 10);
	jb_c(b, '.');
	jb_c(b, (char)('0' + w % 10));
}

static void
put_phases(struct jbuf *b, const char *name, const int32_t v[EVG_PHASES])
{
	jb_name(b, name);
	jb_c(b, '[');
	for (int p = 0; p < EVG_PHASES; p++) {
		if (p)
			jb_c(b, ',');
		put_deci(b, NULL, v[p]);
	}
	jb_c(b, ']');
}

/* A JSON string: quotes, backslashes and control characters escaped;
 * bytes that are not UTF-8 written as U+FFFD. */
static void
put_str(struct jbuf *b, const char *name, const char *v)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)v, *run;

	if (name != NULL)
		jb_name(b, name);
	jb_c(b, '"');
	while (*p) {
		/* plain ASCII goes in runs */
		for (run = p; *p >= 0x20 && *p < 0x80 && *p != '"' &&
		    *p != '\\'; p++)
			;
		jb_put(b, (const char *)run, (size_t)(p - run));
		if (*p == '\0')
			break;
		if (*p == '"' || *p == '\\') {
			char	 e[2] = { '\\', (char)*p };

			jb_put(b, e, 2);
		} else if (*p < 0x20) {
			char	 e[6] = { '\\', 'u', '0', '0', hex[*p >> 4],
				    hex[*p & 15] };

			jb_put(b, e, 6);
		} else {
			/* a whole, valid UTF-8 character (text.h: no
			 * overlong form, no surrogate) or U+FFFD */
			size_t	 len = utf8_char((const char *)p,
			    strnlen((const char *)p, 4));

			if (len > 0) {
				jb_put(b, (const char *)p, len);
				p += len - 1;
			} else
				jb_s(b, "\\ufffd");
		}
		p++;
	}
	jb_c(b, '"');
}

static void
put_null(struct jbuf *b, const char *name)
{
	jb_name(b, name);
	jb_s(b, "null");
}

/* A tenth-unit value, or null when it is not known (a limit of 0:
 * none). */
static void
put_opt(struct jbuf *b, const char *name, int32_t v, bool known)
{
	if (known)
		put_deci(b, name, v);
	else
		put_null(b, name);
}

/* A power in W as kW (kVA) to tenths. */
static void
put_kw(struct jbuf *b, const char *name, int64_t w)
{
	put_deci(b, name, (int32_t)(w / 100));
}

/* A charger's link to the CSMS; null when it is no charge point. */
static void
put_ocpp(struct jbuf *b, const struct snap_charger *c)
{
	if (!c->ocpp_cp) {
		put_null(b, "ocpp");
		return;
	}
	jb_s(b, ",\"ocpp\":{\"identity\":");
	put_str(b, NULL, c->ocpp.identity);
	put_str(b, "link", c->ocpp.link);
	put_epoch(b, "last_msg_ms", c->ocpp.last_msg_ms);
	put_int(b, "queued", c->ocpp.queued);
	put_str(b, "why", c->ocpp.why);
	jb_c(b, '}');
}

/* The circuits, the external limit and the demand window (docs/api.md,
 * "Circuits"). */
static void
put_circuits(struct jbuf *b, const struct site_snap *sn)
{
	put_opt(b, "imbalance_limit", sn->imbalance_limit,
	    sn->imbalance_limit > 0);
	put_opt(b, "imbalance", sn->imbalance, sn->has_imbalance);
	jb_s(b, ",\"circuits\":[");
	for (int k = 0; k < sn->ncircuits; k++) {
		const struct snap_circuit *c = &sn->circuits[k];
		int	 nch = 0;

		jb_s(b, k ? ",{\"id\":" : "{\"id\":");
		jb_i(b, c->id);
		put_str(b, "name", c->name);
		put_str(b, "parent", c->parent);
		put_int(b, "depth", c->depth);
		put_deci(b, "limit", c->limit);
		put_deci(b, "margin", c->margin);
		put_deci(b, "offline_limit", c->offline_limit);
		if (c->metered) {
			jb_s(b, ",\"meter\":{\"online\":");
			jb_s(b, c->meter_online ? "true" : "false");
			put_str(b, "why", c->meter_why);
			jb_c(b, '}');
		} else
			put_null(b, "meter");
		if (c->measured_ok) {
			put_phases(b, "measured", c->measured);
			put_phases(b, "building", c->building);
		} else {
			put_null(b, "measured");
			put_null(b, "building");
		}
		put_phases(b, "available", c->available);
		put_phases(b, "used", c->used);
		put_opt(b, "imbalance_limit", c->imbalance_limit,
		    c->imbalance_limit > 0);
		put_opt(b, "imbalance", c->imbalance, c->measured_ok);
		jb_s(b, ",\"chargers\":[");
		for (int i = 0; i < sn->nch; i++)
			if (sn->chargers[i].circuit_id == c->id) {
				if (nch++)
					jb_c(b, ',');
				put_str(b, NULL, sn->chargers[i].name);
			}
		jb_s(b, "]}");
	}
	jb_c(b, ']');
	if (sn->ext.on) {
		jb_s(b, ",\"external_limit\":{\"by\":");
		put_str(b, NULL, sn->ext.by);
		put_phases(b, "limit", sn->ext.limit_da);
		put_int(b, "until", sn->ext_until_ms);
		jb_c(b, '}');
	} else
		put_null(b, "external_limit");
	if (!sn->demand_on) {
		put_null(b, "demand");
		return;
	}
	jb_s(b, ",\"demand\":{\"window\":");
	jb_i(b, sn->demand_conf.window_min * 60);
	put_epoch(b, "start", sn->demand_start_ms);
	put_epoch(b, "end", sn->demand_end_ms);
	put_kw(b, "target", sn->demand_conf.target_w);
	put_str(b, "unit", sn->demand_conf.apparent ? "kVA" : "kW");
	put_kw(b, "average", sn->demand_average_w);
	put_kw(b, "projected", sn->demand_projected_w);
	put_kw(b, "ev_cap", sn->demand_cap_w);
	put_bool(b, "over", sn->demand_projected_w > sn->demand_conf.target_w);
	jb_c(b, '}');
}

/*
 * The site as operators see it: per phase, every charger and connector,
 * the newest events (docs/api.md, GET /api/status). Written directly,
 * not through a JSON tree. NULL when out of memory.
 */
char *
site_snap_json(const struct site_snap *sn)
{
	/* about 470 bytes a connector (its reason included) and 150 a
	 * charger: one allocation, mostly */
	struct jbuf b = { .cap = 512 * (sn->n + (size_t)sn->nch) + 8192 };

	if ((b.p = malloc(b.cap)) == NULL)
		return NULL;
	jb_c(&b, '{');
	put_str(&b, NULL, "site");
	jb_c(&b, ':');
	put_str(&b, NULL, sn->site);
	put_str(&b, "mode", sn->mode);
	put_bool(&b, "meter_online", sn->meter_online);
	put_str(&b, "meter_why", sn->meter_why);
	put_phases(&b, "clamp", sn->clamp);
	put_phases(&b, "ev", sn->ev);
	put_phases(&b, "non_ev", sn->non_ev);
	put_phases(&b, "available", sn->available);
	put_phases(&b, "used", sn->used);
	put_phases(&b, "limit", sn->limit);
	put_phases(&b, "export", sn->exported);
	put_phases(&b, "surplus", sn->surplus);
	put_phases(&b, "may_take", sn->may_take);
	put_epoch(&b, "green_start_ms", sn->green_start_ms);
	put_epoch(&b, "green_stop_ms", sn->green_stop_ms);
	put_deci(&b, "group_limit", sn->group_limit);
	put_deci(&b, "site_limit", sn->site_limit);
	put_deci(&b, "margin", sn->margin);
	put_deci(&b, "offline_limit", sn->offline_limit);
	put_circuits(&b, sn);
	put_uint(&b, "allocations", sn->allocations);
	put_int(&b, "running", sn->running);
	put_int(&b, "paused", sn->paused);
	put_int(&b, "charging", sn->charging);
	put_int(&b, "waiting", sn->waiting);
	put_uint(&b, "uptime_ms", sn->uptime_ms);
	put_int(&b, "time_ms", sn->time_ms);
	put_bool(&b, "restart_needed", sn->restart_needed);
	put_int(&b, "pending", sn->npending);
	put_str(&b, "authorisation", sn->authorisation);
	put_int(&b, "alarms_total", sn->alarms_total);
	jb_s(&b, ",\"ocpp\":{\"enabled\":");
	jb_s(&b, sn->ocpp.enabled ? "true" : "false");
	put_str(&b, "url", sn->ocpp.url);
	put_int(&b, "connected", sn->ocpp.connected);
	put_int(&b, "total", sn->ocpp.total);
	jb_c(&b, '}');
	jb_s(&b, ",\"alarms\":[");
	for (int i = 0; i < sn->nalarms; i++) {
		const struct alarm *a = &sn->alarms[i];

		jb_s(&b, i ? ",{\"severity\":" : "{\"severity\":");
		jb_i(&b, a->severity);
		put_str(&b, "code", a->code);
		put_str(&b, "source", a->source);
		put_int(&b, "connector", a->connector);
		put_epoch(&b, "since_ms", a->since_ms);
		put_str(&b, "text", a->text);
		put_bool(&b, "acknowledged", a->ack_by[0] != '\0');
		if (a->ack_by[0] != '\0') {
			put_str(&b, "ack_by", a->ack_by);
			put_int(&b, "ack_ms", a->ack_ms);
		} else
			jb_s(&b, ",\"ack_by\":null,\"ack_ms\":null");
		jb_c(&b, '}');
	}
	jb_s(&b, "],\"chargers\":[");
	for (int i = 0; i < sn->nch; i++) {
		const struct snap_charger *c = &sn->chargers[i];

		jb_s(&b, i ? ",{\"id\":" : "{\"id\":");
		jb_i(&b, c->id);
		put_str(&b, "name", c->name);
		put_str(&b, "host", c->host);
		put_int(&b, "port", c->port);
		put_bool(&b, "online", c->online);
		put_str(&b, "status", c->status);
		put_int(&b, "connectors", c->connectors);
		put_str(&b, "serial", c->serial);
		put_deci(&b, "temperature", c->temp_ddeg);
		put_ocpp(&b, c);
		jb_c(&b, '}');
	}
	jb_s(&b, "],\"connectors\":[");
	for (size_t i = 0; i < sn->n; i++) {
		const struct snap_conn *c = &sn->conns[i];
		char	 why[128];
		int	 nf = 0;

		jb_s(&b, i ? ",{" : "{");
		put_str(&b, NULL, "charger");
		jb_c(&b, ':');
		put_str(&b, NULL, c->charger);
		put_int(&b, "charger_id", c->charger_id);
		put_int(&b, "connector", c->connector);
		put_str(&b, "circuit", c->circuit);
		put_bool(&b, "online", c->online);
		put_str(&b, "state", c->state);
		put_str(&b, "cp", c->cp);
		put_str(&b, "phase", c->phase);
		put_bool(&b, "demand", c->demand);
		put_bool(&b, "paused", c->paused);
		put_bool(&b, "boost", c->boost);
		put_bool(&b, "smart_waiting", c->smart_waiting);
		put_deci(&b, "target", c->target);
		put_deci(&b, "setpoint", c->setpoint);
		put_deci(&b, "in_force", c->in_force);
		put_deci(&b, "offer", c->offer);
		put_phases(&b, "current", c->current);
		put_uint(&b, "session_wh", c->session_wh);
		put_uint(&b, "session_s", c->session_s);
		put_uint(&b, "session_no", c->session_no);
		jb_s(&b, ",\"faults\":[");
		for (int f = 0; f < F_COUNT; f++)
			if (c->faults & FAULT_BIT(f)) {
				if (nf++)
					jb_c(&b, ',');
				put_str(&b, NULL, fault_name((enum fault)f));
			}
		jb_c(&b, ']');
		put_str(&b, "led", c->led);
		put_str(&b, "led_colour", c->led_colour);
		put_deci(&b, "max_current", c->max_current);
		put_str(&b, "tag", c->tag);
		put_str(&b, "reason", reason_code((enum conn_reason)
		    c->why.reason));
		/* who: the operator who paused it, or the circuit that
		 * binds */
		put_str(&b, "reason_text", reason_text(&c->why,
		    c->why.reason == REASON_CIRCUIT_LIMIT ||
		    c->why.reason == REASON_CIRCUIT_METER_OFFLINE ?
		    c->why_circuit : c->paused_by, why, sizeof(why)));
		put_epoch(&b, "until_ms", c->until_ms);
		put_opt(&b, "ocpp_cap", c->ocpp_cap, c->ocpp_cap != INT32_MAX);
		jb_c(&b, '}');
	}
	jb_s(&b, "],\"events\":[");
	for (int i = 0; i < sn->nevents; i++) {
		const struct recent_event *e = &sn->events[i];

		jb_s(&b, i ? ",{\"time_ms\":" : "{\"time_ms\":");
		jb_i(&b, e->time_ms);
		put_int(&b, "severity", e->severity);
		put_str(&b, "source", e->source);
		put_str(&b, "code", e->code);
		put_str(&b, "text", e->text);
		jb_c(&b, '}');
	}
	jb_s(&b, "]}");
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* The status now, in this thread (the control socket's "status"). */
char *
site_status_json(const struct site *s, uint64_t now)
{
	struct site_snap sn;
	char	*text;

	if (site_snap_alloc(&sn, s->n, s->m->npeers) != 0)
		return NULL;
	site_snapshot(s, now, &sn);
	text = site_snap_json(&sn);
	site_snap_free(&sn);
	return text;
}

static int
find_slot(const struct site *s, const char *name, long k)
{
	long	 id = 0;

	if (name[0] == '#' && strnum_long(name + 1, 1, s->m->npeers, &id) != 0)
		return -1;
	for (size_t i = 0; i < s->n; i++)
		if ((id > 0 ? s->slot[i].peer == id - 1 :
		    strcmp(s->m->peers[s->slot[i].peer].cc->name, name) == 0) &&
		    s->slot[i].k == k - 1)
			return (int)i;
	return -1;
}

/*
 * What an operator set on a connector (pause, boost, lock) is kept in
 * the database, so that a restart does not undo it. A lock is also the
 * charger's own and adopted at start (link.c); the one kept here is set
 * again, for a charger that restarted meanwhile. Boost is kept with the
 * session it was given to: a restart during another session does not
 * boost that.
 */
static void
ops_save(struct site *s, size_t i)
{
	const struct site_slot *sl = &s->slot[i];
	struct store_rec r = { .kind = STORE_CONN_OP,
	    .wall_ms = (int64_t)time(NULL) * 1000 };

	if (s->m->store == NULL)
		return;
	snprintf(r.u.op.charger, sizeof(r.u.op.charger), "%s",
	    s->m->peers[sl->peer].cc->name);
	r.u.op.connector = sl->k + 1;
	r.u.op.paused = sl->op_paused;
	snprintf(r.u.op.paused_by, sizeof(r.u.op.paused_by), "%s",
	    sl->paused_by);
	r.u.op.boost_session = sl->smart.boost ? sl->smart.session_id : 0;
	r.u.op.locked = s->m->peers[sl->peer].link.lock_owned[sl->k] &&
	    s->m->peers[sl->peer].link.lock_want[sl->k];
	store_put(s->m->store, &r);
}

static int
ops_row(void *arg, int n, const char *const *c)
{
	struct site *s = arg;
	long	 k;
	int	 i;

	if (n != 6 || strnum_long(c[1], 1, 2, &k) != 0 ||
	    (i = find_slot(s, c[0], k)) < 0)
		return 0;	/* a charger since removed */
	s->slot[i].op_paused = atoi(c[2]) != 0;
	snprintf(s->slot[i].paused_by, sizeof(s->slot[i].paused_by), "%s",
	    s->slot[i].op_paused ? c[3] : "");
	s->slot[i].smart.session_id = (uint32_t)strtoul(c[4], NULL, 10);
	s->slot[i].smart.boost = s->slot[i].smart.session_id != 0;
	if (atoi(c[5]) != 0) {	/* written at the first poll (linkcore.c) */
		struct peer *pe = &s->m->peers[s->slot[i].peer];

		(void)link_lock(&pe->link, s->slot[i].k, true);
		/* the charger's answer is the site's, not an operator's */
		snprintf(pe->ask_who[s->slot[i].k],
		    sizeof(pe->ask_who[s->slot[i].k]), "site");
	}
	return 0;
}

/*
 * Says what an operator had set that the start kept (site_ops_load): one
 * event a connector, after the start's own.
 */
void
site_ops_restored(struct site *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct site_slot *sl = &s->slot[i];
		const struct link_peer *l = &s->m->peers[sl->peer].link;
		bool	 locked = l->lock_owned[sl->k] && l->lock_want[sl->k];
		char	 what[96];

		if (!sl->op_paused && !sl->smart.boost && !locked)
			continue;
		snprintf(what, sizeof(what), "%s%s%s%s%s",
		    sl->op_paused ? "paused by " : "",
		    sl->op_paused ? sl->paused_by : "",
		    sl->op_paused && (sl->smart.boost || locked) ? ", " : "",
		    sl->smart.boost ? locked ? "boost, " : "boost" : "",
		    locked ? "locked" : "");
		master_event(s->m, SEV_INFO, s->m->peers[sl->peer].cc->name,
		    "operator-state-restored", "%s connector %d: kept across "
		    "the restart: %s", s->m->peers[sl->peer].cc->name,
		    sl->k + 1, what);
	}
}

/* The operators' pauses, boosts and locks, from the database (before
 * its writer starts, after site_start). */
void
site_ops_load(struct site *s)
{
	if (s->m->store != NULL)
		(void)store_select(s->m->store, "SELECT charger, connector, "
		    "paused, paused_by, boost_session, locked FROM conn_ops",
		    ops_row, s);
	site_external_limit_load(s);
}

/*
 * Operator commands, one a line: status | limit A | pause|resume|lock|
 * unlock|reset|authorise|stop NAME N. Bad input changes nothing. *writes
 * gets what must be written at once, as site_allocate(), and the
 * commanded charger last, so that the command shows at once.
 */
char *
site_command(struct site *s, const char *who, const char *line, uint64_t now,
    const struct site_writes **writes, struct site_ask *ask)
{
	static const struct { const char *verb; int cmd; } verbs[] = {
		{ "pause", -1 }, { "resume", -2 }, { "boost", -3 },
		{ "authorise", REGMAP_CMD_AUTHORISE }, { "stop", REGMAP_CMD_STOP },
		{ "lock", REGMAP_CMD_LOCK }, { "unlock", REGMAP_CMD_UNLOCK },
		{ "reset", REGMAP_CMD_RESET },
	};
	char	 verb[16], name[MASTER_NAME_LEN], num[16], msg[160], extra;
	struct peer *pe;
	uint32_t seq = 0;
	long	 v;
	int	 nw, i, kk;

	s->writes.n = 0;
	*writes = &s->writes;
	if (ask != NULL)
		ask->seq = 0;
	nw = sscanf(line, "%15s %31s %15s %c", verb, name, num, &extra);
	if (nw == 1 && strcmp(verb, "status") == 0)
		return site_status_json(s, now);
	if (nw >= 1 && strcmp(verb, "set") == 0)
		return config_set(s, who, strlen(line) > 4 ? line + 4 : "");
	if (nw >= 2 && strcmp(verb, "limit") == 0) {
		/* the group limit, kept like any setting */
		snprintf(msg, sizeof(msg), "site.group_limit %s", line + 6);
		return config_set(s, who, msg);
	}
	for (size_t k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++) {
		if (strcmp(verb, verbs[k].verb) != 0)
			continue;
		if (nw != 3 || strnum_long(num, 1, 2, &v) != 0 ||
		    (i = find_slot(s, name, v)) < 0) {
			snprintf(msg, sizeof(msg), "error: %s: expected a "
			    "charger's name and connector 1 or 2", verb);
			return strdup(msg);
		}
		pe = &s->m->peers[s->slot[i].peer];
		kk = s->slot[i].k;
		if (verbs[k].cmd > 0 && verbs[k].cmd != REGMAP_CMD_LOCK &&
		    verbs[k].cmd != REGMAP_CMD_UNLOCK && !pe->link.online) {
			/* a command is the charger's to carry out: one it
			 * cannot hear now must not surprise anyone later */
			snprintf(msg, sizeof(msg), "refused: %s is offline: "
			    "the %s cannot reach it", pe->cc->name, verb);
			return strdup(msg);
		}
		if (verbs[k].cmd == -3) {
			s->slot[i].smart.boost = true;
			/* smart_allows ends it with this session */
			s->slot[i].smart.session_id =
			    pe->link.conn[kk].session_no;
			ops_save(s, i);
		} else if (verbs[k].cmd < 0) {
			s->slot[i].op_paused = verbs[k].cmd == -1;
			/* cut between characters, as the JSON checks */
			snprintf(s->slot[i].paused_by,
			    sizeof(s->slot[i].paused_by), "%.*s",
			    verbs[k].cmd == -1 ? (int)utf8_trunc(who,
			    sizeof(s->slot[i].paused_by) - 1) : 0, who);
			ops_save(s, i);
		} else if (verbs[k].cmd == REGMAP_CMD_LOCK ||
		    verbs[k].cmd == REGMAP_CMD_UNLOCK) {
			/* the master's decision, kept at every poll */
			seq = link_lock(&pe->link, kk,
			    verbs[k].cmd == REGMAP_CMD_LOCK);
			ops_save(s, i);
		} else
			seq = link_command(&pe->link, kk, (uint16_t)verbs[k].cmd);
		if (seq != 0) {
			/* recorded with the charger's answer (link.c) */
			snprintf(pe->ask_who[kk], sizeof(pe->ask_who[kk]), "%s",
			    who);
			if (ask != NULL)
				*ask = (struct site_ask){ s->slot[i].peer, kk,
				    pe->link.online ? seq : 0 };
		} else
			master_event(s->m, SEV_INFO, who, verb, "%s: %s %s "
			    "connector %ld", who, verb, pe->cc->name, v);
		if (!s->batch) {
			site_allocate(s, now);
			s->writes.peer[s->writes.n++] = s->slot[i].peer;
		}
		return strdup(seq != 0 && !pe->link.online ? "ok; written when "
		    "the charger is back online" : "ok");
	}
	return strdup("error: unknown command (status, limit A, set S.KEY V, "
	    "pause, resume, boost, authorise, stop, lock, unlock, reset NAME N)");
}
