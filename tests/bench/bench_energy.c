/*
 * bench_energy.c: GET /api/energy's reads (apidb_energy, its CSV) on a
 * database of 100,000 sessions (two years of 24 connectors, 40 tags),
 * in the time zone of the process (TZ). For each query: the median and
 * the worst of 7 runs, with the sessions_end index and without it.
 * Prints figures (docs/performance.md); passes or fails nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "apidb.h"
#include "clock.h"
#include "store.h"

#define SESSIONS	100000
#define RUNS		7
#define DAY_MS		(24LL * 3600 * 1000)
#define T0		1735689600000LL	/* 2025-01-01 00:00 UTC */
#define SPAN_MS		(730 * DAY_MS)

static void
seed(const char *path)
{
	struct store st;
	char	 note[400], err[300];
	sqlite3	*db;
	sqlite3_stmt *ins;

	unlink(path);
	if (store_open(&st, path, 400, note, sizeof(note), err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "store: %s\n", err);
		exit(1);
	}
	store_close(&st);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO sessions (charger, connector,"
	    " number, start_ms, end_ms, energy_wh, tag, updated_ms) VALUES"
	    " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?5)", -1, &ins, NULL) != SQLITE_OK) {
		fprintf(stderr, "seed: %s\n", sqlite3_errmsg(db));
		exit(1);
	}
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	srand(18);
	for (int i = 0; i < SESSIONS; i++) {
		char	 ch[16], tag[16];
		int64_t	 end = T0 + (int64_t)i * (SPAN_MS / SESSIONS);

		snprintf(ch, sizeof(ch), "bay-%03d", 1 + rand() % 12);
		snprintf(tag, sizeof(tag), "04A1B2%02X", rand() % 40);
		sqlite3_bind_text(ins, 1, ch, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(ins, 2, 1 + rand() % 2);
		sqlite3_bind_int(ins, 3, i + 1);
		sqlite3_bind_int64(ins, 4, end - 3600000 - rand() % 36000000);
		sqlite3_bind_int64(ins, 5, end);
		sqlite3_bind_int(ins, 6, 1000 + rand() % 50000);
		sqlite3_bind_text(ins, 7, tag, -1, SQLITE_TRANSIENT);
		sqlite3_step(ins);
		sqlite3_reset(ins);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_finalize(ins);
	sqlite3_close(db);
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
measure(sqlite3 *db, const char *what, enum apidb_by by, enum energy_group g,
    int64_t span, bool csv)
{
	static struct energy_period per[ENERGY_MAX_PERIODS];
	struct apidb_q q = { .charger = "", .by = by, .group = g,
	    .per = per };
	double	 ms[RUNS];
	size_t	 len = 0;

	q.to_ms = T0 + SPAN_MS;
	q.nper = energy_periods(q.to_ms - span, q.to_ms, g, per,
	    ENERGY_MAX_PERIODS);
	q.from_ms = per[0].start_ms;
	q.to_ms = per[q.nper - 1].end_ms;
	for (int r = 0; r < RUNS; r++) {
		uint64_t t = clock_now_ms();

		if (csv)
			free(apidb_energy_csv(db, &q, &len));
		else
			json_decref(apidb_energy(db, &q));
		ms[r] = (double)(clock_now_ms() - t);
	}
	qsort(ms, RUNS, sizeof(ms[0]), cmp);
	printf("  %-44s %4d periods: median %5.0f ms, worst %5.0f ms\n", what,
	    q.nper, ms[RUNS / 2], ms[RUNS - 1]);
}

static void
queries(sqlite3 *db)
{
	measure(db, "site per day, last 31 days", APIDB_BY_SITE, ENERGY_DAY,
	    31 * DAY_MS, false);
	measure(db, "per connector per day, last 31 days",
	    APIDB_BY_CONNECTOR, ENERGY_DAY, 31 * DAY_MS, false);
	measure(db, "per tag per month, last 12 months", APIDB_BY_TAG,
	    ENERGY_MONTH, 365 * DAY_MS, false);
	measure(db, "per tag per day, 2 years (all 100,000), CSV",
	    APIDB_BY_TAG, ENERGY_DAY, SPAN_MS, true);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	char	 path[256];
	sqlite3	*db;

	snprintf(path, sizeof(path), "%s/bench-energy.db", dir);
	seed(path);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK)
		return 1;
	printf("energy per day/month over %d sessions (database in %s)\n",
	    SESSIONS, dir);
	printf("with the sessions_end index:\n");
	queries(db);
	sqlite3_close(db);
	if (argc < 3) {
		sqlite3_open(path, &db);
		sqlite3_exec(db, "DROP INDEX sessions_end", NULL, NULL, NULL);
		printf("without it (start_ms index only):\n");
		queries(db);
	}
	sqlite3_close(db);
	if (argc < 3)	/* a second argument keeps the database */
		unlink(path);
	return 0;
}
