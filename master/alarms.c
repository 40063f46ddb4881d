/*
 * alarms.c: the site's active alarms, from the state of its links and
 * connectors: writes a charger refuses, connector limits above what the
 * charger says it is rated for, chargers whose authorisation mode is not
 * the master's.
 */
#include <stdio.h>
#include <string.h>

#include "alarms.h"
#include "master.h"

struct collect {
	struct alarm	*a;
	int		 max, n;
};

static struct alarm *
add(struct collect *c, int severity, const char *code, const char *source,
    int connector, int64_t since_ms)
{
	struct alarm *a;

	if (c->n++ >= c->max)
		return NULL;
	a = &c->a[c->n - 1];
	a->severity = severity;
	snprintf(a->code, sizeof(a->code), "%s", code);
	snprintf(a->source, sizeof(a->source), "%s", source);
	a->connector = connector;
	a->since_ms = since_ms;
	a->text[0] = '\0';
	return a;
}

/* Each charger's refused writes, while they last. */
static void
refused(struct collect *c, const struct peer *pe, uint64_t now, int64_t wall)
{
	for (int st = 0; st < STEP_DONE; st++) {
		const struct link_refusal *r = &pe->link.refusal[st];
		char	 what[64], why[160];
		struct alarm *a;
		int	 conn = r->addr / REGMAP_CONN_BASE;

		if (!r->active)
			continue;
		a = add(c, SEV_WARNING, "write-refused", pe->cc->name, conn,
		    wall - (int64_t)(now - r->since_ms));
		if (a == NULL)
			continue;
		link_write_name(r->addr, r->val, what, sizeof(what));
		link_refusal_why(r->addr, r->val, r->exc, &r->conn, why,
		    sizeof(why));
		snprintf(a->text, sizeof(a->text), "%s refuses %s: %s",
		    pe->cc->name, what, why);
	}
}

int
alarms_collect(const struct site *s, uint64_t now, int64_t wall,
    struct alarm *out, int max, int *total)
{
	const struct master *m = s->m;
	struct collect c = { out, max, 0 };

	for (int i = 0; i < m->npeers; i++) {
		const struct peer *pe = &m->peers[i];
		struct alarm *a;

		refused(&c, pe, now, wall);
		/* A charger of register map 1 cannot be told the mode: on an
		 * RFID site, one left in free mode charges cars with no tag. */
		if (m->conf->site.authorisation && pe->link.ever_online &&
		    pe->link.unit.map_version < LINK_MAP_AUTH &&
		    (a = add(&c, SEV_WARNING, "authorisation-unknown",
		    pe->cc->name, 0, 0)) != NULL)
			snprintf(a->text, sizeof(a->text), "%s (register map "
			    "v%u) cannot be set to remote authorisation by the "
			    "appliance: set its unit.authorisation to remote, or "
			    "cars charge there without a tag", pe->cc->name,
			    pe->link.unit.map_version);
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct peer *pe = &m->peers[s->slot[i].peer];
		const struct reg_conn *rc = &pe->link.conn[s->slot[i].k];
		int	 k = s->slot[i].k;
		int32_t	 set = pe->cc->conn[k].max_current;
		struct alarm *a;

		/* The allocator keeps to the charger's rating (cycle.c);
		 * the setting saying more is still wrong. */
		if (!pe->link.ever_online || rc->max_da == 0 ||
		    set <= rc->max_da)
			continue;
		if ((a = add(&c, SEV_WARNING, "above-rating", pe->cc->name,
		    k + 1, 0)) != NULL)
			snprintf(a->text, sizeof(a->text), "%s connector %d is "
			    "set to %d.%d A, but the charger is rated %u.%u A: "
			    "it gets %u.%u A at most (lower the setting)",
			    pe->cc->name, k + 1, set / 10, set % 10,
			    rc->max_da / 10, rc->max_da % 10, rc->max_da / 10,
			    rc->max_da % 10);
	}
	*total = c.n;
	return c.n < max ? c.n : max;
}
