/*
 * extlimit.h: a limit set from outside (a building management system, a
 * grid operator's signal) per phase at the supply, with an expiry. Pure:
 * the site (site.c) keeps one, the API and later the Modbus BMS server
 * set it through site_external_limit_set().
 */
#ifndef EVG_EXTLIMIT_H
#define EVG_EXTLIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "units.h"

/* The validity a setter gives, in seconds (docs/api.md). */
#define EXTLIMIT_VALID_MIN_S	10
#define EXTLIMIT_VALID_MAX_S	86400
/* A changed limit is an event when it moved more than this on a phase
 * from the one last told, or when none was told for EXTLIMIT_NEWS_MS: a
 * BMS that nudges its limit every second (or a writer sending thousands
 * in a burst) must not push every other event out of the newest. The
 * limit itself takes each value at once. */
#define EXTLIMIT_NEWS_DA	10		/* 1 A */
#define EXTLIMIT_NEWS_MS	60000

struct ext_limit {
	bool		 on;
	int32_t		 asked_da[EVG_PHASES];	/* as the setter gave it */
	int32_t		 limit_da[EVG_PHASES];	/* in force: capped */
	uint64_t	 until_ms;		/* now_ms's clock */
	char		 by[32];
	/* the events: the limit last told, when, and the changes since */
	int32_t		 told_da[EVG_PHASES];
	uint64_t	 told_ms;
	uint32_t	 untold;
};

/* Set or renewed: capped at the configured limit (it only ever lowers
 * it); valid_ms from now. */
void	ext_limit_set(struct ext_limit *, const char *who,
	    const int32_t limit_da[EVG_PHASES], int32_t configured_da,
	    uint64_t valid_ms, uint64_t now_ms);
/*
 * The limit just set (ext_limit_set) worth an event? A new one (renewed
 * false: there was none before) always; a changed one when it moved
 * more than EXTLIMIT_NEWS_DA on a phase from the one last told, or none
 * was told for EXTLIMIT_NEWS_MS. True: it is told now, *untold the
 * changes not told before it (then 0); false: counted.
 */
bool	ext_limit_news(struct ext_limit *, bool renewed, uint64_t now_ms,
	    uint32_t *untold);
/* Ended at once; false when there was none. */
bool	ext_limit_clear(struct ext_limit *);
/* Its validity over (now >= until): ended; true the once it ends. */
bool	ext_limit_expire(struct ext_limit *, uint64_t now_ms);
/* A configured limit after it: the lower of the two, per phase. */
int32_t	ext_limit_apply(const struct ext_limit *, int phase,
	    int32_t configured_da);

#endif
