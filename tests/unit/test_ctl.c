/*
 * test_ctl.c: the control-socket line protocol: every command parses to
 * what it means, every bad line gets an error and no command.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ctl.h"
#include "hal_sim.h"

static int
parse(const char *line, struct ctl_cmd *c)
{
	char	 err[CTL_MAX_LINE + 64];

	return ctl_parse(line, 2, c, err, sizeof(err));
}

static void
test_good_lines(void **state)
{
	struct ctl_cmd c;

	(void)state;
	assert_int_equal(parse("status", &c), 0);
	assert_int_equal(c.verb, CTL_STATUS);
	assert_int_equal(parse("plug 2", &c), 0);
	assert_int_equal(c.verb, CTL_PLUG);
	assert_int_equal(c.conn, 1);
	assert_int_equal(parse("  unplug\t1 ", &c), 0);
	assert_int_equal(c.verb, CTL_UNPLUG);
	assert_int_equal(parse("car 1 ventilate", &c), 0);
	assert_int_equal(c.verb, CTL_CAR_WANT);
	assert_int_equal(c.value, CAR_VENTILATE);
	assert_int_equal(parse("car 1 max 16", &c), 0);
	assert_int_equal(c.value, 160);
	assert_int_equal(parse("car 2 phases 1", &c), 0);
	assert_int_equal(c.value, 1);
	assert_int_equal(parse("car 1 lag 2000", &c), 0);
	assert_int_equal(c.value, 2000);
	assert_int_equal(parse("fault 1 rcm-dc", &c), 0);
	assert_int_equal(c.value, SIM_RCM_DC);
	assert_int_equal(parse("clear 2 pen", &c), 0);
	assert_int_equal(c.verb, CTL_CLEAR);
	assert_int_equal(parse("temp 85.0", &c), 0);
	assert_int_equal(c.value, 850);
	assert_int_equal(parse("temp -12.5", &c), 0);
	assert_int_equal(c.value, -125);
	assert_int_equal(parse("voltage 3 260.0", &c), 0);
	assert_int_equal(c.phase, 2);
	assert_int_equal(c.conn, 0);
	assert_int_equal(c.value, 2600);
	assert_int_equal(parse("rfid 1 04a1B2c3", &c), 0);
	assert_string_equal(c.tag, "04A1B2C3");
	assert_int_equal(parse("setpoint 1 16.0", &c), 0);
	assert_int_equal(c.value, 160);
	assert_int_equal(parse("setpoint 1 0", &c), 0);
	assert_int_equal(c.value, 0);
	assert_int_equal(parse("authorise 1", &c), 0);
	assert_int_equal(c.verb, CTL_AUTHORISE);
	assert_int_equal(parse("reset 2", &c), 0);
	assert_int_equal(c.verb, CTL_RESET);
}

static void
test_bad_lines(void **state)
{
	static const char *const bad[] = {
		"", "   ", "bogus", "plug", "plug 0", "plug 3", "plug x",
		"plug 1 2", "plug -1", "car 1", "car 1 fly", "car 1 max",
		"car 1 max 5.9", "car 1 max 80.1", "car 1 phases 2",
		"car 1 lag 5001", "car 1 lag -1", "car 1 stubborn maybe",
		"fault 1", "fault 1 fire", "clear 1 weld extra",
		"temp hot", "temp 150.1", "temp 12.34", "voltage 4 230",
		"voltage 1 -1", "pe 400.1", "rfid 1 XYZ",
		"rfid 1 0123456789ABCDEF0", "setpoint 1", "setpoint 1 80.1",
		"setpoint 1 -6", "setpoint 1 1e3", "authorise", "reset 1 2",
		"status now", "plug 1\x01", "a b c d e f g",
	};
	struct ctl_cmd c;
	char	 err[CTL_MAX_LINE + 64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (ctl_parse(bad[i], 2, &c, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted: '%s'", bad[i]);
		assert_true(strlen(err) > 0);
	}
	/* A connector that the unit does not have. */
	assert_int_equal(ctl_parse("plug 2", 1, &c, err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "1-1"));
}

static void
test_long_line(void **state)
{
	char	 line[CTL_MAX_LINE + 10], err[CTL_MAX_LINE + 64];
	struct ctl_cmd c;

	(void)state;
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(ctl_parse(line, 2, &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line too long");
}

/* Random bytes and random words: an error or a command, never a crash
 * (the sanitizers watch), and every accepted connector is in range. */
static void
test_random_input(void **state)
{
	static const char *const words[] = { "plug", "car", "1", "2", "max",
	    "16", "fault", "weld", "setpoint", "-", ".", "0", "temp", "99.9",
	    "rfid", "ABC", "voltage", "3", "lag", "reset", "x" };
	char	 line[64], err[CTL_MAX_LINE + 64];
	struct ctl_cmd c;
	unsigned seed = 12345;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		size_t	 len = 0;

		if (i % 2) {
			size_t n = (size_t)rand_r(&seed) % sizeof(line);

			for (; len < n; len++)
				line[len] = (char)(1 + rand_r(&seed) % 255);
		} else {
			int n = rand_r(&seed) % 5;

			for (int w = 0; w < n; w++) {
				const char *word = words[rand_r(&seed) %
				    (int)(sizeof(words) / sizeof(words[0]))];

				if (len + strlen(word) + 2 >= sizeof(line))
					break;
				len += (size_t)sprintf(line + len, "%s ", word);
			}
		}
		line[len] = '\0';
		if (ctl_parse(line, 2, &c, err, sizeof(err)) == 0)
			assert_in_range(c.conn, 0, 2);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_lines),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_random_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
