/*
 * web.c: libmicrohttpd in its own threads (one per connection, so that an
 * event stream may wait for the next message), the bridge into the loop,
 * the published snapshots and the API's read connection. See web.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <sqlite3.h>

#include "api.h"
#include "clock.h"
#include "master.h"
#include "web.h"

#define WEB_KEEPALIVE_HINT	"timeout=9"	/* < WEBCONN_HEADERS_MS */

/* --- shared messages ----------------------------------------------------- */

static struct web_buf *
buf_new(uint64_t seq, const char *prefix, const char *text, const char *sfx)
{
	size_t	 a = strlen(prefix), b = strlen(text), c = strlen(sfx);
	struct web_buf *wb = malloc(sizeof(*wb) + a + b + c + 1);

	if (wb == NULL)
		return NULL;
	wb->refs = 1;
	wb->seq = seq;
	wb->len = a + b + c;
	wb->body = a;
	wb->body_len = b;
	memcpy(wb->data, prefix, a);
	memcpy(wb->data + a, text, b);
	memcpy(wb->data + a + b, sfx, c + 1);
	return wb;
}

static struct web_buf *
buf_ref(struct web_buf *wb)
{
	if (wb != NULL)
		__atomic_add_fetch(&wb->refs, 1, __ATOMIC_RELAXED);
	return wb;
}

void
web_unref(struct web *w, struct web_buf *wb)
{
	(void)w;
	if (wb != NULL && __atomic_sub_fetch(&wb->refs, 1, __ATOMIC_ACQ_REL) ==
	    0)
		free(wb);
}

/* Under w->mu: a message for the event streams. */
static void
ring_put(struct web *w, struct web_buf *wb)
{
	struct web_buf **slot = &w->ring[wb->seq % WEB_SSE_RING];

	web_unref(w, *slot);
	*slot = wb;
}

/*
 * The publisher: the site's status, when someone reads it (publish.c).
 * One buffer serves GET /api/status (its body) and the streams (whole).
 * A newer status supersedes the one before it: that one leaves the ring
 * (a stream that had not reached it gets the newer one in its turn), so
 * the ring holds one status, not up to WEB_SSE_RING of them: each is
 * about 450 bytes a connector, and 64 statuses of 2000 connectors were
 * 58 MB, most of the master's memory (docs/performance.md).
 */
void
web_publish_status(struct web *w, const char *json)
{
	struct web_buf *sse, **old;

	uv_mutex_lock(&w->mu);
	if ((sse = buf_new(w->seq + 1, WEB_STATUS_PREFIX, json, "\n\n")) !=
	    NULL) {
		w->seq++;
		if (w->status != NULL && *(old = &w->ring[w->status->seq %
		    WEB_SSE_RING]) == w->status) {
			web_unref(w, *old);
			*old = NULL;
		}
		web_unref(w, w->status);
		w->status = buf_ref(sse);
		ring_put(w, sse);
		uv_cond_broadcast(&w->cv);
	}
	uv_mutex_unlock(&w->mu);
}

void
web_publish_event(struct web *w, const char *json)
{
	struct web_buf *sse;

	uv_mutex_lock(&w->mu);
	if ((sse = buf_new(w->seq + 1, "event: event\ndata: ", json,
	    "\n\n")) != NULL) {
		w->seq++;
		ring_put(w, sse);
		uv_cond_broadcast(&w->cv);
	}
	uv_mutex_unlock(&w->mu);
}

/* The newest status, made for the newest snapshot if nobody was reading
 * (publisher_sync). */
struct web_buf *
web_status_ref(struct web *w)
{
	struct web_buf *wb;

	publisher_sync(&w->m->pub);
	uv_mutex_lock(&w->mu);
	wb = buf_ref(w->status);
	uv_mutex_unlock(&w->mu);
	return wb;
}

int
web_streams(struct web *w)
{
	return __atomic_load_n(&w->streams, __ATOMIC_RELAXED);
}

/* The newest status message, while the ring still holds it (a stream's
 * start, or a reader that fell behind). Under w->mu. */
static struct web_buf *
latest_status(struct web *w)
{
	if (w->status != NULL && w->status->seq + WEB_SSE_RING > w->seq)
		return w->status;
	return NULL;
}

/*
 * The next message of a stream after *next (0: start with the latest
 * status), waiting up to wait_ms; NULL when none came (send a keep-alive)
 * or when the server stops (*stopping).
 */
struct web_buf *
web_next_msg(struct web *w, uint64_t *next, uint64_t wait_ms, bool *stopping)
{
	struct web_buf *wb = NULL;
	uint64_t deadline = clock_now_ms() + wait_ms;

	if (*next == 0)
		publisher_sync(&w->m->pub);	/* a fresh status to start */
	uv_mutex_lock(&w->mu);
	for (;;) {
		uint64_t now;

		if ((*stopping = w->stopping))
			break;
		if (*next == 0 || (*next <= w->seq &&
		    w->seq - *next >= WEB_SSE_RING)) {
			/* new, or so slow that the ring moved on: a fresh
			 * snapshot, then what follows it */
			if ((wb = latest_status(w)) != NULL) {
				*next = wb->seq + 1;
				buf_ref(wb);
				break;
			}
		} else if (*next <= w->seq) {
			wb = w->ring[*next % WEB_SSE_RING];
			(*next)++;
			if (wb == NULL)
				continue;	/* a status superseded */
			buf_ref(wb);
			break;
		}
		now = clock_now_ms();
		if (now >= deadline)
			break;
		(void)uv_cond_timedwait(&w->cv, &w->mu,
		    (deadline - now) * 1000000);
	}
	uv_mutex_unlock(&w->mu);
	return wb;
}

/* --- the bridge into the loop -------------------------------------------- */

static void
on_async(uv_async_t *h)
{
	struct web *w = h->data;
	struct web_call *c, *next;

	uv_mutex_lock(&w->mu);
	c = w->calls;
	w->calls = NULL;
	w->calls_tail = &w->calls;
	uv_mutex_unlock(&w->mu);
	for (; c != NULL; c = next) {
		char	*r;

		next = c->next;
		r = c->fn(w->m, c->ctx);
		uv_mutex_lock(&w->mu);
		c->result = r;
		c->done = true;
		uv_cond_broadcast(&w->cv);
		uv_mutex_unlock(&w->mu);
	}
}

/* Runs fn in the loop and returns what it returned; NULL when stopping. */
char *
web_call(struct web *w, web_loop_fn fn, void *ctx)
{
	struct web_call c = { .fn = fn, .ctx = ctx };

	if (w->direct)
		return fn(w->m, ctx);
	uv_mutex_lock(&w->mu);
	if (w->stopping) {
		uv_mutex_unlock(&w->mu);
		return NULL;
	}
	*w->calls_tail = &c;
	w->calls_tail = &c.next;
	uv_mutex_unlock(&w->mu);
	uv_async_send(&w->async);
	uv_mutex_lock(&w->mu);
	while (!c.done)
		uv_cond_wait(&w->cv, &w->mu);
	uv_mutex_unlock(&w->mu);
	return c.result;
}

/* --- libmicrohttpd ------------------------------------------------------- */

struct conn {
	char		*body;
	size_t		 len;
	bool		 too_large;
};

struct sse {
	struct web	*w;
	uint64_t	 next;
	struct web_buf	*cur;
	size_t		 off;
	bool		 started;
};

static ssize_t
sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	static const char keepalive[] = ": keep-alive\n\n";
	static const char retry[] = "retry: 2000\n\n";
	struct sse *s = cls;
	size_t	 n;
	bool	 stopping;

	(void)pos;
	if (!s->started) {
		s->started = true;
		n = sizeof(retry) - 1 < max ? sizeof(retry) - 1 : max;
		memcpy(buf, retry, n);
		return (ssize_t)n;
	}
	if (s->cur == NULL) {
		s->cur = web_next_msg(s->w, &s->next, WEB_SSE_KEEPALIVE_MS,
		    &stopping);
		if (stopping) {
			web_unref(s->w, s->cur);
			s->cur = NULL;
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (s->cur == NULL) {
			n = sizeof(keepalive) - 1 < max ? sizeof(keepalive) - 1 :
			    max;
			memcpy(buf, keepalive, n);
			return (ssize_t)n;
		}
		s->off = 0;
	}
	n = s->cur->len - s->off < max ? s->cur->len - s->off : max;
	memcpy(buf, s->cur->data + s->off, n);
	s->off += n;
	if (s->off == s->cur->len) {
		web_unref(s->w, s->cur);
		s->cur = NULL;
	}
	return (ssize_t)n;
}

static void
sse_free(void *cls)
{
	struct sse *s = cls;

	__atomic_sub_fetch(&s->w->streams, 1, __ATOMIC_RELAXED);
	web_unref(s->w, s->cur);
	free(s);
}

static void
status_free(void *cls)
{
	web_unref(NULL, cls);
}

#define WEB_CSP	"default-src 'self'; img-src 'self' data:; " \
	"frame-ancestors 'none'"

static void
common_headers(struct MHD_Response *r, const char *type)
{
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	/* an idle connection is cut when its next request's headers are
	 * late (webconn.h): clients that read this do not race the cut */
	MHD_add_response_header(r, "Keep-Alive", WEB_KEEPALIVE_HINT);
	MHD_add_response_header(r, "Content-Security-Policy", WEB_CSP);
}

/* GET /api/status: one response per snapshot, shared by every client. */
static enum MHD_Result
queue_status(struct web *w, struct MHD_Connection *c)
{
	struct MHD_Response *old = NULL, *r;
	enum MHD_Result ret;

	uv_mutex_lock(&w->mu);
	if (w->status != NULL && w->status_resp_seq != w->status->seq) {
		r = MHD_create_response_from_buffer_with_free_callback_cls(
		    w->status->body_len, w->status->data + w->status->body,
		    status_free, w->status);
		if (r != NULL) {
			buf_ref(w->status);
			common_headers(r, "application/json");
			MHD_add_response_header(r, "Cache-Control", "no-store");
			old = w->status_resp;
			w->status_resp = r;
			w->status_resp_seq = w->status->seq;
		}
	}
	r = w->status_resp;
	ret = r != NULL ? MHD_queue_response(c, MHD_HTTP_OK, r) : MHD_NO;
	uv_mutex_unlock(&w->mu);
	if (old != NULL)
		MHD_destroy_response(old);
	return ret;
}

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct api_req *rq = cls;

	(void)kind;
	if (rq->nargs < API_MAX_ARGS) {
		rq->args[rq->nargs].k = key;
		rq->args[rq->nargs].v = value ? value : "";
		rq->nargs++;
	}
	return MHD_YES;
}

/* --- who holds the connections (webconn.h) ------------------------------- */

#define WEB_SWEEP_MS		500
#define WEB_REFUSED_LOG_MS	60000	/* one log line a minute at most */

/* An address as webconn's key, and as text. */
static void
conn_addr(const struct sockaddr *sa, struct webconn_addr *key, char *text,
    size_t textlen)
{
	memset(key, 0, sizeof(*key));
	if (text != NULL)
		snprintf(text, textlen, "?");
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		key->b[10] = key->b[11] = 0xff;
		memcpy(key->b + 12, &in->sin_addr, 4);
		if (text != NULL)
			inet_ntop(AF_INET, &in->sin_addr, text,
			    (socklen_t)textlen);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		memcpy(key->b, &in6->sin6_addr, 16);
		if (text != NULL)
			inet_ntop(AF_INET6, &in6->sin6_addr, text,
			    (socklen_t)textlen);
	}
}

/* The listening thread: a new connection, before it is taken. */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct web *w = cls;
	struct webconn_addr key;
	enum webconn_refusal why;
	char	 text[INET6_ADDRSTRLEN];
	uint64_t now = clock_now_ms(), n = 0;
	int	 evict;

	(void)len;
	conn_addr(sa, &key, text, sizeof(text));
	uv_mutex_lock(&w->connmu);
	if ((why = webconn_admit(&w->conns, &key, &evict)) == WC_OK &&
	    evict >= 0)
		(void)shutdown(evict, SHUT_RDWR);	/* room made */
	if (why != WC_OK) {
		w->conns.refused++;
		w->refused_unlogged++;
		if (now - w->refused_logged_ms >= WEB_REFUSED_LOG_MS ||
		    w->refused_logged_ms == 0) {
			n = w->refused_unlogged;
			w->refused_unlogged = 0;
			w->refused_logged_ms = now;
		}
	}
	uv_mutex_unlock(&w->connmu);
	if (n > 0)
		MLOG(w->m, LOG_WARNING, "web: refused a connection from %s: "
		    "%s (%llu refused since the last such line)", text,
		    webconn_refusal_text(why), (unsigned long long)n);
	return why == WC_OK ? MHD_YES : MHD_NO;
}

static int
conn_slot(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL && ci->socket_context != NULL ?
	    (int)(intptr_t)ci->socket_context - 1 : -1;
}

static void
conn_phase(struct web *w, struct MHD_Connection *c, enum webconn_phase ph)
{
	int	 slot = conn_slot(c);

	if (slot < 0)
		return;
	uv_mutex_lock(&w->connmu);
	webconn_phase(&w->conns, slot, ph, clock_now_ms());
	uv_mutex_unlock(&w->connmu);
}

/* The listening thread: a connection taken, or closed (before its socket
 * is: so a sweep that finds it open may still shut it down). */
static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct web *w = cls;
	const union MHD_ConnectionInfo *fd, *ad;
	struct webconn_addr key;
	int	 slot;

	uv_mutex_lock(&w->connmu);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		fd = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		ad = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		conn_addr(ad != NULL ? ad->client_addr : NULL, &key, NULL, 0);
		slot = webconn_open(&w->conns, &key, fd != NULL ?
		    fd->connect_fd : -1, clock_now_ms());
		*socket_context = (void *)(intptr_t)(slot + 1);
	} else if (*socket_context != NULL) {
		webconn_close(&w->conns, (int)(intptr_t)*socket_context - 1);
		*socket_context = NULL;
	}
	uv_mutex_unlock(&w->connmu);
}

/* The loop, every WEB_SWEEP_MS: requests that take too long to arrive
 * are cut (their sockets shut down; the server then closes them). */
static void
on_sweep(uv_timer_t *t)
{
	struct web *w = t->data;
	int	 fds[WEBCONN_SLOTS], n;

	uv_mutex_lock(&w->connmu);
	n = webconn_overdue(&w->conns, clock_now_ms(), fds, WEBCONN_SLOTS);
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			(void)shutdown(fds[i], SHUT_RDWR);
	uv_mutex_unlock(&w->connmu);
	if (n > 0)
		MLOG(w->m, LOG_INFO, "web: %d request(s) cut: not whole "
		    "within %d s (headers) or %d s (body)", n,
		    WEBCONN_HEADERS_MS / 1000, WEBCONN_BODY_MS / 1000);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct web *w = cls;
	struct conn *cn = *con_cls;
	struct api_req rq = { 0 };
	struct api_resp rs = { 0 };
	struct MHD_Response *r = NULL;
	const union MHD_ConnectionInfo *ci;
	char	 addr[INET6_ADDRSTRLEN] = "?", *pass = NULL, *user;
	enum MHD_Result ret;

	(void)version;
	if (cn == NULL) {
		if ((cn = calloc(1, sizeof(*cn))) == NULL)
			return MHD_NO;
		*con_cls = cn;
		conn_phase(w, c, WC_BODY);	/* the headers are in */
		return MHD_YES;
	}
	if (*upload_size > 0) {
		/* a body over the limit is read and dropped: 413 at the end */
		if (cn->too_large || cn->len + *upload_size > WEB_BODY_MAX) {
			cn->too_large = true;
			free(cn->body);
			cn->body = NULL;
			cn->len = 0;
		} else {
			char	*nb = realloc(cn->body, cn->len + *upload_size +
			    1);

			if (nb == NULL)
				return MHD_NO;
			memcpy(nb + cn->len, upload, *upload_size);
			cn->body = nb;
			cn->len += *upload_size;
			cn->body[cn->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	conn_phase(w, c, WC_ANSWER);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL) {
		const struct sockaddr *sa = ci->client_addr;

		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)
			    (const void *)sa)->sin_addr, addr, sizeof(addr));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)
			    (const void *)sa)->sin6_addr, addr, sizeof(addr));
	}
	rq.method = method;
	rq.path = url;
	rq.body = cn->body ? cn->body : "";
	rq.body_len = cn->len;
	rq.body_too_large = cn->too_large;
	rq.token = MHD_lookup_connection_value(c, MHD_COOKIE_KIND,
	    "evg_session");
	rq.csrf = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "X-CSRF-Token");
	rq.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Content-Type");
	rq.origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	rq.host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	rq.addr = addr;
	rq.now_ms = clock_now_ms();
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &rq);
	user = MHD_basic_auth_get_username_password(c, &pass);
	rq.basic_user = user;
	rq.basic_pass = pass;
	__atomic_add_fetch(&w->requests, 1, __ATOMIC_RELAXED);

	api_handle(w, &rq, &rs);
	if (user != NULL)
		MHD_free(user);
	if (pass != NULL) {
		memset(pass, 0, strlen(pass));
		MHD_free(pass);
	}

	switch (rs.kind) {
	case API_STATUS:
		ret = queue_status(w, c);
		api_resp_free(&rs);
		return ret;
	case API_STREAM: {
		struct sse *s;

		if (strcmp(method, "HEAD") == 0) {
			/* the stream's headers, and no stream */
			r = MHD_create_response_from_buffer(0, NULL,
			    MHD_RESPMEM_PERSISTENT);
			if (r != NULL)
				common_headers(r, "text/event-stream");
			break;
		}
		if ((s = calloc(1, sizeof(*s))) == NULL)
			break;
		s->w = w;
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384,
		    sse_read, s, sse_free);
		if (r == NULL) {
			free(s);
			break;
		}
		/* while one is open, every status is made (publish.c) */
		__atomic_add_fetch(&w->streams, 1, __ATOMIC_RELAXED);
		common_headers(r, "text/event-stream");
		MHD_add_response_header(r, "Cache-Control", "no-store");
		break;
	}
	case API_ASSET:
		r = MHD_create_response_from_buffer(rs.len, (void *)(uintptr_t)
		    rs.asset, MHD_RESPMEM_PERSISTENT);
		if (r != NULL) {
			common_headers(r, rs.type);
			MHD_add_response_header(r, "Cache-Control",
			    "no-cache");
		}
		break;
	case API_BODY:
		r = MHD_create_response_from_buffer(rs.len, rs.body,
		    MHD_RESPMEM_MUST_COPY);
		if (r != NULL) {
			common_headers(r, rs.type ? rs.type :
			    "application/json");
			MHD_add_response_header(r, "Cache-Control", "no-store");
		}
		break;
	}
	if (r == NULL) {
		api_resp_free(&rs);
		return MHD_NO;
	}
	if (rs.cookie[0])
		MHD_add_response_header(r, "Set-Cookie", rs.cookie);
	if (rs.allow[0])
		MHD_add_response_header(r, "Allow", rs.allow);
	if (rs.disposition)
		MHD_add_response_header(r, "Content-Disposition",
		    rs.disposition);
	if (rs.csp != NULL &&
	    MHD_del_response_header(r, "Content-Security-Policy", WEB_CSP))
		MHD_add_response_header(r, "Content-Security-Policy", rs.csp);
	if (rs.retry_after > 0) {
		char	 ra[16];

		snprintf(ra, sizeof(ra), "%d", rs.retry_after);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	if (rs.status == 401 && rq.path != NULL &&
	    strcmp(rq.path, "/metrics") == 0)
		MHD_add_response_header(r, "WWW-Authenticate",
		    "Basic realm=\"evgroup\"");
	ret = MHD_queue_response(c, (unsigned)rs.status, r);
	MHD_destroy_response(r);
	api_resp_free(&rs);
	return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct conn *cn = *con_cls;

	(void)toe;
	/* the next request on this connection has its own deadline */
	conn_phase(cls, c, WC_HEADERS);
	if (cn != NULL) {
		free(cn->body);
		free(cn);
		*con_cls = NULL;
	}
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct web *w = cls;
	char	 msg[300];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	MLOG(w->m, LOG_DEBUG, "web: %s", msg);
}

static char *
read_file(const char *path, char *err, size_t errlen)
{
	FILE	*fp = fopen(path, "r");
	char	*buf = NULL;
	long	 n;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    n > 1024 * 1024 || fseek(fp, 0, SEEK_SET) != 0 ||
	    (buf = calloc(1, (size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		snprintf(err, errlen, "%s: %s", path, errno ? strerror(errno) :
		    "cannot read");
		free(buf);
		buf = NULL;
	}
	if (fp != NULL)
		fclose(fp);
	return buf;
}

static int
user_row(void *arg, int n, const char *const *c)
{
	struct web *w = arg;

	if (n != 4 || auth_put_user(&w->auth, c[0], atoi(c[1]), c[2],
	    atoi(c[3]) != 0) != 0)
		MLOG(w->m, LOG_WARNING, "web: login '%s' in the database is "
		    "not valid: ignored", n > 0 ? c[0] : "?");
	return 0;
}

/*
 * Login sessions outlive a restart: the database keeps each one's token
 * hash (never the token: a copy of the database logs nobody in), user,
 * role, CSRF token and last use (saved at most once a minute, so one may
 * come back up to a minute younger than it is). Logout, a password
 * change, a removed login and idle expiry drop them there too.
 */
static void
session_persist(void *arg, enum auth_persist_op op,
    const struct auth_session *as)
{
	struct web *w = arg;
	struct store_rec r = { .kind = op == AUTH_SESSION_PUT ?
	    STORE_WEB_SESSION : STORE_WEB_SESSION_DELETE,
	    .wall_ms = clock_wall_ms() };

	snprintf(r.u.web.tok_hash, sizeof(r.u.web.tok_hash), "%s",
	    as->tok_hash);
	snprintf(r.u.web.user, sizeof(r.u.web.user), "%s", as->user);
	r.u.web.role = as->role;
	snprintf(r.u.web.csrf, sizeof(r.u.web.csrf), "%s", as->csrf);
	store_put(w->m->store, &r);
}

static int
session_row(void *arg, int n, const char *const *c)
{
	struct web *w = arg;
	int64_t	 wall = clock_wall_ms(), last;

	if (n != 4)
		return 0;
	last = strtoll(c[3], NULL, 10);
	(void)auth_restore_session(&w->auth, c[0], c[1], c[2],
	    last < wall ? (uint64_t)(wall - last) : 0, clock_now_ms());
	return 0;
}

/* The logins and their sessions, from the database (before its writer
 * starts). */
int
web_init(struct web *w, struct master *m)
{
	int64_t	 idle_ms = (int64_t)m->conf->web.idle_timeout * 1000;

	w->m = m;
	if (auth_init(&w->auth, (uint64_t)idle_ms) != 0)
		return -1;
	w->auth_ready = true;
	if (m->store->db != NULL) {
		(void)store_select(m->store, "SELECT name, role, hash, "
		    "must_change FROM users", user_row, w);
		(void)store_prune_web_sessions(m->store, clock_wall_ms() -
		    idle_ms);
		(void)store_select(m->store, "SELECT tok_hash, user, csrf, "
		    "last_ms FROM web_sessions", session_row, w);
		w->auth.persist = session_persist;
		w->auth.persist_arg = w;
	}
	return 0;
}

/* The first start: the default login, which must be changed at once. */
static void
default_user(struct web *w)
{
	struct auth_user u;
	struct store_rec r = { .kind = STORE_USER };

	if (auth_has_users(&w->auth) || auth_add_user(&w->auth,
	    AUTH_DEFAULT_USER, ROLE_INSTALLER, AUTH_DEFAULT_PASSWORD, true,
	    &u) != 0)
		return;
	snprintf(r.u.user.name, sizeof(r.u.user.name), "%s", u.name);
	r.u.user.role = u.role;
	r.u.user.must_change = 1;
	snprintf(r.u.user.hash, sizeof(r.u.user.hash), "%s", u.hash);
	store_put(w->m->store, &r);
	master_event(w->m, SEV_WARNING, "web", "default-login", "no "
	    "logins yet: '%s' with the default password, to be changed at the "
	    "first login", AUTH_DEFAULT_USER);
}

/* Everything but the server: locks, the loop's bridge (unless calls run
 * in place), the first login, the read connection. */
int
web_prepare(struct web *w, struct master *m)
{
	const struct master_config *mc = m->conf;

	w->m = m;
	uv_mutex_init(&w->mu);
	uv_mutex_init(&w->dbmu);
	uv_cond_init(&w->cv);
	uv_mutex_init(&w->connmu);
	w->connmu_ready = true;
	snprintf(w->hostnames, sizeof(w->hostnames), "%s", mc->web.hostnames);
	webconn_init(&w->conns);
	w->calls_tail = &w->calls;
	if (!w->direct) {
		if (uv_async_init(m->loop, &w->async, on_async) != 0)
			return -1;
		w->async.data = w;
		w->async_open = true;
	}
	default_user(w);
	if (mc->site.database[0] != '\0' && sqlite3_open_v2(mc->site.database,
	    &w->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		master_event(m, SEV_ALARM, "web", "database", "cannot read "
		    "%s: %s", mc->site.database, sqlite3_errmsg(w->db));
		sqlite3_close(w->db);
		w->db = NULL;
	}
	if (w->db != NULL)
		sqlite3_busy_timeout(w->db, 2000);
	return 0;
}

/*
 * Starts the web server. A web server that cannot start (port taken, bad
 * certificate) is an alarm, not a reason to stop controlling the site.
 */
int
web_start(struct web *w, struct master *m)
{
	const struct master_config *mc = m->conf;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char	 err[300];
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (web_prepare(w, m) != 0)
		return -1;
	sin.sin_port = htons((uint16_t)mc->web.port);
	inet_pton(AF_INET, mc->web.listen, &sin.sin_addr);
	if (mc->web.cert[0] != '\0') {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			master_event(m, SEV_ALARM, "web", "tls", "HTTPS is "
			    "configured but this build has no TLS: web UI off");
			return 0;
		}
		if ((w->cert = read_file(mc->web.cert, err, sizeof(err))) ==
		    NULL || (w->key = read_file(mc->web.key, err,
		    sizeof(err))) == NULL) {
			master_event(m, SEV_ALARM, "web", "tls", "%s: web "
			    "UI off", err);
			return 0;
		}
		flags |= MHD_USE_TLS;
		w->tls = true;
	}
	w->daemon = MHD_start_daemon(flags, 0, on_accept, w, on_request, w,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)WEBCONN_SLOTS,
	    MHD_OPTION_CONNECTION_TIMEOUT, 60u,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, w,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, w,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, w,
	    w->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, w->cert,
	    MHD_OPTION_HTTPS_MEM_KEY, w->key,
	    MHD_OPTION_END);
	if (w->daemon == NULL) {
		master_event(m, SEV_ALARM, "web", "listen", "cannot listen "
		    "on %s:%d (in use, or not this machine's address): web UI "
		    "off", mc->web.listen, mc->web.port);
		return 0;
	}
	if (uv_timer_init(m->loop, &w->sweep) == 0) {
		w->sweep.data = w;
		w->sweep_open = true;
		uv_timer_start(&w->sweep, on_sweep, WEB_SWEEP_MS,
		    WEB_SWEEP_MS);
	}
	MLOG(m, LOG_INFO, "web UI on %s://%s:%d/", w->tls ? "https" : "http",
	    mc->web.listen, mc->web.port);
	return 0;
}

static void
async_closed(uv_handle_t *h)
{
	(void)h;
}

void
web_stop(struct web *w)
{
	struct web_call *c;

	if (w->m == NULL)
		return;
	uv_mutex_lock(&w->mu);
	w->stopping = true;
	for (c = w->calls; c != NULL; c = c->next)
		c->done = true;		/* their result is NULL: 503 */
	w->calls = NULL;
	w->calls_tail = &w->calls;
	uv_cond_broadcast(&w->cv);
	uv_mutex_unlock(&w->mu);
	if (w->daemon != NULL)
		MHD_stop_daemon(w->daemon);
	w->daemon = NULL;
	if (w->status_resp != NULL)
		MHD_destroy_response(w->status_resp);
	w->status_resp = NULL;
	web_unref(w, w->status);
	w->status = NULL;
	for (int i = 0; i < WEB_SSE_RING; i++) {
		web_unref(w, w->ring[i]);
		w->ring[i] = NULL;
	}
	if (w->async_open)
		uv_close((uv_handle_t *)&w->async, async_closed);
	w->async_open = false;
	if (w->sweep_open)
		uv_close((uv_handle_t *)&w->sweep, async_closed);
	w->sweep_open = false;
	if (w->connmu_ready)
		uv_mutex_destroy(&w->connmu);
	w->connmu_ready = false;
	sqlite3_close(w->db);
	w->db = NULL;
	free(w->cert);
	free(w->key);
	w->cert = w->key = NULL;
	if (w->auth_ready)
		auth_free(&w->auth);
	w->auth_ready = false;
	uv_mutex_destroy(&w->dbmu);
	uv_cond_destroy(&w->cv);
	uv_mutex_destroy(&w->mu);
	w->m = NULL;
}
