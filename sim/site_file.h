/*
 * site_file.h: a simulated site described in an INI file (evgroup-sim
 * --site FILE, and planning runs): the supply, the chargers, the load,
 * PV, the cars, the circuits (boards) under the supply and a demand
 * target. docs/simulator.md lists every key.
 */
#ifndef EVG_SIM_SITE_FILE_H
#define EVG_SIM_SITE_FILE_H

#include <stddef.h>

#include "cfg.h"
#include "model.h"

#define SITE_MAX_CHARGERS	2000

/* A [circuitN] section as written (site_file_load checks and sorts them
 * into site_file.circuit). */
struct site_circuit_in {
	char		 name[32];
	char		 parent[32];	/* "supply" or a circuit's name */
	int		 fuse;		/* 0.1 A per phase */
	char		 chargers[256];	/* "1-6", "1,2,5" */
	bool		 meter;
	int		 load_peak;	/* 0.1 A per phase */
};

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
	int		 imbalance;	/* 0.1 A; 0: none */
	int		 demand_window;	/* minutes: 15, 30 or 60 */
	int		 demand_target;	/* 0.1 kW (kVA); 0: no demand limit */
	int		 demand_unit;	/* 0 kw, 1 kva */
	struct model_cfg model;
	struct site_circuit_in circuit_in[MODEL_MAX_CIRCUITS];
	/* checked, a parent before its children: circuit[id - 1] */
	struct model_circuit circuit[MODEL_MAX_CIRCUITS];
	int		 ncircuits;
	uint8_t		 charger_circuit[SITE_MAX_CHARGERS];	/* its id */
};

extern const struct cfg_key site_file_keys[];
extern const char *const site_mode_names[];
extern const char *const site_demand_units[];

void	site_file_defaults(struct site_file *);
int	site_file_load(struct site_file *, const char *path, char *const *sets,
	    int nsets, char *err, size_t errlen);

#endif
