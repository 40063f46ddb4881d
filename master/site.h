/*
 * site.h: the site as the master runs it: the meter, the allocator and
 * the planner in the loop, the status file and operator commands.
 */
#ifndef EVG_SITE_H
#define EVG_SITE_H

#include <stdbool.h>
#include <stdint.h>

#include "alarms.h"
#include "alloc.h"
#include "cycle.h"
#include "demand.h"
#include "extlimit.h"
#include "meter.h"
#include "meterio.h"
#include "planner.h"
#include "smart.h"
#include "testmode.h"

struct master;

#define MASTER_RECENT		20	/* newest events, in the status */

struct recent_event {
	int64_t		 time_ms;
	int		 severity;
	char		 source[48];
	char		 code[32];
	char		 text[160];
};

/*
 * The site's status as it stood at one moment, copied out of the loop
 * (cheap) so that it can be turned into JSON in another thread.
 */
struct snap_conn {
	char		 charger[32];
	int		 charger_id, connector;
	bool		 online, demand, paused, boost, smart_waiting;
	const char	*state, *cp, *phase, *led, *led_colour;
	char		 circuit[MASTER_NAME_LEN];	/* "supply" */
	char		 why_circuit[MASTER_NAME_LEN];	/* the one that
							 * binds (why) */
	int32_t		 target, setpoint, in_force, offer, max_current;
	int32_t		 current[EVG_PHASES];
	uint32_t	 session_wh, session_s;
	uint16_t	 session_no, faults;
	char		 tag[20];
	/* Why it is offered what it is (reason.h), who paused it, and
	 * until when (since the epoch; 0: no end known). */
	struct conn_why	 why;
	char		 paused_by[32];
	int64_t		 until_ms;
	int32_t		 ocpp_cap;	/* OCPP profiles' cap; INT32_MAX none */
};

/* A charger's link to the CSMS (ocppview.c; docs/api.md, "OCPP"). */
struct snap_ocpp {
	char		 identity[49];
	const char	*link;		/* off, connecting, booting, accepted,
					 * pending, rejected */
	int64_t		 last_msg_ms;	/* since the epoch; 0: none */
	int		 queued;	/* transaction messages waiting */
	char		 why[96];	/* the last drop's or refusal's */
};

struct snap_charger {
	int		 id, port, connectors, temp_ddeg;
	char		 name[32], host[16], serial[20];
	bool		 ocpp_cp;	/* a charge point of the CSMS */
	struct snap_ocpp ocpp;
	bool		 online;
	const char	*status;
	int		 circuit_id;	/* 0: the supply */
};

/* A circuit below the supply as the status shows it. */
struct snap_circuit {
	int		 id, depth;
	char		 name[MASTER_NAME_LEN], parent[MASTER_NAME_LEN];
	int32_t		 limit, margin, offline_limit, imbalance_limit;
	bool		 metered, meter_online, measured_ok;
	char		 meter_why[128];
	int32_t		 measured[EVG_PHASES], building[EVG_PHASES],
			 available[EVG_PHASES], used[EVG_PHASES];
	int32_t		 imbalance;	/* of its measured phases */
};

struct site_snap {
	size_t		 n, cap;
	struct snap_conn *conns;
	int		 nch, chcap;
	struct snap_charger *chargers;
	char		 site[64], meter_why[128];
	const char	*mode, *authorisation;
	bool		 meter_online, restart_needed;
	int		 npending;	/* settings waiting for a restart */
	int32_t		 clamp[EVG_PHASES], ev[EVG_PHASES], non_ev[EVG_PHASES],
			 available[EVG_PHASES], used[EVG_PHASES],
			 limit[EVG_PHASES];
	/* Hybrid and green: what the building exports (0 when it draws),
	 * the surplus the cars may use, what the cars may take in all now,
	 * and green's timers (since the epoch; 0: none). */
	int32_t		 exported[EVG_PHASES], surplus[EVG_PHASES],
			 may_take[EVG_PHASES];
	int64_t		 green_start_ms, green_stop_ms;
	int32_t		 group_limit, site_limit, margin, offline_limit;
	uint64_t	 allocations, uptime_ms;
	int64_t		 time_ms;
	int		 running, paused;	/* the allocator's */
	int		 charging, waiting;	/* cars, as the chargers say */
	/* The supply's unbalanced-load limit and its imbalance now (max
	 * - min of the measured phases; has_imbalance false: no meter). */
	int32_t		 imbalance_limit, imbalance;
	bool		 has_imbalance;
	int		 ncircuits;
	struct snap_circuit circuits[ALLOC_CIRCUITS_MAX - 1];
	struct ext_limit ext;
	int64_t		 ext_until_ms;	/* since the epoch */
	bool		 demand_on;
	struct demand_conf demand_conf;
	int64_t		 demand_start_ms, demand_end_ms, demand_average_w,
			 demand_projected_w, demand_cap_w;
	struct recent_event events[MASTER_RECENT];	/* newest first */
	int		 nevents;
	struct alarm	 alarms[ALARMS_MAX];	/* what is wrong now */
	int		 nalarms, alarms_total;
	struct {
		bool	 enabled;
		char	 url[256];
		int	 connected, total;	/* accepted, charge points */
	} ocpp;
};

struct site_slot {
	int		 peer;
	int		 k;		/* connector 0 or 1 */
	bool		 op_paused;	/* an operator paused it */
	char		 paused_by[32];	/* who (the reason's text) */
	struct smart_conn smart;
	bool		 smart_blocked;
	char		 rfid_seen[20];	/* the tag last decided on, or used */
	bool		 rfid_looked;	/* its tag register read once */
	/* OCPP Smart Charging (site_ocpp_cap_set): the connector's cap and
	 * its charger's total, 0.1 A per phase; INT32_MAX none */
	int32_t		 ocpp_conn_da, ocpp_charger_da;
};

/*
 * What must be written at once, out of turn: the chargers to poll (their
 * index in the master's peers), one entry for each connector cut and one
 * for an operator's command, in that order. Filled by site_allocate() and
 * site_command(), valid until the next of them; the loop starts the polls
 * (master_write_now()).
 */
struct site_writes {
	int		*peer;		/* room for every connector, and one */
	size_t		 n;
};

struct site_minute {
	int64_t		 minute;
	int		 n;
	int32_t		 min[EVG_PHASES], max[EVG_PHASES];
	int64_t		 sum[EVG_PHASES], ev[EVG_PHASES];
};

/*
 * A circuit below the supply as the site runs it: its meter (when it has
 * one: its own thread, judged like the supply's) and since when each of
 * its phases is over its limit (the alarm).
 */
struct site_circuit {
	/* copies: a setting changed while it runs changes nothing under
	 * its meter's thread (a circuit's meter waits for a restart) */
	char			 name[MASTER_NAME_LEN];
	struct meter_conf	 meter;
	struct site		*s;
	struct meter_params	 mp;
	struct meter_core	 mc;
	struct meterio		 mio;
	bool			 running;
	uint64_t		 over_since_ms[EVG_PHASES];
	unsigned		 over;
};

struct site {
	struct site_minute	 minute;
	struct master		*m;
	size_t			 n;
	struct site_slot	*slot;
	/* the control cycle and its inputs, one a connector */
	struct cycle		 cy;
	struct cycle_conf	*conf;
	struct cycle_reading	*rd;
	struct cycle_op		*op;
	struct meter_params	 mp;
	struct meter_core	 mc;
	struct meterio		 mio;		/* started by the loop */
	bool			 meter_running;
	/* Readings in time: a meter reading waits for the chargers' round
	 * before the cycle gets it (site_round_done). */
	bool			 meter_fresh;	/* a reading not handed over */
	bool			 meter_given;	/* the cycle has one (online) */
	struct site_writes	 writes;
	/* A batch of operator commands (a building management system's
	 * pause of every connector): site_command() leaves the allocation
	 * and its writes to the caller's one site_allocate() after the
	 * batch, rather than one a connector (n of them, each over n). */
	bool			 batch;
	/* The circuits below the supply (circuit[id - 1]) and what the
	 * allocator is given of them each cycle. */
	int			 ncirc;
	struct site_circuit	 circ[ALLOC_CIRCUITS_MAX - 1];
	struct alloc_circuit	 acirc[ALLOC_CIRCUITS_MAX - 1];
	/* A limit set from outside (site_external_limit_set), kept in the
	 * database until it ends; what a start found there (1 in force, 2
	 * ended while stopped), told at the first cycle */
	struct ext_limit	 ext;
	int			 ext_found;
	/* The demand target at the supply: its window so far */
	struct demand_conf	 dconf;
	struct demand		 demand;
	/* The phase check under way or last ended (testsite.c) */
	struct testmode		 tm;
	char			 tm_who[32];
	int			 tm_seconds;
	int64_t			 tm_wall_ms;	/* its start */
};

int	site_start(struct site *, struct master *);
void	site_ops_load(struct site *);
void	site_ops_restored(struct site *);
const struct site_writes *site_allocate(struct site *, uint64_t now_ms);
const struct site_writes *site_round_done(struct site *, uint64_t now_ms);
void	site_meter_result(struct site *, bool ok, const struct meter_reading *,
	    const char *why, uint64_t now_ms);
void	site_free(struct site *);
struct uv_loop_s;
int	site_meters_start(struct site *, struct uv_loop_s *);
void	site_meters_stop(struct site *);
/* The external limit (A per phase at the supply, 0.1 A), valid valid_ms
 * from now: set or renewed by who; capped at the site limit. */
void	site_external_limit_set(struct site *, const char *who,
	    const int32_t limit_da[EVG_PHASES], uint64_t valid_ms,
	    uint64_t now_ms);
bool	site_external_limit_clear(struct site *, const char *who);
void	site_external_limit_load(struct site *);
/* sitecirc.c: the circuits, the external limit and the demand target
 * in the cycle's inputs, once a cycle before it runs */
void	site_circuits_start(struct site *);
void	site_circuits_params(struct site *);
void	site_circuits_cycle(struct site *, uint64_t now_ms, int64_t wall_ms);
void	site_demand_reading(struct site *, const struct meter_reading *,
	    int64_t wall_ms);
bool	site_circuit_measured(const struct site *, int id,
	    int32_t measured[EVG_PHASES], int32_t building[EVG_PHASES]);
const char *site_circuit_name(const struct site *, int id);
char	*site_status_json(const struct site *, uint64_t now_ms);
int	site_snap_alloc(struct site_snap *, size_t conns, int chargers);
void	site_snap_free(struct site_snap *);
void	site_snapshot(const struct site *, uint64_t now_ms, struct site_snap *);
void	site_limit_in_force(const struct site *, int32_t limit[EVG_PHASES],
	    int32_t measured[EVG_PHASES]);
char	*site_snap_json(const struct site_snap *);
/* A command that goes to a charger: which connector, and its number
 * there (link_ask), to wait for the charger's answer. */
struct site_ask {
	int		 peer, k;
	uint32_t	 seq;		/* 0: nothing to wait for */
};

char	*site_command(struct site *, const char *who, const char *line,
	    uint64_t now_ms, const struct site_writes **writes,
	    struct site_ask *ask);
void	site_apply_params(struct site *);
/* OCPP Smart Charging (ocppprof.h), in the loop thread: the cap of the
 * charging profiles in force on connector (1..n) of charger_index (the
 * master's peers), or with connector 0 the charger's total, shared each
 * cycle among its connectors that want current (cycle_ocpp_cap); in 0.1
 * A per phase, INT32_MAX none. It only lowers a connector's maximum.
 * 0, or -1 when there is no such connector (nothing changed). */
int	site_ocpp_cap_set(struct site *, int charger_index, int connector,
	    int32_t cap_da);
struct json_t;
int	site_config_apply(struct master *, const char *who, int n,
	    const char *const *section, const char *const *key,
	    const char *const *value, int add_charger, bool confirm,
	    struct json_t **detail, char *msg, size_t, char *field, size_t);
bool	site_needs_restart(const char *section, const char *key);

/* ocppview.c: each charger's link to the CSMS, the site's count */
bool	ocppview_charger(const struct master *, int charger,
	    struct snap_ocpp *);
bool	ocppview_accepted(const struct snap_ocpp *);
void	ocppview_site(const struct master *, struct site_snap *);

#endif
