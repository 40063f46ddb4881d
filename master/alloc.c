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
 *     left;
 *  7. the unbalanced-load limits: single- and two-phase cars on the
 *     phase that carries the most are lowered (then paused) until the
 *     difference is within the limit, and what that frees is shared
 *     again.
 *
 * Circuits (alloc.h): every limit above is kept per resource: each phase
 * of each circuit (a connector counts on its circuit and on every one
 * above it) and the demand target's power. A circuit is one more set of
 * phases to keep within its limit; admission, filling and the top-up
 * treat them all alike, so fairness is max-min over the whole tree.
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
	int32_t		*cap0;		/* cap before the phase balance */
	int32_t		*mind;		/* its minimum (c[i].min_da) */
	uint8_t		*pre;		/* P_*: what admission needs of it */
	uint8_t		*mask;		/* phases each connector charges on */
	uint8_t		*flag;
	uint8_t		*circ;		/* its circuit (alloc_res_circuit) */
	int8_t		*bal_phase;	/* lowered for the phase balance */
	uint8_t		*bal_circ;	/* of this circuit */
	const struct alloc_res *res;
	/* Each connector's resources as a list (rl + rlo[i]: how many,
	 * then their indices, the supply's first), one list for each
	 * circuit and phases used, made once a cycle (res_lists()) */
	uint32_t	*rlo;
	uint32_t	*rl_at;		/* [circuit][mask]; RL_NONE: not made */
	uint8_t		*rl;
	uint32_t	 rl_len;
	/* Admission: what wtightest() said for each list, while used has
	 * not changed since (tight_at[combo] == tight_now): most of a full
	 * site's connectors are turned down on the same few lists. */
	uint32_t	*tight_at;
	int32_t		*tight_room;
	int16_t		*tight_x;
	uint32_t	 tight_now;
};

#define RL_NONE		UINT32_MAX
#define RL_COMBOS	(ALLOC_CIRCUITS_MAX * 8)
/* a list: its length, then a phase of every circuit up to the supply */
#define RL_LIST_MAX	(1 + ALLOC_CIRCUITS_MAX * EVG_PHASES)

enum { F_ADMITTED = 1, F_ACTIVE = 2, F_KEEP = 4, F_BALANCED = 8,
    F_LOWERED = 16 };
/* What admission needs to know of a connector, read in the walk in index
 * order (admission goes in another order: a byte here, not the connector
 * and its memory): it wants current and its charger answers, it rests
 * after a rotation pause, it is idle. */
enum { P_WANTS = 1, P_RESTS = 2, P_IDLE = 4 };

size_t
alloc_work_size(size_t n)
{
	/* the lists: at most one for each circuit and phases used */
	size_t	 combos = n < RL_COMBOS ? n : RL_COMBOS;

	return n * (2 * sizeof(uint64_t) + 4 * sizeof(uint32_t) +
	    4 * sizeof(int32_t) + 6) + RL_COMBOS * (3 * sizeof(uint32_t) +
	    sizeof(int16_t)) + combos * RL_LIST_MAX;
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
	w->cap0 = w->room + n;
	w->mind = w->cap0 + n;
	w->rlo = (uint32_t *)(w->mind + n);
	w->rl_at = w->rlo + n;
	w->tight_at = w->rl_at + RL_COMBOS;
	w->tight_room = (int32_t *)(w->tight_at + RL_COMBOS);
	w->tight_x = (int16_t *)(w->tight_room + RL_COMBOS);
	w->mask = (uint8_t *)(w->tight_x + RL_COMBOS);
	w->flag = w->mask + n;
	w->circ = w->flag + n;
	w->bal_phase = (int8_t *)(w->circ + n);
	w->bal_circ = (uint8_t *)(w->bal_phase + n);
	w->pre = w->bal_circ + n;
	w->rl = w->pre + n;
	w->rl_len = 0;
	w->tight_now = 1;
	for (size_t k = 0; k < RL_COMBOS; k++)
		w->rl_at[k] = RL_NONE;
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

/* --- resources (alloc.h) -------------------------------------------------- */

void
alloc_res_init(struct alloc_res *r, const struct alloc_site *s)
{
	size_t	 nc = s->circuit != NULL ? s->ncircuits : 0;

	if (nc > ALLOC_CIRCUITS_MAX - 1)
		nc = ALLOC_CIRCUITS_MAX - 1;
	r->nc = (int)nc + 1;
	r->anc[0] = 1;
	r->parent[0] = 0;
	for (int id = 1; id < r->nc; id++) {
		int	 parent = s->circuit[id - 1].parent;

		/* A parent comes first (alloc.h); one that does not is
		 * taken as the supply, which every current counts on. */
		if (parent < 0 || parent >= id)
			parent = 0;
		r->anc[id] = r->anc[parent] | (uint64_t)1 << id;
		r->parent[id] = (uint8_t)parent;
	}
	r->power = s->power_capped ? r->nc * EVG_PHASES : -1;
	r->n = r->nc * EVG_PHASES + (s->power_capped ? 1 : 0);
}

uint8_t
alloc_res_circuit(const struct alloc_res *r, uint8_t circuit)
{
	return circuit < r->nc ? circuit : 0;
}

/* The phases of a mask, in order: how many, and which. */
static const struct {
	uint8_t	 n, p[EVG_PHASES];
} phases_of[8] = {
	{ 0, { 0 } }, { 1, { 0 } }, { 1, { 1 } }, { 2, { 0, 1 } },
	{ 1, { 2 } }, { 2, { 0, 2 } }, { 2, { 1, 2 } }, { 3, { 0, 1, 2 } },
};

/* A connector's resources: the phases of mask in its circuit and in each
 * one above it, up the parents to the supply (id 0, the last). */
static inline void
res_take(const struct alloc_res *r, int32_t *used, uint8_t circuit,
    uint8_t mask, int32_t add)
{
	int	 id = circuit < r->nc ? circuit : 0, k = phases_of[mask & 7].n;
	const uint8_t *ph = phases_of[mask & 7].p;

	if (id == 0) {		/* the supply alone: its three phases */
		used[0] += (mask & 1) ? add : 0;
		used[1] += (mask & 2) ? add : 0;
		used[2] += (mask & 4) ? add : 0;
		if (r->power >= 0)
			used[r->power] += add * k;
		return;
	}
	for (;;) {
		int32_t	*u = used + id * EVG_PHASES;

		for (int j = 0; j < k; j++)
			u[ph[j]] += add;
		if (id == 0)
			break;
		id = r->parent[id];
	}
	if (r->power >= 0)
		used[r->power] += add * k;
}

void
alloc_res_take(const struct alloc_res *r, int32_t *used, uint8_t circuit,
    uint8_t mask, int32_t add)
{
	res_take(r, used, circuit, mask, add);
}

/* The resource of connector (circuit, mask) with the least room per 0.1 A
 * it takes, and that room (INT32_MAX: none, an empty mask). */
static inline int
res_tightest(const struct alloc_res *r, const int32_t *used,
    const int32_t *lim, uint8_t circuit, uint8_t mask, int32_t *room)
{
	int	 id = circuit < r->nc ? circuit : 0, best = -1,
		 k = phases_of[mask & 7].n;
	const uint8_t *ph = phases_of[mask & 7].p;
	int32_t	 least = INT32_MAX;

	if (k == 0) {
		*room = INT32_MAX;
		return -1;
	}
	if (id == 0 && r->power < 0) {	/* the supply alone */
		for (int p = 0; p < EVG_PHASES; p++)
			if ((mask >> p & 1) && lim[p] - used[p] < least) {
				least = lim[p] - used[p];
				best = p;
			}
		*room = least;
		return best;
	}
	/* ties: the circuit highest up, then the lowest phase */
	for (;;) {
		int	 base = id * EVG_PHASES, bx = base + ph[0];
		int32_t	 left = lim[bx] - used[bx];

		for (int j = 1; j < k; j++) {
			int	 x = base + ph[j];

			if (lim[x] - used[x] < left) {
				left = lim[x] - used[x];
				bx = x;
			}
		}
		if (left <= least) {
			least = left;
			best = bx;
		}
		if (id == 0)
			break;
		id = r->parent[id];
	}
	if (r->power >= 0) {
		int32_t	 left = lim[r->power] - used[r->power];
		/* floor division: a negative room stays negative */
		int32_t	 per = left >= 0 ? left / k : -((-left + k - 1) / k);

		if (per < least) {
			least = per;
			best = r->power;
		}
	}
	*room = least;
	return best;
}

int32_t
alloc_res_room(const struct alloc_res *r, const int32_t *used,
    const int32_t *lim, uint8_t circuit, uint8_t mask)
{
	int32_t	 room;

	(void)res_tightest(r, used, lim, circuit, mask, &room);
	return room;
}

/* The resource list of (circuit, mask), combo = circuit * 8 + mask: the
 * phases of mask in the circuit and every one above it. Made once a
 * cycle (res_list()). */
static void
res_list_make(struct work *w, uint32_t combo)
{
	const struct alloc_res *r = w->res;
	uint8_t	 path[ALLOC_CIRCUITS_MAX], *l;
	int	 depth = 0, id = (int)(combo / 8), k = phases_of[combo & 7].n;

	for (;;) {
		path[depth++] = (uint8_t)id;
		if (id == 0)
			break;
		id = r->parent[id];
	}
	l = w->rl + w->rl_len;
	l[0] = 0;
	/* the supply first, then down: on a tie the circuit highest up
	 * binds (res_tightest()) */
	while (depth > 0) {
		id = path[--depth];
		for (int j = 0; j < k; j++)
			l[1 + l[0]++] = (uint8_t)(id * EVG_PHASES +
			    phases_of[combo & 7].p[j]);
	}
	w->rl_at[combo] = w->rl_len;
	w->rl_len += 1u + l[0];
	w->tight_at[combo] = 0;	/* not worked out yet */
}

/* Connector i's resource list (struct work), made if not yet. */
static inline void
res_list(struct work *w, uint32_t i)
{
	uint32_t combo = (uint32_t)w->circ[i] * 8 + (w->mask[i] & 7);

	if (w->rl_at[combo] == RL_NONE)
		res_list_make(w, combo);
	w->rlo[i] = w->rl_at[combo];
}

/* res_take() of connector i, by its list. */
static inline void
wtake(const struct work *w, int32_t *used, uint32_t i, int32_t add)
{
	const uint8_t *l = w->rl + w->rlo[i];

	for (int j = 1; j <= l[0]; j++)
		used[l[j]] += add;
	if (w->res->power >= 0)
		used[w->res->power] += add * phases_of[w->mask[i] & 7].n;
}

/* res_tightest() of connector i, by its list. */
static inline int
wtightest(const struct work *w, const int32_t *used, const int32_t *lim,
    uint32_t i, int32_t *room)
{
	const uint8_t *l = w->rl + w->rlo[i];
	int	 best = -1, k = phases_of[w->mask[i] & 7].n, power = w->res->power;
	int32_t	 least = INT32_MAX;

	for (int j = 1; j <= l[0]; j++) {
		int32_t	 left = lim[l[j]] - used[l[j]];

		if (left < least) {
			least = left;
			best = l[j];
		}
	}
	if (power >= 0 && k > 0) {
		int32_t	 left = lim[power] - used[power];
		/* floor division: a negative room stays negative */
		int32_t	 per = left >= 0 ? left / k : -((-left + k - 1) / k);

		if (per < least) {
			least = per;
			best = power;
		}
	}
	*room = least;
	return best;
}

/* wtightest() against the hard limits, during admission: worked out once
 * a list until used changes (tight_now moves on). */
static inline int
wtightest_admit(struct work *w, const int32_t *used, const int32_t *hard,
    uint32_t i, int32_t *room)
{
	uint32_t combo = (uint32_t)w->circ[i] * 8 + (w->mask[i] & 7);

	if (w->tight_at[combo] != w->tight_now) {
		w->tight_x[combo] = (int16_t)wtightest(w, used, hard, i,
		    &w->tight_room[combo]);
		w->tight_at[combo] = w->tight_now;
	}
	*room = w->tight_room[combo];
	return w->tight_x[combo];
}

/* Does connector i fit add more under every limit it counts on? What
 * wtightest()'s room says, without looking for the tightest: it stops at
 * the first resource too full. */
static inline bool
wfits(const struct work *w, const int32_t *used, const int32_t *lim,
    uint32_t i, int32_t add)
{
	const uint8_t *l = w->rl + w->rlo[i];
	int	 k = phases_of[w->mask[i] & 7].n, power = w->res->power;

	for (int j = 1; j <= l[0]; j++)
		if (lim[l[j]] - used[l[j]] < add)
			return false;
	/* the power's room per phase, floor((lim - used) / k) >= add */
	return power < 0 || k == 0 ||
	    (int64_t)lim[power] - used[power] >= (int64_t)add * k;
}

void
alloc_res_hard(const struct alloc_res *r, const struct alloc_out *o,
    int32_t *lim)
{
	for (int id = 0; id < r->nc; id++)
		for (int p = 0; p < EVG_PHASES; p++)
			lim[id * EVG_PHASES + p] = o->c_hard_da[id][p];
	if (r->power >= 0)
		lim[r->power] = o->power_cap_da;
}

#define IDX_BITS	24	/* the index, in the key's low bits */

/*
 * Sorts keys whose low IDX_BITS hold the connector's index and start in
 * index order: insertion sort for a few, else LSD radix on the bytes
 * above the index only (stable, so ties stay in index order), skipping
 * the bytes where every key is the same (found in one walk). No
 * callbacks.
 */
static void
sort_u64(uint64_t *a, uint64_t *tmp, size_t n)
{
	uint64_t *src = a, *dst = tmp, *t, any = 0, all = UINT64_MAX;

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
	/* the bits that differ between keys: a byte where none does needs
	 * no pass, nor counting */
	for (size_t i = 0; i < n; i++) {
		any |= a[i];
		all &= a[i];
	}
	for (int shift = IDX_BITS; shift < 64; shift += 8) {
		size_t	 count[257] = { 0 };

		if (((any ^ all) >> shift & 0xFF) == 0)
			continue;
		for (size_t i = 0; i < n; i++)
			count[((src[i] >> shift) & 0xFF) + 1]++;
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

/* The supply's limit per phase: the main fuse, or a limit set from
 * outside when that is lower (it never raises one). */
static int32_t
supply_limit(const struct alloc_site *s, int p)
{
	return s->external && s->external_da[p] < s->site_limit_da ?
	    s->external_da[p] : s->site_limit_da;
}

/* What the chargers may take without a measured building: the group
 * limit, or the offline limit while the meter is silent. Each is sized
 * for the building at its worst under the main fuse (the group limit in
 * static mode: docs/load-balancing.md): a limit set from outside that
 * lowers the supply by some amperes lowers it by as many (the building
 * may still be at its worst). */
static int32_t
unmeasured_limit(const struct alloc_site *s, int p)
{
	int32_t	 hard = s->group_limit_da, base = hard;

	if (s->mode != ALLOC_STATIC && s->offline_limit_da < hard)
		hard = base = s->offline_limit_da;
	else if (s->mode != ALLOC_STATIC)
		base = s->offline_limit_da;
	if (s->external && s->external_da[p] < s->site_limit_da &&
	    base - (s->site_limit_da - s->external_da[p]) < hard)
		hard = base - (s->site_limit_da - s->external_da[p]);
	return hard;
}

/* What the chargers that answer said they draw, per circuit id and phase,
 * each in its own circuit only (the supply's row: those on the supply
 * itself; an id out of range is the supply's). */
static void
draws_by_circuit(const struct alloc_res *r, const struct alloc_conn *c,
    size_t n, int32_t ev[ALLOC_CIRCUITS_MAX][EVG_PHASES])
{
	memset(ev, 0, (size_t)r->nc * sizeof(ev[0]));
	for (size_t i = 0; i < n; i++) {
		int32_t	*e = ev[alloc_res_circuit(r, c[i].circuit)];

		if (!c[i].online)
			continue;
		for (int p = 0; p < EVG_PHASES; p++)
			e[p] += at_least0(c[i].draw_da[p]);
	}
}

/* draws_by_circuit()'s rows made alloc_circuit_draws()'s: each circuit in
 * its parent, the deepest first (a parent comes before its children), the
 * supply's row left 0. */
static void
draws_roll_up(const struct alloc_res *r,
    int32_t ev[ALLOC_CIRCUITS_MAX][EVG_PHASES])
{
	memset(ev[0], 0, sizeof(ev[0]));
	for (int id = r->nc - 1; id >= 1; id--)
		if (r->parent[id] != 0)
			for (int p = 0; p < EVG_PHASES; p++)
				ev[r->parent[id]][p] += ev[id][p];
}

void
alloc_circuit_draws(const struct alloc_res *r, const struct alloc_conn *c,
    size_t n, int32_t ev[ALLOC_CIRCUITS_MAX][EVG_PHASES])
{
	if (r->nc == 1) {
		memset(ev, 0, sizeof(ev[0]));
		return;
	}
	draws_by_circuit(r, c, n, ev);
	draws_roll_up(r, ev);
}

/*
 * The circuits' limits (alloc.h), deepest first: a circuit with a meter
 * that answers takes its own load (the clamp less what its chargers said
 * they draw, when the clamps count them; only chargers that answer: an
 * offline one's old reading is no reading, and what it may draw is
 * reserved on top); one whose meter is silent gives its chargers only
 * its offline limit. A circuit without a meter knows only what the
 * metered circuits below it measure: any other load on it is unknown,
 * its limit is for the chargers.
 */
static void
circuit_limits(const struct alloc_site *s, const struct alloc_res *r,
    int32_t ev[ALLOC_CIRCUITS_MAX][EVG_PHASES], struct alloc_out *o)
{
	for (int id = 1; id < r->nc; id++)
		for (int p = 0; p < EVG_PHASES; p++)
			o->c_nonev_da[id][p] = 0;
	for (int id = r->nc - 1; id >= 1; id--) {
		const struct alloc_circuit *k = &s->circuit[id - 1];

		for (int p = 0; p < EVG_PHASES; p++) {
			int32_t	 hard, nonev = o->c_nonev_da[id][p];

			if (k->metered && k->meter_online)
				nonev = k->building_given ? k->building_da[p] :
				    k->chargers_in_clamps ? k->clamp_da[p] -
				    ev[id][p] : k->clamp_da[p];
			if (k->metered && !k->meter_online) {
				/* Its load unknown: its chargers get its
				 * offline limit, which is sized for its other
				 * loads at their worst: its limit less it.
				 * That worst is what it is counted at in the
				 * circuits above it that have no meter of
				 * their own (their only view of it). */
				nonev = k->limit_da - k->offline_limit_da;
				hard = k->limit_da - k->margin_da;
				if (k->offline_limit_da < hard)
					hard = k->offline_limit_da;
			} else	/* export never raises what a fuse carries */
				hard = k->limit_da - at_least0(nonev) -
				    k->margin_da;
			o->c_nonev_da[id][p] = nonev;
			o->c_hard_da[id][p] = at_least0(hard);
			/* the load known below counts above too */
			if (k->parent > 0 && k->parent < id &&
			    !(s->circuit[k->parent - 1].metered &&
			    s->circuit[k->parent - 1].meter_online))
				o->c_nonev_da[k->parent][p] += at_least0(nonev);
		}
	}
}

/* alloc_limits(), from draws_by_circuit()'s rows (rolled up here). */
static void
limits_of(const struct alloc_site *s, const struct alloc_res *r,
    int32_t ev[ALLOC_CIRCUITS_MAX][EVG_PHASES], struct alloc_out *o)
{
	int32_t	 supply_ev[EVG_PHASES] = { 0 };

	for (int id = 0; id < r->nc; id++)
		for (int p = 0; p < EVG_PHASES; p++)
			supply_ev[p] += ev[id][p];
	draws_roll_up(r, ev);
	for (int p = 0; p < EVG_PHASES; p++) {
		int32_t	 hard;
		bool	 measured = s->mode != ALLOC_STATIC && s->meter_online &&
		    s->clamp_enabled[p];

		/* alloc_building()'s */
		o->nonev_da[p] = !measured ? 0 : s->building_given ?
		    s->building_da[p] : s->chargers_in_clamps ?
		    s->clamp_da[p] - supply_ev[p] : s->clamp_da[p];
		if (!measured)	/* static, or no meter: what the chargers get */
			hard = unmeasured_limit(s, p);
		else {
			/* Export never raises what the fuse may carry. */
			hard = supply_limit(s, p) - at_least0(o->nonev_da[p]) -
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
		o->c_hard_da[0][p] = o->hard_da[p];
		o->c_nonev_da[0][p] = o->nonev_da[p];
	}
	circuit_limits(s, r, ev, o);
	memset(o->c_used_da, 0, sizeof(o->c_used_da));
	o->power_cap_da = s->power_capped ? at_least0(s->power_cap_da) : -1;
	o->power_used_da = 0;
}

void
alloc_limits(const struct alloc_site *s, const struct alloc_conn *c,
    size_t n, struct alloc_out *o)
{
	struct alloc_res r;
	/* the chargers' draws, read once for the supply and the circuits */
	int32_t	 ev[ALLOC_CIRCUITS_MAX][EVG_PHASES];

	alloc_res_init(&r, s);
	draws_by_circuit(&r, c, n, ev);
	limits_of(s, &r, ev, o);
}

/* --- what is learnt per connector ---------------------------------------- */

/* The most connector c draws on the phases of mask (0 at least); written
 * out for the three phases, without a branch a phase: it runs for every
 * connector every cycle. */
static int32_t
max_draw(const struct alloc_conn *c, uint8_t mask)
{
	int32_t d0 = (mask & 1) ? c->draw_da[0] : 0,
		 d1 = (mask & 2) ? c->draw_da[1] : 0,
		 d2 = (mask & 4) ? c->draw_da[2] : 0, d = 0;

	d = d0 > d ? d0 : d;
	d = d1 > d ? d1 : d;
	return d2 > d ? d2 : d;
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

/* A bit of w->flag that only the filling uses: a connector frozen on a
 * resource that still had room once everyone on it was frozen; the
 * top-up looks at these only (any other is at its cap or on a full
 * resource, and the resources only fill up). */
#define F_STEP		32

/* The circuits as the filling walks them (fill_all()): those at or below
 * each one, as bits; the branch each one is in (the circuit right under
 * the supply it hangs from, numbered from 0; the supply's: -1). */
struct fill_tree {
	uint64_t	 below[ALLOC_CIRCUITS_MAX];
	int8_t		 branch[ALLOC_CIRCUITS_MAX];
	int		 nbranch;
};

/*
 * The filling of one priority class (fill_class()): all its active
 * connectors rise together by a common level; each event either stops
 * some at their cap or finds a resource full and freezes everyone on it.
 */
struct fill {
	struct work	*w;
	const int32_t	*lim;
	int32_t		*used, *offers;
	int32_t		 level;
	/* how many active connectors count on each resource (its phases
	 * for the power) */
	int32_t		 k[ALLOC_RES_MAX];
	/* the resources some active connector counts on, in index order
	 * (a tie binds the lowest), dropped as their k falls to 0 */
	uint16_t	 on[ALLOC_RES_MAX];
	int		 non;
	/* The active in admission order, the frozen dropped as the walks go
	 * (w->byroom), and how many are still active; those one freeze
	 * stops (w->tmp, after bl). */
	uint32_t	*act, *frozen;
	size_t		 nact, nleft;
	/* With two branches or more, while none has stopped at its cap (the
	 * sort takes w->tmp): the active of each branch as well (bl + bat[b],
	 * bn[b] of them, in admission order, the frozen dropped as the walks
	 * go). A full phase below the supply stops only connectors of its
	 * branch: a car park's boards are walked one at a time. */
	bool		 branched;
	uint32_t	*bl;
	size_t		 bat[ALLOC_CIRCUITS_MAX], bn[ALLOC_CIRCUITS_MAX];
	/* By headroom (w->key), sorted only once a connector reaches its
	 * cap before a resource stops it: until then the smallest headroom
	 * (capmin) is all an event needs. next: the first not yet stopped. */
	bool		 sorted;
	size_t		 nk, next;
	int32_t		 capmin;
	/* Where the next full resource (less than 0.1 A for each active
	 * connector on it) is looked for: after the last one found (-1: a
	 * scan of every level). While no resource is over its limit, every
	 * connector rises at least 0 more, so a full one binds at once; and
	 * a resource that is not full stays so until the level rises: a
	 * freeze gives at most 0.1 A to each connector it stops on it. Most
	 * events of a full site are such (boards full of minimums). over:
	 * some resource is over its limit (a scan of every level saw it). */
	bool		 over;
	int		 cursor;
};

/* The next full resource after the cursor: its position in on[], or -1
 * (then none is full: every level is worked out). */
static int
fill_next_full(const struct fill *f)
{
	for (int j = f->cursor; j < f->non; j++) {
		int	 x = f->on[j];

		if (f->k[x] != 0 && f->lim[x] - f->used[x] < f->k[x])
			return j;
	}
	return -1;
}

/* The resource that binds first as every active connector rises by up to
 * *d more: its position in on[] (then *d is how much they rise until it
 * is full), or -1. Drops the resources no active connector counts on. */
static int
fill_scan(struct fill *f, int32_t *d)
{
	const int32_t *lim = f->lim, *used = f->used, *k = f->k;
	int	 keep = 0, jb = -1;

	for (int j = 0; j < f->non; j++) {
		int	 x = f->on[j];
		int32_t	 left = lim[x] - used[x], step;

		if (k[x] == 0)
			continue;
		f->on[keep++] = (uint16_t)x;
		f->over |= left < 0;
		/* left / k >= d: not tighter, no division (the one that binds
		 * is found in a few) */
		if (left >= 0 && (int64_t)*d * k[x] <= left)
			continue;
		step = left / k[x];
		if (step < *d) {
			*d = step;
			jb = keep - 1;
		}
	}
	f->non = keep;
	return jb;
}

/* One connector stops rising at the level, frozen or at its cap. */
static inline void
fill_stop(struct fill *f, uint32_t i)
{
	f->w->flag[i] &= (uint8_t)~F_ACTIVE;
	f->offers[i] += f->level;
	wtake(f->w, f->k, i, -1);
	f->nleft--;
}

/* The active of each branch (struct fill), in w->tmp. */
static void
fill_branch(struct fill *f, const struct fill_tree *t)
{
	struct work *w = f->w;
	size_t	 at = 0;

	f->branched = true;
	f->bl = (uint32_t *)w->tmp;
	memset(f->bn, 0, (size_t)t->nbranch * sizeof(f->bn[0]));
	for (size_t r = 0; r < f->nact; r++)
		if (t->branch[w->circ[f->act[r]]] >= 0)
			f->bn[t->branch[w->circ[f->act[r]]]]++;
	for (int b = 0; b < t->nbranch; b++) {
		f->bat[b] = at;
		at += f->bn[b];
		f->bn[b] = 0;
	}
	for (size_t r = 0; r < f->nact; r++) {
		int	 b = t->branch[w->circ[f->act[r]]];

		if (b >= 0)
			f->bl[f->bat[b] + f->bn[b]++] = f->act[r];
	}
}

/*
 * Resource x is full but for less than 0.1 A per connector on it: hand
 * out what is left one step each, in admission order, and freeze everyone
 * on it. Those that x still has room for once all are frozen may take
 * more in the top-up (F_STEP).
 */
static void
fill_freeze(struct fill *f, const struct fill_tree *t, int x)
{
	struct work *w = f->w;
	const struct alloc_res *res = w->res;
	uint32_t *list = f->act, *frozen = f->frozen;
	size_t	*n = &f->nact, keep = 0, nf = 0;
	/* Who counts on x: a connector of a circuit in sub on a phase in
	 * ph; on the power, every one that charges on some phase. */
	uint64_t sub = x == res->power ? UINT64_MAX :
	    t->below[x / EVG_PHASES];
	uint8_t	 ph = x == res->power ? 0xFF :
	    (uint8_t)(1u << x % EVG_PHASES);
	/* Once a phase x has no 0.1 A left, nobody on it fits a step (on
	 * the power, a connector of no phase we know takes none of it). */
	bool	 room = x == res->power || f->lim[x] - f->used[x] >= 1;

	if (f->branched && x != res->power && t->branch[x / EVG_PHASES] >= 0) {
		list = f->bl + f->bat[t->branch[x / EVG_PHASES]];
		n = &f->bn[t->branch[x / EVG_PHASES]];
	}
	for (size_t r = 0; r < *n; r++) {
		uint32_t i = list[r];

		if (!(w->flag[i] & F_ACTIVE))
			continue;
		if (!(w->mask[i] & ph) || !(sub >> w->circ[i] & 1)) {
			list[keep++] = i;
			continue;
		}
		fill_stop(f, i);
		frozen[nf++] = i;
		if (room && f->offers[i] < w->cap[i] &&
		    wfits(w, f->used, f->lim, i, 1)) {
			f->offers[i] += 1;
			wtake(w, f->used, i, 1);
			room = x == res->power ||
			    f->lim[x] - f->used[x] >= 1;
		}
	}
	*n = keep;
	if (room)
		for (size_t r = 0; r < nf; r++)
			if (f->offers[frozen[r]] < w->cap[frozen[r]])
				w->flag[frozen[r]] |= F_STEP;
}

/* No resource binds before the level reaches capmin: those with that
 * headroom stop at their cap (the first time, the active are sorted by
 * headroom; capmin may have been a connector frozen since). */
static void
fill_caps(struct fill *f)
{
	struct work *w = f->w;
	const uint32_t idx = (1u << IDX_BITS) - 1;

	if (!f->sorted) {
		f->branched = false;	/* the sort takes their room */
		for (size_t r = 0; r < f->nact; r++)
			if (w->flag[f->act[r]] & F_ACTIVE)
				w->key[f->nk++] =
				    (uint64_t)(uint32_t)w->room[f->act[r]] <<
				    IDX_BITS | f->act[r];
		sort_u64(w->key, w->tmp, f->nk);
		f->sorted = true;
	}
	/* Connectors at their cap stop here (ties, at the same level, in
	 * any order). */
	for (; f->next < f->nk && w->room[w->key[f->next] & idx] <= f->level;
	    f->next++)
		if (w->flag[w->key[f->next] & idx] & F_ACTIVE)
			fill_stop(f, (uint32_t)(w->key[f->next] & idx));
}

/*
 * Raises the admitted connectors of one priority class above their
 * minimum: all together by a common level L, so that they stay within
 * 0.1 A of each other (max-min fair), until each reaches its cap or a
 * resource it uses (a phase of its circuit or of one above it, the
 * demand target's power) is full. O(n log n + events x resources).
 */
static void
fill_class(struct work *w, const struct fill_tree *t, const uint32_t *member,
    size_t nm, const int32_t *lim, int32_t *used, int32_t *offers)
{
	struct fill f = { .w = w, .lim = lim, .used = used, .offers = offers,
	    .act = w->byroom, .capmin = INT32_MAX, .cursor = -1 };

	for (size_t r = 0; r < nm; r++) {
		uint32_t i = member[r];

		w->room[i] = w->cap[i] - offers[i];
		if (w->room[i] <= 0)
			continue;
		if (w->room[i] < f.capmin)
			f.capmin = w->room[i];
		w->flag[i] |= F_ACTIVE;
		f.act[f.nact++] = i;
		wtake(w, f.k, i, 1);
	}
	for (int x = 0; x < w->res->n; x++)
		if (f.k[x] != 0)
			f.on[f.non++] = (uint16_t)x;
	f.frozen = (uint32_t *)w->tmp + f.nact;
	if (t->nbranch > 1)
		fill_branch(&f, t);
	for (f.nleft = f.nact; f.nleft > 0;) {
		int32_t	 d;
		int	 jb = f.cursor >= 0 ? fill_next_full(&f) : -1;

		if (f.sorted) {
			while (!(w->flag[w->key[f.next] &
			    ((1u << IDX_BITS) - 1)] & F_ACTIVE))
				f.next++;
			f.capmin = w->room[w->key[f.next] &
			    ((1u << IDX_BITS) - 1)];
		}
		d = f.capmin - f.level;
		if (jb >= 0)	/* full now: it binds at once */
			d = 0;
		else
			jb = fill_scan(&f, &d);
		if (d > 0) {
			f.level += d;
			for (int j = 0; j < f.non; j++)
				used[f.on[j]] += d * f.k[f.on[j]];
		}
		if (jb < 0) {
			f.cursor = -1;
			fill_caps(&f);
			continue;
		}
		f.cursor = f.over ? -1 : jb;
		fill_freeze(&f, t, f.on[jb]);
	}
}

/*
 * What filling leaves: a resource with less than 0.1 A per connector on
 * it, or steps that a three-phase connector took and that blocked
 * others. Sweep the class in admission order, 0.1 A each, until nobody
 * fits; two connectors on the same resources stay within 0.1 A of each
 * other. Only those fill_class() marked (F_STEP) may fit.
 */
static void
topup_class(struct work *w, const uint32_t *member, size_t nm,
    const int32_t *lim, int32_t *used, int32_t *offers)
{
	uint32_t *act = w->byroom;	/* who may still take a step */
	size_t	 nact = 0;

	for (size_t r = 0; r < nm; r++)
		if (w->flag[member[r]] & F_STEP) {
			w->flag[member[r]] &= (uint8_t)~F_STEP;
			act[nact++] = member[r];
		}
	for (bool more = nact > 0; more;) {
		size_t	 keep = 0;

		more = false;
		for (size_t r = 0; r < nact; r++) {
			uint32_t i = act[r];

			/* one that does not fit never will (the resources
			 * only fill up) */
			if (offers[i] >= w->cap[i] || !wfits(w, used, lim, i, 1))
				continue;
			act[keep++] = i;
			offers[i] += 1;
			wtake(w, used, i, 1);
			more = true;
		}
		nact = keep;
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
	size_t	 nm = e - b, r;
	int32_t	 last = INT32_MAX;

	/* already so (a fresh memory, or offers as they were): as it is */
	for (r = 0; r < nm; r++) {
		int32_t	 prev = m[w->cls[b + r]].offer_da;

		if (prev > last)
			break;
		last = prev;
	}
	if (r >= nm)
		return;
	for (r = 0; r < nm; r++) {
		int32_t	 prev = m[w->cls[b + r]].offer_da;
		uint64_t v = prev < 0 ? 0 : prev > 0xFFFF ? 0xFFFF :
		    (uint64_t)prev;

		w->key[r] = (0xFFFF - v) << IDX_BITS | r;
	}
	sort_u64(w->key, w->tmp, nm);
	for (r = 0; r < nm; r++)
		w->byroom[r] = w->cls[b + (w->key[r] & ((1u << IDX_BITS) - 1))];
	memcpy(w->cls + b, w->byroom, nm * sizeof(*w->cls));
}

/* Which limit a full phase of the supply is at: the surplus below what
 * the fuse allows, else the group limit, the meter-offline limit, a
 * limit from outside or what the fuse leaves above the building
 * (alloc_limits()). */
static enum conn_reason
limit_reason(const struct alloc_site *s, const struct alloc_out *o,
    const int32_t *lim, int p)
{
	bool	 measured = s->mode != ALLOC_STATIC && s->meter_online &&
	    s->clamp_enabled[p];
	int32_t	 fuse;

	if (lim[p] < o->hard_da[p])
		return REASON_SURPLUS_LIMIT;
	if (!measured) {
		int32_t	 k = unmeasured_limit(s, p);

		if (k < s->group_limit_da && (s->mode == ALLOC_STATIC ||
		    k < s->offline_limit_da))
			return REASON_EXTERNAL_LIMIT;
		return s->mode != ALLOC_STATIC &&
		    s->offline_limit_da < s->group_limit_da ?
		    REASON_METER_OFFLINE_LIMIT : REASON_GROUP_LIMIT;
	}
	/* the group limit only where it is below what the fuse leaves */
	fuse = supply_limit(s, p) - at_least0(o->nonev_da[p]) - s->margin_da;
	if (s->group_limit_da < fuse)
		return REASON_GROUP_LIMIT;
	return supply_limit(s, p) < s->site_limit_da ? REASON_EXTERNAL_LIMIT :
	    REASON_SUPPLY_LIMIT;
}

/*
 * The reason a full resource x gives: a phase of the supply (the surplus,
 * the group limit, the meter-offline limit, a limit from outside or the
 * fuse less the building), of a circuit (its limit less its load, or its
 * offline limit while its meter is silent), or the demand target's power.
 */
static void
why_full(const struct alloc_site *s, const struct alloc_out *o,
    const struct alloc_res *r, const int32_t *lim, int x, bool none,
    struct conn_why *w)
{
	enum conn_reason why;
	int	 id = x / EVG_PHASES, p = x % EVG_PHASES;

	if (x < 0) {
		why_set(w, REASON_SUPPLY_LIMIT, -1, 0);
		return;
	}
	if (x == r->power) {
		why_set(w, REASON_DEMAND_LIMIT, -1, 0);
		return;
	}
	if (id > 0) {
		const struct alloc_circuit *k = &s->circuit[id - 1];

		why = k->metered && !k->meter_online ?
		    REASON_CIRCUIT_METER_OFFLINE : REASON_CIRCUIT_LIMIT;
	} else if (none)
		why = REASON_NO_ROOM;
	else
		why = limit_reason(s, o, lim, p);
	why_set(w, why, p, 0);
	w->circuit = (uint8_t)id;
}

/*
 * why_full() depends only on the resource once the limits are set: the
 * reasons of a cycle, made once a resource (x + 1: x may be -1). Admission
 * and explain() give one to most connectors of a full site.
 */
#define WHY_NO_CIRCUIT	0xFF	/* why_full() leaves the circuit as it was */

struct why_cache {
	bool		 made;
	uint8_t		 reason, circuit;
	int8_t		 phase;
};

static void
why_full_cached(const struct alloc_site *s, const struct alloc_out *o,
    const struct alloc_res *r, const int32_t *lim, int x, bool none,
    struct why_cache *cache, struct conn_why *w)
{
	struct why_cache *f = &cache[x + 1];

	if (!f->made) {
		struct conn_why t = { .circuit = WHY_NO_CIRCUIT };

		why_full(s, o, r, lim, x, none, &t);
		f->made = true;
		f->reason = t.reason;
		f->phase = t.phase;
		f->circuit = t.circuit;
	}
	why_set(w, (enum conn_reason)f->reason, f->phase, 0);
	if (f->circuit != WHY_NO_CIRCUIT)
		w->circuit = f->circuit;
}

/*
 * May connector i be admitted at its minimum, on top of what is used:
 * it wants current and may have it, is not resting after a rotation
 * pause, fits under every limit it counts on (the fuse, its circuits',
 * the demand target) and, in green mode, its surplus has held for the
 * start delay (or failed for less than the stop delay). *w gets why not
 * (alloc_compute() may still change it, explain()).
 */
struct admit {
	const struct alloc_site *s;
	const struct alloc_out *o;
	struct work	*wk;
	const int32_t	*used, *hard;
	const int32_t	*used_soft;	/* what the mode aims at is counted */
	uint64_t	 now;
	bool		 zero;		/* an offline charger: everyone to 0 */
	struct why_cache cache[ALLOC_RES_MAX + 1];	/* against hard */
};

/* admissible() in green mode, once the fuses allow connector i: has its
 * surplus held for the start delay (or failed for less than the stop
 * delay)? */
static bool
green_admits(struct admit *a, struct alloc_memo *mi, uint32_t i, int32_t min,
    struct conn_why *w)
{
	const struct alloc_site *s = a->s;
	uint64_t now = a->now;
	bool	 running = mi->offer_da > 0, soft_ok;

	soft_ok = fits(a->used_soft, a->o->soft_da, a->wk->mask[i], min);
	/* Start once the surplus has held for the start delay; stop once it
	 * has failed for the stop delay. */
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
	return true;
}


/* The idle cars' admission, after the filling (alloc_compute() admits the
 * others itself, from what its walk read). */
static bool
admissible(struct admit *a, const struct alloc_conn *ci,
    struct alloc_memo *mi, uint32_t i, struct conn_why *w)
{
	const struct alloc_site *s = a->s;
	struct work *wk = a->wk;
	uint64_t now = a->now;
	bool	 running = mi->offer_da > 0, zero = a->zero;
	int32_t	 room;
	int	 x;

	why_set(w, REASON_NONE, -1, 0);
	if (!ci->online || !ci->demand)
		return false;
	if (wk->cap[i] < ci->min_da || zero) {
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
	x = wtightest_admit(wk, a->used, a->hard, i, &room);
	if (room < ci->min_da) {
		why_full_cached(s, a->o, wk->res, a->hard, x, true, a->cache,
		    w);
		return false;	/* the fuses first, always */
	}
	return s->mode != ALLOC_GREEN || green_admits(a, mi, i, ci->min_da, w);
}

/*
 * The reason that binds, once everything is decided (the memo updated):
 * for a connector offered nothing, a car that takes nothing, a cut by
 * the supply, the phase balance, a rest, or why it was not admitted; for
 * one offered current, its cap (maximum, reclaim, strategy, idle), the
 * phase balance, or the resource that is full (fill_class() and
 * topup_class() raise every connector until one or the other).
 */
static inline void
explain(const struct alloc_site *s, const struct alloc_conn *ci,
    const struct alloc_memo *mi, uint32_t i, uint64_t now,
    const struct work *w, const int32_t *lim, const int32_t *used,
    const int32_t *offers, const struct alloc_out *o, bool minimise,
    struct why_cache *cache, struct conn_why *y)
{
	int32_t	 room;
	int	 x;

	if (!ci->online) {
		why_set(y, REASON_CHARGER_OFFLINE, -1, 0);
		y->value_da = alloc_silent_draw(s, ci);
		return;
	}
	if (!ci->demand) {
		why_set(y, REASON_NONE, -1, 0);
		return;
	}
	if ((w->flag[i] & F_BALANCED) && offers[i] < w->cap0[i]) {
		why_set(y, REASON_IMBALANCE_LIMIT, w->bal_phase[i], 0);
		y->circuit = w->bal_circ[i];
		return;
	}
	if (offers[i] == 0) {
		if (mi->idle)
			why_set(y, REASON_IDLE, -1, mi->since_ms +
			    ALLOC_IDLE_RETRY_MS);
		else if (mi->cut)
			why_set(y, REASON_OVERLOAD_CUT, -1, 0);
		else if (mi->since_ms != 0 && now - mi->since_ms <
		    s->min_pause_ms && y->reason != REASON_GREEN_WAIT &&
		    y->reason != REASON_OFFLINE_ZERO)
			/* paused now, or resting since */
			why_set(y, REASON_ROTATION_REST, -1,
			    mi->since_ms + s->min_pause_ms);
		/* else: admissible() said why */
		return;
	}
	if (offers[i] >= w->cap[i]) {
		why_set(y, mi->idle ? REASON_IDLE : minimise ?
		    REASON_OFFLINE_MINIMISE : mi->trim_da > 0 &&
		    mi->trim_da < ci->max_da ? REASON_CAR_DRAW :
		    REASON_AT_MAX, -1, 0);
		return;
	}
	x = wtightest(w, used, lim, i, &room);
	why_full_cached(s, o, w->res, lim, x, false, cache, y);
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

/*
 * The unbalanced-load limits (alloc.h): for the supply and each circuit
 * with one, the phases' currents (the load measured there and what the
 * chargers below it are counted at) may differ by at most the limit.
 * Three-phase cars load every phase alike: only the cars on the phase
 * that carries the most and not on the one that carries the least can
 * narrow the gap.
 */
static int32_t
gap(const struct alloc_out *o, const int32_t *used, int id, int32_t limit,
    int *hi, int *lo)
{
	int32_t	 tot[EVG_PHASES];

	*hi = *lo = 0;
	for (int p = 0; p < EVG_PHASES; p++) {
		tot[p] = o->c_nonev_da[id][p] + used[id * EVG_PHASES + p];
		if (tot[p] > tot[*hi])
			*hi = p;
		if (tot[p] < tot[*lo])
			*lo = p;
	}
	return tot[*hi] - tot[*lo] - limit;
}

/* Marks (F_ACTIVE) the cars of circuit id that widen the gap between hi
 * and lo and are offered current, and lists them in admission order in
 * w->byroom; their offers are kept in room. Returns how many. */
static size_t
wideners(struct work *w, size_t n, const int32_t *offers, int id, int hi,
    int lo)
{
	const uint32_t *run = (const uint32_t *)w->key;	/* balance() */
	size_t	 nc = 0;

	for (size_t k = 0; k < n; k++) {
		uint32_t i = run[k];
		uint8_t	 m = w->mask[i];

		w->flag[i] &= (uint8_t)~(F_ACTIVE | F_LOWERED);
		if (offers[i] == 0 || !(m >> hi & 1) || (m >> lo & 1) ||
		    !(w->res->anc[w->circ[i]] >> id & 1))
			continue;
		w->flag[i] |= F_ACTIVE;
		w->room[i] = offers[i];	/* before */
		w->byroom[nc++] = i;
	}
	return nc;
}

static void
lower(struct work *w, int32_t *used, int32_t *offers, uint32_t i,
    int32_t to, int id, int hi)
{
	wtake(w, used, i, to - offers[i]);
	offers[i] = to;
	w->flag[i] |= F_BALANCED | F_LOWERED;
	w->bal_phase[i] = (int8_t)hi;
	w->bal_circ[i] = (uint8_t)id;
}

/*
 * One step for circuit id: the cars that widen its gap are lowered
 * together from the top (the highest offers first, none below its
 * minimum), then paused, last admitted first, until the gap is within
 * the limit; what that frees beyond the excess goes back to them.
 * Returns whether anything was lowered.
 */
static bool
balance_once(const struct alloc_conn *c, const struct alloc_memo *m,
    size_t n, struct work *w, const struct alloc_out *o, int32_t *used,
    int32_t *offers, int id, int32_t limit)
{
	const uint32_t *cand = w->byroom;
	int32_t	 excess, lo_l = 0, hi_l = 0, got = 0;
	size_t	 nc;
	int	 hi, lo;

	excess = gap(o, used, id, limit, &hi, &lo);
	if (excess <= 0 || (nc = wideners(w, n, offers, id, hi, lo)) == 0)
		return false;
	for (size_t k = 0; k < nc; k++)
		if (offers[cand[k]] > hi_l)
			hi_l = offers[cand[k]];
	/* the level L (binary search): offers above it, cut to it (none
	 * below its minimum), free enough */
	while (lo_l < hi_l) {
		int32_t	 mid = lo_l + (hi_l - lo_l + 1) / 2;

		got = 0;
		for (size_t k = 0; k < nc; k++) {
			uint32_t i = cand[k];
			int32_t	 to = mid > c[i].min_da ? mid : c[i].min_da;

			if (offers[i] > to)
				got += offers[i] - to;
		}
		if (got >= excess)
			lo_l = mid;	/* enough: maybe higher */
		else
			hi_l = mid - 1;
	}
	got = 0;
	for (size_t k = 0; k < nc; k++) {
		uint32_t i = cand[k];
		int32_t	 to = lo_l > c[i].min_da ? lo_l : c[i].min_da;

		if (offers[i] <= to)
			continue;
		got += offers[i] - to;
		lower(w, used, offers, i, to, id, hi);
	}
	/* Lowered to a level: what that frees beyond the excess goes
	 * back, 0.1 A each (fewer than those lowered to it), so that the
	 * gap is the limit exactly: first to those that had more last
	 * cycle, then in admission order, so that the odd 0.1 A stays
	 * where it was rather than going round the cars (a setpoint change
	 * every cycle, each raise before the lowered car has followed). */
	for (int pass = 0; pass < 2; pass++)
		for (size_t k = 0; k < nc && got > excess; k++) {
			uint32_t i = cand[k];

			if (!(w->flag[i] & F_LOWERED) || offers[i] != lo_l ||
			    lo_l < c[i].min_da ||
			    (pass == 0) != (m[i].offer_da > lo_l))
				continue;
			offers[i]++;
			wtake(w, used, i, 1);
			got--;
		}
	/* At their minimum and still over: pause, the last admitted
	 * first. */
	for (size_t k = nc; got < excess && k-- > 0;) {
		uint32_t i = cand[k];

		if (offers[i] == 0)
			continue;
		got += offers[i];
		lower(w, used, offers, i, 0, id, hi);
	}
	/* A pause frees a whole minimum: the rest goes back to those
	 * still running, 0.1 A each in turn, up to what they had. */
	for (bool more = true; more && got > excess;) {
		more = false;
		for (size_t k = 0; k < nc && got > excess; k++) {
			uint32_t i = cand[k];

			if (offers[i] == 0 || offers[i] >= w->room[i])
				continue;
			offers[i]++;
			wtake(w, used, i, 1);
			got--;
			more = true;
		}
	}
	return true;
}

/*
 * Every imbalance limit, the deepest circuits first and then again until
 * none moves (lowering a car for one circuit changes the gap of those
 * above and below it). Limits that keep pulling against each other past
 * a few sweeps: every car that widens a gap still over its limit
 * pauses. Where the building alone is over a limit, every such car
 * pauses and that is all that can be done. What is lowered stays there
 * this cycle (its cap). Returns whether anything was lowered.
 */
#define BALANCE_SWEEPS	8

static bool
balance(const struct alloc_site *s, const struct alloc_conn *c,
    const struct alloc_memo *m, size_t n, struct work *w,
    const struct alloc_out *o, int32_t *used, int32_t *offers)
{
	const struct alloc_res *r = w->res;
	bool	 changed = false, again = true;
	uint32_t *run = (uint32_t *)w->key;	/* free until the refill */
	size_t	 nrun = 0;

	/* The cars offered current, in admission order: offers only fall
	 * here, so no other car can widen a gap (wideners()). */
	for (size_t k = 0; k < n; k++)
		if (offers[w->order[k]] > 0)
			run[nrun++] = w->order[k];

	for (int sweep = 0; again && sweep < BALANCE_SWEEPS; sweep++) {
		again = false;
		for (int id = r->nc - 1; id >= 0; id--) {
			int32_t	 limit = id == 0 ? s->imbalance_da :
			    s->circuit[id - 1].imbalance_da;

			for (int k = 0; limit > 0 && k < 2 * EVG_PHASES &&
			    balance_once(c, m, nrun, w, o, used, offers, id,
			    limit);
			    k++)
				again = changed = true;
		}
	}
	for (int id = r->nc - 1; again && id >= 0; id--) {
		int32_t	 limit = id == 0 ? s->imbalance_da :
		    s->circuit[id - 1].imbalance_da;
		int	 hi, lo;
		size_t	 nc;

		while (limit > 0 && gap(o, used, id, limit, &hi, &lo) > 0 &&
		    (nc = wideners(w, nrun, offers, id, hi, lo)) > 0) {
			for (size_t k = 0; k < nc; k++)
				lower(w, used, offers, w->byroom[k], 0, id,
				    hi);
			id = r->nc;	/* from the deepest again */
			break;
		}
	}
	/* Only the cars offered current were marked or lowered here (one
	 * lowered by an earlier call, and paused, is at its cap: the
	 * filling raises nobody past it). */
	for (size_t k = 0; k < nrun; k++) {
		uint32_t i = run[k];

		w->flag[i] &= (uint8_t)~(F_ACTIVE | F_LOWERED);
		if ((w->flag[i] & F_BALANCED) && offers[i] < w->cap[i])
			w->cap[i] = offers[i];
	}
	return changed;
}

/* Would 0.1 A more for connector i keep every imbalance limit it counts
 * under (or at least not widen a gap already over)? */
static bool
balance_allows(const struct alloc_site *s, const struct work *w,
    const struct alloc_out *o, int32_t *used, uint32_t i)
{
	uint64_t a = w->res->anc[w->circ[i]];
	bool	 ok = true;

	while (a != 0 && ok) {
		int	 id = __builtin_ctzll(a), hi, lo;
		int32_t	 limit = id == 0 ? s->imbalance_da :
		    s->circuit[id - 1].imbalance_da, before, after;

		a &= a - 1;
		if (limit <= 0)
			continue;
		before = gap(o, used, id, limit, &hi, &lo);
		wtake(w, used, i, 1);
		after = gap(o, used, id, limit, &hi, &lo);
		wtake(w, used, i, -1);
		ok = after <= 0 || after <= before;
	}
	return ok;
}

/*
 * After the phase balance: a car lowered for one gap may have room again
 * once others moved. Every running car below its own cap takes 0.1 A at
 * a time, in admission order, while every limit and every gap allows.
 */
static void
balance_topup(const struct alloc_site *s, struct work *w, size_t n,
    const struct alloc_out *o, const int32_t *lim, int32_t *used,
    int32_t *offers, const int32_t *cap)
{
	uint32_t *act = w->byroom;	/* who may still rise, in order */
	size_t	 nact = 0;

	for (size_t k = 0; k < n; k++) {
		uint32_t i = w->order[k];

		if ((w->flag[i] & F_ADMITTED) && offers[i] > 0 &&
		    offers[i] < cap[i])
			act[nact++] = i;
	}
	for (bool more = true; more;) {
		size_t	 keep = 0;

		more = false;
		for (size_t k = 0; k < nact; k++) {
			uint32_t i = act[k];

			/* one that does not fit never will (the limits only
			 * fill up) */
			if (offers[i] >= cap[i] || !wfits(w, used, lim, i, 1))
				continue;
			act[keep++] = i;
			/* a gap may open again as others rise: it stays */
			if (!balance_allows(s, w, o, used, i))
				continue;
			offers[i]++;
			wtake(w, used, i, 1);
			more = true;
		}
		nact = keep;
	}
}

/* The admitted (w->byroom, na of them, in admission order), grouped by
 * priority class (highest first), each class in admission order, into
 * w->cls; end[k] is where class k ends (64 classes at most: a car of a
 * 65th priority is in none). Each car's priority is read once (its class
 * noted in w->tmp): admission order is not the connectors' order. */
static int
classes(struct work *w, const struct alloc_conn *c, size_t na,
    size_t end[64])
{
	int	 prio[64], rank[64], nprio = 0, last = 0;
	const uint32_t *adm = w->byroom;
	uint8_t	*in = (uint8_t *)w->tmp;	/* each one's, in prio[] */
	size_t	 at[64];

	memset(end, 0, 64 * sizeof(end[0]));
	for (size_t r = 0; r < na; r++) {
		int	 p = c[adm[r]].priority, k = last;

		/* admission order keeps a class together: the last first */
		if (k >= nprio || prio[k] != p) {
			for (k = 0; k < nprio && prio[k] != p; k++)
				;
			if (k == nprio && nprio == 64) {
				in[r] = 0xFF;
				continue;
			}
			if (k == nprio)
				prio[nprio++] = p;
			last = k;
		}
		in[r] = (uint8_t)k;
		end[k]++;
	}
	/* classes in descending priority: each one's rank, its count there */
	for (int a = 0; a < nprio; a++) {
		rank[a] = 0;
		for (int b = 0; b < nprio; b++)
			rank[a] += prio[b] > prio[a];
	}
	for (int a = 0; a < nprio; a++)
		at[rank[a]] = end[a];
	for (int k = 0; k < nprio; k++)
		end[k] = at[k] + (k ? end[k - 1] : 0);
	for (int k = 0; k < nprio; k++)
		at[k] = k ? end[k - 1] : 0;
	for (size_t r = 0; r < na; r++)
		if (in[r] != 0xFF)
			w->cls[at[rank[in[r]]]++] = adm[r];
	return nprio;
}

/* Fills every class above its minimums, highest first, in lim. */
static void
fill_all(struct work *w, const struct alloc_memo *m, int nprio,
    const size_t *end, const int32_t *lim, int32_t *used, int32_t *offers,
    bool steady)
{
	const struct alloc_res *res = w->res;
	struct fill_tree t = { .below = { 0 }, .branch = { -1 } };

	/* a parent comes first (alloc.h): the branches down, what is below
	 * each circuit up */
	for (int id = 0; id < res->nc; id++) {
		t.below[id] = (uint64_t)1 << id;
		if (id > 0)
			t.branch[id] = res->parent[id] == 0 ?
			    (int8_t)t.nbranch++ : t.branch[res->parent[id]];
	}
	for (int id = res->nc - 1; id > 0; id--)
		t.below[res->parent[id]] |= t.below[id];
	for (int k = 0; k < nprio; k++) {
		size_t	 b = k ? end[k - 1] : 0, e = end[k];

		if (steady)
			steady_order(w, m, b, e);
		fill_class(w, &t, w->cls + b, e - b, lim, used, offers);
		topup_class(w, w->cls + b, e - b, lim, used, offers);
	}
}

void
alloc_compute(const struct alloc_site *s, const struct alloc_conn *c,
    struct alloc_memo *m, size_t n, uint64_t now, void *mem,
    int32_t *offers, struct alloc_out *o, struct conn_why *why)
{
	struct conn_why scratch;
	struct admit adm;
	struct alloc_res res;
	struct work w;
	int32_t	 used_soft[EVG_PHASES], used[ALLOC_RES_MAX],
		 hard[ALLOC_RES_MAX], lim[ALLOC_RES_MAX],
		 ev[ALLOC_CIRCUITS_MAX][EVG_PHASES],
		 /* the running cars at their minimum: those with a cap
		  * below it apart (the strategy may raise it) */
		 run_need[ALLOC_RES_MAX], run_low[ALLOC_RES_MAX];
	bool	 any_offline = false, any_idle = false, any_low = false,
		 running_fits = true, zero, minimise;
	/* w.order, once admission is done: only the admitted and the idle
	 * cars, still in admission order (nothing else is offered current
	 * this cycle) */
	size_t	 end[64], nadm = 0, norder = 0;
	int	 nprio;

	work_init(&w, mem, n);
	alloc_res_init(&res, s);
	w.res = &res;
	memset(used, 0, sizeof(used));
	memset(run_need, 0, sizeof(run_need));
	memset(ev, 0, (size_t)res.nc * sizeof(ev[0]));
	o->running = o->paused = 0;

	/* One walk of the connectors: what is learnt, their resources and
	 * draws (the limits), caps (connector maximum, reclaim trim; the
	 * offline strategy below, once every charger is seen) and
	 * admission keys. */
	memset(w.flag, 0, n);
	memset(w.bal_phase, -1, n);
	memset(w.bal_circ, 0, n);
	for (size_t i = 0; i < n; i++) {
		const struct alloc_conn *ci = &c[i];
		struct alloc_memo *mi = &m[i];
		int32_t k = ci->max_da;
		bool	 keep;

		learn(s, ci, mi, now);
		w.mask[i] = alloc_phases(ci, mi);
		w.circ[i] = alloc_res_circuit(&res, ci->circuit);
		res_list(&w, (uint32_t)i);
		if (ci->online) {	/* draws_by_circuit()'s */
			int32_t	*e = ev[w.circ[i]];

			e[0] += at_least0(ci->draw_da[0]);
			e[1] += at_least0(ci->draw_da[1]);
			e[2] += at_least0(ci->draw_da[2]);
		} else {
			/* Counted at what it may draw on every wired phase:
			 * the car behind it is unknown. */
			any_offline = true;
			res_take(&res, used, w.circ[i],
			    alloc_wired(ci->phase), alloc_silent_draw(s, ci));
		}
		if (mi->trim_da > 0 && mi->trim_da < k)
			k = mi->trim_da < ci->min_da ? ci->min_da : mi->trim_da;
		/* An idle car keeps its minimum, enough to start again. */
		if (mi->idle) {
			k = ci->min_da;
			any_idle = true;
		}
		w.cap[i] = k;
		w.mind[i] = ci->min_da;
		if (mi->offer_da > 0 && ci->online && ci->demand && !mi->idle) {
			if (k >= ci->min_da)
				wtake(&w, run_need, (uint32_t)i, ci->min_da);
			else {
				if (!any_low)
					memset(run_low, 0, sizeof(run_low));
				any_low = true;
				wtake(&w, run_low, (uint32_t)i, ci->min_da);
			}
		}
		/* admissible()'s questions that admission's order does not
		 * change */
		w.pre[i] = (uint8_t)((ci->online && ci->demand ? P_WANTS : 0) |
		    (mi->offer_da <= 0 && mi->since_ms != 0 && !mi->cut &&
		    now - mi->since_ms < s->min_pause_ms ? P_RESTS : 0) |
		    (mi->idle ? P_IDLE : 0));
		/* The minimum-run time protects the running. */
		keep = mi->offer_da > 0 && now - mi->since_ms < s->min_run_ms;
		if (keep)
			w.flag[i] = F_KEEP;
		w.key[i] = admission_key(ci, keep, mi->offer_da == 0 && mi->cut,
		    mi->offer_da > 0, (uint32_t)i);
	}
	limits_of(s, &res, ev, o);
	alloc_res_hard(&res, o, hard);
	memset(adm.cache, 0, (size_t)(res.n + 1) * sizeof(adm.cache[0]));
	zero = any_offline && s->strategy == STRATEGY_ZERO;
	minimise = any_offline && s->strategy == STRATEGY_MINIMISE;
	if (minimise)
		for (size_t i = 0; i < n; i++)
			w.cap[i] = w.mind[i];
	if (n > 0)
		sort_u64(w.key, w.tmp, n);
	for (size_t i = 0; i < n; i++)
		w.order[i] = (uint32_t)(w.key[i] & ((1u << IDX_BITS) - 1));

	/* Can every fuse carry every running car at its minimum? If not,
	 * the ones that stop now are cut by the supply, not paused by
	 * rotation: they come back as soon as it allows, without the
	 * minimum pause (their charger still keeps its contactor's minimum
	 * open time). (The demand target is an average over minutes: a
	 * car it pauses rests like one paused by rotation.) A cap below the
	 * minimum counts only where the strategy sets every cap to it. */
	for (int x = 0; x < res.n; x++)
		if (used[x] + run_need[x] + (minimise && any_low ? run_low[x] :
		    0) > hard[x] && x != res.power)
			running_fits = false;
	memcpy(used_soft, used, sizeof(used_soft));
	adm.s = s;
	adm.o = o;
	adm.wk = &w;
	adm.used = used;
	adm.hard = hard;
	adm.used_soft = used_soft;
	adm.now = now;
	adm.zero = zero;
	for (size_t r = 0; r < n; r++) {
		uint32_t i = w.order[r];
		uint8_t	 pre = w.pre[i];
		int32_t	 min = w.mind[i], room;
		struct conn_why *y = why ? &why[i] : &scratch;
		int	 x;

		offers[i] = 0;
		/* idle cars: last, in what the others leave (below) */
		if (pre & P_IDLE) {
			w.order[norder++] = i;
			continue;
		}
		/* admissible(), from what the walk read: the connector and
		 * its memory only where green mode needs them */
		why_set(y, REASON_NONE, -1, 0);
		if (!(pre & P_WANTS))
			continue;
		if (w.cap[i] < min || zero) {
			why_set(y, zero ? REASON_OFFLINE_ZERO :
			    REASON_BELOW_MINIMUM, -1, 0);
			continue;
		}
		if (pre & P_RESTS) {
			why_set(y, REASON_ROTATION_REST, -1,
			    m[i].since_ms + s->min_pause_ms);
			continue;
		}
		x = wtightest_admit(&w, used, hard, i, &room);
		if (room < min) {
			why_full_cached(s, o, &res, hard, x, true, adm.cache,
			    y);
			continue;	/* the fuses first, always */
		}
		if (s->mode == ALLOC_GREEN && !green_admits(&adm, &m[i], i,
		    min, y))
			continue;
		w.flag[i] |= F_ADMITTED;
		w.byroom[nadm++] = i;
		w.order[norder++] = i;
		offers[i] = min;
		wtake(&w, used, i, min);
		w.tight_now++;
		take(used_soft, w.mask[i], min);
	}

	/* Fill limits: the fuses; at the supply, in hybrid and green, the
	 * surplus, but the admitted minimums always stand. */
	memcpy(lim, hard, sizeof(lim));
	for (int p = 0; p < EVG_PHASES; p++) {
		lim[p] = o->soft_da[p] > used[p] ? o->soft_da[p] : used[p];
		if (lim[p] > o->hard_da[p])
			lim[p] = o->hard_da[p];
		o->fill_da[p] = lim[p];
	}
	nprio = classes(&w, c, nadm, end);
	fill_all(&w, m, nprio, end, lim, used, offers, true);
	/* Idle cars last, at their minimum, in what the others left. */
	w.tight_now++;	/* the filling moved used */
	adm.used_soft = used;
	for (size_t r = 0; r < norder && any_idle; r++) {
		uint32_t i = w.order[r];

		if (!m[i].idle || !admissible(&adm, &c[i], &m[i], i,
		    why ? &why[i] : &scratch))
			continue;
		offers[i] = c[i].min_da;
		wtake(&w, used, i, c[i].min_da);
		w.tight_now++;
	}
	/* The phase balance; what it frees goes to the others (three-phase
	 * cars, cars on the lighter phases), then it is checked again. */
	memcpy(w.cap0, w.cap, n * sizeof(int32_t));
	if (s->imbalance_da > 0 || res.nc > 1) {
		if (balance(s, c, m, norder, &w, o, used, offers)) {
			fill_all(&w, m, nprio, end, lim, used, offers, false);
			(void)balance(s, c, m, norder, &w, o, used, offers);
			balance_topup(s, &w, norder, o, lim, used, offers,
			    w.cap0);
		}
	}

	if (why != NULL)	/* explain()'s, against lim */
		memset(adm.cache, 0, (size_t)(res.n + 1) * sizeof(adm.cache[0]));
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
		if (why != NULL)
			explain(s, &c[i], &m[i], (uint32_t)i, now, &w, lim,
			    used, offers, o, minimise, adm.cache, &why[i]);
	}
	for (int p = 0; p < EVG_PHASES; p++)
		o->used_da[p] = used[p];
	for (int id = 0; id < res.nc; id++)
		for (int p = 0; p < EVG_PHASES; p++)
			o->c_used_da[id][p] = used[id * EVG_PHASES + p];
	o->power_used_da = res.power >= 0 ? used[res.power] : 0;
}
