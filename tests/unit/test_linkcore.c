/*
 * test_linkcore.c: the master's per-charger link state machine, alone:
 * the order of a poll, skipped writes, offline counting, back-off,
 * refused writes and malformed answers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "linkcore.h"

static const struct link_params lp = {
	.response_timeout_ms = 500, .connect_timeout_ms = 1000,
	.offline_after = 3, .fallback_da = 0, .fallback_s = 10,
};

/* The answer a well-behaved charger gives to the request in flight, with
 * the connector blocks saying setpoint in force = in_force. */
static int
answer(const struct link_req *r, uint8_t *pdu, uint16_t in_force)
{
	uint16_t regs[REGMAP_CONN_INPUTS];
	int	 n = 0;

	memset(regs, 0, sizeof(regs));
	pdu[n++] = r->fc;
	if (r->fc == 4) {
		if (r->addr == 0) {
			struct reg_unit u = { .map_version = 1, .connectors = 2 };

			regmap_encode_unit(&u, regs);
		} else {
			struct reg_conn c = { .state = 3, .setpoint_da = in_force };

			regmap_encode_conn(&c, regs);
		}
		pdu[n++] = (uint8_t)(2 * r->count);
		for (int i = 0; i < r->count; i++) {
			pdu[n++] = (uint8_t)(regs[i] >> 8);
			pdu[n++] = (uint8_t)regs[i];
		}
		return n;
	}
	pdu[n++] = (uint8_t)(r->addr >> 8);
	pdu[n++] = (uint8_t)r->addr;
	if (r->fc == 6) {
		pdu[n++] = (uint8_t)(r->vals[0] >> 8);
		pdu[n++] = (uint8_t)r->vals[0];
	} else {
		pdu[n++] = 0;
		pdu[n++] = (uint8_t)r->count;
	}
	return n;
}

/* Runs one poll against a good charger; returns the requests' fc/addr. */
static int
run_poll(struct link_peer *p, uint64_t *now, uint16_t in_force,
    struct link_req *seen, unsigned *news_out)
{
	int	 n = 0;
	unsigned news = 0;

	link_start_poll(p, *now);
	for (;;) {
		enum link_action a = link_next(p, &lp, *now, &news);
		uint8_t	 pdu[300];

		*news_out |= news;
		if (a == LINK_ACT_CONNECT) {
			link_connected(p, *now);
			continue;
		}
		if (a != LINK_ACT_SEND)
			break;
		seen[n++] = p->req;
		*now += 1;
		*news_out |= link_response(p, &lp, *now, pdu,
		    answer(&p->req, pdu, in_force));
	}
	return n;
}

static void
test_first_poll_sequence(void **state)
{
	struct link_peer p;
	uint16_t want[2] = { 160, 100 };
	struct link_req seen[16];
	uint64_t now = 1000;
	unsigned news = 0;
	int	 n;

	(void)state;
	link_init(&p, 2, want);
	n = run_poll(&p, &now, 0, seen, &news);
	assert_int_equal(n, 7);
	assert_int_equal(seen[0].fc, 4);
	assert_int_equal(seen[0].addr, 0);
	assert_int_equal(seen[0].count, REGMAP_UNIT_INPUTS);
	assert_int_equal(seen[1].addr, 100);
	assert_int_equal(seen[2].addr, 200);
	assert_int_equal(seen[3].fc, 6);	/* heartbeat */
	assert_int_equal(seen[3].addr, 0);
	assert_int_equal(seen[3].vals[0], 1);
	assert_int_equal(seen[4].fc, 16);	/* fallback, once */
	assert_int_equal(seen[4].addr, 1);
	assert_int_equal(seen[4].vals[1], 10);
	assert_int_equal(seen[5].addr, 100);	/* setpoints */
	assert_int_equal(seen[5].vals[0], 160);
	assert_int_equal(seen[6].addr, 200);
	assert_int_equal(seen[6].vals[0], 100);
	assert_true(news & NEWS_ONLINE);
	assert_true(news & NEWS_POLLED);
	assert_true(p.online);
	assert_int_equal(p.conn[0].state, 3);
	/* the read said 0 was in force; the acknowledged writes are */
	assert_int_equal(p.conn[0].setpoint_da, 160);
	assert_int_equal(p.conn[1].setpoint_da, 100);
}

static void
test_steady_poll_skips_what_is_in_force(void **state)
{
	struct link_peer p;
	uint16_t want[2] = { 160, 160 };
	struct link_req seen[16];
	uint64_t now = 1000;
	unsigned news = 0;

	(void)state;
	link_init(&p, 2, want);
	run_poll(&p, &now, 160, seen, &news);
	news = 0;
	now += 1000;
	/* Connected, fallback sent, setpoints in force: reads + heartbeat. */
	assert_int_equal(run_poll(&p, &now, 160, seen, &news), 4);
	assert_int_equal(seen[3].vals[0], 2);	/* heartbeat changes */
	assert_true(news & NEWS_POLLED);
	assert_false(news & NEWS_ONLINE);
}

static void
test_one_connector_unit(void **state)
{
	struct link_peer p;
	uint16_t want[2] = { 60, 0 };
	struct link_req seen[16];
	uint64_t now = 1000;
	unsigned news = 0;

	(void)state;
	link_init(&p, 1, want);
	assert_int_equal(run_poll(&p, &now, 60, seen, &news), 4);
	for (int i = 0; i < 4; i++)
		assert_true(seen[i].addr < 200);
}

static void
test_failures_offline_and_backoff(void **state)
{
	struct link_peer p;
	uint16_t want[2] = { 160, 160 };
	struct link_req seen[16];
	uint64_t now = 1000;
	unsigned news = 0;

	(void)state;
	link_init(&p, 2, want);
	run_poll(&p, &now, 160, seen, &news);
	assert_true(p.online);
	for (int i = 1; i <= 3; i++) {
		link_start_poll(&p, now);
		news = link_failed(&p, &lp, now, "no answer in time");
		assert_true(news & NEWS_POLL_FAILED);
		assert_int_equal(p.state, LINK_DOWN);
		if (i < 3)
			assert_true(p.online);
		else {
			assert_true(news & NEWS_OFFLINE);
			assert_false(p.online);
		}
		now += 1000;
	}
	/* Back-off doubles to its cap. */
	for (int i = 0; i < 10; i++)
		link_failed(&p, &lp, now, "refused");
	assert_int_equal(p.backoff_ms, LINK_BACKOFF_MAX_MS);
	/* No reconnect before retry_ms, then one. */
	link_start_poll(&p, now);
	assert_int_equal(link_next(&p, &lp, p.retry_ms - 1, &news),
	    LINK_ACT_NONE);
	assert_int_equal(link_deadline(&p), p.retry_ms);
	assert_int_equal(link_next(&p, &lp, p.retry_ms, &news),
	    LINK_ACT_CONNECT);
	/* A good poll: online again, back-off reset. */
	now = p.retry_ms;
	link_connected(&p, now);
	news = 0;
	run_poll(&p, &now, 160, seen, &news);
	assert_true(news & NEWS_ONLINE);
	assert_int_equal(p.backoff_ms, LINK_BACKOFF_MIN_MS);
	assert_int_equal(p.failures, 0);
}

static void
test_never_reached_reported_once(void **state)
{
	struct link_peer p;
	uint16_t want[2] = { 0, 0 };
	unsigned offline = 0;

	(void)state;
	link_init(&p, 2, want);
	for (int i = 0; i < 10; i++)
		offline += (link_failed(&p, &lp, 1000 + i, "refused") &
		    NEWS_OFFLINE) != 0;
	assert_int_equal(offline, 1);
}

static void
test_refused_write_goes_on(void **state)
{
	struct link_peer p;
	uint16_t want[2] = { 400, 160 };
	uint64_t now = 1000;
	unsigned news = 0;
	uint8_t	 pdu[300];
	int	 steps = 0;

	(void)state;
	link_init(&p, 2, want);
	link_start_poll(&p, now);
	for (;;) {
		enum link_action a = link_next(&p, &lp, now, &news);

		if (a == LINK_ACT_CONNECT) {
			link_connected(&p, now);
			continue;
		}
		if (a != LINK_ACT_SEND)
			break;
		steps++;
		if (p.req.fc == 6 && p.req.addr == 100) {
			pdu[0] = 6 | 0x80;
			pdu[1] = MB_EXC_ILLEGAL_VALUE;
			link_response(&p, &lp, now, pdu, 2);
			continue;
		}
		link_response(&p, &lp, now, pdu, answer(&p.req, pdu, 0));
	}
	assert_int_equal(steps, 7);
	assert_int_equal(p.refused_exc, MB_EXC_ILLEGAL_VALUE);
	assert_int_equal(p.refused.addr, 100);
	assert_true(news & NEWS_POLLED);
	assert_true(p.online);
}

static void
test_bad_answers_fail_the_poll(void **state)
{
	struct link_peer p;
	uint16_t want[2] = { 0, 0 }, regs[128];
	unsigned news = 0;
	uint8_t	 pdu[300];
	int	 exc;
	const struct link_req rd = { .fc = 4, .addr = 0, .count = 20 };

	(void)state;
	/* link_parse: shape checks. */
	pdu[0] = 4;
	pdu[1] = 40;
	assert_int_equal(link_parse(&rd, pdu, 42, regs, &exc), 0);
	assert_int_equal(link_parse(&rd, pdu, 41, regs, &exc), -EPROTO);
	pdu[1] = 38;
	assert_int_equal(link_parse(&rd, pdu, 40, regs, &exc), -EPROTO);
	pdu[0] = 3;
	assert_int_equal(link_parse(&rd, pdu, 42, regs, &exc), -EPROTO);
	pdu[0] = 0x84;
	pdu[1] = 2;
	assert_int_equal(link_parse(&rd, pdu, 2, regs, &exc), 1);
	assert_int_equal(exc, 2);
	assert_int_equal(link_parse(&rd, pdu, 1, regs, &exc), -EPROTO);

	/* An exception to a read fails the poll. */
	link_init(&p, 2, want);
	link_start_poll(&p, 0);
	assert_int_equal(link_next(&p, &lp, 0, &news), LINK_ACT_CONNECT);
	link_connected(&p, 0);
	assert_int_equal(link_next(&p, &lp, 0, &news), LINK_ACT_SEND);
	news = link_response(&p, &lp, 1, pdu, 2);
	assert_true(news & NEWS_POLL_FAILED);
	assert_int_equal(p.state, LINK_DOWN);
	/* An answer with no request in flight, too. */
	news = link_response(&p, &lp, 2, pdu, 2);
	assert_true(news & NEWS_POLL_FAILED);
}

static void
test_framing(void **state)
{
	const struct link_req rd = { .fc = 4, .addr = 100, .count = 28 };
	const struct link_req wr = { .fc = 16, .addr = 1, .count = 2,
	    .vals = { 60, 10 } };
	uint8_t	 adu[LINK_ADU_MAX], in[32];
	size_t	 flen = 0;
	int	 n;

	(void)state;
	n = link_frame_request(&rd, 0x1234, 1, adu);
	assert_int_equal(n, 12);
	assert_memory_equal(adu, ((uint8_t[]){ 0x12, 0x34, 0, 0, 0, 6, 1, 4,
	    0, 100, 0, 28 }), 12);
	n = link_frame_request(&wr, 7, 1, adu);
	assert_int_equal(n, 17);
	assert_memory_equal(adu, ((uint8_t[]){ 0, 7, 0, 0, 0, 11, 1, 16, 0, 1,
	    0, 2, 4, 0, 60, 0, 10 }), 17);

	/* An exception answer to transaction 7, byte by byte. */
	memcpy(in, ((uint8_t[]){ 0, 7, 0, 0, 0, 3, 1, 0x90, 3, 0xAA }), 10);
	for (size_t len = 0; len < 9; len++)
		assert_int_equal(link_frame_split(in, len, 7, &flen), 0);
	assert_int_equal(link_frame_split(in, 10, 7, &flen), 1);
	assert_int_equal(flen, 9);	/* the next frame's byte stays */
	/* Another transaction, another protocol, silly lengths. */
	assert_int_equal(link_frame_split(in, 9, 8, &flen), -EPROTO);
	in[2] = 1;
	assert_int_equal(link_frame_split(in, 9, 7, &flen), -EPROTO);
	in[2] = 0;
	in[5] = 1;
	assert_int_equal(link_frame_split(in, 9, 7, &flen), -EPROTO);
	in[4] = 1;
	in[5] = 0;
	assert_int_equal(link_frame_split(in, 9, 7, &flen), -EPROTO);
}

/*
 * What the master may count of a charger that then falls silent: its
 * fallback only once it acknowledged ours, and a setpoint written whose
 * answer never came as possibly in force (safety review, item 3).
 */
static void
test_what_a_silent_charger_may_have(void **state)
{
	struct link_peer p;
	uint16_t want[2] = { 160, 100 };
	struct link_req seen[16];
	uint64_t now = 1000;
	unsigned news = 0;
	enum link_action a;

	(void)state;
	link_init(&p, 2, want);
	assert_false(p.fallback_known);
	run_poll(&p, &now, 0, seen, &news);
	assert_true(p.fallback_known);
	assert_int_equal(p.fallback_da, lp.fallback_da);
	assert_int_equal(p.fallback_s, lp.fallback_s);
	assert_int_equal(p.may_force_da[0], 160);
	assert_int_equal(p.may_force_da[1], 100);
	/* a raise to 32 A is sent, and the charger dies before answering */
	p.want_da[0] = 320;
	link_start_poll(&p, now);
	while ((a = link_next(&p, &lp, now, &news)) == LINK_ACT_SEND &&
	    !(p.req.fc == 6 && p.req.addr == 100)) {
		uint8_t	 pdu[300];

		now += 1;
		link_response(&p, &lp, now, pdu, answer(&p.req, pdu, 160));
	}
	assert_int_equal(a, LINK_ACT_SEND);
	link_failed(&p, &lp, now + 500, "timeout");
	assert_int_equal(p.conn[0].setpoint_da, 160);	/* as last read */
	assert_int_equal(p.may_force_da[0], 320);	/* may be in force */
	/* its positive twin: a read that says 16 A is the truth again */
	now += 2000;
	run_poll(&p, &now, 160, seen, &news);
	p.want_da[0] = 160;
	assert_int_equal(p.may_force_da[0], 320);	/* written again */
	run_poll(&p, &now, 160, seen, &news);
	assert_int_equal(p.may_force_da[0], 160);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_poll_sequence),
		cmocka_unit_test(test_steady_poll_skips_what_is_in_force),
		cmocka_unit_test(test_one_connector_unit),
		cmocka_unit_test(test_failures_offline_and_backoff),
		cmocka_unit_test(test_never_reached_reported_once),
		cmocka_unit_test(test_refused_write_goes_on),
		cmocka_unit_test(test_bad_answers_fail_the_poll),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_what_a_silent_charger_may_have),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
