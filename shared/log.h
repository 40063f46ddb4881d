/*
 * log.h: the one logging module of the shells (cores never log; they
 * return events). Messages go to stderr with a monotonic timestamp, and
 * a syslog priority prefix when stderr is the journal.
 */
#ifndef EVG_LOG_H
#define EVG_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_ERROR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void	log_at(enum log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/* JOURNAL_STREAM's value names the stream with this device and inode */
bool	log_journal_stream(const char *env, uint64_t dev, uint64_t ino);

#endif
