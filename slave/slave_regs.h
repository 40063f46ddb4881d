/*
 * slave_regs.h: the charger's state as register map v1, and master writes
 * applied to it. Pure: no sockets; mbserver.c carries the frames.
 */
#ifndef EVG_SLAVE_REGS_H
#define EVG_SLAVE_REGS_H

#include <stdint.h>

#include "regmap.h"
#include "slave.h"

/* Register images cover addresses 0..SLAVE_REGS_SPAN-1. */
#define SLAVE_REGS_SPAN	(REGMAP_CONN_BASE * (REGMAP_MAX_CONN + 1))

void	slave_regs_inputs(const struct slave *, uint64_t now_ms, uint16_t *);
void	slave_regs_holdings(const struct slave *, uint16_t *);
int	slave_regs_write(struct slave *, unsigned addr, unsigned count,
	    const uint16_t *vals, uint64_t now_ms);

#endif
