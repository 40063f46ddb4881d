/*
 * webhook.c: the thread that POSTs alarms to the installer's receiver
 * (hookq.c decides when and how often). The loop only queues
 * (webhook_send) and, once a cycle, takes the failures for its events
 * (webhook_results): nothing here holds the loop, however slow or dead
 * the receiver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "clock.h"
#include "webhook.h"

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* curl asks this during the transfer: non-zero ends it (a stop). */
static int
progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	const volatile bool *stop = arg;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return stop != NULL && *stop;
}

/*
 * One POST of body (JSON) to url, with "Authorization: Bearer token"
 * when token is set, no redirects followed, http and https only, at most
 * timeout_ms in all. 0 when the receiver answered 2xx; -1 otherwise, with
 * *http_status its answer (0: none) and why in err.
 */
int
webhook_post(const char *url, const char *token, const char *body,
    long timeout_ms, const volatile bool *stop, long *http_status, char *err,
    size_t errlen)
{
	CURL	*h = curl_easy_init();
	struct curl_slist *hl = NULL;
	char	 auth[HOOK_TOKEN_LEN + 32], ebuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;

	*http_status = 0;
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	hl = curl_slist_append(hl, "Content-Type: application/json");
	hl = curl_slist_append(hl, "User-Agent: evgroup-master");
	if (token != NULL && token[0] != '\0') {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hl = curl_slist_append(hl, auth);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)stop);
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, http_status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", ebuf[0] ? ebuf :
		    curl_easy_strerror(rc));
		return -1;
	}
	if (*http_status < 200 || *http_status > 299) {
		snprintf(err, errlen, "the receiver answered HTTP %ld",
		    *http_status);
		return -1;
	}
	return 0;
}

static void
worker(void *arg)
{
	struct webhook *w = arg;

	uv_mutex_lock(&w->mu);
	while (!w->stop) {
		uint64_t wait;
		int	 slot = hookq_due(&w->q, clock_now_ms(), &wait);
		struct hook_job job;
		long	 st;
		char	 err[128];
		bool	 ok;

		if (slot < 0) {
			if (wait == UINT64_MAX)
				uv_cond_wait(&w->cv, &w->mu);
			else
				(void)uv_cond_timedwait(&w->cv, &w->mu,
				    wait * 1000000);
			continue;
		}
		job = w->q.j[slot];
		uv_mutex_unlock(&w->mu);
		ok = webhook_post(job.url, job.token, job.body, HOOK_TIMEOUT_MS,
		    &w->stop, &st, err, sizeof(err)) == 0;
		uv_mutex_lock(&w->mu);
		w->attempts++;
		switch (hookq_done(&w->q, slot, ok, err, clock_now_ms())) {
		case HOOK_DELIVERED:
			w->delivered++;
			break;
		case HOOK_FAILED:
			if (w->nfailed == HOOK_RESULTS_MAX) {
				w->lost_results++;
				break;
			}
			snprintf(w->failed[w->nfailed].what,
			    sizeof(w->failed[0].what), "%s", job.what);
			snprintf(w->failed[w->nfailed].error,
			    sizeof(w->failed[0].error), "%s", err);
			w->failed[w->nfailed++].attempts = HOOK_ATTEMPTS;
			break;
		case HOOK_RETRY:
			break;
		}
	}
	uv_mutex_unlock(&w->mu);
}

int
webhook_start(struct webhook *w)
{
	memset(w, 0, sizeof(*w));
	/* counted by libcurl, and thread-safe since 7.84 */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	if (uv_mutex_init(&w->mu) != 0)
		return -1;
	if (uv_cond_init(&w->cv) != 0) {
		uv_mutex_destroy(&w->mu);
		return -1;
	}
	if (uv_thread_create(&w->thread, worker, w) != 0) {
		uv_cond_destroy(&w->cv);
		uv_mutex_destroy(&w->mu);
		return -1;
	}
	w->running = true;
	return 0;
}

/* Ends the thread: an attempt under way is cut short; what is queued is
 * not sent. */
void
webhook_stop(struct webhook *w)
{
	if (!w->running)
		return;
	uv_mutex_lock(&w->mu);
	w->stop = true;
	uv_cond_signal(&w->cv);
	uv_mutex_unlock(&w->mu);
	uv_thread_join(&w->thread);
	uv_cond_destroy(&w->cv);
	uv_mutex_destroy(&w->mu);
	w->running = false;
	curl_global_cleanup();
}

/* The loop: a delivery queued (0), or dropped with the queue full
 * (-1, counted and told by webhook_results). */
int
webhook_send(struct webhook *w, const char *url, const char *token,
    const char *body, const char *what)
{
	struct hook_job *job;
	int	 rc;

	if (!w->running)
		return -1;
	/* built outside the lock (it is large) */
	if ((job = calloc(1, sizeof(*job))) == NULL)
		return -1;
	snprintf(job->url, sizeof(job->url), "%s", url);
	snprintf(job->token, sizeof(job->token), "%s", token);
	snprintf(job->body, sizeof(job->body), "%s", body);
	snprintf(job->what, sizeof(job->what), "%s", what);
	uv_mutex_lock(&w->mu);
	rc = hookq_add(&w->q, job, clock_now_ms());
	uv_cond_signal(&w->cv);
	uv_mutex_unlock(&w->mu);
	free(job);
	return rc == 0 ? 0 : -1;
}

/* The loop, once a cycle: deliveries that failed for good since the last
 * call (at most max), and how many were dropped since. */
int
webhook_results(struct webhook *w, struct hook_result *out, int max,
    uint64_t *dropped)
{
	int	 n;

	*dropped = 0;
	if (!w->running)
		return 0;
	uv_mutex_lock(&w->mu);
	n = w->nfailed < max ? w->nfailed : max;
	memcpy(out, w->failed, (size_t)n * sizeof(*out));
	memmove(w->failed, w->failed + n, (size_t)(w->nfailed - n) *
	    sizeof(*out));
	w->nfailed -= n;
	*dropped = w->q.dropped - w->dropped_told + w->lost_results;
	w->dropped_told = w->q.dropped;
	w->lost_results = 0;
	uv_mutex_unlock(&w->mu);
	return n;
}
