/*
 * bms.c: serves the building management map (bmsmap.c) over Modbus TCP.
 * It runs in the master's loop (the charger's server, mbserver.c: every
 * socket non-blocking under uv_poll): reads are served from a view of the
 * site's status taken at most once per BMS_VIEW_MS (a copy of the whole
 * status, about 0.7 ms at 1000 connectors: taken for each read, a BMS
 * reading in a loop took the loop's time), a write goes through the same
 * calls as the JSON API (the external limit) and the operators' commands
 * (pause, resume), so it is allocated, recorded and shown the same way,
 * done by "bms", and the next read takes a new view. No thread, no lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bms.h"
#include "bmsmap.h"
#include "charger.h"
#include "clock.h"
#include "log.h"
#include "master.h"
#include "mbserver.h"

#define BMS_WHO		"bms"
/* A view serves the reads for so long: a cycle is at least as long
 * (site.poll_period >= 100 ms), so a read still sees every cycle. */
#define BMS_VIEW_MS	100

struct bms {
	struct mbserver	 srv;
	struct master	*m;
	struct site_snap snap;
	struct bms_conn	*conns;
	struct bms_view	 view;
	uint64_t	 view_ms;	/* when it was taken */
	bool		 view_ok;	/* false: none, or a write since */
	uint64_t	 views;		/* taken (the benchmark's figure) */
	uv_timer_t	 tick;
};

/* The site now, as the map shows it: the view, taken again when it is
 * BMS_VIEW_MS old or a write came since. */
static const struct bms_view *
bms_view(struct bms *b, uint64_t now)
{
	const struct site_snap *sn = &b->snap;
	const struct ext_limit *e = &b->m->site.ext;
	struct bms_view *v = &b->view;

	if (b->view_ok && now - b->view_ms < BMS_VIEW_MS)
		return v;
	b->view_ok = true;
	b->view_ms = now;
	b->views++;
	site_snapshot(&b->m->site, now, &b->snap);
	memset(v, 0, sizeof(*v));
	v->meter_online = sn->meter_online;
	memcpy(v->measured, sn->clamp, sizeof(v->measured));
	memcpy(v->building, sn->non_ev, sizeof(v->building));
	memcpy(v->available, sn->available, sizeof(v->available));
	memcpy(v->limit, sn->limit, sizeof(v->limit));
	memcpy(v->ev, sn->ev, sizeof(v->ev));
	v->ext_on = e->on;
	memcpy(v->ext_limit, e->limit_da, sizeof(v->ext_limit));
	v->ext_left_s = e->on && e->until_ms > now ?
	    (uint32_t)((e->until_ms - now + 999) / 1000) : 0;
	for (size_t i = 0; i < sn->n; i++) {
		const struct snap_conn *c = &sn->conns[i];
		struct bms_conn *o = &b->conns[i];

		memset(o, 0, sizeof(*o));
		o->charger_id = (uint16_t)c->charger_id;
		o->connector = (uint16_t)c->connector;
		o->state = BMS_STATE_OFFLINE;
		for (uint16_t k = 0; c->online && k <= CS_LOCKED; k++)
			if (strcmp(c->state, conn_state_name(k)) == 0)
				o->state = k;
		o->offer = c->offer;
		memcpy(o->draw, c->current, sizeof(o->draw));
		o->session_wh = c->session_wh;
		o->faults = c->faults;
		o->paused = c->paused;
		memcpy(o->paused_by, c->paused_by, sizeof(o->paused_by));
	}
	v->n = sn->n;
	v->conns = b->conns;
	return v;
}

/* Every connector paused, or those paused by this map resumed, as an
 * operator's commands (site_command: the same events and allocation). */
static void
bms_pause(struct bms *b, bool pause, uint64_t now)
{
	struct site *s = &b->m->site;
	const struct site_writes *w;
	char	 line[96], *r;

	/* one allocation for them all, by the caller (bms_apply) */
	s->batch = true;
	for (size_t i = 0; i < s->n; i++) {
		const struct site_slot *sl = &s->slot[i];

		if (sl->op_paused == pause || (!pause &&
		    strcmp(sl->paused_by, BMS_WHO) != 0))
			continue;
		/* by its id: a charger's name may hold spaces */
		snprintf(line, sizeof(line), "%s #%d %d", pause ? "pause" :
		    "resume", sl->peer + 1, sl->k + 1);
		r = site_command(s, BMS_WHO, line, now, &w, NULL);
		free(r);
	}
	s->batch = false;
}

static void
bms_apply(struct bms *b, const struct bms_write *w, uint64_t now)
{
	struct site *s = &b->m->site;

	switch (w->op) {
	case BMS_W_LIMIT:
		site_external_limit_set(s, BMS_WHO, w->limit_da,
		    (uint64_t)w->valid_s * 1000, now);
		break;
	case BMS_W_CLEAR:
		(void)site_external_limit_clear(s, BMS_WHO);
		break;
	case BMS_W_PAUSE:
	case BMS_W_RESUME:
		bms_pause(b, w->op == BMS_W_PAUSE, now);
		break;
	}
	master_write_now(b->m, site_allocate(s, now), now);
	master_publish_status(b->m);
	b->view_ok = false;	/* the writer reads back what it wrote */
}

/* One complete request (mbserver.c has checked its frame). */
static int
bms_handle(struct mbserver *srv, const uint8_t *adu, int len, bool may_write,
    uint64_t now)
{
	struct bms *b = srv->arg;
	struct mbserver_req r;
	const struct bms_view *v;
	struct bms_write w;
	int	 exc;

	srv->requests++;
	if ((exc = mbserver_request(adu, len, &r)) != 0)
		return mbserver_exception(srv, adu, exc);
	if (!r.write) {
		v = bms_view(b, now);
		/* the image holds just the registers asked for */
		if (r.fc == MODBUS_FC_READ_INPUT_REGISTERS) {
			exc = bmsmap_inputs(v, r.addr, r.count,
			    srv->map->tab_input_registers);
			srv->map->start_input_registers = (int)r.addr;
			srv->map->nb_input_registers = (int)r.count;
		} else {
			exc = bmsmap_holdings(v, r.addr, r.count,
			    srv->map->tab_registers);
			srv->map->start_registers = (int)r.addr;
			srv->map->nb_registers = (int)r.count;
		}
		if (exc != 0)
			return mbserver_exception(srv, adu, exc);
	} else {
		/* only the allow-list's addresses change anything */
		if (!may_write)
			return mbserver_exception(srv, adu, BMS_EXC_FUNCTION);
		if ((exc = bmsmap_write(r.addr, r.count, r.vals, &w)) != 0)
			return mbserver_exception(srv, adu, exc);
		bms_apply(b, &w, now);
		srv->map->start_registers = (int)r.addr;
		srv->map->nb_registers = (int)r.count;
	}
	return modbus_reply(srv->ctx, adu, len, srv->map) < 0 ? -1 : 0;
}

static void
bms_tick(uv_timer_t *t)
{
	struct bms *b = t->data;

	mbserver_tick(&b->srv, clock_now_ms());
}

int
bms_start(struct master *m)
{
	const struct master_config *mc = m->conf;
	struct bms *b;
	char	 err[160];
	int	 n;

	if (!mc->bms.enabled)
		return 0;
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    site_snap_alloc(&b->snap, m->site.n, m->npeers) != 0 ||
	    (b->conns = calloc(m->site.n + 1, sizeof(*b->conns))) == NULL) {
		log_warnx("bms: out of memory");
		goto fail;
	}
	b->m = m;
	if (mbserver_listen(&b->srv, m->loop, mc->bms.listen, mc->bms.port,
	    "bms", bms_handle, b, err, sizeof(err)) != 0) {
		log_warnx("bms: %s", err);
		goto fail;
	}
	/* mbguard's "masters" here: a writer keeps its connection, and
	 * takes one (the quietest of another address) when all are taken */
	b->srv.privileged = "a writer (bms.writers)";
	n = bms_writers_parse(mc->bms.writers, b->srv.masters, b->srv.masks);
	b->srv.nmasters = n < 0 ? 0 : n;	/* checked with the config */
	for (int i = 0; i < b->srv.nmasters; i++)
		if (b->srv.masks[i] == 0) {
			/* allowed (a lab, a closed network), never quietly */
			log_warnx("bms: bms.writers: %s lets any address that "
			    "can connect write (the external limit, the pause "
			    "of every connector): list the BMS's own addresses",
			    mc->bms.writers);
			break;
		}
	uv_timer_init(m->loop, &b->tick);
	b->tick.data = b;
	uv_timer_start(&b->tick, bms_tick, 1000, 1000);
	m->bms = b;
	log_info("bms: Modbus TCP server on %s:%d, %d writer(s)",
	    mc->bms.listen, mc->bms.port, b->srv.nmasters);
	return 0;
fail:
	if (b != NULL) {
		site_snap_free(&b->snap);
		free(b->conns);
		free(b);
	}
	return -1;
}

/* Closes its sockets and timer (the loop finishes closing them). */
void
bms_stop(struct master *m)
{
	struct bms *b = m->bms;

	if (b == NULL || !b->srv.open)
		return;
	log_info("bms: %llu requests served, from %llu views of the status",
	    (unsigned long long)b->srv.requests,
	    (unsigned long long)b->views);
	mbserver_close(&b->srv);
	uv_timer_stop(&b->tick);
	uv_close((uv_handle_t *)&b->tick, NULL);
}

/* After the loop has closed what bms_stop closed. */
void
bms_free(struct master *m)
{
	struct bms *b = m->bms;

	if (b == NULL)
		return;
	m->bms = NULL;
	site_snap_free(&b->snap);
	free(b->conns);
	free(b);
}
