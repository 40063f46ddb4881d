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
#include "master.h"
#include "siteapi.h"
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

/*
 * A session's tag as the whitelist keeps it (rfid_normalise: no ':',
 * '-', '.' or space, upper case), and the whitelist's names by it (rows
 * of an earlier release may be in lower case; one name per tag).
 */
#define TAG_NORM(col)	"upper(replace(replace(replace(replace(" col \
	", ':', ''), '-', ''), '.', ''), ' ', ''))"
#define TAG_NAMES	"WITH names(tag, name) AS (SELECT " TAG_NORM("tag") \
	", min(name) FROM rfid GROUP BY 1) "
/* ?3 charger, ?4 connector, ?5 tag: each "" or 0 for all */
#define SES_FILTER	" AND (?3 = '' OR s.charger = ?3) AND (?4 = 0 OR" \
	" s.connector = ?4) AND (?5 = '' OR " TAG_NORM("s.tag") " = ?5)"

static const char sessions_sql[] = TAG_NAMES
    "SELECT s.id, s.charger, s.connector, s.number, s.start_ms, s.end_ms,"
    " s.energy_wh, s.peak_da, s.tag, coalesce(s.reason, ''),"
    " coalesce(n.name, '') FROM sessions s LEFT JOIN names n ON n.tag = "
    TAG_NORM("s.tag") " WHERE s.start_ms >= ?1 AND s.start_ms < ?2"
    SES_FILTER " ORDER BY s.start_ms DESC LIMIT ?6";

/* The filters that the sessions and the energy share. */
static void
bind_filter(sqlite3_stmt *st, const struct apidb_q *q)
{
	sqlite3_bind_int64(st, 1, q->from_ms);
	sqlite3_bind_int64(st, 2, q->to_ms);
	sqlite3_bind_text(st, 3, q->charger, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, q->connector);
	sqlite3_bind_text(st, 5, q->tag, -1, SQLITE_STATIC);
}

static sqlite3_stmt *
sessions_query(sqlite3 *db, const struct apidb_q *q)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sessions_sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	bind_filter(st, q);
	sqlite3_bind_int(st, 6, q->limit);
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
		    "s:o, s:I, s:f, s:o, s:o, s:o}",
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
		    "reason", col_json(st, 9),
		    "tag_name", col_json(st, 10)));
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
	    "peak_current_a,tag,stop_reason,tag_name\r\n", fp);
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
		fputc(',', fp);
		csv_field(fp, col_text(st, 10));
		fputs("\r\n", fp);
	}
	sqlite3_finalize(st);
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* --- energy per day or month ---------------------------------------------- */

/*
 * The sessions that ended in the periods (or were last saved there, in
 * progress), on the sessions_end index (the same expression); summed
 * per series in C (energy.c), which costs less than an ORDER BY.
 */
static const char energy_sql[] =
    "SELECT s.charger, s.connector, s.tag, s.end_ms IS NULL,"
    " coalesce(s.end_ms, 0), s.updated_ms, s.energy_wh FROM sessions s"
    " WHERE coalesce(s.end_ms, s.updated_ms) >= ?1 AND"
    " coalesce(s.end_ms, s.updated_ms) < ?2" SES_FILTER;

/* The whitelist's names by normalised tag, sorted for bsearch. */
struct tag_name {
	char	 tag[32];
	char	*name;
};

static int
tag_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tag_name *)a)->tag,
	    ((const struct tag_name *)b)->tag);
}

static struct tag_name *
tag_names(sqlite3 *db, size_t *n)
{
	struct tag_name *t = NULL, *nt;
	sqlite3_stmt *st;
	size_t	 cap = 0;
	char	 buf[512];

	*n = 0;
	if (sqlite3_prepare_v2(db, "SELECT tag, name FROM rfid ORDER BY tag",
	    -1, &st, NULL) != SQLITE_OK)
		return NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nt = realloc(t, cap * sizeof(*t))) == NULL)
				break;
			t = nt;
		}
		if (rfid_normalise(col_text(st, 0), t[*n].tag,
		    sizeof(t[*n].tag)) != 0)
			continue;
		text_escape(buf, sizeof(buf), col_text(st, 1));
		if ((t[*n].name = strdup(buf)) != NULL)
			(*n)++;
	}
	sqlite3_finalize(st);
	if (*n > 0)
		qsort(t, *n, sizeof(*t), tag_name_cmp);
	return t;
}

static const char *
tag_name_of(const struct tag_name *t, size_t n, const char *tag)
{
	struct tag_name k;
	const struct tag_name *f;

	if (n == 0)
		return "";
	snprintf(k.tag, sizeof(k.tag), "%s", tag);
	f = bsearch(&k, t, n, sizeof(*t), tag_name_cmp);
	return f ? f->name : "";
}

/* A row's series: "" for the site, "charger\1N" or the normalised tag
 * (escaped as written when it is not a tag's). */
static void
energy_key(char *key, size_t len, sqlite3_stmt *st, enum apidb_by by)
{
	char	 buf[256];

	key[0] = '\0';
	if (by == APIDB_BY_CONNECTOR) {
		text_escape(buf, sizeof(buf), col_text(st, 0));
		snprintf(key, len, "%s\1%d", buf, sqlite3_column_int(st, 1));
	} else if (by == APIDB_BY_TAG && col_text(st, 2)[0] != '\0' &&
	    rfid_normalise(col_text(st, 2), key, len) != 0)
		text_escape(key, len, col_text(st, 2));
}

/*
 * The sessions of the periods summed per series into t, and for the
 * whole selection into total[] (one per period). 0 or -1.
 */
static int
energy_read(sqlite3 *db, const struct apidb_q *q, struct energy_table *t,
    struct energy_cell *total)
{
	sqlite3_stmt *st;
	char	 key[300];
	int	 rc;

	energy_table_init(t, q->per, q->nper);
	if (sqlite3_prepare_v2(db, energy_sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	bind_filter(st, q);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct energy_row r = {
			.in_progress = sqlite3_column_int(st, 3) != 0,
			.end_ms = sqlite3_column_int64(st, 4),
			.updated_ms = sqlite3_column_int64(st, 5),
			.energy_wh = sqlite3_column_int64(st, 6),
		};

		energy_key(key, sizeof(key), st, q->by);
		if (energy_table_add(t, key, &r) == -2) {
			rc = SQLITE_NOMEM;
			break;
		}
		(void)energy_add(q->per, q->nper, total, &r);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	energy_table_sort(t);
	return 0;
}

/* A series' key split back: charger and connector. */
static int
key_connector(const char *key, char *charger, size_t len)
{
	const char *sep = strchr(key, '\1');

	if (sep == NULL) {
		snprintf(charger, len, "%s", key);
		return 0;
	}
	snprintf(charger, len, "%.*s", (int)(sep - key), key);
	return atoi(sep + 1);
}

static void
csv_energy_line(FILE *fp, const struct apidb_q *q, const char *key,
    const char *name, const struct energy_cell *c)
{
	char	 ch[300];
	int	 k;

	fprintf(fp, "%s,", q->per[c->period].label);
	if (q->by == APIDB_BY_CONNECTOR) {
		k = key_connector(key, ch, sizeof(ch));
		csv_field(fp, ch);
		fprintf(fp, ",%d,", k);
	} else if (q->by == APIDB_BY_TAG) {
		csv_field(fp, key);
		fputc(',', fp);
		csv_field(fp, name);
		fputc(',', fp);
	}
	fprintf(fp, "%lld.%03lld,%d\r\n", (long long)(c->energy_wh / 1000),
	    (long long)(c->energy_wh % 1000), c->sessions);
}

static json_t *
series_json(const struct apidb_q *q, const char *key, const char *name)
{
	char	 ch[300];
	int	 k;

	if (q->by == APIDB_BY_CONNECTOR) {
		k = key_connector(key, ch, sizeof(ch));
		return json_pack("{s:s, s:i}", "charger", ch, "connector", k);
	}
	if (q->by == APIDB_BY_TAG)
		return json_pack("{s:s, s:s}", "tag", key, "tag_name", name);
	return json_object();
}

/*
 * Writes the table out: CSV lines into fp, or (fp NULL) a JSON array of
 * series, each with its totals and its cells.
 */
static json_t *
energy_out(sqlite3 *db, const struct apidb_q *q, const struct energy_table *t,
    FILE *fp)
{
	json_t	*all = fp ? NULL : json_array(), *se = NULL, *cells = NULL;
	size_t	 nn = 0;
	struct tag_name *names = q->by == APIDB_BY_TAG ? tag_names(db, &nn) :
	    NULL;
	int64_t	 wh = 0;
	int	 n = 0;

	for (int i = 0; i < t->ncell; i++) {
		const struct energy_cell *c = &t->cell[i];
		const char *key = t->key[c->series];
		const char *name = tag_name_of(names, nn, key);

		if (fp != NULL) {
			csv_energy_line(fp, q, key, name, c);
			continue;
		}
		if (i == 0 || c->series != t->cell[i - 1].series) {
			se = series_json(q, key, name);
			cells = json_array();
			json_object_set_new(se, "cells", cells);
			json_array_append_new(all, se);
			wh = n = 0;
		}
		wh += c->energy_wh;
		n += c->sessions;
		json_object_set_new(se, "energy_wh", json_integer(wh));
		json_object_set_new(se, "sessions", json_integer(n));
		json_array_append_new(cells, json_pack("{s:s, s:i, s:I, s:i}",
		    "period", q->per[c->period].label, "index", c->period,
		    "energy_wh", (json_int_t)c->energy_wh,
		    "sessions", c->sessions));
	}
	for (size_t i = 0; i < nn; i++)
		free(names[i].name);
	free(names);
	return all;
}

json_t *
apidb_energy(sqlite3 *db, const struct apidb_q *q)
{
	static const char *const by[] = { "site", "connector", "tag" };
	struct energy_table t;
	struct energy_cell *total = calloc((size_t)q->nper + 1, sizeof(*total));
	json_t	*per, *series;
	int64_t	 wh = 0;
	int	 n = 0;

	energy_table_init(&t, q->per, q->nper);
	if (total == NULL || energy_read(db, q, &t, total) != 0) {
		free(total);
		energy_table_free(&t);
		return NULL;
	}
	series = energy_out(db, q, &t, NULL);
	energy_table_free(&t);
	per = json_array();
	for (int i = 0; i < q->nper; i++) {
		wh += total[i].energy_wh;
		n += total[i].sessions;
		json_array_append_new(per, json_pack("{s:s, s:I, s:I, s:I, s:i}",
		    "period", q->per[i].label,
		    "start_ms", (json_int_t)q->per[i].start_ms,
		    "end_ms", (json_int_t)q->per[i].end_ms,
		    "energy_wh", (json_int_t)total[i].energy_wh,
		    "sessions", total[i].sessions));
	}
	free(total);
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:i, s:o, s:o}",
	    "group", q->group == ENERGY_DAY ? "day" : "month", "by", by[q->by],
	    "from_ms", (json_int_t)q->from_ms, "to_ms", (json_int_t)q->to_ms,
	    "energy_wh", (json_int_t)wh, "sessions", n, "periods", per,
	    "series", series);
}

char *
apidb_energy_csv(sqlite3 *db, const struct apidb_q *q, size_t *len)
{
	static const char *const head[] = {
		[APIDB_BY_SITE] = "period,energy_kwh,sessions\r\n",
		[APIDB_BY_CONNECTOR] = ("period,charger,connector,energy_kwh,"
		    "sessions\r\n"),
		[APIDB_BY_TAG] = "period,tag,tag_name,energy_kwh,sessions\r\n",
	};
	struct energy_table t;
	struct energy_cell *total = calloc((size_t)q->nper + 1, sizeof(*total));
	char	*buf = NULL;
	FILE	*fp;
	int	 rc;

	energy_table_init(&t, q->per, q->nper);
	rc = total ? energy_read(db, q, &t, total) : -1;
	free(total);
	if (rc != 0 || (fp = open_memstream(&buf, len)) == NULL) {
		energy_table_free(&t);
		return NULL;
	}
	fputs(head[q->by], fp);
	(void)energy_out(db, q, &t, fp);
	energy_table_free(&t);
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
