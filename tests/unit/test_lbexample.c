/*
 * test_lbexample.c: the worked example of docs/load-balancing.md ("A
 * worked example: two boards under a 250 A supply"), figure by figure,
 * through the allocator itself, so that the page says what the
 * appliance does. A 250 A supply (margin 2 A) whose building draws
 * 90 / 85 / 85 A; board-a (63 A, its own meter: 8 / 5 / 5 A of its own
 * load) and board-b (63 A, no meter) under it; single-phase 32 A cars
 * (a single-phase car on a rotated three-phase charger draws on one
 * site phase: here the connectors are wired to that phase, the same
 * arithmetic): bay-a1, bay-a4, bay-b1, bay-b4 on L1, bay-a2 on L2,
 * bay-b3 on L3. Then the 20 A phase-balance limit, bay-a2 leaving, a
 * busier hour, the demand target's share, an external limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"

#define SEC	1000

enum { A1, A2, A4, B1, B3, B4, NCONN };

struct example {
	struct alloc_site	 site;
	struct alloc_circuit	 board[2];	/* board-a: id 1, board-b: 2 */
	struct alloc_conn	 c[NCONN];
	struct alloc_memo	 m[NCONN];
	int32_t			 off[NCONN];
	struct alloc_out	 out;
	struct conn_why		 why[NCONN];
	void			*work;
	uint64_t		 now;
};

static void
car(struct example *x, int i, enum phase_conn ph, uint8_t circuit)
{
	x->c[i] = (struct alloc_conn){ .phase = ph, .min_da = ALLOC_MIN_DA,
	    .max_da = 320, .circuit = circuit, .online = true, .demand = true,
	    .fallback_known = true, .session_id = 1 };
}

static int
setup(void **state)
{
	struct example *x = calloc(1, sizeof(*x));

	x->work = calloc(1, alloc_work_size(NCONN));
	x->site = (struct alloc_site){ .mode = ALLOC_DYNAMIC,
	    .strategy = STRATEGY_MAXIMISE, .group_limit_da = 2500,
	    .site_limit_da = 2500, .margin_da = 20, .offline_limit_da = 600,
	    .meter_online = true, .chargers_in_clamps = true,
	    .clamp_enabled = { true, true, true },
	    .min_run_ms = ALLOC_MIN_RUN_MS, .min_pause_ms = ALLOC_MIN_PAUSE_MS,
	    .fallback_timeout_ms = 10 * SEC, .building_given = true,
	    .building_da = { 900, 850, 850 } };
	x->board[0] = (struct alloc_circuit){ .parent = 0, .limit_da = 630,
	    .metered = true, .meter_online = true, .chargers_in_clamps = true,
	    .offline_limit_da = 100, .building_given = true,
	    .building_da = { 80, 50, 50 } };
	x->board[1] = (struct alloc_circuit){ .parent = 0, .limit_da = 630,
	    .offline_limit_da = 100 };
	x->site.circuit = x->board;
	x->site.ncircuits = 2;
	car(x, A1, PHASE_L1, 1);
	car(x, A4, PHASE_L1, 1);
	car(x, A2, PHASE_L2, 1);
	car(x, B1, PHASE_L1, 2);
	car(x, B4, PHASE_L1, 2);
	car(x, B3, PHASE_L3, 2);
	x->now = 1000000;
	*state = x;
	return x->work ? 0 : -1;
}

static int
teardown(void **state)
{
	struct example *x = *state;

	free(x->work);
	free(x);
	return 0;
}

/* Cycles a second apart: each offer in force at once, each car drawing
 * it on its phase; the clamps see the building and the cars. */
static void
cycles(struct example *x, int n)
{
	for (int k = 0; k < n; k++) {
		x->now += SEC;
		for (int i = 0; i < NCONN; i++) {
			int	 p = x->c[i].phase - PHASE_L1;

			x->c[i].in_force_da = x->off[i];
			memset(x->c[i].draw_da, 0, sizeof(x->c[i].draw_da));
			x->c[i].draw_da[p] = x->off[i];
		}
		alloc_compute(&x->site, x->c, x->m, NCONN, x->now, x->work,
		    x->off, &x->out, x->why);
	}
}

static int32_t
l1_cars(const struct example *x)
{
	return x->off[A1] + x->off[A4] + x->off[B1] + x->off[B4];
}

/* 1. What each board may take; the boards bind, not the supply. */
static void
test_boards(void **state)
{
	struct example *x = *state;

	cycles(x, 3);
	assert_int_equal(x->out.c_hard_da[1][0], 550);	/* 63 - 8 */
	assert_int_equal(x->out.c_hard_da[1][1], 580);
	assert_int_equal(x->out.c_hard_da[2][0], 630);
	assert_int_equal(x->out.hard_da[0], 1580);	/* 250 - 90 - 2 */
	assert_int_equal(x->out.hard_da[1], 1630);
	assert_int_equal(x->off[A1] + x->off[A4], 550);
	assert_true(abs(x->off[A1] - x->off[A4]) <= 1);	/* 27.5 A */
	assert_int_equal(x->off[B1], 315);
	assert_int_equal(x->off[B4], 315);
	assert_int_equal(x->off[A2], 320);
	assert_int_equal(x->off[B3], 320);
	assert_int_equal(x->why[A1].reason, REASON_CIRCUIT_LIMIT);
	assert_int_equal(x->why[A1].circuit, 1);
	assert_int_equal(x->why[B1].reason, REASON_CIRCUIT_LIMIT);
	assert_int_equal(x->why[B1].circuit, 2);
	/* a busier hour: the building at 200 A on L1 leaves 48 A for both
	 * boards' L1 cars together: 12 A each */
	x->site.building_da[0] = 2000;
	cycles(x, 8);
	assert_int_equal(x->out.hard_da[0], 480);
	assert_int_equal(l1_cars(x), 480);
	assert_int_equal(x->off[A1], 120);
	assert_int_equal(x->off[B4], 120);
	assert_int_equal(x->why[B4].reason, REASON_SUPPLY_LIMIT);
}

/* 2. The 20 A phase-balance limit: the L1 cars share 137 - 90 = 47 A;
 * bay-a2 gone, L1 and L3 may carry 105 A: two L1 cars at 7.5 A, two
 * paused, bay-b3 at 20 A; with 16 A, 43 A for the L1 cars. */
static void
test_imbalance(void **state)
{
	struct example *x = *state;

	cycles(x, 3);
	x->site.imbalance_da = 200;
	cycles(x, 8);
	assert_int_equal(l1_cars(x), 470);
	for (int i = 0; i < NCONN; i++)
		if (x->c[i].phase == PHASE_L1) {
			assert_in_range(x->off[i], 117, 118);
			assert_int_equal(x->why[i].reason,
			    REASON_IMBALANCE_LIMIT);
		}
	assert_int_equal(x->off[A2], 320);
	assert_int_equal(x->off[B3], 320);
	x->site.imbalance_da = 160;
	cycles(x, 8);
	assert_int_equal(l1_cars(x), 430);
	x->site.imbalance_da = 200;
	cycles(x, 8);
	/* bay-a2 leaves */
	x->c[A2].demand = false;
	cycles(x, 8);
	assert_int_equal(x->off[A2], 0);
	assert_int_equal(x->off[B3], 200);
	assert_int_equal(l1_cars(x), 150);
	{
		int	 running = 0;

		for (int i = 0; i < NCONN; i++)
			if (x->c[i].phase == PHASE_L1 && x->off[i] > 0) {
				running++;
				assert_int_equal(x->off[i], 75);
			}
		assert_int_equal(running, 2);
	}
}

/* 3. The demand target's share at 10:06 (53.3 kW: 232 A summed over the
 * phases) does not bind the 111 A the cars take; a smaller one does;
 * and an external limit of 160 A leaves 160 - 90 - 2 = 68 A on L1. */
static void
test_demand_and_external(void **state)
{
	struct example *x = *state;

	x->site.imbalance_da = 200;
	cycles(x, 3);
	x->site.power_capped = true;
	x->site.power_cap_da = 2319;		/* 53 300 W / 230 V */
	cycles(x, 8);
	assert_int_equal(l1_cars(x) + x->off[A2] + x->off[B3], 1110);
	assert_int_equal(x->out.power_cap_da, 2319);
	x->site.power_cap_da = 900;
	cycles(x, 8);
	assert_true(l1_cars(x) + x->off[A2] + x->off[B3] <= 900);
	assert_int_equal(x->out.power_used_da, l1_cars(x) + x->off[A2] +
	    x->off[B3]);
	x->site.power_capped = false;
	x->site.imbalance_da = 0;
	x->site.external = true;
	x->site.external_da[0] = x->site.external_da[1] =
	    x->site.external_da[2] = 1600;
	cycles(x, 8);
	assert_int_equal(x->out.hard_da[0], 680);
	assert_int_equal(l1_cars(x), 680);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_boards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imbalance, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_demand_and_external, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
