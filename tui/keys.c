/*
 * keys.c: what each key does to the view, and the actions it asks the
 * shell to carry out. Keys that mean nothing here change nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

#define TUI_LIMIT_STEP	1.0	/* A per + or - */

/* A line for the operator under the table (an answer, a question). */
void
tui_say(struct tui_view *v, bool bad, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(v->message, sizeof(v->message), fmt, ap);
	va_end(ap);
	v->message_bad = bad;
}

/* The selection follows its connector when rows move (sort, updates). */
void
tui_keep_selection(struct tui_view *v, const struct tui_status *st)
{
	int	*idx, n;

	if (!st->valid || st->n == 0 ||
	    (idx = malloc(st->n * sizeof(int))) == NULL) {
		v->sel = v->top = 0;
		return;
	}
	n = tui_rows(st, v, idx, (int)st->n);
	if (v->sel_charger[0] != '\0')
		for (int i = 0; i < n; i++) {
			const struct tui_conn *c = &st->conns[idx[i]];

			if (strcmp(c->charger, v->sel_charger) == 0 &&
			    c->connector == v->sel_connector) {
				v->sel = i;
				break;
			}
		}
	if (v->sel >= n)
		v->sel = n > 0 ? n - 1 : 0;
	if (v->sel < 0)
		v->sel = 0;
	if (n > 0) {
		snprintf(v->sel_charger, sizeof(v->sel_charger), "%s",
		    st->conns[idx[v->sel]].charger);
		v->sel_connector = st->conns[idx[v->sel]].connector;
	}
	free(idx);
}

static const struct tui_conn *
selected(const struct tui_view *v, const struct tui_status *st)
{
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(st->conns[i].charger, v->sel_charger) == 0 &&
		    st->conns[i].connector == v->sel_connector)
			return &st->conns[i];
	return NULL;
}

static void
command(struct tui_view *v, const struct tui_conn *c, const char *verb,
    struct tui_action *a)
{
	a->kind = ACT_COMMAND;
	a->charger_id = c->charger_id;
	a->connector = c->connector;
	snprintf(a->verb, sizeof(a->verb), "%s", verb);
	snprintf(a->what, sizeof(a->what), "%s connector %d", c->charger,
	    c->connector);
	(void)v;
}

static void
move(struct tui_view *v, const struct tui_status *st, int by, int page)
{
	v->sel += by;
	if (v->sel < 0)
		v->sel = 0;
	/* tui_keep_selection clamps to the rows and remembers whom */
	v->sel_charger[0] = '\0';
	tui_keep_selection(v, st);
	/* the table scrolls to keep the selection in sight */
	if (v->sel < v->top)
		v->top = v->sel;
	if (v->sel >= v->top + page)
		v->top = v->sel - page + 1;
}

static void
filter_key(struct tui_view *v, const struct tui_status *st, int key)
{
	size_t	 n = strlen(v->filter);

	if (key == TUI_KEY_ENTER || key == '\r') {
		v->typing = false;
	} else if (key == TUI_KEY_ESC) {
		v->typing = false;
		v->filter[0] = '\0';
	} else if (key == TUI_KEY_BACKSPACE || key == 127 || key == 8) {
		if (n > 0)
			v->filter[n - 1] = '\0';
	} else if (key >= 0x20 && key < 0x7f && n + 1 < sizeof(v->filter)) {
		v->filter[n] = (char)key;
		v->filter[n + 1] = '\0';
	}
	v->sel = 0;
	v->top = 0;
	v->sel_charger[0] = '\0';
	tui_keep_selection(v, st);
}

void
tui_key(struct tui_view *v, const struct tui_status *st,
    const struct tui_list *l, int key, int page, struct tui_action *a)
{
	const struct tui_conn *c = selected(v, st);

	memset(a, 0, sizeof(*a));
	if (v->typing) {
		filter_key(v, st, key);
		return;
	}
	if (v->confirm_reset) {
		v->confirm_reset = false;
		if ((key == 'y' || key == 'Y') && c != NULL)
			command(v, c, "reset", a);
		else
			tui_say(v, false, "reset cancelled");
		return;
	}
	if (v->confirm_ack) {
		v->confirm_ack = false;
		if (key == 'y' || key == 'Y') {
			a->kind = ACT_ACK;
			snprintf(a->code, sizeof(a->code), "%s", v->ack.code);
			snprintf(a->source, sizeof(a->source), "%s",
			    v->ack.source);
			a->connector = v->ack.connector;
			snprintf(a->what, sizeof(a->what), "alarm %.23s of %.30s",
			    v->ack.code, v->ack.source);
		} else
			tui_say(v, false, "alarm not acknowledged");
		return;
	}
	if (v->confirm_limit) {
		v->confirm_limit = false;
		if (key == 'y' || key == 'Y') {
			a->kind = ACT_LIMIT;
			a->limit = v->limit_to;
			snprintf(a->what, sizeof(a->what), "group limit %.1f A",
			    a->limit);
		} else
			tui_say(v, false, "group limit unchanged (%.1f A)",
			    st->group_limit);
		return;
	}
	if (page < 1)
		page = 1;
	if (v->screen == SCR_EVENTS || v->screen == SCR_SESSIONS ||
	    v->screen == SCR_HELP || v->screen == SCR_DETAIL) {
		/* the help's own lines; a list's entries (none loaded:
		 * nothing to scroll) */
		int	 max = v->screen == SCR_HELP ? tui_help_lines() - 1 :
		    l ? l->n - 1 : 0;

		switch (key) {
		case 'q':
		case TUI_KEY_ESC:
		case TUI_KEY_ENTER:
		case '\r':
			v->screen = SCR_MAIN;
			return;
		case TUI_KEY_DOWN:
		case 'j':
			v->list_top++;
			break;
		case TUI_KEY_UP:
		case 'k':
			v->list_top--;
			break;
		case TUI_KEY_PGDN:
		case ' ':
			v->list_top += page;
			break;
		case TUI_KEY_PGUP:
			v->list_top -= page;
			break;
		case TUI_KEY_HOME:
			v->list_top = 0;
			break;
		case TUI_KEY_END:
			v->list_top = max;
			break;
		case 'e':
			v->screen = SCR_EVENTS;
			v->list_top = 0;
			a->kind = ACT_LOAD_EVENTS;
			return;
		case 's':
			v->screen = SCR_SESSIONS;
			v->list_top = 0;
			a->kind = ACT_LOAD_SESSIONS;
			return;
		default:
			break;
		}
		if (v->list_top > max)
			v->list_top = max;
		if (v->list_top < 0)
			v->list_top = 0;
		/* the detail screen acts on its connector too */
		if (v->screen != SCR_DETAIL || (key != 'p' && key != 'l' &&
		    key != 'b' && key != 'r'))
			return;
	}
	switch (key) {
	case 'q':
		a->kind = ACT_QUIT;
		break;
	case TUI_KEY_DOWN:
	case 'j':
		move(v, st, 1, page);
		break;
	case TUI_KEY_UP:
	case 'k':
		move(v, st, -1, page);
		break;
	case TUI_KEY_PGDN:
		move(v, st, page, page);
		break;
	case TUI_KEY_PGUP:
		move(v, st, -page, page);
		break;
	case TUI_KEY_HOME:
		move(v, st, -v->sel, page);
		break;
	case TUI_KEY_END:
		move(v, st, (int)st->n, page);
		break;
	case TUI_KEY_ENTER:
	case '\r':
		if (c != NULL) {
			v->screen = SCR_DETAIL;
			v->list_top = 0;
			a->kind = ACT_LOAD_EVENTS;	/* its recent events */
		}
		break;
	case 'p':
		if (c != NULL)
			command(v, c, c->paused ? "resume" : "pause", a);
		break;
	case 'l':
		if (c != NULL)
			command(v, c, strcmp(c->state, "locked") == 0 ?
			    "unlock" : "lock", a);
		break;
	case 'b':
		if (c != NULL)
			command(v, c, "boost", a);
		break;
	case 'a':
		/* an operator lets a car charge without a tag */
		if (c == NULL)
			break;
		if (strcmp(c->state, "waiting-for-authorisation") != 0)
			tui_say(v, false, "%s connector %d is not waiting for "
			    "authorisation", c->charger, c->connector);
		else
			command(v, c, "authorise", a);
		break;
	case 'r':
		if (c == NULL)
			break;
		if (c->faults[0] == '\0') {
			tui_say(v, false, "%s connector %d has no fault to reset",
			    c->charger, c->connector);
			break;
		}
		v->confirm_reset = true;
		tui_say(v, true, "Reset %s connector %d (%s)? Only once the cause is "
		    "fixed. y/n", c->charger, c->connector, c->faults);
		break;
	case '+':
	case '-':
		if (!v->installer) {
			tui_say(v, true, "changing the group limit is for installers");
			break;
		}
		if (!st->valid)
			break;
		/* one key is too easy a way to change what the supply
		 * carries: the figures first, then y */
		v->limit_to = st->group_limit + (key == '+' ? TUI_LIMIT_STEP :
		    -TUI_LIMIT_STEP);
		if (v->limit_to < 0)
			v->limit_to = 0;
		v->confirm_limit = true;
		tui_say(v, true, "Group limit %.1f A -> %.1f A per phase: the "
		    "chargers together may draw up to %.1f A. y/n",
		    st->group_limit, v->limit_to, v->limit_to);
		break;
	case 'A':
		/* the first alarm nobody acknowledged (they come first) */
		for (int i = 0; i < st->nalarms; i++)
			if (st->alarms[i].ack_by[0] == '\0') {
				v->ack = st->alarms[i];
				v->confirm_ack = true;
				/* the question before the alarm's long words */
				tui_say(v, true, "Acknowledge this alarm? y/n: %s",
				    v->ack.text);
				return;
			}
		tui_say(v, false, "no alarm to acknowledge");
		break;
	case 'o':
		v->sort = (enum tui_sort)((v->sort + 1) % 3);
		tui_keep_selection(v, st);
		tui_say(v, false, "sorted by %s", tui_sort_name(v->sort));
		break;
	case 'c':
		/* the same connectors, grouped under their circuits */
		v->by_circuit = !v->by_circuit;
		tui_keep_selection(v, st);
		tui_say(v, false, "%s", v->by_circuit ? "circuit view: "
		    "connectors grouped by circuit (c: back)" :
		    "all connectors");
		break;
	case '/':
		v->typing = true;
		v->filter[0] = '\0';
		break;
	case 'e':
		v->screen = SCR_EVENTS;
		v->list_top = 0;
		a->kind = ACT_LOAD_EVENTS;
		break;
	case 's':
		v->screen = SCR_SESSIONS;
		v->list_top = 0;
		a->kind = ACT_LOAD_SESSIONS;
		break;
	case '?':
	case 'h':
		v->screen = SCR_HELP;
		v->list_top = 0;
		break;
	case TUI_KEY_ESC:
		v->filter[0] = '\0';
		v->message[0] = '\0';
		tui_keep_selection(v, st);
		break;
	default:
		break;
	}
}
