/*
 * link.c: the master's sockets to its chargers, one libuv loop for all.
 * Connects without blocking, waits for readiness with uv_poll, reads what
 * is there into the connection's buffer and takes whole frames out of it
 * (framing in linkcore.c). libmodbus's client calls wait for their answer,
 * so they have no place here: a charger that is down, or that accepts and
 * never answers, must cost the others nothing. The rounds (every charger
 * polled together) and their statistics are here too; what a poll
 * reported is logged and recorded in changes.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "master.h"

struct sockconn {
	uv_poll_t	 poll;
	int		 fd;
	struct peer	*peer;		/* NULL once detached */
	bool		 connected;
	uint8_t		 buf[2 * LINK_ADU_MAX];
	size_t		 len;
};

static void	drive(struct peer *, uint64_t now);

static void
sockconn_closed(uv_handle_t *h)
{
	struct sockconn *sc = h->data;

	close(sc->fd);
	free(sc);
}

static void
drop_connection(struct peer *p)
{
	struct sockconn *sc = p->sc;

	if (sc == NULL)
		return;
	p->sc = NULL;
	sc->peer = NULL;
	uv_poll_stop(&sc->poll);
	uv_close((uv_handle_t *)&sc->poll, sockconn_closed);
}

static void round_end_cb(uv_timer_t *);

/* A charger's answer to the round (a poll that began before the round,
 * out of turn, is not it), and the end of the round with the last one. */
static void
cycle_account(struct peer *p, unsigned news, uint64_t now)
{
	struct master *m = p->m;

	if (!p->in_round || !(news & (NEWS_POLLED | NEWS_POLL_FAILED)) ||
	    ((news & NEWS_POLLED) && p->link.poll_began_ms < m->cycle_start_ms))
		return;
	p->in_round = false;
	p->cycle_done_ms = now;
	p->cycle_ok = (news & NEWS_POLLED) != 0;
	/* not from inside this charger's own handling: next loop turn */
	if (--m->round_left == 0 && m->round_waiting)
		uv_timer_start(&m->round_timer, round_end_cb, 0, 0);
}

/* " (and 37 more ... since the last such warning)", or "". */
static const char *
more_text(char *buf, size_t len, uint32_t more)
{
	if (more == 0)
		return "";
	snprintf(buf, len, " (and %u more changes by someone else undone "
	    "since the last such warning)", more);
	return buf;
}

/* The fallback settings as an event says them. */
static const char *
fallback_text(char *buf, size_t len, unsigned da, unsigned s)
{
	snprintf(buf, len, "%u.%u A after %u s", da / 10, da % 10, s);
	return buf;
}

/* Someone else's write undone on the unit's fallback settings, or how
 * many were (link_foreign_say() decides which, if any, is said now). */
static void
report_foreign_unit(struct peer *p, uint64_t now)
{
	struct link_foreign *f = &p->link.foreign_unit;
	char	 was[32], is[32], want[32], more[96];
	uint32_t n;

	switch (link_foreign_say(f, now, &n)) {
	case LINK_SAY_THIS:
		if (f->what & FOREIGN_FALLBACK)
			master_event(p->m, SEV_WARNING, p->cc->name,
			    "foreign-write", "fallback %s, not %s: changed by "
			    "someone else, writing %s%s",
			    fallback_text(is, sizeof(is), f->now_da, f->now_s),
			    fallback_text(was, sizeof(was), f->was_da,
			    f->was_s), fallback_text(want, sizeof(want),
			    p->link.retiring ? 0 : p->m->lp.fallback_da,
			    p->m->lp.fallback_s), more_text(more, sizeof(more),
			    n));
		/* free on an RFID site lets cars charge with no tag */
		if (f->what & FOREIGN_AUTH)
			master_event(p->m, SEV_WARNING, p->cc->name,
			    "foreign-write", "authorisation %s, not %s: "
			    "changed by someone else, writing %s%s",
			    f->now_auth ? "remote" : "free",
			    f->was_auth ? "remote" : "free",
			    p->m->lp.authorisation ? "remote" : "free",
			    (f->what & FOREIGN_FALLBACK) ? "" :
			    more_text(more, sizeof(more), n));
		break;
	case LINK_SAY_COUNT:
		master_event(p->m, SEV_WARNING, p->cc->name, "foreign-write",
		    "fallback: %u more changes by someone else undone since "
		    "the last such warning", n);
		break;
	case LINK_SAY_NONE:
		break;
	}
	f->what = 0;
}

/* What someone else changed, and what the master does about it (the
 * poll under way writes it back, or keeps a lock). A lock kept is said
 * every time; what is undone is said as link_foreign_say() decides. */
static void
report_foreign(struct peer *p, uint64_t now)
{
	for (int i = 0; i < p->link.nconn; i++) {
		struct link_foreign *f = &p->link.foreign[i];
		unsigned want = p->link.want_da[i];
		char	 more[96];
		uint32_t n;

		if (f->what & FOREIGN_LOCK)
			master_event(p->m, SEV_WARNING, p->cc->name,
			    "foreign-write", "connector %d locked: changed by "
			    "someone else, kept locked (an operator unlocks it "
			    "through the appliance)", i + 1);
		switch (link_foreign_say(f, now, &n)) {
		case LINK_SAY_THIS:
			if (f->what & FOREIGN_SETPOINT)
				master_event(p->m, SEV_WARNING, p->cc->name,
				    "foreign-write", "connector %d setpoint "
				    "%u.%u A, not %u.%u A: changed by someone "
				    "else, writing %u.%u A%s", i + 1,
				    f->now_da / 10, f->now_da % 10,
				    f->was_da / 10, f->was_da % 10, want / 10,
				    want % 10, (f->what & FOREIGN_UNLOCK) ? "" :
				    more_text(more, sizeof(more), n));
			if (f->what & FOREIGN_UNLOCK)
				master_event(p->m, SEV_WARNING, p->cc->name,
				    "foreign-write", "connector %d unlocked: "
				    "changed by someone else, locking it "
				    "again%s",
				    i + 1, more_text(more, sizeof(more), n));
			break;
		case LINK_SAY_COUNT:
			master_event(p->m, SEV_WARNING, p->cc->name,
			    "foreign-write", "connector %d: %u more changes by "
			    "someone else undone since the last such warning",
			    i + 1, n);
			break;
		case LINK_SAY_NONE:
			break;
		}
		f->what = 0;
	}
	report_foreign_unit(p, now);
}

/* A write refused is a warning event once, and an alarm while it lasts
 * (alarms.c); taken again, an event says so. */
static void
report_refusals(struct peer *p)
{
	for (int st = 0; st < STEP_DONE; st++) {
		struct link_refusal *r = &p->link.refusal[st];
		char	 what[64], why[160];

		link_write_name(r->addr, r->val, what, sizeof(what));
		if (r->fresh) {
			r->fresh = false;
			master_event(p->m, SEV_WARNING, p->cc->name,
			    "write-refused", "refuses %s: %s", what,
			    link_refusal_why(r->addr, r->val, r->exc, &r->conn,
			    why, sizeof(why)));
		}
		if (r->cleared) {
			r->cleared = false;
			master_event(p->m, SEV_INFO, p->cc->name,
			    "write-taken", "takes %s again", what);
		}
	}
}

/* The charger's answer to an operator's command: done, or refused and
 * why (the API waits for it: siteapi.c). */
static void
report_answers(struct peer *p)
{
	for (int i = 0; i < p->link.nconn; i++) {
		struct link_ask *a = &p->link.ask[i];
		char	 what[64], why[160];

		if (!a->fresh)
			continue;
		a->fresh = false;
		link_write_name((uint16_t)(REGMAP_CONN_BASE * (i + 1) + 1),
		    a->cmd, what, sizeof(what));
		if (a->exc == 0)
			master_event(p->m, SEV_INFO, p->ask_who[i], "command",
			    "%s: %s %s: done", p->ask_who[i], p->cc->name, what);
		else
			master_event(p->m, SEV_WARNING, p->ask_who[i],
			    "command-refused", "%s: %s %s: refused by the "
			    "charger: %s", p->ask_who[i], p->cc->name, what,
			    link_refusal_why((uint16_t)(REGMAP_CONN_BASE *
			    (i + 1) + 1), a->cmd, a->exc, &a->conn, why,
			    sizeof(why)));
	}
}

static void
report(struct peer *p, unsigned news, uint64_t now)
{
	struct master *m = p->m;

	cycle_account(p, news, now);
	if (news & NEWS_ONLINE)
		master_event(m, SEV_INFO, p->cc->name, "online",
		    "charger %s (%s:%d): online", p->cc->name, p->cc->host,
		    p->cc->port);
	if (news & NEWS_OFFLINE)
		master_event(m, SEV_WARNING, p->cc->name, "offline",
		    "charger %s (%s:%d): offline after %d failed polls: %s",
		    p->cc->name, p->cc->host, p->cc->port, p->link.failures,
		    p->link.why ? p->link.why : "?");
	if ((news & NEWS_POLL_FAILED) && !(news & NEWS_OFFLINE))
		MLOG(m, LOG_DEBUG, "charger %s: poll failed: %s", p->cc->name,
		    p->link.why);
	/* at every poll: a count held back may be due */
	if (news & (NEWS_FOREIGN | NEWS_POLLED))
		report_foreign(p, now);
	if (news & NEWS_POLLED)
		changes_log(p);
	if (news & (NEWS_REFUSED | NEWS_TAKEN))
		report_refusals(p);
	if (news & NEWS_ANSWER)
		report_answers(p);
}

static void
fail(struct peer *p, uint64_t now, const char *why)
{
	drop_connection(p);
	report(p, link_failed(&p->link, &p->m->lp, now, why), now);
}

/* Reads what the charger sent and handles every whole answer in it. */
static void
on_readable(struct peer *p, uint64_t now)
{
	struct sockconn *sc = p->sc;
	ssize_t	 n;
	size_t	 flen;
	int	 rc;

	n = recv(sc->fd, sc->buf + sc->len, sizeof(sc->buf) - sc->len,
	    MSG_DONTWAIT);
	if (n == 0) {
		fail(p, now, "connection closed by the charger");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			fail(p, now, strerror(errno));
		return;
	}
	sc->len += (size_t)n;
	while ((rc = link_frame_split(sc->buf, sc->len, p->tid, &flen)) != 0) {
		if (rc < 0 || p->link.state != LINK_BUSY) {
			fail(p, now, "unexpected answer");
			return;
		}
		report(p, link_response(&p->link, &p->m->lp, now,
		    sc->buf + LINK_MBAP_LEN, (int)(flen - LINK_MBAP_LEN)), now);
		memmove(sc->buf, sc->buf + flen, sc->len - flen);
		sc->len -= flen;
		drive(p, now);
		if (p->sc != sc)
			return;		/* dropped meanwhile */
	}
}

static void
poll_cb(uv_poll_t *h, int status, int events)
{
	struct sockconn *sc = h->data;
	struct peer *p = sc->peer;
	uint64_t now = clock_now_ms();
	int	 err = 0;
	socklen_t elen = sizeof(err);

	if (p == NULL)
		return;
	if (status < 0) {
		/* libuv reports POLLERR as UV_EBADF; the socket knows why. */
		if (getsockopt(sc->fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 &&
		    err != 0)
			fail(p, now, strerror(err));
		else
			fail(p, now, uv_strerror(status));
		return;
	}
	if (!sc->connected) {
		if (!(events & UV_WRITABLE))
			return;
		if (getsockopt(sc->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 ||
		    err != 0) {
			fail(p, now, strerror(err ? err : errno));
			return;
		}
		sc->connected = true;
		uv_poll_start(&sc->poll, UV_READABLE | UV_DISCONNECT, poll_cb);
		report(p, link_connected(&p->link, now), now);
		drive(p, now);
		return;
	}
	if (events & (UV_READABLE | UV_DISCONNECT))
		on_readable(p, now);
}

static void
start_connect(struct peer *p, uint64_t now)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sockconn *sc;
	int	 one = 1;

	sa.sin_port = htons((uint16_t)p->cc->port);
	inet_pton(AF_INET, p->cc->host, &sa.sin_addr);
	if ((sc = calloc(1, sizeof(*sc))) == NULL) {
		report(p, link_failed(&p->link, &p->m->lp, now, "out of memory"),
		    now);
		return;
	}
	sc->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sc->fd < 0) {
		free(sc);
		report(p, link_failed(&p->link, &p->m->lp, now, strerror(errno)),
		    now);
		return;
	}
	setsockopt(sc->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(sc->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 &&
	    errno != EINPROGRESS) {
		const char *why = strerror(errno);

		close(sc->fd);
		free(sc);
		report(p, link_failed(&p->link, &p->m->lp, now, why), now);
		return;
	}
	sc->peer = p;
	sc->poll.data = sc;
	uv_poll_init(p->m->loop, &sc->poll, sc->fd);
	p->sc = sc;
	uv_poll_start(&sc->poll, UV_WRITABLE, poll_cb);
}

static int
send_request(struct peer *p)
{
	uint8_t	 adu[LINK_ADU_MAX];
	int	 n = link_frame_request(&p->link.req, ++p->tid,
	    (uint8_t)p->cc->unit_id, adu);

	/* A request is a few bytes on an idle connection: it goes whole or
	 * the connection is in trouble. */
	return send(p->sc->fd, adu, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) ==
	    n ? 0 : -1;
}

static void
timer_cb(uv_timer_t *t)
{
	struct peer *p = t->data;
	uint64_t now = clock_now_ms();

	if ((p->link.state == LINK_BUSY || p->link.state == LINK_CONNECTING) &&
	    now >= p->link.deadline_ms) {
		fail(p, now, p->link.state == LINK_BUSY ? "no answer in time" :
		    "connect timed out");
	}
	drive(p, now);
}

/* Does whatever the link core asks until it waits, then arms the timer. */
static void
drive(struct peer *p, uint64_t now)
{
	for (int guard = 0; guard < 16; guard++) {
		unsigned news = 0;
		enum link_action a = link_next(&p->link, &p->m->lp, now, &news);

		report(p, news, now);
		if (a == LINK_ACT_NONE)
			break;
		if (a == LINK_ACT_CONNECT) {
			start_connect(p, now);
			if (p->sc == NULL)
				continue;
			break;
		}
		if (a == LINK_ACT_SEND && send_request(p) != 0)
			fail(p, now, "send failed");
		break;
	}
	{
		uint64_t d = link_deadline(&p->link);

		if (d == UINT64_MAX)
			uv_timer_stop(&p->timer);
		else
			uv_timer_start(&p->timer, timer_cb, d > now ? d - now : 0,
			    0);
	}
}

/* --- the cycle ----------------------------------------------------------- */

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static uint32_t
ring_percentile(const uint32_t *ring, uint64_t count, int pct)
{
	uint32_t sorted[MASTER_CYCLE_RING];
	uint64_t n = count < MASTER_CYCLE_RING ? count : MASTER_CYCLE_RING;

	if (n == 0)
		return 0;
	memcpy(sorted, ring, n * sizeof(uint32_t));
	qsort(sorted, n, sizeof(uint32_t), cmp_u32);
	return sorted[(n - 1) * (uint64_t)pct / 100];
}

static uint32_t
percentile(const struct cycle_stats *st, int pct)
{
	return ring_percentile(st->ring, st->cycles, pct);
}

/* Closes the round that started at cycle_start_ms: how long the last
 * charger that answered took, and who had not answered by now. */
static void
cycle_close(struct master *m)
{
	uint64_t worst = 0;
	int	 online = 0;

	if (!m->cycle_open)
		return;
	for (int i = 0; i < m->npeers; i++) {
		struct peer *p = &m->peers[i];

		if (p->in_round) {
			m->stats.overruns++;
			p->in_round = false;
			continue;
		}
		if (p->cycle_ok && p->cycle_done_ms >= m->cycle_start_ms) {
			online++;
			if (p->cycle_done_ms - m->cycle_start_ms > worst)
				worst = p->cycle_done_ms - m->cycle_start_ms;
		}
	}
	m->stats.ring[m->stats.cycles % MASTER_CYCLE_RING] = (uint32_t)worst;
	m->stats.cycles++;
	if (m->stats.cycles % 60 == 0) {
		MLOG(m, LOG_INFO, "link: %d/%d chargers answered; round p50 %u ms, "
		    "p99 %u ms over the last %llu", online, m->npeers,
		    percentile(&m->stats, 50), percentile(&m->stats, 99),
		    (unsigned long long)(m->stats.cycles < MASTER_CYCLE_RING ?
		    m->stats.cycles : MASTER_CYCLE_RING));
	}
	if (m->conf->site.stats_file[0] && m->stats.cycles % 10 == 0)
		master_write_stats(m);
}

static void
round_end_cb(uv_timer_t *t)
{
	struct master *m = t->data;
	uint64_t now = clock_now_ms();

	m->round_waiting = false;
	master_write_now(m, site_round_done(&m->site, now), now);
}

/*
 * A round: every charger polled together, now (after a meter reading,
 * so that their currents are of the same moment: docs/load-balancing.md,
 * "Readings in time"); the site is allocated when every charger that
 * answers has answered, or after MASTER_ROUND_WAIT_MS. The statistics
 * measure each round from its start to the last answer in it.
 */
void
master_round(struct master *m, uint64_t now)
{
	cycle_close(m);
	m->cycle_start_ms = now;
	m->cycle_open = true;
	m->round_left = 0;
	m->round_waiting = true;
	for (int i = 0; i < m->npeers; i++) {
		struct peer *p = &m->peers[i];

		p->in_round = p->link.online && p->link.state != LINK_DOWN;
		m->round_left += p->in_round;
		link_start_poll(&p->link, now);
	}
	/* A round that starts while the last one still waits
	 * must not put its allocation off again: the pending end stands
	 * (the site is allocated at least every MASTER_ROUND_WAIT_MS). */
	if (m->round_left == 0)
		uv_timer_start(&m->round_timer, round_end_cb, 0, 0);
	else if (!uv_is_active((uv_handle_t *)&m->round_timer))
		uv_timer_start(&m->round_timer, round_end_cb,
		    MASTER_ROUND_WAIT_MS, 0);
	for (int i = 0; i < m->npeers; i++)
		drive(&m->peers[i], now);
}

/*
 * Polls out of turn, to write at once what the site asks (a cut, an
 * operator's command): one for each entry, in its order.
 */
void
master_write_now(struct master *m, const struct site_writes *w,
    uint64_t now)
{
	for (size_t j = 0; j < w->n; j++) {
		struct peer *p = &m->peers[w->peer[j]];

		/* Both connectors of a charger, or a cut and a command: one
		 * poll, begun or asked for just now, writes them all (its
		 * setpoints are built from want_da when it gets there). */
		if ((p->link.in_poll && p->link.poll_began_ms == now) ||
		    (p->link.poll_due && p->link.poll_start_ms == now))
			continue;
		link_start_poll(&p->link, now);
		drive(p, now);
	}
}

void
master_write_stats(const struct master *m)
{
	char	 tmp[300];
	FILE	*fp;
	int	 online = 0;
	uint64_t sp = 0;

	for (int i = 0; i < m->npeers; i++) {
		online += m->peers[i].link.online;
		sp += m->peers[i].link.setpoint_writes;
	}
	snprintf(tmp, sizeof(tmp), "%s.new", m->conf->site.stats_file);
	if ((fp = fopen(tmp, "w")) == NULL)
		return;
	fprintf(fp, "{\"cycles\":%llu,\"cycle_p50_ms\":%u,\"cycle_p99_ms\":%u,"
	    "\"cycle_max_ms\":%u,\"overruns\":%llu,\"chargers\":%d,"
	    "\"online\":%d,\"jitter_p50_us\":%u,\"jitter_p99_us\":%u,"
	    "\"jitter_max_us\":%u,\"setpoint_writes\":%llu}\n",
	    (unsigned long long)m->stats.cycles,
	    percentile(&m->stats, 50), percentile(&m->stats, 99),
	    percentile(&m->stats, 100),
	    (unsigned long long)m->stats.overruns, m->npeers, online,
	    ring_percentile(m->stats.jitter, m->stats.njitter, 50),
	    ring_percentile(m->stats.jitter, m->stats.njitter, 99),
	    ring_percentile(m->stats.jitter, m->stats.njitter, 100),
	    (unsigned long long)sp);
	/* Written whole or not at all: readers never see half a file. */
	if (fclose(fp) == 0)
		rename(tmp, m->conf->site.stats_file);
}

static void
peer_timer_closed(uv_handle_t *h)
{
	(void)h;
}

/* Every connection dropped and every charger's timer closed (stopping). */
void
master_link_close(struct master *m)
{
	for (int i = 0; i < m->npeers; i++) {
		drop_connection(&m->peers[i]);
		uv_close((uv_handle_t *)&m->peers[i].timer, peer_timer_closed);
	}
}
