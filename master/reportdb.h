/*
 * reportdb.h: commissioning reports kept in the database (reportdb.c).
 */
#ifndef EVG_REPORTDB_H
#define EVG_REPORTDB_H

#include <stddef.h>

#include <jansson.h>

struct sqlite3;

json_int_t reportdb_add(const char *path, const json_t *report, char *err,
	    size_t errlen);
json_t	*reportdb_list(struct sqlite3 *);
json_t	*reportdb_get(struct sqlite3 *, json_int_t id);

#endif
