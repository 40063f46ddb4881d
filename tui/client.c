/*
 * client.c: see client.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "client.h"

struct buf {
	char	*p;
	size_t	 n, cap;
};

/* Appends (growing by doubling: a status is hundreds of kB). */
static size_t
collect(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t	 n = size * nmemb;

	if (b->n + n > 64 * 1024 * 1024)	/* no answer is this big */
		return 0;
	if (b->n + n + 1 > b->cap) {
		size_t	 cap = b->cap ? b->cap : 4096;
		char	*np;

		while (cap < b->n + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return 0;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

struct hdrs {
	char	 cookie[128];
};

/* The session cookie from a login's Set-Cookie. */
static size_t
header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct hdrs *h = arg;
	size_t	 n = size * nmemb;
	const char *k = "set-cookie: evg_session=";

	if (n > strlen(k) && strncasecmp(data, k, strlen(k)) == 0) {
		size_t	 v = strlen(k), e = v;

		while (e < n && data[e] != ';' && data[e] != '\r' &&
		    data[e] != '\n')
			e++;
		snprintf(h->cookie, sizeof(h->cookie), "%.*s", (int)(e - v),
		    data + v);
	}
	return n;
}

static void
wake(struct client *c)
{
	char	 b = 1;

	if (write(c->wake[1], &b, 1) < 0 && errno != EAGAIN)
		return;
}

int
client_init(struct client *c, const char *base, const char *user,
    const char *password)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->base, sizeof(c->base), "%s", base);
	while (strlen(c->base) > 0 && c->base[strlen(c->base) - 1] == '/')
		c->base[strlen(c->base) - 1] = '\0';
	snprintf(c->user, sizeof(c->user), "%s", user);
	snprintf(c->password, sizeof(c->password), "%s", password);
	pthread_mutex_init(&c->mu, NULL);
	if (pipe(c->wake) != 0)
		return -1;
	fcntl(c->wake[0], F_SETFL, O_NONBLOCK);
	fcntl(c->wake[1], F_SETFL, O_NONBLOCK);
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static CURL *
easy(struct client *c, const char *path, struct buf *out, long timeout_s)
{
	CURL	*h = curl_easy_init();
	char	 url[512];

	if (h == NULL)
		return NULL;
	snprintf(url, sizeof(url), "%s%s", c->base, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 3L);
	if (timeout_s > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
	return h;
}

long
client_request(struct client *c, const char *method, const char *path,
    const char *body, char **out, size_t *outlen)
{
	struct buf b = { 0 };
	struct curl_slist *hl = NULL;
	char	 hdr[200];
	CURL	*h = easy(c, path, &b, CLIENT_TIMEOUT_S);
	long	 status = 0;

	if (h == NULL)
		return 0;
	pthread_mutex_lock(&c->mu);
	snprintf(hdr, sizeof(hdr), "Cookie: evg_session=%s", c->cookie);
	hl = curl_slist_append(hl, hdr);
	snprintf(hdr, sizeof(hdr), "X-CSRF-Token: %s", c->csrf);
	hl = curl_slist_append(hl, hdr);
	pthread_mutex_unlock(&c->mu);
	hl = curl_slist_append(hl, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	if (out != NULL) {
		*out = b.p;
		if (outlen != NULL)
			*outlen = b.n;
	} else
		free(b.p);
	return status;
}

/* Logs in; the console needs a password already chosen (the web UI's
 * first login makes that choice). */
int
client_login(struct client *c, char *err, size_t errlen)
{
	struct buf b = { 0 };
	struct hdrs hd = { "" };
	CURL	*h = easy(c, "/api/login", &b, CLIENT_TIMEOUT_S);
	json_t	*req, *j = NULL;
	struct curl_slist *hl;
	char	*body;
	long	 status = 0;
	CURLcode rc;

	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	req = json_pack("{s:s, s:s}", "user", c->user, "password", c->password);
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	hl = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &hd);
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hl);
	free(body);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s: %s", c->base, curl_easy_strerror(rc));
		free(b.p);
		return -2;		/* no answer: try again later */
	}
	if (b.p != NULL)
		j = json_loads(b.p, 0, NULL);
	free(b.p);
	if (status != 200) {
		snprintf(err, errlen, "login refused (%ld): %s", status,
		    json_string_value(json_object_get(j, "error")) ?: "?");
		json_decref(j);
		return -1;
	}
	if (json_is_true(json_object_get(j, "must_change"))) {
		snprintf(err, errlen, "%s must choose a new password first: log "
		    "in once in the web UI", c->user);
		json_decref(j);
		return -1;
	}
	pthread_mutex_lock(&c->mu);
	snprintf(c->cookie, sizeof(c->cookie), "%s", hd.cookie);
	snprintf(c->csrf, sizeof(c->csrf), "%s",
	    json_string_value(json_object_get(j, "csrf")) ?: "");
	c->installer = strcmp(json_string_value(json_object_get(j, "role")) ?:
	    "", "installer") == 0;
	pthread_mutex_unlock(&c->mu);
	json_decref(j);
	return 0;
}

/* --- the event stream ---------------------------------------------------- */

struct sse {
	struct client	*c;
	struct buf	 line;		/* the event being read */
	char		 event[32];
	struct buf	 data;
	time_t		 last;
};

static void
sse_dispatch(struct sse *s)
{
	struct client *c = s->c;

	if (strcmp(s->event, "status") == 0 && s->data.n > 0) {
		pthread_mutex_lock(&c->mu);
		free(c->latest);
		c->latest = s->data.p;
		c->latest_len = s->data.n;
		c->reachable = true;
		pthread_mutex_unlock(&c->mu);
		s->data.p = NULL;
		wake(c);
	}
	free(s->data.p);
	s->data = (struct buf){ 0 };
	s->event[0] = '\0';
}

/* Lines of the stream: "event: x", "data: ...", "" ends an event. */
static size_t
sse_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sse *s = arg;
	size_t	 n = size * nmemb;

	s->last = time(NULL);
	for (size_t i = 0; i < n; i++) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t	 k = nl ? (size_t)(nl - (p + i)) : n - i;

		/* the line so far, in one piece */
		if (k > 0 && collect(p + i, 1, k, &s->line) != k)
			return 0;
		i += k;
		if (nl == NULL)
			break;
		if (s->line.n == 0)
			sse_dispatch(s);
		else if (strncmp(s->line.p, "event: ", 7) == 0)
			snprintf(s->event, sizeof(s->event), "%s", s->line.p + 7);
		else if (strncmp(s->line.p, "data: ", 6) == 0 &&
		    collect(s->line.p + 6, 1, s->line.n - 6, &s->data) !=
		    s->line.n - 6)
			return 0;
		free(s->line.p);
		s->line = (struct buf){ 0 };
	}
	return n;
}

static int
sse_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c2,
    curl_off_t d)
{
	struct sse *s = arg;
	bool	 stop;

	(void)a;
	(void)b;
	(void)c2;
	(void)d;
	pthread_mutex_lock(&s->c->mu);
	stop = s->c->stop;
	pthread_mutex_unlock(&s->c->mu);
	return stop || time(NULL) - s->last > CLIENT_SILENT_S;
}

static void
unreachable(struct client *c, const char *why)
{
	pthread_mutex_lock(&c->mu);
	if (c->reachable || strcmp(c->why, why) != 0) {
		c->reachable = false;
		snprintf(c->why, sizeof(c->why), "%s", why);
		pthread_mutex_unlock(&c->mu);
		wake(c);
		return;
	}
	pthread_mutex_unlock(&c->mu);
}

static void *
follow(void *arg)
{
	struct client *c = arg;
	bool	 need_login = false;

	for (;;) {
		struct sse s = { .c = c, .last = time(NULL) };
		struct curl_slist *hl = NULL;
		char	 hdr[200], err[160];
		long	 status = 0;
		CURLcode rc;
		CURL	*h;
		bool	 stop;

		pthread_mutex_lock(&c->mu);
		stop = c->stop;
		pthread_mutex_unlock(&c->mu);
		if (stop)
			break;
		if (need_login) {
			int	 r = client_login(c, err, sizeof(err));

			if (r != 0) {
				unreachable(c, err);
				usleep(CLIENT_RETRY_MS * 1000);
				continue;
			}
			need_login = false;
		}
		h = easy(c, "/api/events/stream", NULL, 0);
		if (h == NULL)
			break;
		pthread_mutex_lock(&c->mu);
		snprintf(hdr, sizeof(hdr), "Cookie: evg_session=%s", c->cookie);
		pthread_mutex_unlock(&c->mu);
		hl = curl_slist_append(hl, hdr);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sse_write);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, sse_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, &s);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
		rc = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		curl_slist_free_all(hl);
		curl_easy_cleanup(h);
		free(s.line.p);
		free(s.data.p);
		if (status == 401) {
			/* the master restarted: its logins went with it */
			need_login = true;
			continue;
		}
		snprintf(err, sizeof(err), "%s", rc == CURLE_OK ?
		    "the master ended the stream" : rc ==
		    CURLE_ABORTED_BY_CALLBACK ? "no news from the master for "
		    "40 s" : curl_easy_strerror(rc));
		unreachable(c, err);
		usleep(CLIENT_RETRY_MS * 1000);
	}
	return NULL;
}

int
client_start(struct client *c)
{
	if (pthread_create(&c->thread, NULL, follow, c) != 0)
		return -1;
	c->running = true;
	return 0;
}

void
client_stop(struct client *c)
{
	if (c->running) {
		pthread_mutex_lock(&c->mu);
		c->stop = true;
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thread, NULL);
		c->running = false;
	}
	free(c->latest);
	c->latest = NULL;
	close(c->wake[0]);
	close(c->wake[1]);
	memset(c->password, 0, sizeof(c->password));
	pthread_mutex_destroy(&c->mu);
	curl_global_cleanup();
}

char *
client_take_status(struct client *c, size_t *len, bool *reachable, char *why,
    size_t whylen)
{
	char	*s;
	char	 drain[64];

	while (read(c->wake[0], drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&c->mu);
	s = c->latest;
	*len = c->latest_len;
	c->latest = NULL;
	*reachable = c->reachable;
	snprintf(why, whylen, "%s", c->why);
	pthread_mutex_unlock(&c->mu);
	return s;
}
