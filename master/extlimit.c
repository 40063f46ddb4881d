/*
 * extlimit.c: the external limit's rules. See extlimit.h.
 */
#include <stdio.h>
#include <string.h>

#include "extlimit.h"

void
ext_limit_set(struct ext_limit *e, const char *who,
    const int32_t limit_da[EVG_PHASES], int32_t configured_da,
    uint64_t valid_ms, uint64_t now)
{
	e->on = true;
	for (int p = 0; p < EVG_PHASES; p++) {
		int32_t	 v = limit_da[p] < 0 ? 0 : limit_da[p];

		e->asked_da[p] = limit_da[p];
		/* never above the configuration: a BMS cannot raise it */
		e->limit_da[p] = v < configured_da ? v : configured_da;
	}
	e->until_ms = now + valid_ms;
	snprintf(e->by, sizeof(e->by), "%s", who != NULL ? who : "");
}

bool
ext_limit_news(struct ext_limit *e, bool renewed, uint64_t now,
    uint32_t *untold)
{
	bool	 news = !renewed || now - e->told_ms >= EXTLIMIT_NEWS_MS;

	for (int p = 0; p < EVG_PHASES && !news; p++) {
		int32_t	 d = e->limit_da[p] - e->told_da[p];

		news = d > EXTLIMIT_NEWS_DA || d < -EXTLIMIT_NEWS_DA;
	}
	if (!news) {
		e->untold++;
		return false;
	}
	*untold = renewed ? e->untold : 0;
	memcpy(e->told_da, e->limit_da, sizeof(e->told_da));
	e->told_ms = now;
	e->untold = 0;
	return true;
}

bool
ext_limit_clear(struct ext_limit *e)
{
	bool	 was = e->on;

	memset(e, 0, sizeof(*e));
	return was;
}

bool
ext_limit_expire(struct ext_limit *e, uint64_t now)
{
	if (!e->on || now < e->until_ms)
		return false;
	return ext_limit_clear(e);
}

int32_t
ext_limit_apply(const struct ext_limit *e, int phase, int32_t configured_da)
{
	if (!e->on || e->limit_da[phase] >= configured_da)
		return configured_da;
	return e->limit_da[phase];
}
