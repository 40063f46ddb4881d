/*
 * hal_sim.c: the simulated charger hardware and the car plugged into it.
 * Deterministic: the same commands at the same times give the same
 * readings, so tests can rely on it.
 */
#include <errno.h>
#include <string.h>

#include "hal_sim.h"

static const char *const fault_names[SIM_FAULT_COUNT] = {
	"rcm-ac", "rcm-dc", "rcm-selftest", "diode", "pilot-short", "weld",
	"no-close", "overdraw", "meter", "overtemp", "overvoltage",
	"undervoltage", "pen", "pilot-bounce", "pilot-sensor",
	"feedback-sensor", "rcm-sensor", "voltage-sensor", "pe-sensor",
	"temp-sensor", "runaway",
};

#define HAS(sc, f)	(((sc)->faults >> (f)) & 1u)
/* Unit-wide sensor failures live in the unit, not in a connector. */
#define UNIT_SENSORS	((1u << SIM_VOLTAGE_SENSOR) | (1u << SIM_PE_SENSOR) | \
			 (1u << SIM_TEMP_SENSOR))

static void
car_defaults(struct sim_car *car)
{
	*car = (struct sim_car){
		.want = CAR_CHARGE,
		.max_da = DA(16),
		.phases = 3,
		.lag_ms = SIM_DEFAULT_LAG_MS,
		.capacity_uwh = 60000ULL * 1000000,	/* 60 kWh */
		.battery_uwh = 12000ULL * 1000000,	/* 20 % */
	};
}

void
sim_hw_init(struct sim_hw *hw, int nconn, const enum phase_conn phases[])
{
	memset(hw, 0, sizeof(*hw));
	hw->nconn = nconn;
	for (int p = 0; p < EVG_PHASES; p++)
		hw->ln_dv[p] = SIM_NOMINAL_DV;
	hw->temp_ddeg = SIM_AMBIENT_DDEG;
	for (int i = 0; i < nconn; i++) {
		hw->conn[i].phase = phases[i];
		hw->conn[i].drive = CP_DRIVE_PLUS12;
		hw->conn[i].duty_pm = CP_DUTY_OFF_PM;
		car_defaults(&hw->conn[i].car);
	}
}

int
sim_car_soc_pm(const struct sim_car *car)
{
	if (car->capacity_uwh == 0)
		return 1000;
	return (int)(car->battery_uwh * 1000 / car->capacity_uwh);
}

void
sim_car_plug(struct sim_hw *hw, int ci, bool plugged)
{
	struct sim_car *car = &hw->conn[ci].car;

	car->plugged = plugged;
	car->s2_closed = false;
	car->draw_da = 0;
	car->applied_da = car->pending_da = car->last_offer_da = 0;
	car->pending_since = hw->last_ms;
}

/* The car: follow the pilot after its lag, close S2, draw current. */
static void
car_step(struct sim_conn *sc, uint64_t now_ms)
{
	struct sim_car *car = &sc->car;
	int32_t	offer, target;
	int	soc = sim_car_soc_pm(car);

	if (!car->plugged)
		return;
	offer = sc->drive == CP_DRIVE_PWM ? cp_current_for_duty(sc->duty_pm) : 0;
	/* The car follows each change within its lag: a newer change does
	 * not postpone one it has not followed yet (offers trimmed every
	 * second still reach the car). */
	if (offer != car->pending_da) {
		if (car->pending_da == car->applied_da)
			car->pending_since = now_ms;
		car->pending_da = offer;
	}
	/* A car reacts to losing its offer (and to a first offer) within its
	 * lag, like to any other change. */
	if (now_ms - car->pending_since >= car->lag_ms)
		car->applied_da = car->pending_da;
	/* A stubborn car keeps to the highest offer it had: it ignores a
	 * lowered offer and PWM off alike. */
	if (car->applied_da > 0 && (!car->stubborn ||
	    car->applied_da > car->last_offer_da))
		car->last_offer_da = car->applied_da;
	if (car->stubborn && car->s2_closed &&
	    car->applied_da < car->last_offer_da)
		offer = car->last_offer_da;
	else
		offer = car->applied_da;

	car->s2_closed = car->want != CAR_IDLE && soc < 1000 &&
	    offer >= CP_MIN_CURRENT_DA;

	target = 0;
	if (car->s2_closed && sc->contacts) {
		target = offer < car->max_da ? offer : car->max_da;
		if (soc > SIM_TAPER_FROM_PM) {
			int32_t taper = CP_MIN_CURRENT_DA +
			    (car->max_da - CP_MIN_CURRENT_DA) * (1000 - soc) /
			    (1000 - SIM_TAPER_FROM_PM);

			if (taper < target)
				target = taper;
		}
		if (HAS(sc, SIM_OVERDRAW))
			target = offer + SIM_OVERDRAW_DA;
		if (HAS(sc, SIM_RUNAWAY))
			target = car->max_da;
	}
	car->draw_da = target;
}

void
sim_hw_step(struct sim_hw *hw, uint64_t now_ms)
{
	uint64_t dt = hw->started ? now_ms - hw->last_ms : 0;

	hw->started = true;
	hw->last_ms = now_ms;
	for (int i = 0; i < hw->nconn; i++) {
		struct sim_conn *sc = &hw->conn[i];
		struct sim_car *car = &sc->car;
		int	 lines = phase_conn_lines(sc->phase);

		/* Welded contacts stay closed whatever the coil does. */
		if (!(HAS(sc, SIM_WELD) && sc->contacts))
			sc->contacts = sc->coil && !HAS(sc, SIM_NO_CLOSE);
		car_step(sc, now_ms);
		for (int l = 0; l < EVG_PHASES; l++) {
			int p = phase_conn_site_phase(sc->phase, l);
			uint64_t uwh;

			sc->line_da[l] = car->plugged && l < lines &&
			    l < car->phases ? car->draw_da : 0;
			if (p < 0 || sc->line_da[l] <= 0)
				continue;
			/* W = dV * dA / 100; uWh = W * ms / 3.6 */
			uwh = (uint64_t)hw->ln_dv[p] * (uint64_t)sc->line_da[l] *
			    dt / 360;
			sc->energy_uwh += uwh;
			car->battery_uwh += uwh;
		}
	}
}

int
sim_fault(struct sim_hw *hw, int ci, enum sim_fault f, bool on)
{
	if (ci < 0 || ci >= hw->nconn || (unsigned)f >= SIM_FAULT_COUNT)
		return -EINVAL;
	switch (f) {
	case SIM_OVERTEMP:
		hw->temp_ddeg = on ? 900 : SIM_AMBIENT_DDEG;
		return 0;
	case SIM_OVERVOLTAGE:
	case SIM_UNDERVOLTAGE:
		for (int p = 0; p < EVG_PHASES; p++)
			hw->ln_dv[p] = !on ? SIM_NOMINAL_DV :
			    f == SIM_OVERVOLTAGE ? 2600 : 2000;
		return 0;
	case SIM_PEN:
		hw->pe_dv = on ? 800 : 0;
		return 0;
	default:
		break;
	}
	if (UNIT_SENSORS & (1u << f)) {
		if (on)
			hw->unit_faults |= 1u << f;
		else
			hw->unit_faults &= ~(1u << f);
		return 0;
	}
	if (on)
		hw->conn[ci].faults |= 1u << f;
	else
		hw->conn[ci].faults &= ~(1u << f);
	return 0;
}

int
sim_fault_parse(const char *name)
{
	for (int i = 0; i < SIM_FAULT_COUNT; i++)
		if (strcmp(name, fault_names[i]) == 0)
			return i;
	return -EINVAL;
}

const char *
sim_fault_name(enum sim_fault f)
{
	return (unsigned)f < SIM_FAULT_COUNT ? fault_names[f] : "?";
}

/* --- hal_ops ----------------------------------------------------------- */

static struct sim_conn *
conn_of(void *hw, int ci)
{
	struct sim_hw *s = hw;

	return ci >= 0 && ci < s->nconn ? &s->conn[ci] : NULL;
}

static int
pilot_drive(void *hw, int ci, enum cp_drive d, uint16_t duty_pm)
{
	struct sim_conn *sc = conn_of(hw, ci);

	if (sc == NULL)
		return -EINVAL;
	sc->drive = d;
	sc->duty_pm = duty_pm;
	return 0;
}

static int
pilot_sense(void *hw, int ci, int32_t *high_mv, int32_t *low_mv)
{
	struct sim_conn *sc = conn_of(hw, ci);
	const struct sim_car *car;

	if (sc == NULL)
		return -EINVAL;
	if (HAS(sc, SIM_PILOT_SENSOR))
		return -EIO;
	car = &sc->car;
	if (sc->drive == CP_DRIVE_MINUS12) {
		*high_mv = *low_mv = CP_NOMINAL_F_MV;
		return 0;
	}
	if (HAS(sc, SIM_PILOT_SHORT)) {
		*high_mv = *low_mv = CP_NOMINAL_E_MV;
		return 0;
	}
	if (HAS(sc, SIM_PILOT_BOUNCE)) {
		/* A contact that makes and breaks: B and A in turn, never C. */
		*high_mv = sc->bounce_b ? CP_NOMINAL_B_MV : CP_NOMINAL_A_MV;
		sc->bounce_b = !sc->bounce_b;
	} else if (!car->plugged)
		*high_mv = CP_NOMINAL_A_MV;
	else if (!car->s2_closed)
		*high_mv = CP_NOMINAL_B_MV;
	else
		*high_mv = car->want == CAR_VENTILATE ? CP_NOMINAL_D_MV :
		    CP_NOMINAL_C_MV;
	if (sc->drive != CP_DRIVE_PWM)
		*low_mv = *high_mv;	/* no negative half without PWM */
	else if (car->plugged && HAS(sc, SIM_DIODE))
		*low_mv = -*high_mv;	/* the resistors load both halves */
	else
		*low_mv = CP_NOMINAL_F_MV;
	return 0;
}

static int
contactor_drive(void *hw, int ci, bool close)
{
	struct sim_conn *sc = conn_of(hw, ci);

	if (sc == NULL)
		return -EINVAL;
	sc->coil = close;
	return 0;
}

static int
contactor_sense(void *hw, int ci, bool *closed)
{
	struct sim_conn *sc = conn_of(hw, ci);

	if (sc == NULL)
		return -EINVAL;
	if (HAS(sc, SIM_FEEDBACK_SENSOR))
		return -EIO;
	*closed = sc->contacts;
	return 0;
}

static int
rcm_sense(void *hw, int ci, bool *ac, bool *dc)
{
	struct sim_conn *sc = conn_of(hw, ci);
	bool	 test;

	if (sc == NULL)
		return -EINVAL;
	if (HAS(sc, SIM_RCM_SENSOR))
		return -EIO;
	test = sc->rcm_test_line && !HAS(sc, SIM_RCM_SELFTEST);
	*ac = HAS(sc, SIM_RCM_AC) || test;
	*dc = HAS(sc, SIM_RCM_DC) || test;
	return 0;
}

static int
rcm_test(void *hw, int ci, bool on)
{
	struct sim_conn *sc = conn_of(hw, ci);

	if (sc == NULL)
		return -EINVAL;
	sc->rcm_test_line = on;
	return 0;
}

static int
voltage_sense(void *hw, int32_t ln_dv[EVG_PHASES])
{
	struct sim_hw *s = hw;

	if (s->unit_faults & (1u << SIM_VOLTAGE_SENSOR))
		return -EIO;
	memcpy(ln_dv, s->ln_dv, sizeof(s->ln_dv));
	return 0;
}

static int
pe_sense(void *hw, int32_t *pe_dv)
{
	struct sim_hw *s = hw;

	if (s->unit_faults & (1u << SIM_PE_SENSOR))
		return -EIO;
	*pe_dv = s->pe_dv;
	return 0;
}

static int
temperature_sense(void *hw, int32_t *ddeg)
{
	struct sim_hw *s = hw;

	if (s->unit_faults & (1u << SIM_TEMP_SENSOR))
		return -EIO;
	*ddeg = s->temp_ddeg;
	return 0;
}

static int
current_sense(void *hw, int ci, int32_t line_da[EVG_PHASES])
{
	struct sim_conn *sc = conn_of(hw, ci);

	if (sc == NULL)
		return -EINVAL;
	if (HAS(sc, SIM_METER))
		return -ETIMEDOUT;
	memcpy(line_da, sc->line_da, sizeof(sc->line_da));
	return 0;
}

static int
energy_sense(void *hw, int ci, uint64_t *wh)
{
	struct sim_conn *sc = conn_of(hw, ci);

	if (sc == NULL)
		return -EINVAL;
	if (HAS(sc, SIM_METER))
		return -ETIMEDOUT;
	*wh = sc->energy_uwh / 1000000;
	return 0;
}

static int
led_show(void *hw, int ci, enum led_code led)
{
	struct sim_conn *sc = conn_of(hw, ci);

	if (sc == NULL)
		return -EINVAL;
	sc->led = led;
	return 0;
}

static int
rfid_poll(void *hw, int ci, char tag[HAL_RFID_LEN + 1])
{
	struct sim_conn *sc = conn_of(hw, ci);

	if (sc == NULL)
		return -EINVAL;
	if (!sc->rfid_has)
		return 0;
	memcpy(tag, sc->rfid, HAL_RFID_LEN + 1);
	sc->rfid_has = false;
	return 1;
}

const struct hal_ops sim_hal_ops = {
	.pilot_drive = pilot_drive,
	.pilot_sense = pilot_sense,
	.contactor_drive = contactor_drive,
	.contactor_sense = contactor_sense,
	.rcm_sense = rcm_sense,
	.rcm_test = rcm_test,
	.voltage_sense = voltage_sense,
	.pe_sense = pe_sense,
	.temperature_sense = temperature_sense,
	.current_sense = current_sense,
	.energy_sense = energy_sense,
	.led_show = led_show,
	.rfid_poll = rfid_poll,
};
