/*
 * ctl.c: parses control-socket lines. Every argument is checked for type
 * and range here, so that executing a command never sees bad input.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "hal_sim.h"
#include "strnum.h"

#define MAX_WORDS	5

const char ctl_help[] =
    "commands: status | plug N | unplug N | car N charge|stop|ventilate | "
    "car N max A | car N phases 1|3 | car N lag MS | car N soc PCT | "
    "car N capacity KWH | car N stubborn on|off | fault N NAME | "
    "clear N NAME | temp DEGC | voltage PHASE VOLTS | pe VOLTS | "
    "rfid N TAG | setpoint N A | authorise N | stop N | lock N | unlock N | "
    "reset N | help";

static const struct {
	const char	*word;
	enum ctl_verb	 verb;
	int		 nargs;		/* words after the verb */
	bool		 conn;		/* first argument is a connector */
} verbs[] = {
	{ "status", CTL_STATUS, 0, false },
	{ "help", CTL_HELP, 0, false },
	{ "plug", CTL_PLUG, 1, true },
	{ "unplug", CTL_UNPLUG, 1, true },
	{ "car", CTL_CAR_WANT, -1, true },	/* sub-verbs below */
	{ "fault", CTL_FAULT, 2, true },
	{ "clear", CTL_CLEAR, 2, true },
	{ "temp", CTL_TEMP, 1, false },
	{ "voltage", CTL_VOLTAGE, 2, false },
	{ "pe", CTL_PE, 1, false },
	{ "rfid", CTL_RFID, 2, true },
	{ "setpoint", CTL_SETPOINT, 2, true },
	{ "authorise", CTL_AUTHORISE, 1, true },
	{ "authorize", CTL_AUTHORISE, 1, true },
	{ "stop", CTL_STOP, 1, true },
	{ "lock", CTL_LOCK, 1, true },
	{ "unlock", CTL_UNLOCK, 1, true },
	{ "reset", CTL_RESET, 1, true },
};

static int
fail(char *err, size_t errlen, const char *msg, const char *arg)
{
	if (arg != NULL)
		snprintf(err, errlen, "%s: '%s'", msg, arg);
	else
		snprintf(err, errlen, "%s", msg);
	return -EINVAL;
}

static int
parse_car(char **w, int n, struct ctl_cmd *cmd, char *err, size_t errlen)
{
	const char *sub = w[2], *arg = w[3];
	long	 v;
	bool	 b;

	if (n == 3) {
		static const char *const wants[] = { "stop", "charge",
		    "ventilate" };

		for (int i = 0; i < 3; i++)
			if (strcmp(sub, wants[i]) == 0) {
				cmd->verb = CTL_CAR_WANT;
				cmd->value = i;	/* enum car_want */
				return 0;
			}
		return fail(err, errlen, "car: expected charge, stop or "
		    "ventilate", sub);
	}
	if (n != 4)
		return fail(err, errlen, "car: expected 'car N WHAT [VALUE]'",
		    NULL);
	if (strcmp(sub, "max") == 0) {
		cmd->verb = CTL_CAR_MAX;
		if (strnum_deci(arg, 60, 800, &v) != 0)
			return fail(err, errlen, "car max: must be 6.0-80.0 A",
			    arg);
	} else if (strcmp(sub, "phases") == 0) {
		cmd->verb = CTL_CAR_PHASES;
		if (strnum_long(arg, 1, 3, &v) != 0 || v == 2)
			return fail(err, errlen, "car phases: must be 1 or 3",
			    arg);
	} else if (strcmp(sub, "lag") == 0) {
		cmd->verb = CTL_CAR_LAG;
		if (strnum_long(arg, 0, SIM_MAX_LAG_MS, &v) != 0)
			return fail(err, errlen, "car lag: must be 0-5000 ms",
			    arg);
	} else if (strcmp(sub, "soc") == 0) {
		cmd->verb = CTL_CAR_SOC;
		if (strnum_long(arg, 0, 100, &v) != 0)
			return fail(err, errlen, "car soc: must be 0-100 %",
			    arg);
	} else if (strcmp(sub, "capacity") == 0) {
		cmd->verb = CTL_CAR_CAPACITY;
		if (strnum_long(arg, 1, 250, &v) != 0)
			return fail(err, errlen, "car capacity: must be "
			    "1-250 kWh", arg);
	} else if (strcmp(sub, "stubborn") == 0) {
		cmd->verb = CTL_CAR_STUBBORN;
		if (strnum_bool(arg, &b) != 0)
			return fail(err, errlen, "car stubborn: must be on or "
			    "off", arg);
		v = b;
	} else
		return fail(err, errlen, "car: unknown setting", sub);
	cmd->value = v;
	return 0;
}

/*
 * Parses one line (without its newline). Returns 0 and fills cmd, or
 * -EINVAL with a message in err. Never touches anything else.
 */
int
ctl_parse(const char *line, int nconn, struct ctl_cmd *cmd, char *err,
    size_t errlen)
{
	char	 buf[CTL_MAX_LINE + 1], *w[MAX_WORDS + 1], *save = NULL, *t;
	int	 n = 0;
	long	 v;

	memset(cmd, 0, sizeof(*cmd));
	if (strlen(line) > CTL_MAX_LINE)
		return fail(err, errlen, "line too long", NULL);
	for (const char *p = line; *p; p++)
		if (!isprint((unsigned char)*p) && *p != '\t')
			return fail(err, errlen, "unprintable character in "
			    "line", NULL);
	strcpy(buf, line);
	for (t = strtok_r(buf, " \t\r", &save); t != NULL;
	    t = strtok_r(NULL, " \t\r", &save)) {
		if (n == MAX_WORDS)
			return fail(err, errlen, "too many words", NULL);
		w[n++] = t;
	}
	if (n == 0)
		return fail(err, errlen, "empty command", NULL);

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(w[0], verbs[i].word) != 0)
			continue;
		cmd->verb = verbs[i].verb;
		if (verbs[i].nargs >= 0 && n - 1 != verbs[i].nargs) {
			snprintf(err, errlen, "%s: expected %d argument%s "
			    "(try 'help')", w[0], verbs[i].nargs,
			    verbs[i].nargs == 1 ? "" : "s");
			return -EINVAL;
		}
		if (verbs[i].conn) {
			if (n < 2 || strnum_long(w[1], 1, nconn, &v) != 0) {
				snprintf(err, errlen, "%s: connector must be "
				    "1-%d", w[0], nconn);
				return -EINVAL;
			}
			cmd->conn = (int)v - 1;
		}
		switch (cmd->verb) {
		case CTL_CAR_WANT:
			if (n < 3)
				return fail(err, errlen, "car: expected 'car N "
				    "WHAT [VALUE]'", NULL);
			return parse_car(w, n, cmd, err, errlen);
		case CTL_FAULT:
		case CTL_CLEAR:
			if ((cmd->value = sim_fault_parse(w[2])) < 0)
				return fail(err, errlen, "unknown fault (rcm-ac "
				    "rcm-dc rcm-selftest diode pilot-short weld "
				    "no-close overdraw meter overtemp "
				    "overvoltage undervoltage pen pilot-bounce "
				    "pilot-sensor feedback-sensor rcm-sensor "
				    "voltage-sensor pe-sensor temp-sensor runaway)", w[2]);
			return 0;
		case CTL_TEMP:
			if (strnum_deci(w[1], -400, 1500, &cmd->value) != 0)
				return fail(err, errlen, "temp: must be "
				    "-40.0-150.0 degC", w[1]);
			return 0;
		case CTL_VOLTAGE:
			if (strnum_long(w[1], 1, EVG_PHASES, &v) != 0)
				return fail(err, errlen, "voltage: phase must "
				    "be 1-3", w[1]);
			cmd->phase = (int)v - 1;
			if (strnum_deci(w[2], 0, 4000, &cmd->value) != 0)
				return fail(err, errlen, "voltage: must be "
				    "0.0-400.0 V", w[2]);
			return 0;
		case CTL_PE:
			if (strnum_deci(w[1], 0, 4000, &cmd->value) != 0)
				return fail(err, errlen, "pe: must be "
				    "0.0-400.0 V", w[1]);
			return 0;
		case CTL_RFID: {
			size_t	len = strlen(w[2]);

			if (len == 0 || len > HAL_RFID_LEN)
				return fail(err, errlen, "rfid: tag must be "
				    "1-16 hex digits", w[2]);
			for (size_t k = 0; k < len; k++)
				if (!isxdigit((unsigned char)w[2][k]))
					return fail(err, errlen, "rfid: tag must "
					    "be 1-16 hex digits", w[2]);
			for (size_t k = 0; k <= len; k++)
				cmd->tag[k] = (char)toupper(
				    (unsigned char)w[2][k]);
			return 0;
		}
		case CTL_SETPOINT:
			if (strnum_deci(w[2], 0, 800, &cmd->value) != 0)
				return fail(err, errlen, "setpoint: must be 0 "
				    "or 6.0 A up to the connector maximum",
				    w[2]);
			return 0;
		default:
			return 0;
		}
	}
	return fail(err, errlen, "unknown command (try 'help')", w[0]);
}
