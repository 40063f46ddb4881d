/*
 * test_pilot.c: control pilot classification, band edges, debouncing,
 * the diode check and the duty-cycle table (IEC 61851-1 Annex A).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pilot.h"

static void
test_classify_nominal(void **state)
{
	(void)state;
	assert_int_equal(cp_classify(12000), CP_A);
	assert_int_equal(cp_classify(9000), CP_B);
	assert_int_equal(cp_classify(6000), CP_C);
	assert_int_equal(cp_classify(3000), CP_D);
	assert_int_equal(cp_classify(0), CP_E);
	assert_int_equal(cp_classify(-12000), CP_F);
}

static void
test_classify_band_edges(void **state)
{
	static const struct { int32_t nominal; enum cp_state s; } b[] = {
		{ 12000, CP_A }, { 9000, CP_B }, { 6000, CP_C },
		{ 3000, CP_D }, { 0, CP_E }, { -12000, CP_F },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		/* +/-1 V is inside, one millivolt further is not. */
		assert_int_equal(cp_classify(b[i].nominal - 1000), b[i].s);
		assert_int_equal(cp_classify(b[i].nominal + 1000), b[i].s);
		assert_int_equal(cp_classify(b[i].nominal - 1001), CP_INVALID);
		assert_int_equal(cp_classify(b[i].nominal + 1001), CP_INVALID);
	}
	assert_int_equal(cp_classify(7500), CP_INVALID);
	assert_int_equal(cp_classify(-6000), CP_INVALID);
	assert_int_equal(cp_classify(INT32_MAX), CP_INVALID);
	assert_int_equal(cp_classify(INT32_MIN), CP_INVALID);
}

static void
test_debounce_needs_consecutive_samples(void **state)
{
	struct cp_debounce d;

	(void)state;
	cp_debounce_init(&d);
	assert_false(d.valid);
	assert_false(cp_debounce_feed(&d, CP_A));
	assert_false(cp_debounce_feed(&d, CP_A));
	assert_true(cp_debounce_feed(&d, CP_A));
	assert_true(d.valid);
	assert_int_equal(d.stable, CP_A);
	/* A glitch of fewer samples than the filter changes nothing. */
	for (int i = 0; i < CP_DEBOUNCE_SAMPLES - 1; i++)
		assert_false(cp_debounce_feed(&d, CP_B));
	assert_false(cp_debounce_feed(&d, CP_A));
	assert_int_equal(d.stable, CP_A);
	/* Alternating samples never settle. */
	for (int i = 0; i < 50; i++)
		assert_false(cp_debounce_feed(&d, i % 2 ? CP_B : CP_C));
	assert_int_equal(d.stable, CP_A);
	/* A steady new state is taken after exactly the filter length. */
	for (int i = 0; i < CP_DEBOUNCE_SAMPLES - 1; i++)
		assert_false(cp_debounce_feed(&d, CP_C));
	assert_true(cp_debounce_feed(&d, CP_C));
	assert_int_equal(d.stable, CP_C);
	assert_false(cp_debounce_feed(&d, CP_C));
}

static void
test_debounce_reports_invalid(void **state)
{
	struct cp_debounce d;

	(void)state;
	cp_debounce_init(&d);
	for (int i = 0; i < CP_DEBOUNCE_SAMPLES; i++)
		cp_debounce_feed(&d, CP_INVALID);
	assert_true(d.valid);
	assert_int_equal(d.stable, CP_INVALID);
}

static void
test_diode(void **state)
{
	(void)state;
	assert_true(cp_diode_ok(-12000));
	assert_true(cp_diode_ok(-11000));
	assert_false(cp_diode_ok(-10999));
	assert_false(cp_diode_ok(-9000));
	assert_false(cp_diode_ok(0));
}

static void
test_duty_table(void **state)
{
	static const struct { int32_t da; uint16_t pm; } t[] = {
		{ 60, 100 },	/* 6 A: 10 % */
		{ 160, 266 },	/* 16 A: 26.6 % (26.7 % would say 16.02 A) */
		{ 320, 533 },	/* 32 A: 53.3 % */
		{ 510, 850 },	/* 51 A: 85 % */
		{ 630, 892 },	/* 63 A: 63 / 2.5 + 64 = 89.2 % */
		{ 800, 960 },	/* 80 A: 96 % */
		{ 100, 166 },	/* 10 A: 16.6 % */
		{ 534, 853 },	/* 53.4 A: 85.3 % = 53.25 A */
	};
	uint16_t pm;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(cp_duty_for_current(t[i].da, &pm), 0);
		assert_int_equal(pm, t[i].pm);
	}
	assert_int_equal(cp_duty_for_current(0, &pm), 0);
	assert_int_equal(pm, CP_DUTY_OFF_PM);
}

static void
test_duty_rejects_forbidden_currents(void **state)
{
	uint16_t pm = 4242;

	(void)state;
	/* 0.1-5.9 A: an EV must pause below 6 A, never trickle. */
	for (int32_t da = 1; da < 60; da++)
		assert_int_equal(cp_duty_for_current(da, &pm), -EINVAL);
	assert_int_equal(cp_duty_for_current(801, &pm), -EINVAL);
	assert_int_equal(cp_duty_for_current(-10, &pm), -EINVAL);
	assert_int_equal(pm, 4242);	/* untouched */
}

static void
test_duty_round_trip(void **state)
{
	uint16_t pm;

	(void)state;
	/* What the car reads back is within a duty step below what we
	 * meant: 0.06 A below 51 A, 0.25 A above (0.1 % = 0.25 A there). */
	uint16_t prev = 0;

	for (int32_t da = 60; da <= 800; da++) {
		int32_t back, tol = da <= CP_LOW_RANGE_MAX_DA ? 1 : 3;

		assert_int_equal(cp_duty_for_current(da, &pm), 0);
		assert_true(pm >= prev);	/* monotonic */
		prev = pm;
		back = cp_current_for_duty(pm);
		if (da > 510 && da <= 527)	/* the overlap: 51 A */
			assert_int_equal(back, 510);
		else
			assert_in_range(back, da - tol, da);
	}
	assert_int_equal(cp_current_for_duty(50), 0);	/* 5 %: digital */
	assert_int_equal(cp_current_for_duty(CP_DUTY_OFF_PM), 0);
	assert_int_equal(cp_current_for_duty(90), 60);	/* 9 %: 6 A */
}

/*
 * The car must never read more than the offer: each duty is the highest
 * step whose exact current (duty x 0.6 A, or (duty - 64) x 2.5 A) is at
 * most the offer. 6.1 A is 10.1 % (6.06 A), not 10.2 % (6.12 A); 53.4 A
 * is 85.3 % (53.25 A), not 85.4 % (53.5 A).
 */
static int32_t
exact_centiamps(int32_t pm)
{
	return pm <= 850 ? pm * 6 : (pm - 640) * 25;
}

static void
test_duty_never_says_more_than_offered(void **state)
{
	uint16_t pm;

	(void)state;
	for (int32_t da = CP_MIN_CURRENT_DA; da <= CP_MAX_CURRENT_DA; da++) {
		int32_t	 got, next;

		assert_int_equal(cp_duty_for_current(da, &pm), 0);
		got = exact_centiamps(pm);
		next = exact_centiamps(pm + 1);
		if (got > da * 10)
			fail_msg("%d.%d A: %d.%d %% says %d.%02d A", da / 10,
			    da % 10, pm / 10, pm % 10, got / 100, got % 100);
		/* ... and the highest such step (51-52.6 A: held at 85 %). */
		if (!(da > 510 && da <= 527) && next <= da * 10)
			fail_msg("%d.%d A: %d.%d %% is a step too low", da / 10,
			    da % 10, pm / 10, pm % 10);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_nominal),
		cmocka_unit_test(test_classify_band_edges),
		cmocka_unit_test(test_debounce_needs_consecutive_samples),
		cmocka_unit_test(test_debounce_reports_invalid),
		cmocka_unit_test(test_diode),
		cmocka_unit_test(test_duty_table),
		cmocka_unit_test(test_duty_rejects_forbidden_currents),
		cmocka_unit_test(test_duty_round_trip),
		cmocka_unit_test(test_duty_never_says_more_than_offered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
