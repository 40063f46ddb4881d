/*
 * linkcore.c: the per-charger link state machine of the master.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "charger.h"
#include "linkcore.h"

void
link_init(struct link_peer *p, int nconn_in, const uint16_t *want)
{
	memset(p, 0, sizeof(*p));
	p->nconn = nconn_in;
	for (int i = 0; i < nconn_in && i < REGMAP_MAX_CONN; i++)
		p->want_da[i] = want[i];
	p->state = LINK_DOWN;
	p->backoff_ms = LINK_BACKOFF_MIN_MS;
	for (int i = 0; i < REGMAP_MAX_CONN; i++)
		p->lock_known[i] = -1;
}

/* The master decides a connector's lock (an operator asked it): written
 * at the next poll, and kept from then on. */
uint32_t
link_lock(struct link_peer *p, int ci, bool locked)
{
	if (ci < 0 || ci >= p->nconn)
		return 0;
	p->lock_owned[ci] = true;
	p->lock_want[ci] = locked;
	p->unlock_asked[ci] = !locked;
	p->ask[ci].cmd = locked ? REGMAP_CMD_LOCK : REGMAP_CMD_UNLOCK;
	return ++p->ask[ci].seq;
}

/* A one-off command (authorise, stop, reset), written at the next poll;
 * returns its number (link_ask). */
uint32_t
link_command(struct link_peer *p, int ci, uint16_t cmd)
{
	if (ci < 0 || ci >= p->nconn)
		return 0;
	p->cmd[ci] = cmd;
	p->ask[ci].cmd = cmd;
	return ++p->ask[ci].seq;
}

/* The connector's answer to the command the poll carried. */
static void
ask_answer(struct link_peer *p, int ci, int exc)
{
	struct link_ask *a = &p->ask[ci];

	if (a->sent == 0 || a->done >= a->sent)
		return;
	a->done = a->sent;
	a->exc = (uint8_t)exc;
	a->conn = p->conn[ci];
	a->fresh = true;
}

/* Fault bits in words, for a refusal's reason. */
static void
fault_words(uint16_t bits, char *buf, size_t len)
{
	size_t	 o = 0;

	buf[0] = '\0';
	for (int b = 0; b < 16 && o < len; b++)
		if (bits & (1u << b))
			o += (size_t)snprintf(buf + o, len - o, "%s%s",
			    o ? ", " : "", fault_name((enum fault)b));
}

/*
 * Why the charger refused a write, in the installer's words, from its
 * exception (docs/protocol.md, "Errors") and what it said of the
 * connector in the same poll: the register map has no reason register,
 * the exception and the connector's state and faults say it.
 */
const char *
link_refusal_why(uint16_t addr, uint16_t val, int exc,
    const struct reg_conn *c, char *buf, size_t len)
{
	unsigned off = addr % REGMAP_CONN_BASE;
	bool	 conn = addr >= REGMAP_CONN_BASE;
	char	 f[160];

	switch (exc) {
	case MB_EXC_ILLEGAL_FUNCTION:
		snprintf(buf, len, "the charger takes no writes from this "
		    "appliance (add its address to the charger's link.masters)");
		break;
	case MB_EXC_ILLEGAL_ADDRESS:
		snprintf(buf, len, "the charger has no register %u (an older "
		    "register map)", addr);
		break;
	case MB_EXC_ILLEGAL_VALUE:
		if (conn && off == 0 && c->max_da > 0 && val > c->max_da)
			snprintf(buf, len, "%u.%u A is above the connector's "
			    "rating, %u.%u A", val / 10, val % 10,
			    c->max_da / 10, c->max_da % 10);
		else
			snprintf(buf, len, "the charger does not accept %u "
			    "in register %u", val, addr);
		break;
	case MB_EXC_SLAVE_FAILURE:
		if (conn && off == 1 && val == REGMAP_CMD_RESET && c->faults) {
			fault_words(c->faults, f, sizeof(f));
			snprintf(buf, len, "the fault is still present (%s)", f);
		} else if (conn && off == 1 && val == REGMAP_CMD_RESET)
			snprintf(buf, len, "the fault's condition has not "
			    "cleared yet");
		else if (conn && off == 1 && c->state == CS_LOCKED)
			snprintf(buf, len, "the connector is locked");
		else if (!conn || off == 0)
			snprintf(buf, len, "the charger is in fallback (it "
			    "stopped hearing the master): it takes no more "
			    "current until it hears the heartbeat again");
		else
			snprintf(buf, len, "the charger cannot do it now "
			    "(connector %s)", conn_state_name(
			    (enum conn_state)c->state));
		break;
	default:
		snprintf(buf, len, "Modbus exception %d", exc);
		break;
	}
	return buf;
}

/* A write in words: "connector 1 setpoint 20.0 A", "the heartbeat". */
const char *
link_write_name(uint16_t addr, uint16_t val, char *buf, size_t len)
{
	static const char *const cmds[] = { "no command", "authorise",
	    "stop", "lock", "unlock", "reset" };
	unsigned n = addr / REGMAP_CONN_BASE, off = addr % REGMAP_CONN_BASE;

	if (n == 0 && off == 0)
		snprintf(buf, len, "the heartbeat");
	else if (n == 0)
		snprintf(buf, len, "the fallback settings");
	else if (off == 0)
		snprintf(buf, len, "connector %u setpoint %u.%u A", n, val / 10,
		    val % 10);
	else
		snprintf(buf, len, "connector %u %s", n, val < 6 ? cmds[val] :
		    "command");
	return buf;
}

/* What a write step says of its connector (the unit's: the first). */
static int
step_conn(enum link_step st)
{
	switch (st) {
	case STEP_SETPOINT2: case STEP_LOCK2: case STEP_CMD2:
		return 1;
	default:
		return 0;
	}
}

/* A write step that has nothing to write has nothing refused either. */
static void
refusal_clear(struct link_peer *p, enum link_step st)
{
	struct link_refusal *r = &p->refusal[st];

	if (r->active) {
		r->active = false;
		r->fresh = false;
		r->cleared = true;
	}
}

/*
 * What the charger had after the master's last word is no longer known:
 * after a failure (a write may have been taken unanswered, the charger
 * may have restarted, or fallen back) or on a new connection. A change
 * found at the next read is nobody's doing that can be told.
 */
static void
forget(struct link_peer *p)
{
	for (int i = 0; i < REGMAP_MAX_CONN; i++) {
		p->sp_known_ok[i] = false;
		p->lock_known[i] = -1;
	}
	p->fb_known_ok = false;
	p->hold_ok = false;
}

/* The fallback current the master wants the charger to have: its
 * configuration's, or 0 for a charger being decommissioned. */
static uint16_t
want_fallback_da(const struct link_peer *p, const struct link_params *lp)
{
	return p->retiring ? 0 : lp->fallback_da;
}

/* Holding registers 1.. that hold the unit's settings: the fallback
 * current and timeout, and from map version LINK_MAP_AUTH on the
 * authorisation mode. */
static uint16_t
hold_count(const struct link_peer *p)
{
	return p->unit.map_version >= LINK_MAP_AUTH ? 3 : 2;
}

/* The cycle timer asks every charger for a poll. */
void
link_start_poll(struct link_peer *p, uint64_t now)
{
	p->poll_due = true;
	p->poll_start_ms = now;
}

/* The request of the current step, or false when the step is skipped. */
static bool
build(struct link_peer *p, const struct link_params *lp)
{
	struct link_req *r = &p->req;
	int	 ci;

	memset(r, 0, sizeof(*r));
	switch (p->step) {
	case STEP_UNIT:
		r->fc = 4;
		r->addr = 0;
		r->count = REGMAP_UNIT_INPUTS;
		return true;
	case STEP_CONN1:
	case STEP_CONN2:
		ci = p->step - STEP_CONN1;
		if (ci >= p->nconn)
			return false;
		r->fc = 4;
		r->addr = (uint16_t)(REGMAP_CONN_BASE * (ci + 1));
		r->count = REGMAP_CONN_INPUTS;
		return true;
	case STEP_HOLD:
		r->fc = 3;
		r->addr = 1;
		r->count = hold_count(p);
		return true;
	case STEP_HEARTBEAT:
		r->fc = 6;
		r->addr = 0;
		r->count = 1;
		r->vals[0] = ++p->heartbeat;
		return true;
	case STEP_FALLBACK:
		/* re-asserted whenever this poll's read is not ours; the
		 * charger's authorisation mode is the master's too: a free
		 * charger on an RFID site would charge cars with no tag */
		if (p->hold_ok && p->hold_da == want_fallback_da(p, lp) &&
		    p->hold_s == lp->fallback_s && (hold_count(p) < 3 ||
		    p->hold_auth == lp->authorisation))
			return false;
		r->fc = 16;
		r->addr = 1;
		r->count = hold_count(p);
		r->vals[0] = want_fallback_da(p, lp);
		r->vals[1] = lp->fallback_s;
		r->vals[2] = lp->authorisation;
		return true;
	case STEP_SETPOINT1:
	case STEP_SETPOINT2:
		ci = p->step - STEP_SETPOINT1;
		if (ci >= p->nconn || p->conn[ci].setpoint_da == p->want_da[ci]) {
			refusal_clear(p, p->step);
			return false;
		}
		r->fc = 6;
		r->addr = (uint16_t)(REGMAP_CONN_BASE * (ci + 1));
		r->count = 1;
		r->vals[0] = p->want_da[ci];
		return true;
	case STEP_LOCK1:
	case STEP_LOCK2:
		ci = p->step - STEP_LOCK1;
		if (ci < p->nconn && p->ask[ci].seq > p->ask[ci].done &&
		    (p->ask[ci].cmd == REGMAP_CMD_LOCK ||
		    p->ask[ci].cmd == REGMAP_CMD_UNLOCK))
			p->ask[ci].sent = p->ask[ci].seq;
		/* Locks when the master holds the connector locked; unlocks
		 * only for an operator's unlock through it: unlocking puts a
		 * connector back into service, never done on a guess. */
		if (ci >= p->nconn || !p->lock_owned[ci] ||
		    (p->conn[ci].state == CS_LOCKED) == p->lock_want[ci] ||
		    (!p->lock_want[ci] && !p->unlock_asked[ci])) {
			refusal_clear(p, p->step);
			/* a lock that is so already: nothing to refuse */
			if (ci < p->nconn)
				ask_answer(p, ci, 0);
			return false;
		}
		r->fc = 6;
		r->addr = (uint16_t)(REGMAP_CONN_BASE * (ci + 1) + 1);
		r->count = 1;
		r->vals[0] = p->lock_want[ci] ? REGMAP_CMD_LOCK :
		    REGMAP_CMD_UNLOCK;
		return true;
	case STEP_CMD1:
	case STEP_CMD2:
		ci = p->step - STEP_CMD1;
		if (ci >= p->nconn || p->cmd[ci] == 0)
			return false;
		p->ask[ci].sent = p->ask[ci].seq;
		r->fc = 6;
		r->addr = (uint16_t)(REGMAP_CONN_BASE * (ci + 1) + 1);
		r->count = 1;
		r->vals[0] = p->cmd[ci];
		return true;
	case STEP_DONE:
		break;
	}
	return false;
}

/* Refusals and answers the shell has not reported yet (it clears their
 * fresh and cleared flags when it has). */
static unsigned
unreported(const struct link_peer *p)
{
	unsigned news = 0;

	for (int st = 0; st < STEP_DONE; st++) {
		if (p->refusal[st].fresh)
			news |= NEWS_REFUSED;
		if (p->refusal[st].cleared)
			news |= NEWS_TAKEN;
	}
	for (int i = 0; i < p->nconn; i++)
		if (p->ask[i].fresh)
			news |= NEWS_ANSWER;
	return news;
}

/* A poll went through: the link is good. */
static unsigned
poll_done(struct link_peer *p, uint64_t now)
{
	unsigned news = NEWS_POLLED;

	p->in_poll = false;
	p->hold_ok = false;
	p->polls++;
	p->failures = 0;
	p->backoff_ms = LINK_BACKOFF_MIN_MS;
	p->last_ok_ms = now;
	p->taken_ms = p->poll_began_ms;
	if (!p->online) {
		p->online = true;
		p->ever_online = true;
		news |= NEWS_ONLINE;
	}
	return news;
}

/*
 * What the shell should do now. The only place requests are built;
 * *news gets NEWS_POLLED (and NEWS_ONLINE) when a poll completes here.
 */
enum link_action
link_next(struct link_peer *p, const struct link_params *lp, uint64_t now,
    unsigned *news)
{
	*news = 0;
	switch (p->state) {
	case LINK_DOWN:
		if (!p->poll_due || now < p->retry_ms)
			return LINK_ACT_NONE;
		p->state = LINK_CONNECTING;
		p->deadline_ms = now + lp->connect_timeout_ms;
		return LINK_ACT_CONNECT;
	case LINK_IDLE:
		if (!p->in_poll) {
			if (!p->poll_due)
				return LINK_ACT_NONE;
			p->poll_due = false;
			p->in_poll = true;
			p->poll_began_ms = now;
			p->step = STEP_UNIT;
		}
		break;
	case LINK_CONNECTING:
	case LINK_BUSY:
		return LINK_ACT_NONE;
	}
	while (p->step < STEP_DONE && !build(p, lp))
		p->step++;
	*news = unreported(p);
	if (p->step == STEP_DONE) {
		*news |= poll_done(p, now);
		return LINK_ACT_NONE;
	}
	if (p->step == STEP_SETPOINT1 || p->step == STEP_SETPOINT2) {
		uint16_t *f = &p->may_force_da[p->step - STEP_SETPOINT1];

		if (p->req.vals[0] > *f)
			*f = p->req.vals[0];
	}
	if (p->step == STEP_FALLBACK && p->fallback_known) {
		if (p->req.vals[0] > p->fallback_da)
			p->fallback_da = p->req.vals[0];
		if (p->req.vals[1] > p->fallback_s)
			p->fallback_s = p->req.vals[1];
	}
	p->state = LINK_BUSY;
	p->deadline_ms = now + lp->response_timeout_ms;
	p->requests++;
	return LINK_ACT_SEND;
}

unsigned
link_connected(struct link_peer *p, uint64_t now)
{
	(void)now;
	p->state = LINK_IDLE;
	forget(p);
	/* The poll that asked for the connection goes ahead at once. */
	p->poll_due = true;
	return 0;
}

/*
 * A connect, a request or an answer failed (timeout, refused, reset,
 * exception on a read, nonsense). The connection is dropped: after a
 * timeout a late answer must never be taken for the next one. Counts as
 * a failed poll; offline after offline_after of them in a row.
 */
unsigned
link_failed(struct link_peer *p, const struct link_params *lp, uint64_t now,
    const char *why)
{
	unsigned news = NEWS_POLL_FAILED;

	p->why = why;
	p->state = LINK_DOWN;
	p->poll_due = false;
	p->in_poll = false;
	p->retry_ms = now + p->backoff_ms;
	if (p->failures > 0 && p->backoff_ms < LINK_BACKOFF_MAX_MS)
		p->backoff_ms = p->backoff_ms * 2 > LINK_BACKOFF_MAX_MS ?
		    LINK_BACKOFF_MAX_MS : p->backoff_ms * 2;
	p->failures++;
	p->polls_failed++;
	forget(p);
	if (p->online && p->failures >= lp->offline_after) {
		p->online = false;
		news |= NEWS_OFFLINE;
	} else if (!p->ever_online && p->failures == lp->offline_after)
		news |= NEWS_OFFLINE;	/* never reached: say so once */
	return news;
}

static uint16_t
be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/*
 * Checks an answer PDU against the request. Returns 0 with the registers
 * of a read in regs, 1 with *exc for a Modbus exception, -EPROTO for
 * anything else.
 */
int
link_parse(const struct link_req *r, const uint8_t *pdu, int len,
    uint16_t *regs, int *exc)
{
	if (len < 2)
		return -EPROTO;
	if (pdu[0] == (r->fc | 0x80)) {
		*exc = pdu[1];
		return len == 2 ? 1 : -EPROTO;
	}
	if (pdu[0] != r->fc)
		return -EPROTO;
	switch (r->fc) {
	case 3:
	case 4:
		if (pdu[1] != 2 * r->count || len != 2 + 2 * r->count)
			return -EPROTO;
		for (int i = 0; i < r->count; i++)
			regs[i] = be16(pdu + 2 + 2 * i);
		return 0;
	case 6:
		return len == 5 && be16(pdu + 1) == r->addr &&
		    be16(pdu + 3) == r->vals[0] ? 0 : -EPROTO;
	case 16:
		return len == 5 && be16(pdu + 1) == r->addr &&
		    be16(pdu + 3) == r->count ? 0 : -EPROTO;
	}
	return -EPROTO;
}

/*
 * The unit block just read: a charger that restarted (its uptime went
 * back, or it boots) lost its locks and setpoints and took its own
 * fallback settings by itself, not by anyone's write. (A restart also
 * drops the connection, which forgets as much.)
 */
static void
unit_read(struct link_peer *p, const uint16_t *regs)
{
	struct reg_unit u;

	regmap_decode_unit(regs, &u);
	if ((p->unit.map_version != 0 && u.uptime_s < p->unit.uptime_s) ||
	    u.status == UNIT_BOOTING)
		forget(p);
	p->unit = u;
}

/*
 * Holding registers 1-2 (1-3) just read: the fallback settings the
 * charger has now (what the allocator counts it at when it falls silent)
 * and its authorisation mode. A change since the master's last word that
 * is not what the master wants was someone else's; the write step puts
 * the master's back.
 */
static unsigned
hold_read(struct link_peer *p, const struct link_params *lp,
    const uint16_t *regs)
{
	struct link_foreign *f = &p->foreign_unit;
	bool	 has_auth = hold_count(p) >= 3;
	uint16_t auth = has_auth ? regs[2] : 0;

	p->hold_ok = true;
	p->hold_da = regs[0];
	p->hold_s = regs[1];
	p->hold_auth = auth;
	p->fallback_known = true;
	p->fallback_da = regs[0];
	p->fallback_s = regs[1];
	if (p->fb_known_ok &&
	    (regs[0] != p->fb_known_da || regs[1] != p->fb_known_s) &&
	    (regs[0] != want_fallback_da(p, lp) ||
	    regs[1] != lp->fallback_s)) {
		f->what |= FOREIGN_FALLBACK;
		f->was_da = p->fb_known_da;
		f->was_s = p->fb_known_s;
		f->now_da = regs[0];
		f->now_s = regs[1];
	}
	if (p->fb_known_ok && has_auth && auth != p->fb_known_auth &&
	    auth != lp->authorisation) {
		f->what |= FOREIGN_AUTH;
		f->was_auth = p->fb_known_auth;
		f->now_auth = auth;
	}
	p->fb_known_ok = true;
	p->fb_known_da = regs[0];
	p->fb_known_s = regs[1];
	p->fb_known_auth = auth;
	return f->what != 0 ? NEWS_FOREIGN : 0;
}

/*
 * A connector block just read, against what the connector had after the
 * master's last word: a change the master did not make and must now undo
 * was someone else's. The read is then what it has. The first read of a
 * lock since the master started is adopted as its own decision, and so
 * is any lock the master did not make (someone else's, or one made at
 * the charger): unlocking is the unsafe direction, an operator does it
 * through the master. An unlock of a lock the master holds is undone.
 */
static unsigned
conn_read(struct link_peer *p, int ci, uint64_t now)
{
	const struct reg_conn *c = &p->conn[ci];
	struct link_foreign *f = &p->foreign[ci];
	bool	 locked = c->state == CS_LOCKED;
	bool	 normal = p->unit.status == UNIT_NORMAL;
	bool	 settled = now - p->lock_word_ms[ci] >= LINK_STATE_SETTLE_MS;

	if (!p->lock_owned[ci]) {
		p->lock_owned[ci] = true;
		p->lock_want[ci] = locked;
	} else if (locked && !p->lock_want[ci] && !p->unlock_asked[ci] &&
	    settled) {
		p->lock_want[ci] = true;
		f->what |= FOREIGN_LOCK;
	} else if (!locked && p->lock_want[ci] && p->lock_known[ci] == 1 &&
	    settled)
		f->what |= FOREIGN_UNLOCK;
	p->lock_known[ci] = locked;
	/* In fallback or booting the charger sets its setpoints itself. */
	if (normal && p->sp_known_ok[ci] && c->setpoint_da != p->sp_known[ci] &&
	    c->setpoint_da != p->want_da[ci]) {
		f->what |= FOREIGN_SETPOINT;
		f->was_da = p->sp_known[ci];
		f->now_da = c->setpoint_da;
	}
	p->sp_known[ci] = c->setpoint_da;
	p->sp_known_ok[ci] = normal;
	return f->what != 0 ? NEWS_FOREIGN : 0;
}

/* An answer arrived for the request in flight. */
unsigned
link_response(struct link_peer *p, const struct link_params *lp, uint64_t now,
    const uint8_t *pdu, int len)
{
	uint16_t regs[REGMAP_CONN_INPUTS > REGMAP_UNIT_INPUTS ?
	    REGMAP_CONN_INPUTS : REGMAP_UNIT_INPUTS];
	int	 exc = 0, rc;
	unsigned news = 0;

	if (p->state != LINK_BUSY)
		return link_failed(p, lp, now, "answer nobody asked for");
	rc = link_parse(&p->req, pdu, len, regs, &exc);
	if (rc < 0)
		return link_failed(p, lp, now, "malformed answer");
	if (rc > 0 && (p->req.fc == 3 || p->req.fc == 4))
		return link_failed(p, lp, now, "exception on a read");
	/* A refused write (say, a setpoint above what the charger now says
	 * its maximum is) is not a dead link: go on, try again next poll. */
	/* A command is written once, taken or refused. */
	if (p->step == STEP_CMD1 || p->step == STEP_CMD2)
		p->cmd[p->step - STEP_CMD1] = 0;
	if ((p->step == STEP_CMD1 || p->step == STEP_CMD2 ||
	    p->step == STEP_LOCK1 || p->step == STEP_LOCK2))
		ask_answer(p, step_conn(p->step), rc > 0 ? exc : 0);
	if (rc > 0 && p->step != STEP_CMD1 && p->step != STEP_CMD2) {
		struct link_refusal *r = &p->refusal[p->step];

		/* the heartbeat's value changes at every poll */
		if (!r->active || r->exc != exc || r->addr != p->req.addr ||
		    (r->val != p->req.vals[0] && p->step != STEP_HEARTBEAT)) {
			*r = (struct link_refusal){ .active = true,
			    .fresh = true, .exc = (uint8_t)exc,
			    .addr = p->req.addr, .val = p->req.vals[0],
			    .since_ms = now, .conn = p->conn[step_conn(p->step)] };
		}
	} else if (rc == 0) {
		refusal_clear(p, p->step);
		switch (p->step) {
		case STEP_UNIT:
			unit_read(p, regs);
			break;
		case STEP_HOLD:
			news = hold_read(p, lp, regs);
			break;
		case STEP_CONN1:
		case STEP_CONN2:
			regmap_decode_conn(regs, &p->conn[p->step - STEP_CONN1]);
			p->may_force_da[p->step - STEP_CONN1] =
			    p->conn[p->step - STEP_CONN1].setpoint_da;
			news = conn_read(p, p->step - STEP_CONN1, now);
			break;
		case STEP_FALLBACK:
			p->fallback_known = true;
			p->fallback_da = p->req.vals[0];
			p->fallback_s = p->req.vals[1];
			p->fb_known_ok = true;
			p->fb_known_da = p->req.vals[0];
			p->fb_known_s = p->req.vals[1];
			p->fb_known_auth = p->req.count >= 3 ?
			    p->req.vals[2] : 0;
			break;
		case STEP_SETPOINT1:
		case STEP_SETPOINT2:
			/* The charger applies a setpoint before it answers: it
			 * is in force now, whatever the last read said. */
			p->conn[p->step - STEP_SETPOINT1].setpoint_da =
			    p->req.vals[0];
			p->may_force_da[p->step - STEP_SETPOINT1] =
			    p->req.vals[0];
			p->sp_known[p->step - STEP_SETPOINT1] = p->req.vals[0];
			p->sp_known_ok[p->step - STEP_SETPOINT1] = true;
			p->setpoint_writes++;
			break;
		case STEP_LOCK1:
		case STEP_LOCK2:
			p->lock_known[p->step - STEP_LOCK1] =
			    p->req.vals[0] == REGMAP_CMD_LOCK;
			p->lock_word_ms[p->step - STEP_LOCK1] = now;
			if (p->req.vals[0] == REGMAP_CMD_UNLOCK)
				p->unlock_asked[p->step - STEP_LOCK1] = false;
			break;
		default:
			break;
		}
	}
	news |= unreported(p);
	p->state = LINK_IDLE;
	p->step++;	/* link_next() sends the rest of the poll */
	return news;
}

/* When the shell must call back even if nothing happens on the socket. */
uint64_t
link_deadline(const struct link_peer *p)
{
	switch (p->state) {
	case LINK_CONNECTING:
	case LINK_BUSY:
		return p->deadline_ms;
	case LINK_DOWN:
		return p->poll_due ? p->retry_ms : UINT64_MAX;
	case LINK_IDLE:
		/* mid-poll: the shell calls link_next() at once */
		return p->in_poll || p->poll_due ? 0 : UINT64_MAX;
	}
	return UINT64_MAX;
}

/*
 * Whether to say now what someone else did (f->what, found by the last
 * read) or how many such writes were undone meanwhile: the first undone
 * at once, then at most one every LINK_FOREIGN_SAY_MS, carrying in *more
 * how many were undone and not said since the last; once the writes
 * stop, that count alone when the time is up. Every write is undone
 * whatever is said. An adopted lock is left to the caller to say every
 * time: it is not undone, and only an operator's unlock can make it
 * happen again.
 */
enum link_say
link_foreign_say(struct link_foreign *f, uint64_t now, uint32_t *more)
{
	unsigned undone = f->what & ~(unsigned)FOREIGN_LOCK;
	bool	 due = !f->said || now - f->said_ms >= LINK_FOREIGN_SAY_MS;

	*more = f->unsaid;
	if (undone != 0 && !due) {
		f->unsaid += (uint32_t)__builtin_popcount(undone);
		return LINK_SAY_NONE;
	}
	if (undone == 0 && (f->unsaid == 0 || !due))
		return LINK_SAY_NONE;
	f->said = true;
	f->said_ms = now;
	f->unsaid = 0;
	return undone != 0 ? LINK_SAY_THIS : LINK_SAY_COUNT;
}

/* Writes the request as a whole ADU; returns its length. */
int
link_frame_request(const struct link_req *r, uint16_t tid, uint8_t unit,
    uint8_t *adu)
{
	int	 n = LINK_MBAP_LEN;

	adu[n++] = r->fc;
	adu[n++] = (uint8_t)(r->addr >> 8);
	adu[n++] = (uint8_t)r->addr;
	if (r->fc == 6) {
		adu[n++] = (uint8_t)(r->vals[0] >> 8);
		adu[n++] = (uint8_t)r->vals[0];
	} else {
		adu[n++] = (uint8_t)(r->count >> 8);
		adu[n++] = (uint8_t)r->count;
		if (r->fc == 16) {
			adu[n++] = (uint8_t)(2 * r->count);
			for (int i = 0; i < r->count && i < 3; i++) {
				adu[n++] = (uint8_t)(r->vals[i] >> 8);
				adu[n++] = (uint8_t)r->vals[i];
			}
		}
	}
	adu[0] = (uint8_t)(tid >> 8);
	adu[1] = (uint8_t)tid;
	adu[2] = adu[3] = 0;
	adu[4] = (uint8_t)((n - 6) >> 8);
	adu[5] = (uint8_t)(n - 6);
	adu[6] = unit;
	return n;
}

/*
 * Looks for the answer to transaction tid at the start of buf: 1 with
 * *frame_len when a whole frame is there, 0 when more bytes are needed,
 * -EPROTO when it cannot be that answer (not Modbus TCP, another
 * transaction).
 */
int
link_frame_split(const uint8_t *buf, size_t len, uint16_t tid,
    size_t *frame_len)
{
	size_t	 need;

	if (len < LINK_MBAP_LEN)
		return 0;
	need = 6u + be16(buf + 4);
	if (be16(buf + 2) != 0 || need < LINK_MBAP_LEN + 1 ||
	    need > LINK_ADU_MAX || be16(buf) != tid)
		return -EPROTO;
	if (len < need)
		return 0;
	*frame_len = need;
	return 1;
}
