/*
 * sitecirc.c: the circuits below the supply as the site runs them (their
 * meters, each in a thread of its own, judged like the supply's), the
 * limit set from outside, and the demand target: each cycle, what the
 * allocator is given of them (alloc_site's circuit[], external and
 * power_cap), and their events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "master.h"
#include "site.h"

static void
circuit_meter_news(struct site_circuit *sc, unsigned news,
    const struct meter_reading *r)
{
	struct master *m = sc->s->m;
	int	 k = (int)(sc - sc->s->circ);
	int32_t	 off = sc->s->acirc[k].offline_limit_da;

	if (news & METER_WENT_ONLINE)
		master_event(m, SEV_INFO, sc->name, "circuit-meter-online",
		    "circuit %s: its meter is online (L1 %d.%d A, L2 %d.%d A, "
		    "L3 %d.%d A)", sc->name, r->current_da[0] / 10,
		    abs(r->current_da[0] % 10), r->current_da[1] / 10,
		    abs(r->current_da[1] % 10), r->current_da[2] / 10,
		    abs(r->current_da[2] % 10));
	if (news & METER_WENT_OFFLINE)
		master_event(m, SEV_ALARM, sc->name, "circuit-meter-offline",
		    "circuit %s: its meter is offline after %d faulty "
		    "readings: %s; %d.%d A per phase for its chargers until "
		    "it is back", sc->name, sc->mp.offline_after, sc->mc.why,
		    off / 10, off % 10);
}

/* A circuit meter's reading, or why there was none (its thread, through
 * the loop): judged by the same core as the supply's (meter.c). It does
 * not start a round: the next cycle takes it. */
static void
circuit_meter_result(struct meterio *io, bool ok,
    const struct meter_reading *r, const char *why)
{
	struct site_circuit *sc = io->data;
	uint64_t now = clock_now_ms();

	circuit_meter_news(sc, ok ? meter_core_good(&sc->mc, &sc->mp, r, now) :
	    meter_core_fault(&sc->mc, &sc->mp, why, now), r);
	if (!ok)
		MLOG(sc->s->m, LOG_DEBUG, "circuit %s: meter: %s", sc->name,
		    why);
}

/* The circuits as configured at the start (site_start): their meters'
 * settings copied. */
void
site_circuits_start(struct site *s)
{
	const struct master_config *mc = s->m->conf;

	s->ncirc = mc->ncircuit < ALLOC_CIRCUITS_MAX - 1 ? mc->ncircuit :
	    ALLOC_CIRCUITS_MAX - 1;
	for (int k = 0; k < s->ncirc; k++) {
		struct site_circuit *sc = &s->circ[k];

		snprintf(sc->name, sizeof(sc->name), "%s", mc->circuit[k].name);
		sc->meter = mc->circuit[k].meter;
		sc->s = s;
		meterio_params(&sc->meter, &sc->mp);
		/* ct_rating is the Sense kit's clamps'; an Eastron meter's
		 * own CTs are not in the settings: a reading is implausible
		 * beyond 1.5 x the circuit's limit, not the default rating's */
		for (int p = 0; sc->mp.driver != METER_SENSE && p < EVG_PHASES;
		    p++)
			if (sc->mp.ct_rating_da[p] < mc->circuit[k].limit)
				sc->mp.ct_rating_da[p] = mc->circuit[k].limit;
	}
	demand_init(&s->demand);
	site_circuits_params(s);
}

/* Each circuit's limits from the running configuration (by its name:
 * a circuit added, removed or renamed waits for a restart), the supply's
 * imbalance and the demand target. */
void
site_circuits_params(struct site *s)
{
	const struct master_config *mc = s->m->conf;

	for (int k = 0; k < s->ncirc; k++) {
		struct alloc_circuit *a = &s->acirc[k];
		const struct circuit_conf *cc = NULL;

		for (int j = 0; j < mc->ncircuit && cc == NULL; j++)
			if (strcmp(mc->circuit[j].name, s->circ[k].name) == 0 &&
			    mc->circuit[j].id == k + 1)
				cc = &mc->circuit[j];
		if (cc == NULL)
			continue;
		a->parent = cc->parent_id;
		a->limit_da = cc->limit;
		a->margin_da = cc->margin;
		a->offline_limit_da = cc->offline_limit;
		a->imbalance_da = cc->imbalance;
		a->metered = s->circ[k].meter.enabled;
		a->chargers_in_clamps = s->circ[k].meter.chargers_included;
	}
	s->cy.site.ncircuits = (size_t)s->ncirc;
	s->cy.site.circuit = s->acirc;
	s->cy.site.imbalance_da = mc->site.imbalance;
	s->dconf = (struct demand_conf){
		.window_min = mc->demand.window,
		.target_w = mc->demand.target * 100,	/* 0.1 kW */
		.apparent = mc->demand.apparent,
		/* the supply meter's own staleness (meter.h) */
		.gap_ms = s->mp.stale_ms,
		.fuse_w = (int64_t)mc->site.site_limit * DEMAND_NOMINAL_V * 3 /
		    10,
	};
	s->cy.site.power_capped = mc->demand.enabled;
}

int
site_meters_start(struct site *s, struct uv_loop_s *loop)
{
	for (int k = 0; k < s->ncirc; k++) {
		struct site_circuit *sc = &s->circ[k];

		if (!sc->meter.enabled)
			continue;
		if (meterio_start(&sc->mio, loop, &sc->meter,
		    circuit_meter_result, sc) != 0)
			return -1;
		sc->running = true;
	}
	return 0;
}

void
site_meters_stop(struct site *s)
{
	for (int k = 0; k < s->ncirc; k++)
		if (s->circ[k].running) {
			meterio_stop(&s->circ[k].mio);
			s->circ[k].running = false;
		}
}

const char *
site_circuit_name(const struct site *s, int id)
{
	return id >= 1 && id <= s->ncirc ? s->circ[id - 1].name : "supply";
}

/* Whether a connector of circuit `c` is below circuit `id` (in it or in
 * a circuit under it). */
static bool
below(const struct site *s, int c, int id)
{
	for (int hops = 0; c != 0 && hops < ALLOC_CIRCUITS_MAX; hops++) {
		if (c == id)
			return true;
		c = c <= s->ncirc ? s->acirc[c - 1].parent : 0;
	}
	return id == 0;
}

/*
 * What a circuit's meter measures now: what its fuse carries (its clamps,
 * and its chargers' draws when the clamps do not count them), and its
 * load other than the chargers below it as the allocator counted it
 * (alloc_out.c_nonev_da). False when it has no meter or it is offline
 * (then neither is known).
 */
bool
site_circuit_measured(const struct site *s, int id,
    int32_t measured[EVG_PHASES], int32_t building[EVG_PHASES])
{
	const struct alloc_circuit *a;

	if (id < 1 || id > s->ncirc)
		return false;
	a = &s->acirc[id - 1];
	if (!a->metered || !a->meter_online)
		return false;
	for (int p = 0; p < EVG_PHASES; p++) {
		int32_t	 ev = 0;

		for (size_t i = 0; !a->chargers_in_clamps && i < s->n; i++)
			if (below(s, s->conf[i].circuit, id))
				ev += s->cy.ac[i].draw_da[p];
		measured[p] = a->clamp_da[p] + ev;
		building[p] = s->cy.out.c_nonev_da[id][p];
	}
	return true;
}

static void
demand_news(struct site *s, unsigned news)
{
	const struct demand *d = &s->demand;
	const char *unit = s->dconf.apparent ? "kVA" : "kW";
	char	 from[8] = "", to[8] = "";
	time_t	 t0 = (time_t)(d->ended_start_ms / 1000), t1 = t0 +
	    s->dconf.window_min * 60;
	struct tm tm;

	if (!(news & DEMAND_ENDED_OVER))
		return;
	if (localtime_r(&t0, &tm) != NULL)
		strftime(from, sizeof(from), "%H:%M", &tm);
	if (localtime_r(&t1, &tm) != NULL)
		strftime(to, sizeof(to), "%H:%M", &tm);
	master_event(s->m, SEV_WARNING, "site", "demand-over", "the demand "
	    "window %s-%s ended at %lld.%lld %s on average, over the %d.%d %s "
	    "target", from, to, (long long)(d->ended_w / 1000),
	    (long long)(d->ended_w % 1000 / 100), unit,
	    s->dconf.target_w / 1000, s->dconf.target_w % 1000 / 100, unit);
}

/* The cars' power now: what the chargers say they draw, at 230 V
 * (a charger reports currents only). */
static int64_t
ev_power_w(const struct site *s)
{
	int64_t	 da = 0;

	for (size_t i = 0; i < s->n; i++)
		for (int p = 0; p < EVG_PHASES; p++)
			da += s->cy.ac[i].draw_da[p];
	return da * DEMAND_NOMINAL_V / 10;
}

/* The supply meter's reading, judged good: the demand window's energy.
 * Clamps that do not count the chargers miss their power: added. */
void
site_demand_reading(struct site *s, const struct meter_reading *r,
    int64_t wall)
{
	int64_t	 w = demand_power_w(r, s->dconf.apparent);

	if (!s->m->conf->demand.enabled)
		return;
	if (!s->cy.site.chargers_in_clamps)
		w += ev_power_w(s);
	demand_news(s, demand_reading(&s->demand, &s->dconf, w, wall));
}

/* The external limit into the database (it outlasts a restart until its
 * end), or out of it. */
static void
ext_limit_keep(struct site *s, uint64_t now)
{
	struct store_rec r = { .kind = s->ext.on ? STORE_EXT_LIMIT :
	    STORE_EXT_LIMIT_DELETE };

	if (s->m->store == NULL)
		return;
	memcpy(r.u.ext.limit_da, s->ext.limit_da, sizeof(r.u.ext.limit_da));
	r.u.ext.until_ms = clock_wall_ms() + (int64_t)(s->ext.until_ms - now);
	snprintf(r.u.ext.by, sizeof(r.u.ext.by), "%s", s->ext.by);
	store_put(s->m->store, &r);
}

static int
ext_limit_row(void *arg, int n, const char *const *c)
{
	struct site *s = arg;
	int64_t	 wall = clock_wall_ms(), until;
	int32_t	 l[EVG_PHASES];

	if (n != 5 || c[0] == NULL || c[1] == NULL || c[2] == NULL ||
	    c[3] == NULL)
		return 0;
	for (int p = 0; p < EVG_PHASES; p++)
		l[p] = (int32_t)strtol(c[p], NULL, 10);
	until = strtoll(c[3], NULL, 10);
	if (until <= wall) {
		s->ext_found = 2;
		return 0;
	}
	/* capped again: the site limit may have been lowered meanwhile */
	ext_limit_set(&s->ext, c[4] != NULL ? c[4] : "", l,
	    s->cy.site.site_limit_da, (uint64_t)(until - wall), clock_now_ms());
	s->ext_found = 1;
	return 0;
}

/* The external limit in force when the appliance stopped: it holds until
 * its end (a restart must not lift a grid operator's limit); one that
 * ended meanwhile is told (after site_start, before the store's writer
 * starts: the news waits for the first cycle). */
void
site_external_limit_load(struct site *s)
{
	if (s->m->store != NULL)
		(void)store_select(s->m->store, "SELECT l1_da, l2_da, l3_da, "
		    "until_ms, by FROM external_limit", ext_limit_row, s);
}

static void
ext_limit_found(struct site *s, uint64_t now)
{
	const int32_t *l = s->ext.limit_da;

	if (s->ext_found == 1)
		master_event(s->m, SEV_INFO, "site", "external-limit",
		    "external limit set by %s before the restart kept: L1 "
		    "%d.%d A, L2 %d.%d A, L3 %d.%d A for %llu s more",
		    s->ext.by, l[0] / 10, l[0] % 10, l[1] / 10, l[1] % 10,
		    l[2] / 10, l[2] % 10, (unsigned long long)
		    ((s->ext.until_ms - now) / 1000));
	if (s->ext_found == 2) {
		master_event(s->m, SEV_WARNING, "site",
		    "external-limit-expired", "the external limit ended while "
		    "the appliance was stopped: the configured limits are in "
		    "force");
		ext_limit_keep(s, now);
	}
	s->ext_found = 0;
}

void
site_external_limit_set(struct site *s, const char *who,
    const int32_t limit_da[EVG_PHASES], uint64_t valid_ms, uint64_t now)
{
	bool	 renewed = s->ext.on;
	int32_t	 before[EVG_PHASES];
	const int32_t *l;
	uint32_t untold;
	char	 more[64] = "";

	memcpy(before, s->ext.limit_da, sizeof(before));
	ext_limit_set(&s->ext, who, limit_da, s->cy.site.site_limit_da,
	    valid_ms, now);
	ext_limit_keep(s, now);
	l = s->ext.limit_da;
	/* A building management system renews every few seconds: the same
	 * limit renewed is no news (the events would push every other one
	 * out of the newest); a new value is. */
	if (renewed && memcmp(before, l, sizeof(before)) == 0) {
		log_at(LOG_DEBUG, "%s: external limit renewed for %llu s", who,
		    (unsigned long long)(valid_ms / 1000));
		return;
	}
	/* nor is every nudge: a change of 1 A or less within a minute of
	 * the last told is counted, and said with the next one told */
	if (!ext_limit_news(&s->ext, renewed, now, &untold)) {
		log_at(LOG_DEBUG, "%s: external limit L1 %d.%d A, L2 %d.%d A, "
		    "L3 %d.%d A (a small change, counted)", who, l[0] / 10,
		    l[0] % 10, l[1] / 10, l[1] % 10, l[2] / 10, l[2] % 10);
		return;
	}
	if (untold > 0)
		snprintf(more, sizeof(more), "; %lu smaller change%s since the "
		    "last told", (unsigned long)untold, untold == 1 ? "" : "s");
	master_event(s->m, SEV_INFO, who, "external-limit", "external limit "
	    "%s by %s: L1 %d.%d A, L2 %d.%d A, L3 %d.%d A for %llu s (site "
	    "limit %d.%d A%s)", renewed ? "changed" : "set", who, l[0] / 10,
	    l[0] % 10, l[1] / 10, l[1] % 10, l[2] / 10, l[2] % 10,
	    (unsigned long long)(valid_ms / 1000),
	    s->cy.site.site_limit_da / 10, s->cy.site.site_limit_da % 10,
	    more);
}

bool
site_external_limit_clear(struct site *s, const char *who)
{
	if (!ext_limit_clear(&s->ext))
		return false;
	ext_limit_keep(s, 0);
	master_event(s->m, SEV_INFO, who, "external-limit-cleared", "external "
	    "limit cleared by %s: the configured limits are in force", who);
	return true;
}

/*
 * Once a cycle, before it runs: the circuits' meters aged and their
 * readings given, the external limit's expiry, the demand window.
 *
 * What each unreadable or old reading is taken as (the worst case still
 * possible): a circuit meter's reading that is implausible, a Modbus
 * error, or older than its staleness (meter_core_age: its thread stuck,
 * its answers lost) is no reading; after offline_after of them the
 * circuit's meter is offline and its chargers get its offline limit in
 * all, the rest of the site unchanged. Its building load is then
 * unknown: what the offline limit leaves is all that may be assumed.
 */
void
site_circuits_cycle(struct site *s, uint64_t now, int64_t wall)
{
	struct alloc_site *as = &s->cy.site;

	for (int k = 0; k < s->ncirc; k++) {
		struct site_circuit *sc = &s->circ[k];
		struct alloc_circuit *a = &s->acirc[k];

		if (!sc->running) {
			a->meter_online = false;
			continue;
		}
		circuit_meter_news(sc, meter_core_age(&sc->mc, &sc->mp, now),
		    NULL);
		a->meter_online = sc->mc.online;
		for (int p = 0; p < EVG_PHASES; p++)
			a->clamp_da[p] = sc->mc.online ?
			    sc->mc.last.current_da[p] : 0;
		/* when it was read: the cycle takes each reading once
		 * (cycle.h, c_meter_ms) */
		s->cy.c_meter_ms[k + 1] = sc->mc.online ? sc->mc.last_ok_ms : 0;
	}
	if (s->ext_found != 0)
		ext_limit_found(s, now);
	if (ext_limit_expire(&s->ext, now)) {
		master_event(s->m, SEV_WARNING, "site",
		    "external-limit-expired", "the external limit was not "
		    "renewed in time: the configured limits are in force "
		    "again");
		ext_limit_keep(s, now);
	}
	as->external = s->ext.on;
	memcpy(as->external_da, s->ext.limit_da, sizeof(as->external_da));
	if (!s->m->conf->demand.enabled) {
		as->power_capped = false;
		return;
	}
	demand_news(s, demand_tick(&s->demand, &s->dconf, wall));
	{
		/* The building's power: the control cycle's estimate of its
		 * load, per phase, from readings of the same moment (cycle.c,
		 * "Readings in time", with its deadband), at 230 V. Not the
		 * supply's last power less the cars' latest draws: those are
		 * of different moments, and each car that starts or stops
		 * moved the cap by its own power, which started or stopped a
		 * car again, every few seconds. */
		int64_t	 building = 0;

		for (int p = 0; p < EVG_PHASES; p++)
			building += (int64_t)s->cy.out.nonev_da[p] *
			    DEMAND_NOMINAL_V / 10;
		if (building < 0)
			building = 0;
		as->power_capped = true;
		as->power_cap_da = demand_w_to_da(demand_cap_w(&s->demand,
		    &s->dconf, as->meter_online, building, wall));
	}
}
