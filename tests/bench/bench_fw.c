/*
 * bench_fw.c: what one firmware step costs, and how fast virtual time runs
 * for one two-connector charger with both cars charging (what the site
 * simulator and planning runs will multiply by the number of chargers).
 * Prints medians of repeated runs; never passes or fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io.h"
#include "slave.h"

#define STEPS	200000
#define RUNS	15

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
exec(struct slave *s, const char *line, uint64_t now)
{
	struct ctl_cmd c;
	char	 err[128], *reply = NULL;

	if (ctl_parse(line, s->fw.cfg.nconn, &c, err, sizeof(err)) != 0)
		abort();
	slave_exec(s, &c, now, &reply);
	free(reply);
}

int
main(void)
{
	static struct slave s;
	struct slave_config conf;
	double	 tick_ns[RUNS], core_ns[RUNS];

	slave_config_defaults(&conf);
	for (int run = 0; run < RUNS; run++) {
		uint64_t now = 1000;
		struct fw_in in;
		double	 t0;

		slave_init(&s, &conf, now);
		exec(&s, "plug 1", now);
		exec(&s, "plug 2", now);
		for (int i = 0; i < 1000; i++)
			slave_tick(&s, now += 10);	/* both charging */
		if (!s.fw.conn[0].close_cmd || !s.fw.conn[1].close_cmd)
			abort();

		/* Whole tick: hardware physics + HAL + core. */
		t0 = now_s();
		for (int i = 0; i < STEPS; i++)
			slave_tick(&s, now += 10);
		tick_ns[run] = (now_s() - t0) * 1e9 / STEPS;

		/* The core alone on a fixed sample. */
		io_gather(&s.hal, s.fw.cfg.nconn, &in);
		t0 = now_s();
		for (int i = 0; i < STEPS; i++)
			fw_step(&s.fw, &in, now += 10, &s.out);
		core_ns[run] = (now_s() - t0) * 1e9 / STEPS;
	}
	qsort(tick_ns, RUNS, sizeof(double), cmp);
	qsort(core_ns, RUNS, sizeof(double), cmp);
	printf("fw_step, 2 connectors charging:        median %.0f ns "
	    "(min %.0f, max %.0f) over %d runs of %d steps\n",
	    core_ns[RUNS / 2], core_ns[0], core_ns[RUNS - 1], RUNS, STEPS);
	printf("whole tick (sim physics + HAL + core): median %.0f ns "
	    "(min %.0f, max %.0f)\n", tick_ns[RUNS / 2], tick_ns[0],
	    tick_ns[RUNS - 1]);
	printf("virtual time at 10 ms ticks: %.0fx real time for one charger; "
	    "one day of one charger in %.2f s\n",
	    10e6 / tick_ns[RUNS / 2], 8640000.0 * tick_ns[RUNS / 2] / 1e9);
	return 0;
}
