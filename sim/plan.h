/*
 * plan.h: planning runs in virtual time (plan.c) and their report and
 * chart (planreport.c). docs/planning.md.
 */
#ifndef EVG_SIM_PLAN_H
#define EVG_SIM_PLAN_H

#include <stdint.h>
#include <stdio.h>

#include "planlp.h"
#include "site_file.h"

enum plan_variant {
	PLAN_FULL,		/* the allocator as it ships */
	PLAN_NO_RECLAIM,	/* dynamic, never taking back unused current */
	PLAN_STATIC,		/* a fixed equal split, safe at the peak */
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

#endif
