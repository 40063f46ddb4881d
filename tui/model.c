/*
 * model.c: the master's JSON into the console's model; the table's rows,
 * filtered and sorted. Bad or partial JSON changes nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "text.h"
#include "tui.h"

/* A string of the master's JSON into a field, cut between characters. */
static void
copy_str(char *dst, size_t len, json_t *v)
{
	const char *s = json_is_string(v) ? json_string_value(v) : "";

	snprintf(dst, len, "%.*s", (int)utf8_trunc(s, len - 1), s);
}

/*
 * s escaped (text_escape) and fitted to n columns: cut to at most n
 * characters, padded with spaces to n; into buf (len bytes), which it
 * returns. printf's "%-n.ns" counts bytes: it cut a name with é inside a
 * character and padded it short.
 */
const char *
tui_fit(char *buf, size_t len, const char *s, int n)
{
	char	 esc[1024];
	size_t	 o = 0;
	int	 chars = 0;

	text_escape(esc, sizeof(esc), s);
	/* each byte that is not a continuation byte starts a character */
	while (esc[o] != '\0' && (chars < n || ((unsigned char)esc[o] &
	    0xc0) == 0x80)) {
		if (((unsigned char)esc[o] & 0xc0) != 0x80)
			chars++;
		o++;
	}
	if (o >= len)
		o = utf8_trunc(esc, len - 1);
	memcpy(buf, esc, o);
	for (; chars < n && o + 1 < len; chars++)
		buf[o++] = ' ';
	buf[o] = '\0';
	return buf;
}

/* What is left of a wait, as m:ss (h:mm:ss from an hour); "" when none. */
const char *
tui_countdown(char *buf, size_t len, int64_t ms)
{
	int64_t	 s = (ms + 999) / 1000;

	if (ms <= 0)
		snprintf(buf, len, "%s", "");
	else if (s >= 3600)
		snprintf(buf, len, "%lld:%02lld:%02lld", (long long)(s / 3600),
		    (long long)(s / 60 % 60), (long long)(s % 60));
	else
		snprintf(buf, len, "%lld:%02lld", (long long)(s / 60),
		    (long long)(s % 60));
	return buf;
}

/*
 * A connector's state in the table's 13 columns: the long states in
 * short words (the detail view and the help give them whole), never
 * cut ("waiting-for-a").
 */
const char *
tui_state_short(const struct tui_conn *c)
{
	static const struct {
		const char	*state, *shown;
	} shorter[] = {
		{ "waiting-for-authorisation", "wait auth" },
		{ "authorised-waiting-for-car", "authorised" },
		{ "waiting-for-current", "wait current" },
		{ "suspended-by-car", "car suspends" },
	};

	if (!c->online)
		return "offline";
	if (c->paused)
		return "paused (op)";
	for (size_t i = 0; i < sizeof(shorter) / sizeof(shorter[0]); i++)
		if (strcmp(c->state, shorter[i].state) == 0)
			return shorter[i].shown;
	return c->state;
}

static double
num(json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : 0.0;
}

static void
phases(double out[3], json_t *a)
{
	for (int p = 0; p < 3; p++)
		out[p] = num(json_array_get(a, (size_t)p));
}

/* A number, or NAN when the master sends null (or nothing). */
static double
num_or_nan(json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void
phases_or_nan(double out[3], json_t *a)
{
	for (int p = 0; p < 3; p++)
		out[p] = json_is_array(a) ? num_or_nan(json_array_get(a,
		    (size_t)p)) : NAN;
}

static void
circuit_parse(struct tui_circuit *t, json_t *c)
{
	json_t	*m = json_object_get(c, "meter");

	memset(t, 0, sizeof(*t));
	copy_str(t->name, sizeof(t->name), json_object_get(c, "name"));
	copy_str(t->parent, sizeof(t->parent), json_object_get(c, "parent"));
	t->limit = num(json_object_get(c, "limit"));
	t->offline_limit = num(json_object_get(c, "offline_limit"));
	t->metered = json_is_object(m);
	t->meter_online = json_is_true(json_object_get(m, "online"));
	copy_str(t->meter_why, sizeof(t->meter_why), json_object_get(m, "why"));
	phases_or_nan(t->measured, json_object_get(c, "measured"));
	phases_or_nan(t->building, json_object_get(c, "building"));
	phases(t->available, json_object_get(c, "available"));
	phases(t->used, json_object_get(c, "used"));
	t->imbalance_limit = num_or_nan(json_object_get(c, "imbalance_limit"));
	t->imbalance = num_or_nan(json_object_get(c, "imbalance"));
}

/*
 * Puts the circuits of in (n) into out in tree order, depth first: each
 * right after its parent, the supply's children in the master's order.
 * One whose parent is not in the list counts as under the supply, so
 * that every circuit shows once whatever the master sends.
 */
static int
circuit_find(const struct tui_circuit *c, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return i;
	return -1;
}

static int
circuits_tree(struct tui_circuit *out, const struct tui_circuit *in, int n)
{
	bool	 done[TUI_CIRCUITS] = { false };
	int	 stack[TUI_CIRCUITS], sp = 0, k = 0;

	for (int root = 0; root < n; root++) {
		int	 up = circuit_find(in, n, in[root].parent);

		if (done[root] || (up >= 0 && up != root))
			continue;
		stack[sp++] = root;
		while (sp > 0) {
			int	 c = stack[--sp];

			if (done[c])
				continue;
			done[c] = true;
			out[k] = in[c];
			up = circuit_find(out, k, in[c].parent);
			out[k].depth = up >= 0 ? out[up].depth + 1 : 1;
			k++;
			/* children pushed last first: they come out in order */
			for (int i = n - 1; i >= 0; i--)
				if (!done[i] && strcmp(in[i].parent,
				    in[c].name) == 0 && sp < TUI_CIRCUITS)
					stack[sp++] = i;
		}
	}
	/* a cycle the master would never send: the rest, flat */
	for (int i = 0; i < n; i++)
		if (!done[i]) {
			out[k] = in[i];
			out[k++].depth = 1;
		}
	return k;
}

/* The supply's phase balance, the external limit, the demand window. */
static void
limits_parse(struct tui_status *nw, json_t *j)
{
	json_t	*x = json_object_get(j, "external_limit");
	json_t	*d = json_object_get(j, "demand");

	nw->imbalance_limit = num_or_nan(json_object_get(j,
	    "imbalance_limit"));
	nw->imbalance = num_or_nan(json_object_get(j, "imbalance"));
	nw->external = json_is_object(x);
	phases(nw->external_limit, json_object_get(x, "limit"));
	nw->external_until_ms = (int64_t)num(json_object_get(x, "until"));
	copy_str(nw->external_by, sizeof(nw->external_by),
	    json_object_get(x, "by"));
	nw->demand = json_is_object(d);
	nw->demand_window_s = (int)num(json_object_get(d, "window"));
	nw->demand_start_ms = (int64_t)num(json_object_get(d, "start"));
	nw->demand_end_ms = (int64_t)num(json_object_get(d, "end"));
	nw->demand_target = num(json_object_get(d, "target"));
	nw->demand_average = num(json_object_get(d, "average"));
	nw->demand_projected = num(json_object_get(d, "projected"));
	nw->demand_ev_cap = num(json_object_get(d, "ev_cap"));
	copy_str(nw->demand_unit, sizeof(nw->demand_unit),
	    json_object_get(d, "unit"));
	nw->demand_over = json_is_true(json_object_get(d, "over"));
}

/*
 * Parses a status snapshot (GET /api/status, or an SSE "status"). On
 * failure returns -1 with err set and leaves st as it was.
 */
/* The status's events, or its alarms (their time is since_ms). */
static int
events_parse(json_t *arr, const char *time_key, struct tui_event *out)
{
	json_t	*ev;
	size_t	 i;
	int	 n = 0;

	json_array_foreach(arr, i, ev) {
		struct tui_event *t;

		if (n == TUI_EVENTS)
			break;
		t = &out[n++];
		t->time_ms = (int64_t)num(json_object_get(ev, time_key));
		t->severity = (int)num(json_object_get(ev, "severity"));
		copy_str(t->source, sizeof(t->source),
		    json_object_get(ev, "source"));
		copy_str(t->text, sizeof(t->text), json_object_get(ev, "text"));
		copy_str(t->code, sizeof(t->code), json_object_get(ev, "code"));
		t->connector = (int)num(json_object_get(ev, "connector"));
		copy_str(t->ack_by, sizeof(t->ack_by), json_object_get(ev,
		    "ack_by"));
		t->ack_ms = (int64_t)num(json_object_get(ev, "ack_ms"));
	}
	return n;
}

/* OCPP on or off, and each connector's charger's link: the chargers
 * are listed in id order (id i at i - 1). */
static void
ocpp_parse(struct tui_status *nw, json_t *j)
{
	json_t	*chargers = json_object_get(j, "chargers");

	nw->ocpp = json_is_true(json_object_get(json_object_get(j, "ocpp"),
	    "enabled"));
	for (size_t i = 0; nw->ocpp && i < nw->n; i++) {
		struct tui_conn *t = &nw->conns[i];
		json_t	*ch = json_array_get(chargers, (size_t)(t->charger_id -
		    1)), *o = json_object_get(ch, "ocpp");

		if (t->charger_id < 1 || (int)num(json_object_get(ch, "id")) !=
		    t->charger_id || !json_is_object(o))
			continue;
		copy_str(t->ocpp, sizeof(t->ocpp), json_object_get(o, "link"));
		copy_str(t->ocpp_identity, sizeof(t->ocpp_identity),
		    json_object_get(o, "identity"));
	}
}

int
tui_status_parse(struct tui_status *st, const char *text, size_t len,
    char *err, size_t errlen)
{
	json_error_t e;
	json_t	*j = json_loadb(text, len, 0, &e), *conns, *c;
	struct tui_status nw;
	struct tui_circuit got[TUI_CIRCUITS];
	int	 ngot = 0;
	size_t	 i;

	if (j == NULL || !json_is_object(j) ||
	    !json_is_array(conns = json_object_get(j, "connectors"))) {
		snprintf(err, errlen, "status: %s", j ? "not a status" : e.text);
		json_decref(j);
		return -1;
	}
	memset(&nw, 0, sizeof(nw));
	nw.n = json_array_size(conns);
	if (st->conns != NULL && st->cap >= nw.n) {
		nw.cap = st->cap;
		nw.conns = st->conns;
	} else {
		nw.cap = nw.n + 16;
		nw.conns = calloc(nw.cap, sizeof(*nw.conns));
	}
	if (nw.conns == NULL) {
		snprintf(err, errlen, "out of memory");
		json_decref(j);
		return -1;
	}
	copy_str(nw.site, sizeof(nw.site), json_object_get(j, "site"));
	copy_str(nw.mode, sizeof(nw.mode), json_object_get(j, "mode"));
	nw.meter_online = json_is_true(json_object_get(j, "meter_online"));
	phases(nw.clamp, json_object_get(j, "clamp"));
	phases(nw.ev, json_object_get(j, "ev"));
	phases(nw.non_ev, json_object_get(j, "non_ev"));
	phases(nw.limit, json_object_get(j, "limit"));
	phases(nw.available, json_object_get(j, "available"));
	phases(nw.used, json_object_get(j, "used"));
	phases(nw.exported, json_object_get(j, "export"));
	phases(nw.surplus, json_object_get(j, "surplus"));
	phases(nw.may_take, json_object_get(j, "may_take"));
	nw.green_start_ms = (int64_t)num(json_object_get(j, "green_start_ms"));
	nw.green_stop_ms = (int64_t)num(json_object_get(j, "green_stop_ms"));
	nw.group_limit = num(json_object_get(j, "group_limit"));
	nw.site_limit = num(json_object_get(j, "site_limit"));
	nw.time_ms = (int64_t)num(json_object_get(j, "time_ms"));
	json_array_foreach(conns, i, c) {
		struct tui_conn *t = &nw.conns[i];
		json_t	*f;
		size_t	 k, off = 0;

		memset(t, 0, sizeof(*t));
		copy_str(t->charger, sizeof(t->charger),
		    json_object_get(c, "charger"));
		t->charger_id = (int)num(json_object_get(c, "charger_id"));
		t->connector = (int)num(json_object_get(c, "connector"));
		t->online = json_is_true(json_object_get(c, "online"));
		t->paused = json_is_true(json_object_get(c, "paused"));
		t->boost = json_is_true(json_object_get(c, "boost"));
		copy_str(t->state, sizeof(t->state), json_object_get(c, "state"));
		copy_str(t->phase, sizeof(t->phase), json_object_get(c, "phase"));
		copy_str(t->cp, sizeof(t->cp), json_object_get(c, "cp"));
		copy_str(t->led_colour, sizeof(t->led_colour),
		    json_object_get(c, "led_colour"));
		t->offer = num(json_object_get(c, "offer"));
		t->setpoint = num(json_object_get(c, "setpoint"));
		t->max_current = num(json_object_get(c, "max_current"));
		t->ocpp_cap = json_is_number(json_object_get(c, "ocpp_cap")) ?
		    num(json_object_get(c, "ocpp_cap")) : -1;
		phases(t->current, json_object_get(c, "current"));
		t->session_kwh = num(json_object_get(c, "session_wh")) / 1000.0;
		t->session_s = (long)num(json_object_get(c, "session_s"));
		copy_str(t->reason, sizeof(t->reason),
		    json_object_get(c, "reason"));
		copy_str(t->reason_text, sizeof(t->reason_text),
		    json_object_get(c, "reason_text"));
		copy_str(t->circuit, sizeof(t->circuit),
		    json_object_get(c, "circuit"));
		t->until_ms = (int64_t)num(json_object_get(c, "until_ms"));
		json_array_foreach(json_object_get(c, "faults"), k, f)
			off += (size_t)snprintf(t->faults + off, off <
			    sizeof(t->faults) ? sizeof(t->faults) - off : 0,
			    "%s%s", k ? ", " : "", json_string_value(f) ?: "?");
	}
	ocpp_parse(&nw, j);
	json_array_foreach(json_object_get(j, "circuits"), i, c)
		if (ngot < TUI_CIRCUITS && json_is_object(c))
			circuit_parse(&got[ngot++], c);
	nw.ncircuits = circuits_tree(nw.circuits, got, ngot);
	limits_parse(&nw, j);
	nw.alarms_total = (int)num(json_object_get(j, "alarms_total"));
	nw.nalarms = events_parse(json_object_get(j, "alarms"), "since_ms",
	    nw.alarms);
	nw.nevents = events_parse(json_object_get(j, "events"), "time_ms",
	    nw.events);
	json_decref(j);
	if (nw.conns != st->conns)
		free(st->conns);
	nw.valid = true;
	*st = nw;
	return 0;
}

void
tui_status_free(struct tui_status *st)
{
	free(st->conns);
	memset(st, 0, sizeof(*st));
}

const char *
tui_sort_name(enum tui_sort s)
{
	static const char *const names[] = { "name", "state", "draw" };

	return names[s];
}

/*
 * A charger's OCPP link in one character, for the table (the help says
 * them): + accepted by the CSMS, ~ on its way (connecting, booting,
 * pending), ! rejected, - no charge point or off.
 */
char
tui_ocpp_mark(const struct tui_conn *c)
{
	static const struct {
		const char	*link;
		char		 mark;
	} marks[] = {
		{ "accepted", '+' }, { "connecting", '~' }, { "booting", '~' },
		{ "pending", '~' }, { "rejected", '!' },
	};

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strcmp(c->ocpp, marks[i].link) == 0)
			return marks[i].mark;
	return '-';
}

static double
draw(const struct tui_conn *c)
{
	return c->current[0] + c->current[1] + c->current[2];
}

/*
 * The group a connector shows in, in the circuit view: 0 the supply,
 * k + 1 st->circuits[k]. A circuit the status does not list counts as
 * the supply.
 */
int
tui_circuit_of(const struct tui_status *st, const struct tui_conn *c)
{
	int	 k = circuit_find(st->circuits, st->ncircuits, c->circuit);

	return k >= 0 ? k + 1 : 0;
}

/* Sort context: qsort_r keeps it out of globals. */
static int
cmp_rows(const void *a, const void *b, void *arg)
{
	const void *const *ctx = arg;
	const struct tui_status *st = ctx[0];
	const struct tui_view *v = ctx[1];
	enum tui_sort sort = v->sort;
	const struct tui_conn *x = &st->conns[*(const int *)a];
	const struct tui_conn *y = &st->conns[*(const int *)b];
	int	 c = 0;

	/* the circuit view: grouped by circuit, in the tree's order */
	if (v->by_circuit)
		c = tui_circuit_of(st, x) - tui_circuit_of(st, y);
	if (c == 0 && sort == SORT_STATE)
		c = strcmp(x->state, y->state);
	else if (c == 0 && sort == SORT_DRAW)
		c = (draw(y) > draw(x)) - (draw(y) < draw(x));
	if (c == 0)
		c = strcmp(x->charger, y->charger);
	if (c == 0)
		c = x->connector - y->connector;
	return c;
}

/* The table's rows: indexes into st->conns, filtered (a case-insensitive
 * substring of the charger's name, the state or the reason) and sorted. */
int
tui_rows(const struct tui_status *st, const struct tui_view *v, int *idx,
    int max)
{
	const void *ctx[2] = { st, v };
	int	 n = 0;

	for (size_t i = 0; i < st->n && n < max; i++) {
		const struct tui_conn *c = &st->conns[i];

		if (v->filter[0] != '\0' && strcasestr(c->charger,
		    v->filter) == NULL && strcasestr(c->state, v->filter) ==
		    NULL && strcasestr(c->reason_text, v->filter) == NULL)
			continue;
		idx[n++] = (int)i;
	}
	qsort_r(idx, (size_t)n, sizeof(int), cmp_rows, (void *)ctx);
	return n;
}

static bool
list_alloc(struct tui_list *l)
{
	if (l->rows == NULL)
		l->rows = calloc(TUI_LIST_MAX, sizeof(*l->rows));
	l->n = 0;
	l->loading = false;
	return l->rows != NULL;
}

static void
when(char *buf, size_t len, int64_t ms)
{
	time_t	 t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%d %b %H:%M:%S", &tm);
}

void
tui_list_events(struct tui_list *l, const char *text, size_t len)
{
	json_t	*j = json_loadb(text, len, 0, NULL), *e;
	size_t	 i;
	char	 t[32], src[64];

	if (!list_alloc(l))
		return;
	snprintf(l->title, sizeof(l->title), "Events (newest first)");
	json_array_foreach(json_object_get(j, "events"), i, e) {
		int	 k;

		if (l->n == TUI_LIST_MAX)
			break;
		k = l->n++;
		when(t, sizeof(t), (int64_t)num(json_object_get(e, "time_ms")));
		l->severity[k] = (int)num(json_object_get(e, "severity"));
		snprintf(l->rows[k], sizeof(l->rows[0]), "%s  %-7s %s %s", t,
		    l->severity[k] == 2 ? "ALARM" :
		    l->severity[k] == 1 ? "warning" : "info",
		    tui_fit(src, sizeof(src), json_string_value(
		    json_object_get(e, "source")) ?: "", 12),
		    json_string_value(json_object_get(e, "text")) ?: "");
	}
	json_decref(j);
}

void
tui_list_sessions(struct tui_list *l, const char *text, size_t len)
{
	json_t	*j = json_loadb(text, len, 0, NULL), *s;
	size_t	 i;
	char	 a[32], b[32], name[64];

	if (!list_alloc(l))
		return;
	snprintf(l->title, sizeof(l->title), "Sessions (newest first)");
	json_array_foreach(json_object_get(j, "sessions"), i, s) {
		json_t	*end = json_object_get(s, "end_ms");
		int	 k;

		if (l->n == TUI_LIST_MAX)
			break;
		k = l->n++;
		when(a, sizeof(a), (int64_t)num(json_object_get(s, "start_ms")));
		if (json_is_number(end))
			when(b, sizeof(b), (int64_t)num(end));
		else
			snprintf(b, sizeof(b), "in progress");
		l->severity[k] = 0;
		snprintf(l->rows[k], sizeof(l->rows[0]), "%s %d  %s  "
		    "%-15s %7.2f kWh  %-8s %s", tui_fit(name, sizeof(name),
		    json_string_value(json_object_get(s, "charger")) ?: "", 12),
		    (int)num(json_object_get(s, "connector")), a, b,
		    num(json_object_get(s, "energy_wh")) / 1000.0,
		    json_string_value(json_object_get(s, "reason")) ?: "",
		    json_string_value(json_object_get(s, "tag")) ?: "");
	}
	json_decref(j);
}

void
tui_list_free(struct tui_list *l)
{
	free(l->rows);
	memset(l, 0, sizeof(*l));
}
