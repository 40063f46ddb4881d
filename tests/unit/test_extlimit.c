/*
 * test_extlimit.c: the external limit only lowers the configured one,
 * lasts until its validity is over (now >= until), is renewed by a set
 * before then, and ends at once when cleared.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "extlimit.h"

static void
test_caps_and_lowers(void **state)
{
	struct ext_limit e = { 0 };
	int32_t	 ask[EVG_PHASES] = { 2000, 3000, 1500 };

	(void)state;
	/* none: the configured limit */
	assert_int_equal(ext_limit_apply(&e, 0, 2500), 2500);
	ext_limit_set(&e, "bms", ask, 2500, 10000, 1000);
	assert_true(e.on);
	assert_string_equal(e.by, "bms");
	/* above the configuration: capped, never raised */
	assert_int_equal(e.limit_da[0], 2000);
	assert_int_equal(e.limit_da[1], 2500);
	assert_int_equal(e.limit_da[2], 1500);
	assert_int_equal(e.asked_da[1], 3000);
	assert_int_equal(ext_limit_apply(&e, 0, 2500), 2000);
	assert_int_equal(ext_limit_apply(&e, 1, 2500), 2500);
	/* a configured limit lowered below it since: the lower holds */
	assert_int_equal(ext_limit_apply(&e, 2, 1000), 1000);
}

static void
test_expiry_and_renewal(void **state)
{
	struct ext_limit e = { 0 };
	int32_t	 ask[EVG_PHASES] = { 2000, 2000, 2000 };

	(void)state;
	assert_false(ext_limit_expire(&e, 5000));	/* none to end */
	ext_limit_set(&e, "bms", ask, 2500, 10000, 1000);
	assert_int_equal(e.until_ms, 11000);
	assert_false(ext_limit_expire(&e, 10999));
	/* renewed before its end: valid from the renewal */
	ext_limit_set(&e, "bms", ask, 2500, 10000, 10000);
	assert_false(ext_limit_expire(&e, 11000));
	assert_false(ext_limit_expire(&e, 19999));
	assert_true(ext_limit_expire(&e, 20000));	/* now >= until */
	assert_false(e.on);
	assert_false(ext_limit_expire(&e, 20001));	/* once */
	assert_int_equal(ext_limit_apply(&e, 0, 2500), 2500);
}

/* A BMS writes its limit l at now: is it an event? */
static bool
write_news(struct ext_limit *e, const int32_t l[EVG_PHASES], uint64_t now,
    uint32_t *untold)
{
	bool	 renewed = e->on;

	ext_limit_set(e, "bms", l, 2500, 60000, now);
	return ext_limit_news(e, renewed, now, untold);
}

/* A BMS nudging its limit: a change of 1 A or less within a minute of the
 * last told is counted, not an event; the twins: a new limit, a change
 * of more than 1 A, the first change in a minute. */
static void
test_news(void **state)
{
	struct ext_limit e = { 0 };
	int32_t	 a[EVG_PHASES] = { 500, 500, 500 },
		 b[EVG_PHASES] = { 501, 500, 500 };
	uint32_t untold = 99;

	(void)state;
	assert_true(write_news(&e, a, 1000, &untold));	/* new */
	assert_int_equal(untold, 0);
	/* 2000 writes alternating 50.0 and 50.1 A: none told */
	for (int i = 0; i < 2000; i++)
		assert_false(write_news(&e, i % 2 ? a : b, 1001 + i, &untold));
	/* 1.0 A exactly from the one told (50.0): still small */
	b[1] = 510;
	assert_false(write_news(&e, b, 4000, &untold));
	/* more than 1 A on a phase: told, with the count */
	b[2] = 489;
	assert_true(write_news(&e, b, 5000, &untold));
	assert_int_equal(untold, 2001);
	/* from the one told now: 0.1 A is small again ... */
	b[0] = 502;
	assert_false(write_news(&e, b, 64999, &untold));
	/* ... until a minute has gone by */
	b[0] = 501;
	assert_true(write_news(&e, b, 65000, &untold));
	assert_int_equal(untold, 1);
	/* cleared and set anew: told, none counted from before */
	b[0] = 502;
	assert_false(write_news(&e, b, 65001, &untold));
	assert_true(ext_limit_clear(&e));
	assert_true(write_news(&e, b, 65002, &untold));
	assert_int_equal(untold, 0);
}

static void
test_clear(void **state)
{
	struct ext_limit e = { 0 };
	int32_t	 ask[EVG_PHASES] = { 0, 0, 0 };

	(void)state;
	assert_false(ext_limit_clear(&e));
	ext_limit_set(&e, "installer", ask, 2500, 10000, 0);
	assert_int_equal(ext_limit_apply(&e, 0, 2500), 0);
	assert_true(ext_limit_clear(&e));
	assert_false(e.on);
	assert_int_equal(ext_limit_apply(&e, 0, 2500), 2500);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_caps_and_lowers),
		cmocka_unit_test(test_expiry_and_renewal),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_news),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
