/*
 * master_config.c: the master's configuration table and cross-field
 * checks. See config/master.ini for a commented example.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "master_config.h"
#include "units.h"

const char *const log_level_names[] = { "error", "warning", "info", "debug",
    NULL };

#define S(f)	offsetof(struct master_config, site.f)
#define CH(f)	offsetof(struct master_config, charger[0].f)
#define STRIDE	sizeof(struct charger_conf)
#define N	MASTER_MAX_CHARGERS

const struct cfg_key master_config_keys[] = {
	{ "site", "name", CFG_STR, 0, 0, "evgroup site", S(name), 64, NULL, 0,
	    0, NULL, "site name, shown on every screen" },
	{ "site", "poll_period", CFG_INT, 100, 60000, "1000", S(poll_period),
	    0, NULL, 0, 0, "ms", "how often every charger is polled" },
	{ "site", "response_timeout", CFG_INT, 20, 10000, "500",
	    S(response_timeout), 0, NULL, 0, 0, "ms",
	    "how long to wait for a charger's answer" },
	{ "site", "connect_timeout", CFG_INT, 20, 10000, "1000",
	    S(connect_timeout), 0, NULL, 0, 0, "ms",
	    "how long to wait for a TCP connection" },
	{ "site", "offline_after", CFG_INT, 1, 100, "3", S(offline_after), 0,
	    NULL, 0, 0, "polls", "failed polls before a charger is offline" },
	{ "site", "fallback_current", CFG_DECI, 0, 800, "0.0",
	    S(fallback_current), 0, NULL, 0, 0, "A",
	    "what a charger applies when it stops hearing from us: 0 or 6.0-80.0" },
	{ "site", "fallback_timeout", CFG_INT, REGMAP_FALLBACK_TIMEOUT_MIN,
	    REGMAP_FALLBACK_TIMEOUT_MAX, "10", S(fallback_timeout), 0, NULL, 0,
	    0, "s", "how long a charger waits for us before falling back" },
	{ "site", "log_level", CFG_ENUM, 0, 0, "info", S(log_level), 0,
	    log_level_names, 0, 0, NULL, "error, warning, info or debug" },
	{ "site", "stats_file", CFG_STR, 0, 0, "", S(stats_file), 256, NULL, 0,
	    0, NULL, "write link statistics (JSON) here every minute" },
	{ "charger", "name", CFG_STR, 0, 0, "", CH(name), MASTER_NAME_LEN,
	    NULL, N, STRIDE, NULL, "name shown to operators" },
	{ "charger", "host", CFG_STR, 0, 0, "", CH(host), 16, NULL, N, STRIDE,
	    NULL, "the charger's IPv4 address" },
	{ "charger", "port", CFG_INT, 1, 65535, "502", CH(port), 0, NULL, N,
	    STRIDE, NULL, "Modbus TCP port" },
	{ "charger", "unit_id", CFG_INT, 1, 247, "1", CH(unit_id), 0, NULL, N,
	    STRIDE, NULL, "Modbus unit id" },
	{ "charger", "connectors", CFG_INT, 1, REGMAP_MAX_CONN, "2",
	    CH(connectors), 0, NULL, N, STRIDE, NULL, "1 or 2" },
	{ "charger", "phase1", CFG_ENUM, 0, 0, "L1L2L3", CH(conn[0].phase), 0,
	    phase_conn_names, N, STRIDE, NULL, "connector 1 wiring" },
	{ "charger", "phase2", CFG_ENUM, 0, 0, "L1L2L3", CH(conn[1].phase), 0,
	    phase_conn_names, N, STRIDE, NULL, "connector 2 wiring" },
	{ "charger", "max_current1", CFG_DECI, 60, 800, "32.0",
	    CH(conn[0].max_current), 0, NULL, N, STRIDE, "A",
	    "connector 1 rating" },
	{ "charger", "max_current2", CFG_DECI, 60, 800, "32.0",
	    CH(conn[1].max_current), 0, NULL, N, STRIDE, "A",
	    "connector 2 rating" },
	{ "charger", "current1", CFG_DECI, 0, 800, "6.0", CH(conn[0].current),
	    0, NULL, N, STRIDE, "A", "fixed current for connector 1" },
	{ "charger", "current2", CFG_DECI, 0, 800, "6.0", CH(conn[1].current),
	    0, NULL, N, STRIDE, "A", "fixed current for connector 2" },
	{ NULL, NULL, 0, 0, 0, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

void
master_config_defaults(struct master_config *mc)
{
	memset(mc, 0, sizeof(*mc));
	cfg_defaults(master_config_keys, mc);
}

/*
 * Cross-field checks, then packs the chargers that have a host into
 * charger[0..ncharger-1] (sections may be numbered with gaps).
 */
int
master_config_finish(struct master_config *mc, char *err, size_t errlen)
{
	int	 n = 0;

	if (mc->site.fallback_current != 0 && mc->site.fallback_current < 60) {
		snprintf(err, errlen, "site.fallback_current: must be 0 or "
		    "6.0-80.0 A");
		return -1;
	}
	for (int i = 0; i < MASTER_MAX_CHARGERS; i++) {
		struct charger_conf *c = &mc->charger[i];
		struct in_addr a;

		if (c->host[0] == '\0') {
			if (c->name[0] != '\0') {
				snprintf(err, errlen, "charger%d.host: must be "
				    "set", i + 1);
				return -1;
			}
			continue;
		}
		if (inet_pton(AF_INET, c->host, &a) != 1) {
			snprintf(err, errlen, "charger%d.host: '%s' is not an "
			    "IPv4 address", i + 1, c->host);
			return -1;
		}
		if (c->name[0] == '\0')
			snprintf(c->name, sizeof(c->name), "charger%d", i + 1);
		for (int k = 0; k < c->connectors; k++) {
			int cur = c->conn[k].current, max = c->conn[k].max_current;

			if (cur != 0 && (cur < 60 || cur > max)) {
				snprintf(err, errlen, "charger%d.current%d: must "
				    "be 0 or 6.0 A up to max_current%d (%d.%d A)",
				    i + 1, k + 1, k + 1, max / 10, max % 10);
				return -1;
			}
		}
		for (int j = 0; j < n; j++) {
			if (strcmp(mc->charger[j].name, c->name) == 0) {
				snprintf(err, errlen, "charger%d.name: '%s' is "
				    "used twice", i + 1, c->name);
				return -1;
			}
			if (strcmp(mc->charger[j].host, c->host) == 0 &&
			    mc->charger[j].port == c->port) {
				snprintf(err, errlen, "charger%d: %s:%d is also "
				    "charger '%s'", i + 1, c->host, c->port,
				    mc->charger[j].name);
				return -1;
			}
		}
		if (n != i)
			mc->charger[n] = *c;
		n++;
	}
	for (int i = n; i < MASTER_MAX_CHARGERS; i++)
		mc->charger[i].host[0] = '\0';
	mc->ncharger = n;
	return 0;
}

void
master_config_print(const struct master_config *mc)
{
	char	 val[300];
	const struct cfg_key *k;

	printf("[site]\n");
	for (k = master_config_keys; k->name != NULL; k++)
		if (k->nindex == 0) {
			cfg_format(k, mc, 0, val, sizeof(val));
			printf("%s = %s\n", k->name, val);
		}
	for (int i = 0; i < mc->ncharger; i++) {
		printf("\n[charger%d]\n", i + 1);
		for (k = master_config_keys; k->name != NULL; k++)
			if (k->nindex != 0) {
				cfg_format(k, mc, i, val, sizeof(val));
				printf("%s = %s\n", k->name, val);
			}
	}
	printf("; %d charger(s)\n", mc->ncharger);
}
