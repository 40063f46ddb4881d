/*
 * smart.h: smart charging as the UK Electric Vehicles (Smart Charge
 * Points) Regulations 2021 ask of a charge point: a default profile of
 * no-charge periods, a randomised delay at the start of charging and at
 * the end of a no-charge period, and a user override (Boost). Pure: the
 * shell gives the local weekday and minute and a random number.
 */
#ifndef EVG_SMART_H
#define EVG_SMART_H

#include <stdbool.h>
#include <stdint.h>

/* UK Smart Charge Points Regulations 2021 (randomised delay, via
 * DOMAIN.md): 0-1800 s, 600 s by default. */
#define SMART_DELAY_DEFAULT_S	600
#define SMART_DELAY_MAX_S	1800

struct smart_period {
	bool		on;
	int16_t		start_min, end_min;	/* minutes of the day */
};

struct smart_cfg {
	bool		 enabled;
	uint8_t		 days;		/* bit 0 Monday .. bit 6 Sunday */
	struct smart_period period[2];
	uint32_t	 max_delay_s;
};

/* Why smart_allows() said no (reason.h: smart_delay, and the period). */
enum smart_block {
	SMART_FREE = 0,
	SMART_DELAY,		/* the random delay runs until delay_until_ms */
	SMART_PERIOD,		/* inside a no-charge period */
};

struct smart_conn {
	uint32_t	 session_id;
	uint64_t	 delay_until_ms;
	bool		 in_period;
	bool		 boost;
	enum smart_block block;	/* the last answer's why */
};

bool	smart_allows(const struct smart_cfg *, struct smart_conn *,
	    uint32_t session_id, int weekday, int minute, uint64_t now_ms,
	    uint32_t random_u32);
uint64_t smart_until(const struct smart_cfg *, const struct smart_conn *,
	    int weekday, int second_of_day, uint64_t now_ms);
int	smart_parse_period(const char *, struct smart_period *);
int	smart_parse_days(const char *, uint8_t *);

#endif
