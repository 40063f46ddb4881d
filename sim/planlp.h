/*
 * planlp.h: the clairvoyant optimum of a planning run. Knowing the whole
 * run in advance (every car's stay, charger, phases and wish, and the room
 * the supply left on each phase every second), the most energy any
 * sharing could have given the cars towards their targets: a linear
 * programme solved with GLPK. docs/planning.md ("The LP optimum").
 */
#ifndef EVG_SIM_PLANLP_H
#define EVG_SIM_PLANLP_H

#include <stddef.h>
#include <stdint.h>

#include "units.h"

/* The slot length of planning runs: docs/planning.md says why. */
#define PLANLP_SLOT_S		60

/* One car's stay at a connector, in seconds from the start of the run. */
struct planlp_car {
	int64_t		 arrive_s, leave_s;	/* it may draw in [arrive,
						 * leave), clipped to the run */
	uint8_t		 phases;	/* site phases it draws on, bit p */
	int32_t		 max_da;	/* per line: its own limit and its
					 * connector's, the lower */
	uint32_t	 wanted_wh;	/* from arrival to its target */
};

/*
 * The run as the LP sees it. room_das[s][p] is the room on phase p summed
 * over the seconds of slot s (0.1 A x s), so that the LP's constraint is
 * on the slot's mean current: the sum of per-second constraints, hence no
 * tighter than they are.
 */
struct planlp_day {
	int		 slot_s;
	int64_t		 horizon_s;
	int		 nslots;
	int64_t		(*room_das)[EVG_PHASES];
	struct planlp_car *car;
	int		 ncars, carcap;
};

struct planlp_result {
	double		 optimum_wh;
	int		 rows, cols;
	double		 solve_s;	/* CPU, building and solving */
};

/*
 * A run of horizon_s seconds in slots of slot_s (the last one may be
 * shorter); every room starts at 0. Returns 0, or -ENOMEM or -EINVAL.
 */
int	planlp_init(struct planlp_day *, int64_t horizon_s, int slot_s);
void	planlp_free(struct planlp_day *);
/* Second t_s (0 .. horizon_s - 1) left room_da on each phase (< 0: 0). */
void	planlp_room(struct planlp_day *, int64_t t_s,
	    const int32_t room_da[EVG_PHASES]);
/* A car's stay; its index, or -ENOMEM or -EINVAL (no phase, negative
 * current, leaving before it came). */
int	planlp_car(struct planlp_day *, const struct planlp_car *);
/*
 * The optimum: the most energy (Wh) the cars could have taken, each within
 * its wish, its current and its stay, each phase within its room, slot by
 * slot. it_lim bounds the simplex iterations (0: none). Returns 0, or -1
 * with err set when GLPK does not report an optimal solution: never a
 * figure that is not the optimum.
 */
int	planlp_solve(const struct planlp_day *, int it_lim,
	    struct planlp_result *, char *err, size_t errlen);

#endif
