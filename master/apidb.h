/*
 * apidb.h: the API's reads of sessions, events and history (apidb.c).
 */
#ifndef EVG_APIDB_H
#define EVG_APIDB_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct sqlite3;

struct apidb_q {
	int64_t		 from_ms, to_ms;
	const char	*charger;	/* "" = all; events: the source */
	int		 severity;	/* events: at least this */
	int		 limit;
	int		 step;		/* history: minutes per point */
};

json_t	*apidb_sessions(struct sqlite3 *, const struct apidb_q *);
char	*apidb_sessions_csv(struct sqlite3 *, const struct apidb_q *,
	    size_t *len);
json_t	*apidb_events(struct sqlite3 *, const struct apidb_q *);
json_t	*apidb_history(struct sqlite3 *, const struct apidb_q *);
json_t	*apidb_alarms_cleared(struct sqlite3 *, int limit);

#endif
