/*
 * fuzz_api.c: libFuzzer on the API's request handling (routing, roles,
 * CSRF, query arguments, JSON bodies, every handler) against a real
 * master: one charger, no database, the loop's calls run in place.
 * Input: byte 0 picks the method and whether the session cookie and the
 * CSRF token go along; then the path, a newline, the query
 * ("k=v&k=v"), a newline, and the body.
 * Left out: POST/PUT of logins and passwords, whose cost is the
 * password hash by design (64 MiB, 2 passes each).
 *   build/clang/tests/fuzz_api -runs=N tests/fuzz/corpus
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "master.h"

struct fz {
	uv_loop_t		 loop;
	struct master_config	*mc;
	struct store		 st;
	struct master		 m;
	char			 token[AUTH_TOKEN_LEN + 1];
	char			 csrf[AUTH_TOKEN_LEN + 1];
};

static struct fz *
setup(void)
{
	static const char *const sets[] = { "web.enabled=no", "site.database=",
	    "charger1.host=127.0.0.1", "charger1.port=1", "charger1.name=bay",
	    "site.log_level=error" };
	struct fz *f = calloc(1, sizeof(*f));
	struct auth_session s;
	uint64_t retry;
	char	 err[CFG_ERRLEN], *status;

	if (f == NULL || (f->mc = malloc(sizeof(*f->mc))) == NULL)
		abort();
	uv_loop_init(&f->loop);
	master_config_defaults(f->mc);
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		if (cfg_set_arg(master_config_keys, f->mc, sets[i], err,
		    sizeof(err)) != 0)
			abort();
	if (master_config_finish(f->mc, err, sizeof(err)) != 0 ||
	    master_start(&f->m, &f->loop, f->mc, &f->st, NULL) != 0)
		abort();
	f->m.web.direct = true;
	if (web_init(&f->m.web, &f->m) != 0 ||
	    web_prepare(&f->m.web, &f->m) != 0 ||
	    auth_add_user(&f->m.web.auth, "fuzz", ROLE_INSTALLER,
	    "fuzz-password-1", false, NULL) != 0 ||
	    auth_login(&f->m.web.auth, "127.0.0.1", "fuzz", "fuzz-password-1",
	    1, &s, &retry) != AUTH_OK)
		abort();
	memcpy(f->token, s.token, sizeof(f->token));
	memcpy(f->csrf, s.csrf, sizeof(f->csrf));
	status = site_status_json(&f->m.site, 0);
	web_publish_status(&f->m.web, status);
	free(status);
	return f;
}

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "POST", "PUT", "DELETE",
	    "PATCH", "HEAD", "POST", "PUT" };
	static struct fz *f;
	struct api_req rq = { 0 };
	struct api_resp rs;
	char	*buf, *path, *query, *body, *nl, *save = NULL, *kv;

	if (f == NULL)
		f = setup();
	if (size < 1 || size > 70000)
		return 0;
	if ((buf = malloc(size + 2)) == NULL)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	path = buf;
	query = (nl = strchr(path, '\n')) ? (*nl = '\0', nl + 1) : "";
	body = (nl = strchr(query, '\n')) ? (*nl = '\0', nl + 1) : "";
	rq.method = methods[data[0] & 7];
	rq.path = path;
	if (strcmp(rq.method, "GET") != 0 && (strstr(path, "login") ||
	    strstr(path, "password") || strstr(path, "users"))) {
		free(buf);
		return 0;
	}
	for (kv = strtok_r(query, "&", &save); kv && rq.nargs < API_MAX_ARGS;
	    kv = strtok_r(NULL, "&", &save)) {
		char	*eq = strchr(kv, '=');

		rq.args[rq.nargs].k = kv;
		rq.args[rq.nargs].v = eq ? (*eq = '\0', eq + 1) : "";
		rq.nargs++;
	}
	rq.body = body;
	rq.body_len = strlen(body);
	rq.content_type = "application/json";
	rq.token = data[0] & 8 ? f->token : NULL;
	rq.csrf = data[0] & 16 ? f->csrf : NULL;
	rq.addr = "127.0.0.1";
	rq.now_ms = 2;
	api_handle(&f->m.web, &rq, &rs);
	if (rs.status < 200 || rs.status > 599)
		abort();
	/* an error is JSON with its message, whatever the request held */
	if (rs.status >= 400 && rs.kind == API_BODY && rs.type != NULL &&
	    strcmp(rs.type, "application/json") == 0) {
		json_t	*j = json_loadb(rs.body, rs.len, 0, NULL);

		if (!json_is_string(json_object_get(j, "error")))
			abort();
		json_decref(j);
	}
	api_resp_free(&rs);
	free(buf);
	return 0;
}
