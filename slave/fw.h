/*
 * fw.h: the charger firmware core. A pure state machine per unit (one or
 * two connectors): fw_step() takes the sampled inputs and the monotonic
 * time and returns what to drive (pilot, contactor, RCM test line, LED)
 * and what happened (events). No clock, no I/O, no allocation, no globals:
 * the same code runs in the program, the tests and the simulator.
 */
#ifndef EVG_FW_H
#define EVG_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "charger.h"
#include "hal.h"
#include "led.h"
#include "pilot.h"
#include "units.h"

/*
 * Timing. Each number says where it comes from; "design" marks our own
 * choice inside a limit that a standard sets.
 */
/* IEC 61851-1 Annex A: on C -> B or A the EVSE opens within 100 ms. */
#define FW_OPEN_MAX_MS			100
/* IEC 61851-1 Annex A (via DOMAIN.md): close promptly, within 3 s of C. */
#define FW_CLOSE_MAX_MS			3000
/* IEC 61851-1 Annex A: after PWM is switched off the EVSE waits for the
 * EV to go to B and opens at the latest 6 s later, under load if need be. */
#define FW_PAUSE_OPEN_MAX_MS		6000
/* IEC 61851-1 Annex A: the EV follows a new duty cycle within 5 s. */
#define FW_EV_RESPONSE_MS		5000
/* Design: the shell steps the core every 1-20 ms (unit.tick_ms); 3
 * debounce samples + 1 tick stay inside the 100 ms to open. A deadline
 * is met on the last tick before it, allowing the next tick to come up
 * to one period late. */
#define FW_TICK_MAX_MS			20
/* Design: the auxiliary contact must agree with the coil within 200 ms
 * (contactor release and make times are 20-80 ms). */
#define FW_CONTACTOR_FEEDBACK_MS	200
/* Design: overcurrent = above offer + max(2 A, 10 %), the offer being the
 * highest of the EV's last 5 s (FW_EV_RESPONSE_MS) ... */
#define FW_OVERCURRENT_MIN_MARGIN_DA	20
#define FW_OVERCURRENT_MARGIN_PCT	10
/* ... for 1 s after the EV's 5 s response window. Inside it (the first
 * 5 s after closing) the car may still settle below its offer, never
 * above what the connector is rated for: there the limit is the
 * connector's maximum (its cable and contactor) + the same margin. */
#define FW_OVERCURRENT_FILTER_MS	1000
/* BS 7671:2018+A1 722.411.4.1(iv): disconnect within 5 s when L-N is
 * above 253 V or below 207 V; reconnect only when back within range. */
#define FW_VOLTAGE_MIN_DV		2070
#define FW_VOLTAGE_MAX_DV		2530
#define FW_VOLTAGE_DISCONNECT_MAX_MS	5000
/* Design: out of range for 1 s trips (inside the 5 s above); back in
 * range for 5 s re-arms. */
#define FW_VOLTAGE_FILTER_MS		1000
#define FW_VOLTAGE_RECOVER_MS		5000
/* BS 7671:2018+A1 722.411.4.1(iii): disconnect within 5 s when the
 * protective conductor rises above 70 V to true earth; shock protection
 * "shall not be automatically reset": the PEN fault latches. */
#define FW_PEN_MAX_DV			700
#define FW_PEN_FILTER_MS		1000
/* Design (enclosure rated 85 degC): derate linearly from 70 degC, stop
 * at 85 degC, resume at or below 75 degC. */
#define FW_TEMP_DERATE_DDEG		700
#define FW_TEMP_STOP_DDEG		850
#define FW_TEMP_RESUME_DDEG		750
/* Design: an energy meter silent for 1 s stops charging (no current
 * reading, no overcurrent protection). */
#define FW_METER_TIMEOUT_MS		1000
/* IEC 62955 RDC-DD: the trip outputs act at once; design: the test line
 * must trip both outputs within 500 ms and release within 500 ms. */
#define FW_RCM_TEST_MS			500
#define FW_RCM_TEST_ATTEMPTS		3
#define FW_RCM_TEST_RETRY_MS		1000
/* Design: after a residual-current trip retry up to 3 times per session,
 * waiting 15 s, 30 s, 60 s; the 4th trip latches. */
#define FW_RCM_MAX_RETRIES		3
#define FW_RCM_BACKOFF_BASE_MS		15000
/* Design: an authorisation given before the car is plugged in holds 60 s,
 * and so does a card shown with no car (the next driver's car is not
 * charged on it). */
#define FW_AUTH_HOLD_MS			60000
/* Register map: fallback timeout 2-600 s, default 10 s. */
#define FW_FALLBACK_TIMEOUT_MIN_MS	2000
#define FW_FALLBACK_TIMEOUT_MAX_MS	600000
/* Design: the unit reports "booting" until every pilot is debounced. */
#define FW_BOOT_MAX_MS			1000

#define FW_DEFAULT_MIN_OPEN_MS		10000

enum auth_mode {
	AUTH_FREE = 0,		/* plug and charge */
	AUTH_REMOTE = 1,	/* the master (or an operator) authorises */
};

enum fw_cmd {
	FW_CMD_AUTHORISE = 1,
	FW_CMD_STOP = 2,
	FW_CMD_LOCK = 3,
	FW_CMD_UNLOCK = 4,
	FW_CMD_RESET = 5,
};

struct fw_conn_cfg {
	enum phase_conn	phase;
	int32_t		max_da;		/* 6.0-80.0 A, <= hw_max_da */
};

struct fw_cfg {
	int			nconn;		/* 1 or 2 */
	/* A master commands this unit: boot at the fallback current, and
	 * fall back to it by ourselves when the heartbeat stops. */
	bool			master_link;
	int32_t			fallback_da;	/* 0 or 6.0 A.. */
	uint32_t		fallback_timeout_ms;
	int32_t			hw_max_da;
	bool			ventilation;	/* state D allowed */
	uint32_t		min_open_ms;
	uint32_t		tick_ms;	/* the shell's step period */
	enum auth_mode		auth;
	struct fw_conn_cfg	conn[HAL_MAX_CONNECTORS];
};

/* One sample of a connector's inputs, as the shell read them. */
struct fw_conn_in {
	int32_t		cp_high_mv, cp_low_mv;
	bool		pilot_ok;	/* the pilot ADC answered */
	bool		contactor_closed;
	bool		rcm_ac, rcm_dc;
	bool		meter_ok;
	int32_t		line_da[EVG_PHASES];	/* per conductor 1..3 */
	uint64_t	energy_wh;
	bool		rfid_new;
	char		rfid[HAL_RFID_LEN + 1];
};

struct fw_in {
	struct fw_conn_in conn[HAL_MAX_CONNECTORS];
	bool		voltage_ok, pe_ok, temp_ok;
	int32_t		ln_dv[EVG_PHASES];
	int32_t		pe_dv;
	int32_t		temp_ddeg;
};

struct fw_conn_out {
	enum cp_drive	drive;
	uint16_t	duty_pm;	/* CP_DUTY_OFF_PM unless PWM */
	bool		contactor_close;
	bool		rcm_test;
	enum led_code	led;
};

enum fw_event_kind {
	EV_CP,			/* a: old cp_state, b: new */
	EV_STATE,		/* a: old conn_state, b: new */
	EV_CONTACTOR,		/* a: 1 closed, 0 opened */
	EV_FAULT_SET,		/* a: enum fault, b: 1 if latched */
	EV_FAULT_CLEAR,		/* a: enum fault */
	EV_SESSION_START,	/* a: session number */
	EV_SESSION_END,		/* a: session number, b: stop_reason */
	EV_OFFER,		/* a: old offer (0.1 A), b: new */
	EV_RCM_TEST,		/* a: 1 passed, 0 failed */
	EV_REFUSED,		/* a: why (enum fw_refusal) */
	EV_FALLBACK,		/* a: 1 entered (master silent), 0 left */
	EV_PAUSE_IGNORED,	/* the car stayed in C: opened under load */
};

enum fw_refusal {
	REFUSE_VENTILATION = 1,	/* state D and the site has no ventilation */
	REFUSE_MIN_OPEN = 2,	/* waiting out the minimum open time */
};

struct fw_event {
	uint8_t			conn;	/* 0-based */
	enum fw_event_kind	kind;
	int32_t			a, b;
};

#define FW_MAX_EVENTS	32

struct fw_out {
	struct fw_conn_out conn[HAL_MAX_CONNECTORS];
	enum unit_status   status;
	struct fw_event	   ev[FW_MAX_EVENTS];
	int		   nev;
	int		   ev_dropped;
};

struct fw_session {
	bool		active;
	uint16_t	number;
	uint64_t	start_ms, end_ms;
	uint64_t	start_wh;
	uint32_t	energy_wh;
	int32_t		peak_da;
	bool		charged;	/* the contactor closed in it */
	enum stop_reason reason;	/* of the last ended session */
	char		tag[HAL_RFID_LEN + 1];
};

enum rcm_test_state {
	RCM_TEST_NEEDED,
	RCM_TEST_INJECTING,	/* test line on, waiting for both trips */
	RCM_TEST_RELEASING,	/* test line off, waiting for release */
	RCM_TEST_PASSED,
};

/*
 * An offer the car may still be following: the value it had, until 5 s
 * after it was lowered (FW_EV_RESPONSE_MS). A connector keeps a few, as a
 * falling staircase: highest and oldest first.
 */
#define FW_OFFER_MEMORY	8
struct fw_offer_memo {
	int32_t		da;
	uint64_t	until;
};

struct fw_conn {
	/* pilot */
	struct cp_debounce cp;
	enum cp_state	cp_state;	/* debounced; CP_INVALID until then */
	int		off_cd;		/* consecutive samples not C (or D
					 * with ventilation), up to the
					 * debounce length */
	int		diode_bad;	/* consecutive bad low plateaus */
	uint64_t	b_since;	/* entered state B */
	/* authorisation and session */
	bool		authorised;
	uint64_t	auth_ms;
	uint64_t	tag_ms;		/* a card shown before the car came */
	bool		need_replug;	/* no automatic start before unplug */
	bool		locked;
	bool		stopping;	/* stop/lock: wind down, end session */
	enum stop_reason stop_reason;
	struct fw_session sess;
	uint16_t	next_session;
	/* current */
	int32_t		setpoint_da;	/* from the master or the operator */
	int32_t		offer_da;	/* advertised on the pilot */
	struct fw_offer_memo recent[FW_OFFER_MEMORY];	/* lowered offers */
	int		nrecent;
	uint64_t	offer_since;	/* offer went from 0 to > 0 */
	enum cp_drive	drive;
	uint16_t	duty_pm;
	/* contactor */
	bool		close_cmd;
	bool		closed_fb;
	uint64_t	cmd_ms;		/* last coil change */
	uint64_t	opened_ms;	/* last opening, for min open time */
	bool		ever_opened;
	bool		pausing;
	uint64_t	pause_deadline;
	/* protection */
	uint32_t	faults;		/* active */
	uint32_t	latched;	/* need a person (reset) */
	uint32_t	until_unplug;	/* clear when the car leaves */
	uint64_t	volt_bad_since, volt_good_since;
	uint64_t	pen_since, oc_since, meter_bad_since;
	bool		rcm_tripped;	/* last sample of the trip outputs */
	int		rcm_trips;
	uint64_t	rcm_retry_ms;
	enum rcm_test_state rcm_test;
	uint64_t	rcm_test_deadline;
	int		rcm_test_failures;
	uint64_t	rcm_test_retry_ms;
	/* measurements */
	int32_t		line_da[EVG_PHASES];
	int32_t		site_da[EVG_PHASES];	/* per site phase L1..L3 */
	uint64_t	energy_wh;
	/* presentation */
	enum conn_state	state;
	enum led_code	led;
	bool		told_min_open;
	bool		no_ventilation;	/* D refused until the car leaves */
};

struct fw {
	struct fw_cfg	cfg;
	struct fw_conn	conn[HAL_MAX_CONNECTORS];
	uint64_t	boot_ms;
	bool		booted;
	enum unit_status status;
	int32_t		ln_dv[EVG_PHASES];
	int32_t		pe_dv;
	bool		pe_ok;		/* the PE sensor answered */
	int32_t		temp_ddeg;
	bool		overtemp;	/* stopped; hysteresis latch */
	/* master link watchdog */
	bool		fallback;
	uint16_t	heartbeat;	/* last value seen */
	bool		heartbeat_seen;
	uint64_t	heartbeat_ms;	/* when it last changed */
	/* events raised by commands between steps */
	struct fw_event	pending[FW_MAX_EVENTS];
	int		npending;
};

int		 fw_init(struct fw *, const struct fw_cfg *, uint64_t now_ms);
void		 fw_step(struct fw *, const struct fw_in *, uint64_t now_ms,
		    struct fw_out *);
int		 fw_command(struct fw *, int conn, enum fw_cmd, uint64_t now_ms);
int		 fw_setpoint(struct fw *, int conn, int32_t da);
int		 fw_setpoint_check(const struct fw *, int conn, int32_t da);
void		 fw_heartbeat(struct fw *, uint16_t value, uint64_t now_ms);
int		 fw_set_fallback(struct fw *, int32_t da, uint32_t timeout_ms);
int32_t		 fw_setpoint_in_force(const struct fw *, int conn);
int		 fw_cfg_check(const struct fw_cfg *, char *err, size_t errlen);
const char	*fw_invariant_violation(const struct fw *);

const char	*fw_event_text(const struct fw_event *, char *buf, size_t len);

#endif
