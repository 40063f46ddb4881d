/*
 * linesrv.c: the line-protocol UNIX socket server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linesrv.h"

struct lineclient {
	uv_pipe_t		 pipe;
	struct linesrv		*srv;
	struct lineclient	*next, **prevp;
	char			 line[LINESRV_MAX_LINE + 1];
	size_t			 len;
	bool			 overflow;
	char			 rbuf[512];
};

static void
client_closed(uv_handle_t *h)
{
	struct lineclient *c = h->data;

	if (c->prevp != NULL) {
		*c->prevp = c->next;
		if (c->next != NULL)
			c->next->prevp = c->prevp;
	}
	free(c);
}

static void
on_write(uv_write_t *req, int status)
{
	(void)status;
	free(req->data);
	free(req);
}

static void
reply(struct lineclient *c, char *text)
{
	size_t	 len;
	uv_write_t *req;
	uv_buf_t buf;
	char	*msg;

	if (text == NULL)
		return;
	len = strlen(text);
	msg = realloc(text, len + 2);
	req = malloc(sizeof(*req));
	if (msg == NULL || req == NULL) {
		free(msg != NULL ? msg : text);
		free(req);
		return;
	}
	msg[len] = '\n';
	msg[len + 1] = '\0';
	req->data = msg;
	buf = uv_buf_init(msg, (unsigned)len + 1);
	if (uv_write(req, (uv_stream_t *)&c->pipe, &buf, 1, on_write) != 0) {
		free(msg);
		free(req);
	}
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct lineclient *c = h->data;

	(void)suggested;
	*buf = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void
on_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
	struct lineclient *c = stream->data;

	if (n < 0) {
		if (!uv_is_closing((uv_handle_t *)stream))
			uv_close((uv_handle_t *)stream, client_closed);
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		char ch = buf->base[i];

		if (ch == '\n') {
			if (c->overflow)
				reply(c, strdup("error: line too long"));
			else {
				c->line[c->len] = '\0';
				reply(c, c->srv->fn(c->srv->arg, c->line));
			}
			c->len = 0;
			c->overflow = false;
		} else if (c->overflow)
			continue;
		else if (c->len == LINESRV_MAX_LINE)
			c->overflow = true;
		else
			c->line[c->len++] = ch;
	}
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct linesrv *s = server->data;
	struct lineclient *c;

	if (status < 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->srv = s;
	uv_pipe_init(s->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->next = s->clients;
	if (s->clients != NULL)
		s->clients->prevp = &c->next;
	c->prevp = &s->clients;
	s->clients = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0 ||
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) != 0)
		uv_close((uv_handle_t *)&c->pipe, client_closed);
}

/* Returns 0, or a libuv error code (a stale socket file is replaced). */
int
linesrv_start(struct linesrv *s, uv_loop_t *loop, const char *path,
    linesrv_fn fn, void *arg)
{
	int	 rc;

	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->fn = fn;
	s->arg = arg;
	snprintf(s->path, sizeof(s->path), "%s", path);
	uv_pipe_init(loop, &s->pipe, 0);
	s->pipe.data = s;
	(void)unlink(path);
	if ((rc = uv_pipe_bind(&s->pipe, path)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&s->pipe, 8, on_connection)) != 0) {
		uv_close((uv_handle_t *)&s->pipe, NULL);
		return rc;
	}
	s->open = true;
	return 0;
}

void
linesrv_close(struct linesrv *s)
{
	if (!s->open)
		return;
	s->open = false;
	for (struct lineclient *c = s->clients; c != NULL; c = c->next)
		if (!uv_is_closing((uv_handle_t *)&c->pipe))
			uv_close((uv_handle_t *)&c->pipe, client_closed);
	uv_close((uv_handle_t *)&s->pipe, NULL);
	(void)unlink(s->path);
}
