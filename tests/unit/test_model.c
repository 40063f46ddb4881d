/*
 * test_model.c: the simulated site's load, PV and cars: the same seed
 * gives the same day; the shapes have their day; a week brings the cars
 * asked for, in the fleet mix asked for; CSV files and site files are
 * read, and refused with the line at fault; a site file's circuits are
 * checked (each refusal next to its accepted twin) and sorted, and each
 * circuit's real current is its own, its chargers' and its children's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model.h"
#include "site_file.h"

static struct model_cfg
office(void)
{
	return (struct model_cfg){ .load = LOAD_OFFICE, .load_peak = 500,
	    .steps_per_hour = 6, .step_max = 150, .pv = PV_CLEAR,
	    .pv_kwp = 300, .arrivals = 40, .mix_1p16 = 10, .mix_1p32 = 20,
	    .mix_3p16 = 50, .mix_3p32 = 20, .full_early = 15, .seed = 42 };
}

static void
test_same_seed_same_day(void **state)
{
	struct model_cfg cfg = office();
	struct model a, b;
	char	 err[100];

	(void)state;
	cfg.pv = PV_CLOUDY;
	assert_int_equal(model_init(&a, &cfg, err, sizeof(err)), 0);
	assert_int_equal(model_init(&b, &cfg, err, sizeof(err)), 0);
	for (int64_t t = 0; t < 2 * MODEL_DAY_S; t += 60) {
		int32_t	 x[3], y[3];
		struct model_car ca, cb;

		model_base_da(&a, t, x);
		model_base_da(&b, t, y);
		assert_memory_equal(x, y, sizeof(x));
		model_pv_da(&a, t, x);
		model_pv_da(&b, t, y);
		assert_memory_equal(x, y, sizeof(x));
		assert_int_equal(model_arrivals(&a, t, 60),
		    model_arrivals(&b, t, 60));
		model_car(&a, t, &ca);
		model_car(&b, t, &cb);
		assert_memory_equal(&ca, &cb, sizeof(ca));
	}
	model_free(&a);
	model_free(&b);
}

static void
test_shapes(void **state)
{
	struct model_cfg cfg = office();
	struct model m;
	int32_t	 night[3], noon[3], sat[3], pv_night[3], pv_noon[3], cloudy[3];
	char	 err[100];

	(void)state;
	cfg.steps_per_hour = 0;
	assert_int_equal(model_init(&m, &cfg, err, sizeof(err)), 0);
	model_base_da(&m, 3 * 3600, night);		/* Monday 03:00 */
	model_base_da(&m, 10 * 3600, noon);		/* Monday 10:00 */
	model_base_da(&m, 5 * MODEL_DAY_S + 11 * 3600, sat);
	assert_true(noon[0] > 3 * night[0]);
	assert_true(sat[0] < noon[0] / 3);
	assert_int_equal(noon[0], 500);			/* the peak */
	assert_true(noon[1] < noon[0]);			/* unbalanced */
	model_pv_da(&m, 2 * 3600, pv_night);
	model_pv_da(&m, 13 * 3600, pv_noon);
	assert_int_equal(pv_night[0], 0);
	/* 30 kWp at 80 % into three phases at 230 V: about 34.8 A */
	assert_in_range(pv_noon[0], 330, 350);
	model_free(&m);
	cfg.pv = PV_CLOUDY;
	assert_int_equal(model_init(&m, &cfg, err, sizeof(err)), 0);
	model_pv_da(&m, 13 * 3600, cloudy);
	assert_true(cloudy[0] < pv_noon[0]);
	model_free(&m);
}

static void
test_a_week_of_cars(void **state)
{
	struct model_cfg cfg = office();
	struct model m;
	char	 err[100];
	long	 cars = 0, mix[4] = { 0 }, early = 0;
	double	 dwell = 0;

	(void)state;
	assert_int_equal(model_init(&m, &cfg, err, sizeof(err)), 0);
	for (int64_t t = 10; t <= 7 * MODEL_DAY_S; t += 10)
		cars += model_arrivals(&m, t, 10);
	/* 5 weekdays of 40 and 2 weekend days at a tenth */
	assert_in_range(cars, 176, 240);
	for (int i = 0; i < 20000; i++) {
		struct model_car c;

		model_car(&m, 0, &c);
		mix[(c.phases == 3) * 2 + (c.max_da == 320)]++;
		early += c.full_early;
		dwell += (double)c.leave_s / 60;
		assert_in_range(c.lag_ms, 1000, 5000);
		assert_true(c.target_pct > c.soc_pct);
	}
	assert_in_range(mix[0], 1700, 2300);	/* single 16: 10 % */
	assert_in_range(mix[1], 3600, 4400);	/* single 32: 20 % */
	assert_in_range(mix[2], 9400, 10600);	/* three 16: 50 % */
	assert_in_range(mix[3], 3600, 4400);	/* three 32: 20 % */
	assert_in_range(early, 2600, 3400);
	assert_in_range((long)(dwell / 20000), 440, 520);	/* ~8 h */
	model_free(&m);
}

static void
test_csv_and_site_files(void **state)
{
	char	 dir[] = "/tmp/evg-model-XXXXXX", path[64], err[200];
	struct model_cfg cfg = office();
	struct model m;
	struct site_file sf;
	int32_t	 a[3];
	FILE	*fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/load.csv", dir);
	fp = fopen(path, "w");
	fprintf(fp, "minute,l1,l2,l3\n0,10,20,30\n1,11.5,21,31\n");
	fclose(fp);
	cfg.load = LOAD_CSV;
	cfg.steps_per_hour = 0;
	snprintf(cfg.load_csv, sizeof(cfg.load_csv), "%s", path);
	assert_int_equal(model_init(&m, &cfg, err, sizeof(err)), 0);
	model_base_da(&m, 60, a);
	assert_int_equal(a[0], 115);
	model_base_da(&m, 120, a);	/* the file repeats */
	assert_int_equal(a[2], 300);
	model_free(&m);
	fp = fopen(path, "w");
	fprintf(fp, "0,10,20,30\n1,ten,20,30\n");
	fclose(fp);
	assert_int_equal(model_init(&m, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "load.csv:2:"));
	/* site files */
	snprintf(path, sizeof(path), "%s/site.ini", dir);
	fp = fopen(path, "w");
	fprintf(fp, "[site]\nchargers = 4\nstart = sat 09:15\n[cars]\n"
	    "single_16 = 0\nsingle_32 = 0\nthree_16 = 100\nthree_32 = 0\n");
	fclose(fp);
	assert_int_equal(site_file_load(&sf, path, NULL, 0, err, sizeof(err)),
	    0);
	assert_int_equal(sf.chargers, 4);
	assert_int_equal(sf.start_s, 5 * 86400 + 9 * 3600 + 15 * 60);
	fp = fopen(path, "w");
	fprintf(fp, "[cars]\nthree_16 = 90\n");
	fclose(fp);
	assert_int_equal(site_file_load(&sf, path, NULL, 0, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "100"));
	fp = fopen(path, "w");
	fprintf(fp, "[site]\nstart = someday\n");
	fclose(fp);
	assert_int_equal(site_file_load(&sf, path, NULL, 0, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "site.start"));
	fp = fopen(path, "w");
	fprintf(fp, "[site]\nsupply = 3\n");
	fclose(fp);
	assert_int_equal(site_file_load(&sf, path, NULL, 0, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "site.supply"));
	unlink(path);
	snprintf(path, sizeof(path), "%s/load.csv", dir);
	unlink(path);
	rmdir(dir);
}

/* A site file from --set lines alone (the defaults under them): 0 or -1,
 * the error in err. */
static int
site_sets(struct site_file *sf, char *err, size_t errlen, ...)
{
	char	*sets[32];
	int	 n = 0;
	va_list	 ap;

	va_start(ap, errlen);
	while (n < 32 && (sets[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	err[0] = '\0';
	return site_file_load(sf, NULL, sets, n, err, errlen);
}

/* A refusal: -1 and the words expected in its message. */
#define REFUSED(why, ...) do {						\
	assert_int_equal(site_sets(sf, err, sizeof(err), "site.chargers=6", \
	    __VA_ARGS__, (char *)NULL), -1);				\
	if (strstr(err, why) == NULL)					\
		fail_msg("expected '%s' in: %s", why, err);		\
} while (0)
#define ACCEPTED(...) do {						\
	if (site_sets(sf, err, sizeof(err), "site.chargers=6", __VA_ARGS__, \
	    (char *)NULL) != 0)						\
		fail_msg("refused: %s", err);				\
} while (0)

static void
test_site_circuits(void **state)
{
	static struct site_file site;
	struct site_file *sf = &site;
	char	 err[CFG_ERRLEN + 64];

	(void)state;
	/* none: every charger under the supply */
	ACCEPTED("site.name=x");
	assert_int_equal(sf->ncircuits, 0);
	assert_int_equal(sf->charger_circuit[0], 0);
	assert_int_equal(sf->imbalance, 0);
	assert_int_equal(sf->demand_target, 0);
	/* a child written before its parent comes after it; a charger in
	 * no circuit stays under the supply */
	ACCEPTED("circuit1.name=row-b", "circuit1.parent=row-a",
	    "circuit1.fuse=32", "circuit1.chargers=4, 5",
	    "circuit3.name=row-a", "circuit3.fuse=63", "circuit3.chargers=1-3",
	    "circuit3.meter=yes", "circuit3.load_peak=10",
	    "site.imbalance=20", "demand.window=30", "demand.target=100",
	    "demand.unit=kva");
	assert_int_equal(sf->ncircuits, 2);
	assert_string_equal(sf->circuit[0].name, "row-a");
	assert_int_equal(sf->circuit[0].parent, 0);
	assert_int_equal(sf->circuit[0].fuse_da, 630);
	assert_true(sf->circuit[0].meter);
	assert_int_equal(sf->circuit[0].load_peak_da, 100);
	assert_int_equal(sf->circuit[0].section, 3);
	assert_string_equal(sf->circuit[1].name, "row-b");
	assert_int_equal(sf->circuit[1].parent, 1);
	assert_false(sf->circuit[1].meter);
	{
		static const uint8_t want[6] = { 1, 1, 1, 2, 2, 0 };

		assert_memory_equal(sf->charger_circuit, want, sizeof(want));
	}
	assert_int_equal(sf->imbalance, 200);
	assert_int_equal(sf->demand_window, 30);
	assert_int_equal(sf->demand_target, 1000);
	assert_int_equal(sf->demand_unit, 1);

	/* a name: required, its own, in the allowed letters */
	REFUSED("circuit2.name: required", "circuit2.fuse=63");
	ACCEPTED("circuit2.fuse=63", "circuit2.name=a");
	REFUSED("circuit2.name: 'a': already the name of [circuit1]",
	    "circuit1.name=a", "circuit1.fuse=63", "circuit2.name=a",
	    "circuit2.fuse=63");
	ACCEPTED("circuit1.name=a", "circuit1.fuse=63", "circuit2.name=b",
	    "circuit2.fuse=63");
	REFUSED("circuit1.name: 'row a'", "circuit1.name=row a",
	    "circuit1.fuse=63");
	REFUSED("circuit1.name: 'supply'", "circuit1.name=supply",
	    "circuit1.fuse=63");
	ACCEPTED("circuit1.name=Row_A.1", "circuit1.fuse=63");
	/* a fuse: required, and within its parent's */
	REFUSED("circuit1.fuse: required", "circuit1.name=a");
	REFUSED("circuit1.fuse: 125.0 A is above its parent's 100.0 A",
	    "circuit1.name=a", "circuit1.fuse=125");
	ACCEPTED("circuit1.name=a", "circuit1.fuse=100");
	REFUSED("circuit2.fuse: 80.0 A is above its parent's 63.0 A",
	    "circuit1.name=a", "circuit1.fuse=63", "circuit2.name=b",
	    "circuit2.parent=a", "circuit2.fuse=80");
	ACCEPTED("circuit1.name=a", "circuit1.fuse=63", "circuit2.name=b",
	    "circuit2.parent=a", "circuit2.fuse=63");
	/* a parent that exists, and no loop */
	REFUSED("circuit2.parent: 'c': no circuit", "circuit1.name=a",
	    "circuit1.fuse=63", "circuit2.name=b", "circuit2.parent=c",
	    "circuit2.fuse=32");
	REFUSED("a loop", "circuit1.name=a", "circuit1.parent=b",
	    "circuit1.fuse=63", "circuit2.name=b", "circuit2.parent=a",
	    "circuit2.fuse=63");
	REFUSED("a loop", "circuit1.name=a", "circuit1.parent=a",
	    "circuit1.fuse=63");
	ACCEPTED("circuit1.name=a", "circuit1.parent=b", "circuit1.fuse=63",
	    "circuit2.name=b", "circuit2.parent=c", "circuit2.fuse=63",
	    "circuit3.name=c", "circuit3.fuse=63");
	assert_string_equal(sf->circuit[0].name, "c");
	assert_string_equal(sf->circuit[2].name, "a");
	assert_int_equal(sf->circuit[2].parent, 2);
	/* chargers: numbers of the site's, each in one circuit */
	REFUSED("circuit1.chargers: 5-7: the site has chargers 1-6",
	    "circuit1.name=a", "circuit1.fuse=63", "circuit1.chargers=5-7");
	REFUSED("circuit1.chargers: '1-x'", "circuit1.name=a",
	    "circuit1.fuse=63", "circuit1.chargers=1-x");
	REFUSED("circuit2.chargers: charger 3 is already in circuit 'a'",
	    "circuit1.name=a", "circuit1.fuse=63", "circuit1.chargers=1-3",
	    "circuit2.name=b", "circuit2.fuse=63", "circuit2.chargers=3,4");
	ACCEPTED("circuit1.name=a", "circuit1.fuse=63", "circuit1.chargers=1-3",
	    "circuit2.name=b", "circuit2.fuse=63", "circuit2.chargers=4,6");
	assert_int_equal(sf->charger_circuit[5], 2);
	assert_int_equal(sf->charger_circuit[4], 0);
	/* the boards' own loads are part of the building's */
	REFUSED("more than the building's [load] peak", "load.peak=30",
	    "circuit1.name=a", "circuit1.fuse=63", "circuit1.load_peak=20",
	    "circuit2.name=b", "circuit2.fuse=63", "circuit2.load_peak=11");
	ACCEPTED("load.peak=30", "circuit1.name=a", "circuit1.fuse=63",
	    "circuit1.load_peak=20", "circuit2.name=b", "circuit2.fuse=63",
	    "circuit2.load_peak=10");
	/* demand windows of 15, 30 or 60 minutes */
	REFUSED("demand.window: 20", "demand.window=20");
	ACCEPTED("demand.window=60");
	REFUSED("circuit1.meter", "circuit1.meter=maybe");
	REFUSED("demand.target: 0 (none) or 1.0 kW", "demand.target=0.5");
	ACCEPTED("demand.target=1");
}

/* Each circuit carries its own load, its chargers' and its children's;
 * a board's own load is its share of the building's. */
static void
test_circuit_currents(void **state)
{
	/* 1 under the supply, 2 under 1, 3 under 2, 4 under the supply */
	static const struct model_circuit c[4] = {
		{ .name = "a", .parent = 0, .fuse_da = 1000 },
		{ .name = "b", .parent = 1, .fuse_da = 630 },
		{ .name = "c", .parent = 2, .fuse_da = 320 },
		{ .name = "d", .parent = 0, .fuse_da = 630 },
	};
	const int32_t own[4][EVG_PHASES] = { { 10, 20, 30 }, { 0, 0, 0 },
	    { 5, 0, 0 }, { 100, 100, 100 } };
	const int32_t direct[4][EVG_PHASES] = { { 0, 0, 0 }, { 160, 0, 0 },
	    { 0, 320, 0 }, { 0, 0, 160 } };
	int32_t	 cur[4][EVG_PHASES];
	struct model_cfg cfg = office();
	int32_t	 base[EVG_PHASES] = { 400, 200, -10 }, board[EVG_PHASES];

	(void)state;
	model_circuit_currents(c, 4, own, direct, cur);
	assert_int_equal(cur[2][0], 5);
	assert_int_equal(cur[2][1], 320);
	assert_int_equal(cur[1][0], 165);
	assert_int_equal(cur[1][1], 320);
	assert_int_equal(cur[0][0], 175);
	assert_int_equal(cur[0][1], 340);
	assert_int_equal(cur[0][2], 30);
	assert_int_equal(cur[3][2], 260);
	assert_int_equal(cur[3][0], 100);
	/* 10 A of a 50 A building: a fifth of it; no share of an export */
	model_board_da(&cfg, 100, base, board);
	assert_int_equal(board[0], 80);
	assert_int_equal(board[1], 40);
	assert_int_equal(board[2], 0);
	/* the building's steps beyond its peak are not the board's */
	base[0] = 800;
	model_board_da(&cfg, 100, base, board);
	assert_int_equal(board[0], 100);
	base[0] = 400;
	cfg.load_peak = 0;
	model_board_da(&cfg, 100, base, board);
	assert_int_equal(board[0], 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_day),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_a_week_of_cars),
		cmocka_unit_test(test_csv_and_site_files),
		cmocka_unit_test(test_site_circuits),
		cmocka_unit_test(test_circuit_currents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
