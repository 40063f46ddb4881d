/*
 * report.h: the commissioning report (issue 18, section 3): what the
 * installer's browser may send (checked here), the report the master
 * makes of it with its own settings, version and alarms, and that
 * report as a self-contained printable HTML page. Pure: no clock, no
 * database (reportdb.c stores them); docs/api.md, "Commissioning
 * reports".
 */
#ifndef EVG_REPORT_H
#define EVG_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define REPORT_NAME_MAX		64	/* the installer's name, bytes */
#define REPORT_NOTES_MAX	4000
#define REPORT_TEXT_MAX		400	/* a step's sentence */
#define REPORT_STEPS_MAX	1000
#define REPORT_FIGURES_MAX	16	/* per step */
#define REPORT_FIGURE_MAX	120	/* a figure's value */
#define REPORT_LABEL_MAX	40	/* a figure's name */
#define REPORT_KEEP_MAX		1000	/* reports kept on the appliance */

/* What the master adds from its own state at save time. */
struct report_meta {
	const char	*saved_by;	/* the login that saved it */
	int64_t		 time_ms;	/* wall clock */
	const char	*date;		/* "2026-11-26 22:30 UTC" */
	const char	*day;		/* "2026-11-26", for the file name */
	const char	*version;	/* the appliance's */
};

/*
 * Checks what the browser sends: {"installer", "notes", "steps"} and
 * nothing else; each step {"step", "status", "text"} with "charger" (a
 * name in config) for a charger's steps, "connector" for the phase
 * check, and optional "figures". Plain text only: valid UTF-8 without
 * control characters (notes may hold line breaks and tabs). Returns 0,
 * or -1 with the reason in err and the member at fault in field.
 */
int	 report_check(const json_t *in, const json_t *config, char *err,
	    size_t errlen, char *field, size_t fieldlen);

/*
 * The report: the checked input, the settings as GET /api/config shows
 * them (config, pending), the alarms of the status at that time, and
 * meta. Takes references of its own; NULL when out of memory.
 */
json_t	*report_make(const json_t *in, const struct report_meta *,
	    json_t *config, json_t *pending, json_t *alarms,
	    json_int_t alarms_total);

/* The report as a printable HTML page (inline CSS, no script, every
 * text escaped); malloc'd, NULL when out of memory. */
char	*report_html(const json_t *report, json_int_t id, size_t *len);

/* "commissioning-SITE-2026-11-26.html": letters, digits, '-' and '_'
 * of the site's name only. */
void	 report_filename(const json_t *report, char *buf, size_t len);

/* Writes s into fp escaped for HTML text and attribute values (& < > "
 * ' as entities), after text_escape() (controls shown as \n, \x1b, bad
 * bytes as U+FFFD); with lines, line feeds are kept as they are. */
void	 report_html_text(FILE *fp, const char *s, int lines);

#endif
