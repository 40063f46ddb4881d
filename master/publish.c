/*
 * publish.c: snapshots in, JSON out, in a thread. See publish.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "master.h"
#include "publish.h"

static void
write_status_file(const char *path, const char *text)
{
	char	 tmp[300];
	FILE	*fp;

	/* written whole or not at all */
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if ((fp = fopen(tmp, "w")) == NULL)
		return;
	fprintf(fp, "%s\n", text);
	if (fclose(fp) == 0)
		rename(tmp, path);
}

/*
 * Whether the newest snapshot should become JSON now. Under p->mu. Made
 * for every snapshot, 2000 connectors' JSON cost the master about a
 * quarter of its CPU (1.8 % of a core, perf, docs/performance.md) with
 * nobody reading it.
 */
static bool
wanted(struct publisher *p, uint64_t now)
{
	return p->want || p->status_file[0] != '\0' ||
	    (p->web != NULL && (web_streams(p->web) > 0 ||
	    (p->asked_ms != 0 && now < p->asked_ms + PUBLISH_LINGER_MS)));
}

/*
 * Under p->mu: a snapshot to take (for MQTT every one, see mqtt.h), or
 * the one MQTT took without its JSON, now that a reader wants it.
 */
static bool
work_waiting(struct publisher *p, uint64_t now)
{
	return (p->fresh && (p->mqtt != NULL || wanted(p, now))) ||
	    (!p->fresh && p->want && p->built < p->posted);
}

static void
worker(void *arg)
{
	struct publisher *p = arg;

	uv_mutex_lock(&p->mu);
	for (;;) {
		struct site_snap *t;
		uint64_t n;
		char	*text;
		bool	 json, took = false;

		while (!p->stop && !work_waiting(p, clock_now_ms()))
			uv_cond_wait(&p->cv, &p->mu);
		if (p->stop)
			break;
		json = wanted(p, clock_now_ms());
		if (p->fresh) {
			t = p->work;
			p->work = p->ready;
			p->ready = t;
			p->fresh = false;
			took = true;
		}
		p->want = false;
		n = p->posted;
		uv_mutex_unlock(&p->mu);

		if (took && p->mqtt != NULL)
			mqtt_snap(p->mqtt, p->work, clock_now_ms());
		if (json && (text = site_snap_json(p->work)) != NULL) {
			if (p->web != NULL)
				web_publish_status(p->web, text);
			if (p->status_file[0] != '\0')
				write_status_file(p->status_file, text);
			free(text);
		}

		uv_mutex_lock(&p->mu);
		if (json)
			p->built = n;
		p->published++;
		uv_cond_broadcast(&p->done);
	}
	uv_mutex_unlock(&p->mu);
}

int
publisher_start(struct publisher *p, struct master *m, struct web *w)
{
	memset(p, 0, sizeof(*p));
	p->m = m;
	p->web = w;
	p->mqtt = m->mqtt_on ? &m->mqtt : NULL;
	snprintf(p->status_file, sizeof(p->status_file), "%s",
	    m->conf->site.status_file);
	for (int i = 0; i < 3; i++)
		if (site_snap_alloc(&p->buf[i], m->site.n, m->npeers) != 0)
			return -1;
	p->fill = &p->buf[0];
	p->ready = &p->buf[1];
	p->work = &p->buf[2];
	uv_mutex_init(&p->mu);
	uv_cond_init(&p->cv);
	uv_cond_init(&p->done);
	if (uv_thread_create(&p->thread, worker, p) != 0)
		return -1;
	p->running = true;
	return 0;
}

/* The loop: the site now, to be published (a newer one replaces one that
 * was not yet taken). */
void
publisher_post(struct publisher *p, uint64_t now)
{
	struct site_snap *t;

	if (!p->running)
		return;
	site_snapshot(&p->m->site, now, p->fill);
	uv_mutex_lock(&p->mu);
	t = p->ready;
	p->ready = p->fill;
	p->fill = t;
	p->fresh = true;
	p->posted++;
	uv_cond_signal(&p->cv);
	uv_mutex_unlock(&p->mu);
}

/*
 * A reader (web threads): when the thread has not been making every
 * snapshot into JSON, has it make the newest and waits for it, so that
 * what is read is never older than the last cycle. Then the next
 * PUBLISH_LINGER_MS of snapshots are made as they come.
 */
void
publisher_sync(struct publisher *p)
{
	uint64_t now, until, target;

	if (!p->running)
		return;
	now = clock_now_ms();
	uv_mutex_lock(&p->mu);
	if (!p->stop && !wanted(p, now)) {
		target = p->posted;
		/* the newest, or the one MQTT took without its JSON */
		if (p->fresh || p->built < target) {
			p->want = true;
			uv_cond_signal(&p->cv);
		}
		until = now + PUBLISH_SYNC_MS;
		while (!p->stop && p->built < target &&
		    (now = clock_now_ms()) < until)
			(void)uv_cond_timedwait(&p->done, &p->mu,
			    (until - now) * 1000000);
	}
	p->asked_ms = clock_now_ms();
	uv_mutex_unlock(&p->mu);
}

/* Ends the thread; readers asking from now on get what there is. The
 * locks stay until publisher_free (the web server may still ask). */
void
publisher_stop(struct publisher *p)
{
	if (p->running && !p->stop) {
		uv_mutex_lock(&p->mu);
		p->stop = true;
		uv_cond_signal(&p->cv);
		uv_cond_broadcast(&p->done);
		uv_mutex_unlock(&p->mu);
		uv_thread_join(&p->thread);
	}
}

/* After the web server has stopped. */
void
publisher_free(struct publisher *p)
{
	publisher_stop(p);
	if (p->running) {
		uv_mutex_destroy(&p->mu);
		uv_cond_destroy(&p->cv);
		uv_cond_destroy(&p->done);
		p->running = false;
	}
	for (int i = 0; i < 3; i++)
		site_snap_free(&p->buf[i]);
}
