/*
 * reason.h: why a connector is offered what it is offered. Every
 * connector carries exactly one reason, the one that binds, decided by
 * the control cycle (cycle.c) and the allocator (alloc.c) with the rest
 * of the decision; the API, the web UI and the console show it. Each
 * reason has a stable snake_case code (docs/api.md: tests and scripts
 * match it) and a short text for people (docs/operator-guide.md).
 */
#ifndef EVG_REASON_H
#define EVG_REASON_H

#include <stddef.h>
#include <stdint.h>

enum conn_reason {
	REASON_NONE = 0,	/* not decided: wants current, none given */
	/* What the charger says of its connector (no current wanted). */
	REASON_NO_CAR,
	REASON_WAIT_AUTH,
	REASON_LOCKED,
	REASON_FAULT,
	REASON_CHARGER_OFFLINE,	/* value: what it is counted at */
	/* What operators and the rules ask. */
	REASON_OPERATOR_PAUSE,
	REASON_SMART_DELAY,	/* until: the random delay's end */
	REASON_SMART_PERIOD,	/* until: the no-charge period's end */
	REASON_CHARGER_REFUSED,	/* value: the setpoint it refused */
	REASON_CHARGER_HOLDS,	/* offered, held back by its charger */
	/* The allocator: no current. */
	REASON_OFFLINE_ZERO,	/* a charger offline, strategy zero */
	REASON_ROTATION_REST,	/* until: its minimum pause is over */
	REASON_OVERLOAD_CUT,	/* back as soon as the supply allows */
	REASON_NO_ROOM,		/* phase: no room for its minimum */
	REASON_GREEN_WAIT,	/* until: the surplus has held long enough */
	REASON_IDLE,		/* until (paused): offered its place again */
	REASON_BELOW_MINIMUM,	/* its maximum is below its minimum */
	/* The allocator: some current, and what stops it rising. */
	REASON_AT_MAX,
	REASON_CAR_DRAW,	/* reclaim: trimmed to its draw + 2 A */
	REASON_OFFLINE_MINIMISE,/* a charger offline, strategy minimise */
	REASON_SUPPLY_LIMIT,	/* phase: the fuse less the building */
	REASON_GROUP_LIMIT,	/* phase */
	REASON_METER_OFFLINE_LIMIT, /* phase */
	REASON_SURPLUS_LIMIT,	/* phase: the PV surplus (hybrid, green) */
	/* The planner: a raise waits for cut cars to follow (5 s). */
	REASON_RAISE_PENDING,
	/* A phase check (testmode.h). */
	REASON_TEST_MODE,	/* value: the test current */
	REASON_TEST_HOLD,	/* held steady while another is tested */
	REASON_DECOMMISSIONED,	/* its charger goes at the next restart */
	/* Circuits (alloc.h): circuit names the one that binds. */
	REASON_CIRCUIT_LIMIT,	/* phase: a circuit's fuse less its load */
	REASON_CIRCUIT_METER_OFFLINE, /* phase: its meter silent: its
				 * offline limit */
	REASON_IMBALANCE_LIMIT,	/* phase: the unbalanced-load limit */
	REASON_DEMAND_LIMIT,	/* the demand (capacity tariff) target */
	REASON_EXTERNAL_LIMIT,	/* phase: a limit set from outside */
	REASON_OCPP_PROFILE,	/* value: the cap of the OCPP charging
				 * profiles (paused below the minimum,
				 * or at it) */
	REASON_COUNT
};

struct conn_why {
	uint8_t		 reason;	/* enum conn_reason */
	int8_t		 phase;		/* 0-2: the phase that binds; -1 */
	int32_t		 value_da;	/* a current the reason names */
	uint64_t	 until_ms;	/* on the cycle's clock; 0: none */
	uint8_t		 circuit;	/* the circuit that binds (alloc.h
					 * ids); 0: the supply */
};

const char	*reason_code(enum conn_reason);
/* The text for people, with the phase, the current or who paused it
 * (who may be NULL or ""; for the circuit reasons, the circuit's name);
 * the countdown to until_ms is the UI's. */
const char	*reason_text(const struct conn_why *, const char *who,
		    char *buf, size_t len);

#endif
