/*
 * site.c: the site in the master's loop. Each allocation takes what the
 * chargers reported at their last poll and what the meter last read,
 * runs the allocator and the planner, gives each charger's link the
 * setpoints to write, and returns the chargers whose cut must be written
 * at once, not at their next poll: the loop (master.c, link.c) polls
 * them. Also the status, and operators' commands.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>

#include "charger.h"
#include "clock.h"
#include "cycle.h"
#include "led.h"
#include "master.h"
#include "site.h"
#include "siteapi.h"
#include "strnum.h"

static void meter_news(struct site *, unsigned, const struct meter_reading *);

static uint32_t
random_u32(void)
{
	uint32_t r = 0;

	/* Never blocks once the kernel's pool is ready (early boot only). */
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (uint32_t)clock_now_ms() * 2654435761u;
	return r;
}

/*
 * RFID authorisation: a tag swiped at a connector waiting for
 * authorisation is looked up once; a whitelisted, enabled, unexpired tag
 * authorises the connector, any other is refused with an event.
 */
static void
rfid_decide(struct site *s, size_t i, struct peer *pe, const struct reg_conn *rc)
{
	struct site_slot *sl = &s->slot[i];
	const struct rfid_entry *e;
	int64_t	 wall = (int64_t)time(NULL) * 1000;
	const char *why = NULL;

	if (rc->tag[0] == '\0') {
		sl->rfid_seen[0] = '\0';	/* the same tag may come again */
		return;
	}
	if (rc->state != CS_WAIT_AUTH || strcmp(sl->rfid_seen, rc->tag) == 0)
		return;
	snprintf(sl->rfid_seen, sizeof(sl->rfid_seen), "%s", rc->tag);
	e = rfid_lookup(s->m, rc->tag);
	if (e == NULL)
		why = "unknown tag";
	else if (!e->enabled)
		why = "tag disabled";
	else if (e->valid_until_ms > 0 && e->valid_until_ms <= wall)
		why = "tag expired";
	if (why != NULL) {
		master_event(s->m, SEV_WARNING, pe->cc->name, "rfid-refused",
		    "RFID %s refused at connector %d: %s", rc->tag, sl->k + 1,
		    why);
		return;
	}
	pe->link.cmd[sl->k] = REGMAP_CMD_AUTHORISE;
	master_event(s->m, SEV_INFO, pe->cc->name, "rfid-accepted", "RFID %s "
	    "(%s) authorised connector %d", rc->tag, e->name, sl->k + 1);
}

/* What each connector's charger last said, and what operators and the
 * smart-charging rules ask of it: the control cycle's inputs. */
static void
gather(struct site *s, uint64_t now)
{
	struct master *m = s->m;
	time_t	 wall = time(NULL);
	struct tm lt;

	localtime_r(&wall, &lt);

	/* The clamps as of the reading handed over (site_round_done). */
	if (!s->mc.online)
		s->meter_given = false;
	s->cy.site.meter_online = s->mc.online && s->meter_given;
	for (size_t i = 0; i < s->n; i++) {
		struct peer *pe = &m->peers[s->slot[i].peer];
		const struct charger_conf *cc = pe->cc;
		const struct reg_conn *rc = &pe->link.conn[s->slot[i].k];
		struct cycle_reading *r = &s->rd[i];
		struct cycle_op *op = &s->op[i];
		int	 k = s->slot[i].k;

		s->conf[i] = (struct cycle_conf){
			(enum phase_conn)cc->conn[k].phase,
			cc->conn[k].min_current, cc->conn[k].max_current,
			cc->conn[k].priority,
		};
		r->online = pe->link.online;
		r->heard = pe->link.ever_online;
		r->fallback_known = pe->link.fallback_known;
		r->fallback_da = pe->link.fallback_da;
		r->fallback_s = pe->link.fallback_s;
		r->read_ms = pe->link.last_ok_ms;
		r->taken_ms = pe->link.taken_ms;
		r->may_force_da = pe->link.may_force_da[k];
		r->rc = *rc;
		op->paused = s->slot[i].op_paused;
		/* Smart charging: no-charge periods and random delays. */
		op->blocked = r->online && cycle_wants_current(rc) &&
		    !op->paused && !smart_allows(&m->conf->smart,
		    &s->slot[i].smart, rc->session_no, (lt.tm_wday + 6) % 7,
		    lt.tm_hour * 60 + lt.tm_min, now, random_u32());
		s->slot[i].smart_blocked = op->blocked;
		if (m->conf->site.authorisation == 1 && pe->link.online)
			rfid_decide(s, i, pe, rc);
	}
}

/*
 * An allocation with what the chargers and the meter last said. Returns
 * what must be written at once (the cuts, against what each charger was
 * told or says is in force); the caller polls those chargers out of turn
 * (master_write_now), the rest is written at their next poll.
 */
const struct site_writes *
site_allocate(struct site *s, uint64_t now)
{
	struct master *m = s->m;
	struct cycle_out out;

	/* A meter whose readings stopped arriving: its last one is too old
	 * to stand for the building now (ARCHITECTURE.md invariant 4). */
	if (s->meter_running)
		meter_news(s, meter_core_age(&s->mc, &s->mp, now), NULL);
	gather(s, now);
	cycle_run(&s->cy, s->conf, s->rd, s->op, now, &out);
	/* An overload: a phase now carries less than what is offered on it
	 * (the building took more, the meter went silent, an operator
	 * lowered the limit). The cut is made this cycle. */
	for (int p = 0; p < EVG_PHASES; p++)
		if (out.overload[p])
			master_event(m, SEV_WARNING, "site", "overload-cut",
			    "L%d: available fell from %d.%d A to %d.%d A, %d.%d A "
			    "was offered: %d connector(s) cut", p + 1,
			    out.before_da[p] / 10, out.before_da[p] % 10,
			    s->cy.out.hard_da[p] / 10, s->cy.out.hard_da[p] % 10,
			    out.offered_da[p] / 10, out.offered_da[p] % 10,
			    out.cut);
	s->writes.n = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct peer *pe = &m->peers[s->slot[i].peer];

		pe->link.want_da[s->slot[i].k] = (uint16_t)out.setpoint[i];
		if (out.write_now[i])
			s->writes.peer[s->writes.n++] = s->slot[i].peer;
	}
	return &s->writes;
}

/* One minute of the site: min, average and max per phase, and the cars'
 * average; written when the minute is over. */
static void
history_add(struct site *s, const struct meter_reading *r)
{
	int64_t	 minute = (int64_t)time(NULL) / 60;
	struct site_minute *h = &s->minute;

	if (h->n > 0 && minute != h->minute) {
		struct store_rec rec = { .kind = STORE_HISTORY };

		rec.u.h.minute = h->minute;
		for (int p = 0; p < EVG_PHASES; p++) {
			rec.u.h.min_da[p] = h->min[p];
			rec.u.h.max_da[p] = h->max[p];
			rec.u.h.avg_da[p] = (int32_t)(h->sum[p] / h->n);
			rec.u.h.ev_da[p] = (int32_t)(h->ev[p] / h->n);
		}
		store_put(s->m->store, &rec);
		h->n = 0;
	}
	if (h->n == 0) {
		h->minute = minute;
		memset(h->sum, 0, sizeof(h->sum));
		memset(h->ev, 0, sizeof(h->ev));
	}
	for (int p = 0; p < EVG_PHASES; p++) {
		int32_t ev = 0;

		for (size_t i = 0; i < s->n; i++)
			ev += s->cy.ac[i].draw_da[p];
		if (h->n == 0 || r->current_da[p] < h->min[p])
			h->min[p] = r->current_da[p];
		if (h->n == 0 || r->current_da[p] > h->max[p])
			h->max[p] = r->current_da[p];
		h->sum[p] += r->current_da[p];
		h->ev[p] += ev;
	}
	h->n++;
}

static void
meter_news(struct site *s, unsigned news, const struct meter_reading *r)
{
	struct master *m = s->m;

	if (news & METER_WENT_ONLINE)
		master_event(m, SEV_INFO, "meter", "online", "online (L1 %d.%d "
		    "A, L2 %d.%d A, L3 %d.%d A)", r->current_da[0] / 10,
		    abs(r->current_da[0] % 10), r->current_da[1] / 10,
		    abs(r->current_da[1] % 10), r->current_da[2] / 10,
		    abs(r->current_da[2] % 10));
	if (news & METER_WENT_OFFLINE)
		master_event(m, SEV_ALARM, "meter", "offline", "offline after "
		    "%d faulty readings: %s; %d.%d A per phase for the chargers "
		    "until it is back", s->mp.offline_after, s->mc.why,
		    s->cy.site.offline_limit_da / 10, s->cy.site.offline_limit_da % 10);
}

/*
 * A meter reading, or why there was none: judged, its news told, the
 * minute's history kept. A good one waits for the chargers' round
 * (site_round_done); the loop decides when that is (master.c).
 */
void
site_meter_result(struct site *s, bool ok, const struct meter_reading *r,
    const char *why, uint64_t now)
{
	meter_news(s, ok ? meter_core_good(&s->mc, &s->mp, r, now) :
	    meter_core_fault(&s->mc, &s->mp, why, now), r);
	if (ok)
		history_add(s, r);
	if (!ok)
		MLOG(s->m, LOG_DEBUG, "meter: %s", why);
	if (ok)
		s->meter_fresh = true;
}

/* The chargers have answered (or the round's wait is over): the meter's
 * newest reading goes to the cycle with them, and the site is allocated;
 * what must be written at once, as site_allocate(). */
const struct site_writes *
site_round_done(struct site *s, uint64_t now)
{
	if (s->meter_fresh && s->mc.online) {
		for (int p = 0; p < EVG_PHASES; p++)
			s->cy.site.clamp_da[p] = s->mc.last.current_da[p];
		s->cy.meter_ms = s->mc.last_ok_ms;
		s->meter_given = true;
	}
	s->meter_fresh = false;
	return site_allocate(s, now);
}

/* The allocator's site parameters, from the configuration. */
void
site_apply_params(struct site *s)
{
	const struct master_config *mc = s->m->conf;

	s->cy.site.mode = (enum alloc_mode)mc->site.mode;
	s->cy.site.strategy = (enum alloc_strategy)mc->site.strategy;
	s->cy.site.group_limit_da = mc->site.group_limit;
	s->cy.site.site_limit_da = mc->site.site_limit;
	s->cy.site.margin_da = mc->site.margin;
	s->cy.deadband_da = mc->site.deadband;
	s->cy.site.offline_limit_da = mc->site.offline_limit;
	s->cy.site.chargers_in_clamps = mc->meter.chargers_included;
	s->cy.site.min_run_ms = (uint32_t)mc->site.min_run * 1000;
	s->cy.site.min_pause_ms = (uint32_t)mc->site.min_pause * 1000;
	s->cy.site.green_start_ms = (uint32_t)mc->site.green_start * 1000;
	s->cy.site.green_stop_ms = (uint32_t)mc->site.green_stop * 1000;
	s->cy.site.fallback_timeout_ms = (uint32_t)mc->site.fallback_timeout * 1000;
}

/*
 * "set SECTION.KEY VALUE": validated like the file (the key's range, then
 * the cross-field rules on a copy, so that a refusal changes nothing),
 * stored, recorded with who did it, applied now where it can be.
 */
static char *
config_set(struct site *s, const char *who, const char *arg)
{
	const char *sp = strchr(arg, ' ');
	char	 section[24], key[32], msg[CFG_ERRLEN + 160], field[64];
	const char *sec = section, *k = key, *val;

	if (sp == NULL || sscanf(arg, "%23[a-z0-9].%31[a-z0-9_]", section,
	    key) != 2 || (size_t)(sp - arg) != strlen(section) + 1 +
	    strlen(key))
		return strdup("error: set: expected 'set SECTION.KEY VALUE'");
	val = sp + 1;
	if (site_config_apply(s->m, who, 1, &sec, &k, &val, 0, msg,
	    sizeof(msg), field, sizeof(field)) != 0) {
		char	*out = NULL;

		return asprintf(&out, "error: %s", msg) < 0 ? NULL : out;
	}
	return strdup(msg);
}

int
site_start(struct site *s, struct master *m)
{
	const struct master_config *mc = m->conf;
	size_t	 n = 0;

	memset(s, 0, sizeof(*s));
	s->m = m;
	for (int i = 0; i < m->npeers; i++)
		n += (size_t)m->peers[i].cc->connectors;
	s->n = n;
	s->slot = calloc(n + 1, sizeof(*s->slot));
	s->conf = calloc(n + 1, sizeof(*s->conf));
	s->rd = calloc(n + 1, sizeof(*s->rd));
	s->op = calloc(n + 1, sizeof(*s->op));
	/* every connector cut, and a command's charger */
	s->writes.peer = calloc(n + 1, sizeof(*s->writes.peer));
	if (!s->slot || !s->conf || !s->rd || !s->op || !s->writes.peer ||
	    cycle_init(&s->cy, n) != 0)
		return -1;
	n = 0;
	for (int i = 0; i < m->npeers; i++)
		for (int k = 0; k < m->peers[i].cc->connectors; k++)
			s->slot[n++] = (struct site_slot){ .peer = i, .k = k };
	site_apply_params(s);
	meterio_params(mc, &s->mp);
	for (int p = 0; p < EVG_PHASES; p++)
		s->cy.site.clamp_enabled[p] = s->mp.clamp_enabled[p];
	return 0;
}

void
site_free(struct site *s)
{
	free(s->slot);
	free(s->conf);
	free(s->rd);
	free(s->op);
	free(s->writes.peer);
	cycle_free(&s->cy);
}

static const char *
unit_status_name(int st)
{
	static const char *const names[] = { "normal", "fallback", "fault",
	    "booting" };

	return (unsigned)st < 4 ? names[st] : "unknown";
}

int
site_snap_alloc(struct site_snap *sn, size_t conns, int chargers)
{
	memset(sn, 0, sizeof(*sn));
	sn->conns = calloc(conns + 1, sizeof(*sn->conns));
	sn->chargers = calloc((size_t)chargers + 1, sizeof(*sn->chargers));
	sn->cap = conns;
	sn->chcap = chargers;
	return sn->conns && sn->chargers ? 0 : -1;
}

void
site_snap_free(struct site_snap *sn)
{
	free(sn->conns);
	free(sn->chargers);
	memset(sn, 0, sizeof(*sn));
}

/* The site at this moment: copies only, no allocation (the loop's part). */
void
site_snapshot(const struct site *s, uint64_t now, struct site_snap *sn)
{
	static const char *const modes[] = { "static", "dynamic", "hybrid",
	    "green" };
	const struct master *m = s->m;

	sn->n = s->n < sn->cap ? s->n : sn->cap;
	for (size_t i = 0; i < sn->n; i++) {
		const struct peer *pe = &m->peers[s->slot[i].peer];
		const struct reg_conn *rc = &pe->link.conn[s->slot[i].k];
		const struct led_look *led = led_look((enum led_code)rc->led);
		struct snap_conn *c = &sn->conns[i];
		int	 k = s->slot[i].k;

		memcpy(c->charger, pe->cc->name, sizeof(c->charger));
		c->charger_id = s->slot[i].peer + 1;
		c->connector = k + 1;
		c->online = pe->link.online;
		c->state = conn_state_name(rc->state);
		c->cp = pe->link.online ? cp_state_name(rc->cp_state) : "?";
		c->phase = phase_conn_name((enum phase_conn)pe->cc->conn[k].phase);
		c->demand = s->cy.ac[i].demand;
		c->paused = s->slot[i].op_paused;
		c->boost = s->slot[i].smart.boost;
		c->smart_waiting = s->slot[i].smart_blocked;
		c->target = s->cy.target[i];
		c->setpoint = s->cy.plan[i].setpoint_da;
		c->in_force = rc->setpoint_da;
		c->offer = rc->offer_da;
		memcpy(c->current, s->cy.ac[i].draw_da, sizeof(c->current));
		c->session_wh = rc->session_wh;
		c->session_s = rc->session_s;
		c->session_no = rc->session_no;
		c->faults = rc->faults;
		c->led = led->name;
		c->led_colour = led_colour_name(led->colour[0]);
		c->max_current = pe->cc->conn[k].max_current;
		memcpy(c->tag, rc->tag, sizeof(rc->tag));
	}
	sn->nch = m->npeers < sn->chcap ? m->npeers : sn->chcap;
	for (int i = 0; i < sn->nch; i++) {
		const struct peer *pe = &m->peers[i];
		struct snap_charger *c = &sn->chargers[i];

		c->id = i + 1;
		memcpy(c->name, pe->cc->name, sizeof(c->name));
		memcpy(c->host, pe->cc->host, sizeof(c->host));
		c->port = pe->cc->port;
		c->online = pe->link.online;
		c->status = pe->link.online ? unit_status_name(
		    pe->link.unit.status) : "offline";
		c->connectors = pe->cc->connectors;
		memcpy(c->serial, pe->link.unit.serial,
		    sizeof(pe->link.unit.serial));
		c->temp_ddeg = pe->link.unit.temp_ddeg;
	}
	sn->nevents = m->nrecent;
	for (int i = 0; i < m->nrecent; i++)
		sn->events[i] = m->recent[(m->recent_head + MASTER_RECENT - 1 -
		    i) % MASTER_RECENT];
	snprintf(sn->site, sizeof(sn->site), "%s", m->conf->site.name);
	snprintf(sn->meter_why, sizeof(sn->meter_why), "%s", s->mc.online ?
	    "" : s->mc.why);
	sn->mode = modes[s->cy.site.mode];
	sn->authorisation = m->conf->site.authorisation ? "rfid" : "free";
	sn->meter_online = s->cy.site.meter_online;
	sn->restart_needed = m->restart_pending;
	/* What the phase may carry in all under the settings in force: the
	 * group limit alone without a meter, else the fuse less the margin or
	 * the building plus the group limit, whichever is lower. */
	for (int p = 0; p < EVG_PHASES; p++) {
		int32_t	 g = s->cy.out.nonev_da[p] + s->cy.site.group_limit_da;
		int32_t	 f = s->cy.site.site_limit_da - s->cy.site.margin_da;

		sn->clamp[p] = s->cy.site.clamp_da[p];
		sn->non_ev[p] = s->cy.out.nonev_da[p];
		sn->available[p] = s->cy.out.hard_da[p];
		sn->used[p] = s->cy.out.used_da[p];
		sn->limit[p] = s->cy.site.mode == ALLOC_STATIC ? s->cy.site.group_limit_da :
		    g < f ? g : f;
		sn->ev[p] = 0;
		for (size_t i = 0; i < s->n; i++)
			sn->ev[p] += s->cy.ac[i].draw_da[p];
	}
	sn->group_limit = s->cy.site.group_limit_da;
	sn->site_limit = s->cy.site.site_limit_da;
	sn->margin = s->cy.site.margin_da;
	sn->offline_limit = s->cy.site.offline_limit_da;
	sn->allocations = s->cy.cycles;
	sn->running = s->cy.out.running;
	sn->paused = s->cy.out.paused;
	sn->uptime_ms = now;
	sn->time_ms = (int64_t)time(NULL) * 1000;
}

/* A tenth-unit value as a JSON number, named when name is set. */
static void
put_deci(FILE *fp, const char *name, int32_t v)
{
	if (name != NULL)
		fprintf(fp, ",\"%s\":", name);
	if (v < 0) {
		fputc('-', fp);
		v = -v;
	}
	fprintf(fp, "%d.%d", v / 10, v % 10);
}

static void
put_phases(FILE *fp, const char *name, const int32_t v[EVG_PHASES])
{
	fprintf(fp, ",\"%s\":[", name);
	for (int p = 0; p < EVG_PHASES; p++) {
		if (p)
			fputc(',', fp);
		put_deci(fp, NULL, v[p]);
	}
	fputc(']', fp);
}

/* A JSON string: quotes, backslashes and control characters escaped;
 * bytes that are not UTF-8 written as U+FFFD. */
static void
put_str(FILE *fp, const char *name, const char *v)
{
	if (name != NULL)
		fprintf(fp, ",\"%s\":", name);
	fputc('"', fp);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(fp, "\\u%04x", *p);
		else if (*p < 0x80)
			fputc(*p, fp);
		else {
			/* a whole, valid UTF-8 sequence or U+FFFD */
			int	 len = (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) ==
			    0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
			int	 ok = len > 0;

			for (int i = 1; ok && i < len; i++)
				ok = (p[i] & 0xc0) == 0x80;
			if (ok) {
				fwrite(p, 1, (size_t)len, fp);
				p += len - 1;
			} else
				fputs("\\ufffd", fp);
		}
	}
	fputc('"', fp);
}

/*
 * The site as operators see it: per phase, every charger and connector,
 * the newest events (docs/api.md, GET /api/status). Written directly,
 * not through a JSON tree: 1000 connectors take about 1 ms.
 */
char *
site_snap_json(const struct site_snap *sn)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&buf, &len);

	if (fp == NULL)
		return NULL;
	fputc('{', fp);
	put_str(fp, NULL, "site");
	fputc(':', fp);
	put_str(fp, NULL, sn->site);
	put_str(fp, "mode", sn->mode);
	fprintf(fp, ",\"meter_online\":%s", sn->meter_online ? "true" :
	    "false");
	put_str(fp, "meter_why", sn->meter_why);
	put_phases(fp, "clamp", sn->clamp);
	put_phases(fp, "ev", sn->ev);
	put_phases(fp, "non_ev", sn->non_ev);
	put_phases(fp, "available", sn->available);
	put_phases(fp, "used", sn->used);
	put_phases(fp, "limit", sn->limit);
	put_deci(fp, "group_limit", sn->group_limit);
	put_deci(fp, "site_limit", sn->site_limit);
	put_deci(fp, "margin", sn->margin);
	put_deci(fp, "offline_limit", sn->offline_limit);
	fprintf(fp, ",\"allocations\":%llu,\"running\":%d,\"paused\":%d,"
	    "\"uptime_ms\":%llu,\"time_ms\":%lld,\"restart_needed\":%s",
	    (unsigned long long)sn->allocations, sn->running, sn->paused,
	    (unsigned long long)sn->uptime_ms, (long long)sn->time_ms,
	    sn->restart_needed ? "true" : "false");
	put_str(fp, "authorisation", sn->authorisation);
	fputs(",\"chargers\":[", fp);
	for (int i = 0; i < sn->nch; i++) {
		const struct snap_charger *c = &sn->chargers[i];

		fprintf(fp, "%s{\"id\":%d", i ? "," : "", c->id);
		put_str(fp, "name", c->name);
		put_str(fp, "host", c->host);
		fprintf(fp, ",\"port\":%d,\"online\":%s", c->port, c->online ?
		    "true" : "false");
		put_str(fp, "status", c->status);
		fprintf(fp, ",\"connectors\":%d", c->connectors);
		put_str(fp, "serial", c->serial);
		put_deci(fp, "temperature", c->temp_ddeg);
		fputc('}', fp);
	}
	fputs("],\"connectors\":[", fp);
	for (size_t i = 0; i < sn->n; i++) {
		const struct snap_conn *c = &sn->conns[i];
		int	 nf = 0;

		fprintf(fp, "%s{", i ? "," : "");
		put_str(fp, NULL, "charger");
		fputc(':', fp);
		put_str(fp, NULL, c->charger);
		fprintf(fp, ",\"charger_id\":%d,\"connector\":%d,\"online\":%s",
		    c->charger_id, c->connector, c->online ? "true" : "false");
		put_str(fp, "state", c->state);
		put_str(fp, "cp", c->cp);
		put_str(fp, "phase", c->phase);
		fprintf(fp, ",\"demand\":%s,\"paused\":%s,\"boost\":%s,"
		    "\"smart_waiting\":%s", c->demand ? "true" : "false",
		    c->paused ? "true" : "false", c->boost ? "true" : "false",
		    c->smart_waiting ? "true" : "false");
		put_deci(fp, "target", c->target);
		put_deci(fp, "setpoint", c->setpoint);
		put_deci(fp, "in_force", c->in_force);
		put_deci(fp, "offer", c->offer);
		put_phases(fp, "current", c->current);
		fprintf(fp, ",\"session_wh\":%u,\"session_s\":%u,"
		    "\"session_no\":%u,\"faults\":[", c->session_wh,
		    c->session_s, c->session_no);
		for (int f = 0; f < F_COUNT; f++)
			if (c->faults & FAULT_BIT(f)) {
				if (nf++)
					fputc(',', fp);
				put_str(fp, NULL, fault_name((enum fault)f));
			}
		fputc(']', fp);
		put_str(fp, "led", c->led);
		put_str(fp, "led_colour", c->led_colour);
		put_deci(fp, "max_current", c->max_current);
		put_str(fp, "tag", c->tag);
		fputc('}', fp);
	}
	fputs("],\"events\":[", fp);
	for (int i = 0; i < sn->nevents; i++) {
		const struct recent_event *e = &sn->events[i];

		fprintf(fp, "%s{\"time_ms\":%lld,\"severity\":%d", i ? "," : "",
		    (long long)e->time_ms, e->severity);
		put_str(fp, "source", e->source);
		put_str(fp, "code", e->code);
		put_str(fp, "text", e->text);
		fputc('}', fp);
	}
	fputs("]}", fp);
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The status now, in this thread (the control socket's "status"). */
char *
site_status_json(const struct site *s, uint64_t now)
{
	struct site_snap sn;
	char	*text;

	if (site_snap_alloc(&sn, s->n, s->m->npeers) != 0)
		return NULL;
	site_snapshot(s, now, &sn);
	text = site_snap_json(&sn);
	site_snap_free(&sn);
	return text;
}

static int
find_slot(const struct site *s, const char *name, long k)
{
	long	 id = 0;

	if (name[0] == '#' && strnum_long(name + 1, 1, s->m->npeers, &id) != 0)
		return -1;
	for (size_t i = 0; i < s->n; i++)
		if ((id > 0 ? s->slot[i].peer == id - 1 :
		    strcmp(s->m->peers[s->slot[i].peer].cc->name, name) == 0) &&
		    s->slot[i].k == k - 1)
			return (int)i;
	return -1;
}

/*
 * Operator commands, one a line: status | limit A | pause|resume|lock|
 * unlock|reset|authorise|stop NAME N. Bad input changes nothing. *writes
 * gets what must be written at once, as site_allocate(), and the
 * commanded charger last, so that the command shows at once.
 */
char *
site_command(struct site *s, const char *who, const char *line, uint64_t now,
    const struct site_writes **writes)
{
	static const struct { const char *verb; int cmd; } verbs[] = {
		{ "pause", -1 }, { "resume", -2 }, { "boost", -3 },
		{ "authorise", REGMAP_CMD_AUTHORISE }, { "stop", REGMAP_CMD_STOP },
		{ "lock", REGMAP_CMD_LOCK }, { "unlock", REGMAP_CMD_UNLOCK },
		{ "reset", REGMAP_CMD_RESET },
	};
	char	 verb[16], name[MASTER_NAME_LEN], num[16], msg[160], extra;
	long	 v;
	int	 nw, i;

	s->writes.n = 0;
	*writes = &s->writes;
	nw = sscanf(line, "%15s %31s %15s %c", verb, name, num, &extra);
	if (nw == 1 && strcmp(verb, "status") == 0)
		return site_status_json(s, now);
	if (nw >= 1 && strcmp(verb, "set") == 0)
		return config_set(s, who, strlen(line) > 4 ? line + 4 : "");
	if (nw >= 2 && strcmp(verb, "limit") == 0) {
		/* the group limit, kept like any setting */
		snprintf(msg, sizeof(msg), "site.group_limit %s", line + 6);
		return config_set(s, who, msg);
	}
	for (size_t k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++) {
		if (strcmp(verb, verbs[k].verb) != 0)
			continue;
		if (nw != 3 || strnum_long(num, 1, 2, &v) != 0 ||
		    (i = find_slot(s, name, v)) < 0) {
			snprintf(msg, sizeof(msg), "error: %s: expected a "
			    "charger's name and connector 1 or 2", verb);
			return strdup(msg);
		}
		if (verbs[k].cmd == -3)
			s->slot[i].smart.boost = true;
		else if (verbs[k].cmd < 0)
			s->slot[i].op_paused = verbs[k].cmd == -1;
		else
			s->m->peers[s->slot[i].peer].link.cmd[s->slot[i].k] =
			    (uint16_t)verbs[k].cmd;
		master_event(s->m, SEV_INFO, who, verb, "%s: %s %s connector %ld",
		    who, verb, s->m->peers[s->slot[i].peer].cc->name, v);
		site_allocate(s, now);
		s->writes.peer[s->writes.n++] = s->slot[i].peer;
		return strdup("ok");
	}
	return strdup("error: unknown command (status, limit A, set S.KEY V, "
	    "pause, resume, boost, authorise, stop, lock, unlock, reset NAME N)");
}
