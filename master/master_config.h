/*
 * master_config.h: the appliance's settings: the site and its chargers.
 * Described by the table in master_config.c (INI file, --set,
 * --check-config; later the API and the database).
 */
#ifndef EVG_MASTER_CONFIG_H
#define EVG_MASTER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"
#include "regmap.h"
#include "smart.h"

#define MASTER_MAX_CHARGERS	2000
#define MASTER_NAME_LEN		32

/* A meter: the supply's ([meter], [clampN]) or a circuit's. */
struct meter_conf {
	bool	enabled;
	int	driver;			/* enum meter_driver */
	int	transport;		/* 0 tcp, 1 rtu */
	char	host[64];
	int	port;
	char	device[128];
	int	baud;
	int	parity;			/* 0 none, 1 even, 2 odd */
	int	unit_id;
	int	poll_period;		/* ms */
	int	offline_after;
	bool	chargers_included;
	struct {
		bool	enabled;
		int	ct_rating;	/* 0.1 A */
		int	addr;		/* generic */
		int	type;		/* enum meter_type */
		bool	word_swap;
		int	scale_milli;
	} clamp[3];
};

#define MASTER_MAX_CIRCUITS	63	/* below the supply (alloc.h) */
#define METER_NONE_IDX		4	/* circuitN.meter = none (driver) */

/*
 * A circuit under the supply: a sub-distribution board or a cable with
 * its own fuse ([circuitN]). Chargers name it (charger.circuit).
 */
struct circuit_conf {
	char	name[MASTER_NAME_LEN];
	char	parent[MASTER_NAME_LEN];	/* "supply" or "": the supply */
	int	limit;			/* 0.1 A per phase: its fuse, cable */
	int	margin;			/* 0.1 A */
	int	offline_limit;		/* 0.1 A per phase: its meter silent */
	int	imbalance;		/* 0.1 A; 0: no unbalanced-load limit */
	struct meter_conf meter;	/* enabled: it has a meter of its own;
					 * driver METER_NONE_IDX: none */
	int	id;			/* finish(): alloc.h id, 1.. */
	int	parent_id;		/* finish(): 0 the supply */
};

struct charger_conf {
	char	name[MASTER_NAME_LEN];
	char	host[16];		/* IPv4, charger network */
	int	port;
	int	unit_id;
	int	connectors;
	struct {
		int	phase;		/* enum phase_conn */
		int	max_current;	/* 0.1 A */
		int	min_current;	/* 0.1 A: less pauses the car */
		int	priority;	/* higher is served first */
	} conn[REGMAP_MAX_CONN];
	char	circuit[MASTER_NAME_LEN];	/* "supply" or "": the supply */
	int	circuit_id;		/* finish(): 0 the supply */
	bool	ocpp;			/* a charge point of the CSMS when
					 * ocpp.enabled */
	char	ocpp_identity[49];	/* "": its name (docs/ocpp.md) */
	char	ocpp_password[65];	/* "": ocpp.password; never shown */
};

struct master_config {
	struct {
		char	name[64];
		int	poll_period;		/* ms */
		int	response_timeout;	/* ms */
		int	connect_timeout;	/* ms */
		int	offline_after;		/* failed polls */
		int	fallback_current;	/* 0.1 A, written to chargers */
		int	fallback_timeout;	/* s */
		int	log_level;		/* enum log_level */
		char	stats_file[256];	/* link statistics, JSON */
		char	status_file[256];	/* site status, JSON */
		char	database[256];		/* SQLite; "" = none */
		int	history_days;
		char	control_socket[108];
		int	mode;			/* enum alloc_mode */
		int	strategy;		/* enum alloc_strategy */
		int	group_limit;		/* 0.1 A per phase */
		int	site_limit;		/* 0.1 A per phase */
		int	margin;			/* 0.1 A */
		int	deadband;		/* 0.1 A */
		int	offline_limit;		/* 0.1 A per phase */
		int	min_run, min_pause;	/* s */
		int	green_start, green_stop;	/* s */
		int	authorisation;		/* enum site_auth */
		int	imbalance;		/* 0.1 A; 0: no limit */
	} site;
	struct {
		bool	enabled;
		char	listen[48];		/* IPv4 address to bind */
		int	port;
		char	cert[256], key[256];	/* PEM files: HTTPS */
		int	idle_timeout;		/* s, a login's idle expiry */
		char	hostnames[256];		/* names it is reached by */
	} web;
	/* The Modbus TCP server for a building management system */
	struct {
		bool	enabled;
		char	listen[48];		/* IPv4 address to bind */
		int	port;
		char	writers[256];		/* addresses/CIDRs that write */
	} bms;
	struct meter_conf meter;
	struct {
		bool	enabled;
		char	days[64];
		char	no_charge[2][16];
		int	random_delay;		/* s */
	} smart_text;
	struct smart_cfg smart;			/* parsed from smart_text */
	struct {
		char	webhook_url[256];	/* "": no webhook */
		char	webhook_token[128];	/* bearer; never shown back */
		bool	webhook_cleared;	/* also when one clears */
	} alarms;
	/* MQTT: the site's state to a broker, Home Assistant's discovery,
	 * commands when enabled (mqtt.c); every key waits for a restart */
	struct {
		bool	enabled;
		char	host[128];
		int	port;
		bool	tls;
		char	ca_file[256], cert_file[256], key_file[256];
		char	username[64];
		char	password[128];		/* never shown back */
		char	client_id[64];		/* "": evgroup-<site> */
		char	base_topic[96];		/* "": evgroup/<site> */
		int	qos;
		bool	retain, discovery;
		char	discovery_prefix[64];
		bool	commands;
	} mqtt;
	/* The demand (capacity tariff) target at the supply: the average
	 * power over fixed windows. */
	struct {
		bool	enabled;
		int	window;			/* minutes: 15, 30 or 60 */
		int	target;			/* 0.1 kW, or 0.1 kVA */
		int	apparent;		/* 1: kVA (UK agreed capacity);
						 * an enum index: unit = kw|kva */
	} demand;
	/* OCPP 1.6J: each charger a charge point of a CSMS (docs/ocpp.md);
	 * every key waits for a restart */
	struct {
		bool	enabled;
		char	url[256];		/* ws:// or wss://; + identity */
		int	security_profile;	/* 0, 1 basic auth, 2 TLS + basic */
		char	password[65];		/* AuthorizationKey; never shown */
		char	ca_file[256];		/* "": the system's bundle */
		int	heartbeat_interval;	/* s; the CSMS's overrides it */
		int	meter_sample_interval;	/* s; 0 off */
		int	clock_aligned_interval;	/* s; 0 off */
		int	ping_interval;		/* s; 0 no pings */
		int	call_timeout;		/* s */
		char	vendor[21], model[21];	/* BootNotification, CiString20 */
		bool	local_authorize_offline;
		bool	local_pre_authorize;
		bool	allow_offline_tx_for_unknown_id;
		bool	authorization_cache_enabled;
	} ocpp;
	struct circuit_conf circuit[MASTER_MAX_CIRCUITS];
	int	ncircuit;	/* after master_config_finish() */
	struct charger_conf charger[MASTER_MAX_CHARGERS];
	int	ncharger;	/* after master_config_compact() */
};

/* site.authorisation */
enum site_auth {
	SITE_AUTH_FREE,		/* plug and charge */
	SITE_AUTH_RFID,		/* the site's whitelist */
	SITE_AUTH_CSMS,		/* every tag asked of the CSMS (OCPP) */
	SITE_AUTH_RFID_CSMS,	/* the whitelist first, then the CSMS */
};

/* A change that lets the chargers take more: what a confirmation shows. */
struct cfg_raise {
	char	field[48];		/* "site.site_limit" */
	char	from[24], to[24];	/* "100.0 A" */
	char	consequence[240];	/* what it means on the site */
};

extern const struct cfg_key master_config_keys[];
extern const char *const log_level_names[];

void	master_config_defaults(struct master_config *);
int	master_config_finish(struct master_config *, char *err, size_t);
int	master_config_raises(const struct master_config *old,
	    const struct master_config *new, struct cfg_raise *, int max);
typedef void (*master_config_fn)(void *arg, const char *section,
    const char *key, const char *value);
void	master_config_each(const struct master_config *, master_config_fn,
	    void *arg);
void	master_config_print(const struct master_config *, bool hide_secrets);
bool	master_config_secret(const char *section, const char *key);
const char *master_config_shown(const char *section, const char *key,
	    const char *value, char *buf, size_t len);
const char *master_config_label(const char *section, const char *key);
const char *master_config_auth_name(int authorisation);
const char *master_config_ocpp_identity(const struct charger_conf *);
const char *master_config_ocpp_password(const struct master_config *,
	    const struct charger_conf *);
void	master_config_words(const struct master_config *, const char *text,
	    char *out, size_t len);

#endif
