/*
 * model.h: what a simulated site does besides its chargers: the
 * building's own load (a day's shape per kind of site, random appliance
 * steps, or a CSV), PV generation (clear or cloudy day, or a CSV), and the
 * cars (arrivals by hour, dwell times, a fleet mix, state of charge).
 * Pure and deterministic: a seed and the time in, currents and cars out.
 * Used by the live simulator and by planning runs alike.
 */
#ifndef EVG_SIM_MODEL_H
#define EVG_SIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "units.h"

#define MODEL_DAY_S		86400
#define MODEL_CSV_MINUTES	(7 * 1440)	/* a week, repeated */
#define MODEL_STEPS		8		/* appliance steps at once */
#define MODEL_NOMINAL_V		230.0

enum model_load { LOAD_OFFICE, LOAD_RESIDENTIAL, LOAD_RETAIL, LOAD_FLAT,
    LOAD_CSV };
enum model_pv { PV_NONE, PV_CLEAR, PV_CLOUDY, PV_CSV };

struct model_cfg {
	int	 load;			/* enum model_load */
	int	 load_peak;		/* 0.1 A per phase at the day's peak */
	char	 load_csv[256];
	int	 steps_per_hour;	/* random appliance steps */
	int	 step_max;		/* 0.1 A */
	int	 pv;			/* enum model_pv */
	int	 pv_kwp;		/* 0.1 kWp, three-phase inverter */
	char	 pv_csv[256];
	int	 arrivals;		/* cars a day, over the site */
	int	 present;		/* cars already there at the start */
	int	 dwell_min;		/* mean stay, minutes (0: by kind) */
	/* fleet mix, percent: single-phase 16 A and 32 A, three-phase
	 * 16 A and 32 A (the rest: three-phase 16 A) */
	int	 mix_1p16, mix_1p32, mix_3p16, mix_3p32;
	int	 full_early;		/* percent of cars that stop early */
	uint32_t seed;
};

/*
 * A circuit of the site (a sub-distribution board): the supply is id 0,
 * the circuits below it ids 1..n, each after its parent (parent < id).
 */
#define MODEL_MAX_CIRCUITS	63

struct model_circuit {
	char	 name[32];
	int	 section;		/* N of its [circuitN] */
	int	 parent;		/* its parent's id; 0: the supply */
	int	 fuse_da;		/* per phase */
	bool	 meter;			/* a CT kit of its own */
	int	 load_peak_da;		/* its own non-EV load at the peak */
};

struct model_car {
	int	 max_da;		/* the car's on-board charger limit */
	int	 phases;		/* 1 or 3 */
	int	 capacity_kwh;
	int	 soc_pct, target_pct;	/* arrives at, would like to leave at */
	int	 lag_ms;		/* to follow a new PWM: 1-5 s */
	int64_t	 leave_s;		/* when the driver comes back */
	bool	 full_early;		/* its battery stops taking current */
};

struct model_step {
	int64_t	 until_s;
	int	 phase;
	int32_t	 da;
};

struct model {
	struct model_cfg cfg;
	uint64_t	 rng;
	int32_t		(*load_csv)[EVG_PHASES];	/* per minute, 0.1 A */
	int32_t		(*pv_csv)[EVG_PHASES];
	int		 load_n, pv_n;
	struct model_step steps[MODEL_STEPS];
	int64_t		 last_s;
	double		 cloud;		/* 0 clear .. 1 overcast */
	int64_t		 cloud_until_s;
};

int	model_init(struct model *, const struct model_cfg *, char *err,
	    size_t errlen);
void	model_free(struct model *);
/* t_s: seconds since a Monday 00:00 (local time of the site). */
void	model_base_da(struct model *, int64_t t_s, int32_t out[EVG_PHASES]);
void	model_pv_da(struct model *, int64_t t_s, int32_t out[EVG_PHASES]);
int	model_arrivals(struct model *, int64_t t_s, int dt_s);
void	model_car(struct model *, int64_t t_s, struct model_car *);
uint32_t model_rand(struct model *);
/* A board's own load: its share (load_peak_da of the building's
 * cfg->load_peak) of the building's load base_da at that moment, never
 * above load_peak_da. */
void	model_board_da(const struct model_cfg *, int load_peak_da,
	    const int32_t base_da[EVG_PHASES], int32_t out[EVG_PHASES]);
/*
 * Each circuit's real current per site phase, cur[id - 1]: its own load
 * own[id - 1], the draws of the chargers wired directly to it
 * direct[id - 1], and everything its children carry. c[] in id order (a
 * parent before its children).
 */
void	model_circuit_currents(const struct model_circuit *c, int n,
	    const int32_t (*own)[EVG_PHASES], const int32_t (*direct)[EVG_PHASES],
	    int32_t (*cur)[EVG_PHASES]);
int	model_load_parse(const char *name);
int	model_pv_parse(const char *name);
extern const char *const model_load_names[];
extern const char *const model_pv_names[];

#endif
