/*
 * store.c: the SQLite store. See store.h; docs/operations.md for what is
 * kept and for how long.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "clock.h"
#include "store.h"

/*
 * Forward migrations: schema[v] takes version v to v + 1. Version 1 is
 * the first the appliance shipped; never edit one that has shipped.
 */
static const char *const schema[] = {
	/* 0 -> 1 */
	("CREATE TABLE events (id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL,"
	"  severity INTEGER NOT NULL, source TEXT NOT NULL, code TEXT NOT NULL,"
	"  text TEXT NOT NULL);"
	"CREATE TABLE sessions (id INTEGER PRIMARY KEY, charger TEXT NOT NULL,"
	"  connector INTEGER NOT NULL, number INTEGER NOT NULL,"
	"  start_ms INTEGER NOT NULL, end_ms INTEGER,"
	"  energy_wh INTEGER NOT NULL DEFAULT 0, reason TEXT,"
	"  updated_ms INTEGER NOT NULL);"
	"CREATE TABLE history (minute INTEGER PRIMARY KEY,"
	"  min_l1 INTEGER, min_l2 INTEGER, min_l3 INTEGER,"
	"  avg_l1 INTEGER, avg_l2 INTEGER, avg_l3 INTEGER,"
	"  max_l1 INTEGER, max_l2 INTEGER, max_l3 INTEGER,"
	"  ev_l1 INTEGER, ev_l2 INTEGER, ev_l3 INTEGER);"),
	/* 1 -> 2: peak current and RFID tag per session, at most one open
	 * session per connector (so none is counted twice), the RFID
	 * whitelist, indexes for the API's time queries */
	("ALTER TABLE sessions ADD COLUMN peak_da INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN tag TEXT NOT NULL DEFAULT '';"
	"CREATE UNIQUE INDEX sessions_open ON sessions(charger, connector)"
	"  WHERE end_ms IS NULL;"
	"CREATE INDEX sessions_start ON sessions(start_ms);"
	"CREATE INDEX events_time ON events(time_ms);"
	"CREATE TABLE rfid (tag TEXT PRIMARY KEY, name TEXT NOT NULL,"
	"  enabled INTEGER NOT NULL DEFAULT 1, valid_until_ms INTEGER);"),
	/* 2 -> 3: the configuration lives here once seeded from the file */
	("CREATE TABLE config (section TEXT NOT NULL, key TEXT NOT NULL,"
	"  value TEXT NOT NULL, PRIMARY KEY (section, key));"),
	/* 3 -> 4: web and console logins (password hashes, never passwords) */
	("CREATE TABLE users (name TEXT PRIMARY KEY, role INTEGER NOT NULL,"
	"  hash TEXT NOT NULL, must_change INTEGER NOT NULL DEFAULT 0);"),
	/* 4 -> 5: what an operator set on a connector, kept across
	 * restarts (a lock is the charger's own and adopted at start) */
	("CREATE TABLE conn_ops (charger TEXT NOT NULL, connector INTEGER"
	"  NOT NULL, paused INTEGER NOT NULL DEFAULT 0, paused_by TEXT NOT"
	"  NULL DEFAULT '', boost_session INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (charger, connector));"),
	/* 5 -> 6: web login sessions, kept across restarts (the token's
	 * hash, never the token) */
	("CREATE TABLE web_sessions (tok_hash TEXT PRIMARY KEY, user TEXT"
	"  NOT NULL, role INTEGER NOT NULL, csrf TEXT NOT NULL, last_ms"
	"  INTEGER NOT NULL);"),
	/* 6 -> 7: energy per day or month (GET /api/energy) places each
	 * session at its end, or its last save while in progress */
	("CREATE INDEX IF NOT EXISTS sessions_end ON sessions("
	"  coalesce(end_ms, updated_ms));"),
	/* 7 -> 8: active alarms, who acknowledged them, and those cleared
	 * (the recent ones are listed); at most one open per key */
	("CREATE TABLE alarms (id INTEGER PRIMARY KEY, code TEXT NOT NULL,"
	"  source TEXT NOT NULL, connector INTEGER NOT NULL, severity"
	"  INTEGER NOT NULL, text TEXT NOT NULL, since_ms INTEGER NOT NULL,"
	"  cleared_ms INTEGER, ack_by TEXT NOT NULL DEFAULT '', ack_ms"
	"  INTEGER);"
	"CREATE UNIQUE INDEX alarms_open ON alarms(code, source, connector)"
	"  WHERE cleared_ms IS NULL;"
	"CREATE INDEX alarms_cleared ON alarms(cleared_ms);"),
	/* 8 -> 9: commissioning reports (report.h), each the JSON the
	 * master made when the installer saved it */
	("CREATE TABLE reports (id INTEGER PRIMARY KEY, time_ms INTEGER NOT"
	"  NULL, site TEXT NOT NULL, installer TEXT NOT NULL, body TEXT NOT"
	"  NULL);"),
	/* the external limit in force, so that a restart keeps it until its
	 * end (one row at most) */
	("CREATE TABLE external_limit (id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  l1_da INTEGER NOT NULL, l2_da INTEGER NOT NULL, l3_da INTEGER NOT"
	"  NULL, until_ms INTEGER NOT NULL, by TEXT NOT NULL);"),
	/* 10 -> 11: an operator's lock is kept too, and set again at the
	 * start (a charger that restarted meanwhile has lost it) */
	("ALTER TABLE conn_ops ADD COLUMN locked INTEGER NOT NULL DEFAULT"
	"  0;"),
	/* 11 -> 12: each charge point's OCPP charging profiles (ocppprof.h),
	 * as the JSON of ocppprof_save, so that a restart keeps them */
	("CREATE TABLE ocpp_profiles (identity TEXT PRIMARY KEY, profiles"
	"  TEXT NOT NULL, updated_ms INTEGER NOT NULL);"),
	/* 12 -> 13: OCPP (master/ocppstore.c), per charge point (its
	 * identity): transaction messages not yet answered, transactions
	 * and their CSMS transactionId, configuration keys the CSMS changed,
	 * the local authorisation list and the authorisation cache */
	("CREATE TABLE ocpp_msgs (cp TEXT NOT NULL, seq INTEGER NOT NULL,"
	"  local_tx INTEGER NOT NULL, action INTEGER NOT NULL, payload TEXT"
	"  NOT NULL, PRIMARY KEY (cp, seq));"
	"CREATE TABLE ocpp_txs (cp TEXT NOT NULL, local INTEGER NOT NULL,"
	"  txid INTEGER NOT NULL, connector INTEGER NOT NULL, open INTEGER"
	"  NOT NULL, session_no INTEGER NOT NULL, meter_start INTEGER NOT"
	"  NULL, tag TEXT NOT NULL, PRIMARY KEY (cp, local));"
	"CREATE TABLE ocpp_keys (cp TEXT NOT NULL, key TEXT NOT NULL, value"
	"  TEXT NOT NULL, PRIMARY KEY (cp, key));"
	"CREATE TABLE ocpp_lists (cp TEXT PRIMARY KEY, version INTEGER NOT"
	"  NULL, list TEXT NOT NULL);"
	"CREATE TABLE ocpp_cache (cp TEXT NOT NULL, tag TEXT NOT NULL,"
	"  status TEXT NOT NULL, PRIMARY KEY (cp, tag));"),
	/* 13 -> 14: an OCPP transaction's start (wall ms), from which a
	 * Relative charging profile counts, and whether the site's
	 * whitelist took its tag (the CSMS's refusal does not stop it),
	 * also after a restart */
	("ALTER TABLE ocpp_txs ADD COLUMN start_ms INTEGER NOT NULL DEFAULT"
	"  0;"
	"ALTER TABLE ocpp_txs ADD COLUMN by_site INTEGER NOT NULL DEFAULT"
	"  0;"),
};

static int
exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char	*msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int
user_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int	 v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* "ok", or the first problem PRAGMA integrity_check reports. */
static int
integrity_ok(sqlite3 *db, char *why, size_t len)
{
	sqlite3_stmt *st;
	int	 ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) !=
	    SQLITE_OK) {
		snprintf(why, len, "%s", sqlite3_errmsg(db));
		return 0;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);

		ok = r != NULL && strcmp(r, "ok") == 0;
		if (!ok)
			snprintf(why, len, "%s", r ? r : "?");
	} else
		snprintf(why, len, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return ok;
}

static int
migrate(sqlite3 *db, char *err, size_t errlen)
{
	int	 v = user_version(db);
	char	 sql[64];

	if (v < 0 || v > STORE_SCHEMA) {
		snprintf(err, errlen, "schema version %d is newer than this "
		    "program (%d)", v, STORE_SCHEMA);
		return -1;
	}
	for (; v < STORE_SCHEMA; v++) {
		/* Each step and its version number in one transaction. */
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d;", v + 1);
		if (exec(db, "BEGIN IMMEDIATE;", err, errlen) != 0 ||
		    exec(db, schema[v], err, errlen) != 0 ||
		    exec(db, sql, err, errlen) != 0 ||
		    exec(db, "COMMIT;", err, errlen) != 0) {
			(void)sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}

static int
open_db(const char *path, sqlite3 **db, char *err, size_t errlen)
{
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, *db ?
		    sqlite3_errmsg(*db) : "out of memory");
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(*db, 2000);
	return 0;
}

/*
 * Opens (or creates) the database, checks it, migrates it. A damaged file
 * is renamed to PATH.damaged-TIME and a fresh one started; note then says
 * so (the caller records it as an event).
 */
int
store_open(struct store *s, const char *path, int history_days, char *note,
    size_t notelen, char *err, size_t errlen)
{
	char	 why[256], moved[300];

	memset(s, 0, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->history_days = history_days;
	note[0] = '\0';
	if (open_db(path, &s->db, err, errlen) != 0)
		return -1;
	if (!integrity_ok(s->db, why, sizeof(why))) {
		sqlite3_close(s->db);
		s->db = NULL;
		snprintf(moved, sizeof(moved), "%s.damaged-%lld", path,
		    (long long)(clock_wall_ms() / 1000));
		if (rename(path, moved) != 0) {
			snprintf(err, errlen, "%s is damaged (%s) and cannot be "
			    "moved aside: %s", path, why, strerror(errno));
			return -1;
		}
		/* its journal belongs to it */
		for (const char *sfx = "-wal"; sfx; sfx = strcmp(sfx, "-wal") ?
		    NULL : "-shm") {
			char	 a[300], b[320];

			snprintf(a, sizeof(a), "%s%s", path, sfx);
			snprintf(b, sizeof(b), "%s%s", moved, sfx);
			(void)rename(a, b);
		}
		snprintf(note, notelen, "database was damaged (%s): kept as %s, "
		    "started a fresh one", why, moved);
		if (open_db(path, &s->db, err, errlen) != 0)
			return -1;
	}
	/* WAL: the writer never blocks readers; NORMAL: a power cut may
	 * lose the last transaction, never the database. */
	if (exec(s->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = "
	    "NORMAL; PRAGMA foreign_keys = ON;", err, errlen) != 0 ||
	    migrate(s->db, err, errlen) != 0) {
		sqlite3_close(s->db);
		s->db = NULL;
		return -1;
	}
	return 0;
}

/* The sessions that were open when the appliance last stopped. */
int
store_open_sessions(struct store *s, struct store_open_session *out, int max)
{
	sqlite3_stmt *st;
	int	 n = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT charger, connector, number, "
	    "start_ms, updated_ms, energy_wh FROM sessions WHERE end_ms IS "
	    "NULL", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (n < max && sqlite3_step(st) == SQLITE_ROW) {
		struct store_open_session *o = &out[n++];

		snprintf(o->charger, sizeof(o->charger), "%s",
		    (const char *)sqlite3_column_text(st, 0));
		o->connector = sqlite3_column_int(st, 1);
		o->number = (uint32_t)sqlite3_column_int64(st, 2);
		o->start_ms = sqlite3_column_int64(st, 3);
		o->updated_ms = sqlite3_column_int64(st, 4);
		o->energy_wh = (uint32_t)sqlite3_column_int64(st, 5);
	}
	sqlite3_finalize(st);
	return n;
}

static int
write_one(sqlite3 *db, const struct store_rec *r)
{
	static const char *const sql[] = {
		[STORE_EVENT] = "INSERT INTO events (time_ms, severity, source,"
		    " code, text) VALUES (?1, ?2, ?3, ?4, ?5)",
		/* at most one open session per connector: a second sighting
		 * of the same one changes nothing */
		[STORE_SESSION_OPEN] = "INSERT INTO sessions (charger,"
		    " connector, number, start_ms, energy_wh, peak_da, tag,"
		    " updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
		    " ON CONFLICT (charger, connector) WHERE end_ms IS NULL"
		    " DO NOTHING",
		[STORE_SESSION_UPDATE] = "UPDATE sessions SET energy_wh = ?5,"
		    " peak_da = max(peak_da, ?6), tag = ?7, updated_ms = ?8"
		    " WHERE charger = ?1 AND connector = ?2 AND number = ?3"
		    " AND end_ms IS NULL",
		[STORE_SESSION_CLOSE] = "UPDATE sessions SET energy_wh = ?5,"
		    " peak_da = max(peak_da, ?6), tag = coalesce(nullif(?7,"
		    " ''), tag), updated_ms = ?8,"
		    " end_ms = ?8, reason = ?9 WHERE charger = ?1 AND"
		    " connector = ?2 AND number = ?3 AND end_ms IS NULL",
		[STORE_HISTORY] = "INSERT OR REPLACE INTO history VALUES (?1,"
		    " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
		[STORE_CONFIG] = "INSERT OR REPLACE INTO config VALUES (?1, ?2,"
		    " ?3)",
		/* a decommissioned charger: its section goes */
		[STORE_CONFIG_DELETE] = "DELETE FROM config WHERE section = ?1",
		[STORE_USER] = "INSERT OR REPLACE INTO users VALUES (?1, ?2, ?3,"
		    " ?4)",
		[STORE_USER_DELETE] = "DELETE FROM users WHERE name = ?1",
		[STORE_RFID] = "INSERT OR REPLACE INTO rfid VALUES (?1, ?2, ?3,"
		    " ?4)",
		[STORE_RFID_DELETE] = "DELETE FROM rfid WHERE tag = ?1",
		[STORE_CONN_OP] = "INSERT OR REPLACE INTO conn_ops VALUES (?1,"
		    " ?2, ?3, ?4, ?5, ?6)",
		[STORE_WEB_SESSION] = "INSERT OR REPLACE INTO web_sessions"
		    " VALUES (?1, ?2, ?3, ?4, ?5)",
		[STORE_WEB_SESSION_DELETE] = "DELETE FROM web_sessions WHERE"
		    " tok_hash = ?1",
		[STORE_ALARM_RAISE] = "INSERT OR IGNORE INTO alarms (code,"
		    " source, connector, severity, text, since_ms) VALUES (?1,"
		    " ?2, ?3, ?4, ?5, ?6)",
		[STORE_ALARM_ACK] = "UPDATE alarms SET ack_by = ?7, ack_ms = ?8"
		    " WHERE code = ?1 AND source = ?2 AND connector = ?3 AND"
		    " cleared_ms IS NULL",
		[STORE_ALARM_CLEAR] = "UPDATE alarms SET cleared_ms = ?9,"
		    " text = ?5 WHERE code = ?1 AND source = ?2 AND connector ="
		    " ?3 AND cleared_ms IS NULL",
		[STORE_EXT_LIMIT] = "INSERT OR REPLACE INTO external_limit"
		    " VALUES (1, ?1, ?2, ?3, ?4, ?5)",
		[STORE_EXT_LIMIT_DELETE] = "DELETE FROM external_limit",
		[STORE_OCPP_PROFILES] = "INSERT OR REPLACE INTO ocpp_profiles"
		    " VALUES (?1, ?2, ?3)",
	};
	sqlite3_stmt *st;
	int	 rc;

	/* prepare_v3 with PERSISTENT would cache; the batch is small. */
	if ((rc = sqlite3_prepare_v2(db, sql[r->kind], -1, &st, NULL)) !=
	    SQLITE_OK)
		return rc;
	switch (r->kind) {
	case STORE_EVENT:
		sqlite3_bind_int64(st, 1, r->wall_ms);
		sqlite3_bind_int(st, 2, r->u.ev.severity);
		sqlite3_bind_text(st, 3, r->u.ev.source, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, r->u.ev.code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, r->u.ev.text, -1, SQLITE_STATIC);
		break;
	case STORE_SESSION_OPEN:
	case STORE_SESSION_UPDATE:
	case STORE_SESSION_CLOSE:
		sqlite3_bind_text(st, 1, r->u.s.charger, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, r->u.s.connector);
		sqlite3_bind_int64(st, 3, r->u.s.number);
		if (r->kind == STORE_SESSION_OPEN)
			sqlite3_bind_int64(st, 4, r->u.s.start_ms);
		sqlite3_bind_int64(st, 5, r->u.s.energy_wh);
		sqlite3_bind_int(st, 6, r->u.s.peak_da);
		sqlite3_bind_text(st, 7, r->u.s.tag, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, r->wall_ms);
		if (r->kind == STORE_SESSION_CLOSE)
			sqlite3_bind_text(st, 9, r->u.s.reason, -1,
			    SQLITE_STATIC);
		break;
	case STORE_CONFIG:
		sqlite3_bind_text(st, 1, r->u.cfg.section, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->u.cfg.key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r->u.cfg.value, -1, SQLITE_STATIC);
		break;
	case STORE_CONFIG_DELETE:
		sqlite3_bind_text(st, 1, r->u.cfg.section, -1, SQLITE_STATIC);
		break;
	case STORE_USER:
	case STORE_USER_DELETE:
		sqlite3_bind_text(st, 1, r->u.user.name, -1, SQLITE_STATIC);
		if (r->kind == STORE_USER_DELETE)
			break;
		sqlite3_bind_int(st, 2, r->u.user.role);
		sqlite3_bind_text(st, 3, r->u.user.hash, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, r->u.user.must_change);
		break;
	case STORE_RFID:
	case STORE_RFID_DELETE:
		sqlite3_bind_text(st, 1, r->u.rfid.tag, -1, SQLITE_STATIC);
		if (r->kind == STORE_RFID_DELETE)
			break;
		sqlite3_bind_text(st, 2, r->u.rfid.name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, r->u.rfid.enabled);
		if (r->u.rfid.valid_until_ms > 0)
			sqlite3_bind_int64(st, 4, r->u.rfid.valid_until_ms);
		break;
	case STORE_WEB_SESSION:
	case STORE_WEB_SESSION_DELETE:
		sqlite3_bind_text(st, 1, r->u.web.tok_hash, -1, SQLITE_STATIC);
		if (r->kind == STORE_WEB_SESSION_DELETE)
			break;
		sqlite3_bind_text(st, 2, r->u.web.user, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, r->u.web.role);
		sqlite3_bind_text(st, 4, r->u.web.csrf, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, r->wall_ms);
		break;
	case STORE_EXT_LIMIT:
		for (int p = 0; p < 3; p++)
			sqlite3_bind_int(st, p + 1, r->u.ext.limit_da[p]);
		sqlite3_bind_int64(st, 4, r->u.ext.until_ms);
		sqlite3_bind_text(st, 5, r->u.ext.by, -1, SQLITE_STATIC);
		break;
	case STORE_EXT_LIMIT_DELETE:
		break;
	case STORE_OCPP_PROFILES:
		sqlite3_bind_text(st, 1, r->u.prof.identity, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->u.prof.profiles ? r->u.prof.profiles :
		    "[]", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, r->wall_ms);
		break;
	case STORE_CONN_OP:
		sqlite3_bind_text(st, 1, r->u.op.charger, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, r->u.op.connector);
		sqlite3_bind_int(st, 3, r->u.op.paused);
		sqlite3_bind_text(st, 4, r->u.op.paused_by, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, r->u.op.boost_session);
		sqlite3_bind_int(st, 6, r->u.op.locked);
		break;
	case STORE_ALARM_RAISE:
	case STORE_ALARM_ACK:
	case STORE_ALARM_CLEAR:
		/* each statement binds the numbers it names */
		sqlite3_bind_text(st, 1, r->u.al.code, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->u.al.source, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, r->u.al.connector);
		if (r->kind == STORE_ALARM_RAISE) {
			sqlite3_bind_int(st, 4, r->u.al.severity);
			sqlite3_bind_int64(st, 6, r->u.al.since_ms);
		}
		if (r->kind != STORE_ALARM_ACK)
			sqlite3_bind_text(st, 5, r->u.al.text, -1,
			    SQLITE_STATIC);
		if (r->kind == STORE_ALARM_ACK) {
			sqlite3_bind_text(st, 7, r->u.al.by, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 8, r->u.al.ack_ms);
		}
		if (r->kind == STORE_ALARM_CLEAR)
			sqlite3_bind_int64(st, 9, r->wall_ms);
		break;
	case STORE_HISTORY:
		sqlite3_bind_int64(st, 1, r->u.h.minute);
		for (int p = 0; p < EVG_PHASES; p++) {
			sqlite3_bind_int(st, 2 + p, r->u.h.min_da[p]);
			sqlite3_bind_int(st, 5 + p, r->u.h.avg_da[p]);
			sqlite3_bind_int(st, 8 + p, r->u.h.max_da[p]);
			sqlite3_bind_int(st, 11 + p, r->u.h.ev_da[p]);
		}
		break;
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Writes n records from the front of the queue in one transaction. */
static int
write_batch(struct store *s, const struct store_rec *batch, size_t n,
    char *err, size_t errlen)
{
	int	 rc = SQLITE_OK;

	if (exec(s->db, "BEGIN IMMEDIATE;", err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++)
		rc = write_one(s->db, &batch[i]);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(s->db));
		(void)sqlite3_exec(s->db, "ROLLBACK;", NULL, NULL, NULL);
		return -1;
	}
	if (exec(s->db, "COMMIT;", err, errlen) != 0) {
		(void)sqlite3_exec(s->db, "ROLLBACK;", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static void
prune(struct store *s, int64_t now)
{
	char	 sql[160];

	/* once an hour: history older than history_days goes */
	if (now - s->last_prune_ms < 3600 * 1000)
		return;
	s->last_prune_ms = now;
	snprintf(sql, sizeof(sql), "DELETE FROM history WHERE minute < %lld",
	    (long long)((now / 60000) - (int64_t)s->history_days * 24 * 60));
	(void)sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

/* What records own (the charging profiles' text), once written or
 * dropped. */
static void
rec_free(const struct store_rec *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].kind == STORE_OCPP_PROFILES)
			free(r[i].u.prof.profiles);
}

static void
writer(void *arg)
{
	struct store *s = arg;
	char	 err[160];

	uv_mutex_lock(&s->mu);
	for (;;) {
		size_t	 n;
		bool	 ok;

		if (s->count == 0 && !s->stop)
			(void)uv_cond_timedwait(&s->cv, &s->mu,
			    (uint64_t)STORE_BATCH_MS * 1000000);
		if (s->count == 0 && s->stop)
			break;
		/* The front of the queue, up to the end of the ring. Outside
		 * the lock the loop only appends behind it, so it is read in
		 * place: the loop never waits on a copy (nor on the disk). It
		 * stays queued until it is on disk. */
		n = s->count < 8192 ? s->count : 8192;
		if (n > STORE_QUEUE_MAX - s->head)
			n = STORE_QUEUE_MAX - s->head;
		uv_mutex_unlock(&s->mu);

		ok = n == 0 || write_batch(s, &s->q[s->head], n, err,
		    sizeof(err)) == 0;
		if (ok)
			prune(s, (int64_t)time(NULL) * 1000);

		uv_mutex_lock(&s->mu);
		if (ok) {
			rec_free(&s->q[s->head], n);
			s->head = (s->head + n) % STORE_QUEUE_MAX;
			s->count -= n;
			s->written += n;
			s->batches += n > 0;
			s->failing = false;
			continue;
		}
		/* Disk full, read-only, gone: keep everything, say so, try
		 * again in a while. Control does not depend on this. */
		s->failing = true;
		snprintf(s->error, sizeof(s->error), "%s", err);
		if (!s->stop)
			(void)uv_cond_timedwait(&s->cv, &s->mu,
			    (uint64_t)STORE_RETRY_MS * 1000000);
		else
			break;
	}
	uv_mutex_unlock(&s->mu);
}

/*
 * Rows of a query of the writer's connection, before store_start (the
 * configuration, the logins, the RFID whitelist). Returns the number of
 * rows, or a negative fn result / -1. NULL columns are "".
 */
int
store_select(struct store *s, const char *sql, store_row_fn fn, void *arg)
{
	sqlite3_stmt *st;
	const char *cols[8];
	int	 n = 0, rc = 0, nc;

	if (s->db == NULL || sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	nc = sqlite3_column_count(st);
	if (nc > 8)
		nc = 8;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < nc; i++) {
			cols[i] = (const char *)sqlite3_column_text(st, i);
			if (cols[i] == NULL)
				cols[i] = "";
		}
		rc = fn(arg, nc, cols);
		n++;
	}
	sqlite3_finalize(st);
	return rc < 0 ? rc : n;
}

struct config_rows {
	store_config_fn	 fn;
	void		*arg;
};

static int
config_row(void *arg, int n, const char *const *c)
{
	struct config_rows *cr = arg;

	return n == 3 ? cr->fn(cr->arg, c[0], c[1], c[2]) : -1;
}

/* Drops the web sessions last used before a time, or of users gone
 * (before store_start). */
int
store_prune_web_sessions(struct store *s, int64_t before_wall_ms)
{
	sqlite3_stmt *st;
	int	 rc;

	if (s->db == NULL || sqlite3_prepare_v2(s->db, "DELETE FROM "
	    "web_sessions WHERE last_ms < ?1 OR user NOT IN (SELECT name "
	    "FROM users)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, before_wall_ms);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The stored configuration, row by row (before store_start). */
int
store_config_load(struct store *s, store_config_fn fn, void *arg)
{
	struct config_rows cr = { fn, arg };

	return store_select(s, "SELECT section, key, value FROM config ORDER "
	    "BY section, key", config_row, &cr);
}

/* Writes the whole configuration at once (before store_start). */
int
store_config_seed(struct store *s, const char *const *sec,
    const char *const *key, const char *const *val, int n)
{
	sqlite3_stmt *st;
	char	 err[160];
	int	 rc = SQLITE_OK;

	if (exec(s->db, "BEGIN IMMEDIATE; DELETE FROM config;", err,
	    sizeof(err)) != 0)
		return -1;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO config VALUES (?1, ?2, ?3)",
	    -1, &st, NULL) != SQLITE_OK) {
		(void)sqlite3_exec(s->db, "ROLLBACK;", NULL, NULL, NULL);
		return -1;
	}
	for (int i = 0; i < n && rc == SQLITE_OK; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, sec[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, key[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, val[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK || exec(s->db, "COMMIT;", err, sizeof(err)) != 0) {
		(void)sqlite3_exec(s->db, "ROLLBACK;", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

int
store_start(struct store *s)
{
	if ((s->q = calloc(STORE_QUEUE_MAX, sizeof(*s->q))) == NULL)
		return -1;
	uv_mutex_init(&s->mu);
	uv_cond_init(&s->cv);
	if (uv_thread_create(&s->thread, writer, s) != 0)
		return -1;
	s->running = true;
	return 0;
}

/* Queues a record; never waits on the disk. A full queue (the disk has
 * failed for a long time) counts what it cannot keep. */
void
store_put(struct store *s, const struct store_rec *r)
{
	if (!s->running) {
		rec_free(r, 1);
		return;
	}
	uv_mutex_lock(&s->mu);
	if (s->count == STORE_QUEUE_MAX) {
		s->lost++;
		rec_free(r, 1);
	} else {
		s->q[(s->head + s->count) % STORE_QUEUE_MAX] = *r;
		if (s->q[(s->head + s->count) % STORE_QUEUE_MAX].wall_ms == 0)
			s->q[(s->head + s->count) % STORE_QUEUE_MAX].wall_ms =
			    clock_wall_ms();
		s->count++;
		/* Nearly full: do not wait for the writer's next second.
		 * Nor for what an operator or a building management system
		 * was told is done (a pause, a lock, a boost, a limit from
		 * outside): a crash or a watchdog restart in that second
		 * would undo it. */
		if (s->count == STORE_QUEUE_MAX / 4 * 3 ||
		    r->kind == STORE_CONN_OP || r->kind == STORE_EXT_LIMIT ||
		    r->kind == STORE_EXT_LIMIT_DELETE)
			uv_cond_signal(&s->cv);
	}
	uv_mutex_unlock(&s->mu);
}

void
store_status(struct store *s, bool *failing, char *error, size_t len,
    uint64_t *written, uint64_t *lost, size_t *queued)
{
	if (!s->running) {
		*failing = false;
		*written = *lost = 0;
		*queued = 0;
		error[0] = '\0';
		return;
	}
	uv_mutex_lock(&s->mu);
	*failing = s->failing;
	snprintf(error, len, "%s", s->error);
	*written = s->written;
	*lost = s->lost;
	*queued = s->count;
	uv_mutex_unlock(&s->mu);
}

/* Flushes what is queued (one last try) and stops the writer. */
void
store_close(struct store *s)
{
	if (s->running) {
		uv_mutex_lock(&s->mu);
		s->stop = true;
		uv_cond_signal(&s->cv);
		uv_mutex_unlock(&s->mu);
		uv_thread_join(&s->thread);
		/* what the last try could not write */
		for (size_t i = 0; i < s->count; i++)
			rec_free(&s->q[(s->head + i) % STORE_QUEUE_MAX], 1);
		uv_mutex_destroy(&s->mu);
		uv_cond_destroy(&s->cv);
		s->running = false;
	}
	free(s->q);
	s->q = NULL;
	if (s->db != NULL) {
		(void)sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE);",
		    NULL, NULL, NULL);
		sqlite3_close(s->db);
		s->db = NULL;
	}
}

/* A consistent copy of a live database (the SQLite online backup API). */
int
store_backup(const char *path, const char *dest, char *err, size_t errlen)
{
	sqlite3	*src = NULL, *dst = NULL;
	sqlite3_backup *b;
	int	 rc = -1;

	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(src));
		goto out;
	}
	if (sqlite3_open(dest, &dst) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", dest, sqlite3_errmsg(dst));
		goto out;
	}
	sqlite3_busy_timeout(src, 5000);
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		snprintf(err, errlen, "%s", sqlite3_errmsg(dst));
		goto out;
	}
	/* in steps, so that the appliance keeps writing meanwhile */
	while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK ||
	    rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		sqlite3_sleep(10);
	(void)sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s", sqlite3_errstr(rc));
		rc = -1;
		goto out;
	}
	rc = 0;
out:
	sqlite3_close(src);
	sqlite3_close(dst);
	return rc;
}

int
store_schema_version(const char *path)
{
	sqlite3	*db = NULL;
	int	 v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
		v = user_version(db);
	sqlite3_close(db);
	return v;
}
