/*
 * phasecheck.c: which phases a connector's car draws on, from the meter's
 * readings before, during and after a test step. See phasecheck.h.
 *
 * The clamps see the building and every car. What the test connector's
 * step adds is the rise of each site phase at the test current against
 * the mean of the windows at the minimum before and after it, less
 * the change the other connectors' chargers report (a car elsewhere that
 * ramped or was cut during the test). The car's own charger says how much
 * more each of its conductors draws at the test current. Each wiring of
 * the connector's kind (the three rotations of a three-phase connector,
 * or L1, L2, L3 of a single-phase one) predicts where that lands; the
 * wirings whose prediction the rises meet within a tolerance fit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phasecheck.h"

static int32_t
mean(int64_t sum, int n)
{
	if (n <= 0)
		return 0;
	return (int32_t)(sum >= 0 ? (sum + n / 2) / n : -((-sum + n / 2) / n));
}

static bool
meter_usable(const struct phasecheck_sample *s)
{
	return s->meter_online && s->age_ms <= PHASECHECK_MAX_AGE_MS;
}

/* The car's draw per conductor, from its draw per site phase as its
 * charger mapped it (by the charger's own wiring setting). */
static void
car_lines(enum phase_conn reported, const int32_t site[EVG_PHASES],
    int32_t line[EVG_PHASES])
{
	for (int l = 0; l < EVG_PHASES; l++) {
		int	 p = phase_conn_site_phase(reported, l);

		line[l] = p >= 0 ? site[p] : 0;
	}
}

/*
 * One window: the mean of the clamps less the other cars per phase and
 * its spread (max - min) over the usable readings, the mean of the
 * car's draw per conductor; the counts of usable readings.
 */
struct window {
	int		 nmeter, nconn;
	int32_t		 net[EVG_PHASES], spread[EVG_PHASES];
	int32_t		 car[EVG_PHASES];
};

static void
window(const struct phasecheck_sample *s, size_t n, enum phase_conn reported,
    struct window *w)
{
	int64_t	 net[EVG_PHASES] = { 0 }, car[EVG_PHASES] = { 0 };
	int32_t	 lo[EVG_PHASES], hi[EVG_PHASES];

	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < n; i++) {
		if (s[i].conn_ok) {
			int32_t	 line[EVG_PHASES];

			car_lines(reported, s[i].conn_da, line);
			for (int l = 0; l < EVG_PHASES; l++)
				car[l] += line[l];
			w->nconn++;
		}
		if (!meter_usable(&s[i]))
			continue;
		for (int p = 0; p < EVG_PHASES; p++) {
			int32_t	 v = s[i].site_da[p] - s[i].others_da[p];

			net[p] += v;
			if (w->nmeter == 0 || v < lo[p])
				lo[p] = v;
			if (w->nmeter == 0 || v > hi[p])
				hi[p] = v;
		}
		w->nmeter++;
	}
	for (int p = 0; p < EVG_PHASES; p++) {
		w->net[p] = mean(net[p], w->nmeter);
		w->spread[p] = w->nmeter ? hi[p] - lo[p] : 0;
		w->car[p] = mean(car[p], w->nconn);
	}
}

int
phasecheck_means(const struct phasecheck_sample *s, size_t n,
    enum phase_conn reported, int32_t net[EVG_PHASES],
    int32_t car[EVG_PHASES])
{
	struct window w;

	window(s, n, reported, &w);
	memcpy(net, w.net, sizeof(w.net));
	memcpy(car, w.car, sizeof(w.car));
	return w.nmeter;
}

uint8_t
phasecheck_site_mask(enum phase_conn pc, uint8_t lines)
{
	uint8_t	 m = 0;

	for (int l = 0; l < EVG_PHASES; l++) {
		int	 p = phase_conn_site_phase(pc, l);

		if ((lines >> l & 1) && p >= 0)
			m |= (uint8_t)(1u << p);
	}
	return m;
}

/* How far the rises are from what wiring pc predicts: the largest
 * difference on a phase. */
static int32_t
residual(enum phase_conn pc, const int32_t car[EVG_PHASES],
    const int32_t rise[EVG_PHASES])
{
	int32_t	 pred[EVG_PHASES] = { 0 }, worst = 0;

	for (int l = 0; l < EVG_PHASES; l++) {
		int	 p = phase_conn_site_phase(pc, l);

		if (p >= 0)
			pred[p] += car[l];
	}
	for (int p = 0; p < EVG_PHASES; p++) {
		int32_t	 d = abs(rise[p] - pred[p]);

		if (d > worst)
			worst = d;
	}
	return worst;
}

static int
bits(unsigned v)
{
	int	 n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

/*
 * How far the building moved in a gap, per site phase: each usable
 * reading against the window before the gap, less what the car's own
 * change can explain. The car's conductors each land on one phase (or
 * none), so the car moves a phase by between its smallest and largest
 * conductor's change and 0; its charger's readings next to the meter's
 * (one either side: the two are read a few hundred milliseconds apart)
 * bound it. A move beyond that is the building's: noise, not evidence
 * (a load switched off one phase and on another while the car ramped
 * looks like the car on the wrong phase).
 */
static void
gap_moved(const struct phasecheck_sample *g, size_t n,
    enum phase_conn reported, const struct window *ref,
    int32_t moved[EVG_PHASES])
{
	for (size_t k = 0; k < n; k++) {
		int32_t	 hi = 0, lo = 0;
		bool	 car = false;

		if (!meter_usable(&g[k]))
			continue;
		for (size_t j = k > 0 ? k - 1 : 0; j <= k + 1 && j < n; j++) {
			int32_t	 line[EVG_PHASES];

			if (!g[j].conn_ok)
				continue;
			car = true;
			car_lines(reported, g[j].conn_da, line);
			for (int l = 0; l < EVG_PHASES; l++) {
				int32_t	 dl = line[l] - ref->car[l];

				hi = dl > hi ? dl : hi;
				lo = dl < lo ? dl : lo;
			}
		}
		if (!car)
			continue;	/* nothing to tell the car from */
		for (int p = 0; p < EVG_PHASES; p++) {
			int32_t	 dn = g[k].site_da[p] - g[k].others_da[p] -
			    ref->net[p];
			int32_t	 ex = dn > hi ? dn - hi : dn < lo ? lo - dn : 0;

			if (ex > moved[p])
				moved[p] = ex;
		}
	}
}

/* (2 * during - before - after) / 2, rounded: the change at the test
 * current against the mean of the two sides. */
static int32_t
centred(int32_t d, int32_t b, int32_t a)
{
	int32_t	 v = 2 * d - b - a;

	return v >= 0 ? (v + 1) / 2 : -((-v + 1) / 2);
}

void
phasecheck_decide(const struct phasecheck_in *in, struct phasecheck_result *r)
{
	enum phase_conn rep = in->reported ? in->reported : in->configured;
	bool	 three = phase_conn_lines(in->configured) == 3;
	struct window b, d, a;
	int32_t	 maxcar = 0, maxspread = 0, maxrise = 0, asym = 0, tol;
	int32_t	 moved_up[EVG_PHASES] = { 0 }, moved_down[EVG_PHASES] = { 0 };

	memset(r, 0, sizeof(*r));
	r->configured = in->configured;
	window(in->before, in->nbefore, rep, &b);
	window(in->during, in->nduring, rep, &d);
	window(in->after, in->nafter, rep, &a);
	gap_moved(in->up, in->nup, rep, &b, moved_up);
	gap_moved(in->down, in->ndown, rep, &d, moved_down);
	r->nbefore = b.nmeter;
	r->nduring = d.nmeter;
	r->nafter = a.nmeter;
	for (int p = 0; p < EVG_PHASES; p++) {
		int32_t	 sp = b.spread[p];

		r->rise_da[p] = centred(d.net[p], b.net[p], a.net[p]);
		r->fall_da[p] = d.net[p] - a.net[p];
		sp = d.spread[p] > sp ? d.spread[p] : sp;
		sp = a.spread[p] > sp ? a.spread[p] : sp;
		sp = moved_up[p] > sp ? moved_up[p] : sp;
		sp = moved_down[p] > sp ? moved_down[p] : sp;
		r->spread_da[p] = sp;
		r->car_da[p] = centred(d.car[p], b.car[p], a.car[p]);
		/* the car's own draw after against before (it may taper) */
		if (abs(a.car[p] - b.car[p]) > asym)
			asym = abs(a.car[p] - b.car[p]);
		if (r->car_da[p] > maxcar)
			maxcar = r->car_da[p];
		if (r->spread_da[p] > maxspread)
			maxspread = r->spread_da[p];
		if (abs(r->rise_da[p]) > maxrise)
			maxrise = abs(r->rise_da[p]);
	}
	for (int l = 0; l < EVG_PHASES; l++)
		if (maxcar > 0 &&
		    r->car_da[l] * PHASECHECK_LINE_SHARE >= maxcar &&
		    r->car_da[l] >= PHASECHECK_MIN_DRAW_DA / 2)
			r->car_lines |= (uint8_t)(1u << l);
	tol = maxcar / 3;
	if (tol < PHASECHECK_TOL_DA)
		tol = PHASECHECK_TOL_DA;
	if (tol < 2 * maxspread)
		tol = 2 * maxspread;
	for (int p = 0; p < EVG_PHASES; p++) {
		int32_t	 m = a.net[p] - b.net[p];

		/* less what the car's own taper explains, towards 0 */
		m = m > asym ? m - asym : m < -asym ? m + asym : 0;
		r->moved_da[p] = m;
		if (r->rise_da[p] > tol)
			r->rose |= (uint8_t)(1u << p);
	}

	/* A reading too old, or from a meter offline, is no reading. */
	if (b.nmeter < PHASECHECK_MIN_SAMPLES ||
	    d.nmeter < PHASECHECK_MIN_SAMPLES ||
	    a.nmeter < PHASECHECK_MIN_SAMPLES) {
		r->why = PHASECHECK_NO_METER;
		return;
	}
	if (b.nconn < PHASECHECK_MIN_SAMPLES ||
	    d.nconn < PHASECHECK_MIN_SAMPLES ||
	    a.nconn < PHASECHECK_MIN_SAMPLES) {
		r->why = PHASECHECK_NO_CHARGER;
		return;
	}
	if (maxcar < PHASECHECK_MIN_DRAW_DA) {
		r->why = PHASECHECK_NO_DRAW;
		return;
	}
	if (maxcar < PHASECHECK_SNR * maxspread) {
		r->why = PHASECHECK_NOISE;
		return;
	}
	/* The fall must mirror the rise: a building that stands elsewhere
	 * after the test than before it moved during it, and its move may
	 * look like the car on another phase. */
	for (int p = 0; p < EVG_PHASES; p++)
		if (abs(r->moved_da[p]) > tol) {
			r->why = PHASECHECK_LOAD_CHANGED;
			return;
		}
	for (int pc = three ? PHASE_L1L2L3 : PHASE_L1;
	    pc <= (three ? PHASE_L3L1L2 : PHASE_L3); pc++)
		if (residual((enum phase_conn)pc, r->car_da, r->rise_da) <= tol)
			r->fits |= (uint8_t)(1u << pc);
	if (r->fits == 0) {
		r->why = maxrise <= tol ? PHASECHECK_NOT_SEEN :
		    PHASECHECK_UNEXPLAINED;
		return;
	}
	if (r->fits >> in->configured & 1) {
		r->verdict = PHASECHECK_MATCH;
		r->fitted = in->configured;
	} else {
		r->verdict = PHASECHECK_MISMATCH;
		for (int pc = PHASE_L1; pc <= PHASE_L3L1L2; pc++)
			if (bits(r->fits) == 1 && (r->fits >> pc & 1))
				r->fitted = r->suggested = (enum phase_conn)pc;
	}
	r->rotation_shown = bits(r->fits) == 1;
}

const char *
phasecheck_verdict_name(enum phasecheck_verdict v)
{
	switch (v) {
	case PHASECHECK_MATCH:
		return "match";
	case PHASECHECK_MISMATCH:
		return "mismatch";
	case PHASECHECK_INCONCLUSIVE:
		break;
	}
	return "inconclusive";
}

const char *
phasecheck_phases_text(uint8_t mask, char *buf, size_t len)
{
	static const char *const names[] = { "L1", "L2", "L3" };
	int	 n = bits(mask & 7), k = 0;
	size_t	 off = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (n == 0)
		snprintf(buf, len, "none");
	for (int p = 0; p < EVG_PHASES && off < len; p++) {
		if (!(mask >> p & 1))
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    k == 0 ? "" : k == n - 1 ? " and " : ", ", names[p]);
		k++;
	}
	return buf;
}

/* "L1 +10.0 A, L2 +0.2 A, L3 -0.3 A" */
static void
rises_text(const int32_t v[EVG_PHASES], char *buf, size_t len)
{
	size_t	 off = 0;

	buf[0] = '\0';
	for (int p = 0; p < EVG_PHASES && off < len; p++)
		off += (size_t)snprintf(buf + off, len - off, "%sL%d %c%d.%d A",
		    p ? ", " : "", p + 1, v[p] < 0 ? '-' : '+', abs(v[p]) / 10,
		    abs(v[p]) % 10);
}

static int32_t
largest(const int32_t v[EVG_PHASES])
{
	int32_t	 m = v[0];

	for (int p = 1; p < EVG_PHASES; p++)
		if (v[p] > m)
			m = v[p];
	return m;
}

const char *
phasecheck_text(const struct phasecheck_result *r, const char *charger,
    int connector, char *buf, size_t len)
{
	char	 on[32], conf[32], rises[64];
	int32_t	 car = largest(r->car_da), spread = largest(r->spread_da);

	rises_text(r->rise_da, rises, sizeof(rises));
	if (r->verdict == PHASECHECK_MATCH) {
		phasecheck_phases_text(phasecheck_site_mask(r->fitted,
		    r->car_lines), on, sizeof(on));
		snprintf(buf, len, "connector %d of %s draws on %s, as "
		    "configured (%s)%s", connector, charger, on,
		    phase_conn_name(r->configured), r->rotation_shown ? "" :
		    "; a car that draws alike on three conductors cannot show "
		    "the rotation: check it with a single-phase car");
		return buf;
	}
	if (r->verdict == PHASECHECK_MISMATCH) {
		phasecheck_phases_text(r->rose, on, sizeof(on));
		phasecheck_phases_text(phasecheck_site_mask(r->configured,
		    r->car_lines), conf, sizeof(conf));
		if (r->suggested)
			snprintf(buf, len, "connector %d of %s draws on %s "
			    "(configured: %s); set phase rotation to %s",
			    connector, charger, on, conf,
			    phase_conn_name(r->suggested));
		else
			snprintf(buf, len, "connector %d of %s draws on %s "
			    "(configured: %s); the readings fit more than one "
			    "wiring: test again with a single-phase car",
			    connector, charger, on, conf);
		return buf;
	}
	switch (r->why) {
	case PHASECHECK_NO_METER:
		snprintf(buf, len, "connector %d of %s: inconclusive: no reading "
		    "from the meter (offline, or its readings too old: %d and "
		    "%d usable of at least %d); check the meter and test again",
		    connector, charger, r->nbefore, r->nduring,
		    PHASECHECK_MIN_SAMPLES);
		break;
	case PHASECHECK_NO_CHARGER:
		snprintf(buf, len, "connector %d of %s: inconclusive: its "
		    "charger did not answer during the test", connector,
		    charger);
		break;
	case PHASECHECK_NO_DRAW:
		snprintf(buf, len, "connector %d of %s: inconclusive: the car "
		    "drew nothing more at the test current (%d.%d A more): is a "
		    "car plugged in and charging?", connector, charger,
		    car / 10, abs(car % 10));
		break;
	case PHASECHECK_NOISE:
		snprintf(buf, len, "connector %d of %s: inconclusive: the "
		    "building's load moved by up to %d.%d A during the test, "
		    "too much against the car's %d.%d A: test again when the "
		    "building is steadier, or at a higher current", connector,
		    charger, spread / 10, spread % 10, car / 10, car % 10);
		break;
	case PHASECHECK_NOT_SEEN:
		snprintf(buf, len, "connector %d of %s: inconclusive: the meter "
		    "saw no rise (%s) while the car drew %d.%d A more: do the "
		    "clamps measure the chargers' supply (meter: chargers "
		    "included)?", connector, charger, rises, car / 10,
		    car % 10);
		break;
	case PHASECHECK_LOAD_CHANGED:
		rises_text(r->moved_da, rises, sizeof(rises));
		snprintf(buf, len, "connector %d of %s: inconclusive: the "
		    "building's load changed during the test (after it against "
		    "before: %s): test again", connector, charger, rises);
		break;
	case PHASECHECK_UNEXPLAINED:
	case PHASECHECK_OK:
		snprintf(buf, len, "connector %d of %s: inconclusive: the rises "
		    "(%s) fit no wiring of a car drawing %d.%d A more: the "
		    "building's load changed during the test; test again",
		    connector, charger, rises, car / 10, car % 10);
		break;
	}
	return buf;
}
