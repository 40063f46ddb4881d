/*
 * units.h: the units evgroup uses inside and on the wire, and phase wiring.
 * Currents in deci-amps (0.1 A), voltages in deci-volts, temperatures in
 * deci-degrees Celsius, energy in Wh; floats only at the edges.
 */
#ifndef EVG_UNITS_H
#define EVG_UNITS_H

#include <stdint.h>

#define EVG_PHASES		3

/* Deci-amps from whole amps, for constants: DA(6) == 60. */
#define DA(amps)		((int32_t)(amps) * 10)

/*
 * How a connector's conductors 1..3 land on the site phases L1..L3.
 * Values are those of the register map (docs/protocol.md).
 */
enum phase_conn {
	PHASE_L1 = 1,
	PHASE_L2 = 2,
	PHASE_L3 = 3,
	PHASE_L1L2L3 = 4,
	PHASE_L2L3L1 = 5,
	PHASE_L3L1L2 = 6,
};

int		 phase_conn_lines(enum phase_conn);
int		 phase_conn_site_phase(enum phase_conn, int line);
const char	*phase_conn_name(enum phase_conn);
extern const char *const phase_conn_names[];

#endif
