/*
 * charger.h: the charger vocabulary that the firmware and the master
 * share through the register map (docs/protocol.md): a connector's state,
 * its pilot state, its fault bits, why a session stopped, the unit's
 * status; and the names they go by in logs, the API, the console and the
 * docs (charger.c). The LED codes are in led.h.
 */
#ifndef EVG_CHARGER_H
#define EVG_CHARGER_H

/* Connector state (register 100n+1). */
enum conn_state {
	CS_AVAILABLE = 0,
	CS_WAIT_AUTH = 1,	/* car plugged in, not authorised */
	CS_AUTH_WAIT_CAR = 2,	/* authorised, the car has not started */
	CS_CHARGING = 3,
	CS_NO_CURRENT = 4,		/* waiting for current: offer 0 */
	CS_SUSPENDED_EV = 5,	/* offer > 0, the car stays in B */
	CS_FAULT = 6,
	CS_LOCKED = 7,		/* out of service */
};

/* Control pilot state, IEC 61851-1 Annex A (register 100n+0). */
enum cp_state {
	CP_A = 0,	/* +12 V: no car */
	CP_B = 1,	/* +9 V: car connected, not ready */
	CP_C = 2,	/* +6 V: car ready, charging */
	CP_D = 3,	/* +3 V: charging, ventilation required */
	CP_E = 4,	/* 0 V: pilot shorted to earth, or EVSE not powered */
	CP_F = 5,	/* -12 V: EVSE not available */
	CP_INVALID = 6,	/* between bands */
};

/* Fault bits (register 100n+2). */
enum fault {
	F_RCM_AC = 0,
	F_RCM_DC = 1,
	F_DIODE = 2,
	F_PILOT = 3,		/* E, F or between bands while we drive +12 */
	F_OVERVOLTAGE = 4,
	F_UNDERVOLTAGE = 5,
	F_PEN = 6,
	F_OVERTEMP = 7,
	F_WELDED = 8,
	F_NO_CLOSE = 9,
	F_OVERCURRENT = 10,
	F_METER = 11,
	F_RCM_SELFTEST = 12,
	F_COUNT
};
#define FAULT_BIT(f)	(1u << (f))

/* Why a session ended (the firmware's event, the master's records). */
enum stop_reason {
	STOP_NONE = 0,
	STOP_CAR = 1,		/* the car had stopped, then was unplugged */
	STOP_OPERATOR = 2,	/* stop or lock command */
	STOP_FAULT = 3,
	STOP_UNPLUG = 4,	/* unplugged while charging or paused */
	STOP_MASTER_RESTART = 5,/* recorded by the master only */
};

/* The unit's status (register 3). */
enum unit_status {
	UNIT_NORMAL = 0,
	UNIT_FALLBACK = 1,
	UNIT_FAULT = 2,
	UNIT_BOOTING = 3,
};

const char	*conn_state_name(enum conn_state);
const char	*cp_state_name(enum cp_state);
const char	*fault_name(enum fault);
const char	*stop_reason_name(enum stop_reason);

#endif
