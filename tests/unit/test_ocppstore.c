/*
 * test_ocppstore.c: the OCPP records in a real database file (schema of
 * master/store.c, master/ocppstore.c's thread): what a charge point
 * handed over comes back into a new charge point after a close (queue in
 * order, transactions with their transactionId, changed keys, the local
 * list, the cache), nothing of another identity; each MSG_PUT on disk
 * told back through the loop; a deleted message stays deleted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "ocppcore.h"
#include "ocppstore.h"
#include "store.h"

static char dir[64], path[128];
static uint64_t told[4];

static void
on_stored(void *arg, int cp, uint64_t seq)
{
	(void)arg;
	if (cp >= 0 && cp < 4 && seq > told[cp])
		told[cp] = seq;
}

static int
nop_send(void *arg, const char *t, size_t n)
{
	(void)arg;
	(void)t;
	(void)n;
	return -1;
}

static void
nop_store(void *arg, const struct ocpp_rec *r)
{
	(void)arg;
	(void)r;
}

static int
nop_act(void *arg, const struct ocpp_act *a, char *w, size_t n)
{
	(void)arg;
	(void)a;
	(void)w;
	(void)n;
	return 0;
}

static const struct ocpp_conf conf = {
	"evgroup", "evgroup-slave", "", "", 300, 60, 0, 30,
	true, false, false, true, 30, false,
};

static void
fresh_cp(struct ocpp_cp *cp)
{
	ocppcore_init(cp, &conf, &(struct ocpp_ops){ NULL, nop_send,
	    nop_store, nop_act, true, NULL }, 1);
}

static int
setup(void **state)
{
	struct store st = { 0 };
	char	 note[160], err[160];

	(void)state;
	strcpy(dir, "/tmp/evg-ocppstore-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/evgroup.db", dir);
	/* the schema as the master makes it */
	if (store_open(&st, path, 30, note, sizeof(note), err,
	    sizeof(err)) != 0)
		return -1;
	store_close(&st);
	memset(told, 0, sizeof(told));
	return 0;
}

static int
teardown(void **state)
{
	char	 cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
put(struct ocppstore *os, int cp, const char *id, struct ocpp_rec r)
{
	ocppstore_put(os, cp, id, &r);
}

static void
test_records_come_back(void **state)
{
	uv_loop_t loop;
	struct ocppstore *os;
	struct ocpp_cp cp;
	struct ocpp_tx t = { .local = 3, .txid = 77, .connector = 1,
	    .open = false, .session_no = 9, .meter_start = 1200,
	    .start_wall_ms = 1767225600000LL, .by_site = true };
	char	 err[160];

	(void)state;
	snprintf(t.tag, sizeof(t.tag), "CAFE01");
	uv_loop_init(&loop);
	assert_int_equal(ocppstore_open(&os, path, &loop, on_stored, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(ocppstore_start(os), 0);
	put(os, 0, "CP-01", (struct ocpp_rec){ .kind = OCPP_REC_TX_PUT,
	    .local_tx = 3, .tx = &t });
	for (uint64_t s = 1; s <= 3; s++)
		put(os, 0, "CP-01", (struct ocpp_rec){ .kind = OCPP_REC_MSG_PUT,
		    .seq = s, .local_tx = 3, .action = s == 3 ? OCPP_A_STOP :
		    OCPP_A_METER, .payload = s == 3 ? "{\"reason\":\"Local\"}" :
		    "{\"connectorId\":1}" });
	put(os, 0, "CP-01", (struct ocpp_rec){ .kind = OCPP_REC_MSG_DEL,
	    .seq = 1 });
	put(os, 1, "CP-02", (struct ocpp_rec){ .kind = OCPP_REC_MSG_PUT,
	    .seq = 1, .local_tx = 1, .action = OCPP_A_START, .payload = "{}" });
	put(os, 0, "CP-01", (struct ocpp_rec){ .kind = OCPP_REC_CONF,
	    .key = "HeartbeatInterval", .value = "45" });
	put(os, 0, "CP-01", (struct ocpp_rec){ .kind = OCPP_REC_LIST,
	    .version = 4, .payload = "[{\"idTag\":\"GOOD\",\"status\":"
	    "\"Accepted\",\"expiry\":0}]" });
	put(os, 0, "CP-01", (struct ocpp_rec){ .kind = OCPP_REC_CACHE_PUT,
	    .key = "C1", .value = "Accepted" });
	put(os, 0, "CP-01", (struct ocpp_rec){ .kind = OCPP_REC_CACHE_PUT,
	    .key = "C2", .value = "Blocked" });
	/* the thread writes; the loop hears how far */
	for (int i = 0; i < 500 && (told[0] < 3 || told[1] < 1); i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(10000);
	}
	assert_int_equal(told[0], 3);
	assert_int_equal(told[1], 1);
	ocppstore_close(os);
	uv_run(&loop, UV_RUN_DEFAULT);		/* the async's close */

	/* a new start: CP-01's records, in order, nothing of CP-02's */
	assert_int_equal(ocppstore_open(&os, path, &loop, on_stored, NULL, err,
	    sizeof(err)), 0);
	fresh_cp(&cp);
	assert_int_equal(ocppstore_load(os, "CP-01", &cp), 0);
	assert_int_equal(cp.ntxq, 2);
	assert_int_equal(cp.txq[0].seq, 2);
	assert_int_equal(cp.txq[0].action, OCPP_A_METER);
	assert_int_equal(cp.txq[1].action, OCPP_A_STOP);
	assert_int_equal(cp.stored_seq, 3);	/* on disk: may be sent */
	assert_int_equal(cp.next_seq, 4);	/* never a seq again */
	assert_int_equal(cp.ntx, 1);
	assert_int_equal(cp.tx[0].txid, 77);
	assert_string_equal(cp.tx[0].tag, "CAFE01");
	assert_int_equal(cp.tx[0].meter_start, 1200);
	assert_true(cp.tx[0].start_wall_ms == 1767225600000LL);
	assert_true(cp.tx[0].by_site);
	assert_int_equal(cp.next_local, 4);
	assert_int_equal(cp.keys.heartbeat_s, 45);
	assert_int_equal(cp.list_version, 4);
	assert_int_equal(cp.nlist, 1);
	assert_int_equal(cp.ncache, 2);
	assert_string_equal(cp.cache[1].status, "Blocked");
	ocppcore_free(&cp);
	ocppstore_close(os);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* What a count(*) sql says of identity (?1) and tag (?2) in the file. */
static int
count_rows(const char *sql, const char *identity, const char *tag)
{
	sqlite3	*db;
	sqlite3_stmt *st;
	int	 n = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, identity, -1, SQLITE_STATIC);
	if (tag != NULL)
		sqlite3_bind_text(st, 2, tag, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* The cache rows of identity in the file (tag "" : all of them). */
static int
cache_rows(const char *identity, const char *tag)
{
	return count_rows("SELECT count(*) FROM ocpp_cache WHERE cp = ?1 AND "
	    "(?2 = '' OR tag = ?2)", identity, tag);
}

/* Writes what was put, waiting (through a MSG_PUT of seq) until it is on
 * disk. */
static void
flush(uv_loop_t *loop, struct ocppstore *os, uint64_t seq)
{
	put(os, 2, "MARK", (struct ocpp_rec){ .kind = OCPP_REC_MSG_PUT,
	    .seq = seq, .local_tx = 1, .action = OCPP_A_START,
	    .payload = "{}" });
	for (int i = 0; i < 500 && told[2] < seq; i++) {
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(10000);
	}
	assert_int_equal(told[2], seq);
}

/* The authorisation cache's table keeps a charge point's newest 64 tags
 * (all it loads), a tag answered again counting as new; another charge
 * point's under 64 are kept whole; ClearCache empties the one only. */
static void
test_cache_bounded(void **state)
{
	uv_loop_t loop;
	struct ocppstore *os;
	char	 err[160], tag[16];

	(void)state;
	uv_loop_init(&loop);
	assert_int_equal(ocppstore_open(&os, path, &loop, on_stored, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(ocppstore_start(os), 0);
	for (int i = 0; i < 70; i++) {
		snprintf(tag, sizeof(tag), "T%02d", i);
		put(os, 0, "CP-01", (struct ocpp_rec){ .kind =
		    OCPP_REC_CACHE_PUT, .key = tag, .value = "Accepted" });
		if (i == 66)
			put(os, 0, "CP-01", (struct ocpp_rec){ .kind =
			    OCPP_REC_CACHE_PUT, .key = "T05", .value =
			    "Blocked" });
	}
	for (int i = 0; i < 3; i++) {
		snprintf(tag, sizeof(tag), "U%02d", i);
		put(os, 1, "CP-02", (struct ocpp_rec){ .kind =
		    OCPP_REC_CACHE_PUT, .key = tag, .value = "Accepted" });
	}
	flush(&loop, os, 1);
	assert_int_equal(cache_rows("CP-01", ""), OCPP_CACHE_MAX);
	assert_int_equal(cache_rows("CP-01", "T69"), 1);
	assert_int_equal(cache_rows("CP-01", "T05"), 1);	/* answered again */
	assert_int_equal(cache_rows("CP-01", "T07"), 1);
	assert_int_equal(cache_rows("CP-01", "T06"), 0);	/* the oldest */
	assert_int_equal(cache_rows("CP-01", "T00"), 0);
	assert_int_equal(cache_rows("CP-02", ""), 3);
	put(os, 0, "CP-01", (struct ocpp_rec){ .kind = OCPP_REC_CACHE_CLEAR });
	flush(&loop, os, 2);
	assert_int_equal(cache_rows("CP-01", ""), 0);
	assert_int_equal(cache_rows("CP-02", ""), 3);
	ocppstore_close(os);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static int32_t
txid_of(const struct ocpp_cp *cp, int64_t local)
{
	for (int i = 0; i < cp->ntx; i++)
		if (cp->tx[i].local == local)
			return cp->tx[i].txid;
	return -1;
}

/* An installer changed a charger's identity (OLD -> NEW) while it had
 * transaction messages queued: at the next start they are NEW's, after
 * NEW's own (numbered on), with their transactions; once. Its twins:
 * while a charge point still has OLD, or for a charger at another
 * address, nothing moves. */
static void
test_identity_changed(void **state)
{
	uv_loop_t loop;
	struct ocppstore *os;
	struct ocpp_cp cp;
	struct ocpp_tx t_old = { .local = 1, .txid = 5, .connector = 1 },
	    t_new = { .local = 1, .txid = 9, .connector = 1 };
	const char *addr = "10.0.0.3:502/1";
	const char *before[] = { "OLD" }, *now[] = { "NEW", "OTHER" },
	    *both[] = { "NEW", "OLD" };
	char	 err[160], old[64];

	(void)state;
	uv_loop_init(&loop);
	assert_int_equal(ocppstore_open(&os, path, &loop, on_stored, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(ocppstore_adopt(os, "OLD", addr, before, 1, old,
	    sizeof(old)), 0);
	assert_string_equal(old, "");
	assert_int_equal(ocppstore_start(os), 0);
	put(os, 0, "OLD", (struct ocpp_rec){ .kind = OCPP_REC_TX_PUT,
	    .local_tx = 1, .tx = &t_old });
	put(os, 0, "OLD", (struct ocpp_rec){ .kind = OCPP_REC_MSG_PUT,
	    .seq = 1, .local_tx = 1, .action = OCPP_A_METER, .payload = "{}" });
	put(os, 0, "OLD", (struct ocpp_rec){ .kind = OCPP_REC_MSG_PUT,
	    .seq = 2, .local_tx = 1, .action = OCPP_A_STOP, .payload = "{}" });
	put(os, 1, "NEW", (struct ocpp_rec){ .kind = OCPP_REC_TX_PUT,
	    .local_tx = 1, .tx = &t_new });
	put(os, 1, "NEW", (struct ocpp_rec){ .kind = OCPP_REC_MSG_PUT,
	    .seq = 1, .local_tx = 1, .action = OCPP_A_START, .payload = "{}" });
	flush(&loop, os, 1);
	ocppstore_close(os);
	uv_run(&loop, UV_RUN_DEFAULT);

	assert_int_equal(ocppstore_open(&os, path, &loop, on_stored, NULL, err,
	    sizeof(err)), 0);
	/* OLD still a charge point of the site: its own */
	assert_int_equal(ocppstore_adopt(os, "NEW", addr, both, 2, old,
	    sizeof(old)), 0);
	assert_string_equal(old, "");
	/* another charger's address: nothing of OLD's */
	assert_int_equal(ocppstore_adopt(os, "OTHER", "10.0.0.4:502/1", now,
	    2, old, sizeof(old)), 0);
	assert_string_equal(old, "");
	/* OLD gone: NEW takes its messages, after its own */
	assert_int_equal(ocppstore_adopt(os, "NEW", addr, now, 2, old,
	    sizeof(old)), 2);
	assert_string_equal(old, "OLD");
	assert_int_equal(ocppstore_adopt(os, "NEW", addr, now, 2, old,
	    sizeof(old)), 0);			/* once */
	fresh_cp(&cp);
	assert_int_equal(ocppstore_load(os, "NEW", &cp), 0);
	assert_int_equal(cp.ntxq, 3);
	assert_int_equal(cp.txq[0].action, OCPP_A_START);
	assert_int_equal(cp.txq[1].action, OCPP_A_METER);
	assert_int_equal(cp.txq[2].action, OCPP_A_STOP);
	assert_int_equal(cp.txq[2].seq, 3);
	assert_int_equal(cp.ntx, 2);
	assert_int_equal(txid_of(&cp, cp.txq[2].local_tx), 5);
	assert_int_equal(txid_of(&cp, cp.txq[0].local_tx), 9);
	ocppcore_free(&cp);
	fresh_cp(&cp);
	assert_int_equal(ocppstore_load(os, "OLD", &cp), 0);
	assert_int_equal(cp.ntxq, 0);
	assert_int_equal(cp.ntx, 0);
	ocppcore_free(&cp);
	ocppstore_close(os);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* A file that is not a database: refused with why, nothing started. */
static void
test_bad_path_refused(void **state)
{
	uv_loop_t loop;
	struct ocppstore *os;
	char	 err[160] = "", p[160];

	(void)state;
	uv_loop_init(&loop);
	snprintf(p, sizeof(p), "%s/none/evgroup.db", dir);
	assert_int_equal(ocppstore_open(&os, p, &loop, on_stored, NULL, err,
	    sizeof(err)), -1);
	assert_null(os);
	assert_non_null(strstr(err, p));
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* The rows of table (ocpp_txs or ocpp_msgs) of identity in the file. */
static int
rows_of(const char *table, const char *identity)
{
	char	 sql[96];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE cp = ?1",
	    table);
	return count_rows(sql, identity, NULL);
}

/* 20 closed transactions waiting, each a Start and a Stop: a start loads
 * the 14 oldest and their messages in order (a place kept for each
 * connector's session); the 6 others stay in the file, messages and all,
 * and no id or seq of theirs is given again. */
static void
test_many_waiting_kept(void **state)
{
	uv_loop_t loop;
	struct ocppstore *os;
	struct ocpp_cp cp;
	char	 err[160];

	(void)state;
	uv_loop_init(&loop);
	assert_int_equal(ocppstore_open(&os, path, &loop, on_stored, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(ocppstore_start(os), 0);
	for (int i = 1; i <= 20; i++) {
		struct ocpp_tx t = { .local = i, .connector = 1 };

		put(os, 0, "CP-01", (struct ocpp_rec){ .kind = OCPP_REC_TX_PUT,
		    .local_tx = i, .tx = &t });
		put(os, 0, "CP-01", (struct ocpp_rec){ .kind = OCPP_REC_MSG_PUT,
		    .seq = (uint64_t)(2 * i - 1), .local_tx = i,
		    .action = OCPP_A_START, .payload = "{}" });
		put(os, 0, "CP-01", (struct ocpp_rec){ .kind = OCPP_REC_MSG_PUT,
		    .seq = (uint64_t)(2 * i), .local_tx = i,
		    .action = OCPP_A_STOP, .payload = "{}" });
	}
	flush(&loop, os, 1);
	ocppstore_close(os);
	uv_run(&loop, UV_RUN_DEFAULT);

	assert_int_equal(ocppstore_open(&os, path, &loop, on_stored, NULL, err,
	    sizeof(err)), 0);
	fresh_cp(&cp);
	assert_int_equal(ocppstore_load(os, "CP-01", &cp), 0);
	assert_int_equal(cp.ntx, OCPP_TX_MAX - OCPP_MAX_CONN);
	assert_int_equal(cp.ntxq, 28);
	for (size_t q = 0; q < cp.ntxq; q++) {
		assert_int_equal(cp.txq[q].seq, q + 1);
		assert_true(cp.txq[q].local_tx == (int64_t)(q / 2 + 1));
	}
	assert_true(cp.next_local == 21);
	assert_int_equal(cp.next_seq, 41);
	ocppcore_free(&cp);
	ocppstore_close(os);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(rows_of("ocpp_txs", "CP-01"), 20);
	assert_int_equal(rows_of("ocpp_msgs", "CP-01"), 40);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_records_come_back, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cache_bounded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_identity_changed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_many_waiting_kept, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_path_refused, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
