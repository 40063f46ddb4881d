/*
 * cycle.h: one control cycle of the site, as a pure function. What the
 * meter and the chargers last said (each reading with its time), the
 * configuration and what operators asked, in; the setpoints, which of
 * them must be written now, and the overload cuts, out. The master, the
 * planning runs (evgroup-sim plan) and the scenario tests all run this
 * one cycle; none keeps a copy of its own.
 */
#ifndef EVG_CYCLE_H
#define EVG_CYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "planner.h"
#include "regmap.h"

/* A connector as configured. */
struct cycle_conf {
	enum phase_conn	 phase;
	int32_t		 min_da, max_da;
	int		 priority;
	uint8_t		 circuit;	/* its circuit (alloc.h); 0: supply */
};

/* What the master last read of one connector, through its charger's
 * register map, and what it knows of that charger. */
struct cycle_reading {
	bool		 online;	/* its charger answers */
	bool		 heard;		/* it answered since we started */
	bool		 fallback_known;	/* its fallback settings read,
						 * or ours taken */
	uint16_t	 fallback_da, fallback_s;
	uint64_t	 read_ms;	/* when it was last read */
	uint64_t	 taken_ms;	/* when that poll began: its registers
					 * were read after this */
	uint16_t	 may_force_da;	/* highest setpoint possibly in force */
	struct reg_conn	 rc;		/* as last read; old when offline */
};

/* What operators and the smart-charging rules ask of a connector. */
struct cycle_op {
	bool		 paused;	/* an operator paused it */
	bool		 retired;	/* its charger is being decommissioned */
	bool		 blocked;	/* a no-charge period or random delay */
	/* Why blocked: REASON_SMART_DELAY or REASON_SMART_PERIOD, and until
	 * when (now_ms's clock; 0: unknown). */
	uint8_t		 blocked_why;
	uint64_t	 blocked_until_ms;
	/* The charger refused this setpoint, still the one we want (0:
	 * none): the car does not get what it is offered. */
	int32_t		 refused_da;
	/* A phase check (testmode.h): offered exactly this (> 0) before
	 * anyone else, when the fuse allows; no smart-charging wait (the
	 * caller's) nor rotation rest. */
	int32_t		 test_da;
	/* Held steady while a phase check runs elsewhere: never raised nor
	 * started (a cut for the fuse still comes). */
	bool		 hold;
	/* OCPP Smart Charging (ocppprof.h): the cap of the charging
	 * profiles in force, 0.1 A per phase (cycle_ocpp_cap). It only
	 * lowers the connector's maximum; below its minimum the connector
	 * pauses (REASON_OCPP_PROFILE). */
	bool		 capped;
	int32_t		 cap_da;
};

/* A connector's OCPP cap: its own (TxProfile / TxDefaultProfile, with
 * the charge point's maximum) and its share of its charger's total (the
 * ChargePointMaxProfile), split evenly among the charger's connectors
 * that want current now (wanting; at least one). INT32_MAX: none. */
int32_t	cycle_ocpp_cap(int32_t conn_da, int32_t charger_da, int wanting);

struct cycle_out {
	/* Per connector: the setpoint, and whether it must be written at
	 * once (a cut, against what we last told it or what it says is in
	 * force) rather than at its next poll. */
	const int32_t	*setpoint;
	bool		*write_now;
	/* Overload: a phase whose available current fell below what was
	 * offered on it; the cut went out in this cycle. */
	bool		 overload[EVG_PHASES];
	int32_t		 before_da[EVG_PHASES], offered_da[EVG_PHASES];
	/* The same for the circuits: bit id set when one of its phases
	 * had less than what was offered on it. */
	uint64_t	 overload_circuits;
	int		 cut;		/* connectors cut below their count */
	int		 changed;	/* setpoints that changed */
	/* Per connector: why it is offered what it is (reason.h). */
	const struct conn_why *why;
};

/* A building estimate older than this is no help to the next one. */
#define CYCLE_BUILDING_KEEP_MS	5000

struct cycle {
	struct alloc_site site;		/* set by the caller */
	/* Set by the caller with site.clamp_da: when that meter reading
	 * was taken (0: unknown, each cycle counts as a new reading), and
	 * the deadband (site.deadband, 0.1 A). */
	uint64_t	 meter_ms;
	int32_t		 deadband_da;
	size_t		 n;
	struct alloc_conn *ac;
	struct alloc_memo *memo;
	struct plan_conn *plan;
	int32_t		*target, *setpoint, *told;
	bool		*write_now;
	struct conn_why	*why;
	void		*work;
	struct alloc_out out;
	int32_t		 last_hard[EVG_PHASES];
	uint64_t	 cycles;
	/* Readings in time: the building as estimated at the last two
	 * aligned meter readings (bld_ms: the newer's time), the highest
	 * floor of the readings since, and the value in force after the
	 * deadband. */
	bool		 bld_have;
	uint64_t	 bld_ms, bld_seen_ms;
	int32_t		 bld_cur[EVG_PHASES], bld_prev[EVG_PHASES];
	int32_t		 bld_floor[EVG_PHASES];
	int32_t		 bld_held[EVG_PHASES];
	/* Circuits (site.circuit, ncircuits: the caller's): each metered
	 * one's reading, when it was taken (c_meter_ms[id], set by the
	 * caller with its clamp_da; 0: unknown, each cycle counts as a new
	 * reading), and its load as estimated: the higher of its last two
	 * readings' (a car that started between a meter's reading and its
	 * charger's makes one of them low). What the allocator gets: circ. */
	uint64_t	 c_meter_ms[ALLOC_CIRCUITS_MAX];
	uint64_t	 c_seen_ms[ALLOC_CIRCUITS_MAX];
	bool		 c_have[ALLOC_CIRCUITS_MAX];
	int32_t		 c_cur[ALLOC_CIRCUITS_MAX][EVG_PHASES];
	int32_t		 c_prev[ALLOC_CIRCUITS_MAX][EVG_PHASES];
	int32_t		 c_last_hard[ALLOC_CIRCUITS_MAX][EVG_PHASES];
	struct alloc_circuit circ[ALLOC_CIRCUITS_MAX - 1];
};

bool	cycle_wants_current(const struct reg_conn *);
int	cycle_init(struct cycle *, size_t n);
void	cycle_free(struct cycle *);
void	cycle_forget(struct cycle *);
void	cycle_run(struct cycle *, const struct cycle_conf *,
	    const struct cycle_reading *, const struct cycle_op *,
	    uint64_t now_ms, struct cycle_out *);

#endif
