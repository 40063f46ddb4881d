/*
 * ocppcap.c: a charger's OCPP charging profiles in the master
 * (ocppcap.h): answered, saved through the store's writer thread, read
 * back at start on a connection of their own, and capped on the site.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "log.h"
#include "master.h"
#include "ocppcap.h"
#include "site.h"
#include "store.h"

/* The phases each connector is wired to (1 or 3); connector 0, the
 * charger's total, counts the most of them. */
static void
wiring(const struct ocppcap *c, int phases[OCPPPROF_MAX_CONN])
{
	const struct charger_conf *cc = c->m->peers[c->peer].cc;

	phases[0] = 1;
	for (int k = 1; k < OCPPPROF_MAX_CONN; k++) {
		phases[k] = k <= cc->connectors ? phase_conn_lines(
		    (enum phase_conn)cc->conn[k - 1].phase) : 3;
		if (k <= cc->connectors && phases[k] > phases[0])
			phases[0] = phases[k];
	}
}

/* The saved profiles, on a read-only connection of their own (the
 * writer's is its thread's once started). */
static void
load(struct ocppcap *c)
{
	const struct store *st = c->m->store;
	sqlite3	*db = NULL;
	sqlite3_stmt *q = NULL;
	json_t	*j;

	if (st == NULL || st->path[0] == '\0' || sqlite3_open_v2(st->path,
	    &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT profiles FROM ocpp_profiles WHERE "
	    "identity = ?1", -1, &q, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(q, 1, c->identity, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_ROW)
		goto out;
	j = json_loads((const char *)sqlite3_column_text(q, 0), 0, NULL);
	if (ocppprof_load(&c->prof, j) != 0)
		log_warnx("ocpp %s: the saved charging profiles do not load; "
		    "dropped", c->identity);
	json_decref(j);
out:
	sqlite3_finalize(q);
	sqlite3_close(db);
}

static void
save(struct ocppcap *c)
{
	struct store_rec r = { .kind = STORE_OCPP_PROFILES };
	json_t	*j = ocppprof_save(&c->prof);

	snprintf(r.u.prof.identity, sizeof(r.u.prof.identity), "%s",
	    c->identity);
	r.u.prof.profiles = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (r.u.prof.profiles != NULL && c->m->store != NULL)
		store_put(c->m->store, &r);	/* the store's from here */
	else
		free(r.u.prof.profiles);
}

void
ocppcap_init(struct ocppcap *c, struct master *m, int peer,
    const char *identity)
{
	const struct charger_conf *cc = m->peers[peer].cc;

	memset(c, 0, sizeof(*c));
	c->m = m;
	c->peer = peer;
	snprintf(c->identity, sizeof(c->identity), "%s", identity);
	ocppprof_init(&c->prof, cc->connectors, cc->conn[0].max_current);
	load(c);
}

json_t *
ocppcap_call(struct ocppcap *c, const char *action, const json_t *req,
    int32_t txid, int64_t wall_ms)
{
	int	 phases[OCPPPROF_MAX_CONN];
	bool	 changed;
	json_t	*r;

	wiring(c, phases);
	r = ocppprof_call(&c->prof, action, req, txid, wall_ms, phases,
	    OCPPPROF_NOMINAL_V, &changed);
	if (changed) {
		save(c);
		ocppcap_apply(c, wall_ms);
	}
	return r;
}

void
ocppcap_tx_started(struct ocppcap *c, int connector, int tx, int64_t start)
{
	ocppprof_tx_started(&c->prof, connector, tx, start);
}

void
ocppcap_tx_ended(struct ocppcap *c, int connector)
{
	int	 n = c->prof.nprof;

	ocppprof_tx_ended(&c->prof, connector);
	if (c->prof.nprof != n)
		save(c);
}

void
ocppcap_apply(struct ocppcap *c, int64_t wall_ms)
{
	int	 phases[OCPPPROF_MAX_CONN];

	wiring(c, phases);
	for (int k = 0; k <= c->prof.nconn; k++)
		(void)site_ocpp_cap_set(&c->m->site, c->peer, k,
		    ocppprof_cap_da(&c->prof, k, wall_ms, phases[k],
		    OCPPPROF_NOMINAL_V));
}

void
ocppcap_stop(struct ocppcap *c)
{
	for (int k = 0; k <= c->prof.nconn; k++)
		(void)site_ocpp_cap_set(&c->m->site, c->peer, k, INT32_MAX);
}
