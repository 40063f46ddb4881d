/*
 * strnum.c: strict number parsing (ntpd's atoul idea): the whole string
 * must be the number, and it must lie in [min, max].
 * Returns 0, -EINVAL for text that is not a number, -ERANGE outside range.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strnum.h"

int
strnum_long(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* "12", "12.5", "-3.2", "+7" -> tenths; at most one fractional digit. */
int
strnum_deci(const char *s, long min, long max, long *out)
{
	const char *p = s;
	long	 whole = 0, v;
	int	 neg = 0, digits = 0;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (; isdigit((unsigned char)*p); p++, digits++) {
		if (whole > (LONG_MAX / 10 - 10) / 10)
			return -ERANGE;
		whole = whole * 10 + (*p - '0');
	}
	v = whole * 10;
	if (*p == '.') {
		p++;
		if (isdigit((unsigned char)*p)) {
			v += *p++ - '0';
			digits++;
		}
		/* Trailing zeros are fine ("16.50"), other digits are not. */
		while (*p == '0')
			p++;
	}
	if (*p != '\0' || digits == 0)
		return -EINVAL;
	if (neg)
		v = -v;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int
strnum_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on", NULL };
	static const char *const no[] = { "0", "no", "false", "off", NULL };

	for (int i = 0; yes[i] != NULL; i++)
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
	for (int i = 0; no[i] != NULL; i++)
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	return -EINVAL;
}
