/*
 * apidb.c: the API's reads of the records (sessions, events, history) on
 * its own read-only SQLite connection, so they never wait on the writer
 * and the writer never waits on them (WAL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "apidb.h"
#include "text.h"

static const char *
col_text(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	return t ? t : "";
}

/*
 * A text column as a JSON string that always exists (issue 17, item 8):
 * jansson refuses a string that is not UTF-8, and a row packed with one
 * used to vanish from the answer. A row written before the event writer
 * escaped its texts, or by anything else, comes back escaped as the
 * event writer would have (text.h: invalid bytes as U+FFFD, controls as
 * \n, \x1b). The columns are short: the longest we write is an event's
 * 160 bytes, which escaping at most quadruples.
 */
static json_t *
col_json(sqlite3_stmt *st, int i)
{
	char	 buf[1024];

	text_escape(buf, sizeof(buf), col_text(st, i));
	return json_string(buf);
}

static const char sessions_sql[] =
    "SELECT id, charger, connector, number, start_ms, end_ms, energy_wh,"
    " peak_da, tag, coalesce(reason, '') FROM sessions"
    " WHERE start_ms >= ?1 AND start_ms < ?2 AND (?3 = '' OR charger = ?3)"
    " ORDER BY start_ms DESC LIMIT ?4";

static sqlite3_stmt *
sessions_query(sqlite3 *db, const struct apidb_q *q)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sessions_sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, q->from_ms);
	sqlite3_bind_int64(st, 2, q->to_ms);
	sqlite3_bind_text(st, 3, q->charger, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, q->limit);
	return st;
}

json_t *
apidb_sessions(sqlite3 *db, const struct apidb_q *q)
{
	sqlite3_stmt *st = sessions_query(db, q);
	json_t	*a;

	if (st == NULL)
		return NULL;
	a = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:I, s:o, s:i, s:I, s:I, "
		    "s:o, s:I, s:f, s:o, s:o}",
		    "id", (json_int_t)sqlite3_column_int64(st, 0),
		    "charger", col_json(st, 1),
		    "connector", sqlite3_column_int(st, 2),
		    "number", (json_int_t)sqlite3_column_int64(st, 3),
		    "start_ms", (json_int_t)sqlite3_column_int64(st, 4),
		    "end_ms", sqlite3_column_type(st, 5) == SQLITE_NULL ?
		    json_null() : json_integer(sqlite3_column_int64(st, 5)),
		    "energy_wh", (json_int_t)sqlite3_column_int64(st, 6),
		    "peak_current", sqlite3_column_int(st, 7) / 10.0,
		    "tag", col_json(st, 8),
		    "reason", col_json(st, 9)));
	sqlite3_finalize(st);
	return a;
}

/* A CSV field: escaped as in the JSON (col_json), quoted when it holds a
 * comma, semicolon or quote; a leading =, +, - or @ is prefixed so spreadsheets do
 * not run it. */
static void
csv_field(FILE *fp, const char *raw)
{
	char	 buf[1024], *s = buf;
	bool	 quote;

	text_escape(buf, sizeof(buf), raw);
	/* a semicolon too: spreadsheets of many locales split on it, and
	 * the part after it would start a field of its own */
	quote = strpbrk(s, ",;\"") != NULL;
	if (quote)
		fputc('"', fp);
	if (strchr("=+-@", s[0]) != NULL && s[0] != '\0')
		fputc('\'', fp);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	if (quote)
		fputc('"', fp);
}

static void
iso_time(char *buf, size_t len, int64_t ms)
{
	time_t	 t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *
apidb_sessions_csv(sqlite3 *db, const struct apidb_q *q, size_t *len)
{
	sqlite3_stmt *st = sessions_query(db, q);
	char	*buf = NULL, a[32], b[32];
	FILE	*fp;

	if (st == NULL || (fp = open_memstream(&buf, len)) == NULL) {
		sqlite3_finalize(st);
		return NULL;
	}
	fputs("id,charger,connector,number,start,end,energy_kwh,"
	    "peak_current_a,tag,stop_reason\r\n", fp);
	while (sqlite3_step(st) == SQLITE_ROW) {
		iso_time(a, sizeof(a), sqlite3_column_int64(st, 4));
		b[0] = '\0';
		if (sqlite3_column_type(st, 5) != SQLITE_NULL)
			iso_time(b, sizeof(b), sqlite3_column_int64(st, 5));
		fprintf(fp, "%lld,", (long long)sqlite3_column_int64(st, 0));
		csv_field(fp, col_text(st, 1));
		fprintf(fp, ",%d,%lld,%s,%s,%.3f,%.1f,", sqlite3_column_int(st, 2),
		    (long long)sqlite3_column_int64(st, 3), a, b,
		    sqlite3_column_int64(st, 6) / 1000.0,
		    sqlite3_column_int(st, 7) / 10.0);
		csv_field(fp, col_text(st, 8));
		fputc(',', fp);
		csv_field(fp, col_text(st, 9));
		fputs("\r\n", fp);
	}
	sqlite3_finalize(st);
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

json_t *
apidb_events(sqlite3 *db, const struct apidb_q *q)
{
	sqlite3_stmt *st;
	json_t	*a;

	if (sqlite3_prepare_v2(db, "SELECT id, time_ms, severity, source, code,"
	    " text FROM events WHERE time_ms >= ?1 AND time_ms < ?2 AND"
	    " severity >= ?3 AND (?4 = '' OR source = ?4)"
	    " ORDER BY time_ms DESC, id DESC LIMIT ?5", -1, &st, NULL) !=
	    SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, q->from_ms);
	sqlite3_bind_int64(st, 2, q->to_ms);
	sqlite3_bind_int(st, 3, q->severity);
	sqlite3_bind_text(st, 4, q->charger, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, q->limit);
	a = json_array();
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, json_pack("{s:I, s:I, s:i, s:o, s:o, "
		    "s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
		    "time_ms", (json_int_t)sqlite3_column_int64(st, 1),
		    "severity", sqlite3_column_int(st, 2),
		    "source", col_json(st, 3), "code", col_json(st, 4),
		    "text", col_json(st, 5)));
	sqlite3_finalize(st);
	return a;
}

/*
 * Per-minute history, in steps of q->step minutes (min of the minima,
 * average of the averages, max of the maxima): arrays of [L1, L2, L3].
 */
json_t *
apidb_history(sqlite3 *db, const struct apidb_q *q)
{
	sqlite3_stmt *st;
	json_t	*t, *mn, *av, *mx, *ev;

	if (sqlite3_prepare_v2(db, "SELECT minute / ?3 * ?3 AS m,"
	    " min(min_l1), min(min_l2), min(min_l3),"
	    " avg(avg_l1), avg(avg_l2), avg(avg_l3),"
	    " max(max_l1), max(max_l2), max(max_l3),"
	    " avg(ev_l1), avg(ev_l2), avg(ev_l3)"
	    " FROM history WHERE minute >= ?1 AND minute < ?2"
	    " GROUP BY m ORDER BY m", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int64(st, 1, q->from_ms / 60000);
	sqlite3_bind_int64(st, 2, q->to_ms / 60000);
	sqlite3_bind_int(st, 3, q->step);
	t = json_array();
	mn = json_array();
	av = json_array();
	mx = json_array();
	ev = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t	*set[4] = { mn, av, mx, ev };

		json_array_append_new(t, json_integer(
		    sqlite3_column_int64(st, 0) * 60000));
		for (int s = 0; s < 4; s++)
			json_array_append_new(set[s], json_pack("[f, f, f]",
			    (int)sqlite3_column_double(st, 1 + 3 * s) / 10.0,
			    (int)sqlite3_column_double(st, 2 + 3 * s) / 10.0,
			    (int)sqlite3_column_double(st, 3 + 3 * s) / 10.0));
	}
	sqlite3_finalize(st);
	return json_pack("{s:i, s:o, s:o, s:o, s:o, s:o}", "step_minutes",
	    q->step, "time_ms", t, "min", mn, "avg", av, "max", mx, "ev", ev);
}

/* The alarms that cleared, the newest first (GET /api/alarms). */
json_t *
apidb_alarms_cleared(sqlite3 *db, int limit)
{
	sqlite3_stmt *st;
	json_t	*a;

	if (sqlite3_prepare_v2(db, "SELECT severity, code, source, connector,"
	    " text, since_ms, cleared_ms, ack_by, ack_ms FROM alarms WHERE"
	    " cleared_ms IS NOT NULL ORDER BY cleared_ms DESC, id DESC"
	    " LIMIT ?1", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_int(st, 1, limit);
	a = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		bool	 ack = sqlite3_column_bytes(st, 7) > 0;

		json_array_append_new(a, json_pack("{s:i, s:o, s:o, s:i, s:o, "
		    "s:I, s:I, s:b, s:o, s:o}", "severity",
		    sqlite3_column_int(st, 0), "code", col_json(st, 1), "source",
		    col_json(st, 2), "connector", sqlite3_column_int(st, 3),
		    "text", col_json(st, 4), "since_ms",
		    (json_int_t)sqlite3_column_int64(st, 5), "cleared_ms",
		    (json_int_t)sqlite3_column_int64(st, 6), "acknowledged", ack,
		    "ack_by", ack ? col_json(st, 7) : json_null(), "ack_ms", ack ?
		    json_integer(sqlite3_column_int64(st, 8)) : json_null()));
	}
	sqlite3_finalize(st);
	return a;
}
