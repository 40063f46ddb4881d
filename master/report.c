/*
 * report.c: the commissioning report's rules and its printable page
 * (report.h). The browser sends only what the installer saw and wrote;
 * everything the site is (settings, version, alarms) comes from the
 * master, so that a report cannot claim settings the site never had.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"
#include "text.h"

/* The steps a report may hold, in the wizard's order. */
static const struct step {
	const char	*name, *title;
	bool		 charger;	/* names a charger */
	bool		 connector;	/* and one of its connectors */
} steps[] = {
	{ "site", "Supply and limits", false, false },
	{ "meter", "Meter", false, false },
	{ "clamps", "Clamps", false, false },
	{ "charger-test", "Charger test", true, false },
	{ "charger-ratings", "Ratings", true, false },
	{ "charger-authorisation", "Authorisation mode", true, false },
	{ "phase-rotation", "Phase rotation", true, true },
	{ "fallback", "Fallback arithmetic", false, false },
	{ "alarms", "Alarms", false, false },
	{ NULL, NULL, false, false },
};

static const char *const statuses[] = { "pass", "warn", "fail", "skipped",
    NULL };

static const struct step *
step_find(const char *name)
{
	for (const struct step *s = steps; s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static int
fail(char *err, size_t errlen, char *field, size_t fieldlen, const char *f,
    const char *what)
{
	snprintf(field, fieldlen, "%s", f);
	snprintf(err, errlen, "%s: %s", f, what);
	return -1;
}

/*
 * Whether v is a string of at most max bytes (at least one when
 * required) of plain text: valid UTF-8 (jansson checks that) without a
 * NUL or a control character; with lines, line feeds, carriage returns
 * and tabs are allowed too. 0, or the reason.
 */
static const char *
plain(const json_t *v, size_t max, bool required, bool lines)
{
	const char *s;
	char	*copy;
	bool	 ok;

	if (!json_is_string(v))
		return "must be a string";
	s = json_string_value(v);
	if (json_string_length(v) != strlen(s))
		return "must not hold a NUL character";
	if (strlen(s) > max)
		return "too long";
	if (required && s[0] == '\0')
		return "must not be empty";
	if ((copy = strdup(s)) == NULL)
		return "out of memory";
	for (char *p = copy; lines && *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	ok = text_is_plain(copy);
	free(copy);
	return ok ? NULL : "must be plain text, without control characters";
}

/* A member's check, with its place in the error: "steps[3].text: ...". */
#define PLAIN(v, max, req, lines, f) do {				\
	const char *why_ = plain((v), (max), (req), (lines));		\
	if (why_ != NULL)						\
		return fail(err, errlen, field, fieldlen, (f),		\
		    why_);					\
} while (0)

static bool
charger_known(const json_t *config, const char *name)
{
	const char *k;
	json_t	*sec;

	json_object_foreach((json_t *)config, k, sec)
		if (strncmp(k, "charger", 7) == 0 && json_is_string(
		    json_object_get(sec, "name")) && strcmp(json_string_value(
		    json_object_get(sec, "name")), name) == 0)
			return true;
	return false;
}

static int
check_figures(const json_t *fig, const char *at, char *err, size_t errlen,
    char *field, size_t fieldlen)
{
	char	 f[96];
	const char *k;
	json_t	*v;

	snprintf(f, sizeof(f), "%s.figures", at);
	if (!json_is_object(fig) || json_object_size(fig) > REPORT_FIGURES_MAX)
		return fail(err, errlen, field, fieldlen, f,
		    "must be an object of at most 16 named figures");
	json_object_foreach((json_t *)fig, k, v) {
		json_t	*key = json_string(k);
		const char *why = key ? plain(key, REPORT_LABEL_MAX, true,
		    false) : "out of memory";

		json_decref(key);
		if (why != NULL)
			return fail(err, errlen, field, fieldlen, f,
			    "a figure's name must be 1-40 characters of plain "
			    "text");
		snprintf(f, sizeof(f), "%s.figures.%.40s", at, k);
		if (json_is_number(v))
			continue;
		PLAIN(v, REPORT_FIGURE_MAX, false, false, f);
	}
	return 0;
}

static int
check_step(const json_t *st, int i, const json_t *config, char *err,
    size_t errlen, char *field, size_t fieldlen)
{
	char	 at[32], f[64];
	const struct step *def;
	const char *k;
	json_t	*v;
	int	 s;

	snprintf(at, sizeof(at), "steps[%d]", i);
	if (!json_is_object(st))
		return fail(err, errlen, field, fieldlen, at,
		    "must be an object");
	json_object_foreach((json_t *)st, k, v)
		if (strcmp(k, "step") && strcmp(k, "status") && strcmp(k,
		    "text") && strcmp(k, "charger") && strcmp(k, "connector") &&
		    strcmp(k, "figures")) {
			snprintf(f, sizeof(f), "%s.%.20s", at, k);
			return fail(err, errlen, field, fieldlen, f,
			    "unknown member (step, status, text, charger, "
			    "connector, figures)");
		}
	snprintf(f, sizeof(f), "%s.step", at);
	v = json_object_get(st, "step");
	if (!json_is_string(v) || (def = step_find(json_string_value(v))) ==
	    NULL)
		return fail(err, errlen, field, fieldlen, f, "must be "
		    "site, meter, clamps, charger-test, charger-ratings, "
		    "charger-authorisation, phase-rotation, fallback or alarms");
	snprintf(f, sizeof(f), "%s.status", at);
	v = json_object_get(st, "status");
	for (s = 0; json_is_string(v) && statuses[s] &&
	    strcmp(statuses[s], json_string_value(v)) != 0; s++)
		;
	if (!json_is_string(v) || statuses[s] == NULL)
		return fail(err, errlen, field, fieldlen, f,
		    "must be pass, warn, fail or skipped");
	snprintf(f, sizeof(f), "%s.text", at);
	PLAIN(json_object_get(st, "text"), REPORT_TEXT_MAX, true, false, f);
	snprintf(f, sizeof(f), "%s.charger", at);
	v = json_object_get(st, "charger");
	if (def->charger) {
		PLAIN(v, 31, true, false, f);
		if (!charger_known(config, json_string_value(v)))
			return fail(err, errlen, field, fieldlen, f,
			    "no such charger on this site");
	} else if (v != NULL)
		return fail(err, errlen, field, fieldlen, f,
		    "only for a charger's steps");
	snprintf(f, sizeof(f), "%s.connector", at);
	v = json_object_get(st, "connector");
	if (def->connector && (!json_is_integer(v) || json_integer_value(v) <
	    1 || json_integer_value(v) > 2))
		return fail(err, errlen, field, fieldlen, f,
		    "must be 1 or 2");
	if (!def->connector && v != NULL)
		return fail(err, errlen, field, fieldlen, f,
		    "only for the phase rotation");
	if ((v = json_object_get(st, "figures")) != NULL)
		return check_figures(v, at, err, errlen, field, fieldlen);
	return 0;
}

int
report_check(const json_t *in, const json_t *config, char *err,
    size_t errlen, char *field, size_t fieldlen)
{
	const char *k;
	json_t	*v, *a;
	size_t	 i;

	err[0] = field[0] = '\0';
	json_object_foreach((json_t *)in, k, v)
		if (strcmp(k, "installer") && strcmp(k, "notes") &&
		    strcmp(k, "steps"))
			return fail(err, errlen, field, fieldlen, k,
			    "unknown member (installer, notes, steps)");
	if ((v = json_object_get(in, "installer")) != NULL)
		PLAIN(v, REPORT_NAME_MAX, true, false, "installer");
	if ((v = json_object_get(in, "notes")) != NULL)
		PLAIN(v, REPORT_NOTES_MAX, false, true, "notes");
	a = json_object_get(in, "steps");
	if (!json_is_array(a) || json_array_size(a) > REPORT_STEPS_MAX)
		return fail(err, errlen, field, fieldlen, "steps",
		    "required, a list of at most 1000 results");
	json_array_foreach(a, i, v)
		if (check_step(v, (int)i, config, err, errlen, field,
		    fieldlen) != 0)
			return -1;
	return 0;
}

/* Notes as kept: line feeds, no carriage returns, tabs as spaces. */
static json_t *
notes_kept(const json_t *v)
{
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	char	*t = malloc(strlen(s) + 1), *o = t;
	json_t	*j;

	if (t == NULL)
		return NULL;
	for (; *s; s++)
		if (*s != '\r')
			*o++ = *s == '\t' ? ' ' : *s;
	*o = '\0';
	j = json_string(t);
	free(t);
	return j;
}

json_t *
report_make(const json_t *in, const struct report_meta *m, json_t *config,
    json_t *pending, json_t *alarms, json_int_t alarms_total)
{
	json_t	*inst = json_object_get(in, "installer"), *st, *counts;
	const char *site = json_string_value(json_object_get(
	    json_object_get(config, "site"), "name"));
	size_t	 i;

	counts = json_pack("{s:i, s:i, s:i, s:i}", "pass", 0, "warn", 0,
	    "fail", 0, "skipped", 0);
	json_array_foreach(json_object_get(in, "steps"), i, st) {
		const char *s = json_string_value(json_object_get(st,
		    "status"));

		json_object_set_new(counts, s, json_integer(json_integer_value(
		    json_object_get(counts, s)) + 1));
	}
	/* the installer named, or the login that saves it */
	return json_pack("{s:I, s:s, s:s, s:s, s:o, s:s, s:s, s:O, s:o, s:o, "
	    "s:O, s:O, s:O, s:I}",
	    "time_ms", (json_int_t)m->time_ms, "date", m->date, "day", m->day,
	    "site", site ? site : "", "installer", inst ? json_incref(inst) :
	    json_string(m->saved_by), "saved_by", m->saved_by, "version",
	    m->version, "steps", json_object_get(in, "steps"),
	    "notes", notes_kept(json_object_get(in, "notes")),
	    "counts", counts, "config", config, "pending", pending,
	    "alarms", alarms, "alarms_total", alarms_total);
}

/* --- the printable page -------------------------------------------------- */

void
report_html_text(FILE *fp, const char *s, int lines)
{
	size_t	 n = strlen(s);
	char	*line = malloc(n + 1), *buf = malloc(4 * n + 8);
	const char *p = s;

	if (line == NULL || buf == NULL)
		goto out;
	do {
		size_t	 l = lines ? strcspn(p, "\n") : n;

		/* escaped as the events are, then for HTML: a control
		 * character or a bad byte never reaches the page raw */
		memcpy(line, p, l);
		line[l] = '\0';
		text_escape(buf, 4 * n + 8, line);
		for (const char *c = buf; *c; c++)
			switch (*c) {
			case '&': fputs("&amp;", fp); break;
			case '<': fputs("&lt;", fp); break;
			case '>': fputs("&gt;", fp); break;
			case '"': fputs("&quot;", fp); break;
			case '\'': fputs("&#39;", fp); break;
			default: fputc(*c, fp);
			}
		p += l;
		if (*p == '\n') {
			fputc('\n', fp);
			p++;
		} else
			break;
	} while (1);
out:
	free(line);
	free(buf);
}

static const char *
str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* "<tag>text</tag>" with the text escaped. */
static void
el(FILE *fp, const char *tag, const char *text)
{
	fprintf(fp, "<%s>", tag);
	report_html_text(fp, text, 0);
	fprintf(fp, "</%s>", tag);
}

static void
row(FILE *fp, const char *th, const char *td)
{
	fputs("<tr>", fp);
	el(fp, "th", th);
	el(fp, "td", td);
	fputs("</tr>\n", fp);
}

/* A figure: a string as it is, a number as JSON writes it. */
static void
figure(FILE *fp, const json_t *v)
{
	char	*t = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY);

	report_html_text(fp, t ? t : json_string_value(v) ? json_string_value(v)
	    : "", 0);
	free(t);
}

static void
html_steps(FILE *fp, const json_t *r)
{
	const json_t *a = json_object_get(r, "steps"), *st, *v;
	const char *k;
	size_t	 i;

	fputs("<h2>Results</h2>\n", fp);
	if (json_array_size(a) == 0) {
		fputs("<p>No results recorded.</p>\n", fp);
		return;
	}
	fputs("<table class=\"steps\"><thead><tr><th>Check</th><th>Where</th>"
	    "<th>Result</th><th>Finding</th></tr></thead><tbody>\n", fp);
	json_array_foreach(a, i, st) {
		const struct step *def = step_find(str(st, "step"));
		const char *s = str(st, "status");
		char	 where[48] = "site";

		if (json_object_get(st, "connector"))
			snprintf(where, sizeof(where), "%.31s connector %d",
			    str(st, "charger"), (int)json_integer_value(
			    json_object_get(st, "connector")));
		else if (json_object_get(st, "charger"))
			snprintf(where, sizeof(where), "%s", str(st,
			    "charger"));
		/* the status is one of four words (checked at save): the
		 * class is made from it, never from a text */
		fprintf(fp, "<tr class=\"%s\">", strcmp(s, "pass") == 0 ?
		    "pass" : strcmp(s, "warn") == 0 ? "warn" : strcmp(s,
		    "fail") == 0 ? "fail" : "skipped");
		el(fp, "td", def ? def->title : str(st, "step"));
		el(fp, "td", where);
		el(fp, "td", s);
		fputs("<td>", fp);
		report_html_text(fp, str(st, "text"), 0);
		if (json_object_size(json_object_get(st, "figures")) > 0) {
			fputs("<ul class=\"fig\">", fp);
			json_object_foreach(json_object_get(st, "figures"), k,
			    v) {
				fputs("<li>", fp);
				report_html_text(fp, k, 0);
				fputs(": ", fp);
				figure(fp, v);
				fputs("</li>", fp);
			}
			fputs("</ul>", fp);
		}
		fputs("</td></tr>\n", fp);
	}
	fputs("</tbody></table>\n", fp);
}

/* A list, an item per member of a: the texts of the members parts
 * names (or, where a member has none, of its alt: a report saved before
 * the member was), each followed by its words. */
struct part {
	const char	*key, *alt, *after;
};

static const struct part alarm_parts[] = { { "text", NULL, "" },
    { NULL, NULL, NULL } };
/* a pending setting in the installer's words, else its key */
static const struct part pending_parts[] = { { "words", "setting", ": " },
    { "in_force", NULL, " now, " }, { "after_restart", NULL,
    " after the restart" }, { NULL, NULL, NULL } };

static void
html_items(FILE *fp, const json_t *a, const char *class,
    const struct part *parts)
{
	const json_t *x;
	size_t	 i;

	fprintf(fp, "<ul class=\"%s\">\n", class);
	json_array_foreach(a, i, x) {
		fputs("<li>", fp);
		for (const struct part *p = parts; p->key; p++) {
			const char *t = str(x, p->key);

			if (t[0] == '\0' && p->alt != NULL)
				t = str(x, p->alt);
			report_html_text(fp, t, 0);
			fputs(p->after, fp);
		}
		fputs("</li>\n", fp);
	}
	fputs("</ul>\n", fp);
}

static void
html_alarms(FILE *fp, const json_t *r)
{
	const json_t *a = json_object_get(r, "alarms");

	fputs("<h2>Alarms when the report was saved</h2>\n", fp);
	if (json_array_size(a) == 0) {
		fputs("<p>None.</p>\n", fp);
		return;
	}
	html_items(fp, a, "alarms", alarm_parts);
	if (json_integer_value(json_object_get(r, "alarms_total")) >
	    (json_int_t)json_array_size(a))
		fprintf(fp, "<p>%lld alarms in all; the first %zu are listed."
		    "</p>\n", (long long)json_integer_value(json_object_get(r,
		    "alarms_total")), json_array_size(a));
}

/* Sections in the file's order: site, meter, clamps, web, smart,
 * chargers (by number), then any other. */
static int
section_rank(const char *s)
{
	static const char *const order[] = { "site", "meter", "clamp1",
	    "clamp2", "clamp3", "smart", "web", NULL };
	int	 i;

	for (i = 0; order[i]; i++)
		if (strcmp(order[i], s) == 0)
			return i;
	if (strncmp(s, "charger", 7) == 0)
		return 100 + atoi(s + 7);
	return 100000;
}

static int
section_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int	 rx = section_rank(x), ry = section_rank(y);

	return rx != ry ? (rx > ry) - (rx < ry) : strcmp(x, y);
}

static void
html_settings(FILE *fp, const json_t *r)
{
	const json_t *cfg = json_object_get(r, "config"), *sec, *v, *p;
	const char **names, *k;
	size_t	 n = 0, i;

	fputs("<h2>Settings</h2>\n", fp);
	if ((names = calloc(json_object_size(cfg) + 1, sizeof(*names))) ==
	    NULL)
		return;
	json_object_foreach((json_t *)cfg, k, sec)
		names[n++] = k;
	qsort(names, n, sizeof(*names), section_cmp);
	fputs("<div class=\"settings\">\n", fp);
	for (i = 0; i < n; i++) {
		sec = json_object_get(cfg, names[i]);
		fputs("<table class=\"kv\"><caption>", fp);
		report_html_text(fp, names[i], 0);
		fputs("</caption><tbody>\n", fp);
		json_object_foreach((json_t *)sec, k, v)
			row(fp, k, json_is_string(v) ? json_string_value(v) :
			    "");
		fputs("</tbody></table>\n", fp);
	}
	fputs("</div>\n", fp);
	free(names);
	p = json_object_get(r, "pending");
	if (json_array_size(p) == 0)
		return;
	fputs("<h3>Saved, waiting for a restart</h3>\n", fp);
	html_items(fp, p, "pending", pending_parts);
}

/* Plain and legible on paper: A4, black on white, no page break inside
 * a row, the settings in columns. */
static const char style[] =
    "body{font:11pt/1.4 system-ui,sans-serif;color:#111;margin:24px auto;"
    "max-width:60rem;padding:0 12px;overflow-wrap:anywhere}"
    "h1{font-size:1.5rem;margin:0 0 8px}h2{font-size:1.15rem;"
    "margin:20px 0 6px;border-bottom:1px solid #999}"
    "h3{font-size:1rem}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{text-align:left;vertical-align:top;padding:3px 6px;"
    "border-bottom:1px solid #ccc}"
    ".meta th{width:11rem}"
    "table.steps td:nth-child(1){width:9rem}"
    "table.steps td:nth-child(3){white-space:nowrap}"
    "tr.pass td:nth-child(3){color:#1e7b34;font-weight:600}"
    "tr.warn td:nth-child(3){color:#b35900;font-weight:600}"
    "tr.fail td:nth-child(3){color:#b3261e;font-weight:700}"
    "tr.skipped td:nth-child(3){color:#555;font-style:italic}"
    "ul.fig{margin:2px 0 0;padding-left:1.2em;font-size:.9em;color:#333}"
    ".notes{white-space:pre-wrap;border:1px solid #ccc;padding:8px;"
    "min-height:3em}"
    ".settings{columns:2 22rem;column-gap:24px}"
    "table.kv{break-inside:avoid;margin-bottom:12px;font-size:.9em}"
    "caption{text-align:left;font-weight:700;padding:4px 0}"
    ".sign{display:flex;gap:48px;margin-top:32px;flex-wrap:wrap}"
    ".sign div{flex:1;min-width:14rem;border-top:1px solid #111;"
    "padding-top:4px}"
    /* a phone: each result a block, its check, place and result on
     * one line, its finding below */
    "@media (max-width:640px){.settings{columns:1}.meta th{width:auto}"
    "table.steps thead{display:none}table.steps tr{display:block;"
    "border-bottom:1px solid #ccc;padding:4px 0}table.steps td{display:"
    "inline;border:0;padding:0 6px 0 0}table.steps td:nth-child(1){"
    "font-weight:700}table.steps td:nth-child(4){display:block}}"
    "@page{size:A4;margin:15mm}"
    "@media print{body{margin:0;max-width:none;font-size:10pt}"
    "tr,li{break-inside:avoid}h2{break-after:avoid}"
    "a{color:inherit;text-decoration:none}}";

char *
report_html(const json_t *r, json_int_t id, size_t *len)
{
	const json_t *c = json_object_get(r, "counts");
	char	*buf = NULL, num[32];
	FILE	*fp;

	if ((fp = open_memstream(&buf, len)) == NULL)
		return NULL;
	fputs("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset="
	    "\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width,"
	    " initial-scale=1\">\n<title>Commissioning report: ", fp);
	report_html_text(fp, str(r, "site"), 0);
	fprintf(fp, "</title>\n<style>%s</style>\n</head>\n<body>\n", style);
	fputs("<h1>Commissioning report</h1>\n<table class=\"meta\"><tbody>\n",
	    fp);
	row(fp, "Site", str(r, "site"));
	row(fp, "Date", str(r, "date"));
	row(fp, "Installer", str(r, "installer"));
	row(fp, "Saved by (login)", str(r, "saved_by"));
	row(fp, "Appliance version", str(r, "version"));
	snprintf(num, sizeof(num), "%lld", (long long)id);
	row(fp, "Report number", num);
	fprintf(fp, "<tr><th>Results</th><td>%lld pass, %lld warn, %lld fail, "
	    "%lld skipped</td></tr>\n</tbody></table>\n",
	    (long long)json_integer_value(json_object_get(c, "pass")),
	    (long long)json_integer_value(json_object_get(c, "warn")),
	    (long long)json_integer_value(json_object_get(c, "fail")),
	    (long long)json_integer_value(json_object_get(c, "skipped")));
	html_steps(fp, r);
	html_alarms(fp, r);
	fputs("<h2>Notes</h2>\n<div class=\"notes\">", fp);
	report_html_text(fp, str(r, "notes"), 1);
	fputs("</div>\n", fp);
	html_settings(fp, r);
	fputs("<div class=\"sign\"><div>Installer’s signature</div><div>Site "
	    "owner’s signature</div></div>\n</body>\n</html>\n", fp);
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

void
report_filename(const json_t *r, char *buf, size_t len)
{
	const char *site = str(r, "site")[0] ? str(r, "site") : "site";
	const char *day = str(r, "day");
	size_t	 o;

	o = (size_t)snprintf(buf, len, "commissioning-");
	for (; *site && o + 1 < len && o < 14 + 40; site++)
		buf[o++] = (*site >= 'a' && *site <= 'z') || (*site >= 'A' &&
		    *site <= 'Z') || (*site >= '0' && *site <= '9') || *site ==
		    '_' ? *site : '-';
	buf[o < len ? o : len - 1] = '\0';
	/* the day is the master's own "YYYY-MM-DD" */
	if (o < len && strspn(day, "0123456789-") == strlen(day))
		snprintf(buf + o, len - o, "-%s.html", day);
}
