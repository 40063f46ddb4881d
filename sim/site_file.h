/*
 * site_file.h: a simulated site described in an INI file (evgroup-sim
 * --site FILE, and planning runs): the supply, the chargers, the load,
 * PV and the cars. docs/simulator.md lists every key.
 */
#ifndef EVG_SIM_SITE_FILE_H
#define EVG_SIM_SITE_FILE_H

#include <stddef.h>

#include "cfg.h"
#include "model.h"

struct site_file {
	char		 name[64];
	int		 supply;	/* 0.1 A per phase: the main fuse */
	int		 group_limit;	/* 0.1 A per phase; 0: the supply */
	int		 margin;	/* 0.1 A */
	int		 chargers;
	int		 connectors;	/* 1 or 2 each */
	int		 max_current;	/* 0.1 A per connector */
	int		 mode;		/* enum alloc_mode: static ... green */
	char		 start[16];	/* "mon 07:00": the site clock's start */
	int		 start_s;	/* parsed: seconds from Monday 00:00 */
	struct model_cfg model;
};

extern const struct cfg_key site_file_keys[];
extern const char *const site_mode_names[];

void	site_file_defaults(struct site_file *);
int	site_file_load(struct site_file *, const char *path, char *const *sets,
	    int nsets, char *err, size_t errlen);

#endif
