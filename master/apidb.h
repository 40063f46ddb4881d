/*
 * apidb.h: the API's reads of sessions, events and history (apidb.c).
 */
#ifndef EVG_APIDB_H
#define EVG_APIDB_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "energy.h"

struct sqlite3;

/* Energy: one series for the site, or one per connector or per tag. */
enum apidb_by { APIDB_BY_SITE, APIDB_BY_CONNECTOR, APIDB_BY_TAG };

struct apidb_q {
	int64_t		 from_ms, to_ms;
	const char	*charger;	/* "" = all; events: the source */
	int		 severity;	/* events: at least this */
	int		 limit;
	int		 step;		/* history: minutes per point */
	int		 connector;	/* sessions, energy: 0 = all */
	char		 tag[32];	/* sessions, energy: normalised, "" = all */
	/* energy: the periods (from_ms, to_ms are theirs), the series */
	const struct energy_period *per;
	int		 nper;
	enum energy_group group;
	enum apidb_by	 by;
};

json_t	*apidb_sessions(struct sqlite3 *, const struct apidb_q *);
char	*apidb_sessions_csv(struct sqlite3 *, const struct apidb_q *,
	    size_t *len);
json_t	*apidb_energy(struct sqlite3 *, const struct apidb_q *);
char	*apidb_energy_csv(struct sqlite3 *, const struct apidb_q *,
	    size_t *len);
json_t	*apidb_events(struct sqlite3 *, const struct apidb_q *);
json_t	*apidb_history(struct sqlite3 *, const struct apidb_q *);

#endif
