/*
 * testmode.h: a phase check on one connector, as a pure sequence. The
 * control cycle calls testmode_step() with what it read; it says what
 * the connector is offered and whether the others are held steady, and
 * ends with a phasecheck result. docs/installer-guide.md, "Checking the
 * phase rotation", tells installers what each step does.
 *
 *   baseline  the connector at its minimum: the car follows (5 s), then
 *             the site is read for TESTMODE_WINDOW_MS
 *   step      the test current, once the cycle offers it: the car
 *             follows (5 s); the readings meanwhile are kept (a building
 *             that moves then is noise)
 *   measure   the site is read for TESTMODE_WINDOW_MS
 *   return    the connector back at its minimum, once it is in force:
 *             the car follows (5 s, the readings kept as in step), then
 *             the site is read for TESTMODE_WINDOW_MS and decided: the
 *             fall must mirror the rise
 *   done      the result stands (also: no car, waiting for authorisation)
 *   failed    ended early: the car left, a fault, the charger offline,
 *             the meter offline (or its reading older than
 *             PHASECHECK_MAX_AGE_MS: at once, the check needs its
 *             readings), no room for the test current, its time was up,
 *             or the master stopped
 *   stopped   an installer stopped it
 */
#ifndef EVG_TESTMODE_H
#define EVG_TESTMODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phasecheck.h"

/* IEC 61851-1 Annex A: a car follows a new offer within 5 s. */
#define TESTMODE_RESPONSE_MS	5000
#define TESTMODE_WINDOW_MS	4000	/* each window of readings */
/* The cycle must offer the test current within this (a raise waits for
 * cut cars to follow, 5 s), or there is no room for it. */
#define TESTMODE_OFFER_WAIT_MS	12000
/* The step must add at least this above the connector's minimum (the
 * baseline), for the rise to stand out of the building's noise. */
#define TESTMODE_MIN_STEP_DA	40
/* baseline, step, measure and return fit (about 30 s when the cycle
 * offers at once) */
#define TESTMODE_SECONDS_MIN	40
#define TESTMODE_SECONDS_MAX	600
#define TESTMODE_SECONDS_DEFAULT 60

enum testmode_state {
	TESTMODE_IDLE = 0,
	TESTMODE_BASELINE,
	TESTMODE_STEP,
	TESTMODE_MEASURE,
	TESTMODE_RETURN,
	TESTMODE_DONE,
	TESTMODE_FAILED,
	TESTMODE_STOPPED,
};

enum testmode_end {
	TESTMODE_END_NONE = 0,
	TESTMODE_END_DECIDED,	/* done: the phase check's result */
	TESTMODE_END_NO_CAR,	/* done: nothing plugged in */
	TESTMODE_END_WAIT_AUTH,	/* done: the car waits for authorisation */
	TESTMODE_END_UNPLUGGED,
	TESTMODE_END_FAULT,	/* a fault, or the connector locked */
	TESTMODE_END_OFFLINE,
	TESTMODE_END_NO_ROOM,
	TESTMODE_END_TIMEOUT,
	TESTMODE_END_STOPPED,	/* by an installer */
	TESTMODE_END_PAUSED,	/* by an operator, or the charger retired */
	TESTMODE_END_NO_METER,	/* the meter offline, or its reading too old */
	TESTMODE_END_RESTART,	/* the master stopped or restarted */
};

/* What the connector's charger said, as the cycle read it. */
enum testmode_car {
	TESTMODE_CAR_NONE,	/* available: no car */
	TESTMODE_CAR_WAIT_AUTH,
	TESTMODE_CAR_READY,	/* wants current (charging or not) */
	TESTMODE_CAR_FAULT,	/* a fault, or locked */
	TESTMODE_CAR_OTHER,	/* stopped: the session is over */
};

struct testmode_in {
	bool		 online;	/* its charger answers */
	enum testmode_car car;
	bool		 paused;	/* by an operator, or retiring */
	int32_t		 offered_da;	/* the cycle's setpoint for it, once
					 * its charger has it in force */
	int32_t		 offered_hi_da;	/* the higher of the two: a cut is
					 * in force once this is down */
	uint64_t	 meter_ms;	/* the meter reading's time; 0: none */
	struct phasecheck_sample sample;
};

struct testmode {
	enum testmode_state state;
	enum testmode_end end;
	size_t		 conn;		/* the connector, site order */
	int32_t		 test_da, base_da;
	uint64_t	 started_ms, phase_ms, deadline_ms, ended_ms;
	uint64_t	 offered_ms;	/* step, return: the cycle's offer in
					 * force since; 0: not yet */
	uint64_t	 gap_kept_ms;	/* the last gap reading kept */
	uint64_t	 last_meter_ms;	/* the last reading sampled */
	uint32_t	 stale_ms;	/* no_meter: the age of the reading of
					 * a meter still online; 0: offline */
	bool		 sampling;
	struct phasecheck_sample before[PHASECHECK_MAX_SAMPLES];
	struct phasecheck_sample during[PHASECHECK_MAX_SAMPLES];
	struct phasecheck_sample after[PHASECHECK_MAX_SAMPLES];
	struct phasecheck_sample up[PHASECHECK_MAX_GAP];
	struct phasecheck_sample down[PHASECHECK_MAX_GAP];
	size_t		 nbefore, nduring, nafter, nup, ndown;
	struct phasecheck_sample last;	/* the newest, for live progress */
	bool		 have_last;
	enum phase_conn	 configured, reported;
	bool		 have_result;
	struct phasecheck_result result;
};

struct testmode_out {
	bool		 active;	/* the connector is under test */
	int32_t		 offer_da;	/* what it is offered */
	bool		 hold_others;	/* the others' offers held steady */
	bool		 ended;		/* it ended in this step */
};

bool	 testmode_running(const struct testmode *);
const char *testmode_state_name(enum testmode_state);
/* A test on connector conn at test_da (0.1 A) for at most seconds; base_da
 * is the connector's minimum. The caller has checked the figures. */
void	 testmode_start(struct testmode *, size_t conn, int32_t test_da,
	    int32_t base_da, unsigned seconds, enum phase_conn configured,
	    enum phase_conn reported, uint64_t now_ms);
void	 testmode_step(struct testmode *, const struct testmode_in *,
	    uint64_t now_ms, struct testmode_out *);
void	 testmode_stop(struct testmode *, enum testmode_end, uint64_t now_ms);
/* Live progress: each phase's rise and the car's change per conductor,
 * from the baseline's mean to the newest reading; false before the
 * baseline has a usable reading. */
bool	 testmode_live(const struct testmode *, int32_t rise_da[EVG_PHASES],
	    int32_t car_da[EVG_PHASES]);
/* Why it ended, in the installer's words, or the phase check's sentence. */
const char *testmode_text(const struct testmode *, const char *charger,
	    int connector, char *buf, size_t len);

#endif
