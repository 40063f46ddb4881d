/*
 * alarmbook.c: the active alarms remembered from one cycle to the next:
 * since when each lasts, who acknowledged it, which are new and which
 * cleared; and how long a phase has been above its limit. Pure: the
 * caller gives the time.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alarms.h"

bool
alarm_same(const struct alarm *a, const char *code, const char *source,
    int connector)
{
	return a->connector == connector && strcmp(a->code, code) == 0 &&
	    strcmp(a->source, source) == 0;
}

static int
find(const struct alarm_book *b, const char *code, const char *source,
    int connector)
{
	for (int i = 0; i < b->n; i++)
		if (alarm_same(&b->a[i], code, source, connector))
			return i;
	return -1;
}

/*
 * An alarm still open in the database at start-up: followed again, with
 * its time and acknowledgement, if its cause is seen within
 * ALARM_RESTORE_MS; cleared after that if not.
 */
void
alarmbook_restore(struct alarm_book *b, const struct alarm *a,
    uint64_t now_ms)
{
	if (b->n == ALARM_BOOK_MAX || find(b, a->code, a->source,
	    a->connector) >= 0)
		return;
	b->a[b->n] = *a;
	b->restored[b->n] = true;
	b->n++;
	b->restore_until_ms = now_ms + ALARM_RESTORE_MS;
}

/*
 * The alarms of this cycle (now, n) against the book: one not in it is
 * raised (since its own time, or now), one of the book no longer there
 * cleared; fn hears of each. An acknowledgement stays with its alarm as
 * long as the cause lasts: an alarm cleared and back later is new.
 */
void
alarmbook_update(struct alarm_book *b, const struct alarm *now, int n,
    int64_t wall_ms, uint64_t now_ms, alarm_change_fn fn, void *arg)
{
	bool	 seen[ALARM_BOOK_MAX] = { false };
	int	 k = 0;

	b->untracked = 0;
	for (int i = 0; i < n; i++) {
		const struct alarm *x = &now[i];
		int	 j = find(b, x->code, x->source, x->connector);

		if (j >= 0) {
			/* its words may change (a reason, a figure) */
			b->a[j].severity = x->severity;
			memcpy(b->a[j].text, x->text, sizeof(x->text));
			b->restored[j] = false;
			seen[j] = true;
			continue;
		}
		if (b->n == ALARM_BOOK_MAX) {
			b->untracked++;
			continue;
		}
		j = b->n++;
		b->a[j] = *x;
		if (b->a[j].since_ms <= 0)
			b->a[j].since_ms = wall_ms;
		b->a[j].ack_by[0] = '\0';
		b->a[j].ack_ms = 0;
		b->restored[j] = false;
		seen[j] = true;
		if (fn != NULL)
			fn(arg, ALARM_RAISED, &b->a[j]);
	}
	for (int i = 0; i < b->n; i++) {
		if (!seen[i] && !(b->restored[i] && now_ms <
		    b->restore_until_ms)) {
			if (fn != NULL)
				fn(arg, ALARM_CLEARED, &b->a[i]);
			continue;
		}
		if (k != i) {
			b->a[k] = b->a[i];
			b->restored[k] = b->restored[i];
		}
		k++;
	}
	b->n = k;
}

/*
 * Acknowledges the active alarm of that key: 0 (out filled), -ENOENT
 * when no such alarm is active now, -EALREADY when it was acknowledged
 * (out says by whom).
 */
int
alarmbook_ack(struct alarm_book *b, const char *code, const char *source,
    int connector, const char *who, int64_t wall_ms, struct alarm *out)
{
	int	 j = find(b, code, source, connector);

	if (j < 0 || b->restored[j])
		return -ENOENT;
	if (out != NULL)
		*out = b->a[j];
	if (b->a[j].ack_by[0] != '\0')
		return -EALREADY;
	snprintf(b->a[j].ack_by, sizeof(b->a[j].ack_by), "%s", who);
	b->a[j].ack_ms = wall_ms;
	if (out != NULL)
		*out = b->a[j];
	return 0;
}

/*
 * The active alarms as shown: those nobody acknowledged first, then the
 * acknowledged ones, each group in the order they came. Returns how many
 * were copied (at most max).
 */
int
alarmbook_list(const struct alarm_book *b, struct alarm *out, int max)
{
	int	 n = 0;

	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < b->n && n < max; i++)
			if (!b->restored[i] && (b->a[i].ack_by[0] != '\0') ==
			    (pass == 1))
				out[n++] = b->a[i];
	return n;
}

/*
 * Which phases have been above their limit (by more than a reading's
 * noise) for ALARM_OVER_MS or longer: a bit per phase. since_ms keeps
 * when each went over (0: it is not over).
 */
unsigned
alarm_over(uint64_t since_ms[EVG_PHASES], const int32_t measured_da[EVG_PHASES],
    const int32_t limit_da[EVG_PHASES], uint64_t now_ms)
{
	unsigned over = 0;

	for (int p = 0; p < EVG_PHASES; p++) {
		if (measured_da[p] <= limit_da[p] + ALARM_OVER_TOLERANCE_DA) {
			since_ms[p] = 0;
			continue;
		}
		if (since_ms[p] == 0)
			since_ms[p] = now_ms ? now_ms : 1;
		if (now_ms - since_ms[p] >= ALARM_OVER_MS)
			over |= 1u << p;
	}
	return over;
}

/* How many of the book are kept from before a start, not seen again yet
 * (not shown, not counted). */
int
alarmbook_restored(const struct alarm_book *b)
{
	int	 n = 0;

	for (int i = 0; i < b->n; i++)
		n += b->restored[i];
	return n;
}
