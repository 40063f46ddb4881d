/*
 * mbguard.c: the charger's connection rules (mbguard.h). No sockets, no
 * clock: mbserver.c asks and carries the verdict out.
 */
#include <stddef.h>

#include "mbguard.h"

/* How many connections in tab are from addr. */
static int
held(const struct mbg_conn *tab, int n, uint32_t addr)
{
	int	 k = 0;

	for (int i = 0; i < n; i++)
		k += tab[i].used && tab[i].addr == addr;
	return k;
}

/*
 * The connection in tab that has been quiet longest among those of
 * address addr (only_addr), or else among the others' (master false) or
 * the masters' that hold at least two (master true); -1 when none.
 */
static int
quietest(const struct mbg_conn *tab, int n, bool master, bool only_addr,
    uint32_t addr)
{
	int	 best = -1;

	for (int i = 0; i < n; i++) {
		if (!tab[i].used || (only_addr && tab[i].addr != addr) ||
		    (!only_addr && (tab[i].master != master ||
		    (master && held(tab, n, tab[i].addr) < 2))))
			continue;
		if (best < 0 || tab[i].last_ms < tab[best].last_ms)
			best = i;
	}
	return best;
}

/*
 * Where a new connection from addr goes. Another address is refused
 * beyond MBG_PER_ADDR connections, or when every slot is taken. A master
 * always gets in. Beyond MBG_MASTER_PER_ADDR it takes the place of its
 * own connection quiet longest (a connection it lost without the charger
 * hearing of it: a cable pulled mid-poll leaves one half open). Else into
 * a free slot, else in place of the others' connection quiet longest;
 * with every slot the masters', one that holds none takes the place of
 * the quietest of a master that holds two (with no more masters than
 * slots there is one), and one that holds one its own.
 */
enum mbg_verdict
mbguard_admit(const struct mbg_conn *tab, int n, uint32_t addr, bool master,
    int *slot)
{
	int	 same = held(tab, n, addr), free_slot = -1;

	for (int i = 0; i < n && free_slot < 0; i++)
		if (!tab[i].used)
			free_slot = i;
	if (!master && same >= MBG_PER_ADDR)
		return MBG_REFUSE_ADDR;
	if (master && same >= MBG_MASTER_PER_ADDR) {
		*slot = quietest(tab, n, true, true, addr);
		return MBG_EVICT;
	}
	if (free_slot >= 0) {
		*slot = free_slot;
		return MBG_ACCEPT;
	}
	if (!master)
		return MBG_REFUSE_FULL;
	if ((*slot = quietest(tab, n, false, false, 0)) >= 0 ||
	    (same == 0 && (*slot = quietest(tab, n, true, false, 0)) >= 0) ||
	    (*slot = quietest(tab, n, true, true, addr)) >= 0)
		return MBG_EVICT;
	return MBG_REFUSE_FULL;
}

/* Has this connection idled out? Never a master's. */
bool
mbguard_idle(const struct mbg_conn *c, uint64_t now)
{
	return c->used && !c->master && now - c->last_ms >= MBG_IDLE_MS;
}
