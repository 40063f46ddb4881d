/*
 * test_service.c: what the master tells systemd (master/service.c) and
 * the journal's priority prefixes of shared/log.c: ready once a cycle
 * ran, the watchdog fed only while cycles run, "<N>" only on the
 * journal's own stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "service.h"

static void
test_ready_after_the_first_cycle(void **state)
{
	struct svc s;

	(void)state;
	svc_init(&s, 0, 1000);
	assert_int_equal(svc_period_ms(&s), SVC_READY_POLL_MS);
	/* no cycle yet: nothing, however long the start takes */
	assert_int_equal(svc_step(&s, 0, 5000), 0);
	assert_false(s.ready);
	/* the first cycle: ready, once; no watchdog asked for */
	assert_int_equal(svc_step(&s, 5100, 5150), SVC_READY);
	assert_true(s.ready);
	assert_int_equal(svc_step(&s, 6100, 6150), 0);
}

static void
test_watchdog_fed_while_cycles_run(void **state)
{
	struct svc s;
	uint64_t t;

	(void)state;
	svc_init(&s, 20000, 1000);
	assert_int_equal(svc_period_ms(&s), 5000);
	assert_int_equal(svc_step(&s, 0, 100), 0);
	assert_int_equal(svc_step(&s, 200, 300), SVC_READY | SVC_WATCHDOG);
	for (t = 1200; t < 60000; t += 1000)
		assert_int_equal(svc_step(&s, t, t + 400), SVC_WATCHDOG);
	/* a late cycle within twice its period and the grace: still fed */
	assert_int_equal(svc_step(&s, t, t + 2 * 1000 + SVC_GRACE_MS),
	    SVC_WATCHDOG);
}

static void
test_stuck_loop_not_fed(void **state)
{
	struct svc s;

	(void)state;
	svc_init(&s, 20000, 1000);
	assert_int_equal(svc_step(&s, 1000, 1100), SVC_READY | SVC_WATCHDOG);
	/* the last cycle longer ago than twice its period and the grace */
	assert_int_equal(svc_step(&s, 1000, 1000 + 2 * 1000 + SVC_GRACE_MS +
	    1), 0);
	assert_int_equal(svc_step(&s, 1000, 60000), 0);
	/* cycles again: fed again (systemd decides whether it was late) */
	assert_int_equal(svc_step(&s, 60500, 60600), SVC_WATCHDOG);
	/* a slow period (60 s) is not taken for a stuck loop */
	svc_init(&s, 20000, 60000);
	assert_int_equal(svc_step(&s, 1000, 100000), SVC_READY | SVC_WATCHDOG);
	assert_int_equal(svc_step(&s, 1000, 1000 + 121000 + 1), 0);
}

static void
test_short_watchdog_period_bounded(void **state)
{
	struct svc s;

	(void)state;
	svc_init(&s, 20, 1000);
	assert_int_equal(svc_period_ms(&s), 10);
}

static void
test_journal_stream_matches_only_its_own(void **state)
{
	(void)state;
	assert_true(log_journal_stream("8:12345", 8, 12345));
	assert_true(log_journal_stream("0:18446744073709551615", 0,
	    UINT64_MAX));
	assert_false(log_journal_stream(NULL, 8, 12345));
	assert_false(log_journal_stream("", 8, 12345));
	assert_false(log_journal_stream("8:1234", 8, 12345));
	assert_false(log_journal_stream("8:12345 ", 8, 12345));
	assert_false(log_journal_stream("9:12345", 8, 12345));
	assert_false(log_journal_stream("garbage", 8, 12345));
}

/* stderr into a file, one log line of each kind, the file's text */
static char *
logged(const char *journal)
{
	static char buf[4096];
	char	 path[] = "/tmp/evg-test-log-XXXXXX", env[64];
	int	 fd = mkstemp(path), saved = dup(2);
	struct stat st;
	FILE	*f;
	size_t	 n;

	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
	if (journal == NULL)
		unsetenv("JOURNAL_STREAM");
	else
		setenv("JOURNAL_STREAM", journal[0] ? journal : env, 1);
	fflush(stderr);
	dup2(fd, 2);
	log_at(LOG_ERROR, "an error");
	log_warnx("a warning");
	log_info("some news");
	log_at(LOG_DEBUG, "a detail");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	unsetenv("JOURNAL_STREAM");
	f = fdopen(fd, "r");
	assert_non_null(f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	return buf;
}

static void
test_priorities_on_the_journal(void **state)
{
	const char *t = logged("");	/* "": the file's own numbers */

	(void)state;
	assert_non_null(strstr(t, "<3>"));
	assert_non_null(strstr(t, "error: an error\n"));
	assert_non_null(strstr(t, "<4>"));
	assert_non_null(strstr(t, "<6>"));
	assert_non_null(strstr(t, "<7>"));
	assert_int_equal(t[0], '<');
	assert_non_null(strstr(t, "\n<4>"));
}

static void
test_no_priorities_elsewhere(void **state)
{
	const char *t;

	(void)state;
	t = logged(NULL);		/* not under systemd */
	assert_null(strchr(t, '<'));
	assert_non_null(strstr(t, "warning: a warning\n"));
	t = logged("1:2");		/* inherited: another stream's */
	assert_null(strchr(t, '<'));
	assert_non_null(strstr(t, "info: some news\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ready_after_the_first_cycle),
		cmocka_unit_test(test_watchdog_fed_while_cycles_run),
		cmocka_unit_test(test_stuck_loop_not_fed),
		cmocka_unit_test(test_short_watchdog_period_bounded),
		cmocka_unit_test(test_journal_stream_matches_only_its_own),
		cmocka_unit_test(test_priorities_on_the_journal),
		cmocka_unit_test(test_no_priorities_elsewhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
