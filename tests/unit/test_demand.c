/*
 * test_demand.c: the demand target's windows (aligned on the wall clock
 * in the appliance's time zone, across Europe/London's clock changes),
 * the energy and its projection, the chargers' share (0 when the
 * building alone breaks the target), a gap in the meter's readings, kVA,
 * and a window that ends over target.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "demand.h"

#define MIN_MS		60000LL
/* 2026-03-29 00:00 UTC: London goes from GMT to BST at 01:00 UTC. */
#define SPRING		1774742400000LL
/* 2026-10-25 00:00 UTC: from BST back to GMT at 01:00 UTC. */
#define AUTUMN		1792886400000LL
/* 2026-07-01 12:07 UTC (13:07 BST). */
#define JULY		1782907620000LL

static int
london(void **state)
{
	(void)state;
	setenv("TZ", "Europe/London", 1);
	tzset();
	return 0;
}

/* 100 kW over 15 minutes, readings at most 3 s apart, a 250 A fuse. */
static struct demand_conf
conf15(void)
{
	return (struct demand_conf){ .window_min = 15, .target_w = 100000,
	    .gap_ms = 3000, .fuse_w = 250LL * 230 * 3 };
}

static void
test_window_boundaries(void **state)
{
	int64_t	 s, e;

	(void)state;
	demand_window(15, JULY, &s, &e);
	assert_int_equal(s, JULY - 7 * MIN_MS);		/* 12:00 UTC */
	assert_int_equal(e, JULY + 8 * MIN_MS);
	/* a boundary belongs to the window it starts */
	demand_window(15, s, &s, &e);
	assert_int_equal(s, JULY - 7 * MIN_MS);
	demand_window(15, e - 1, &s, &e);
	assert_int_equal(e, JULY + 8 * MIN_MS);
	demand_window(30, JULY, &s, &e);
	assert_int_equal(s, JULY - 7 * MIN_MS);
	assert_int_equal(e - s, 30 * MIN_MS);
	demand_window(60, JULY, &s, &e);
	assert_int_equal(s, JULY - 7 * MIN_MS);
	assert_int_equal(e - s, 60 * MIN_MS);
}

/* In a zone half an hour off UTC, an hour's window starts on its own
 * clock's hour, not UTC's. */
static void
test_window_local_zone(void **state)
{
	int64_t	 s, e;

	(void)state;
	setenv("TZ", "Asia/Kolkata", 1);	/* UTC+5:30 */
	tzset();
	demand_window(60, JULY, &s, &e);	/* 17:37 local */
	assert_int_equal(s, JULY - 37 * MIN_MS);	/* 17:00 local */
	demand_window(15, JULY, &s, &e);
	assert_int_equal(s, JULY - 7 * MIN_MS);
	london(NULL);
}

/* The clock change days: every window is 15 minutes of real time and
 * starts on a quarter hour, before, across and after the change. */
static void
test_clock_change_days(void **state)
{
	int64_t	 days[] = { SPRING, AUTUMN };

	(void)state;
	for (int d = 0; d < 2; d++) {
		int64_t	 s, e, t = days[d];

		for (int k = 0; k < 16; k++) {
			demand_window(15, t, &s, &e);
			assert_int_equal(s, t);
			assert_int_equal(e - s, 15 * MIN_MS);
			assert_int_equal(s % (15 * MIN_MS), 0);
			t = e;
		}
		/* an hour's window across the change is an hour of real
		 * time: 01:00 UTC starts one (02:00 BST in spring, the
		 * second 01:00 in autumn) */
		demand_window(60, days[d] + 60 * MIN_MS + 1, &s, &e);
		assert_int_equal(s, days[d] + 60 * MIN_MS);
		assert_int_equal(e, days[d] + 120 * MIN_MS);
	}
}

static struct meter_reading
reading(int32_t a1, int32_t a2, int32_t a3, int32_t dv)
{
	return (struct meter_reading){ .current_da = { a1, a2, a3 },
	    .voltage_dv = { dv, dv, dv } };
}

static void
test_power_kw_kva(void **state)
{
	struct meter_reading r = reading(1000, 1000, 1000, 2300);

	(void)state;
	assert_int_equal(demand_power_w(&r, false), 69000);
	assert_int_equal(demand_power_w(&r, true), 69000);
	/* exporting on one phase: kW nets it, kVA counts its magnitude */
	r = reading(1000, 1000, -500, 2300);
	assert_int_equal(demand_power_w(&r, false), 34500);
	assert_int_equal(demand_power_w(&r, true), 57500);
	/* exporting in all: no demand */
	r = reading(-1000, -1000, -1000, 2300);
	assert_int_equal(demand_power_w(&r, false), 0);
	/* no voltage from the meter (generic): 230 V */
	r = reading(100, 0, 0, 0);
	assert_int_equal(demand_power_w(&r, false), 2300);
}

/* Steady readings: the average, the projection and the chargers' share
 * of what is left. */
static void
test_energy_projection_cap(void **state)
{
	struct demand_conf c = conf15();
	struct demand d;
	int64_t	 t0 = JULY - 7 * MIN_MS, t;	/* a window's start */

	(void)state;
	demand_init(&d);
	/* 60 kW for 5 minutes, a reading a second */
	for (t = t0; t <= t0 + 5 * MIN_MS; t += 1000)
		assert_int_equal(demand_reading(&d, &c, 60000, t), 0);
	assert_int_equal(d.start_ms, t0);
	assert_int_equal(demand_average_w(&d, t), 60000);
	assert_int_equal(demand_projected_w(&d, &c, t), 60000);
	/* 25 kWh in all, 5 used, 10 minutes left: 120 kW, the building's
	 * 40 of them */
	assert_int_equal(demand_cap_w(&d, &c, true, 40000, t), 80000);
	assert_int_equal(demand_w_to_da(80000), 3478);
	/* without the meter, the target alone is the chargers' share */
	assert_int_equal(demand_cap_w(&d, &c, false, 40000, t), 100000);
	/* the twin: an emptier building leaves them more */
	assert_int_equal(demand_cap_w(&d, &c, true, 10000, t), 110000);
}

/* The building alone breaks the target: the cars get nothing more for
 * the rest of the window, and the window that ends over it says so. */
static void
test_building_breaks_target(void **state)
{
	struct demand_conf c = conf15();
	struct demand d;
	int64_t	 t0 = JULY - 7 * MIN_MS, t;
	unsigned news = 0;

	(void)state;
	demand_init(&d);
	for (t = t0; t < t0 + 10 * MIN_MS; t += 1000)
		news |= demand_reading(&d, &c, 130000, t);
	assert_int_equal(news, 0);
	assert_int_equal(demand_cap_w(&d, &c, true, 130000, t), 0);
	assert_true(demand_projected_w(&d, &c, t) > 100000);
	for (; t < t0 + 15 * MIN_MS; t += 1000)
		news |= demand_reading(&d, &c, 130000, t);
	news |= demand_reading(&d, &c, 130000, t);
	assert_int_equal(news, DEMAND_ENDED | DEMAND_ENDED_OVER);
	assert_int_equal(d.ended_start_ms, t0);
	assert_int_equal(d.ended_w, 130000);
	assert_int_equal(d.start_ms, t0 + 15 * MIN_MS);
	/* the twin: a window under target ends without the warning */
	demand_init(&d);
	news = 0;
	for (t = t0; t <= t0 + 15 * MIN_MS; t += 1000)
		news |= demand_reading(&d, &c, 90000, t);
	assert_int_equal(news, DEMAND_ENDED);
	assert_false(d.ended_over);
	assert_int_equal(d.ended_w, 90000);
}

/*
 * A minute without a reading (the meter silent) is counted at the fuse's
 * full power: 172.5 kW for a minute is 2.875 kWh of the window's 25. A
 * gap no longer than gap_ms takes the higher of its two ends.
 */
static void
test_meter_gap(void **state)
{
	struct demand_conf c = conf15();
	struct demand d;
	int64_t	 t0 = JULY - 7 * MIN_MS;

	(void)state;
	demand_init(&d);
	assert_int_equal(demand_reading(&d, &c, 50000, t0), 0);
	assert_int_equal(demand_reading(&d, &c, 50000, t0 + MIN_MS), 0);
	assert_int_equal(d.energy_wms, c.fuse_w * MIN_MS);
	/* the twin: 2 s apart, the higher end */
	demand_init(&d);
	assert_int_equal(demand_reading(&d, &c, 50000, t0), 0);
	assert_int_equal(demand_reading(&d, &c, 20000, t0 + 2000), 0);
	assert_int_equal(d.energy_wms, 50000LL * 2000);
	/* the projection while silent takes the fuse's power too */
	assert_int_equal(demand_projected_w(&d, &c, t0 + 2000),
	    (50000LL * 2000 + 20000LL * (15 * MIN_MS - 2000)) / (15 * MIN_MS));
	assert_true(demand_projected_w(&d, &c, t0 + MIN_MS) >=
	    (50000LL * 2000 + c.fuse_w * (15 * MIN_MS - 2000)) /
	    (15 * MIN_MS));
	/* a window that ends in a silence is closed by the tick, counted
	 * at the fuse's power */
	assert_int_equal(demand_tick(&d, &c, t0 + 15 * MIN_MS),
	    DEMAND_ENDED | DEMAND_ENDED_OVER);
	assert_int_equal(d.ended_w, (50000LL * 2000 + c.fuse_w *
	    (15 * MIN_MS - 2000)) / (15 * MIN_MS));
}

/* The master started mid-window: the time before its first reading is
 * taken at that reading's power; ticks before any reading tell nothing. */
static void
test_start_mid_window(void **state)
{
	struct demand_conf c = conf15();
	struct demand d;
	int64_t	 t0 = JULY - 7 * MIN_MS;

	(void)state;
	demand_init(&d);
	assert_int_equal(demand_tick(&d, &c, t0 + MIN_MS), 0);
	assert_int_equal(demand_tick(&d, &c, t0 + 20 * MIN_MS), 0);
	demand_init(&d);
	assert_int_equal(demand_reading(&d, &c, 40000, t0 + 5 * MIN_MS), 0);
	assert_int_equal(demand_average_w(&d, t0 + 5 * MIN_MS), 40000);
	assert_int_equal(d.energy_wms, 40000LL * 5 * MIN_MS);
}

/* kVA (UK agreed capacity, 30 minutes): the apparent power counts. */
static void
test_kva_window(void **state)
{
	struct demand_conf c = { .window_min = 30, .target_w = 50000,
	    .apparent = true, .gap_ms = 3000, .fuse_w = 100LL * 230 * 3 };
	struct meter_reading r = reading(800, 800, -400, 2300);
	struct demand d;
	int64_t	 t0 = JULY - 7 * MIN_MS, t;
	unsigned news = 0;

	(void)state;
	demand_init(&d);
	for (t = t0; t <= t0 + 30 * MIN_MS; t += 1000)
		news |= demand_reading(&d, &c, demand_power_w(&r, true), t);
	/* 46 kVA: under the target; in kW it would be 27.6 */
	assert_int_equal(news, DEMAND_ENDED);
	assert_int_equal(d.ended_w, 46000);
}

/* The clock set back or far forward: no endless loop, a fresh window. */
static void
test_clock_jumps(void **state)
{
	struct demand_conf c = conf15();
	struct demand d;

	(void)state;
	demand_init(&d);
	assert_int_equal(demand_reading(&d, &c, 10000, JULY), 0);
	assert_int_equal(demand_reading(&d, &c, 10000, JULY - 3600000), 0);
	assert_int_equal(d.start_ms, JULY - 3600000 - 7 * MIN_MS);
	/* the window set back to ends: 8 of its minutes counted (from the
	 * setting back), at the fuse's power (172.5 kW): 92 kW */
	assert_int_equal(demand_reading(&d, &c, 10000, JULY + 86400000LL *
	    365), DEMAND_ENDED);
	assert_int_equal(d.ended_w, c.fuse_w * 8 / 15);
	assert_int_equal(d.start_ms, JULY + 86400000LL * 365 - 7 * MIN_MS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_boundaries),
		cmocka_unit_test(test_window_local_zone),
		cmocka_unit_test(test_clock_change_days),
		cmocka_unit_test(test_power_kw_kva),
		cmocka_unit_test(test_energy_projection_cap),
		cmocka_unit_test(test_building_breaks_target),
		cmocka_unit_test(test_meter_gap),
		cmocka_unit_test(test_start_mid_window),
		cmocka_unit_test(test_kva_window),
		cmocka_unit_test(test_clock_jumps),
	};

	return cmocka_run_group_tests(tests, london, NULL);
}
