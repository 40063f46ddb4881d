/*
 * hal.h: the hardware the charger firmware touches, one function per
 * signal, per connector where it applies. Backends: hal_sim.c (the
 * simulated charger and car). The firmware core never calls these: the
 * shell (io.c) reads every input, steps the core, and writes the outputs.
 * Every function returns 0, or a negative errno when the hardware did not
 * answer; the shell turns that into a sensor fault, never into a guess.
 */
#ifndef EVG_HAL_H
#define EVG_HAL_H

#include <stdbool.h>
#include <stdint.h>

#include "led.h"
#include "pilot.h"

#define HAL_MAX_CONNECTORS	2
#define HAL_RFID_LEN		16	/* hex characters of a tag UID */

struct hal_ops {
	/* Pilot output: PWM with duty in 0.1 %, or constant +12 / -12 V. */
	int	(*pilot_drive)(void *hw, int conn, enum cp_drive, uint16_t duty_pm);
	/* Pilot input: high and low plateau of the signal, in mV. */
	int	(*pilot_sense)(void *hw, int conn, int32_t *high_mv,
		    int32_t *low_mv);
	/* Contactor coil, and its auxiliary (feedback) contact. */
	int	(*contactor_drive)(void *hw, int conn, bool close);
	int	(*contactor_sense)(void *hw, int conn, bool *closed);
	/* Residual current monitor (RDC-DD): 30 mA AC and 6 mA DC trip
	 * outputs, and the self-test line that injects a test current. */
	int	(*rcm_sense)(void *hw, int conn, bool *ac_trip, bool *dc_trip);
	int	(*rcm_test)(void *hw, int conn, bool on);
	/* Supply: L-N voltage per site phase (0.1 V), protective conductor
	 * to true earth (0.1 V), enclosure temperature (0.1 degC). */
	int	(*voltage_sense)(void *hw, int32_t ln_dv[3]);
	int	(*pe_sense)(void *hw, int32_t *pe_dv);
	int	(*temperature_sense)(void *hw, int32_t *ddeg);
	/* Connector energy meter: current per conductor 1..3 (0.1 A) and
	 * the cumulative energy register (Wh). */
	int	(*current_sense)(void *hw, int conn, int32_t line_da[3]);
	int	(*energy_sense)(void *hw, int conn, uint64_t *wh);
	/* Status LED. */
	int	(*led_show)(void *hw, int conn, enum led_code);
	/* RFID reader: 1 and the tag (NUL-terminated) when a card was
	 * presented since the last call, 0 when none. */
	int	(*rfid_poll)(void *hw, int conn, char tag[HAL_RFID_LEN + 1]);
};

struct hal {
	const struct hal_ops	*ops;
	void			*hw;
};

#endif
