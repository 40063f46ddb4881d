/*
 * test_planlp.c: the LP optimum of planning runs on cases small enough to
 * work out by hand: one car held by the room, by its own current, by its
 * wish; cars sharing a phase and not another; a car that leaves before it
 * could fill; a room that changes within a slot. And that a solver which
 * stops short gives an error, not a figure.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "planlp.h"

#define L1	1
#define L2	2
#define L3	4
#define ALL	(L1 | L2 | L3)

/* A day of horizon_s in slots of slot_s with the same room every second. */
static void
day_with_room(struct planlp_day *d, int64_t horizon_s, int slot_s,
    int32_t l1, int32_t l2, int32_t l3)
{
	const int32_t room[EVG_PHASES] = { l1, l2, l3 };

	assert_int_equal(planlp_init(d, horizon_s, slot_s), 0);
	for (int64_t t = 0; t < horizon_s; t++)
		planlp_room(d, t, room);
}

static void
add(struct planlp_day *d, int64_t arrive, int64_t leave, uint8_t phases,
    int32_t max_da, uint32_t wanted_wh)
{
	struct planlp_car c = { arrive, leave, phases, max_da, wanted_wh };

	assert_true(planlp_car(d, &c) >= 0);
}

static double
solve(const struct planlp_day *d)
{
	struct planlp_result r;
	char	 err[128] = "";

	assert_int_equal(planlp_solve(d, 0, &r, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	return r.optimum_wh;
}

/* One three-phase car for an hour: the lowest of the room, its current
 * and its wish holds it. */
static void
test_one_car(void **state)
{
	struct planlp_day d;

	(void)state;
	/* the room: 10 A x 230 V x 3 phases x 1 h */
	day_with_room(&d, 3600, 3600, 100, 100, 100);
	add(&d, 0, 3600, ALL, 160, 100000);
	assert_float_equal(solve(&d), 6900, 1e-6);
	planlp_free(&d);
	/* its current: 16 A x 230 V x 3 x 1 h, in slots of a minute */
	day_with_room(&d, 3600, 60, 1000, 1000, 1000);
	add(&d, 0, 3600, ALL, 160, 100000);
	assert_float_equal(solve(&d), 11040, 1e-6);
	planlp_free(&d);
	/* its wish */
	day_with_room(&d, 3600, 60, 1000, 1000, 1000);
	add(&d, 0, 3600, ALL, 160, 5000);
	assert_float_equal(solve(&d), 5000, 1e-6);
	planlp_free(&d);
}

/* Two single-phase cars on L1 share its 20 A; one on L2 has its own 16 A
 * of 32 A; nothing charges on L3. */
static void
test_sharing_a_phase(void **state)
{
	struct planlp_day d;

	(void)state;
	day_with_room(&d, 3600, 300, 200, 320, 1000);
	add(&d, 0, 3600, L1, 160, 100000);
	add(&d, 0, 3600, L1, 160, 100000);
	add(&d, 0, 3600, L2, 160, 100000);
	assert_float_equal(solve(&d), 20 * 230 + 16 * 230, 1e-6);
	planlp_free(&d);
	/* a three-phase car in place of the one on L2 draws on L1 too: a
	 * current on three phases is worth three on one, so it takes its
	 * 16 A and leaves 4 A of L1 to the others */
	day_with_room(&d, 3600, 300, 200, 320, 1000);
	add(&d, 0, 3600, L1, 160, 100000);
	add(&d, 0, 3600, L1, 160, 100000);
	add(&d, 0, 3600, ALL, 160, 100000);
	assert_float_equal(solve(&d), (4 + 3 * 16) * 230, 1e-6);
	planlp_free(&d);
}

/* A car that leaves before it could fill; in the middle of a slot. */
static void
test_leaves_early(void **state)
{
	struct planlp_day d;

	(void)state;
	day_with_room(&d, 3600, 300, 320, 320, 320);
	add(&d, 0, 1800, L1, 160, 10000);
	assert_float_equal(solve(&d), 16 * 230 * 0.5, 1e-6);
	planlp_free(&d);
	day_with_room(&d, 3600, 300, 320, 320, 320);
	add(&d, 150, 1650, L2, 160, 10000);
	assert_float_equal(solve(&d), 16 * 230 * 1500 / 3600.0, 1e-6);
	planlp_free(&d);
	/* one that stays beyond the end counts up to the end */
	day_with_room(&d, 3600, 300, 320, 320, 320);
	add(&d, 1800, 9000, L3, 160, 10000);
	assert_float_equal(solve(&d), 16 * 230 * 0.5, 1e-6);
	planlp_free(&d);
}

/* The room counts second by second: no room for the first half of each
 * slot, 20 A for the second is 10 A over the slot. A car that comes
 * first and one that comes later share the hour as the room allows: the
 * first one full, then the second. */
static void
test_room_within_a_slot(void **state)
{
	const int32_t none[EVG_PHASES] = { 0 }, some[EVG_PHASES] = { 200, 200,
	    200 };
	struct planlp_day d;

	(void)state;
	assert_int_equal(planlp_init(&d, 3600, 600), 0);
	for (int64_t t = 0; t < 3600; t++)
		planlp_room(&d, t, t % 600 < 300 ? none : some);
	planlp_room(&d, 3600, some);	/* beyond the run: ignored */
	planlp_room(&d, -1, some);
	add(&d, 0, 3600, L1, 320, 100000);
	assert_float_equal(solve(&d), 10 * 230, 1e-6);
	planlp_free(&d);
	/* 20 A for two hours: a car wanting 2.3 kWh there from the start,
	 * one there for the second hour only wanting 4.6 kWh: both full */
	day_with_room(&d, 7200, 60, 200, 0, 0);
	add(&d, 0, 7200, L1, 320, 2300);
	add(&d, 3600, 7200, L1, 320, 4600);
	assert_float_equal(solve(&d), 6900, 1e-6);
	planlp_free(&d);
}

/* No car: nothing. A car wanting nothing, or with no current: nothing. */
static void
test_nothing(void **state)
{
	struct planlp_day d;

	(void)state;
	day_with_room(&d, 600, 60, 100, 100, 100);
	assert_float_equal(solve(&d), 0, 0);
	add(&d, 0, 600, ALL, 160, 0);
	add(&d, 0, 600, ALL, 0, 1000);
	assert_float_equal(solve(&d), 0, 0);
	planlp_free(&d);
}

static void
test_bad_input(void **state)
{
	struct planlp_day d;
	struct planlp_car none = { 0, 60, 0, 160, 1000 };
	struct planlp_car back = { 60, 0, L1, 160, 1000 };
	struct planlp_car odd = { 0, 60, 8, 160, 1000 };

	(void)state;
	assert_int_equal(planlp_init(&d, 0, 60), -EINVAL);
	planlp_free(&d);
	assert_int_equal(planlp_init(&d, 600, 0), -EINVAL);
	planlp_free(&d);
	assert_int_equal(planlp_init(&d, 600, 60), 0);
	assert_int_equal(planlp_car(&d, &none), -EINVAL);
	assert_int_equal(planlp_car(&d, &back), -EINVAL);
	assert_int_equal(planlp_car(&d, &odd), -EINVAL);
	assert_int_equal(d.ncars, 0);
	planlp_free(&d);
}

/* A solver stopped short of the optimum reports it, and no figure. */
static void
test_no_optimum_no_figure(void **state)
{
	struct planlp_day d;
	struct planlp_result r;
	char	 err[128] = "";

	(void)state;
	day_with_room(&d, 7200, 60, 300, 250, 200);
	for (int c = 0; c < 12; c++)
		add(&d, c * 300, 7200 - c * 200, (uint8_t)(c % 3 ? 1 << c % 3 :
		    ALL), 160 + 20 * c, 2000 + 500 * (uint32_t)c);
	assert_int_equal(planlp_solve(&d, 1, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "iteration limit"));
	assert_float_equal(r.optimum_wh, 0, 0);
	/* and without the limit, it has one */
	assert_true(solve(&d) > 0);
	planlp_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_car),
		cmocka_unit_test(test_sharing_a_phase),
		cmocka_unit_test(test_leaves_early),
		cmocka_unit_test(test_room_within_a_slot),
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_no_optimum_no_figure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
