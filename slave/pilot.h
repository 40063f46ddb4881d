/*
 * pilot.h: the control pilot of IEC 61851-1 Annex A: classifying the
 * measured plateaus into states A..F, debouncing them, checking the EV's
 * diode, and the duty cycle that advertises a current. Pure functions.
 */
#ifndef EVG_PILOT_H
#define EVG_PILOT_H

#include <stdbool.h>
#include <stdint.h>

#include "charger.h"	/* enum cp_state */

/* What the EVSE drives on the pilot (register map: 1000 = constant +12 V). */
enum cp_drive {
	CP_DRIVE_PLUS12,	/* "x1": state A/B signalling, no current */
	CP_DRIVE_PWM,		/* 1 kHz PWM advertising a current */
	CP_DRIVE_MINUS12,	/* state F: EVSE not available */
};

/*
 * IEC 61851-1 Annex A (system states and pilot voltage ranges): nominal
 * +12/+9/+6/+3/0/-12 V, each band +/-1 V around nominal.
 */
#define CP_BAND_HALF_MV		1000
#define CP_NOMINAL_A_MV		12000
#define CP_NOMINAL_B_MV		9000
#define CP_NOMINAL_C_MV		6000
#define CP_NOMINAL_D_MV		3000
#define CP_NOMINAL_E_MV		0
#define CP_NOMINAL_F_MV		(-12000)

/*
 * IEC 61851-1 Annex A: with PWM on, the negative plateau must be -12 V;
 * a higher one means a missing or shorted diode in the EV.
 */
#define CP_DIODE_LOW_MAX_MV	(CP_NOMINAL_F_MV + CP_BAND_HALF_MV)

/*
 * A state counts once this many consecutive samples agree (30 ms at the
 * 10 ms tick), well inside the 100 ms allowed to open on C -> B.
 */
#define CP_DEBOUNCE_SAMPLES	3

/*
 * IEC 61851-1 Annex A (duty cycle provided by the EVSE):
 * 6 A .. 51 A: duty = I / 0.6 %; 51 A .. 80 A: duty = I / 2.5 + 64 %.
 * Below 6 A an EV must not charge; above 80 A there is no duty cycle.
 */
#define CP_MIN_CURRENT_DA	60
#define CP_LOW_RANGE_MAX_DA	510
#define CP_MAX_CURRENT_DA	800
#define CP_DUTY_OFF_PM		1000	/* register value for constant +12 V */

struct cp_debounce {
	enum cp_state	candidate;
	int		count;
	enum cp_state	stable;
	bool		valid;		/* stable holds a debounced state */
};

enum cp_state	cp_classify(int32_t high_mv);
void		cp_debounce_init(struct cp_debounce *);
bool		cp_debounce_feed(struct cp_debounce *, enum cp_state);
bool		cp_diode_ok(int32_t low_mv);
int		cp_duty_for_current(int32_t da, uint16_t *duty_pm);
int32_t		cp_current_for_duty(uint16_t duty_pm);

#endif
