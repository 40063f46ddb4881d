/*
 * mbserver.c: the charger's Modbus TCP server. Each client socket is
 * non-blocking and watched by uv_poll; bytes are appended to the client's
 * buffer, and each complete frame (MBAP length, Modbus Messaging on TCP/IP
 * Implementation Guide v1.0b, 3.1.3) is checked against the register map
 * before libmodbus answers it. A frame that cannot be Modbus closes the
 * connection: there is no way to find the next frame boundary.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "mbserver.h"
#include "slave_regs.h"

#define MBAP_LEN	7		/* tid 2, protocol 2, length 2, unit 1 */
#define ADU_MAX		260		/* MBAP + 253-byte PDU */

struct mbclient {
	uv_poll_t	 poll;
	struct mbserver	*srv;
	int		 fd;
	int		 slot;
	bool		 may_write;
	uint8_t		 buf[2 * ADU_MAX];
	size_t		 len;
	uint64_t	 partial_since;
	char		 peer[INET_ADDRSTRLEN];
};

static void
client_closed(uv_handle_t *h)
{
	struct mbclient *c = h->data;

	close(c->fd);
	free(c);
}

static void
client_drop(struct mbclient *c)
{
	if (c->srv->clients[c->slot] == c) {
		c->srv->clients[c->slot] = NULL;
		c->srv->guard[c->slot].used = false;
	}
	uv_poll_stop(&c->poll);
	if (!uv_is_closing((uv_handle_t *)&c->poll))
		uv_close((uv_handle_t *)&c->poll, client_closed);
}

/* The closings of a kind not logged, in one line, when one is owed and
 * due. */
static void
closed_summary(struct mbserver *s, enum mbs_close k, uint64_t now)
{
	if (s->closed_unlogged[k] == 0 ||
	    now - s->closed_logged_ms[k] < MBS_CLOSED_LOG_MS)
		return;
	log_warnx("%s: %llu more connections closed since the last line of "
	    "their kind, the last: %s", s->name,
	    (unsigned long long)s->closed_unlogged[k], s->closed_last[k]);
	s->closed_logged_ms[k] = now;
	s->closed_unlogged[k] = 0;
}

/*
 * Closes a client for what it did (or because a newcomer, peer, takes
 * its place), and says why: the first of a burst of its kind as it is,
 * the others counted (closed_summary). A client opening connections and
 * sending junk as fast as it can must not fill the log.
 */
static void __attribute__((format(printf, 6, 7)))
client_close_for(struct mbclient *c, enum mbs_close k, const char *peer,
    uint64_t now, struct mbserver *s, const char *fmt, ...)
{
	char	*last = s->closed_last[k];
	size_t	 size = sizeof(s->closed_last[k]);
	va_list	 ap;
	int	 n;

	n = snprintf(last, size, "%s: ", peer);
	va_start(ap, fmt);
	vsnprintf(last + n, size - (size_t)n, fmt, ap);
	va_end(ap);
	if (s->closed_unlogged[k] == 0 && (s->closed_logged_ms[k] == 0 ||
	    now - s->closed_logged_ms[k] >= MBS_CLOSED_LOG_MS)) {
		log_warnx("%s: %s", s->name, last);
		s->closed_logged_ms[k] = now;
	} else {
		s->closed_unlogged[k]++;
		closed_summary(s, k, now);
	}
	client_drop(c);
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int
mbserver_exception(struct mbserver *s, const uint8_t *adu, int exc)
{
	s->exceptions++;
	return modbus_reply_exception(s->ctx, adu, (unsigned)exc) < 0 ? -1 : 0;
}

/*
 * Takes a complete ADU apart: the function (03, 04, 06 or 16), its
 * registers, a write's values. 0, or the exception code for a function
 * it does not know (01) or a malformed request (03).
 */
int
mbserver_request(const uint8_t *adu, int len, struct mbserver_req *r)
{
	const uint8_t *pdu = adu + MBAP_LEN;
	int	 pdu_len = len - MBAP_LEN;

	r->fc = pdu[0];
	r->write = r->fc == MODBUS_FC_WRITE_SINGLE_REGISTER ||
	    r->fc == MODBUS_FC_WRITE_MULTIPLE_REGISTERS;
	switch (r->fc) {
	case MODBUS_FC_READ_HOLDING_REGISTERS:
	case MODBUS_FC_READ_INPUT_REGISTERS:
	case MODBUS_FC_WRITE_SINGLE_REGISTER:
		if (pdu_len != 5)
			return MB_EXC_ILLEGAL_VALUE;
		r->addr = be16(pdu + 1);
		r->count = r->write ? 1 : be16(pdu + 3);
		r->vals[0] = be16(pdu + 3);
		if (r->count < 1 || r->count > MBS_MAX_READ_REGS)
			return MB_EXC_ILLEGAL_VALUE;
		return 0;
	case MODBUS_FC_WRITE_MULTIPLE_REGISTERS:
		if (pdu_len < 6)
			return MB_EXC_ILLEGAL_VALUE;
		r->addr = be16(pdu + 1);
		r->count = be16(pdu + 3);
		if (r->count < 1 || r->count > MBS_MAX_WRITE_REGS ||
		    pdu[5] != 2 * r->count || pdu_len != 6 + 2 * (int)r->count)
			return MB_EXC_ILLEGAL_VALUE;
		for (unsigned i = 0; i < r->count; i++)
			r->vals[i] = be16(pdu + 6 + 2 * i);
		return 0;
	default:
		return MB_EXC_ILLEGAL_FUNCTION;
	}
}

/*
 * Answers one complete ADU. Returns 0, or -1 when the connection should
 * be closed (a reply could not be sent). Exposed for the tests.
 */
int
mbserver_handle(struct mbserver *s, const uint8_t *adu, int len,
    bool may_write, uint64_t now)
{
	int	 nconn = s->slave->fw.cfg.nconn;
	struct mbserver_req r;
	int	 exc;

	s->requests++;
	if (adu[6] != s->unit_id && adu[6] != 0xFF)
		return mbserver_exception(s, adu, MB_EXC_GATEWAY_TARGET);
	if ((exc = mbserver_request(adu, len, &r)) != 0)
		return mbserver_exception(s, adu, exc);
	if (!r.write) {
		if ((exc = regmap_check_read(r.fc ==
		    MODBUS_FC_READ_INPUT_REGISTERS ? REG_INPUT : REG_HOLDING,
		    r.addr, r.count, nconn)) != 0)
			return mbserver_exception(s, adu, exc);
		slave_regs_inputs(s->slave, now, s->map->tab_input_registers);
		slave_regs_holdings(s->slave, s->map->tab_registers);
	} else {
		/* Only the configured masters may change anything. */
		if (!may_write)
			return mbserver_exception(s, adu, MB_EXC_ILLEGAL_FUNCTION);
		if ((exc = slave_regs_write(s->slave, r.addr, r.count, r.vals,
		    now)) != 0)
			return mbserver_exception(s, adu, exc);
		slave_regs_holdings(s->slave, s->map->tab_registers);
	}
	/* The request is valid for the map: libmodbus answers it. For a
	 * write it also stores the values in its image, which the next
	 * read overwrites from the firmware's state anyway. */
	return modbus_reply(s->ctx, adu, len, s->map) < 0 ? -1 : 0;
}

/* Takes every complete frame out of the client's buffer. */
static void
client_frames(struct mbclient *c, uint64_t now)
{
	struct mbserver *s = c->srv;
	size_t	 used = 0;

	while (c->len - used >= MBAP_LEN) {
		const uint8_t *f = c->buf + used;
		unsigned plen = be16(f + 4);	/* unit id + PDU */

		if (be16(f + 2) != 0 || plen < 2 || plen > ADU_MAX - 6) {
			client_close_for(c, MBS_CLOSE_JUNK, c->peer, now, s,
			    "not a Modbus TCP frame, closing");
			return;
		}
		if (c->len - used < 6 + plen)
			break;
		if (modbus_set_socket(s->ctx, c->fd) != 0 ||
		    s->handle(s, f, (int)(6 + plen), c->may_write, now) != 0) {
			client_drop(c);
			return;
		}
		s->guard[c->slot].last_ms = now;	/* not idle */
		used += 6 + plen;
	}
	memmove(c->buf, c->buf + used, c->len - used);
	c->len -= used;
	/* The clock runs from when the frame now pending began: a client
	 * streaming requests back to back is never "half-sent". */
	if (c->len == 0)
		c->partial_since = 0;
	else if (used > 0 || c->partial_since == 0)
		c->partial_since = now;
}

static void
client_readable(uv_poll_t *p, int status, int events)
{
	struct mbclient *c = p->data;
	ssize_t	 n;

	(void)events;
	if (status < 0) {
		client_drop(c);
		return;
	}
	if (c->srv->blackhole)
		return;		/* leaves the bytes in the kernel */
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		client_drop(c);
		return;
	}
	if (n > 0) {
		c->len += (size_t)n;
		client_frames(c, clock_now_ms());
	}
}

/* A refused connection: counted, and logged now and then. */
static void
refused(struct mbserver *s, const char *peer, const char *why, uint64_t now)
{
	s->dropped++;
	s->refused_unlogged++;
	if (s->refused_logged_ms != 0 &&
	    now - s->refused_logged_ms < MBS_REFUSED_LOG_MS)
		return;
	log_warnx("%s: %s: connection refused: %s (%llu refused since the "
	    "last report)", s->name, peer, why,
	    (unsigned long long)s->refused_unlogged);
	s->refused_logged_ms = now;
	s->refused_unlogged = 0;
}

/* Takes a new connection where the rules (mbguard.c) say, or closes it. */
static void
accept_ready(uv_poll_t *p, int status, int events)
{
	struct mbserver *s = p->data;
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	struct mbclient *c;
	char	 peer[INET_ADDRSTRLEN];
	uint64_t now = clock_now_ms();
	bool	 master = false;
	int	 fd, slot = -1;

	(void)events;
	if (status < 0)
		return;
	fd = accept4(s->fd, (struct sockaddr *)&sa, &salen,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	inet_ntop(AF_INET, &sa.sin_addr, peer, sizeof(peer));
	for (int i = 0; i < s->nmasters; i++)
		if (s->masters[i] == (sa.sin_addr.s_addr & s->masks[i]))
			master = true;
	switch (mbguard_admit(s->guard, MBS_MAX_CLIENTS, sa.sin_addr.s_addr,
	    master, &slot)) {
	case MBG_ACCEPT:
		break;
	case MBG_EVICT:
		/* what mbguard_admit decided, said as it is: the quietest
		 * connection (however recent its last request) gives way to
		 * one from an address in the server's list (s->privileged) */
		if (s->guard[slot].addr == sa.sin_addr.s_addr)
			client_close_for(s->clients[slot], MBS_CLOSE_ROOM, peer,
			    now, s, "a third connection from %s: closing its "
			    "own quiet longest (no request for %llu ms)",
			    s->privileged,
			    (unsigned long long)(now - s->guard[slot].last_ms));
		else
			client_close_for(s->clients[slot], MBS_CLOSE_ROOM, peer,
			    now, s, "every connection taken: closing %s's, quiet "
			    "longest (no request for %llu ms), to make room "
			    "for %s", s->clients[slot]->peer,
			    (unsigned long long)(now - s->guard[slot].last_ms),
			    s->privileged);
		break;
	case MBG_REFUSE_ADDR:
		refused(s, peer, "it has its connections already", now);
		close(fd);
		return;
	case MBG_REFUSE_FULL:
		refused(s, peer, "every connection is taken", now);
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		refused(s, peer, "out of memory", now);
		close(fd);
		return;
	}
	c->srv = s;
	c->fd = fd;
	c->slot = slot;
	c->may_write = master;
	memcpy(c->peer, peer, sizeof(c->peer));
	if (uv_poll_init(s->loop, &c->poll, fd) != 0) {
		close(fd);
		free(c);
		return;
	}
	c->poll.data = c;
	s->clients[slot] = c;
	s->guard[slot] = (struct mbg_conn){ true, master, sa.sin_addr.s_addr,
	    now };
	uv_poll_start(&c->poll, UV_READABLE | UV_DISCONNECT, client_readable);
}

/*
 * Listens on ip:port; every complete frame goes to fn. The register
 * image (s->map) covers addresses 0..SLAVE_REGS_SPAN-1 of both tables.
 */
int
mbserver_listen(struct mbserver *s, uv_loop_t *loop, const char *ip, int port,
    const char *name, mbserver_fn fn, void *arg, char *err, size_t errlen)
{
	int	 flags;

	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->handle = fn;
	s->arg = arg;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->privileged = "its master";
	s->ctx = modbus_new_tcp(ip, port);
	s->map = modbus_mapping_new(0, 0, SLAVE_REGS_SPAN, SLAVE_REGS_SPAN);
	if (s->ctx == NULL || s->map == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((s->fd = modbus_tcp_listen(s->ctx, 16)) < 0) {
		snprintf(err, errlen, "listen on %s:%d: %s", ip, port,
		    modbus_strerror(errno));
		goto fail;
	}
	flags = fcntl(s->fd, F_GETFL);
	fcntl(s->fd, F_SETFL, flags | O_NONBLOCK);
	fcntl(s->fd, F_SETFD, FD_CLOEXEC);
	uv_poll_init(loop, &s->poll, s->fd);
	s->poll.data = s;
	uv_poll_start(&s->poll, UV_READABLE, accept_ready);
	s->open = true;
	return 0;
fail:
	if (s->map != NULL)
		modbus_mapping_free(s->map);
	if (s->ctx != NULL)
		modbus_free(s->ctx);
	s->map = NULL;
	s->ctx = NULL;
	return -1;
}

/* A charger's register map server. */
int
mbserver_start(struct mbserver *s, uv_loop_t *loop, struct slave *slave,
    const struct slave_config *conf, const char *name, char *err,
    size_t errlen)
{
	if (mbserver_listen(s, loop, conf->link.listen, conf->link.port, name,
	    mbserver_handle, slave, err, errlen) != 0)
		return -1;
	s->slave = slave;
	s->unit_id = conf->link.unit_id;
	if (mbserver_masters(s, conf->link.masters) < 0) {
		snprintf(err, errlen, "link.masters: not a list of IPv4 "
		    "addresses");
		mbserver_close(s);
		return -1;
	}
	return 0;
}

/*
 * The addresses that may write, and that always get a connection
 * (link.masters). Returns how many, or -1 (nothing changed) for a list
 * that is not one. Applies to connections made from now on.
 */
int
mbserver_masters(struct mbserver *s, const char *list)
{
	uint32_t a[SLAVE_MAX_MASTERS];
	int	 n = slave_config_masters(list, a, SLAVE_MAX_MASTERS);

	if (n < 0)
		return -1;
	memcpy(s->masters, a, sizeof(a));
	memset(s->masks, 0xff, sizeof(s->masks));
	s->nmasters = n;
	return n;
}

/* Drops clients that have left a frame half-sent for too long, and
 * other addresses' connections that have been idle too long. */
void
mbserver_tick(struct mbserver *s, uint64_t now)
{
	for (int i = 0; i < MBS_MAX_CLIENTS; i++) {
		struct mbclient *c = s->clients[i];

		if (c == NULL)
			continue;
		if (c->partial_since != 0 &&
		    now - c->partial_since >= MBS_PARTIAL_FRAME_MS) {
			client_close_for(c, MBS_CLOSE_PARTIAL, c->peer, now, s,
			    "frame incomplete for %d ms, closing",
			    MBS_PARTIAL_FRAME_MS);
		} else if (mbguard_idle(&s->guard[i], now)) {
			client_close_for(c, MBS_CLOSE_IDLE, c->peer, now, s,
			    "idle for %d ms, closing", MBG_IDLE_MS);
		}
	}
	for (int k = 0; k < MBS_CLOSE_KINDS; k++)
		closed_summary(s, (enum mbs_close)k, now);
}

static void
server_closed(uv_handle_t *h)
{
	struct mbserver *s = h->data;

	close(s->fd);
	modbus_mapping_free(s->map);
	modbus_free(s->ctx);
	s->map = NULL;
	s->ctx = NULL;
}

void
mbserver_close(struct mbserver *s)
{
	if (!s->open)
		return;
	s->open = false;
	/* the closings owed a line: said now, not lost */
	for (int k = 0; k < MBS_CLOSE_KINDS; k++)
		closed_summary(s, (enum mbs_close)k, s->closed_logged_ms[k] +
		    MBS_CLOSED_LOG_MS);
	for (int i = 0; i < MBS_MAX_CLIENTS; i++)
		if (s->clients[i] != NULL)
			client_drop(s->clients[i]);
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, server_closed);
}
