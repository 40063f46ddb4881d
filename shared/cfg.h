/*
 * cfg.h: configuration described by a table (name, type, range, default,
 * field) and reused by the INI loader, the command line and, later, the
 * web API and the database. One set of rules, one set of messages.
 */
#ifndef EVG_CFG_H
#define EVG_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cfg_type {
	CFG_INT,	/* long in [min, max], stored as int */
	CFG_DECI,	/* "16.5" -> 165, in [min, max] tenths, stored as int */
	CFG_BOOL,	/* yes/no, true/false, on/off, 1/0 -> bool */
	CFG_ENUM,	/* one of names[], stored as int index */
	CFG_STR,	/* copied into a char[size] */
	CFG_ADDRS,	/* "a.b.c.d, ...": up to max IPv4 host addresses,
			 * copied into a char[size] (cfg_addrs) */
};

struct cfg_key {
	const char	*section;	/* "unit", or "connector" when indexed */
	const char	*name;
	enum cfg_type	 type;
	long		 min, max;	/* CFG_INT, CFG_DECI (tenths) */
	const char	*def;		/* default, in config-file syntax */
	size_t		 offset;	/* of the field in the target struct */
	size_t		 size;		/* CFG_STR buffer size */
	const char *const *names;	/* CFG_ENUM, NULL-terminated */
	int		 nindex;	/* >0: "[connector1]".."[connectorN]" */
	size_t		 stride;	/* bytes between indexed copies */
	const char	*unit;		/* "A", "s", ... for messages */
	const char	*help;
};

#define CFG_ERRLEN	256
#define CFG_MAX_SETS	60	/* --set options on one command line */

void	cfg_defaults(const struct cfg_key *, void *obj);
int	cfg_set(const struct cfg_key *, void *obj, const char *section,
	    const char *name, const char *value, char *err, size_t errlen);
int	cfg_set_arg(const struct cfg_key *, void *obj, const char *arg,
	    char *err, size_t errlen);
int	cfg_load_ini(const struct cfg_key *, void *obj, const char *path,
	    char *err, size_t errlen);
int	cfg_add_set(char **sets, int *nsets, char *set);
int	cfg_load(const struct cfg_key *, void *obj, const char *path,
	    char *const *sets, int nsets, char *err, size_t errlen);
int	cfg_format(const struct cfg_key *, const void *obj, int index,
	    char *buf, size_t len);
int	cfg_addrs(const char *list, uint32_t *addrs, int max, char *why,
	    size_t whylen);

#endif
