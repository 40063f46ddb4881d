/*
 * smart.c: no-charge periods, randomised delays and Boost. See smart.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "smart.h"

static bool
within(const struct smart_period *p, int minute)
{
	if (!p->on)
		return false;
	if (p->start_min <= p->end_min)
		return minute >= p->start_min && minute < p->end_min;
	return minute >= p->start_min || minute < p->end_min;	/* over midnight */
}

static uint64_t
delay_ms(const struct smart_cfg *c, uint32_t r)
{
	return c->max_delay_s == 0 ? 0 :
	    (uint64_t)(r % (c->max_delay_s + 1)) * 1000;
}

/*
 * May this connector's car take current now? A new session starts with a
 * random delay; a no-charge period says no; its end starts a new random
 * delay (so that cars do not all start at the stroke of the hour); Boost
 * overrides both until the session ends.
 */
bool
smart_allows(const struct smart_cfg *c, struct smart_conn *s,
    uint32_t session_id, int weekday, int minute, uint64_t now,
    uint32_t random_u32)
{
	bool	 in;

	if (session_id != s->session_id) {
		s->session_id = session_id;
		s->boost = false;
		s->delay_until_ms = now + delay_ms(c, random_u32);
	}
	s->block = SMART_FREE;
	if (!c->enabled || s->boost)
		return true;
	in = (c->days >> weekday & 1) &&
	    (within(&c->period[0], minute) || within(&c->period[1], minute));
	if (in) {
		s->in_period = true;
		s->block = SMART_PERIOD;
		return false;
	}
	if (s->in_period) {
		s->in_period = false;
		s->delay_until_ms = now + delay_ms(c, random_u32);
	}
	if (now >= s->delay_until_ms)
		return true;
	s->block = SMART_DELAY;
	return false;
}

/*
 * Until when smart charging holds this connector back, on now_ms's clock
 * (0: it does not): the random delay's end, or the end of the no-charge
 * period it is in (the later, when two overlap). The random delay that
 * follows a period is drawn when the period ends (smart_allows()).
 */
uint64_t
smart_until(const struct smart_cfg *c, const struct smart_conn *s,
    int weekday, int second, uint64_t now)
{
	const int day_s = 24 * 60 * 60;
	int	 left = 0, minute = second / 60;

	if (s->block == SMART_DELAY)
		return s->delay_until_ms;
	if (s->block != SMART_PERIOD || !(c->days >> weekday & 1))
		return 0;
	for (int k = 0; k < 2; k++) {
		const struct smart_period *p = &c->period[k];
		int	 l;

		if (!within(p, minute))
			continue;
		l = p->end_min * 60 - second;
		if (l <= 0)		/* over midnight, before it */
			l += day_s;
		if (l > left)
			left = l;
	}
	return left > 0 ? now + (uint64_t)left * 1000 : 0;
}

/* "HH:MM-HH:MM"; "" or "off" for none. */
int
smart_parse_period(const char *s, struct smart_period *p)
{
	int	 h1, m1, h2, m2, n = 0;

	memset(p, 0, sizeof(*p));
	if (*s == '\0' || strcmp(s, "off") == 0)
		return 0;
	if (sscanf(s, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &n) != 4 ||
	    s[n] != '\0' || h1 < 0 || h1 > 23 || h2 < 0 || h2 > 24 ||
	    m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59 || (h2 == 24 && m2 != 0) ||
	    (h1 * 60 + m1 == h2 * 60 + m2))
		return -1;
	p->on = true;
	p->start_min = (int16_t)(h1 * 60 + m1);
	p->end_min = (int16_t)(h2 * 60 + m2);
	return 0;
}

/* "mon,tue,..." or "mon-fri" or "all". */
int
smart_parse_days(const char *s, uint8_t *days)
{
	static const char *const names[] = { "mon", "tue", "wed", "thu", "fri",
	    "sat", "sun" };
	char	 buf[64], *save = NULL, *t;

	*days = 0;
	if (strcmp(s, "all") == 0) {
		*days = 0x7F;
		return 0;
	}
	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (t = strtok_r(buf, ", ", &save); t != NULL;
	    t = strtok_r(NULL, ", ", &save)) {
		int	 a = -1, b = -1;
		char	*dash = strchr(t, '-');

		if (dash != NULL)
			*dash = '\0';
		for (int k = 0; k < 7; k++) {
			if (strcmp(t, names[k]) == 0)
				a = k;
			if (dash != NULL && strcmp(dash + 1, names[k]) == 0)
				b = k;
		}
		if (a < 0 || (dash != NULL && (b < 0 || b < a)))
			return -1;
		for (int k = a; k <= (dash ? b : a); k++)
			*days |= (uint8_t)(1u << k);
	}
	return *days ? 0 : -1;
}
