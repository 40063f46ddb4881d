/*
 * mqtt.c: the site on an MQTT broker, and its commands. See mqtt.h and,
 * for what is said there, mqttcore.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>

#include "clock.h"
#include "master.h"
#include "mqtt.h"

/*
 * A message published, counted until the broker has it (on_publish);
 * MOSQ_ERR_NO_CONN unless connected (on_connect to on_disconnect): while
 * a connection is being made libmosquitto writes a message published
 * from another thread on the socket at once, before the TLS handshake
 * and before CONNECT (the broker then drops the connection: "wrong
 * version number"); and while there is none it keeps every QoS 1 or 2
 * message in a list without a bound (the state is sent whole again on
 * connecting anyway).
 */
static int
publish(struct mqtt *q, const char *topic, const char *payload, int qos,
    bool retain)
{
	bool	 up;
	int	 rc;

	uv_mutex_lock(&q->mu);
	up = q->connected;
	uv_mutex_unlock(&q->mu);
	if (!up)
		return MOSQ_ERR_NO_CONN;
	rc = mosquitto_publish(q->mosq, NULL, topic, payload != NULL ?
	    (int)strlen(payload) : 0, payload, qos, retain);
	if (rc == MOSQ_ERR_SUCCESS) {
		uv_mutex_lock(&q->mu);
		if (++q->inflight > q->inflight_max)
			q->inflight_max = q->inflight;
		uv_mutex_unlock(&q->mu);
	}
	return rc;
}

static void
put(struct mqtt *q, const char *topic, const char *payload, bool retain)
{
	int	 rc = publish(q, topic, payload, q->m->conf->mqtt.qos, retain);

	if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN)
		log_at(LOG_WARNING, "mqtt: %s: %s", topic,
		    mosquitto_strerror(rc));
}

/* libmosquitto's thread: a message of ours the broker has (QoS 0: its
 * packet written to the socket; 1 and 2: acknowledged). */
static void
on_publish(struct mosquitto *mosq, void *arg, int mid)
{
	struct mqtt *q = arg;

	(void)mosq;
	(void)mid;
	uv_mutex_lock(&q->mu);
	if (q->inflight > 0)	/* none before a reconnection's reset */
		q->inflight--;
	uv_mutex_unlock(&q->mu);
}

/*
 * The answer to a command on <base>/reply, unless MQTT_REPLY_BACKLOG of
 * our messages already wait for the broker (a flood: the refusal is then
 * only counted); and the refusal's log line, when one is due
 * (mqtt_refused). Any thread.
 */
static void
answer(struct mqtt *q, const char *topic, bool ok, const char *why)
{
	char	 rt[MQTT_TOPIC_LEN], line[sizeof(q->refusals.last) + 160],
		 what[sizeof(q->refusals.last)], *r;
	bool	 full, due = false;

	uv_mutex_lock(&q->mu);
	full = q->inflight >= MQTT_REPLY_BACKLOG;
	uv_mutex_unlock(&q->mu);
	if (!full) {
		snprintf(rt, sizeof(rt), "%s/reply", q->base);
		if ((r = mqtt_reply_json(topic, ok, why)) != NULL)
			put(q, rt, r, false);
		free(r);
	}
	if (ok)
		return;
	snprintf(what, sizeof(what), "%s: %s", topic, why);
	uv_mutex_lock(&q->mu);
	due = mqtt_refused(&q->refusals, what, !full, clock_now_ms(),
	    clock_wall_ms() / 1000, line, sizeof(line)) == 1;
	uv_mutex_unlock(&q->mu);
	if (due)
		MLOG(q->m, LOG_WARNING, "mqtt: %s", line);
}

/* A summary of refusals owed: when due (a burst ended), or at a stop. */
static void
refusal_summary(struct mqtt *q, bool stop)
{
	char	 line[sizeof(q->refusals.last) + 160];
	bool	 due;

	uv_mutex_lock(&q->mu);
	due = mqtt_refusals_due(&q->refusals, clock_now_ms(), stop, line,
	    sizeof(line)) == 1;
	uv_mutex_unlock(&q->mu);
	if (due)
		MLOG(q->m, LOG_WARNING, "mqtt: %s", line);
}

/* The loop, every second. */
static void
refusal_tick(uv_timer_t *t)
{
	refusal_summary(t->data, false);
}

/* Home Assistant's configurations, MQTT_DISC_BATCH of them from the
 * next (the publisher's thread); the next one after them, -1 when all
 * went. */
static int
discovery(struct mqtt *q, int next)
{
	char	 topic[MQTT_TOPIC_LEN], *pl;
	int	 i, rc;

	for (i = next; i < next + MQTT_DISC_BATCH; i++) {
		if (!mqtt_discovery(&q->nm, i, topic, sizeof(topic), &pl))
			return -1;
		rc = publish(q, topic, pl, q->m->conf->mqtt.qos, true);
		free(pl);
		if (rc != MOSQ_ERR_SUCCESS)
			return i;	/* again from there */
	}
	return i;
}

static void
on_connect(struct mosquitto *mosq, void *arg, int rc)
{
	struct mqtt *q = arg;
	const struct master_config *mc = q->m->conf;
	char	 t[MQTT_TOPIC_LEN];

	if (rc != 0) {
		log_at(LOG_WARNING, "mqtt: %s:%d refused us: %s", mc->mqtt.host,
		    mc->mqtt.port, mosquitto_connack_string(rc));
		return;
	}
	log_at(LOG_INFO, "mqtt: connected to %s:%d", mc->mqtt.host,
	    mc->mqtt.port);
	uv_mutex_lock(&q->mu);
	q->connected = true;
	uv_mutex_unlock(&q->mu);
	snprintf(t, sizeof(t), "%s/availability", q->base);
	put(q, t, "online", true);
	/* the commands are answered even when disabled: their sender
	 * learns why nothing happens */
	snprintf(t, sizeof(t), "%s/charger/+/+/+/set", q->base);
	mosquitto_subscribe(mosq, NULL, t, 1);
	snprintf(t, sizeof(t), "%s/site/+/set", q->base);
	mosquitto_subscribe(mosq, NULL, t, 1);
	snprintf(t, sizeof(t), "%s/command", q->base);
	mosquitto_subscribe(mosq, NULL, t, 1);
	if (mc->mqtt.discovery) {
		/* to clear the entities of chargers taken out of the site */
		char	 node[80];

		mqtt_slug(mc->site.name, node, sizeof(node));
		snprintf(t, sizeof(t), "%s/+/evgroup_%s/+/config",
		    q->nm.prefix, node);
		mosquitto_subscribe(mosq, NULL, t, 1);
	}
	uv_mutex_lock(&q->mu);
	q->resend = true;
	q->disc_next = mc->mqtt.discovery ? 0 : -1;
	/* what waited for the lost connection is gone with it (QoS 0) or
	 * is sent again and counted down then (QoS 1, 2) */
	q->inflight = 0;
	uv_mutex_unlock(&q->mu);
}

static void
on_disconnect(struct mosquitto *mosq, void *arg, int rc)
{
	struct mqtt *q = arg;

	(void)mosq;
	uv_mutex_lock(&q->mu);
	q->connected = false;
	uv_mutex_unlock(&q->mu);
	if (rc != 0)
		log_at(LOG_WARNING, "mqtt: lost %s:%d (%s); reconnecting",
		    q->m->conf->mqtt.host, q->m->conf->mqtt.port,
		    mosquitto_strerror(rc));
}

/* libmosquitto's own errors: the only place that says why a TLS
 * connection failed ("certificate verify failed"). Once an attempt,
 * and the attempts are paced by the back-off. */
static void
on_log(struct mosquitto *mosq, void *arg, int level, const char *text)
{
	(void)mosq;
	(void)arg;
	if (level & MOSQ_LOG_ERR)
		log_at(LOG_WARNING, "mqtt: %s", text);
}

static void
on_message(struct mosquitto *mosq, void *arg,
    const struct mosquitto_message *msg)
{
	struct mqtt *q = arg;
	struct mqtt_msg *e;

	(void)mosq;
	if (strncmp(msg->topic, q->nm.prefix, strlen(q->nm.prefix)) == 0) {
		/* what the broker kept from before has the retain flag; our
		 * own configurations come back without it */
		if (msg->retain && msg->payloadlen > 0 &&
		    mqtt_discovery_stale(&q->nm,
		    msg->topic)) {
			log_at(LOG_INFO, "mqtt: %s: removed (no longer in the "
			    "site)", msg->topic);
			put(q, msg->topic, NULL, true);
		}
		return;
	}
	/* a command the broker kept (published with the retain flag) comes
	 * again at every subscription: at each start and reconnection it
	 * would undo what an installer did since (a limit lowered, a
	 * resume); only what is sent while we listen is carried out */
	if (msg->retain) {
		answer(q, msg->topic, false, "refused: retained command "
		    "ignored");
		return;
	}
	uv_mutex_lock(&q->mu);
	if (q->qlen == MQTT_QUEUE) {
		uv_mutex_unlock(&q->mu);
		answer(q, msg->topic, false, "refused: too many commands at "
		    "once; dropped");
		return;
	}
	e = &q->q[(q->qhead + q->qlen++) % MQTT_QUEUE];
	snprintf(e->topic, sizeof(e->topic), "%s", msg->topic);
	/* too long: the parser says so */
	e->len = msg->payloadlen < 0 ? 0 : (size_t)msg->payloadlen;
	if (e->len > sizeof(e->payload))
		e->len = sizeof(e->payload);
	memcpy(e->payload, msg->payload, e->len);
	uv_mutex_unlock(&q->mu);
	uv_async_send(&q->async);
}

/* A command, in the loop: the API's own path (site_command, the
 * settings' confirmation); what it answers goes to <base>/reply. */
static void
command(struct mqtt *q, const struct mqtt_msg *e)
{
	struct master *m = q->m;
	struct mqtt_cmd cmd;
	const struct site_writes *w;
	char	 words[CFG_ERRLEN + 400], why[sizeof(words) + 64], field[64],
		 line[96], *ans = NULL;
	const char *sec = "site", *key = "group_limit", *val;
	uint64_t now = clock_now_ms();
	bool	 ok = false;
	int	 rc;

	if (!m->conf->mqtt.commands)
		snprintf(why, sizeof(why), "refused: commands from MQTT are "
		    "disabled (mqtt.commands)");
	else if (mqtt_command_parse(&q->nm, e->topic, e->payload, e->len,
	    &cmd, words, sizeof(words)) != 0)
		snprintf(why, sizeof(why), "error: %s", words);
	else if (cmd.verb == MQTT_LIMIT) {
		val = cmd.value;
		rc = site_config_apply(m, "mqtt", 1, &sec, &key, &val, 0,
		    cmd.confirm, NULL, why, sizeof(why), field,
		    sizeof(field));
		master_config_words(m->saved, why, words, sizeof(words));
		snprintf(why, sizeof(why), "%s%s", rc < 0 ? "error: " : rc > 0 ?
		    "refused: " : "ok: ", words);
		if (rc > 0)
			snprintf(why + strlen(why), sizeof(why) - strlen(why),
			    " (a raise needs \"confirm\": true)");
		ok = rc == 0;
	} else {
		mqtt_command_line(&cmd, line, sizeof(line));
		ans = site_command(&m->site, "mqtt", line, now, &w, NULL);
		snprintf(why, sizeof(why), "%s", ans ? ans : "error: no memory");
		ok = ans != NULL && strncmp(ans, "ok", 2) == 0;
		if (ok)
			master_write_now(m, w, now);
		free(ans);
	}
	answer(q, e->topic, ok, why);
}

static void
async_cb(uv_async_t *a)
{
	struct mqtt *q = a->data;
	struct mqtt_msg e;

	for (;;) {
		uv_mutex_lock(&q->mu);
		if (q->qlen == 0) {
			uv_mutex_unlock(&q->mu);
			return;
		}
		e = q->q[q->qhead];
		q->qhead = (q->qhead + 1) % MQTT_QUEUE;
		q->qlen--;
		uv_mutex_unlock(&q->mu);
		command(q, &e);
	}
}

/*
 * An attempt at a connection, off the loop (a host name's look-up may
 * take seconds): libmosquitto's thread (stopped first if it runs) makes
 * it and keeps it, reconnecting a connection lost. 0, or -1 with the
 * reason logged.
 */
static int
attempt(struct mqtt *q, bool *running, uint64_t delay)
{
	const struct master_config *mc = q->m->conf;
	int	 rc;

	if (*running) {
		mosquitto_disconnect(q->mosq);
		mosquitto_loop_stop(q->mosq, false);
		*running = false;
	}
	rc = mosquitto_connect_async(q->mosq, mc->mqtt.host, mc->mqtt.port,
	    30);
	if (rc == MOSQ_ERR_SUCCESS && (rc = mosquitto_loop_start(q->mosq)) ==
	    MOSQ_ERR_SUCCESS) {
		*running = true;
		return 0;
	}
	log_at(LOG_WARNING, "mqtt: %s:%d: %s; trying again in %llu s",
	    mc->mqtt.host, mc->mqtt.port, rc == MOSQ_ERR_ERRNO ?
	    strerror(errno) : mosquitto_strerror(rc), (unsigned long long)delay);
	return -1;
}

/*
 * The keeper of the connection, until the master stops: an attempt, and
 * another after the back-off (1, 2, 4 .. 60 s; MQTT_CONNECT_WAIT_S at
 * least while libmosquitto's thread works on one) for as long as no
 * connection is up. libmosquitto's thread alone would not do: it never
 * tries again after a first attempt that failed in it (a broker down at
 * the start, a TLS handshake refused), and it ends at a TLS or protocol
 * error on a reconnection (a broker's certificate renewed by another CA).
 */
static void
keeper(void *arg)
{
	struct mqtt *q = arg;
	const struct master_config *mc = q->m->conf;
	uint64_t delay = MQTT_BACKOFF_MIN_S, wait_s, down_s = 0;
	bool	 running = false;
	int	 rc;

	rc = attempt(q, &running, delay);
	uv_mutex_lock(&q->mu);
	while (!q->stopping) {
		wait_s = running && delay < MQTT_CONNECT_WAIT_S ?
		    MQTT_CONNECT_WAIT_S : delay;
		if (q->connected) {
			delay = MQTT_BACKOFF_MIN_S;
			down_s = 0;
		} else if (++down_s >= wait_s) {
			uv_mutex_unlock(&q->mu);
			if (rc == 0)
				log_at(LOG_WARNING, "mqtt: %s:%d: no connection "
				    "for %llu s; trying again", mc->mqtt.host,
				    mc->mqtt.port, (unsigned long long)down_s);
			if ((delay *= 2) > MQTT_BACKOFF_MAX_S)
				delay = MQTT_BACKOFF_MAX_S;
			rc = attempt(q, &running, delay);
			down_s = 0;
			uv_mutex_lock(&q->mu);
			continue;
		}
		(void)uv_cond_timedwait(&q->stop_cv, &q->mu, 1000000000ull);
	}
	uv_mutex_unlock(&q->mu);
}

static int
setup(struct mqtt *q)
{
	const struct master_config *mc = q->m->conf;
	char	 id[96], will[MQTT_TOPIC_LEN], slug[64];
	int	 rc;

	mqtt_slug(mc->site.name, slug, sizeof(slug));
	if (mc->mqtt.client_id[0] != '\0')
		snprintf(id, sizeof(id), "%s", mc->mqtt.client_id);
	else
		snprintf(id, sizeof(id), "evgroup-%s", slug);
	if ((q->mosq = mosquitto_new(id, true, q)) == NULL)
		return -1;
	mosquitto_connect_callback_set(q->mosq, on_connect);
	mosquitto_disconnect_callback_set(q->mosq, on_disconnect);
	mosquitto_message_callback_set(q->mosq, on_message);
	mosquitto_publish_callback_set(q->mosq, on_publish);
	mosquitto_log_callback_set(q->mosq, on_log);
	mosquitto_reconnect_delay_set(q->mosq, MQTT_BACKOFF_MIN_S,
	    MQTT_BACKOFF_MAX_S, true);
	snprintf(will, sizeof(will), "%s/availability", q->base);
	rc = mosquitto_will_set(q->mosq, will, 7, "offline", mc->mqtt.qos,
	    true);
	if (rc == MOSQ_ERR_SUCCESS && mc->mqtt.username[0] != '\0')
		rc = mosquitto_username_pw_set(q->mosq, mc->mqtt.username,
		    mc->mqtt.password[0] ? mc->mqtt.password : NULL);
	if (rc == MOSQ_ERR_SUCCESS && mc->mqtt.tls)
		rc = mosquitto_tls_set(q->mosq, mc->mqtt.ca_file[0] ?
		    mc->mqtt.ca_file : NULL, mc->mqtt.ca_file[0] ? NULL :
		    "/etc/ssl/certs", mc->mqtt.cert_file[0] ?
		    mc->mqtt.cert_file : NULL, mc->mqtt.key_file[0] ?
		    mc->mqtt.key_file : NULL, NULL);
	if (rc != MOSQ_ERR_SUCCESS) {
		log_at(LOG_ERROR, "mqtt: %s", mosquitto_strerror(rc));
		return -1;
	}
	return 0;
}

int
mqtt_start(struct mqtt *q, struct master *m, uv_loop_t *loop)
{
	const struct master_config *mc = m->conf;

	memset(q, 0, sizeof(*q));
	q->m = m;
	mqtt_base(mc->mqtt.base_topic, mc->site.name, q->base,
	    sizeof(q->base));
	q->names = calloc((size_t)mc->ncharger + 1, sizeof(*q->names));
	q->connectors = calloc((size_t)mc->ncharger + 1,
	    sizeof(*q->connectors));
	q->slugbuf = calloc((size_t)mc->ncharger + 1, sizeof(*q->slugbuf));
	q->slugs = calloc((size_t)mc->ncharger + 1, sizeof(*q->slugs));
	if (q->names == NULL || q->connectors == NULL || q->slugbuf == NULL ||
	    q->slugs == NULL)
		return -1;
	for (int i = 0; i < mc->ncharger; i++) {
		q->names[i] = mc->charger[i].name;
		q->connectors[i] = mc->charger[i].connectors;
		mqtt_slug(q->names[i], q->slugbuf[i], sizeof(q->slugbuf[i]));
		q->slugs[i] = q->slugbuf[i];
	}
	q->disc_next = -1;
	q->nm = (struct mqtt_names){ q->base, mc->mqtt.discovery_prefix,
	    mc->site.name, mc->mqtt.commands, mc->ncharger, q->names,
	    q->connectors, q->slugs };
	uv_mutex_init(&q->mu);
	uv_cond_init(&q->stop_cv);
	uv_async_init(loop, &q->async, async_cb);
	q->async.data = q;
	uv_timer_init(loop, &q->refusal_timer);
	q->refusal_timer.data = q;
	uv_timer_start(&q->refusal_timer, refusal_tick, 1000, 1000);
	mosquitto_lib_init();
	if (setup(q) != 0)
		return -1;
	if (uv_thread_create(&q->starter, keeper, q) != 0)
		return -1;
	q->started = true;
	log_at(LOG_INFO, "mqtt: publishing under %s to %s:%d", q->base,
	    mc->mqtt.host, mc->mqtt.port);
	return 0;
}

/* A new state, when it differs from the last published and that is at
 * least MQTT_MIN_GAP_MS old. Takes text. */
static void
maybe(struct mqtt *q, const char *topic, char **last, uint64_t *last_ms,
    char *text, uint64_t now)
{
	if (text == NULL)
		return;
	if (*last != NULL && (strcmp(*last, text) == 0 ||
	    now < *last_ms + MQTT_MIN_GAP_MS)) {
		free(text);
		return;
	}
	if (publish(q, topic, text, q->m->conf->mqtt.qos,
	    q->m->conf->mqtt.retain) != MOSQ_ERR_SUCCESS) {
		/* not connected: again with the next snapshot */
		free(text);
		return;
	}
	free(*last);
	*last = text;
	*last_ms = now;
	q->published++;
}

static void
events(struct mqtt *q, const struct site_snap *sn)
{
	char	 t[MQTT_TOPIC_LEN], *pl;

	snprintf(t, sizeof(t), "%s/event", q->base);
	/* newest first: the new ones, oldest first; none of those that
	 * were there before the first snapshot */
	for (int i = sn->nevents - 1; i >= 0; i--) {
		if (q->events_seen && sn->events[i].time_ms > q->last_event_ms &&
		    (pl = mqtt_event_json(&sn->events[i])) != NULL) {
			put(q, t, pl, false);
			free(pl);
		}
	}
	if (sn->nevents > 0 && sn->events[0].time_ms > q->last_event_ms)
		q->last_event_ms = sn->events[0].time_ms;
	q->events_seen = true;
}

void
mqtt_snap(struct mqtt *q, const struct site_snap *sn, uint64_t now)
{
	char	 t[MQTT_TOPIC_LEN], slug[64];
	bool	 resend;
	int	 disc;

	if (!q->started)
		return;
	if (q->nlast < sn->n) {
		char	**l = realloc(q->last, sn->n * sizeof(*l));
		uint64_t *lm = l ? realloc(q->last_ms, sn->n * sizeof(*lm)) :
		    NULL;

		if (l != NULL)
			q->last = l;
		if (lm == NULL)
			return;
		q->last_ms = lm;
		memset(q->last + q->nlast, 0, (sn->n - q->nlast) *
		    sizeof(*l));
		q->nlast = sn->n;
	}
	uv_mutex_lock(&q->mu);
	resend = q->resend;
	q->resend = false;
	disc = q->disc_next;
	uv_mutex_unlock(&q->mu);
	if (disc >= 0) {
		disc = discovery(q, disc);
		uv_mutex_lock(&q->mu);
		/* unless connected anew meanwhile (then from the start) */
		if (!q->resend)
			q->disc_next = disc;
		uv_mutex_unlock(&q->mu);
	}
	if (resend) {
		/* connected anew: the broker may have lost it all */
		for (size_t i = 0; i < q->nlast; i++) {
			free(q->last[i]);
			q->last[i] = NULL;
		}
		free(q->last_site);
		q->last_site = NULL;
	}
	snprintf(t, sizeof(t), "%s/site/state", q->base);
	maybe(q, t, &q->last_site, &q->last_site_ms, mqtt_site_json(sn), now);
	for (size_t i = 0; i < sn->n; i++) {
		mqtt_slug(sn->conns[i].charger, slug, sizeof(slug));
		snprintf(t, sizeof(t), "%s/charger/%s/%d/state", q->base, slug,
		    sn->conns[i].connector);
		maybe(q, t, &q->last[i], &q->last_ms[i],
		    mqtt_conn_json(&sn->conns[i]), now);
	}
	events(q, sn);
}

void
mqtt_stop(struct mqtt *q)
{
	char	 t[MQTT_TOPIC_LEN];

	if (!q->started)
		return;
	uv_mutex_lock(&q->mu);
	q->stopping = true;
	uv_cond_signal(&q->stop_cv);
	uv_mutex_unlock(&q->mu);
	uv_thread_join(&q->starter);
	/* a clean stop says so itself; the last will is for a death */
	snprintf(t, sizeof(t), "%s/availability", q->base);
	put(q, t, "offline", true);
	mosquitto_disconnect(q->mosq);
	mosquitto_loop_stop(q->mosq, false);
	refusal_summary(q, true);
	/* its thread gone: the figure is ours alone */
	log_at(LOG_INFO, "mqtt: at most %d of our messages waited for the "
	    "broker at once (replies stop at %d)", q->inflight_max,
	    MQTT_REPLY_BACKLOG);
	mosquitto_destroy(q->mosq);
	mosquitto_lib_cleanup();
	uv_close((uv_handle_t *)&q->async, NULL);
	uv_timer_stop(&q->refusal_timer);
	uv_close((uv_handle_t *)&q->refusal_timer, NULL);
	uv_mutex_destroy(&q->mu);
	uv_cond_destroy(&q->stop_cv);
	for (size_t i = 0; i < q->nlast; i++)
		free(q->last[i]);
	free(q->last);
	free(q->last_ms);
	free(q->last_site);
	free(q->names);
	free(q->connectors);
	free(q->slugbuf);
	free(q->slugs);
	q->started = false;
}
