/*
 * energy.c: energy and sessions per local day or month. A session
 * counts whole in the period in which it ended (docs/api.md, GET
 * /api/energy): its energy is not spread over the hours it lasted, as
 * a car draws it unevenly, and each session stays on one line, as in the
 * sessions' CSV. One in progress counts with its energy so far in the
 * period of its last save.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "energy.h"

int
energy_group_parse(const char *s, enum energy_group *g)
{
	if (strcmp(s, "day") == 0)
		*g = ENERGY_DAY;
	else if (strcmp(s, "month") == 0)
		*g = ENERGY_MONTH;
	else
		return -1;
	return 0;
}

/*
 * The local day or month that holds an instant. Its bounds come from
 * mktime() on the calendar fields, so a day of a change to or from
 * summer time lasts 23 or 25 hours, and a period ends exactly where the
 * next one starts (both are the same mktime() of the same fields), even
 * where midnight itself is skipped. 0, or -1 outside time_t's calendar.
 */
int
energy_period_of(int64_t ms, enum energy_group g, struct energy_period *out)
{
	time_t	 t = (time_t)(ms / 1000), s, e;
	struct tm now, a, b;

	if (ms < 0 || localtime_r(&t, &now) == NULL)
		return -1;
	memset(&a, 0, sizeof(a));
	a.tm_year = now.tm_year;
	a.tm_mon = now.tm_mon;
	a.tm_mday = g == ENERGY_DAY ? now.tm_mday : 1;
	a.tm_isdst = -1;
	b = a;
	if (g == ENERGY_DAY)
		b.tm_mday++;
	else
		b.tm_mon++;
	if ((s = mktime(&a)) == (time_t)-1 || (e = mktime(&b)) == (time_t)-1 ||
	    e <= s)
		return -1;
	out->start_ms = (int64_t)s * 1000;
	out->end_ms = (int64_t)e * 1000;
	if (strftime(out->label, sizeof(out->label), g == ENERGY_DAY ?
	    "%Y-%m-%d" : "%Y-%m", &now) == 0)
		return -1;
	return 0;
}

/*
 * The whole periods that cover [from_ms, to_ms): the range widened to
 * the start of the first and the end of the last. How many (0 for an
 * empty range), or -1 when there would be more than max or the calendar
 * fails.
 */
int
energy_periods(int64_t from_ms, int64_t to_ms, enum energy_group g,
    struct energy_period *out, int max)
{
	struct energy_period p;
	int	 n = 0;

	if (from_ms >= to_ms)
		return 0;
	if (energy_period_of(from_ms, g, &p) != 0)
		return -1;
	while (p.start_ms < to_ms) {
		if (n == max)
			return -1;
		out[n++] = p;
		if (energy_period_of(p.end_ms, g, &p) != 0)
			return -1;
	}
	return n;
}

/* The instant that places a session: its end, or its last save. */
int64_t
energy_when(const struct energy_row *r)
{
	return r->in_progress ? r->updated_ms : r->end_ms;
}

/* The period that holds an instant, or -1 (periods in order, contiguous). */
int
energy_find(const struct energy_period *p, int n, int64_t ms)
{
	int	 lo = 0, hi = n - 1;

	if (n == 0 || ms < p[0].start_ms || ms >= p[n - 1].end_ms)
		return -1;
	while (lo < hi) {
		int	 mid = lo + (hi - lo + 1) / 2;

		if (p[mid].start_ms <= ms)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/*
 * Counts a session into cells[] (one per period): its period's index, or
 * -1 when it falls outside them (then nothing changes).
 */
int
energy_add(const struct energy_period *p, int n, struct energy_cell *cells,
    const struct energy_row *r)
{
	int	 i = energy_find(p, n, energy_when(r));

	if (i < 0)
		return -1;
	cells[i].energy_wh += r->energy_wh;
	cells[i].sessions++;
	return i;
}

/* --- the table of series x periods ------------------------------------ */

void
energy_table_init(struct energy_table *t, const struct energy_period *per,
    int n)
{
	memset(t, 0, sizeof(*t));
	t->per = per;
	t->nper = n;
}

void
energy_table_free(struct energy_table *t)
{
	for (int i = 0; i < t->nkey; i++)
		free(t->key[i]);
	free(t->key);
	free(t->keyslot);
	free(t->cell);
	free(t->cellslot);
	memset(t, 0, sizeof(*t));
}

/* FNV-1a, 32 bits */
static uint32_t
hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static uint32_t
hash_cell(int series, int period)
{
	return ((uint32_t)series * 2654435761u) ^ ((uint32_t)period *
	    40503u);
}

/*
 * An open-addressed index of n entries (n + 1 in a slot, 0 empty) with
 * room for twice as many slots as entries, rebuilt at double the size
 * when it fills: 0, or -1 when memory runs out.
 */
static int
slots_grow(int **slot, int count, int *cap, void *ctx,
    uint32_t (*hash)(void *, int))
{
	int	*ns, ncap;

	if (count < *cap / 2)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	if ((ns = calloc((size_t)ncap, sizeof(*ns))) == NULL)
		return -1;
	for (int i = 0; i < count; i++) {
		uint32_t j = hash(ctx, i) & (uint32_t)(ncap - 1);

		while (ns[j] != 0)
			j = (j + 1) & (uint32_t)(ncap - 1);
		ns[j] = i + 1;
	}
	free(*slot);
	*slot = ns;
	*cap = ncap;
	return 0;
}

static uint32_t
key_hash(void *ctx, int i)
{
	return hash_str(((struct energy_table *)ctx)->key[i]);
}

static uint32_t
cell_hash(void *ctx, int i)
{
	const struct energy_cell *c = &((struct energy_table *)ctx)->cell[i];

	return hash_cell(c->series, c->period);
}

/* The series of a key, added when new: its index, or -1 (memory). */
static int
series_of(struct energy_table *t, const char *key)
{
	uint32_t j;
	char	**nk, *copy;

	if (slots_grow(&t->keyslot, t->nkey, &t->keycap, t, key_hash) != 0)
		return -1;
	for (j = hash_str(key) & (uint32_t)(t->keycap - 1);
	    t->keyslot[j] != 0; j = (j + 1) & (uint32_t)(t->keycap - 1))
		if (strcmp(t->key[t->keyslot[j] - 1], key) == 0)
			return t->keyslot[j] - 1;
	/* the key array grows with the slots: keycap / 2 entries */
	if ((nk = realloc(t->key, sizeof(*nk) * (size_t)(t->keycap / 2))) ==
	    NULL)
		return -1;
	t->key = nk;
	if ((copy = strdup(key)) == NULL)
		return -1;
	t->key[t->nkey] = copy;
	t->keyslot[j] = ++t->nkey;
	return t->nkey - 1;
}

/*
 * Counts a session into its series' cell of its period: the period's
 * index, -1 when it falls outside the periods (nothing changes), -2 when
 * memory runs out.
 */
int
energy_table_add(struct energy_table *t, const char *key,
    const struct energy_row *r)
{
	int	 p = energy_find(t->per, t->nper, energy_when(r)), s;
	uint32_t j;
	struct energy_cell *c;

	if (p < 0)
		return -1;
	if ((s = series_of(t, key)) < 0 ||
	    slots_grow(&t->cellslot, t->ncell, &t->cellcap, t, cell_hash) != 0)
		return -2;
	for (j = hash_cell(s, p) & (uint32_t)(t->cellcap - 1);
	    t->cellslot[j] != 0; j = (j + 1) & (uint32_t)(t->cellcap - 1)) {
		c = &t->cell[t->cellslot[j] - 1];
		if (c->series == s && c->period == p)
			break;
	}
	if (t->cellslot[j] == 0) {
		if ((c = realloc(t->cell, sizeof(*c) * (size_t)(t->cellcap /
		    2))) == NULL)
			return -2;
		t->cell = c;
		c = &t->cell[t->ncell];
		*c = (struct energy_cell){ .series = s, .period = p };
		t->cellslot[j] = ++t->ncell;
	}
	c->energy_wh += r->energy_wh;
	c->sessions++;
	return p;
}

/* cells by series (already renumbered in the keys' order), then period */
static int
cell_cmp(const void *a, const void *b)
{
	const struct energy_cell *x = a, *y = b;

	if (x->series != y->series)
		return x->series < y->series ? -1 : 1;
	return (x->period > y->period) - (x->period < y->period);
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The cells in the order of their series' keys (byte order), then of
 * their periods; the series renumbered in that order. The hash indexes
 * are dropped: add nothing after sorting.
 */
void
energy_table_sort(struct energy_table *t)
{
	char	**old = t->key;
	int	*rank;

	free(t->keyslot);
	free(t->cellslot);
	t->keyslot = t->cellslot = NULL;
	t->keycap = t->cellcap = 0;
	if (t->nkey == 0)
		return;
	if ((t->key = malloc(sizeof(*t->key) * (size_t)t->nkey)) == NULL ||
	    (rank = malloc(sizeof(*rank) * (size_t)t->nkey)) == NULL) {
		/* unsorted, but whole */
		free(t->key);
		t->key = old;
		return;
	}
	memcpy(t->key, old, sizeof(*t->key) * (size_t)t->nkey);
	qsort(t->key, (size_t)t->nkey, sizeof(*t->key), key_cmp);
	for (int i = 0; i < t->nkey; i++) {
		char	**k = bsearch(&old[i], t->key, (size_t)t->nkey,
		    sizeof(*t->key), key_cmp);

		rank[i] = (int)(k - t->key);
	}
	for (int i = 0; i < t->ncell; i++)
		t->cell[i].series = rank[t->cell[i].series];
	qsort(t->cell, (size_t)t->ncell, sizeof(*t->cell), cell_cmp);
	free(rank);
	free(old);
}
