/*
 * test_mqtt.c: MQTT's pure parts: topic names, the state's payloads,
 * Home Assistant's discovery (every entity once, the fields it needs,
 * controls only with commands on, a charger taken out of the site
 * stale, the others not) and the commands' parsing, each refusal with
 * its positive twin.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "charger.h"
#include "mqttcore.h"

static const char *const names[] = { "Bay 1", "bay-002" };
static const int conns[] = { 2, 1 };

static struct mqtt_names
site_names(bool commands)
{
	return (struct mqtt_names){ "evgroup/car_park", "homeassistant",
	    "Car Park", commands, 2, names, conns, NULL };
}

static void
test_slug_and_base(void **state)
{
	char	 b[96];

	(void)state;
	mqtt_slug("Car Park #1 (Level -2)", b, sizeof(b));
	assert_string_equal(b, "car_park_1_level_2");
	mqtt_slug("bay-002", b, sizeof(b));
	assert_string_equal(b, "bay_002");
	mqtt_slug("café", b, sizeof(b));
	assert_string_equal(b, "caf");
	mqtt_slug("abcdef", b, 4);
	assert_string_equal(b, "abc");
	mqtt_base("", "Car Park", b, sizeof(b));
	assert_string_equal(b, "evgroup/car_park");
	mqtt_base("", "###", b, sizeof(b));
	assert_string_equal(b, "evgroup/site");
	mqtt_base("home/ev/", "Car Park", b, sizeof(b));
	assert_string_equal(b, "home/ev");
}

static void
test_state_payloads(void **state)
{
	struct snap_conn c = { .charger = "bay-002", .connector = 1,
	    .online = true, .state = "charging", .offer = 160,
	    .current = { 155, 150, 0 }, .session_wh = 1234, .session_s = 600,
	    .faults = FAULT_BIT(F_OVERCURRENT) };
	struct site_snap sn = { .site = "Car Park", .mode = "dynamic",
	    .meter_online = true, .clamp = { 100, 200, 300 },
	    .group_limit = 320 };
	char	*s;
	json_t	*j;

	(void)state;
	s = mqtt_conn_json(&c);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "state")),
	    "charging");
	assert_true(json_real_value(json_object_get(j, "offer")) == 16.0);
	/* 30.5 A at 230 V */
	assert_int_equal(json_integer_value(json_object_get(j, "power")),
	    7015);
	assert_int_equal(json_integer_value(json_object_get(j, "session_wh")),
	    1234);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j,
	    "faults"), 0)), fault_name(F_OVERCURRENT));
	json_decref(j);
	free(s);
	s = mqtt_site_json(&sn);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_true(json_real_value(json_array_get(json_object_get(j,
	    "measured"), 2)) == 30.0);
	assert_true(json_is_true(json_object_get(j, "meter_online")));
	assert_true(json_real_value(json_object_get(j, "group_limit")) == 32.0);
	json_decref(j);
	free(s);
}

/* Every configuration: its topic once, its JSON with what Home Assistant
 * needs; how many of each component. */
static void
count_discovery(const struct mqtt_names *nm, int *n, int *sw, int *empty)
{
	char	 t[MQTT_TOPIC_LEN], *pl;
	char	 seen[256][MQTT_TOPIC_LEN];

	*n = *sw = *empty = 0;
	for (int i = 0; mqtt_discovery(nm, i, t, sizeof(t), &pl); i++) {
		json_t	*j;

		for (int k = 0; k < *n; k++)
			assert_string_not_equal(seen[k], t);
		assert_true(*n < 256);
		strcpy(seen[(*n)++], t);
		assert_false(mqtt_discovery_stale(nm, t));
		if (pl == NULL) {
			(*empty)++;
			continue;
		}
		j = json_loads(pl, 0, NULL);
		assert_non_null(j);
		assert_non_null(json_object_get(j, "unique_id"));
		assert_non_null(json_object_get(json_object_get(j, "device"),
		    "identifiers"));
		if (strncmp(t, "homeassistant/button/", 21) != 0)
			assert_non_null(json_object_get(j, "state_topic"));
		if (strncmp(t, "homeassistant/switch/", 21) == 0) {
			(*sw)++;
			assert_non_null(json_object_get(j, "command_topic"));
		}
		json_decref(j);
		free(pl);
	}
}

static void
test_discovery(void **state)
{
	struct mqtt_names nm = site_names(true);
	char	 t[MQTT_TOPIC_LEN], *pl;
	int	 n, sw, empty;
	json_t	*j;

	(void)state;
	count_discovery(&nm, &n, &sw, &empty);
	/* three connectors, each 10 entities and one a fault; 15 site's */
	assert_int_equal(n, 3 * (10 + F_COUNT) + 15);
	assert_int_equal(sw, 3);
	assert_int_equal(empty, 0);
	/* the first: Bay 1's connector 1 state */
	assert_true(mqtt_discovery(&nm, 0, t, sizeof(t), &pl));
	assert_string_equal(t, "homeassistant/sensor/evgroup_car_park/"
	    "bay_1_1_state/config");
	j = json_loads(pl, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "unique_id")),
	    "evgroup_car_park_bay_1_1_state");
	assert_string_equal(json_string_value(json_object_get(j,
	    "state_topic")), "evgroup/car_park/charger/bay_1/1/state");
	assert_string_equal(json_string_value(json_object_get(j,
	    "availability_topic")), "evgroup/car_park/availability");
	json_decref(j);
	free(pl);
	/* without commands: no switch, button or number (cleared) */
	nm.commands = false;
	count_discovery(&nm, &n, &sw, &empty);
	assert_int_equal(sw, 0);
	assert_int_equal(empty, 3 * 2 + 1);
	assert_false(mqtt_discovery(&nm, -1, t, sizeof(t), &pl));
}

static void
test_stale(void **state)
{
	static const char *const slugs[] = { "bay_1", "bay_002" };
	struct mqtt_names nm = site_names(true);

	(void)state;
	/* the same with the slugs made beforehand (as the master does) */
	if (*(int *)*state)
		nm.slug = slugs;
	/* a charger, or a connector, the site no longer has */
	assert_true(mqtt_discovery_stale(&nm, "homeassistant/sensor/"
	    "evgroup_car_park/bay_9_1_state/config"));
	assert_true(mqtt_discovery_stale(&nm, "homeassistant/sensor/"
	    "evgroup_car_park/bay_002_2_state/config"));
	/* its twins: ours still, or not ours at all */
	assert_false(mqtt_discovery_stale(&nm, "homeassistant/sensor/"
	    "evgroup_car_park/bay_002_1_state/config"));
	assert_false(mqtt_discovery_stale(&nm, "homeassistant/sensor/"
	    "evgroup_car_park/site_mode/config"));
	assert_false(mqtt_discovery_stale(&nm, "homeassistant/sensor/"
	    "evgroup_other/bay_9_1_state/config"));
	assert_false(mqtt_discovery_stale(&nm, "other/sensor/"
	    "evgroup_car_park/bay_9_1_state/config"));
}

static int
parse(const char *topic, const char *payload, struct mqtt_cmd *c,
    char *why)
{
	struct mqtt_names nm = site_names(true);

	return mqtt_command_parse(&nm, topic, payload, strlen(payload), c, why,
	    128);
}

static void
test_commands(void **state)
{
	struct mqtt_names nm;
	struct mqtt_cmd c;
	char	 why[128], line[96];

	(void)state;
	assert_int_equal(parse("evgroup/car_park/charger/bay_1/2/pause/set",
	    "ON", &c, why), 0);
	mqtt_command_line(&c, line, sizeof(line));
	/* by its id, as the API's: a name may hold spaces */
	assert_string_equal(line, "pause #1 2");
	assert_string_equal(c.charger, "Bay 1");
	assert_int_equal(parse("evgroup/car_park/charger/bay_002/1/pause/set",
	    "OFF", &c, why), 0);
	mqtt_command_line(&c, line, sizeof(line));
	assert_string_equal(line, "resume #2 1");
	assert_int_equal(parse("evgroup/car_park/charger/bay_002/1/boost/set",
	    "PRESS", &c, why), 0);
	assert_int_equal(c.verb, MQTT_BOOST);
	/* refused: a bad payload, an unknown charger, a topic not ours */
	assert_int_equal(parse("evgroup/car_park/charger/bay_002/1/pause/set",
	    "on", &c, why), -1);
	assert_string_equal(why, "pause: expected ON or OFF");
	assert_int_equal(parse("evgroup/car_park/charger/bay_002/1/boost/set",
	    "ON", &c, why), -1);
	assert_int_equal(parse("evgroup/car_park/charger/nobody/1/pause/set",
	    "ON", &c, why), -1);
	assert_string_equal(why, "nobody: no such charger");
	assert_int_equal(parse("evgroup/car_park/charger/bay_002/1/jump/set",
	    "ON", &c, why), -1);
	assert_int_equal(parse("evgroup/car_park/charger/bay_002/1/pause/setx",
	    "ON", &c, why), -1);
	assert_int_equal(parse("evgroup/other/command", "{}", &c, why), -1);
	assert_int_equal(parse("evgroup/car_parkx/command", "{}", &c, why), -1);
	/* the group limit: a number, or JSON with confirm */
	assert_int_equal(parse("evgroup/car_park/site/group_limit/set", "32.5",
	    &c, why), 0);
	mqtt_command_line(&c, line, sizeof(line));
	assert_string_equal(line, "limit 32.5");
	assert_false(c.confirm);
	assert_int_equal(parse("evgroup/car_park/site/group_limit/set",
	    "{\"value\": 40, \"confirm\": true}", &c, why), 0);
	assert_string_equal(c.value, "40.0");
	assert_true(c.confirm);
	assert_int_equal(parse("evgroup/car_park/site/group_limit/set", "lots",
	    &c, why), -1);
	assert_int_equal(parse("evgroup/car_park/site/group_limit/set", "",
	    &c, why), -1);
	assert_int_equal(parse("evgroup/car_park/site/group_limit/set",
	    "{\"value\": 40, \"confirm\": \"yes\"}", &c, why), -1);
	assert_string_equal(why, "confirm: expected true or false");
	/* the generic topic */
	assert_int_equal(parse("evgroup/car_park/command", "{\"command\": "
	    "\"boost\", \"charger\": \"Bay 1\", \"connector\": 2}", &c, why),
	    0);
	mqtt_command_line(&c, line, sizeof(line));
	assert_string_equal(line, "boost #1 2");
	assert_int_equal(parse("evgroup/car_park/command", "{\"command\": "
	    "\"limit\", \"value\": \"20.0\"}", &c, why), 0);
	assert_string_equal(c.value, "20.0");
	assert_int_equal(parse("evgroup/car_park/command", "{\"command\": "
	    "\"pause\", \"charger\": \"Bay 9\", \"connector\": 1}", &c, why),
	    -1);
	assert_string_equal(why, "Bay 9: no such charger");
	assert_int_equal(parse("evgroup/car_park/command", "{\"command\": "
	    "\"pause\", \"connector\": 1}", &c, why), -1);
	assert_int_equal(parse("evgroup/car_park/command", "{\"command\": "
	    "\"reset\", \"charger\": \"Bay 1\", \"connector\": 2}", &c, why),
	    -1);
	assert_int_equal(parse("evgroup/car_park/command", "{\"command\": "
	    "\"pause\", \"charger\": \"Bay 1\", \"connector\": \"2\"}", &c,
	    why), -1);
	assert_int_equal(parse("evgroup/car_park/command", "[1]", &c, why), -1);
	assert_int_equal(parse("evgroup/car_park/command", "{", &c, why), -1);
	/* a connector out of range is refused, never narrowed into one
	 * (4294967297 and -4294967295 are 1 as 32 bits) */
	assert_int_equal(parse("evgroup/car_park/command", "{\"command\": "
	    "\"pause\", \"charger\": \"bay-002\", \"connector\": "
	    "4294967297}", &c, why), -1);
	assert_string_equal(why, "connector: expected 1 (bay-002 has one "
	    "connector)");
	assert_int_equal(parse("evgroup/car_park/command", "{\"command\": "
	    "\"pause\", \"charger\": \"Bay 1\", \"connector\": "
	    "-4294967295}", &c, why), -1);
	assert_string_equal(why, "connector: expected 1 to 2 (Bay 1)");
	assert_int_equal(parse("evgroup/car_park/command", "{\"command\": "
	    "\"pause\", \"charger\": \"bay-002\", \"connector\": 2}",
	    &c, why), -1);
	assert_int_equal(parse("evgroup/car_park/command", "{\"command\": "
	    "\"pause\", \"charger\": \"bay-002\", \"connector\": 0}",
	    &c, why), -1);
	static const char *const bad[] = { "4294967297", "-4294967295", "0",
	    "3", "-1", "1x", "1.0", " 1", "99999999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char	 t[128];

		snprintf(t, sizeof(t), "evgroup/car_park/charger/bay_1/%s/"
		    "pause/set", bad[i]);
		assert_int_equal(parse(t, "ON", &c, why), -1);
		assert_string_equal(why, "connector: expected 1 to 2 (Bay 1)");
	}
	assert_int_equal(parse("evgroup/car_park/charger/bay_002/2/pause/set",
	    "ON", &c, why), -1);
	assert_string_equal(why, "connector: expected 1 (bay-002 has one "
	    "connector)");
	/* their twins: each charger's own connectors */
	assert_int_equal(parse("evgroup/car_park/command", "{\"command\": "
	    "\"pause\", \"charger\": \"bay-002\", \"connector\": 1}",
	    &c, why), 0);
	assert_int_equal(c.connector, 1);
	assert_int_equal(parse("evgroup/car_park/command", "{\"command\": "
	    "\"resume\", \"charger\": \"Bay 1\", \"connector\": 2}",
	    &c, why), 0);
	assert_int_equal(c.connector, 2);
	assert_int_equal(parse("evgroup/car_park/charger/bay_1/2/pause/set",
	    "ON", &c, why), 0);
	assert_int_equal(c.connector, 2);
	assert_int_equal(parse("evgroup/car_park/charger/bay_1/1/pause/set",
	    "ON", &c, why), 0);
	assert_int_equal(c.connector, 1);
	/* text only: a NUL inside is refused */
	nm = site_names(true);
	assert_int_equal(mqtt_command_parse(&nm, "evgroup/car_park/site/"
	    "group_limit/set", "3\0002", 3, &c, why, sizeof(why)), -1);
}

static void
test_reply(void **state)
{
	char	*s = mqtt_reply_json("a/b", false, "error: \"x\"");

	(void)state;
	assert_string_equal(s, "{\"topic\":\"a/b\",\"ok\":false,\"message\":"
	    "\"error: \\\"x\\\"\"}");
	free(s);
}

/* A flood of refusals: the first logged, then a summary a minute at
 * most (also when the flood ends), then a new burst's first in full. */
static void
test_refusals(void **state)
{
	struct mqtt_refusals r = { 0 };
	char	 line[512];
	uint64_t t0 = 1000000;
	int64_t	 wall = 3600 * 5 + 60 * 31 + 7;	/* 05:31:07 UTC */
	int	 lines = 0;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(mqtt_refused(&r, "t/a: error: first", true, t0, wall,
	    line, sizeof(line)), 1);
	assert_string_equal(line, "t/a: error: first");
	/* 100 000 in the next 59.9 s: no line */
	for (int i = 0; i < 100000; i++)
		lines += mqtt_refused(&r, i == 99999 ? "t/b: error: last" :
		    "t/b: error: x", i % 2 == 0, t0 + 1 + (uint64_t)i * 599 / 1000,
		    wall + 1, line, sizeof(line));
	assert_int_equal(lines, 0);
	assert_int_equal(mqtt_refusals_due(&r, t0 + 59999, false, line,
	    sizeof(line)), 0);
	/* a minute after the first line: the summary, once */
	assert_int_equal(mqtt_refusals_due(&r, t0 + 60000, false, line,
	    sizeof(line)), 1);
	assert_string_equal(line, "100000 commands refused since 05:31:08, "
	    "the last: t/b: error: last (50000 not answered: too many "
	    "replies waiting for the broker)");
	assert_int_equal(mqtt_refusals_due(&r, t0 + 60001, false, line,
	    sizeof(line)), 0);
	/* the flood goes on: the next refusals wait for the next minute */
	assert_int_equal(mqtt_refused(&r, "t/c: error: y", true, t0 + 61000,
	    wall + 61, line, sizeof(line)), 0);
	assert_int_equal(mqtt_refused(&r, "t/c: error: z", true, t0 + 120000,
	    wall + 120, line, sizeof(line)), 1);
	assert_string_equal(line, "2 commands refused since 05:32:08, the "
	    "last: t/c: error: z");
	/* quiet for a minute: the next one is a new burst's first, in full */
	assert_int_equal(mqtt_refused(&r, "t/d: error: again", false,
	    t0 + 180000, wall + 180, line, sizeof(line)), 1);
	assert_string_equal(line, "t/d: error: again (not answered: too many "
	    "replies waiting for the broker)");
	/* its twin: one refusal a minute apart is each logged in full */
	assert_int_equal(mqtt_refused(&r, "t/e: error: 1", true, t0 + 240000,
	    wall + 240, line, sizeof(line)), 1);
	assert_string_equal(line, "t/e: error: 1");
	assert_int_equal(mqtt_refusals_due(&r, t0 + 400000, false, line,
	    sizeof(line)), 0);
	/* at a stop, what is owed at once; nothing when nothing is */
	assert_int_equal(mqtt_refused(&r, "t/f: error: 2", true, t0 + 240001,
	    wall + 240, line, sizeof(line)), 0);
	assert_int_equal(mqtt_refusals_due(&r, t0 + 240002, true, line,
	    sizeof(line)), 1);
	assert_string_equal(line, "1 command refused since 05:35:07, the "
	    "last: t/f: error: 2");
	assert_int_equal(mqtt_refusals_due(&r, t0 + 240003, true, line,
	    sizeof(line)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slug_and_base),
		cmocka_unit_test(test_state_payloads),
		cmocka_unit_test(test_discovery),
		cmocka_unit_test_prestate(test_stale, &(int){ 0 }),
		cmocka_unit_test_prestate(test_stale, &(int){ 1 }),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
