/*
 * test_bmsmap.c: the building management map: the registers' places and
 * encodings (signed currents, 32-bit words high first, the connectors'
 * blocks), reads outside the map, the writes a BMS may make and those it
 * may not (each refusal beside its twin), and the writers' allow-list.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "bmsmap.h"

static const struct bms_conn conns[2] = {
	{ .charger_id = 1, .connector = 1, .state = 3, .offer = 160,
	  .draw = { 158, 0, 0 }, .session_wh = 70000 },
	{ .charger_id = 2, .connector = 1, .state = 6, .offer = 0,
	  .paused = true, .paused_by = "bms", .faults = 4,
	  .session_wh = 1234 },
};

static struct bms_view
view(void)
{
	return (struct bms_view){ .meter_online = true,
	    .measured = { 300, -25, 100 }, .building = { 142, -25, 100 },
	    .available = { 800, 800, 800 }, .limit = { 1000, 1000, 1000 },
	    .ev = { 158, 0, 0 }, .ext_on = true,
	    .ext_limit = { 900, 950, 1000 }, .ext_left_s = 42, .n = 2,
	    .conns = conns };
}

static void
test_site_registers(void **state)
{
	struct bms_view v = view();
	uint16_t r[29];

	(void)state;
	assert_int_equal(bmsmap_inputs(&v, 0, 29, r), 0);
	assert_int_equal(r[0], BMS_MAP_VERSION);
	assert_int_equal(r[1], 2);
	assert_int_equal(r[2], 1);
	assert_int_equal(r[3], 1);
	assert_int_equal(r[4], 42);
	assert_int_equal(r[5], 0);			/* a gap reads 0 */
	assert_int_equal(r[10], 300);
	assert_int_equal((int16_t)r[11], -25);		/* export: signed */
	assert_int_equal(r[16], 800);
	assert_int_equal(r[21], 1000);
	/* 15.8 A at 230 V: 3634 W; 32-bit, high word first */
	assert_int_equal((uint32_t)r[22] << 16 | r[23], 3634);
	/* the energy of the sessions in progress (the charging one) */
	assert_int_equal(r[24], 70000 >> 16);
	assert_int_equal(r[25], 70000 & 0xffff);
	assert_int_equal(r[26], 1);		/* charging */
	assert_int_equal(r[27], 1);		/* paused */
	assert_int_equal(r[28], 1);		/* faulted */
}

static void
test_connector_blocks(void **state)
{
	struct bms_view v = view();
	uint16_t r[20];

	(void)state;
	assert_int_equal(bmsmap_inputs(&v, BMS_CONN_BASE, 20, r), 0);
	assert_int_equal(r[0], 1);
	assert_int_equal(r[2], 3);
	assert_int_equal(r[3], 160);
	assert_int_equal(r[4], 158);
	assert_int_equal((uint32_t)r[7] << 16 | r[8], 70000);
	assert_int_equal(r[10], 2);
	assert_int_equal(r[12], 6);
	assert_int_equal(r[19], 4);
	/* a read that starts inside a 32-bit value gets its low word */
	assert_int_equal(bmsmap_inputs(&v, BMS_CONN_BASE + 8, 1, r), 0);
	assert_int_equal(r[0], 70000 & 0xffff);
	/* past the last connector: illegal data address; the twin ends on
	 * the last register */
	assert_int_equal(bmsmap_inputs(&v, BMS_CONN_BASE + 19, 2, r),
	    BMS_EXC_ADDRESS);
	assert_int_equal(bmsmap_inputs(&v, BMS_CONN_BASE + 19, 1, r), 0);
	v.n = 0;
	assert_int_equal(bmsmap_inputs(&v, BMS_CONN_BASE, 1, r),
	    BMS_EXC_ADDRESS);
}

static void
test_holding_read_back(void **state)
{
	struct bms_conn mine[2];
	struct bms_view v = view();
	uint16_t r[BMS_HR_COUNT];

	(void)state;
	memcpy(mine, conns, sizeof(mine));
	v.conns = mine;
	assert_int_equal(bmsmap_holdings(&v, 0, BMS_HR_COUNT, r), 0);
	assert_int_equal(r[0], 900);
	assert_int_equal(r[2], 1000);
	assert_int_equal(r[3], 42);
	assert_int_equal(r[4], 1);		/* one paused by "bms" */
	v.ext_on = false;
	mine[1].paused_by[0] = 'x';
	assert_int_equal(bmsmap_holdings(&v, 0, BMS_HR_COUNT, r), 0);
	assert_int_equal(r[0], 0);
	assert_int_equal(r[3], 0);
	assert_int_equal(r[4], 0);		/* someone else's pause */
	assert_int_equal(bmsmap_holdings(&v, 0, BMS_HR_COUNT + 1, r),
	    BMS_EXC_ADDRESS);
}

static void
test_writes(void **state)
{
	struct bms_write w;
	uint16_t ok[] = { 100, 120, 140, 10 };
	uint16_t v;

	(void)state;
	/* the three limits and the validity in one request */
	assert_int_equal(bmsmap_write(0, 4, ok, &w), 0);
	assert_int_equal(w.op, BMS_W_LIMIT);
	assert_int_equal(w.limit_da[1], 120);
	assert_int_equal(w.valid_s, 10);
	/* refused: a validity under 10 s, limits without their validity,
	 * the validity alone other than 0, past the map */
	ok[3] = 9;
	assert_int_equal(bmsmap_write(0, 4, ok, &w), BMS_EXC_VALUE);
	assert_int_equal(bmsmap_write(0, 3, ok, &w), BMS_EXC_VALUE);
	assert_int_equal(bmsmap_write(1, 3, ok + 1, &w), BMS_EXC_VALUE);
	v = 60;
	assert_int_equal(bmsmap_write(3, 1, &v, &w), BMS_EXC_VALUE);
	assert_int_equal(bmsmap_write(4, 2, ok, &w), BMS_EXC_ADDRESS);
	assert_int_equal(bmsmap_write(0, 5, ok, &w), BMS_EXC_VALUE);
	/* twins: 0 alone, or as the validity with the limits, ends it */
	v = 0;
	assert_int_equal(bmsmap_write(3, 1, &v, &w), 0);
	assert_int_equal(w.op, BMS_W_CLEAR);
	ok[3] = 0;
	assert_int_equal(bmsmap_write(0, 4, ok, &w), 0);
	assert_int_equal(w.op, BMS_W_CLEAR);
	/* the pause: 0 or 1 */
	v = 2;
	assert_int_equal(bmsmap_write(4, 1, &v, &w), BMS_EXC_VALUE);
	v = 1;
	assert_int_equal(bmsmap_write(4, 1, &v, &w), 0);
	assert_int_equal(w.op, BMS_W_PAUSE);
	v = 0;
	assert_int_equal(bmsmap_write(4, 1, &v, &w), 0);
	assert_int_equal(w.op, BMS_W_RESUME);
}

static void
test_writers(void **state)
{
	uint32_t a[BMS_MAX_WRITERS], m[BMS_MAX_WRITERS];

	(void)state;
	assert_int_equal(bms_writers_parse("", a, m), 0);
	assert_int_equal(bms_writers_parse("192.168.1.20, 10.1.2.3/8", a,
	    m), 2);
	assert_int_equal(a[0], inet_addr("192.168.1.20"));
	assert_int_equal(m[0], 0xffffffffu);
	assert_int_equal(a[1], inet_addr("10.0.0.0"));	/* the block's */
	assert_int_equal(m[1], inet_addr("255.0.0.0"));
	assert_int_equal(bms_writers_parse("0.0.0.0/0", a, m), 1);
	assert_int_equal(m[0], 0);
	/* refused: not an address, a bad prefix, too many */
	assert_int_equal(bms_writers_parse("10.0.0", a, m), -1);
	assert_int_equal(bms_writers_parse("10.0.0.1/33", a, m), -1);
	assert_int_equal(bms_writers_parse("10.0.0.1/", a, m), -1);
	assert_int_equal(bms_writers_parse("host.example", a, m), -1);
	assert_int_equal(bms_writers_parse("1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,"
	    "1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8,1.1.1.9", a, m), -1);
	assert_int_equal(bms_writers_parse("1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,"
	    "1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8", a, m), 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_site_registers),
		cmocka_unit_test(test_connector_blocks),
		cmocka_unit_test(test_holding_read_back),
		cmocka_unit_test(test_writes),
		cmocka_unit_test(test_writers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
