/*
 * master.c: the master's loop: its start-up (the chargers' links, the
 * sessions left open, the store, the site, the meter's thread, the
 * control socket, the web server and the status publisher), what starts
 * the rounds (the cycle timer, or the meter's readings), the operators'
 * commands, and its shutdown and restart.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "bms.h"
#include "master.h"
#include "ocpp.h"
#include "testsite.h"

/* The site's status: to the web UI and the status file, through the
 * publisher's thread. */
void
master_publish_status(struct master *m)
{
	publisher_post(&m->pub, clock_now_ms());
}

/* The meter starts the rounds while its results come (cycle_cb), so
 * that the rounds follow its readings rather than a timer of their own
 * (a timer round just before each reading would leave every reading
 * between two rounds). */
static bool
meter_drives(const struct master *m, uint64_t now)
{
	return m->site.meter_running && m->meter_seen_ms != 0 &&
	    now - m->meter_seen_ms < (uint64_t)m->conf->site.poll_period *
	    3 / 2;
}

static void
meter_result(struct meterio *io, bool ok, const struct meter_reading *r,
    const char *why)
{
	struct master *m = io->data;
	uint64_t now = clock_now_ms();

	site_meter_result(&m->site, ok, r, why, now);
	m->meter_seen_ms = now;
	/* Every reading can change what the site may carry, so it is
	 * answered within one meter period. When the chargers are due, they
	 * are read at once and the site allocated when they have answered,
	 * so that their currents and the meter's are of the same moment
	 * (docs/load-balancing.md, "Readings in time"); between their polls
	 * (the meter reads more often), at once, the cycle counting each car
	 * at the most it may have risen to. */
	if (!m->cycle_open || now - m->cycle_start_ms +
	    (uint64_t)m->conf->meter.poll_period / 2 >=
	    (uint64_t)m->conf->site.poll_period)
		master_round(m, now);
	else
		master_write_now(m, site_round_done(&m->site, now), now);
}

/* An operator's line on the control socket. */
static char *
on_control(void *arg, const char *line)
{
	struct master *m = arg;
	const struct site_writes *w;
	uint64_t now = clock_now_ms();
	char	*answer = site_command(&m->site, "operator", line, now, &w, NULL);

	master_write_now(m, w, now);
	return answer;
}

/*
 * Every poll period: a round of polls (unless the meter's readings start
 * them), the status out, the store watched, the loop's timing measured.
 */
static void
cycle_cb(uv_timer_t *t)
{
	struct master *m = t->data;
	uint64_t now = clock_now_ms();

	/* With a meter reading, the meter's readings start the rounds. */
	if (!meter_drives(m, now))
		master_round(m, now);
	alarms_step(m, now, clock_wall_ms());
	master_publish_status(m);
	{
		bool	 failing;
		char	 err[160];
		uint64_t written, lost;
		size_t	 queued;

		store_status(m->store, &failing, err, sizeof(err), &written,
		    &lost, &queued);
		if (failing != m->store_failing) {
			m->store_failing = failing;
			/* the event itself waits in the queue with the rest */
			if (failing)
				master_event(m, SEV_ALARM, "database",
				    "write-failed", "cannot write the database "
				    "(%s): %zu records kept in memory, charging "
				    "goes on", err, queued);
			else
				master_event(m, SEV_INFO, "database", "write-ok",
				    "database writable again: %zu records to "
				    "write, %llu written so far", queued,
				    (unsigned long long)written);
		}
	}
	{
		/* how far this cycle's start strays from its period (the
		 * loop's timing: anything that holds the loop shows here) */
		uint64_t us = uv_hrtime() / 1000, want = (uint64_t)
		    m->conf->site.poll_period * 1000;

		if (m->cycle_start_us != 0) {
			uint64_t d = us - m->cycle_start_us;

			m->stats.jitter[m->stats.njitter++ %
			    MASTER_CYCLE_RING] = (uint32_t)(d > want ? d - want :
			    want - d);
		}
		m->cycle_start_us = us;
	}
}

int
master_start(struct master *m, uv_loop_t *loop, struct master_config *mc,
    struct store *store, const char *db_note)
{
	memset(m, 0, sizeof(*m));
	m->loop = loop;
	m->conf = mc;
	m->conf_rw = mc;
	if ((m->saved = malloc(sizeof(*m->saved))) == NULL ||
	    (m->rfid = calloc(RFID_MAX, sizeof(*m->rfid))) == NULL ||
	    (m->book = calloc(1, sizeof(*m->book))) == NULL)
		return -1;
	*m->saved = *mc;
	uv_timer_init(loop, &m->restart_timer);
	m->restart_timer.data = m;
	m->lp = (struct link_params){
		.response_timeout_ms = (uint32_t)mc->site.response_timeout,
		.connect_timeout_ms = (uint32_t)mc->site.connect_timeout,
		.offline_after = mc->site.offline_after,
		.fallback_da = (uint16_t)mc->site.fallback_current,
		.fallback_s = (uint16_t)mc->site.fallback_timeout,
		.authorisation = mc->site.authorisation ? 1 : 0,
	};
	m->npeers = mc->ncharger;
	if ((m->peers = calloc((size_t)m->npeers + 1, sizeof(*m->peers))) ==
	    NULL)
		return -1;
	for (int i = 0; i < m->npeers; i++) {
		struct peer *p = &m->peers[i];
		const struct charger_conf *cc = &mc->charger[i];
		uint16_t want[REGMAP_MAX_CONN];

		p->m = m;
		p->cc = cc;
		/* Nothing is offered before the allocator says so. */
		for (int k = 0; k < REGMAP_MAX_CONN; k++)
			want[k] = 0;
		link_init(&p->link, cc->connectors, want);
		uv_timer_init(loop, &p->timer);
		p->timer.data = p;
	}
	m->store = store;
	uv_timer_init(loop, &m->round_timer);
	m->round_timer.data = m;
	if (site_start(&m->site, m) != 0)
		return -1;
	if (store->db != NULL) {
		int	 nopen = sessions_recover(m);

		rfid_load(m);
		alarms_load(m, clock_now_ms());
		site_ops_load(&m->site);
		if (mc->web.enabled && web_init(&m->web, m) != 0)
			return -1;
		if (store_start(store) != 0)
			return -1;
		if (db_note != NULL && db_note[0] != '\0')
			master_event(m, SEV_ALARM, "database", "damaged", "%s",
			    db_note);
		master_event(m, SEV_INFO, "site", "start", "appliance started: "
		    "%d charger(s), %d open session(s) to recover",
		    m->npeers, nopen);
		site_ops_restored(&m->site);
	}
	if (mc->meter.enabled) {
		if (meterio_start(&m->site.mio, loop, &mc->meter, meter_result,
		    m) != 0)
			return -1;
		m->site.meter_running = true;
	}
	if (site_meters_start(&m->site, loop) != 0)
		return -1;
	if (mc->site.control_socket[0] != '\0' &&
	    linesrv_start(&m->ctl, loop, mc->site.control_socket, on_control,
	    m) != 0)
		return -1;
	/* before the web server: its threads ask the publisher for the
	 * status (publisher_sync) */
	if (mc->mqtt.enabled) {
		if (mqtt_start(&m->mqtt, m, loop) != 0)
			return -1;
		m->mqtt_on = true;
	}
	if ((mc->web.enabled || mc->site.status_file[0] != '\0' ||
	    m->mqtt_on) &&
	    publisher_start(&m->pub, m, mc->web.enabled ? &m->web : NULL) != 0)
		return -1;
	if (mc->web.enabled) {
		if (!m->web.auth_ready && web_init(&m->web, m) != 0)
			return -1;
		if (web_start(&m->web, m) != 0)
			return -1;
		m->web_on = true;
	}
	if (webhook_start(&m->hook) != 0)
		return -1;
	if (bms_start(m) != 0)
		return -1;
	if (ocpp_start(m, loop) != 0)
		return -1;
	uv_timer_init(loop, &m->cycle_timer);
	m->cycle_timer.data = m;
	uv_timer_start(&m->cycle_timer, cycle_cb, 0,
	    (uint64_t)mc->site.poll_period);
	return 0;
}

void
master_stop(struct master *m)
{
	/* first, while the database still takes events */
	testsite_shutdown(&m->site, m->restart_requested, clock_now_ms());
	if (m->conf->site.stats_file[0])
		master_write_stats(m);
	if (m->site.meter_running)
		meterio_stop(&m->site.mio);
	m->site.meter_running = false;
	site_meters_stop(&m->site);
	linesrv_close(&m->ctl);
	publisher_stop(&m->pub);
	if (m->mqtt_on)
		mqtt_stop(&m->mqtt);
	m->mqtt_on = false;
	if (m->web_on)
		web_stop(&m->web);
	m->web_on = false;
	publisher_free(&m->pub);
	/* after the publisher: its thread reads ocpp_status() */
	ocpp_stop(m);
	webhook_stop(&m->hook);
	bms_stop(m);
	uv_close((uv_handle_t *)&m->restart_timer, NULL);
	uv_timer_stop(&m->cycle_timer);
	uv_close((uv_handle_t *)&m->cycle_timer, NULL);
	uv_timer_stop(&m->round_timer);
	uv_close((uv_handle_t *)&m->round_timer, NULL);
	master_link_close(m);
}

void
master_free(struct master *m)
{
	bms_free(m);
	site_free(&m->site);
	free(m->peers);
	m->peers = NULL;
	free(m->saved);
	m->saved = NULL;
	free(m->rfid);
	m->rfid = NULL;
	free(m->book);
	m->book = NULL;
}

static void
restart_cb(uv_timer_t *t)
{
	struct master *m = t->data;

	m->restart_requested = true;
	if (m->on_stop != NULL)
		m->on_stop(m->on_stop_arg);
	else
		master_stop(m);
}

/* A restart asked for through the API: after its answer has gone out. */
void
master_restart(struct master *m)
{
	uv_timer_start(&m->restart_timer, restart_cb, 300, 0);
}
