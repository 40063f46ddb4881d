/*
 * reportdb.c: commissioning reports in the database (table reports,
 * schema 7). Saved from a web request, not the loop: a report is saved
 * a few times in an appliance's life, and its answer needs the row's
 * number, which the store's queue (store.h) cannot give back. So the
 * request opens a connection of its own for the one INSERT; the
 * store's writer and it take turns on SQLite's lock (WAL, busy timeout),
 * and the loop never waits on either.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "report.h"
#include "reportdb.h"

#define REPORTDB_BUSY_MS	5000

/*
 * Stores a report (its JSON) and returns its number, 0 when the
 * appliance holds REPORT_KEEP_MAX already, or -1 with why in err.
 */
json_int_t
reportdb_add(const char *path, const json_t *r, char *err, size_t errlen)
{
	sqlite3	*db = NULL;
	sqlite3_stmt *st = NULL;
	char	*text = json_dumps(r, JSON_COMPACT);
	json_int_t id = -1;

	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, REPORTDB_BUSY_MS);
	/* the count and the row in one transaction: never over the cap */
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO reports (time_ms, site, "
	    "installer, body) SELECT ?1, ?2, ?3, ?4 WHERE (SELECT count(*) "
	    "FROM reports) < ?5", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(r,
	    "time_ms")));
	sqlite3_bind_text(st, 2, json_string_value(json_object_get(r, "site")),
	    -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, json_string_value(json_object_get(r,
	    "installer")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, REPORT_KEEP_MAX);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	id = sqlite3_changes(db) == 1 ? sqlite3_last_insert_rowid(db) : 0;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		id = -1;
out:
	if (id < 0) {
		snprintf(err, errlen, "%s", db ? sqlite3_errmsg(db) :
		    "out of memory");
		if (db != NULL)
			(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(text);
	return id;
}

/* The reports, newest first: number, time, site, installer, counts. */
json_t *
reportdb_list(sqlite3 *db)
{
	sqlite3_stmt *st;
	json_t	*a;

	if (sqlite3_prepare_v2(db, "SELECT id, body FROM reports ORDER BY id "
	    "DESC", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	a = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t	*r = json_loads((const char *)sqlite3_column_text(st,
		    1), 0, NULL);

		json_array_append_new(a, json_pack("{s:I, s:O?, s:O?, s:O?, "
		    "s:O?, s:O?, s:O?}", "id", (json_int_t)sqlite3_column_int64(
		    st, 0), "time_ms", json_object_get(r, "time_ms"), "date",
		    json_object_get(r, "date"), "site", json_object_get(r,
		    "site"), "installer", json_object_get(r, "installer"),
		    "saved_by", json_object_get(r, "saved_by"), "counts",
		    json_object_get(r, "counts")));
		json_decref(r);
	}
	sqlite3_finalize(st);
	return a;
}

/* One report, with its number; NULL when there is none. */
json_t *
reportdb_get(sqlite3 *db, json_int_t id)
{
	sqlite3_stmt *st;
	json_t	*r = NULL;

	if (sqlite3_prepare_v2(db, "SELECT body FROM reports WHERE id = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    (r = json_loads((const char *)sqlite3_column_text(st, 0), 0,
	    NULL)) != NULL)
		json_object_set_new(r, "id", json_integer(id));
	sqlite3_finalize(st);
	return r;
}
