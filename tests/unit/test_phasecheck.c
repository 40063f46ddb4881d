/*
 * test_phasecheck.c: the phase check (issue 18, section 3): which phases
 * a car draws on, from the meter before and during a test step, for every
 * wiring and car, with the building's noise, a load step, other cars, an
 * offline or late meter; the test's sequence (testmode.c); and the
 * control cycle offering the test current with the others held steady.
 * Every refusal or inconclusive case has its positive twin.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "charger.h"
#include "cycle.h"
#include "phasecheck.h"
#include "testmode.h"

#define NS	5		/* readings per window */
#define NG	6		/* readings per gap (the car follows) */
/* The test's readings in order: before, the gap up, during, the gap
 * down, after. */
enum seg { BEFORE, UP, DURING, DOWN, AFTER };
#define NPOS	(3 * NS + 2 * NG)
#define BASE_DA	60		/* the baseline: the connector's minimum */
#define TEST_DA	160

/* A simulated site for one test step. */
struct world {
	int32_t		 bld[EVG_PHASES];	/* the building */
	int32_t		 noise;		/* +- on every reading */
	int32_t		 step[EVG_PHASES];	/* the building, during */
	enum phase_conn	 wired;		/* as it really is */
	enum phase_conn	 told;		/* the charger's own setting */
	int		 car_phases;	/* 1 or 3 */
	int32_t		 line_max[EVG_PHASES];	/* a car's own limits */
	int32_t		 others[EVG_PHASES], others_step[EVG_PHASES];
	bool		 others_reported;
	bool		 meter_offline;
	uint32_t	 age_ms;
	bool		 clamps_blind;	/* the chargers not behind them */
	bool		 charger_silent;
	/* The building moves by this from the reading at position move_at
	 * (0: never) of the test's order on, and stays there. */
	int32_t		 move[EVG_PHASES];
	int		 move_at;
	int32_t		 drift;		/* per reading, on every phase */
	bool		 charger_late;	/* its reading one behind the meter's */
};

static void
world_init(struct world *w, enum phase_conn wired, int car_phases)
{
	memset(w, 0, sizeof(*w));
	w->bld[0] = 200;
	w->bld[1] = 150;
	w->bld[2] = 180;
	w->wired = w->told = wired;
	w->car_phases = car_phases;
	w->age_ms = 300;
	for (int l = 0; l < EVG_PHASES; l++)
		w->line_max[l] = 320;
}

/* A reading at position pos of the test's order (-1: out of it), the car
 * offered offer (its charger saying car_offer: the same unless late). */
static struct phasecheck_sample
reading_at(const struct world *w, int32_t offer, int32_t car_offer,
    bool during, int k, int pos)
{
	struct phasecheck_sample s = { .meter_online = !w->meter_offline,
	    .age_ms = w->age_ms, .conn_ok = !w->charger_silent };
	/* a fixed pattern of -2..+2 tenths of the noise */
	int32_t	 n = (int32_t)((k * 7 + (during ? 3 : 0)) % 5 - 2) * w->noise / 2;

	if (pos >= 0)
		n += w->drift * pos;
	for (int p = 0; p < EVG_PHASES; p++) {
		s.site_da[p] = w->bld[p] + n + (during ? w->step[p] : 0) +
		    w->others[p] + (during ? w->others_step[p] : 0) +
		    (w->move_at > 0 && pos >= w->move_at ? w->move[p] : 0);
		if (w->others_reported)
			s.others_da[p] = w->others[p] +
			    (during ? w->others_step[p] : 0);
	}
	for (int l = 0; l < w->car_phases && l < phase_conn_lines(w->wired);
	    l++) {
		int32_t	 d = offer < w->line_max[l] ? offer : w->line_max[l];
		int32_t	 c = car_offer < w->line_max[l] ? car_offer :
		    w->line_max[l];
		int	 real = phase_conn_site_phase(w->wired, l);
		int	 said = phase_conn_site_phase(w->told, l);

		if (!w->clamps_blind)
			s.site_da[real] += d;
		if (said >= 0)
			s.conn_da[said] += c;
	}
	return s;
}

static struct phasecheck_sample
reading(const struct world *w, int32_t offer, bool during, int k)
{
	return reading_at(w, offer, offer, during, k, -1);
}

/* The car's offer at position pos: the minimum, then up to the test
 * current over the gap's first three readings, and back the same way. */
static int32_t
offer_at(int pos)
{
	int	 g;

	if (pos < NS)
		return BASE_DA;
	if (pos < NS + NG) {
		g = pos - NS + 1;
		return g >= 3 ? TEST_DA : BASE_DA + (TEST_DA - BASE_DA) * g / 3;
	}
	if (pos < 2 * NS + NG)
		return TEST_DA;
	if (pos < 2 * NS + 2 * NG) {
		g = pos - (2 * NS + NG) + 1;
		return g >= 3 ? BASE_DA : TEST_DA - (TEST_DA - BASE_DA) * g / 3;
	}
	return BASE_DA;
}

/* Every reading of a test, in order, into the five arrays. */
static void
readings(const struct world *w, struct phasecheck_sample *b,
    struct phasecheck_sample *up, struct phasecheck_sample *d,
    struct phasecheck_sample *down, struct phasecheck_sample *a)
{
	struct phasecheck_sample *to[] = { b, up, d, down, a };
	const int len[] = { NS, NG, NS, NG, NS };
	int	 pos = 0;

	for (int sg = BEFORE; sg <= AFTER; sg++)
		for (int k = 0; k < len[sg]; k++, pos++) {
			int32_t	 o = offer_at(pos);
			int32_t	 c = w->charger_late && pos > 0 ?
			    offer_at(pos - 1) : o;

			to[sg][k] = reading_at(w, o, c, sg == DURING,
			    k + (sg == AFTER ? 1 : 0), pos);
		}
}

static void
decide_all(struct phasecheck_sample *b, struct phasecheck_sample *up,
    struct phasecheck_sample *d, struct phasecheck_sample *down,
    struct phasecheck_sample *a, enum phase_conn configured,
    enum phase_conn reported, struct phasecheck_result *r)
{
	struct phasecheck_in in = { .before = b, .during = d, .after = a,
	    .nbefore = NS, .nduring = NS, .nafter = NS, .up = up, .nup = NG,
	    .down = down, .ndown = NG, .configured = configured,
	    .reported = reported };

	phasecheck_decide(&in, r);
}

static void
check(const struct world *w, enum phase_conn configured,
    struct phasecheck_result *r)
{
	struct phasecheck_sample b[NS], up[NG], d[NS], down[NG], a[NS];

	readings(w, b, up, d, down, a);
	decide_all(b, up, d, down, a, configured, w->told, r);
}

static const enum phase_conn rotations[] = { PHASE_L1L2L3, PHASE_L2L3L1,
    PHASE_L3L1L2 };

/* A single-phase car on a three-phase connector shows the rotation:
 * every wiring against every configured rotation. */
static void
test_every_rotation_single_phase_car(void **state)
{
	(void)state;
	for (int a = 0; a < 3; a++)
		for (int c = 0; c < 3; c++) {
			struct world w;
			struct phasecheck_result r;
			char	 text[300];

			world_init(&w, rotations[a], 1);
			w.told = rotations[c];	/* as configured */
			check(&w, rotations[c], &r);
			assert_int_equal(r.why, PHASECHECK_OK);
			assert_int_equal(r.car_lines, 1);
			assert_int_equal(r.rose, 1u << a);	/* L1, L2, L3 */
			assert_int_equal(r.rise_da[phase_conn_site_phase(
			    rotations[a], 0)], TEST_DA - BASE_DA);
			assert_int_equal(r.fitted, rotations[a]);
			assert_true(r.rotation_shown);
			phasecheck_text(&r, "bay-003", 1, text, sizeof(text));
			if (a == c) {
				assert_int_equal(r.verdict, PHASECHECK_MATCH);
				assert_int_equal(r.suggested, 0);
				assert_non_null(strstr(text, "as configured"));
			} else {
				assert_int_equal(r.verdict, PHASECHECK_MISMATCH);
				assert_int_equal(r.suggested, rotations[a]);
				assert_non_null(strstr(text, "set phase rotation "
				    "to"));
				assert_non_null(strstr(text,
				    phase_conn_name(rotations[a])));
			}
		}
}

/* The issue's own sentence. */
static void
test_mismatch_sentence(void **state)
{
	struct world w;
	struct phasecheck_result r;
	char	 text[300];

	(void)state;
	world_init(&w, PHASE_L2L3L1, 1);
	w.told = PHASE_L1L2L3;
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.verdict, PHASECHECK_MISMATCH);
	assert_string_equal(phasecheck_text(&r, "bay-3", 1, text,
	    sizeof(text)), "connector 1 of bay-3 draws on L2 (configured: "
	    "L1); set phase rotation to L2L3L1");
	/* the twin: wired as configured */
	world_init(&w, PHASE_L1L2L3, 1);
	check(&w, PHASE_L1L2L3, &r);
	assert_string_equal(phasecheck_text(&r, "bay-3", 1, text,
	    sizeof(text)), "connector 1 of bay-3 draws on L1, as configured "
	    "(L1L2L3)");
}

/* Single-phase connectors: a car on each phase, against each setting. */
static void
test_single_phase_connectors(void **state)
{
	(void)state;
	for (int a = PHASE_L1; a <= PHASE_L3; a++)
		for (int c = PHASE_L1; c <= PHASE_L3; c++)
			for (int cp = 1; cp <= 3; cp += 2) {
				struct world w;
				struct phasecheck_result r;

				/* a three-phase car on a single-phase
				 * connector draws on its one conductor */
				world_init(&w, (enum phase_conn)a, cp);
				w.told = (enum phase_conn)c;
				check(&w, (enum phase_conn)c, &r);
				assert_int_equal(r.rose, 1u << (a - 1));
				assert_int_equal(r.verdict, a == c ?
				    PHASECHECK_MATCH : PHASECHECK_MISMATCH);
				assert_int_equal(r.suggested, a == c ? 0 : a);
			}
}

/* A three-phase car drawing alike on its three conductors fits every
 * rotation: the wiring's kind matches, the rotation does not show. A
 * car drawing less on one conductor shows it. */
static void
test_three_phase_car(void **state)
{
	struct world w;
	struct phasecheck_result r;
	char	 text[300];

	(void)state;
	for (int a = 0; a < 3; a++) {
		world_init(&w, rotations[a], 3);
		w.told = PHASE_L1L2L3;
		check(&w, PHASE_L1L2L3, &r);
		assert_int_equal(r.verdict, PHASECHECK_MATCH);
		assert_int_equal(r.rose, 7);
		assert_int_equal(r.car_lines, 7);
		assert_false(r.rotation_shown);
		assert_int_equal(r.fits, 1u << PHASE_L1L2L3 |
		    1u << PHASE_L2L3L1 | 1u << PHASE_L3L1L2);
		phasecheck_text(&r, "bay-1", 2, text, sizeof(text));
		assert_non_null(strstr(text, "L1, L2 and L3"));
		assert_non_null(strstr(text, "single-phase car"));
	}
	/* its third conductor limited to 10 A: 4 A there, 10 A on the others */
	world_init(&w, PHASE_L3L1L2, 3);
	w.told = PHASE_L1L2L3;
	w.line_max[2] = 100;
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.verdict, PHASECHECK_MISMATCH);
	assert_int_equal(r.suggested, PHASE_L3L1L2);
	assert_true(r.rotation_shown);
}

/* A single-phase car on a three-phase connector: its other conductors
 * stay out of the car's phases. */
static void
test_one_phase_car_on_three_phase_connector(void **state)
{
	struct world w;
	struct phasecheck_result r;

	(void)state;
	world_init(&w, PHASE_L3L1L2, 1);
	check(&w, PHASE_L3L1L2, &r);
	assert_int_equal(r.car_lines, 1);
	assert_int_equal(r.car_da[0], TEST_DA - BASE_DA);
	assert_int_equal(r.car_da[1], 0);
	assert_int_equal(r.rose, 1u << 2);	/* L3 */
	assert_int_equal(r.verdict, PHASECHECK_MATCH);
}

/* The building's noise: within a third of the car's change, the check
 * stands; above it, inconclusive, and says how much it moved. */
static void
test_noise(void **state)
{
	struct world w;
	struct phasecheck_result r;
	char	 text[300];

	(void)state;
	world_init(&w, PHASE_L2L3L1, 1);
	w.noise = 12;		/* +-1.2 A: spread 2.4 A against 10 A */
	w.told = PHASE_L1L2L3;
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.verdict, PHASECHECK_MISMATCH);
	assert_int_equal(r.suggested, PHASE_L2L3L1);
	w.noise = 40;		/* +-4 A: spread 8 A */
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.verdict, PHASECHECK_INCONCLUSIVE);
	assert_int_equal(r.why, PHASECHECK_NOISE);
	assert_int_equal(r.suggested, 0);
	phasecheck_text(&r, "bay-1", 1, text, sizeof(text));
	assert_non_null(strstr(text, "building's load moved by up to 8.0 A"));
}

/* A building load step between the windows: on a phase the car does not
 * use, or on the car's own, it fits no wiring: inconclusive, never a
 * wrong suggestion. A change of the other cars, as their chargers report
 * it, is taken out. */
static void
test_load_step_during_the_test(void **state)
{
	struct world w;
	struct phasecheck_result r;

	(void)state;
	world_init(&w, PHASE_L1L2L3, 1);
	w.step[2] = 120;
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.verdict, PHASECHECK_INCONCLUSIVE);
	/* the gap down saw it go (noise), or the rises fit nothing */
	assert_true(r.why == PHASECHECK_NOISE ||
	    r.why == PHASECHECK_UNEXPLAINED);
	assert_int_equal(r.suggested, 0);
	w.step[2] = 0;
	w.step[0] = 100;	/* on the car's phase: twice the rise */
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.verdict, PHASECHECK_INCONCLUSIVE);
	assert_int_equal(r.suggested, 0);
	/* another car cut by 10 A on L1 while this one rose (the fuse
	 * first): seen by its charger, taken out */
	w.step[0] = 0;
	w.others[0] = w.others[1] = w.others[2] = 160;
	w.others_step[0] = w.others_step[1] = w.others_step[2] = -100;
	w.others_reported = true;
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.verdict, PHASECHECK_MATCH);
	assert_int_equal(r.rise_da[0], 100);
	assert_int_equal(r.rise_da[1], 0);
	/* the same, not reported: the clamp saw L1 flat, L2 and L3 fall */
	w.others_reported = false;
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.verdict, PHASECHECK_INCONCLUSIVE);
}

/*
 * The audit's case (issue 18, section 3, F1): a three-phase connector
 * wired as configured, a single-phase car on L1, the building 10 A a
 * phase; 8 A of load moves off L1 onto L2 while the car ramps. Taken
 * from the rise alone, the car "draws on L2": a confident mismatch, and
 * a one-click fix to a wrong wiring. Wherever the move falls in the gap
 * up (before, with or after the car's ramp), inconclusive, never a
 * mismatch. The twin: no move, a match.
 */
static void
test_load_moved_while_the_car_ramps(void **state)
{
	struct world w;
	struct phasecheck_result r;
	char	 text[300];

	(void)state;
	for (int at = NS; at <= NS + NG; at++) {
		world_init(&w, PHASE_L1L2L3, 1);
		w.bld[0] = w.bld[1] = w.bld[2] = 100;
		w.move[0] = -80;
		w.move[1] = 80;
		w.move_at = at;
		check(&w, PHASE_L1L2L3, &r);
		assert_int_equal(r.verdict, PHASECHECK_INCONCLUSIVE);
		assert_true(r.why == PHASECHECK_NOISE ||
		    r.why == PHASECHECK_LOAD_CHANGED);
		assert_int_equal(r.suggested, 0);
		phasecheck_text(&r, "bay-001", 1, text, sizeof(text));
		assert_non_null(strstr(text, "inconclusive: the building's "
		    "load"));
		assert_null(strstr(text, "set phase rotation"));
	}
	/* a move the gap does not show (with the car's ramp): the fall
	 * back does not mirror the rise */
	world_init(&w, PHASE_L1L2L3, 1);
	w.move[0] = -80;
	w.move[1] = 80;
	w.move_at = NS + 2;
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.why, PHASECHECK_LOAD_CHANGED);
	assert_int_equal(r.moved_da[0], -80);
	assert_int_equal(r.moved_da[1], 80);
	phasecheck_text(&r, "bay-001", 1, text, sizeof(text));
	assert_string_equal(text, "connector 1 of bay-001: inconclusive: the "
	    "building's load changed during the test (after it against "
	    "before: L1 -8.0 A, L2 +8.0 A, L3 +0.0 A): test again");
	/* the twin: the building still */
	world_init(&w, PHASE_L1L2L3, 1);
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.verdict, PHASECHECK_MATCH);
	assert_int_equal(r.rise_da[0], TEST_DA - BASE_DA);
	assert_int_equal(r.fall_da[0], TEST_DA - BASE_DA);
}

/* The same move on the way back down: inconclusive, never a verdict. */
static void
test_load_moved_on_the_way_back(void **state)
{
	(void)state;
	for (int at = 2 * NS + NG; at <= 2 * NS + 2 * NG; at++)
		for (int c = 0; c < 2; c++) {
			struct world w;
			struct phasecheck_result r;

			/* wired as configured, and wired L2L3L1 */
			world_init(&w, c ? PHASE_L2L3L1 : PHASE_L1L2L3, 1);
			w.told = PHASE_L1L2L3;
			w.move[0] = -80;
			w.move[1] = 80;
			w.move_at = at;
			check(&w, PHASE_L1L2L3, &r);
			assert_int_equal(r.verdict, PHASECHECK_INCONCLUSIVE);
			assert_int_equal(r.suggested, 0);
		}
}

/* The honest cases through the whole sequence: a building that drifts
 * slowly (the mean of before and after cancels it), the building's
 * noise, a charger read a reading behind the meter while the car ramps:
 * the match and the mismatch stand. */
static void
test_honest_cases_stand(void **state)
{
	(void)state;
	for (int a = 0; a < 3; a++)
		for (int v = 0; v < 3; v++) {
			struct world w;
			struct phasecheck_result r;

			world_init(&w, rotations[a], 1);
			w.told = PHASE_L1L2L3;
			if (v == 0)
				w.drift = 1;	/* 0.1 A a reading */
			else if (v == 1)
				w.noise = 10;
			else
				w.charger_late = true;
			check(&w, PHASE_L1L2L3, &r);
			assert_int_equal(r.verdict, a == 0 ? PHASECHECK_MATCH :
			    PHASECHECK_MISMATCH);
			assert_int_equal(r.suggested, a == 0 ? 0 : rotations[a]);
		}
}

/* A meter offline, or readings too old, is no reading. */
static void
test_meter_offline_or_late(void **state)
{
	struct world w;
	struct phasecheck_result r;
	char	 text[300];

	(void)state;
	world_init(&w, PHASE_L2L3L1, 1);
	w.meter_offline = true;
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.verdict, PHASECHECK_INCONCLUSIVE);
	assert_int_equal(r.why, PHASECHECK_NO_METER);
	assert_int_equal(r.nbefore, 0);
	phasecheck_text(&r, "bay-1", 1, text, sizeof(text));
	assert_non_null(strstr(text, "no reading from the meter"));
	w.meter_offline = false;
	w.age_ms = PHASECHECK_MAX_AGE_MS + 1;
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.why, PHASECHECK_NO_METER);
	/* the twin: just fresh enough */
	w.age_ms = PHASECHECK_MAX_AGE_MS;
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.verdict, PHASECHECK_MISMATCH);
	assert_int_equal(r.nbefore, NS);
}

/* Some readings late: the usable ones decide, when there are enough. */
static void
test_some_readings_late(void **state)
{
	struct world w;
	struct phasecheck_sample b[NS], up[NG], d[NS], down[NG], a[NS];
	struct phasecheck_result r;

	(void)state;
	world_init(&w, PHASE_L1L2L3, 1);
	readings(&w, b, up, d, down, a);
	/* old ones with nonsense in them, in the windows and the gaps */
	b[0].age_ms = d[1].age_ms = a[2].age_ms = up[1].age_ms = 60000;
	b[0].site_da[2] = d[1].site_da[2] = a[2].site_da[2] = 900;
	up[1].site_da[1] = 900;
	decide_all(b, up, d, down, a, PHASE_L1L2L3, PHASE_L1L2L3, &r);
	assert_int_equal(r.verdict, PHASECHECK_MATCH);
	assert_int_equal(r.nbefore, NS - 1);
	assert_int_equal(r.nafter, NS - 1);
	/* three of five late in one window: too few */
	d[0].age_ms = d[2].age_ms = 60000;
	decide_all(b, up, d, down, a, PHASE_L1L2L3, PHASE_L1L2L3, &r);
	assert_int_equal(r.why, PHASECHECK_NO_METER);
	d[0].age_ms = d[2].age_ms = 300;
	a[0].age_ms = a[1].age_ms = 60000;	/* the same after */
	decide_all(b, up, d, down, a, PHASE_L1L2L3, PHASE_L1L2L3, &r);
	assert_int_equal(r.why, PHASECHECK_NO_METER);
}

/* No car, a car that takes nothing, a charger not heard, clamps that do
 * not see the chargers. */
static void
test_nothing_to_see(void **state)
{
	struct world w;
	struct phasecheck_result r;
	char	 text[300];

	(void)state;
	world_init(&w, PHASE_L1L2L3, 1);
	w.car_phases = 0;
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.why, PHASECHECK_NO_DRAW);
	phasecheck_text(&r, "bay-1", 1, text, sizeof(text));
	assert_non_null(strstr(text, "drew nothing more"));
	world_init(&w, PHASE_L1L2L3, 1);
	w.line_max[0] = BASE_DA;	/* full: takes no more */
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.why, PHASECHECK_NO_DRAW);
	world_init(&w, PHASE_L1L2L3, 1);
	w.charger_silent = true;
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.why, PHASECHECK_NO_CHARGER);
	world_init(&w, PHASE_L1L2L3, 1);
	w.clamps_blind = true;
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.why, PHASECHECK_NOT_SEEN);
	phasecheck_text(&r, "bay-1", 1, text, sizeof(text));
	assert_non_null(strstr(text, "chargers included"));
	/* the twin of each: a car that follows, seen */
	world_init(&w, PHASE_L1L2L3, 1);
	check(&w, PHASE_L1L2L3, &r);
	assert_int_equal(r.verdict, PHASECHECK_MATCH);
}

/* The charger's own setting differs from the master's: its currents are
 * mapped back by its own, and the master's is judged. */
static void
test_charger_reports_its_own_wiring(void **state)
{
	struct world w;
	struct phasecheck_result r;

	(void)state;
	world_init(&w, PHASE_L3L1L2, 1);
	w.told = PHASE_L2L3L1;		/* the charger's setting */
	check(&w, PHASE_L1L2L3, &r);	/* the master's */
	assert_int_equal(r.car_lines, 1);
	assert_int_equal(r.verdict, PHASECHECK_MISMATCH);
	assert_int_equal(r.suggested, PHASE_L3L1L2);
}

static void
test_phases_text(void **state)
{
	char	 b[32];

	(void)state;
	assert_string_equal(phasecheck_phases_text(0, b, sizeof(b)), "none");
	assert_string_equal(phasecheck_phases_text(2, b, sizeof(b)), "L2");
	assert_string_equal(phasecheck_phases_text(5, b, sizeof(b)),
	    "L1 and L3");
	assert_string_equal(phasecheck_phases_text(7, b, sizeof(b)),
	    "L1, L2 and L3");
	assert_string_equal(phasecheck_verdict_name(PHASECHECK_MISMATCH),
	    "mismatch");
	assert_int_equal(phasecheck_site_mask(PHASE_L2L3L1, 1), 2);
	assert_int_equal(phasecheck_site_mask(PHASE_L3, 7), 4);
}

/* --- the sequence ----------------------------------------------------- */

struct run {
	struct testmode	 t;
	struct world	 w;
	struct testmode_in in;
	struct testmode_out out;
	uint64_t	 now;
	int		 k;
	bool		 offer_follows;	/* the cycle offers what is asked */
};

static void
run_init(struct run *r, enum phase_conn wired, enum phase_conn configured)
{
	memset(r, 0, sizeof(*r));
	world_init(&r->w, wired, 1);
	r->w.told = configured;
	r->now = 1000000;
	r->offer_follows = true;
	r->in = (struct testmode_in){ .online = true,
	    .car = TESTMODE_CAR_READY };
	testmode_start(&r->t, 3, TEST_DA, BASE_DA, 60, configured, configured,
	    r->now);
}

/* One cycle, 500 ms on, a new meter reading each. */
static void
tick(struct run *r)
{
	int32_t	 offer = r->out.active ? r->out.offer_da : 0;

	r->now += 500;
	r->in.meter_ms = r->now - 200;
	r->in.sample = reading(&r->w, offer, offer > BASE_DA, r->k++);
	testmode_step(&r->t, &r->in, r->now, &r->out);
	if (r->offer_follows)
		r->in.offered_da = r->in.offered_hi_da = r->out.offer_da;
}

static void
test_sequence_to_a_result(void **state)
{
	struct run r;
	uint64_t t0;
	char	 text[300];

	(void)state;
	run_init(&r, PHASE_L2L3L1, PHASE_L1L2L3);
	t0 = r.now;
	tick(&r);
	assert_int_equal(r.t.state, TESTMODE_BASELINE);
	assert_true(r.out.active);
	assert_true(r.out.hold_others);
	assert_int_equal(r.out.offer_da, BASE_DA);
	assert_false(testmode_live(&r.t, (int32_t[3]){ 0 },
	    (int32_t[3]){ 0 }));
	while (r.t.state == TESTMODE_BASELINE)
		tick(&r);
	/* the car's 5 s, then a window of readings */
	assert_true(r.now - t0 >= TESTMODE_RESPONSE_MS + TESTMODE_WINDOW_MS);
	assert_true(r.t.nbefore >= PHASECHECK_MIN_SAMPLES);
	assert_int_equal(r.t.state, TESTMODE_STEP);
	assert_int_equal(r.out.offer_da, TEST_DA);
	while (r.t.state == TESTMODE_STEP)
		tick(&r);
	assert_int_equal(r.t.state, TESTMODE_MEASURE);
	{
		int32_t	 rise[3], car[3];

		tick(&r);
		assert_true(testmode_live(&r.t, rise, car));
		assert_int_equal(rise[1], TEST_DA - BASE_DA);	/* L2 */
		assert_int_equal(car[0], TEST_DA - BASE_DA);
	}
	while (r.t.state == TESTMODE_MEASURE)
		tick(&r);
	/* back to the minimum, read again */
	assert_int_equal(r.t.state, TESTMODE_RETURN);
	assert_string_equal(testmode_state_name(r.t.state), "return");
	assert_true(r.out.active);
	assert_int_equal(r.out.offer_da, BASE_DA);
	assert_true(r.t.nup >= 3);	/* the gap up was read */
	while (testmode_running(&r.t))
		tick(&r);
	assert_true(r.t.nafter >= PHASECHECK_MIN_SAMPLES);
	assert_true(r.t.ndown >= 3);
	assert_true(r.out.ended);
	assert_false(r.out.active);
	assert_int_equal(r.t.state, TESTMODE_DONE);
	assert_int_equal(r.t.result.verdict, PHASECHECK_MISMATCH);
	assert_int_equal(r.t.result.suggested, PHASE_L2L3L1);
	/* about 30 s, within its 60 s and the least one may ask */
	assert_true(r.now - t0 < 30000);
	assert_true(r.now - t0 < TESTMODE_SECONDS_MIN * 1000);
	testmode_text(&r.t, "bay-2", 1, text, sizeof(text));
	assert_non_null(strstr(text, "set phase rotation to L2L3L1"));
	/* ended, it asks nothing more */
	tick(&r);
	assert_false(r.out.active);
	assert_false(r.out.ended);
}

static void
test_sequence_without_a_car(void **state)
{
	struct run r;
	char	 text[300];

	(void)state;
	run_init(&r, PHASE_L1L2L3, PHASE_L1L2L3);
	r.in.car = TESTMODE_CAR_NONE;
	tick(&r);
	assert_true(r.out.ended);
	assert_int_equal(r.t.state, TESTMODE_DONE);
	assert_int_equal(r.t.end, TESTMODE_END_NO_CAR);
	assert_int_equal(r.t.result.verdict, PHASECHECK_INCONCLUSIVE);
	testmode_text(&r.t, "bay-1", 1, text, sizeof(text));
	assert_non_null(strstr(text, "inconclusive: no car"));
	run_init(&r, PHASE_L1L2L3, PHASE_L1L2L3);
	r.in.car = TESTMODE_CAR_WAIT_AUTH;
	tick(&r);
	assert_int_equal(r.t.end, TESTMODE_END_WAIT_AUTH);
	/* the twin: a car there, the test goes on */
	run_init(&r, PHASE_L1L2L3, PHASE_L1L2L3);
	tick(&r);
	tick(&r);
	assert_true(testmode_running(&r.t));
}

/* Ends before the result: the car leaves, a fault, the charger offline,
 * an operator's pause, its time, an installer's stop. */
static void
test_sequence_interrupted(void **state)
{
	static const struct {
		int		 what;
		enum testmode_end end;
		enum testmode_state state;
	} cases[] = {
		{ 0, TESTMODE_END_UNPLUGGED, TESTMODE_FAILED },
		{ 1, TESTMODE_END_FAULT, TESTMODE_FAILED },
		{ 2, TESTMODE_END_OFFLINE, TESTMODE_FAILED },
		{ 3, TESTMODE_END_PAUSED, TESTMODE_FAILED },
		{ 4, TESTMODE_END_STOPPED, TESTMODE_STOPPED },
		{ 5, TESTMODE_END_UNPLUGGED, TESTMODE_FAILED },
	};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct run r;
		char	 text[300];

		run_init(&r, PHASE_L1L2L3, PHASE_L1L2L3);
		for (int i = 0; i < 12; i++)
			tick(&r);
		assert_true(testmode_running(&r.t));
		switch (cases[c].what) {
		case 0:
			r.in.car = TESTMODE_CAR_NONE;
			break;
		case 1:
			r.in.car = TESTMODE_CAR_FAULT;
			break;
		case 2:
			r.in.online = false;
			break;
		case 3:
			r.in.paused = true;
			break;
		case 4:
			testmode_stop(&r.t, TESTMODE_END_STOPPED, r.now);
			break;
		case 5:
			r.in.car = TESTMODE_CAR_WAIT_AUTH;	/* re-plugged */
			break;
		}
		tick(&r);
		assert_int_equal(r.t.end, cases[c].end);
		assert_int_equal(r.t.state, cases[c].state);
		assert_false(r.out.active);
		assert_int_equal(r.t.result.verdict, PHASECHECK_INCONCLUSIVE);
		testmode_text(&r.t, "bay-1", 1, text, sizeof(text));
		assert_non_null(strstr(text, "inconclusive"));
	}
}

static void
test_sequence_times_out(void **state)
{
	struct run r;

	(void)state;
	run_init(&r, PHASE_L1L2L3, PHASE_L1L2L3);
	testmode_start(&r.t, 3, TEST_DA, BASE_DA, TESTMODE_SECONDS_MIN,
	    PHASE_L1L2L3, PHASE_L1L2L3, r.now);
	/* the cycle never gets the test current out: no room */
	r.offer_follows = false;
	r.in.offered_da = BASE_DA;
	while (testmode_running(&r.t))
		tick(&r);
	assert_int_equal(r.t.end, TESTMODE_END_NO_ROOM);
	/* with more time than it takes, a slow raise is waited for; with
	 * less than the sequence needs, its time is up */
	run_init(&r, PHASE_L1L2L3, PHASE_L1L2L3);
	testmode_start(&r.t, 3, TEST_DA, BASE_DA, 10, PHASE_L1L2L3,
	    PHASE_L1L2L3, r.now);
	while (testmode_running(&r.t))
		tick(&r);
	assert_int_equal(r.t.end, TESTMODE_END_TIMEOUT);
	assert_int_equal(r.t.state, TESTMODE_FAILED);
}

/* Cut below the test current while measuring (the fuse first): no
 * result from a step that was not the one asked. */
static void
test_sequence_cut_while_measuring(void **state)
{
	struct run r;

	(void)state;
	run_init(&r, PHASE_L1L2L3, PHASE_L1L2L3);
	while (r.t.state != TESTMODE_MEASURE)
		tick(&r);
	r.offer_follows = false;
	r.in.offered_da = 100;
	tick(&r);
	assert_int_equal(r.t.end, TESTMODE_END_NO_ROOM);
	assert_int_equal(r.t.state, TESTMODE_FAILED);
}

/* The sequence of the audit's case: 8 A of the building's load moves
 * off L1 onto L2 one second into the step (the car on L1, wired as
 * configured): inconclusive, never the mismatch the rise alone shows. */
static void
test_sequence_load_moved(void **state)
{
	struct run r;
	uint64_t t_step = 0;
	bool	 moved = false;

	(void)state;
	run_init(&r, PHASE_L1L2L3, PHASE_L1L2L3);
	while (testmode_running(&r.t)) {
		tick(&r);
		if (r.t.state == TESTMODE_STEP && t_step == 0)
			t_step = r.now;
		if (!moved && t_step != 0 && r.now - t_step >= 1000) {
			r.w.bld[0] -= 80;
			r.w.bld[1] += 80;
			moved = true;
		}
	}
	assert_true(moved);
	assert_int_equal(r.t.state, TESTMODE_DONE);
	assert_int_equal(r.t.result.verdict, PHASECHECK_INCONCLUSIVE);
	/* the twin: the building still, a match */
	run_init(&r, PHASE_L1L2L3, PHASE_L1L2L3);
	while (testmode_running(&r.t))
		tick(&r);
	assert_int_equal(r.t.result.verdict, PHASECHECK_MATCH);
}

/* The meter offline, or its reading older than the check takes, during
 * the test: it ends at once as no_meter, and says so (not "no room"
 * twenty seconds later). The twin: a reading just fresh enough. */
static void
test_sequence_meter_offline(void **state)
{
	for (int c = 0; c < 3; c++) {
		struct run r;
		char	 text[300];

		(void)state;
		run_init(&r, PHASE_L1L2L3, PHASE_L1L2L3);
		for (int i = 0; i < 22; i++)	/* into the step */
			tick(&r);
		assert_true(testmode_running(&r.t));
		if (c == 0)
			r.w.meter_offline = true;
		else
			r.w.age_ms = c == 1 ? PHASECHECK_MAX_AGE_MS + 1 :
			    PHASECHECK_MAX_AGE_MS;
		tick(&r);
		testmode_text(&r.t, "bay-1", 1, text, sizeof(text));
		if (c == 2) {		/* the twin */
			assert_true(testmode_running(&r.t));
			while (testmode_running(&r.t))
				tick(&r);
			assert_int_equal(r.t.result.verdict,
			    PHASECHECK_MATCH);
			continue;
		}
		assert_true(r.out.ended);
		assert_int_equal(r.t.state, TESTMODE_FAILED);
		assert_int_equal(r.t.end, TESTMODE_END_NO_METER);
		assert_non_null(strstr(text, "inconclusive: the meter went "
		    "offline: the check needs its readings"));
		if (c == 1)
			assert_non_null(strstr(text, "its last reading 2.5 s "
			    "old; the check takes them up to 2.5 s old"));
	}
	/* offline from the start: at once */
	{
		struct run r;

		run_init(&r, PHASE_L1L2L3, PHASE_L1L2L3);
		r.w.meter_offline = true;
		tick(&r);
		assert_int_equal(r.t.end, TESTMODE_END_NO_METER);
	}
}

/* The master stops during a test: it ends, inconclusive. */
static void
test_sequence_ended_by_a_restart(void **state)
{
	struct run r;
	char	 text[300];

	(void)state;
	run_init(&r, PHASE_L1L2L3, PHASE_L1L2L3);
	tick(&r);
	testmode_stop(&r.t, TESTMODE_END_RESTART, r.now);
	assert_int_equal(r.t.state, TESTMODE_FAILED);
	testmode_text(&r.t, "bay-1", 1, text, sizeof(text));
	assert_non_null(strstr(text, "the master restarted or stopped"));
}

/* --- the control cycle ------------------------------------------------ */

#define NC	3

struct cyc {
	struct cycle	 cy;
	struct cycle_conf cf[NC];
	struct cycle_reading rd[NC];
	struct cycle_op	 op[NC];
	struct cycle_out out;
	uint64_t	 now;
	int32_t		 bld[EVG_PHASES];	/* the building */
};

static void
cyc_init(struct cyc *c, int32_t site_limit)
{
	memset(c, 0, sizeof(*c));
	c->cy.site = (struct alloc_site){
		.mode = ALLOC_DYNAMIC, .strategy = STRATEGY_MAXIMISE,
		.group_limit_da = site_limit, .site_limit_da = site_limit,
		.meter_online = true, .chargers_in_clamps = true,
		.clamp_enabled = { true, true, true },
		.min_run_ms = ALLOC_MIN_RUN_MS, .min_pause_ms = ALLOC_MIN_PAUSE_MS,
		.fallback_timeout_ms = 10000,
	};
	assert_int_equal(cycle_init(&c->cy, NC), 0);
	c->now = 1000000;
	c->bld[0] = c->bld[1] = c->bld[2] = 100;
	for (int i = 0; i < NC; i++) {
		c->cf[i] = (struct cycle_conf){ PHASE_L1L2L3, 60, 320, 0, 0 };
		c->rd[i] = (struct cycle_reading){ .online = true,
		    .heard = true, .fallback_known = true };
		c->rd[i].rc.state = CS_CHARGING;
		c->rd[i].rc.max_da = 320;
	}
}

/* A cycle a second; each car draws what it was offered (on its three
 * conductors), as read at the next cycle. */
static void
cyc_run(struct cyc *c)
{
	for (int i = 0; i < NC; i++) {
		int32_t	 sp = c->cy.setpoint[i];

		c->rd[i].rc.setpoint_da = (uint16_t)sp;
		c->rd[i].may_force_da = (uint16_t)sp;
		for (int p = 0; p < EVG_PHASES; p++)
			c->rd[i].rc.current_da[p] = (uint16_t)sp;
		c->rd[i].read_ms = c->rd[i].taken_ms = c->now;
	}
	for (int p = 0; p < EVG_PHASES; p++) {
		c->cy.site.clamp_da[p] = c->bld[p];
		for (int i = 0; i < NC; i++)
			c->cy.site.clamp_da[p] += c->rd[i].rc.current_da[p];
	}
	c->cy.meter_ms = c->now;
	cycle_run(&c->cy, c->cf, c->rd, c->op, c->now, &c->out);
	c->now += 1000;
}

/* The connector under test gets its test current before the others (who
 * share the rest); the others are held: not raised when room appears.
 * Its reason says "test mode"; theirs that they are held. */
static void
test_cycle_offers_the_test_current(void **state)
{
	struct cyc c;
	char	 text[80];

	(void)state;
	cyc_init(&c, 500);	/* 50 A: 40 A for the cars, above 10 A */
	for (int i = 0; i < 10; i++)
		cyc_run(&c);
	for (int i = 0; i < NC; i++)		/* 40 A shared */
		assert_in_range(c.out.setpoint[i], 133, 134);
	/* a test at 20 A on the first: the others share the other 20 A */
	c.op[0].test_da = 200;
	c.op[1].hold = c.op[2].hold = true;
	for (int i = 0; i < 10; i++)
		cyc_run(&c);
	assert_int_equal(c.out.setpoint[0], 200);
	assert_true(c.out.setpoint[1] + c.out.setpoint[2] <= 200);
	assert_int_equal(c.out.why[0].reason, REASON_TEST_MODE);
	assert_string_equal(reason_code(REASON_TEST_MODE), "test_mode");
	assert_string_equal(reason_text(&c.out.why[0], NULL, text,
	    sizeof(text)), "test mode (phase check, offered 20.0 A)");
	/* the building falls by 5 A: the held ones stay where they are */
	{
		int32_t	 held1 = c.out.setpoint[1], held2 = c.out.setpoint[2];

		c.cy.site.site_limit_da = c.cy.site.group_limit_da = 550;
		for (int i = 0; i < 10; i++)
			cyc_run(&c);
		assert_int_equal(c.out.setpoint[1], held1);
		assert_int_equal(c.out.setpoint[2], held2);
		assert_int_equal(c.out.why[1].reason, REASON_TEST_HOLD);
	}
	/* the twin: the test over, they share again */
	c.op[0].test_da = 0;
	c.op[1].hold = c.op[2].hold = false;
	for (int i = 0; i < 10; i++)
		cyc_run(&c);
	assert_int_equal(c.out.setpoint[0], 150);
	assert_int_equal(c.out.setpoint[1], 150);
	assert_int_not_equal(c.out.why[1].reason, REASON_TEST_HOLD);
	cycle_free(&c.cy);
}

/* The fuse first: a held car is still cut when the building rises, and
 * the test current never goes out where it does not fit. */
static void
test_cycle_fuse_first(void **state)
{
	struct cyc c;

	(void)state;
	cyc_init(&c, 500);
	for (int i = 0; i < 10; i++)
		cyc_run(&c);
	c.op[0].test_da = 200;
	c.op[1].hold = c.op[2].hold = true;
	for (int i = 0; i < 10; i++)
		cyc_run(&c);
	/* 25 A of the fuse left for the cars: 20 A of test, one held car
	 * cut (none below 6 A) */
	c.cy.site.site_limit_da = c.cy.site.group_limit_da = 350;
	for (int i = 0; i < 10; i++)
		cyc_run(&c);
	{
		int32_t	 sum = 0;

		for (int i = 0; i < NC; i++)
			sum += c.out.setpoint[i];
		assert_true(sum <= 250);
	}
	/* less than the test current left: no test current */
	c.cy.site.site_limit_da = c.cy.site.group_limit_da = 250;
	for (int i = 0; i < 10; i++)
		cyc_run(&c);
	assert_int_not_equal(c.out.setpoint[0], 200);
	assert_true(c.out.setpoint[0] + c.out.setpoint[1] + c.out.setpoint[2]
	    <= 150);
	cycle_free(&c.cy);
}

/* A connector resting after a rotation pause is tested all the same. */
static void
test_cycle_test_skips_rotation_rest(void **state)
{
	struct cyc c;

	(void)state;
	cyc_init(&c, 500);
	c.cy.memo[0].since_ms = c.now - 1000;	/* paused a second ago */
	c.op[0].test_da = 160;
	for (int i = 0; i < 5; i++)
		cyc_run(&c);
	assert_int_equal(c.out.setpoint[0], 160);
	cycle_free(&c.cy);
}

/*
 * A single-phase connector configured L1 whose wiring is in doubt (that
 * is why it is tested): its test current is counted on all three phases
 * (issue 18, F2). The building high on L2 leaves 15 A there: a test at
 * 20 A does not go out, though L1 has room. The twin: L2 with room, it
 * goes out, and no phase carries more than it may.
 */
static void
test_cycle_test_counted_on_every_phase(void **state)
{
	struct cyc c;

	(void)state;
	cyc_init(&c, 500);
	c.cf[0].phase = PHASE_L1;
	c.bld[1] = 350;		/* L2: 15 A left for the chargers */
	c.op[0].test_da = 200;
	c.op[1].hold = c.op[2].hold = true;
	for (int i = 0; i < 10; i++)
		cyc_run(&c);
	assert_int_not_equal(c.out.setpoint[0], 200);
	for (int p = 0; p < EVG_PHASES; p++)
		assert_true(c.cy.out.used_da[p] <= c.cy.out.hard_da[p]);
	/* the twin: 25 A left on L2 */
	c.bld[1] = 250;
	for (int i = 0; i < 10; i++)
		cyc_run(&c);
	assert_int_equal(c.out.setpoint[0], 200);
	assert_true(c.cy.out.used_da[1] >= 200);	/* counted on L2 */
	for (int p = 0; p < EVG_PHASES; p++)
		assert_true(c.cy.out.used_da[p] <= c.cy.out.hard_da[p]);
	/* the test over: counted where configured again */
	c.op[0].test_da = 0;
	c.op[1].hold = c.op[2].hold = false;
	cyc_run(&c);
	assert_int_equal(c.cy.ac[0].phase, PHASE_L1);
	cycle_free(&c.cy);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_rotation_single_phase_car),
		cmocka_unit_test(test_mismatch_sentence),
		cmocka_unit_test(test_single_phase_connectors),
		cmocka_unit_test(test_three_phase_car),
		cmocka_unit_test(test_one_phase_car_on_three_phase_connector),
		cmocka_unit_test(test_noise),
		cmocka_unit_test(test_load_step_during_the_test),
		cmocka_unit_test(test_load_moved_while_the_car_ramps),
		cmocka_unit_test(test_load_moved_on_the_way_back),
		cmocka_unit_test(test_honest_cases_stand),
		cmocka_unit_test(test_meter_offline_or_late),
		cmocka_unit_test(test_some_readings_late),
		cmocka_unit_test(test_nothing_to_see),
		cmocka_unit_test(test_charger_reports_its_own_wiring),
		cmocka_unit_test(test_phases_text),
		cmocka_unit_test(test_sequence_to_a_result),
		cmocka_unit_test(test_sequence_without_a_car),
		cmocka_unit_test(test_sequence_interrupted),
		cmocka_unit_test(test_sequence_times_out),
		cmocka_unit_test(test_sequence_cut_while_measuring),
		cmocka_unit_test(test_sequence_load_moved),
		cmocka_unit_test(test_sequence_meter_offline),
		cmocka_unit_test(test_sequence_ended_by_a_restart),
		cmocka_unit_test(test_cycle_offers_the_test_current),
		cmocka_unit_test(test_cycle_fuse_first),
		cmocka_unit_test(test_cycle_test_skips_rotation_rest),
		cmocka_unit_test(test_cycle_test_counted_on_every_phase),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
