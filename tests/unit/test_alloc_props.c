/*
 * test_alloc_props.c: properties of the allocator over 1,000,000 random
 * sites (up to 1000 connectors, random wiring, limits, draws, priorities,
 * modes, offline chargers), each a fresh allocation:
 *  (a) per phase, offers + offline fallbacks <= what the phase may carry
 *      (or every online offer on it is 0 when the fallbacks alone exceed);
 *  (b) every offer is 0 or within [min, cap] (0 where the maximum is
 *      below the minimum: one connector in 40 has that);
 *  (c) equal-priority running connectors on the same phases (and in the
 *      same circuit), both below their cap, differ by at most 0.1 A
 *      (without imbalance limits);
 *  (d) work-conserving: no running connector below its cap could get
 *      0.1 A more without breaking (a) (or the mode's surplus target);
 *  (e) deterministic.
 * And over 200,000 random sites with a random history (what the
 * allocator remembers from earlier cycles: last offers and since when,
 * cut, idle, reclaim trims), (a), (b), (e), (f) and (g) still hold: what
 * it learnt changes who gets what, never the fuse. (c) and (d) do not
 * apply there (trims and idle cars cap a connector below its maximum).
 * Seven sites in eight have circuits under the supply (up to 50, nested
 * up to 4 levels: over 10^6 random trees in all), some with a meter of their own, online or not), and some
 * have unbalanced-load limits, a demand target's power cap or a limit
 * from outside; then (a) holds for every phase of every circuit (its
 * limit recomputed here, independently), (h) each imbalance limit holds
 * (or no car that could narrow the gap is offered anything), (i) the
 * power cap holds, and (d) counts those limits too.
 * A failure is shrunk to a minimal case and printed as C.
 * EVG_ALLOC_CASES=N runs N cases (and N / 5 with a history);
 * EVG_ALLOC_SEED=S starts elsewhere.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alloc.h"

#define MAXN	1000

struct prng { uint64_t s; };

static uint32_t
rnd(struct prng *p, uint32_t n)
{
	p->s ^= p->s >> 12;
	p->s ^= p->s << 25;
	p->s ^= p->s >> 27;
	return (uint32_t)((p->s * 2685821657736338717ULL) >> 32) % n;
}

#define MAXC	50

struct tcase {
	struct alloc_site site;
	struct alloc_circuit circ[MAXC];
	int	 depth[MAXC + 1];
	struct alloc_conn c[MAXN];
	size_t	 n;
	uint64_t history;	/* 0: a fresh allocation; else its seed */
};

static void
gen(struct tcase *t, uint64_t seed)
{
	struct prng p = { seed * 0x9E3779B97F4A7C15ULL + 7 };
	struct alloc_site *s = &t->site;
	int32_t	 min = 60 + 10 * (int32_t)rnd(&p, 3);	/* 6-8 A, per case */
	uint32_t big = rnd(&p, 100);

	memset(t, 0, sizeof(*t));
	t->n = big == 0 ? 1 + rnd(&p, MAXN) : big < 10 ? 1 + rnd(&p, 100) :
	    1 + rnd(&p, 12);
	s->mode = (enum alloc_mode)rnd(&p, 4);
	s->strategy = (enum alloc_strategy)rnd(&p, 3);
	s->group_limit_da = 60 * (int32_t)rnd(&p, 400);
	s->site_limit_da = 100 * (int32_t)rnd(&p, 50);
	s->margin_da = 10 * (int32_t)rnd(&p, 30);
	s->offline_limit_da = 10 * (int32_t)rnd(&p, 300);
	s->meter_online = rnd(&p, 5) != 0;
	s->chargers_in_clamps = rnd(&p, 2);
	for (int k = 0; k < EVG_PHASES; k++) {
		s->clamp_enabled[k] = rnd(&p, 8) != 0;
		s->clamp_da[k] = (int32_t)rnd(&p, 6000) - 2000;
	}
	s->min_run_ms = ALLOC_MIN_RUN_MS;
	s->min_pause_ms = ALLOC_MIN_PAUSE_MS;
	s->fallback_timeout_ms = 1000 * (2 + rnd(&p, 20));
	s->green_start_ms = s->green_stop_ms = 0;	/* fresh: no history */
	if (rnd(&p, 8) != 0) {
		s->ncircuits = 1 + rnd(&p, t->n > 100 ? MAXC : 8);
		for (size_t k = 0; k < s->ncircuits; k++) {
			struct alloc_circuit *ci = &t->circ[k];
			int	 parent = (int)rnd(&p, (uint32_t)k + 1);

			while (t->depth[parent] >= 3)	/* 4 levels at most */
				parent = (int)rnd(&p, (uint32_t)parent + 1);
			ci->parent = parent;
			t->depth[k + 1] = t->depth[parent] + 1;
			ci->limit_da = 60 * (int32_t)rnd(&p, 200);
			ci->margin_da = 10 * (int32_t)rnd(&p, 20);
			ci->metered = rnd(&p, 3) == 0;
			ci->meter_online = rnd(&p, 4) != 0;
			ci->chargers_in_clamps = rnd(&p, 2);
			ci->offline_limit_da = 10 * (int32_t)rnd(&p, 300);
			for (int q = 0; q < EVG_PHASES; q++)
				ci->clamp_da[q] = (int32_t)rnd(&p, 3000) - 500;
			ci->imbalance_da = rnd(&p, 4) ? 0 :
			    (int32_t)rnd(&p, 400);
		}
		s->circuit = t->circ;
		if (rnd(&p, 3) == 0)
			s->imbalance_da = (int32_t)rnd(&p, 400);
	}
	if (rnd(&p, 4) == 0) {
		s->power_capped = true;
		s->power_cap_da = (int32_t)rnd(&p, (uint32_t)t->n * 600 + 1) -
		    100;
	}
	if (rnd(&p, 5) == 0) {
		s->external = true;
		for (int q = 0; q < EVG_PHASES; q++)
			s->external_da[q] = 10 * (int32_t)rnd(&p, 600);
	}
	for (size_t i = 0; i < t->n; i++) {
		struct alloc_conn *c = &t->c[i];

		c->phase = (enum phase_conn)(1 + rnd(&p, 6));
		c->min_da = min;
		c->max_da = min + 10 * (int32_t)rnd(&p, 60);
		/* now and then a maximum below the minimum (a charger rated
		 * under the site's minimum, one the phase check holds at 0):
		 * (b) says it is never offered anything */
		if (rnd(&p, 40) == 0)
			c->max_da = min - 10 * (int32_t)(1 + rnd(&p, 6));
		c->priority = (int)rnd(&p, 3);
		c->online = rnd(&p, 20) != 0;
		c->demand = rnd(&p, 5) != 0;
		c->fallback_known = rnd(&p, 4) != 0;
		c->fallback_da = rnd(&p, 2) ? 0 : min;
		c->fallback_ms = rnd(&p, 3) ? 0 : 1000 * (2 + rnd(&p, 20));
		c->in_force_da = rnd(&p, 2) ? 0 : c->max_da;
		c->silent_ms = rnd(&p, 30000);
		for (int k = 0; k < EVG_PHASES; k++)
			c->draw_da[k] = (int32_t)rnd(&p, 400);
		c->session_wh = rnd(&p, 50000);
		c->session_id = 1;
		c->circuit = (uint8_t)rnd(&p, (uint32_t)s->ncircuits + 1);
	}
}

static uint8_t
wired(enum phase_conn pc)
{
	uint8_t	 m = 0;

	for (int l = 0; l < phase_conn_lines(pc); l++)
		m |= (uint8_t)(1u << phase_conn_site_phase(pc, l));
	return m;
}

static int32_t	 offers[MAXN], offers2[MAXN];
static struct alloc_memo memo[MAXN];
static void	*workmem;	/* alloc_work_size(MAXN) bytes */

/* What earlier cycles may have left the allocator to remember, for the
 * case's connectors, from its history seed (nothing without one). */
static void
gen_history(const struct tcase *t)
{
	struct prng p = { t->history * 0xD1B54A32D192ED03ULL + 11 };

	memset(memo, 0, sizeof(memo));
	for (size_t i = 0; i < t->n && t->history != 0; i++) {
		struct alloc_memo *mi = &memo[i];
		const struct alloc_conn *c = &t->c[i];

		mi->session_id = c->session_id;
		mi->offer_da = rnd(&p, 2) || c->max_da < c->min_da ? 0 :
		    c->min_da + (int32_t)rnd(&p, (uint32_t)(c->max_da -
		    c->min_da + 1));
		mi->since_ms = rnd(&p, 4) ? 1000000 - rnd(&p, 900000) : 0;
		mi->cut = rnd(&p, 3) == 0;
		mi->idle = rnd(&p, 3) == 0;
		mi->idle_since = mi->idle ? 1000000 - rnd(&p, 900000) : 0;
		mi->trim_da = rnd(&p, 3) ? 0 : (int32_t)rnd(&p, 400);
		mi->trimmed_ms = 1000000 - rnd(&p, 900000);
	}
}

static void
run(const struct tcase *t, int32_t *out, struct alloc_out *o)
{
	struct alloc_site s = t->site;

	s.circuit = s.ncircuits ? t->circ : NULL;	/* copies move */
	gen_history(t);
	alloc_compute(&s, t->c, memo, t->n, 1000000, workmem, out, o, NULL);
}

/* Is circuit id (1-based; 0 the supply) the circuit of connector c or
 * above it? Walked here from the parents, not taken from the allocator. */
static bool
within(const struct tcase *t, uint8_t circuit, int id)
{
	int	 k = circuit <= t->site.ncircuits ? circuit : 0;

	for (;;) {
		if (k == id)
			return true;
		if (k == 0)
			return false;
		k = t->circ[k - 1].parent;
	}
}

/*
 * The circuits' limits, recomputed: a metered circuit whose meter answers
 * carries its limit less its load (the clamp less its chargers' draws
 * when they count, only those that answer), less its margin; a silent
 * meter: its offline limit (within its limit less margin); without a
 * meter: its limit less what the metered circuits below it measure.
 */
static void
circuit_hard(const struct tcase *t, int32_t hard[][EVG_PHASES],
    int32_t known[][EVG_PHASES])
{
	for (int id = (int)t->site.ncircuits; id >= 1; id--) {
		const struct alloc_circuit *k = &t->circ[id - 1];

		for (int p = 0; p < EVG_PHASES; p++) {
			int32_t	 nonev = 0, h;

			if (k->metered && k->meter_online) {
				nonev = k->clamp_da[p];
				for (size_t i = 0; i < t->n; i++)
					if (k->chargers_in_clamps &&
					    t->c[i].online &&
					    t->c[i].draw_da[p] > 0 &&
					    within(t, t->c[i].circuit, id))
						nonev -= t->c[i].draw_da[p];
			} else if (!k->metered) {
				for (int j = id + 1; j <= (int)t->site.ncircuits;
				    j++)
					if (t->circ[j - 1].parent == id &&
					    known[j][p] > 0)
						nonev += known[j][p];
			} else	/* silent: its other loads at their worst */
				nonev = k->limit_da - k->offline_limit_da;
			known[id][p] = nonev;
			if (k->metered && !k->meter_online) {
				h = k->limit_da - k->margin_da;
				if (k->offline_limit_da < h)
					h = k->offline_limit_da;
			} else
				h = k->limit_da - (nonev > 0 ? nonev : 0) -
				    k->margin_da;
			hard[id][p] = h < 0 ? 0 : h;
		}
	}
}

static int32_t	 cu[MAXC + 1][EVG_PHASES], cf[MAXC + 1][EVG_PHASES];
static int32_t	 ch[MAXC + 1][EVG_PHASES], known[MAXC + 1][EVG_PHASES];
static int32_t	 pw_used, pw_fb;

/*
 * How far circuit id (0: the supply) is over its imbalance limit (<= 0:
 * within, or no limit), with 0.1 A more on the phases of mask: its
 * phases' currents are its measured load (the supply's as the allocator
 * estimated it, checked by (f); a circuit's recomputed) and what its
 * chargers are counted at (cu, cf). hi and lo: the phases that differ
 * most; top (if not NULL) gets every phase at the most.
 */
static int32_t
imbalance_of(const struct tcase *t, const struct alloc_out *o, int id,
    uint8_t *top, uint8_t mask, int *hi, int *lo)
{
	int32_t	 limit = id == 0 ? t->site.imbalance_da :
	    t->circ[id - 1].imbalance_da, tot[EVG_PHASES];

	*hi = *lo = 0;
	if (limit <= 0)
		return 0;
	for (int p = 0; p < EVG_PHASES; p++) {
		tot[p] = (id == 0 ? o->nonev_da[p] : known[id][p]) +
		    cu[id][p] + cf[id][p] + (mask >> p & 1);
		if (tot[p] > tot[*hi])
			*hi = p;
		if (tot[p] < tot[*lo])
			*lo = p;
	}
	if (top != NULL)	/* the phases that carry the most */
		for (int p = 0; p < EVG_PHASES; p++)
			if (tot[p] == tot[*hi])
				*top |= (uint8_t)(1u << p);
	return tot[*hi] - tot[*lo] - limit;
}

/* NULL when every property holds, else which one broke and how. */
static const char *
check(const struct tcase *t)
{
	static char why[160];
	struct alloc_out o, o2;
	int32_t	 used[EVG_PHASES] = { 0 }, fallback[EVG_PHASES] = { 0 };
	int32_t	 lim[EVG_PHASES], mins[EVG_PHASES] = { 0 };
	bool	 any_offline = false, balanced;

	run(t, offers, &o);
	for (size_t i = 0; i < t->n; i++) {
		const struct alloc_conn *c = &t->c[i];
		uint8_t	 m = c->online ? wired(c->phase) : 0;

		if (!c->online) {
			int32_t sd = alloc_silent_draw(&t->site, c);
			uint64_t after = c->fallback_ms ? c->fallback_ms :
			    t->site.fallback_timeout_ms;

			/* (g) an offline charger counts at the most it may
			 * draw: its maximum while its fallback is unknown, else
			 * its last setpoint until its watchdog and its car's 5 s
			 * are over, then its fallback */
			if ((!c->fallback_known && sd < c->max_da) ||
			    (c->fallback_known && sd < c->fallback_da) ||
			    (c->fallback_known && c->silent_ms < after +
			    ALLOC_EV_RESPONSE_MS && sd < c->in_force_da)) {
				snprintf(why, sizeof(why), "(g) connector %zu "
				    "offline counted at %d", i, sd);
				return why;
			}
			any_offline = true;
			for (int p = 0; p < EVG_PHASES; p++)
				if (wired(c->phase) >> p & 1)
					fallback[p] += alloc_silent_draw(&t->site,
					    c);
		}
		if (offers[i] != 0 && (offers[i] < c->min_da ||
		    offers[i] > c->max_da || !c->online || !c->demand)) {
			snprintf(why, sizeof(why), "(b) connector %zu offered %d",
			    i, offers[i]);
			return why;
		}
		for (int p = 0; p < EVG_PHASES; p++)
			if (m >> p & 1) {
				used[p] += offers[i];
				if (offers[i])
					mins[p] += c->min_da;
			}
	}
	for (int p = 0; p < EVG_PHASES; p++) {
		int32_t ev = 0;

		/* (f) the building's estimate: the clamp less what the chargers
		 * that answer read; an offline one's old reading never counts
		 * (safety review, item 1) */
		for (size_t i = 0; i < t->n; i++)
			if (t->c[i].online && t->c[i].draw_da[p] > 0)
				ev += t->c[i].draw_da[p];
		if (t->site.mode != ALLOC_STATIC && t->site.meter_online &&
		    t->site.clamp_enabled[p] && o.nonev_da[p] !=
		    t->site.clamp_da[p] - (t->site.chargers_in_clamps ? ev : 0)) {
			snprintf(why, sizeof(why), "(f) L%d building %d, clamp %d, "
			    "online chargers %d", p + 1, o.nonev_da[p],
			    t->site.clamp_da[p], ev);
			return why;
		}
		if (used[p] + fallback[p] > o.hard_da[p] && used[p] != 0) {
			snprintf(why, sizeof(why), "(a) phase L%d carries %d + "
			    "fallback %d > %d", p + 1, used[p], fallback[p],
			    o.hard_da[p]);
			return why;
		}
		lim[p] = o.soft_da[p] > fallback[p] + mins[p] ? o.soft_da[p] :
		    fallback[p] + mins[p];
		if (lim[p] > o.hard_da[p])
			lim[p] = o.hard_da[p];
	}
	/* The circuits, the power cap and the imbalance limits. */
	{
		int	 nc = (int)t->site.ncircuits;

		memset(cu, 0, sizeof(cu));
		memset(cf, 0, sizeof(cf));
		pw_used = pw_fb = 0;
		circuit_hard(t, ch, known);
		for (size_t i = 0; i < t->n; i++) {
			const struct alloc_conn *c = &t->c[i];
			uint8_t	 m = wired(c->phase);
			int32_t	 sd = c->online ? 0 : alloc_silent_draw(&t->site,
			    c);

			pw_used += __builtin_popcount(m) * offers[i];
			pw_fb += __builtin_popcount(m) * sd;
			for (int id = 0; id <= nc; id++)
				if (within(t, c->circuit, id))
					for (int p = 0; p < EVG_PHASES; p++)
						if (m >> p & 1) {
							cu[id][p] += offers[i];
							cf[id][p] += sd;
						}
		}
		for (int id = 1; id <= nc; id++)
			for (int p = 0; p < EVG_PHASES; p++)
				if (cu[id][p] > 0 && cu[id][p] + cf[id][p] >
				    ch[id][p]) {
					snprintf(why, sizeof(why), "(a) circuit "
					    "%d L%d carries %d + fallback %d > "
					    "%d", id, p + 1, cu[id][p],
					    cf[id][p], ch[id][p]);
					return why;
				}
		if (t->site.power_capped && pw_used > 0 && pw_used + pw_fb >
		    (t->site.power_cap_da > 0 ? t->site.power_cap_da : 0)) {
			snprintf(why, sizeof(why), "(i) power %d + fallback %d "
			    "> cap %d", pw_used, pw_fb, t->site.power_cap_da);
			return why;
		}
		for (int id = 0; id <= nc; id++) {
			int	 hi, lo;

			uint8_t	 top = 0;

			if (imbalance_of(t, &o, id, &top, 0, &hi, &lo) <= 0)
				continue;
			for (size_t i = 0; i < t->n; i++) {
				uint8_t	 m = wired(t->c[i].phase);

				/* a car that narrows it: on every phase that
				 * carries the most, not on the least */
				if (offers[i] > 0 && within(t, t->c[i].circuit,
				    id) && (m & top) == top && !(m >> lo & 1)) {
					snprintf(why, sizeof(why), "(h) circuit "
					    "%d: L%d - L%d over its limit, "
					    "connector %zu offered %d", id,
					    hi + 1, lo + 1, i, offers[i]);
					return why;
				}
			}
		}
	}
	balanced = t->site.imbalance_da > 0;
	for (size_t k = 0; k < t->site.ncircuits; k++)
		balanced |= t->circ[k].imbalance_da > 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct alloc_conn *a = &t->c[i];
		uint8_t	 ma = wired(a->phase);
		int32_t	 cap = any_offline && t->site.strategy ==
		    STRATEGY_MINIMISE ? a->min_da : a->max_da;
		bool	 room = true;
		int	 hi, lo;

		if (offers[i] == 0 || offers[i] >= cap || t->history != 0)
			continue;
		/* (d): some limit of it must be full: a phase of the supply
		 * or of a circuit it is in, the power cap, or an imbalance
		 * limit that 0.1 A more would break. */
		for (int p = 0; p < EVG_PHASES; p++)
			if ((ma >> p & 1) && used[p] + fallback[p] + 1 > lim[p])
				room = false;
		for (int id = 1; id <= (int)t->site.ncircuits; id++)
			for (int p = 0; p < EVG_PHASES; p++)
				if ((ma >> p & 1) && within(t, a->circuit, id) &&
				    cu[id][p] + cf[id][p] + 1 > ch[id][p])
					room = false;
		if (t->site.power_capped && pw_used + pw_fb +
		    __builtin_popcount(ma) > t->site.power_cap_da)
			room = false;
		for (int id = 0; id <= (int)t->site.ncircuits; id++)
			if (within(t, a->circuit, id) &&
			    imbalance_of(t, &o, id, NULL, ma, &hi, &lo) > 0)
				room = false;
		if (room) {
			snprintf(why, sizeof(why), "(d) connector %zu at %d could "
			    "take 0.1 A more", i, offers[i]);
			return why;
		}
		/* (c); not where the phase balance moved cars (its top-up
		 * hands out 0.1 A steps one car at a time, under gaps that
		 * each step changes) */
		for (size_t j = i + 1; j < t->n && !balanced; j++) {
			const struct alloc_conn *b = &t->c[j];

			if (offers[j] == 0 || offers[j] >= cap ||
			    b->priority != a->priority ||
			    b->circuit != a->circuit ||
			    wired(b->phase) != ma || b->max_da != a->max_da)
				continue;
			if (abs(offers[i] - offers[j]) > 1) {
				snprintf(why, sizeof(why), "(c) connectors %zu and "
				    "%zu: %d and %d", i, j, offers[i], offers[j]);
				return why;
			}
		}
	}
	run(t, offers2, &o2);
	if (memcmp(offers, offers2, t->n * sizeof(int32_t)) != 0)
		return "(e) not deterministic";
	return NULL;
}

static struct tcase cur, trial;

/* Drops connectors while the failure stays, then prints the case. */
static void
shrink_and_print(uint64_t seed, const char *first)
{
	bool	 progress = true;

	while (progress) {
		progress = false;
		for (size_t i = 0; i < cur.n && cur.n > 1; i++) {
			trial = cur;
			memmove(&trial.c[i], &trial.c[i + 1],
			    (trial.n - i - 1) * sizeof(trial.c[0]));
			trial.n--;
			if (check(&trial) != NULL) {
				cur = trial;
				progress = true;
				break;
			}
		}
	}
	fprintf(stderr, "seed %llu: %s\nminimal case: %s\n",
	    (unsigned long long)seed, first, check(&cur));
	fprintf(stderr, "site: mode %d strategy %d group %d site %d margin %d "
	    "offline %d meter %d in_clamps %d clamps %d/%d/%d on %d%d%d\n",
	    cur.site.mode, cur.site.strategy, cur.site.group_limit_da,
	    cur.site.site_limit_da, cur.site.margin_da,
	    cur.site.offline_limit_da, cur.site.meter_online,
	    cur.site.chargers_in_clamps, cur.site.clamp_da[0],
	    cur.site.clamp_da[1], cur.site.clamp_da[2],
	    cur.site.clamp_enabled[0], cur.site.clamp_enabled[1],
	    cur.site.clamp_enabled[2]);
	fprintf(stderr, "imbalance %d power cap %d (%d) external %d: "
	    "%d/%d/%d, circuits %zu\n", cur.site.imbalance_da,
	    cur.site.power_cap_da, cur.site.power_capped, cur.site.external,
	    cur.site.external_da[0], cur.site.external_da[1],
	    cur.site.external_da[2], cur.site.ncircuits);
	for (size_t k = 0; k < cur.site.ncircuits; k++)
		fprintf(stderr, "circuit %zu: parent %d limit %d margin %d "
		    "metered %d online %d in_clamps %d offline %d clamps "
		    "%d/%d/%d imbalance %d\n", k + 1, cur.circ[k].parent,
		    cur.circ[k].limit_da, cur.circ[k].margin_da,
		    cur.circ[k].metered, cur.circ[k].meter_online,
		    cur.circ[k].chargers_in_clamps, cur.circ[k].offline_limit_da,
		    cur.circ[k].clamp_da[0], cur.circ[k].clamp_da[1],
		    cur.circ[k].clamp_da[2], cur.circ[k].imbalance_da);
	{
		struct alloc_out o;

		run(&cur, offers, &o);
		for (int p = 0; p < EVG_PHASES; p++)
			fprintf(stderr, "L%d: hard %d soft %d nonev %d used %d\n",
			    p + 1, o.hard_da[p], o.soft_da[p], o.nonev_da[p],
			    o.used_da[p]);
	}
	for (size_t i = 0; i < cur.n; i++)
		fprintf(stderr, "conn %zu: circuit %d phase %s min %d max %d prio "
		    "%d online %d demand %d fallback %d draw %d/%d/%d wh %llu -> "
		    "%d\n", i, cur.c[i].circuit,
		    phase_conn_name(cur.c[i].phase), cur.c[i].min_da,
		    cur.c[i].max_da, cur.c[i].priority, cur.c[i].online,
		    cur.c[i].demand, cur.c[i].fallback_da, cur.c[i].draw_da[0],
		    cur.c[i].draw_da[1], cur.c[i].draw_da[2],
		    (unsigned long long)cur.c[i].session_wh, offers[i]);
}

/* cases random sites from seed start on, each checked and, if a property
 * breaks, shrunk and printed; with_history: each with a random history. */
static void
run_cases(uint64_t cases, uint64_t start, bool with_history)
{
	uint64_t trees = 0;

	workmem = malloc(alloc_work_size(MAXN));
	assert_non_null(workmem);
	for (uint64_t seed = start; seed < start + cases; seed++) {
		const char *bad;

		gen(&cur, seed);
		trees += cur.site.ncircuits > 0;
		cur.history = with_history ? seed : 0;
		if ((bad = check(&cur)) != NULL) {
			char	 first[160];

			snprintf(first, sizeof(first), "%s", bad);
			shrink_and_print(seed, first);
			fail_msg("allocator property broken (seed %llu%s)",
			    (unsigned long long)seed, with_history ?
			    ", with a history" : "");
		}
	}
	free(workmem);
	print_message("%llu random sites%s, %llu of them with circuits\n",
	    (unsigned long long)cases, with_history ? " with a history" : "",
	    (unsigned long long)trees);
}

static void
test_million_random_sites(void **state)
{
	const char *env = getenv("EVG_ALLOC_CASES"), *s0 = getenv("EVG_ALLOC_SEED");

	(void)state;
	run_cases(env ? strtoull(env, NULL, 10) : 1000000,
	    s0 ? strtoull(s0, NULL, 10) : 1, false);
}

static void
test_random_histories(void **state)
{
	const char *env = getenv("EVG_ALLOC_CASES"), *s0 = getenv("EVG_ALLOC_SEED");

	(void)state;
	run_cases(env ? strtoull(env, NULL, 10) / 5 : 200000,
	    s0 ? strtoull(s0, NULL, 10) : 1, true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_million_random_sites),
		cmocka_unit_test(test_random_histories),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
