/*
 * main.c: evgroup-tui, the operator console. The shell around the pure
 * core (tui.h): curses in, curses out, the API client, the clock.
 * docs/operator-guide.md.
 */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>
#include <jansson.h>

#include "client.h"
#include "tui.h"

struct app {
	struct client	 c;
	struct tui_status st;
	struct tui_view	 v;
	struct tui_list	 list;
	struct tui_screen_model scr;
	bool		 utf8, colour;
	attr_t		 attrs[TA_ATTR_COUNT];
	time_t		 message_at;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: evgroup-tui [--url URL] [--user NAME] "
	    "[--password-file FILE]\n"
	    "  --url URL             the appliance's web address "
	    "(default http://127.0.0.1:8080)\n"
	    "  --user NAME           login (default: $EVG_USER, or asked)\n"
	    "  --password-file FILE  the password on the file's first line\n"
	    "The password comes from --password-file, else $EVG_PASSWORD, else\n"
	    "a prompt (not echoed).\n");
}

static int
prompt(const char *what, char *buf, size_t len, bool echo)
{
	struct termios old, quiet;
	bool	 tty = isatty(STDIN_FILENO);
	int	 ok;

	fprintf(stderr, "%s: ", what);
	fflush(stderr);
	if (!echo && tty && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ok = fgets(buf, (int)len, stdin) != NULL;
	if (!echo && tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return ok ? 0 : -1;
}

static void
colours(struct app *a)
{
	static const struct { int attr; short fg, bg; attr_t extra; } map[] = {
		{ TA_HEAD, COLOR_WHITE, COLOR_BLUE, A_BOLD },
		{ TA_SEL, COLOR_BLACK, COLOR_CYAN, 0 },
		{ TA_OK, COLOR_GREEN, -1, 0 },
		{ TA_WARN, COLOR_YELLOW, -1, A_BOLD },
		{ TA_BAD, COLOR_RED, -1, A_BOLD },
		{ TA_BAR_BUILDING, COLOR_WHITE, -1, 0 },
		{ TA_BAR_EV, COLOR_CYAN, -1, A_BOLD },
		{ TA_BAR_FREE, COLOR_BLUE, -1, 0 },
		{ TA_LIMIT, COLOR_RED, -1, A_BOLD },
		{ TA_LED_GREEN, COLOR_GREEN, -1, A_BOLD },
		{ TA_LED_BLUE, COLOR_BLUE, -1, A_BOLD },
		{ TA_LED_YELLOW, COLOR_YELLOW, -1, A_BOLD },
		{ TA_LED_MAGENTA, COLOR_MAGENTA, -1, A_BOLD },
		{ TA_LED_RED, COLOR_RED, -1, A_BOLD },
		{ TA_LED_WHITE, COLOR_WHITE, -1, A_BOLD },
	};

	/* monochrome (vt100): bold, underline and reverse say it all */
	a->attrs[TA_NORM] = A_NORMAL;
	a->attrs[TA_HEAD] = A_REVERSE;
	a->attrs[TA_SEL] = A_REVERSE | A_BOLD;
	a->attrs[TA_OK] = A_NORMAL;
	a->attrs[TA_WARN] = A_BOLD;
	a->attrs[TA_BAD] = A_BOLD | A_UNDERLINE;
	a->attrs[TA_DIM] = A_DIM;
	a->attrs[TA_BAR_BUILDING] = A_NORMAL;
	a->attrs[TA_BAR_EV] = A_BOLD;
	a->attrs[TA_BAR_FREE] = A_NORMAL;
	a->attrs[TA_LIMIT] = A_BOLD;
	for (int i = TA_LED_GREEN; i <= TA_LED_WHITE; i++)
		a->attrs[i] = A_BOLD;
	a->attrs[TA_BOLD] = A_BOLD;
	if (!a->colour)
		return;
	start_color();
	use_default_colors();
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		init_pair((short)(i + 1), map[i].fg, map[i].bg);
		a->attrs[map[i].attr] = COLOR_PAIR((int)i + 1) | map[i].extra;
	}
}

static void
draw(struct app *a)
{
	int	 rows, cols;
	time_t	 now = time(NULL);
	struct tm tm;

	getmaxyx(stdscr, rows, cols);
	if (rows != a->scr.rows || cols != a->scr.cols) {
		tui_screen_free(&a->scr);
		if (tui_screen_alloc(&a->scr, rows, cols) != 0)
			return;
	}
	localtime_r(&now, &tm);
	strftime(a->v.clock, sizeof(a->v.clock), "%H:%M:%S", &tm);
	/* a confirmation stays 5 s */
	if (a->v.message[0] && !a->v.confirm_reset && !a->v.confirm_limit &&
	    now - a->message_at > 5)
		a->v.message[0] = '\0';
	tui_render(&a->st, &a->v, &a->list, a->utf8, &a->scr);
	for (int r = 0; r < a->scr.rows; r++) {
		move(r, 0);
		for (int c = 0; c < a->scr.cols; c++) {
			const struct tui_cell *cell = &a->scr.cells[r *
			    a->scr.cols + c];

			attrset(a->attrs[cell->attr]);
			/* the last cell of the screen: no scrolling */
			if (r == a->scr.rows - 1 && c == a->scr.cols - 1)
				break;
			addstr(cell->ch);
		}
	}
	attrset(A_NORMAL);
	refresh();
}


static void
api_error(struct app *a, long status, const char *body, const char *what)
{
	json_t	*j = body ? json_loads(body, 0, NULL) : NULL;

	tui_say(&a->v, true, "%s: %s", what, status == 0 ? "the master does "
	    "not answer" : json_string_value(json_object_get(j, "error")) ?:
	    "refused");
	a->message_at = time(NULL);
	json_decref(j);
}

static void
act(struct app *a, const struct tui_action *x)
{
	char	 path[160], body[96], *out = NULL;
	size_t	 len = 0;
	long	 st;

	a->message_at = time(NULL);
	switch (x->kind) {
	case ACT_COMMAND:
		snprintf(path, sizeof(path), "/api/chargers/%d/connectors/%d/%s",
		    x->charger_id, x->connector, x->verb);
		st = client_request(&a->c, "POST", path, NULL, &out, NULL);
		if (st == 200)
			tui_say(&a->v, false, "%s: %s done", x->what, x->verb);
		else
			api_error(a, st, out, x->what);
		break;
	case ACT_LIMIT:
		/* asked and answered y on the console: confirmed */
		snprintf(body, sizeof(body), "{\"group_limit\": %.1f, "
		    "\"confirm\": true}", x->limit);
		st = client_request(&a->c, "PUT", "/api/config/site", body, &out,
		    NULL);
		if (st == 200)
			tui_say(&a->v, false, "%s set", x->what);
		else
			api_error(a, st, out, x->what);
		break;
	case ACT_ACK: {
		json_t	*j = json_pack("{s:s, s:s, s:i}", "code", x->code,
		    "source", x->source, "connector", x->connector);
		char	*b = j ? json_dumps(j, JSON_COMPACT) : NULL;

		json_decref(j);
		st = b ? client_request(&a->c, "POST", "/api/alarms/ack", b,
		    &out, NULL) : 0;
		free(b);
		/* the master's answer, as it is: done, gone, or someone's */
		if (st == 200)
			tui_say(&a->v, false, "%s acknowledged", x->what);
		else
			api_error(a, st, out, x->what);
		break;
	}
	case ACT_LOAD_EVENTS:
	case ACT_LOAD_SESSIONS:
		a->list.loading = true;
		draw(a);
		st = client_request(&a->c, "GET", x->kind == ACT_LOAD_EVENTS ?
		    "/api/events?limit=500" : "/api/sessions?limit=500", NULL,
		    &out, &len);
		if (st == 200 && x->kind == ACT_LOAD_EVENTS)
			tui_list_events(&a->list, out, len);
		else if (st == 200)
			tui_list_sessions(&a->list, out, len);
		else {
			a->list.loading = false;
			api_error(a, st, out, "loading");
		}
		break;
	default:
		break;
	}
	free(out);
}

static void
take_status(struct app *a)
{
	char	 err[160], *s;
	size_t	 len;
	bool	 reachable;

	s = client_take_status(&a->c, &len, &reachable, a->v.unreachable_why,
	    sizeof(a->v.unreachable_why));
	a->v.reachable = reachable;
	pthread_mutex_lock(&a->c.mu);
	a->v.installer = a->c.installer;
	pthread_mutex_unlock(&a->c.mu);
	if (s != NULL) {
		if (tui_status_parse(&a->st, s, len, err, sizeof(err)) == 0)
			tui_keep_selection(&a->v, &a->st);
		free(s);
	}
}

static int
run(struct app *a)
{
	struct pollfd pf[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
	    { .fd = a->c.wake[0], .events = POLLIN } };
	struct tui_action x;
	int	 key;

	for (;;) {
		draw(a);
		if (poll(pf, 2, 1000) < 0 && errno != EINTR)
			return 1;
		if (pf[1].revents & POLLIN)
			take_status(a);
		while ((key = getch()) != ERR) {
			if (key == KEY_RESIZE)
				continue;	/* draw() reads the new size */
			tui_key(&a->v, &a->st, &a->list, key,
			    tui_table_rows(&a->st, a->scr.rows), &x);
			if (x.kind == ACT_QUIT)
				return 0;
			if (x.kind != ACT_NONE)
				act(a, &x);
			else if (a->v.message[0])
				a->message_at = time(NULL);
		}
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "user", required_argument, NULL, 'n' },
		{ "password-file", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct app *a = calloc(1, sizeof(*a));
	const char *url = "http://127.0.0.1:8080", *pwfile = NULL;
	char	 user[32] = "", pw[129] = "", err[200];
	int	 ch, rc;

	if (a == NULL)
		return 1;
	setlocale(LC_ALL, "");
	if (getenv("EVG_USER") != NULL)
		snprintf(user, sizeof(user), "%s", getenv("EVG_USER"));
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			url = optarg;
			break;
		case 'n':
			snprintf(user, sizeof(user), "%s", optarg);
			break;
		case 'p':
			pwfile = optarg;
			break;
		case 'h':
			usage(stdout);
			free(a);
			return 0;
		default:
			usage(stderr);
			free(a);
			return 2;
		}
	}
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) !=
	    0) {
		fprintf(stderr, "evgroup-tui: --url: expected http://HOST:PORT or "
		    "https://HOST:PORT\n");
		free(a);
		return 2;
	}
	if (user[0] == '\0' && prompt("user", user, sizeof(user), true) != 0)
		return 2;
	if (pwfile != NULL) {
		FILE	*fp = fopen(pwfile, "r");

		if (fp == NULL || fgets(pw, sizeof(pw), fp) == NULL) {
			fprintf(stderr, "evgroup-tui: %s: cannot read\n", pwfile);
			if (fp)
				fclose(fp);
			free(a);
			return 2;
		}
		fclose(fp);
		pw[strcspn(pw, "\r\n")] = '\0';
	} else if (getenv("EVG_PASSWORD") != NULL)
		snprintf(pw, sizeof(pw), "%s", getenv("EVG_PASSWORD"));
	else if (prompt("password", pw, sizeof(pw), false) != 0)
		return 2;
	if (client_init(&a->c, url, user, pw) != 0) {
		fprintf(stderr, "evgroup-tui: cannot start\n");
		return 1;
	}
	memset(pw, 0, sizeof(pw));
	/* A refused login is final; a master that does not answer yet is
	 * waited for, on screen. */
	rc = client_login(&a->c, err, sizeof(err));
	if (rc == -1) {
		fprintf(stderr, "evgroup-tui: %s\n", err);
		client_stop(&a->c);
		free(a);
		return 1;
	}
	a->v.reachable = rc == 0;
	if (rc != 0)
		snprintf(a->v.unreachable_why, sizeof(a->v.unreachable_why),
		    "%.95s", err);
	snprintf(a->v.user, sizeof(a->v.user), "%.20s", user);
	a->v.installer = a->c.installer;
	if (client_start(&a->c) != 0)
		return 1;
	a->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	initscr();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(50);
	curs_set(0);
	a->colour = has_colors();
	colours(a);
	rc = run(a);
	endwin();
	client_stop(&a->c);
	tui_status_free(&a->st);
	tui_list_free(&a->list);
	tui_screen_free(&a->scr);
	free(a);
	return rc;
}
