/*
 * test_props.c: property tests of the firmware core. Random sites, cars,
 * commands and injected faults in virtual time; after every 10 ms step:
 *  - the core's own invariants hold (fw_invariant_violation);
 *  - every offer is 0 or 6 A..connector max, never 0.1-5.9 A, and the
 *    duty cycle says exactly that offer;
 *  - the contactor is open within 100 ms of the car leaving C/D;
 *  - it is open within 5 s of the supply leaving 207-253 V or the PE
 *    rising above 70 V, and at once on a residual-current trip.
 * EVG_PROP_SEED=N reruns one case.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "rig.h"
#include "slave_regs.h"

#define CASES		200
#define CASE_MS		(5 * 60 * 1000)

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

static void
random_command(struct rig *r, struct prng *p)
{
	static const char *const faults[] = { "rcm-ac", "rcm-dc",
	    "rcm-selftest", "diode", "pilot-short", "weld", "no-close",
	    "overdraw", "meter", "overtemp", "overvoltage", "undervoltage",
	    "pen" };
	static const char *const verbs[] = { "authorise", "stop", "lock",
	    "unlock", "reset" };
	static const char *const wants[] = { "charge", "stop", "ventilate" };
	char	 line[96];
	int	 n = (int)pick(p, (uint32_t)r->s.fw.cfg.nconn) + 1;
	int32_t	 before = r->s.fw.conn[n - 1].setpoint_da;
	int	 rc;

	switch (pick(p, 14)) {
	case 0:
	case 1:
		snprintf(line, sizeof(line), "%s %d",
		    pick(p, 2) ? "plug" : "unplug", n);
		break;
	case 2:
		snprintf(line, sizeof(line), "car %d %s", n,
		    wants[pick(p, 3)]);
		break;
	case 3:
		snprintf(line, sizeof(line), "car %d %s", n,
		    (const char *[]){ "max 16", "max 32", "phases 1",
		    "phases 3", "lag 0", "lag 5000", "stubborn on",
		    "stubborn off", "soc 95" }[pick(p, 9)]);
		break;
	case 4:
	case 5: {
		/* Any value, valid or not: bad ones must change nothing. */
		int32_t da = (int32_t)pick(p, 400);

		snprintf(line, sizeof(line), "setpoint %d %d.%d", n, da / 10,
		    da % 10);
		rc = rig_cmd(r, line);
		if ((da != 0 && (da < 60 ||
		    da > r->s.fw.cfg.conn[n - 1].max_da)) ||
		    (r->s.fw.fallback && da > r->s.fw.cfg.fallback_da)) {
			assert_int_equal(rc, -1);
			assert_int_equal(r->s.fw.conn[n - 1].setpoint_da,
			    before);
		} else
			assert_int_equal(rc, 0);
		return;
	}
	case 6:
	case 7:
		snprintf(line, sizeof(line), "%s %d %s",
		    pick(p, 3) ? "clear" : "fault", n,
		    faults[pick(p, sizeof(faults) / sizeof(faults[0]))]);
		break;
	case 8:
		snprintf(line, sizeof(line), "temp %u", 20 + pick(p, 75));
		break;
	case 9:
		snprintf(line, sizeof(line), "voltage %u %u", 1 + pick(p, 3),
		    200 + pick(p, 60));
		break;
	case 10:
		snprintf(line, sizeof(line), "pe %u", pick(p, 4) ? 0 :
		    pick(p, 90));
		break;
	case 11:
	case 12:
		snprintf(line, sizeof(line), "%s %d", verbs[pick(p, 5)], n);
		break;
	default:
		snprintf(line, sizeof(line), "rfid %d %08X", n, next(p));
		break;
	}
	(void)rig_cmd(r, line);
}

struct watch {
	uint64_t not_cd_since[HAL_MAX_CONNECTORS];
	uint64_t supply_bad_since[HAL_MAX_CONNECTORS];
	uint64_t heartbeat_ms;		/* last heartbeat that changed */
	uint16_t heartbeat;
};

/* A master that writes heartbeats (sometimes stuck on one value). */
static void
random_master(struct rig *r, struct prng *p, struct watch *w)
{
	uint16_t v;

	if (!r->s.fw.cfg.master_link)
		return;
	if (pick(p, 3) == 0) {
		/* Setpoint writes go through the register map too. */
		v = (uint16_t)(pick(p, 2) ? 0 : 60 + pick(p, 300));
		(void)slave_regs_write(&r->s, 100, 1, &v, r->now);
		return;
	}
	v = pick(p, 4) ? (uint16_t)(w->heartbeat + 1) : w->heartbeat;
	if (slave_regs_write(&r->s, 0, 1, &v, r->now) == 0 &&
	    (v != w->heartbeat || w->heartbeat_ms == 0)) {
		w->heartbeat = v;
		w->heartbeat_ms = r->now;
	}
}

static void
check_step(const struct rig *r, struct watch *w, uint64_t seed)
{
	const struct fw *fw = &r->s.fw;

	if (r->violation != NULL)
		fail_msg("seed %llu: %s at %llu ms", (unsigned long long)seed,
		    r->violation, (unsigned long long)r->violation_ms);
	for (int i = 0; i < fw->cfg.nconn; i++) {
		const struct fw_conn *c = &fw->conn[i];
		const struct sim_conn *sc = &r->s.sim.conn[i];
		enum phase_conn pc = fw->cfg.conn[i].phase;
		uint16_t duty;
		bool	 car_cd = sc->car.plugged && sc->car.s2_closed &&
		    (sc->car.want != CAR_VENTILATE || fw->cfg.ventilation);
		bool	 supply_bad = r->s.sim.pe_dv > FW_PEN_MAX_DV;

		if (c->offer_da != 0 && (c->offer_da < 60 ||
		    c->offer_da > fw->cfg.conn[i].max_da))
			fail_msg("seed %llu: offer %d", (unsigned long long)seed,
			    c->offer_da);
		if (c->drive == CP_DRIVE_PWM) {
			assert_int_equal(cp_duty_for_current(c->offer_da, &duty),
			    0);
			assert_int_equal(duty, c->duty_pm);
		}
		/* Physical pilot state: the car, unless a pilot fault hides
		 * it (then the core sees E and must open anyway). */
		if (car_cd && !(sc->faults & (1u << SIM_PILOT_SHORT)))
			w->not_cd_since[i] = 0;
		else if (w->not_cd_since[i] == 0)
			w->not_cd_since[i] = r->now;
		if (w->not_cd_since[i] != 0 && c->close_cmd &&
		    r->now - w->not_cd_since[i] > FW_OPEN_MAX_MS)
			fail_msg("seed %llu: conn %d closed %llu ms after the car "
			    "left C/D", (unsigned long long)seed, i + 1,
			    (unsigned long long)(r->now - w->not_cd_since[i]));

		for (int l = 0; l < phase_conn_lines(pc); l++) {
			int32_t v = r->s.sim.ln_dv[phase_conn_site_phase(pc, l)];

			if (v < FW_VOLTAGE_MIN_DV || v > FW_VOLTAGE_MAX_DV)
				supply_bad = true;
		}
		if (!supply_bad)
			w->supply_bad_since[i] = 0;
		else if (w->supply_bad_since[i] == 0)
			w->supply_bad_since[i] = r->now;
		if (w->supply_bad_since[i] != 0 && c->close_cmd &&
		    r->now - w->supply_bad_since[i] >
		    FW_VOLTAGE_DISCONNECT_MAX_MS)
			fail_msg("seed %llu: conn %d closed on a bad supply",
			    (unsigned long long)seed, i + 1);
		/* Invariant 3: a silent master means the fallback current. */
		if (fw->cfg.master_link && r->now - (w->heartbeat_ms ?
		    w->heartbeat_ms : r->now - 1) > fw->cfg.fallback_timeout_ms +
		    RIG_TICK_MS && c->offer_da > fw->cfg.fallback_da)
			fail_msg("seed %llu: conn %d offers %d with the master "
			    "silent", (unsigned long long)seed, i + 1,
			    c->offer_da);
		if ((sc->faults & ((1u << SIM_RCM_AC) | (1u << SIM_RCM_DC))) &&
		    c->close_cmd && c->rcm_test != RCM_TEST_INJECTING)
			fail_msg("seed %llu: conn %d closed during a residual "
			    "current trip", (unsigned long long)seed, i + 1);
	}
}

static void
run_case(uint64_t seed)
{
	struct prng p = { seed * 0x9E3779B97F4A7C15ULL + 1 };
	char	 s_conn[32], s_vent[32], s_auth[40], s_open[40], s_p1[40],
		 s_p2[40], s_link[40], s_fb[40];
	const char *set[] = { s_conn, s_vent, s_auth, s_open, s_p1, s_p2,
	    s_link, s_fb, NULL };
	struct watch w = { { 0 }, { 0 }, 0, 0 };
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
	r = rig_new(set);
	w.heartbeat_ms = r->now;	/* the watchdog counts from boot */
	for (uint64_t t = 0; t < CASE_MS; t += RIG_TICK_MS) {
		if (t >= next_cmd) {
			if (pick(&p, 2))
				random_master(r, &p, &w);
			else
				random_command(r, &p);
			next_cmd = t + pick(&p, 4000);
		}
		rig_run(r, RIG_TICK_MS);
		check_step(r, &w, seed);
	}
	rig_free(r);
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
