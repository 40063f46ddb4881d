/*
 * test_tui.c: the console's pure core: a status snapshot and the view in,
 * a screen model out. Bars and their warning colour, truncation at 80
 * columns, 1000 connectors with scrolling, an empty site, the master
 * unreachable, sorting, filtering, the keys' actions, bad JSON, texts
 * from outside escaped, why each connector waits (its column and the
 * detail), circuits: their view, the site line (external limit,
 * demand window, phase balance).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tui.h"

/* A status as the master sends it, n connectors. */
static char *
status_json(int n, double nonev, double ev, double limit)
{
	size_t	 cap = 4096 + (size_t)n * 512, o = 0;
	char	*b = malloc(cap);

	o += (size_t)snprintf(b + o, cap - o, "{\"site\":\"Car park B\","
	    "\"mode\":\"dynamic\",\"meter_online\":true,\"clamp\":[%.1f,%.1f,"
	    "%.1f],\"ev\":[%.1f,%.1f,%.1f],\"non_ev\":[%.1f,%.1f,%.1f],"
	    "\"limit\":[%.1f,%.1f,%.1f],\"available\":[1,1,1],"
	    "\"group_limit\":63.0,\"site_limit\":100.0,\"time_ms\":0,"
	    "\"connectors\":[", nonev + ev, nonev + ev, nonev + ev, ev, ev, ev,
	    nonev, nonev, nonev, limit, limit, limit);
	for (int i = 0; i < n; i++)
		o += (size_t)snprintf(b + o, cap - o, "%s{\"charger\":\"bay-%04d\","
		    "\"charger_id\":%d,\"connector\":%d,\"online\":true,"
		    "\"state\":\"%s\",\"phase\":\"L1L2L3\",\"cp\":\"C\","
		    "\"paused\":false,\"boost\":false,\"offer\":%d.0,"
		    "\"setpoint\":16.0,\"max_current\":32.0,\"current\":[%d.0,"
		    "%d.0,%d.0],\"session_wh\":%d,\"session_s\":3725,"
		    "\"faults\":%s,\"led\":\"charging\",\"led_colour\":\"%s\"}",
		    i ? "," : "", i / 2 + 1, i / 2 + 1, i % 2 + 1,
		    i == 3 ? "fault" : i % 3 ? "charging" : "available", i % 17,
		    i % 17, i % 17, i % 17, 1000 * i,
		    i == 3 ? "[\"residual-current-dc\"]" : "[]",
		    i == 3 ? "red" : "blue");
	snprintf(b + o, cap - o, "],\"events\":[{\"time_ms\":0,\"severity\":2,"
	    "\"source\":\"meter\",\"text\":\"offline after 3 faulty readings\"},"
	    "{\"time_ms\":0,\"severity\":0,\"source\":\"olivia\",\"text\":"
	    "\"olivia: pause bay-0001 connector 1\"}]}");
	return b;
}

struct fx {
	struct tui_status st;
	struct tui_view	 v;
	struct tui_screen_model s;
	char		 line[2048];
};

static void
load(struct fx *f, int n, double nonev, double ev, double limit)
{
	char	*j = status_json(n, nonev, ev, limit), err[100];

	assert_int_equal(tui_status_parse(&f->st, j, strlen(j), err,
	    sizeof(err)), 0);
	free(j);
	tui_keep_selection(&f->v, &f->st);
}

static const char *
row(struct fx *f, int r)
{
	tui_screen_line(&f->s, r, f->line, sizeof(f->line));
	return f->line;
}

/* TUI_DUMP=1 prints each screen rendered by render(): for debugging. */
static void
render(struct fx *f, const struct tui_list *l, bool utf8)
{
	tui_render(&f->st, &f->v, l, utf8, &f->s);
	if (getenv("TUI_DUMP") == NULL)
		return;
	for (int r = 0; r < f->s.rows; r++) {
		tui_screen_line(&f->s, r, f->line, sizeof(f->line));
		printf("%2d|%s\n", r, f->line);
	}
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->v.reachable = true;
	snprintf(f->v.user, sizeof(f->v.user), "olivia");
	snprintf(f->v.clock, sizeof(f->v.clock), "12:34:56");
	assert_int_equal(tui_screen_alloc(&f->s, 24, 80), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	tui_status_free(&f->st);
	tui_screen_free(&f->s);
	free(f);
	return 0;
}

/* Every cell of the row that shows c, in the attributes seen. */
static bool
row_has_attr(struct fx *f, int r, int attr)
{
	for (int c = 0; c < f->s.cols; c++)
		if (f->s.cells[r * f->s.cols + c].attr == attr)
			return true;
	return false;
}

static void
test_bars_and_warning(void **state)
{
	struct fx *f = *state;

	load(f, 4, 20, 10, 98);
	render(f, NULL, false);
	/* 20 A of building then 10 A of cars on a scale of 105 A */
	assert_non_null(strstr(row(f, 1), "L1 [##########=====....."));
	assert_non_null(strstr(row(f, 1), " 20.0 +  10.0 /  98.0 A"));
	assert_true(row_has_attr(f, 1, TA_LIMIT));
	assert_false(row_has_attr(f, 1, TA_WARN));
	/* above 90 % of the limit: warning; above it: bad */
	load(f, 4, 60, 30, 98);
	render(f, NULL, false);
	assert_true(row_has_attr(f, 1, TA_WARN));
	load(f, 4, 70, 30, 98);
	render(f, NULL, false);
	assert_true(row_has_attr(f, 1, TA_BAD));
	/* UTF-8 bars when the terminal has it */
	load(f, 4, 20, 10, 98);
	render(f, NULL, true);
	assert_non_null(strstr(row(f, 1), "\u2588\u2588\u2588"));
	assert_non_null(strstr(row(f, 1), "\u2593"));
}

static void
test_80_columns(void **state)
{
	struct fx *f = *state;

	load(f, 8, 20, 10, 98);
	render(f, NULL, false);
	for (int r = 0; r < 24; r++)
		assert_true(strlen(row(f, r)) <= 80);
	assert_non_null(strstr(row(f, 0), "master ok"));
	assert_non_null(strstr(row(f, 0), "12:34:56"));
	/* the group limit is on screen (the keys + and - change it) */
	assert_non_null(strstr(row(f, 0), "group 63.0 A"));
	assert_non_null(strstr(row(f, 4), "Charger"));
	assert_non_null(strstr(row(f, 4), "Why"));
	assert_non_null(strstr(row(f, 5), "bay-0001"));
	/* the selected row is marked; a fault is bad */
	assert_true(row_has_attr(f, 5, TA_SEL));
	assert_non_null(strstr(row(f, 5 + 3), "residual-cur"));
	assert_true(row_has_attr(f, 5 + 3, TA_BAD));
	assert_non_null(strstr(row(f, 23), "q"));
	assert_non_null(strstr(row(f, 19), "offline after 3"));
	assert_true(row_has_attr(f, 19, TA_BAD));
	/* a long site name is cut, not wrapped; the master's state stays */
	snprintf(f->st.site, sizeof(f->st.site), "%s", "A very long site name "
	    "that goes on and on past any screen");
	render(f, NULL, false);
	assert_true(strlen(row(f, 0)) <= 80);
	assert_non_null(strstr(row(f, 0), "master ok"));
	assert_non_null(strstr(row(f, 0), "group 63.0 A"));
	/* the keys: spelled out only where all of them fit, never cut;
	 * the short line on every width below */
	for (int w = 140; w <= 170; w++) {
		tui_screen_free(&f->s);
		assert_int_equal(tui_screen_alloc(&f->s, 24, w), 0);
		render(f, NULL, false);
		assert_non_null(strstr(row(f, 23), "q quit") ?:
		    strstr(row(f, 23), "o sort c / e s ? q"));
	}
	assert_non_null(strstr(row(f, 23), "? help  q quit"));
	/* very small screens do not break it */
	for (int w = 1; w < 40; w += 7) {
		tui_screen_free(&f->s);
		assert_int_equal(tui_screen_alloc(&f->s, 3 + w / 4, w), 0);
		render(f, NULL, false);
	}
}

static void
test_thousand_connectors(void **state)
{
	struct fx *f = *state;
	struct tui_action a;
	int	 page = tui_table_rows(&f->st, 24);

	load(f, 1000, 20, 10, 98);
	assert_int_equal(f->st.n, 1000);
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 4), " 1-13/1000"));
	for (int i = 0; i < 500; i++)
		tui_key(&f->v, &f->st, NULL, 'j', page, &a);
	assert_int_equal(f->v.sel, 500);
	render(f, NULL, false);
	/* the selection is on screen, in reverse */
	{
		bool	 seen = false;

		for (int r = 5; r < 5 + page; r++)
			if (row_has_attr(f, r, TA_SEL)) {
				seen = true;
				assert_non_null(strstr(row(f, r), "bay-0251"));
			}
		assert_true(seen);
	}
	tui_key(&f->v, &f->st, NULL, TUI_KEY_END, page, &a);
	assert_int_equal(f->v.sel, 999);
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 4), "988-1000/1000"));
	tui_key(&f->v, &f->st, NULL, TUI_KEY_HOME, page, &a);
	assert_int_equal(f->v.sel, 0);
	/* an update with fewer connectors keeps the selection valid */
	tui_key(&f->v, &f->st, NULL, TUI_KEY_END, page, &a);
	load(f, 10, 20, 10, 98);
	assert_int_equal(f->v.sel, 9);
	render(f, NULL, false);
}

static void
test_empty_site_and_unreachable(void **state)
{
	struct fx *f = *state;
	struct tui_action a;

	render(f, NULL, false);
	assert_non_null(strstr(row(f, 6), "waiting for the master"));
	f->v.reachable = false;
	snprintf(f->v.unreachable_why, sizeof(f->v.unreachable_why),
	    "Couldn't connect to server");
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 0), "MASTER UNREACHABLE"));
	assert_true(row_has_attr(f, 0, TA_BAD));
	assert_non_null(strstr(row(f, 6), "master unreachable"));
	assert_non_null(strstr(row(f, 7), "Couldn't connect"));
	/* keys on nothing do nothing */
	tui_key(&f->v, &f->st, NULL, 'p', 10, &a);
	assert_int_equal(a.kind, ACT_NONE);
	tui_key(&f->v, &f->st, NULL, 'j', 10, &a);
	assert_int_equal(f->v.sel, 0);
	f->v.reachable = true;
	load(f, 0, 0, 0, 98);
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 6), "no connectors configured"));
	/* unreachable with a last status: it stays, marked as old */
	load(f, 4, 20, 10, 98);
	f->v.reachable = false;
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 5), "bay-0001"));
	assert_non_null(strstr(row(f, 22), "showing its last status"));
}

static void
test_sort_filter_and_keys(void **state)
{
	struct fx *f = *state;
	struct tui_action a;
	int	 idx[16], n;

	load(f, 8, 20, 10, 98);
	f->v.sort = SORT_DRAW;
	n = tui_rows(&f->st, &f->v, idx, 16);
	assert_int_equal(n, 8);
	assert_int_equal(idx[0], 7);		/* the most current first */
	f->v.sort = SORT_STATE;
	n = tui_rows(&f->st, &f->v, idx, 16);
	assert_string_equal(f->st.conns[idx[0]].state, "available");
	f->v.sort = SORT_NAME;
	/* filter by typing */
	tui_key(&f->v, &f->st, NULL, '/', 10, &a);
	assert_true(f->v.typing);
	for (const char *k = "0003"; *k; k++)
		tui_key(&f->v, &f->st, NULL, *k, 10, &a);
	tui_key(&f->v, &f->st, NULL, TUI_KEY_ENTER, 10, &a);
	assert_false(f->v.typing);
	n = tui_rows(&f->st, &f->v, idx, 16);
	assert_int_equal(n, 2);
	assert_string_equal(f->v.sel_charger, "bay-0003");
	/* p pauses the selected connector; q in the filter is a letter */
	tui_key(&f->v, &f->st, NULL, 'p', 10, &a);
	assert_int_equal(a.kind, ACT_COMMAND);
	assert_string_equal(a.verb, "pause");
	assert_int_equal(a.charger_id, 3);
	assert_int_equal(a.connector, 1);
	tui_key(&f->v, &f->st, NULL, 'l', 10, &a);
	assert_string_equal(a.verb, "lock");
	tui_key(&f->v, &f->st, NULL, 'b', 10, &a);
	assert_string_equal(a.verb, "boost");
	/* reset: only with a fault, and only after y */
	tui_key(&f->v, &f->st, NULL, 'r', 10, &a);
	assert_int_equal(a.kind, ACT_NONE);
	assert_non_null(strstr(f->v.message, "no fault"));
	tui_key(&f->v, &f->st, NULL, TUI_KEY_ESC, 10, &a);
	n = tui_rows(&f->st, &f->v, idx, 16);
	assert_int_equal(n, 8);
	tui_key(&f->v, &f->st, NULL, TUI_KEY_HOME, 10, &a);
	for (int i = 0; i < 3; i++)
		tui_key(&f->v, &f->st, NULL, TUI_KEY_DOWN, 10, &a);
	assert_string_equal(f->v.sel_charger, "bay-0002");
	tui_key(&f->v, &f->st, NULL, 'r', 10, &a);
	assert_true(f->v.confirm_reset);
	tui_key(&f->v, &f->st, NULL, 'n', 10, &a);
	assert_int_equal(a.kind, ACT_NONE);
	tui_key(&f->v, &f->st, NULL, 'r', 10, &a);
	tui_key(&f->v, &f->st, NULL, 'y', 10, &a);
	assert_int_equal(a.kind, ACT_COMMAND);
	assert_string_equal(a.verb, "reset");
	/* the group limit is for installers */
	tui_key(&f->v, &f->st, NULL, '+', 10, &a);
	assert_int_equal(a.kind, ACT_NONE);
	assert_non_null(strstr(f->v.message, "installers"));
	f->v.installer = true;
	/* and asks first, with the figures: n changes nothing, y does */
	tui_key(&f->v, &f->st, NULL, '+', 10, &a);
	assert_int_equal(a.kind, ACT_NONE);
	assert_true(f->v.confirm_limit);
	assert_non_null(strstr(f->v.message, "Group limit 63.0 A -> 64.0 A "
	    "per phase"));
	assert_non_null(strstr(f->v.message, "y/n"));
	tui_key(&f->v, &f->st, NULL, 'n', 10, &a);
	assert_int_equal(a.kind, ACT_NONE);
	assert_false(f->v.confirm_limit);
	assert_non_null(strstr(f->v.message, "unchanged (63.0 A)"));
	tui_key(&f->v, &f->st, NULL, '+', 10, &a);
	tui_key(&f->v, &f->st, NULL, 'y', 10, &a);
	assert_int_equal(a.kind, ACT_LIMIT);
	assert_true(a.limit > 63.9 && a.limit < 64.1);
	tui_key(&f->v, &f->st, NULL, '-', 10, &a);
	assert_int_equal(a.kind, ACT_NONE);
	tui_key(&f->v, &f->st, NULL, 'y', 10, &a);
	assert_int_equal(a.kind, ACT_LIMIT);
	assert_true(a.limit > 61.9 && a.limit < 62.1);
	/* screens */
	tui_key(&f->v, &f->st, NULL, 'e', 10, &a);
	assert_int_equal(a.kind, ACT_LOAD_EVENTS);
	assert_int_equal(f->v.screen, SCR_EVENTS);
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 3), "loading"));
	tui_key(&f->v, &f->st, NULL, TUI_KEY_ESC, 10, &a);
	assert_int_equal(f->v.screen, SCR_MAIN);
	tui_key(&f->v, &f->st, NULL, '?', 10, &a);
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 1), "Keys"));
	tui_key(&f->v, &f->st, NULL, 'q', 10, &a);
	assert_int_equal(f->v.screen, SCR_MAIN);
	tui_key(&f->v, &f->st, NULL, TUI_KEY_ENTER, 10, &a);
	assert_int_equal(f->v.screen, SCR_DETAIL);
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 1), "bay-0002 connector 2"));
	tui_key(&f->v, &f->st, NULL, 'q', 10, &a);
	tui_key(&f->v, &f->st, NULL, 'q', 10, &a);
	assert_int_equal(a.kind, ACT_QUIT);
}

static void
test_bad_json_changes_nothing(void **state)
{
	struct fx *f = *state;
	char	 err[100];
	static const char *const bad[] = { "", "{", "[]", "{\"site\":1}",
	    "{\"connectors\":{}}", "null" };

	load(f, 4, 20, 10, 98);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(tui_status_parse(&f->st, bad[i], strlen(bad[i]),
		    err, sizeof(err)), -1);
	assert_int_equal(f->st.n, 4);
	assert_string_equal(f->st.site, "Car park B");
	/* wrong types become zeros and empty strings, not crashes */
	{
		const char *odd = "{\"connectors\":[{\"charger\":7,\"current\":"
		    "\"x\",\"faults\":[1,null]}]}";

		assert_int_equal(tui_status_parse(&f->st, odd, strlen(odd), err,
		    sizeof(err)), 0);
	}
	render(f, NULL, false);
}

/* Issue 17, items 7 and 8: names and event texts come from outside; the
 * screen shows their controls escaped, and cuts them between characters,
 * while letters such as é stay. */
static void
test_texts_from_outside_escaped(void **state)
{
	struct fx *f = *state;
	char	 err[100], all[8192] = "";
	const char *j = "{\"site\":\"Parc \\u00e9t\\u00e9\\u001b[2J\","
	    "\"connectors\":[{\"charger\":\"x\\u00e9\\u00e9\\u00e9\\u00e9"
	    "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
	    "\\u00e9\\u00e9\\u00e9\",\"connector\":1,\"online\":true,"
	    "\"state\":\"charging\\u009b31m\"}],\"events\":["
	    "{\"time_ms\":0,\"severity\":1,\"source\":\"web\",\"text\":"
	    "\"failed login as 'x\\n1.000 evgroup-master: FORGED'\"},"
	    "{\"time_ms\":0,\"severity\":1,\"source\":\"web\",\"text\":"
	    "\"failed login as 'zo\\u00e9\\t\\u202e'\"}]}";

	assert_int_equal(tui_status_parse(&f->st, j, strlen(j), err,
	    sizeof(err)), 0);
	/* the name cut to its field between characters: 'x' and 15 é */
	assert_string_equal(f->st.conns[0].charger, "xééééééééééééééé");
	tui_screen_free(&f->s);
	assert_int_equal(tui_screen_alloc(&f->s, 24, 120), 0);
	render(f, NULL, true);
	for (int r = 0; r < f->s.rows; r++) {
		strcat(all, row(f, r));
		strcat(all, "|");
	}
	for (const unsigned char *p = (const unsigned char *)all; *p; p++) {
		assert_true(*p >= 0x20 && *p != 0x7f);
		assert_false(p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f);
		assert_false(p[0] == 0xef && p[1] == 0xbf && p[2] == 0xbd);
	}
	assert_non_null(strstr(all, "failed login as 'x\\n1.000 "
	    "evgroup-master: FORGED'"));
	assert_non_null(strstr(all, "failed login as 'zoé\\t\\u202e'"));
	assert_non_null(strstr(all, "Parc été\\x1b[2J"));
	assert_non_null(strstr(all, "xééééééééééééééé"));
	/* without UTF-8: ASCII only, the escapes the same */
	render(f, NULL, false);
	all[0] = '\0';
	for (int r = 0; r < f->s.rows; r++)
		strcat(all, row(f, r));
	for (const char *p = all; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
	assert_non_null(strstr(all, "x\\n1.000 evgroup-master: FORGED"));
	assert_non_null(strstr(all, "'zo?\\t\\u202e'"));
}

/*
 * Issue 18, section 2: the Why column shows each connector's reason with
 * the time left on the master's clock (m:ss, h:mm:ss), its faults
 * instead when it has some; on 80 columns the words are cut and marked,
 * the time kept; the detail view says it in full with the end's time.
 */
static void
test_why_column_and_detail(void **state)
{
	struct fx *f = *state;
	char	 err[100];
	const char *j = "{\"site\":\"B\",\"time_ms\":1000000,"
	    "\"connectors\":["
	    "{\"charger\":\"bay-1\",\"connector\":1,\"online\":true,"
	    "\"state\":\"waiting-for-current\",\"faults\":[],"
	    "\"reason\":\"rotation_rest\",\"reason_text\":\"rotation rest\","
	    "\"until_ms\":1150000},"
	    "{\"charger\":\"bay-2\",\"connector\":1,\"online\":true,"
	    "\"state\":\"waiting-for-current\",\"faults\":[],"
	    "\"reason\":\"smart_no_charge_period\",\"reason_text\":"
	    "\"smart charging: no-charge period\",\"until_ms\":4700500},"
	    "{\"charger\":\"bay-3\",\"connector\":1,\"online\":true,"
	    "\"state\":\"charging\",\"faults\":[],"
	    "\"reason\":\"supply_limit\",\"reason_text\":"
	    "\"limited by the supply (L2)\",\"until_ms\":null},"
	    "{\"charger\":\"bay-4\",\"connector\":1,\"online\":true,"
	    "\"state\":\"fault\",\"faults\":[\"pen\"],"
	    "\"reason\":\"fault\",\"reason_text\":\"stopped by a fault\","
	    "\"until_ms\":null}],\"events\":[]}";

	assert_int_equal(tui_status_parse(&f->st, j, strlen(j), err,
	    sizeof(err)), 0);
	assert_string_equal(f->st.conns[0].reason, "rotation_rest");
	assert_true(f->st.conns[0].until_ms == 1150000);
	tui_screen_free(&f->s);
	assert_int_equal(tui_screen_alloc(&f->s, 24, 120), 0);
	render(f, NULL, true);
	assert_non_null(strstr(row(f, 4), "Why"));
	assert_non_null(strstr(row(f, 5), "rotation rest 2:30"));
	assert_non_null(strstr(row(f, 6),
	    "smart charging: no-charge period 1:01:41"));
	assert_non_null(strstr(row(f, 7), "limited by the supply (L2)"));
	assert_non_null(strstr(row(f, 8), "pen"));
	assert_null(strstr(row(f, 8), "stopped"));
	/* 80 columns: the words cut and marked, the time whole */
	tui_screen_free(&f->s);
	assert_int_equal(tui_screen_alloc(&f->s, 24, 80), 0);
	render(f, NULL, true);
	for (int r = 5; r < 9; r++) {
		int	 chars = 0;

		for (const char *p = row(f, r); *p; p++)
			chars += ((unsigned char)*p & 0xc0) != 0x80;
		assert_true(chars <= 80);
	}
	assert_non_null(strstr(row(f, 5), "rotati\u2026 2:30"));
	assert_non_null(strstr(row(f, 6), "1:01:41"));
	assert_non_null(strstr(row(f, 7), "limited by\u2026"));
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 5), "rotati. 2:30"));
	assert_true(strlen(row(f, 5)) <= 80);
	/* found by its reason */
	snprintf(f->v.filter, sizeof(f->v.filter), "rotation");
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 5), "bay-1"));
	assert_null(strstr(row(f, 6), "bay-"));
	f->v.filter[0] = '\0';
	/* the detail: in full, with the time left */
	f->v.screen = SCR_DETAIL;
	snprintf(f->v.sel_charger, sizeof(f->v.sel_charger), "bay-1");
	f->v.sel_connector = 1;
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 5), "why       rotation rest, 2:30 left, "
	    "until "));
}
/* Issue 15: a connector capped by the CSMS's charging profile: a ^
 * after its offer and a line in its detail; the twin without a cap (null)
 * has neither. */
static void
test_ocpp_cap_shown(void **state)
{
	struct fx *f = *state;
	char	 err[100];
	const char *j = "{\"site\":\"B\",\"time_ms\":0,\"connectors\":["
	    "{\"charger\":\"bay-1\",\"connector\":1,\"online\":true,"
	    "\"state\":\"charging\",\"faults\":[],\"offer\":10.0,"
	    "\"reason\":\"ocpp_profile\",\"reason_text\":\"capped at 10.0 A "
	    "by the CSMS's charging profile\",\"ocpp_cap\":10.0},"
	    "{\"charger\":\"bay-2\",\"connector\":1,\"online\":true,"
	    "\"state\":\"charging\",\"faults\":[],\"offer\":16.0,"
	    "\"reason\":\"at_maximum\",\"reason_text\":\"at its maximum\","
	    "\"ocpp_cap\":null}],\"events\":[]}";

	assert_int_equal(tui_status_parse(&f->st, j, strlen(j), err,
	    sizeof(err)), 0);
	assert_true(f->st.conns[0].ocpp_cap == 10.0);
	assert_true(f->st.conns[1].ocpp_cap < 0);
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 5), " 10.0^"));
	assert_non_null(strstr(row(f, 6), " 16.0 "));
	assert_null(strstr(row(f, 6), "^"));
	assert_true(strlen(row(f, 5)) <= 80);
	f->v.screen = SCR_DETAIL;
	snprintf(f->v.sel_charger, sizeof(f->v.sel_charger), "bay-1");
	f->v.sel_connector = 1;
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 5), "CSMS cap  10.0 A (OCPP charging "
	    "profile)"));
	snprintf(f->v.sel_charger, sizeof(f->v.sel_charger), "bay-2");
	render(f, NULL, false);
	for (int r = 0; r < f->s.rows; r++)
		assert_null(strstr(row(f, r), "CSMS cap"));
}

/* Issue 18, section 3: the alarms show who acknowledged them; A
 * acknowledges the first one nobody has, after a y. */
static void
test_alarm_ack_key(void **state)
{
	struct fx *f = *state;
	const char *js = "{\"site\":\"B\",\"connectors\":[],\"alarms_total\":2,"
	    "\"alarms\":[{\"severity\":2,\"code\":\"meter-offline\","
	    "\"source\":\"meter\",\"connector\":0,\"since_ms\":1,\"text\":"
	    "\"the meter is offline\",\"ack_by\":null,\"ack_ms\":null},"
	    "{\"severity\":2,\"code\":\"charger-offline\",\"source\":"
	    "\"bay-002\",\"connector\":0,\"since_ms\":1,\"text\":\"bay-002 "
	    "does not answer\",\"ack_by\":\"olivia\",\"ack_ms\":60000}]}";
	const char *all_acked = "{\"site\":\"B\",\"connectors\":[],"
	    "\"alarms_total\":1,\"alarms\":[{\"severity\":2,\"code\":\"x\","
	    "\"source\":\"s\",\"connector\":1,\"text\":\"t\",\"ack_by\":"
	    "\"ivan\",\"ack_ms\":1}]}";
	struct tui_action a;
	char	 err[100];
	bool	 acked_shown = false, open_shown = false;

	assert_int_equal(tui_status_parse(&f->st, js, strlen(js), err,
	    sizeof(err)), 0);
	render(f, NULL, false);
	for (int r = 0; r < f->s.rows; r++) {
		if (strstr(row(f, r), "ALARM (ack olivia ") &&
		    strstr(f->line, "bay-002 does not answer"))
			acked_shown = true;
		if (strstr(row(f, r), "ALARM the meter is offline"))
			open_shown = true;
	}
	assert_true(acked_shown);
	assert_true(open_shown);
	/* n: nothing done */
	tui_key(&f->v, &f->st, NULL, 'A', 10, &a);
	assert_int_equal(a.kind, ACT_NONE);
	assert_true(f->v.confirm_ack);
	assert_string_equal(f->v.message, "Acknowledge this alarm? y/n: the "
	    "meter is offline");
	tui_key(&f->v, &f->st, NULL, 'n', 10, &a);
	assert_int_equal(a.kind, ACT_NONE);
	assert_string_equal(f->v.message, "alarm not acknowledged");
	/* y: the first unacknowledged alarm's key */
	tui_key(&f->v, &f->st, NULL, 'A', 10, &a);
	tui_key(&f->v, &f->st, NULL, 'y', 10, &a);
	assert_int_equal(a.kind, ACT_ACK);
	assert_string_equal(a.code, "meter-offline");
	assert_string_equal(a.source, "meter");
	assert_int_equal(a.connector, 0);
	/* nothing left to acknowledge: said, nothing asked */
	tui_status_free(&f->st);
	memset(&f->st, 0, sizeof(f->st));
	assert_int_equal(tui_status_parse(&f->st, all_acked, strlen(all_acked),
	    err, sizeof(err)), 0);
	tui_key(&f->v, &f->st, NULL, 'A', 10, &a);
	assert_int_equal(a.kind, ACT_NONE);
	assert_false(f->v.confirm_ack);
	assert_string_equal(f->v.message, "no alarm to acknowledge");
}

/*
 * Issue 18, items 11 and 12: the table says "wait auth", never
 * "waiting-for-a"; an active filter shows in the header; a green site's
 * header shows the export, what the cars may take and the start timer.
 * The twin: a dynamic site's header has none of it, and a state short
 * enough stays as it is.
 */
static void
test_short_states_filter_and_green(void **state)
{
	struct fx *f = *state;
	const char *green = "{\"site\":\"Solar\",\"mode\":\"green\","
	    "\"meter_online\":true,\"clamp\":[-25,-25,-25],\"ev\":[0,0,0],"
	    "\"non_ev\":[-25,-25,-25],\"limit\":[98,98,98],\"available\":[64,"
	    "64,64],\"export\":[25,26,27],\"surplus\":[25,25,25],\"may_take\":"
	    "[25,25,25],\"green_start_ms\":45000,\"green_stop_ms\":null,"
	    "\"group_limit\":64.0,\"site_limit\":100.0,\"time_ms\":0,"
	    "\"connectors\":[{\"charger\":\"bay-1\",\"charger_id\":1,"
	    "\"connector\":1,\"online\":true,\"state\":"
	    "\"waiting-for-authorisation\",\"phase\":\"L1L2L3\",\"faults\":[],"
	    "\"current\":[0,0,0]},{\"charger\":\"bay-2\",\"charger_id\":2,"
	    "\"connector\":1,\"online\":true,\"state\":\"suspended-by-car\","
	    "\"phase\":\"L1L2L3\",\"faults\":[],\"current\":[0,0,0]}],"
	    "\"events\":[]}";
	char	 err[100];

	assert_int_equal(tui_status_parse(&f->st, green, strlen(green), err,
	    sizeof(err)), 0);
	tui_screen_free(&f->s);
	assert_int_equal(tui_screen_alloc(&f->s, 24, 120), 0);
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 5), "wait auth"));
	assert_null(strstr(row(f, 5), "waiting-for-a"));
	assert_non_null(strstr(row(f, 6), "car suspends"));
	assert_non_null(strstr(row(f, 0), "green | group 64.0 A | export "
	    "25.0 A | cars may take 25.0 A | start 0:45 |"));
	assert_null(strstr(row(f, 0), "stop"));
	assert_null(strstr(row(f, 0), "filter"));
	snprintf(f->v.filter, sizeof(f->v.filter), "wait");
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 0), "group 64.0 A | filter: wait | "
	    "export 25.0 A"));
	/* the twin: dynamic, no export; "charging" as it is */
	f->v.filter[0] = '\0';
	load(f, 3, 20, 10, 98);
	render(f, NULL, false);
	assert_null(strstr(row(f, 0), "export"));
	assert_null(strstr(row(f, 0), "filter"));
	assert_non_null(strstr(row(f, 6), "charging"));
}

/*
 * A site with circuits as the master sends it: a 250 A supply, row-a
 * (63 A, its own meter) and row-b (63 A, none) with a sub-board under
 * it, listed child first; an external limit, a demand window, the
 * supply's phase balance. bay-1 on the supply, bay-2 and bay-3 on row-a,
 * bay-4 on row-b-sub.
 */
static const char circuits_json[] = "{\"site\":\"Tower\",\"mode\":"
    "\"dynamic\",\"meter_online\":true,\"clamp\":[120,100,110],\"ev\":[60,"
    "40,50],\"non_ev\":[60,60,60],\"limit\":[240,240,240],\"available\":[180,"
    "180,180],\"used\":[60,40,50],\"group_limit\":250.0,\"site_limit\":250.0,\"time_ms\":1000000,"
    "\"imbalance_limit\":20.0,\"imbalance\":3.4,"
    "\"external_limit\":{\"limit\":[40,40,35],\"until\":1299000,\"by\":"
    "\"bms-1\"},"
    "\"demand\":{\"window\":900,\"start\":400000,\"end\":1300000,\"target\":"
    "100.0,\"unit\":\"kW\",\"average\":61.2,\"projected\":97.0,\"ev_cap\":"
    "38.0,\"over\":false},"
    "\"circuits\":[{\"id\":3,\"name\":\"row-b-sub\",\"parent\":\"row-b\","
    "\"depth\":2,\"limit\":32.0,\"margin\":0,\"offline_limit\":10,\"meter\":"
    "null,\"measured\":null,\"building\":null,\"available\":[32,32,32],"
    "\"used\":[16,0,0],\"imbalance_limit\":null,\"imbalance\":null,"
    "\"chargers\":[\"bay-4\"]},"
    "{\"id\":1,\"name\":\"row-a\",\"parent\":\"supply\",\"depth\":1,"
    "\"limit\":63.0,\"margin\":0,\"offline_limit\":10,\"meter\":{\"online\":"
    "true,\"why\":\"\"},\"measured\":[50,20,20],\"building\":[18,20,20],"
    "\"available\":[45,43,43],\"used\":[32,0,0],\"imbalance_limit\":16.0,"
    "\"imbalance\":30.0,\"chargers\":[\"bay-2\",\"bay-3\"]},"
    "{\"id\":2,\"name\":\"row-b\",\"parent\":\"supply\",\"depth\":1,"
    "\"limit\":63.0,\"margin\":0,\"offline_limit\":10,\"meter\":null,"
    "\"measured\":null,\"building\":null,\"available\":[63,63,63],\"used\":"
    "[16,0,0],\"imbalance_limit\":null,\"imbalance\":null,\"chargers\":[]}],"
    "\"connectors\":["
    "{\"charger\":\"bay-1\",\"charger_id\":1,\"connector\":1,\"online\":true,"
    "\"state\":\"charging\",\"phase\":\"L1\",\"faults\":[],\"current\":[12,0,"
    "0],\"circuit\":\"supply\"},"
    "{\"charger\":\"bay-2\",\"charger_id\":2,\"connector\":1,\"online\":true,"
    "\"state\":\"charging\",\"phase\":\"L1\",\"faults\":[],\"current\":[16,0,"
    "0],\"circuit\":\"row-a\",\"reason\":\"circuit_limit\",\"reason_text\":"
    "\"limited by circuit row-a (L1)\"},"
    "{\"charger\":\"bay-3\",\"charger_id\":3,\"connector\":1,\"online\":true,"
    "\"state\":\"charging\",\"phase\":\"L1\",\"faults\":[],\"current\":[16,0,"
    "0],\"circuit\":\"row-a\"},"
    "{\"charger\":\"bay-4\",\"charger_id\":4,\"connector\":1,\"online\":true,"
    "\"state\":\"charging\",\"phase\":\"L1\",\"faults\":[],\"current\":[16,0,"
    "0],\"circuit\":\"row-b-sub\"}],\"events\":[]}";

static void
load_text(struct fx *f, const char *j)
{
	char	 err[100];

	assert_int_equal(tui_status_parse(&f->st, j, strlen(j), err,
	    sizeof(err)), 0);
	tui_keep_selection(&f->v, &f->st);
}

/* The circuits, the external limit, the demand window and the phase
 * balance from the master's JSON; the tree's order whatever the list's. */
static void
test_circuits_parsed(void **state)
{
	struct fx *f = *state;
	const struct tui_circuit *c = f->st.circuits;

	load_text(f, circuits_json);
	assert_int_equal(f->st.ncircuits, 3);
	assert_string_equal(c[0].name, "row-a");
	assert_int_equal(c[0].depth, 1);
	assert_string_equal(c[1].name, "row-b");
	assert_string_equal(c[2].name, "row-b-sub");
	assert_int_equal(c[2].depth, 2);
	assert_true(c[0].metered && c[0].meter_online);
	assert_false(c[1].metered);
	assert_true(c[0].measured[0] == 50.0 && c[0].building[1] == 20.0);
	assert_true(isnan(c[1].measured[0]) && isnan(c[1].building[2]));
	assert_true(c[0].limit == 63.0 && c[0].available[0] == 45.0 &&
	    c[0].used[0] == 32.0 && c[0].imbalance_limit == 16.0);
	assert_true(isnan(c[1].imbalance_limit));
	assert_true(f->st.external && f->st.external_limit[2] == 35.0);
	assert_int_equal(f->st.external_until_ms, 1299000);
	assert_string_equal(f->st.external_by, "bms-1");
	assert_int_equal(f->st.demand_start_ms, 400000);
	assert_true(f->st.demand && f->st.demand_target == 100.0 &&
	    f->st.demand_projected == 97.0 && f->st.demand_ev_cap == 38.0);
	assert_true(f->st.imbalance_limit == 20.0 && f->st.imbalance == 3.4);
	assert_string_equal(f->st.conns[1].circuit, "row-a");
	assert_int_equal(tui_circuit_of(&f->st, &f->st.conns[0]), 0);
	assert_int_equal(tui_circuit_of(&f->st, &f->st.conns[1]), 1);
	assert_int_equal(tui_circuit_of(&f->st, &f->st.conns[3]), 3);
	/* the twin: a site without them has none, and no site line */
	load(f, 4, 20, 10, 98);
	assert_int_equal(f->st.ncircuits, 0);
	assert_false(f->st.external || f->st.demand);
	assert_true(isnan(f->st.imbalance_limit));
	assert_int_equal(tui_circuit_of(&f->st, &f->st.conns[0]), 0);
	assert_int_equal(tui_table_rows(&f->st, 24), 13);
	load_text(f, circuits_json);
	assert_int_equal(tui_table_rows(&f->st, 24), 12);
}

/* Bad circuits (not objects, unknown parents, a cycle, too many) change
 * nothing else and every circuit still shows once. */
static void
test_circuits_bad_input(void **state)
{
	struct fx *f = *state;
	size_t	 cap = 64 * 200 + 512, o = 0;
	char	*j = malloc(cap);

	o += (size_t)snprintf(j + o, cap - o, "{\"connectors\":[],"
	    "\"circuits\":[1,\"x\",{\"name\":\"a\",\"parent\":\"b\"},{\"name\":"
	    "\"b\",\"parent\":\"a\"},{\"name\":\"c\",\"parent\":\"nowhere\"}");
	for (int i = 0; i < 70; i++)
		o += (size_t)snprintf(j + o, cap - o, ",{\"name\":\"n%d\","
		    "\"parent\":\"%s\",\"limit\":\"63\"}", i, i ? "n0" : "c");
	snprintf(j + o, cap - o, "]}");
	load_text(f, j);
	free(j);
	assert_int_equal(f->st.ncircuits, TUI_CIRCUITS);
	/* the orphan first, its tree under it; the cycle last, flat */
	assert_string_equal(f->st.circuits[0].name, "c");
	assert_string_equal(f->st.circuits[1].name, "n0");
	assert_int_equal(f->st.circuits[2].depth, 3);
	assert_string_equal(f->st.circuits[TUI_CIRCUITS - 1].name, "b");
	assert_true(f->st.circuits[1].limit == 0.0);
	render(f, NULL, false);
	f->v.by_circuit = true;
	render(f, NULL, false);
	for (int r = 0; r < 24; r++)
		assert_true(strlen(row(f, r)) <= 80);
}

/* The site line: the external limit and the demand window, in their
 * colours; at 80 columns what lowers the limits shows first. */
static void
test_site_line(void **state)
{
	struct fx *f = *state;

	load_text(f, circuits_json);
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 4), "ext. limit 40/40/35 A bms-1 4:59 | "
	    "demand 61.2->97.0/100 kW cars 38.0 5:00"));
	assert_true(row_has_attr(f, 4, TA_WARN));
	assert_false(row_has_attr(f, 4, TA_BAD));
	assert_non_null(strstr(row(f, 5), "Charger"));
	assert_non_null(strstr(row(f, 6), "bay-1"));
	for (int r = 0; r < 24; r++)
		assert_true(strlen(row(f, r)) <= 80);
	/* wider: the balance and the circuits too */
	tui_screen_free(&f->s);
	assert_int_equal(tui_screen_alloc(&f->s, 24, 160), 0);
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 4), "| imbalance 3.4/20.0 A | 3 circuits "
	    "(c: circuit view)"));
	/* a window heading over its target warns (the master's "over":
	 * the projection above it); one past its budget already is bad:
	 * 160 kW for 10 of its 15 minutes is 26.7 kWh of 25 */
	f->st.external = false;
	f->st.demand_projected = 104.0;
	f->st.demand_over = true;
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 4), "demand 61.2->104.0/100 kW"));
	assert_true(row_has_attr(f, 4, TA_WARN));
	assert_false(row_has_attr(f, 4, TA_BAD));
	f->st.demand_average = 160.0;
	f->st.demand_projected = 160.0;
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 4), "demand OVER 160.0"));
	assert_true(row_has_attr(f, 4, TA_BAD));
	/* 140 kW for those 10 minutes: 23.3 kWh, not yet over */
	f->st.demand_average = 140.0;
	render(f, NULL, false);
	assert_null(strstr(row(f, 4), "OVER"));
	assert_false(row_has_attr(f, 4, TA_BAD));
	/* the twin: no external limit, no demand: neither is said */
	f->st.demand = false;
	render(f, NULL, false);
	assert_null(strstr(row(f, 4), "demand"));
	assert_null(strstr(row(f, 4), "ext."));
	assert_true(strncmp(row(f, 4), "imbalance 3.4/20.0 A", 20) == 0);
}

/* c: the connectors grouped under their circuits, a row per circuit with
 * its bars, its meter; c again: back. The selection follows. */
static void
test_circuit_view(void **state)
{
	struct fx *f = *state;
	struct tui_action a;
	int	 page;

	load_text(f, circuits_json);
	page = tui_table_rows(&f->st, 24);
	tui_key(&f->v, &f->st, NULL, 'j', page, &a);
	assert_string_equal(f->v.sel_charger, "bay-2");
	tui_key(&f->v, &f->st, NULL, 'c', page, &a);
	assert_int_equal(a.kind, ACT_NONE);
	assert_true(f->v.by_circuit);
	assert_non_null(strstr(f->v.message, "circuit view"));
	assert_string_equal(f->v.sel_charger, "bay-2");
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 6), "supply"));
	assert_non_null(strstr(row(f, 6), "supply       250A meter ok  "
	    "L1[#=...] 60/180 L2"));
	/* no room for the supply's balance at 80 columns: not cut */
	assert_null(strstr(row(f, 6), "L3[#=...] 50/180 i"));
	assert_non_null(strstr(row(f, 7), "bay-1"));
	/* row-a: 18 A of building, 32 A of cars, 45 A they may take, on 63 */
	assert_non_null(strstr(row(f, 8), "  row-a       63A meter ok  "
	    "L1[#===.] 32/45  L2[##...]  0/43"));
	assert_true(row_has_attr(f, 8, TA_BAR_BUILDING));
	assert_non_null(strstr(row(f, 9), "bay-2"));
	assert_true(row_has_attr(f, 9, TA_SEL));
	assert_non_null(strstr(row(f, 10), "bay-3"));
	assert_non_null(strstr(row(f, 11), "  row-b       63A no meter  "
	    "L1[=....] 16/63"));
	assert_true(row_has_attr(f, 11, TA_DIM));
	assert_non_null(strstr(row(f, 12), "    row-b-su  32A no meter  "
	    "L1[===..] 16/32"));
	assert_non_null(strstr(row(f, 13), "bay-4"));
	for (int r = 0; r < 24; r++)
		assert_true(strlen(row(f, r)) <= 80);
	/* row-a's imbalance (30 of 16 A allowed) on a wide screen, bad */
	tui_screen_free(&f->s);
	assert_int_equal(tui_screen_alloc(&f->s, 24, 140), 0);
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 8), "imbalance 30.0/16.0 A"));
	assert_true(row_has_attr(f, 8, TA_BAD));
	/* the names' column grows with the screen: no longer cut */
	assert_non_null(strstr(row(f, 12), "    row-b-sub             32A no meter"));
	tui_screen_free(&f->s);
	assert_int_equal(tui_screen_alloc(&f->s, 24, 80), 0);
	/* its meter silent: said plainly */
	f->st.circuits[0].meter_online = false;
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 8), "METER OFF"));
	assert_true(row_has_attr(f, 8, TA_BAD));
	/* j walks the connectors in the grouped order, over the headers */
	tui_key(&f->v, &f->st, NULL, 'j', page, &a);
	tui_key(&f->v, &f->st, NULL, 'j', page, &a);
	assert_string_equal(f->v.sel_charger, "bay-4");
	render(f, NULL, false);
	assert_true(row_has_attr(f, 13, TA_SEL));
	tui_key(&f->v, &f->st, NULL, 'j', page, &a);
	assert_string_equal(f->v.sel_charger, "bay-4");
	/* the detail names its circuit */
	tui_key(&f->v, &f->st, NULL, TUI_KEY_ENTER, page, &a);
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 3), "circuit row-b-sub"));
	tui_key(&f->v, &f->st, NULL, TUI_KEY_ESC, page, &a);
	/* c again: the plain table, no header rows */
	tui_key(&f->v, &f->st, NULL, 'c', page, &a);
	assert_false(f->v.by_circuit);
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 6), "bay-1"));
	assert_non_null(strstr(row(f, 9), "bay-4"));
	assert_null(strstr(row(f, 7), "row-a"));
	/* a plain site in the circuit view: the supply and its connectors */
	load(f, 4, 20, 10, 98);
	tui_key(&f->v, &f->st, NULL, 'c', page, &a);
	render(f, NULL, false);
	assert_non_null(strstr(row(f, 5), "supply"));
	assert_non_null(strstr(row(f, 6), "bay-0001"));
	/* many connectors: the selection stays on screen */
	load(f, 100, 20, 10, 98);
	for (int i = 0; i < 60; i++)
		tui_key(&f->v, &f->st, NULL, 'j', page, &a);
	render(f, NULL, false);
	{
		bool	 seen = false;

		for (int r = 5; r < 5 + tui_table_rows(&f->st, 24); r++)
			seen = seen || row_has_attr(f, r, TA_SEL);
		assert_true(seen);
	}
	/* the help says it */
	tui_key(&f->v, &f->st, NULL, '?', page, &a);
	render(f, NULL, false);
	{
		bool	 seen = false;

		for (int r = 0; r < 24; r++)
			seen = seen || strstr(row(f, r), "c              circuit "
			    "view") != NULL;
		assert_true(seen);
	}
}

/* Four chargers, OCPP on (or off: on = false): bay-1 accepted, bay-2
 * connecting, bay-3 no charge point, bay-4 rejected. */
static char *
ocpp_json(bool on)
{
	static const char *const link[] = { "{\"identity\":\"CP-01\","
	    "\"link\":\"accepted\",\"last_msg_ms\":1,\"queued\":0,\"why\":\"\"}",
	    "{\"identity\":\"bay-2\",\"link\":\"connecting\",\"last_msg_ms\":"
	    "null,\"queued\":3,\"why\":\"connection refused\"}", "null",
	    "{\"identity\":\"bay-4\",\"link\":\"rejected\",\"last_msg_ms\":1,"
	    "\"queued\":0,\"why\":\"Rejected\"}" };
	size_t	 cap = 8192, o = 0;
	char	*b = malloc(cap);

	o += (size_t)snprintf(b + o, cap - o, "{\"site\":\"OCPP\",\"mode\":"
	    "\"static\",\"clamp\":[0,0,0],\"limit\":[32,32,32],\"time_ms\":0,"
	    "\"ocpp\":{\"enabled\":%s,\"url\":\"ws://x/\",\"connected\":1,"
	    "\"total\":3},\"chargers\":[", on ? "true" : "false");
	for (int i = 0; i < 4; i++)
		o += (size_t)snprintf(b + o, cap - o, "%s{\"id\":%d,\"name\":"
		    "\"bay-%d\",\"ocpp\":%s}", i ? "," : "", i + 1, i + 1,
		    on ? link[i] : "null");
	o += (size_t)snprintf(b + o, cap - o, "],\"connectors\":[");
	for (int i = 0; i < 4; i++)
		o += (size_t)snprintf(b + o, cap - o, "%s{\"charger\":\"bay-%d\","
		    "\"charger_id\":%d,\"connector\":1,\"online\":true,\"state\":"
		    "\"available\",\"phase\":\"L1\",\"faults\":[],\"current\":[0,"
		    "0,0]}", i ? "," : "", i + 1, i + 1);
	snprintf(b + o, cap - o, "],\"events\":[]}");
	return b;
}

/*
 * The OCPP column: with OCPP on each row marks its charger's link (+
 * accepted, ~ on its way, ! rejected, - none), the detail view says it
 * in words and the help names the marks; with OCPP off, no column.
 */
static void
test_ocpp_column(void **state)
{
	struct fx *f = *state;
	char	*j = ocpp_json(true);
	static const char marks[] = "+~-!";
	int	 hr = -1;

	load_text(f, j);
	free(j);
	assert_true(f->st.ocpp);
	assert_string_equal(f->st.conns[1].ocpp, "connecting");
	assert_string_equal(f->st.conns[0].ocpp_identity, "CP-01");
	assert_string_equal(f->st.conns[2].ocpp, "");
	render(f, NULL, false);
	for (int r = 0; r < f->s.rows && hr < 0; r++)
		if (strncmp(row(f, r), "Charger", 7) == 0)
			hr = r;
	assert_true(hr > 0);
	assert_non_null(strstr(row(f, hr), " O C Phase"));
	for (int i = 0; i < 4; i++) {
		char	 want[32];

		snprintf(want, sizeof(want), "bay-%d", i + 1);
		assert_non_null(strstr(row(f, hr + 1 + i), want));
		snprintf(want, sizeof(want), " %c 1 L1", marks[i]);
		if (strstr(row(f, hr + 1 + i), want) == NULL)
			fail_msg("row %d: '%s' wants '%s'", i, f->line, want);
	}
	f->v.screen = SCR_DETAIL;
	snprintf(f->v.sel_charger, sizeof(f->v.sel_charger), "bay-4");
	f->v.sel_connector = 1;
	render(f, NULL, false);
	bool	 said = false;
	for (int r = 0; r < f->s.rows; r++)
		said |= strstr(row(f, r), "OCPP      rejected, as bay-4") != NULL;
	assert_true(said);
	f->v.screen = SCR_HELP;
	f->v.list_top = 0;
	said = false;
	for (int top = 0; top < 80 && !said; top += 10) {
		f->v.list_top = top;
		render(f, NULL, false);
		for (int r = 0; r < f->s.rows; r++)
			said |= strstr(row(f, r), "+  accepted by the CSMS") !=
			    NULL;
	}
	assert_true(said);
	/* the twin: OCPP off, the table as before */
	f->v.screen = SCR_MAIN;
	f->v.list_top = 0;
	j = ocpp_json(false);
	load_text(f, j);
	free(j);
	assert_false(f->st.ocpp);
	render(f, NULL, false);
	assert_non_null(strstr(row(f, hr), "Charger"));
	assert_null(strstr(row(f, hr), " O C Phase"));
	assert_non_null(strstr(row(f, hr), " C Phase"));
	assert_null(strstr(row(f, hr + 1), " + 1 L1"));
}

/* Does any row of the screen hold needle? */
static bool
screen_has(struct fx *f, const char *needle)
{
	for (int r = 0; r < f->s.rows; r++)
		if (strstr(row(f, r), needle) != NULL)
			return true;
	return false;
}

/*
 * The help is longer than a 24-row terminal: the keys scroll it to its
 * last line, with no list of events or sessions loaded (they scrolled it
 * only as far as such a list went: not at all without one).
 */
static void
test_help_scrolls_to_its_end(void **state)
{
	struct fx *f = *state;
	struct tui_action a;
	int	 page = tui_table_rows(&f->st, 24), n = tui_help_lines();

	load(f, 3, 20, 10, 98);
	tui_key(&f->v, &f->st, NULL, '?', page, &a);
	assert_int_equal(f->v.screen, SCR_HELP);
	assert_true(n > 24);
	render(f, NULL, false);
	assert_true(screen_has(f, "Keys"));
	assert_false(screen_has(f, "Every action is recorded"));
	/* one line down, and back */
	tui_key(&f->v, &f->st, NULL, 'j', page, &a);
	assert_int_equal(f->v.list_top, 1);
	tui_key(&f->v, &f->st, NULL, 'k', page, &a);
	assert_int_equal(f->v.list_top, 0);
	/* down to the end, line by line: the last line shows, and no
	 * further */
	for (int i = 0; i < n + 10; i++)
		tui_key(&f->v, &f->st, NULL, 'j', page, &a);
	assert_int_equal(f->v.list_top, n - 1);
	render(f, NULL, false);
	assert_true(screen_has(f, "Every action is recorded"));
	/* Home and End */
	tui_key(&f->v, &f->st, NULL, TUI_KEY_HOME, page, &a);
	assert_int_equal(f->v.list_top, 0);
	tui_key(&f->v, &f->st, NULL, TUI_KEY_END, page, &a);
	assert_int_equal(f->v.list_top, n - 1);
	tui_key(&f->v, &f->st, NULL, TUI_KEY_PGUP, page, &a);
	assert_int_equal(f->v.list_top, n - 1 - page);
	/* a list screen without its list loaded still has nothing to
	 * scroll */
	tui_key(&f->v, &f->st, NULL, TUI_KEY_ESC, page, &a);
	f->v.screen = SCR_EVENTS;
	f->v.list_top = 0;
	tui_key(&f->v, &f->st, NULL, 'j', page, &a);
	assert_int_equal(f->v.list_top, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bars_and_warning, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_80_columns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thousand_connectors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_empty_site_and_unreachable,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_sort_filter_and_keys, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_json_changes_nothing,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_texts_from_outside_escaped,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_short_states_filter_and_green, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ocpp_cap_shown, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_why_column_and_detail,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_alarm_ack_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_circuits_parsed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_circuits_bad_input, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_site_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ocpp_column, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_help_scrolls_to_its_end,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_circuit_view, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
