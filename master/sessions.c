/*
 * sessions.c: the chargers' sessions, recorded in the store as the
 * chargers report them, and those left open when the appliance stopped,
 * taken back from the database at start-up.
 */
#include <stdio.h>
#include <string.h>

#include "charger.h"
#include "clock.h"
#include "master.h"

static bool
session_live(const struct reg_conn *c)
{
	return c->session_no != 0 && (c->state == CS_AUTH_WAIT_CAR ||
	    c->state == CS_CHARGING || c->state == CS_NO_CURRENT ||
	    c->state == CS_SUSPENDED_EV);
}

static void
session_rec(struct peer *p, int k, enum store_kind kind, uint32_t number,
    const struct reg_conn *c, const char *reason, int64_t when)
{
	struct store_rec r = { .kind = kind, .wall_ms = when };

	snprintf(r.u.s.charger, sizeof(r.u.s.charger), "%s", p->cc->name);
	r.u.s.connector = k + 1;
	r.u.s.number = number;
	r.u.s.start_ms = p->open_start[k];
	r.u.s.energy_wh = c->session_wh;
	r.u.s.peak_da = p->open_peak[k];
	snprintf(r.u.s.tag, sizeof(r.u.s.tag), "%s", c->tag);
	if (reason != NULL)
		snprintf(r.u.s.reason, sizeof(r.u.s.reason), "%s", reason);
	store_put(p->m->store, &r);
}

/*
 * Sessions as the chargers report them: opened when first seen, saved
 * every minute, closed when they end. A session that was open when the
 * appliance stopped is resumed if the charger still has it, else closed
 * as it was last saved ("master-restart"): none is counted twice.
 */
void
sessions_track(struct peer *p, uint64_t now)
{
	int64_t	 wall = clock_wall_ms();

	for (int k = 0; k < p->link.nconn; k++) {
		const struct reg_conn *c = &p->link.conn[k];
		bool	 live = session_live(c);

		if (p->recovered[k]) {
			p->recovered[k] = false;
			if (!live || c->session_no != p->open_no[k]) {
				struct reg_conn old = *c;

				old.session_wh = p->recovered_row[k].energy_wh;
				session_rec(p, k, STORE_SESSION_CLOSE, p->open_no[k],
				    &old, "master-restart",
				    p->recovered_row[k].updated_ms);
				p->open_no[k] = 0;
			} else
				MLOG(p->m, LOG_INFO, "charger %s connector %d: "
				    "session %u resumed", p->cc->name, k + 1,
				    c->session_no);
		}
		if (p->open_no[k] != 0 && (!live ||
		    c->session_no != p->open_no[k])) {
			const char *why = p->link.retiring ? "decommissioned" :
			    c->state == CS_FAULT ? "fault" :
			    c->state == CS_LOCKED || c->state == CS_WAIT_AUTH ?
			    "operator" : p->prev_conn[k].state ==
			    CS_SUSPENDED_EV ? "car" : "unplug";

			session_rec(p, k, STORE_SESSION_CLOSE, p->open_no[k],
			    c->session_no == p->open_no[k] ? c : &p->prev_conn[k],
			    why, wall);
			p->open_no[k] = 0;
		}
		if (live && p->open_no[k] == 0) {
			p->open_no[k] = c->session_no;
			p->open_start[k] = wall - (int64_t)c->session_s * 1000;
			p->open_peak[k] = 0;
			p->open_saved_ms[k] = now;
			session_rec(p, k, STORE_SESSION_OPEN, c->session_no, c,
			    NULL, wall);
		}
		if (live) {
			for (int q = 0; q < EVG_PHASES; q++)
				if (c->current_da[q] > p->open_peak[k])
					p->open_peak[k] = c->current_da[q];
			if (now - p->open_saved_ms[k] >= 60000) {
				p->open_saved_ms[k] = now;
				session_rec(p, k, STORE_SESSION_UPDATE,
				    c->session_no, c, NULL, wall);
			}
		}
	}
}

/*
 * The sessions that were open when the appliance stopped, from the
 * database: each is resumed or closed at its charger's first poll
 * (sessions_track). Returns how many there were.
 */
int
sessions_recover(struct master *m)
{
	struct store_open_session open[256];
	int	 nopen = store_open_sessions(m->store, open, 256);

	for (int k = 0; k < nopen; k++) {
		bool	 found = false;

		for (int i = 0; i < m->npeers; i++) {
			struct peer *p = &m->peers[i];
			int	 c = open[k].connector - 1;

			if (strcmp(p->cc->name, open[k].charger) != 0 ||
			    c < 0 || c >= REGMAP_MAX_CONN)
				continue;
			found = true;
			p->open_no[c] = open[k].number;
			p->open_start[c] = open[k].start_ms;
			p->recovered[c] = true;
			p->recovered_row[c] = open[k];
		}
		/* Its charger was decommissioned: nobody will end it. */
		if (!found) {
			struct store_rec r = { .kind = STORE_SESSION_CLOSE,
			    .wall_ms = open[k].updated_ms };

			/* Same size, always terminated (store.c); memcpy
			 * because gcc -O2 cannot see that and refuses the
			 * snprintf as a possible truncation. */
			_Static_assert(sizeof(r.u.s.charger) ==
			    sizeof(open[k].charger), "charger name sizes");
			memcpy(r.u.s.charger, open[k].charger,
			    sizeof(r.u.s.charger));
			r.u.s.charger[sizeof(r.u.s.charger) - 1] = '\0';
			r.u.s.connector = open[k].connector;
			r.u.s.number = open[k].number;
			r.u.s.start_ms = open[k].start_ms;
			r.u.s.energy_wh = open[k].energy_wh;
			snprintf(r.u.s.reason, sizeof(r.u.s.reason),
			    "decommissioned");
			store_put(m->store, &r);
		}
	}
	return nopen;
}
