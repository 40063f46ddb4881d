/*
 * ocppnet.h: the OCPP-J transport. One websocket client per charge point
 * (subprotocol ocpp1.6), all in one libwebsockets thread; reconnection
 * with back-off and jitter, pings, security profiles 0, 1 and 2.
 */
#ifndef EVG_OCPPNET_H
#define EVG_OCPPNET_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* One websocket client per charge point, all in one libwebsockets thread.
 * Nothing here blocks the caller: ocppnet_send() queues, events come back
 * through the callback, which runs in the loop thread (uv_async).
 *
 * OCPPNET_UP: the websocket is open with subprotocol ocpp1.6.
 * OCPPNET_TEXT: one whole text message from the CSMS (text, len; not
 *   NUL-terminated in general, but text[len] is '\0').
 * OCPPNET_DOWN: the connection ended, or an attempt failed (refused,
 *   401, no ocpp1.6, certificate, timeout); why says which. It comes
 *   after every failed attempt too, so a caller that logs only changes
 *   keeps its own up/down state. What was queued and not sent is dropped.
 */
enum ocppnet_ev { OCPPNET_UP, OCPPNET_DOWN, OCPPNET_TEXT };

struct ocppnet_cp_conf {
	char identity[49];        /* appended to the url, percent-encoded */
	char password[65];        /* basic auth (profiles 1, 2); "" none */
};

struct ocppnet_conf {
	char url[256]; int security_profile; char ca_file[256];
	int ping_interval_s;      /* 0: no pings */
	int ncp; const struct ocppnet_cp_conf *cp;
	void (*on_event)(void *arg, int cp, enum ocppnet_ev, const char *text,
	    size_t len, const char *why);   /* why: DOWN's reason, for the log */
	void *arg;
};

struct ocppnet;

/* Checks conf (the url, the profile, every identity, the passwords a
 * profile needs), starts the service thread and connects every charge
 * point. 0, or -1 with the reason logged (never a password). The conf
 * is copied. */
int  ocppnet_start(struct ocppnet **, const struct ocppnet_conf *, uv_loop_t *);
/* Queues one text message for cp; any thread. 0, or -1 when cp is not
 * up or its queue is full (OCPPNET_SENDQ messages). */
int  ocppnet_send(struct ocppnet *, int cp, const char *text, size_t len); /* any thread; -1 when down */
/* Closes cp's connection once what was queued for it is written (e.g.
 * the answer to a Reset), then connects again; any thread. Sends after
 * it are refused until the next OCPPNET_UP. */
void ocppnet_close(struct ocppnet *, int cp);
/* Closes every connection (a close frame to the CSMS, waiting at most
 * 1 s for its answers) and ends the thread; no callback after it.
 * The memory goes with the uv_async's close callback: the loop must run
 * once more (as it does when the program closes its handles). */
void ocppnet_stop(struct ocppnet *);
uint64_t ocppnet_backoff_ms(int attempt, uint32_t rnd); /* pure: 1,2,4..60 s with jitter */

/* Counters, for the status and the benchmarks. */
struct ocppnet_stats {
	int	 up;			/* charge points connected */
	uint64_t connects;		/* successful connections */
	uint64_t failures;		/* failed attempts and drops */
	uint64_t ev_dropped;		/* events lost: the loop's queue full */
	uint64_t tx_dropped;		/* sends refused: a send queue full */
};
void ocppnet_stats(struct ocppnet *, struct ocppnet_stats *);

#define OCPPNET_SENDQ	64		/* messages queued per charge point */
#define OCPPNET_MAX_MSG	(256 * 1024)	/* longest message taken, bytes */

/* The pure parts, unit-tested. */

/* A CSMS url with a charge point's identity appended, split for the
 * connection. */
struct ocppnet_url {
	int	 tls;			/* wss:// */
	char	 host[256];		/* without brackets for IPv6 */
	int	 port;			/* 80 / 443 unless given */
	char	 path[512];		/* url's path + '/' + identity, encoded */
	char	 hostport[272];		/* for the Host header */
};
/* 0, or -1 with why ("must start with ws:// or wss://", ...). */
int  ocppnet_url_split(const char *url, const char *identity,
	    struct ocppnet_url *, char *why, size_t whylen);
/* Percent-encodes s as one URL path segment (RFC 3986 unreserved
 * characters kept); -1 when out is too small or s holds a control
 * character or is empty. */
int  ocppnet_pct_encode(const char *s, char *out, size_t outlen);
/* "Basic " base64(identity ":" password), the header's value (OCPP 1.6
 * security whitepaper: the user name is the identity). -1: too long. */
int  ocppnet_basic_auth(const char *identity, const char *password,
	    char *out, size_t outlen);

#endif
