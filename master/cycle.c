/*
 * cycle.c: one control cycle of the site. See cycle.h; the rules are in
 * docs/load-balancing.md.
 */
#include <stdlib.h>
#include <string.h>

#include "charger.h"
#include "cycle.h"

/*
 * Authorised and not stopped: waiting for the car, charging, paused by
 * the site, or suspended by the car (it may start again).
 */
bool
cycle_wants_current(const struct reg_conn *c)
{
	return c->state == CS_AUTH_WAIT_CAR || c->state == CS_CHARGING ||
	    c->state == CS_NO_CURRENT || c->state == CS_SUSPENDED_EV;
}

int
cycle_init(struct cycle *cy, size_t n)
{
	struct alloc_site site = cy->site;
	int32_t	 db = cy->deadband_da;

	memset(cy, 0, sizeof(*cy));
	cy->site = site;
	cy->deadband_da = db;
	cy->n = n;
	cy->ac = calloc(n + 1, sizeof(*cy->ac));
	cy->memo = calloc(n + 1, sizeof(*cy->memo));
	cy->plan = calloc(n + 1, sizeof(*cy->plan));
	cy->target = calloc(n + 1, sizeof(*cy->target));
	cy->setpoint = calloc(n + 1, sizeof(*cy->setpoint));
	cy->told = calloc(n + 1, sizeof(*cy->told));
	cy->write_now = calloc(n + 1, sizeof(*cy->write_now));
	cy->why = calloc(n + 1, sizeof(*cy->why));
	cy->work = malloc(alloc_work_size(n) + 1);
	if (!cy->ac || !cy->memo || !cy->plan || !cy->target ||
	    !cy->setpoint || !cy->told || !cy->write_now || !cy->why ||
	    !cy->work) {
		cycle_free(cy);
		return -1;
	}
	return 0;
}

void
cycle_free(struct cycle *cy)
{
	free(cy->ac);
	free(cy->memo);
	free(cy->plan);
	free(cy->target);
	free(cy->setpoint);
	free(cy->told);
	free(cy->write_now);
	free(cy->why);
	free(cy->work);
	cy->ac = NULL;
	cy->memo = NULL;
	cy->plan = NULL;
	cy->target = cy->setpoint = cy->told = NULL;
	cy->write_now = NULL;
	cy->why = NULL;
	cy->work = NULL;
}

/* Everything learnt between cycles, gone (a restart of the master). */
void
cycle_forget(struct cycle *cy)
{
	memset(cy->memo, 0, cy->n * sizeof(*cy->memo));
	memset(cy->plan, 0, cy->n * sizeof(*cy->plan));
	memset(cy->target, 0, cy->n * sizeof(*cy->target));
	memset(cy->told, 0, cy->n * sizeof(*cy->told));
	memset(cy->last_hard, 0, sizeof(cy->last_hard));
	memset(cy->c_last_hard, 0, sizeof(cy->c_last_hard));
	memset(cy->c_have, 0, sizeof(cy->c_have));
	cy->cycles = 0;
	cy->bld_have = false;
}

int32_t
cycle_ocpp_cap(int32_t conn_da, int32_t charger_da, int wanting)
{
	int32_t	 share = charger_da;

	if (charger_da != INT32_MAX && wanting > 1)
		share = charger_da / wanting;
	return share < conn_da ? share : conn_da;
}

/* The allocator's view of one connector, from what was read of it. */
static void
conn_from(struct alloc_conn *a, const struct cycle_conf *cf,
    const struct cycle_reading *r, const struct cycle_op *op, uint64_t now)
{
	a->phase = cf->phase;
	a->min_da = cf->min_da;
	a->max_da = cf->max_da;
	/* The charger's own rating, once it told us: it refuses more. */
	if (r->heard && r->rc.max_da >= ALLOC_MIN_DA && r->rc.max_da < a->max_da)
		a->max_da = r->rc.max_da;
	a->priority = cf->priority;
	a->circuit = cf->circuit;
	a->online = r->online;
	/* An OCPP charging profile only ever lowers the maximum; below the
	 * minimum the connector pauses (no 0.1-5.9 A). */
	if (op->capped && op->cap_da < a->max_da)
		a->max_da = op->cap_da;
	a->demand = r->online && cycle_wants_current(&r->rc) && !op->paused &&
	    !op->blocked && !(op->capped && op->cap_da < a->min_da);
	/* What an offline charger may still draw (alloc_silent_draw): what
	 * it was told, with its fallback settings once read or ours
	 * acknowledged; never heard since we started, its maximum. */
	a->fallback_known = r->fallback_known;
	a->fallback_da = r->fallback_da;
	a->fallback_ms = (uint32_t)r->fallback_s * 1000;
	a->in_force_da = r->online ? r->rc.setpoint_da : r->may_force_da;
	a->silent_ms = r->online ? 0 : !r->heard ? UINT32_MAX :
	    now - r->read_ms > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)(now - r->read_ms);
	/* An offline charger's last reading is no reading. */
	for (int p = 0; p < EVG_PHASES; p++)
		a->draw_da[p] = r->online ? r->rc.current_da[p] : 0;
	/* Paused by its charger (not by the car): minimum open time, heat. */
	a->held = r->online && r->rc.state == CS_NO_CURRENT;
	a->session_wh = r->rc.session_wh;
	a->session_id = r->rc.session_no;
}

/*
 * Readings in time (docs/load-balancing.md). The building's load is the
 * clamp less what the cars drew at the moment of the meter's reading.
 *
 * The caller reads the chargers right after the meter (a round), so
 * that their currents are of the same moment: a car that has just
 * started is counted as a car, not as the building. Such a reading
 * (aligned: some charger was read after it) gives the estimate that
 * counts. A charger that missed the round is counted at what it last
 * said: if its car has risen since, the building looks higher than it
 * is (safe, and rare).
 *
 * The meter may read more often than the chargers are polled: a reading
 * between two rounds is aligned with none. Its chargers may have risen
 * since they were read, up to the highest offer each may have in force,
 * so they are counted at that: a ramping car is never taken for the
 * building. That estimate is a floor (the cars may have risen less): it
 * may raise the building in force, never lower it.
 *
 * Each meter reading is estimated once, when the caller hands it over:
 * a later charger reading against the same meter reading would mix two
 * moments again.
 *
 * The estimate in force is the highest of the last two aligned readings'
 * and the floors since: a building that rises is believed at once (cuts
 * are never delayed); one that falls is believed when a second aligned
 * reading says so (raises wait one poll). A car whose current changed in
 * the few milliseconds between the meter's reading and its charger's
 * makes one estimate wrong by its step: low (the other reading covers
 * it) or, for a car that stopped in that instant, high for one reading
 * (a cut that the next reading undoes).
 *
 * Then the deadband (deadband()).
 */
static int32_t
estimate(const struct cycle *cy, const struct cycle_reading *rd, int p,
    bool floor)
{
	const struct alloc_site *s = &cy->site;
	int32_t	 ev = 0;

	if (!s->chargers_in_clamps)
		return s->clamp_da[p];
	for (size_t i = 0; i < cy->n; i++) {
		const struct alloc_conn *c = &cy->ac[i];
		int32_t	 d;

		if (!c->online)		/* alloc_building(): no reading */
			continue;
		d = c->draw_da[p] > 0 ? c->draw_da[p] : 0;
		/* Not read at this round nor the one before
		 * (its link failing, not yet offline): its old reading is
		 * no reading, as for an offline charger; what it really
		 * draws stays in the building, and it is counted on top. */
		if (!floor && cy->bld_have && cy->meter_ms != 0 &&
		    rd[i].taken_ms < cy->bld_ms)
			d = 0;
		if (floor && rd[i].taken_ms < cy->meter_ms &&
		    (alloc_wired(c->phase) >> p & 1)) {
			int32_t	 f = rd[i].rc.setpoint_da > rd[i].may_force_da ?
			    rd[i].rc.setpoint_da : rd[i].may_force_da;

			if (f > d)
				d = f;
		}
		ev += d;
	}
	return s->clamp_da[p] - ev;
}

/* Is the meter's reading aligned: some charger was read after it? */
static bool
aligned(const struct cycle *cy, const struct cycle_reading *rd)
{
	bool	 any = false;

	if (cy->meter_ms == 0)
		return true;
	for (size_t i = 0; i < cy->n; i++) {
		if (!cy->ac[i].online)
			continue;
		if (rd[i].taken_ms >= cy->meter_ms)
			return true;
		any = true;
	}
	return !any;
}

/*
 * The deadband: the value in force moves only when the estimate leaves
 * the band of db either side of it: to the band's edge for a drift
 * (noise narrower than the band, +-0.3 A against the default 0.5 A,
 * moves nobody), to the estimate itself for a step of twice the band or
 * more. The value in force is never more than db below the estimate, and
 * the configuration keeps the deadband within the margin, so the fuse
 * never carries more than it may; it may be up to db above (that much
 * left unused).
 */
static int32_t
deadband(bool have, int32_t held, int32_t b, int32_t db, bool surplus)
{
	int32_t	 d = b - held;

	/* Where the surplus counts (hybrid, green), a building below the
	 * estimate would be PV that is not there: rises are taken whole. */
	if (!have || d >= 2 * db || -d >= 2 * db || (surplus && d > 0))
		return b;
	if (d > db)
		return b - db;
	if (-d > db)
		return b + db;
	return held;
}

static void
building(struct cycle *cy, const struct cycle_reading *rd)
{
	struct alloc_site *s = &cy->site;

	if (s->mode == ALLOC_STATIC || !s->meter_online) {
		cy->bld_have = false;
		s->building_given = false;
		return;
	}
	if (!cy->bld_have || cy->meter_ms == 0 ||
	    cy->meter_ms != cy->bld_seen_ms) {
		bool	 recent = cy->bld_have && cy->meter_ms >= cy->bld_ms &&
		    cy->meter_ms - cy->bld_ms <= CYCLE_BUILDING_KEEP_MS;
		bool	 floor = recent && !aligned(cy, rd);

		for (int p = 0; p < EVG_PHASES; p++) {
			int32_t	 est = estimate(cy, rd, p, floor), b;

			if (floor) {
				if (est > cy->bld_floor[p])
					cy->bld_floor[p] = est;
			} else {
				cy->bld_prev[p] = recent ? cy->bld_cur[p] : est;
				/* The readings between the last two
				 * rounds count until the next round */
				if (recent && cy->bld_floor[p] > cy->bld_prev[p])
					cy->bld_prev[p] = cy->bld_floor[p];
				cy->bld_cur[p] = est;
				cy->bld_floor[p] = INT32_MIN;
			}
			b = cy->bld_cur[p] > cy->bld_prev[p] ? cy->bld_cur[p] :
			    cy->bld_prev[p];
			if (cy->bld_floor[p] > b)
				b = cy->bld_floor[p];
			cy->bld_held[p] = deadband(cy->bld_have, cy->bld_held[p],
			    b, cy->deadband_da, s->mode == ALLOC_HYBRID ||
			    s->mode == ALLOC_GREEN);
		}
		cy->bld_have = true;
		cy->bld_seen_ms = cy->meter_ms;
		if (!floor)
			cy->bld_ms = cy->meter_ms;
	}
	s->building_given = true;
	memcpy(s->building_da, cy->bld_held, sizeof(s->building_da));
}

/*
 * The circuits as the allocator gets them (cycle.h): the caller's, each
 * metered one with its load estimated from its readings. A circuit whose
 * meter is silent has no estimate: the allocator gives its chargers its
 * offline limit. Returns the site to allocate with.
 */
static struct alloc_site
circuits(struct cycle *cy)
{
	struct alloc_site s = cy->site;
	struct alloc_res r;
	int32_t	 ev[ALLOC_CIRCUITS_MAX][EVG_PHASES];

	if (s.circuit == NULL || s.ncircuits == 0) {
		s.ncircuits = 0;
		return s;
	}
	if (s.ncircuits > ALLOC_CIRCUITS_MAX - 1)
		s.ncircuits = ALLOC_CIRCUITS_MAX - 1;
	memcpy(cy->circ, s.circuit, s.ncircuits * sizeof(cy->circ[0]));
	s.circuit = cy->circ;
	alloc_res_init(&r, &s);
	alloc_circuit_draws(&r, cy->ac, cy->n, ev);
	for (int id = 1; id < r.nc; id++) {
		struct alloc_circuit *k = &cy->circ[id - 1];

		if (!k->metered || !k->meter_online || k->building_given) {
			cy->c_have[id] = false;
			continue;
		}
		if (!cy->c_have[id] || cy->c_meter_ms[id] == 0 ||
		    cy->c_meter_ms[id] != cy->c_seen_ms[id]) {
			for (int p = 0; p < EVG_PHASES; p++) {
				int32_t	 est = k->chargers_in_clamps ?
				    k->clamp_da[p] - ev[id][p] : k->clamp_da[p];

				cy->c_prev[id][p] = cy->c_have[id] ?
				    cy->c_cur[id][p] : est;
				cy->c_cur[id][p] = est;
			}
			cy->c_have[id] = true;
			cy->c_seen_ms[id] = cy->c_meter_ms[id];
		}
		k->building_given = true;
		for (int p = 0; p < EVG_PHASES; p++)
			k->building_da[p] = cy->c_cur[id][p] > cy->c_prev[id][p] ?
			    cy->c_cur[id][p] : cy->c_prev[id][p];
	}
	return s;
}

/*
 * Why connector i is offered what it is: the one reason that binds. Its
 * charger offline (the allocator's, with what it is counted at), locked
 * or stopped by a fault; an operator's pause (it holds whether a car is
 * there or not); no car, or one waiting for authorisation; smart
 * charging's wait; an OCPP charging profile's cap below its minimum
 * (or its maximum at the cap); a setpoint the charger refuses, or one it holds back
 * (its contactor's rest, heat); a raise the planner holds back while cut
 * cars follow; else the allocator's reason (alloc.c).
 * *w holds the allocator's on entry.
 */
static void
why_of(const struct cycle *cy, size_t i, const struct cycle_reading *r,
    const struct cycle_op *op, struct conn_why *w)
{
	enum conn_reason r_early = REASON_NONE, r_car = REASON_NONE;

	if (!r->online)
		return;		/* the allocator's: charger offline */
	switch (r->rc.state) {
	case CS_LOCKED:
		r_early = REASON_LOCKED;
		break;
	case CS_FAULT:
		r_early = REASON_FAULT;
		break;
	case CS_AVAILABLE:
		r_car = REASON_NO_CAR;
		break;
	case CS_WAIT_AUTH:
		r_car = REASON_WAIT_AUTH;
		break;
	default:
		if (!cycle_wants_current(&r->rc))
			r_car = REASON_NO_CAR;	/* a state unknown to us */
		break;
	}
	if (r_early == REASON_NONE && op->retired)
		r_early = REASON_DECOMMISSIONED;
	if (r_early == REASON_NONE && op->paused)
		r_early = REASON_OPERATOR_PAUSE;
	if (r_early == REASON_NONE)
		r_early = r_car;
	memset(w, 0, sizeof(*w));
	w->phase = -1;
	if (r_early != REASON_NONE)
		w->reason = (uint8_t)r_early;
	else if (op->blocked) {
		w->reason = op->blocked_why ? op->blocked_why :
		    REASON_SMART_DELAY;
		w->until_ms = op->blocked_until_ms;
	} else if (op->capped && op->cap_da < cy->ac[i].min_da &&
	    op->test_da == 0) {
		w->reason = REASON_OCPP_PROFILE;	/* paused by it */
		w->value_da = op->cap_da;
	} else if (op->refused_da > 0) {
		w->reason = REASON_CHARGER_REFUSED;
		w->value_da = op->refused_da;
	} else if (r->rc.state == CS_NO_CURRENT && r->rc.setpoint_da > 0 &&
	    cy->plan[i].setpoint_da > 0)
		/* offered, in force, and still no current: its contactor's
		 * minimum open time, or heat (alloc.h: held) */
		w->reason = REASON_CHARGER_HOLDS;
	else if (op->test_da > 0) {
		w->reason = REASON_TEST_MODE;
		w->value_da = op->test_da;
	} else if (cy->plan[i].setpoint_da < cy->target[i])
		w->reason = REASON_RAISE_PENDING;
	else
		*w = cy->why[i];
	/* at its maximum, and the maximum is the profile's cap */
	if (w->reason == REASON_AT_MAX && op->capped && op->test_da == 0 &&
	    cy->ac[i].max_da == op->cap_da) {
		w->reason = REASON_OCPP_PROFILE;
		w->value_da = op->cap_da;
	}
	if (op->hold && (w->reason == REASON_AT_MAX ||
	    w->reason == REASON_BELOW_MINIMUM))
		w->reason = REASON_TEST_HOLD;	/* its cap is the hold */
}

/*
 * A phase check (testmode.h): the connector under test is offered its
 * test current exactly, in the highest priority class, without the
 * rotation rest a pause would have left it; the others are held at what
 * they were told (never raised, none started). The allocator still puts
 * the fuse first.
 *
 * The test current is counted on all three phases, whatever the
 * connector's configured wiring: the check runs because that wiring may
 * be wrong, so the car may draw on any phase, and the worst case still
 * possible is reserved (a single-phase car counted on one phase would
 * leave a phase it really draws on unguarded). Nothing is learnt of the
 * car's phases meanwhile: the charger maps its currents by a wiring that
 * may be the wrong one.
 */
static void
test_inputs(struct cycle *cy, size_t i, const struct cycle_op *op)
{
	struct alloc_conn *a = &cy->ac[i];

	if (op->test_da > 0) {
		a->min_da = a->max_da = op->test_da < a->max_da ?
		    op->test_da : a->max_da;
		a->priority = 16383;
		a->phase = PHASE_L1L2L3;
		cy->memo[i].car_lines = 0;
		cy->memo[i].one_phase_since = 0;
		if (cy->memo[i].offer_da == 0)
			cy->memo[i].since_ms = 0;
	} else if (op->hold && cy->told[i] < a->max_da)
		a->max_da = cy->told[i];
}

void
cycle_run(struct cycle *cy, const struct cycle_conf *cf,
    const struct cycle_reading *rd, const struct cycle_op *op, uint64_t now,
    struct cycle_out *out)
{
	int32_t	 used[ALLOC_RES_MAX];
	struct alloc_site site;

	for (size_t i = 0; i < cy->n; i++) {
		conn_from(&cy->ac[i], &cf[i], &rd[i], &op[i], now);
		test_inputs(cy, i, &op[i]);
	}
	building(cy, rd);
	site = circuits(cy);
	alloc_compute(&site, cy->ac, cy->memo, cy->n, now, cy->work,
	    cy->target, &cy->out, cy->why);
	plan_step(cy->plan, &site, cy->ac, cy->memo, cy->n, cy->target,
	    &cy->out, now);
	for (size_t i = 0; i < cy->n; i++) {
		struct conn_why w = cy->why[i];

		why_of(cy, i, &rd[i], &op[i], &w);
		cy->why[i] = w;
	}

	/* Overload: less available than what was offered before this cycle's
	 * cuts; the cut connectors still count at their old value. */
	memset(out, 0, sizeof(*out));
	plan_counted(cy->plan, &site, cy->ac, cy->memo, cy->n, used);
	for (size_t i = 0; i < cy->n; i++)
		out->cut += cy->plan[i].counted_da > cy->plan[i].setpoint_da;
	for (int p = 0; p < EVG_PHASES; p++) {
		out->before_da[p] = cy->last_hard[p];
		out->offered_da[p] = used[p];
		out->overload[p] = cy->cycles > 0 &&
		    cy->out.hard_da[p] < cy->last_hard[p] &&
		    used[p] > cy->out.hard_da[p];
	}
	memcpy(cy->last_hard, cy->out.hard_da, sizeof(cy->last_hard));
	for (size_t id = 1; id <= site.ncircuits; id++) {
		for (int p = 0; p < EVG_PHASES; p++) {
			int32_t	 h = cy->out.c_hard_da[id][p];

			if (cy->cycles > 0 && h < cy->c_last_hard[id][p] &&
			    used[id * EVG_PHASES + p] > h)
				out->overload_circuits |= (uint64_t)1 << id;
		}
		memcpy(cy->c_last_hard[id], cy->out.c_hard_da[id],
		    sizeof(cy->c_last_hard[id]));
	}
	cy->cycles++;

	/* Every change goes out now, and a cut against what the charger
	 * says is in force too: the planner has already put cuts before
	 * raises, and a car plugged in is offered current within one
	 * poll. A steady site changes nothing (the deadband). */
	for (size_t i = 0; i < cy->n; i++) {
		int32_t	 sp = cy->plan[i].setpoint_da;

		cy->setpoint[i] = sp;
		out->changed += sp != cy->told[i];
		cy->write_now[i] = rd[i].online && (sp != cy->told[i] ||
		    sp < rd[i].rc.setpoint_da);
		cy->told[i] = sp;
	}
	out->setpoint = cy->setpoint;
	out->write_now = cy->write_now;
	out->why = cy->why;
}
