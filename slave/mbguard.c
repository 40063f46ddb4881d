/*
 * mbguard.c: the charger's connection rules (mbguard.h). No sockets, no
 * clock: mbserver.c asks and carries the verdict out.
 */
#include <stddef.h>

#include "mbguard.h"

/* The connection in tab that has been quiet longest, among the masters'
 * (of address addr) or among the others'; -1 when there is none. */
static int
quietest(const struct mbg_conn *tab, int n, bool master, uint32_t addr)
{
	int	 best = -1;

	for (int i = 0; i < n; i++) {
		if (!tab[i].used || tab[i].master != master ||
		    (master && tab[i].addr != addr))
			continue;
		if (best < 0 || tab[i].last_ms < tab[best].last_ms)
			best = i;
	}
	return best;
}

/*
 * Where a new connection from addr goes. Another address is refused
 * beyond MBG_PER_ADDR connections, or when every slot is taken. A master
 * always gets in: into a free slot, else in place of the others'
 * connection quiet longest, else in place of its own quiet longest (a
 * connection it lost without the charger hearing of it: a cable pulled
 * mid-poll leaves one half open); refused only when the slots are all
 * other masters'.
 */
enum mbg_verdict
mbguard_admit(const struct mbg_conn *tab, int n, uint32_t addr, bool master,
    int *slot)
{
	int	 same = 0, free_slot = -1;

	for (int i = 0; i < n; i++) {
		if (!tab[i].used) {
			if (free_slot < 0)
				free_slot = i;
		} else if (tab[i].addr == addr)
			same++;
	}
	if (!master && same >= MBG_PER_ADDR)
		return MBG_REFUSE_ADDR;
	if (free_slot >= 0) {
		*slot = free_slot;
		return MBG_ACCEPT;
	}
	if (!master)
		return MBG_REFUSE_FULL;
	if ((*slot = quietest(tab, n, false, 0)) >= 0 ||
	    (*slot = quietest(tab, n, true, addr)) >= 0)
		return MBG_EVICT;
	return MBG_REFUSE_FULL;
}

/* Has this connection idled out? Never a master's. */
bool
mbguard_idle(const struct mbg_conn *c, uint64_t now)
{
	return c->used && !c->master && now - c->last_ms >= MBG_IDLE_MS;
}
