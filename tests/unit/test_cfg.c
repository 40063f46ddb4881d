/*
 * test_cfg.c: number parsing, the config table engine with the INI
 * loader and --set, and the charger's cross-field checks. Bad input gets
 * "file:line: key: why" and leaves the defaults standing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "slave_config.h"
#include "strnum.h"

static void
test_strnum(void **state)
{
	long	 v;
	bool	 b;

	(void)state;
	assert_int_equal(strnum_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(strnum_long("101", 0, 100, &v), -ERANGE);
	assert_int_equal(strnum_long("4x", 0, 100, &v), -EINVAL);
	assert_int_equal(strnum_long(" 4", 0, 100, &v), -EINVAL);
	assert_int_equal(strnum_long("", 0, 100, &v), -EINVAL);
	assert_int_equal(strnum_long("99999999999999999999", 0, 100, &v),
	    -ERANGE);
	assert_int_equal(strnum_deci("16", 0, 800, &v), 0);
	assert_int_equal(v, 160);
	assert_int_equal(strnum_deci("16.5", 0, 800, &v), 0);
	assert_int_equal(v, 165);
	assert_int_equal(strnum_deci("16.50", 0, 800, &v), 0);
	assert_int_equal(v, 165);
	assert_int_equal(strnum_deci("-0.5", -10, 10, &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(strnum_deci(".5", 0, 10, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(strnum_deci("16.55", 0, 800, &v), -EINVAL);
	assert_int_equal(strnum_deci("1e3", 0, 800, &v), -EINVAL);
	assert_int_equal(strnum_deci(".", 0, 800, &v), -EINVAL);
	assert_int_equal(strnum_deci("-", 0, 800, &v), -EINVAL);
	assert_int_equal(strnum_deci("80.1", 0, 800, &v), -ERANGE);
	assert_int_equal(strnum_deci("99999999999999999999", 0, 800, &v),
	    -ERANGE);
	assert_int_equal(strnum_bool("Yes", &b), 0);
	assert_true(b);
	assert_int_equal(strnum_bool("off", &b), 0);
	assert_false(b);
	assert_int_equal(strnum_bool("maybe", &b), -EINVAL);
}

static void
test_defaults_are_valid(void **state)
{
	struct slave_config sc;
	char	 err[CFG_ERRLEN];

	(void)state;
	slave_config_defaults(&sc);
	assert_int_equal(sc.connectors, 2);
	assert_int_equal(sc.max_current, 320);
	assert_int_equal(sc.tick_ms, 10);
	assert_int_equal(sc.min_open_time, 10);
	assert_int_equal(sc.conn[1].phase, PHASE_L1L2L3);
	assert_int_equal(slave_config_check(&sc, err, sizeof(err)), 0);
}

static char *
write_ini(const char *text)
{
	static char path[64];
	int	 fd;

	strcpy(path, "/tmp/evg-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
test_ini_good(void **state)
{
	struct slave_config sc;
	char	 err[CFG_ERRLEN + 64];
	char	*path = write_ini(
	    "; a site's charger\n"
	    "[unit]\n"
	    "connectors = 2\n"
	    "max_current = 63\n"
	    "authorisation = remote\n"
	    "ventilation = yes\n"
	    "\n"
	    "[connector1]\n"
	    "phase = L2\n"
	    "max_current = 16.0\n"
	    "[connector2]\n"
	    "phase = L3L1L2\n");

	(void)state;
	slave_config_defaults(&sc);
	assert_int_equal(cfg_load_ini(slave_config_keys, &sc, path, err,
	    sizeof(err)), 0);
	unlink(path);
	assert_int_equal(sc.max_current, 630);
	assert_int_equal(sc.authorisation, AUTH_REMOTE);
	assert_true(sc.ventilation);
	assert_int_equal(sc.conn[0].phase, PHASE_L2);
	assert_int_equal(sc.conn[0].max_current, 160);
	assert_int_equal(sc.conn[1].phase, PHASE_L3L1L2);
	assert_int_equal(sc.conn[1].max_current, 320);
	assert_int_equal(slave_config_check(&sc, err, sizeof(err)), 0);
}

static void
expect_ini_error(const char *text, const char *want)
{
	struct slave_config sc;
	char	 err[CFG_ERRLEN + 64], *path = write_ini(text);

	slave_config_defaults(&sc);
	assert_int_not_equal(cfg_load_ini(slave_config_keys, &sc, path, err,
	    sizeof(err)), 0);
	unlink(path);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, want);
	assert_string_equal(strncmp(err, path, strlen(path)) == 0 ? "ok" : err,
	    "ok");
}

static void
test_ini_errors_name_line_and_key(void **state)
{
	(void)state;
	expect_ini_error("[unit]\nconnectors = 3\n",
	    ":2: unit.connectors: must be 1-2");
	expect_ini_error("[unit]\n\n; c\nmax_current = 5.9\n",
	    ":4: unit.max_current: must be 6.0-80.0 A");
	expect_ini_error("[unit]\ntick_ms = fast\n",
	    ":2: unit.tick_ms: 'fast' is not a number");
	expect_ini_error("[unit]\nwarp = 9\n", ":2: unit.warp: unknown setting");
	expect_ini_error("[connector3]\nphase = L1\n",
	    ":2: connector3.phase: at most 2 connector sections "
	    "(connector1-connector2)");
	expect_ini_error("[connector1]\nwarp = 9\n",
	    ":2: connector1.warp: unknown setting");
	expect_ini_error("[connector1]\nphase = L4\n",
	    ":2: connector1.phase: must be one of L1 L2 L3 L1L2L3");
	expect_ini_error("[unit]\nventilation = sometimes\n",
	    ":2: unit.ventilation: 'sometimes' is not yes or no");
	expect_ini_error("[unit]\nserial = 0123456789ABCDEFXX\n",
	    ":2: unit.serial: longer than 16 characters");
	/* link.masters: machines' addresses only (no master could write
	 * from these); a real one is taken (test_masters). */
	expect_ini_error("[link]\nmasters = 0.0.0.0\n",
	    ":2: link.masters: '0.0.0.0' is not one machine's address "
	    "(unspecified, 0.0.0.0/8)");
	expect_ini_error("[link]\nenabled = yes\nmasters = 192.168.10.1, "
	    "255.255.255.255\n", ":3: link.masters: '255.255.255.255' is not "
	    "one machine's address (broadcast)");
	expect_ini_error("[link]\nmasters = 224.0.0.1\n",
	    ":2: link.masters: '224.0.0.1' is not one machine's address "
	    "(multicast, 224.0.0.0/4)");
	expect_ini_error("[link]\nmasters = 192.168.10.300\n",
	    ":2: link.masters: '192.168.10.300' is not an IPv4 address");
	/* Truncated and corrupt files. */
	expect_ini_error("[unit\nconnectors = 1\n", ":1: syntax error");
	expect_ini_error("[unit]\nconnectors\n", ":2: syntax error");
	expect_ini_error("[unit]\nconnectors = 1\n\x01\x02garbage\n",
	    ":3: syntax error");
}

static void
test_missing_file(void **state)
{
	struct slave_config sc;
	char	 err[CFG_ERRLEN + 64];

	(void)state;
	slave_config_defaults(&sc);
	assert_int_not_equal(cfg_load_ini(slave_config_keys, &sc,
	    "/nonexistent/slave.ini", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "No such file"));
}

static void
test_set_arg(void **state)
{
	struct slave_config sc;
	char	 err[CFG_ERRLEN];

	(void)state;
	slave_config_defaults(&sc);
	assert_int_equal(cfg_set_arg(slave_config_keys, &sc,
	    "connector2.max_current=16", err, sizeof(err)), 0);
	assert_int_equal(sc.conn[1].max_current, 160);
	assert_int_not_equal(cfg_set_arg(slave_config_keys, &sc,
	    "unit.tick_ms=21", err, sizeof(err)), 0);
	assert_string_equal(err, "unit.tick_ms: must be 1-20 ms");
	assert_int_not_equal(cfg_set_arg(slave_config_keys, &sc, "tick_ms=5",
	    err, sizeof(err)), 0);
	assert_int_not_equal(cfg_set_arg(slave_config_keys, &sc,
	    "unit.tick_ms", err, sizeof(err)), 0);
	assert_int_equal(sc.tick_ms, 10);
	/* a string with a line feed would forge lines in the log and the
	 * exported INI: refused, nothing changed; plain non-ASCII is fine */
	assert_int_not_equal(cfg_set_arg(slave_config_keys, &sc,
	    "unit.serial=X\n[link]\nm=1", err, sizeof(err)),
	    0);
	assert_string_equal(err, "unit.serial: must be UTF-8 text without "
	    "control characters");
	assert_int_not_equal(cfg_set_arg(slave_config_keys, &sc,
	    "unit.serial=A\xc0\xae" "B", err, sizeof(err)), 0);
	assert_int_not_equal(cfg_set_arg(slave_config_keys, &sc,
	    "unit.serial=A\x1b[2J", err, sizeof(err)), 0);
	assert_string_equal(sc.serial, "SIM0000000000001");
	assert_int_equal(cfg_set_arg(slave_config_keys, &sc,
	    "unit.serial=Baie-\xc3\xa9" "-01", err, sizeof(err)), 0);
	assert_string_equal(sc.serial, "Baie-\xc3\xa9" "-01");
}

/* The list of who may write: one machine's addresses each (audit of
 * issue 17, F12), at most SLAVE_MAX_MASTERS. */
static void
test_masters(void **state)
{
	struct slave_config sc;
	char	 err[CFG_ERRLEN];
	uint32_t a[SLAVE_MAX_MASTERS];

	(void)state;
	slave_config_defaults(&sc);
	assert_int_equal(cfg_set_arg(slave_config_keys, &sc,
	    "link.masters=192.168.10.1, 10.0.0.2,127.0.0.1", err,
	    sizeof(err)), 0);
	assert_int_equal(slave_config_masters(sc.link.masters, a,
	    SLAVE_MAX_MASTERS), 3);
	assert_int_equal(a[0], htonl(0xc0a80a01));
	assert_int_equal(a[2], htonl(0x7f000001));
	assert_int_equal(slave_config_masters("", a, SLAVE_MAX_MASTERS), 0);
	/* the edges of each refused range, and what is just outside */
	static const char *const bad[] = { "0.0.0.0", "0.255.255.255",
	    "224.0.0.0", "239.255.255.255", "240.0.0.1", "255.255.255.255",
	    "1.2.3", "1.2.3.4.5",
	    ("1.2.3.1,1.2.3.2,1.2.3.3,1.2.3.4,1.2.3.5,1.2.3.6,1.2.3.7,1.2.3.8,"
	    "1.2.3.9") };
	static const char *const good[] = { "1.0.0.0", "223.255.255.254",
	    "192.168.10.255", ("1.2.3.4, 1.2.3.5, 1.2.3.6, 1.2.3.7, 1.2.3.8, "
	    "1.2.3.9, 1.2.3.10, 1.2.3.11") };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char	 set[160];

		snprintf(set, sizeof(set), "link.masters=%s", bad[i]);
		assert_int_not_equal(cfg_set_arg(slave_config_keys, &sc, set,
		    err, sizeof(err)), 0);
		assert_non_null(strstr(err, "link.masters: "));
		assert_int_equal(slave_config_masters(bad[i], a,
		    SLAVE_MAX_MASTERS), -1);
	}
	assert_string_equal(sc.link.masters,
	    "192.168.10.1, 10.0.0.2,127.0.0.1");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char	 set[160];

		snprintf(set, sizeof(set), "link.masters=%s", good[i]);
		assert_int_equal(cfg_set_arg(slave_config_keys, &sc, set, err,
		    sizeof(err)), 0);
	}
}

static void
test_cross_field_checks(void **state)
{
	struct slave_config sc;
	char	 err[CFG_ERRLEN];

	(void)state;
	slave_config_defaults(&sc);
	sc.max_current = 160;	/* connectors still say 32 A */
	assert_int_not_equal(slave_config_check(&sc, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "connector1.max_current"));
	slave_config_defaults(&sc);
	strcpy(sc.serial, "SHORT");
	assert_int_not_equal(slave_config_check(&sc, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "unit.serial"));
	/* A one-connector unit does not care about connector 2. */
	slave_config_defaults(&sc);
	sc.connectors = 1;
	sc.conn[1].max_current = 800;
	assert_int_equal(slave_config_check(&sc, err, sizeof(err)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strnum),
		cmocka_unit_test(test_defaults_are_valid),
		cmocka_unit_test(test_ini_good),
		cmocka_unit_test(test_ini_errors_name_line_and_key),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_set_arg),
		cmocka_unit_test(test_masters),
		cmocka_unit_test(test_cross_field_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
