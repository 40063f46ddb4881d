/*
 * web.h: the installer web UI and the JSON API (libmicrohttpd, one thread
 * per connection). The loop never waits on it: the status reaches it
 * through the publisher's thread (publish.h), each event from the loop
 * (web_publish_*), and requests
 * that change the site are handed to the loop (web_call) and answered
 * when it has run them. Reads of the records use the API's own SQLite
 * connection. Routes and rules are in api.c; docs/api.md.
 */
#ifndef EVG_WEB_H
#define EVG_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "auth.h"
#include "webconn.h"

#define WEB_BODY_MAX		(64 * 1024)	/* larger: 413 */
#define WEB_SSE_RING		64		/* messages kept for streams */
#define WEB_STATUS_PREFIX	"event: status\ndata: "
#define WEB_SSE_KEEPALIVE_MS	15000
#define WEB_RECENT_EVENTS	20		/* in the status snapshot */

struct master;
struct sqlite3;
struct MHD_Daemon;
struct MHD_Response;

/* A published message, shared by every reader. A status is one buffer
 * for both uses: the SSE message whole, its JSON inside it (body). */
struct web_buf {
	int		 refs;		/* under web.mu */
	uint64_t	 seq;
	size_t		 len;
	size_t		 body, body_len;	/* the JSON: data + body */
	char		 data[];
};

typedef char *(*web_loop_fn)(struct master *, void *ctx);

struct web_call {
	web_loop_fn	 fn;
	void		*ctx;
	char		*result;
	bool		 done;
	struct web_call	*next;
};

struct web {
	struct master	*m;
	struct auth	 auth;
	bool		 auth_ready;
	bool		 direct;	/* run loop calls in place (fuzzing) */
	struct MHD_Daemon *daemon;
	char		*cert, *key;	/* PEM, for HTTPS */
	bool		 tls;
	uv_async_t	 async;
	bool		 async_open;
	uv_mutex_t	 mu;
	uv_cond_t	 cv;		/* calls done, messages published */
	bool		 stopping;
	struct web_call	*calls, **calls_tail;
	/* published by the loop */
	struct web_buf	*status;	/* latest snapshot, also in the ring */
	struct MHD_Response *status_resp;	/* shared by GET /api/status */
	uint64_t	 status_resp_seq;
	struct web_buf	*ring[WEB_SSE_RING];	/* SSE messages */
	uint64_t	 seq;
	int		 streams;	/* open event streams (atomic) */
	/* the API's read connection */
	uv_mutex_t	 dbmu;
	struct sqlite3	*db;
	uint64_t	 requests;
	/* who holds the connections (webconn.h), under connmu */
	uv_mutex_t	 connmu;
	bool		 connmu_ready;
	struct webconn	 conns;
	uint64_t	 refused_logged_ms;	/* the last refusal logged */
	uint64_t	 refused_unlogged;	/* refusals not logged since */
	char		 hostnames[256];	/* web.hostnames */
	uv_timer_t	 sweep;		/* cuts overdue requests */
	bool		 sweep_open;
};

int	web_init(struct web *, struct master *);
int	web_prepare(struct web *, struct master *);
int	web_start(struct web *, struct master *);
void	web_stop(struct web *);
void	web_publish_status(struct web *, const char *json);
void	web_publish_event(struct web *, const char *json);
char	*web_call(struct web *, web_loop_fn, void *ctx);
struct web_buf *web_status_ref(struct web *);
int	web_streams(struct web *);
struct web_buf *web_next_msg(struct web *, uint64_t *next_seq,
	    uint64_t wait_ms, bool *stopping);
void	web_unref(struct web *, struct web_buf *);

#endif
