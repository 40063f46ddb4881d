/*
 * ocppnet.c: the OCPP-J websocket clients of the charge points, all in
 * one libwebsockets service thread; events to the loop through a bounded
 * queue and a uv_async. The password never reaches a log line.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <unistd.h>

#include "log.h"
#include "ocppnet.h"

/* Events waiting for the loop: at least this many, or four a charge
 * point; beyond, they are dropped and counted (the CSMS's CALL then
 * times out, and the core's own timeouts take over). */
#define EVQ_MIN		256
#define EVQ_PER_CP	4
#define SUBPROTOCOL	"ocpp1.6"
/* How long ocppnet_stop() waits for the CSMS's answers to its close
 * frames. */
#define STOP_WAIT_MS	1000
/* A connection that stayed up this long starts the back-off afresh. */
#define STABLE_US	(10 * LWS_US_PER_SEC)
/* A close the charge point asks waits, once its queue is written, until
 * the CSMS has been quiet this long (its answers read), at most
 * CLOSE_MAX_US: closing a socket with unread input resets it (TCP RST),
 * and a CSMS then loses what it had not read yet of ours (seen with
 * Node's ws under load: 18 of 20 messages gone, close code 1006). */
#define CLOSE_QUIET_US	(200 * 1000)
#define CLOSE_MAX_US	(2 * LWS_US_PER_SEC)

enum cp_state { CP_WAIT, CP_CONNECTING, CP_UP };

struct msg {
	struct msg	*next;
	size_t		 len;
	unsigned char	 buf[];		/* LWS_PRE, then the text */
};

struct ev {
	int		 cp;
	enum ocppnet_ev	 type;
	char		*text;		/* TEXT's, or DOWN's reason */
	size_t		 len;
};

struct cp {
	struct ocppnet		*net;
	int			 idx;
	struct ocppnet_url	 url;
	char			 auth[200];	/* the Authorization value */
	lws_sorted_usec_list_t	 sul;		/* the next attempt */
	struct lws		*wsi;		/* service thread only */
	enum cp_state		 state;		/* service thread only */
	int			 attempt;
	lws_usec_t		 up_since;
	char			 why[160];	/* this attempt's failure */
	char			*rx;		/* a message in fragments */
	size_t			 rxlen, rxcap;
	lws_usec_t		 closing_since;	/* queue written, close asked */
	lws_usec_t		 last_rx;	/* the CSMS's last message */
	/* under net->mu */
	bool			 up;
	bool			 wake;		/* has something to write */
	bool			 close_req;
	struct msg		*txhead, *txtail;
	int			 ntx;
};

struct ocppnet {
	struct ocppnet_conf	 conf;
	struct cp		*cp;
	struct lws_context	*ctx;
	lws_retry_bo_t		 retry;
	uv_thread_t		 thread;
	uv_async_t		 async;
	uv_mutex_t		 mu;
	bool			 stopping;	/* under mu */
	bool			 closing_all;	/* under mu: stop's close frames */
	bool			 thread_started;
	struct ev		*evq;		/* ring, under mu */
	int			 evcap, evhead, evn;
	struct ocppnet_stats	 st;		/* under mu */
};

/* ---- to the loop ------------------------------------------------- */

/* Queues an event for the loop (text copied); under no lock. */
static void
post(struct ocppnet *n, int cp, enum ocppnet_ev type, const char *text,
    size_t len)
{
	char	*copy = NULL;

	if (text != NULL) {
		if ((copy = malloc(len + 1)) == NULL)
			len = 0;
		else {
			memcpy(copy, text, len);
			copy[len] = '\0';
		}
	}
	uv_mutex_lock(&n->mu);
	if (n->stopping || n->evn == n->evcap) {
		if (!n->stopping)
			n->st.ev_dropped++;
		uv_mutex_unlock(&n->mu);
		free(copy);
		return;
	}
	n->evq[(n->evhead + n->evn) % n->evcap] =
	    (struct ev){ cp, type, copy, len };
	n->evn++;
	uv_mutex_unlock(&n->mu);
	uv_async_send(&n->async);
}

static void
on_async(uv_async_t *a)
{
	struct ocppnet	*n = a->data;
	struct ev	 e;

	for (;;) {
		uv_mutex_lock(&n->mu);
		if (n->evn == 0 || n->stopping) {
			uv_mutex_unlock(&n->mu);
			return;
		}
		e = n->evq[n->evhead];
		n->evhead = (n->evhead + 1) % n->evcap;
		n->evn--;
		uv_mutex_unlock(&n->mu);
		n->conf.on_event(n->conf.arg, e.cp, e.type,
		    e.type == OCPPNET_TEXT ? e.text : NULL,
		    e.type == OCPPNET_TEXT ? e.len : 0,
		    e.type == OCPPNET_DOWN ? e.text : NULL);
		free(e.text);
	}
}

/* ---- the service thread ------------------------------------------ */

static void	connect_cp(lws_sorted_usec_list_t *);

static void
tx_clear(struct cp *c)
{
	struct msg *m;

	while ((m = c->txhead) != NULL) {
		c->txhead = m->next;
		free(m);
	}
	c->txtail = NULL;
	c->ntx = 0;
}

/* The connection or the attempt ended: DOWN, and the next attempt after
 * the back-off. */
static void
down(struct cp *c, const char *why)
{
	struct ocppnet	*n = c->net;
	bool		 stopping, was_up = c->state == CP_UP;
	uint64_t	 ms;

	if (c->state == CP_WAIT)
		return;
	if (was_up && lws_now_usecs() - c->up_since >= STABLE_US)
		c->attempt = 0;
	c->state = CP_WAIT;
	c->wsi = NULL;
	c->rxlen = 0;
	uv_mutex_lock(&n->mu);
	stopping = n->stopping || n->closing_all;
	if (c->up)
		n->st.up--;
	c->up = false;
	if (c->close_req)
		c->attempt = 0;
	c->close_req = false;
	tx_clear(c);
	n->st.failures++;
	uv_mutex_unlock(&n->mu);
	if (stopping)
		return;
	post(n, c->idx, OCPPNET_DOWN, why, strlen(why));
	ms = ocppnet_backoff_ms(c->attempt, randombytes_random());
	if (c->attempt < 16)
		c->attempt++;
	lws_sul_schedule(n->ctx, 0, &c->sul, connect_cp,
	    (lws_usec_t)ms * LWS_US_PER_MS);
}

static void
connect_cp(lws_sorted_usec_list_t *sul)
{
	struct cp	*c = lws_container_of(sul, struct cp, sul);
	struct ocppnet	*n = c->net;
	struct lws_client_connect_info i;
	bool	 closing;

	uv_mutex_lock(&n->mu);
	closing = n->closing_all;
	uv_mutex_unlock(&n->mu);
	if (closing)
		return;
	memset(&i, 0, sizeof(i));
	i.context = n->ctx;
	i.address = c->url.host;
	i.port = c->url.port;
	i.path = c->url.path;
	i.host = c->url.hostport;
	i.origin = c->url.hostport;
	i.protocol = SUBPROTOCOL;
	i.local_protocol_name = "evg-ocpp";
	i.ssl_connection = c->url.tls ? LCCSCF_USE_SSL : 0;
	i.opaque_user_data = c;
	i.retry_and_idle_policy = &n->retry;
	i.pwsi = &c->wsi;
	c->state = CP_CONNECTING;
	c->why[0] = '\0';
	if (lws_client_connect_via_info(&i) == NULL && c->state ==
	    CP_CONNECTING)
		down(c, "cannot start a connection");
}

/* The reason of a failed attempt, in the installer's words where lws's
 * are terse. */
static const char *
failure_why(struct cp *c, const char *in)
{
	if (c->why[0] != '\0')
		return c->why;
	if (in == NULL)
		return "connection failed";
	if (strstr(in, "unauthorized") != NULL)
		return "refused by the CSMS: 401 Unauthorized (identity or "
		    "password)";
	snprintf(c->why, sizeof(c->why), "%s", in);
	return c->why;
}

static void
wake_all(struct ocppnet *n)
{
	for (int k = 0; k < n->conf.ncp; k++) {
		struct cp *c = &n->cp[k];
		bool	 wake, close_req;

		uv_mutex_lock(&n->mu);
		if (n->closing_all && c->up)
			c->close_req = true;
		wake = c->wake;
		close_req = c->close_req;
		c->wake = false;
		uv_mutex_unlock(&n->mu);
		if (c->wsi == NULL)
			continue;
		if (wake || close_req)
			lws_callback_on_writable(c->wsi);
	}
}

/* Whether the close asked may go now: the CSMS quiet for CLOSE_QUIET_US
 * since the queue was written (or CLOSE_MAX_US gone); otherwise the
 * timer comes back here. */
static bool
close_now(struct cp *c, struct lws *wsi)
{
	lws_usec_t now = lws_now_usecs(), at;

	if (c->closing_since == 0)
		c->closing_since = now;
	at = (c->last_rx > c->closing_since ? c->last_rx : c->closing_since) +
	    CLOSE_QUIET_US;
	if (at > c->closing_since + CLOSE_MAX_US)
		at = c->closing_since + CLOSE_MAX_US;
	if (now >= at)
		return true;
	lws_set_timer_usecs(wsi, at - now);
	return false;
}

static int
write_one(struct cp *c, struct lws *wsi)
{
	struct ocppnet	*n = c->net;
	struct msg	*m;
	bool		 more, close_req, stopping;
	int		 w;

	/* a close asked goes after what was queued before it: the caller
	 * took those as sent (ocppnet_send() refuses any after the ask) */
	uv_mutex_lock(&n->mu);
	close_req = c->close_req;
	stopping = n->closing_all;
	m = c->txhead;
	if (m != NULL) {
		c->txhead = m->next;
		if (c->txhead == NULL)
			c->txtail = NULL;
		c->ntx--;
	}
	more = c->txhead != NULL;
	uv_mutex_unlock(&n->mu);
	/* the master stopping waits STOP_WAIT_MS in all: no quiet asked */
	if (m == NULL && close_req && !stopping && !close_now(c, wsi))
		return 0;
	if (m == NULL && close_req) {
		snprintf(c->why, sizeof(c->why), "closed by the charge point");
		lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
		    (unsigned char *)"bye", 3);
		return -1;
	}
	if (m == NULL)
		return 0;
	w = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
	free(m);
	if (w < 0) {
		snprintf(c->why, sizeof(c->why), "write failed");
		return -1;
	}
	if (more || close_req)
		lws_callback_on_writable(wsi);
	return 0;
}

static int
receive(struct cp *c, struct lws *wsi, const void *in, size_t len)
{
	size_t	 need = c->rxlen + len;

	c->last_rx = lws_now_usecs();

	if (lws_frame_is_binary(wsi)) {
		snprintf(c->why, sizeof(c->why), "binary frame from the CSMS");
		return -1;
	}
	if (need > OCPPNET_MAX_MSG) {
		snprintf(c->why, sizeof(c->why), "message longer than %d bytes",
		    OCPPNET_MAX_MSG);
		/* dropped without a close status: libwebsockets 4.1 writes
		 * past its receive buffer when lws_close_reason() is called
		 * from the receive callback (valgrind: an invalid write, a
		 * double free in the release build) */
		return -1;
	}
	if (need > c->rxcap) {
		size_t	 cap = c->rxcap ? c->rxcap : 4096;
		char	*r;

		while (cap < need)
			cap *= 2;
		if ((r = realloc(c->rx, cap)) == NULL)
			return -1;
		c->rx = r;
		c->rxcap = cap;
	}
	memcpy(c->rx + c->rxlen, in, len);
	c->rxlen = need;
	if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) ==
	    0) {
		post(c->net, c->idx, OCPPNET_TEXT, c->rx, c->rxlen);
		c->rxlen = 0;
	}
	return 0;
}

static int
established(struct cp *c)
{
	struct ocppnet *n = c->net;
	bool	 more;

	c->state = CP_UP;
	c->up_since = lws_now_usecs();
	c->closing_since = 0;
	c->last_rx = 0;
	uv_mutex_lock(&n->mu);
	c->up = true;
	n->st.up++;
	n->st.connects++;
	more = c->txhead != NULL || c->close_req;
	uv_mutex_unlock(&n->mu);
	post(n, c->idx, OCPPNET_UP, NULL, 0);
	if (more)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* The subprotocol must be ocpp1.6: a server that answers none or another
 * is not an OCPP 1.6 CSMS (OCPP-J 1.6, section 3.1.2). */
static int
check_protocol(struct cp *c, struct lws *wsi)
{
	char	 p[32];

	if (lws_hdr_copy(wsi, p, sizeof(p), WSI_TOKEN_PROTOCOL) <= 0 ||
	    strcmp(p, SUBPROTOCOL) != 0) {
		snprintf(c->why, sizeof(c->why),
		    "the CSMS did not accept the subprotocol " SUBPROTOCOL);
		return 1;
	}
	return 0;
}

static int
peer_close(struct cp *c, const unsigned char *in, size_t len)
{
	int	 code = len >= 2 ? (in[0] << 8) | in[1] : 0;
	int	 rl = len > 2 ? (int)(len - 2) : 0;

	if (rl > 100)
		rl = 100;
	snprintf(c->why, sizeof(c->why), "closed by the CSMS (%d%s%.*s)",
	    code, rl ? " " : "", rl, rl ? (const char *)in + 2 : "");
	return 0;
}

/* OpenSSL's verdict on the CSMS's certificate, for DOWN's reason (lws
 * itself only says "connect SSL err 1"); the verdict stands. */
static int
cert_verdict(struct cp *c, void *x509_ctx, size_t preverify_ok)
{
	int	 err;

	if (preverify_ok || x509_ctx == NULL)
		return 0;
	err = X509_STORE_CTX_get_error(x509_ctx);
	if (err != X509_V_OK && c->why[0] == '\0')
		snprintf(c->why, sizeof(c->why),
		    "the CSMS's certificate is refused: %s",
		    X509_verify_cert_error_string(err));
	return 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct cp	*c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
	unsigned char	**p, *end;

	if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
		struct ocppnet *n = lws_context_user(lws_get_context(wsi));

		if (n != NULL)
			wake_all(n);
		return 0;
	}
	if (c == NULL)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
		return cert_verdict(c, user, len);
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (c->auth[0] == '\0')
			return 0;
		p = (unsigned char **)in;
		end = *p + len;
		if (lws_add_http_header_by_token(wsi,
		    WSI_TOKEN_HTTP_AUTHORIZATION, (unsigned char *)c->auth,
		    (int)strlen(c->auth), p, end) != 0)
			return -1;
		return 0;
	case LWS_CALLBACK_CLIENT_FILTER_PRE_ESTABLISH:
		return check_protocol(c, wsi);
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		return established(c);
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return receive(c, wsi, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return write_one(c, wsi);
	case LWS_CALLBACK_TIMER:	/* a close waiting for quiet */
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		return peer_close(c, in, len);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		down(c, failure_why(c, in));
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		down(c, c->why[0] ? c->why : "connection lost");
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		if (c->wsi == wsi)
			c->wsi = NULL;
		if (c->state != CP_WAIT)
			down(c, failure_why(c, NULL));
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols protocols[] = {
	{ "evg-ocpp", callback, 0, 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
service(void *arg)
{
	struct ocppnet *n = arg;
	bool	 stop = false;

	for (int k = 0; k < n->conf.ncp; k++)
		lws_sul_schedule(n->ctx, 0, &n->cp[k].sul, connect_cp,
		    (lws_usec_t)1);
	while (!stop) {
		lws_service(n->ctx, 0);
		uv_mutex_lock(&n->mu);
		stop = n->stopping;
		uv_mutex_unlock(&n->mu);
	}
}

/* libwebsockets' own messages, for debugging only: its errors reach the
 * log through each charge point's DOWN reason. */
static void
lws_emit(int level, const char *line)
{
	(void)level;
	log_at(LOG_DEBUG, "ocpp: lws: %.*s", (int)strcspn(line, "\n"), line);
}

/* ---- the interface ------------------------------------------------ */

static int
check_conf(const struct ocppnet_conf *conf)
{
	struct ocppnet_url u;
	char	 why[96];

	if (conf->security_profile < 0 || conf->security_profile > 2) {
		log_warnx("ocpp: security profile %d: 0, 1 or 2",
		    conf->security_profile);
		return -1;
	}
	if (conf->ca_file[0] != '\0' && access(conf->ca_file, R_OK) != 0) {
		log_warn("ocpp: ca_file %s", conf->ca_file);
		return -1;
	}
	if (conf->ncp < 0 || conf->on_event == NULL ||
	    (conf->ncp > 0 && conf->cp == NULL))
		return -1;
	for (int k = 0; k < conf->ncp; k++) {
		if (ocppnet_url_split(conf->url, conf->cp[k].identity, &u, why,
		    sizeof(why)) != 0) {
			log_warnx("ocpp: url for %s: %s", conf->cp[k].identity,
			    why);
			return -1;
		}
		if (conf->security_profile == 2 && !u.tls) {
			log_warnx("ocpp: security profile 2 needs a wss:// url");
			return -1;
		}
		if (conf->security_profile >= 1 &&
		    conf->cp[k].password[0] == '\0') {
			log_warnx("ocpp: %s: security profile %d needs a "
			    "password", conf->cp[k].identity,
			    conf->security_profile);
			return -1;
		}
	}
	return 0;
}

static void
free_net(struct ocppnet *n)
{
	if (n->cp != NULL)
		for (int k = 0; k < n->conf.ncp; k++) {
			tx_clear(&n->cp[k]);
			free(n->cp[k].rx);
			sodium_memzero(n->cp[k].auth, sizeof(n->cp[k].auth));
		}
	if (n->evq != NULL)
		for (int k = 0; k < n->evn; k++)
			free(n->evq[(n->evhead + k) % n->evcap].text);
	free(n->evq);
	free(n->cp);
	uv_mutex_destroy(&n->mu);
	sodium_memzero(n, sizeof(*n));
	free(n);
}

static void
on_closed(uv_handle_t *h)
{
	free_net(h->data);
}

static int
make_context(struct ocppnet *n)
{
	struct lws_context_creation_info info;
	bool	 tls = false;

	for (int k = 0; k < n->conf.ncp; k++)
		tls |= n->cp[k].url.tls != 0;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.user = n;
	info.gid = -1;
	info.uid = -1;
	/* one fd a charge point, and some to spare */
	info.fd_limit_per_thread = (unsigned int)(n->conf.ncp + 32);
	if (tls) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		if (n->conf.ca_file[0] != '\0')
			info.client_ssl_ca_filepath = n->conf.ca_file;
	}
	n->ctx = lws_create_context(&info);
	return n->ctx == NULL ? -1 : 0;
}

int
ocppnet_start(struct ocppnet **out, const struct ocppnet_conf *conf,
    uv_loop_t *loop)
{
	struct ocppnet	*n;
	char		 why[96];
	int		 ping;

	*out = NULL;
	if (check_conf(conf) != 0 || sodium_init() < 0)
		return -1;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return -1;
	n->conf = *conf;
	n->cp = calloc((size_t)conf->ncp + 1, sizeof(*n->cp));
	n->evcap = conf->ncp * EVQ_PER_CP > EVQ_MIN ? conf->ncp * EVQ_PER_CP :
	    EVQ_MIN;
	n->evq = calloc((size_t)n->evcap, sizeof(*n->evq));
	uv_mutex_init(&n->mu);
	if (n->cp == NULL || n->evq == NULL)
		goto fail;
	n->conf.cp = NULL;
	for (int k = 0; k < conf->ncp; k++) {
		struct cp *c = &n->cp[k];

		c->net = n;
		c->idx = k;
		(void)ocppnet_url_split(conf->url, conf->cp[k].identity,
		    &c->url, why, sizeof(why));
		if (conf->security_profile >= 1 && ocppnet_basic_auth(
		    conf->cp[k].identity, conf->cp[k].password, c->auth,
		    sizeof(c->auth)) != 0)
			goto fail;
	}
	/* WebSocketPingInterval: a ping after that long without a pong,
	 * the connection given up when no pong came for as long again
	 * (at least 5 s more) */
	ping = conf->ping_interval_s;
	if (ping > 0) {
		n->retry.secs_since_valid_ping = (uint16_t)ping;
		n->retry.secs_since_valid_hangup = (uint16_t)(ping +
		    (ping > 5 ? ping : 5));
	}
	lws_set_log_level(LLL_ERR, lws_emit);
	if (make_context(n) != 0) {
		log_warnx("ocpp: cannot start the websocket clients%s",
		    n->conf.ca_file[0] ? " (is ca_file readable?)" : "");
		goto fail;
	}
	uv_async_init(loop, &n->async, on_async);
	n->async.data = n;
	if (uv_thread_create(&n->thread, service, n) != 0) {
		lws_context_destroy(n->ctx);
		uv_close((uv_handle_t *)&n->async, on_closed);
		return -1;
	}
	n->thread_started = true;
	*out = n;
	return 0;
fail:
	if (n->ctx != NULL)
		lws_context_destroy(n->ctx);
	free_net(n);
	return -1;
}

int
ocppnet_send(struct ocppnet *n, int cp, const char *text, size_t len)
{
	struct cp	*c;
	struct msg	*m;

	if (cp < 0 || cp >= n->conf.ncp || len > OCPPNET_MAX_MSG)
		return -1;
	c = &n->cp[cp];
	if ((m = malloc(sizeof(*m) + LWS_PRE + len)) == NULL)
		return -1;
	m->next = NULL;
	m->len = len;
	memcpy(m->buf + LWS_PRE, text, len);
	uv_mutex_lock(&n->mu);
	if (!c->up || c->close_req || c->ntx >= OCPPNET_SENDQ) {
		if (c->up)
			n->st.tx_dropped++;
		uv_mutex_unlock(&n->mu);
		free(m);
		return -1;
	}
	if (c->txtail != NULL)
		c->txtail->next = m;
	else
		c->txhead = m;
	c->txtail = m;
	c->ntx++;
	c->wake = true;
	uv_mutex_unlock(&n->mu);
	lws_cancel_service(n->ctx);
	return 0;
}

void
ocppnet_close(struct ocppnet *n, int cp)
{
	if (cp < 0 || cp >= n->conf.ncp)
		return;
	uv_mutex_lock(&n->mu);
	n->cp[cp].close_req = n->cp[cp].up;
	uv_mutex_unlock(&n->mu);
	lws_cancel_service(n->ctx);
}

void
ocppnet_stats(struct ocppnet *n, struct ocppnet_stats *st)
{
	uv_mutex_lock(&n->mu);
	*st = n->st;
	uv_mutex_unlock(&n->mu);
}

void
ocppnet_stop(struct ocppnet *n)
{
	if (n == NULL)
		return;
	if (n->thread_started) {
		/* a close frame to the CSMS on every connection, so that it
		 * sees a charge point leave rather than a connection lost:
		 * at most STOP_WAIT_MS */
		uv_mutex_lock(&n->mu);
		n->closing_all = true;
		uv_mutex_unlock(&n->mu);
		lws_cancel_service(n->ctx);
		for (int ms = 0; ms < STOP_WAIT_MS; ms += 10) {
			int	 up;

			uv_mutex_lock(&n->mu);
			up = n->st.up;
			uv_mutex_unlock(&n->mu);
			if (up == 0)
				break;
			uv_sleep(10);
		}
	}
	uv_mutex_lock(&n->mu);
	n->stopping = true;
	uv_mutex_unlock(&n->mu);
	if (n->thread_started) {
		lws_cancel_service(n->ctx);
		uv_thread_join(&n->thread);
	}
	/* closes what is still open; down() posts nothing now */
	lws_context_destroy(n->ctx);
	n->ctx = NULL;
	uv_close((uv_handle_t *)&n->async, on_closed);
}
