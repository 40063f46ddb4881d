/*
 * units.c: phase wiring helpers shared by the firmware, the master and the
 * simulator.
 */
#include <stddef.h>

#include "units.h"

/* Indexed by enum phase_conn; NULL-terminated for the config tables. */
const char *const phase_conn_names[] = {
	"", "L1", "L2", "L3", "L1L2L3", "L2L3L1", "L3L1L2", NULL,
};

int
phase_conn_lines(enum phase_conn pc)
{
	return pc >= PHASE_L1L2L3 ? 3 : 1;
}

/*
 * The site phase (0..2) that conductor `line` (0..2) of a connector is
 * wired to, or -1 when that conductor is not connected.
 */
int
phase_conn_site_phase(enum phase_conn pc, int line)
{
	if (line < 0 || line >= phase_conn_lines(pc))
		return -1;
	switch (pc) {
	case PHASE_L1:
	case PHASE_L2:
	case PHASE_L3:
		return (int)pc - PHASE_L1;
	case PHASE_L1L2L3:
		return line;
	case PHASE_L2L3L1:
		return (line + 1) % EVG_PHASES;
	case PHASE_L3L1L2:
		return (line + 2) % EVG_PHASES;
	}
	return -1;
}

const char *
phase_conn_name(enum phase_conn pc)
{
	if (pc < PHASE_L1 || pc > PHASE_L3L1L2)
		return "?";
	return phase_conn_names[pc];
}
