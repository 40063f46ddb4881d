/*
 * confdoc.h: the configuration file's template, written from the settings
 * table: every key commented with its help, range and default
 * (`evgroup-master --print-config`; the package's /etc/evgroup/master.ini).
 */
#ifndef EVG_CONFDOC_H
#define EVG_CONFDOC_H

#include <stdio.h>

#include "cfg.h"

int	confdoc_print(FILE *, const struct cfg_key *, char *const *sets,
	    int nsets);

#endif
