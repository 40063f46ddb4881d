/*
 * fw.c: the charger firmware core: pilot, authorisation, session, offer,
 * contactor and protection for each connector of a unit. See fw.h for the
 * contract and docs/slave.md for the state machine and fault table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fw.h"

static void
emit(struct fw_event *q, int *n, int cap, int conn, enum fw_event_kind kind,
    int32_t a, int32_t b, int *dropped)
{
	if (*n >= cap) {
		if (dropped != NULL)
			(*dropped)++;
		return;
	}
	q[*n] = (struct fw_event){ .conn = (uint8_t)conn, .kind = kind,
	    .a = a, .b = b };
	(*n)++;
}

#define EMIT(out, ci, kind, a, b) \
	emit((out)->ev, &(out)->nev, FW_MAX_EVENTS, (ci), (kind), (a), (b), \
	    &(out)->ev_dropped)
#define PEND(fw, ci, kind, a, b) \
	emit((fw)->pending, &(fw)->npending, FW_MAX_EVENTS, (ci), (kind), \
	    (a), (b), NULL)

static bool
cp_charging(const struct fw *fw, enum cp_state s)
{
	return s == CP_C || (s == CP_D && fw->cfg.ventilation);
}

static bool
cp_car_present(enum cp_state s)
{
	return s == CP_B || s == CP_C || s == CP_D;
}

/* Faults that need the car to leave (or a reset) before they clear. */
#define UNTIL_UNPLUG_FAULTS	(FAULT_BIT(F_DIODE) | FAULT_BIT(F_OVERCURRENT))

int
fw_cfg_check(const struct fw_cfg *cfg, char *err, size_t errlen)
{
	if (cfg->nconn < 1 || cfg->nconn > HAL_MAX_CONNECTORS) {
		snprintf(err, errlen, "unit.connectors: must be 1-%d",
		    HAL_MAX_CONNECTORS);
		return -EINVAL;
	}
	if (cfg->tick_ms < 1 || cfg->tick_ms > FW_TICK_MAX_MS) {
		snprintf(err, errlen, "unit.tick_ms: must be 1-%d ms",
		    FW_TICK_MAX_MS);
		return -EINVAL;
	}
	if (cfg->hw_max_da < CP_MIN_CURRENT_DA ||
	    cfg->hw_max_da > CP_MAX_CURRENT_DA) {
		snprintf(err, errlen, "unit.max_current: must be 6.0-80.0 A");
		return -EINVAL;
	}
	if (cfg->master_link && ((cfg->fallback_da != 0 &&
	    cfg->fallback_da < CP_MIN_CURRENT_DA) ||
	    cfg->fallback_da > CP_MAX_CURRENT_DA)) {
		snprintf(err, errlen, "link.fallback_current: must be 0 or "
		    "6.0-80.0 A");
		return -EINVAL;
	}
	if (cfg->master_link &&
	    (cfg->fallback_timeout_ms < FW_FALLBACK_TIMEOUT_MIN_MS ||
	    cfg->fallback_timeout_ms > FW_FALLBACK_TIMEOUT_MAX_MS)) {
		snprintf(err, errlen, "link.fallback_timeout: must be 2-600 s");
		return -EINVAL;
	}
	for (int i = 0; i < cfg->nconn; i++) {
		const struct fw_conn_cfg *cc = &cfg->conn[i];

		if (cc->max_da < CP_MIN_CURRENT_DA ||
		    cc->max_da > cfg->hw_max_da) {
			snprintf(err, errlen, "connector%d.max_current: must be "
			    "6.0 A up to unit.max_current (%d.%d A)", i + 1,
			    cfg->hw_max_da / 10, cfg->hw_max_da % 10);
			return -EINVAL;
		}
		if (cc->phase < PHASE_L1 || cc->phase > PHASE_L3L1L2) {
			snprintf(err, errlen, "connector%d.phase: invalid",
			    i + 1);
			return -EINVAL;
		}
	}
	return 0;
}

/* The fallback current as connector ci can take it. */
static int32_t
fallback_for(const struct fw_cfg *cfg, int ci)
{
	return cfg->fallback_da > cfg->conn[ci].max_da ? cfg->conn[ci].max_da :
	    cfg->fallback_da;
}

int
fw_init(struct fw *fw, const struct fw_cfg *cfg, uint64_t now_ms)
{
	char	err[128];

	if (fw_cfg_check(cfg, err, sizeof(err)) != 0)
		return -EINVAL;
	memset(fw, 0, sizeof(*fw));
	fw->cfg = *cfg;
	fw->boot_ms = now_ms;
	fw->status = UNIT_BOOTING;
	fw->heartbeat_ms = now_ms;
	for (int i = 0; i < cfg->nconn; i++) {
		struct fw_conn *c = &fw->conn[i];

		cp_debounce_init(&c->cp);
		c->cp_state = CP_INVALID;
		c->off_cd = CP_DEBOUNCE_SAMPLES;
		/* Under a master, nothing is offered beyond the fallback
		 * current until the master says so. */
		c->setpoint_da = cfg->master_link ?
		    fallback_for(cfg, i) : cfg->conn[i].max_da;
		c->drive = CP_DRIVE_PLUS12;
		c->duty_pm = CP_DUTY_OFF_PM;
		c->next_session = 1;
		c->rcm_test = RCM_TEST_NEEDED;
		c->state = CS_AVAILABLE;
		c->led = LED_BOOTING;
	}
	return 0;
}

/* --- session ------------------------------------------------------------ */

static void
session_start(struct fw *fw, int ci, uint64_t now_ms, struct fw_out *out)
{
	struct fw_conn *c = &fw->conn[ci];
	char	tag[HAL_RFID_LEN + 1];

	memcpy(tag, c->sess.tag, sizeof(tag));
	c->sess = (struct fw_session){
		.active = true,
		.number = c->next_session,
		.start_ms = now_ms,
		.start_wh = c->energy_wh,
	};
	memcpy(c->sess.tag, tag, sizeof(tag));
	c->next_session = c->next_session == UINT16_MAX ? 1 :
	    (uint16_t)(c->next_session + 1);
	c->rcm_test = RCM_TEST_NEEDED;
	c->rcm_test_failures = 0;
	c->rcm_trips = 0;
	EMIT(out, ci, EV_SESSION_START, c->sess.number, 0);
}

static void
session_end(struct fw_conn *c, int ci, enum stop_reason why, uint64_t now_ms,
    struct fw_out *out)
{
	if (!c->sess.active)
		return;
	c->sess.active = false;
	c->sess.end_ms = now_ms;
	c->sess.reason = why;
	c->authorised = false;
	EMIT(out, ci, EV_SESSION_END, c->sess.number, why);
}

/* --- faults ------------------------------------------------------------- */

static void
fault_set(struct fw_conn *c, int ci, enum fault f, bool latch,
    struct fw_out *out)
{
	uint32_t bit = FAULT_BIT(f);

	if (latch && !(c->latched & bit)) {
		c->latched |= bit;
		c->faults |= bit;
		EMIT(out, ci, EV_FAULT_SET, f, 1);
	} else if (!(c->faults & bit)) {
		c->faults |= bit;
		EMIT(out, ci, EV_FAULT_SET, f, 0);
	}
}

static void
fault_clear(struct fw_conn *c, int ci, enum fault f, struct fw_out *out)
{
	uint32_t bit = FAULT_BIT(f);

	if ((c->faults & bit) && !(c->latched & bit) &&
	    !(c->until_unplug & bit)) {
		c->faults &= ~bit;
		EMIT(out, ci, EV_FAULT_CLEAR, f, 0);
	}
}

/* Over/under voltage in this sample on the phases connector ci uses. */
static void
supply_sample(const struct fw *fw, int ci, const struct fw_in *in,
    bool *over, bool *under)
{
	enum phase_conn pc = fw->cfg.conn[ci].phase;

	*over = *under = false;
	for (int l = 0; l < phase_conn_lines(pc); l++) {
		int32_t v = in->ln_dv[phase_conn_site_phase(pc, l)];

		/* A supply we cannot measure is not a supply we trust. */
		if (!in->voltage_ok || v < FW_VOLTAGE_MIN_DV)
			*under = true;
		else if (v > FW_VOLTAGE_MAX_DV)
			*over = true;
	}
}

/* PE above 70 V to true earth in this sample, or unreadable. */
static bool
pe_sample_bad(const struct fw_in *in)
{
	return !in->pe_ok || in->pe_dv > FW_PEN_MAX_DV;
}

/*
 * Every input of connector ci within its range in this very sample. The
 * filters on voltage, PE and the meter only delay opening on a bad
 * reading; they never let the contactor close on one.
 */
static bool
inputs_in_range(const struct fw *fw, int ci, const struct fw_in *in)
{
	const struct fw_conn_in *cin = &in->conn[ci];
	bool	 over, under;

	supply_sample(fw, ci, in, &over, &under);
	return !over && !under && !pe_sample_bad(in) && in->temp_ok &&
	    in->temp_ddeg < FW_TEMP_STOP_DDEG && cin->meter_ok &&
	    !cin->rcm_ac && !cin->rcm_dc;
}

/* Over/under voltage on the phases this connector uses. */
static void
protect_voltage(struct fw *fw, int ci, const struct fw_in *in,
    uint64_t now_ms, struct fw_out *out)
{
	struct fw_conn *c = &fw->conn[ci];
	bool	 over, under;

	supply_sample(fw, ci, in, &over, &under);
	if (over || under) {
		c->volt_good_since = 0;
		if (c->volt_bad_since == 0)
			c->volt_bad_since = now_ms;
		if (now_ms - c->volt_bad_since >= FW_VOLTAGE_FILTER_MS)
			fault_set(c, ci, over ? F_OVERVOLTAGE : F_UNDERVOLTAGE,
			    false, out);
		return;
	}
	c->volt_bad_since = 0;
	if (!(c->faults & (FAULT_BIT(F_OVERVOLTAGE) |
	    FAULT_BIT(F_UNDERVOLTAGE))))
		return;
	if (c->volt_good_since == 0)
		c->volt_good_since = now_ms;
	if (now_ms - c->volt_good_since >= FW_VOLTAGE_RECOVER_MS) {
		fault_clear(c, ci, F_OVERVOLTAGE, out);
		fault_clear(c, ci, F_UNDERVOLTAGE, out);
	}
}

static void
protect_pen(struct fw *fw, int ci, const struct fw_in *in, uint64_t now_ms,
    struct fw_out *out)
{
	struct fw_conn *c = &fw->conn[ci];

	if (pe_sample_bad(in)) {
		if (c->pen_since == 0)
			c->pen_since = now_ms;
		if (now_ms - c->pen_since >= FW_PEN_FILTER_MS)
			fault_set(c, ci, F_PEN, true, out);
	} else
		c->pen_since = 0;
}

static void
protect_temperature(struct fw *fw, int ci, struct fw_out *out)
{
	if (fw->overtemp)
		fault_set(&fw->conn[ci], ci, F_OVERTEMP, false, out);
	else
		fault_clear(&fw->conn[ci], ci, F_OVERTEMP, out);
}

static void
protect_meter(struct fw_conn *c, int ci, const struct fw_conn_in *in,
    uint64_t now_ms, struct fw_out *out)
{
	if (in->meter_ok) {
		c->meter_bad_since = 0;
		fault_clear(c, ci, F_METER, out);
		return;
	}
	if (c->meter_bad_since == 0)
		c->meter_bad_since = now_ms;
	if (now_ms - c->meter_bad_since >= FW_METER_TIMEOUT_MS)
		fault_set(c, ci, F_METER, false, out);
}

/*
 * Residual current: a trip opens at once. The fault clears by itself after
 * a back-off (15, 30, 60 s) once the monitor has released, and a fresh
 * self-test runs before the contactor may close again; the 4th trip of a
 * session latches.
 */
static void
protect_rcm(struct fw_conn *c, int ci, const struct fw_conn_in *in,
    uint64_t now_ms, struct fw_out *out)
{
	bool testing = c->rcm_test == RCM_TEST_INJECTING ||
	    c->rcm_test == RCM_TEST_RELEASING;
	uint32_t rcm_bits = FAULT_BIT(F_RCM_AC) | FAULT_BIT(F_RCM_DC);

	c->rcm_tripped = in->rcm_ac || in->rcm_dc;
	if (!testing && (in->rcm_ac || in->rcm_dc)) {
		bool	 new_trip = !(c->faults & rcm_bits);

		if (new_trip)
			c->rcm_trips++;
		bool	 latch = c->rcm_trips > FW_RCM_MAX_RETRIES;

		if (in->rcm_ac)
			fault_set(c, ci, F_RCM_AC, latch, out);
		if (in->rcm_dc)
			fault_set(c, ci, F_RCM_DC, latch, out);
		if (new_trip && !latch)
			c->rcm_retry_ms = now_ms + ((uint64_t)
			    FW_RCM_BACKOFF_BASE_MS << (c->rcm_trips - 1));
		c->rcm_test = RCM_TEST_NEEDED;
		return;
	}
	if ((c->faults & rcm_bits) && !(c->latched & rcm_bits) &&
	    !in->rcm_ac && !in->rcm_dc && now_ms >= c->rcm_retry_ms) {
		fault_clear(c, ci, F_RCM_AC, out);
		fault_clear(c, ci, F_RCM_DC, out);
	}
}

/*
 * The RDC-DD self-test: drive the test line, expect both trip outputs,
 * release, expect them to clear. Runs with the contactor open before each
 * session and after each residual-current trip.
 */
static void
rcm_self_test(struct fw_conn *c, int ci, const struct fw_conn_in *in,
    uint64_t now_ms, struct fw_out *out)
{
	bool	 fail = false;

	switch (c->rcm_test) {
	case RCM_TEST_NEEDED:
		if (!c->sess.active || c->close_cmd || c->closed_fb ||
		    c->faults || now_ms < c->rcm_test_retry_ms)
			return;
		c->rcm_test = RCM_TEST_INJECTING;
		c->rcm_test_deadline = now_ms + FW_RCM_TEST_MS;
		return;
	case RCM_TEST_INJECTING:
		if (in->rcm_ac && in->rcm_dc) {
			c->rcm_test = RCM_TEST_RELEASING;
			c->rcm_test_deadline = now_ms + FW_RCM_TEST_MS;
		} else if (now_ms >= c->rcm_test_deadline)
			fail = true;
		break;
	case RCM_TEST_RELEASING:
		if (!in->rcm_ac && !in->rcm_dc) {
			c->rcm_test = RCM_TEST_PASSED;
			c->rcm_test_failures = 0;
			EMIT(out, ci, EV_RCM_TEST, 1, 0);
		} else if (now_ms >= c->rcm_test_deadline)
			fail = true;
		break;
	case RCM_TEST_PASSED:
		return;
	}
	if (!fail)
		return;
	EMIT(out, ci, EV_RCM_TEST, 0, 0);
	c->rcm_test = RCM_TEST_NEEDED;
	if (++c->rcm_test_failures >= FW_RCM_TEST_ATTEMPTS)
		fault_set(c, ci, F_RCM_SELFTEST, true, out);
	else
		c->rcm_test_retry_ms = now_ms + FW_RCM_TEST_RETRY_MS;
}

/*
 * Contactor feedback: once the coil has had FW_CONTACTOR_FEEDBACK_MS, the
 * auxiliary contact must agree. Still closed after opening = welded;
 * open while commanded closed = failed to close. Both latch.
 */
static void
protect_contactor(struct fw_conn *c, int ci, uint64_t now_ms,
    struct fw_out *out)
{
	if (now_ms - c->cmd_ms < FW_CONTACTOR_FEEDBACK_MS)
		return;
	if (!c->close_cmd && c->closed_fb)
		fault_set(c, ci, F_WELDED, true, out);
	else if (c->close_cmd && !c->closed_fb)
		fault_set(c, ci, F_NO_CLOSE, true, out);
}

/* Forgets lowered offers whose 5 s are over. */
static void
recent_offers_prune(struct fw_conn *c, uint64_t now_ms)
{
	int	 gone = 0;

	while (gone < c->nrecent && c->recent[gone].until <= now_ms)
		gone++;
	if (gone == 0)
		return;
	c->nrecent -= gone;
	memmove(c->recent, c->recent + gone,
	    (size_t)c->nrecent * sizeof(c->recent[0]));
}

/*
 * An offer of `da` was lowered at now_ms: the car may draw it for 5 s
 * more. Lower offers that expire sooner add nothing and go. When the
 * memory is full, the two last merge into one as high as the first that
 * lives as long as the second: a limit a little too high for a while,
 * never one too low.
 */
static void
recent_offers_add(struct fw_conn *c, int32_t da, uint64_t now_ms)
{
	recent_offers_prune(c, now_ms);
	while (c->nrecent > 0 && c->recent[c->nrecent - 1].da <= da)
		c->nrecent--;
	if (c->nrecent == FW_OFFER_MEMORY) {
		c->recent[FW_OFFER_MEMORY - 2].until =
		    c->recent[FW_OFFER_MEMORY - 1].until;
		c->nrecent--;
	}
	c->recent[c->nrecent++] = (struct fw_offer_memo){
		.da = da,
		.until = now_ms + FW_EV_RESPONSE_MS,
	};
}

/* The highest offer of the car's last 5 s. */
static int32_t
recent_offers_max(struct fw_conn *c, uint64_t now_ms)
{
	recent_offers_prune(c, now_ms);
	return c->nrecent > 0 && c->recent[0].da > c->offer_da ?
	    c->recent[0].da : c->offer_da;
}

/*
 * The car draws clearly more than it was offered. A lowered offer does
 * not pause the check: for 5 s the car may still draw the old value, so
 * the limit is the highest offer of its last 5 s. After closing, the car
 * has 5 s to settle, but never above the connector's rating (rating_da:
 * a car that ignores the pilot from the start is stopped in 1 s, not
 * 6). A car still drawing when its 5 s after a pause are over did not
 * stop: the pause deadline opens, that is no overcurrent.
 */
static void
protect_overcurrent(struct fw_conn *c, int ci, int32_t rating_da,
    uint64_t now_ms, struct fw_out *out)
{
	int32_t ref, margin, limit, worst = 0;
	bool	 settling = now_ms - c->cmd_ms < FW_EV_RESPONSE_MS;

	if (!c->close_cmd || !c->closed_fb ||
	    (ref = settling ? rating_da : recent_offers_max(c, now_ms)) <= 0) {
		c->oc_since = 0;
		return;
	}
	margin = ref * FW_OVERCURRENT_MARGIN_PCT / 100;
	if (margin < FW_OVERCURRENT_MIN_MARGIN_DA)
		margin = FW_OVERCURRENT_MIN_MARGIN_DA;
	limit = ref + margin;
	for (int l = 0; l < EVG_PHASES; l++)
		if (c->line_da[l] > worst)
			worst = c->line_da[l];
	if (worst <= limit) {
		c->oc_since = 0;
		return;
	}
	if (c->oc_since == 0)
		c->oc_since = now_ms;
	if (now_ms - c->oc_since >= FW_OVERCURRENT_FILTER_MS) {
		c->until_unplug |= FAULT_BIT(F_OVERCURRENT);
		fault_set(c, ci, F_OVERCURRENT, false, out);
	}
}

/* --- pilot -------------------------------------------------------------- */

static void
pilot_sample(struct fw *fw, int ci, const struct fw_conn_in *in,
    uint64_t now_ms, struct fw_out *out)
{
	struct fw_conn *c = &fw->conn[ci];
	enum cp_state s, old = c->cp_state;

	/* Driving -12 V (state F) hides the car: keep what we knew. */
	if (c->drive == CP_DRIVE_MINUS12)
		return;
	s = in->pilot_ok ? cp_classify(in->cp_high_mv) : CP_INVALID;
	/* Leaving C for the debounce length opens the contactor, whether
	 * or not a new state settles (a pilot that bounces between B and A
	 * never does). */
	if (cp_charging(fw, s))
		c->off_cd = 0;
	else if (c->off_cd < CP_DEBOUNCE_SAMPLES)
		c->off_cd++;
	if (cp_debounce_feed(&c->cp, s)) {
		c->cp_state = c->cp.stable;
		EMIT(out, ci, EV_CP, old, c->cp_state);
		if (c->cp_state == CP_B)
			c->b_since = now_ms;
		/* No ventilation: refuse state D for the rest of the session
		 * (PWM stays off), rather than offer and withdraw forever. */
		if (c->cp_state == CP_D && !fw->cfg.ventilation &&
		    !c->no_ventilation) {
			c->no_ventilation = true;
			EMIT(out, ci, EV_REFUSED, REFUSE_VENTILATION, 0);
		}
	}

	/* State E, F or a level between bands while a car may be there. */
	if (c->cp.valid && (c->cp_state == CP_E || c->cp_state == CP_F ||
	    c->cp_state == CP_INVALID))
		fault_set(c, ci, F_PILOT, false, out);
	else if (c->cp.valid)
		fault_clear(c, ci, F_PILOT, out);

	/* Diode check: only meaningful while PWM runs and a car loads it. */
	if (c->drive == CP_DRIVE_PWM && cp_car_present(c->cp_state) &&
	    cp_car_present(s) && !cp_diode_ok(in->cp_low_mv)) {
		if (++c->diode_bad >= CP_DEBOUNCE_SAMPLES) {
			c->until_unplug |= FAULT_BIT(F_DIODE);
			fault_set(c, ci, F_DIODE, false, out);
		}
	} else
		c->diode_bad = 0;
}

/* The car left: end the session and forget what only lasted while it
 * was there. */
static void
car_left(struct fw *fw, int ci, uint64_t now_ms, struct fw_out *out)
{
	struct fw_conn *c = &fw->conn[ci];
	enum stop_reason why;

	if (c->sess.active) {
		if (c->stopping)
			why = c->stop_reason;
		else if (c->state == CS_SUSPENDED_EV)
			why = STOP_CAR;
		else
			why = STOP_UNPLUG;
		session_end(c, ci, why, now_ms, out);
	}
	c->stopping = false;
	c->need_replug = false;
	c->no_ventilation = false;
	c->authorised = false;
	c->sess.tag[0] = '\0';
	c->rcm_trips = 0;
	for (int f = 0; f < F_COUNT; f++)
		if (c->until_unplug & FAULT_BIT(f)) {
			c->until_unplug &= ~FAULT_BIT(f);
			fault_clear(c, ci, (enum fault)f, out);
		}
}

/* --- authorisation -------------------------------------------------------- */

static void
authorisation(struct fw *fw, int ci, const struct fw_conn_in *in,
    enum cp_state was, uint64_t now_ms, struct fw_out *out)
{
	struct fw_conn *c = &fw->conn[ci];
	bool	 present = cp_car_present(c->cp_state);

	if (in->rfid_new && !c->sess.active && !c->locked) {
		memcpy(c->sess.tag, in->rfid, sizeof(c->sess.tag));
		c->tag_ms = now_ms;
	}

	if (c->cp_state == CP_A && was != CP_A)
		car_left(fw, ci, now_ms, out);
	else if (c->cp_state == CP_A && c->authorised && !c->sess.active &&
	    now_ms - c->auth_ms >= FW_AUTH_HOLD_MS)
		c->authorised = false;	/* nobody came */
	/* a card shown and nobody came: the next car is someone else's */
	if (c->cp_state == CP_A && !c->sess.active && c->sess.tag[0] != '\0' &&
	    now_ms - c->tag_ms >= FW_AUTH_HOLD_MS)
		c->sess.tag[0] = '\0';

	if (!present || c->sess.active || c->locked || c->latched)
		return;
	if (fw->cfg.auth == AUTH_FREE && !c->need_replug)
		c->authorised = true;
	if (c->authorised)
		session_start(fw, ci, now_ms, out);
}

/* --- offer and contactor -------------------------------------------------- */

/* What the temperature leaves of a connector's maximum. */
static int32_t
temperature_cap(const struct fw *fw, int32_t max_da)
{
	int32_t t = fw->temp_ddeg, cap;

	if (t <= FW_TEMP_DERATE_DDEG)
		return max_da;
	if (t >= FW_TEMP_STOP_DDEG)
		return 0;
	/* Rounded down: derating never gives back a tenth of an amp. */
	cap = CP_MIN_CURRENT_DA + (max_da - CP_MIN_CURRENT_DA) *
	    (FW_TEMP_STOP_DDEG - t) /
	    (FW_TEMP_STOP_DDEG - FW_TEMP_DERATE_DDEG);
	return cap;
}

static int32_t
target_offer(const struct fw *fw, int ci)
{
	const struct fw_conn *c = &fw->conn[ci];
	int32_t	offer;

	if (!c->sess.active || c->stopping || c->locked || c->faults ||
	    c->rcm_test != RCM_TEST_PASSED || !cp_car_present(c->cp_state) ||
	    c->no_ventilation)
		return 0;
	offer = c->setpoint_da;
	if (offer > fw->cfg.conn[ci].max_da)
		offer = fw->cfg.conn[ci].max_da;
	if (offer > fw->cfg.hw_max_da)
		offer = fw->cfg.hw_max_da;
	if (offer > temperature_cap(fw, fw->cfg.conn[ci].max_da))
		offer = temperature_cap(fw, fw->cfg.conn[ci].max_da);
	/* IEC 61851-1 Annex A: below 6 A the car must pause, not trickle. */
	return offer < CP_MIN_CURRENT_DA ? 0 : offer;
}

static void
set_offer(struct fw_conn *c, int ci, int32_t offer, uint64_t now_ms,
    struct fw_out *out)
{
	if (offer == c->offer_da)
		return;
	if (offer < c->offer_da)
		recent_offers_add(c, c->offer_da, now_ms);
	if (c->offer_da == 0)
		c->offer_since = now_ms;
	EMIT(out, ci, EV_OFFER, c->offer_da, offer);
	c->offer_da = offer;
}

static void
contactor_command(struct fw_conn *c, int ci, bool close, uint64_t now_ms,
    struct fw_out *out)
{
	if (c->close_cmd == close)
		return;
	c->close_cmd = close;
	c->cmd_ms = now_ms;
	if (!close) {
		c->opened_ms = now_ms;
		c->ever_opened = true;
		c->pausing = false;
	}
	EMIT(out, ci, EV_CONTACTOR, close, 0);
}

/*
 * A deadline "at the latest" is met on the last tick before it: the next
 * one, due a period later, may come up to a period late.
 */
static bool
deadline_due(const struct fw *fw, uint64_t deadline, uint64_t now_ms)
{
	return now_ms + 2 * (uint64_t)fw->cfg.tick_ms >= deadline;
}

/*
 * in_range: every input of this sample within its range. Closing needs
 * the pilot debounced in C (or D with ventilation) and this sample too.
 */
static void
contactor_decide(struct fw *fw, int ci, bool in_range, uint64_t now_ms,
    struct fw_out *out)
{
	struct fw_conn *c = &fw->conn[ci];
	bool	 ev_ok = cp_charging(fw, c->cp_state) &&
	    c->off_cd < CP_DEBOUNCE_SAMPLES;

	if (c->close_cmd) {
		/* Protection and the car leaving C/D: open at once. */
		if (c->faults || !ev_ok) {
			contactor_command(c, ci, false, now_ms, out);
			return;
		}
		/* Pause, stop, lock: PWM is off; give the car its 6 s. A car
		 * still in C then did not stop: open under load, keep the
		 * session (the offer may come back). */
		if (c->offer_da == 0) {
			if (!c->pausing) {
				c->pausing = true;
				c->pause_deadline = now_ms +
				    FW_PAUSE_OPEN_MAX_MS;
			} else if (deadline_due(fw, c->pause_deadline,
			    now_ms)) {
				EMIT(out, ci, EV_PAUSE_IGNORED, 0, 0);
				contactor_command(c, ci, false, now_ms, out);
			}
		} else
			c->pausing = false;
		return;
	}
	if (!ev_ok || c->off_cd != 0 || !in_range ||
	    c->offer_da < CP_MIN_CURRENT_DA || c->faults ||
	    !c->sess.active || c->stopping || c->locked)
		return;
	if (c->ever_opened && now_ms - c->opened_ms < fw->cfg.min_open_ms) {
		if (!c->told_min_open) {
			EMIT(out, ci, EV_REFUSED, REFUSE_MIN_OPEN, 0);
			c->told_min_open = true;
		}
		return;
	}
	c->told_min_open = false;
	contactor_command(c, ci, true, now_ms, out);
	c->sess.charged = true;
}

/* --- presentation --------------------------------------------------------- */

static enum led_code
fault_led(uint32_t faults)
{
	static const struct {
		enum fault	f;
		enum led_code	led;
	} order[] = {
		{ F_PEN, LED_FAULT_AC_SAFETY },
		{ F_WELDED, LED_FAULT_AC_SAFETY },
		{ F_NO_CLOSE, LED_FAULT_AC_SAFETY },
		{ F_RCM_AC, LED_FAULT_RESIDUAL },
		{ F_RCM_DC, LED_FAULT_RESIDUAL },
		{ F_RCM_SELFTEST, LED_FAULT_RESIDUAL },
		{ F_OVERVOLTAGE, LED_FAULT_VOLTAGE },
		{ F_UNDERVOLTAGE, LED_FAULT_VOLTAGE },
		{ F_DIODE, LED_FAULT_DIODE },
		{ F_PILOT, LED_FAULT_PILOT },
		{ F_OVERCURRENT, LED_FAULT_OVERCURRENT },
		{ F_OVERTEMP, LED_FAULT_TEMPERATURE },
		{ F_METER, LED_FAULT_METER },
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (faults & FAULT_BIT(order[i].f))
			return order[i].led;
	return LED_FAULT_PILOT;
}

static enum conn_state
derive_state(const struct fw *fw, const struct fw_conn *c, uint64_t now_ms)
{
	if (c->locked)
		return CS_LOCKED;
	if (c->faults)
		return CS_FAULT;
	if (!cp_car_present(c->cp_state))
		return c->authorised ? CS_AUTH_WAIT_CAR : CS_AVAILABLE;
	if (!c->sess.active)
		return CS_WAIT_AUTH;
	if (c->close_cmd && c->offer_da > 0)
		return CS_CHARGING;
	if (c->no_ventilation)
		return CS_SUSPENDED_EV;
	/* Paused: by the site (setpoint 0), an operator's stop, the heat,
	 * or winding down with the contactor still closed. */
	if (c->setpoint_da == 0 || c->stopping || c->close_cmd ||
	    (c->rcm_test == RCM_TEST_PASSED && c->offer_da == 0))
		return CS_NO_CURRENT;
	/* In C but not closed yet (minimum open time): postponed. */
	if (cp_charging(fw, c->cp_state))
		return CS_NO_CURRENT;
	/* In B with an offer: the car's choice if it went there with the
	 * offer standing, or stays there past its 5 s to react to one. */
	if (c->sess.charged && (c->b_since > c->offer_since ||
	    now_ms - c->offer_since >= FW_EV_RESPONSE_MS))
		return CS_SUSPENDED_EV;
	return CS_AUTH_WAIT_CAR;
}

static enum led_code
derive_led(const struct fw *fw, const struct fw_conn *c)
{
	if (!fw->booted)
		return LED_BOOTING;
	switch (c->state) {
	case CS_AVAILABLE:	return LED_READY;
	case CS_WAIT_AUTH:	return LED_CABLE_IN;
	case CS_AUTH_WAIT_CAR:	return LED_WAITING;
	case CS_CHARGING:	return LED_CHARGING;
	case CS_NO_CURRENT:		return LED_POSTPONED;
	case CS_SUSPENDED_EV:	return LED_SUSPENDED_EV;
	case CS_FAULT:		return fault_led(c->faults);
	case CS_LOCKED:		return LED_OUT_OF_SERVICE;
	}
	return LED_OFF;
}

/* --- the step --------------------------------------------------------------- */

static void
measure(struct fw *fw, int ci, const struct fw_conn_in *in)
{
	struct fw_conn *c = &fw->conn[ci];
	enum phase_conn pc = fw->cfg.conn[ci].phase;

	c->closed_fb = in->contactor_closed;
	if (!in->meter_ok)
		return;	/* keep the last good reading */
	memset(c->site_da, 0, sizeof(c->site_da));
	for (int l = 0; l < EVG_PHASES; l++) {
		int p = phase_conn_site_phase(pc, l);

		c->line_da[l] = in->line_da[l];
		if (p >= 0)
			c->site_da[p] += in->line_da[l];
	}
	c->energy_wh = in->energy_wh;
}

static void
conn_step(struct fw *fw, int ci, const struct fw_in *in, uint64_t now_ms,
    struct fw_out *out)
{
	struct fw_conn *c = &fw->conn[ci];
	const struct fw_conn_in *ci_in = &in->conn[ci];
	enum cp_state was = c->cp_state;
	enum conn_state old_state = c->state;
	struct fw_conn_out *o = &out->conn[ci];
	uint32_t had_latched = c->latched;

	measure(fw, ci, ci_in);
	pilot_sample(fw, ci, ci_in, now_ms, out);
	protect_voltage(fw, ci, in, now_ms, out);
	protect_pen(fw, ci, in, now_ms, out);
	protect_temperature(fw, ci, out);
	protect_meter(c, ci, ci_in, now_ms, out);
	protect_rcm(c, ci, ci_in, now_ms, out);
	protect_contactor(c, ci, now_ms, out);
	protect_overcurrent(c, ci, fw->cfg.conn[ci].max_da, now_ms, out);

	/* A fault that needs a person or a replug ends the session. */
	if (c->sess.active && (c->latched & ~had_latched ||
	    (c->until_unplug & c->faults))) {
		session_end(c, ci, STOP_FAULT, now_ms, out);
		c->need_replug = true;
	}

	authorisation(fw, ci, ci_in, was, now_ms, out);
	rcm_self_test(c, ci, ci_in, now_ms, out);

	/* A stop or lock finishes once the contactor is open. */
	if (c->stopping && !c->close_cmd) {
		session_end(c, ci, c->stop_reason, now_ms, out);
		c->stopping = false;
		c->need_replug = true;
	}

	set_offer(c, ci, target_offer(fw, ci), now_ms, out);
	contactor_decide(fw, ci, inputs_in_range(fw, ci, in), now_ms, out);

	if (c->sess.active) {
		int64_t e = (int64_t)(c->energy_wh - c->sess.start_wh);

		c->sess.energy_wh = e > 0 ? (uint32_t)e : 0;
		for (int p = 0; p < EVG_PHASES; p++)
			if (c->site_da[p] > c->sess.peak_da)
				c->sess.peak_da = c->site_da[p];
	}

	/* Outputs. A latched safety fault shows state F on the pilot. */
	if (c->latched & (FAULT_BIT(F_PEN) | FAULT_BIT(F_WELDED) |
	    FAULT_BIT(F_NO_CLOSE)))
		c->drive = CP_DRIVE_MINUS12;
	else if (c->offer_da > 0)
		c->drive = CP_DRIVE_PWM;
	else
		c->drive = CP_DRIVE_PLUS12;
	if (c->drive == CP_DRIVE_PWM)
		(void)cp_duty_for_current(c->offer_da, &c->duty_pm);
	else
		c->duty_pm = CP_DUTY_OFF_PM;

	c->state = derive_state(fw, c, now_ms);
	if (c->state != old_state)
		EMIT(out, ci, EV_STATE, old_state, c->state);
	c->led = derive_led(fw, c);

	o->drive = c->drive;
	o->duty_pm = c->duty_pm;
	o->contactor_close = c->close_cmd;
	o->rcm_test = c->rcm_test == RCM_TEST_INJECTING;
	o->led = c->led;
}

static void
unit_step(struct fw *fw, const struct fw_in *in, uint64_t now_ms)
{
	bool	 all_debounced = true;

	memcpy(fw->ln_dv, in->ln_dv, sizeof(fw->ln_dv));
	fw->pe_dv = in->pe_dv;
	fw->pe_ok = in->pe_ok;
	/* An unreadable sensor counts as too hot. */
	fw->temp_ddeg = in->temp_ok ? in->temp_ddeg : FW_TEMP_STOP_DDEG;
	if (fw->temp_ddeg >= FW_TEMP_STOP_DDEG)
		fw->overtemp = true;
	else if (fw->temp_ddeg <= FW_TEMP_RESUME_DDEG)
		fw->overtemp = false;

	for (int i = 0; i < fw->cfg.nconn; i++)
		if (!fw->conn[i].cp.valid)
			all_debounced = false;
	if (!fw->booted && (all_debounced ||
	    now_ms - fw->boot_ms >= FW_BOOT_MAX_MS))
		fw->booted = true;
}

/*
 * The master link watchdog: a heartbeat that has not changed for the
 * fallback timeout puts every connector on the fallback current. Leaving
 * fallback does not restore the old setpoints: the master may have given
 * that current to others meanwhile, so the fallback stays in force until
 * it writes new ones.
 */
static void
watchdog(struct fw *fw, uint64_t now_ms, struct fw_out *out)
{
	if (!fw->cfg.master_link || fw->fallback ||
	    now_ms - fw->heartbeat_ms < fw->cfg.fallback_timeout_ms)
		return;
	fw->fallback = true;
	for (int i = 0; i < fw->cfg.nconn; i++)
		fw->conn[i].setpoint_da = fallback_for(&fw->cfg, i);
	EMIT(out, 0, EV_FALLBACK, 1, 0);
}

/* A heartbeat write from the master: a new value proves it is alive. */
void
fw_heartbeat(struct fw *fw, uint16_t value, uint64_t now_ms)
{
	if (fw->heartbeat_seen && value == fw->heartbeat)
		return;
	fw->heartbeat_seen = true;
	fw->heartbeat = value;
	fw->heartbeat_ms = now_ms;
	if (fw->fallback) {
		fw->fallback = false;
		PEND(fw, 0, EV_FALLBACK, 0, 0);
	}
}

/*
 * New fallback current and timeout, from the master: 0 or 6.0 A.., else
 * -ERANGE. While the master is silent a higher current is refused
 * (-EBUSY): it would raise every connector at once, and the master
 * counts this unit at the old one. A lower one applies at once, and
 * never raises a setpoint lowered meanwhile. A refusal changes nothing.
 */
int
fw_set_fallback(struct fw *fw, int32_t da, uint32_t timeout_ms)
{
	if ((da != 0 && da < CP_MIN_CURRENT_DA) || da > CP_MAX_CURRENT_DA ||
	    timeout_ms < FW_FALLBACK_TIMEOUT_MIN_MS ||
	    timeout_ms > FW_FALLBACK_TIMEOUT_MAX_MS)
		return -ERANGE;
	if (fw->fallback && da > fw->cfg.fallback_da)
		return -EBUSY;
	fw->cfg.fallback_da = da;
	fw->cfg.fallback_timeout_ms = timeout_ms;
	if (fw->fallback)
		for (int i = 0; i < fw->cfg.nconn; i++) {
			int32_t fb = fallback_for(&fw->cfg, i);

			if (fw->conn[i].setpoint_da > fb)
				fw->conn[i].setpoint_da = fb;
		}
	return 0;
}

int32_t
fw_setpoint_in_force(const struct fw *fw, int ci)
{
	return fw->conn[ci].setpoint_da;
}

void
fw_step(struct fw *fw, const struct fw_in *in, uint64_t now_ms,
    struct fw_out *out)
{
	bool	 unit_fault = false;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < fw->npending; i++)
		EMIT(out, fw->pending[i].conn, fw->pending[i].kind,
		    fw->pending[i].a, fw->pending[i].b);
	fw->npending = 0;

	unit_step(fw, in, now_ms);
	watchdog(fw, now_ms, out);
	for (int i = 0; i < fw->cfg.nconn; i++) {
		conn_step(fw, i, in, now_ms, out);
		if (fw->conn[i].latched & FAULT_BIT(F_PEN))
			unit_fault = true;
	}
	if (!fw->booted)
		fw->status = UNIT_BOOTING;
	else if (unit_fault)
		fw->status = UNIT_FAULT;
	else
		fw->status = fw->fallback ? UNIT_FALLBACK : UNIT_NORMAL;
	out->status = fw->status;
}

/* --- commands ------------------------------------------------------------- */

/*
 * A latched fault may be reset once the condition behind it is gone (the
 * contactor is open meanwhile, so the protection filters are idle and
 * stay as they are).
 */
static int
reset_faults(struct fw *fw, int ci)
{
	struct fw_conn *c = &fw->conn[ci];

	/* An unreadable PE sensor counts as the fault still there. */
	if ((c->latched & FAULT_BIT(F_PEN)) && (!fw->pe_ok ||
	    fw->pe_dv > FW_PEN_MAX_DV))
		return -EBUSY;
	if ((c->latched & FAULT_BIT(F_WELDED)) && c->closed_fb)
		return -EBUSY;
	if ((c->latched & (FAULT_BIT(F_RCM_AC) | FAULT_BIT(F_RCM_DC))) &&
	    c->rcm_tripped)
		return -EBUSY;
	/* Nothing to reset: nothing changes. Repeated resets must not
	 * restart a protection filter or a residual current back-off, nor
	 * pause a charge for a new self-test. */
	if ((c->latched | c->until_unplug) == 0)
		return 0;
	for (int f = 0; f < F_COUNT; f++) {
		uint32_t bit = FAULT_BIT(f);

		if ((c->latched | c->until_unplug) & bit) {
			c->latched &= ~bit;
			c->until_unplug &= ~bit;
			c->faults &= ~bit;
			PEND(fw, ci, EV_FAULT_CLEAR, f, 1);
		}
	}
	c->rcm_trips = 0;
	c->rcm_retry_ms = 0;
	c->rcm_test_failures = 0;
	c->rcm_test_retry_ms = 0;
	c->rcm_test = RCM_TEST_NEEDED;
	/* Back from -12 V: the pilot was not read meanwhile and the car
	 * may have gone. Its state is unknown until debounced afresh: no
	 * session starts and nothing closes on what it was before. */
	if (c->drive == CP_DRIVE_MINUS12) {
		cp_debounce_init(&c->cp);
		c->cp_state = CP_INVALID;
		c->off_cd = CP_DEBOUNCE_SAMPLES;
		c->drive = CP_DRIVE_PLUS12;
	}
	return 0;
}

/*
 * Operator and master commands. Returns 0, -EINVAL for a bad connector or
 * command, -EBUSY when the command cannot apply now (reset while the fault
 * condition is still present, authorise on a locked connector).
 */
int
fw_command(struct fw *fw, int ci, enum fw_cmd cmd, uint64_t now_ms)
{
	struct fw_conn *c;

	if (ci < 0 || ci >= fw->cfg.nconn)
		return -EINVAL;
	c = &fw->conn[ci];
	switch (cmd) {
	case FW_CMD_AUTHORISE:
		if (c->locked || c->latched)
			return -EBUSY;
		if (c->sess.active)
			return 0;
		c->authorised = true;
		c->auth_ms = now_ms;
		c->need_replug = false;
		return 0;
	case FW_CMD_STOP:
		if (c->sess.active && !c->stopping) {
			c->stopping = true;
			c->stop_reason = STOP_OPERATOR;
		}
		c->authorised = c->sess.active ? c->authorised : false;
		return 0;
	case FW_CMD_LOCK:
		if (c->sess.active && !c->stopping) {
			c->stopping = true;
			c->stop_reason = STOP_OPERATOR;
		}
		c->locked = true;
		c->authorised = c->sess.active;
		return 0;
	case FW_CMD_UNLOCK:
		c->locked = false;
		return 0;
	case FW_CMD_RESET:
		return reset_faults(fw, ci);
	}
	return -EINVAL;
}

/*
 * Would fw_setpoint() take this value now? 0, or the error it returns.
 */
int
fw_setpoint_check(const struct fw *fw, int ci, int32_t da)
{
	if (ci < 0 || ci >= fw->cfg.nconn)
		return -EINVAL;
	if (da != 0 && (da < CP_MIN_CURRENT_DA ||
	    da > fw->cfg.conn[ci].max_da))
		return -ERANGE;
	/* While the master is silent nobody raises a connector above the
	 * fallback current: the master plans as if it draws no more. */
	if (fw->fallback && da > fallback_for(&fw->cfg, ci))
		return -EBUSY;
	return 0;
}

/*
 * The current the site allows this connector: 0 (pause) or 6.0 A up to
 * the connector's maximum, else -ERANGE; above the fallback current while
 * the master is silent, -EBUSY. A refusal changes nothing.
 */
int
fw_setpoint(struct fw *fw, int ci, int32_t da)
{
	int	 rc;

	if ((rc = fw_setpoint_check(fw, ci, da)) != 0)
		return rc;
	fw->conn[ci].setpoint_da = da;
	return 0;
}

/*
 * Invariants that span several fields (SQLite's assert_pager_state idea).
 * Returns NULL when they hold, else what is wrong. Tests call it after
 * every step.
 */
const char *
fw_invariant_violation(const struct fw *fw)
{
	for (int i = 0; i < fw->cfg.nconn; i++) {
		const struct fw_conn *c = &fw->conn[i];

		if (c->offer_da != 0 && (c->offer_da < CP_MIN_CURRENT_DA ||
		    c->offer_da > fw->cfg.conn[i].max_da))
			return "offer outside 0 or 6 A..connector max";
		if (c->close_cmd && (!cp_charging(fw, c->cp_state) ||
		    c->off_cd >= CP_DEBOUNCE_SAMPLES))
			return "contactor closed outside C (or D with ventilation)";
		if (c->close_cmd && !c->sess.active)
			return "contactor closed without a session";
		if (c->close_cmd && c->faults)
			return "contactor closed with a fault";
		if (c->close_cmd && !c->pausing && c->offer_da < CP_MIN_CURRENT_DA)
			return "contactor closed without an offer";
		if (c->drive == CP_DRIVE_PWM && c->offer_da == 0)
			return "PWM without an offer";
		if ((c->latched & ~c->faults) != 0)
			return "latched fault not active";
	}
	return NULL;
}
