/*
 * test_alloc_props.c: properties of the allocator over 1,000,000 random
 * sites (up to 1000 connectors, random wiring, limits, draws, priorities,
 * modes, offline chargers), each a fresh allocation:
 *  (a) per phase, offers + offline fallbacks <= what the phase may carry
 *      (or every online offer on it is 0 when the fallbacks alone exceed);
 *  (b) every offer is 0 or within [min, cap];
 *  (c) equal-priority running connectors on the same phases, both below
 *      their cap, differ by at most 0.1 A;
 *  (d) work-conserving: no running connector below its cap could get
 *      0.1 A more without breaking (a) (or the mode's surplus target);
 *  (e) deterministic.
 * And over 200,000 random sites with a random history (what the
 * allocator remembers from earlier cycles: last offers and since when,
 * cut, idle, reclaim trims), (a), (b), (e), (f) and (g) still hold: what
 * it learnt changes who gets what, never the fuse. (c) and (d) do not
 * apply there (trims and idle cars cap a connector below its maximum).
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

struct tcase {
	struct alloc_site site;
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
	for (size_t i = 0; i < t->n; i++) {
		struct alloc_conn *c = &t->c[i];

		c->phase = (enum phase_conn)(1 + rnd(&p, 6));
		c->min_da = min;
		c->max_da = min + 10 * (int32_t)rnd(&p, 60);
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
		mi->offer_da = rnd(&p, 2) ? 0 : c->min_da +
		    (int32_t)rnd(&p, (uint32_t)(c->max_da - c->min_da + 1));
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
	gen_history(t);
	alloc_compute(&t->site, t->c, memo, t->n, 1000000, workmem, out, o,
	    NULL);
}

/* NULL when every property holds, else which one broke and how. */
static const char *
check(const struct tcase *t)
{
	static char why[160];
	struct alloc_out o, o2;
	int32_t	 used[EVG_PHASES] = { 0 }, fallback[EVG_PHASES] = { 0 };
	int32_t	 lim[EVG_PHASES], mins[EVG_PHASES] = { 0 };
	bool	 any_offline = false;

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
	for (size_t i = 0; i < t->n; i++) {
		const struct alloc_conn *a = &t->c[i];
		uint8_t	 ma = wired(a->phase);
		int32_t	 cap = any_offline && t->site.strategy ==
		    STRATEGY_MINIMISE ? a->min_da : a->max_da;
		bool	 room = true;

		if (offers[i] == 0 || offers[i] >= cap || t->history != 0)
			continue;
		/* (d): some phase of it must be full. */
		for (int p = 0; p < EVG_PHASES; p++)
			if ((ma >> p & 1) && used[p] + fallback[p] + 1 > lim[p])
				room = false;
		if (room) {
			snprintf(why, sizeof(why), "(d) connector %zu at %d could "
			    "take 0.1 A more", i, offers[i]);
			return why;
		}
		/* (c) */
		for (size_t j = i + 1; j < t->n; j++) {
			const struct alloc_conn *b = &t->c[j];

			if (offers[j] == 0 || offers[j] >= cap ||
			    b->priority != a->priority ||
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
	{
		struct alloc_out o;

		run(&cur, offers, &o);
		for (int p = 0; p < EVG_PHASES; p++)
			fprintf(stderr, "L%d: hard %d soft %d nonev %d used %d\n",
			    p + 1, o.hard_da[p], o.soft_da[p], o.nonev_da[p],
			    o.used_da[p]);
	}
	for (size_t i = 0; i < cur.n; i++)
		fprintf(stderr, "conn %zu: phase %s min %d max %d prio %d online "
		    "%d demand %d fallback %d draw %d/%d/%d wh %llu -> %d\n", i,
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
	workmem = malloc(alloc_work_size(MAXN));
	assert_non_null(workmem);
	for (uint64_t seed = start; seed < start + cases; seed++) {
		const char *bad;

		gen(&cur, seed);
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
