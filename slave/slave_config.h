/*
 * slave_config.h: the charger's settings, described once in a table
 * (slave_config.c) that serves the INI file, --set and --check-config.
 */
#ifndef EVG_SLAVE_CONFIG_H
#define EVG_SLAVE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "fw.h"

#define SLAVE_SOCK_PATH_MAX	108	/* sun_path */

struct slave_config {
	int	connectors;
	int	max_current;		/* 0.1 A, hardware limit per connector */
	int	tick_ms;
	bool	ventilation;
	int	min_open_time;		/* s */
	int	authorisation;		/* enum auth_mode */
	char	serial[17];
	char	control_socket[SLAVE_SOCK_PATH_MAX];
	struct {
		int	phase;		/* enum phase_conn */
		int	max_current;	/* 0.1 A */
	} conn[HAL_MAX_CONNECTORS];
	struct {
		bool	enabled;	/* serve the register map */
		char	listen[64];	/* IPv4 address to bind */
		int	port;
		int	unit_id;
		char	masters[256];	/* IPv4 addresses that may write */
		int	fallback_current;	/* 0.1 A */
		int	fallback_timeout;	/* s */
	} link;
};

#define SLAVE_MAX_MASTERS	8

int	slave_config_masters(const char *list, uint32_t *addrs, int max);

extern const struct cfg_key slave_config_keys[];

void	slave_config_defaults(struct slave_config *);
int	slave_config_check(const struct slave_config *, char *err, size_t);
void	slave_config_to_fw(const struct slave_config *, struct fw_cfg *);
void	slave_config_print(const struct slave_config *);

#endif
