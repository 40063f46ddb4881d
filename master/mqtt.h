/*
 * mqtt.h: the site on an MQTT broker (libmosquitto). The broker's
 * connection runs in libmosquitto's thread, the state is published from
 * the publisher's thread (publish.c) and commands are carried out in the
 * loop (a uv_async): the control loop never waits on the broker.
 */
#ifndef EVG_MQTT_H
#define EVG_MQTT_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "mqttcore.h"

#define MQTT_QUEUE		32	/* commands waiting for the loop */
#define MQTT_BACKOFF_MIN_S	1	/* reconnect after 1, 2, 4 .. 60 s */
#define MQTT_BACKOFF_MAX_S	60
/* An attempt (TCP, TLS, CONNACK) may take so long before another */
#define MQTT_CONNECT_WAIT_S	10
/* Home Assistant's configurations, so many a snapshot: 1000 connectors
 * have some 22 000, and all at once would take the cores from the loop
 * for a moment (with the broker's work on them) */
#define MQTT_DISC_BATCH		1000
/* Our messages waiting for the broker (libmosquitto's queue: with QoS 0
 * every message published is a packet in a list without a bound until
 * its socket takes it; with QoS 1 or 2 one until its acknowledgement)
 * past which a refused command gets no reply: a flood of bad commands
 * must not grow that list without bound. The state of 1000 connectors
 * is at most 1000 a second, the replies to commands a few. */
#define MQTT_REPLY_BACKLOG	2048

struct master;
struct mosquitto;

struct mqtt_msg {
	char		 topic[MQTT_TOPIC_LEN];
	char		 payload[256];
	size_t		 len;
};

struct mqtt {
	struct master	*m;
	struct mosquitto *mosq;
	char		 base[96];	/* mqtt.base_topic's size */
	struct mqtt_names nm;
	const char	**names;
	int		*connectors;
	char		(*slugbuf)[64];	/* each charger's, made once */
	const char	**slugs;
	uv_thread_t	 starter;	/* keeper(): connects, DNS may block */
	uv_cond_t	 stop_cv;	/* its back-off, cut short */
	bool		 started, stopping;
	/* commands: libmosquitto's thread in, the loop out */
	uv_async_t	 async;
	uv_mutex_t	 mu;
	struct mqtt_msg	 q[MQTT_QUEUE];
	int		 qhead, qlen;
	struct mqtt_refusals refusals;	/* their log lines */
	uv_timer_t	 refusal_timer;	/* the loop: a summary due */
	int		 inflight;	/* published, not yet taken by the
					 * broker (MQTT_REPLY_BACKLOG) */
	int		 inflight_max;	/* the most seen */
	bool		 connected;	/* on_connect .. on_disconnect */
	bool		 resend;	/* connected anew: state again */
	int		 disc_next;	/* the next configuration; -1: done */
	/* the publisher's thread only */
	char		**last;		/* a connector's state as published */
	uint64_t	*last_ms;
	size_t		 nlast;
	char		*last_site;
	uint64_t	 last_site_ms;
	int64_t		 last_event_ms;
	bool		 events_seen;
	uint64_t	 published;
};

int	mqtt_start(struct mqtt *, struct master *, uv_loop_t *);
/* The publisher's thread: a snapshot of the site. */
void	mqtt_snap(struct mqtt *, const struct site_snap *, uint64_t now_ms);
void	mqtt_stop(struct mqtt *);

#endif
