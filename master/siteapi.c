/*
 * siteapi.c: the loop's side of the API. Everything here runs in the
 * master's loop (web_call), so it reads and changes the site's state
 * without locks. Configuration changes are validated on a copy of the
 * saved configuration by the same table and cross-field rules as the
 * file; a refusal changes nothing.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "charger.h"
#include "clock.h"
#include "master.h"
#include "siteapi.h"
#include "text.h"

static char *
answer(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *
answer(int status, const char *fmt, ...)
{
	char	*body = NULL, *out = NULL;
	va_list	 ap;

	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) < 0)
		body = NULL;
	va_end(ap);
	if (body == NULL || asprintf(&out, "%03d %s", status, body) < 0)
		out = NULL;
	free(body);
	return out;
}

static char *
answer_json(int status, json_t *j)
{
	char	*text = j ? json_dumps(j, JSON_COMPACT) : NULL, *out;

	json_decref(j);
	out = answer(status, "%s", text ? text : "{}");
	free(text);
	return out;
}

/* An error: its message and field may quote the request, so they are
 * escaped (jansson refuses a byte that is not UTF-8, and the answer would
 * lose its message). */
static char *
answer_error(int status, const char *field, const char *msg)
{
	char	 m[400], f[160];
	json_t	*j;

	text_escape(m, sizeof(m), msg);
	j = json_pack("{s:s}", "error", m);
	if (field != NULL && field[0] != '\0') {
		text_escape(f, sizeof(f), field);
		json_object_set_new(j, "field", json_string(f));
	}
	return answer_json(status, j);
}

/* Its currents printed as they are (1.6, not 1.6000000000000001). */
char *
siteapi_json(int status, json_t *j)
{
	char	*text = j ? json_dumps(j, JSON_COMPACT |
	    JSON_REAL_PRECISION(6)) : NULL, *out;

	json_decref(j);
	out = answer(status, "%s", text ? text : "{}");
	free(text);
	return out;
}

char *
siteapi_error(int status, const char *field, const char *msg)
{
	return answer_error(status, field, msg);
}

/*
 * Settings that need a restart (sockets, threads, the chargers' list, the
 * circuits' tree: the site runs each circuit by the id it had at the
 * start, its meter in a thread of its own; a charger moved to another
 * circuit, or a circuit added, renamed or hung elsewhere, while it runs
 * would be counted in the wrong one). A circuit's limits change live.
 */
bool
site_needs_restart(const char *section, const char *key)
{
	static const char *const site_keys[] = { "poll_period",
	    "response_timeout", "connect_timeout", "database", "control_socket",
	    "status_file", "stats_file", "fallback_current", "fallback_timeout",
	    "offline_after", NULL };
	static const char *const charger_keys[] = { "name", "host", "port",
	    "unit_id", "connectors", "phase1", "phase2", "circuit", "ocpp",
	    "ocpp_identity", "ocpp_password", NULL };

	if (strcmp(section, "meter") == 0 || strncmp(section, "clamp", 5) == 0 ||
	    strcmp(section, "web") == 0 || strcmp(section, "mqtt") == 0 ||
	    strcmp(section, "bms") == 0 || strcmp(section, "ocpp") == 0)
		return true;
	/* a circuit's place in the tree and its meter (a thread of its
	 * own); its limits are in force at once */
	if (strncmp(section, "circuit", 7) == 0)
		return strcmp(key, "name") == 0 || strcmp(key, "parent") == 0 ||
		    strncmp(key, "meter", 5) == 0 || strcmp(key, "ct_rating") == 0;
	for (int i = 0; strcmp(section, "site") == 0 && site_keys[i]; i++)
		if (strcmp(key, site_keys[i]) == 0)
			return true;
	for (int i = 0; strncmp(section, "charger", 7) == 0 && charger_keys[i];
	    i++)
		if (strcmp(key, charger_keys[i]) == 0)
			return true;
	return false;
}

static const struct cfg_key *
find_key(const char *section, const char *key, int *idx)
{
	const struct cfg_key *k;

	for (k = master_config_keys; k->name != NULL; k++)
		if (strncmp(section, k->section, strlen(k->section)) == 0 &&
		    strcmp(key, k->name) == 0 && (k->nindex > 0 ||
		    strcmp(section, k->section) == 0))
			break;
	if (k->name == NULL)
		return NULL;
	*idx = k->nindex ? atoi(section + strlen(k->section)) - 1 : 0;
	return k;
}

static void
put_config(struct master *m, const char *section, const char *key,
    const char *value)
{
	struct store_rec r = { .kind = STORE_CONFIG };

	snprintf(r.u.cfg.section, sizeof(r.u.cfg.section), "%s", section);
	snprintf(r.u.cfg.key, sizeof(r.u.cfg.key), "%s", key);
	snprintf(r.u.cfg.value, sizeof(r.u.cfg.value), "%s", value);
	store_put(m->store, &r);
}

struct section_put {
	struct master	*m;
	const char	*section;	/* NULL: every charger from 'from' */
	int		 from;
	const char	*prefix;	/* else: every section named so */
};

static void
put_section(void *arg, const char *section, const char *key,
    const char *value)
{
	struct section_put *sp = arg;

	if (sp->prefix != NULL ? strncmp(section, sp->prefix,
	    strlen(sp->prefix)) == 0 : sp->section != NULL ?
	    strcmp(section, sp->section) == 0 :
	    (strncmp(section, "charger", 7) == 0 &&
	    atoi(section + 7) >= sp->from))
		put_config(sp->m, section, key, value);
}

/*
 * A connector's maximum set above what its charger says it is rated for
 * (input register +16, read at every poll) would be refused by the
 * charger at every write: refused here, with the rating. Only a value
 * that changes is checked, and only against a charger that answered.
 */
static int
rating_check(const struct master *m, const struct master_config *copy,
    int n, const char *const *sec, const char *const *key, char *msg,
    size_t msglen, char *field, size_t fieldlen)
{
	for (int i = 0; i < n; i++) {
		const struct charger_conf *cc;
		int	 id, k;

		if (strncmp(sec[i], "charger", 7) != 0 ||
		    strncmp(key[i], "max_current", 11) != 0)
			continue;
		id = atoi(sec[i] + 7);
		k = atoi(key[i] + 11) - 1;
		if (id < 1 || id > copy->ncharger || k < 0 ||
		    k >= REGMAP_MAX_CONN)
			continue;
		cc = &copy->charger[id - 1];
		if (id <= m->saved->ncharger &&
		    m->saved->charger[id - 1].conn[k].max_current ==
		    cc->conn[k].max_current)
			continue;
		for (int p = 0; p < m->npeers; p++) {
			const struct peer *pe = &m->peers[p];
			unsigned r = pe->link.conn[k].max_da;

			if (strcmp(pe->cc->name, cc->name) != 0 ||
			    strcmp(pe->cc->host, cc->host) != 0 ||
			    pe->cc->port != cc->port || !pe->link.ever_online ||
			    k >= pe->link.nconn || r == 0 ||
			    cc->conn[k].max_current <= (int32_t)r)
				continue;
			snprintf(field, fieldlen, "%s.%s", sec[i], key[i]);
			snprintf(msg, msglen, "%s: %s connector %d is rated "
			    "%u.%u A (the charger says so itself): at most "
			    "%u.%u A", field, cc->name, k + 1, r / 10, r % 10,
			    r / 10, r % 10);
			return -1;
		}
	}
	return 0;
}

/*
 * The running charger (m->conf) that saved charger i (m->saved) is: the
 * one of the same name, else of the same address and port (a rename
 * waits for the restart); -1 for a charger added since the start. Ids
 * differ after a decommission, which also waits for the restart.
 */
static int
running_index(const struct master *m, int i)
{
	const struct charger_conf *sc = &m->saved->charger[i];

	if (i < m->conf->ncharger && strcmp(m->conf->charger[i].name,
	    sc->name) == 0)
		return i;
	for (int j = 0; j < m->conf->ncharger; j++)
		if (strcmp(m->conf->charger[j].name, sc->name) == 0)
			return j;
	for (int j = 0; j < m->conf->ncharger; j++)
		if (strcmp(m->conf->charger[j].host, sc->host) == 0 &&
		    m->conf->charger[j].port == sc->port)
			return j;
	return -1;
}

/* A pending setting with its values, and the installer's words for it
 * ("charger 'bay-001': connector 1: wiring"): words, or setting's key
 * in words when NULL. */
static void
pending_add(const struct master *m, json_t *a, const char *setting,
    const char *words, const char *now, const char *after)
{
	char	 w[160];

	if (words == NULL)
		master_config_words(m->saved, setting, w, sizeof(w));
	json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}", "setting",
	    setting, "words", words != NULL ? words : w, "in_force", now,
	    "after_restart", after));
}

/* Each key of a JSON array of "section.key" in the installer's words. */
static json_t *
words_of(const struct master_config *mc, json_t *keys)
{
	json_t	*a = json_array(), *v;
	char	 w[160];
	size_t	 i;

	json_array_foreach(keys, i, v) {
		master_config_words(mc, json_string_value(v), w, sizeof(w));
		json_array_append_new(a, json_string(w));
	}
	return a;
}

/* One setting, saved at sidx and running at ridx: 1 if they differ
 * (added to a when not NULL), else 0. */
static int
pending_key(const struct master *m, const struct cfg_key *k, int sidx,
    int ridx, const char *name, json_t *a)
{
	char	 sv[300], rv[300], sb[300], rb[300];

	cfg_format(k, m->saved, sidx, sv, sizeof(sv));
	cfg_format(k, m->conf, ridx, rv, sizeof(rv));
	if (strcmp(sv, rv) == 0)
		return 0;
	if (a != NULL)
		/* a secret only said to be set, as everywhere the API
		 * shows it */
		pending_add(m, a, name, NULL, master_config_shown(k->section,
		    k->name, rv, rb, sizeof(rb)), master_config_secret(
		    k->section, k->name) && sv[0] != '\0' && rv[0] != '\0' ?
		    "(changed)" : master_config_shown(k->section, k->name, sv,
		    sb, sizeof(sb)));
	return 1;
}

/* The circuit of name among mc's, -1 for none. */
static int
circuit_named(const struct master_config *mc, const char *name)
{
	for (int j = 0; j < mc->ncircuit; j++)
		if (strcmp(mc->circuit[j].name, name) == 0)
			return j;
	return -1;
}

/* The running circuit (m->conf) of the saved one at i: the one it was
 * renamed from since the start, else the one of the same name (ids move
 * when circuits come and go) unless that one runs renamed; -1 for none
 * (a circuit added since the start). */
static int
running_circuit(const struct master *m, int i)
{
	const char *name;

	if (i >= m->saved->ncircuit)
		return -1;
	name = m->saved->circuit[i].name;
	for (int k = 0; k < m->ncirc_renamed; k++)
		if (strcmp(m->circ_renamed[k].saved, name) == 0)
			return circuit_named(m->conf, m->circ_renamed[k].running);
	for (int k = 0; k < m->ncirc_renamed; k++)
		if (strcmp(m->circ_renamed[k].running, name) == 0)
			return -1;	/* a new circuit with an old name */
	return circuit_named(m->conf, name);
}

/* Is setting section.key (saved numbering) the same in force as saved? */
static bool
in_force(const struct master *m, const char *section, const char *key)
{
	const struct cfg_key *k;
	int	 idx, ridx;

	if ((k = find_key(section, key, &idx)) == NULL)
		return true;
	ridx = idx;
	if (strcmp(k->section, "charger") == 0 && (idx >= m->saved->ncharger ||
	    (ridx = running_index(m, idx)) < 0))
		return false;
	if (strcmp(k->section, "circuit") == 0 &&
	    (ridx = running_circuit(m, idx)) < 0)
		return false;
	return pending_key(m, k, idx, ridx, NULL, NULL) == 0;
}

/*
 * The circuits' part of pending_list(): by name, each circuit added
 * since the start, removed since, or with a key saved but not in force.
 */
static int
pending_circuits(const struct master *m, json_t *a)
{
	char	 name[64], sv[96], rv[96];
	bool	 seen[MASTER_MAX_CIRCUITS] = { false };
	int	 n = 0;

	for (int i = 0; i < m->saved->ncircuit; i++) {
		const char *cn = m->saved->circuit[i].name;
		int	 j = running_circuit(m, i);

		if (j < 0) {
			n++;
			snprintf(name, sizeof(name), "circuit%d", i + 1);
			snprintf(sv, sizeof(sv), "'%s' added", cn);
			snprintf(rv, sizeof(rv), "circuit '%s'", cn);
			if (a != NULL)
				pending_add(m, a, name, rv, "", sv);
			continue;
		}
		seen[j] = true;
		for (const struct cfg_key *k = master_config_keys; k->name;
		    k++) {
			if (strcmp(k->section, "circuit") != 0)
				continue;
			snprintf(name, sizeof(name), "circuit%d.%s", i + 1,
			    k->name);
			n += pending_key(m, k, i, j, name, a);
		}
	}
	for (int j = 0; j < m->conf->ncircuit; j++) {
		if (seen[j])
			continue;
		n++;
		snprintf(rv, sizeof(rv), "'%s'", m->conf->circuit[j].name);
		snprintf(sv, sizeof(sv), "circuit '%s'",
		    m->conf->circuit[j].name);
		if (a != NULL)
			pending_add(m, a, m->conf->circuit[j].name, sv, rv,
			    "removed");
	}
	return n;
}

/*
 * What waits for a restart: every setting whose saved value differs from
 * the one in force, each with both values; chargers added and
 * decommissioned since the start. Worked out from the two
 * configurations, so a change reverted before the restart is no longer
 * pending. Returns how many; a is filled when not NULL.
 */
static int
pending_list(const struct master *m, json_t *a)
{
	char	 sv[300], rv[300], name[64];
	const struct cfg_key *k;
	bool	*seen;
	int	 n = 0;

	for (const char *const *s = (const char *const[]){ "site", "web",
	    "meter", "smart", "demand", "mqtt", "bms", "ocpp", "clamp1",
	    "clamp2", "clamp3", NULL }; *s; s++) {
		bool	 clamp = strncmp(*s, "clamp", 5) == 0;
		int	 idx = clamp ? (*s)[5] - '1' : 0;

		for (k = master_config_keys; k->name != NULL; k++) {
			if (strcmp(k->section, clamp ? "clamp" : *s) != 0)
				continue;
			snprintf(name, sizeof(name), "%s.%s", *s, k->name);
			n += pending_key(m, k, idx, idx, name, a);
		}
	}
	n += pending_circuits(m, a);
	seen = calloc((size_t)m->conf->ncharger + 1, sizeof(*seen));
	for (int i = 0; i < m->saved->ncharger; i++) {
		const struct charger_conf *sc = &m->saved->charger[i];
		int	 j = running_index(m, i);

		if (j < 0) {
			n++;
			snprintf(name, sizeof(name), "charger%d", i + 1);
			snprintf(sv, sizeof(sv), "'%s' (%s:%d) added", sc->name,
			    sc->host, sc->port);
			snprintf(rv, sizeof(rv), "charger '%s'", sc->name);
			if (a != NULL)
				pending_add(m, a, name, rv, "", sv);
			continue;
		}
		if (seen != NULL)
			seen[j] = true;
		for (k = master_config_keys; k->name != NULL; k++) {
			if (strcmp(k->section, "charger") != 0)
				continue;
			snprintf(name, sizeof(name), "charger%d.%s", i + 1,
			    k->name);
			n += pending_key(m, k, i, j, name, a);
		}
	}
	for (int j = 0; seen != NULL && j < m->conf->ncharger; j++) {
		const struct charger_conf *rc = &m->conf->charger[j];

		if (seen[j])
			continue;
		n++;
		snprintf(rv, sizeof(rv), "'%s' (%s:%d)", rc->name, rc->host,
		    rc->port);
		snprintf(sv, sizeof(sv), "charger '%s'", rc->name);
		if (a != NULL)
			pending_add(m, a, rc->name, sv, rv, "decommissioned");
	}
	free(seen);
	return n;
}

/* After any change of the saved configuration. */
static void
pending_update(struct master *m)
{
	m->npending = pending_list(m, NULL);
	m->restart_pending = m->npending > 0;
}

/* "a, b, c" of a JSON array of strings, cut to fit. */
static void
names(char *buf, size_t len, json_t *a)
{
	size_t	 i, o = 0;
	json_t	*v;

	buf[0] = '\0';
	json_array_foreach(a, i, v) {
		int	 w = snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
		    json_string_value(v));

		if (w < 0 || (size_t)w >= len - o)
			break;
		o += (size_t)w;
	}
}

/*
 * Circuits in a change: their sections name the saved ids (one past the
 * last adds one), but finish() sorts them parent first, so a circuit may
 * have another id after the change. Each circuit setting's circuit is
 * followed by its name; a renamed circuit is renamed for its chargers
 * and the circuits under it too.
 */
struct circ_map {
	bool	 touched;		/* the circuits are stored again */
	char	 name[SITEAPI_MAX_SETS][MASTER_NAME_LEN];
	int	 running[SITEAPI_MAX_SETS];	/* in m->conf, -1: none */
	char	 rsec[SITEAPI_MAX_SETS][24];	/* after finish() */
	const char *rs[SITEAPI_MAX_SETS];	/* sec[i], or rsec[i] */
	int	 nren;				/* renames: from -> to */
	char	 from[MASTER_MAX_CIRCUITS][MASTER_NAME_LEN],
		 to[MASTER_MAX_CIRCUITS][MASTER_NAME_LEN];
};

static int
circuit_section_check(const struct master_config *copy, const char *sec,
    char *msg, size_t msglen)
{
	int	 id;

	if (strncmp(sec, "circuit", 7) != 0)
		return 0;
	id = atoi(sec + 7);
	if (id < 1 || id > copy->ncircuit + 1) {
		snprintf(msg, msglen, "%s: no such circuit (this site has %d)",
		    sec, copy->ncircuit);
		return -1;
	}
	return 0;
}

/* The same name everywhere it was the old one's (chargers, parents). */
static void
circuit_rename(struct master_config *copy, const char *from, const char *to)
{
	for (int j = 0; j < copy->ncharger; j++)
		if (strcmp(copy->charger[j].circuit, from) == 0)
			snprintf(copy->charger[j].circuit,
			    sizeof(copy->charger[j].circuit), "%s", to);
	for (int k = 0; k < MASTER_MAX_CIRCUITS; k++)
		if (strcmp(copy->circuit[k].parent, from) == 0)
			snprintf(copy->circuit[k].parent,
			    sizeof(copy->circuit[k].parent), "%s", to);
}

/* Before finish(): each circuit setting's circuit by name, and where it
 * runs; the renames carried over. */
static void
circuits_before(const struct master *m, struct master_config *copy, int n,
    const char *const *sec, struct circ_map *cm)
{
	for (int i = 0; i < n; i++) {
		int	 idx;

		cm->rs[i] = sec[i];
		cm->running[i] = -1;
		if (strncmp(sec[i], "circuit", 7) != 0)
			continue;
		idx = atoi(sec[i] + 7) - 1;
		cm->touched = true;
		snprintf(cm->name[i], sizeof(cm->name[i]), "%s",
		    copy->circuit[idx].name);
		if (idx < m->saved->ncircuit)
			cm->running[i] = running_circuit(m, idx);
	}
	for (int k = 0; k < m->saved->ncircuit; k++) {
		const char *from = m->saved->circuit[k].name;

		if (strcmp(copy->circuit[k].name, from) != 0 &&
		    copy->circuit[k].name[0] != '\0') {
			circuit_rename(copy, from, copy->circuit[k].name);
			snprintf(cm->from[cm->nren], sizeof(cm->from[0]), "%s",
			    from);
			snprintf(cm->to[cm->nren++], sizeof(cm->to[0]), "%s",
			    copy->circuit[k].name);
		}
	}
}

/* After finish(): each circuit setting's section as it is now. */
static void
circuits_after(const struct master_config *copy, int n, struct circ_map *cm)
{
	for (int i = 0; i < n; i++)
		for (int k = 0; cm->rs[i] != cm->rsec[i] && strncmp(cm->rs[i],
		    "circuit", 7) == 0 && k < copy->ncircuit; k++)
			if (strcmp(copy->circuit[k].name, cm->name[i]) == 0) {
				snprintf(cm->rsec[i], sizeof(cm->rsec[i]),
				    "circuit%d", k + 1);
				cm->rs[i] = cm->rsec[i];
			}
}

/* A change taken: its renames (from -> to) recorded for
 * running_circuit(). */
static void
circuits_renamed(struct master *m, const struct circ_map *cm)
{
	for (int r = 0; r < cm->nren; r++) {
		int	 k;

		for (k = 0; k < m->ncirc_renamed; k++)
			if (strcmp(m->circ_renamed[k].saved, cm->from[r]) == 0)
				break;
		if (k == m->ncirc_renamed) {
			if (k == MASTER_MAX_CIRCUITS)
				continue;	/* (more than there can be) */
			m->ncirc_renamed++;
			snprintf(m->circ_renamed[k].running,
			    sizeof(m->circ_renamed[k].running), "%s",
			    cm->from[r]);
		}
		snprintf(m->circ_renamed[k].saved,
		    sizeof(m->circ_renamed[k].saved), "%s", cm->to[r]);
	}
}

/*
 * The circuits stored again as copy has them (ids move as the tree is
 * sorted; a removed one leaves a gap), and each charger whose circuit
 * changed by a rename.
 */
static void
circuits_store(struct master *m, const struct master_config *copy)
{
	struct store_rec r = { .kind = STORE_CONFIG_DELETE };
	struct section_put sp = { m, NULL, 0, "circuit" };
	char	 v[MASTER_NAME_LEN];

	for (int k = 1; k <= m->saved->ncircuit || k <= copy->ncircuit; k++) {
		snprintf(r.u.cfg.section, sizeof(r.u.cfg.section), "circuit%d",
		    k);
		store_put(m->store, &r);
	}
	master_config_each(copy, put_section, &sp);
	for (int j = 0; j < copy->ncharger && j < m->saved->ncharger; j++)
		if (strcmp(copy->charger[j].circuit,
		    m->saved->charger[j].circuit) != 0) {
			snprintf(r.u.cfg.section, sizeof(r.u.cfg.section),
			    "charger%d", j + 1);
			snprintf(v, sizeof(v), "%s", copy->charger[j].circuit);
			put_config(m, r.u.cfg.section, "circuit", v);
		}
}

/*
 * Sets n settings at once: all or none. add: the id of a new charger
 * (its section may be one past the last). A change that lets the
 * chargers take more (master_config_raises) is made only when confirm is
 * set: otherwise 1 is returned, nothing changes, msg says what and
 * *detail (when not NULL) gets the list of raises with their figures.
 * On success (0), msg says what is in force now and what waits for a
 * restart, and *detail gets {"in_force": [...], "after_restart": [...]}.
 * On failure (-1), field names the setting at fault.
 */
int
site_config_apply(struct master *m, const char *who, int n,
    const char *const *sec, const char *const *key, const char *const *val,
    int add, bool confirm, json_t **detail, char *msg, size_t msglen,
    char *field, size_t fieldlen)
{
	struct master_config *copy, *run;
	char	 err[CFG_ERRLEN + 64];
	bool	 live = false;
	int	 rc = -1;
	json_t	*now = NULL, *later = NULL;
	struct circ_map cm = { .touched = false };

	field[0] = '\0';
	if (detail != NULL)
		*detail = NULL;
	if ((copy = malloc(sizeof(*copy))) == NULL ||
	    (run = malloc(sizeof(*run))) == NULL) {
		free(copy);
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	*copy = *m->saved;
	for (int i = 0; i < n; i++) {
		snprintf(field, fieldlen, "%s.%s", sec[i], key[i]);
		if (strncmp(sec[i], "charger", 7) == 0) {
			int	 id = atoi(sec[i] + 7);

			if ((id < 1 || id > copy->ncharger) && id != add) {
				snprintf(msg, msglen, "%s: no such charger (this "
				    "site has %d)", sec[i], copy->ncharger);
				goto out;
			}
		}
		if (circuit_section_check(copy, sec[i], msg, msglen) != 0)
			goto out;
		if (cfg_set(master_config_keys, copy, sec[i], key[i], val[i],
		    err, sizeof(err)) != 0) {
			snprintf(msg, msglen, "%s", err);
			goto out;
		}
	}
	circuits_before(m, copy, n, sec, &cm);
	if (master_config_finish(copy, err, sizeof(err)) != 0) {
		/* "section.key: why" names its field */
		snprintf(field, fieldlen, "%.*s", (int)strcspn(err, ": "), err);
		snprintf(msg, msglen, "%s", err);
		goto out;
	}
	circuits_after(copy, n, &cm);
	if (rating_check(m, copy, n, sec, key, msg, msglen, field,
	    fieldlen) != 0)
		goto out;
	field[0] = '\0';
	if (!confirm) {
		struct cfg_raise r[8];
		int	 nr = master_config_raises(m->saved, copy, r, 8);

		if (nr > 0) {
			json_t	*a = json_array();

			snprintf(field, fieldlen, "confirm");
			snprintf(msg, msglen, "confirm: %s %s -> %s: %s%s; send "
			    "\"confirm\": true to go on", r[0].field, r[0].from,
			    r[0].to, r[0].consequence, nr > 1 ? " (and more)" :
			    "");
			for (int i = 0; i < nr && i < 8; i++) {
				char	 w[160];

				master_config_words(copy, r[i].field, w,
				    sizeof(w));
				json_array_append_new(a, json_pack("{s:s, s:s, "
				    "s:s, s:s, s:s}", "setting", r[i].field,
				    "words", w, "from", r[i].from, "to",
				    r[i].to, "consequence", r[i].consequence));
			}
			if (detail != NULL)
				*detail = a;
			else
				json_decref(a);
			rc = 1;
			goto out;
		}
	}
	now = json_array();
	later = json_array();
	for (int i = 0; i < n; i++) {
		char	 before[300] = "", after[300] = "", sb[300], sa[300];
		const struct cfg_key *k;
		int	 idx;

		if ((k = find_key(sec[i], key[i], &idx)) == NULL)
			continue;
		cfg_format(k, m->saved, idx, before, sizeof(before));
		(void)find_key(cm.rs[i], key[i], &idx);
		cfg_format(k, copy, idx, after, sizeof(after));
		if (strcmp(before, after) == 0 && add == 0)
			continue;
		if (cm.rs[i] == sec[i])
			put_config(m, sec[i], key[i], after);
		if (add == 0 && master_config_secret(sec[i], key[i]))
			master_event(m, SEV_INFO, who, "config", "%s.%s: %s (by "
			    "%s)", sec[i], key[i], after[0] ? "changed" :
			    "cleared", who);
		else if (add == 0)
			master_event(m, SEV_INFO, who, "config", "%s.%s: %s -> %s "
			    "(by %s)", cm.rs[i], key[i], master_config_shown(sec[i],
			    key[i], before, sb, sizeof(sb)), master_config_shown(
			    sec[i], key[i], after, sa, sizeof(sa)), who);
		if (!site_needs_restart(sec[i], key[i]))
			live = true;
	}
	if (add > 0) {
		char	 s[24];
		struct section_put sp = { m, s, 0, NULL };

		/* every key of the new charger, defaults included */
		snprintf(s, sizeof(s), "charger%d", add);
		master_config_each(copy, put_section, &sp);
		master_event(m, SEV_INFO, who, "charger-added", "charger%d '%s' "
		    "(%s:%d) added by %s; it is polled after a restart", add,
		    copy->charger[add - 1].name, copy->charger[add - 1].host,
		    copy->charger[add - 1].port, who);
	}
	if (cm.touched)
		circuits_store(m, copy);
	*m->saved = *copy;
	circuits_renamed(m, &cm);
	/* What can change now, changes now, on the running configuration:
	 * a charger's setting on the charger it is in force (ids differ
	 * after a decommission; one added since the start has none). */
	if (live && add == 0) {
		*run = *m->conf;
		for (int i = 0; i < n; i++) {
			char	 rsec[24];
			const char *s = sec[i];

			if (site_needs_restart(sec[i], key[i]))
				continue;
			if (strncmp(sec[i], "charger", 7) == 0) {
				int	 j = running_index(m, atoi(sec[i] + 7) - 1);

				if (j < 0)
					continue;
				snprintf(rsec, sizeof(rsec), "charger%d", j + 1);
				s = rsec;
			}
			if (strncmp(sec[i], "circuit", 7) == 0) {
				if (cm.running[i] < 0)
					continue;
				snprintf(rsec, sizeof(rsec), "circuit%d",
				    cm.running[i] + 1);
				s = rsec;
			}
			(void)cfg_set(master_config_keys, run, s, key[i],
			    val[i], err, sizeof(err));
		}
		if (master_config_finish(run, err, sizeof(err)) == 0 &&
		    run->ncharger == m->conf->ncharger) {
			*m->conf_rw = *run;
			site_apply_params(&m->site);
		}
	}
	/* What is in force now is what the running configuration says, not
	 * what the key's kind would have it. */
	for (int i = 0; i < n; i++) {
		char	 f[64];

		snprintf(f, sizeof(f), "%s.%s", cm.rs[i], key[i]);
		json_array_append_new(add == 0 && in_force(m, cm.rs[i],
		    key[i]) ? now : later, json_string(f));
	}
	pending_update(m);
	if (json_array_size(later) == 0)
		names(err, sizeof(err), now);
	if (add > 0)
		snprintf(msg, msglen, "saved; takes effect at the next start "
		    "(restart the appliance)");
	else if (json_array_size(later) == 0)
		snprintf(msg, msglen, "in force now: %s", err);
	else {
		char	 l[CFG_ERRLEN];

		names(l, sizeof(l), later);
		names(err, sizeof(err), now);
		snprintf(msg, msglen, "%s%s%ssaved; takes effect at the next "
		    "start (restart the appliance): %s", err[0] ? "in force "
		    "now: " : "", err, err[0] ? "; " : "", l);
	}
	if (detail != NULL) {
		*detail = json_pack("{s:O, s:O, s:o, s:o}", "in_force", now,
		    "after_restart", later, "in_force_words", words_of(
		    m->saved, now), "after_restart_words", words_of(m->saved,
		    later));
	}
	rc = 0;
out:
	json_decref(now);
	json_decref(later);
	free(copy);
	free(run);
	return rc;
}

struct config_json {
	json_t	*root;
};

static void
config_one(void *arg, const char *section, const char *key, const char *value)
{
	struct config_json *cj = arg;
	json_t	*sec = json_object_get(cj->root, section);
	char	 buf[256];

	if (sec == NULL) {
		sec = json_object();
		json_object_set_new(cj->root, section, sec);
	}
	/* a secret is only said to be set ("(set)" is no valid value of
	 * it), the webhook's address shown up to its host */
	json_object_set_new(sec, key, json_string(master_config_shown(section,
	    key, value, buf, sizeof(buf))));
}

/* The settings' rules, for forms: type, range, unit, choices, help. */
static json_t *
config_schema(void)
{
	static const char *const types[] = { "int", "decimal", "bool", "enum",
	    "string", "addresses" };
	json_t	*a = json_array();

	for (const struct cfg_key *k = master_config_keys; k->name; k++) {
		json_t	*o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "section",
		    k->section, "key", k->name, "type", types[k->type],
		    "default", k->def, "help", k->help ? k->help : "");

		if (k->type == CFG_INT)
			json_object_set_new(o, "min", json_integer(k->min));
		if (k->type == CFG_INT)
			json_object_set_new(o, "max", json_integer(k->max));
		if (k->type == CFG_DECI) {
			json_object_set_new(o, "min", json_real(k->min / 10.0));
			json_object_set_new(o, "max", json_real(k->max / 10.0));
		}
		if (k->unit)
			json_object_set_new(o, "unit", json_string(k->unit));
		if (master_config_label(k->section, k->name) != NULL)
			json_object_set_new(o, "label", json_string(
			    master_config_label(k->section, k->name)));
		if (k->names) {
			json_t	*c = json_array();

			for (int i = 0; k->names[i]; i++)
				json_array_append_new(c, json_string(
				    k->names[i]));
			json_object_set_new(o, "choices", c);
		}
		json_array_append_new(a, o);
	}
	return a;
}

char *
sa_config_get(struct master *m, void *ctx)
{
	struct config_json cj = { json_object() };
	json_t	*pending = json_array();

	(void)ctx;
	master_config_each(m->saved, config_one, &cj);
	pending_list(m, pending);
	return answer_json(200, json_pack("{s:o, s:b, s:o, s:o}", "config",
	    cj.root, "restart_needed", m->restart_pending, "pending", pending,
	    "schema", config_schema()));
}

static char *
apply_answer(struct master *m, struct sa_set *ss, int add, int created)
{
	char	 msg[CFG_ERRLEN + 400], field[64], esc[sizeof(msg)];
	json_t	*detail = NULL, *j;
	int	 rc;

	rc = site_config_apply(m, ss->who, ss->n, ss->section, ss->key,
	    ss->value, add, ss->confirm, &detail, msg, sizeof(msg), field,
	    sizeof(field));
	if (rc < 0) {
		/* field keeps the key (for forms); the message the words */
		master_config_words(m->saved, msg, esc, sizeof(esc));
		return answer_error(400, field, esc);
	}
	/* the keys in the installer's words, as the errors say them */
	master_config_words(m->saved, msg, esc, sizeof(esc));
	snprintf(msg, sizeof(msg), "%s", esc);
	if (rc > 0) {
		text_escape(esc, sizeof(esc), msg);
		return answer_json(409, json_pack("{s:s, s:s, s:o}", "error", esc,
		    "field", "confirm", "confirm", detail));
	}
	j = json_pack("{s:s, s:b, s:o}", "result", msg, "restart_needed",
	    m->restart_pending, "pending", json_array());
	pending_list(m, json_object_get(j, "pending"));
	if (detail != NULL)
		json_object_update(j, detail);
	json_decref(detail);
	if (add > 0 || created > 0) {
		json_object_set_new(j, "id", json_integer(add > 0 ? add :
		    created));
		return answer_json(201, j);
	}
	return answer_json(200, j);
}

char *
sa_config_put(struct master *m, void *ctx)
{
	return apply_answer(m, ctx, 0, 0);
}

/* A new charger or circuit (what): the sets are its keys, in section id,
 * the one after the last. */
static char *
add_answer(struct master *m, struct sa_set *ss, const char *what, int id,
    int max)
{
	static char secs[SITEAPI_MAX_SETS][24];
	bool	 charger = strcmp(what, "charger") == 0;

	if (id > max)
		return answer_error(400, "", charger ? "this site has the most "
		    "chargers it can have" : "this site has the most circuits "
		    "it can have (63)");
	for (int i = 0; i < ss->n; i++) {
		/* the loop is one thread: a static is safe here */
		snprintf(secs[i], sizeof(secs[i]), "%s%d", what, id);
		ss->section[i] = secs[i];
	}
	return apply_answer(m, ss, charger ? id : 0, charger ? 0 : id);
}

char *
sa_charger_add(struct master *m, void *ctx)
{
	return add_answer(m, ctx, "charger", m->saved->ncharger + 1,
	    MASTER_MAX_CHARGERS);
}

/* A circuit's settings as the file has them, with its id and depth,
 * its chargers (those directly in it) as {id, name}. */
static json_t *
circuit_json(const struct master_config *mc, int k)
{
	json_t	*o = json_object(), *ch = json_array();
	char	 v[300];
	int	 depth = 0;

	if (k >= 0) {
		for (const struct cfg_key *key = master_config_keys; key->name;
		    key++)
			if (strcmp(key->section, "circuit") == 0) {
				cfg_format(key, mc, k, v, sizeof(v));
				json_object_set_new(o, key->name,
				    json_string(v));
			}
		for (int p = mc->circuit[k].parent_id; p > 0;
		    p = mc->circuit[p - 1].parent_id)
			depth++;
		json_object_set_new(o, "id", json_integer(k + 1));
		json_object_set_new(o, "depth", json_integer(depth + 1));
	}
	for (int i = 0; i < mc->ncharger; i++)
		if (mc->charger[i].circuit_id == k + 1)
			json_array_append_new(ch, json_pack("{s:i, s:s}", "id",
			    i + 1, "name", mc->charger[i].name));
	json_object_set_new(o, "chargers", ch);
	return o;
}

/* The saved tree: the supply (the main fuse) and each circuit, parents
 * before their children. */
char *
sa_circuits_get(struct master *m, void *ctx)
{
	const struct master_config *mc = m->saved;
	json_t	*supply = circuit_json(mc, -1), *a = json_array();
	char	 v[24];

	(void)ctx;
	snprintf(v, sizeof(v), "%d.%d", mc->site.site_limit / 10,
	    mc->site.site_limit % 10);
	json_object_set_new(supply, "limit", json_string(v));
	snprintf(v, sizeof(v), "%d.%d", mc->site.margin / 10,
	    mc->site.margin % 10);
	json_object_set_new(supply, "margin", json_string(v));
	snprintf(v, sizeof(v), "%d.%d", mc->site.imbalance / 10,
	    mc->site.imbalance % 10);
	json_object_set_new(supply, "imbalance", json_string(v));
	json_object_set_new(supply, "meter", json_string(mc->meter.enabled ?
	    "yes" : "none"));
	for (int k = 0; k < mc->ncircuit; k++)
		json_array_append_new(a, circuit_json(mc, k));
	return answer_json(200, json_pack("{s:o, s:o, s:b}", "supply", supply,
	    "circuits", a, "restart_needed", m->restart_pending));
}

/* A new circuit: the sets are its keys, in the section after the last
 * (sorted last too: its parent is there already). */
char *
sa_circuit_add(struct master *m, void *ctx)
{
	return add_answer(m, ctx, "circuit", m->saved->ncircuit + 1,
	    MASTER_MAX_CIRCUITS);
}

/* A circuit's settings changed (PUT /api/circuits/{id}): one there. */
char *
sa_circuit_put(struct master *m, void *ctx)
{
	struct sa_set *ss = ctx;

	if (ss->charger < 1 || ss->charger > m->saved->ncircuit)
		return answer_error(404, "", "no such circuit");
	return apply_answer(m, ss, 0, 0);
}

/* "a, b" of the chargers in circuit id and the circuits under it; 0 when
 * none. */
static int
circuit_users(const struct master_config *mc, int id, char *buf, size_t len)
{
	size_t	 o = 0;
	int	 n = 0;

	buf[0] = '\0';
	for (int i = 0; i < mc->ncharger; i++)
		if (mc->charger[i].circuit_id == id && o < len) {
			o += (size_t)snprintf(buf + o, len - o, "%scharger '%s'",
			    n++ ? ", " : "", mc->charger[i].name);
		}
	for (int k = 0; k < mc->ncircuit; k++)
		if (mc->circuit[k].parent_id == id && o < len) {
			o += (size_t)snprintf(buf + o, len - o, "%scircuit '%s'",
			    n++ ? ", " : "", mc->circuit[k].name);
		}
	return n;
}

/*
 * A circuit leaves the configuration (at the next start): only one with
 * no chargers and no circuits under it (409 naming them), and only when
 * confirmed (nothing keeps its fuse any more: 409 with the figures, as
 * for a raise).
 */
char *
sa_circuit_delete(struct master *m, void *ctx)
{
	struct sa_set *ss = ctx;
	struct master_config *copy;
	struct cfg_raise r[1];
	char	 name[MASTER_NAME_LEN], err[CFG_ERRLEN + 64], users[300];
	int	 id = ss->charger;

	if (id < 1 || id > m->saved->ncircuit)
		return answer_error(404, "", "no such circuit");
	snprintf(name, sizeof(name), "%s", m->saved->circuit[id - 1].name);
	if (circuit_users(m->saved, id, users, sizeof(users)) > 0) {
		char	 msg[sizeof(users) + 120];

		snprintf(msg, sizeof(msg), "circuit '%s' still has %s under it: "
		    "move them to another circuit first", name, users);
		return answer_error(409, "circuit", msg);
	}
	if ((copy = malloc(sizeof(*copy))) == NULL)
		return answer_error(503, "", "out of memory");
	*copy = *m->saved;
	copy->circuit[id - 1].name[0] = '\0';
	copy->circuit[id - 1].limit = 0;
	if (master_config_finish(copy, err, sizeof(err)) != 0) {
		free(copy);
		return answer_error(400, "", err);
	}
	if (!ss->confirm && master_config_raises(m->saved, copy, r, 1) > 0) {
		char	 msg[CFG_ERRLEN + 200], words[MASTER_NAME_LEN + 16];

		free(copy);
		snprintf(words, sizeof(words), "circuit '%s'", name);
		snprintf(msg, sizeof(msg), "confirm: %s %s -> removed: %s; send "
		    "\"confirm\": true to go on", words, r[0].from,
		    r[0].consequence);
		return answer_json(409, json_pack("{s:s, s:s, s:[{s:s, s:s, "
		    "s:s, s:s, s:s}]}", "error", msg, "field", "confirm",
		    "confirm", "setting", r[0].field, "words", words, "from",
		    r[0].from, "to", r[0].to, "consequence", r[0].consequence));
	}
	circuits_store(m, copy);
	*m->saved = *copy;
	free(copy);
	pending_update(m);
	master_event(m, SEV_INFO, ss->who, "circuit-removed", "circuit '%s' "
	    "removed by %s; it leaves at the next start", name, ss->who);
	{
		json_t	*j = json_pack("{s:s, s:b, s:o}", "result", "removed; "
		    "takes effect at the next start (restart the appliance)",
		    "restart_needed", m->restart_pending, "pending",
		    json_array());

		pending_list(m, json_object_get(j, "pending"));
		return answer_json(200, j);
	}
}

/* The running charger a saved one is (ids move at a decommission). */
static struct peer *
live_peer(struct master *m, const struct charger_conf *cc)
{
	for (int i = 0; i < m->npeers; i++) {
		struct peer *pe = &m->peers[i];

		if (strcmp(pe->cc->name, cc->name) == 0 &&
		    strcmp(pe->cc->host, cc->host) == 0 &&
		    pe->cc->port == cc->port && !pe->link.retiring)
			return pe;
	}
	return NULL;
}

/* A car at one of the charger's connectors (plugged in: pilot B, C or
 * D): how many, and a sentence naming them. */
static int
cars_at(const struct peer *pe, char *buf, size_t len)
{
	size_t	 o;
	int	 n = 0;

	o = (size_t)snprintf(buf, len, "%s has a car plugged in:", pe->cc->name);
	for (int k = 0; k < pe->link.nconn && o < len; k++) {
		const struct reg_conn *c = &pe->link.conn[k];

		if (!pe->link.online || (c->cp_state != CP_B &&
		    c->cp_state != CP_C && c->cp_state != CP_D))
			continue;
		n++;
		o += (size_t)snprintf(buf + o, len - o, "%s connector %d (%s, "
		    "%u.%02u kWh)", n > 1 ? "," : "", k + 1,
		    conn_state_name((enum conn_state)c->state),
		    c->session_wh / 1000, c->session_wh % 1000 / 10);
	}
	if (o < len)
		snprintf(buf + o, len - o, ": decommissioning ends its session "
		    "and leaves the charger paused; send stop=yes to go on");
	return n;
}

/*
 * A decommissioned charger still under control: each session under way
 * is stopped (recorded as "decommissioned"), it gets no more current,
 * and its fallback current is set to 0 before the master lets it go,
 * so that it takes nothing from the site once nobody shares the supply.
 */
static void
retire(struct master *m, struct peer *pe, const char *who)
{
	pe->link.retiring = true;
	for (int k = 0; k < pe->link.nconn; k++) {
		const struct reg_conn *c = &pe->link.conn[k];

		if (c->session_no == 0 || c->state == CS_AVAILABLE ||
		    c->state == CS_FAULT || c->state == CS_LOCKED)
			continue;
		(void)link_command(&pe->link, k, REGMAP_CMD_STOP);
		snprintf(pe->ask_who[k], sizeof(pe->ask_who[k]), "%s", who);
	}
	{
		uint64_t now = clock_now_ms();
		int	 idx = (int)(pe - m->peers);
		struct site_writes one = { &idx, 1 };

		master_write_now(m, site_allocate(&m->site, now), now);
		master_write_now(m, &one, now);
	}
}

/* Decommissioning: the charger leaves the configuration; those after it
 * move up one place. Its records (sessions, events) stay. */
char *
sa_charger_delete(struct master *m, void *ctx)
{
	struct sa_set *ss = ctx;
	struct master_config *copy;
	struct store_rec r = { .kind = STORE_CONFIG_DELETE };
	struct section_put sp = { m, NULL, ss->charger, NULL };
	struct peer *pe;
	int	 id = ss->charger, old;
	char	 name[MASTER_NAME_LEN], err[CFG_ERRLEN], cars[300];

	if (id < 1 || id > m->saved->ncharger)
		return answer_error(404, "", "no such charger");
	if ((pe = live_peer(m, &m->saved->charger[id - 1])) != NULL &&
	    !ss->stop && cars_at(pe, cars, sizeof(cars)) > 0) {
		return answer_json(409, json_pack("{s:s, s:s}", "error", cars,
		    "field", "stop"));
	}
	if ((copy = malloc(sizeof(*copy))) == NULL)
		return answer_error(503, "", "out of memory");
	*copy = *m->saved;
	old = copy->ncharger;
	snprintf(name, sizeof(name), "%s", copy->charger[id - 1].name);
	memmove(&copy->charger[id - 1], &copy->charger[id],
	    (size_t)(old - id) * sizeof(copy->charger[0]));
	memset(&copy->charger[old - 1], 0, sizeof(copy->charger[0]));
	if (master_config_finish(copy, err, sizeof(err)) != 0) {
		free(copy);
		return answer_error(400, "", err);
	}
	for (int k = id; k <= old; k++) {
		snprintf(r.u.cfg.section, sizeof(r.u.cfg.section), "charger%d",
		    k);
		store_put(m->store, &r);
	}
	master_config_each(copy, put_section, &sp);
	*m->saved = *copy;
	free(copy);
	pending_update(m);
	master_event(m, SEV_INFO, ss->who, "charger-removed", "charger '%s' "
	    "decommissioned by %s; it stays under control until a restart",
	    name, ss->who);
	if (pe != NULL)
		retire(m, pe, ss->who);
	return answer_json(200, json_pack("{s:s, s:b}", "result", pe != NULL ?
	    "removed: its sessions are stopped and its fallback current set "
	    "to 0 A (paused) now; it leaves at the next start" : "removed; "
	    "takes effect at the next start", "restart_needed", true));
}

/* Where a saved charger is, for the connection test. */
char *
sa_charger_addr(struct master *m, void *ctx)
{
	struct sa_set *ss = ctx;
	const struct charger_conf *cc;

	if (ss->charger < 1 || ss->charger > m->saved->ncharger)
		return answer_error(404, "", "no such charger");
	cc = &m->saved->charger[ss->charger - 1];
	return answer_json(200, json_pack("{s:s, s:s, s:i, s:i, s:i}", "name",
	    cc->name, "host", cc->host, "port", cc->port, "unit_id",
	    cc->unit_id, "connectors", cc->connectors));
}

char *
sa_command(struct master *m, void *ctx)
{
	struct sa_cmd *c = ctx;
	const struct site_writes *w;
	uint64_t now = clock_now_ms();
	char	*r = site_command(&m->site, c->who, c->line, now, &w, &c->ask);
	char	*out;

	master_write_now(m, w, now);
	if (r == NULL)
		return NULL;
	if (strncmp(r, "error: ", 7) == 0)
		out = answer_error(strstr(r, "expected a charger") ? 404 : 400,
		    "", r + 7);
	else if (strncmp(r, "refused: ", 9) == 0)
		out = answer_error(409, "", r + 9);
	else if (c->ask.seq != 0)
		out = answer(202, "{}");
	else
		out = answer_json(200, json_pack("{s:s}", "result", r));
	free(r);
	/* what the operator did shows at once */
	master_publish_status(m);
	return out;
}

/*
 * The charger's answer to a command of sa_command(): 202 while it has
 * not come, 200 done, 409 refused with the charger's reason (its
 * exception and what it said of the connector: link_refusal_why).
 */
char *
sa_answer(struct master *m, void *ctx)
{
	struct sa_cmd *c = ctx;
	const struct peer *pe;
	const struct link_ask *a;
	char	 what[64], why[160], msg[300];

	if (c->ask.peer < 0 || c->ask.peer >= m->npeers)
		return answer_error(404, "", "no such charger");
	pe = &m->peers[c->ask.peer];
	a = &pe->link.ask[c->ask.k];
	link_write_name((uint16_t)(REGMAP_CONN_BASE * (c->ask.k + 1) + 1),
	    a->cmd, what, sizeof(what));
	if (a->done < c->ask.seq) {
		if (pe->link.online)
			return answer(202, "{}");
		snprintf(msg, sizeof(msg), "%s went offline before it answered "
		    "(%s)", pe->cc->name, what);
		return answer_error(409, "", msg);
	}
	if (a->exc == 0)
		return answer_json(200, json_pack("{s:s}", "result", "done"));
	snprintf(msg, sizeof(msg), "%s refused %s: %s", pe->cc->name, what,
	    link_refusal_why((uint16_t)(REGMAP_CONN_BASE * (c->ask.k + 1) + 1),
	    a->cmd, a->exc, &a->conn, why, sizeof(why)));
	return answer_error(409, "", msg);
}

/* --- RFID whitelist ------------------------------------------------------ */

/*
 * A tag as the whitelist keeps it: readers and people write a card's UID
 * in different ways ("04:A1:B2:C3", "04-a1-b2-c3", "04A1B2C3"), so
 * separators (':', '-', '.', space) go and letters are upper case.
 * 0, or -1 when what is left is not 1-RFID_TAG_LEN letters or digits.
 */
int
rfid_normalise(const char *in, char *out, size_t outlen)
{
	size_t	 n = 0;

	for (; *in; in++) {
		unsigned char ch = (unsigned char)*in;

		if (ch == ':' || ch == '-' || ch == '.' || ch == ' ')
			continue;
		if (!isalnum(ch) || n >= RFID_TAG_LEN || n + 1 >= outlen)
			return -1;
		out[n++] = (char)toupper(ch);
	}
	out[n] = '\0';
	return n == 0 ? -1 : 0;
}

const struct rfid_entry *
rfid_lookup(const struct master *m, const char *tag)
{
	char	 t[RFID_TAG_LEN + 1];

	if (rfid_normalise(tag, t, sizeof(t)) != 0)
		return NULL;
	for (int i = 0; i < m->nrfid; i++)
		if (strcmp(m->rfid[i].tag, t) == 0)
			return &m->rfid[i];
	return NULL;
}

static int
rfid_row(void *arg, int n, const char *const *c)
{
	struct master *m = arg;
	struct rfid_entry *e;

	if (n != 4 || m->nrfid == RFID_MAX)
		return 0;
	e = &m->rfid[m->nrfid];
	/* rows of an earlier release may be in lower case */
	if (rfid_normalise(c[0], e->tag, sizeof(e->tag)) != 0 ||
	    rfid_lookup(m, e->tag) != NULL)
		return 0;
	m->nrfid++;
	snprintf(e->name, sizeof(e->name), "%s", c[1]);
	e->enabled = atoi(c[2]) != 0;
	e->valid_until_ms = strtoll(c[3], NULL, 10);
	return 0;
}

/* The whitelist, from the database (before its writer starts). */
void
rfid_load(struct master *m)
{
	m->nrfid = 0;
	(void)store_select(m->store, "SELECT tag, name, enabled, "
	    "valid_until_ms FROM rfid ORDER BY tag", rfid_row, m);
}

/* What a tag does now: "enabled", "disabled" or "expired" (the same
 * rule as the swipe's, site.c). */
const char *
rfid_status(const struct rfid_entry *e, int64_t wall_ms)
{
	if (!e->enabled)
		return "disabled";
	if (e->valid_until_ms > 0 && e->valid_until_ms <= wall_ms)
		return "expired";
	return "enabled";
}

char *
sa_rfid_list(struct master *m, void *ctx)
{
	json_t	*a = json_array();
	int64_t	 wall = clock_wall_ms();

	(void)ctx;
	for (int i = 0; i < m->nrfid; i++) {
		const struct rfid_entry *e = &m->rfid[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:s, s:o}",
		    "tag", e->tag, "name", e->name, "enabled", e->enabled,
		    "status", rfid_status(e, wall),
		    "valid_until_ms", e->valid_until_ms > 0 ?
		    json_integer(e->valid_until_ms) : json_null()));
	}
	return answer_json(200, json_pack("{s:o, s:s}", "tags", a,
	    "authorisation", m->conf->site.authorisation ? "rfid" : "free"));
}

char *
sa_rfid_put(struct master *m, void *ctx)
{
	struct sa_rfid *q = ctx;
	struct rfid_entry *e = (struct rfid_entry *)rfid_lookup(m, q->tag);
	struct store_rec r = { .kind = q->remove ? STORE_RFID_DELETE :
	    STORE_RFID };
	bool	 created = false;

	if (q->remove) {
		if (e == NULL)
			return answer_error(404, "tag", "no such tag");
		*e = m->rfid[--m->nrfid];
	} else {
		if (e != NULL && !q->replace) {
			char	 why[160];

			/* a second card given the same UID by mistake, or a
			 * typo, must not rename someone else's tag quietly */
			snprintf(why, sizeof(why), "tag %s is on the whitelist "
			    "already, as '%s': send \"replace\": true to "
			    "overwrite it", e->tag, e->name);
			return answer_error(409, "tag", why);
		}
		if (e == NULL) {
			if (m->nrfid == RFID_MAX)
				return answer_error(400, "tag", "the whitelist "
				    "is full (2000 tags)");
			e = &m->rfid[m->nrfid++];
			created = true;
		}
		snprintf(e->tag, sizeof(e->tag), "%s", q->tag);
		snprintf(e->name, sizeof(e->name), "%s", q->name);
		e->enabled = q->enabled;
		e->valid_until_ms = q->valid_until_ms;
	}
	snprintf(r.u.rfid.tag, sizeof(r.u.rfid.tag), "%s", q->tag);
	snprintf(r.u.rfid.name, sizeof(r.u.rfid.name), "%s", q->name);
	r.u.rfid.enabled = q->enabled;
	r.u.rfid.valid_until_ms = q->valid_until_ms;
	store_put(m->store, &r);
	master_event(m, SEV_INFO, q->who, "rfid", "RFID tag %s %s by %s",
	    q->tag, q->remove ? "removed" : created ? "added" : q->enabled ?
	    "changed" : "disabled", q->who);
	return answer_json(q->remove ? 200 : created ? 201 : 200,
	    json_pack("{s:s}", "result", "ok"));
}

/* --- the external limit ------------------------------------------------- */

static json_t *
extlimit_json(const struct site *s, uint64_t now)
{
	const struct ext_limit *e = &s->ext;

	if (!e->on)
		return json_null();
	return json_pack("{s:[f,f,f], s:I, s:s}", "limit",
	    e->limit_da[0] / 10.0, e->limit_da[1] / 10.0, e->limit_da[2] / 10.0,
	    "until", (json_int_t)(clock_wall_ms() + (int64_t)(e->until_ms -
	    now)), "by", e->by);
}

/*
 * Set, renewed or cleared (docs/api.md, "External limit"): the answer
 * says what is in force (capped at the site limit). A lower limit is
 * allocated at once, its cuts written out of turn.
 */
char *
sa_external_limit(struct master *m, void *ctx)
{
	struct sa_extlimit *q = ctx;
	struct site *s = &m->site;
	uint64_t now = clock_now_ms();
	bool	 had = true;

	if (q->clear)
		had = site_external_limit_clear(s, q->who);
	else
		site_external_limit_set(s, q->who, q->limit_da, q->valid_ms, now);
	master_write_now(m, site_allocate(s, now), now);
	master_publish_status(m);
	return answer_json(200, json_pack("{s:s, s:o, s:f}", "result",
	    q->clear ? had ? "cleared" : "none" : "ok", "external_limit",
	    extlimit_json(s, now), "site_limit",
	    s->cy.site.site_limit_da / 10.0));
}

/* --- Prometheus metrics -------------------------------------------------- */

static void
label(char *out, size_t len, const char *s)
{
	size_t	 o = 0;

	for (; *s && o + 3 < len; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n') {
			out[o++] = '\\';
			out[o++] = *s == '\n' ? 'n' : *s;
		} else
			out[o++] = *s;
	}
	out[o] = '\0';
}

/* The circuits' currents and meters, the demand window, the external
 * limit (docs/api.md, "Metrics"). */
/* One OCPP metric for each charge point: its link (1: accepted by the
 * CSMS) or its transaction messages waiting. */
static void
metrics_ocpp_one(FILE *fp, const struct master *m, const char *metric,
    const char *help, bool queued)
{
	struct snap_ocpp o;
	char	 name[80];

	fprintf(fp, "# HELP %s %s\n# TYPE %s gauge\n", metric, help, metric);
	for (int i = 0; i < m->npeers; i++)
		if (ocppview_charger(m, i, &o)) {
			label(name, sizeof(name), m->peers[i].cc->name);
			fprintf(fp, "%s{charger=\"%s\"} %d\n", metric, name,
			    queued ? o.queued : ocppview_accepted(&o) ? 1 : 0);
		}
}

/* Each charge point's link to the CSMS and its messages waiting (none
 * while OCPP is off). */
static void
metrics_ocpp(FILE *fp, const struct master *m)
{
	if (!m->conf->ocpp.enabled)
		return;
	metrics_ocpp_one(fp, m, "evgroup_ocpp_link", "1 when the charger's "
	    "charge point is connected and accepted by the CSMS.", false);
	metrics_ocpp_one(fp, m, "evgroup_ocpp_queued_messages", "Transaction "
	    "messages waiting for the CSMS.", true);
}

static void
metrics_circuits(FILE *fp, const struct site *s)
{
	static const char *const kinds[] = { "limit", "available", "used",
	    "measured", "building" };
	char	 name[80];
	int64_t	 wall = clock_wall_ms();

	fprintf(fp, "# HELP evgroup_circuit_current_amperes A circuit's "
	    "current per phase: its limit, what its chargers may take, what "
	    "they are counted at, what its meter measures, its load other "
	    "than its chargers.\n"
	    "# TYPE evgroup_circuit_current_amperes gauge\n");
	for (int k = 0; k < s->ncirc; k++) {
		int32_t	 v[5][EVG_PHASES];
		bool	 meas = site_circuit_measured(s, k + 1, v[3], v[4]);

		label(name, sizeof(name), s->circ[k].name);
		for (int p = 0; p < EVG_PHASES; p++) {
			v[0][p] = s->acirc[k].limit_da;
			v[1][p] = s->cy.out.c_hard_da[k + 1][p];
			v[2][p] = s->cy.out.c_used_da[k + 1][p];
		}
		for (int j = 0; j < (meas ? 5 : 3); j++)
			for (int p = 0; p < EVG_PHASES; p++)
				fprintf(fp, "evgroup_circuit_current_amperes{"
				    "circuit=\"%s\",phase=\"L%d\",kind=\"%s\"} "
				    "%.1f\n", name, p + 1, kinds[j], v[j][p] / 10.0);
	}
	fprintf(fp, "# HELP evgroup_circuit_meter_online 1 when the circuit's "
	    "meter answers.\n# TYPE evgroup_circuit_meter_online gauge\n");
	for (int k = 0; k < s->ncirc; k++)
		if (s->acirc[k].metered) {
			label(name, sizeof(name), s->circ[k].name);
			fprintf(fp, "evgroup_circuit_meter_online{circuit=\"%s\"} "
			    "%d\n", name, s->acirc[k].meter_online ? 1 : 0);
		}
	if (s->m->conf->demand.enabled)
		fprintf(fp, "# HELP evgroup_demand_average_kilowatts The "
		    "average power so far in the demand window (kW or kVA).\n"
		    "# TYPE evgroup_demand_average_kilowatts gauge\n"
		    "evgroup_demand_average_kilowatts %.1f\n"
		    "# HELP evgroup_demand_projected_kilowatts The window's "
		    "average at its end if the present power holds.\n"
		    "# TYPE evgroup_demand_projected_kilowatts gauge\n"
		    "evgroup_demand_projected_kilowatts %.1f\n"
		    "# HELP evgroup_demand_target_kilowatts The demand target.\n"
		    "# TYPE evgroup_demand_target_kilowatts gauge\n"
		    "evgroup_demand_target_kilowatts %.1f\n",
		    demand_average_w(&s->demand, wall) / 1000.0,
		    demand_projected_w(&s->demand, &s->dconf, wall) / 1000.0,
		    s->dconf.target_w / 1000.0);
	fprintf(fp, "# HELP evgroup_external_limit_amperes The limit set from "
	    "outside per phase at the supply (none: no sample).\n"
	    "# TYPE evgroup_external_limit_amperes gauge\n");
	for (int p = 0; s->ext.on && p < EVG_PHASES; p++)
		fprintf(fp, "evgroup_external_limit_amperes{phase=\"L%d\"} "
		    "%.1f\n", p + 1, s->ext.limit_da[p] / 10.0);
}

/* The OCPP charging profiles' cap in force per connector (none: no
 * sample). */
static void
metrics_ocpp_cap(FILE *fp, const struct master *m)
{
	const struct site *s = &m->site;
	char	 name[80];

	fprintf(fp, "# HELP evgroup_connector_ocpp_cap_amperes The cap of "
	    "the CSMS's charging profiles in force (none: no sample).\n"
	    "# TYPE evgroup_connector_ocpp_cap_amperes gauge\n");
	for (size_t i = 0; i < s->n; i++) {
		if (!s->op[i].capped)
			continue;
		label(name, sizeof(name), m->peers[s->slot[i].peer].cc->name);
		fprintf(fp, "evgroup_connector_ocpp_cap_amperes{charger=\"%s\","
		    "connector=\"%d\"} %.1f\n", name, s->slot[i].k + 1,
		    s->op[i].cap_da / 10.0);
	}
}

char *
sa_metrics(struct master *m, void *ctx)
{
	const struct site *s = &m->site;
	char	*buf = NULL, name[80];
	size_t	 len = 0;
	FILE	*fp = open_memstream(&buf, &len);
	char	*out;

	(void)ctx;
	if (fp == NULL)
		return NULL;
	fprintf(fp, "# HELP evgroup_phase_current_amperes Current at the "
	    "supply per phase (meter).\n"
	    "# TYPE evgroup_phase_current_amperes gauge\n");
	for (int p = 0; p < EVG_PHASES; p++)
		fprintf(fp, "evgroup_phase_current_amperes{phase=\"L%d\"} %.1f\n",
		    p + 1, s->cy.site.clamp_da[p] / 10.0);
	fprintf(fp, "# HELP evgroup_phase_available_amperes What the chargers "
	    "may take per phase now.\n"
	    "# TYPE evgroup_phase_available_amperes gauge\n");
	for (int p = 0; p < EVG_PHASES; p++)
		fprintf(fp, "evgroup_phase_available_amperes{phase=\"L%d\"} "
		    "%.1f\n", p + 1, s->cy.out.hard_da[p] / 10.0);
	fprintf(fp, "# HELP evgroup_phase_non_ev_amperes The building's own "
	    "load per phase.\n# TYPE evgroup_phase_non_ev_amperes gauge\n");
	for (int p = 0; p < EVG_PHASES; p++)
		fprintf(fp, "evgroup_phase_non_ev_amperes{phase=\"L%d\"} %.1f\n",
		    p + 1, s->cy.out.nonev_da[p] / 10.0);
	fprintf(fp, "# HELP evgroup_meter_online 1 when the meter answers.\n"
	    "# TYPE evgroup_meter_online gauge\nevgroup_meter_online %d\n",
	    s->cy.site.meter_online ? 1 : 0);
	metrics_circuits(fp, s);
	fprintf(fp, "# HELP evgroup_allocations_total Allocations run.\n"
	    "# TYPE evgroup_allocations_total counter\n"
	    "evgroup_allocations_total %llu\n",
	    (unsigned long long)s->cy.cycles);
	fprintf(fp, "# HELP evgroup_charger_online 1 when the charger "
	    "answers.\n# TYPE evgroup_charger_online gauge\n");
	for (int i = 0; i < m->npeers; i++) {
		label(name, sizeof(name), m->peers[i].cc->name);
		fprintf(fp, "evgroup_charger_online{charger=\"%s\"} %d\n", name,
		    m->peers[i].link.online ? 1 : 0);
	}
	metrics_ocpp_cap(fp, m);
	static const struct { const char *n, *help, *type; } cm[] = {
		{ "evgroup_connector_offer_amperes", "What the connector "
		    "offers the car (PWM).", "gauge" },
		{ "evgroup_connector_setpoint_amperes", "What the master "
		    "allows the connector.", "gauge" },
		{ "evgroup_connector_current_amperes", "What the car draws, "
		    "per phase.", "gauge" },
		{ "evgroup_connector_session_energy_wh", "Energy of the "
		    "session in progress.", "gauge" },
		{ "evgroup_connector_energy_wh_total", "Energy delivered by "
		    "the connector, ever.", "counter" },
		{ "evgroup_connector_sessions_total", "Sessions started at "
		    "the connector (its counter).", "counter" },
	};
	for (size_t c = 0; c < sizeof(cm) / sizeof(cm[0]); c++) {
		fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", cm[c].n, cm[c].help,
		    cm[c].n, cm[c].type);
		for (size_t i = 0; i < s->n; i++) {
			const struct peer *pe = &m->peers[s->slot[i].peer];
			const struct reg_conn *rc = &pe->link.conn[s->slot[i].k];

			label(name, sizeof(name), pe->cc->name);
			if (c == 2) {
				for (int p = 0; p < EVG_PHASES; p++)
					fprintf(fp, "%s{charger=\"%s\",connector="
					    "\"%d\",phase=\"L%d\"} %.1f\n",
					    cm[c].n, name, s->slot[i].k + 1, p + 1,
					    s->cy.ac[i].draw_da[p] / 10.0);
				continue;
			}
			fprintf(fp, "%s{charger=\"%s\",connector=\"%d\"} ", cm[c].n,
			    name, s->slot[i].k + 1);
			if (c == 0)
				fprintf(fp, "%.1f\n", rc->offer_da / 10.0);
			else if (c == 1)
				fprintf(fp, "%.1f\n", s->cy.plan[i].setpoint_da /
				    10.0);
			else if (c == 3)
				fprintf(fp, "%u\n", rc->session_wh);
			else if (c == 4)
				fprintf(fp, "%u\n", rc->total_wh);
			else
				fprintf(fp, "%u\n", rc->session_no);
		}
	}
	metrics_ocpp(fp, m);
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	out = answer(200, "%s", buf);
	free(buf);
	return out;
}

char *
sa_event(struct master *m, void *ctx)
{
	struct sa_event *e = ctx;

	master_event(m, e->severity, e->source, e->code, "%s", e->text);
	return answer(200, "{}");
}

char *
sa_restart(struct master *m, void *ctx)
{
	const char *who = ctx;

	master_event(m, SEV_INFO, who, "restart", "restart asked by %s", who);
	master_restart(m);
	return answer_json(202, json_pack("{s:s}", "result", "restarting"));
}

/* --- active alarms ------------------------------------------------------- */

static json_t *
alarm_json(const struct alarm *a)
{
	json_t	*j = json_pack("{s:i, s:s, s:s, s:i, s:s, s:b}", "severity",
	    a->severity, "code", a->code, "source", a->source, "connector",
	    a->connector, "text", a->text, "acknowledged", a->ack_by[0] != '\0');

	json_object_set_new(j, "since_ms", a->since_ms > 0 ?
	    json_integer(a->since_ms) : json_null());
	json_object_set_new(j, "ack_by", a->ack_by[0] ? json_string(a->ack_by) :
	    json_null());
	json_object_set_new(j, "ack_ms", a->ack_by[0] ?
	    json_integer(a->ack_ms) : json_null());
	return j;
}

/* What is wrong now, the unacknowledged first (GET /api/alarms). */
char *
sa_alarms(struct master *m, void *ctx)
{
	struct alarm *a = malloc(ALARM_BOOK_MAX * sizeof(*a));
	json_t	*arr = json_array();
	int	 n;

	(void)ctx;
	if (a == NULL || m->book == NULL) {
		free(a);
		json_decref(arr);
		return answer_error(503, NULL, "no alarms yet");
	}
	n = alarmbook_list(m->book, a, ALARM_BOOK_MAX);
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, alarm_json(&a[i]));
	free(a);
	return answer_json(200, json_pack("{s:o, s:i}", "active", arr, "total",
	    n + m->book->untracked));
}

char *
sa_alarm_ack(struct master *m, void *ctx)
{
	struct sa_alarm_ack *q = ctx;
	struct store_rec r = { .kind = STORE_ALARM_ACK };
	struct alarm a;
	char	 msg[200];
	int	 rc;

	if (m->book == NULL)
		return answer_error(503, NULL, "no alarms yet");
	rc = alarmbook_ack(m->book, q->code, q->source, q->connector, q->who,
	    clock_wall_ms(), &a);
	if (rc == -ENOENT) {
		snprintf(msg, sizeof(msg), "no such active alarm: %s of %s, "
		    "connector %d (it may have cleared: see GET /api/alarms)",
		    q->code, q->source, q->connector);
		return answer_error(404, NULL, msg);
	}
	if (rc == -EALREADY)
		return answer_json(409, json_pack("{s:s, s:o}", "error",
		    "acknowledged already", "alarm", alarm_json(&a)));
	snprintf(r.u.al.code, sizeof(r.u.al.code), "%s", a.code);
	snprintf(r.u.al.source, sizeof(r.u.al.source), "%s", a.source);
	r.u.al.connector = a.connector;
	snprintf(r.u.al.by, sizeof(r.u.al.by), "%s", a.ack_by);
	r.u.al.ack_ms = a.ack_ms;
	store_put(m->store, &r);
	master_event(m, SEV_INFO, q->who, "alarm-ack", "%s acknowledged the "
	    "alarm: %s", q->who, a.text);
	master_publish_status(m);
	return answer_json(200, json_pack("{s:s, s:o}", "result",
	    "acknowledged", "alarm", alarm_json(&a)));
}

/* The webhook's settings in force, for a test sent from the API's
 * thread (never answered to a client as they are: the token). */
char *
sa_hook_conf(struct master *m, void *ctx)
{
	(void)ctx;
	return answer_json(200, json_pack("{s:s, s:s, s:s}", "url",
	    m->conf->alarms.webhook_url, "token", m->conf->alarms.webhook_token,
	    "site", m->conf->site.name));
}
