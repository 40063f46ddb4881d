/*
 * strnum.h: the one way evgroup turns text into numbers: whole strings
 * only, range-checked, no atoi. Decimal values with one fractional digit
 * ("16", "16.5") become tenths (160, 165) without floating point.
 */
#ifndef EVG_STRNUM_H
#define EVG_STRNUM_H

#include <stdbool.h>

int	strnum_long(const char *s, long min, long max, long *out);
int	strnum_deci(const char *s, long min, long max, long *out);
int	strnum_bool(const char *s, bool *out);

#endif
