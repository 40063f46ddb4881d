/*
 * test_auth.c: logins: sessions and their idle expiry (also when
 * parallel requests arrive out of order), the per-address login limit
 * and its end, password rules, a password change ending the user's other
 * sessions, a reset forcing a new choice, the last installer kept; hashes
 * made with older settings made again after a login; sessions kept
 * across a restart by their token's hash only, idle ones not restored;
 * the bms role.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "auth.h"

#define IDLE	60000

static int
setup(void **state)
{
	static struct auth a;

	assert_int_equal(auth_init(&a, IDLE), 0);
	assert_int_equal(auth_add_user(&a, "ian", ROLE_INSTALLER, "ian-pass-1",
	    false, NULL), 0);
	*state = &a;
	return 0;
}

static int
teardown(void **state)
{
	auth_free(*state);
	return 0;
}

static void
test_session_and_idle_expiry(void **state)
{
	struct auth *a = *state;
	struct auth_session s, t;
	uint64_t retry;

	assert_int_equal(auth_login(a, "10.0.0.1", "ian", "ian-pass-1", 1000,
	    &s, &retry), AUTH_OK);
	assert_int_equal(strlen(s.token), AUTH_TOKEN_LEN);
	assert_int_equal(strlen(s.csrf), AUTH_TOKEN_LEN);
	assert_string_not_equal(s.token, s.csrf);
	assert_int_equal(s.role, ROLE_INSTALLER);
	assert_true(auth_session(a, s.token, 1000 + IDLE, &t));
	/* a request that started before the last use is not idle time */
	assert_true(auth_session(a, s.token, 1000 + IDLE - 5, &t));
	assert_true(auth_session(a, s.token, 1000 + 2 * IDLE, &t));
	assert_false(auth_session(a, s.token, 1000 + 3 * IDLE + 1, &t));
	assert_false(auth_session(a, s.token, 1000 + 3 * IDLE + 2, &t));
	assert_false(auth_session(a, NULL, 0, &t));
	assert_false(auth_session(a, "short", 0, &t));
}

/* What a keeper (web.c: the database) is told. */
static struct auth_session kept;
static int nput, ndrop;

static void
keep(void *arg, enum auth_persist_op op, const struct auth_session *s)
{
	(void)arg;
	if (op == AUTH_SESSION_PUT) {
		kept = *s;
		nput++;
	} else
		ndrop++;
}

static void
test_session_kept_across_a_restart(void **state)
{
	struct auth *a = *state, b;
	struct auth_session s, t;
	uint64_t retry;

	a->persist = keep;
	nput = ndrop = 0;
	assert_int_equal(auth_login(a, "10.0.0.1", "ian", "ian-pass-1", 1000,
	    &s, &retry), AUTH_OK);
	assert_int_equal(nput, 1);
	/* the hash, never the token */
	assert_string_equal(kept.token, "");
	assert_int_equal(strlen(kept.tok_hash), AUTH_TOKEN_LEN);
	assert_string_not_equal(kept.tok_hash, s.token);
	/* a use is saved at most once a minute */
	assert_true(auth_session(a, s.token, 2000, &t));
	assert_int_equal(nput, 1);
	assert_true(auth_session(a, s.token, 1000 + AUTH_PERSIST_MS, &t));
	assert_int_equal(nput, 2);

	/* the next process: the user and the kept session */
	assert_int_equal(auth_init(&b, IDLE), 0);
	assert_int_equal(auth_add_user(&b, "ian", ROLE_INSTALLER,
	    "ian-pass-1", false, NULL), 0);
	assert_int_equal(auth_restore_session(&b, kept.tok_hash, "ian",
	    kept.csrf, IDLE + 1, 500), -1);		/* idle too long */
	assert_int_equal(auth_restore_session(&b, kept.tok_hash, "nobody",
	    kept.csrf, 0, 500), -1);
	assert_false(auth_session(&b, s.token, 500, &t));
	/* idle time before the restart counts */
	assert_int_equal(auth_restore_session(&b, kept.tok_hash, "ian",
	    kept.csrf, IDLE - 100, 100000), 0);
	assert_false(auth_session(&b, s.token, 100000 + 200, &t));
	assert_int_equal(auth_restore_session(&b, kept.tok_hash, "ian",
	    kept.csrf, 1000, 100000), 0);
	assert_false(auth_session(&b, kept.tok_hash, 100000, &t));
	assert_true(auth_session(&b, s.token, 100000, &t));
	assert_string_equal(t.csrf, s.csrf);
	assert_string_equal(t.token, s.token);
	/* a logout is told */
	assert_true(auth_session(a, s.token, 3000 + AUTH_PERSIST_MS, &t));
	auth_logout(a, s.token);
	assert_int_equal(ndrop, 1);
	assert_false(auth_session(a, s.token, 3000 + AUTH_PERSIST_MS, &t));
	auth_free(&b);
	a->persist = NULL;
}

static void
test_login_limit(void **state)
{
	struct auth *a = *state;
	struct auth_session s;
	uint64_t retry = 0, t = 5000;

	for (int i = 0; i < AUTH_FAILS_MAX; i++)
		assert_int_equal(auth_login(a, "10.0.0.2", "ian", "wrong", t,
		    &s, &retry), AUTH_BAD);
	/* locked, even with the right password; others are not */
	assert_int_equal(auth_login(a, "10.0.0.2", "ian", "ian-pass-1", t + 1,
	    &s, &retry), AUTH_LIMITED);
	assert_int_equal(retry, AUTH_LOCKOUT_MS - 1);
	assert_int_equal(auth_login(a, "10.0.0.3", "ian", "ian-pass-1", t + 1,
	    &s, &retry), AUTH_OK);
	assert_int_equal(auth_login(a, "10.0.0.2", "ian", "ian-pass-1",
	    t + AUTH_LOCKOUT_MS, &s, &retry), AUTH_OK);
	/* failures spread wider than the window never lock */
	for (int i = 0; i < 2 * AUTH_FAILS_MAX; i++)
		assert_int_equal(auth_login(a, "10.0.0.4", "nobody", "x",
		    t + (uint64_t)i * (AUTH_FAILS_WINDOW_MS / 2 + 1), &s, &retry),
		    AUTH_BAD);
}

/* Issue 17, item 1: guesses in parallel from one address. */
struct guess {
	struct auth	*a;
	const char	*addr, *pw;
	int		 rc;
	uv_thread_t	 t;
};

static void
guess_run(void *arg)
{
	struct guess *g = arg;
	struct auth_session s;
	uint64_t retry;

	g->rc = auth_login(g->a, g->addr, "ian", g->pw, 7000, &s, &retry);
}

static void
test_parallel_guesses_count_before_the_check(void **state)
{
	struct auth *a = *state;
	struct guess g[30];
	int	 bad = 0, ok = 0, limited = 0;

	/* 29 wrong and the right one at once: at most AUTH_FAILS_MAX of
	 * them are checked at all; the rest are refused unchecked */
	for (int i = 0; i < 30; i++) {
		g[i] = (struct guess){ .a = a, .addr = "10.0.1.1", .pw = i == 29 ?
		    "ian-pass-1" :
		    "wrong-pass" };
		assert_int_equal(uv_thread_create(&g[i].t, guess_run, &g[i]), 0);
	}
	for (int i = 0; i < 30; i++) {
		uv_thread_join(&g[i].t);
		bad += g[i].rc == AUTH_BAD;
		ok += g[i].rc == AUTH_OK;
		limited += g[i].rc == AUTH_LIMITED;
	}
	assert_true(bad + ok <= AUTH_FAILS_MAX);
	assert_int_equal(bad + ok + limited, 30);
	assert_true(limited >= 30 - AUTH_FAILS_MAX);
	/* the positive twin: the same at once from five addresses, one
	 * attempt each, the right one gets in */
	for (int i = 0; i < 5; i++) {
		static const char *const addr[] = { "10.0.2.1", "10.0.2.2",
		    "10.0.2.3", "10.0.2.4", "10.0.2.5" };

		g[i] = (struct guess){ .a = a, .addr = addr[i], .pw = i == 4 ?
		    "ian-pass-1" :
		    "wrong-pass" };
		assert_int_equal(uv_thread_create(&g[i].t, guess_run, &g[i]), 0);
	}
	for (int i = 0; i < 5; i++)
		uv_thread_join(&g[i].t);
	assert_int_equal(g[4].rc, AUTH_OK);
	for (int i = 0; i < 4; i++)
		assert_int_equal(g[i].rc, AUTH_BAD);
}

/* Issue 17, item 2: failures from many addresses never lift a lock. The
 * times are such that the global ceiling is over when the lock is still
 * on: with the lock forgotten, the right password would get in. */
static void
test_lockout_table_cannot_be_flushed(void **state)
{
	struct auth *a = *state;
	struct auth_session s;
	uint64_t retry, t = 100000;
	char	 addr[32];

	/* five failures over 2 s: locked until t + 2000 + the lock */
	for (int i = 0; i < AUTH_FAILS_MAX; i++)
		assert_int_equal(auth_login(a, "127.0.0.15", "ian", "wrong",
		    t + (uint64_t)i * 500, &s, &retry), AUTH_BAD);
	/* one failure from each of 260 other addresses, at once (the table
	 * holds 256; the ceiling on failures refuses most of them, and a
	 * refused attempt still asks for a slot) */
	for (int i = 0; i < AUTH_MAX_ADDRS + 4; i++) {
		int	 rc;

		snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 250, i % 250 + 1);
		rc = auth_login(a, addr, "nobody", "x", t + 2001, &s, &retry);
		assert_true(rc == AUTH_BAD || rc == AUTH_LIMITED);
	}
	/* the global window over (it began at t), the lock not: still
	 * locked, the right password or not */
	assert_int_equal(auth_login(a, "127.0.0.15", "ian", "ian-pass-1",
	    t + AUTH_FAILS_WINDOW_MS + 500, &s, &retry), AUTH_LIMITED);
	assert_true(retry > 0 && retry <= 1500);
	/* the positive twin: the lock over, it gets in */
	assert_int_equal(auth_login(a, "127.0.0.15", "ian", "ian-pass-1",
	    t + 2000 + AUTH_LOCKOUT_MS + 1, &s, &retry), AUTH_OK);
}

/* Issue 17, item 2: a ceiling on failures from all addresses together;
 * an address that logged in lately is not held to it (its own limit
 * still holds). */
static void
test_global_ceiling(void **state)
{
	struct auth *a = *state;
	struct auth_session s;
	uint64_t retry, t = 20000;
	char	 addr[32];

	assert_int_equal(auth_login(a, "10.4.0.1", "ian", "ian-pass-1", t - 1,
	    &s, &retry), AUTH_OK);
	for (int i = 0; i < AUTH_GLOBAL_FAILS_MAX; i++) {
		snprintf(addr, sizeof(addr), "10.2.0.%d", i + 1);
		assert_int_equal(auth_login(a, addr, "ian", "wrong", t, &s,
		    &retry), AUTH_BAD);
	}
	assert_int_equal(auth_login(a, "10.3.0.1", "ian", "ian-pass-1", t + 1,
	    &s, &retry), AUTH_LIMITED);
	assert_true(retry > 0 && retry <= AUTH_FAILS_WINDOW_MS);
	/* the address that logged in before the campaign still gets in */
	assert_int_equal(auth_login(a, "10.4.0.1", "ian", "ian-pass-1", t + 1,
	    &s, &retry), AUTH_OK);
	/* a user's current password (a session's) is not held to it */
	assert_int_equal(auth_check_current(a, "10.3.0.1", "ian",
	    "ian-pass-1", t + 1, &retry), AUTH_OK);
	/* but its own limit still holds */
	for (int i = 0; i < AUTH_FAILS_MAX; i++)
		assert_int_equal(auth_login(a, "10.4.0.1", "ian", "wrong",
		    t + 2, &s, &retry), AUTH_BAD);
	assert_int_equal(auth_login(a, "10.4.0.1", "ian", "ian-pass-1", t + 3,
	    &s, &retry), AUTH_LIMITED);
	/* the window over, the right password from there works */
	assert_int_equal(auth_login(a, "10.3.0.1", "ian", "ian-pass-1",
	    t + AUTH_FAILS_WINDOW_MS + 1, &s, &retry), AUTH_OK);
}

/* The ceiling counts the logins being checked: 30 addresses guessing five
 * at once each get no more than AUTH_GLOBAL_FAILS_MAX checked. */
static void
test_global_ceiling_in_parallel(void **state)
{
	struct auth *a = *state;
	static struct guess g[150];
	static char addr[30][32];
	int	 bad = 0, limited = 0;

	for (int i = 0; i < 150; i++) {
		if (i % 5 == 0)
			snprintf(addr[i / 5], sizeof(addr[0]), "10.5.0.%d",
			    i / 5 + 1);
		g[i] = (struct guess){ .a = a, .addr = addr[i / 5],
		    .pw = "wrong-pass" };
		assert_int_equal(uv_thread_create(&g[i].t, guess_run, &g[i]), 0);
	}
	for (int i = 0; i < 150; i++) {
		uv_thread_join(&g[i].t);
		bad += g[i].rc == AUTH_BAD;
		limited += g[i].rc == AUTH_LIMITED;
	}
	assert_int_equal(bad + limited, 150);
	assert_true(bad <= AUTH_GLOBAL_FAILS_MAX);
	assert_true(bad > 0);
}

static void
test_password_rules_and_changes(void **state)
{
	struct auth *a = *state;
	struct auth_session s1, s2, t;
	struct auth_user u;
	uint64_t retry;
	char	 why[120];

	assert_int_equal(auth_check_password("ian", "short", why, sizeof(why)),
	    AUTH_INVALID);
	assert_int_equal(auth_check_password("ian", "installer", why,
	    sizeof(why)), AUTH_INVALID);
	assert_int_equal(auth_check_password("ian-pass-1", "ian-pass-1", why,
	    sizeof(why)), AUTH_INVALID);
	assert_int_equal(auth_check_password("ian", "long-enough", why,
	    sizeof(why)), 0);
	assert_int_equal(auth_check_name("bad name", why, sizeof(why)),
	    AUTH_INVALID);
	assert_int_equal(auth_login(a, "1", "ian", "ian-pass-1", 1, &s1, &retry),
	    AUTH_OK);
	assert_int_equal(auth_login(a, "1", "ian", "ian-pass-1", 1, &s2, &retry),
	    AUTH_OK);
	assert_int_equal(auth_set_password(a, "ian", "wrong", "new-pass-22",
	    true, s1.token, &u), AUTH_BAD);
	assert_int_equal(auth_set_password(a, "ian", "ian-pass-1", "new-pass-22",
	    true, s1.token, &u), 0);
	assert_false(u.must_change);
	assert_true(auth_session(a, s1.token, 2, &t));
	assert_false(auth_session(a, s2.token, 2, &t));	/* the other ends */
	assert_int_equal(auth_login(a, "1", "ian", "ian-pass-1", 3, &s2,
	    &retry), AUTH_BAD);
	/* an installer's reset: every session ends, a new choice is due */
	assert_int_equal(auth_add_user(a, "olga", ROLE_OPERATOR, "olga-pass-1",
	    true, NULL), 0);
	assert_int_equal(auth_add_user(a, "olga", ROLE_OPERATOR, "olga-pass-1",
	    true, NULL), AUTH_EXISTS);
	assert_int_equal(auth_login(a, "1", "olga", "olga-pass-1", 4, &s2,
	    &retry), AUTH_OK);
	assert_true(s2.must_change);
	assert_int_equal(auth_set_password(a, "olga", NULL, "given-pass-3",
	    false, NULL, &u), 0);
	assert_true(u.must_change);
	assert_false(auth_session(a, s2.token, 5, &t));
	/* the last installer stays; an operator goes, and their sessions */
	assert_int_equal(auth_delete_user(a, "ian"), AUTH_LAST);
	assert_int_equal(auth_login(a, "1", "olga", "given-pass-3", 6, &s2,
	    &retry), AUTH_OK);
	assert_int_equal(auth_delete_user(a, "olga"), 0);
	assert_false(auth_session(a, s2.token, 7, &t));
	assert_int_equal(auth_delete_user(a, "olga"), AUTH_NOTFOUND);
}

/* A hash from a release that used 19 MiB x 2: a login still works, and
 * then the hash is made again with the settings in force, once. */
static void
test_old_hash_upgraded(void **state)
{
	struct auth *a = *state;
	struct auth_session s;
	struct auth_user u, users[4];
	uint64_t retry;
	char	 old[AUTH_HASH_LEN], want[64];

	snprintf(want, sizeof(want), "$m=%u,t=%u,p=1$",
	    AUTH_PWHASH_MEM / 1024, AUTH_PWHASH_OPS);
	assert_int_equal(auth_users(a, users, 4), 1);
	assert_non_null(strstr(users[0].hash, want));	/* a new user's */
	assert_int_equal(crypto_pwhash_str(old, "olga-pass-1", 11, 2,
	    19u * 1024 * 1024), 0);
	assert_int_equal(auth_put_user(a, "olga", ROLE_OPERATOR, old, false),
	    0);
	assert_int_equal(auth_upgrade(a, "olga", "olga-pass-1", &u), 1);
	assert_string_equal(u.name, "olga");
	assert_int_equal(u.role, ROLE_OPERATOR);
	assert_non_null(strstr(u.hash, want));
	assert_int_equal(auth_login(a, "1", "olga", "olga-pass-1", 1, &s,
	    &retry), AUTH_OK);
	assert_int_equal(auth_upgrade(a, "olga", "olga-pass-1", &u), 0);
	assert_int_equal(auth_upgrade(a, "nobody", "olga-pass-1", &u),
	    AUTH_NOTFOUND);
}

/* The bms role (a building management system's login): named, parsed,
 * kept like the others; an unknown role is refused. */
static void
test_bms_role(void **state)
{
	struct auth *a = *state;
	struct auth_session s;
	uint64_t retry;

	assert_int_equal(auth_role_parse("bms"), ROLE_BMS);
	assert_string_equal(auth_role_name(ROLE_BMS), "bms");
	assert_int_equal(auth_role_parse("installer"), ROLE_INSTALLER);
	assert_int_equal(auth_role_parse("admin"), -1);
	assert_int_equal(auth_add_user(a, "bms-1", ROLE_BMS, "bms-pass-1",
	    false, NULL), 0);
	assert_int_equal(auth_login(a, "10.0.0.1", "bms-1", "bms-pass-1", 1000,
	    &s, &retry), AUTH_OK);
	assert_int_equal(s.role, ROLE_BMS);
	assert_int_equal(auth_put_user(a, "root", ROLE_BMS + 1, s.token,
	    false), AUTH_INVALID);
	assert_int_equal(auth_put_user(a, "root", ROLE_BMS, s.token, false),
	    0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_session_and_idle_expiry,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_limit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_parallel_guesses_count_before_the_check, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_lockout_table_cannot_be_flushed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_global_ceiling, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_global_ceiling_in_parallel,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_rules_and_changes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_session_kept_across_a_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_hash_upgraded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bms_role, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
