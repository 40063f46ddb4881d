/*
 * ocppstore.c: the OCPP records (ocppcore.h) in the master's database
 * (tables of schema 12, master/store.c), on a connection and a thread of
 * their own. Records wait in a list (the loop never touches the disk);
 * the thread writes them in one transaction a batch, then says, per
 * charge point, the newest transaction message on disk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "ocppstore.h"

struct orec {
	struct orec	*next;
	int		 cp;
	int		 kind;		/* enum ocpp_rec_kind */
	uint64_t	 seq;
	int64_t		 local_tx;
	int		 action, version;
	struct ocpp_tx	 tx;
	char		*identity, *payload, *key, *value;
};

struct done {
	int		 cp;
	uint64_t	 seq;
};

struct ocppstore {
	sqlite3		*db;
	uv_thread_t	 thread;
	uv_mutex_t	 mu;
	uv_cond_t	 cv;
	uv_async_t	 async;
	bool		 stop, running;
	struct orec	*head, **tail;
	/* written, for the loop: the newest seq on disk per charge point */
	struct done	*done;
	size_t		 ndone, capdone;
	ocppstore_fn	 on_stored;
	void		*arg;
	bool		 failing;
};

static void
orec_free(struct orec *r)
{
	free(r->identity);
	free(r->payload);
	free(r->key);
	free(r->value);
	free(r);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

void
ocppstore_put(struct ocppstore *os, int cp, const char *identity,
    const struct ocpp_rec *rec)
{
	struct orec *r = calloc(1, sizeof(*r));

	if (os == NULL || r == NULL) {
		free(r);
		return;
	}
	r->cp = cp;
	r->kind = rec->kind;
	r->seq = rec->seq;
	r->local_tx = rec->local_tx;
	r->action = rec->action;
	r->version = rec->version;
	if (rec->tx != NULL)
		r->tx = *rec->tx;
	r->identity = strdup(identity);
	r->payload = dup_or_null(rec->payload);
	r->key = dup_or_null(rec->key);
	r->value = dup_or_null(rec->value);
	uv_mutex_lock(&os->mu);
	*os->tail = r;
	os->tail = &r->next;
	uv_cond_signal(&os->cv);
	uv_mutex_unlock(&os->mu);
}

static const char *const sql_of[] = {
	[OCPP_REC_MSG_PUT] = "INSERT OR REPLACE INTO ocpp_msgs (cp, seq, "
	    "local_tx, action, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
	[OCPP_REC_MSG_DEL] = "DELETE FROM ocpp_msgs WHERE cp = ?1 AND seq = ?2",
	[OCPP_REC_TX_PUT] = "INSERT OR REPLACE INTO ocpp_txs (cp, local, txid, "
	    "connector, open, session_no, meter_start, tag, start_ms, by_site) "
	    "VALUES (?1, ?3, ?6, ?7, ?8, ?9, ?10, ?11, ?15, ?16)",
	[OCPP_REC_TX_DEL] = "DELETE FROM ocpp_txs WHERE cp = ?1 AND local = ?3",
	[OCPP_REC_CONF] = "INSERT OR REPLACE INTO ocpp_keys (cp, key, value) "
	    "VALUES (?1, ?12, ?13)",
	[OCPP_REC_LIST] = "INSERT OR REPLACE INTO ocpp_lists (cp, version, "
	    "list) VALUES (?1, ?14, ?5)",
	[OCPP_REC_CACHE_PUT] = "INSERT OR REPLACE INTO ocpp_cache (cp, tag, "
	    "status) VALUES (?1, ?12, ?13)",
	[OCPP_REC_CACHE_CLEAR] = "DELETE FROM ocpp_cache WHERE cp = ?1",
};

/* Run after a record's own statement. The cache: only its newest
 * OCPP_CACHE_MAX tags are ever loaded (INSERT OR REPLACE makes a tag
 * answered again the newest), so the older ones go, else the table grows
 * with every tag ever seen. */
#define STR(x)	#x
#define XSTR(x)	STR(x)
static const char *const sql_then[] = {
	[OCPP_REC_CACHE_PUT] = "DELETE FROM ocpp_cache WHERE cp = ?1 AND "
	    "rowid NOT IN (SELECT rowid FROM ocpp_cache WHERE cp = ?1 ORDER "
	    "BY rowid DESC LIMIT " XSTR(OCPP_CACHE_MAX) ")",
	[OCPP_REC_CACHE_CLEAR] = NULL,
};

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (sqlite3_bind_parameter_count(st) >= i)
		(void)sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_STATIC);
}

static void
bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	if (sqlite3_bind_parameter_count(st) >= i)
		(void)sqlite3_bind_int64(st, i, v);
}

static int
run_sql(sqlite3 *db, const char *sql, const struct orec *r)
{
	sqlite3_stmt *st;
	int	 rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	bind_text(st, 1, r->identity);
	bind_int(st, 2, (int64_t)r->seq);
	bind_int(st, 3, r->local_tx);
	bind_int(st, 4, r->action);
	bind_text(st, 5, r->payload);
	/* 6..11: the transaction */
	bind_int(st, 6, r->tx.txid);
	bind_int(st, 7, r->tx.connector);
	bind_int(st, 8, r->tx.open);
	bind_int(st, 9, r->tx.session_no);
	bind_int(st, 10, r->tx.meter_start);
	bind_text(st, 11, r->tx.tag);
	bind_text(st, 12, r->key);
	bind_text(st, 13, r->value);
	bind_int(st, 14, r->version);
	bind_int(st, 15, r->tx.start_wall_ms);
	bind_int(st, 16, r->tx.by_site);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
write_one(sqlite3 *db, const struct orec *r)
{
	if (run_sql(db, sql_of[r->kind], r) != 0)
		return -1;
	if ((size_t)r->kind < sizeof(sql_then) / sizeof(sql_then[0]) &&
	    sql_then[r->kind] != NULL)
		return run_sql(db, sql_then[r->kind], r);
	return 0;
}

static void
note_done(struct ocppstore *os, int cp, uint64_t seq)
{
	for (size_t i = 0; i < os->ndone; i++)
		if (os->done[i].cp == cp) {
			if (seq > os->done[i].seq)
				os->done[i].seq = seq;
			return;
		}
	if (os->ndone == os->capdone) {
		size_t	 n = os->capdone ? os->capdone * 2 : 16;
		struct done *d = realloc(os->done, n * sizeof(*d));

		if (d == NULL)
			return;
		os->done = d;
		os->capdone = n;
	}
	os->done[os->ndone++] = (struct done){ cp, seq };
}

/* One batch in one transaction: all of it on disk, or none (tried again). */
static int
write_batch(struct ocppstore *os, struct orec *batch)
{
	if (sqlite3_exec(os->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return -1;
	for (struct orec *r = batch; r != NULL; r = r->next)
		if (write_one(os->db, r) != 0) {
			(void)sqlite3_exec(os->db, "ROLLBACK", NULL, NULL,
			    NULL);
			return -1;
		}
	if (sqlite3_exec(os->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		(void)sqlite3_exec(os->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static void
writer(void *arg)
{
	struct ocppstore *os = arg;
	struct orec *batch;

	uv_mutex_lock(&os->mu);
	for (;;) {
		while (os->head == NULL && !os->stop)
			uv_cond_wait(&os->cv, &os->mu);
		if (os->head == NULL)
			break;
		batch = os->head;
		os->head = NULL;
		os->tail = &os->head;
		uv_mutex_unlock(&os->mu);
		while (write_batch(os, batch) != 0) {
			/* busy or failing disk: the messages wait unsent
			 * (nothing is sent before it is on disk) */
			if (!os->failing)
				log_warnx("ocpp: database: %s",
				    sqlite3_errmsg(os->db));
			os->failing = true;
			uv_sleep(1000);
			uv_mutex_lock(&os->mu);
			if (os->stop) {
				uv_mutex_unlock(&os->mu);
				break;
			}
			uv_mutex_unlock(&os->mu);
		}
		os->failing = false;
		uv_mutex_lock(&os->mu);
		while (batch != NULL) {
			struct orec *r = batch;

			batch = r->next;
			if (r->kind == OCPP_REC_MSG_PUT)
				note_done(os, r->cp, r->seq);
			orec_free(r);
		}
		if (os->ndone > 0)
			uv_async_send(&os->async);
	}
	uv_mutex_unlock(&os->mu);
}

static void
on_async(uv_async_t *a)
{
	struct ocppstore *os = a->data;
	struct done d[64];
	size_t	 n;

	do {
		uv_mutex_lock(&os->mu);
		n = os->ndone < 64 ? os->ndone : 64;
		memcpy(d, os->done + os->ndone - n, n * sizeof(d[0]));
		os->ndone -= n;
		uv_mutex_unlock(&os->mu);
		for (size_t i = 0; i < n; i++)
			os->on_stored(os->arg, d[i].cp, d[i].seq);
	} while (n == 64);
}

int
ocppstore_open(struct ocppstore **out, const char *path, uv_loop_t *loop,
    ocppstore_fn on_stored, void *arg, char *err, size_t errlen)
{
	struct ocppstore *os = calloc(1, sizeof(*os));

	*out = NULL;
	if (os == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (sqlite3_open_v2(path, &os->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, os->db ?
		    sqlite3_errmsg(os->db) : "out of memory");
		sqlite3_close(os->db);
		free(os);
		return -1;
	}
	/* the store's writer holds the file a moment at a time */
	sqlite3_busy_timeout(os->db, 5000);
	os->tail = &os->head;
	os->on_stored = on_stored;
	os->arg = arg;
	uv_mutex_init(&os->mu);
	uv_cond_init(&os->cv);
	uv_async_init(loop, &os->async, on_async);
	os->async.data = os;
	*out = os;
	return 0;
}

static int
load_rows(sqlite3 *db, const char *sql, const char *identity,
    int (*fn)(struct ocpp_cp *, sqlite3_stmt *), struct ocpp_cp *cp)
{
	sqlite3_stmt *st;
	int	 n = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	(void)sqlite3_bind_text(st, 1, identity, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		if (fn(cp, st) == 0)
			n++;
	sqlite3_finalize(st);
	return n;
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

static int
row_msg(struct ocpp_cp *cp, sqlite3_stmt *st)
{
	return ocppcore_load_msg(cp, (uint64_t)sqlite3_column_int64(st, 0),
	    sqlite3_column_int64(st, 1), sqlite3_column_int(st, 2),
	    col(st, 3));
}

static int
row_tx(struct ocpp_cp *cp, sqlite3_stmt *st)
{
	struct ocpp_tx t = {
		.local = sqlite3_column_int64(st, 0),
		.txid = sqlite3_column_int(st, 1),
		.connector = sqlite3_column_int(st, 2),
		.open = sqlite3_column_int(st, 3) != 0,
		.session_no = (uint16_t)sqlite3_column_int(st, 4),
		.meter_start = (uint32_t)sqlite3_column_int64(st, 5),
		.start_wall_ms = sqlite3_column_int64(st, 7),
		.by_site = sqlite3_column_int(st, 8) != 0,
	};

	snprintf(t.tag, sizeof(t.tag), "%s", col(st, 6));
	return ocppcore_load_tx(cp, &t);
}

static int
row_key(struct ocpp_cp *cp, sqlite3_stmt *st)
{
	return ocppcore_load_key(cp, col(st, 0), col(st, 1));
}

static int
row_list(struct ocpp_cp *cp, sqlite3_stmt *st)
{
	return ocppcore_load_list(cp, sqlite3_column_int(st, 0), col(st, 1));
}

static int
row_cache(struct ocpp_cp *cp, sqlite3_stmt *st)
{
	return ocppcore_load_cache(cp, col(st, 0), col(st, 1));
}

/* The charger's address is kept among its charge point's keys, under a
 * name no OCPP key has (ocppcore_load_key() passes it by). */
#define ADDRESS_KEY	"evgroup:address"

static int
exec_bound(sqlite3 *db, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st;
	int	 rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	(void)sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b != NULL)
		(void)sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/* The identity the charger at address had before, when no charge point
 * has it now: 0 found, 1 none, -1 error. */
static int
old_identity(sqlite3 *db, const char *identity, const char *address,
    const char *const *current, int ncurrent, char *old, size_t oldlen)
{
	sqlite3_stmt *st;
	int	 found = 1;

	if (sqlite3_prepare_v2(db, "SELECT cp FROM ocpp_keys WHERE key = '"
	    ADDRESS_KEY "' AND value = ?1 AND cp != ?2", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	(void)sqlite3_bind_text(st, 1, address, -1, SQLITE_STATIC);
	(void)sqlite3_bind_text(st, 2, identity, -1, SQLITE_STATIC);
	while (found == 1 && sqlite3_step(st) == SQLITE_ROW) {
		const char *y = col(st, 0);
		bool	 taken = false;

		for (int i = 0; i < ncurrent && !taken; i++)
			taken = strcmp(current[i], y) == 0;
		if (!taken) {
			snprintf(old, oldlen, "%s", y);
			found = 0;
		}
	}
	sqlite3_finalize(st);
	return found;
}

static int
count_msgs(sqlite3 *db, const char *identity)
{
	sqlite3_stmt *st;
	int	 n = 0;

	if (sqlite3_prepare_v2(db, "SELECT count(*) FROM ocpp_msgs WHERE "
	    "cp = ?1", -1, &st, NULL) != SQLITE_OK)
		return 0;
	(void)sqlite3_bind_text(st, 1, identity, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static bool
address_is(sqlite3 *db, const char *identity, const char *address)
{
	sqlite3_stmt *st;
	bool	 same = false;

	if (sqlite3_prepare_v2(db, "SELECT value FROM ocpp_keys WHERE cp = ?1 "
	    "AND key = '" ADDRESS_KEY "'", -1, &st, NULL) != SQLITE_OK)
		return false;
	(void)sqlite3_bind_text(st, 1, identity, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		same = strcmp(col(st, 0), address) == 0;
	sqlite3_finalize(st);
	return same;
}

/* old's transaction messages and transactions made identity's, numbered
 * on from its own highest seq and local. */
static int
move_records(sqlite3 *db, const char *identity, const char *old)
{
	return exec_bound(db, "UPDATE ocpp_msgs SET seq = seq + (SELECT "
	    "coalesce(max(seq), 0) FROM ocpp_msgs WHERE cp = ?1), local_tx = "
	    "local_tx + (SELECT coalesce(max(local), 0) FROM ocpp_txs WHERE "
	    "cp = ?1), cp = ?1 WHERE cp = ?2", identity, old) != 0 ||
	    exec_bound(db, "UPDATE ocpp_txs SET local = local + (SELECT "
	    "coalesce(max(local), 0) FROM ocpp_txs WHERE cp = ?1), cp = ?1 "
	    "WHERE cp = ?2", identity, old) != 0 ||
	    exec_bound(db, "DELETE FROM ocpp_keys WHERE cp = ?1 AND key = '"
	    ADDRESS_KEY "'", old, NULL) != 0 ? -1 : 0;
}

int
ocppstore_adopt(struct ocppstore *os, const char *identity,
    const char *address, const char *const *current, int ncurrent,
    char *old, size_t oldlen)
{
	int	 n = 0, rc;

	old[0] = '\0';
	rc = old_identity(os->db, identity, address, current, ncurrent, old,
	    oldlen);
	/* as at the last start: nothing to write (a start with 500 charge
	 * points makes no 500 transactions) */
	if (rc < 0 || (rc == 1 && address_is(os->db, identity, address)))
		return rc < 0 ? -1 : 0;
	if (sqlite3_exec(os->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return -1;
	if (rc == 0) {
		n = count_msgs(os->db, old);
		if (move_records(os->db, identity, old) != 0)
			rc = -1;
	}
	if (rc < 0 || exec_bound(os->db, "INSERT OR REPLACE INTO ocpp_keys "
	    "(cp, key, value) VALUES (?1, '" ADDRESS_KEY "', ?2)", identity,
	    address) != 0 ||
	    sqlite3_exec(os->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		(void)sqlite3_exec(os->db, "ROLLBACK", NULL, NULL, NULL);
		old[0] = '\0';
		return -1;
	}
	return n;
}

int
ocppstore_load(struct ocppstore *os, const char *identity,
    struct ocpp_cp *cp)
{
	if (load_rows(os->db, "SELECT local, txid, connector, open, "
	    "session_no, meter_start, tag, start_ms, by_site FROM ocpp_txs WHERE cp = ?1 ORDER "
	    "BY local", identity, row_tx, cp) < 0 ||
	    load_rows(os->db, "SELECT seq, local_tx, action, payload FROM "
	    "ocpp_msgs WHERE cp = ?1 ORDER BY seq", identity, row_msg, cp) < 0 ||
	    load_rows(os->db, "SELECT key, value FROM ocpp_keys WHERE cp = ?1",
	    identity, row_key, cp) < 0 ||
	    load_rows(os->db, "SELECT version, list FROM ocpp_lists WHERE "
	    "cp = ?1", identity, row_list, cp) < 0 ||
	    /* the newest OCPP_CACHE_MAX, oldest first */
	    load_rows(os->db, "SELECT tag, status FROM (SELECT rowid, tag, "
	    "status FROM ocpp_cache WHERE cp = ?1 ORDER BY rowid DESC LIMIT "
	    XSTR(OCPP_CACHE_MAX) ") ORDER BY rowid", identity, row_cache,
	    cp) < 0)
		return -1;
	return 0;
}

int
ocppstore_start(struct ocppstore *os)
{
	if (uv_thread_create(&os->thread, writer, os) != 0)
		return -1;
	os->running = true;
	return 0;
}

static void
closed(uv_handle_t *h)
{
	struct ocppstore *os = h->data;

	free(os->done);
	free(os);
}

void
ocppstore_close(struct ocppstore *os)
{
	if (os == NULL)
		return;
	uv_mutex_lock(&os->mu);
	os->stop = true;
	uv_cond_signal(&os->cv);
	uv_mutex_unlock(&os->mu);
	if (os->running)
		uv_thread_join(&os->thread);
	while (os->head != NULL) {
		struct orec *r = os->head;

		os->head = r->next;
		orec_free(r);
	}
	sqlite3_close(os->db);
	uv_mutex_destroy(&os->mu);
	uv_cond_destroy(&os->cv);
	uv_close((uv_handle_t *)&os->async, closed);
}
