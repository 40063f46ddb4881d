/*
 * webhook.h: alarms sent to an installer's HTTP receiver (docs/api.md,
 * "Webhooks"): a JSON body POSTed by one thread of its own through
 * libcurl, so that the control loop never waits on the network. The
 * queue and its retries (hookq.c) are pure; webhook.c is the thread.
 */
#ifndef EVG_WEBHOOK_H
#define EVG_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#define HOOK_QUEUE_MAX		64	/* deliveries waiting; more are dropped */
#define HOOK_ATTEMPTS		5	/* then the delivery has failed */
#define HOOK_BACKOFF_FIRST_MS	1000	/* doubled after each failure */
#define HOOK_BACKOFF_MAX_MS	30000
#define HOOK_TIMEOUT_MS		5000	/* one attempt, connection included */
#define HOOK_URL_LEN		256
#define HOOK_TOKEN_LEN		128
#define HOOK_BODY_LEN		2400
#define HOOK_RESULTS_MAX	16	/* failures told to the loop */

struct hook_job {
	bool		 used;
	uint64_t	 seq;		/* the order they came in */
	char		 url[HOOK_URL_LEN];
	char		 token[HOOK_TOKEN_LEN];
	char		 body[HOOK_BODY_LEN];
	char		 what[96];	/* "write-refused bay-001 1", for events */
	int		 attempts;	/* made so far */
	uint64_t	 next_ms;	/* the next attempt, not before */
	char		 error[128];	/* of the last attempt */
};

struct hook_queue {
	struct hook_job	 j[HOOK_QUEUE_MAX];
	uint64_t	 seq;
	uint64_t	 dropped;
};

enum hook_outcome { HOOK_DELIVERED, HOOK_RETRY, HOOK_FAILED };

/* hookq.c (pure) */
uint64_t hook_backoff_ms(int attempts);
int	hookq_add(struct hook_queue *, const struct hook_job *,
	    uint64_t now_ms);
int	hookq_due(const struct hook_queue *, uint64_t now_ms,
	    uint64_t *wait_ms);
enum hook_outcome hookq_done(struct hook_queue *, int slot, bool ok,
	    const char *error, uint64_t now_ms);
int	hook_url_check(const char *url, char *err, size_t errlen);
int	hook_token_check(const char *token, char *err, size_t errlen);
void	hook_url_shown(const char *url, char *out, size_t len);

/* A delivery that finally failed, or deliveries dropped: for the loop's
 * events. */
struct hook_result {
	char		 what[96];
	char		 error[128];
	int		 attempts;
};

struct webhook {
	uv_thread_t	 thread;
	uv_mutex_t	 mu;
	uv_cond_t	 cv;
	bool		 running, stop;
	struct hook_queue q;		/* under mu */
	struct hook_result failed[HOOK_RESULTS_MAX];	/* under mu */
	int		 nfailed;
	uint64_t	 lost_results;	/* failures beyond failed[] */
	uint64_t	 dropped_told;	/* q.dropped the loop has told */
	uint64_t	 delivered, attempts;
};

/* webhook.c */
int	webhook_start(struct webhook *);
void	webhook_stop(struct webhook *);
int	webhook_send(struct webhook *, const char *url, const char *token,
	    const char *body, const char *what);
int	webhook_post(const char *url, const char *token, const char *body,
	    long timeout_ms, const volatile bool *stop, long *http_status,
	    char *err, size_t errlen);
int	webhook_results(struct webhook *, struct hook_result *, int max,
	    uint64_t *dropped);

#endif
