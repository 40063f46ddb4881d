/*
 * planreport.c: evgroup-sim plan: the command line, the report and the
 * chart of a planning run. docs/planning.md.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "plan.h"
#include "strnum.h"

static const char *const variant_names[] = {
	[PLAN_FULL] = "evgroup (full)",
	[PLAN_NO_RECLAIM] = "dynamic, no reclaim",
	[PLAN_STATIC] = "static equal split",
};

void
plan_circuit_second(struct plan_circuit *c, const int32_t cur[EVG_PHASES],
    int32_t fuse_da)
{
	bool	 at = false;

	for (int p = 0; p < EVG_PHASES; p++) {
		if (cur[p] > c->peak_da[p])
			c->peak_da[p] = cur[p];
		at |= cur[p] >= fuse_da - PLAN_AT_LIMIT_DA;
		/* as the supply's (plan.c, account) */
		if (cur[p] > fuse_da) {
			if (++c->over_run[p] * 1000 > ALLOC_EV_RESPONSE_MS +
			    PLAN_CYCLE_MS)
				c->over_s++;
		} else
			c->over_run[p] = 0;
	}
	c->at_limit_s += at;
}

void
plan_demand_second(struct plan_demand *d, int64_t t_s, double power)
{
	int64_t	 start;
	double	 avg;

	if (d->window_s <= 0)
		return;
	/* the second that ends at t_s */
	start = (t_s - 1) / d->window_s * d->window_s;
	if (d->n > 0 && start != d->start_s) {
		/* the run began within that window: not counted */
		d->n = 0;
		d->sum = 0;
	}
	if (d->n == 0)
		d->start_s = start;
	d->sum += power;
	if (++d->n < d->window_s)
		return;
	avg = d->sum / d->n;
	d->windows++;
	if (d->windows == 1 || avg > d->max) {
		d->max = avg;
		d->max_start_s = d->start_s;
	}
	if (avg > d->target) {
		d->over++;
		if (d->nlist < PLAN_WIN_LIST) {
			d->list[d->nlist].start_s = d->start_s;
			d->list[d->nlist++].avg = avg;
		}
	}
	d->n = 0;
	d->sum = 0;
}

double
plan_supply_power(const int32_t da[EVG_PHASES], bool apparent)
{
	double	 a = 0;

	for (int p = 0; p < EVG_PHASES; p++)
		a += apparent ? fabs((double)da[p]) : da[p];
	return a > 0 ? a / 10.0 * MODEL_NOMINAL_V / 1000.0 : 0;
}

/* "Mon 12:15" from seconds since Monday 00:00. */
static const char *
site_time(int64_t t_s, char *buf, size_t len)
{
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri",
	    "Sat", "Sun" };

	snprintf(buf, len, "%s %02d:%02d", days[(t_s / MODEL_DAY_S) % 7],
	    (int)(t_s % MODEL_DAY_S / 3600), (int)(t_s % 3600 / 60));
	return buf;
}

void
plan_report_circuits(FILE *fp, const struct site_file *sf,
    const struct plan_result *r)
{
	const struct plan_demand *d = &r->demand;
	const char *unit = sf->demand_unit ? "kVA" : "kW";
	char	 t[16];

	for (int k = 0; k < sf->ncircuits; k++) {
		const struct model_circuit *c = &sf->circuit[k];
		const struct plan_circuit *pc = &r->circ[k];
		int32_t	 peak = 0;

		for (int p = 0; p < EVG_PHASES; p++)
			peak = pc->peak_da[p] > peak ? pc->peak_da[p] : peak;
		fprintf(fp, "circuit %-19s %9.1f A     peak L1/L2/L3 %.1f/%.1f/"
		    "%.1f A; fuse %.1f A (under %s%s); at its limit %.2f h; "
		    "seconds above it beyond one cycle + the cars' 5 s: %ld\n",
		    c->name, peak / 10.0, pc->peak_da[0] / 10.0,
		    pc->peak_da[1] / 10.0, pc->peak_da[2] / 10.0,
		    c->fuse_da / 10.0, c->parent ? sf->circuit[c->parent -
		    1].name : "supply", c->meter ? ", metered" : "",
		    pc->at_limit_s / 3600.0, pc->over_s);
	}
	if (sf->demand_target <= 0)
		return;
	fprintf(fp, "demand windows              %9d       of %d min, target "
	    "%.1f %s: %d over it", d->windows, sf->demand_window,
	    sf->demand_target / 10.0, unit, d->over);
	if (d->windows > 0)
		fprintf(fp, "; the highest %.1f %s (%s)", d->max, unit,
		    site_time(d->max_start_s, t, sizeof(t)));
	fputc('\n', fp);
	for (int i = 0; i < d->nlist; i++)
		fprintf(fp, "%s%s %.1f %s%s", i == 0 ? "  over the target: " :
		    i % 4 ? ", " : "                    ",
		    site_time(d->list[i].start_s, t,
		    sizeof(t)), d->list[i].avg, unit, i % 4 == 3 ||
		    i == d->nlist - 1 ? "\n" : "");
	if (d->over > d->nlist)
		fprintf(fp, "  and %d more\n", d->over - d->nlist);
}

static double
pct(double a, double b)
{
	return b > 0 ? 100.0 * a / b : 100.0;
}

static double
jain(const struct plan_result *r)
{
	return r->sum_share2 > 0 ? r->sum_share * r->sum_share /
	    (r->cars * r->sum_share2) : 1.0;
}

/* The LP optimum of the day, or why there is none. */
struct lpfig {
	const struct planlp_result *lp;		/* NULL: none */
	struct planlp_result res;
	int		 slot_s;
	char		 err[128];
};

static void
report(FILE *fp, const struct site_file *sf, const struct plan_result *r,
    const struct lpfig *f)
{
	fprintf(fp, "energy delivered            %9.1f kWh\n",
	    r->delivered_wh / 1000.0);
	fprintf(fp, "  towards the cars' targets %9.1f kWh   the rest: cars "
	    "charging on past their target\n", r->useful_wh / 1000.0);
	fprintf(fp, "cars that left              %9d       below their target: "
	    "%d; turned away (no free connector): %d; still there at the "
	    "end: %d\n", r->cars, r->short_cars, r->turned_away,
	    r->still_there);
	fprintf(fp, "  they wanted               %9.1f kWh   got %.1f kWh: demand "
	    "met %.1f %%\n", r->wanted_wh / 1000.0, r->left_delivered_wh /
	    1000.0, pct((double)r->left_delivered_wh, r->wanted_wh));
	if (f->lp != NULL) {
		fprintf(fp, "LP optimum (clairvoyant)    %9.1f kWh   towards targets "
		    "/ optimum %.1f %%\n", f->lp->optimum_wh / 1000.0,
		    pct((double)r->useful_wh, f->lp->optimum_wh));
		fprintf(fp, "  its LP                    %9d variables, %d "
		    "constraints, slots of %d s, solved in %.2f s; seconds the "
		    "cars drew beyond its room: %.1f\n", f->lp->cols,
		    f->lp->rows, f->slot_s, f->lp->solve_s, r->lp_over_s);
	} else
		fprintf(fp, "LP optimum (clairvoyant)    none: %s\n", f->err);
	fprintf(fp, "peak phase current          %9.1f A     limit %.1f A; "
	    "seconds above it beyond one cycle + the cars' 5 s: %ld\n",
	    r->peak_da / 10.0, sf->supply / 10.0, r->over_s);
	plan_report_circuits(fp, sf, r);
	fprintf(fp, "contactor operations        %9.2f       per connector per "
	    "day\n", (double)r->contactor_ops / r->connectors / r->days);
	fprintf(fp, "setpoint changes            %9.2f       per connector per "
	    "hour\n", (double)r->setpoint_changes / r->connectors / r->days /
	    24.0);
	fprintf(fp, "Jain fairness over cars     %9.3f\n", jain(r));
	fprintf(fp, "CPU                         %9.2f s\n", r->cpu_s);
}

static void
compare(FILE *fp, const struct plan_result *r, const struct lpfig *f)
{
	static const int order[] = { PLAN_STATIC, PLAN_NO_RECLAIM, PLAN_FULL };

	fprintf(fp, "%-30s", "");
	for (int i = 0; i < 3; i++)
		fprintf(fp, " %20s", variant_names[order[i]]);
	fprintf(fp, "\n%-30s", "energy delivered (kWh)");
	for (int i = 0; i < 3; i++)
		fprintf(fp, " %20.1f", r[order[i]].delivered_wh / 1000.0);
	fprintf(fp, "\n%-30s", "demand met (%)");
	for (int i = 0; i < 3; i++)
		fprintf(fp, " %20.1f", pct((double)r[order[i]].left_delivered_wh,
		    r[order[i]].wanted_wh));
	fprintf(fp, "\n%-30s", "towards targets (kWh)");
	for (int i = 0; i < 3; i++)
		fprintf(fp, " %20.1f", r[order[i]].useful_wh / 1000.0);
	fprintf(fp, "\n%-30s", "towards targets / LP opt. (%)");
	for (int i = 0; i < 3 && f->lp != NULL; i++)
		fprintf(fp, " %20.1f", pct((double)r[order[i]].useful_wh,
		    f->lp->optimum_wh));
	if (f->lp == NULL)
		fprintf(fp, " none: %s", f->err);
	fprintf(fp, "\n%-30s", "cars left below target");
	for (int i = 0; i < 3; i++)
		fprintf(fp, " %20d", r[order[i]].short_cars);
	fprintf(fp, "\n%-30s", "peak phase current (A)");
	for (int i = 0; i < 3; i++)
		fprintf(fp, " %20.1f", r[order[i]].peak_da / 10.0);
	fprintf(fp, "\n%-30s", "s over the fuse beyond 6 s");
	for (int i = 0; i < 3; i++)
		fprintf(fp, " %20ld", r[order[i]].over_s);
	fprintf(fp, "\n%-30s", "contactor ops / connector / day");
	for (int i = 0; i < 3; i++)
		fprintf(fp, " %20.2f", (double)r[order[i]].contactor_ops /
		    r[order[i]].connectors / r[order[i]].days);
	fprintf(fp, "\n%-30s", "Jain fairness over cars");
	for (int i = 0; i < 3; i++)
		fprintf(fp, " %20.3f", jain(&r[order[i]]));
	fputc('\n', fp);
}

/*
 * The chart: per-phase current at the supply (solid), the cars' share
 * per phase (dashed), PV (green), the fuse (red), over the run.
 */
static int
chart(const char *path, FILE *series, const struct site_file *sf, int days)
{
	static const char *const colours[] = { "#7a4b00", "#111111", "#777777" };
	const int W = 1000, H = 420, L = 50, R = 10, T = 30, B = 40;
	double	 max = sf->supply / 10.0 * 1.15;
	long	 t0 = sf->start_s / 60, span = (long)days * 1440;
	char	 line[256];
	FILE	*fp = fopen(path, "w");

	if (fp == NULL)
		return -1;
	fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
	    "font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" "
	    "fill=\"white\"/>\n<text x=\"%d\" y=\"18\" font-size=\"14\">%s: "
	    "current per phase at the supply, the cars' share (dashed), PV "
	    "(green), the fuse (red)</text>\n", W, H, W, H, L, sf->name);
	for (int a = 0; a <= (int)max; a += 20) {
		double	 y = T + (H - T - B) * (1 - a / max);

		fprintf(fp, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"#e5e5e5\"/><text x=\"4\" y=\"%.1f\">%d A</text>\n",
		    L, W - R, y, y, y + 4, a);
	}
	for (long h = 0; h <= span / 60; h += days > 2 ? 12 : 3) {
		double	 x = L + (double)(W - L - R) * h * 60 / span;
		long	 m = t0 + h * 60;

		fprintf(fp, "<text x=\"%.1f\" y=\"%d\">%s %02ld:%02ld</text>\n",
		    x - 20, H - 18, (const char *[]){ "Mon", "Tue", "Wed", "Thu",
		    "Fri", "Sat", "Sun" }[(m / 1440) % 7], (m % 1440) / 60,
		    m % 60);
	}
	for (int s = 0; s < 7; s++) {
		bool	 first = true;

		rewind(series);
		fprintf(fp, "<polyline fill=\"none\" stroke=\"%s\" stroke-width="
		    "\"%s\"%s points=\"", s < 3 ? colours[s] : s < 6 ?
		    "#2f7de1" : "#2a9d3a", s < 3 ? "1.4" : "1",
		    s >= 3 && s < 6 ? " stroke-dasharray=\"4 2\"" : "");
		while (fgets(line, sizeof(line), series) != NULL) {
			long	 m;
			double	 v[7];

			if (sscanf(line, "%ld,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &m,
			    &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) != 8)
				continue;
			fprintf(fp, "%s%.1f,%.1f", first ? "" : " ", L +
			    (double)(W - L - R) * (m - t0) / span, T +
			    (H - T - B) * (1 - v[s] / max));
			first = false;
		}
		fprintf(fp, "\"/>\n");
	}
	fprintf(fp, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"#c0392b\" stroke-width=\"2\"/>\n</svg>\n", L, W - R,
	    T + (H - T - B) * (1 - sf->supply / 10.0 / max),
	    T + (H - T - B) * (1 - sf->supply / 10.0 / max));
	return fclose(fp);
}

/*
 * The run as it ships, recording the day for the LP, then the LP: one for
 * every way of sharing, since the day is the same whatever the sharing.
 * Returns 0 (f->lp NULL if the LP has no optimum, f->err says why) or -1
 * when the run itself failed (err).
 */
static int
run_full(const struct site_file *sf, int days, int slot_s, FILE *series,
    struct plan_result *r, struct lpfig *f, char *err, size_t errlen)
{
	struct planlp_day day;

	f->lp = NULL;
	f->slot_s = slot_s;
	if (planlp_init(&day, (int64_t)days * MODEL_DAY_S, slot_s) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (plan_run(sf, PLAN_FULL, days, series, &day, r, err, errlen) != 0) {
		planlp_free(&day);
		return -1;
	}
	if (planlp_solve(&day, 0, &f->res, f->err, sizeof(f->err)) == 0)
		f->lp = &f->res;
	planlp_free(&day);
	return 0;
}

/* Seconds any circuit was above its fuse beyond the window. */
static long
circuits_over(const struct site_file *sf, const struct plan_result *r)
{
	long	 s = 0;

	for (int k = 0; k < sf->ncircuits; k++)
		s += r->circ[k].over_s;
	return s;
}

/* A number option within [min, max], or -1 with a message. */
static int
opt_range(const char *opt, const char *arg, long min, long max, long *v)
{
	if (strnum_long(arg, min, max, v) == 0)
		return 0;
	fprintf(stderr, "evgroup-sim plan: %s: must be %ld-%ld\n", opt, min,
	    max);
	return -1;
}

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: evgroup-sim plan --site FILE [--days N] [--compare] "
	    "[--chart FILE.svg] [--lp-slot S]\n"
	    "  --site FILE       the site (docs/simulator.md, site files)\n"
	    "  --days N          days to run, 1-31 (default 1)\n"
	    "  --compare         also a static equal split and dynamic without "
	    "reclaim\n"
	    "  --chart FILE.svg  the day's chart (default plan.svg)\n"
	    "  --lp-slot S       the LP optimum's time slot, 1-3600 s (default "
	    "%d s for each day run)\n", PLANLP_SLOT_S);
}

int
plan_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "site", required_argument, NULL, 's' },
		{ "days", required_argument, NULL, 'd' },
		{ "compare", no_argument, NULL, 'c' },
		{ "chart", required_argument, NULL, 'o' },
		{ "lp-slot", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct site_file sf;
	struct plan_result r[3];
	struct lpfig fig;
	const char *site = NULL, *svg = "plan.svg";
	char	 err[CFG_ERRLEN + 64];
	bool	 cmp = false;
	long	 days = 1, slot = 0;
	int	 ch;
	FILE	*series;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			site = optarg;
			break;
		case 'd':
			if (opt_range("--days", optarg, 1, 31, &days) != 0)
				return 2;
			break;
		case 'c':
			cmp = true;
			break;
		case 'o':
			svg = optarg;
			break;
		case 'l':
			if (opt_range("--lp-slot", optarg, 1, 3600, &slot) != 0)
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (site == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (site_file_load(&sf, site, NULL, 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "evgroup-sim plan: %s\n", err);
		return 2;
	}
	if ((series = tmpfile()) == NULL) {
		perror("evgroup-sim plan: tmpfile");
		return 1;
	}
	printf("Planning run: %s, %ld day(s) from %s, %d chargers x %d "
	    "connectors (%.1f A each), supply %.1f A per phase, mode %s\n\n",
	    sf.name, days, sf.start, sf.chargers, sf.connectors,
	    sf.max_current / 10.0, sf.supply / 10.0, site_mode_names[sf.mode]);
	/* the LP keeps the size of one day at PLANLP_SLOT_S */
	if (slot == 0)
		slot = PLANLP_SLOT_S * days;
	if (run_full(&sf, (int)days, (int)slot, series, &r[PLAN_FULL], &fig,
	    err, sizeof(err)) != 0) {
		fprintf(stderr, "evgroup-sim plan: %s\n", err);
		fclose(series);
		return 1;
	}
	report(stdout, &sf, &r[PLAN_FULL], &fig);
	if (chart(svg, series, &sf, (int)days) != 0)
		fprintf(stderr, "evgroup-sim plan: cannot write %s\n", svg);
	else
		printf("chart                       %s\n", svg);
	fclose(series);
	if (cmp) {
		for (int v = PLAN_NO_RECLAIM; v <= PLAN_STATIC; v++)
			if (plan_run(&sf, v, (int)days, NULL, NULL, &r[v], err,
			    sizeof(err)) != 0) {
				fprintf(stderr, "evgroup-sim plan: %s\n", err);
				return 1;
			}
		printf("\nThe same days under three ways of sharing:\n\n");
		compare(stdout, r, &fig);
	}
	if (fig.lp == NULL) {
		fprintf(stderr, "evgroup-sim plan: %s\n", fig.err);
		return 1;
	}
	return r[PLAN_FULL].over_s == 0 && circuits_over(&sf, &r[PLAN_FULL]) ==
	    0 ? 0 : 3;
}
