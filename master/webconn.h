/*
 * webconn.h: who may hold the web server's connections, and how long a
 * request may take to arrive (one address could stall the web UI with
 * slow partial requests). A pure core: web.c feeds it the accepts, the
 * phases of each request and the closes, under its lock, and shuts down
 * the sockets it names.
 *
 * - One address holds at most WEBCONN_PER_ADDR connections.
 * - The last WEBCONN_RESERVE connections are kept for addresses that hold
 *   fewer than WEBCONN_FEW; when every one is taken, a new connection from
 *   such an address makes room by cutting the connection that has waited
 *   longest for a request's headers (a slow flood from many addresses
 *   still leaves room for an installer's laptop, whose request arrives at
 *   once and so is never the one waiting longest).
 * - A request's headers must have arrived whole WEBCONN_HEADERS_MS after
 *   the connection opened or its previous answer was sent, and its body
 *   WEBCONN_BODY_MS after its headers, however the bytes trickle in (the
 *   server's 60 s idle timeout restarts with every byte; this does not).
 */
#ifndef EVG_WEBCONN_H
#define EVG_WEBCONN_H

#include <stdbool.h>
#include <stdint.h>

#define WEBCONN_MAX		256	/* connections in all, ... */
#define WEBCONN_SLACK		64	/* ... and those cut, still closing */
#define WEBCONN_SLOTS		(WEBCONN_MAX + WEBCONN_SLACK)
#define WEBCONN_PER_ADDR	32	/* held by one address */
#define WEBCONN_RESERVE		64	/* kept for addresses holding few */
#define WEBCONN_FEW		4
#define WEBCONN_HEADERS_MS	10000
#define WEBCONN_BODY_MS		30000	/* WEB_BODY_MAX at 17 kbit/s */

/* An address: IPv4 as its IPv4-mapped IPv6 form. */
struct webconn_addr {
	unsigned char	 b[16];
};

enum webconn_phase {
	WC_FREE,
	WC_HEADERS,	/* waiting for a request's headers */
	WC_BODY,	/* headers in, waiting for the body */
	WC_ANSWER,	/* being answered (an event stream stays here) */
	WC_CUT		/* overdue: its socket was shut down */
};

struct webconn_slot {
	enum webconn_phase	 phase;
	struct webconn_addr	 addr;
	int			 fd;
	uint64_t		 since_ms;	/* start of the phase */
};

struct webconn {
	struct webconn_slot	 slot[WEBCONN_SLOTS];
	int			 open;		/* slots in use, ... */
	int			 closing;	/* ... of which cut */
	uint64_t		 refused, cut, evicted;	/* since the start */
};

enum webconn_refusal {
	WC_OK,
	WC_FULL,	/* every connection in use */
	WC_ADDR_LIMIT,	/* this address holds WEBCONN_PER_ADDR */
	WC_RESERVED	/* the rest is kept for addresses holding few */
};

void	webconn_init(struct webconn *);
int	webconn_held(const struct webconn *, const struct webconn_addr *);
enum webconn_refusal webconn_admit(struct webconn *,
	    const struct webconn_addr *, int *evict_fd);
int	webconn_open(struct webconn *, const struct webconn_addr *, int fd,
	    uint64_t now_ms);
void	webconn_phase(struct webconn *, int slot, enum webconn_phase,
	    uint64_t now_ms);
void	webconn_close(struct webconn *, int slot);
int	webconn_overdue(struct webconn *, uint64_t now_ms, int *fds, int max);
const char *webconn_refusal_text(enum webconn_refusal);

#endif
