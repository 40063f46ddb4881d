/*
 * test_planreport.c: the circuits' and the demand windows' part of a
 * planning run's report: a circuit's peak, its time at its limit and
 * above its fuse; windows on the site clock, counted only when the run
 * covered them whole, their average against the target; the supply's
 * power from its currents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plan.h"

static void
test_circuit_seconds(void **state)
{
	struct plan_circuit c;
	const int32_t under[3] = { 400, 300, 200 };
	const int32_t at[3] = { 615, 300, 200 };	/* within 2 A of 63 */
	const int32_t over[3] = { 640, 300, 200 };

	(void)state;
	memset(&c, 0, sizeof(c));
	for (int s = 0; s < 100; s++)
		plan_circuit_second(&c, under, 630);
	assert_int_equal(c.at_limit_s, 0);
	assert_int_equal(c.peak_da[0], 400);
	for (int s = 0; s < 10; s++)
		plan_circuit_second(&c, at, 630);
	assert_int_equal(c.at_limit_s, 10);
	assert_int_equal(c.over_s, 0);
	/* above the fuse: one cycle + the cars' 5 s are the master's */
	for (int s = 0; s < 6; s++)
		plan_circuit_second(&c, over, 630);
	assert_int_equal(c.over_s, 0);
	plan_circuit_second(&c, over, 630);
	assert_int_equal(c.over_s, 1);
	plan_circuit_second(&c, under, 630);
	for (int s = 0; s < 6; s++)
		plan_circuit_second(&c, over, 630);
	assert_int_equal(c.over_s, 1);
	assert_int_equal(c.peak_da[0], 640);
	assert_int_equal(c.peak_da[1], 300);
	assert_int_equal(c.at_limit_s, 10 + 7 + 6);
}

static void
test_demand_windows(void **state)
{
	struct plan_demand d = { .window_s = 900, .target = 50.0 };
	/* a run from Monday 08:20: its first window (08:15) is partial */
	int64_t	 t = 8 * 3600 + 20 * 60;

	(void)state;
	for (int s = 1; s <= 600; s++)
		plan_demand_second(&d, t + s, 99.0);
	assert_int_equal(d.windows, 0);
	/* 08:30-08:45 at 40 kW, 08:45-09:00 half at 40 and half at 70 */
	t += 600;
	for (int s = 1; s <= 900; s++)
		plan_demand_second(&d, t + s, 40.0);
	assert_int_equal(d.windows, 1);
	assert_int_equal(d.over, 0);
	t += 900;
	for (int s = 1; s <= 900; s++)
		plan_demand_second(&d, t + s, s <= 450 ? 40.0 : 70.0);
	assert_int_equal(d.windows, 2);
	assert_int_equal(d.over, 1);
	assert_int_equal(d.nlist, 1);
	assert_int_equal(d.list[0].start_s, 8 * 3600 + 45 * 60);
	assert_true(d.list[0].avg > 54.99 && d.list[0].avg < 55.01);
	assert_int_equal(d.max_start_s, 8 * 3600 + 45 * 60);
	/* exactly the target is not over it */
	t += 900;
	for (int s = 1; s <= 900; s++)
		plan_demand_second(&d, t + s, 50.0);
	assert_int_equal(d.windows, 3);
	assert_int_equal(d.over, 1);
	/* no target: nothing counted */
	memset(&d, 0, sizeof(d));
	for (int s = 1; s <= 2000; s++)
		plan_demand_second(&d, s, 1000.0);
	assert_int_equal(d.windows, 0);
}

static void
test_supply_power(void **state)
{
	const int32_t a[3] = { 1000, 1000, 1000 };	/* 3 x 100 A */
	const int32_t pv[3] = { -500, 100, 100 };	/* net export */

	(void)state;
	assert_true(plan_supply_power(a, false) > 68.99 &&
	    plan_supply_power(a, false) < 69.01);
	assert_true(plan_supply_power(pv, false) == 0);
	/* kVA: each phase's current, export too */
	assert_true(plan_supply_power(pv, true) > 16.09 &&
	    plan_supply_power(pv, true) < 16.11);
}

static void
test_report(void **state)
{
	static struct site_file sf;
	static struct plan_result r;
	char	 err[CFG_ERRLEN + 64], *text = NULL;
	char	*sets[] = { "site.chargers=4", "circuit1.name=row-a",
	    "circuit1.fuse=63", "circuit1.meter=yes", "circuit1.chargers=1-2",
	    "circuit2.name=row-a1", "circuit2.parent=row-a", "circuit2.fuse=32",
	    "demand.target=50" };
	size_t	 len = 0;
	FILE	*fp;

	(void)state;
	assert_int_equal(site_file_load(&sf, NULL, sets, 9, err, sizeof(err)),
	    0);
	memset(&r, 0, sizeof(r));
	r.circ[0] = (struct plan_circuit){ .peak_da = { 612, 500, 480 },
	    .at_limit_s = 5400 };
	r.circ[1].over_s = 12;
	r.demand = (struct plan_demand){ .window_s = 900, .target = 50.0,
	    .windows = 96, .over = 26, .max = 61.25,
	    .max_start_s = 12 * 3600 + 15 * 60, .nlist = PLAN_WIN_LIST };
	for (int i = 0; i < PLAN_WIN_LIST; i++)
		r.demand.list[i].start_s = 9 * 3600 + i * 900;
	fp = open_memstream(&text, &len);
	plan_report_circuits(fp, &sf, &r);
	fclose(fp);
	assert_non_null(strstr(text, "circuit row-a                    61.2 "
	    "A     peak L1/L2/L3 61.2/50.0/48.0 A; fuse 63.0 A (under supply, "
	    "metered); at its limit 1.50 h;"));
	assert_non_null(strstr(text, "circuit row-a1"));
	assert_non_null(strstr(text, "(under row-a); at its limit 0.00 h; "
	    "seconds above it beyond one cycle + the cars' 5 s: 12"));
	assert_non_null(strstr(text, "demand windows                     96"
	    "       of 15 min, target 50.0 kW: 26 over it; the highest 61.2 kW "
	    "(Mon 12:15)"));
	assert_non_null(strstr(text, "  over the target: Mon 09:00 0.0 kW, "
	    "Mon 09:15"));
	assert_non_null(strstr(text, "  and 2 more\n"));
	free(text);
	/* no circuits, no target: nothing */
	assert_int_equal(site_file_load(&sf, NULL, sets, 1, err, sizeof(err)),
	    0);
	text = NULL;
	fp = open_memstream(&text, &len);
	plan_report_circuits(fp, &sf, &r);
	fclose(fp);
	assert_string_equal(text, "");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_circuit_seconds),
		cmocka_unit_test(test_demand_windows),
		cmocka_unit_test(test_supply_power),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
