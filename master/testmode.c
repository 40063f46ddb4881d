/*
 * testmode.c: a phase check on one connector, step by step. See
 * testmode.h; the readings are judged by phasecheck.c.
 */
#include <stdio.h>
#include <string.h>

#include "testmode.h"

bool
testmode_running(const struct testmode *t)
{
	return t->state == TESTMODE_BASELINE || t->state == TESTMODE_STEP ||
	    t->state == TESTMODE_MEASURE || t->state == TESTMODE_RETURN;
}

const char *
testmode_state_name(enum testmode_state s)
{
	static const char *const names[] = { "idle", "baseline", "step",
	    "measure", "return", "done", "failed", "stopped" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] :
	    "idle";
}

void
testmode_start(struct testmode *t, size_t conn, int32_t test_da,
    int32_t base_da, unsigned seconds, enum phase_conn configured,
    enum phase_conn reported, uint64_t now)
{
	memset(t, 0, sizeof(*t));
	t->state = TESTMODE_BASELINE;
	t->conn = conn;
	t->test_da = test_da;
	t->base_da = base_da;
	t->started_ms = t->phase_ms = now;
	t->deadline_ms = now + (uint64_t)seconds * 1000;
	t->configured = configured;
	t->reported = reported;
}

void
testmode_stop(struct testmode *t, enum testmode_end end, uint64_t now)
{
	if (!testmode_running(t))
		return;
	t->state = end == TESTMODE_END_STOPPED ? TESTMODE_STOPPED :
	    end == TESTMODE_END_DECIDED || end == TESTMODE_END_NO_CAR ||
	    end == TESTMODE_END_WAIT_AUTH ? TESTMODE_DONE : TESTMODE_FAILED;
	t->end = end;
	t->ended_ms = now;
	t->have_result = true;
	if (end != TESTMODE_END_DECIDED) {
		memset(&t->result, 0, sizeof(t->result));
		t->result.configured = t->configured;
	}
}

/* A reading for the window under way: one per meter reading (each cycle
 * while the meter is offline, so that the window says so). */
static void
sample_upto(struct testmode *t, const struct testmode_in *in,
    struct phasecheck_sample *buf, size_t *n, size_t cap)
{
	if (in->meter_ms == t->last_meter_ms && in->sample.meter_online)
		return;
	t->last_meter_ms = in->meter_ms;
	if (*n < cap)
		buf[(*n)++] = in->sample;
}

static void
sample(struct testmode *t, const struct testmode_in *in,
    struct phasecheck_sample *buf, size_t *n)
{
	sample_upto(t, in, buf, n, PHASECHECK_MAX_SAMPLES);
}

/* A reading of a gap: at most one every PHASECHECK_GAP_EVERY_MS, so that
 * the longest gap fits. */
static void
sample_gap(struct testmode *t, const struct testmode_in *in, uint64_t now,
    struct phasecheck_sample *buf, size_t *n)
{
	size_t	 was = *n;

	if (*n > 0 && now - t->gap_kept_ms < PHASECHECK_GAP_EVERY_MS)
		return;
	sample_upto(t, in, buf, n, PHASECHECK_MAX_GAP);
	if (*n != was)
		t->gap_kept_ms = now;
}

static void
decide(struct testmode *t, uint64_t now)
{
	struct phasecheck_in pin = {
		.before = t->before, .nbefore = t->nbefore,
		.during = t->during, .nduring = t->nduring,
		.after = t->after, .nafter = t->nafter,
		.up = t->up, .nup = t->nup, .down = t->down, .ndown = t->ndown,
		.configured = t->configured, .reported = t->reported,
	};

	phasecheck_decide(&pin, &t->result);
	testmode_stop(t, TESTMODE_END_DECIDED, now);
}

/* What ends a test before its result: the charger, the car, an operator,
 * its time. */
static enum testmode_end
interrupted(const struct testmode *t, const struct testmode_in *in,
    uint64_t now)
{
	bool	 first = !t->have_last;	/* its first step */

	if (!in->online)
		return TESTMODE_END_OFFLINE;
	/* Without the meter's readings there is nothing to judge: say so
	 * now, not at the end under another name (no room, time up). */
	if (!in->sample.meter_online ||
	    in->sample.age_ms > PHASECHECK_MAX_AGE_MS)
		return TESTMODE_END_NO_METER;
	if (in->car == TESTMODE_CAR_FAULT)
		return TESTMODE_END_FAULT;
	if (in->paused)
		return TESTMODE_END_PAUSED;
	if (first && in->car == TESTMODE_CAR_NONE)
		return TESTMODE_END_NO_CAR;
	if (first && in->car == TESTMODE_CAR_WAIT_AUTH)
		return TESTMODE_END_WAIT_AUTH;
	if (in->car != TESTMODE_CAR_READY)
		return TESTMODE_END_UNPLUGGED;
	if (now >= t->deadline_ms)
		return TESTMODE_END_TIMEOUT;
	return TESTMODE_END_NONE;
}

void
testmode_step(struct testmode *t, const struct testmode_in *in, uint64_t now,
    struct testmode_out *out)
{
	enum testmode_end end;

	memset(out, 0, sizeof(*out));
	if (!testmode_running(t))
		return;
	if ((end = interrupted(t, in, now)) != TESTMODE_END_NONE) {
		testmode_stop(t, end, now);
		if (end == TESTMODE_END_NO_METER && in->sample.meter_online)
			t->stale_ms = in->sample.age_ms;
		out->ended = true;
		return;
	}
	t->last = in->sample;
	t->have_last = true;
	switch (t->state) {
	case TESTMODE_BASELINE:
		if (now - t->phase_ms < TESTMODE_RESPONSE_MS)
			break;		/* the car follows the minimum */
		sample(t, in, t->before, &t->nbefore);
		if (now - t->phase_ms >= TESTMODE_RESPONSE_MS +
		    TESTMODE_WINDOW_MS) {
			t->state = TESTMODE_STEP;
			t->phase_ms = now;
			t->offered_ms = 0;
		}
		break;
	case TESTMODE_STEP:
		sample_gap(t, in, now, t->up, &t->nup);
		if (t->offered_ms == 0 && in->offered_da >= t->test_da)
			t->offered_ms = now;
		if (t->offered_ms == 0 && now - t->phase_ms >=
		    TESTMODE_OFFER_WAIT_MS) {
			testmode_stop(t, TESTMODE_END_NO_ROOM, now);
			out->ended = true;
			return;
		}
		if (t->offered_ms != 0 && now - t->offered_ms >=
		    TESTMODE_RESPONSE_MS) {
			t->state = TESTMODE_MEASURE;
			t->phase_ms = now;
			t->last_meter_ms = in->meter_ms;	/* a new one */
		}
		break;
	case TESTMODE_MEASURE:
		/* cut below the test current (the fuse first): no result */
		if (in->offered_da < t->test_da) {
			testmode_stop(t, TESTMODE_END_NO_ROOM, now);
			out->ended = true;
			return;
		}
		sample(t, in, t->during, &t->nduring);
		if (now - t->phase_ms >= TESTMODE_WINDOW_MS) {
			t->state = TESTMODE_RETURN;
			t->phase_ms = now;
			t->offered_ms = 0;
			t->last_meter_ms = in->meter_ms;
		}
		break;
	case TESTMODE_RETURN:
		/* the minimum in force (a cut goes out at once; should the
		 * charger not say so, the wait ends it all the same) */
		if (t->offered_ms == 0 && (in->offered_hi_da <= t->base_da ||
		    now - t->phase_ms >= TESTMODE_OFFER_WAIT_MS))
			t->offered_ms = now;
		if (t->offered_ms == 0 || now - t->offered_ms <
		    TESTMODE_RESPONSE_MS) {
			sample_gap(t, in, now, t->down, &t->ndown);
			break;		/* the car follows the minimum */
		}
		sample(t, in, t->after, &t->nafter);
		if (now - t->offered_ms >= TESTMODE_RESPONSE_MS +
		    TESTMODE_WINDOW_MS) {
			decide(t, now);
			out->ended = true;
			return;
		}
		break;
	default:
		return;
	}
	out->active = true;
	out->offer_da = t->state == TESTMODE_BASELINE ||
	    t->state == TESTMODE_RETURN ? t->base_da : t->test_da;
	out->hold_others = true;
}

bool
testmode_live(const struct testmode *t, int32_t rise[EVG_PHASES],
    int32_t car[EVG_PHASES])
{
	int32_t	 bnet[EVG_PHASES], bcar[EVG_PHASES];

	if (!t->have_last || phasecheck_means(t->before, t->nbefore,
	    t->reported, bnet, bcar) == 0)
		return false;
	phasecheck_means(&t->last, 1, t->reported, rise, car);
	for (int p = 0; p < EVG_PHASES; p++) {
		rise[p] -= bnet[p];
		car[p] -= bcar[p];
	}
	return true;
}

const char *
testmode_text(const struct testmode *t, const char *charger, int connector,
    char *buf, size_t len)
{
	const char *why = NULL;
	char	 a[32];

	switch (t->end) {
	case TESTMODE_END_DECIDED:
		return phasecheck_text(&t->result, charger, connector, buf, len);
	case TESTMODE_END_NONE:
		snprintf(buf, len, "connector %d of %s: phase check under way "
		    "(%s)", connector, charger, testmode_state_name(t->state));
		return buf;
	case TESTMODE_END_NO_CAR:
		why = "no car is plugged in: plug one in and test again";
		break;
	case TESTMODE_END_WAIT_AUTH:
		why = "the car waits for authorisation: authorise it and test "
		    "again";
		break;
	case TESTMODE_END_UNPLUGGED:
		why = "the test ended: the car left or stopped charging";
		break;
	case TESTMODE_END_FAULT:
		why = "the test ended: a fault or a lock on the connector";
		break;
	case TESTMODE_END_OFFLINE:
		why = "the test ended: the charger went offline";
		break;
	case TESTMODE_END_NO_ROOM:
		snprintf(a, sizeof(a), "%d.%d A", t->test_da / 10,
		    t->test_da % 10);
		snprintf(buf, len, "connector %d of %s: inconclusive: the test "
		    "ended: the supply had no room for %s (the fuse comes "
		    "first); test at a lower current or when fewer cars "
		    "charge", connector, charger, a);
		return buf;
	case TESTMODE_END_TIMEOUT:
		why = "the test ended: its time was up before the measurement "
		    "was over";
		break;
	case TESTMODE_END_STOPPED:
		why = "stopped by an installer";
		break;
	case TESTMODE_END_NO_METER:
		why = "the meter went offline: the check needs its readings";
		if (t->stale_ms == 0 || t->stale_ms == UINT32_MAX)
			break;
		snprintf(buf, len, "connector %d of %s: inconclusive: %s (its "
		    "last reading %u.%u s old; the check takes them up to "
		    "%d.%d s old)", connector, charger, why,
		    t->stale_ms / 1000, t->stale_ms % 1000 / 100,
		    PHASECHECK_MAX_AGE_MS / 1000,
		    PHASECHECK_MAX_AGE_MS % 1000 / 100);
		return buf;
	case TESTMODE_END_RESTART:
		why = "the test ended: the master restarted or stopped";
		break;
	case TESTMODE_END_PAUSED:
		why = "the test ended: the connector was paused by an operator "
		    "or is being decommissioned";
		break;
	}
	snprintf(buf, len, "connector %d of %s: inconclusive: %s", connector,
	    charger, why);
	return buf;
}
