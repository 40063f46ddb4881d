/*
 * plan.c: planning runs (evgroup-sim plan). A site file's chargers, cars,
 * building and PV run in virtual time, no sockets: the real charger
 * firmware cores on simulated hardware (a 100 ms step), and every second
 * the real allocator and planner, as in the master. What comes out is a
 * report of the day: energy, demand met, cars left short, the supply's
 * peak against its fuse, each circuit's (board's) peak against its fuse
 * and the time at its limit, the demand windows against their target,
 * contactor operations, fairness; and a chart.
 * docs/planning.md.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "cycle.h"
#include "demand.h"
#include "meter.h"
#include "model.h"
#include "plan.h"
#include "planner.h"
#include "site_file.h"
#include "slave.h"
#include "slave_regs.h"
#include "strnum.h"

#define PLAN_TICK_MS	100	/* the chargers' step */
#define PLAN_T0_MS	1000000
/* The site clock on the wall clock, for the demand core's windows:
 * Monday 5 January 1970 00:00 UTC. */
#define PLAN_EPOCH_MONDAY_S	345600
/* The LP's room each second: the most the allocator allowed over this
 * window, for the master answers a step in the building at its next cycle
 * and a car follows a lowered offer within 5 s (IEC 61851-1 Annex A). */
#define PLAN_LAG_S	((ALLOC_EV_RESPONSE_MS + PLAN_CYCLE_MS) / 1000)

struct pcar {
	bool		 present, stopped;
	struct model_car car;
	uint32_t	 wanted_wh;	/* to its target */
	uint32_t	 bound_wh;	/* what its charger could give it */
	uint16_t	 session;	/* its session number at the charger */
};

struct prun {
	const struct site_file *sf;
	int		 variant;
	struct model	 model;
	struct slave	*ch;
	int		 nch, nc, n;
	struct cycle	 cy;		/* the master's own control cycle */
	struct cycle_conf *conf;
	struct cycle_reading *rd;
	struct cycle_op	*op;
	struct pcar	*cars;
	bool		*was_closed;
	uint16_t	 heartbeat;
	uint64_t	 now;
	int64_t		 t_s;
	int32_t		 base[EVG_PHASES], pv[EVG_PHASES];
	/* the circuits as the master has them (site_file order) */
	struct alloc_circuit circ[MODEL_MAX_CIRCUITS];
	int32_t		 circ_da[MODEL_MAX_CIRCUITS][EVG_PHASES];	/* real */
	/* the demand target, as the master keeps it (sitecirc.c) */
	struct demand_conf dconf;
	struct demand	 demand;
	int		 over_run[EVG_PHASES];	/* seconds above, in a row */
	struct plan_result *r;
	struct planlp_day *day;		/* may be NULL */
	bool		 lp_err;	/* a car could not be recorded */
	int32_t		 room[PLAN_LAG_S + 1][EVG_PHASES];	/* ring */
	int32_t		 room_now[EVG_PHASES];	/* the LP's, this second */
	bool		 room_known;
	/* per-minute series for the chart */
	FILE		*series;
	double		 acc[7];
	int		 nacc;
};

static const enum phase_conn rotation[] = { PHASE_L1L2L3, PHASE_L2L3L1,
    PHASE_L3L1L2 };

static void
cmd(struct prun *p, int ch, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cmd(struct prun *p, int ch, const char *fmt, ...)
{
	char	 line[64], *r;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r = slave_control_line(&p->ch[ch], line, p->now);
	free(r);
}

static int
setup(struct prun *p, const struct site_file *sf, int variant, char *err,
    size_t errlen)
{
	struct slave_config conf;

	memset(p, 0, sizeof(*p));
	p->sf = sf;
	p->variant = variant;
	p->nch = sf->chargers;
	p->nc = sf->connectors;
	p->n = p->nch * p->nc;
	p->now = PLAN_T0_MS;
	p->t_s = sf->start_s;
	if (model_init(&p->model, &sf->model, err, errlen) != 0)
		return -1;
	p->ch = calloc((size_t)p->nch, sizeof(*p->ch));
	p->conf = calloc((size_t)p->n, sizeof(*p->conf));
	p->rd = calloc((size_t)p->n, sizeof(*p->rd));
	p->op = calloc((size_t)p->n, sizeof(*p->op));
	p->cars = calloc((size_t)p->n, sizeof(*p->cars));
	p->was_closed = calloc((size_t)p->n, sizeof(*p->was_closed));
	if (!p->ch || !p->conf || !p->rd || !p->op || !p->cars ||
	    !p->was_closed || cycle_init(&p->cy, (size_t)p->n) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	slave_config_defaults(&conf);
	conf.connectors = p->nc;
	conf.link.enabled = true;
	conf.link.fallback_current = 0;
	conf.link.fallback_timeout = 10;
	for (int c = 0; c < p->nch; c++) {
		for (int k = 0; k < p->nc; k++) {
			conf.conn[k].phase = rotation[(2 * c + k) % 3];
			conf.conn[k].max_current = sf->max_current;
		}
		snprintf(conf.serial, sizeof(conf.serial), "PLN%013d", c + 1);
		if (slave_init(&p->ch[c], &conf, p->now) != 0) {
			snprintf(err, errlen, "charger %d: cannot start", c + 1);
			return -1;
		}
	}
	p->cy.site = (struct alloc_site){
		.mode = (enum alloc_mode)sf->mode,
		.strategy = STRATEGY_MAXIMISE,
		.group_limit_da = sf->group_limit ? sf->group_limit : sf->supply,
		.site_limit_da = sf->supply, .margin_da = sf->margin,
		.offline_limit_da = 100, .meter_online = true,
		.chargers_in_clamps = true,
		.clamp_enabled = { true, true, true },
		.min_run_ms = ALLOC_MIN_RUN_MS, .min_pause_ms = ALLOC_MIN_PAUSE_MS,
		.fallback_timeout_ms = 10000,
		.green_start_ms = ALLOC_GREEN_START_MS,
		.green_stop_ms = ALLOC_GREEN_STOP_MS,
	};
	for (int k = 0; k < sf->ncircuits; k++)
		p->circ[k] = (struct alloc_circuit){
			.parent = sf->circuit[k].parent,
			.limit_da = sf->circuit[k].fuse_da,
			/* as written for the master (evgroup-sim): no meter,
			 * its own load kept free */
			.margin_da = sf->circuit[k].meter ? 0 :
			    sf->circuit[k].load_peak_da,
			.metered = sf->circuit[k].meter, .meter_online = true,
			.chargers_in_clamps = true, .offline_limit_da = 100,
		};
	p->cy.site.ncircuits = (size_t)sf->ncircuits;
	p->cy.site.circuit = p->circ;
	p->cy.site.imbalance_da = sf->imbalance;
	if (sf->demand_target > 0) {
		p->dconf = (struct demand_conf){
			.window_min = sf->demand_window,
			.target_w = sf->demand_target * 100,	/* 0.1 kW */
			.apparent = sf->demand_unit == 1,
			.gap_ms = 4 * PLAN_CYCLE_MS,
			.fuse_w = (int64_t)sf->supply * DEMAND_NOMINAL_V * 3 / 10,
		};
		demand_init(&p->demand);
		p->cy.site.power_capped = true;
	}
	/* The master's default deadband, within the margin (its rule). */
	p->cy.deadband_da = sf->margin < 5 ? sf->margin : 5;
	if (variant == PLAN_STATIC) {
		/* an io7 Static group: a fixed share, safe with the building
		 * at its peak (the load's peak plus its largest step) */
		int32_t	 g = sf->supply - sf->margin - sf->model.load_peak -
		    sf->model.step_max;

		p->cy.site.mode = ALLOC_STATIC;
		p->cy.site.group_limit_da = g > 0 ? g : 0;
	} else if (variant == PLAN_NO_RECLAIM)
		p->cy.site.no_reclaim = true;
	return 0;
}

static void
teardown(struct prun *p)
{
	model_free(&p->model);
	free(p->ch);
	free(p->conf);
	free(p->rd);
	free(p->op);
	cycle_free(&p->cy);
	free(p->cars);
	free(p->was_closed);
}

static const struct fw_conn *
fwc(const struct prun *p, int i)
{
	return &p->ch[i / p->nc].fw.conn[i % p->nc];
}

/* A car leaves: what it got against what it wanted (a car still there
 * when the run ends counts for the energy only). */
static void
depart(struct prun *p, int i, bool left)
{
	struct pcar *c = &p->cars[i];
	const struct fw_conn *f = fwc(p, i);
	uint32_t got = f->sess.number == c->session ? f->sess.energy_wh : 0;
	double	 share = c->wanted_wh ? (double)(got < c->wanted_wh ? got :
	    c->wanted_wh) / c->wanted_wh : 1;

	p->r->delivered_wh += got;
	p->r->useful_wh += got < c->wanted_wh ? got : c->wanted_wh;
	c->present = false;
	if (!left) {
		p->r->still_there++;
		return;
	}
	p->r->left_delivered_wh += got;
	p->r->wanted_wh += c->wanted_wh;
	p->r->cars++;
	p->r->short_cars += got + 500 < c->wanted_wh &&
	    got + 500 < c->bound_wh;
	p->r->sum_share += share;
	p->r->sum_share2 += share * share;
}

/* The LP's view of car i, just arrived: its stay, the site phases it
 * draws on (its lines through its connector's wiring), its current. */
static int
lp_car(struct prun *p, int i)
{
	const struct pcar *c = &p->cars[i];
	const struct slave *ch = &p->ch[i / p->nc];
	enum phase_conn pc = ch->sim.conn[i % p->nc].phase;	/* as wired */
	int32_t	 conn_max = ch->fw.cfg.conn[i % p->nc].max_da;
	int	 n = c->car.phases < phase_conn_lines(pc) ? c->car.phases :
	    phase_conn_lines(pc);
	struct planlp_car k = {
		.arrive_s = p->t_s - p->sf->start_s,
		.leave_s = c->car.leave_s - p->sf->start_s,
		.max_da = c->car.max_da < conn_max ? c->car.max_da : conn_max,
		.wanted_wh = c->wanted_wh,
	};

	for (int l = 0; l < n; l++)
		k.phases |= (uint8_t)(1u << phase_conn_site_phase(pc, l));
	return planlp_car(p->day, &k);
}

/*
 * The LP's room for this second: the allocator's own hard limit per
 * phase (alloc_limits: the supply less the building net of PV, less the
 * margin but for the deadband, capped by the group limit; the group limit alone in static
 * mode), from the true building and PV, at its most over the last
 * PLAN_LAG_S seconds. The cars' draw in this second stays within that
 * whatever the sharing, so the LP stays an upper bound.
 */
static void
lp_room(struct prun *p)
{
	struct alloc_site s = p->cy.site;
	struct alloc_out o;
	int64_t	 k = p->t_s - p->sf->start_s;
	int32_t	 most[EVG_PHASES] = { 0 };

	s.meter_online = true;
	/* the true building, not the cycle's estimate; the deadband may
	 * hide up to its width of the margin (cycle.c) */
	s.building_given = false;
	s.margin_da -= p->cy.deadband_da;
	for (int ph = 0; ph < EVG_PHASES; ph++)
		s.clamp_da[ph] = p->base[ph] - p->pv[ph];
	alloc_limits(&s, NULL, 0, &o);
	memcpy(p->room[k % (PLAN_LAG_S + 1)], o.hard_da, sizeof(o.hard_da));
	if (k == 1)	/* the first cycle: no earlier room, no offer before */
		for (int j = 0; j <= PLAN_LAG_S; j++)
			memcpy(p->room[j], o.hard_da, sizeof(o.hard_da));
	for (int j = 0; j <= PLAN_LAG_S; j++)
		for (int ph = 0; ph < EVG_PHASES; ph++)
			if (p->room[j][ph] > most[ph])
				most[ph] = p->room[j][ph];
	if (k == 1)
		planlp_room(p->day, 0, most);
	planlp_room(p->day, k, most);
	memcpy(p->room_now, most, sizeof(most));
	p->room_known = true;
}

/* The premise of the LP, checked at every step of the chargers: the cars
 * draw no more on a phase than the room it counts for this second. */
static void
lp_check(struct prun *p)
{
	int32_t	 ev[EVG_PHASES] = { 0 };

	for (int i = 0; i < p->n; i++)
		for (int ph = 0; ph < EVG_PHASES; ph++)
			ev[ph] += fwc(p, i)->site_da[ph];
	for (int ph = 0; ph < EVG_PHASES; ph++)
		if (ev[ph] > (p->room_known ? p->room_now[ph] : 0)) {
			p->r->lp_over_s += PLAN_TICK_MS / 1000.0;
			return;
		}
}

static void
arrive(struct prun *p)
{
	int	 free_n = 0, pick;

	for (int i = 0; i < p->n; i++)
		free_n += !p->cars[i].present;
	if (free_n == 0) {
		p->r->turned_away++;
		return;
	}
	pick = (int)(model_rand(&p->model) % (uint32_t)free_n);
	for (int i = 0; i < p->n; i++) {
		struct pcar *c = &p->cars[i];
		int	 ch = i / p->nc, k = i % p->nc + 1;
		double	 hours;
		int32_t	 rate;

		if (c->present || pick-- > 0)
			continue;
		model_car(&p->model, p->t_s, &c->car);
		c->present = true;
		c->stopped = false;
		c->wanted_wh = (uint32_t)((c->car.target_pct - c->car.soc_pct) *
		    c->car.capacity_kwh * 10);
		/* the most it could take: its own rate for its whole stay */
		rate = c->car.max_da < p->sf->max_current ? c->car.max_da :
		    p->sf->max_current;
		hours = (double)(c->car.leave_s - p->t_s) / 3600.0;
		c->bound_wh = (uint32_t)fmin(c->wanted_wh, rate / 10.0 *
		    MODEL_NOMINAL_V * c->car.phases * hours);
		if (p->day != NULL && lp_car(p, i) < 0)
			p->lp_err = true;
		cmd(p, ch, "car %d max %d", k, c->car.max_da / 10);
		cmd(p, ch, "car %d phases %d", k, c->car.phases);
		cmd(p, ch, "car %d capacity %d", k, c->car.capacity_kwh);
		cmd(p, ch, "car %d soc %d", k, c->car.soc_pct);
		cmd(p, ch, "car %d lag %d", k, c->car.lag_ms);
		cmd(p, ch, "car %d charge", k);
		cmd(p, ch, "plug %d", k);
		c->session = (uint16_t)(p->ch[ch].fw.conn[k - 1].sess.number + 1);
		return;
	}
}

/* Each circuit's real current: its share of the building, its chargers'
 * draws, its children's. */
static void
circuits_real(struct prun *p)
{
	int32_t	 own[MODEL_MAX_CIRCUITS][EVG_PHASES];
	int32_t	 direct[MODEL_MAX_CIRCUITS][EVG_PHASES];
	int	 n = p->sf->ncircuits;

	if (n == 0)
		return;
	memset(direct, 0, sizeof(direct));
	for (int k = 0; k < n; k++)
		model_board_da(&p->sf->model, p->sf->circuit[k].load_peak_da,
		    p->base, own[k]);
	for (int i = 0; i < p->n; i++) {
		int	 id = p->sf->charger_circuit[i / p->nc];

		for (int ph = 0; id != 0 && ph < EVG_PHASES; ph++)
			direct[id - 1][ph] += fwc(p, i)->site_da[ph];
	}
	model_circuit_currents(p->sf->circuit, n,
	    (const int32_t (*)[EVG_PHASES])own,
	    (const int32_t (*)[EVG_PHASES])direct, p->circ_da);
}

/* The demand target's share for the chargers, as the master computes it
 * each cycle (sitecirc.c): the window's energy from the supply's reading,
 * the building's power from the cycle's own estimate of its load. */
static void
demand_cap(struct prun *p)
{
	struct meter_reading r;
	int64_t	 wall = ((int64_t)PLAN_EPOCH_MONDAY_S + p->t_s) * 1000;
	int64_t	 building = 0;

	memset(&r, 0, sizeof(r));
	memcpy(r.current_da, p->cy.site.clamp_da, sizeof(r.current_da));
	(void)demand_reading(&p->demand, &p->dconf, demand_power_w(&r,
	    p->dconf.apparent), wall);
	(void)demand_tick(&p->demand, &p->dconf, wall);
	for (int ph = 0; ph < EVG_PHASES; ph++)
		building += (int64_t)p->cy.out.nonev_da[ph] * DEMAND_NOMINAL_V /
		    10;
	p->cy.site.power_cap_da = demand_w_to_da(demand_cap_w(&p->demand,
	    &p->dconf, true, building > 0 ? building : 0, wall));
}

/* The master's cycle: meter, allocator, planner, setpoints. */
static void
control(struct prun *p)
{
	int32_t	 ev[EVG_PHASES] = { 0 };
	struct cycle_out out;

	for (int i = 0; i < p->n; i++)
		for (int ph = 0; ph < EVG_PHASES; ph++)
			ev[ph] += fwc(p, i)->site_da[ph];
	for (int ph = 0; ph < EVG_PHASES; ph++)
		p->cy.site.clamp_da[ph] = p->base[ph] - p->pv[ph] + ev[ph];
	/* every charger polled: its registers as the master reads them */
	for (int c = 0; c < p->nch; c++) {
		uint16_t regs[SLAVE_REGS_SPAN];

		slave_regs_inputs(&p->ch[c], p->now, regs);
		for (int k = 0; k < p->nc; k++) {
			struct cycle_reading *r = &p->rd[c * p->nc + k];

			regmap_decode_conn(regs + REGMAP_CONN_BASE * (k + 1),
			    &r->rc);
			r->online = r->heard = r->fallback_known = true;
			r->read_ms = p->now;
			r->may_force_da = r->rc.setpoint_da;
			p->conf[c * p->nc + k] = (struct cycle_conf){
				p->ch[c].fw.cfg.conn[k].phase, ALLOC_MIN_DA,
				p->ch[c].fw.cfg.conn[k].max_da, 0,
				p->sf->charger_circuit[c] };
		}
	}
	/* the circuits' meters too (their clamps count their chargers) */
	circuits_real(p);
	for (int k = 0; k < p->sf->ncircuits; k++) {
		memcpy(p->circ[k].clamp_da, p->circ_da[k],
		    sizeof(p->circ[k].clamp_da));
		p->cy.c_meter_ms[k + 1] = p->now;
	}
	if (p->cy.site.power_capped)
		demand_cap(p);
	/* the meter and the chargers read at the same moment */
	p->cy.meter_ms = p->now;
	for (int i = 0; i < p->n; i++)
		p->rd[i].taken_ms = p->now;
	cycle_run(&p->cy, p->conf, p->rd, p->op, p->now, &out);
	p->r->setpoint_changes += out.changed;
	p->heartbeat++;
	for (int c = 0; c < p->nch; c++) {
		fw_heartbeat(&p->ch[c].fw, p->heartbeat, p->now);
		for (int k = 0; k < p->nc; k++)
			(void)fw_setpoint(&p->ch[c].fw, k,
			    out.setpoint[c * p->nc + k]);
	}
}

/* The supply each second: its peak, and time above the fuse beyond the
 * cars' response window (a step in the building is the master's to
 * answer within it). */
static void
account(struct prun *p)
{
	for (int ph = 0; ph < EVG_PHASES; ph++) {
		int32_t	 a = p->cy.site.clamp_da[ph];

		if (a > p->r->peak_da)
			p->r->peak_da = a;
		/* the master learns a step at its next reading (one cycle),
		 * then the cars have their 5 s */
		if (a > p->sf->supply) {
			if (++p->over_run[ph] * 1000 > ALLOC_EV_RESPONSE_MS +
			    PLAN_CYCLE_MS)
				p->r->over_s++;
		} else
			p->over_run[ph] = 0;
	}
	for (int k = 0; k < p->sf->ncircuits; k++)
		plan_circuit_second(&p->r->circ[k], p->circ_da[k],
		    p->sf->circuit[k].fuse_da);
	plan_demand_second(&p->r->demand, p->t_s, plan_supply_power(
	    p->cy.site.clamp_da, p->sf->demand_unit == 1));
	for (int i = 0; i < p->n; i++) {
		bool	 closed = fwc(p, i)->close_cmd;

		if (closed && !p->was_closed[i])
			p->r->contactor_ops++;
		p->was_closed[i] = closed;
	}
	if (p->series != NULL) {
		int32_t	 ev[EVG_PHASES] = { 0 };

		for (int i = 0; i < p->n; i++)
			for (int ph = 0; ph < EVG_PHASES; ph++)
				ev[ph] += fwc(p, i)->site_da[ph];
		for (int ph = 0; ph < EVG_PHASES; ph++) {
			p->acc[ph] += p->cy.site.clamp_da[ph] / 10.0;
			p->acc[3 + ph] += ev[ph] / 10.0;
		}
		p->acc[6] += (p->pv[0]) / 10.0;
		if (++p->nacc == 60) {
			fprintf(p->series, "%lld", (long long)(p->t_s / 60));
			for (int k = 0; k < 7; k++)
				fprintf(p->series, ",%.1f", p->acc[k] / 60);
			fputc('\n', p->series);
			memset(p->acc, 0, sizeof(p->acc));
			p->nacc = 0;
		}
	}
}

/* One run of days over the site (plan.h); series lines are
 * minute,L1,L2,L3,EV1,EV2,EV3,PV. */
int
plan_run(const struct site_file *sf, int variant, int days, FILE *series,
    struct planlp_day *day, struct plan_result *r, char *err, size_t errlen)
{
	struct prun *p = calloc(1, sizeof(*p));
	uint64_t end;
	clock_t	 c0 = clock();
	int	 ret;

	if (p == NULL)
		return -1;
	memset(r, 0, sizeof(*r));
	if (setup(p, sf, variant, err, errlen) != 0) {
		teardown(p);
		free(p);
		return -1;
	}
	p->r = r;
	r->demand.window_s = sf->demand_target > 0 ? sf->demand_window * 60 :
	    0;
	r->demand.target = sf->demand_target / 10.0;
	p->series = series;
	p->day = day;
	for (int i = 0; i < sf->model.present; i++)
		arrive(p);
	end = PLAN_T0_MS + (uint64_t)days * MODEL_DAY_S * 1000;
	while (p->now < end) {
		p->now += PLAN_TICK_MS;
		for (int c = 0; c < p->nch; c++)
			slave_tick(&p->ch[c], p->now);
		if (p->day != NULL)
			lp_check(p);
		if ((p->now - PLAN_T0_MS) % PLAN_CYCLE_MS != 0)
			continue;
		p->t_s++;
		model_base_da(&p->model, p->t_s, p->base);
		model_pv_da(&p->model, p->t_s, p->pv);
		if (p->day != NULL)
			lp_room(p);
		for (int k = model_arrivals(&p->model, p->t_s, 1); k > 0; k--)
			arrive(p);
		for (int i = 0; i < p->n; i++) {
			struct pcar *c = &p->cars[i];

			if (!c->present)
				continue;
			if (p->t_s >= c->car.leave_s) {
				depart(p, i, true);
				cmd(p, i / p->nc, "unplug %d", i % p->nc + 1);
			} else if (c->car.full_early && !c->stopped &&
			    sim_car_soc_pm(&p->ch[i / p->nc].sim.conn[i %
			    p->nc].car) >= c->car.target_pct * 10) {
				cmd(p, i / p->nc, "car %d stop", i % p->nc + 1);
				c->stopped = true;
			}
		}
		control(p);
		account(p);
	}
	/* those still there when the run ends */
	for (int i = 0; i < p->n; i++)
		if (p->cars[i].present)
			depart(p, i, false);
	r->connectors = p->n;
	r->days = days;
	r->cpu_s = (double)(clock() - c0) / CLOCKS_PER_SEC;
	ret = 0;
	if (p->lp_err) {
		snprintf(err, errlen, "out of memory");
		ret = -1;
	}
	teardown(p);
	free(p);
	return ret;
}
