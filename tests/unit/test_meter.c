/*
 * test_meter.c: the meter drivers' decoding and the plausibility rules
 * (errors, NaN and infinity, 1.5 x the CT rating, a stopped frame
 * counter) that take a meter offline and bring it back.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "meter.h"

static struct meter_params
params(enum meter_driver d)
{
	struct meter_params p = {
		.driver = d, .offline_after = 3, .frame_stall_polls = 3,
		.clamp_enabled = { true, true, true },
		.ct_rating_da = { 1000, 1000, 1000 },
	};

	return p;
}

static void
put_f32(uint16_t *r, float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	r[0] = (uint16_t)(u >> 16);
	r[1] = (uint16_t)u;
}

static void
test_sense(void **state)
{
	struct meter_params p = params(METER_SENSE);
	uint16_t r[SENSE_NREGS] = { 1, 300, (uint16_t)-150, 0, 2300, 2310,
	    2290, 77 };
	const uint16_t *regs[] = { r };
	struct meter_read rd[4];
	struct meter_reading m;
	const char *why = NULL;

	(void)state;
	assert_int_equal(meter_reads(&p, rd, 4), 1);
	assert_int_equal(rd[0].addr, 0);
	assert_int_equal(rd[0].count, 8);
	assert_int_equal(meter_decode(&p, regs, &m, &why), 0);
	assert_int_equal(m.current_da[0], 300);
	assert_int_equal(m.current_da[1], -150);	/* export */
	assert_int_equal(m.voltage_dv[1], 2310);
	assert_true(m.has_frame);
	assert_int_equal(m.frame, 77);
	r[0] = 2;
	assert_int_equal(meter_decode(&p, regs, &m, &why), -1);
	assert_non_null(why);
}

static void
test_sdm630_sign_from_power(void **state)
{
	struct meter_params p = params(METER_SDM630);
	uint16_t r[SDM_NREGS_630] = { 0 };
	const uint16_t *regs[] = { r };
	struct meter_reading m;
	const char *why;

	(void)state;
	for (int k = 0; k < 3; k++)
		put_f32(r + 2 * k, 230.4f);
	put_f32(r + 6, 12.34f);
	put_f32(r + 8, 5.0f);
	put_f32(r + 10, 0.0f);
	put_f32(r + 12, 2800.0f);
	put_f32(r + 14, -1150.0f);	/* L2 exports */
	put_f32(r + 16, 0.0f);
	assert_int_equal(meter_decode(&p, regs, &m, &why), 0);
	assert_int_equal(m.current_da[0], 123);
	assert_int_equal(m.current_da[1], -50);
	assert_int_equal(m.current_da[2], 0);
	assert_int_equal(m.voltage_dv[0], 2304);
	put_f32(r + 8, NAN);
	assert_int_equal(meter_decode(&p, regs, &m, &why), -1);
	put_f32(r + 8, 5.0f);
	put_f32(r + 16, INFINITY);
	assert_int_equal(meter_decode(&p, regs, &m, &why), -1);
}

static void
test_sdm120(void **state)
{
	struct meter_params p = params(METER_SDM120);
	uint16_t r[SDM_NREGS_120] = { 0 };
	const uint16_t *regs[] = { r };
	struct meter_reading m;
	const char *why;

	(void)state;
	put_f32(r + 0, 229.0f);
	put_f32(r + 6, 8.0f);
	put_f32(r + 12, -1800.0f);
	assert_int_equal(meter_decode(&p, regs, &m, &why), 0);
	assert_int_equal(m.current_da[0], -80);
	assert_int_equal(m.current_da[1], 0);
}

static void
test_generic(void **state)
{
	struct meter_params p = params(METER_GENERIC);
	uint16_t r1[1] = { (uint16_t)-25 }, r3[2] = { 0x0001, 0x86A0 };
	const uint16_t *regs[] = { r1, r3 };
	struct meter_read rd[4];
	struct meter_reading m;
	const char *why;

	(void)state;
	p.clamp_enabled[1] = false;
	/* L1: int16 in 0.1 A; L3: uint32 in mA (100000 mA = 100 A). */
	p.generic[0] = (struct meter_generic_reg){ 10, MT_INT16, false, 1000 };
	p.generic[2] = (struct meter_generic_reg){ 20, MT_UINT32, false, 10 };
	assert_int_equal(meter_reads(&p, rd, 4), 2);
	assert_int_equal(rd[1].addr, 20);
	assert_int_equal(rd[1].count, 2);
	assert_int_equal(meter_decode(&p, regs, &m, &why), 0);
	assert_int_equal(m.current_da[0], -25);
	assert_int_equal(m.current_da[2], 1000);
	p.generic[2].word_swap = true;	/* 0x86A00001: 2.25e9 mA: nonsense */
	assert_int_equal(meter_decode(&p, regs, &m, &why), -1);
}

static void
test_offline_and_back(void **state)
{
	struct meter_params p = params(METER_SENSE);
	struct meter_core mc = { 0 };
	struct meter_reading m = { .current_da = { 100, 100, 100 },
	    .has_frame = true, .frame = 1 };

	(void)state;
	assert_int_equal(meter_core_good(&mc, &p, &m, 0), METER_WENT_ONLINE);
	assert_int_equal(meter_core_fault(&mc, &p, "timeout", 1), 0);
	assert_int_equal(meter_core_fault(&mc, &p, "timeout", 2), 0);
	assert_int_equal(meter_core_fault(&mc, &p, "timeout", 3),
	    METER_WENT_OFFLINE);
	assert_false(mc.online);
	m.frame = 2;
	assert_int_equal(meter_core_good(&mc, &p, &m, 4), METER_WENT_ONLINE);
	/* beyond 1.5 x a 100 A CT */
	m.frame = 3;
	m.current_da[2] = 1501;
	for (int i = 0; i < 2; i++)
		assert_int_equal(meter_core_good(&mc, &p, &m, 5 + i), 0);
	assert_int_equal(meter_core_good(&mc, &p, &m, 7), METER_WENT_OFFLINE);
	assert_string_equal(mc.why, "current beyond 1.5 x the CT rating");
	m.current_da[2] = -1500;	/* the limit itself, exporting: fine */
	assert_int_equal(meter_core_good(&mc, &p, &m, 8), METER_WENT_ONLINE);
	/* a frame counter that stops */
	for (int i = 0; i < 2; i++)
		assert_int_equal(meter_core_good(&mc, &p, &m, 9 + i), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(meter_core_good(&mc, &p, &m, 11 + i), 0);
	assert_int_equal(meter_core_good(&mc, &p, &m, 13), METER_WENT_OFFLINE);
	assert_string_equal(mc.why, "frame counter stopped");
	m.frame = 4;
	assert_int_equal(meter_core_good(&mc, &p, &m, 14), METER_WENT_ONLINE);
}

/* The reason is the core's own copy: the meter thread's text lives on
 * its stack and is gone once the call returns (safety review, item 6). */
static void
test_reason_is_kept(void **state)
{
	struct meter_params p = params(METER_SENSE);
	struct meter_core mc = { 0 };
	char	 why[64];

	(void)state;
	for (int i = 0; i < 3; i++) {
		snprintf(why, sizeof(why), "read failed: Connection refused");
		meter_core_fault(&mc, &p, why, (uint64_t)i);
		memset(why, 'x', sizeof(why) - 1);
		why[sizeof(why) - 1] = '\0';
	}
	assert_false(mc.online);
	assert_string_equal(mc.why, "read failed: Connection refused");
}

/* A reading that stops arriving: no reading once older than stale_ms,
 * whether faults were reported or not (safety review, item 5); and its
 * positive twin: readings on time keep it online. */
static void
test_reading_ages_out(void **state)
{
	struct meter_params p = params(METER_GENERIC);
	struct meter_core mc = { 0 };
	struct meter_reading m = { .current_da = { 100, 100, 100 } };

	(void)state;
	p.stale_ms = 2000;
	assert_int_equal(meter_core_good(&mc, &p, &m, 1000), METER_WENT_ONLINE);
	for (uint64_t t = 1500; t <= 60000; t += 500) {
		assert_int_equal(meter_core_good(&mc, &p, &m, t), 0);
		assert_int_equal(meter_core_age(&mc, &p, t + 499), 0);
	}
	assert_true(mc.online);
	/* silence */
	assert_int_equal(meter_core_age(&mc, &p, 62000), 0);
	assert_int_equal(meter_core_age(&mc, &p, 62001), METER_WENT_OFFLINE);
	assert_false(mc.online);
	assert_string_equal(mc.why, "no reading for 2001 ms");
	assert_int_equal(meter_core_age(&mc, &p, 70000), 0);	/* said once */
	assert_int_equal(meter_core_good(&mc, &p, &m, 71000),
	    METER_WENT_ONLINE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sense),
		cmocka_unit_test(test_sdm630_sign_from_power),
		cmocka_unit_test(test_sdm120),
		cmocka_unit_test(test_generic),
		cmocka_unit_test(test_offline_and_back),
		cmocka_unit_test(test_reason_is_kept),
		cmocka_unit_test(test_reading_ages_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
