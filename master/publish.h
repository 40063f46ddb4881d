/*
 * publish.h: the site's status leaves the loop as a snapshot (copies,
 * about 100 bytes a connector) and is turned into JSON by a thread of its
 * own, for the web UI and the status file: the loop never spends the
 * milliseconds that 1000 connectors' JSON costs. The JSON is made only
 * when something reads it: the status file, an open event stream, GET
 * /api/status (for a while after each), or a reader that asks now.
 */
#ifndef EVG_PUBLISH_H
#define EVG_PUBLISH_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "site.h"

/*
 * After a GET /api/status, every snapshot is made into JSON for this long,
 * so that a client polling once a cycle or more finds it ready (as it did
 * when every snapshot was made); after that, a request waits for one
 * (a few ms for 1000 connectors).
 */
#define PUBLISH_LINGER_MS	10000
#define PUBLISH_SYNC_MS		2000	/* a reader waits at most this long */

struct master;
struct mqtt;
struct web;

struct publisher {
	struct master	*m;
	struct web	*web;		/* NULL: no web UI */
	struct mqtt	*mqtt;		/* NULL: no MQTT; else every snapshot */
	char		 status_file[256];
	uv_thread_t	 thread;
	uv_mutex_t	 mu;
	uv_cond_t	 cv;		/* the thread: a snapshot, a reader */
	uv_cond_t	 done;		/* readers: a status published */
	struct site_snap buf[3];
	struct site_snap *fill;		/* the loop's */
	struct site_snap *ready;	/* the newest, waiting */
	struct site_snap *work;		/* the thread's */
	bool		 fresh, stop, running;
	bool		 want;		/* a reader waits for the newest */
	uint64_t	 posted;	/* snapshots from the loop; ready's */
	uint64_t	 built;		/* the snapshot of the newest JSON */
	uint64_t	 asked_ms;	/* the last GET /api/status */
	uint64_t	 published;
};

int	publisher_start(struct publisher *, struct master *, struct web *);
void	publisher_post(struct publisher *, uint64_t now_ms);
void	publisher_sync(struct publisher *);
void	publisher_stop(struct publisher *);
void	publisher_free(struct publisher *);

#endif
