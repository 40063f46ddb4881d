/*
 * site_file.c: the keys of a simulated site. See site_file.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site_file.h"

const char *const site_mode_names[] = { "static", "dynamic", "hybrid",
    "green", NULL };

const char *const site_demand_units[] = { "kw", "kva", NULL };

#define S(f)	offsetof(struct site_file, f)
#define C(f)	offsetof(struct site_file, circuit_in[0].f)
#define CN	MODEL_MAX_CIRCUITS
#define CS	sizeof(struct site_circuit_in)
#define M(f)	offsetof(struct site_file, model.f)

const struct cfg_key site_file_keys[] = {
	{ "site", "name", CFG_STR, 0, 0, "simulated site", S(name), 64, NULL, 0,
	    0, NULL, "shown by the master" },
	{ "site", "supply", CFG_DECI, 60, 20000, "100.0", S(supply), 0, NULL, 0,
	    0, "A", "the main fuse, per phase" },
	{ "site", "group_limit", CFG_DECI, 0, 20000, "0.0", S(group_limit), 0,
	    NULL, 0, 0, "A", "the chargers' own limit per phase; 0: none" },
	{ "site", "margin", CFG_DECI, 0, 2000, "2.0", S(margin), 0, NULL, 0, 0,
	    "A", "kept free below the fuse" },
	{ "site", "chargers", CFG_INT, 1, 2000, "12", S(chargers), 0, NULL, 0, 0,
	    NULL, "charger units" },
	{ "site", "connectors", CFG_INT, 1, 2, "2", S(connectors), 0, NULL, 0, 0,
	    NULL, "connectors per charger; wiring rotates across the site" },
	{ "site", "max_current", CFG_DECI, 60, 800, "32.0", S(max_current), 0,
	    NULL, 0, 0, "A", "each connector's rating" },
	{ "site", "mode", CFG_ENUM, 0, 0, "dynamic", S(mode), 0,
	    site_mode_names, 0, 0, NULL, "how the master shares the supply" },
	{ "site", "start", CFG_STR, 0, 0, "mon 07:00", S(start), 16, NULL, 0, 0,
	    NULL, "day and time the site's clock starts at" },
	{ "site", "imbalance", CFG_DECI, 0, 2000, "0.0", S(imbalance), 0, NULL,
	    0, 0, "A", "the supply's unbalanced-load limit; 0: none" },
	{ "demand", "window", CFG_INT, 15, 60, "15", S(demand_window), 0, NULL,
	    0, 0, "min", "the demand windows: 15, 30 or 60" },
	{ "demand", "target", CFG_DECI, 0, 100000, "0.0", S(demand_target), 0,
	    NULL, 0, 0, "kW", "the windows' average power at most; 0: none" },
	{ "demand", "unit", CFG_ENUM, 0, 0, "kw", S(demand_unit), 0,
	    site_demand_units, 0, 0, NULL, "kw, or kva (apparent power)" },
	{ "circuit", "name", CFG_STR, 0, 0, "", C(name), 32, NULL, CN, CS, NULL,
	    "letters, digits, . _ -" },
	{ "circuit", "parent", CFG_STR, 0, 0, "supply", C(parent), 32, NULL, CN,
	    CS, NULL, "supply, or the board it hangs off" },
	{ "circuit", "fuse", CFG_DECI, 0, 20000, "0.0", C(fuse), 0, NULL, CN, CS,
	    "A", "its fuse per phase (required)" },
	{ "circuit", "chargers", CFG_STR, 0, 0, "", C(chargers), 256, NULL, CN,
	    CS, NULL, "its chargers' numbers: 1-6 or 1,2,5" },
	{ "circuit", "meter", CFG_BOOL, 0, 0, "no", C(meter), 0, NULL, CN, CS,
	    NULL, "a CT kit of its own" },
	{ "circuit", "load_peak", CFG_DECI, 0, 20000, "0.0", C(load_peak), 0,
	    NULL, CN, CS, "A", "its own non-EV load at the peak (a share of "
	    "[load])" },
	{ "load", "profile", CFG_ENUM, 0, 0, "office", M(load), 0,
	    model_load_names, 0, 0, NULL,
	    "office, residential, retail, flat or csv" },
	{ "load", "peak", CFG_DECI, 0, 20000, "40.0", M(load_peak), 0, NULL, 0,
	    0, "A", "the building's peak per phase (not csv)" },
	{ "load", "csv", CFG_STR, 0, 0, "", M(load_csv), 256, NULL, 0, 0, NULL,
	    "per-minute amps: minute,L1,L2,L3 (profile = csv)" },
	{ "load", "steps_per_hour", CFG_INT, 0, 600, "6", M(steps_per_hour), 0,
	    NULL, 0, 0, NULL, "random appliance steps an hour" },
	{ "load", "step_max", CFG_DECI, 0, 2000, "15.0", M(step_max), 0, NULL,
	    0, 0, "A", "the largest appliance step, on one phase" },
	{ "pv", "shape", CFG_ENUM, 0, 0, "none", M(pv), 0, model_pv_names, 0, 0,
	    NULL, "none, clear, cloudy or csv" },
	{ "pv", "kwp", CFG_DECI, 0, 50000, "0.0", M(pv_kwp), 0, NULL, 0, 0,
	    "kWp", "the array's peak power (three-phase inverter)" },
	{ "pv", "csv", CFG_STR, 0, 0, "", M(pv_csv), 256, NULL, 0, 0, NULL,
	    "per-minute amps fed in: minute,L1,L2,L3 (shape = csv)" },
	{ "cars", "arrivals", CFG_INT, 0, 100000, "30", M(arrivals), 0, NULL, 0,
	    0, NULL, "cars a day, over the site" },
	{ "cars", "present", CFG_INT, 0, 4000, "0", M(present), 0, NULL, 0, 0,
	    NULL, "cars already plugged in when the site's clock starts" },
	{ "cars", "dwell", CFG_INT, 0, 2880, "0", M(dwell_min), 0, NULL, 0, 0,
	    "min", "mean stay; 0: by profile (office 8 h, home 11 h, retail "
	    "1.5 h)" },
	{ "cars", "single_16", CFG_INT, 0, 100, "10", M(mix_1p16), 0, NULL, 0, 0,
	    "%", "single-phase 16 A cars" },
	{ "cars", "single_32", CFG_INT, 0, 100, "20", M(mix_1p32), 0, NULL, 0, 0,
	    "%", "single-phase 32 A cars" },
	{ "cars", "three_16", CFG_INT, 0, 100, "50", M(mix_3p16), 0, NULL, 0, 0,
	    "%", "three-phase 16 A cars" },
	{ "cars", "three_32", CFG_INT, 0, 100, "20", M(mix_3p32), 0, NULL, 0, 0,
	    "%", "three-phase 32 A cars" },
	{ "cars", "full_early", CFG_INT, 0, 100, "15", M(full_early), 0, NULL, 0,
	    0, "%", "cars whose battery stops taking current early" },
	{ "cars", "seed", CFG_INT, 0, 2147483647, "1", M(seed), 0, NULL, 0, 0,
	    NULL, "the same seed, the same day" },
	{ NULL, NULL, 0, 0, 0, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

void
site_file_defaults(struct site_file *sf)
{
	memset(sf, 0, sizeof(*sf));
	cfg_defaults(site_file_keys, sf);
}

/* "mon 07:00" -> seconds from Monday 00:00. */
static int
parse_start(const char *s, int *out)
{
	static const char *const days[] = { "mon", "tue", "wed", "thu", "fri",
	    "sat", "sun" };
	char	 d[4];
	int	 h, m;

	if (sscanf(s, "%3s %d:%d", d, &h, &m) != 3 || h < 0 || h > 23 ||
	    m < 0 || m > 59)
		return -1;
	for (int i = 0; i < 7; i++)
		if (strcmp(d, days[i]) == 0) {
			*out = i * 86400 + h * 3600 + m * 60;
			return 0;
		}
	return -1;
}

static int
circuit_by_name(const struct site_file *sf, const char *name)
{
	for (int i = 0; i < MODEL_MAX_CIRCUITS; i++)
		if (sf->circuit_in[i].name[0] != '\0' &&
		    strcmp(sf->circuit_in[i].name, name) == 0)
			return i;
	return -1;
}

/* "1-6,9": each charger number in 1..nch, given to circuit id. */
static int
parse_chargers(struct site_file *sf, int k, uint8_t id, char *err,
    size_t errlen)
{
	const char *s = sf->circuit_in[k].chargers;

	while (*s != '\0') {
		char	*end;
		long	 a = strtol(s, &end, 10), b = a;

		if (end == s)
			goto bad;
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			if (end == s + 1)
				goto bad;
			s = end;
		}
		while (*s == ' ')
			s++;
		if (*s == ',')
			s++;
		else if (*s != '\0')
			goto bad;
		while (*s == ' ')
			s++;
		if (a < 1 || b > sf->chargers || a > b) {
			snprintf(err, errlen, "circuit%d.chargers: %ld-%ld: the "
			    "site has chargers 1-%d", k + 1, a, b, sf->chargers);
			return -1;
		}
		for (long c = a; c <= b; c++) {
			if (sf->charger_circuit[c - 1] != 0) {
				snprintf(err, errlen, "circuit%d.chargers: charger "
				    "%ld is already in circuit '%s'", k + 1, c,
				    sf->circuit[sf->charger_circuit[c - 1] -
				    1].name);
				return -1;
			}
			sf->charger_circuit[c - 1] = id;
		}
	}
	return 0;
bad:
	snprintf(err, errlen, "circuit%d.chargers: '%s': expected charger "
	    "numbers like 1-6 or 1,2,5", k + 1, sf->circuit_in[k].chargers);
	return -1;
}

/* One [circuitN] alone: a name, a fuse, a parent that exists. */
static int
circuit_check(const struct site_file *sf, int k, char *err, size_t errlen)
{
	const struct site_circuit_in *c = &sf->circuit_in[k];

	if (c->name[0] == '\0') {
		snprintf(err, errlen, "circuit%d.name: required", k + 1);
		return -1;
	}
	if (strcmp(c->name, "supply") == 0 ||
	    strspn(c->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
	    "WXYZ0123456789._-") != strlen(c->name)) {
		snprintf(err, errlen, "circuit%d.name: '%s': letters, digits, "
		    ". _ - only, and not supply", k + 1, c->name);
		return -1;
	}
	if (circuit_by_name(sf, c->name) != k) {
		snprintf(err, errlen, "circuit%d.name: '%s': already the name "
		    "of [circuit%d]", k + 1, c->name, circuit_by_name(sf,
		    c->name) + 1);
		return -1;
	}
	if (c->fuse < 60) {
		snprintf(err, errlen, "circuit%d.fuse: required: its fuse per "
		    "phase, 6.0 A or more", k + 1);
		return -1;
	}
	if (strcmp(c->parent, "supply") != 0 &&
	    circuit_by_name(sf, c->parent) < 0) {
		snprintf(err, errlen, "circuit%d.parent: '%s': no circuit of "
		    "that name (or supply)", k + 1, c->parent);
		return -1;
	}
	return 0;
}

static bool
circuit_given(const struct site_circuit_in *c)
{
	return c->name[0] != '\0' || c->fuse != 0 || c->chargers[0] != '\0' ||
	    c->meter || c->load_peak != 0 || strcmp(c->parent, "supply") != 0;
}

/*
 * The circuits, checked and sorted so that a parent comes before its
 * children (ids 1..n in that order), and each charger's circuit.
 */
static int
circuits_finish(struct site_file *sf, char *err, size_t errlen)
{
	int	 order[MODEL_MAX_CIRCUITS], n = 0, given = 0, load = 0;
	bool	 placed[MODEL_MAX_CIRCUITS] = { false };

	for (int k = 0; k < MODEL_MAX_CIRCUITS; k++) {
		if (!circuit_given(&sf->circuit_in[k]))
			continue;
		if (circuit_check(sf, k, err, errlen) != 0)
			return -1;
		given++;
		load += sf->circuit_in[k].load_peak;
	}
	/* a parent first: take, in file order, any circuit whose parent
	 * is placed; none left to take means a loop */
	while (n < given) {
		int	 before = n;

		for (int k = 0; k < MODEL_MAX_CIRCUITS; k++) {
			const struct site_circuit_in *c = &sf->circuit_in[k];
			int	 par = strcmp(c->parent, "supply") == 0 ? -1 :
			    circuit_by_name(sf, c->parent);

			if (placed[k] || !circuit_given(c) ||
			    (par >= 0 && !placed[par]))
				continue;
			placed[k] = true;
			order[n++] = k;
		}
		if (n == before) {
			for (int k = 0; k < MODEL_MAX_CIRCUITS; k++)
				if (circuit_given(&sf->circuit_in[k]) &&
				    !placed[k]) {
					snprintf(err, errlen, "circuit%d.parent: "
					    "'%s': a loop: the circuit would be "
					    "under itself", k + 1,
					    sf->circuit_in[k].parent);
					return -1;
				}
		}
	}
	for (int i = 0; i < n; i++) {
		const struct site_circuit_in *c = &sf->circuit_in[order[i]];
		struct model_circuit *m = &sf->circuit[i];
		int	 plim = sf->supply;

		memset(m, 0, sizeof(*m));
		snprintf(m->name, sizeof(m->name), "%s", c->name);
		m->section = order[i] + 1;
		m->fuse_da = c->fuse;
		m->meter = c->meter;
		m->load_peak_da = c->load_peak;
		for (int j = 0; j < i; j++)
			if (strcmp(sf->circuit[j].name, c->parent) == 0) {
				m->parent = j + 1;
				plim = sf->circuit[j].fuse_da;
			}
		if (c->fuse > plim) {
			snprintf(err, errlen, "circuit%d.fuse: %d.%d A is above "
			    "its parent's %d.%d A", order[i] + 1, c->fuse / 10,
			    c->fuse % 10, plim / 10, plim % 10);
			return -1;
		}
	}
	sf->ncircuits = n;
	for (int i = 0; i < n; i++)
		if (parse_chargers(sf, sf->circuit[i].section - 1,
		    (uint8_t)(i + 1), err, errlen) != 0)
			return -1;
	if (load > sf->model.load_peak) {
		snprintf(err, errlen, "circuit: load_peak: the boards' own "
		    "loads make %d.%d A, more than the building's [load] peak "
		    "%d.%d A they are part of", load / 10, load % 10,
		    sf->model.load_peak / 10, sf->model.load_peak % 10);
		return -1;
	}
	return 0;
}

int
site_file_load(struct site_file *sf, const char *path, char *const *sets,
    int nsets, char *err, size_t errlen)
{
	const struct model_cfg *mc = &sf->model;

	site_file_defaults(sf);
	if (cfg_load(site_file_keys, sf, path, sets, nsets, err, errlen) != 0)
		return -1;
	if (parse_start(sf->start, &sf->start_s) != 0) {
		snprintf(err, errlen, "site.start: '%s': expected a day and a "
		    "time, like mon 07:00", sf->start);
		return -1;
	}
	if (mc->mix_1p16 + mc->mix_1p32 + mc->mix_3p16 + mc->mix_3p32 != 100) {
		snprintf(err, errlen, "cars: single_16 + single_32 + three_16 + "
		    "three_32 must make 100 %%");
		return -1;
	}
	if ((mc->load == LOAD_CSV) != (mc->load_csv[0] != '\0')) {
		snprintf(err, errlen, "load.csv: set it with profile = csv, and "
		    "only then");
		return -1;
	}
	if ((mc->pv == PV_CSV) != (mc->pv_csv[0] != '\0')) {
		snprintf(err, errlen, "pv.csv: set it with shape = csv, and only "
		    "then");
		return -1;
	}
	if (sf->demand_window != 15 && sf->demand_window != 30 &&
	    sf->demand_window != 60) {
		snprintf(err, errlen, "demand.window: %d: 15, 30 or 60 minutes",
		    sf->demand_window);
		return -1;
	}
	if (sf->demand_target > 0 && sf->demand_target < 10) {
		snprintf(err, errlen, "demand.target: 0 (none) or 1.0 kW or "
		    "more");
		return -1;
	}
	if (sf->chargers > SITE_MAX_CHARGERS) {
		snprintf(err, errlen, "site.chargers: at most %d",
		    SITE_MAX_CHARGERS);
		return -1;
	}
	return circuits_finish(sf, err, errlen);
}
