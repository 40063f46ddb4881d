/*
 * charger.c: the names of the charger vocabulary (charger.h), as they
 * appear in logs, the status line, the API, the console and the docs.
 * Tests and other programs match these strings: they do not change.
 */
#include "charger.h"

const char *
conn_state_name(enum conn_state s)
{
	static const char *const names[] = {
		"available", "waiting-for-authorisation",
		"authorised-waiting-for-car", "charging", "waiting-for-current",
		"suspended-by-car", "fault", "locked",
	};

	return (unsigned)s <= CS_LOCKED ? names[s] : "?";
}

const char *
cp_state_name(enum cp_state s)
{
	static const char *const names[] = { "A", "B", "C", "D", "E", "F",
	    "invalid" };

	return (unsigned)s <= CP_INVALID ? names[s] : "?";
}

const char *
fault_name(enum fault f)
{
	static const char *const names[F_COUNT] = {
		"rcm-ac", "rcm-dc", "diode", "pilot", "overvoltage",
		"undervoltage", "pen", "overtemperature", "welded",
		"failed-to-close", "overcurrent", "meter-timeout",
		"rcm-selftest",
	};

	return (unsigned)f < F_COUNT ? names[f] : "?";
}

const char *
stop_reason_name(enum stop_reason r)
{
	static const char *const names[] = {
		"none", "car", "operator", "fault", "unplug", "master-restart",
	};

	return (unsigned)r <= STOP_MASTER_RESTART ? names[r] : "?";
}
