/*
 * publish.h: the site's status leaves the loop as a snapshot (copies,
 * about 100 bytes a connector) and is turned into JSON by a thread of its
 * own, for the web UI and the status file: the loop never spends the
 * milliseconds that 1000 connectors' JSON costs.
 */
#ifndef EVG_PUBLISH_H
#define EVG_PUBLISH_H

#include <stdbool.h>

#include <uv.h>

#include "site.h"

struct master;
struct web;

struct publisher {
	struct master	*m;
	struct web	*web;		/* NULL: no web UI */
	char		 status_file[256];
	uv_thread_t	 thread;
	uv_mutex_t	 mu;
	uv_cond_t	 cv;
	struct site_snap buf[3];
	struct site_snap *fill;		/* the loop's */
	struct site_snap *ready;	/* the newest, waiting */
	struct site_snap *work;		/* the thread's */
	bool		 fresh, stop, running;
	uint64_t	 published;
};

int	publisher_start(struct publisher *, struct master *, struct web *);
void	publisher_post(struct publisher *, uint64_t now_ms);
void	publisher_stop(struct publisher *);

#endif
