/*
 * reason.c: the codes and texts of the reasons (reason.h). The codes are
 * a contract (docs/api.md); the texts are for people and may improve.
 */
#include <stdio.h>

#include "reason.h"

static const struct {
	const char	*code;
	const char	*text;		/* %s: the phase, a current or who */
} reasons[REASON_COUNT] = {
	[REASON_NONE]		= { "none", "" },
	[REASON_NO_CAR]		= { "no_car", "no car" },
	[REASON_WAIT_AUTH]	= { "waiting_for_authorisation",
				    "waiting for authorisation" },
	[REASON_LOCKED]		= { "locked", "locked" },
	[REASON_FAULT]		= { "fault", "stopped by a fault" },
	[REASON_CHARGER_OFFLINE] = { "charger_offline",
				    "charger offline (counted at %s A)" },
	[REASON_OPERATOR_PAUSE]	= { "operator_pause",
				    "paused by operator (%s)" },
	[REASON_SMART_DELAY]	= { "smart_delay", "smart-charging delay" },
	[REASON_SMART_PERIOD]	= { "smart_no_charge_period",
				    "smart charging: no-charge period" },
	[REASON_CHARGER_REFUSED] = { "charger_refused",
				    "charger refused %s A" },
	[REASON_CHARGER_HOLDS]	= { "charger_holds",
				    "held by its charger (contactor rest, heat)" },
	[REASON_OFFLINE_ZERO]	= { "offline_strategy_zero",
				    "a charger is offline (strategy zero)" },
	[REASON_ROTATION_REST]	= { "rotation_rest", "rotation rest" },
	[REASON_OVERLOAD_CUT]	= { "overload_cut", "overload cut" },
	[REASON_NO_ROOM]	= { "no_room", "waiting for room (%s full)" },
	[REASON_GREEN_WAIT]	= { "green_waiting",
				    "green: waiting for surplus" },
	[REASON_IDLE]		= { "car_idle", "car takes nothing" },
	[REASON_BELOW_MINIMUM]	= { "below_minimum",
				    "its maximum is below its minimum" },
	[REASON_AT_MAX]		= { "at_maximum", "at its maximum" },
	[REASON_CAR_DRAW]	= { "car_draw",
				    "limited to what the car draws" },
	[REASON_OFFLINE_MINIMISE] = { "offline_strategy_minimise",
				    "at its minimum: a charger is offline" },
	[REASON_SUPPLY_LIMIT]	= { "supply_limit",
				    "limited by the supply (%s)" },
	[REASON_GROUP_LIMIT]	= { "group_limit",
				    "limited by the group limit (%s)" },
	[REASON_METER_OFFLINE_LIMIT] = { "meter_offline_limit",
				    "meter offline limit (%s)" },
	[REASON_SURPLUS_LIMIT]	= { "surplus_limit",
				    "limited by the PV surplus (%s)" },
	[REASON_RAISE_PENDING]	= { "raise_pending",
				    "raise waits for cut cars to follow" },
	[REASON_TEST_MODE]	= { "test_mode",
				    "test mode (phase check, offered %s A)" },
	[REASON_TEST_HOLD]	= { "test_hold",
				    "held steady for a phase check" },
	[REASON_DECOMMISSIONED]	= { "decommissioned",
				    "decommissioned: nothing until the restart "
				    "removes it" },
	[REASON_CIRCUIT_LIMIT]	= { "circuit_limit",
				    "limited by circuit %s" },
	[REASON_CIRCUIT_METER_OFFLINE] = { "circuit_meter_offline_limit",
				    "circuit %s: meter offline limit" },
	[REASON_IMBALANCE_LIMIT] = { "imbalance_limit",
				    "limited by the phase balance (%s)" },
	[REASON_DEMAND_LIMIT]	= { "demand_limit",
				    "limited by the demand target" },
	[REASON_EXTERNAL_LIMIT]	= { "external_limit",
				    "limited by the external limit (%s)" },
	[REASON_OCPP_PROFILE]	= { "ocpp_profile",
				    "capped at %s A by the CSMS's charging "
				    "profile" },
};

const char *
reason_code(enum conn_reason r)
{
	return (unsigned)r < REASON_COUNT ? reasons[r].code : "none";
}

const char *
reason_text(const struct conn_why *w, const char *who, char *buf, size_t len)
{
	enum conn_reason r = (unsigned)w->reason < REASON_COUNT ?
	    (enum conn_reason)w->reason : REASON_NONE;
	char	 arg[48];

	switch (r) {
	case REASON_CHARGER_OFFLINE:
	case REASON_CHARGER_REFUSED:
	case REASON_TEST_MODE:
	case REASON_OCPP_PROFILE:
		snprintf(arg, sizeof(arg), "%d.%d", w->value_da / 10,
		    (w->value_da < 0 ? -w->value_da : w->value_da) % 10);
		break;
	case REASON_OPERATOR_PAUSE:
		snprintf(arg, sizeof(arg), "%s", who != NULL && who[0] ?
		    who : "?");
		break;
	case REASON_CIRCUIT_LIMIT:
	case REASON_CIRCUIT_METER_OFFLINE:
		/* the circuit's name, and the phase that binds */
		if (w->phase >= 0 && w->phase < 3)
			snprintf(arg, sizeof(arg), "%.38s (L%d)", who != NULL &&
			    who[0] ? who : "?", w->phase + 1);
		else
			snprintf(arg, sizeof(arg), "%.38s", who != NULL &&
			    who[0] ? who : "?");
		break;
	default:
		if (w->phase >= 0 && w->phase < 3)
			snprintf(arg, sizeof(arg), "L%d", w->phase + 1);
		else
			snprintf(arg, sizeof(arg), "a phase");
		break;
	}
	/* Every text has at most one %s, checked by the tests. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(buf, len, reasons[r].text, arg);
#pragma GCC diagnostic pop
	return buf;
}
