/*
 * alloc.c: the allocator. See alloc.h for the contract and
 * docs/load-balancing.md for the rules in an installer's words.
 *
 * Steps each cycle:
 *  1. limits per phase: hard (what the fuse, the group limit or, without
 *     a meter, the offline limit allow) and soft (what the mode aims at:
 *     the PV surplus in hybrid and green);
 *  2. what is learnt per connector: single-phase cars, reclaim trims,
 *     idle cars;
 *  3. offline chargers are counted at their fallback current;
 *  4. admission at the minimum by priority, then least energy this
 *     session first (rotation, with a gap before a paused car displaces
 *     a running one), keeping minimum run and pause times unless the fuse
 *     needs otherwise;
 *  5. water-filling above the minimum, class by class: everyone in a
 *     class rises together (max-min fair, 0.1 A steps) until a phase is
 *     full or a connector reaches its maximum;
 *  6. idle cars (offered, drawing nothing) at their minimum in what is
 *     left.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

struct work {
	uint64_t	*key;		/* sort keys, and their scratch */
	uint64_t	*tmp;
	uint32_t	*order;		/* admission order */
	uint32_t	*byroom;	/* actives by headroom, for filling */
	uint32_t	*cls;		/* admitted, by class, in admission order */
	int32_t		*cap;		/* most a connector may get now */
	int32_t		*room;		/* cap - minimum, while filling */
	uint8_t		*mask;		/* phases each connector charges on */
	uint8_t		*flag;
};

enum { F_ADMITTED = 1, F_ACTIVE = 2, F_KEEP = 4 };

size_t
alloc_work_size(size_t n)
{
	return n * (2 * sizeof(uint64_t) + 3 * sizeof(uint32_t) +
	    2 * sizeof(int32_t) + 2);
}

static void
work_init(struct work *w, void *mem, size_t n)
{
	w->key = mem;
	w->tmp = w->key + n;
	w->order = (uint32_t *)(w->tmp + n);
	w->byroom = w->order + n;
	w->cls = w->byroom + n;
	w->cap = (int32_t *)(w->cls + n);
	w->room = w->cap + n;
	w->mask = (uint8_t *)(w->room + n);
	w->flag = w->mask + n;
}

static int32_t
at_least0(int32_t v)
{
	return v < 0 ? 0 : v;
}

/* Site phases a connector's conductors reach (bit p = L(p+1)). */
uint8_t
alloc_wired(enum phase_conn pc)
{
	static const uint8_t mask[] = { 0, 1, 2, 4, 7, 7, 7 };

	return (unsigned)pc <= PHASE_L3L1L2 ? mask[pc] : 0;
}

#define IDX_BITS	24	/* the index, in the key's low bits */

/*
 * Sorts keys whose low IDX_BITS hold the connector's index and start in
 * index order: insertion sort for a few, else LSD radix on the bytes
 * above the index only (stable, so ties stay in index order), skipping
 * passes where every key has the same byte. No callbacks.
 */
static void
sort_u64(uint64_t *a, uint64_t *tmp, size_t n)
{
	uint64_t *src = a, *dst = tmp, *t;

	if (n < 64) {
		for (size_t i = 1; i < n; i++) {
			uint64_t v = a[i];
			size_t	 j = i;

			for (; j > 0 && a[j - 1] > v; j--)
				a[j] = a[j - 1];
			a[j] = v;
		}
		return;
	}
	for (int shift = IDX_BITS; shift < 64; shift += 8) {
		size_t	 count[257] = { 0 };

		for (size_t i = 0; i < n; i++)
			count[((src[i] >> shift) & 0xFF) + 1]++;
		if (count[((src[0] >> shift) & 0xFF) + 1] == n)
			continue;
		for (int b = 0; b < 256; b++)
			count[b + 1] += count[b];
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i] >> shift) & 0xFF]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
}

/* The admission order as a key: kept first, higher priority first; within
 * a priority the cars cut by the supply after the others (they take what
 * is left, they do not displace a running car), then less energy this
 * session first, a paused car counted with ALLOC_ROTATE_GAP_WH more (it
 * displaces a running car only for a gain worth a contactor operation),
 * then the index. */
static uint64_t
admission_key(const struct alloc_conn *c, bool keep, bool cut, bool running,
    uint32_t i)
{
	int32_t	 prio = c->priority < -16384 ? -16384 : c->priority > 16383 ?
	    16383 : c->priority;
	uint64_t wh = c->session_wh + (running ? 0 : ALLOC_ROTATE_GAP_WH);

	if (wh > 0x7FFFFF)
		wh = 0x7FFFFF;
	return (uint64_t)!keep << 63 | (uint64_t)(16383 - prio) << 48 |
	    (uint64_t)cut << 47 | wh << IDX_BITS | i;
}

/*
 * What a charger we cannot hear may be drawing (ARCHITECTURE.md invariant
 * 3): it keeps its last setpoint until its own watchdog puts it on its
 * fallback current, and its car then has 5 s to follow; only after that
 * is the fallback all. One whose fallback we do not know (not heard
 * since the master started: it may run on the fallback of its own
 * configuration, or on whatever it was last told) may draw its maximum.
 */
int32_t
alloc_silent_draw(const struct alloc_site *s, const struct alloc_conn *c)
{
	uint64_t after = c->fallback_ms ? c->fallback_ms :
	    s->fallback_timeout_ms;

	if (!c->fallback_known)
		return c->max_da > c->in_force_da ? c->max_da : c->in_force_da;
	if (c->silent_ms < after + ALLOC_EV_RESPONSE_MS &&
	    c->in_force_da > c->fallback_da)
		return c->in_force_da;
	return c->fallback_da;
}

uint8_t
alloc_phases(const struct alloc_conn *c, const struct alloc_memo *m)
{
	return m->car_lines ? m->car_lines : alloc_wired(c->phase);
}

/*
 * What the building draws on a phase: the clamp, less what the chargers
 * that answer said they draw when the clamps count them. Only what was
 * read of chargers that answer: an offline one's last reading is no
 * reading. Whatever it really draws stays in the clamp's figure and so
 * in the building's estimate, and alloc_compute() reserves what it may
 * draw on top: the worst case, counted twice rather than never.
 */
int32_t
alloc_building(const struct alloc_site *s, const struct alloc_conn *c,
    size_t n, int p)
{
	int32_t	 ev = 0;

	if (!s->chargers_in_clamps)
		return s->clamp_da[p];
	for (size_t i = 0; i < n; i++)
		if (c[i].online)
			ev += at_least0(c[i].draw_da[p]);
	return s->clamp_da[p] - ev;
}

void
alloc_limits(const struct alloc_site *s, const struct alloc_conn *c,
    size_t n, struct alloc_out *o)
{
	for (int p = 0; p < EVG_PHASES; p++) {
		int32_t	 hard;
		bool	 measured = s->mode != ALLOC_STATIC && s->meter_online &&
		    s->clamp_enabled[p];

		o->nonev_da[p] = !measured ? 0 : s->building_given ?
		    s->building_da[p] : alloc_building(s, c, n, p);
		if (s->mode == ALLOC_STATIC)
			hard = s->group_limit_da;
		else if (!measured)	/* no meter: the conservative limit */
			hard = s->offline_limit_da < s->group_limit_da ?
			    s->offline_limit_da : s->group_limit_da;
		else {
			/* Export never raises what the fuse may carry. */
			hard = s->site_limit_da - at_least0(o->nonev_da[p]) -
			    s->margin_da;
			if (hard > s->group_limit_da)
				hard = s->group_limit_da;
		}
		o->hard_da[p] = at_least0(hard);
		if (s->mode == ALLOC_HYBRID || s->mode == ALLOC_GREEN) {
			/* The surplus: what is exported with the cars' own
			 * draw given back. */
			int32_t surplus = measured ? at_least0(-o->nonev_da[p]) : 0;

			o->soft_da[p] = surplus < o->hard_da[p] ? surplus :
			    o->hard_da[p];
		} else
			o->soft_da[p] = o->hard_da[p];
		o->used_da[p] = 0;
	}
}

/* --- what is learnt per connector ---------------------------------------- */

static int32_t
max_draw(const struct alloc_conn *c, uint8_t mask)
{
	int32_t d = 0;

	for (int p = 0; p < EVG_PHASES; p++)
		if ((mask >> p & 1) && c->draw_da[p] > d)
			d = c->draw_da[p];
	return d;
}

static void
learn(const struct alloc_site *s, const struct alloc_conn *c,
    struct alloc_memo *m, uint64_t now)
{
	uint8_t	 wired = alloc_wired(c->phase), hot = 0, cold = 0;

	if (m->session_id != c->session_id || !c->demand) {
		bool	 keep_running = m->session_id == c->session_id;

		m->session_id = c->session_id;
		m->car_lines = 0;
		m->one_phase_since = 0;
		m->trim_da = 0;
		m->under_since = 0;
		m->idle = false;
		m->idle_since = 0;
		if (!keep_running)
			m->green_ok_since = m->green_bad_since = 0;
	}
	if (!c->online)
		return;
	/* A car learnt as single-phase that now draws on another wired
	 * phase is counted on every wired phase again at once (it switched,
	 * or it was misread): the cut of the others goes out this cycle. */
	if (m->car_lines != 0) {
		for (int p = 0; p < EVG_PHASES; p++)
			if ((wired >> p & 1) && !(m->car_lines >> p & 1) &&
			    c->draw_da[p] >= ALLOC_1P_IDLE_DA) {
				m->car_lines = 0;
				m->one_phase_since = 0;
				break;
			}
	}
	/* An idle car: offered at least its minimum by its charger, it
	 * draws under 1 A on every phase for a minute. Drawing clears it;
	 * paused, it is offered its place again after ALLOC_IDLE_RETRY_MS. */
	if (max_draw(c, wired) >= ALLOC_1P_IDLE_DA) {
		m->idle = false;
		m->idle_since = 0;
	} else if (m->offer_da > 0 && c->in_force_da >= c->min_da &&
	    !c->held) {
		if (m->idle_since == 0)
			m->idle_since = now;
		if (now - m->idle_since >= ALLOC_IDLE_AFTER_MS)
			m->idle = true;
	} else {
		m->idle_since = 0;
		/* Paused that long, it may want to charge again: it takes
		 * its place again, after the running cars like a car cut by
		 * the supply, without displacing one. */
		if (m->offer_da == 0 && m->idle &&
		    now - m->since_ms >= ALLOC_IDLE_RETRY_MS) {
			m->idle = false;
			m->cut = true;
		}
	}
	if (m->offer_da == 0)
		return;
	/* A single-phase car on a three-phase connector. */
	if (m->car_lines == 0 && __builtin_popcount(wired) == 3) {
		for (int p = 0; p < EVG_PHASES; p++) {
			if (c->draw_da[p] >= ALLOC_1P_DRAW_DA)
				hot |= (uint8_t)(1u << p);
			if (c->draw_da[p] < ALLOC_1P_IDLE_DA)
				cold |= (uint8_t)(1u << p);
		}
		if (__builtin_popcount(hot) == 1 &&
		    __builtin_popcount(cold) == 2) {
			if (m->one_phase_since == 0)
				m->one_phase_since = now;
			if (now - m->one_phase_since >= ALLOC_1P_AFTER_MS)
				m->car_lines = hot;
		} else
			m->one_phase_since = 0;
	}
	/* Reclaim what a car does not use; give it back when it asks. */
	if (!s->no_reclaim) {
		int32_t d = max_draw(c, alloc_phases(c, m));

		if (m->trim_da != 0) {
			if (d >= m->trim_da - 10 ||
			    now - m->trimmed_ms >= ALLOC_RECLAIM_PROBE_MS) {
				m->trim_da = 0;
				m->under_since = 0;
			}
		} else if (m->offer_da - d >= ALLOC_RECLAIM_GAP_DA) {
			if (m->under_since == 0)
				m->under_since = now;
			if (now - m->under_since >= ALLOC_RECLAIM_AFTER_MS) {
				m->trim_da = d + ALLOC_RECLAIM_HEADROOM_DA;
				m->trimmed_ms = now;
			}
		} else
			m->under_since = 0;
	}
}

/* --- admission and filling ----------------------------------------------- */

static bool
fits(const int32_t *used, const int32_t *lim, uint8_t mask, int32_t add)
{
	for (int p = 0; p < EVG_PHASES; p++)
		if ((mask >> p & 1) && used[p] + add > lim[p])
			return false;
	return true;
}

/* The phase of mask with the least room left under lim (the one that
 * binds), or -1 for an empty mask. */
static int
tightest(const int32_t *used, const int32_t *lim, uint8_t mask)
{
	int	 best = -1;

	for (int p = 0; p < EVG_PHASES; p++)
		if ((mask >> p & 1) && (best < 0 ||
		    lim[p] - used[p] < lim[best] - used[best]))
			best = p;
	return best;
}

static void
why_set(struct conn_why *w, enum conn_reason r, int phase, uint64_t until)
{
	w->reason = (uint8_t)r;
	w->phase = (int8_t)phase;
	w->value_da = 0;
	w->until_ms = until;
}

static void
take(int32_t *used, uint8_t mask, int32_t add)
{
	for (int p = 0; p < EVG_PHASES; p++)
		if (mask >> p & 1)
			used[p] += add;
}

/*
 * Raises the admitted connectors of one priority class above their
 * minimum: all together by a common level L, so that they stay within
 * 0.1 A of each other (max-min fair), until each reaches its cap or a
 * phase it uses is full. O(n log n).
 */
static void
fill_class(struct work *w, const uint32_t *member, size_t nm,
    const int32_t *lim, int32_t *used, int32_t *offers)
{
	const int32_t *cap = w->cap;
	int32_t	*room = w->room;
	size_t	 na = 0, next = 0;
	int32_t	 level = 0;
	int	 k[EVG_PHASES] = { 0 };

	for (size_t r = 0; r < nm; r++) {
		uint32_t i = member[r];

		room[i] = cap[i] - offers[i];
		if (room[i] <= 0)
			continue;
		w->flag[i] |= F_ACTIVE;
		w->byroom[na++] = i;
		for (int p = 0; p < EVG_PHASES; p++)
			k[p] += w->mask[i] >> p & 1;
	}
	/* By headroom: cap events come in this order. Ties freeze at the
	 * same level, so their order does not matter. */
	for (size_t a = 0; a < na; a++)
		w->key[a] = (uint64_t)(uint32_t)room[w->byroom[a]] << IDX_BITS |
		    w->byroom[a];
	if (na > 0)
		sort_u64(w->key, w->tmp, na);
	for (size_t a = 0; a < na; a++)
		w->byroom[a] = (uint32_t)(w->key[a] & ((1u << IDX_BITS) - 1));

	for (;;) {
		int32_t d = INT32_MAX, step;
		int	 bottleneck = -1;

		while (next < na && !(w->flag[w->byroom[next]] & F_ACTIVE))
			next++;
		if (next == na)
			break;
		d = room[w->byroom[next]] - level;
		for (int p = 0; p < EVG_PHASES; p++) {
			if (k[p] == 0)
				continue;
			step = (lim[p] - used[p]) / k[p];
			if (step < d) {
				d = step;
				bottleneck = p;
			}
		}
		if (d > 0) {
			level += d;
			for (int p = 0; p < EVG_PHASES; p++)
				used[p] += d * k[p];
		}
		if (bottleneck < 0) {
			/* Connectors at their cap stop here. */
			while (next < na && room[w->byroom[next]] <= level) {
				uint32_t i = w->byroom[next++];

				if (!(w->flag[i] & F_ACTIVE))
					continue;
				w->flag[i] &= (uint8_t)~F_ACTIVE;
				offers[i] += level;
				for (int p = 0; p < EVG_PHASES; p++)
					k[p] -= w->mask[i] >> p & 1;
			}
			continue;
		}
		/* Phase `bottleneck` is full but for less than 0.1 A per
		 * connector on it: hand out what is left one step each, in
		 * admission order, then freeze everyone on that phase. */
		for (size_t r = 0; r < nm; r++) {
			uint32_t i = member[r];

			if (!(w->flag[i] & F_ACTIVE) ||
			    !(w->mask[i] >> bottleneck & 1))
				continue;
			w->flag[i] &= (uint8_t)~F_ACTIVE;
			offers[i] += level;
			for (int p = 0; p < EVG_PHASES; p++)
				k[p] -= w->mask[i] >> p & 1;
			if (offers[i] < cap[i] && fits(used, lim, w->mask[i], 1)) {
				offers[i] += 1;
				take(used, w->mask[i], 1);
			}
		}
	}
}

/*
 * What filling leaves: a phase with less than 0.1 A per connector on it,
 * or steps that a three-phase connector took and that blocked others.
 * Sweep the class in admission order, 0.1 A each, until nobody fits; two
 * connectors on the same phases stay within 0.1 A of each other.
 */
static void
topup_class(struct work *w, const uint32_t *member, size_t nm,
    const int32_t *lim, int32_t *used, int32_t *offers)
{
	bool	 more = true;

	/* F_ACTIVE marks who may still take a step; one that does not fit
	 * never will (the phases only fill up). */
	for (size_t r = 0; r < nm; r++)
		w->flag[member[r]] |= F_ACTIVE;
	while (more) {
		more = false;
		for (size_t r = 0; r < nm; r++) {
			uint32_t i = member[r];

			if (!(w->flag[i] & F_ACTIVE))
				continue;
			if (offers[i] >= w->cap[i] ||
			    !fits(used, lim, w->mask[i], 1)) {
				w->flag[i] &= (uint8_t)~F_ACTIVE;
				continue;
			}
			offers[i] += 1;
			take(used, w->mask[i], 1);
			more = true;
		}
	}
}

/*
 * What filling leaves over (less than 0.1 A a connector) goes to a
 * class's members in their order: put first those that were offered the
 * most last cycle, then admission order, so that the odd 0.1 A stays
 * where it was rather than going round the cars as their energy grows (a
 * setpoint change every few seconds for nothing). Everyone in the class
 * still stays within 0.1 A of each other.
 */
static void
steady_order(struct work *w, const struct alloc_memo *m, size_t b, size_t e)
{
	size_t	 nm = e - b;

	if (nm < 2)
		return;
	for (size_t r = 0; r < nm; r++) {
		int32_t	 prev = m[w->cls[b + r]].offer_da;
		uint64_t v = prev < 0 ? 0 : prev > 0xFFFF ? 0xFFFF :
		    (uint64_t)prev;

		w->key[r] = (0xFFFF - v) << IDX_BITS | r;
	}
	sort_u64(w->key, w->tmp, nm);
	for (size_t r = 0; r < nm; r++)
		w->byroom[r] = w->cls[b + (w->key[r] & ((1u << IDX_BITS) - 1))];
	memcpy(w->cls + b, w->byroom, nm * sizeof(*w->cls));
}

/*
 * May connector i be admitted at its minimum, on top of what is used:
 * it wants current and may have it, is not resting after a rotation
 * pause, fits under the fuse and, in green mode, its surplus has held
 * for the start delay (or failed for less than the stop delay). *w gets
 * why not (alloc_compute() may still change it, explain()).
 */
static bool
admissible(const struct alloc_site *s, const struct alloc_conn *ci,
    struct alloc_memo *mi, int32_t cap, uint8_t mask, bool zero,
    const int32_t *used, const int32_t *used_soft, const struct alloc_out *o,
    uint64_t now, struct conn_why *w)
{
	bool	 running = mi->offer_da > 0, soft_ok;

	why_set(w, REASON_NONE, -1, 0);
	if (!ci->online || !ci->demand)
		return false;
	if (cap < ci->min_da || zero) {
		why_set(w, zero ? REASON_OFFLINE_ZERO : REASON_BELOW_MINIMUM,
		    -1, 0);
		return false;
	}
	/* Resting after a rotation pause, unless never started or cut by
	 * the supply. */
	if (!running && mi->since_ms != 0 && !mi->cut &&
	    now - mi->since_ms < s->min_pause_ms) {
		why_set(w, REASON_ROTATION_REST, -1,
		    mi->since_ms + s->min_pause_ms);
		return false;
	}
	if (!fits(used, o->hard_da, mask, ci->min_da)) {
		why_set(w, REASON_NO_ROOM, tightest(used, o->hard_da, mask), 0);
		return false;	/* the fuse first, always */
	}
	soft_ok = fits(used_soft, o->soft_da, mask, ci->min_da);
	if (s->mode == ALLOC_GREEN) {
		/* Start once the surplus has held for the start delay; stop
		 * once it has failed for the stop delay. */
		if (soft_ok) {
			mi->green_bad_since = 0;
			if (mi->green_ok_since == 0)
				mi->green_ok_since = now;
		} else {
			mi->green_ok_since = 0;
			if (mi->green_bad_since == 0)
				mi->green_bad_since = now;
		}
		if (running ? (!soft_ok && now - mi->green_bad_since >=
		    s->green_stop_ms) : (!soft_ok || now - mi->green_ok_since <
		    s->green_start_ms)) {
			/* Waiting for a surplus, or for it to hold. */
			why_set(w, REASON_GREEN_WAIT, -1, soft_ok ?
			    mi->green_ok_since + s->green_start_ms : 0);
			return false;
		}
	}
	return true;
}

/* Which limit a full phase is at: the surplus below what the fuse
 * allows, else the group limit, the meter-offline limit or what the fuse
 * leaves above the building (alloc_limits()). */
static enum conn_reason
limit_reason(const struct alloc_site *s, const struct alloc_out *o,
    const int32_t *lim, int p)
{
	bool	 measured = s->mode != ALLOC_STATIC && s->meter_online &&
	    s->clamp_enabled[p];

	if (lim[p] < o->hard_da[p])
		return REASON_SURPLUS_LIMIT;
	if (s->mode == ALLOC_STATIC)
		return REASON_GROUP_LIMIT;
	if (!measured)
		return s->offline_limit_da < s->group_limit_da ?
		    REASON_METER_OFFLINE_LIMIT : REASON_GROUP_LIMIT;
	/* the group limit only where it is below what the fuse leaves */
	return s->group_limit_da < s->site_limit_da - at_least0(o->nonev_da[p]) -
	    s->margin_da ? REASON_GROUP_LIMIT : REASON_SUPPLY_LIMIT;
}

/*
 * The reason that binds, once everything is decided (the memo updated):
 * for a connector offered nothing, a car that takes nothing, a cut by
 * the supply, a rest, or why it was not admitted; for one offered
 * current, its cap (maximum, reclaim, strategy, idle) or the phase that
 * is full (fill_class() and topup_class() raise every connector until
 * one or the other).
 */
static void
explain(const struct alloc_site *s, const struct alloc_conn *c,
    const struct alloc_memo *m, size_t n, uint64_t now, const struct work *w,
    const int32_t *lim, const int32_t *offers, const struct alloc_out *o,
    bool minimise, struct conn_why *why)
{
	for (size_t i = 0; i < n; i++) {
		struct conn_why *y = &why[i];
		int	 p;

		if (!c[i].online) {
			why_set(y, REASON_CHARGER_OFFLINE, -1, 0);
			y->value_da = alloc_silent_draw(s, &c[i]);
			continue;
		}
		if (!c[i].demand) {
			why_set(y, REASON_NONE, -1, 0);
			continue;
		}
		if (offers[i] == 0) {
			if (m[i].idle)
				why_set(y, REASON_IDLE, -1, m[i].since_ms +
				    ALLOC_IDLE_RETRY_MS);
			else if (m[i].cut)
				why_set(y, REASON_OVERLOAD_CUT, -1, 0);
			else if (m[i].since_ms != 0 && now - m[i].since_ms <
			    s->min_pause_ms && y->reason != REASON_GREEN_WAIT &&
			    y->reason != REASON_OFFLINE_ZERO)
				/* paused now, or resting since */
				why_set(y, REASON_ROTATION_REST, -1,
				    m[i].since_ms + s->min_pause_ms);
			/* else: admissible() said why */
			continue;
		}
		if (offers[i] >= w->cap[i]) {
			why_set(y, m[i].idle ? REASON_IDLE : minimise ?
			    REASON_OFFLINE_MINIMISE : m[i].trim_da > 0 &&
			    m[i].trim_da < c[i].max_da ? REASON_CAR_DRAW :
			    REASON_AT_MAX, -1, 0);
			continue;
		}
		p = tightest(o->used_da, lim, w->mask[i]);
		why_set(y, p < 0 ? REASON_SUPPLY_LIMIT :
		    limit_reason(s, o, lim, p), p, 0);
	}
}

void
alloc_green_timers(const struct alloc_site *s, const struct alloc_conn *c,
    const struct alloc_memo *m, size_t n, uint64_t *start_ms,
    uint64_t *stop_ms)
{
	*start_ms = *stop_ms = 0;
	if (s->mode != ALLOC_GREEN)
		return;
	for (size_t i = 0; i < n; i++) {
		uint64_t t;

		if (!c[i].online || !c[i].demand)
			continue;
		if (m[i].offer_da == 0 && m[i].green_ok_since != 0) {
			t = m[i].green_ok_since + s->green_start_ms;
			if (*start_ms == 0 || t < *start_ms)
				*start_ms = t;
		} else if (m[i].offer_da > 0 && m[i].green_bad_since != 0) {
			t = m[i].green_bad_since + s->green_stop_ms;
			if (*stop_ms == 0 || t < *stop_ms)
				*stop_ms = t;
		}
	}
}

void
alloc_compute(const struct alloc_site *s, const struct alloc_conn *c,
    struct alloc_memo *m, size_t n, uint64_t now, void *mem,
    int32_t *offers, struct alloc_out *o, struct conn_why *why)
{
	struct conn_why scratch;
	struct work w;
	int32_t	 used_soft[EVG_PHASES], lim[EVG_PHASES];
	bool	 any_offline = false, running_fits = true, zero;
	int	 prio[64], nprio = 0;

	work_init(&w, mem, n);
	alloc_limits(s, c, n, o);
	o->running = o->paused = 0;

	for (size_t i = 0; i < n; i++) {
		learn(s, &c[i], &m[i], now);
		w.mask[i] = alloc_phases(&c[i], &m[i]);
		w.flag[i] = 0;
		w.order[i] = (uint32_t)i;
		if (!c[i].online) {
			/* Counted at what it may draw on every wired phase:
			 * the car behind it is unknown. */
			any_offline = true;
			take(o->used_da, alloc_wired(c[i].phase),
			    alloc_silent_draw(s, &c[i]));
		}
	}
	/* Caps: connector maximum, reclaim trim, the offline strategy. */
	for (size_t i = 0; i < n; i++) {
		int32_t k = c[i].max_da;

		if (m[i].trim_da > 0 && m[i].trim_da < k)
			k = m[i].trim_da < c[i].min_da ? c[i].min_da :
			    m[i].trim_da;
		/* An idle car keeps its minimum, enough to start again. */
		if ((any_offline && s->strategy == STRATEGY_MINIMISE) ||
		    m[i].idle)
			k = c[i].min_da;
		w.cap[i] = k;
		/* The minimum-run time protects the running. */
		if (m[i].offer_da > 0 && now - m[i].since_ms < s->min_run_ms)
			w.flag[i] |= F_KEEP;
	}
	for (size_t i = 0; i < n; i++)
		w.key[i] = admission_key(&c[i], w.flag[i] & F_KEEP,
		    m[i].offer_da == 0 && m[i].cut, m[i].offer_da > 0,
		    (uint32_t)i);
	if (n > 0)
		sort_u64(w.key, w.tmp, n);
	for (size_t i = 0; i < n; i++)
		w.order[i] = (uint32_t)(w.key[i] & ((1u << IDX_BITS) - 1));

	/* Can the fuse carry every running car at its minimum? If not, the
	 * ones that stop now are cut by the supply, not paused by rotation:
	 * they come back as soon as it allows, without the minimum pause
	 * (their charger still keeps its contactor's minimum open time). */
	{
		int32_t	 need[EVG_PHASES];

		memcpy(need, o->used_da, sizeof(need));
		for (size_t i = 0; i < n; i++)
			if (m[i].offer_da > 0 && c[i].online && c[i].demand &&
			    w.cap[i] >= c[i].min_da && !m[i].idle)
				take(need, w.mask[i], c[i].min_da);
		for (int p = 0; p < EVG_PHASES; p++)
			if (need[p] > o->hard_da[p])
				running_fits = false;
	}
	zero = any_offline && s->strategy == STRATEGY_ZERO;
	memcpy(used_soft, o->used_da, sizeof(used_soft));
	for (size_t r = 0; r < n; r++) {
		uint32_t i = w.order[r];

		/* idle cars: last, in what the others leave (below) */
		if (m[i].idle || !admissible(s, &c[i], &m[i], w.cap[i],
		    w.mask[i], zero, o->used_da, used_soft, o, now,
		    why ? &why[i] : &scratch))
			continue;
		w.flag[i] |= F_ADMITTED;
		take(o->used_da, w.mask[i], c[i].min_da);
		take(used_soft, w.mask[i], c[i].min_da);
	}

	/* Fill limits: the fuse; in hybrid and green the surplus, but the
	 * admitted minimums always stand. */
	for (int p = 0; p < EVG_PHASES; p++) {
		lim[p] = o->soft_da[p] > o->used_da[p] ? o->soft_da[p] :
		    o->used_da[p];
		if (lim[p] > o->hard_da[p])
			lim[p] = o->hard_da[p];
		o->fill_da[p] = lim[p];
	}
	/* The admitted, grouped by class (highest first), each group in
	 * admission order. */
	{
		size_t	 start[65] = { 0 }, at, nadm = 0;

		for (size_t r = 0; r < n; r++) {
			uint32_t i = w.order[r];
			int	 k;

			offers[i] = (w.flag[i] & F_ADMITTED) ? c[i].min_da : 0;
			if (!(w.flag[i] & F_ADMITTED))
				continue;
			for (k = 0; k < nprio && prio[k] != c[i].priority; k++)
				;
			if (k == nprio && nprio < 64)
				prio[nprio++] = c[i].priority;
			nadm++;
		}
		/* classes in descending priority */
		for (int a = 1; a < nprio; a++)
			for (int b = a; b > 0 && prio[b - 1] < prio[b]; b--) {
				int t = prio[b];

				prio[b] = prio[b - 1];
				prio[b - 1] = t;
			}
		for (size_t r = 0; r < n; r++) {
			uint32_t i = w.order[r];

			if (w.flag[i] & F_ADMITTED)
				for (int k = 0; k < nprio; k++)
					if (prio[k] == c[i].priority) {
						start[k + 1]++;
						break;
					}
		}
		for (int k = 0; k < nprio; k++)
			start[k + 1] += start[k];
		for (size_t r = 0; r < n; r++) {
			uint32_t i = w.order[r];

			if (!(w.flag[i] & F_ADMITTED))
				continue;
			for (int k = 0; k < nprio; k++)
				if (prio[k] == c[i].priority) {
					at = start[k]++;
					w.cls[at] = i;
					break;
				}
		}
		/* start[k] is now the end of class k; class k begins where
		 * class k-1 ended. */
		for (int k = 0; k < nprio; k++) {
			size_t	 b = k ? start[k - 1] : 0, e = start[k];

			steady_order(&w, m, b, e);
			fill_class(&w, w.cls + b, e - b, lim, o->used_da, offers);
			topup_class(&w, w.cls + b, e - b, lim, o->used_da,
			    offers);
		}
		(void)nadm;
	}
	/* Idle cars last, at their minimum, in what the others left. */
	for (size_t r = 0; r < n; r++) {
		uint32_t i = w.order[r];

		if (!m[i].idle || !admissible(s, &c[i], &m[i], w.cap[i],
		    w.mask[i], zero, o->used_da, o->used_da, o, now,
		    why ? &why[i] : &scratch))
			continue;
		offers[i] = c[i].min_da;
		take(o->used_da, w.mask[i], c[i].min_da);
	}

	for (size_t i = 0; i < n; i++) {
		bool	 was = m[i].offer_da > 0, on = offers[i] > 0;

		if (!c[i].demand)
			m[i].since_ms = 0;
		else if (was != on)
			m[i].since_ms = now;
		if (on || !c[i].demand)
			m[i].cut = false;
		else if (was)
			m[i].cut = !running_fits;
		m[i].offer_da = offers[i];
		if (c[i].online && c[i].demand)
			(on ? o->running++ : o->paused++);
	}
	if (why != NULL)
		explain(s, c, m, n, now, &w, lim, offers, o, any_offline &&
		    s->strategy == STRATEGY_MINIMISE, why);
}
