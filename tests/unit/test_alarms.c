/*
 * test_alarms.c: the active alarms' book (issue 18, section 3): which
 * alarms are new and which cleared, acknowledgement by key, an alarm
 * back after clearing being new, restarts, the order shown, a phase
 * over its limit for longer than a car's 5 s; the webhook's queue, its
 * back-off and its bound, as functions of the time; its settings' rules.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "alarms.h"
#include "webhook.h"

struct seen {
	int	 raised, cleared;
	char	 last[128];
};

static void
note(void *arg, enum alarm_change ch, const struct alarm *a)
{
	struct seen *s = arg;

	if (ch == ALARM_RAISED)
		s->raised++;
	else
		s->cleared++;
	snprintf(s->last, sizeof(s->last), "%s %s %s %d", ch == ALARM_RAISED ?
	    "raised" : "cleared", a->code, a->source, a->connector);
}

static struct alarm
mk(const char *code, const char *source, int conn)
{
	struct alarm a = { .severity = 2 };

	snprintf(a.code, sizeof(a.code), "%s", code);
	snprintf(a.source, sizeof(a.source), "%s", source);
	a.connector = conn;
	snprintf(a.text, sizeof(a.text), "%s of %s", code, source);
	return a;
}

static struct alarm_book book;

static void
test_new_and_cleared(void **state)
{
	struct alarm now[2] = { mk("charger-offline", "bay-001", 0),
	    mk("charger-fault", "bay-002", 1) };
	struct seen s = { 0 };

	(void)state;
	memset(&book, 0, sizeof(book));
	alarmbook_update(&book, now, 2, 1000000, 10, note, &s);
	assert_int_equal(s.raised, 2);
	assert_int_equal(book.a[0].since_ms, 1000000);	/* first seen */
	/* the same again: nothing new, the time kept */
	alarmbook_update(&book, now, 2, 1001000, 1010, note, &s);
	assert_int_equal(s.raised, 2);
	assert_int_equal(s.cleared, 0);
	assert_int_equal(book.a[0].since_ms, 1000000);
	/* the fault is gone */
	alarmbook_update(&book, now, 1, 1002000, 2010, note, &s);
	assert_int_equal(s.cleared, 1);
	assert_string_equal(s.last, "cleared charger-fault bay-002 1");
	assert_int_equal(book.n, 1);
	/* a connector is part of the key: connector 2 is another alarm */
	now[1].connector = 2;
	alarmbook_update(&book, now, 2, 1003000, 3010, note, &s);
	assert_string_equal(s.last, "raised charger-fault bay-002 2");
	/* an alarm's own time is kept when it knows it */
	now[0] = mk("write-refused", "bay-003", 1);
	now[0].since_ms = 999;
	alarmbook_update(&book, now, 1, 1004000, 4010, note, &s);
	assert_int_equal(book.n, 1);
	assert_int_equal(book.a[0].since_ms, 999);
}

static void
test_ack_by_key(void **state)
{
	struct alarm now[2] = { mk("meter-offline", "meter", 0),
	    mk("charger-offline", "bay-001", 0) }, out, list[4];
	struct seen s = { 0 };

	(void)state;
	memset(&book, 0, sizeof(book));
	alarmbook_update(&book, now, 2, 5000, 5, note, &s);
	/* refusals: no such key, a key not active, another connector */
	assert_int_equal(alarmbook_ack(&book, "meter-offline", "bay-001", 0,
	    "olivia", 6000, &out), -ENOENT);
	assert_int_equal(alarmbook_ack(&book, "charger-offline", "bay-001", 1,
	    "olivia", 6000, &out), -ENOENT);
	assert_int_equal(alarmbook_ack(&book, "charger-fault", "bay-001", 0,
	    "olivia", 6000, &out), -ENOENT);
	/* the positive twin */
	assert_int_equal(alarmbook_ack(&book, "meter-offline", "meter", 0,
	    "olivia", 6000, &out), 0);
	assert_string_equal(out.ack_by, "olivia");
	assert_int_equal(out.ack_ms, 6000);
	/* twice: refused, saying who */
	assert_int_equal(alarmbook_ack(&book, "meter-offline", "meter", 0,
	    "ivan", 7000, &out), -EALREADY);
	assert_string_equal(out.ack_by, "olivia");
	/* shown after the unacknowledged ones */
	assert_int_equal(alarmbook_list(&book, list, 4), 2);
	assert_string_equal(list[0].code, "charger-offline");
	assert_string_equal(list[1].code, "meter-offline");
	assert_string_equal(list[1].ack_by, "olivia");
	/* still listed while its cause lasts, still acknowledged */
	alarmbook_update(&book, now, 2, 8000, 8, note, &s);
	assert_int_equal(alarmbook_list(&book, list, 4), 2);
	assert_string_equal(list[1].ack_by, "olivia");
	/* cleared, and back later: a new alarm, nobody's */
	alarmbook_update(&book, &now[1], 1, 9000, 9, note, &s);
	alarmbook_update(&book, now, 2, 10000, 10, note, &s);
	assert_string_equal(s.last, "raised meter-offline meter 0");
	assert_int_equal(alarmbook_list(&book, list, 4), 2);
	assert_string_equal(list[0].code, "charger-offline");
	assert_string_equal(list[1].code, "meter-offline");
	assert_string_equal(list[1].ack_by, "");
	assert_int_equal(list[1].since_ms, 10000);
	/* max bounds the list */
	assert_int_equal(alarmbook_list(&book, list, 1), 1);
}

static void
test_restart(void **state)
{
	struct alarm kept = mk("charger-offline", "bay-001", 0), gone =
	    mk("meter-offline", "meter", 0), list[4], out;
	struct seen s = { 0 };

	(void)state;
	memset(&book, 0, sizeof(book));
	kept.since_ms = 1234;
	snprintf(kept.ack_by, sizeof(kept.ack_by), "olivia");
	kept.ack_ms = 2345;
	alarmbook_restore(&book, &kept, 100);
	alarmbook_restore(&book, &gone, 100);
	/* not shown, not acknowledged again, before its cause is seen */
	assert_int_equal(alarmbook_list(&book, list, 4), 0);
	assert_int_equal(alarmbook_restored(&book), 2);
	assert_int_equal(alarmbook_ack(&book, "meter-offline", "meter", 0,
	    "ivan", 3000, &out), -ENOENT);
	/* nothing seen yet (the chargers are still being reached) */
	alarmbook_update(&book, NULL, 0, 5000, 200, note, &s);
	assert_int_equal(s.cleared, 0);
	/* its cause again: the same alarm, not a new one */
	alarmbook_update(&book, &kept, 1, 6000, 300, note, &s);
	assert_int_equal(s.raised, 0);
	assert_int_equal(alarmbook_list(&book, list, 4), 1);
	assert_int_equal(list[0].since_ms, 1234);
	assert_string_equal(list[0].ack_by, "olivia");
	/* the other never came back: cleared once the wait is over */
	alarmbook_update(&book, &kept, 1, 7000, 100 + ALARM_RESTORE_MS - 1,
	    note, &s);
	assert_int_equal(s.cleared, 0);
	alarmbook_update(&book, &kept, 1, 8000, 100 + ALARM_RESTORE_MS, note,
	    &s);
	assert_int_equal(s.cleared, 1);
	assert_string_equal(s.last, "cleared meter-offline meter 0");
	assert_int_equal(alarmbook_restored(&book), 0);
}

static void
test_book_full(void **state)
{
	static struct alarm many[ALARM_BOOK_MAX + 3];
	struct seen s = { 0 };

	(void)state;
	memset(&book, 0, sizeof(book));
	for (int i = 0; i < ALARM_BOOK_MAX + 3; i++) {
		char	 name[32];

		snprintf(name, sizeof(name), "bay-%04d", i);
		many[i] = mk("charger-offline", name, 0);
	}
	alarmbook_update(&book, many, ALARM_BOOK_MAX + 3, 1, 1, note, &s);
	assert_int_equal(book.n, ALARM_BOOK_MAX);
	assert_int_equal(book.untracked, 3);
	assert_int_equal(s.raised, ALARM_BOOK_MAX);
}

static void
test_over_limit(void **state)
{
	uint64_t since[EVG_PHASES] = { 0 };
	int32_t	 lim[EVG_PHASES] = { 980, 980, 980 };
	int32_t	 ok[EVG_PHASES] = { 980, 985, 100 };
	int32_t	 over[EVG_PHASES] = { 1200, 985, 100 };

	(void)state;
	/* at the limit, or within a reading's noise: nothing */
	assert_int_equal(alarm_over(since, ok, lim, 1000), 0);
	assert_int_equal(since[1], 0);
	/* over, but the cars have their 5 s to follow a lowered offer */
	assert_int_equal(alarm_over(since, over, lim, 1000), 0);
	assert_int_equal(alarm_over(since, over, lim, 1000 + ALARM_OVER_MS - 1),
	    0);
	assert_int_equal(alarm_over(since, over, lim, 1000 + ALARM_OVER_MS),
	    1u);
	/* back under: the count starts again */
	assert_int_equal(alarm_over(since, ok, lim, 1000 + ALARM_OVER_MS + 1),
	    0);
	assert_int_equal(alarm_over(since, over, lim, 20000), 0);
	assert_int_equal(alarm_over(since, over, lim, 20000 + ALARM_OVER_MS),
	    1u);
}

static void
test_backoff(void **state)
{
	(void)state;
	assert_int_equal(hook_backoff_ms(1), 1000);
	assert_int_equal(hook_backoff_ms(2), 2000);
	assert_int_equal(hook_backoff_ms(3), 4000);
	assert_int_equal(hook_backoff_ms(4), 8000);
	assert_int_equal(hook_backoff_ms(10), HOOK_BACKOFF_MAX_MS);
	assert_int_equal(hook_backoff_ms(1000), HOOK_BACKOFF_MAX_MS);
}

static struct hook_queue q;

static void
test_queue_retries(void **state)
{
	struct hook_job j = { 0 };
	uint64_t wait;
	int	 slot, a;

	(void)state;
	memset(&q, 0, sizeof(q));
	assert_int_equal(hookq_due(&q, 0, &wait), -1);
	assert_true(wait == UINT64_MAX);
	snprintf(j.what, sizeof(j.what), "first");
	assert_int_equal(hookq_add(&q, &j, 1000), 0);
	snprintf(j.what, sizeof(j.what), "second");
	assert_int_equal(hookq_add(&q, &j, 1000), 0);
	/* the oldest first */
	slot = hookq_due(&q, 1000, &wait);
	assert_string_equal(q.j[slot].what, "first");
	/* 500, 500, then 200: delivered at the third attempt, after 1 s and
	 * 2 s */
	assert_int_equal(hookq_done(&q, slot, false, "HTTP 500", 1100),
	    HOOK_RETRY);
	assert_string_equal(q.j[slot].error, "HTTP 500");
	a = hookq_due(&q, 1100, &wait);
	assert_string_equal(q.j[a].what, "second");	/* not held up */
	assert_int_equal(hookq_done(&q, a, true, NULL, 1200), HOOK_DELIVERED);
	assert_int_equal(hookq_due(&q, 1200, &wait), -1);
	assert_int_equal(wait, 900);
	assert_int_equal(hookq_due(&q, 2100, &wait), slot);
	assert_int_equal(hookq_done(&q, slot, false, "HTTP 500", 2200),
	    HOOK_RETRY);
	assert_int_equal(hookq_due(&q, 4199, &wait), -1);
	assert_int_equal(wait, 1);
	assert_int_equal(hookq_due(&q, 4200, &wait), slot);
	assert_int_equal(hookq_done(&q, slot, true, NULL, 4300),
	    HOOK_DELIVERED);
	assert_int_equal(hookq_due(&q, 99999, &wait), -1);
	assert_true(wait == UINT64_MAX);
}

static void
test_queue_gives_up_and_bounds(void **state)
{
	struct hook_job j = { 0 };
	uint64_t wait, now = 0;
	int	 slot;

	(void)state;
	memset(&q, 0, sizeof(q));
	assert_int_equal(hookq_add(&q, &j, now), 0);
	for (int i = 1; i < HOOK_ATTEMPTS; i++) {
		slot = hookq_due(&q, now, &wait);
		assert_true(slot >= 0);
		assert_int_equal(hookq_done(&q, slot, false, "timeout", now),
		    HOOK_RETRY);
		now += hook_backoff_ms(i);
	}
	slot = hookq_due(&q, now, &wait);
	assert_int_equal(hookq_done(&q, slot, false, "timeout", now),
	    HOOK_FAILED);
	assert_int_equal(hookq_due(&q, now + 100000, &wait), -1);
	/* a full queue drops and counts */
	for (int i = 0; i < HOOK_QUEUE_MAX; i++)
		assert_int_equal(hookq_add(&q, &j, now), 0);
	assert_int_equal(hookq_add(&q, &j, now), -ENOBUFS);
	assert_int_equal(q.dropped, 1);
	/* room again once one is delivered */
	slot = hookq_due(&q, now, &wait);
	assert_int_equal(hookq_done(&q, slot, true, NULL, now),
	    HOOK_DELIVERED);
	assert_int_equal(hookq_add(&q, &j, now), 0);
}

/* The address as shown: scheme and host, never the path or query. */
static void
test_url_shown(void **state)
{
	char	 out[64];

	(void)state;
	hook_url_shown("https://hooks.example.com/services/T0/B0/SECRET", out,
	    sizeof(out));
	assert_string_equal(out, "https://hooks.example.com/...");
	hook_url_shown("http://127.0.0.1:8099?key=SECRET", out, sizeof(out));
	assert_string_equal(out, "http://127.0.0.1:8099/...");
	hook_url_shown("http://127.0.0.1:8099", out, sizeof(out));
	assert_string_equal(out, "http://127.0.0.1:8099");
	hook_url_shown("", out, sizeof(out));
	assert_string_equal(out, "");
	hook_url_shown("no scheme SECRET", out, sizeof(out));
	assert_string_equal(out, "(set)");
	/* cut to fit, terminated */
	hook_url_shown("https://a-very-long-host-name.example.com/x", out, 12);
	assert_int_equal(strlen(out), 11);
}

static void
test_settings(void **state)
{
	char	 err[128];

	(void)state;
	/* refused */
	assert_int_equal(hook_url_check("ftp://example.org/x", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "http:// or https://"));
	assert_int_equal(hook_url_check("file:///etc/passwd", err,
	    sizeof(err)), -1);
	assert_int_equal(hook_url_check("http://", err, sizeof(err)), -1);
	assert_int_equal(hook_url_check("https:///path", err, sizeof(err)),
	    -1);
	assert_int_equal(hook_url_check("http://a b/", err, sizeof(err)), -1);
	/* a user or password in the address: refused (it would be shown) */
	assert_int_equal(hook_url_check("http://user:pw@127.0.0.1/h", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "token"));
	assert_int_equal(hook_url_check("https://x@h.example/", err,
	    sizeof(err)), -1);
	/* its twin: an @ in the path or query is no user */
	assert_int_equal(hook_url_check("https://h.example/a@b?to=a@b", err,
	    sizeof(err)), 0);
	assert_int_equal(hook_token_check("abc def", err, sizeof(err)), -1);
	assert_int_equal(hook_token_check("(set)", err, sizeof(err)), -1);
	/* the positive twins */
	assert_int_equal(hook_url_check("", err, sizeof(err)), 0);
	assert_int_equal(hook_url_check("http://127.0.0.1:8099/hook", err,
	    sizeof(err)), 0);
	assert_int_equal(hook_url_check("HTTPS://alarms.example.org/x?a=1",
	    err, sizeof(err)), 0);
	assert_int_equal(hook_token_check("", err, sizeof(err)), 0);
	assert_int_equal(hook_token_check("s3cr.et-_~+/=", err, sizeof(err)),
	    0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_and_cleared),
		cmocka_unit_test(test_ack_by_key),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_book_full),
		cmocka_unit_test(test_over_limit),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_queue_retries),
		cmocka_unit_test(test_queue_gives_up_and_bounds),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_url_shown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
