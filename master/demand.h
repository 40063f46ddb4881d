/*
 * demand.h: the demand (capacity tariff) target at the supply: the
 * average power over fixed windows (15, 30 or 60 minutes, aligned on the
 * wall clock in the appliance's time zone) must stay under a target.
 * Pure: the site hands over the supply meter's readings with their wall
 * times; this says the window's energy so far, its projection, and what
 * the chargers may take for the rest of the window.
 */
#ifndef EVG_DEMAND_H
#define EVG_DEMAND_H

#include <stdbool.h>
#include <stdint.h>

#include "meter.h"

/* The nominal voltage a current and a power are converted at (EN
 * 50160: 230 V between a phase and neutral). */
#define DEMAND_NOMINAL_V	230

struct demand_conf {
	int		 window_min;	/* 15, 30 or 60 */
	int32_t		 target_w;	/* W, or VA when apparent */
	bool		 apparent;	/* kVA: |current| x voltage */
	/* Readings further apart than this are a gap in the meter's
	 * readings (about the meter's staleness, meter.h stale_ms). */
	uint32_t	 gap_ms;
	/* The most the supply can carry: its fuse x 230 V x 3 phases (W);
	 * what a gap longer than gap_ms is taken as. */
	int64_t		 fuse_w;
};

struct demand {
	int64_t		 start_ms, end_ms;	/* wall clock; 0: none yet */
	int64_t		 energy_wms;		/* W x ms, in this window */
	int64_t		 counted_ms;		/* energy counted up to */
	int64_t		 last_ms;		/* the last reading's time */
	int64_t		 last_w;		/* its power; -1: none yet */
	/* The window that ended last: its average (W) and whether it was
	 * over the target (news for an event). */
	int64_t		 ended_start_ms, ended_w;
	bool		 ended_over;
};

enum demand_news { DEMAND_ENDED = 1, DEMAND_ENDED_OVER = 2 };

/* Where the window holding wall_ms starts and ends (local time). */
void	demand_window(int window_min, int64_t wall_ms, int64_t *start_ms,
	    int64_t *end_ms);
/* A reading's power (W, or VA): imported only, 230 V for a phase whose
 * voltage the meter does not give. */
int64_t	demand_power_w(const struct meter_reading *, bool apparent);
void	demand_init(struct demand *);
/* A supply meter reading at wall_ms: its power (demand_power_w).
 * Returns demand_news for a window that ended. */
unsigned demand_reading(struct demand *, const struct demand_conf *,
	    int64_t power_w, int64_t wall_ms);
/* Every cycle, whether a reading came or not: a window that ended
 * without one is closed (demand_news). */
unsigned demand_tick(struct demand *, const struct demand_conf *,
	    int64_t wall_ms);
/* So far in the window: the average power (W) since its start. */
int64_t	demand_average_w(const struct demand *, int64_t wall_ms);
/* At the window's end if the present power holds (W). */
int64_t	demand_projected_w(const struct demand *, const struct demand_conf *,
	    int64_t wall_ms);
/* What the chargers may take for the rest of the window (W, >= 0), the
 * building drawing building_w; meter_online false: no reading to plan
 * with, the target alone is their share. */
int64_t	demand_cap_w(const struct demand *, const struct demand_conf *,
	    bool meter_online, int64_t building_w, int64_t wall_ms);
/* A power as current summed over the phases at the nominal voltage,
 * 0.1 A (alloc_site.power_cap_da). */
int32_t	demand_w_to_da(int64_t w);

#endif
