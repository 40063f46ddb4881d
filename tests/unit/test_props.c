/*
 * test_props.c: property tests of the firmware core. Random sites, cars,
 * commands, masters and injected faults in virtual time. After every
 * 10 ms step the contactor as the simulated hardware drives it (its coil)
 * is checked against the simulated world (the car's real plug, S2 and
 * ventilation, the supply, the sensors), never against what the
 * firmware believes (invariant 5, ARCHITECTURE.md):
 *  - it closes only while the car is in C (or D where ventilation is
 *    allowed), with a session, PWM offering at least 6 A, and every input
 *    within its range;
 *  - it is open within 100 ms of the car leaving C/D (or the pilot
 *    bouncing, shorted or unreadable), at once on a residual current trip
 *    or over-temperature, within 5 s of the supply or PE going out of
 *    range, within 1 s of the meter falling silent, on the last tick
 *    before 6 s of PWM off, and within 1 s of the car drawing more than
 *    the highest offer of its last 5 s plus the margin.
 * A session starts only with a car plugged in; a latch is reset only once
 * its cause has physically gone; a refused register write changes
 * nothing; a silent master's unit offers no more than the fallback current
 * it had when the master fell silent, whatever is written meanwhile. The
 * core's own invariants hold, every offer is 0 or 6 A..max, and the duty
 * says that offer and never more.
 * The world: cars come and go, disturbances (faults, voltage, PE, heat,
 * locks) end by themselves, a person resets latched faults (finding the
 * car gone half the time) and authorises at once, a master falls silent
 * now and then and some sites trim their offers every few seconds.
 * EVG_PROP_SEED=N reruns one case.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rig.h"
#include "slave_regs.h"

#define CASES		300
#define CASE_MS		(4 * 60 * 1000)
/* Offers remembered for the overcurrent check: 5 s of ticks and one. */
#define HIST		(FW_EV_RESPONSE_MS / RIG_TICK_MS + 1)

struct prng { uint64_t s; };

static uint32_t
next(struct prng *p)
{
	/* xorshift64* */
	p->s ^= p->s >> 12;
	p->s ^= p->s << 25;
	p->s ^= p->s >> 27;
	return (uint32_t)((p->s * 2685821657736338717ULL) >> 32);
}

static uint32_t
pick(struct prng *p, uint32_t n)
{
	return next(p) % n;
}

#define MAX_UNDO	32

/* A disturbance that ends by itself: the command that undoes it, when. */
struct undo {
	uint64_t at;
	char	 line[48];
};

/* What the checks remember of the world between steps. */
struct watch {
	uint64_t seed;
	uint64_t ticks;
	bool	 coil[HAL_MAX_CONNECTORS];
	uint64_t closed_ms[HAL_MAX_CONNECTORS];	/* coil closed at */
	uint64_t not_cd_since[HAL_MAX_CONNECTORS];
	uint64_t supply_bad_since[HAL_MAX_CONNECTORS];
	uint64_t meter_bad_since[HAL_MAX_CONNECTORS];
	uint64_t no_pwm_since[HAL_MAX_CONNECTORS];	/* while closed */
	uint64_t over_since[HAL_MAX_CONNECTORS];
	int32_t	 offered[HAL_MAX_CONNECTORS][HIST];	/* by tick */
	/* the world */
	struct undo undo[MAX_UNDO];
	int	 nundo;
	uint64_t person_at[HAL_MAX_CONNECTORS];	/* comes, or 0 */
	uint64_t reset_at[HAL_MAX_CONNECTORS];	/* resets, or 0 */
	/* the master */
	uint64_t heartbeat_ms;		/* last heartbeat that changed */
	uint16_t heartbeat;
	bool	 heartbeat_seen;
	int32_t	 fallback_da;		/* in force when it fell silent */
	uint64_t down_until;		/* no heartbeats until then */
	uint32_t trim_ms;		/* trims setpoints this often, or 0 */
	uint64_t next_trim;
};

#define BIT(f)		(1u << (f))
#define PILOT_HIDDEN	(BIT(SIM_PILOT_SHORT) | BIT(SIM_PILOT_BOUNCE) | \
			 BIT(SIM_PILOT_SENSOR))
#define RCM_TRIPPED	(BIT(SIM_RCM_AC) | BIT(SIM_RCM_DC) | BIT(SIM_RCM_SENSOR))

/* Runs `line` now and `undo` within max_ms, if there is room to. */
static void
episode(struct rig *r, struct watch *w, struct prng *p, const char *line,
    const char *undo, uint32_t max_ms)
{
	struct undo *u;

	if (w->nundo == MAX_UNDO || rig_cmd(r, line) != 0)
		return;
	u = &w->undo[w->nundo++];
	u->at = r->now + 1 + pick(p, max_ms);
	snprintf(u->line, sizeof(u->line), "%s", undo);
}

/* Ends the disturbances that are due, or all of them. */
static void
undo_due(struct rig *r, struct watch *w, bool all)
{
	for (int k = 0; k < w->nundo; )
		if (all || r->now >= w->undo[k].at) {
			(void)rig_cmd(r, w->undo[k].line);
			w->undo[k] = w->undo[--w->nundo];
		} else
			k++;
}

/*
 * A reset is accepted only once the condition behind each latch has
 * physically gone: PE at most 70 V and readable, contacts open, no
 * residual current. The world only gets better between the last step
 * and a reset (see run_case), so the firmware's last sample is no
 * better than what is checked here.
 */
static void
checked_reset(struct rig *r, struct watch *w, int n)
{
	const struct sim_hw *hw = &r->s.sim;
	const struct sim_conn *sc = &hw->conn[n - 1];
	uint32_t latched = r->s.fw.conn[n - 1].latched;
	char	 line[32];

	snprintf(line, sizeof(line), "reset %d", n);
	if (rig_cmd(r, line) != 0)
		return;
	if ((latched & FAULT_BIT(F_PEN)) && (hw->pe_dv > FW_PEN_MAX_DV ||
	    (hw->unit_faults & BIT(SIM_PE_SENSOR))))
		fail_msg("seed %llu: conn %d: PEN reset with PE %d.%d V%s",
		    (unsigned long long)w->seed, n, hw->pe_dv / 10,
		    hw->pe_dv % 10, (hw->unit_faults & BIT(SIM_PE_SENSOR)) ?
		    " (unreadable)" : "");
	if ((latched & FAULT_BIT(F_WELDED)) && sc->contacts)
		fail_msg("seed %llu: conn %d: weld reset while welded",
		    (unsigned long long)w->seed, n);
	if ((latched & (FAULT_BIT(F_RCM_AC) | FAULT_BIT(F_RCM_DC))) &&
	    (sc->faults & RCM_TRIPPED))
		fail_msg("seed %llu: conn %d: residual current reset while "
		    "tripped", (unsigned long long)w->seed, n);
}

/*
 * A latched fault brings a person within 20 s, who may find the car gone
 * (it left while -12 V hid it), removes the causes, and a little later
 * resets and lets the car charge at once, before the pilot has been read
 * again (the order of the field).
 */
static void
person(struct rig *r, struct watch *w, struct prng *p)
{
	char	 line[32];

	for (int n = 1; n <= r->s.fw.cfg.nconn; n++) {
		uint64_t *come = &w->person_at[n - 1];
		uint64_t *reset = &w->reset_at[n - 1];

		if (*reset != 0 && r->now >= *reset) {
			*reset = 0;
			checked_reset(r, w, n);
			snprintf(line, sizeof(line), "authorise %d", n);
			(void)rig_cmd(r, line);
		} else if (*come == 0 && *reset == 0 &&
		    r->s.fw.conn[n - 1].latched != 0)
			*come = r->now + 1 + pick(p, 20000);
		else if (*come != 0 && r->now >= *come) {
			*come = 0;
			if (pick(p, 2) && r->s.sim.conn[n - 1].car.plugged) {
				snprintf(line, sizeof(line), "unplug %d", n);
				(void)rig_cmd(r, line);
			}
			undo_due(r, w, true);
			*reset = r->now + 1 + pick(p, 2000);
		}
	}
}

static void
random_command(struct rig *r, struct watch *w, struct prng *p)
{
	static const char *const faults[] = { "rcm-ac", "rcm-dc",
	    "rcm-selftest", "diode", "pilot-short", "weld", "no-close",
	    "overdraw", "meter", "overtemp", "overvoltage", "undervoltage",
	    "pen", "pilot-bounce", "pilot-sensor", "feedback-sensor",
	    "rcm-sensor", "voltage-sensor", "pe-sensor", "temp-sensor" };
	static const char *const wants[] = { "charge", "stop", "ventilate" };
	char	 line[96], undo[48];
	int	 n = (int)pick(p, (uint32_t)r->s.fw.cfg.nconn) + 1;
	const struct fw_conn *c = &r->s.fw.conn[n - 1];
	int32_t	 before = c->setpoint_da;
	unsigned ph;
	int	 rc;

	switch (pick(p, 20)) {
	case 0:
		/* The car leaves, and one comes back a while later. */
		snprintf(line, sizeof(line), "unplug %d", n);
		snprintf(undo, sizeof(undo), "plug %d", n);
		if (r->s.sim.conn[n - 1].car.plugged)
			episode(r, w, p, line, undo, 30000);
		return;
	case 1:
		snprintf(line, sizeof(line), "car %d %s", n,
		    wants[pick(p, 3)]);
		snprintf(undo, sizeof(undo), "car %d charge", n);
		episode(r, w, p, line, undo, 30000);
		return;
	case 2:
		snprintf(line, sizeof(line), "car %d %s", n,
		    (const char *[]){ "max 16", "max 32", "phases 1",
		    "phases 3", "lag 0", "lag 5000", "stubborn on",
		    "stubborn off", "soc 95" }[pick(p, 9)]);
		break;
	case 3:
	case 4: {
		/* Any value, valid or not: bad ones must change nothing. */
		int32_t da = (int32_t)pick(p, 400);

		snprintf(line, sizeof(line), "setpoint %d %d.%d", n, da / 10,
		    da % 10);
		rc = rig_cmd(r, line);
		if ((da != 0 && (da < 60 ||
		    da > r->s.fw.cfg.conn[n - 1].max_da)) ||
		    (r->s.fw.fallback && da > r->s.fw.cfg.fallback_da)) {
			assert_int_equal(rc, -1);
			assert_int_equal(c->setpoint_da, before);
		} else
			assert_int_equal(rc, 0);
		return;
	}
	case 5:
	case 6: {
		const char *f = faults[pick(p, sizeof(faults) /
		    sizeof(faults[0]))];

		snprintf(line, sizeof(line), "fault %d %s", n, f);
		snprintf(undo, sizeof(undo), "clear %d %s", n, f);
		episode(r, w, p, line, undo, 15000);
		return;
	}
	case 7:
		snprintf(line, sizeof(line), "temp %u", 20 + pick(p, 75));
		episode(r, w, p, line, "temp 25", 20000);
		return;
	case 8:
		ph = 1 + pick(p, 3);
		snprintf(line, sizeof(line), "voltage %u %u", ph,
		    200 + pick(p, 60));
		snprintf(undo, sizeof(undo), "voltage %u 230", ph);
		episode(r, w, p, line, undo, 15000);
		return;
	case 9:
		snprintf(line, sizeof(line), "pe %u", pick(p, 90));
		episode(r, w, p, line, "pe 0", 10000);
		return;
	case 10:
		snprintf(line, sizeof(line), "lock %d", n);
		snprintf(undo, sizeof(undo), "unlock %d", n);
		episode(r, w, p, line, undo, 20000);
		return;
	case 11:
		snprintf(line, sizeof(line), "stop %d", n);
		break;
	case 12:
		checked_reset(r, w, n);
		return;
	case 13:
	case 14:
	case 15:
	case 16:
	case 17:
		snprintf(line, sizeof(line), "authorise %d", n);
		break;
	case 18:
		snprintf(line, sizeof(line), "rfid %d %08X", n, next(p));
		break;
	default:
		return;		/* quiet */
	}
	(void)rig_cmd(r, line);
}

/* A write through the register map; the heartbeat and fallback kept. */
static int
reg_write(struct rig *r, struct watch *w, unsigned addr, unsigned count,
    const uint16_t *v)
{
	const struct fw *fw = &r->s.fw;
	bool	 silent = r->now - w->heartbeat_ms >=
	    fw->cfg.fallback_timeout_ms, was_fallback = fw->fallback;
	int32_t	 sp[HAL_MAX_CONNECTORS];
	int	 exc;

	for (int i = 0; i < fw->cfg.nconn; i++)
		sp[i] = fw->conn[i].setpoint_da;
	if ((exc = slave_regs_write(&r->s, addr, count, v, r->now)) != 0 ||
	    addr > 2)
		return exc;
	/* While silent, the fallback registers never raise a setpoint. */
	for (int i = 0; i < fw->cfg.nconn && was_fallback; i++)
		if (fw->conn[i].setpoint_da > sp[i])
			fail_msg("seed %llu: a fallback write raised conn %d "
			    "from %d to %d", (unsigned long long)w->seed,
			    i + 1, sp[i], fw->conn[i].setpoint_da);
	if (addr == 0 && (v[0] != w->heartbeat || !w->heartbeat_seen)) {
		w->heartbeat_seen = true;
		w->heartbeat = v[0];
		w->heartbeat_ms = r->now;
		silent = false;
	}
	/* The master may set any fallback current while it is there; once
	 * silent, nobody may raise the one the unit fell back to. */
	if (!silent || fw->cfg.fallback_da < w->fallback_da)
		w->fallback_da = fw->cfg.fallback_da;
	return 0;
}

/* A setpoint and a command in one write: all of it applies, or none. */
static void
random_setpoint_and_command(struct rig *r, struct prng *p, struct watch *w)
{
	int	 ci = (int)pick(p, (uint32_t)r->s.fw.cfg.nconn);
	struct fw_conn before = r->s.fw.conn[ci];
	const struct fw_conn *c = &r->s.fw.conn[ci];
	uint16_t v[2];

	v[0] = (uint16_t)(pick(p, 5) == 0 ? 0 : 60 + pick(p, 300));
	v[1] = (uint16_t)(1 + pick(p, 5));
	if (reg_write(r, w, (unsigned)(100 * (ci + 1)), 2, v) == 0)
		return;
	if (c->setpoint_da != before.setpoint_da ||
	    c->locked != before.locked || c->stopping != before.stopping ||
	    c->authorised != before.authorised ||
	    c->latched != before.latched)
		fail_msg("seed %llu: a refused write changed connector %d",
		    (unsigned long long)w->seed, ci + 1);
}

/* A master that writes heartbeats (sometimes stuck on one value),
 * setpoints, fallback settings and commands. */
static void
random_master(struct rig *r, struct prng *p, struct watch *w)
{
	uint16_t v[2];

	if (!r->s.fw.cfg.master_link)
		return;
	/* Now and then the master falls silent for up to 40 s; others
	 * may still write meanwhile. */
	if (r->now >= w->down_until && pick(p, 25) == 0)
		w->down_until = r->now + pick(p, 40000);
	switch (pick(p, 8)) {
	case 0:
	case 1:
		/* Setpoint writes go through the register map too. */
		v[0] = (uint16_t)(pick(p, 5) == 0 ? 0 : 60 + pick(p, 300));
		(void)reg_write(r, w, 100 * (1 + pick(p, 2)), 1, v);
		return;
	case 2:
		/* Fallback current and timeout, valid or not. */
		v[0] = (uint16_t)(pick(p, 3) ? (pick(p, 2) ? 0 : 60 +
		    pick(p, 260)) : pick(p, 60));
		v[1] = (uint16_t)(pick(p, 8) ? 2 + pick(p, 30) : pick(p, 700));
		(void)reg_write(r, w, 1, 2, v);
		return;
	case 3:
		random_setpoint_and_command(r, p, w);
		return;
	default:
		if (r->now < w->down_until)
			return;
		v[0] = pick(p, 4) ? (uint16_t)(w->heartbeat + 1) : w->heartbeat;
		(void)reg_write(r, w, 0, 1, v);
		return;
	}
}

/* A site that trims every offer by 0.1 A at a steady pace. */
static void
trim(struct rig *r, struct watch *w)
{
	if (w->trim_ms == 0 || r->now < w->next_trim)
		return;
	w->next_trim = r->now + w->trim_ms;
	for (int i = 0; i < r->s.fw.cfg.nconn; i++) {
		uint16_t v = (uint16_t)(r->s.fw.conn[i].setpoint_da - 1);

		if (r->s.fw.conn[i].setpoint_da > CP_MIN_CURRENT_DA)
			(void)reg_write(r, w, (unsigned)(100 * (i + 1)), 1, &v);
	}
}

/* The car is in C, or in D on a site with ventilation, as far as anyone
 * could see it on the pilot. */
static bool
car_in_cd(const struct rig *r, int i)
{
	const struct sim_conn *sc = &r->s.sim.conn[i];

	return sc->car.plugged && sc->car.s2_closed &&
	    (sc->car.want != CAR_VENTILATE || r->s.fw.cfg.ventilation) &&
	    !(sc->faults & PILOT_HIDDEN);
}

/* L-N on the connector's phases within 207-253 V and PE at most 70 V,
 * all readable. */
static bool
supply_ok(const struct rig *r, int i)
{
	const struct sim_hw *hw = &r->s.sim;
	enum phase_conn pc = r->s.fw.cfg.conn[i].phase;

	if (hw->unit_faults & (BIT(SIM_VOLTAGE_SENSOR) | BIT(SIM_PE_SENSOR)) ||
	    hw->pe_dv > FW_PEN_MAX_DV)
		return false;
	for (int l = 0; l < phase_conn_lines(pc); l++) {
		int32_t v = hw->ln_dv[phase_conn_site_phase(pc, l)];

		if (v < FW_VOLTAGE_MIN_DV || v > FW_VOLTAGE_MAX_DV)
			return false;
	}
	return true;
}

static bool
too_hot(const struct rig *r)
{
	return (r->s.sim.unit_faults & BIT(SIM_TEMP_SENSOR)) ||
	    r->s.sim.temp_ddeg >= FW_TEMP_STOP_DDEG;
}

/* Since when a condition holds (0: it does not). */
static void
track(uint64_t *since, bool cond, uint64_t now)
{
	if (!cond)
		*since = 0;
	else if (*since == 0)
		*since = now;
}

static int32_t
oc_limit(int32_t da)
{
	int32_t margin = da * FW_OVERCURRENT_MARGIN_PCT / 100;

	return da + (margin < FW_OVERCURRENT_MIN_MARGIN_DA ?
	    FW_OVERCURRENT_MIN_MARGIN_DA : margin);
}

/*
 * Overcurrent, from the car's real draw: more than the highest offer of
 * its last 5 s plus the margin, with the contactor closed 5 s or more.
 * The offers are kept per tick here, independently of the firmware's own
 * memory. A pause the car ignores is left to the pause deadline.
 */
static bool
overdrawn(const struct rig *r, const struct watch *w, int i)
{
	const struct sim_conn *sc = &r->s.sim.conn[i];
	int32_t	 draw = 0, best = 0;

	for (int l = 0; l < EVG_PHASES; l++)
		if (sc->line_da[l] > draw)
			draw = sc->line_da[l];
	if (r->now - w->closed_ms[i] < FW_EV_RESPONSE_MS ||
	    draw <= oc_limit(r->s.fw.conn[i].offer_da))
		return false;
	for (int h = 0; h < HIST; h++)
		if (w->offered[i][h] > best)
			best = w->offered[i][h];
	return best > 0 && draw > oc_limit(best);
}

static void
check_conn(const struct rig *r, struct watch *w, int i)
{
	const struct fw *fw = &r->s.fw;
	const struct fw_conn *c = &fw->conn[i];
	const struct sim_conn *sc = &r->s.sim.conn[i];
	unsigned long long seed = (unsigned long long)w->seed;
	bool	 coil = sc->coil, pwm = sc->drive == CP_DRIVE_PWM;
	uint16_t duty;

	if (c->offer_da != 0 && (c->offer_da < 60 ||
	    c->offer_da > fw->cfg.conn[i].max_da))
		fail_msg("seed %llu: offer %d", seed, c->offer_da);
	if (pwm) {
		/* The duty says the offer, and the car never reads more. */
		assert_int_equal(cp_duty_for_current(c->offer_da, &duty), 0);
		assert_int_equal(duty, sc->duty_pm);
		if ((sc->duty_pm <= 850 ? sc->duty_pm * 6 :
		    (sc->duty_pm - 640) * 25) > c->offer_da * 10)
			fail_msg("seed %llu: duty %u says more than %d", seed,
			    sc->duty_pm, c->offer_da);
	}
	w->offered[i][w->ticks % HIST] = c->offer_da;

	track(&w->not_cd_since[i], !car_in_cd(r, i), r->now);
	track(&w->supply_bad_since[i], !supply_ok(r, i), r->now);
	track(&w->meter_bad_since[i], sc->faults & BIT(SIM_METER), r->now);
	track(&w->no_pwm_since[i], coil && !pwm, r->now);
	track(&w->over_since[i], coil && overdrawn(r, w, i), r->now);

	if (coil && !w->coil[i]) {
		w->closed_ms[i] = r->now;
		if (!car_in_cd(r, i))
			fail_msg("seed %llu: conn %d closed outside C/D", seed,
			    i + 1);
		if (!pwm || cp_current_for_duty(sc->duty_pm) <
		    CP_MIN_CURRENT_DA)
			fail_msg("seed %llu: conn %d closed without 6 A on the "
			    "pilot", seed, i + 1);
		if (!c->sess.active)
			fail_msg("seed %llu: conn %d closed without a session",
			    seed, i + 1);
		if (!supply_ok(r, i) || too_hot(r) ||
		    (sc->faults & (RCM_TRIPPED | BIT(SIM_METER))))
			fail_msg("seed %llu: conn %d closed with an input out "
			    "of range", seed, i + 1);
	}
	w->coil[i] = coil;
	if (!coil)
		return;
	if (w->not_cd_since[i] != 0 &&
	    r->now - w->not_cd_since[i] > FW_OPEN_MAX_MS)
		fail_msg("seed %llu: conn %d closed %llu ms after the car "
		    "left C/D", seed, i + 1,
		    (unsigned long long)(r->now - w->not_cd_since[i]));
	if (w->supply_bad_since[i] != 0 && r->now - w->supply_bad_since[i] >
	    FW_VOLTAGE_DISCONNECT_MAX_MS)
		fail_msg("seed %llu: conn %d closed on a bad supply", seed,
		    i + 1);
	if ((sc->faults & RCM_TRIPPED) && !sc->rcm_test_line)
		fail_msg("seed %llu: conn %d closed during a residual current "
		    "trip", seed, i + 1);
	if (too_hot(r))
		fail_msg("seed %llu: conn %d closed at 85 degC", seed, i + 1);
	if (w->meter_bad_since[i] != 0 && r->now - w->meter_bad_since[i] >
	    FW_METER_TIMEOUT_MS + 2 * RIG_TICK_MS)
		fail_msg("seed %llu: conn %d closed with its meter silent",
		    seed, i + 1);
	/* At the latest 6 s after PWM off: open by the last tick before. */
	if (w->no_pwm_since[i] != 0 && r->now + RIG_TICK_MS >=
	    w->no_pwm_since[i] + FW_PAUSE_OPEN_MAX_MS)
		fail_msg("seed %llu: conn %d still closed %llu ms after PWM "
		    "went off", seed, i + 1,
		    (unsigned long long)(r->now - w->no_pwm_since[i]));
	if (w->over_since[i] != 0 && r->now - w->over_since[i] >
	    FW_OVERCURRENT_FILTER_MS + FW_OPEN_MAX_MS)
		fail_msg("seed %llu: conn %d draws %d A over its offers for "
		    "%llu ms", seed, i + 1, sc->car.draw_da / 10,
		    (unsigned long long)(r->now - w->over_since[i]));
}

static void
check_step(const struct rig *r, struct watch *w)
{
	const struct fw *fw = &r->s.fw;

	if (r->violation != NULL)
		fail_msg("seed %llu: %s at %llu ms",
		    (unsigned long long)w->seed, r->violation,
		    (unsigned long long)r->violation_ms);
	/* A session starts only with a car there. */
	for (int k = 0; k < r->s.out.nev; k++)
		if (r->s.out.ev[k].kind == EV_SESSION_START &&
		    !r->s.sim.conn[r->s.out.ev[k].conn].car.plugged)
			fail_msg("seed %llu: conn %d: session %d started with "
			    "no car", (unsigned long long)w->seed,
			    r->s.out.ev[k].conn + 1, r->s.out.ev[k].a);
	for (int i = 0; i < fw->cfg.nconn; i++) {
		check_conn(r, w, i);
		/* Invariant 3: a silent master means the fallback current. */
		if (fw->cfg.master_link && r->now - w->heartbeat_ms >
		    fw->cfg.fallback_timeout_ms + RIG_TICK_MS &&
		    fw->conn[i].offer_da > w->fallback_da)
			fail_msg("seed %llu: conn %d offers %d with the master "
			    "silent", (unsigned long long)w->seed, i + 1,
			    fw->conn[i].offer_da);
	}
	w->ticks++;
}

static void
run_case(uint64_t seed)
{
	struct prng p = { seed * 0x9E3779B97F4A7C15ULL + 1 };
	char	 s_conn[32], s_vent[32], s_auth[40], s_open[40], s_p1[40],
		 s_p2[40], s_link[40], s_fb[40];
	const char *set[] = { s_conn, s_vent, s_auth, s_open, s_p1, s_p2,
	    s_link, s_fb, NULL };
	struct watch *w;
	struct rig *r;
	uint64_t next_cmd = 0;

	snprintf(s_conn, sizeof(s_conn), "unit.connectors=%u", 1 + pick(&p, 2));
	snprintf(s_vent, sizeof(s_vent), "unit.ventilation=%s",
	    pick(&p, 2) ? "yes" : "no");
	snprintf(s_auth, sizeof(s_auth), "unit.authorisation=%s",
	    pick(&p, 2) ? "free" : "remote");
	snprintf(s_open, sizeof(s_open), "unit.min_open_time=%u",
	    pick(&p, 15));
	snprintf(s_p1, sizeof(s_p1), "connector1.phase=%s",
	    phase_conn_names[1 + pick(&p, 6)]);
	snprintf(s_p2, sizeof(s_p2), "connector2.max_current=%u",
	    6 + pick(&p, 27));
	snprintf(s_link, sizeof(s_link), "link.enabled=%s",
	    pick(&p, 2) ? "yes" : "no");
	snprintf(s_fb, sizeof(s_fb), "link.fallback_current=%s",
	    (const char *[]){ "0", "6", "10", "16" }[pick(&p, 4)]);
	if ((w = calloc(1, sizeof(*w))) == NULL)
		abort();
	r = rig_new(set);
	w->seed = seed;
	w->heartbeat_ms = r->now;	/* the watchdog counts from boot */
	w->fallback_da = r->s.fw.cfg.fallback_da;
	w->trim_ms = pick(&p, 2) ? 1000 * (1 + pick(&p, 4)) : 0;
	for (int i = 1; i <= r->s.fw.cfg.nconn; i++) {
		char	 line[16];

		snprintf(line, sizeof(line), "plug %d", i);
		assert_int_equal(rig_cmd(r, line), 0);
	}
	for (uint64_t t = 0; t < CASE_MS; t += RIG_TICK_MS) {
		/* The person first: nothing has changed since the step. */
		person(r, w, &p);
		undo_due(r, w, false);
		if (t >= next_cmd) {
			if (pick(&p, 2))
				random_master(r, &p, w);
			else
				random_command(r, w, &p);
			next_cmd = t + pick(&p, 4000);
		}
		trim(r, w);
		rig_run(r, RIG_TICK_MS);
		check_step(r, w);
	}
	rig_free(r);
	free(w);
}

static void
test_random_sites_keep_invariants(void **state)
{
	const char *one = getenv("EVG_PROP_SEED");

	(void)state;
	if (one != NULL) {
		run_case(strtoull(one, NULL, 10));
		return;
	}
	for (uint64_t seed = 1; seed <= CASES; seed++)
		run_case(seed);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_sites_keep_invariants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
