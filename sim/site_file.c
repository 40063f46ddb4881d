/*
 * site_file.c: the keys of a simulated site. See site_file.h.
 */
#include <stdio.h>
#include <string.h>

#include "site_file.h"

const char *const site_mode_names[] = { "static", "dynamic", "hybrid",
    "green", NULL };

#define S(f)	offsetof(struct site_file, f)
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
	return 0;
}
