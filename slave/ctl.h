/*
 * ctl.h: the line protocol of the simulated charger's control socket
 * (docs/slave.md). ctl_parse() is pure: text in, command or error out.
 */
#ifndef EVG_CTL_H
#define EVG_CTL_H

#include <stddef.h>
#include <stdint.h>

#include "hal.h"

#define CTL_MAX_LINE	256

enum ctl_verb {
	CTL_STATUS, CTL_HELP,
	/* the simulated car and hardware */
	CTL_PLUG, CTL_UNPLUG, CTL_CAR_WANT, CTL_CAR_MAX, CTL_CAR_PHASES,
	CTL_CAR_LAG, CTL_CAR_SOC, CTL_CAR_CAPACITY, CTL_CAR_STUBBORN,
	CTL_FAULT, CTL_CLEAR, CTL_TEMP, CTL_VOLTAGE, CTL_PE, CTL_RFID,
	/* the firmware, as the master will drive it */
	CTL_SETPOINT, CTL_AUTHORISE, CTL_STOP, CTL_LOCK, CTL_UNLOCK,
	CTL_RESET,
};

struct ctl_cmd {
	enum ctl_verb	verb;
	int		conn;		/* 0-based, where the verb takes one */
	int		phase;		/* 0-based site phase (voltage) */
	long		value;		/* number, enum, phase index or bool */
	char		tag[HAL_RFID_LEN + 1];
};

int		 ctl_parse(const char *line, int nconn, struct ctl_cmd *,
		    char *err, size_t errlen);
extern const char ctl_help[];

#endif
