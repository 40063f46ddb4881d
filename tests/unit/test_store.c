/*
 * test_store.c: the SQLite store: records written by the writer thread
 * and found again, sessions counted once, migration from the first
 * schema, a damaged database moved aside, a newer one refused, a live
 * backup.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glob.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "store.h"

#ifndef FIXTURES
#define FIXTURES "tests/fixtures"
#endif

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/evg-store-XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	 cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *
db_path(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static long long
scalar(const char *path, const char *sql)
{
	sqlite3	*db;
	sqlite3_stmt *st;
	long long v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
open_ok(struct store *s, const char *path, char *note)
{
	char	 err[300];

	if (store_open(s, path, 400, note, 400, err, sizeof(err)) != 0)
		fail_msg("store_open: %s", err);
	assert_int_equal(store_start(s), 0);
}

static struct store_rec
session(enum store_kind k, const char *ch, int conn, uint32_t no, uint32_t wh)
{
	struct store_rec r = { .kind = k, .wall_ms = 1800000000000 + wh };

	snprintf(r.u.s.charger, sizeof(r.u.s.charger), "%s", ch);
	r.u.s.connector = conn;
	r.u.s.number = no;
	r.u.s.start_ms = 1800000000000;
	r.u.s.energy_wh = wh;
	r.u.s.peak_da = 160;
	if (k == STORE_SESSION_CLOSE)
		strcpy(r.u.s.reason, "unplug");
	return r;
}

static void
test_records_written_and_found(void **state)
{
	struct store s;
	char	 note[400];
	const char *p = db_path("a.db");

	(void)state;
	open_ok(&s, p, note);
	assert_string_equal(note, "");
	for (int i = 0; i < 5000; i++) {
		struct store_rec r = { .kind = STORE_EVENT };

		r.u.ev.severity = i % 3;
		snprintf(r.u.ev.source, sizeof(r.u.ev.source), "bay-%02d", i % 7);
		strcpy(r.u.ev.code, "test");
		snprintf(r.u.ev.text, sizeof(r.u.ev.text), "event %d", i);
		store_put(&s, &r);
	}
	{
		struct store_rec h = { .kind = STORE_HISTORY };

		h.u.h.minute = 30000000;
		h.u.h.avg_da[1] = 123;
		store_put(&s, &h);
	}
	/* a charge point's charging profiles: the text is the store's
	 * (freed once written: the sanitizer sees a leak or a double
	 * free); the second replaces the first */
	for (int i = 1; i <= 2; i++) {
		struct store_rec r = { .kind = STORE_OCPP_PROFILES };

		strcpy(r.u.prof.identity, "CP-01");
		assert_int_equal(asprintf(&r.u.prof.profiles, "[{\"n\":%d}]",
		    i), 9);
		store_put(&s, &r);
	}
	store_close(&s);
	assert_int_equal(scalar(p, "SELECT count(*) FROM ocpp_profiles"), 1);
	assert_int_equal(scalar(p, "SELECT profiles -> '$[0].n' FROM "
	    "ocpp_profiles WHERE identity = 'CP-01'"), 2);
	assert_int_equal(scalar(p, "SELECT count(*) FROM events"), 5000);
	assert_int_equal(scalar(p, "SELECT avg_l2 FROM history"), 123);
	assert_int_equal(scalar(p, "PRAGMA user_version"), STORE_SCHEMA);
	assert_int_equal(store_schema_version(p), STORE_SCHEMA);
}

static void
test_session_counted_once(void **state)
{
	struct store s;
	char	 note[400];
	const char *p = db_path("b.db");
	struct store_open_session open[8];
	struct store_rec r;

	(void)state;
	open_ok(&s, p, note);
	r = session(STORE_SESSION_OPEN, "bay-01", 1, 5, 0);
	store_put(&s, &r);
	store_put(&s, &r);		/* seen again: nothing new */
	r = session(STORE_SESSION_UPDATE, "bay-01", 1, 5, 900);
	store_put(&s, &r);
	r = session(STORE_SESSION_OPEN, "bay-01", 2, 9, 0);
	store_put(&s, &r);
	store_close(&s);
	assert_int_equal(scalar(p, "SELECT count(*) FROM sessions"), 2);
	assert_int_equal(scalar(p, "SELECT energy_wh FROM sessions WHERE "
	    "connector = 1"), 900);

	/* At the next start both are still open. */
	open_ok(&s, p, note);
	assert_int_equal(store_open_sessions(&s, open, 8), 2);
	r = session(STORE_SESSION_CLOSE, "bay-01", 1, 5, 1200);
	store_put(&s, &r);
	store_put(&s, &r);		/* closing twice: once */
	/* the charger restarted and numbers its sessions afresh */
	r = session(STORE_SESSION_OPEN, "bay-01", 1, 5, 0);
	store_put(&s, &r);
	store_close(&s);
	assert_int_equal(scalar(p, "SELECT count(*) FROM sessions"), 3);
	assert_int_equal(scalar(p, "SELECT count(*) FROM sessions WHERE "
	    "end_ms IS NULL"), 2);
	assert_int_equal(scalar(p, "SELECT energy_wh FROM sessions WHERE "
	    "reason = 'unplug'"), 1200);
}

static void
test_migration_from_first_schema(void **state)
{
	struct store s;
	char	 note[400], cmd[300];
	const char *p = db_path("v1.db");

	(void)state;
	snprintf(cmd, sizeof(cmd), "sqlite3 %s < %s/store-v1.sql", p, FIXTURES);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(store_schema_version(p), 1);
	open_ok(&s, p, note);
	store_close(&s);
	assert_int_equal(store_schema_version(p), STORE_SCHEMA);
	/* what was there is still there, with the new columns */
	assert_int_equal(scalar(p, "SELECT count(*) FROM sessions"), 2);
	assert_int_equal(scalar(p, "SELECT energy_wh FROM sessions WHERE "
	    "number = 7"), 11000);
	assert_int_equal(scalar(p, "SELECT peak_da FROM sessions WHERE "
	    "number = 7"), 0);
	assert_int_equal(scalar(p, "SELECT count(*) FROM events"), 1);
	assert_int_equal(scalar(p, "SELECT max_l1 FROM history"), 120);
	assert_int_equal(scalar(p, "SELECT count(*) FROM rfid"), 0);
	/* and the open one is found for recovery */
	open_ok(&s, p, note);
	{
		struct store_open_session open[4];

		assert_int_equal(store_open_sessions(&s, open, 4), 1);
		assert_string_equal(open[0].charger, "bay-02");
		assert_int_equal(open[0].energy_wh, 2500);
	}
	store_close(&s);
}

static void
test_damaged_database_moved_aside(void **state)
{
	struct store s;
	char	 note[400], pattern[160];
	const char *p = db_path("bad.db");
	FILE	*fp = fopen(p, "w");
	glob_t	 g;

	(void)state;
	assert_non_null(fp);
	for (int i = 0; i < 2000; i++)
		fputs("this is not a database at all\n", fp);
	fclose(fp);
	open_ok(&s, p, note);
	assert_non_null(strstr(note, "damaged"));
	assert_non_null(strstr(note, "started a fresh one"));
	store_close(&s);
	snprintf(pattern, sizeof(pattern), "%s.damaged-*", p);
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	assert_int_equal(g.gl_pathc, 1);
	globfree(&g);
	assert_int_equal(scalar(p, "SELECT count(*) FROM pragma_integrity_check "
	    "WHERE integrity_check = 'ok'"), 1);
	assert_int_equal(store_schema_version(p), STORE_SCHEMA);
}

static void
test_newer_schema_refused(void **state)
{
	struct store s;
	char	 note[400], err[300], cmd[200];
	const char *p = db_path("new.db");

	(void)state;
	snprintf(cmd, sizeof(cmd), "sqlite3 %s 'PRAGMA user_version = 99;'", p);
	assert_int_equal(system(cmd), 0);
	assert_int_not_equal(store_open(&s, p, 400, note, sizeof(note), err,
	    sizeof(err)), 0);
	assert_non_null(strstr(err, "newer than this program"));
}

static void
test_live_backup(void **state)
{
	struct store s;
	char	 note[400], err[300];
	const char *p = db_path("live.db");
	char	 dest[128];

	(void)state;
	snprintf(dest, sizeof(dest), "%s/copy.db", dir);
	open_ok(&s, p, note);
	for (int i = 0; i < 2000; i++) {
		struct store_rec r = { .kind = STORE_EVENT };

		strcpy(r.u.ev.source, "x");
		strcpy(r.u.ev.code, "y");
		strcpy(r.u.ev.text, "z");
		store_put(&s, &r);
	}
	/* at least one batch on disk (bounded: 30 s on a loaded machine) */
	for (int i = 0; i < 300 &&
	    scalar(p, "SELECT count(*) FROM events") <= 0; i++)
		usleep(100 * 1000);
	assert_int_equal(store_backup(p, dest, err, sizeof(err)), 0);
	store_close(&s);
	assert_true(scalar(dest, "SELECT count(*) FROM events") > 0);
	assert_int_equal(store_schema_version(dest), STORE_SCHEMA);
	assert_int_not_equal(store_backup("/nonexistent/x.db", dest, err,
	    sizeof(err)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_records_written_and_found,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_counted_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_migration_from_first_schema,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_database_moved_aside,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_live_backup, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
