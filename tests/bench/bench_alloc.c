/*
 * bench_alloc.c: time of one allocation (alloc_compute + plan_step) for
 * 10, 100, 1000 and 10000 connectors on a busy three-phase site: mixed
 * wiring and priorities, every connector demanding, a tight supply so
 * that admission, filling and the top-up all work; and 1000 connectors in
 * 50 circuits (5 boards under the supply, 9 sub-boards under each, tight
 * limits, one board metered, a 20 A imbalance limit at the supply).
 * Prints medians.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "planner.h"

#define RUNS	31

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(void)
{
	static const size_t sizes[] = { 10, 100, 1000, 10000, 1000 };
	static struct alloc_circuit circ[50];

	printf("one allocation (alloc_compute), and the setpoint plan after it;"
	    " medians of %d runs\n", RUNS);
	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		size_t	 n = sizes[z];
		struct alloc_conn *c = calloc(n, sizeof(*c));
		struct alloc_memo *m = calloc(n, sizeof(*m));
		struct plan_conn *pc = calloc(n, sizeof(*pc));
		int32_t	*offers = calloc(n, sizeof(int32_t));
		struct conn_why *why = calloc(n, sizeof(*why));	/* as the master */
		void	*work = malloc(alloc_work_size(n));
		double	 t[RUNS], tplan[RUNS], calls_per_run = n <= 100 ? 1000 : n <= 1000 ?
		    100 : 10;
		struct alloc_site s = {
			.mode = ALLOC_DYNAMIC, .strategy = STRATEGY_MAXIMISE,
			/* room for about two thirds at 16 A */
			.group_limit_da = (int32_t)(n * 110), .site_limit_da =
			    (int32_t)(n * 110) + 300, .margin_da = 0,
			.offline_limit_da = 100, .meter_online = true,
			.chargers_in_clamps = true,
			.clamp_enabled = { true, true, true },
			.clamp_da = { 300, 250, 200 },
			.min_run_ms = ALLOC_MIN_RUN_MS,
			.min_pause_ms = ALLOC_MIN_PAUSE_MS,
			.fallback_timeout_ms = 10000,
		};
		struct alloc_out o;
		uint64_t clock_ms = 1000000;
		bool	 tree = z == 4;

		if (tree) {
			for (int k = 0; k < 50; k++)
				circ[k] = (struct alloc_circuit){
				    .parent = k < 5 ? 0 : 1 + (k - 5) % 5,
				    .limit_da = k < 5 ? 1800 : 400,
				    .metered = k == 0, .meter_online = true,
				    .clamp_da = { 200, 150, 100 } };
			s.circuit = circ;
			s.ncircuits = 50;
			s.imbalance_da = 200;
		}

		for (size_t i = 0; i < n; i++) {
			c[i].phase = (enum phase_conn)(1 + i % 6);
			c[i].min_da = 60;
			c[i].max_da = i % 3 ? 320 : 160;
			c[i].priority = (int)(i % 7 == 0);
			c[i].online = i % 50 != 0;
			c[i].demand = true;
			c[i].session_wh = (i * 7919) % 40000;
			c[i].session_id = 1;
			c[i].circuit = tree ? (uint8_t)(6 + i % 45) : 0;
		}
		for (int r = 0; r < RUNS; r++) {
			double	 ta = 0, tp = 0;

			for (int k = 0; k < calls_per_run; k++) {
				double	 t0, t1;

				/* A fresh memory each call (outside the timing):
				 * the full admission, not a steady state with
				 * little to do. */
				memset(m, 0, n * sizeof(*m));
				memset(pc, 0, n * sizeof(*pc));
				t0 = now_ns();
				alloc_compute(&s, c, m, n, clock_ms, work, offers,
				    &o, why);
				t1 = now_ns();
				plan_step(pc, &s, c, m, n, offers, &o,
				    clock_ms);
				tp += now_ns() - t1;
				ta += t1 - t0;
				clock_ms += 1000;
			}
			t[r] = ta / calls_per_run;
			tplan[r] = tp / calls_per_run;
		}
		qsort(t, RUNS, sizeof(double), cmp);
		qsort(tplan, RUNS, sizeof(double), cmp);
		printf("%6zu connectors%s: allocation median %8.1f us (min %.1f, "
		    "max %.1f), + plan %6.1f us; %d running, %d paused\n", n,
		    tree ? " in 50 circuits" : "",
		    t[RUNS / 2] / 1e3, t[0] / 1e3, t[RUNS - 1] / 1e3,
		    tplan[RUNS / 2] / 1e3, o.running, o.paused);
		free(c);
		free(m);
		free(pc);
		free(offers);
		free(why);
		free(work);
	}
	return 0;
}
