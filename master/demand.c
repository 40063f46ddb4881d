/*
 * demand.c: the demand target's windows, energy, projection and the
 * chargers' share. See demand.h.
 *
 * What a missing reading is taken as (the tariff's own meter counted
 * whatever flowed, so the energy of a time without a reading must not be
 * taken lower than it may have been):
 * - between two readings no further apart than gap_ms: the higher of the
 *   two powers (the load may have stepped up right after the first);
 * - a longer gap (the supply meter silent, offline or stuck): the fuse's
 *   full power, the most the supply can have carried then;
 * - before the master's first reading in a window (it was not running):
 *   that first reading's power. Taking the fuse's there would pause the
 *   cars for the rest of every window a restart falls in; the chargers
 *   were at their own fallback current, the building as it is now.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "demand.h"

/*
 * Windows start on the wall clock in the appliance's time zone (hh:00,
 * hh:15, ...), so that they are the tariff meter's. The zone's offset is
 * the one at wall_ms: across a change of a whole hour (Europe/London
 * twice a year) the boundaries stay on the quarter hours; a window is
 * always window_min of real time.
 */
void
demand_window(int window_min, int64_t wall_ms, int64_t *start, int64_t *end)
{
	time_t	 t = (time_t)(wall_ms / 1000);
	struct tm tm;
	int64_t	 off = 0, w = (int64_t)window_min * 60000, local;

	if (localtime_r(&t, &tm) != NULL)
		off = (int64_t)tm.tm_gmtoff * 1000;
	local = wall_ms + off;
	*start = local - ((local % w) + w) % w - off;
	*end = *start + w;
}

int64_t
demand_power_w(const struct meter_reading *r, bool apparent)
{
	int64_t	 sum = 0;

	for (int p = 0; p < EVG_PHASES; p++) {
		/* a meter that gives no voltage (a generic one): nominal */
		int64_t	 dv = r->voltage_dv[p] > 0 ? r->voltage_dv[p] :
		    DEMAND_NOMINAL_V * 10;
		int64_t	 da = r->current_da[p];

		sum += (apparent && da < 0 ? -da : da) * dv;
	}
	/* 0.1 A x 0.1 V; what is exported is no demand */
	return sum > 0 ? sum / 100 : 0;
}

void
demand_init(struct demand *d)
{
	*d = (struct demand){ .last_w = -1 };
}

/* The power taken for the time up to wall_ms since the last reading;
 * new_w the reading at wall_ms (-1: none came). */
static int64_t
gap_power(const struct demand *d, const struct demand_conf *c,
    int64_t wall, int64_t new_w)
{
	if (d->last_w < 0)
		return new_w < 0 ? 0 : new_w;
	if (wall - d->last_ms > (int64_t)c->gap_ms)
		return c->fuse_w;
	return new_w > d->last_w ? new_w : d->last_w;
}

static void
count(struct demand *d, int64_t to, int64_t w)
{
	if (d->counted_ms == 0 || to <= d->counted_ms)
		return;
	d->energy_wms += w * (to - d->counted_ms);
	d->counted_ms = to;
}

/* The windows that ended by wall_ms closed, each counted to its end at
 * w; the news of the last one. */
static unsigned
roll(struct demand *d, const struct demand_conf *c, int64_t wall, int64_t w)
{
	unsigned news = 0;
	int64_t	 end;

	if (d->start_ms == 0 || wall < d->start_ms) {
		/* the first, or the clock set back: start afresh */
		demand_window(c->window_min, wall, &d->start_ms, &d->end_ms);
		d->energy_wms = 0;
		if (d->counted_ms != 0)
			d->counted_ms = wall;
		return 0;
	}
	while (wall >= d->end_ms) {
		if (d->counted_ms != 0) {
			count(d, d->end_ms, w);
			d->ended_start_ms = d->start_ms;
			d->ended_w = d->energy_wms / (d->end_ms - d->start_ms);
			d->ended_over = d->ended_w > c->target_w;
			news = DEMAND_ENDED | (d->ended_over ?
			    DEMAND_ENDED_OVER : 0);
		}
		end = d->end_ms;
		d->energy_wms = 0;
		/* the clock set forward by more than a window: no loop */
		demand_window(c->window_min, wall >= end + (end - d->start_ms) ?
		    wall : end, &d->start_ms, &d->end_ms);
		if (d->start_ms < end && wall < end + (end - d->start_ms))
			d->start_ms = end;	/* a half-hour zone change */
		if (d->counted_ms != 0)
			d->counted_ms = d->start_ms;
	}
	return news;
}

unsigned
demand_reading(struct demand *d, const struct demand_conf *c, int64_t w,
    int64_t wall)
{
	int64_t	 gw = gap_power(d, c, wall, w);
	unsigned news = roll(d, c, wall, gw);

	if (d->counted_ms == 0)
		d->counted_ms = d->start_ms;	/* the first since the start */
	count(d, wall, gw);
	d->last_ms = wall;
	d->last_w = w;
	return news;
}

unsigned
demand_tick(struct demand *d, const struct demand_conf *c, int64_t wall)
{
	return roll(d, c, wall, gap_power(d, c, wall, -1));
}

int64_t
demand_average_w(const struct demand *d, int64_t wall)
{
	(void)wall;
	if (d->counted_ms <= d->start_ms)
		return d->last_w > 0 ? d->last_w : 0;
	return d->energy_wms / (d->counted_ms - d->start_ms);
}

int64_t
demand_projected_w(const struct demand *d, const struct demand_conf *c,
    int64_t wall)
{
	int64_t	 from = d->counted_ms > d->start_ms ? d->counted_ms :
	    d->start_ms;
	int64_t	 now_w = gap_power(d, c, wall, -1);

	if (d->end_ms <= d->start_ms)
		return 0;
	return (d->energy_wms + now_w * (d->end_ms - from)) /
	    (d->end_ms - d->start_ms);
}

/*
 * What is left of the window's energy (the target x the window, less
 * what is counted), spread over the time left, less what the building
 * takes meanwhile at its present power: the chargers' power for the rest
 * of the window. 0 when the building alone breaks the target.
 */
int64_t
demand_cap_w(const struct demand *d, const struct demand_conf *c,
    bool meter_online, int64_t building_w, int64_t wall)
{
	int64_t	 from = d->counted_ms > d->start_ms ? d->counted_ms : wall;
	int64_t	 left = d->end_ms - from, budget, cap;

	if (!meter_online || d->start_ms == 0)
		return c->target_w;
	/* the last second: the division would swing wildly */
	if (left < 1000)
		left = 1000;
	budget = (int64_t)c->target_w * (d->end_ms - d->start_ms) -
	    d->energy_wms;
	cap = budget / left - building_w;
	return cap > 0 ? cap : 0;
}

int32_t
demand_w_to_da(int64_t w)
{
	int64_t	 da = w * 10 / DEMAND_NOMINAL_V;

	return da > INT32_MAX ? INT32_MAX : da < 0 ? 0 : (int32_t)da;
}
