/*
 * test_ocppprof.c: OCPP 1.6 charging profiles (master/ocppprof.c): what
 * SetChargingProfile refuses and accepts, replacement, stacking,
 * validity, recurrence, TxProfile over TxDefaultProfile, the charge
 * point's maximum, A/W conversion, ClearChargingProfile,
 * GetCompositeSchedule, the store's round trip; then random profiles: the
 * cap never exceeds a purpose's winning limit, the composite schedule
 * agrees with the cap, and clearing all leaves no cap (issue 15).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ocppprof.h"

/* 2026-11-27T00:00:00Z, a Friday */
#define T0	1795737600000LL
#define H	3600000LL
#define NONE	INT32_MAX

static json_t *
js(const char *text)
{
	json_error_t e;
	char	 buf[2048];
	json_t	*j;

	/* the tests write JSON with single quotes */
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *c = buf; *c; c++)
		if (*c == '\'')
			*c = '"';
	j = json_loads(buf, 0, &e);
	if (j == NULL)
		fail_msg("bad test json: %s: %s", e.text, text);
	return j;
}

/* SetChargingProfile of text on connector with transaction tx: its
 * answer (0, -1, -2); why is kept for the caller's messages. */
static char why[128];

static int
set(struct ocppprof *ps, int conn, int tx, const char *text)
{
	json_t	*j = js(text);
	int	 r = ocppprof_set(ps, conn, j, tx, why, sizeof(why));

	json_decref(j);
	return r;
}

/* A profile from the defaults (id 1, stack 0, TxDefaultProfile,
 * Absolute, 10 A from 0) and what top and sched change, in JSON with
 * single quotes. */
static int
prof(struct ocppprof *ps, int conn, int tx, const char *top,
    const char *sched)
{
	char	 t[1024], s[1024];
	json_t	*j, *jt, *js_;
	int	 r;

	snprintf(t, sizeof(t), "{%s}", top);
	snprintf(s, sizeof(s), "{%s}", sched);
	j = js("{'chargingProfileId':1,'stackLevel':0,"
	    "'chargingProfilePurpose':'TxDefaultProfile',"
	    "'chargingProfileKind':'Absolute','chargingSchedule':{"
	    "'chargingRateUnit':'A','chargingSchedulePeriod':["
	    "{'startPeriod':0,'limit':10}]}}");
	jt = js(t);
	js_ = js(s);
	json_object_update(j, jt);
	json_object_update(json_object_get(j, "chargingSchedule"), js_);
	r = ocppprof_set(ps, conn, j, tx, why, sizeof(why));
	json_decref(j);
	json_decref(jt);
	json_decref(js_);
	return r;
}

/* A one-period Relative profile in A. */
static int
set_simple(struct ocppprof *ps, int conn, int tx, int id, int stack,
    const char *purpose, double limit)
{
	char	 top[256], sched[128];

	snprintf(top, sizeof(top), "'chargingProfileId':%d,'stackLevel':%d,"
	    "'chargingProfilePurpose':'%s','chargingProfileKind':'Relative'",
	    id, stack, purpose);
	snprintf(sched, sizeof(sched), "'chargingSchedulePeriod':["
	    "{'startPeriod':0,'limit':%.1f}]", limit);
	return prof(ps, conn, tx, top, sched);
}

static int
clear(struct ocppprof *ps, const char *text)
{
	json_t	*j = js(text);
	int	 r = ocppprof_clear(ps, j);

	json_decref(j);
	return r;
}

static int32_t
cap(const struct ocppprof *ps, int conn, int64_t t)
{
	return ocppprof_cap_da(ps, conn, t, 3, 230);
}

static void
test_times(void **state)
{
	int64_t	 ms;
	char	 buf[32];

	(void)state;
	assert_int_equal(ocppprof_parse_time("2026-11-27T00:00:00Z", &ms), 0);
	assert_true(ms == T0);
	assert_int_equal(ocppprof_parse_time("2026-11-27T01:30:00.250+01:30",
	    &ms), 0);
	assert_true(ms == T0 + 250);
	assert_int_equal(ocppprof_parse_time("2024-02-29T12:00:00-00:00",
	    &ms), 0);
	ocppprof_format_time(T0 + 3 * H + 61000, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-27T03:01:01Z");
	ocppprof_format_time(ms, buf, sizeof(buf));
	assert_string_equal(buf, "2024-02-29T12:00:00Z");
	/* refused: no zone, a bad date, garbage after */
	assert_int_equal(ocppprof_parse_time("2026-11-27T00:00:00", &ms), -1);
	assert_int_equal(ocppprof_parse_time("2025-02-29T00:00:00Z", &ms), -1);
	assert_int_equal(ocppprof_parse_time("2026-13-01T00:00:00Z", &ms), -1);
	assert_int_equal(ocppprof_parse_time("2026-11-27T00:00:00Zx", &ms),
	    -1);
	assert_int_equal(ocppprof_parse_time("2026-11-27 00:00:00Z", &ms), -1);
	assert_int_equal(ocppprof_parse_time("", &ms), -1);
}

/* Each refusal with its accepted twin: the key is added again at its
 * level (jansson keeps a duplicate key's last value). */
static void
test_set_validation(void **state)
{
	struct ocppprof *ps = *state;
	static const struct {
		int	 level;		/* 0 profile, 1 schedule, 2 period */
		const char *bad, *good, *why;
	} c[] = {
	    { 0, "\"stackLevel\":-1", "\"stackLevel\":0", "stackLevel" },
	    { 0, "\"stackLevel\":1.5", "\"stackLevel\":1", "stackLevel" },
	    { 0, "\"chargingProfilePurpose\":\"Max\"",
	      "\"chargingProfilePurpose\":\"TxDefaultProfile\"",
	      "chargingProfilePurpose" },
	    { 0, "\"chargingProfileKind\":\"Sometimes\"",
	      "\"chargingProfileKind\":\"Absolute\"", "chargingProfileKind" },
	    { 0, "\"validFrom\":\"yesterday\"",
	      "\"validFrom\":\"2026-11-26T00:00:00Z\"", "validFrom" },
	    { 0, "\"chargingProfileId\":\"1\"", "\"chargingProfileId\":1",
	      "chargingProfileId" },
	    { 1, "\"chargingRateUnit\":\"kW\"", "\"chargingRateUnit\":\"W\"",
	      "chargingRateUnit" },
	    { 1, "\"duration\":-5", "\"duration\":5", "duration" },
	    { 1, "\"startSchedule\":5", "\"startSchedule\":"
	      "\"2026-11-26T00:00:00+01:00\"", "startSchedule" },
	    { 1, "\"minChargingRate\":6.05", "\"minChargingRate\":6.5",
	      "minChargingRate" },
	    { 2, "\"startPeriod\":5", "\"startPeriod\":0", "startPeriod" },
	    { 2, "\"limit\":16.25", "\"limit\":16.2", "limit" },
	    { 2, "\"limit\":-1", "\"limit\":0", "limit" },
	    { 2, "\"limit\":\"16\"", "\"limit\":16", "limit" },
	    { 2, "\"numberPhases\":4", "\"numberPhases\":1", "numberPhases" },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char	 text[1024];

		ocppprof_init(ps, 2, 320);
		for (int good = 0; good < 2; good++) {
			const char *k = good ? c[i].good : c[i].bad;

			snprintf(text, sizeof(text), "{\"chargingProfileId\":1,"
			    "\"chargingProfilePurpose\":\"TxDefaultProfile\","
			    "\"chargingProfileKind\":\"Absolute\","
			    "\"stackLevel\":0,\"chargingSchedule\":{"
			    "\"chargingRateUnit\":\"A\",\"duration\":60,"
			    "\"chargingSchedulePeriod\":[{\"startPeriod\":0,"
			    "\"limit\":16,\"numberPhases\":3%s%s}]%s%s}%s%s}",
			    c[i].level == 2 ? "," : "", c[i].level == 2 ? k : "",
			    c[i].level == 1 ? "," : "", c[i].level == 1 ? k : "",
			    c[i].level == 0 ? "," : "", c[i].level == 0 ? k : "");
			assert_int_equal(set(ps, 1, 0, text), good ? 0 : -1);
			if (!good) {
				if (strstr(why, c[i].why) == NULL)
					fail_msg("%s: %s", text, why);
				assert_int_equal(ps->nprof, 0);
			} else
				assert_int_equal(ps->nprof, 1);
		}
	}
}

static void
test_purpose_rules(void **state)
{
	struct ocppprof *ps = *state;

	/* ChargePointMaxProfile: connector 0 only */
	assert_int_equal(set_simple(ps, 1, 0, 1, 0, "ChargePointMaxProfile",
	    20), -1);
	assert_non_null(strstr(why, "connector 0"));
	assert_int_equal(set_simple(ps, 0, 0, 1, 0, "ChargePointMaxProfile",
	    20), 0);
	/* TxProfile: only with a transaction on that connector */
	assert_int_equal(set_simple(ps, 1, 0, 2, 0, "TxProfile", 10), -1);
	assert_non_null(strstr(why, "no transaction"));
	assert_int_equal(set_simple(ps, 0, 7, 2, 0, "TxProfile", 10), -1);
	assert_int_equal(prof(ps, 1, 7,
	    "'chargingProfileId':2,'transactionId':8,"
	    "'chargingProfilePurpose':'TxProfile',"
	    "'chargingProfileKind':'Relative'",
	    ""), -1);
	assert_int_equal(set_simple(ps, 1, 7, 2, 0, "TxProfile", 10), 0);
	/* transactionId belongs to TxProfile */
	assert_int_equal(prof(ps, 1, 7,
	    "'chargingProfileId':3,'transactionId':7,"
	    "'chargingProfileKind':'Relative'",
	    ""), -1);
	/* no such connector; the twin on connector 2 */
	assert_int_equal(set_simple(ps, 3, 0, 3, 0, "TxDefaultProfile", 10),
	    -1);
	assert_int_equal(set_simple(ps, 2, 0, 3, 0, "TxDefaultProfile", 10),
	    0);
	/* Recurring needs its kind and a start */
	assert_int_equal(prof(ps, 0, 0,
	    "'chargingProfileId':4,'stackLevel':1,"
	    "'chargingProfileKind':'Recurring',"
	    "'recurrencyKind':'Daily'",
	    ""), -1);
	assert_int_equal(prof(ps, 0, 0,
	    "'chargingProfileId':4,'stackLevel':1,"
	    "'chargingProfileKind':'Recurring'",
	    "'startSchedule':'2026-11-27T00:00:00Z'"), -1);
	assert_int_equal(prof(ps, 0, 0,
	    "'chargingProfileId':4,'stackLevel':1,"
	    "'chargingProfileKind':'Recurring',"
	    "'recurrencyKind':'Daily'",
	    "'startSchedule':'2026-11-27T00:00:00Z'"), 0);
	/* periods must ascend; validTo after validFrom */
	assert_int_equal(prof(ps, 0, 0,
	    "'chargingProfileId':5,'stackLevel':2,"
	    "'chargingProfileKind':'Relative'",
	    "'chargingSchedulePeriod':[{'startPeriod':0,'limit':10},"
	    "{'startPeriod':0,'limit':8}]"), -1);
	assert_int_equal(prof(ps, 0, 0,
	    "'chargingProfileId':5,'stackLevel':2,"
	    "'chargingProfileKind':'Relative',"
	    "'validFrom':'2026-11-28T00:00:00Z',"
	    "'validTo':'2026-11-27T00:00:00Z'",
	    ""), -1);
	assert_int_equal(prof(ps, 0, 0,
	    "'chargingProfileId':5,'stackLevel':2,"
	    "'chargingProfileKind':'Relative'",
	    "'chargingSchedulePeriod':[{'startPeriod':0,'limit':10},"
	    "{'startPeriod':60,'limit':8}]"), 0);
	assert_int_equal(ps->nprof, 5);
	/* not an object at all */
	assert_int_equal(ocppprof_set(ps, 0, NULL, 0, why, sizeof(why)), -1);
	assert_int_equal(ps->nprof, 5);
}

static void
test_replace(void **state)
{
	struct ocppprof *ps = *state;

	assert_int_equal(set_simple(ps, 1, 0, 1, 0, "TxDefaultProfile", 20), 0);
	/* the same id replaces, whatever its stack */
	assert_int_equal(set_simple(ps, 1, 0, 1, 3, "TxDefaultProfile", 12), 0);
	assert_int_equal(ps->nprof, 1);
	assert_int_equal(cap(ps, 1, T0), 120);
	/* the same stack and purpose on the same connector replaces */
	assert_int_equal(set_simple(ps, 1, 0, 2, 3, "TxDefaultProfile", 14), 0);
	assert_int_equal(ps->nprof, 1);
	assert_int_equal(ps->prof[0].id, 2);
	assert_int_equal(cap(ps, 1, T0), 140);
	/* ... but not on another connector, nor of another stack */
	assert_int_equal(set_simple(ps, 2, 0, 3, 3, "TxDefaultProfile", 15), 0);
	assert_int_equal(set_simple(ps, 1, 0, 4, 2, "TxDefaultProfile", 9), 0);
	assert_int_equal(ps->nprof, 3);
	assert_int_equal(cap(ps, 1, T0), 140);
	assert_int_equal(cap(ps, 2, T0), 150);
	/* full: the 21st is refused, a replacement still goes */
	ocppprof_init(ps, 2, 320);
	for (int i = 0; i < OCPPPROF_MAX_PROFILES; i++)
		assert_int_equal(set_simple(ps, 1 + i % 2, 0, 100 + i, i / 2,
		    "TxDefaultProfile", 20), 0);
	assert_int_equal(set_simple(ps, 1, 0, 200, OCPPPROF_MAX_STACK,
	    "TxDefaultProfile", 20), -1);
	assert_int_equal(set_simple(ps, 1, 0, 105, OCPPPROF_MAX_STACK,
	    "TxDefaultProfile", 20), 0);
	assert_int_equal(ps->nprof, OCPPPROF_MAX_PROFILES);
}

/* Stacking and validity: the highest stackLevel valid at the time. */
static void
test_stacking(void **state)
{
	struct ocppprof *ps = *state;

	assert_int_equal(cap(ps, 1, T0), NONE);
	assert_int_equal(set_simple(ps, 0, 0, 1, 0, "TxDefaultProfile", 16),
	    0);
	assert_int_equal(prof(ps, 0, 0,
	    "'chargingProfileId':2,'stackLevel':5,"
	    "'validFrom':'2026-11-27T01:00:00Z',"
	    "'validTo':'2026-11-27T02:00:00Z'",
	    "'startSchedule':'2026-11-27T00:00:00Z',"
	    "'chargingSchedulePeriod':[{'startPeriod':0,'limit':25}]"), 0);
	/* connector 0's TxDefaultProfile applies to each connector */
	assert_int_equal(cap(ps, 1, T0), 160);
	assert_int_equal(cap(ps, 2, T0), 160);
	/* the higher stack wins while valid, even when higher */
	assert_int_equal(cap(ps, 1, T0 + H), 250);
	assert_int_equal(cap(ps, 1, T0 + 2 * H - 1), 250);
	assert_int_equal(cap(ps, 1, T0 + 2 * H), 160);
	/* a connector's own TxDefaultProfile wins a tie with connector 0's */
	assert_int_equal(set_simple(ps, 2, 0, 3, 0, "TxDefaultProfile", 8),
	    0);
	assert_int_equal(cap(ps, 2, T0), 80);
	assert_int_equal(cap(ps, 1, T0), 160);
	/* connector 0 alone is the charge point's total: none set */
	assert_int_equal(cap(ps, 0, T0), NONE);
}

static void
test_tx_and_max(void **state)
{
	struct ocppprof *ps = *state;

	assert_int_equal(set_simple(ps, 0, 0, 1, 8, "TxDefaultProfile", 10),
	    0);
	ocppprof_tx_started(ps, 1, 42, T0);
	/* a TxProfile overrides the TxDefaultProfile, even a higher stack */
	assert_int_equal(set_simple(ps, 1, 42, 2, 0, "TxProfile", 20), 0);
	assert_int_equal(cap(ps, 1, T0), 200);
	assert_int_equal(cap(ps, 2, T0), 100);
	/* the charge point's maximum caps every connector */
	assert_int_equal(set_simple(ps, 0, 0, 3, 0, "ChargePointMaxProfile",
	    16), 0);
	assert_int_equal(cap(ps, 1, T0), 160);
	assert_int_equal(cap(ps, 2, T0), 100);
	assert_int_equal(cap(ps, 0, T0), 160);
	/* the transaction ends: its TxProfile goes */
	ocppprof_tx_ended(ps, 1);
	assert_int_equal(ps->nprof, 2);
	assert_int_equal(cap(ps, 1, T0), 100);
	/* a limit of 0 is a cap of 0 (pause) */
	assert_int_equal(set_simple(ps, 0, 0, 3, 0, "ChargePointMaxProfile",
	    0), 0);
	assert_int_equal(cap(ps, 1, T0), 0);
	assert_int_equal(cap(ps, 9, T0), NONE);
}

/* W to A with the phases in use and the nominal voltage. */
static void
test_watts(void **state)
{
	struct ocppprof *ps = *state;

	ocppprof_init(ps, 1, 320);
	assert_int_equal(prof(ps, 0, 0,
	    "",
	    "'startSchedule':'2026-11-27T00:00:00Z',"
	    "'chargingRateUnit':'W',"
	    "'chargingSchedulePeriod':[{'startPeriod':0,"
	    "'limit':11040},{'startPeriod':3600,'limit':7360,"
	    "'numberPhases':1},{'startPeriod':7200,'limit':4140,"
	    "'numberPhases':3}]"), 0);
	/* 11040 W over 3 phases at 230 V: 16 A; over 1 phase: 48 A */
	assert_int_equal(ocppprof_cap_da(ps, 1, T0, 3, 230), 160);
	assert_int_equal(ocppprof_cap_da(ps, 1, T0, 1, 230), 480);
	assert_int_equal(ocppprof_cap_da(ps, 1, T0, 1, 0), 480);
	/* 7360 W on 1 phase: 32 A; on a three-phase connector the three
	 * phases count (the lower current, the power never exceeded) */
	assert_int_equal(ocppprof_cap_da(ps, 1, T0 + H, 1, 230), 320);
	assert_int_equal(ocppprof_cap_da(ps, 1, T0 + H, 3, 230), 106);
	/* 4140 W said to be 3 phases on a single-phase connector: 6 A */
	assert_int_equal(ocppprof_cap_da(ps, 1, T0 + 2 * H, 1, 230), 60);
}

/* Recurring daily and weekly; Relative from the transaction's start;
 * Absolute's duration. */
static void
test_recurring_relative(void **state)
{
	struct ocppprof *ps = *state;

	ocppprof_init(ps, 1, 320);
	/* every day from 08:00: 6 A for 3 h, then open */
	assert_int_equal(prof(ps, 0, 0,
	    "'stackLevel':1,'chargingProfileKind':'Recurring',"
	    "'recurrencyKind':'Daily'",
	    "'startSchedule':'2026-11-20T08:00:00Z','duration':10800,"
	    "'chargingSchedulePeriod':[{'startPeriod':0,'limit':6},"
	    "{'startPeriod':3600,'limit':0}]"), 0);
	assert_int_equal(cap(ps, 1, T0 + 7 * H), NONE);
	assert_int_equal(cap(ps, 1, T0 + 8 * H), 60);
	assert_int_equal(cap(ps, 1, T0 + 9 * H + 1), 0);
	assert_int_equal(cap(ps, 1, T0 + 11 * H), NONE);
	assert_int_equal(cap(ps, 1, T0 + 24 * H + 8 * H), 60);
	assert_int_equal(cap(ps, 1, T0 - 24 * H + 10 * H), 0);
	/* weekly, Fridays 00:00-01:00 at stack 2 */
	assert_int_equal(prof(ps, 0, 0,
	    "'chargingProfileId':2,'stackLevel':2,"
	    "'chargingProfileKind':'Recurring',"
	    "'recurrencyKind':'Weekly'",
	    "'startSchedule':'2026-11-13T00:00:00Z','duration':3600,"
	    "'chargingSchedulePeriod':[{'startPeriod':0,'limit':13}]"), 0);
	assert_int_equal(cap(ps, 1, T0 + 10), 130);
	assert_int_equal(cap(ps, 1, T0 + 24 * H + 10), NONE);
	assert_int_equal(cap(ps, 1, T0 + 7 * 24 * H + 10), 130);
	/* Relative: from the transaction's start */
	ocppprof_init(ps, 1, 320);
	assert_int_equal(prof(ps, 1, 0,
	    "'chargingProfileId':3,'chargingProfileKind':'Relative'",
	    "'duration':7200,"
	    "'chargingSchedulePeriod':[{'startPeriod':0,'limit':10},"
	    "{'startPeriod':1800,'limit':20}]"), 0);
	assert_int_equal(cap(ps, 1, T0), 100);		/* no tx: its start */
	ocppprof_tx_started(ps, 1, 5, T0);
	assert_int_equal(cap(ps, 1, T0 + 1799000), 100);
	assert_int_equal(cap(ps, 1, T0 + 1800000), 200);
	assert_int_equal(cap(ps, 1, T0 + 2 * H), NONE);	/* ended */
}

/* A Relative schedule counts from the transaction's start also before
 * the CSMS numbered it (its StartTransaction unanswered: txid 0), not
 * from each moment it is asked about (its first period for ever). */
static void
test_relative_before_numbered(void **state)
{
	struct ocppprof *ps = *state;

	ocppprof_init(ps, 1, 320);
	assert_int_equal(prof(ps, 1, 0,
	    "'chargingProfileId':3,'chargingProfileKind':'Relative'", "'"
	    "chargingSchedulePeriod':[{'startPeriod':0,'limit':16},"
	    "{'startPeriod':20,'limit':8}]"), 0);
	ocppprof_tx_started(ps, 1, 0, T0);
	assert_int_equal(cap(ps, 1, T0 + 19999), 160);
	assert_int_equal(cap(ps, 1, T0 + 20000), 80);
	ocppprof_tx_started(ps, 1, 12, T0);	/* numbered: the same */
	assert_int_equal(cap(ps, 1, T0 + 20000), 80);
	ocppprof_tx_ended(ps, 1);		/* no transaction: its start */
	assert_int_equal(cap(ps, 1, T0 + 20000), 160);
}

/* Timing at the edges: a Weekly occurrence across the week's turn, the
 * end of validTo and of a higher stack's duration handing over to the
 * lower stack, an Absolute schedule before its start, a period's
 * boundary to the millisecond. */
static void
test_timing_edges(void **state)
{
	struct ocppprof *ps = *state;
	/* 2026-11-29T22:00:00Z, a Sunday night */
	const int64_t sun22 = T0 + 2 * 24 * H + 22 * H;

	ocppprof_init(ps, 1, 320);
	assert_int_equal(prof(ps, 0, 0,
	    "'stackLevel':1,'chargingProfileKind':'Recurring',"
	    "'recurrencyKind':'Weekly'",
	    "'startSchedule':'2026-11-22T22:00:00Z','duration':14400,"
	    "'chargingSchedulePeriod':[{'startPeriod':0,'limit':10},"
	    "{'startPeriod':7200,'limit':6}]"), 0);
	assert_int_equal(cap(ps, 1, sun22 - 1), NONE);
	assert_int_equal(cap(ps, 1, sun22), 100);
	assert_int_equal(cap(ps, 1, sun22 + 2 * H - 1), 100);	/* Monday */
	assert_int_equal(cap(ps, 1, sun22 + 2 * H), 60);
	assert_int_equal(cap(ps, 1, sun22 + 4 * H - 1), 60);
	assert_int_equal(cap(ps, 1, sun22 + 4 * H), NONE);
	assert_int_equal(cap(ps, 1, sun22 + 7 * 24 * H + 3 * H), 60);
	/* a higher stack valid until 23:00 over a lower one */
	assert_int_equal(prof(ps, 0, 0,
	    "'chargingProfileId':2,'stackLevel':3,"
	    "'validTo':'2026-11-29T23:00:00Z'", "'startSchedule':"
	    "'2026-11-29T00:00:00Z','chargingSchedulePeriod':"
	    "[{'startPeriod':0,'limit':8}]"), 0);
	assert_int_equal(cap(ps, 1, sun22), 80);
	assert_int_equal(cap(ps, 1, sun22 + H - 1), 80);
	assert_int_equal(cap(ps, 1, sun22 + H), 100);
	/* one that has not begun yet does not cap, nor hide the lower */
	assert_int_equal(prof(ps, 0, 0,
	    "'chargingProfileId':3,'stackLevel':4", "'startSchedule':"
	    "'2026-11-29T22:30:00Z','duration':600,"
	    "'chargingSchedulePeriod':[{'startPeriod':0,'limit':0}]"), 0);
	assert_int_equal(cap(ps, 1, sun22 + 30 * 60000 - 1), 80);
	assert_int_equal(cap(ps, 1, sun22 + 30 * 60000), 0);
	assert_int_equal(cap(ps, 1, sun22 + 40 * 60000), 80);
}

static void
test_clear(void **state)
{
	struct ocppprof *ps = *state;

	assert_int_equal(clear(ps, "{}"), 1);		/* nothing: Unknown */
	assert_int_equal(set_simple(ps, 0, 0, 1, 0, "ChargePointMaxProfile",
	    30), 0);
	assert_int_equal(set_simple(ps, 1, 0, 2, 1, "TxDefaultProfile", 10),
	    0);
	assert_int_equal(set_simple(ps, 2, 0, 3, 1, "TxDefaultProfile", 11),
	    0);
	assert_int_equal(set_simple(ps, 2, 0, 4, 2, "TxDefaultProfile", 12),
	    0);
	assert_int_equal(clear(ps, "{\"id\":99}"), 1);
	assert_int_equal(clear(ps, "{\"id\":\"2\"}"), 1);	/* bad type */
	assert_int_equal(ps->nprof, 4);
	/* an id names one profile whatever else is said */
	assert_int_equal(clear(ps, "{\"id\":2,\"connectorId\":2}"), 0);
	assert_int_equal(ps->nprof, 3);
	assert_int_equal(cap(ps, 1, T0), 300);
	/* by criteria: all must match */
	assert_int_equal(clear(ps, "{\"connectorId\":2,\"stackLevel\":5}"),
	    1);
	assert_int_equal(clear(ps, "{\"connectorId\":2,\"stackLevel\":2,"
	    "\"chargingProfilePurpose\":\"TxDefaultProfile\"}"), 0);
	assert_int_equal(cap(ps, 2, T0), 110);
	assert_int_equal(clear(ps, "{\"chargingProfilePurpose\":"
	    "\"ChargePointMaxProfile\"}"), 0);
	assert_int_equal(cap(ps, 1, T0), NONE);
	assert_int_equal(clear(ps, "{}"), 0);		/* all */
	assert_int_equal(ps->nprof, 0);
	assert_int_equal(cap(ps, 2, T0), NONE);
}

static json_t *
composite(const struct ocppprof *ps, int conn, int dur, const char *unit,
    int64_t now, int phases)
{
	return ocppprof_composite(ps, conn, dur, unit, now, phases, 230);
}

/* The first period's limit of the composite schedule for conn, from T0
 * for a minute, in A. */
static double
first_limit(const struct ocppprof *ps, int conn)
{
	json_t	*c = composite(ps, conn, 60, NULL, T0, 3);
	double	 lim = json_real_value(json_object_get(json_array_get(
	    json_object_get(json_object_get(c, "chargingSchedule"),
	    "chargingSchedulePeriod"), 0), "limit"));

	json_decref(c);
	return lim;
}

static void
test_composite(void **state)
{
	struct ocppprof *ps = *state;
	json_t	*c, *s, *p;

	/* no profile: Accepted, no schedule */
	c = composite(ps, 1, 3600, NULL, T0, 3);
	assert_string_equal(json_string_value(json_object_get(c, "status")),
	    "Accepted");
	assert_null(json_object_get(c, "chargingSchedule"));
	json_decref(c);
	/* refused: bad connector, duration, unit; each with a twin */
	assert_null(composite(ps, 3, 3600, NULL, T0, 3));
	assert_null(composite(ps, 1, 0, NULL, T0, 3));
	assert_null(composite(ps, 1, 3600, "kW", T0, 3));
	c = composite(ps, 2, 60, "W", T0, 3);
	assert_non_null(c);
	json_decref(c);

	assert_int_equal(prof(ps, 0, 0,
	    "",
	    "'startSchedule':'2026-11-26T23:00:00Z','duration':10800,"
	    "'chargingSchedulePeriod':[{'startPeriod':0,'limit':20},"
	    "{'startPeriod':5400,'limit':10}]"), 0);
	assert_int_equal(set_simple(ps, 0, 0, 2, 0, "ChargePointMaxProfile",
	    16), 0);
	/* from 00:00 for 3 h: 16 (max) till 00:30, 10 till 02:00, then
	 * the max 16 again */
	c = composite(ps, 1, 3 * 3600, NULL, T0, 3);
	s = json_object_get(c, "chargingSchedule");
	assert_non_null(s);
	assert_string_equal(json_string_value(json_object_get(c,
	    "scheduleStart")), "2026-11-27T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(s,
	    "chargingRateUnit")), "A");
	assert_int_equal(json_integer_value(json_object_get(s, "duration")),
	    10800);
	p = json_object_get(s, "chargingSchedulePeriod");
	assert_int_equal(json_array_size(p), 3);
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(p, 0), "startPeriod")), 0);
	assert_true(json_real_value(json_object_get(json_array_get(p, 0),
	    "limit")) == 16.0);
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(p, 1), "startPeriod")), 1800);
	assert_true(json_real_value(json_object_get(json_array_get(p, 1),
	    "limit")) == 10.0);
	assert_int_equal(json_integer_value(json_object_get(
	    json_array_get(p, 2), "startPeriod")), 7200);
	json_decref(c);
	/* in W: 10 A x 230 V x 3 = 6900 W */
	c = composite(ps, 1, 3 * 3600, "W", T0, 3);
	p = json_object_get(json_object_get(c, "chargingSchedule"),
	    "chargingSchedulePeriod");
	assert_true(json_real_value(json_object_get(json_array_get(p, 1),
	    "limit")) == 6900.0);
	json_decref(c);
	/* a limit above the connector's maximum (32 A) is its maximum:
	 * what the connector really gets; the twin below it as it is */
	assert_int_equal(set_simple(ps, 1, 0, 7, 5, "TxDefaultProfile", 40),
	    0);
	assert_int_equal(clear(ps, "{'id':2}"), 0);
	assert_true(first_limit(ps, 1) == 32.0);
	assert_int_equal(set_simple(ps, 1, 0, 7, 5, "TxDefaultProfile", 30),
	    0);
	assert_true(first_limit(ps, 1) == 30.0);
	assert_int_equal(clear(ps, "{'id':7}"), 0);
	assert_int_equal(set_simple(ps, 0, 0, 2, 0, "ChargePointMaxProfile",
	    16), 0);
	/* connector 0: the charge point's maximum alone */
	c = composite(ps, 0, 3600, NULL, T0, 3);
	p = json_object_get(json_object_get(c, "chargingSchedule"),
	    "chargingSchedulePeriod");
	assert_int_equal(json_array_size(p), 1);
	json_decref(c);
}

static void
test_save_load(void **state)
{
	struct ocppprof *ps = *state, back;
	json_t	*a, *b;
	char	*ta, *tb;

	ocppprof_tx_started(ps, 2, 77, T0);
	assert_int_equal(prof(ps, 0, 0,
	    "'stackLevel':1,'chargingProfileKind':'Recurring',"
	    "'recurrencyKind':'Weekly',"
	    "'validFrom':'2026-11-01T00:00:00Z',"
	    "'validTo':'2027-01-01T00:00:00Z'",
	    "'startSchedule':'2026-11-20T08:00:00Z','duration':10800,"
	    "'minChargingRate':6.5,'chargingRateUnit':'W',"
	    "'chargingSchedulePeriod':[{'startPeriod':0,"
	    "'limit':4140.5,'numberPhases':3}]"), 0);
	assert_int_equal(set_simple(ps, 2, 77, 2, 0, "TxProfile", 12.5), 0);
	assert_int_equal(set_simple(ps, 0, 0, 3, 0, "ChargePointMaxProfile",
	    30), 0);
	a = ocppprof_save(ps);
	ocppprof_init(&back, 2, 320);
	assert_int_equal(ocppprof_load(&back, a), 0);
	b = ocppprof_save(&back);
	ta = json_dumps(a, JSON_SORT_KEYS);
	tb = json_dumps(b, JSON_SORT_KEYS);
	assert_string_equal(ta, tb);
	assert_int_equal(back.nprof, 3);
	assert_int_equal(memcmp(back.prof, ps->prof, sizeof(ps->prof[0]) * 3),
	    0);
	free(ta);
	free(tb);
	json_decref(b);
	/* not what save wrote: refused, nothing changed */
	b = js("[{\"chargingProfileId\":9}]");
	assert_int_equal(ocppprof_load(&back, b), -1);
	json_decref(b);
	b = js("{}");
	assert_int_equal(ocppprof_load(&back, b), -1);
	json_decref(b);
	assert_int_equal(back.nprof, 3);
	/* its twin: an empty list clears */
	b = js("[]");
	assert_int_equal(ocppprof_load(&back, b), 0);
	assert_int_equal(back.nprof, 0);
	json_decref(b);
	json_decref(a);
}

/* The CSMS's three calls as the charge point answers them. */
static const char *
call(struct ocppprof *ps, const char *action, const char *req, bool *ch)
{
	static char st[32];
	static const int phases[] = { 3, 3, 1 };
	json_t	*j = js(req), *r;

	r = ocppprof_call(ps, action, j, 0, T0, phases, 230, ch);
	json_decref(j);
	if (r == NULL)
		return NULL;
	snprintf(st, sizeof(st), "%s", json_string_value(json_object_get(r,
	    "status")));
	json_decref(r);
	return st;
}

static void
test_calls(void **state)
{
	struct ocppprof *ps = *state;
	bool	 ch;
	const char *tx = "{'connectorId':2,'csChargingProfiles':{"
	    "'chargingProfileId':7,'stackLevel':0,'chargingProfilePurpose':"
	    "'TxProfile','chargingProfileKind':'Relative','chargingSchedule':{"
	    "'chargingRateUnit':'W','chargingSchedulePeriod':[{'startPeriod':0,"
	    "'limit':2300}]}}}";

	/* a TxProfile: refused without a transaction, accepted with one */
	assert_string_equal(call(ps, "SetChargingProfile", tx, &ch),
	    "Rejected");
	assert_false(ch);
	ocppprof_tx_started(ps, 2, 31, T0);
	assert_string_equal(call(ps, "SetChargingProfile", tx, &ch),
	    "Accepted");
	assert_true(ch);
	/* 2300 W on the single-phase connector 2: 10 A */
	assert_int_equal(ocppprof_cap_da(ps, 2, T0, 1, 230), 100);
	assert_string_equal(call(ps, "SetChargingProfile", "{'connectorId':3,"
	    "'csChargingProfiles':{}}", &ch), "Rejected");
	assert_string_equal(call(ps, "GetCompositeSchedule", "{'connectorId':2,"
	    "'duration':600,'chargingRateUnit':'A'}", &ch), "Accepted");
	assert_false(ch);
	assert_string_equal(call(ps, "GetCompositeSchedule", "{'connectorId':2,"
	    "'duration':0}", &ch), "Rejected");
	assert_string_equal(call(ps, "GetCompositeSchedule", "{'connectorId':2,"
	    "'duration':600,'chargingRateUnit':5}", &ch), "Rejected");
	assert_string_equal(call(ps, "ClearChargingProfile", "{'id':8}", &ch),
	    "Unknown");
	assert_false(ch);
	assert_string_equal(call(ps, "ClearChargingProfile", "{'id':7}", &ch),
	    "Accepted");
	assert_true(ch);
	assert_int_equal(ocppprof_cap_da(ps, 2, T0, 1, 230), NONE);
	assert_null(call(ps, "Reset", "{}", &ch));
}

/* ---- random profiles ---- */

static uint64_t rng = 88172645463325252ULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* A reference, written apart from ocppprof.c: the limit of profile p
 * (Absolute with a start, or Recurring daily) at t, -1 when not in
 * force; da per phase for a three-phase connector at 230 V. */
static int32_t
ref_limit(const struct ocppprof_profile *p, int64_t t)
{
	int64_t	 start = p->start_ms, off, dur = p->duration_s * 1000LL;
	int32_t	 lim = -1;

	if ((p->valid_from_ms && t < p->valid_from_ms) ||
	    (p->valid_to_ms && t >= p->valid_to_ms))
		return -1;
	if (p->kind == OCPPPROF_RECURRING) {
		while (start > t)
			start -= 86400000LL;
		while (start + 86400000LL <= t)
			start += 86400000LL;
		if (dur == 0 || dur > 86400000LL)
			dur = 86400000LL;
	}
	off = t - start;
	if (off < 0 || (dur && off >= dur))
		return -1;
	for (int i = 0; i < p->nperiods; i++)
		if (p->period[i].start_s * 1000LL <= off) {
			int	 ph = p->period[i].phases > 3 ?
			    p->period[i].phases : 3;

			lim = p->watts ? (int32_t)(p->period[i].limit_x10 /
			    (230LL * ph)) : p->period[i].limit_x10;
		}
	return lim;
}

static void
random_profile(struct ocppprof *ps)
{
	static const char *pur[] = { "ChargePointMaxProfile",
	    "TxDefaultProfile", "TxDefaultProfile" };
	char	 buf[2048], per[1024], ts[32];
	int	 n = 1 + (int)rnd(4), at = 0, pu = (int)rnd(3), len = 0;
	bool	 rec = rnd(3) == 0;

	for (int i = 0; i < n; i++) {
		len += snprintf(per + len, sizeof(per) - (size_t)len,
		    "%s{\"startPeriod\":%d,\"limit\":%d.%d}", i ? "," : "", at,
		    (int)rnd(40), (int)rnd(10));
		at += 1 + (int)rnd(7200);
	}
	ocppprof_format_time(T0 - 12 * H + (int64_t)rnd(48) * H / 2, ts,
	    sizeof(ts));
	snprintf(buf, sizeof(buf), "{\"chargingProfileId\":%d,"
	    "\"stackLevel\":%d,\"chargingProfilePurpose\":\"%s\","
	    "\"chargingProfileKind\":\"%s\",%s\"chargingSchedule\":{"
	    "\"startSchedule\":\"%s\",%s\"chargingRateUnit\":\"A\","
	    "\"chargingSchedulePeriod\":[%s]}}", (int)rnd(12), (int)rnd(4),
	    pur[pu], rec ? "Recurring" : "Absolute",
	    rec ? "\"recurrencyKind\":\"Daily\"," : "", ts,
	    rnd(2) ? "\"duration\":20000," : "", per);
	assert_int_equal(set(ps, pu == 0 ? 0 : (int)rnd(2), 0, buf), 0);
}

/* The highest stack in force of a purpose for conn (connector's own
 * first on a tie): -1 none. */
static int32_t
ref_purpose(const struct ocppprof *ps, int purpose, int conn, int64_t t)
{
	int	 key = -1;
	int32_t	 best = -1;

	for (int i = 0; i < ps->nprof; i++) {
		const struct ocppprof_profile *p = &ps->prof[i];
		int	 k = p->stack * 2 + (p->connector == conn);
		int32_t	 l;

		if (p->purpose != purpose || (p->connector != 0 &&
		    p->connector != conn))
			continue;
		if ((l = ref_limit(p, t)) >= 0 && k > key) {
			key = k;
			best = l;
		}
	}
	return best;
}

static void
test_random(void **state)
{
	(void)state;
	for (int round = 0; round < 3000; round++) {
		struct ocppprof ps;
		int	 n = 1 + (int)rnd(8);
		json_t	*c;

		ocppprof_init(&ps, 1, 320);
		for (int i = 0; i < n; i++)
			random_profile(&ps);
		for (int k = 0; k < 20; k++) {
			int64_t	 t = T0 + (int64_t)rnd(48 * 3600) * 1000 -
			    24 * H;
			int32_t	 c0 = cap(&ps, 0, t), c1 = cap(&ps, 1, t);
			int32_t	 mx = ref_purpose(&ps, OCPPPROF_CP_MAX, 0, t);
			int32_t	 df = ref_purpose(&ps, OCPPPROF_TX_DEFAULT, 1,
			    t);

			/* never above a purpose's winning limit, and equal
			 * to the lowest of them */
			if (mx >= 0)
				assert_true(c0 <= mx && c1 <= mx);
			if (df >= 0)
				assert_true(c1 <= df);
			assert_true(c1 <= c0);
			if (mx < 0 && df < 0)
				assert_int_equal(c1, NONE);
			else
				assert_int_equal(c1, mx < 0 ? df : df < 0 ?
				    mx : (mx < df ? mx : df));
		}
		/* the composite schedule says what the cap says, at most the
		 * connector's maximum (32 A) */
		c = composite(&ps, 1, 86400, "A", T0, 3);
		assert_non_null(c);
		for (int k = 0; k < 20 && json_object_get(c,
		    "chargingSchedule"); k++) {
			json_t	*p = json_object_get(json_object_get(c,
			    "chargingSchedule"), "chargingSchedulePeriod");
			int	 off = (int)rnd(86400);
			double	 lim = -1;
			int32_t	 cp = cap(&ps, 1, T0 + off * 1000LL);
			size_t	 i;
			json_t	*e;

			json_array_foreach(p, i, e)
				if (json_integer_value(json_object_get(e,
				    "startPeriod")) <= off)
					lim = json_real_value(json_object_get(
					    e, "limit"));
			assert_int_equal((int32_t)(lim * 10 + 0.5),
			    cp > 320 ? 320 : cp);
		}
		json_decref(c);
		/* clearing all: no cap at all */
		assert_int_equal(clear(&ps, "{}"), 0);
		assert_int_equal(cap(&ps, 1, T0), NONE);
		assert_int_equal(cap(&ps, 0, T0), NONE);
	}
}

static int
setup(void **state)
{
	struct ocppprof *ps = malloc(sizeof(*ps));

	if (ps == NULL)
		return -1;
	ocppprof_init(ps, 2, 320);
	*state = ps;
	return 0;
}

static int
teardown(void **state)
{
	free(*state);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times),
		cmocka_unit_test_setup_teardown(test_set_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purpose_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stacking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_and_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recurring_relative, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_before_numbered, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_timing_edges, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_clear, setup, teardown),
		cmocka_unit_test_setup_teardown(test_composite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calls, setup, teardown),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
