/*
 * planner.h: turns the allocator's answer into setpoints in a safe order.
 * Decreases go out at once; a lowered connector is counted at its old
 * value until its car has followed (measured) or had its 5 s (IEC 61851-1
 * Annex A); increases go out only where that count leaves room. Pure.
 */
#ifndef EVG_PLANNER_H
#define EVG_PLANNER_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"

/* IEC 61851-1 Annex A: the EV follows a lowered duty cycle within 5 s. */
#define PLAN_EV_RESPONSE_MS	5000
/* A car has followed once it draws no more than its new offer. */
#define PLAN_FOLLOWED_TOL_DA	0

struct plan_conn {
	int32_t		setpoint_da;	/* what the charger has been told */
	int32_t		counted_da;	/* what it may still draw */
	uint64_t	lowered_ms;
};

/* hard: the allocation's limits (alloc_out: every phase of the supply
 * and of each circuit, the demand target's power). */
void	plan_step(struct plan_conn *, const struct alloc_site *,
	    const struct alloc_conn *, const struct alloc_memo *, size_t n,
	    const int32_t *target, const struct alloc_out *hard,
	    uint64_t now_ms);
/* What every resource (alloc.h: used[ALLOC_RES_MAX]) carries on the safe
 * count. */
void	plan_counted(const struct plan_conn *, const struct alloc_site *,
	    const struct alloc_conn *, const struct alloc_memo *, size_t n,
	    int32_t *used);

#endif
