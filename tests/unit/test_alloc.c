/*
 * test_alloc.c: the allocator's rules that depend on what happened
 * before, one behaviour a test, cycle by cycle on hand-made sites (no
 * firmware: each charger has its offer in force at once and its car
 * draws what it is offered, up to what it wants). The scenario tests
 * drive the same rules through the firmware; the property tests check
 * the fuse over random sites.
 *  - an idle car (offered, drawing nothing for a minute) gives its place
 *    and takes its minimum only in what the others leave; a car held back
 *    by its charger is not idle; drawing makes it an ordinary car again;
 *    paused, it is offered its place again after 30 minutes, without
 *    displacing a running car;
 *  - rotation: a paused car displaces a running one only when it has
 *    received 1 kWh less;
 *  - why each connector got what it got (issue 18, section 2): the one
 *    reason that binds, with its phase and its end, from the scenario
 *    that produces it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "planner.h"

#define N	3
#define SEC	1000

static struct alloc_site site;
static struct alloc_conn c[N];
static struct alloc_memo m[N];
static int32_t	 off[N], want[N];
static struct alloc_out out;
static struct conn_why why[N];
static void	*work;
static uint64_t	 now;

/* A site whose chargers may share limit_da per phase, every car on a
 * three-phase connector of 32 A, none plugged yet. */
static void
site_init(int32_t limit_da)
{
	memset(&site, 0, sizeof(site));
	memset(c, 0, sizeof(c));
	memset(m, 0, sizeof(m));
	memset(off, 0, sizeof(off));
	memset(want, 0, sizeof(want));
	site.mode = ALLOC_DYNAMIC;
	site.strategy = STRATEGY_MAXIMISE;
	site.group_limit_da = site.site_limit_da = limit_da;
	site.offline_limit_da = limit_da;
	site.meter_online = true;
	site.clamp_enabled[0] = site.clamp_enabled[1] =
	    site.clamp_enabled[2] = true;	/* the building draws nothing */
	site.min_run_ms = ALLOC_MIN_RUN_MS;
	site.min_pause_ms = ALLOC_MIN_PAUSE_MS;
	site.fallback_timeout_ms = 10 * SEC;
	for (int i = 0; i < N; i++) {
		c[i].phase = PHASE_L1L2L3;
		c[i].min_da = ALLOC_MIN_DA;
		c[i].max_da = 320;
		c[i].online = true;
		c[i].fallback_known = true;
		c[i].session_id = 1;
	}
	now = 1000000;
}

/* Car i plugged in, wanting want_da. */
static void
plug(int i, int32_t want_da)
{
	c[i].demand = true;
	want[i] = want_da;
}

/* Cycles a second apart for ms: each offer in force at once, each car
 * drawing it up to what it wants on every phase. */
static void
cycles(uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t += SEC) {
		now += SEC;
		for (int i = 0; i < N; i++) {
			int32_t	 d = off[i] < want[i] ? off[i] : want[i];

			c[i].in_force_da = off[i];
			for (int p = 0; p < EVG_PHASES; p++)
				c[i].draw_da[p] = d;
		}
		alloc_compute(&site, c, m, N, now, work, off, &out, why);
	}
}

/* Two connectors on a 20 A board under a 100 A supply, one on the
 * supply: the board's pair share its 20 A, the third is not held back
 * by them (max-min over the tree); the reason names the board. */
static void
test_circuit_board_limit(void **state)
{
	static struct alloc_circuit board[1];

	(void)state;
	site_init(1000);
	board[0] = (struct alloc_circuit){ .parent = 0, .limit_da = 200 };
	site.circuit = board;
	site.ncircuits = 1;
	c[0].circuit = c[1].circuit = 1;
	plug(0, 320);
	plug(1, 320);
	plug(2, 320);
	cycles(3 * SEC);
	assert_int_equal(off[0] + off[1], 200);
	assert_true(abs(off[0] - off[1]) <= 1);
	assert_int_equal(off[2], 320);
	assert_int_equal(why[0].reason, REASON_CIRCUIT_LIMIT);
	assert_int_equal(why[0].circuit, 1);
	assert_int_equal(out.c_used_da[1][0], 200);
	assert_int_equal(out.c_hard_da[1][0], 200);
	assert_int_equal(why[2].reason, REASON_AT_MAX);
	/* the same request without the board: everyone at the maximum */
	site.ncircuits = 0;
	cycles(3 * SEC);
	assert_int_equal(off[0], 320);
	assert_int_equal(off[1], 320);
}

/* A board with its own meter: its load comes off its limit; its meter
 * silent, its offline limit applies to it alone. */
static void
test_circuit_meter(void **state)
{
	static struct alloc_circuit board[1];

	(void)state;
	site_init(1000);
	board[0] = (struct alloc_circuit){ .parent = 0, .limit_da = 320,
	    .metered = true, .meter_online = true, .offline_limit_da = 100,
	    .clamp_da = { 150, 150, 150 } };
	site.circuit = board;
	site.ncircuits = 1;
	c[0].circuit = 1;
	plug(0, 320);
	plug(2, 320);
	cycles(3 * SEC);
	assert_int_equal(off[0], 170);		/* 32 A less its 15 A */
	assert_int_equal(out.c_nonev_da[1][0], 150);
	assert_int_equal(off[2], 320);
	board[0].meter_online = false;
	cycles(SEC);
	assert_int_equal(off[0], 100);
	assert_int_equal(why[0].reason, REASON_CIRCUIT_METER_OFFLINE);
	assert_int_equal(off[2], 320);		/* the rest is not touched */
}

/* A 10 A imbalance limit: a single-phase car on L1 beside a three-phase
 * one is lowered until L1 carries at most 10 A more than the others;
 * the three-phase car is not. Without the limit it takes its maximum. */
static void
test_imbalance_limit(void **state)
{
	(void)state;
	site_init(1000);
	site.imbalance_da = 100;
	c[0].phase = PHASE_L1;
	plug(0, 320);
	plug(1, 320);
	cycles(3 * SEC);
	assert_int_equal(off[1], 320);
	assert_int_equal(off[0], 100);
	assert_int_equal(why[0].reason, REASON_IMBALANCE_LIMIT);
	assert_int_equal(why[0].phase, 0);
	/* a building that loads L2 and L3 by 6 A more leaves L1 16 A */
	site.clamp_da[1] = site.clamp_da[2] = 60;
	cycles(2 * SEC);
	assert_int_equal(off[0], 160);
	site.imbalance_da = 0;
	cycles(2 * SEC);
	assert_int_equal(off[0], 320);
}

/* The demand target's power: the chargers' current summed over the
 * phases; a three-phase car counts three times. */
static void
test_power_cap(void **state)
{
	(void)state;
	site_init(1000);
	site.power_capped = true;
	site.power_cap_da = 3 * 160;
	plug(0, 320);
	cycles(3 * SEC);
	assert_int_equal(off[0], 160);
	assert_int_equal(why[0].reason, REASON_DEMAND_LIMIT);
	assert_int_equal(out.power_used_da, 480);
	/* nothing left: the car pauses, by rotation (the target is an
	 * average over minutes, not a fuse): it rests its minimum pause
	 * before it starts again, so that it does not chatter */
	site.power_cap_da = 0;
	cycles(SEC);
	assert_int_equal(off[0], 0);
	assert_false(m[0].cut);
	site.power_capped = false;
	cycles(SEC);
	assert_int_equal(off[0], 0);
	assert_int_equal(why[0].reason, REASON_ROTATION_REST);
	cycles(ALLOC_MIN_PAUSE_MS);
	assert_int_equal(off[0], 320);
}

/* A limit from outside lowers the supply's, never raises it. */
static void
test_external_limit(void **state)
{
	(void)state;
	site_init(1000);
	site.external = true;
	site.external_da[0] = site.external_da[1] = site.external_da[2] = 200;
	plug(0, 320);
	cycles(3 * SEC);
	assert_int_equal(off[0], 200);
	assert_int_equal(why[0].reason, REASON_EXTERNAL_LIMIT);
	site.external_da[0] = site.external_da[1] = site.external_da[2] = 5000;
	cycles(SEC);
	assert_int_equal(out.hard_da[0], 1000);
	site.external = false;
	cycles(SEC);
	assert_int_equal(off[0], 320);
}

/* The planner keeps a board's limit too: a car's raise on a board waits
 * while another car on the same board, just lowered, may still draw its
 * old current (5 s, or until it follows); a car on another board is
 * raised at once. */
static void
test_planner_circuit_raise_waits(void **state)
{
	static struct alloc_circuit board[2];
	struct plan_conn pc[N];

	(void)state;
	site_init(1000);
	memset(pc, 0, sizeof(pc));
	board[0] = (struct alloc_circuit){ .parent = 0, .limit_da = 200 };
	board[1] = (struct alloc_circuit){ .parent = 0, .limit_da = 200 };
	site.circuit = board;
	site.ncircuits = 2;
	c[0].circuit = c[1].circuit = 1;
	c[2].circuit = 2;
	plug(0, 320);
	cycles(3 * SEC);
	plan_step(pc, &site, c, m, N, off, &out, now);
	assert_int_equal(pc[0].setpoint_da, 200);
	/* car 0 draws its 20 A; car 1 arrives on the same board, car 2 on
	 * the other one */
	for (int p = 0; p < EVG_PHASES; p++)
		c[0].draw_da[p] = 200;
	c[0].in_force_da = 200;
	plug(1, 320);
	plug(2, 320);
	now += SEC;
	alloc_compute(&site, c, m, N, now, work, off, &out, why);
	assert_int_equal(off[0] + off[1], 200);
	plan_step(pc, &site, c, m, N, off, &out, now);
	assert_int_equal(pc[0].setpoint_da, off[0]);	/* cut at once */
	assert_int_equal(pc[0].counted_da, 200);	/* still counted */
	assert_int_equal(pc[1].setpoint_da, 0);		/* waits */
	assert_int_equal(pc[2].setpoint_da, 200);	/* its own board */
	/* car 0's charger applied its cut and its car follows: car 1 gets
	 * its share */
	c[0].in_force_da = pc[0].setpoint_da;
	for (int p = 0; p < EVG_PHASES; p++)
		c[0].draw_da[p] = off[0];
	now += SEC;
	alloc_compute(&site, c, m, N, now, work, off, &out, why);
	plan_step(pc, &site, c, m, N, off, &out, now);
	assert_int_equal(pc[1].setpoint_da, off[1]);
	assert_true(pc[0].counted_da + pc[1].counted_da <= 200);
}

/* A board under an unmetered row, with a meter of its own: while that
 * meter is silent the row still counts the board's other loads, at the
 * worst its offline limit was sized for (its limit less it), never at
 * nothing (the row would carry its chargers on top of a load it forgot). */
static void
test_circuit_meter_offline_counts_above(void **state)
{
	static struct alloc_circuit board[2];

	(void)state;
	site_init(1000);
	board[0] = (struct alloc_circuit){ .parent = 0, .limit_da = 400 };
	board[1] = (struct alloc_circuit){ .parent = 1, .limit_da = 320,
	    .metered = true, .meter_online = true, .offline_limit_da = 100,
	    .clamp_da = { 200, 200, 200 } };
	site.circuit = board;
	site.ncircuits = 2;
	c[0].circuit = 1;
	c[1].circuit = 2;
	plug(0, 320);
	plug(1, 320);
	cycles(3 * SEC);
	assert_int_equal(out.c_hard_da[1][0], 200);	/* 40 A less 20 A */
	assert_int_equal(off[1], 100);		/* 32 A less 20, shared */
	assert_int_equal(off[0] + off[1], 200);
	board[1].meter_online = false;
	cycles(SEC);
	assert_int_equal(out.c_nonev_da[2][0], 220);	/* 32 A less 10 A */
	assert_int_equal(out.c_hard_da[1][0], 180);
	assert_true(off[1] <= 100);
	assert_true(off[0] + off[1] <= 180);
	assert_true(off[0] + off[1] + 220 <= 400);
}

/* Without a measured building (static, or the meter silent) a limit from
 * outside lowers what the chargers may take by as much as it lowers the
 * supply: the building may still be at its worst. */
static void
test_external_limit_unmeasured(void **state)
{
	(void)state;
	site_init(1000);
	site.mode = ALLOC_STATIC;
	site.group_limit_da = 600;
	site.external = true;
	site.external_da[0] = site.external_da[1] = site.external_da[2] = 700;
	plug(0, 800);
	c[0].max_da = 800;
	cycles(2 * SEC);
	assert_int_equal(off[0], 300);		/* 60 A less 30 A */
	assert_int_equal(why[0].reason, REASON_EXTERNAL_LIMIT);
	site.mode = ALLOC_DYNAMIC;
	site.meter_online = false;
	site.offline_limit_da = 500;
	cycles(SEC);
	assert_int_equal(off[0], 200);		/* 50 A less 30 A */
	assert_int_equal(why[0].reason, REASON_EXTERNAL_LIMIT);
	site.external = false;			/* the twin */
	cycles(SEC);
	assert_int_equal(off[0], 500);
	assert_int_equal(why[0].reason, REASON_METER_OFFLINE_LIMIT);
}

/* A full car keeps its offer for a minute, then is idle: the others take
 * what it held. */
static void
test_idle_after_a_minute(void **state)
{
	(void)state;
	site_init(200);
	plug(0, 320);
	plug(1, 0);			/* full */
	cycles(5 * SEC);
	assert_int_equal(off[0], 100);
	assert_int_equal(off[1], 100);
	cycles(55 * SEC);		/* offered for 59 s: not yet */
	assert_false(m[1].idle);
	assert_true(off[1] >= ALLOC_MIN_DA);
	cycles(2 * SEC);
	assert_true(m[1].idle);
	assert_int_equal(off[1], 0);
	assert_int_equal(off[0], 200);
	assert_int_equal(out.paused, 1);
}

/* A car its charger holds back (minimum open time, heat) draws nothing
 * through no choice of its own: never idle. */
static void
test_held_car_is_not_idle(void **state)
{
	(void)state;
	site_init(200);
	plug(0, 320);
	plug(1, 320);
	c[1].held = true;
	want[1] = 0;
	cycles(5 * 60 * SEC);
	assert_false(m[1].idle);
	assert_true(off[1] >= ALLOC_MIN_DA);
	/* released, it draws: still an ordinary car */
	c[1].held = false;
	want[1] = 320;
	cycles(5 * SEC);
	assert_false(m[1].idle);
	assert_int_equal(off[1], 100);
}

/*
 * A connector whose maximum is below its minimum (the phase check holds
 * it at 0 A; a charger rated under the site's minimum) cannot run: never
 * offered its minimum, above its maximum, whether the Minimise strategy
 * lowers every cap to the minimum (a charger offline), the car is idle or
 * a reclaim trim is below the minimum. The twin: the same connector with
 * its maximum back is offered current in each case.
 */
static void
test_never_above_maximum(void **state)
{
	(void)state;
	for (int k = 0; k < 3; k++) {
		site_init(600);
		plug(0, 320);
		plug(1, 320);
		if (k == 0) {		/* Minimise, charger 2 offline */
			site.strategy = STRATEGY_MINIMISE;
			c[2].online = false;
			c[2].fallback_da = 0;
			c[2].silent_ms = 60 * SEC;
		}
		cycles(5 * SEC);
		assert_true(off[1] >= ALLOC_MIN_DA);
		if (k == 1) {		/* idle: drawing nothing for a minute */
			want[1] = 0;
			cycles(70 * SEC);
			assert_true(m[1].idle);
			assert_int_equal(off[1], ALLOC_MIN_DA);
		}
		if (k == 2) {		/* trimmed to its draw + 2 A */
			want[1] = 20;
			cycles(40 * SEC);
			assert_true(m[1].trim_da > 0 &&
			    m[1].trim_da < ALLOC_MIN_DA);
			assert_int_equal(off[1], ALLOC_MIN_DA);
		}
		c[1].max_da = 0;	/* held at 0 A */
		cycles(2 * SEC);
		assert_int_equal(off[1], 0);
		assert_true(off[0] >= ALLOC_MIN_DA);
		c[1].max_da = 50;	/* 5 A: under the 6 A minimum */
		cycles(2 * SEC);
		assert_int_equal(off[1], 0);
		/* the twin: its maximum back, it runs again once its pause
		 * after the stop is over */
		c[1].max_da = 320;
		cycles(ALLOC_MIN_PAUSE_MS + 2 * SEC);
		assert_true(off[1] >= ALLOC_MIN_DA && off[1] <= 320);
	}
}

/* An idle car takes its minimum where the others leave room, and once it
 * draws again it shares like any other car. */
static void
test_idle_car_in_what_is_left(void **state)
{
	(void)state;
	site_init(450);
	plug(0, 320);
	plug(1, 0);
	cycles(70 * SEC);
	assert_true(m[1].idle);
	/* car 0 at its 32 A maximum; 13 A left, enough for the minimum */
	assert_int_equal(off[0], 320);
	assert_int_equal(off[1], ALLOC_MIN_DA);
	want[1] = 320;			/* it starts again */
	cycles(2 * SEC);
	assert_false(m[1].idle);
	assert_int_equal(off[0], 225);
	assert_int_equal(off[1], 225);
}

/* Paused and idle for 30 minutes, a car is offered its place again in
 * what the running cars leave at their minimum, and goes back to idle if
 * it still takes nothing; it never displaces a running car for that. */
static void
test_idle_car_offered_again(void **state)
{
	uint64_t paused;

	(void)state;
	site_init(200);
	plug(0, 320);
	plug(1, 0);
	cycles(62 * SEC);
	assert_int_equal(off[1], 0);
	paused = now;
	cycles(ALLOC_IDLE_RETRY_MS - 2 * SEC);
	assert_int_equal(off[1], 0);
	cycles(3 * SEC);
	assert_true(now - paused >= ALLOC_IDLE_RETRY_MS);
	assert_int_equal(off[0], 100);
	assert_int_equal(off[1], 100);
	cycles(62 * SEC);		/* still full */
	assert_true(m[1].idle);
	assert_int_equal(off[1], 0);
	assert_int_equal(off[0], 200);

	/* Room for one car at its minimum only: alone, the idle car keeps
	 * it; when a car comes that charges, it is paused, and its retry
	 * does not pause the running car. */
	site_init(110);
	plug(1, 0);
	cycles(62 * SEC);
	assert_true(m[1].idle);
	assert_int_equal(off[1], ALLOC_MIN_DA);
	plug(0, 320);
	cycles(SEC);
	assert_int_equal(off[0], 110);
	assert_int_equal(off[1], 0);
	paused = now;
	cycles(ALLOC_IDLE_RETRY_MS + 60 * SEC);
	assert_false(m[1].idle);	/* waiting to be offered again */
	assert_int_equal(off[0], 110);
	assert_int_equal(off[1], 0);
	assert_int_equal(m[0].since_ms, paused);	/* never paused */
}

/*
 * Rotation: room for one car at its minimum, two cars past their minimum
 * run and pause. The paused car takes the running car's place only once
 * it has received 1 kWh less in its session.
 */
static void
test_rotation_waits_for_a_gain(void **state)
{
	(void)state;
	site_init(60);
	plug(0, 320);
	cycles(SEC);
	plug(1, 320);
	cycles(10 * 60 * SEC);		/* past the minimum run */
	assert_int_equal(off[0], 60);
	assert_int_equal(off[1], 0);
	/* 1 kWh (docs/load-balancing.md, Rotation) */
	c[1].session_wh = 4000;
	c[0].session_wh = 4999;
	cycles(10 * SEC);
	assert_int_equal(off[0], 60);	/* not worth it */
	assert_int_equal(off[1], 0);
	c[0].session_wh = 5001;
	cycles(SEC);
	assert_int_equal(off[0], 0);
	assert_int_equal(off[1], 60);

	/* With room for both, nobody waits for anything. */
	site_init(120);
	plug(0, 320);
	c[0].session_wh = 0;
	c[1].session_wh = 50000;
	cycles(SEC);
	plug(1, 320);
	cycles(SEC);
	assert_int_equal(off[0], 60);
	assert_int_equal(off[1], 60);
}

/* Connector i's reason is r, on phase ph (-1: none), until until_ms
 * (0: none). */
static void
assert_why(int i, enum conn_reason r, int ph, uint64_t until_ms)
{
	char	 text[96];

	if (why[i].reason != r || why[i].phase != ph ||
	    why[i].until_ms != until_ms)
		fail_msg("connector %d: %s (%s) phase %d until %llu; expected "
		    "%s phase %d until %llu", i, reason_code(why[i].reason),
		    reason_text(&why[i], "", text, sizeof(text)), why[i].phase,
		    (unsigned long long)why[i].until_ms, reason_code(r), ph,
		    (unsigned long long)until_ms);
}

/* Every code is snake_case and its own; every text has at most one %s,
 * and names the phase, the current or who. */
static void
test_reason_codes_and_texts(void **state)
{
	char	 text[96];

	(void)state;
	for (int r = 0; r < REASON_COUNT; r++) {
		const char *code = reason_code((enum conn_reason)r);

		assert_non_null(code);
		assert_true(code[0] != '\0');
		for (const char *p = code; *p; p++)
			assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
		for (int k = 0; k < r; k++)
			assert_string_not_equal(code,
			    reason_code((enum conn_reason)k));
	}
	assert_string_equal(reason_code(REASON_COUNT), "none");
	assert_string_equal(reason_text(&(struct conn_why){
	    REASON_SUPPLY_LIMIT, 1, 0, 0, 0 }, NULL, text, sizeof(text)),
	    "limited by the supply (L2)");
	assert_string_equal(reason_text(&(struct conn_why){
	    REASON_OPERATOR_PAUSE, -1, 0, 0, 0 }, "alice", text, sizeof(text)),
	    "paused by operator (alice)");
	assert_string_equal(reason_text(&(struct conn_why){
	    REASON_CIRCUIT_LIMIT, 0, 0, 0, 2 }, "row-a", text, sizeof(text)),
	    "limited by circuit row-a (L1)");
	assert_string_equal(reason_text(&(struct conn_why){
	    REASON_CIRCUIT_METER_OFFLINE, 2, 0, 0, 1 }, "row-b", text,
	    sizeof(text)), "circuit row-b (L3): meter offline limit");
	assert_string_equal(reason_text(&(struct conn_why){
	    REASON_IMBALANCE_LIMIT, 1, 0, 0, 0 }, NULL, text, sizeof(text)),
	    "limited by the phase balance (L2)");
	assert_string_equal(reason_text(&(struct conn_why){
	    REASON_CHARGER_REFUSED, -1, 200, 0, 0 }, NULL, text, sizeof(text)),
	    "charger refused 20.0 A");
	assert_string_equal(reason_text(&(struct conn_why){
	    REASON_ROTATION_REST, -1, 0, 5, 0 }, NULL, text, sizeof(text)),
	    "rotation rest");
}

/* A car offered current says what stops it rising: its maximum, the
 * group limit, the supply on the phase that is full, the meter-offline
 * limit, the PV surplus, its own draw (reclaim); a car the meter-offline
 * limit no longer carries is an overload cut. */
static void
test_why_a_car_gets_what_it_gets(void **state)
{
	(void)state;
	site_init(1000);
	plug(0, 320);
	plug(1, 320);
	cycles(2 * SEC);
	assert_int_equal(off[0], 320);
	assert_why(0, REASON_AT_MAX, -1, 0);
	assert_why(1, REASON_AT_MAX, -1, 0);
	assert_why(2, REASON_NONE, -1, 0);	/* no car: the cycle's */
	site.group_limit_da = 400;
	cycles(SEC);
	assert_int_equal(off[0], 200);
	assert_why(0, REASON_GROUP_LIMIT, 0, 0);
	/* the building on L2 leaves the least */
	site.group_limit_da = 1000;
	site.clamp_da[0] = 500;
	site.clamp_da[1] = 650;
	site.clamp_da[2] = 500;
	cycles(SEC);
	assert_int_equal(off[0], 175);
	assert_why(0, REASON_SUPPLY_LIMIT, 1, 0);
	assert_why(1, REASON_SUPPLY_LIMIT, 1, 0);
	/* the meter silent: 10 A for both, one runs at it, the other is
	 * cut by the supply */
	site.meter_online = false;
	site.offline_limit_da = 100;
	cycles(SEC);
	assert_int_equal(off[0] + off[1], 100);
	assert_why(off[0] ? 0 : 1, REASON_METER_OFFLINE_LIMIT, 0, 0);
	assert_why(off[0] ? 1 : 0, REASON_OVERLOAD_CUT, -1, 0);
	/* hybrid: 12 A of PV surplus on top of the minimums */
	site_init(1000);
	site.mode = ALLOC_HYBRID;
	site.clamp_da[0] = site.clamp_da[1] = site.clamp_da[2] = -240;
	plug(0, 320);
	plug(1, 320);
	cycles(2 * SEC);
	assert_int_equal(off[0], 120);
	assert_why(0, REASON_SURPLUS_LIMIT, 0, 0);
	/* reclaim: a car that draws 10 A of 32 A is trimmed to 12 A */
	site_init(1000);
	plug(0, 100);
	cycles(40 * SEC);
	assert_int_equal(off[0], 120);
	assert_why(0, REASON_CAR_DRAW, -1, 0);
}

/* A car offered nothing says why, and until when where an end is known:
 * waiting for room, a rotation rest (its minimum pause), a car that takes
 * nothing (offered its place again after 30 min), green waiting for a
 * surplus (and for it to hold its start delay), the offline strategies. */
static void
test_why_a_car_gets_nothing(void **state)
{
	uint64_t t;

	(void)state;
	site_init(60);
	plug(0, 320);
	cycles(SEC);
	plug(1, 320);
	cycles(10 * 60 * SEC);
	assert_int_equal(off[1], 0);
	assert_why(1, REASON_NO_ROOM, 0, 0);
	assert_why(0, REASON_SUPPLY_LIMIT, 0, 0);	/* the fuse: 6 A */
	c[1].session_wh = 4000;
	c[0].session_wh = 5001;
	cycles(SEC);			/* car 1 takes car 0's place */
	assert_int_equal(off[0], 0);
	assert_why(0, REASON_ROTATION_REST, -1, now + ALLOC_MIN_PAUSE_MS);
	t = now;
	cycles(60 * SEC);		/* the same end, a minute closer */
	assert_why(0, REASON_ROTATION_REST, -1, t + ALLOC_MIN_PAUSE_MS);
	cycles(ALLOC_MIN_PAUSE_MS);	/* rested: now it waits its turn */
	assert_why(0, REASON_NO_ROOM, 0, 0);

	/* a full car gives its place: offered it again 30 min later */
	site_init(200);
	plug(0, 320);
	plug(1, 0);
	cycles(62 * SEC);
	assert_int_equal(off[1], 0);
	assert_why(1, REASON_IDLE, -1, m[1].since_ms + ALLOC_IDLE_RETRY_MS);
	assert_true(m[1].since_ms > now - 2 * SEC);

	/* green: no surplus, then 8 A of it that must hold for a minute */
	site_init(1000);
	site.mode = ALLOC_GREEN;
	site.green_start_ms = ALLOC_GREEN_START_MS;
	site.green_stop_ms = ALLOC_GREEN_STOP_MS;
	plug(0, 320);
	cycles(5 * SEC);
	assert_why(0, REASON_GREEN_WAIT, -1, 0);
	site.clamp_da[0] = site.clamp_da[1] = site.clamp_da[2] = -80;
	cycles(SEC);
	t = now;
	cycles(10 * SEC);
	assert_int_equal(off[0], 0);
	assert_why(0, REASON_GREEN_WAIT, -1, t + ALLOC_GREEN_START_MS);
	cycles(ALLOC_GREEN_START_MS);
	assert_int_equal(off[0], 80);
	assert_why(0, REASON_SURPLUS_LIMIT, 0, 0);

	/* a charger offline: counted at its setpoint until its fallback;
	 * the others to 0 (zero) or their minimum (minimise) */
	site_init(1000);
	plug(0, 320);
	plug(2, 320);
	cycles(2 * SEC);
	c[2].online = false;
	c[2].fallback_da = 0;
	c[2].fallback_ms = 10 * SEC;
	site.strategy = STRATEGY_ZERO;
	cycles(SEC);
	assert_int_equal(off[0], 0);
	assert_why(0, REASON_OFFLINE_ZERO, -1, 0);
	assert_why(2, REASON_CHARGER_OFFLINE, -1, 0);
	assert_int_equal(why[2].value_da, 320);
	cycles(SEC);	/* it rests too, but zero is what binds */
	assert_why(0, REASON_OFFLINE_ZERO, -1, 0);
	site_init(1000);
	plug(0, 320);
	plug(2, 320);
	cycles(2 * SEC);
	c[2].online = false;
	c[2].silent_ms = 20 * SEC;	/* fell back by itself */
	site.strategy = STRATEGY_MINIMISE;
	cycles(SEC);
	assert_int_equal(off[0], ALLOC_MIN_DA);
	assert_why(0, REASON_OFFLINE_MINIMISE, -1, 0);
	assert_int_equal(why[2].value_da, 0);
}

static int
setup(void **state)
{
	(void)state;
	work = malloc(alloc_work_size(N));
	return work == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(work);
	return 0;
}

/*
 * What a green site shows (issue 18, item 11): 25 A exported on a fuse
 * that would leave 100 A, the cars may take 25 A, not 100; the start
 * timer while the surplus holds, the stop timer while it fails; a
 * running car may take its minimum meanwhile. The twin: in dynamic
 * mode, no timers and the cars may take what the fuse leaves.
 */
static void
test_green_timers_and_fill(void **state)
{
	uint64_t start, stop, t;

	(void)state;
	site_init(1000);
	site.mode = ALLOC_GREEN;
	site.green_start_ms = ALLOC_GREEN_START_MS;
	site.green_stop_ms = ALLOC_GREEN_STOP_MS;
	site.clamp_da[0] = site.clamp_da[1] = site.clamp_da[2] = -250;
	plug(0, 320);
	cycles(SEC);
	t = now;
	cycles(10 * SEC);
	alloc_green_timers(&site, c, m, N, &start, &stop);
	assert_int_equal(start, t + ALLOC_GREEN_START_MS);
	assert_int_equal(stop, 0);
	assert_int_equal(out.hard_da[0], 1000);
	assert_int_equal(out.soft_da[0], 250);
	assert_int_equal(out.fill_da[0], 250);
	cycles(ALLOC_GREEN_START_MS);
	assert_int_equal(off[0], 250);
	alloc_green_timers(&site, c, m, N, &start, &stop);
	assert_int_equal(start, 0);
	assert_int_equal(stop, 0);
	/* the sun goes: the car runs on at its minimum until the stop delay */
	site.clamp_da[0] = site.clamp_da[1] = site.clamp_da[2] = 0;
	cycles(SEC);
	t = now;
	cycles(10 * SEC);
	assert_int_equal(off[0], ALLOC_MIN_DA);
	assert_int_equal(out.fill_da[0], ALLOC_MIN_DA);
	alloc_green_timers(&site, c, m, N, &start, &stop);
	assert_int_equal(start, 0);
	assert_int_equal(stop, t + ALLOC_GREEN_STOP_MS);
	/* the twin: dynamic, no timers; the fuse's current is the cars' */
	site.mode = ALLOC_DYNAMIC;
	cycles(SEC);
	alloc_green_timers(&site, c, m, N, &start, &stop);
	assert_int_equal(start + stop, 0);
	assert_int_equal(out.fill_da[0], 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_circuit_board_limit),
		cmocka_unit_test(test_circuit_meter),
		cmocka_unit_test(test_imbalance_limit),
		cmocka_unit_test(test_power_cap),
		cmocka_unit_test(test_external_limit),
		cmocka_unit_test(test_circuit_meter_offline_counts_above),
		cmocka_unit_test(test_external_limit_unmeasured),
		cmocka_unit_test(test_planner_circuit_raise_waits),
		cmocka_unit_test(test_idle_after_a_minute),
		cmocka_unit_test(test_held_car_is_not_idle),
		cmocka_unit_test(test_never_above_maximum),
		cmocka_unit_test(test_idle_car_in_what_is_left),
		cmocka_unit_test(test_idle_car_offered_again),
		cmocka_unit_test(test_rotation_waits_for_a_gain),
		cmocka_unit_test(test_reason_codes_and_texts),
		cmocka_unit_test(test_why_a_car_gets_what_it_gets),
		cmocka_unit_test(test_why_a_car_gets_nothing),
		cmocka_unit_test(test_green_timers_and_fill),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
