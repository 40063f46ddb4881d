/*
 * api.c: the JSON API: routes, roles, CSRF, input rules, answers. Runs
 * in the web server's threads; what touches the site goes through
 * web_call into the loop (siteapi.c). docs/api.md documents each call.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <modbus.h>
#include <sqlite3.h>

#include "api.h"
#include "apidb.h"
#include "clock.h"
#include "master.h"
#include "regmap.h"
#include "report.h"
#include "reportdb.h"
#include "siteapi.h"
#include "strnum.h"
#include "testsite.h"
#include "text.h"

#define API_MAX_SEGS	8
#define API_DAY_MS	(24LL * 3600 * 1000)
#define API_ROWS_MAX	10000
#define API_TEST_TIMEOUT_MS	2000

/* "%.*s" arguments: at most max bytes of s, cut between characters */
#define CUT(s, max)	(int)utf8_trunc((s), (max)), (s)

struct ctx {
	struct web		*w;
	const struct api_req	*rq;
	const char		*method;	/* HEAD is GET */
	struct api_resp		*rs;
	char			 segbuf[256];
	const char		*seg[API_MAX_SEGS];
	int			 nseg;
	bool			 logged_in;
	struct auth_session	 s;
	json_t			*body;
};

/* --- answers ------------------------------------------------------------- */

static void
reply(struct ctx *c, int status, const char *type, char *body, size_t len)
{
	c->rs->status = status;
	c->rs->kind = API_BODY;
	c->rs->type = type;
	free(c->rs->body);
	c->rs->body = body;
	c->rs->len = len;
}

static void
reply_json(struct ctx *c, int status, json_t *j)
{
	char	*t = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6)) :
	    NULL;

	json_decref(j);
	if (t == NULL)
		t = strdup("{}");
	reply(c, status, "application/json", t, t ? strlen(t) : 0);
}

static void
reply_error(struct ctx *c, int status, const char *field, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
reply_error(struct ctx *c, int status, const char *field, const char *fmt, ...)
{
	char	 raw[400], msg[400];
	va_list	 ap;
	json_t	*j;

	/* it quotes the request: escaped, or jansson refuses a byte that is
	 * not UTF-8 and the answer loses its message */
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	text_escape(msg, sizeof(msg), raw);
	j = json_pack("{s:s}", "error", msg);
	if (field != NULL)
		json_object_set_new(j, "field", json_string(field));
	reply_json(c, status, j);
}

/* A loop answer, "NNN body", as the reply. */
static void
reply_loop(struct ctx *c, char *r, const char *type)
{
	long	 st;
	char	 num[4];

	if (r == NULL || strlen(r) < 4) {
		free(r);
		reply_error(c, 503, NULL, "the controller is stopping");
		return;
	}
	memcpy(num, r, 3);
	num[3] = '\0';
	if (strnum_long(num, 100, 599, &st) != 0)
		st = 500;
	memmove(r, r + 4, strlen(r + 4) + 1);
	reply(c, (int)st, type, r, strlen(r));
}

static void
reply_call(struct ctx *c, web_loop_fn fn, void *arg)
{
	reply_loop(c, web_call(c->w, fn, arg), "application/json");
}

/* --- request helpers ----------------------------------------------------- */

static const char *
arg(const struct ctx *c, const char *name)
{
	for (int i = 0; i < c->rq->nargs; i++)
		if (strcmp(c->rq->args[i].k, name) == 0)
			return c->rq->args[i].v;
	return NULL;
}

/* The JSON object of the body; false (answered) when it is not one. */
static bool
body_object(struct ctx *c)
{
	json_error_t e;

	if (c->body != NULL)
		return true;
	c->body = json_loadb(c->rq->body, c->rq->body_len,
	    JSON_REJECT_DUPLICATES, &e);
	if (c->body == NULL) {
		reply_error(c, 400, NULL, "malformed JSON: line %d: %s", e.line,
		    e.text);
		return false;
	}
	if (!json_is_object(c->body)) {
		reply_error(c, 400, NULL, "expected a JSON object");
		return false;
	}
	return true;
}

/* A string member of the body, or NULL (answered 400) when missing or
 * not a string of at most max characters. */
static const char *
body_str(struct ctx *c, const char *name, size_t max, bool required)
{
	json_t	*v = json_object_get(c->body, name);

	if (v == NULL && !required)
		return "";
	if (!json_is_string(v)) {
		reply_error(c, 400, name, "%s: %s a string", name, v == NULL ?
		    "required," : "must be");
		return NULL;
	}
	if (strlen(json_string_value(v)) > max ||
	    json_string_length(v) != strlen(json_string_value(v))) {
		reply_error(c, 400, name, "%s: at most %zu characters", name,
		    max);
		return NULL;
	}
	return json_string_value(v);
}

/* A setting's value in config-file syntax: strings as they are, numbers,
 * true/false as yes/no. */
static int
setting_text(json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return snprintf(buf, len, "%s", json_string_value(v)) <
		    (int)len ? 0 : -1;
	if (json_is_integer(v))
		return snprintf(buf, len, "%lld", (long long)
		    json_integer_value(v)) < (int)len ? 0 : -1;
	if (json_is_real(v))
		return snprintf(buf, len, "%.10g", json_real_value(v)) <
		    (int)len ? 0 : -1;
	if (json_is_boolean(v))
		return snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no"),
		    0;
	return -1;
}

struct setbuf {
	struct sa_set	 set;
	char		 val[SITEAPI_MAX_SETS][300];
	char		 field[80];
	char		 sec[24];	/* id_settings() */
};

/* The body's "confirm": true when the installer has seen the figures of
 * a raise (docs/api.md, "Raising a limit"). */
static bool
confirm_member(struct ctx *c, struct setbuf *sb, json_t *v)
{
	if (!json_is_boolean(v)) {
		reply_error(c, 400, "confirm", "confirm: must be true or false");
		return false;
	}
	sb->set.confirm = json_is_true(v);
	return true;
}

/* Adds obj's members as settings of section (NULL: the loop fills it). */
static bool
add_settings(struct ctx *c, struct setbuf *sb, const char *section,
    json_t *obj)
{
	const char *k;
	json_t	*v;

	json_object_foreach(obj, k, v) {
		int	 i = sb->set.n;

		if (obj == c->body && strcmp(k, "confirm") == 0) {
			if (!confirm_member(c, sb, v))
				return false;
			continue;
		}
		snprintf(sb->field, sizeof(sb->field), "%s.%s", section ?
		    section : "charger", k);
		if (i == SITEAPI_MAX_SETS) {
			reply_error(c, 400, NULL, "at most %d settings at once",
			    SITEAPI_MAX_SETS);
			return false;
		}
		if (strlen(k) >= 32 || setting_text(v, sb->val[i],
		    sizeof(sb->val[i])) != 0) {
			reply_error(c, 400, sb->field, "%s: must be a string, a "
			    "number, or true/false", sb->field);
			return false;
		}
		sb->set.section[i] = section;
		sb->set.key[i] = k;
		sb->set.value[i] = sb->val[i];
		sb->set.n++;
	}
	return true;
}

/* The body's settings of section what+id (0: a new one, its section
 * named by the loop); false (answered) when there are none. */
static bool
id_settings(struct ctx *c, struct setbuf *sb, const char *what, long id)
{
	snprintf(sb->sec, sizeof(sb->sec), "%s%ld", what, id);
	if (!body_object(c) || !add_settings(c, sb, id ? sb->sec : NULL,
	    c->body))
		return false;
	if (sb->set.n == 0) {
		reply_error(c, 400, NULL, "no settings given");
		return false;
	}
	return true;
}

static bool
parse_id(struct ctx *c, const char *s, long max, const char *what, long *out)
{
	if (strnum_long(s, 1, max, out) != 0) {
		reply_error(c, 404, NULL, "no such %s: '%.*s'", what,
		    CUT(s, 40));
		return false;
	}
	return true;
}

static bool
time_arg(struct ctx *c, const char *name, int64_t def, int64_t *out)
{
	const char *v = arg(c, name);
	long	 n;

	*out = def;
	if (v == NULL || v[0] == '\0')
		return true;
	if (strnum_long(v, 0, 32503680000000L, &n) != 0) {
		reply_error(c, 400, name, "%s: must be a time in milliseconds "
		    "since 1970-01-01 UTC", name);
		return false;
	}
	*out = n;
	return true;
}

static bool
range_args(struct ctx *c, struct apidb_q *q, int64_t span)
{
	int64_t	 now = (int64_t)time(NULL) * 1000;
	const char *lim = arg(c, "limit");
	long	 n = 1000;

	if (!time_arg(c, "to", now + 60000, &q->to_ms) ||
	    !time_arg(c, "from", q->to_ms - span, &q->from_ms))
		return false;
	if (q->from_ms > q->to_ms) {
		reply_error(c, 400, "from", "from: must not be after to");
		return false;
	}
	if (lim != NULL && strnum_long(lim, 1, API_ROWS_MAX, &n) != 0) {
		reply_error(c, 400, "limit", "limit: must be 1-%d",
		    API_ROWS_MAX);
		return false;
	}
	q->limit = (int)n;
	q->charger = arg(c, "charger") ? arg(c, "charger") : "";
	return true;
}

/* The sessions' and the energy's own filters: connector, tag. */
static bool
session_filter(struct ctx *c, struct apidb_q *q)
{
	const char *k = arg(c, "connector"), *t = arg(c, "tag");
	long	 n;

	if (k != NULL && k[0] != '\0') {
		if (strnum_long(k, 1, REGMAP_MAX_CONN, &n) != 0) {
			reply_error(c, 400, "connector", "connector: must be "
			    "1-%d", REGMAP_MAX_CONN);
			return false;
		}
		q->connector = (int)n;
	}
	if (t != NULL && t[0] != '\0' &&
	    rfid_normalise(t, q->tag, sizeof(q->tag)) != 0) {
		reply_error(c, 400, "tag", "tag: must be 1-%d letters or "
		    "digits (':', '-', '.' and spaces between them are "
		    "ignored)", RFID_TAG_LEN);
		return false;
	}
	return true;
}

/* A query of the records on the API's own connection. */
static bool
db_ready(struct ctx *c)
{
	if (c->w->db == NULL) {
		reply_error(c, 503, NULL, "no database (site.database is not "
		    "set, or cannot be read)");
		return false;
	}
	uv_mutex_lock(&c->w->dbmu);
	return true;
}

static void
db_done(struct ctx *c)
{
	uv_mutex_unlock(&c->w->dbmu);
}

static void
loop_event(struct ctx *c, int sev, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
loop_event(struct ctx *c, int sev, const char *code, const char *fmt, ...)
{
	char	 text[1024];	/* master_event cuts and escapes it */
	struct sa_event e = { sev, c->logged_in ? c->s.user : "web", code,
	    text };
	va_list	 ap;

	va_start(ap, fmt);
	if (vsnprintf(text, sizeof(text), fmt, ap) >= (int)sizeof(text))
		text[utf8_trunc(text, sizeof(text))] = '\0';
	va_end(ap);
	free(web_call(c->w, sa_event, &e));
}

static void
store_user(struct ctx *c, const struct auth_user *u, bool remove)
{
	struct store_rec r = { .kind = remove ? STORE_USER_DELETE :
	    STORE_USER };

	snprintf(r.u.user.name, sizeof(r.u.user.name), "%s", u->name);
	r.u.user.role = u->role;
	r.u.user.must_change = u->must_change;
	snprintf(r.u.user.hash, sizeof(r.u.user.hash), "%s", u->hash);
	store_put(c->w->m->store, &r);
}

/* After a login: the user's hash made again if it predates the hashing
 * settings in force (auth_upgrade), and stored. */
static void
upgrade_hash(struct ctx *c, const char *user, const char *pw)
{
	struct auth_user u;

	if (auth_upgrade(&c->w->auth, user, pw, &u) == 1)
		store_user(c, &u, false);
}

static void
set_cookie(struct ctx *c, const char *token, bool clear)
{
	snprintf(c->rs->cookie, sizeof(c->rs->cookie), "evg_session=%s; "
	    "Path=/; HttpOnly; SameSite=Strict%s%s", token, clear ?
	    "; Max-Age=0" : "", c->w->tls ? "; Secure" : "");
}

static json_t *
session_json(const struct auth_session *s)
{
	return json_pack("{s:s, s:s, s:s, s:b}", "user", s->user, "role",
	    auth_role_name(s->role), "csrf", s->csrf, "must_change",
	    s->must_change);
}

/* --- handlers ------------------------------------------------------------ */

static void
h_login(struct ctx *c)
{
	const char *user, *pw;
	struct auth_session s;
	uint64_t retry = 0;
	int	 rc;

	if (!body_object(c) || (user = body_str(c, "user", 64, true)) == NULL ||
	    (pw = body_str(c, "password", AUTH_PASSWORD_MAX, true)) == NULL)
		return;
	rc = auth_login(&c->w->auth, c->rq->addr, user, pw, c->rq->now_ms, &s,
	    &retry);
	if (rc == AUTH_LIMITED) {
		c->rs->retry_after = (int)((retry + 999) / 1000);
		reply_error(c, 429, NULL, "too many failed logins from %s: try "
		    "again in %d s", c->rq->addr, c->rs->retry_after);
		return;
	}
	if (rc != AUTH_OK) {
		char	 name[AUTH_NAME_LEN + 1];

		/* the address first, and the name escaped before it is cut
		 * (a name of control characters grows fourfold escaped):
		 * no name pushes the address out of the record */
		text_escape(name, sizeof(name), user);
		loop_event(c, SEV_WARNING, "login-failed", "failed login from "
		    "%s as '%s'", c->rq->addr, name);
		reply_error(c, 401, NULL, "wrong user name or password");
		return;
	}
	c->logged_in = true;
	c->s = s;
	upgrade_hash(c, s.user, pw);
	loop_event(c, SEV_INFO, "login", "%s (%s) logged in from %s", s.user,
	    auth_role_name(s.role), c->rq->addr);
	set_cookie(c, s.token, false);
	reply_json(c, 200, session_json(&s));
}

static void
h_logout(struct ctx *c)
{
	auth_logout(&c->w->auth, c->s.token);
	set_cookie(c, "", true);
	reply_json(c, 200, json_pack("{s:s}", "result", "logged out"));
}

static void
h_session(struct ctx *c)
{
	reply_json(c, 200, session_json(&c->s));
}

static void
h_password(struct ctx *c)
{
	const char *old, *pw;
	char	 why[120];
	struct auth_user u;
	uint64_t retry = 0;
	int	 rc;

	if (!body_object(c) || (old = body_str(c, "old", AUTH_PASSWORD_MAX,
	    true)) == NULL || (pw = body_str(c, "new", 1024, true)) == NULL)
		return;
	if (auth_check_password(c->s.user, pw, why, sizeof(why)) != 0) {
		reply_error(c, 400, "new", "new: %s", why);
		return;
	}
	/* the current password is guessed no faster than at the login */
	rc = auth_check_current(&c->w->auth, c->rq->addr, c->s.user, old,
	    c->rq->now_ms, &retry);
	if (rc == AUTH_LIMITED) {
		auth_logout(&c->w->auth, c->s.token);
		set_cookie(c, "", true);
		c->rs->retry_after = (int)((retry + 999) / 1000);
		reply_error(c, 429, "old", "too many wrong passwords from %s: "
		    "logged out; try again in %d s", c->rq->addr,
		    c->rs->retry_after);
		return;
	}
	if (rc == AUTH_BAD) {
		reply_error(c, 403, "old", "old: not the current password");
		return;
	}
	rc = auth_set_password(&c->w->auth, c->s.user, old, pw, true,
	    c->s.token, &u);
	if (rc == AUTH_BAD) {
		reply_error(c, 403, "old", "old: not the current password");
		return;
	}
	if (rc != 0) {
		reply_error(c, 503, NULL, "cannot change the password now");
		return;
	}
	store_user(c, &u, false);
	loop_event(c, SEV_INFO, "password", "%s changed their password",
	    c->s.user);
	reply_json(c, 200, json_pack("{s:s}", "result", "password changed"));
}

static void
h_status(struct ctx *c)
{
	struct web_buf *b = web_status_ref(c->w);

	if (b == NULL) {
		reply_error(c, 503, NULL, "starting: no status yet");
		return;
	}
	if (c->s.role == ROLE_BMS) {
		/* A building management system gets the site's figures, not
		 * who did what: no events (logins, names, addresses), no
		 * alarms' acknowledgements, no RFID tags, no reason texts
		 * naming an operator (the codes stay). */
		json_t	*j = json_loadb(b->data + b->body, b->body_len, 0, NULL),
			*conn;
		size_t	 i;

		web_unref(c->w, b);
		if (j == NULL) {
			reply_error(c, 500, NULL, "status unreadable");
			return;
		}
		json_object_del(j, "events");
		json_object_del(j, "alarms");
		json_array_foreach(json_object_get(j, "connectors"), i, conn) {
			json_object_del(conn, "tag");
			json_object_del(conn, "reason_text");
		}
		reply_json(c, 200, j);
		return;
	}
	web_unref(c->w, b);
	c->rs->status = 200;
	c->rs->kind = API_STATUS;
}

static void
h_stream(struct ctx *c)
{
	c->rs->status = 200;
	c->rs->kind = API_STREAM;
}

static void
h_config_get(struct ctx *c)
{
	char	*r = web_call(c->w, sa_config_get, NULL);
	json_t	*j, *sec;

	if (c->nseg == 2 || r == NULL) {
		reply_loop(c, r, "application/json");
		return;
	}
	/* one section */
	j = json_loads(r + 4, 0, NULL);
	free(r);
	sec = json_object_get(json_object_get(j, "config"), c->seg[2]);
	if (sec == NULL)
		reply_error(c, 404, NULL, "no such section: '%.*s'",
		    CUT(c->seg[2], 40));
	else
		reply_json(c, 200, json_incref(sec));
	json_decref(j);
}

static void
h_config_put(struct ctx *c)
{
	struct setbuf *sb = calloc(1, sizeof(*sb));
	const char *section;
	json_t	*v;

	if (sb == NULL) {
		reply_error(c, 503, NULL, "out of memory");
		return;
	}
	sb->set.who = c->s.user;
	if (!body_object(c))
		goto out;
	if (c->nseg == 3) {
		if (!add_settings(c, sb, c->seg[2], c->body))
			goto out;
	} else
		json_object_foreach(c->body, section, v) {
			if (strcmp(section, "confirm") == 0) {
				if (!confirm_member(c, sb, v))
					goto out;
				continue;
			}
			if (!json_is_object(v)) {
				reply_error(c, 400, section, "%s: expected an "
				    "object of settings", section);
				goto out;
			}
			if (!add_settings(c, sb, section, v))
				goto out;
		}
	if (sb->set.n == 0) {
		reply_error(c, 400, NULL, "no settings given");
		goto out;
	}
	reply_call(c, sa_config_put, &sb->set);
out:
	free(sb);
}

static void
h_chargers_get(struct ctx *c)
{
	char	*r = web_call(c->w, sa_config_get, NULL);
	json_t	*j, *cfg, *a = json_array(), *v;
	const char *k;

	if (r == NULL) {
		json_decref(a);
		reply_loop(c, r, NULL);
		return;
	}
	j = json_loads(r + 4, 0, NULL);
	free(r);
	cfg = json_object_get(j, "config");
	for (int id = 1; id <= MASTER_MAX_CHARGERS; id++) {
		char	 sec[24];

		snprintf(sec, sizeof(sec), "charger%d", id);
		if ((v = json_object_get(cfg, sec)) == NULL)
			break;
		v = json_deep_copy(v);
		json_object_set_new(v, "id", json_integer(id));
		json_array_append_new(a, v);
	}
	(void)k;
	reply_json(c, 200, json_pack("{s:o, s:O}", "chargers", a,
	    "restart_needed", json_object_get(j, "restart_needed")));
	json_decref(j);
}

/* The settings of /api/{what}s[/{id}] (id 0: none given); NULL when
 * answered (no memory, no such id). */
static struct setbuf *
setbuf_new(struct ctx *c, const char *what, long max, long *id)
{
	struct setbuf *sb = calloc(1, sizeof(*sb));

	if (sb == NULL) {
		reply_error(c, 503, NULL, "out of memory");
		return NULL;
	}
	sb->set.who = c->s.user;
	if (c->nseg == 3 && !parse_id(c, c->seg[2], max, what, id)) {
		free(sb);
		return NULL;
	}
	return sb;
}

static void
h_charger_set(struct ctx *c)
{
	struct setbuf *sb;
	long	 id = 0;

	if ((sb = setbuf_new(c, "charger", MASTER_MAX_CHARGERS, &id)) == NULL)
		return;
	if (!id_settings(c, sb, "charger", id))
		goto out;
	if (id == 0 && json_object_get(c->body, "host") == NULL) {
		reply_error(c, 400, "host", "host: required, the charger's IPv4 "
		    "address");
		goto out;
	}
	reply_call(c, id ? sa_config_put : sa_charger_add, &sb->set);
out:
	free(sb);
}

static void
h_charger_delete(struct ctx *c)
{
	struct sa_set set = { .who = c->s.user };
	long	 id;

	if (!parse_id(c, c->seg[2], MASTER_MAX_CHARGERS, "charger", &id))
		return;
	set.charger = (int)id;
	/* a car charging there: its session ends only when asked to */
	set.stop = arg(c, "stop") != NULL && strcmp(arg(c, "stop"), "yes") == 0;
	reply_call(c, sa_charger_delete, &set);
}

/*
 * Circuits: GET the tree; POST adds one, PUT /api/circuits/{id} edits
 * it (its settings, by the same rules and confirmation as the others),
 * DELETE removes it (a raise: ?confirm=yes or {"confirm": true}).
 */
static void
h_circuits(struct ctx *c)
{
	struct setbuf *sb;
	long	 id = 0;

	if (strcmp(c->method, "GET") == 0) {
		reply_call(c, sa_circuits_get, NULL);
		return;
	}
	if ((sb = setbuf_new(c, "circuit", MASTER_MAX_CIRCUITS, &id)) == NULL)
		return;
	sb->set.charger = (int)id;
	if (strcmp(c->method, "DELETE") == 0) {
		json_t	*v;

		sb->set.confirm = arg(c, "confirm") != NULL &&
		    strcmp(arg(c, "confirm"), "yes") == 0;
		if (c->rq->body_len > 0 && (!body_object(c) || ((v =
		    json_object_get(c->body, "confirm")) != NULL &&
		    !confirm_member(c, sb, v))))
			goto out;
		reply_call(c, sa_circuit_delete, &sb->set);
		goto out;
	}
	if (id_settings(c, sb, "circuit", id))
		reply_call(c, id ? sa_circuit_put : sa_circuit_add, &sb->set);
out:
	free(sb);
}

/*
 * May this appliance write to the charger on mb? Writes "no command" (0,
 * which does nothing) to connector 1's command register: the charger
 * checks the writer's address against its link.masters all the same.
 * Returns true, or false with why (and what to do) in err.
 */
static bool
charger_writable(modbus_t *mb, const char *self, char *err, size_t errlen)
{
	if (modbus_write_register(mb, REGMAP_CONN_BASE + 1, REGMAP_CMD_NONE) ==
	    1)
		return true;
	if (errno == EMBXILFUN)
		snprintf(err, errlen, "the charger refuses writes from this "
		    "appliance (%s): add %s to the charger's link.masters "
		    "(comma-separated, up to 8 addresses) and restart it; list "
		    "only the appliance's addresses on the charger network",
		    self, self);
	else
		snprintf(err, errlen, "a test write failed: %s",
		    modbus_strerror(errno));
	return false;
}

/*
 * What a charger says of its own settings, for the commissioning
 * wizard: each connector's rating (input register +16) and, from map v2,
 * its authorisation mode (holding register 3). What it does not answer
 * is left out.
 */
static json_t *
charger_own(modbus_t *mb, const struct reg_unit *u)
{
	uint16_t regs[REGMAP_CONN_INPUTS];
	struct reg_conn rc;
	struct reg_unit_hold uh;
	json_t	*j = json_object(), *ratings = json_array();

	for (int k = 0; k < u->connectors && k < REGMAP_MAX_CONN; k++) {
		if (modbus_read_input_registers(mb, REGMAP_CONN_BASE * (k + 1),
		    REGMAP_CONN_INPUTS, regs) != REGMAP_CONN_INPUTS)
			break;
		regmap_decode_conn(regs, &rc);
		json_array_append_new(ratings, json_real(rc.max_da / 10.0));
	}
	json_object_set_new(j, "ratings", ratings);
	if (u->map_version >= 2 && modbus_read_registers(mb, 0,
	    REGMAP_UNIT_HOLDINGS, regs) == REGMAP_UNIT_HOLDINGS) {
		regmap_decode_unit_hold(regs, &uh);
		json_object_set_new(j, "authorisation", json_string(
		    uh.authorisation ? "remote" : "free"));
	}
	return j;
}

/*
 * Reach a charger and report what it says: its unit block (register map
 * version, connectors, firmware, status, serial), and whether it takes
 * this appliance's writes. Runs here, not in the loop: a silent address
 * costs this request its timeout, nothing else.
 */
static void
h_charger_test(struct ctx *c)
{
	struct sa_set set = { .who = c->s.user };
	char	*r;
	json_t	*j;
	long	 id;
	char	 host[64];
	int	 port, unit;
	modbus_t *mb;
	uint16_t regs[REGMAP_UNIT_INPUTS];
	struct reg_unit u;
	struct sockaddr_in me;
	socklen_t melen = sizeof(me);
	char	 self[INET_ADDRSTRLEN] = "?", werr[256] = "";
	bool	 writable;
	json_t	*own;

	if (!parse_id(c, c->seg[2], MASTER_MAX_CHARGERS, "charger", &id))
		return;
	set.charger = (int)id;
	if ((r = web_call(c->w, sa_charger_addr, &set)) == NULL ||
	    strncmp(r, "200 ", 4) != 0) {
		reply_loop(c, r, "application/json");
		return;
	}
	j = json_loads(r + 4, 0, NULL);
	free(r);
	snprintf(host, 32, "%s", json_string_value(json_object_get(j, "host")) ?:
	    "");
	port = (int)json_integer_value(json_object_get(j, "port"));
	unit = (int)json_integer_value(json_object_get(j, "unit_id"));
	json_decref(j);
	if ((mb = modbus_new_tcp(host, port)) == NULL) {
		reply_error(c, 500, NULL, "cannot make a Modbus context");
		return;
	}
	modbus_set_slave(mb, unit);
	modbus_set_response_timeout(mb, API_TEST_TIMEOUT_MS / 1000,
	    (API_TEST_TIMEOUT_MS % 1000) * 1000);
	if (modbus_connect(mb) != 0 || modbus_read_input_registers(mb, 0,
	    REGMAP_UNIT_INPUTS, regs) != REGMAP_UNIT_INPUTS) {
		reply_json(c, 200, json_pack("{s:b, s:s, s:i, s:s}",
		    "reachable", false, "host", host, "port", port, "error",
		    modbus_strerror(errno)));
		modbus_close(mb);
		modbus_free(mb);
		return;
	}
	/* The address the charger sees this appliance at. */
	if (getsockname(modbus_get_socket(mb), (struct sockaddr *)&me,
	    &melen) == 0)
		inet_ntop(AF_INET, &me.sin_addr, self, sizeof(self));
	writable = charger_writable(mb, self, werr, sizeof(werr));
	regmap_decode_unit(regs, &u);
	own = charger_own(mb, &u);
	modbus_close(mb);
	modbus_free(mb);
	snprintf(host + 32, 16, "%u.%u", u.firmware >> 8, u.firmware & 0xff);
	j = json_pack("{s:b, s:s, s:i, s:i, s:i, s:s, s:i, s:s, s:f, s:b, s:s}",
	    "reachable", true, "host", host, "port", port,
	    "map_version", u.map_version, "connectors", u.connectors,
	    "firmware", host + 32, "status", u.status, "serial", u.serial,
	    "temperature", u.temp_ddeg / 10.0, "writable", writable,
	    "appliance_address", self);
	if (!writable)
		json_object_set_new(j, "write_error", json_string(werr));
	json_object_update(j, own);
	json_decref(own);
	reply_json(c, 200, j);
}

static void
h_connector(struct ctx *c)
{
	static const char *const verbs[] = { "pause", "resume", "lock",
	    "unlock", "boost", "reset", "authorise", "stop", NULL };
	struct sa_cmd cmd = { .who = c->s.user };
	long	 id, n;
	int	 v;
	char	*r;

	if (!parse_id(c, c->seg[2], MASTER_MAX_CHARGERS, "charger", &id) ||
	    !parse_id(c, c->seg[4], REGMAP_MAX_CONN, "connector", &n))
		return;
	for (v = 0; verbs[v] && strcmp(verbs[v], c->seg[5]) != 0; v++)
		;
	if (verbs[v] == NULL) {
		reply_error(c, 404, NULL, "no such action: '%.*s' (pause, "
		    "resume, lock, unlock, boost, reset, authorise, stop)",
		    CUT(c->seg[5], 20));
		return;
	}
	snprintf(cmd.line, sizeof(cmd.line), "%s #%ld %ld", verbs[v], id, n);
	r = web_call(c->w, sa_command, &cmd);
	/* A command to the charger: its answer is the reply (issue 18). */
	for (int waited = 0; r != NULL && strncmp(r, SA_WAITING, 4) == 0;
	    waited += SA_ANSWER_POLL_MS) {
		free(r);
		r = NULL;
		if (waited >= SA_ANSWER_WAIT_MS || c->w->direct) {
			reply_error(c, 504, NULL, "the charger has not answered "
			    "yet; the command is written at its next poll (see "
			    "the events)");
			return;
		}
		usleep(SA_ANSWER_POLL_MS * 1000);
		r = web_call(c->w, sa_answer, &cmd);
	}
	reply_loop(c, r, "application/json");
}

/*
 * A phase check on a connector (docs/api.md, "Test mode"): POST starts
 * it with {"current": A, "seconds": S}, GET tells its state and result,
 * DELETE stops it. The loop checks the figures (testsite.c).
 */
static void
h_testmode(struct ctx *c)
{
	struct sa_test t = { .who = c->s.user,
	    .seconds = TESTMODE_SECONDS_DEFAULT };
	const char *k;
	json_t	*v;
	long	 id, n;

	if (!parse_id(c, c->seg[2], MASTER_MAX_CHARGERS, "charger", &id) ||
	    !parse_id(c, c->seg[4], REGMAP_MAX_CONN, "connector", &n))
		return;
	t.charger = (int)id;
	t.connector = (int)n;
	if (strcmp(c->method, "POST") != 0) {
		reply_call(c, strcmp(c->method, "GET") == 0 ? sa_test_get :
		    sa_test_stop, &t);
		return;
	}
	if (!body_object(c))
		return;
	json_object_foreach(c->body, k, v) {
		double	 a = json_number_value(v);

		if (strcmp(k, "current") == 0 && json_is_number(v) &&
		    a >= ALLOC_MIN_DA / 10.0 && a <= 80.0)
			t.current_da = (int32_t)(a * 10 + 0.5);
		else if (strcmp(k, "current") == 0) {
			reply_error(c, 400, k, "current: the test current in A, "
			    "a number from 6 to 80");
			return;
		} else if (strcmp(k, "seconds") == 0 && json_is_integer(v) &&
		    a >= TESTMODE_SECONDS_MIN && a <= TESTMODE_SECONDS_MAX)
			t.seconds = (int)a;
		else if (strcmp(k, "seconds") == 0) {
			reply_error(c, 400, k, "seconds: how long the test may "
			    "take at most, a whole number from %d to %d",
			    TESTMODE_SECONDS_MIN, TESTMODE_SECONDS_MAX);
			return;
		} else {
			reply_error(c, 400, NULL, "unknown member '%.*s' "
			    "(current, seconds)", CUT(k, 32));
			return;
		}
	}
	if (t.current_da == 0) {
		reply_error(c, 400, "current", "current: required, the test "
		    "current in A");
		return;
	}
	reply_call(c, sa_test_start, &t);
}

static void
h_sessions(struct ctx *c)
{
	struct apidb_q q = { 0 };
	json_t	*a;
	char	*csv;
	size_t	 len = 0;
	bool	 is_csv = strcmp(c->seg[1], "sessions.csv") == 0;

	if (!range_args(c, &q, 30 * API_DAY_MS) || !session_filter(c, &q) ||
	    !db_ready(c))
		return;
	if (is_csv) {
		csv = apidb_sessions_csv(c->w->db, &q, &len);
		db_done(c);
		if (csv == NULL) {
			reply_error(c, 503, NULL, "cannot read the sessions");
			return;
		}
		c->rs->disposition = "attachment; filename=\"sessions.csv\"";
		reply(c, 200, "text/csv; charset=utf-8", csv, len);
		return;
	}
	a = apidb_sessions(c->w->db, &q);
	db_done(c);
	if (a == NULL)
		reply_error(c, 503, NULL, "cannot read the sessions");
	else
		reply_json(c, 200, json_pack("{s:o}", "sessions", a));
}

/*
 * Energy and sessions per local day or month (docs/api.md): the range
 * widened to whole periods, at most ENERGY_MAX_PERIODS of them.
 */
static void
h_energy(struct ctx *c)
{
	static const char *const bys[] = { "site", "connector", "tag", NULL };
	struct energy_period *per;
	struct apidb_q q = { 0 };
	const char *g = arg(c, "group"), *by = arg(c, "by");
	bool	 is_csv = strcmp(c->seg[1], "energy.csv") == 0;
	size_t	 len = 0;
	char	*csv = NULL;
	json_t	*j = NULL;

	if (g != NULL && energy_group_parse(g, &q.group) != 0) {
		reply_error(c, 400, "group", "group: must be day or month");
		return;
	}
	if (by != NULL) {
		while (bys[q.by] != NULL && strcmp(bys[q.by], by) != 0)
			q.by++;
		if (bys[q.by] == NULL) {
			reply_error(c, 400, "by", "by: must be site, connector "
			    "or tag");
			return;
		}
	}
	if (!range_args(c, &q, (q.group == ENERGY_DAY ? 31 : 366) *
	    API_DAY_MS) || !session_filter(c, &q))
		return;
	if ((per = calloc(ENERGY_MAX_PERIODS, sizeof(*per))) == NULL) {
		reply_error(c, 503, NULL, "out of memory");
		return;
	}
	q.per = per;
	q.nper = energy_periods(q.from_ms, q.to_ms, q.group, per,
	    ENERGY_MAX_PERIODS);
	if (q.nper < 0) {
		reply_error(c, 400, "from", "from: at most %d %s from to; use "
		    "group=month or a shorter range", ENERGY_MAX_PERIODS,
		    q.group == ENERGY_DAY ? "days" : "months");
		free(per);
		return;
	}
	if (q.nper > 0) {
		q.from_ms = per[0].start_ms;
		q.to_ms = per[q.nper - 1].end_ms;
	}
	if (!db_ready(c)) {
		free(per);
		return;
	}
	if (is_csv)
		csv = apidb_energy_csv(c->w->db, &q, &len);
	else
		j = apidb_energy(c->w->db, &q);
	db_done(c);
	free(per);
	if (csv == NULL && j == NULL) {
		reply_error(c, 503, NULL, "cannot read the sessions");
		return;
	}
	if (j != NULL) {
		reply_json(c, 200, j);
		return;
	}
	c->rs->disposition = "attachment; filename=\"energy.csv\"";
	reply(c, 200, "text/csv; charset=utf-8", csv, len);
}

static void
h_events(struct ctx *c)
{
	static const char *const sev[] = { "info", "warning", "alarm", NULL };
	struct apidb_q q = { 0 };
	const char *s = arg(c, "severity");
	json_t	*a;

	if (s != NULL) {
		for (q.severity = 0; sev[q.severity] &&
		    strcmp(sev[q.severity], s) != 0; q.severity++)
			;
		if (sev[q.severity] == NULL) {
			reply_error(c, 400, "severity", "severity: must be info, "
			    "warning or alarm");
			return;
		}
	}
	if (!range_args(c, &q, 7 * API_DAY_MS))
		return;
	q.charger = arg(c, "source") ? arg(c, "source") : "";
	if (!db_ready(c))
		return;
	a = apidb_events(c->w->db, &q);
	db_done(c);
	if (a == NULL)
		reply_error(c, 503, NULL, "cannot read the events");
	else
		reply_json(c, 200, json_pack("{s:o}", "events", a));
}

static void
h_history(struct ctx *c)
{
	struct apidb_q q = { .step = 1 };
	const char *st = arg(c, "step");
	long	 n;
	json_t	*h;

	if (!range_args(c, &q, API_DAY_MS))
		return;
	if (st != NULL) {
		if (strnum_long(st, 1, 1440, &n) != 0) {
			reply_error(c, 400, "step", "step: must be 1-1440 "
			    "minutes");
			return;
		}
		q.step = (int)n;
	}
	if ((q.to_ms - q.from_ms) / 60000 / q.step > 20000) {
		reply_error(c, 400, "step", "step: too many points (at most "
		    "20000): use a larger step");
		return;
	}
	if (!db_ready(c))
		return;
	h = apidb_history(c->w->db, &q);
	db_done(c);
	if (h == NULL)
		reply_error(c, 503, NULL, "cannot read the history");
	else
		reply_json(c, 200, h);
}

static void
h_rfid(struct ctx *c)
{
	struct sa_rfid q = { .who = c->s.user, .enabled = true };
	const char *tag, *name;
	json_t	*v;

	if (strcmp(c->method, "GET") == 0) {
		reply_call(c, sa_rfid_list, NULL);
		return;
	}
	if (strcmp(c->method, "DELETE") == 0) {
		if (rfid_normalise(c->seg[2], q.tag, sizeof(q.tag)) != 0) {
			reply_error(c, 404, NULL, "no such tag");
			return;
		}
		q.remove = true;
		reply_call(c, sa_rfid_put, &q);
		return;
	}
	if (!body_object(c) || (tag = body_str(c, "tag", 64, true)) == NULL ||
	    (name = body_str(c, "name", 47, false)) == NULL)
		return;
	if (rfid_normalise(tag, q.tag, sizeof(q.tag)) != 0) {
		reply_error(c, 400, "tag", "tag: must be 1-%d letters or digits "
		    "(the card's UID, as the reader shows it; ':', '-', '.' and "
		    "spaces between them are left out)", RFID_TAG_LEN);
		return;
	}
	if ((v = json_object_get(c->body, "replace")) != NULL) {
		if (!json_is_boolean(v)) {
			reply_error(c, 400, "replace", "replace: must be true "
			    "or false");
			return;
		}
		q.replace = json_is_true(v);
	}
	if ((v = json_object_get(c->body, "enabled")) != NULL) {
		if (!json_is_boolean(v)) {
			reply_error(c, 400, "enabled", "enabled: must be true "
			    "or false");
			return;
		}
		q.enabled = json_is_true(v);
	}
	if ((v = json_object_get(c->body, "valid_until_ms")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			reply_error(c, 400, "valid_until_ms", "valid_until_ms: "
			    "must be a time in ms since 1970, or null");
			return;
		}
		q.valid_until_ms = json_integer_value(v);
	}
	snprintf(q.name, sizeof(q.name), "%s", name);
	reply_call(c, sa_rfid_put, &q);
}

static void
h_users(struct ctx *c)
{
	struct auth_user *u = calloc(AUTH_MAX_USERS, sizeof(*u));
	int	 n;
	json_t	*a;

	if (u == NULL) {
		reply_error(c, 503, NULL, "out of memory");
		return;
	}
	n = auth_users(&c->w->auth, u, AUTH_MAX_USERS);
	a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "name",
		    u[i].name, "role", auth_role_name(u[i].role), "must_change",
		    u[i].must_change));
	free(u);
	reply_json(c, 200, json_pack("{s:o}", "users", a));
}

static void
h_user_add(struct ctx *c)
{
	const char *name, *role, *pw;
	char	 why[120];
	struct auth_user u;
	int	 r, rc;

	if (!body_object(c) || (name = body_str(c, "name", 64, true)) == NULL ||
	    (role = body_str(c, "role", 16, true)) == NULL ||
	    (pw = body_str(c, "password", 1024, true)) == NULL)
		return;
	if (auth_check_name(name, why, sizeof(why)) != 0) {
		reply_error(c, 400, "name", "name: %s", why);
		return;
	}
	if ((r = auth_role_parse(role)) < 0) {
		reply_error(c, 400, "role", "role: must be operator, bms or "
		    "installer");
		return;
	}
	if (auth_check_password(name, pw, why, sizeof(why)) != 0) {
		reply_error(c, 400, "password", "password: %s", why);
		return;
	}
	/* theirs to choose at the first login */
	rc = auth_add_user(&c->w->auth, name, r, pw, true, &u);
	if (rc == AUTH_EXISTS) {
		reply_error(c, 409, "name", "name: '%s' exists already", name);
		return;
	}
	if (rc != 0) {
		reply_error(c, 400, NULL, "at most %d logins", AUTH_MAX_USERS);
		return;
	}
	store_user(c, &u, false);
	loop_event(c, SEV_INFO, "user-added", "%s added %s '%s'", c->s.user,
	    role, name);
	reply_json(c, 201, json_pack("{s:s}", "result", "added"));
}

static void
h_user_change(struct ctx *c)
{
	struct auth_user u = { 0 };
	const char *pw;
	char	 why[120];
	int	 rc;

	if (strcmp(c->method, "DELETE") == 0) {
		if (strcmp(c->seg[2], c->s.user) == 0) {
			reply_error(c, 400, NULL, "you cannot remove your own "
			    "login");
			return;
		}
		rc = auth_delete_user(&c->w->auth, c->seg[2]);
		if (rc == AUTH_NOTFOUND)
			reply_error(c, 404, NULL, "no such user");
		else if (rc == AUTH_LAST)
			reply_error(c, 400, NULL, "the last installer stays");
		else {
			snprintf(u.name, sizeof(u.name), "%s", c->seg[2]);
			store_user(c, &u, true);
			loop_event(c, SEV_INFO, "user-removed", "%s removed "
			    "'%.*s'", c->s.user, CUT(c->seg[2], 32));
			reply_json(c, 200, json_pack("{s:s}", "result",
			    "removed"));
		}
		return;
	}
	/* an installer resets someone's password */
	if (!body_object(c) || (pw = body_str(c, "password", 1024, true)) ==
	    NULL)
		return;
	if (auth_check_password(c->seg[2], pw, why, sizeof(why)) != 0) {
		reply_error(c, 400, "password", "password: %s", why);
		return;
	}
	rc = auth_set_password(&c->w->auth, c->seg[2], NULL, pw, false, NULL,
	    &u);
	if (rc == AUTH_NOTFOUND) {
		reply_error(c, 404, NULL, "no such user");
		return;
	}
	store_user(c, &u, false);
	loop_event(c, SEV_INFO, "password-reset", "%s reset the password of "
	    "'%.*s'", c->s.user, CUT(c->seg[2], 32));
	reply_json(c, 200, json_pack("{s:s}", "result", "password reset; to "
	    "be changed at the next login"));
}

static void
h_metrics(struct ctx *c)
{
	reply_loop(c, web_call(c->w, sa_metrics, NULL),
	    "text/plain; version=0.0.4; charset=utf-8");
}

static void
h_restart(struct ctx *c)
{
	reply_call(c, sa_restart, (void *)c->s.user);
}

#define API_ALARMS_CLEARED	20	/* the recent ones, in GET /api/alarms */

/* What is wrong now (the loop's), and what cleared lately (the store's). */
static void
h_alarms(struct ctx *c)
{
	char	*r = web_call(c->w, sa_alarms, NULL);
	json_t	*j, *cleared = NULL;

	if (r == NULL || strncmp(r, "200 ", 4) != 0) {
		reply_loop(c, r, "application/json");
		return;
	}
	j = json_loads(r + 4, 0, NULL);
	free(r);
	if (c->w->db != NULL && db_ready(c)) {
		cleared = apidb_alarms_cleared(c->w->db, API_ALARMS_CLEARED);
		db_done(c);
	}
	json_object_set_new(j, "cleared", cleared ? cleared : json_array());
	reply_json(c, 200, j);
}

static void
h_alarm_ack(struct ctx *c)
{
	struct sa_alarm_ack q = { .who = c->s.user };
	const char *code, *source;
	json_t	*v;

	if (!body_object(c) || (code = body_str(c, "code", sizeof(q.code) - 1,
	    true)) == NULL || (source = body_str(c, "source",
	    sizeof(q.source) - 1, true)) == NULL)
		return;
	v = json_object_get(c->body, "connector");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > REGMAP_MAX_CONN + 1)) {
		reply_error(c, 400, "connector", "connector: must be 0 (the "
		    "charger or site), or a connector or phase, 1-%d",
		    REGMAP_MAX_CONN + 1);
		return;
	}
	snprintf(q.code, sizeof(q.code), "%s", code);
	snprintf(q.source, sizeof(q.source), "%s", source);
	q.connector = v != NULL ? (int)json_integer_value(v) : 0;
	reply_call(c, sa_alarm_ack, &q);
}

/* One current in A (a JSON number, 0-10000), to tenths; -1 when not. */
static int32_t
amps_da(json_t *v)
{
	double	 a;

	if (!json_is_number(v))
		return -1;
	a = json_number_value(v);
	if (!(a >= 0.0 && a <= 10000.0))
		return -1;
	return (int32_t)(a * 10.0 + 0.5);
}

/*
 * PUT /api/external-limit {"limit": A or [A, A, A], "valid": s}: a limit
 * from a building management system, per phase at the supply, for
 * `valid` seconds (renewed by another PUT before then); DELETE ends it.
 * Installers and bms users (docs/api.md, "External limit").
 */
static void
h_external_limit(struct ctx *c)
{
	struct sa_extlimit q = { .who = c->s.user };
	json_t	*l, *v;

	if (strcmp(c->method, "DELETE") == 0) {
		q.clear = true;
		reply_call(c, sa_external_limit, &q);
		return;
	}
	if (!body_object(c))
		return;
	l = json_object_get(c->body, "limit");
	if (json_is_array(l) && json_array_size(l) == EVG_PHASES) {
		for (int p = 0; p < EVG_PHASES; p++)
			q.limit_da[p] = amps_da(json_array_get(l, (size_t)p));
	} else
		q.limit_da[0] = q.limit_da[1] = q.limit_da[2] = amps_da(l);
	if (q.limit_da[0] < 0 || q.limit_da[1] < 0 || q.limit_da[2] < 0) {
		reply_error(c, 400, "limit", "limit: %s amperes (0-10000) at the "
		    "supply: one for every phase, or three (L1, L2, L3)",
		    l == NULL ? "required," : "must be");
		return;
	}
	v = json_object_get(c->body, "valid");
	if (!json_is_integer(v) || json_integer_value(v) < EXTLIMIT_VALID_MIN_S ||
	    json_integer_value(v) > EXTLIMIT_VALID_MAX_S) {
		reply_error(c, 400, "valid", "valid: %s seconds, %d-%d: the "
		    "limit ends then unless it is set again", v == NULL ?
		    "required," : "must be whole", EXTLIMIT_VALID_MIN_S,
		    EXTLIMIT_VALID_MAX_S);
		return;
	}
	q.valid_ms = (uint64_t)json_integer_value(v) * 1000;
	reply_call(c, sa_external_limit, &q);
}

/*
 * A test alarm to the webhook's receiver, from here (not the loop): the
 * request waits at most HOOK_TIMEOUT_MS for the receiver; the answer
 * says what it answered.
 */
static void
h_alarm_test(struct ctx *c)
{
	char	*r = web_call(c->w, sa_hook_conf, NULL), err[128] = "";
	char	 url[HOOK_URL_LEN], token[HOOK_TOKEN_LEN], site[64], *body;
	char	 shown[HOOK_URL_LEN];
	struct alarm a = { .severity = SEV_WARNING, .code = "test",
	    .source = "site" };
	long	 st = 0;
	bool	 ok;
	json_t	*j;

	if (r == NULL || strncmp(r, "200 ", 4) != 0) {
		reply_loop(c, r, "application/json");
		return;
	}
	j = json_loads(r + 4, 0, NULL);
	free(r);
	snprintf(url, sizeof(url), "%s", json_string_value(json_object_get(j,
	    "url")) ?: "");
	snprintf(token, sizeof(token), "%s", json_string_value(
	    json_object_get(j, "token")) ?: "");
	snprintf(site, sizeof(site), "%s", json_string_value(
	    json_object_get(j, "site")) ?: "");
	json_decref(j);
	if (url[0] == '\0') {
		reply_error(c, 400, "alarms.webhook_url", "alarms.webhook_url: "
		    "not set: save the receiver's address first");
		return;
	}
	a.since_ms = (int64_t)time(NULL) * 1000;
	snprintf(a.text, sizeof(a.text), "a test alarm sent by %s: nothing is "
	    "wrong", c->s.user);
	if ((body = alarms_hook_body(site, &a, "test", a.since_ms)) == NULL) {
		reply_error(c, 503, NULL, "out of memory");
		return;
	}
	ok = webhook_post(url, token, body, HOOK_TIMEOUT_MS, NULL, &st, err,
	    sizeof(err)) == 0;
	free(body);
	hook_url_shown(url, shown, sizeof(shown));
	loop_event(c, ok ? SEV_INFO : SEV_WARNING, "webhook-test", "test alarm "
	    "sent by %s to %s: %s", c->s.user, shown, ok ? "delivered" : err);
	j = json_pack("{s:b, s:i, s:s}", "delivered", ok, "http_status",
	    (int)st, "url", shown);
	json_object_set_new(j, ok ? "result" : "error", json_string(ok ?
	    "delivered" : err));
	reply_json(c, 200, j);
}

/* --- commissioning reports (report.h) ------------------------------------ */

/* No script at all, its own inline style only: the page holds texts an
 * installer typed. */
#define API_REPORT_CSP	"default-src 'none'; style-src 'unsafe-inline'; " \
	"frame-ancestors 'none'"

/* The alarms of the status in force, or NULL (503 answered). */
static json_t *
status_now(struct ctx *c)
{
	struct web_buf *b = web_status_ref(c->w);
	json_t	*st = NULL;

	if (b != NULL) {
		st = json_loadb(b->data + b->body, b->body_len, 0, NULL);
		web_unref(c->w, b);
	}
	if (st == NULL)
		reply_error(c, 503, NULL, "starting: no status yet");
	return st;
}

static void
h_report_add(struct ctx *c)
{
	const char *path = c->w->m->conf->site.database;
	char	 err[300], field[64], date[48], day[16];
	char	*r;
	json_t	*cfg = NULL, *st = NULL, *rep = NULL;
	struct report_meta meta = { .saved_by = c->s.user,
	    .version = EVG_VERSION, .date = date, .day = day };
	time_t	 t;
	struct tm tm;
	json_int_t id;

	if (!body_object(c))
		return;
	/* the settings as GET /api/config shows them, from the loop */
	if ((r = web_call(c->w, sa_config_get, NULL)) == NULL ||
	    strncmp(r, "200 ", 4) != 0) {
		reply_loop(c, r, "application/json");
		return;
	}
	cfg = json_loads(r + 4, 0, NULL);
	free(r);
	if (report_check(c->body, json_object_get(cfg, "config"), err,
	    sizeof(err), field, sizeof(field)) != 0) {
		reply_error(c, 400, field, "%s", err);
		goto out;
	}
	if ((st = status_now(c)) == NULL)
		goto out;
	if (path[0] == '\0' || c->w->db == NULL) {
		reply_error(c, 503, NULL, "no database (site.database is not "
		    "set, or cannot be read)");
		goto out;
	}
	meta.time_ms = clock_wall_ms();
	t = (time_t)(meta.time_ms / 1000);
	localtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M %Z", &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	if (!json_is_array(json_object_get(st, "alarms")))
		json_object_set_new(st, "alarms", json_array());
	rep = report_make(c->body, &meta, json_object_get(cfg, "config"),
	    json_object_get(cfg, "pending"), json_object_get(st, "alarms"),
	    json_integer_value(json_object_get(st, "alarms_total")));
	if (rep == NULL) {
		reply_error(c, 503, NULL, "out of memory");
		goto out;
	}
	if ((id = reportdb_add(path, rep, err, sizeof(err))) < 0) {
		reply_error(c, 503, NULL, "cannot save the report: %s", err);
		goto out;
	}
	if (id == 0) {
		reply_error(c, 409, NULL, "the appliance keeps at most %d "
		    "reports", REPORT_KEEP_MAX);
		goto out;
	}
	loop_event(c, SEV_INFO, "report", "%s saved commissioning report %lld"
	    " (installer '%s')", c->s.user, (long long)id, json_string_value(
	    json_object_get(rep, "installer")));
	snprintf(err, sizeof(err), "/api/reports/%lld.html", (long long)id);
	reply_json(c, 201, json_pack("{s:I, s:s, s:s}", "id", id, "result",
	    "saved", "html", err));
out:
	json_decref(rep);
	json_decref(st);
	json_decref(cfg);
}

static void
h_reports(struct ctx *c)
{
	json_t	*a;

	if (!db_ready(c))
		return;
	a = reportdb_list(c->w->db);
	db_done(c);
	if (a == NULL)
		reply_error(c, 503, NULL, "cannot read the reports");
	else
		reply_json(c, 200, json_pack("{s:o}", "reports", a));
}

/* GET /api/reports/N (JSON), N.html or N?format=html (the page). */
static void
h_report_get(struct ctx *c)
{
	char	 num[24], name[96];
	size_t	 n = strlen(c->seg[2]), len = 0;
	bool	 html = n > 5 && strcmp(c->seg[2] + n - 5, ".html") == 0;
	const char *fmt = arg(c, "format"), *dl = arg(c, "download");
	json_t	*r;
	char	*page;
	long	 id;

	snprintf(num, sizeof(num), "%.*s", (int)(html ? n - 5 : n), c->seg[2]);
	if (fmt != NULL && strcmp(fmt, "html") != 0 && strcmp(fmt, "json")) {
		reply_error(c, 400, "format", "format: must be html or json");
		return;
	}
	html = html || (fmt != NULL && strcmp(fmt, "html") == 0);
	if (!parse_id(c, num, 2000000000L, "report", &id) || !db_ready(c))
		return;
	r = reportdb_get(c->w->db, id);
	db_done(c);
	if (r == NULL) {
		reply_error(c, 404, NULL, "no such report: %ld", id);
		return;
	}
	if (!html) {
		reply_json(c, 200, r);
		return;
	}
	page = report_html(r, id, &len);
	report_filename(r, name, sizeof(name));
	json_decref(r);
	if (page == NULL) {
		reply_error(c, 503, NULL, "out of memory");
		return;
	}
	snprintf(c->rs->dispbuf, sizeof(c->rs->dispbuf), "%s; filename=\"%s\"",
	    dl != NULL && strcmp(dl, "yes") == 0 ? "attachment" : "inline",
	    name);
	c->rs->disposition = c->rs->dispbuf;
	c->rs->csp = API_REPORT_CSP;
	reply(c, 200, "text/html; charset=utf-8", page, len);
}

static void
h_asset(struct ctx *c)
{
	const char *p = c->rq->path;

	if (strcmp(p, "/") == 0)
		p = "/index.html";
	for (const struct webui_asset *a = webui_assets; a->path; a++)
		if (strcmp(a->path, p + 1) == 0) {
			c->rs->status = 200;
			c->rs->kind = API_ASSET;
			c->rs->type = a->type;
			c->rs->asset = a->data;
			c->rs->len = a->len;
			return;
		}
	reply_error(c, 404, NULL, "no such page: %.*s", CUT(c->rq->path, 80));
}

/* --- routing ------------------------------------------------------------- */

/* N_EXTERNAL: installers and bms users. A bms user may do only that,
 * read the status and keep its own login (N_NONE, N_SESSION). */
enum need { N_NONE, N_SESSION, N_OPERATOR, N_INSTALLER, N_EXTERNAL };

struct route {
	const char	*method;
	const char	*pattern;	/* '*' is any one segment */
	enum need	 need;
	void		(*fn)(struct ctx *);
};

static const struct route routes[] = {
	{ "POST", "api/login", N_NONE, h_login },
	{ "POST", "api/logout", N_SESSION, h_logout },
	{ "GET", "api/session", N_SESSION, h_session },
	{ "POST", "api/password", N_SESSION, h_password },
	{ "GET", "api/status", N_OPERATOR, h_status },
	{ "GET", "api/events/stream", N_OPERATOR, h_stream },
	{ "GET", "api/config", N_OPERATOR, h_config_get },
	{ "PUT", "api/config", N_INSTALLER, h_config_put },
	{ "GET", "api/config/*", N_OPERATOR, h_config_get },
	{ "PUT", "api/config/*", N_INSTALLER, h_config_put },
	{ "GET", "api/chargers", N_OPERATOR, h_chargers_get },
	{ "POST", "api/chargers", N_INSTALLER, h_charger_set },
	{ "PUT", "api/chargers/*", N_INSTALLER, h_charger_set },
	{ "DELETE", "api/chargers/*", N_INSTALLER, h_charger_delete },
	{ "POST", "api/chargers/*/test", N_INSTALLER, h_charger_test },
	{ "GET", "api/circuits", N_OPERATOR, h_circuits },
	{ "POST", "api/circuits", N_INSTALLER, h_circuits },
	{ "PUT", "api/circuits/*", N_INSTALLER, h_circuits },
	{ "DELETE", "api/circuits/*", N_INSTALLER, h_circuits },
	{ "POST", "api/chargers/*/connectors/*/*", N_OPERATOR, h_connector },
	/* after the line above: the last route that matches is taken */
	{ "GET", "api/chargers/*/connectors/*/test-mode", N_OPERATOR,
	    h_testmode },
	{ "POST", "api/chargers/*/connectors/*/test-mode", N_INSTALLER,
	    h_testmode },
	{ "DELETE", "api/chargers/*/connectors/*/test-mode", N_INSTALLER,
	    h_testmode },
	{ "GET", "api/sessions", N_OPERATOR, h_sessions },
	{ "GET", "api/sessions.csv", N_OPERATOR, h_sessions },
	{ "GET", "api/energy", N_OPERATOR, h_energy },
	{ "GET", "api/energy.csv", N_OPERATOR, h_energy },
	{ "GET", "api/events", N_OPERATOR, h_events },
	{ "GET", "api/history", N_OPERATOR, h_history },
	{ "GET", "api/rfid", N_OPERATOR, h_rfid },
	{ "POST", "api/rfid", N_INSTALLER, h_rfid },
	{ "DELETE", "api/rfid/*", N_INSTALLER, h_rfid },
	{ "GET", "api/users", N_INSTALLER, h_users },
	{ "POST", "api/users", N_INSTALLER, h_user_add },
	{ "PUT", "api/users/*", N_INSTALLER, h_user_change },
	{ "DELETE", "api/users/*", N_INSTALLER, h_user_change },
	{ "POST", "api/restart", N_INSTALLER, h_restart },
	{ "GET", "api/alarms", N_OPERATOR, h_alarms },
	{ "POST", "api/alarms/ack", N_OPERATOR, h_alarm_ack },
	{ "POST", "api/alarms/test", N_INSTALLER, h_alarm_test },
	{ "GET", "api/reports", N_OPERATOR, h_reports },
	{ "POST", "api/reports", N_INSTALLER, h_report_add },
	{ "GET", "api/reports/*", N_OPERATOR, h_report_get },
	{ "GET", "metrics", N_OPERATOR, h_metrics },
	{ "PUT", "api/external-limit", N_EXTERNAL, h_external_limit },
	{ "DELETE", "api/external-limit", N_EXTERNAL, h_external_limit },
};

static bool
split(struct ctx *c, const char *path)
{
	char	*p, *save = NULL;

	if (path[0] != '/' || strlen(path) >= sizeof(c->segbuf))
		return false;
	snprintf(c->segbuf, sizeof(c->segbuf), "%s", path + 1);
	for (p = strtok_r(c->segbuf, "/", &save); p != NULL;
	    p = strtok_r(NULL, "/", &save)) {
		if (c->nseg == API_MAX_SEGS)
			return false;
		c->seg[c->nseg++] = p;
	}
	return true;
}

static bool
match(const struct ctx *c, const char *pattern)
{
	char	 buf[64], *p, *save = NULL;
	int	 i = 0;

	snprintf(buf, sizeof(buf), "%s", pattern);
	for (p = strtok_r(buf, "/", &save); p != NULL;
	    p = strtok_r(NULL, "/", &save), i++)
		if (i >= c->nseg || (strcmp(p, "*") != 0 &&
		    strcmp(p, c->seg[i]) != 0))
			return false;
	return i == c->nseg;
}

/* Who is asking: the session cookie, or (for /metrics) HTTP Basic. 0 when
 * known; else the answer: 401, or 429 (*retry ms) when HTTP Basic is over
 * the login limit (not the same as wrong credentials to a scraper). */
static int
identify(struct ctx *c, bool basic_ok, uint64_t *retry)
{
	int	 rc;

	if (auth_session(&c->w->auth, c->rq->token, c->rq->now_ms, &c->s)) {
		c->logged_in = true;
		return 0;
	}
	if (!basic_ok || c->rq->basic_user == NULL || c->rq->basic_pass ==
	    NULL)
		return 401;
	rc = auth_login(&c->w->auth, c->rq->addr, c->rq->basic_user,
	    c->rq->basic_pass, c->rq->now_ms, &c->s, retry);
	if (rc == AUTH_LIMITED)
		return 429;
	if (rc != AUTH_OK)
		return 401;
	auth_logout(&c->w->auth, c->s.token);	/* one request */
	upgrade_hash(c, c->s.user, c->rq->basic_pass);
	c->logged_in = true;
	return 0;
}

/*
 * A write must come from our own pages or from a program (issue 17,
 * item 4: login CSRF): a body is JSON, declared as such (a browser sends
 * a cross-site form or text/plain body without asking, never JSON), and
 * an Origin, when the browser sends one, is this appliance's own.
 */
static bool
json_content(const char *t)
{
	size_t	 n = strlen("application/json");

	return t != NULL && strncasecmp(t, "application/json", n) == 0 &&
	    (t[n] == '\0' || t[n] == ';' || t[n] == ' ');
}

static bool
same_origin(const struct api_req *rq)
{
	const char *o = rq->origin, *h;

	if (o == NULL)
		return true;	/* not a browser, or a same-origin GET */
	if (rq->host == NULL)
		return false;
	if ((h = strstr(o, "://")) == NULL)
		return false;	/* "null" and the like */
	return strcasecmp(h + 3, rq->host) == 0;
}

/*
 * Whether the Host a request names is this appliance: an IP address
 * (v4, or v6 in brackets), localhost, or one of web.hostnames. Another
 * name is a page that resolved its own name to this appliance's address
 * (DNS rebinding): its Origin would match its Host and pass
 * same_origin(). No Host at all is a program speaking HTTP/1.0 (a
 * browser always sends one).
 */
static bool
host_ok(const char *host, const char *names)
{
	char	 name[256];
	struct in_addr in;
	size_t	 n;

	if (host == NULL || host[0] == '[')
		return true;
	n = strcspn(host, ":");
	if (n == 0 || n >= sizeof(name))
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	if (inet_pton(AF_INET, name, &in) == 1 ||
	    strcasecmp(name, "localhost") == 0)
		return true;
	for (const char *p = names; *p != '\0';) {
		size_t	 l;

		p += strspn(p, " ,");
		l = strcspn(p, " ,");
		if (l == n && strncasecmp(p, name, n) == 0)
			return true;
		p += l;
	}
	return false;
}

void
api_handle(struct web *w, const struct api_req *rq, struct api_resp *rs)
{
	struct ctx c = { .w = w, .rq = rq, .rs = rs };
	const struct route *r = NULL;
	char	 allow[64] = "";
	bool	 state_changing;

	/* HEAD is GET without the body (libmicrohttpd leaves it out) */
	const char *method = strcmp(rq->method, "HEAD") == 0 ? "GET" :
	    rq->method;

	c.method = method;
	memset(rs, 0, sizeof(*rs));
	if (!host_ok(rq->host, w->hostnames)) {
		reply_error(&c, 403, NULL, "this appliance is not '%.*s' (the "
		    "names it answers to are in web.hostnames)",
		    CUT(rq->host, 80));
		return;
	}
	if (!split(&c, rq->path)) {
		reply_error(&c, 404, NULL, "no such path");
		return;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!match(&c, routes[i].pattern))
			continue;
		if (strcmp(routes[i].method, method) == 0)
			r = &routes[i];
		else if (!strstr(allow, routes[i].method)) {
			size_t	 o = strlen(allow);

			snprintf(allow + o, sizeof(allow) - o, "%s%s%s",
			    o ? ", " : "", routes[i].method,
			    strcmp(routes[i].method, "GET") == 0 ? ", HEAD" :
			    "");
		}
	}
	if (r == NULL && allow[0] == '\0') {
		if (c.nseg >= 1 && strcmp(c.seg[0], "api") == 0)
			reply_error(&c, 404, NULL, "no such path: %.*s",
			    CUT(rq->path, 80));
		else if (strcmp(method, "GET") == 0)
			h_asset(&c);
		else {
			/* the pages and their files are only read */
			snprintf(rs->allow, sizeof(rs->allow), "GET, HEAD");
			reply_error(&c, 405, NULL, "%.*s is not allowed here "
			    "(GET, HEAD)", CUT(rq->method, 16));
		}
		return;
	}
	if (r == NULL) {
		snprintf(rs->allow, sizeof(rs->allow), "%s", allow);
		reply_error(&c, 405, NULL, "%.*s is not allowed here (%s)",
		    CUT(rq->method, 16), allow);
		return;
	}
	if (rq->body_too_large) {
		reply_error(&c, 413, NULL, "request body over %d bytes",
		    WEB_BODY_MAX);
		return;
	}
	if (strcmp(method, "GET") != 0) {
		if (!same_origin(rq)) {
			reply_error(&c, 403, NULL, "a write from another site's "
			    "page (Origin) is refused");
			return;
		}
		if (rq->body_len > 0 && !json_content(rq->content_type)) {
			reply_error(&c, 415, NULL, "the body must be JSON, sent "
			    "as Content-Type: application/json");
			return;
		}
	}
	if (r->need != N_NONE) {
		uint64_t retry = 0;
		int	 who = identify(&c, r->fn == h_metrics, &retry);

		if (who == 429) {
			rs->retry_after = (int)((retry + 999) / 1000);
			reply_error(&c, 429, NULL, "too many failed logins: try "
			    "again in %d s", rs->retry_after);
			return;
		}
		if (who != 0) {
			reply_error(&c, 401, NULL, "log in first");
			return;
		}
		state_changing = strcmp(method, "GET") != 0;
		if (state_changing && (rq->csrf == NULL ||
		    !auth_token_equal(c.s.csrf, rq->csrf))) {
			reply_error(&c, 403, NULL, "missing or wrong "
			    "X-CSRF-Token header");
			return;
		}
		if (c.s.must_change && r->need != N_SESSION) {
			reply_json(&c, 403, json_pack("{s:s, s:b}", "error",
			    "change the default password first",
			    "must_change", true));
			return;
		}
		if (r->need == N_INSTALLER && c.s.role != ROLE_INSTALLER) {
			reply_error(&c, 403, NULL, "installers only");
			return;
		}
		if (r->need == N_EXTERNAL && c.s.role != ROLE_INSTALLER &&
		    c.s.role != ROLE_BMS) {
			reply_error(&c, 403, NULL, "installers and bms users "
			    "only");
			return;
		}
		if (c.s.role == ROLE_BMS && r->need != N_SESSION &&
		    r->need != N_EXTERNAL && r->fn != h_status) {
			reply_error(&c, 403, NULL, "a bms user may only set the "
			    "external limit and read the status");
			return;
		}
	}
	r->fn(&c);
	json_decref(c.body);
}

void
api_resp_free(struct api_resp *rs)
{
	free(rs->body);
	rs->body = NULL;
}
