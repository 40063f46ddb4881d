/*
 * bench_store.c: what the store sustains while a control loop runs. A
 * libuv loop with a 10 ms timer stands for the master's loop; each tick
 * it queues events at a target rate through store_put() (what the master
 * does). For each rate: events written per second to disk, the queue
 * left behind, and how late the 10 ms tick fires (p50, p99, max), against
 * a run with no writes. Prints figures; passes or fails nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "clock.h"
#include "store.h"

#define TICK_MS		10
#define RUN_MS		10000
#define MAXTICKS	(RUN_MS / TICK_MS + 16)

struct run {
	struct store	*st;
	uv_timer_t	 timer;
	uint64_t	 start_ns, last_ns;
	double		 late_us[MAXTICKS];
	int		 ticks;
	int		 per_tick;
	uint64_t	 queued;
};

static void
on_tick(uv_timer_t *t)
{
	struct run *r = t->data;
	uint64_t now = uv_hrtime();

	if (r->ticks > 0 && r->ticks < MAXTICKS) {
		/* lateness against the 10 ms period */
		double	 late = ((double)(now - r->last_ns) - TICK_MS * 1e6) /
		    1e3;

		r->late_us[r->ticks - 1] = late < 0 ? -late : late;
	}
	r->last_ns = now;
	for (int i = 0; r->st != NULL && i < r->per_tick; i++) {
		struct store_rec e = { .kind = STORE_EVENT };

		e.u.ev.severity = i % 3;
		snprintf(e.u.ev.source, sizeof(e.u.ev.source), "bay-%03d",
		    i % 100);
		strcpy(e.u.ev.code, "bench");
		snprintf(e.u.ev.text, sizeof(e.u.ev.text), "connector 1: "
		    "charging -> paused (offer 16.0 A) %d", i);
		store_put(r->st, &e);
		r->queued++;
	}
	if (++r->ticks * TICK_MS >= RUN_MS)
		uv_timer_stop(t);
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
run(const char *dir, int rate)
{
	struct run r = { .per_tick = rate / (1000 / TICK_MS) };
	struct store st;
	char	 path[256], note[400], err[300];
	uv_loop_t loop;
	uint64_t t0, written, lost;
	size_t	 left;
	bool	 failing;
	int	 n;

	snprintf(path, sizeof(path), "%s/bench-%d.db", dir, rate);
	unlink(path);
	if (rate > 0) {
		if (store_open(&st, path, 400, note, sizeof(note), err,
		    sizeof(err)) != 0 || store_start(&st) != 0) {
			fprintf(stderr, "store: %s\n", err);
			exit(1);
		}
		r.st = &st;
	}
	uv_loop_init(&loop);
	uv_timer_init(&loop, &r.timer);
	r.timer.data = &r;
	t0 = clock_now_ms();
	uv_timer_start(&r.timer, on_tick, TICK_MS, TICK_MS);
	uv_run(&loop, UV_RUN_DEFAULT);
	if (rate > 0)
		store_status(&st, &failing, err, sizeof(err), &written, &lost,
		    &left);
	else
		written = lost = left = 0;
	{
		double	 secs = (double)(clock_now_ms() - t0) / 1000.0;

		n = r.ticks - 1 < MAXTICKS ? r.ticks - 1 : MAXTICKS;
		qsort(r.late_us, (size_t)n, sizeof(double), cmp);
		printf("%8d events/s asked: %8.0f written/s, %6zu queued at the "
		    "end, %llu lost; tick late p50 %5.0f us, p99 %6.0f us, max "
		    "%6.0f us\n", rate, written / secs, left,
		    (unsigned long long)lost, r.late_us[n / 2],
		    r.late_us[n * 99 / 100], r.late_us[n - 1]);
	}
	if (rate > 0)
		store_close(&st);
	uv_close((uv_handle_t *)&r.timer, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	unlink(path);
}

int
main(int argc, char **argv)
{
	static const int rates[] = { 0, 1000, 10000, 50000, 100000 };
	const char *dir = argc > 1 ? argv[1] : "/tmp";

	printf("store under a 10 ms control loop, %d s a rate (database in "
	    "%s)\n", RUN_MS / 1000, dir);
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		run(dir, rates[i]);
	return 0;
}
