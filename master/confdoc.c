/*
 * confdoc.c: the configuration file's template from the settings table.
 * Each key is a comment (";name = default") under a comment line with
 * its help and range, so a file made from it changes nothing until a
 * line is uncommented. A key given as "section.key=value" (--set) is
 * written uncommented with that value: the package sets the database's
 * place that way.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "confdoc.h"

/* the value set for section (index: "charger1") and key, or NULL */
static const char *
set_value(char *const *sets, int nsets, const char *section, int index,
    const char *key)
{
	char	 want[128];
	size_t	 n;

	if (index > 0)
		snprintf(want, sizeof(want), "%s%d.%s=", section, index, key);
	else
		snprintf(want, sizeof(want), "%s.%s=", section, key);
	n = strlen(want);
	for (int i = 0; i < nsets; i++)
		if (strncmp(sets[i], want, n) == 0)
			return sets[i] + n;
	return NULL;
}

static void
print_deci(FILE *fp, long v)
{
	fprintf(fp, "%s%ld.%ld", v < 0 ? "-" : "", labs(v) / 10, labs(v) % 10);
}

static void
print_range(FILE *fp, const struct cfg_key *k)
{
	switch (k->type) {
	case CFG_INT:
		fprintf(fp, " (%ld-%ld%s%s)", k->min, k->max,
		    k->unit ? " " : "", k->unit ? k->unit : "");
		break;
	case CFG_DECI:
		fprintf(fp, " (");
		print_deci(fp, k->min);
		fprintf(fp, " to ");
		print_deci(fp, k->max);
		fprintf(fp, "%s%s)", k->unit ? " " : "", k->unit ? k->unit : "");
		break;
	case CFG_BOOL:
		fprintf(fp, " (yes or no)");
		break;
	case CFG_ENUM:
		if (k->help != NULL && strstr(k->help, k->names[0]) != NULL)
			break;		/* the help names them */
		fprintf(fp, " (");
		for (const char *const *n = k->names; *n != NULL; n++)
			fprintf(fp, "%s%s", n == k->names ? "" : ", ", *n);
		fprintf(fp, ")");
		break;
	case CFG_STR:
	case CFG_ADDRS:
		break;
	}
}

static bool
section_seen(const struct cfg_key *keys, const struct cfg_key *k)
{
	for (const struct cfg_key *p = keys; p != k; p++)
		if (strcmp(p->section, k->section) == 0)
			return true;
	return false;
}

/* one section: an indexed one ([clamp1], [charger1]) as its first */
static void
print_section(FILE *fp, const struct cfg_key *keys, const char *section,
    int nindex, char *const *sets, int nsets)
{
	bool	 used = false;

	for (const struct cfg_key *k = keys; k->name != NULL; k++)
		if (strcmp(k->section, section) == 0 && set_value(sets, nsets,
		    section, nindex > 0 ? 1 : 0, k->name) != NULL)
			used = true;
	if (nindex > 0) {
		fprintf(fp, "\n; [%s1] to [%s%d]: one section each\n%s[%s1]\n",
		    section, section, nindex,
		    used ? "" : ";", section);
	} else
		fprintf(fp, "\n[%s]\n", section);
	for (const struct cfg_key *k = keys; k->name != NULL; k++) {
		const char *v, *set;

		if (strcmp(k->section, section) != 0)
			continue;
		set = set_value(sets, nsets, section, nindex > 0 ? 1 : 0,
		    k->name);
		v = set != NULL ? set : k->def != NULL ? k->def : "";
		fprintf(fp, "; %s", k->help ? k->help : k->name);
		print_range(fp, k);
		fprintf(fp, "\n%s%s =%s%s\n", set != NULL ? "" : ";", k->name,
		    v[0] ? " " : "", v);
	}
}

/*
 * Writes the template to fp; sets ("section.key=value") are written
 * uncommented. Returns 0, or -1 when fp failed.
 */
int
confdoc_print(FILE *fp, const struct cfg_key *keys, char *const *sets,
    int nsets)
{
	fprintf(fp, "; evgroup-master's configuration. Every setting is shown "
	    "with its default,\n; commented out: remove the ';' to change "
	    "one. Check the file with\n;   evgroup-master --config FILE "
	    "--check-config\n; The first start copies it into the database;"
	    " after that the web UI\n; changes the settings (docs/operations."
	    "md, \"The configuration\").\n");
	for (const struct cfg_key *k = keys; k->name != NULL; k++)
		if (!section_seen(keys, k))
			print_section(fp, keys, k->section, k->nindex, sets,
			    nsets);
	return fflush(fp) == 0 && !ferror(fp) ? 0 : -1;
}
