/*
 * test_smart.c: no-charge periods (also over midnight and by weekday),
 * the randomised delay at a session's start and a period's end, Boost;
 * why a connector waits and until when (issue 18, section 2).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "smart.h"

#define MIN(h, m)	((h) * 60 + (m))

static struct smart_cfg
uk_default(void)
{
	struct smart_cfg c = { .enabled = true, .max_delay_s = 600 };

	assert_int_equal(smart_parse_days("mon-fri", &c.days), 0);
	assert_int_equal(smart_parse_period("08:00-11:00", &c.period[0]), 0);
	assert_int_equal(smart_parse_period("16:00-22:00", &c.period[1]), 0);
	return c;
}

static void
test_parse(void **state)
{
	struct smart_period p;
	uint8_t	 d;

	(void)state;
	assert_int_equal(smart_parse_period("22:30-06:00", &p), 0);
	assert_int_equal(p.start_min, MIN(22, 30));
	assert_int_equal(p.end_min, MIN(6, 0));
	assert_int_equal(smart_parse_period("off", &p), 0);
	assert_false(p.on);
	assert_int_equal(smart_parse_period("00:00-24:00", &p), 0);
	for (const char *bad = "25:00-26:00"; bad; bad = NULL)
		assert_int_equal(smart_parse_period(bad, &p), -1);
	assert_int_equal(smart_parse_period("8-11", &p), -1);
	assert_int_equal(smart_parse_period("08:00-08:00", &p), -1);
	assert_int_equal(smart_parse_period("08:00-11:00x", &p), -1);
	assert_int_equal(smart_parse_period("08:60-11:00", &p), -1);
	assert_int_equal(smart_parse_days("mon,wed,sun", &d), 0);
	assert_int_equal(d, 1 | 4 | 64);
	assert_int_equal(smart_parse_days("all", &d), 0);
	assert_int_equal(d, 0x7F);
	assert_int_equal(smart_parse_days("fri-mon", &d), -1);
	assert_int_equal(smart_parse_days("funday", &d), -1);
	assert_int_equal(smart_parse_days("", &d), -1);
}

static void
test_periods_and_delays(void **state)
{
	struct smart_cfg c = uk_default();
	struct smart_conn s = { 0 };
	uint64_t t = 1000000;

	(void)state;
	/* Tuesday 07:00, session 1 starts: random delay 123 s. */
	assert_false(smart_allows(&c, &s, 1, 1, MIN(7, 0), t, 123));
	assert_false(smart_allows(&c, &s, 1, 1, MIN(7, 2), t + 122000, 9));
	assert_true(smart_allows(&c, &s, 1, 1, MIN(7, 3), t + 123000, 9));
	/* 08:00-11:00: no charging. */
	assert_false(smart_allows(&c, &s, 1, 1, MIN(8, 0), t + 200000, 9));
	assert_false(smart_allows(&c, &s, 1, 1, MIN(10, 59), t + 300000, 9));
	/* 11:00: a new random delay (here 45 s) from the period's end. */
	assert_false(smart_allows(&c, &s, 1, 1, MIN(11, 0), t + 400000, 45));
	assert_true(smart_allows(&c, &s, 1, 1, MIN(11, 1), t + 445000, 7));
	/* Saturday: the periods do not apply. */
	assert_true(smart_allows(&c, &s, 1, 5, MIN(9, 0), t + 500000, 7));
	/* The delay is at most max_delay_s. */
	memset(&s, 0, sizeof(s));
	assert_false(smart_allows(&c, &s, 2, 5, MIN(12, 0), t, 0xFFFFFFFF));
	assert_true(smart_allows(&c, &s, 2, 5, MIN(12, 0), t + 600000, 0));
}

static void
test_over_midnight(void **state)
{
	struct smart_cfg c = { .enabled = true, .days = 0x7F };
	struct smart_conn s = { 0 };

	(void)state;
	assert_int_equal(smart_parse_period("23:00-06:00", &c.period[0]), 0);
	assert_true(smart_allows(&c, &s, 1, 0, MIN(22, 59), 0, 0));
	assert_false(smart_allows(&c, &s, 1, 0, MIN(23, 30), 1, 0));
	assert_false(smart_allows(&c, &s, 1, 1, MIN(5, 59), 2, 0));
	assert_true(smart_allows(&c, &s, 1, 1, MIN(6, 0), 3, 0));
}

static void
test_boost_and_disabled(void **state)
{
	struct smart_cfg c = uk_default();
	struct smart_conn s = { 0 };

	(void)state;
	assert_false(smart_allows(&c, &s, 1, 0, MIN(9, 0), 0, 100));
	s.boost = true;
	assert_true(smart_allows(&c, &s, 1, 0, MIN(9, 0), 1, 100));
	/* Boost ends with the session. */
	assert_false(smart_allows(&c, &s, 2, 0, MIN(9, 0), 2, 100));
	c.enabled = false;
	memset(&s, 0, sizeof(s));
	assert_true(smart_allows(&c, &s, 1, 0, MIN(9, 0), 0, 100));
}

#define SEC_OF(h, m, s)	((h) * 3600 + (m) * 60 + (s))

/* Why it waits and until when: the random delay's end; the end of the
 * no-charge period to the second (also over midnight); nothing once it
 * may charge. */
static void
test_why_and_until(void **state)
{
	struct smart_cfg c = uk_default();
	struct smart_conn s = { 0 };
	uint64_t t = 1000000;

	(void)state;
	/* Tuesday 07:00: a new session draws 123 s of delay */
	assert_false(smart_allows(&c, &s, 1, 1, MIN(7, 0), t, 123));
	assert_int_equal(s.block, SMART_DELAY);
	assert_int_equal(smart_until(&c, &s, 1, SEC_OF(7, 0, 0), t),
	    t + 123000);
	assert_true(smart_allows(&c, &s, 1, 1, MIN(7, 3), t + 123000, 9));
	assert_int_equal(s.block, SMART_FREE);
	assert_int_equal(smart_until(&c, &s, 1, SEC_OF(7, 3, 0), t + 123000),
	    0);
	/* 10:55:50 in the 08:00-11:00 period: 4 min 10 s left */
	assert_false(smart_allows(&c, &s, 1, 1, MIN(10, 55), t, 9));
	assert_int_equal(s.block, SMART_PERIOD);
	assert_int_equal(smart_until(&c, &s, 1, SEC_OF(10, 55, 50), t),
	    t + 250000);
	/* 22:30-06:00 every day: at 23:30 the end is 6 h 30 min away, at
	 * 05:59:59 one second */
	assert_int_equal(smart_parse_days("all", &c.days), 0);
	assert_int_equal(smart_parse_period("22:30-06:00", &c.period[0]), 0);
	assert_false(smart_allows(&c, &s, 1, 3, MIN(23, 30), t, 9));
	assert_int_equal(smart_until(&c, &s, 3, SEC_OF(23, 30, 0), t),
	    t + (6 * 3600 + 30 * 60) * 1000ull);
	assert_false(smart_allows(&c, &s, 1, 4, MIN(5, 59), t, 9));
	assert_int_equal(smart_until(&c, &s, 4, SEC_OF(5, 59, 59), t),
	    t + 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_periods_and_delays),
		cmocka_unit_test(test_over_midnight),
		cmocka_unit_test(test_boost_and_disabled),
		cmocka_unit_test(test_why_and_until),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
