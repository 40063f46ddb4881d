/*
 * rig.c: the virtual-time test rig.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rig.h"

/* Virtual time starts away from 0 so that "0 = never" bugs show. */
#define RIG_T0_MS	1000000

struct rig *
rig_new(const char *const *settings)
{
	struct slave_config conf;
	struct rig *r;
	char	 err[CFG_ERRLEN];

	slave_config_defaults(&conf);
	for (int i = 0; settings != NULL && settings[i] != NULL; i++)
		if (cfg_set_arg(slave_config_keys, &conf, settings[i], err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "rig: %s\n", err);
			abort();
		}
	if (slave_config_check(&conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "rig: %s\n", err);
		abort();
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		abort();
	r->now = RIG_T0_MS;
	if (slave_init(&r->s, &conf, r->now) != 0)
		abort();
	return r;
}

void
rig_free(struct rig *r)
{
	free(r);
}

void
rig_run(struct rig *r, uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t += RIG_TICK_MS) {
		const char *v;

		r->now += RIG_TICK_MS;
		slave_tick(&r->s, r->now);
		for (int i = 0; i < r->s.out.nev && r->nlog < RIG_MAX_LOG;
		    i++) {
			r->log[r->nlog] = r->s.out.ev[i];
			r->log_ms[r->nlog++] = r->now;
		}
		if ((v = fw_invariant_violation(&r->s.fw)) != NULL &&
		    r->violation == NULL) {
			r->violation = v;
			r->violation_ms = r->now;
		}
	}
}

/* Runs one control line; returns 0 for "ok", -1 for an error reply. */
int
rig_cmd(struct rig *r, const char *line)
{
	struct ctl_cmd cmd;
	char	 err[CTL_MAX_LINE + 64], *reply = NULL;
	int	 rc;

	if (ctl_parse(line, r->s.fw.cfg.nconn, &cmd, err, sizeof(err)) != 0)
		return -1;
	rc = slave_exec(&r->s, &cmd, r->now, &reply);
	if (reply != NULL && strncmp(reply, "error", 5) == 0)
		rc = -1;
	free(reply);
	return rc == 0 ? 0 : -1;
}

/*
 * Virtual time (ms) of the first event of that kind with those values
 * (a or b < 0: any) on connector conn at or after `after_ms`, or -1.
 */
int64_t
rig_find(const struct rig *r, int conn, enum fw_event_kind kind, int32_t a,
    int32_t b, uint64_t after_ms)
{
	for (int i = 0; i < r->nlog; i++)
		if (r->log_ms[i] >= after_ms && r->log[i].conn == conn &&
		    r->log[i].kind == kind && (a < 0 || r->log[i].a == a) &&
		    (b < 0 || r->log[i].b == b))
			return (int64_t)r->log_ms[i];
	return -1;
}

const struct fw_conn *
rig_conn(const struct rig *r, int conn)
{
	return &r->s.fw.conn[conn];
}
