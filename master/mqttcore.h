/*
 * mqttcore.h: what the master says on MQTT, and what it takes from it,
 * as pure functions of the site's snapshot: topic names, the retained
 * state's payloads, Home Assistant's discovery configurations and the
 * commands' parsing. The broker's connection is mqtt.c's.
 */
#ifndef EVG_MQTTCORE_H
#define EVG_MQTTCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "site.h"

#define MQTT_TOPIC_LEN		192
#define MQTT_MIN_GAP_MS		1000	/* a connector's state: at most once
					 * a second */

/* "Car Park 1" -> "car_park_1": lower case letters, digits and '_'. */
void	mqtt_slug(const char *in, char *out, size_t len);

/* The base topic: the configured one, or evgroup/<site name slug>. */
void	mqtt_base(const char *configured, const char *site, char *out,
	    size_t len);

/* The retained state: the site's, one connector's (JSON, caller frees). */
char	*mqtt_site_json(const struct site_snap *);
char	*mqtt_conn_json(const struct snap_conn *);
/* An event as it happens. */
char	*mqtt_event_json(const struct recent_event *);

/*
 * Home Assistant's discovery: every configuration the site publishes,
 * one at a time: i from 0 until it returns false. topic gets
 * <prefix>/<component>/evgroup_<site slug>/<object>/config, *payload the
 * JSON (caller frees; NULL: the entity is removed, an empty retained
 * message). The chargers are the configuration's (names, connectors).
 */
struct mqtt_names {
	const char	*base, *prefix, *site;
	bool		 commands;
	int		 nchargers;
	const char *const *charger;	/* names */
	const int	*connectors;	/* 1 or 2 each */
	const char *const *slug;	/* each one's mqtt_slug(); NULL: made
					 * when needed */
};
bool	mqtt_discovery(const struct mqtt_names *, int i, char *topic,
	    size_t len, char **payload);
/* Whether a retained discovery topic is one of ours no longer (a charger
 * taken out of the site): it is then cleared. */
bool	mqtt_discovery_stale(const struct mqtt_names *, const char *topic);

/*
 * A command, from the topic under <base>/ and its payload (NAME: the
 * charger's name as a slug, mqtt_slug()):
 *   charger/NAME/N/pause/set   ON (pause) | OFF (resume)
 *   charger/NAME/N/boost/set   PRESS
 *   site/group_limit/set       32.0, or {"value": 40.0, "confirm": true}
 *   command                    {"command": "pause", "charger": "CP1",
 *                               "connector": 1} (pause, resume, boost) or
 *                              {"command": "limit", "value": 40.0,
 *                               "confirm": true}
 * Returns 0 and fills cmd, or -1 with why (nothing is to be done).
 */
enum mqtt_verb { MQTT_PAUSE, MQTT_RESUME, MQTT_BOOST, MQTT_LIMIT };
struct mqtt_cmd {
	enum mqtt_verb	 verb;
	char		 charger[MASTER_NAME_LEN];
	int		 charger_id;	/* 1..: its place in the configuration */
	int		 connector;
	char		 value[16];	/* the limit, as the API takes it */
	bool		 confirm;
};
int	mqtt_command_parse(const struct mqtt_names *, const char *topic,
	    const char *payload, size_t len, struct mqtt_cmd *, char *why,
	    size_t whylen);
/* The charger of a slug (or of its name): its index; -1: none. */
int	mqtt_charger_by_slug(const struct mqtt_names *, const char *);
/* The site command line of a connector's command (site_command()), the
 * charger by its id as the API's ("pause #2 1": a name may hold spaces). */
void	mqtt_command_line(const struct mqtt_cmd *, char *out, size_t len);
/* The reply: {"topic":..,"ok":..,"message":..} (caller frees). */
char	*mqtt_reply_json(const char *topic, bool ok, const char *message);

/*
 * Refused commands in the log: the first of a burst in full, then one
 * summary line a minute at most while they keep coming ("N commands
 * refused since HH:MM:SS, the last: why"). A flood of bad commands (tens
 * of thousands a second) would otherwise flood the log, and journald's
 * rate limit would then hide the real warnings with them. The replies
 * still answer each one (mqtt.c). now_ms is monotonic; wall_s (the time
 * of day in the summary, local time) is the wall clock's.
 */
#define MQTT_REFUSED_LOG_MS	60000
struct mqtt_refusals {
	bool		 logged;	/* a line since the start */
	uint64_t	 logged_ms;	/* the last line's */
	uint64_t	 unlogged;	/* refused since then, in no line yet */
	uint64_t	 unanswered;	/* of those, not answered */
	int64_t		 since_wall_s;	/* the first of those */
	char		 last[320];	/* the last one's topic and why */
};
/* One refusal (answered: its reply went out). 1 with a line to log,
 * 0 when it is counted for the next summary. */
int	mqtt_refused(struct mqtt_refusals *, const char *why, bool answered,
	    uint64_t now_ms, int64_t wall_s, char *line, size_t len);
/* The summary, when one is due (1 with it; 0: none). Called now and
 * then, as a burst may end with refusals not yet in a line; at a stop
 * (now) whatever is owed, however soon after the last line. */
int	mqtt_refusals_due(struct mqtt_refusals *, uint64_t now_ms, bool now,
	    char *line, size_t len);

#endif
