/*
 * cfg.c: the table-driven configuration engine. Every value goes through
 * cfg_set(), whether it comes from an INI file (inih), a --set flag or,
 * later, the API; errors name the key and the allowed range.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "cfg.h"
#include "strnum.h"
#include "text.h"

static void *
field(const struct cfg_key *k, void *obj, int index)
{
	return (char *)obj + k->offset + (size_t)index * k->stride;
}

/*
 * Finds the key for "section"/"name". An indexed section is written
 * "connector1".."connectorN"; *index receives N-1.
 */
static const struct cfg_key *
lookup(const struct cfg_key *tab, const char *section, const char *name,
    int *index)
{
	for (const struct cfg_key *k = tab; k->name != NULL; k++) {
		size_t	sl = strlen(k->section);
		long	n;

		if (strncmp(section, k->section, sl) != 0 ||
		    strcmp(name, k->name) != 0)
			continue;
		if (k->nindex == 0) {
			if (section[sl] != '\0')
				continue;
			*index = 0;
			return k;
		}
		if (strnum_long(section + sl, 1, k->nindex, &n) != 0)
			continue;
		*index = (int)n - 1;
		return k;
	}
	return NULL;
}

static void
range_msg(const struct cfg_key *k, char *err, size_t errlen)
{
	const char *u = k->unit ? k->unit : "";

	if (k->type == CFG_DECI)
		snprintf(err, errlen, "must be %ld.%ld-%ld.%ld%s%s",
		    k->min / 10, labs(k->min % 10), k->max / 10,
		    labs(k->max % 10), *u ? " " : "", u);
	else
		snprintf(err, errlen, "must be %ld-%ld%s%s", k->min, k->max,
		    *u ? " " : "", u);
}

static int
set_value(const struct cfg_key *k, void *obj, int index, const char *value,
    char *err, size_t errlen)
{
	void	*f = field(k, obj, index);
	long	 v;
	bool	 b;
	int	 rc;

	switch (k->type) {
	case CFG_INT:
	case CFG_DECI:
		rc = k->type == CFG_INT ?
		    strnum_long(value, k->min, k->max, &v) :
		    strnum_deci(value, k->min, k->max, &v);
		if (rc == -EINVAL) {
			snprintf(err, errlen, "'%s' is not a number", value);
			return rc;
		}
		if (rc != 0) {
			range_msg(k, err, errlen);
			return rc;
		}
		*(int *)f = (int)v;
		return 0;
	case CFG_BOOL:
		if (strnum_bool(value, &b) != 0) {
			snprintf(err, errlen, "'%s' is not yes or no", value);
			return -EINVAL;
		}
		*(bool *)f = b;
		return 0;
	case CFG_ENUM:
		for (int i = 0; k->names[i] != NULL; i++)
			if (k->names[i][0] != '\0' &&
			    strcmp(value, k->names[i]) == 0) {
				*(int *)f = i;
				return 0;
			}
		{
			size_t	off;

			off = (size_t)snprintf(err, errlen, "must be one of");
			for (int i = 0; k->names[i] != NULL && off < errlen;
			    i++)
				if (k->names[i][0] != '\0')
					off += (size_t)snprintf(err + off,
					    errlen - off, " %s", k->names[i]);
		}
		return -EINVAL;
	case CFG_STR:
	case CFG_ADDRS:
		if (strlen(value) >= k->size) {
			snprintf(err, errlen, "longer than %zu characters",
			    k->size - 1);
			return -ERANGE;
		}
		/* names and paths end up in logs, events, the status and
		 * the exported INI: a line feed would forge lines there */
		if (!text_is_plain(value)) {
			snprintf(err, errlen, "must be UTF-8 text without "
			    "control characters");
			return -EINVAL;
		}
		if (k->type == CFG_ADDRS &&
		    (rc = cfg_addrs(value, NULL, (int)k->max, err, errlen)) < 0)
			return rc;
		memcpy(f, value, strlen(value) + 1);
		return 0;
	}
	return -EINVAL;
}

/*
 * Parses "a.b.c.d, e.f.g.h" (commas and/or spaces) into up to max
 * network-order addresses (addrs may be NULL to check only). Each must
 * be one machine's: not 0.0.0.0/8 (unspecified, "this network": never a
 * peer's address, RFC 1122 3.2.1.3 (a)), not multicast (224.0.0.0/4,
 * RFC 5771), not reserved or the broadcast address (240.0.0.0/4 with
 * 255.255.255.255, RFC 1112 4, RFC 919 7). Returns how many, or -EINVAL
 * with why filled.
 */
int
cfg_addrs(const char *list, uint32_t *addrs, int max, char *why,
    size_t whylen)
{
	char	 buf[256], *save = NULL, *t;
	int	 n = 0;

	if (strlen(list) >= sizeof(buf)) {
		snprintf(why, whylen, "longer than %zu characters",
		    sizeof(buf) - 1);
		return -EINVAL;
	}
	strcpy(buf, list);
	for (t = strtok_r(buf, ", ", &save); t != NULL;
	    t = strtok_r(NULL, ", ", &save)) {
		struct in_addr a;
		uint32_t h;

		if (n == max) {
			snprintf(why, whylen, "more than %d addresses", max);
			return -EINVAL;
		}
		if (inet_pton(AF_INET, t, &a) != 1) {
			snprintf(why, whylen, "'%s' is not an IPv4 address", t);
			return -EINVAL;
		}
		h = ntohl(a.s_addr);
		if ((h >> 24) == 0 || (h >> 28) >= 14) {
			snprintf(why, whylen, "'%s' is not one machine's "
			    "address (%s): list the addresses that may "
			    "connect, such as the master appliance's", t,
			    (h >> 24) == 0 ? "unspecified, 0.0.0.0/8" :
			    (h >> 28) == 14 ? "multicast, 224.0.0.0/4" :
			    h == 0xffffffffu ? "broadcast" :
			    "reserved, 240.0.0.0/4");
			return -EINVAL;
		}
		if (addrs != NULL)
			addrs[n] = a.s_addr;
		n++;
	}
	return n;
}

void
cfg_defaults(const struct cfg_key *tab, void *obj)
{
	char	err[CFG_ERRLEN];

	for (const struct cfg_key *k = tab; k->name != NULL; k++)
		for (int i = 0; i < (k->nindex ? k->nindex : 1); i++)
			if (set_value(k, obj, i, k->def, err, sizeof(err)) != 0)
				/* A bad default is a programming error. */
				abort();
}

/*
 * Sets one value. Returns 0, or a negative errno with err filled as
 * "section.name: why" (the caller adds where the value came from).
 */
int
cfg_set(const struct cfg_key *tab, void *obj, const char *section,
    const char *name, const char *value, char *err, size_t errlen)
{
	const struct cfg_key *k;
	char	 why[CFG_ERRLEN];
	int	 index, rc;

	if ((k = lookup(tab, section, name, &index)) == NULL) {
		snprintf(err, errlen, "%s.%s: unknown setting", section, name);
		/* a numbered section past the last there can be */
		for (k = tab; k->name != NULL; k++) {
			size_t	 sl = strlen(k->section);

			if (k->nindex > 0 && strncmp(section, k->section,
			    sl) == 0 && strcmp(name, k->name) == 0 &&
			    section[sl] >= '0' && section[sl] <= '9' &&
			    strspn(section + sl, "0123456789") ==
			    strlen(section + sl)) {
				snprintf(err, errlen, "%s.%s: at most %d %s "
				    "sections (%s1-%s%d)", section, name,
				    k->nindex, k->section, k->section,
				    k->section, k->nindex);
				break;
			}
		}
		return -ENOENT;
	}
	if ((rc = set_value(k, obj, index, value, why, sizeof(why))) != 0)
		snprintf(err, errlen, "%s.%s: %s", section, name, why);
	return rc;
}

/* "section.name=value", as given to --set. */
int
cfg_set_arg(const struct cfg_key *tab, void *obj, const char *arg,
    char *err, size_t errlen)
{
	char	 buf[256], *dot, *eq;

	if (strlen(arg) >= sizeof(buf)) {
		snprintf(err, errlen, "setting too long");
		return -EINVAL;
	}
	strcpy(buf, arg);
	if ((eq = strchr(buf, '=')) == NULL ||
	    (dot = memchr(buf, '.', (size_t)(eq - buf))) == NULL) {
		/* at most 64 bytes of what was typed: the message is for a
		 * person, and gcc -O3 sees no truncation then */
		snprintf(err, errlen, "'%.64s%s': expected section.key=value",
		    arg, strlen(arg) > 64 ? "..." : "");
		return -EINVAL;
	}
	*dot = *eq = '\0';
	return cfg_set(tab, obj, buf, dot + 1, eq + 1, err, errlen);
}

struct ini_ctx {
	const struct cfg_key	*tab;
	void			*obj;
	FILE			*fp;
	int			 line;		/* of the line inih is on */
	bool			 at_bol;	/* next read starts a line */
	int			 errline;
	char			*err;
	size_t			 errlen;
	const char		*path;
};

/* inih reads through this so that the handler knows the line number. */
static char *
line_reader(char *str, int num, void *stream)
{
	struct ini_ctx *c = stream;
	char	*r = fgets(str, num, c->fp);

	if (r != NULL) {
		if (c->at_bol)
			c->line++;
		c->at_bol = strchr(r, '\n') != NULL;
	}
	return r;
}

static int
line_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct ini_ctx *c = user;
	char	 why[CFG_ERRLEN];

	if (c->errline != 0)
		return 1;	/* report the first error only */
	if (cfg_set(c->tab, c->obj, section, name, value, why,
	    sizeof(why)) != 0) {
		c->errline = c->line;
		snprintf(c->err, c->errlen, "%s:%d: %s", c->path, c->line, why);
	}
	return 1;
}

/*
 * Loads an INI file over obj (which holds defaults or earlier values).
 * On error, err reads "file:line: section.key: why". Values before the
 * error line may have been applied: callers load into a scratch copy.
 */
int
cfg_load_ini(const struct cfg_key *tab, void *obj, const char *path,
    char *err, size_t errlen)
{
	struct ini_ctx c = {
		.tab = tab, .obj = obj, .err = err, .errlen = errlen,
		.path = path, .at_bol = true,
	};
	int	 rc;

	if ((c.fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	rc = ini_parse_stream(line_reader, &c, line_handler, &c);
	fclose(c.fp);
	/* Report the earliest problem: a syntax error inih found, or a
	 * value the table refused. */
	if (rc > 0 && (c.errline == 0 || rc < c.errline)) {
		snprintf(err, errlen, "%s:%d: syntax error", path, rc);
		return -EINVAL;
	}
	if (c.errline != 0 || rc != 0)
		return -EINVAL;
	return 0;
}

/* Collects one "section.key=value" for cfg_load(); -1 when full. */
int
cfg_add_set(char **sets, int *nsets, char *set)
{
	if (*nsets >= CFG_MAX_SETS)
		return -1;
	sets[(*nsets)++] = set;
	return 0;
}

/*
 * What every program does with its options: the INI file first (if any),
 * then each "section.key=value" of sets in order, so that the command line
 * wins. On error err says where: "file:line: key: why" or "--set key: why".
 */
int
cfg_load(const struct cfg_key *tab, void *obj, const char *path,
    char *const *sets, int nsets, char *err, size_t errlen)
{
	char	 why[CFG_ERRLEN];
	int	 rc;

	if (path != NULL &&
	    (rc = cfg_load_ini(tab, obj, path, err, errlen)) != 0)
		return rc;
	for (int i = 0; i < nsets; i++)
		if ((rc = cfg_set_arg(tab, obj, sets[i], why, sizeof(why))) != 0) {
			snprintf(err, errlen, "--set %s", why);
			return rc;
		}
	return 0;
}

/* Prints a value in config-file syntax, for --check-config and exports. */
int
cfg_format(const struct cfg_key *k, const void *obj, int index, char *buf,
    size_t len)
{
	const void *f = (const char *)obj + k->offset +
	    (size_t)index * k->stride;
	int	 v;

	switch (k->type) {
	case CFG_INT:
		return snprintf(buf, len, "%d", *(const int *)f);
	case CFG_DECI:
		v = *(const int *)f;
		return snprintf(buf, len, "%s%d.%d", v < 0 ? "-" : "",
		    abs(v) / 10, abs(v) % 10);
	case CFG_BOOL:
		return snprintf(buf, len, "%s", *(const bool *)f ? "yes" : "no");
	case CFG_ENUM:
		return snprintf(buf, len, "%s", k->names[*(const int *)f]);
	case CFG_STR:
	case CFG_ADDRS:
		return snprintf(buf, len, "%s", (const char *)f);
	}
	return -1;
}
