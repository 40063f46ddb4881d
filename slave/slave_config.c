/*
 * slave_config.c: the charger's configuration table and its cross-field
 * checks. See config/slave.ini for a commented example.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "regmap.h"

#include "slave_config.h"

static const char *const auth_names[] = { "free", "remote", NULL };

#define F(field)	offsetof(struct slave_config, field)
#define CONN_STRIDE	sizeof(((struct slave_config *)0)->conn[0])

const struct cfg_key slave_config_keys[] = {
	{ "unit", "connectors", CFG_INT, 1, HAL_MAX_CONNECTORS, "2",
	    F(connectors), 0, NULL, 0, 0, NULL,
	    "connectors on this unit (1 or 2)" },
	{ "unit", "max_current", CFG_DECI, 60, 800, "32.0",
	    F(max_current), 0, NULL, 0, 0, "A",
	    "what the unit's wiring and contactors allow per connector" },
	/* 3 debounce samples + 1 tick must stay inside the 100 ms to open. */
	{ "unit", "tick_ms", CFG_INT, 1, 20, "10", F(tick_ms), 0, NULL, 0, 0,
	    "ms", "firmware loop period" },
	{ "unit", "ventilation", CFG_BOOL, 0, 0, "no", F(ventilation), 0,
	    NULL, 0, 0, NULL, "the site ventilates: state D may charge" },
	{ "unit", "min_open_time", CFG_INT, 0, 600, "10", F(min_open_time),
	    0, NULL, 0, 0, "s", "minimum time open before closing again" },
	{ "unit", "authorisation", CFG_ENUM, 0, 0, "free", F(authorisation),
	    0, auth_names, 0, 0, NULL,
	    "free: plug and charge; remote: wait for authorise" },
	{ "unit", "serial", CFG_STR, 0, 0, "SIM0000000000001", F(serial),
	    sizeof(((struct slave_config *)0)->serial), NULL, 0, 0, NULL,
	    "serial number (16 characters)" },
	{ "unit", "control_socket", CFG_STR, 0, 0, "evgroup-slave.sock",
	    F(control_socket), SLAVE_SOCK_PATH_MAX, NULL, 0, 0, NULL,
	    "UNIX socket of the simulated hardware's control interface" },
	{ "connector", "phase", CFG_ENUM, 0, 0, "L1L2L3", F(conn[0].phase),
	    0, phase_conn_names, HAL_MAX_CONNECTORS, CONN_STRIDE, NULL,
	    "site phases: L1, L2, L3, L1L2L3, L2L3L1, L3L1L2" },
	{ "connector", "max_current", CFG_DECI, 60, 800, "32.0",
	    F(conn[0].max_current), 0, NULL, HAL_MAX_CONNECTORS, CONN_STRIDE,
	    "A", "connector (cable, socket) rating" },
	{ "link", "enabled", CFG_BOOL, 0, 0, "no", F(link.enabled), 0, NULL,
	    0, 0, NULL, "serve the register map to a master (Modbus TCP)" },
	/* Loopback until the installer sets this charger's address on the
	 * charger network (and link.masters with it): a charger on the
	 * office LAN answers nobody until someone decides it should. */
	{ "link", "listen", CFG_STR, 0, 0, "127.0.0.1", F(link.listen),
	    sizeof(((struct slave_config *)0)->link.listen), NULL, 0, 0, NULL,
	    "IPv4 address to listen on: the charger's on the charger network" },
	{ "link", "port", CFG_INT, 1, 65535, "502", F(link.port), 0, NULL, 0,
	    0, NULL, "Modbus TCP port" },
	{ "link", "unit_id", CFG_INT, 1, 247, "1", F(link.unit_id), 0, NULL, 0,
	    0, NULL, "Modbus unit id" },
	{ "link", "masters", CFG_ADDRS, 0, SLAVE_MAX_MASTERS, "127.0.0.1",
	    F(link.masters), sizeof(((struct slave_config *)0)->link.masters),
	    NULL, 0, 0, NULL,
	    "IPv4 addresses allowed to write (comma-separated): the master "
	    "appliance's on the charger network" },
	{ "link", "fallback_current", CFG_DECI, 0, 800, "0.0",
	    F(link.fallback_current), 0, NULL, 0, 0, "A",
	    "current when the master is silent: 0 (pause) or 6.0-80.0 A" },
	{ "link", "fallback_timeout", CFG_INT, REGMAP_FALLBACK_TIMEOUT_MIN,
	    REGMAP_FALLBACK_TIMEOUT_MAX, "10", F(link.fallback_timeout), 0,
	    NULL, 0, 0, "s", "heartbeat silence before the fallback applies" },
	{ NULL, NULL, 0, 0, 0, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

void
slave_config_defaults(struct slave_config *sc)
{
	memset(sc, 0, sizeof(*sc));
	cfg_defaults(slave_config_keys, sc);
}

void
slave_config_to_fw(const struct slave_config *sc, struct fw_cfg *fc)
{
	memset(fc, 0, sizeof(*fc));
	fc->nconn = sc->connectors;
	fc->hw_max_da = sc->max_current;
	fc->ventilation = sc->ventilation;
	fc->min_open_ms = (uint32_t)sc->min_open_time * 1000;
	fc->tick_ms = (uint32_t)sc->tick_ms;
	fc->auth = (enum auth_mode)sc->authorisation;
	fc->master_link = sc->link.enabled;
	fc->fallback_da = sc->link.fallback_current;
	fc->fallback_timeout_ms = (uint32_t)sc->link.fallback_timeout * 1000;
	for (int i = 0; i < HAL_MAX_CONNECTORS; i++) {
		fc->conn[i].phase = (enum phase_conn)sc->conn[i].phase;
		fc->conn[i].max_da = sc->conn[i].max_current;
	}
}

/* 127.0.0.0/8 (RFC 1122, 3.2.1.3 (g)). */
static bool
is_loopback(const char *ip)
{
	struct in_addr a;

	return inet_pton(AF_INET, ip, &a) == 1 &&
	    (ntohl(a.s_addr) >> 24) == 127;
}

/* Does the list (already checked) name an address off this machine? */
static bool
masters_beyond_loopback(const char *list)
{
	uint32_t a[SLAVE_MAX_MASTERS];
	int	 n = slave_config_masters(list, a, SLAVE_MAX_MASTERS);

	for (int i = 0; i < n; i++)
		if ((ntohl(a[i]) >> 24) != 127)
			return true;
	return false;
}

/* Rules that span several keys (mosquitto's config__check idea). */
int
slave_config_check(const struct slave_config *sc, char *err, size_t errlen)
{
	struct fw_cfg fc;

	if (strlen(sc->serial) != 16) {
		snprintf(err, errlen, "unit.serial: must be 16 characters");
		return -1;
	}
	if (sc->control_socket[0] == '\0') {
		snprintf(err, errlen, "unit.control_socket: must be set");
		return -1;
	}
	if (sc->link.fallback_current != 0 && sc->link.fallback_current < 60) {
		snprintf(err, errlen, "link.fallback_current: must be 0 or "
		    "6.0-80.0 A");
		return -1;
	}
	{
		struct in_addr a;

		if (inet_pton(AF_INET, sc->link.listen, &a) != 1) {
			snprintf(err, errlen, "link.listen: '%s' is not an IPv4 "
			    "address", sc->link.listen);
			return -1;
		}
	}
	if (slave_config_masters(sc->link.masters, NULL, SLAVE_MAX_MASTERS) < 0) {
		snprintf(err, errlen, "link.masters: expected up to %d IPv4 "
		    "addresses separated by commas", SLAVE_MAX_MASTERS);
		return -1;
	}
	if (sc->link.enabled && !is_loopback(sc->link.listen) &&
	    !masters_beyond_loopback(sc->link.masters)) {
		snprintf(err, errlen, "link.masters: only this charger itself "
		    "may write, but it listens on %s: set link.masters to the "
		    "master appliance's address on the charger network (for "
		    "example link.masters = 192.168.10.1)", sc->link.listen);
		return -1;
	}
	slave_config_to_fw(sc, &fc);
	return fw_cfg_check(&fc, err, errlen);
}

/*
 * Parses link.masters into network-order addresses (cfg_addrs: one
 * machine's each). Returns how many, or -1 for anything that is not such
 * a list.
 */
int
slave_config_masters(const char *list, uint32_t *addrs, int max)
{
	char	 why[CFG_ERRLEN];
	int	 n = cfg_addrs(list, addrs, max, why, sizeof(why));

	return n < 0 ? -1 : n;
}

void
slave_config_print(const struct slave_config *sc)
{
	char	 val[300];
	const struct cfg_key *k;

	printf("[unit]\n");
	for (k = slave_config_keys; k->name != NULL; k++)
		if (strcmp(k->section, "unit") == 0) {
			cfg_format(k, sc, 0, val, sizeof(val));
			printf("%s = %s\n", k->name, val);
		}
	printf("\n[link]\n");
	for (k = slave_config_keys; k->name != NULL; k++)
		if (strcmp(k->section, "link") == 0) {
			cfg_format(k, sc, 0, val, sizeof(val));
			printf("%s = %s\n", k->name, val);
		}
	for (int i = 0; i < sc->connectors; i++) {
		printf("\n[connector%d]\n", i + 1);
		for (k = slave_config_keys; k->name != NULL; k++)
			if (k->nindex != 0) {
				cfg_format(k, sc, i, val, sizeof(val));
				printf("%s = %s\n", k->name, val);
			}
	}
}
