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
	/* Each connector's resources as a list (rl + rlo[i]: how many
	 * circuits, then each one's first phase, the supply's first), one
	 * list for each circuit and phases used, made once a cycle
	 * (res_list()) */
	uint32_t	*rlo;
	uint16_t	*combo;		/* circuit * 8 + mask, its list's */
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
/* a list: its length, then every circuit up to the supply */
#define RL_LIST_MAX	(1 + ALLOC_CIRCUITS_MAX)

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
	    4 * sizeof(int32_t) + sizeof(uint16_t) + 6) + RL_COMBOS * (3 * sizeof(uint32_t) +
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
	w->combo = (uint16_t *)(w->tight_x + RL_COMBOS);
	w->mask = (uint8_t *)(w->combo + n);
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
 * circuit and every one above it, the supply first (on a tie the
 * circuit highest up binds: res_tightest()), as the index of each one's
 * first phase; none for an empty mask. Made once a cycle (res_list()).
 * The walks below take the phases of the mask in each: three additions
 * or comparisons without a branch a phase, so that the walk's length
 * is the tree's depth, the same for most connectors (a list per phase
 * had lengths that differed from one connector to the next, and the
 * loop's end was mispredicted at every call). */
static void
res_list_make(struct work *w, uint32_t combo)
{
	const struct alloc_res *r = w->res;
	uint8_t	 path[ALLOC_CIRCUITS_MAX], *l;
	int	 depth = 0, id = (int)(combo / 8);

	for (;;) {
		path[depth++] = (uint8_t)id;
		if (id == 0)
			break;
		id = r->parent[id];
	}
	l = w->rl + w->rl_len;
	l[0] = 0;
	while (depth > 0 && (combo & 7) != 0)
		l[1 + l[0]++] = (uint8_t)(path[--depth] * EVG_PHASES);
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
	w->combo[i] = (uint16_t)combo;
}

/* res_take() of connector i, by its list. */
static inline void
wtake(const struct work *w, int32_t *used, uint32_t i, int32_t add)
{
	const uint8_t *l = w->rl + w->rlo[i];
	uint8_t	 m = w->mask[i];
	int32_t	 a0 = (m & 1) ? add : 0, a1 = (m & 2) ? add : 0,
		 a2 = (m & 4) ? add : 0;

	for (int j = 1; j <= l[0]; j++) {
		int32_t	*u = used + l[j];

		u[0] += a0;
		u[1] += a1;
		u[2] += a2;
	}
	if (w->res->power >= 0)
		used[w->res->power] += add * phases_of[w->mask[i] & 7].n;
}

/* res_tightest() of connector i, by its list. */
static inline int
wtightest(const struct work *w, const int32_t *used, const int32_t *lim,
    uint32_t i, int32_t *room)
{
	const uint8_t *l = w->rl + w->rlo[i];
	uint8_t	 m = w->mask[i];
	int	 best = -1, k = phases_of[m & 7].n, power = w->res->power;
	int32_t	 least = INT32_MAX;

	/* the phases in order; one not in the mask never binds */
	for (int j = 1; j <= l[0]; j++)
		for (int p = 0; p < EVG_PHASES; p++) {
			int	 x = l[j] + p;
			int32_t	 left = (m >> p & 1) ? lim[x] - used[x] :
			    INT32_MAX;

			if (left < least) {
				least = left;
				best = x;
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
	uint32_t combo = w->combo[i];

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
	uint8_t	 m = w->mask[i];
	int	 k = phases_of[m & 7].n, power = w->res->power;

	for (int j = 1; j <= l[0]; j++) {
		const int32_t *u = used + l[j], *c = lim + l[j];

		/* (64 bits: a phase outside the mask is compared too) */
		if (((m & 1) & ((int64_t)c[0] - u[0] < add)) |
		    ((m >> 1 & 1) & ((int64_t)c[1] - u[1] < add)) |
		    ((m >> 2 & 1) & ((int64_t)c[2] - u[2] < add)))
			return false;
	}
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
#define IDX_MASK	((1u << IDX_BITS) - 1)
/* The widest digit of a counting pass: 2048 counters (8 KB of stack). */
#define SORT_DIGIT_MAX	11

/*
 * How many counting passes sort n keys whose values span `bits` bits:
 * each pass walks the keys twice (counting, then placing, about 20
 * instructions a key) and its counters twice (clearing, then summing,
 * about 4 a counter): as few passes as the counters allow, one more while
 * it costs less. A thousand keys of 17 bits: two passes; a class of a
 * hundred cars by headroom (9 bits): one. Returns 0 where an insertion
 * sort costs less (a few keys: about 1.5 n^2 instructions).
 */
static int
sort_passes(size_t n, int bits)
{
	uint64_t best_cost = (uint64_t)n * n * 3 / 2, last = UINT64_MAX;
	int	 best = 0;

	for (int p = (bits + SORT_DIGIT_MAX - 1) / SORT_DIGIT_MAX; p <= bits;
	    p++) {
		uint64_t cost = (uint64_t)p * n * 20;

		for (int k = 0, left = bits; k < p; k++) {
			int	 d = (left + p - k - 1) / (p - k);

			cost += (uint64_t)4 << d;
			left -= d;
		}
		if (cost >= last)	/* past the cheapest */
			break;
		last = cost;
		if (cost < best_cost) {
			best_cost = cost;
			best = p;
		}
	}
	return best;
}

/* Insertion sort, stable on the values (key >> IDX_BITS): a key moves
 * past those of a higher value only, whatever their index. */
static void
sort_insert(uint64_t *a, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint64_t v = a[i], top = v | IDX_MASK;
		size_t	 j = i;

		for (; j > 0 && a[j - 1] > top; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

/*
 * Stable counting sort of n keys by their value (key >> IDX_BITS) - lo,
 * at most span << skip (span >= 1; the low skip bits the same in every
 * value), lowest digit first, in p passes (sort_passes(), p >= 1) of
 * about equal width (one pass counts only up to span). With order, the
 * last pass writes only the keys' indices there (a and tmp are left as
 * scratch); without, the keys end sorted in a.
 */
static void
sort_by_value(uint64_t *a, uint64_t *tmp, size_t n, uint64_t lo,
    uint64_t span, int skip, int p, uint32_t *order)
{
	uint32_t count[1u << SORT_DIGIT_MAX];
	uint64_t *src = a, *dst = tmp, *t;
	int	 bits = 64 - __builtin_clzll(span), s = skip;

	for (int k = 0; k < p; k++) {
		int	 d = (bits + skip - s + p - k - 1) / (p - k);
		uint32_t m = (1u << d) - 1, sum = 0, top = p == 1 ?
		    (uint32_t)span : m;

		memset(count, 0, ((size_t)top + 1) * sizeof(count[0]));
		for (size_t i = 0; i < n; i++)
			count[((src[i] >> IDX_BITS) - lo) >> s & m]++;
		for (uint32_t b = 0; b <= top; b++) {
			uint32_t c = count[b];

			count[b] = sum;
			sum += c;
		}
		if (order != NULL && k == p - 1) {
			for (size_t i = 0; i < n; i++)
				order[count[((src[i] >> IDX_BITS) - lo) >> s &
				    m]++] = (uint32_t)(src[i] & IDX_MASK);
			return;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[((src[i] >> IDX_BITS) - lo) >> s & m]++] =
			    src[i];
		t = src;
		src = dst;
		dst = t;
		s += d;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
}

/*
 * Sorts keys by the bits above the low IDX_BITS (the connector's index),
 * stably: ties stay in the order they came in (index order, when the
 * keys do; the filling's headrooms do not, and its ties stop at the same
 * level in any order). Insertion sort for a few, else a counting sort on
 * the values' span between the smallest and the largest (a class's
 * headrooms or offers: a few hundred values, one pass). No callbacks.
 */
static void
sort_u64(uint64_t *a, uint64_t *tmp, size_t n)
{
	uint64_t min, max, any, all, span;
	int	 skip, p;

	if (n < 16) {
		sort_insert(a, n);
		return;
	}
	min = max = any = all = a[0];
	for (size_t i = 1; i < n; i++) {
		min = a[i] < min ? a[i] : min;
		max = a[i] > max ? a[i] : max;
		any |= a[i];
		all &= a[i];
	}
	span = (max >> IDX_BITS) - (min >> IDX_BITS);
	if (span == 0)
		return;
	/* the low bits the values share (headrooms of whole amperes) */
	skip = __builtin_ctzll((any ^ all) >> IDX_BITS);
	p = sort_passes(n, 64 - __builtin_clzll(span >> skip));
	if (p == 0)
		sort_insert(a, n);
	else
		sort_by_value(a, tmp, n, min >> IDX_BITS, span >> skip, skip,
		    p, NULL);
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
	/* the priority from -16384 (0) to 16383 (32767), the rest beyond */
	uint32_t up = (uint32_t)c->priority + 16384;
	uint64_t wh = c->session_wh + (uint64_t)!running * ALLOC_ROTATE_GAP_WH;

	if (up > 32767)
		up = c->priority < 0 ? 0 : 32767;
	wh = wh > 0x7FFFFF ? 0x7FFFFF : wh;
	return (uint64_t)((uint32_t)!keep << 16 | (32767 - up) << 1 |
	    (uint32_t)cut) << 47 | wh << IDX_BITS | i;
}

/*
 * The admission order, into w->order, from the n keys of admission_key()
 * in w->key; any and all: the keys ORed and ANDed. Of each of a key's
 * fields (energy, cut, priority, kept) only the bits from the highest to
 * the lowest that differ between keys count, side by side: that orders
 * the keys as the whole key does, in fewer bits (on a site of a thousand
 * cars of two priorities, 17 bits: two counting passes rather than
 * three of a byte).
 */
static void
admission_order(struct work *w, size_t n, uint64_t any, uint64_t all)
{
	/* admission_key()'s fields, lowest first: first bit, width */
	static const int fb[4] = { IDX_BITS, 47, 48, 63 }, fw[4] = { 23, 1,
	    15, 1 };
	uint32_t c0[1u << SORT_DIGIT_MAX], c1[1u << SORT_DIGIT_MAX], s0, s1;
	uint64_t diff = any ^ all, rm[4] = { 0 }, m0, m1;
	/* run r: the key's bits rs[r].. go to the value's rp[r]..; a run
	 * is never above where it was (rp[r] <= rs[r] - IDX_BITS) */
	int	 rs[4] = { 0 }, rp[5] = { 0 }, nr = 0, bits = 0, d0, p;

	if (n < 16) {	/* a few: the whole keys, already in index order */
		sort_insert(w->key, n);
		for (size_t i = 0; i < n; i++)
			w->order[i] = (uint32_t)(w->key[i] & IDX_MASK);
		return;
	}
	for (int f = 0; f < 4; f++) {
		uint64_t d = diff >> fb[f] & ((UINT64_C(1) << fw[f]) - 1);
		int	 lo, width;

		if (d == 0)
			continue;
		lo = __builtin_ctzll(d);
		width = 64 - __builtin_clzll(d) - lo;
		/* a run of bits that goes on from the one below: one */
		if (nr > 0 && rs[nr - 1] + rp[nr] - rp[nr - 1] == fb[f] + lo)
			nr--;
		else {
			rs[nr] = fb[f] + lo;
			rp[nr] = bits;
		}
		bits += width;
		rp[nr + 1] = bits;
		nr++;
	}
	if (bits == 0) {	/* the same but for the index */
		for (size_t i = 0; i < n; i++)
			w->order[i] = (uint32_t)i;
		return;
	}
	/* each run in place in one shift and one mask */
	for (int r = 0; r < nr; r++) {
		rm[r] = ((UINT64_C(1) << (rp[r + 1] - rp[r])) - 1) << rp[r];
		rs[r] -= rp[r];
	}
	p = sort_passes(n, bits);
	if (p == 0) {	/* as above */
		sort_insert(w->key, n);
		for (size_t i = 0; i < n; i++)
			w->order[i] = (uint32_t)(w->key[i] & IDX_MASK);
		return;
	}
	if (p > 2) {
		for (size_t i = 0; i < n; i++) {
			uint64_t k = w->key[i];

			w->key[i] = ((k >> rs[0] & rm[0]) |
			    (k >> rs[1] & rm[1]) | (k >> rs[2] & rm[2]) |
			    (k >> rs[3] & rm[3])) << IDX_BITS | i;
		}
		sort_by_value(w->key, w->tmp, n, 0, (UINT64_C(1) << bits) - 1,
		    0, p, w->order);
		return;
	}
	/* One or two passes (a digit of d0 bits, then the rest), both
	 * counted while the keys are packed: a key becomes its high digit
	 * << 32 | its low one, and its index goes along in the low half once
	 * the low digit has been used. */
	d0 = p == 2 ? (bits + 1) / 2 : bits;
	m0 = (UINT64_C(1) << d0) - 1;
	m1 = (UINT64_C(1) << (bits - d0)) - 1;
	memset(c0, 0, (m0 + 1) * sizeof(c0[0]));
	memset(c1, 0, (m1 + 1) * sizeof(c1[0]));
	if (nr == 1)
		for (size_t i = 0; i < n; i++) {
			uint64_t v = w->key[i] >> rs[0] & rm[0];

			c0[v & m0]++;
			c1[v >> d0]++;
			w->key[i] = (v >> d0) << 32 | (v & m0);
		}
	else if (nr == 2)
		for (size_t i = 0; i < n; i++) {
			uint64_t k = w->key[i], v;

			v = (k >> rs[0] & rm[0]) | (k >> rs[1] & rm[1]);
			c0[v & m0]++;
			c1[v >> d0]++;
			w->key[i] = (v >> d0) << 32 | (v & m0);
		}
	else
		for (size_t i = 0; i < n; i++) {
			uint64_t k = w->key[i], v;

			v = (k >> rs[0] & rm[0]) | (k >> rs[1] & rm[1]) |
			    (k >> rs[2] & rm[2]) | (k >> rs[3] & rm[3]);
			c0[v & m0]++;
			c1[v >> d0]++;
			w->key[i] = (v >> d0) << 32 | (v & m0);
		}
	s0 = s1 = 0;
	for (uint64_t b = 0; b <= m0; b++) {
		uint32_t c = c0[b];

		c0[b] = s0;
		s0 += c;
	}
	for (uint64_t b = 0; b <= m1; b++) {
		uint32_t c = c1[b];

		c1[b] = s1;
		s1 += c;
	}
	if (d0 == bits) {
		for (size_t i = 0; i < n; i++)
			w->order[c0[w->key[i]]++] = (uint32_t)i;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t k = w->key[i];

		w->tmp[c0[(uint32_t)k]++] = (k & ~UINT64_C(0xFFFFFFFF)) | i;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t k = w->tmp[i];

		w->order[c1[k >> 32]++] = (uint32_t)k;
	}
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
	int32_t d0 = c->draw_da[0] & -(int32_t)(mask & 1),
		 d1 = c->draw_da[1] & -(int32_t)(mask >> 1 & 1),
		 d2 = c->draw_da[2] & -(int32_t)(mask >> 2 & 1), d = 0;

	d = d0 > d ? d0 : d;
	d = d1 > d ? d1 : d;
	return d2 > d ? d2 : d;
}

/* wired: alloc_wired(c->phase) */
static inline void
learn(const struct alloc_site *s, const struct alloc_conn *c,
    struct alloc_memo *m, uint64_t now, uint8_t wired)
{
	uint8_t	 hot = 0, cold = 0;

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

static inline void
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

/* The largest difference between three phases' currents. */
static int32_t
spread3(int32_t a, int32_t b, int32_t c)
{
	int32_t	 hi = a > b ? a : b, lo = a < b ? a : b;

	return (c > hi ? c : hi) - (c < lo ? c : lo);
}

static int32_t
balance_limit(const struct alloc_site *s, int id)
{
	return id == 0 ? s->imbalance_da : s->circuit[id - 1].imbalance_da;
}

/* The circuits that have an unbalanced-load limit, as bits of their ids
 * (the supply's: bit 0): most have none, and a site may have none at all
 * (alloc_compute() balances whenever there are circuits). */
static uint64_t
balance_limited(const struct alloc_site *s, const struct alloc_res *r)
{
	uint64_t a = s->imbalance_da > 0;

	for (int id = 1; id < r->nc; id++)
		a |= (uint64_t)(s->circuit[id - 1].imbalance_da > 0) << id;
	return a;
}

/* One balance() call's cars: those offered current on one or two phases
 * (offers only fall here, so no other car can widen a gap, and a car
 * paused here stays so), in admission order, chained by the phases they
 * charge on: only two sets of phases widen a gap. Those it lowered, each
 * once (F_LOWERED). One step's candidates (wideners()): the cars, their
 * offers before it and their minimums, side by side in admission order. */
#define BAL_END		UINT32_MAX

struct bal {
	const uint32_t	*run;		/* w->order: the chains hold places
					 * in it */
	uint32_t	*next;		/* the next on the same phases */
	uint32_t	 head[8];	/* the first on each set of phases */
	uint32_t	*low;
	size_t		 nlow;
	uint32_t	*cand;
	int32_t		*before, *min;
};

/* Lists the cars of circuit id that widen the gap between hi and lo (on
 * hi, alone or with the third phase, not on lo) and are offered current
 * (b->cand, before, min): the two chains merged in admission order, the
 * cars paused since dropped from them. Returns how many. */
static size_t
wideners(const struct work *w, struct bal *b, const int32_t *offers, int id,
    int hi, int lo)
{
	const uint64_t *anc = w->res->anc;
	unsigned one = 1u << hi, two = one | 1u << (3 - hi - lo);
	/* each chain's link to the car looked at next */
	uint32_t *pa = &b->head[one], *pb = &b->head[two];
	size_t	 nc = 0;

	while (*pa != BAL_END || *pb != BAL_END) {
		uint32_t **pp = *pa < *pb ? &pa : &pb, k = **pp, i = b->run[k];

		if (offers[i] == 0) {
			**pp = b->next[k];
			continue;
		}
		*pp = &b->next[k];
		if (!(anc[w->circ[i]] >> id & 1))
			continue;
		b->cand[nc] = i;
		b->before[nc] = offers[i];
		b->min[nc++] = w->mind[i];
	}
	return nc;
}

/* What lowering candidates (b, nc of them) to level frees: each above
 * it down to it, none below its minimum. */
static int32_t
balance_frees(const struct bal *b, size_t nc, int32_t level)
{
	int32_t	 got = 0;

	for (size_t k = 0; k < nc; k++) {
		int32_t	 to = level > b->min[k] ? level : b->min[k];

		got += b->before[k] > to ? b->before[k] - to : 0;
	}
	return got;
}

static void
lower(struct work *w, struct bal *b, int32_t *used, int32_t *offers,
    uint32_t i, int32_t to, int id, int hi)
{
	wtake(w, used, i, to - offers[i]);
	offers[i] = to;
	if (!(w->flag[i] & F_LOWERED))
		b->low[b->nlow++] = i;
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
balance_once(const struct alloc_memo *m, struct bal *b, struct work *w,
    const struct alloc_out *o, int32_t *used, int32_t *offers, int id,
    int32_t limit)
{
	const uint32_t *cand = b->cand;
	int32_t	 excess, lo_l = 0, hi_l = 0, got = 0, min_hi = 0;
	int64_t	 sum = 0, most = 0, from;
	size_t	 nc;
	int	 hi, lo;

	excess = gap(o, used, id, limit, &hi, &lo);
	if (excess <= 0 || (nc = wideners(w, b, offers, id, hi, lo)) == 0)
		return false;
	for (size_t k = 0; k < nc; k++) {
		hi_l = b->before[k] > hi_l ? b->before[k] : hi_l;
		min_hi = b->min[k] > min_hi ? b->min[k] : min_hi;
		sum += b->before[k];
		most += b->before[k] > b->min[k] ? b->before[k] - b->min[k] : 0;
	}
	/* the level L: the highest at which the offers above it, cut to it
	 * (none below its minimum), free enough (0: none does). Where to
	 * look first: nc cars free at most nc times what the highest offer
	 * is above L, and never more than all above their minimums; once L
	 * is above every minimum, at least all the offers less nc times L.
	 * Then a binary search between. */
	hi_l -= (int32_t)(((int64_t)excess + (int64_t)nc - 1) / (int64_t)nc);
	hi_l = hi_l > 0 && most >= excess ? hi_l : 0;
	from = (sum - excess) / (int64_t)nc;
	if (sum >= excess && from >= min_hi && from <= hi_l)
		lo_l = (int32_t)from;
	while (lo_l < hi_l) {
		int32_t	 mid = lo_l + (hi_l - lo_l + 1) / 2;

		if (balance_frees(b, nc, mid) >= excess)
			lo_l = mid;	/* enough: maybe higher */
		else
			hi_l = mid - 1;
	}
	got = 0;
	for (size_t k = 0; k < nc; k++) {
		uint32_t i = cand[k];
		int32_t	 to = lo_l > b->min[k] ? lo_l : b->min[k];

		if (offers[i] <= to)
			continue;
		got += offers[i] - to;
		lower(w, b, used, offers, i, to, id, hi);
	}
	/* Lowered to a level: what that frees beyond the excess goes
	 * back, 0.1 A each (fewer than those lowered to it), so that the
	 * gap is the limit exactly: first to those that had more last
	 * cycle, then in admission order, so that the odd 0.1 A stays
	 * where it was rather than going round the cars (a setpoint change
	 * every cycle, each raise before the lowered car has followed).
	 * Lowered in this step: it had more before (room). */
	for (int pass = 0; pass < 2; pass++)
		for (size_t k = 0; k < nc && got > excess; k++) {
			uint32_t i = cand[k];

			if (b->before[k] <= lo_l || offers[i] != lo_l ||
			    lo_l < b->min[k] ||
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
		lower(w, b, used, offers, i, 0, id, hi);
	}
	/* A pause frees a whole minimum: the rest goes back to those
	 * still running, 0.1 A each in turn, up to what they had. */
	for (bool more = true; more && got > excess;) {
		more = false;
		for (size_t k = 0; k < nc && got > excess; k++) {
			uint32_t i = cand[k];

			if (offers[i] == 0 || offers[i] >= b->before[k])
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
	uint64_t limited = balance_limited(s, r);
	bool	 changed = false, again = true;
	/* free until the refill: the sort's keys and scratch, and the
	 * filling's */
	uint32_t *low = (uint32_t *)w->tmp;
	struct bal b = { .run = w->order, .next = (uint32_t *)w->key,
	    .low = low, .cand = w->byroom, .before = w->room,
	    .min = (int32_t *)(low + n) };

	(void)c;	/* the minimums: w->mind */
	if (limited == 0)
		return false;
	/* each chain made from its end: the last admitted first */
	for (int k = 0; k < 8; k++)
		b.head[k] = BAL_END;
	for (size_t k = n; k-- > 0;) {
		uint32_t i = w->order[k];
		uint8_t	 mask = w->mask[i] & 7;

		/* a car on every phase, or none, widens no gap */
		if ((uint8_t)(mask - 1) < 6 && offers[i] > 0) {
			b.next[k] = b.head[mask];
			b.head[mask] = (uint32_t)k;
		}
	}

	for (int sweep = 0; again && sweep < BALANCE_SWEEPS; sweep++) {
		again = false;
		/* the deepest first: a child's id is above its parent's */
		for (uint64_t a = limited; a != 0;) {
			int	 id = 63 - __builtin_clzll(a);
			int32_t	 limit = balance_limit(s, id);

			a &= ~((uint64_t)1 << id);
			for (int k = 0; k < 2 * EVG_PHASES &&
			    balance_once(m, &b, w, o, used, offers, id, limit);
			    k++)
				again = changed = true;
		}
	}
	for (int id = r->nc - 1; again && id >= 0; id--) {
		int32_t	 limit = balance_limit(s, id);
		int	 hi, lo;
		size_t	 nc;

		while (limit > 0 && gap(o, used, id, limit, &hi, &lo) > 0 &&
		    (nc = wideners(w, &b, offers, id, hi, lo)) > 0) {
			for (size_t k = 0; k < nc; k++)
				lower(w, &b, used, offers, b.cand[k], 0, id, hi);
			id = r->nc;	/* from the deepest again */
			break;
		}
	}
	/* What is lowered stays there: its cap. Only the cars lowered in
	 * this call can be below their cap (one lowered by an earlier call
	 * is at it: the filling raises nobody past it, and offers only fall
	 * here). */
	for (size_t k = 0; k < b.nlow; k++) {
		uint32_t i = b.low[k];

		w->flag[i] &= (uint8_t)~F_LOWERED;
		if (offers[i] < w->cap[i])
			w->cap[i] = offers[i];
	}
	return changed;
}

/* Would 0.1 A more for connector i keep every imbalance limit it counts
 * under (or at least not widen a gap already over)? It raises the phases
 * of its mask by 0.1 A in each circuit above it: the gap of each circuit
 * with a limit (limited) is worked out from them, before and after. */
static bool
balance_allows(const struct alloc_site *s, const struct work *w,
    const struct alloc_out *o, const int32_t *used, uint32_t i,
    uint64_t limited)
{
	uint64_t a = w->res->anc[w->circ[i]] & limited;
	int32_t	 d0 = w->mask[i] & 1, d1 = w->mask[i] >> 1 & 1,
		 d2 = w->mask[i] >> 2 & 1;

	while (a != 0) {
		int	 id = __builtin_ctzll(a);
		const int32_t *u = used + id * EVG_PHASES,
			 *b = o->c_nonev_da[id];
		int32_t	 t0 = b[0] + u[0], t1 = b[1] + u[1], t2 = b[2] + u[2],
			 limit = balance_limit(s, id), before, after;

		a &= a - 1;
		before = spread3(t0, t1, t2) - limit;
		after = spread3(t0 + d0, t1 + d1, t2 + d2) - limit;
		if (after > 0 && after > before)
			return false;
	}
	return true;
}

/*
 * balance_topup()'s rounds in which every car of act (nact) would rise
 * again, each in turn: how many of them at least (0: maybe none). A round
 * raises each resource by the cars that count on it (k), so each car's
 * limits hold for as many rounds as its fullest resource has room for
 * them all, and its cap for what it lacks. A gap over a round moves each
 * phase by at most the cars on it: a car's 0.1 A keeps a gap within its
 * limit while the phase that rises most, after a whole round, is within
 * it of the one that rises least, before that round; or it widens no gap
 * while the phases that rise stay below one that does not.
 */
static int32_t
topup_rounds(const struct alloc_site *s, const struct work *w,
    const struct alloc_out *o, const int32_t *lim, const int32_t *used,
    const int32_t *offers, const int32_t *cap, const uint32_t *act,
    size_t nact, uint64_t limited)
{
	const struct alloc_res *r = w->res;
	int32_t	 k[ALLOC_RES_MAX];
	int64_t	 rounds = INT32_MAX;
	uint64_t under = 0;

	memset(k, 0, (size_t)r->n * sizeof(k[0]));
	for (size_t a = 0; a < nact; a++) {
		uint32_t i = act[a];

		wtake(w, k, i, 1);
		under |= r->anc[w->circ[i]];
		if (cap[i] - offers[i] < rounds)
			rounds = cap[i] - offers[i];
	}
	for (int x = 0; x < r->n; x++)
		if (k[x] > 0 && ((int64_t)lim[x] - used[x]) / k[x] < rounds)
			rounds = ((int64_t)lim[x] - used[x]) / k[x];
	for (under &= limited; under != 0 && rounds > 0; under &= under - 1) {
		int	 id = __builtin_ctzll(under);
		const int32_t *c = k + id * EVG_PHASES;
		int64_t	 t[EVG_PHASES], within = INT64_MAX, below = INT64_MAX,
			 top = INT64_MIN;

		for (int p = 0; p < EVG_PHASES; p++) {
			t[p] = (int64_t)o->c_nonev_da[id][p] +
			    used[id * EVG_PHASES + p];
			if (c[p] == 0 && t[p] > top)
				top = t[p];
		}
		for (int p = 0; p < EVG_PHASES; p++) {
			for (int q = 0; q < EVG_PHASES; q++) {
				/* room left by the first round; the rounds
				 * after it take c[p] - c[q] more each */
				int64_t	 d = balance_limit(s, id) -
				    (t[p] - t[q] + c[p]);

				if (d < 0)
					within = 0;
				else if (c[p] > c[q] &&
				    d / (c[p] - c[q]) + 1 < within)
					within = d / (c[p] - c[q]) + 1;
			}
			if (c[p] > 0)
				below = top == INT64_MIN || top < t[p] ? 0 :
				    (top - t[p]) / c[p] < below ?
				    (top - t[p]) / c[p] : below;
		}
		if (within < rounds && below < rounds)
			rounds = within > below ? within : below;
	}
	return rounds > 0 ? (int32_t)rounds : 0;
}

/*
 * After the phase balance: a car lowered for one gap may have room again
 * once others moved. Every running car below its own cap takes 0.1 A at
 * a time, in admission order, while every limit and every gap allows.
 * Where every car still rising rose in a round, the rounds that
 * topup_rounds() finds would all be the same: they are taken at once.
 */
static void
balance_topup(const struct alloc_site *s, struct work *w, size_t n,
    const struct alloc_out *o, const int32_t *lim, int32_t *used,
    int32_t *offers, const int32_t *cap)
{
	uint32_t *act = w->byroom;	/* who may still rise, in order */
	uint64_t limited = balance_limited(s, w->res);
	size_t	 nact = 0;
	bool	 rounds = true;	/* topup_rounds() found some last time */

	for (bool first = true, more = true; more; first = false) {
		/* the first round goes through the admitted cars still
		 * running, then through those that may still rise */
		const uint32_t *from = first ? w->order : act;
		size_t	 nfrom = first ? n : nact, keep = 0, rose = 0;
		int32_t	 more_rounds;

		for (size_t k = 0; k < nfrom; k++) {
			uint32_t i = from[k];

			if (first && (!(w->flag[i] & F_ADMITTED) ||
			    offers[i] <= 0))
				continue;
			/* one that does not fit never will (the limits only
			 * fill up) */
			if (offers[i] >= cap[i] || !wfits(w, used, lim, i, 1))
				continue;
			act[keep++] = i;
			/* a gap may open again as others rise: it stays */
			if (!balance_allows(s, w, o, used, i, limited))
				continue;
			offers[i]++;
			wtake(w, used, i, 1);
			rose++;
		}
		more = rose > 0;
		nact = keep;
		if (rose < nact || !more || !rounds)
			continue;
		more_rounds = topup_rounds(s, w, o, lim, used, offers, cap, act,
		    nact, limited);
		rounds = more_rounds > 0;
		for (size_t k = 0; k < nact && rounds; k++) {
			offers[act[k]] += more_rounds;
			wtake(w, used, act[k], more_rounds);
		}
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
		 /* the running cars at their minimum */
		 run_need[ALLOC_RES_MAX];
	bool	 any_offline = false, any_idle = false, running_fits = true,
		 zero, minimise;
	/* w.order, once admission is done: only the admitted and the idle
	 * cars, still in admission order (nothing else is offered current
	 * this cycle) */
	size_t	 end[64], nadm = 0, norder = 0;
	int	 nprio;
	uint64_t kany = 0, kall = UINT64_MAX;	/* the admission keys' bits */

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
		uint8_t	 wired = alloc_wired(ci->phase);

		learn(s, ci, mi, now, wired);
		w.mask[i] = mi->car_lines ? mi->car_lines : wired;
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
			res_take(&res, used, w.circ[i], wired,
			    alloc_silent_draw(s, ci));
		}
		if (mi->trim_da > 0 && mi->trim_da < k)
			k = mi->trim_da < ci->min_da ? ci->min_da : mi->trim_da;
		/* An idle car keeps its minimum, enough to start again. */
		if (mi->idle) {
			k = ci->min_da;
			any_idle = true;
		}
		/* Never above its maximum: one below its minimum (a charger
		 * rated under the site's minimum, a connector the phase
		 * check holds at 0) cannot run at all (BELOW_MINIMUM), even
		 * idle, trimmed or under the Minimise strategy. */
		if (k > ci->max_da)
			k = ci->max_da;
		w.cap[i] = k;
		w.mind[i] = ci->min_da;
		if (mi->offer_da > 0 && ci->online && ci->demand && !mi->idle &&
		    k >= ci->min_da)
			wtake(&w, run_need, (uint32_t)i, ci->min_da);
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
		kany |= w.key[i];
		kall &= w.key[i];
	}
	limits_of(s, &res, ev, o);
	alloc_res_hard(&res, o, hard);
	memset(adm.cache, 0, (size_t)(res.n + 1) * sizeof(adm.cache[0]));
	zero = any_offline && s->strategy == STRATEGY_ZERO;
	minimise = any_offline && s->strategy == STRATEGY_MINIMISE;
	if (minimise)	/* every cap down to its minimum (not up to it) */
		for (size_t i = 0; i < n; i++)
			if (w.cap[i] > w.mind[i])
				w.cap[i] = w.mind[i];
	admission_order(&w, n, kany, kall);

	/* Can every fuse carry every running car at its minimum? If not,
	 * the ones that stop now are cut by the supply, not paused by
	 * rotation: they come back as soon as it allows, without the
	 * minimum pause (their charger still keeps its contactor's minimum
	 * open time). (The demand target is an average over minutes: a
	 * car it pauses rests like one paused by rotation.) */
	for (int x = 0; x < res.n; x++)
		if (used[x] + run_need[x] > hard[x] && x != res.power)
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
