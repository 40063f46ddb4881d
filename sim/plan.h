/*
 * plan.h: planning runs in virtual time (plan.c) and their report and
 * chart (planreport.c). docs/planning.md.
 */
#ifndef EVG_SIM_PLAN_H
#define EVG_SIM_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "planlp.h"
#include "site_file.h"

enum plan_variant {
	PLAN_FULL,		/* the allocator as it ships */
	PLAN_NO_RECLAIM,	/* dynamic, never taking back unused current */
	PLAN_STATIC,		/* a fixed equal split, safe at the peak */
};

/* A circuit "at its limit": a phase within 2 A of its fuse (the
 * allocator's margin and deadband keep it just under). */
#define PLAN_AT_LIMIT_DA	20
#define PLAN_WIN_LIST		24	/* windows over target, listed */
#define PLAN_CYCLE_MS		1000	/* the master's: meter, allocate,
					 * write */

/* A circuit (board) over the run. */
struct plan_circuit {
	int32_t		 peak_da[EVG_PHASES];
	long		 at_limit_s;	/* seconds with a phase at its limit */
	long		 over_s;	/* above its fuse beyond one cycle +
					 * the cars' 5 s */
	int		 over_run[EVG_PHASES];	/* seconds above, in a row */
};

/* The supply's demand windows (a capacity tariff) over the run: each
 * window's average power, counted when the run covered all of it. */
struct plan_demand {
	int		 window_s;	/* 0: no target */
	double		 target;	/* kW (kVA) */
	int64_t		 start_s;	/* the window being summed */
	double		 sum;		/* kW s so far in it */
	int		 n;		/* seconds so far in it */
	int		 windows, over;
	double		 max;		/* the highest window's average */
	int64_t		 max_start_s;
	struct {
		int64_t	 start_s;
		double	 avg;
	}		 list[PLAN_WIN_LIST];	/* the first over target */
	int		 nlist;
};

struct plan_result {
	uint64_t	 delivered_wh;		/* every car */
	uint64_t	 useful_wh;	/* every car, up to what it wanted:
					 * what the LP optimum bounds */
	uint64_t	 left_delivered_wh, wanted_wh;	/* cars that left
					 * within the run */
	double		 lp_over_s;	/* the cars drew more on a phase than
					 * the LP counts: its premise, must
					 * be 0 */
	int		 cars, short_cars, turned_away;	/* cars: left */
	int		 still_there;	/* when the run ended */
	int32_t		 peak_da;
	long		 over_s;	/* above the fuse beyond 5 s */
	long		 contactor_ops;
	long		 setpoint_changes;	/* setpoints the master changed */
	double		 sum_share, sum_share2;
	int		 connectors, days;
	double		 cpu_s;
	struct plan_circuit circ[MODEL_MAX_CIRCUITS];	/* site_file's */
	struct plan_demand demand;
};

/*
 * One run of days over the site. series (may be NULL) gets a line a
 * minute for the chart; day (may be NULL; planlp_init'ed by the caller
 * for days * MODEL_DAY_S) gets what the LP optimum needs: every car's
 * stay and the room the allocator's rules left each second.
 */
int	plan_run(const struct site_file *, int variant, int days, FILE *series,
	    struct planlp_day *day, struct plan_result *, char *err,
	    size_t errlen);
int	plan_main(int argc, char **argv);

/* One second of a circuit: its real current per phase against its fuse. */
void	plan_circuit_second(struct plan_circuit *,
	    const int32_t cur[EVG_PHASES], int32_t fuse_da);
/* One second of the supply's power (kW or kVA) ending at t_s, on the site
 * clock (windows start on multiples of the window from Monday 00:00). */
void	plan_demand_second(struct plan_demand *, int64_t t_s, double power);
/* The site's power at the supply from its currents per phase (0.1 A) at
 * nominal voltage: kW counts import only, kVA every phase's |current|. */
double	plan_supply_power(const int32_t da[EVG_PHASES], bool apparent);
/* The circuits' and the demand windows' part of the report. */
void	plan_report_circuits(FILE *, const struct site_file *,
	    const struct plan_result *);

#endif
