/*
 * log.h: the one logging module of the shells (cores never log; they
 * return events). Messages go to stderr with a monotonic timestamp.
 */
#ifndef EVG_LOG_H
#define EVG_LOG_H

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

#endif
