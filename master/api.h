/*
 * api.h: the JSON API's routes, roles and input rules, independent of
 * the HTTP server (web.c adapts libmicrohttpd to this; the fuzz target
 * calls it directly). docs/api.md documents every call.
 */
#ifndef EVG_API_H
#define EVG_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "web.h"

#define API_MAX_ARGS	16

struct api_req {
	const char	*method;
	const char	*path;
	struct { const char *k, *v; } args[API_MAX_ARGS];	/* ?k=v */
	int		 nargs;
	const char	*body;
	size_t		 body_len;
	bool		 body_too_large;
	const char	*token;		/* session cookie */
	const char	*csrf;		/* X-CSRF-Token */
	const char	*content_type;	/* Content-Type */
	const char	*origin, *host;	/* Origin, Host */
	const char	*basic_user, *basic_pass;	/* /metrics */
	const char	*addr;		/* client address */
	uint64_t	 now_ms;
};

enum api_kind { API_BODY, API_STATUS, API_STREAM, API_ASSET };

struct api_resp {
	int		 status;
	enum api_kind	 kind;
	const char	*type;		/* Content-Type */
	char		*body;		/* malloc'd (API_BODY) */
	size_t		 len;
	const void	*asset;		/* API_ASSET: static data */
	char		 cookie[200];	/* Set-Cookie */
	char		 allow[64];	/* 405 */
	int		 retry_after;	/* s, 429 */
	const char	*disposition;	/* Content-Disposition */
	char		 dispbuf[128];	/* for disposition */
	const char	*csp;		/* Content-Security-Policy, if not the
					 * pages' own */
};

void	api_handle(struct web *, const struct api_req *, struct api_resp *);
void	api_resp_free(struct api_resp *);

/* Embedded web UI (webui/, generated at build time). */
struct webui_asset {
	const char		*path;
	const char		*type;
	const unsigned char	*data;
	size_t			 len;
};
extern const struct webui_asset webui_assets[];

#endif
