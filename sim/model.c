/*
 * model.c: the site's load, PV and cars. See model.h and
 * docs/simulator.md ("The site model").
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

const char *const model_load_names[] = { "office", "residential", "retail",
    "flat", "csv", NULL };
const char *const model_pv_names[] = { "none", "clear", "cloudy", "csv",
    NULL };

static int
parse_name(const char *const *names, const char *s)
{
	for (int i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

int
model_load_parse(const char *s)
{
	return parse_name(model_load_names, s);
}

int
model_pv_parse(const char *s)
{
	return parse_name(model_pv_names, s);
}

/* xorshift64*: reproducible from the seed, no global state. */
uint32_t
model_rand(struct model *m)
{
	m->rng ^= m->rng >> 12;
	m->rng ^= m->rng << 25;
	m->rng ^= m->rng >> 27;
	return (uint32_t)((m->rng * 2685821657736338717ull) >> 32);
}

static double
uniform(struct model *m)
{
	return model_rand(m) / 4294967296.0;
}

/*
 * A CSV of per-minute currents: "minute,L1,L2,L3" (minute of the week
 * from Monday 00:00, or of the day: the file repeats), in amperes; lines
 * starting with # and a header line are skipped.
 */
static int
read_csv(const char *path, int32_t (**out)[EVG_PHASES], int *n, char *err,
    size_t errlen)
{
	FILE	*fp = fopen(path, "r");
	char	 line[256];
	int	 lineno = 0, max = -1;

	if (fp == NULL) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	*out = calloc(MODEL_CSV_MINUTES, sizeof(**out));
	if (*out == NULL) {
		fclose(fp);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		int	 minute;
		double	 a[3];

		lineno++;
		if (line[0] == '#' || line[0] == '\n' ||
		    (lineno == 1 && (line[0] < '0' || line[0] > '9')))
			continue;
		if (sscanf(line, "%d,%lf,%lf,%lf", &minute, &a[0], &a[1],
		    &a[2]) != 4 || minute < 0 || minute >= MODEL_CSV_MINUTES ||
		    fabs(a[0]) > 5000 || fabs(a[1]) > 5000 || fabs(a[2]) > 5000) {
			snprintf(err, errlen, "%s:%d: expected minute (0-%d),L1,"
			    "L2,L3 in A", path, lineno, MODEL_CSV_MINUTES - 1);
			fclose(fp);
			free(*out);
			*out = NULL;
			return -1;
		}
		for (int p = 0; p < 3; p++)
			(*out)[minute][p] = (int32_t)lround(a[p] * 10);
		if (minute > max)
			max = minute;
	}
	fclose(fp);
	if (max < 0) {
		snprintf(err, errlen, "%s: no data", path);
		free(*out);
		*out = NULL;
		return -1;
	}
	*n = max + 1;
	return 0;
}

int
model_init(struct model *m, const struct model_cfg *cfg, char *err,
    size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->rng = ((uint64_t)cfg->seed << 32 | 0x9e3779b9u) ^ 0x2545f4914f6cdd1dull;
	if (m->rng == 0)
		m->rng = 1;
	m->last_s = -1;
	if (cfg->load == LOAD_CSV && read_csv(cfg->load_csv, &m->load_csv,
	    &m->load_n, err, errlen) != 0)
		return -1;
	if (cfg->pv == PV_CSV && read_csv(cfg->pv_csv, &m->pv_csv, &m->pv_n,
	    err, errlen) != 0) {
		free(m->load_csv);
		return -1;
	}
	return 0;
}

void
model_free(struct model *m)
{
	free(m->load_csv);
	free(m->pv_csv);
	m->load_csv = m->pv_csv = NULL;
}

/* Piecewise-linear shape: (hour, share of the peak) points of a day. */
static double
shape(const double (*pts)[2], int n, double hour)
{
	for (int i = 1; i < n; i++)
		if (hour <= pts[i][0]) {
			double	 f = (hour - pts[i - 1][0]) /
			    (pts[i][0] - pts[i - 1][0]);

			return pts[i - 1][1] + f * (pts[i][1] - pts[i - 1][1]);
		}
	return pts[n - 1][1];
}

/* The building's share of its peak at this hour and day (0 = Monday). */
static double
day_shape(int kind, int weekday, double hour)
{
	static const double office[][2] = { { 0, .25 }, { 6, .25 }, { 8, .8 },
	    { 10, 1 }, { 12, .9 }, { 13, .95 }, { 16, 1 }, { 18, .5 },
	    { 20, .3 }, { 24, .25 } };
	static const double office_we[][2] = { { 0, .2 }, { 24, .2 } };
	static const double home[][2] = { { 0, .3 }, { 5, .25 }, { 7, .6 },
	    { 9, .4 }, { 16, .45 }, { 18, .9 }, { 20, 1 }, { 22, .6 },
	    { 24, .3 } };
	static const double retail[][2] = { { 0, .2 }, { 8, .2 }, { 9, .8 },
	    { 12, 1 }, { 17, .9 }, { 20, .8 }, { 21, .2 }, { 24, .2 } };

	switch (kind) {
	case LOAD_OFFICE:
		return weekday < 5 ? shape(office, 10, hour) :
		    shape(office_we, 2, hour);
	case LOAD_RESIDENTIAL:
		return shape(home, 9, hour);
	case LOAD_RETAIL:
		return shape(retail, 8, hour);
	default:
		return 1;
	}
}

/*
 * The building per phase at t_s: its day shape (phases a little
 * unbalanced) plus random appliance steps (lifts, kitchens, heat pumps)
 * on one phase at a time, or the CSV.
 */
void
model_base_da(struct model *m, int64_t t_s, int32_t out[EVG_PHASES])
{
	static const double unbalance[EVG_PHASES] = { 1.0, 0.85, 0.93 };
	double	 hour = (double)(t_s % MODEL_DAY_S) / 3600.0;
	int	 weekday = (int)((t_s / MODEL_DAY_S) % 7);

	if (m->cfg.load == LOAD_CSV) {
		int	 minute = (int)((t_s / 60) % m->load_n);

		memcpy(out, m->load_csv[minute], sizeof(int32_t) * EVG_PHASES);
	} else
		for (int p = 0; p < EVG_PHASES; p++)
			out[p] = (int32_t)lround(m->cfg.load_peak * unbalance[p] *
			    day_shape(m->cfg.load, weekday, hour));
	/* new steps: a Poisson process, steps_per_hour on average */
	if (m->cfg.steps_per_hour > 0 && t_s > m->last_s) {
		int64_t	 dt = m->last_s < 0 ? 1 : t_s - m->last_s;
		double	 p = 1 - exp(-(double)m->cfg.steps_per_hour * (double)dt /
		    3600.0);

		if (uniform(m) < p)
			for (int i = 0; i < MODEL_STEPS; i++)
				if (m->steps[i].until_s <= t_s) {
					m->steps[i].until_s = t_s + 60 +
					    (int64_t)(model_rand(m) % 1740);
					m->steps[i].phase = (int)(model_rand(m) %
					    3);
					m->steps[i].da = (int32_t)(m->cfg.step_max /
					    4 + model_rand(m) % (uint32_t)(
					    m->cfg.step_max * 3 / 4 + 1));
					break;
				}
	}
	if (t_s > m->last_s)
		m->last_s = t_s;
	for (int i = 0; i < MODEL_STEPS; i++)
		if (m->steps[i].until_s > t_s)
			out[m->steps[i].phase] += m->steps[i].da;
}

/*
 * PV per phase (a three-phase inverter, current it feeds in): a clear
 * day's bell from 05:30 to 20:30 (a summer day in the UK), or the same
 * under passing clouds (10-40 minute spells of 20-90 % cover).
 */
void
model_pv_da(struct model *m, int64_t t_s, int32_t out[EVG_PHASES])
{
	double	 hour = (double)(t_s % MODEL_DAY_S) / 3600.0, sun = 0, w;

	if (m->cfg.pv == PV_CSV) {
		int	 minute = (int)((t_s / 60) % m->pv_n);

		memcpy(out, m->pv_csv[minute], sizeof(int32_t) * EVG_PHASES);
		return;
	}
	if (m->cfg.pv == PV_NONE) {
		out[0] = out[1] = out[2] = 0;
		return;
	}
	if (hour > 5.5 && hour < 20.5)
		sun = pow(sin(M_PI * (hour - 5.5) / 15.0), 1.5);
	if (m->cfg.pv == PV_CLOUDY) {
		if (t_s >= m->cloud_until_s) {
			m->cloud = 0.2 + 0.7 * uniform(m);
			m->cloud_until_s = t_s + 600 + (int64_t)(model_rand(m) %
			    1800);
		}
		sun *= 1 - m->cloud;
	}
	/* kWp at 80 % (inverter, temperature) into three phases at 230 V */
	w = m->cfg.pv_kwp * 100.0 * 0.8 * sun;
	for (int p = 0; p < EVG_PHASES; p++)
		out[p] = (int32_t)lround(w / (3 * MODEL_NOMINAL_V) * 10);
}

/* Cars arriving per hour of the day, as a share of the day's cars. */
static double
arrival_share(int kind, double hour)
{
	static const double office[][2] = { { 0, 0 }, { 6.5, 0 }, { 7.5, .12 },
	    { 8.5, .3 }, { 9.5, .2 }, { 11, .05 }, { 13, .06 }, { 15, .03 },
	    { 17, .01 }, { 24, 0 } };
	static const double home[][2] = { { 0, .005 }, { 7, .005 }, { 12, .03 },
	    { 16, .08 }, { 18, .2 }, { 20, .12 }, { 22, .04 }, { 24, .005 } };
	static const double retail[][2] = { { 0, 0 }, { 8.5, 0 }, { 9, .06 },
	    { 12, .12 }, { 14, .1 }, { 17, .12 }, { 19, .06 }, { 20.5, 0 },
	    { 24, 0 } };

	switch (kind) {
	case LOAD_OFFICE:
		return shape(office, 10, hour);
	case LOAD_RESIDENTIAL:
		return shape(home, 8, hour);
	case LOAD_RETAIL:
		return shape(retail, 9, hour);
	default:
		return 1.0 / 24;
	}
}

/* How many cars arrive in the dt_s seconds before t_s (Poisson). */
int
model_arrivals(struct model *m, int64_t t_s, int dt_s)
{
	double	 hour = (double)(t_s % MODEL_DAY_S) / 3600.0, total = 0;
	double	 rate, l, p = 1;
	int	 k = 0, weekday = (int)((t_s / MODEL_DAY_S) % 7);

	/* normalise the shape so that a day brings cfg.arrivals cars */
	for (int h = 0; h < 96; h++)
		total += arrival_share(m->cfg.load, h / 4.0) / 4;
	rate = m->cfg.arrivals * arrival_share(m->cfg.load, hour) / total /
	    3600.0;
	if (m->cfg.load == LOAD_OFFICE && weekday >= 5)
		rate *= 0.1;
	l = exp(-rate * dt_s);
	/* Knuth's method: fine for the small means of one step */
	do {
		k++;
		p *= uniform(m);
	} while (p > l && k < 1000);
	return k - 1;
}

/* A car: its charger, phases, battery, and how long it stays. */
void
model_car(struct model *m, int64_t t_s, struct model_car *c)
{
	int	 r = (int)(model_rand(m) % 100);
	int	 dwell = m->cfg.dwell_min;

	memset(c, 0, sizeof(*c));
	if (r < m->cfg.mix_1p16) {
		c->max_da = 160;
		c->phases = 1;
	} else if ((r -= m->cfg.mix_1p16) < m->cfg.mix_1p32) {
		c->max_da = 320;
		c->phases = 1;
	} else if ((r -= m->cfg.mix_1p32) < m->cfg.mix_3p32) {
		c->max_da = 320;
		c->phases = 3;
	} else {
		c->max_da = 160;
		c->phases = 3;
	}
	c->capacity_kwh = 40 + (int)(model_rand(m) % 61);	/* 40-100 */
	c->soc_pct = 15 + (int)(model_rand(m) % 50);
	c->target_pct = 80 + (int)(model_rand(m) % 21);
	c->full_early = (int)(model_rand(m) % 100) < m->cfg.full_early;
	if (c->full_early)
		c->target_pct = c->soc_pct + 5 + (int)(model_rand(m) % 15);
	c->lag_ms = 1000 + (int)(model_rand(m) % 4001);
	if (dwell <= 0)
		dwell = m->cfg.load == LOAD_RESIDENTIAL ? 660 :
		    m->cfg.load == LOAD_RETAIL ? 90 : 480;
	/* +-40 % around the mean, at least 20 minutes */
	dwell = dwell * (60 + (int)(model_rand(m) % 81)) / 100;
	if (dwell < 20)
		dwell = 20;
	c->leave_s = t_s + (int64_t)dwell * 60;
}

void
model_board_da(const struct model_cfg *cfg, int load_peak_da,
    const int32_t base_da[EVG_PHASES], int32_t out[EVG_PHASES])
{
	for (int p = 0; p < EVG_PHASES; p++) {
		out[p] = cfg->load_peak > 0 && base_da[p] > 0 ?
		    (int32_t)((int64_t)base_da[p] * load_peak_da /
		    cfg->load_peak) : 0;
		/* the building's steps beyond its peak are elsewhere */
		if (out[p] > load_peak_da)
			out[p] = load_peak_da;
	}
}

void
model_circuit_currents(const struct model_circuit *c, int n,
    const int32_t (*own)[EVG_PHASES], const int32_t (*direct)[EVG_PHASES],
    int32_t (*cur)[EVG_PHASES])
{
	for (int i = 0; i < n; i++)
		for (int p = 0; p < EVG_PHASES; p++)
			cur[i][p] = own[i][p] + direct[i][p];
	/* children last: each adds its whole current to its parent's */
	for (int i = n - 1; i >= 0; i--)
		if (c[i].parent > 0 && c[i].parent <= i)
			for (int p = 0; p < EVG_PHASES; p++)
				cur[c[i].parent - 1][p] += cur[i][p];
}
