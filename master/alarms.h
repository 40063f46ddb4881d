/*
 * alarms.h: what is wrong now, as a list (docs/api.md, "alarms" in
 * GET /api/status and GET /api/alarms): worked out from the site's state
 * at each cycle, so an alarm lasts exactly as long as its cause. Each has
 * a stable key (code, source, connector). The book (alarmbook.c, pure)
 * remembers since when each lasts and who acknowledged it, and tells
 * which are new and which cleared; the shell (alarms.c) records them and
 * sends the webhooks (webhook.c).
 */
#ifndef EVG_ALARMS_H
#define EVG_ALARMS_H

#include <stdbool.h>
#include <stdint.h>

#include "units.h"

struct site;
struct master;

#define ALARMS_MAX	32	/* in the status; the total says if more */
#define ALARM_BOOK_MAX	512	/* alarms followed at once */
/* After a start, an alarm acknowledged before it waits this long for its
 * cause to be seen again (chargers answer, the meter reads) before it is
 * taken as cleared: a restart does not make it new. */
#define ALARM_RESTORE_MS	60000
/* IEC 61851-1 A.?: the car follows a lowered offer within 5 s; a phase
 * above its limit for longer than that is not a car catching up. */
#define ALARM_OVER_MS		5000
#define ALARM_OVER_TOLERANCE_DA	5	/* a reading's noise */

struct alarm {
	int		 severity;	/* 1 warning, 2 alarm */
	char		 code[24];	/* write-refused, above-rating, ... */
	char		 source[32];	/* a charger's name, meter, site */
	int		 connector;	/* 1 or 2; 0: the charger */
	int64_t		 since_ms;	/* wall time; 0: not known */
	char		 text[320];
	char		 ack_by[32];	/* who acknowledged it; "" nobody */
	int64_t		 ack_ms;	/* when (wall time) */
};

enum alarm_change { ALARM_RAISED, ALARM_CLEARED };

struct alarm_book {
	struct alarm	 a[ALARM_BOOK_MAX];
	/* kept from before a start, its cause not seen again yet */
	bool		 restored[ALARM_BOOK_MAX];
	int		 n;
	uint64_t	 restore_until_ms;
	/* since when each phase is above its limit (0: it is not) */
	uint64_t	 over_since_ms[EVG_PHASES];
	unsigned	 over;		/* phases over for ALARM_OVER_MS */
	int		 untracked;	/* alarms beyond ALARM_BOOK_MAX */
};

typedef void (*alarm_change_fn)(void *arg, enum alarm_change,
    const struct alarm *);

/* alarms.c (the loop) */
int	alarms_collect(const struct site *, uint64_t now_ms, int64_t wall_ms,
	    struct alarm *, int max, int *total);
void	alarms_step(struct master *, uint64_t now_ms, int64_t wall_ms);
void	alarms_load(struct master *, uint64_t now_ms);
char	*alarms_hook_body(const char *site, const struct alarm *,
	    const char *state, int64_t wall_ms);

/* alarmbook.c (pure) */
bool	alarm_same(const struct alarm *, const char *code, const char *source,
	    int connector);
void	alarmbook_restore(struct alarm_book *, const struct alarm *,
	    uint64_t now_ms);
void	alarmbook_update(struct alarm_book *, const struct alarm *now, int n,
	    int64_t wall_ms, uint64_t now_ms, alarm_change_fn, void *arg);
int	alarmbook_ack(struct alarm_book *, const char *code,
	    const char *source, int connector, const char *who,
	    int64_t wall_ms, struct alarm *out);
int	alarmbook_list(const struct alarm_book *, struct alarm *out, int max);
int	alarmbook_restored(const struct alarm_book *);
unsigned alarm_over(uint64_t since_ms[EVG_PHASES],
	    const int32_t measured_da[EVG_PHASES],
	    const int32_t limit_da[EVG_PHASES], uint64_t now_ms);

#endif
