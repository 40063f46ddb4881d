/*
 * events.c: what an operator or installer will want to find later. An
 * event is logged, recorded in the store, kept among the newest for the
 * status (the ring in struct master) and sent to the web UI's stream.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clock.h"
#include "master.h"
#include "text.h"

/*
 * A record for everything an operator or installer will want to find
 * later; also logged. Its source, code and text are escaped here, for
 * every caller (issue 17, items 7 and 8): they hold names from outside
 * (a user name tried at the login, a charger's RFID tag read over the
 * network, configuration strings), and each is kept as valid UTF-8
 * without control characters, cut to its field between characters, so
 * that no reader (log, JSON, console) can be fooled by it or refuse it.
 */
void
master_event(struct master *m, int severity, const char *source,
    const char *code, const char *fmt, ...)
{
	struct store_rec r = { .kind = STORE_EVENT };
	char	 raw[1024];	/* escaping only grows it: cut below */
	va_list	 ap;

	r.u.ev.severity = severity;
	text_escape(r.u.ev.source, sizeof(r.u.ev.source), source);
	text_escape(r.u.ev.code, sizeof(r.u.ev.code), code);
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	text_escape(r.u.ev.text, sizeof(r.u.ev.text), raw);
	MLOG(m, severity == SEV_INFO ? LOG_INFO : LOG_WARNING, "%s: %s",
	    r.u.ev.source, r.u.ev.text);
	store_put(m->store, &r);
	{
		struct recent_event *e = &m->recent[m->recent_head];
		json_t	*j;
		char	*text;

		e->time_ms = clock_wall_ms();
		e->severity = severity;
		memcpy(e->source, r.u.ev.source, sizeof(e->source));
		memcpy(e->code, r.u.ev.code, sizeof(e->code));
		memcpy(e->text, r.u.ev.text, sizeof(e->text));
		m->recent_head = (m->recent_head + 1) % MASTER_RECENT;
		if (m->nrecent < MASTER_RECENT)
			m->nrecent++;
		if (!m->web_on)
			return;
		j = json_pack("{s:I, s:i, s:s, s:s, s:s}", "time_ms",
		    (json_int_t)e->time_ms, "severity", severity, "source",
		    e->source, "code", e->code, "text", e->text);
		if ((text = json_dumps(j, JSON_COMPACT)) != NULL)
			web_publish_event(&m->web, text);
		free(text);
		json_decref(j);
	}
}
