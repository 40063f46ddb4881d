/*
 * log.c: stderr logging for the programs' shells. No state: the program
 * name comes from the C library, the time from the monotonic clock.
 * Every message is escaped here (text_escape), whatever it holds: a name
 * from outside with a line feed cannot write a line of its own.
 * When stderr is the journal's stream, each line starts with its syslog
 * priority ("<4>"), so that `journalctl -p warning` selects by it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "log.h"
#include "text.h"

extern char *program_invocation_short_name;

/* syslog(3) priorities, as sd-daemon(3)'s SD_ERR etc. */
#define PRIO_CRIT	2
#define PRIO_ERR	3
#define PRIO_WARNING	4
#define PRIO_INFO	6
#define PRIO_DEBUG	7

/*
 * systemd.exec(5): JOURNAL_STREAM is "DEVICE:INODE" of the stream that
 * systemd connected to the journal. It is inherited by children whose
 * stderr is something else, so the numbers must be stderr's own.
 */
bool
log_journal_stream(const char *env, uint64_t dev, uint64_t ino)
{
	char	 want[64];

	if (env == NULL)
		return false;
	snprintf(want, sizeof(want), "%" PRIu64 ":%" PRIu64, dev, ino);
	return strcmp(env, want) == 0;
}

/* "<N>" when stderr is the journal, else "" (looked at every line: no
 * state, and a log line is rare enough for one fstat). */
static const char *
journal_prefix(int prio, char *buf, size_t len)
{
	const char *env = getenv("JOURNAL_STREAM");
	struct stat st;

	if (env == NULL || fstat(2, &st) != 0 ||
	    !log_journal_stream(env, (uint64_t)st.st_dev, (uint64_t)st.st_ino))
		return "";
	snprintf(buf, len, "<%d>", prio);
	return buf;
}

static void __attribute__((format(printf, 4, 0)))
vlog(int prio, const char *level, int err, const char *fmt, va_list ap)
{
	char	 raw[1024], msg[1024], pbuf[8];
	const char *pre = journal_prefix(prio, pbuf, sizeof(pbuf));
	uint64_t now = clock_now_ms();

	/* a message cut to raw's size loses its cut last character, then
	 * everything is escaped (issue 17, item 7): one message, one line */
	if (vsnprintf(raw, sizeof(raw), fmt, ap) >= (int)sizeof(raw))
		raw[utf8_trunc(raw, sizeof(raw))] = '\0';
	text_escape(msg, sizeof(msg), raw);
	if (err)
		fprintf(stderr, "%s%llu.%03llu %s: %s: %s: %s\n", pre,
		    (unsigned long long)(now / 1000),
		    (unsigned long long)(now % 1000),
		    program_invocation_short_name, level, msg, strerror(err));
	else
		fprintf(stderr, "%s%llu.%03llu %s: %s: %s\n", pre,
		    (unsigned long long)(now / 1000),
		    (unsigned long long)(now % 1000),
		    program_invocation_short_name, level, msg);
}

void
log_at(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info",
	    "debug" };
	static const int prios[] = { PRIO_ERR, PRIO_WARNING, PRIO_INFO,
	    PRIO_DEBUG };
	va_list ap;
	bool	 known = (unsigned)level <= LOG_DEBUG;

	va_start(ap, fmt);
	vlog(known ? prios[level] : PRIO_ERR, known ? names[level] : "?", 0,
	    fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PRIO_INFO, "info", 0, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int	err = errno;

	va_start(ap, fmt);
	vlog(PRIO_WARNING, "warning", err, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PRIO_WARNING, "warning", 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int	err = errno;

	va_start(ap, fmt);
	vlog(PRIO_CRIT, "fatal", err, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PRIO_CRIT, "fatal", 0, fmt, ap);
	va_end(ap);
	exit(1);
}
