/*
 * mbguard.h: who the charger's Modbus TCP server gives a connection to,
 * and for how long, as pure functions of its connection table, the new
 * peer and now_ms. The masters (link.masters) always get in; any other
 * address has a few connections at most and loses them when it idles.
 */
#ifndef EVG_MBGUARD_H
#define EVG_MBGUARD_H

#include <stdbool.h>
#include <stdint.h>

/* Design: an address not in link.masters may hold 2 connections (a
 * monitoring tool and an installer's laptop need no more), and loses one
 * that sends no request for 5 s (issue 17, item 9: idle connections must
 * not keep the master off). The master polls every 0.1-60 s: its own
 * connections never idle out. A master's address holds 2 too (its poll
 * and the web UI's charger test): a third takes the place of its own
 * quietest, so that one master can never take another's slots (audit of
 * issue 17, F8). */
#define MBG_PER_ADDR		2
#define MBG_MASTER_PER_ADDR	2
#define MBG_IDLE_MS		5000

struct mbg_conn {
	bool		 used;
	bool		 master;	/* its address is in link.masters */
	uint32_t	 addr;		/* IPv4, network order */
	uint64_t	 last_ms;	/* accepted, or last whole request */
};

enum mbg_verdict {
	MBG_ACCEPT,		/* into *slot */
	MBG_EVICT,		/* close *slot first, then use it */
	MBG_REFUSE_ADDR,	/* that address has its connections */
	MBG_REFUSE_FULL,	/* every slot taken, nobody to make room */
};

enum mbg_verdict mbguard_admit(const struct mbg_conn *tab, int n,
		    uint32_t addr, bool master, int *slot);
bool		 mbguard_idle(const struct mbg_conn *, uint64_t now_ms);

#endif
