/*
 * bmsmap.h: the register map a building management system reads and
 * writes over Modbus TCP (bms.c serves it). One table (bmsmap.c) gives
 * every register; docs/bms.md is printed from it (bms-doc). Pure: the
 * values come from a view of the site filled by the shell.
 */
#ifndef EVG_BMSMAP_H
#define EVG_BMSMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "units.h"

#define BMS_MAP_VERSION		1
/* Input registers (function 04): the site at 0, each connector from
 * BMS_CONN_BASE, BMS_CONN_SPAN registers apart, in the status's order. */
#define BMS_CONN_BASE		100
#define BMS_CONN_SPAN		10
#define BMS_MAX_CONN		((65536 - BMS_CONN_BASE) / BMS_CONN_SPAN)
/* Holding registers (functions 03, 06, 16). */
#define BMS_HR_LIMIT		0	/* L1, L2, L3: 0.1 A */
#define BMS_HR_VALID		3	/* s; writing it sets the limit */
#define BMS_HR_PAUSE		4	/* 1 pauses every connector */
#define BMS_HR_COUNT		5
/* The state register of a connector whose charger is offline. */
#define BMS_STATE_OFFLINE	8

/* Modbus exception codes (Modbus Application Protocol v1.1b3, 7). */
#define BMS_EXC_FUNCTION	1
#define BMS_EXC_ADDRESS		2
#define BMS_EXC_VALUE		3

struct bms_conn {
	uint16_t	 charger_id, connector;
	uint16_t	 state;		/* enum conn_state, or offline */
	int32_t		 offer;		/* 0.1 A */
	int32_t		 draw[EVG_PHASES];
	uint32_t	 session_wh;
	uint16_t	 faults;
	bool		 paused;
	char		 paused_by[32];
};

/* What the map shows: filled by the shell from the site's status. */
struct bms_view {
	bool		 meter_online;
	int32_t		 measured[EVG_PHASES], building[EVG_PHASES],
			 available[EVG_PHASES], limit[EVG_PHASES];
	int32_t		 ev[EVG_PHASES];	/* the cars' current */
	bool		 ext_on;
	int32_t		 ext_limit[EVG_PHASES];
	uint32_t	 ext_left_s;
	size_t		 n;
	const struct bms_conn *conns;
};

/* Input registers addr..addr+count-1 into out. 0, or the exception code
 * (BMS_EXC_ADDRESS: outside the map for this many connectors). */
int	bmsmap_inputs(const struct bms_view *, unsigned addr, unsigned count,
	    uint16_t *out);
/* Holding registers addr..addr+count-1 as read back. */
int	bmsmap_holdings(const struct bms_view *, unsigned addr,
	    unsigned count, uint16_t *out);

/* A write decoded: what to do, nothing yet done. */
struct bms_write {
	enum { BMS_W_LIMIT = 1, BMS_W_CLEAR, BMS_W_PAUSE, BMS_W_RESUME } op;
	int32_t		 limit_da[EVG_PHASES];
	uint32_t	 valid_s;
};

/*
 * Checks a write of count holding registers from addr and says what it
 * asks: 0, or the exception code (nothing is to change then). A limit is
 * the four registers from 0 in one request (the validity last); writing
 * 0 to the validity alone ends it; the pause register alone.
 */
int	bmsmap_write(unsigned addr, unsigned count, const uint16_t *vals,
	    struct bms_write *);

#define BMS_MAX_WRITERS		8
/*
 * The writers' allow-list: IPv4 addresses or CIDR blocks (a.b.c.d/n),
 * separated by commas or spaces, into addr and mask (network order).
 * Returns how many (0: nobody writes), or -1 for a list that is not one.
 */
int	bms_writers_parse(const char *list, uint32_t addr[BMS_MAX_WRITERS],
	    uint32_t mask[BMS_MAX_WRITERS]);

/* The map as markdown tables (docs/bms.md). */
void	bmsmap_print_markdown(FILE *);

#endif
