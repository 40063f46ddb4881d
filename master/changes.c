/*
 * changes.c: what a charger's poll changed since the one before: its
 * status and its connectors' faults as events, their states in the log,
 * their sessions (sessions.c) in the store.
 */
#include <stdio.h>
#include <string.h>

#include "charger.h"
#include "clock.h"
#include "master.h"

/* A poll went through: what it tells that the last one did not. */
void
changes_log(struct peer *p)
{
	struct master *m = p->m;
	const char *name = p->cc->name;
	static const char *const status[] = {
		"normal",
		"fallback (master silent)",
		"fault",
		"booting",
	};

	sessions_track(p, clock_now_ms());
	if (!p->have_prev || p->prev_unit.status != p->link.unit.status)
		master_event(m, p->link.unit.status == UNIT_NORMAL ||
		    p->link.unit.status == UNIT_BOOTING ? SEV_INFO : SEV_WARNING,
		    name, "unit-status", "unit %s",
		    p->link.unit.status <= UNIT_BOOTING ?
		    status[p->link.unit.status] : "?");
	for (int i = 0; i < p->link.nconn; i++) {
		const struct reg_conn *c = &p->link.conn[i], *o = &p->prev_conn[i];

		if (!p->have_prev || c->state != o->state)
			MLOG(m, LOG_INFO, "charger %s connector %d: %s "
			    "(offer %u.%u A, setpoint %u.%u A)", name, i + 1,
			    conn_state_name(c->state), c->offer_da / 10,
			    c->offer_da % 10, c->setpoint_da / 10,
			    c->setpoint_da % 10);
		if (p->have_prev && c->faults != o->faults)
			for (int f = 0; f < F_COUNT; f++)
				if ((c->faults ^ o->faults) & FAULT_BIT(f)) {
					char	 src[48];

					snprintf(src, sizeof(src), "%s/%d", name,
					    i + 1);
					master_event(m, c->faults & FAULT_BIT(f) ?
					    SEV_ALARM : SEV_INFO, src,
					    c->faults & FAULT_BIT(f) ? "fault" :
					    "fault-cleared", "fault %s %s",
					    fault_name(f), c->faults & FAULT_BIT(f) ?
					    "set" : "cleared");
				}
	}
	MLOG(m, LOG_DEBUG, "charger %s: polled, status %u, heartbeat %u",
	    name, p->link.unit.status, p->link.unit.heartbeat_seen);
	p->prev_unit = p->link.unit;
	memcpy(p->prev_conn, p->link.conn, sizeof(p->prev_conn));
	p->have_prev = true;
}
