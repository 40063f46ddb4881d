/*
 * test_energy.c: energy per local day and month (master/energy.c): day
 * and month bounds, the days of the summer-time changes in London and
 * Berlin (23 and 25 hours) and in Havana (midnight skipped), sessions
 * over midnight (counted in the day they ended), sessions in progress
 * (their last save), ranges widened to whole periods, the refusals with
 * their positive twins, and the sums per series and period in any order
 * of rows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "energy.h"

#define H	(3600LL * 1000)
/* Local midnights, from the tz database (Python's zoneinfo). */
#define LON_0329	1774742400000LL	/* 2026-03-29 00:00 GMT, 23 h day */
#define LON_0330	1774825200000LL	/* 2026-03-30 00:00 BST */
#define LON_1025	1792882800000LL	/* 2026-10-25 00:00 BST, 25 h day */
#define LON_1026	1792972800000LL	/* 2026-10-26 00:00 GMT */
#define LON_1101	1793491200000LL	/* 2026-11-01 00:00 GMT */
#define LON_1201	1796083200000LL	/* 2026-12-01 00:00 GMT */
#define BER_0329	1774738800000LL	/* 2026-03-29 00:00 CET */
#define BER_0330	1774821600000LL	/* 2026-03-30 00:00 CEST */

static void
zone(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static int
london(void **state)
{
	(void)state;
	zone("Europe/London");
	return 0;
}

static void
test_group_parse(void **state)
{
	enum energy_group g;

	(void)state;
	assert_int_equal(energy_group_parse("day", &g), 0);
	assert_int_equal(g, ENERGY_DAY);
	assert_int_equal(energy_group_parse("month", &g), 0);
	assert_int_equal(g, ENERGY_MONTH);
	g = ENERGY_DAY;
	assert_int_equal(energy_group_parse("week", &g), -1);
	assert_int_equal(energy_group_parse("Day", &g), -1);
	assert_int_equal(energy_group_parse("", &g), -1);
	assert_int_equal(g, ENERGY_DAY);
}

static void
test_day_bounds(void **state)
{
	struct energy_period p;

	(void)state;
	/* the first and the last millisecond of a day, and the next one */
	assert_int_equal(energy_period_of(LON_1101, ENERGY_DAY, &p), 0);
	assert_string_equal(p.label, "2026-11-01");
	assert_true(p.start_ms == LON_1101 && p.end_ms == LON_1101 + 24 * H);
	assert_int_equal(energy_period_of(LON_1101 + 24 * H - 1, ENERGY_DAY,
	    &p), 0);
	assert_string_equal(p.label, "2026-11-01");
	assert_int_equal(energy_period_of(LON_1101 - 1, ENERGY_DAY, &p), 0);
	assert_string_equal(p.label, "2026-10-31");
	assert_true(p.end_ms == LON_1101);
	assert_int_equal(energy_period_of(-1, ENERGY_DAY, &p), -1);
}

static void
test_dst_days(void **state)
{
	struct energy_period p;

	(void)state;
	/* spring: 23 hours; the hour after 01:00 GMT is 02:00 BST */
	assert_int_equal(energy_period_of(LON_0329 + 12 * H, ENERGY_DAY, &p), 0);
	assert_string_equal(p.label, "2026-03-29");
	assert_true(p.start_ms == LON_0329 && p.end_ms == LON_0330);
	assert_true(p.end_ms - p.start_ms == 23 * H);
	/* autumn: 25 hours */
	assert_int_equal(energy_period_of(LON_1025 + 24 * H + 30 * 60000,
	    ENERGY_DAY, &p), 0);
	assert_string_equal(p.label, "2026-10-25");
	assert_true(p.start_ms == LON_1025 && p.end_ms == LON_1026);
	assert_true(p.end_ms - p.start_ms == 25 * H);
	/* Berlin changes at 02:00 CET, London at 01:00 GMT: same day,
	 * another midnight */
	zone("Europe/Berlin");
	assert_int_equal(energy_period_of(BER_0329 + 30 * 60000, ENERGY_DAY,
	    &p), 0);
	assert_string_equal(p.label, "2026-03-29");
	assert_true(p.start_ms == BER_0329 && p.end_ms == BER_0330);
	/* 23:30 UTC on the 28th is already the 29th in Berlin, not in
	 * London */
	assert_int_equal(energy_period_of(LON_0329 - 30 * 60000, ENERGY_DAY,
	    &p), 0);
	assert_string_equal(p.label, "2026-03-29");
	zone("Europe/London");
	assert_int_equal(energy_period_of(LON_0329 - 30 * 60000, ENERGY_DAY,
	    &p), 0);
	assert_string_equal(p.label, "2026-03-28");
}

/* Where the clocks go forward at midnight (Havana, 8 March 2026: 00:00
 * is 01:00), the day starts at the first instant it has, and the day
 * before ends there. */
static void
test_midnight_skipped(void **state)
{
	const int64_t d8 = 1772946000000LL, d9 = 1773028800000LL;
	struct energy_period p;

	(void)state;
	zone("America/Havana");
	assert_int_equal(energy_period_of(d8 + 7 * H, ENERGY_DAY, &p), 0);
	assert_string_equal(p.label, "2026-03-08");
	assert_true(p.start_ms == d8 && p.end_ms == d9);
	assert_int_equal(energy_period_of(d8 - 1, ENERGY_DAY, &p), 0);
	assert_string_equal(p.label, "2026-03-07");
	assert_true(p.end_ms == d8 && p.end_ms - p.start_ms == 24 * H);
}

static void
test_month_bounds(void **state)
{
	struct energy_period p;

	(void)state;
	assert_int_equal(energy_period_of(LON_1101 + 5 * 24 * H, ENERGY_MONTH,
	    &p), 0);
	assert_string_equal(p.label, "2026-11");
	assert_true(p.start_ms == LON_1101 && p.end_ms == LON_1201);
	/* October has 31 days and one hour more (the clocks go back) */
	assert_int_equal(energy_period_of(LON_1101 - 1, ENERGY_MONTH, &p), 0);
	assert_string_equal(p.label, "2026-10");
	assert_true(p.end_ms == LON_1101);
	assert_true(p.end_ms - p.start_ms == 31 * 24 * H + H);
	/* December runs into the next year */
	assert_int_equal(energy_period_of(LON_1201 + 30 * 24 * H, ENERGY_MONTH,
	    &p), 0);
	assert_string_equal(p.label, "2026-12");
	assert_true(p.end_ms - p.start_ms == 31 * 24 * H);
}

static void
test_periods(void **state)
{
	struct energy_period p[40];
	int	 n;

	(void)state;
	/* widened to whole days: 10:00 on the 24th to 03:00 on the 27th */
	n = energy_periods(LON_1025 - 14 * H, LON_1026 + 27 * H, ENERGY_DAY, p,
	    40);
	assert_int_equal(n, 4);
	assert_string_equal(p[0].label, "2026-10-24");
	assert_string_equal(p[3].label, "2026-10-27");
	for (int i = 1; i < n; i++)
		assert_true(p[i].start_ms == p[i - 1].end_ms);
	/* a range that ends at midnight does not take the next day */
	assert_int_equal(energy_periods(LON_1101, LON_1201, ENERGY_DAY, p, 40),
	    30);
	assert_int_equal(energy_periods(LON_1101, LON_1201, ENERGY_MONTH, p,
	    40), 1);
	assert_int_equal(energy_periods(LON_1101, LON_1101, ENERGY_DAY, p, 40),
	    0);
	/* more than the caller has room for: refused */
	assert_int_equal(energy_periods(LON_1101, LON_1201, ENERGY_DAY, p, 29),
	    -1);
	assert_int_equal(energy_periods(LON_1101, LON_1201 - 1, ENERGY_DAY, p,
	    30), 30);
}

static void
test_find(void **state)
{
	struct energy_period p[3];

	(void)state;
	assert_int_equal(energy_periods(LON_1025, LON_1026 + 24 * H,
	    ENERGY_DAY, p, 3), 2);
	assert_int_equal(energy_find(p, 2, LON_1025), 0);
	assert_int_equal(energy_find(p, 2, LON_1026 - 1), 0);
	assert_int_equal(energy_find(p, 2, LON_1026), 1);
	assert_int_equal(energy_find(p, 2, LON_1026 + 24 * H - 1), 1);
	assert_int_equal(energy_find(p, 2, LON_1026 + 24 * H), -1);
	assert_int_equal(energy_find(p, 2, LON_1025 - 1), -1);
	assert_int_equal(energy_find(p, 0, LON_1025), -1);
}

static void
test_sessions(void **state)
{
	struct energy_period p[3];
	struct energy_cell c[3];
	/* 22:00 on the 25th (a 25-hour day) to 02:00 on the 26th: counted
	 * whole on the 26th, the day it ended */
	struct energy_row night = { .end_ms = LON_1026 + 2 * H,
	    .updated_ms = LON_1026 + 2 * H, .energy_wh = 30000 };
	/* ended one millisecond before midnight: still the 25th */
	struct energy_row late = { .end_ms = LON_1026 - 1,
	    .updated_ms = LON_1026 - 1, .energy_wh = 7000 };
	/* in progress since the 25th, last saved on the 27th at 09:00 */
	struct energy_row open = { .in_progress = true,
	    .updated_ms = LON_1026 + 33 * H, .energy_wh = 12345 };
	/* outside the periods: nothing changes */
	struct energy_row old = { .end_ms = LON_1025 - 1,
	    .updated_ms = LON_1025 - 1, .energy_wh = 999 };

	(void)state;
	memset(c, 0, sizeof(c));
	assert_int_equal(energy_periods(LON_1025, LON_1026 + 48 * H,
	    ENERGY_DAY, p, 3), 3);
	assert_int_equal(energy_when(&night), LON_1026 + 2 * H);
	assert_int_equal(energy_add(p, 3, c, &night), 1);
	assert_int_equal(energy_add(p, 3, c, &late), 0);
	assert_int_equal(energy_when(&open), LON_1026 + 33 * H);
	assert_int_equal(energy_add(p, 3, c, &open), 2);
	assert_int_equal(energy_add(p, 3, c, &old), -1);
	assert_true(c[0].energy_wh == 7000 && c[0].sessions == 1);
	assert_true(c[1].energy_wh == 30000 && c[1].sessions == 1);
	assert_true(c[2].energy_wh == 12345 && c[2].sessions == 1);
	/* the end of a session in progress is not looked at */
	open.end_ms = LON_1025;
	assert_int_equal(energy_add(p, 3, c, &open), 2);
	assert_true(c[2].energy_wh == 24690 && c[2].sessions == 2);
	/* the same sessions per month: all in October and November */
	assert_int_equal(energy_periods(LON_1025, LON_1026 + 48 * H,
	    ENERGY_MONTH, p, 3), 1);
	memset(c, 0, sizeof(c));
	assert_int_equal(energy_add(p, 1, c, &night), 0);
	assert_int_equal(energy_add(p, 1, c, &old), 0);
	assert_true(c[0].energy_wh == 30999 && c[0].sessions == 2);
}

static struct energy_row
ended(int64_t ms, int64_t wh)
{
	struct energy_row r = { .end_ms = ms, .updated_ms = ms,
	    .energy_wh = wh };

	return r;
}

static void
test_table(void **state)
{
	struct energy_period p[3];
	struct energy_table t;
	struct energy_row in = { .in_progress = true,
	    .updated_ms = LON_1026 + 30 * H, .energy_wh = 5 };

	(void)state;
	assert_int_equal(energy_periods(LON_1025, LON_1026 + 48 * H,
	    ENERGY_DAY, p, 3), 3);
	energy_table_init(&t, p, 3);
	/* rows in any order; series sorted by key, then by period */
	assert_int_equal(energy_table_add(&t, "DEADBEEF", &in), 2);
	assert_int_equal(energy_table_add(&t, "04A1B2C3",
	    &(struct energy_row){ .end_ms = LON_1026 + 1, .energy_wh = 7 }), 1);
	assert_int_equal(energy_table_add(&t, "DEADBEEF",
	    &(struct energy_row){ .end_ms = LON_1025, .energy_wh = 3 }), 0);
	assert_int_equal(energy_table_add(&t, "", &(struct energy_row){
	    .end_ms = LON_1026 - 1, .energy_wh = 11 }), 0);
	assert_int_equal(energy_table_add(&t, "DEADBEEF", &in), 2);
	/* outside the periods: nothing changes */
	assert_int_equal(energy_table_add(&t, "CAFE", &(struct energy_row){
	    .end_ms = LON_1025 - 1, .energy_wh = 99 }), -1);
	assert_int_equal(t.nkey, 3);
	energy_table_sort(&t);
	assert_int_equal(t.ncell, 4);
	assert_string_equal(t.key[0], "");
	assert_string_equal(t.key[1], "04A1B2C3");
	assert_string_equal(t.key[2], "DEADBEEF");
	assert_true(t.cell[0].series == 0 && t.cell[0].period == 0 &&
	    t.cell[0].energy_wh == 11 && t.cell[0].sessions == 1);
	assert_true(t.cell[1].series == 1 && t.cell[1].period == 1 &&
	    t.cell[1].energy_wh == 7);
	assert_true(t.cell[2].series == 2 && t.cell[2].period == 0 &&
	    t.cell[2].energy_wh == 3);
	assert_true(t.cell[3].series == 2 && t.cell[3].period == 2 &&
	    t.cell[3].energy_wh == 10 && t.cell[3].sessions == 2);
	energy_table_free(&t);
	assert_int_equal(t.ncell, 0);
	/* an empty table sorts and frees */
	energy_table_init(&t, p, 3);
	energy_table_sort(&t);
	assert_int_equal(t.ncell, 0);
	energy_table_free(&t);
}

/* Many series and periods (the indexes grow many times) against a plain
 * sum. */
static void
test_table_many(void **state)
{
	enum { DAYS = 60, KEYS = 300, ROWS = 5000 };
	static struct energy_period p[DAYS];
	static int64_t want[KEYS][DAYS];
	static int count[KEYS][DAYS];
	struct energy_table t;
	unsigned seed = 18;
	int64_t	 sum = 0;
	int	 seen = 0;

	(void)state;
	assert_int_equal(energy_periods(LON_1025 - 30 * 24 * H, LON_1025 + 30 *
	    24 * H, ENERGY_DAY, p, DAYS), DAYS);
	energy_table_init(&t, p, DAYS);
	for (int i = 0; i < ROWS; i++) {
		char	 key[16];
		int	 k = rand_r(&seed) % KEYS, d = rand_r(&seed) % DAYS;
		int64_t	 when = p[d].start_ms + rand_r(&seed) % (p[d].end_ms -
		    p[d].start_ms);
		struct energy_row r = ended(when, rand_r(&seed) % 50000);

		snprintf(key, sizeof(key), "T%04d", k);
		assert_int_equal(energy_table_add(&t, key, &r), d);
		want[k][d] += r.energy_wh;
		count[k][d]++;
		sum += r.energy_wh;
	}
	energy_table_sort(&t);
	assert_int_equal(t.nkey, KEYS);
	for (int i = 0; i < t.ncell; i++) {
		const struct energy_cell *c = &t.cell[i];
		int	 k = atoi(t.key[c->series] + 1);

		if (i > 0)
			assert_true(c->series > t.cell[i - 1].series ||
			    (c->series == t.cell[i - 1].series &&
			    c->period > t.cell[i - 1].period));
		assert_true(c->energy_wh == want[k][c->period]);
		assert_int_equal(c->sessions, count[k][c->period]);
		sum -= c->energy_wh;
		seen += c->sessions;
	}
	assert_true(sum == 0);
	assert_int_equal(seen, ROWS);
	energy_table_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_group_parse, london),
		cmocka_unit_test_setup(test_day_bounds, london),
		cmocka_unit_test_setup(test_dst_days, london),
		cmocka_unit_test_setup(test_midnight_skipped, london),
		cmocka_unit_test_setup(test_month_bounds, london),
		cmocka_unit_test_setup(test_periods, london),
		cmocka_unit_test_setup(test_find, london),
		cmocka_unit_test_setup(test_sessions, london),
		cmocka_unit_test_setup(test_table, london),
		cmocka_unit_test_setup(test_table_many, london),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
