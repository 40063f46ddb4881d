/*
 * test_scenarios.c: the allocator and the setpoint planner driving real
 * charger firmware cores and simulated cars, in virtual time, no sockets.
 * A control cycle every second (meter, allocate, plan, write setpoints);
 * the chargers step every 10 ms. At every step, invariant (a): on each
 * phase, the offers in force (each counted at its highest value of the
 * last 5 s: a car may take that long to follow a lower one) fit in what
 * the phase could carry at some moment of the last 5 s + one control
 * period (the master only learns a load step at its next meter reading).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alloc.h"
#include "planner.h"
#include "slave.h"

#define MAXCH		8
#define MAXC		(2 * MAXCH)
#define TICK		10
#define CYCLE_MS	1000
#define OHIST		(PLAN_EV_RESPONSE_MS / TICK)		/* 5 s */
#define HIST		((PLAN_EV_RESPONSE_MS + CYCLE_MS) / TICK + 1)

struct scen {
	struct slave	 ch[MAXCH];
	int		 nch, nconn;	/* connectors per charger */
	bool		 offline[MAXCH];
	struct alloc_site site;
	struct alloc_conn ac[MAXC];
	struct alloc_memo memo[MAXC];
	struct plan_conn plan[MAXC];
	int32_t		 target[MAXC];
	unsigned char	 work[MAXC * 64];	/* >= alloc_work_size(MAXC) */
	struct alloc_out out;
	int32_t		 base_da[EVG_PHASES];	/* the building */
	uint64_t	 now, t0;
	uint16_t	 heartbeat;
	uint64_t	 last_heard[MAXCH];
	/* invariant bookkeeping */
	int32_t		 offer_hist[MAXC][OHIST];
	int		 opos;
	int32_t		 avail_hist[EVG_PHASES][HIST];
	int		 hpos;
	int		 contactor_ops[MAXC];
	bool		 was_closed[MAXC];
	int32_t		 worst_over;
};

static struct slave *
conn_slave(struct scen *s, int i, int *ci)
{
	*ci = i % s->nconn;
	return &s->ch[i / s->nconn];
}

static struct fw_conn *
fwc(struct scen *s, int i)
{
	int	 ci;

	return &conn_slave(s, i, &ci)->fw.conn[ci];
}

static void
scen_init(struct scen *s, int nch, int nconn, enum alloc_mode mode,
    int32_t site_limit, const char *phases)
{
	struct slave_config conf;

	assert_true(alloc_work_size(MAXC) <= sizeof(s->work));
	memset(s, 0, sizeof(*s));
	s->nch = nch;
	s->nconn = nconn;
	s->now = s->t0 = 1000000;
	slave_config_defaults(&conf);
	conf.connectors = nconn;
	conf.link.enabled = true;
	conf.link.fallback_current = 0;
	conf.link.fallback_timeout = 10;
	conf.min_open_time = 10;
	for (int c = 0; c < nch; c++) {
		for (int k = 0; k < nconn; k++)
			conf.conn[k].phase = phases != NULL ?
			    (enum phase_conn)(phases[c * nconn + k] - '0') :
			    PHASE_L1L2L3;
		snprintf(conf.serial, sizeof(conf.serial), "SCN%013d", c + 1);
		assert_int_equal(slave_init(&s->ch[c], &conf, s->now), 0);
	}
	s->site = (struct alloc_site){
		.mode = mode, .strategy = STRATEGY_MAXIMISE,
		.group_limit_da = 10000, .site_limit_da = site_limit,
		.margin_da = 0, .offline_limit_da = 100,
		.meter_online = true, .chargers_in_clamps = true,
		.clamp_enabled = { true, true, true },
		.min_run_ms = ALLOC_MIN_RUN_MS, .min_pause_ms = ALLOC_MIN_PAUSE_MS,
		.fallback_timeout_ms = 10000,
		.green_start_ms = ALLOC_GREEN_START_MS,
		.green_stop_ms = ALLOC_GREEN_STOP_MS,
	};
}

static void
cmd(struct scen *s, int ch, const char *line)
{
	char	*r = slave_control_line(&s->ch[ch], line, s->now);

	assert_non_null(r);
	if (strcmp(r, "ok") != 0)
		fail_msg("charger %d: %s: %s", ch, line, r);
	free(r);
}

/* What the phase could carry now, from the truth of the building. */
static int32_t
true_avail(const struct scen *s, int p)
{
	int32_t a = s->site.site_limit_da - (s->base_da[p] > 0 ?
	    s->base_da[p] : 0) - s->site.margin_da;

	if (s->site.mode == ALLOC_STATIC || !s->site.meter_online)
		a = s->out.hard_da[p];
	return a < s->site.group_limit_da ? a : s->site.group_limit_da;
}

static void
control_cycle(struct scen *s)
{
	int	 n = s->nch * s->nconn;

	for (int p = 0; p < EVG_PHASES; p++) {
		int32_t ev = 0;

		for (int i = 0; i < n; i++)
			ev += fwc(s, i)->site_da[p];
		s->site.clamp_da[p] = s->base_da[p] + ev;
	}
	for (int i = 0; i < n; i++) {
		int	 ci;
		struct slave *sl = conn_slave(s, i, &ci);
		const struct fw_conn *c = &sl->fw.conn[ci];
		struct alloc_conn *a = &s->ac[i];

		a->phase = sl->fw.cfg.conn[ci].phase;
		a->min_da = ALLOC_MIN_DA;
		a->max_da = sl->fw.cfg.conn[ci].max_da;
		a->online = !s->offline[i / s->nconn];
		a->demand = c->sess.active && c->state != CS_FAULT &&
		    c->state != CS_LOCKED;
		a->fallback_da = sl->fw.cfg.fallback_da;
		if (!s->offline[i / s->nconn]) {
			/* what the master reads: register +19 */
			a->in_force_da = fw_setpoint_in_force(&sl->fw, ci);
			s->last_heard[i / s->nconn] = s->now;
			a->silent_ms = 0;
		} else
			a->silent_ms = (uint32_t)(s->now -
			    s->last_heard[i / s->nconn]);
		memcpy(a->draw_da, c->site_da, sizeof(a->draw_da));
		a->session_wh = c->sess.energy_wh;
		a->session_id = c->sess.number;
	}
	alloc_compute(&s->site, s->ac, s->memo, (size_t)n, s->now, s->work,
	    s->target, &s->out);
	plan_step(s->plan, &s->site, s->ac, s->memo, (size_t)n, s->target,
	    s->out.hard_da, s->now);
	s->heartbeat++;
	for (int c = 0; c < s->nch; c++) {
		if (s->offline[c])
			continue;
		fw_heartbeat(&s->ch[c].fw, s->heartbeat, s->now);
		for (int k = 0; k < s->nconn; k++) {
			int rc = fw_setpoint(&s->ch[c].fw, k,
			    s->plan[c * s->nconn + k].setpoint_da);

			assert_true(rc == 0 || rc == -EBUSY);
		}
	}
}

static void
check_step(struct scen *s)
{
	int	 n = s->nch * s->nconn;
	int32_t	 used[EVG_PHASES] = { 0 };

	s->hpos = (s->hpos + 1) % HIST;
	s->opos = (s->opos + 1) % OHIST;
	for (int p = 0; p < EVG_PHASES; p++)
		s->avail_hist[p][s->hpos] = true_avail(s, p);
	for (int i = 0; i < n; i++) {
		const struct fw_conn *c = fwc(s, i);
		int32_t counted = 0;
		uint8_t	 mask = alloc_phases(&s->ac[i], &s->memo[i]);

		if (s->offline[i / s->nconn] || s->ac[i].phase == 0)
			mask = 0;
		for (int l = 0; s->ac[i].phase && l < phase_conn_lines(
		    s->ac[i].phase) && s->offline[i / s->nconn]; l++)
			mask |= (uint8_t)(1u << phase_conn_site_phase(
			    s->ac[i].phase, l));
		s->offer_hist[i][s->opos] = c->offer_da;
		/* A lowered offer counts at its old value for 5 s, unless the
		 * car already draws no more than the new one. */
		counted = c->offer_da;
		{
			int32_t drawn = 0;

			for (int p = 0; p < EVG_PHASES; p++)
				if (c->site_da[p] > drawn)
					drawn = c->site_da[p];
			if (drawn > c->offer_da)
				for (int h = 0; h < OHIST; h++)
					if (s->offer_hist[i][h] > counted)
						counted = s->offer_hist[i][h];
		}
		for (int p = 0; p < EVG_PHASES; p++)
			if (mask >> p & 1)
				used[p] += counted;
		if (c->close_cmd != s->was_closed[i]) {
			s->contactor_ops[i]++;
			s->was_closed[i] = c->close_cmd;
		}
	}
	for (int p = 0; p < EVG_PHASES; p++) {
		int32_t best = 0;

		for (int h = 0; h < HIST; h++)
			if (s->avail_hist[p][h] > best)
				best = s->avail_hist[p][h];
		if (used[p] > best && used[p] - best > s->worst_over) {
			s->worst_over = used[p] - best;
			if (getenv("EVG_SCEN_DEBUG")) {
				fprintf(stderr, "t=%llu L%d used %d best %d\n",
				    (unsigned long long)(s->now - s->t0), p + 1,
				    used[p], best);
				for (int i = 0; i < n; i++)
					fprintf(stderr, "  c%d offer %d sp %d tgt %d "
					    "mask %u online %d\n", i,
					    fwc(s, i)->offer_da,
					    s->plan[i].setpoint_da, s->target[i],
					    alloc_phases(&s->ac[i], &s->memo[i]),
					    s->ac[i].online);
			}
		}
	}
}

static void
run(struct scen *s, uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t += TICK) {
		s->now += TICK;
		if ((s->now - s->t0) % CYCLE_MS == 0)
			control_cycle(s);
		for (int c = 0; c < s->nch; c++)
			slave_tick(&s->ch[c], s->now);
		check_step(s);
	}
}

static int32_t
phase_draw(struct scen *s, int p)
{
	int32_t d = 0;

	for (int i = 0; i < s->nch * s->nconn; i++)
		d += fwc(s, i)->site_da[p];
	return d;
}

static struct scen S;

/* The building jumps from 30 A to 80 A on a 100 A supply. */
static void
test_base_load_step(void **state)
{
	struct scen *s = &S;

	(void)state;
	scen_init(s, 4, 2, ALLOC_DYNAMIC, 1000, NULL);
	for (int p = 0; p < 3; p++)
		s->base_da[p] = 300;
	for (int c = 0; c < 4; c++) {
		cmd(s, c, "car 1 max 32");
		cmd(s, c, "plug 1");
		cmd(s, c, "car 2 max 32");
		cmd(s, c, "plug 2");
	}
	run(s, 60000);
	/* 70 A shared by eight cars: 8.7 A each, all of it used. */
	for (int p = 0; p < 3; p++)
		assert_in_range(phase_draw(s, p), 690, 700);
	for (int p = 0; p < 3; p++)
		s->base_da[p] = 800;
	run(s, CYCLE_MS);
	/* Cut in the same cycle: the setpoints fit the new 20 A. */
	{
		int32_t sum = 0;

		for (int i = 0; i < 8; i++)
			sum += s->plan[i].setpoint_da;
		assert_true(sum <= 200);
	}
	run(s, 10000);
	/* 20 A left: three cars at 6 A, the rest paused; drawn for real. */
	for (int p = 0; p < 3; p++)
		assert_true(phase_draw(s, p) + s->base_da[p] <= 1000);
	assert_int_equal(s->worst_over, 0);
	assert_int_equal(s->out.running, 3);
}

/* Eight cars on a supply that carries five at the minimum: rotation. */
static void
test_eight_cars_on_five(void **state)
{
	struct scen *s = &S;
	uint64_t start;

	(void)state;
	scen_init(s, 4, 2, ALLOC_DYNAMIC, 300, NULL);
	for (int c = 0; c < 4; c++) {
		cmd(s, c, "plug 1");
		cmd(s, c, "plug 2");
	}
	start = s->now;
	run(s, 60 * 60 * 1000);	/* an hour */
	assert_int_equal(s->worst_over, 0);
	for (int i = 0; i < 8; i++) {
		const struct fw_conn *c = fwc(s, i);

		/* Everyone charged; nobody chattered: with 5 min minimum
		 * run and pause, at most ~one close and open per 10 min. */
		assert_true(c->sess.energy_wh > 500);
		assert_true(s->contactor_ops[i] <= 2 * 60 / 10 + 2);
	}
	(void)start;
	assert_int_equal(s->out.running, 5);
}

/* A single-phase car on a three-phase charger is charged against the one
 * phase it uses; the other phases go to the others. */
static void
test_single_phase_car_on_three_phase_charger(void **state)
{
	struct scen *s = &S;

	(void)state;
	/* connector 1: L1L2L3 (single-phase car); connector 2: L2 only. */
	scen_init(s, 1, 2, ALLOC_DYNAMIC, 200, "42");
	cmd(s, 0, "car 1 phases 1");
	cmd(s, 0, "car 1 max 32");
	cmd(s, 0, "car 2 phases 1");
	cmd(s, 0, "car 2 max 32");
	cmd(s, 0, "plug 1");
	cmd(s, 0, "plug 2");
	run(s, 60000);
	assert_int_equal(s->memo[0].car_lines, 1u << 0);	/* L1 */
	/* Until it was known, connector 1 counted on L2 too; now the
	 * L2-only connector gets all of L2. */
	assert_int_equal(s->target[0], 200);
	assert_int_equal(s->target[1], 200);
	assert_int_equal(s->worst_over, 0);
}

/* A charger drops off: each strategy, and its watchdog fallback. */
static void
offline_case(enum alloc_strategy st, int32_t fallback, int32_t want_other)
{
	struct scen *s = &S;

	scen_init(s, 3, 1, ALLOC_STATIC, 0, NULL);
	s->site.group_limit_da = 300;
	s->site.strategy = st;
	for (int c = 0; c < 3; c++) {
		char	 b[40];

		snprintf(b, sizeof(b), "%d", fallback);
		(void)b;
		s->ch[c].fw.cfg.fallback_da = fallback;
		cmd(s, c, "plug 1");
	}
	run(s, 30000);
	assert_int_equal(s->target[0], 100);
	s->offline[1] = true;	/* no more heartbeats or setpoints */
	run(s, 30000);
	assert_int_equal(s->ch[1].fw.status, UNIT_FALLBACK);
	assert_int_equal(s->ch[1].fw.conn[0].offer_da, fallback);
	assert_int_equal(s->target[0], want_other);
	assert_int_equal(s->target[2], want_other);
	assert_int_equal(s->worst_over, 0);
	s->offline[1] = false;
	/* Everyone paused by the strategy rests its minimum pause first. */
	run(s, ALLOC_MIN_PAUSE_MS + 30000);
	assert_int_equal(s->target[1], 100);
	assert_int_equal(s->worst_over, 0);
}

static void
test_offline_zero(void **state)
{
	(void)state;
	offline_case(STRATEGY_ZERO, 60, 0);
}

static void
test_offline_minimise(void **state)
{
	(void)state;
	offline_case(STRATEGY_MINIMISE, 60, 60);
}

static void
test_offline_maximise(void **state)
{
	(void)state;
	/* 30 A minus the silent charger's 6 A fallback, for two. */
	offline_case(STRATEGY_MAXIMISE, 60, 120);
}

/* The meter goes silent: the conservative limit; then back. */
static void
test_meter_loss_and_return(void **state)
{
	struct scen *s = &S;

	(void)state;
	scen_init(s, 2, 1, ALLOC_DYNAMIC, 1000, NULL);
	s->site.offline_limit_da = 120;
	for (int c = 0; c < 2; c++) {
		cmd(s, c, "car 1 max 32");
		cmd(s, c, "plug 1");
	}
	run(s, 30000);
	assert_int_equal(s->target[0], 320);
	s->site.meter_online = false;
	run(s, 10000);
	assert_int_equal(s->target[0], 60);
	assert_int_equal(s->target[1], 60);
	s->site.meter_online = true;
	run(s, 20000);
	assert_int_equal(s->target[0], 320);
	assert_int_equal(s->worst_over, 0);
}

/* Green: start once the surplus covers 6 A for 60 s, stop once it has
 * not for 300 s. */
static void
test_green_hysteresis(void **state)
{
	struct scen *s = &S;
	uint64_t t_sun, t_cloud;
	bool	 started = false;

	(void)state;
	scen_init(s, 1, 1, ALLOC_GREEN, 1000, NULL);
	cmd(s, 0, "car 1 phases 3");
	cmd(s, 0, "plug 1");
	for (int p = 0; p < 3; p++)
		s->base_da[p] = 50;		/* importing */
	run(s, 60000);
	assert_int_equal(s->target[0], 0);
	for (int p = 0; p < 3; p++)
		s->base_da[p] = -100;		/* 10 A exported */
	t_sun = s->now;
	while (s->now - t_sun < 120000) {
		run(s, CYCLE_MS);
		if (s->target[0] > 0 && !started) {
			started = true;
			assert_true(s->now - t_sun >= ALLOC_GREEN_START_MS);
		}
	}
	assert_true(started);
	assert_int_equal(s->target[0], 100);	/* the surplus, all of it */
	for (int p = 0; p < 3; p++)
		s->base_da[p] = -30;		/* 3 A: not enough for 6 */
	t_cloud = s->now;
	run(s, 200000);
	assert_int_equal(s->target[0], 60);	/* still running */
	run(s, 150000);
	assert_int_equal(s->target[0], 0);	/* stopped after 300 s */
	(void)t_cloud;
	assert_int_equal(s->worst_over, 0);
}

/* Hybrid: the surplus on top of a minimum that always runs. */
static void
test_hybrid(void **state)
{
	struct scen *s = &S;

	(void)state;
	scen_init(s, 1, 1, ALLOC_HYBRID, 1000, NULL);
	cmd(s, 0, "car 1 max 32");
	cmd(s, 0, "plug 1");
	for (int p = 0; p < 3; p++)
		s->base_da[p] = 50;
	run(s, 30000);
	assert_int_equal(s->target[0], 60);
	for (int p = 0; p < 3; p++)
		s->base_da[p] = -150;	/* 15 A exported */
	run(s, 30000);
	assert_int_equal(s->target[0], 150);
	assert_int_equal(s->worst_over, 0);
}

/* A car that takes less than offered gives the rest to another. */
static void
test_reclaim(void **state)
{
	struct scen *s = &S;

	(void)state;
	scen_init(s, 1, 2, ALLOC_DYNAMIC, 400, NULL);
	cmd(s, 0, "car 1 max 10");	/* takes 10 A whatever it is offered */
	cmd(s, 0, "car 2 max 32");
	cmd(s, 0, "plug 1");
	cmd(s, 0, "plug 2");
	run(s, 20000);
	assert_int_equal(s->target[0], 200);
	assert_int_equal(s->target[1], 200);
	run(s, 60000);
	/* trimmed to its 10 A + 2 A; the other gets the rest */
	assert_int_equal(s->target[0], 120);
	assert_int_equal(s->target[1], 280);
	assert_int_equal(s->worst_over, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_load_step),
		cmocka_unit_test(test_eight_cars_on_five),
		cmocka_unit_test(test_single_phase_car_on_three_phase_charger),
		cmocka_unit_test(test_offline_zero),
		cmocka_unit_test(test_offline_minimise),
		cmocka_unit_test(test_offline_maximise),
		cmocka_unit_test(test_meter_loss_and_return),
		cmocka_unit_test(test_green_hysteresis),
		cmocka_unit_test(test_hybrid),
		cmocka_unit_test(test_reclaim),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
