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
 * The issue's site: 12 double chargers (24 connectors) on a 100 A fuse
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


/* finish() on a site of sets: its answer, err filled */
static int
finish_sets(const char *const *sets, char *err, size_t len)
{
	struct master_config *mc = site(sets);
	int	 rc = master_config_finish(mc, err, len);

	free(mc);
	return rc;
}

#define REFUSED(want, ...)	do {					\
	char	 e_[CFG_ERRLEN + 64];					\
									\
	assert_int_equal(finish_sets((const char *const[]){ __VA_ARGS__, \
	    NULL }, e_, sizeof(e_)), -1);				\
	if (strstr(e_, want) == NULL)					\
		fail_msg("wanted '%s', got '%s'", want, e_);		\
} while (0)
#define ACCEPTED(...)	do {						\
	char	 e_[CFG_ERRLEN + 64];					\
									\
	if (finish_sets((const char *const[]){ __VA_ARGS__, NULL }, e_,	\
	    sizeof(e_)) != 0)						\
		fail_msg("refused: %s", e_);				\
} while (0)

/*
 * Each circuit error of the contract (docs/installer-guide.md,
 * "Circuits"), each with the same site corrected.
 */
static void
test_circuit_refusals(void **state)
{
	(void)state;
	REFUSED("circuit1.name: must be set", "circuit1.limit=63");
	ACCEPTED("circuit1.limit=63", "circuit1.name=a");
	REFUSED("circuit1.limit: must be set", "circuit1.name=a");
	ACCEPTED("circuit1.name=a", "circuit1.limit=63");
	REFUSED("circuit1.name: 'supply': letters", "circuit1.name=supply",
	    "circuit1.limit=63");
	REFUSED("circuit1.name: 'row a': letters", "circuit1.name=row a",
	    "circuit1.limit=63");
	ACCEPTED("circuit1.name=Row_a.1-x", "circuit1.limit=63");
	REFUSED("circuit3.name: 'a' is used twice (also circuit1)",
	    "circuit1.name=a", "circuit1.limit=63", "circuit3.name=a",
	    "circuit3.limit=63");
	ACCEPTED("circuit1.name=a", "circuit1.limit=63", "circuit3.name=b",
	    "circuit3.limit=63");
	REFUSED("circuit2.parent: no circuit 'nope'", "circuit1.name=a",
	    "circuit1.limit=63", "circuit2.name=b", "circuit2.limit=32",
	    "circuit2.parent=nope");
	ACCEPTED("circuit1.name=a", "circuit1.limit=63", "circuit2.name=b",
	    "circuit2.limit=32", "circuit2.parent=a");
	/* under itself, directly */
	REFUSED("circuit1.parent: 'a' is under itself (a -> a)",
	    "circuit1.name=a", "circuit1.limit=63", "circuit1.parent=a");
	ACCEPTED("circuit1.name=a", "circuit1.limit=63",
	    "circuit1.parent=supply");
	/* a cycle of 3, and a circuit under the cycle */
	REFUSED("is under itself (a -> c -> b -> a)", "circuit1.name=a",
	    "circuit1.limit=63", "circuit1.parent=c", "circuit2.name=b",
	    "circuit2.limit=63", "circuit2.parent=a", "circuit3.name=c",
	    "circuit3.limit=63", "circuit3.parent=b", "circuit4.name=d",
	    "circuit4.limit=16", "circuit4.parent=c");
	ACCEPTED("circuit1.name=a", "circuit1.limit=63", "circuit1.parent=c",
	    "circuit2.name=b", "circuit2.limit=63", "circuit2.parent=a",
	    "circuit3.name=c", "circuit3.limit=63", "circuit3.parent=supply",
	    "circuit4.name=d", "circuit4.limit=16", "circuit4.parent=c");
	/* a child's limit above its parent's; the supply's is the fuse */
	REFUSED("circuit2.limit: 80.0 A is above circuit1.limit 63.0 A",
	    "circuit1.name=a", "circuit1.limit=63", "circuit2.name=b",
	    "circuit2.limit=80", "circuit2.parent=a");
	ACCEPTED("circuit1.name=a", "circuit1.limit=63", "circuit2.name=b",
	    "circuit2.limit=63", "circuit2.parent=a");
	REFUSED("circuit1.limit: 125.0 A is above site.site_limit 100.0 A",
	    "circuit1.name=a", "circuit1.limit=125");
	ACCEPTED("circuit1.name=a", "circuit1.limit=100");
	REFUSED("circuit1.margin: 63.0 A leaves nothing", "circuit1.name=a",
	    "circuit1.limit=63", "circuit1.margin=63");
	ACCEPTED("circuit1.name=a", "circuit1.limit=63", "circuit1.margin=62");
	REFUSED("circuit1.offline_limit: 10.0 A is above circuit1.limit "
	    "6.0 A", "circuit1.name=a", "circuit1.limit=6");
	ACCEPTED("circuit1.name=a", "circuit1.limit=6",
	    "circuit1.offline_limit=6");
	REFUSED("circuit1.meter_host: must be set for tcp", "circuit1.name=a",
	    "circuit1.limit=63", "circuit1.meter=sense");
	ACCEPTED("circuit1.name=a", "circuit1.limit=63", "circuit1.meter=sense",
	    "circuit1.meter_host=10.0.0.200");
	ACCEPTED("circuit1.name=a", "circuit1.limit=63", "circuit1.meter=sdm630",
	    "circuit1.meter_transport=rtu");
	/* a charger in a circuit that is not there */
	REFUSED("charger1.circuit: no circuit 'nope'", "charger1.host=10.0.0.1",
	    "charger1.circuit=nope", "circuit1.name=a", "circuit1.limit=63");
	ACCEPTED("charger1.host=10.0.0.1", "charger1.circuit=a",
	    "circuit1.name=a", "circuit1.limit=63");
	ACCEPTED("charger1.host=10.0.0.1", "charger1.circuit=supply");
	REFUSED("demand.window: must be 15, 30 or 60", "demand.window=20");
	ACCEPTED("demand.window=30", "demand.enabled=yes", "demand.unit=kva");
}

/* The cfg layer's own refusals of circuit keys, with their twins. */
/*
 * The fallback arithmetic per circuit: the chargers on a 20 A board fall
 * back together: 4 single-phase connectors on L1 at 6 A is 24 A, above
 * it; 3 (18 A) fit. With a meter of its own, its offline limit is the
 * figure (12 A: 18 A refused).
 */
static void
test_circuit_fallback(void **state)
{
	(void)state;
	REFUSED("on each of the 4 connectors on L1 of circuit 'row-a' is "
	    "24.0 A when the appliance stops",
	    "site.fallback_current=6", "site.group_limit=100",
	    "circuit1.name=row-a", "circuit1.limit=20",
	    "charger1.host=10.0.0.1", "charger1.phase1=L1",
	    "charger1.phase2=L1", "charger1.circuit=row-a",
	    "charger2.host=10.0.0.2", "charger2.phase1=L1",
	    "charger2.phase2=L1", "charger2.circuit=row-a");
	ACCEPTED("site.fallback_current=6", "site.group_limit=100",
	    "circuit1.name=row-a", "circuit1.limit=20",
	    "charger1.host=10.0.0.1", "charger1.phase1=L1",
	    "charger1.phase2=L1", "charger1.circuit=row-a",
	    "charger2.host=10.0.0.2", "charger2.connectors=1",
	    "charger2.phase1=L1", "charger2.circuit=row-a");
	REFUSED("above its offline limit 12.0 A",
	    "site.fallback_current=6", "site.group_limit=100",
	    "circuit1.name=row-a", "circuit1.limit=20",
	    "circuit1.meter=sdm630", "circuit1.meter_host=10.0.1.1",
	    "circuit1.offline_limit=12",
	    "charger1.host=10.0.0.1", "charger1.phase1=L1",
	    "charger1.phase2=L1", "charger1.circuit=row-a",
	    "charger2.host=10.0.0.2", "charger2.connectors=1",
	    "charger2.phase1=L1", "charger2.circuit=row-a");
}

static void
test_circuit_keys(void **state)
{
	struct master_config *mc = site((const char *const[]){ NULL });
	char	 err[CFG_ERRLEN];
	/* each refusal, then its twin */
	static const char *const pairs[][3] = {
		{ "circuit1.meter=generic", "circuit1.meter: must be one of "
		    "sense sdm630 sdm120 none", "circuit1.meter=sdm120" },
		{ "demand.unit=mw", "demand.unit: must be one of kw kva",
		    "demand.unit=kva" },
		{ "circuit64.name=x", "circuit64.name: at most 63 circuit "
		    "sections (circuit1-circuit63)", "circuit63.name=x" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		assert_int_not_equal(cfg_set_arg(master_config_keys, mc,
		    pairs[i][0], err, sizeof(err)), 0);
		assert_string_equal(err, pairs[i][1]);
		assert_int_equal(cfg_set_arg(master_config_keys, mc,
		    pairs[i][2], err, sizeof(err)), 0);
	}
	assert_int_equal(mc->demand.apparent, 1);
	free(mc);
}

/* 63 circuits in a chain of 63 levels: the most there can be, sorted. */
static void
test_circuit_63(void **state)
{
	struct master_config *mc = site((const char *const[]){ NULL });
	char	 err[CFG_ERRLEN + 64], sec[24], v[24];

	(void)state;
	for (int i = 0; i < MASTER_MAX_CIRCUITS; i++) {
		/* section i+1 is named c<i>, under c<i+1>: the file lists
		 * every child above its parent */
		snprintf(sec, sizeof(sec), "circuit%d", i + 1);
		snprintf(v, sizeof(v), "c%d", i);
		assert_int_equal(cfg_set(master_config_keys, mc, sec, "name", v,
		    err, sizeof(err)), 0);
		snprintf(v, sizeof(v), "c%d", i + 1);
		assert_int_equal(cfg_set(master_config_keys, mc, sec, "parent",
		    i + 1 < MASTER_MAX_CIRCUITS ? v : "supply", err,
		    sizeof(err)), 0);
		assert_int_equal(cfg_set(master_config_keys, mc, sec, "limit",
		    "63", err, sizeof(err)), 0);
	}
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), 0);
	assert_int_equal(mc->ncircuit, MASTER_MAX_CIRCUITS);
	for (int k = 0; k < MASTER_MAX_CIRCUITS; k++) {
		snprintf(v, sizeof(v), "c%d", MASTER_MAX_CIRCUITS - 1 - k);
		assert_string_equal(mc->circuit[k].name, v);
		assert_int_equal(mc->circuit[k].id, k + 1);
		assert_int_equal(mc->circuit[k].parent_id, k);
	}
	free(mc);
}

static const struct circuit_conf *
named(const struct master_config *mc, const char *name)
{
	for (int k = 0; k < mc->ncircuit; k++)
		if (strcmp(mc->circuit[k].name, name) == 0)
			return &mc->circuit[k];
	fail_msg("no circuit %s", name);
	return NULL;
}

/*
 * A 4-level tree written children first, with gaps in the numbering:
 * compacted, a parent always before its children, siblings in file
 * order; ids, parent ids and the chargers' circuit ids follow.
 */
static void
test_circuit_tree_sorted(void **state)
{
	struct master_config *mc = site((const char *const[]){
	    "circuit1.name=bay-4", "circuit1.parent=row-b2", "circuit1.limit=16",
	    "circuit3.name=row-b2", "circuit3.parent=row-b",
	    "circuit3.limit=32", "circuit4.name=row-a", "circuit4.limit=63",
	    "circuit6.name=row-b", "circuit6.parent=hall",
	    "circuit6.limit=63", "circuit9.name=hall", "circuit9.limit=80",
	    "circuit9.meter=sense", "circuit9.meter_host=10.0.0.200",
	    "circuit9.ct_rating=150",
	    "charger1.host=10.0.0.1", "charger1.circuit=bay-4",
	    "charger2.host=10.0.0.2", "charger3.host=10.0.0.3",
	    "charger3.circuit=row-a", NULL });
	char	 err[CFG_ERRLEN + 64];

	(void)state;
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), 0);
	assert_int_equal(mc->ncircuit, 5);
	/* row-a and hall are under the supply (file order), then hall's */
	assert_string_equal(mc->circuit[0].name, "row-a");
	assert_string_equal(mc->circuit[1].name, "hall");
	assert_string_equal(mc->circuit[2].name, "row-b");
	assert_string_equal(mc->circuit[3].name, "row-b2");
	assert_string_equal(mc->circuit[4].name, "bay-4");
	for (int k = 0; k < mc->ncircuit; k++) {
		const struct circuit_conf *c = &mc->circuit[k];

		assert_int_equal(c->id, k + 1);
		assert_true(c->parent_id < c->id);
		if (c->parent_id > 0)
			assert_string_equal(mc->circuit[c->parent_id - 1].name,
			    c->parent);
		else
			assert_string_equal(c->parent, "supply");
	}
	assert_int_equal(named(mc, "bay-4")->parent_id, named(mc,
	    "row-b2")->id);
	assert_int_equal(mc->charger[0].circuit_id, 5);
	assert_int_equal(mc->charger[1].circuit_id, 0);
	assert_int_equal(mc->charger[2].circuit_id, 1);
	/* the meter: on, every clamp at the one rating */
	assert_true(named(mc, "hall")->meter.enabled);
	assert_int_equal(named(mc, "hall")->meter.clamp[2].ct_rating, 1500);
	assert_false(named(mc, "row-a")->meter.enabled);
	/* the free slots are back at their defaults (an API add) */
	assert_int_equal(mc->circuit[5].offline_limit, 100);
	assert_int_equal(mc->circuit[5].meter.driver, METER_NONE_IDX);
	free(mc);
}

struct sets_out {
	char	 text[8192];
	size_t	 o;
};

static void
collect(void *arg, const char *section, const char *key, const char *value)
{
	struct sets_out *so = arg;

	so->o += (size_t)snprintf(so->text + so->o, sizeof(so->text) - so->o,
	    "%s.%s=%s\n", section, key, value);
	assert_true(so->o < sizeof(so->text));
}

static void
reload(void *arg, const char *section, const char *key, const char *value)
{
	char	 err[CFG_ERRLEN];

	if (cfg_set(master_config_keys, arg, section, key, value, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
}

/*
 * Every circuit key, the demand and the unbalanced-load limits survive
 * each() and a reload (--export-config, the database, the API's view);
 * each has the installer's words; errors say the circuit's name.
 */
static void
test_circuit_roundtrip(void **state)
{
	struct master_config *mc = site((const char *const[]){
	    "site.imbalance=20", "demand.enabled=yes", "demand.window=30",
	    "demand.target=55.5", "demand.unit=kva", "circuit2.name=b",
	    "circuit2.parent=a", "circuit2.limit=32", "circuit2.margin=1.5",
	    "circuit2.imbalance=16", "circuit2.offline_limit=8",
	    "circuit2.meter=sdm630", "circuit2.meter_transport=rtu",
	    "circuit2.meter_device=/dev/ttyUSB3", "circuit2.meter_baud=19200",
	    "circuit2.meter_parity=even", "circuit2.meter_unit_id=7",
	    "circuit2.meter_poll_period=700", "circuit2.meter_offline_after=5",
	    "circuit2.meter_chargers_included=no", "circuit2.ct_rating=80",
	    "circuit5.name=a", "circuit5.limit=63", "charger1.host=10.0.0.1",
	    "charger1.circuit=b", NULL });
	struct master_config *again = site((const char *const[]){ NULL });
	struct sets_out *one = calloc(1, sizeof(*one));
	struct sets_out *two = calloc(1, sizeof(*two));
	char	 err[CFG_ERRLEN + 64], out[300];

	(void)state;
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), 0);
	master_config_each(mc, collect, one);
	assert_non_null(strstr(one->text, "circuit1.name=a\n"));
	assert_non_null(strstr(one->text, "circuit2.meter_parity=even\n"));
	assert_non_null(strstr(one->text, "demand.unit=kva\n"));
	assert_non_null(strstr(one->text, "site.imbalance=20.0\n"));
	assert_non_null(strstr(one->text, "charger1.circuit=b\n"));
	master_config_each(mc, reload, again);
	assert_int_equal(master_config_finish(again, err, sizeof(err)), 0);
	master_config_each(again, collect, two);
	assert_string_equal(one->text, two->text);
	assert_int_equal(again->circuit[1].meter.baud, 19200);
	assert_false(again->circuit[1].meter.chargers_included);
	master_config_each(mc, has_label, NULL);
	master_config_words(mc, "circuit2.limit: 80.0 A is above "
	    "circuit1.limit 63.0 A", out, sizeof(out));
	assert_string_equal(out, "circuit 'b': limit: 80.0 A is above "
	    "circuit 'a': limit 63.0 A");
	master_config_words(mc, "circuit9.name: must be set; charger1.circuit",
	    out, sizeof(out));
	assert_string_equal(out, "new circuit: name: must be set; charger "
	    "'charger1': circuit");
	free(one);
	free(two);
	free(again);
	free(mc);
}

/*
 * What loosens a circuit asks for confirmation (like the main fuse): a
 * limit raised, a circuit removed, its offline limit raised, its margin
 * lowered, its unbalanced-load limit loosened; the demand target raised.
 * The twins: the same tightened raise nothing.
 */
static void
test_circuit_raises(void **state)
{
	struct master_config *old = site((const char *const[]){
	    "circuit1.name=a", "circuit1.limit=63", "circuit1.margin=2",
	    "circuit1.imbalance=16", "circuit2.name=b", "circuit2.limit=32",
	    "demand.enabled=yes", "demand.target=100", NULL });
	struct master_config *new = malloc(sizeof(*new));
	struct cfg_raise r[8];
	char	 err[CFG_ERRLEN + 64];

	(void)state;
	assert_int_equal(master_config_finish(old, err, sizeof(err)), 0);
	*new = *old;
	new->circuit[0].limit = 500;
	assert_int_equal(master_config_finish(new, err, sizeof(err)), 0);
	assert_int_equal(master_config_raises(old, new, r, 8), 0);
	new->circuit[0].limit = 700;
	new->circuit[0].offline_limit = 200;
	new->circuit[0].margin = 0;
	new->circuit[0].imbalance = 0;
	new->demand.target = 1200;
	memset(&new->circuit[1], 0, sizeof(new->circuit[1]));
	assert_int_equal(master_config_finish(new, err, sizeof(err)), 0);
	assert_int_equal(master_config_raises(old, new, r, 8), 6);
	for (int i = 0; i < 6; i++) {
		static const char *const want[] = { "demand.target",
		    "circuit1.limit", "circuit1.margin",
		    "circuit1.offline_limit", "circuit1.imbalance", "circuit2" };

		assert_string_equal(r[i].field, want[i]);
	}
	assert_string_equal(r[0].to, "120.0 kW");
	assert_string_equal(r[1].from, "63.0 A");
	assert_string_equal(r[1].to, "70.0 A");
	assert_non_null(strstr(r[1].consequence, "circuit 'a'"));
	assert_string_equal(r[5].to, "removed");
	assert_non_null(strstr(r[5].consequence, "circuit 'b'"));
	/* tighter again: nothing to confirm */
	assert_int_equal(master_config_raises(new, old, r, 8), 0);
	new->demand.enabled = false;
	assert_int_equal(master_config_raises(old, new, r, 1), 6);
	assert_string_equal(r[0].to, "off");
	/* a circuit renamed where it is: no removal */
	*new = *old;
	snprintf(new->circuit[1].name, sizeof(new->circuit[1].name), "c");
	assert_int_equal(master_config_finish(new, err, sizeof(err)), 0);
	assert_int_equal(master_config_raises(old, new, r, 8), 0);
	free(old);
	free(new);
}

/* [bms]: a writers' list or an address that is not one is refused with
 * its key; the twins (addresses and blocks, the default) are taken. */
/*
 * Two chargers with one MQTT name (bay-001 and Bay 001 are both bay_001)
 * refused while MQTT is on; the twins: names that differ on MQTT, and
 * the same two without MQTT.
 */
static void
test_mqtt_names_differ(void **state)
{
	(void)state;
	REFUSED("charger2.name: 'Bay 001' is bay_001 on MQTT, as charger "
	    "'bay-001' is: Home Assistant would take them for one",
	    "mqtt.enabled=yes", "mqtt.host=127.0.0.1",
	    "charger1.host=10.0.0.1", "charger1.name=bay-001",
	    "charger2.host=10.0.0.2", "charger2.name=Bay 001");
	REFUSED("charger3.name: 'BAY--001!' is bay_001 on MQTT, as charger "
	    "'bay-001' is", "mqtt.enabled=yes", "mqtt.host=127.0.0.1",
	    "charger1.host=10.0.0.1", "charger1.name=bay-001",
	    "charger2.host=10.0.0.2", "charger2.name=bay-002",
	    "charger3.host=10.0.0.3", "charger3.name=BAY--001!");
	ACCEPTED("mqtt.enabled=yes", "mqtt.host=127.0.0.1",
	    "charger1.host=10.0.0.1", "charger1.name=bay-001",
	    "charger2.host=10.0.0.2", "charger2.name=Bay 0011");
	ACCEPTED("charger1.host=10.0.0.1", "charger1.name=bay-001",
	    "charger2.host=10.0.0.2", "charger2.name=Bay 001");
	/* no letter or digit for its MQTT name: its topics would have
	 * none; the twins: a digit added, or MQTT off */
	REFUSED("charger1.name: '###' has no letter or digit (a-z, 0-9) for "
	    "its name on MQTT", "mqtt.enabled=yes", "mqtt.host=127.0.0.1",
	    "charger1.host=10.0.0.1", "charger1.name=###");
	REFUSED("charger1.name: '\xc3\x84' has no letter or digit",
	    "mqtt.enabled=yes", "mqtt.host=127.0.0.1",
	    "charger1.host=10.0.0.1", "charger1.name=\xc3\x84");
	ACCEPTED("mqtt.enabled=yes", "mqtt.host=127.0.0.1",
	    "charger1.host=10.0.0.1", "charger1.name=### 1");
	ACCEPTED("charger1.host=10.0.0.1", "charger1.name=###");
}

static void
test_bms_settings(void **state)
{
	static const struct { const char *set, *err; } bad[] = {
		{ "bms.writers=10.0.0.300", "bms.writers: '10.0.0.300'" },
		{ "bms.writers=10.0.0.0/40", "bms.writers" },
		{ "bms.listen=localhost", "bms.listen: 'localhost'" },
	};
	char	 err[CFG_ERRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct master_config *mc = site((const char *const[]){
		    "bms.enabled=yes", bad[i].set, NULL });

		assert_int_equal(master_config_finish(mc, err, sizeof(err)),
		    -1);
		assert_non_null(strstr(err, bad[i].err));
		free(mc);
	}
	struct master_config *mc = site((const char *const[]){
	    "bms.enabled=yes", "bms.listen=0.0.0.0",
	    "bms.writers=192.168.20.40, 192.168.21.0/24", NULL });

	assert_int_equal(master_config_finish(mc, err, sizeof(err)), 0);
	assert_int_equal(mc->bms.port, 1502);
	free(mc);
	mc = site((const char *const[]){ NULL });
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), 0);
	assert_false(mc->bms.enabled);
	assert_string_equal(mc->bms.listen, "127.0.0.1");
	assert_string_equal(mc->bms.writers, "");
	free(mc);
}

/*
 * [ocpp] and the chargers' OCPP keys: each refusal names the key and
 * why, and its twin is taken. A password is only ever said to be set.
 */
static void
test_ocpp_settings(void **state)
{
	static const struct { const char *set[4], *err; } bad[] = {
		{ { "ocpp.url=http://csms.example/ocpp", NULL },
		    "ocpp.url: 'http://csms.example/ocpp': must start with ws://" },
		{ { "ocpp.url=ws://", NULL }, "ocpp.url: 'ws://': no host" },
		{ { "ocpp.url=WS://csms.example/", NULL }, "must start with ws://" },
		{ { "ocpp.url=ws://csms.example:0/", NULL },
		    "ocpp.url: 'ws://csms.example:0/': the port must be 1-65535" },
		{ { "ocpp.url=ws://csms.example:80x/", NULL },
		    "the port must be 1-65535" },
		{ { "ocpp.url=ws://csms.example:/", NULL },
		    "the port must be 1-65535" },
		{ { "ocpp.url=wss://[::1]:9000/", NULL },
		    "wss:// needs a host name or an IPv4 address" },
		{ { "ocpp.url=ws://a b/ocpp", NULL }, "ocpp.url: no spaces" },
		{ { "ocpp.url=ws://cp:pw@csms.example/", NULL },
		    "ocpp.url: no user or password" },
		{ { "ocpp.url=ws://csms.example/ocpp?x=1", NULL },
		    "ocpp.url: 'ws://csms.example/ocpp?x=1': no ? or #" },
		{ { "ocpp.enabled=yes", NULL }, "ocpp.url: must be set" },
		{ { "ocpp.enabled=yes", "ocpp.url=ws://csms.example/ocpp",
		    "ocpp.security_profile=2", NULL },
		    "ocpp.url: security profile 2 is TLS" },
		{ { "ocpp.enabled=yes", "ocpp.url=ws://csms.example/ocpp",
		    "ocpp.security_profile=1", NULL },
		    "ocpp.password: security profile 1 needs a password" },
		{ { "ocpp.password=(set)", NULL }, "ocpp.password: '(set)'" },
		{ { "charger2.ocpp_identity=charger1", NULL },
		    "charger2.ocpp_identity: 'charger1' is also charger "
		    "'charger1''s" },
		{ { "site.authorisation=csms", NULL },
		    "site.authorisation: csms asks the CSMS" },
		{ { "site.authorisation=rfid+csms", NULL },
		    "site.authorisation: rfid+csms asks the CSMS" },
		{ { "ocpp.enabled=yes", "ocpp.url=ws://csms.example/ocpp",
		    "ocpp.vendor=", NULL }, "ocpp.vendor: must be set" },
	};
	static const char *const range[] = { "ocpp.security_profile=3",
	    "ocpp.heartbeat_interval=5", "ocpp.call_timeout=601",
	    "ocpp.ping_interval=-1", "charger1.ocpp_identity=cp\x01",
	    "ocpp.password=a\nb",
	    "charger1.ocpp_identity=0123456789012345678901234567890123456789"
	    "012345678", NULL };
	char	 err[CFG_ERRLEN];
	struct master_config *mc;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mc = site(bad[i].set);
		chargers(mc, 2, NULL);
		assert_int_equal(master_config_finish(mc, err, sizeof(err)),
		    -1);
		if (strstr(err, bad[i].err) == NULL)
			fail_msg("%s: got '%s'", bad[i].err, err);
		free(mc);
	}
	mc = site((const char *const[]){ NULL });
	for (int i = 0; range[i] != NULL; i++)
		assert_int_not_equal(cfg_set_arg(master_config_keys, mc,
		    range[i], err, sizeof(err)), 0);
	/* the defaults: OCPP off, each charger a charge point by its name */
	chargers(mc, 2, NULL);
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), 0);
	assert_false(mc->ocpp.enabled);
	assert_int_equal(mc->ocpp.heartbeat_interval, 300);
	assert_int_equal(mc->ocpp.call_timeout, 30);
	assert_string_equal(mc->ocpp.vendor, "evgroup");
	assert_true(mc->ocpp.local_authorize_offline);
	assert_false(mc->ocpp.allow_offline_tx_for_unknown_id);
	assert_true(mc->charger[1].ocpp);
	assert_string_equal(master_config_ocpp_identity(&mc->charger[1]),
	    "charger2");
	free(mc);
	/* the twins: profile 2 on wss:// with the site's password, one
	 * charger with its own identity and password, one opted out;
	 * csms and rfid+csms with OCPP on */
	mc = site((const char *const[]){ "ocpp.enabled=yes",
	    "ocpp.url=wss://csms.example:8443/ocpp/", "ocpp.security_profile=2",
	    "ocpp.password=0123456789abcdef", "site.authorisation=rfid+csms",
	    "charger1.ocpp_identity=CP 01/a", "charger1.ocpp_password=own-one",
	    "charger2.ocpp_identity=charger3", "charger3.ocpp=no", NULL });
	chargers(mc, 3, NULL);
	assert_int_equal(cfg_set_arg(master_config_keys, mc,
	    "charger3.ocpp_identity=CP-03", err, sizeof(err)), 0);
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), 0);
	assert_int_equal(mc->site.authorisation, SITE_AUTH_RFID_CSMS);
	assert_string_equal(master_config_auth_name(mc->site.authorisation),
	    "rfid+csms");
	assert_string_equal(master_config_ocpp_identity(&mc->charger[0]),
	    "CP 01/a");
	assert_string_equal(master_config_ocpp_password(mc, &mc->charger[0]),
	    "own-one");
	assert_string_equal(master_config_ocpp_password(mc, &mc->charger[1]),
	    "0123456789abcdef");
	assert_false(mc->charger[2].ocpp);
	free(mc);
	/* profile 1 with every charger's own password, on ws://; csms */
	mc = site((const char *const[]){ "ocpp.enabled=yes",
	    "ocpp.url=ws://[::1]:9000", "ocpp.security_profile=1",
	    "charger1.ocpp_password=p1", "charger2.ocpp_password=p2",
	    "site.authorisation=csms", NULL });
	chargers(mc, 2, NULL);
	assert_int_equal(master_config_finish(mc, err, sizeof(err)), 0);
	/* secrets: said to be set, never shown */
	assert_true(master_config_secret("ocpp", "password"));
	assert_true(master_config_secret("charger2", "ocpp_password"));
	assert_true(master_config_secret("charger", "ocpp_password"));
	assert_false(master_config_secret("ocpp", "url"));
	assert_false(master_config_secret("charger2", "ocpp_identity"));
	assert_string_equal(master_config_shown("charger1", "ocpp_password",
	    "p1", err, sizeof(err)), "(set)");
	assert_string_equal(master_config_shown("ocpp", "password", "",
	    err, sizeof(err)), "");
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
		cmocka_unit_test(test_circuit_refusals),
		cmocka_unit_test(test_circuit_fallback),
		cmocka_unit_test(test_circuit_keys),
		cmocka_unit_test(test_circuit_63),
		cmocka_unit_test(test_circuit_tree_sorted),
		cmocka_unit_test(test_circuit_roundtrip),
		cmocka_unit_test(test_circuit_raises),
		cmocka_unit_test(test_mqtt_names_differ),
		cmocka_unit_test(test_bms_settings),
		cmocka_unit_test(test_ocpp_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
