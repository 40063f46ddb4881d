/*
 * render.c: the console's screens as a grid of cells, from the model and
 * the view alone. The shell copies the grid to the terminal; the tests
 * read it. Every row is cut at the screen's width; nothing wraps.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text.h"
#include "tui.h"

/* The fixed rows of the main screen: header, 3 phases, the table's
 * heading (and the site line above it, when the site has one: see
 * site_line()); below the table the alarms (title + 3), a message, the
 * help. */
#define HEAD_ROWS	5
#define ALARM_ROWS	4
#define FOOT_ROWS	2

int
tui_screen_alloc(struct tui_screen_model *s, int rows, int cols)
{
	s->rows = rows > 0 ? rows : 1;
	s->cols = cols > 0 ? cols : 1;
	s->cells = calloc((size_t)s->rows * (size_t)s->cols, sizeof(*s->cells));
	return s->cells ? 0 : -1;
}

void
tui_screen_free(struct tui_screen_model *s)
{
	free(s->cells);
	s->cells = NULL;
}

/*
 * The site line (under the phases): the external limit, the demand window,
 * the supply's phase balance, the circuits. Only on a site that has one of
 * them, so that a plain site keeps its table a row longer.
 */
static bool
has_site_line(const struct tui_status *st)
{
	return st->valid && (st->ncircuits > 0 || !isnan(st->imbalance_limit) ||
	    st->external || st->demand);
}

static int
head_rows(const struct tui_status *st)
{
	return HEAD_ROWS + (has_site_line(st) ? 1 : 0);
}

int
tui_table_rows(const struct tui_status *st, int rows)
{
	int	 n = rows - head_rows(st) - ALARM_ROWS - FOOT_ROWS;

	return n > 1 ? n : 1;
}

struct pen {
	struct tui_screen_model *s;
	bool	 utf8;
	bool	 ocpp;	/* OCPP on: a link mark after each charger's name */
};

static void
clear(struct pen *p)
{
	for (int i = 0; i < p->s->rows * p->s->cols; i++) {
		memset(p->s->cells[i].ch, 0, sizeof(p->s->cells[i].ch));
		p->s->cells[i].ch[0] = ' ';
		p->s->cells[i].attr = TA_NORM;
	}
}

/* Length of the UTF-8 sequence at s, or 0 when it is not one. */
static int
u8len(const unsigned char *s)
{
	int	 n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 :
	    (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;

	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * Writes text at (row, col), at most width columns; returns the columns
 * used. Every text on the screen passes here, and is escaped here first
 * (issue 17, item 7): names and event texts come from the master, which
 * has them from outside, so a control character shows as \n or \x1b and
 * never reaches the terminal, a C1 control (U+009B is CSI to some
 * terminals) no more than ESC. Without UTF-8, any other character shows
 * as '?'.
 */
static int
put(struct pen *p, int row, int col, int width, int attr, const char *text)
{
	char	 safe[2048];	/* a row of a wide terminal, escaped */
	const unsigned char *t = (const unsigned char *)safe;
	int	 used = 0;

	if (row < 0 || row >= p->s->rows)
		return 0;
	text_escape(safe, sizeof(safe), text);
	while (*t && used < width && col + used < p->s->cols) {
		struct tui_cell *c = &p->s->cells[row * p->s->cols + col + used];
		int	 n = u8len(t);

		memset(c->ch, 0, sizeof(c->ch));
		if (n == 1 && *t >= 0x20 && *t != 0x7f)
			c->ch[0] = (char)*t;
		else if (n > 1 && p->utf8)
			memcpy(c->ch, t, (size_t)n);
		else
			c->ch[0] = '?';
		c->attr = (uint8_t)attr;
		t += n > 0 ? n : 1;
		used++;
	}
	return used;
}

static int
putf(struct pen *p, int row, int col, int width, int attr, const char *fmt,
    ...) __attribute__((format(printf, 6, 7)));

static int
putf(struct pen *p, int row, int col, int width, int attr, const char *fmt,
    ...)
{
	char	 buf[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return put(p, row, col, width, attr, buf);
}

static void
fill_row(struct pen *p, int row, int attr)
{
	for (int c = 0; c < p->s->cols && row >= 0 && row < p->s->rows; c++)
		p->s->cells[row * p->s->cols + c].attr = (uint8_t)attr;
}

static int
led_attr(const char *colour)
{
	static const struct { const char *n; int a; } m[] = {
		{ "green", TA_LED_GREEN }, { "blue", TA_LED_BLUE },
		{ "yellow", TA_LED_YELLOW }, { "magenta", TA_LED_MAGENTA },
		{ "red", TA_LED_RED }, { "white", TA_LED_WHITE },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (strcmp(m[i].n, colour) == 0)
			return m[i].a;
	return TA_DIM;
}

/*
 * " evgroup | master ok | meter online | dynamic | group 32.0 A | SITE |
 * user (role) HH:MM:SS":
 * what says whether the supply is safe comes first, so that it shows on
 * the narrowest screen; the site's name takes what is left.
 */
/*
 * Hybrid and green: "export 25.0 A | cars may take 25.0 A | start 0:45 |"
 * (the phase that exports least, what the cars may take on the phase
 * that allows least, green's timers while they run). Its width.
 */
static int
green_part(struct pen *p, int col, const struct tui_status *st)
{
	double	 ex = st->exported[0], take = st->may_take[0];
	char	 start[24], stop[24];

	if (strcmp(st->mode, "hybrid") != 0 && strcmp(st->mode, "green") != 0)
		return 0;
	for (int ph = 1; ph < 3; ph++) {
		ex = st->exported[ph] < ex ? st->exported[ph] : ex;
		take = st->may_take[ph] < take ? st->may_take[ph] : take;
	}
	tui_countdown(start, sizeof(start), st->green_start_ms > 0 ?
	    st->green_start_ms - st->time_ms : 0);
	tui_countdown(stop, sizeof(stop), st->green_stop_ms > 0 ?
	    st->green_stop_ms - st->time_ms : 0);
	return putf(p, 0, col, p->s->cols - col, TA_HEAD, "export %.1f A | "
	    "cars may take %.1f A | %s%s%s%s%s%s", ex, take,
	    start[0] ? "start " : "", start, start[0] ? " | " : "",
	    stop[0] ? "stop " : "", stop, stop[0] ? " | " : "");
}

static void
header(struct pen *p, const struct tui_status *st, const struct tui_view *v)
{
	int	 col = 0, w = p->s->cols, right;
	char	 who[64];

	fill_row(p, 0, TA_HEAD);
	col += put(p, 0, col, w - col, TA_HEAD, " evgroup | ");
	col += put(p, 0, col, w - col, v->reachable ? TA_HEAD : TA_BAD,
	    v->reachable ? "master ok" : "MASTER UNREACHABLE");
	if (st->valid) {
		col += put(p, 0, col, w - col, TA_HEAD, " | ");
		col += put(p, 0, col, w - col, st->meter_online ? TA_HEAD :
		    TA_BAD, st->meter_online ? "meter online" : "METER OFFLINE");
		col += putf(p, 0, col, w - col, TA_HEAD, " | %s | group "
		    "%.1f A | ", st->mode, st->group_limit);
	}
	/* a filter hides connectors: said before anything else is */
	if (v->filter[0] != '\0')
		col += putf(p, 0, col, w - col, TA_HEAD, "filter: %s | ",
		    v->filter);
	if (st->valid)
		col += green_part(p, col, st);
	snprintf(who, sizeof(who), "%s (%s) %s", v->user, v->installer ?
	    "installer" : "operator", v->clock);
	right = w - (int)strlen(who) - 1;
	/* narrow: the role, then the site's name give way to the clock */
	if (right <= col + 4) {
		snprintf(who, sizeof(who), "%s %s", v->user, v->clock);
		right = w - (int)strlen(who) - 1;
		if (right > col && right <= col + 4) {
			put(p, 0, right, w - right, TA_HEAD, who);
			return;
		}
	}
	if (st->valid)
		col += put(p, 0, col, (right > col + 4 ? right - 1 : w) - col,
		    TA_HEAD, st->site);
	if (right > col)
		put(p, 0, right, w - right, TA_HEAD, who);
}

/*
 * A phase: "L1 [bar] building + cars / limit A". The bar shows the
 * building, then the cars, against the limit in force (a marker); it and
 * the numbers turn warning above TUI_WARN_PCT % of the limit, bad above it.
 */
static void
phase_row(struct pen *p, int row, const struct tui_status *st, int ph)
{
	double	 b = st->non_ev[ph] > 0 ? st->non_ev[ph] : 0;
	double	 e = st->ev[ph] > 0 ? st->ev[ph] : 0, lim = st->limit[ph];
	double	 scale = st->site_limit, total = b + e;
	int	 attr = total > lim ? TA_BAD : total * 100 > lim * TUI_WARN_PCT ?
	    TA_WARN : TA_NORM;
	char	 nums[64];
	int	 nw, bw, nb, ne, nl;

	if (lim > scale)
		scale = lim;
	if (total > scale)
		scale = total;
	scale = scale > 0 ? scale * 1.05 : 1;
	nw = snprintf(nums, sizeof(nums), " %5.1f + %5.1f / %5.1f A", b, e, lim);
	bw = p->s->cols - 3 - 2 - nw;
	putf(p, row, 0, 3, TA_BOLD, "L%d ", ph + 1);
	if (bw < 4) {		/* too narrow for a bar: numbers only */
		put(p, row, 3, p->s->cols - 3, attr, nums);
		return;
	}
	nb = (int)(b / scale * bw + 0.5);
	ne = (int)(total / scale * bw + 0.5) - nb;
	nl = (int)(lim / scale * bw + 0.5);
	put(p, row, 3, 1, TA_NORM, "[");
	for (int i = 0; i < bw; i++) {
		const char *ch;
		int	 a;

		if (i == nl && nl < bw) {
			ch = "|";
			a = TA_LIMIT;
		} else if (i < nb) {
			ch = p->utf8 ? "\u2588" : "#";
			a = TA_BAR_BUILDING;
		} else if (i < nb + ne) {
			ch = p->utf8 ? "\u2593" : "=";
			a = attr == TA_NORM ? TA_BAR_EV : attr;
		} else {
			ch = p->utf8 ? "\u00b7" : ".";
			a = TA_BAR_FREE;
		}
		put(p, row, 4 + i, 1, a, ch);
	}
	put(p, row, 4 + bw, 1, TA_NORM, "]");
	put(p, row, 5 + bw, nw, attr, nums);
}

/* Characters of s once escaped, as put() shows it. */
static int
chars_of(const char *s)
{
	char	 esc[1024];
	int	 n = 0;

	text_escape(esc, sizeof(esc), s);
	for (const unsigned char *t = (const unsigned char *)esc; *t; t++)
		n += (*t & 0xc0) != 0x80;
	return n;
}

/* A figure in as few characters as it takes: 40, 35.5. */
static const char *
short_num(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.1f", v);
	if (strlen(buf) > 2 && strcmp(buf + strlen(buf) - 2, ".0") == 0)
		buf[strlen(buf) - 2] = '\0';
	return buf;
}

/* "40 A", or "40/40/35 A" when the phases differ. */
static void
amps3(char *buf, size_t len, const double a[3])
{
	char	 x[3][12];	/* "-12345.6": three fit a site line's 64 */

	for (int ph = 0; ph < 3; ph++)
		short_num(x[ph], sizeof(x[ph]), a[ph]);
	if (a[0] == a[1] && a[1] == a[2])
		snprintf(buf, len, "%s A", x[0]);
	else
		snprintf(buf, len, "%s/%s/%s A", x[0], x[1], x[2]);
}

/*
 * The site line: "ext. limit 40/40/35 A bms 4:59 | demand 61.2->97.0/100
 * kW cars 38.0 7:12 | imbalance 3.4/20.0 A | 2 circuits (c: ...)": the
 * external limit with who set it and the time left; the demand window's
 * average so far, where it ends if the present power holds, its target,
 * what the cars may take now and the time left in the window. "OVER"
 * once the energy so far is past the window's budget.
 * What lowers the limits now comes first, so that it shows at 80
 * columns; each part in its own colour: a demand window heading over its
 * target is a warning, one already over it bad.
 */
static void
site_line(struct pen *p, int row, const struct tui_status *st,
    const struct tui_view *v)
{
	char	 part[4][160], a[64], left[24], tg[24];
	int	 attr[4], n = 0, col = 0;

	if (st->external) {
		amps3(a, sizeof(a), st->external_limit);
		tui_countdown(left, sizeof(left), st->external_until_ms -
		    st->time_ms);
		attr[n] = TA_WARN;
		snprintf(part[n++], sizeof(part[0]), "ext. limit %s %s%s%s", a,
		    st->external_by, left[0] ? " " : "", left);
	}
	if (st->demand) {
		/* over already: the energy so far is past the window's
		 * budget, whatever comes; heading over: the projection is */
		bool	 spent = st->demand_average * (double)(st->time_ms -
		    st->demand_start_ms) > st->demand_target *
		    (double)(st->demand_end_ms - st->demand_start_ms);

		tui_countdown(left, sizeof(left), st->demand_end_ms -
		    st->time_ms);
		attr[n] = spent ? TA_BAD : st->demand_over ||
		    st->demand_projected > st->demand_target ? TA_WARN : TA_NORM;
		snprintf(part[n++], sizeof(part[0]), "demand %s%.1f%s%.1f/%s %s "
		    "cars %.1f%s%s", spent ? "OVER " : "",
		    st->demand_average, p->utf8 ? "\u2192" : "->",
		    st->demand_projected, short_num(tg, sizeof(tg),
		    st->demand_target), st->demand_unit, st->demand_ev_cap,
		    left[0] ? " " : "", left);
	}
	if (!isnan(st->imbalance_limit)) {
		if (isnan(st->imbalance))
			snprintf(a, sizeof(a), "-");
		else
			snprintf(a, sizeof(a), "%.1f", st->imbalance);
		attr[n] = !isnan(st->imbalance) && st->imbalance >
		    st->imbalance_limit ? TA_BAD : TA_NORM;
		snprintf(part[n++], sizeof(part[0]), "imbalance %s/%.1f A", a,
		    st->imbalance_limit);
	}
	if (st->ncircuits > 0) {
		attr[n] = TA_DIM;
		snprintf(part[n++], sizeof(part[0]), "%d circuit%s (c: %s)",
		    st->ncircuits, st->ncircuits == 1 ? "" : "s",
		    v->by_circuit ? "connectors" : "circuit view");
	}
	/* each part whole or not at all; the first one cut if it must */
	for (int i = 0; i < n; i++) {
		int	 need = chars_of(part[i]) + (i ? 3 : 0);

		if (i > 0 && col + need > p->s->cols)
			break;
		if (i > 0)
			col += put(p, row, col, 3, TA_NORM, " | ");
		col += put(p, row, col, p->s->cols - col, attr[i], part[i]);
	}
}

/*
 * A circuit's header row in the circuit view: "  row-a  63A meter ok
 * L1[##==..  ]32/40 L2[...". Per phase a bar on the circuit's limit: its
 * building (metered), what its chargers are counted at, what they may
 * still take; past that up to the limit, blank (the margin, or a parent
 * that allows less). Then used/available in figures. Its meter's state in
 * words; a circuit without one says so.
 */
static void
circuit_row(struct pen *p, int row, const struct tui_circuit *c,
    const char *meter, int meter_attr)
{
	/* the name's column (indent included) grows with the screen: 12
	 * characters at 80 columns, up to 24 */
	int	 wide = 12 + (p->s->cols - 80) / 4, col = 0, ind = 2 * c->depth;
	int	 nw, pw, bw;
	char	 name[160];

	wide = wide < 12 ? 12 : wide > 24 ? 24 : wide;
	nw = wide - ind < 4 ? 4 : wide - ind;
	fill_row(p, row, TA_BOLD);
	col += putf(p, row, col, p->s->cols - col, TA_BOLD, "%*s%s %3.0fA ",
	    ind, "", tui_fit(name, sizeof(name), c->name, nw), c->limit);
	col += putf(p, row, col, p->s->cols - col, meter_attr, "%-9s ", meter);
	/* room for the balance first, where the bars can spare it */
	pw = (p->s->cols - col - (!isnan(c->imbalance_limit) &&
	    p->s->cols - col >= 3 * 20 + 24 ? 24 : 0)) / 3;
	bw = pw - 3 - 1 - 7 - 1;
	for (int ph = 0; ph < 3; ph++) {
		double	 b = isnan(c->building[ph]) || c->building[ph] < 0 ? 0 :
		    c->building[ph], u = c->used[ph] > 0 ? c->used[ph] : 0;
		double	 scale = c->limit > 0 ? c->limit : 1;
		int	 attr = b + u > c->limit ? TA_BAD : (b + u) * 100 >
		    c->limit * TUI_WARN_PCT ? TA_WARN : TA_BOLD;
		int	 nb = (int)(b / scale * bw + 0.5);
		int	 nu = (int)((b + u) / scale * bw + 0.5) - nb;
		int	 na = (int)((b + c->available[ph]) / scale * bw + 0.5);

		col += putf(p, row, col, p->s->cols - col, TA_BOLD, "L%d", ph + 1);
		if (bw >= 2) {
			col += put(p, row, col, 1, TA_BOLD, "[");
			for (int i = 0; i < bw; i++)
				col += put(p, row, col, 1, i < nb ?
				    TA_BAR_BUILDING : i < nb + nu ? (attr ==
				    TA_BOLD ? TA_BAR_EV : attr) : TA_BAR_FREE,
				    i < nb ? (p->utf8 ? "\u2588" : "#") :
				    i < nb + nu ? (p->utf8 ? "\u2593" : "=") :
				    i < na ? (p->utf8 ? "\u00b7" : ".") : " ");
			col += put(p, row, col, 1, TA_BOLD, "]");
		} else
			col += put(p, row, col, 1, TA_BOLD, " ");
		col += putf(p, row, col, p->s->cols - col, attr, "%3.0f/%-3.0f ",
		    u, c->available[ph]);
	}
	/* where it fits whole */
	if (!isnan(c->imbalance_limit) && p->s->cols - col >= 24)
		putf(p, row, col, p->s->cols - col, !isnan(c->imbalance) &&
		    c->imbalance > c->imbalance_limit ? TA_BAD : TA_BOLD,
		    "imbalance %.1f/%.1f A", isnan(c->imbalance) ? 0 :
		    c->imbalance, c->imbalance_limit);
}

/* The circuit view's header row of group g: 0 the supply, k + 1 the
 * status's circuit k. */
static void
group_row(struct pen *p, int row, const struct tui_status *st, int g)
{
	const struct tui_circuit *c;
	struct tui_circuit sup;

	if (g == 0) {
		/* the supply as a circuit: its fuse, the building, the cars
		 * counted as the circuits count theirs (offers) */
		memset(&sup, 0, sizeof(sup));
		snprintf(sup.name, sizeof(sup.name), "supply");
		sup.limit = st->site_limit;
		for (int ph = 0; ph < 3; ph++) {
			sup.building[ph] = st->non_ev[ph];
			sup.used[ph] = st->used[ph];
			sup.available[ph] = st->available[ph];
		}
		sup.imbalance_limit = st->imbalance_limit;
		sup.imbalance = st->imbalance;
		circuit_row(p, row, &sup, strcmp(st->mode, "static") == 0 ?
		    "no meter" : st->meter_online ? "meter ok" : "METER OFF",
		    strcmp(st->mode, "static") == 0 ? TA_DIM :
		    st->meter_online ? TA_BOLD : TA_BAD);
		return;
	}
	c = &st->circuits[g - 1];
	circuit_row(p, row, c, !c->metered ? "no meter" : c->meter_online ?
	    "meter ok" : "METER OFF", !c->metered ? TA_DIM : c->meter_online ?
	    TA_BOLD : TA_BAD);
}

/* Column widths: the name and the last column (why: the faults, or the
 * reason for the offer) take what the screen leaves. */
struct cols {
	int	 name, why;
};

static struct cols
columns(int width, bool ocpp)
{
	/* fixed: conn 1, phase 6, led 2, state 13, offer 5, draw 14, kWh 6,
	 * time 5, and the spaces between; the OCPP mark 2 */
	int	 fixed = 1 + 1 + 6 + 1 + 2 + 13 + 1 + 5 + 1 + 14 + 1 + 6 + 1 + 5 + 1 +
		    (ocpp ? 2 : 0);
	int	 rest = width - fixed - 1;
	struct cols c;

	/* the reasons in words need the room more than long names */
	c.name = rest / 3 < 8 ? 8 : rest / 3 > 24 ? 24 : rest / 3;
	c.why = rest - c.name;
	if (c.why < 0)
		c.why = 0;
	return c;
}

/*
 * The last column: a connector's faults, or why it is offered what it
 * is with the time left ("rotation rest 2:30"). Cut to w columns, the
 * countdown kept and the cut marked, never in the middle of a character.
 */
static const char *
why_cell(char *buf, size_t len, const struct tui_conn *c, int64_t now_ms,
    int w, bool utf8)
{
	char	 cd[24], text[160];
	int	 tw;

	if (c->faults[0])
		return tui_fit(buf, len, c->faults, w);
	tui_countdown(cd, sizeof(cd), c->until_ms > 0 ? c->until_ms - now_ms :
	    0);
	tw = w - (cd[0] ? (int)strlen(cd) + 1 : 0);
	if (tw < 2)		/* no room for words: the time alone */
		return tui_fit(buf, len, cd[0] ? cd : c->reason_text, w);
	if (chars_of(c->reason_text) > tw) {
		size_t	 e;

		tui_fit(text, sizeof(text), c->reason_text, tw - 1);
		for (e = strlen(text); e > 0 && text[e - 1] == ' '; e--)
			text[e - 1] = '\0';	/* "limited by…" */
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		    "%s", utf8 ? "\u2026" : ".");
	} else
		snprintf(text, sizeof(text), "%s", c->reason_text);
	snprintf(buf, len, "%s%s%s", text, cd[0] ? " " : "", cd);
	return buf;
}

static void
table_head(struct pen *p, int row)
{
	struct cols w = columns(p->s->cols, p->ocpp);

	fill_row(p, row, TA_BOLD);
	putf(p, row, 0, p->s->cols, TA_BOLD, "%-*.*s%s %s %-6s   %-13s %5s "
	    "%-14s %6s %5s %s", w.name, w.name, "Charger", p->ocpp ? " O" : "",
	    "C",
	    "Phase", "State", "Offer", "Draw L1/L2/L3 A", "kWh", "Time",
	    w.why > 0 ? "Why" : "");
}

static void
conn_row(struct pen *p, int row, const struct tui_conn *c, int64_t now_ms,
    bool sel)
{
	struct cols w = columns(p->s->cols, p->ocpp);
	int	 base = sel ? TA_SEL : c->online ? TA_NORM : TA_DIM;
	int	 col = 0;
	char	 draw[48], t[48], name[160], state[64], why[256];

	if (sel)
		fill_row(p, row, TA_SEL);
	snprintf(draw, sizeof(draw), "%4.1f/%4.1f/%4.1f", c->current[0],
	    c->current[1], c->current[2]);
	snprintf(t, sizeof(t), "%ld:%02ld", c->session_s / 3600,
	    (c->session_s / 60) % 60);
	col += putf(p, row, col, p->s->cols - col, base, "%s",
	    tui_fit(name, sizeof(name), c->charger, w.name));
	/* the charger's OCPP link (tui_ocpp_mark; the help says them) */
	if (p->ocpp)
		col += putf(p, row, col, p->s->cols - col, sel ? TA_SEL :
		    c->ocpp[0] == '\0' ? TA_DIM : strcmp(c->ocpp, "accepted") ==
		    0 ? TA_OK : TA_WARN, " %c", tui_ocpp_mark(c));
	col += putf(p, row, col, p->s->cols - col, base, " %d %-6s ",
	    c->connector, c->phase);
	col += put(p, row, col, 1, sel ? TA_SEL : c->online ?
	    led_attr(c->led_colour) : TA_DIM, p->utf8 ? "\u25cf" : "*");
	col += put(p, row, col, 1, base, " ");
	col += putf(p, row, col, p->s->cols - col, c->faults[0] && !sel ?
	    TA_BAD : base, "%s", tui_fit(state, sizeof(state),
	    tui_state_short(c), 13));
	/* a mark after the offer: capped by the CSMS's charging profile */
	col += putf(p, row, col, p->s->cols - col, base, " %5.1f%c%-14s %6.2f "
	    "%5s ", c->offer, c->ocpp_cap >= 0 ? '^' : ' ', draw,
	    c->session_kwh, t);
	if (w.why > 0)
		put(p, row, col, w.why, sel ? TA_SEL : c->faults[0] ? TA_BAD :
		    base, why_cell(why, sizeof(why), c, now_ms, w.why, p->utf8));
}

static void
alarms(struct pen *p, int row, const struct tui_status *st)
{
	int	 na = st->nalarms < ALARM_ROWS - 1 ? st->nalarms : ALARM_ROWS - 1;

	/* What is wrong now comes before what happened (alarms.c). */
	if (st->alarms_total > 0)
		putf(p, row, 0, p->s->cols, TA_BOLD, "Alarms now: %d, then the "
		    "newest events", st->alarms_total);
	else
		put(p, row, 0, p->s->cols, TA_BOLD, "Newest events");
	for (int i = 0; i < na; i++) {
		const struct tui_event *x = &st->alarms[i];
		char	 t[16] = "";
		time_t	 tt = (time_t)(x->ack_ms / 1000);
		struct tm tm;

		/* acknowledged ones come last, dimmed, saying who and when */
		if (x->ack_by[0] == '\0') {
			putf(p, row + 1 + i, 0, p->s->cols, x->severity >= 2 ?
			    TA_BAD : TA_WARN, "ALARM %s", x->text);
			continue;
		}
		localtime_r(&tt, &tm);
		strftime(t, sizeof(t), "%H:%M", &tm);
		putf(p, row + 1 + i, 0, p->s->cols, TA_DIM, "ALARM (ack %s "
		    "%s) %s", x->ack_by, t, x->text);
	}
	for (int i = 0; i < ALARM_ROWS - 1 - na; i++) {
		const struct tui_event *e;
		char	 t[16];
		time_t	 tt;
		struct tm tm;

		if (i >= st->nevents)
			break;
		e = &st->events[i];
		tt = (time_t)(e->time_ms / 1000);
		localtime_r(&tt, &tm);
		strftime(t, sizeof(t), "%H:%M:%S", &tm);
		/* who or what, unless the text says it already */
		putf(p, row + 1 + na + i, 0, p->s->cols, e->severity >= 2 ? TA_BAD :
		    e->severity == 1 ? TA_WARN : TA_NORM, "%s %s%s%s", t,
		    strstr(e->text, e->source) ? "" : e->source,
		    strstr(e->text, e->source) ? "" : ": ", e->text);
	}
}

/* The keys spelled out, for a wide terminal. */
#define KEYS_LONG	" jk/arrows select  Enter detail  p pause  l lock  " \
	"b boost  a authorise  r reset  A ack  +/- limit  o sort  " \
	"c circuits  / filter  e events  s sessions  ? help  q quit"

static void
footer(struct pen *p, const struct tui_view *v, const char *help)
{
	int	 r = p->s->rows;

	if (v->typing)
		putf(p, r - 2, 0, p->s->cols, TA_BOLD, "Filter: %s_  (Enter: "
		    "keep, Esc: clear)", v->filter);
	else if (v->message[0])
		put(p, r - 2, 0, p->s->cols, v->message_bad ? TA_BAD : TA_OK,
		    v->message);
	else if (v->filter[0])
		putf(p, r - 2, 0, p->s->cols, TA_DIM, "filter: %s (/ to change, "
		    "Esc to clear)", v->filter);
	fill_row(p, r - 1, TA_HEAD);
	put(p, r - 1, 0, p->s->cols, TA_HEAD, help);
}

/*
 * The circuit view's table: each circuit's header row (the supply first,
 * then the tree, each board after its parent) with its connectors under
 * it, in the order tui_rows() gives (grouped by circuit when the view is
 * by circuit). A circuit without connectors still shows: a board that
 * feeds boards. The selection stays on screen.
 */
static void
circuit_table(struct pen *p, const struct tui_status *st,
    const struct tui_view *v, const int *idx, int n, int hr, int rows)
{
	int	 total = st->ncircuits + 1 + n, *disp, d = 0, selpos = 0, top;

	if ((disp = malloc((size_t)total * sizeof(int))) == NULL)
		return;
	/* -1 - g: group g's header; j >= 0: the j-th connector row */
	for (int g = 0, j = 0; g <= st->ncircuits; g++) {
		disp[d++] = -1 - g;
		for (; j < n && tui_circuit_of(st, &st->conns[idx[j]]) == g;
		    j++) {
			if (j == v->sel)
				selpos = d;
			disp[d++] = j;
		}
	}
	top = selpos >= rows ? selpos - rows + 1 : 0;
	for (int i = 0; i < rows && top + i < d; i++) {
		int	 k = disp[top + i];

		if (k < 0)
			group_row(p, hr + i, st, -1 - k);
		else
			conn_row(p, hr + i, &st->conns[idx[k]], st->time_ms,
			    k == v->sel);
	}
	if (d > rows) {
		char	 pos[40];
		int	 len = snprintf(pos, sizeof(pos), " %d-%d/%d ", top + 1,
		    top + rows < d ? top + rows : d, d);

		put(p, hr - 1, p->s->cols - len, len, TA_BOLD, pos);
	}
	free(disp);
}

static void
main_screen(struct pen *p, const struct tui_status *st,
    const struct tui_view *v)
{
	int	 rows = tui_table_rows(st, p->s->rows), *idx, n, top;
	int	 hr = head_rows(st);

	for (int ph = 0; ph < 3; ph++)
		if (st->valid)
			phase_row(p, 1 + ph, st, ph);
	if (has_site_line(st))
		site_line(p, 4, st, v);
	table_head(p, hr - 1);
	if (!st->valid) {
		putf(p, hr + 1, 2, p->s->cols - 2, TA_BAD, "%s",
		    v->reachable ? "waiting for the master's first status..." :
		    "master unreachable: ");
		if (!v->reachable)
			put(p, hr + 2, 2, p->s->cols - 2, TA_BAD,
			    v->unreachable_why);
		put(p, hr + 3, 2, p->s->cols - 2, TA_DIM,
		    "retrying by itself; q quits");
	} else if (st->n == 0 && !v->by_circuit) {
		put(p, hr + 1, 2, p->s->cols - 2, TA_DIM,
		    "no connectors configured on this site");
	} else if ((idx = malloc((st->n + 1) * sizeof(int))) != NULL) {
		n = tui_rows(st, v, idx, (int)st->n);
		if (v->by_circuit) {
			circuit_table(p, st, v, idx, n, hr, rows);
			free(idx);
			goto out;
		}
		top = v->top;
		if (v->sel < top)
			top = v->sel;
		if (v->sel >= top + rows)
			top = v->sel - rows + 1;
		if (top > n - rows)
			top = n - rows > 0 ? n - rows : 0;
		for (int i = 0; i < rows && top + i < n; i++)
			conn_row(p, hr + i, &st->conns[idx[top + i]],
			    st->time_ms, top + i == v->sel);
		if (n == 0)
			putf(p, hr, 2, p->s->cols - 2, TA_DIM, "no "
			    "connector matches '%s'", v->filter);
		else if (n > rows) {
			char	 pos[40];
			int	 len = snprintf(pos, sizeof(pos), " %d-%d/%d ",
			    top + 1, top + rows < n ? top + rows : n, n);

			put(p, hr - 1, p->s->cols - len, len, TA_BOLD, pos);
		}
		free(idx);
	}
out:
	if (st->valid)
		alarms(p, p->s->rows - FOOT_ROWS - ALARM_ROWS, st);
	if (st->valid && !v->reachable && !v->message[0])
		put(p, p->s->rows - 2, 0, p->s->cols, TA_BAD, "master unreachable:"
		    " showing its last status; reconnecting...");
	/* the long line only where all of it fits (never cut) */
	footer(p, v, p->s->cols >= (int)sizeof(KEYS_LONG) - 1 ? KEYS_LONG :
	    "jk Enter p pause l lock b boost a auth r reset A ack +-limit "
	    "o sort c / e s ? q");
}

static void
detail_screen(struct pen *p, const struct tui_status *st,
    const struct tui_view *v, const struct tui_list *l)
{
	const struct tui_conn *c = NULL;
	int	 r = 2, shown = 0;

	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->conns[i].charger, v->sel_charger) == 0 &&
		    st->conns[i].connector == v->sel_connector)
			c = &st->conns[i];
	if (c == NULL) {
		put(p, 2, 2, p->s->cols - 2, TA_DIM, "this connector is gone");
		footer(p, v, " Esc back");
		return;
	}
	putf(p, 1, 0, p->s->cols, TA_BOLD, "%s connector %d", c->charger,
	    c->connector);
	putf(p, r++, 2, p->s->cols - 2, TA_NORM, "state     %s%s%s (pilot %s)",
	    c->online ? c->state : "charger offline", c->paused ?
	    ", paused by an operator" : "", c->boost ? ", boost" : "", c->cp);
	putf(p, r++, 2, p->s->cols - 2, TA_NORM, "wiring    %s, max %.1f A%s%s",
	    c->phase, c->max_current, c->circuit[0] ? ", circuit " : "",
	    c->circuit);
	putf(p, r++, 2, p->s->cols - 2, TA_NORM, "offer     %.1f A (allowed "
	    "%.1f A)", c->offer, c->setpoint);
	if (c->ocpp_cap >= 0)
		putf(p, r++, 2, p->s->cols - 2, TA_NORM, "CSMS cap  %.1f A (OCPP "
		    "charging profile)", c->ocpp_cap);
	{
		char	 cd[24], at[16] = "";
		time_t	 tt = (time_t)(c->until_ms / 1000);
		struct tm tm;

		tui_countdown(cd, sizeof(cd), c->until_ms > 0 ? c->until_ms -
		    st->time_ms : 0);
		if (cd[0] && localtime_r(&tt, &tm) != NULL)
			strftime(at, sizeof(at), "%H:%M:%S", &tm);
		putf(p, r++, 2, p->s->cols - 2, TA_NORM, "why       %s%s%s%s%s",
		    c->reason_text[0] ? c->reason_text : "-", cd[0] ? ", " : "",
		    cd, cd[0] ? " left, until " : "", at);
	}
	putf(p, r++, 2, p->s->cols - 2, TA_NORM, "draw      L1 %.1f A, L2 %.1f "
	    "A, L3 %.1f A", c->current[0], c->current[1], c->current[2]);
	putf(p, r++, 2, p->s->cols - 2, TA_NORM, "session   %.2f kWh, %ld:%02ld",
	    c->session_kwh, c->session_s / 3600, (c->session_s / 60) % 60);
	putf(p, r++, 2, p->s->cols - 2, c->faults[0] ? TA_BAD : TA_NORM,
	    "faults    %s", c->faults[0] ? c->faults : "none");
	if (st->ocpp)
		putf(p, r++, 2, p->s->cols - 2, c->ocpp[0] == '\0' ? TA_DIM :
		    strcmp(c->ocpp, "accepted") == 0 ? TA_OK : TA_WARN,
		    "OCPP      %s%s%s", c->ocpp[0] ? c->ocpp : "not a charge "
		    "point", c->ocpp[0] ? ", as " : "", c->ocpp_identity);
	putf(p, ++r, 0, p->s->cols, TA_BOLD, "Recent events of %s", c->charger);
	r++;
	for (int i = 0; l != NULL && i < l->n && r < p->s->rows - 2; i++) {
		if (strstr(l->rows[i], c->charger) == NULL)
			continue;
		if (shown++ < v->list_top)
			continue;
		put(p, r++, 2, p->s->cols - 2, l->severity[i] >= 2 ? TA_BAD :
		    l->severity[i] == 1 ? TA_WARN : TA_NORM, l->rows[i]);
	}
	if (l == NULL || l->loading)
		put(p, r, 2, p->s->cols - 2, TA_DIM, "loading...");
	footer(p, v, " p pause/resume  l lock/unlock  b boost  a authorise  "
	    "r reset  jk scroll  Esc back");
}

static void
list_screen(struct pen *p, const struct tui_view *v, const struct tui_list *l,
    const char *fallback)
{
	int	 rows = p->s->rows - 4;

	putf(p, 1, 0, p->s->cols, TA_BOLD, "%s", l && l->title[0] ? l->title :
	    fallback);
	if (l == NULL || l->loading || l->rows == NULL)
		put(p, 3, 2, p->s->cols - 2, TA_DIM, "loading...");
	else if (l->n == 0)
		put(p, 3, 2, p->s->cols - 2, TA_DIM, "nothing recorded yet");
	else {
		for (int i = 0; i < rows && v->list_top + i < l->n; i++) {
			int	 k = v->list_top + i;

			put(p, 2 + i, 0, p->s->cols, l->severity[k] >= 2 ? TA_BAD :
			    l->severity[k] == 1 ? TA_WARN : TA_NORM, l->rows[k]);
		}
		putf(p, 1, p->s->cols - 14, 14, TA_BOLD, " %5d/%d",
		    v->list_top + 1, l->n);
	}
	footer(p, v, p->utf8 ? " \u2191\u2193/jk scroll  PgUp/PgDn  "
	    "e events  s sessions  Esc back" :
	    " jk scroll  PgUp/PgDn  e events  s sessions  Esc back");
}

/* The help screen's lines (scrolled by the keys: tui_help_lines()). */
static const char *const help_lines[] = {
	"Keys",
	"  Up/Down, j/k   select a connector (PgUp/PgDn, Home/End)",
	"  Enter          the connector's detail and recent events",
	"  p              pause or resume the selected connector",
	"  l              lock (out of service) or unlock it",
	"  b              boost: charge now, past smart-charging waits",
	"  a              authorise a car waiting for authorisation",
	"  r              reset a latched fault (asks to confirm)",
	"  A              acknowledge the first alarm nobody has (asks",
	"                 y/n; it stays listed, marked ack, while it lasts)",
	"  + / -          raise or lower the group limit by 1 A (installers;",
	"                 shows the figures and asks y/n first)",
	"  o              sort by name, state or draw",
	"  c              circuit view: the connectors grouped by circuit",
	"                 (the supply, then each board under its parent),",
	"                 a row per circuit: its bars per phase (building,",
	"                 cars, what they may still take, on its limit),",
	"                 used/available A, its meter; c again: back",
	"  /              filter by charger name or state; Esc clears",
	"  e / s          events / sessions",
	"  q              quit (Esc: back)",
	"",
	"States (the table's short words, then the detail view's)",
	"  available                  no car",
	"  wait auth                  waiting-for-authorisation: a car is",
	"                             plugged in, not yet allowed: a allows",
	"  authorised                 authorised-waiting-for-car: allowed;",
	"                             the car has not started",
	"  charging                   the car draws current",
	"  wait current               waiting-for-current: no current offered",
	"                             now: the supply is shared out, or",
	"                             smart charging waits",
	"  paused (op)                an operator paused it: p resumes",
	"  car suspends               suspended-by-car: offered, but the car",
	"                             takes nothing",
	"  fault                      stopped for safety: see Faults; reset",
	"                             once fixed",
	"  locked                     out of service (an operator)",
	"  offline                    the charger does not answer",
	"",
	"Offer: a ^ after it: capped by the CSMS's charging profile",
	"  (OCPP; the detail view says at how much)",
	"OCPP (column O, when the site has a CSMS): each charger's link",
	"  +  accepted by the CSMS    ~  connecting, booting or pending",
	"  !  rejected by the CSMS    -  not a charge point",
	"  (the detail view says it in words; docs/ocpp.md)",
	"",
	"Why: the reason for the offer (faults first), with the time",
	"  left where the wait has an end: rotation rest 2:30, smart-",
	"  charging delay 4:10, paused by operator (name), overload cut,",
	"  limited by the supply (L2)... (operator guide: Why a car waits)",
	"",
	"Every action is recorded by the master with your name.",
};

int
tui_help_lines(void)
{
	return (int)(sizeof(help_lines) / sizeof(help_lines[0]));
}

static void
help_screen(struct pen *p, const struct tui_view *v)
{
	int	 n = tui_help_lines();

	for (int i = 0; i + v->list_top < n && 1 + i < p->s->rows - 2; i++)
		/* the titles: the lines that do not start with a space */
		put(p, 1 + i, 1, p->s->cols - 1, help_lines[i + v->list_top][0]
		    != ' ' ? TA_BOLD : TA_NORM, help_lines[i + v->list_top]);
	footer(p, v, " jk scroll  Esc back");
}

void
tui_render(const struct tui_status *st, const struct tui_view *v,
    const struct tui_list *l, bool utf8, struct tui_screen_model *s)
{
	struct pen p = { s, utf8, st->ocpp };

	clear(&p);
	header(&p, st, v);
	switch (v->screen) {
	case SCR_MAIN:
		main_screen(&p, st, v);
		break;
	case SCR_DETAIL:
		detail_screen(&p, st, v, l);
		break;
	case SCR_EVENTS:
		list_screen(&p, v, l, "Events");
		break;
	case SCR_SESSIONS:
		list_screen(&p, v, l, "Sessions");
		break;
	case SCR_HELP:
		help_screen(&p, v);
		break;
	}
}

/* A row as text (UTF-8), trailing blanks dropped: for the tests. */
void
tui_screen_line(const struct tui_screen_model *s, int row, char *buf,
    size_t len)
{
	size_t	 o = 0, last = 0;

	buf[0] = '\0';
	for (int c = 0; c < s->cols && row >= 0 && row < s->rows; c++) {
		const char *ch = s->cells[row * s->cols + c].ch;
		size_t	 n = strnlen(ch, sizeof(s->cells[0].ch));

		if (o + n + 1 > len)
			break;
		memcpy(buf + o, ch, n);
		o += n;
		if (!(n == 1 && ch[0] == ' '))
			last = o;
	}
	buf[last] = '\0';
}
