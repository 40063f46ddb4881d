/*
 * test_mconf.c: the appliance's configuration checks, linked alone
 * (master_config.c): the fallback arithmetic (every connector on its
 * fallback current when the appliance stops, per phase, against what the
 * supply can take) and the list of changes that raise a limit, which the
 * API makes only when confirmed. Each refusal has its accepted twin.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "master_config.h"

static struct master_config *
site(const char *const *sets)
{
	struct master_config *mc = calloc(1, sizeof(*mc));
	char	 err[CFG_ERRLEN];

	assert_non_null(mc);
	master_config_defaults(mc);
	for (; *sets != NULL; sets++)
		if (cfg_set_arg(master_config_keys, mc, *sets, err,
		    sizeof(err)) != 0)
			fail_msg("%s: %s", *sets, err);
	return mc;
}

/* n two-connector chargers, three-phase unless wiring says otherwise */
static void
chargers(struct master_config *mc, int n, const char *wiring)
{
	char	 err[CFG_ERRLEN], sec[24], host[32];

	for (int i = 0; i < n; i++) {
		snprintf(sec, sizeof(sec), "charger%d", i + 1);
		snprintf(host, sizeof(host), "10.0.0.%d", i + 1);
		assert_int_equal(cfg_set(master_config_keys, mc, sec, "host",
		    host, err, sizeof(err)), 0);
		if (wiring != NULL) {
			char	 w[4] = { 'L', (char)('1' + i % 3), 0 };

			assert_int_equal(cfg_set(master_config_keys, mc, sec,
			    "phase1", w, err, sizeof(err)), 0);
			assert_int_equal(cfg_set(master_config_keys, mc, sec,
			    "phase2", w, err, sizeof(err)), 0);
		}
	}
}

/*
 * The site: 12 double chargers (24 connectors) on a 100 A fuse
 * without a meter, the chargers' share 100 A: a fallback of 32 A is
 * 768 A per phase the moment the appliance dies. Refused, naming the
 * figures and what would be safe; 4 A each is the most (100 / 24), under
 * the 6 A a car needs, so only 0 A (pause) is.
 */
static void
test_fallback_overload_refused(void **state)
{
	struct master_config *mc = site((const char *const[]){
	    "site.site_limit=100", "site.group_limit=100",
	    "site.fallback_current=32", NULL });
	char	 err[CFG_ERRLEN + 64];

	(void)state;
	chargers(mc, 12, NULL);
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "site.fallback_current: 32.0 A on each of "
	    "the 24 connectors on L1 is 768.0 A"));
	assert_non_null(strstr(err, "above site.group_limit 100.0 A on a "
	    "100.0 A fuse"));
	assert_non_null(strstr(err, "only 0 A (pause) is safe here"));
	free(mc);
}

/* Twin: 0 A (pause) on the same site is always safe. */
static void
test_fallback_zero_accepted(void **state)
{
	struct master_config *mc = site((const char *const[]){
	    "site.site_limit=100", "site.group_limit=100",
	    "site.fallback_current=0", NULL });
	char	 err[CFG_ERRLEN + 64] = "";

	(void)state;
	chargers(mc, 12, NULL);
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), 0);
	free(mc);
}

/*
 * Phase wiring counts: 12 double single-phase chargers alternating L1,
 * L2, L3 put 8 connectors on each phase. 12 A x 8 = 96 A fits under
 * 100 A; the same on three-phase chargers (24 on every phase) does not,
 * and 13 A x 8 = 104 A does not either, with "at most 12.5 A each".
 */
static void
test_fallback_by_phase(void **state)
{
	struct master_config *mc;
	char	 err[CFG_ERRLEN + 64] = "";

	(void)state;
	mc = site((const char *const[]){ "site.group_limit=100",
	    "site.fallback_current=12", NULL });
	chargers(mc, 12, "single");
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), 0);
	free(mc);
	mc = site((const char *const[]){ "site.group_limit=100",
	    "site.fallback_current=12", NULL });
	chargers(mc, 12, NULL);
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "24 connectors on L1 is 288.0 A"));
	free(mc);
	mc = site((const char *const[]){ "site.group_limit=100",
	    "site.fallback_current=13", NULL });
	chargers(mc, 12, "single");
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "8 connectors on L1 is 104.0 A"));
	assert_non_null(strstr(err, "at most 12.5 A each"));
	free(mc);
}

/*
 * With a meter, nobody reads it once the appliance is down: the
 * meter-offline limit (safe with the building at its worst) is the
 * figure. 2 double three-phase chargers at 6 A: 24 A, above an offline
 * limit of 20 A although under the group limit of 100 A (6 A is the
 * lowest fallback but 0); the twin raises the offline limit to 24 A.
 */
static void
test_fallback_metered_uses_offline_limit(void **state)
{
	struct master_config *mc;
	char	 err[CFG_ERRLEN + 64] = "";

	(void)state;
	mc = site((const char *const[]){ "site.group_limit=100",
	    "site.mode=dynamic", "meter.enabled=yes", "meter.host=10.0.0.99",
	    "site.meter_offline_limit=20", "site.fallback_current=6", NULL });
	chargers(mc, 2, NULL);
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "24.0 A when the appliance stops"));
	assert_non_null(strstr(err, "above site.meter_offline_limit 20.0 A"));
	free(mc);
	mc = site((const char *const[]){ "site.group_limit=100",
	    "site.mode=dynamic", "meter.enabled=yes", "meter.host=10.0.0.99",
	    "site.meter_offline_limit=24", "site.fallback_current=6", NULL });
	chargers(mc, 2, NULL);
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), 0);
	free(mc);
}

/*
 * Raises: the fuse 100 -> 2000 A, the group limit, the meter-offline
 * limit, a connector's maximum, the fallback current, a smaller margin;
 * each with its figures. Lowering any of them is no raise.
 */
static void
test_raises(void **state)
{
	struct master_config *a, *b;
	struct cfg_raise r[8];
	char	 err[CFG_ERRLEN + 64];
	int	 n;

	(void)state;
	a = site((const char *const[]){ "site.site_limit=100",
	    "site.group_limit=32", "charger1.host=10.0.0.1", NULL });
	assert_int_equal(master_config_finish(a, err, sizeof(err)), 0);
	b = site((const char *const[]){ "site.site_limit=2000",
	    "site.group_limit=32", "charger1.host=10.0.0.1", NULL });
	assert_int_equal(master_config_finish(b, err, sizeof(err)), 0);
	n = master_config_raises(a, b, r, 8);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].field, "site.site_limit");
	assert_string_equal(r[0].from, "100.0 A");
	assert_string_equal(r[0].to, "2000.0 A");
	assert_non_null(strstr(r[0].consequence, "up to 1998.0 A per phase"));
	/* the twin: back down is no raise */
	assert_int_equal(master_config_raises(b, a, r, 8), 0);
	free(b);
	b = site((const char *const[]){ "site.site_limit=100",
	    "site.group_limit=40", "site.margin=1", "site.deadband=0.5",
	    "site.meter_offline_limit=12", "site.fallback_current=6",
	    "charger1.host=10.0.0.1", "charger1.max_current2=40", NULL });
	assert_int_equal(master_config_finish(b, err, sizeof(err)), 0);
	n = master_config_raises(a, b, r, 8);
	assert_int_equal(n, 5);
	assert_string_equal(r[0].field, "site.margin");
	assert_string_equal(r[1].field, "site.group_limit");
	assert_non_null(strstr(r[1].consequence, "up to 40.0 A per phase "
	    "together, whatever the building draws"));
	assert_string_equal(r[2].field, "site.meter_offline_limit");
	assert_string_equal(r[3].field, "site.fallback_current");
	assert_string_equal(r[3].from, "0.0 A");
	assert_non_null(strstr(r[3].consequence, "12.0 A on L1 (2 "
	    "connectors)"));
	assert_string_equal(r[4].field, "charger1.max_current2");
	assert_non_null(strstr(r[4].consequence, "charger1 connector 2 may be "
	    "offered up to 40.0 A"));
	assert_int_equal(master_config_raises(b, a, r, 8), 0);
	/* more than fit: counted, max filled */
	assert_int_equal(master_config_raises(a, b, r, 2), 5);
	free(a);
	free(b);
}

/*
 * Errors in the installer's words (issue 18, item 6): a cross-field
 * error names both settings by what the forms call them, the charger by
 * its name once; a duplicate address names the address. The twin: text
 * that is no setting ("site.warp", "web.hostnames and more", a file
 * name) is left as it is, and a valid site has no error to say.
 */
static void
has_label(void *arg, const char *section, const char *key, const char *value)
{
	char	 sec[32];

	(void)arg;
	(void)value;
	/* "charger3" and "clamp2" are the table's "charger" and "clamp" */
	snprintf(sec, sizeof(sec), "%.*s", (int)strcspn(section, "0123456789"),
	    section);
	if (master_config_label(sec, key) == NULL)
		fail_msg("%s.%s has no words for the installer", section, key);
}

static void
test_words(void **state)
{
	struct master_config *mc;
	char	 err[CFG_ERRLEN + 64], out[400];

	(void)state;
	mc = site((const char *const[]){ "charger1.host=10.0.0.1",
	    "charger1.name=bay 13", "charger1.min_current1=30",
	    "charger1.max_current1=20", NULL });
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), -1);
	assert_string_equal(err, "charger1.min_current1: must be 6.0 A up to "
	    "charger1.max_current1");
	master_config_words(mc, err, out, sizeof(out));
	assert_string_equal(out, "charger 'bay 13': connector 1: minimum "
	    "current: must be 6.0 A up to connector 1: maximum current");
	free(mc);
	mc = site((const char *const[]){ "charger1.host=10.0.0.1",
	    "charger1.name=bay-001", "charger2.host=10.0.0.1",
	    "charger2.name=bay-002", NULL });
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "charger2.host: 10.0.0.1:502 is also "
	    "charger 'bay-001'"));
	free(mc);
	mc = site((const char *const[]){ "site.site_limit=100",
	    "site.group_limit=150", NULL });
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), -1);
	master_config_words(mc, err, out, sizeof(out));
	assert_string_equal(out, "group limit: 150.0 A is above main fuse "
	    "100.0 A: lower the group limit or correct the fuse");
	master_config_words(mc, "clamp2.ct_rating: must be 1.0-5000.0 A; "
	    "charger7.name: no such charger", out, sizeof(out));
	assert_string_equal(out, "clamp L2: clamp rating: must be "
	    "1.0-5000.0 A; new charger: name: no such charger");
	/* the twin: what is no setting stays */
	master_config_words(mc, "site.warp: unknown setting; web.hostnames "
	    "and more; /var/lib/evgroup.db; xsite.name; site.name_x",
	    out, sizeof(out));
	assert_string_equal(out, "site.warp: unknown setting; host names and "
	    "more; /var/lib/evgroup.db; xsite.name; site.name_x");
	/* cut to fit, terminated */
	master_config_words(mc, "site.group_limit: too high", out, 8);
	assert_string_equal(out, "group l");
	assert_string_equal(master_config_label("charger", "max_current2"),
	    "connector 2: maximum current");
	assert_null(master_config_label("charger3", "max_current2"));
	/* every setting there is has its words */
	master_config_each(mc, has_label, NULL);
	free(mc);
	mc = site((const char *const[]){ "charger1.host=10.0.0.1", NULL });
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), 0);
	free(mc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fallback_overload_refused),
		cmocka_unit_test(test_fallback_zero_accepted),
		cmocka_unit_test(test_fallback_by_phase),
		cmocka_unit_test(test_fallback_metered_uses_offline_limit),
		cmocka_unit_test(test_raises),
		cmocka_unit_test(test_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
