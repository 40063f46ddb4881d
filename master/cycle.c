/*
 * cycle.c: one control cycle of the site. See cycle.h; the rules are in
 * docs/load-balancing.md.
 */
#include <stdlib.h>
#include <string.h>

#include "charger.h"
#include "cycle.h"

/*
 * Authorised and not stopped: waiting for the car, charging, paused by
 * the site, or suspended by the car (it may start again).
 */
bool
cycle_wants_current(const struct reg_conn *c)
{
	return c->state == CS_AUTH_WAIT_CAR || c->state == CS_CHARGING ||
	    c->state == CS_PAUSED || c->state == CS_SUSPENDED_EV;
}

int
cycle_init(struct cycle *cy, size_t n)
{
	struct alloc_site site = cy->site;

	memset(cy, 0, sizeof(*cy));
	cy->site = site;
	cy->n = n;
	cy->ac = calloc(n + 1, sizeof(*cy->ac));
	cy->memo = calloc(n + 1, sizeof(*cy->memo));
	cy->plan = calloc(n + 1, sizeof(*cy->plan));
	cy->target = calloc(n + 1, sizeof(*cy->target));
	cy->setpoint = calloc(n + 1, sizeof(*cy->setpoint));
	cy->told = calloc(n + 1, sizeof(*cy->told));
	cy->write_now = calloc(n + 1, sizeof(*cy->write_now));
	cy->work = malloc(alloc_work_size(n) + 1);
	if (!cy->ac || !cy->memo || !cy->plan || !cy->target ||
	    !cy->setpoint || !cy->told || !cy->write_now || !cy->work) {
		cycle_free(cy);
		return -1;
	}
	return 0;
}

void
cycle_free(struct cycle *cy)
{
	free(cy->ac);
	free(cy->memo);
	free(cy->plan);
	free(cy->target);
	free(cy->setpoint);
	free(cy->told);
	free(cy->write_now);
	free(cy->work);
	cy->ac = NULL;
	cy->memo = NULL;
	cy->plan = NULL;
	cy->target = cy->setpoint = cy->told = NULL;
	cy->write_now = NULL;
	cy->work = NULL;
}

/* Everything learnt between cycles, gone (a restart of the master). */
void
cycle_forget(struct cycle *cy)
{
	memset(cy->memo, 0, cy->n * sizeof(*cy->memo));
	memset(cy->plan, 0, cy->n * sizeof(*cy->plan));
	memset(cy->target, 0, cy->n * sizeof(*cy->target));
	memset(cy->told, 0, cy->n * sizeof(*cy->told));
	memset(cy->last_hard, 0, sizeof(cy->last_hard));
	cy->cycles = 0;
}

/* The allocator's view of one connector, from what was read of it. */
static void
conn_from(struct alloc_conn *a, const struct cycle_conf *cf,
    const struct cycle_reading *r, const struct cycle_op *op, uint64_t now)
{
	a->phase = cf->phase;
	a->min_da = cf->min_da;
	a->max_da = cf->max_da;
	/* The charger's own rating, once it told us: it refuses more. */
	if (r->heard && r->rc.max_da >= ALLOC_MIN_DA && r->rc.max_da < a->max_da)
		a->max_da = r->rc.max_da;
	a->priority = cf->priority;
	a->online = r->online;
	a->demand = r->online && cycle_wants_current(&r->rc) && !op->paused &&
	    !op->blocked;
	/* What an offline charger may still draw (alloc_silent_draw): what
	 * it was told, with its own fallback settings once it acknowledged
	 * ours; never heard since we started, its maximum. */
	a->fallback_known = r->fallback_known;
	a->fallback_da = r->fallback_da;
	a->fallback_ms = (uint32_t)r->fallback_s * 1000;
	a->in_force_da = r->online ? r->rc.setpoint_da : r->may_force_da;
	a->silent_ms = r->online ? 0 : !r->heard ? UINT32_MAX :
	    now - r->read_ms > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)(now - r->read_ms);
	/* An offline charger's last reading is no reading. */
	for (int p = 0; p < EVG_PHASES; p++)
		a->draw_da[p] = r->online ? r->rc.current_da[p] : 0;
	a->session_wh = r->rc.session_wh;
	a->session_id = r->rc.session_no;
}

void
cycle_run(struct cycle *cy, const struct cycle_conf *cf,
    const struct cycle_reading *rd, const struct cycle_op *op, uint64_t now,
    struct cycle_out *out)
{
	int32_t	 used[EVG_PHASES];

	for (size_t i = 0; i < cy->n; i++)
		conn_from(&cy->ac[i], &cf[i], &rd[i], &op[i], now);
	alloc_compute(&cy->site, cy->ac, cy->memo, cy->n, now, cy->work,
	    cy->target, &cy->out);
	plan_step(cy->plan, &cy->site, cy->ac, cy->memo, cy->n, cy->target,
	    cy->out.hard_da, now);

	/* Overload: less available than what was offered before this cycle's
	 * cuts; the cut connectors still count at their old value. */
	memset(out, 0, sizeof(*out));
	plan_counted(cy->plan, &cy->site, cy->ac, cy->memo, cy->n, used);
	for (size_t i = 0; i < cy->n; i++)
		out->cut += cy->plan[i].counted_da > cy->plan[i].setpoint_da;
	for (int p = 0; p < EVG_PHASES; p++) {
		out->before_da[p] = cy->last_hard[p];
		out->offered_da[p] = used[p];
		out->overload[p] = cy->cycles > 0 &&
		    cy->out.hard_da[p] < cy->last_hard[p] &&
		    used[p] > cy->out.hard_da[p];
	}
	memcpy(cy->last_hard, cy->out.hard_da, sizeof(cy->last_hard));
	cy->cycles++;

	/* A cut goes out now, against what we last told it or what it says
	 * is in force; a raise waits for its charger's next poll. */
	for (size_t i = 0; i < cy->n; i++) {
		int32_t	 sp = cy->plan[i].setpoint_da;

		cy->setpoint[i] = sp;
		cy->write_now[i] = sp != cy->told[i] && rd[i].online &&
		    (sp < cy->told[i] || sp < rd[i].rc.setpoint_da);
		cy->told[i] = sp;
	}
	out->setpoint = cy->setpoint;
	out->write_now = cy->write_now;
}
