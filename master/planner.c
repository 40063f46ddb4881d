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
static void
counted(const struct alloc_res *r, const struct plan_conn *pc,
    const struct alloc_site *s, const struct alloc_conn *c,
    const struct alloc_memo *m, size_t n, int32_t *used)
{
	memset(used, 0, ALLOC_RES_MAX * sizeof(int32_t));
	for (size_t i = 0; i < n; i++)
		alloc_res_take(r, used, c[i].circuit, mask_of(&c[i], &m[i]),
		    c[i].online ? pc[i].counted_da :
		    alloc_silent_draw(s, &c[i]));
}

void
plan_counted(const struct plan_conn *pc, const struct alloc_site *s,
    const struct alloc_conn *c, const struct alloc_memo *m, size_t n,
    int32_t *used)
{
	struct alloc_res r;

	alloc_res_init(&r, s);
	counted(&r, pc, s, c, m, n, used);
}

/*
 * The most a connector (circuit, mask), counted at `counted`, may be
 * raised to under the unbalanced-load limits of its circuits and the
 * supply, on the safe count: a car just lowered for the phase balance
 * still counts at its old current, so the car that takes its 0.1 A waits
 * for it to follow, like any raise.
 */
static int32_t
balance_room(const struct alloc_res *r, const struct alloc_site *s,
    const struct alloc_out *o, const int32_t *used, uint8_t circuit,
    uint8_t mask, int32_t counted, int32_t v)
{
	uint64_t a = r->anc[alloc_res_circuit(r, circuit)];

	while (a != 0) {
		int	 id = __builtin_ctzll(a);
		int32_t	 limit = id == 0 ? s->imbalance_da :
		    s->circuit[id - 1].imbalance_da;

		a &= a - 1;
		if (limit <= 0)
			continue;
		for (int p = 0; p < EVG_PHASES; p++)
			for (int q = 0; q < EVG_PHASES; q++) {
				int32_t	 tp, tq;

				if (!(mask >> p & 1) || (mask >> q & 1))
					continue;
				tp = o->c_nonev_da[id][p] +
				    used[id * EVG_PHASES + p];
				tq = o->c_nonev_da[id][q] +
				    used[id * EVG_PHASES + q];
				if (counted + limit - (tp - tq) < v)
					v = counted + limit - (tp - tq);
			}
	}
	return v;
}

void
plan_step(struct plan_conn *pc, const struct alloc_site *s,
    const struct alloc_conn *c, const struct alloc_memo *m, size_t n,
    const int32_t *target, const struct alloc_out *o, uint64_t now)
{
	struct alloc_res r;
	int32_t	 used[ALLOC_RES_MAX], hard[ALLOC_RES_MAX];

	alloc_res_init(&r, s);
	alloc_res_hard(&r, o, hard);
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
	counted(&r, pc, s, c, m, n, used);
	for (size_t i = 0; i < n; i++) {
		struct plan_conn *p = &pc[i];
		uint8_t	 mask = mask_of(&c[i], &m[i]);
		int32_t	 v = target[i], room;

		if (!c[i].online || target[i] <= p->setpoint_da)
			continue;
		/* what it may have: its own count, and the room beside it
		 * in every limit it counts on */
		room = alloc_res_room(&r, used, hard, c[i].circuit, mask) +
		    p->counted_da;
		if (room < v)
			v = room;
		v = balance_room(&r, s, o, used, c[i].circuit, mask,
		    p->counted_da, v);
		if (v <= p->setpoint_da || v < c[i].min_da)
			continue;
		p->setpoint_da = v;
		/* A car still drawing an old, higher value keeps counting
		 * at it: the count only grows here. */
		if (v > p->counted_da) {
			alloc_res_take(&r, used, c[i].circuit, mask,
			    v - p->counted_da);
			p->counted_da = v;
		}
	}
}
