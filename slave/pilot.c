/*
 * pilot.c: control pilot classification, debouncing and the duty table
 * (IEC 61851-1 Annex A).
 */
#include <errno.h>
#include <stdlib.h>

#include "pilot.h"

static bool
in_band(int32_t mv, int32_t nominal)
{
	return mv >= nominal - CP_BAND_HALF_MV && mv <= nominal + CP_BAND_HALF_MV;
}

/* The state that the high plateau of the pilot signal stands for. */
enum cp_state
cp_classify(int32_t high_mv)
{
	static const struct {
		enum cp_state	state;
		int32_t		nominal;
	} bands[] = {
		{ CP_A, CP_NOMINAL_A_MV }, { CP_B, CP_NOMINAL_B_MV },
		{ CP_C, CP_NOMINAL_C_MV }, { CP_D, CP_NOMINAL_D_MV },
		{ CP_E, CP_NOMINAL_E_MV }, { CP_F, CP_NOMINAL_F_MV },
	};

	for (size_t i = 0; i < sizeof(bands) / sizeof(bands[0]); i++)
		if (in_band(high_mv, bands[i].nominal))
			return bands[i].state;
	return CP_INVALID;
}

void
cp_debounce_init(struct cp_debounce *d)
{
	d->candidate = CP_INVALID;
	d->count = 0;
	d->stable = CP_INVALID;
	d->valid = false;
}

/*
 * Feeds one sample. Returns true when the debounced state changed.
 * INVALID samples debounce like any other, so a pilot stuck between bands
 * is reported (and treated as a pilot fault) rather than ignored.
 */
bool
cp_debounce_feed(struct cp_debounce *d, enum cp_state s)
{
	if (s != d->candidate) {
		d->candidate = s;
		d->count = 1;
	} else if (d->count < CP_DEBOUNCE_SAMPLES)
		d->count++;
	if (d->count >= CP_DEBOUNCE_SAMPLES &&
	    (!d->valid || d->stable != d->candidate)) {
		d->stable = d->candidate;
		d->valid = true;
		return true;
	}
	return false;
}

/* The EV's diode holds the negative plateau at -12 V while PWM runs. */
bool
cp_diode_ok(int32_t low_mv)
{
	return low_mv <= CP_DIODE_LOW_MAX_MV;
}

/*
 * Duty cycle in 0.1 % for a current in 0.1 A, rounded down so that the
 * car never reads more than the offer (16 A -> 266 = 26.6 %, 15.96 A;
 * 26.7 % would say 16.02 A). 0 A is "no current": constant +12 V, reported
 * as CP_DUTY_OFF_PM. Returns -EINVAL for 0.1-5.9 A and above 80 A.
 */
int
cp_duty_for_current(int32_t da, uint16_t *duty_pm)
{
	if (da == 0) {
		*duty_pm = CP_DUTY_OFF_PM;
		return 0;
	}
	if (da < CP_MIN_CURRENT_DA || da > CP_MAX_CURRENT_DA)
		return -EINVAL;
	if (da <= CP_LOW_RANGE_MAX_DA)
		*duty_pm = (uint16_t)(da * 10 / 6);
	else {
		/* The two formulas overlap: 51.1-52.4 A would give 84.4-84.9 %,
		 * which an EV reads with the first one as less than 51 A.
		 * Up to 52.7 A the step lands on 85 %: the EV reads 51 A.
		 * Hold 85 % there so the duty never decreases as the
		 * current rises, and never says more than we offer. */
		*duty_pm = (uint16_t)(da * 2 / 5 + 640);
		if (*duty_pm < 850)
			*duty_pm = 850;
	}
	return 0;
}

/*
 * The current an EV reads from a duty cycle (Annex A, as the EV applies
 * it): 8-10 % is 6 A, 10-85 % is duty x 0.6 A, 85-96 % is (duty - 64) x
 * 2.5 A; anything else (incl. 5 %, digital communication) is no current.
 */
int32_t
cp_current_for_duty(uint16_t duty_pm)
{
	if (duty_pm >= 80 && duty_pm < 100)
		return CP_MIN_CURRENT_DA;
	if (duty_pm >= 100 && duty_pm <= 850)
		return ((int32_t)duty_pm * 6 + 5) / 10;
	if (duty_pm > 850 && duty_pm <= 960)
		return ((int32_t)duty_pm - 640) * 5 / 2;
	return 0;
}
