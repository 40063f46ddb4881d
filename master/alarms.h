/*
 * alarms.h: what is wrong now, as a list (docs/api.md, "alarms" in
 * GET /api/status): worked out from the site's state at each snapshot,
 * so an alarm lasts exactly as long as its cause. Each has a stable key
 * (code, source, connector) so that acknowledgement and notification
 * can be added on top of it later.
 */
#ifndef EVG_ALARMS_H
#define EVG_ALARMS_H

#include <stdint.h>

struct site;

#define ALARMS_MAX	32	/* in the status; the total says if more */

struct alarm {
	int		 severity;	/* 1 warning, 2 alarm */
	char		 code[24];	/* write-refused, above-rating, ... */
	char		 source[32];	/* a charger's name */
	int		 connector;	/* 1 or 2; 0: the charger */
	int64_t		 since_ms;	/* wall time; 0: not known */
	char		 text[320];
};

int	alarms_collect(const struct site *, uint64_t now_ms, int64_t wall_ms,
	    struct alarm *, int max, int *total);

#endif
