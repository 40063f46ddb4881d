/*
 * linkcore.h: the master's side of the link to one charger, as a pure
 * state machine. The shell (link.c) asks link_next() what to do, carries
 * it out on the socket, and reports back; no clock, no socket here.
 *
 * One poll = read the unit block, read each connector block, read the
 * fallback settings (holding 1-2), write the heartbeat, write the
 * fallback settings when they are not the master's, write each
 * connector's setpoint when the charger's "setpoint in force" differs
 * from what we want (after a restart or a fallback, say), lock each
 * connector the master holds locked and unlock one an operator unlocked
 * through it, then any one-off command.
 *
 * Someone else's writes: what the charger had after the master's last
 * word (a read, or a write it acknowledged) is kept, and forgotten at
 * every failure or reconnection; a read that differs from it, with no
 * restart or fallback to explain it, and that the master then has to
 * undo, was someone else's (news NEWS_FOREIGN, details in foreign[] and
 * foreign_unit). A lock is never undone: one the master did not make is
 * adopted (it holds the connector locked from then on).
 */
#ifndef EVG_LINKCORE_H
#define EVG_LINKCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "regmap.h"

/* Design: reconnect back-off 1 s doubling up to 30 s. */
#define LINK_BACKOFF_MIN_MS	1000
#define LINK_BACKOFF_MAX_MS	30000
/* A connector's state shows a lock at the charger's next tick
 * (unit.tick_ms, at most 20 ms): a read this soon after our own lock or
 * unlock may predate it, and is not someone else's doing. */
#define LINK_STATE_SETTLE_MS	100
/* Someone else's writes undone on one connector (or the unit's fallback
 * settings) are said at once, then at most once a minute with how many
 * more were undone meanwhile: a writer at 10 Hz must not push every
 * other event out of the recent list (audit of issue 17, F7). */
#define LINK_FOREIGN_SAY_MS	60000

enum link_state {
	LINK_DOWN,		/* no connection; retry at retry_ms */
	LINK_CONNECTING,
	LINK_IDLE,		/* connected, waiting for the next poll */
	LINK_BUSY,		/* a request is in flight */
};

enum link_step {
	STEP_UNIT, STEP_CONN1, STEP_CONN2, STEP_HOLD, STEP_HEARTBEAT,
	STEP_FALLBACK,
	STEP_SETPOINT1, STEP_SETPOINT2, STEP_LOCK1, STEP_LOCK2, STEP_CMD1,
	STEP_CMD2, STEP_DONE,
};

struct link_params {
	uint32_t	response_timeout_ms;
	uint32_t	connect_timeout_ms;
	int		offline_after;
	uint16_t	fallback_da;
	uint16_t	fallback_s;
	uint16_t	authorisation;	/* 0 free, 1 remote (an RFID site) */
};

/* Register map 2 added the authorisation mode (holding register 3). */
#define LINK_MAP_AUTH	2

struct link_req {
	uint8_t		fc;		/* 3, 4, 6 or 16 */
	uint16_t	addr;
	uint16_t	count;
	uint16_t	vals[3];
};

enum link_action {
	LINK_ACT_NONE,
	LINK_ACT_CONNECT,
	LINK_ACT_SEND,		/* req filled */
	LINK_ACT_CLOSE,		/* drop the connection (then reconnect) */
};

/* What changed, for the shell to log and record. */
enum link_news {
	NEWS_ONLINE = 1 << 0,
	NEWS_OFFLINE = 1 << 1,
	NEWS_POLLED = 1 << 2,	/* a poll completed: unit/conn are fresh */
	NEWS_POLL_FAILED = 1 << 3,
	NEWS_FOREIGN = 1 << 4,	/* someone else changed a connector: foreign[] */
	NEWS_REFUSED = 1 << 5,	/* a write newly refused: refusal[] */
	NEWS_TAKEN = 1 << 6,	/* a refused write taken again: refusal[] */
	NEWS_ANSWER = 1 << 7,	/* an operator's command answered: ask[] */
};

/*
 * A write the charger refused, kept per write step while it lasts (an
 * active alarm): set by the exception, cleared when that register takes
 * a write again or needs none any more. fresh: not reported yet (news
 * NEWS_REFUSED; NEWS_TAKEN when it clears).
 */
struct link_refusal {
	bool		active, fresh, cleared;
	uint8_t		exc;
	uint16_t	addr, val;
	uint64_t	since_ms;
	struct reg_conn	conn;		/* the connector as read then */
};

/*
 * An operator's command to a connector (authorise, stop, reset, lock,
 * unlock) and the charger's answer: link_command() or link_lock() give
 * it a number; once the poll that carries it is over, done is that
 * number and exc the charger's exception (0: taken, or a lock that was
 * already so). A command asked again before it was written replaces it.
 */
struct link_ask {
	uint32_t	seq;		/* the newest asked */
	uint32_t	sent;		/* the one in the poll under way */
	uint32_t	done;		/* the newest answered */
	uint8_t		exc;		/* its answer */
	uint16_t	cmd;		/* what it was */
	struct reg_conn	conn;		/* the connector as read then */
	bool		fresh;		/* answered, not reported yet */
};

/* What someone else changed on a connector (or the unit), found by the
 * last read. */
enum link_foreign_what {
	FOREIGN_SETPOINT = 1 << 0,	/* from was_da to now_da; undone */
	FOREIGN_LOCK = 1 << 1,		/* locked it; kept (adopted) */
	FOREIGN_UNLOCK = 1 << 2,	/* unlocked it; locked again */
	FOREIGN_FALLBACK = 1 << 3,	/* the unit's fallback settings:
					 * was_da/was_s to now_da/now_s;
					 * undone */
	FOREIGN_AUTH = 1 << 4,		/* the unit's authorisation mode:
					 * was_auth to now_auth; undone */
};

struct link_foreign {
	unsigned	what;		/* enum link_foreign_what; 0: nothing */
	uint16_t	was_da, now_da;
	uint16_t	was_s, now_s;
	uint16_t	was_auth, now_auth;
	/* link_foreign_say(): when the last was said, how many undone since */
	bool		said;
	uint64_t	said_ms;
	uint32_t	unsaid;
};

enum link_say {
	LINK_SAY_NONE,		/* nothing to say now */
	LINK_SAY_THIS,		/* say what (and how many more were undone) */
	LINK_SAY_COUNT,		/* say only how many more were undone */
};

struct link_peer {
	int		nconn;
	uint16_t	want_da[REGMAP_MAX_CONN];	/* setpoints we want */
	uint16_t	cmd[REGMAP_MAX_CONN];	/* command to write once
						 * (not lock or unlock) */
	/* The lock the master decided (an operator's, through it), or
	 * found at its first read of the connector (it cannot tell whose
	 * that was: a lock set before a restart of the master must stay). */
	bool		lock_owned[REGMAP_MAX_CONN];
	bool		lock_want[REGMAP_MAX_CONN];
	/* An operator's unlock through the master, not yet taken by the
	 * charger: the only unlock the master ever writes. */
	bool		unlock_asked[REGMAP_MAX_CONN];
	/* state */
	enum link_state	state;
	enum link_step	step;
	bool		online;
	bool		ever_online;
	int		failures;	/* consecutive failed polls */
	uint32_t	backoff_ms;
	uint64_t	retry_ms;
	uint64_t	deadline_ms;	/* of the connect or request */
	bool		poll_due;	/* a poll was asked for */
	bool		in_poll;	/* its requests are under way */
	uint64_t	poll_start_ms;	/* a poll was asked for */
	uint64_t	poll_began_ms;	/* the poll under way began */
	uint16_t	heartbeat;
	/* The fallback settings (holding 1-2), and the authorisation mode
	 * (holding 3, map version LINK_MAP_AUTH on), read in the poll under
	 * way: hold_ok only between that read and the poll's end. */
	bool		hold_ok;
	uint16_t	hold_da, hold_s, hold_auth;
	/* Decommissioned: its fallback current is set to 0 (pause), so
	 * that the charger, once the master lets it go, takes nothing. */
	bool		retiring;
	/* The charger's fallback settings as far as we know, for the
	 * allocator: known once read or acknowledged since we started
	 * (before that it may run on its own configuration's); a write sent
	 * and not answered may have been taken, so the most of the two
	 * counts. */
	bool		fallback_known;
	uint16_t	fallback_da, fallback_s;
	/* What they were after the master's last word (fb_known_ok: known),
	 * to tell someone else's write. */
	bool		fb_known_ok;
	uint16_t	fb_known_da, fb_known_s, fb_known_auth;
	/* The highest setpoint each connector may have in force: what it
	 * last reported, raised by every setpoint write sent since (the
	 * charger may have applied one whose answer never came). */
	uint16_t	may_force_da[REGMAP_MAX_CONN];
	/* What each connector had after the master's last word: its
	 * setpoint in force (sp_known_ok: known) and its lock (-1 unknown,
	 * 0, 1; lock_word_ms: when the master's lock or unlock was taken). */
	bool		sp_known_ok[REGMAP_MAX_CONN];
	uint16_t	sp_known[REGMAP_MAX_CONN];
	int8_t		lock_known[REGMAP_MAX_CONN];
	uint64_t	lock_word_ms[REGMAP_MAX_CONN];
	struct link_foreign foreign[REGMAP_MAX_CONN];	/* the shell clears */
	struct link_foreign foreign_unit;	/* .what: the shell clears */
	struct link_req	req;		/* in flight */
	const char	*why;		/* of the last failure */
	struct link_refusal refusal[STEP_DONE];	/* by write step */
	struct link_ask	ask[REGMAP_MAX_CONN];
	/* what the charger said in the last poll */
	struct reg_unit	unit;
	struct reg_conn	conn[REGMAP_MAX_CONN];
	uint64_t	last_ok_ms;
	uint64_t	taken_ms;	/* when the last good poll began: what
					 * it read is of that moment or later */
	uint64_t	polls, polls_failed, requests;
	uint64_t	setpoint_writes;	/* taken by the charger */
};

void		link_init(struct link_peer *, int nconn, const uint16_t *want);
void		link_start_poll(struct link_peer *, uint64_t now_ms);
uint32_t	link_lock(struct link_peer *, int conn, bool locked);
uint32_t	link_command(struct link_peer *, int conn, uint16_t cmd);
const char	*link_write_name(uint16_t addr, uint16_t val, char *buf,
		    size_t len);
const char	*link_refusal_why(uint16_t addr, uint16_t val, int exc,
		    const struct reg_conn *, char *buf, size_t len);
enum link_action link_next(struct link_peer *, const struct link_params *,
		    uint64_t now_ms, unsigned *news);
unsigned	link_connected(struct link_peer *, uint64_t now_ms);
unsigned	link_failed(struct link_peer *, const struct link_params *,
		    uint64_t now_ms, const char *why);
unsigned	link_response(struct link_peer *, const struct link_params *,
		    uint64_t now_ms, const uint8_t *pdu, int len);
uint64_t	link_deadline(const struct link_peer *);
enum link_say	link_foreign_say(struct link_foreign *, uint64_t now_ms,
		    uint32_t *more);

/* Modbus TCP framing (Modbus Messaging on TCP/IP Implementation Guide
 * v1.0b, 3.1.3: MBAP = transaction id, protocol id 0, length, unit id). */
#define LINK_MBAP_LEN	7
#define LINK_ADU_MAX	260

int		link_frame_request(const struct link_req *, uint16_t tid,
		    uint8_t unit, uint8_t *adu);
int		link_frame_split(const uint8_t *buf, size_t len, uint16_t tid,
		    size_t *frame_len);
int		link_parse(const struct link_req *, const uint8_t *pdu, int len,
		    uint16_t *regs, int *exc);

#endif
