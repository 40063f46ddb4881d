/*
 * link.c: the master's sockets to its chargers, one libuv loop for all.
 * Connects without blocking, waits for readiness with uv_poll, reads what
 * is there into the connection's buffer and takes whole frames out of it
 * (framing in linkcore.c). libmodbus's client calls wait for their answer,
 * so they have no place here: a charger that is down, or that accepts and
 * never answers, must cost the others nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "fw.h"
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

static void
cycle_account(struct peer *p, unsigned news, uint64_t now)
{
	if (news & (NEWS_POLLED | NEWS_POLL_FAILED)) {
		p->cycle_done_ms = now;
		p->cycle_ok = (news & NEWS_POLLED) != 0;
	}
}

static int64_t
wall_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A record for everything an operator or installer will want to find
 * later; also logged.
 */
void
master_event(struct master *m, int severity, const char *source,
    const char *code, const char *fmt, ...)
{
	struct store_rec r = { .kind = STORE_EVENT };
	va_list	 ap;

	r.u.ev.severity = severity;
	snprintf(r.u.ev.source, sizeof(r.u.ev.source), "%s", source);
	snprintf(r.u.ev.code, sizeof(r.u.ev.code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(r.u.ev.text, sizeof(r.u.ev.text), fmt, ap);
	va_end(ap);
	MLOG(m, severity == SEV_INFO ? LOG_INFO : LOG_WARNING, "%s: %s",
	    source, r.u.ev.text);
	store_put(m->store, &r);
	{
		struct recent_event *e = &m->recent[m->recent_head];
		json_t	*j;
		char	*text;

		e->time_ms = wall_now_ms();
		e->severity = severity;
		memcpy(e->source, r.u.ev.source, sizeof(e->source));
		memcpy(e->code, r.u.ev.code, sizeof(e->code));
		memcpy(e->text, r.u.ev.text, sizeof(e->text));
		m->recent_head = (m->recent_head + 1) % MASTER_RECENT;
		if (m->nrecent < MASTER_RECENT)
			m->nrecent++;
		if (!m->web_on)
			return;
		j = json_pack("{s:I, s:i, s:s, s:s, s:s}", "time_ms",
		    (json_int_t)e->time_ms, "severity", severity, "source",
		    e->source, "code", e->code, "text", e->text);
		if ((text = json_dumps(j, JSON_COMPACT)) != NULL)
			web_publish_event(&m->web, text);
		free(text);
		json_decref(j);
	}
}


static bool
session_live(const struct reg_conn *c)
{
	return c->session_no != 0 && (c->state == CS_AUTH_WAIT_CAR ||
	    c->state == CS_CHARGING || c->state == CS_PAUSED ||
	    c->state == CS_SUSPENDED_EV);
}

static void
session_rec(struct peer *p, int k, enum store_kind kind, uint32_t number,
    const struct reg_conn *c, const char *reason, int64_t when)
{
	struct store_rec r = { .kind = kind, .wall_ms = when };

	snprintf(r.u.s.charger, sizeof(r.u.s.charger), "%s", p->cc->name);
	r.u.s.connector = k + 1;
	r.u.s.number = number;
	r.u.s.start_ms = p->open_start[k];
	r.u.s.energy_wh = c->session_wh;
	r.u.s.peak_da = p->open_peak[k];
	snprintf(r.u.s.tag, sizeof(r.u.s.tag), "%s", c->tag);
	if (reason != NULL)
		snprintf(r.u.s.reason, sizeof(r.u.s.reason), "%s", reason);
	store_put(p->m->store, &r);
}

/*
 * Sessions as the chargers report them: opened when first seen, saved
 * every minute, closed when they end. A session that was open when the
 * appliance stopped is resumed if the charger still has it, else closed
 * as it was last saved ("master-restart"): none is counted twice.
 */
static void
track_sessions(struct peer *p, uint64_t now)
{
	int64_t	 wall = wall_now_ms();

	for (int k = 0; k < p->link.nconn; k++) {
		const struct reg_conn *c = &p->link.conn[k];
		bool	 live = session_live(c);

		if (p->recovered[k]) {
			p->recovered[k] = false;
			if (!live || c->session_no != p->open_no[k]) {
				struct reg_conn old = *c;

				old.session_wh = p->recovered_row[k].energy_wh;
				session_rec(p, k, STORE_SESSION_CLOSE, p->open_no[k],
				    &old, "master-restart",
				    p->recovered_row[k].updated_ms);
				p->open_no[k] = 0;
			} else
				MLOG(p->m, LOG_INFO, "charger %s connector %d: "
				    "session %u resumed", p->cc->name, k + 1,
				    c->session_no);
		}
		if (p->open_no[k] != 0 && (!live ||
		    c->session_no != p->open_no[k])) {
			const char *why = c->state == CS_FAULT ? "fault" :
			    c->state == CS_LOCKED || c->state == CS_WAIT_AUTH ?
			    "operator" : p->prev_conn[k].state ==
			    CS_SUSPENDED_EV ? "car" : "unplug";

			session_rec(p, k, STORE_SESSION_CLOSE, p->open_no[k],
			    c->session_no == p->open_no[k] ? c : &p->prev_conn[k],
			    why, wall);
			p->open_no[k] = 0;
		}
		if (live && p->open_no[k] == 0) {
			p->open_no[k] = c->session_no;
			p->open_start[k] = wall - (int64_t)c->session_s * 1000;
			p->open_peak[k] = 0;
			p->open_saved_ms[k] = now;
			session_rec(p, k, STORE_SESSION_OPEN, c->session_no, c,
			    NULL, wall);
		}
		if (live) {
			for (int q = 0; q < EVG_PHASES; q++)
				if (c->current_da[q] > p->open_peak[k])
					p->open_peak[k] = c->current_da[q];
			if (now - p->open_saved_ms[k] >= 60000) {
				p->open_saved_ms[k] = now;
				session_rec(p, k, STORE_SESSION_UPDATE,
				    c->session_no, c, NULL, wall);
			}
		}
	}
}

static void
log_changes(struct peer *p)
{
	struct master *m = p->m;
	const char *name = p->cc->name;
	static const char *const status[] = {
		"normal",
		"fallback (master silent)",
		"fault",
		"booting",
	};

	track_sessions(p, clock_now_ms());
	if (!p->have_prev || p->prev_unit.status != p->link.unit.status)
		master_event(m, p->link.unit.status == UNIT_NORMAL ||
		    p->link.unit.status == UNIT_BOOTING ? SEV_INFO : SEV_WARNING,
		    name, "unit-status", "unit %s",
		    p->link.unit.status <= UNIT_BOOTING ?
		    status[p->link.unit.status] : "?");
	for (int i = 0; i < p->link.nconn; i++) {
		const struct reg_conn *c = &p->link.conn[i], *o = &p->prev_conn[i];

		if (!p->have_prev || c->state != o->state)
			MLOG(m, LOG_INFO, "charger %s connector %d: %s "
			    "(offer %u.%u A, setpoint %u.%u A)", name, i + 1,
			    conn_state_name(c->state), c->offer_da / 10,
			    c->offer_da % 10, c->setpoint_da / 10,
			    c->setpoint_da % 10);
		if (p->have_prev && c->faults != o->faults)
			for (int f = 0; f < F_COUNT; f++)
				if ((c->faults ^ o->faults) & FAULT_BIT(f)) {
					char	 src[48];

					snprintf(src, sizeof(src), "%s/%d", name,
					    i + 1);
					master_event(m, c->faults & FAULT_BIT(f) ?
					    SEV_ALARM : SEV_INFO, src,
					    c->faults & FAULT_BIT(f) ? "fault" :
					    "fault-cleared", "fault %s %s",
					    fault_name(f), c->faults & FAULT_BIT(f) ?
					    "set" : "cleared");
				}
	}
	MLOG(m, LOG_DEBUG, "charger %s: polled, status %u, heartbeat %u",
	    name, p->link.unit.status, p->link.unit.heartbeat_seen);
	p->prev_unit = p->link.unit;
	memcpy(p->prev_conn, p->link.conn, sizeof(p->prev_conn));
	p->have_prev = true;
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
	if (news & NEWS_POLLED)
		log_changes(p);
	if (p->link.refused_exc != 0) {
		MLOG(m, LOG_WARNING, "charger %s: refused write of %u to "
		    "register %u (exception %d)", p->cc->name,
		    p->link.refused.vals[0], p->link.refused.addr,
		    p->link.refused_exc);
		p->link.refused_exc = 0;
	}
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

/* Closes the cycle that started at cycle_start_ms. */
static void
cycle_close(struct master *m)
{
	uint64_t worst = 0;
	int	 online = 0;

	if (!m->cycle_open)
		return;
	for (int i = 0; i < m->npeers; i++) {
		struct peer *p = &m->peers[i];

		if (p->cycle_done_ms < m->cycle_start_ms) {
			m->stats.overruns++;
			continue;
		}
		if (p->cycle_ok) {
			online++;
			if (p->cycle_done_ms - m->cycle_start_ms > worst)
				worst = p->cycle_done_ms - m->cycle_start_ms;
		}
	}
	m->stats.ring[m->stats.cycles % MASTER_CYCLE_RING] = (uint32_t)worst;
	m->stats.cycles++;
	if (m->stats.cycles % 60 == 0) {
		MLOG(m, LOG_INFO, "link: %d/%d chargers answered; cycle p50 %u ms, "
		    "p99 %u ms over the last %llu", online, m->npeers,
		    percentile(&m->stats, 50), percentile(&m->stats, 99),
		    (unsigned long long)(m->stats.cycles < MASTER_CYCLE_RING ?
		    m->stats.cycles : MASTER_CYCLE_RING));
	}
	if (m->conf->site.stats_file[0] && m->stats.cycles % 10 == 0)
		master_write_stats(m);
}

/* A poll out of turn, to write a cut at once. */
void
master_poll_now(struct master *m, int i, uint64_t now)
{
	link_start_poll(&m->peers[i].link, now);
	drive(&m->peers[i], now);
}

/* The site's status: to the web UI and the status file, through the
 * publisher's thread. */
void
master_publish_status(struct master *m)
{
	publisher_post(&m->pub, clock_now_ms());
}

static void
cycle_cb(uv_timer_t *t)
{
	struct master *m = t->data;
	uint64_t now = clock_now_ms();

	cycle_close(m);
	site_allocate(&m->site, now);
	master_publish_status(m);
	{
		bool	 failing;
		char	 err[160];
		uint64_t written, lost;
		size_t	 queued;

		store_status(m->store, &failing, err, sizeof(err), &written,
		    &lost, &queued);
		if (failing != m->store_failing) {
			m->store_failing = failing;
			/* the event itself waits in the queue with the rest */
			if (failing)
				master_event(m, SEV_ALARM, "database",
				    "write-failed", "cannot write the database "
				    "(%s): %zu records kept in memory, charging "
				    "goes on", err, queued);
			else
				master_event(m, SEV_INFO, "database", "write-ok",
				    "database writable again: %zu records to "
				    "write, %llu written so far", queued,
				    (unsigned long long)written);
		}
	}
	{
		/* how far this cycle's start strays from its period (the
		 * loop's timing: anything that holds the loop shows here) */
		uint64_t us = uv_hrtime() / 1000, want = (uint64_t)
		    m->conf->site.poll_period * 1000;

		if (m->cycle_start_us != 0) {
			uint64_t d = us - m->cycle_start_us;

			m->stats.jitter[m->stats.njitter++ %
			    MASTER_CYCLE_RING] = (uint32_t)(d > want ? d - want :
			    want - d);
		}
		m->cycle_start_us = us;
	}
	m->cycle_start_ms = now;
	m->cycle_open = true;
	for (int i = 0; i < m->npeers; i++) {
		link_start_poll(&m->peers[i].link, now);
		drive(&m->peers[i], now);
	}
}

void
master_write_stats(const struct master *m)
{
	char	 tmp[300];
	FILE	*fp;
	int	 online = 0;

	for (int i = 0; i < m->npeers; i++)
		online += m->peers[i].link.online;
	snprintf(tmp, sizeof(tmp), "%s.new", m->conf->site.stats_file);
	if ((fp = fopen(tmp, "w")) == NULL)
		return;
	fprintf(fp, "{\"cycles\":%llu,\"cycle_p50_ms\":%u,\"cycle_p99_ms\":%u,"
	    "\"cycle_max_ms\":%u,\"overruns\":%llu,\"chargers\":%d,"
	    "\"online\":%d,\"jitter_p50_us\":%u,\"jitter_p99_us\":%u,"
	    "\"jitter_max_us\":%u}\n", (unsigned long long)m->stats.cycles,
	    percentile(&m->stats, 50), percentile(&m->stats, 99),
	    percentile(&m->stats, 100),
	    (unsigned long long)m->stats.overruns, m->npeers, online,
	    ring_percentile(m->stats.jitter, m->stats.njitter, 50),
	    ring_percentile(m->stats.jitter, m->stats.njitter, 99),
	    ring_percentile(m->stats.jitter, m->stats.njitter, 100));
	/* Written whole or not at all: readers never see half a file. */
	if (fclose(fp) == 0)
		rename(tmp, m->conf->site.stats_file);
}

int
master_start(struct master *m, uv_loop_t *loop, struct master_config *mc,
    struct store *store, const char *db_note)
{
	memset(m, 0, sizeof(*m));
	m->loop = loop;
	m->conf = mc;
	m->conf_rw = mc;
	if ((m->saved = malloc(sizeof(*m->saved))) == NULL ||
	    (m->rfid = calloc(RFID_MAX, sizeof(*m->rfid))) == NULL)
		return -1;
	*m->saved = *mc;
	uv_timer_init(loop, &m->restart_timer);
	m->restart_timer.data = m;
	m->lp = (struct link_params){
		.response_timeout_ms = (uint32_t)mc->site.response_timeout,
		.connect_timeout_ms = (uint32_t)mc->site.connect_timeout,
		.offline_after = mc->site.offline_after,
		.fallback_da = (uint16_t)mc->site.fallback_current,
		.fallback_s = (uint16_t)mc->site.fallback_timeout,
	};
	m->npeers = mc->ncharger;
	if ((m->peers = calloc((size_t)m->npeers + 1, sizeof(*m->peers))) ==
	    NULL)
		return -1;
	for (int i = 0; i < m->npeers; i++) {
		struct peer *p = &m->peers[i];
		const struct charger_conf *cc = &mc->charger[i];
		uint16_t want[REGMAP_MAX_CONN];

		p->m = m;
		p->cc = cc;
		/* Nothing is offered before the allocator says so. */
		for (int k = 0; k < REGMAP_MAX_CONN; k++)
			want[k] = 0;
		link_init(&p->link, cc->connectors, want);
		uv_timer_init(loop, &p->timer);
		p->timer.data = p;
	}
	m->store = store;
	if (store->db != NULL) {
		struct store_open_session open[256];
		int	 nopen = store_open_sessions(store, open, 256);

		for (int k = 0; k < nopen; k++)
			for (int i = 0; i < m->npeers; i++) {
				struct peer *p = &m->peers[i];
				int	 c = open[k].connector - 1;

				if (strcmp(p->cc->name, open[k].charger) != 0 ||
				    c < 0 || c >= REGMAP_MAX_CONN)
					continue;
				p->open_no[c] = open[k].number;
				p->open_start[c] = open[k].start_ms;
				p->recovered[c] = true;
				p->recovered_row[c] = open[k];
			}
		rfid_load(m);
		if (mc->web.enabled && web_init(&m->web, m) != 0)
			return -1;
		if (store_start(store) != 0)
			return -1;
		if (db_note != NULL && db_note[0] != '\0')
			master_event(m, SEV_ALARM, "database", "damaged", "%s",
			    db_note);
		master_event(m, SEV_INFO, "site", "start", "appliance started: "
		    "%d charger(s), %d open session(s) to recover",
		    m->npeers, nopen);
	}
	if (site_start(&m->site, m) != 0)
		return -1;
	/* before the web server: its threads ask the publisher for the
	 * status (publisher_sync) */
	if ((mc->web.enabled || mc->site.status_file[0] != '\0') &&
	    publisher_start(&m->pub, m, mc->web.enabled ? &m->web : NULL) != 0)
		return -1;
	if (mc->web.enabled) {
		if (!m->web.auth_ready && web_init(&m->web, m) != 0)
			return -1;
		if (web_start(&m->web, m) != 0)
			return -1;
		m->web_on = true;
	}
	uv_timer_init(loop, &m->cycle_timer);
	m->cycle_timer.data = m;
	uv_timer_start(&m->cycle_timer, cycle_cb, 0,
	    (uint64_t)mc->site.poll_period);
	return 0;
}

static void
peer_timer_closed(uv_handle_t *h)
{
	(void)h;
}

void
master_stop(struct master *m)
{
	if (m->conf->site.stats_file[0])
		master_write_stats(m);
	site_stop(&m->site);
	publisher_stop(&m->pub);
	if (m->web_on)
		web_stop(&m->web);
	m->web_on = false;
	publisher_free(&m->pub);
	uv_close((uv_handle_t *)&m->restart_timer, NULL);
	uv_timer_stop(&m->cycle_timer);
	uv_close((uv_handle_t *)&m->cycle_timer, NULL);
	for (int i = 0; i < m->npeers; i++) {
		drop_connection(&m->peers[i]);
		uv_close((uv_handle_t *)&m->peers[i].timer, peer_timer_closed);
	}
}

void
master_free(struct master *m)
{
	site_free(&m->site);
	free(m->peers);
	m->peers = NULL;
	free(m->saved);
	m->saved = NULL;
	free(m->rfid);
	m->rfid = NULL;
}

static void
restart_cb(uv_timer_t *t)
{
	struct master *m = t->data;

	m->restart_requested = true;
	if (m->on_stop != NULL)
		m->on_stop(m->on_stop_arg);
	else
		master_stop(m);
}

/* A restart asked for through the API: after its answer has gone out. */
void
master_restart(struct master *m)
{
	uv_timer_start(&m->restart_timer, restart_cb, 300, 0);
}
