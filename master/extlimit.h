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

struct ext_limit {
	bool		 on;
	int32_t		 asked_da[EVG_PHASES];	/* as the setter gave it */
	int32_t		 limit_da[EVG_PHASES];	/* in force: capped */
	uint64_t	 until_ms;		/* now_ms's clock */
	char		 by[32];
};

/* Set or renewed: capped at the configured limit (it only ever lowers
 * it); valid_ms from now. */
void	ext_limit_set(struct ext_limit *, const char *who,
	    const int32_t limit_da[EVG_PHASES], int32_t configured_da,
	    uint64_t valid_ms, uint64_t now_ms);
/* Ended at once; false when there was none. */
bool	ext_limit_clear(struct ext_limit *);
/* Its validity over (now >= until): ended; true the once it ends. */
bool	ext_limit_expire(struct ext_limit *, uint64_t now_ms);
/* A configured limit after it: the lower of the two, per phase. */
int32_t	ext_limit_apply(const struct ext_limit *, int phase,
	    int32_t configured_da);

#endif
