/*
 * meter.h: the site meter (the CT clamps after the main switch): what
 * each driver reads and how, and whether a reading can be trusted. Pure:
 * meterio.c does the Modbus traffic in its own thread.
 */
#ifndef EVG_METER_H
#define EVG_METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "units.h"

enum meter_driver { METER_SENSE, METER_SDM630, METER_SDM120, METER_GENERIC };
enum meter_type { MT_INT16, MT_UINT16, MT_INT32, MT_UINT32, MT_FLOAT32 };

/* Our CT kit's register map (input registers). */
#define SENSE_MAP_VERSION	1
#define SENSE_NREGS		8	/* 0 version, 1-3 I, 4-6 U, 7 frame */
/* Eastron SDM630 / SDM120 input registers (float32, high word first). */
#define SDM_NREGS_630		0x12	/* V1-3, I1-3, P1-3 */
#define SDM_NREGS_120		0x0E	/* V, -, -, I, -, -, P */

/* A reading beyond this many times the CT's rating is nonsense. */
#define METER_IMPLAUSIBLE_X10	15	/* 1.5 x */

struct meter_generic_reg {
	uint16_t	 addr;
	enum meter_type	 type;
	bool		 word_swap;	/* low word first (32-bit types) */
	int32_t		 scale_milli;	/* 0.1 A per raw unit, x 1000 */
};

struct meter_params {
	enum meter_driver driver;
	bool		 clamp_enabled[EVG_PHASES];
	int32_t		 ct_rating_da[EVG_PHASES];
	int		 offline_after;		/* faults in a row */
	int		 frame_stall_polls;	/* sense: frame counter */
	/* A reading older than this is no reading: about the time that
	 * offline_after faulty polls take (meter_core_age). */
	uint32_t	 stale_ms;
	struct meter_generic_reg generic[EVG_PHASES];
};

struct meter_reading {
	int32_t		 current_da[EVG_PHASES];	/* signed: < 0 export */
	int32_t		 voltage_dv[EVG_PHASES];
	bool		 has_frame;
	uint16_t	 frame;
};

/* One read request of a driver: the registers to read (function 04). */
struct meter_read {
	uint16_t	 addr, count;
};

int	meter_reads(const struct meter_params *, struct meter_read *out,
	    int max);
int	meter_decode(const struct meter_params *, const uint16_t *const *regs,
	    struct meter_reading *, const char **why);

enum meter_news { METER_WENT_ONLINE = 1, METER_WENT_OFFLINE = 2 };

struct meter_core {
	bool		 online;
	int		 faults;		/* in a row */
	int		 stalled;		/* polls with the same frame */
	bool		 have_frame;
	uint16_t	 last_frame;
	struct meter_reading last;		/* last good one */
	uint64_t	 last_ok_ms;
	char		 why[128];		/* of the last fault */
	uint64_t	 readings, faults_total;
};

unsigned meter_core_good(struct meter_core *, const struct meter_params *,
	    const struct meter_reading *, uint64_t now_ms);
unsigned meter_core_fault(struct meter_core *, const struct meter_params *,
	    const char *why, uint64_t now_ms);
unsigned meter_core_age(struct meter_core *, const struct meter_params *,
	    uint64_t now_ms);

#endif
