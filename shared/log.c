/*
 * log.c: stderr logging for the programs' shells. No state: the program
 * name comes from the C library, the time from the monotonic clock.
 * Every message is escaped here (text_escape), whatever it holds: a name
 * from outside with a line feed cannot write a line of its own.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "text.h"

extern char *program_invocation_short_name;

static void __attribute__((format(printf, 3, 0)))
vlog(const char *level, int err, const char *fmt, va_list ap)
{
	char	 raw[1024], msg[1024];
	uint64_t now = clock_now_ms();

	/* a message cut to raw's size loses its cut last character, then
	 * everything is escaped (issue 17, item 7): one message, one line */
	if (vsnprintf(raw, sizeof(raw), fmt, ap) >= (int)sizeof(raw))
		raw[utf8_trunc(raw, sizeof(raw))] = '\0';
	text_escape(msg, sizeof(msg), raw);
	if (err)
		fprintf(stderr, "%llu.%03llu %s: %s: %s: %s\n",
		    (unsigned long long)(now / 1000),
		    (unsigned long long)(now % 1000),
		    program_invocation_short_name, level, msg, strerror(err));
	else
		fprintf(stderr, "%llu.%03llu %s: %s: %s\n",
		    (unsigned long long)(now / 1000),
		    (unsigned long long)(now % 1000),
		    program_invocation_short_name, level, msg);
}

void
log_at(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info",
	    "debug" };
	va_list ap;

	va_start(ap, fmt);
	vlog((unsigned)level <= LOG_DEBUG ? names[level] : "?", 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("info", 0, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int	err = errno;

	va_start(ap, fmt);
	vlog("warning", err, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning", 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int	err = errno;

	va_start(ap, fmt);
	vlog("fatal", err, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal", 0, fmt, ap);
	va_end(ap);
	exit(1);
}
