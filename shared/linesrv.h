/*
 * linesrv.h: a UNIX-socket server for line protocols under libuv: one
 * command a line, one reply line each. Lines over the limit are answered
 * "error: line too long" and dropped whole. Used by the charger's and the
 * simulator's control interfaces.
 */
#ifndef EVG_LINESRV_H
#define EVG_LINESRV_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#define LINESRV_MAX_LINE	256

/* Returns a malloc'd reply without newline (NULL: no reply). */
typedef char *(*linesrv_fn)(void *arg, const char *line);

struct linesrv {
	uv_loop_t	*loop;
	uv_pipe_t	 pipe;
	linesrv_fn	 fn;
	void		*arg;
	char		 path[108];
	bool		 open;
	struct lineclient *clients;	/* list, for closing */
};

int	linesrv_start(struct linesrv *, uv_loop_t *, const char *path,
	    linesrv_fn, void *arg);
void	linesrv_close(struct linesrv *);

#endif
