/*
 * ocppprof.c: OCPP 1.6 charging profiles of one charge point (ocppprof.h):
 * their validation, stacking, recurrence, A/W conversion and composite
 * schedule. Pure: the wall time comes in, nothing is read or written.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocppprof.h"

#define STR_(x)		#x
#define STR(x)		STR_(x)	/* a macro's value as text */
#define DAY_MS		86400000LL
#define WEEK_MS		(7 * DAY_MS)
/* GetCompositeSchedule's longest window: 31 days, which bounds the
 * breakpoints a recurring profile adds. */
#define COMPOSITE_MAX_S	(31 * 86400)
/* A limit no site reaches (10 MW or 10 kA, in tenths). */
#define LIMIT_MAX_X10	100000000

static const char *const purposes[OCPPPROF_PURPOSES] = {
	"ChargePointMaxProfile", "TxDefaultProfile", "TxProfile" };
static const char *const kinds[] = { "Absolute", "Recurring", "Relative" };

void
ocppprof_init(struct ocppprof *ps, int nconnectors, int32_t max_da)
{
	memset(ps, 0, sizeof(*ps));
	if (nconnectors < 1)
		nconnectors = 1;
	if (nconnectors > OCPPPROF_MAX_CONN - 1)
		nconnectors = OCPPPROF_MAX_CONN - 1;
	ps->nconn = nconnectors;
	ps->max_da = max_da > 0 ? max_da : 320;
}

/* ---- RFC 3339 times ---- */

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
digits(const char **s, int n, int *out)
{
	int	 v = 0;

	for (int i = 0; i < n; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return -1;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return 0;
}

static int
expect(const char **s, const char *any)
{
	if (**s == '\0' || strchr(any, **s) == NULL)
		return -1;
	(*s)++;
	return 0;
}

int
ocppprof_parse_time(const char *s, int64_t *ms)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int	 y, mo, d, h, mi, sec, frac = 0, oh = 0, om = 0, sign = 0;
	int64_t	 t;

	if (s == NULL || digits(&s, 4, &y) || expect(&s, "-") ||
	    digits(&s, 2, &mo) || expect(&s, "-") || digits(&s, 2, &d) ||
	    expect(&s, "Tt") || digits(&s, 2, &h) || expect(&s, ":") ||
	    digits(&s, 2, &mi) || expect(&s, ":") || digits(&s, 2, &sec))
		return -1;
	if (*s == '.') {
		int	 n = 0;

		for (s++; *s >= '0' && *s <= '9'; s++, n++)
			if (n < 3)
				frac = frac * 10 + (*s - '0');
		if (n == 0)
			return -1;
		for (; n < 3; n++)
			frac *= 10;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh) || expect(&s, ":") ||
		    digits(&s, 2, &om) || oh > 23 || om > 59)
			return -1;
	} else
		return -1;
	if (*s != '\0' || y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))
		return -1;
	if (sec == 60)		/* a leap second counts as the next one */
		sec = 59, frac = 999;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= sign * (oh * 3600 + om * 60);
	*ms = t * 1000 + frac;
	return 0;
}

void
ocppprof_format_time(int64_t ms, char *buf, size_t len)
{
	int64_t	 s = ms / 1000, days = s / 86400, z, era, doe, yoe, doy, mp;
	int	 y, m, d, rem;

	if (ms < 0)
		s = 0, days = 0;
	rem = (int)(s % 86400);
	/* civil_from_days, the inverse of days_from_civil */
	z = days + 719468;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (int)(doy - (153 * mp + 2) / 5 + 1);
	m = (int)(mp < 10 ? mp + 3 : mp - 9);
	y = (int)(yoe + era * 400 + (m <= 2));
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
	    rem / 3600, rem / 60 % 60, rem % 60);
}

/* ---- parsing ---- */

static int
fail(char *why, size_t len, const char *fmt, const char *arg)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (why != NULL && len > 0)
		snprintf(why, len, fmt, arg);
#pragma GCC diagnostic pop
	return -1;
}

/* An optional integer member: 0 absent, 1 present in [lo, hi], -1 bad. */
static int
opt_int(const json_t *o, const char *key, long long lo, long long hi,
    long long *out)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi)
		return -1;
	*out = json_integer_value(v);
	return 1;
}

/* A decimal with at most one digit after the point, >= 0 (1.6: "Accepts
 * at most one digit fraction (e.g. 8.1)"), in tenths. */
static int
opt_tenths(const json_t *o, const char *key, int32_t *out)
{
	const json_t *v = json_object_get(o, key);
	double	 x, t;

	if (v == NULL)
		return 0;
	if (!json_is_number(v))
		return -1;
	x = json_number_value(v);
	t = x * 10;
	if (!(x >= 0) || t > LIMIT_MAX_X10 || fabs(t - round(t)) > 1e-3)
		return -1;
	*out = (int32_t)llround(t);
	return 1;
}

static int
opt_time(const json_t *o, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v) || ocppprof_parse_time(json_string_value(v),
	    out) != 0)
		return -1;
	return 1;
}

static int
enum_of(const json_t *v, const char *const *names, int n)
{
	if (!json_is_string(v))
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(json_string_value(v), names[i]) == 0)
			return i;
	return -1;
}

static int
parse_schedule(const json_t *s, struct ocppprof_profile *p, char *why,
    size_t len)
{
	const json_t *periods = json_object_get(s, "chargingSchedulePeriod");
	const char *unit;
	long long v;
	size_t	 i;

	if (!json_is_object(s))
		return fail(why, len, "%schargingSchedule missing", "");
	unit = json_string_value(json_object_get(s, "chargingRateUnit"));
	if (unit == NULL || (strcmp(unit, "A") != 0 && strcmp(unit, "W")))
		return fail(why, len, "chargingRateUnit%s: A or W", "");
	p->watts = unit[0] == 'W';
	switch (opt_int(s, "duration", 0, COMPOSITE_MAX_S * 100LL, &v)) {
	case -1:
		return fail(why, len, "duration%s: seconds >= 0", "");
	case 1:
		p->duration_s = (int32_t)v;
		break;
	}
	if (opt_time(s, "startSchedule", &p->start_ms) < 0)
		return fail(why, len, "startSchedule%s: an RFC 3339 time", "");
	p->min_rate_x10 = -1;
	if (opt_tenths(s, "minChargingRate", &p->min_rate_x10) < 0)
		return fail(why, len, "minChargingRate%s: >= 0, one decimal",
		    "");
	if (!json_is_array(periods) || json_array_size(periods) == 0)
		return fail(why, len, "chargingSchedulePeriod%s: missing", "");
	if (json_array_size(periods) > OCPPPROF_MAX_PERIODS)
		return fail(why, len, "chargingSchedulePeriod: more than %s "
		    "periods", STR(OCPPPROF_MAX_PERIODS));
	for (i = 0; i < json_array_size(periods); i++) {
		const json_t *e = json_array_get(periods, i);
		struct ocppprof_period *q = &p->period[i];

		if (!json_is_object(e) || opt_int(e, "startPeriod", 0,
		    INT32_MAX, &v) != 1)
			return fail(why, len, "startPeriod%s missing or < 0",
			    "");
		q->start_s = (int32_t)v;
		if ((i == 0 && q->start_s != 0) ||
		    (i > 0 && q->start_s <= p->period[i - 1].start_s))
			return fail(why, len, "startPeriod%s: from 0, "
			    "ascending", "");
		if (opt_tenths(e, "limit", &q->limit_x10) != 1)
			return fail(why, len, "limit%s: >= 0, one decimal", "");
		switch (opt_int(e, "numberPhases", 1, 3, &v)) {
		case -1:
			return fail(why, len, "numberPhases%s: 1 to 3", "");
		case 1:
			q->phases = (int8_t)v;
			break;
		}
	}
	p->nperiods = (int)i;
	return 0;
}

/* One csChargingProfiles into p, for connector (0..nconn); the purpose's
 * rules on the connector and transaction are the caller's. */
static int
parse_profile(const json_t *o, struct ocppprof_profile *p, char *why,
    size_t len)
{
	const json_t *rk;
	long long v;
	int	 e;

	memset(p, 0, sizeof(*p));
	if (!json_is_object(o))
		return fail(why, len, "csChargingProfiles%s: not an object", "");
	if (opt_int(o, "chargingProfileId", INT32_MIN, INT32_MAX, &v) != 1)
		return fail(why, len, "chargingProfileId%s missing", "");
	p->id = (int32_t)v;
	if (opt_int(o, "stackLevel", 0, OCPPPROF_MAX_STACK, &v) != 1)
		return fail(why, len, "stackLevel: 0 to %s",
		    STR(OCPPPROF_MAX_STACK));
	p->stack = (int16_t)v;
	switch (opt_int(o, "transactionId", INT32_MIN, INT32_MAX, &v)) {
	case -1:
		return fail(why, len, "transactionId%s: an integer", "");
	case 1:
		p->tx_id = (int32_t)v;
		break;
	}
	if ((e = enum_of(json_object_get(o, "chargingProfilePurpose"),
	    purposes, OCPPPROF_PURPOSES)) < 0)
		return fail(why, len, "chargingProfilePurpose%s: unknown", "");
	p->purpose = (uint8_t)e;
	if ((e = enum_of(json_object_get(o, "chargingProfileKind"), kinds,
	    3)) < 0)
		return fail(why, len, "chargingProfileKind%s: unknown", "");
	p->kind = (uint8_t)e;
	rk = json_object_get(o, "recurrencyKind");
	if (rk != NULL) {
		static const char *const rks[] = { "Daily", "Weekly" };

		if (p->kind != OCPPPROF_RECURRING || (e = enum_of(rk, rks,
		    2)) < 0)
			return fail(why, len, "recurrencyKind%s: Daily or "
			    "Weekly, with Recurring only", "");
		p->weekly = (uint8_t)e;
	} else if (p->kind == OCPPPROF_RECURRING)
		return fail(why, len, "recurrencyKind%s missing", "");
	if (opt_time(o, "validFrom", &p->valid_from_ms) < 0 ||
	    opt_time(o, "validTo", &p->valid_to_ms) < 0)
		return fail(why, len, "validFrom/validTo%s: RFC 3339 times", "");
	if (p->valid_from_ms && p->valid_to_ms &&
	    p->valid_to_ms <= p->valid_from_ms)
		return fail(why, len, "validTo%s before validFrom", "");
	if (parse_schedule(json_object_get(o, "chargingSchedule"), p, why,
	    len) != 0)
		return -1;
	if (p->kind == OCPPPROF_RECURRING && p->start_ms == 0)
		return fail(why, len, "Recurring%s needs a startSchedule", "");
	if (p->kind == OCPPPROF_RELATIVE)
		p->start_ms = 0;	/* counts from the transaction */
	return 0;
}

/* The purpose's rules on connector and transaction (1.6, 3.13.1). */
static int
check_target(const struct ocppprof *ps, struct ocppprof_profile *p,
    int connector, int tx, char *why, size_t len)
{
	char	 n[16];

	if (connector < 0 || connector > ps->nconn) {
		snprintf(n, sizeof(n), "%d", connector);
		return fail(why, len, "connector %s: no such connector", n);
	}
	p->connector = (uint8_t)connector;
	if (p->purpose == OCPPPROF_CP_MAX && connector != 0)
		return fail(why, len, "ChargePointMaxProfile%s: connector 0 "
		    "only", "");
	if (p->purpose != OCPPPROF_TX) {
		if (p->tx_id != 0)
			return fail(why, len, "transactionId%s: TxProfile only",
			    "");
		return 0;
	}
	if (connector == 0)
		return fail(why, len, "TxProfile%s: not on connector 0", "");
	if (tx == 0)
		return fail(why, len, "TxProfile%s: no transaction on that "
		    "connector", "");
	if (p->tx_id != 0 && p->tx_id != tx)
		return fail(why, len, "TxProfile%s: not that connector's "
		    "transaction", "");
	p->tx_id = tx;
	return 0;
}

static void
remove_at(struct ocppprof *ps, int i)
{
	memmove(&ps->prof[i], &ps->prof[i + 1],
	    (size_t)(ps->nprof - i - 1) * sizeof(ps->prof[0]));
	ps->nprof--;
}

/* Adds p, replacing one with the same id or the same stackLevel and
 * purpose on the same connector (1.6, 5.16.2 and 3.13.2). */
static int
install(struct ocppprof *ps, const struct ocppprof_profile *p, char *why,
    size_t len)
{
	int	 keep = 0;

	for (int i = 0; i < ps->nprof; i++) {
		const struct ocppprof_profile *o = &ps->prof[i];

		if (o->id != p->id && (o->stack != p->stack ||
		    o->purpose != p->purpose || o->connector != p->connector))
			keep++;
	}
	if (keep >= OCPPPROF_MAX_PROFILES)
		return fail(why, len, "%s profiles installed already",
		    STR(OCPPPROF_MAX_PROFILES));
	for (int i = ps->nprof - 1; i >= 0; i--) {
		const struct ocppprof_profile *o = &ps->prof[i];

		if (o->id == p->id || (o->stack == p->stack &&
		    o->purpose == p->purpose && o->connector == p->connector))
			remove_at(ps, i);
	}
	ps->prof[ps->nprof++] = *p;
	return 0;
}

int
ocppprof_set(struct ocppprof *ps, int connector, const json_t *cs, int tx,
    char *why, size_t len)
{
	struct ocppprof_profile p;

	if (why != NULL && len > 0)
		why[0] = '\0';
	if (parse_profile(cs, &p, why, len) != 0 ||
	    check_target(ps, &p, connector, tx, why, len) != 0)
		return -1;
	return install(ps, &p, why, len);
}

int
ocppprof_clear(struct ocppprof *ps, const json_t *req)
{
	long long id = 0, conn = -1, stack = -1;
	int	 hasid, purpose = -1, n = 0;
	const json_t *pv;

	if (!json_is_object(req))
		return 1;
	hasid = opt_int(req, "id", INT32_MIN, INT32_MAX, &id);
	pv = json_object_get(req, "chargingProfilePurpose");
	if (hasid < 0 || opt_int(req, "connectorId", 0, INT32_MAX,
	    &conn) < 0 || opt_int(req, "stackLevel", 0, INT32_MAX,
	    &stack) < 0 || (pv != NULL && (purpose = enum_of(pv, purposes,
	    OCPPPROF_PURPOSES)) < 0))
		return 1;
	for (int i = ps->nprof - 1; i >= 0; i--) {
		const struct ocppprof_profile *o = &ps->prof[i];
		bool	 match;

		/* an id names one profile whatever the rest says */
		if (hasid)
			match = o->id == id;
		else
			match = (conn < 0 || o->connector == conn) &&
			    (purpose < 0 || o->purpose == purpose) &&
			    (stack < 0 || o->stack == stack);
		if (match) {
			remove_at(ps, i);
			n++;
		}
	}
	return n > 0 ? 0 : 1;
}

void
ocppprof_tx_started(struct ocppprof *ps, int connector, int tx,
    int64_t start_ms)
{
	if (connector < 1 || connector > ps->nconn)
		return;
	ps->tx_id[connector] = tx;
	ps->tx_start_ms[connector] = start_ms;
}

void
ocppprof_tx_ended(struct ocppprof *ps, int connector)
{
	if (connector < 1 || connector > ps->nconn)
		return;
	for (int i = ps->nprof - 1; i >= 0; i--)
		if (ps->prof[i].purpose == OCPPPROF_TX &&
		    ps->prof[i].connector == connector)
			remove_at(ps, i);
	ps->tx_id[connector] = 0;
	ps->tx_start_ms[connector] = 0;
}

/* ---- the limit in force ---- */

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Where p's schedule starts for time t on connector conn, and how long
 * it lasts (ms, 0 open-ended). rel0: a Relative schedule's start when
 * the connector has no transaction. */
static int64_t
schedule_start(const struct ocppprof *ps, const struct ocppprof_profile *p,
    int conn, int64_t t, int64_t rel0, int64_t *dur_ms)
{
	int64_t	 start, per;

	*dur_ms = (int64_t)p->duration_s * 1000;
	if (p->kind == OCPPPROF_RECURRING) {
		per = p->weekly ? WEEK_MS : DAY_MS;
		start = p->start_ms + floor_div(t - p->start_ms, per) * per;
		if (*dur_ms == 0 || *dur_ms > per)
			*dur_ms = per;
		return start;
	}
	if (p->start_ms != 0)
		return p->start_ms;
	/* Relative, or Absolute without a start: "relative to start of
	 * charging" (1.6, ChargingSchedule.startSchedule): the transaction's
	 * start, also before the CSMS numbered it */
	if (conn > 0 && ps->tx_start_ms[conn] != 0)
		return ps->tx_start_ms[conn];
	return rel0;
}

static int32_t
to_da(int32_t limit_x10, bool watts, int phases, int voltage)
{
	if (!watts)
		return limit_x10;
	/* W -> A per phase: limit_x10 is 10 W, so 10 A = 10 W / (V ph) */
	return (int32_t)(limit_x10 / ((int64_t)voltage * phases));
}

/* p's limit at t in 0.1 A per phase, or -1: not in force then. */
static int32_t
profile_da(const struct ocppprof *ps, const struct ocppprof_profile *p,
    int conn, int64_t t, int64_t rel0, int phases, int voltage)
{
	int64_t	 start, dur, off;
	int	 i, ph;

	if ((p->valid_from_ms && t < p->valid_from_ms) ||
	    (p->valid_to_ms && t >= p->valid_to_ms))
		return -1;
	start = schedule_start(ps, p, conn, t, rel0, &dur);
	off = t - start;
	if (off < 0 || (dur != 0 && off >= dur))
		return -1;
	for (i = p->nperiods - 1; i > 0; i--)
		if ((int64_t)p->period[i].start_s * 1000 <= off)
			break;
	/* the larger count of phases gives the lower current: a limit in
	 * W is never exceeded */
	ph = p->period[i].phases > phases ? p->period[i].phases : phases;
	return to_da(p->period[i].limit_x10, p->watts, ph, voltage);
}

/* Whether p applies to connector conn under purpose. */
static bool
applies(const struct ocppprof_profile *p, int purpose, int conn)
{
	if (p->purpose != purpose)
		return false;
	if (purpose == OCPPPROF_TX_DEFAULT)
		return p->connector == 0 || p->connector == conn;
	return p->connector == conn;
}

/* The purpose's limit at t: its highest stackLevel in force (on a tie a
 * TxDefaultProfile of the connector before connector 0's); -1 none. */
static int32_t
purpose_da(const struct ocppprof *ps, int purpose, int conn, int64_t t,
    int64_t rel0, int phases, int voltage)
{
	int32_t	 best = -1, da;
	int	 key = -1;

	for (int i = 0; i < ps->nprof; i++) {
		const struct ocppprof_profile *p = &ps->prof[i];
		int	 k = p->stack * 2 + (p->connector == conn);

		if (!applies(p, purpose, conn) || k <= key)
			continue;
		if ((da = profile_da(ps, p, conn, t, rel0, phases,
		    voltage)) < 0)
			continue;
		key = k;
		best = da;
	}
	return best;
}

static int32_t
cap_at(const struct ocppprof *ps, int conn, int64_t t, int64_t rel0,
    int phases, int voltage)
{
	int32_t	 cap = INT32_MAX, da;

	if ((da = purpose_da(ps, OCPPPROF_CP_MAX, 0, t, rel0, phases,
	    voltage)) >= 0)
		cap = da;
	if (conn == 0)
		return cap;
	/* a TxProfile in force overrides the TxDefaultProfile (3.13.2) */
	if ((da = purpose_da(ps, OCPPPROF_TX, conn, t, rel0, phases,
	    voltage)) < 0)
		da = purpose_da(ps, OCPPPROF_TX_DEFAULT, conn, t, rel0, phases,
		    voltage);
	if (da >= 0 && da < cap)
		cap = da;
	return cap;
}

static int
norm_phases(int phases)
{
	return phases >= 1 && phases <= 3 ? phases : 3;
}

int32_t
ocppprof_cap_da(const struct ocppprof *ps, int conn, int64_t now_ms,
    int phases, int voltage)
{
	if (conn < 0 || conn > ps->nconn)
		return INT32_MAX;
	return cap_at(ps, conn, now_ms, now_ms, norm_phases(phases),
	    voltage > 0 ? voltage : OCPPPROF_NOMINAL_V);
}

/* ---- GetCompositeSchedule ---- */

struct marks {
	int32_t	*s;		/* seconds from now, in (0, dur) */
	size_t	 n, cap;
	int64_t	 now;
	int32_t	 dur;
	bool	 oom;		/* a mark lost: no answer */
};

static void
push(struct marks *m, int32_t off)
{
	int32_t	*ns;

	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		if ((ns = realloc(m->s, m->cap * sizeof(*ns))) == NULL) {
			m->cap = m->n;
			m->oom = true;
			return;
		}
		m->s = ns;
	}
	m->s[m->n++] = off;
}

static void
mark(struct marks *m, int64_t t)
{
	int64_t	 off = t - m->now;

	if (off <= 0)
		return;
	off = (off + 999) / 1000;	/* the first whole second in force */
	if (off < m->dur)
		push(m, (int32_t)off);
}

static void
mark_schedule(struct marks *m, const struct ocppprof_profile *p,
    int64_t start, int64_t dur)
{
	for (int i = 0; i < p->nperiods; i++)
		mark(m, start + (int64_t)p->period[i].start_s * 1000);
	if (dur != 0)
		mark(m, start + dur);
}

/* Every time in the window where p's limit may change. */
static void
mark_profile(struct marks *m, const struct ocppprof *ps,
    const struct ocppprof_profile *p, int conn)
{
	int64_t	 end = m->now + (int64_t)m->dur * 1000, dur, start;

	mark(m, p->valid_from_ms);
	mark(m, p->valid_to_ms);
	start = schedule_start(ps, p, conn, m->now, m->now, &dur);
	if (p->kind != OCPPPROF_RECURRING) {
		mark_schedule(m, p, start, dur);
		return;
	}
	for (; start < end; start += p->weekly ? WEEK_MS : DAY_MS)
		mark_schedule(m, p, start, dur);
}

static int
cmp_i32(const void *a, const void *b)
{
	int32_t	 x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

static json_t *
period_json(int32_t start_s, int32_t da, bool watts, int phases,
    int voltage)
{
	double	 lim = watts ? (double)da * voltage * phases / 10.0 :
		    da / 10.0;

	return json_pack("{s:i, s:f, s:i}", "startPeriod", start_s, "limit",
	    lim, "numberPhases", phases);
}

json_t *
ocppprof_composite(const struct ocppprof *ps, int conn, int duration_s,
    const char *unit, int64_t now_ms, int phases, int voltage)
{
	struct marks m = { .now = now_ms, .dur = duration_s };
	json_t	*out, *periods;
	bool	 watts, limited = false;
	int32_t	 last = -2;
	char	 start[32];

	if (conn < 0 || conn > ps->nconn || duration_s < 1 ||
	    duration_s > COMPOSITE_MAX_S)
		return NULL;
	if (unit != NULL && strcmp(unit, "A") != 0 && strcmp(unit, "W") != 0)
		return NULL;
	watts = unit != NULL && unit[0] == 'W';
	phases = norm_phases(phases);
	if (voltage <= 0)
		voltage = OCPPPROF_NOMINAL_V;
	for (int i = 0; i < ps->nprof; i++) {
		const struct ocppprof_profile *p = &ps->prof[i];

		if (applies(p, OCPPPROF_CP_MAX, 0) || (conn > 0 &&
		    (applies(p, OCPPPROF_TX, conn) ||
		    applies(p, OCPPPROF_TX_DEFAULT, conn))))
			mark_profile(&m, ps, p, conn);
	}
	push(&m, 0);		/* now itself */
	if (m.oom || (periods = json_array()) == NULL) {
		free(m.s);
		return NULL;
	}
	qsort(m.s, m.n, sizeof(*m.s), cmp_i32);
	for (size_t i = 0; i < m.n; i++) {
		int32_t	 da = cap_at(ps, conn, now_ms + (int64_t)m.s[i] * 1000,
		    now_ms, phases, voltage);

		if (da != INT32_MAX)
			limited = true;
		/* a connector never gets more than its maximum, whatever a
		 * profile allows: the schedule it follows says so */
		if (da == INT32_MAX || (conn > 0 && da > ps->max_da))
			da = ps->max_da;
		if (da == last)
			continue;
		last = da;
		json_array_append_new(periods, period_json(m.s[i], da, watts,
		    phases, voltage));
	}
	free(m.s);
	out = json_pack("{s:s, s:i}", "status", "Accepted", "connectorId",
	    conn);
	if (!limited) {		/* nothing limits: no schedule to give */
		json_decref(periods);
		return out;
	}
	ocppprof_format_time(now_ms, start, sizeof(start));
	json_object_set_new(out, "scheduleStart", json_string(start));
	json_object_set_new(out, "chargingSchedule", json_pack("{s:i, s:s, "
	    "s:s, s:o}", "duration", duration_s, "startSchedule", start,
	    "chargingRateUnit", watts ? "W" : "A", "chargingSchedulePeriod",
	    periods));
	return out;
}

/* ---- the CSMS's calls ---- */

static json_t *
status(const char *st)
{
	return json_pack("{s:s}", "status", st);
}

json_t *
ocppprof_call(struct ocppprof *ps, const char *action, const json_t *req,
    int32_t txid, int64_t now_ms, const int *phases, int voltage,
    bool *changed)
{
	long long c = -1, dur = 0;
	const char *unit;
	json_t	*out;
	char	 why[128];
	int	 r;

	*changed = false;
	if (action == NULL)
		return NULL;
	/* connectorId is required by all three but ClearChargingProfile */
	if (opt_int(req, "connectorId", 0, ps->nconn, &c) < 0)
		c = -2;
	if (strcmp(action, "SetChargingProfile") == 0) {
		if (c < 0)
			return status("Rejected");
		r = ocppprof_set(ps, (int)c, json_object_get(req,
		    "csChargingProfiles"), txid != 0 ? txid : c > 0 ?
		    ps->tx_id[c] : 0, why, sizeof(why));
		*changed = r == 0;
		return status(r == 0 ? "Accepted" : r == -2 ? "NotSupported" :
		    "Rejected");
	}
	if (strcmp(action, "ClearChargingProfile") == 0) {
		r = ocppprof_clear(ps, req);
		*changed = r == 0;
		return status(r == 0 ? "Accepted" : "Unknown");
	}
	if (strcmp(action, "GetCompositeSchedule") != 0)
		return NULL;
	unit = json_string_value(json_object_get(req, "chargingRateUnit"));
	if (c < 0 || opt_int(req, "duration", 1, COMPOSITE_MAX_S, &dur) != 1 ||
	    (json_object_get(req, "chargingRateUnit") != NULL && unit == NULL))
		return status("Rejected");
	out = ocppprof_composite(ps, (int)c, (int)dur, unit, now_ms,
	    phases != NULL ? phases[c] : 3, voltage);
	return out != NULL ? out : status("Rejected");
}

/* ---- the store ---- */

static json_t *
tenths_json(int32_t x10)
{
	return json_real(x10 / 10.0);
}

static void
set_time(json_t *o, const char *key, int64_t ms)
{
	char	 buf[32];

	if (ms == 0)
		return;
	ocppprof_format_time(ms, buf, sizeof(buf));
	json_object_set_new(o, key, json_string(buf));
}

/* A profile as SetChargingProfile gave it, with its connector. */
static json_t *
profile_json(const struct ocppprof_profile *p)
{
	json_t	*o, *s, *pa = json_array();

	for (int i = 0; i < p->nperiods; i++) {
		json_t	*e = json_pack("{s:i, s:o}", "startPeriod",
		    p->period[i].start_s, "limit",
		    tenths_json(p->period[i].limit_x10));

		if (p->period[i].phases)
			json_object_set_new(e, "numberPhases",
			    json_integer(p->period[i].phases));
		json_array_append_new(pa, e);
	}
	s = json_pack("{s:s, s:o}", "chargingRateUnit", p->watts ? "W" : "A",
	    "chargingSchedulePeriod", pa);
	if (p->duration_s)
		json_object_set_new(s, "duration", json_integer(p->duration_s));
	set_time(s, "startSchedule", p->start_ms);
	if (p->min_rate_x10 >= 0)
		json_object_set_new(s, "minChargingRate",
		    tenths_json(p->min_rate_x10));
	o = json_pack("{s:i, s:i, s:i, s:s, s:s, s:o}", "connectorId",
	    p->connector, "chargingProfileId", p->id, "stackLevel", p->stack,
	    "chargingProfilePurpose", purposes[p->purpose],
	    "chargingProfileKind", kinds[p->kind], "chargingSchedule", s);
	if (p->tx_id)
		json_object_set_new(o, "transactionId", json_integer(p->tx_id));
	if (p->kind == OCPPPROF_RECURRING)
		json_object_set_new(o, "recurrencyKind",
		    json_string(p->weekly ? "Weekly" : "Daily"));
	set_time(o, "validFrom", p->valid_from_ms);
	set_time(o, "validTo", p->valid_to_ms);
	return o;
}

json_t *
ocppprof_save(const struct ocppprof *ps)
{
	json_t	*a = json_array();

	for (int i = 0; i < ps->nprof; i++)
		json_array_append_new(a, profile_json(&ps->prof[i]));
	return a;
}

int
ocppprof_load(struct ocppprof *ps, const json_t *a)
{
	struct ocppprof tmp = *ps;
	size_t	 i;

	if (!json_is_array(a) || json_array_size(a) > OCPPPROF_MAX_PROFILES)
		return -1;
	tmp.nprof = 0;
	for (i = 0; i < json_array_size(a); i++) {
		const json_t *o = json_array_get(a, i);
		struct ocppprof_profile p;
		long long c;

		if (parse_profile(o, &p, NULL, 0) != 0 || opt_int(o,
		    "connectorId", 0, tmp.nconn, &c) != 1)
			return -1;
		/* a TxProfile comes back with its transaction, which
		 * outlives a restart (the transaction queue) */
		if (check_target(&tmp, &p, (int)c, p.purpose == OCPPPROF_TX ?
		    p.tx_id : 0, NULL, 0) != 0 ||
		    install(&tmp, &p, NULL, 0) != 0)
			return -1;
	}
	memcpy(ps->prof, tmp.prof, sizeof(ps->prof));
	ps->nprof = tmp.nprof;
	return 0;
}
