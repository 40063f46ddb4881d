/*
 * alloc.h: the allocator, the heart of the appliance. A pure function of
 * the site (limits, mode, meter), the connectors (wiring, demand, draws)
 * and the time: which current each connector may offer now. It keeps the
 * main fuse safe (the sum of offers on a phase never exceeds what the
 * phase has), shares what there is fairly, rotates when there is not
 * enough for everyone, and never chatters a contactor.
 *
 * The setpoint planner (planner.c) turns its answer into setpoints in a
 * safe order; docs/load-balancing.md explains every rule to installers.
 */
#ifndef EVG_ALLOC_H
#define EVG_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reason.h"
#include "units.h"

/* IEC 61851-1 Annex A: an EV charges at 6 A at least. */
#define ALLOC_MIN_DA			60
/* Design defaults (docs/load-balancing.md). */
#define ALLOC_MIN_RUN_MS		(5 * 60 * 1000)
#define ALLOC_MIN_PAUSE_MS		(5 * 60 * 1000)
#define ALLOC_GREEN_START_MS		(60 * 1000)
#define ALLOC_GREEN_STOP_MS		(300 * 1000)
/* Reclaim: a car drawing this much less than offered for 30 s is trimmed
 * to its draw + 2 A; every 5 min it is offered its full share again. */
#define ALLOC_RECLAIM_GAP_DA		30
#define ALLOC_RECLAIM_AFTER_MS		(30 * 1000)
#define ALLOC_RECLAIM_HEADROOM_DA	20
#define ALLOC_RECLAIM_PROBE_MS		(5 * 60 * 1000)
/* A three-phase connector whose car draws on one conductor only (the
 * others below 1 A) for 10 s carries a single-phase car. */
#define ALLOC_1P_IDLE_DA		10
#define ALLOC_1P_DRAW_DA		30
#define ALLOC_1P_AFTER_MS		(10 * 1000)
/* A car that draws under 1 A (ALLOC_1P_IDLE_DA) on every phase for a
 * minute although its charger offers it at least its minimum (full, or
 * waiting for its own timer) is idle: it gives its place to cars that
 * charge. Cars start within seconds of an offer (IEC 61851-1 Annex A: the
 * contactor closes within 3 s of C; the car's own ramp); a minute leaves
 * a wide margin. Paused and idle, it takes its place again after 30
 * minutes, to see whether it wants to charge. */
#define ALLOC_IDLE_AFTER_MS		(60 * 1000)
#define ALLOC_IDLE_RETRY_MS		(30 * 60 * 1000)
/* Rotation: a paused car takes the place of a running one (past its
 * minimum run) only when it has received this much less energy in its
 * session: about 15 minutes at the three-phase minimum (4.1 kW), 45 at
 * the single-phase one. A contactor operation (a contactor is rated for
 * about 100 000) is not worth a smaller gain. */
#define ALLOC_ROTATE_GAP_WH		1000

enum alloc_mode {
	ALLOC_STATIC,	/* no meter: the group limit is shared */
	ALLOC_DYNAMIC,	/* stay under the site limit (export never helps) */
	ALLOC_HYBRID,	/* surplus PV on top; the minimum always runs */
	ALLOC_GREEN,	/* surplus only, with start/stop delays */
};

enum alloc_strategy {
	STRATEGY_ZERO,		/* a charger offline: everyone to 0 */
	STRATEGY_MINIMISE,	/* a charger offline: everyone at minimum */
	STRATEGY_MAXIMISE,	/* share among the online ones */
};

/*
 * Circuits: the supply is circuit 0 (its limits are alloc_site's); the
 * circuits below it have ids 1..ncircuits, each under a circuit with a
 * smaller id (0: the supply), so that a parent always comes first. Every
 * circuit's per-phase sum of offers (and of what offline chargers may
 * draw) stays within what it has, and within what its parents have.
 */
#define ALLOC_CIRCUITS_MAX	64	/* the supply and 63 below it */

struct alloc_circuit {
	int		 parent;	/* its id: < the circuit's own id */
	int32_t		 limit_da;	/* per phase: its fuse or cable */
	int32_t		 margin_da;	/* kept free below its limit */
	/* With a meter of its own: its load other than the chargers below
	 * it (less their draws when its clamps count them); while that
	 * meter is silent, its offline limit is all the chargers below it
	 * get (like the supply's). Without a meter: the chargers only. */
	bool		 metered;
	bool		 meter_online;
	bool		 chargers_in_clamps;
	int32_t		 offline_limit_da;	/* per phase */
	int32_t		 clamp_da[EVG_PHASES];	/* signed: < 0 export */
	bool		 building_given;	/* building_da as estimated */
	int32_t		 building_da[EVG_PHASES];
	int32_t		 imbalance_da;	/* 0: no unbalanced-load limit */
};

struct alloc_site {
	enum alloc_mode	 mode;
	enum alloc_strategy strategy;
	int32_t		 group_limit_da;	/* per phase, for the chargers */
	int32_t		 site_limit_da;		/* main fuse, per phase */
	int32_t		 margin_da;
	int32_t		 offline_limit_da;	/* per phase, meter offline */
	bool		 meter_online;
	bool		 chargers_in_clamps;
	bool		 clamp_enabled[EVG_PHASES];
	int32_t		 clamp_da[EVG_PHASES];	/* signed: < 0 export */
	uint32_t	 min_run_ms, min_pause_ms;
	uint32_t	 fallback_timeout_ms;	/* the chargers' watchdog */
	uint32_t	 green_start_ms, green_stop_ms;
	bool		 no_reclaim;	/* planning comparisons only: never
					 * take back what a car leaves */
	/* The building's load per phase as the control cycle estimated it
	 * from readings taken at the same moment (cycle.c, "Readings in
	 * time"); without it, the clamp less what the chargers last said. */
	bool		 building_given;
	int32_t		 building_da[EVG_PHASES];
	/* The supply's unbalanced-load limit: the largest difference
	 * between two phases' currents, the building included as measured
	 * (0: none). */
	int32_t		 imbalance_da;
	/* A limit set from outside (a building management system), per
	 * phase at the supply: it only ever lowers the site limit (and,
	 * without a meter, what the chargers may take). */
	bool		 external;
	int32_t		 external_da[EVG_PHASES];
	/* The demand target's share for the chargers (power_capped): their
	 * current summed over the phases (0.1 A; the power at the nominal
	 * voltage). */
	bool		 power_capped;
	int32_t		 power_cap_da;
	/* The circuits below the supply (circuit[id - 1]); 0: none. */
	size_t		 ncircuits;
	const struct alloc_circuit *circuit;
};

/* A connector as the allocator sees it in one cycle. */
struct alloc_conn {
	enum phase_conn	 phase;
	int32_t		 min_da, max_da;
	int		 priority;	/* higher first */
	uint8_t		 circuit;	/* its circuit's id; 0: the supply */
	bool		 online;	/* its charger answers */
	bool		 demand;	/* a car wants current now */
	/* Its own fallback is known: its charger answered since the master
	 * started, and its fallback settings were read or ours taken
	 * (fallback_da, fallback_ms). Until then it may run on its own, up
	 * to max_da. */
	bool		 fallback_known;
	int32_t		 fallback_da;	/* what it falls back to, offline */
	uint32_t	 fallback_ms;	/* its watchdog; 0: the site's */
	/* The most it may have in force: the setpoint it last reported, or
	 * a higher one written since (applied, though no answer came). */
	int32_t		 in_force_da;
	uint32_t	 silent_ms;	/* since it last answered (offline) */
	/* Measured at its charger's last poll, per site phase. Offline: an
	 * old reading, never used (alloc_limits, learn). */
	int32_t		 draw_da[EVG_PHASES];
	/* Its charger holds the car back itself (its contactor's minimum
	 * open time, heat): a car that draws nothing then is not idle. */
	bool		 held;
	uint64_t	 session_wh;	/* rotation: most energy pauses first */
	uint32_t	 session_id;	/* a new one resets what was learnt */
};

/* What the allocator remembers about a connector between cycles. */
struct alloc_memo {
	int32_t		 offer_da;	/* last answer */
	uint64_t	 since_ms;	/* offer went from 0 to > 0 or back */
	bool		 cut;		/* paused because the supply could not
					 * carry the running cars, not by
					 * rotation: it rests no minimum pause */
	uint32_t	 session_id;
	uint8_t		 car_lines;	/* learnt: phases mask of the car */
	uint64_t	 one_phase_since;
	bool		 idle;		/* takes nothing of its offer */
	uint64_t	 idle_since;	/* offered, drawing under 1 A */
	int32_t		 trim_da;	/* reclaim cap; 0 = none */
	uint64_t	 under_since, trimmed_ms;
	uint64_t	 green_ok_since, green_bad_since;
};

struct alloc_out {
	int32_t		 hard_da[EVG_PHASES];	/* what each phase may carry */
	int32_t		 soft_da[EVG_PHASES];	/* what the mode aims at */
	int32_t		 nonev_da[EVG_PHASES];
	int32_t		 used_da[EVG_PHASES];	/* offers + offline fallbacks */
	/* What the offers may fill in all: what the fuse leaves; in hybrid
	 * and green the surplus, or the minimums admitted if more. */
	int32_t		 fill_da[EVG_PHASES];
	int		 running, paused;
	/* Per circuit id (0: the supply, as above): what each phase may
	 * carry for the chargers below it, its load other than them, and
	 * what they are counted at (offers and offline chargers). */
	int32_t		 c_hard_da[ALLOC_CIRCUITS_MAX][EVG_PHASES];
	int32_t		 c_nonev_da[ALLOC_CIRCUITS_MAX][EVG_PHASES];
	int32_t		 c_used_da[ALLOC_CIRCUITS_MAX][EVG_PHASES];
	/* The demand target: what the chargers may take summed over the
	 * phases, and what they are counted at (cap -1: no target). */
	int32_t		 power_cap_da, power_used_da;
};

/* IEC 61851-1 Annex A: a car follows a lowered offer within 5 s. */
#define ALLOC_EV_RESPONSE_MS		5000

/*
 * What a connector's current counts on: each phase it charges on, in its
 * circuit and in every circuit above it up to the supply (resource id *
 * EVG_PHASES + phase), and the demand target's power (summed over the
 * phases: a three-phase car counts three times). The allocator and the
 * planner keep every one of them within its limit.
 */
#define ALLOC_RES_MAX	(ALLOC_CIRCUITS_MAX * EVG_PHASES + 1)

struct alloc_res {
	int		 nc;		/* circuits, the supply included */
	int		 n;		/* resources */
	int		 power;		/* the power's index; -1: no target */
	uint64_t	 anc[ALLOC_CIRCUITS_MAX];	/* a circuit and those
						 * above it, as bits */
	uint8_t		 parent[ALLOC_CIRCUITS_MAX];	/* the supply's: 0 */
};

void	 alloc_res_init(struct alloc_res *, const struct alloc_site *);
/* A connector's circuit id as the allocator takes it: an id out of range
 * is the supply's (the settings never give one). */
uint8_t	 alloc_res_circuit(const struct alloc_res *, uint8_t circuit);
void	 alloc_res_take(const struct alloc_res *, int32_t *used,
	    uint8_t circuit, uint8_t mask, int32_t add);
/* The most a connector may add without breaking lim (< 0: already over). */
int32_t	 alloc_res_room(const struct alloc_res *, const int32_t *used,
	    const int32_t *lim, uint8_t circuit, uint8_t mask);
/* What the chargers that answer said they draw, per circuit id (the
 * supply's row left 0) and phase, each counted in its circuit and every
 * one above it. */
void	 alloc_circuit_draws(const struct alloc_res *,
	    const struct alloc_conn *, size_t n,
	    int32_t ev[ALLOC_CIRCUITS_MAX][EVG_PHASES]);
/* The hard limits of every resource, from an allocation's answer. */
void	 alloc_res_hard(const struct alloc_res *, const struct alloc_out *,
	    int32_t *lim);

/* Phases (mask of site phases, bit p) connector c charges on. */
uint8_t	 alloc_phases(const struct alloc_conn *, const struct alloc_memo *);
uint8_t	 alloc_wired(enum phase_conn);
int32_t	 alloc_silent_draw(const struct alloc_site *, const struct alloc_conn *);
int32_t	 alloc_building(const struct alloc_site *, const struct alloc_conn *,
	    size_t n, int phase);
void	 alloc_limits(const struct alloc_site *, const struct alloc_conn *,
	    size_t n, struct alloc_out *);
size_t	 alloc_work_size(size_t n);	/* n < 2^24 */
/* why (n entries, or NULL): the reason each connector got what it got,
 * for the connectors online and wanting current, and those offline;
 * REASON_NONE for the others (the control cycle knows why: cycle.c). */
/* Green mode's timers (now_ms's clock; 0: none): when the first car
 * waiting for a surplus that holds may start, and when the first
 * running car stops for the lack of one. */
void	 alloc_green_timers(const struct alloc_site *,
	    const struct alloc_conn *, const struct alloc_memo *, size_t n,
	    uint64_t *start_ms, uint64_t *stop_ms);
void	 alloc_compute(const struct alloc_site *, const struct alloc_conn *,
	    struct alloc_memo *, size_t n, uint64_t now_ms, void *work,
	    int32_t *offers, struct alloc_out *, struct conn_why *why);

#endif
