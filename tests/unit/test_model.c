/*
 * test_model.c: the simulated site's load, PV and cars: the same seed
 * gives the same day; the shapes have their day; a week brings the cars
 * asked for, in the fleet mix asked for; CSV files and site files are
 * read, and refused with the line at fault.
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_day),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_a_week_of_cars),
		cmocka_unit_test(test_csv_and_site_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
