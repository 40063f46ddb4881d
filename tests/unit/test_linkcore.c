/*
 * test_linkcore.c: the master's per-charger link state machine, alone:
 * the order of a poll, skipped writes, offline counting, back-off,
 * refused writes and malformed answers; someone else's writes found and
 * undone, and the master's own decisions (and restarts, fallbacks, lost
 * answers) not taken for someone else's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "charger.h"
#include "linkcore.h"

static struct link_params lp = {
	.response_timeout_ms = 500, .connect_timeout_ms = 1000,
	.offline_after = 3, .fallback_da = 0, .fallback_s = 10,
};

/* The fallback settings (holding 1-2) of the well-behaved charger below:
 * its own until the master writes them (reset before each test). */
static uint16_t charger_fb[2];

static int
reset(void **state)
{
	(void)state;
	charger_fb[0] = 320;
	charger_fb[1] = 600;
	lp.fallback_da = 0;
	lp.fallback_s = 10;
	return 0;
}

/* The answer a well-behaved charger gives to the request in flight, with
 * the connector blocks saying setpoint in force = in_force. */
static int
answer(const struct link_req *r, uint8_t *pdu, uint16_t in_force)
{
	uint16_t regs[REGMAP_CONN_INPUTS];
	int	 n = 0;

	memset(regs, 0, sizeof(regs));
	pdu[n++] = r->fc;
	if (r->fc == 16 && r->addr == 1) {
		charger_fb[0] = r->vals[0];
		charger_fb[1] = r->vals[1];
	}
	if (r->fc == 3) {
		pdu[n++] = 4;
		for (int i = 0; i < 2; i++) {
			pdu[n++] = (uint8_t)(charger_fb[i] >> 8);
			pdu[n++] = (uint8_t)charger_fb[i];
		}
		return n;
	}
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

typedef int (*answer_fn)(void *arg, const struct link_req *, uint8_t *pdu);

/* Runs one poll, fn answering each request; returns the requests. */
static int
poll_with(struct link_peer *p, uint64_t *now, answer_fn fn, void *arg,
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
		    fn(arg, &p->req, pdu));
	}
	return n;
}

static int
good_answer(void *arg, const struct link_req *r, uint8_t *pdu)
{
	return answer(r, pdu, *(const uint16_t *)arg);
}

/* Runs one poll against a good charger; returns the requests' fc/addr. */
static int
run_poll(struct link_peer *p, uint64_t *now, uint16_t in_force,
    struct link_req *seen, unsigned *news_out)
{
	return poll_with(p, now, good_answer, &in_force, seen, news_out);
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
	assert_int_equal(n, 8);
	assert_int_equal(seen[0].fc, 4);
	assert_int_equal(seen[0].addr, 0);
	assert_int_equal(seen[0].count, REGMAP_UNIT_INPUTS);
	assert_int_equal(seen[1].addr, 100);
	assert_int_equal(seen[2].addr, 200);
	assert_int_equal(seen[3].fc, 3);	/* fallback settings */
	assert_int_equal(seen[3].addr, 1);
	assert_int_equal(seen[3].count, 2);
	assert_int_equal(seen[4].fc, 6);	/* heartbeat */
	assert_int_equal(seen[4].addr, 0);
	assert_int_equal(seen[4].vals[0], 1);
	assert_int_equal(seen[5].fc, 16);	/* fallback: not ours yet */
	assert_int_equal(seen[5].addr, 1);
	assert_int_equal(seen[5].vals[1], 10);
	assert_int_equal(seen[6].addr, 100);	/* setpoints */
	assert_int_equal(seen[6].vals[0], 160);
	assert_int_equal(seen[7].addr, 200);
	assert_int_equal(seen[7].vals[0], 100);
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
	/* Connected, fallback ours, setpoints in force: reads + heartbeat. */
	assert_int_equal(run_poll(&p, &now, 160, seen, &news), 5);
	assert_int_equal(seen[3].fc, 3);
	assert_int_equal(seen[4].vals[0], 2);	/* heartbeat changes */
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
	charger_fb[0] = lp.fallback_da;
	charger_fb[1] = lp.fallback_s;
	/* its fallback settings already ours: nothing to write */
	assert_int_equal(run_poll(&p, &now, 60, seen, &news), 4);
	assert_int_equal(seen[2].fc, 3);
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
	assert_int_equal(steps, 8);
	assert_true(p.refusal[STEP_SETPOINT1].active);
	assert_int_equal(p.refusal[STEP_SETPOINT1].exc, MB_EXC_ILLEGAL_VALUE);
	assert_int_equal(p.refusal[STEP_SETPOINT1].addr, 100);
	assert_true(news & NEWS_POLLED);
	assert_true(p.online);
}

/* One poll to its end; the setpoint write of connector 1 refused with
 * exc (0: taken); returns the news of the poll, or'ed. */
static unsigned
poll_once(struct link_peer *p, uint64_t now, int exc)
{
	uint8_t	 pdu[300];
	unsigned news, all = 0;

	link_start_poll(p, now);
	for (;;) {
		enum link_action a = link_next(p, &lp, now, &news);

		all |= news;
		if (a == LINK_ACT_CONNECT) {
			link_connected(p, now);
			continue;
		}
		if (a != LINK_ACT_SEND)
			break;
		if (exc && p->req.fc == 6 && p->req.addr == 100) {
			pdu[0] = 6 | 0x80;
			pdu[1] = (uint8_t)exc;
			all |= link_response(p, &lp, now, pdu, 2);
			continue;
		}
		all |= link_response(p, &lp, now, pdu, answer(&p->req, pdu, 0));
	}
	return all;
}

/* Issue 18, item 1: a refused write is news once, an alarm while it
 * lasts (refusal[].active), and news again when it is taken. */
static void
test_refusal_reported_once_then_cleared(void **state)
{
	struct link_peer p;
	uint16_t want[2] = { 200, 0 };

	(void)state;
	link_init(&p, 1, want);
	assert_true(poll_once(&p, 1000, MB_EXC_ILLEGAL_VALUE) & NEWS_REFUSED);
	p.refusal[STEP_SETPOINT1].fresh = false;	/* the shell reported it */
	assert_false(poll_once(&p, 2000, MB_EXC_ILLEGAL_VALUE) & NEWS_REFUSED);
	assert_true(p.refusal[STEP_SETPOINT1].active);
	assert_int_equal(p.refusal[STEP_SETPOINT1].since_ms, 1000);
	/* the positive twin: taken, the alarm ends, and that is news */
	assert_true(poll_once(&p, 3000, 0) & NEWS_TAKEN);
	assert_false(p.refusal[STEP_SETPOINT1].active);
}

/* Issue 18, item 2: a command's answer is the charger's. */
static void
test_command_answer_is_the_chargers(void **state)
{
	struct link_peer p;
	uint16_t want[2] = { 0, 0 };
	uint32_t seq;

	(void)state;
	link_init(&p, 1, want);
	(void)poll_once(&p, 1000, 0);
	seq = link_command(&p, 0, REGMAP_CMD_RESET);
	assert_true(poll_once(&p, 2000, 0) & NEWS_ANSWER);
	assert_int_equal(p.ask[0].done, seq);
	assert_int_equal(p.ask[0].exc, 0);
	assert_int_equal(p.cmd[0], 0);
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

/* A charger with state: takes the master's writes (and anyone else's,
 * done on the struct), reports them at the next read. */
struct fake {
	uint32_t	 uptime_s;
	uint16_t	 status;
	uint16_t	 sp[2];
	bool		 locked[2];
	bool		 ignore_cmd;	/* a lock shows only at its next tick */
	uint16_t	 fb[2];		/* holding 1-2: fallback settings */
	bool		 fail_hold;	/* a read of them gets exception 04 */
	uint16_t	 map_version;	/* 0: 1; 2 has holding 3 ... */
	uint16_t	 auth;		/* ... the authorisation mode */
};

static int
fake_answer(void *arg, const struct link_req *r, uint8_t *pdu)
{
	struct fake *f = arg;
	uint16_t regs[REGMAP_CONN_INPUTS];
	int	 n = 0, ci = r->addr / REGMAP_CONN_BASE - 1;

	memset(regs, 0, sizeof(regs));
	if (r->fc == 3 && f->fail_hold) {
		pdu[0] = 3 | 0x80;
		pdu[1] = MB_EXC_SLAVE_FAILURE;
		return 2;
	}
	if (f->map_version >= 2 && (r->fc == 3 || (r->fc == 16 &&
	    r->addr == 1))) {
		/* holding 1-3 of a map version 2 charger */
		uint16_t *h[3] = { &f->fb[0], &f->fb[1], &f->auth };

		pdu[n++] = r->fc;
		if (r->fc == 3) {
			pdu[n++] = (uint8_t)(2 * r->count);
			for (int i = 0; i < r->count && i < 3; i++) {
				pdu[n++] = (uint8_t)(*h[i] >> 8);
				pdu[n++] = (uint8_t)*h[i];
			}
			return n;
		}
		for (int i = 0; i < r->count && i < 3; i++)
			*h[i] = r->vals[i];
		pdu[n++] = 0;
		pdu[n++] = 1;
		pdu[n++] = 0;
		pdu[n++] = (uint8_t)r->count;
		return n;
	}
	if (r->fc == 3 || (r->fc == 16 && r->addr == 1)) {
		uint16_t keep[2] = { charger_fb[0], charger_fb[1] };

		charger_fb[0] = f->fb[0];
		charger_fb[1] = f->fb[1];
		n = answer(r, pdu, 0);
		f->fb[0] = charger_fb[0];
		f->fb[1] = charger_fb[1];
		charger_fb[0] = keep[0];
		charger_fb[1] = keep[1];
		return n;
	}
	pdu[n++] = r->fc;
	if (r->fc == 4) {
		if (r->addr == 0) {
			struct reg_unit u = { .map_version = f->map_version ?
			    f->map_version : 1, .connectors = 2,
			    .status = f->status, .uptime_s = f->uptime_s };

			regmap_encode_unit(&u, regs);
		} else {
			struct reg_conn c = { .state = f->locked[ci] ?
			    CS_LOCKED : CS_AVAILABLE, .setpoint_da = f->sp[ci] };

			regmap_encode_conn(&c, regs);
		}
		pdu[n++] = (uint8_t)(2 * r->count);
		for (int i = 0; i < r->count; i++) {
			pdu[n++] = (uint8_t)(regs[i] >> 8);
			pdu[n++] = (uint8_t)regs[i];
		}
		return n;
	}
	if (r->fc == 6 && ci >= 0 && r->addr % REGMAP_CONN_BASE == 0)
		f->sp[ci] = r->vals[0];
	if (r->fc == 6 && ci >= 0 && r->addr % REGMAP_CONN_BASE == 1 &&
	    !f->ignore_cmd && (r->vals[0] == REGMAP_CMD_LOCK ||
	    r->vals[0] == REGMAP_CMD_UNLOCK))
		f->locked[ci] = r->vals[0] == REGMAP_CMD_LOCK;
	return answer(r, pdu, 0);	/* the echo of a write */
}

/* One poll of the fake, 300 ms after the last; the connector writes it
 * made (in seen), how many. */
static int
fake_poll(struct link_peer *p, uint64_t *now, struct fake *f,
    struct link_req *seen, unsigned *news)
{
	struct link_req all[16];
	int	 n, w = 0;

	*now += 300;
	*news = 0;
	n = poll_with(p, now, fake_answer, f, all, news);
	for (int i = 0; i < n; i++)
		if (all[i].fc == 6 && all[i].addr != 0)
			seen[w++] = all[i];
	return w;
}

static void
test_foreign_setpoint_found_and_undone(void **state)
{
	struct link_peer p;
	uint16_t want[2] = { 160, 100 };
	struct fake f = { .uptime_s = 100 };
	struct link_req seen[16];
	uint64_t now = 1000;
	unsigned news;

	(void)state;
	link_init(&p, 2, want);
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 2);
	assert_false(news & NEWS_FOREIGN);	/* the master's own writes */
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 0);
	assert_false(news & NEWS_FOREIGN);
	/* Someone else raises connector 1: found, and written back. */
	f.sp[0] = 320;
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 1);
	assert_true(news & NEWS_FOREIGN);
	assert_int_equal(p.foreign[0].what, FOREIGN_SETPOINT);
	assert_int_equal(p.foreign[0].was_da, 160);
	assert_int_equal(p.foreign[0].now_da, 320);
	assert_int_equal(p.foreign[1].what, 0);
	assert_int_equal(seen[0].addr, 100);
	assert_int_equal(seen[0].vals[0], 160);
	assert_int_equal(f.sp[0], 160);
	p.foreign[0].what = 0;
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 0);
	assert_false(news & NEWS_FOREIGN);
	/* The master's own change (a pause): written, not reported. */
	p.want_da[1] = 0;
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 1);
	assert_false(news & NEWS_FOREIGN);
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 0);
	assert_false(news & NEWS_FOREIGN);
	/* Someone else resumes it: paused again, reported. */
	f.sp[1] = 160;
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 1);
	assert_true(news & NEWS_FOREIGN);
	assert_int_equal(p.foreign[1].what, FOREIGN_SETPOINT);
	assert_int_equal(f.sp[1], 0);
}

static void
test_restart_fallback_and_lost_answers_are_nobody_elses(void **state)
{
	struct link_peer p;
	uint16_t want[2] = { 160, 160 };
	struct fake f = { .uptime_s = 100 };
	struct link_req seen[16];
	uint64_t now = 1000;
	unsigned news;

	(void)state;
	link_init(&p, 2, want);
	fake_poll(&p, &now, &f, seen, &news);
	fake_poll(&p, &now, &f, seen, &news);
	/* In fallback, the charger set the fallback current itself. */
	f.status = UNIT_FALLBACK;
	f.sp[0] = f.sp[1] = 0;
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 2);
	assert_false(news & NEWS_FOREIGN);
	f.status = UNIT_NORMAL;
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 0);
	assert_false(news & NEWS_FOREIGN);
	/* Restarted (uptime went back): setpoints and locks lost. */
	link_lock(&p, 0, true);
	fake_poll(&p, &now, &f, seen, &news);
	assert_true(f.locked[0]);
	f = (struct fake){ .uptime_s = 3 };
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 3);
	assert_false(news & NEWS_FOREIGN);
	assert_true(f.locked[0]);		/* locked again */
	/* A poll that failed: what was written may have been taken. */
	fake_poll(&p, &now, &f, seen, &news);
	link_failed(&p, &lp, now, "no answer in time");
	f.sp[0] = 100;
	now += LINK_BACKOFF_MIN_MS;
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 1);
	assert_false(news & NEWS_FOREIGN);
	/* ...and the positive twin: the same change with nothing to
	 * explain it is someone else's. */
	f.sp[0] = 100;
	fake_poll(&p, &now, &f, seen, &news);
	assert_true(news & NEWS_FOREIGN);
}

static void
test_lock_owned_kept_foreign_lock_adopted(void **state)
{
	struct link_peer p;
	uint16_t want[2] = { 0, 0 };
	struct fake f = { .uptime_s = 100, .locked = { true, false } };
	struct link_req seen[16];
	uint64_t now = 1000;
	unsigned news;

	(void)state;
	link_init(&p, 2, want);
	/* Found locked at the first read: kept (a lock from before the
	 * master started may be an operator's). */
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 0);
	assert_false(news & NEWS_FOREIGN);
	assert_true(p.lock_owned[0] && p.lock_want[0]);
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 0);
	assert_true(f.locked[0]);
	/* Someone else unlocks it: locked again, reported. */
	f.locked[0] = false;
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 1);
	assert_true(news & NEWS_FOREIGN);
	assert_int_equal(p.foreign[0].what, FOREIGN_UNLOCK);
	assert_int_equal(seen[0].addr, 101);
	assert_int_equal(seen[0].vals[0], REGMAP_CMD_LOCK);
	assert_true(f.locked[0]);
	p.foreign[0].what = 0;
	/* The operator unlocks through the master: unlocked, and stays. */
	link_lock(&p, 0, false);
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 1);
	assert_int_equal(seen[0].vals[0], REGMAP_CMD_UNLOCK);
	assert_false(news & NEWS_FOREIGN);
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 0);
	assert_false(news & NEWS_FOREIGN);
	assert_false(f.locked[0]);
	/* Someone else locks connector 2 (or someone at the charger):
	 * never unlocked by the master, which holds it locked from now on,
	 * and reports it. */
	f.locked[1] = true;
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 0);
	assert_true(news & NEWS_FOREIGN);
	assert_int_equal(p.foreign[1].what, FOREIGN_LOCK);
	assert_true(f.locked[1]);
	assert_true(p.lock_want[1]);
	p.foreign[1].what = 0;
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 0);
	assert_false(news & NEWS_FOREIGN);
	/* ...so an unlock by someone else is now undone. */
	f.locked[1] = false;
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 1);
	assert_int_equal(p.foreign[1].what, FOREIGN_UNLOCK);
	assert_int_equal(seen[0].vals[0], REGMAP_CMD_LOCK);
	p.foreign[1].what = 0;
	/* A lock found after a failure (the link was down: someone at the
	 * charger) is adopted and reported too. */
	link_lock(&p, 1, false);
	fake_poll(&p, &now, &f, seen, &news);
	assert_false(f.locked[1]);
	link_failed(&p, &lp, now, "no answer in time");
	f.locked[1] = true;
	now += LINK_BACKOFF_MIN_MS;
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 0);
	assert_int_equal(p.foreign[1].what, FOREIGN_LOCK);
	assert_true(f.locked[1]);
	p.foreign[1].what = 0;
	/* Positive twin: an operator's unlock asked while the link is
	 * down is the master's, written once it is back. */
	link_failed(&p, &lp, now, "no answer in time");
	link_lock(&p, 1, false);
	now += LINK_BACKOFF_MIN_MS;
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 1);
	assert_false(news & NEWS_FOREIGN);
	assert_int_equal(seen[0].vals[0], REGMAP_CMD_UNLOCK);
	assert_false(f.locked[1]);
	/* The master's lock read before the charger's next tick shows it:
	 * not someone else's unlock; written again. */
	link_lock(&p, 1, true);
	f.ignore_cmd = true;
	fake_poll(&p, &now, &f, seen, &news);
	now -= 300 - LINK_STATE_SETTLE_MS / 2;	/* the next read, soon */
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 1);
	assert_false(news & NEWS_FOREIGN);
	assert_int_equal(seen[0].vals[0], REGMAP_CMD_LOCK);
	f.locked[1] = true;			/* its tick */
	fake_poll(&p, &now, &f, seen, &news);
	assert_false(news & NEWS_FOREIGN);
	/* ...and its unlock read before that tick: not someone else's
	 * lock, not adopted, not written again. */
	link_lock(&p, 1, false);
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 1);
	assert_int_equal(seen[0].vals[0], REGMAP_CMD_UNLOCK);
	now -= 300 - LINK_STATE_SETTLE_MS / 2;
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 0);
	assert_false(news & NEWS_FOREIGN);
	assert_false(p.lock_want[1]);
	f.locked[1] = false;			/* its tick */
	f.ignore_cmd = false;
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 0);
	assert_false(news & NEWS_FOREIGN);
	assert_false(p.lock_want[1]);
	/* Bad input changes nothing. */
	link_lock(&p, 2, true);
	link_lock(&p, -1, true);
	assert_false(p.lock_want[0]);
}

/* The charger restarted (or the link broke) while its uptime did not
 * go back: what was known is forgotten at the failure, so the lock it
 * lost is written again without being taken for someone else's unlock
 * (audit of issue 17, F6); a setpoint and the fallback settings too. */
static void
test_failure_forgets_what_was_known(void **state)
{
	struct link_peer p;
	uint16_t want[2] = { 160, 160 };
	struct fake f = { .uptime_s = 1, .fb = { 0, 10 } };
	struct link_req seen[16];
	uint64_t now = 1000;
	unsigned news;

	(void)state;
	link_init(&p, 2, want);
	link_lock(&p, 0, true);
	fake_poll(&p, &now, &f, seen, &news);
	assert_true(f.locked[0]);
	fake_poll(&p, &now, &f, seen, &news);
	link_failed(&p, &lp, now, "connection closed by the charger");
	/* a fresh charger, one second up again */
	f = (struct fake){ .uptime_s = 1, .fb = { 320, 600 } };
	now += LINK_BACKOFF_MIN_MS;
	assert_int_equal(fake_poll(&p, &now, &f, seen, &news), 3);
	assert_false(news & NEWS_FOREIGN);
	assert_true(f.locked[0]);
	assert_int_equal(f.sp[0], 160);
	assert_int_equal(f.fb[0], 0);
	/* ...and on a new connection whatever failed before it. */
	link_failed(&p, &lp, now, "no answer in time");
	link_start_poll(&p, now + LINK_BACKOFF_MIN_MS);
	assert_int_equal(link_next(&p, &lp, now + LINK_BACKOFF_MIN_MS, &news),
	    LINK_ACT_CONNECT);
	p.lock_known[0] = 0;
	p.sp_known_ok[0] = true;
	p.fb_known_ok = true;
	link_connected(&p, now + LINK_BACKOFF_MIN_MS);
	assert_int_equal(p.lock_known[0], -1);
	assert_false(p.sp_known_ok[0]);
	assert_false(p.fb_known_ok);
	/* Positive twin: with nothing failed, the same unlock is someone
	 * else's. */
	now += LINK_BACKOFF_MIN_MS;
	fake_poll(&p, &now, &f, seen, &news);
	f.locked[0] = false;
	fake_poll(&p, &now, &f, seen, &news);
	assert_int_equal(p.foreign[0].what, FOREIGN_UNLOCK);
	assert_true(f.locked[0]);
}

/* The fallback settings are read at every poll and written back when
 * they are not the master's; someone else's change is reported (audit
 * of issue 17, F1). A read that failed is no reading. */
static void
test_foreign_fallback_found_and_undone(void **state)
{
	struct link_peer p;
	uint16_t want[2] = { 0, 0 };
	struct fake f = { .uptime_s = 100, .fb = { 320, 600 } };
	struct link_req seen[16];
	uint64_t now = 1000;
	unsigned news;
	uint8_t	 pdu[300];
	enum link_action a;

	(void)state;
	link_init(&p, 2, want);
	/* The charger's own configuration at first: written, not someone
	 * else's; counted at what was read until the write is taken. */
	fake_poll(&p, &now, &f, seen, &news);
	assert_false(news & NEWS_FOREIGN);
	assert_int_equal(f.fb[0], 0);
	assert_int_equal(f.fb[1], 10);
	assert_true(p.fallback_known);
	assert_int_equal(p.fallback_da, 0);
	fake_poll(&p, &now, &f, seen, &news);
	assert_false(news & NEWS_FOREIGN);
	/* Someone else: 80 A after 600 s. Found, reported, written back. */
	f.fb[0] = 800;
	f.fb[1] = 600;
	fake_poll(&p, &now, &f, seen, &news);
	assert_true(news & NEWS_FOREIGN);
	assert_int_equal(p.foreign_unit.what, FOREIGN_FALLBACK);
	assert_int_equal(p.foreign_unit.was_da, 0);
	assert_int_equal(p.foreign_unit.was_s, 10);
	assert_int_equal(p.foreign_unit.now_da, 800);
	assert_int_equal(p.foreign_unit.now_s, 600);
	assert_int_equal(f.fb[0], 0);
	assert_int_equal(f.fb[1], 10);
	p.foreign_unit.what = 0;
	/* Positive twins: someone writing the master's own values, and the
	 * master's own new settings, are nobody's change to report. */
	f.fb[0] = 0;
	fake_poll(&p, &now, &f, seen, &news);
	assert_false(news & NEWS_FOREIGN);
	lp.fallback_da = 60;
	fake_poll(&p, &now, &f, seen, &news);
	assert_false(news & NEWS_FOREIGN);
	assert_int_equal(f.fb[0], 60);
	/* While the master's write is unanswered, the allocator counts the
	 * most of both; a read is what the charger has. */
	f.fb[0] = 800;
	link_start_poll(&p, now);
	while ((a = link_next(&p, &lp, now, &news)) == LINK_ACT_SEND &&
	    p.req.fc != 16)
		link_response(&p, &lp, now, pdu, fake_answer(&f, &p.req, pdu));
	assert_int_equal(a, LINK_ACT_SEND);
	assert_int_equal(p.fallback_da, 800);
	link_failed(&p, &lp, now, "no answer in time");
	assert_int_equal(p.fallback_da, 800);
	p.foreign_unit.what = 0;
	/* A read that fails fails the poll: nothing is written on an old
	 * reading. */
	now += LINK_BACKOFF_MIN_MS;
	f.fail_hold = true;
	fake_poll(&p, &now, &f, seen, &news);
	assert_true(news & NEWS_POLL_FAILED);
	assert_int_equal(f.fb[0], 800);
	f.fail_hold = false;
	now += 2 * LINK_BACKOFF_MIN_MS;
	fake_poll(&p, &now, &f, seen, &news);
	assert_false(news & NEWS_FOREIGN);	/* forgotten at the failure */
	assert_int_equal(f.fb[0], 60);
	assert_int_equal(p.fallback_da, 60);
}

/* The authorisation mode (holding 3, map version 2) is the master's: read
 * at every poll, written when it differs; someone else's change (free on
 * an RFID site: cars charging with no tag) is found and undone. The
 * twins: the charger's own mode at first, and the master's own change of
 * mode, are nobody's to report. */
static void
test_foreign_authorisation_found_and_undone(void **state)
{
	struct link_peer p;
	uint16_t want[2] = { 0, 0 };
	struct fake f = { .uptime_s = 100, .map_version = 2, .auth = 0,
	    .fb = { 0, 10 } };
	struct link_req seen[16];
	uint64_t now = 1000;
	unsigned news;

	(void)state;
	link_init(&p, 2, want);
	lp.authorisation = 1;
	fake_poll(&p, &now, &f, seen, &news);
	assert_false(news & NEWS_FOREIGN);
	assert_int_equal(f.auth, 1);		/* the master's mode */
	fake_poll(&p, &now, &f, seen, &news);
	assert_false(news & NEWS_FOREIGN);
	f.auth = 0;				/* someone else: free */
	fake_poll(&p, &now, &f, seen, &news);
	assert_true(news & NEWS_FOREIGN);
	assert_int_equal(p.foreign_unit.what, FOREIGN_AUTH);
	assert_int_equal(p.foreign_unit.was_auth, 1);
	assert_int_equal(p.foreign_unit.now_auth, 0);
	assert_int_equal(f.auth, 1);		/* undone */
	p.foreign_unit.what = 0;
	lp.authorisation = 0;			/* the master's own change */
	fake_poll(&p, &now, &f, seen, &news);
	assert_false(news & NEWS_FOREIGN);
	assert_int_equal(f.auth, 0);
	lp.authorisation = 0;
}

/* Someone else's writes undone are said at once, then at most once a
 * minute with how many more (audit of issue 17, F7). */
static void
test_foreign_said_at_most_once_a_minute(void **state)
{
	struct link_foreign f;
	uint32_t more = 99;
	uint64_t t = 5000;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(link_foreign_say(&f, t, &more), LINK_SAY_NONE);
	f.what = FOREIGN_SETPOINT;
	assert_int_equal(link_foreign_say(&f, t, &more), LINK_SAY_THIS);
	assert_int_equal(more, 0);
	/* a writer at 10 Hz for 30 s: each undone, none said */
	for (int i = 1; i <= 300; i++) {
		f.what = FOREIGN_SETPOINT;
		assert_int_equal(link_foreign_say(&f, t + 100 * (uint64_t)i,
		    &more), LINK_SAY_NONE);
	}
	/* nor a lock adopted: the caller says it every time */
	f.what = FOREIGN_LOCK;
	assert_int_equal(link_foreign_say(&f, t + 30100, &more),
	    LINK_SAY_NONE);
	/* a minute after the last said: the next, with the count */
	f.what = FOREIGN_SETPOINT | FOREIGN_UNLOCK;
	assert_int_equal(link_foreign_say(&f, t + LINK_FOREIGN_SAY_MS - 1,
	    &more), LINK_SAY_NONE);
	f.what = FOREIGN_SETPOINT;
	assert_int_equal(link_foreign_say(&f, t + LINK_FOREIGN_SAY_MS, &more),
	    LINK_SAY_THIS);
	assert_int_equal(more, 302);
	t += LINK_FOREIGN_SAY_MS;
	/* the writer stops: the count alone, once, when the time is up */
	f.what = FOREIGN_FALLBACK;
	assert_int_equal(link_foreign_say(&f, t + 1000, &more), LINK_SAY_NONE);
	f.what = 0;
	assert_int_equal(link_foreign_say(&f, t + LINK_FOREIGN_SAY_MS - 1,
	    &more), LINK_SAY_NONE);
	assert_int_equal(link_foreign_say(&f, t + LINK_FOREIGN_SAY_MS, &more),
	    LINK_SAY_COUNT);
	assert_int_equal(more, 1);
	assert_int_equal(link_foreign_say(&f, t + 3 * LINK_FOREIGN_SAY_MS,
	    &more), LINK_SAY_NONE);
	/* a quiet minute later, the next is said at once */
	f.what = FOREIGN_SETPOINT;
	assert_int_equal(link_foreign_say(&f, t + 3 * LINK_FOREIGN_SAY_MS,
	    &more), LINK_SAY_THIS);
	assert_int_equal(more, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_first_poll_sequence, reset),
		cmocka_unit_test_setup(test_steady_poll_skips_what_is_in_force,
		    reset),
		cmocka_unit_test_setup(test_one_connector_unit, reset),
		cmocka_unit_test_setup(test_failures_offline_and_backoff,
		    reset),
		cmocka_unit_test_setup(test_never_reached_reported_once, reset),
		cmocka_unit_test_setup(test_refusal_reported_once_then_cleared,
		    reset),
		cmocka_unit_test_setup(test_command_answer_is_the_chargers,
		    reset),
		cmocka_unit_test_setup(test_refused_write_goes_on, reset),
		cmocka_unit_test_setup(test_bad_answers_fail_the_poll, reset),
		cmocka_unit_test_setup(test_framing, reset),
		cmocka_unit_test_setup(test_what_a_silent_charger_may_have,
		    reset),
		cmocka_unit_test_setup(test_foreign_setpoint_found_and_undone,
		    reset),
		cmocka_unit_test_setup(
		    test_restart_fallback_and_lost_answers_are_nobody_elses,
		    reset),
		cmocka_unit_test_setup(
		    test_lock_owned_kept_foreign_lock_adopted, reset),
		cmocka_unit_test_setup(test_failure_forgets_what_was_known,
		    reset),
		cmocka_unit_test_setup(test_foreign_fallback_found_and_undone,
		    reset),
		cmocka_unit_test_setup(test_foreign_said_at_most_once_a_minute,
		    reset),
		cmocka_unit_test_setup(
		    test_foreign_authorisation_found_and_undone, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
