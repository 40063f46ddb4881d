/*
 * plan.h: planning runs in virtual time (plan.c) and their report and
 * chart (planreport.c). docs/planning.md.
 */
#ifndef EVG_SIM_PLAN_H
#define EVG_SIM_PLAN_H

#include <stdint.h>
#include <stdio.h>

#include "site_file.h"

enum plan_variant {
	PLAN_FULL,		/* the allocator as it ships */
	PLAN_NO_RECLAIM,	/* dynamic, never taking back unused current */
	PLAN_STATIC,		/* a fixed equal split, safe at the peak */
};

struct plan_result {
	uint64_t	 delivered_wh;		/* every car */
	uint64_t	 left_delivered_wh, wanted_wh;	/* cars that left
					 * within the run */
	uint64_t	 bound_wh;	/* every car: what it wanted, or what
					 * its charger could give it */
	double		 capacity_wh;	/* each second, the lower of the
					 * supply less the building and margin,
					 * and what the cars there could take */
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

int	plan_run(const struct site_file *, int variant, int days, FILE *series,
	    struct plan_result *, char *err, size_t errlen);
int	plan_main(int argc, char **argv);

#endif
