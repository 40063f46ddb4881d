/*
 * test_regmap.c: register map v1: the codec, read and write validation,
 * and the charger applying master writes (setpoints, commands, heartbeat,
 * fallback) in virtual time, including the master-silence watchdog.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rig.h"
#include "slave_regs.h"

static void
test_codec_round_trip(void **state)
{
	struct reg_unit u = {
		.map_version = 1, .connectors = 2, .firmware = 0x0102,
		.status = 1, .uptime_s = 0x12345678, .heartbeat_seen = 77,
		.temp_ddeg = -125, .ln_dv = { 2300, 2310, 2290 },
		.hw_max_da = 320, .serial = "ABCDEFGHIJKLMNOP",
	}, u2;
	struct reg_conn c = {
		.cp_state = 2, .state = 3, .faults = 0x1001, .offer_da = 160,
		.duty_pm = 267, .current_da = { 160, 0, 159 },
		.session_wh = 70000, .total_wh = 0xFFFFFFFF, .session_s = 3600,
		.session_no = 42, .phase = 5, .max_da = 320, .contactor = 1,
		.led = 5, .setpoint_da = 160, .tag = "04A1B2C3",
	}, c2;
	uint16_t regs[REGMAP_CONN_INPUTS], again[REGMAP_CONN_INPUTS];

	(void)state;
	regmap_encode_unit(&u, regs);
	assert_int_equal(regs[0], 1);
	assert_int_equal(regs[4], 0x1234);	/* high word first */
	assert_int_equal(regs[5], 0x5678);
	assert_int_equal(regs[7], (uint16_t)-125);
	assert_int_equal(regs[12], 'A' << 8 | 'B');
	regmap_decode_unit(regs, &u2);
	regmap_encode_unit(&u2, again);
	assert_memory_equal(regs, again, REGMAP_UNIT_INPUTS * 2);
	assert_int_equal(u2.uptime_s, 0x12345678);
	assert_int_equal(u2.temp_ddeg, -125);
	assert_string_equal(u2.serial, "ABCDEFGHIJKLMNOP");

	regmap_encode_conn(&c, regs);
	assert_int_equal(regs[4], 267);
	assert_int_equal(regs[8], 70000 >> 16);
	assert_int_equal(regs[9], 70000 & 0xFFFF);
	assert_int_equal(regs[20], '0' << 8 | '4');
	assert_int_equal(regs[24], 0);		/* zero-padded */
	assert_int_equal(regs[27], 0);
	regmap_decode_conn(regs, &c2);
	regmap_encode_conn(&c2, again);
	assert_memory_equal(regs, again, REGMAP_CONN_INPUTS * 2);
	assert_int_equal(c2.session_wh, 70000);
	assert_int_equal(c2.total_wh, 0xFFFFFFFF);
	assert_int_equal(c2.current_da[2], 159);
	assert_string_equal(c2.tag, "04A1B2C3");
}

static void
test_decode_keeps_strings_printable(void **state)
{
	uint16_t regs[REGMAP_UNIT_INPUTS] = { 0 };
	struct reg_unit u;

	(void)state;
	regs[12] = 'A' << 8 | 0x07;	/* bell */
	regs[13] = 0xFF << 8 | 'B';
	regmap_decode_unit(regs, &u);
	assert_int_equal(u.serial[0], 'A');
	assert_int_equal(u.serial[1], '\0');
	assert_true(strlen(u.serial) <= 16);
}

static void
test_check_read(void **state)
{
	(void)state;
	assert_int_equal(regmap_check_read(REG_INPUT, 0, 20, 2), 0);
	assert_int_equal(regmap_check_read(REG_INPUT, 0, 21, 2),
	    MB_EXC_ILLEGAL_ADDRESS);
	assert_int_equal(regmap_check_read(REG_INPUT, 19, 1, 2), 0);
	assert_int_equal(regmap_check_read(REG_INPUT, 20, 1, 2),
	    MB_EXC_ILLEGAL_ADDRESS);
	assert_int_equal(regmap_check_read(REG_INPUT, 100, 28, 2), 0);
	assert_int_equal(regmap_check_read(REG_INPUT, 127, 1, 2), 0);
	assert_int_equal(regmap_check_read(REG_INPUT, 128, 1, 2),
	    MB_EXC_ILLEGAL_ADDRESS);
	assert_int_equal(regmap_check_read(REG_INPUT, 200, 28, 2), 0);
	assert_int_equal(regmap_check_read(REG_INPUT, 200, 1, 1),
	    MB_EXC_ILLEGAL_ADDRESS);	/* no connector 2 */
	assert_int_equal(regmap_check_read(REG_INPUT, 300, 1, 2),
	    MB_EXC_ILLEGAL_ADDRESS);
	assert_int_equal(regmap_check_read(REG_INPUT, 90, 20, 2),
	    MB_EXC_ILLEGAL_ADDRESS);	/* straddles a gap */
	assert_int_equal(regmap_check_read(REG_HOLDING, 0, 4, 2), 0);
	assert_int_equal(regmap_check_read(REG_HOLDING, 0, 5, 2),
	    MB_EXC_ILLEGAL_ADDRESS);
	assert_int_equal(regmap_check_read(REG_HOLDING, 100, 2, 2), 0);
	assert_int_equal(regmap_check_read(REG_HOLDING, 102, 1, 2),
	    MB_EXC_ILLEGAL_ADDRESS);
	assert_int_equal(regmap_check_read(REG_INPUT, 0, 0, 2),
	    MB_EXC_ILLEGAL_ADDRESS);
	assert_int_equal(regmap_check_read(REG_INPUT, 65535, 1, 2),
	    MB_EXC_ILLEGAL_ADDRESS);
}

static void
test_check_write(void **state)
{
	const uint16_t max[2] = { 320, 160 };
	uint16_t v[3];

	(void)state;
#define W(addr, n, ...) (memcpy(v, (uint16_t[]){ __VA_ARGS__ }, \
    (n) * sizeof(uint16_t)), regmap_check_write((addr), (n), v, 2, max))
	assert_int_equal(W(100, 1, 0), 0);
	assert_int_equal(W(100, 1, 60), 0);
	assert_int_equal(W(100, 1, 320), 0);
	assert_int_equal(W(100, 1, 50), MB_EXC_ILLEGAL_VALUE);	/* 5.0 A */
	assert_int_equal(W(100, 1, 1), MB_EXC_ILLEGAL_VALUE);
	assert_int_equal(W(100, 1, 59), MB_EXC_ILLEGAL_VALUE);
	assert_int_equal(W(100, 1, 321), MB_EXC_ILLEGAL_VALUE);
	assert_int_equal(W(200, 1, 161), MB_EXC_ILLEGAL_VALUE);	/* conn 2 max */
	assert_int_equal(W(200, 1, 160), 0);
	assert_int_equal(W(101, 1, 5), 0);
	assert_int_equal(W(101, 1, 0), 0);
	assert_int_equal(W(101, 1, 6), MB_EXC_ILLEGAL_VALUE);
	assert_int_equal(W(100, 2, 160, 9), MB_EXC_ILLEGAL_VALUE);
	assert_int_equal(W(0, 3, 1234, 0, 10), 0);
	assert_int_equal(W(2, 1, 1), MB_EXC_ILLEGAL_VALUE);
	assert_int_equal(W(2, 1, 601), MB_EXC_ILLEGAL_VALUE);
	assert_int_equal(W(1, 1, 59), MB_EXC_ILLEGAL_VALUE);
	assert_int_equal(W(1, 1, 100), 0);
	/* map 2: the authorisation mode, 0 free or 1 remote */
	assert_int_equal(W(3, 1, 0), 0);
	assert_int_equal(W(3, 1, 1), 0);
	assert_int_equal(W(3, 1, 2), MB_EXC_ILLEGAL_VALUE);
	assert_int_equal(W(1, 3, 0, 10, 1), 0);
	assert_int_equal(W(4, 1, 0), MB_EXC_ILLEGAL_ADDRESS);
	assert_int_equal(W(102, 1, 0), MB_EXC_ILLEGAL_ADDRESS);
	assert_int_equal(W(300, 1, 0), MB_EXC_ILLEGAL_ADDRESS);
	assert_int_equal(W(5, 1, 0), MB_EXC_ILLEGAL_ADDRESS);
#undef W
}

/* --- the charger behind the map ---------------------------------------- */

static const char *const linked[] = { "unit.connectors=2",
    "link.enabled=yes", "link.fallback_current=10", "link.fallback_timeout=5",
    NULL };

static int
write1(struct rig *r, unsigned addr, uint16_t v)
{
	return slave_regs_write(&r->s, addr, 1, &v, r->now);
}

static void
test_charger_writes(void **state)
{
	struct rig *r = rig_new(linked);
	uint16_t in[SLAVE_REGS_SPAN], hold[SLAVE_REGS_SPAN];
	struct reg_conn c;
	struct reg_unit u;

	(void)state;
	rig_run(r, 100);
	/* Under a master it boots on the fallback current. */
	assert_int_equal(fw_setpoint_in_force(&r->s.fw, 0), 100);
	assert_int_equal(write1(r, 0, 1), 0);
	assert_int_equal(write1(r, 100, 160), 0);
	assert_int_equal(write1(r, 100, 50), MB_EXC_ILLEGAL_VALUE);
	assert_int_equal(write1(r, 200, 330), MB_EXC_ILLEGAL_VALUE);
	assert_int_equal(fw_setpoint_in_force(&r->s.fw, 0), 160);
	assert_int_equal(rig_cmd(r, "plug 1"), 0);
	rig_run(r, 4000);	/* inside the 5 s fallback timeout */
	slave_regs_inputs(&r->s, r->now, in);
	regmap_decode_unit(in, &u);
	assert_int_equal(u.map_version, REGMAP_VERSION);
	assert_int_equal(u.connectors, 2);
	assert_int_equal(u.heartbeat_seen, 1);
	assert_string_equal(u.serial, "SIM0000000000001");
	regmap_decode_conn(in + 100, &c);
	assert_int_equal(c.state, CS_CHARGING);
	assert_int_equal(c.cp_state, CP_C);
	assert_int_equal(c.offer_da, 160);
	assert_int_equal(c.duty_pm, 266);
	assert_int_equal(c.contactor, 1);
	assert_int_equal(c.setpoint_da, 160);
	assert_int_equal(c.session_no, 1);
	assert_int_equal(c.phase, PHASE_L1L2L3);
	slave_regs_holdings(&r->s, hold);
	assert_int_equal(hold[0], 1);
	assert_int_equal(hold[1], 100);
	assert_int_equal(hold[2], 5);
	assert_int_equal(hold[100], 160);
	assert_int_equal(hold[101], 0);

	/* Commands: a reset with nothing latched is fine, an authorise on a
	 * locked connector cannot act now. */
	assert_int_equal(write1(r, 201, REGMAP_CMD_LOCK), 0);
	assert_int_equal(write1(r, 201, REGMAP_CMD_AUTHORISE),
	    MB_EXC_SLAVE_FAILURE);
	assert_int_equal(write1(r, 201, REGMAP_CMD_UNLOCK), 0);
	assert_int_equal(write1(r, 101, REGMAP_CMD_RESET), 0);
	assert_int_equal(write1(r, 101, REGMAP_CMD_STOP), 0);
	rig_run(r, 8000);
	assert_false(r->s.fw.conn[0].sess.active);
	assert_int_equal(r->s.fw.conn[0].sess.reason, STOP_OPERATOR);
	rig_free(r);
}

static void
test_multi_register_write_is_all_or_nothing(void **state)
{
	struct rig *r = rig_new(linked);
	uint16_t v[3] = { 9, 60, 1 };	/* heartbeat ok, fallback ok, 1 s bad */

	(void)state;
	rig_run(r, 100);
	assert_int_equal(slave_regs_write(&r->s, 0, 3, v, r->now),
	    MB_EXC_ILLEGAL_VALUE);
	assert_int_equal(r->s.fw.heartbeat, 0);
	assert_int_equal(r->s.fw.cfg.fallback_da, 100);
	v[2] = 30;
	assert_int_equal(slave_regs_write(&r->s, 0, 3, v, r->now), 0);
	assert_int_equal(r->s.fw.heartbeat, 9);
	assert_int_equal(r->s.fw.cfg.fallback_da, 60);
	assert_int_equal(r->s.fw.cfg.fallback_timeout_ms, 30000);
	rig_free(r);
}

static void
test_watchdog_falls_back_and_waits_for_setpoints(void **state)
{
	struct rig *r = rig_new(linked);
	const struct fw *fw = &r->s.fw;
	uint64_t t_last;
	int64_t t_fb;

	(void)state;
	assert_int_equal(rig_cmd(r, "plug 1"), 0);
	/* A master: heartbeat every second, 32 A. */
	for (int i = 1; i <= 10; i++) {
		assert_int_equal(write1(r, 0, (uint16_t)i), 0);
		if (i == 1)
			assert_int_equal(write1(r, 100, 320), 0);
		rig_run(r, 1000);
	}
	assert_int_equal(fw->status, UNIT_NORMAL);
	assert_int_equal(fw->conn[0].offer_da, 320);
	/* The same value again is not a heartbeat. */
	t_last = r->now;
	for (int i = 0; i < 8; i++) {
		assert_int_equal(write1(r, 0, 10), 0);
		rig_run(r, 1000);
	}
	t_fb = rig_find(r, 0, EV_FALLBACK, 1, -1, t_last);
	assert_true(t_fb > 0);
	/* 5 s after the last change (counted from the write before t_last). */
	assert_in_range(t_fb - (int64_t)(t_last - 1000), 5000, 5000 + 10);
	assert_int_equal(fw->status, UNIT_FALLBACK);
	assert_int_equal(fw->conn[0].offer_da, 100);
	assert_int_equal(fw->conn[1].setpoint_da, 100);
	/* Setpoints from a master whose heartbeat is stuck are refused. */
	assert_int_equal(write1(r, 100, 320), MB_EXC_SLAVE_FAILURE);
	assert_int_equal(fw->conn[0].setpoint_da, 100);
	/* The master is back: status normal, but still 10 A until it
	 * writes a setpoint (it may have given the rest away). */
	assert_int_equal(write1(r, 0, 11), 0);
	rig_run(r, 100);
	assert_int_equal(fw->status, UNIT_NORMAL);
	assert_int_equal(fw->conn[0].offer_da, 100);
	assert_int_equal(write1(r, 100, 250), 0);
	rig_run(r, 100);
	assert_int_equal(fw->conn[0].offer_da, 250);
	assert_null(r->violation);
	rig_free(r);
}

static void
test_fallback_zero_pauses(void **state)
{
	static const char *const set[] = { "link.enabled=yes",
	    "link.fallback_timeout=2", NULL };
	struct rig *r = rig_new(set);

	(void)state;
	assert_int_equal(write1(r, 0, 1), 0);
	assert_int_equal(write1(r, 100, 160), 0);
	assert_int_equal(rig_cmd(r, "plug 1"), 0);
	rig_run(r, 1900);
	assert_int_equal(r->s.fw.conn[0].offer_da, 160);
	rig_run(r, 300);
	assert_int_equal(r->s.fw.status, UNIT_FALLBACK);
	assert_int_equal(r->s.fw.conn[0].offer_da, 0);
	assert_int_equal(r->s.fw.conn[0].state, CS_NO_CURRENT);
	rig_run(r, 8000);
	assert_false(r->s.fw.conn[0].close_cmd);
	rig_free(r);
}

/* A charger charging at 16 A whose master went silent: fallback 10 A. */
static struct rig *
silent_master(void)
{
	struct rig *r = rig_new(linked);

	assert_int_equal(write1(r, 0, 1), 0);
	assert_int_equal(write1(r, 100, 160), 0);
	assert_int_equal(rig_cmd(r, "plug 1"), 0);
	rig_run(r, 6000);
	assert_int_equal(r->s.fw.status, UNIT_FALLBACK);
	assert_int_equal(r->s.fw.conn[0].offer_da, 100);
	return r;
}

/*
 * While the master is silent no write raises what a connector may be
 * offered: not the setpoint, and not the fallback current either (that
 * would raise every setpoint with it). Lowering is fine and applies.
 */
static void
test_silent_master_fallback_cannot_be_raised(void **state)
{
	struct rig *r = silent_master();
	const struct fw *fw = &r->s.fw;
	uint16_t v[2] = { 320, 600 };

	(void)state;
	assert_int_equal(write1(r, 100, 320), MB_EXC_SLAVE_FAILURE);
	assert_int_equal(slave_regs_write(&r->s, 1, 2, v, r->now),
	    MB_EXC_SLAVE_FAILURE);
	assert_int_equal(write1(r, 1, 320), MB_EXC_SLAVE_FAILURE);
	rig_run(r, 4000);
	assert_int_equal(fw->status, UNIT_FALLBACK);
	assert_int_equal(fw->cfg.fallback_da, 100);
	assert_int_equal(fw->cfg.fallback_timeout_ms, 5000);
	assert_int_equal(fw->conn[0].setpoint_da, 100);
	assert_int_equal(fw->conn[0].offer_da, 100);
	/* The timeout alone, and a lower current, are accepted. */
	v[0] = 100;
	assert_int_equal(slave_regs_write(&r->s, 1, 2, v, r->now), 0);
	assert_int_equal(write1(r, 1, 60), 0);
	rig_run(r, 100);
	assert_int_equal(fw->conn[0].offer_da, 60);
	/* A connector paused meanwhile stays paused. */
	assert_int_equal(write1(r, 100, 0), 0);
	assert_int_equal(write1(r, 1, 60), 0);
	rig_run(r, 100);
	assert_int_equal(fw->conn[0].setpoint_da, 0);
	assert_int_equal(fw->conn[1].setpoint_da, 60);
	/* The master is back: it may raise both again. */
	assert_int_equal(write1(r, 0, 2), 0);
	v[0] = 320;
	assert_int_equal(slave_regs_write(&r->s, 1, 2, v, r->now), 0);
	assert_int_equal(write1(r, 100, 320), 0);
	assert_null(r->violation);
	rig_free(r);
}

/*
 * A write of setpoint and command together is validated whole: a
 * setpoint that cannot apply now refuses the command too.
 */
static void
test_setpoint_and_command_all_or_nothing(void **state)
{
	struct rig *r = silent_master();
	const struct fw_conn *c = &r->s.fw.conn[0];
	uint16_t v[2] = { 320, REGMAP_CMD_LOCK };

	(void)state;
	assert_int_equal(slave_regs_write(&r->s, 100, 2, v, r->now),
	    MB_EXC_SLAVE_FAILURE);
	assert_false(c->locked);
	assert_false(c->stopping);
	assert_int_equal(c->setpoint_da, 100);
	v[0] = 60;
	assert_int_equal(slave_regs_write(&r->s, 100, 2, v, r->now), 0);
	assert_true(c->locked);
	assert_int_equal(c->setpoint_da, 60);
	rig_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec_round_trip),
		cmocka_unit_test(test_decode_keeps_strings_printable),
		cmocka_unit_test(test_check_read),
		cmocka_unit_test(test_check_write),
		cmocka_unit_test(test_charger_writes),
		cmocka_unit_test(test_multi_register_write_is_all_or_nothing),
		cmocka_unit_test(test_watchdog_falls_back_and_waits_for_setpoints),
		cmocka_unit_test(test_fallback_zero_pauses),
		cmocka_unit_test(test_silent_master_fallback_cannot_be_raised),
		cmocka_unit_test(test_setpoint_and_command_all_or_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
