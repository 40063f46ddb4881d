/*
 * planlp.c: the LP optimum of a planning run, with GLPK. See planlp.h and
 * docs/planning.md ("The LP optimum").
 *
 * Variables: x[c][s], the mean current (A per line) car c draws over slot
 * s, one for each slot it is there. Maximise the energy sum of
 * x * V * lines * slot / 3600 subject to
 *   0 <= x[c][s] <= max[c] * (seconds c is there in s) / slot,
 *   on each phase p and slot s: sum of x over the cars on p <= room[p][s],
 *   for each car: its energy <= what it wanted.
 */
#include <errno.h>
#include <glpk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "planlp.h"

int
planlp_init(struct planlp_day *d, int64_t horizon_s, int slot_s)
{
	memset(d, 0, sizeof(*d));
	if (horizon_s <= 0 || slot_s <= 0)
		return -EINVAL;
	d->slot_s = slot_s;
	d->horizon_s = horizon_s;
	d->nslots = (int)((horizon_s + slot_s - 1) / slot_s);
	d->room_das = calloc((size_t)d->nslots, sizeof(*d->room_das));
	return d->room_das == NULL ? -ENOMEM : 0;
}

void
planlp_free(struct planlp_day *d)
{
	free(d->room_das);
	free(d->car);
	memset(d, 0, sizeof(*d));
}

void
planlp_room(struct planlp_day *d, int64_t t_s, const int32_t room_da[EVG_PHASES])
{
	if (t_s < 0 || t_s >= d->horizon_s)
		return;
	for (int p = 0; p < EVG_PHASES; p++)
		if (room_da[p] > 0)
			d->room_das[t_s / d->slot_s][p] += room_da[p];
}

int
planlp_car(struct planlp_day *d, const struct planlp_car *c)
{
	if ((c->phases & 7) == 0 || (c->phases & ~7) != 0 || c->max_da < 0 ||
	    c->leave_s < c->arrive_s)
		return -EINVAL;
	if (d->ncars == d->carcap) {
		int	 cap = d->carcap ? 2 * d->carcap : 64;
		struct planlp_car *n = realloc(d->car, (size_t)cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		d->car = n;
		d->carcap = cap;
	}
	d->car[d->ncars] = *c;
	return d->ncars++;
}

static int
lines(uint8_t phases)
{
	return (phases & 1) + (phases >> 1 & 1) + (phases >> 2 & 1);
}

/* Seconds of slot s that car c is there. */
static int64_t
present_s(const struct planlp_day *d, const struct planlp_car *c, int s)
{
	int64_t	 a = (int64_t)s * d->slot_s, b = a + d->slot_s;

	if (b > d->horizon_s)
		b = d->horizon_s;
	if (c->arrive_s > a)
		a = c->arrive_s;
	if (c->leave_s < b)
		b = c->leave_s;
	return b > a ? b - a : 0;
}

/* Slots car c is there in, for part of them at least. */
static int64_t
slots_spanned(const struct planlp_day *d, const struct planlp_car *c)
{
	int64_t	 a = c->arrive_s > 0 ? c->arrive_s : 0;
	int64_t	 b = c->leave_s < d->horizon_s ? c->leave_s : d->horizon_s;

	return b > a ? (b - 1) / d->slot_s - a / d->slot_s + 1 : 0;
}

static const char *
simplex_error(int ret)
{
	switch (ret) {
	case GLP_EBADB:		return "invalid initial basis";
	case GLP_ESING:		return "singular basis matrix";
	case GLP_ECOND:		return "ill-conditioned basis matrix";
	case GLP_EBOUND:	return "invalid bounds";
	case GLP_EFAIL:		return "solver failure";
	case GLP_EITLIM:	return "iteration limit reached";
	case GLP_ETMLIM:	return "time limit reached";
	case GLP_ENOPFS:	return "no primal feasible solution";
	case GLP_ENODFS:	return "no dual feasible solution";
	default:		return "unknown error";
	}
}

/* The constraint matrix, 1-based as GLPK wants it: each column is in
 * its car's energy row and in the rows of the phases the car draws on. */
struct lpmat {
	int	*ia, *ja;
	double	*ar;
	int	 nz;
};

static int
build(glp_prob *lp, const struct planlp_day *d, struct lpmat *m)
{
	const double	 h = d->slot_s / 3600.0;
	size_t		 maxnz = 1;
	int		 col = 0;

	/* rows 1 .. 3 * nslots: phase p of slot s at 3 * s + p + 1 */
	glp_add_rows(lp, EVG_PHASES * d->nslots + d->ncars);
	for (int s = 0; s < d->nslots; s++)
		for (int p = 0; p < EVG_PHASES; p++)
			glp_set_row_bnds(lp, EVG_PHASES * s + p + 1, GLP_UP, 0,
			    d->room_das[s][p] / 10.0 / d->slot_s);
	for (int c = 0; c < d->ncars; c++) {
		glp_set_row_bnds(lp, EVG_PHASES * d->nslots + c + 1, GLP_UP, 0,
		    d->car[c].wanted_wh);
		maxnz += (size_t)slots_spanned(d, &d->car[c]) *
		    (size_t)(1 + lines(d->car[c].phases));
	}
	m->ia = malloc(maxnz * sizeof(*m->ia));
	m->ja = malloc(maxnz * sizeof(*m->ja));
	m->ar = malloc(maxnz * sizeof(*m->ar));
	if (m->ia == NULL || m->ja == NULL || m->ar == NULL)
		return -ENOMEM;
	m->nz = 0;
	for (int c = 0; c < d->ncars; c++) {
		const struct planlp_car *k = &d->car[c];
		/* the simulated chargers run at the nominal voltage */
		double	 wh_per_a = MODEL_NOMINAL_V * lines(k->phases) * h;
		int	 first = k->arrive_s > 0 ? (int)(k->arrive_s /
		    d->slot_s) : 0;

		if (k->max_da == 0 || k->wanted_wh == 0)
			continue;
		for (int s = first; s < d->nslots &&
		    (int64_t)s * d->slot_s < k->leave_s; s++) {
			int64_t	 there = present_s(d, k, s);

			if (there == 0)
				continue;
			glp_add_cols(lp, 1);
			col++;
			glp_set_col_bnds(lp, col, GLP_DB, 0, k->max_da / 10.0 *
			    (double)there / d->slot_s);
			glp_set_obj_coef(lp, col, wh_per_a);
			for (int p = 0; p < EVG_PHASES; p++)
				if (k->phases >> p & 1) {
					m->nz++;
					m->ia[m->nz] = EVG_PHASES * s + p + 1;
					m->ja[m->nz] = col;
					m->ar[m->nz] = 1;
				}
			m->nz++;
			m->ia[m->nz] = EVG_PHASES * d->nslots + c + 1;
			m->ja[m->nz] = col;
			m->ar[m->nz] = wh_per_a;
		}
	}
	if (m->nz > 0)
		glp_load_matrix(lp, m->nz, m->ia, m->ja, m->ar);
	return col;
}

int
planlp_solve(const struct planlp_day *d, int it_lim, struct planlp_result *r,
    char *err, size_t errlen)
{
	struct lpmat m = { NULL, NULL, NULL, 0 };
	glp_smcp parm;
	glp_prob *lp;
	clock_t	 c0 = clock();
	int	 ret = -1, cols, rc, status;

	memset(r, 0, sizeof(*r));
	glp_term_out(GLP_OFF);
	lp = glp_create_prob();
	glp_set_obj_dir(lp, GLP_MAX);
	if ((cols = build(lp, d, &m)) < 0) {
		snprintf(err, errlen, "LP: out of memory");
		goto out_free;
	}
	r->rows = glp_get_num_rows(lp);
	r->cols = cols;
	if (cols == 0) {	/* no car to charge: nothing to solve */
		ret = 0;
		goto out_free;
	}
	glp_scale_prob(lp, GLP_SF_AUTO);
	glp_init_smcp(&parm);
	parm.msg_lev = GLP_MSG_OFF;
	parm.presolve = GLP_ON;
	if (it_lim > 0)
		parm.it_lim = it_lim;
	if ((rc = glp_simplex(lp, &parm)) != 0) {
		snprintf(err, errlen, "LP: glp_simplex: %s (%d)",
		    simplex_error(rc), rc);
		goto out_free;
	}
	/* x = 0 is feasible and every x is bounded: anything but an
	 * optimum is the solver's failure, and no figure. */
	if ((status = glp_get_status(lp)) != GLP_OPT) {
		snprintf(err, errlen, "LP: not solved to optimality (GLPK "
		    "status %d)", status);
		goto out_free;
	}
	r->optimum_wh = glp_get_obj_val(lp);
	ret = 0;
out_free:
	glp_delete_prob(lp);
	free(m.ia);
	free(m.ja);
	free(m.ar);
	r->solve_s = (double)(clock() - c0) / CLOCKS_PER_SEC;
	return ret;
}
