/*
 * hookq.c: the webhook's queue of deliveries and their retries, as pure
 * functions of the time: a bounded number of attempts, each failure
 * doubling the wait before the next (1 s, 2 s, 4 s, 8 s: a receiver that
 * restarts gets the alarm, a dead one costs at most HOOK_ATTEMPTS
 * attempts); a full queue drops what comes, and counts it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "webhook.h"

/* The wait after the attempts-th failed attempt (attempts >= 1). */
uint64_t
hook_backoff_ms(int attempts)
{
	uint64_t d = HOOK_BACKOFF_FIRST_MS;

	for (int i = 1; i < attempts && d < HOOK_BACKOFF_MAX_MS; i++)
		d *= 2;
	return d < HOOK_BACKOFF_MAX_MS ? d : HOOK_BACKOFF_MAX_MS;
}

/* Queues a delivery, due now: 0, or -ENOBUFS (dropped, counted). */
int
hookq_add(struct hook_queue *q, const struct hook_job *job, uint64_t now_ms)
{
	for (int i = 0; i < HOOK_QUEUE_MAX; i++) {
		if (q->j[i].used)
			continue;
		q->j[i] = *job;
		q->j[i].used = true;
		q->j[i].seq = ++q->seq;
		q->j[i].attempts = 0;
		q->j[i].next_ms = now_ms;
		q->j[i].error[0] = '\0';
		return 0;
	}
	q->dropped++;
	return -ENOBUFS;
}

/*
 * The slot of the delivery to attempt now (the earliest due, the oldest
 * first), or -1 with *wait_ms the time until the next one is due
 * (UINT64_MAX: none queued).
 */
int
hookq_due(const struct hook_queue *q, uint64_t now_ms, uint64_t *wait_ms)
{
	int	 best = -1;
	uint64_t next = UINT64_MAX;

	for (int i = 0; i < HOOK_QUEUE_MAX; i++) {
		const struct hook_job *j = &q->j[i];

		if (!j->used)
			continue;
		if (j->next_ms <= now_ms) {
			if (best < 0 || j->seq < q->j[best].seq)
				best = i;
		} else if (j->next_ms - now_ms < next)
			next = j->next_ms - now_ms;
	}
	*wait_ms = best >= 0 ? 0 : next;
	return best;
}

/* An attempt at slot's delivery is over: delivered (the slot is free),
 * to be tried again later, or failed for good (free too). */
enum hook_outcome
hookq_done(struct hook_queue *q, int slot, bool ok, const char *error,
    uint64_t now_ms)
{
	struct hook_job *j = &q->j[slot];

	j->attempts++;
	if (ok) {
		j->used = false;
		return HOOK_DELIVERED;
	}
	snprintf(j->error, sizeof(j->error), "%s", error ? error : "");
	if (j->attempts >= HOOK_ATTEMPTS) {
		j->used = false;
		return HOOK_FAILED;
	}
	j->next_ms = now_ms + hook_backoff_ms(j->attempts);
	return HOOK_RETRY;
}

/*
 * A receiver's address: empty (no webhook), or http:// or https:// and
 * a host, with no spaces or control characters. 0, or -1 with why.
 */
int
hook_url_check(const char *url, char *err, size_t errlen)
{
	const char *host;

	if (url[0] == '\0')
		return 0;
	if (strncasecmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		host = url + 8;
	else {
		snprintf(err, errlen, "must start with http:// or https:// "
		    "(or be empty: no webhook)");
		return -1;
	}
	if (host[0] == '\0' || host[0] == '/' || host[0] == ':' ||
	    host[0] == '?' || host[0] == '#') {
		snprintf(err, errlen, "no host after the scheme");
		return -1;
	}
	/* A user or password in the address would be shown wherever the
	 * address is (hook_url_shown keeps the host): the token is the
	 * place for a secret. */
	if (memchr(host, '@', strcspn(host, "/?#")) != NULL) {
		snprintf(err, errlen, "no user or password in the address: "
		    "give the receiver's secret as the token");
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= ' ' || *p >= 0x7f) {
			snprintf(err, errlen, "no spaces or control characters "
			    "(encode them as %%20 and the like)");
			return -1;
		}
	return 0;
}

/*
 * The receiver's address as the API, events, logs and reports show it:
 * the scheme and host (and port), and "/..." for whatever follows, as
 * the path or query of many receivers holds their secret (a chat's
 * incoming-webhook key). Empty stays empty.
 */
void
hook_url_shown(const char *url, char *out, size_t len)
{
	const char *host = strstr(url, "://");
	size_t	 n;

	if (url[0] == '\0' || host == NULL) {
		snprintf(out, len, "%s", url[0] ? "(set)" : "");
		return;
	}
	host += 3;
	n = (size_t)(host - url) + strcspn(host, "/?#");
	snprintf(out, len, "%.*s%s", (int)n, url, url[n] ? "/..." : "");
}

/* A bearer token: empty (none), or the characters RFC 6750 section 2.1
 * allows (b64token). 0, or -1 with why. */
int
hook_token_check(const char *token, char *err, size_t errlen)
{
	for (const char *p = token; *p; p++)
		if (!isalnum((unsigned char)*p) && strchr("-._~+/=", *p) ==
		    NULL) {
			snprintf(err, errlen, "only letters, digits and - . _ ~ "
			    "+ / = (a bearer token, RFC 6750)");
			return -1;
		}
	return 0;
}
