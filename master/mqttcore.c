/*
 * mqttcore.c: MQTT topics, payloads, discovery and commands, pure. See
 * mqttcore.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "charger.h"
#include "demand.h"
#include "mqttcore.h"
#include "strnum.h"
#include "units.h"

#define DUMP_FLAGS	(JSON_COMPACT | JSON_REAL_PRECISION(10))

void
mqtt_slug(const char *in, char *out, size_t len)
{
	size_t	 o = 0;
	bool	 gap = false;

	if (len == 0)
		return;
	for (; *in != '\0' && o + 1 < len; in++) {
		unsigned char c = (unsigned char)*in;

		if (isalnum(c) && c < 0x80) {
			if (gap && o > 0 && o + 2 < len)
				out[o++] = '_';
			out[o++] = (char)tolower(c);
			gap = false;
		} else
			gap = true;
	}
	out[o] = '\0';
}

void
mqtt_base(const char *configured, const char *site, char *out, size_t len)
{
	char	 slug[64];
	size_t	 n;

	if (configured[0] != '\0') {
		snprintf(out, len, "%s", configured);
		/* a trailing '/' would make every topic's level empty */
		n = strlen(out);
		while (n > 0 && out[n - 1] == '/')
			out[--n] = '\0';
		return;
	}
	mqtt_slug(site, slug, sizeof(slug));
	snprintf(out, len, "evgroup/%s", slug[0] ? slug : "site");
}

static json_t *
amps(int32_t da)
{
	return json_real(da / 10.0);
}

static json_t *
phases(const int32_t v[EVG_PHASES])
{
	json_t	*a = json_array();

	for (int p = 0; p < EVG_PHASES; p++)
		json_array_append_new(a, amps(v[p]));
	return a;
}

static char *
dump(json_t *j)
{
	char	*s = j != NULL ? json_dumps(j, DUMP_FLAGS) : NULL;

	json_decref(j);
	return s;
}

char *
mqtt_site_json(const struct site_snap *sn)
{
	return dump(json_pack("{s:s, s:s, s:b, s:o, s:o, s:o, s:o, s:o, s:i, "
	    "s:i}",
	    "site", sn->site, "mode", sn->mode ? sn->mode : "",
	    "meter_online", sn->meter_online,
	    "measured", phases(sn->clamp), "building", phases(sn->non_ev),
	    "available", phases(sn->available), "limit", phases(sn->limit),
	    "group_limit", amps(sn->group_limit),
	    "charging", sn->charging, "waiting", sn->waiting));
}

/* A connector's power: its currents at the nominal 230 V (the chargers
 * measure no voltage). */
static int64_t
conn_power_w(const struct snap_conn *c)
{
	int64_t	 w = 0;

	for (int p = 0; p < EVG_PHASES; p++)
		w += (int64_t)c->current[p] * DEMAND_NOMINAL_V / 10;
	return w;
}

char *
mqtt_conn_json(const struct snap_conn *c)
{
	json_t	*f = json_array(), *j;

	for (int i = 0; i < F_COUNT; i++)
		if (c->faults & FAULT_BIT(i))
			json_array_append_new(f, json_string(fault_name(
			    (enum fault)i)));
	j = json_pack("{s:s, s:i, s:b, s:s, s:b, s:b, s:o, s:o, s:I, s:I, "
	    "s:I, s:o}",
	    "charger", c->charger, "connector", c->connector,
	    "online", c->online, "state", c->state ? c->state : "",
	    "paused", c->paused, "boost", c->boost,
	    "offer", amps(c->offer), "current", phases(c->current),
	    "power", (json_int_t)conn_power_w(c),
	    "session_wh", (json_int_t)c->session_wh,
	    "session_s", (json_int_t)c->session_s, "faults", f);
	return dump(j);
}

char *
mqtt_event_json(const struct recent_event *e)
{
	return dump(json_pack("{s:I, s:i, s:s, s:s, s:s}", "time_ms",
	    (json_int_t)e->time_ms, "severity", e->severity, "source",
	    e->source, "code", e->code, "text", e->text));
}

char *
mqtt_reply_json(const char *topic, bool ok, const char *message)
{
	return dump(json_pack("{s:s, s:b, s:s}", "topic", topic, "ok", ok,
	    "message", message));
}

/*
 * The entities: a connector's (one set each), then the site's. Each has
 * its component, object id (after the charger's part), name, and what
 * Home Assistant needs to show it: the value's template in the state
 * JSON, its class, unit and state class.
 */
struct entity {
	const char	*component, *object, *name, *value, *device_class,
			*unit, *state_class;
};

static const struct entity conn_entities[] = {
	{ "sensor", "state", "State", "{{ value_json.state }}", NULL, NULL,
	    NULL },
	{ "sensor", "offer", "Offer", "{{ value_json.offer }}", "current",
	    "A", "measurement" },
	{ "sensor", "current_l1", "Current L1", "{{ value_json.current[0] }}",
	    "current", "A", "measurement" },
	{ "sensor", "current_l2", "Current L2", "{{ value_json.current[1] }}",
	    "current", "A", "measurement" },
	{ "sensor", "current_l3", "Current L3", "{{ value_json.current[2] }}",
	    "current", "A", "measurement" },
	{ "sensor", "power", "Power", "{{ value_json.power }}", "power", "W",
	    "measurement" },
	{ "sensor", "session_energy", "Session energy",
	    "{{ value_json.session_wh }}", "energy", "Wh", "total_increasing" },
	{ "sensor", "session_duration", "Session duration",
	    "{{ value_json.session_s }}", "duration", "s", "measurement" },
	{ "switch", "pause", "Paused", "{{ 'ON' if value_json.paused else "
	    "'OFF' }}", NULL, NULL, NULL },
	{ "button", "boost", "Boost", NULL, NULL, NULL, NULL },
};
#define NCONN_ENT	(int)(sizeof(conn_entities) / sizeof(conn_entities[0]))
#define NCONN_ALL	(NCONN_ENT + F_COUNT)	/* and a binary sensor a fault */

static const struct entity site_entities[] = {
	{ "sensor", "mode", "Mode", "{{ value_json.mode }}", NULL, NULL, NULL },
	{ "binary_sensor", "meter_online", "Meter online",
	    "{{ 'ON' if value_json.meter_online else 'OFF' }}", "connectivity",
	    NULL, NULL },
	{ "number", "group_limit", "Group limit", "{{ value_json.group_limit }}",
	    "current", "A", NULL },
#define SITE_PH(o, n, k)						\
	{ "sensor", o "_l1", n " L1", "{{ value_json." k "[0] }}", "current",	\
	    "A", "measurement" },						\
	{ "sensor", o "_l2", n " L2", "{{ value_json." k "[1] }}", "current",	\
	    "A", "measurement" },						\
	{ "sensor", o "_l3", n " L3", "{{ value_json." k "[2] }}", "current",	\
	    "A", "measurement" }
	SITE_PH("measured", "Measured", "measured"),
	SITE_PH("building", "Building", "building"),
	SITE_PH("available", "Available", "available"),
	SITE_PH("limit", "Limit in force", "limit"),
#undef SITE_PH
};
#define NSITE_ENT	(int)(sizeof(site_entities) / sizeof(site_entities[0]))

/* Charger c's slug: the one made beforehand, or in buf. */
static const char *
charger_slug(const struct mqtt_names *nm, int c, char *buf, size_t len)
{
	if (nm->slug != NULL)
		return nm->slug[c];
	mqtt_slug(nm->charger[c], buf, len);
	return buf;
}

/* The i-th connector of the configuration: its charger and number. */
static bool
nth_conn(const struct mqtt_names *nm, int i, int *ch, int *k)
{
	for (int c = 0; c < nm->nchargers; c++) {
		if (i < nm->connectors[c]) {
			*ch = c;
			*k = i + 1;
			return true;
		}
		i -= nm->connectors[c];
	}
	return false;
}

static int
nconns(const struct mqtt_names *nm)
{
	int	 n = 0;

	for (int c = 0; c < nm->nchargers; c++)
		n += nm->connectors[c];
	return n;
}

static json_t *
device(const char *id, const char *name, const char *model)
{
	return json_pack("{s:[s], s:s, s:s, s:s}", "identifiers", id, "name",
	    name, "manufacturer", "evgroup", "model", model);
}

/* An entity's configuration: common fields, then its kind's. */
static json_t *
entity_json(const struct mqtt_names *nm, const struct entity *e,
    const char *uid, const char *name, const char *state_topic,
    const char *cmd_topic, json_t *dev)
{
	char	 avail[MQTT_TOPIC_LEN];
	json_t	*j;

	snprintf(avail, sizeof(avail), "%s/availability", nm->base);
	j = json_pack("{s:s, s:s, s:s, s:o}", "unique_id", uid, "object_id",
	    uid, "name", name, "device", dev);
	json_object_set_new(j, "availability_topic", json_string(avail));
	if (strcmp(e->component, "button") != 0)
		json_object_set_new(j, "state_topic", json_string(state_topic));
	if (e->value != NULL)
		json_object_set_new(j, "value_template", json_string(e->value));
	if (e->device_class != NULL)
		json_object_set_new(j, "device_class",
		    json_string(e->device_class));
	if (e->unit != NULL)
		json_object_set_new(j, "unit_of_measurement",
		    json_string(e->unit));
	if (e->state_class != NULL)
		json_object_set_new(j, "state_class",
		    json_string(e->state_class));
	if (cmd_topic != NULL)
		json_object_set_new(j, "command_topic", json_string(cmd_topic));
	if (strcmp(e->component, "button") == 0)
		json_object_set_new(j, "payload_press", json_string("PRESS"));
	if (strcmp(e->component, "number") == 0) {
		json_object_set_new(j, "min", json_integer(0));
		json_object_set_new(j, "max", json_integer(2000));
		json_object_set_new(j, "step", json_real(0.1));
		json_object_set_new(j, "mode", json_string("box"));
	}
	return j;
}

/* Commands only where they are enabled: without them a switch, a button
 * and a number would show controls that do nothing. */
static bool
shown(const struct mqtt_names *nm, const struct entity *e)
{
	return nm->commands || strcmp(e->component, "sensor") == 0 ||
	    strcmp(e->component, "binary_sensor") == 0;
}

static bool
conn_entity(const struct mqtt_names *nm, int i, char *topic, size_t len,
    char **payload)
{
	char	 node[80], buf[64], uid[200], name[128], st[MQTT_TOPIC_LEN],
		 cmd[MQTT_TOPIC_LEN], devid[160], devname[96];
	const char *chs;
	int	 c, k, e = i % NCONN_ALL;
	struct entity fe;
	const struct entity *en;
	json_t	*j;

	if (!nth_conn(nm, i / NCONN_ALL, &c, &k))
		return false;
	mqtt_slug(nm->site, node, sizeof(node));
	chs = charger_slug(nm, c, buf, sizeof(buf));
	if (e < NCONN_ENT)
		en = &conn_entities[e];
	else {
		fe = (struct entity){ "binary_sensor", fault_name(
		    (enum fault)(e - NCONN_ENT)), fault_name((enum fault)(e -
		    NCONN_ENT)), NULL, "problem", NULL, NULL };
		en = &fe;
	}
	snprintf(uid, sizeof(uid), "evgroup_%s_%s_%d_%s", node, chs, k,
	    en->object);
	snprintf(topic, len, "%s/%s/evgroup_%s/%s_%d_%s/config", nm->prefix,
	    en->component, node, chs, k, en->object);
	*payload = NULL;
	if (!shown(nm, en))
		return true;
	snprintf(st, sizeof(st), "%s/charger/%s/%d/state", nm->base, chs, k);
	snprintf(cmd, sizeof(cmd), "%s/charger/%s/%d/%s/set", nm->base, chs, k,
	    en->object);
	snprintf(devid, sizeof(devid), "evgroup_%s_%s", node, chs);
	snprintf(devname, sizeof(devname), "%s", nm->charger[c]);
	snprintf(name, sizeof(name), "Connector %d %s", k, en->name);
	j = entity_json(nm, en, uid, name, st, strcmp(en->component,
	    "sensor") != 0 && strcmp(en->component, "binary_sensor") != 0 ?
	    cmd : NULL, device(devid, devname, "charger"));
	if (e >= NCONN_ENT) {
		char	 tpl[128];

		snprintf(tpl, sizeof(tpl), "{{ 'ON' if '%s' in "
		    "value_json.faults else 'OFF' }}", en->object);
		json_object_set_new(j, "value_template", json_string(tpl));
	}
	*payload = dump(j);
	return true;
}

bool
mqtt_discovery(const struct mqtt_names *nm, int i, char *topic, size_t len,
    char **payload)
{
	char	 node[80], uid[160], st[MQTT_TOPIC_LEN], cmd[MQTT_TOPIC_LEN];
	const struct entity *en;
	int	 nc = nconns(nm) * NCONN_ALL;

	*payload = NULL;
	if (i < 0)
		return false;
	if (i < nc)
		return conn_entity(nm, i, topic, len, payload);
	if ((i -= nc) >= NSITE_ENT)
		return false;
	en = &site_entities[i];
	mqtt_slug(nm->site, node, sizeof(node));
	snprintf(uid, sizeof(uid), "evgroup_%s_site_%s", node, en->object);
	snprintf(topic, len, "%s/%s/evgroup_%s/site_%s/config", nm->prefix,
	    en->component, node, en->object);
	if (!shown(nm, en))
		return true;
	snprintf(st, sizeof(st), "%s/site/state", nm->base);
	snprintf(cmd, sizeof(cmd), "%s/site/%s/set", nm->base, en->object);
	{
		char	 devid[96];

		snprintf(devid, sizeof(devid), "evgroup_%s", node);
		*payload = dump(entity_json(nm, en, uid, en->name, st,
		    strcmp(en->component, "number") == 0 ? cmd : NULL,
		    device(devid, nm->site, "site")));
	}
	return true;
}

bool
mqtt_discovery_stale(const struct mqtt_names *nm, const char *topic)
{
	char	 node[80], pre[160], buf[64], obj[MQTT_TOPIC_LEN];
	const char *p, *o, *chs;
	size_t	 n = strlen(nm->prefix), cl;
	int	 k;

	mqtt_slug(nm->site, node, sizeof(node));
	/* <prefix>/<component>/evgroup_<node>/<object>/config */
	if (strncmp(topic, nm->prefix, n) != 0 || topic[n] != '/')
		return false;
	snprintf(pre, sizeof(pre), "/evgroup_%s/", node);
	if ((p = strstr(topic + n + 1, pre)) == NULL ||
	    strchr(topic + n + 1, '/') != p)
		return false;
	o = p + strlen(pre);
	if ((p = strchr(o, '/')) == NULL || strcmp(p, "/config") != 0 ||
	    (size_t)(p - o) >= sizeof(obj))
		return false;
	memcpy(obj, o, (size_t)(p - o));
	obj[p - o] = '\0';
	if (strncmp(obj, "site_", 5) == 0)
		return false;
	/* a connector's: <charger slug>_<N>_<what>, of a charger and a
	 * connector the site still has */
	for (int c = 0; c < nm->nchargers; c++) {
		chs = charger_slug(nm, c, buf, sizeof(buf));
		cl = strlen(chs);
		if (strncmp(obj, chs, cl) == 0 && obj[cl] == '_' &&
		    sscanf(obj + cl + 1, "%d_", &k) == 1 && k >= 1 &&
		    k <= nm->connectors[c])
			return false;
	}
	return true;
}

int
mqtt_charger_by_slug(const struct mqtt_names *nm, const char *slug)
{
	char	 buf[64];

	for (int c = 0; c < nm->nchargers; c++) {
		if (strcmp(charger_slug(nm, c, buf, sizeof(buf)), slug) == 0 ||
		    strcmp(nm->charger[c], slug) == 0)
			return c;
	}
	return -1;
}

/* The charger of a command, by its slug or name. */
static int
set_charger(const struct mqtt_names *nm, const char *slug,
    struct mqtt_cmd *cmd, char *why, size_t whylen)
{
	int	 c = slug != NULL ? mqtt_charger_by_slug(nm, slug) : -1;

	if (c < 0) {
		snprintf(why, whylen, "%.64s: no such charger", slug ? slug :
		    "charger");
		return -1;
	}
	snprintf(cmd->charger, sizeof(cmd->charger), "%s", nm->charger[c]);
	cmd->charger_id = c + 1;
	return 0;
}

/*
 * The connector of a command: 1 to the charger's number of connectors,
 * checked before it is narrowed to an int (a number such as 4294967297
 * must not wrap to connector 1).
 */
static int
set_connector(const struct mqtt_names *nm, long long k, struct mqtt_cmd *cmd,
    char *why, size_t whylen)
{
	int	 n = nm->connectors[cmd->charger_id - 1];

	if (k < 1 || k > n) {
		if (n == 1)
			snprintf(why, whylen, "connector: expected 1 (%s has "
			    "one connector)", cmd->charger);
		else
			snprintf(why, whylen, "connector: expected 1 to %d "
			    "(%s)", n, cmd->charger);
		return -1;
	}
	cmd->connector = (int)k;
	return 0;
}

/* A limit as the API takes it: a number of amps, as text. */
static int
limit_value(json_t *v, struct mqtt_cmd *cmd, char *why, size_t whylen)
{
	if (json_is_number(v)) {
		snprintf(cmd->value, sizeof(cmd->value), "%.1f",
		    json_number_value(v));
		return 0;
	}
	if (json_is_string(v) && json_string_length(v) > 0 &&
	    json_string_length(v) < sizeof(cmd->value)) {
		snprintf(cmd->value, sizeof(cmd->value), "%s",
		    json_string_value(v));
		return 0;
	}
	snprintf(why, whylen, "value: expected the group limit in A");
	return -1;
}

static int
parse_json(const struct mqtt_names *nm, json_t *j, bool generic,
    struct mqtt_cmd *cmd, char *why, size_t whylen)
{
	static const char *const verbs[] = { "pause", "resume", "boost",
	    "limit" };
	json_t	*c = json_object_get(j, "confirm");
	const char *v;

	if (c != NULL && !json_is_boolean(c)) {
		snprintf(why, whylen, "confirm: expected true or false");
		return -1;
	}
	cmd->confirm = json_is_true(c);
	if (!generic) {
		cmd->verb = MQTT_LIMIT;
		return limit_value(json_object_get(j, "value"), cmd, why,
		    whylen);
	}
	v = json_string_value(json_object_get(j, "command"));
	for (int i = 0; v != NULL && i < 4; i++)
		if (strcmp(v, verbs[i]) == 0) {
			cmd->verb = (enum mqtt_verb)i;
			if (cmd->verb == MQTT_LIMIT)
				return limit_value(json_object_get(j, "value"),
				    cmd, why, whylen);
			if (set_charger(nm, json_string_value(
			    json_object_get(j, "charger")), cmd, why, whylen) !=
			    0)
				return -1;
			if (!json_is_integer(json_object_get(j, "connector")))
				return set_connector(nm, 0, cmd, why, whylen);
			return set_connector(nm, json_integer_value(
			    json_object_get(j, "connector")), cmd, why, whylen);
		}
	snprintf(why, whylen, "command: expected pause, resume, boost or "
	    "limit");
	return -1;
}

/* charger/NAME/N/(pause|boost)/set */
static int
parse_conn_topic(const struct mqtt_names *nm, const char *rest,
    const char *pl, struct mqtt_cmd *cmd, char *why, size_t whylen)
{
	char	 slug[64], num[24], what[16], extra;
	long	 k;

	if (sscanf(rest, "charger/%63[^/]/%23[^/]/%15[^/]/se%c", slug, num,
	    what, &extra) != 4 || extra != 't' || strcmp(strrchr(rest, '/'),
	    "/set") != 0) {
		snprintf(why, whylen, "unknown command topic");
		return -1;
	}
	if (set_charger(nm, slug, cmd, why, whylen) != 0)
		return -1;
	/* a whole number, in range: none that wraps to another */
	if (strnum_long(num, 1, nm->connectors[cmd->charger_id - 1], &k) != 0)
		k = 0;
	if (set_connector(nm, k, cmd, why, whylen) != 0)
		return -1;
	if (strcmp(what, "pause") == 0 && (strcmp(pl, "ON") == 0 ||
	    strcmp(pl, "OFF") == 0)) {
		cmd->verb = strcmp(pl, "ON") == 0 ? MQTT_PAUSE : MQTT_RESUME;
		return 0;
	}
	if (strcmp(what, "boost") == 0 && strcmp(pl, "PRESS") == 0) {
		cmd->verb = MQTT_BOOST;
		return 0;
	}
	if (strcmp(what, "pause") == 0 || strcmp(what, "boost") == 0)
		snprintf(why, whylen, "%s: expected %s", what,
		    what[0] == 'p' ? "ON or OFF" : "PRESS");
	else
		snprintf(why, whylen, "unknown command topic");
	return -1;
}

int
mqtt_command_parse(const struct mqtt_names *nm, const char *topic,
    const char *payload, size_t len, struct mqtt_cmd *cmd, char *why,
    size_t whylen)
{
	size_t	 n = strlen(nm->base);
	char	 pl[256];
	const char *rest;
	json_t	*j;
	int	 r;

	memset(cmd, 0, sizeof(*cmd));
	if (strncmp(topic, nm->base, n) != 0 || topic[n] != '/') {
		snprintf(why, whylen, "unknown command topic");
		return -1;
	}
	rest = topic + n + 1;
	if (len >= sizeof(pl) || memchr(payload, '\0', len) != NULL) {
		snprintf(why, whylen, "payload too long or not text");
		return -1;
	}
	memcpy(pl, payload, len);
	pl[len] = '\0';
	if (strncmp(rest, "charger/", 8) == 0)
		return parse_conn_topic(nm, rest, pl, cmd, why, whylen);
	if (strcmp(rest, "site/group_limit/set") == 0 && pl[0] != '{') {
		char	*end;

		cmd->verb = MQTT_LIMIT;
		(void)strtod(pl, &end);
		if (pl[0] == '\0' || *end != '\0' || strlen(pl) >=
		    sizeof(cmd->value)) {
			snprintf(why, whylen, "value: expected the group limit "
			    "in A");
			return -1;
		}
		snprintf(cmd->value, sizeof(cmd->value), "%.15s", pl);
		return 0;
	}
	if (strcmp(rest, "site/group_limit/set") != 0 &&
	    strcmp(rest, "command") != 0) {
		snprintf(why, whylen, "unknown command topic");
		return -1;
	}
	if ((j = json_loads(pl, 0, NULL)) == NULL || !json_is_object(j)) {
		json_decref(j);
		snprintf(why, whylen, "expected a JSON object");
		return -1;
	}
	r = parse_json(nm, j, strcmp(rest, "command") == 0, cmd, why, whylen);
	json_decref(j);
	return r;
}

void
mqtt_command_line(const struct mqtt_cmd *cmd, char *out, size_t len)
{
	static const char *const words[] = { "pause", "resume", "boost" };

	if (cmd->verb == MQTT_LIMIT)
		snprintf(out, len, "limit %s", cmd->value);
	else
		snprintf(out, len, "%s #%d %d", words[cmd->verb],
		    cmd->charger_id, cmd->connector);
}

int
mqtt_refusals_due(struct mqtt_refusals *r, uint64_t now, bool force,
    char *line, size_t len)
{
	time_t	 t = (time_t)r->since_wall_s;
	struct tm tm;

	if (r->unlogged == 0 || (!force &&
	    now - r->logged_ms < MQTT_REFUSED_LOG_MS))
		return 0;
	if (localtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(line, len, "%llu command%s refused since %02d:%02d:%02d, "
	    "the last: %s", (unsigned long long)r->unlogged,
	    r->unlogged == 1 ? "" : "s", tm.tm_hour, tm.tm_min, tm.tm_sec,
	    r->last);
	if (r->unanswered > 0)
		snprintf(line + strlen(line), len - strlen(line), " (%llu not "
		    "answered: too many replies waiting for the broker)",
		    (unsigned long long)r->unanswered);
	r->logged_ms = now;
	r->unlogged = r->unanswered = 0;
	return 1;
}

int
mqtt_refused(struct mqtt_refusals *r, const char *why, bool answered,
    uint64_t now, int64_t wall_s, char *line, size_t len)
{
	/* the first of a burst: no line for a minute, none owed */
	if (!r->logged || (r->unlogged == 0 &&
	    now - r->logged_ms >= MQTT_REFUSED_LOG_MS)) {
		snprintf(line, len, "%s%s", why, answered ? "" :
		    " (not answered: too many replies waiting for the broker)");
		r->logged = true;
		r->logged_ms = now;
		return 1;
	}
	if (r->unlogged++ == 0)
		r->since_wall_s = wall_s;
	r->unanswered += !answered;
	snprintf(r->last, sizeof(r->last), "%s", why);
	return mqtt_refusals_due(r, now, false, line, len);
}
