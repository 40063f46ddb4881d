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
		int	authorisation;		/* 0 free, 1 rfid */
	} site;
	struct {
		bool	enabled;
		char	listen[48];		/* IPv4 address to bind */
		int	port;
		char	cert[256], key[256];	/* PEM files: HTTPS */
		int	idle_timeout;		/* s, a login's idle expiry */
		char	hostnames[256];		/* names it is reached by */
	} web;
	struct {
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
	} meter;
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
	struct charger_conf charger[MASTER_MAX_CHARGERS];
	int	ncharger;	/* after master_config_compact() */
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
void	master_config_print(const struct master_config *);
bool	master_config_secret(const char *section, const char *key);
const char *master_config_shown(const char *section, const char *key,
	    const char *value, char *buf, size_t len);
const char *master_config_label(const char *section, const char *key);
void	master_config_words(const struct master_config *, const char *text,
	    char *out, size_t len);

#endif
