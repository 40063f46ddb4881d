/*
 * planner.c: safe ordering of setpoint changes. See planner.h.
 */
#include <string.h>

#include "planner.h"

/* The phases a connector's current counts on: what the allocator learnt
 * of the car, or every wired phase for a charger we cannot see. */
static uint8_t
mask_of(const struct alloc_conn *c, const struct alloc_memo *m)
{
	return c->online ? alloc_phases(c, m) : alloc_wired(c->phase);
}

static int32_t
drawn(const struct alloc_conn *c, uint8_t mask)
{
	int32_t d = 0;

	for (int p = 0; p < EVG_PHASES; p++)
		if ((mask >> p & 1) && c->draw_da[p] > d)
			d = c->draw_da[p];
	return d;
}

/*
 * What each phase carries on the safe count: every online connector at
 * what it may still draw, every offline one at its fallback.
 */
void
plan_counted(const struct plan_conn *pc, const struct alloc_site *s,
    const struct alloc_conn *c, const struct alloc_memo *m, size_t n,
    int32_t used[EVG_PHASES])
{
	memset(used, 0, EVG_PHASES * sizeof(int32_t));
	for (size_t i = 0; i < n; i++) {
		uint8_t	 mask = mask_of(&c[i], &m[i]);
		int32_t	 v = c[i].online ? pc[i].counted_da :
		    alloc_silent_draw(s, &c[i]);

		for (int p = 0; p < EVG_PHASES; p++)
			if (mask >> p & 1)
				used[p] += v;
	}
}

void
plan_step(struct plan_conn *pc, const struct alloc_site *s,
    const struct alloc_conn *c, const struct alloc_memo *m, size_t n,
    const int32_t *target, const int32_t hard[EVG_PHASES], uint64_t now)
{
	int32_t	 used[EVG_PHASES];

	/* 1. Cars that have followed, or had their 5 s, count at their
	 *    setpoint again; offline chargers are told nothing. */
	for (size_t i = 0; i < n; i++) {
		struct plan_conn *p = &pc[i];

		if (!c[i].online) {
			p->counted_da = p->setpoint_da = 0;
			continue;
		}
		/* The charger says what is in force. More than we believe
		 * (it restarted, it fell back to a higher current) counts at
		 * once. Less may only be a report older than our last write,
		 * so it changes nothing: only our own writes lower what we
		 * count, and only once the car has followed. */
		if (c[i].in_force_da > p->setpoint_da)
			p->setpoint_da = c[i].in_force_da;
		if (c[i].in_force_da > p->counted_da)
			p->counted_da = c[i].in_force_da;
		if (p->counted_da > p->setpoint_da &&
		    (drawn(&c[i], mask_of(&c[i], &m[i])) <= p->setpoint_da +
		    PLAN_FOLLOWED_TOL_DA ||
		    now - p->lowered_ms >= PLAN_EV_RESPONSE_MS))
			p->counted_da = p->setpoint_da;
		/* 2. Decreases at once (a sudden overload is cut this
		 *    cycle); the old value stays counted. */
		if (target[i] < p->setpoint_da) {
			p->setpoint_da = target[i];
			p->lowered_ms = now;
		}
		if (p->counted_da < p->setpoint_da)
			p->counted_da = p->setpoint_da;
	}
	/* 3. Increases where the safe count leaves room: the whole raise,
	 *    or as much as fits if that is at least the minimum. */
	plan_counted(pc, s, c, m, n, used);
	for (size_t i = 0; i < n; i++) {
		struct plan_conn *p = &pc[i];
		uint8_t	 mask = mask_of(&c[i], &m[i]);
		int32_t	 v = target[i];

		if (!c[i].online || target[i] <= p->setpoint_da)
			continue;
		for (int q = 0; q < EVG_PHASES; q++)
			if (mask >> q & 1) {
				int32_t room = hard[q] - (used[q] - p->counted_da);

				if (room < v)
					v = room;
			}
		if (v <= p->setpoint_da || v < c[i].min_da)
			continue;
		p->setpoint_da = v;
		/* A car still drawing an old, higher value keeps counting
		 * at it: the count only grows here. */
		if (v > p->counted_da) {
			for (int q = 0; q < EVG_PHASES; q++)
				if (mask >> q & 1)
					used[q] += v - p->counted_da;
			p->counted_da = v;
		}
	}
}
