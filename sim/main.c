/*
 * main.c: evgroup-sim, many simulated chargers in one process. Each runs
 * the same firmware core as evgroup-slave on its own simulated hardware
 * and serves its own Modbus TCP port on 127.0.0.1; one control socket
 * takes the chargers' commands prefixed by their names, and a master
 * configuration for them can be written out.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <uv.h>

#include "clock.h"
#include "linesrv.h"
#include "log.h"
#include "mbserver.h"
#include "model.h"
#include "plan.h"
#include "regmap.h"
#include "rtu.h"
#include "site_file.h"
#include "slave.h"
#include "strnum.h"

#define SIM_MAX_SLAVES	2000

struct simslave {
	char			 name[16];
	struct slave_config	 conf;
	struct slave		 s;
	struct mbserver		 mb;
	bool			 alive;
};

/* The Sense CT kit on the site's supply (docs/simulator.md). */
struct simmeter {
	struct mbserver		 mb;
	struct rtu		 rtu;		/* --meter-rtu */
	bool			 rtu_on;
	bool			 on;
	bool			 frozen;	/* frame counter stops */
	int32_t			 base_da[EVG_PHASES];	/* the building */
	int32_t			 step_da[EVG_PHASES];	/* on top: load steps */
	uint16_t		 frame;
	uint64_t		 frame_ms;
};

/* Design: the CT kit measures every 200 ms. */
#define SIM_METER_FRAME_MS	200
#define SIM_RECORD_MS		100	/* --record */

/*
 * A circuit of the site file (a board under the supply): its own load,
 * and the CT kit on its incoming cable when it has a meter, served on
 * its own port (--meter-port + 1, + 2, ... in circuit order).
 */
struct simcircuit {
	struct sim		*sim;
	const struct model_circuit *c;
	int			 port;		/* 0: no meter */
	struct mbserver		 mb;
	int32_t			 own_da[EVG_PHASES];	/* its share of the
							 * building's load */
	int32_t			 step_da[EVG_PHASES];	/* circuit NAME load */
	uint16_t		 frame;
	uint64_t		 frame_ms;
};

/* A car at a connector of the site model (--site). */
struct simcar {
	bool			 present;
	bool			 stopped;	/* it stopped taking current */
	struct model_car	 car;
};

/* The site model driving the meter and the cars (--site FILE). */
struct simsite {
	struct site_file	 f;
	struct model		 model;
	int			 speed;		/* site seconds a second */
	int64_t			 t_s;		/* site clock, from Monday 00:00 */
	uv_timer_t		 timer;
	struct simcar		*cars;		/* charger * 2 + connector */
	uint64_t		 arrived, left, turned_away;
	int32_t			 base_da[EVG_PHASES], pv_da[EVG_PHASES];
};

/* How long the site takes to answer a load step (meter step/base): the
 * time until the last connector that moved by 1 A or more the way the
 * step asks (down for more load, up for less) had moved. */
#define SIM_REACT_MIN_DA	10

struct simreact {
	uint64_t		 t0;		/* the step */
	int			 dir;		/* -1: offers must fall, +1 rise */
	int32_t			*offer0;	/* each connector's offer then */
	uint64_t		*reached;	/* [k]: when k + 1 had moved */
	uint64_t		 last_ms;	/* the last offer that changed */
	int			 changed;
};

struct sim {
	struct simmeter		 meter;
	struct simsite		*site;
	struct simcircuit	*circ;		/* site->f.circuit[] */
	int			 ncirc;
	struct simreact		 react;
	FILE			*rec;		/* --record */
	uint64_t		 rec_ms;
	int32_t			*prev_offer;	/* last tick's, for "quiet" */
	uint64_t		 quiet_since;	/* no offer changed since */
	uv_loop_t		*loop;
	uv_timer_t		 tick;
	uv_signal_t		 sigint, sigterm;
	struct linesrv		 ctl;
	struct simslave		*sl;
	int			 n;
	bool			 events;
};

static const enum phase_conn rotation[] = { PHASE_L1L2L3, PHASE_L2L3L1,
    PHASE_L3L1L2 };

/* Adds what charger ss's cars really draw on each site phase (by their
 * real wiring) to da. */
static void
add_draws(const struct simslave *ss, int32_t *da)
{
	if (!ss->alive)
		return;
	for (int k = 0; k < ss->s.fw.cfg.nconn; k++) {
		const struct sim_conn *sc = &ss->s.sim.conn[k];

		for (int l = 0; l < EVG_PHASES; l++) {
			int p = phase_conn_site_phase(sc->phase, l);

			if (p >= 0)
				da[p] += sc->line_da[l];
		}
	}
}

/* What the clamps see: the building (the boards' own steps too) plus
 * every car (they are behind the clamps). */
static void
meter_currents(const struct sim *sim, int32_t *da)
{
	for (int p = 0; p < EVG_PHASES; p++) {
		da[p] = sim->meter.base_da[p] + sim->meter.step_da[p];
		for (int k = 0; k < sim->ncirc; k++)
			da[p] += sim->circ[k].step_da[p];
	}
	for (int i = 0; i < sim->n; i++)
		add_draws(&sim->sl[i], da);
}

/*
 * Every circuit's real current per site phase (cur[id - 1]): its share of
 * the building, its own load steps, its chargers' real draws on the
 * phases they are wired to, its children's.
 */
static void
circuit_currents(const struct sim *sim, int32_t (*cur)[EVG_PHASES])
{
	int32_t	 own[MODEL_MAX_CIRCUITS][EVG_PHASES];
	int32_t	 direct[MODEL_MAX_CIRCUITS][EVG_PHASES];

	memset(direct, 0, sizeof(direct));
	for (int k = 0; k < sim->ncirc; k++)
		for (int p = 0; p < EVG_PHASES; p++)
			own[k][p] = sim->circ[k].own_da[p] +
			    sim->circ[k].step_da[p];
	for (int i = 0; i < sim->n; i++)
		if (sim->site->f.charger_circuit[i] != 0)
			add_draws(&sim->sl[i],
			    direct[sim->site->f.charger_circuit[i] - 1]);
	model_circuit_currents(sim->site->f.circuit, sim->ncirc,
	    (const int32_t (*)[EVG_PHASES])own,
	    (const int32_t (*)[EVG_PHASES])direct, cur);
}

/* A CT kit's input registers: version, current L1-L3 (0.1 A, signed),
 * voltage L1-L3 (0.1 V), frame counter. */
static void
ct_regs(const int32_t da[EVG_PHASES], uint16_t frame, uint16_t ir[8])
{
	ir[0] = 1;
	for (int p = 0; p < EVG_PHASES; p++) {
		ir[1 + p] = (uint16_t)(int16_t)da[p];
		ir[4 + p] = SIM_NOMINAL_DV;
	}
	ir[7] = frame;
}

static int
meter_regs(void *arg, uint16_t ir[8])
{
	struct sim *sim = arg;
	int32_t	 da[EVG_PHASES];

	meter_currents(sim, da);
	ct_regs(da, sim->meter.frame, ir);
	return 0;
}

/* Input registers 0-7, or an exception; fills them by regs(arg). */
static int
ct_handle(struct mbserver *mb, const uint8_t *adu, int len,
    int (*regs)(void *, uint16_t *), void *arg)
{
	uint16_t *ir = mb->map->tab_input_registers;
	unsigned addr, count;

	if (len != 12 || adu[7] != MODBUS_FC_READ_INPUT_REGISTERS)
		return mbserver_exception(mb, adu, MB_EXC_ILLEGAL_FUNCTION);
	addr = (unsigned)adu[8] << 8 | adu[9];
	count = (unsigned)adu[10] << 8 | adu[11];
	if (count < 1 || addr + count > 8)
		return mbserver_exception(mb, adu, MB_EXC_ILLEGAL_ADDRESS);
	regs(arg, ir);
	return modbus_reply(mb->ctx, adu, len, mb->map) < 0 ? -1 : 0;
}

static int
meter_handle(struct mbserver *mb, const uint8_t *adu, int len, bool may_write,
    uint64_t now)
{
	(void)may_write;
	(void)now;
	return ct_handle(mb, adu, len, meter_regs, mb->arg);
}

static int
circuit_regs(void *arg, uint16_t ir[8])
{
	struct simcircuit *sc = arg;
	int32_t	 cur[MODEL_MAX_CIRCUITS][EVG_PHASES];

	circuit_currents(sc->sim, cur);
	ct_regs(cur[sc - sc->sim->circ], sc->frame, ir);
	return 0;
}

static int
circuit_handle(struct mbserver *mb, const uint8_t *adu, int len,
    bool may_write, uint64_t now)
{
	(void)may_write;
	(void)now;
	return ct_handle(mb, adu, len, circuit_regs, mb->arg);
}

static int
slave_up(struct sim *sim, struct simslave *ss)
{
	char	 err[160];

	if (slave_init(&ss->s, &ss->conf, clock_now_ms()) != 0)
		return -1;
	if (mbserver_start(&ss->mb, sim->loop, &ss->s, &ss->conf, ss->name,
	    err, sizeof(err)) != 0) {
		log_warnx("%s: %s", ss->name, err);
		return -1;
	}
	ss->alive = true;
	return 0;
}

/* Every connector's offer, in site order (charger, connector). */
static int32_t
offer_of(const struct sim *sim, int i, int nc)
{
	const struct simslave *ss = &sim->sl[i / nc];

	return ss->alive && i % nc < ss->s.fw.cfg.nconn ?
	    ss->s.fw.conn[i % nc].offer_da : 0;
}

static void
react_start(struct sim *sim, int dir)
{
	int	 nc = sim->sl[0].conf.connectors;

	free(sim->react.offer0);
	free(sim->react.reached);
	sim->react = (struct simreact){ .t0 = clock_now_ms(), .dir = dir };
	if ((sim->react.offer0 = calloc((size_t)(sim->n * nc),
	    sizeof(int32_t))) == NULL || (sim->react.reached =
	    calloc((size_t)(sim->n * nc), sizeof(uint64_t))) == NULL) {
		sim->react.t0 = 0;
		return;
	}
	for (int i = 0; i < sim->n * nc; i++)
		sim->react.offer0[i] = offer_of(sim, i, nc);
}

static void
react_tick(struct sim *sim, uint64_t now)
{
	int	 nc = sim->sl[0].conf.connectors, changed = 0;

	for (int i = 0; i < sim->n * nc; i++)
		changed += (offer_of(sim, i, nc) - sim->react.offer0[i]) *
		    sim->react.dir >= SIM_REACT_MIN_DA;
	if (changed > sim->react.changed) {
		for (int k = sim->react.changed; k < changed; k++)
			sim->react.reached[k] = now;
		sim->react.changed = changed;
		sim->react.last_ms = now;
	}
}

/*
 * --record: every 100 ms, what the CT kit measures per phase and every
 * connector's offer and largest line current (0.1 A), for the safety
 * checks of the end-to-end tests (tests/proc/safety.py).
 */
static void
record(struct sim *sim, uint64_t now)
{
	int32_t	 da[EVG_PHASES];

	sim->rec_ms = now;
	meter_currents(sim, da);
	fprintf(sim->rec, "%llu,%d,%d,%d", (unsigned long long)now, da[0],
	    da[1], da[2]);
	for (int i = 0; i < sim->n; i++) {
		const struct simslave *ss = &sim->sl[i];

		for (int k = 0; k < ss->conf.connectors; k++) {
			int32_t	 draw = 0;

			for (int l = 0; ss->alive && l < EVG_PHASES; l++)
				if (ss->s.sim.conn[k].line_da[l] > draw)
					draw = ss->s.sim.conn[k].line_da[l];
			fprintf(sim->rec, ",%d,%d", ss->alive ?
			    ss->s.fw.conn[k].offer_da : 0, draw);
		}
	}
	fputc('\n', sim->rec);
}

static void
on_tick(uv_timer_t *t)
{
	struct sim *sim = t->data;
	uint64_t now = clock_now_ms();

	if (sim->meter.on) {
		mbserver_tick(&sim->meter.mb, now);
		if (!sim->meter.frozen &&
		    now - sim->meter.frame_ms >= SIM_METER_FRAME_MS) {
			sim->meter.frame++;
			sim->meter.frame_ms = now;
		}
	}
	for (int k = 0; k < sim->ncirc; k++) {
		struct simcircuit *sc = &sim->circ[k];

		if (sc->port == 0)
			continue;
		mbserver_tick(&sc->mb, now);
		if (now - sc->frame_ms >= SIM_METER_FRAME_MS) {
			sc->frame++;
			sc->frame_ms = now;
		}
	}
	if (sim->react.t0 != 0)
		react_tick(sim, now);
	if (sim->prev_offer != NULL) {
		int	 nc = sim->sl[0].conf.connectors;

		for (int i = 0; i < sim->n * nc; i++) {
			int32_t	 o = offer_of(sim, i, nc);

			if (o != sim->prev_offer[i]) {
				sim->prev_offer[i] = o;
				sim->quiet_since = now;
			}
		}
	}
	if (sim->rec != NULL && now - sim->rec_ms >= SIM_RECORD_MS)
		record(sim, now);
	for (int i = 0; i < sim->n; i++) {
		struct simslave *ss = &sim->sl[i];

		if (!ss->alive)
			continue;
		slave_tick(&ss->s, now);
		mbserver_tick(&ss->mb, now);
		if (!sim->events)
			continue;
		for (int k = 0; k < ss->s.out.nev; k++) {
			char	 text[160];

			printf("%s: %s\n", ss->name, fw_event_text(
			    &ss->s.out.ev[k], text, sizeof(text)));
		}
	}
}

static void
car_cmd(struct simslave *ss, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
car_cmd(struct simslave *ss, const char *fmt, ...)
{
	char	 line[64], *r;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r = slave_control_line(&ss->s, line, clock_now_ms());
	if (r != NULL && strcmp(r, "ok") != 0)
		log_warnx("%s: %s: %s", ss->name, line, r);
	free(r);
}

/* A car arrives at a free connector, chosen at random. */
static void
arrive(struct sim *sim)
{
	struct simsite *st = sim->site;
	int	 nc = st->f.connectors, total = sim->n * nc, pick, free_n = 0;

	for (int i = 0; i < total; i++)
		free_n += !st->cars[i].present && sim->sl[i / nc].alive;
	if (free_n == 0) {
		st->turned_away++;
		return;
	}
	pick = (int)(model_rand(&st->model) % (uint32_t)free_n);
	for (int i = 0; i < total; i++) {
		struct simcar *c = &st->cars[i];
		struct simslave *ss = &sim->sl[i / nc];
		int	 k = i % nc + 1;

		if (c->present || !ss->alive || pick-- > 0)
			continue;
		model_car(&st->model, st->t_s, &c->car);
		c->present = true;
		c->stopped = false;
		/* the battery shrunk by the speed-up, so that it fills at the
		 * site clock's pace */
		car_cmd(ss, "car %d max %d", k, c->car.max_da / 10);
		car_cmd(ss, "car %d phases %d", k, c->car.phases);
		car_cmd(ss, "car %d capacity %d", k, c->car.capacity_kwh /
		    st->speed > 0 ? c->car.capacity_kwh / st->speed : 1);
		car_cmd(ss, "car %d soc %d", k, c->car.soc_pct);
		car_cmd(ss, "car %d lag %d", k, c->car.lag_ms);
		car_cmd(ss, "car %d charge", k);
		car_cmd(ss, "plug %d", k);
		st->arrived++;
		return;
	}
}

/* Every second: the site's clock moves on by its speed; the building,
 * the PV and the cars follow. */
static void
on_site(uv_timer_t *t)
{
	struct sim *sim = t->data;
	struct simsite *st = sim->site;
	int	 nc = st->f.connectors, arrivals;

	st->t_s += st->speed;
	model_base_da(&st->model, st->t_s, st->base_da);
	model_pv_da(&st->model, st->t_s, st->pv_da);
	for (int p = 0; p < EVG_PHASES; p++)
		sim->meter.base_da[p] = st->base_da[p] - st->pv_da[p];
	for (int k = 0; k < sim->ncirc; k++)
		model_board_da(&st->f.model, sim->circ[k].c->load_peak_da,
		    st->base_da, sim->circ[k].own_da);
	arrivals = model_arrivals(&st->model, st->t_s, st->speed);
	for (int i = 0; i < arrivals; i++)
		arrive(sim);
	for (int i = 0; i < sim->n * nc; i++) {
		struct simcar *c = &st->cars[i];
		struct simslave *ss = &sim->sl[i / nc];
		int	 k = i % nc;

		if (!c->present || !ss->alive)
			continue;
		if (st->t_s >= c->car.leave_s) {
			car_cmd(ss, "unplug %d", k + 1);
			c->present = false;
			st->left++;
		} else if (!c->stopped && sim_car_soc_pm(&ss->s.sim.conn[k].car) >=
		    c->car.target_pct * 10 && c->car.full_early) {
			car_cmd(ss, "car %d stop", k + 1);
			c->stopped = true;
		}
	}
}

static char *
site_status(const struct sim *sim)
{
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri",
	    "Sat", "Sun" };
	const struct simsite *st = sim->site;
	int	 present = 0;
	int64_t	 t = st->t_s;
	char	*out = NULL;

	for (int i = 0; i < sim->n * st->f.connectors; i++)
		present += st->cars[i].present;
	if (asprintf(&out, "{\"time\":\"%s %02d:%02d\",\"speed\":%d,"
	    "\"building\":[%.1f,%.1f,%.1f],\"pv\":[%.1f,%.1f,%.1f],"
	    "\"cars\":%d,\"arrived\":%llu,\"left\":%llu,"
	    "\"turned_away\":%llu}", days[(t / 86400) % 7],
	    (int)(t % 86400 / 3600), (int)(t % 3600 / 60), st->speed,
	    st->base_da[0] / 10.0, st->base_da[1] / 10.0, st->base_da[2] / 10.0,
	    st->pv_da[0] / 10.0, st->pv_da[1] / 10.0, st->pv_da[2] / 10.0,
	    present, (unsigned long long)st->arrived,
	    (unsigned long long)st->left,
	    (unsigned long long)st->turned_away) < 0)
		return NULL;
	return out;
}

static char *
site_command(struct sim *sim, const char *args)
{
	long	 v;

	if (sim->site == NULL)
		return strdup("error: no site model (start with --site FILE)");
	if (args[0] == '\0')
		return site_status(sim);
	if (strncmp(args, " speed ", 7) == 0) {
		if (strnum_long(args + 7, 1, 3600, &v) != 0)
			return strdup("error: site speed: 1-3600 site seconds a "
			    "second");
		sim->site->speed = (int)v;
		return strdup("ok");
	}
	return strdup("error: site | site speed N");
}

/* "circuits": each circuit's fuse, meter and real current. */
static char *
circuits_status(const struct sim *sim)
{
	int32_t	 cur[MODEL_MAX_CIRCUITS][EVG_PHASES];
	size_t	 cap = 64 + (size_t)sim->ncirc * 192, o = 0;
	char	*out = malloc(cap);

	if (out == NULL)
		return NULL;
	if (sim->ncirc > 0)
		circuit_currents(sim, cur);
	o += (size_t)snprintf(out + o, cap - o, "[");
	for (int k = 0; k < sim->ncirc && o < cap; k++) {
		const struct simcircuit *sc = &sim->circ[k];

		o += (size_t)snprintf(out + o, cap - o, "%s{\"name\":\"%s\","
		    "\"parent\":\"%s\",\"fuse\":%.1f,\"meter_port\":%d,"
		    "\"meter_online\":%s,\"current\":[%.1f,%.1f,%.1f]}",
		    k ? "," : "", sc->c->name, sc->c->parent ?
		    sim->circ[sc->c->parent - 1].c->name : "supply",
		    sc->c->fuse_da / 10.0, sc->port, sc->port &&
		    !sc->mb.blackhole ? "true" : "false", cur[k][0] / 10.0,
		    cur[k][1] / 10.0, cur[k][2] / 10.0);
	}
	if (o < cap)
		snprintf(out + o, cap - o, "]");
	return out;
}

/* "circuit NAME meter on|off", "circuit NAME load A [A2 A3]". */
static char *
circuit_command(struct sim *sim, const char *args)
{
	char	 name[32], what[8], w[3][16], extra;
	struct simcircuit *sc = NULL;
	int	 n;
	bool	 on;

	n = sscanf(args, "%31s %7s %15s %15s %15s %c", name, what, w[0], w[1],
	    w[2], &extra);
	for (int k = 0; n >= 1 && k < sim->ncirc; k++)
		if (strcmp(sim->circ[k].c->name, name) == 0)
			sc = &sim->circ[k];
	if (n >= 1 && sc == NULL)
		return strdup("error: circuit: no circuit of that name "
		    "('circuits' lists them)");
	if (n == 3 && strcmp(what, "meter") == 0 &&
	    strnum_bool(w[0], &on) == 0) {
		if (sc->port == 0)
			return strdup("error: circuit meter: that circuit has no "
			    "meter (meter = yes in the site file)");
		sc->mb.blackhole = !on;
		return strdup("ok");
	}
	if ((n == 3 || n == 5) && strcmp(what, "load") == 0) {
		long	 a[3];

		for (int p = 0; p < 3; p++)
			if (strnum_deci(w[n == 3 ? 0 : p], -20000, 20000,
			    &a[p]) != 0)
				return strdup("error: circuit load: amps, "
				    "-2000.0 to 2000.0, one for all phases or "
				    "one per phase");
		for (int p = 0; p < 3; p++)
			sc->step_da[p] = (int32_t)a[p];
		return strdup("ok");
	}
	return strdup("error: circuit NAME meter on|off | circuit NAME load "
	    "A [A2 A3]");
}

static struct simslave *
find(struct sim *sim, const char *name, size_t len)
{
	for (int i = 0; i < sim->n; i++)
		if (strlen(sim->sl[i].name) == len &&
		    strncmp(sim->sl[i].name, name, len) == 0)
			return &sim->sl[i];
	return NULL;
}

/*
 * "NAME wiring N PHASES": how connector N is really wired to the site's
 * phases, whatever the charger's own setting says (it still reports its
 * currents by its setting, as a real one would): an installer's wiring
 * mistake, for the master's phase check. "NAME wiring" tells both. A
 * revive wires it by its setting again.
 */
static char *
wiring(struct simslave *ss, const char *args)
{
	char	 rot[16], extra;
	long	 k;
	int	 pc;

	while (*args == ' ')
		args++;
	if (*args == '\0') {
		const struct fw_cfg *fc = &ss->s.fw.cfg;
		char	 buf[128];
		size_t	 o = 0;

		for (int i = 0; i < fc->nconn && o < sizeof(buf); i++)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			    "%sconnector %d: %s (set: %s)", i ? "; " : "",
			    i + 1, phase_conn_name(ss->s.sim.conn[i].phase),
			    phase_conn_name(fc->conn[i].phase));
		return strdup(buf);
	}
	if (sscanf(args, "%ld %15s %c", &k, rot, &extra) != 2 || k < 1 ||
	    k > ss->s.fw.cfg.nconn)
		return strdup("error: wiring N PHASES: connector 1 or 2, then "
		    "L1, L2, L3, L1L2L3, L2L3L1 or L3L1L2");
	for (pc = PHASE_L1; pc <= PHASE_L3L1L2; pc++)
		if (strcmp(rot, phase_conn_names[pc]) == 0)
			break;
	if (pc > PHASE_L3L1L2)
		return strdup("error: wiring: PHASES is one of L1, L2, L3, "
		    "L1L2L3, L2L3L1, L3L1L2");
	ss->s.sim.conn[k - 1].phase = (enum phase_conn)pc;
	return strdup("ok");
}

/* "NAME command...", or a simulator command. */
static char *
on_control(void *arg, const char *line)
{
	struct sim *sim = arg;
	const char *sp = strchr(line, ' ');
	struct simslave *ss;
	const char *rest;
	char	 msg[128];

	if (strcmp(line, "list") == 0) {
		size_t	 cap = (size_t)sim->n * 17 + 1, off = 0;
		char	*out = malloc(cap);

		if (out == NULL)
			return NULL;
		out[0] = '\0';
		for (int i = 0; i < sim->n; i++)
			off += (size_t)snprintf(out + off, cap - off, "%s%s",
			    i ? " " : "", sim->sl[i].name);
		return out;
	}
	if (strcmp(line, "quiet") == 0) {
		char	*out = NULL;

		/* ms since any connector's offer last changed */
		if (asprintf(&out, "%llu", (unsigned long long)(clock_now_ms() -
		    sim->quiet_since)) < 0)
			return NULL;
		return out;
	}
	if (strcmp(line, "reaction") == 0) {
		char	*out = NULL;

		/* since the last meter base/step: ms until the last offer
		 * that moved the step's way by 1 A or more, and how many */
		int	 k90 = (sim->react.changed * 9 + 9) / 10 - 1;

		if (asprintf(&out, "{\"ms\":%lld,\"ms90\":%lld,\"changed\":%d}",
		    sim->react.t0 == 0 || sim->react.changed == 0 ? -1LL :
		    (long long)(sim->react.last_ms - sim->react.t0),
		    sim->react.t0 == 0 || sim->react.changed == 0 ? -1LL :
		    (long long)(sim->react.reached[k90] - sim->react.t0),
		    sim->react.changed) < 0)
			return NULL;
		return out;
	}
	if (strncmp(line, "site", 4) == 0 && (line[4] == '\0' ||
	    line[4] == ' '))
		return site_command(sim, line + 4);
	if (strcmp(line, "circuits") == 0)
		return circuits_status(sim);
	if (strncmp(line, "circuit ", 8) == 0)
		return circuit_command(sim, line + 8);
	if (strncmp(line, "meter ", 6) == 0) {
		long	 a[3];
		char	 w[3][16], extra;
		bool	 on;

		if (!sim->meter.on)
			return strdup("error: no meter (start with --meter-port)");
		if (sscanf(line + 6, "base %15s %15s %15s %c", w[0], w[1], w[2],
		    &extra) == 3 || sscanf(line + 6, "step %15s %15s %15s %c",
		    w[0], w[1], w[2], &extra) == 3) {
			bool	 step = strncmp(line + 6, "step", 4) == 0;

			for (int p = 0; p < 3; p++)
				if (strnum_deci(w[p], -20000, 20000, &a[p]) != 0)
					return strdup("error: meter base|step: amps "
					    "per phase, -2000.0 to 2000.0");
			int32_t	 delta = 0;

			for (int p = 0; p < 3; p++) {
				int32_t *v = step ? &sim->meter.step_da[p] :
				    &sim->meter.base_da[p];

				delta += (int32_t)a[p] - *v;
				*v = (int32_t)a[p];
			}
			react_start(sim, delta > 0 ? -1 : 1);
			return strdup("ok");
		}
		if (sscanf(line + 6, "offline %15s %c", w[0], &extra) == 1 &&
		    strnum_bool(w[0], &on) == 0) {
			sim->meter.mb.blackhole = on;
			sim->meter.rtu.blackhole = on;
			return strdup("ok");
		}
		if (sscanf(line + 6, "freeze %15s %c", w[0], &extra) == 1 &&
		    strnum_bool(w[0], &on) == 0) {
			sim->meter.frozen = on;
			return strdup("ok");
		}
		return strdup("error: meter base A1 A2 A3 | meter step A1 A2 A3 | "
		    "meter offline on|off | meter freeze on|off");
	}
	if (sp == NULL || (ss = find(sim, line, (size_t)(sp - line))) == NULL) {
		snprintf(msg, sizeof(msg), "error: expected 'NAME COMMAND' with a "
		    "charger NAME from 'list', or 'list'");
		return strdup(msg);
	}
	rest = sp + 1;
	if (strcmp(rest, "kill") == 0) {
		if (ss->alive) {
			ss->alive = false;
			mbserver_close(&ss->mb);
		}
		return strdup("ok");
	}
	if (strcmp(rest, "revive") == 0) {
		if (ss->alive)
			return strdup("error: it is running");
		if (ss->mb.ctx != NULL)	/* its old socket is still closing */
			return strdup("error: still stopping, try again");
		if (slave_up(sim, ss) != 0)
			return strdup("error: cannot start it (port busy?)");
		return strdup("ok");
	}
	if (strncmp(rest, "blackhole ", 10) == 0) {
		bool	 on;

		if (strnum_bool(rest + 10, &on) != 0)
			return strdup("error: blackhole on|off");
		ss->mb.blackhole = on;
		return strdup("ok");
	}
	if (!ss->alive)
		return strdup("error: that charger is killed ('revive' it)");
	if (strncmp(rest, "wiring", 6) == 0 && (rest[6] == '\0' ||
	    rest[6] == ' '))
		return wiring(ss, rest + 6);
	return slave_control_line(&ss->s, rest, clock_now_ms());
}

static void
on_signal(uv_signal_t *sig, int signum)
{
	struct sim *sim = sig->data;

	log_info("signal %d: stopping", signum);
	if (sim->meter.on)
		mbserver_close(&sim->meter.mb);
	if (sim->meter.rtu_on)
		rtu_stop(&sim->meter.rtu);
	for (int k = 0; k < sim->ncirc; k++)
		if (sim->circ[k].port != 0)
			mbserver_close(&sim->circ[k].mb);
	for (int i = 0; i < sim->n; i++)
		if (sim->sl[i].alive)
			mbserver_close(&sim->sl[i].mb);
	linesrv_close(&sim->ctl);
	if (sim->site != NULL)
		uv_close((uv_handle_t *)&sim->site->timer, NULL);
	uv_close((uv_handle_t *)&sim->tick, NULL);
	uv_close((uv_handle_t *)&sim->sigint, NULL);
	uv_close((uv_handle_t *)&sim->sigterm, NULL);
}

/* The site file's circuits, [demand] and imbalance, for the master. */
static void
write_circuits(const struct sim *sim, FILE *fp)
{
	const struct site_file *f = &sim->site->f;

	if (f->demand_target > 0)
		fprintf(fp, "\n[demand]\nenabled = yes\nwindow = %d\n"
		    "target = %d.%d\nunit = %s\n", f->demand_window,
		    f->demand_target / 10, f->demand_target % 10,
		    site_demand_units[f->demand_unit]);
	for (int k = 0; k < sim->ncirc; k++) {
		const struct simcircuit *sc = &sim->circ[k];
		const struct model_circuit *c = sc->c;

		fprintf(fp, "\n[circuit%d]\nname = %s\nparent = %s\n"
		    "limit = %d.%d\n", k + 1, c->name, c->parent ?
		    sim->circ[c->parent - 1].c->name : "supply",
		    c->fuse_da / 10, c->fuse_da % 10);
		if (sc->port != 0)
			fprintf(fp, "meter = sense\nmeter_transport = tcp\n"
			    "meter_host = 127.0.0.1\nmeter_port = %d\n"
			    "meter_chargers_included = yes\n", sc->port);
		else if (c->load_peak_da > 0)
			/* no meter: its own load is unknown, kept free */
			fprintf(fp, "margin = %d.%d\n", c->load_peak_da / 10,
			    c->load_peak_da % 10);
	}
}

static int
write_master_config(const struct sim *sim, const char *path, int base_port,
    long meter_port, const char *rtu)
{
	char	 tmp[512];
	FILE	*fp;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if ((fp = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(fp, "; written by evgroup-sim for its %d simulated chargers\n"
	    "[site]\n", sim->n);
	if (sim->site != NULL) {
		const struct site_file *f = &sim->site->f;
		int	 g = f->group_limit ? f->group_limit : f->supply;

		fprintf(fp, "name = %s\nmode = %s\nsite_limit = %d.%d\n"
		    "group_limit = %d.%d\nmargin = %d.%d\n", f->name,
		    site_mode_names[f->mode], f->supply / 10, f->supply % 10,
		    g / 10, g % 10, f->margin / 10, f->margin % 10);
		if (f->imbalance > 0)
			fprintf(fp, "imbalance = %d.%d\n", f->imbalance / 10,
			    f->imbalance % 10);
	} else if (meter_port || rtu)
		fprintf(fp, "name = simulated site (%d chargers)\nmode = dynamic\n"
		    "site_limit = 100.0\ngroup_limit = 100.0\n", sim->n);
	else {
		/* 16 A a charger, within the 2000 A a group limit may be, on a
		 * supply at least that large (the group limit sits under it) */
		int	 g = sim->n < 125 ? 16 * sim->n : 2000;

		fprintf(fp, "name = simulated site (%d chargers)\n"
		    "site_limit = %d.0\ngroup_limit = %d.0\n", sim->n,
		    g < 100 ? 100 : g, g);
	}
	if (rtu != NULL)
		fprintf(fp, "\n[meter]\nenabled = yes\ndriver = sense\n"
		    "transport = rtu\ndevice = %s\nbaud = 9600\n", rtu);
	else if (meter_port)
		fprintf(fp, "\n[meter]\nenabled = yes\ndriver = sense\n"
		    "transport = tcp\nhost = 127.0.0.1\nport = %ld\n", meter_port);
	if (sim->site != NULL)
		write_circuits(sim, fp);
	for (int i = 0; i < sim->n; i++) {
		const struct simslave *ss = &sim->sl[i];

		fprintf(fp, "\n[charger%d]\nname = %s\nhost = 127.0.0.1\n"
		    "port = %d\nconnectors = %d\n", i + 1, ss->name,
		    base_port + i, ss->conf.connectors);
		if (sim->site != NULL && sim->site->f.charger_circuit[i] != 0)
			fprintf(fp, "circuit = %s\n", sim->circ[
			    sim->site->f.charger_circuit[i] - 1].c->name);
		for (int k = 0; k < ss->conf.connectors; k++)
			fprintf(fp, "phase%d = %s\nmax_current%d = %d.%d\n",
			    k + 1, phase_conn_name(ss->conf.conn[k].phase),
			    k + 1, ss->conf.conn[k].max_current / 10,
			    ss->conf.conn[k].max_current % 10);
	}
	if (fclose(fp) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

/* The site file's circuits, and a CT kit on its own port for each one
 * with a meter: --meter-port + 1, + 2, ... in circuit order. */
static int
circuits_up(struct sim *sim, long meter_port)
{
	const struct site_file *f = &sim->site->f;
	int	 next = (int)meter_port + 1;

	if ((sim->circ = calloc((size_t)f->ncircuits, sizeof(*sim->circ))) ==
	    NULL)
		fatal("calloc");
	sim->ncirc = f->ncircuits;
	for (int k = 0; k < sim->ncirc; k++) {
		struct simcircuit *sc = &sim->circ[k];
		char	 err[160], name[48];

		sc->sim = sim;
		sc->c = &f->circuit[k];
		if (!sc->c->meter)
			continue;
		if (meter_port == 0 || next > 65535) {
			fprintf(stderr, "evgroup-sim: circuit %s: its meter needs "
			    "--meter-port (it is served on the ports after "
			    "it)\n", sc->c->name);
			return -1;
		}
		snprintf(name, sizeof(name), "meter %s", sc->c->name);
		if (mbserver_listen(&sc->mb, sim->loop, "127.0.0.1", next, name,
		    circuit_handle, sc, err, sizeof(err)) != 0) {
			fprintf(stderr, "evgroup-sim: %s: %s\n", name, err);
			return -1;
		}
		mbserver_masters(&sc->mb, "127.0.0.1");
		sc->port = next++;
	}
	return 0;
}

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: evgroup-sim --slaves N --base-port P [--connectors 1|2]\n"
	    "                   [--control PATH] [--master-config FILE]\n"
	    "                   [--set KEY=VALUE]... [--events] [--meter-port P]\n"
	    "                   [--site FILE [--speed N]]\n"
	    "  --slaves N           chargers to simulate (1-%d)\n"
	    "  --base-port P        Modbus TCP port of the first; the others follow\n"
	    "  --connectors 1|2     connectors per charger (default 2)\n"
	    "  --control PATH       control socket (default evgroup-sim.sock)\n"
	    "  --master-config FILE write an evgroup-master configuration for them\n"
	    "  --set S.KEY=VALUE    a charger setting for all of them\n"
	    "  --events             print every charger's events\n"
	    "  --meter-port P       serve the Sense CT kit on 127.0.0.1:P (a site's\n"
	    "                       circuit meters on P + 1, P + 2, ...)\n"
	    "  --site FILE          a whole site: chargers, load, PV, cars\n"
	    "                       (docs/simulator.md); needs --meter-port\n"
	    "  --speed N            the site's clock runs N times real time\n"
	    "  --record FILE        every 100 ms: the meter and every offer and "
	    "draw (CSV)\n"
	    "  --meter-rtu LINK     serve the CT kit over Modbus RTU on a pty, "
	    "LINK its path\n",
	    SIM_MAX_SLAVES);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "slaves", required_argument, NULL, 'n' },
		{ "base-port", required_argument, NULL, 'p' },
		{ "connectors", required_argument, NULL, 'c' },
		{ "control", required_argument, NULL, 'C' },
		{ "master-config", required_argument, NULL, 'm' },
		{ "set", required_argument, NULL, 's' },
		{ "events", no_argument, NULL, 'e' },
		{ "meter-port", required_argument, NULL, 'M' },
		{ "site", required_argument, NULL, 'S' },
		{ "speed", required_argument, NULL, 'X' },
		{ "record", required_argument, NULL, 'R' },
		{ "meter-rtu", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim *sim;
	struct slave_config base;
	const char *control = "evgroup-sim.sock", *mconf = NULL, *sitef = NULL;
	const char *rtu_link = NULL;
	long	 n = 0, port = 0, nconn = 2, meter_port = 0, speed = 1;
	char	 err[CFG_ERRLEN + 64];
	int	 ch, rc;
	struct rlimit rl;

	if (argc > 1 && strcmp(argv[1], "plan") == 0)
		return plan_main(argc - 1, argv + 1);
	if ((sim = calloc(1, sizeof(*sim))) == NULL)
		fatal("calloc");
	slave_config_defaults(&base);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (strnum_long(optarg, 1, SIM_MAX_SLAVES, &n) != 0) {
				fprintf(stderr, "evgroup-sim: --slaves: must be "
				    "1-%d\n", SIM_MAX_SLAVES);
				return 2;
			}
			break;
		case 'p':
			if (strnum_long(optarg, 1024, 65535, &port) != 0) {
				fprintf(stderr, "evgroup-sim: --base-port: must "
				    "be 1024-65535\n");
				return 2;
			}
			break;
		case 'c':
			if (strnum_long(optarg, 1, 2, &nconn) != 0) {
				fprintf(stderr, "evgroup-sim: --connectors: must "
				    "be 1 or 2\n");
				return 2;
			}
			break;
		case 'C':
			control = optarg;
			break;
		case 'm':
			mconf = optarg;
			break;
		case 's':
			if (cfg_set_arg(slave_config_keys, &base, optarg, err,
			    sizeof(err)) != 0) {
				fprintf(stderr, "evgroup-sim: --set %s\n", err);
				return 2;
			}
			break;
		case 'e':
			sim->events = true;
			break;
		case 'M':
			if (strnum_long(optarg, 1024, 65535, &meter_port) != 0) {
				fprintf(stderr, "evgroup-sim: --meter-port: must "
				    "be 1024-65535\n");
				return 2;
			}
			break;
		case 'S':
			sitef = optarg;
			break;
		case 'U':
			rtu_link = optarg;
			break;
		case 'R':
			if ((sim->rec = fopen(optarg, "w")) == NULL) {
				fprintf(stderr, "evgroup-sim: --record %s: %s\n",
				    optarg, strerror(errno));
				return 2;
			}
			/* a line at a time: nothing lost if we are killed */
			setvbuf(sim->rec, NULL, _IOLBF, 0);
			break;
		case 'X':
			if (strnum_long(optarg, 1, 3600, &speed) != 0) {
				fprintf(stderr, "evgroup-sim: --speed: must be "
				    "1-3600\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			free(sim);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (sitef != NULL) {
		struct simsite *st = calloc(1, sizeof(*st));

		if (st == NULL)
			fatal("calloc");
		if (site_file_load(&st->f, sitef, NULL, 0, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "evgroup-sim: %s\n", err);
			free(st);
			free(sim);
			return 2;
		}
		if (meter_port == 0 && rtu_link == NULL) {
			fprintf(stderr, "evgroup-sim: --site needs --meter-port "
			    "or --meter-rtu (the site's CT kit)\n");
			return 2;
		}
		if (model_init(&st->model, &st->f.model, err, sizeof(err)) != 0) {
			fprintf(stderr, "evgroup-sim: %s\n", err);
			return 2;
		}
		n = st->f.chargers;
		nconn = st->f.connectors;
		st->speed = (int)speed;
		st->t_s = st->f.start_s;
		st->cars = calloc((size_t)n * 2, sizeof(*st->cars));
		if (st->cars == NULL)
			fatal("calloc");
		for (int k = 0; k < REGMAP_MAX_CONN; k++)
			base.conn[k].max_current = st->f.max_current;
		sim->site = st;
	}
	if (n == 0 || port == 0 || port + n - 1 > 65535) {
		usage(stderr);
		return 2;
	}
	/* Each charger: a listening socket and its master's connection. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	sim->loop = uv_default_loop();
	sim->n = (int)n;
	if ((sim->sl = calloc((size_t)n, sizeof(*sim->sl))) == NULL)
		fatal("calloc");
	for (int i = 0; i < sim->n; i++) {
		struct simslave *ss = &sim->sl[i];

		snprintf(ss->name, sizeof(ss->name), "bay-%03d", i + 1);
		ss->conf = base;
		ss->conf.connectors = (int)nconn;
		ss->conf.link.enabled = true;
		snprintf(ss->conf.link.listen, sizeof(ss->conf.link.listen),
		    "127.0.0.1");
		ss->conf.link.port = (int)port + i;
		snprintf(ss->conf.serial, sizeof(ss->conf.serial), "SIM%013d",
		    i + 1);
		for (int k = 0; k < (int)nconn; k++)
			ss->conf.conn[k].phase = rotation[(2 * i + k) % 3];
		if (slave_config_check(&ss->conf, err, sizeof(err)) != 0) {
			fprintf(stderr, "evgroup-sim: %s\n", err);
			return 2;
		}
		if (slave_up(sim, ss) != 0)
			return 1;
	}
	if (sim->rec != NULL) {
		/* the columns, and each connector's rating for the checks */
		fprintf(sim->rec, "# t_ms,L1,L2,L3 then offer,draw per connector "
		    "(0.1 A)\n# max");
		for (int i = 0; i < sim->n; i++)
			for (int k = 0; k < sim->sl[i].conf.connectors; k++)
				fprintf(sim->rec, ",%d",
				    sim->sl[i].conf.conn[k].max_current);
		fputc('\n', sim->rec);
	}
	if (meter_port) {
		char	 err2[160];

		if (mbserver_listen(&sim->meter.mb, sim->loop, "127.0.0.1",
		    (int)meter_port, "meter", meter_handle, sim, err2,
		    sizeof(err2)) != 0) {
			fprintf(stderr, "evgroup-sim: meter: %s\n", err2);
			return 1;
		}
		/* The master reads the CT kit from loopback: its connection
		 * is the one that must always get in (mbguard.c). */
		mbserver_masters(&sim->meter.mb, "127.0.0.1");
		sim->meter.on = true;
	}
	if (sim->site != NULL && sim->site->f.ncircuits > 0 &&
	    circuits_up(sim, meter_port) != 0)
		return 1;
	if (rtu_link != NULL) {
		char	 err2[300];

		if (rtu_start(&sim->meter.rtu, sim->loop, rtu_link, 1,
		    meter_regs, sim, err2, sizeof(err2)) != 0) {
			fprintf(stderr, "evgroup-sim: --meter-rtu: %s\n", err2);
			return 1;
		}
		sim->meter.rtu_on = true;
		sim->meter.on = true;
	}
	if (mconf != NULL && write_master_config(sim, mconf, (int)port,
	    meter_port, rtu_link) != 0) {
		fprintf(stderr, "evgroup-sim: cannot write %s\n", mconf);
		return 1;
	}
	if ((rc = linesrv_start(&sim->ctl, sim->loop, control, on_control,
	    sim)) != 0) {
		fprintf(stderr, "evgroup-sim: control socket %s: %s\n", control,
		    uv_strerror(rc));
		return 1;
	}
	if (sim->site != NULL) {
		for (int i = 0; i < sim->site->f.model.present; i++)
			arrive(sim);
		uv_timer_init(sim->loop, &sim->site->timer);
		sim->site->timer.data = sim;
		uv_timer_start(&sim->site->timer, on_site, 0, 1000);
	}
	sim->prev_offer = calloc((size_t)(sim->n * nconn), sizeof(int32_t));
	sim->quiet_since = clock_now_ms();
	uv_timer_init(sim->loop, &sim->tick);
	sim->tick.data = sim;
	uv_timer_start(&sim->tick, on_tick, 0, (uint64_t)base.tick_ms);
	uv_signal_init(sim->loop, &sim->sigint);
	uv_signal_init(sim->loop, &sim->sigterm);
	sim->sigint.data = sim->sigterm.data = sim;
	uv_signal_start(&sim->sigint, on_signal, SIGINT);
	uv_signal_start(&sim->sigterm, on_signal, SIGTERM);
	log_info("%d charger(s) on 127.0.0.1:%ld-%ld, control socket %s",
	    sim->n, port, port + n - 1, control);
	uv_run(sim->loop, UV_RUN_DEFAULT);
	uv_loop_close(sim->loop);
	if (sim->rec != NULL)
		fclose(sim->rec);
	free(sim->react.offer0);
	free(sim->react.reached);
	free(sim->prev_offer);
	if (sim->site != NULL) {
		model_free(&sim->site->model);
		free(sim->site->cars);
		free(sim->circ);
		free(sim->site);
	}
	free(sim->sl);
	free(sim);
	return 0;
}
